"""write_report: everything a run leaves behind for a reader, from one BacktestResult.

Order matters for speed: the tear sheets (the slow part, ~3 s each) start in worker processes first, and the
dashboard is built while they run.
"""

import json
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from infrabt.data import files
from infrabt.data.locks import folder_lock
from infrabt.data.paths import CRISES_FILE
from infrabt.data.software import installed_versions
from infrabt.engine.api import write_csvs
from infrabt.engine.crises import Crisis, check_unique, crisis_table, worst_drawdowns
from infrabt.engine.result import BacktestResult
from infrabt.reports import charts, dashboard, evidence
from infrabt.reports.claims import THESIS_FILE, load_claims_and_windows
from infrabt.reports.colors import colors_for
from infrabt.reports.manifest import replace_manifest
from infrabt.reports.tearsheet import finish_tearsheets, start_tearsheets, tearsheet_filename
from infrabt.reports.thesis import BTC, GOLD, WINDOW, asset_returns, thesis_check

OUTPUTS = ("index.html", "returns.csv", "metrics.csv", "crises.csv", "run.json")
PACKAGES = ("infrabt", "pandas", "numpy", "vectorbt", "quantstats", "plotly", "jinja2", "exchange_calendars")


def write_report(
    result: BacktestResult,
    out_dir: "str | Path",
    *,
    benchmark: str | None = None,
    crises_file: "str | Path | None" = None,
    tearsheets: bool = True,
    progress: bool = True,
    claims_file: "str | Path | None" = None,
) -> Path:
    """Write index.html, tearsheets/<id>.html, returns.csv, metrics.csv, crises.csv, thesis.csv,
    attribution.csv and run.json into ``out_dir`` and return the path of index.html.

    A tear sheet whose inputs are unchanged since the last run into ``out_dir`` is kept, not redrawn; files an
    earlier run wrote there and this one did not (a dropped strategy's tear sheet) are removed, and nothing
    else (see ``reports.manifest``).

    Bad input fails before anything slow starts: an unknown benchmark, a malformed crises or claims file
    (``claims_file``, default data/thesis.toml), an unwritable folder.
    """
    benchmark = benchmark or result.benchmark
    result.check_benchmark(benchmark)
    claims, listed = load_claims_and_windows(claims_file, crises_file)
    named = _held(result, benchmark) or benchmark
    windows = listed + worst_drawdowns(result.returns[benchmark], label=benchmark, title=named)
    check_unique(windows, crises_file or CRISES_FILE)
    out = files.prepare_dir(out_dir)
    with folder_lock(out):  # one run at a time per folder, from Python as from the CLI (re-entrant)
        jobs = None
        if tearsheets:
            bench = result.returns[benchmark].rename(benchmark)
            jobs = start_tearsheets(result.returns, bench, out / "tearsheets", result.periods_per_year)
        try:
            metrics = write_csvs(result, out, benchmark)
            crises = crisis_table(result.returns, windows)
            prices, thesis_notes = evidence.thesis_prices(result, claims)
            run = run_info(result, benchmark, [CRISES_FILE, *([crises_file] if crises_file else [])])
            run["claims_file"] = str(claims_file or THESIS_FILE)
            run["notes"] += thesis_notes
            # the prices the thesis check read beside the run's (its claims' assets and the factors)
            run["thesis_data"] = data_ranges(prices.drop(columns=list(result.prices.columns)))
            files.write_csv(out / "crises.csv", crises, index=False)
            files.write_text(out / "run.json", json.dumps(run, indent=2, default=str) + "\n")
            tested = evidence.gather(result, listed, claims, _groups(result.prices.columns), prices)
            files.write_csv(out / "thesis.csv", tested.table, index=False)
            files.write_csv(out / "attribution.csv", tested.attribution, index=False)
            page = build_page(result, benchmark, metrics, crises, listed, windows, run, prices)
            evidence.add_to_page(page, tested)
        except BaseException:
            if jobs:
                jobs[0].shutdown(cancel_futures=True)
            raise
        if jobs:
            page.tearsheet_errors = finish_tearsheets(*jobs, progress=progress)
            page.tearsheets = {
                sid: f"tearsheets/{tearsheet_filename(sid)}"
                for sid in result.returns.columns
                if sid not in page.tearsheet_errors
            }
        index = dashboard.write_page(out / "index.html", dashboard.render(page))
        written = [out / name for name in (*OUTPUTS, *page.tearsheets.values())]
        replace_manifest(out, written)
        return index


def _held(result: BacktestResult, benchmark: str) -> str | None:
    """The ticker a buy-and-hold benchmark holds (SPY for spy, BTC-USD for pure_btc; None for btc_trend):
    what a reader calls it, and the reference asset it is."""
    return getattr(result.strategies.get(benchmark), "held_whole", None)


def run_info(result: BacktestResult, benchmark: str, crises_files: list) -> dict:
    """What run.json records: enough to know what was run on which data with which software."""
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "start": result.start.date().isoformat(),
        "end": result.end.date().isoformat(),
        "days": len(result.returns),
        "calendar": result.calendar,
        "periods_per_year": result.periods_per_year,
        "benchmark": benchmark,
        "costs": asdict(result.costs),
        "thesis_window": WINDOW,
        "strategies": {sid: strategy_info(strategy) for sid, strategy in result.strategies.items()},
        "failures": dict(result.failures),
        "notes": list(result.notes),
        "crises_files": [str(path) for path in crises_files],
        "data": data_ranges(result.prices),
        "packages": package_versions(),
    }


def strategy_info(strategy) -> dict:
    """The parts of a Strategy a reader needs; tolerant of objects that lack some of them."""
    return {
        "thesis": str(getattr(strategy, "thesis", "") or ""),
        "tickers": [str(t) for t in getattr(strategy, "tickers", ()) or ()],
        "calendar": str(getattr(strategy, "calendar", "") or ""),
        "params": {str(k): v for k, v in (getattr(strategy, "params", None) or {}).items()},
    }


def data_ranges(prices: pd.DataFrame) -> dict[str, dict]:
    """Per ticker: first and last price used, days with a price, and the cache's source and warnings."""
    cached = _store_metadata(list(prices.columns))
    ranges = {}
    for ticker in prices.columns:
        live = prices[ticker].dropna()
        info = {
            "first": live.index[0].date().isoformat() if len(live) else None,
            "last": live.index[-1].date().isoformat() if len(live) else None,
            "days": len(live),
        }
        meta = cached.get(ticker, {})
        info["source"] = meta.get("source")
        info["warnings"] = [str(w) for w in meta.get("warnings", [])]
        ranges[ticker] = info
    return ranges


def _store_metadata(tickers: list[str]) -> dict[str, dict]:
    """The price cache's metadata where it can be read; a report never fails for want of it."""
    try:
        from infrabt.data.store import PriceStore

        store = PriceStore()
        cached = set(store.tickers())  # one listing of the cache, not one per ticker
        return {t: store.metadata(t) for t in tickers if t in cached}
    except Exception:  # the cache is optional context here, whatever state it is in
        return {}


def package_versions() -> dict[str, str]:
    return {"python": platform.python_version(), **installed_versions(PACKAGES)}


def build_page(
    result: BacktestResult,
    benchmark: str,
    metrics: pd.DataFrame,
    crises: pd.DataFrame,
    listed: list[Crisis],
    windows: list[Crisis],
    run: dict,
    prices: pd.DataFrame | None = None,
) -> dashboard.Page:
    """Numbers, sentences and figures for the dashboard (``prices``: the run's, or ``thesis_prices``, for
    the reference assets)."""
    names = list(result.returns.columns)
    prices = result.prices if prices is None else prices
    # a reference asset that the benchmark buys and holds is the benchmark (pure_btc is BTC): a correlation
    # of 1.00 (btc_trend, which also holds BTC alone but not always, is not)
    held = _held(result, benchmark)
    both = [t for t in (BTC, GOLD) if t in prices.columns]
    references = asset_returns(prices[[t for t in both if t != held]])
    havens = asset_returns(prices[both])  # gold against BTC in crises, whichever the benchmark holds
    thesis = thesis_check(result.returns, references, benchmark, listed, held or benchmark, havens)
    colors = colors_for([*references.columns, *names], benchmark)
    figures = {"equity": charts.equity_and_drawdown(result.equity, benchmark, colors)}
    figures.update(charts.thesis_charts(thesis, listed, colors))
    figures["corr"] = charts.correlation_matrix(result.returns)
    figures["coverage"] = charts.coverage_chart(result.prices, _groups(result.prices.columns))
    return dashboard.Page(
        benchmark=benchmark,
        run=run,
        metrics=metrics,
        crises=crises,
        windows=windows,
        strategies=[{"id": sid, **info} for sid, info in run["strategies"].items()],
        sentences=thesis.sentences,
        figures=figures,
        data_rows=_data_rows(result, run["data"]),
        tearsheets={},
        failures=dict(result.failures),
        rails=rails_strategies(result),
        notes=list(run["notes"]),
        references=[{BTC: "BTC", GOLD: "gold"}[t] for t in references.columns],
    )


RAILS_GROUPS = ("miners", "gpu_datacenter", "tokenization")
"""The universe groups that are the thesis's rails: miners, compute and the financial plumbing."""


def rails_strategies(result: BacktestResult) -> list[str]:
    """Strategies that hold nothing but rails tickers (by their universe group)."""
    rails = []
    for sid, strategy in result.strategies.items():
        tickers = [str(t) for t in getattr(strategy, "tickers", ()) or ()]
        if sid in result.returns.columns and tickers and set(_groups(tickers).values()) <= set(RAILS_GROUPS):
            rails.append(sid)
    return rails


def _groups(tickers) -> dict[str, str]:
    from infrabt.data.universe import load_universe

    universe = load_universe()
    return {t: universe[t].group if t in universe else "other" for t in tickers}


def _data_rows(result: BacktestResult, ranges: dict[str, dict]) -> list[dict]:
    groups = _groups(ranges)
    used_by = {t: [sid for sid, m in result.membership.items() if t in m.columns] for t in ranges}
    return [{"ticker": t, "group": groups[t], "used_by": used_by[t], **info} for t, info in ranges.items()]
