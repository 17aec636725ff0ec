"""The miners' pivot (claim 4 in detail): who moved from bitcoin towards AI after the halving, and when.

Reads its asset group, factors and dates from the claims file's first ``loading_change`` test, so the chart
and the table follow a user's edits. Per miner: two-factor OLS with Newey-West errors before and after the
split; over time: rolling loadings of the basket and of each miner.
"""

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from infrabt.data.universe import group, groups
from infrabt.reports.claims import ClaimTest, Thesis
from infrabt.reports.regression import hac_fit, rolling_loadings
from infrabt.reports.scorecard import MIN_DAYS, Inputs, NotTested, factor_frame

ROLLING_WINDOW = 252
"""A year of sessions: long enough for two loadings to be stable, short enough to see a pivot."""
SIGNIFICANT = 1.96
"""|t| of a change in loading above this counts as a move (5% two-sided)."""
TABLE_COLUMNS = ["miner", "days_before", "days_after", "btc_before", "btc_after", "btc_change_t",
                 "ai_before", "ai_after", "ai_change_t", "verdict"]  # fmt: skip


@dataclass(frozen=True)
class Pivot:
    """What the miners section shows; ``reason`` says why it is empty when it is."""

    test: "ClaimTest | None" = None
    rolling: dict[str, pd.DataFrame] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLE_COLUMNS))
    reason: str = ""


def miners_pivot(thesis: Thesis, inputs: Inputs) -> Pivot:
    """Rolling loadings (basket and members) and the per-member before/after table."""
    test = next((t for c in thesis.claims for t in c.tests if t.statistic == "loading_change"), None)
    if test is None or len(test.factors) != 2:
        return Pivot(reason="the claims file has no two-factor loading_change test")
    try:
        basket = factor_frame(test, inputs)
    except NotTested as reason:
        return Pivot(test, reason=str(reason))
    members = [t for t in group(test.asset) if t in inputs.assets.columns] if test.asset in groups() else []
    rolling = {test.asset: rolling_loadings(basket.iloc[:, 0], basket.iloc[:, 1:], ROLLING_WINDOW)}
    rows = []
    for member in members:
        frame = factor_frame(replace(test, asset=member), inputs)
        rolling[member] = rolling_loadings(frame.iloc[:, 0], frame.iloc[:, 1:], ROLLING_WINDOW)
        rows.append(before_after(frame, test))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return Pivot(test, rolling, table)


def before_after(frame: pd.DataFrame, test: ClaimTest) -> list:
    """One table row: loadings on the two factors before and after, the t-statistics of their changes."""
    name = frame.columns[0]
    before = frame.loc[test.base_start : test.base_end].dropna()
    after = frame.loc[test.start : test.end].dropna()
    if min(len(before), len(after)) < MIN_DAYS:
        return [name, len(before), len(after), *[np.nan] * 6, "too little history"]
    fits = [hac_fit(rows.iloc[:, 0], rows.iloc[:, 1:]) for rows in (before, after)]
    changes = []
    for factor in frame.columns[1:]:
        b, a = (fit.params[factor] for fit in fits)
        se = np.hypot(*(fit.bse[factor] for fit in fits))  # independent periods: variances add
        changes.append((b, a, (a - b) / se))
    (btc_b, btc_a, btc_t), (ai_b, ai_a, ai_t) = changes
    return [name, len(before), len(after), btc_b, btc_a, btc_t, ai_b, ai_a, ai_t, pivot_verdict(btc_t, ai_t)]


def pivot_verdict(btc_change_t: float, ai_change_t: float) -> str:
    """Pivoted: significantly less BTC and more AI; partly: one of the two; the other way: only significant
    moves against the thesis; else no sign of a change."""
    less_btc, more_ai = btc_change_t < -SIGNIFICANT, ai_change_t > SIGNIFICANT
    if less_btc and more_ai:
        return "pivoted"
    if less_btc or more_ai:
        return "partly"
    if btc_change_t > SIGNIFICANT or ai_change_t < -SIGNIFICANT:
        return "the other way"
    return "no sign"
