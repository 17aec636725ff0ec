"""quantstats tear sheets, one per strategy, written in parallel processes and reused while their inputs are
unchanged.

quantstats takes ~2.6 s per report and holds the GIL (matplotlib), so two processes halve the wall time on two
cores, and a sheet whose fingerprint (returns, benchmark, periods, title, package versions, this module)
matches the one already on disk is not drawn again. The benchmark is always passed as a Series: given a
ticker string, quantstats downloads it (and offline it silently reports against zero).

quantstats 0.0.86 draws three charts wrong; ``corrected_charts`` fixes each figure just before quantstats
saves it (see ``FIGURE_FIXES``), and ``_FIXES`` corrects the HTML around them.
"""

import hashlib
import html
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infrabt.data.files import atomic_path, safe_filename
from infrabt.data.processes import die_with_parent
from infrabt.data.software import versions_text

WORKERS = 2
_FIXES = (
    # the template links a favicon on the web: the report must open offline without a failed request
    (re.compile(r'<link rel="shortcut icon"[^>]*>\s*'), ""),
    # and calls save(), which quantstats defines only when it offers the file as a download: a ReferenceError
    (re.compile(r'<body onload="save\(\)">'), "<body>"),
    # "CAGR﹪" uses U+FE6A, which common fonts lack (a box in the browser)
    (re.compile("\ufe6a"), "%"),
    # R^2 and the information ratio compare strategy and benchmark: the benchmark's cell repeated them
    (re.compile(r"(<tr><td>(?:R\^2|Information Ratio)</td><td>)[^<]*"), r"\g<1>-"),
    # quantstats' "Treynor Ratio" is total (not annual) return / beta, printed x100 with a "%": say what it is
    (re.compile(r"<td>Treynor Ratio</td>(.*?)</tr>"), lambda row: _treynor_row(row.group(1))),
    # its two fixed-width columns (620 + 320 px) overflow a phone: stack them, charts keeping their aspect
    (
        re.compile(r"</style>\s*</head>"),  # the page's own style sheet, not those inside the charts' SVG
        "@media (max-width:980px){#left,#right{width:auto;float:none;margin:0}"
        "#left svg,#monthly_heatmap svg,svg{height:auto;margin:0}}</style></head>",
    ),
)
FINGERPRINT = re.compile(r"<!-- infrabt tear sheet ([0-9a-f]{64}) -->")
FINGERPRINTED_PACKAGES = ("quantstats", "matplotlib", "seaborn", "pandas", "numpy")


def tearsheet_filename(strategy_id: str) -> str:
    """A file name that is safe whatever a user's strategy module calls itself, one per id."""
    return safe_filename(strategy_id) + ".html"


def start_tearsheets(
    returns: pd.DataFrame, benchmark: pd.Series, folder: Path, periods_per_year: int, workers: int = WORKERS
) -> tuple[ProcessPoolExecutor | None, dict[Future, str]]:
    """Submit one tear sheet per column of ``returns`` against ``benchmark`` (a Series, never a ticker) whose
    file is missing or was drawn from other inputs; the caller does other work meanwhile, then calls
    ``finish_tearsheets``. No pool (and no quantstats import) when every sheet is current."""
    folder.mkdir(parents=True, exist_ok=True)
    bench = benchmark.dropna()
    todo = {}
    for sid in returns.columns:
        series, path = returns[sid].dropna().rename(sid), folder / tearsheet_filename(sid)
        if stored_fingerprint(path) != fingerprint(series, bench, periods_per_year):
            todo[sid] = (series, path)
    if not todo:
        return None, {}
    _quiet()
    import quantstats  # noqa: F401  # once here: forked workers inherit it instead of importing it each (~1.5 s)

    pool = ProcessPoolExecutor(max(1, min(workers, len(todo))), initializer=_start_worker)
    jobs = {
        pool.submit(write_tearsheet, series, bench, periods_per_year, path): sid
        for sid, (series, path) in todo.items()
    }
    return pool, jobs


def finish_tearsheets(
    pool: ProcessPoolExecutor | None, jobs: dict[Future, str], progress: bool = True
) -> dict[str, str]:
    """Wait for the tear sheets with a progress bar; returns {strategy id: error} for those that failed."""
    errors: dict[str, str] = {}
    if pool is None:
        return errors
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
    """One quantstats HTML report, written atomically, names escaped, faults fixed, fingerprint first."""
    _quiet()
    import quantstats as qs
    from matplotlib import rc_context

    strategy_name, benchmark_name = str(returns.name), str(benchmark.name)
    if benchmark_name == strategy_name:  # quantstats joins the two by name: the benchmark's sheet collides
        benchmark_name += " (benchmark)"
    with atomic_path(path) as temp:
        # text as SVG text, not glyph outlines: smaller sheets, and labels a reader (or a test) can select
        with (
            warnings.catch_warnings(),
            rc_context({"svg.fonttype": "none"}),
            corrected_charts(returns, benchmark),
            penalty_per_column(),
        ):
            warnings.simplefilter("ignore")
            qs.reports.html(
                returns,
                benchmark=benchmark,
                rf=0.0,
                periods_per_year=periods_per_year,
                output=str(temp),
                title=_title(returns, benchmark),
                strategy_title=html.escape(strategy_name),
                benchmark_title=html.escape(benchmark_name),
                # quantstats' default drops the days before both series first move: a sweep's benchmark
                # (SPY's price change, 0 on the first day) cut the variant's first day and its opening
                # costs, so the sheet disagreed with the sweep's table; the series come aligned already
                match_dates=False,
            )
        text = temp.read_text(encoding="utf-8")
        for pattern, replacement in _FIXES:
            text = pattern.sub(replacement, text)
        stamp = f"<!-- infrabt tear sheet {fingerprint(returns, benchmark, periods_per_year)} -->\n"
        temp.write_text(stamp + text, encoding="utf-8")
    return path


def _title(returns: pd.Series, benchmark: pd.Series) -> str:
    return html.escape(f"{returns.name} vs {benchmark.name}")


def fingerprint(returns: pd.Series, benchmark: pd.Series, periods_per_year: int) -> str:
    """A digest of everything a tear sheet is drawn from: a sheet with the same one is not drawn again."""
    digest = hashlib.sha256()
    for series in (returns, benchmark):
        digest.update(pd.util.hash_pandas_object(series, index=True).to_numpy().tobytes())
        digest.update(str(series.name).encode() + b"\0")
    digest.update(f"{periods_per_year}\0{_title(returns, benchmark)}\0".encode())
    digest.update(_software_digest().encode())
    return digest.hexdigest()


@cache
def _software_digest() -> str:
    """Package versions and this module's own code: an upgrade or a new fix redraws every sheet."""
    return versions_text(FINGERPRINTED_PACKAGES) + hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def stored_fingerprint(path: Path) -> str | None:
    """The fingerprint a tear sheet was written with (its first line), or None."""
    try:
        with path.open(encoding="utf-8", errors="replace") as sheet:
            match = FINGERPRINT.match(sheet.readline())
    except OSError:
        return None
    return match.group(1) if match else None


def _treynor_row(cells: str) -> str:
    """quantstats' Treynor value is total return / beta x 100 with a "%": shown as the ratio it is."""
    why = "quantstats divides the total return of the whole period (not an annual one) by beta"
    ratios = re.sub(r"<td>(-?[\d.]+)%</td>", lambda cell: f"<td>{float(cell.group(1)) / 100:.2f}</td>", cells)
    return f'<td title="{why}">Treynor (total return / beta)</td>{ratios}</tr>'


# --- corrected charts: each figure is fixed just before quantstats saves it ---


@contextmanager
def corrected_charts(returns: pd.Series, benchmark: pd.Series) -> Iterator[None]:
    """Apply ``FIGURE_FIXES`` to every figure quantstats saves while the context is open.

    quantstats saves each chart with ``matplotlib.pyplot.savefig`` right after drawing it, so wrapping that
    one function reaches every figure with its data still in it (a fix on the rendered SVG could not).
    """
    import matplotlib.pyplot as plt

    original = plt.savefig

    def savefig(*args, **kwargs):
        figure = plt.gcf()
        titles = [figure._suptitle, *(ax.title for ax in figure.axes)]
        title = " ".join(text.get_text() for text in titles if text is not None)
        for key, fix in FIGURE_FIXES.items():
            if key in title:
                fix(figure, returns, benchmark)
        return original(*args, **kwargs)

    plt.savefig = savefig
    try:
        yield
    finally:
        plt.savefig = original


@contextmanager
def penalty_per_column() -> Iterator[None]:
    """quantstats' autocorrelation penalty reads a DataFrame's first column only, so the benchmark's smart
    Sharpe and Sortino were divided by the strategy's penalty (SPY's Smart Sharpe read 0.69, 0.76 or 0.77 by
    sheet): while the context is open, each column gets its own."""
    import quantstats.stats as stats

    original = stats.autocorr_penalty

    def penalty(returns, prepare_returns: bool = False):
        if isinstance(returns, pd.DataFrame):  # a Series of penalties divides each column by its own
            return returns.apply(lambda column: original(column, prepare_returns=prepare_returns))
        return original(returns, prepare_returns=prepare_returns)

    stats.autocorr_penalty = penalty
    try:
        yield
    finally:
        stats.autocorr_penalty = original


def fix_yearly_labels(figure, returns: pd.Series, benchmark: pd.Series) -> None:
    """One label per yearly bar, under it: quantstats labels the first few ticks pandas placed with all the
    years, so on nine years the 2020 bar stood over "2019"."""
    years = pd.concat([returns, benchmark], axis=1).dropna().index.year.unique().sort_values()
    ax = figure.axes[0]
    bars = [[patch.get_x() + patch.get_width() / 2 for patch in container] for container in ax.containers]
    if not bars or any(len(row) != len(years) for row in bars):
        raise ValueError(f"EOY chart: {[len(row) for row in bars]} bars per series for {len(years)} years")
    ax.set_xticks(np.mean(bars, axis=0), [str(year) for year in years], rotation=0, ha="center")


def blank_months_outside_data(figure, returns: pd.Series, benchmark: pd.Series) -> None:
    """Months before the first or after the last return are empty cells, not 0.00."""
    ax = figure.axes[0]
    mesh = ax.collections[0]
    years = [int(label.get_text()) for label in ax.get_yticklabels()]
    values = np.ma.masked_invalid(np.asarray(mesh.get_array(), dtype=float)).reshape(len(years), -1)
    first, last = returns.index[0].to_period("M"), returns.index[-1].to_period("M")
    outside = np.zeros(values.shape, dtype=bool)
    for row, year in enumerate(years):
        for month in range(min(12, values.shape[1])):
            outside[row, month] = not first <= pd.Period(year=year, month=month + 1, freq="M") <= last
    mesh.set_array(np.ma.masked_where(outside, values).ravel())
    for text in ax.texts:
        column, row = (int(v) for v in text.get_position())
        if 0 <= row < len(years) and 0 <= column < values.shape[1] and outside[row, column]:
            text.set_text("")


def fix_rolling_beta(figure, returns: pd.Series, benchmark: pd.Series) -> None:
    """quantstats fills the 6-month beta's first (not yet full) window with 0: draw nothing there, and draw
    the mean line at the mean of the beta drawn (with the zeros it sat ~6% low: 0.94 for SPY against itself).
    Its ticks started at the series' minimum (-2.05, -1.55, ...): matplotlib's round ones instead."""
    from matplotlib.ticker import AutoLocator

    ax = figure.axes[0]
    line = ax.get_lines()[0]
    beta = np.asarray(line.get_ydata(), dtype=float)
    leading = np.argmax(beta != 0) if (beta != 0).any() else len(beta)
    drawn = np.where(np.arange(len(beta)) < leading, np.nan, beta)
    line.set_ydata(drawn)
    level = [ln for ln in ax.get_lines()[1:] if list(ln.get_xdata()) == [0, 1]]  # axhline: axes x, data y
    mean_line = next((ln for ln in level if np.isclose(ln.get_ydata()[0], beta.mean())), None)
    if mean_line is None:
        raise ValueError(f"rolling beta chart: no mean line at {beta.mean():.6f} among {len(level)} lines")
    mean = np.nanmean(drawn) if leading < len(beta) else 0.0
    mean_line.set_ydata([mean, mean])
    ax.yaxis.set_major_locator(AutoLocator())


def round_percent_ticks(figure, returns: pd.Series, benchmark: pd.Series) -> None:
    """The histogram's tick labels: quantstats truncates (``int(x * 100)``), so 0.0999... read "9%" under
    the 10% tick, and -0.0499... "-4%"; rounded to a tenth of a percent instead."""
    from matplotlib.ticker import FuncFormatter

    figure.axes[0].xaxis.set_major_formatter(FuncFormatter(percent_label))


def percent_label(value: float, _position=None) -> str:
    """0.0999999 -> "10%", 0.025 -> "2.5%", -1e-17 -> "0%" (never "-0%")."""
    return f"{round(value * 100, 1) + 0.0:,g}%"


FIGURE_FIXES: dict[str, Callable] = {
    "EOY Returns": fix_yearly_labels,
    "Monthly Returns (%)": blank_months_outside_data,
    "Monthly Active Returns (%)": blank_months_outside_data,
    "Rolling Beta to Benchmark": fix_rolling_beta,
    "Distribution of Monthly Returns": round_percent_ticks,
}
"""Chart title (as quantstats 0.0.86 draws it) -> the fix for that chart."""


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
