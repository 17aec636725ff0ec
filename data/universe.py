"""The universe: what infrabt knows about a ticker (group, name, asset class), for groups and labels.

The universe is open: any Yahoo symbol can be fetched, imported and held by a strategy. The universe files
only add metadata. They are layered, each later one merged over the earlier ones:

1. ``universe.toml`` shipped with infrabt;
2. ``infrabt.toml`` in the user's config folder (``platformdirs``);
3. ``infrabt.toml`` in the current directory;
4. the file named by ``--universe`` (``INFRABT_UNIVERSE``).

A user file has the shipped file's shape (``[tickers.SYMBOL]`` with ``group``, ``name``, ``asset_class``,
``note``, all optional) plus an optional ``[groups]`` table of ``name = ["SYM", ...]``. A ticker listed
nowhere gets its calendar from its data: rows on weekends mean it trades 7 days a week.
"""

import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

import pandas as pd

from infrabt.data.errors import ConfigError, InfrabtError, UnknownTickerError
from infrabt.data.paths import UNIVERSE_FILE, USER_UNIVERSE_NAME, config_dir

ASSET_CLASSES = ("crypto", "equity", "etf")
UNLISTED = "unlisted"
"""The group of a ticker that no universe file lists."""
SYMBOL = re.compile(r"^[A-Za-z0-9^=._-]{1,32}$")
"""What Yahoo symbols look like (``BTC-USD``, ``^GSPC``, ``CL=F``, ``BRK.B``); also a safe file name."""
_CRYPTO_PAIR = re.compile(r"-(USD|USDT|USDC|EUR|GBP|BTC|ETH)$")


@dataclass(frozen=True)
class Ticker:
    symbol: str
    group: str = UNLISTED
    name: str = ""
    asset_class: str | None = None
    """crypto, equity or etf; None: not declared, inferred from the data (see ``trades_weekends``)."""
    note: str = ""

    @property
    def trades_weekends(self) -> bool:
        """Crypto trades every UTC calendar day; equities and ETFs only on NYSE sessions."""
        if self.asset_class is not None:
            return self.asset_class == "crypto"
        return inferred_weekends(self.symbol)

    @property
    def label(self) -> str:
        return self.name or self.symbol


@dataclass(frozen=True)
class Universe:
    tickers: dict[str, Ticker]
    groups: dict[str, tuple[str, ...]]
    files: tuple[Path, ...]
    resolved: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    """``resolve``'s answers for this universe: a sweep resolves the same assets for every variant."""


def universe_files() -> list[Path]:
    """The universe files in force, shipped first, the user's after it (later ones win)."""
    candidates = [config_dir() / USER_UNIVERSE_NAME, Path.cwd() / USER_UNIVERSE_NAME]
    files = [UNIVERSE_FILE, *(p for p in candidates if p.is_file())]
    explicit = os.environ.get("INFRABT_UNIVERSE")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"universe file {path} (--universe) does not exist; give a TOML file")
        files.append(path)
    return list(dict.fromkeys(files))


_PINNED: ContextVar["Universe | None"] = ContextVar("pinned_universe", default=None)


@contextmanager
def pinned() -> Iterator[None]:
    """Inside, ``current()`` is the universe read on entry: a sweep builds thousands of variants, and checking
    the files for each would cost more than building them."""
    token = _PINNED.set(current())
    try:
        yield
    finally:
        _PINNED.reset(token)


def current() -> Universe:
    """The merged universe; re-read when a file in force changes (except inside ``pinned``)."""
    pinned_universe = _PINNED.get()
    if pinned_universe is not None:
        return pinned_universe
    files = universe_files()
    stamps = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    return _merge(stamps)


@cache
def _merge(stamps: tuple[tuple[str, int], ...]) -> Universe:
    entries: dict[str, dict] = {}
    extra_groups: dict[str, list[str]] = {}
    for name, _ in stamps:
        path = Path(name)
        raw = _read(path)
        unknown = sorted(set(raw) - {"tickers", "groups"})
        if unknown:
            raise ConfigError(
                f"{path}: unknown table(s) {', '.join(unknown)}; use [tickers.SYMBOL] and [groups]"
            )
        for symbol, values in _table(path, raw, "tickers").items():
            _check_entry(path, symbol, values)
            entries.setdefault(symbol, {}).update(values)
        for group_name, members in _table(path, raw, "groups").items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise ConfigError(
                    f"{path}: group {group_name} must be a list of symbols, "
                    f'e.g. {toml_key(group_name)} = ["SPY"]'
                )
            extra_groups.setdefault(group_name, []).extend(members)
    tickers = {symbol: Ticker(symbol=symbol, **values) for symbol, values in entries.items()}
    groups: dict[str, list[str]] = {}
    for ticker in tickers.values():
        groups.setdefault(ticker.group, []).append(ticker.symbol)
    for group_name, members in extra_groups.items():
        for member in members:
            if member not in tickers:
                files = ", ".join(n for n, _ in stamps)
                fix = f"add [tickers.{toml_key(member)}] with its group and asset_class, or fix the symbol"
                if member.upper() in tickers:  # [tickers.crwv] itself is refused: point at the listed one
                    fix = f"did you mean {member.upper()}? symbols are upper case"
                listed = f"which no universe file lists ({files})"
                raise ConfigError(f"group {group_name} names {member}, {listed}; {fix}")
        groups.setdefault(group_name, [])
        groups[group_name].extend(m for m in members if m not in groups[group_name])
    clash = sorted(set(groups) & set(tickers))
    if clash:
        raise ConfigError(f"{', '.join(clash)} is both a group and a ticker; rename the group")
    return Universe(tickers, {g: tuple(m) for g, m in groups.items()}, tuple(Path(n) for n, _ in stamps))


def toml_key(name: str) -> str:
    """``name`` as a TOML key a user can paste: bare when TOML allows it, else a quoted string."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"universe file {path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the universe file {path}: {exc}") from None


def _table(path: Path, raw: dict, name: str) -> dict:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table ([{name}...]), not {type(table).__name__}")
    return table


def _check_entry(path: Path, symbol: str, values) -> None:
    allowed = {f.name for f in fields(Ticker)} - {"symbol"}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: tickers.{symbol} must be a table, e.g. [tickers.{toml_key(symbol)}]")
    if not SYMBOL.match(symbol):
        raise ConfigError(f"{path}: {symbol!r} is not a ticker symbol; use letters, digits and . - ^ = _")
    if symbol != symbol.upper():  # else a second ticker beside the upper-case one, with its own cache file
        raise ConfigError(
            f"{path}: [tickers.{toml_key(symbol)}]: Yahoo's symbols are upper case; write "
            f"[tickers.{toml_key(symbol.upper())}]"
        )
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: tickers.{symbol} has unknown key(s) {', '.join(unknown)}; use {sorted(allowed)}"
        )
    for key, value in values.items():
        if not isinstance(value, str):
            raise ConfigError(f'{path}: tickers.{symbol}.{key} must be a string, e.g. {key} = "..."')
    if values.get("asset_class", "equity") not in ASSET_CLASSES:
        bad = values["asset_class"]
        raise ConfigError(f"{path}: {symbol} has asset_class {bad!r}; use one of {', '.join(ASSET_CLASSES)}")


def load_universe() -> dict[str, Ticker]:
    """Every listed ticker, ``{symbol: Ticker}``, in file order."""
    return current().tickers


def groups() -> dict[str, tuple[str, ...]]:
    """Group name -> its tickers, in file order."""
    return current().groups


def ticker(symbol: str, universe: "Universe | None" = None) -> Ticker:
    """What the universe says of ``symbol``; a valid symbol listed nowhere is an ``unlisted`` ticker."""
    listed = (universe or current()).tickers.get(symbol)
    if listed is not None:
        return listed
    check_symbol(symbol)
    return Ticker(symbol)


def group(name: str) -> tuple[str, ...]:
    """Tickers of one group, in universe order."""
    known = groups()
    if name not in known:
        raise UnknownTickerError(f"unknown group {name!r}; groups: {', '.join(known)}")
    return known[name]


def resolve(names: "list[str] | tuple[str, ...]") -> tuple[str, ...]:
    """Expand group names to their tickers and check every symbol's form; order kept, duplicates dropped.

    Any well-formed symbol passes (the universe is open): whether it has prices is settled when they load.
    """
    universe = current()
    key = tuple(names)
    if key not in universe.resolved:
        known, out = universe.groups, dict[str, None]()
        for name in key:  # not ``names``: a generator is spent by tuple()
            out.update(dict.fromkeys(known[name] if name in known else (ticker(name, universe).symbol,)))
        universe.resolved[key] = tuple(out)
    return universe.resolved[key]


def check_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not SYMBOL.match(symbol):
        raise UnknownTickerError(
            f"{symbol!r} is not a ticker symbol (letters, digits and . - ^ = _){did_you_mean(str(symbol))}"
        )
    return symbol


def did_you_mean(symbol: str, candidates: "list[str] | None" = None) -> str:
    """``; did you mean BTC-USD?`` for the closest known symbols or groups, else an empty string."""
    if candidates is None:
        candidates = [*load_universe(), *groups()]
    close = closest_names(symbol, candidates)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def closest_names(name: str, candidates: "Iterable[str]") -> list[str]:
    """Up to three ``candidates`` that look like ``name``, closest first, case aside (a typo's suggestions:
    tickers here, a spec's keys in ``engine.sweeps.spec``)."""
    by_upper = {c.upper(): c for c in candidates if c != name}
    return [by_upper[c] for c in difflib.get_close_matches(name.upper(), list(by_upper), n=3, cutoff=0.6)]


def inferred_weekends(symbol: str) -> bool:
    """Whether an undeclared ticker trades on weekends: from its cached rows, else from its symbol's form
    (Yahoo's crypto pairs are ``XXX-USD``) until its prices are cached. The default cache: the only one a
    strategy's calendar is decided on (``run`` reads it; ``load_prices`` is given its calendar)."""
    from infrabt.data.store import PriceStore

    store = PriceStore()
    if store.has(symbol):
        try:
            return has_weekend_rows(store.read(symbol).index)
        except InfrabtError:  # a corrupt file is reported where its prices are read
            pass
    return bool(_CRYPTO_PAIR.search(symbol))


def has_weekend_rows(index: pd.DatetimeIndex) -> bool:
    """Rows on Saturdays or Sundays: the series trades 7 days a week."""
    return bool((pd.DatetimeIndex(index).dayofweek >= 5).any())
