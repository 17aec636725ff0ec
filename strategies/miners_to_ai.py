"""Bitcoin miners turning into AI data-center landlords, equal-weighted monthly.

Miners own what AI is short of: powered land, grid connections and cooling. Eleven listed miners; late
listings (HUT, BITF, CIFR, IREN, WULF, CORZ, GLXY) join at the first monthly rebalance after they list.
"""

from infrabt.strategies import EqualWeight, Strategy

STRATEGY = Strategy(
    id="miners_to_ai",
    thesis=__doc__,
    assets=("miners",),
    weighting=EqualWeight(),
    rebalance="monthly",
)
