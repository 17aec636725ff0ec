"""Figures of the tested thesis: the miners' rolling loadings with the halving marked, and where each
strategy's return and risk came from, by sleeve. Plain frames in, plotly figures out (styled as charts.py)."""

import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from infrabt.reports.attribution import COSTS
from infrabt.reports.charts import PALETTE, TOP_LEGEND, _dates, _layout, _values, for_phones
from infrabt.reports.pivot import Pivot

HALVING = pd.Timestamp("2024-04-20")
"""Bitcoin's fourth halving: the split the shipped claims file uses for the miners' pivot."""
PHONE_TITLE_CHARS = 24  # an axis title's line on a phone (12 px type, ~160 px of plot on a 320 px screen)
SLEEVE_COLORS = {
    "miners": "#b279a2",
    "gpu_datacenter": "#4c78a8",
    "tokenization": "#54a24b",
    "crypto": "#f7931a",
    "benchmark": "#555555",
    "other": "#9d755d",
    COSTS: "#c62828",
}


def pivot_chart(pivot: Pivot) -> go.Figure:
    """Rolling loadings on each factor, one panel per factor: the basket bold, each member thin (legend)."""
    factors = list(pivot.test.factors)
    fig = make_subplots(rows=len(factors), cols=1, shared_xaxes=True, vertical_spacing=0.05)
    colors = iter(PALETTE * 3)
    for name, loadings in pivot.rolling.items():
        basket = name == pivot.test.asset
        if loadings.empty:
            continue
        weekly = loadings.iloc[::-5].iloc[::-1]  # a year-long window barely moves in a week
        line = {"color": "#1d2330" if basket else next(colors), "width": 2.6 if basket else 1.1}
        for row, factor in enumerate(factors, start=1):
            fig.add_trace(
                go.Scatter(
                    x=_dates(weekly.index), y=_values(weekly[factor]), mode="lines", line=line,
                    name=f"{name} (basket)" if basket else name, legendgroup=name, showlegend=row == 1,
                    visible=True if basket else "legendonly", hovertemplate="%{y:.2f}",
                ),
                row=row, col=1,
            )  # fmt: skip
    split = pivot.test.start
    label = "halving" if split == HALVING else "split"
    fig.add_vline(x=split, line={"color": "#c62828", "dash": "dash", "width": 1.5})
    fig.add_annotation(x=split, y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                       text=f"{label} {split.date()}", font={"size": 10, "color": "#c62828"})  # fmt: skip
    for row, factor in enumerate(factors, start=1):
        fig.update_yaxes(title_text=f"on {factor}", automargin=True, row=row, col=1)
    return _layout(fig, 600, legend={"orientation": "h", "y": -0.1, "x": 0, "font": {"size": 11}})


def contribution_chart(table: pd.DataFrame, measure: str, label: str) -> go.Figure:
    """Stacked horizontal bars: each strategy's total split by sleeve (and trading costs)."""
    rows = table[table.measure == f"{measure}_sleeve"]
    wide = rows.pivot_table(index="strategy", columns="item", values="value", aggfunc="sum", sort=False)
    fig = go.Figure()
    for sleeve in wide.columns:
        fig.add_trace(
            go.Bar(
                y=list(wide.index), x=wide[sleeve], name=sleeve, orientation="h",
                marker_color=SLEEVE_COLORS.get(sleeve, "#999"),
                hovertemplate=f"{sleeve}: %{{x:.1%}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11}, automargin=True)
    fig.update_xaxes(title_text=label, tickformat=".0%")
    height = max(300, 26 * len(wide) + 120)
    _layout(fig, height, barmode="relative", hovermode="y unified", legend=TOP_LEGEND)
    # on a phone the plot beside the names is ~200 px: a long title on one line was cut off at the right
    title = {"text": "<br>".join(textwrap.wrap(label, PHONE_TITLE_CHARS))}
    return for_phones(fig, {"xaxis": {"title": title, "automargin": True}})
