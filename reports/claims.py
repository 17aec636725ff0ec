"""The claims file (data/thesis.toml): the thesis as data, so a user can change a threshold or add a claim.

Reading only; reports/scorecard.py evaluates the claims. Errors name the file, the claim and the fix.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infrabt.data.errors import ConfigError
from infrabt.data.paths import package_file
from infrabt.engine import bootstrap
from infrabt.engine.crises import Crisis, _to_date, load_crises

THESIS_FILE = package_file("thesis.toml")
STATISTICS = {
    # statistic: the keys it needs besides a threshold (``above``/``below``) or ``quoted``
    "beta": ("asset", "versus"),
    "beta_asymmetry": ("asset", "versus"),
    "correlation_change": ("asset", "versus"),
    "crisis_return_gap": ("asset", "versus"),
    "crisis_correlation": ("asset", "versus"),
    "loading_change": ("asset", "factors", "factor"),
    "sharpe_difference": ("asset", "versus"),
    "crisis_drawdown_gap": ("asset", "versus"),
    "move": ("asset", "start", "end"),
}
DATES = ("start", "end", "base_start", "base_end")
COMPARISONS = ("correlation_change", "loading_change")
"""Statistics that compare a base period (base_start..base_end) with a later one (start..end)."""
CRISIS_STATISTICS = frozenset({"crisis_return_gap", "crisis_correlation", "crisis_drawdown_gap"})
"""The statistics that read ``windows`` (the listed crises they look at; default all)."""
KEYS = {"statistic", "asset", "versus", "factors", "factor", "above", "below", "quoted", "windows", *DATES}


@dataclass(frozen=True)
class ClaimTest:
    """One statistic of a claim; ``side`` is "above" or "below" the threshold ("" for a quoted move)."""

    statistic: str
    asset: str
    versus: str = ""
    factors: tuple[str, ...] = ()
    factor: str = ""
    start: "pd.Timestamp | None" = None
    end: "pd.Timestamp | None" = None
    base_start: "pd.Timestamp | None" = None
    base_end: "pd.Timestamp | None" = None
    windows: tuple[str, ...] = ()
    side: str = ""
    threshold: float = float("nan")


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    link: str
    tests: tuple[ClaimTest, ...]


@dataclass(frozen=True)
class Settings:
    """The bootstrap behind every interval."""

    resamples: int = bootstrap.RESAMPLES
    mean_block: int = bootstrap.MEAN_BLOCK
    seed: int = bootstrap.SEED
    confidence: float = bootstrap.CONFIDENCE


@dataclass(frozen=True)
class Thesis:
    settings: Settings
    claims: tuple[Claim, ...] = field(default_factory=tuple)


def load_claims(path: "str | Path | None" = None) -> Thesis:
    """Read and check a claims file (default: the shipped data/thesis.toml)."""
    path = Path(path) if path is not None else THESIS_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the claims file {path}: {exc}; check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; fix the TOML syntax there") from None
    unknown = set(raw) - {"bootstrap", "claim"}
    if unknown:
        raise ConfigError(f"{path}: unknown table {sorted(unknown)[0]!r}; use [bootstrap] and [[claim]]")
    settings = _settings(raw.get("bootstrap", {}), path)
    claims = tuple(_claim(table, path, n) for n, table in enumerate(raw.get("claim", []), start=1))
    return Thesis(settings, claims)


def load_claims_and_windows(
    claims_file: "str | Path | None" = None, crises_file: "str | Path | None" = None
) -> tuple[Thesis, list[Crisis]]:
    """The claims and the listed crisis windows (shipped, then the user's), checked together before any
    backtest: a user's window may not reuse a shipped id, and a claim may name only listed windows (these
    were found after the backtest, with its files already written)."""
    thesis = load_claims(claims_file)
    listed = load_crises()
    if crises_file:
        listed += load_crises(crises_file, taken=[c.id for c in listed])
    ids = [c.id for c in listed]
    for claim in thesis.claims:
        for n, test in enumerate(claim.tests, start=1):
            unknown = [w for w in test.windows if w not in ids]
            if unknown:
                raise ConfigError(
                    f"{claims_file or THESIS_FILE}: claim {claim.id!r}, test {n} ({test.statistic}) names "
                    f"crisis window(s) {', '.join(unknown)}, which no crises file lists; use one of "
                    f"{', '.join(ids)}, or add it with --crises FILE"
                )
    return thesis, listed


def _settings(table: dict, path: Path) -> Settings:
    defaults = Settings()
    values = {}
    for key, default in vars(defaults).items():
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{path}: [bootstrap] {key} = {value!r} must be a positive number")
        if isinstance(default, int) and value != int(value):
            raise ConfigError(f"{path}: [bootstrap] {key} = {value!r} must be a whole number")
        values[key] = type(default)(value)
    if not 0 < values["confidence"] < 1:
        raise ConfigError(f"{path}: [bootstrap] confidence must be between 0 and 1, e.g. 0.95")
    unknown = set(table) - set(values)
    if unknown:
        raise ConfigError(f"{path}: unknown [bootstrap] key {sorted(unknown)[0]!r}; use {', '.join(values)}")
    return Settings(**values)


def _claim(table: dict, path: Path, n: int) -> Claim:
    name = f"{path}, claim {table.get('id', n)!s}"
    for key in ("id", "title"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ConfigError(f"{name}: {key} is missing; give each [[claim]] an id and a title")
    tests = table.get("test", [])
    if not tests:
        raise ConfigError(f"{name}: no [[claim.test]]; add at least one statistic to test")
    return Claim(
        id=table["id"].strip(),
        title=table["title"].strip(),
        link=str(table.get("link", "")).strip(),
        tests=tuple(_test(test, f"{name}, test {k}") for k, test in enumerate(tests, start=1)),
    )


def _test(table: dict, name: str) -> ClaimTest:
    statistic = table.get("statistic")
    if statistic not in STATISTICS:
        raise ConfigError(f"{name}: statistic {statistic!r} is unknown; use one of {', '.join(STATISTICS)}")
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{name}: unknown key {sorted(unknown)[0]!r}; a test has {', '.join(sorted(KEYS))}")
    if "windows" in table and statistic not in CRISIS_STATISTICS:  # it would be silently ignored
        raise ConfigError(
            f"{name}: {statistic} does not read crisis windows; drop windows = [...] (it takes them in "
            f"{', '.join(sorted(CRISIS_STATISTICS))})"
        )
    missing = [key for key in STATISTICS[statistic] if key not in table]
    if missing:
        raise ConfigError(f"{name}: {statistic} needs {missing[0]!r}; add {missing[0]} = ...")
    sides = [key for key in ("above", "below") if key in table]
    if statistic == "move":
        if "quoted" not in table:
            raise ConfigError(f"{name}: a move needs the figure the thesis quotes: quoted = -0.34")
        sides, threshold = [""], _number(table["quoted"], "quoted", name)
    elif len(sides) != 1:
        raise ConfigError(f"{name}: give exactly one threshold, above = X or below = X")
    else:
        threshold = _number(table[sides[0]], sides[0], name)
    dates = {key: _date(table[key], key, name) for key in DATES if key in table}
    if statistic in COMPARISONS:  # the bootstrap resamples the two periods apart: they must not overlap
        if "base_end" not in dates or "start" not in dates:
            raise ConfigError(
                f"{name}: {statistic} compares two periods; give base_end = ... and start = ..."
            )
        if dates["base_end"] >= dates["start"]:
            raise ConfigError(f"{name}: base_end must come before start (the two periods must not overlap)")
    return ClaimTest(
        statistic=statistic,
        asset=str(table["asset"]),
        versus=str(table.get("versus", "")),
        factors=tuple(str(f) for f in table.get("factors", ())),
        factor=str(table.get("factor", "")),
        windows=tuple(str(w) for w in table.get("windows", ())),
        side=sides[0],
        threshold=threshold,
        **dates,
    )


def _number(value, key: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name}: {key} = {value!r} is not a number")
    return float(value)


def _date(value, key: str, name: str) -> pd.Timestamp:
    """The crises file's rule for dates (TOML date or ISO string, no time of day); errors name the test."""
    return _to_date(value, lambda message: ConfigError(f"{name}: {message}"), key)
