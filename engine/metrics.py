"""Performance metrics: one small function each, delegating to quantstats with the run's annualization.

Conventions: ``returns`` are simple daily returns on one calendar; ``periods_per_year`` is 252 on the equity
calendar and 365 on the crypto calendar (quantstats defaults to 252, so it is always passed explicitly).
CAGR compounds over ``len(returns) / periods_per_year`` years; volatility, Sharpe and Sortino scale by
sqrt(periods_per_year); Sharpe and Sortino use a zero risk-free rate; max drawdown is negative (from a
starting value of 1); Calmar = CAGR / |max drawdown|; beta = cov(r, b) / var(b); correlation is Pearson's on
daily returns.
"""

import logging

import pandas as pd

logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

COLUMNS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar", "beta", "correlation")


def _qs():
    import quantstats.stats as stats  # imported on first use: it pulls in matplotlib

    return stats


def cagr(returns: pd.Series, periods_per_year: int) -> float:
    """Compound annual growth rate: (prod(1 + r)) ** (periods_per_year / n) - 1."""
    return float(_qs().cagr(returns, periods=periods_per_year))


def volatility(returns: pd.Series, periods_per_year: int) -> float:
    """Annualized standard deviation of daily returns (sample, ddof=1)."""
    return float(_qs().volatility(returns, periods=periods_per_year))


def sharpe(returns: pd.Series, periods_per_year: int) -> float:
    """mean / std of daily returns x sqrt(periods_per_year), risk-free rate 0."""
    return float(_qs().sharpe(returns, periods=periods_per_year))


def sortino(returns: pd.Series, periods_per_year: int) -> float:
    """mean / downside deviation (root mean square of negative returns over all days) x sqrt(periods)."""
    return float(_qs().sortino(returns, periods=periods_per_year))


def max_drawdown(returns: pd.Series) -> float:
    """Worst fall of the compounded value from its running peak (starting value 1), e.g. -0.34."""
    return float(_qs().max_drawdown(returns))


def calmar(returns: pd.Series, periods_per_year: int) -> float:
    """CAGR / |max drawdown|."""
    return float(_qs().calmar(returns, periods=periods_per_year))


def beta(returns: pd.Series, benchmark_returns: pd.Series) -> float:
    """cov(returns, benchmark) / var(benchmark) on the days both exist."""
    return float(_qs().greeks(returns, benchmark_returns)["beta"])


def correlation(returns: pd.Series, benchmark_returns: pd.Series) -> float:
    """Pearson correlation of daily returns with the benchmark's."""
    return float(returns.corr(benchmark_returns))


def summary(returns: pd.DataFrame, benchmark_returns: pd.Series, periods_per_year: int) -> pd.DataFrame:
    """One row per strategy (``returns`` columns) with the columns of ``COLUMNS``."""
    rows = {
        name: {
            "cagr": cagr(series, periods_per_year),
            "volatility": volatility(series, periods_per_year),
            "sharpe": sharpe(series, periods_per_year),
            "sortino": sortino(series, periods_per_year),
            "max_drawdown": max_drawdown(series),
            "calmar": calmar(series, periods_per_year),
            "beta": beta(series, benchmark_returns),
            "correlation": correlation(series, benchmark_returns),
        }
        for name, series in returns.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table.index.name = "strategy"
    return table
