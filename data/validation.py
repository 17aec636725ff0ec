"""Checks every price frame passes before it reaches the cache.

Hard errors (the write is refused, the cache stays as it was): dates not ascending or not unique, prices that
are missing, non-finite or not positive. Soft warnings (kept in the ticker's metadata, shown by ``infrabt data
check``): one-day moves big enough to be a data error, such as an unadjusted split. Real markets make such
moves too (CLSK +387% on 2018-09-19 in the shared data), so they are flagged for a human, never dropped.
"""

import numpy as np
import pandas as pd

from infrabt.data.errors import DataError

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
COLUMNS = (*PRICE_COLUMNS, "Volume")
"""The cached columns, in yfinance's names. Backtests use ``Adj Close`` (split- and dividend-adjusted)."""

CRASH_DROP = -0.50
"""A one-day fall this deep in one asset is suspicious (an unadjusted 1:2 split looks exactly like it)."""
SPIKE_RISE = 1.00
"""A one-day doubling is suspicious too (an unadjusted reverse split, a bad print)."""
MARKET_CRASH = -0.07
"""If the market itself fell this much that day (NYSE circuit-breaker level 1), a deep drop is explained."""
MAX_GAP = pd.Timedelta(days=10)
"""The longest stretch between two prices a downloaded series may have. NYSE's longest closure since 1933
(after 9/11: 2001-09-10 -> 09-17) is 7 days; a longer hole is a partial answer, and forward-filling it would
show a flat price where the market moved."""
FIRST_DAY = pd.Timestamp("1900-01-01")
"""No price before this is believed (a 0001 or 1970 date is a parsing accident)."""


def last_valid_day() -> pd.Timestamp:
    """Today (UTC): a price dated later is an error, and would make every other ticker look delisted."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()


def check_frame(symbol: str, frame: pd.DataFrame) -> None:
    """Raise ``DataError`` naming ``symbol`` and the first bad date if ``frame`` must not be cached."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"{symbol}: the index is not dates ({type(index).__name__}); index the prices by Date"
        )
    if index.tz is not None:
        raise DataError(f"{symbol}: dates carry a time zone ({index.tz}); use plain dates")
    if len(index) == 0:
        raise DataError(f"{symbol}: no price rows; nothing to cache")
    duplicated = index[index.duplicated()]
    if len(duplicated):
        raise DataError(f"{symbol}: duplicate date {duplicated[0].date()}; keep one row per date")
    if not index.is_monotonic_increasing:
        position = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise DataError(f"{symbol}: dates not ascending at {index[position].date()}; sort the rows by Date")
    check_dates_in_range(symbol, index)
    if "Adj Close" not in frame:
        raise DataError(f"{symbol}: no 'Adj Close' column; give Adj Close (or Close) prices")
    missing = frame.index[frame["Adj Close"].isna()]
    if len(missing):
        raise DataError(f"{symbol}: no Adj Close price on {missing[0].date()}; fill it or drop the row")
    for column in PRICE_COLUMNS:
        if column not in frame:
            continue
        values = frame[column]
        bad = values.notna() & ~(np.isfinite(values) & (values > 0))
        if bad.any():
            date = values.index[bad.to_numpy()][0]
            raise DataError(
                f"{symbol}: {column} on {date.date()} is {values[date]}; prices must be positive and finite"
            )
    if "Volume" in frame and (frame["Volume"] < 0).any():
        date = frame.index[(frame["Volume"] < 0).to_numpy()][0]
        raise DataError(f"{symbol}: negative Volume on {date.date()}; volumes must be >= 0")


def check_dates_in_range(symbol: str, index: pd.DatetimeIndex) -> None:
    """Refuse a date before 1900 or after today (``index`` sorted)."""
    if index[0] < FIRST_DAY:
        raise DataError(f"{symbol}: date {index[0].date()} is before {FIRST_DAY.year}; fix or drop that row")
    today = last_valid_day()
    if index[-1] > today:
        late = index[index > today]
        raise DataError(
            f"{symbol}: date {late[0].date()} is in the future (today is {today.date()}, {len(late)} such "
            f"rows); fix or drop them"
        )


def new_gap(frame: pd.DataFrame, since: pd.Timestamp) -> str | None:
    """The first stretch longer than ``MAX_GAP`` without prices that ends on or after ``since``, as text."""
    found = long_gaps(frame.index, since)
    return found[0] if found else None


def long_gaps(index: pd.DatetimeIndex, since: pd.Timestamp | None = None) -> list[str]:
    """Every stretch longer than ``MAX_GAP`` without prices (ending on or after ``since``), as text: a
    backtest would count the whole move across it as one day's return."""
    gaps = index[1:] - index[:-1]
    long = gaps > MAX_GAP
    if since is not None:
        long &= index[1:] >= since
    return [
        f"no prices from {index[at].date()} to {index[at + 1].date()} ({gaps[at].days} days)"
        for at in np.flatnonzero(long)
    ]


def lost_days(cached: pd.DatetimeIndex, new: pd.DatetimeIndex) -> str | None:
    """Why prices on the ``new`` days, written over prices on the ``cached`` days, would lose cached prices
    (``ends 2017-05-24, before the cached last day``); None if they cover every cached day."""
    if new[0] > cached[0]:
        return f"starts {new[0].date()}, after the cached first day"
    if new[-1] < cached[-1]:
        return f"ends {new[-1].date()}, before the cached last day"
    missing = cached.difference(new)
    if len(missing):
        return f"lacks {len(missing):,} cached days (first {missing[0].date()})"
    return None


def span(index: pd.DatetimeIndex) -> str:
    """``2017-01-03 .. 2026-07-13``: the first and last day of a price series, as messages show them."""
    return f"{index[0].date()} .. {index[-1].date()}"


def suspicious_moves(prices: pd.Series, market: pd.Series | None = None) -> list[str]:
    """One warning per one-day move of ``prices`` that looks like a data error rather than a market move.

    A fall of 50% or worse counts only if ``market`` (the benchmark's adjusted closes, e.g. SPY) did not crash
    the same day; without a market series every such fall is flagged. A rise of 100% or more is always
    flagged.
    """
    returns = prices.pct_change().dropna()
    market_returns = market.pct_change().reindex(returns.index) if market is not None else None
    warnings = []
    for date, change in returns.items():
        if change <= CRASH_DROP:
            market_move = market_returns.get(date, np.nan) if market_returns is not None else np.nan
            if market_move <= MARKET_CRASH:
                continue
            context = "" if np.isnan(market_move) else f" while the market moved {market_move:+.1%}"
            warnings.append(
                f"{date.date()}: {change:+.1%} in one day{context} (an unadjusted split or a bad print?)"
            )
        elif change >= SPIKE_RISE:
            warnings.append(
                f"{date.date()}: {change:+.1%} in one day (an unadjusted reverse split or a bad print?)"
            )
    return warnings
