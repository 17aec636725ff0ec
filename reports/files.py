"""Writing report files atomically: a reader (or a crashed run) never sees half a file."""

import os
import tempfile
from pathlib import Path

import pandas as pd

from engine.errors import ConfigError


def prepare_dir(path: "str | Path") -> Path:
    """Create the output folder and prove it is writable now, before minutes of work go into it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write the report to {path}: {exc.strerror or exc}; choose a writable folder with --out"
        ) from None
    return path


def temp_path(path: Path) -> Path:
    """A fresh temporary file beside ``path`` (same filesystem, so os.replace is atomic)."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    return Path(name)


def replace_into(temp: Path, path: Path) -> None:
    """Move a finished temporary file into place, world-readable like a normally written file."""
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    temp = temp_path(path)
    try:
        temp.write_text(text, encoding="utf-8")
        replace_into(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def write_csv(path: Path, frame: pd.DataFrame, *, index: bool = True) -> Path:
    """Write a DataFrame as CSV atomically (ISO dates, full float precision)."""
    return write_text(path, frame.to_csv(index=index, date_format="%Y-%m-%d"))
