"""Sweep specs: TOML and Python give the same spec; grids expand to their product; bad specs name the fix."""

import pytest

from infrabt.data.errors import ConfigError
from infrabt.engine.sweeps.spec import (
    MAX_VARIANTS_WITHOUT_YES,
    SweepSpec,
    check_size,
    expand_values,
    grid_variants,
    load_spec,
    random_weights,
    spec_from_dict,
)


def test_toml_range_includes_its_stop_and_the_grid_is_the_product(tmp_path):
    path = tmp_path / "btc.toml"
    path.write_text(
        'strategy = "infra_thesis"\n[grid]\nbtc_share = { start = 0.0, stop = 1.0, step = 0.05 }\n'
        'rebalance = ["monthly", "quarterly", "yearly"]\n'
    )
    spec = load_spec(path)
    assert spec.name == "btc"
    assert len(spec.grid["btc_share"]) == 21
    assert spec.grid["btc_share"][0] == 0.0 and spec.grid["btc_share"][-1] == 1.0
    assert spec.grid["btc_share"][7] == 0.35  # rounded, not 0.35000000000000003
    variants = grid_variants(spec)
    assert spec.n_variants == len(variants) == 63
    assert variants.index[0] == "v000000" and variants.index.is_unique
    assert set(map(tuple, variants.to_numpy().tolist())) == {
        (b, r) for b in spec.grid["btc_share"] for r in ("monthly", "quarterly", "yearly")
    }


def test_integer_ranges_stay_integers():
    assert expand_values("lookback", {"start": 50, "stop": 300, "step": 10}) == list(range(50, 301, 10))


def test_python_dict_and_toml_make_the_same_spec(tmp_path):
    raw = {"name": "x", "strategy": "btc_trend", "grid": {"lookback": [100, 200]}, "fees": 0.0}
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nstrategy = "btc_trend"\nfees = 0.0\n[grid]\nlookback = [100, 200]\n')
    assert spec_from_dict(raw) == load_spec(path)
    assert spec_from_dict(raw).fingerprint() == load_spec(path).fingerprint()
    assert spec_from_dict({**raw, "fees": 0.001}).fingerprint() != load_spec(path).fingerprint()


def test_random_weights_are_reproducible_and_on_the_simplex():
    spec = spec_from_dict({"random": {"assets": ["SPY", "TLT", "GLD"], "count": 50, "seed": 3}})
    first, again = (
        random_weights(spec.random, ["SPY", "TLT", "GLD"]),
        random_weights(spec.random, ["a", "b", "c"]),
    )
    assert first.shape == (50, 3)
    assert (first == again).all()
    assert abs(first.sum(axis=1) - 1).max() < 1e-12 and (first >= 0).all()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"strategy": "btc_trend", "grid": {}}, "grid.*empty"),
        ({"strategy": "btc_trend", "grid": {"lookback": []}}, "lookback.*no values"),
        (
            {"strategy": "btc_trend", "grid": {"lookback": {"start": 300, "stop": 50, "step": 10}}},
            "no values",
        ),
        ({"strategy": "btc_trend", "grid": {"lookback": {"start": 1, "stop": 5}}}, "start, stop and step"),
        ({"grid": {"lookback": [1]}}, "neither"),
        ({"strategy": "x", "grid": {"a": [1]}, "random": {"assets": ["SPY"], "count": 2}}, "both"),
        ({"strategy": "x", "grid": {"a": [1]}, "bogus": 1}, "unknown key 'bogus'"),
        (  # every unknown key, each with its closest known one (only 'fess' was named)
            {"strat": "btc_trend", "fess": 0.001, "grid": {"lookback": [20]}},
            r"unknown keys 'fess' \(did you mean 'fees'\?\), 'strat' \(did you mean",
        ),
        ({"random": {"assets": ["SPY"], "count": 2, "sead": 1}}, r"\[random\]: unknown key 'sead'.*'seed'"),
        ({"random": {"assets": ["SPY"]}}, "count"),
    ],
)
def test_bad_specs_are_refused_with_the_culprit(raw, message):
    with pytest.raises(ConfigError, match=message):
        spec_from_dict(raw)


def test_more_than_ten_million_variants_need_yes():
    big = SweepSpec(
        name="big", strategy="btc_trend", grid={"a": list(range(10_001)), "b": list(range(1_000))}
    )
    assert big.n_variants > MAX_VARIANTS_WITHOUT_YES
    with pytest.raises(ConfigError, match=r"--yes"):
        check_size(big)
    check_size(big, yes=True)  # allowed when asked for


def test_a_missing_or_broken_spec_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_spec(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("strategy = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_spec(bad)
