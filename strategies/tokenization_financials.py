"""The financial rail: exchanges, custodians and brokers that tokenize and settle assets, equal-weighted.

JPM, BLK, NDAQ, GS, ICE, CME, COIN, HOOD and SCHW, monthly: the incumbents and newcomers who collect
the toll when assets move on-chain. COIN and HOOD join after their 2021 listings.
"""

from infrabt.strategies import EqualWeight, Strategy

STRATEGY = Strategy(
    id="tokenization_financials",
    thesis=__doc__,
    assets=("tokenization",),
    weighting=EqualWeight(),
    rebalance="monthly",
)
