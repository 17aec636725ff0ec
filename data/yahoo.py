"""Download daily prices from Yahoo Finance (yfinance 1.7) into the price cache, incrementally.

Why it looks the way it does:

- ``yf.download(..., auto_adjust=False)`` returns both the traded ``Close`` and the split- and
  dividend-adjusted ``Adj Close`` (with ``auto_adjust=True`` the raw close is lost), in columns ``(Price,
  Ticker)``.
- yfinance fails silently: a ticker it cannot fetch comes back as all-NaN columns (or the whole frame is
  empty) and the reason goes only to the ``yfinance`` logger. So every ticker is checked on its own and the
  logger's messages are captured to say why.
- Incremental: only days after the last cached one are fetched, plus a week before it as an overlap. Yahoo
  anchors the dividend adjustment at the fetch date, so if the overlap's adjusted closes moved (a dividend or
  split since the last fetch) the ticker's whole history is fetched again rather than stitched with a jump.
- Transient failures (timeouts, rate limits, 5xx) are retried with exponential backoff; no network at all is
  not retried: the cache is used instead, and the report says so.
"""

import logging
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infrabt.data.calendar import check_range, parse_date
from infrabt.data.errors import CacheCorruptError, ConfigError, DataError
from infrabt.data.locks import cache_lock
from infrabt.data.paths import offline_by_default
from infrabt.data.prices import closest_known
from infrabt.data.snapshot import seed
from infrabt.data.store import PriceStore, write_order
from infrabt.data.universe import has_weekend_rows, load_universe, resolve, ticker
from infrabt.data.validation import last_valid_day, lost_days, new_gap, span

DEFAULT_START = "2017-01-01"
"""First day fetched for a ticker not yet cached (the shared data starts here too)."""
BATCH_SIZE = 10
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 2.0
ADJUSTMENT_TOLERANCE = 1e-4
"""Relative change of an overlap day's adjusted close that means Yahoo re-adjusted the history."""
OVERLAP = pd.Timedelta(days=7)
"""How far before the last cached day an incremental fetch starts: enough to compare a few closes."""

_NO_NETWORK = ("could not resolve host", "dnserror", "network is unreachable", "curl: (6)", "curl: (7)")
_TRANSIENT = (
    *("timed out", "timeout", "too many requests", "rate limit", "connection"),
    *("curl: (28)", "curl: (35)", "curl: (52)", "curl: (56)", " 500", " 502", " 503", " 504"),
)

sleep = time.sleep
"""Backoff sleep (a module attribute so tests can replace it)."""


class NetworkError(DataError):
    """Yahoo Finance could not be reached at all."""


@dataclass
class UpdateReport:
    """What ``update`` did, per ticker; ``raise_for_failures`` turns failures into one clear error."""

    updated: dict[str, dict] = field(default_factory=dict)
    """ticker -> metadata written"""
    unchanged: list[str] = field(default_factory=list)
    """already up to date in the cache"""
    failed: dict[str, str] = field(default_factory=dict)
    """ticker -> why (yfinance's own words where it gave any); the ticker's cache file was left as it was"""
    fell_back: list[str] = field(default_factory=list)
    """no network: these keep their cached prices"""
    kept: dict[str, str] = field(default_factory=dict)
    """ticker -> why Yahoo's answer was not written: it would have lost cached rows (the cache was kept)"""
    seeded: dict[str, dict] = field(default_factory=dict)
    """ticker -> metadata written from the price snapshot (the cache lacked it)"""
    corrupt: dict[str, str] = field(default_factory=dict)
    """ticker -> why its cache file cannot be read: rebuilt from scratch if it is in ``updated``"""
    suggestions: str = ""
    """``; did you mean BTC-USD?`` for failed tickers that look like known ones"""
    network_error: str = ""
    offline: bool = False

    def raise_for_failures(self) -> None:
        broken = [s for s in self.corrupt if s not in self.updated]
        if broken:  # the message names the file and the commands that rebuild it
            also = f"; also corrupt: {' '.join(broken[1:])}" if len(broken) > 1 else ""
            raise CacheCorruptError(f"{self.corrupt[broken[0]]}{also}")
        if not self.failed:
            return
        by_reason: dict[str, list[str]] = {}
        for symbol, why in self.failed.items():
            by_reason.setdefault(why, []).append(symbol)
        reasons = "; ".join(f"{' '.join(symbols)}: {why}" for why, symbols in by_reason.items())
        symbols = " ".join(self.failed)
        hint = self.suggestions or "."  # "; did you mean BTC-USD?" ends a sentence too
        if self.offline:
            raise DataError(
                f"offline, and no cached prices for {symbols} (not in the cache or the price snapshot){hint} "
                f"Run `infrabt data update {symbols}` online (without --offline and INFRABT_OFFLINE), or "
                f"import CSVs with `infrabt data import <folder>`"
            )
        if self.network_error:
            raise NetworkError(
                f"no network ({self.network_error}) and no cached prices for {symbols}{hint} Connect and run "
                f"`infrabt data update {symbols}`, or import CSVs with `infrabt data import <folder>`"
            )
        if all(_is_transient(why) for why in self.failed.values()):  # not the symbol's fault: no hint
            hint, advice = ".", "Yahoo is limiting or timing out requests: wait a few minutes and retry"
        else:
            advice = "Check the symbol on finance.yahoo.com and retry"
        raise DataError(
            f"yfinance returned no usable prices for {reasons}{hint} {advice} "
            f"`infrabt data update {symbols}`, or import a CSV with `infrabt data import <file>`"
        )


def update(
    tickers: Iterable[str] | None = None,
    start=None,
    end=None,
    *,
    store: PriceStore | None = None,
    offline: bool | None = None,
    on_batch: Callable[[list[str]], None] | None = None,
    now: pd.Timestamp | None = None,
) -> UpdateReport:
    """Bring the cache up to date for ``tickers`` (default: the whole universe; group names allowed).

    ``start`` earlier than a ticker's cached first day refetches its whole history; ``end`` is inclusive.
    Tickers the cache lacks are seeded from the price snapshot first. Offline (``offline=True`` or
    ``INFRABT_OFFLINE=1``) nothing is downloaded: cached tickers are reported unchanged, corrupt ones as
    corrupt and missing ones as failed. ``on_batch`` is called with each batch's tickers when it is done
    (progress bars).
    """
    symbols = requested(tickers)
    _check_dates(start, end)
    store = store or PriceStore()
    offline = offline_by_default() if offline is None else offline
    report = UpdateReport(offline=offline)
    with cache_lock(store.root):  # the plan is made from the cache this update writes: no writer between
        # a fresh cache starts from the snapshot, as ``load_prices`` does: online, only later days are fetched
        report.seeded = {s: store.metadata(s) for s in seed(symbols, store)}
        if offline:
            for symbol in [s for s in symbols if s not in report.seeded]:
                if _cached(store, symbol, report) is not None:
                    report.unchanged.append(symbol)
                elif symbol not in report.corrupt:
                    report.failed[symbol] = "not cached, and offline mode never downloads"
        else:
            _update(symbols, start, end, store, report, on_batch, now)
    uncached = [s for s in report.failed if not store.has(s)]
    report.suggestions = closest_known(uncached, store) if uncached else ""
    return report


def _check_dates(start, end) -> None:
    """``--start`` and ``--end`` parsed and in order, and ``--start`` no later than today (no prices yet)."""
    today = last_valid_day()
    first = parse_date(start, "--start") if start is not None else None
    if first is not None and first > today:
        raise ConfigError(
            f"--start {first.date()} is in the future (today is {today.date()}): there are no prices yet; "
            f"give a --start up to today"
        )
    if start is not None or end is not None:
        check_range(start or DEFAULT_START, end or today)


def _update(symbols, start, end, store: PriceStore, report: UpdateReport, on_batch, now) -> None:
    plans = {symbol: _plan(store, symbol, start, report) for symbol in symbols}
    if end is not None:  # cached through ``end`` already: nothing to fetch
        done = [s for s, plan in plans.items() if plan.cached_through(pd.Timestamp(end))]
        report.unchanged.extend(done)
        plans = {s: plan for s, plan in plans.items() if s not in done}
    frames, refetched = _fetch(plans, end, store.root, report, on_batch)
    if report.network_error:
        for symbol in [s for s in report.failed if store.has(s) and s not in report.corrupt]:
            del report.failed[symbol]
            report.fell_back.append(symbol)
    for symbol in write_order(frames):
        whole = symbol in refetched or plans[symbol].whole_history
        _store_update(store, symbol, plans[symbol], frames[symbol], whole, report, now)


def requested(tickers: Iterable[str] | None) -> tuple[str, ...]:
    """The tickers an update covers: the named tickers and groups, or the whole universe."""
    return resolve(list(tickers)) if tickers else tuple(load_universe())


@dataclass
class _Plan:
    """Where to start fetching one ticker, and what is cached already."""

    start: pd.Timestamp
    cached: pd.DataFrame | None = None
    whole_history: bool = False
    """fetch from ``start`` before the cached first day: the answer replaces the cached file"""

    def cached_through(self, day: pd.Timestamp) -> bool:
        return self.cached is not None and self.cached.index[-1] >= day

    @property
    def first_day(self) -> pd.Timestamp:
        return self.cached.index[0] if self.cached is not None else self.start

    def merge(self, new: pd.DataFrame) -> pd.DataFrame:
        """Cached rows, then the new rows after the last cached day."""
        if self.cached is None:
            return new
        return pd.concat([self.cached, new[new.index > self.cached.index[-1]]])


def _fetch(
    plans: dict[str, "_Plan"],
    end,
    cache_root: Path,
    report: UpdateReport,
    on_batch: Callable[[list[str]], None] | None,
) -> tuple[dict[str, pd.DataFrame], set[str]]:
    """Download every planned ticker in batches; stop at the first batch that shows there is no network.

    Returns the frames, and the tickers fetched again from their first day because Yahoo re-adjusted them.
    """
    frames: dict[str, pd.DataFrame] = {}
    batches = _batches(plans)
    for index, (fetch_start, batch) in enumerate(batches):
        fetched, reasons = _download_with_retries(batch, fetch_start, end, cache_root)
        frames.update(fetched)
        report.failed.update(reasons)
        if on_batch:
            on_batch(batch)
        if reasons and not fetched and all(_is_no_network(why) for why in reasons.values()):
            report.network_error = next(iter(reasons.values()))
            for _, rest in batches[index + 1 :]:
                report.failed.update(dict.fromkeys(rest, report.network_error))
            break
    refetched = {s for s in frames if not plans[s].whole_history and _readjusted(plans[s], frames[s])}
    for symbol in refetched:
        del frames[symbol]
        fetched, reasons = _download_with_retries([symbol], plans[symbol].first_day, end, cache_root)
        frames.update(fetched)
        report.failed.update(reasons)
    return frames, refetched


def _store_update(
    store: PriceStore,
    symbol: str,
    plan: "_Plan",
    fetched: pd.DataFrame,
    whole_history: bool,
    report: UpdateReport,
    now: pd.Timestamp | None,
) -> None:
    """Write cached + new complete days (or the refetched whole history); a refused frame is a failure.

    A whole-history answer replaces the cache only if it covers every cached day: Yahoo sometimes answers a
    full refetch with its last rows only, and trusting that would delete years of prices."""
    new = _complete_days(fetched, symbol, now)
    merged = new if whole_history else plan.merge(new)
    hole = new_gap(merged, since=new.index[0]) if len(new) else None
    lost = None
    if whole_history and plan.cached is not None and len(new):
        lost = lost_days(plan.cached.index, new.index)
    if not whole_history and plan.cached is not None and len(merged) == len(plan.cached):
        report.unchanged.append(symbol)
    elif merged.empty:
        report.failed[symbol] = "no complete trading day in the range asked"
    elif hole:
        report.failed[symbol] = f"Yahoo's answer has a hole: {hole}; nothing written, retry later"
    elif lost:
        cached = plan.cached.index
        report.kept[symbol] = (
            f"Yahoo's full refetch {lost}; kept the {len(cached):,} cached rows ({span(cached)})"
        )
    else:
        try:
            report.updated[symbol] = store.write(symbol, merged, "yfinance")
        except DataError as exc:  # the cached file is left as it was
            report.failed[symbol] = f"Yahoo's prices failed validation ({exc})"


def _cached(store: PriceStore, symbol: str, report: UpdateReport) -> pd.DataFrame | None:
    """The cached prices of ``symbol``; None if it is not cached, or corrupt (then noted in ``report``)."""
    cached, problem = store.try_read(symbol)
    if problem:
        report.corrupt[symbol] = problem
    return cached


def _plan(store: PriceStore, symbol: str, start, report: UpdateReport) -> _Plan:
    requested = pd.Timestamp(start or DEFAULT_START).normalize()
    cached = _cached(store, symbol, report)
    if cached is None:  # not cached, or corrupt: fetched (rebuilt) from scratch
        return _Plan(requested)
    if start is not None and requested < cached.index[0]:
        return _Plan(requested, cached, whole_history=True)
    return _Plan(cached.index[-1] - OVERLAP, cached)


def _batches(plans: dict[str, _Plan]) -> list[tuple[pd.Timestamp, list[str]]]:
    """Tickers sharing a fetch start go into one ``yf.download`` call, at most ``BATCH_SIZE`` at a time."""
    by_start: dict[pd.Timestamp, list[str]] = {}
    for symbol, plan in plans.items():
        by_start.setdefault(plan.start, []).append(symbol)
    return [
        (fetch_start, symbols[i : i + BATCH_SIZE])
        for fetch_start, symbols in sorted(by_start.items())
        for i in range(0, len(symbols), BATCH_SIZE)
    ]


def _readjusted(plan: _Plan, new: pd.DataFrame) -> bool:
    """True if the overlap's adjusted closes changed since they were cached (Yahoo re-anchored dividends).

    No overlap at all cannot be checked, so it counts as changed: refetching beats stitching blind.
    """
    if plan.cached is None:
        return False
    common = plan.cached.index.intersection(new.index)
    if common.empty:
        return True
    ratio = new.loc[common, "Adj Close"] / plan.cached.loc[common, "Adj Close"]
    return bool((ratio - 1).abs().max() > ADJUSTMENT_TOLERANCE)


def _download_with_retries(
    symbols: list[str], start: pd.Timestamp, end, cache_root: Path
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Fetch ``symbols``; retry those that failed for a transient reason, waiting 2 s, 4 s, ... in between."""
    frames: dict[str, pd.DataFrame] = {}
    reasons: dict[str, str] = {}
    pending = list(symbols)
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        fetched, reasons = _download(pending, start, end, cache_root)
        frames.update(fetched)
        pending = [s for s, why in reasons.items() if _is_transient(why)]
        if not pending:
            break
    return frames, reasons


def _download(
    symbols: list[str], start: pd.Timestamp, end, cache_root: Path
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """One ``yf.download`` call: per-ticker frames with prices, and a reason for each ticker without any."""
    import yfinance as yf

    yf.set_tz_cache_location(str(cache_root / "yfinance"))
    end_exclusive = (
        (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d") if end is not None else None
    )
    with _captured_log() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            data = yf.download(
                symbols,
                start=start.strftime("%Y-%m-%d"),
                end=end_exclusive,
                auto_adjust=False,
                actions=False,
                progress=False,
                threads=True,
            )
        except Exception as exc:  # yfinance is meant not to raise; if it does, every ticker failed for this
            data, messages = None, [*messages, f"{symbols}: {type(exc).__name__}: {exc}"]
    frames, reasons = {}, {}
    for symbol in symbols:
        frame = _ticker_frame(data, symbol)
        if frame is None:
            reasons[symbol] = _reason(symbol, messages)
        else:
            frames[symbol] = frame
    return frames, reasons


def _ticker_frame(data: pd.DataFrame | None, symbol: str) -> pd.DataFrame | None:
    """One ticker's rows with an adjusted close, from yfinance's ``(Price, Ticker)`` columns, else None."""
    if data is None or data.empty or not isinstance(data.columns, pd.MultiIndex):
        return None
    if symbol not in data.columns.get_level_values("Ticker"):
        return None
    frame = data.xs(symbol, axis=1, level="Ticker")
    frame = frame[frame["Adj Close"].notna()] if "Adj Close" in frame else frame.iloc[0:0]
    if frame.empty:
        return None
    # Yahoo sometimes reports a 0 Open/High/Low for old or illiquid days: unknown, not a price of zero
    traded = [c for c in ("Open", "High", "Low", "Close") if c in frame]
    frame[traded] = frame[traded].where(frame[traded] > 0)
    index = pd.DatetimeIndex(frame.index, name="Date")
    if index.tz is not None:  # some yfinance paths keep the exchange's zone: its local date is the day
        index = index.tz_localize(None)
    frame.index = index.as_unit("ns").normalize()
    frame.columns.name = None
    return frame


def _complete_days(frame: pd.DataFrame, symbol: str, now: pd.Timestamp | None) -> pd.DataFrame:
    """Drop today's row while it is still trading: an intraday price is not a close."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    if _trades_weekends(symbol, frame):
        last_complete = now.tz_convert("UTC").normalize().tz_localize(None) - pd.Timedelta(days=1)
    else:
        local = now.tz_convert("America/New_York")
        closed = local.hour * 60 + local.minute >= 16 * 60 + 30
        last_complete = local.normalize().tz_localize(None) - pd.Timedelta(days=0 if closed else 1)
    return frame[frame.index <= last_complete]


def _trades_weekends(symbol: str, frame: pd.DataFrame) -> bool:
    """Declared in a universe file, else read off the fetched rows (Yahoo sends crypto on weekends)."""
    declared = ticker(symbol)
    return declared.trades_weekends if declared.asset_class else has_weekend_rows(frame.index)


def _reason(symbol: str, messages: list[str]) -> str:
    """yfinance's log lines about ``symbol``, else the general ones, else a plain 'no data'."""
    mentions = re.compile(rf"(?<![\w^=.-]){re.escape(symbol)}(?![\w=.-])")
    about = [m.strip() for m in messages if mentions.search(m)]
    general = [m.strip() for m in messages if m.strip() and "Failed download" not in m]
    lines = about or general
    if not lines:
        return "yfinance returned no rows (no reason given)"
    # without network yfinance logs the DNS error, then blames the ticker ("possibly delisted"): say the cause
    return _clean(
        [m for m in lines if _is_no_network(m)][-1] if any(map(_is_no_network, lines)) else lines[-1]
    )


def _clean(message: str) -> str:
    """yfinance's line without its ``['SPY', 'QQQ']: `` prefix and curl's "See https://..." footer."""
    message = re.sub(r"^\[[^\]]*\]:\s*", "", message)
    return re.sub(r"\s*See https?://\S+ first for more details\.?", "", message)


def _is_no_network(reason: str) -> bool:
    return any(marker in reason.lower() for marker in _NO_NETWORK)


def _is_transient(reason: str) -> bool:
    return not _is_no_network(reason) and any(marker in reason.lower() for marker in _TRANSIENT)


@contextmanager
def _captured_log() -> Iterator[list[str]]:
    """Collect the ``yfinance`` logger's messages and keep them off the console while a download runs."""
    messages: list[str] = []
    logger = logging.getLogger("yfinance")
    handler = _ListHandler(messages)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(level=logging.INFO)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
