"""The bundled price snapshot: the whole shipped universe's daily prices, inside the package.

Why: a first run must not depend on Yahoo (unreachable offline, rate-limited online). An empty cache is
seeded from the snapshot, ticker by ticker, through the store's own validation; online, the incremental
update then fetches only the days after it.

The snapshot is one Parquet file in long form (Date, Ticker, the six price columns), zstd-compressed, with
its provenance (built when, from what, per-ticker source and notes) in the file's metadata. It is built by
``python -m infrabt.data.snapshot SOURCE_DIR`` from yfinance-style CSVs through ``infrabt data import``'s
own parser and checks, so it holds exactly what an import would cache.
"""

import json
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from infrabt.data.errors import DataError, InfrabtError
from infrabt.data.files import atomic_path
from infrabt.data.paths import SNAPSHOT_FILE
from infrabt.data.store import PriceStore, write_order
from infrabt.data.validation import COLUMNS

_METADATA_KEY = b"infrabt-snapshot"
_MOVE_WARNING = re.compile(r"^\d{4}-\d{2}-\d{2}: ")
"""A suspicious one-day move flagged by validation: recomputed when the snapshot is seeded, not stored."""


def snapshot_file() -> Path | None:
    """The snapshot in force: ``INFRABT_SNAPSHOT`` (a file, or ``off`` for none), else the bundled one."""
    chosen = os.environ.get("INFRABT_SNAPSHOT", "").strip()
    if chosen.lower() in {"off", "0", "none", "no"}:
        return None
    return Path(chosen) if chosen else SNAPSHOT_FILE


def snapshot_tickers() -> list[str]:
    """The tickers the snapshot holds (empty when there is none)."""
    return sorted(_load()[1]) if snapshot_file() else []


def snapshot_end() -> pd.Timestamp | None:
    """The newest day in the snapshot."""
    if not snapshot_file():
        return None
    frame, _ = _load()
    return frame.index.get_level_values("Date").max()


def seed(symbols, store: PriceStore) -> list[str]:
    """Copy the snapshot's prices of ``symbols`` that ``store`` lacks into it; returns the tickers seeded.

    Each one goes through ``PriceStore.write`` (validation, atomic write), like any other source.
    """
    if not snapshot_file():
        return []
    wanted = [s for s in symbols if not store.has(s)]
    if not wanted:
        return []
    frame, meta = _load()
    available = [s for s in wanted if s in meta]
    for symbol in write_order(available):
        prices = frame.xs(symbol, level="Ticker")
        info = meta[symbol]
        store.write(symbol, prices, f"snapshot:{info['built']}", notes=info["notes"])
    return available


_CACHE: dict[tuple, tuple[pd.DataFrame, dict]] = {}


def _load() -> tuple[pd.DataFrame, dict[str, dict]]:
    """The snapshot as a (Date, Ticker)-indexed frame, and its per-ticker provenance; read once per file."""
    path = snapshot_file()
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in _CACHE:
            table = pq.read_table(path)
            meta = json.loads((table.schema.metadata or {})[_METADATA_KEY])["tickers"]
            frame = table.to_pandas()
            frame["Date"] = pd.DatetimeIndex(frame["Date"]).as_unit("ns")
            frame = frame.set_index(["Date", "Ticker"]).sort_index()
            _CACHE.clear()
            _CACHE[key] = (frame, meta)
        return _CACHE[key]
    except (OSError, pa.ArrowException, KeyError, ValueError, TypeError) as exc:
        fix = (  # the user's own file is theirs to fix: reinstalling infrabt would not touch it
            "point INFRABT_SNAPSHOT at a file built with `python -m infrabt.data.snapshot`, or set it to off"
            if path != SNAPSHOT_FILE
            else "reinstall infrabt, or set INFRABT_SNAPSHOT=off"
        )
        raise DataError(
            f"the price snapshot {path} is unreadable ({type(exc).__name__}: {exc}); nothing was written. "
            f"{fix[0].upper()}{fix[1:]}; or fill the cache with `infrabt data update` or "
            f"`infrabt data import <folder>`"
        ) from None


def build(source_dir: str | Path, out: str | Path = SNAPSHOT_FILE) -> Path:
    """Read and check every CSV of ``source_dir`` as ``infrabt data import`` does, write them into a scratch
    cache, then pack it into one compressed Parquet file at ``out`` (atomically)."""
    from infrabt.data.csv_import import read_csvs, write_csvs

    built = datetime.now(UTC).date().isoformat()
    parsed = read_csvs([source_dir])
    with tempfile.TemporaryDirectory() as scratch:
        store = PriceStore(scratch)
        written = write_csvs(parsed, store)
        frames, meta = [], {}
        for symbol in sorted(written):
            prices = store.read(symbol)[list(COLUMNS)]
            frames.append(prices.assign(Ticker=symbol).reset_index())
            info = store.metadata(symbol)
            meta[symbol] = {"built": built, "source": Path(info["source"]).name, "notes": _notes(info)}
    long = pd.concat(frames, ignore_index=True)[["Date", "Ticker", *COLUMNS]]
    long["Date"] = long["Date"].dt.date
    long["Ticker"] = long["Ticker"].astype("category")
    table = pa.Table.from_pandas(long, preserve_index=False)
    provenance = {"built": built, "from": str(Path(source_dir).name), "tickers": meta}
    table = table.replace_schema_metadata({_METADATA_KEY: json.dumps(provenance).encode()})
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as temp:
            pq.write_table(table, temp, compression="zstd", compression_level=19, use_dictionary=["Ticker"])
    except OSError as exc:
        raise DataError(f"cannot write {out} ({exc.strerror or exc}); give a writable path for OUT") from None
    return out


def _notes(info: dict) -> list[str]:
    """The import's notes that describe the data (not the suspicious-move warnings, which are recomputed)."""
    return [w for w in info["warnings"] if not _MOVE_WARNING.match(w)]


def main(argv: list[str]) -> int:
    """``python -m infrabt.data.snapshot SOURCE_DIR [OUT]``: an error is one line and exit code 2, as in the
    ``infrabt`` command."""
    if len(argv) not in (1, 2):
        print("usage: python -m infrabt.data.snapshot SOURCE_DIR [OUT.parquet]", file=sys.stderr)
        return 2
    try:
        path = build(*argv)
    except InfrabtError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
