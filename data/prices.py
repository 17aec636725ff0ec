"""The aligned price panel every strategy and backtest starts from.

One rule for every asset: its adjusted close on each day of the chosen calendar, NaN before its first price
and after its last, forward-filled inside its life. So on the equity (NYSE) calendar crypto is sampled at the
same dates, and on the 7-day crypto calendar an equity carries Friday's close over the weekend.
"""

from collections.abc import Sequence

import pandas as pd
from infrabt.data.calendar import Calendar, trading_days
from infrabt.data.errors import DataError
from infrabt.data.paths import offline_by_default
from infrabt.data.store import PriceStore
from infrabt.data.universe import resolve


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
    earliest first and latest last cached date of the tickers. A ticker missing from the cache is downloaded
    first when online; offline (``offline=True`` or ``INFRABT_OFFLINE=1``) it raises ``DataError`` naming the
    fix.
    """
    symbols = resolve([tickers] if isinstance(tickers, str) else list(tickers))
    if not symbols:
        raise DataError("no tickers asked for; name at least one ticker or group")
    store = store or PriceStore()
    offline = offline_by_default() if offline is None else offline
    missing = [s for s in symbols if not store.has(s)]
    if missing and not offline:
        from infrabt.data.yahoo import update  # imports yfinance (slow): only when a download is needed

        update(missing, store=store, offline=False).raise_for_failures()
    missing = [s for s in symbols if not store.has(s)]
    if missing:
        names = " ".join(missing)
        raise DataError(
            f"no cached prices for {', '.join(missing)}: run `infrabt data update {names}` "
            f"(online) or `infrabt data import <folder of CSVs>` (offline)"
        )
    closes = {s: store.read(s)["Adj Close"] for s in symbols}
    start = min(c.index[0] for c in closes.values()) if start is None else pd.Timestamp(start)
    if end is None:  # a start after the newest price gives an empty panel, which the caller can name
        end = max(start, *(c.index[-1] for c in closes.values()))
    days = trading_days(calendar, start, end)
    panel = pd.DataFrame({s: align(c, days) for s, c in closes.items()}, index=days, columns=list(symbols))
    panel.index.name = "Date"
    return panel


def align(close: pd.Series, days: pd.DatetimeIndex) -> pd.Series:
    """``close`` on ``days``: last price on or before each day; NaN before the first and after the last."""
    filled = close.reindex(days.union(close.index)).ffill().reindex(days)
    return filled.where(days <= close.index[-1])
