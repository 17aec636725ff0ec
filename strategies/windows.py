"""Lookback windows: a session count or a duration.

A session count (``200``) is the last 200 rows of the calendar in use: 200 NYSE sessions (about 290 calendar
days) on the equity calendar, 200 days on the crypto calendar. A duration (``"200D"``) is the rows of the last
200 calendar days (a time-based rolling window), so it spans the same time on either calendar: a crypto rule
declared with a duration means the same thing in a run beside equities as in a crypto-only run.

Either way a window says nothing until it is full: a count needs that many prices, a duration needs the
asset's first price at least ``duration - 1 day`` back (for a daily series, as many prices as days).
"""

import math

import numpy as np
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


def rolling_std(
    values: np.ndarray, counts: "list[int]", rows: np.ndarray | None = None
) -> dict[int, np.ndarray]:
    """The sample standard deviation (ddof 1) of every full window of ``n`` rows of ``values`` (rows x
    columns, NaN = no value), for many session counts ``n`` at once, from one pass of cumulative sums: what
    a sweep over lookbacks needs. ``rows`` (ascending positions): only the windows ending there, e.g. a
    sweep's trade dates (the same numbers, bit for bit, as those rows of the whole result).

    NaN until a window holds ``n`` values (pandas' ``rolling(n, min_periods=n)``), exactly 0 for a window of
    identical values. A window's squared deviations are the difference of two running sums, which loses
    digits where it is tiny beside them (two nearly equal returns); those windows, usually a few percent of
    the short ones, are summed directly. Equal to a two-pass computation to ~1e-10 relative at worst.
    """
    ends = np.arange(len(values)) if rows is None else np.asarray(rows, dtype=int)
    valid = ~np.isnan(values)
    centred = np.where(valid, values - _first_values(values), 0.0)  # smaller sums: fewer digits lost
    start = np.zeros((1, values.shape[1]))
    number, total, squares = (
        np.concatenate([start, np.cumsum(x, axis=0)]) for x in (valid, centred, centred * centred)
    )
    run = _run_lengths(values)[ends]
    out = {}
    for n in counts:
        std = np.full((len(ends), values.shape[1]), np.nan)
        full = ends >= n - 1
        if n >= 2 and full.any():
            after = ends[full] + 1  # the window ending at row e: sums[e + 1] - sums[e + 1 - n]
            k, s, q = (x[after] - x[after - n] for x in (number, total, squares))
            deviations = q - s * s / n
            # rounding error of the difference is below n * eps * (the running sum): keep it < 1e-10 relative
            _sum_directly(deviations, deviations < 1e-6 * n * squares[after], values, after - n, n)
            variance = np.maximum(deviations, 0.0) / (n - 1)
            variance[run[full] >= n] = 0.0
            variance[k < n] = np.nan
            std[full] = np.sqrt(variance)
        out[n] = std
    return out


def _first_values(values: np.ndarray) -> np.ndarray:
    """Each column's first value (0 if none): a past value at every later row, so centring looks ahead at
    nothing."""
    valid = ~np.isnan(values)
    first = values[valid.argmax(axis=0), np.arange(values.shape[1])]
    return np.where(valid.any(axis=0), first, 0.0)


def _run_lengths(values: np.ndarray) -> np.ndarray:
    """Length of the run of identical values ending at each row (a NaN ends a run)."""
    row = np.arange(len(values))[:, None]
    changed = np.ones(values.shape, dtype=bool)
    changed[1:] = ~(values[1:] == values[:-1])
    return row - np.maximum.accumulate(np.where(changed, row, 0), axis=0) + 1


def _sum_directly(
    deviations: np.ndarray, where: np.ndarray, values: np.ndarray, starts: np.ndarray, n: int
) -> None:
    """The squared deviations of the windows ``where`` marks (window w = rows starts[w] .. starts[w]+n-1),
    two-pass."""
    windows, columns = np.nonzero(where)
    step = max(1, 2**20 // n)  # bounded memory however many windows are marked
    for begin in range(0, len(windows), step):
        w, c = windows[begin : begin + step], columns[begin : begin + step]
        window = values[starts[w][:, None] + np.arange(n), c[:, None]]
        window -= window.mean(axis=1, keepdims=True)
        deviations[w, c] = (window * window).sum(axis=1)
