"""The bundled price snapshot: built through the product's own import, seeds an empty cache."""

import warnings

import pandas as pd
import pytest

from infrabt.data.csv_import import import_csv
from infrabt.data.errors import DataError, DataNotice
from infrabt.data.paths import SNAPSHOT_FILE
from infrabt.data.prices import load_prices
from infrabt.data.snapshot import build, seed, snapshot_end, snapshot_tickers
from infrabt.data.store import PriceStore
from infrabt.data.universe import load_universe
from tests.conftest import DNS


@pytest.fixture
def small_snapshot(tmp_path, monkeypatch):
    """A snapshot built from two CSVs (one equity, one crypto), made the snapshot in force."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "SPY.csv").write_text("Date,Adj Close\n2024-01-02,100\n2024-01-03,101\n2024-01-04,99.5\n")
    days = pd.date_range("2024-01-01", periods=7, freq="D")
    rows = "".join(f"{d.date()},{40000 + i},{40100 + i},{39900 + i},{40050 + i},{40050 + i},7\n" for i, d in
                   enumerate(days))  # fmt: skip
    (folder / "BTC-USD.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + rows)
    path = build(folder, tmp_path / "snap.parquet")
    monkeypatch.setenv("INFRABT_SNAPSHOT", str(path))
    return folder


def test_a_seeded_cache_holds_exactly_what_an_import_would(small_snapshot, tmp_path):
    imported, seeded = PriceStore(tmp_path / "imported"), PriceStore(tmp_path / "seeded")
    import_csv([small_snapshot], imported)
    assert seed(["SPY", "BTC-USD", "NOPE"], seeded) == ["SPY", "BTC-USD"]
    for symbol in ("SPY", "BTC-USD"):
        pd.testing.assert_frame_equal(seeded.read(symbol), imported.read(symbol))
        assert seeded.metadata(symbol)["source"].startswith("snapshot:")


def test_seeding_never_overwrites_a_cached_ticker(small_snapshot, tmp_store, make_prices):
    tmp_store.write("SPY", make_prices([1.0, 2.0, 3.0, 4.0]), "mine")
    assert seed(["SPY"], tmp_store) == []
    assert tmp_store.metadata("SPY")["source"] == "mine"


def test_offline_load_prices_on_an_empty_cache_runs_on_the_snapshot(small_snapshot, tmp_store):
    panel = load_prices(["SPY", "BTC-USD"], calendar="equity", store=tmp_store, offline=True)
    assert panel.loc["2024-01-03", "SPY"] == 101
    assert panel.loc["2024-01-04", "BTC-USD"] == 40053
    assert tmp_store.tickers() == ["BTC-USD", "SPY"]


def test_without_network_the_run_says_in_one_line_that_it_uses_the_snapshot(
    small_snapshot, fake_yahoo, tmp_store
):
    fake_yahoo.failures["SPY"] = [RuntimeError(DNS)] * 3
    fake_yahoo.logs["SPY"] = [DNS]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_prices(["SPY"], store=tmp_store, offline=False)
    notices = [str(w.message) for w in caught if issubclass(w.category, DataNotice)]
    assert notices == ["Yahoo unreachable: running on the bundled price snapshot, prices end 2024-01-04"]


def test_online_the_update_after_seeding_fetches_only_the_days_after_the_snapshot(
    small_snapshot, fake_yahoo, tmp_store
):
    fake_yahoo.add("SPY", "2024-01-02", [100.0, 101.0, 99.5, 102.0, 103.0])
    from infrabt.data.yahoo import update

    report = update(["SPY"], store=tmp_store, offline=False, now=pd.Timestamp("2024-01-10", tz="UTC"))
    assert report.updated["SPY"]["rows"] == 5
    starts = [pd.Timestamp(r[1]) for r in fake_yahoo.requests if r[0] == "SPY"]
    assert starts and min(starts) > pd.Timestamp("2023-12-20")  # from an overlap week: not the whole history


def test_a_corrupt_snapshot_is_a_clear_error_and_writes_nothing(tmp_path, tmp_store, monkeypatch):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really parquet")
    monkeypatch.setenv("INFRABT_SNAPSHOT", str(broken))
    with pytest.raises(DataError, match=r"snapshot .*broken.parquet is unreadable") as caught:
        load_prices(["SPY"], store=tmp_store, offline=True)
    assert tmp_store.tickers() == []
    # the user's own file: point INFRABT_SNAPSHOT elsewhere; reinstalling infrabt would not change it
    assert "Point INFRABT_SNAPSHOT at a file built with" in str(caught.value)
    assert "reinstall" not in str(caught.value).lower()


def test_the_bundled_snapshot_covers_the_shipped_universe(monkeypatch):
    monkeypatch.delenv("INFRABT_SNAPSHOT")
    assert SNAPSHOT_FILE.is_file(), "build it: python -m infrabt.data.snapshot ../shared/data/prices"
    assert snapshot_tickers() == sorted(load_universe())
    assert SNAPSHOT_FILE.stat().st_size < 5e6
    assert snapshot_end() >= pd.Timestamp("2026-06-01")


def test_the_bundled_snapshot_equals_an_import_of_the_shared_prices(shared_prices, tmp_path, monkeypatch):
    monkeypatch.delenv("INFRABT_SNAPSHOT")
    imported, seeded = PriceStore(shared_prices), PriceStore(tmp_path / "seeded")
    assert sorted(seed(imported.tickers(), seeded)) == imported.tickers()
    for symbol in imported.tickers():
        pd.testing.assert_frame_equal(seeded.read(symbol), imported.read(symbol), obj=symbol)


def test_seeding_into_a_cache_that_cannot_be_written_is_one_clear_error(small_snapshot, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with pytest.raises(DataError, match=r"cannot write .*not-a-folder.*point INFRABT_DATA_DIR elsewhere"):
        load_prices(["SPY"], store=PriceStore(blocked), offline=True)
    assert blocked.read_text() == "a file where the cache folder should be"


def test_building_from_a_bad_csv_is_one_line_and_exit_2(tmp_path):
    """``python -m infrabt.data.snapshot``: no traceback, and no word of a cache (none is involved)."""
    import subprocess
    import sys

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "SPY.csv").write_text("Date,Adj Close\n2024-01-02,100\n")
    (folder / "NVDA.csv").write_text("Date,Adj Close\n2024-01-02,abc\n")
    out = tmp_path / "snap.parquet"
    command = [sys.executable, "-m", "infrabt.data.snapshot", str(folder), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "NVDA.csv" in lines[0] and "'abc', not a number" in lines[0]
    assert "cache" not in lines[0]
    assert not out.exists()
