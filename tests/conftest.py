"""Shared fixtures. ``shared_prices`` is the real-data cache; ``tmp_store`` an empty cache for unit tests."""

import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

SHARED_PRICES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "prices"


@pytest.fixture(scope="session", autouse=True)
def private_user_folders(tmp_path_factory):
    """The user's cache and config folders (platformdirs reads XDG_*) point into the session's temp dir:
    no test reads or writes the real ones (the price cache, the NYSE sessions file, an infrabt.toml)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
        yield


@pytest.fixture(autouse=True)
def no_snapshot_by_default(monkeypatch):
    """Unit tests see only the cache they build; the snapshot tests turn the bundled snapshot back on."""
    monkeypatch.setenv("INFRABT_SNAPSHOT", "off")
    monkeypatch.delenv("INFRABT_UNIVERSE", raising=False)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """Import ../shared/data/prices once per session through the product's own CSV import; return the data
    dir. It changes no environment: request ``shared_prices`` to make it a test's price cache."""
    if not SHARED_PRICES.is_dir() or not any(SHARED_PRICES.glob("*.csv")):
        pytest.skip("../shared/data/prices not found: integration tests need the shared price data")
    from infrabt.data.csv_import import import_csv
    from infrabt.data.store import PriceStore

    root = tmp_path_factory.mktemp("shared_prices")
    import_csv([SHARED_PRICES], PriceStore(root))
    return root


def use_shared_prices(patch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point ``INFRABT_DATA_DIR`` at ``root`` and set ``INFRABT_OFFLINE=1`` until ``patch`` is undone, so code
    under test reads exactly these prices and never touches the network."""
    patch.setenv("INFRABT_DATA_DIR", str(root))
    patch.setenv("INFRABT_OFFLINE", "1")
    return root


@pytest.fixture
def shared_prices(shared_cache, monkeypatch) -> Path:
    """The shared real prices as this test's price cache, offline; only tests that request it see it."""
    return use_shared_prices(monkeypatch, shared_cache)


@pytest.fixture
def tmp_store(tmp_path, monkeypatch):
    """An empty ``PriceStore`` in a temp dir, also made the default (``INFRABT_DATA_DIR``), offline."""
    from infrabt.data.store import PriceStore

    monkeypatch.setenv("INFRABT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INFRABT_OFFLINE", "1")
    return PriceStore(tmp_path / "data")


def _make_prices(closes, start="2024-01-02", freq="B"):
    """A cached-shape frame with Adj Close = Close = ``closes`` on consecutive ``freq`` days."""
    index = pd.date_range(start, periods=len(closes), freq=freq, name="Date")
    return pd.DataFrame({"Close": closes, "Adj Close": closes, "Volume": 1000.0}, index=index)


@pytest.fixture
def make_prices():
    """Factory for small generated price frames: ``make_prices([10, 11, 12], start=..., freq="B"|"D")``."""
    return _make_prices


DNS = "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com"
"""What curl says when there is no network (yfinance passes it on in its log)."""


class FakeYahoo:
    """Stands in for Yahoo behind ``yfinance.multi.Ticker``: closes per symbol, or an exception per
    attempt."""

    def __init__(self):
        self.closes: dict[str, pd.Series] = {}
        self.failures: dict[str, list[Exception]] = {}
        self.logs: dict[str, list[str]] = {}
        """messages to send to the yfinance logger before failing, as yfinance does"""
        self.requests: list[tuple[str, str, str | None]] = []

    def add(self, symbol, start, values, freq="B"):
        index = pd.date_range(start, periods=len(values), freq=freq)
        self.closes[symbol] = pd.Series(np.asarray(values, dtype=float), index=index)

    def ticker(self, symbol):
        fake = self

        class Ticker:
            _price_history = None

            def history(self, start=None, end=None, auto_adjust=True, **kwargs):
                fake.requests.append((symbol, start, end))
                if fake.failures.get(symbol):
                    for message in fake.logs.get(symbol, []):
                        logging.getLogger("yfinance").error(message)
                    failure = fake.failures[symbol].pop(0)
                    from yfinance import utils as yf_utils
                    from yfinance.exceptions import YFTickerMissingError

                    if isinstance(failure, YFTickerMissingError):
                        # as yfinance 1.7 does: log it, remember it, return an empty frame (no exception)
                        logging.getLogger("yfinance").error(str(failure))
                        self._price_history = SimpleNamespace(_last_error=str(failure).split(": ", 1)[1])
                        return yf_utils.empty_df()
                    raise failure
                closes = fake.closes.get(symbol, pd.Series(dtype=float))
                closes = closes[
                    (closes.index >= pd.Timestamp(start)) & (closes.index < pd.Timestamp(end or "2100"))
                ]
                index = pd.DatetimeIndex(closes.index.as_unit("us"), name="Date").tz_localize(
                    "America/New_York"
                )
                adjusted = closes.to_numpy() * (0.98 if not auto_adjust else 1.0)
                prices = closes.to_numpy()
                return pd.DataFrame(
                    {"Open": prices, "High": prices * 1.01, "Low": prices * 0.99, "Close": prices},
                    index=index,
                ).assign(**{"Adj Close": adjusted, "Volume": 1000})

        return Ticker()


@pytest.fixture
def fake_yahoo(monkeypatch, tmp_store):
    """Yahoo without the network: the real ``yf.download`` runs, fed by ``FakeYahoo``; sleeps recorded."""
    import yfinance.multi

    import infrabt.data.yahoo

    fake = FakeYahoo()
    monkeypatch.setattr(yfinance.multi, "Ticker", fake.ticker)
    monkeypatch.setattr(
        infrabt.data.yahoo, "sleep", lambda seconds: fake.requests.append(("sleep", seconds, None))
    )
    return fake


@pytest.fixture
def without_reports(monkeypatch):
    """`infrabt run` as if the reports package were absent: only the engine's CSVs are written (fast)."""
    import sys

    monkeypatch.setitem(sys.modules, "reports", None)


@pytest.fixture
def sweep_store(tmp_store, make_prices):
    """Sweep tests: SPY, TLT, GLD (listing mid-2019), QQQ on business days 2019-2021, BTC-USD every day."""
    import numpy as np

    rng = np.random.default_rng(42)
    for n, ticker in enumerate(["SPY", "TLT", "GLD", "QQQ"]):
        closes = 100 * np.exp(np.cumsum(rng.normal(0.0004, 0.012, 780)))
        frame = make_prices(closes, start="2019-01-01", freq="B")
        if ticker == "GLD":
            frame = frame.iloc[120:]
        tmp_store.write(ticker, frame, source=f"test walk {n}")
    btc = 8000 * np.exp(np.cumsum(rng.normal(0.001, 0.03, 1100)))
    tmp_store.write("BTC-USD", make_prices(btc, start="2019-01-01", freq="D"), source="test walk")
    return tmp_store
