"""The sweep's vectorized metrics are engine.metrics (quantstats) computed for many columns at once."""

import numpy as np
import pandas as pd
import pytest

from infrabt.engine.metrics import summary
from infrabt.engine.sweeps.metrics import summary_arrays, window_returns


@pytest.mark.parametrize("periods_per_year", [252, 365])
def test_vectorized_metrics_equal_engine_metrics(periods_per_year):
    rng = np.random.default_rng(0)
    index = pd.bdate_range("2019-01-01", periods=400)
    returns = pd.DataFrame(rng.normal(0.0006, 0.02, (400, 6)), index=index)
    returns[1] = rng.normal(-0.002, 0.04, 400)  # a losing variant
    returns[2] = np.abs(returns[2])  # never a down day: no drawdown, no downside
    returns.iloc[0] = 0.0  # the first backtest day
    returns.iloc[1, 3] = -0.3  # a crash right at the start, below the starting value

    expected = summary(returns, returns[0], periods_per_year)
    got = summary_arrays(returns.to_numpy(), periods_per_year)

    for name in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar"):
        np.testing.assert_allclose(got[name], expected[name].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_window_return_runs_from_the_close_before_start_to_the_close_before_end():
    index = pd.bdate_range("2020-01-01", periods=10)  # Wed 1 Jan .. Tue 14 Jan
    values = np.arange(100.0, 110.0)[:, None]
    # Saturday 4 Jan -> Friday 3 Jan (value 102); Sunday 12 Jan -> Friday 10 Jan (value 107)
    assert window_returns(values, index, "2020-01-04", "2020-01-12")[0] == pytest.approx(107 / 102 - 1)
    assert np.isnan(window_returns(values, index, "2019-12-01", "2020-01-05")[0])  # not covered: NaN
