"""Signal overlays: steps that move one asset's weight elsewhere while a signal says "out".

Signals are computed on ``known`` (closes up to the day before each trade date), so they never see the close
at which they trade. Until a signal has its full lookback it says "out": an asset is held only on evidence.
"""

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from infrabt.strategies.base import BTC
from infrabt.strategies.block import Block
from infrabt.strategies.windows import Lookback, describe, rolling, when_full


class MoveOverlay(Block):
    """An overlay that moves ``asset``'s weight to ``fallback`` (None: cash) on days ``signal`` says out.

    Splitting the signal from the move is what lets a sweep batch it: the signal depends only on the block's
    parameters and the prices, so variants that share them share it (``strategies.batch``).
    """

    asset: str
    fallback: str | None

    def signal(self, known: pd.DataFrame) -> pd.Series:
        """True on the days the asset is out (its weight moves to the fallback)."""
        raise NotImplementedError

    def __call__(self, weights: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
        return move_weight(weights, known, self.asset, self.fallback, out=self.signal(known))

    @classmethod
    def signals(cls, overlays: "list[MoveOverlay]", known: pd.DataFrame) -> list[pd.Series]:
        """``signal`` for many parameter sets at once (distinct overlays); a rule whose parameters share work
        overrides it."""
        return [overlay.signal(known) for overlay in overlays]


@dataclass(frozen=True)
class TrendFilter(MoveOverlay):
    """Hold ``asset`` only while its close is above its ``lookback`` average, else ``fallback`` or cash.

    ``lookback``: a count of days of the calendar in use (200: NYSE sessions on the equity calendar) or a
    duration ("200D": calendar days, the same span on either calendar; ``strategies.windows``).
    """

    asset: str = BTC
    lookback: Lookback = 200
    fallback: str | None = None
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback",)
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"lookback": (1, 10_000)}
    batched: ClassVar[bool] = True

    def signal(self, known: pd.DataFrame) -> pd.Series:
        price = known[self.asset]
        average = when_full(rolling(price, self.lookback).mean(), price, self.lookback)
        return ~(price > average)

    def tickers(self) -> tuple[str, ...]:
        return (self.asset, self.fallback) if self.fallback else (self.asset,)

    def describe(self) -> str:
        average = f"{describe(self.lookback)} average"
        return f"{self.asset} only above its {average}, else {self.fallback or 'cash'}"


@dataclass(frozen=True)
class CorrelationSwitch(MoveOverlay):
    """Hold ``asset`` while the ``lookback`` correlation of its daily returns with ``reference`` is below
    ``threshold``; otherwise hold ``fallback`` (None = cash) instead. ``lookback``: sessions or a duration."""

    asset: str = BTC
    reference: str = "SPY"
    lookback: Lookback = 63
    threshold: float = 0.3
    fallback: str | None = "GLD"
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback", "threshold")
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"lookback": (2, 10_000), "threshold": (-1, 1)}
    batched: ClassVar[bool] = True

    def signal(self, known: pd.DataFrame) -> pd.Series:
        return ~(self.correlation(known) < self.threshold)

    @classmethod
    def signals(cls, overlays: "list[CorrelationSwitch]", known: pd.DataFrame) -> list[pd.Series]:
        """One rolling correlation per lookback, compared with every threshold swept beside it."""
        correlations: dict[tuple, pd.Series] = {}
        out = []
        for overlay in overlays:
            key = (overlay.asset, overlay.reference, overlay.lookback)
            if key not in correlations:
                correlations[key] = overlay.correlation(known)
            out.append(~(correlations[key] < overlay.threshold))
        return out

    def correlation(self, known: pd.DataFrame) -> pd.Series:
        """Rolling correlation of daily returns; its own step, so variants that differ only in ``threshold``
        share it in a sweep."""
        returns = known[[self.asset, self.reference]].pct_change(fill_method=None)
        correlation = rolling(returns[self.asset], self.lookback).corr(returns[self.reference])
        return when_full(correlation, returns, self.lookback)

    def tickers(self) -> tuple[str, ...]:
        extra = (self.fallback,) if self.fallback else ()
        return (self.asset, self.reference, *extra)

    def describe(self) -> str:
        fallback = self.fallback or "cash"
        return (
            f"{self.asset} while its {describe(self.lookback)} correlation to {self.reference} "
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
