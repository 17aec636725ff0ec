"""Where infrabt keeps its files: one place, so nothing else guesses."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The checkout (editable install): holds data/universe.toml and data/crises.toml."""

UNIVERSE_FILE = PROJECT_DIR / "data" / "universe.toml"
CRISES_FILE = PROJECT_DIR / "data" / "crises.toml"


def data_dir() -> Path:
    """The price cache: ``INFRABT_DATA_DIR`` if set, else ``data/cache`` in the project (git-ignored)."""
    return Path(os.environ.get("INFRABT_DATA_DIR") or PROJECT_DIR / "data" / "cache")


def offline_by_default() -> bool:
    """``INFRABT_OFFLINE=1`` makes every command behave as if ``--offline`` was given."""
    return os.environ.get("INFRABT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
