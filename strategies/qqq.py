"""Benchmark: US tech-heavy large caps, the Nasdaq-100 (QQQ), bought and held.

The obvious alternative to picking AI-infrastructure names one by one."""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(id="qqq", thesis=__doc__, weighting=Fixed({"QQQ": 1.0}))
