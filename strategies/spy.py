"""Benchmark: US large caps, the S&P 500 (SPY), bought and held.

The default yardstick: every comparison in a run is also made against it."""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(id="spy", thesis=__doc__, weighting=Fixed({"SPY": 1.0}))
