"""Reports: tear sheets, the comparison dashboard, crisis windows and the thesis check, from a BacktestResult.

``write_report`` is imported lazily, so ``import engine.crises`` stays cheap (no plotly or Jinja).
"""

__all__ = ["write_report"]


def __getattr__(name: str):
    if name == "write_report":
        from reports.report import write_report

        return write_report
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
