"""The thesis check: does crypto (and each way of owning the rails) still hedge the stock market?

Numbers only, plus one generated sentence per chart that states what they show; charts.py draws them. Asset
returns come from the result's prices (no backtest is recomputed); beta and correlation are against the
benchmark's returns.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.engine.crises import Crisis, crisis_table

WINDOW = 63
"""Rolling window in trading days: a quarter, long enough to be stable, short enough to see regimes change."""
BTC, GOLD = "BTC-USD", "GLD"


def asset_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Daily simple returns; NaN on an asset's first priced day and before it: a day with no previous close
    has no return (as 0 it entered every beta and correlation as a made-up pair, on the panel's first day and
    each listing day: claim 4's AI loading change read 0.080085 instead of 0.080328)."""
    return prices.pct_change(fill_method=None)


def rolling_correlation(returns: pd.DataFrame, benchmark: pd.Series, window: int = WINDOW) -> pd.DataFrame:
    """Correlation of each column with the benchmark over the last ``window`` days."""
    return returns.rolling(window, min_periods=window).corr(benchmark)


def rolling_beta(returns: pd.DataFrame, benchmark: pd.Series, window: int = WINDOW) -> pd.DataFrame:
    """Beta (cov / var of the benchmark) of each column over the last ``window`` days."""
    cov = returns.rolling(window, min_periods=window).cov(benchmark)
    return cov.div(benchmark.rolling(window, min_periods=window).var(), axis=0)


def conditional_betas(returns: pd.DataFrame, benchmark: pd.Series) -> pd.DataFrame:
    """Beta on the benchmark's down days and on its up days, per column.

    A hedge has a low downside beta; an asset that "falls with stocks but does not rise with them" has
    downside beta above upside beta, which a full-sample beta averages away.
    """
    rows = {}
    for name in returns.columns:
        pair = pd.concat([returns[name], benchmark], axis=1, keys=["asset", "bench"]).dropna()
        down, up = pair[pair.bench < 0], pair[pair.bench > 0]
        rows[name] = {
            "downside_beta": _beta(down.asset, down.bench),
            "upside_beta": _beta(up.asset, up.bench),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["downside_beta", "upside_beta"])


def _beta(asset: pd.Series, bench: pd.Series) -> float:
    """The engine's beta (one implementation of the formula), on a subset of days."""
    from infrabt.engine.metrics import beta

    if len(asset) < 20:  # too few days for a number anyone should read
        return np.nan
    return beta(asset, bench)


@dataclass(frozen=True)
class Thesis:
    """Everything the thesis section shows; frames are empty when an input asset is not in the run."""

    benchmark: str
    correlation: pd.DataFrame
    beta: pd.DataFrame
    betas: pd.DataFrame
    havens: pd.DataFrame
    sentences: dict[str, str]


def thesis_check(
    strategy_returns: pd.DataFrame,
    assets: pd.DataFrame,
    benchmark: str,
    windows: list[Crisis],
    label: str | None = None,
    havens: pd.DataFrame | None = None,
) -> Thesis:
    """Rolling correlation and beta, down/up betas and the crisis comparison of gold and BTC, with sentences.

    ``assets`` are the reference assets' returns (BTC-USD, GLD when present) compared with the benchmark;
    ``windows`` the listed crises; ``label`` what the sentences call the benchmark (SPY for spy, BTC-USD for
    pure_btc; default its id); ``havens`` the returns of gold and BTC for the crisis comparison (default
    ``assets``: they differ when the benchmark holds one of them, which is then no reference of its own).
    """
    label = label or benchmark
    bench = strategy_returns[benchmark]
    others = strategy_returns.drop(columns=[benchmark])
    series = pd.concat([assets.reindex(bench.index), others], axis=1)
    correlation = rolling_correlation(series, bench)
    beta = rolling_beta(series, bench)
    betas = conditional_betas(series, bench)
    havens_assets = assets if havens is None else havens.reindex(bench.index)
    crisis_returns = _havens(havens_assets.assign(**{benchmark: bench}), windows, benchmark)
    sentences = {
        "correlation": _regime_sentence(correlation, "correlation with", label),
        "beta": _regime_sentence(beta, "beta to", label),
        "betas": _betas_sentence(betas, label),
        "havens": _havens_sentence(crisis_returns, benchmark, label),
    }
    return Thesis(benchmark, correlation, beta, betas, crisis_returns, sentences)


def _havens(returns: pd.DataFrame, windows: list[Crisis], benchmark: str) -> pd.DataFrame:
    """Window x asset returns of gold, BTC and the benchmark in each listed crisis (NaN where not covered)."""
    names = [c for c in (GOLD, BTC) if c in returns.columns]
    if not names:
        return pd.DataFrame()
    table = crisis_table(returns[[*names, benchmark]], windows)
    return table.pivot(index="window", columns="strategy", values="return").reindex([w.id for w in windows])


def _regime_sentence(rolling: pd.DataFrame, what: str, benchmark: str) -> str:
    """'BTC's 63-day correlation with SPY averaged X before 2020 and Y since 2022', for eras in the data."""
    subject = BTC if BTC in rolling.columns else (rolling.columns[0] if len(rolling.columns) else None)
    if subject is None:  # the benchmark alone (a crypto-only run of pure_btc: BTC is the benchmark)
        return f"Nothing else in this run to compare with {benchmark}."
    if rolling[subject].dropna().empty:
        return f"Not enough overlapping data for a {WINDOW}-day {what.split()[0]}."
    values = rolling[subject].dropna()
    eras = [
        ("before 2020", values[:"2019"]),
        ("in 2020-21", values["2020":"2021"]),
        ("since 2022", values["2022":]),
    ]
    parts = [f"{era.mean():.2f} {label}" for label, era in eras if len(era)]
    text = f"{_label(subject)}'s {WINDOW}-day {what} {benchmark} averaged " + _join(parts)
    peak = values.idxmax()
    text += f"; it peaked at {values[peak]:.2f} on {peak.date()} and was {values.iloc[-1]:.2f} at the end."
    strategies = rolling.drop(columns=[c for c in (BTC, GOLD) if c in rolling.columns]).mean().dropna()
    if len(strategies) > 1:
        text += (
            f" Across the run, strategies ranged from {strategies.min():.2f} ({strategies.idxmin()}) "
            f"to {strategies.max():.2f} ({strategies.idxmax()}) on average."
        )
    return text


def _betas_sentence(betas: pd.DataFrame, benchmark: str) -> str:
    if betas.empty:  # the benchmark alone (pure_btc alone on the crypto calendar)
        return f"Nothing else in this run to compare with {benchmark}."
    betas = betas.dropna()
    if betas.empty:
        return "Not enough data for downside and upside betas."
    bench = benchmark
    text = ""
    if BTC in betas.index:
        down, up = betas.loc[BTC]
        text = f"On {bench}'s down days BTC moved {down:.2f}x {bench}, on its up days {up:.2f}x. "
    skew = betas.downside_beta - betas.upside_beta
    worse = skew[skew > 0]
    text += f"{len(worse)} of {len(betas)} series fell harder with {bench} than they rose with it"
    if len(worse):
        name = worse.idxmax()
        text += (
            f", most of all {_label(name)} (downside {betas.downside_beta[name]:.2f} "
            f"vs upside {betas.upside_beta[name]:.2f})"
        )
    return text + "."


def _havens_sentence(havens: pd.DataFrame, benchmark: str, label: str) -> str:
    if havens.empty or not {GOLD, BTC} <= set(havens.columns):
        return (
            "Gold (GLD) and BTC-USD are not both in this run's prices, so they cannot be compared in crises."
        )
    both = havens[[GOLD, BTC]].dropna()
    if both.empty:
        return "No listed crisis window is covered by both gold and BTC prices."
    gold_wins = int((both[GOLD] > both[BTC]).sum())
    text = (
        f"Gold beat BTC in {gold_wins} of {len(both)} crisis windows; median return in a window: gold "
        f"{both[GOLD].median():+.1%}, BTC {both[BTC].median():+.1%}"
    )
    if benchmark in havens.columns:
        hedged = havens.loc[both.index, benchmark]
        text += f", {label} {hedged.median():+.1%}"
        down = both[hedged < 0]
        if len(down):
            text += (
                f". In the {len(down)} windows where {label} fell, BTC fell too in "
                f"{int((down[BTC] < 0).sum())} and gold in {int((down[GOLD] < 0).sum())}"
            )
    return text + "."


def _label(name: str) -> str:
    return {BTC: "BTC", GOLD: "Gold"}.get(name, name)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
