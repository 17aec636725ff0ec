"""`infrabt strategies` and `infrabt run`: output files, and one-line errors on bad input (exit 2)."""

import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from infrabt.cli import app

runner = CliRunner()


@pytest.fixture
def cached(tmp_store, make_prices):
    """A cache holding a year of generated SPY and QQQ closes; no BTC."""
    rng = np.random.default_rng(0)
    for symbol in ("SPY", "QQQ"):
        closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
        tmp_store.write(symbol, make_prices(closes, start="2023-01-02"), source="test")
    return tmp_store


def run(*args: str):
    return runner.invoke(app, ["run", *args])


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_strategies_lists_every_shipped_id():
    result = runner.invoke(app, ["strategies"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for sid in ("pure_btc", "infra_thesis", "btc_corr_switch", "sixty_forty_btc5"):
        assert sid in result.output


def test_run_writes_returns_and_metrics(cached, without_reports, tmp_path):
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--start", "2023-06-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    returns = pd.read_csv(out / "returns.csv", index_col=0, parse_dates=True)
    assert list(returns.columns) == ["qqq", "spy"]  # the benchmark is always included
    assert returns.index[0] == pd.Timestamp("2023-06-01")
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert list(metrics.index) == ["qqq", "spy"]
    assert metrics.loc["spy", "beta"] == pytest.approx(1.0)
    assert "equity calendar (252 days/yr)" in result.output


def test_unknown_strategy_lists_the_known_ones(cached):
    assert_one_line_error(run("moonshot", "--offline"), "unknown strategy 'moonshot'", "pure_btc")


def test_ticker_absent_from_the_cache_names_it_and_the_fix(cached):
    assert_one_line_error(run("pure_btc", "--offline"), "BTC-USD", "infrabt data")


def test_date_range_without_prices(cached):
    result = run("qqq", "--offline", "--start", "2030-01-01", "--end", "2030-02-01")
    assert_one_line_error(result, "prices between 2030-01-01 and 2030-02-01")


def test_crypto_calendar_for_a_mixed_run_is_refused(cached):
    result = run("qqq", "--offline", "--calendar", "crypto")
    assert_one_line_error(result, "crypto-only", "qqq holds equities")
    result = run("pure_btc", "--offline", "--calendar", "crypto", "--benchmark", "spy")
    assert_one_line_error(result, "spy holds equities", "--benchmark pure_btc")


def test_broken_user_module_names_the_file(cached, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "typo.py").write_text(
        "from infrabt.strategies import Strategy\nSTRATEGY = Strategy(id='x', thesis=)\n"
    )
    assert_one_line_error(run("--offline", "--strategies-dir", str(folder)), "typo.py", "SyntaxError")


def test_user_strategy_naming_a_ticker_outside_the_universe(cached, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "doge.py").write_text(
        "from infrabt.strategies import Fixed, Strategy\n"
        "STRATEGY = Strategy(id='doge', thesis='Much wow.', weighting=Fixed({'DOGE-USD': 1.0}))\n"
    )
    result = run("doge", "--offline", "--strategies-dir", str(folder))
    assert_one_line_error(result, "no cached prices for DOGE-USD", "data import")


def test_a_strategy_with_bad_weights_fails_alone_and_the_run_exits_non_zero(
    cached, without_reports, tmp_path
):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "greedy.py").write_text(
        "import pandas as pd\n"
        "from infrabt.strategies import Fixed, Strategy\n"
        "class Greedy(Strategy):\n"
        "    def target_weights(self, prices, start=None):\n"
        "        return pd.DataFrame({'QQQ': [1.5]}, index=prices.index[-30:-29])\n"
        "STRATEGY = Greedy(id='greedy', thesis='More.', weighting=Fixed({'QQQ': 1.0}))\n"
    )
    out = tmp_path / "out"
    result = run("greedy", "--offline", "--strategies-dir", str(folder), "--out", str(out))
    assert_one_line_error(result, "greedy", "sum to 1.5")
    assert list(pd.read_csv(out / "returns.csv", index_col=0).columns) == ["spy"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2018-13-01"], "--start '2018-13-01' is not a date"),
        (["--start", "2024-01-01", "--end", "2023-01-01"], "--start 2024-01-01 is after --end 2023-01-01"),
        (["--fees", "-0.01"], "--fees -0.01 must be"),
        (["--slippage", "2"], "--slippage 2 must be"),
        (["--benchmark", "nope"], "unknown benchmark"),
        # the group's option after the command: where it goes, not only "No such option"
        (["--universe", "mine.toml"], "--universe; it goes before the command: `infrabt --universe ... run"),
    ],
)
def test_bad_options_are_one_line_errors(cached, args, message):
    assert_one_line_error(run("qqq", "--offline", *args), message)


def test_malformed_crises_file_fails_before_the_backtest(cached, tmp_path):
    crises = tmp_path / "crises.toml"
    crises.write_text('[[crisis]]\nid = "x"\nname = "no dates"\n')
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--crises", str(crises), "--out", str(out))
    assert_one_line_error(result, "crises.toml", "line 1")
    assert "ran " not in result.output  # nothing was simulated
    assert not out.exists()


def test_a_malformed_claims_file_fails_before_the_backtest(cached, tmp_path):
    claims = tmp_path / "my_thesis.toml"
    claims.write_text(
        '[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "beta"\nasset = "SPY"\nabove = 1\n'
    )
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--claims", str(claims), "--out", str(out))
    assert_one_line_error(result, "my_thesis.toml", "claim 1", "versus")
    assert "ran " not in result.output and not out.exists()


def test_a_claim_naming_an_unlisted_window_fails_before_the_backtest(cached, tmp_path):
    """It failed after the backtest, its files written, naming neither file nor claim; without a strategy the
    claim needed, never."""
    claims = tmp_path / "my_thesis.toml"
    claims.write_text(
        '[[claim]]\nid = "7"\ntitle = "t"\n[[claim.test]]\nstatistic = "crisis_return_gap"\n'
        'asset = "QQQ"\nversus = "SPY"\nbelow = 0\nwindows = ["covid", "rate-hikes-202"]\n'
    )
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--claims", str(claims), "--out", str(out))
    assert_one_line_error(result, "my_thesis.toml", "claim '7', test 1", "rate-hikes-202", "--crises")
    assert "ran " not in result.output and not out.exists()


def test_a_crises_file_reusing_a_shipped_id_fails_before_the_backtest(cached, tmp_path):
    crises = tmp_path / "mine.toml"
    crises.write_text('[[crisis]]\nid = "covid"\nname = "again"\nstart = 2020-02-19\nend = 2020-03-23\n')
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--crises", str(crises), "--out", str(out))
    assert result.exit_code == 2 and "covid" in result.output, result.output
    assert "ran " not in result.output and not out.exists()


def test_a_claims_file_of_your_own_is_the_one_tested(cached, tmp_path):
    claims = tmp_path / "my_thesis.toml"
    claims.write_text(
        '[[claim]]\nid = "9"\ntitle = "QQQ moves with SPY"\nlink = "metrics"\n'
        '[[claim.test]]\nstatistic = "beta"\nasset = "QQQ"\nversus = "SPY"\nabove = -5.0\n'
    )
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--no-tearsheets", "--claims", str(claims), "--out", str(out))
    assert result.exit_code == 0, result.output
    thesis = pd.read_csv(out / "thesis.csv")
    assert thesis["claim"].astype(str).tolist() == ["9"] and thesis["verdict"].tolist() == ["supported"]


@pytest.fixture
def with_btc(cached, make_prices):
    """The SPY/QQQ cache plus BTC-USD every day, ending ten days before the equities (stale)."""
    closes = 20_000 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.03, 400)))
    cached.write("BTC-USD", make_prices(closes, start="2023-01-02", freq="D")[:"2024-01-31"], source="test")
    return cached


def test_a_crypto_only_run_is_benchmarked_against_the_coin(with_btc, tmp_path):
    out = tmp_path / "out"
    result = run("pure_btc", "--offline", "--calendar", "crypto", "--no-tearsheets", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "crypto calendar" in result.output and "against pure_btc" in result.output
    assert json.loads((out / "run.json").read_text())["benchmark"] == "pure_btc"
    assert list(pd.read_csv(out / "returns.csv", index_col=0).columns) == ["pure_btc"]
    # BTC is the benchmark here: no "BTC's correlation with PURE_BTC averaged 1.00", no bold BTC line; the
    # benchmark is called by what it holds (not its id upper-cased: "PURE_BTC drawdown #1")
    page = (out / "index.html").read_text()
    assert "63-day correlation with" not in page and "drawn bold" not in page and "PURE_BTC" not in page
    assert "Nothing else in this run to compare with BTC-USD." in page and "BTC-USD drawdown #1" in page
    assert "Not enough data for downside and upside betas" not in page  # nothing to compare, not too little
    # no SPY on the crypto calendar: claim 1's six tests are counted as not tested, not as "6 figures"
    assert 'class="tally">6 not tested' in page and "figures" not in page.split('id="metrics"')[0]


def test_an_end_past_a_last_price_warns_and_is_recorded(with_btc, tmp_path):
    out = tmp_path / "out"
    args = ("pure_btc", "qqq", "--offline", "--start", "2023-06-01", "--end", "2024-02-23", "--no-tearsheets")
    result = runner.invoke(app, ["run", *args, "--out", str(out)], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    assert "--end 2024-02-23 is after the last price of BTC-USD (2024-01-31)" in result.output
    notes = json.loads((out / "run.json").read_text())["notes"]
    assert len(notes) == 1 and "BTC-USD (2024-01-31)" in notes[0]


def test_a_stale_series_that_ends_the_run_is_named_and_the_output_reads_in_a_pipe(with_btc, tmp_path):
    out = tmp_path / "out"
    args = ("pure_btc", "qqq", "--offline", "--start", "2023-06-01", "--no-tearsheets", "--out", str(out))
    result = runner.invoke(app, ["run", *args], env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("2023-06-01 .. 2024-01-31" in line for line in lines)  # no date split across lines
    assert any("the run ends 2024-01-31, the last day BTC-USD has prices" in line for line in lines)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Note: the run ends 2024-01-31, the last day BTC-USD has prices" in page
    assert f"dashboard: {(out / 'index.html').resolve().as_uri()}" in lines
    table = next(line for line in lines if line.strip().startswith("pure_btc"))
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert f"{metrics.loc['pure_btc', 'cagr']:.1%}" in table and f"{metrics.loc['spy', 'sharpe']:.2f}" in (
        next(line for line in lines if line.strip().startswith("spy (benchmark)"))
    )


def test_open_shows_the_dashboard_in_the_browser(with_btc, tmp_path, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    out = tmp_path / "out"
    result = run("qqq", "--offline", "--start", "2023-06-01", "--no-tearsheets", "--open", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert opened == [(out / "index.html").resolve().as_uri()]


def test_boolean_options_read_as_switches_in_help():
    help_text = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    for flag in ("--offline ", "--open ", "--no-tearsheets ", "--help "):
        line = next(line for line in help_text.splitlines() if flag in line)
        assert "<bool>" not in line, line
    assert "common end date" in help_text


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        (["data", "update"], ("--offline ", "--help ")),
        (["data"], ("--help ",)),
        (["sweep"], ("--offline ", "--walk-forward ", "--strict ", "--yes ", "--help ")),
        ([], ("--version ", "--help ")),
    ],
)
def test_every_commands_boolean_options_read_as_switches(command, flags):
    help_text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
    for flag in flags:
        line = next(line for line in help_text.splitlines() if flag in line)
        assert "<bool>" not in line, line


def test_strategies_list_every_ticker_by_group_and_say_buy_and_hold():
    result = runner.invoke(app, ["strategies"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "benchmark: SPY, GLD" in rows["btc_corr_switch"] and "crypto: BTC-USD" in rows["btc_corr_switch"]
    assert "crypto: BTC-USD" in rows["sixty_forty_btc5"]
    assert "gpu_datacenter: NVDA" in rows["gpu_datacenter"]
    assert "buy and hold SPY" in rows["spy"] and "buy and hold GLD" in rows["gold"]


def test_helper_modules_in_the_strategies_dir(cached, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "_weights.py").write_text("WEIGHTS = {'SPY': 0.5, 'QQQ': 0.5}\n")
    (folder / "half.py").write_text(
        "from _weights import WEIGHTS\n"
        "from infrabt.strategies import Fixed, Strategy\n"
        "STRATEGY = Strategy(id='half', thesis='Half and half.', weighting=Fixed(WEIGHTS))\n"
    )
    listed = runner.invoke(app, ["strategies", "--strategies-dir", str(folder)], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "half" in listed.output
    (folder / "shared.py").write_text("X = 1\n")
    result = runner.invoke(app, ["strategies", "--strategies-dir", str(folder)])
    assert_one_line_error(result, "shared.py", "name it _shared.py")


@pytest.mark.parametrize(
    ("command", "usage"), [(["run"], "[OPTIONS] [ID]..."), (["data", "update"], "[OPTIONS] [TICKER]...")]
)
def test_positional_arguments_are_named_in_the_usage(command, usage):
    """``infrabt run [ID]...``: what the bare words are, not typer's parameter name."""
    help_text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
    assert usage in help_text


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["run"], {"--start": "DATE", "--fees": "FRACTION", "--out": "DIR", "--claims": "FILE"}),
        (["sweep"], {"--split": "DATE", "--max-memory": "SIZE", "--workers": "N", "--scheduler": "ADDRESS"}),
        (["data", "update"], {"--start": "DATE", "--end": "DATE"}),
    ],
)
def test_value_options_name_what_they_take_in_help(command, named):
    """``--split DATE``, not typer's ``--split <str>``: the help says what to type."""
    help_text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
    rows = [line for line in help_text.splitlines() if line.startswith("│")]  # the options table
    for option, metavar in named.items():
        line = next(line for line in rows if f"{option} " in line)
        assert f" {metavar} " in line, line
    options = "\n".join(line for line in rows if "--" in line)
    assert "<str>" not in options and "<int>" not in options and "<float>" not in options


def test_a_universe_file_mistake_is_not_blamed_on_a_shipped_strategy(tmp_path):
    """Every universe mistake read "strategy module .../btc_corr_switch.py is broken: ConfigError: ..."."""
    import subprocess
    import sys

    mine = tmp_path / "mine.toml"
    mine.write_text('[tickers.CRWV]\ngruop = "neoclouds"\n')
    argv = [sys.executable, "-m", "infrabt", "--universe", str(mine), "strategies"]
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 2, done.stdout + done.stderr
    error = done.stdout + done.stderr
    assert "mine.toml" in error and "gruop" in error
    assert "strategy module" not in error and "Traceback" not in error


def test_libraries_load_without_the_collector_which_is_back_on_after(monkeypatch):
    """The heavy imports run with the garbage collector off and end frozen; the collector is on again for
    the work (a sweep's million variants need it), also when an import fails."""
    import gc

    from infrabt.cli import loading_libraries

    seen = []
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("frozen"))
    with loading_libraries():
        seen.append(gc.isenabled())
    assert seen == [False, "frozen"] and gc.isenabled()
    with pytest.raises(ImportError), loading_libraries():
        import infrabt.no_such_module  # noqa: F401
    assert gc.isenabled()
