"""The closed-form fast path: many target-weight portfolios at once, in numpy, without vectorbt's order loop.

Why it exists: vectorbt's order simulation on this machine runs ~35 variants/s of 32 assets and needs ~10 MB
per variant (benchmarks/bench_sweep.py), so a 10,000-variant frontier cloud takes minutes and gigabytes.
Between two trade dates a target-weight portfolio does nothing but drift, so its value is a matrix product of
its holdings and the prices; only the trade dates need order-by-order work, and that work is the same few
array operations for every variant. This module does exactly that, vectorized across variants and looping only
over trade dates and assets.

It reproduces what ``engine.simulate.simulate`` asks vectorbt for (``size_type='targetpercent'``, cash shared
by the variant's assets, ``call_seq='auto'``, fees and slippage as fractions, NaN = no order):

- the portfolio value used for every target of a trade date is taken once, before its first order, at the
  close (valuation prices are forward-filled, as vectorbt does);
- orders run in vectorbt's automatic call sequence: ascending approximate order value (sells first), stable;
- a sell fills at ``close * (1 - slippage)`` and pays ``fees`` on the proceeds; a buy fills at ``close * (1 +
  slippage)`` and pays ``fees`` on top; a buy larger than the cash left is cut to what the cash pays for (fees
  included), so the last buy of a rebalance is often filled partly.

tests/engine/sweeps/test_fast.py checks it against ``engine.simulate.simulate`` variant by variant (to 1e-9),
with and without costs, on generated prices with late listings and NaN orders. Sweeps fall back to vectorbt
with ``method="vectorbt"``.
"""

import contextlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.engine.result import Costs

# vectorbt's tolerance for "close enough" comparisons (vectorbt.utils.math_): a buy within it of the cash is
# filled.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@dataclass(frozen=True)
class OrderBlock:
    """Target weights of many variants, stacked on the union of their trade dates.

    ``weights[d, v, a]`` is variant ``v``'s target weight of ticker ``a`` at the close of ``dates[d]``; NaN
    means no order for that asset that day (the same meaning as in ``engine.simulate``). Only trade dates are
    stored, which is what keeps 10,000 monthly-rebalanced variants in a few hundred megabytes.
    """

    dates: pd.DatetimeIndex
    tickers: tuple[str, ...]
    weights: np.ndarray

    @property
    def n_variants(self) -> int:
        return self.weights.shape[1]

    def to_orders(self, variant_ids: "list[str] | None" = None) -> dict[str, pd.DataFrame]:
        """The same orders as ``engine.simulate`` takes them: one frame (trade dates x tickers) per
        variant."""
        ids = variant_ids or [str(v) for v in range(self.n_variants)]
        return {vid: self.variant(v) for v, vid in enumerate(ids)}

    def variant(self, v: int) -> pd.DataFrame:
        """Variant ``v``'s orders alone (trade dates x tickers)."""
        return pd.DataFrame(self.weights[:, v, :], index=self.dates, columns=list(self.tickers))

    @classmethod
    def from_orders(
        cls, orders: dict[str, pd.DataFrame], tickers: "list[str] | tuple[str, ...]"
    ) -> "OrderBlock":
        """Stack per-variant order frames (any subset of ``tickers``; missing ones = no order)."""
        dates = pd.DatetimeIndex(
            sorted(set().union(*(frame.index for frame in orders.values()))), name="Date"
        )
        weights = np.full((len(dates), len(orders), len(tickers)), np.nan)
        for v, frame in enumerate(orders.values()):
            aligned = frame.reindex(index=dates, columns=list(tickers))
            weights[:, v, :] = aligned.to_numpy(dtype=float)
        return cls(dates=dates, tickers=tuple(tickers), weights=weights)


def long_only(weights: np.ndarray) -> bool:
    """No negative target and no trade date above 100% invested, in any variant: where the fast path is
    verified (``engine.backtest.check_targets``' limits). NaN is no order: neither negative nor invested.

    Checked a slab of (trade date, variant) rows at a time: the NaN-skipping reductions' temporaries stay
    small and warm (a whole block's are tens of MB of freshly touched memory)."""
    rows = weights.reshape(-1, weights.shape[-1])
    for start in range(0, len(rows), _SLAB_ROWS):
        slab = rows[start : start + _SLAB_ROWS]
        if np.fmin.reduce(slab, axis=None) < -1e-12 or (np.nansum(slab, axis=1) > 1 + 1e-9).any():
            return False
    return True


_SLAB_ROWS = 2**12  # x ~30 assets: ~1 MB


def simulate_values(prices: pd.DataFrame, block: OrderBlock, costs: Costs) -> np.ndarray:
    """Portfolio value of every variant on every day of ``prices``: array (n_days, n_variants).

    ``prices`` must hold ``block.tickers`` (extra columns are ignored); trade dates outside ``prices.index``
    raise, because silently dropping an order would change the result.
    """
    close = prices[list(block.tickers)].to_numpy(dtype=float)
    # vectorbt values a held asset at its last known price
    valuation = prices[list(block.tickers)].ffill().to_numpy(dtype=float)
    event_rows = prices.index.get_indexer(block.dates)
    if (event_rows < 0).any():
        missing = block.dates[event_rows < 0][0].date()
        raise ValueError(f"trade date {missing} is not a day of the price panel")

    with single_threaded_blas():
        return _simulate(close, valuation, event_rows, block, costs)


def _simulate(
    close: np.ndarray, valuation: np.ndarray, event_rows: np.ndarray, block: OrderBlock, costs: Costs
) -> np.ndarray:
    n_days, n_variants = close.shape[0], block.n_variants
    cash = np.full(n_variants, float(costs.init_cash))
    shares = np.zeros((n_variants, len(block.tickers)))
    values = np.empty((n_days, n_variants))
    bounds = [*event_rows.tolist(), n_days]
    values[: bounds[0]] = costs.init_cash  # days before the first trade: all cash
    # NaN (no price yet) -> 0 once for all days, not per trade date: a daily rebalance has thousands
    held = np.nan_to_num(valuation, nan=0.0)
    days = _TradeDays.of(close[event_rows], valuation[event_rows], costs)
    for k, row in enumerate(event_rows):
        cash, shares = _trade(cash, shares, block.weights[k], days.day(k))
        stop = bounds[k + 1] if bounds[k + 1] > row else row + 1
        period = values[row:stop]  # a view: written in place, row by row (not through a transpose)
        np.matmul(held[row:stop], shares.T, out=period)
        period += cash
    return values


@dataclass(frozen=True)
class _TradeDays:
    """The prices of the trade dates (trade dates x assets; one date's rows by ``day``), prepared for all
    dates at once: the per-date loop is bound by its number of numpy calls, not by their size.

    valuation: the last known price (vectorbt values a held asset at it); held: the same, 0 before any.
    per_share: shares per unit of value, NaN where the asset has no price that day (no order there).
    sell: what a share sold brings, slippage and fees taken; buy: what a share bought costs, both added (1
    where there is no price: nothing is bought there).
    """

    valuation: np.ndarray
    held: np.ndarray
    per_share: np.ndarray
    sell: np.ndarray
    buy: np.ndarray

    @classmethod
    def of(cls, close: np.ndarray, valuation: np.ndarray, costs: Costs) -> "_TradeDays":
        priced = ~np.isnan(close)
        per_share = np.where(priced, 1.0 / np.where(priced, valuation, 1.0), np.nan)
        sell = np.nan_to_num(close * (1 - costs.slippage)) * (1 - costs.fees)
        buy = np.where(priced, close * (1 + costs.slippage), 1.0) * (1 + costs.fees)
        return cls(valuation, np.nan_to_num(valuation, nan=0.0), per_share, sell, buy)

    def day(self, k: int) -> "_TradeDays":
        return _TradeDays(self.valuation[k], self.held[k], self.per_share[k], self.sell[k], self.buy[k])


def single_threaded_blas():
    """One BLAS thread while simulating: sweeps run in parallel processes already, and OpenBLAS's threads
    on a busy machine make these small matrix products ~25x slower (measured on 2 cores). No-op without
    threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn, a quantstats dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def values_to_returns(values: np.ndarray, init_cash: float) -> np.ndarray:
    """Simple daily returns (days x variants); the first day is measured against the starting cash, as
    vectorbt."""
    returns = np.empty_like(values)
    np.divide(values[1:], values[:-1], out=returns[1:])
    returns[0] = values[0] / init_cash
    returns -= 1.0
    return returns


def _trade(
    cash: np.ndarray, shares: np.ndarray, targets: np.ndarray, day: _TradeDays
) -> tuple[np.ndarray, np.ndarray]:
    """One trade date for all variants: targets (variants x assets) -> new cash and shares.

    The automatic call sequence puts every sell (negative order value) before every buy, and a sell always
    fills, so the sells are settled at once; the buys then spend the cash in ascending order of value, which
    is a cumulative sum in that order: each buy fills while the cash lasts, the one that runs out is cut,
    later ones get nothing.
    """
    value = cash + shares @ day.held
    # no order where the asset has no price (vectorbt ignores it) or the variant is wiped out
    size = np.multiply.outer(np.where(value > 0, value, np.nan), day.per_share)
    size *= targets
    size -= shares
    # NaN (no target, no price, a wiped-out variant) = no order: fmin and fmax take the 0 instead. (vectorbt
    # also drops orders under 1e-12 shares; keeping them moves values by less than 1e-15.)
    sells = np.fmin(size, 0.0)  # negative: shares sold
    cash = cash - sells @ day.sell
    wanted = np.fmax(size, 0.0, out=size)
    wanted *= day.buy
    spent = _spend(
        cash, wanted, lambda rows: targets[rows] * value[rows, None] - shares[rows] * day.valuation
    )
    cash = np.maximum(cash - spent.sum(axis=1), 0.0)
    np.copyto(cash, 0.0, where=cash <= _ABS_TOL)  # vectorbt's is_close(cash, 0), for cash >= 0
    bought = np.divide(spent, day.buy, out=spent)  # cash spent -> shares
    bought += sells
    bought += shares
    return cash, bought


def _spend(cash: np.ndarray, wanted: np.ndarray, order_value) -> np.ndarray:
    """Cash each buy actually spends (fees included), buys paid in vectorbt's call sequence until the cash
    runs out. ``wanted`` is what each buy would cost in full; it is overwritten.

    Usually the cash covers everything but a part of the largest buy (costs were not in the targets), so that
    case is settled with an argmax; only variants short by more than their largest buy pay for a full sort.
    ``order_value(rows)`` gives vectorbt's sort key for those variants, computed exactly as vectorbt does
    (target x value - shares x price): equal weights tie, and a tie goes to the later asset.
    """
    total = wanted.sum(axis=1)
    # above the cash and not is_close to it (vectorbt's tolerances; both are >= 0)
    short = total - cash > np.maximum(_REL_TOL * total, _ABS_TOL)
    if short.all():  # the usual case once costs are paid: every variant, read through views
        rows, where = slice(None), np.arange(len(cash))
    elif short.any():
        rows = where = np.flatnonzero(short)
    else:
        return wanted
    values = order_value(rows)
    ranked = np.where(wanted[rows] > 0, values, -np.inf)
    # a stable sort runs the last of equal maxima last
    last = ranked.shape[1] - 1 - np.argmax(ranked[:, ::-1], axis=1)
    left_for_last = cash[rows] - (total[rows] - wanted[where, last])
    simple = left_for_last >= 0
    if simple.all():
        wanted[where, last] = left_for_last
        return wanted
    wanted[where[simple], last[simple]] = left_for_last[simple]
    hard = where[~simple]
    wanted[hard] = _spend_in_sequence(cash[hard], wanted[hard], values[~simple])
    return wanted


def _spend_in_sequence(cash: np.ndarray, wanted: np.ndarray, order_value: np.ndarray) -> np.ndarray:
    """The general case of ``_spend``: a cumulative sum of the buys in call-sequence order."""
    order = _auto_call_sequence(order_value)
    wanted_in_order = np.take_along_axis(wanted, order, axis=1)
    left = cash[:, None] - (np.cumsum(wanted_in_order, axis=1) - wanted_in_order)
    affordable = _is_close(wanted_in_order, left) | (wanted_in_order < left)
    spent_in_order = np.where(affordable, wanted_in_order, np.maximum(left, 0.0))
    spent = np.empty_like(spent_in_order)
    np.put_along_axis(spent, order, spent_in_order, axis=1)
    return spent


def _auto_call_sequence(order_value: np.ndarray) -> np.ndarray:
    """Per variant, the asset order of vectorbt's ``call_seq='auto'``: ascending order value, sells first,
    stable.

    Unpriced assets (NaN value) go last; their orders are ignored anyway.
    """
    return np.argsort(order_value, axis=1, kind="stable")


def _is_close(a: np.ndarray, b: "np.ndarray | float") -> np.ndarray:
    """vectorbt's ``is_close_nb``, elementwise."""
    return np.abs(a - b) <= np.maximum(_REL_TOL * np.maximum(np.abs(a), np.abs(b)), _ABS_TOL)
