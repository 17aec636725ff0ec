"""The composable step every strategy is built from: a weighting, a schedule or an overlay."""

import dataclasses
from typing import Any, ClassVar

from infrabt.data.errors import StrategyError
from infrabt.strategies.windows import Lookback, history_days, span_days


class Block:
    """A composable step (weighting, schedule, overlay): a frozen dataclass naming its sweepable fields.

    ``PARAMS`` lists the fields a sweep may vary; ``Strategy.params`` collects them from all blocks.
    ``LIMITS`` bounds numeric fields (inclusive), checked on creation, so a sweep's ``with_params`` is too; a
    ``lookback`` may also be a duration ("200D", ``strategies.windows``), bounded in calendar days.
    """

    PARAMS: ClassVar[tuple[str, ...]] = ()
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {}
    # history the block needs before its first decision: sessions, or a duration (engine loads a warm-up)
    lookback: Lookback = 0
    batched: ClassVar[bool] = False  # a sweep may compute it once for every variant sharing its parameters

    def batchable(self) -> bool:
        """Whether a sweep may take the batched path (``strategies.batch``). Only a class that declares
        ``batched = True`` itself: a user's subclass that changes how a block computes must say so again."""
        return bool(vars(type(self)).get("batched", False))

    def __post_init__(self) -> None:
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if name == "lookback" and isinstance(value, str):
                value = span_days(value)  # a bad duration raises here, named
            elif name == "lookback" and isinstance(value, float):  # sessions: 20.0 is 20, 10.5 is none
                if not value.is_integer():
                    raise StrategyError(
                        f"{type(self).__name__}: lookback={value!r} is not a whole number of sessions; use "
                        'one (e.g. 20), or a duration in days (e.g. "30D")'
                    )
                object.__setattr__(self, name, int(value))
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                block = type(self).__name__
                bounds = f"[{low:g}, {high:g}]"
                raise StrategyError(f"{block}: {name}={value!r} is outside {bounds}; pick a value inside it")

    @property
    def warmup_days(self) -> int:
        """Calendar days of prices the block needs before its first decision."""
        return history_days(self.lookback)

    def params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.PARAMS}

    def with_params(self, **values: Any) -> "Block":
        """A copy with the block's own parameters among ``values`` changed; the block itself if there are none
        (it is frozen, so variants may share it: a grid over btc_share x rebalance builds no weighting)."""
        changed = {k: v for k, v in values.items() if k in self.PARAMS}
        return dataclasses.replace(self, **changed) if changed else self

    def tickers(self) -> tuple[str, ...]:
        """Tickers this block adds to the strategy's own: an overlay's fallback or reference series; a
        weighting's named assets (which must be among the strategy's assets: it sees only those)."""
        return ()

    def describe(self) -> str:
        return type(self).__name__
