"""`infrabt strategies` and `infrabt run`: output files, and one-line errors on bad input (exit 2)."""

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
    assert_one_line_error(run("qqq", "--offline", "--calendar", "crypto"), "crypto-only", "spy")


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
