"""The thesis, tested, for one run: the scorecard, the miners' pivot and the attribution, computed from the
BacktestResult and prepared for the dashboard's sections (formatting only here; the numbers come from
scorecard.py, pivot.py and attribution.py)."""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infrabt.engine.crises import Crisis
from infrabt.engine.result import BacktestResult
from infrabt.reports.attribution import COSTS, FACTOR_TICKERS, FACTORS, attribution
from infrabt.reports.claims import Thesis
from infrabt.reports.dashboard import format_value
from infrabt.reports.pivot import ROLLING_WINDOW, Pivot, miners_pivot
from infrabt.reports.scorecard import COMPARES_STRATEGIES, NOT_TESTED, Inputs, claim_verdict, score
from infrabt.reports.thesis import asset_returns

PERCENT = {"move": "pct", "crisis_return_gap": "pct2", "crisis_drawdown_gap": "pct"}
"""Statistics read as returns; the others (betas, correlations, Sharpe ratios, loadings) as plain numbers."""


@dataclass(frozen=True)
class Evidence:
    claims: Thesis
    table: pd.DataFrame
    """thesis.csv"""
    pivot: Pivot
    attribution: pd.DataFrame
    """attribution.csv"""


def thesis_prices(result: BacktestResult, claims: Thesis) -> tuple[pd.DataFrame, list[str]]:
    """The run's prices, plus the cached prices of every ticker the claims or the factors name that the run's
    strategies do not hold, on the run's days; and notes for the page about those added prices.

    A claim is then tested, and a strategy regressed on every factor, whichever strategies were run (with only
    infra_thesis and pure_btc, GLD's claims went untested and the alpha was 14.7% a year against 11.5% in the
    full run). Only for a result whose prices came from the cache (``engine.run``), and from the cache or the
    bundled snapshot (seeded into the cache, as a run does), never a download. On the crypto calendar only
    tickers that trade every day are added (an equity's weekend would be a made-up return of 0). A ticker
    nowhere cached stays out and its claims say so; one whose file cannot be read stays out with a note naming
    it; one whose prices end before the run's last day is noted, since its statistics stop there."""
    from infrabt.data.errors import DataNotice, InfrabtError
    from infrabt.data.locks import LockedError
    from infrabt.data.prices import load_prices
    from infrabt.data.snapshot import snapshot_tickers
    from infrabt.data.store import PriceStore
    from infrabt.data.universe import resolve, ticker

    if not result.from_cache:  # prices of your own (``backtest``): the cache's would be another market
        return result.prices, []
    names = {*FACTOR_TICKERS}
    for claim in claims.claims:
        for test in claim.tests:
            if test.statistic not in COMPARES_STRATEGIES:
                names.update([test.asset, test.versus, test.factor, *test.factors])
    wanted = []
    for name in sorted(names - {""}):
        try:
            wanted += resolve([name])
        except InfrabtError:  # no ticker symbol at all: the test that names it says so
            continue
    store, snapshot = PriceStore(), set(snapshot_tickers())
    extra = [
        t
        for t in dict.fromkeys(wanted)
        if t not in result.prices.columns
        and (store.has(t) or t in snapshot)
        and (result.calendar != "crypto" or ticker(t).trades_weekends)
    ]
    days, notes = result.prices.index, []

    def load(tickers: list[str]) -> pd.DataFrame:
        panel = load_prices(tickers, start=days[0], end=days[-1], calendar=result.calendar, offline=True)
        return panel.reindex(days)

    try:
        added = load(extra) if extra else pd.DataFrame(index=days)
    except LockedError:  # a writer kept the cache past INFRABT_LOCK_WAIT: as the run's own read, not 5 waits
        raise
    except InfrabtError:  # one unreadable file: the others still count, that one is named
        parts = []
        for symbol in extra:
            try:
                parts.append(load([symbol]))
            except InfrabtError as exc:
                notes.append(f"{symbol} is left out of the thesis check and the attribution: {exc}")
        added = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=days)
    for symbol, closes in added.items():
        last = closes.last_valid_index()
        if last is not None and last < days[-1]:
            notes.append(
                f"{symbol}'s prices end {last.date()}, before the run's last day {days[-1].date()}: the "
                f"thesis statistics and factor regressions that use it stop there; `infrabt data update "
                f"{symbol}`"
            )
    for note in notes:  # printed by the CLI, as a run's own notes are
        warnings.warn(note, DataNotice, stacklevel=2)
    return pd.concat([result.prices, added], axis=1), notes


def gather(
    result: BacktestResult,
    listed: list[Crisis],
    claims: Thesis,
    groups: dict[str, str],
    prices: pd.DataFrame | None = None,
) -> Evidence:
    """Every statistic of the tested thesis from one run (``listed``: the crisis windows the claims use;
    ``prices``: the run's prices, or ``thesis_prices``)."""
    prices = result.prices if prices is None else prices
    assets = asset_returns(prices)
    inputs = Inputs(assets, result.returns, prices, listed, claims.settings, result.periods_per_year)
    return Evidence(
        claims, score(claims, inputs), miners_pivot(claims, inputs), attribution(result, assets, groups)
    )


def verdict_class(verdict: str) -> str:
    """A CSS class per verdict: supported, not-supported, inconclusive, not-tested, quoted."""
    if not verdict:
        return "quoted"
    return "not-tested" if verdict.startswith(NOT_TESTED) else verdict.replace(" ", "-")


def _number(value: float, kind: str) -> str:
    if kind == "pct2" and np.isfinite(value):
        return f"{value:+.2%}"
    return format_value(value, "pct" if kind == "pct2" else kind)


def scorecard(evidence: Evidence) -> list[dict]:
    """One entry per claim: its overall verdict, a lead line, and every tested statistic."""
    rows = iter(evidence.table.to_dict("records"))
    claims = []
    for claim in evidence.claims.claims:
        tests = []
        for test in claim.tests:
            row = next(rows)
            kind = PERCENT.get(test.statistic, "num")
            quoted = test.statistic == "move"
            tests.append(
                {
                    "label": f"{test.asset}{f' vs {test.versus}' if test.versus else ''}: {row['statistic']}",
                    "statement": row["statement"],
                    "statistic": row["statistic"],
                    "period": row["period"],
                    "estimate": _number(row["estimate"], kind),
                    "ci": "" if quoted or np.isnan(row["ci_low"]) else
                    f"{_number(row['ci_low'], kind)} to {_number(row['ci_high'], kind)}",
                    "threshold": ("quoted " if quoted else f"{test.side} ") + _number(row["threshold"], kind),
                    "verdict": row["verdict"] or "measured",
                    "css": verdict_class(row["verdict"]),
                }
            )  # fmt: skip
        verdict = claim_verdict([t["verdict"] for t in tests if t["css"] != "quoted"])
        counted = [t for t in tests if t["css"] not in ("quoted", "not-tested")]
        supported = sum(t["css"] == "supported" for t in counted)
        quoted = sum(t["css"] == "quoted" for t in tests)
        untested = sum(t["css"] == "not-tested" for t in tests)
        # what was measured, and what was not ("6 figures" read as six measured for six tests not run)
        parts = [f"{supported} of {len(counted)} supported"] if counted else []
        if quoted:
            parts.append(f"{quoted} figure{'s' if quoted != 1 else ''}")
        if untested:
            parts.append(f"{untested} not tested")
        tally = ", ".join(parts)
        claims.append(
            {
                "id": claim.id,
                "title": claim.title,
                "link": claim.link,
                "verdict": verdict or "measured",
                "css": verdict_class(verdict),
                "tally": tally,
                "lead": tests[0],
                "tests": tests,
            }
        )
    return claims


def attribution_rows(table: pd.DataFrame) -> dict:
    """The dashboard's attribution table: factor regression, turnover, cost drag, top contributors."""
    if table.empty:
        return {"factors": [], "missing": [], "rows": []}
    factors = list(dict.fromkeys(table.loc[table.measure == "beta", "item"]))
    missing = [f for f in FACTORS if f not in factors]  # no prices in this run: the page says so
    rows = []
    for strategy, own in table.groupby("strategy", sort=False):
        value = {(m, i): v for m, i, v in own[["measure", "item", "value"]].itertuples(index=False)}
        assets = own[(own.measure == "return_contribution") & (own.item != COSTS)]
        top = assets.nlargest(3, "value")
        rows.append(
            {
                "strategy": strategy,
                "alpha": format_value(value.get(("alpha_annualized", ""), np.nan), "pct"),
                "alpha_t": format_value(value.get(("alpha_t", ""), np.nan)),
                "betas": [format_value(value.get(("beta", f), np.nan)) for f in factors],
                "r_squared": format_value(value.get(("r_squared", ""), np.nan)),
                "turnover": format_value(value.get(("turnover_annual", "per year"), np.nan), "pct"),
                "cost_drag": f"{value.get(('cost_drag_annual', 'per year'), np.nan):.2%}",
                "top": ", ".join(f"{r.item} {r.value:+.0%}" for r in top.itertuples()),
            }
        )
    return {"factors": factors, "missing": missing, "rows": rows}


def miners_rows(pivot: Pivot) -> list[dict]:
    """The per-miner table, formatted."""
    rows = []
    for row in pivot.table.to_dict("records"):
        rows.append(
            {
                "miner": row["miner"],
                "days": f"{row['days_before']} / {row['days_after']}",
                "btc": f"{format_value(row['btc_before'])} → {format_value(row['btc_after'])}",
                "btc_t": format_value(row["btc_change_t"]),
                "ai": f"{format_value(row['ai_before'])} → {format_value(row['ai_after'])}",
                "ai_t": format_value(row["ai_change_t"]),
                "verdict": row["verdict"],
                "css": row["verdict"].replace(" ", "-"),
            }
        )
    return rows


def add_to_page(page, evidence: Evidence) -> None:
    """The scorecard, miners and attribution sections and their figures, onto a dashboard.Page."""
    from infrabt.reports import evidence_charts

    page.evidence = {
        "scorecard": scorecard(evidence),
        "miners": {"rows": miners_rows(evidence.pivot), "reason": evidence.pivot.reason,
                   "test": evidence.pivot.test, "window": ROLLING_WINDOW},
        "attribution": attribution_rows(evidence.attribution),
    }  # fmt: skip
    if evidence.pivot.rolling and any(not r.empty for r in evidence.pivot.rolling.values()):
        page.figures["pivot"] = evidence_charts.pivot_chart(evidence.pivot)
    if (evidence.attribution.measure == "return_contribution_sleeve").any():
        page.figures["contribution-return"] = evidence_charts.contribution_chart(
            evidence.attribution, "return_contribution", "contribution to total return"
        )
        page.figures["contribution-risk"] = evidence_charts.contribution_chart(
            evidence.attribution, "risk_contribution", "contribution to volatility (annualized)"
        )
