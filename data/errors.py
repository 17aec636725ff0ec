"""The errors infrabt raises on bad input.

Every message names the culprit and the fix; the CLI prints it on one line and exits non-zero, no traceback.
"""


class InfrabtError(Exception):
    """Base class: anything the user can fix by changing input, data or options."""


class DataError(InfrabtError):
    """Prices are missing, malformed, or could not be fetched."""


class CacheCorruptError(DataError):
    """A cached file cannot be read; the message names the file and the command that rebuilds it."""


class UnknownTickerError(DataError):
    """A symbol or group that infrabt cannot find anywhere (not a symbol, or no prices in any source)."""


class StrategyError(InfrabtError):
    """A strategy is unknown, broken, or produced invalid weights."""


class ConfigError(InfrabtError):
    """A configuration file (crises, sweep spec) or an option is invalid."""


class DataNotice(UserWarning):
    """Not an error, but the user must know: e.g. prices come from the bundled snapshot, not from Yahoo."""
