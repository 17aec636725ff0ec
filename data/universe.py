"""The universe: every ticker a strategy may name, with its group and trading calendar."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from infrabt.data.errors import ConfigError, UnknownTickerError
from infrabt.data.paths import UNIVERSE_FILE

GROUPS = ("benchmark", "crypto", "miners", "gpu_datacenter", "tokenization")
ASSET_CLASSES = ("crypto", "equity", "etf")


@dataclass(frozen=True)
class Ticker:
    symbol: str
    group: str
    name: str
    asset_class: str
    note: str = ""

    @property
    def trades_weekends(self) -> bool:
        """Crypto trades every UTC calendar day; equities and ETFs only on NYSE sessions."""
        return self.asset_class == "crypto"


@cache
def load_universe(path: Path = UNIVERSE_FILE) -> dict[str, Ticker]:
    """Read ``universe.toml`` into ``{symbol: Ticker}``, checking groups and asset classes."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the universe file {path}: {exc}") from exc
    universe = {}
    for symbol, fields in raw.get("tickers", {}).items():
        ticker = Ticker(symbol=symbol, **fields)
        if ticker.group not in GROUPS:
            raise ConfigError(f"{path}: {symbol} has group {ticker.group!r}; use one of {', '.join(GROUPS)}")
        if ticker.asset_class not in ASSET_CLASSES:
            classes = ", ".join(ASSET_CLASSES)
            bad = ticker.asset_class
            raise ConfigError(f"{path}: {symbol} has asset_class {bad!r}; use one of {classes}")
        universe[symbol] = ticker
    return universe


def ticker(symbol: str) -> Ticker:
    """Look one ticker up; an unknown one raises with the list of known ones."""
    universe = load_universe()
    try:
        return universe[symbol]
    except KeyError:
        raise UnknownTickerError(
            f"unknown ticker {symbol!r}: not in {UNIVERSE_FILE.name}. Known: {', '.join(universe)}. "
            f"Add it to {UNIVERSE_FILE} to use it."
        ) from None


def group(name: str) -> tuple[str, ...]:
    """Tickers of one group, in universe order."""
    if name not in GROUPS:
        raise UnknownTickerError(f"unknown group {name!r}; use one of {', '.join(GROUPS)}")
    return tuple(t.symbol for t in load_universe().values() if t.group == name)


def resolve(names: "list[str] | tuple[str, ...]") -> tuple[str, ...]:
    """Expand group names to their tickers and check every ticker exists; order kept, duplicates dropped."""
    out: list[str] = []
    for name in names:
        symbols = group(name) if name in GROUPS else (ticker(name).symbol,)
        out.extend(s for s in symbols if s not in out)
    return tuple(out)
