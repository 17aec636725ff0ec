"""The compute rail: chips, networking, power and the data centers that house them, equal-weighted monthly.

NVDA, AMD, AVGO, TSM, SMCI, MU, ANET, VRT, EQIX, DLR, AMZN and MSFT: whoever wins the AI race rents or buys
from them.
"""

from infrabt.strategies import EqualWeight, Strategy

STRATEGY = Strategy(
    id="gpu_datacenter",
    thesis=__doc__,
    assets=("gpu_datacenter",),
    weighting=EqualWeight(),
    rebalance="monthly",
)
