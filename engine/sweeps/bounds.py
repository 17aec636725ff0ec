"""Bounds on what a sweep may ask for, checked by arithmetic before anything is allocated.

A grid ``lookback = {start = 1, stop = 1000000000}`` or a step of ``1e-12`` once built its value list before
the ten-million guard looked at it (a MemoryError, ~36 GB asked); ``count = 9999999`` random weights ignored
``--max-memory``; ``--workers 1000`` forked 1,000 processes for 63 variants. Each bound here is a count or a
size computed from the spec's numbers alone.
"""

import math
import os

from infrabt.data.errors import ConfigError

MAX_RANGE_VALUES = 1_000_000
"""Values one ``{start, stop, step}`` range may expand to: more is a typo in stop or step, not a sweep."""
RESULT_BYTES = 40 * 8
"""Bytes a variant's row of results costs (~40 float columns: metrics in and out of sample, crises)."""


def range_count(key: str, start: float, stop: float, step: float, where: str) -> int:
    """How many values ``start, start + step, ... <= stop`` holds; NaN, infinite or huge counts refused."""
    for name, number in (("start", start), ("stop", stop), ("step", step)):
        if not math.isfinite(number):
            raise ConfigError(f"{where}: grid {key!r} range {name} = {number} is not a finite number")
    if step <= 0:
        raise ConfigError(f"{where}: grid {key!r} step must be positive")
    if stop < start:
        return 0
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise ConfigError(
            f"{where}: grid {key!r} range {start} .. {stop} step {step} has {count:,} values "
            f"(> {MAX_RANGE_VALUES:,}); use a larger step or a narrower range"
        )
    return count


def variant_table_bytes(n_variants: int, n_columns: int, random: bool) -> int:
    """Memory the variant table and its results take at once (whole sweep, before any chunk runs)."""
    per_cell = 16 if random else 48  # a float (+ its copy) vs a boxed value in an object column
    return n_variants * (per_cell * n_columns + (0 if random else 56) + RESULT_BYTES)


def check_fits(spec, max_memory: int) -> None:
    """Refuse a sweep whose variant and result tables alone exceed ``max_memory`` (--yes does not lift it)."""
    if spec.random is not None:
        from infrabt.data.universe import resolve

        columns = len(resolve(list(spec.random.assets)))
    else:
        columns = len(spec.grid)
    needed = variant_table_bytes(spec.n_variants, columns, spec.random is not None)
    if needed > max_memory:
        raise ConfigError(
            f"sweep {spec.name!r}: {spec.n_variants:,} variants need ~{size_text(needed)} for their "
            f"parameter and result tables, more than --max-memory {size_text(max_memory)}; fewer "
            f"variants, or raise --max-memory"
        )


def size_text(count: int) -> str:
    """Bytes in the unit that shows them: 1024 -> "1 KB" (not "0.0 GB"), 3.5 * 2**30 -> "3.5 GB"."""
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


def local_workers(requested: "int | None") -> int:
    """Worker processes: the CPU count by default, never more; zero or negative is an error."""
    cpus = os.cpu_count() or 1
    if requested is None:
        return cpus
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ConfigError(
            f"--workers {requested!r} must be a whole number, at least 1 (this machine has {cpus} CPUs)"
        )
    return min(requested, cpus)
