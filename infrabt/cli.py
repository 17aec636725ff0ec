"""The ``infrabt`` command line: thin wrappers over the Python API, one-line errors, rich progress."""

import functools
import gc
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from infrabt.data.errors import InfrabtError
from infrabt.data.paths import DEFAULT_OUT

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(stderr=True)


def _print_error(message: str) -> None:
    """The one line every error becomes (exit code 2)."""
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


_UsageError = typer.BadParameter.__base__
"""click's UsageError, as typer vendors it (typer exports only its subclass BadParameter)."""


def _one_line_usage_errors(call: Callable) -> Callable:
    """A usage error (``--fees abc``, an unknown option) as one ``error:`` line and exit 2, like every other
    error, instead of typer's multi-line box."""

    @functools.wraps(call)
    def wrapper(self, *args, **kwargs):
        try:
            return call(self, *args, **kwargs)
        except _UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help was asked for, by giving nothing
                raise
            message = " ".join(exc.format_message().split())
            option, parent = getattr(exc, "option_name", None), exc.ctx.parent if exc.ctx else None
            if parent is not None and any(option in p.opts for p in parent.command.params):
                # an option of `infrabt` itself (--universe) given after a command: say where it goes
                path = f"{parent.command_path} {option} ... {exc.ctx.info_name}"
                _print_error(f"{message}; it goes before the command: `{path} ...`")
            else:
                where = f"`{exc.ctx.command_path} --help`" if exc.ctx else "`infrabt --help`"
                _print_error(f"{message} (see {where})")
            raise typer.Exit(code=2) from None

    return wrapper


class OneLineErrors(typer.core.TyperGroup):
    """The command group whose usage errors are one line (parsing happens in both methods)."""

    make_context = _one_line_usage_errors(typer.core.TyperGroup.make_context)
    invoke = _one_line_usage_errors(typer.core.TyperGroup.invoke)


app = typer.Typer(
    cls=OneLineErrors,
    name="infrabt",
    help="Backtest the 'own the rails' infrastructure thesis on real prices, through real crises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


data_app = typer.Typer(help="Fetch, import and inspect the local price cache.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def _show_version(value: bool) -> None:
    if value:
        from infrabt import __version__

        print(f"infrabt {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
    universe: Annotated[
        Path | None,
        typer.Option(
            "--universe",
            envvar="INFRABT_UNIVERSE",
            help="Your universe TOML (tickers, groups), merged over the shipped one and any infrabt.toml.",
        ),
    ] = None,
) -> None:
    """Backtest the 'own the rails' infrastructure thesis on real prices, through real crises."""
    if universe is not None:
        os.environ["INFRABT_UNIVERSE"] = str(universe)  # read by infrabt.data.universe, like the env var


@contextmanager
def loading_libraries() -> Iterator[None]:
    """Import pandas, pyarrow & co. without the garbage collector, then freeze what is loaded.

    Their module graphs hold next to no garbage (a few hundred objects, frozen with the rest), but the
    collector walked them again and again while they loaded
    (~0.05 s of a command's 0.45 s start-up); frozen, later collections skip them, and so do the sweep's
    forked workers, which would otherwise copy the pages the collector touches."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


_HELD = ExitStack()
"""Locks a command holds until it ends (its --out folder), released by ``friendly_errors``."""


def friendly_errors(command: Callable) -> Callable:
    """Turn an ``InfrabtError`` into one red line and exit code 2, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with _HELD:
                return command(*args, **kwargs)
        except InfrabtError as exc:
            _print_error(str(exc))
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]: nothing half-written was kept.")
            raise typer.Exit(code=130) from None

    return wrapper


def out_folder(value: "str | Path") -> Path:
    """``--out``: an empty name is refused (it meant the current directory, silently)."""
    if not str(value).strip():
        raise typer.BadParameter("is empty; give a folder name, e.g. --out infrabt-output")
    return Path(value)


def claim_out(out: Path, final: str) -> Path:
    """Create ``out`` and hold its lock until the command ends; a second run into it fails naming this one.

    ``final`` is the page written last (index.html): it is removed now, so an interrupted run leaves new
    files without a page rather than the previous run's page beside them."""
    from infrabt.data.files import prepare_dir
    from infrabt.data.locks import folder_lock

    out = prepare_dir(out)
    _HELD.enter_context(folder_lock(out, replaces=(final,)))
    return out


@contextmanager
def shown_warnings() -> Iterator[None]:
    """Print the library's warnings (``DataNotice``: e.g. running on the snapshot) as one line each."""
    from infrabt.data.errors import DataNotice

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for warning in caught:
                if issubclass(warning.category, UserWarning):
                    kind = "note" if issubclass(warning.category, DataNotice) else "warning"
                    message = escape(str(warning.message))
                    console.print(f"[yellow]{kind}:[/] {message}", highlight=False, soft_wrap=True)


# --- infrabt data ... (the price cache) ---


def _progress() -> "Progress":
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@data_app.command("update")
@friendly_errors
def data_update(
    tickers: Annotated[
        list[str] | None,
        typer.Argument(help="Tickers or groups (default: the whole universe).", metavar="[TICKER]..."),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First date; earlier than the cache: refetch.", metavar="DATE")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last date, inclusive (default: today).", metavar="DATE")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Never touch the network (also INFRABT_OFFLINE=1).")
    ] = False,
) -> None:
    """Download daily prices from Yahoo Finance into the cache (only the days not cached yet).

    A ticker the cache lacks is first seeded from the bundled price snapshot, also with --offline. A corrupt
    cache file is rebuilt from Yahoo; offline, it is an error naming the file and its repair (exit 2).

    No network: cached prices are kept with a warning (exit 1); an uncached ticker is an error (exit 2).

    Example: infrabt data update SPY BTC-USD miners --start 2018-01-01
    """
    from infrabt.data.store import PriceStore
    from infrabt.data.yahoo import requested, update

    with _progress() as progress:
        task = progress.add_task("downloading", total=len(requested(tickers)))

        def advance(batch: list[str]) -> None:
            progress.update(task, advance=len(batch), description=f"downloaded {batch[-1]}")

        report = update(tickers, start, end, offline=offline or None, on_batch=advance)
    for symbol, meta in report.seeded.items():
        if symbol not in report.updated:
            _say_written(symbol, meta, "from the price snapshot")
    for symbol, meta in report.updated.items():
        repaired = f", replacing its corrupt cache file {PriceStore().path(symbol)}"
        _say_written(symbol, meta, f"from Yahoo{repaired if symbol in report.corrupt else ''}")
    if report.unchanged:
        state = "offline, nothing downloaded; cached" if report.offline else "up to date"
        console.print(f"{state}: {' '.join(report.unchanged)}", highlight=False)
    report.raise_for_failures()
    for symbol, why in report.kept.items():
        _warn(f"{symbol}: {why}. Retry `infrabt data update {symbol}` later, or import a CSV.")
    if report.fell_back:
        done = f"updated {_names(list(report.updated))}, then" if report.updated else "nothing downloaded,"
        _warn(
            f"no network ({report.network_error}); {done} kept the cached prices of "
            f"{_names(report.fell_back)}. Retry `infrabt data update` when online."
        )
    if report.fell_back or report.kept:
        raise typer.Exit(code=1)


def _say_written(symbol: str, meta: dict, source: str) -> None:
    line = f"{symbol}: {meta['first']} .. {meta['last']} ({meta['rows']} rows) {source}"
    console.print(escape(line), highlight=False, soft_wrap=True)


def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


@data_app.command("import")
@friendly_errors
def data_import(
    paths: Annotated[list[Path], typer.Argument(help="CSV files or folders of <TICKER>.csv files.")],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace cached prices even with a file that lacks cached days."),
    ] = False,
) -> None:
    """Import yfinance-style CSVs (Date,Open,High,Low,Close,Adj Close,Volume) into the cache, for offline use.

    Only Date and Adj Close (or Close) are required. Each file replaces its ticker's cached prices, if it
    covers every cached day (never merged); a file that lacks cached days (starts later, ends earlier or
    skips one) is refused naming both ranges, unless --replace. A gap of over 10 days in a file is imported
    (a long halt is real) with a warning naming it.

    All files are checked before any is written: one bad file and the cache stays as it was.

    Example: infrabt data import ../shared/data/prices
    """
    from infrabt.data.csv_import import HOLE_NOTE, csv_files, import_csv

    files = csv_files(paths)
    with _progress() as progress:
        task = progress.add_task("checking CSVs", total=len(files))
        written = import_csv(files, on_file=lambda path: progress.advance(task), replace=replace)
    console.print(f"imported {len(written)} tickers: {' '.join(sorted(written))}", highlight=False)
    flagged = []
    for symbol, meta in written.items():
        holes = [w for w in meta["warnings"] if w.startswith(HOLE_NOTE)]
        for hole in holes:  # a backtest would fill it flat: say so here, not only in `infrabt data check`
            _warn(
                f"{symbol}: {hole}; a backtest holds the last price flat across it (if it traded then, "
                f"import a CSV with those days)"
            )
        if len(meta["warnings"]) > len(holes):
            flagged.append(symbol)
    if flagged:
        console.print(f"warnings for {' '.join(flagged)}: see `infrabt data check`", highlight=False)


@data_app.command("list")
@friendly_errors
def data_list() -> None:
    """Show the cached tickers: group, first and last date, rows, source and number of warnings.

    Example: infrabt data list
    """
    from rich import box
    from rich.table import Table

    from infrabt.data.store import PriceStore
    from infrabt.data.universe import UNLISTED, load_universe

    store, universe = PriceStore(), load_universe()
    table = Table(box=box.SIMPLE, title=f"price cache {store.prices_dir}")
    for column in ("ticker", "group", "first", "last", "rows", "source", "warnings"):
        table.add_column(column, no_wrap=column != "source", justify="right" if column == "rows" else "left")
    cached = store.tickers()
    for symbol in cached:
        group = universe[symbol].group if symbol in universe else UNLISTED
        try:
            meta = store.metadata(symbol)
        except InfrabtError:
            table.add_row(symbol, group, "", "", "", "[red]corrupt: run infrabt data check[/]", "")
            continue
        source = meta["source"]
        if source.startswith("csv:"):
            source = f"csv:{Path(source[4:]).parent.name}/{Path(source[4:]).name}"
        table.add_row(
            symbol, group, meta["first"], meta["last"], str(meta["rows"]), source, str(len(meta["warnings"]))
        )
    out = Console()
    if not out.is_terminal:  # a pipe or a test: do not squeeze the table into 80 columns
        out = Console(width=120)
    out.print(table)
    _note_uncached(cached)


def _names(symbols: list[str], most: int = 8) -> str:
    """A few tickers by name, many by count: a warning must stay readable."""
    return " ".join(symbols) if len(symbols) <= most else f"{len(symbols)} tickers"


def _note_uncached(cached: list[str]) -> None:
    """Name the universe tickers the cache lacks, and how to get them."""
    from infrabt.data.universe import load_universe

    missing = [s for s in load_universe() if s not in cached]
    if missing:
        console.print(
            f"not cached: {' '.join(missing)} (run `infrabt data update` or `infrabt data import <folder>`)",
            highlight=False,
        )


@data_app.command("check")
@friendly_errors
def data_check() -> None:
    """Read every cached file, re-validate it, and show the warnings kept for suspicious one-day moves.

    Exit 2 if a file is corrupt or invalid (the message names the command that rebuilds it).

    Warnings alone do not fail: big real moves (CLSK +387% in 2018) are flagged for a human to judge.

    Example: infrabt data check
    """
    from infrabt.data.errors import CacheCorruptError
    from infrabt.data.store import PriceStore
    from infrabt.data.validation import check_frame

    store = PriceStore()
    broken, unsigned = [], []
    for symbol in store.tickers():
        try:
            check_frame(symbol, store.read(symbol))
            meta = store.metadata(symbol)
        except InfrabtError as exc:
            console.print(f"[red]{symbol}[/]: {escape(str(exc))}", highlight=False, soft_wrap=True)
            broken.append(symbol)
            continue
        for warning in meta["warnings"]:
            console.print(f"[yellow]{symbol}[/]: {escape(warning)}", highlight=False, soft_wrap=True)
        if "checksum" not in meta:
            unsigned.append(symbol)
    if unsigned:  # written by an infrabt before checksums: an edit outside infrabt cannot be detected
        _warn(
            f"no checksum in {_names(unsigned)} (written by an older infrabt), so an outside edit would go "
            f"unnoticed; rewrite them with `infrabt data update` or `infrabt data import`"
        )
    checked = len(store.tickers())
    if broken:
        names = " ".join(broken)
        raise CacheCorruptError(
            f"{len(broken)} of {checked} cached files are corrupt or invalid ({names}); rebuild with "
            f"`infrabt data update {names}` or `infrabt data import <folder with their CSVs>`"
        )
    console.print(f"{checked} cached tickers checked: all readable and valid", highlight=False)
    _note_uncached(store.tickers())


# --- infrabt strategies / run (the backtest) ---

StrategiesDir = Annotated[
    Path | None, typer.Option("--strategies-dir", help="A folder of your own strategy modules (added).")
]


@app.command("strategies")
@friendly_errors
def strategies_list(strategies_dir: StrategiesDir = None) -> None:
    """List the strategies a run can use: id, thesis, every ticker it can hold or read (by group), rule.

    Your own modules in --strategies-dir are added; modules whose name starts with _ are helpers they can
    import, not strategies.
    """
    from rich.table import Table

    from infrabt.strategies import load_strategies

    table = Table(show_lines=True)
    for column in ("id", "thesis", "assets", "rule"):
        table.add_column(column, overflow="fold")
    for strategy in load_strategies(strategies_dir).values():
        cells = (strategy.id, strategy.summary, _assets_by_group(strategy.tickers), _rule(strategy))
        table.add_row(*map(escape, cells))  # a thesis may contain [brackets]: text, not rich markup
    Console().print(table)


def _assets_by_group(tickers) -> str:
    """'miners: RIOT, MARA; crypto: BTC-USD', the same shape for every strategy."""
    from infrabt.data.universe import load_universe

    universe, groups = load_universe(), {}
    for ticker in tickers:
        groups.setdefault(universe[ticker].group if ticker in universe else "other", []).append(ticker)
    return "; ".join(f"{group}: {', '.join(members)}" for group, members in groups.items())


def _rule(strategy) -> str:
    """The strategy's rule, said plainly for a single asset held whole: buy and hold."""
    return f"buy and hold {strategy.held_whole}" if strategy.held_whole else strategy.rule


@app.command("run")
@friendly_errors
def run_backtest(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Strategy ids (default: all).", metavar="[ID]...")
    ] = None,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.", metavar="DATE")] = "2018-01-01",
    end: Annotated[
        str | None,
        typer.Option(
            help="Last day (default: the common end date, the last day every ticker has a price).",
            metavar="DATE",
        ),
    ] = None,
    fees: Annotated[
        float, typer.Option(help="Fees, fraction of traded value (0.001 = 10 bps).", metavar="FRACTION")
    ] = 0.001,
    slippage: Annotated[
        float, typer.Option(help="Slippage, fraction of price (0.001 = 10 bps).", metavar="FRACTION")
    ] = 0.001,
    offline: Annotated[bool, typer.Option("--offline", help="Only the local price cache.")] = False,
    out: Annotated[Path, typer.Option(help="Output folder.", parser=out_folder, metavar="DIR")] = DEFAULT_OUT,
    strategies_dir: StrategiesDir = None,
    calendar: Annotated[
        str | None, typer.Option(help="equity (252/yr) or crypto (365/yr).", metavar="NAME")
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option(
            help="Strategy id to compare against, always run (default spy; crypto-only: pure_btc).",
            metavar="ID",
        ),
    ] = None,
    crises: Annotated[
        Path | None, typer.Option(help="Extra crisis windows (TOML) for the report.", metavar="FILE")
    ] = None,
    claims: Annotated[
        Path | None,
        typer.Option(help="Your thesis claims (TOML) to test instead of the shipped ones.", metavar="FILE"),
    ] = None,
    tearsheets: Annotated[bool, typer.Option(help="Write a quantstats tear sheet per strategy.")] = True,
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the dashboard in the browser when done.")
    ] = False,
) -> None:
    """Backtest strategies on one calendar; write returns.csv, metrics.csv and the HTML report to --out."""
    with loading_libraries():
        import pandas as pd

        from infrabt.data.errors import StrategyError
        from infrabt.engine.api import run, write_csvs

    # a malformed crises or claims file (or a claim naming a window no file lists), or an unwritable --out,
    # fails before the backtest
    if crises is not None or claims is not None:
        from infrabt.reports.claims import load_claims_and_windows

        load_claims_and_windows(claims, crises)
    claim_out(out, final="index.html")
    with (
        shown_warnings(),
        console.status("loading prices and simulating every strategy in one vectorbt call ..."),
    ):
        result = run(
            ids or None, start, end, fees=fees, slippage=slippage, calendar=calendar,
            offline=True if offline else None, strategies_dir=strategies_dir, benchmark=benchmark,
        )  # fmt: skip
    say = functools.partial(console.print, highlight=False, soft_wrap=True)  # a pipe must not split a date
    say(
        f"ran {len(result.returns.columns)} strategy(ies) on the {result.calendar} calendar "
        f"({result.periods_per_year} days/yr), {result.start.date()} .. {result.end.date()}, "
        f"against {result.benchmark}"
    )
    for note in result.notes:
        say(f"[yellow]note:[/] {escape(note)}")
    try:
        from infrabt.reports import write_report
    except ImportError:  # the reports package is optional: the CSVs are the engine's output
        metrics = write_csvs(result, out)
        say(f"wrote {out / 'returns.csv'} and {out / 'metrics.csv'}")
        page = None
    else:  # also writes returns.csv and metrics.csv (atomically), after checking that --out is writable
        with shown_warnings():  # the thesis check's notes on the prices it adds
            page = write_report(result, out, crises_file=crises, tearsheets=tearsheets, claims_file=claims)
        metrics = pd.read_csv(out / "metrics.csv", index_col=0)  # what the report holds, not computed twice
    out_console = Console()
    if not out_console.is_terminal:  # a pipe: never squeeze the numbers into 80 columns
        out_console = Console(width=120)
    out_console.print(metrics_table(metrics, result.benchmark))
    if page is not None:
        url = page.resolve().as_uri()
        say(f"dashboard: {url}")
        if open_page:
            import webbrowser

            webbrowser.open(url)
    if result.failures:
        lines = "; ".join(f"{sid}: {reason}" for sid, reason in result.failures.items())
        raise StrategyError(f"{len(result.failures)} strategies failed (the others were written): {lines}")


def metrics_table(metrics, benchmark: str):
    """The run's headline numbers as a compact table for the terminal (the full set is in metrics.csv)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("strategy", no_wrap=True)
    shown = {"cagr": "CAGR", "sharpe": "Sharpe", "max_drawdown": "max DD", "beta": f"beta {benchmark}"}
    for label in shown.values():
        table.add_column(label, justify="right", no_wrap=True)
    for sid, row in metrics.iterrows():
        name = f"{sid} (benchmark)" if sid == benchmark else str(sid)
        table.add_row(
            escape(name), f"{row.cagr:.1%}", f"{row.sharpe:.2f}", f"{row.max_drawdown:.1%}", f"{row.beta:.2f}"
        )
    return table


@app.command("sweep")
@friendly_errors
def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (TOML), e.g. examples/sweeps/*.toml.")],
    out: Annotated[
        Path,
        typer.Option(
            help="Output folder: results.parquet, sweep.html, sweep.json.", parser=out_folder, metavar="DIR"
        ),
    ],
    offline: Annotated[bool, typer.Option("--offline", help="Use only the local price cache.")] = False,
    split: Annotated[
        str | None, typer.Option(help="Rank before this date, report after it.", metavar="DATE")
    ] = None,
    walk_forward: Annotated[bool, typer.Option("--walk-forward", help="Rolling 3y in, 1y out.")] = False,
    max_memory: Annotated[
        str | None, typer.Option(help="Memory for all workers, e.g. 2GB (RAM/4).", metavar="SIZE")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: CPU count).", metavar="N")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, tcp://HOST:PORT.", metavar="ADDRESS")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail if the scheduler is unreachable.")] = False,
    tearsheets: Annotated[
        int, typer.Option(help="Full tear sheets for the top N variants.", metavar="N")
    ] = 0,
    yes: Annotated[bool, typer.Option("--yes", help="Allow more than ten million variants.")] = False,
    engine: Annotated[
        str, typer.Option(help="fast (closed form, = vectorbt) or vectorbt.", metavar="NAME")
    ] = "fast",
    limit: Annotated[
        int | None, typer.Option(help="Run only the first N variants (a preview).", metavar="N")
    ] = None,
) -> None:
    """Run a parameter sweep: many variants, chunked and resumable, scored in and out of sample."""

    with loading_libraries():
        from infrabt.engine.sweeps.spec import load_spec
        from infrabt.reports.sweep_report import sweep as run_sweep

    checked = load_spec(spec)  # a bad spec fails before --out is created
    claim_out(out, final="sweep.html")
    with shown_warnings():
        result = run_sweep(
            checked, out, split=split, walk_forward=walk_forward, max_memory=max_memory, workers=workers,
            scheduler=scheduler, strict=strict, offline=True if offline else None, tearsheets=tearsheets,
            yes=yes, method=engine, limit=limit, progress=True,
        )  # fmt: skip
    reused = f", {result.chunks_reused} chunk(s) resumed" if result.chunks_reused else ""
    best = result.top(1)
    shown = [p for p in result.param_columns if not p.startswith("w_")][:4]
    described = ", ".join(f"{p}={best[p].iloc[0]}" for p in shown)
    console.print(
        f"{result.n_variants:,} variants of {result.spec.name} in {result.seconds:.1f} s ({result.executor}"
        f"{reused}); best by {result.rank_by}: {best.index[0]}" + (f" ({described})" if described else ""),
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"wrote {result.results_path} and {result.report}", highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        app()
    finally:
        # The command is done (its files written and closed, atomically): freezing every object tracked by
        # the garbage collector lets the interpreter exit without collecting and freeing the module graph
        # of pandas, pyarrow & co., ~0.1 s of every command (0.15 s to leave after the sweep imports).
        gc.freeze()
