"""Fault injection for the robustness tests: what a hostile user, a flaky Yahoo or a kill does to infrabt.

Each helper makes one fault happen on purpose, so the tests that use it keep running in CI."""

import pandas as pd


def truncate_answers(monkeypatch, fake_yahoo, symbol: str, last_rows: int) -> None:
    """Yahoo answers a full-history request for ``symbol`` (one from its first day or earlier) with only its
    last ``last_rows`` rows: the partial answer that once replaced years of cached prices."""
    import yfinance.multi

    ticker = yfinance.multi.Ticker

    def partial_ticker(name):
        real = ticker(name)
        if name != symbol:
            return real
        history = real.history

        def truncated_history(start=None, end=None, **kwargs):
            answer = history(start=start, end=end, **kwargs)
            full = pd.Timestamp(start) <= fake_yahoo.closes[symbol].index[0]
            return answer.iloc[-last_rows:] if full else answer

        real.history = truncated_history
        return real

    monkeypatch.setattr(yfinance.multi, "Ticker", partial_ticker)


def punch_hole(fake_yahoo, symbol: str, first: str, last: str) -> None:
    """Yahoo's answer for ``symbol`` lacks every day from ``first`` to ``last``."""
    closes = fake_yahoo.closes[symbol]
    kept = (closes.index < pd.Timestamp(first)) | (closes.index > pd.Timestamp(last))
    fake_yahoo.closes[symbol] = closes[kept]
