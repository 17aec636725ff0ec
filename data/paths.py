"""Where infrabt keeps its files: one place, so nothing else guesses.

Files that ship with infrabt (the universe, crisis windows, the price snapshot) are package data, read through
``importlib.resources`` so they are found in a wheel, an editable install or a tool venv alike. Files a user
owns (the price cache, their own universe) live in the platform's user folders (``platformdirs``).
"""

import os
from functools import cache
from importlib import resources
from pathlib import Path

import platformdirs

APP = "infrabt"


def package_file(name: str) -> Path:
    """A file shipped inside ``infrabt.data`` (installed as package data)."""
    return Path(str(resources.files("infrabt.data").joinpath(name)))


UNIVERSE_FILE = package_file("universe.toml")
CRISES_FILE = package_file("crises.toml")
SNAPSHOT_FILE = package_file("snapshot/prices.parquet")
USER_UNIVERSE_NAME = "infrabt.toml"
DEFAULT_OUT = Path("infrabt-output")
"""The default ``--out``: a product-named folder in the current directory."""


def data_dir() -> Path:
    """The price cache: ``INFRABT_DATA_DIR`` if set, else the platform's user cache folder for infrabt."""
    return Path(os.environ.get("INFRABT_DATA_DIR") or platformdirs.user_cache_dir(APP))


def config_dir() -> Path:
    """The user's config folder (an ``infrabt.toml`` there extends the shipped universe)."""
    return _config_dir(os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))


@cache
def _config_dir(xdg_config_home: str | None, home: str | None) -> Path:
    """platformdirs reads these two variables; cached on them, since the universe asks once per variant."""
    return Path(platformdirs.user_config_dir(APP))


def package_dirs() -> list[Path]:
    """Every folder infrabt's code lives in: ``--out`` must never point inside one. In a wheel they all sit
    under ``infrabt/``; in an editable install the stages are the checkout's top-level folders."""
    names = ("infrabt", "infrabt.data", "infrabt.strategies", "infrabt.engine", "infrabt.reports")
    return [Path(str(resources.files(name))).resolve() for name in names]


def offline_by_default() -> bool:
    """``INFRABT_OFFLINE=1`` makes every command behave as if ``--offline`` was given."""
    return os.environ.get("INFRABT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
