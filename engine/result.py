"""What a backtest returns: plain pandas objects, so reports and tests never need vectorbt."""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from infrabt.data.errors import ConfigError


def check_cost(what: str, value) -> float:
    """A fee or slippage rate is a fraction of traded value in [0, 1); ``what`` names where it came from."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 <= value < 1:
        rule = "must be a fraction of traded value in [0, 1), e.g. 0.001 for 10 bps"
        raise ConfigError(f"{what} {format(value, 'g') if number else repr(value)} {rule}")
    return float(value)


@dataclass(frozen=True)
class Costs:
    """Trading costs and starting capital, applied to every order.

    ``fees`` and ``slippage`` are fractions of traded value (0.001 = 10 bps): fees are paid in cash,
    slippage moves the fill price against the trade.
    """

    fees: float = 0.001
    slippage: float = 0.001
    init_cash: float = 100_000.0


@dataclass(frozen=True)
class BacktestResult:
    """Daily results for a set of strategies, all on one calendar.

    returns:     dates x strategy id, simple daily returns of the whole portfolio (the first day is 0).
    equity:      dates x strategy id, portfolio value in currency (starts at ``costs.init_cash``).
    weights:     strategy id -> dates x tickers, weights held at each close after trading
                 (cash = 1 - row sum).
    trades:      one row per fill: date, strategy, ticker, size, price, value, fees.
    turnover:    dates x strategy id, traded value / portfolio value that day.
    fees:        strategy id -> total fees paid (currency).
    membership:  strategy id -> dates x tickers bool, which assets were live (had a price) each day.
    prices:      dates x tickers adjusted closes used (incl. every ticker any strategy named).
    calendar:    "equity" (NYSE sessions, 252/yr) or "crypto" (every day, 365/yr).
    periods_per_year: the annualization factor that belongs to ``calendar``.
    strategies:  strategy id -> the Strategy object (descriptions, parameters).
    failures:    strategy id -> error message, for strategies that could not be run (others still are).
    """

    returns: pd.DataFrame
    equity: pd.DataFrame
    weights: dict[str, pd.DataFrame]
    trades: pd.DataFrame
    turnover: pd.DataFrame
    fees: pd.Series
    membership: dict[str, pd.DataFrame]
    prices: pd.DataFrame
    calendar: str
    periods_per_year: int
    costs: Costs
    strategies: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def start(self) -> pd.Timestamp:
        return self.returns.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.returns.index[-1]
