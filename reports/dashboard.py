"""The comparison dashboard: one self-contained HTML page (Jinja2 + Plotly, plotly.js inlined once, no CDN).

Every name that can come from a user's strategy module reaches the page through Jinja's autoescape or through
``safe_json`` (figure data inside ``<script>``), never by string concatenation into HTML.
"""

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from infrabt.data.files import atomic_path
from infrabt.data.paths import data_dir
from infrabt.engine.crises import Crisis

if TYPE_CHECKING:  # the sweep page shares this module's Jinja environment and needs no plotly.py
    import plotly.graph_objects as go

METRIC_FORMATS = {
    # column: (label, format, which way is better: +1 higher, -1 lower, 0 neither)
    "cagr": ("CAGR", "pct", +1),
    "total_return": ("Total return", "pct", +1),
    "volatility": ("Volatility", "pct", -1),
    "sharpe": ("Sharpe", "num", +1),
    "sortino": ("Sortino", "num", +1),
    "max_drawdown": ("Max drawdown", "pct", +1),
    "calmar": ("Calmar", "num", +1),
    "beta": ("Beta", "num", -1),
    "correlation": ("Correlation", "num", -1),
}
"""Beta and correlation count as better when lower: the thesis asks what diversifies the benchmark."""
COIN = "pure_btc"
"""Owning the coin: the strategy the rails are measured against."""


@dataclass
class Page:
    """What the template needs, already formatted; built by reports.report.write_report."""

    benchmark: str
    run: dict
    metrics: pd.DataFrame
    crises: pd.DataFrame
    windows: list[Crisis]
    strategies: list[dict]
    sentences: dict[str, str]
    figures: dict[str, "go.Figure"]
    data_rows: list[dict]
    tearsheets: dict[str, str]
    tearsheet_errors: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    """The tested thesis's sections (scorecard, miners, attribution), from reports.evidence.sections."""
    rails: list[str] = field(default_factory=list)
    """Strategies that hold only the rails (miners, compute, financial plumbing): the thesis's answer."""
    notes: list[str] = field(default_factory=list)
    """What a reader must know about the data range (a stale series that set the end date)."""
    references: list[str] = field(default_factory=lambda: ["BTC", "gold"])
    """The reference assets drawn bold in the thesis charts (not one the benchmark holds alone)."""


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept in the user's cache folder: compiling one costs ~0.03 s per page, a fifth of a
    small sweep's page. Jinja checks each against its template's source and recompiles a stale or damaged
    one; a folder that cannot be written only means compiling every time."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable or damaged beyond Jinja's own checks: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled_templates() -> _CompiledTemplates | None:
    folder = data_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(folder))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("infrabt.reports", "templates"),
        bytecode_cache=_compiled_templates(),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = format_value
    env.filters["params"] = format_params
    env.filters["docstring"] = docstring_html
    return env


PLOTLY_SLOT = Markup("<!-- plotly.js -->")
"""What a page's template holds where plotly.js goes, until ``write_page`` fills it. Autoescaped text and
``safe_json`` cannot spell it (they escape ``<``), so no strategy name or thesis can move it."""


def plotly_js() -> bytes:
    """plotly.py's bundled plotly.min.js (4.8 MB), as ``plotly.offline.get_plotlyjs`` reads it."""
    return (files("plotly") / "package_data" / "plotly.min.js").read_bytes()


def write_page(path: "str | Path", html: str) -> Path:
    """Write a rendered page atomically with plotly.js inlined in its slot. The library is copied as bytes:
    decoding, marking safe, joining and encoding its 4.8 MB again cost the sweep page ~0.04 s and ~50 MB of
    freshly touched memory (0.085 s and 15.7k page faults, now 0.047 s and 2.4k)."""
    before, slot, after = html.partition(PLOTLY_SLOT)
    with atomic_path(path) as temp, open(temp, "wb") as out:
        out.write(before.encode("utf-8"))
        if slot:
            out.write(plotly_js())
        out.write(after.encode("utf-8"))
    return Path(path)


def render(page: Page) -> str:
    """The dashboard HTML, plotly.js left as its slot (``write_page`` writes it)."""
    return (
        _environment()
        .get_template("dashboard.html.j2")
        .render(
            page=page,
            metric_table=metric_table(page.metrics, page.benchmark),
            headlines=headlines(page.metrics, page.crises, page.windows, page.benchmark, page.rails),
            heatmap=crisis_heatmap(page.crises, page.windows, page.benchmark),
            window_count=len(distinct_windows(page.windows)),
            figures={key: safe_json(fig.to_json()) for key, fig in page.figures.items()},
            plotly_js=PLOTLY_SLOT,
        )
    )


def headlines(
    metrics: pd.DataFrame,
    crises: pd.DataFrame,
    windows: list[Crisis],
    benchmark: str,
    rails: Iterable[str] = (),
    coin: str = COIN,
) -> list[str]:
    """Sentences for the top of the page: the title's question answered, who won on risk-adjusted return, on
    drawdown, through crises."""
    lines = [rails_vs_coin(metrics, crises, windows, list(rails), coin)]
    if {"sharpe", "cagr"} <= set(metrics.columns) and metrics["sharpe"].notna().any():
        best, top = metrics["sharpe"].idxmax(), metrics["cagr"].idxmax()
        line = f"Highest Sharpe: {best} ({metrics.sharpe[best]:.2f}); "
        line += f"highest CAGR: {top} ({metrics.cagr[top]:.1%})"
        if benchmark in metrics.index:
            bench = metrics.loc[benchmark]
            line += f"; {benchmark}: Sharpe {bench.sharpe:.2f}, CAGR {bench.cagr:.1%}"
        lines.append(line + ".")
    if "max_drawdown" in metrics.columns and metrics["max_drawdown"].notna().any():
        drawdown = metrics["max_drawdown"]
        lines.append(
            f"Shallowest max drawdown: {drawdown.idxmax()} ({drawdown.max():.1%}); "
            f"deepest: {drawdown.idxmin()} ({drawdown.min():.1%})."
        )
    listed = [w.id for w in windows if not w.computed]
    inside = crises[crises.window.isin(listed)].dropna(subset=["return"])
    if not inside.empty:
        median = inside.groupby("strategy")["return"].median()
        count = inside.groupby("strategy")["window"].nunique()
        lines.append(
            f"Through the {count.max()} listed crises, {median.idxmax()} held up best (median return in a "
            f"window {median.max():+.1%}) and {median.idxmin()} worst ({median.min():+.1%})."
        )
    return [line for line in lines if line]


def rails_vs_coin(
    metrics: pd.DataFrame, crises: pd.DataFrame, windows: list[Crisis], rails: list[str], coin: str = COIN
) -> str:
    """ "Did owning the rails beat owning the coin?" answered from CAGR, Sharpe and the worst listed crisis.

    A rails strategy beats the coin when it is better on at least two of the three; the answer is yes when
    more than half of them do, no when fewer than half do. The worst crisis is compared over the listed
    windows both cover, so a late listing is not judged on crises it never saw.
    """
    rails = [sid for sid in rails if sid in metrics.index and sid != coin]
    if coin not in metrics.index or not rails:
        return ""
    listed = {w.id for w in windows if not w.computed}
    returns = crises[crises.window.isin(listed)].pivot(index="window", columns="strategy", values="return")
    wins, worst = 0, {}
    for sid in rails:
        shared = returns.reindex(columns=[sid, coin]).dropna()
        worst[sid] = shared.min().tolist() if len(shared) else [math.nan, math.nan]
        better = [
            metrics.cagr[sid] > metrics.cagr[coin],
            metrics.sharpe[sid] > metrics.sharpe[coin],
            worst[sid][0] > worst[sid][1],
        ]
        wins += sum(better) >= 2
    answer = "Yes" if wins * 2 > len(rails) else "No" if wins * 2 < len(rails) else "Mixed"
    best = metrics.loc[rails, "sharpe"].idxmax()
    coin_worst = returns[coin].min() if coin in returns.columns else math.nan

    def numbers(sid: str, crisis: float) -> str:
        return f"{sid} {metrics.cagr[sid]:.1%}, {metrics.sharpe[sid]:.2f}, {format_value(crisis, 'pct')}"

    return (
        f"Did owning the rails beat owning the coin? {answer}: {wins} of {len(rails)} rails strategies beat "
        f"{coin} on at least two of CAGR, Sharpe and worst listed crisis ({numbers(coin, coin_worst)}; "
        f"the best rails strategy by Sharpe, {numbers(best, worst[best][0])})."
    )


def distinct_windows(windows: list[Crisis]) -> list[Crisis]:
    """Windows with distinct dates: a computed drawdown that repeats a listed crisis is not a second one."""
    distinct: dict[tuple, Crisis] = {}
    for window in windows:
        distinct.setdefault((window.start, window.end), window)
    return list(distinct.values())


def docstring_html(text: str) -> Markup:
    """A docstring as a reader sees it: escaped, with reStructuredText's ``literal`` shown as code, not
    as double backticks."""
    escaped = str(escape(text))
    return Markup(re.sub(r"``(.+?)``", r"<code>\1</code>", escaped))


def safe_json(text: str) -> Markup:
    """JSON that cannot close its <script> element or open a comment, whatever strings it holds."""
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return Markup(text)


def format_value(value, kind: str = "num") -> str:
    """Percent with one decimal, or a number with two; an em dash for missing. A loss too small to show
    reads 0.0%, not -0.0%."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if kind == "int":
        return f"{int(value):d}"
    text = f"{value:.1%}" if kind == "pct" else f"{value:.2f}"
    return text.removeprefix("-") if float(text.rstrip("%")) == 0 else text


def format_params(params: dict) -> str:
    """``rebalance=monthly, weights={SPY: 0.6, TLT: 0.4}``: as a reader writes them, floats short."""
    return ", ".join(f"{key}={_short(value)}" for key, value in (params or {}).items())


def _short(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def metric_table(metrics: pd.DataFrame, benchmark: str) -> dict:
    """Header and rows for the sortable table, with the best and worst value per column flagged.

    The benchmark takes no part in the beta and correlation ranking: its 1.00 against itself says nothing.
    A metric with bootstrap interval columns (``<metric>_ci_low``, ``_ci_high``) shows it under its value.
    """
    columns = []
    for column in metrics.columns:
        if not pd.api.types.is_numeric_dtype(metrics[column]) or "_ci_" in column:
            continue
        label, kind, better = METRIC_FORMATS.get(column, (column.replace("_", " ").capitalize(), "num", 0))
        values = metrics[column].astype(float)
        if column in ("beta", "correlation"):
            values = values.drop(index=benchmark, errors="ignore")
        best = worst = None
        if better and values.notna().sum() > 1:
            best, worst = (
                (values.idxmax(), values.idxmin()) if better > 0 else (values.idxmin(), values.idxmax())
            )
        columns.append(
            {"key": column, "label": label, "kind": kind, "better": better, "best": best, "worst": worst}
        )
    rows = []
    for strategy, values in metrics.iterrows():
        cells = []
        for col in columns:
            value = values[col["key"]]
            mark = "best" if strategy == col["best"] else "worst" if strategy == col["worst"] else ""
            sort = "" if pd.isna(value) else repr(float(value))
            cell = {"text": format_value(value, col["kind"]), "sort": sort, "mark": mark, "ci": ""}
            low, high = (values.get(f"{col['key']}_ci_{end}", math.nan) for end in ("low", "high"))
            if pd.notna(low) and pd.notna(high):
                cell["ci"] = f"{format_value(low, col['kind'])} to {format_value(high, col['kind'])}"
            cells.append(cell)
        rows.append({"strategy": strategy, "cells": cells})
    return {"columns": columns, "rows": rows}


def crisis_heatmap(crises: pd.DataFrame, windows: list[Crisis], benchmark: str | None = None) -> dict:
    """Windows as rows, strategies as columns (the benchmark first); each cell has return, max drawdown,
    recovery, a heat color and a tooltip that says what the numbers measure."""
    strategies = list(dict.fromkeys(crises["strategy"]))
    if benchmark in strategies:
        strategies.insert(0, strategies.pop(strategies.index(benchmark)))
    # a computed drawdown that is exactly a listed window says so, rather than look like a second crisis
    listed = {(w.start, w.end): w.name for w in windows if not w.computed}
    by_key = {(r["window"], r["strategy"]): r for r in crises.to_dict("records")}
    rows = []
    for window in windows:
        cells = []
        for strategy in strategies:
            row = by_key[(window.id, strategy)]
            ret = row["return"]
            if pd.isna(ret):
                cells.append({"empty": True})
                continue
            recovery = "never" if pd.isna(row["recovery_days"]) else f"{int(row['recovery_days'])}d"
            cells.append(
                {
                    "empty": False,
                    "ret": format_value(ret, "pct"),
                    "dd": format_value(row["max_drawdown"], "pct"),
                    "rec": recovery,
                    "style": heat_style(ret),
                    "title": _cell_title(strategy, window, ret, row["max_drawdown"], recovery),
                }
            )
        rows.append({"window": window, "cells": cells, "same_as": listed.get((window.start, window.end))})
    columns = [{"id": sid, "short": abbreviate(sid)} for sid in strategies]
    return {"strategies": strategies, "columns": columns, "rows": rows}


def _cell_title(strategy: str, window: Crisis, ret: float, drawdown: float, recovery: str) -> str:
    """Recovery counts to the high *before* the window, which can be far above the window's start: a 0.0%
    window can still show hundreds of days."""
    regained = "never regained" if recovery == "never" else f"regained {recovery[:-1]} trading days after"
    return (
        f"{strategy} in {window.name}: {format_value(ret, 'pct')} from first to last close, max drawdown "
        f"{format_value(drawdown, 'pct')} inside the window. Its high before the window was {regained} "
        "(that high can predate the window by far, so a flat window can still take long to recover)."
    )


def abbreviate(name: str, longest: int = 7) -> str:
    """A column header that fits a narrow column: words longer than ``longest`` cut, with a period
    ("tokeni._financ."); the page shows the full name on hover."""
    return "_".join(word if len(word) <= longest else word[: longest - 1] + "." for word in name.split("_"))


def heat_style(value: float, scale: float = 0.35) -> str:
    """Background from red (loss) through white to green (gain), saturating at ``scale``."""
    strength = min(abs(value) / scale, 1.0)
    red, green = (228, 87, 86), (84, 162, 75)
    r, g, b = red if value < 0 else green
    mix = [round(255 + (c - 255) * strength) for c in (r, g, b)]
    text = "#fff" if strength > 0.65 else "#1a1a1a"
    return f"background:rgb({mix[0]},{mix[1]},{mix[2]});color:{text}"
