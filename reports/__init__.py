"""Reports: tear sheets, the comparison dashboard, crisis windows and the thesis check, from a BacktestResult.

``write_report`` is imported lazily, so importing the package stays cheap (no plotly or Jinja).
"""

__all__ = ["write_report"]


def __getattr__(name: str):
    if name == "write_report":
        from infrabt.reports.report import write_report

        return write_report
    raise AttributeError(f"module 'infrabt.reports' has no attribute {name!r}")
