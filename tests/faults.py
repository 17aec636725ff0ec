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


def edit_cache(store, symbol: str, change) -> None:
    """Rewrite ``symbol``'s cache file as an outside tool would: ``change(frame) -> frame``, the metadata
    infrabt wrote kept as it was, no validation."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = store.path(symbol)
    table = pq.read_table(path)
    frame = change(table.to_pandas())
    edited = pa.Table.from_pandas(frame, preserve_index=True)
    merged = {**(edited.schema.metadata or {}), b"infrabt": table.schema.metadata[b"infrabt"]}
    pq.write_table(edited.replace_schema_metadata(merged), path)


def set_metadata(store, symbol: str, raw: bytes) -> None:
    """Replace the JSON infrabt keeps in ``symbol``'s file by ``raw``."""
    import pyarrow.parquet as pq

    path = store.path(symbol)
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"infrabt": raw}), path)


def _scaled(frame):
    return frame.assign(**{"Adj Close": frame["Adj Close"] * 100})


def _set_price(value):
    def change(frame):
        frame = frame.copy()
        frame.iloc[len(frame) // 2, frame.columns.get_loc("Adj Close")] = value
        return frame

    return change


def _reindexed(index_of):
    def change(frame):
        return frame.set_axis(index_of(frame), axis=0)

    return change


CACHE_EDITS = {
    "unsorted rows": lambda f: f.iloc[::-1],
    "inf price": _set_price(float("inf")),
    "NaN price": _set_price(float("nan")),
    "zero price": _set_price(0.0),
    "negative price": _set_price(-1.0),
    "text prices": lambda f: f.assign(**{"Adj Close": f["Adj Close"].astype(str)}),
    "prices x100": _scaled,
    "index reset to 1970": _reindexed(lambda f: pd.date_range("1970-01-01", periods=len(f), name="Date")),
    "duplicate dates": _reindexed(lambda f: f.index[[0, *range(len(f) - 1)]]),
    "tz-aware dates": _reindexed(lambda f: f.index.tz_localize("UTC")),
    "zero rows": lambda f: f.iloc[0:0],
}
"""Edits made to a cache file outside infrabt that once gave exit-0 results or a traceback."""

BAD_METADATA = {
    "a JSON list": b"[1, 2]",
    "keys missing": b'{"source": "x"}',
    "wrong types": b'{"source": 1, "fetched_at": "", "first": "", "last": "", "rows": "3", "warnings": []}',
    "not JSON": b"{oops",
}


def start_python(code: str, *args: str):
    """Run ``code`` in a separate Python process (a second infrabt user, a run to kill)."""
    import subprocess
    import sys
    import textwrap

    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, seconds: float = 60.0, step: float = 0.05) -> bool:
    """Poll ``condition()`` until it is true or ``seconds`` pass; returns its last value."""
    import time

    deadline = time.monotonic() + seconds
    while not (done := condition()) and time.monotonic() < deadline:
        time.sleep(step)
    return bool(done)


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed orphan is reaped by init)."""
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (read off /proc: Linux)."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
