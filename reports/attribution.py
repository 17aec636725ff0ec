"""Where each strategy's return and risk came from: factor exposures, assets and sleeves, turnover and costs.

From the BacktestResult only (weights the engine held, its trades, the price panel); nothing is re-simulated.

Conventions. The weight of asset i held at the close of day t-1 earns asset i's return on day t, so a day's
return is sum_i w[t-1, i] r[t, i] minus that day's trading costs (fees, and slippage: the fill price's
distance from the close) over the previous day's value. Contributions to the total (compounded) return weight
each day by the growth up to the day before, which makes them add up exactly to the total return.
Contributions to risk are Euler's: cov(component, portfolio) / sd(portfolio), annualized; they add up
exactly to the volatility.
"""

import numpy as np
import pandas as pd

from infrabt.engine.result import BacktestResult
from infrabt.reports.regression import hac_fit

COLUMNS = ["strategy", "measure", "item", "value"]
FACTORS = ("SPY", "QQQ-SPY", "BTC-USD", "GLD")
"""The market, the tech tilt (QQQ minus SPY), bitcoin and gold."""
FACTOR_TICKERS = ("SPY", "QQQ", "BTC-USD", "GLD")
"""What ``FACTORS`` are made of (``factor_returns``)."""
COSTS = "costs"


def factor_returns(assets: pd.DataFrame) -> pd.DataFrame:
    """The factors present in the run's prices (QQQ-SPY needs both)."""
    factors = {}
    if "SPY" in assets.columns:
        factors["SPY"] = assets["SPY"]
        if "QQQ" in assets.columns:
            factors["QQQ-SPY"] = assets["QQQ"] - assets["SPY"]
    for name in ("BTC-USD", "GLD"):
        if name in assets.columns:
            factors[name] = assets[name]
    return pd.DataFrame(factors)


def factor_regression(returns: pd.Series, factors: pd.DataFrame, periods_per_year: int) -> dict:
    """Annualized alpha (mean daily intercept x periods), its Newey-West t-statistic, betas and R^2.

    A strategy that is the factors (SPY held alone, QQQ = SPY + the tech tilt) leaves residuals of float
    noise: its alpha is ~1e-13 and the t-statistic of that noise (16 for spy) means nothing, so it is NaN."""
    frame = pd.concat([returns.rename("__r"), factors], axis=1).dropna()
    if len(frame) < 60 or factors.empty:
        return {}
    fit = hac_fit(frame["__r"], frame[factors.columns])
    exact = 1 - fit.rsquared < 1e-9
    return {
        "alpha_annualized": float(fit.params["const"] * periods_per_year),
        "alpha_t": np.nan if exact else float(fit.tvalues["const"]),
        **{f"beta {name}": float(fit.params[name]) for name in factors.columns},
        "r_squared": float(fit.rsquared),
    }


def daily_components(result: BacktestResult, strategy: str) -> pd.DataFrame:
    """Days x (tickers + costs): each asset's part of the day's return and the day's cost (negative).

    The columns add up to the strategy's daily return.
    """
    weights = result.weights[strategy]
    held = np.zeros(weights.shape)
    held[1:] = weights.to_numpy(dtype=float)[:-1]  # held at the previous close; nothing before the first day
    prices = result.prices[list(weights.columns)].reindex(weights.index).to_numpy(dtype=float)
    moves = np.zeros(weights.shape)
    moves[1:] = prices[1:] / prices[:-1] - 1
    with np.errstate(
        invalid="ignore"
    ):  # no price: nothing is held there (the engine sells at the last close)
        parts = pd.DataFrame(
            np.where(held != 0, held * moves, 0.0), index=weights.index, columns=weights.columns
        )
    value_before = result.equity[strategy].shift(1).fillna(result.costs.init_cash)
    parts[COSTS] = -trading_costs(result, strategy).reindex(weights.index, fill_value=0.0) / value_before
    return parts


def trading_costs(result: BacktestResult, strategy: str) -> pd.Series:
    """Per day: fees plus slippage paid (filled quantity x distance of the fill price from the close)."""
    trades = result.trades
    if trades.empty:
        return pd.Series(dtype=float)
    own = trades[trades["strategy"] == strategy]
    prices = result.prices
    rows, columns = prices.index.get_indexer(own["date"]), prices.columns.get_indexer(own["ticker"])
    close = prices.to_numpy(dtype=float)[rows, columns]
    slippage = own["size"].to_numpy() * (own["price"].to_numpy() - close)
    return pd.Series(own["fees"].to_numpy() + slippage, index=own["date"].to_numpy()).groupby(level=0).sum()


def return_contributions(parts: pd.DataFrame, returns: pd.Series) -> pd.Series:
    """Each component's share of the total compounded return: daily parts weighted by growth up to the day
    before, so they add up to prod(1 + r) - 1."""
    growth_before = (1 + returns).cumprod().shift(1).fillna(1.0)
    return parts.mul(growth_before, axis=0).sum()


def risk_contributions(parts: pd.DataFrame, periods_per_year: int) -> pd.Series:
    """Euler contributions to annualized volatility: cov(part, total) / sd(total) x sqrt(periods)."""
    total = parts.sum(axis=1)
    centered = parts - parts.mean()
    covariance = centered.mul(total - total.mean(), axis=0).sum() / (len(total) - 1)
    return covariance / total.std(ddof=1) * np.sqrt(periods_per_year)


def by_sleeve(values: pd.Series, groups: dict[str, str]) -> pd.Series:
    """Sum per universe group (a ticker outside the universe counts as "other"); costs stay separate."""
    keys = [COSTS if name == COSTS else groups.get(name, "other") for name in values.index]
    return values.groupby(keys, sort=False).sum()


def attribution(result: BacktestResult, assets: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """attribution.csv: one row per strategy, measure and item (a factor, ticker, sleeve or year).

    Turnover (traded value / portfolio value, the first allocation included) and cost drag (fees and
    slippage as a fraction of the previous day's value) are summed per calendar year, and over the whole run
    scaled to a year ("per year").
    """
    factors = factor_returns(assets)
    rows = []
    for strategy, returns in result.returns.items():
        for key, value in factor_regression(returns, factors, result.periods_per_year).items():
            measure, _, item = key.partition(" ")
            rows.append((strategy, measure, item, value))
        if strategy not in result.weights:
            continue
        parts = daily_components(result, strategy)
        years = parts.index.year
        contributions = {
            "return_contribution": return_contributions(parts, returns),
            "risk_contribution": risk_contributions(parts, result.periods_per_year),
        }
        for measure, values in contributions.items():
            rows += [(strategy, measure, item, v) for item, v in values.items() if v != 0 or item == COSTS]
            rows += [
                (strategy, f"{measure}_sleeve", item, v) for item, v in by_sleeve(values, groups).items()
            ]
        turnover, drag = result.turnover[strategy], -parts[COSTS]
        per_year = result.periods_per_year / len(parts)  # the whole run's totals, annualized
        rows += [(strategy, "turnover", str(year), v) for year, v in turnover.groupby(years).sum().items()]
        rows += [(strategy, "cost_drag", str(year), v) for year, v in drag.groupby(years).sum().items()]
        rows += [
            (strategy, "turnover_annual", "per year", turnover.sum() * per_year),
            (strategy, "cost_drag_annual", "per year", drag.sum() * per_year),
        ]
    return pd.DataFrame(rows, columns=COLUMNS)
