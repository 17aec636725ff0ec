"""Bitcoin while it diversifies: BTC while its 3-month correlation with SPY is below 0.3, else gold; weekly.

Tests the "digital gold" claim: when bitcoin trades like a tech stock, hold the real thing instead. The
correlation spans 91 calendar days (a duration, "91D": about 63 NYSE sessions), whatever the calendar.
"""

from infrabt.strategies import CorrelationSwitch, Fixed, Strategy

STRATEGY = Strategy(
    id="btc_corr_switch",
    thesis=__doc__,
    weighting=Fixed({"BTC-USD": 1.0}),
    overlays=(CorrelationSwitch("BTC-USD", reference="SPY", lookback="91D", threshold=0.3, fallback="GLD"),),
    rebalance="weekly",
)
