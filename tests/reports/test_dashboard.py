"""The dashboard's reading aids: one distinct color per strategy everywhere, the crisis table's layout and
tooltips, the header's counts and its answer to the title's question."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from infrabt.engine.crises import Crisis
from infrabt.reports import write_report
from infrabt.reports.charts import correlation_matrix, rolling_chart
from infrabt.reports.colors import BENCHMARK_COLOR, PALETTE, RESERVED, colors_for
from infrabt.reports.dashboard import (
    PLOTLY_SLOT,
    crisis_heatmap,
    distinct_windows,
    docstring_html,
    format_value,
    plotly_js,
    rails_vs_coin,
)
from infrabt.strategies import load_strategies
from tests.reports.test_reports import make_result


def test_every_shipped_strategy_gets_its_own_color():
    names = ["BTC-USD", "GLD", *load_strategies()]
    colors = colors_for(names, "spy")
    strategies = {sid: colors[sid] for sid in load_strategies()}
    assert len(set(strategies.values())) == len(strategies), strategies
    assert colors["spy"] == BENCHMARK_COLOR and colors["pure_btc"] == colors["BTC-USD"]
    assert colors["gold"] == RESERVED["GLD"]  # gold is drawn in gold, not the palette's red
    assert len(set(PALETTE)) == len(PALETTE) >= 16


def test_a_strategy_has_the_same_color_in_every_chart(tmp_path):
    result = make_result(names=("spy", "rails", "crypto", "gold"))
    page = write_report(result, tmp_path, tearsheets=False, progress=False).read_text(encoding="utf-8")
    seen: dict[str, set[str]] = {}
    for data in re.findall(r'<script type="application/json" class="figure"[^>]*>(.*?)</script>', page, re.S):
        for trace in json.loads(data)["data"]:
            color = (trace.get("line") or {}).get("color")
            if color and trace.get("name"):
                seen.setdefault(trace["name"], set()).add(color)
    assert {"spy", "rails", "crypto", "gold"} <= set(seen)
    assert all(len(colors) == 1 for colors in seen.values()), seen
    strategies = [next(iter(seen[n])) for n in ("spy", "rails", "crypto", "gold")]
    assert len(set(strategies)) == 4


def test_plotly_js_is_inlined_once_where_the_template_puts_it_whatever_the_names_say(tmp_path):
    """The page is written with plotly.js copied into its slot; a strategy named like the slot is escaped
    text, so it cannot take plotly.js's place."""
    result = make_result(names=("spy", str(PLOTLY_SLOT)))
    page = write_report(result, tmp_path, tearsheets=False, progress=False).read_text(encoding="utf-8")
    library = plotly_js().decode()
    assert page.count(library) == 1 and f"<script>{library}</script>" in page
    assert str(PLOTLY_SLOT) not in page and "&lt;!-- plotly.js --&gt;" in page


def window(wid: str, start: str, end: str, computed: bool = False) -> Crisis:
    return Crisis(wid, wid.title(), pd.Timestamp(start), pd.Timestamp(end), computed=computed)


WINDOWS = [
    window("covid", "2020-02-19", "2020-03-23"),
    window("bear", "2022-01-03", "2022-10-12"),
    window("spy-dd1", "2020-02-19", "2020-03-23", computed=True),
    window("spy-dd2", "2018-10-01", "2018-12-24", computed=True),
]


def crisis_rows(returns: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = [
        {"window": w, "strategy": s, "return": r, "max_drawdown": min(r, 0.0), "recovery_days": 479.0}
        for s, by_window in returns.items()
        for w, r in by_window.items()
    ]
    return pd.DataFrame(rows)


def test_the_header_counts_distinct_windows_not_repeats():
    assert [w.id for w in distinct_windows(WINDOWS)] == ["covid", "bear", "spy-dd2"]


def test_the_crisis_table_puts_the_benchmark_first_abbreviates_and_explains_recovery():
    crises = crisis_rows(
        {
            "tokenization_financials": {w.id: -0.1 for w in WINDOWS},
            "spy": {w.id: 0.0 for w in WINDOWS},
        }
    )
    table = crisis_heatmap(crises, WINDOWS, "spy")
    assert table["strategies"] == ["spy", "tokenization_financials"]
    assert table["columns"][1] == {"id": "tokenization_financials", "short": "tokeni._financ."}
    flat = table["rows"][0]["cells"][0]
    assert flat["ret"] == "0.0%" and flat["rec"] == "479d"
    assert "high before the window was regained 479 trading days after" in flat["title"]


def test_rails_vs_coin_answers_from_the_numbers():
    metrics = pd.DataFrame(
        {"cagr": [0.30, 0.10, 0.20], "sharpe": [1.2, 0.5, 0.8]}, index=["rails_a", "rails_b", "pure_btc"]
    )
    crises = crisis_rows(
        {
            "rails_a": {"covid": -0.30, "bear": -0.40},  # better on all three
            "rails_b": {"covid": -0.20, "bear": -0.25},  # better only in its worst crisis
            "pure_btc": {"covid": -0.35, "bear": -0.60},
        }
    )
    line = rails_vs_coin(metrics, crises, WINDOWS, ["rails_a", "rails_b"])
    assert line.startswith("Did owning the rails beat owning the coin? Mixed: 1 of 2")
    assert "(pure_btc 20.0%, 0.80, -60.0%;" in line and "rails_a 30.0%, 1.20, -40.0%)" in line
    line = rails_vs_coin(metrics, crises, WINDOWS, ["rails_a"])
    assert "? Yes: 1 of 1" in line
    assert rails_vs_coin(metrics.drop(index="pure_btc"), crises, WINDOWS, ["rails_a"]) == ""


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("BTC share ``btc_share`` of the book", "BTC share <code>btc_share</code> of the book"),
        ("``<b>``", "<code>&lt;b&gt;</code>"),
    ],
)
def test_docstring_literals_show_as_code_not_backticks(text, html):
    assert str(docstring_html(text)) == html


def test_compiled_templates_are_reused_and_a_damaged_or_unwritable_cache_only_costs_a_compile(
    tmp_path, monkeypatch
):
    from jinja2.bccache import bc_magic

    from infrabt.reports import dashboard

    def load_with(cache):
        env = dashboard._environment.__wrapped__()  # a fresh environment: no template held in memory
        env.bytecode_cache = cache
        return env.get_template("dashboard.html.j2")

    folder = tmp_path / "compiled"
    folder.mkdir()
    load_with(dashboard._CompiledTemplates(str(folder)))
    (kept,) = folder.iterdir()  # the dashboard template, compiled once
    before = kept.read_bytes()
    kept.touch()
    stamp = kept.stat().st_mtime_ns
    load_with(dashboard._CompiledTemplates(str(folder)))
    assert kept.stat().st_mtime_ns == stamp  # read, not compiled and written again

    for damage in (
        b"garbage",
        before[: len(bc_magic)] + b"garbage",
    ):  # a wrong header; the right one, then garbage
        kept.write_bytes(damage)
        load_with(dashboard._CompiledTemplates(str(folder)))
        assert kept.read_bytes() == before  # recompiled and replaced

    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    load_with(dashboard._CompiledTemplates(str(not_a_folder)))  # cannot write there: compiles, no error
    monkeypatch.setenv("INFRABT_DATA_DIR", str(not_a_folder))
    assert dashboard._compiled_templates() is None  # no cache folder at all: compiles every time


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [(-0.0001, "pct", "0.0%"), (-0.001, "num", "0.00"), (-0.0006, "pct", "-0.1%"), (-0.012, "num", "-0.01")],
)
def test_a_loss_too_small_to_show_reads_zero_not_minus_zero(value, kind, text):
    assert format_value(value, kind) == text


SHORT_NAMES = ["BTC-USD", "GLD", "spy", "pure_btc", "btc_trend", "gold", "oil", "qqq", "sixty_forty"]
STRATEGIES = ["btc_corr_switch", "btc_trend", "crypto_majors", "gold", "gpu_datacenter", "infra_thesis",
              "miners_to_ai", "oil", "pure_btc", "qqq", "rails_inverse_vol", "sixty_forty",
              "sixty_forty_btc5", "spy", "tokenization_financials"]  # fmt: skip


def test_on_a_phone_the_correlation_matrix_leaves_out_its_numbers_and_stands_its_labels_up():
    """15 columns on a phone are ~16 px each: the numbers printed over each other and the labels collided."""
    returns = pd.DataFrame(np.random.default_rng(0).normal(0, 0.01, (300, 15)), columns=STRATEGIES)
    figure = correlation_matrix(returns)
    phone = figure.layout.meta["narrow"]
    assert figure.data[0].texttemplate == "%{text:.2f}"  # a desktop shows every number
    assert phone["traces"][0]["texttemplate"] == ""
    assert phone["layout"]["xaxis"]["tickangle"] == -90
    assert phone["traces"][0]["colorbar"]["orientation"] == "h"  # its width goes to the cells


@pytest.mark.parametrize(("names", "per_row"), [(["BTC-USD", *STRATEGIES], 1), (SHORT_NAMES, 2)])
def test_on_a_phone_a_rolling_chart_lists_its_legend_in_a_taller_figure(names, per_row):
    """16 names in a fixed height became a scroll box showing 10 of them; two a row ran
    "tokenization_financials" past a 360 px screen: long names go one a row, short ones two."""
    days = pd.bdate_range("2020-01-01", periods=300)
    rolling = pd.DataFrame(np.random.default_rng(1).normal(0, 0.3, (300, len(names))), index=days,
                           columns=names)  # fmt: skip
    figure = rolling_chart(rolling, WINDOWS[:2], dict.fromkeys(rolling.columns, "#333"), "63-day beta")
    phone = figure.layout.meta["narrow"]["layout"]
    assert phone["legend"]["entrywidthmode"] == "fraction" and phone["legend"]["entrywidth"] == 1 / per_row
    rows = -(-len(names) // per_row)
    assert phone["height"] >= figure.layout.height + rows * 18  # room for every row
    assert [label["text"] for label in phone["annotations"]] == ["1", "2"]  # numbered crisis labels kept
