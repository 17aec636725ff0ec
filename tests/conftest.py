"""Shared fixtures. ``shared_prices`` is the real-data cache; ``tmp_store`` an empty cache for unit tests."""

from pathlib import Path

import pytest

SHARED_PRICES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "prices"


@pytest.fixture(scope="session")
def shared_prices(tmp_path_factory):
    """Import ../shared/data/prices once per session through the product's own CSV import; yield the data dir.

    ``INFRABT_DATA_DIR`` points at it (and ``INFRABT_OFFLINE=1`` is set) for the rest of the session, so
    code under test reads exactly these prices and never touches the network.
    """
    if not SHARED_PRICES.is_dir() or not any(SHARED_PRICES.glob("*.csv")):
        pytest.skip("../shared/data/prices not found: integration tests need the shared price data")
    from engine.csv_import import import_csv
    from engine.store import PriceStore

    root = tmp_path_factory.mktemp("shared_prices")
    import_csv([SHARED_PRICES], PriceStore(root))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFRABT_DATA_DIR", str(root))
        patch.setenv("INFRABT_OFFLINE", "1")
        yield root


@pytest.fixture
def tmp_store(tmp_path, monkeypatch):
    """An empty ``PriceStore`` in a temp dir, also made the default (``INFRABT_DATA_DIR``), offline."""
    from engine.store import PriceStore

    monkeypatch.setenv("INFRABT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INFRABT_OFFLINE", "1")
    return PriceStore(tmp_path / "data")


def _make_prices(closes, start="2024-01-02", freq="B"):
    """A cached-shape frame with Adj Close = Close = ``closes`` on consecutive ``freq`` days."""
    import pandas as pd

    index = pd.date_range(start, periods=len(closes), freq=freq, name="Date")
    return pd.DataFrame({"Close": closes, "Adj Close": closes, "Volume": 1000.0}, index=index)


@pytest.fixture
def make_prices():
    """Factory for small generated price frames: ``make_prices([10, 11, 12], start=..., freq="B"|"D")``."""
    return _make_prices
