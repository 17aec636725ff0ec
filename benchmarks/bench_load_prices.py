"""load_prices: the aligned panel of every shared ticker, against the way it was built before issue 12.

    .venv/bin/python benchmarks/bench_load_prices.py [--repeat 5] [--prices ../shared/data/prices]

Peer, measured in the same run on the same cache: every file read whole (all six columns) and each ticker
aligned on its own. Both panels are compared cell by cell (they must be equal, NaN where NaN). The product's
time includes its checks on read (checksum, dates, prices), which the peer skips; the first product read of a
file version pays them, later reads of an unchanged file do not, so cold (first) and warm times are shown.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from infrabt.data.calendar import trading_days
from infrabt.data.csv_import import import_csv
from infrabt.data.prices import load_prices
from infrabt.data.store import PriceStore

ROOT = Path(__file__).resolve().parent.parent


def per_ticker_panel(store: PriceStore, symbols: list[str]) -> pd.DataFrame:
    """The old way: all columns of every file, one reindex and forward fill per ticker."""
    import pyarrow.parquet as pq

    closes = {s: pq.read_table(store.path(s)).to_pandas()["Adj Close"] for s in symbols}
    start = min(c.index[0] for c in closes.values())
    end = max(c.index[-1] for c in closes.values())
    days = trading_days("equity", start, end)

    def align(close):
        filled = close.reindex(days.union(close.index)).ffill().reindex(days)
        return filled.where(days <= close.index[-1])

    return pd.DataFrame({s: align(c) for s, c in closes.items()}, index=days, columns=symbols)


def timed(call, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times[0], times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prices", default=str(ROOT.parent / "shared" / "data" / "prices"))
    parser.add_argument("--smoke", action="store_true", help="two repeats: checks that it runs, no numbers")
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 2
    with tempfile.TemporaryDirectory() as folder:
        store = PriceStore(folder)
        import_csv([args.prices], store)
        symbols = store.tickers()
        product = load_prices(symbols, store=store, offline=True)
        peer = per_ticker_panel(store, symbols)
        product.index.name = peer.index.name = "Date"
        pd.testing.assert_frame_equal(product, peer, check_freq=False)
        peer_first, peer_warm = timed(lambda: per_ticker_panel(store, symbols), args.repeat)
        import infrabt.data.store

        infrabt.data.store._verified.clear()  # the first read of each file version pays the checks
        first, warm = timed(lambda: load_prices(symbols, store=store, offline=True), args.repeat)
    peer_ms, product_ms = statistics.median(peer_warm) * 1000, statistics.median(warm) * 1000
    print(f"{len(symbols)} tickers x {len(product)} days; panels equal cell by cell")
    print(f"per-ticker peer: first {peer_first * 1000:.0f} ms, warm median {peer_ms:.0f} ms")
    print(f"load_prices: first {first * 1000:.0f} ms (with checks), warm median {product_ms:.0f} ms")
    print(f"warm ratio peer / load_prices: {peer_ms / product_ms:.2f}x")


if __name__ == "__main__":
    main()
