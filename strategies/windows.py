"""Lookback windows: a session count or a duration.

A session count (``200``) is the last 200 rows of the calendar in use: 200 NYSE sessions (about 290 calendar
days) on the equity calendar, 200 days on the crypto calendar. A duration (``"200D"``) is the rows of the last
200 calendar days (a time-based rolling window), so it spans the same time on either calendar: a crypto rule
declared with a duration means the same thing in a run beside equities as in a crypto-only run.

Either way a window says nothing until it is full: a count needs that many prices, a duration needs the
asset's first price at least ``duration - 1 day`` back (for a daily series, as many prices as days).
"""

import math

import pandas as pd

from infrabt.data.errors import StrategyError

Lookback = int | str
HOLIDAY_SLACK_DAYS = 14  # extra calendar days of warm-up: a start after a long weekend, the one-day shift


def duration(lookback: Lookback) -> pd.Timedelta | None:
    """The window's span if ``lookback`` is a duration ("200D", "26W"), None for a session count."""
    if not isinstance(lookback, str):
        return None
    try:
        span = pd.Timedelta(lookback)
    except ValueError:
        span = None
    if span is None or span < pd.Timedelta(days=1) or span % pd.Timedelta(days=1):
        raise StrategyError(
            f"lookback {lookback!r} is not a duration in whole days; write e.g. '200D' (calendar days) "
            "or 200 (sessions of the calendar)"
        )
    return span


def span_days(lookback: Lookback) -> float:
    """The window in its own unit: sessions for a count, calendar days for a duration (for range checks)."""
    span = duration(lookback)
    return lookback if span is None else span.days


def history_days(lookback: Lookback) -> int:
    """Calendar days of prices to load before the first decision so the window is full on that day."""
    span = duration(lookback)
    if span is None:  # 252 sessions ~ 365 calendar days; 1.5 covers holidays on any calendar
        return math.ceil(lookback * 1.5) + HOLIDAY_SLACK_DAYS
    return span.days + HOLIDAY_SLACK_DAYS


def describe(lookback: Lookback) -> str:
    """ "200-day" for a count (days of the calendar in use), "200-calendar-day" for a duration."""
    span = duration(lookback)
    return f"{lookback}-day" if span is None else f"{span.days}-calendar-day"


def rolling(data: "pd.Series | pd.DataFrame", lookback: Lookback):
    """A pandas rolling window of ``lookback`` over ``data`` (dates x ...); pair it with ``when_full``."""
    span = duration(lookback)
    if span is None:
        return data.rolling(lookback, min_periods=lookback)
    return data.rolling(span, min_periods=1)


def when_full(values, data: "pd.Series | pd.DataFrame", lookback: Lookback):
    """``values`` (a rolling statistic of ``data``) where the window is full, NaN before.

    A count's ``min_periods`` has done it already. For a duration, a column is full from its first price plus
    ``duration - 1 day``; a statistic of several columns (a correlation: ``values`` a Series, ``data`` a
    DataFrame) from the latest of their first prices.
    """
    span = duration(lookback)
    if span is None:
        return values
    if isinstance(data, pd.DataFrame):
        first = data.apply(pd.Series.first_valid_index)
    else:
        first = pd.Series([data.first_valid_index()])
    first = pd.to_datetime(first)
    ready = first + span - pd.Timedelta(days=1)  # NaT (never priced): never full
    index = pd.Series(values.index, index=values.index)
    if isinstance(values, pd.DataFrame):
        full = pd.DataFrame({c: index >= ready[c] for c in values.columns})
        return values.where(full)
    return values.where(index >= ready.max())
