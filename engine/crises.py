"""Crisis windows: the listed ones (data/crises.toml, --crises FILE), the benchmark's worst drawdowns, and how
each strategy fared inside each window.

A window runs from the close of ``start`` to the close of ``end`` (on a non-trading day: the last close before
it), so SPY's COVID window 2020-02-19 -> 2020-03-23 is the -33.7% peak-to-trough fall.
"""

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from infrabt.data.errors import ConfigError
from infrabt.data.paths import CRISES_FILE

COLUMNS = ["strategy", "window", "name", "start", "end", "return", "max_drawdown", "recovery_days"]
REQUIRED_KEYS = ("id", "name", "start", "end")
OPTIONAL_KEYS = ("story", "source")
_HEADER = re.compile(r"^\s*\[\[\s*crisis\s*\]\]")


@dataclass(frozen=True)
class Crisis:
    """One stress window. ``computed`` marks windows found in the data rather than listed in a file."""

    id: str
    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    story: str = ""
    source: str = ""
    computed: bool = False


def load_crises(path: "str | Path | None" = None, taken: "Iterable[str]" = ()) -> list[Crisis]:
    """Read ``[[crisis]]`` tables from ``path`` (default data/crises.toml); errors name the file and line.

    ``taken``: ids already used by other files (a user's file must not reuse a shipped window's id).
    """
    path = Path(path) if path is not None else CRISES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the crises file {path}: {exc}; check the path") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_with_line(str(exc))}; fix the TOML syntax there") from None

    lines = text.splitlines()
    for key in raw:
        if key != "crisis":
            line = _find_line(lines, key, 0, len(lines))
            raise ConfigError(f"{path}, line {line}: unknown table {key!r}; windows go in [[crisis]] tables")
    tables = raw.get("crisis", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path}: 'crisis' must be a list of [[crisis]] tables")

    headers = [i + 1 for i, line in enumerate(lines) if _HEADER.match(line)]
    seen = set(taken)
    crises = []
    for n, table in enumerate(tables):
        crises.append(_parse_table(table, path, lines, headers, n, seen))
        seen.add(crises[-1].id)
    return crises


def check_unique(crises: list[Crisis], where: "str | Path" = "crisis windows") -> None:
    """Two windows with one id would overwrite each other's rows in crises.csv."""
    seen: set[str] = set()
    for crisis in crises:
        if crisis.id in seen:
            raise ConfigError(f"{where}: crisis id {crisis.id!r} is used twice; give each window its own id")
        seen.add(crisis.id)


def _parse_table(table: dict, path: Path, lines: list[str], headers: list[int], n: int, seen: set) -> Crisis:
    first = headers[n] if n < len(headers) else None
    last = headers[n + 1] - 1 if n + 1 < len(headers) else len(lines)

    def fail(message: str, key: "str | None" = None) -> ConfigError:
        line = _find_line(lines, key, first, last) if key and first else first
        where = f"line {line}" if line else f"crisis #{n + 1}"
        return ConfigError(f"{path}, {where}: {message}")

    unknown = [k for k in table if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if unknown:
        keys = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
        raise fail(f"unknown key {unknown[0]!r}; a window has {keys}", unknown[0])
    missing = [k for k in REQUIRED_KEYS if k not in table]
    if missing:
        raise fail(f"window {table.get('id', '?')!r} has no {missing[0]!r}; add {missing[0]} = ...")
    for key in ("id", "name", *OPTIONAL_KEYS):
        if key in table and not isinstance(table[key], str):
            raise fail(f"{key} must be a quoted string", key)
    if not table["id"].strip():
        raise fail("id is empty; give the window a short unique id", "id")
    if table["id"].strip() in seen:
        raise fail(f"crisis id {table['id'].strip()!r} is used twice; give each window its own id", "id")
    start, end = (_to_date(table[k], lambda msg, k=k: fail(msg, k), k) for k in ("start", "end"))
    if start >= end:
        raise fail(f"start {start.date()} is not before end {end.date()}; swap them", "start")
    return Crisis(
        id=table["id"].strip(),
        name=table["name"].strip(),
        start=start,
        end=end,
        story=table.get("story", "").strip(),
        source=table.get("source", "").strip(),
    )


def _to_date(value, fail, key: str) -> pd.Timestamp:
    """TOML dates (``start = 2020-02-19``) and ISO strings are both accepted; times of day are not."""
    if isinstance(value, datetime):
        raise fail(f"{key} has a time of day; write a plain date like 2020-02-19")
    if isinstance(value, date):
        return pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return pd.Timestamp(date.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise fail(f"{key} = {value!r} is not a date; write YYYY-MM-DD")


def _find_line(lines: list[str], key: str, first: int, last: int) -> int:
    """Line number (1-based) of ``key = ...`` between lines ``first`` and ``last``; ``first`` if not found."""
    pattern = re.compile(rf"^\s*\[?\s*\"?{re.escape(key)}\"?\s*[=\]]")
    for number in range(max(first, 1), last + 1):
        if pattern.match(lines[number - 1]):
            return number
    return first


def _with_line(message: str) -> str:
    """tomllib says '(at line 3, column 5)' at the end; put the line first, where a reader looks."""
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not found:
        return message
    return f"line {found[1]}, column {found[2]}: {message[: found.start()].strip()}"


def worst_drawdowns(
    returns: pd.Series, n: int = 5, label: str = "benchmark", title: str | None = None
) -> list[Crisis]:
    """The ``n`` deepest peak-to-trough falls of one return series, as windows in date order: ids from
    ``label`` (a strategy id), names from ``title`` (what a reader calls it: SPY for spy; default ``label``).

    Episodes do not overlap: one starts at a high and lasts until the next new high, and its window runs from
    that high to the lowest close before the recovery. Why: listed crises are a story told afterwards;
    these are what the benchmark actually lived through in this run's data.
    """
    equity = (1 + returns.dropna()).cumprod()
    if equity.empty:
        return []
    drawdown = equity / equity.cummax() - 1
    episode = (drawdown >= 0).cumsum()
    found = []
    for _, fall in drawdown.groupby(episode):
        if fall.min() < 0:
            found.append((fall.min(), fall.index[0], fall.idxmin(), _recovered(equity, fall)))
    found.sort(key=lambda item: item[0])
    windows = []
    for rank, (depth, peak, trough, recovered) in enumerate(found[:n], start=1):
        after = f"recovered by {recovered.date()}" if recovered is not None else "not recovered in the data"
        windows.append(
            Crisis(
                id=f"{label}-dd{rank}",
                name=f"{title or label} drawdown #{rank}: {depth:.1%}",
                start=peak,
                end=trough,
                story=f"Computed: {label}'s #{rank} deepest fall in this run's data, {depth:.1%} from the "
                f"{peak.date()} high to the {trough.date()} low; {after}.",
                source="computed from the benchmark's returns",
                computed=True,
            )
        )
    return sorted(windows, key=lambda w: w.start)


def _recovered(equity: pd.Series, fall: pd.Series) -> "pd.Timestamp | None":
    following = equity.index.searchsorted(fall.index[-1], side="right")
    return equity.index[following] if following < len(equity) else None


def crisis_table(returns: pd.DataFrame, windows: list[Crisis]) -> pd.DataFrame:
    """One row per strategy and window: return and max drawdown inside the window, and recovery time.

    ``recovery_days`` counts trading days from the window's end until the strategy's value is back at its
    highest close up to the window's start (0 if it already is; empty if never in the data). A window the
    strategy's data does not cover entirely is kept with empty numbers: "no data" is an answer, not an error.
    """
    rows = []
    for strategy in returns.columns:
        equity = (1 + returns[strategy].dropna()).cumprod()
        for window in windows:
            ret, max_dd, recovery = window_stats(equity, window)
            rows.append(
                [
                    strategy,
                    window.id,
                    window.name,
                    window.start.date().isoformat(),
                    window.end.date().isoformat(),
                    ret,
                    max_dd,
                    recovery,
                ]
            )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["return"] = table["return"].astype(float)
    table["max_drawdown"] = table["max_drawdown"].astype(float)
    table["recovery_days"] = table["recovery_days"].astype("Int64")
    return table


def window_rows(days: pd.DatetimeIndex, start, end) -> "tuple[int, int] | None":
    """Rows of the closes a window runs between (the last close on or before ``start`` and ``end``), or None
    when ``days`` do not cover the whole window. The one place this convention lives (reports and sweeps)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if len(days) == 0 or start < days[0] or end > days[-1]:
        return None
    return days.searchsorted(start, side="right") - 1, days.searchsorted(end, side="right") - 1


def window_stats(equity: pd.Series, window: Crisis) -> tuple[float, float, "int | None"]:
    """(return, max drawdown, recovery days) of one value path inside one window; NaNs when not covered."""
    rows = window_rows(equity.index, window.start, window.end)
    if rows is None:
        return np.nan, np.nan, None
    start, end = rows
    path = equity.to_numpy()[start : end + 1]
    ret = path[-1] / path[0] - 1
    max_dd = float((path / np.maximum.accumulate(path) - 1).min())
    high = equity.to_numpy()[: start + 1].max()
    back = np.flatnonzero(equity.to_numpy()[end:] >= high * (1 - 1e-12))
    return float(ret), max_dd, int(back[0]) if back.size else None
