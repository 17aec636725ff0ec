"""simulate(): one vectorbt call, checked against a hand-written numpy portfolio."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import StrategyError
from infrabt.engine.result import Costs
from infrabt.engine.simulate import simulate
from tests.synthetic import random_walk

NO_COSTS = Costs(fees=0.0, slippage=0.0, init_cash=1_000.0)


def random_prices() -> pd.DataFrame:
    return random_walk(["A", "B", "C"])


def reference_value(prices: pd.DataFrame, targets: pd.DataFrame, init_cash: float) -> np.ndarray:
    """Value with no costs: at each order row, hold target weight x value in each asset (NaN = keep)."""
    close = prices.to_numpy()
    weights = targets.reindex(prices.index).to_numpy()
    shares = np.zeros(close.shape[1])
    cash = init_cash
    values = []
    for day in range(len(close)):
        value = cash + shares @ close[day]
        ordered = ~np.isnan(weights[day])
        shares[ordered] = weights[day, ordered] * value / close[day, ordered]
        cash = value - shares @ close[day]
        values.append(cash + shares @ close[day])
    return np.array(values)


def test_zero_cost_portfolio_matches_a_numpy_reference():
    prices = random_prices()
    rng = np.random.default_rng(1)
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    for day in range(0, len(prices), 17):
        raw = rng.uniform(0, 1, 3)
        targets.iloc[day] = raw / raw.sum() * rng.uniform(0.5, 1.0)
    targets.iloc[40, 1] = np.nan  # a partial order: B keeps its shares
    pf = simulate(prices, {"mix": targets}, NO_COSTS)
    expected = reference_value(prices, targets, NO_COSTS.init_cash)
    np.testing.assert_allclose(pf.value()["mix"].to_numpy(), expected, rtol=1e-9)
    assert pf.engine == "rust"  # no numba compile (~20 s per process)


def test_variants_are_grouped_and_independent():
    prices = random_prices()
    first = pd.DataFrame({"A": [1.0]}, index=prices.index[:1])
    second = pd.DataFrame({"B": [0.5], "C": [0.5]}, index=prices.index[:1])
    pf = simulate(prices, {"first": first, "second": second}, NO_COSTS)
    value = pf.value()
    assert list(value.columns) == ["first", "second"]
    only_a = NO_COSTS.init_cash * prices["A"] / prices["A"].iloc[0]
    np.testing.assert_allclose(value["first"], only_a, rtol=1e-9)
    growth = 0.5 * prices["B"] / prices["B"].iloc[0] + 0.5 * prices["C"] / prices["C"].iloc[0]
    np.testing.assert_allclose(value["second"], NO_COSTS.init_cash * growth, rtol=1e-9)


def test_fees_are_charged_on_traded_value():
    prices = random_prices()
    targets = pd.DataFrame({"A": [0.5]}, index=prices.index[:1])
    pf = simulate(prices, {"half": targets}, Costs(fees=0.01, slippage=0.0, init_cash=1_000.0))
    # the target is half of the pre-trade value (1,000): 500 of A bought, 1% of it paid in fees
    assert pf.orders.records_readable["Fees"].sum() == pytest.approx(0.01 * 500.0, rel=1e-9)
    assert pf.value()["half"].iloc[0] == pytest.approx(1_000.0 - 5.0, rel=1e-9)


def test_nan_prices_outside_an_assets_life_do_not_poison_the_value():
    prices = random_prices()
    prices.iloc[:50, 2] = np.nan  # C lists on day 50
    prices.iloc[200:, 1] = np.nan  # B stops on day 199
    targets = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    targets.iloc[0] = [0.5, 0.5, 0.0]
    targets.iloc[199] = [0.5, 0.0, np.nan]  # sell B on its last day
    targets.iloc[250] = [0.5, 0.0, 0.5]
    pf = simulate(prices, {"life": targets}, NO_COSTS)
    value = pf.value()["life"]
    assert value.notna().all()
    expected = reference_value(prices.ffill().bfill(), targets, NO_COSTS.init_cash)
    np.testing.assert_allclose(value.to_numpy(), expected, rtol=1e-9)


def test_an_order_on_a_day_without_price_is_refused():
    prices = random_prices()
    prices.iloc[:50, 2] = np.nan
    targets = pd.DataFrame({"C": [1.0]}, index=prices.index[10:11])
    with pytest.raises(StrategyError, match="C"):
        simulate(prices, {"early": targets}, NO_COSTS)
