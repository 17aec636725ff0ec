"""Define a strategy inline and run it beside two shipped ones, the way you would from a script or notebook.

    .venv/bin/python examples/custom_strategy.py

Needs cached prices (`infrabt data import DIR` or `infrabt data update`); INFRABT_OFFLINE=1 stays offline.
"""

import infrabt as ib
from infrabt.engine.metrics import summary
from infrabt.strategies import Blend, Strategy, TrendFilter

barbell = Strategy(
    id="btc_gpu_barbell",
    thesis="Half in bitcoin while it trends (above its 200-day average, else cash), half in compute.",
    weighting=Blend({"BTC-USD": 0.5, "gpu_datacenter": 0.5}),
    overlays=(TrendFilter("BTC-USD", lookback=200),),
    rebalance="monthly",
)

result = ib.run([barbell, "infra_thesis", "pure_btc"], start="2018-01-01")  # spy, the benchmark, joins
metrics = summary(result.returns, result.returns["spy"], result.periods_per_year)
print(f"{result.start.date()} .. {result.end.date()} on the {result.calendar} calendar, costs {result.costs}")
print(metrics.round(3).to_string())
