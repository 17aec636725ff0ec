"""One chunk of a sweep: parameter rows in, one row of metrics per variant out. Runs in a worker process.

A chunk builds each variant's orders the way a backtest does (``engine.backtest.build_orders``), simulates
them all at once (the closed-form fast path by default, or ``engine.simulate`` = vectorbt), and keeps only
the metrics: the daily returns of thousands of variants never leave the worker.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from infrabt.engine.result import Costs
from infrabt.engine.sweeps.fast import OrderBlock, long_only, simulate_values, values_to_returns
from infrabt.engine.sweeps.metrics import summary_arrays, window_returns
from infrabt.engine.sweeps.orders import chunk_orders
from infrabt.engine.sweeps.overfitting import block_sums

METHODS = ("fast", "vectorbt")


@dataclass(frozen=True)
class ScoreRange:
    """Days one set of metrics covers: ``start`` <= day < ``stop`` (None: open); ``prefix`` names them."""

    prefix: str
    start: pd.Timestamp | None = None
    stop: pd.Timestamp | None = None

    def rows(self, days: pd.DatetimeIndex) -> slice:
        """Its rows of ``days`` (sorted): a slice, so scoring reads a view instead of copying the returns."""
        first = 0 if self.start is None else days.searchsorted(self.start)
        stop = len(days) if self.stop is None else days.searchsorted(self.stop)
        return slice(int(first), int(max(stop, first)))


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
    sample: tuple[str, ...] = ()
    """Variant ids whose daily returns a chunk also keeps (for the effective number of trials)."""


def evaluate_chunk(task: SweepTask, params: pd.DataFrame, costs: Costs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per variant of ``params`` (index = variant ids): its parameters, then its metrics; and the
    daily returns (days x variants) of the chunk's variants named in ``task.sample``.

    Each part is scored where it was simulated and only its metrics are placed in the chunk's order: a
    chunk-wide days x variants copy cost ~0.03 s per 561-variant chunk (a strided scatter), more in memory
    first touched."""
    columns: dict[str, np.ndarray] = {}
    sampled: dict[str, np.ndarray] = {}
    wanted = params.index.isin(task.sample)
    for positions, returns, values in simulate_parts(task, params, costs):
        for name, value in _metrics(task, returns, values).items():
            columns.setdefault(name, np.empty(len(params)))[positions] = value
        for column, position in enumerate(positions):
            if wanted[position]:
                sampled[str(params.index[position])] = returns[:, column]
    metrics = pd.DataFrame(columns, index=params.index)
    order = pd.Index([str(v) for v in params.index[wanted]], name=params.index.name)
    sample = pd.DataFrame({v: sampled[v] for v in order}, index=task.days, columns=order, dtype=float)
    return pd.concat([storable(params), metrics], axis=1), sample


def _metrics(task: SweepTask, returns: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Metric name -> one value per column of ``returns`` (days x variants): each score range's summary,
    each crisis window's return and the per-block sums the PBO needs (instead of every day's return)."""
    columns: dict[str, np.ndarray] = {}
    for score in task.ranges:
        for name, value in summary_arrays(returns[score.rows(task.days)], task.periods_per_year).items():
            columns[f"{score.prefix}{name}"] = value
    for crisis_id, start, end in task.crises:
        columns[f"crisis_{crisis_id}"] = window_returns(values, task.days, start, end)
    columns.update(block_sums(returns))
    return columns


def storable(params: pd.DataFrame) -> pd.DataFrame:
    """Parameters as parquet can hold them: dicts and lists (sleeve shares, weights) become JSON text, and a
    column mixing text and numbers (lookbacks 63 and "91D") becomes text."""
    out = params.copy()
    for column in out.columns:
        if out[column].dtype != object:  # numbers (random weights): nothing to convert, nothing to scan
            continue
        if out[column].map(lambda v: isinstance(v, dict | list | tuple)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, sort_keys=True))
        else:
            out[column] = out[column].infer_objects()
            if out[column].dtype == object and out[column].map(lambda v: isinstance(v, str)).any():
                out[column] = out[column].map(str)
    return out


def simulate_chunk(task: SweepTask, params: pd.DataFrame, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
    """Daily returns and values (days x variants) of the chunk's variants, in its order."""
    parts = list(simulate_parts(task, params, costs))
    if len(parts) == 1:
        return parts[0][1:]
    returns = np.empty((len(task.days), len(params)))
    values = np.empty_like(returns)
    for positions, part_returns, part_values in parts:
        returns[:, positions], values[:, positions] = part_returns, part_values
    return returns, values


def simulate_parts(
    task: SweepTask, params: pd.DataFrame, costs: Costs
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """For each part of the chunk (variants that trade on the same dates): their positions in ``params``,
    and their daily returns and values (days x variants), by ``task.method``.

    The fast path is verified for long-only weights summing to at most 1 (what strategies produce unless they
    declare leverage); a part with shorts or leverage goes to vectorbt whatever the method.
    """
    prices = task.prices.loc[task.days]
    for positions, block in chunk_orders(task, params):
        yield positions, *_simulate_part(task, prices, params.index[positions], block, costs)


def _simulate_part(
    task: SweepTask, prices: pd.DataFrame, ids: pd.Index, block: OrderBlock, costs: Costs
) -> tuple[np.ndarray, np.ndarray]:
    # without leverage every path has already refused negative or levered targets (build_orders' check)
    levered = getattr(task.base, "leverage", False) and not long_only(block.weights)
    if task.method == "vectorbt" or levered:
        return _vectorbt(prices, block.to_orders([str(v) for v in ids]), costs)
    values = simulate_values(prices, block, costs)
    return values_to_returns(values, costs.init_cash), values


def _vectorbt(
    prices: pd.DataFrame, orders: dict[str, pd.DataFrame], costs: Costs
) -> tuple[np.ndarray, np.ndarray]:
    from infrabt.engine.simulate import simulate

    portfolio = simulate(prices, orders, costs)
    return portfolio.returns()[list(orders)].to_numpy(), portfolio.value()[list(orders)].to_numpy()
