"""Every benchmark runs at a tiny size (``--smoke``), so none can rot unnoticed. No timing is asserted: speed
is measured by the benchmarks themselves, as numbers."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_PRICES

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.skipif(not SHARED_PRICES.is_dir(), reason="the benchmarks read ../shared/data/prices")
@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_runs_at_smoke_size(script):
    done = subprocess.run(
        [sys.executable, str(script), "--smoke", "--prices", str(SHARED_PRICES)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "a benchmark prints its numbers"


def test_every_benchmark_is_covered():
    assert {p.name for p in BENCHMARKS} >= {"bench_run.py", "bench_sweep.py"}
