"""write_report: the files a run leaves behind, the dashboard's escaping, and bad input."""

import dataclasses
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from infrabt.data.errors import ConfigError
from infrabt.engine.crises import COLUMNS
from infrabt.engine.result import BacktestResult, Costs
from infrabt.reports import write_report
from infrabt.reports.thesis import conditional_betas, rolling_beta, thesis_check

EVIL = '<img src=x onerror=alert(1)></script><script>alert("x")</script>'


def make_result(names=("spy", "rails", "crypto"), days: int = 780, failures=None) -> BacktestResult:
    """A small result: ~3 years of business days, SPY, BTC and gold prices, and a ticker that lists late."""
    rng = np.random.default_rng(3)
    index = pd.bdate_range("2019-01-02", periods=days, name="Date")
    market = rng.normal(0.0004, 0.011, days)
    assets = {
        "SPY": market,
        "BTC-USD": 1.5 * market + rng.normal(0.001, 0.03, days),
        "GLD": rng.normal(0.0002, 0.008, days),
        "LATE": rng.normal(0.0, 0.02, days),
    }
    prices = pd.DataFrame({t: 100 * np.cumprod(1 + r) for t, r in assets.items()}, index=index)
    prices.loc[: index[299], "LATE"] = np.nan  # lists on day 300
    asset_returns = prices.pct_change().fillna(0.0)
    mixes = {
        "spy": {"SPY": 1.0},
        "rails": {"SPY": 0.5, "BTC-USD": 0.3, "GLD": 0.2},
        "crypto": {"BTC-USD": 1.0},
    }
    returns = pd.DataFrame(
        {name: sum(w * asset_returns[t] for t, w in mixes.get(name, {"GLD": 1.0}).items()) for name in names}
    )
    returns.iloc[0] = 0.0
    costs = Costs(fees=0.0005, slippage=0.0002)
    return BacktestResult(
        returns=returns,
        equity=costs.init_cash * (1 + returns).cumprod(),
        weights={},
        trades=pd.DataFrame(),
        turnover=returns * 0.0,
        fees=pd.Series(0.0, index=returns.columns),
        membership={n: prices[list(mixes.get(n, {"GLD": 1}))].notna() for n in names},
        prices=prices,
        calendar="equity",
        periods_per_year=252,
        costs=costs,
        strategies={
            n: SimpleNamespace(thesis=f"Thesis of {n}", tickers=("SPY",), params={"note": n}) for n in names
        },
        failures=dict(failures or {}),
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One report without tear sheets (the slow part), shared by the tests that only read it."""
    result = make_result(
        names=("spy", "rails", EVIL), failures={"broken": "StrategyError: <b>weights</b> > 1"}
    )
    out = tmp_path_factory.mktemp("report")
    index = write_report(result, out, tearsheets=False, progress=False)
    return result, out, index.read_text(encoding="utf-8")


def test_every_file_is_written_and_csvs_hold_the_result(report):
    result, out, _ = report
    for name in ("index.html", "returns.csv", "metrics.csv", "crises.csv", "run.json"):
        assert (out / name).stat().st_size > 0, name
    returns = pd.read_csv(out / "returns.csv", index_col=0, parse_dates=True)
    assert list(returns.columns) == list(result.returns.columns)
    np.testing.assert_allclose(returns.to_numpy(), result.returns.to_numpy(), rtol=1e-12)
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert list(metrics.index) == list(result.returns.columns)
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_crises_csv_has_the_exact_columns_and_every_strategy_window_pair(report):
    result, out, _ = report
    crises = pd.read_csv(out / "crises.csv", keep_default_na=False)
    assert list(crises.columns) == COLUMNS
    windows = set(crises.window)
    assert {"covid", "tariffs-2025"} <= windows
    assert sum(w.startswith("spy-dd") for w in windows) == 5  # the benchmark's five worst drawdowns
    assert len(crises) == len(windows) * len(result.returns.columns)
    # the data end in 2021: the 2025 tariff window is kept, with no numbers
    tariffs = crises[crises.window == "tariffs-2025"]
    assert (tariffs["return"] == "").all() and (tariffs["recovery_days"] == "").all()
    covid = crises[(crises.window == "covid") & (crises.strategy == "spy")].iloc[0]
    equity = (1 + result.returns["spy"]).cumprod()
    assert float(covid["return"]) == pytest.approx(equity["2020-03-23"] / equity["2020-02-19"] - 1)


def test_run_json_records_parameters_data_ranges_and_versions(report):
    result, out, _ = report
    run = json.loads((out / "run.json").read_text())
    assert run["costs"] == {"fees": 0.0005, "slippage": 0.0002, "init_cash": 100_000.0}
    assert (run["calendar"], run["periods_per_year"], run["benchmark"]) == ("equity", 252, "spy")
    assert (run["start"], run["end"]) == ("2019-01-02", str(result.end.date()))
    assert run["data"]["LATE"]["first"] == str(result.prices.index[300].date())
    assert run["data"]["SPY"]["days"] == len(result.prices)
    assert run["failures"] == {"broken": "StrategyError: <b>weights</b> > 1"}
    assert {"python", "pandas", "vectorbt", "quantstats", "plotly"} <= set(run["packages"])


def test_dashboard_escapes_names_from_user_modules(report):
    _, _, page = report
    assert EVIL not in page
    assert "<img src=x" not in page and '<script>alert("x")' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as text in the tables
    assert "\\u003cimg src=x" in page  # and inert inside the figures' JSON
    assert "<b>weights</b>" not in page and "&lt;b&gt;weights&lt;/b&gt;" in page
    assert "Thesis of &lt;img src=x" in page and "note=&lt;img src=x" in page  # thesis and parameters too


def test_dashboard_lists_the_failed_strategy_and_every_section(report):
    _, _, page = report
    assert "1 strategy failed" in page and "broken" in page
    for section in ("metrics", "equity", "crises", "thesis", "correlation", "coverage", "run"):
        assert f'id="{section}"' in page
    assert page.count("Plotly.newPlot") == 1 and page.count('class="figure"') >= 6
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*href=.?http", page)  # works offline, from file://
    assert "no data" in page


def test_dashboard_marks_best_and_worst_per_column(report):
    _, _, page = report
    table = page[page.index('id="metrics-table"') : page.index("</table>", page.index('id="metrics-table"'))]
    assert table.count('class="best"') >= 6 and table.count('class="worst"') >= 6


def test_unknown_benchmark_names_the_strategies_that_ran(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown benchmark 'qqq'.*spy, rails"):
        write_report(make_result(names=("spy", "rails")), tmp_path / "out", benchmark="qqq", tearsheets=False)
    assert not (tmp_path / "out").exists()  # failed before writing anything


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot write to .*--out"):
        write_report(make_result(), blocker / "out", tearsheets=False, progress=False)


def test_user_crises_file_adds_windows_and_a_malformed_one_names_the_line(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[crisis]]\nid = "old"\nname = "Before the data"\nstart = 2008-09-15\nend = 2009-03-09\n'
        '[[crisis]]\nid = "mine"\nname = "Mine"\nstart = 2020-06-01\nend = 2020-06-30\n'
    )
    write_report(make_result(), tmp_path / "out", crises_file=extra, tearsheets=False, progress=False)
    crises = pd.read_csv(tmp_path / "out" / "crises.csv")
    assert crises[crises.window == "old"]["return"].isna().all()  # outside the data: kept as "no data"
    assert crises[crises.window == "mine"]["return"].notna().all()

    extra.write_text('[[crisis]]\nid = "bad"\nname = "Bad"\nstart = 2020-06-01\nend = 2020-06-31\n')
    with pytest.raises(ConfigError, match=r"mine\.toml.*line 5"):
        write_report(make_result(), tmp_path / "out2", crises_file=extra, tearsheets=False)


def test_tear_sheets_are_written_per_strategy_and_linked(tmp_path):
    index = write_report(make_result(names=("spy", EVIL)), tmp_path, progress=False)
    sheets = sorted(p.name for p in (tmp_path / "tearsheets").glob("*.html"))
    assert len(sheets) == 2 and "spy.html" in sheets
    evil = next(p for p in (tmp_path / "tearsheets").glob("*.html") if p.name != "spy.html")
    text = evil.read_text(encoding="utf-8")
    assert EVIL not in text and "&lt;img src=x" in text  # the title is escaped
    assert "qtpylib.io" not in text  # no favicon fetched from the web
    assert 'onload="save()"' not in text and "\ufe6a" not in text  # no script error, no missing glyph
    assert "<svg" in text
    page = index.read_text(encoding="utf-8")
    assert 'href="tearsheets/spy.html"' in page and f'href="tearsheets/{evil.name}"' in page


def test_conditional_betas_separate_down_and_up_days():
    bench = pd.Series(np.tile([0.01, -0.02, 0.015, -0.005], 50))
    asset = bench.where(bench > 0, 2 * bench).where(bench < 0, 0.5 * bench)
    betas = conditional_betas(asset.to_frame("a"), bench)
    assert betas.loc["a", "downside_beta"] == pytest.approx(2.0)
    assert betas.loc["a", "upside_beta"] == pytest.approx(0.5)


def test_rolling_beta_of_a_levered_copy_is_the_leverage():
    bench = pd.Series(np.random.default_rng(1).normal(0, 0.01, 200))
    beta = rolling_beta((3 * bench).to_frame("x"), bench, window=63)
    assert beta["x"].iloc[:62].isna().all()
    np.testing.assert_allclose(beta["x"].iloc[62:], 3.0)


def test_spy_crisis_numbers_from_the_engine_match_the_data(shared_prices, tmp_path):
    """The engine's spy strategy with zero costs: COVID -33.7%, 2025 tariff crash -18.8%, as in crises.csv."""
    from infrabt.engine.api import run

    result = run(["spy"], fees=0.0, slippage=0.0, offline=True)
    write_report(result, tmp_path, tearsheets=False, progress=False)
    crises = pd.read_csv(tmp_path / "crises.csv").set_index("window")
    assert round(crises.loc["covid", "return"], 3) == -0.337
    assert round(crises.loc["tariffs-2025", "return"], 3) == -0.188
    assert crises.loc["spy-dd1", "start"] == "2020-02-19"  # the deepest computed drawdown is COVID's


def test_thesis_sentence_states_the_correlation_of_each_era():
    """BTC moves with SPY until 2019 and against it from 2020: the sentence must say 1.00 and then -1.00."""
    days = pd.bdate_range("2018-01-02", "2023-12-29")
    spy = pd.Series(np.random.default_rng(5).normal(0, 0.01, len(days)), index=days)
    btc = spy.where(days.year < 2020, -spy)
    thesis = thesis_check(spy.to_frame("spy"), btc.to_frame("BTC-USD"), "spy", [])
    sentence = thesis.sentences["correlation"]
    assert "averaged 1.00 before 2020" in sentence and "-1.00 since 2022" in sentence
    assert "peaked at 1.00" in sentence and "-1.00 at the end" in sentence


def test_a_run_without_btc_or_gold_still_writes_the_dashboard(tmp_path):
    result = make_result()
    result = dataclasses.replace(result, prices=result.prices[["SPY", "LATE"]])
    page = write_report(result, tmp_path, tearsheets=False, progress=False).read_text(encoding="utf-8")
    assert "are not both in this run&#39;s prices" in page
    assert 'data-target="fig-havens"' not in page and 'data-target="fig-equity"' in page


def test_headline_names_the_best_sharpe_from_metrics_csv(report):
    _, out, page = report
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    best = metrics["sharpe"].idxmax()
    assert f"Highest Sharpe: {escape(best)} ({metrics.sharpe[best]:.2f})" in page


def test_a_tear_sheet_annualizes_with_the_periods_it_is_given(tmp_path):
    from infrabt.engine import metrics
    from infrabt.reports.tearsheet import write_tearsheet

    rng = np.random.default_rng(11)
    days = pd.date_range("2021-01-01", periods=730, freq="D", name="Date")  # a 7-day (crypto) calendar
    strategy = pd.Series(rng.normal(0.002, 0.03, len(days)), index=days, name="coin")
    benchmark = pd.Series(rng.normal(0.0005, 0.01, len(days)), index=days, name="bench")
    path = write_tearsheet(strategy, benchmark, 365, tmp_path / "coin.html")
    shown = re.search(r"Sharpe</td><td>[-\d.]+</td><td>([-\d.]+)</td>", path.read_text()).group(1)
    assert float(shown) == pytest.approx(metrics.sharpe(strategy, 365), abs=0.006)
    assert abs(float(shown) - metrics.sharpe(strategy, 252)) > 0.05  # 252 would show another
