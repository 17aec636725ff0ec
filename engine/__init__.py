"""The engine: target weights in, exact portfolios out (vectorbt), with metrics, crisis windows and sweeps.

``run`` is imported lazily, so importing a light module (``infrabt.engine.crises``) does not load vectorbt.
"""

__all__ = ["run"]


def __getattr__(name: str):
    if name == "run":
        from infrabt.engine.api import run

        return run
    raise AttributeError(f"module 'infrabt.engine' has no attribute {name!r}")
