"""The Python entry point: ``engine.run(...)`` loads prices, runs strategies, returns a ``BacktestResult``.

The command line (``infrabt run``) is a thin wrapper over ``run`` and ``write_csvs``.
"""

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from infrabt.data.calendar import CALENDARS, check_range, parse_date
from infrabt.data.errors import ConfigError, DataError, StrategyError
from infrabt.engine.backtest import backtest
from infrabt.engine.result import BacktestResult, Costs, check_cost

DEFAULT_START = "2018-01-01"


def run(
    strategies: "Iterable[str | object] | None" = None,
    start=DEFAULT_START,
    end=None,
    *,
    fees: float = 0.001,
    slippage: float = 0.001,
    calendar: str | None = None,
    offline: bool | None = None,
    strategies_dir: str | Path | None = None,
    benchmark: str | None = None,
    init_cash: float = 100_000.0,
) -> BacktestResult:
    """Backtest strategies (ids or ``Strategy`` objects; default: all known) on cached prices, one calendar.

    The benchmark strategy is always included; by default it is ``spy``, or ``pure_btc`` in a crypto-only run
    (a crypto calendar cannot hold an equity benchmark). ``end`` defaults to the last day on which every
    needed ticker has a price (so a series that is simply not updated yet never looks like a delisting); the
    result's ``notes`` say which series set it, or which tickers an explicit ``end`` outlives. ``calendar``
    defaults to "equity" unless every strategy is crypto-only and declares the crypto calendar.
    """
    from infrabt.data.prices import load_prices
    from infrabt.strategies import load_strategies

    start = parse_date(start, "--start")
    explicit_end = None if end is None else check_range(start, end)[1]
    costs = check_costs(fees, slippage, init_cash)
    known = load_strategies(strategies_dir)
    if benchmark is None:
        benchmark = default_benchmark(select(strategies, known, None), calendar)
    chosen = select(strategies, known, benchmark)
    calendar = choose_calendar(chosen, calendar)
    tickers = list(dict.fromkeys(t for s in chosen for t in s.tickers))
    first = start - warmup(chosen)
    prices = load_prices(tickers, start=first, end=explicit_end, calendar=calendar, offline=offline)
    end = run_end(prices, start, explicit_end)
    result = backtest(chosen, prices, calendar, costs, start=start, end=end)
    notes = end_notes(prices, start, end, requested=explicit_end)
    return replace(result, benchmark=benchmark, notes=tuple(notes), from_cache=True)


def default_benchmark(strategies: list, calendar: str | None) -> str:
    """``pure_btc`` when the run is crypto-only (by choice or by its strategies), else ``spy``."""
    crypto = calendar == "crypto" or (calendar is None and all(s.calendar == "crypto" for s in strategies))
    return "pure_btc" if crypto and strategies else "spy"


def check_costs(fees: float, slippage: float, init_cash: float) -> Costs:
    fees, slippage = check_cost("--fees", fees), check_cost("--slippage", slippage)
    if not init_cash > 0:
        raise ConfigError(f"initial cash {init_cash:g} must be positive")
    return Costs(fees=fees, slippage=slippage, init_cash=init_cash)


def select(strategies, known: dict, benchmark: str | None) -> list:
    """The strategies to run, by id or as objects, benchmark included; an unknown id lists the known ones."""
    if isinstance(strategies, str):  # run("spy") means one strategy, not "s", "p", "y"
        strategies = [strategies]
    if benchmark is not None and not str(benchmark).strip():
        raise ConfigError("--benchmark is empty; name a strategy id such as spy")
    wanted = list(known.values()) if strategies is None else list(strategies)
    if benchmark and benchmark not in [getattr(s, "id", s) for s in wanted]:
        wanted.append(lookup(benchmark, known, "benchmark (--benchmark)"))
    chosen: dict[str, object] = {}
    for item in wanted:
        strategy = lookup(item, known, "strategy") if isinstance(item, str) else item
        chosen[strategy.id] = strategy
    return list(chosen.values())


def lookup(sid: str, known: dict, what: str):
    if sid not in known:
        raise StrategyError(f"unknown {what} {sid!r}; known: {', '.join(sorted(known))}")
    return known[sid]


def choose_calendar(strategies: list, calendar: str | None) -> str:
    """One calendar for the whole comparison: crypto only if every strategy is crypto-only."""
    if calendar is None:
        return "crypto" if all(s.calendar == "crypto" for s in strategies) else "equity"
    if calendar not in CALENDARS:
        raise ConfigError(f"unknown calendar {calendar!r}; use one of {', '.join(CALENDARS)}")
    if calendar == "crypto":
        mixed = [s.id for s in strategies if not s.crypto_only]
        if mixed:
            raise ConfigError(
                f"the crypto (7-day) calendar is for crypto-only runs, but {', '.join(mixed)} "
                f"hold{'s' if len(mixed) == 1 else ''} equities; "
                "use --calendar equity, or compare against a crypto strategy with --benchmark pure_btc"
            )
    return calendar


def warmup(strategies: list) -> pd.Timedelta:
    """Calendar days of history to load before ``start`` so the longest lookback is filled on day one: a
    session count n needs ~1.5 n days (252 sessions ~ 365 days), a duration its days; both +2 weeks of
    holidays (``strategies.windows.history_days``)."""
    return pd.Timedelta(days=max(s.warmup_days for s in strategies))


STALE_SESSIONS = 30
"""A series ending at most this many days (about six weeks) before the newest one is stale (not updated yet),
not delisted: in the shared data crypto ends 13 sessions before the equities."""


def last_prices(prices: pd.DataFrame) -> pd.Series:
    """Each ticker's last day with a price (a ticker with none is left out), in one pass over the panel
    rather than a ``last_valid_index`` per column."""
    if prices.empty:  # no day at all (a start after the newest price): no ticker has a last price
        return pd.Series([], index=prices.columns[:0], dtype=prices.index.dtype)
    priced = prices.notna().to_numpy()
    last_row = len(prices) - 1 - priced[::-1].argmax(axis=0)
    has = priced.any(axis=0)
    return pd.Series(prices.index[last_row[has]], index=prices.columns[has])


def run_end(prices: pd.DataFrame, start: pd.Timestamp, requested: pd.Timestamp | None) -> pd.Timestamp:
    """The day a run or sweep ends: the requested ``--end``, or ``common_end`` without one or with one after
    the newest price (the days after it were flat cash in every strategy: ``--end 2030-01-01`` took BTC's
    CAGR from 18% to 13.5%). A panel with no price from ``start`` on keeps ``requested``, for the backtest to
    name the empty range."""
    if requested is None:
        return common_end(prices, start)
    last = last_prices(prices)
    if len(last) and start <= last.max() < requested:
        return common_end(prices, start)
    return requested


def common_end(prices: pd.DataFrame, start: pd.Timestamp) -> pd.Timestamp:
    """The last day on which every up-to-date ticker has a price.

    A series that ends within ``STALE_SESSIONS`` days of the newest is just not updated yet: the comparison
    stops there, so it never looks like a delisting. A series that ends long before is a delisting: the
    backtest sells it at its last close and goes on.
    """
    last = last_prices(prices)
    if last.empty or last.max() < start:
        newest = f"the cache ends {last.max().date()}" if len(last) else "the cache ends before it"
        raise DataError(f"no cached prices from {start.date()} on ({newest}); pick an earlier --start")
    cutoff = prices.index[max(0, prices.index.get_loc(last.max()) - STALE_SESSIONS)]
    return last[last >= max(cutoff, start)].min()


def end_notes(
    prices: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, requested: pd.Timestamp | None = None
) -> list[str]:
    """What the run's end date means for its tickers, in sentences for the console, run.json and the page.

    A requested ``--end`` after the newest price ends the run as none would (``run_end``): say so. One past a
    ticker's last price sells it at that close as if delisted: say so. A default end set by stale series
    (``common_end``) cuts every strategy short: say which series and date.
    """
    last = last_prices(prices)
    last = last[last >= start]
    if last.empty:
        return []
    if requested is not None and requested <= last.max():
        return [
            f"--end {end.date()} is after the last price of {ticker} ({day.date()}): from then on it is sold "
            "and held as cash, as if delisted; pass an earlier --end or update its prices"
            for ticker, day in last[last < end].sort_index().items()
        ]
    cut = [] if requested is None else [
        f"--end {requested.date()} is after the newest price ({last.max().date()}): the run ends where the "
        "data end, as without --end"
    ]  # fmt: skip
    stale = sorted(last[last == end].index) if end < last.max() else []
    if not stale:
        return cut
    names = ", ".join(stale[:6]) + (f" and {len(stale) - 6} more" if len(stale) > 6 else "")
    return [
        *cut,
        f"the run ends {end.date()}, the last day {names} {'has' if len(stale) == 1 else 'have'} prices, "
        f"though other series go on to {last.max().date()}: every strategy is cut there; "
        "`infrabt data update` the stale series, or pass --end",
    ]


def write_csvs(result: BacktestResult, out_dir: str | Path, benchmark: str | None = None) -> pd.DataFrame:
    """Write ``returns.csv`` (date x strategy daily returns) and ``metrics.csv`` (one row per strategy, beta
    and correlation against ``benchmark``, default the run's) atomically into an existing folder; returns the
    metrics table."""
    from infrabt.data.files import write_csv

    out = Path(out_dir)
    metrics = result.metrics(benchmark)  # an unknown or failed benchmark raises before anything is written
    write_csv(out / "returns.csv", result.returns)
    write_csv(out / "metrics.csv", metrics)
    return metrics
