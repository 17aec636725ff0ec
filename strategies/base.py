"""What a strategy is: a declaration (assets, weighting, rebalance, overlays) that yields target weights.

The one timing convention lives here, in ``Strategy.target_weights``: every building block sees ``known``,
the price panel shifted by one day, so the row for trade date t holds closes up to t-1. A block therefore
cannot look ahead, and the engine fills the resulting orders at the close of t (execution at the next close).
"""

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from infrabt.data.calendar import CALENDARS
from infrabt.data.errors import ConfigError, StrategyError
from infrabt.data.universe import resolve, ticker
from infrabt.strategies.block import Block
from infrabt.strategies.schedules import schedule
from infrabt.strategies.windows import history_days

BTC = "BTC-USD"


@dataclass(frozen=True)
class Strategy:
    """A named allocation rule. Its only output is ``target_weights``; it never touches vectorbt.

    id:        short name used on the command line and in reports.
    thesis:    one paragraph (first line = the one-line summary); shipped modules pass their docstring.
    assets:    tickers or universe group names; may be empty when the weighting names them (Fixed, Blend).
    weighting: how the invested part is split among the live assets (``strategies.weighting``).
    rebalance: a schedule name (daily, weekly, monthly, quarterly, yearly) or a schedule (e.g. ``DriftBand``).
    overlays:  signal steps applied after the weighting (trend filter, correlation switch).
    btc_share: fraction of the portfolio held in BTC-USD beside the rule; the rule is scaled by 1 - btc_share.
    calendar:  "equity" (default, 252 days/yr) or "crypto" (7-day, 365/yr; only when every asset is crypto).
    leverage:  allow negative weights (shorts) and rows above 1; otherwise they are refused. vectorbt lends no
               cash: buys beyond the cash available (after shorts) are cut to it.
    """

    id: str
    thesis: str
    weighting: Block
    assets: tuple[str, ...] = ()
    rebalance: Any = "monthly"
    overlays: tuple[Block, ...] = ()
    btc_share: float = 0.0
    calendar: str = "equity"
    leverage: bool = False
    tickers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        set_field = object.__setattr__.__get__(self)
        set_field("thesis", inspect.cleandoc(self.thesis or ""))
        set_field("assets", tuple([self.assets] if isinstance(self.assets, str) else self.assets))
        set_field("overlays", tuple(self.overlays))
        set_field("rebalance", schedule(self.rebalance))
        if not self.id or not self.id.replace("_", "").isalnum():
            raise StrategyError(f"strategy id {self.id!r} must be letters, digits and underscores")
        if not 0.0 <= self.btc_share <= 1.0:
            raise StrategyError(f"{self.id}: btc_share {self.btc_share} must be between 0 and 1")
        own = resolve(self.assets or self.weighting.tickers())
        if not own:
            raise StrategyError(f"{self.id}: no assets; name tickers or groups in assets=(...)")
        left_out = [t for t in resolve(self.weighting.tickers()) if t not in own]
        if left_out:  # the weighting would never see them: their share would sit in cash, silently
            raise StrategyError(
                f"{self.id}: the weighting names {', '.join(left_out)}, which assets=(...) leaves out; "
                "add them to assets, or leave assets empty to take the weighting's"
            )
        extra = [t for block in (*self.overlays, self.weighting) for t in block.tickers()]
        set_field("assets", self.assets or self.weighting.tickers())
        set_field("tickers", resolve([*own, *extra, *([BTC] if self.btc_share else [])]))
        if not self.leverage:
            for name in ("weights", "shares"):  # Fixed and Blend declare their weights up front
                check_weights(getattr(self.weighting, name, None) or {}, self.id)
        if self.calendar not in CALENDARS:
            raise StrategyError(f"{self.id}: unknown calendar {self.calendar!r}; use one of {CALENDARS}")
        if self.calendar == "crypto" and not self.crypto_only:
            raise StrategyError(
                f"{self.id}: the crypto calendar is for crypto-only strategies; use calendar='equity'"
            )

    @property
    def summary(self) -> str:
        """The thesis's first paragraph on one line, for tables."""
        return " ".join(self.thesis.split("\n\n")[0].split())

    @property
    def crypto_only(self) -> bool:
        return all(ticker(t).trades_weekends for t in self.tickers)

    @property
    def held_whole(self) -> str | None:
        """The one ticker a buy-and-hold strategy holds (pure_btc: BTC-USD), else None: one asset, no overlay
        moving it to cash (btc_trend holds BTC-USD alone too, but not always), no BTC share beside it."""
        single = len(self.tickers) == 1 and not self.overlays and not self.btc_share
        return self.tickers[0] if single else None

    @property
    def lookback(self) -> "int | str":
        """The longest lookback of any block (sessions, or a duration such as "200D")."""
        return max((block.lookback for block in self._blocks()), key=history_days)

    @property
    def warmup_days(self) -> int:
        """Calendar days of prices to load before the start so every lookback is full on the first day."""
        return max(block.warmup_days for block in self._blocks())

    @property
    def rule(self) -> str:
        """A one-line description: weighting, overlays, BTC carve-out and rebalance."""
        parts = [self.weighting.describe(), *(o.describe() for o in self.overlays)]
        if self.btc_share:
            parts.append(f"{self.btc_share:.0%} BTC beside")
        return ", ".join([*parts, self.rebalance.describe()])

    @property
    def params(self) -> dict[str, Any]:
        """The values a sweep may vary (``with_params``), gathered from the strategy and its blocks."""
        values: dict[str, Any] = {"rebalance": self.rebalance.name, "btc_share": self.btc_share}
        for block in self._blocks():
            values.update({k: v for k, v in block.params().items() if k not in values})
        return values

    def with_params(self, **values: Any) -> "Strategy":
        """A copy with some parameters changed; an undeclared one raises ``ConfigError``.

        ``rebalance`` takes a schedule name or object; switching to ``"drift"`` also accepts ``tolerance``.
        """
        rebalance = schedule(values.get("rebalance", self.rebalance)).with_params(**values)
        unknown = sorted(set(values) - set(self.params) - set(rebalance.params()))
        if unknown == ["tolerance"]:  # a drift band's, given with another schedule (a grid mixing both)
            raise ConfigError(
                f'strategy {self.id!r}: tolerance applies only with rebalance = "drift", not '
                f"{rebalance.describe()!r}; sweep the drift band's tolerances in a spec of their own"
            )
        if unknown:
            raise ConfigError(
                f"strategy {self.id!r} has no parameter {', '.join(unknown)}; "
                f"declared: {', '.join(self.params)}"
            )
        # assets taken from the weighting (Fixed, Blend) follow the new one: new weights, new tickers
        derived = self.assets == self.weighting.tickers()
        return dataclasses.replace(
            self,
            assets=() if derived else self.assets,
            weighting=self.weighting.with_params(**values),
            overlays=tuple(o.with_params(**values) for o in self.overlays),
            rebalance=rebalance,
            btc_share=values.get("btc_share", self.btc_share),
        )

    def target_weights(self, prices: pd.DataFrame, start: Any = None) -> pd.DataFrame:
        """Target weights on trade dates: index ⊆ ``prices.index``, columns = ``tickers``, rows sum to <= 1.

        The row for trade date t uses closes up to t-1 only. Trade dates are the rebalance schedule's days
        from ``start`` on, plus the first allocation: the first day >= ``start`` on which an asset has a
        known price. Pass ``prices`` with a warm-up before ``start`` so lookbacks are filled on that day.
        """
        missing = [t for t in self.tickers if t not in prices.columns]
        if missing:
            raise StrategyError(f"{self.id}: no prices for {', '.join(missing)}")
        known = known_closes(prices[list(self.tickers)])
        base = resolve(self.assets)
        weights = self.weighting(known[list(base)]).reindex(columns=list(self.tickers), fill_value=0.0)
        for overlay in self.overlays:
            weights = overlay(weights, known)
        if self.btc_share:
            weights = with_btc_share(weights, known, self.btc_share)
        weights = weights.fillna(0.0)
        first = first_allocation_day(known, start)
        if first is None:
            return weights.iloc[:0]
        trade_days = self.rebalance.trade_days(weights, known, first)
        trade_days = trade_days[trade_days >= first].union(pd.DatetimeIndex([first]))
        return weights.loc[trade_days]

    def _blocks(self) -> list[Block]:
        return [self.weighting, *self.overlays, self.rebalance]


def decides_by_blocks(strategy: Strategy) -> bool:
    """Its weights are ``Strategy.target_weights`` of its blocks, not a subclass's own ``target_weights``
    (which may decide anything, on any day)."""
    return type(strategy).target_weights is Strategy.target_weights


def known_closes(prices: pd.DataFrame) -> pd.DataFrame:
    """What a decision on day t may see: closes up to t-1. An asset whose history ended (no price on t) is
    not live on t: it cannot be traded."""
    return prices.shift(1).mask(prices.isna() & prices.ffill().notna())


def first_allocation_day(known: pd.DataFrame, start: Any = None) -> pd.Timestamp | None:
    """The first day >= ``start`` on which some asset has a known (previous-close) price."""
    index = known.index if start is None else known.index[known.index >= pd.Timestamp(start)]
    alive = known.loc[index].notna().any(axis=1)
    return alive.idxmax() if alive.any() else None


def with_btc_share(weights: pd.DataFrame, known: pd.DataFrame, share: float) -> pd.DataFrame:
    """Scale the rule by ``1 - share`` and hold ``share`` in BTC-USD (cash while BTC has no price)."""
    scaled = weights * (1.0 - share)
    scaled[BTC] = scaled[BTC] + share * known[BTC].notna()
    return scaled


def live(known: pd.DataFrame) -> pd.DataFrame:
    """Which assets had a price at the previous close: the only ones a decision may allocate to."""
    return known.notna()


def check_weights(mapping: Mapping[str, float], what: str) -> None:
    """Refuse negative weights and totals above 1 at definition time."""
    negative = [k for k, v in mapping.items() if v < 0]
    if negative:
        raise StrategyError(f"{what}: negative weight for {', '.join(negative)}")
    total = sum(mapping.values())
    if total > 1 + 1e-9:
        raise StrategyError(f"{what}: weights sum to {total:g} > 1; declare leverage=True if intended")
