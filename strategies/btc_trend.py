"""Bitcoin with a trend filter: BTC while its close is above its 200-day average, else cash; daily.

Aims to keep most of bitcoin's upside while stepping aside in its 70-80% drawdowns. The average spans 200
calendar days (a duration, "200D"), so it is the same rule on the crypto calendar and beside equities.
"""

from infrabt.strategies import Fixed, Strategy, TrendFilter

STRATEGY = Strategy(
    id="btc_trend",
    thesis=__doc__,
    weighting=Fixed({"BTC-USD": 1.0}),
    overlays=(TrendFilter("BTC-USD", lookback="200D", fallback=None),),
    rebalance="daily",
    calendar="crypto",
)
