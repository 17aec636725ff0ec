"""Benchmark: gold (GLD), bought and held.

The old store of value that bitcoin claims to replace."""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(id="gold", thesis=__doc__, weighting=Fixed({"GLD": 1.0}))
