"""Locks: one writer at a time on the cache (a second waits, saying for whom), one run per --out folder (a
second fails at once naming the first), and a killed run's temp files cleared by the next one."""

import os
from pathlib import Path

import pytest

from infrabt.data.locks import LockedError, folder_lock, remove_leftovers
from tests.faults import start_python, wait_for

HOLD = """
import sys, time
from pathlib import Path
from infrabt.data.locks import {lock}
with {lock}(sys.argv[1]{args}):
    Path(sys.argv[2]).write_text("held")
    time.sleep(float(sys.argv[3]))
    with open(sys.argv[4], "a") as log:
        log.write("holder released\\n")
"""


def hold(lock: str, folder, marker, seconds: float, log, args: str = ""):
    holder = start_python(HOLD.format(lock=lock, args=args), str(folder), str(marker), str(seconds), str(log))
    assert wait_for(marker.exists), holder.communicate()
    return holder


def test_a_second_cache_writer_waits_for_the_first(tmp_store, make_prices, tmp_path):
    log = tmp_path / "events"
    holder = hold("cache_lock", tmp_store.root, tmp_path / "held", 2.0, log)
    writer = start_python(
        """
        import sys
        import pandas as pd
        from infrabt.data.store import PriceStore
        frame = pd.DataFrame({"Adj Close": [1.0, 2.0]}, index=pd.date_range("2024-01-02", periods=2))
        PriceStore(sys.argv[1]).write("SPY", frame, "second writer")
        with open(sys.argv[2], "a") as log:
            log.write("writer wrote\\n")
        """,
        str(tmp_store.root),
        str(log),
    )
    _, err = writer.communicate(timeout=120)
    holder.wait(timeout=60)
    assert writer.returncode == 0, err
    assert f"waiting for infrabt process {holder.pid}" in err and "which is writing the price cache" in err
    assert log.read_text().splitlines() == ["holder released", "writer wrote"]
    assert tmp_store.metadata("SPY")["source"] == "second writer"


def test_a_writer_waiting_for_a_reader_says_it_is_reading(tmp_store, make_prices, tmp_path):
    """Readers hold the lock too (a panel is one version of the cache): the wait names what the holder does,
    not "writing" for a run that only reads."""
    holder = hold("cache_lock", tmp_store.root, tmp_path / "held", 1.0, tmp_path / "log", ', doing="reading"')
    writer = start_python(
        """
        import sys
        import pandas as pd
        from infrabt.data.store import PriceStore
        frame = pd.DataFrame({"Adj Close": [1.0, 2.0]}, index=pd.date_range("2024-01-02", periods=2))
        PriceStore(sys.argv[1]).write("SPY", frame, "writer")
        """,
        str(tmp_store.root),
    )
    _, err = writer.communicate(timeout=120)
    holder.wait(timeout=60)
    assert writer.returncode == 0, err
    assert f"waiting for infrabt process {holder.pid}" in err and "which is reading the price cache" in err


def test_a_reader_waits_for_a_whole_import(tmp_store, tmp_path):
    """A panel is read from one version of the cache: never 16 new and 24 old tickers."""
    from infrabt.data.csv_import import import_csv
    from infrabt.data.prices import load_prices

    old, new = tmp_path / "old", tmp_path / "new"
    for folder, price in ((old, 10), (new, 20)):
        folder.mkdir()
        for symbol in ("SPY", "QQQ", "TLT"):
            (folder / f"{symbol}.csv").write_text(f"Date,Adj Close\n2024-01-02,{price}\n2024-01-03,{price}\n")
    import_csv([old], tmp_store)
    importer = start_python(
        """
        import sys, time
        import infrabt.data.store
        from infrabt.data.csv_import import import_csv
        from infrabt.data.store import PriceStore
        real = infrabt.data.store.PriceStore.write
        def slow(self, *args, **kwargs):
            out = real(self, *args, **kwargs)
            open(sys.argv[3], "w").close()
            time.sleep(0.5)
            return out
        infrabt.data.store.PriceStore.write = slow
        import_csv([sys.argv[1]], PriceStore(sys.argv[2]))
        """,
        str(new),
        str(tmp_store.root),
        str(tmp_path / "first-written"),
    )
    assert wait_for((tmp_path / "first-written").exists), importer.communicate()
    panel = load_prices(["SPY", "QQQ", "TLT"], store=tmp_store, offline=True)
    importer.communicate(timeout=60)
    assert panel.iloc[-1].tolist() == [20.0, 20.0, 20.0]


def test_a_second_run_into_the_same_folder_fails_naming_the_first(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = hold("folder_lock", out, tmp_path / "held", 30.0, tmp_path / "log")
    try:
        expected = rf"{out} is in use by infrabt process {holder.pid}"
        with pytest.raises(LockedError, match=expected), folder_lock(out):
            pass
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(out):  # a killed holder's lock is free again (the OS drops it with the process)
        pass


def test_temp_files_of_a_killed_run_are_removed_by_the_next(tmp_path):
    out = tmp_path / "out"
    (out / "tearsheets").mkdir(parents=True)
    (out / ".sweep-parts" / "abc").mkdir(parents=True)
    leftovers = [
        out / ".returns.csv.x1y2.tmp",
        out / "tearsheets" / ".spy.html.k3j4.tmp",
        out / ".sweep-parts" / "abc" / ".part-000000000-000000050.parquet.q9.tmp",
    ]
    kept = [out / "returns.csv", out / "notes.tmp", out / "mine" / ".draft.tmp"]
    for path in leftovers + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    with folder_lock(out, replaces=("index.html",)):
        assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in kept), "only infrabt's own temp files, only where it writes"
    assert remove_leftovers(out) == []


def test_an_old_page_never_sits_beside_new_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("the previous run's page")
    with folder_lock(out, replaces=("index.html",)):
        assert not (out / "index.html").exists()


def test_a_read_only_cache_is_read_without_a_lock(tmp_store, make_prices, monkeypatch):
    """os.access is patched, so the path is taken even as root (CI), where chmod makes nothing read-only."""
    import infrabt.data.locks
    from infrabt.data.prices import load_prices

    tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")
    lock = tmp_store.root / ".infrabt-cache.lock"
    lock.unlink()
    real_access = os.access
    monkeypatch.setattr(
        infrabt.data.locks.os,
        "access",
        lambda path, mode: (
            False if Path(path) == tmp_store.root and mode == os.W_OK else real_access(path, mode)
        ),
    )
    assert load_prices(["SPY"], store=tmp_store, offline=True)["SPY"].tolist() == [1.0, 2.0]
    assert not lock.exists()  # no lock file was created in the read-only folder


def test_a_bad_lock_wait_setting_is_one_error(tmp_store, make_prices, monkeypatch):
    from infrabt.data.errors import ConfigError

    monkeypatch.setenv("INFRABT_LOCK_WAIT", "soon")
    with pytest.raises(ConfigError, match="INFRABT_LOCK_WAIT='soon' is not a number of seconds"):
        tmp_store.write("SPY", make_prices([1.0, 2.0]), "test")


def test_the_python_api_locks_its_output_folder_too(tmp_path, monkeypatch):
    """write_report, like the CLI, holds the folder's lock while it writes: another process cannot take it."""
    import infrabt.reports.report
    from tests.reports.test_reports import make_result

    exit_codes = []

    def build_page_while_another_process_tries(*args, **kwargs):
        other = start_python(
            f"from infrabt.data.locks import folder_lock\nwith folder_lock({str(tmp_path)!r}): pass"
        )
        exit_codes.append(other.wait(timeout=60))
        raise RuntimeError("stop here")

    monkeypatch.setattr(infrabt.reports.report, "build_page", build_page_while_another_process_tries)
    with pytest.raises(RuntimeError, match="stop here"):
        infrabt.reports.report.write_report(make_result(), tmp_path, tearsheets=False, progress=False)
    assert exit_codes and exit_codes[0] != 0  # LockedError in the other process
    with folder_lock(tmp_path):  # free again once the run has ended
        pass


def test_the_wait_names_the_holders_whole_command_and_a_short_wait_as_given(tmp_path, monkeypatch):
    """The owner file kept argv[:3] ("…/infrabt run --out" for `infrabt run --out same spy`), and a 0.4 s
    INFRABT_LOCK_WAIT was reported as "after 0 s"."""
    import sys

    from filelock import FileLock

    from infrabt.data import locks

    monkeypatch.setattr(sys, "argv", ["/venv/bin/infrabt", "run", "--out", "same", "spy"])
    owner = tmp_path / "x.lock.owner"
    locks._write_owner(owner, "using")
    assert locks._holder(owner) == (f"infrabt process {os.getpid()} (infrabt run --out same spy)", "using")
    held = FileLock(tmp_path / "x.lock")
    held.acquire()
    try:
        with pytest.raises(LockedError, match=r"still in use by .* after 0\.4 s"):
            locks._wait(FileLock(tmp_path / "x.lock"), owner, 0.4, "the price cache")
    finally:
        held.release()
