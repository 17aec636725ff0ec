"""The three shipped example sweeps run offline on the shared prices and agree with the engine's own backtest.

Sizes are kept small for the suite (the 10,000 random portfolios are limited to 300); the full runs are in
benchmarks/bench_sweep.py and the README.
"""

from pathlib import Path

import pandas as pd
import pytest

import infrabt as ib
from infrabt.engine.metrics import summary
from infrabt.engine.sweeps.sweep import RESULTS_FILE, run_sweep
from infrabt.strategies import load_strategies

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "sweeps"


def test_btc_share_by_rebalance_matches_single_backtests(shared_prices, tmp_path):
    sweep = ib.sweep(EXAMPLES / "btc_share_x_rebalance.toml", tmp_path / "btc", split="2023-01-01", workers=2)
    results = sweep.results
    assert len(results) == 63
    assert sorted(results["rebalance"].unique()) == ["monthly", "quarterly", "yearly"]
    assert results["btc_share"].min() == 0.0 and results["btc_share"].max() == 1.0
    assert (tmp_path / "btc" / RESULTS_FILE).is_file() and sweep.report.is_file()
    assert {"crisis_covid", "is_sharpe", "oos_sharpe"} <= set(results.columns)

    # one variant, run the ordinary way: engine.run + engine.metrics must give the same numbers
    params = {"btc_share": 0.25, "rebalance": "quarterly"}
    row = results[(results["btc_share"] == 0.25) & (results["rebalance"] == "quarterly")].iloc[0]
    strategy = load_strategies()["infra_thesis"].with_params(**params)
    single = ib.run([strategy], start="2018-01-01", end=sweep.end, benchmark=strategy.id, offline=True)
    expected = summary(single.returns, single.returns[strategy.id], single.periods_per_year).iloc[0]
    for metric in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar"):
        assert row[metric] == pytest.approx(expected[metric], rel=1e-9), metric


def test_btc_trend_lookback_with_walk_forward(shared_prices, tmp_path):
    sweep = ib.sweep(EXAMPLES / "btc_trend_lookback.toml", tmp_path / "trend", walk_forward=True, workers=2)
    assert sorted(sweep.results["lookback"]) == list(range(50, 301, 10))
    assert sweep.calendar == "crypto" and sweep.periods_per_year == 365
    assert len(sweep.folds) >= 4 and "wf1_oos_sharpe" in sweep.results.columns
    assert "Walk-forward" in sweep.report.read_text()


def test_random_rails_portfolios_limited(shared_prices, tmp_path):
    sweep = run_sweep(EXAMPLES / "rails_random_10k.toml", tmp_path / "cloud", limit=300, workers=2)
    weights = sweep.results.filter(like="w_")
    assert len(sweep.results) == 300 and weights.shape[1] == 32  # miners + gpu_datacenter + tokenization
    assert (weights.sum(axis=1) - 1).abs().max() < 1e-12
    assert sweep.results["sharpe"].notna().all()
    # the first 300 of the 10,000 draws: a bigger limit starts with the same portfolios
    again = run_sweep(EXAMPLES / "rails_random_10k.toml", tmp_path / "again", limit=310, workers=1)
    pd.testing.assert_frame_equal(again.results.iloc[:300], sweep.results)
