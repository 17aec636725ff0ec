"""Signal overlays: steps that move one asset's weight elsewhere while a signal says "out".

Signals are computed on ``known`` (closes up to the day before each trade date), so they never see the close
at which they trade. Until a signal has its full lookback it says "out": an asset is held only on evidence.
"""

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
from infrabt.strategies.base import BTC
from infrabt.strategies.block import Block


@dataclass(frozen=True)
class TrendFilter(Block):
    """Hold ``asset`` only while its close is above its ``lookback``-day average, else ``fallback`` or cash.

    ``lookback`` counts days of the calendar in use (NYSE sessions on the equity calendar).
    """

    asset: str = BTC
    lookback: int = 200
    fallback: str | None = None
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback",)
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"lookback": (1, 10_000)}

    def __call__(self, weights: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
        price = known[self.asset]
        average = price.rolling(self.lookback, min_periods=self.lookback).mean()
        return move_weight(weights, known, self.asset, self.fallback, out=~(price > average))

    def tickers(self) -> tuple[str, ...]:
        return (self.asset, self.fallback) if self.fallback else (self.asset,)

    def describe(self) -> str:
        return f"{self.asset} only above its {self.lookback}-day average, else {self.fallback or 'cash'}"


@dataclass(frozen=True)
class CorrelationSwitch(Block):
    """Hold ``asset`` while the ``lookback``-day correlation of its daily returns with ``reference`` is below
    ``threshold``; otherwise hold ``fallback`` (None = cash) instead."""

    asset: str = BTC
    reference: str = "SPY"
    lookback: int = 63
    threshold: float = 0.3
    fallback: str | None = "GLD"
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback", "threshold")
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"lookback": (2, 10_000), "threshold": (-1, 1)}

    def __call__(self, weights: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
        returns = known[[self.asset, self.reference]].pct_change(fill_method=None)
        window = returns[self.asset].rolling(self.lookback, min_periods=self.lookback)
        correlation = window.corr(returns[self.reference])
        return move_weight(weights, known, self.asset, self.fallback, out=~(correlation < self.threshold))

    def tickers(self) -> tuple[str, ...]:
        extra = (self.fallback,) if self.fallback else ()
        return (self.asset, self.reference, *extra)

    def describe(self) -> str:
        fallback = self.fallback or "cash"
        return (
            f"{self.asset} while its {self.lookback}-day correlation to {self.reference} "
            f"< {self.threshold:g}, else {fallback}"
        )


def move_weight(
    weights: pd.DataFrame, known: pd.DataFrame, asset: str, fallback: str | None, out: pd.Series
) -> pd.DataFrame:
    """On days ``out`` is true, move ``asset``'s weight to ``fallback`` (cash if None or not live)."""
    moved = weights[asset].where(out, 0.0)
    weights = weights.copy()
    weights[asset] = weights[asset] - moved
    if fallback is not None:
        weights[fallback] = weights[fallback] + moved.where(known[fallback].notna(), 0.0)
    return weights
