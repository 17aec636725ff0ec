"""CSV import: a yfinance-style file, several, or a folder; a bad file is refused, the cache unchanged."""

import warnings

import pandas as pd
import pytest

from infrabt.data.csv_import import import_csv, read_price_csv
from infrabt.data.errors import DataError, UnknownTickerError

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def write_csv(folder, name, body, header=HEADER):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(header + body)
    return path


def test_folder_import_writes_every_ticker_with_csv_source(tmp_store, tmp_path):
    folder = tmp_path / "csv"
    write_csv(folder, "SPY.csv", "2024-01-02,,,,99,100,\n2024-01-03,,,,100,101,\n")
    write_csv(folder, "BTC-USD.csv", "2024-01-01,1,2,1,1.5,1.5,10\n2024-01-02,1.5,2,1,1.8,1.8,12\n")
    written = import_csv([folder], tmp_store)
    assert sorted(written) == ["BTC-USD", "SPY"]
    assert tmp_store.tickers() == ["BTC-USD", "SPY"]
    spy = tmp_store.read("SPY")
    assert spy["Adj Close"].tolist() == [100.0, 101.0]
    assert spy["Close"].tolist() == [99.0, 100.0]
    assert tmp_store.read("BTC-USD")["Volume"].tolist() == [10.0, 12.0]
    assert (
        tmp_store.metadata("SPY")["source"].startswith("csv:")
        and "SPY.csv" in tmp_store.metadata("SPY")["source"]
    )


def test_single_and_several_files(tmp_store, tmp_path):
    a = write_csv(tmp_path, "QQQ.csv", "2024-01-02,,,,1,1,\n")
    b = write_csv(tmp_path, "GLD.csv", "2024-01-02,,,,2,2,\n")
    assert list(import_csv([a], tmp_store)) == ["QQQ"]
    assert sorted(import_csv([a, b], tmp_store)) == ["GLD", "QQQ"]


def test_only_date_and_close_is_enough_and_noted(tmp_path):
    path = write_csv(tmp_path, "TLT.csv", "2024-01-02,90\n2024-01-03,91\n", header="Date,Close\n")
    frame, notes = read_price_csv(path)
    assert frame["Adj Close"].tolist() == [90.0, 91.0]
    assert "Close used as the adjusted close" in notes[0]


def test_a_hole_in_the_prices_is_noted_with_its_dates(tmp_store, tmp_path):
    """Weeks without a price are kept (a long halt is real) but noted: a backtest counts the move across
    them as one day's return. A long weekend is no hole."""
    days = ["2024-01-02", "2024-01-05", "2024-01-09", "2024-02-20", "2024-02-21"]
    body = "".join(
        f"{day},,,,{price},{price},\n" for day, price in zip(days, [1, 1, 1, 1.5, 1.5], strict=True)
    )
    path = write_csv(tmp_path, "HOLE.csv", body)
    frame, notes = read_price_csv(path)
    assert len(frame) == 5
    assert notes == ["a hole in the prices: no prices from 2024-01-09 to 2024-02-20 (42 days)"]
    written = import_csv([path], tmp_store)
    assert written["HOLE"]["warnings"] == notes  # kept with the prices, shown by `infrabt data check`
    monthly = "".join(f"2020-{month:02d}-01,,,,1,1,\n" for month in range(1, 13))
    _, notes = read_price_csv(write_csv(tmp_path, "MONTHLY.csv", monthly))
    assert notes == [
        "a hole in the prices: no prices from 2020-01-01 to 2020-02-01 (31 days) and 10 more of over 10 days"
    ]


def test_adj_close_is_preferred_over_close(tmp_path):
    path = write_csv(tmp_path, "AGG.csv", "2024-01-02,50,40\n", header="Date,Close,Adj Close\n")
    frame, notes = read_price_csv(path)
    assert frame["Adj Close"].tolist() == [40.0]
    assert notes == []


def test_timestamps_with_offsets_keep_the_local_date(tmp_path):
    path = write_csv(tmp_path, "USO.csv", "2024-01-02 00:00:00-05:00,,,,3,3,\n", header=HEADER)
    frame, _ = read_price_csv(path)
    assert str(frame.index[0].date()) == "2024-01-02"


def test_unsorted_rows_are_sorted(tmp_path):
    path = write_csv(tmp_path, "USO.csv", "2024-01-03,,,,4,4,\n2024-01-02,,,,3,3,\n")
    frame, _ = read_price_csv(path)
    assert frame["Adj Close"].tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        ("Day,Close\n", "2024-01-02,1\n", "no Date column"),
        (HEADER, "2024-13-45,,,,1,1,\n", "cannot read the date '2024-13-45' on line 2"),
        (HEADER, "2024-01-02,,,,1,1,\n2024-01-02,,,,2,2,\n", "duplicate date 2024-01-02"),
        (HEADER, "2024-01-02,,,,1,abc,\n", "Adj Close on 2024-01-02 .* is 'abc', not a number"),
        (
            HEADER,
            "2024-01-02,,,,1,1,\n2024-01-03,,,,1,-5,\n",
            "Adj Close on 2024-01-03 is -5.0; prices must be positive",
        ),
        (HEADER, "2024-01-02,,,,0,0,\n", "prices must be positive"),
        ("Date,Open\n", "2024-01-02,1\n", "no Adj Close or Close column"),
        (HEADER, "2024-01-02,,,,1,1,\n2100-01-04,,,,1,1,\n", "'2100-01-04' on line 3 is before 1900"),
        (HEADER, "0001-01-02,,,,1,1,\n", "'0001-01-02' on line 2 is before 1900"),
        (HEADER, "2024-01-02,,,,1,1,\n9999-01-02,,,,1,1,\n", "'9999-01-02' on line 3"),
        (HEADER, "1899-12-29,,,,1,1,\n2024-01-02,,,,1,1,\n", "'1899-12-29' on line 2"),
    ],
)
def test_bad_csv_is_refused_naming_the_file_and_cache_is_unchanged(
    tmp_store, tmp_path, header, body, message
):
    good = write_csv(tmp_path / "good", "NVDA.csv", "2024-01-02,,,,1,1,\n")
    import_csv([good], tmp_store)
    before = tmp_store.path("NVDA").read_bytes()
    folder = tmp_path / "bad"
    write_csv(folder, "AMD.csv", "2024-01-02,,,,1,1,\n")
    write_csv(folder, "NVDA.csv", body, header=header)
    with pytest.raises(DataError, match=message) as caught:
        import_csv([folder], tmp_store)
    assert "NVDA.csv" in str(caught.value)
    assert tmp_store.path("NVDA").read_bytes() == before
    assert tmp_store.tickers() == ["NVDA"], "a good file in the same import must not be written either"


def test_missing_path_is_refused(tmp_store, tmp_path):
    with pytest.raises(DataError, match=r"nope.csv does not exist"):
        import_csv([tmp_path / "nope.csv"], tmp_store)


def test_folder_without_csvs_is_refused(tmp_store, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"holds no \.csv files"):
        import_csv([tmp_path / "empty"], tmp_store)


def test_a_ticker_outside_the_shipped_universe_is_imported(tmp_store, tmp_path):
    path = write_csv(tmp_path, "AAPL.csv", "2024-01-02,,,,1,1,\n2024-01-03,,,,2,2,\n")
    import_csv([path], tmp_store)
    assert tmp_store.tickers() == ["AAPL"]
    assert tmp_store.read("AAPL")["Adj Close"].tolist() == [1.0, 2.0]


def test_a_file_name_that_is_no_symbol_is_refused_with_the_fix(tmp_store, tmp_path):
    path = write_csv(tmp_path, "my prices.csv", "2024-01-02,,,,1,1,\n")
    with pytest.raises(UnknownTickerError, match=r"'MY PRICES' is not a ticker symbol.*rename the file"):
        import_csv([path], tmp_store)
    assert tmp_store.tickers() == []


def test_csv_written_by_yf_download_to_csv_is_understood(fake_yahoo, tmp_store, tmp_path):
    """The three-row header (Price / Ticker / Date) that ``yf.download(...).to_csv()`` writes."""
    import yfinance as yf

    fake_yahoo.add("SPY", "2024-01-02", [100.0, 101.0])
    with warnings.catch_warnings():  # pandas 4 deprecations inside yfinance
        warnings.simplefilter("ignore")
        data = yf.download(["SPY"], start="2024-01-01", auto_adjust=False, progress=False)
    data.to_csv(tmp_path / "SPY.csv")
    assert (tmp_path / "SPY.csv").read_text().splitlines()[1].startswith("Ticker,SPY")
    import_csv([tmp_path / "SPY.csv"], tmp_store)
    frame = tmp_store.read("SPY")
    assert frame["Close"].tolist() == [100.0, 101.0]
    assert frame["Adj Close"].tolist() == pytest.approx([98.0, 98.98])
    assert frame["Volume"].tolist() == [1000.0, 1000.0]


def test_byte_order_mark_from_excel_is_ignored(tmp_path):
    path = tmp_path / "GLD.csv"
    path.write_bytes("Date,Adj Close\n2024-01-02,5\n".encode("utf-8-sig"))
    frame, _ = read_price_csv(path)
    assert frame["Adj Close"].tolist() == [5.0]


def test_header_only_csv_is_refused(tmp_path):
    path = write_csv(tmp_path, "GLD.csv", "")
    with pytest.raises(DataError, match=r"GLD\.csv: every Adj Close value is empty"):
        read_price_csv(path)


def test_a_fifo_is_named_for_what_it_is(tmp_store, tmp_path):
    import os

    os.mkfifo(tmp_path / "NVDA.csv")
    with pytest.raises(DataError, match=r"NVDA.csv is not a regular file \(a pipe"):
        import_csv([tmp_path / "NVDA.csv"], tmp_store)


def test_a_folder_named_like_a_csv_is_named_for_what_it_is(tmp_store, tmp_path):
    (tmp_path / "prices" / "NVDA.csv").mkdir(parents=True)
    write_csv(tmp_path / "prices", "SPY.csv", "2024-01-02,,,,1,1,\n")
    for given in (tmp_path / "prices" / "NVDA.csv", tmp_path / "prices"):
        with pytest.raises(DataError, match=r"NVDA.csv is a folder, not a CSV file"):
            import_csv([given], tmp_store)
    assert tmp_store.tickers() == []


def test_a_huge_csv_is_refused_by_its_size_before_it_is_read(tmp_store, tmp_path, monkeypatch):
    import infrabt.data.csv_import

    huge = tmp_path / "SPY.csv"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 2**20)
    monkeypatch.setattr(infrabt.data.csv_import.pd, "read_csv", lambda *a, **k: pytest.fail("must not read"))
    with pytest.raises(DataError, match=r"SPY.csv is 200 MB, more than a daily price history can be"):
        import_csv([huge], tmp_store)


def test_a_partly_bad_folder_says_nothing_was_imported(tmp_store, tmp_path):
    write_csv(tmp_path / "csv", "AMD.csv", "2024-01-02,,,,1,1,\n")
    write_csv(tmp_path / "csv", "NVDA.csv", "2024-01-02,,,,1,abc,\n")
    with pytest.raises(DataError, match=r"NVDA.csv: .*'abc'.*\. Nothing was imported: the cache is as"):
        import_csv([tmp_path / "csv"], tmp_store)
    assert tmp_store.tickers() == []


# --- nothing cached is lost: a file that lacks cached days is refused, unless replace=True ---


def business_days_csv(folder, symbol, days):
    """``symbol``.csv with a rising Adj Close on each of ``days``."""
    body = "".join(f"{day.date()},,,,{n + 1},{n + 1},\n" for n, day in enumerate(days))
    return write_csv(folder, f"{symbol}.csv", body)


CACHED_DAYS = pd.bdate_range("2024-01-02", periods=30)
PARTIAL = {
    "ends earlier": (CACHED_DAYS[:10], "ends {last}, before the cached last day"),
    "starts later": (CACHED_DAYS[10:], "starts {first}, after the cached first day"),
    "skips a day": (CACHED_DAYS.delete(15), "lacks 1 cached days (first {skipped})"),
}


@pytest.mark.parametrize("case", sorted(PARTIAL))
def test_a_csv_lacking_cached_days_is_refused_naming_both_ranges(tmp_store, tmp_path, case):
    import_csv([business_days_csv(tmp_path / "full", "NVDA", CACHED_DAYS)], tmp_store)
    before = tmp_store.path("NVDA").read_bytes()
    days, reason = PARTIAL[case]
    folder = tmp_path / "partial"
    business_days_csv(folder, "NVDA", days)
    business_days_csv(folder, "AMD", CACHED_DAYS)  # a good file beside it: not written either
    with pytest.raises(DataError) as caught:
        import_csv([folder], tmp_store)
    message = str(caught.value)
    expected = reason.format(first=days[0].date(), last=days[-1].date(), skipped=CACHED_DAYS[15].date())
    cached = f"{CACHED_DAYS[0].date()} .. {CACHED_DAYS[-1].date()}"
    for fragment in (
        f"NVDA.csv {expected}",
        f"it holds {len(days)} rows ({days[0].date()} .. {days[-1].date()})",
        f"the cache holds {len(CACHED_DAYS)} rows of NVDA ({cached})",
        "--replace",
        "Nothing was imported",
    ):
        assert fragment in message
    assert tmp_store.path("NVDA").read_bytes() == before
    assert tmp_store.tickers() == ["NVDA"]


def test_replace_imports_a_csv_lacking_cached_days(tmp_store, tmp_path):
    import_csv([business_days_csv(tmp_path / "full", "NVDA", CACHED_DAYS)], tmp_store)
    partial = CACHED_DAYS[:10]
    import_csv([business_days_csv(tmp_path / "partial", "NVDA", partial)], tmp_store, replace=True)
    assert tmp_store.read("NVDA").index.equals(partial)


def test_a_csv_covering_every_cached_day_replaces_the_cache(tmp_store, tmp_path):
    import_csv([business_days_csv(tmp_path / "first", "NVDA", CACHED_DAYS[5:20])], tmp_store)
    import_csv([business_days_csv(tmp_path / "wider", "NVDA", CACHED_DAYS)], tmp_store)
    assert tmp_store.read("NVDA").index.equals(CACHED_DAYS)


def test_a_corrupt_cache_file_is_repaired_by_any_import(tmp_store, tmp_path):
    """Nothing readable is cached, so nothing can be lost: the import is the repair its error names."""
    import_csv([business_days_csv(tmp_path / "full", "NVDA", CACHED_DAYS)], tmp_store)
    tmp_store.path("NVDA").write_bytes(b"not parquet")
    import_csv([business_days_csv(tmp_path / "partial", "NVDA", CACHED_DAYS[:10])], tmp_store)
    assert tmp_store.read("NVDA").index.equals(CACHED_DAYS[:10])
