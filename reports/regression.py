"""Linear factor regressions: statsmodels OLS with HAC (Newey-West) errors for estimates and t-statistics,
and the same least squares solved for every bootstrap resample at once.

HAC because daily returns have volatility clusters and (for assets sampled at different closes, such as BTC on
NYSE sessions) some autocorrelation: plain OLS errors would overstate significance.
"""

import numpy as np
import pandas as pd


def newey_west_lags(days: int) -> int:
    """The usual automatic lag length, floor(4 (n/100)^(2/9)) (Newey and West 1994)."""
    return int(np.floor(4 * (days / 100) ** (2 / 9)))


def hac_fit(y: pd.Series, factors: pd.DataFrame):
    """OLS of ``y`` on a constant and ``factors`` with Newey-West errors (statsmodels results object)."""
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: a third of the import time

    design = factors.copy()
    design.insert(0, "const", 1.0)  # what statsmodels' add_constant does, without its checks' cost
    return OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(y))})


def _augmented(data: np.ndarray) -> np.ndarray:
    """[1, factors, y] from days x (y, factors): X'X and X'y are then blocks of one cross product."""
    return np.column_stack([np.ones(len(data)), data[:, 1:], data[:, 0]])


def _solve(cross: np.ndarray) -> np.ndarray:
    """Coefficients from stacked cross products [[X'X, X'y], ...]: one batched solve, NaN if singular."""
    gram, moment = cross[:, :-1, :-1], cross[:, :-1, -1]
    try:
        return np.linalg.solve(gram, moment[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a sample with a constant factor: leave it out, keep the others
        return np.stack([_solve_or_nan(g, m) for g, m in zip(gram, moment, strict=True)])


def _solve_or_nan(gram: np.ndarray, moment: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(gram, moment)
    except np.linalg.LinAlgError:
        return np.full(len(moment), np.nan)


def ols_draws(data: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Coefficients (constant first) of column 0 on the other columns, for each row of ``indices``.

    ``data`` is days x (1 + factors); ``indices`` resamples x days. Returns resamples x (1 + factors): the
    normal equations of every resample solved in one batched call.
    """
    resampled = _augmented(data)[indices]  # resamples x days x columns
    return _solve(np.matmul(resampled.transpose(0, 2, 1), resampled))


def rolling_loadings(y: pd.Series, factors: pd.DataFrame, window: int) -> pd.DataFrame:
    """Loadings of ``y`` on ``factors`` over each run of ``window`` consecutive days with data.

    The same numbers as statsmodels' RollingOLS (tested), which fits window by window in Python (~0.1 s a
    series); here moving sums of the cross products feed one batched solve.
    """
    frame = pd.concat([y.rename("__y"), factors], axis=1).dropna()
    if len(frame) <= window:
        return pd.DataFrame(columns=factors.columns, dtype=float)
    augmented = _augmented(frame.to_numpy(dtype=float))
    running = np.cumsum(augmented[:, :, None] * augmented[:, None, :], axis=0)
    sums = running[window - 1 :].copy()
    sums[1:] -= running[:-window]
    coefficients = _solve(sums)[:, 1:]
    return pd.DataFrame(coefficients, index=frame.index[window - 1 :], columns=factors.columns)
