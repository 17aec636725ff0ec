"""The Strategy declaration: parameters, timing of target weights, building blocks, discovery."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrabt.data.errors import ConfigError, StrategyError
from infrabt.strategies import (
    Blend,
    CorrelationSwitch,
    DriftBand,
    EqualWeight,
    Fixed,
    InverseVolatility,
    Strategy,
    TrendFilter,
    load_strategies,
)
from tests.synthetic import random_walk

SHIPPED = {
    "pure_btc", "crypto_majors", "miners_to_ai", "gpu_datacenter", "tokenization_financials", "infra_thesis",
    "rails_inverse_vol", "btc_trend", "btc_corr_switch", "spy", "qqq", "gold", "oil", "sixty_forty",
    "sixty_forty_btc5",
}  # fmt: skip


panel = partial(random_walk, days=120, start="2023-12-01")


def test_every_shipped_id_is_discovered_with_a_thesis_and_rule():
    found = load_strategies()
    assert set(found) == SHIPPED
    for strategy in found.values():
        assert strategy.thesis and strategy.summary and strategy.rule


def test_params_are_declared_and_with_params_replaces_them():
    trend = load_strategies()["btc_trend"]
    assert trend.params["lookback"] == "200D" and trend.params["rebalance"] == "daily"
    faster = trend.with_params(lookback=50, rebalance="weekly")
    assert faster.params["lookback"] == 50 and faster.rebalance.name == "weekly"
    assert trend.params["lookback"] == "200D"  # the original is untouched (frozen)
    with pytest.raises(ConfigError, match="no parameter"):
        trend.with_params(lookbak=50)
    # a block none of whose parameters change is shared, not rebuilt (frozen: nothing can change it)
    shared = trend.with_params(btc_share=0.2)
    assert shared.weighting is trend.weighting and shared.overlays[0] is trend.overlays[0]
    assert faster.overlays[0] is not trend.overlays[0] and faster.overlays[0].lookback == 50


def test_new_fixed_weights_over_other_tickers_hold_those_tickers():
    """A base that takes its assets from its weights (60/40) swept to 30% SPY / 70% NVDA holds NVDA at 70%:
    the assets follow the weights, rather than NVDA's share silently going to SPY."""
    prices = panel(["SPY", "TLT", "NVDA"], seed=4)
    other = load_strategies()["sixty_forty"].with_params(weights={"SPY": 0.3, "NVDA": 0.7})
    assert set(other.tickers) == {"SPY", "NVDA"}
    held = other.target_weights(prices).iloc[-1]
    assert held["NVDA"] == pytest.approx(0.7) and held["SPY"] == pytest.approx(0.3)
    declared = Strategy(id="own", thesis="t", assets=("SPY", "TLT"), weighting=EqualWeight())
    assert declared.with_params(btc_share=0.1).assets == ("SPY", "TLT")  # declared assets stay


def test_assets_that_leave_out_a_ticker_the_weighting_names_are_refused():
    with pytest.raises(StrategyError, match=r"names TLT, which assets=\(\.\.\.\) leaves out"):
        Strategy(id="half", thesis="t", assets=("SPY",), weighting=Fixed({"SPY": 0.5, "TLT": 0.5}))


def test_switching_to_a_drift_band_accepts_its_tolerance():
    monthly = load_strategies()["sixty_forty"]
    drifting = monthly.with_params(rebalance="drift", tolerance=0.1)
    assert drifting.params["rebalance"] == "drift" and drifting.params["tolerance"] == 0.1
    assert drifting.with_params(tolerance=0.2).rebalance.tolerance == 0.2
    with pytest.raises(ConfigError, match="tolerance"):
        monthly.with_params(tolerance=0.1)  # a calendar schedule has no tolerance


def test_btc_share_carves_bitcoin_out_of_the_rule():
    strategy = Strategy(id="mix", thesis="t", weighting=Fixed({"SPY": 0.6, "TLT": 0.4}), btc_share=0.05)
    weights = strategy.target_weights(panel(strategy.tickers), start="2024-01-02")
    assert weights.iloc[0].to_dict() == pytest.approx({"SPY": 0.57, "TLT": 0.38, "BTC-USD": 0.05})


def test_monthly_rebalance_trades_on_the_first_trading_day_of_each_month():
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "QQQ"), weighting=EqualWeight())
    weights = strategy.target_weights(panel(strategy.tickers), start="2024-01-10")
    days = list(weights.index.strftime("%Y-%m-%d"))
    assert days == ["2024-01-10", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"]
    assert np.allclose(weights.to_numpy(), 0.5)


@pytest.mark.parametrize(
    ("rebalance", "first_days"),
    [("weekly", ["2024-01-03", "2024-01-08", "2024-01-15"]), ("quarterly", ["2024-01-03", "2024-04-01"]),
     ("yearly", ["2024-01-03"]), ("daily", ["2024-01-03", "2024-01-04", "2024-01-05"])],
)  # fmt: skip
def test_calendar_schedules(rebalance, first_days):
    strategy = Strategy(id="s", thesis="t", weighting=Fixed({"SPY": 1.0}), rebalance=rebalance)
    days = strategy.target_weights(panel(["SPY"]), start="2024-01-03").index.strftime("%Y-%m-%d")
    assert list(days[: len(first_days)]) == first_days
    if rebalance in ("quarterly", "yearly"):
        assert len(days) == len(first_days)


def test_equal_weight_spreads_over_assets_with_a_price_and_a_listing_joins_at_next_rebalance():
    prices = panel(["SPY", "QQQ", "GLD"])
    prices.loc[:"2024-01-15", "GLD"] = np.nan  # GLD lists mid-January
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "QQQ", "GLD"), weighting=EqualWeight())
    weights = strategy.target_weights(prices, start="2024-01-02")
    assert weights.loc["2024-01-02"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert "2024-01-16" not in weights.index.strftime("%Y-%m-%d")
    assert weights.loc["2024-02-01"].tolist() == pytest.approx([1 / 3] * 3)


def test_fixed_weights_of_a_missing_asset_go_to_the_live_ones():
    prices = panel(["SPY", "TLT"])
    prices.loc[:"2024-01-20", "TLT"] = np.nan
    strategy = Strategy(id="sf", thesis="t", weighting=Fixed({"SPY": 0.6, "TLT": 0.4}))
    weights = strategy.target_weights(prices, start="2024-01-02")
    assert weights.loc["2024-01-02"].tolist() == pytest.approx([1.0, 0.0])
    assert weights.loc["2024-02-01"].tolist() == pytest.approx([0.6, 0.4])


def test_blend_gives_each_sleeve_its_share_equal_weight_inside():
    strategy = Strategy(id="b", thesis="t", weighting=Blend({"crypto": 0.5, "SPY": 0.5}))
    prices = panel(strategy.tickers)
    prices.loc[:, "SOL-USD"] = np.nan  # a sleeve member without prices: its sleeve mates share the sleeve
    row = strategy.target_weights(prices, start="2024-01-02").iloc[0]
    assert row.to_dict() == pytest.approx({"BTC-USD": 0.25, "ETH-USD": 0.25, "SOL-USD": 0.0, "SPY": 0.5})
    prices.loc[:, ["BTC-USD", "ETH-USD"]] = np.nan  # a dead sleeve hands its share to the others
    assert strategy.target_weights(prices, start="2024-01-02").iloc[0]["SPY"] == pytest.approx(1.0)


def test_inverse_volatility_weights_by_one_over_trailing_volatility():
    prices = panel(["SPY", "QQQ"], days=200)
    strategy = Strategy(id="iv", thesis="t", assets=("SPY", "QQQ"), weighting=InverseVolatility(lookback=20))
    weights = strategy.target_weights(prices, start="2024-03-01")
    day = weights.index[1]
    history = prices.loc[:day].iloc[:-1]  # closes up to the day before
    inverse = 1 / history.pct_change().iloc[-20:].std()
    assert weights.loc[day].to_numpy() == pytest.approx((inverse / inverse.sum()).to_numpy(), rel=1e-12)


def test_trend_filter_holds_only_above_the_average_of_previous_closes():
    index = pd.bdate_range("2024-01-01", periods=30, name="Date")
    up_then_down = np.r_[np.linspace(100, 130, 20), np.linspace(125, 90, 10)]
    prices = pd.DataFrame({"BTC-USD": up_then_down}, index=index)
    strategy = Strategy(
        id="t", thesis="t", weighting=Fixed({"BTC-USD": 1.0}),
        overlays=(TrendFilter("BTC-USD", lookback=5),), rebalance="daily",
    )  # fmt: skip
    weights = strategy.target_weights(prices, start=index[6])["BTC-USD"]
    average = prices["BTC-USD"].rolling(5).mean()
    expected = (prices["BTC-USD"] > average).shift(1).astype(float).loc[index[6] :]
    assert weights.tolist() == expected.tolist()
    assert weights.iloc[0] == 1.0 and weights.iloc[-1] == 0.0


def test_correlation_switch_moves_to_the_fallback_when_correlated():
    prices = panel(["SPY", "GLD"], days=120)
    prices["BTC-USD"] = prices["SPY"] ** 2  # perfectly co-moving: correlation ~1
    switch = CorrelationSwitch("BTC-USD", reference="SPY", lookback=20, threshold=0.3, fallback="GLD")
    strategy = Strategy(id="c", thesis="t", weighting=Fixed({"BTC-USD": 1.0}), overlays=(switch,))
    row = strategy.target_weights(prices[list(strategy.tickers)], start="2024-03-01").iloc[0]
    assert row.to_dict() == {"BTC-USD": 0.0, "SPY": 0.0, "GLD": 1.0}
    rng = np.random.default_rng(3)
    prices["BTC-USD"] = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(prices))))  # independent
    row = strategy.target_weights(prices[list(strategy.tickers)], start="2024-03-01").iloc[0]
    assert row["BTC-USD"] == 1.0


def test_drift_band_trades_only_when_a_weight_leaves_the_band():
    index = pd.bdate_range("2024-01-01", periods=6, name="Date")
    prices = pd.DataFrame({"SPY": [100, 100, 101, 130, 130, 130.0], "TLT": 100.0}, index=index)
    strategy = Strategy(
        id="d", thesis="t", weighting=Fixed({"SPY": 0.5, "TLT": 0.5}), rebalance=DriftBand(tolerance=0.05)
    )
    days = strategy.target_weights(prices, start=index[1]).index
    # bought on day 1 at 100; SPY at 130 on day 3 makes it 56.5% -> trade on day 4 (decided on day 3's close)
    assert list(days) == [index[1], index[4]]
    assert strategy.params["tolerance"] == 0.05


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weighting": Fixed({"SPY": 0.8, "TLT": 0.4})}, "sum to 1.2"),
        ({"weighting": Fixed({"SPY": -0.2})}, "negative"),
        ({"weighting": Blend({"SPY": 0.8, "crypto": 0.4})}, "sum to 1.2"),
        ({"weighting": EqualWeight()}, "no assets"),
        ({"weighting": Fixed({"SPY": 1.0}), "calendar": "crypto"}, "crypto-only"),
        ({"weighting": Fixed({"SPY": 1.0}), "rebalance": "fortnightly"}, "unknown rebalance"),
    ],
)
def test_bad_declarations_are_refused(kwargs, message):
    with pytest.raises(StrategyError, match=message):
        Strategy(id="bad", thesis="t", **kwargs)


def test_leverage_must_be_declared():
    levered = Strategy(id="lev", thesis="t", weighting=Fixed({"SPY": 1.5}), leverage=True)
    assert levered.params["weights"] == {"SPY": 1.5}


def test_a_malformed_symbol_is_refused_naming_it():
    from infrabt.data.errors import UnknownTickerError

    with pytest.raises(UnknownTickerError, match="'DO GE' is not a ticker symbol"):
        Strategy(id="bad", thesis="t", weighting=Fixed({"DO GE": 1.0}))


def test_a_symbol_outside_the_universe_is_accepted_its_prices_are_checked_when_loaded():
    strategy = Strategy(id="doge", thesis="t", weighting=Fixed({"DOGE-USD": 1.0}))
    assert strategy.tickers == ("DOGE-USD",)


def test_user_strategies_dir_adds_modules_and_names_a_broken_file(tmp_path):
    (tmp_path / "mine.py").write_text(
        "from infrabt.strategies import Fixed, Strategy\n"
        "STRATEGY = Strategy(id='mine', thesis='Mine.', weighting=Fixed({'QQQ': 1.0}))\n"
    )
    (tmp_path / "_helper.py").write_text("raise RuntimeError('never imported')\n")
    assert "mine" in load_strategies(tmp_path)
    (tmp_path / "broken.py").write_text("import nonexistent_module\n")
    with pytest.raises(StrategyError, match=r"broken\.py.*nonexistent_module"):
        load_strategies(tmp_path)


def test_a_duplicate_id_is_refused(tmp_path):
    (tmp_path / "again.py").write_text(
        "from infrabt.strategies import Fixed, Strategy\n"
        "STRATEGY = Strategy(id='spy', thesis='Again.', weighting=Fixed({'SPY': 1.0}))\n"
    )
    with pytest.raises(StrategyError, match="defined twice"):
        load_strategies(tmp_path)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), listing_days=st.lists(st.integers(0, 250), min_size=40, max_size=40))
def test_every_shipped_strategy_gives_long_only_weights_to_assets_with_a_previous_close(seed, listing_days):
    shipped = load_strategies()
    tickers = list(dict.fromkeys(t for s in shipped.values() for t in s.tickers))
    prices = random_walk(tickers, days=300, start="2023-01-02", seed=seed, volatility=0.03)
    for ticker, first in zip(tickers, listing_days, strict=False):
        prices.iloc[:first, prices.columns.get_loc(ticker)] = np.nan
    known = prices.shift(1)
    for sid, strategy in shipped.items():
        weights = strategy.target_weights(prices[list(strategy.tickers)], start="2023-06-01")
        assert (weights >= 0).all().all(), sid
        assert (weights.sum(axis=1) <= 1 + 1e-9).all(), sid
        unknown = known.loc[weights.index, weights.columns].isna()
        assert (weights[unknown].fillna(0) == 0).all().all(), f"{sid} weights an asset before its first close"


def test_a_blend_needs_the_history_of_its_inner_weighting():
    sleeves = Blend({"miners": 0.5, "crypto": 0.5}, inside=InverseVolatility(40))
    blend = Strategy(id="blend_iv", thesis="t", weighting=sleeves)
    assert blend.lookback == 40  # so the engine loads 40 sessions of warm-up and invests on day one


@pytest.mark.parametrize(
    "make",
    [
        lambda: TrendFilter(lookback=0),
        lambda: InverseVolatility(lookback=1),
        lambda: CorrelationSwitch(threshold=1.5),
        lambda: DriftBand(tolerance=0),
        lambda: load_strategies()["btc_trend"].with_params(lookback=-5),
        lambda: load_strategies()["rails_inverse_vol"].with_params(lookback="63"),
    ],
)
def test_parameters_no_rule_can_use_are_refused_on_creation_and_in_sweeps(make):
    with pytest.raises(StrategyError, match=r"outside|not a duration"):  # "63": text is no session count
        make()


def test_held_whole_is_the_one_ticker_of_a_buy_and_hold_strategy():
    """The dashboard drops a reference asset the benchmark is (pure_btc is BTC) and the CLI says "buy and
    hold": btc_trend also holds BTC-USD alone, but moves to cash, so it is not BTC."""
    from infrabt.strategies import load_strategies

    known = load_strategies()
    expected = {"pure_btc": "BTC-USD", "spy": "SPY", "gold": "GLD", "btc_trend": None, "sixty_forty": None}
    assert {sid: known[sid].held_whole for sid in expected} == expected
    assert known["btc_trend"].tickers == ("BTC-USD",)


def test_a_tolerance_without_the_drift_band_says_where_it_belongs():
    """A grid of rebalance = [weekly, monthly, drift] x tolerance was refused as "has no parameter tolerance",
    which it has, with the drift band."""
    from infrabt.strategies import load_strategies

    rails = load_strategies()["rails_inverse_vol"]
    assert rails.with_params(rebalance="drift", tolerance=0.1).rebalance.tolerance == 0.1
    with pytest.raises(ConfigError, match=r"tolerance applies only with rebalance = \"drift\", not 'weekly'"):
        rails.with_params(rebalance="weekly", tolerance=0.1)
