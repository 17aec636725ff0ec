"""Tear sheets: the charts quantstats 0.0.86 draws wrong are corrected, sheets are reused while their inputs
are unchanged, and a rerun removes only the files an earlier run wrote."""

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from infrabt.reports import write_report
from infrabt.reports.manifest import MANIFEST, recorded_files
from infrabt.reports.tearsheet import (
    corrected_charts,
    finish_tearsheets,
    percent_label,
    start_tearsheets,
    stored_fingerprint,
    write_tearsheet,
)
from tests.reports.test_reports import make_result


def returns_pair(start="2018-01-02", end="2026-06-30"):
    """Nine calendar years of business-day returns, ending mid-year as the shared data do."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range(start, end, name="Date")
    strategy = pd.Series(rng.normal(0.001, 0.02, len(days)), index=days, name="rails")
    benchmark = pd.Series(rng.normal(0.0004, 0.01, len(days)), index=days, name="spy")
    return strategy, benchmark


def svg_texts(page: str, title: str) -> list[str]:
    """The text of every <text> element in the one chart of a tear sheet whose title contains ``title``."""
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
        if any(title in t for t in texts):
            return texts
    raise AssertionError(f"no chart titled {title!r}")


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    strategy, benchmark = returns_pair()
    path = write_tearsheet(strategy, benchmark, 252, tmp_path_factory.mktemp("sheet") / "rails.html")
    return strategy, path.read_text(encoding="utf-8")


def test_eoy_chart_labels_every_bar_with_its_own_year(sheet):
    """quantstats 0.0.86 put nine yearly bars under the labels 2018-2022 only."""
    strategy, page = sheet
    labels = [t for t in svg_texts(page, "EOY Returns") if re.fullmatch(r"\d{4}", t)]
    assert labels == [str(year) for year in sorted(set(strategy.index.year))]


def test_each_year_label_stands_under_the_bar_of_that_years_return():
    """The label's position, not just its text: pandas places the bars at year ordinals (2018 -> 48)."""
    import quantstats as qs

    strategy, benchmark = returns_pair()
    with corrected_charts(strategy, benchmark):
        figure = qs.plots.yearly_returns(strategy, benchmark, show=False, savefig=io.BytesIO())
    ax = figure.axes[0]
    bars = next(c for c in ax.containers if c.get_label() == "rails")
    yearly = (1 + strategy).groupby(strategy.index.year).prod() - 1
    for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True):
        bar = min(bars, key=lambda patch: abs(patch.get_x() + patch.get_width() / 2 - tick))
        assert abs(bar.get_x() + bar.get_width() / 2 - tick) < 0.5  # the label is under a bar of its group
        assert bar.get_height() == pytest.approx(yearly[int(label.get_text())], rel=1e-6)


def test_monthly_heatmap_is_blank_after_the_data_end(sheet):
    strategy, page = sheet
    cells = [t for t in svg_texts(page, "- Monthly Returns (%)") if re.fullmatch(r"-?\d+\.\d\d", t)]
    months = strategy.index.to_period("M").nunique()
    assert len(cells) == months  # 8 full years and Jan-Jun 2026; no 0.00 for Jul-Dec 2026


def test_rolling_beta_starts_when_its_window_is_full():
    import quantstats as qs

    strategy, benchmark = returns_pair(end="2019-12-31")
    with corrected_charts(strategy, benchmark):
        figure = qs.plots.rolling_beta(strategy, benchmark, window1=126, show=False, savefig=io.BytesIO())
    beta = np.asarray(figure.axes[0].get_lines()[0].get_ydata(), dtype=float)
    assert np.isnan(beta[:125]).all()  # drawn as 0 by quantstats
    expected = strategy.iloc[:126].cov(benchmark.iloc[:126]) / benchmark.iloc[:126].var()
    assert beta[125] == pytest.approx(expected, rel=1e-6)


def test_rolling_beta_mean_line_is_the_mean_of_the_beta_drawn_and_its_ticks_are_round():
    """quantstats drew the mean line from the beta with its first window filled with 0 (SPY against itself:
    0.94, not 1.0) and put ticks at its minimum + k/2 (-2.05, -1.55, ...)."""
    import quantstats as qs

    noise, benchmark = returns_pair(end="2021-12-31")
    strategy = (1.5 * benchmark + 0.5 * noise).rename("rails")  # a beta well away from 0 and 1
    with corrected_charts(strategy, benchmark):
        figure = qs.plots.rolling_beta(
            strategy, benchmark, window1=126, window2=252, show=False, savefig=io.BytesIO()
        )
    ax = figure.axes[0]
    # NaN until the window is full
    rolling = strategy.rolling(126).cov(benchmark) / benchmark.rolling(126).var()
    levels = [line.get_ydata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert levels[0] == pytest.approx(rolling.mean(), rel=1e-9) and levels[1] == 0
    ticks = ax.get_yticks()
    step = ticks[1] - ticks[0]
    assert np.allclose(ticks / step, np.round(ticks / step))  # multiples of the step, so 0 is one of them


def test_monthly_return_histogram_labels_each_tick_with_its_value():
    """quantstats truncated the labels: 0.0999... read "9%" under the 10% tick."""
    import quantstats as qs

    strategy, benchmark = returns_pair()
    with corrected_charts(strategy, benchmark):
        figure = qs.plots.histogram(strategy, benchmark, resample="ME", show=False, savefig=io.BytesIO())
    ax = figure.axes[0]
    figure.canvas.draw()
    labels = [float(t.get_text().rstrip("%").replace(",", "")) / 100 for t in ax.get_xticklabels()]
    assert len(labels) >= 3
    assert labels == pytest.approx(list(ax.get_xticks()), abs=5e-4)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0.09999999999999998, "10%"),
        (-0.04999999999999999, "-5%"),
        (0.025, "2.5%"),
        (-1e-17, "0%"),
        (12.5, "1,250%"),
    ],
)
def test_percent_label_rounds_instead_of_truncating(value, label):
    assert percent_label(value) == label


def test_treynor_row_is_relabelled_as_a_ratio_of_total_return(sheet):
    strategy, page = sheet
    row = re.search(r"Treynor \(total return / beta\)</td><td>-</td><td>(-?[\d.]+)</td>", page)
    assert row and "Treynor Ratio" not in page
    benchmark = returns_pair()[1]
    beta = strategy.cov(benchmark) / benchmark.var()
    assert float(row.group(1)) == pytest.approx(((1 + strategy).prod() - 1) / beta, rel=0.01)


def test_a_sheet_keeps_every_day_even_when_the_benchmark_starts_flat(tmp_path):
    """quantstats' match_dates cut the days before both series moved: a sweep's benchmark is 0 on its first
    day, and the variant's first day (its opening costs) vanished from its sheet (CAGR 49.68% vs 49.62%)."""
    strategy, benchmark = returns_pair(end="2019-06-28")
    strategy.iloc[0], benchmark.iloc[0] = -0.05, 0.0  # a costly first day beside a flat benchmark
    page = write_tearsheet(strategy, benchmark, 252, tmp_path / "rails.html").read_text(encoding="utf-8")
    first, last = strategy.index[0].strftime("%e %b, %Y"), strategy.index[-1].strftime("%e %b, %Y")
    assert f"{first} - {last}" in page
    total = (1 + strategy).prod() - 1
    row = re.search(r"<td>Cumulative Return</td><td>[^<]*</td><td>(-?[\d,.]+)%</td>", page)
    assert row and float(row.group(1).replace(",", "")) == pytest.approx(total * 100, abs=0.006)


def test_the_benchmark_column_has_its_own_smart_ratios_and_no_pairwise_numbers(tmp_path):
    """quantstats divided the benchmark's Sharpe by the strategy's autocorrelation penalty, and repeated the
    strategy's R^2 and information ratio for the benchmark."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2019-01-02", periods=900, name="Date")
    shocks = rng.normal(0.0008, 0.015, len(days))
    trending = shocks.copy()
    for t in range(1, len(days)):  # AR(1), phi 0.5: a large penalty for the strategy, ~none for the benchmark
        trending[t] += 0.5 * trending[t - 1]
    strategy = pd.Series(trending, index=days, name="trend")
    benchmark = pd.Series(rng.normal(0.0005, 0.01, len(days)), index=days, name="spy")
    page = write_tearsheet(strategy, benchmark, 252, tmp_path / "trend.html").read_text(encoding="utf-8")

    def penalty(r: pd.Series) -> float:  # quantstats' autocorrelation penalty, computed here
        rho, n = abs(np.corrcoef(r[:-1], r[1:])[0, 1]), len(r)
        return np.sqrt(1 + 2 * sum((n - k) / n * rho**k for k in range(1, n)))

    def sharpe(r: pd.Series) -> float:
        return r.mean() / r.std() * np.sqrt(252)

    row = re.search(r"<tr><td>Smart Sharpe</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    assert float(row.group(1)) == pytest.approx(sharpe(benchmark) / penalty(benchmark), abs=0.006)
    assert float(row.group(2)) == pytest.approx(sharpe(strategy) / penalty(strategy), abs=0.006)
    assert abs(sharpe(benchmark) / penalty(strategy) - sharpe(benchmark) / penalty(benchmark)) > 0.05
    for label in ("R^2", "Information Ratio"):
        assert re.search(rf"<tr><td>{re.escape(label)}</td><td>-</td><td>-?[\d.]+</td>", page), label


def test_a_changed_return_redraws_exactly_that_tear_sheet(tmp_path):
    strategy, benchmark = returns_pair(start="2023-01-02")
    returns = pd.DataFrame({"a": strategy, "b": strategy * 0.5, "c": strategy * 0.25})
    errors = finish_tearsheets(*start_tearsheets(returns, benchmark, tmp_path, 252), progress=False)
    assert errors == {}
    before = {p.name: (stored_fingerprint(p), p.stat().st_mtime_ns) for p in tmp_path.glob("*.html")}
    assert len(before) == 3 and all(fingerprint for fingerprint, _ in before.values())

    pool, jobs = start_tearsheets(returns, benchmark, tmp_path, 252)
    assert pool is None and jobs == {}  # nothing changed: nothing to draw

    returns.iloc[100, 1] += 0.01
    pool, jobs = start_tearsheets(returns, benchmark, tmp_path, 252)
    assert sorted(jobs.values()) == ["b"]
    finish_tearsheets(pool, jobs, progress=False)
    after = {p.name: (stored_fingerprint(p), p.stat().st_mtime_ns) for p in tmp_path.glob("*.html")}
    assert after["a.html"] == before["a.html"] and after["c.html"] == before["c.html"]
    assert after["b.html"][0] != before["b.html"][0]


def test_a_rerun_with_fewer_strategies_removes_only_what_infrabt_wrote(tmp_path):
    write_report(make_result(names=("spy", "rails", "crypto")), tmp_path, progress=False)
    assert (tmp_path / "tearsheets" / "crypto.html").exists()
    mine = [tmp_path / "notes.md", tmp_path / "tearsheets" / "keep.html"]
    for path in mine:
        path.write_text("a user's file")

    write_report(make_result(names=("spy", "rails")), tmp_path, progress=False)
    assert not (tmp_path / "tearsheets" / "crypto.html").exists()
    assert (tmp_path / "tearsheets" / "rails.html").exists()
    assert (tmp_path / "tearsheets" / "spy.html").exists()
    assert all(path.read_text() == "a user's file" for path in mine)
    assert "tearsheets/crypto.html" not in recorded_files(tmp_path)
    assert "tearsheets/rails.html" in recorded_files(tmp_path)


def test_a_tampered_manifest_cannot_delete_outside_the_folder(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "precious.txt"
    outside.write_text("keep")
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"files": ["../precious.txt", str(outside)]}))
    write_report(make_result(), out, tearsheets=False, progress=False)
    assert outside.read_text() == "keep"
