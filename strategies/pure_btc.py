"""All in bitcoin: the purest bet that a neutral settlement rail wins.

Holds 100% BTC-USD. The yardstick every rails strategy must beat on risk-adjusted terms.
"""

from infrabt.strategies import Fixed, Strategy

STRATEGY = Strategy(
    id="pure_btc",
    thesis=__doc__,
    weighting=Fixed({"BTC-USD": 1.0}),
    calendar="crypto",
)
