"""DIR/sweep.html: what a parameter sweep found, and how much of it is luck.

The page leads with what the sweep's luck costs (deflated Sharpe ratio, PBO, and a one-line verdict: the best
of 10,000 random portfolios looks good by construction) and the whole distribution, then a heatmap of two
parameters, a line per parameter, the volatility vs return cloud coloured by Sharpe, the top variants with in-
and out-of-sample columns, walk-forward folds, and links to tear sheets of the top few.

Offline and self-contained: plotly.js is inlined, the same rule as the dashboard (``reports.dashboard``). The
page stays small at any sweep size: histograms are binned here, a cloud of up to ``SVG_POINTS`` points is
drawn as SVG, up to ``DENSITY_POINTS`` with WebGL, and beyond that as a density (2-D histogram) with the top
variants drawn on top. Every name reaches the page through Jinja's autoescape or
``reports.dashboard.safe_json``. It only reads the sweep's results: nothing is recomputed here.
"""

import json
from functools import cache
from importlib.resources import files
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from infrabt.engine.sweeps.overfitting import all_equal
from infrabt.engine.sweeps.sweep import SweepResult, run_sweep

# the dashboard's Jinja environment (same templates folder, autoescape, the `fmt` filter) and its plotly.js
from infrabt.reports.dashboard import PLOTLY_SLOT, _environment, safe_json, write_page
from infrabt.reports.manifest import SWEEP_MANIFEST, replace_manifest

OLD_PLOTLY_FILE = "plotly.min.js"  # written beside the page by earlier versions; now inlined
TOP_N = 20
SVG_POINTS = 5_000  # below: SVG markers (no WebGL context, no software-rendering warnings)
DENSITY_POINTS = 30_000  # above: a 2-D histogram and the top variants, so the page stays a few MB
DENSITY_BINS = 80
TOP_POINTS = 200
IN_OUT_HOVER = ("in-sample %{x:.2f}", "out %{y:.2f}")  # a point's Sharpe before and after a split
# d3-format: a percentage with the decimals its tick needs (10%, 27.25%); a fixed ".0%" labelled a narrow
# range 27%, 27%, 28%, 28%
PERCENT_TICKS = "~%"
SELECTABLE = {"sharpe": "Sharpe", "cagr": "CAGR", "max_drawdown": "Max drawdown"}
RANK_LABELS = {"sharpe": "Sharpe", "is_sharpe": "in-sample Sharpe"}
TABLE_COLUMNS = {
    # column: (label, format); short labels under a header naming the period keep the table within 1400 px
    "cagr": ("CAGR", "pct"),
    "volatility": ("Volatility", "pct"),
    "sharpe": ("Sharpe", "num"),
    "sortino": ("Sortino", "num"),
    "max_drawdown": ("Max DD", "pct"),
    "calmar": ("Calmar", "num"),
    "is_sharpe": ("Sharpe", "num"),
    "is_cagr": ("CAGR", "pct"),
    "oos_sharpe": ("Sharpe", "num"),
    "oos_cagr": ("CAGR", "pct"),
    "oos_max_drawdown": ("Max DD", "pct"),
}
PERIODS = {"is": "in-sample", "oos": "out-of-sample"}  # a column's prefix: the days it was measured on
# colour scales by plotly.py's names, spelt out as plotly.py did: plotly.js knows no RdYlGn, and its own
# Viridis and Blues are other colours
COLORSCALES = {
    "RdYlGn": ("rgb(165,0,38)", "rgb(215,48,39)", "rgb(244,109,67)", "rgb(253,174,97)", "rgb(254,224,139)",
               "rgb(255,255,191)", "rgb(217,239,139)", "rgb(166,217,106)", "rgb(102,189,99)",
               "rgb(26,152,80)", "rgb(0,104,55)"),
    "Viridis": ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
                "#b5de2b", "#fde725"),
    "Blues": ("rgb(247,251,255)", "rgb(222,235,247)", "rgb(198,219,239)", "rgb(158,202,225)",
              "rgb(107,174,214)", "rgb(66,146,198)", "rgb(33,113,181)", "rgb(8,81,156)", "rgb(8,48,107)"),
}  # fmt: skip
# legends below the plot (never clipped at phone width)
_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "height": 430,
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
}
# the toolbar lies across the top margin, at the right: upright at the right edge it covered the colour bars'
# labels and the last bars of a histogram. Three buttons keep it clear of the metric menu at the top left on
# a 320 px phone (plotly.js's ten would reach it): the others repeat a drag (zoom in and out, autoscale) or a
# double-click (reset axes), or select points, which this page has no use for.
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtons": [["zoom2d", "pan2d", "toImage"]]}


def sweep(spec, out_dir: "str | Path", *, report: bool = True, **options) -> SweepResult:
    """Run a sweep (``infrabt.engine.sweeps.sweep.run_sweep``, same options) and write its page, sweep.html,
    with tear sheets of the top ``tearsheets`` variants; returns the ``SweepResult``."""
    result = run_sweep(spec, out_dir, **options)
    if report:
        result.report = write_sweep_report(
            result, top_returns=result.top_returns, benchmark=result.benchmark_returns
        )
    return result


def write_sweep_report(
    result, *, top_returns: pd.DataFrame | None = None, benchmark: pd.Series | None = None, top_n: int = TOP_N
) -> Path:
    """Write ``sweep.html`` (plotly.js inlined) and tear sheets of ``top_returns`` into the sweep's folder.

    ``result`` is a ``SweepResult``; ``top_returns`` the daily returns of the variants to give a full tear
    sheet (against ``benchmark``), usually the top few by ``result.rank_by``.
    """
    out = Path(result.out_dir)
    (out / OLD_PLOTLY_FILE).unlink(missing_ok=True)
    tearsheets, tearsheet_errors = write_tearsheets(result, top_returns, benchmark, out)
    results = result.results
    params = [c for c in result.param_columns if c in results.columns]
    top_columns = [(c, *TABLE_COLUMNS[c]) for c in TABLE_COLUMNS if c in results.columns]
    page = {
        "spec": result.spec,
        "result": result,
        "summary": summary_facts(result),
        "rank_label": RANK_LABELS.get(result.rank_by, display_name(result.rank_by)),
        "top": top_rows(result, params, top_n, tearsheets),
        "top_columns": top_columns,
        "top_periods": column_periods([column for column, *_ in top_columns]),
        "tearsheets": bool(tearsheets),
        "params": [display_name(p) for p in shown_params(params)],
        "folds": walk_forward_rows(result),
        "crises": crisis_rows(result),
        "tearsheet_errors": tearsheet_errors,
        "overfitting": result.overfitting.to_dict() if result.overfitting else None,
    }
    figures = {name: figure_json(fig) for name, fig in figures_for(result, params).items()}
    template = _environment().get_template("sweep.html.j2")
    html = template.render(
        page=page, figures=figures, config=safe_json(json.dumps(PLOT_CONFIG)), plotly_js=PLOTLY_SLOT
    )
    written = write_page(out / "sweep.html", html)
    # the tear sheets of an earlier sweep's top variants go; the page itself is sweep.json's to remove
    replace_manifest(out, [out / link for link in tearsheets.values()], name=SWEEP_MANIFEST)
    return written


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
        "all_equal": len(sharpe) > 1 and all_equal(sharpe.to_numpy()),
        "split": None,
    }
    if result.split is not None and results["is_sharpe"].notna().any():
        winner = results.loc[results["is_sharpe"].idxmax()]
        oos = results["oos_sharpe"]
        # equal scores have no ranking to correlate (scipy warns and returns NaN)
        ranked = not (all_equal(oos.to_numpy()) or all_equal(results["is_sharpe"].to_numpy()))
        facts["split"] = {
            "date": result.split.date().isoformat(),
            "winner": winner.name,
            "winner_is_sharpe": winner["is_sharpe"],
            "winner_oos_sharpe": winner["oos_sharpe"],
            "winner_oos_rank": rank_of(winner.name, results, "oos_"),
            "oos_median": oos.median(),
            "rank_correlation": results["is_sharpe"].corr(oos, method="spearman") if ranked else np.nan,
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


def column_periods(columns: list[str]) -> list[tuple[str, int]]:
    """The header over the metric columns: (period, how many columns) in order; empty when every column is
    the whole period's, since then the row would say nothing."""
    periods = [PERIODS.get(column.split("_", 1)[0], "whole period") for column in columns]
    if set(periods) <= {"whole period"}:
        return []
    return [(period, len(list(same))) for period, same in groupby(periods)]


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
                "winner_oos_rank": rank_of(winner, results, f"wf{k}_oos_"),
            }
        )
    return rows


def rank_of(variant, results: pd.DataFrame, prefix: str) -> int:
    """``variant``'s rank by Sharpe among all variants over the days of ``prefix`` (1 = best). A variant that
    never moved there (in cash: 0 / 0, no Sharpe) counts as 0, not as nothing: a winner that lost 52% while
    the others sat in cash ranked 1 of 3."""
    sharpe = results[f"{prefix}sharpe"]
    still = results[f"{prefix}volatility"].eq(0) & sharpe.isna()
    sharpe = sharpe.mask(still, 0.0)
    return int((sharpe > sharpe[variant]).sum()) + 1


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
# Plain plotly.js figures, {"data": [traces], "layout": {...}}: plotly.py's figure objects validate and copy
# every property, which cost more than the rest of the page. Nested keys throughout (``xaxis.title.text``, not
# plotly.py's ``xaxis_title``); tests/reports/test_sweep_report.py has plotly.py validate them.


def figures_for(result, params: list[str]) -> dict[str, dict]:
    results = result.results
    shown = shown_params(params)
    figures = {"distribution": distribution_figure(results, result.split is not None)}
    if result.cscv is not None:
        figures["logits"] = logit_figure(result.cscv)
        figures["degradation"] = degradation_figure(result.cscv, result.periods_per_year)
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


def distribution_figure(results: pd.DataFrame, has_split: bool) -> dict:
    """Histogram of every variant's Sharpe (and in/out-of-sample Sharpe with a split): the whole crowd."""
    columns = [("sharpe", "whole period")]
    if has_split:
        columns += [("is_sharpe", "in-sample"), ("oos_sharpe", "out-of-sample")]
    values = {c: results[c].to_numpy(dtype=float) for c, _ in columns}
    edges = bin_edges(np.concatenate(list(values.values())), bins=60)
    bars = [_bars(values[column], edges, label) for column, label in columns]
    return _figure(bars, **_axes("Sharpe ratio", "variants"), barmode="overlay")


def logit_figure(split) -> dict:
    """CSCV: the in-sample winner's out-of-sample rank (logit) per split; left of 0 = below the median."""
    bars = [_bars(split.logits, bin_edges(split.logits, bins=40), "splits")]
    zero = {"type": "line", "x0": 0, "x1": 0, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
            "line": {"color": "#c0392b", "dash": "dash"}}  # fmt: skip
    axes = _axes("in-sample winner's rank out of sample (logit)", "splits")
    return _figure(bars, **axes, shapes=[zero], showlegend=False)


def degradation_figure(split, periods_per_year: int) -> dict:
    """Per CSCV split, the in-sample winner's Sharpe in and out of sample: a downward cloud is overfitting."""
    scale = np.sqrt(periods_per_year)
    frame = pd.DataFrame({"in": split.is_sharpe * scale, "out": split.oos_sharpe * scale})
    axes = _axes("winner's Sharpe in sample", "its Sharpe out of sample")
    return points_figure(frame, "in", "out", {"size": 4, "opacity": 0.5}, IN_OUT_HOVER, rank_by="in", **axes)


def bin_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Histogram edges over the finite values. Equal values get one bar around them: numpy cannot cut a
    range of 1e-16 into ``bins`` bins (it raised, and the page was never written)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return np.linspace(-1, 1, bins + 1)
    if all_equal(finite):
        middle = (finite.min() + finite.max()) / 2
        return np.array([middle - 0.05, middle + 0.05])
    return np.histogram_bin_edges(finite, bins=bins)


def _bars(values: np.ndarray, edges: np.ndarray, name: str) -> dict:
    """A histogram binned here: the page carries the counts, not every variant's value."""
    counts, _ = np.histogram(values[np.isfinite(values)], bins=edges)
    return {"type": "bar", "x": _clean((edges[:-1] + edges[1:]) / 2), "y": counts.tolist(),
            "width": float(edges[1] - edges[0]), "name": name, "opacity": 0.6}  # fmt: skip


def heatmap_figure(results: pd.DataFrame, x: str, y: str) -> dict:
    """Two parameters, one cell each; other parameters (if any) are summarized by their best variant.

    A dropdown switches between Sharpe, CAGR and max drawdown.
    """
    heatmaps = []
    tables = results.pivot_table(index=y, columns=x, values=list(SELECTABLE), aggfunc="max", sort=True)
    for n, (metric, label) in enumerate(SELECTABLE.items()):
        table = tables[metric]  # one grouping for every metric
        hover = f"{display_name(x)} %{{x}}<br>{display_name(y)} %{{y}}<br>{label} %{{z:.3f}}<extra></extra>"
        heatmaps.append(
            {
                "type": "heatmap",
                "x": [_label(v) for v in table.columns],
                "y": [_label(v) for v in table.index],
                "z": _clean(_snapped(table.to_numpy())),
                "colorscale": _colorscale("RdYlGn"),
                "colorbar": _titled(label),
                "visible": n == 0,
                "name": label,
                "hovertemplate": hover,
            }
        )
    axes = _axes(display_name(x), display_name(y), type="category")
    return _figure(heatmaps, **axes, updatemenus=[_metric_menu(len(SELECTABLE))])


def line_figure(results: pd.DataFrame, params: list[str]) -> dict | None:
    """The metric along the first numeric parameter, one line per value of the others (at most 12 lines)."""
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(results[p])]
    if not numeric:
        return None
    x, others = numeric[0], [p for p in params if p != numeric[0]]
    groups = list(results.groupby(others, sort=True)) if others else [((), results)]
    if len(groups) > 12:
        return None
    lines = []
    for n, (metric, label) in enumerate(SELECTABLE.items()):
        values = pd.Series(_snapped(results[metric]), index=results.index)
        for key, group in groups:
            group = group.sort_values(x)
            keys = key if isinstance(key, tuple) else (key,)
            name = (
                ", ".join(f"{display_name(p)} {_label(v)}" for p, v in zip(others, keys, strict=True))
                or label
            )
            lines.append({"type": "scatter", "x": group[x].tolist(), "y": _clean(values[group.index]),
                          "mode": "lines+markers", "name": name, "visible": n == 0})  # fmt: skip
    axes = _axes(display_name(x), next(iter(SELECTABLE.values())))
    return _figure(lines, **axes, updatemenus=[_metric_menu(len(SELECTABLE), per_metric=len(groups))])


def cloud_figure(results: pd.DataFrame) -> dict:
    """Volatility vs CAGR of every variant, coloured by Sharpe."""
    marker = {
        "color": _clean(_snapped(results["sharpe"])),
        "colorscale": _colorscale("Viridis"),
        "colorbar": _titled("Sharpe"),
        "size": 5 if len(results) < 2000 else 3,
        "opacity": 0.8,
    }
    hover = ("volatility %{x:.1%}", "CAGR %{y:.1%}")
    axes = _axes("volatility (annualized)", "CAGR", tickformat=PERCENT_TICKS)
    return points_figure(results, "volatility", "cagr", marker, hover, **axes)


def overfit_figure(results: pd.DataFrame) -> dict:
    """In-sample vs out-of-sample Sharpe per variant: a flat cloud means the in-sample ranking was luck."""
    axes = _axes("Sharpe before the split", "Sharpe after the split")
    return points_figure(
        results, "is_sharpe", "oos_sharpe", {"size": 4, "opacity": 0.6}, IN_OUT_HOVER, **axes
    )


def points_figure(
    frame: pd.DataFrame,
    x: str,
    y: str,
    marker: dict,
    hover: tuple[str, str],
    rank_by: str = "sharpe",
    **layout,
) -> dict:
    """One point per row, named on hover: SVG for a few thousand, WebGL for tens of thousands, and past that a
    density of all rows (2-D histogram, binned here) under the top ``TOP_POINTS`` rows by ``rank_by``."""
    traces = []
    if len(frame) > DENSITY_POINTS:
        traces.append(_density(_snapped(frame[x]), _snapped(frame[y])))
        # the top rows picked, not a sorted copy of every row
        frame = frame.loc[frame[rank_by].dropna().nlargest(TOP_POINTS).index]
        marker = {**marker, "color": "#c0392b", "colorscale": None, "colorbar": None, "size": 5}
    points = {
        "type": "scattergl" if len(frame) > SVG_POINTS else "scatter",
        "x": _clean(_snapped(frame[x])),
        "y": _clean(_snapped(frame[y])),
        "mode": "markers",
        "marker": {k: v for k, v in marker.items() if v is not None},
        "text": [str(v) for v in frame.index],
        "hovertemplate": f"%{{text}}<br>{hover[0]}<br>{hover[1]}<extra></extra>",
        "showlegend": False,
    }
    return _figure([*traces, points], **layout)


def _snapped(values) -> np.ndarray:
    """The values, with equal ones (float noise apart) made exactly equal: plotly.js drew a cloud flat in both
    directions with its axis titles at x=Infinity (console errors), and numpy cannot bin it."""
    array = np.asarray(values, dtype=float)
    if not all_equal(array):
        return array
    return np.where(np.isfinite(array), array[np.isfinite(array)][0], array)


def _density(x: np.ndarray, y: np.ndarray) -> dict:
    keep = np.isfinite(x) & np.isfinite(y)
    counts, x_edges, y_edges = np.histogram2d(x[keep], y[keep], bins=DENSITY_BINS)
    return {
        "type": "heatmap",
        "x": _clean((x_edges[:-1] + x_edges[1:]) / 2),
        "y": _clean((y_edges[:-1] + y_edges[1:]) / 2),
        "z": _clean(np.where(counts.T > 0, counts.T, np.nan)),
        "colorscale": _colorscale("Blues"),
        "colorbar": _titled("variants"),
        "hovertemplate": "%{z:,.0f} variants<extra></extra>",
    }


def _metric_menu(n_metrics: int, per_metric: int = 1) -> dict:
    buttons = []
    for n, label in enumerate(SELECTABLE.values()):
        visible = [m == n for m in range(n_metrics) for _ in range(per_metric)]
        buttons.append({"label": label, "method": "update", "args": [{"visible": visible}]})
    return {"buttons": buttons, "direction": "down", "x": 0.0, "y": 1.15, "xanchor": "left", "yanchor": "top"}


def figure_json(figure: dict) -> Markup:
    """Compact JSON, safe inside the page's <script>; a NaN (invalid JSON) fails here, not in a browser."""
    return safe_json(json.dumps(figure, allow_nan=False, separators=(",", ":")))


def _figure(traces: list[dict], **layout) -> dict:
    """The traces on the page's common layout (plotly_white, ``_LAYOUT``), then this figure's ``layout``."""
    return {"data": traces, "layout": {"template": _template(), **_LAYOUT, **layout}}


def _axes(x_title: str, y_title: str, **both) -> dict:
    """Layout for titled x and y axes, ``both`` set on each (``type="category"``, ``tickformat="~%"``)."""
    return {"xaxis": _titled(x_title, **both), "yaxis": _titled(y_title, **both)}


def _titled(text: str, **properties) -> dict:
    """An axis or colour bar with a title, nested as plotly.js reads it (plotly.py's ``xaxis_title``)."""
    return {"title": {"text": text}, **properties}


def _colorscale(name: str) -> list:
    """``COLORSCALES[name]`` spread evenly from 0 to 1, as plotly.py spreads a named scale."""
    colors = COLORSCALES[name]
    return [[n / (len(colors) - 1), color] for n, color in enumerate(colors)]


@cache
def _template() -> dict:
    """plotly.py's "plotly_white" template, read from its package data: the name means nothing to plotly.js,
    so the template itself goes into every figure's layout, as plotly.py's figures put it there."""
    return json.loads((files("plotly") / "package_data" / "templates" / "plotly_white.json").read_text())


def _clean(values) -> list:
    """JSON-safe: NaN and inf become gaps (None)."""
    array = np.atleast_1d(np.asarray(values, dtype=float))
    return np.where(np.isfinite(array), array, None).tolist()


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
