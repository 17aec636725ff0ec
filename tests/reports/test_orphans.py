"""kill -9 a run while its tear-sheet workers draw: no worker outlives it, none writes into --out after it."""

import os
import signal
import sys

import pytest

from tests.faults import alive, children, start_python, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")

RUN = """
import sys, time
from pathlib import Path
import numpy as np, pandas as pd
from infrabt.reports.tearsheet import start_tearsheets

days = pd.bdate_range("2019-01-01", periods=1500)
rng = np.random.default_rng(0)
returns = pd.DataFrame(rng.normal(0, 0.01, (len(days), 6)), index=days, columns=[f"s{i}" for i in range(6)])
pool, jobs = start_tearsheets(returns, returns["s0"].rename("bench"), Path(sys.argv[1]), 252, workers=2)
Path(sys.argv[2]).write_text(" ".join(str(pid) for pid in pool._processes))
time.sleep(600)
"""


def test_tearsheet_workers_die_with_a_killed_run(tmp_path):
    out, pids = tmp_path / "tearsheets", tmp_path / "pids"
    run = start_python(RUN, str(out), str(pids))
    assert wait_for(lambda: pids.exists() and pids.read_text(), seconds=120), run.communicate()
    workers = [int(pid) for pid in pids.read_text().split()]
    assert workers and all(alive(pid) for pid in workers)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    try:
        assert wait_for(lambda: not any(alive(pid) for pid in workers), seconds=5)
        assert wait_for(lambda: list(out.glob("*.html")), seconds=8) is False, "written after the kill"
    finally:
        reap(workers)


SWEEP = """
import os, sys
import numpy as np, pandas as pd
from infrabt.data.store import PriceStore
from infrabt.engine.sweeps.sweep import run_sweep

store = PriceStore(os.environ["INFRABT_DATA_DIR"])
rng = np.random.default_rng(1)
for symbol in ("SPY", "TLT"):
    closes = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, 1500)))
    index = pd.bdate_range("2019-01-01", periods=1500, name="Date")
    store.write(symbol, pd.DataFrame({"Adj Close": closes}, index=index), "test")
spec = {"name": "r", "random": {"assets": ["SPY", "TLT"], "count": 400}, "start": "2019-06-01"}
run_sweep(spec, sys.argv[1], workers=2, chunk_size=5, method="vectorbt", offline=True)
"""


def test_sweep_workers_die_with_a_killed_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("INFRABT_DATA_DIR", str(tmp_path / "data"))
    sweep = start_python(SWEEP, str(tmp_path / "out"))
    assert wait_for(lambda: len(children(sweep.pid)) >= 2, seconds=120), sweep.communicate()
    workers = children(sweep.pid)
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    try:
        assert wait_for(lambda: not any(alive(pid) for pid in workers), seconds=5), "outlived the sweep"
    finally:
        reap(workers)


def reap(workers: list[int]) -> None:
    """A failing test must not leave its orphans running."""
    for pid in filter(alive, workers):
        os.kill(pid, signal.SIGKILL)
