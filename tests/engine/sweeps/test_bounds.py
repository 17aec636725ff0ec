"""Bounds on sweep input, by arithmetic before any allocation: huge or non-finite ranges, random counts beyond
--max-memory, worker counts, a --scheduler that is not Dask, malformed spec files."""

import socket
import threading
import tracemalloc

import pytest

from infrabt.data.errors import ConfigError
from infrabt.engine.sweeps.bounds import MAX_RANGE_VALUES, local_workers, size_text
from infrabt.engine.sweeps.spec import load_spec, spec_from_dict
from infrabt.engine.sweeps.sweep import run_sweep

BASE = {"name": "probe", "strategy": "infra_thesis"}


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"start": 1, "stop": 1_000_000_000, "step": 1}, "has 1,000,000,000 values"),
        ({"start": 0.0, "stop": 1.0, "step": 1e-12}, "has 1,000,000,000,001 values"),
        ({"start": 0.0, "stop": float("inf"), "step": 1.0}, "stop = inf is not a finite number"),
        ({"start": 0.0, "stop": 1.0, "step": float("nan")}, "step = nan is not a finite number"),
    ],
)
def test_a_huge_or_non_finite_range_is_refused_before_any_value_exists(grid, message):
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match=message):
            spec_from_dict({**BASE, "grid": {"lookback": grid}})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"the count is computed, never built ({peak:,} bytes allocated)"


def test_a_range_of_exactly_the_bound_is_counted_not_refused():
    spec = spec_from_dict({**BASE, "grid": {"lookback": {"start": 1, "stop": MAX_RANGE_VALUES, "step": 1}}})
    assert spec.n_variants == MAX_RANGE_VALUES


def test_a_grid_too_big_for_memory_fails_even_with_yes_before_expansion(monkeypatch, tmp_path):
    import infrabt.engine.sweeps.sweep as sweep

    monkeypatch.setattr(sweep, "expand", lambda spec: pytest.fail("the grid must not be built"))
    grid = {k: {"start": 1, "stop": 1000, "step": 1} for k in ("a", "b", "c")}  # 1e9 variants
    spec = spec_from_dict({**BASE, "grid": grid})
    with pytest.raises(ConfigError, match=r"1,000,000,000 variants need ~\d+\.\d GB"):
        run_sweep(spec, tmp_path / "out", yes=True, max_memory="1GB")


def test_random_count_beyond_max_memory_is_refused_before_drawing(monkeypatch, tmp_path):
    import infrabt.engine.sweeps.sweep as sweep

    monkeypatch.setattr(sweep, "random_weights", lambda *a: pytest.fail("no weights may be drawn"))
    spec = spec_from_dict({"name": "r", "random": {"assets": ["SPY", "QQQ", "TLT"], "count": 9_999_999}})
    with pytest.raises(ConfigError, match="9,999,999 variants need"):
        run_sweep(spec, tmp_path / "out", max_memory="512MB")


def test_a_tiny_max_memory_is_said_in_its_own_unit(tmp_path):
    """--max-memory 1KB read "need ~0.0 GB ... more than --max-memory 0.0 GB"."""
    spec = spec_from_dict({"name": "r", "random": {"assets": ["SPY", "QQQ"], "count": 10}})
    with pytest.raises(ConfigError, match=r"need ~[\d.]+ KB .* more than --max-memory 1 KB;"):
        run_sweep(spec, tmp_path / "out", max_memory="1KB")


@pytest.mark.parametrize(
    ("count", "text"),
    [(1023, "1023 bytes"), (2**10, "1 KB"), (int(1.5 * 2**20), "1.5 MB"), (2**30 - 2**20, "1023 MB"),
     (3 * 2**40, "3 TB")],
)  # fmt: skip
def test_size_text_picks_the_unit_that_shows_the_size(count, text):
    assert size_text(count) == text


@pytest.mark.parametrize("workers", [0, -1])
def test_zero_or_negative_workers_is_an_error(workers):
    with pytest.raises(ConfigError, match=f"--workers {workers} must be a whole number, at least 1"):
        local_workers(workers)


def test_workers_are_capped_at_the_cpu_count(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert local_workers(1000) == 2 and local_workers(None) == 2 and local_workers(1) == 1


def test_workers_are_capped_at_the_chunk_count(sweep_store, monkeypatch, tmp_path):
    import infrabt.engine.sweeps.execute as execute

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    pools = []
    real = execute.ProcessPoolExecutor
    monkeypatch.setattr(
        execute,
        "ProcessPoolExecutor",
        lambda max_workers, **k: pools.append(max_workers) or real(max_workers, **k),
    )
    spec = {"name": "r", "random": {"assets": ["SPY", "TLT"], "count": 6}, "start": "2019-06-01"}
    run_sweep(spec, tmp_path / "out", workers=1000, chunk_size=2, offline=True)
    assert pools == [3], "three chunks: three processes, not a thousand"


@pytest.fixture
def not_dask():
    """A TCP service that answers like a web server, not a Dask scheduler."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n" + b"\xff" * 64)
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_scheduler_that_is_not_dask_falls_back_to_local_with_a_warning(not_dask):
    pytest.importorskip("dask.distributed")
    from infrabt.engine.sweeps.execute import connect_dask

    with pytest.warns(UserWarning, match=f"cannot reach the Dask scheduler at {not_dask}"):
        assert connect_dask(not_dask, strict=False, timeout=3) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'name = "x"\nstrategy = "infra_thesis"\nseed = "\xff"\n', "is not UTF-8 text"),
        (b'\xef\xbb\xbfname = "x"\n[random]\nassets = ["SPY"]\ncount = 2\n', None),
        (
            b'name = "x"\n[random]\nassets = ["SPY"]\ncount = 2\nseed = -1\n',
            "seed = -1 must be a whole number",
        ),
        (b'name = "x"\ninit_cash = 0\n[random]\nassets = ["SPY"]\ncount = 2\n', "init_cash = 0.0 must be"),
        (
            b'name = "x"\ninit_cash = nan\n[random]\nassets = ["SPY"]\ncount = 2\n',
            "init_cash = nan is not a finite",
        ),
        (b'name = "x"\nfees = inf\n[random]\nassets = ["SPY"]\ncount = 2\n', "fees = inf is not a finite"),
    ],
)
def test_malformed_spec_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "spec.toml"
    path.write_bytes(content)
    if message is None:  # a byte-order mark from an editor is fine
        assert load_spec(path).random.count == 2
        return
    with pytest.raises(ConfigError, match=message):
        load_spec(path)
