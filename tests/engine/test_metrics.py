"""Metrics: quantstats called with the run's annualization, checked against formulas written here."""

import numpy as np
import pandas as pd
import pytest

from infrabt.engine import metrics


@pytest.fixture
def daily():
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2020-01-01", periods=600, name="Date")
    benchmark = pd.Series(rng.normal(0.0004, 0.01, 600), index=index)
    returns = 1.5 * benchmark + pd.Series(rng.normal(0.0002, 0.015, 600), index=index)
    return returns, benchmark


@pytest.mark.parametrize("periods", [252, 365])
def test_annualized_metrics_use_the_calendars_periods(daily, periods):
    returns, _ = daily
    growth = (1 + returns).prod()
    expected_cagr = growth ** (periods / len(returns)) - 1
    assert metrics.cagr(returns, periods) == pytest.approx(expected_cagr, rel=1e-12)
    assert metrics.volatility(returns, periods) == pytest.approx(returns.std() * np.sqrt(periods), rel=1e-12)
    assert metrics.sharpe(returns, periods) == pytest.approx(
        returns.mean() / returns.std() * np.sqrt(periods), rel=1e-12
    )
    downside = np.sqrt((returns[returns < 0] ** 2).sum() / len(returns))
    assert metrics.sortino(returns, periods) == pytest.approx(returns.mean() / downside * np.sqrt(periods))
    value = np.r_[1.0, (1 + returns).cumprod().to_numpy()]
    expected_drawdown = (value / np.maximum.accumulate(value)).min() - 1
    assert metrics.max_drawdown(returns) == pytest.approx(expected_drawdown, rel=1e-12)
    expected_calmar = expected_cagr / abs(expected_drawdown)
    assert metrics.calmar(returns, periods) == pytest.approx(expected_calmar, rel=1e-12)


def test_drawdown_counts_a_loss_on_the_first_day():
    returns = pd.Series([-0.1, 0.05, -0.02], index=pd.bdate_range("2024-01-01", periods=3))
    assert metrics.max_drawdown(returns) == pytest.approx(-0.1)  # values 0.9, 0.945, 0.926: worst on day 1


def test_beta_and_correlation_against_the_benchmark(daily):
    returns, benchmark = daily
    expected_beta = np.cov(returns, benchmark)[0, 1] / benchmark.var()
    assert metrics.beta(returns, benchmark) == pytest.approx(expected_beta, rel=1e-12)
    assert metrics.correlation(returns, benchmark) == pytest.approx(np.corrcoef(returns, benchmark)[0, 1])
    assert metrics.beta(benchmark, benchmark) == pytest.approx(1.0)


def test_summary_has_one_row_per_strategy_and_the_fixed_columns(daily):
    returns, benchmark = daily
    frame = pd.DataFrame({"mine": returns, "spy": benchmark})
    table = metrics.summary(frame, benchmark, 252)
    assert list(table.index) == ["mine", "spy"]
    assert list(table.columns) == list(metrics.COLUMNS)
    assert table.loc["spy", "correlation"] == pytest.approx(1.0)
    assert table.loc["mine", "sharpe"] == pytest.approx(metrics.sharpe(returns, 252))
