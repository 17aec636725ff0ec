"""Target weights of many variants of one strategy at once: the batched path of a sweep.

``Strategy.target_weights`` is the definition; this computes the same numbers for a list of variants (one
strategy with different parameters) without repeating the work they share:

- each distinct weighting runs once: variants that differ only in btc_share or rebalance share its output,
  and a weighting's class may compute many parameter values at once, on the rows some variant trades on
  (its ``outputs`` hook: inverse volatility for every lookback from one pass of cumulative sums);
- overlay signals run once per distinct parameter set, through the block's ``signals`` hook, which can share
  more (``CorrelationSwitch``: one rolling correlation per lookback for every threshold);
- what follows (moving weight to a fallback, the BTC carve-out, NaN -> 0) works row by row, so it runs only
  on the trade dates' rows, as array operations over (trade dates, variants, tickers) for each group of
  variants that trade on the same dates, on the union of their tickers (with and without a BTC share) as
  long as every member keeps its own ticker order in it (``same_order``).

A calendar schedule's trade dates depend only on the dates; a drift band's depend on each variant's weights,
so those variants are computed on every day and keep their own trade dates. A strategy with a block that does
not declare ``batched`` is not ``batchable``: sweeps run it one variant at a time.
"""

import inspect
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.data.universe import resolve
from infrabt.strategies.base import BTC, Strategy, decides_by_blocks, first_allocation_day, known_closes
from infrabt.strategies.block import Block
from infrabt.strategies.schedules import Every


@dataclass(frozen=True)
class TargetBlock:
    """Target weights of some of the variants on shared rows.

    ``weights[r, v, t]``: variant ``positions[v]``'s target for ``tickers[t]`` at the close of ``dates[r]``,
    in the simulation's layout (``engine.sweeps.fast.OrderBlock``); NaN where that variant does not trade on
    that date or does not hold that ticker (``holds[v, t]`` false). No dates: no allocation day.
    """

    positions: list[int]
    dates: pd.DatetimeIndex
    tickers: tuple[str, ...]
    weights: np.ndarray
    holds: np.ndarray


def batchable(strategy: Strategy) -> bool:
    """Every block of the strategy declares a batched path, and the strategy decides by
    ``Strategy.target_weights`` (a subclass's own ``target_weights`` is a definition the batch would
    miss)."""
    return decides_by_blocks(strategy) and all(block.batchable() for block in strategy._blocks())


def batch_target_weights(variants: list[Strategy], prices: pd.DataFrame, start=None) -> list[TargetBlock]:
    """``target_weights`` of every variant (all ``batchable``, one base strategy), grouped into blocks."""
    tickers = list(dict.fromkeys(t for v in variants for t in v.tickers))
    known = known_closes(prices[tickers])
    planned = []
    for first, positions in _groups(variants, known, start):
        members = [variants[p] for p in positions]
        planned.append((first, positions, members, _trade_rows(members[0].rebalance, known, first)))
    # the weightings only on the rows some group trades on (a calendar's: ~1 day in 5 for weekly)
    needed = np.unique(np.concatenate([rows for *_, rows in planned]))
    weightings = Weightings(needed, _weighting_outputs(variants, known, needed))
    signals = [_overlay_signals([v.overlays[j] for v in variants], known) for j in range(_depth(variants))]
    return [
        _Group(members, known, weightings, signals).target_block(positions, first, rows)
        for first, positions, members, rows in planned
    ]


@dataclass(frozen=True)
class Weightings:
    """Each distinct weighting's output (``_weighting_key`` -> frame) on the rows ``rows`` of the panel."""

    rows: np.ndarray
    outputs: dict[str, pd.DataFrame]

    def at(self, key: str, rows: np.ndarray) -> np.ndarray:
        return self.outputs[key].to_numpy(dtype=float)[np.searchsorted(self.rows, rows)]


def _trade_rows(schedule, known: pd.DataFrame, first: pd.Timestamp | None) -> np.ndarray:
    """The rows a group's weights are needed on: a calendar schedule's trade dates (as
    ``Strategy.target_weights``: its days from ``first`` on, plus ``first``); every row for a schedule that
    reads each variant's own weights (a drift band); none without an allocation day."""
    if first is None:
        return np.empty(0, dtype=int)
    if not isinstance(schedule, Every):
        return np.arange(len(known))
    trade_days = schedule.trade_days(known, known, first)
    return _positions(known.index, trade_days, first)


def _positions(index: pd.DatetimeIndex, trade_days: pd.DatetimeIndex, first: pd.Timestamp) -> np.ndarray:
    """Rows of ``index``: the trade days from ``first`` on, plus ``first``."""
    days = trade_days[trade_days >= first].union(pd.DatetimeIndex([first]))
    return index.get_indexer(days)


class _Group:
    """Variants with the same overlay assets, schedule kind and first allocation day: one array of weights,
    on the union of their tickers."""

    def __init__(
        self, members: list[Strategy], known: pd.DataFrame, weightings: Weightings, signals: list[dict]
    ):
        self.members = members
        self.tickers = tuple(dict.fromkeys(t for m in members for t in m.tickers))
        self.known = known[list(self.tickers)]
        self.column = {t: i for i, t in enumerate(self.tickers)}
        rows = {own: [t in own for t in self.tickers] for own in {m.tickers for m in members}}
        self.holds = np.array([rows[m.tickers] for m in members])  # each distinct ticker set looked up once
        self.live = self.known.notna().to_numpy()
        self.weightings, self.signals = weightings, signals

    def target_block(self, positions: list[int], first: pd.Timestamp | None, rows: np.ndarray) -> TargetBlock:
        """The members' weights on ``rows`` (``_trade_rows``)."""
        if first is None:
            nothing = np.empty((0, len(positions), len(self.tickers)))
            return TargetBlock(positions, self.known.index[:0], self.tickers, nothing, self.holds)
        if isinstance(self.members[0].rebalance, Every):  # the same trade dates for every member
            weights = self.weights(rows)
        else:
            rows, weights = self._own_trade_days(first)
        if not self.holds.all():
            np.copyto(weights, np.nan, where=~self.holds[None])  # no order for a ticker a variant lacks
        return TargetBlock(positions, self.known.index[rows], self.tickers, weights, self.holds)

    def _own_trade_days(self, first: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """Each member's schedule reads its own weights (a drift band): every row, then its trade dates. A
        ticker the member lacks has weight 0 here, which never moves a drift band."""
        full = self.weights(np.arange(len(self.known)))
        traded = np.zeros(full.shape[:2], dtype=bool)
        for v, member in enumerate(self.members):
            frame = pd.DataFrame(full[:, v], index=self.known.index, columns=list(self.tickers))
            trade_days = member.rebalance.trade_days(frame, self.known, first)
            traded[_positions(self.known.index, trade_days, first), v] = True
        rows = np.flatnonzero(traded.any(axis=1))
        return rows, np.where(traded[rows, :, None], full[rows], np.nan)

    def weights(self, rows: np.ndarray) -> np.ndarray:
        """(rows, members, tickers): the weighting, each overlay's move, the BTC share, NaN -> 0; one array,
        changed in place."""
        weights = self._weightings(rows)
        for j, signals in enumerate(self.signals):
            overlay = self.members[0].overlays[j]
            out = np.stack([signals[repr(m.overlays[j])][rows] for m in self.members], axis=1)
            asset = weights[:, :, self.column[overlay.asset]]  # a view: moved in place
            moved = np.where(out, asset, 0.0)
            asset -= moved
            if overlay.fallback is not None:
                fallback = self.column[overlay.fallback]
                weights[:, :, fallback] += np.where(self.live[rows, fallback, None], moved, 0.0)
        shares = np.array([m.btc_share for m in self.members])
        if shares.any():  # as target_weights; a zero share leaves the rule untouched (x 1, + 0)
            weights *= np.where(shares != 0, 1.0 - shares, 1.0)[:, None]
            weights[:, :, self.column[BTC]] += shares * self.live[rows, self.column[BTC], None]
        np.copyto(weights, 0.0, where=np.isnan(weights))
        return weights

    def _weightings(self, rows: np.ndarray) -> np.ndarray:
        """Each member's weighting output on ``rows`` and this group's columns: each distinct weighting's
        rows taken once, then repeated for the members that share it."""
        keys = [_weighting_key(m) for m in self.members]
        distinct = {key: d for d, key in enumerate(dict.fromkeys(keys))}
        stacked = np.zeros((len(rows), len(distinct), len(self.tickers)))
        for key, d in distinct.items():
            columns = [self.column[t] for t in self.weightings.outputs[key].columns]
            stacked[:, d, columns] = self.weightings.at(key, rows)
        # np.take keeps (rows, members, tickers) in C order; stacked[:, keys] laid the members outermost, so
        # every trade date's rows were scattered over the whole array in the simulation's loop
        return np.take(stacked, [distinct[key] for key in keys], axis=1)


def _groups(
    variants: list[Strategy], known: pd.DataFrame, start
) -> list[tuple[pd.Timestamp | None, list[int]]]:
    """(first allocation day, variant positions) of each group: variants with the same overlay assets,
    schedule kind and first allocation day (which their tickers decide), whose tickers keep their own order
    in the group's union (``same_order``)."""
    firsts: dict[tuple, pd.Timestamp | None] = {}
    rows: dict[tuple, list[int]] = {}
    for position, variant in enumerate(variants):
        if variant.tickers not in firsts:
            firsts[variant.tickers] = first_allocation_day(known[list(variant.tickers)], start)
        schedule = variant.rebalance
        when = schedule.name if isinstance(schedule, Every) else type(schedule).__name__
        moves = tuple((type(o).__name__, o.asset, o.fallback) for o in variant.overlays)
        rows.setdefault((moves, when, firsts[variant.tickers]), []).append(position)
    return [
        (key[-1], [positions[i] for i in members])
        for key, positions in rows.items()
        for members in same_order([variants[p].tickers for p in positions])
    ]


def same_order(tickers: list[tuple[str, ...]]) -> list[list[int]]:
    """Positions in groups whose union of tickers (first-seen order) lists every member's tickers in the
    member's own order. The simulation settles an exact tie between two buys by column order, as vectorbt
    does in a single run: ``{SPY: .5, TLT: .5}`` beside ``{TLT: .5, SPY: .5}`` must not share columns."""
    groups: list[tuple[dict[str, int], list[int]]] = []
    # an order seen before joins the group it joined: the groups before that one refused it, and a union only
    # grows at its end, so they still would
    joined: dict[tuple[str, ...], list[int]] = {}
    for position, own in enumerate(tickers):
        members = joined.get(own) or _group_for(groups, own)
        members.append(position)
        joined[own] = members
    return [members for _, members in groups]


def _group_for(groups: list[tuple[dict[str, int], list[int]]], own: tuple[str, ...]) -> list[int]:
    """The members of the first group whose union can take ``own`` in its order (the union grows by the
    tickers it lacks), or of a new group."""
    for union, members in groups:
        added = iter(range(len(union), len(union) + len(own)))
        places = [union[t] if t in union else next(added) for t in own]
        if all(a < b for a, b in itertools.pairwise(places)):
            for ticker in own:
                union.setdefault(ticker, len(union))
            return members
    groups.append(({t: i for i, t in enumerate(own)}, []))
    return groups[-1][1]


def _depth(variants: list[Strategy]) -> int:
    return len(variants[0].overlays)


def _weighting_key(variant: Strategy) -> str:
    """A weighting's output depends on the block (its type and every field) and the assets it splits."""
    return repr((variant.weighting, variant.assets))


def _weighting_outputs(
    variants: list[Strategy], known: pd.DataFrame, rows: np.ndarray
) -> dict[str, pd.DataFrame]:
    """Each distinct weighting's output on ``rows``, on the columns it splits (as ``target_weights``): the
    blocks of one class over the same assets at once (its ``outputs`` hook, given the rows: inverse
    volatility shares one pass of sums and computes only those rows)."""
    distinct: dict[tuple, dict[str, Block]] = {}
    for variant in variants:
        inputs = (type(variant.weighting), variant.assets)
        distinct.setdefault(inputs, {})[_weighting_key(variant)] = variant.weighting
    outputs: dict[str, pd.DataFrame] = {}
    for (kind, assets), blocks in distinct.items():
        columns = known[list(resolve(assets))]
        if _own_hook(kind, "outputs") and "rows" in inspect.signature(kind.outputs).parameters:
            computed = kind.outputs(list(blocks.values()), columns, rows)
        elif _own_hook(kind, "outputs"):  # a hook written before the rows: every row, then the trade rows
            computed = [frame.iloc[rows] for frame in kind.outputs(list(blocks.values()), columns)]
        else:
            computed = [block(columns).iloc[rows] for block in blocks.values()]
        outputs.update(zip(blocks, computed, strict=True))
    return outputs


def _overlay_signals(overlays: list, known: pd.DataFrame) -> dict[str, np.ndarray]:
    """repr(overlay) -> its "out" signal on every row of ``known``; distinct overlays of one class at once."""
    distinct = list({repr(o): o for o in overlays}.values())
    signals: dict[str, np.ndarray] = {}
    for kind in dict.fromkeys(type(o) for o in distinct):
        same = [o for o in distinct if type(o) is kind]
        if _own_hook(kind, "signals"):
            computed = kind.signals(same, known)
        else:
            computed = [overlay.signal(known) for overlay in same]
        for overlay, signal in zip(same, computed, strict=True):
            signals[repr(overlay)] = signal.to_numpy(dtype=bool)
    return signals


def _own_hook(kind: type, name: str) -> bool:
    """Whether ``kind`` itself defines the batched hook ``name``: a subclass that computes another way (its
    own ``__call__`` or ``signal``) is run block by block unless it batches again (as ``Block.batchable``)."""
    return name in vars(kind)
