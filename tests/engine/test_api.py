"""engine.api helpers: which strategies, which calendar, how much warm-up, where the default range ends."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import ConfigError, DataError, StrategyError
from infrabt.engine.api import STALE_SESSIONS, choose_calendar, common_end, last_prices, select, warmup
from infrabt.strategies import load_strategies

KNOWN = load_strategies()


def test_the_benchmark_is_always_added_and_ids_and_objects_mix():
    chosen = select(["pure_btc", KNOWN["qqq"]], KNOWN, "spy")
    assert [s.id for s in chosen] == ["pure_btc", "qqq", "spy"]
    assert [s.id for s in select(None, KNOWN, "spy")] == list(KNOWN)


def test_one_id_as_a_string_is_one_strategy_and_an_empty_benchmark_is_refused():
    assert [s.id for s in select("qqq", KNOWN, "spy")] == ["qqq", "spy"]
    with pytest.raises(ConfigError, match="--benchmark is empty"):
        select(["qqq"], KNOWN, " ")


def test_an_unknown_id_lists_the_known_ones():
    with pytest.raises(StrategyError, match=r"unknown strategy 'nope'.*infra_thesis"):
        select(["nope"], KNOWN, "spy")


def test_one_calendar_for_the_run():
    crypto_only = [KNOWN["pure_btc"], KNOWN["crypto_majors"]]
    assert choose_calendar(crypto_only, None) == "crypto"
    assert choose_calendar([*crypto_only, KNOWN["spy"]], None) == "equity"
    assert choose_calendar(crypto_only, "equity") == "equity"
    with pytest.raises(ConfigError, match="sixty_forty"):
        choose_calendar([KNOWN["sixty_forty"]], "crypto")


def test_warmup_covers_the_longest_lookback_in_calendar_days():
    assert warmup([KNOWN["rails_inverse_vol"]]) >= pd.Timedelta(
        days=91
    )  # 63 NYSE sessions ~ 91 calendar days
    assert warmup([KNOWN["btc_trend"]]) >= pd.Timedelta(days=200)  # a duration: "200D" calendar days
    assert warmup([KNOWN["spy"]]) > pd.Timedelta(days=0)  # at least the previous close


def test_the_warmup_fills_a_lookback_so_the_first_day_is_fully_invested():
    from infrabt.engine.backtest import backtest
    from infrabt.engine.result import Costs
    from infrabt.strategies import InverseVolatility, Strategy
    from tests.synthetic import random_walk

    prices = random_walk(["SPY", "TLT"], days=500, start="2022-01-03")
    strategy = Strategy(id="iv", thesis="t", assets=("SPY", "TLT"), weighting=InverseVolatility(63))
    start = prices.index[-100]
    history = prices.loc[start - warmup([strategy]) :]  # what engine.run loads
    result = backtest([strategy], history, "equity", Costs(fees=0.0, slippage=0.0), start=start)
    assert result.weights["iv"].iloc[0].sum() == pytest.approx(1.0)


def test_the_default_end_is_the_last_day_every_ticker_has_a_price():
    index = pd.bdate_range("2024-01-01", periods=10)
    stops = np.r_[np.arange(7.0) + 1, [np.nan] * 3]
    prices = pd.DataFrame({"A": np.arange(10.0) + 1, "B": stops}, index=index)
    assert common_end(prices, index[0]) == index[6]
    prices["C"] = np.r_[[1.0], [np.nan] * 9]  # ended before the start: not a reason to cut the run short
    assert common_end(prices, index[2]) == index[6]


def test_last_prices_are_each_columns_last_valid_index_and_skip_a_column_with_none():
    index = pd.bdate_range("2024-01-01", periods=8)
    prices = pd.DataFrame(
        {
            "GAP": [1.0, np.nan, 3.0, np.nan, np.nan, 6.0, np.nan, np.nan],  # a hole, then its last price
            "NONE": np.nan,
            "FULL": 1.0,
            "FIRST": [1.0, *[np.nan] * 7],
        },
        index=index,
    )
    expected = pd.Series({c: prices[c].last_valid_index() for c in prices}).dropna()
    got = last_prices(prices)
    assert list(got.index) == ["GAP", "FULL", "FIRST"] == list(expected.index)
    assert (got == pd.to_datetime(expected)).all() and got["GAP"] == index[5]
    no_days = prices.iloc[:0]  # a start after the newest price: the error names it, not numpy
    assert last_prices(no_days).empty
    with pytest.raises(DataError, match="pick an earlier --start"):
        common_end(no_days, index[-1] + pd.Timedelta(days=30))


def test_a_series_that_ended_long_ago_is_a_delisting_not_a_reason_to_stop():
    index = pd.bdate_range("2024-01-01", periods=STALE_SESSIONS + 20)
    prices = pd.DataFrame({"A": np.arange(len(index)) + 1.0}, index=index)
    prices["STALE"] = prices["A"].where(index <= index[-5])  # not updated for 4 days: stop the run there
    prices["GONE"] = prices["A"].where(index <= index[5])  # delisted long before the newest: sold, run on
    assert common_end(prices, index[0]) == index[-5]
    assert common_end(prices.drop(columns="STALE"), index[0]) == index[-1]


def test_a_crypto_only_run_defaults_to_the_coin_as_benchmark():
    from infrabt.engine.api import default_benchmark

    assert default_benchmark([KNOWN["pure_btc"]], None) == "pure_btc"
    assert default_benchmark([KNOWN["pure_btc"]], "crypto") == "pure_btc"
    assert default_benchmark([KNOWN["pure_btc"]], "equity") == "spy"
    assert default_benchmark([KNOWN["pure_btc"], KNOWN["qqq"]], None) == "spy"
    with pytest.raises(ConfigError, match="--benchmark pure_btc"):
        choose_calendar([KNOWN["pure_btc"], KNOWN["spy"]], "crypto")


def stale_prices() -> pd.DataFrame:
    """SPY to the last day, BTC-USD stopping 5 days earlier (stale), OLD delisted long before."""
    index = pd.bdate_range("2024-01-01", periods=120)
    prices = pd.DataFrame(1.0, index=index, columns=["SPY", "BTC-USD", "OLD"])
    prices.loc[index[-5:], "BTC-USD"] = float("nan")
    prices.loc[index[40:], "OLD"] = float("nan")
    return prices


def test_notes_name_the_stale_series_that_set_the_end():
    from infrabt.engine.api import end_notes

    prices = stale_prices()
    start = prices.index[50]
    end = common_end(prices, start)
    assert end == prices.index[-6]
    (note,) = end_notes(prices, start, end)
    assert f"the run ends {end.date()}, the last day BTC-USD has prices" in note
    assert str(prices.index[-1].date()) in note
    assert end_notes(prices, start, prices.index[-1]) == []  # nothing cut short


def test_an_explicit_end_past_a_last_price_is_named():
    from infrabt.engine.api import end_notes

    prices = stale_prices()
    last, start = prices.index[-1], prices.index[50]
    notes = end_notes(prices, start, last, requested=last)
    assert len(notes) == 1 and "after the last price of BTC-USD" in notes[0]  # OLD ended before the start
    assert end_notes(prices, start, prices.index[-6], requested=prices.index[-6]) == []


def test_an_end_after_the_newest_price_ends_the_run_there_and_says_so():
    """The days after the newest price were flat cash in every strategy: a CAGR understated, silently."""
    from infrabt.engine.api import end_notes, run_end

    prices = stale_prices()
    later = pd.Timestamp("2030-01-01")
    padded = prices.reindex(pd.bdate_range(prices.index[0], later))  # what load_prices gives for --end 2030
    start, default = prices.index[50], common_end(prices, prices.index[50])
    assert run_end(padded, start, later) == run_end(padded, start, None) == default
    assert run_end(padded, start, prices.index[-1]) == prices.index[-1]  # within the data: kept
    cut, stale = end_notes(padded, start, default, requested=later)
    assert f"--end 2030-01-01 is after the newest price ({prices.index[-1].date()}): the run ends" in cut
    assert stale == end_notes(padded, start, default)[0]  # and which stale series set the end, as without


def test_a_run_to_an_end_after_the_data_scores_only_the_priced_days(tmp_store, make_prices):
    import infrabt

    tmp_store.write("SPY", make_prices(100 * 1.001 ** np.arange(300), start="2024-01-01"), source="t")
    to_data = infrabt.run(["spy"], start="2024-01-01", offline=True)
    to_2030 = infrabt.run(["spy"], start="2024-01-01", end="2030-01-01", offline=True)
    pd.testing.assert_frame_equal(to_2030.returns, to_data.returns)
    assert any("is after the newest price" in note for note in to_2030.notes)


def test_a_result_shows_its_metrics_plot_and_summary():
    from infrabt.engine.metrics import summary
    from tests.reports.test_reports import EVIL, make_result

    result = make_result(names=("spy", "rails", EVIL))
    expected = summary(result.returns, result.returns["spy"], 252)
    pd.testing.assert_frame_equal(result.metrics(intervals=False), expected)
    with_intervals = result.metrics()
    pd.testing.assert_frame_equal(with_intervals[expected.columns], expected)
    assert (with_intervals["sharpe_ci_low"] <= with_intervals["sharpe"]).all()
    assert (with_intervals["sharpe"] <= with_intervals["sharpe_ci_high"]).all()
    assert result.metrics("rails").loc["rails", "beta"] == pytest.approx(1.0)
    figure = result.plot()
    assert [trace.name for trace in figure.data] == list(result.returns.columns)
    assert figure.data[0].y[0] == pytest.approx(1.0) and figure.layout.yaxis.type == "log"
    page = result._repr_html_()
    assert "3 strategies" in page and "benchmark spy" in page and "Sharpe".lower() in page
    assert EVIL not in page and "&lt;img" in page
    text = repr(result)  # a plain prompt: the summary in text, not every frame of the dataclass
    assert text.startswith("BacktestResult: 3 strategies, ") and "benchmark spy" in text
    assert len(text.splitlines()) == 1 + 1 + len(result.returns.columns)  # heading, header row, a row each
    cagr = expected.loc["rails", "cagr"]
    assert f"{cagr:.1%}" in next(line for line in text.splitlines() if line.startswith("rails"))
    with pytest.raises(ConfigError, match="unknown benchmark 'qqq': not a strategy in this run"):
        result.metrics("qqq")


def test_metrics_against_a_benchmark_that_failed_say_why_it_failed(tmp_path):
    from infrabt.engine.api import write_csvs
    from tests.reports.test_reports import make_result

    result = make_result(names=("rails",), failures={"spy": "StrategyError: spy: bad weights"})
    failed = r"benchmark 'spy' failed to run \(StrategyError: spy: bad weights\); fix it or pick another"
    with pytest.raises(ConfigError, match=failed):
        result.metrics("spy")
    with pytest.raises(ConfigError, match=failed):
        write_csvs(result, tmp_path, "spy")
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
