"""Confidence intervals from a stationary block bootstrap of daily returns.

Why a block bootstrap: daily returns are autocorrelated in their volatility and move together across assets,
so resampling single days independently would understate the uncertainty. ``arch``'s stationary bootstrap
(Politis-Romano) draws blocks of random length (mean ``MEAN_BLOCK`` days, about a month); the same day indices
are applied to every column, which keeps the cross-asset dependence. The indices are seeded, so a run
reproduces, and they are drawn once per sample length and reused: statistics are then computed for all
resamples at once with numpy (a resample is a row of an index matrix).
"""

from functools import lru_cache

import numpy as np
import pandas as pd

RESAMPLES = 1000
MEAN_BLOCK = 21
SEED = 20240420
CONFIDENCE = 0.95
METRICS = ("cagr", "sharpe", "max_drawdown")
"""The metrics that get an interval in metrics.csv (``<metric>_ci_low``, ``<metric>_ci_high``)."""


@lru_cache(maxsize=16)  # a run needs ~20 lengths, the long ones repeatedly; each is 8 KB per day
def resample_indices(
    days: int, resamples: int = RESAMPLES, mean_block: int = MEAN_BLOCK, seed: int = SEED
) -> np.ndarray:
    """A ``resamples x days`` matrix of day indices from arch's StationaryBootstrap (read-only, cached)."""
    from arch.bootstrap import StationaryBootstrap

    sampler = StationaryBootstrap(mean_block, np.empty(days), seed=np.random.default_rng(seed))
    indices = np.empty((resamples, days), dtype=np.intp)
    for row in indices:
        row[:] = sampler.update_indices()
    indices.flags.writeable = False
    return indices


def interval(draws: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap draws (NaN, NaN when there are none)."""
    finite = np.asarray(draws, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return np.nan, np.nan
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def sharpe_draws(resampled: np.ndarray, periods_per_year: int) -> np.ndarray:
    """Sharpe of each row (engine.metrics' definition: mean / sample std x sqrt(periods), rf 0).

    From the sum and the sum of squares: two passes over the resamples instead of four.
    """
    days = resampled.shape[-1]
    total = resampled.sum(axis=-1)
    variance = (np.einsum("...i,...i->...", resampled, resampled) - total**2 / days) / (days - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / days / np.sqrt(np.where(variance > 0, variance, np.nan)) * np.sqrt(periods_per_year)


def cagr_draws(resampled: np.ndarray, periods_per_year: int) -> np.ndarray:
    """CAGR of each row: prod(1 + r) ** (periods / n) - 1, as engine.metrics.cagr."""
    growth = np.exp(np.log1p(resampled).sum(axis=-1))
    return growth ** (periods_per_year / resampled.shape[-1]) - 1


def max_drawdown_draws(resampled: np.ndarray) -> np.ndarray:
    """Worst fall from the running peak of each row's compounded path, from a starting value of 1."""
    path = np.add(resampled, 1.0)  # in place from here on: this is the costly statistic
    np.cumprod(path, axis=-1, out=path)
    peak = np.maximum.accumulate(path, axis=-1)
    np.maximum(peak, 1.0, out=peak)
    np.divide(path, peak, out=path)
    return (path.min(axis=-1) - 1).clip(max=0.0)


def metric_intervals(
    returns: pd.DataFrame, periods_per_year: int, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """``<metric>_ci_low`` / ``<metric>_ci_high`` for CAGR, Sharpe and max drawdown, one row per strategy."""
    rows = {}
    for name, series in returns.items():
        values = series.dropna().to_numpy(dtype=float)
        row = dict.fromkeys((f"{m}_ci_{end}" for m in METRICS for end in ("low", "high")), np.nan)
        if len(values) >= 2 * MEAN_BLOCK:  # fewer days than two blocks: an interval would mean nothing
            resampled = values[resample_indices(len(values))]
            draws = {
                "cagr": cagr_draws(resampled, periods_per_year),
                "sharpe": sharpe_draws(resampled, periods_per_year),
                "max_drawdown": max_drawdown_draws(resampled),
            }
            for metric, values_drawn in draws.items():
                row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = interval(values_drawn, confidence)
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strategy"
    return table
