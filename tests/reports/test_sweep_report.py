"""DIR/sweep.html: self-contained (offline), names escaped, the charts and tables the issue asks for."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from infrabt.cli import app
from infrabt.reports.dashboard import plotly_js
from infrabt.reports.sweep_report import (
    DENSITY_POINTS,
    SVG_POINTS,
    TOP_POINTS,
    cloud_figure,
    distribution_figure,
    figures_for,
    line_figure,
    points_figure,
    rank_of,
)
from infrabt.reports.sweep_report import sweep as sweep_with_page
from tests.engine.sweeps.test_sweep import RANDOM
from tests.reports.test_browser import CHROMIUM, DevTools

GRID = {"name": "grid", "strategy": "btc_trend", "start": "2019-06-01", "grid": {"lookback": [20, 40, 60]}}
EVERY_FIGURE = {**GRID, "grid": {**GRID["grid"], "fees": [0.0, 0.002]}}  # with a split: all seven charts


def figure_json(html: str, name: str) -> dict:
    found = re.search(rf'"{name}": (\{{.*?\}}),\n', html, flags=re.S)
    assert found, f"no figure {name!r} on the page"
    return json.loads(found[1])


def test_report_is_offline_escaped_and_counts_the_variants(sweep_store, tmp_path):
    spec = {**RANDOM, "name": "<script>alert(1)</script>"}
    sweep = sweep_with_page(spec, tmp_path / "out", split="2020-06-01", workers=1)
    html = sweep.report.read_text()

    assert sweep.report == tmp_path / "out" / "sweep.html"
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # plotly.js inlined, as on the dashboard: nothing beside the page, nothing fetched
    assert (
        not re.findall(r'<script[^>]*src="([^"]+)"', html)
        and not (tmp_path / "out" / "plotly.min.js").exists()
    )
    assert plotly_js().decode() in html
    own = html.replace(plotly_js().decode(), "")  # plotly.js itself mentions links it never fetches
    assert not re.search(r'(src|href)="(https?:)?//', own)  # nothing fetched from the network
    assert "40 variants were tried" in html
    assert "Ranked on the days before 2020-06-01" in html
    cloud = figure_json(html, "cloud")
    assert len(cloud["data"][0]["x"]) == 40  # every variant in the volatility/return scatter
    assert cloud["data"][0]["type"] == "scatter"  # SVG, not WebGL, at this size
    assert {"distribution", "overfit"} <= set(re.findall(r'"(\w+)": \{"data"', html))
    top_table = html.split("<h2>Top 20 by in-sample Sharpe</h2>", 1)[1].split("</table>", 1)[0]
    head, body = top_table.split("<tbody>", 1)
    assert body.count("<tr>") == 20  # 20 variants
    # under the periods the short labels are measured on, and no empty tear sheet column
    periods = re.findall(r'<th class="period" colspan="(\d+)">([^<]+)</th>', head)
    assert periods == [("6", "whole period"), ("2", "in-sample"), ("3", "out-of-sample")]
    assert "tear sheet" not in top_table


# three variants holding the same thing: the same Sharpe but for the order of their sums
SAME = [0.8043568292669355, 0.8043568292669355, 0.8043568292669364]


def test_variants_that_all_score_the_same_are_one_bar_not_a_crash():
    """numpy cannot cut a range of 1e-16 into 60 bins: the page was never written."""
    frame = pd.DataFrame({"sharpe": SAME, "is_sharpe": SAME, "oos_sharpe": SAME})
    for has_split in (False, True):
        bars = distribution_figure(frame, has_split)["data"]
        assert [bar["y"] for bar in bars] == [[3]] * len(bars)  # one bar holding every variant
        assert bars[0]["x"] == [pytest.approx(SAME[0])]


def test_a_flat_cloud_and_line_are_drawn_at_one_value():
    """plotly.js drew a cloud flat both ways (within float noise) with its axis titles at x=Infinity, and a
    flat line's axis ticked the noise (0.80435682926693641)."""
    frame = pd.DataFrame({"volatility": SAME, "cagr": SAME, "sharpe": SAME, "max_drawdown": SAME,
                          "lookback": [10, 20, 30]}, index=["v0", "v1", "v2"])  # fmt: skip
    cloud = cloud_figure(frame)["data"][0]
    assert len(set(cloud["x"])) == len(set(cloud["y"])) == len(set(cloud["marker"]["color"])) == 1
    line = line_figure(frame, ["lookback"])["data"]
    assert all(len(set(trace["y"])) == 1 for trace in line)


def test_a_sweep_whose_variants_all_score_the_same_says_so(sweep_store, tmp_path):
    spec = {"name": "same", "start": "2019-06-01", "random": {"assets": ["SPY"], "count": 3}}
    html = sweep_with_page(spec, tmp_path / "out", split="2020-06-01", workers=1).report.read_text()
    assert "Every variant scored the same whole-period Sharpe" in html
    assert sum(figure_json(html, "distribution")["data"][0]["y"]) == 3


def test_counts_have_thousands_separators_and_no_number_reads_minus_zero(sweep_store, tmp_path):
    spec = {**RANDOM, "random": {**RANDOM["random"], "count": 1200}}
    html = sweep_with_page(spec, tmp_path / "out", split="2020-06-01", workers=1).report.read_text()
    assert "1,200 variants were tried" in html and re.search(r"rank [\d,]+ of 1,200\s", html)
    assert not re.search(r">-0\.0+%?<", html)


def test_two_parameter_sweep_has_a_metric_selectable_heatmap_and_lines(sweep_store, tmp_path):
    spec = {**GRID, "grid": {**GRID["grid"], "fees": [0.0, 0.002]}}
    html = sweep_with_page(spec, tmp_path / "out", workers=1).report.read_text()
    heatmap = figure_json(html, "heatmap")
    buttons = [b["label"] for b in heatmap["layout"]["updatemenus"][0]["buttons"]]
    assert buttons == ["Sharpe", "CAGR", "Max drawdown"]
    assert len(heatmap["data"]) == 3 and [t["visible"] for t in heatmap["data"]] == [True, False, False]
    assert len(heatmap["data"][0]["x"]) == 3 and len(heatmap["data"][0]["y"]) == 2
    line = figure_json(html, "line")
    assert len(line["data"]) == 3 * 2  # a line per fee level, for each selectable metric


def test_tear_sheets_for_the_top_variants_are_linked(sweep_store, tmp_path):
    sweep = sweep_with_page(GRID, tmp_path / "out", workers=1, tearsheets=2)
    html = sweep.report.read_text()
    top = list(sweep.top(2).index)
    for variant in top:
        assert f'href="tearsheets/{variant}.html"' in html
        assert (tmp_path / "out" / "tearsheets" / f"{variant}.html").stat().st_size > 10_000
    # one sheet per linked variant, none for the benchmark (nothing would link it)
    written = sorted(p.name for p in (tmp_path / "out" / "tearsheets").iterdir())
    assert written == sorted(f"{v}.html" for v in top)


def test_tear_sheets_of_a_grid_over_a_dict_parameter(sweep_store, tmp_path):
    spec = {"name": "w", "strategy": "sixty_forty", "start": "2019-03-01",
            "grid": {"weights": [{"SPY": 0.6, "TLT": 0.4}, {"SPY": 0.8, "TLT": 0.2}]}}  # fmt: skip
    sweep = sweep_with_page(spec, tmp_path / "out", workers=1, tearsheets=1)
    (best,) = sweep.top(1).index
    assert f'href="tearsheets/{best}.html"' in sweep.report.read_text()
    assert (tmp_path / "out" / "tearsheets" / f"{best}.html").stat().st_size > 10_000


def test_cli_sweep_writes_results_and_reports_bad_input_on_one_line(sweep_store, tmp_path):
    spec = tmp_path / "grid.toml"
    spec.write_text('strategy = "btc_trend"\nstart = "2019-06-01"\n[grid]\nlookback = [20, 40]\n')
    runner = CliRunner()
    done = runner.invoke(
        app, ["sweep", str(spec), "--out", str(tmp_path / "out"), "--offline", "--workers", "1"]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "results.parquet").is_file() and (tmp_path / "out" / "sweep.html").is_file()

    bad = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "x"), "--split", "1990-01-01"])
    assert bad.exit_code == 2 and "outside the data" in bad.output and "Traceback" not in bad.output
    spec.write_text('strategy = "btc_trend"\n[grid]\nspeed = [1]\n')
    bad = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "no parameter speed" in bad.output


@pytest.mark.parametrize("engine", ["turbo"])
def test_cli_rejects_an_unknown_engine(sweep_store, tmp_path, engine):
    spec = tmp_path / "grid.toml"
    spec.write_text('strategy = "btc_trend"\n[grid]\nlookback = [20]\n')
    bad = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--engine", engine])
    assert bad.exit_code == 2 and "unknown sweep engine" in bad.output


def cloud_of(count: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    volatility = rng.uniform(0.1, 0.6, count)
    frame = pd.DataFrame({"volatility": volatility, "cagr": rng.normal(0.1, 0.1, count)})
    frame["sharpe"] = frame["cagr"] / frame["volatility"]
    frame.index = [f"v{i:07d}" for i in range(count)]
    return frame


@pytest.mark.parametrize(
    ("count", "kinds"),
    [
        (SVG_POINTS, ["scatter"]),
        (SVG_POINTS + 1, ["scattergl"]),
        (DENSITY_POINTS + 1, ["heatmap", "scatter"]),
    ],
)
def test_a_cloud_is_svg_then_webgl_then_a_density_with_the_top_variants(count, kinds):
    frame = cloud_of(count)
    figure = points_figure(frame, "volatility", "cagr", {"size": 3}, ("%{x}", "%{y}"))
    assert [trace["type"] for trace in figure["data"]] == kinds
    if "heatmap" in kinds:
        density, top = figure["data"]
        assert np.nansum(np.array(density["z"], dtype=float)) == count  # every variant counted, none drawn
        assert top["text"] == list(frame.nlargest(TOP_POINTS, "sharpe").index)


def test_a_million_variant_page_stays_small():
    frame = cloud_of(1_000_000)
    figures = [
        points_figure(frame, "volatility", "cagr", {"size": 3}, ("%{x}", "%{y}")),
        distribution_figure(frame, has_split=False),
    ]
    assert sum(len(json.dumps(f)) for f in figures) < 500_000  # plotly.js (~4.7 MB) inlined leaves room
    counts = figures[1]["data"][0]["y"]
    assert sum(counts) == 1_000_000


def test_every_figure_passes_plotly_validation(sweep_store, tmp_path):
    """The figures are plain dicts for plotly.js; plotly.py's own validation catches a misspelt property."""
    import plotly.graph_objects as go

    sweep = sweep_with_page(EVERY_FIGURE, tmp_path / "out", split="2020-06-01", workers=1, report=False)
    figures = figures_for(sweep, list(sweep.param_columns))
    page = {"distribution", "logits", "degradation", "heatmap", "line", "cloud", "overfit"}
    assert set(figures) == page
    clouds = [points_figure(cloud_of(n), "volatility", "cagr", {"size": 3}, ("%{x}", "%{y}"))
              for n in (SVG_POINTS + 1, DENSITY_POINTS + 1)]  # fmt: skip
    for figure in [*figures.values(), *clouds]:
        drawn = go.Figure(figure)  # raises on any property plotly.js does not know
        assert drawn.layout.template.layout.paper_bgcolor == "white"  # plotly_white itself, not its name
    assert figures["logits"]["layout"]["shapes"][0]["x0"] == 0  # the line at a logit of 0


def test_the_page_module_does_not_import_plotly_graph_objects():
    """plotly.py's figure machinery costs a tenth of a second to import; the page has no use for it."""
    check = "import sys, infrabt.reports.sweep_report; print('plotly.graph_objects' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_new_sweep_removes_the_old_top_variants_tear_sheets_and_nothing_else(sweep_store, tmp_path):
    """Only the sheets the last sweep wrote go: not a user's file, nor a run's tear sheet in the folder."""
    from infrabt.reports.manifest import MANIFEST

    out = tmp_path / "out"
    first = sweep_with_page(GRID, out, workers=1, tearsheets=2)
    old = set(first.top(2).index)
    sheets = out / "tearsheets"
    (sheets / "mine.html").write_text("a user's notes")
    (sheets / "spy.html").write_text("a run's tear sheet")
    (out / MANIFEST).write_text(json.dumps({"files": ["tearsheets/spy.html"]}))

    second = sweep_with_page({**GRID, "grid": {"lookback": [30, 50]}}, out, workers=1, tearsheets=1)
    (best,) = second.top(1).index
    left = sorted(p.name for p in sheets.iterdir())
    assert left == sorted({f"{best}.html", "mine.html", "spy.html"}), old


def test_the_cloud_labels_its_percent_ticks_with_the_decimals_they_need():
    """d3-format's "~" drops only the zeros a tick does not need: 10% on a wide range, 27.25% on a narrow
    one, where a fixed ".0%" repeated itself (27%, 27%, 28%, 28%). Labels drawn: the browser test below."""
    axes = cloud_figure(cloud_of(40))["layout"]
    assert axes["xaxis"]["tickformat"] == axes["yaxis"]["tickformat"] == "~%"


def page_config(html: str) -> dict:
    found = re.search(r"const config = (\{.*?\});\n", html)
    assert found, "no plotly config on the page"
    return json.loads(found[1])


def test_the_toolbar_lies_across_the_top_with_a_few_buttons(sweep_store, tmp_path):
    """Upright at the right edge it covered the colour bars' labels; plotly's full row reaches the menu."""
    html = sweep_with_page(EVERY_FIGURE, tmp_path / "out", workers=1).report.read_text()
    (buttons,) = page_config(html)["modeBarButtons"]
    assert len(buttons) <= 3 and "toImage" in buttons
    assert "modebar" not in figure_json(html, "heatmap")["layout"]  # plotly's default: across, at the top


# Where each chart's toolbar is, beside what it must not cover: the plot area, colour bars, menus, legends
TOOLBAR_AND_PARTS = """
Array.from(document.querySelectorAll('.chart')).map(div => {
    const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const toolbar = div.querySelector('.modebar');
    const parts = div.querySelectorAll('rect.nsewdrag, g.colorbar, g.updatemenu-header-group, g.legend');
    return {
        id: div.id,
        chart: box(div),
        toolbar: toolbar && box(toolbar),
        parts: Array.from(parts, box).filter(([left, top, right, bottom]) => right > left && bottom > top),
    };
})
"""
# draws FIGURE in the cloud's place and returns its x and y tick labels
TICK_LABELS = """
(figure => Plotly.newPlot('cloud', figure.data, figure.layout).then(div =>
    ['x', 'y'].map(axis => Array.from(div.querySelectorAll(`g.${axis}tick text`), text => text.textContent))
))(FIGURE)
"""


def cloud_ticks(browser, results: pd.DataFrame) -> list[list[str]]:
    """The x and y tick labels plotly.js draws for the cloud of ``results`` on the open page."""
    return browser.evaluate(TICK_LABELS.replace("FIGURE", json.dumps(cloud_figure(results))))


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def percents(labels: list[str]) -> list[float]:
    assert labels and all(label.endswith("%") for label in labels), labels
    return [float(label.removesuffix("%").replace("\N{MINUS SIGN}", "-")) for label in labels]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
def test_in_a_browser_the_toolbar_covers_nothing_and_percent_ticks_differ(sweep_store, tmp_path):
    """Headless Chromium draws every chart: no toolbar over a plot, colour bar, menu or legend at phone or
    desktop width, and the cloud's percent ticks differ, on a wide range (whole percents) and a narrow one."""
    page = sweep_with_page(EVERY_FIGURE, tmp_path / "out", split="2020-06-01", workers=1).report
    rng = np.random.default_rng(1)
    narrow = pd.DataFrame({"volatility": rng.uniform(0.27, 0.285, 40), "cagr": rng.uniform(0.33, 0.345, 40)})
    narrow["sharpe"] = narrow["cagr"] / narrow["volatility"]
    (tmp_path / "chromium").mkdir()
    browser = DevTools(tmp_path / "chromium")
    try:
        for width in (320, 400, 1400):  # a small phone, a phone, a desktop
            browser.open(page, width=width)
            charts = browser.evaluate(TOOLBAR_AND_PARTS)
            wide_ticks, narrow_ticks = cloud_ticks(browser, cloud_of(40)), cloud_ticks(browser, narrow)
            assert browser.errors == [], browser.errors
            assert len(charts) == 7, [chart["id"] for chart in charts]
            for chart in charts:
                toolbar, (left, _, right, _) = chart["toolbar"], chart["chart"]
                assert toolbar and left <= toolbar[0] and toolbar[2] <= right, (width, chart)
                covered = [part for part in chart["parts"] if overlap(toolbar, part)]
                assert not covered, f"at {width} px the toolbar of {chart['id']} covers {covered}"
            for labels in wide_ticks:  # whole percents, no ".0"
                assert all("." not in label for label in labels), labels
            for labels in [*wide_ticks, *narrow_ticks]:
                values = percents(labels)
                assert values == sorted(set(values)), f"at {width} px: {labels}"
    finally:
        browser.close()


TOP_TABLE = """(() => {
    const table = document.querySelector('a[href^="tearsheets/"]').closest('table');
    const box = table.parentElement.getBoundingClientRect();
    const link = table.querySelector('a[href^="tearsheets/"]').getBoundingClientRect();
    return {table: table.getBoundingClientRect().right, box: box.right, link: link.right,
            page: document.documentElement.scrollWidth,
            sticky: getComputedStyle(table.querySelector('tbody td:nth-child(2)')).position};
})()"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
def test_in_a_browser_the_top_table_fits_a_desktop_and_scrolls_in_its_box_on_a_phone(sweep_store, tmp_path):
    """At 1400 px the widest table (largest weights, in- and out-of-sample, tear sheets) was cut off at the
    right of its box; on a phone it scrolls inside its box, the variant's name kept in view."""
    page = sweep_with_page(RANDOM, tmp_path / "out", split="2020-06-01", workers=1, tearsheets=1).report
    (tmp_path / "chromium").mkdir()
    browser = DevTools(tmp_path / "chromium")
    try:
        browser.open(page, width=1400)
        desktop = browser.evaluate(TOP_TABLE)
        browser.open(page, width=400)
        phone = browser.evaluate(TOP_TABLE)
        assert browser.errors == [], browser.errors
    finally:
        browser.close()
    assert desktop["table"] <= desktop["box"] and desktop["link"] <= desktop["box"], desktop
    assert phone["page"] <= 400 and phone["table"] > phone["box"] and phone["sticky"] == "sticky", phone


def test_a_variant_that_sat_in_cash_ranks_above_a_winner_that_lost():
    """Cash has no Sharpe (0 / 0): counted as nothing, a winner that lost 52% ranked 1 of 3."""
    results = pd.DataFrame(
        {"wf2_oos_sharpe": [-2.4, np.nan, np.nan, 0.3], "wf2_oos_volatility": [0.5, 0.0, 0.0, 0.2]},
        index=["winner", "cash", "also_cash", "better"],
    )
    assert rank_of("winner", results, "wf2_oos_") == 4
    assert rank_of("cash", results, "wf2_oos_") == 2  # behind "better" only; tied with the other cash
    results.loc["also_cash", "wf2_oos_volatility"] = np.nan  # no returns at all: no number, not counted
    assert rank_of("winner", results, "wf2_oos_") == 3
