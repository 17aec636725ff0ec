"""One color per series, the same in every chart of a page (and on the sweep page): what a reader learns
from the legend once holds everywhere.

The palette joins Okabe & Ito's and Paul Tol's "muted" sets, both designed to stay apart for the common forms
of color blindness; orange and yellow are left out because BTC's orange and gold's ochre are reserved. A run
with more than 16 other series reuses colors from the start of the palette.
"""

BENCHMARK_COLOR = "#333333"
BTC_COLOR, GOLD_COLOR = "#f7931a", "#c9a227"
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#332288", "#117733", "#882255",
    "#44AA99", "#999933", "#AA4499", "#CC6677", "#88CCEE", "#661100", "#6699CC", "#DDCC77",
)  # fmt: skip
RESERVED = {"BTC-USD": BTC_COLOR, "pure_btc": BTC_COLOR, "GLD": GOLD_COLOR, "gold": GOLD_COLOR}
"""Series whose color a reader expects: bitcoin orange, gold ochre (the reference asset and the buy-and-hold
strategy of it share it; the asset is drawn bold, the strategy thin)."""


def colors_for(names: list[str], benchmark: str | None = None) -> dict[str, str]:
    """A color per name, in order: the benchmark dark, BTC and gold their own, the rest the palette's next."""
    colors, slot = {}, 0
    for name in dict.fromkeys(names):
        if name == benchmark:
            colors[name] = BENCHMARK_COLOR
        elif name in RESERVED:
            colors[name] = RESERVED[name]
        else:
            colors[name] = PALETTE[slot % len(PALETTE)]
            slot += 1
    return colors
