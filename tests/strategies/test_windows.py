"""Lookbacks as session counts or durations: a duration spans the same days on either calendar."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.calendar import crypto_calendar, equity_calendar
from infrabt.data.errors import StrategyError
from infrabt.engine.api import warmup
from infrabt.strategies import CorrelationSwitch, Fixed, InverseVolatility, Strategy, TrendFilter
from infrabt.strategies.windows import history_days, rolling, rolling_std, when_full

JUMP = pd.Timestamp("2021-10-05")  # a Tuesday: a session on both calendars


def crypto_series() -> pd.Series:
    """BTC every calendar day of 2021-2022: a slow rise, a 90% fall on JUMP, then a slow rise again.

    Right after the fall, one pre-fall close in a 200-day window holds the average above the price, so the
    rule is out exactly until the last pre-fall close leaves the window: a question of calendar days only.
    """
    days = crypto_calendar("2021-01-04", "2022-12-30")  # starts on a Monday
    age = np.arange(len(days), dtype=float)
    price = 100 * (1 + 1e-4 * age)
    price[days >= JUMP] = 10 * (1 + 1e-5 * age[days >= JUMP])
    return pd.Series(price, index=days, name="BTC-USD")


def btc_weight(lookback, calendar: str) -> pd.Series:
    series = crypto_series()
    if calendar == "equity":
        series = series.loc[series.index.isin(equity_calendar(series.index[0], series.index[-1]))]
    strategy = Strategy(id="t", thesis="t", weighting=Fixed({"BTC-USD": 1.0}),
                        overlays=(TrendFilter("BTC-USD", lookback=lookback),), rebalance="daily")  # fmt: skip
    return strategy.target_weights(series.to_frame())["BTC-USD"]


def test_a_duration_gives_the_same_signal_for_a_crypto_series_on_both_calendars():
    crypto, equity = btc_weight("200D", "crypto"), btc_weight("200D", "equity")
    common = equity.index.intersection(crypto.index)
    assert len(common) > 400
    pd.testing.assert_series_equal(equity.loc[common], crypto.loc[common])
    # in from the day the window is full (200 days after the first close), out from the fall until it leaves
    held = crypto[crypto > 0].index
    assert held[0] == pd.Timestamp("2021-01-04") + pd.Timedelta(days=200)
    assert not crypto.loc[JUMP + pd.Timedelta(days=1) : JUMP + pd.Timedelta(days=199)].any()
    assert crypto.loc[JUMP + pd.Timedelta(days=200)] == 1.0


def test_a_session_count_means_a_longer_span_on_the_equity_calendar():
    crypto, equity = btc_weight(200, "crypto"), btc_weight(200, "equity")
    common = equity.index.intersection(crypto.index)
    differs = equity.loc[common] != crypto.loc[common]
    assert differs.sum() > 100  # 200 sessions ~ 290 calendar days: in later, out longer


def test_a_duration_window_is_full_only_after_its_span_from_the_first_price():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    data = pd.Series(np.arange(10.0), index=index).where(index >= "2024-01-03")
    means = when_full(rolling(data, "3D").mean(), data, "3D")
    assert means.first_valid_index() == pd.Timestamp("2024-01-05")  # prices from the 3rd: 3rd, 4th, 5th
    assert means["2024-01-05"] == pytest.approx(3.0)  # the mean of 2, 3, 4: a three-day window


@pytest.mark.parametrize("bad", ["soon", "12h", "-5D", "0D"])
def test_a_lookback_that_is_not_a_whole_number_of_days_is_refused_by_name(bad):
    with pytest.raises(StrategyError, match="not a duration in whole days"):
        TrendFilter(lookback=bad)


def test_a_fractional_session_count_is_refused_by_name_and_a_whole_float_is_a_count():
    """lookback = 10.5 reached a sweep's workers and failed there (pandas: min_periods must be an integer)."""
    with pytest.raises(StrategyError, match=r"TrendFilter: lookback=10.5 is not a whole number of sessions"):
        TrendFilter(lookback=10.5)
    whole = InverseVolatility(lookback=20.0)
    assert whole.lookback == 20 and isinstance(whole.lookback, int)


def test_warmup_covers_a_duration_in_calendar_days_and_a_count_in_sessions():
    def strategy(lookback):
        return Strategy(id="t", thesis="t", weighting=InverseVolatility(lookback=lookback), assets=("SPY",))

    assert warmup([strategy("200D")]) == pd.Timedelta(days=200 + 14)
    assert warmup([strategy(200)]) == pd.Timedelta(days=history_days(200)) >= pd.Timedelta(days=290)
    both = Strategy(id="b", thesis="t", weighting=InverseVolatility(lookback=30), assets=("SPY", "BTC-USD"),
                    overlays=(CorrelationSwitch(lookback="365D"),))  # fmt: skip
    assert both.lookback == "365D" and warmup([both]) == pd.Timedelta(days=365 + 14)


def test_the_shipped_crypto_rules_use_durations():
    from infrabt.strategies import load_strategies

    known = load_strategies()
    assert known["btc_trend"].overlays[0].lookback == "200D"
    assert known["btc_corr_switch"].overlays[0].lookback == "91D"


def test_rolling_std_of_many_lookbacks_equals_a_direct_two_pass_and_pandas():
    """One pass of cumulative sums for many lookbacks, against each window's two-pass standard deviation
    (numpy, window by window) and pandas' rolling std, on returns built to trip it: holes, a listing and a
    delisting, a run of identical values (exactly 0, as pandas), a calm stretch before a wild one, pairs of
    nearly equal values and values far from zero (on those two pandas' own running update loses digits, so
    only the direct computation is the reference)."""
    rng = np.random.default_rng(5)
    values = rng.normal(0.001, 0.04, (1500, 7))
    values[:200, 1] = np.nan  # listed late
    values[700:705, 2] = np.nan  # a hole
    values[1200:, 3] = np.nan  # delisted
    values[400:480, 4] = 0.0  # a price that did not move
    values[:, 5] = rng.normal(0, 1e-5, 1500) * np.where(np.arange(1500) < 900, 1, 1e4)
    values[1::2, 0] = values[::2, 0] + 1e-9  # each odd row almost repeats the one before
    values[:, 6] += 50.0
    counts = [2, 3, 5, 21, 63, 252]
    batched = rolling_std(values, counts)
    zeros = 0
    for n in counts:
        direct = np.full(values.shape, np.nan)
        direct[n - 1 :] = np.lib.stride_tricks.sliding_window_view(values, n, axis=0).std(axis=2, ddof=1)
        by_pandas = pd.DataFrame(values).rolling(n, min_periods=n).std().to_numpy()
        got = batched[n]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(direct))
        np.testing.assert_array_equal(got[by_pandas == 0], 0.0)
        zeros += (by_pandas == 0).sum()
        for expected, columns in ((direct, slice(None)), (by_pandas, slice(1, 6))):
            scale = np.where(expected > 0, expected, 1.0)[:, columns]
            np.testing.assert_allclose(
                got[:, columns] / scale, expected[:, columns] / scale, rtol=0, atol=1e-9, equal_nan=True
            )
    assert zeros > 0  # the identical-values case is exercised
    # only some rows (a sweep's trade dates, the first rows before any window is full among them): those rows
    # of the whole result, bit for bit, the windows summed directly included
    rows = np.sort(np.random.default_rng(6).choice(len(values), 300, replace=False))
    rows[:3] = [0, 1, 2]
    for n, some in rolling_std(values, counts, rows).items():
        np.testing.assert_array_equal(some, batched[n][rows])


def test_a_stale_price_has_no_volatility_and_gets_no_inverse_volatility_weight():
    """Three unchanged closes after moving ones (HUT, 2018-12-27..31 in the shared data): the window's
    standard deviation is exactly 0, so the asset gets no weight. pandas' rolling std leaves a residue there
    (its running update), and 1 / residue used to put ~100% of the portfolio in the stale asset."""
    moves = [-0.033, -0.0951, 0.1109, -0.1286, 0.1311, 0.0386, 0.0050, 0.0, 0.0, 0.0]
    stale = pd.Series(100 * np.cumprod([1.0, *(1 + np.array(moves))]))
    returns = stale.pct_change().to_numpy()[:, None]
    assert rolling_std(returns, [3])[3][-1, 0] == 0.0
    assert stale.pct_change().rolling(3).std().iloc[-1] > 0  # the residue this avoids (pandas 3.x)
    days = pd.bdate_range("2018-12-14", periods=len(stale) + 1)
    steady = 50 * np.cumprod(1 + np.random.default_rng(1).normal(0, 0.01, len(days)))
    prices = pd.DataFrame({"HUT": [*stale, stale.iloc[-1]], "SPY": steady}, index=days)
    weights = InverseVolatility(lookback=3)(prices.shift(1))  # row t sees closes up to t-1
    assert weights["HUT"].iloc[-1] == 0.0 and weights["SPY"].iloc[-1] == 1.0
