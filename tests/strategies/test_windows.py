"""Lookbacks as session counts or durations: a duration spans the same days on either calendar."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.calendar import crypto_calendar, equity_calendar
from infrabt.data.errors import StrategyError
from infrabt.engine.api import warmup
from infrabt.strategies import CorrelationSwitch, Fixed, InverseVolatility, Strategy, TrendFilter
from infrabt.strategies.windows import history_days, rolling, when_full

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
