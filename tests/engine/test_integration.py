"""The engine on the shared real prices (skipped when ../shared/data/prices is absent)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from infrabt.cli import app
from infrabt.data.prices import load_prices
from infrabt.engine.api import run
from infrabt.strategies import load_strategies
from tests.conftest import use_shared_prices


@pytest.fixture(scope="module")
def default_run(shared_cache):
    """One run of every shipped strategy, shared by the tests of this module; the env is set only for it."""
    with pytest.MonkeyPatch.context() as patch:
        use_shared_prices(patch, shared_cache)
        return run(offline=True)


def test_every_shipped_strategy_runs_from_2018_to_the_end_of_the_data(default_run):
    result = default_run
    assert set(result.returns.columns) == set(load_strategies())
    assert not result.failures
    assert result.start == pd.Timestamp("2018-01-02")  # first NYSE session of 2018
    assert result.end == pd.Timestamp("2026-06-23")  # the last day every ticker has a price (crypto)
    assert (result.calendar, result.periods_per_year) == ("equity", 252)
    assert result.returns.notna().all().all()
    assert (result.equity > 0).all().all()


def test_late_listings_are_reported_in_membership(default_run):
    live = default_run.membership["miners_to_ai"]
    assert not live.loc[:"2025-05-15", "GLXY"].any() and live.loc["2025-05-16":, "GLXY"].all()
    held = default_run.weights["miners_to_ai"]
    assert (held.loc[:"2025-05-30", "GLXY"] == 0).all() and held.loc["2025-06-02", "GLXY"] > 0


def test_pure_btc_and_spy_follow_their_assets_and_the_spy_covid_crash(shared_prices):
    result = run(["pure_btc", "spy"], fees=0.0, slippage=0.0, offline=True)
    closes = load_prices(["BTC-USD", "SPY"], start="2017-12-01", end=result.end, offline=True)
    for sid, ticker in (("pure_btc", "BTC-USD"), ("spy", "SPY")):
        expected = closes[ticker].pct_change().loc[result.returns.index[1:]]
        np.testing.assert_allclose(result.returns[sid].iloc[1:], expected, rtol=0, atol=1e-12)
    equity = result.equity["spy"]
    assert equity["2020-03-23"] / equity["2020-02-19"] - 1 == pytest.approx(-0.337, abs=0.001)  # FIELD_NOTES


def test_infrabt_run_offline_writes_the_csvs(shared_prices, without_reports, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--offline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    returns = pd.read_csv(out / "returns.csv", index_col=0, parse_dates=True)
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert set(returns.columns) == set(metrics.index) == set(load_strategies())
    assert returns.index[0] == pd.Timestamp("2018-01-02")
    assert metrics.loc["spy", "correlation"] == pytest.approx(1.0)
    assert metrics["max_drawdown"].lt(0).all()


def test_the_custom_strategy_example_prints_its_metrics(shared_prices, capsys):
    import runpy

    example = Path(__file__).resolve().parents[2] / "examples" / "custom_strategy.py"
    runpy.run_path(str(example), run_name="__main__")
    printed = capsys.readouterr().out
    for name in ("btc_gpu_barbell", "infra_thesis", "pure_btc", "spy", "sharpe", "equity calendar"):
        assert name in printed


def test_a_crypto_only_run_uses_the_7_day_calendar(shared_prices):
    result = run(["pure_btc", "btc_trend"], benchmark="pure_btc", offline=True)
    assert (result.calendar, result.periods_per_year) == ("crypto", 365)
    assert pd.Timestamp("2018-01-06") in result.returns.index  # a Saturday


def test_miners_with_staggered_listings_match_a_hand_written_monthly_portfolio(shared_prices):
    """Equal weight over the miners that had a price the day before, reset on each month's first session."""
    result = run(["miners_to_ai"], fees=0.0, slippage=0.0, offline=True, init_cash=1.0)
    closes = load_prices(["miners"], start="2017-12-01", end=result.end, offline=True)
    days = result.returns.index
    known = closes.shift(1).loc[days].notna().to_numpy()  # a decision sees the previous close
    close = closes.loc[days].to_numpy()
    month = days.month.to_numpy()
    shares, cash, values = np.zeros(close.shape[1]), 1.0, []
    for day in range(len(days)):
        value = cash + np.nansum(shares * close[day])
        if day == 0 or month[day] != month[day - 1]:
            weights = known[day] / known[day].sum()
            shares = np.where(known[day], weights * value / np.where(known[day], close[day], 1.0), 0.0)
            cash = value - np.nansum(shares * close[day])
        values.append(cash + np.nansum(shares * close[day]))
    np.testing.assert_allclose(result.equity["miners_to_ai"], values, rtol=1e-9)
