"""Benchmark: oil (USO), bought and held.

The old energy rail: a commodity exposure to set beside the miners' power bill."""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(id="oil", thesis=__doc__, weighting=Fixed({"USO": 1.0}))
