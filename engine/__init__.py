"""infrabt's engine: prices, calendars, the vectorbt simulation and the ``run`` entry point.

``engine.run`` (``engine.api.run``) is imported lazily, so ``import engine.errors`` stays cheap (no vectorbt).
"""

__all__ = ["run"]


def __getattr__(name: str):
    if name == "run":
        from engine.api import run

        return run
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
