"""Running a sweep's chunks: sized to a memory budget, in worker processes or on a Dask cluster, resumable.

Memory, not time, is the wall (vectorbt: ~10 MB per variant of 32 assets), so a chunk holds as many variants
as the budget allows per worker, estimated from the array sizes. Finished chunks are written one parquet part
each, atomically (temp file + rename), in a folder named by the sweep's fingerprint: an interrupted sweep
reruns only the chunks without a part, and a reader never sees half a file.
"""

import logging
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from infrabt.data.errors import ConfigError
from infrabt.data.files import write_parquet
from infrabt.data.processes import die_with_parent
from infrabt.engine.result import Costs
from infrabt.engine.sweeps.overfitting import BLOCK_PREFIX

log = logging.getLogger(__name__)

PARTS_DIR = ".sweep-parts"
ChunkResult = tuple[pd.DataFrame, pd.DataFrame]
"""What a chunk yields (``evaluate.evaluate_chunk``): its rows, and the sampled variants' daily returns."""
MAX_CHUNK = 2_000  # variants; more buys no speed and makes resume coarse
_FLOAT = 8


@dataclass(frozen=True)
class Chunk:
    """Variants ``start`` .. ``stop`` - 1 of the variant table, all with the same costs."""

    number: int
    start: int
    stop: int
    costs: Costs

    @property
    def size(self) -> int:
        return self.stop - self.start


def default_max_memory() -> int:
    """A quarter of the machine's RAM: room for the OS, the other engineers' jobs and the parent process."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        total = 8 * 2**30
    return total // 4


def parse_memory(text: "str | int | None") -> int | None:
    """``"2GB"``, ``"512M"``, ``"1.5g"`` or a number of bytes -> bytes (None: use the default).

    Zero, negative, infinite or absurd sizes are refused rather than silently replaced by the default."""
    if text is None:
        return None
    fix = "write a positive size, e.g. 2GB or 512MB"
    if isinstance(text, bool):
        raise ConfigError(f"--max-memory {text!r} is not a size; {fix}")
    if isinstance(text, int):
        number = text
    else:
        value = str(text).strip().upper().removesuffix("B").removesuffix("I")
        units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
        try:
            if value and value[-1] in units:
                number = int(float(value[:-1]) * units[value[-1]])
            else:
                number = int(float(value))
        except (ValueError, OverflowError):
            raise ConfigError(f"--max-memory {text!r} is not a size; {fix}") from None
    if number <= 0 or number > 2**60:
        raise ConfigError(f"--max-memory {text!r} is not a usable size; {fix}")
    return number


def bytes_per_variant(n_days: int, n_assets: int, n_trade_dates: int, method: str) -> int:
    """Peak bytes one variant costs inside a chunk, from the arrays it needs.

    fast: its orders on trade dates (x ~8 temporaries while trading), values, returns and ~12 day-length
    metric temporaries. vectorbt: close, size and the order/valuation arrays it builds per column, plus the
    same metric arrays; measured by benchmarks/bench_sweep.py: ~1.9 GB per worker for 125 variants of 32
    assets x 2,142 days, i.e. ~220 bytes per day and asset.
    """
    metrics = 14 * n_days * _FLOAT
    if method == "vectorbt":
        return 220 * n_days * n_assets + metrics
    return 8 * n_trade_dates * n_assets * _FLOAT + metrics


def plan_chunks(
    costs: list[Costs], per_variant: int, max_memory: int, workers: int, chunk_size: int | None = None
) -> list[Chunk]:
    """Split the variants (their costs in table order) into chunks that fit ``max_memory`` across ``workers``.

    Each worker gets ``max_memory / workers`` (less a fixed 200 MB for the interpreter and the prices); a
    chunk never mixes costs, because one simulation takes one set of costs. Chunks are as large as memory and
    ``MAX_CHUNK`` allow, in whole rounds of one chunk per worker: the simulation steps through trade dates
    once per chunk for all its variants, so a dynamic grid in 8 chunks of 140 costs ~3x one of 1,120.
    """
    n = len(costs)
    workers = max(workers, 1)
    budget = max(max_memory // workers - 200 * 2**20, 32 * 2**20)
    largest = int(min(max(1, budget // max(per_variant, 1)), MAX_CHUNK))
    rounds = max(1, -(-n // (workers * largest)))
    size = chunk_size or max(1, -(-n // (workers * rounds)))
    chunks, start = [], 0
    while start < n:
        stop = min(start + size, n)
        same = next((i for i in range(start + 1, stop) if costs[i] != costs[start]), stop)
        chunks.append(Chunk(number=len(chunks), start=start, stop=same, costs=costs[start]))
        start = same
    return chunks


class PartStore:
    """Finished chunks on disk: ``DIR/.sweep-parts/<fingerprint>/part-<first>-<stop>.parquet``, and beside a
    part whose chunk holds sampled variants, ``sample-<first>-<stop>.parquet`` (their daily returns).

    A part that exists is complete (it was renamed into place after writing). A different fingerprint (the
    spec, data or options changed) starts afresh: old parts are removed, never mixed in.
    """

    def __init__(self, out_dir: Path, fingerprint: str) -> None:
        self.root = Path(out_dir) / PARTS_DIR
        self.dir = self.root / fingerprint
        for stale in self.root.glob("*") if self.root.is_dir() else []:
            if stale.name != fingerprint:
                shutil.rmtree(stale, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint

    def path(self, chunk: Chunk) -> Path:
        """Named by the variants it holds, so a rerun planned differently (other --workers or --max-memory)
        recomputes instead of reusing a part that covers other variants."""
        return self.dir / f"part-{chunk.start:09d}-{chunk.stop:09d}.parquet"

    def sample_path(self, chunk: Chunk) -> Path:
        return self.dir / f"sample-{chunk.start:09d}-{chunk.stop:09d}.parquet"

    def done(self, chunk: Chunk) -> bool:
        return self.path(chunk).is_file()

    def write(self, chunk: Chunk, result: ChunkResult) -> None:
        """The chunk's sampled returns first, then its part: a part that exists has its sample beside it."""
        rows, sample = result
        if len(sample.columns):
            write_parquet(self.sample_path(chunk), sample)
        write_parquet(self.path(chunk), rows)

    def read_all(self, chunks: list[Chunk]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Every chunk's rows in table order, as the metrics table and the per-block sums beside it (read
        apart: at a million variants no table holding both is ever built), and the sampled variants' daily
        returns (days x sampled variants)."""
        schema = pq.read_schema(self.path(chunks[0]))  # the names alone, not a part
        index = {c for c in schema.pandas_metadata["index_columns"] if isinstance(c, str)}  # the variant ids
        sums = [c for c in schema.names if c.startswith(BLOCK_PREFIX)]
        metrics = [c for c in schema.names if not c.startswith(BLOCK_PREFIX) and c not in index]
        # read apart, as pandas for the metrics and as numbers for the sums: whole parts read once through
        # pyarrow held ~25% more memory at 200k variants (1.7 GB instead of 1.4 at 1M)
        table = pd.concat([pd.read_parquet(self.path(c), columns=metrics) for c in chunks])
        numbers = np.empty((len(table), len(sums)))  # filled part by part: no list of parts beside it
        for chunk in chunks:
            with pq.ParquetFile(self.path(chunk)) as part:
                columns = part.read(columns=sums).columns
            numbers[chunk.start : chunk.stop] = np.column_stack([c.to_numpy() for c in columns])
        samples = [pd.read_parquet(self.sample_path(c)) for c in chunks if self.sample_path(c).is_file()]
        sample = pd.concat(samples, axis=1) if samples else pd.DataFrame()
        return table, pd.DataFrame(numbers, index=table.index, columns=sums), sample


# --- executors: each yields chunks as they finish, their parts written
# -------------------------------------------------

_WORKER_TASK = None


def _init_worker(task) -> None:
    global _WORKER_TASK
    die_with_parent()  # a killed sweep leaves no worker behind
    _WORKER_TASK = task
    warnings.filterwarnings("ignore")


def _run_in_worker(store: PartStore, chunk: Chunk, params: pd.DataFrame) -> None:
    """The chunk evaluated and its part written here, beside the other workers: written by the parent, the
    parts were a serial step after them (and every chunk's rows crossed a pipe)."""
    from infrabt.engine.sweeps.evaluate import evaluate_chunk

    store.write(chunk, evaluate_chunk(_WORKER_TASK, params, chunk.costs))


def run_local(task, variants: pd.DataFrame, chunks: list[Chunk], workers: int, store: PartStore):
    """Chunks in ``workers`` processes (the task is sent once per process); one worker runs in this process.
    Returns what yields the chunks as they finish and has a ``close``.

    Every chunk is submitted here, before the caller starts its progress bar: the workers are forked now,
    while this process runs no other thread (forking beside a running thread can inherit a held lock).
    """
    if workers <= 1 or len(chunks) <= 1:
        return _in_this_process(task, variants, chunks, store)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(task,))
    running = Finishing(pool, {})
    try:
        for c in chunks:
            running.futures[pool.submit(_run_in_worker, store, c, variants.iloc[c.start : c.stop])] = c
    except BaseException:  # Ctrl-C while forking
        running.close()
        raise
    return running


def _in_this_process(task, variants: pd.DataFrame, chunks: list[Chunk], store: PartStore) -> Iterator[Chunk]:
    from infrabt.engine.sweeps.evaluate import evaluate_chunk

    for chunk in chunks:
        store.write(chunk, evaluate_chunk(task, variants.iloc[chunk.start : chunk.stop], chunk.costs))
        yield chunk


class Finishing:
    """Chunks running in a process pool (future -> chunk), handed over as they finish (a worker's error is
    raised here); a finished future is let go of, since it holds its result.

    ``close`` ends the workers. Left early (Ctrl-C, or another chunk's error), it terminates them rather than
    wait for their chunks, which are abandoned (a part is written atomically, so none is half-written): a
    graceful shutdown after Ctrl-C hung for good in 3 of 10 tries, its workers waiting on the call queue."""

    def __init__(self, pool: ProcessPoolExecutor, futures: dict) -> None:
        self.pool, self.futures = pool, futures

    def __iter__(self) -> Iterator:
        for future in as_completed(self.futures):  # as_completed keeps its own set: popping here is safe
            future.result()
            yield self.futures.pop(future)

    def close(self) -> None:
        if self.futures:
            terminate = getattr(self.pool, "terminate_workers", None)  # Python >= 3.14
            if terminate is not None:
                terminate()
            else:
                for process in list((self.pool._processes or {}).values()):
                    process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


DASK_TIMEOUT = 5.0  # seconds to reach a scheduler before falling back


def connect_dask(address: str, strict: bool, timeout: float = DASK_TIMEOUT):
    """A dask.distributed client for ``address``; None (local fallback, with a warning) if unreachable."""
    try:
        from dask.distributed import Client
    except ImportError:
        message = "--scheduler needs dask.distributed: pip install 'infrabt[cluster]'"
        if strict:
            raise ConfigError(message) from None
        warnings.warn(f"{message}; running on local processes instead", stacklevel=2)
        return None
    try:
        return Client(address, timeout=timeout)
    except Exception as exc:  # unreachable, "notaurl", or no Dask scheduler at all (garbage -> MemoryError)
        message = f"cannot reach the Dask scheduler at {address}: {type(exc).__name__}: {str(exc)[:120]}"
        if strict:
            raise ConfigError(f"{message}; check the address, or drop --strict to run locally") from None
        warnings.warn(f"{message}; running on local processes instead", stacklevel=2)
        return None


def run_dask(client, task, variants: pd.DataFrame, chunks: list[Chunk], store: PartStore) -> Iterator[Chunk]:
    """Chunks as Dask tasks, their parts written here (a cluster's workers may not see this folder); the
    task (prices, strategy) is scattered to every worker once."""
    from dask.distributed import as_completed as dask_completed

    from infrabt.engine.sweeps.evaluate import evaluate_chunk

    shared = client.scatter(task, broadcast=True)
    futures = {
        client.submit(evaluate_chunk, shared, variants.iloc[c.start : c.stop], c.costs, pure=False): c
        for c in chunks
    }
    try:
        for future in dask_completed(list(futures)):
            store.write(futures[future], future.result())
            yield futures[future]
    finally:
        for future in futures:
            future.cancel()


# --- progress
# -----------------------------------------------------------------------------------------------------


class Progress:
    """A rich progress bar on stderr with variants per second and an ETA; silent when disabled."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.enabled = enabled
        self.total, self.done, self.started, self.first = total, done, time.perf_counter(), done
        self._bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("variants"),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("sweep", total=total, completed=done, rate="")

    def advance(self, count: int) -> None:
        self.done += count
        if self._bar is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            rate = f"{(self.done - self.first) / elapsed:,.0f}/s"
            self._bar.update(self._task, completed=self.done, rate=rate)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def execute(
    task,
    variants: pd.DataFrame,
    chunks: list[Chunk],
    store: PartStore,
    *,
    workers: int,
    client=None,
    progress: bool = True,
) -> tuple[int, int]:
    """Run every chunk without a part, writing each part as it finishes. Returns (computed, reused) chunk
    counts."""
    todo = [c for c in chunks if not store.done(c)]
    reused = len(chunks) - len(todo)
    resumed = len(variants) - sum(c.size for c in todo)  # counted now: a worker may finish one before the bar
    # local workers are forked here, before the progress bar starts its refresh thread
    if client is not None:
        finished = run_dask(client, task, variants, todo, store)
    else:
        finished = run_local(task, variants, todo, workers, store)
    try:
        bar = Progress(len(variants), resumed, progress)
        try:
            for chunk in finished:
                bar.advance(chunk.size)
        finally:
            bar.close()
    finally:
        finished.close()  # ends the workers; left early, it stops them where they are
    return len(todo), reused
