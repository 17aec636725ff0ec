"""Generated price panels for engine and strategy tests: geometric random walks on business days."""

import numpy as np
import pandas as pd


def random_walk(
    tickers, days: int = 300, start: str = "2021-01-01", seed: int = 0, drift=0.0, volatility: float = 0.02
) -> pd.DataFrame:
    """Closes from about 100 with daily log-returns ~ N(drift, volatility); ``drift`` may be per ticker."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=days, name="Date")
    moves = rng.normal(drift, volatility, (days, len(tickers)))
    return pd.DataFrame(100 * np.exp(np.cumsum(moves, axis=0)), index=index, columns=list(tickers))
