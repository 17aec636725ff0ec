"""DIR/sweep.html: what a parameter sweep found, and how much of it is luck.

The page leads with how many variants were tried and the whole distribution (the best of 10,000 random
portfolios looks good by construction), then a heatmap of two parameters, a line per parameter, the
volatility vs return cloud coloured by Sharpe, the top variants with in- and out-of-sample columns,
walk-forward folds, and links to tear sheets of the top few. Offline: plotly.js is written once beside the
page (no CDN); every name reaches the page through Jinja's autoescape or ``reports.dashboard.safe_json``.
It only reads the sweep's results: nothing is recomputed here.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from infrabt.data.files import write_text

# the dashboard's Jinja environment: same templates folder, autoescape, and the `fmt` filter
from infrabt.reports.dashboard import _environment, safe_json

PLOTLY_FILE = "plotly.min.js"
TOP_N = 20
SELECTABLE = {"sharpe": "Sharpe", "cagr": "CAGR", "max_drawdown": "Max drawdown"}
TABLE_COLUMNS = {
    # column: (label, format)
    "cagr": ("CAGR", "pct"),
    "volatility": ("Volatility", "pct"),
    "sharpe": ("Sharpe", "num"),
    "sortino": ("Sortino", "num"),
    "max_drawdown": ("Max DD", "pct"),
    "calmar": ("Calmar", "num"),
    "is_sharpe": ("Sharpe in", "num"),
    "is_cagr": ("CAGR in", "pct"),
    "oos_sharpe": ("Sharpe out", "num"),
    "oos_cagr": ("CAGR out", "pct"),
    "oos_max_drawdown": ("Max DD out", "pct"),
}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "height": 430}


def write_sweep_report(
    result, *, top_returns: pd.DataFrame | None = None, benchmark: pd.Series | None = None, top_n: int = TOP_N
) -> Path:
    """Write ``sweep.html`` (and ``plotly.min.js``, tear sheets of ``top_returns``) into the sweep's folder.

    ``result`` is a ``SweepResult``; ``top_returns`` the daily returns of the variants to give a full tear
    sheet (against ``benchmark``), usually the top few by ``result.rank_by``.
    """
    out = Path(result.out_dir)
    write_plotly_js(out)
    tearsheets, tearsheet_errors = write_tearsheets(result, top_returns, benchmark, out)
    results = result.results
    params = [c for c in result.param_columns if c in results.columns]
    page = {
        "spec": result.spec,
        "result": result,
        "summary": summary_facts(result),
        "top": top_rows(result, params, top_n, tearsheets),
        "top_columns": [(c, *TABLE_COLUMNS[c]) for c in TABLE_COLUMNS if c in results.columns],
        "params": [display_name(p) for p in shown_params(params)],
        "folds": walk_forward_rows(result),
        "crises": crisis_rows(result),
        "tearsheet_errors": tearsheet_errors,
    }
    figures = {name: safe_json(fig.to_json()) for name, fig in figures_for(result, params).items()}
    html = (
        _environment().get_template("sweep.html.j2").render(page=page, figures=figures, plotly_js=PLOTLY_FILE)
    )
    return write_text(out / "sweep.html", html)


def write_plotly_js(out: Path) -> None:
    """plotly.js once beside the page (4.6 MB), rewritten only when the installed plotly differs."""
    from plotly.offline import get_plotlyjs

    code = get_plotlyjs()
    path = out / PLOTLY_FILE
    if not path.is_file() or path.stat().st_size != len(code.encode()):
        write_text(path, code)


def write_tearsheets(result, top_returns, benchmark, out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Tear sheets for the given variants, in parallel: ({variant: relative link}, {variant: error})."""
    if top_returns is None or top_returns.empty or benchmark is None:
        return {}, {}
    from infrabt.reports.tearsheet import finish_tearsheets, start_tearsheets, tearsheet_filename

    # one sheet per variant against the benchmark; never one for the benchmark itself (nothing links it)
    bench = benchmark.reindex(top_returns.index).fillna(0.0).rename(str(benchmark.name))
    variants = top_returns.rename(columns=str)
    jobs = start_tearsheets(variants, bench, out / "tearsheets", result.periods_per_year)
    errors = finish_tearsheets(*jobs, progress=False)
    links = {
        str(v): f"tearsheets/{tearsheet_filename(str(v))}" for v in top_returns.columns if v not in errors
    }
    return links, errors


def summary_facts(result) -> dict:
    """The honesty paragraph's numbers: how many tried, the spread, and how the in-sample winner did later."""
    results = result.results
    sharpe = results["sharpe"].dropna()
    facts = {
        "variants": len(results),
        "sharpe_median": sharpe.median() if len(sharpe) else np.nan,
        "sharpe_p05": sharpe.quantile(0.05) if len(sharpe) else np.nan,
        "sharpe_p95": sharpe.quantile(0.95) if len(sharpe) else np.nan,
        "sharpe_best": sharpe.max() if len(sharpe) else np.nan,
        "split": None,
    }
    if result.split is not None and results["is_sharpe"].notna().any():
        winner = results.loc[results["is_sharpe"].idxmax()]
        oos = results["oos_sharpe"]
        facts["split"] = {
            "date": result.split.date().isoformat(),
            "winner": winner.name,
            "winner_is_sharpe": winner["is_sharpe"],
            "winner_oos_sharpe": winner["oos_sharpe"],
            "winner_oos_rank": int((oos > winner["oos_sharpe"]).sum()) + 1,
            "oos_median": oos.median(),
            "rank_correlation": results["is_sharpe"].corr(oos, method="spearman"),
        }
    return facts


def top_rows(result, params: list[str], top_n: int, tearsheets: dict[str, str]) -> list[dict]:
    top = result.top(top_n)
    rows = []
    for rank, (variant, row) in enumerate(top.iterrows(), start=1):
        rows.append(
            {
                "rank": rank,
                "variant": str(variant),
                # from the column, not the row: a row of mixed types turns integer lookbacks into floats
                "params": [describe_param(p, top.at[variant, p]) for p in shown_params(params)],
                "weights": describe_weights(row, params),
                "values": {c: row[c] for c in TABLE_COLUMNS if c in row.index},
                "tearsheet": tearsheets.get(str(variant)),
            }
        )
    return rows


def shown_params(params: list[str]) -> list[str]:
    """Random-weight sweeps have a weight column per ticker: shown as one 'largest weights' cell instead."""
    return [p for p in params if not p.startswith("w_")]


def display_name(param: str) -> str:
    return param.replace("_", " ")


def describe_param(name: str, value) -> str:
    if isinstance(value, float) and name in ("btc_share", "fees", "slippage", "tolerance"):
        return f"{value:.0%}" if name == "btc_share" else f"{value:.2%}"
    return str(value)


def describe_weights(row: pd.Series, params: list[str], count: int = 4) -> str:
    weights = {p.removeprefix("w_"): row[p] for p in params if p.startswith("w_")}
    if not weights:
        return ""
    largest = sorted(weights.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{ticker} {weight:.0%}" for ticker, weight in largest)


def walk_forward_rows(result) -> list[dict]:
    """Per fold: the in-sample winner and what it did in the next window, beside the median variant."""
    rows = []
    results = result.results
    for k, (begin, cut, stop) in enumerate(result.folds, start=1):
        in_sample, out_sample = results[f"wf{k}_is_sharpe"], results[f"wf{k}_oos_sharpe"]
        if not in_sample.notna().any():
            continue
        winner = in_sample.idxmax()
        rows.append(
            {
                "fold": k,
                "in_sample": f"{begin.date()} .. {cut.date()}",
                "out_sample": f"{cut.date()} .. {min(stop, result.end).date()}",
                "winner": str(winner),
                "winner_is_sharpe": in_sample[winner],
                "winner_oos_sharpe": out_sample[winner],
                "winner_oos_return": results.loc[winner, f"wf{k}_oos_total_return"],
                "median_oos_return": results[f"wf{k}_oos_total_return"].median(),
                "winner_oos_rank": int((out_sample > out_sample[winner]).sum()) + 1,
            }
        )
    return rows


def crisis_rows(result, count: int = 5) -> dict:
    """Crisis-window returns of the top few variants, beside the median and the worst of all variants."""
    columns = [c for c in result.results.columns if c.startswith("crisis_")]
    if not columns:
        return {}
    top = result.top(count)
    rows = [{"label": str(v), "values": [top.loc[v, c] for c in columns]} for v in top.index]
    rows.append({"label": "median of all", "values": [result.results[c].median() for c in columns]})
    rows.append({"label": "worst of all", "values": [result.results[c].min() for c in columns]})
    return {"windows": [c.removeprefix("crisis_") for c in columns], "rows": rows}


# --- figures -----------------------------------------------------------------------------------------------


def figures_for(result, params: list[str]) -> dict[str, go.Figure]:
    results = result.results
    shown = shown_params(params)
    figures = {"distribution": distribution_figure(results, result.split is not None)}
    if len(shown) >= 2:
        figures["heatmap"] = heatmap_figure(results, shown[0], shown[1])
    if shown:
        line = line_figure(results, shown)
        if line is not None:
            figures["line"] = line
    figures["cloud"] = cloud_figure(results)
    if result.split is not None:
        figures["overfit"] = overfit_figure(results)
    return figures


def distribution_figure(results: pd.DataFrame, has_split: bool) -> go.Figure:
    """Histogram of every variant's Sharpe (and in/out-of-sample Sharpe with a split): the whole crowd."""
    fig = go.Figure()
    columns = [("sharpe", "whole period")]
    if has_split:
        columns += [("is_sharpe", "in-sample"), ("oos_sharpe", "out-of-sample")]
    for column, label in columns:
        fig.add_histogram(x=_clean(results[column]), name=label, opacity=0.6, nbinsx=60)
    fig.update_layout(barmode="overlay", xaxis_title="Sharpe ratio", yaxis_title="variants", **_LAYOUT)
    return fig


def heatmap_figure(results: pd.DataFrame, x: str, y: str) -> go.Figure:
    """Two parameters, one cell each; other parameters (if any) are summarized by their best variant.

    A dropdown switches between Sharpe, CAGR and max drawdown.
    """
    fig = go.Figure()
    for n, (metric, label) in enumerate(SELECTABLE.items()):
        table = results.pivot_table(index=y, columns=x, values=metric, aggfunc="max", sort=True)
        fig.add_heatmap(
            x=[_label(v) for v in table.columns],
            y=[_label(v) for v in table.index],
            z=_clean(table.to_numpy()),
            colorscale="RdYlGn",
            colorbar={"title": label},
            visible=n == 0,
            name=label,
            hovertemplate=(
                f"{display_name(x)} %{{x}}<br>{display_name(y)} %{{y}}<br>{label} %{{z:.3f}}<extra></extra>"
            ),
        )
    fig.update_layout(
        xaxis_title=display_name(x),
        yaxis_title=display_name(y),
        updatemenus=[_metric_menu(len(SELECTABLE))],
        **_LAYOUT,
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def line_figure(results: pd.DataFrame, params: list[str]) -> go.Figure | None:
    """The metric along the first numeric parameter, one line per value of the others (at most 12 lines)."""
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(results[p])]
    if not numeric:
        return None
    x, others = numeric[0], [p for p in params if p != numeric[0]]
    groups = list(results.groupby(others, sort=True)) if others else [((), results)]
    if len(groups) > 12:
        return None
    fig = go.Figure()
    for n, (metric, label) in enumerate(SELECTABLE.items()):
        for key, group in groups:
            group = group.sort_values(x)
            keys = key if isinstance(key, tuple) else (key,)
            name = (
                ", ".join(f"{display_name(p)} {_label(v)}" for p, v in zip(others, keys, strict=True))
                or label
            )
            fig.add_scatter(
                x=group[x].tolist(), y=_clean(group[metric]), mode="lines+markers", name=name, visible=n == 0
            )
    fig.update_layout(
        xaxis_title=display_name(x),
        yaxis_title=next(iter(SELECTABLE.values())),
        updatemenus=[_metric_menu(len(SELECTABLE), per_metric=len(groups))],
        **_LAYOUT,
    )
    return fig


def cloud_figure(results: pd.DataFrame) -> go.Figure:
    """Volatility vs CAGR of every variant, coloured by Sharpe."""
    marker = {
        "color": _clean(results["sharpe"]),
        "colorscale": "Viridis",
        "colorbar": {"title": "Sharpe"},
        "size": 5 if len(results) < 2000 else 3,
        "opacity": 0.8,
    }
    fig = _variant_scatter(results, "volatility", "cagr", marker, ("volatility %{x:.1%}", "CAGR %{y:.1%}"))
    fig.update_layout(xaxis_title="volatility (annualized)", yaxis_title="CAGR")
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(tickformat=".0%")
    return fig


def overfit_figure(results: pd.DataFrame) -> go.Figure:
    """In-sample vs out-of-sample Sharpe per variant: a flat cloud means the in-sample ranking was luck."""
    marker = {"size": 4, "opacity": 0.6}
    fig = _variant_scatter(results, "is_sharpe", "oos_sharpe", marker, ("in-sample %{x:.2f}", "out %{y:.2f}"))
    fig.update_layout(xaxis_title="Sharpe before the split", yaxis_title="Sharpe after the split")
    return fig


def _variant_scatter(
    results: pd.DataFrame, x: str, y: str, marker: dict, hover: tuple[str, str]
) -> go.Figure:
    """One point per variant, named on hover (WebGL, so 100,000 points stay responsive)."""
    fig = go.Figure()
    fig.add_scattergl(
        x=_clean(results[x]),
        y=_clean(results[y]),
        mode="markers",
        marker=marker,
        text=[str(v) for v in results.index],
        hovertemplate=f"%{{text}}<br>{hover[0]}<br>{hover[1]}<extra></extra>",
    )
    fig.update_layout(**_LAYOUT)
    return fig


def _metric_menu(n_metrics: int, per_metric: int = 1) -> dict:
    buttons = []
    for n, label in enumerate(SELECTABLE.values()):
        visible = [m == n for m in range(n_metrics) for _ in range(per_metric)]
        buttons.append({"label": label, "method": "update", "args": [{"visible": visible}]})
    return {"buttons": buttons, "direction": "down", "x": 0.0, "y": 1.15, "xanchor": "left", "yanchor": "top"}


def _clean(values) -> list:
    """JSON-safe: NaN and inf become gaps (None)."""
    array = np.asarray(values, dtype=float)
    listed = array.tolist() if array.ndim else [float(array)]
    return _nulls(listed)


def _nulls(values: list) -> list:
    return [_nulls(v) if isinstance(v, list) else (v if np.isfinite(v) else None) for v in values]


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
