"""Benchmark: 60/40 with a 5% bitcoin sleeve (SPY 57%, TLT 38%, BTC 5%), rebalanced monthly.

The cautious way in: how much does a small, rebalanced bitcoin position change a balanced portfolio?
"""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(
    id="sixty_forty_btc5",
    thesis=__doc__,
    weighting=Fixed({"SPY": 0.6, "TLT": 0.4}),
    btc_share=0.05,
    rebalance="monthly",
)
