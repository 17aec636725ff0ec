"""Sweep throughput and memory: fast path, vectorbt, bt, and the closed-form ceiling. Numbers printed only.

    .venv/bin/python benchmarks/bench_sweep.py [--sizes 1000 10000 100000] [--workers 2] [--bt-sample 20]

The portfolios: random fixed weights (Dirichlet, seed 7) over the rails universe (miners + gpu_datacenter +
tokenization, 32 tickers), rebalanced monthly, 2018-01-01 to the end of the shared data, on the shared CSVs
(imported into a temporary cache through the product's own `infrabt data import`).

1. End to end: `run_sweep` (default costs, metrics, crisis windows, parquet) for each size, each in a fresh
   process; wall time, variants per second, and peak memory = the largest sum of resident sets over the sweep
   process and its workers (sampled every 50 ms).
2. The same end to end through vectorbt (``method="vectorbt"``, engine.simulate) for the smallest size.
3. Simulation only, one core, best of 5: the fast path with and without costs, and the closed-form
   ceiling (zero costs: growth within a period is relative prices times weights), for 10,000 variants.
4. bt (pmorissette/bt) on a sample: the same target weights on the same trade dates, zero costs; the largest
   difference to the fast path and to vectorbt, and bt's variants per second.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
sys.path.insert(0, str(ROOT))
SPEC = {
    "name": "bench_rails_random",
    "start": "2018-01-01",
    "random": {"assets": ["miners", "gpu_datacenter", "tokenization"], "count": 0, "seed": 7},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--vectorbt-size", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bt-sample", type=int, default=20)
    parser.add_argument("--prices", type=Path, default=ROOT.parent / "shared" / "data" / "prices")
    parser.add_argument("--one", nargs=3, metavar=("SIZE", "METHOD", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1], int(args.one[2]))))
        return

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as scratch:
        env = {**os.environ, "INFRABT_DATA_DIR": f"{scratch}/data", "INFRABT_OFFLINE": "1"}
        subprocess.run(
            [sys.executable, "-m", "infrabt", "data", "import", str(args.prices)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        os.environ.update(env)
        print(f"machine: {machine()}")
        print(
            f"data: {args.prices} (imported); rails universe (32 tickers), monthly fixed weights, 2018 on\n"
        )
        end_to_end = end_to_end_runs(args, env, scratch)
        sim = simulation_only(10_000)
        parity = bt_parity(args.bt_sample)

        print("\n4. against bt (throughput ratios)")
        fast_size = 10_000 if ("fast", 10_000) in end_to_end else args.sizes[0]
        fast_rate = fast_size / end_to_end[("fast", fast_size)]["seconds"]
        vbt_rate = args.vectorbt_size / end_to_end[("vectorbt", args.vectorbt_size)]["seconds"]
        sim_rate = 10_000 / sim["fast path, default costs"]
        for label, rate in (
            (f"fast, end to end ({fast_size:,} variants, {args.workers} workers)", fast_rate),
            (f"vectorbt, end to end ({args.vectorbt_size:,} variants)", vbt_rate),
            ("fast, simulation only, one core", sim_rate),
        ):
            print(f"  {label:52s} {rate / parity['bt_rate']:10,.0f}x bt")


def end_to_end_runs(args, env: dict, scratch: str) -> dict:
    print("1/2. end to end (run_sweep: simulation, metrics, crisis windows, parquet), a fresh process each")
    runs = [("fast", size) for size in args.sizes] + [("vectorbt", args.vectorbt_size)]
    results = {}
    for method, size in runs:
        result = measured_run(size, method, args.workers, env, scratch)
        results[(method, size)] = result
        rate = size / result["seconds"]
        print(
            f"  {method:8s} {size:>7,} variants {result['seconds']:7.1f} s {rate:8,.0f} variants/s  "
            f"peak RSS {result['peak_mb']:,.0f} MB ({args.workers} workers, {result['chunks']} chunks)"
        )
    return results


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        + (f"Python {platform.python_version()}")
    )


def measured_run(size: int, method: str, workers: int, env: dict, scratch: str) -> dict:
    """One sweep in a fresh process; its tree's resident memory sampled every 50 ms."""
    import psutil

    command = [sys.executable, __file__, "--one", str(size), method, str(workers)]
    child = subprocess.Popen(command, env={**env, "BENCH_OUT": f"{scratch}/{method}-{size}"},
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    parent, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            processes = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in processes if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    output = child.stdout.read()
    if child.returncode != 0:
        raise SystemExit(f"the {method} run of {size} variants failed (exit {child.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    return {**result, "peak_mb": peak / 2**20}


def run_one(size: int, method: str, workers: int) -> dict:
    from infrabt.engine.sweeps.sweep import run_sweep

    spec = {**SPEC, "random": {**SPEC["random"], "count": size}}
    started = time.perf_counter()
    result = run_sweep(spec, os.environ["BENCH_OUT"], workers=workers, method=method, report=False)
    return {"seconds": time.perf_counter() - started, "chunks": result.chunks_computed}


def panel():
    """The shared prices, orders template and weights the simulation-only and bt parts use."""

    from infrabt.engine.sweeps.spec import spec_from_dict
    from infrabt.engine.sweeps.sweep import expand, load_panel, random_template

    spec = spec_from_dict({**SPEC, "random": {**SPEC["random"], "count": 10_000}})
    base, variants = expand(spec)
    prices, days, _ = load_panel(spec, base, variants, offline=True)
    template = random_template(base, prices, days)
    return prices, days, base, template, variants


def orders_block(count: int):
    """Prices on the backtest days and the stacked orders of the first ``count`` portfolios."""
    from infrabt.engine.sweeps.evaluate import SweepTask, random_block

    prices, days, base, template, variants = panel()
    task = SweepTask(prices=prices, days=days, base=base, periods_per_year=252, random_template=template)
    return prices.loc[days], random_block(task, variants.iloc[:count])


def simulation_only(count: int) -> dict[str, float]:
    """Seconds to simulate ``count`` portfolios here: the fast path (two cost settings) and the ceiling."""
    import numpy as np
    from infrabt.engine.result import Costs
    from infrabt.engine.sweeps.fast import simulate_values

    prices, block = orders_block(count)
    close, trade_rows = prices.to_numpy(), prices.index.get_indexer(block.dates)
    runs = {
        "fast path, zero costs": lambda: simulate_values(prices, block, Costs(0.0, 0.0)),
        "fast path, default costs": lambda: simulate_values(prices, block, Costs()),
        "closed-form ceiling (zero costs)": lambda: closed_form_ceiling(close, trade_rows, block.weights, np),
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


def closed_form_ceiling(close, trade_rows, weights, np):
    """Fixed-weight portfolios rebalanced on ``trade_rows``, zero costs: one matrix product per period.

    Within a period the value is the value at its start times (weights . relative prices), nothing else: no
    orders, no cash, no costs. The fast path cannot beat this; it is the limit line.
    """
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
            growth = target @ relative.T + (1 - target.sum(axis=1))[:, None]
            values[row : stop + 1] = (level[:, None] * growth).T
            level = values[stop]
    return values


def bt_parity(sample: int) -> dict:
    """bt runs our target weights on our trade dates; values compared with the fast path and vectorbt."""
    import bt
    import numpy as np
    from infrabt.engine.result import Costs
    from infrabt.engine.simulate import simulate
    from infrabt.engine.sweeps.fast import OrderBlock, simulate_values

    prices, block = orders_block(sample)
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

    print(f"\nbt {bt.__version__} on {sample} of the same portfolios, zero costs")
    print(f"  bt: {seconds:.1f} s = {sample / seconds:.2f} variants/s")
    print(
        f"  max |relative value difference|: bt vs fast {relative(bt_values, fast):.1e}, "
        f"bt vs vectorbt {relative(bt_values, vectorbt):.1e}, fast vs vectorbt {relative(fast, vectorbt):.1e}"
    )
    return {"bt_rate": sample / seconds}


if __name__ == "__main__":
    main()
