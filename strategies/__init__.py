"""Strategies: declarations that turn prices into target weights. One small module per strategy.

Building blocks compose like bt's algos: a weighting (``Fixed``, ``EqualWeight``, ``InverseVolatility``,
``Blend``), a rebalance schedule (``"monthly"`` ..., ``DriftBand``), optional overlays (``TrendFilter``,
``CorrelationSwitch``). See ``strategies/base.py`` for the timing convention.
"""

from infrabt.strategies.base import Strategy
from infrabt.strategies.loader import load_strategies
from infrabt.strategies.overlays import CorrelationSwitch, TrendFilter
from infrabt.strategies.schedules import DriftBand, Every
from infrabt.strategies.weighting import Blend, EqualWeight, Fixed, InverseVolatility

__all__ = [
    "Blend",
    "CorrelationSwitch",
    "DriftBand",
    "EqualWeight",
    "Every",
    "Fixed",
    "InverseVolatility",
    "Strategy",
    "TrendFilter",
    "load_strategies",
]
