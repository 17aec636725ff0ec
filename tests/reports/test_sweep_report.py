"""DIR/sweep.html: self-contained (offline), names escaped, the charts and tables the issue asks for."""

import json
import re

import pytest
from infrabt.engine.sweeps.sweep import run_sweep
from typer.testing import CliRunner

from infrabt.cli import app
from tests.engine.sweeps.test_sweep import RANDOM

GRID = {"name": "grid", "strategy": "btc_trend", "start": "2019-06-01", "grid": {"lookback": [20, 40, 60]}}


def figure_json(html: str, name: str) -> dict:
    found = re.search(rf'"{name}": (\{{.*?\}}),\n', html, flags=re.S)
    assert found, f"no figure {name!r} on the page"
    return json.loads(found[1])


def test_report_is_offline_escaped_and_counts_the_variants(sweep_store, tmp_path):
    spec = {**RANDOM, "name": "<script>alert(1)</script>"}
    sweep = run_sweep(spec, tmp_path / "out", split="2020-06-01", workers=1)
    html = sweep.report.read_text()

    assert sweep.report == tmp_path / "out" / "sweep.html"
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources == ["plotly.min.js"] and (tmp_path / "out" / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from the network
    assert "40 variants were tried" in html
    assert "Ranked on the days before 2020-06-01" in html
    cloud = figure_json(html, "cloud")
    assert len(cloud["data"][0]["x"]) == 40  # every variant in the volatility/return scatter
    assert {"distribution", "overfit"} <= set(re.findall(r'"(\w+)": \{"data"', html))
    top_table = html.split("<h2>Top 20 by is sharpe</h2>", 1)[1].split("</table>", 1)[0]
    body = top_table.split("<tbody>", 1)[1]
    assert body.count("<tr>") == 20 and top_table.count("<tr>") == 21  # 20 variants under one header row


def test_two_parameter_sweep_has_a_metric_selectable_heatmap_and_lines(sweep_store, tmp_path):
    spec = {**GRID, "grid": {**GRID["grid"], "fees": [0.0, 0.002]}}
    html = run_sweep(spec, tmp_path / "out", workers=1).report.read_text()
    heatmap = figure_json(html, "heatmap")
    buttons = [b["label"] for b in heatmap["layout"]["updatemenus"][0]["buttons"]]
    assert buttons == ["Sharpe", "CAGR", "Max drawdown"]
    assert len(heatmap["data"]) == 3 and [t["visible"] for t in heatmap["data"]] == [True, False, False]
    assert len(heatmap["data"][0]["x"]) == 3 and len(heatmap["data"][0]["y"]) == 2
    line = figure_json(html, "line")
    assert len(line["data"]) == 3 * 2  # a line per fee level, for each selectable metric


def test_tear_sheets_for_the_top_variants_are_linked(sweep_store, tmp_path):
    sweep = run_sweep(GRID, tmp_path / "out", workers=1, tearsheets=2)
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
    sweep = run_sweep(spec, tmp_path / "out", workers=1, tearsheets=1)
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
