"""Wall time and peak memory of the default run: every shipped strategy, its tear sheet, the dashboard.

    .venv/bin/python benchmarks/bench_run.py [--repeat 3] [--prices ../shared/data/prices]
    .venv/bin/python benchmarks/bench_run.py --smoke   # one short run without tear sheets (the tests run it)

Imports the shared CSVs into a temporary cache with `infrabt data import`, then times `infrabt run --offline`
as a user would start it, each run in a fresh process: the first run (cold: bytecode, font cache, OS file
cache) and warm runs after it, plus one warm run with --no-tearsheets to show what the tear sheets cost.
Target: warm run under 30 s on 2 cores. Peak memory is the largest resident set of the command or any of its
worker processes. CPU time counts every process, so CPU / wall shows how well the two cores were used.
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
            rows += [(f"warm run {n + 1}", measure(run, env)) for n in range(args.repeat)]
            rows.append(("warm, --no-tearsheets", measure([*run, "--no-tearsheets"], env)))
        sheets = len(list((Path(tmp) / "out" / "tearsheets").glob("*.html")))

    print(f"cores: {os.cpu_count()}, load average before the runs: {load} (other work skews every number)")
    print(f"{'':32} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for label, row in rows:
        print(f"{label:32} {row['wall']:8.1f} {row['cpu']:8.1f} {row['peak_mb']:8.0f}")
    if args.smoke:
        return
    warm = statistics.median(row["wall"] for label, row in rows if label.startswith("warm run"))
    print(f"tear sheets written: {sheets}; warm run median {warm:.1f} s (target < 30 s)")


if __name__ == "__main__":
    sys.exit(main())
