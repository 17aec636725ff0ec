"""infrabt: backtest the "own the rails" thesis on real prices, through real crises.

The public face, in the spirit of scikit-learn: what a script or notebook needs is importable from here::

    import infrabt as ib
    result = ib.run(["infra_thesis", "pure_btc"])
    ib.write_report(result, "infrabt-output")

Everything is imported on first use, so ``import infrabt`` (and the CLI's start-up) stays cheap.
The pipeline runs one way: ``infrabt.data`` -> ``infrabt.strategies`` -> ``infrabt.engine`` ->
``infrabt.reports``.
"""

from importlib import import_module

__version__ = "0.2.0"

_EXPORTS = {
    "run": "infrabt.engine.api",
    "BacktestResult": "infrabt.engine.result",
    "sweep": "infrabt.reports.sweep_report:sweep",
    "SweepResult": "infrabt.engine.sweeps.sweep",
    "write_report": "infrabt.reports.report",
    "load_prices": "infrabt.data.prices",
    "load_strategies": "infrabt.strategies",
    "Strategy": "infrabt.strategies",
    "Fixed": "infrabt.strategies",
    "EqualWeight": "infrabt.strategies",
    "InverseVolatility": "infrabt.strategies",
    "Blend": "infrabt.strategies",
    "Every": "infrabt.strategies",
    "DriftBand": "infrabt.strategies",
    "TrendFilter": "infrabt.strategies",
    "CorrelationSwitch": "infrabt.strategies",
    "InfrabtError": "infrabt.data.errors",
    "DataError": "infrabt.data.errors",
    "ConfigError": "infrabt.data.errors",
    "StrategyError": "infrabt.data.errors",
    "UnknownTickerError": "infrabt.data.errors",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'infrabt' has no attribute {name!r}")
    module, _, attribute = _EXPORTS[name].partition(":")
    value = getattr(import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
