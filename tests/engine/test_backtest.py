"""The backtest core on small generated panels: conventions, exactness against references, costs, listings."""

from functools import partial

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import DataError
from infrabt.engine.backtest import backtest
from infrabt.engine.result import Costs
from infrabt.strategies import EqualWeight, Fixed, Strategy, load_strategies
from tests.synthetic import random_walk

NO_COSTS = Costs(fees=0.0, slippage=0.0, init_cash=10_000.0)


synthetic_prices = partial(random_walk, days=260, start="2023-11-01", drift=0.0003)


def test_buy_and_hold_returns_equal_the_assets_close_to_close_returns():
    shipped = load_strategies()
    prices = synthetic_prices(["BTC-USD", "SPY"])
    result = backtest([shipped["pure_btc"], shipped["spy"]], prices, "equity", NO_COSTS, start="2024-01-02")
    days = result.returns.index
    assert days[0] == pd.Timestamp("2024-01-02")
    assert (result.returns.iloc[0] == 0).all()  # the first allocation trades at the first close
    for sid, ticker in (("pure_btc", "BTC-USD"), ("spy", "SPY")):
        expected = prices[ticker].pct_change().loc[days[1:]]
        np.testing.assert_allclose(result.returns[sid].iloc[1:], expected, rtol=0, atol=1e-12)


def monthly_reference(prices: pd.DataFrame, weights: dict[str, float], init_cash: float) -> pd.Series:
    """Fixed weights reset at the close of the first day and of every month's first trading day."""
    close = prices[list(weights)].to_numpy()
    target = np.array(list(weights.values()))
    month = prices.index.month.to_numpy()
    shares, cash, values = np.zeros(len(target)), init_cash, []
    for day in range(len(close)):
        value = cash + shares @ close[day]
        if day == 0 or month[day] != month[day - 1]:
            shares = target * value / close[day]
            cash = value - shares @ close[day]
        values.append(cash + shares @ close[day])
    return pd.Series(values, index=prices.index)


def test_fixed_weight_monthly_portfolio_matches_an_independent_reference():
    prices = synthetic_prices(["SPY", "TLT", "GLD"], seed=1)
    weights = {"SPY": 0.5, "TLT": 0.3, "GLD": 0.15}  # 5% cash
    strategy = Strategy(id="mix", thesis="t", weighting=Fixed(weights), rebalance="monthly")
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2023-12-12")
    expected = monthly_reference(prices.loc["2023-12-12":], weights, NO_COSTS.init_cash)
    np.testing.assert_allclose(result.equity["mix"], expected, rtol=1e-9)
    held = result.weights["mix"].loc["2024-02-01"]
    assert held.to_dict() == pytest.approx(weights, rel=1e-9)  # back on target after the rebalance


def test_fees_paid_equal_turnover_times_the_fee_rate():
    prices = synthetic_prices(["SPY", "TLT", "GLD"], seed=2)
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "TLT", "GLD"), weighting=EqualWeight())
    costs = Costs(fees=0.002, slippage=0.0, init_cash=10_000.0)
    result = backtest([strategy], prices, "equity", costs, start="2024-01-02")
    traded_value = (result.turnover["eq"] * result.equity["eq"]).sum()
    assert result.fees["eq"] == pytest.approx(costs.fees * traded_value, rel=1e-9)
    assert result.fees["eq"] > 0
    assert result.trades["fees"].sum() == pytest.approx(result.fees["eq"])


def test_slippage_and_fees_cost_money():
    prices = synthetic_prices(["SPY", "TLT"], seed=3)
    strategy = Strategy(id="sf", thesis="t", weighting=Fixed({"SPY": 0.6, "TLT": 0.4}))
    free = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02").equity["sf"]
    costly = backtest([strategy], prices, "equity", Costs(0.001, 0.001, 10_000.0), start="2024-01-02")
    assert costly.returns["sf"].iloc[0] == pytest.approx(-0.002, rel=1e-2)  # the last buy is cut to the cash
    assert (costly.equity["sf"] < free).all()


def test_a_listing_mid_month_joins_at_the_next_rebalance():
    prices = synthetic_prices(["SPY", "QQQ"], seed=4)
    prices.loc[:"2024-01-16", "QQQ"] = np.nan  # QQQ's first price: 2024-01-17
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "QQQ"), weighting=EqualWeight())
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02")
    held = result.weights["eq"]
    assert (held.loc[:"2024-01-31", "QQQ"] == 0).all()
    assert held.loc["2024-02-01"].tolist() == pytest.approx([0.5, 0.5])
    membership = result.membership["eq"]
    assert not membership.loc["2024-01-16", "QQQ"] and membership.loc["2024-01-17", "QQQ"]


def test_a_delisted_asset_is_sold_at_its_last_price_and_held_as_cash():
    prices = synthetic_prices(["SPY", "QQQ"], seed=5)
    prices.loc["2024-01-20":, "QQQ"] = np.nan  # QQQ's last price: Friday 2024-01-19
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "QQQ"), weighting=EqualWeight())
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02")
    sale = result.trades.query("ticker == 'QQQ' and size < 0")
    assert list(sale["date"]) == [pd.Timestamp("2024-01-19")]
    assert sale["price"].iloc[0] == pytest.approx(prices.loc["2024-01-19", "QQQ"])
    held = result.weights["eq"]
    assert (held.loc["2024-01-19":, "QQQ"] == 0).all()
    january = result.equity["eq"].loc["2024-01-19":"2024-01-31"]
    spy_part = held.loc["2024-01-19", "SPY"] * january.iloc[0] * prices["SPY"].loc[january.index]
    cash = january.iloc[0] * (1 - held.loc["2024-01-19", "SPY"])
    np.testing.assert_allclose(january, cash + spy_part / prices.loc["2024-01-19", "SPY"], rtol=1e-9)
    assert held.loc["2024-02-01"].tolist() == pytest.approx([1.0, 0.0])  # the next rebalance: all in SPY
    assert result.equity["eq"].notna().all()


def test_a_strategy_that_fails_is_recorded_and_the_others_still_run():
    prices = synthetic_prices(["SPY", "TLT"])

    class Broken(Strategy):
        def target_weights(self, prices, start=None):
            raise RuntimeError("model exploded")

    class Short(Strategy):
        def target_weights(self, prices, start=None):
            return pd.DataFrame({"SPY": [-0.5]}, index=prices.index[-5:-4])

    broken = Broken(id="broken", thesis="t", weighting=Fixed({"SPY": 1.0}))
    short = Short(id="short", thesis="t", weighting=Fixed({"SPY": 1.0}))
    spy = load_strategies()["spy"]
    result = backtest([broken, short, spy], prices, "equity", NO_COSTS, start="2024-01-02")
    assert list(result.returns.columns) == ["spy"]
    assert "model exploded" in result.failures["broken"]
    assert "negative weight" in result.failures["short"]


def test_the_first_allocation_is_forced_on_the_first_day_from_the_latest_earlier_decision():
    prices = synthetic_prices(["SPY", "TLT"])

    class Quarterly(Strategy):  # a hand-written rule that ignores ``start``
        def target_weights(self, prices, start=None):
            return pd.DataFrame(
                {"SPY": [0.3, 0.7], "TLT": [0.7, 0.3]}, index=pd.to_datetime(["2023-11-01", "2024-04-01"])
            )

    strategy = Quarterly(id="q", thesis="t", weighting=Fixed({"SPY": 0.5, "TLT": 0.5}))
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02")
    assert result.weights["q"].loc["2024-01-02"].tolist() == pytest.approx([0.3, 0.7])
    assert result.weights["q"].loc["2024-04-01"].tolist() == pytest.approx([0.7, 0.3])


def test_a_rule_whose_only_decision_precedes_the_start_holds_it_from_the_first_day():
    prices = synthetic_prices(["SPY", "TLT"])

    class Once(Strategy):  # a hand-written rule that decided once, before the backtest starts
        def target_weights(self, prices, start=None):
            return pd.DataFrame({"SPY": [0.4], "TLT": [0.6]}, index=pd.to_datetime(["2023-11-01"]))

    strategy = Once(id="once", thesis="t", weighting=Fixed({"SPY": 0.5, "TLT": 0.5}))
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02")
    assert not result.failures
    assert result.weights["once"].loc["2024-01-02"].tolist() == pytest.approx([0.4, 0.6])
    assert set(result.trades["date"]) == {pd.Timestamp("2024-01-02")}  # then held, never traded again


def test_a_date_range_without_prices_is_refused():
    prices = synthetic_prices(["SPY"])
    with pytest.raises(DataError, match="prices between 2030-01-01"):
        backtest([load_strategies()["spy"]], prices, "equity", NO_COSTS, start="2030-01-01")


def test_the_result_states_its_calendar_and_annualization():
    prices = synthetic_prices(["BTC-USD"])
    result = backtest([load_strategies()["pure_btc"]], prices, "crypto", NO_COSTS, start="2024-01-02")
    assert (result.calendar, result.periods_per_year) == ("crypto", 365)


def test_an_asset_delisted_the_day_before_a_rebalance_gets_no_share_of_it():
    prices = synthetic_prices(["SPY", "QQQ"], seed=6)
    prices.loc["2024-02-01":, "QQQ"] = np.nan  # QQQ's last price: Wed 2024-01-31, the rebalance is 02-01
    strategy = Strategy(id="eq", thesis="t", assets=("SPY", "QQQ"), weighting=EqualWeight())
    result = backtest([strategy], prices, "equity", NO_COSTS, start="2024-01-02")
    held = result.weights["eq"]
    assert held.loc["2024-02-01"].tolist() == pytest.approx([1.0, 0.0])  # all in SPY, no idle half in cash


def test_a_start_before_any_price_begins_at_the_first_price():
    prices = synthetic_prices(["SPY"], seed=7)
    early = pd.bdate_range(end=prices.index[0] - pd.Timedelta(days=1), periods=40, name=prices.index.name)
    padded = pd.concat([pd.DataFrame({"SPY": np.nan}, index=early), prices])
    spy = Strategy(id="spy", thesis="t", assets=("SPY",), weighting=EqualWeight())
    result = backtest([spy], padded, "equity", NO_COSTS, start=early[0])
    assert result.start == prices.index[0]  # no weeks of zero returns diluting every metric
    # day 0 has no previous close to decide on: the first allocation trades at the close of day 1
    assert (result.returns["spy"].iloc[:2] == 0).all()
    expected = prices["SPY"].pct_change().iloc[2:]
    np.testing.assert_allclose(result.returns["spy"].iloc[2:], expected, atol=1e-12)
