"""Sweep throughput and memory: dynamic grids (batched vs per variant), fixed weights against the closed
form, vectorbt and bt. Numbers printed only; every run in a fresh process on the shared CSVs (imported into a
temporary cache through the product's own `infrabt data import`).

    .venv/bin/python benchmarks/bench_sweep.py [--sizes 10000 100000 1000000] [--workers 2]
    .venv/bin/python benchmarks/bench_sweep.py --smoke   # every part at a tiny size (the tests run it)

Two clocks, labelled on every line:
- "CLI": `python -m infrabt sweep SPEC --out DIR --offline` as a user runs it: wall time of the whole command
  (interpreter start, imports, prices, sweep, overfitting, results, sweep.html), infrabt's bytecode compiled
  as after an install (``compile_bytecode``).
- "run_sweep": the `run_sweep` call alone in a fresh process, timed after the imports (what the sweep costs).
- "CLI floor": a fresh interpreter that imports the sweep command's modules and exits, timed like the CLI:
  what every command pays before any work; "above the floor" is the CLI's rate without it.
- "closed form, end to end": the peer for fixed weights, a fresh process timed from outside like the CLI: the
  same imports, prices and trade dates, the closed form instead of the order simulation, the same metrics
  (``summary_arrays``), one parquet file; no costs, no per-block sums, no overfitting measures, no page, one
  process. The ceiling of the whole job, as the closed form alone is the ceiling of the simulation.
Peak memory, sampled every 50 ms over the process and its workers, in a run of its own (sampling slows the
process it samples: no timed run is sampled): "PSS" = the sum of proportional set sizes
(a page shared by forked workers counted once: the memory the job really holds), and "RSS" = the sum of
resident sets (shared pages counted in every process: an upper bound).

1. Dynamic grids (the shipped rules): batched path end to end (CLI and run_sweep), the CLI on the grid's first
   2 variants alone (what a run pays whatever its size), and the per-variant path (every variant's weights
   rebuilt in pandas, as before batching) on the first variants of the same grid.
2. Random fixed weights (Dirichlet, seed 7, rails universe: 32 tickers, monthly): CLI and run_sweep at each
   size, beside the closed form end to end and the closed-form simulation alone for the same number of
   portfolios (zero costs, one core, in chunks).
3. Simulation only, one core, best of 5: the fast path and the closed-form ceiling, 10,000 variants.
4. vectorbt (``--engine vectorbt``) end to end, and bt on a sample: the same weights, zero costs.
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
START = "2018-01-01"
RANDOM = {"assets": ["miners", "gpu_datacenter", "tokenization"], "seed": 7}
# the closed form's chunks: the sweep's own largest (execute.MAX_CHUNK); on this VM a first touch of fresh
# memory is slow, and 10,000-variant arrays (170 MB each) made the peer 4.5x slower than 2,000
CHUNK = 2_000


def span(start: float, stop: float, step: float) -> dict:
    return {"start": start, "stop": stop, "step": step}


REBALANCES = ["weekly", "monthly", "quarterly"]
# name: (strategy, grid); the first is the grid the issue measured at ~15 variants/s
DYNAMIC = {
    "rails_inverse_vol lookback x btc_share x rebalance": (
        "rails_inverse_vol",
        {"lookback": span(21, 252, 7), "btc_share": span(0.0, 0.5, 0.05), "rebalance": REBALANCES},
    ),
    "rails_inverse_vol, every lookback 21..252": (
        "rails_inverse_vol",
        {"lookback": span(21, 252, 1), "btc_share": span(0.0, 0.5, 0.05), "rebalance": REBALANCES},
    ),
    "btc_trend lookback x btc_share": (
        "btc_trend",
        {"lookback": span(20, 519, 1), "btc_share": [0.0, 0.25, 0.5, 0.75]},
    ),
    "btc_corr_switch lookback x threshold": (
        "btc_corr_switch",
        {"lookback": span(10, 259, 1), "threshold": span(-0.5, 0.5, 0.05)},
    ),
    "infra_thesis (blend) btc_share x rebalance": (
        "infra_thesis",
        {"btc_share": span(0.0, 1.0, 0.002), "rebalance": REBALANCES},
    ),
}
FIXED_COST_VARIANTS = 2
SMOKE_GRID = {"lookback": [21, 42], "btc_share": [0.0, 0.2], "rebalance": ["monthly"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="runs per fixed-weight job below 1M (median)")
    parser.add_argument("--per-variant-sample", type=int, default=200)
    parser.add_argument("--vectorbt-size", type=int, default=500)
    parser.add_argument("--bt-sample", type=int, default=20)
    parser.add_argument("--prices", type=Path, default=ROOT.parent / "shared" / "data" / "prices")
    parser.add_argument(
        "--smoke", action="store_true", help="every part once at a tiny size; no numbers to keep"
    )
    parser.add_argument(
        "--parts", type=int, nargs="+", default=[1, 2, 3, 4], help="which numbered parts to run"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a JSON job, run in this (fresh) process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        gc.freeze()  # leave as the infrabt command does: a peer timed from outside pays the same exit
        return
    if args.smoke:
        args.sizes, args.per_variant_sample, args.vectorbt_size, args.bt_sample = [40], 4, 8, 2
        args.repeats = 1
    if not args.prices.is_dir():
        raise SystemExit(f"no price CSVs at {args.prices}; pass --prices DIR")

    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as scratch:
        env = {**os.environ, "INFRABT_DATA_DIR": f"{scratch}/data", "INFRABT_OFFLINE": "1"}
        subprocess.run([sys.executable, "-m", "infrabt", "data", "import", str(args.prices)],
                       env=env, check=True, capture_output=True)  # fmt: skip
        os.environ.update(env)
        bench = Bench(args, env, Path(scratch))
        print(f"machine: {machine()}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"data: {args.prices} (imported), {START} to the end of the data, default costs\n")
        parts = {1: bench.dynamic, 2: bench.fixed, 3: lambda: simulation_only(40 if args.smoke else 10_000),
                 4: bench.vectorbt_and_bt}  # fmt: skip
        for number in args.parts:
            parts[number]()


def compile_bytecode() -> None:
    """infrabt's modules compiled, as after an install (pip compiles a wheel's; a checkout writes them on its
    first run): with PYTHONDONTWRITEBYTECODE set (as on this machine) every command would otherwise compile
    infrabt's source again, ~0.08 s that no user pays."""
    import compileall

    from infrabt.data.paths import package_dirs

    for folder in package_dirs():
        compileall.compile_dir(folder, quiet=1)


class Bench:
    def __init__(self, args, env: dict, scratch: Path) -> None:
        self.args, self.env, self.scratch, self.count = args, env, scratch, 0

    def run(self, job: dict, sample_memory: bool = False) -> dict:
        """One job in a fresh process (``--one``), timed; with ``sample_memory``, its process tree's peak
        memory sampled alongside instead (``memory``)."""
        self.count += 1
        job = {**job, "out": str(self.scratch / f"out-{self.count}"), "workers": self.args.workers}
        if job["kind"] == "cli":
            spec = self.scratch / f"spec-{self.count}.toml"
            spec.write_text(toml(job["spec"]))
            job["spec_path"] = str(spec)
        return measured([sys.executable, __file__, "--one", json.dumps(job)], self.env, sample_memory)

    def memory(self, job: dict) -> dict:
        """The job's peak memory, from a run of its own: reading a process tree's proportional set sizes (its
        /proc smaps) every 50 ms takes CPU beside the job, so no timed run is sampled (measured: within this
        machine's noise, 2.23 s sampled vs 2.19 s unsampled for the 1,122-variant grid, medians of 5)."""
        sampled = self.run(job, sample_memory=True)
        return {"peak_mb": sampled["peak_mb"], "pss_mb": sampled["pss_mb"]}

    def dynamic(self) -> None:
        print("1. dynamic grids: batched path end to end, and the per-variant path on the first variants")
        repeats = self.args.repeats
        floor = median([self.run({"kind": "cli_floor"}) for _ in range(repeats)])
        print(f"  CLI floor (start the interpreter, import the sweep command's modules, exit; no work): "
              f"{floor['seconds']:.2f} s, median of {repeats}")  # fmt: skip
        grids = {"smoke": ("rails_inverse_vol", SMOKE_GRID)} if self.args.smoke else DYNAMIC
        for name, (strategy, grid) in grids.items():
            spec = {"name": "bench_dynamic", "strategy": strategy, "start": START, "grid": grid}
            # the first 2 variants alone: what a run of this grid pays whatever its size (prices, a worker
            # per chunk, a simulation's steps through the trade dates, overfitting measures, the page)
            jobs = [{"kind": "cli", "spec": spec}, {"kind": "run_sweep", "spec": spec}]
            jobs.append({"kind": "cli", "spec": spec, "limit": FIXED_COST_VARIANTS})
            runs: list[list[dict]] = [[] for _ in jobs]
            for _ in range(repeats):  # in turn, so a busy minute slows each of them, not one
                for job, done in zip(jobs, runs, strict=True):
                    done.append(self.run(job))
            cli, inside = (
                {**median(done), **self.memory(job)} for job, done in zip(jobs[:2], runs[:2], strict=True)
            )
            fixed = median(runs[2])
            sample = min(self.args.per_variant_sample, inside["variants"])
            slow_job = {"kind": "run_sweep", "spec": spec, "limit": sample, "per_variant": True}
            slow = {**self.run(slow_job), **self.memory(slow_job)}
            print(f"  {name}: {inside['variants']:,} variants (median of {repeats} runs each)")
            work = {**cli, "seconds": cli["seconds"] - floor["seconds"]}
            line("CLI, batched", cli, f"above the floor: {rate(work):,.0f} variants/s")
            above = (cli["seconds"] - fixed["seconds"]) / max(cli["variants"] - FIXED_COST_VARIANTS, 1)
            line(
                f"CLI, the first {FIXED_COST_VARIANTS} variants alone",
                fixed,
                f"then {above * 1e3:.2f} ms a variant",
            )
            line("run_sweep, batched", inside)
            line(f"run_sweep, per-variant path, first {sample}", slow)
            ratio = rate(inside) / rate(slow)
            print(f"    batched / per-variant (run_sweep, variants/s): {ratio:,.0f}x")

    def fixed(self) -> None:
        print("\n2. random fixed weights vs the closed-form ceiling (zero costs, one core, same portfolios)")
        for size in self.args.sizes:
            spec = {"name": "bench_random", "start": START, "random": {**RANDOM, "count": size}}
            repeats = 1 if size >= 1_000_000 else self.args.repeats
            jobs = [
                {"kind": "cli", "spec": spec},
                {"kind": "run_sweep", "spec": spec},
                {"kind": "closed_form_end_to_end", "count": size},
                {"kind": "ceiling", "count": size},
            ]
            runs = [[] for _ in jobs]
            for _ in range(repeats):  # in turn, so a busy minute slows each of them, not one
                for job, done in zip(jobs, runs, strict=True):
                    done.append(self.run(job))
            cli, inside, peer, ceiling = (median(done) for done in runs)
            cli, inside = (
                {**result, **self.memory(job)} for result, job in ((cli, jobs[0]), (inside, jobs[1]))
            )
            print(f"  {size:,} variants (median of {repeats} runs each, taken in turn)")
            line("closed form, end to end (1 process)", peer)
            line("closed-form simulation alone (1 core)", ceiling)
            for label, result in (("CLI", cli), ("run_sweep", inside)):
                ratios = f"{result['seconds'] / peer['seconds']:.1f}x the closed form end to end, "
                line(label, result, ratios + f"{result['seconds'] / ceiling['seconds']:.1f}x its simulation")
            print(f"    sweep.html {cli['report_mb']:.1f} MB")

    def vectorbt_and_bt(self) -> None:
        size = self.args.vectorbt_size
        spec = {"name": "bench_random", "start": START, "random": {**RANDOM, "count": size}}
        fast_job = {"kind": "run_sweep", "spec": spec}
        slow_job = {**fast_job, "method": "vectorbt"}
        fast = {**self.run(fast_job), **self.memory(fast_job)}
        slow = {**self.run(slow_job), **self.memory(slow_job)}
        print(f"\n4. vectorbt end to end, {size:,} random portfolios")
        line("run_sweep, fast path", fast)
        line("run_sweep, --engine vectorbt", slow, f"fast path {rate(fast) / rate(slow):,.0f}x faster")
        bt_parity(self.args.bt_sample)


def line(label: str, result: dict, extra: str = "") -> None:
    memory = (
        f"peak PSS {result['pss_mb']:6,.0f} MB (RSS {result['peak_mb']:6,.0f})" if "pss_mb" in result else ""
    )
    print(
        f"    {label:44s} {result['seconds']:7.2f} s {rate(result):9,.0f} variants/s {memory:31s}"
        + (f"  {extra}" if extra else "")
    )


def median(results: list[dict]) -> dict:
    """The run with the median time (this machine's timings wander by +-30% from run to run)."""
    return sorted(results, key=lambda result: result["seconds"])[len(results) // 2]


def rate(result: dict) -> float:
    return result["variants"] / max(result["seconds"], 1e-9)


def toml(spec: dict) -> str:
    """The few shapes a benchmark spec has, as TOML (no writer in the standard library)."""

    def value(v) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    lines = [f"{k} = {value(v)}" for k, v in spec.items() if not isinstance(v, dict)]
    for table in ("grid", "random"):
        if table in spec:
            lines += [f"[{table}]", *(f"{k} = {value(v)}" for k, v in spec[table].items())]
    return "\n".join(lines) + "\n"


def measured(command: list[str], env: dict, sample_memory: bool = False) -> dict:
    """Run ``command``; its last stdout line is a JSON result, to which, with ``sample_memory``, the tree's
    peak memory is added."""
    import psutil

    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent, peak, pss = psutil.Process(child.pid), 0, 0
    while sample_memory and child.poll() is None:
        try:
            processes = [p for p in [parent, *parent.children(recursive=True)] if p.is_running()]
            peak = max(peak, sum(p.memory_info().rss for p in processes))
            pss = max(pss, sum(p.memory_full_info().pss for p in processes))
        except psutil.Error:
            pass
        time.sleep(0.05)
    output, errors = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed (exit {child.returncode}):\n{errors[-3000:]}")
    result = json.loads(output.strip().splitlines()[-1])
    return {**result, "peak_mb": peak / 2**20, "pss_mb": pss / 2**20} if sample_memory else result


def run_one(job: dict) -> dict:
    """A job in this process: the CLI (timed from outside, imports included), run_sweep, or the ceiling."""
    if job["kind"] == "cli":
        started = time.perf_counter()
        infrabt = [sys.executable, "-m", "infrabt", "sweep", job["spec_path"], "--out", job["out"]]
        command = [*infrabt, "--offline", "--workers", str(job["workers"])]
        if job.get("limit"):
            command += ["--limit", str(job["limit"])]
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        info = json.loads((Path(job["out"]) / "sweep.json").read_text())
        report = (Path(job["out"]) / "sweep.html").stat().st_size / 2**20
        return {"seconds": seconds, "variants": info["variants"], "report_mb": report}
    if job["kind"] == "cli_floor":  # what any command pays before work: interpreter, imports, exit
        started = time.perf_counter()
        # and leave as the command does (infrabt.cli.main freezes the objects rather than free them at exit)
        modules = "infrabt.cli, infrabt.engine.sweeps.sweep, infrabt.reports.sweep_report, gc"
        imports = f"import {modules}; gc.freeze()"
        subprocess.run([sys.executable, "-c", imports], check=True, capture_output=True)
        return {"seconds": time.perf_counter() - started, "variants": 0}
    if job["kind"] == "ceiling":
        return {"seconds": ceiling_seconds(job["count"]), "variants": job["count"]}
    if job["kind"] == "closed_form_end_to_end":  # timed from outside, like the CLI
        started = time.perf_counter()
        peer = json.dumps({"kind": "closed_form_job", "count": job["count"], "out": job["out"]})
        subprocess.run([sys.executable, __file__, "--one", peer], check=True, capture_output=True)
        return {"seconds": time.perf_counter() - started, "variants": job["count"]}
    if job["kind"] == "closed_form_job":
        closed_form_job(job["count"], Path(job["out"]))
        return {}
    from infrabt.engine.sweeps.sweep import run_sweep

    if job.get("per_variant"):  # the path every grid took before batching: one variant at a time in pandas
        import infrabt.engine.sweeps.orders

        infrabt.engine.sweeps.orders.batchable = lambda strategy: False
    started = time.perf_counter()
    result = run_sweep(job["spec"], job["out"], workers=job["workers"], method=job.get("method", "fast"),
                       limit=job.get("limit"))  # fmt: skip
    return {"seconds": time.perf_counter() - started, "variants": result.n_variants}


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB RAM, Python {platform.python_version()}"


def panel(count: int):
    """The shared prices on the backtest days and the stacked orders of the first ``count`` random portfolios
    (the random sweep's own template and vectorized Fixed rule)."""
    from infrabt.engine.sweeps.evaluate import SweepTask
    from infrabt.engine.sweeps.orders import random_block
    from infrabt.engine.sweeps.spec import spec_from_dict
    from infrabt.engine.sweeps.sweep import expand, load_panel, random_template

    spec = spec_from_dict({"name": "bench", "start": START, "random": {**RANDOM, "count": count}})
    base, variants, checked = expand(spec)
    prices, days, _ = load_panel(spec, checked, offline=True)
    task = SweepTask(prices=prices, days=days, base=base, periods_per_year=252,
                     random_template=random_template(base, prices, days))  # fmt: skip
    return prices.loc[days], random_block(task, variants)


def ceiling_seconds(count: int, chunk: int = CHUNK) -> float:
    """The closed form for ``count`` portfolios, one core, in chunks of ``chunk`` (bounded memory)."""
    prices, block = panel(min(count, chunk))
    close, trade_rows = prices.to_numpy(), prices.index.get_indexer(block.dates)
    started = time.perf_counter()
    for start in range(0, count, chunk):
        weights = block.weights[:, : min(chunk, count - start)]
        closed_form_ceiling(close, trade_rows, weights)
    return time.perf_counter() - started


def closed_form_job(count: int, out: Path, chunk: int = CHUNK) -> None:
    """The fixed-weight sweep's job with the closed form in place of the order simulation: prices and trade
    dates as the sweep gets them, values per chunk, the sweep's metrics, one parquet file of them."""
    import numpy as np
    import pandas as pd

    from infrabt.engine.sweeps.fast import values_to_returns
    from infrabt.engine.sweeps.metrics import summary_arrays

    prices, block = panel(min(count, chunk))
    close, trade_rows = prices.to_numpy(), prices.index.get_indexer(block.dates)
    tables = []
    for start in range(0, count, chunk):
        weights = block.weights[:, : min(chunk, count - start)]
        returns = values_to_returns(closed_form_ceiling(close, trade_rows, weights), 1.0)
        tables.append(pd.DataFrame(summary_arrays(returns, 252)))
    out.mkdir(parents=True, exist_ok=True)
    pd.concat(tables, ignore_index=True).to_parquet(out / "results.parquet")
    assert np.isfinite(tables[0]["sharpe"]).all()


def simulation_only(count: int) -> dict[str, float]:
    """Seconds to simulate ``count`` portfolios here: the fast path (two cost settings) and the ceiling."""
    from infrabt.engine.result import Costs
    from infrabt.engine.sweeps.fast import simulate_values

    prices, block = panel(count)
    close, trade_rows = prices.to_numpy(), prices.index.get_indexer(block.dates)
    runs = {
        "fast path, zero costs": lambda: simulate_values(prices, block, Costs(0.0, 0.0)),
        "fast path, default costs": lambda: simulate_values(prices, block, Costs()),
        "closed-form ceiling (zero costs)": lambda: closed_form_ceiling(close, trade_rows, block.weights),
    }
    timings = {name: best_of(REPEATS, run) for name, run in runs.items()}
    print(f"\n3. simulation only, one core, {count:,} variants (no metrics; best of {REPEATS})")
    for name, seconds in timings.items():
        print(f"  {name:34s} {seconds:6.2f} s  {count / seconds:9,.0f} variants/s")
    ratio = timings["fast path, zero costs"] / timings["closed-form ceiling (zero costs)"]
    print(f"  fast path (zero costs) takes {ratio:.2f}x the ceiling's time")
    return timings


def best_of(repeats: int, run) -> float:
    """The fastest of a few runs: on a shared machine, the others measure the neighbours."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def closed_form_ceiling(close, trade_rows, weights):
    """Fixed-weight portfolios rebalanced on ``trade_rows``, zero costs: one matrix product per period.

    Within a period the value is the value at its start times (weights . relative prices), nothing else: no
    orders, no cash, no costs. The fast path cannot beat this; it is the limit line.
    """
    import numpy as np

    from infrabt.engine.sweeps.fast import single_threaded_blas

    n_days, n_variants = close.shape[0], weights.shape[1]
    values = np.empty((n_days, n_variants))
    values[: trade_rows[0] + 1] = 1.0
    level = np.ones(n_variants)
    bounds = [*trade_rows.tolist(), n_days - 1]
    with single_threaded_blas():  # the same BLAS setting as the fast path
        for k, row in enumerate(trade_rows):
            stop = bounds[k + 1]
            relative = np.nan_to_num(close[row : stop + 1] / close[row], nan=0.0)
            target = np.nan_to_num(weights[k])
            period = values[row : stop + 1]  # written in place, as the fast path writes its values
            np.matmul(relative, target.T, out=period)
            period += 1 - target.sum(axis=1)
            period *= level
            level = period[-1].copy()
    return values


def bt_parity(sample: int) -> None:
    """bt runs our target weights on our trade dates; values compared with the fast path and vectorbt."""
    import bt
    import numpy as np

    from infrabt.engine.result import Costs
    from infrabt.engine.simulate import simulate
    from infrabt.engine.sweeps.fast import OrderBlock, simulate_values

    prices, block = panel(sample)
    ids = [f"v{i}" for i in range(sample)]
    orders = block.to_orders(ids)
    costs = Costs(fees=0.0, slippage=0.0)
    fast = simulate_values(prices, OrderBlock.from_orders(orders, list(block.tickers)), costs)
    vectorbt = simulate(prices, orders, costs).value()[ids].to_numpy()

    class WeighFromTable(bt.Algo):
        """Sets temp['weights'] to our target row for the day (NaN = not traded: left out, held at 0)."""

        def __init__(self, table):
            super().__init__()
            self.table = table

        def __call__(self, target):
            row = self.table.loc[target.now].dropna()
            target.temp["weights"] = row[row > 0].to_dict()
            return True

    filled = prices.ffill().bfill()  # bt needs a price everywhere; positions are zero outside a life
    started = time.perf_counter()
    bt_values = []
    for vid in ids:
        table = orders[vid]
        strategy = bt.Strategy(
            vid, [bt.algos.RunOnDate(*table.index), WeighFromTable(table), bt.algos.Rebalance()]
        )
        test = bt.Backtest(strategy, filled, initial_capital=costs.init_cash, integer_positions=False,
                           progress_bar=False)  # fmt: skip
        result = bt.run(test)
        bt_values.append(result[vid].prices.reindex(prices.index).to_numpy() / 100 * costs.init_cash)
    seconds = time.perf_counter() - started
    bt_values = np.column_stack(bt_values)

    def relative(a, b):
        return float(np.nanmax(np.abs(a / b - 1)))

    print(f"  bt {bt.__version__}, {sample} of the same portfolios, zero costs: {sample / seconds:.2f} per s")
    print(
        f"  max |relative value difference|: bt vs fast {relative(bt_values, fast):.1e}, "
        f"bt vs vectorbt {relative(bt_values, vectorbt):.1e}, fast vs vectorbt {relative(fast, vectorbt):.1e}"
    )


if __name__ == "__main__":
    main()
