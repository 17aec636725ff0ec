"""No look-ahead, for every shipped strategy: changing prices from day t on must not change anything decided
before t's close, nor any return before t.

The row traded at the close of t is decided on closes up to t-1, so perturbing closes from t onward may change
fills and returns from t on, but never the orders up to and including t, nor returns before t.
"""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrabt.engine.backtest import backtest, backtest_days, build_orders
from infrabt.engine.result import Costs
from infrabt.strategies import DriftBand, Fixed, InverseVolatility, Strategy, load_strategies
from tests.synthetic import random_walk

DAYS, START = 420, 300  # 300 days of warm-up: the 200-day trend filter is filled on the first day
LATE_LISTINGS = {"SOL-USD": 150, "HOOD": 310, "GLXY": 340, "CORZ": 360}  # first price: row number

DRIFT = Strategy(
    id="drift_probe",
    thesis="Not shipped: exercises the drift band and inverse volatility.",
    assets=("SPY", "TLT", "GLD"),
    weighting=InverseVolatility(lookback=20),
    rebalance=DriftBand(tolerance=0.02),
)
STRATEGIES = {**load_strategies(), DRIFT.id: DRIFT, "fixed": Strategy(
    id="fixed", thesis="t", weighting=Fixed({"SPY": 0.5, "BTC-USD": 0.5}), rebalance="weekly"
)}  # fmt: skip
TICKERS = list(dict.fromkeys(t for s in STRATEGIES.values() for t in s.tickers))


def synthetic_panel(seed: int) -> pd.DataFrame:
    drift = np.random.default_rng(seed + 1).normal(0, 0.002, len(TICKERS))  # up and down: trend filters flip
    prices = random_walk(TICKERS, DAYS, "2022-01-03", seed, drift=drift, volatility=0.03)
    for ticker, first in LATE_LISTINGS.items():
        prices.iloc[:first, prices.columns.get_loc(ticker)] = np.nan
    prices.iloc[400:, prices.columns.get_loc("USO")] = np.nan  # USO's history ends inside the backtest
    return prices


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cut=st.integers(START, DAYS - 2),  # START: the first allocation's own close is perturbed too
    shock=st.floats(-0.5, 0.5).filter(lambda x: abs(x) > 0.01),
    noise_seed=st.integers(0, 10_000),
)
def test_changing_prices_from_t_on_changes_nothing_decided_before(seed, cut, shock, noise_seed):
    prices = synthetic_panel(seed)
    noise = np.random.default_rng(noise_seed).normal(0, 0.05, (DAYS - cut, len(TICKERS)))
    changed = prices.copy()
    changed.iloc[cut:] = prices.iloc[cut:] * np.exp(shock + np.cumsum(noise, axis=0))
    t = prices.index[cut]
    start = prices.index[START]
    costs = Costs(fees=0.001, slippage=0.001)
    before = backtest(STRATEGIES, prices, "equity", costs, start=start)
    after = backtest(STRATEGIES, changed, "equity", costs, start=start)
    assert not before.failures and not after.failures
    days = backtest_days(prices, start)
    for sid, strategy in STRATEGIES.items():
        orders_before = build_orders(strategy, prices, days).loc[:t]
        orders_after = build_orders(strategy, changed, days).loc[:t]
        pd.testing.assert_frame_equal(orders_before, orders_after, obj=f"{sid} orders up to {t.date()}")
        earlier = before.returns.index < t
        pd.testing.assert_series_equal(
            before.returns.loc[earlier, sid], after.returns.loc[earlier, sid], obj=f"{sid} returns before t"
        )
        pd.testing.assert_frame_equal(
            before.weights[sid].loc[earlier], after.weights[sid].loc[earlier], obj=f"{sid} weights before t"
        )
    # the perturbation is real: returns from t on do move
    assert not np.allclose(before.returns.loc[t:, "spy"], after.returns.loc[t:, "spy"])
