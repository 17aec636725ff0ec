"""The three largest crypto networks, equal-weighted and rebalanced monthly.

BTC, ETH and SOL: a bet on the settlement layers themselves rather than on one of them. SOL joins at the first
monthly rebalance after its listing (2020-04).
"""

from infrabt.strategies import EqualWeight, Strategy

STRATEGY = Strategy(
    id="crypto_majors",
    thesis=__doc__,
    assets=("BTC-USD", "ETH-USD", "SOL-USD"),
    weighting=EqualWeight(),
    rebalance="monthly",
    calendar="crypto",
)
