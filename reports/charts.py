"""Plotly figures for the dashboard. Each function takes plain frames and returns a figure; no computation
lives here beyond what a chart needs (drawdown from equity, for instance)."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from infrabt.engine.crises import Crisis
from infrabt.engine.result import growth_of_one
from infrabt.reports.colors import BENCHMARK_COLOR, PALETTE
from infrabt.reports.thesis import BTC, GOLD, WINDOW, Thesis

TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 11}}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    settings = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
        "font": {"family": FONT, "size": 12, "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.12, "x": 0, "font": {"size": 11}},
    }
    fig.update_layout(**{**settings, **extra})
    fig.update_xaxes(showgrid=True, gridcolor="#eee", linecolor="#ccc", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", linecolor="#ccc", zerolinecolor="#bbb")
    return fig


def for_phones(fig: go.Figure, layout: dict | None = None, traces: list[dict] | None = None) -> go.Figure:
    """What the page changes in ``fig`` on a screen at most 700 px wide (it reads ``layout.meta.narrow``):
    ``layout`` merged into the figure's layout, ``traces[n]`` into its n-th trace. Adds to earlier calls."""
    narrow = dict((fig.layout.meta or {}).get("narrow", {}))
    narrow["layout"] = {**narrow.get("layout", {}), **(layout or {})}
    narrow["traces"] = traces or narrow.get("traces", [])
    return fig.update_layout(meta={"narrow": narrow})


def _dates(index: pd.Index) -> np.ndarray:
    """ISO day strings: a third the size of the nanosecond timestamps plotly writes for a DatetimeIndex. An
    array, not a list: plotly validates a list item by item (1.5 s for the equity chart's 30 lines)."""
    return pd.DatetimeIndex(index).strftime("%Y-%m-%d").to_numpy(dtype="U10")


def _values(series: pd.Series):
    """float32 is plenty for a line on a screen and halves the page's embedded data."""
    return series.to_numpy(dtype="float32")


def equity_and_drawdown(equity: pd.DataFrame, benchmark: str, colors: dict[str, str]) -> go.Figure:
    """Growth of 1 (log scale) above drawdown from the running high; a legend click toggles both lines."""
    growth = growth_of_one(equity)
    drawdown = growth / growth.cummax() - 1
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.04)
    days = _dates(equity.index)
    traces, rows = [], []
    for name in equity.columns:
        style = {"color": colors[name], "width": 2.2 if name == benchmark else 1.4}
        if name == benchmark:
            style["dash"] = "dot"
        common = {"x": days, "name": name, "legendgroup": name, "line": style, "mode": "lines"}
        traces.append(go.Scatter(y=_values(growth[name]), hovertemplate="%{y:.2f}", **common))
        falls = go.Scatter(y=_values(drawdown[name]), showlegend=False, hovertemplate="%{y:.1%}", **common)
        traces.append(falls)
        rows += [1, 2]
    fig.add_traces(traces, rows=rows, cols=[1] * len(rows))  # at once: each add_trace revalidates the figure
    fig.update_yaxes(type="log", title_text="growth of 1 (log)", row=1, col=1, **_log_ticks(growth))
    fig.update_yaxes(tickformat=".0%", title_text="drawdown", row=2, col=1)
    return _layout(fig, 620, legend={"orientation": "h", "y": -0.08, "x": 0, "font": {"size": 11}})


def _log_ticks(values: pd.DataFrame) -> dict:
    """1-2-5 ticks labelled as multiples ("0.5x", "10x"): plotly's default log labels repeat bare digits."""
    low, high = float(values.min().min()), float(values.max().max())
    steps = (1, 2, 5) if high / low > 20 else (1, 1.5, 2, 3, 5, 7)  # a narrow range needs finer steps
    ticks = [m * 10.0**e for e in range(-4, 5) for m in steps if low / 1.5 <= m * 10.0**e <= high * 1.5]
    return {"tickvals": ticks, "ticktext": [f"{t:g}x" for t in ticks]}


ROLLING_HEIGHT, LEGEND_ROW_PX = 440, 19
PHONE_HALF_ROW_CHARS = 15
"""Legend characters (9 px type) beside a 30 px line sample in half the plot of a 320 px screen (~110 px)."""


def rolling_chart(
    rolling: pd.DataFrame, windows: list[Crisis], colors: dict[str, str], title: str, y_range=None
) -> go.Figure:
    """A rolling statistic per series with the crisis windows shaded; BTC drawn bold, strategies thin.

    Drawn weekly (every 5th value): a 63-day window barely moves in a week, and the page stays light.
    """
    rolling = rolling.dropna(how="all").iloc[::-5].iloc[::-1]
    days = _dates(rolling.index)
    traces = []
    for name in rolling.columns:
        bold = name in (BTC, GOLD)
        line = {
            "color": colors[name],
            "width": 2.4 if bold else 1.1,
            "dash": "dash" if name == GOLD else "solid",
        }
        traces.append(
            go.Scatter(
                x=days,
                y=_values(rolling[name]),
                name=name,
                mode="lines",
                line=line,
                opacity=1.0 if bold else 0.75,
                visible=True if bold or len(rolling.columns) <= 4 else "legendonly",
                hovertemplate="%{y:.2f}",
            )
        )
    fig = go.Figure(traces)
    fig.update_yaxes(title_text=title, range=y_range)
    _layout(fig, ROLLING_HEIGHT)
    shade_windows(fig, windows, rolling.index[0], rolling.index[-1])
    # a phone: the legend's names two a row when the longest fits half the plot of a 320 px screen, else one
    # a row, and the figure taller by its rows. It was a scroll box that showed 10 of 16 names; then two a
    # row ran "tokenization_financials" 12 px past the figure on a 360 px screen (31 on a 320 px one)
    per_row = 2 if max(len(str(name)) for name in rolling.columns) <= PHONE_HALF_ROW_CHARS else 1
    rows = -(-len(rolling.columns) // per_row)
    legend = {"font": {"size": 9}, "entrywidth": 1 / per_row, "entrywidthmode": "fraction", "itemwidth": 30}
    return for_phones(fig, {"height": ROLLING_HEIGHT + LEGEND_ROW_PX * rows, "legend": legend})


WIDE_PLOT_PX, NARROW_PLOT_PX = 900, 260
"""Plot widths the crisis labels are laid out for: a laptop's card, and a phone's (the page picks one)."""
LABEL_CHAR_PX, LABEL_ROW_PX = 5.6, 13


def shade_windows(fig: go.Figure, windows: list[Crisis], first: pd.Timestamp, last: pd.Timestamp) -> None:
    """Red bands for crisis windows, labelled above the plot on as many rows as keep the labels apart.

    Wide screens get the windows' ids; phones (``for_phones``) get their numbers, with the ids in the hover
    and in a key under the chart.
    """
    days = max((last - first).days, 1)
    wide = _labels(windows, [w.id for w in windows], days / WIDE_PLOT_PX)
    narrow = _labels(windows, [str(n) for n in range(1, len(windows) + 1)], days / NARROW_PLOT_PX)
    bands = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": w.start, "x1": w.end, "y0": 0, "y1": 1,
         "fillcolor": "#e45756", "opacity": 0.12, "line": {"width": 0}, "layer": "below"}
        for w in windows
    ]  # fmt: skip  # one layout update, not one add_vrect per window (each revalidates the whole figure)
    fig.update_layout(shapes=bands, annotations=wide, margin={"t": _top_margin(wide)})
    for_phones(fig, {"annotations": narrow, "margin": {"t": _top_margin(narrow)}})


def _labels(windows: list[Crisis], texts: list[str], days_per_px: float) -> list[dict]:
    """One annotation per window over its middle; each takes the lowest row where it overlaps no other."""
    row_ends: list[pd.Timestamp] = []
    labels = []
    for window, text in sorted(zip(windows, texts, strict=True), key=lambda pair: pair[0].start):
        middle = window.start + (window.end - window.start) / 2
        half = pd.Timedelta(days=(len(text) * LABEL_CHAR_PX + 6) * days_per_px / 2)
        row = next((n for n, end in enumerate(row_ends) if end < middle - half), len(row_ends))
        if row == len(row_ends):
            row_ends.append(middle + half)
        row_ends[row] = middle + half
        labels.append(
            {
                "x": middle, "y": 1.0, "yref": "paper", "yanchor": "bottom", "yshift": row * LABEL_ROW_PX,
                "text": text, "showarrow": False, "font": {"size": 9, "color": "#a33"},
                "hovertext": f"{window.name}: {window.start.date()} to {window.end.date()}",
            }
        )  # fmt: skip
    return labels


def _top_margin(labels: list[dict]) -> int:
    """Room above the plot for the labels' rows."""
    return 24 + max((label["yshift"] for label in labels), default=0) + LABEL_ROW_PX


def betas_chart(betas: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Downside against upside beta, one pair of bars per series."""
    betas = betas.dropna(how="all")
    fig = go.Figure()
    fig.add_trace(go.Bar(y=betas.index, x=betas.downside_beta, name="downside beta", orientation="h",
                         marker_color="#e45756", hovertemplate="%{x:.2f}"))  # fmt: skip
    fig.add_trace(go.Bar(y=betas.index, x=betas.upside_beta, name="upside beta", orientation="h",
                         marker_color="#54a24b", hovertemplate="%{x:.2f}"))  # fmt: skip
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig.update_xaxes(title_text="beta")
    height = max(260, 46 * len(betas) + 90)
    return _layout(fig, height, barmode="group", hovermode="y unified", legend=TOP_LEGEND)


def havens_chart(havens: pd.DataFrame, windows: list[Crisis], colors: dict[str, str]) -> go.Figure:
    """Gold, BTC and the benchmark side by side in each crisis window."""
    names = {w.id: w.name for w in windows}
    fig = go.Figure()
    for column in havens.columns:
        fig.add_trace(
            go.Bar(
                x=[names.get(i, i) for i in havens.index],
                y=havens[column],
                name=column,
                marker_color=colors.get(column, BENCHMARK_COLOR),
                hovertemplate="%{y:.1%}",
            )
        )
    fig.update_yaxes(tickformat=".0%", title_text="return in window")
    fig.update_xaxes(tickangle=-30)
    return _layout(fig, 440, barmode="group", legend=TOP_LEGEND)


def correlation_matrix(returns: pd.DataFrame) -> go.Figure:
    """Pairwise correlation of daily strategy returns, on the days both have data."""
    corr = returns.corr()
    fig = go.Figure(
        go.Heatmap(
            z=corr.to_numpy(),
            x=list(corr.columns),
            y=list(corr.index),
            zmin=-1,
            zmax=1,
            colorscale="RdBu_r",
            text=corr.round(2).to_numpy(),
            texttemplate="%{text:.2f}",
            textfont={"size": 10},
            hovertemplate="%{y} / %{x}: %{z:.2f}<extra></extra>",
            colorbar={"thickness": 12},
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, automargin=True)
    fig.update_xaxes(tickangle=-35, showgrid=False, automargin=True)
    size = max(400, 34 * len(corr) + 220)
    _layout(fig, size, hovermode="closest", margin={"l": 20, "r": 20, "t": 20, "b": 20})
    # a phone has ~16 px a cell: no numbers (a tap shows one), upright labels, the colour bar on top
    small = {"size": 9}
    phone = {
        "height": max(300, 17 * len(corr) + 240),
        "margin": {"t": 50},
        "xaxis": {"tickangle": -90, "tickfont": small},
        "yaxis": {"tickfont": small},
    }
    bar = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.01, "yanchor": "bottom", "thickness": 10}
    return for_phones(fig, phone, [{"texttemplate": "", "colorbar": bar}])


def coverage_chart(prices: pd.DataFrame, groups: dict[str, str]) -> go.Figure:
    """One bar per ticker over the days it had a price: which assets could be held when."""
    fig = go.Figure()
    group_colors = dict(zip(sorted(set(groups.values())), PALETTE, strict=False))
    shown: set[str] = set()
    for ticker in prices.columns:
        live = prices[ticker].notna()
        if not live.any():
            continue
        x, y = [], []
        for segment in _segments(live):
            x += [segment[0], segment[1], None]
            y += [ticker, ticker, None]
        group = groups.get(ticker, "other")
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines", name=group, legendgroup=group, showlegend=group not in shown,
                line={"color": group_colors.get(group, "#999"), "width": 9},
                hovertemplate=f"{ticker}: %{{x}}<extra>{group}</extra>",
            )
        )  # fmt: skip
        shown.add(group)
    fig.update_yaxes(autorange="reversed", showgrid=False, tickfont={"size": 10})
    height = max(240, 18 * len(prices.columns) + 110)
    margin = {"l": 80, "r": 20, "t": 40, "b": 30}
    return _layout(fig, height, hovermode="closest", margin=margin, legend=TOP_LEGEND)


def _segments(live: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of consecutive live days as (first, last) pairs."""
    run = (live != live.shift()).cumsum()
    return [(days.index[0], days.index[-1]) for _, days in live[live].groupby(run[live])]


def thesis_charts(thesis: Thesis, windows: list[Crisis], colors: dict[str, str]) -> dict[str, go.Figure]:
    """The four thesis figures, keyed like ``Thesis.sentences``; left out when their data is empty."""
    charts = {}
    if not thesis.correlation.dropna(how="all").empty:
        label = f"{WINDOW}-day correlation"
        charts["correlation"] = rolling_chart(thesis.correlation, windows, colors, label, [-1, 1])
        charts["beta"] = rolling_chart(thesis.beta, windows, colors, f"{WINDOW}-day beta")
    if not thesis.betas.dropna(how="all").empty:
        charts["betas"] = betas_chart(thesis.betas, colors)
    if not thesis.havens.empty:
        charts["havens"] = havens_chart(thesis.havens, windows, colors)
    return charts
