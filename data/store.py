"""The local price cache: one Parquet file per ticker, its metadata inside the same file.

Keeping data and metadata in one file means one atomic ``os.replace`` updates both: a reader sees the old file
or the new one, never a mix, and a process killed mid-write leaves the previous file readable (plus a hidden
temp file, which is ignored).

A file edited outside infrabt must not turn into wrong results, so every read is checked, once per version of
the file (inode, mtime, size): the same checks as a write, the metadata's shape, the symbol it was written
for (a symlink to another ticker's file), its row count and dates, and a checksum of the dates and adjusted
closes (a price scaled by 100, an index reset to 1970).
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from infrabt.data.errors import CacheCorruptError, DataError
from infrabt.data.files import atomic_path
from infrabt.data.locks import cache_lock
from infrabt.data.paths import data_dir
from infrabt.data.universe import SYMBOL
from infrabt.data.validation import COLUMNS, check_frame, suspicious_moves

MARKET = "SPY"
"""The market a stock's deep one-day drop is compared with (a drop on a crash day is not suspicious)."""

_METADATA_KEY = b"infrabt"
_META_TYPES = {"source": str, "fetched_at": str, "first": str, "last": str, "rows": int, "warnings": list}
"""Keys every cache file's metadata has; ``symbol`` and ``checksum`` are added by infrabt >= 0.2."""
_verified: dict[Path, tuple[tuple[int, int, int], frozenset[str]]] = {}
"""file -> (inode, mtime_ns, size) of the version that passed the checks, and the columns checked: each
version is checked once per column (a read of Adj Close alone does not vouch for the other columns)."""


def rebuild_hint(symbol: str) -> str:
    """The commands that rebuild one ticker's cache file, online or offline."""
    return f"`infrabt data update {symbol}` (online) or `infrabt data import <folder with {symbol}.csv>`"


def write_order(symbols) -> list[str]:
    """Write the market first, so every other ticker's drops are judged against it."""
    return sorted(symbols, key=lambda s: s != MARKET)


class PriceStore:
    """Daily prices per ticker in ``root/prices/<SYMBOL>.parquet`` (root: ``INFRABT_DATA_DIR``/data/cache)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else data_dir()
        self.prices_dir = self.root / "prices"
        self._market_cache: tuple[tuple, pd.Series] | None = None  # (file identity, closes)

    def __repr__(self) -> str:
        return f"PriceStore({str(self.root)!r})"

    def path(self, symbol: str) -> Path:
        if not SYMBOL.match(symbol):
            raise DataError(f"{symbol!r} is not a ticker symbol; use letters, digits and . - ^ = _")
        return self.prices_dir / f"{symbol}.parquet"

    def tickers(self) -> list[str]:
        """Cached tickers, sorted (hidden temp files of interrupted writes are not tickers)."""
        if not self.prices_dir.is_dir():
            return []
        return sorted(p.stem for p in self.prices_dir.glob("*.parquet") if not p.name.startswith("."))

    def has(self, symbol: str) -> bool:
        return self.path(symbol).is_file()

    def read(self, symbol: str, columns: Sequence[str] = COLUMNS) -> pd.DataFrame:
        """The cached frame (``columns`` of Open, High, Low, Close, Adj Close, Volume; float), index Date.

        Checked on the first read of each version of the file; ``CacheCorruptError`` names the repair."""
        path = self._existing(symbol)
        try:
            version = _version(path)
            with pq.ParquetFile(path) as parquet:  # lighter than read_table's dataset machinery
                table = parquet.read(columns=[*columns, "Date"])
            meta = _parse_metadata(table.schema.metadata)
            # numbers straight from the columns: pandas' metadata round trip (to_pandas) cost twice the read
            dates = pd.DatetimeIndex(table.column("Date").to_pandas(), name="Date").as_unit("ns")
            frame = pd.DataFrame({c: table.column(c).to_numpy() for c in columns}, index=dates)
        except (OSError, pa.ArrowException, ValueError, TypeError, KeyError) as exc:
            raise self._corrupt(symbol, path, exc) from None
        seen_version, seen_columns = _verified.get(path, (None, frozenset()))
        if seen_version != version or not set(frame.columns) <= seen_columns:
            try:
                _verify(symbol, frame, meta)
            except DataError as exc:
                raise CacheCorruptError(
                    f"cache file {path} is invalid ({exc}); rebuild it with {rebuild_hint(symbol)}"
                ) from None
            earlier = seen_columns if seen_version == version else frozenset()
            _verified[path] = (version, earlier | set(frame.columns))
        return frame

    def try_read(
        self, symbol: str, columns: Sequence[str] = COLUMNS
    ) -> tuple[pd.DataFrame | None, str | None]:
        """``read``, for a writer about to replace the file: (frame, None); (None, None) if not cached;
        (None, why) if the file is unreadable (the writer rebuilds it)."""
        if not self.has(symbol):
            return None, None
        try:
            return self.read(symbol, columns), None
        except DataError as exc:
            return None, str(exc)

    def metadata(self, symbol: str) -> dict:
        """``{source, fetched_at, first, last, rows, warnings, symbol, checksum}`` written with the prices."""
        path = self._existing(symbol)
        try:
            return _parse_metadata(pq.read_schema(path).metadata)
        except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
            raise self._corrupt(symbol, path, exc) from None

    def write(
        self,
        symbol: str,
        frame: pd.DataFrame,
        source: str,
        *,
        notes: list[str] | tuple[str, ...] = (),
        market: pd.Series | None = None,
    ) -> dict:
        """Validate ``frame`` and replace the ticker's file atomically; returns the metadata written.

        ``notes`` are extra warnings from the source (e.g. "Close used as adjusted close"). ``market``
        defaults to the cached SPY adjusted closes, used to tell a crash-day drop from a data error.
        """
        path = self.path(symbol)
        frame = _normalize(symbol, frame)
        check_frame(symbol, frame)
        if market is None and symbol != MARKET:
            market = self._market()
        meta = {
            "symbol": symbol,
            "checksum": checksum(frame),
            "source": source,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "first": str(frame.index[0].date()),
            "last": str(frame.index[-1].date()),
            "rows": len(frame),
            "warnings": [*notes, *suspicious_moves(frame["Adj Close"], market)],
        }
        table = pa.Table.from_pandas(frame, preserve_index=True)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _METADATA_KEY: json.dumps(meta).encode()}
        )
        try:
            self.prices_dir.mkdir(parents=True, exist_ok=True)
            with cache_lock(self.root):
                _atomic_write(table, path)
        except OSError as exc:
            raise DataError(
                f"cannot write {path} ({exc.strerror or exc}); make the cache writable or point "
                f"INFRABT_DATA_DIR elsewhere"
            ) from None
        return meta

    def _existing(self, symbol: str) -> Path:
        path = self.path(symbol)
        if not path.is_file():
            raise DataError(f"no cached prices for {symbol} in {self.prices_dir}: run {rebuild_hint(symbol)}")
        return path

    def _corrupt(self, symbol: str, path: Path, exc: Exception) -> CacheCorruptError:
        return CacheCorruptError(
            f"cache file {path} is corrupt ({type(exc).__name__}: {exc}); "
            f"rebuild it with {rebuild_hint(symbol)}"
        )

    def _market(self) -> pd.Series | None:
        """The market's adjusted closes if cached and readable; otherwise drops are judged without it.

        Read once per version of the file, not once per ticker written."""
        try:
            stamp = _version(self.path(MARKET))
        except OSError:
            return None
        if self._market_cache is None or self._market_cache[0] != stamp:
            try:
                self._market_cache = (stamp, self.read(MARKET)["Adj Close"])
            except DataError:
                return None
        return self._market_cache[1]


def checksum(frame: pd.DataFrame) -> str:
    """A hash of the dates and adjusted closes: the numbers a backtest uses."""
    digest = hashlib.sha256(frame.index.as_unit("ns").asi8.tobytes())
    digest.update(frame["Adj Close"].to_numpy(dtype="float64").tobytes())
    return digest.hexdigest()[:32]


def _version(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns, info.st_size  # an atomic rewrite is a new inode


def _parse_metadata(schema_metadata: dict | None) -> dict:
    """The JSON infrabt wrote, with its keys and types checked (``ValueError`` otherwise)."""
    raw = (schema_metadata or {}).get(_METADATA_KEY)
    if raw is None:
        raise ValueError("no infrabt metadata in the file")
    meta = json.loads(raw)
    if not isinstance(meta, dict):
        raise ValueError(f"the metadata is a {type(meta).__name__}, not a table")
    for key, kind in _META_TYPES.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise ValueError(f"the metadata's {key!r} is {meta.get(key)!r}, not a {kind.__name__}")
    if not all(isinstance(w, str) for w in meta["warnings"]):
        raise ValueError("the metadata's 'warnings' are not all text")
    return meta


def _verify(symbol: str, frame: pd.DataFrame, meta: dict) -> None:
    """The write's checks again, and agreement with the metadata written beside the prices.

    The adjusted closes alone, with the checksum written beside them, need no second pass of the write's
    checks: the same dates and numbers passed them when they were written (a backtest's read, 33 files:
    0.05 s less)."""
    for column in frame.columns:
        if not pd.api.types.is_float_dtype(frame[column]):
            raise DataError(f"{column} holds {frame[column].dtype} values, not numbers")
    written = meta.get("checksum")
    matches = "Adj Close" not in frame or written is None or written == checksum(frame)
    # what the checksum covers: the dates' instants (not their time zone) and the adjusted closes
    vouched = written is not None and matches and list(frame.columns) == ["Adj Close"]
    if not (vouched and len(frame) and frame.index.tz is None):
        check_frame(symbol, frame)
    if meta.get("symbol", symbol) != symbol:
        raise DataError(f"the file holds {meta['symbol']}'s prices, not {symbol}'s (a copy or a symlink?)")
    shape = (len(frame), str(frame.index[0].date()), str(frame.index[-1].date()))
    if shape != (meta["rows"], meta["first"], meta["last"]):
        raise DataError(
            f"{shape[0]} rows {shape[1]} .. {shape[2]}, but {meta['rows']} rows {meta['first']} .. "
            f"{meta['last']} were written (edited outside infrabt?)"
        )
    if not matches:
        raise DataError("its prices do not match the checksum written with them (edited outside infrabt?)")


def _normalize(symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The cached shape: exactly ``COLUMNS`` as float64 (missing ones NaN), a tz-naive ns index named Date."""
    out = pd.DataFrame(index=frame.index)
    for column in COLUMNS:
        try:
            out[column] = pd.to_numeric(frame[column]) if column in frame else float("nan")
        except (ValueError, TypeError) as exc:
            raise DataError(f"{symbol}: {column} holds something that is not a number ({exc})") from None
    out = out.astype("float64")
    if isinstance(out.index, pd.DatetimeIndex):
        out.index = out.index.as_unit("ns").rename("Date")
    return out


def _atomic_write(table: pa.Table, path: Path) -> None:
    """Data and metadata travel in one file, so one atomic replace updates both."""
    with atomic_path(path) as temp:
        pq.write_table(table, temp)
