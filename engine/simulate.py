"""The simulation core: target weights in, one vectorbt portfolio out.

Every backtest and every sweep goes through ``simulate``: one place where orders meet vectorbt. Each variant
(a strategy, or one parameter set of a sweep) is a group of columns ``(variant, ticker)`` sharing one cash
account; all variants run in a single ``Portfolio.from_orders`` call on vectorbt's Rust engine (no numba
compile). Orders are target percentages of the group's value, filled at the close of their row (the caller
has already lagged each decision by one day: see ``engine.backtest``). vectorbt is imported on the first
simulation, so commands that never simulate with it (a fast sweep, ``infrabt data``) do not pay for it.
"""

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from infrabt.data.errors import StrategyError
from infrabt.engine.result import Costs

if TYPE_CHECKING:
    import vectorbt as vbt

VARIANT_LEVEL = "variant"
TICKER_LEVEL = "ticker"


def simulate(prices: pd.DataFrame, orders: dict[str, pd.DataFrame], costs: Costs) -> "vbt.Portfolio":
    """Simulate every variant's orders against ``prices`` in one vectorbt call.

    prices: dates x tickers closes. NaN = the asset does not trade that day (before listing, after
        delisting): such cells are valued at the nearest known price (held positions there must be zero,
        which ``engine.backtest`` guarantees by selling on the last live day); orders there must be NaN or 0.
    orders: variant -> dates x tickers target weights (a subset of ``prices``' dates and columns).
        NaN = no order for that asset that day; a row's unfilled remainder is cash.
    costs: proportional fees and slippage on traded value, and the starting cash of each variant.

    Returns a portfolio with columns ``(variant, ticker)`` grouped by variant, so ``pf.value()`` and
    ``pf.returns()`` give one column per variant (a DataFrame even for one variant). vectorbt's own stats
    would annualize with 365 days; infrabt never uses them (``engine.metrics`` takes the calendar's periods
    per year). If you do, pass ``year_freq=f"{periods_per_year} days"`` to them.
    """
    if not orders:
        raise StrategyError("nothing to simulate: no variant has orders")
    import vectorbt as vbt  # here, not at the top: it brings numba, scipy and quantstats (~6 s of CPU)

    close, size = _tile(prices, orders)
    return vbt.Portfolio.from_orders(
        close,
        size=size,
        size_type="targetpercent",
        group_by=VARIANT_LEVEL,
        cash_sharing=True,
        call_seq="auto",
        fees=costs.fees,
        slippage=costs.slippage,
        init_cash=costs.init_cash,
        freq="1D",
        wrapper_kwargs={"grouped_ndim": 2},  # one variant still gives a DataFrame, one column per variant
        engine="rust" if _rust_available() else None,
    )


def _tile(prices: pd.DataFrame, orders: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close and size side by side for every variant: columns ``(variant, ticker)``, rows ``prices.index``."""
    close_blocks, size_blocks, keys = [], [], []
    for variant, frame in orders.items():
        tickers = list(frame.columns)
        missing = [t for t in tickers if t not in prices.columns]
        if missing:
            raise StrategyError(f"variant {variant!r} orders {', '.join(missing)}, which has no prices")
        extra = frame.index.difference(prices.index)
        if len(extra):
            raise StrategyError(f"variant {variant!r} has orders on {extra[0].date()}, a day without prices")
        close = prices[tickers].to_numpy(dtype=float)
        size = frame.reindex(prices.index).to_numpy(dtype=float)
        dead = np.isnan(close) & ~np.isnan(size) & (size != 0)
        if dead.any():
            row, col = np.argwhere(dead)[0]
            day = prices.index[row].date()
            raise StrategyError(f"variant {variant!r} targets {tickers[col]} on {day}, a day it has no price")
        close_blocks.append(close)
        size_blocks.append(size)
        keys.extend((variant, t) for t in tickers)
    columns = pd.MultiIndex.from_tuples(keys, names=[VARIANT_LEVEL, TICKER_LEVEL])
    close = pd.DataFrame(np.hstack(close_blocks), index=prices.index, columns=columns)
    # Valuation needs a finite price everywhere; positions are zero outside a life: the fill is inert.
    close = close.ffill().bfill()
    size = pd.DataFrame(np.hstack(size_blocks), index=prices.index, columns=columns)
    return close, size


def _rust_available() -> bool:
    from vectorbt._engine import is_rust_available

    return is_rust_available()
