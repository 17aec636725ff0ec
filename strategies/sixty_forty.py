"""Benchmark: the classic 60/40, SPY 60% and long Treasuries (TLT) 40%, rebalanced monthly.

The balanced portfolio most investors would otherwise hold.
"""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(
    id="sixty_forty",
    thesis=__doc__,
    weighting=Fixed({"SPY": 0.6, "TLT": 0.4}),
    rebalance="monthly",
)
