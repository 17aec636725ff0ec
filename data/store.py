"""The local price cache: one Parquet file per ticker, its metadata inside the same file.

Keeping data and metadata in one file means one atomic ``os.replace`` updates both: a reader sees the old file
or the new one, never a mix, and a process killed mid-write leaves the previous file readable (plus a hidden
temp file, which is ignored).
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from infrabt.data.errors import CacheCorruptError, DataError
from infrabt.data.files import atomic_path
from infrabt.data.paths import data_dir
from infrabt.data.universe import SYMBOL
from infrabt.data.validation import COLUMNS, check_frame, suspicious_moves

MARKET = "SPY"
"""The market a stock's deep one-day drop is compared with (a drop on a crash day is not suspicious)."""

_METADATA_KEY = b"infrabt"


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

    def read(self, symbol: str) -> pd.DataFrame:
        """The cached frame: columns Open, High, Low, Close, Adj Close, Volume (float), index Date."""
        path = self._existing(symbol)
        try:
            frame = pq.read_table(path).to_pandas()
            frame.index = pd.DatetimeIndex(frame.index, name="Date").as_unit("ns")
            if "Adj Close" not in frame.columns:
                raise ValueError("no 'Adj Close' column")
        except (OSError, pa.ArrowException, ValueError, TypeError) as exc:
            raise self._corrupt(symbol, path, exc) from None
        return frame

    def metadata(self, symbol: str) -> dict:
        """``{source, fetched_at, first, last, rows, warnings}`` written with the prices."""
        path = self._existing(symbol)
        try:
            raw = (pq.read_schema(path).metadata or {})[_METADATA_KEY]
            return json.loads(raw)
        except (OSError, pa.ArrowException, ValueError, KeyError) as exc:
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
            info = self.path(MARKET).stat()
            stamp = (info.st_ino, info.st_mtime_ns)  # an atomic rewrite is a new inode
        except OSError:
            return None
        if self._market_cache is None or self._market_cache[0] != stamp:
            try:
                self._market_cache = (stamp, self.read(MARKET)["Adj Close"])
            except DataError:
                return None
        return self._market_cache[1]


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
