"""Trading calendars, and the annualization factor that belongs to each.

Two calendars, never mixed inside one comparison:

- ``equity``: NYSE sessions (exchange_calendars' ``XNYS``, works offline). Crypto is sampled on these days,
  so a crypto asset's return on a Monday is Friday close to Monday close. Annualize with 252.
- ``crypto``: every calendar day (UTC), for crypto-only work. Annualize with 365.
"""

from functools import cache
from typing import Literal

import numpy as np
import pandas as pd

from infrabt.data.errors import ConfigError

Calendar = Literal["equity", "crypto"]
CALENDARS: tuple[Calendar, ...] = ("equity", "crypto")
PERIODS_PER_YEAR: dict[str, int] = {"equity": 252, "crypto": 365}


SESSIONS_START = "1990-01-01"


@cache
def nyse_sessions() -> pd.DatetimeIndex:
    """Every NYSE session exchange_calendars knows (1990 to about a year ahead), tz-naive.

    Building the calendar costs ~0.2 s, a fifth of a small sweep, so the sessions are kept in the price
    cache's folder, one file per exchange_calendars version and month (a new month picks up what the library
    learnt of future holidays). An unreadable or unwritable file only means building it again.
    """
    from importlib.metadata import version

    from infrabt.data.files import atomic_path
    from infrabt.data.paths import data_dir

    month = pd.Timestamp.now().strftime("%Y-%m")
    path = data_dir() / "calendars" / f"XNYS-{version('exchange_calendars')}-{month}.npy"
    try:
        return pd.DatetimeIndex(np.load(path, allow_pickle=False), name="Date").as_unit("ns")
    except (OSError, ValueError):
        pass
    import exchange_calendars

    sessions = exchange_calendars.get_calendar("XNYS", start=SESSIONS_START).sessions
    sessions = sessions.tz_localize(None) if sessions.tz else sessions
    naive = pd.DatetimeIndex(sessions, name="Date").as_unit("ns")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temp, temp.open("wb") as handle:
            np.save(handle, naive.to_numpy())
    except OSError:
        pass
    return naive


def equity_calendar(start, end) -> pd.DatetimeIndex:
    """NYSE sessions from ``start`` to ``end`` inclusive, tz-naive midnight timestamps."""
    start, end = check_range(start, end)
    sessions = nyse_sessions()
    return sessions[(sessions >= start) & (sessions <= end)]


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
