"""Own all three rails: a third each to miners, compute and financial plumbing, equal weight inside, monthly.

The thesis in one portfolio: whichever rail wins, the owner of all three collects. Set ``btc_share`` (a sweep
parameter) to hold bitcoin beside the rails.
"""

from infrabt.strategies import Blend, Strategy

STRATEGY = Strategy(
    id="infra_thesis",
    thesis=__doc__,
    weighting=Blend({"miners": 1 / 3, "gpu_datacenter": 1 / 3, "tokenization": 1 / 3}),
    rebalance="monthly",
)
