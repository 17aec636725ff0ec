"""What a sweep asks for: a base strategy and a grid of its parameters, or a random sample of fixed weights.

A spec is a TOML file or the same fields from Python (``SweepSpec(...)``)::

    name = "btc_share_x_rebalance"
    strategy = "infra_thesis"          # base strategy id (strategies/)
    start = "2018-01-01"               # optional: end, fees, slippage, init_cash
    [grid]                             # every declared parameter may be listed ...
    btc_share = { start = 0.0, stop = 1.0, step = 0.05 }   # a range includes its stop
    rebalance = ["monthly", "quarterly", "yearly"]         # ... or a list; variants = the product

    [random]                           # or, instead of strategy + grid: Dirichlet weight vectors
    assets = ["miners", "gpu_datacenter", "tokenization"]
    count = 10000
    seed = 7
    rebalance = "monthly"

``fees`` and ``slippage`` may also be grid keys (costs are sweepable). Expansion is lazy where it matters: the
variant count is known, and checked against the ten-million guard, before anything is built.
"""

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infrabt.data.calendar import parse_date
from infrabt.data.errors import ConfigError
from infrabt.data.universe import closest_names
from infrabt.engine.result import Costs, check_cost
from infrabt.engine.sweeps.bounds import range_count

MAX_VARIANTS_WITHOUT_YES = 10_000_000
COST_PARAMS = ("fees", "slippage")
RANDOM_ID = "random_weights"
WEIGHT_PREFIX = "w_"
_SPEC_KEYS = {"name", "strategy", "grid", "random", "start", "end", "fees", "slippage", "init_cash"}
_RANDOM_KEYS = {"assets", "count", "seed", "rebalance", "alpha"}


@dataclass(frozen=True)
class RandomSpec:
    """``count`` weight vectors drawn from a Dirichlet(``alpha``) over ``assets`` (tickers or groups), fixed
    weights rebalanced on ``rebalance``; the draw is reproducible from ``seed``."""

    assets: tuple[str, ...]
    count: int
    seed: int = 0
    rebalance: str = "monthly"
    alpha: float = 1.0


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: the base strategy id and a grid (name -> list of values), or a ``RandomSpec``."""

    name: str
    strategy: str | None = None
    grid: dict[str, list] = field(default_factory=dict)
    random: RandomSpec | None = None
    start: str | None = "2018-01-01"
    end: str | None = None
    costs: Costs = field(default_factory=Costs)

    def __post_init__(self) -> None:
        if (self.strategy is None) == (self.random is None):
            raise ConfigError(
                f"sweep {self.name!r}: give either strategy = '<id>' with a [grid], or a [random] table, not "
                f"{'both' if self.strategy else 'neither'}"
            )
        if self.strategy is not None and not self.grid:
            raise ConfigError(
                f"sweep {self.name!r}: the [grid] is empty; list values for at least one parameter"
            )
        for key, values in self.grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"sweep {self.name!r}: grid {key!r} has no values; give a list or a range")
            if key in COST_PARAMS:
                for value in values:
                    check_cost(f"sweep {self.name!r}: grid {key!r} =", value)
        for key in COST_PARAMS:
            check_cost(f"sweep {self.name!r}: {key} =", getattr(self.costs, key))
        cash = self.costs.init_cash
        if not isinstance(cash, (int, float)) or not math.isfinite(cash) or cash <= 0:
            raise ConfigError(
                f"sweep {self.name!r}: init_cash = {cash!r} must be a positive amount, e.g. 10000"
            )
        if self.random is not None:
            _check_random(self.name, self.random)
        start = _check_date(self.name, "start", self.start)
        end = _check_date(self.name, "end", self.end)
        if start is not None and end is not None and end <= start:
            raise ConfigError(
                f"sweep {self.name!r}: end {end.date()} is not after start {start.date()}; "
                "swap or fix the dates"
            )

    @property
    def n_variants(self) -> int:
        """How many variants, without expanding them."""
        if self.random is not None:
            return self.random.count
        return math.prod(len(values) for values in self.grid.values())

    @property
    def strategy_params(self) -> list[str]:
        """Grid keys the strategy must declare (costs are the sweep's own)."""
        return [key for key in self.grid if key not in COST_PARAMS]

    def fingerprint(self) -> str:
        """A stable hash of everything that decides the results (resumable parts are keyed by it)."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def check_size(spec: SweepSpec, yes: bool = False) -> None:
    """Refuse a sweep of more than ten million variants unless the user says ``--yes``."""
    if spec.n_variants > MAX_VARIANTS_WITHOUT_YES and not yes:
        raise ConfigError(
            f"sweep {spec.name!r} has {spec.n_variants:,} variants (> {MAX_VARIANTS_WITHOUT_YES:,}); "
            "narrow the grid, or pass --yes to run it anyway"
        )


def load_spec(path: "str | Path") -> SweepSpec:
    """Read a sweep spec from TOML; errors name the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8-sig"))  # -sig: an editor's byte-order mark
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the sweep spec {path}: {exc.strerror or exc}; check the path"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; fix the TOML syntax there") from None
    return spec_from_dict(raw, default_name=path.stem, where=str(path))


def check_keys(table: dict, allowed: set[str], where: str) -> None:
    """Every unknown key at once, each with the allowed keys it is closest to (``fess`` -> ``fees``)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        hints = {key: " or ".join(map(repr, closest_names(key, allowed))) for key in unknown}
        named = [f"{key!r} (did you mean {hint}?)" if hint else repr(key) for key, hint in hints.items()]
        keys = "key" if len(unknown) == 1 else "keys"
        raise ConfigError(f"{where}: unknown {keys} {', '.join(named)}; use {', '.join(sorted(allowed))}")


def spec_from_dict(raw: dict[str, Any], default_name: str = "sweep", where: str = "sweep spec") -> SweepSpec:
    """The same fields as the TOML file, from Python (a dict)."""
    check_keys(raw, _SPEC_KEYS, where)
    raw_grid = raw.get("grid") or {}
    if not isinstance(raw_grid, dict):
        raise ConfigError(
            f"{where}: grid must be a table, [grid] with name = [values] lines, not {raw_grid!r}"
        )
    grid = {key: expand_values(key, value, where) for key, value in raw_grid.items()}
    random = None
    if "random" in raw:
        table = raw["random"]
        if not isinstance(table, dict):
            raise ConfigError(
                f"{where}: random must be a table, [random] with assets = [...] and count = N, not {table!r}"
            )
        check_keys(table, _RANDOM_KEYS, f"{where}: [random]")
        if "assets" not in table or "count" not in table:
            raise ConfigError(f"{where}: [random] needs assets = [...] and count = N")
        assets = table["assets"]
        if not isinstance(assets, list) or not all(isinstance(a, str) for a in assets):
            raise ConfigError(
                f"{where}: [random] assets = {assets!r} must be a list of tickers or groups, "
                'e.g. assets = ["miners"]'
            )
        random = RandomSpec(
            assets=tuple(assets),
            count=_whole(where, "[random] count", table["count"]),
            seed=_whole(where, "[random] seed", table.get("seed", 0)),
            rebalance=str(table.get("rebalance", "monthly")),
            alpha=_number(where, "[random] alpha", table.get("alpha", 1.0)),
        )
    base = Costs()
    costs = Costs(
        fees=_number(where, "fees", raw.get("fees", base.fees)),
        slippage=_number(where, "slippage", raw.get("slippage", base.slippage)),
        init_cash=_number(where, "init_cash", raw.get("init_cash", base.init_cash)),
    )
    return SweepSpec(
        name=str(raw.get("name", default_name)),
        strategy=raw.get("strategy"),
        grid=grid,
        random=random,
        start=_date_text(raw.get("start", "2018-01-01")),
        end=_date_text(raw.get("end")),
        costs=costs,
    )


def expand_values(key: str, value: Any, where: str = "sweep spec") -> list:
    """A grid entry as a list: a list stays; ``{start, stop, step}`` becomes a range that includes
    ``stop``."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if set(value) != {"start", "stop", "step"}:
            raise ConfigError(f"{where}: grid {key!r} range needs exactly start, stop and step")
        start, stop, step = value["start"], value["stop"], value["step"]
        for name, number in (("start", start), ("stop", stop), ("step", step)):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ConfigError(
                    f"{where}: grid {key!r} range {name} = {number!r} is not a number; write it unquoted"
                )
        count = range_count(key, start, stop, step, where)  # before any value exists
        values = [start + i * step for i in range(count)]
        if all(isinstance(v, int) for v in (start, stop, step)):
            return [int(v) for v in values]
        return [round(v, 12) for v in values]  # 0.1 * 3 = 0.30000000000000004 would not read well
    return [value]


def grid_variants(spec: SweepSpec) -> pd.DataFrame:
    """One row per grid variant (the product of the value lists), columns = parameter names in the spec's
    order, index = variant id.

    Costs vary slowest (their keys lead the product): a chunk simulates one set of costs, so neighbouring rows
    must share them, or a grid with ``fees`` listed last would run one variant per chunk.
    """
    keys = [k for k in COST_PARAMS if k in spec.grid] + [k for k in spec.grid if k not in COST_PARAMS]
    rows = list(itertools.product(*(spec.grid[k] for k in keys)))
    frame = pd.DataFrame(rows, columns=keys, dtype=object)[list(spec.grid)]
    frame.index = variant_ids(len(frame))
    return frame


def random_weights(spec: RandomSpec, tickers: "list[str] | tuple[str, ...]") -> np.ndarray:
    """(count, tickers) Dirichlet draws; the same seed gives the same portfolios on any machine (numpy
    PCG64)."""
    rng = np.random.default_rng(spec.seed)
    return rng.dirichlet(np.full(len(tickers), spec.alpha), size=spec.count)


def variant_ids(count: int) -> pd.Index:
    width = max(6, len(str(count - 1)))
    return pd.Index([f"v{i:0{width}d}" for i in range(count)], name="variant")


def _date_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(where: str, key: str, value: Any) -> float:
    """A number from the spec; text such as "ten bps" is refused by name."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: {key} = {value!r} is not a finite number; write e.g. 0.001 (unquoted)")
    return float(value)


def _whole(where: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: {key} = {value!r} is not a whole number; write e.g. 1000 (unquoted)")
    return value


def _check_random(name: str, random: "RandomSpec") -> None:
    where = f"sweep {name!r}: [random]"
    if not isinstance(random.seed, int) or isinstance(random.seed, bool) or random.seed < 0:
        raise ConfigError(f"{where} seed = {random.seed!r} must be a whole number, 0 or more")
    if not isinstance(random.count, int) or isinstance(random.count, bool) or random.count < 1:
        raise ConfigError(f"{where} count = {random.count!r} must be a whole number, at least 1")
    if not isinstance(random.alpha, (int, float)) or not math.isfinite(random.alpha) or random.alpha <= 0:
        raise ConfigError(f"{where} alpha = {random.alpha!r} must be a positive number (1 = uniform weights)")
    if isinstance(random.assets, str) or not random.assets:
        raise ConfigError(f'{where} assets = {random.assets!r} must be a list, e.g. assets = ["miners"]')


def _check_date(name: str, key: str, value: Any) -> pd.Timestamp | None:
    """The spec's own start/end, checked before any data is loaded."""
    return None if value is None else parse_date(value, f"sweep {name!r}: {key} =")
