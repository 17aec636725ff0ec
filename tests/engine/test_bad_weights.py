"""A strategy whose weights would silently run as 0% invested is refused by name (the others still run)."""

import numpy as np
import pandas as pd
import pytest

from infrabt.data.errors import StrategyError
from infrabt.engine.backtest import check_targets
from infrabt.strategies import Fixed, Strategy


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda p: pd.DataFrame({"QQQ": np.nan}, index=p.index[-30:-29]), "every target weight is NaN"),
        (lambda p: pd.DataFrame({"TLT": 1.0}, index=p.index[-30:-29]), "name TLT, which it does not hold"),
    ],
)
def test_weights_that_would_run_as_cash_are_refused(weights, message):
    strategy = Strategy(id="mine", thesis="x", weighting=Fixed({"QQQ": 1.0}))
    index = pd.bdate_range("2024-01-01", periods=40)
    with pytest.raises(StrategyError, match=f"mine: .*{message}"):
        check_targets(strategy, weights(pd.DataFrame({"QQQ": 1.0}, index=index)))


def test_a_run_names_the_strategy_whose_weights_are_all_nan(
    tmp_store, make_prices, without_reports, tmp_path
):
    from typer.testing import CliRunner

    from infrabt.cli import app

    rng = np.random.default_rng(0)
    for symbol in ("SPY", "QQQ"):
        closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
        tmp_store.write(symbol, make_prices(closes, start="2023-01-02"), source="test")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "idle.py").write_text(
        "import numpy as np, pandas as pd\n"
        "from infrabt.strategies import Fixed, Strategy\n"
        "class Idle(Strategy):\n"
        "    def target_weights(self, prices, start=None):\n"
        "        return pd.DataFrame({'QQQ': np.nan}, index=prices.index[-30:])\n"
        "STRATEGY = Idle(id='idle', thesis='Nothing.', weighting=Fixed({'QQQ': 1.0}))\n"
    )
    args = ["run", "idle", "--offline", "--strategies-dir", str(folder), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "idle: every target weight is NaN" in result.output
