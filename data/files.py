"""Writing files atomically: a reader, or a run killed mid-write, never sees half a file.

One mechanism for every file infrabt writes (price cache, reports, sweep chunks): write a hidden
temporary file beside the target (same filesystem), then ``os.replace`` it over the target. Hidden names
(``.name.*.tmp``) keep a killed writer's leftovers out of every listing.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from infrabt.data.errors import ConfigError
from infrabt.data.processes import parent_alive


class OrphanedWorker(RuntimeError):
    """A worker outlived its parent: it must not write."""


@contextmanager
def atomic_path(path: "str | Path") -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on any error it is removed."""
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, 0o644)  # world-readable, like a normally written file (mkstemp makes it 0600)
        if not parent_alive():  # a worker whose run was killed: its output belongs to nobody now
            raise OrphanedWorker(f"not writing {path}: the process that asked for it is gone")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def safe_filename(name: str) -> str:
    """A file name for ``name`` that is safe anywhere and unique per name: letters, digits, ``_`` and ``-``
    stay; any other character becomes ``~`` and its six-digit code point (``é1`` -> ``~0000e91``), so two
    names never share a file (a plain ``_`` for each would give ``é1`` and ``ü1`` the same one)."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-") else f"~{ord(ch):06x}" for ch in name)


def write_text(path: "str | Path", text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(path)


def write_csv(path: "str | Path", frame: pd.DataFrame, *, index: bool = True) -> Path:
    """Write a DataFrame as CSV atomically (ISO dates, full float precision)."""
    return write_text(path, frame.to_csv(index=index, date_format="%Y-%m-%d"))


def write_parquet(path: "str | Path", frame: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet atomically."""
    with atomic_path(path) as temp:
        frame.to_parquet(temp)
    return Path(path)


def prepare_dir(path: "str | Path") -> Path:
    """Create an output folder and prove it is writable now, before minutes of work go into it.

    Never inside the installed package: a reinstall would delete it, and it could shadow package files."""
    from infrabt.data.paths import package_dirs

    path = Path(path)
    inside = path.resolve()
    for package in package_dirs():
        if inside == package or package in inside.parents:
            raise ConfigError(
                f"--out {path} is inside infrabt's own code ({package}); choose a folder of yours"
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write to {path}: {exc.strerror or exc}; choose a writable folder with --out"
        ) from None
    return path
