"""The tested thesis end to end: write_report leaves thesis.csv, attribution.csv and metrics intervals, and
the dashboard opens with the scorecard; on the shared prices, the quoted moves match the data."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import DataNotice
from infrabt.engine.backtest import backtest
from infrabt.engine.bootstrap import METRICS
from infrabt.engine.result import Costs
from infrabt.reports import write_report
from infrabt.reports.scorecard import COLUMNS
from infrabt.strategies import Fixed, Strategy
from tests.conftest import SHARED_PRICES

HALVING = pd.Timestamp("2024-04-20")


def thesis_result():
    """An engine run on made-up prices with the thesis's structure: BTC with beta 1.6 to SPY, miners that
    swap BTC for AI exposure at the halving, GPU stocks, gold, oil and a handful of strategies."""
    rng = np.random.default_rng(21)
    days = pd.bdate_range("2021-01-04", "2025-12-31", name="Date")
    n = len(days)
    market = rng.normal(0.0004, 0.01, n)
    btc = 1.6 * market + rng.normal(0.001, 0.03, n)
    ai = 1.3 * market + rng.normal(0.0006, 0.015, n)
    after = days >= HALVING

    def miner():
        return np.where(after, 0.4, 1.4) * btc + np.where(after, 1.1, 0.1) * ai + rng.normal(0, 0.025, n)

    returns = {
        "SPY": market, "QQQ": 1.2 * market + rng.normal(0, 0.004, n), "GLD": rng.normal(0.0003, 0.009, n),
        "USO": rng.normal(0, 0.02, n), "BTC-USD": btc, "ETH-USD": 1.2 * btc + rng.normal(0, 0.02, n),
        "RIOT": miner(), "MARA": miner(), "NVDA": ai + rng.normal(0, 0.01, n),
        "AMD": ai + rng.normal(0, 0.01, n), "JPM": market + rng.normal(0, 0.01, n),
    }  # fmt: skip
    prices = pd.DataFrame(
        {t: 50 * np.cumprod(1 + np.clip(r, -0.5, 1)) for t, r in returns.items()}, index=days
    )
    strategies = [
        Strategy(id="spy", thesis="The market.", weighting=Fixed({"SPY": 1.0})),
        Strategy(id="pure_btc", thesis="All in bitcoin.", weighting=Fixed({"BTC-USD": 1.0})),
        Strategy(id="infra_thesis", thesis="Own the rails.",
                 weighting=Fixed({"RIOT": 0.2, "MARA": 0.2, "NVDA": 0.2, "AMD": 0.2, "JPM": 0.2})),
        Strategy(id="miners_to_ai", thesis="Miners.", weighting=Fixed({"RIOT": 0.5, "MARA": 0.5})),
        Strategy(id="gold", thesis="Gold.", weighting=Fixed({"GLD": 1.0})),
    ]  # fmt: skip
    return backtest(strategies, prices, "equity", Costs())


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("evidence")
    result = thesis_result()
    index = write_report(result, out, tearsheets=False, progress=False)
    return result, out, index.read_text(encoding="utf-8")


def test_thesis_csv_has_every_claim_with_the_exact_columns(written):
    _, out, _ = written
    thesis = pd.read_csv(out / "thesis.csv", dtype={"claim": str}, keep_default_na=False)
    assert list(thesis.columns) == COLUMNS
    assert list(dict.fromkeys(thesis.claim)) == ["1", "2", "3", "4", "5", "6"]
    verdicts = thesis.set_index("statistic")["verdict"]
    # the made-up miners swap BTC for AI at the halving: claim 4 must see it
    assert verdicts["change in BTC-USD loading"] == "supported"
    assert verdicts["change in gpu_datacenter loading"] == "supported"
    # no prices before 2021: the pre-2020 comparison is not tested, and says why
    assert verdicts["correlation change"].startswith("not tested: only 0 days")
    quoted = thesis[thesis.claim == "6"]
    measured = quoted[quoted.period.str.startswith("2025-04-02")]  # the 2020-21 moves are before the data
    assert len(measured) == 5 and (measured.verdict == "").all() and (measured.ci_low == "").all()
    assert quoted.verdict.drop(measured.index).str.startswith("not tested: SPY's prices do not").any()


def test_attribution_csv_covers_every_strategy(written):
    result, out, _ = written
    table = pd.read_csv(out / "attribution.csv")
    assert set(table.strategy) == set(result.returns.columns)
    for strategy, own in table[table.measure == "return_contribution"].groupby("strategy"):
        assert own.value.sum() == pytest.approx((1 + result.returns[strategy]).prod() - 1, abs=1e-9)


def test_metrics_csv_and_table_carry_bootstrap_intervals(written):
    _, out, page = written
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    for metric in METRICS:
        assert (metrics[f"{metric}_ci_low"] <= metrics[metric]).all()
        assert (metrics[metric] <= metrics[f"{metric}_ci_high"]).all()
    low, high = metrics.loc["spy", ["sharpe_ci_low", "sharpe_ci_high"]]
    assert f'title="95% bootstrap interval: {low:.2f} to {high:.2f}"' in page


def test_the_dashboard_opens_with_the_scorecard_and_has_the_new_sections(written):
    _, _, page = written
    assert page.index('id="scorecard"') < page.index('id="metrics"')
    assert page.count('class="claim"') == 6
    for section in ("miners", "attribution"):
        assert f'id="{section}"' in page
    for figure in ("pivot", "contribution-return", "contribution-risk"):
        assert f'data-target="fig-{figure}"' in page


def test_shared_prices_thesis_csv_tests_every_claim_and_quotes_the_data(shared_prices, tmp_path):
    from infrabt.engine.api import run

    result = run(offline=True)
    write_report(result, tmp_path, tearsheets=False, progress=False)
    thesis = pd.read_csv(tmp_path / "thesis.csv", dtype={"claim": str})
    assert list(dict.fromkeys(thesis.claim)) == ["1", "2", "3", "4", "5", "6"]
    tested = thesis[thesis.claim != "6"]
    assert tested.verdict.isin(["supported", "not supported", "inconclusive"]).all(), tested.verdict
    assert (tested.ci_low < tested.ci_high).all()
    moves = thesis[thesis.claim == "6"]
    assert moves.verdict.isna().all() and len(moves) == 8
    covid = moves[moves.statement.str.startswith("SPY") & (moves.period == "2020-02-19 to 2020-03-23")]
    assert round(covid.estimate.iloc[0], 3) == -0.337 and covid.threshold.iloc[0] == -0.34
    for row in moves.itertuples():  # every move, recomputed from the source CSV files
        ticker = row.statement.split()[0]
        closes = pd.read_csv(SHARED_PRICES / f"{ticker}.csv", index_col="Date", parse_dates=True)["Adj Close"]
        first, last = (pd.Timestamp(d) for d in row.period.split(" to "))
        assert row.estimate == pytest.approx(closes[last] / closes[first] - 1, rel=1e-9), row.statement
    attribution = pd.read_csv(tmp_path / "attribution.csv")
    assert set(attribution.strategy) == set(result.returns.columns)


def test_a_day_without_a_previous_close_has_no_return_in_the_statistics():
    """As 0, the panel's first day and each listing day entered every beta and correlation as made-up
    pairs."""
    from infrabt.reports.thesis import asset_returns

    index = pd.bdate_range("2024-01-01", periods=6)
    prices = pd.DataFrame(
        {"OLD": [100.0, 110, 99, 99, 120, 126], "NEW": [np.nan, np.nan, 50, 55, 44, 44]}, index=index
    )
    returns = asset_returns(prices)
    assert returns["OLD"].isna().tolist() == [True] + [False] * 5
    assert returns["NEW"].isna().tolist() == [True, True, True, False, False, False]  # lists on day 3
    assert returns.loc[index[3], "NEW"] == pytest.approx(0.1) and returns.loc[
        index[4], "OLD"
    ] == pytest.approx(120 / 99 - 1)


def test_the_thesis_reads_its_assets_from_the_cache_whichever_strategies_ran(sweep_store, tmp_path):
    """sixty_forty alone holds neither GLD nor BTC-USD: the thesis takes their cached prices on the run's
    days, so the attribution regresses on every factor and the gold and BTC claims are tested, with the
    numbers of a run whose strategies hold them (they read "GLD is not in this run's prices", and the
    regression dropped two factors)."""
    import infrabt as ib

    tables = {}
    for name, strategies in {"alone": ["sixty_forty"], "with": ["sixty_forty", "gold", "pure_btc"]}.items():
        result = ib.run(strategies, start="2019-07-01", offline=True)
        write_report(result, tmp_path / name, tearsheets=False, progress=False)
        tables[name] = [pd.read_csv(tmp_path / name / f) for f in ("thesis.csv", "attribution.csv")]
    (alone, alone_factors), (held, held_factors) = tables["alone"], tables["with"]
    assert not alone["verdict"].fillna("").str.contains("(GLD|BTC-USD|QQQ) has no prices").any()
    assert (alone["verdict"].fillna("") == held["verdict"].fillna("")).all()
    np.testing.assert_allclose(alone["estimate"], held["estimate"], rtol=1e-12, equal_nan=True)
    assert alone["estimate"].notna().any()

    def regression(table):
        own = table[(table.strategy == "sixty_forty") & table.measure.isin(["alpha_annualized", "beta"])]
        return own.set_index(["measure", own["item"].fillna("")])["value"]

    assert {"GLD", "BTC-USD"} <= set(regression(alone_factors).index.get_level_values(1))
    pd.testing.assert_series_equal(regression(alone_factors), regression(held_factors), rtol=1e-12)


def test_an_unreadable_or_short_thesis_asset_is_named_and_the_others_still_count(sweep_store, tmp_path):
    """One corrupt file among the thesis's added tickers dropped all of them, unnamed (sixty_forty's alpha
    moved from -1.85% to -0.33% on SPY alone): only that one is left out, with a note naming it; a series
    ending before the run's last day is noted too, since its statistics stop there."""
    import json

    import infrabt as ib

    gld = sweep_store.path("GLD")
    gld.write_bytes(gld.read_bytes()[: gld.stat().st_size // 2])
    closes = sweep_store.read("QQQ")["Adj Close"]
    sweep_store.write("QQQ", closes[:"2021-06-30"].to_frame(), source="short")
    result = ib.run(["sixty_forty"], start="2019-07-01", offline=True)
    with pytest.warns(DataNotice, match="GLD is left out") as shown:  # the CLI prints them as notes
        write_report(result, tmp_path / "out", tearsheets=False, progress=False)
    assert any("QQQ's prices end" in str(w.message) for w in shown)
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    notes = " | ".join(run["notes"])
    assert "GLD is left out of the thesis check and the attribution" in notes and "GLD.parquet" in notes
    assert "QQQ's prices end 2021-06-30, before the run's last day" in notes
    assert set(run["thesis_data"]) == {"QQQ", "BTC-USD"}
    table = pd.read_csv(tmp_path / "out" / "attribution.csv")
    betas = set(table[(table.strategy == "sixty_forty") & (table.measure == "beta")]["item"])
    assert betas == {"SPY", "QQQ-SPY", "BTC-USD"}
    assert "GLD is left out" in (tmp_path / "out" / "index.html").read_text()


def test_a_cache_held_past_the_wait_fails_the_report_as_it_fails_a_run(sweep_store, tmp_path, monkeypatch):
    """A writer holding the cache past INFRABT_LOCK_WAIT: the thesis's read fails as the run's own read does,
    instead of waiting once more per added ticker and going on with a thesis quietly short of them."""
    import infrabt as ib
    import infrabt.data.prices
    from infrabt.data.locks import LockedError

    result = ib.run(["sixty_forty"], start="2019-07-01", offline=True)
    calls = []

    def held(*args, **kwargs):
        calls.append(args)
        raise LockedError("the price cache is still in use by infrabt process 1 after 600 s; retry")

    monkeypatch.setattr(infrabt.data.prices, "load_prices", held)
    with pytest.raises(LockedError, match="still in use"):
        write_report(result, tmp_path / "out", tearsheets=False, progress=False)
    assert len(calls) == 1


def test_a_benchmark_holding_gold_still_compares_gold_with_btc_in_crises(sweep_store, tmp_path):
    """With --benchmark gold the page said gold and BTC "are not both in this run's prices" above a chart of
    both, and called the benchmark GOLD; gold is compared with BTC, and the benchmark is called GLD."""
    import infrabt as ib

    result = ib.run(["pure_btc", "spy"], benchmark="gold", start="2019-07-01", offline=True)
    page = write_report(result, tmp_path / "out", tearsheets=False, progress=False).read_text()
    assert "Gold beat BTC in" in page and "are not both in this run" not in page
    assert "GOLD" not in page and "GLD drawdown #1" in page and "beta to GLD averaged" in page
