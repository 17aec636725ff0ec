"""Trading calendars, and the annualization factor that belongs to each.

Two calendars, never mixed inside one comparison:

- ``equity``: NYSE sessions (exchange_calendars' ``XNYS``, works offline). Crypto is sampled on these days,
  so a crypto asset's return on a Monday is Friday close to Monday close. Annualize with 252.
- ``crypto``: every calendar day (UTC), for crypto-only work. Annualize with 365.
"""

from functools import cache
from typing import Literal

import pandas as pd

from infrabt.data.errors import ConfigError

Calendar = Literal["equity", "crypto"]
CALENDARS: tuple[Calendar, ...] = ("equity", "crypto")
PERIODS_PER_YEAR: dict[str, int] = {"equity": 252, "crypto": 365}


@cache
def _nyse():
    import exchange_calendars

    return exchange_calendars.get_calendar("XNYS", start="1990-01-01")


def equity_calendar(start, end) -> pd.DatetimeIndex:
    """NYSE sessions from ``start`` to ``end`` inclusive, tz-naive midnight timestamps."""
    start, end = check_range(start, end)
    nyse = _nyse()
    first, last = max(start, nyse.first_session), min(end, nyse.last_session)
    if first > last:
        return pd.DatetimeIndex([], name="Date")
    sessions = nyse.sessions_in_range(first, last)
    naive = sessions.tz_localize(None) if sessions.tz else sessions
    return pd.DatetimeIndex(naive, name="Date").as_unit("ns")


def crypto_calendar(start, end) -> pd.DatetimeIndex:
    """Every calendar day from ``start`` to ``end`` inclusive."""
    start, end = check_range(start, end)
    return pd.date_range(start, end, freq="D", name="Date").as_unit("ns")


def trading_days(calendar: Calendar, start, end) -> pd.DatetimeIndex:
    """The days of ``calendar`` between ``start`` and ``end``."""
    if calendar == "equity":
        return equity_calendar(start, end)
    if calendar == "crypto":
        return crypto_calendar(start, end)
    raise ConfigError(f"unknown calendar {calendar!r}; use one of {', '.join(CALENDARS)}")


def periods_per_year(calendar: Calendar) -> int:
    """252 trading days a year for the equity calendar, 365 for the 7-day crypto calendar."""
    try:
        return PERIODS_PER_YEAR[calendar]
    except KeyError:
        raise ConfigError(f"unknown calendar {calendar!r}; use one of {', '.join(CALENDARS)}") from None


def parse_date(value, what: str) -> pd.Timestamp:
    """A user's date (``what`` names where it came from, e.g. "--start"): a plain day, no time zone."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        day = pd.NaT
    if pd.isna(day):
        raise ConfigError(f"{what} {value!r} is not a date; write YYYY-MM-DD")
    if day.tzinfo is not None:
        raise ConfigError(f"{what} {value!r} has a time zone; write a plain date, YYYY-MM-DD")
    return day.normalize()


def check_range(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Both dates parsed, and in order."""
    start, end = parse_date(start, "--start"), parse_date(end, "--end")
    if start > end:
        raise ConfigError(f"--start {start.date()} is after --end {end.date()}; swap them")
    return start, end
