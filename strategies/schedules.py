"""When to trade: calendar rebalances and a drift band.

A calendar rebalance trades at the close of the first trading day of each period (the decision uses the
close of the day before it). The strategy adds the first allocation itself, so a schedule only names the later
trade days.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from infrabt.data.errors import StrategyError
from infrabt.strategies.block import Block

PERIODS = {"daily": "D", "weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y"}


@dataclass(frozen=True)
class Every(Block):
    """Rebalance to target on the first trading day of every period (daily, weekly, ... yearly)."""

    name: str = "monthly"
    batched: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.name not in PERIODS:
            names = ", ".join(PERIODS)
            raise StrategyError(f"unknown rebalance {self.name!r}; use one of {names} or DriftBand")

    def trade_days(self, weights: pd.DataFrame, known: pd.DataFrame, first: pd.Timestamp) -> pd.DatetimeIndex:
        return period_starts(weights.index, self.name)

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class DriftBand(Block):
    """Rebalance when any held weight has drifted from its target by more than ``tolerance`` (absolute).

    Held weights drift with prices from the last trade (costs ignored for the decision); the check for trade
    date t compares the weights held at the close of t-1 with the target decided on the same data.
    """

    tolerance: float = 0.05
    name: ClassVar[str] = "drift"
    batched: ClassVar[bool] = True
    PARAMS: ClassVar[tuple[str, ...]] = ("tolerance",)
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"tolerance": (1e-6, 1)}

    def trade_days(self, weights: pd.DataFrame, known: pd.DataFrame, first: pd.Timestamp) -> pd.DatetimeIndex:
        begin = weights.index.get_loc(first)
        target = weights.to_numpy()[begin:]
        close = known.to_numpy()[begin:]  # row d: the close of the day before trade day d
        growth = np.nan_to_num(close[1:] / close[:-1], nan=1.0)  # growth[d]: close d-1 -> close d
        held, cash = target[0].copy(), 1.0 - target[0].sum()  # value fractions at the close of day 0
        trades = []
        for day in range(1, len(target)):
            if day > 1 and not (trades and trades[-1] == day - 1):
                held = held * growth[day - 1]  # drift from the close of day-2 to the close of day-1
            value = held.sum() + cash
            if np.abs(held / value - target[day]).max() > self.tolerance:
                trades.append(day)
                held, cash = target[day].copy(), 1.0 - target[day].sum()
        return weights.index[begin:][trades]

    def describe(self) -> str:
        return f"rebalance when off target by > {self.tolerance:.0%}"


def period_starts(index: pd.DatetimeIndex, name: str) -> pd.DatetimeIndex:
    """The first day of each period in ``index`` (every day for daily)."""
    if name == "daily":
        return index
    periods = index.to_period(PERIODS[name])
    new = np.r_[True, periods[1:] != periods[:-1]]
    return index[new]


def schedule(value: Any) -> Block:
    """A schedule from its name ("monthly") or an existing schedule object."""
    if isinstance(value, Block):
        return value
    if value == "drift":
        return DriftBand()
    return Every(value)
