"""Target weights of many variants of one strategy at once: the batched path of a sweep.

``Strategy.target_weights`` is the definition; this computes the same numbers for a list of variants (one
strategy with different parameters) without repeating the work they share:

- each distinct weighting runs once: variants that differ only in btc_share or rebalance share its output;
- overlay signals run once per distinct parameter set, through the block's ``signals`` hook, which can share
  more (``CorrelationSwitch``: one rolling correlation per lookback for every threshold);
- what follows (moving weight to a fallback, the BTC carve-out, NaN -> 0) works row by row, so it runs only
  on the trade dates' rows, as array operations over (variants, trade dates, tickers) for each group of
  variants that trade on the same dates with the same tickers.

A calendar schedule's trade dates depend only on the dates; a drift band's depend on each variant's weights,
so those variants are computed on every day and keep their own trade dates. A strategy with a block that does
not declare ``batched`` is not ``batchable``: sweeps run it one variant at a time.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.data.universe import resolve
from infrabt.strategies.base import BTC, Strategy, first_allocation_day, known_closes
from infrabt.strategies.schedules import Every


@dataclass(frozen=True)
class TargetBlock:
    """Target weights of some of the variants on shared rows.

    ``weights[v, r, t]``: variant ``positions[v]``'s target for ``tickers[t]`` at the close of ``dates[r]``;
    NaN where that variant does not trade on that date. No dates: the variants have no allocation day.
    """

    positions: list[int]
    dates: pd.DatetimeIndex
    tickers: tuple[str, ...]
    weights: np.ndarray


def batchable(strategy: Strategy) -> bool:
    """Every block of the strategy declares a batched path."""
    return all(block.batchable() for block in strategy._blocks())


def batch_target_weights(variants: list[Strategy], prices: pd.DataFrame, start=None) -> list[TargetBlock]:
    """``target_weights`` of every variant (all ``batchable``, one base strategy), grouped into blocks."""
    tickers = list(dict.fromkeys(t for v in variants for t in v.tickers))
    known = known_closes(prices[tickers])
    weightings = _weighting_outputs(variants, known)
    signals = [_overlay_signals([v.overlays[j] for v in variants], known) for j in range(_depth(variants))]
    blocks = []
    for positions in _groups(variants).values():
        members = [variants[p] for p in positions]
        group = _Group(members, known[list(members[0].tickers)], weightings, signals)
        blocks.append(group.target_block(positions, start))
    return blocks


class _Group:
    """Variants with the same tickers, overlay assets and schedule kind: one array of weights."""

    def __init__(self, members: list[Strategy], known: pd.DataFrame, weightings: dict, signals: list[dict]):
        self.members, self.known = members, known
        self.tickers = tuple(known.columns)
        self.live = known.notna().to_numpy()
        self.weightings, self.signals = weightings, signals

    def target_block(self, positions: list[int], start) -> TargetBlock:
        first = first_allocation_day(self.known, start)
        if first is None:
            nothing = np.empty((len(positions), 0, len(self.tickers)))
            return TargetBlock(positions, self.known.index[:0], self.tickers, nothing)
        schedule = self.members[0].rebalance
        if isinstance(schedule, Every):  # the same trade dates for every member: compute only those rows
            rows = self._rows(schedule.trade_days(self.known, self.known, first), first)
            return TargetBlock(positions, self.known.index[rows], self.tickers, self.weights(rows))
        return self._own_trade_days(positions, first)

    def _own_trade_days(self, positions: list[int], first: pd.Timestamp) -> TargetBlock:
        """Each member's schedule reads its own weights (a drift band): every row, then its trade dates."""
        everyday = np.arange(len(self.known))
        full = self.weights(everyday)
        traded = np.zeros(full.shape[:2], dtype=bool)
        for v, member in enumerate(self.members):
            frame = pd.DataFrame(full[v], index=self.known.index, columns=list(self.tickers))
            traded[v, self._rows(member.rebalance.trade_days(frame, self.known, first), first)] = True
        rows = np.flatnonzero(traded.any(axis=0))
        weights = np.where(traded[:, rows, None], full[:, rows], np.nan)
        return TargetBlock(positions, self.known.index[rows], self.tickers, weights)

    def _rows(self, trade_days: pd.DatetimeIndex, first: pd.Timestamp) -> np.ndarray:
        """As ``Strategy.target_weights``: the schedule's days from ``first`` on, plus ``first``."""
        days = trade_days[trade_days >= first].union(pd.DatetimeIndex([first]))
        return self.known.index.get_indexer(days)

    def weights(self, rows: np.ndarray) -> np.ndarray:
        """(members, rows, tickers): the weighting, each overlay's move, the BTC share, NaN -> 0."""
        column = {t: i for i, t in enumerate(self.tickers)}
        weights = self._weightings(rows)
        for j, signals in enumerate(self.signals):
            overlay = self.members[0].overlays[j]
            out = np.stack([signals[repr(m.overlays[j])][rows] for m in self.members])
            moved = np.where(out, weights[:, :, column[overlay.asset]], 0.0)
            weights[:, :, column[overlay.asset]] -= moved
            if overlay.fallback is not None:
                fallback = column[overlay.fallback]
                weights[:, :, fallback] += np.where(self.live[rows, fallback], moved, 0.0)
        shares = np.array([m.btc_share for m in self.members])
        if shares.any():
            held = shares != 0  # as target_weights: a zero share leaves the rule untouched
            weights[held] *= (1.0 - shares[held])[:, None, None]
            weights[held, :, column[BTC]] += shares[held][:, None] * self.live[rows, column[BTC]]
        weights[np.isnan(weights)] = 0.0
        return weights

    def _weightings(self, rows: np.ndarray) -> np.ndarray:
        """Each member's weighting output on ``rows`` and this group's columns; computed once per distinct
        weighting, then repeated for the members that share it."""
        keys = [_weighting_key(m) for m in self.members]
        distinct = list(dict.fromkeys(keys))
        columns = list(self.tickers)
        aligned = [self.weightings[key].reindex(columns=columns, fill_value=0.0) for key in distinct]
        stacked = np.stack([frame.to_numpy(dtype=float)[rows] for frame in aligned])
        return stacked[[distinct.index(key) for key in keys]]


def _groups(variants: list[Strategy]) -> dict[tuple, list[int]]:
    """Variant positions by what fixes their rows and columns: tickers, overlay assets, schedule kind."""
    groups: dict[tuple, list[int]] = {}
    for position, variant in enumerate(variants):
        schedule = variant.rebalance
        when = schedule.name if isinstance(schedule, Every) else type(schedule).__name__
        moves = tuple((type(o).__name__, o.asset, o.fallback) for o in variant.overlays)
        groups.setdefault((variant.tickers, moves, when), []).append(position)
    return groups


def _depth(variants: list[Strategy]) -> int:
    return len(variants[0].overlays)


def _weighting_key(variant: Strategy) -> str:
    """A weighting's output depends on the block (its type and every field) and the assets it splits."""
    return repr((variant.weighting, variant.assets))


def _weighting_outputs(variants: list[Strategy], known: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each distinct weighting's output, computed once, on the columns it splits (as ``target_weights``)."""
    outputs: dict[str, pd.DataFrame] = {}
    for variant in variants:
        key = _weighting_key(variant)
        if key not in outputs:
            outputs[key] = variant.weighting(known[list(resolve(variant.assets))])
    return outputs


def _overlay_signals(overlays: list, known: pd.DataFrame) -> dict[str, np.ndarray]:
    """repr(overlay) -> its "out" signal on every row of ``known``; distinct overlays of one class at once."""
    distinct = list({repr(o): o for o in overlays}.values())
    signals: dict[str, np.ndarray] = {}
    for kind in dict.fromkeys(type(o) for o in distinct):
        same = [o for o in distinct if type(o) is kind]
        for overlay, signal in zip(same, kind.signals(same, known), strict=True):
            signals[repr(overlay)] = signal.to_numpy(dtype=bool)
    return signals
