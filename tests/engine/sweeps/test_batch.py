"""The batched path of a grid sweep equals the per-variant path (engine.backtest.build_orders), variant by
variant, for every shipped block; a user block without a batched path still runs, one variant at a time."""

import itertools
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import infrabt.engine.sweeps.orders as orders_module
from infrabt.engine.result import Costs
from infrabt.engine.sweeps.evaluate import SweepTask, evaluate_chunk
from infrabt.engine.sweeps.orders import (
    all_tickers,
    batch_parts,
    chunk_orders,
    variant_orders,
    variant_strategies,
)
from infrabt.engine.sweeps.spec import SweepSpec, grid_variants
from infrabt.engine.sweeps.sweep import most_trade_dates
from infrabt.strategies import (
    Blend,
    CorrelationSwitch,
    DriftBand,
    EqualWeight,
    Fixed,
    InverseVolatility,
    Strategy,
    TrendFilter,
)
from infrabt.strategies.batch import batchable, same_order
from infrabt.strategies.block import Block
from infrabt.strategies.schedules import Every, period_starts
from tests.synthetic import random_walk

TICKERS = ["SPY", "TLT", "GLD", "QQQ", "BTC-USD", "MARA", "RIOT", "NVDA"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    """Eight walks over ~3 years with late listings (NVDA, and GLD, a fallback), a delisting (RIOT)."""
    panel = random_walk(TICKERS, days=800, start="2019-01-01", seed=3, volatility=0.025)
    panel.loc[: panel.index[250], "NVDA"] = np.nan
    panel.loc[: panel.index[400], "GLD"] = np.nan
    panel.loc[panel.index[600] :, "RIOT"] = np.nan
    return panel


def task_for(base: Strategy, prices: pd.DataFrame) -> SweepTask:
    days = prices.index[prices.index >= "2019-09-02"]
    return SweepTask(prices=prices, days=days, base=base, periods_per_year=252)


def grid(base_grid: dict) -> pd.DataFrame:
    return grid_variants(SweepSpec(name="t", strategy="x", grid=base_grid))


def strategy(weighting: Block, assets=(), overlays=(), **kwargs) -> Strategy:
    return Strategy(id="t", thesis="t", weighting=weighting, assets=assets, overlays=overlays, **kwargs)


CASES = {
    "inverse volatility x btc share x rebalance": (
        strategy(InverseVolatility(lookback=20), assets=("SPY", "TLT", "GLD", "NVDA", "RIOT")),
        {"lookback": [5, 20, 63], "btc_share": [0.0, 0.1, 0.5], "rebalance": ["weekly", "monthly", "yearly"]},
    ),
    "drift band tolerance": (
        strategy(InverseVolatility(lookback=20), assets=("SPY", "TLT", "RIOT"), rebalance=DriftBand(0.05)),
        {"lookback": [10, 40], "tolerance": [0.01, 0.05, 0.2], "btc_share": [0.0, 0.2]},
    ),
    "equal weight": (
        strategy(EqualWeight(), assets=("SPY", "QQQ", "NVDA", "RIOT")),
        {"btc_share": [0.0, 0.3], "rebalance": ["daily", "monthly", "yearly"]},
    ),
    "fixed weights": (
        strategy(Fixed({"SPY": 0.6, "TLT": 0.4})),
        {"weights": [{"SPY": 0.6, "TLT": 0.4}, {"SPY": 0.3, "NVDA": 0.7}], "btc_share": [0.0, 0.05]},
    ),
    "fixed weights, a delisted ticker held by some variants only": (
        strategy(Fixed({"SPY": 0.5, "RIOT": 0.5})),
        {
            "weights": [{"SPY": 0.5, "RIOT": 0.5}, {"SPY": 0.6, "TLT": 0.4}],
            "rebalance": ["weekly", "monthly"],
        },
    ),
    "blend of sleeves": (
        strategy(Blend({"SPY": 0.5, "NVDA": 0.5}, inside=InverseVolatility(lookback=10))),
        {"shares": [{"SPY": 0.5, "NVDA": 0.5}, {"SPY": 0.2, "NVDA": 0.8}], "btc_share": [0, 0.2]},
    ),
    "trend filter, cash": (
        strategy(Fixed({"BTC-USD": 1.0}), overlays=(TrendFilter("BTC-USD", lookback=50),), rebalance="daily"),
        {"lookback": [1, 20, 50, 200], "btc_share": [0.0, 0.25]},
    ),
    "trend filter, fallback": (
        strategy(Fixed({"BTC-USD": 0.5, "SPY": 0.5}), overlays=(TrendFilter("BTC-USD", 50, "TLT"),)),
        {"lookback": [10, 100], "rebalance": ["weekly", "monthly"]},
    ),
    "correlation switch": (
        strategy(
            Fixed({"BTC-USD": 1.0}),
            overlays=(CorrelationSwitch("BTC-USD", "SPY", 63, 0.3, "GLD"),),
            rebalance="weekly",
        ),
        {"lookback": [10, 63], "threshold": [-0.2, 0.0, 0.1, 0.3], "btc_share": [0.0, 0.1]},
    ),
    "durations and counts": (
        strategy(
            InverseVolatility(lookback="30D"),
            assets=("SPY", "BTC-USD", "NVDA"),
            overlays=(TrendFilter("BTC-USD", "100D", "GLD"), CorrelationSwitch("BTC-USD", "SPY", "63D", 0.2)),
        ),
        {"lookback": ["20D", 20, "91D"], "threshold": [0.0, 0.4], "btc_share": [0.0, 0.1]},
    ),
    "two overlays": (
        strategy(
            Fixed({"BTC-USD": 0.7, "QQQ": 0.3}),
            overlays=(TrendFilter("BTC-USD", 30, "GLD"), CorrelationSwitch("BTC-USD", "SPY", 20, 0.2, None)),
        ),
        {"lookback": [15, 40], "threshold": [0.0, 0.5]},
    ),
}


def assert_parts_equal_per_variant(task: SweepTask, params: pd.DataFrame, parts: list) -> None:
    """Every variant's orders in ``parts`` equal build_orders' to 1e-9 (NaN = no order in the same cells)."""
    reference = list(variant_orders(task, params).values())
    assert sorted(p for positions, _ in parts for p in positions) == list(range(len(params)))
    for positions, block in parts:
        for v, position in enumerate(positions):
            expected = reference[position]
            assert expected.index.isin(block.dates).all(), f"variant {position}: a trade date is missing"
            got = block.variant(v)
            extra = [t for t in got.columns if t not in expected.columns]
            assert got[extra].isna().all().all()  # tickers the variant does not hold: never an order
            np.testing.assert_allclose(
                got[list(expected.columns)].to_numpy(),
                expected.reindex(block.dates).to_numpy(),
                rtol=0,
                atol=1e-9,
                err_msg=f"variant {position}: {params.iloc[position].to_dict()}",
            )


@pytest.mark.parametrize("case", list(CASES))
def test_batched_orders_equal_the_per_variant_path(case, prices):
    base, values = CASES[case]
    assert batchable(base)
    task = task_for(base, prices)
    params = grid(values)
    parts = batch_parts(task, variant_strategies(task, params))
    assert parts is not None  # the batched path itself, not a fallback to the per-variant one
    assert_parts_equal_per_variant(task, params, parts)
    # each trade date's (variants x tickers) rows in one piece of memory, as the simulation reads them
    assert all(block.weights.flags.c_contiguous for _, block in parts)
    for (_, one), (_, other) in itertools.combinations(parts, 2):
        if tuple(one.dates) == tuple(other.dates):  # apart only if their variants order tickers otherwise
            assert len(same_order([one.tickers, other.tickers])) == 2
    if case == "inverse volatility x btc share x rebalance":
        assert len(parts) == 3 and all("BTC-USD" in block.tickers for _, block in parts)


@pytest.mark.parametrize("case", list(CASES))
def test_the_chunks_memory_estimate_counts_at_least_every_parts_trade_dates(case, prices, monkeypatch):
    """``most_trade_dates`` bounds the rows of every part the simulation gets, on the batched path (a part
    per schedule) and on the per-variant path (variants of several schedules on the union of their dates),
    final sales and first allocations included; and stays below every day for calendar schedules slower
    than daily."""
    base, values = CASES[case]
    task = task_for(base, prices)
    params = grid(values)
    tickers = all_tickers(variant_strategies(task, params))  # the sweep's panel holds just these
    bound = most_trade_dates(base, params, task.days, len(tickers))
    batched = chunk_orders(task, params)
    monkeypatch.setattr(orders_module, "batchable", lambda strategy: False)
    one_by_one = chunk_orders(task, params)
    assert max(len(block.dates) for _, block in [*batched, *one_by_one]) <= bound <= len(task.days)
    rules = set(params["rebalance"]) if "rebalance" in params else {base.rebalance.name}
    if rules <= {"weekly", "monthly", "quarterly", "yearly"}:
        assert bound < len(task.days) / 3


class DailyNamedMonthly(Every):
    """A user's calendar schedule that trades on other days than its name says."""

    def trade_days(self, weights: pd.DataFrame, known: pd.DataFrame, first) -> pd.DatetimeIndex:
        return weights.index


class FirstTickerOnly(Strategy):
    """A user's strategy deciding by its own ``target_weights``: all in its first ticker, on the trade dates
    its blocks give."""

    def target_weights(self, prices: pd.DataFrame, start=None) -> pd.DataFrame:
        weights = super().target_weights(prices, start)
        return pd.DataFrame(0.0, index=weights.index, columns=weights.columns).assign(
            **{self.tickers[0]: 1.0}
        )


def test_the_memory_estimate_takes_every_day_where_a_variant_may_trade_on_any(prices):
    days = task_for(CASES["fixed weights"][0], prices).days
    base, _ = CASES["fixed weights"]
    renamed = pd.DataFrame({"rebalance": [DailyNamedMonthly("monthly")]}, dtype=object)
    assert most_trade_dates(base, renamed, days, len(prices.columns)) == len(days)
    own = FirstTickerOnly(id="t", thesis="t", weighting=Fixed({"SPY": 0.6, "TLT": 0.4}))
    assert most_trade_dates(own, grid({"btc_share": [0.0, 0.1]}), days, len(prices.columns)) == len(days)


def test_a_strategy_deciding_by_its_own_target_weights_is_swept_one_variant_at_a_time(prices):
    """Its blocks all have a batched path, but the batch computes from the blocks: it would miss the
    override (and did: every variant of this grid came out as inverse volatility)."""
    base = FirstTickerOnly(id="t", thesis="t", weighting=InverseVolatility(20), assets=("SPY", "TLT", "GLD"))
    assert not batchable(base)
    task = task_for(base, prices)
    params = grid({"lookback": [5, 20], "rebalance": ["weekly", "monthly"]})
    parts = chunk_orders(task, params)
    assert_parts_equal_per_variant(task, params, parts)
    first = np.concatenate([block.weights[:, :, block.tickers.index("SPY")].ravel() for _, block in parts])
    assert set(first[~np.isnan(first)]) == {1.0}


def test_the_memory_estimate_counts_final_sales_off_the_schedule(prices):
    """Two assets whose histories end on a Wednesday and on a Thursday: a weekly variant holding both trades
    on those days besides its Mondays."""
    panel = prices.copy()
    for ticker, weekday, after in (("RIOT", 2, 500), ("TLT", 3, 550)):
        last = panel.index[(panel.index.dayofweek == weekday) & (panel.index > panel.index[after])][0]
        panel.loc[panel.index > last, ticker] = np.nan
    base = strategy(Fixed({"SPY": 0.4, "RIOT": 0.3, "TLT": 0.3}))
    task = task_for(base, panel)
    params = grid({"rebalance": ["weekly", "monthly"]})
    most = max(len(orders) for orders in variant_orders(task, params).values())
    assert most == len(period_starts(task.days, "weekly")) + 2
    assert most <= most_trade_dates(base, params, task.days, len(panel.columns))


@dataclass(frozen=True)
class OnWeekday(Block):
    """A user's schedule holding a dict, so it cannot be hashed."""

    when: dict = field(default_factory=lambda: {"weekday": 2})

    def trade_days(self, weights: pd.DataFrame, known: pd.DataFrame, first) -> pd.DatetimeIndex:
        return weights.index[weights.index.dayofweek == self.when["weekday"]]


def test_the_memory_estimate_takes_every_day_for_a_schedule_it_cannot_tell_apart(prices):
    base, _ = CASES["fixed weights"]
    days = task_for(base, prices).days
    params = pd.DataFrame({"rebalance": [OnWeekday(), OnWeekday({"weekday": 4})]}, dtype=object)
    assert most_trade_dates(base, params, days, len(prices.columns)) == len(days)


@pytest.mark.parametrize("case", ["inverse volatility x btc share x rebalance", "correlation switch"])
def test_batched_sweep_metrics_equal_the_per_variant_path(case, prices, monkeypatch):
    base, values = CASES[case]
    task = task_for(base, prices)
    params = grid(values)
    batched = evaluate_chunk(task, params, Costs())[0]
    monkeypatch.setattr(orders_module, "batchable", lambda strategy: False)
    one_by_one = evaluate_chunk(task, params, Costs())[0]
    pd.testing.assert_frame_equal(batched, one_by_one, rtol=0, atol=1e-9, check_exact=False)


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "per-variant"])
def test_a_variant_in_a_chunk_scores_as_it_does_alone_whatever_order_it_lists_its_tickers(
    batched, prices, monkeypatch
):
    """Equal weights tie at the first buy and fees cut the last buy of the call sequence, which settles a
    tie by column order (vectorbt's auto call sequence): a variant listing TLT before SPY must not be
    simulated in the columns of one listing SPY first."""
    if not batched:
        monkeypatch.setattr(orders_module, "batchable", lambda strategy: False)
    base = strategy(Fixed({"SPY": 0.5, "TLT": 0.5}))
    task = task_for(base, prices)
    weights = [{"SPY": 0.5, "TLT": 0.5}, {"TLT": 0.5, "SPY": 0.5}, {"TLT": 0.5, "SPY": 0.5, "GLD": 0.0}]
    params = grid({"weights": weights})
    costs = Costs(fees=0.002, slippage=0.001)
    together = evaluate_chunk(task, params, costs)[0]
    alone = pd.concat([evaluate_chunk(task, params.iloc[[i]], costs)[0] for i in range(len(params))])
    pd.testing.assert_frame_equal(together, alone, rtol=0, atol=1e-12, check_exact=False)
    assert together["total_return"].iloc[0] != together["total_return"].iloc[1]  # the tie decides something


def test_same_order_groups_variants_whose_tickers_keep_their_own_order():
    tickers = [("SPY", "TLT"), ("SPY", "TLT", "BTC-USD"), ("TLT", "SPY"), ("SPY", "NVDA"), ("BTC-USD", "SPY")]
    # the first union becomes SPY, TLT, BTC-USD, NVDA; the second TLT, SPY; BTC-USD before SPY fits neither
    assert same_order(tickers) == [[0, 1, 3], [2], [4]]


@pytest.mark.parametrize("seed", range(20))
def test_same_order_equals_placing_every_variant_by_its_definition(seed):
    """Random ticker orders, many repeated: the groups are those of trying each variant against every group
    in turn (the rule in ``same_order``'s docstring), though a repeated order skips the search."""
    rng = np.random.default_rng(seed)
    names = ["SPY", "TLT", "GLD", "QQQ", "BTC-USD"]
    kinds = [tuple(rng.permutation(names)[: rng.integers(1, 5)]) for _ in range(6)]
    tickers = [kinds[k] for k in rng.integers(0, len(kinds), size=40)]
    groups: list[tuple[list[str], list[int]]] = []
    for position, own in enumerate(tickers):
        for union, members in groups:
            merged = union + [t for t in own if t not in union]
            if sorted(own, key=merged.index) == list(own):
                union[:] = merged
                members.append(position)
                break
        else:
            groups.append((list(own), [position]))
    assert same_order(tickers) == [members for _, members in groups]


def test_variants_sharing_a_weighting_compute_it_once(prices, monkeypatch):
    """27 variants, three lookbacks: one pass of rolling sums for all three, and no lookback by itself; the
    volatility only on the rows some variant trades on (weekly, monthly, yearly: the weekly ones, the month
    starts and the first day), not on every day."""
    import infrabt.strategies.weighting as weighting_module

    base, values = CASES["inverse volatility x btc share x rebalance"]
    passes, singles, computed = [], [], []
    original = weighting_module.rolling_std

    def counted(returns, counts, rows=None):
        passes.append(sorted(counts))
        computed.append((len(returns), len(rows)))
        return original(returns, counts, rows)

    monkeypatch.setattr(weighting_module, "rolling_std", counted)
    monkeypatch.setattr(InverseVolatility, "__call__", lambda self, known: singles.append(self))
    chunk_orders(task_for(base, prices), grid(values))
    assert passes == [[5, 20, 63]] and singles == []
    [(days, rows)] = computed
    assert rows < days / 3


@dataclass(frozen=True)
class EqualOfLive(Block):
    """A user's batched weighting whose ``outputs`` hook predates the ``rows`` argument."""

    lookback: int = 5
    PARAMS: ClassVar[tuple[str, ...]] = ("lookback",)
    batched: ClassVar[bool] = True

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        return self.outputs([self], known)[0]

    @classmethod
    def outputs(cls, weightings: list, known: pd.DataFrame) -> list[pd.DataFrame]:
        live = known.notna().rolling(4, min_periods=1).min().astype(float)  # priced the last 4 closes
        return [live.div(live.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0) for _ in weightings]


def test_a_users_batched_hook_without_rows_still_runs(prices):
    """The ``outputs`` hook now takes the trade rows; a user's hook with the two arguments it had before is
    called as before, every row, and its trade rows taken: the same orders as the per-variant path."""
    base = strategy(EqualOfLive(), assets=("SPY", "TLT", "NVDA"))
    assert batchable(base)
    task = task_for(base, prices)
    params = grid({"lookback": [3, 7], "btc_share": [0.0, 0.2], "rebalance": ["weekly", "monthly"]})
    assert_parts_equal_per_variant(task, params, batch_parts(task, variant_strategies(task, params)))


@dataclass(frozen=True)
class LowestPrice(Block):
    """A user's weighting without a batched path: all in the asset with the lowest previous close."""

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        lowest = known.fillna(np.inf).to_numpy().argmin(axis=1)
        return pd.DataFrame(np.eye(known.shape[1])[lowest], index=known.index, columns=known.columns)


@dataclass(frozen=True)
class TrendAboveZero(TrendFilter):
    """A user's subclass of a shipped overlay that computes another way and declares no batched path."""

    def signal(self, known: pd.DataFrame) -> pd.Series:
        return ~(known[self.asset].pct_change(self.lookback, fill_method=None) > 0)


@pytest.mark.parametrize(
    "base",
    [
        strategy(LowestPrice(), assets=("SPY", "TLT", "QQQ")),
        strategy(Fixed({"BTC-USD": 1.0}), overlays=(TrendAboveZero("BTC-USD", lookback=20),)),
    ],
    ids=["user weighting", "user overlay subclass"],
)
def test_a_user_block_without_a_batched_path_runs_one_variant_at_a_time(base, prices, monkeypatch):
    assert not batchable(base)
    values = {"btc_share": [0.0, 0.2], "rebalance": ["weekly", "monthly"]}
    if base.overlays:
        values["lookback"] = [5, 30]

    def refuse(*args, **kwargs):
        raise AssertionError("the batched path ran a block that has none")

    monkeypatch.setattr(orders_module, "batch_target_weights", refuse)
    task = task_for(base, prices)
    parts = chunk_orders(task, grid(values))
    assert len(parts) == 1
    assert_parts_equal_per_variant(task, grid(values), parts)
    metrics = evaluate_chunk(task, grid(values), Costs())[0]
    assert metrics["sharpe"].notna().all() and metrics["total_return"].nunique() == len(metrics)


@dataclass(frozen=True)
class EwmaVolatility(InverseVolatility):
    """A user's subclass that computes volatility another way and declares the batched path again."""

    batched: ClassVar[bool] = True

    def __call__(self, known: pd.DataFrame) -> pd.DataFrame:
        inverse = 1 / known.pct_change(fill_method=None).ewm(span=self.lookback).std()
        return inverse.div(inverse.sum(axis=1), axis=0).fillna(0.0)


@dataclass(frozen=True)
class SwitchOnLevels(CorrelationSwitch):
    """A user's subclass of a shipped overlay with its own signal, batched again."""

    batched: ClassVar[bool] = True

    def signal(self, known: pd.DataFrame) -> pd.Series:
        return ~(known[self.asset].rolling(self.lookback).corr(known[self.reference]) < self.threshold)


@pytest.mark.parametrize(
    "base",
    [
        strategy(EwmaVolatility(lookback=20), assets=("SPY", "TLT", "NVDA")),
        strategy(Fixed({"BTC-USD": 1.0}), overlays=(SwitchOnLevels("BTC-USD", "SPY", 20, 0.2, "GLD"),)),
    ],
    ids=["weighting", "overlay"],
)
def test_a_batched_subclass_keeps_its_own_computation(base, prices):
    """The class's batched hook (``outputs``, ``signals``) is used only where the class defines it: a subclass
    with its own ``__call__`` or ``signal`` is computed block by block, never by its parent's shortcut."""
    assert batchable(base)
    task = task_for(base, prices)
    params = grid({"lookback": [10, 30], "btc_share": [0.0, 0.2]})
    assert_parts_equal_per_variant(task, params, batch_parts(task, variant_strategies(task, params)))


def test_random_weights_block_equals_build_orders_for_every_variant(prices):
    """The vectorized Fixed rule of a random-weights sweep (late listings, a delisting), each variant against
    ``build_orders`` with its own ``weights``, not only the first one the sweep checks itself."""
    from infrabt.engine.sweeps.orders import random_block
    from infrabt.engine.sweeps.spec import WEIGHT_PREFIX
    from infrabt.engine.sweeps.sweep import random_template

    tickers = ["SPY", "TLT", "GLD", "NVDA", "RIOT"]
    base = strategy(Fixed({t: 1 / len(tickers) for t in tickers}))
    task = task_for(base, prices)
    task = SweepTask(**{**task.__dict__, "random_template": random_template(base, prices, task.days)})
    draws = np.random.default_rng(11).dirichlet(np.ones(len(tickers)), size=12)
    params = pd.DataFrame(draws, columns=[f"{WEIGHT_PREFIX}{t}" for t in tickers])
    params.index = [f"v{i}" for i in range(len(params))]
    block = random_block(task, params)
    for v in range(len(params)):
        weights = pd.DataFrame({"weights": [dict(zip(tickers, draws[v], strict=True))]}, dtype=object)
        expected = variant_orders(task, weights).popitem()[1]
        got = block.variant(v).reindex(index=expected.index, columns=expected.columns)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert np.isnan(block.weights).any() and (block.weights == 0).any()  # untraded cells and a final sale
