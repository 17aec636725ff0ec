"""Import yfinance-style CSV files (``Date,Open,High,Low,Close,Adj Close,Volume``) into the price cache.

This is the offline path: a folder of CSVs replaces the network. Only ``Date`` and one of ``Adj Close`` or
``Close`` are required; ``Adj Close`` is preferred because backtests need split- and dividend-adjusted prices.
The ticker is the file name (``BTC-USD.csv`` -> BTC-USD); any symbol may be imported (the universe is open).

All files are read and checked before any is written: one bad file aborts the import, the cache stays as it
was. Nothing cached is lost either: a file replaces its ticker's cached prices only if it covers every cached
day (a partial CSV would silently drop years of prices), unless the user asks for it (``replace=True``,
``--replace``). A file is never merged into the cache: two sources adjusted for dividends on different days
would be stitched with a jump.
"""

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from infrabt.data.errors import DataError, UnknownTickerError
from infrabt.data.locks import cache_lock
from infrabt.data.store import PriceStore, write_order
from infrabt.data.universe import SYMBOL
from infrabt.data.validation import (
    COLUMNS,
    FIRST_DAY,
    MAX_GAP,
    check_frame,
    last_valid_day,
    long_gaps,
    lost_days,
    span,
)

MAX_CSV_BYTES = 50 * 2**20
"""A daily price history since 1900 is ~5 MB of CSV: a file ten times that is not one (it once took 65 s and
1.8 GB to refuse a 200 MB file of duplicate dates), so its size is checked before it is read."""
HOLE_NOTE = "a hole in the prices"
"""How the note on a stretch of over ``MAX_GAP`` without prices starts. A CSV is the user's own record and a
long trading halt is real, so such a file is imported, not refused like Yahoo's answers, but the note is
shown by the import itself, not only by ``infrabt data check``."""
NOTHING_IMPORTED = "Nothing was imported: the cache is as it was"

Parsed = dict[str, tuple[pd.DataFrame, list[str], Path]]
"""ticker -> its checked prices, the notes for its metadata, and the file they came from."""


def csv_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (a folder means its ``*.csv``) into a list of CSV files, order kept."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir() and path.suffix.lower() != ".csv":
            found = sorted(path.glob("*.csv"))
            if not found:
                raise DataError(f"{path} holds no .csv files; give a folder of <TICKER>.csv files")
            files.extend(_regular_file(p) for p in found)
        else:
            files.append(_regular_file(path))
    return files


def _regular_file(path: Path) -> Path:
    """``path`` if it is a regular file of a plausible size; otherwise an error that says what it is."""
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a CSV file; rename it or give the CSV files inside it")
    if not path.exists():
        raise DataError(f"{path} does not exist; give a CSV file or a folder of them")
    if not path.is_file():
        raise DataError(f"{path} is not a regular file (a pipe or a device?); give a CSV file saved on disk")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DataError(
            f"{path} is {size / 2**20:.0f} MB, more than a daily price history can be "
            f"({MAX_CSV_BYTES / 2**20:.0f} MB); give one ticker's daily prices, one row per date"
        )
    return path


def symbol_of(path: Path) -> str:
    """The ticker a file holds: its name without .csv, upper-cased (``btc-usd.csv`` -> BTC-USD)."""
    return path.stem.upper()


def read_price_csv(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Parse one CSV into the cached shape plus notes for the metadata; ``DataError`` names the file."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read it as CSV ({exc}); give a yfinance-style CSV") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.columns[0] == "Price" and len(raw) > 1 and raw.iloc[0, 0] == "Ticker":
        raw = _flatten_download_header(path, raw)
    by_lower = {c.lower(): c for c in raw.columns}
    if "date" not in by_lower:
        raise DataError(
            f"{path}: no Date column (found: {', '.join(raw.columns)}); the header must start "
            f"Date,Open,High,Low,Close,Adj Close,Volume"
        )
    dates = _parse_dates(path, raw[by_lower["date"]])
    notes = []
    frame = pd.DataFrame(index=dates)
    for column in COLUMNS:
        if column.lower() in by_lower:
            frame[column] = _parse_numbers(path, column, raw[by_lower[column.lower()]], dates)
    if "Adj Close" not in frame:
        if "Close" not in frame:
            raise DataError(f"{path}: no Adj Close or Close column; give at least Date and Adj Close")
        frame["Adj Close"] = frame["Close"]
        notes.append(
            "no Adj Close column in the CSV: Close used as the adjusted close (splits may be unadjusted)"
        )
    frame = frame.sort_index()  # duplicate dates are refused by check_frame, like every other write
    missing = frame["Adj Close"].isna()
    if missing.all():
        raise DataError(f"{path}: every Adj Close value is empty; nothing to import")
    if missing.any():
        notes.append(
            f"{int(missing.sum())} rows without a price dropped (first {frame.index[missing][0].date()})"
        )
        frame = frame[~missing]
    holes = long_gaps(frame.index)
    if holes:  # one note, however many (a monthly series has a hole every month)
        more = f" and {len(holes) - 1} more of over {MAX_GAP.days} days" if len(holes) > 1 else ""
        notes.append(f"{HOLE_NOTE}: {holes[0]}{more}")
    return frame, notes


def import_csv(
    paths: Iterable[str | Path],
    store: PriceStore | None = None,
    *,
    on_file: Callable[[Path], None] | None = None,
    replace: bool = False,
) -> dict[str, dict]:
    """Import CSV files and folders into ``store``; returns ``{ticker: metadata}`` of what was written.

    Every file is parsed and validated first, and compared with the cache: a file that lacks cached days
    is refused (unless ``replace``). Only then are they written (market first), atomically.
    ``on_file`` is called after each file is parsed (the CLI advances a progress bar with it).
    """
    store = store or PriceStore()
    try:
        parsed = read_csvs(paths, on_file)
    except DataError as exc:  # a folder with one bad file among good ones: say that none was imported
        raise type(exc)(f"{exc}. {NOTHING_IMPORTED}") from None
    with cache_lock(store.root):  # a reader sees the cache before this import or after it, never between
        if not replace:
            _refuse_lost_days(parsed, store)
        return write_csvs(parsed, store)


def read_csvs(paths: Iterable[str | Path], on_file: Callable[[Path], None] | None = None) -> Parsed:
    """Read and check every file of ``paths`` (files and folders of CSVs); nothing is written."""
    parsed: Parsed = {}
    for path in csv_files(paths):
        symbol = symbol_of(path)
        if not SYMBOL.match(symbol):
            raise UnknownTickerError(
                f"{path}: {symbol!r} is not a ticker symbol (letters, digits and . - ^ = _); "
                f"rename the file to <TICKER>.csv"
            )
        if symbol in parsed:
            raise DataError(f"{path} and {parsed[symbol][2]} are both {symbol}; import one of them")
        frame, notes = read_price_csv(path)
        check_frame(f"{path} ({symbol})", frame)
        parsed[symbol] = (frame, notes, path)
        if on_file:
            on_file(path)
    return parsed


def write_csvs(parsed: Parsed, store: PriceStore) -> dict[str, dict]:
    """Write checked CSVs into ``store``, the market first; returns ``{ticker: metadata}``."""
    written = {}
    with cache_lock(store.root):
        for symbol in write_order(parsed):
            frame, notes, path = parsed[symbol]
            written[symbol] = store.write(symbol, frame, f"csv:{path.resolve()}", notes=notes)
    return written


def _refuse_lost_days(parsed: Parsed, store: PriceStore) -> None:
    """Raise ``DataError`` naming every file that would drop cached days, with both ranges."""
    losses = {}
    for symbol, (frame, _, path) in parsed.items():
        cached = _cached_days(store, symbol)
        lost = lost_days(cached, frame.index) if cached is not None else None
        if lost:
            losses[symbol] = (
                f"{path} {lost}: it holds {len(frame):,} rows ({span(frame.index)}), while the cache "
                f"holds {len(cached):,} rows of {symbol} ({span(cached)})"
            )
    if losses:
        first, *others = losses
        also = f"; the files of {' '.join(others)} would lose cached days too" if others else ""
        raise DataError(
            f"{losses[first]}{also}; give a CSV that covers every cached day, or pass --replace to drop "
            f"the days it lacks. {NOTHING_IMPORTED}"
        )


def _cached_days(store: PriceStore, symbol: str) -> pd.DatetimeIndex | None:
    """The days ``store`` holds for ``symbol``; None if none is readable (an import repairs a broken file)."""
    cached, _ = store.try_read(symbol, columns=("Adj Close",))
    return None if cached is None else cached.index


def _flatten_download_header(path: Path, raw: pd.DataFrame) -> pd.DataFrame:
    """``yf.download(...).to_csv()`` writes three header rows (Price, Ticker, Date): keep the Price names."""
    tickers = set(raw.iloc[0, 1:])
    if len(tickers) > 1:
        raise DataError(f"{path} holds several tickers ({', '.join(sorted(tickers))}); save one per file")
    body = raw.iloc[2:] if raw.iloc[1, 0] == "Date" else raw.iloc[1:]
    return body.rename(columns={"Price": "Date"}).reset_index(drop=True)


def _parse_dates(path: Path, values: pd.Series) -> pd.DatetimeIndex:
    """ISO dates; a time or offset after the date (``2020-01-02 00:00:00-05:00``) is ignored: local date."""
    text = values.str.strip().str.slice(0, 10)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{path}: cannot read the date {values.iloc[row]!r} on line {row + 2}; use YYYY-MM-DD dates"
        )
    outside = ((dates < FIRST_DAY) | (dates > last_valid_day())).to_numpy()
    if outside.any():  # before 1900 or after today: a typo, and 0001 or 9999 do not even fit the cache
        row = int(np.argmax(outside))
        raise DataError(
            f"{path}: the date {values.iloc[row]!r} on line {row + 2} is before {FIRST_DAY.year} or after "
            f"today; fix or delete that row"
        )
    return pd.DatetimeIndex(dates, name="Date").as_unit("ns")


def _parse_numbers(path: Path, column: str, values: pd.Series, dates: pd.DatetimeIndex) -> np.ndarray:
    """Numbers, with empty cells as NaN; any other text is an error naming the line."""
    text = values.str.strip()
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (numbers.isna() & (text != "")).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{path}: {column} on {dates[row].date()} (line {row + 2}) is {values.iloc[row]!r}, "
            f"not a number; "
            f"fix or delete that row"
        )
    return numbers.to_numpy(dtype="float64")
