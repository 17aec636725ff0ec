"""One chunk of a sweep: parameter rows in, one row of metrics per variant out. Runs in a worker process.

A chunk builds each variant's orders the way a backtest does (``engine.backtest.build_orders``), simulates
them all at once (the closed-form fast path by default, or ``engine.simulate`` = vectorbt), and keeps only
the metrics: the daily returns of thousands of variants never leave the worker.
"""

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from infrabt.data.errors import StrategyError
from infrabt.engine.backtest import build_orders
from infrabt.engine.result import Costs
from infrabt.engine.sweeps.fast import OrderBlock, simulate_values, values_to_returns
from infrabt.engine.sweeps.metrics import summary_arrays, window_returns
from infrabt.engine.sweeps.spec import WEIGHT_PREFIX

METHODS = ("fast", "vectorbt")


@dataclass(frozen=True)
class ScoreRange:
    """Days one set of metrics covers: ``start`` <= day < ``stop`` (None: open); ``prefix`` names them."""

    prefix: str
    start: pd.Timestamp | None = None
    stop: pd.Timestamp | None = None


@dataclass(frozen=True)
class SweepTask:
    """Everything a worker needs, shipped once per worker (not once per chunk).

    prices:   the panel with its warm-up (strategy lookbacks are filled on the first day).
    days:     the backtest days (``engine.backtest.backtest_days``).
    base:     the base strategy; a random-weights sweep uses a ``Fixed`` equal-weight one over its tickers.
    random_template: for random weights, the base's orders: when each variant trades, which assets are live.
    """

    prices: pd.DataFrame
    days: pd.DatetimeIndex
    base: object
    periods_per_year: int
    ranges: tuple[ScoreRange, ...] = (ScoreRange(""),)
    crises: tuple[tuple[str, pd.Timestamp, pd.Timestamp], ...] = ()
    method: str = "fast"
    random_template: pd.DataFrame | None = None
    cost_params: tuple[str, ...] = field(default=())


def evaluate_chunk(task: SweepTask, params: pd.DataFrame, costs: Costs) -> pd.DataFrame:
    """One row per variant of ``params`` (index = variant ids): its parameters, then its metrics."""
    returns, values = simulate_chunk(task, params, costs)
    columns: dict[str, np.ndarray] = {}
    for score in task.ranges:
        keep = np.ones(len(task.days), dtype=bool)
        if score.start is not None:
            keep &= task.days >= score.start
        if score.stop is not None:
            keep &= task.days < score.stop
        for name, value in summary_arrays(returns[keep], task.periods_per_year).items():
            columns[f"{score.prefix}{name}"] = value
    for crisis_id, start, end in task.crises:
        columns[f"crisis_{crisis_id}"] = window_returns(values, task.days, start, end)
    metrics = pd.DataFrame(columns, index=params.index)
    return pd.concat([storable(params), metrics], axis=1)


def storable(params: pd.DataFrame) -> pd.DataFrame:
    """Parameters as parquet can hold them: dicts and lists (sleeve shares, weights) become JSON text."""
    out = params.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, dict | list | tuple)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, sort_keys=True))
        elif out[column].dtype == object:
            out[column] = out[column].infer_objects()
    return out


def simulate_chunk(task: SweepTask, params: pd.DataFrame, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
    """Daily returns and values (days x variants) of the chunk's variants, by ``task.method``.

    The fast path is verified for long-only weights summing to at most 1 (what strategies produce unless they
    declare leverage); a chunk with shorts or leverage goes to vectorbt whatever the method.
    """
    prices = task.prices.loc[task.days]
    if task.random_template is not None:
        block = random_block(task, params)
    else:
        orders = variant_orders(task, params)
        block = OrderBlock.from_orders(orders, _all_tickers(orders))
    if task.method == "vectorbt" or not long_only(block):
        return _vectorbt(prices, block.to_orders(list(params.index)), costs)
    values = simulate_values(prices, block, costs)
    returns = values_to_returns(values, prices.index, costs.init_cash).to_numpy()
    return returns, values


def long_only(block: OrderBlock) -> bool:
    """No negative target and no trade date above 100% invested, in any variant."""
    weights = np.nan_to_num(block.weights)
    return bool((weights >= -1e-12).all() and (weights.sum(axis=2) <= 1 + 1e-9).all())


def variant_orders(task: SweepTask, params: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each grid variant's orders, exactly as ``engine.backtest`` would build them for a single run."""
    history = task.prices.loc[: task.days[-1]]
    orders = {}
    for variant, row in params.iterrows():
        values = {k: _plain(v) for k, v in row.items() if k not in task.cost_params}
        strategy = task.base.with_params(**values)
        orders[str(variant)] = build_orders(strategy, history[list(strategy.tickers)], task.days)
    return orders


def random_block(task: SweepTask, params: pd.DataFrame) -> OrderBlock:
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
    live = (pattern > 0)[:, None, :]
    present = np.where(live, weights[None, :, :], 0.0)
    live_total = present.sum(axis=2, keepdims=True)
    scale = np.divide(weights.sum(axis=1)[None, :, None], live_total, out=np.zeros_like(live_total),
                      where=live_total > 0)  # fmt: skip
    stacked = np.where(np.isnan(pattern)[:, None, :], np.nan, present * scale)
    block = OrderBlock(dates=template.index, tickers=tuple(tickers), weights=stacked)
    _check_random_block(task, params.iloc[:1], block)
    return block


def _check_random_block(task: SweepTask, first: pd.DataFrame, block: OrderBlock) -> None:
    expected = variant_orders(task, _as_weights_param(first, list(block.tickers))).popitem()[1]
    got = block.to_orders()["0"].reindex(index=expected.index, columns=expected.columns)
    if expected.shape != got.shape or not np.allclose(expected, got, rtol=0, atol=1e-12, equal_nan=True):
        raise StrategyError(
            "random weights: the vectorized Fixed orders differ from build_orders; report this bug"
        )


def _as_weights_param(first: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """The random variant as a grid row for the base Fixed strategy: one ``weights`` parameter."""
    row = first.iloc[0]
    weights = {t: float(row[f"{WEIGHT_PREFIX}{t}"]) for t in tickers}
    return pd.DataFrame({"weights": [weights]}, index=first.index, dtype=object)


def _vectorbt(
    prices: pd.DataFrame, orders: dict[str, pd.DataFrame], costs: Costs
) -> tuple[np.ndarray, np.ndarray]:
    from infrabt.engine.simulate import simulate

    portfolio = simulate(prices, orders, costs)
    return portfolio.returns()[list(orders)].to_numpy(), portfolio.value()[list(orders)].to_numpy()


def _all_tickers(orders: dict[str, pd.DataFrame]) -> list[str]:
    seen: list[str] = []
    for frame in orders.values():
        seen.extend(t for t in frame.columns if t not in seen)
    return seen


def _plain(value):
    """numpy scalars from a parquet/pandas round trip -> Python values the strategy blocks expect."""
    return value.item() if isinstance(value, np.generic) else value
