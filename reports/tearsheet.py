"""quantstats tear sheets, one per strategy, written in parallel processes.

quantstats takes ~2.6 s per report and holds the GIL (matplotlib), so two processes halve the wall time on two
cores. The benchmark is always passed as a Series: given a ticker string, quantstats downloads it (and offline
it silently reports against zero).
"""

import html
import logging
import re
import warnings
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
from infrabt.data.files import atomic_path, safe_filename
from infrabt.data.processes import die_with_parent
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

WORKERS = 2
_FIXES = (
    # the template links a favicon on the web: the report must open offline without a failed request
    (re.compile(r'<link rel="shortcut icon"[^>]*>\s*'), ""),
    # and calls save(), which quantstats defines only when it offers the file as a download: a ReferenceError
    (re.compile(r'<body onload="save\(\)">'), "<body>"),
    # "CAGR﹪" uses U+FE6A, which common fonts lack (a box in the browser)
    (re.compile("\ufe6a"), "%"),
)


def tearsheet_filename(strategy_id: str) -> str:
    """A file name that is safe whatever a user's strategy module calls itself, one per id."""
    return safe_filename(strategy_id) + ".html"


def start_tearsheets(
    returns: pd.DataFrame, benchmark: pd.Series, folder: Path, periods_per_year: int, workers: int = WORKERS
) -> tuple[ProcessPoolExecutor, dict[Future, str]]:
    """Submit one tear sheet per column of ``returns`` against ``benchmark`` (a Series, never a ticker); the
    caller does other work meanwhile, then calls ``finish_tearsheets``."""
    folder.mkdir(parents=True, exist_ok=True)
    bench = benchmark.dropna()
    _quiet()
    import quantstats  # noqa: F401  # once here: forked workers inherit it instead of importing it each (~1.5 s)

    pool = ProcessPoolExecutor(max(1, min(workers, len(returns.columns))), initializer=_start_worker)
    jobs = {
        pool.submit(
            write_tearsheet,
            returns[sid].dropna().rename(sid),
            bench,
            periods_per_year,
            folder / tearsheet_filename(sid),
        ): sid
        for sid in returns.columns
    }
    return pool, jobs


def finish_tearsheets(
    pool: ProcessPoolExecutor, jobs: dict[Future, str], progress: bool = True
) -> dict[str, str]:
    """Wait for the tear sheets with a progress bar; returns {strategy id: error} for those that failed."""
    errors: dict[str, str] = {}
    columns = (TextColumn("tear sheets"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    console = Console(stderr=True)
    try:
        with Progress(
            *columns, console=console, transient=True, disable=not (progress and console.is_terminal)
        ) as bar:
            task = bar.add_task("tear sheets", total=len(jobs))
            for future in as_completed(jobs):
                exc = future.exception()
                if exc is not None:
                    errors[jobs[future]] = f"{type(exc).__name__}: {exc}"
                bar.advance(task)
    finally:
        pool.shutdown(cancel_futures=True)
    return errors


def write_tearsheet(returns: pd.Series, benchmark: pd.Series, periods_per_year: int, path: Path) -> Path:
    """One quantstats HTML report, written atomically, names escaped, the template's two faults fixed."""
    _quiet()
    import quantstats as qs

    strategy_name, benchmark_name = str(returns.name), str(benchmark.name)
    title = html.escape(f"{strategy_name} vs {benchmark_name}")
    if benchmark_name == strategy_name:  # quantstats joins the two by name: the benchmark's sheet collides
        benchmark_name += " (benchmark)"
    with atomic_path(path) as temp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qs.reports.html(
                returns,
                benchmark=benchmark,
                rf=0.0,
                periods_per_year=periods_per_year,
                output=str(temp),
                title=title,
                strategy_title=html.escape(strategy_name),
                benchmark_title=html.escape(benchmark_name),
            )
        text = temp.read_text(encoding="utf-8")
        for pattern, replacement in _FIXES:
            text = pattern.sub(replacement, text)
        temp.write_text(text, encoding="utf-8")
    return path


def _quiet() -> None:
    """Silence matplotlib's ~130 'findfont' lines."""
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)


def _start_worker() -> None:
    """Workers draw on matplotlib's SVG canvas: quantstats saves SVG anyway, and pyplot.savefig's redraw on
    the default Agg canvas costs ~15% more. Only in workers, so a caller's own backend is left alone."""
    import matplotlib

    die_with_parent()  # a killed run leaves no worker behind, writing into --out
    matplotlib.use("svg")
    _quiet()
