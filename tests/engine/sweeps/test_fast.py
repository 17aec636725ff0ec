"""The closed-form fast path equals engine.simulate (vectorbt) variant by variant, with and without costs."""

import numpy as np
import pandas as pd
import pytest

from infrabt.engine.result import Costs
from infrabt.engine.simulate import simulate
from infrabt.engine.sweeps.fast import OrderBlock, long_only, simulate_values, values_to_returns

TICKERS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


def synthetic_prices(days: int = 260, seed: int = 3) -> pd.DataFrame:
    """Random walks; CCC lists on day 40, EEE stops trading on day 200 (NaN after, as load_prices gives)."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=days, name="Date")
    walk = 50 * np.exp(np.cumsum(rng.normal(0.0005, 0.03, (days, len(TICKERS))), axis=0))
    prices = pd.DataFrame(walk, index=index, columns=TICKERS)
    prices.iloc[:40, 2] = np.nan
    prices.iloc[201:, 4] = np.nan
    return prices


def monthly_orders(
    prices: pd.DataFrame, n_variants: int, seed: int, *, drift_targets: bool, invested: tuple = (0.7, 1.0)
) -> OrderBlock:
    """Random targets on the first day of each month; NaN where an asset has no price; EEE sold at its end.

    ``drift_targets`` draws new weights at every trade date (heavy turnover), else one vector per variant.
    """
    rng = np.random.default_rng(seed)
    index = prices.index
    starts = np.flatnonzero(np.r_[True, index.month[1:] != index.month[:-1]])
    rows = sorted({*starts.tolist(), 200})
    live = prices.notna().to_numpy()[rows]
    shape = (len(rows), n_variants, len(TICKERS))
    raw = (
        rng.dirichlet(np.ones(len(TICKERS)), size=shape[:2])
        if drift_targets
        else np.broadcast_to(rng.dirichlet(np.ones(len(TICKERS)), size=n_variants), shape)
    )
    weights = raw * live[:, None, :]
    weights = weights / weights.sum(axis=2, keepdims=True) * rng.uniform(*invested, size=(1, n_variants, 1))
    weights = np.where(live[:, None, :], weights, np.nan)
    weights[rows.index(200), :, :] = np.nan  # the final sale of EEE is the only order that day
    weights[rows.index(200), :, 4] = 0.0
    return OrderBlock(dates=index[rows], tickers=tuple(TICKERS), weights=weights)


@pytest.mark.parametrize(
    "costs",
    [
        Costs(fees=0.0, slippage=0.0),
        Costs(fees=0.001, slippage=0.001),
        Costs(fees=0.02, slippage=0.005, init_cash=1_000.0),
    ],
    ids=["no-costs", "default-costs", "high-costs"],
)
@pytest.mark.parametrize("drift_targets", [False, True], ids=["fixed-weights", "new-weights-each-month"])
def test_fast_path_equals_vectorbt_variant_by_variant(costs, drift_targets):
    prices = synthetic_prices()
    block = monthly_orders(prices, n_variants=12, seed=5, drift_targets=drift_targets)
    ids = [f"v{i}" for i in range(block.n_variants)]

    fast = simulate_values(prices, block, costs)
    portfolio = simulate(prices, block.to_orders(ids), costs)
    reference = portfolio.value()[ids].to_numpy()

    assert fast.shape == reference.shape
    for v in range(block.n_variants):
        np.testing.assert_allclose(
            fast[:, v], reference[:, v], rtol=1e-9, atol=0, err_msg=f"variant {ids[v]}"
        )
    returns = values_to_returns(fast, costs.init_cash)
    np.testing.assert_allclose(returns, portfolio.returns()[ids].to_numpy(), rtol=0, atol=1e-12)


def test_equal_weights_tie_and_vectorbt_cuts_the_later_asset():
    """Equal targets bought from cash have equal order values: vectorbt's stable sort runs the last asset
    last, so that is the buy the fees cut. A sort key computed any other way breaks the tie by rounding."""
    prices = synthetic_prices()
    rows = [0, 21, 42, 63]
    live = prices.notna().to_numpy()[rows]
    weights = np.where(live, 1.0 / live.sum(axis=1, keepdims=True), np.nan)[:, None, :].repeat(3, axis=1)
    weights[:, 1] *= 0.95  # beside 5% cash, as a btc_share carve-out leaves the rule
    block = OrderBlock(dates=prices.index[rows], tickers=tuple(TICKERS), weights=weights)
    ids = ["a", "b", "c"]
    costs = Costs(fees=0.001, slippage=0.001)

    fast = simulate_values(prices, block, costs)
    reference = simulate(prices, block.to_orders(ids), costs).value()[ids].to_numpy()

    np.testing.assert_allclose(fast, reference, rtol=1e-12, atol=0)


def test_fees_that_starve_several_buys_match_vectorbt(monkeypatch):
    """Fully invested, new weights monthly, 30% fees: the cash runs out before the largest buy, so more than
    one buy of a rebalance is cut or skipped (the general, sorted path of the fast simulation)."""
    import infrabt.engine.sweeps.fast as fast_module

    sorted_rows = []
    original = fast_module._spend_in_sequence
    monkeypatch.setattr(
        fast_module,
        "_spend_in_sequence",
        lambda *args: (sorted_rows.append(len(args[0])), original(*args))[1],
    )
    prices = synthetic_prices()
    block = monthly_orders(prices, n_variants=12, seed=8, drift_targets=True, invested=(1.0, 1.0))
    ids = [f"v{i}" for i in range(block.n_variants)]
    costs = Costs(fees=0.3, slippage=0.0)

    fast = simulate_values(prices, block, costs)
    reference = simulate(prices, block.to_orders(ids), costs).value()[ids].to_numpy()

    assert sum(sorted_rows) > 0, "the test no longer reaches the general path; raise the fees"
    np.testing.assert_allclose(fast, reference, rtol=1e-9, atol=0)


def test_partial_rows_and_daily_orders_match_vectorbt():
    """Orders for some assets only (NaN = keep holding), on many days: the general target-weight case."""
    prices = synthetic_prices(days=120, seed=11)
    rng = np.random.default_rng(2)
    rows = np.arange(0, 120, 3)
    weights = rng.uniform(0, 0.3, size=(len(rows), 6, len(TICKERS)))
    weights[rng.uniform(size=weights.shape) < 0.3] = np.nan  # some assets not traded that day
    weights[0] = 0.15  # start fully specified
    weights = np.where(prices.notna().to_numpy()[rows][:, None, :], weights, np.nan)
    block = OrderBlock(dates=prices.index[rows], tickers=tuple(TICKERS), weights=weights)
    ids = [f"v{i}" for i in range(6)]
    costs = Costs(fees=0.003, slippage=0.002)

    fast = simulate_values(prices, block, costs)
    reference = simulate(prices, block.to_orders(ids), costs).value()[ids].to_numpy()

    np.testing.assert_allclose(fast, reference, rtol=1e-9, atol=0)


def test_order_block_round_trips_through_order_frames():
    prices = synthetic_prices()
    block = monthly_orders(prices, n_variants=3, seed=1, drift_targets=True)
    again = OrderBlock.from_orders(block.to_orders(), TICKERS)
    np.testing.assert_array_equal(again.weights, block.weights)
    assert list(again.dates) == list(block.dates)


def test_a_trade_date_missing_from_prices_is_refused():
    prices = synthetic_prices(days=30)
    block = OrderBlock(
        dates=pd.DatetimeIndex([pd.Timestamp("2019-06-01")]),
        tickers=tuple(TICKERS),
        weights=np.full((1, 1, len(TICKERS)), 0.2),
    )
    with pytest.raises(ValueError, match="2019-06-01"):
        simulate_values(prices, block, Costs())


@pytest.mark.parametrize("seed", range(20))
def test_long_only_is_no_negative_weight_and_no_date_above_fully_invested(seed):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(4), size=(30, 5)) * rng.uniform(0.5, 1.0, size=(30, 5, 1))
    weights[rng.random(weights.shape) < 0.3] = np.nan  # no order
    day, variant = rng.integers(30), rng.integers(5)
    if seed % 4 == 1:
        weights[day, variant, 0] = -1e-6
    elif seed % 4 == 2:  # one date just above fully invested
        weights[day, variant] = np.array([0.4, 0.3, 0.2, 0.1]) * (1 + 2e-9)
    elif seed % 4 == 3:  # an asset without an order (NaN) holds nothing
        weights[day, variant] = [0.6, 0.3, np.nan, 0.05]
    expected = not (np.nan_to_num(weights) < -1e-12).any() and (np.nansum(weights, axis=2) <= 1 + 1e-9).all()
    assert expected == (seed % 4 not in (1, 2))
    assert long_only(weights) == expected
    assert long_only(np.full((3, 2, 4), np.nan))  # nothing ordered: nothing invested
