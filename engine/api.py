"""The Python entry point: ``engine.run(...)`` loads prices, runs strategies, returns a ``BacktestResult``.

The command line (``infrabt run``) is a thin wrapper over ``run`` and ``write_csvs``.
"""

from collections.abc import Iterable
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
    benchmark: str = "spy",
    init_cash: float = 100_000.0,
) -> BacktestResult:
    """Backtest strategies (ids or ``Strategy`` objects; default: all known) on cached prices, one calendar.

    The benchmark strategy is always included. ``end`` defaults to the last day on which every needed ticker
    has a price (so a series that is simply not updated yet never looks like a delisting). ``calendar``
    defaults to "equity" unless every strategy is crypto-only and declares the crypto calendar.
    """
    from infrabt.data.prices import load_prices
    from infrabt.strategies import load_strategies

    start = parse_date(start, "--start")
    end = None if end is None else check_range(start, end)[1]
    costs = check_costs(fees, slippage, init_cash)
    known = load_strategies(strategies_dir)
    chosen = select(strategies, known, benchmark)
    calendar = choose_calendar(chosen, calendar)
    tickers = list(dict.fromkeys(t for s in chosen for t in s.tickers))
    first = start - warmup(chosen)
    prices = load_prices(tickers, start=first, end=end, calendar=calendar, offline=offline)
    if end is None:
        end = common_end(prices, start)
    return backtest(chosen, prices, calendar, costs, start=start, end=end)


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
                f"the crypto (7-day) calendar is for crypto-only runs, but {', '.join(mixed)} hold equities; "
                "use --calendar equity"
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


def common_end(prices: pd.DataFrame, start: pd.Timestamp) -> pd.Timestamp:
    """The last day on which every up-to-date ticker has a price.

    A series that ends within ``STALE_SESSIONS`` days of the newest is just not updated yet: the comparison
    stops there, so it never looks like a delisting. A series that ends long before is a delisting: the
    backtest sells it at its last close and goes on.
    """
    last = pd.to_datetime(prices.apply(pd.Series.last_valid_index)).dropna()
    if last.empty or last.max() < start:
        newest = f"the cache ends {last.max().date()}" if len(last) else "the cache ends before it"
        raise DataError(f"no cached prices from {start.date()} on ({newest}); pick an earlier --start")
    cutoff = prices.index[max(0, prices.index.get_loc(last.max()) - STALE_SESSIONS)]
    return last[last >= max(cutoff, start)].min()


def check_benchmark(result: BacktestResult, benchmark: str) -> None:
    """The benchmark must be one of this run's strategies (e.g. the shipped ``spy`` buy-and-hold)."""
    if benchmark in result.returns.columns:
        return
    if benchmark in result.failures:
        error = result.failures[benchmark]
        raise ConfigError(
            f"benchmark {benchmark!r} failed to run ({error}); fix it or pick another with --benchmark"
        )
    known = ", ".join(result.returns.columns) or "none"
    raise ConfigError(
        f"unknown benchmark {benchmark!r}: not a strategy in this run (ran: {known}); "
        "pass one of them with --benchmark"
    )


def write_csvs(result: BacktestResult, out_dir: str | Path, benchmark: str = "spy") -> pd.DataFrame:
    """Write ``returns.csv`` (date x strategy daily returns) and ``metrics.csv`` (one row per strategy)
    atomically into an existing folder; returns the metrics table."""
    from infrabt.data.files import write_csv
    from infrabt.engine.metrics import summary

    check_benchmark(result, benchmark)
    out = Path(out_dir)
    metrics = summary(result.returns, result.returns[benchmark], result.periods_per_year)
    write_csv(out / "returns.csv", result.returns)
    write_csv(out / "metrics.csv", metrics)
    return metrics
