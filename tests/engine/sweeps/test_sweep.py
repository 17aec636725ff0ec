"""run_sweep on generated prices: chunking, resume, in/out-of-sample ranges, Dask, and bad input."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import infrabt.engine.sweeps.evaluate
from infrabt.data.errors import ConfigError
from infrabt.data.prices import load_prices
from infrabt.engine.backtest import backtest
from infrabt.engine.result import Costs
from infrabt.engine.sweeps.evaluate import ScoreRange
from infrabt.engine.sweeps.execute import plan_chunks
from infrabt.engine.sweeps.spec import grid_variants, spec_from_dict
from infrabt.engine.sweeps.sweep import RESULTS_FILE, code_fingerprint, run_sweep, variant_costs
from infrabt.strategies import Fixed, Strategy

TICKERS = ["SPY", "TLT", "GLD", "QQQ"]
RANDOM = {"name": "cloud", "start": "2019-01-02", "random": {"assets": TICKERS, "count": 40, "seed": 1}}


def results(path) -> pd.DataFrame:
    return pd.read_parquet(path / RESULTS_FILE)


def test_chunked_run_equals_one_chunk(sweep_store, tmp_path):
    whole = run_sweep(RANDOM, tmp_path / "whole", workers=1, chunk_size=1000)
    pieces = run_sweep(RANDOM, tmp_path / "pieces", workers=1, chunk_size=7)
    assert whole.chunks_computed == 1 and pieces.chunks_computed == 6
    pd.testing.assert_frame_equal(results(tmp_path / "whole"), results(tmp_path / "pieces"))
    assert len(whole.results) == 40 and whole.results.index.is_unique


def test_worker_processes_give_the_same_results(sweep_store, tmp_path):
    local = run_sweep(RANDOM, tmp_path / "one", workers=1, chunk_size=10)
    pool = run_sweep(RANDOM, tmp_path / "two", workers=2, chunk_size=10)
    pd.testing.assert_frame_equal(local.results.sort_index(), pool.results.sort_index())


def interrupt_at_chunk(monkeypatch, n: int) -> list[str]:
    """Make the n-th evaluated chunk raise KeyboardInterrupt (as Ctrl-C would); returns the first variant of
    each chunk evaluated."""
    original = infrabt.engine.sweeps.evaluate.evaluate_chunk
    calls: list[str] = []

    def crash(task, params, costs):
        calls.append(params.index[0])
        if len(calls) == n:
            raise KeyboardInterrupt("simulated interruption")
        return original(task, params, costs)

    monkeypatch.setattr(infrabt.engine.sweeps.evaluate, "evaluate_chunk", crash)
    return calls


def test_interrupted_sweep_resumes_without_recomputing_finished_chunks(sweep_store, tmp_path, monkeypatch):
    reference = run_sweep(RANDOM, tmp_path / "reference", workers=1, chunk_size=10).results
    out = tmp_path / "interrupted"
    calls = interrupt_at_chunk(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(RANDOM, out, workers=1, chunk_size=10)
    assert not (out / RESULTS_FILE).exists()  # no half-written results
    parts = sorted((out / ".sweep-parts").glob("*/part-*.parquet"))
    assert len(parts) == 2
    written = {p: p.stat().st_mtime_ns for p in parts}

    calls.clear()
    resumed = run_sweep(RANDOM, out, workers=1, chunk_size=10)
    assert calls == ["v000020", "v000030"]  # only the two unfinished chunks ran
    assert (resumed.chunks_computed, resumed.chunks_reused) == (2, 2)
    assert {p: p.stat().st_mtime_ns for p in parts} == written
    pd.testing.assert_frame_equal(resumed.results, reference)
    pd.testing.assert_frame_equal(results(out), reference)


def test_a_rerun_chunked_differently_recomputes_and_agrees(sweep_store, tmp_path):
    out = tmp_path / "sweep"
    first = run_sweep(RANDOM, out, workers=1, chunk_size=10)
    again = run_sweep(RANDOM, out, workers=1, chunk_size=15)
    # chunks 0-15 and 15-30 are new; 30-40 covers the same variants as before and is reused
    assert (again.chunks_reused, again.chunks_computed) == (1, 2)
    pd.testing.assert_frame_equal(first.results, again.results)
    same = run_sweep(RANDOM, out, workers=1, chunk_size=15)
    assert (same.chunks_reused, same.chunks_computed) == (3, 0)


def test_a_changed_spec_does_not_reuse_old_chunks(sweep_store, tmp_path):
    out = tmp_path / "sweep"
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    changed = run_sweep({**RANDOM, "fees": 0.0}, out, workers=1, chunk_size=10)
    assert changed.chunks_reused == 0 and changed.chunks_computed == 4


def test_parts_computed_by_other_code_are_not_reused(sweep_store, tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    monkeypatch.setattr(
        "infrabt.engine.sweeps.sweep.code_fingerprint", lambda: "another version of the simulation"
    )
    again = run_sweep(RANDOM, out, workers=1, chunk_size=10)
    assert (again.chunks_reused, again.chunks_computed) == (0, 4)


def test_split_scores_in_sample_before_and_out_of_sample_from_the_split_day(sweep_store, tmp_path):
    split = "2020-06-15"
    sweep = run_sweep(RANDOM, tmp_path / "split", split=split, workers=1)
    assert sweep.rank_by == "is_sharpe"
    row = sweep.results.iloc[5]
    weights = {t: row[f"w_{t}"] for t in TICKERS}

    # the same portfolio through the engine's own backtest (vectorbt), cut by hand
    prices = load_prices(TICKERS, start="2019-01-02", end=sweep.end)
    strategy = Strategy(id="w", thesis="t", weighting=Fixed(weights), rebalance="monthly")
    returns = backtest([strategy], prices, costs=Costs(), start="2019-01-02").returns["w"]
    before, after = returns[returns.index < split], returns[returns.index >= split]
    assert row["is_total_return"] == pytest.approx((1 + before).prod() - 1, rel=1e-9)
    assert row["oos_total_return"] == pytest.approx((1 + after).prod() - 1, rel=1e-9)
    assert row["total_return"] == pytest.approx((1 + returns).prod() - 1, rel=1e-9)
    info = json.loads((tmp_path / "split" / "sweep.json").read_text())
    assert info["split"] == split and info["variants"] == 40


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        (None, None),
        (None, "2020-06-13"),
        ("2020-06-13", None),
        ("2020-06-15", "2020-06-20"),
        ("2019-01-01", "2030-01-01"),
        ("2020-06-20", "2020-06-15"),
        ("2031-01-01", None),
    ],
)
def test_a_score_range_reads_the_days_its_definition_keeps(start, stop):
    """``start <= day < stop`` as a slice (a view of the returns), also for bounds that are no trading day
    (a Saturday), lie outside the days, or cross."""
    days = pd.bdate_range("2020-01-01", "2021-12-31")
    score = ScoreRange("x_", start and pd.Timestamp(start), stop and pd.Timestamp(stop))
    keep = np.ones(len(days), dtype=bool)
    if score.start is not None:
        keep &= days >= score.start
    if score.stop is not None:
        keep &= days < score.stop
    assert np.array_equal(np.arange(len(days))[score.rows(days)], np.flatnonzero(keep))


def test_walk_forward_adds_rolling_in_and_out_of_sample_columns(sweep_store, tmp_path, monkeypatch):
    monkeypatch.setattr("infrabt.engine.sweeps.sweep.WALK_FORWARD_TRAIN_YEARS", 1)
    sweep = run_sweep(RANDOM, tmp_path / "wf", walk_forward=True, workers=1)
    assert len(sweep.folds) == 2  # 2019 -> 2020, 2020 -> 2021
    assert {"wf1_is_sharpe", "wf1_oos_total_return", "wf2_oos_sharpe"} <= set(sweep.results.columns)
    assert sweep.folds[1][1] == pd.Timestamp("2021-01-02")


def test_walk_forward_drops_a_last_fold_whose_test_part_is_a_stub(sweep_store, tmp_path, monkeypatch):
    monkeypatch.setattr("infrabt.engine.sweeps.sweep.WALK_FORWARD_TRAIN_YEARS", 1)
    spec = {**RANDOM, "end": "2021-01-12"}  # a second fold would test on ~6 days of 2021
    sweep = run_sweep(spec, tmp_path / "wf", walk_forward=True, workers=1)
    assert [fold[1] for fold in sweep.folds] == [pd.Timestamp("2020-01-02")]
    assert not any(column.startswith("wf2_") for column in sweep.results.columns)
    with pytest.raises(ConfigError, match="--walk-forward needs at least 2 years"):
        run_sweep({**RANDOM, "end": "2020-01-10"}, tmp_path / "short", walk_forward=True, workers=1)


def test_an_interrupted_rerun_with_other_options_leaves_no_stale_results(sweep_store, tmp_path, monkeypatch):
    from infrabt.reports.sweep_report import sweep as sweep_with_page

    out = tmp_path / "sweep"
    sweep_with_page(RANDOM, out, workers=1, chunk_size=10)
    assert {"results.parquet", "sweep.json", "sweep.html"} <= {p.name for p in out.iterdir()}
    interrupt_at_chunk(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(RANDOM, out, workers=1, chunk_size=10, split="2020-06-15")
    assert not {"results.parquet", "sweep.json", "sweep.html"} & {p.name for p in out.iterdir()}


def test_the_same_sweep_rerun_keeps_its_results_while_it_resumes(sweep_store, tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    before = (out / RESULTS_FILE).stat().st_mtime_ns
    monkeypatch.setattr(
        infrabt.engine.sweeps.evaluate, "evaluate_chunk", lambda *a: pytest.fail("nothing to recompute")
    )
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    assert (out / RESULTS_FILE).is_file() and (out / RESULTS_FILE).stat().st_mtime_ns >= before


def test_sweeping_costs_as_the_last_grid_key_still_fills_chunks():
    grid = {"lookback": list(range(20, 70)), "fees": [0.0, 0.001]}  # fees last: it would vary fastest
    spec = spec_from_dict({"strategy": "btc_trend", "grid": grid})
    variants = grid_variants(spec)
    assert list(variants.columns) == ["lookback", "fees"] and len(variants) == 100
    costs = variant_costs(spec, variants)
    chunks = plan_chunks(costs, per_variant=10_000, max_memory=2**32, workers=2)
    assert len(chunks) <= 4
    assert all(len({costs[i] for i in range(c.start, c.stop)}) == 1 for c in chunks)
    assert sorted(map(tuple, variants.to_numpy().tolist())) == sorted(
        (lookback, fee) for lookback in range(20, 70) for fee in (0.0, 0.001)
    )


def test_the_parts_folder_holds_only_parts_and_their_samples(sweep_store, tmp_path):
    out = tmp_path / "sweep"
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    (folder,) = (out / ".sweep-parts").iterdir()
    names = [f"{kind}-{a:09d}-{a + 10:09d}.parquet" for a in range(0, 40, 10) for kind in ("part", "sample")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # 40 variants: every one sampled


def test_code_fingerprint_covers_result_calendar_simulate_and_library_versions(tmp_path, monkeypatch):
    import importlib.metadata

    from infrabt.engine.sweeps.sweep import fingerprinted_files

    copy = tmp_path / "code"
    copy.mkdir()
    copies = []
    for number, path in enumerate(fingerprinted_files()):
        copies.append(copy / f"{number}-{path.name}")
        copies[-1].write_bytes(path.read_bytes())
    monkeypatch.setattr("infrabt.engine.sweeps.sweep.fingerprinted_files", lambda: copies)
    seen = {code_fingerprint()}
    for name in ("result.py", "calendar.py", "simulate.py"):
        (changed,) = [path for path in copies if path.name.endswith(f"-{name}")]
        with changed.open("a") as handle:
            handle.write("\n# changed\n")
        seen.add(code_fingerprint())
    real_version = importlib.metadata.version
    for library in ("numpy", "vectorbt"):
        monkeypatch.setattr(
            importlib.metadata, "version", lambda n, lib=library: "0.0-other" if n == lib else real_version(n)
        )
        seen.add(code_fingerprint())
    assert len(seen) == 6


def test_grid_over_a_strategy_parameter_and_fees(sweep_store, tmp_path):
    spec = {
        "strategy": "btc_trend",
        "start": "2019-06-01",
        "grid": {"lookback": [20, 60], "fees": [0.0, 0.01]},
    }
    sweep = run_sweep(spec, tmp_path / "grid", workers=1)
    table = sweep.results.set_index(["lookback", "fees"])
    assert len(table) == 4 and sweep.calendar == "crypto" and sweep.periods_per_year == 365
    for lookback in (20, 60):  # fees only cost: same trades, lower return
        assert table.loc[(lookback, 0.01), "total_return"] < table.loc[(lookback, 0.0), "total_return"]


def test_a_drift_band_tolerance_can_be_swept_with_rebalance_drift(sweep_store, tmp_path):
    spec = {
        "strategy": "sixty_forty",
        "start": "2019-03-01",
        "grid": {"rebalance": ["drift"], "tolerance": [0.02, 0.2]},
    }
    sweep = run_sweep(spec, tmp_path / "drift", workers=1)
    assert list(sweep.results["tolerance"]) == [0.02, 0.2]
    assert sweep.results["total_return"].nunique() == 2  # the bands trade differently


def test_vectorbt_engine_gives_the_same_results(sweep_store, tmp_path):
    fast = run_sweep(RANDOM, tmp_path / "fast", workers=1)
    slow = run_sweep(RANDOM, tmp_path / "vbt", workers=1, method="vectorbt")
    numbers = fast.results.select_dtypes("number").columns
    pd.testing.assert_frame_equal(fast.results[numbers], slow.results[numbers], rtol=1e-9, atol=1e-12)


def test_dask_local_cluster_gives_the_same_results(sweep_store, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    local = run_sweep(RANDOM, tmp_path / "local", workers=1, chunk_size=10)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster:
        on_dask = run_sweep(RANDOM, tmp_path / "dask", chunk_size=10, scheduler=cluster.scheduler_address)
    assert on_dask.executor.startswith("dask tcp://127.0.0.1")
    pd.testing.assert_frame_equal(local.results, on_dask.results.loc[local.results.index])


def test_a_clusters_chunks_are_planned_for_its_workers(sweep_store, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    options = {"threads_per_worker": 1, "processes": False, "protocol": "tcp", "dashboard_address": ":0"}
    with distributed.LocalCluster(n_workers=3, host="127.0.0.1", **options) as cluster:
        run_sweep(RANDOM, tmp_path / "dask", workers=1, scheduler=cluster.scheduler_address)
    info = json.loads((tmp_path / "dask" / "sweep.json").read_text())
    assert info["chunks"] == 3  # not 1, as planned for the one local worker


def test_unreachable_scheduler_falls_back_to_local_or_fails_when_strict(sweep_store, tmp_path):
    address = "tcp://127.0.0.1:9"  # discard port: nothing listens
    with pytest.warns(UserWarning, match="cannot reach the Dask scheduler"):
        sweep = run_sweep(RANDOM, tmp_path / "fallback", workers=1, scheduler=address)
    assert len(sweep.results) == 40 and sweep.executor == "local x1"
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler"):
        run_sweep(RANDOM, tmp_path / "strict", workers=1, scheduler=address, strict=True)
    with pytest.warns(UserWarning, match="cannot reach the Dask scheduler at notaurl"):
        sweep = run_sweep(RANDOM, tmp_path / "notaurl", workers=1, scheduler="notaurl")
    assert sweep.executor == "local x1"


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ({"strategy": "btc_trend", "grid": {"speed": [1, 2]}}, {}, "no parameter speed"),
        ({"strategy": "btc_trend", "grid": {"rebalance": ["fortnightly"]}}, {}, "fortnightly"),
        ({"strategy": "no_such", "grid": {"lookback": [1]}}, {}, "unknown strategy"),
        (RANDOM, {"split": "2030-01-01"}, "outside the data"),
        (RANDOM, {"split": "2018-01-01"}, "outside the data"),
        (RANDOM, {"method": "turbo"}, "unknown sweep engine"),
        ({**RANDOM, "random": {**RANDOM["random"], "count": 10_000_001}}, {}, "--yes"),
        (RANDOM, {"split": "2023-01-01T00:00Z"}, "time zone"),
        (RANDOM, {"split": "2019-02-15"}, "at least 63"),  # ~30 trading days before it
        (RANDOM, {"split": "2021-11-15"}, "at least 63"),  # ~30 trading days from it
        (RANDOM, {"max_memory": "inf"}, "--max-memory 'inf'"),
        (RANDOM, {"max_memory": "1e400"}, "--max-memory '1e400'"),
        (RANDOM, {"max_memory": "0"}, "--max-memory '0'"),
        (RANDOM, {"max_memory": "-2GB"}, "--max-memory '-2GB'"),
        (RANDOM, {"scheduler": "notaurl", "strict": True}, "cannot reach the Dask scheduler at notaurl"),
        (RANDOM, {"limit": 0}, "--limit 0"),
        (RANDOM, {"tearsheets": -1}, "--tearsheets -1 must be a whole number"),
        (RANDOM, {"strict": True}, "give --scheduler too"),
        (RANDOM, {"limit": -5}, "--limit -5"),
        ({"strategy": "btc_trend", "grid": "lookback"}, {}, "grid must be a table"),
        ({"strategy": "btc_trend", "fees": "ten bps", "grid": {"lookback": [50]}}, {}, "fees = 'ten bps'"),
        ({"strategy": "btc_trend", "grid": {"lookback": [50], "fees": ["a"]}}, {}, "grid 'fees' = 'a'"),
        ({**RANDOM, "random": {**RANDOM["random"], "count": "ten"}}, {}, "count = 'ten'"),
        ({**RANDOM, "random": 5}, {}, "random must be a table"),
        (
            {"strategy": "btc_trend", "grid": {"lookback": {"start": "50", "stop": 60, "step": 5}}},
            {},
            "range start = '50'",
        ),
        ({"strategy": "btc_trend", "grid": {"lookback": [-5, 50]}}, {}, "lookback ?= ?-5"),
        ({"strategy": "btc_trend", "grid": {"lookback": [50, "abc"]}}, {}, "lookback = 'abc'"),
        ({**RANDOM, "random": {**RANDOM["random"], "alpha": -1}}, {}, "alpha = -1"),
        ({**RANDOM, "start": "yesterday"}, {}, "start = 'yesterday'"),
        ({**RANDOM, "random": {**RANDOM["random"], "assets": "SPY"}}, {}, "must be a list"),
        ({**RANDOM, "start": "2021-01-01", "end": "2020-01-01"}, {}, "end 2020-01-01 is not after start"),
    ],
)
def test_bad_input_is_refused_before_any_work(sweep_store, tmp_path, spec, options, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError, match=message):
            run_sweep(spec, tmp_path / "bad", workers=1, **options)
    assert not (tmp_path / "bad" / RESULTS_FILE).exists()


def test_an_interrupted_dynamic_sweep_resumes_and_equals_an_uninterrupted_one(
    sweep_store, tmp_path, monkeypatch
):
    grid = {
        "name": "trend",
        "strategy": "btc_trend",
        "start": "2019-06-01",
        "grid": {"lookback": [10, 20, 30, "30D", 60, "90D"], "btc_share": [0.0, 0.5]},
    }
    reference = run_sweep(grid, tmp_path / "reference", workers=1, chunk_size=4).results
    calls = interrupt_at_chunk(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(grid, tmp_path / "cut", workers=1, chunk_size=4)
    calls.clear()
    resumed = run_sweep(grid, tmp_path / "cut", workers=1, chunk_size=4)
    assert (resumed.chunks_computed, resumed.chunks_reused) == (1, 2) and len(calls) == 1
    pd.testing.assert_frame_equal(resumed.results, reference)
    assert resumed.overfitting == run_sweep(grid, tmp_path / "reference", workers=1, chunk_size=4).overfitting


def test_chunks_are_planned_from_the_grids_schedules(sweep_store, tmp_path):
    """The memory a variant needs grows with its trade dates: weekly and monthly variants fit one chunk of a
    32 MB worker budget (the smallest), where planning them as if they traded every day would take two."""
    spec = {
        "name": "trend",
        "strategy": "btc_trend",
        "start": "2019-06-01",
        "grid": {"lookback": list(range(10, 135)), "rebalance": ["weekly", "monthly"]},
    }
    smallest = 100 * 2**20  # below the 200 MB kept for the interpreter: the 32 MB floor
    sweep = run_sweep(spec, tmp_path / "calendar", workers=1, max_memory=smallest)
    assert len(sweep.results) == 250 and sweep.chunks_computed == 1
    spec["grid"]["rebalance"] = ["weekly", "drift"]
    assert run_sweep(spec, tmp_path / "drift", workers=1, max_memory=smallest).chunks_computed == 2


def test_a_users_own_files_named_like_sweep_outputs_are_never_removed(sweep_store, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "sweep.html").write_text("my own page")
    (out / "sweep.json").write_text('{"mine": true}')
    run_sweep(RANDOM, out, workers=1, chunk_size=10)
    assert (out / "sweep.html").read_text() == "my own page"


def test_top_ranks_by_the_metric_with_nan_last_without_sorting_the_table():
    from infrabt.engine.sweeps.sweep import SweepResult

    nan = float("nan")
    results = pd.DataFrame({"sharpe": [0.5, nan, 1.5, -0.2, nan, 1.0]}, index=[f"v{i}" for i in range(6)])
    day = pd.Timestamp("2024-01-02")
    result = SweepResult(None, ".", results, [], "sharpe", "fast", "equity", 252, day, day)
    assert list(result.top(3).index) == ["v2", "v5", "v0"]
    assert list(result.top(6).index) == ["v2", "v5", "v0", "v3", "v1", "v4"]
    assert list(result.top(10).index) == ["v2", "v5", "v0", "v3", "v1", "v4"]


def test_finished_chunks_are_not_kept_by_the_executor():
    """A finished future holds its result: the executor lets go of each once its chunk is handed over, and
    a worker's error reaches the caller."""
    from concurrent.futures import ProcessPoolExecutor

    from infrabt.engine.sweeps.execute import Finishing

    pool = ProcessPoolExecutor(max_workers=1)
    running = Finishing(pool, {pool.submit(abs, -n): n for n in range(3)})
    handed = []
    for chunk in running:
        handed.append(chunk)
        assert len(running.futures) == 3 - len(handed)
    running.close()
    assert sorted(handed) == [0, 1, 2]
    pool = ProcessPoolExecutor(max_workers=1)
    running = Finishing(pool, {pool.submit(abs, "x"): 0})
    with pytest.raises(TypeError):
        list(running)
    running.close()


def _write_later(path: str) -> None:
    import time

    time.sleep(2.0)
    Path(path).write_text("finished")


def test_leaving_early_stops_the_workers_instead_of_waiting_for_their_chunks(tmp_path):
    """Ctrl-C: a graceful shutdown waited for every running chunk, and hung for good in 3 of 10 tries with
    its workers on the call queue. Leaving early terminates them: a chunk still running never finishes."""
    import time
    from concurrent.futures import ProcessPoolExecutor

    from infrabt.engine.sweeps.execute import Finishing

    marker = tmp_path / "finished"
    pool = ProcessPoolExecutor(max_workers=1)
    running = Finishing(pool, {pool.submit(_write_later, str(marker)): 0})
    time.sleep(0.5)  # the worker is in its chunk
    running.close()
    time.sleep(2.5)  # past the moment it would have finished
    assert not marker.exists()


@pytest.mark.parametrize(("strategy", "ticker"), [("btc_trend", "BTC-USD"), ("sixty_forty", "SPY")])
def test_tear_sheets_compare_with_the_benchmark_of_the_strategys_calendar(
    sweep_store, tmp_path, strategy, ticker
):
    """As a run compares with pure_btc on the crypto calendar: SPY there was flat every weekend."""
    spec = {"name": "b", "strategy": strategy, "start": "2019-06-03", "grid": {"btc_share": [0.0, 0.1]}}
    sweep = run_sweep(spec, tmp_path / "out", workers=1, tearsheets=1, offline=True)
    benchmark = sweep.benchmark_returns
    closes = sweep_store.read(ticker)["Adj Close"].reindex(benchmark.index)
    assert benchmark.name == ticker
    assert benchmark.iloc[1:].to_numpy() == pytest.approx(closes.pct_change().iloc[1:].to_numpy(), rel=1e-12)


def test_a_spec_ending_after_the_data_scores_only_the_priced_days(sweep_store, tmp_path):
    """end = 2030 padded the sweep with days of zero return: every CAGR and Sharpe understated."""
    spec = {"name": "e", "strategy": "sixty_forty", "start": "2019-06-03", "grid": {"btc_share": [0.0, 0.1]}}
    to_data = run_sweep(spec, tmp_path / "a", workers=1, offline=True)
    with pytest.warns(UserWarning, match="end 2030-01-01 is after the newest price"):
        to_2030 = run_sweep({**spec, "end": "2030-01-01"}, tmp_path / "b", workers=1, offline=True)
    assert to_2030.end == to_data.end
    pd.testing.assert_frame_equal(to_2030.results, to_data.results)


def test_a_chunk_a_worker_ends_before_the_progress_bar_starts_is_counted_once(tmp_path, monkeypatch):
    """Workers write their own parts: one that lands between the submission and the bar's start was counted
    as resumed and again as it finished (20,017 of 20,000 in a stubbed run)."""
    import infrabt.engine.sweeps.execute as execute

    costs = Costs()
    chunks = [execute.Chunk(0, 0, 2, costs), execute.Chunk(1, 2, 4, costs)]
    variants = pd.DataFrame({"lookback": [1, 2, 3, 4]}, index=[f"v{i}" for i in range(4)])
    store = execute.PartStore(tmp_path, "fingerprint")

    def finished_at_once(task, variants, todo, workers, store):
        for chunk in todo:  # every part on disk before the caller starts its bar
            store.write(chunk, (variants.iloc[chunk.start : chunk.stop], pd.DataFrame()))
        return (chunk for chunk in todo)

    counts = []

    class Bar:
        def __init__(self, total, done, enabled):
            counts.append(done)

        def advance(self, count):
            counts.append(count)

        def close(self):
            pass

    monkeypatch.setattr(execute, "run_local", finished_at_once)
    monkeypatch.setattr(execute, "Progress", Bar)
    assert execute.execute(None, variants, chunks, store, workers=2, progress=False) == (2, 0)
    assert counts == [0, 2, 2]  # nothing resumed, then each chunk once
