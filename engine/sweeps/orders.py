"""A chunk's orders, stacked for the simulation (``OrderBlock``): three ways to build the same thing.

- random fixed weights: one rule applied to the whole chunk at once (``random_block``);
- a grid whose strategy blocks all have a batched path: ``strategies.batch`` computes shared work once and
  only the trade dates' rows, and the rest of ``engine.backtest.build_orders`` is applied here over the
  variant axis (``batch_parts``);
- anything else (a user's block without a batched path): ``build_orders`` one variant at a time
  (``variant_orders``), which is also the definition the other two are tested against, variant by variant.
"""

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from infrabt.data.errors import StrategyError
from infrabt.data.universe import pinned
from infrabt.engine.backtest import build_orders
from infrabt.engine.sweeps.fast import OrderBlock, long_only
from infrabt.engine.sweeps.spec import WEIGHT_PREFIX
from infrabt.strategies.batch import TargetBlock, batch_target_weights, batchable, same_order

if TYPE_CHECKING:
    from infrabt.engine.sweeps.evaluate import SweepTask


Part = tuple[list[int], OrderBlock]
"""Some of a chunk's variants (their positions in it) and their orders, simulated together."""


def chunk_orders(task: "SweepTask", params: pd.DataFrame) -> list[Part]:
    """The chunk's orders by the fastest path that applies to it, in parts simulated together: variants that
    trade on the same dates (random weights, the batched path) or that keep their own ticker order in the
    part's columns (the per-variant path, on the union of their trade dates)."""
    if task.random_template is not None:
        return [(list(range(len(params))), random_block(task, params))]
    strategies = variant_strategies(task, params)
    if all(batchable(s) for s in strategies):
        parts = batch_parts(task, strategies)
        if parts is not None:
            return parts
    frames = list(variant_orders(task, params).values())
    parts = []
    for members in same_order([s.tickers for s in strategies]):  # each variant's own column order kept
        orders = {str(p): frames[p] for p in members}
        parts.append((members, OrderBlock.from_orders(orders, all_tickers([strategies[p] for p in members]))))
    return parts


def variant_strategies(task: "SweepTask", params: pd.DataFrame) -> list:
    """The base strategy with each row's parameters (costs are the simulation's, not the strategy's)."""
    columns = [k for k in params.columns if k not in task.cost_params]
    rows = params[columns].to_dict("records")
    with pinned():
        return [task.base.with_params(**{k: _plain(v) for k, v in row.items()}) for row in rows]


def variant_orders(task: "SweepTask", params: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each grid variant's orders, exactly as ``engine.backtest`` would build them for a single run."""
    history = task.prices.loc[: task.days[-1]]
    strategies = variant_strategies(task, params)
    return {
        str(variant): build_orders(strategy, history[list(strategy.tickers)], task.days)
        for variant, strategy in zip(params.index, strategies, strict=True)
    }


def batch_parts(task: "SweepTask", strategies: list) -> list[Part] | None:
    """``build_orders`` of every variant through the batched target weights, one part per group of variants
    trading on the same dates (a weekly and a quarterly variant simulated together would step through every
    week). None when a variant would fail a check (no allocation day, negative or levered weights): the
    per-variant path then raises its own error."""
    history = task.prices.loc[: task.days[-1]]
    parts = []
    for target in batch_target_weights(strategies, history, start=task.days[0]):
        leverage = getattr(strategies[target.positions[0]], "leverage", False)
        if not len(target.dates) or not (leverage or long_only(target.weights)):
            return None
        parts.append((target.positions, _with_trading_rules(target, history.loc[task.days])))
    return parts


def _with_trading_rules(target: TargetBlock, prices: pd.DataFrame) -> OrderBlock:
    """As ``build_orders``: no order where an asset has no price, and a final sale (weight 0, for the variants
    holding it) on the last day of each history that ends before the backtest does. The block's array is
    changed in place; it is copied only when final sale days add rows."""
    trading = prices[list(target.tickers)].notna().to_numpy()
    rows = prices.index.get_indexer(target.dates)
    weights = target.weights
    np.copyto(weights, np.nan, where=~trading[rows, None, :])
    finals = {}
    for column in range(trading.shape[1]):
        alive = np.flatnonzero(trading[:, column])
        if len(alive) and alive[-1] < len(prices) - 1:
            finals[column] = alive[-1]
    added = np.setdiff1d(list(finals.values()), rows).astype(int)
    if len(added):
        all_rows = np.union1d(rows, added)
        weights = np.full((len(all_rows), *target.weights.shape[1:]), np.nan)
        weights[np.searchsorted(all_rows, rows)] = target.weights
        rows = all_rows
    for column, row in finals.items():
        weights[np.searchsorted(rows, row), :, column] = np.where(target.holds[:, column], 0.0, np.nan)
    return OrderBlock(dates=prices.index[rows].rename("Date"), tickers=target.tickers, weights=weights)


def all_tickers(strategies: list) -> list[str]:
    """Every variant's tickers, in first-seen order (the order the per-variant path stacks them in)."""
    return list(dict.fromkeys(t for s in strategies for t in s.tickers))


def random_block(task: "SweepTask", params: pd.DataFrame) -> OrderBlock:
    """Fixed-weight orders for many weight vectors at once, from the equal-weight template's trade pattern.

    ``strategies.weighting.Fixed`` spreads a dead asset's share over the live ones: weight_a = w_a * total /
    sum of the live w. The template (equal weights, all positive) marks live assets (> 0), untraded ones (NaN)
    and final sales (0). Calling ``build_orders`` per variant would cost ~10 ms each; so this applies the same
    rule to the whole chunk, and checks it against ``build_orders`` for the chunk's first variant, refusing to
    go on if they differ.
    """
    template = task.random_template
    tickers = list(template.columns)
    weights = params[[f"{WEIGHT_PREFIX}{t}" for t in tickers]].to_numpy(dtype=float)  # variants x assets
    pattern = template.to_numpy(dtype=float)  # trade dates x assets
    totals = weights.sum(axis=1)
    stacked = np.empty((len(pattern), len(weights), len(tickers)))
    # the live set changes only at listings and delistings: the rule runs once per distinct set
    sets, which = np.unique(pattern > 0, axis=0, return_inverse=True)
    for k, live in enumerate(sets):
        present = np.where(live, weights, 0.0)  # variants x assets
        live_total = present.sum(axis=1)
        scale = np.divide(totals, live_total, out=np.zeros_like(live_total), where=live_total > 0)
        stacked[which.ravel() == k] = present * scale[:, None]
    np.copyto(stacked, np.nan, where=np.isnan(pattern)[:, None, :])
    block = OrderBlock(dates=template.index, tickers=tuple(tickers), weights=stacked)
    _check_random_block(task, params.iloc[:1], block)
    return block


def _check_random_block(task: "SweepTask", first: pd.DataFrame, block: OrderBlock) -> None:
    """The chunk's first variant by ``build_orders`` against its slice of the block (only that one)."""
    expected = variant_orders(task, _as_weights_param(first, list(block.tickers))).popitem()[1]
    got = block.variant(0).reindex(index=expected.index, columns=expected.columns)
    if expected.shape != got.shape or not np.allclose(expected, got, rtol=0, atol=1e-12, equal_nan=True):
        raise StrategyError(
            "random weights: the vectorized Fixed orders differ from build_orders; report this bug"
        )


def _as_weights_param(first: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """The random variant as a grid row for the base Fixed strategy: one ``weights`` parameter."""
    row = first.iloc[0]
    weights = {t: float(row[f"{WEIGHT_PREFIX}{t}"]) for t in tickers}
    return pd.DataFrame({"weights": [weights]}, index=first.index, dtype=object)


def _plain(value):
    """numpy scalars from a parquet/pandas round trip -> Python values the strategy blocks expect."""
    return value.item() if isinstance(value, np.generic) else value
