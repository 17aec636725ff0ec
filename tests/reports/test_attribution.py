"""Attribution from what the engine held: the parts add up to the return and to the volatility, the costs are
the fees and slippage the engine charged, and the factor regression recovers known exposures."""

import numpy as np
import pandas as pd
import pytest

from infrabt.engine import metrics
from infrabt.engine.backtest import backtest
from infrabt.engine.result import Costs
from infrabt.reports.attribution import (
    COSTS,
    attribution,
    daily_components,
    factor_regression,
    factor_returns,
    return_contributions,
    risk_contributions,
)
from infrabt.reports.evidence_charts import contribution_chart
from infrabt.reports.thesis import asset_returns
from infrabt.strategies import EqualWeight, Fixed, Strategy
from tests.synthetic import random_walk

TICKERS = ["SPY", "QQQ", "GLD", "BTC-USD", "RIOT", "NVDA"]
GROUPS = {"SPY": "benchmark", "QQQ": "benchmark", "GLD": "benchmark", "BTC-USD": "crypto", "RIOT": "miners",
          "NVDA": "gpu_datacenter"}  # fmt: skip


@pytest.fixture(scope="module")
def result():
    """Three strategies on random walks, with fees and slippage; NVDA lists a year in."""
    prices = random_walk(TICKERS, days=700, seed=11, drift=0.0004, volatility=0.02)
    prices.loc[prices.index[:250], "NVDA"] = np.nan
    strategies = [
        Strategy(id="spy", thesis="", weighting=Fixed({"SPY": 1.0})),
        Strategy(id="rails", thesis="", assets=("RIOT", "NVDA", "BTC-USD"), weighting=EqualWeight(),
                 rebalance="weekly"),
        Strategy(id="mix", thesis="", weighting=Fixed({"SPY": 0.5, "GLD": 0.3, "RIOT": 0.2})),
    ]  # fmt: skip
    return backtest(strategies, prices, "equity", Costs(fees=0.002, slippage=0.003))


@pytest.mark.parametrize("strategy", ["spy", "rails", "mix"])
def test_contributions_add_up_to_the_return_and_the_volatility(result, strategy):
    returns = result.returns[strategy]
    parts = daily_components(result, strategy)
    np.testing.assert_allclose(parts.sum(axis=1), returns, rtol=0, atol=1e-12)  # every day
    total = (1 + returns).prod() - 1
    assert return_contributions(parts, returns).sum() == pytest.approx(total, abs=1e-9)
    volatility = metrics.volatility(returns, result.periods_per_year)  # quantstats
    assert risk_contributions(parts, result.periods_per_year).sum() == pytest.approx(volatility, abs=1e-9)


def test_the_costs_part_is_the_fees_and_slippage_the_engine_charged(result):
    parts = daily_components(result, "rails")
    value_before = result.equity["rails"].shift(1).fillna(result.costs.init_cash)
    paid = (-parts[COSTS] * value_before).sum()
    trades = result.trades[result.trades.strategy == "rails"]
    traded = trades["value"].abs().sum()  # slipped prices: traded value at the close is traded / (1 +- slip)
    assert result.fees["rails"] == pytest.approx(0.002 * traded, rel=1e-9)
    slippage = paid - result.fees["rails"]
    bought, sold = (
        trades.loc[trades["size"] > 0, "value"].sum(),
        -trades.loc[trades["size"] < 0, "value"].sum(),
    )
    assert slippage == pytest.approx(0.003 / 1.003 * bought + 0.003 / 0.997 * sold, rel=1e-9)
    assert len(trades) > 50 and slippage > 0


def test_factor_regression_recovers_known_exposures_and_alpha():
    rng = np.random.default_rng(8)
    days = pd.bdate_range("2019-01-01", periods=1500)
    assets = pd.DataFrame(
        rng.normal(0.0004, 0.01, (len(days), 4)), index=days, columns=["SPY", "QQQ", "BTC-USD", "GLD"]
    )
    factors = factor_returns(assets)
    assert list(factors.columns) == ["SPY", "QQQ-SPY", "BTC-USD", "GLD"]
    strategy = 0.0004 + 0.6 * factors["SPY"] + 0.4 * factors["QQQ-SPY"] + 0.2 * factors["BTC-USD"]
    strategy = strategy + rng.normal(0, 0.002, len(days))
    fit = factor_regression(strategy, factors, 252)
    design = np.column_stack([np.ones(len(days)), factors.to_numpy()])
    expected = np.linalg.lstsq(design, strategy.to_numpy(), rcond=None)[0]  # independent least squares
    assert fit["alpha_annualized"] == pytest.approx(expected[0] * 252, rel=1e-9)
    assert [fit[f"beta {f}"] for f in factors.columns] == pytest.approx(list(expected[1:]), rel=1e-9)
    assert fit["beta SPY"] == pytest.approx(0.6, abs=0.02) and fit["beta GLD"] == pytest.approx(0.0, abs=0.02)
    assert fit["alpha_annualized"] == pytest.approx(0.1, abs=0.04) and fit["alpha_t"] > 3
    residuals = strategy.to_numpy() - design @ expected
    assert fit["r_squared"] == pytest.approx(1 - residuals.var() / strategy.var(ddof=0), rel=1e-9)


def test_a_strategy_that_is_the_factors_has_no_alpha_t_statistic():
    """SPY held alone, or QQQ (SPY plus the tech tilt): the residuals are float noise, whose t-statistic read
    16 in a full run; it is NaN ("-" on the page), and a strategy one part in a thousand off keeps its own."""
    rng = np.random.default_rng(9)
    days = pd.bdate_range("2019-01-01", periods=800)
    assets = pd.DataFrame(
        rng.normal(0.0004, 0.01, (len(days), 4)), index=days, columns=["SPY", "QQQ", "BTC-USD", "GLD"]
    )
    factors = factor_returns(assets)
    for held in ("SPY", "QQQ"):
        fit = factor_regression(assets[held], factors, 252)
        assert np.isnan(fit["alpha_t"]) and fit["alpha_annualized"] == pytest.approx(0.0, abs=1e-10)
        assert fit["r_squared"] == pytest.approx(1.0)
    nearly = assets["SPY"] + rng.normal(0, 0.0003, len(days))  # 1 - R^2 ~ 1e-3
    assert np.isfinite(factor_regression(nearly, factors, 252)["alpha_t"])


def test_attribution_table_has_every_strategy_sleeve_and_year(result):
    table = attribution(result, asset_returns(result.prices), GROUPS)
    assert set(table.strategy) == {"spy", "rails", "mix"}
    rails = table[table.strategy == "rails"]
    sleeves = rails[rails.measure == "return_contribution_sleeve"].set_index("item")["value"]
    assert set(sleeves.index) == {"crypto", "miners", "gpu_datacenter", COSTS}
    assets = rails[rails.measure == "return_contribution"]["value"].sum()
    assert sleeves.sum() == pytest.approx(assets, abs=1e-12)
    years = rails[rails.measure == "turnover"]
    assert list(years.item) == sorted({str(d.year) for d in result.returns.index})
    assert years.value.sum() == pytest.approx(result.turnover["rails"].sum())
    spy_beta = table[(table.strategy == "spy") & (table.measure == "beta") & (table.item == "SPY")].value
    assert spy_beta.iloc[0] == pytest.approx(1.0, abs=1e-3)  # buy and hold: costs only on day one


def test_on_a_phone_a_long_contribution_axis_title_takes_two_lines(result):
    """Beside the strategies' names a phone's plot is ~160 px on a 320 px screen: the title was cut off at
    the right (at 28 characters a line, still at 320 px)."""
    label = "contribution to volatility (annualized)"
    figure = contribution_chart(
        attribution(result, asset_returns(result.prices), GROUPS), "risk_contribution", label
    )
    title = figure.layout.meta["narrow"]["layout"]["xaxis"]["title"]["text"]
    assert figure.layout.xaxis.title.text == label  # a desktop keeps one line
    assert title.split("<br>") == ["contribution to", "volatility (annualized)"]


def test_the_page_names_the_factors_a_run_lacks_prices_for(result):
    """A run without QQQ or GLD regressed on the rest, under a lede that named QQQ-SPY as the tech tilt."""
    from infrabt.reports.evidence import attribution_rows

    assert {"SPY", "QQQ", "GLD", "BTC-USD"} <= set(result.prices.columns)
    full = attribution_rows(attribution(result, asset_returns(result.prices), GROUPS))
    assert full["factors"] == ["SPY", "QQQ-SPY", "BTC-USD", "GLD"] and full["missing"] == []
    fewer = asset_returns(result.prices.drop(columns=["QQQ", "GLD"]))
    rows = attribution_rows(attribution(result, fewer, GROUPS))
    assert rows["factors"] == ["SPY", "BTC-USD"] and rows["missing"] == ["QQQ-SPY", "GLD"]
