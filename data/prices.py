"""The aligned price panel every strategy and backtest starts from.

One rule for every asset: its adjusted close on each day of the chosen calendar, NaN before its first price
and after its last, forward-filled inside its life. So on the equity (NYSE) calendar crypto is sampled at the
same dates, and on the 7-day crypto calendar an equity carries Friday's close over the weekend.
"""

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infrabt.data.calendar import Calendar, trading_days
from infrabt.data.errors import DataError, DataNotice, InfrabtError, UnknownTickerError
from infrabt.data.locks import cache_lock
from infrabt.data.paths import offline_by_default
from infrabt.data.snapshot import seed, snapshot_tickers
from infrabt.data.store import PriceStore
from infrabt.data.universe import did_you_mean, groups, load_universe, resolve


def load_prices(
    tickers: str | Sequence[str],
    start=None,
    end=None,
    calendar: Calendar = "equity",
    *,
    store: PriceStore | None = None,
    offline: bool | None = None,
) -> pd.DataFrame:
    """Adjusted closes: index = ``calendar`` days ``start``..``end`` (named Date), columns = ``tickers``.

    ``tickers`` may name universe groups too (expanded in universe order). ``start``/``end`` default to the
    earliest first and latest last cached date of the tickers. A ticker missing from the cache is taken from
    the bundled snapshot, or downloaded (``ensure_cached``).
    """
    symbols = resolve([tickers] if isinstance(tickers, str) else list(tickers))
    if not symbols:
        raise DataError("no tickers asked for; name at least one ticker or group")
    store = store or PriceStore()
    offline = offline_by_default() if offline is None else offline
    ensure_cached(symbols, store, offline)
    with cache_lock(store.root, doing="reading"):  # one version of the cache, never half an import
        closes = {s: store.read(s, columns=("Adj Close",))["Adj Close"] for s in symbols}
    start = min(c.index[0] for c in closes.values()) if start is None else pd.Timestamp(start)
    if end is None:  # a start after the newest price gives an empty panel, which the caller can name
        end = max(start, *(c.index[-1] for c in closes.values()))
    days = trading_days(calendar, start, end)
    return align_all(closes, days)


def ensure_cached(symbols: Sequence[str], store: PriceStore, offline: bool) -> None:
    """Make sure every symbol is cached: seed from the bundled snapshot, then (online) fetch from Yahoo what
    is missing and the days after the snapshot. A symbol found nowhere raises ``UnknownTickerError`` with
    the closest known symbols; a failed update of a cached one is a ``DataNotice``, not an error."""
    missing = [s for s in symbols if not store.has(s)]
    if not missing:
        return
    seeded = seed(missing, store)
    report = None
    if not offline:
        from infrabt.data.yahoo import update  # imports yfinance (slow): only when a download is needed

        report = update(missing, store=store, offline=False)
        if report.fell_back and seeded:
            end = max(store.metadata(s)["last"] for s in seeded)
            warnings.warn(
                f"Yahoo unreachable: running on the bundled price snapshot, prices end {end}",
                DataNotice,
                stacklevel=3,
            )
    absent = [s for s in symbols if not store.has(s)]
    if absent:
        raise _not_found(absent, store, report)


def closest_known(symbols: Sequence[str], store: PriceStore) -> str:
    """``; did you mean BTC-USD?`` for the first few ``symbols`` that resemble a symbol or group known to
    the universe, the cache or the snapshot; else an empty string."""
    known = [*load_universe(), *groups(), *store.tickers(), *snapshot_tickers()]
    return "".join(did_you_mean(s, known) for s in symbols[:3])


def _not_found(absent: list[str], store: PriceStore, report) -> InfrabtError:
    names = " ".join(absent)
    hints = closest_known(absent, store)
    if report is None:
        where = "offline mode never downloads"
    elif report.network_error:
        where = f"Yahoo is unreachable ({report.network_error})"
    else:
        where = "Yahoo returned none (" + "; ".join(report.failed.get(s, "no data") for s in absent[:3]) + ")"
    return UnknownTickerError(
        f"no cached prices for {', '.join(absent)}: not in the cache or the bundled snapshot, and {where}"
        f"{hints or '.'} Add prices with `infrabt data update {names}` (online) or "
        f"`infrabt data import <CSV file or folder>` (offline)."
    )


def align_all(closes: dict[str, pd.Series], days: pd.DatetimeIndex) -> pd.DataFrame:
    """Each close on ``days`` (columns in ``closes`` order): the last price on or before each day, NaN before
    its first price and after its last. One binary search per ticker into one array, no per-ticker frames."""
    day_ns = days.as_unit("ns").asi8
    panel = np.full((len(days), len(closes)), np.nan)
    for column, close in enumerate(closes.values()):
        dates = close.index.as_unit("ns").asi8
        last_known = np.searchsorted(dates, day_ns, side="right") - 1
        inside = (last_known >= 0) & (day_ns <= dates[-1])
        panel[inside, column] = close.to_numpy(dtype="float64")[last_known[inside]]
    return pd.DataFrame(panel, index=days.rename("Date"), columns=list(closes))
