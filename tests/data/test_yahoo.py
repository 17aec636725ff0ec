"""yfinance path: the real ``yf.download`` assembles frames from a fake ``Ticker`` (no network), so every test
sees exactly the 1.7 shape: columns MultiIndex (Price, Ticker), tz-naive dates, all-NaN columns for a failed
ticker."""

import warnings

import pandas as pd
import pytest
import yfinance as yf
from yfinance.exceptions import YFTzMissingError

from infrabt.data.errors import ConfigError, DataError, UnknownTickerError
from infrabt.data.yahoo import NetworkError, update
from tests.conftest import DNS
from tests.faults import punch_hole, truncate_answers

AFTER_CLOSE = pd.Timestamp("2024-03-01 23:00", tz="UTC")  # 18:00 New York: that day's close is final


def test_fake_reproduces_the_real_download_shape(fake_yahoo):
    fake_yahoo.add("SPY", "2024-01-02", [1.0, 2.0])
    fake_yahoo.failures["MU"] = [YFTzMissingError("MU")]
    with warnings.catch_warnings():  # pandas 4 deprecations inside yfinance
        warnings.simplefilter("ignore")
        data = yf.download(["SPY", "MU"], start="2024-01-01", auto_adjust=False, progress=False)
    assert list(data.columns.names) == ["Price", "Ticker"]
    assert {"Adj Close", "Close", "Open", "High", "Low", "Volume"} == set(
        data.columns.get_level_values("Price")
    )
    assert data.index.tz is None
    assert data.xs("MU", axis=1, level="Ticker").isna().all().all()


def test_first_update_downloads_adjusted_and_raw_close(fake_yahoo, tmp_store):
    fake_yahoo.add("SPY", "2024-01-02", [100.0, 101.0, 102.0])
    report = update(["SPY"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["SPY"]
    frame = tmp_store.read("SPY")
    assert frame["Close"].tolist() == [100.0, 101.0, 102.0]
    assert frame["Adj Close"].tolist() == pytest.approx([98.0, 98.98, 99.96])
    assert frame.index.name == "Date" and frame.index.tz is None
    assert tmp_store.metadata("SPY")["source"] == "yfinance"
    from yfinance.cache import _CookieDBManager, _TzDBManager

    # yfinance's own caches (time zones, cookies) belong under the data dir, not the user's home
    assert _TzDBManager.get_location() == str(tmp_store.root / "yfinance")
    assert _CookieDBManager.get_location() == str(tmp_store.root / "yfinance")


def test_second_update_fetches_only_the_new_days_plus_a_week_of_overlap(fake_yahoo, tmp_store):
    closes = [float(n) for n in range(10, 30)]  # 20 business days from 2024-01-02 to 2024-01-29
    fake_yahoo.add("NVDA", "2024-01-02", closes[:15])
    update(["NVDA"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    fake_yahoo.add("NVDA", "2024-01-02", closes)
    report = update(["NVDA"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert fake_yahoo.requests[-1][:2] == ("NVDA", "2024-01-15"), "last cached 2024-01-22 minus 7 days"
    assert tmp_store.read("NVDA")["Close"].tolist() == closes
    assert list(report.updated) == ["NVDA"]
    assert update(["NVDA"], store=tmp_store, offline=False, now=AFTER_CLOSE).unchanged == ["NVDA"]


def test_readjusted_history_is_fetched_again_not_stitched(fake_yahoo, tmp_store):
    fake_yahoo.add("JPM", "2024-01-02", [10.0, 11.0, 12.0])
    update(["JPM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    # a dividend since the last fetch: Yahoo now reports every earlier close lower
    fake_yahoo.add("JPM", "2024-01-02", [9.5, 10.5, 11.5, 12.5])
    update(["JPM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert [r[1] for r in fake_yahoo.requests if r[0] == "JPM"][-2:] == ["2023-12-28", "2024-01-02"]
    assert tmp_store.read("JPM")["Close"].tolist() == [9.5, 10.5, 11.5, 12.5]


def test_readjusted_history_without_new_days_is_still_rewritten(fake_yahoo, tmp_store):
    fake_yahoo.add("JPM", "2024-01-02", [10.0, 11.0, 12.0])
    update(["JPM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    fake_yahoo.add("JPM", "2024-01-02", [9.5, 10.5, 11.5])
    report = update(["JPM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["JPM"]
    assert tmp_store.read("JPM")["Close"].tolist() == [9.5, 10.5, 11.5]


def test_zero_adjusted_close_from_yahoo_is_refused_and_others_written(fake_yahoo, tmp_store):
    fake_yahoo.add("SPY", "2024-01-02", [1.0, 2.0])
    fake_yahoo.add("QQQ", "2024-01-02", [1.0, 0.0])
    report = update(["SPY", "QQQ"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert "QQQ" in report.failed and "positive" in report.failed["QQQ"]
    assert list(report.updated) == ["SPY"]


def test_no_overlap_with_the_cache_means_a_full_refetch(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("JPM", make_prices([1.0, 2.0, 3.0]), "csv:old")  # 2024-01-02 .. 2024-01-04
    fake_yahoo.add("JPM", "2024-01-16", [5.0, 6.0])
    report = update(["JPM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert [r[1] for r in fake_yahoo.requests if r[0] == "JPM"] == ["2023-12-28", "2024-01-02"]
    # the refetch starts after the cached first day: it may not replace the cache
    assert tmp_store.metadata("JPM")["source"] == "csv:old"
    assert "starts 2024-01-16, after the cached first day; kept the 3 cached rows" in report.kept["JPM"]


def test_partial_refetch_keeps_every_cached_row(monkeypatch, fake_yahoo, tmp_store):
    """Yahoo answers a full-history refetch with its last 100 rows only: the cache keeps all 300."""
    closes = [100.0 + n for n in range(300)]
    fake_yahoo.add("SPY", "2023-01-02", closes)
    update(["SPY"], store=tmp_store, offline=False, now=AFTER_CLOSE + pd.Timedelta(days=400))
    before = tmp_store.path("SPY").read_bytes()
    fake_yahoo.add("SPY", "2023-01-02", [c * 0.99 for c in closes])  # re-adjusted: triggers a refetch
    truncate_answers(monkeypatch, fake_yahoo, "SPY", last_rows=100)
    report = update(["SPY"], store=tmp_store, offline=False, now=AFTER_CLOSE + pd.Timedelta(days=400))
    assert len(tmp_store.read("SPY")) == 300
    assert tmp_store.path("SPY").read_bytes() == before
    assert "kept the 300 cached rows" in report.kept["SPY"] and not report.updated, report


def test_earlier_start_answered_from_later_keeps_the_cache(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([1.0 + n for n in range(50)], start="2023-06-01"), "csv:old")
    fake_yahoo.add("SPY", "2023-09-01", [2.0 + n for n in range(40)])  # asked from 2020, answers from 09-01
    report = update(["SPY"], start="2020-01-01", store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert len(tmp_store.read("SPY")) == 50 and tmp_store.metadata("SPY")["source"] == "csv:old"
    assert "starts 2023-09-01" in report.kept["SPY"]


def test_earlier_start_that_covers_the_cache_replaces_it(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([1.0 + n for n in range(5)], start="2024-01-08"), "csv:old")
    fake_yahoo.add("SPY", "2024-01-02", [1.0 + n for n in range(20)])
    report = update(["SPY"], start="2024-01-01", store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["SPY"] and len(tmp_store.read("SPY")) == 20


def test_answer_with_a_hole_is_refused_naming_the_dates(fake_yahoo, tmp_store):
    fake_yahoo.add("NVDA", "2024-01-02", [10.0 + n for n in range(60)])
    punch_hole(fake_yahoo, "NVDA", "2024-01-20", "2024-02-20")
    report = update(["NVDA"], store=tmp_store, offline=False, now=AFTER_CLOSE + pd.Timedelta(days=60))
    assert "hole: no prices from 2024-01-19 to 2024-02-21" in report.failed["NVDA"]
    assert tmp_store.tickers() == []


def test_cli_update_warns_and_exits_1_when_the_cache_is_kept(fake_yahoo, tmp_store, make_prices):
    from typer.testing import CliRunner

    from infrabt.cli import app

    tmp_store.write("JPM", make_prices([1.0, 2.0, 3.0]), "csv:old")
    fake_yahoo.add("JPM", "2024-01-16", [5.0, 6.0])
    result = CliRunner().invoke(app, ["data", "update", "JPM"], env={"INFRABT_OFFLINE": "0"})
    assert result.exit_code == 1, result.output
    assert "warning: JPM: Yahoo's full refetch starts 2024-01-16" in result.stderr


def test_update_up_to_an_end_already_cached_downloads_nothing(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("JPM", make_prices([1.0, 2.0, 3.0]), "csv:old")  # 2024-01-02 .. 2024-01-04
    report = update(["JPM"], end="2024-01-03", store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert report.unchanged == ["JPM"]
    assert fake_yahoo.requests == []


def test_todays_unfinished_row_is_not_cached(fake_yahoo, tmp_store):
    fake_yahoo.add("AMD", "2024-02-28", [1.0, 2.0, 3.0])  # Wed, Thu, Fri 2024-03-01
    during_session = pd.Timestamp("2024-03-01 17:00", tz="UTC")  # 12:00 New York
    update(["AMD"], store=tmp_store, offline=False, now=during_session)
    assert tmp_store.metadata("AMD")["last"] == "2024-02-29"


def test_failed_ticker_is_reported_with_yfinance_reason_and_others_written(fake_yahoo, tmp_store):
    fake_yahoo.add("SPY", "2024-01-02", [1.0, 2.0])
    fake_yahoo.failures["MU"] = [YFTzMissingError("MU")]
    report = update(["SPY", "MU"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["SPY"]
    assert "no timezone found" in report.failed["MU"]
    assert tmp_store.tickers() == ["SPY"]
    with pytest.raises(
        DataError, match=r"yfinance returned no usable prices for MU: .*no timezone found.*data update MU"
    ):
        report.raise_for_failures()


def test_empty_answer_leaves_the_cached_file_as_it_was(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("MU", make_prices([5.0, 6.0]), "csv:before")
    before = tmp_store.path("MU").read_bytes()
    fake_yahoo.failures["MU"] = [YFTzMissingError("MU")]
    report = update(["MU"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert "MU" in report.failed
    assert tmp_store.path("MU").read_bytes() == before


def test_transient_failure_is_retried_with_backoff(fake_yahoo, tmp_store):
    fake_yahoo.add("TSM", "2024-01-02", [1.0, 2.0])
    timeout = Exception("Failed to perform, curl: (28) Operation timed out after 10000 milliseconds")
    fake_yahoo.failures["TSM"] = [timeout, timeout]
    report = update(["TSM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["TSM"]
    assert [r[1] for r in fake_yahoo.requests if r[0] == "sleep"] == [2.0, 4.0]


def test_permanent_failure_is_not_retried(fake_yahoo, tmp_store):
    fake_yahoo.failures["TSM"] = [YFTzMissingError("TSM")]
    update(["TSM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert [r[0] for r in fake_yahoo.requests] == ["TSM"]


def test_no_network_falls_back_to_cache_and_fails_for_uncached(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "csv:before")
    fake_yahoo.failures = {s: [Exception(DNS)] for s in ("SPY", "QQQ")}
    report = update(["SPY", "QQQ"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert report.fell_back == ["SPY"]
    assert list(report.failed) == ["QQQ"]
    assert not any(r[0] == "sleep" for r in fake_yahoo.requests), "no network is not retried"
    with pytest.raises(NetworkError, match=r"no network .*Could not resolve host.* no cached prices for QQQ"):
        report.raise_for_failures()


def test_no_network_is_recognised_when_yfinance_blames_the_ticker(fake_yahoo, tmp_store, make_prices):
    """Without network yfinance 1.7 logs the DNS error, then says "possibly delisted; no timezone found"."""
    tmp_store.write("ETH-USD", make_prices([1.0, 2.0], freq="D"), "test")
    for symbol in ("ETH-USD", "QQQ"):
        fake_yahoo.logs[symbol] = [f"Failed to get ticker '{symbol}' reason: {DNS}."]
        fake_yahoo.failures[symbol] = [YFTzMissingError(symbol)]
    report = update(["ETH-USD", "QQQ"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert report.fell_back == ["ETH-USD"]
    assert "Could not resolve host" in report.network_error
    assert list(report.failed) == ["QQQ"]


def test_same_reason_for_many_tickers_is_said_once(fake_yahoo, tmp_store):
    for symbol in ("MU", "AMD", "TSM"):
        fake_yahoo.failures[symbol] = [YFTzMissingError(symbol)]
    report = update(["MU", "AMD", "TSM"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    with pytest.raises(DataError) as caught:
        report.raise_for_failures()
    assert str(caught.value).count("no timezone found") == 1
    assert "MU AMD TSM: possibly delisted; no timezone found" in str(caught.value)


def test_offline_never_calls_yfinance(monkeypatch, tmp_store, make_prices):
    monkeypatch.setattr(yf, "download", lambda *a, **k: pytest.fail("offline must not download"))
    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    report = update(["SPY", "QQQ"], store=tmp_store)  # INFRABT_OFFLINE=1 from tmp_store
    assert report.unchanged == ["SPY"]
    assert "offline" in report.failed["QQQ"]
    with pytest.raises(
        DataError, match=r"offline, and no cached prices for QQQ \(not in the cache .*\. Run `infrabt"
    ):
        report.raise_for_failures()


def test_total_failure_empty_frame_from_yf_download(monkeypatch, tmp_store):
    """The exact frame yfinance 1.7 returned here without network: 0 rows, (Price, Ticker) columns."""
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], ["NVDA"]], names=["Price", "Ticker"]
    )
    empty = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[s]"), columns=columns)
    monkeypatch.setattr(yf, "download", lambda *a, **k: empty)
    report = update(["NVDA"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert "no rows" in report.failed["NVDA"]
    assert tmp_store.tickers() == []


def test_a_malformed_symbol_fails_before_any_download(monkeypatch, tmp_store):
    monkeypatch.setattr(yf, "download", lambda *a, **k: pytest.fail("must not download"))
    with pytest.raises(UnknownTickerError, match="'XY Z' is not a ticker symbol"):
        update(["XY Z"], store=tmp_store, offline=False)


def test_start_after_end_is_refused(tmp_store):
    with pytest.raises(ConfigError, match="after --end"):
        update(["SPY"], "2024-02-01", "2024-01-01", store=tmp_store, offline=False)


def test_corrupt_cache_is_rebuilt_by_update(fake_yahoo, tmp_store, make_prices):
    tmp_store.write("AVGO", make_prices([1.0, 2.0]), "test")
    tmp_store.path("AVGO").write_bytes(b"garbage")
    fake_yahoo.add("AVGO", "2024-01-02", [3.0, 4.0])
    update(["AVGO"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert tmp_store.read("AVGO")["Close"].tolist() == [3.0, 4.0]


def test_load_prices_downloads_a_missing_ticker_when_online(fake_yahoo, tmp_store):
    from infrabt.data.prices import load_prices

    fake_yahoo.add("GLD", "2024-01-02", [1.0, 2.0, 3.0])
    panel = load_prices(["GLD"], "2024-01-02", "2024-01-04", store=tmp_store, offline=False)
    assert panel["GLD"].tolist() == pytest.approx([0.98, 1.96, 2.94])


def test_load_prices_explains_a_failed_download(fake_yahoo, tmp_store):
    from infrabt.data.prices import load_prices

    fake_yahoo.failures["GLD"] = [YFTzMissingError("GLD")]
    with pytest.raises(
        DataError, match=r"no cached prices for GLD: .*Yahoo returned none \(.*no timezone found"
    ):
        load_prices(["GLD"], store=tmp_store, offline=False)


def test_a_tz_aware_answer_is_read_as_local_dates(monkeypatch, tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([100.0, 101.0, 102.0]), "csv:old")  # 2024-01-02 .. 01-04
    index = pd.date_range("2024-01-02", periods=5, freq="B", tz="America/New_York", name="Date")
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], ["SPY"]], names=["Price", "Ticker"]
    )
    closes = [100.0, 101.0, 102.0, 103.0, 104.0]
    answer = pd.DataFrame([[c] * len(columns) for c in closes], index=index, columns=columns)
    monkeypatch.setattr(yf, "download", lambda *a, **k: answer)
    report = update(["SPY"], store=tmp_store, offline=False, now=AFTER_CLOSE)
    assert list(report.updated) == ["SPY"], report
    assert tmp_store.read("SPY").index[-1] == pd.Timestamp("2024-01-08")
