"""What a backtest returns: plain pandas objects, so reports and tests never need vectorbt."""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from infrabt.data.errors import ConfigError


def check_cost(what: str, value) -> float:
    """A fee or slippage rate is a fraction of traded value in [0, 1); ``what`` names where it came from."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 <= value < 1:
        rule = "must be a fraction of traded value in [0, 1), e.g. 0.001 for 10 bps"
        raise ConfigError(f"{what} {format(value, 'g') if number else repr(value)} {rule}")
    return float(value)


def growth_of_one(equity: pd.DataFrame) -> pd.DataFrame:
    """Each column divided by its first value: every strategy starts at 1, whatever its capital."""
    return equity.div(equity.apply(lambda s: s.dropna().iloc[0] if s.notna().any() else 1.0))


@dataclass(frozen=True)
class Costs:
    """Trading costs and starting capital, applied to every order.

    ``fees`` and ``slippage`` are fractions of traded value (0.001 = 10 bps): fees are paid in cash,
    slippage moves the fill price against the trade.
    """

    fees: float = 0.001
    slippage: float = 0.001
    init_cash: float = 100_000.0


PERCENT_METRICS = ("cagr", "volatility", "max_drawdown")


@dataclass(frozen=True)
class BacktestResult:
    """Daily results for a set of strategies, all on one calendar.

    returns:     dates x strategy id, simple daily returns of the whole portfolio (the first day is 0).
    equity:      dates x strategy id, portfolio value in currency (starts at ``costs.init_cash``).
    weights:     strategy id -> dates x tickers, weights held at each close after trading
                 (cash = 1 - row sum).
    trades:      one row per fill: date, strategy, ticker, size, price, value, fees.
    turnover:    dates x strategy id, traded value / portfolio value that day.
    fees:        strategy id -> total fees paid (currency).
    membership:  strategy id -> dates x tickers bool, which assets were live (had a price) each day.
    prices:      dates x tickers adjusted closes used (incl. every ticker any strategy named).
    calendar:    "equity" (NYSE sessions, 252/yr) or "crypto" (every day, 365/yr).
    periods_per_year: the annualization factor that belongs to ``calendar``.
    strategies:  strategy id -> the Strategy object (descriptions, parameters).
    failures:    strategy id -> error message, for strategies that could not be run (others still are).
    benchmark:   the strategy id the others are compared against (beta, correlation, the report).
    notes:       what a reader must know about the data range: a stale series that set the end date, an
                 ``end`` past a ticker's last price. Printed by the CLI, kept in run.json, shown on the page.
    from_cache:  whether ``prices`` came from the price cache (``engine.run``): only then may the reports
                 add other cached tickers (the thesis's assets) beside them; prices of your own are never
                 mixed with the cache's.

    In a notebook: ``result.metrics()`` is the table of metrics.csv, ``result.plot()`` the growth of 1, and
    the result itself displays as a summary.
    """

    returns: pd.DataFrame
    equity: pd.DataFrame
    weights: dict[str, pd.DataFrame]
    trades: pd.DataFrame
    turnover: pd.DataFrame
    fees: pd.Series
    membership: dict[str, pd.DataFrame]
    prices: pd.DataFrame
    calendar: str
    periods_per_year: int
    costs: Costs
    strategies: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    benchmark: str = "spy"
    notes: tuple[str, ...] = ()
    from_cache: bool = False

    @property
    def start(self) -> pd.Timestamp:
        return self.returns.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.returns.index[-1]

    def metrics(self, benchmark: str | None = None, *, intervals: bool = True) -> pd.DataFrame:
        """One row per strategy: CAGR, volatility, Sharpe, Sortino, max drawdown, Calmar, and beta and
        correlation against ``benchmark`` (default: the run's); with ``intervals``, stationary-bootstrap 95%
        intervals for CAGR, Sharpe and max drawdown (``*_ci_low``, ``*_ci_high``): the table ``metrics.csv``
        holds."""
        from infrabt.engine.bootstrap import metric_intervals
        from infrabt.engine.metrics import summary

        benchmark = benchmark or self.benchmark
        self.check_benchmark(benchmark)
        table = summary(self.returns, self.returns[benchmark], self.periods_per_year)
        return table.join(metric_intervals(self.returns, self.periods_per_year)) if intervals else table

    def check_benchmark(self, benchmark: str) -> None:
        """The benchmark must be one of this run's strategies (e.g. the shipped ``spy`` buy-and-hold); a
        benchmark that failed says why, so the user fixes it rather than looks for a typo."""
        if benchmark in self.returns.columns:
            return
        if benchmark in self.failures:
            raise ConfigError(
                f"benchmark {benchmark!r} failed to run ({self.failures[benchmark]}); "
                "fix it or pick another with --benchmark"
            )
        ran = ", ".join(self.returns.columns) or "none"
        raise ConfigError(
            f"unknown benchmark {benchmark!r}: not a strategy in this run (ran: {ran}); "
            "pass one of them with --benchmark"
        )

    def growth(self) -> pd.DataFrame:
        """Growth of 1 per strategy."""
        return growth_of_one(self.equity)

    def plot(self):
        """The growth of 1 of every strategy on a log scale (a plotly figure; ``.show()`` it)."""
        import plotly.express as px

        labels = {"value": "growth of 1", "variable": "strategy"}
        figure = px.line(self.growth(), log_y=True, labels=labels)
        title = f"{self.start.date()} to {self.end.date()} ({self.calendar} calendar)"
        return figure.update_layout(title=title)

    def _repr_html_(self) -> str:
        """A notebook's view: what ran, on which days, and the metrics table."""
        from html import escape

        table = (
            self.metrics(intervals=False)
            .style.format("{:.2f}")
            .format("{:.1%}", subset=list(PERCENT_METRICS))
            .format_index(escape="html")  # strategy ids come from users' modules
        )
        head, *lines = self._summary_lines()
        title = escape(head.removeprefix("BacktestResult: "))
        rest = "".join(f"<p>{escape(line)}</p>" for line in lines)
        return f"<p><b>BacktestResult</b>: {title}</p>{rest}{table.to_html()}"

    def __repr__(self) -> str:
        """A prompt's view, as a notebook's in text (the generated repr printed every frame: ~2,750
        characters of numbers)."""
        table = self.metrics(intervals=False).rename_axis(None)  # no line for the index's name
        percent = {c: "{:.1%}".format for c in PERCENT_METRICS}
        text = table.to_string(formatters=percent, float_format="{:.2f}".format)
        return "\n".join([*self._summary_lines(), text])

    def _summary_lines(self) -> list[str]:
        return [
            f"BacktestResult: {len(self.returns.columns)} strategies, {self.start.date()} to "
            f"{self.end.date()} ({len(self.returns)} {self.calendar} days), benchmark {self.benchmark}",
            *(f"note: {note}" for note in self.notes),
            *(f"failed: {sid}: {error}" for sid, error in self.failures.items()),
        ]
