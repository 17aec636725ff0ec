"""All the rails' stocks, weighted by inverse 63-day volatility, monthly.

The same names as infra_thesis, but each position sized so the wild miners do not dominate the risk.
"""

from infrabt.strategies import InverseVolatility, Strategy

STRATEGY = Strategy(
    id="rails_inverse_vol",
    thesis=__doc__,
    assets=("miners", "gpu_datacenter", "tokenization"),
    weighting=InverseVolatility(lookback=63),
    rebalance="monthly",
)
