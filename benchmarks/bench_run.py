"""Wall time and peak memory of the default run: every shipped strategy, its tear sheet, the dashboard.

    .venv/bin/python benchmarks/bench_run.py [--repeat 3] [--prices ../shared/data/prices]
    .venv/bin/python benchmarks/bench_run.py --smoke   # one short run without tear sheets (the tests run it)

Imports the shared CSVs into a temporary cache with `infrabt data import`, then times `infrabt run --offline`
as a user would start it, each run in a fresh process: the first run (cold: bytecode, font cache, OS file
cache, every tear sheet drawn), warm runs into the same --out (unchanged data: every tear sheet reused by its
fingerprint), one warm run into a new --out (every tear sheet drawn again: what each run cost before the
cache), and one with --no-tearsheets. Targets: a warm run under 10 s on 2 cores, and a run into a new --out no
slower than the first. Peak memory is the largest resident set of the command or any of its worker
processes. CPU time counts every process, so CPU / wall shows how well the two cores were used.

The tested thesis (bootstrap intervals in metrics.csv, thesis.csv, the miners' pivot, attribution.csv and
their dashboard sections) is timed on its own as well, in a fresh process on the default run's result,
including the imports it adds (arch, statsmodels): its CPU is what it adds to the run. Budget: 3 s.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INFRABT = [sys.executable, "-c", "from infrabt.cli import main; main()"]


def measure(command: list[str], env: dict[str, str]) -> dict:
    """Run ``command`` in a child that reports its own resource usage, so each run's peak is its own."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime,\n"
        "                  'peak_mb': usage.ru_maxrss / 1024, 'code': code.returncode,\n"
        "                  'stderr': code.stderr[-2000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *command], env=env, capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result


ANALYSIS = """
import json, time
import quantstats  # the run imports it for its metrics anyway: not part of what the analysis adds
from infrabt.engine.api import run
from infrabt.engine.crises import load_crises
from infrabt.reports import dashboard, evidence
from infrabt.reports.report import _groups
result = run(offline=True)
page = dashboard.Page("spy", {}, None, None, [], [], {}, {}, [], {})
steps, start = {}, time.process_time()
from infrabt.engine.bootstrap import metric_intervals
metric_intervals(result.returns, result.periods_per_year)
steps["metric intervals"] = time.process_time() - start
from infrabt.reports.claims import load_claims
tested = evidence.gather(result, load_crises(), load_claims(), _groups(result.prices.columns))
steps["claims, pivot, attribution"] = time.process_time() - start - sum(steps.values())
evidence.add_to_page(page, tested)
[fig.to_json() for fig in page.figures.values()]
steps["sections and figures"] = time.process_time() - start - sum(steps.values())
print(json.dumps(steps))
"""


def analysis_cpu(env: dict[str, str]) -> dict[str, float]:
    """CPU seconds of each step of the tested thesis on the default run's result (one fresh process)."""
    done = subprocess.run([sys.executable, "-c", ANALYSIS], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"timing the analysis failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (default 3)")
    parser.add_argument("--prices", type=Path, default=ROOT.parent / "shared" / "data" / "prices")
    parser.add_argument(
        "--smoke", action="store_true", help="one short run, to prove the benchmark still works"
    )
    args = parser.parse_args()
    if not args.prices.is_dir():
        raise SystemExit(f"no price CSVs at {args.prices}; pass --prices DIR")

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        env = {**os.environ, "INFRABT_DATA_DIR": str(Path(tmp) / "cache"), "INFRABT_OFFLINE": "1"}
        started = time.perf_counter()
        importing = [*INFRABT, "data", "import", str(args.prices)]
        subprocess.run(importing, env=env, check=True, capture_output=True)
        print(f"imported {args.prices} in {time.perf_counter() - started:.1f} s", flush=True)

        run = [*INFRABT, "run", "--offline", "--out", str(Path(tmp) / "out")]
        if args.smoke:
            rows = [
                (
                    "smoke: 2025 on, --no-tearsheets",
                    measure([*run, "--start", "2025-01-01", "--no-tearsheets"], env),
                )
            ]
        else:
            rows = [("first run", measure(run, env))]
            sheets = len(list((Path(tmp) / "out" / "tearsheets").glob("*.html")))
            rows += [(f"warm run {n + 1}", measure(run, env)) for n in range(args.repeat)]
            fresh = [*INFRABT, "run", "--offline", "--out", str(Path(tmp) / "fresh")]
            rows.append(("warm, new --out", measure(fresh, env)))
            rows.append(("warm, --no-tearsheets", measure([*fresh, "--no-tearsheets"], env)))
            sheet = sheet_cost(Path(tmp) / "out" / "returns.csv", Path(tmp) / "sheets", args.repeat)
            analysis = [analysis_cpu(env) for _ in range(2)]

    print(f"cores: {os.cpu_count()}, load average before the runs: {load} (other work skews every number)")
    print(f"{'':32} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for label, row in rows:
        print(f"{label:32} {row['wall']:8.1f} {row['cpu']:8.1f} {row['peak_mb']:8.0f}")
    if args.smoke:
        return
    warm = statistics.median(row["wall"] for label, row in rows if label.startswith("warm run"))
    walls = dict(rows)
    drawn = walls["warm, new --out"]["wall"]
    print(
        f"tear sheets drawn: {sheets}; warm run median {warm:.1f} s (target < 10 s), "
        f"{drawn / warm:.1f}x faster than drawing every sheet again ({drawn:.1f} s)"
    )
    print(
        f"one tear sheet (infra_thesis vs spy), CPU s, median of {args.repeat}: infrabt's writer "
        f"{sheet['infrabt']:.2f}, quantstats.reports.html alone {sheet['quantstats']:.2f} "
        f"(ratio {sheet['infrabt'] / sheet['quantstats']:.2f}: what the corrections and fingerprint cost)"
    )

    best = min(analysis, key=lambda steps: sum(steps.values()))
    detail = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in best.items())
    print(
        f"tested thesis, CPU added to the run (best of 2): {sum(best.values()):.2f} s ({detail}; budget 3 s)"
    )


def sheet_cost(returns_csv: Path, folder: Path, repeat: int) -> dict[str, float]:
    """CPU seconds of one tear sheet through infrabt's writer and through quantstats directly, alternated in
    this process so both see the same load: the first run must be no slower than before the corrections."""
    import logging
    import warnings

    import matplotlib
    import pandas as pd
    import quantstats as qs

    from infrabt.reports.tearsheet import write_tearsheet

    matplotlib.use("svg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    folder.mkdir()
    returns = pd.read_csv(returns_csv, index_col=0, parse_dates=True)
    strategy, benchmark = returns["infra_thesis"].dropna(), returns["spy"].dropna()
    times: dict[str, list[float]] = {"infrabt": [], "quantstats": []}
    for n in range(repeat):
        started = time.process_time()
        write_tearsheet(strategy, benchmark, 252, folder / f"infrabt{n}.html")
        times["infrabt"].append(time.process_time() - started)
        started = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qs.reports.html(strategy, benchmark=benchmark, rf=0.0, periods_per_year=252,
                            output=str(folder / f"qs{n}.html"), title="infra_thesis vs spy")  # fmt: skip
        times["quantstats"].append(time.process_time() - started)
    return {name: statistics.median(values) for name, values in times.items()}


if __name__ == "__main__":
    sys.exit(main())
