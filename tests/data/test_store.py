"""PriceStore: atomic Parquet per ticker with metadata; validation on every write."""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import CacheCorruptError, DataError
from infrabt.data.store import PriceStore
from infrabt.data.validation import COLUMNS
from tests.faults import BAD_METADATA, CACHE_EDITS, edit_cache, set_metadata


def test_write_then_read_round_trips_prices_and_metadata(tmp_store, make_prices):
    frame = make_prices([10.0, 11.0, 12.5])
    meta = tmp_store.write("NVDA", frame, "test")
    back = tmp_store.read("NVDA")
    assert list(back.columns) == list(COLUMNS)
    assert back.index.name == "Date"
    assert back["Adj Close"].tolist() == [10.0, 11.0, 12.5]
    assert back["Open"].isna().all()
    assert tmp_store.metadata("NVDA") == meta
    assert meta["source"] == "test"
    assert (meta["first"], meta["last"], meta["rows"]) == ("2024-01-02", "2024-01-04", 3)
    assert meta["warnings"] == []
    assert tmp_store.tickers() == ["NVDA"]


def test_default_root_is_infrabt_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INFRABT_DATA_DIR", str(tmp_path / "elsewhere"))
    assert PriceStore().root == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    ("closes", "dates", "message"),
    [
        ([1.0, 2.0], ["2024-01-03", "2024-01-02"], "not ascending"),
        ([1.0, 2.0], ["2024-01-02", "2024-01-02"], "duplicate date 2024-01-02"),
        ([1.0, -2.0], ["2024-01-02", "2024-01-03"], "positive"),
        ([1.0, 0.0], ["2024-01-02", "2024-01-03"], "positive"),
        ([1.0, np.inf], ["2024-01-02", "2024-01-03"], "finite"),
        ([1.0, np.nan], ["2024-01-02", "2024-01-03"], "no Adj Close price on 2024-01-03"),
    ],
)
def test_invalid_frames_are_refused_and_previous_file_kept(tmp_store, make_prices, closes, dates, message):
    good = make_prices([5.0, 6.0])
    tmp_store.write("AMD", good, "test")
    bad = pd.DataFrame({"Adj Close": closes}, index=pd.DatetimeIndex(pd.to_datetime(dates), name="Date"))
    with pytest.raises(DataError, match=message):
        tmp_store.write("AMD", bad, "test")
    assert tmp_store.read("AMD")["Adj Close"].tolist() == [5.0, 6.0]


def test_text_in_a_price_column_is_refused(tmp_store):
    index = pd.date_range("2024-01-02", periods=2, name="Date")
    bad = pd.DataFrame({"Adj Close": ["1.0", "oops"]}, index=index)
    with pytest.raises(DataError, match="AMD: Adj Close holds something that is not a number"):
        tmp_store.write("AMD", bad, "test")


def test_suspicious_drop_is_a_warning_not_an_error(tmp_store, make_prices):
    meta = tmp_store.write("MARA", make_prices([10.0, 10.0, 4.0, 4.2]), "test")
    assert len(meta["warnings"]) == 1
    assert meta["warnings"][0].startswith("2024-01-04: -60.0%")
    assert tmp_store.read("MARA")["Adj Close"].iloc[2] == 4.0


def test_drop_on_a_market_crash_day_is_not_flagged(tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([100.0, 100.0, 85.0, 86.0]), "test")
    meta = tmp_store.write("MARA", make_prices([10.0, 10.0, 4.0, 4.2]), "test")
    assert meta["warnings"] == []


def test_doubling_in_a_day_is_flagged(tmp_store, make_prices):
    meta = tmp_store.write("CLSK", make_prices([15.0, 73.0, 35.0]), "test")
    assert any("+386.7%" in w for w in meta["warnings"])


def test_missing_ticker_names_the_fix(tmp_store):
    with pytest.raises(DataError, match="infrabt data update GS"):
        tmp_store.read("GS")


def test_corrupt_file_is_reported_with_the_rebuild_command(tmp_store, make_prices):
    tmp_store.write("TSM", make_prices([1.0, 2.0]), "test")
    tmp_store.path("TSM").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(CacheCorruptError, match=r"corrupt.*infrabt data update TSM"):
        tmp_store.read("TSM")
    with pytest.raises(CacheCorruptError, match="infrabt data import"):
        tmp_store.metadata("TSM")


def test_unwritable_cache_is_a_clear_error(tmp_store, make_prices, monkeypatch):
    import infrabt.data.files

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(infrabt.data.files.os, "replace", refuse)
    with pytest.raises(DataError, match=r"cannot write .*MU.parquet \(Permission denied\).*INFRABT_DATA_DIR"):
        tmp_store.write("MU", make_prices([1.0]), "test")
    assert tmp_store.tickers() == []


def test_symbol_cannot_escape_the_cache_dir(tmp_store):
    with pytest.raises(DataError, match="not a ticker symbol"):
        tmp_store.path("../../etc/passwd")


def test_failure_mid_write_keeps_previous_file_and_no_temp(tmp_store, make_prices, monkeypatch):
    import infrabt.data.files

    tmp_store.write("MU", make_prices([1.0, 2.0]), "test")
    real_write = infrabt.data.store.pq.write_table

    def half_write(table, where, **kwargs):
        real_write(table, where, **kwargs)
        with open(where, "r+b") as handle:
            handle.truncate(10)
        raise OSError("disk full")

    monkeypatch.setattr(infrabt.data.store.pq, "write_table", half_write)
    with pytest.raises(DataError, match="disk full"):
        tmp_store.write("MU", make_prices([7.0, 8.0, 9.0]), "test")
    assert tmp_store.read("MU")["Adj Close"].tolist() == [1.0, 2.0]
    assert [p.name for p in tmp_store.prices_dir.iterdir()] == ["MU.parquet"]


def test_writer_killed_mid_write_leaves_previous_file_readable(tmp_store, make_prices, tmp_path):
    """A real process, SIGKILLed after half of the new file hit the disk, must not damage the old file."""
    tmp_store.write("AVGO", make_prices([1.0, 2.0, 3.0]), "test")
    marker = tmp_path / "half-written"
    script = textwrap.dedent(
        f"""
        import time, numpy as np, pandas as pd
        import infrabt.data.store
        from infrabt.data.store import PriceStore

        real_write = infrabt.data.store.pq.write_table

        def slow_write(table, where, **kwargs):
            real_write(table, where, **kwargs)
            with open(where, "r+b") as handle:
                handle.truncate(handle.seek(0, 2) // 2)
            open({str(marker)!r}, "w").close()
            time.sleep(600)

        infrabt.data.store.pq.write_table = slow_write
        n = 30_000
        index = pd.date_range("1910-01-03", periods=n, freq="B", name="Date")  # to 2024
        closes = np.linspace(1.0, 2.0, n)
        frame = pd.DataFrame({{"Adj Close": closes}}, index=index)
        PriceStore({str(tmp_store.root)!r}).write("AVGO", frame, "big")
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(1200):
            if marker.exists() or writer.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the writer never reached the middle of its write"
    finally:
        writer.kill()
        writer.wait()
    assert tmp_store.read("AVGO")["Adj Close"].tolist() == [1.0, 2.0, 3.0]
    assert tmp_store.metadata("AVGO")["source"] == "test"
    assert tmp_store.tickers() == ["AVGO"]


@pytest.mark.parametrize(("day", "message"), [("2100-01-04", "in the future"), ("1899-12-29", "before 1900")])
def test_every_write_refuses_dates_after_today_or_before_1900(tmp_store, make_prices, day, message):
    frame = make_prices([1.0, 2.0])
    frame.index = pd.DatetimeIndex([frame.index[0], pd.Timestamp(day)], name="Date").sort_values()
    with pytest.raises(DataError, match=message):
        tmp_store.write("NVDA", frame, "test")
    assert tmp_store.tickers() == []


@pytest.mark.parametrize("edit", sorted(CACHE_EDITS))
def test_a_cache_edited_outside_infrabt_is_refused_on_read(tmp_store, make_prices, edit):
    tmp_store.write("SPY", make_prices([10.0 + n for n in range(20)]), "test")
    edit_cache(tmp_store, "SPY", CACHE_EDITS[edit])
    with pytest.raises(CacheCorruptError, match=r"SPY\.parquet is (invalid|corrupt) .*data update SPY"):
        tmp_store.read("SPY")


@pytest.mark.parametrize("bad", sorted(BAD_METADATA))
def test_malformed_metadata_is_a_corrupt_file(tmp_store, make_prices, bad):
    tmp_store.write("SPY", make_prices([10.0, 11.0]), "test")
    set_metadata(tmp_store, "SPY", BAD_METADATA[bad])
    for read in (tmp_store.read, tmp_store.metadata):
        with pytest.raises(CacheCorruptError, match="rebuild it with"):
            read("SPY")


def test_a_symlink_to_another_tickers_file_is_refused(tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([10.0, 11.0]), "test")
    tmp_store.write("QQQ", make_prices([20.0, 21.0]), "test")
    tmp_store.path("SPY").unlink()
    tmp_store.path("SPY").symlink_to(tmp_store.path("QQQ"))
    with pytest.raises(CacheCorruptError, match="holds QQQ's prices, not SPY's"):
        tmp_store.read("SPY")


def test_each_file_version_is_checked_once(tmp_store, make_prices, monkeypatch):
    import infrabt.data.store

    tmp_store.write("SPY", make_prices([10.0, 11.0]), "test")
    checks = []
    real = infrabt.data.store._verify
    monkeypatch.setattr(infrabt.data.store, "_verify", lambda *a: checks.append(a[0]) or real(*a))
    for _ in range(3):
        tmp_store.read("SPY")
    assert checks == ["SPY"]
    tmp_store.write("SPY", make_prices([10.0, 12.0]), "test")  # a new version is checked again
    tmp_store.read("SPY")
    assert checks == ["SPY", "SPY"]


def test_a_read_of_adj_close_alone_does_not_vouch_for_the_other_columns(tmp_store, make_prices, monkeypatch):
    import infrabt.data.store

    tmp_store.write("SPY", make_prices([10.0, 11.0]), "test")
    infrabt.data.store._verified.clear()
    checks = []
    real = infrabt.data.store._verify
    monkeypatch.setattr(
        infrabt.data.store, "_verify", lambda *a: checks.append(list(a[1].columns)) or real(*a)
    )
    tmp_store.read("SPY", columns=["Adj Close"])
    tmp_store.read("SPY", columns=["Adj Close"])
    tmp_store.read("SPY")  # the full frame: checked once more
    tmp_store.read("SPY")
    assert checks == [["Adj Close"], ["Open", "High", "Low", "Close", "Adj Close", "Volume"]]
