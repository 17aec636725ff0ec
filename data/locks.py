"""Advisory file locks (``filelock``): one writer at a time on the price cache, one run at a time per --out.

Without them a run during an import read 16 new and 24 old tickers, and two runs into one folder mixed their
files. The cache lock is held by every writer for its whole batch and by readers while they read a panel,
so a reader sees one version of the cache; a second writer waits, saying who holds it. An output folder's
lock is held for a whole run or sweep; a second run into the same folder fails at once naming the holder.
Whoever takes a folder's lock removes the temp files a killed run left there.
"""

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from infrabt.data.errors import ConfigError, DataError, InfrabtError

CACHE_LOCK = ".infrabt-cache.lock"
FOLDER_LOCK = ".infrabt-run.lock"
WAIT_SECONDS = 600.0
"""How long a cache writer waits for another before giving up (``INFRABT_LOCK_WAIT`` overrides, seconds)."""
LEFTOVERS = (".*.tmp", ".write-test-*")
"""Temp files a killed writer leaves: infrabt.data.files' ``.name.*.tmp`` (sweep parts too) and the probe
of ``prepare_dir``."""
WRITTEN_FOLDERS = (".", "tearsheets", ".sweep-parts/*")
"""Where in an output folder infrabt writes; only these are cleaned, never the user's other folders."""

_locks: dict[Path, FileLock] = {}


class LockedError(InfrabtError):
    """Another infrabt process holds the lock."""


@contextmanager
def cache_lock(root: "str | Path", doing: str = "writing") -> Iterator[None]:
    """Hold the price cache's lock (re-entrant in this process); wait for another holder, saying who it is
    and what it is ``doing`` (a reader holds it too, for a moment: one version of the cache per panel)."""
    root = Path(root)
    with suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
    if root.exists() and not root.is_dir():  # the lock file cannot go inside it: filelock's traceback
        raise DataError(f"cannot write {root}: it is a file, not a folder; point INFRABT_DATA_DIR elsewhere")
    if not os.access(root, os.W_OK):
        yield  # a read-only cache has no writer to wait for (and a write will say it cannot write)
        return
    with _held(root / CACHE_LOCK, wait=_wait_seconds(), what=f"the price cache {root}", doing=doing):
        yield


@contextmanager
def folder_lock(folder: "str | Path", replaces: tuple[str, ...] = ()) -> Iterator[None]:
    """Hold ``folder``'s lock for a whole run; fail at once if another run holds it. Clears temp leftovers,
    and the files in ``replaces`` (the pages a run writes last, so none outlives the files it describes)."""
    folder = Path(folder)
    with _held(folder / FOLDER_LOCK, wait=0, what=f"the output folder {folder}"):
        remove_leftovers(folder)
        for name in replaces:
            (folder / name).unlink(missing_ok=True)
        yield


def _wait_seconds() -> float:
    text = os.environ.get("INFRABT_LOCK_WAIT", "").strip()
    try:
        return float(text) if text else WAIT_SECONDS
    except ValueError:
        raise ConfigError(f"INFRABT_LOCK_WAIT={text!r} is not a number of seconds; e.g. 600") from None


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete temp files a killed writer left in ``folder`` (safe: the caller holds the folder's lock)."""
    removed = []
    for written in WRITTEN_FOLDERS:
        for where in folder.glob(written) if written != "." else [folder]:
            for pattern in LEFTOVERS:
                for path in where.glob(pattern):
                    if path.is_file():
                        path.unlink(missing_ok=True)
                        removed.append(path)
    return removed


@contextmanager
def _held(path: Path, wait: float, what: str, doing: str = "using") -> Iterator[None]:
    path = path.resolve()
    lock = _locks.setdefault(path, FileLock(path, thread_local=False))
    owner = path.with_name(path.name + ".owner")
    if not lock.is_locked:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            _wait(lock, owner, wait, what)
        _write_owner(owner, doing)
    else:
        lock.acquire()  # re-entrant: this process holds it already
    try:
        yield
    finally:
        lock.release()


def _wait(lock: FileLock, owner: Path, wait: float, what: str) -> None:
    holder, doing = _holder(owner)
    if wait <= 0:
        raise LockedError(
            f"{what} is in use by {holder}; wait for it to finish, or choose another folder with --out"
        ) from None
    print(f"waiting for {holder}, which is {doing} {what} ...", file=sys.stderr, flush=True)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise LockedError(
            f"{what} is still in use by {holder} after {wait:g} s; retry when it is done"
        ) from None


def _write_owner(owner: Path, doing: str) -> None:
    """Who holds the lock and why, for the message another process shows (best effort: the lock works
    without it)."""
    # the whole command (its first three words said "run --out" for `infrabt run --out same`), within reason
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    info = {"pid": os.getpid(), "command": command[:160], "since": time.time(), "doing": doing}
    with suppress(OSError):
        owner.write_text(json.dumps(info))


def _holder(owner: Path) -> tuple[str, str]:
    """Who holds a lock, and what it is doing ("using" when the owner file does not say)."""
    try:
        info = json.loads(owner.read_text())
        doing = info.get("doing")
        holder = f"infrabt process {info['pid']} ({info['command']})"
        return holder, doing if isinstance(doing, str) else "using"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "another infrabt process", "using"
