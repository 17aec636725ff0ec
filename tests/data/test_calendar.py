"""The NYSE sessions: exchange_calendars' own, kept on disk so a run does not rebuild them."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data import calendar
from infrabt.data.calendar import equity_calendar, nyse_sessions


@pytest.fixture
def fresh_sessions(tmp_store):
    nyse_sessions.cache_clear()
    yield tmp_store.root / "calendars"
    nyse_sessions.cache_clear()


def test_sessions_equal_exchange_calendars_and_are_kept_on_disk(fresh_sessions, monkeypatch):
    import exchange_calendars

    expected = exchange_calendars.get_calendar("XNYS", start="2018-01-01").sessions_in_range(
        "2019-01-01", "2024-12-31"
    )
    got = equity_calendar("2019-01-01", "2024-12-31")
    np.testing.assert_array_equal(got.to_numpy(), expected.tz_localize(None).to_numpy())
    assert got.name == "Date" and pd.Timestamp("2020-12-25") not in got and pd.Timestamp("2020-12-24") in got
    assert len(list(fresh_sessions.glob("XNYS-*.npy"))) == 1

    nyse_sessions.cache_clear()
    monkeypatch.setattr(exchange_calendars, "get_calendar", lambda *a, **k: pytest.fail("not rebuilt"))
    assert equity_calendar("2019-01-01", "2024-12-31").equals(got)


def test_a_corrupt_or_unwritable_sessions_file_only_means_building_them_again(fresh_sessions, monkeypatch):
    first = nyse_sessions()
    (kept,) = fresh_sessions.glob("XNYS-*.npy")
    kept.write_bytes(b"not numpy")
    nyse_sessions.cache_clear()
    assert nyse_sessions().equals(first)
    assert np.load(kept).shape == first.shape  # rewritten

    nyse_sessions.cache_clear()
    kept.unlink()
    monkeypatch.setattr(calendar.np, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    assert nyse_sessions().equals(first)
