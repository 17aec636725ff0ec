"""How the invested part is split: fixed, equal, inverse volatility, and a blend of sleeves.

Each weighting maps ``known`` (dates x tickers, the row for trade date t holding closes up to t-1) to desired
weights for every date. Weights go only to assets that are live (had a price at the previous close): an asset
that lists mid-period joins at the next trade date, and a missing asset's share is spread over the others.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from infrabt.data.universe import resolve
from infrabt.strategies.base import live
from infrabt.strategies.block import Block
from infrabt.strategies.windows import Lookback, describe, rolling, rolling_std, when_full


@dataclass(frozen=True)
class Fixed(Block):
    """Fixed weights, e.g. ``Fixed({"SPY": 0.6, "TLT": 0.4})``; a dead asset's share goes to the live ones."""

    weights: Mapping[str, float] = field(default_factory=dict)
    PARAMS: ClassVar[tuple[str, ...]] = ("weights",)
    batched: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", dict(self.weights))

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        declared = pd.Series(self.weights, dtype=float).reindex(known.columns, fill_value=0.0)
        present = live(known) * declared
        scale = declared.sum() / present.sum(axis=1)
        return present.mul(scale.replace(np.inf, 0.0).fillna(0.0), axis=0)

    def tickers(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def describe(self) -> str:
        if len(self.weights) == 1 and sum(self.weights.values()) == 1:
            return f"100% {next(iter(self.weights))}"
        return " / ".join(f"{name} {weight:.0%}" for name, weight in self.weights.items())


@dataclass(frozen=True)
class EqualWeight(Block):
    """1/n in each of the n live assets."""

    batched: ClassVar[bool] = True

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        present = live(known).astype(float)
        return present.div(present.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)

    def describe(self) -> str:
        return "equal weight"


@dataclass(frozen=True)
class InverseVolatility(Block):
    """Weights proportional to 1 / (standard deviation of daily returns over ``lookback``).

    ``lookback``: sessions of the calendar, or a duration ("91D"). An asset needs a full window of returns
    before it gets a weight (a new listing waits for its history).
    """

    lookback: Lookback = 63
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback",)
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"lookback": (2, 10_000)}
    batched: ClassVar[bool] = True

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        return self.outputs([self], known)[0]

    @classmethod
    def outputs(
        cls, weightings: "list[InverseVolatility]", known: pd.DataFrame, rows: np.ndarray | None = None
    ) -> list[pd.DataFrame]:
        """``w(known)`` for many blocks ``w`` at once, the hook a sweep calls (``strategies.batch``): every
        session-count lookback from one pass of cumulative sums (``windows.rolling_std``: a backtest and a
        sweep over lookbacks compute the same numbers); a duration takes its own time-based window.
        ``rows``: only those rows of the result (a sweep's trade dates; the volatility of the others is
        never computed).

        Not pandas' rolling std: its running update leaves a residue (2.8e-9 for three identical returns
        after larger ones) where a stale price has no volatility, and 1 / residue put ~100% in that asset."""
        rows = np.arange(len(known)) if rows is None else rows
        returns = known.pct_change(fill_method=None)
        counts = [w.lookback for w in weightings if not isinstance(w.lookback, str)]
        volatility = rolling_std(returns.to_numpy(), counts, rows)
        alive = live(known).to_numpy()[rows]
        out = []
        for w in weightings:
            if isinstance(w.lookback, str):
                by_time = when_full(rolling(returns, w.lookback).std(), returns, w.lookback).to_numpy()
                inverse = _inverse_weights(by_time[rows], alive)
            else:
                inverse = _inverse_weights(volatility[w.lookback], alive)
            out.append(pd.DataFrame(inverse, index=known.index[rows], columns=known.columns))
        return out

    def describe(self) -> str:
        return f"inverse {describe(self.lookback)} volatility"


@dataclass(frozen=True)
class Blend(Block):
    """Sleeves with fixed shares, weighted inside by ``inside``: ``Blend({"miners": 1/3, "crypto": 2/3})``.

    A sleeve is a universe group or a ticker; one with no live asset hands its share pro rata to the others.
    """

    shares: Mapping[str, float] = field(default_factory=dict)
    inside: Block = field(default_factory=EqualWeight)
    PARAMS: ClassVar[tuple[str, ...]] = ("shares",)
    batched: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "shares", dict(self.shares))

    def batchable(self) -> bool:
        return super().batchable() and self.inside.batchable()

    @property
    def lookback(self) -> Lookback:
        """The inner weighting's history need (e.g. inverse volatility inside each sleeve)."""
        return self.inside.lookback

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        sleeves = {name: self.inside(known[list(resolve([name]))]) for name in self.shares}
        active = pd.DataFrame({name: w.sum(axis=1) > 0 for name, w in sleeves.items()})
        shares = active * pd.Series(self.shares)
        shares = shares.mul(sum(self.shares.values()) / shares.sum(axis=1).replace(0.0, np.nan), axis=0)
        total = pd.DataFrame(0.0, index=known.index, columns=known.columns)
        for name, weights in sleeves.items():
            total = total.add(weights.mul(shares[name].fillna(0.0), axis=0), fill_value=0.0)
        return total[known.columns]

    def tickers(self) -> tuple[str, ...]:
        return resolve(list(self.shares))

    def describe(self) -> str:
        sleeves = ", ".join(f"{name} {share:.0%}" for name, share in self.shares.items())
        return f"sleeves {sleeves} ({self.inside.describe()} inside)"


def _inverse_weights(volatility: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Weights proportional to 1 / volatility among the ``alive`` assets (zero or no volatility: none)."""
    with np.errstate(divide="ignore"):
        inverse = 1.0 / volatility
    inverse[~alive | np.isinf(inverse)] = np.nan
    total = np.nansum(inverse, axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        weights = inverse / np.where(total == 0.0, np.nan, total)
    return np.nan_to_num(weights, nan=0.0)
