"""The backtest core: strategies and a price panel in, a ``BacktestResult`` out. No I/O.

Conventions (the README states them too):
- Execution at the next close: a target row for day t is decided on closes up to t-1 and filled at the
  close of t. The first allocation fills at the close of the first backtest day: that day's return is 0
  (less costs).
- Staggered listings: weights go to assets live at the decision; a listing joins at the next trade date. An
  asset whose history ends inside the backtest is sold at its last close and the proceeds stay in cash.
- One calendar per run; ``periods_per_year`` comes with it (252 equity, 365 crypto).
"""

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from infrabt.data.calendar import periods_per_year
from infrabt.data.errors import DataError, StrategyError
from infrabt.engine.result import BacktestResult, Costs
from infrabt.engine.simulate import simulate


def backtest(
    strategies: Mapping[str, object] | Iterable[object],
    prices: pd.DataFrame,
    calendar: str = "equity",
    costs: Costs | None = None,
    start=None,
    end=None,
) -> BacktestResult:
    """Run every strategy on ``prices`` from ``start`` to ``end`` in one simulation.

    ``prices`` is the panel of ``infrabt.data.prices.load_prices`` on ``calendar``, including a warm-up before
    ``start`` (so lookbacks are filled on the first day). A strategy that raises is recorded in ``failures``
    and the others still run.
    """
    costs = costs or Costs()
    by_id = dict(strategies) if isinstance(strategies, Mapping) else {s.id: s for s in strategies}
    days = backtest_days(prices, start, end)
    history = prices.loc[: days[-1]]
    orders, failures = {}, {}
    for sid, strategy in by_id.items():
        try:
            orders[sid] = build_orders(strategy, history, days)
        except Exception as exc:  # a user's strategy may fail any way; the others still run
            failures[sid] = f"{type(exc).__name__}: {exc}" if not isinstance(exc, StrategyError) else str(exc)
    if not orders:
        raise StrategyError("no strategy could run: " + "; ".join(f"{k}: {v}" for k, v in failures.items()))
    portfolio = simulate(prices.loc[days], orders, costs)
    return collect(portfolio, by_id, orders, failures, prices.loc[days], calendar, costs)


def backtest_days(prices: pd.DataFrame, start=None, end=None) -> pd.DatetimeIndex:
    """The panel's days from ``start`` to ``end``; a range without a single price is an error."""
    days = prices.index
    if start is not None:
        days = days[days >= pd.Timestamp(start)]
    if end is not None:
        days = days[days <= pd.Timestamp(end)]
    priced = prices.loc[days].notna().any(axis=1)
    if len(days) < 2 or priced.sum() < 2:
        first = pd.Timestamp(start).date() if start else "start"
        last = pd.Timestamp(end).date() if end else "end"
        raise DataError(
            f"fewer than two days with prices between {first} and {last}; "
            "pick dates inside the cached history"
        )
    # A start before any data would add years of zero returns to every metric: begin at the first price.
    return days[days >= priced.idxmax()]


def build_orders(strategy, prices: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """One strategy's orders on ``days``: its checked target weights, plus sales of assets that stop trading.

    ``prices`` may start before ``days`` (warm-up). Returns target weights on trade dates; NaN = no order.
    """
    tickers = list(strategy.tickers)
    targets = strategy.target_weights(prices[tickers], start=days[0])
    earlier = targets.loc[targets.index < days[0]]
    targets = targets.loc[(targets.index >= days[0]) & (targets.index <= days[-1])]
    if len(earlier) and (targets.empty or targets.index[0] != days[0]):
        # Strategy.target_weights never decides before ``start``; a user's override may (it can ignore
        # ``start``). Then the first allocation trades on the first day: the latest decision made before it.
        targets = pd.concat([earlier.iloc[[-1]].set_axis([days[0]]), targets])
    if targets.empty:
        raise StrategyError(f"{strategy.id}: none of {', '.join(tickers)} has a price in the backtest range")
    check_targets(strategy, targets)
    trading = prices.loc[days, tickers].notna()
    # No price on a trade date, no order: before a listing or after the final sale the position is zero.
    targets = targets.where(trading.loc[targets.index])
    return with_final_sales(targets, trading)


def check_targets(strategy, targets: pd.DataFrame) -> None:
    """Refuse weights that would silently run as 0% invested (all NaN, or tickers the strategy does not
    hold), negative weights and rows above 100% unless the strategy declares leverage."""
    foreign = [str(c) for c in targets.columns if c not in strategy.tickers]
    if foreign:
        raise StrategyError(
            f"{strategy.id}: target weights name {', '.join(foreign)}, which it does not hold (its tickers: "
            f"{', '.join(strategy.tickers)}); add them to its assets"
        )
    if targets.isna().all().all():
        raise StrategyError(
            f"{strategy.id}: every target weight is NaN, which would run as 0% invested; return numbers "
            f"(0 for no position)"
        )
    if getattr(strategy, "leverage", False):
        return
    if (targets < -1e-12).any().any():
        day, ticker = targets.stack().idxmin()
        where = f"{ticker} on {day.date()}"
        raise StrategyError(f"{strategy.id}: negative weight for {where}; declare leverage=True if intended")
    totals = targets.sum(axis=1)
    if (totals > 1 + 1e-9).any():
        day = totals.idxmax()
        raise StrategyError(
            f"{strategy.id}: weights sum to {totals.max():.4g} on {day.date()} (> 1); declare leverage=True"
        )


def with_final_sales(targets: pd.DataFrame, trading: pd.DataFrame) -> pd.DataFrame:
    """Sell each asset at its last close when its history ends before the backtest does (proceeds: cash)."""
    last_day = trading.index[-1]
    orders = targets
    for ticker in trading.columns:
        final = trading[ticker][trading[ticker]].index.max()
        if pd.notna(final) and final < last_day:
            if final not in orders.index:
                orders = pd.concat([orders, pd.DataFrame({ticker: [0.0]}, index=[final])]).sort_index()
            orders.loc[final, ticker] = 0.0
    return orders[targets.columns]


def collect(
    portfolio, by_id: dict, orders: dict, failures: dict, prices: pd.DataFrame, calendar: str, costs: Costs
) -> BacktestResult:
    """Turn the vectorbt portfolio into plain pandas objects (reports never need vectorbt)."""
    equity = portfolio.value().rename_axis(columns="strategy")
    held = portfolio.asset_value(group_by=False)
    trades = trade_table(portfolio)
    traded = trades.assign(value=trades["value"].abs()).pivot_table(
        index="date", columns="strategy", values="value", aggfunc="sum"
    )
    turnover = (traded.reindex(index=equity.index, columns=equity.columns).fillna(0.0) / equity).fillna(0.0)
    ran = list(orders)
    return BacktestResult(
        returns=portfolio.returns().rename_axis(columns="strategy")[ran],
        equity=equity[ran],
        weights={sid: held[sid].div(equity[sid], axis=0) for sid in ran},
        trades=trades,
        turnover=turnover[ran],
        fees=trades.groupby("strategy")["fees"].sum().reindex(ran, fill_value=0.0),
        membership={sid: prices[list(by_id[sid].tickers)].notna() for sid in ran},
        prices=prices,
        calendar=calendar,
        periods_per_year=periods_per_year(calendar),
        costs=costs,
        strategies={sid: by_id[sid] for sid in ran},
        failures=failures,
    )


def trade_table(portfolio) -> pd.DataFrame:
    """One row per fill: date, strategy, ticker, size (negative = sell), price (slipped), value, fees."""
    records = portfolio.orders.values
    columns = portfolio.wrapper.columns
    sign = np.where(records["side"] == 1, -1.0, 1.0)  # vectorbt OrderSide: 0 = buy, 1 = sell
    size = records["size"] * sign
    return pd.DataFrame(
        {
            "date": portfolio.wrapper.index[records["idx"]],
            "strategy": columns.get_level_values(0)[records["col"]],
            "ticker": columns.get_level_values(1)[records["col"]],
            "size": size,
            "price": records["price"],
            "value": size * records["price"],
            "fees": records["fees"],
        }
    )
