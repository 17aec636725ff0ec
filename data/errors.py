"""The errors infrabt raises on bad input.

Every message names the culprit and the fix; the CLI prints it on one line and exits non-zero, no traceback.
"""


class InfrabtError(Exception):
    """Base class: anything the user can fix by changing input, data or options."""


class DataError(InfrabtError):
    """Prices are missing, malformed, or could not be fetched."""


class CacheCorruptError(DataError):
    """A cached file cannot be read; the message names the file and the command that rebuilds it."""


class UnknownTickerError(InfrabtError):
    """A ticker is not in data/universe.toml."""


class StrategyError(InfrabtError):
    """A strategy is unknown, broken, or produced invalid weights."""


class ConfigError(InfrabtError):
    """A configuration file (crises, sweep spec) or an option is invalid."""
