"""Parameter sweeps: thousands of variants of a strategy (or random fixed-weight portfolios), scored honestly.

``run_sweep(spec, out_dir)`` is the Python API; ``infrabt sweep SPEC.toml --out DIR`` wraps it. The pieces:

- spec.py         the spec (TOML or Python), grid expansion, random Dirichlet weights;
- orders.py       a chunk's orders: random weights at once, a grid batched (``strategies.batch``), or one
                  variant at a time through ``engine.backtest.build_orders``;
- evaluate.py     one chunk: its orders simulated at once, reduced to metrics and per-block sums;
- fast.py         the closed-form simulation (default), equal to vectorbt's targetpercent orders;
- execute.py      chunking to a memory budget, worker processes or Dask, resumable parquet parts;
- overfitting.py  deflated Sharpe ratio and PBO (CSCV) of the whole sweep;
- reports/sweep_report.py  DIR/sweep.html.

Honesty: ``split`` ranks variants on the days before it and reports their performance after it (``is_*`` and
``oos_*`` columns); ``walk_forward`` repeats that over rolling windows (3 years in-sample, the next year out);
the report leads with the deflated Sharpe ratio and the probability of backtest overfitting, says how many
variants were tried and shows the whole distribution.
"""

import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from infrabt.data.calendar import parse_date, periods_per_year
from infrabt.data.errors import ConfigError, DataNotice, InfrabtError
from infrabt.data.files import prepare_dir, write_parquet, write_text
from infrabt.data.locks import folder_lock
from infrabt.data.software import versions_text
from infrabt.engine.result import Costs
from infrabt.engine.sweeps.bounds import check_fits, local_workers
from infrabt.engine.sweeps.evaluate import METHODS, ScoreRange, SweepTask, simulate_chunk, storable
from infrabt.engine.sweeps.execute import (
    PartStore,
    bytes_per_variant,
    connect_dask,
    default_max_memory,
    execute,
    parse_memory,
    plan_chunks,
)
from infrabt.engine.sweeps.overfitting import (
    BLOCK_PREFIX,
    Cscv,
    Overfitting,
    all_equal,
    block_bounds,
    correlation_sample,
    cscv,
    measure,
    moments_shape,
)
from infrabt.engine.sweeps.spec import (
    COST_PARAMS,
    RANDOM_ID,
    WEIGHT_PREFIX,
    SweepSpec,
    check_size,
    grid_variants,
    load_spec,
    random_weights,
    spec_from_dict,
    variant_ids,
)
from infrabt.strategies.base import decides_by_blocks
from infrabt.strategies.schedules import Every, period_starts, schedule

WALK_FORWARD_TRAIN_YEARS = 3
WALK_FORWARD_TEST_YEARS = 1
MIN_SAMPLE_DAYS = 63  # a quarter of trading days: fewer, and an annualized number means nothing
RESULTS_FILE = "results.parquet"
INFO_FILE = "sweep.json"
REPORT_FILE = "sweep.html"


@dataclass
class SweepResult:
    """What a sweep produced.

    results:   one row per variant: its parameters, then metrics (``cagr`` ... ``calmar``, ``total_return``),
               ``crisis_<id>`` returns, and with a split ``is_*`` / ``oos_*``, with walk-forward
               ``wf<k>_is_*`` / ``wf<k>_oos_*``.
    rank_by:   the column variants are ranked on (in-sample Sharpe with a split, else Sharpe).
    overfitting: deflated Sharpe ratio of the best variant and PBO (``engine.sweeps.overfitting``); None
               for a sweep of fewer than two variants. ``cscv``: the splits behind the PBO, for the report.
    folds:     walk-forward windows: (in-sample start, out-of-sample start, out-of-sample end).
    """

    spec: SweepSpec
    out_dir: Path
    results: pd.DataFrame
    param_columns: list[str]
    rank_by: str
    method: str
    calendar: str
    periods_per_year: int
    start: pd.Timestamp
    end: pd.Timestamp
    split: pd.Timestamp | None = None
    folds: list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]] = field(default_factory=list)
    crises: list[tuple[str, str]] = field(default_factory=list)
    chunks_computed: int = 0
    chunks_reused: int = 0
    executor: str = "local"
    seconds: float = 0.0
    report: Path | None = None
    """sweep.html, once the reports stage has written it."""
    top_returns: pd.DataFrame | None = None
    """Daily returns of the top ``tearsheets`` variants (re-simulated), for their tear sheets."""
    benchmark_returns: pd.Series | None = None
    overfitting: Overfitting | None = None
    cscv: Cscv | None = None

    @property
    def n_variants(self) -> int:
        return len(self.results)

    @property
    def results_path(self) -> Path:
        return self.out_dir / RESULTS_FILE

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best variants by ``rank_by`` (NaN last); picks rows, never sorts a copy of the table."""
        ranked = self.results[self.rank_by]
        order = ranked.dropna().nlargest(n).index
        if len(order) < n:
            order = order.append(ranked.index[ranked.isna()][: n - len(order)])
        return self.results.loc[order]


def run_sweep(
    spec: "SweepSpec | str | Path | dict",
    out_dir: "str | Path",
    *,
    split=None,
    walk_forward: bool = False,
    max_memory: "int | str | None" = None,
    workers: int | None = None,
    scheduler: str | None = None,
    strict: bool = False,
    offline: bool | None = None,
    tearsheets: int = 0,
    yes: bool = False,
    method: str = "fast",
    limit: int | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run a sweep into ``out_dir`` (results.parquet, sweep.json), resuming an interrupted one.

    The page (sweep.html) is the reports stage's: ``infrabt.sweep`` runs this and then writes it.

    spec:         a ``SweepSpec``, a TOML path, or the TOML's fields as a dict.
    split:        a date: rank on the days before it, report the days from it on (in/out-of-sample columns).
    walk_forward: rank/test over rolling windows (3 years in, 1 year out).
    max_memory:   bytes (or "2GB") for all workers together; default a quarter of the RAM.
    workers:      worker processes (default: the CPU count); 1 runs in this process.
    scheduler:    a dask.distributed address (tcp://HOST:PORT); unreachable -> local with a warning, or
                  ``ConfigError`` with ``strict``.
    method:       "fast" (closed form, equal to vectorbt's orders to 1e-9) or "vectorbt" (engine.simulate).
    limit:        run only the first ``limit`` variants (smoke tests, previews).
    chunk_size:   variants per chunk, overriding the size planned from ``max_memory``.
    tearsheets:   keep the daily returns of the top N variants (``top_returns``) for their tear sheets.
    """
    started = time.perf_counter()
    spec = as_spec(spec)
    if method not in METHODS:
        raise ConfigError(f"unknown sweep engine {method!r}; use one of {', '.join(METHODS)}")
    check_size(spec, yes)
    if isinstance(tearsheets, bool) or not isinstance(tearsheets, int) or tearsheets < 0:
        raise ConfigError(f"--tearsheets {tearsheets!r} must be a whole number of variants, 0 or more")
    if strict and not scheduler:
        raise ConfigError("--strict says what to do when --scheduler is unreachable; give --scheduler too")
    workers = local_workers(workers)
    budget = parse_memory(max_memory) or default_max_memory()
    check_fits(spec, budget)  # counted, not built: a 1e9 grid fails here
    base, variants, checked = expand(spec)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"--limit {limit!r} must be a whole number of variants, at least 1")
        variants = variants.iloc[:limit]
    prices, days, calendar = load_panel(spec, checked, offline)
    split_day = check_split(split, days)
    folds = walk_forward_folds(days) if walk_forward else []
    task = SweepTask(
        prices=prices,
        days=days,
        base=base,
        periods_per_year=periods_per_year(calendar),
        ranges=score_ranges(split_day, folds),
        crises=crisis_windows(),
        method=method,
        random_template=random_template(base, prices, days) if spec.random else None,
        cost_params=tuple(k for k in COST_PARAMS if k in spec.grid),
        sample=tuple(variants.index[correlation_sample(len(variants))].astype(str)),
    )
    out = prepare_dir(out_dir)
    with folder_lock(out):  # one run at a time per folder, from Python as from the CLI (re-entrant)
        fingerprint = sweep_fingerprint(spec, task, len(variants))
        remove_stale_outputs(out, fingerprint)
        costs = variant_costs(spec, variants)
        trade_dates = (
            len(task.random_template)
            if spec.random
            else most_trade_dates(base, variants, days, len(prices.columns))
        )
        per_variant = bytes_per_variant(len(days), len(prices.columns), trade_dates, method)
        client = connect_dask(scheduler, strict) if scheduler else None
        try:
            # a cluster's chunks are planned for its workers, so that every one of them gets some
            planned = len(client.scheduler_info().get("workers", {})) if client is not None else workers
            chunks = plan_chunks(costs, per_variant, budget, max(workers, planned), chunk_size=chunk_size)
            workers = min(workers, len(chunks))  # a process per chunk at most
            store = PartStore(out, fingerprint)
            computed, reused = execute(
                task, variants, chunks, store, workers=workers, client=client, progress=progress
            )
        finally:
            if client is not None:
                client.close()
        results, blocks, sample = store.read_all(chunks)
        # a chunk of only counts beside one with durations: the concatenated column mixes them; one type again
        # (numbers only, as random weights, need nothing: not a copy of a million variants' 256 MB of weights)
        params = list(variants.columns)
        if any(pd.api.types.is_object_dtype(results[c]) for c in params):
            results[params] = storable(results[params])
        overfitting, split_outcome = measure_overfitting(
            results, blocks, sample, len(task.days), task.periods_per_year
        )
        del blocks, sample  # a million variants' block sums: 270 MB, not needed for writing the results
        if overfitting is not None:  # in the file's metadata, for whoever reads it
            results.attrs["overfitting"] = overfitting.to_dict()
        write_parquet(out / RESULTS_FILE, results)
        # in memory the numbers are result.overfitting: left in attrs, pandas deep-copies them into every
        # frame taken from the table (~260 copies while the page is written)
        results.attrs.clear()

        result = SweepResult(
            spec=spec,
            out_dir=out,
            results=results,
            param_columns=[c for c in variants.columns],
            rank_by="is_sharpe" if split_day is not None else "sharpe",
            method=method,
            calendar=calendar,
            periods_per_year=task.periods_per_year,
            start=days[0],
            end=days[-1],
            split=split_day,
            folds=folds,
            crises=[(cid, f"{s.date()} .. {e.date()}") for cid, s, e in task.crises],
            chunks_computed=computed,
            chunks_reused=reused,
            executor=f"dask {scheduler}" if client is not None else f"local x{workers}",
            seconds=time.perf_counter() - started,
            overfitting=overfitting,
            cscv=split_outcome,
        )
        write_info(result, fingerprint, len(chunks))
        result.top_returns, result.benchmark_returns = tearsheet_inputs(
            result, task, variants, tearsheets, offline
        )
        return result


def as_spec(spec: "SweepSpec | str | Path | dict") -> SweepSpec:
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return spec_from_dict(spec)
    return load_spec(spec)


def expand(spec: SweepSpec):
    """The base strategy, the variant table (index = variant id, one column per swept parameter), and the
    strategies ``one_at_a_time`` checked (which tell the tickers and the warm-up the sweep needs)."""
    from infrabt.data.universe import pinned
    from infrabt.strategies import Fixed, Strategy, load_strategies

    if spec.random is not None:
        from infrabt.data.universe import resolve

        tickers = resolve(list(spec.random.assets))
        base = Strategy(
            id=RANDOM_ID,
            thesis="Random fixed weights (Dirichlet draws) over a set of tickers, rebalanced on a calendar.",
            weighting=Fixed({t: 1 / len(tickers) for t in tickers}),
            rebalance=spec.random.rebalance,
        )
        weights = random_weights(spec.random, tickers)
        variants = pd.DataFrame(weights, columns=[f"{WEIGHT_PREFIX}{t}" for t in tickers])
        variants.index = variant_ids(len(variants))
        return base, variants, [base]
    known = load_strategies()
    if spec.strategy not in known:
        raise ConfigError(
            f"sweep {spec.name!r}: unknown strategy {spec.strategy!r}; known: {', '.join(sorted(known))}"
        )
    base = known[spec.strategy]
    with pinned():  # one reading of the universe files for every variant checked
        checked = one_at_a_time(spec, base)  # bad names and values fail here, named, not inside a worker
    return base, grid_variants(spec), [base, *checked]


def one_at_a_time(spec: SweepSpec, base) -> list:
    """The strategy at the grid's first values, and once with each other value of each parameter.

    Enough to check every name and value (a product of millions is never built) and to find every ticker and
    the longest lookback the sweep needs. A parameter the strategy does not declare is refused by its
    ``with_params`` (``rebalance = "drift"`` brings ``tolerance`` with it).
    """
    first = {key: spec.grid[key][0] for key in spec.strategy_params}
    try:
        checked = [base.with_params(**first)]
    except InfrabtError as exc:
        raise ConfigError(f"sweep {spec.name!r}: {exc} (a sweep may also vary fees, slippage)") from None
    except (TypeError, ValueError):
        checked = []  # a bad value: named below, parameter by parameter
    for key in spec.strategy_params:
        for value in spec.grid[key]:
            checked.append(checked_variant(spec, base, first, key, value))
    return checked


def checked_variant(spec: SweepSpec, base, first: dict, key: str, value):
    """``base`` with ``key = value`` (the other parameters at their first values), or a ConfigError naming
    the parameter: a wrong value (``lookback = "abc"``, ``-5``) would otherwise fail inside a worker."""
    bad = f"sweep {spec.name!r}: grid {key} = {value!r} is not valid"
    default = base.params.get(key)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if not number:
            raise ConfigError(f"{bad}: {key} takes a number like its default {default!r}; fix the grid")
        if isinstance(default, int) and (value != int(value) or value < 0):
            raise ConfigError(f"{bad}: {key} takes a whole number >= 0 like its default {default!r}")
    try:
        variant = base.with_params(**{**first, key: value})
        variant.lookback  # noqa: B018 - computed from the values; a wrong type fails here, not in a worker
    except InfrabtError as exc:
        raise ConfigError(f"{bad}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{bad} ({exc}); give {key} values of the type the strategy declares") from None
    return variant


def load_panel(spec: SweepSpec, checked: list, offline: bool | None):
    """Prices with the warm-up the longest swept lookback needs; the backtest days; the calendar.

    ``checked`` (from ``expand``) holds the base and every value of every parameter tried on its own, so a
    ticker a variant adds (BTC-USD for btc_share > 0) and the longest lookback are both covered.
    """
    from infrabt.data.prices import load_prices
    from infrabt.engine.api import end_notes, run_end, warmup
    from infrabt.engine.backtest import backtest_days

    base = checked[0]
    start = pd.Timestamp(spec.start) if spec.start else None
    load_from = start - warmup(checked) if start is not None else None
    tickers = list(dict.fromkeys(t for strategy in checked for t in strategy.tickers))
    prices = load_prices(tickers, start=load_from, end=spec.end, calendar=base.calendar, offline=offline)
    requested = pd.Timestamp(spec.end) if spec.end else None
    first = start if start is not None else prices.index[0]
    end = run_end(prices, first, requested)
    for note in end_notes(prices, first, end, requested):
        warnings.warn(f"sweep {spec.name!r}: {note}", DataNotice, stacklevel=2)
    days = backtest_days(prices, start, end)
    return prices.loc[: days[-1]], days, base.calendar


def check_split(split, days: pd.DatetimeIndex) -> pd.Timestamp | None:
    """The split date, which must leave at least ``MIN_SAMPLE_DAYS`` trading days on each side: a sample of
    a few days annualizes to nonsense."""
    if split is None:
        return None
    day = parse_date(split, "--split")
    data = f"{days[0].date()} .. {days[-1].date()}"
    if not days[0] < day <= days[-1]:
        raise ConfigError(
            f"--split {day.date()} is outside the data ({data}); "
            "pick a date inside it so both samples have days"
        )
    before, after = int((days < day).sum()), int((days >= day).sum())
    if min(before, after) < MIN_SAMPLE_DAYS:
        raise ConfigError(
            f"--split {day.date()} leaves {before} trading days before it and {after} from it (data {data}); "
            f"each side needs at least {MIN_SAMPLE_DAYS}: pick a date further inside"
        )
    return day


def walk_forward_folds(days: pd.DatetimeIndex) -> list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """Rolling (in-sample start, out-of-sample start, out-of-sample end) windows, stepping one test period.

    Only whole folds: the data must reach (to within a week of holidays and weekends) the end of the test
    period, and the test must hold ``MIN_SAMPLE_DAYS`` trading days; a stub of a few days at the end would be
    annualized into nonsense.
    """
    train = pd.DateOffset(years=WALK_FORWARD_TRAIN_YEARS)
    test = pd.DateOffset(years=WALK_FORWARD_TEST_YEARS)
    folds, begin = [], days[0]
    while begin + train < days[-1]:
        cut, stop = begin + train, begin + train + test
        whole = stop - days[-1] <= pd.Timedelta(days=7)
        if whole and int(((days >= cut) & (days < stop)).sum()) >= MIN_SAMPLE_DAYS:
            folds.append((begin, cut, stop))
        begin = begin + test
    if not folds:
        raise ConfigError(
            f"--walk-forward needs at least {WALK_FORWARD_TRAIN_YEARS + WALK_FORWARD_TEST_YEARS} years "
            f"of data ({WALK_FORWARD_TRAIN_YEARS} in-sample + {WALK_FORWARD_TEST_YEARS} out); the sweep has "
            f"{days[0].date()} .. {days[-1].date()}: start earlier or drop --walk-forward"
        )
    return folds


def score_ranges(split: pd.Timestamp | None, folds: list) -> tuple[ScoreRange, ...]:
    ranges = [ScoreRange("")]
    if split is not None:
        ranges += [ScoreRange("is_", None, split), ScoreRange("oos_", split, None)]
    for k, (begin, cut, stop) in enumerate(folds, start=1):
        ranges += [ScoreRange(f"wf{k}_is_", begin, cut), ScoreRange(f"wf{k}_oos_", cut, stop)]
    return tuple(ranges)


def crisis_windows() -> tuple[tuple[str, pd.Timestamp, pd.Timestamp], ...]:
    """The listed crisis windows (data/crises.toml); none if that file is missing."""
    from infrabt.data.paths import CRISES_FILE

    if not CRISES_FILE.is_file():
        warnings.warn(f"{CRISES_FILE} not found: no crisis columns in the sweep", stacklevel=2)
        return ()
    from infrabt.engine.crises import load_crises

    return tuple((c.id, c.start, c.end) for c in load_crises())


def random_template(base, prices: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The random-weights base's equal-weight orders: when each variant trades, which assets are live."""
    from infrabt.engine.backtest import build_orders

    return build_orders(base, prices[list(base.tickers)], days)


def most_trade_dates(base, variants: pd.DataFrame, days: pd.DatetimeIndex, n_assets: int) -> int:
    """The most trade dates a part of a chunk can have in ``days``, for the chunks' memory estimate: the
    period starts of every calendar schedule of the grid (a part of the per-variant path stacks variants of
    several schedules on the union of their dates), plus the first allocations (at most one per asset's
    listing, and the start) and a final sale per asset. Every day if a variant may trade on any day: a drift
    band, a user's schedule, or a strategy whose own ``target_weights`` decides. Estimating every day for
    all made weekly-to-quarterly grids run in twice the chunks they need (each steps through its dates
    once)."""
    if not decides_by_blocks(base):
        return len(days)
    try:
        rules = variants["rebalance"].unique() if "rebalance" in variants.columns else [base.rebalance]
    except TypeError:  # a user's schedule block that cannot be hashed
        return len(days)
    starts = 0
    for rule in map(schedule, rules):
        if type(rule) is not Every:  # a subclass may trade on other days than its name says
            return len(days)
        starts += len(period_starts(days, rule.name))
    return min(len(days), starts + 1 + 2 * n_assets)


def variant_costs(spec: SweepSpec, variants: pd.DataFrame) -> list[Costs]:
    """Each variant's costs: the spec's, with ``fees`` / ``slippage`` from the grid where swept."""
    swept = [k for k in COST_PARAMS if k in variants.columns]
    if not swept:
        return [spec.costs] * len(variants)
    rows = variants[swept].to_dict("records")
    base = spec.costs
    return [Costs(fees=float(r.get("fees", base.fees)), slippage=float(r.get("slippage", base.slippage)),
                  init_cash=base.init_cash) for r in rows]  # fmt: skip


def sweep_fingerprint(spec: SweepSpec, task: SweepTask, n_variants: int) -> str:
    """Spec + data + scoring options: parts computed under another fingerprint are never reused."""
    digest = hashlib.sha256()
    digest.update(spec.fingerprint().encode())
    digest.update(np.ascontiguousarray(task.prices.to_numpy(dtype=float)).tobytes())
    digest.update(str((list(task.prices.columns), task.days[0], task.days[-1], n_variants)).encode())
    digest.update(str((task.ranges, task.crises, task.method)).encode())
    digest.update(code_fingerprint().encode())
    return digest.hexdigest()[:16]


def code_fingerprint() -> str:
    """A hash of the code that computes a sweep's numbers (the simulation, the metrics, the strategies), so a
    resumed sweep never mixes parts computed by an older version with new ones."""
    digest = hashlib.sha256()
    for path in fingerprinted_files():
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update(library_versions().encode())
    return digest.hexdigest()


def fingerprinted_files() -> list[Path]:
    """The source files behind a sweep's numbers: the sweep package, the strategies, the simulation and the
    price panel with its calendar."""
    from infrabt import strategies
    from infrabt.data import calendar, prices
    from infrabt.engine import backtest, result, simulate

    here = Path(__file__).parent
    modules = (backtest, simulate, result, prices, calendar)
    return [
        *sorted(here.glob("*.py")),
        *sorted(Path(strategies.__file__).parent.glob("*.py")),
        *(Path(m.__file__) for m in modules),
    ]


def library_versions() -> str:
    """numpy / pandas / vectorbt versions: an upgrade can change the numbers as surely as our code can."""
    return versions_text(("numpy", "pandas", "vectorbt"))


def remove_stale_outputs(out: Path, fingerprint: str) -> None:
    """Remove results.parquet, sweep.json and sweep.html left by a sweep with another fingerprint, so an
    interrupted rerun never leaves the old results looking current. Only a folder whose sweep.json an
    infrabt sweep wrote (it records a fingerprint) is touched: files of those names that are a user's stay."""
    try:
        recorded = json.loads((out / INFO_FILE).read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded is None or recorded == fingerprint:
        return
    for name in (RESULTS_FILE, INFO_FILE, REPORT_FILE):
        (out / name).unlink(missing_ok=True)


def measure_overfitting(
    results: pd.DataFrame, blocks: pd.DataFrame, sample: pd.DataFrame, n_days: int, periods_per_year: int
) -> tuple[Overfitting | None, Cscv | None]:
    """Deflated Sharpe and PBO, with the CSCV splits behind it, from what the chunks kept: per-block sums
    (and the power sums behind the best variant's skewness and kurtosis) and the sampled daily returns."""
    sharpes = results["sharpe"].to_numpy(dtype=float)
    if len(results) < 2 or not np.isfinite(sharpes).any():
        return None, None

    def part(kind: str) -> np.ndarray:
        return blocks[[c for c in blocks.columns if c.startswith(f"{BLOCK_PREFIX}{kind}_")]].to_numpy().T

    sums, squares = part("sum"), part("sq")
    if all(all_equal(row) for row in (*sums, *squares)):
        return None, None  # one return series, however many variants: no best to pick, nothing to deflate
    split = cscv(sums, squares, np.diff(block_bounds(n_days, len(sums))).astype(float))
    best = int(np.nanargmax(np.where(np.isfinite(sharpes), sharpes, -np.inf)))
    powers = [blocks[f"{BLOCK_PREFIX}{kind}"].iloc[best] for kind in ("cube", "quad")]
    shape = moments_shape(n_days, sums[:, best].sum(), squares[:, best].sum(), *powers)
    numbers = measure(
        sharpes, list(results.index), (n_days, *shape), sample.to_numpy(), split, periods_per_year
    )
    return numbers, split


def write_info(result: SweepResult, fingerprint: str, n_chunks: int) -> None:
    info = {
        "name": result.spec.name,
        "strategy": result.spec.strategy or RANDOM_ID,
        "variants": result.n_variants,
        "method": result.method,
        "calendar": result.calendar,
        "start": str(result.start.date()),
        "end": str(result.end.date()),
        "split": str(result.split.date()) if result.split is not None else None,
        "walk_forward_folds": [[str(d.date()) for d in fold] for fold in result.folds],
        "rank_by": result.rank_by,
        "fingerprint": fingerprint,
        "chunks": n_chunks,
        "chunks_computed": result.chunks_computed,
        "chunks_reused": result.chunks_reused,
        "executor": result.executor,
        "seconds": round(result.seconds, 2),
        "costs": vars(result.spec.costs),
        "overfitting": result.overfitting.to_dict() if result.overfitting else None,
    }
    write_text(result.out_dir / INFO_FILE, json.dumps(info, indent=1))


def tearsheet_inputs(
    result: SweepResult, task: SweepTask, variants: pd.DataFrame, count: int, offline: bool | None
):
    """Daily returns of the top ``count`` variants (re-simulated: the sweep kept only metrics) and the
    benchmark's: BTC-USD on the crypto calendar, else SPY (as a run compares with pure_btc or spy; SPY on
    the crypto calendar is flat every weekend).

    The parameters come from the in-memory ``variants`` table, not from the results: those hold a dict
    parameter (sixty_forty ``weights``) as JSON text, which ``with_params`` would refuse.
    """
    if count <= 0:
        return None, None
    from infrabt.data.errors import DataError
    from infrabt.data.prices import load_prices

    top = result.top(count)
    params = variants.loc[top.index, result.param_columns]
    costs = variant_costs(result.spec, params)
    frames = []
    for variant, cost in zip(params.index, costs, strict=True):
        returns, _ = simulate_chunk(task, params.loc[[variant]], cost)
        frames.append(pd.Series(returns[:, 0], index=task.days, name=variant))
    top_returns = pd.concat(frames, axis=1)
    ticker = "BTC-USD" if result.calendar == "crypto" else "SPY"
    try:
        closes = load_prices(
            [ticker], start=task.days[0], end=task.days[-1], calendar=result.calendar, offline=offline
        )
        benchmark = closes[ticker].reindex(task.days).pct_change(fill_method=None).fillna(0.0).rename(ticker)
    except DataError as exc:
        warnings.warn(
            f"no {ticker} prices for the tear sheets' benchmark ({exc}); comparing with cash", stacklevel=2
        )
        benchmark = pd.Series(0.0, index=task.days, name="cash")
    return top_returns, benchmark


__all__ = ["SweepResult", "SweepSpec", "load_spec", "run_sweep"]
