"""The thesis, tested: each claim of the claims file becomes rows of thesis.csv with an estimate, a bootstrap
interval, the threshold and a verdict.

Everything comes from the run's BacktestResult (strategy returns, the price panel) and the listed crisis
windows: no backtest is recomputed. Intervals come from the stationary block bootstrap of engine.bootstrap,
resampling days jointly across the series a statistic needs; a comparison of two periods resamples each
period on its own. A test whose inputs the run lacks is "not tested", with the reason, never an error.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.data.calendar import PERIODS_PER_YEAR
from infrabt.data.errors import ConfigError
from infrabt.data.universe import did_you_mean, group, groups, load_universe, ticker
from infrabt.engine import bootstrap
from infrabt.engine.crises import Crisis, window_rows
from infrabt.reports.claims import Claim, ClaimTest, Settings, Thesis
from infrabt.reports.regression import ols_draws

COLUMNS = [
    "claim",
    "statement",
    "statistic",
    "period",
    "estimate",
    "ci_low",
    "ci_high",
    "threshold",
    "verdict",
]
MIN_DAYS = 60
"""Fewer days than this in a period (about three months) is too little for a statistic anyone should read."""
SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTED = (
    "supported",
    "not supported",
    "inconclusive",
    "not tested",
)


class NotTested(Exception):
    """The run lacks what a test needs; the message is the reason shown to the reader."""


@dataclass(frozen=True)
class Outcome:
    statement: str
    period: str
    estimate: float
    draws: "np.ndarray | None" = None


@dataclass(frozen=True)
class Inputs:
    """What the tests read: asset returns (from the price panel), strategy returns, prices, crisis windows."""

    assets: pd.DataFrame
    strategies: pd.DataFrame
    prices: pd.DataFrame
    windows: list[Crisis]
    settings: Settings
    periods_per_year: int

    def asset(self, name: str) -> pd.Series:
        """A ticker's returns, or a universe group's equal-weighted basket of the members in the run."""
        if name in self.assets.columns:
            return self.assets[name].rename(name)
        if name in groups():
            members = [t for t in group(name) if t in self.assets.columns]
            if members:
                return self.assets[members].mean(axis=1, skipna=True).rename(name)
        raise self.missing(name)

    def missing(self, name: str) -> "NotTested":
        """Why ``name`` (a ticker or group) has no prices here: the crypto calendar (the thesis check adds
        only what trades every day), not cached (or unreadable: the run's notes name such a file), or no
        such name."""
        if name in groups():
            tickers, what = group(name), f"no {name} ticker has prices for this run"
        elif name in load_universe():
            tickers, what = (name,), f"{name} has no prices for this run"
        else:
            return NotTested(f"{name} is neither a ticker the universe lists nor a group{did_you_mean(name)}")
        if self.periods_per_year == PERIODS_PER_YEAR["crypto"] and not any(
            ticker(t).trades_weekends for t in tickers
        ):
            return NotTested(f"{what} (the crypto calendar: it does not trade at weekends)")
        update = f"`infrabt data update {' '.join(tickers)}`"
        return NotTested(f"{what} (not in the price cache: {update}, or see the run's notes)")

    def strategy(self, name: str) -> pd.Series:
        if name in self.strategies.columns:
            return self.strategies[name].rename(name)
        raise NotTested(f"strategy {name} is not in this run")

    def indices(self, days: int, stream: int = 0) -> np.ndarray:
        """Bootstrap day indices for a sample of ``days``; another ``stream`` for an independent sample."""
        s = self.settings
        return bootstrap.resample_indices(days, s.resamples, s.mean_block, s.seed + stream)

    def interval(self, draws: np.ndarray) -> tuple[float, float]:
        return bootstrap.interval(draws, self.settings.confidence)


def score(thesis: Thesis, inputs: Inputs) -> pd.DataFrame:
    """thesis.csv: one row per test of every claim (columns ``COLUMNS``)."""
    rows = [_row(claim, test, inputs) for claim in thesis.claims for test in claim.tests]
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(claim: Claim, test: ClaimTest, inputs: Inputs) -> dict:
    threshold = test.threshold
    try:
        outcome = STATISTICS[test.statistic](test, inputs)
    except NotTested as reason:
        statement = f"{test.statistic} of {test.asset}" + (f" vs {test.versus}" if test.versus else "")
        return dict(zip(COLUMNS, [claim.id, statement, label(test), "", np.nan, np.nan, np.nan, threshold,
                                  f"{NOT_TESTED}: {reason}"], strict=True))  # fmt: skip
    low, high = (np.nan, np.nan) if outcome.draws is None else inputs.interval(outcome.draws)
    verdict = "" if test.statistic == "move" else judge(low, high, threshold, test.side)
    claimed = "" if not test.side else f" is {test.side} {threshold:g}"
    return {
        "claim": claim.id,
        "statement": outcome.statement + claimed,
        "statistic": label(test),
        "period": outcome.period,
        "estimate": outcome.estimate,
        "ci_low": low,
        "ci_high": high,
        "threshold": threshold,
        "verdict": verdict,
    }


def label(test: ClaimTest) -> str:
    """The statistic column of thesis.csv: what is measured, in words."""
    labels = {
        "beta_asymmetry": "downside beta - upside beta",
        "correlation_change": "correlation change",
        "crisis_return_gap": "mean daily return gap on crisis days",
        "crisis_correlation": "crisis correlation, volatility-adjusted",
        "loading_change": f"change in {test.factor} loading",
        "sharpe_difference": "Sharpe difference",
        "crisis_drawdown_gap": "median crisis drawdown gap",
    }
    return labels.get(test.statistic, test.statistic)


def judge(low: float, high: float, threshold: float, side: str) -> str:
    """Supported when the whole interval is on the claimed side, not supported when it is all on the other,
    inconclusive when it straddles the threshold."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{NOT_TESTED}: no interval could be computed"
    above = low > threshold
    below = high < threshold
    if not (above or below):
        return INCONCLUSIVE
    return SUPPORTED if (above if side == "above" else below) else NOT_SUPPORTED


def claim_verdict(verdicts: "list[str]") -> str:
    """A claim's line on the scorecard: supported only if every tested statistic is; not supported if any
    is not; "not tested" if none could be tested."""
    tested = [v for v in verdicts if v and not v.startswith(NOT_TESTED)]
    if not tested:
        return NOT_TESTED if any(verdicts) else ""
    if NOT_SUPPORTED in tested:
        return NOT_SUPPORTED
    return SUPPORTED if all(v == SUPPORTED for v in tested) else INCONCLUSIVE


# --- periods and windows ---------------------------------------------------------------------------------


def _period(frame: pd.DataFrame, start, end, what: str) -> pd.DataFrame:
    """Rows of ``frame`` between ``start`` and ``end`` (inclusive) where every column has a value."""
    rows = frame.loc[start:end].dropna()
    if len(rows) < MIN_DAYS:
        span = f"{_day(start) or 'the start'} to {_day(end) or 'the end'}"
        raise NotTested(f"only {len(rows)} days with {what} from {span} (need {MIN_DAYS})")
    return rows


def _span(rows: pd.DataFrame) -> str:
    return f"{rows.index[0].date()} to {rows.index[-1].date()}"


def _day(value) -> str:
    return "" if value is None else str(pd.Timestamp(value).date())


def _owner(name: str) -> str:
    """BTC-USD's, miners' (a group's plural name takes the apostrophe alone)."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _names(frame: pd.DataFrame) -> str:
    return " and ".join(str(c) for c in frame.columns)


def _crisis_days(index: pd.DatetimeIndex, windows: list[Crisis], chosen: tuple[str, ...]) -> pd.Series:
    """Which days lie inside a listed window (its returns: the day after ``start`` through ``end``)."""
    inside = pd.Series(False, index=index)
    for window in _windows(windows, chosen):
        rows = window_rows(index, window.start, window.end)
        if rows is not None:
            inside.iloc[rows[0] + 1 : rows[1] + 1] = True
    return inside


def _windows(windows: list[Crisis], chosen: tuple[str, ...]) -> list[Crisis]:
    listed = [w for w in windows if not w.computed]
    unknown = sorted(set(chosen) - {w.id for w in listed})
    if unknown:
        known = ", ".join(w.id for w in listed)
        raise ConfigError(
            f"the claims file names crisis window(s) {', '.join(unknown)}, not listed ({known})"
        )
    return [w for w in listed if w.id in chosen] if chosen else listed


# --- the statistics ----------------------------------------------------------------------------------------


def _beta(asset: np.ndarray, market: np.ndarray) -> np.ndarray:
    """cov / var along the last axis (any leading axes are resamples)."""
    a = asset - asset.mean(axis=-1, keepdims=True)
    m = market - market.mean(axis=-1, keepdims=True)
    return (a * m).sum(axis=-1) / (m * m).sum(axis=-1)


def _masked_beta(asset: np.ndarray, market: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Beta on the days where ``mask`` is true, for every row at once."""
    count = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a = (asset * mask).sum(axis=-1) / count
        mean_m = (market * mask).sum(axis=-1) / count
        cov = (asset * market * mask).sum(axis=-1) / count - mean_a * mean_m
        var = (market * market * mask).sum(axis=-1) / count - mean_m**2
        return cov / var


def _correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    return (a * b).sum(axis=-1) / np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))


def _pair(test: ClaimTest, inputs: Inputs, start=None, end=None) -> pd.DataFrame:
    frame = pd.concat([inputs.asset(test.asset), inputs.asset(test.versus)], axis=1)
    if frame.columns[0] == frame.columns[1]:
        raise NotTested(f"{test.asset} against itself says nothing")
    return _period(frame, start, end, f"both {_names(frame)}")


def _resampled(rows: pd.DataFrame, inputs: Inputs, stream: int = 0) -> np.ndarray:
    """columns x resamples x days: the same resampled days for every column."""
    indices = inputs.indices(len(rows), stream)
    return np.stack([column[indices] for column in rows.to_numpy(dtype=float).T])  # contiguous per column


def beta_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    rows = _pair(test, inputs, test.start, test.end)
    asset, market = rows.to_numpy(dtype=float).T
    draws = _beta(*_resampled(rows, inputs))
    statement = f"{_owner(test.asset)} beta to {test.versus}"
    return Outcome(statement, _span(rows), float(_beta(asset, market)), draws)


def beta_asymmetry_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    rows = _pair(test, inputs, test.start, test.end)
    asset, market = rows.to_numpy(dtype=float).T
    estimate = _masked_beta(asset, market, market < 0) - _masked_beta(asset, market, market > 0)
    a, m = _resampled(rows, inputs)
    draws = _masked_beta(a, m, m < 0) - _masked_beta(a, m, m > 0)
    statement = f"{_owner(test.asset)} downside beta minus upside beta to {test.versus} (its down vs up days)"
    return Outcome(statement, _span(rows), float(estimate), draws)


def correlation_change_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    base = _pair(test, inputs, test.base_start, test.base_end)
    now = _pair(test, inputs, test.start, test.end)
    estimate = _correlation(*now.to_numpy(dtype=float).T) - _correlation(*base.to_numpy(dtype=float).T)
    draws = _correlation(*_resampled(now, inputs)) - _correlation(*_resampled(base, inputs, stream=1))
    statement = f"Correlation of {test.asset} with {test.versus}, {_span(now)} minus {_span(base)}"
    period = f"{_span(base)} vs {_span(now)}"
    return Outcome(statement, period, float(estimate), draws)


def crisis_return_gap_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    """Pooled crisis days: the mean daily return of ``asset`` minus ``versus`` (a haven earns more there)."""
    frame = pd.concat([inputs.asset(test.asset), inputs.asset(test.versus)], axis=1).loc[
        test.start : test.end
    ]
    frame = frame.dropna()
    inside = _crisis_days(frame.index, inputs.windows, test.windows)
    rows = frame[inside.to_numpy()]
    if len(rows) < MIN_DAYS // 2:
        raise NotTested(f"only {len(rows)} crisis days with both {_names(frame)}")
    gap = rows.iloc[:, 0] - rows.iloc[:, 1]
    draws = gap.to_numpy()[inputs.indices(len(gap))].mean(axis=-1)
    wins, covered = _window_wins(frame, inputs.windows, test.windows)
    statement = (
        f"Mean daily return of {test.asset} minus {test.versus} on the {len(rows)} days inside the listed "
        f"crises ({test.asset} did better in {wins} of {covered} windows)"
    )
    return Outcome(statement, _span(rows), float(gap.mean()), draws)


def _window_wins(frame: pd.DataFrame, windows: list[Crisis], chosen: tuple[str, ...]) -> tuple[int, int]:
    growth = (1 + frame).cumprod()
    wins = covered = 0
    for window in _windows(windows, chosen):
        rows = window_rows(growth.index, window.start, window.end)
        if rows is not None:
            ret = growth.iloc[rows[1]] / growth.iloc[rows[0]]
            covered += 1
            wins += int(ret.iloc[0] > ret.iloc[1])
    return wins, covered


def forbes_rigobon(crisis_corr, crisis_var, calm_var):
    """Correlation in crises adjusted for the market's higher crisis variance (Forbes and Rigobon 2002):
    rho / sqrt(1 + delta (1 - rho^2)), delta = crisis variance / calm variance - 1."""
    delta = crisis_var / calm_var - 1
    return crisis_corr / np.sqrt(1 + delta * (1 - crisis_corr**2))


def crisis_correlation_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    frame = pd.concat([inputs.asset(test.asset), inputs.asset(test.versus)], axis=1).loc[
        test.start : test.end
    ]
    frame = frame.dropna()
    inside = _crisis_days(frame.index, inputs.windows, test.windows).to_numpy()
    crisis, calm = frame[inside], frame[~inside]
    if len(crisis) < MIN_DAYS // 2 or len(calm) < MIN_DAYS:
        raise NotTested(f"{len(crisis)} crisis and {len(calm)} calm days with both {_names(frame)}")
    a, m = crisis.to_numpy(dtype=float).T
    estimate = forbes_rigobon(_correlation(a, m), m.var(ddof=1), calm.iloc[:, 1].var(ddof=1))
    ca, cm = _resampled(crisis, inputs)
    _, qm = _resampled(calm, inputs, stream=1)
    draws = forbes_rigobon(_correlation(ca, cm), cm.var(axis=-1, ddof=1), qm.var(axis=-1, ddof=1))
    statement = (
        f"Forbes-Rigobon adjusted correlation of {test.asset} with {test.versus} on {len(crisis)} crisis "
        f"days (raw {_correlation(a, m):.2f}; {_owner(test.versus)} variance "
        f"{m.var(ddof=1) / calm.iloc[:, 1].var():.1f}x its calm level)"
    )
    return Outcome(statement, _span(frame), float(estimate), draws)


def factor_frame(test: ClaimTest, inputs: Inputs) -> pd.DataFrame:
    """The asset (first column) and its factors: e.g. the miners' basket, BTC, the GPU/data-center basket."""
    if test.factor not in test.factors:
        raise NotTested(f"factor {test.factor} is not one of the factors {', '.join(test.factors)}")
    series = [inputs.asset(test.asset), *(inputs.asset(f) for f in test.factors)]
    return pd.concat(series, axis=1)


def loading_change_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    frame = factor_frame(test, inputs)
    what = f"all of {_names(frame)}"
    base = _period(frame, test.base_start, test.base_end, what)
    now = _period(frame, test.start, test.end, what)
    column = 1 + list(test.factors).index(test.factor)
    before, after = (loadings(rows, inputs, stream) for stream, rows in ((1, base), (0, now)))
    estimate = after[0][column] - before[0][column]
    draws = after[1][:, column] - before[1][:, column]
    statement = (
        f"{_owner(test.asset)} loading on {test.factor} (regressed on {', '.join(test.factors)}), "
        f"{_span(now)} ({after[0][column]:.2f}) minus {_span(base)} ({before[0][column]:.2f})"
    )
    period = f"{_span(base)} vs {_span(now)}"
    return Outcome(statement, period, float(estimate), draws)


def loadings(rows: pd.DataFrame, inputs: Inputs, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(point coefficients, resamples x coefficients), constant first, of column 0 on the others."""
    values = rows.to_numpy(dtype=float)
    point = ols_draws(values, np.arange(len(values))[None, :])[0]
    return point, ols_draws(values, inputs.indices(len(values), stream))


def sharpe_difference_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    frame = pd.concat([inputs.strategy(test.asset), inputs.strategy(test.versus)], axis=1)
    rows = _period(frame, test.start, test.end, f"both {_names(frame)}")
    ppy = inputs.periods_per_year
    a, b = rows.to_numpy(dtype=float).T
    estimate = bootstrap.sharpe_draws(a, ppy) - bootstrap.sharpe_draws(b, ppy)
    ra, rb = _resampled(rows, inputs)
    draws = bootstrap.sharpe_draws(ra, ppy) - bootstrap.sharpe_draws(rb, ppy)
    statement = f"Sharpe of {test.asset} minus Sharpe of {test.versus}"
    return Outcome(statement, _span(rows), float(estimate), draws)


def crisis_drawdown_gap_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    """Median over the listed windows of max drawdown(asset) - max drawdown(versus): above 0, shallower."""
    frame = pd.concat([inputs.strategy(test.asset), inputs.strategy(test.versus)], axis=1).dropna()
    gaps, draws, used = [], [], []
    for window in _windows(inputs.windows, test.windows):
        rows = window_rows(frame.index, window.start, window.end)
        if rows is None or rows[1] - rows[0] < 2:
            continue
        days = frame.iloc[rows[0] + 1 : rows[1] + 1].to_numpy(dtype=float)
        gaps.append(_drawdown(days[:, 0]) - _drawdown(days[:, 1]))
        resampled = days[inputs.indices(len(days))]
        draws.append(
            bootstrap.max_drawdown_draws(resampled[..., 0]) - bootstrap.max_drawdown_draws(resampled[..., 1])
        )
        used.append(window.id)
    if len(used) < 3:
        raise NotTested(f"only {len(used)} listed crisis windows are covered by both {_names(frame)}")
    statement = (
        f"Median over {len(used)} crisis windows of {_owner(test.asset)} max drawdown minus "
        f"{_owner(test.versus)} (above 0: shallower)"
    )
    period = f"{frame.index[0].date()} to {frame.index[-1].date()}"
    median_draws = np.median(np.stack(draws), axis=0)
    return Outcome(statement, period, float(np.median(gaps)), median_draws)


def _drawdown(returns: np.ndarray) -> float:
    return float(bootstrap.max_drawdown_draws(returns[None, :])[0])


def move_test(test: ClaimTest, inputs: Inputs) -> Outcome:
    """The move between the last closes on or before ``start`` and ``end``, beside the quoted figure."""
    if test.asset in groups():
        raise NotTested(f"{test.asset} is a group: a move is quoted for one ticker")
    if test.asset not in inputs.prices.columns:
        raise inputs.missing(test.asset)
    prices = inputs.prices[test.asset].dropna()
    rows = window_rows(prices.index, test.start, test.end)
    if rows is None:
        raise NotTested(f"{_owner(test.asset)} prices do not cover {_day(test.start)} to {_day(test.end)}")
    first, last = prices.index[rows[0]], prices.index[rows[1]]
    move = prices.iloc[rows[1]] / prices.iloc[rows[0]] - 1
    statement = (
        f"{test.asset} from the {first.date()} to the {last.date()} close (quoted {test.threshold:+.1%})"
    )
    return Outcome(statement, f"{first.date()} to {last.date()}", float(move))


COMPARES_STRATEGIES = frozenset({"sharpe_difference", "crisis_drawdown_gap"})
"""Statistics whose ``asset`` and ``versus`` are strategy ids; the others name tickers or universe groups."""

STATISTICS: dict[str, Callable[[ClaimTest, Inputs], Outcome]] = {
    "beta": beta_test,
    "beta_asymmetry": beta_asymmetry_test,
    "correlation_change": correlation_change_test,
    "crisis_return_gap": crisis_return_gap_test,
    "crisis_correlation": crisis_correlation_test,
    "loading_change": loading_change_test,
    "sharpe_difference": sharpe_difference_test,
    "crisis_drawdown_gap": crisis_drawdown_gap_test,
    "move": move_test,
}
