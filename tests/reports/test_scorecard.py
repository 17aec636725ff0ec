"""The tested thesis: each statistic recovers a known truth on synthetic returns, its interval covers it, the
verdict follows the interval, and a run without the inputs says "not tested" instead of failing."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import ConfigError
from infrabt.engine import bootstrap, metrics
from infrabt.engine.crises import Crisis
from infrabt.reports.claims import ClaimTest, Settings, Thesis, load_claims
from infrabt.reports.pivot import before_after
from infrabt.reports.regression import hac_fit
from infrabt.reports.scorecard import (
    COLUMNS,
    Inputs,
    NotTested,
    forbes_rigobon,
    judge,
    loading_change_test,
    loadings,
    move_test,
    score,
    sharpe_difference_test,
)
from infrabt.reports.thesis import conditional_betas

SPLIT = pd.Timestamp("2024-04-20")


def inputs_for(assets: pd.DataFrame, strategies: "pd.DataFrame | None" = None, windows=()) -> Inputs:
    strategies = assets if strategies is None else strategies
    return Inputs(assets, strategies, (1 + assets.fillna(0)).cumprod(), list(windows), Settings(), 252)


def pivot_returns(seed: int = 1) -> pd.DataFrame:
    """A miner with BTC beta 1.5 and AI beta 0.2 before the split, 0.5 and 1.0 after."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-01-04", "2026-06-30")
    btc = rng.normal(0.001, 0.03, len(days))
    ai = 0.3 * btc + rng.normal(0.0005, 0.015, len(days))
    after = days >= SPLIT
    miner = np.where(after, 0.5, 1.5) * btc + np.where(after, 1.0, 0.2) * ai + rng.normal(0, 0.02, len(days))
    return pd.DataFrame({"MINER": miner, "BTC-USD": btc, "AI": ai}, index=days)


PIVOT_TEST = ClaimTest(statistic="loading_change", asset="MINER", factors=("BTC-USD", "AI"), factor="BTC-USD",
                  base_start=pd.Timestamp("2021-01-01"), base_end=SPLIT - pd.Timedelta(days=1), start=SPLIT,
                  side="below", threshold=0.0)  # fmt: skip


def test_claim4_regression_recovers_a_beta_of_1_5_before_and_0_5_after_within_its_intervals():
    returns = pivot_returns()
    inputs = inputs_for(returns)
    for period, truth in ((returns[: SPLIT - pd.Timedelta(days=1)], 1.5), (returns[SPLIT:], 0.5)):
        point, draws = loadings(period, inputs)
        low, high = bootstrap.interval(draws[:, 1])
        assert low < truth < high, (truth, low, high)
        assert high - low < 0.2  # an interval that says something
        # the batched solve is ordinary least squares: statsmodels gives the same coefficients
        fit = hac_fit(period["MINER"], period[["BTC-USD", "AI"]])
        np.testing.assert_allclose(point, fit.params.to_numpy(), rtol=1e-9)
    outcome = loading_change_test(PIVOT_TEST, inputs)
    low, high = inputs.interval(outcome.draws)
    assert outcome.estimate == pytest.approx(-1.0, abs=0.1) and low < -1.0 < high
    assert judge(low, high, 0.0, "below") == "supported"


def test_per_miner_table_reads_the_pivot_with_newey_west_errors():
    row = before_after(pivot_returns(), PIVOT_TEST)
    _, _, _, btc_before, btc_after, btc_t, ai_before, ai_after, ai_t, verdict = row
    assert btc_before == pytest.approx(1.5, abs=0.1) and btc_after == pytest.approx(0.5, abs=0.1)
    assert ai_before == pytest.approx(0.2, abs=0.15) and ai_after == pytest.approx(1.0, abs=0.15)
    assert btc_t < -5 and ai_t > 5 and verdict == "pivoted"


def sharpe_pair(seed: int, days: int, sharpe_a: float, sharpe_b: float) -> pd.DataFrame:
    """Two independent normal return series with the given annualized Sharpe ratios (daily sd 1%)."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2015-01-01", periods=days)
    mean = np.array([sharpe_a, sharpe_b]) / np.sqrt(252) * 0.01
    return pd.DataFrame(rng.normal(mean, 0.01, (days, 2)), index=index, columns=["a", "b"])


def test_a_zero_difference_pair_gives_intervals_that_contain_zero():
    test = ClaimTest(statistic="sharpe_difference", asset="a", versus="b", side="above", threshold=0.0)
    contains = []
    for seed in range(20):
        outcome = sharpe_difference_test(test, inputs_for(sharpe_pair(seed, 756, 0.8, 0.8)))
        low, high = bootstrap.interval(outcome.draws)
        contains.append(low < 0 < high)
    assert sum(contains) >= 16, contains  # 95% intervals: about 19 of 20


def test_a_known_sharpe_difference_is_recovered():
    returns = sharpe_pair(7, 252 * 30, 1.5, 0.5)  # 30 years: a tight interval
    test = ClaimTest(statistic="sharpe_difference", asset="a", versus="b", side="above", threshold=0.0)
    outcome = sharpe_difference_test(test, inputs_for(returns))
    expected = metrics.sharpe(returns["a"], 252) - metrics.sharpe(returns["b"], 252)  # quantstats
    assert outcome.estimate == pytest.approx(expected, rel=1e-9)
    low, high = bootstrap.interval(outcome.draws)
    assert low < 1.0 < high and high - low < 1.2  # sd of a Sharpe over 30 years: ~0.26
    assert judge(low, high, 0.0, "above") == "supported"


def test_the_sharpe_interval_covers_the_truth_in_at_least_88_of_200_samples():
    """Coverage of the stationary bootstrap's 95% percentile interval on 200 seeded samples of 500 days."""
    days, truth = 500, 0.8
    indices = bootstrap.resample_indices(days)
    rng = np.random.default_rng(2024)
    daily_mean = truth / np.sqrt(252) * 0.01
    covered = 0
    for _ in range(200):
        sample = rng.normal(daily_mean, 0.01, days)
        low, high = bootstrap.interval(bootstrap.sharpe_draws(sample[indices], 252))
        covered += low < truth < high
    assert covered >= 176, f"{covered} of 200 intervals contain the true Sharpe"


def test_metric_intervals_bracket_the_metrics_engine_reports():
    returns = sharpe_pair(3, 1000, 1.0, 0.3)
    table = bootstrap.metric_intervals(returns, 252)
    point = metrics.summary(returns, returns["a"], 252)
    for metric in bootstrap.METRICS:
        assert (table[f"{metric}_ci_low"] < point[metric]).all(), metric
        assert (point[metric] < table[f"{metric}_ci_high"]).all(), metric
    values = returns["a"].to_numpy()
    draws = bootstrap.max_drawdown_draws(values[None, :])
    assert draws[0] == pytest.approx(metrics.max_drawdown(returns["a"]), rel=1e-12)  # same definition


def test_beta_and_beta_asymmetry_match_the_engine_and_the_thesis_check():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2022-01-03", periods=800)
    market = rng.normal(0.0003, 0.01, len(days))
    asset = np.where(market < 0, 2.0, 0.8) * market + rng.normal(0, 0.01, len(days))
    frame = pd.DataFrame({"X": asset, "SPY": market}, index=days)
    thesis = Thesis(Settings(), ())
    rows = [ClaimTest(statistic=s, asset="X", versus="SPY", side="above", threshold=0.0)
            for s in ("beta", "beta_asymmetry")]  # fmt: skip
    from infrabt.reports.claims import Claim

    table = score(dataclasses.replace(thesis, claims=(Claim("1", "t", "", tuple(rows)),)), inputs_for(frame))
    assert table.estimate[0] == pytest.approx(metrics.beta(frame.X, frame.SPY), rel=1e-9)
    betas = conditional_betas(frame[["X"]], frame.SPY).loc["X"]
    assert table.estimate[1] == pytest.approx(betas.downside_beta - betas.upside_beta, rel=1e-9)
    assert table.ci_low[1] < 1.2 < table.ci_high[1] and table.verdict[1] == "supported"


def test_forbes_rigobon_removes_the_rise_in_correlation_that_volatility_alone_causes():
    """The same linear link in calm and crisis; crises only have a 3x more volatile market: the raw crisis
    correlation is higher, the adjusted one is back at the calm level."""
    rng = np.random.default_rng(5)
    calm_market, crisis_market = rng.normal(0, 0.01, 20_000), rng.normal(0, 0.03, 20_000)
    calm = 0.8 * calm_market + rng.normal(0, 0.015, 20_000)
    crisis = 0.8 * crisis_market + rng.normal(0, 0.015, 20_000)
    calm_corr = np.corrcoef(calm, calm_market)[0, 1]
    raw = np.corrcoef(crisis, crisis_market)[0, 1]
    adjusted = forbes_rigobon(raw, crisis_market.var(), calm_market.var())
    assert raw > calm_corr + 0.3
    assert adjusted == pytest.approx(calm_corr, abs=0.02)
    assert forbes_rigobon(0.5, 1.0, 1.0) == pytest.approx(0.5)


def test_verdicts_follow_the_interval():
    assert judge(1.1, 1.5, 1.0, "above") == "supported"
    assert judge(0.5, 0.9, 1.0, "above") == "not supported"
    assert judge(0.9, 1.5, 1.0, "above") == "inconclusive"
    assert judge(-0.5, -0.1, 0.0, "below") == "supported"
    assert judge(0.1, 0.5, 0.0, "below") == "not supported"
    assert judge(np.nan, np.nan, 0.0, "below").startswith("not tested")


def test_a_run_without_the_inputs_reports_not_tested_with_the_reason():
    days = pd.bdate_range("2021-01-04", periods=300)
    frame = pd.DataFrame({"SPY": np.random.default_rng(0).normal(0, 0.01, len(days))}, index=days)
    window = Crisis("w", "W", days[10], days[40])
    table = score(load_claims(), inputs_for(frame, frame.rename(columns={"SPY": "spy"}), [window]))
    assert list(table.columns) == COLUMNS
    assert set(table.claim) == {"1", "2", "3", "4", "5", "6"}
    assert table.verdict.str.startswith("not tested").all(), table.verdict  # nothing else: only SPY, 2021-22
    verdicts = " ".join(table.verdict)
    assert "BTC-USD has no prices for this run (not in the price cache: `infrabt data update BTC-USD`" in (
        verdicts
    )
    assert "strategy infra_thesis is not in this run" in " ".join(table.verdict)


def test_the_claims_file_is_data_a_threshold_edit_changes_the_verdict(tmp_path):
    shipped = load_claims()
    assert [c.id for c in shipped.claims] == ["1", "2", "3", "4", "5", "6"]
    assert shipped.settings == Settings(resamples=1000, mean_block=21, seed=20240420, confidence=0.95)
    returns = sharpe_pair(7, 252 * 30, 1.5, 0.5)
    path = tmp_path / "mine.toml"
    for threshold, verdict in ((0.0, "supported"), (2.0, "not supported"), (1.0, "inconclusive")):
        path.write_text(
            f'[[claim]]\nid = "x"\ntitle = "a beats b"\n[[claim.test]]\nstatistic = "sharpe_difference"\n'
            f'asset = "a"\nversus = "b"\nabove = {threshold}\n'
        )
        table = score(load_claims(path), inputs_for(returns))
        assert table.verdict[0] == verdict, threshold


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "alpha"\nasset = "a"\nabove = 0\n',
         r"mine\.toml, claim 1, test 1: statistic 'alpha' is unknown; use one of beta"),
        ('[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "beta"\nasset = "a"\nversus = "b"\n',
         r"claim 1, test 1: give exactly one threshold, above = X or below = X"),
        ('[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "beta"\nasset = "a"\nabove = 1\n',
         r"claim 1, test 1: beta needs 'versus'"),
        ('[bootstrap]\nresamples = -5\n', r"\[bootstrap\] resamples = -5 must be a positive number"),
        ('[bootstrap]\nmean_block = 0.5\n', r"\[bootstrap\] mean_block = 0.5 must be a whole number"),
        ('[[claim]]\nid = "2"\ntitle = "t"\n[[claim.test]]\nstatistic = "correlation_change"\nasset = "a"\n'
         'versus = "b"\nstart = 2022-01-01\nabove = 0\n', r"claim 2, test 1: correlation_change compares two "
         r"periods; give base_end"),
        ('[[claim]]\nid = "2"\ntitle = "t"\n[[claim.test]]\nstatistic = "correlation_change"\nasset = "a"\n'
         'versus = "b"\nbase_end = 2022-06-01\nstart = 2022-01-01\nabove = 0\n',
         r"base_end must come before start"),
        ('[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "move"\nasset = "a"\n'
         'start = "2020-02-30"\nend = 2020-03-01\nquoted = 1\n', r"start = '2020-02-30' is not a date"),
        ('[[claim]]\nid = "1"\ntitle = "t"\n[[claim.test]]\nstatistic = "beta"\nasset = "a"\nversus = "b"\n'
         'windows = ["covid"]\nabove = 1\n', r"claim 1, test 1: beta does not read crisis windows"),
    ],
)  # fmt: skip
def test_a_malformed_claims_file_names_the_file_the_claim_and_the_fix(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_claims(path)


def test_a_crisis_window_the_claims_name_but_nobody_listed_is_an_error():
    from infrabt.reports.scorecard import _windows

    listed = [SimpleNamespace(id="covid", computed=False), SimpleNamespace(id="ftx", computed=False)]
    assert [w.id for w in _windows(listed, ("ftx",))] == ["ftx"]
    with pytest.raises(ConfigError, match=r"crisis window\(s\) covdi, not listed \(covid, ftx\)"):
        _windows(listed, ("covdi",))


def test_a_test_not_run_says_why_its_asset_has_no_prices():
    """They all read "X is not in this run's prices", which the thesis check's reading of the cache made
    wrong: an equity on the crypto calendar, a ticker never cached, a name that is no ticker (a typo), a
    group given to a move."""
    days = pd.date_range("2021-01-04", periods=300)  # every day: the crypto calendar (365 a year)
    btc = pd.DataFrame({"BTC-USD": np.random.default_rng(0).normal(0, 0.03, len(days))}, index=days)
    inputs = inputs_for(btc, btc.rename(columns={"BTC-USD": "pure_btc"}), [])
    inputs = Inputs(inputs.assets, inputs.strategies, inputs.prices, [], inputs.settings, 365)
    reasons = {}
    for name in ("SPY", "miners", "miner", "ETH-USD"):
        with pytest.raises(NotTested) as caught:
            inputs.asset(name)
        reasons[name] = str(caught.value)
    weekends = "(the crypto calendar: it does not trade at weekends)"
    assert reasons["SPY"] == f"SPY has no prices for this run {weekends}"
    assert reasons["miners"].startswith("no miners ticker has prices for this run (the crypto calendar")
    assert reasons["miner"].endswith("neither a ticker the universe lists nor a group; did you mean miners?")
    assert "not in the price cache: `infrabt data update ETH-USD`" in reasons["ETH-USD"]
    move = ClaimTest(statistic="move", asset="miners", start=days[5], end=days[9])
    with pytest.raises(NotTested, match="miners is a group: a move is quoted for one ticker"):
        move_test(move, inputs)
