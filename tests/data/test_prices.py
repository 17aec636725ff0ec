"""The price panel: calendars, NaN outside an asset's life, forward fill inside; facts on the shared data."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrabt.data.calendar import equity_calendar
from infrabt.data.errors import ConfigError, DataError, UnknownTickerError
from infrabt.data.prices import align_all, load_prices
from infrabt.data.store import PriceStore


@pytest.fixture
def small_store(tmp_store, make_prices):
    # Fri 2024-01-05 .. Thu 2024-01-11 for the stock, every day for the coin
    tmp_store.write("NVDA", make_prices([10.0, 11.0, 12.0, 13.0, 14.0], start="2024-01-05"), "test")
    tmp_store.write(
        "BTC-USD", make_prices([float(d) for d in range(1, 11)], start="2024-01-03", freq="D"), "test"
    )
    return tmp_store


def test_equity_calendar_samples_crypto_on_nyse_days(small_store):
    panel = load_prices(["BTC-USD", "NVDA"], "2024-01-03", "2024-01-12", store=small_store)
    assert list(panel.columns) == ["BTC-USD", "NVDA"]
    assert panel.index.equals(equity_calendar("2024-01-03", "2024-01-12"))
    assert panel.index.name == "Date" and panel.index.tz is None
    # BTC day n (from 2024-01-03) is worth n; Monday 2024-01-08 is its 6th day
    assert panel.loc["2024-01-08", "BTC-USD"] == 6.0
    assert panel["NVDA"].isna().tolist() == [True, True] + [False] * 5 + [True]


def test_crypto_calendar_carries_friday_over_the_weekend(small_store):
    panel = load_prices(["NVDA", "BTC-USD"], "2024-01-05", "2024-01-09", "crypto", store=small_store)
    assert len(panel) == 5
    assert panel["NVDA"].tolist() == [10.0, 10.0, 10.0, 11.0, 12.0]
    assert panel["BTC-USD"].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0]


def test_gap_inside_life_is_forward_filled_but_not_after_last(tmp_store):
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-05"], name="Date")
    tmp_store.write("MU", pd.DataFrame({"Adj Close": [1.0, 2.0]}, index=index), "test")
    panel = load_prices("MU", "2024-01-02", "2024-01-09", store=tmp_store)
    assert panel["MU"].tolist()[:4] == [1.0, 1.0, 1.0, 2.0]
    assert panel["MU"].iloc[4:].isna().all()


def test_defaults_span_the_cached_history(small_store):
    panel = load_prices(["NVDA", "BTC-USD"], store=small_store)
    assert panel.index[0] == pd.Timestamp("2024-01-03")
    assert panel.index[-1] == pd.Timestamp("2024-01-12")


def test_groups_expand_and_order_is_kept(small_store, make_prices):
    small_store.write("ETH-USD", make_prices([1.0, 2.0], freq="D"), "test")
    small_store.write("SOL-USD", make_prices([1.0, 2.0], freq="D"), "test")
    panel = load_prices(["NVDA", "crypto"], store=small_store)
    assert list(panel.columns) == ["NVDA", "BTC-USD", "ETH-USD", "SOL-USD"]


def test_missing_ticker_offline_names_the_commands(small_store):
    with pytest.raises(
        DataError, match=r"no cached prices for AMD: .*offline.*`infrabt data update AMD`.*data import"
    ):
        load_prices(["NVDA", "AMD"], store=small_store, offline=True)


def test_a_symbol_with_no_prices_anywhere_is_refused_with_the_closest_known_ones(small_store):
    with pytest.raises(UnknownTickerError, match=r"no cached prices for NVDAA: .*did you mean NVDA\b"):
        load_prices(["NVDAA"], store=small_store, offline=True)


@pytest.mark.parametrize(("symbol", "before_the_fix"), [("QZXJW", "never downloads."), ("NVDAA", "?")])
def test_the_reason_and_the_fix_are_separate_sentences(small_store, symbol, before_the_fix):
    """With or without a suggestion, the fix starts a sentence of its own."""
    with pytest.raises(UnknownTickerError) as caught:
        load_prices([symbol], store=small_store, offline=True)
    assert f"{before_the_fix} Add prices with" in str(caught.value)


def test_start_after_end_is_refused(small_store):
    with pytest.raises(ConfigError, match="after --end"):
        load_prices(["NVDA"], "2024-02-01", "2024-01-01", store=small_store)


# --- integration: the shared data ---


def test_shared_spy_covid_crash_is_minus_33_7_percent(shared_prices):
    spy = load_prices(["SPY"], "2020-02-19", "2020-03-23")["SPY"]
    assert spy.iloc[-1] / spy.iloc[0] - 1 == pytest.approx(-0.337, abs=0.001)


def test_shared_corz_starts_2024_01_24(shared_prices):
    corz = load_prices(["CORZ"], "2023-01-01", "2024-12-31")["CORZ"]
    assert corz.first_valid_index() == pd.Timestamp("2024-01-24")
    assert corz.loc[:"2024-01-23"].isna().all()


def test_shared_spy_equity_panel_is_the_nyse_calendar(shared_prices):
    panel = load_prices(["SPY", "BTC-USD"])
    assert len(panel) == 2393
    assert (panel.index[0], panel.index[-1]) == (pd.Timestamp("2017-01-03"), pd.Timestamp("2026-07-13"))
    assert panel["SPY"].notna().all()
    assert panel.index.equals(PriceStore().read("SPY").index), "the NYSE calendar is SPY's own trading days"
    # crypto ends 2026-06-23 in the shared data: NaN after its last price
    assert panel["BTC-USD"].last_valid_index() == pd.Timestamp("2026-06-23")


def test_shared_btc_on_its_own_calendar(shared_prices):
    btc = load_prices(["BTC-USD"], "2020-03-11", "2020-03-12", calendar="crypto")["BTC-USD"]
    assert btc.iloc[-1] == pytest.approx(4970.79, abs=0.01)
    assert btc.iloc[-1] / btc.iloc[0] - 1 == pytest.approx(-0.372, abs=0.001)


# --- property: align is "last price on or before the day, only inside the asset's life" ---

DAYS = pd.date_range("2024-01-01", periods=40, freq="D")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 39), min_size=1, max_size=20, unique=True), min_size=1, max_size=3),
    st.sampled_from(["D", "B"]),
)
def test_align_matches_a_plain_lookup(positions, freq):
    series = {
        f"T{n}": pd.Series([float(i + 1) for i in range(len(p))], index=DAYS[sorted(p)])
        for n, p in enumerate(positions)
    }
    days = pd.date_range("2023-12-25", "2024-02-15", freq=freq)
    aligned = align_all(series, days)
    for name, close in series.items():
        for day, value in aligned[name].items():
            known = close[close.index <= day]
            if known.empty or day > close.index[-1]:
                assert pd.isna(value)
            else:
                assert value == known.iloc[-1]
