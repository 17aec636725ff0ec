"""Deflated Sharpe ratio and PBO against independent computations on data whose truth is known."""

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from infrabt.engine.sweeps.overfitting import (
    block_bounds,
    block_sums,
    cscv,
    deflated_sharpe,
    effective_trials,
    expected_max_sharpe,
    measure,
    moments_shape,
)
from infrabt.engine.sweeps.sweep import INFO_FILE, RESULTS_FILE, run_sweep

DAYS = 2_000


def test_the_deflated_sharpe_papers_worked_example():
    """Bailey and Lopez de Prado (2014), section 6: annualized SR 2.5 over 5 years of 250 days (T = 1,250),
    skewness -3, kurtosis 10, N = 100 trials whose annualized Sharpe ratios have variance 0.5. The paper
    prints SR0 = 0.1132 (per day) and DSR = 0.9004, and 0.9505 with N = 46, or with normal returns
    (skewness 0, kurtosis 3) and N = 88; here also to 1e-6 against the formulas with scipy's normal
    distribution (the product uses the standard library's)."""
    sharpe, variance, n, t, skewness, kurt = 2.5 / math.sqrt(250), 0.5 / 250, 100, 1250, -3.0, 10.0
    from scipy.stats import norm

    gamma = 0.5772156649015329
    sr0 = math.sqrt(variance) * ((1 - gamma) * norm.ppf(1 - 1 / n) + gamma * norm.ppf(1 - 1 / (n * math.e)))
    dsr = norm.cdf(
        (sharpe - sr0) * math.sqrt(t - 1) / math.sqrt(1 - skewness * sharpe + (kurt - 1) / 4 * sharpe**2)
    )

    assert expected_max_sharpe(n, variance) == pytest.approx(sr0, abs=1e-6)
    assert deflated_sharpe(sharpe, variance, n, t, skewness, kurt) == pytest.approx(dsr, abs=1e-6)
    assert round(sr0, 4) == 0.1132 and round(dsr, 4) == 0.9004
    assert round(deflated_sharpe(sharpe, variance, 46, t, skewness, kurt), 4) == 0.9505
    assert round(deflated_sharpe(sharpe, variance, 88, t, 0.0, 3.0), 4) == 0.9505


def skew_kurtosis(returns: np.ndarray) -> tuple[float, float]:
    """The reference: scipy's population skewness and kurtosis (not excess), as the paper defines them."""
    from scipy.stats import kurtosis, skew

    return float(skew(returns)), float(kurtosis(returns, fisher=False))


def brute_force_pbo(returns: np.ndarray, blocks: int) -> tuple[float, np.ndarray]:
    """CSCV straight from the papers' description, on the whole days x variants matrix."""
    bounds = block_bounds(len(returns), blocks)
    pieces = [returns[bounds[b] : bounds[b + 1]] for b in range(blocks)]
    n = returns.shape[1]
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        inside = np.concatenate([pieces[b] for b in chosen])
        outside = np.concatenate([pieces[b] for b in range(blocks) if b not in chosen])
        is_sharpe = inside.mean(axis=0) / inside.std(axis=0, ddof=1)
        oos_sharpe = outside.mean(axis=0) / outside.std(axis=0, ddof=1)
        winner = int(np.argmax(is_sharpe))
        rank = pd.Series(oos_sharpe).rank(method="min").iloc[winner]  # 1 = worst out of sample
        omega = rank / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
    logits = np.array(logits)
    return float((logits <= 0).mean()), logits


def noise(n_variants: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.01, (DAYS, n_variants))


def pbo_of(returns: np.ndarray, blocks: int = 16):
    sums = block_sums(returns, blocks)
    counts = np.diff(block_bounds(len(returns), blocks)).astype(float)
    by_block = [[sums[f"_block_{kind}_{b:02d}"] for b in range(blocks)] for kind in ("sum", "sq")]
    return cscv(np.array(by_block[0]), np.array(by_block[1]), counts)


def test_pbo_from_block_sums_equals_the_brute_force_definition():
    returns = noise(30, seed=1)
    returns[:, 3] += 0.0004  # a mild edge, so the ranks are not pure chance
    expected, logits = brute_force_pbo(returns, blocks=8)
    got = pbo_of(returns, blocks=8)
    assert got.splits == got.splits_possible == 70
    assert got.pbo == expected
    np.testing.assert_allclose(np.sort(got.logits), np.sort(logits), rtol=0, atol=1e-9)


def test_a_sample_of_splits_is_a_seeded_subset_of_the_brute_force_splits(monkeypatch):
    """Past MAX_CELLS the PBO takes a seeded sample of the splits (in complementary pairs, whose two Sharpe
    matrices serve both): every sampled split's logit is the brute-force CSCV's for some split, and the PBO
    is the share of those at or below zero."""
    import infrabt.engine.sweeps.overfitting as overfitting

    returns = noise(30, seed=2)
    returns[:, 5] += 0.0003
    _, logits = brute_force_pbo(returns, blocks=8)
    monkeypatch.setattr(overfitting, "MIN_SPLITS", 20)
    monkeypatch.setattr(overfitting, "MAX_CELLS", 0)
    got = pbo_of(returns, blocks=8)
    assert (got.splits, got.splits_possible) == (20, 70)
    # the 10 pairs drawn by the seed (split i and its complement 69 - i), in split order: each logit is the
    # brute force's for that very split
    pairs = np.sort(np.random.default_rng(0).choice(35, size=10, replace=False))
    splits = np.concatenate([pairs, (69 - pairs)[::-1]])
    np.testing.assert_allclose(got.logits, logits[splits], rtol=0, atol=1e-9)
    assert got.pbo == (logits[splits] <= 0).mean()
    np.testing.assert_array_equal(pbo_of(returns, blocks=8).logits, got.logits)  # one seed, one sample
    with pytest.raises(ValueError, match="odd"):
        overfitting.cscv(np.zeros((5, 3)), np.ones((5, 3)), np.full(5, 10.0))


def test_pure_noise_overfits_half_the_time_and_its_best_is_not_significant():
    pbos = []
    for seed in range(4):
        returns = noise(100, seed)
        split = pbo_of(returns)
        pbos.append(split.pbo)
        result = measure_for(returns, split)
        assert result.deflated_sharpe < 0.95 and result.deflated_sharpe_effective < 0.95
        assert "luck alone would give" in result.verdict and "beats" not in result.verdict
    assert 0.35 < np.mean(pbos) < 0.65


def test_one_real_edge_among_noise_is_found_and_not_overfit():
    returns = noise(100, seed=7)
    returns[:, 42] += 0.002  # true Sharpe ~3.2 a year; the others have none
    split = pbo_of(returns)
    result = measure_for(returns, split)
    assert split.pbo < 0.05
    assert result.best == "v42" and result.deflated_sharpe > 0.99
    assert "beats" in result.verdict and "holds up" in result.verdict


def measure_for(returns: np.ndarray, split):
    sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1) * math.sqrt(252)
    best = int(np.argmax(sharpes))
    ids = [f"v{i}" for i in range(returns.shape[1])]
    shape = (len(returns), *skew_kurtosis(returns[:, best]))
    return measure(sharpes, ids, shape, returns, split, 252)


def test_effective_trials_interpolate_between_one_and_all_by_the_average_correlation():
    rng = np.random.default_rng(3)
    common, own = rng.normal(size=(DAYS, 1)), rng.normal(size=(DAYS, 40))
    returns = 0.8 * common + 0.6 * own  # pairwise correlation ~0.64
    correlation = pd.DataFrame(returns).corr().to_numpy()
    average = correlation[~np.eye(40, dtype=bool)].mean()
    assert effective_trials(returns, 1000) == pytest.approx(average + (1 - average) * 1000, rel=1e-12)
    assert effective_trials(np.repeat(common, 5, axis=1), 5) == pytest.approx(1.0)
    assert effective_trials(own, 40) == pytest.approx(40, rel=0.02)


def test_a_sweep_leads_with_its_overfitting_numbers_everywhere(sweep_store, tmp_path):
    spec = {"name": "cloud", "start": "2019-01-02", "random": {"assets": ["SPY", "TLT", "QQQ"], "count": 60}}
    from infrabt.reports.sweep_report import sweep as sweep_with_page

    sweep = sweep_with_page(spec, tmp_path / "s", workers=1)
    numbers = sweep.overfitting.to_dict()
    assert numbers["variants"] == 60 and numbers["splits"] == numbers["splits_possible"] == 12_870
    assert 0 <= numbers["pbo"] <= 1 and 1 <= numbers["effective_trials"] <= 60
    assert not any(c.startswith("_block_") for c in pd.read_parquet(tmp_path / "s" / RESULTS_FILE).columns)
    assert pd.read_parquet(tmp_path / "s" / RESULTS_FILE).attrs["overfitting"] == numbers
    assert not sweep.results.attrs  # in memory they are sweep.overfitting, not copied into every slice
    assert json.loads((tmp_path / "s" / INFO_FILE).read_text())["overfitting"] == numbers
    page = (tmp_path / "s" / "sweep.html").read_text()
    verdict = page.index(numbers["verdict"].split(",")[0])
    assert verdict < page.index("Distribution of all variants")


def test_variants_with_one_return_series_have_no_overfitting_numbers(sweep_store, tmp_path):
    """Buy-and-hold SPY rebalanced monthly or quarterly is one series: ranking its float noise gave a PBO of
    95% and the verdict "picking the best is overfitting"."""
    grid = {"rebalance": ["monthly", "quarterly"]}
    spec = {"name": "same", "strategy": "spy", "start": "2019-02-01", "grid": grid}
    sweep = run_sweep(spec, tmp_path / "s", workers=1)
    assert sweep.overfitting is None and sweep.cscv is None
    assert json.loads((tmp_path / "s" / INFO_FILE).read_text())["overfitting"] is None
    grid["fees"] = [0.0, 0.01]  # fees make them differ: measured again
    assert run_sweep(spec, tmp_path / "f", workers=1).overfitting is not None


def test_an_in_sample_winner_without_an_out_of_sample_sharpe_counts_as_overfit():
    """Variant 0 wins in sample on blocks 0-1 but never moves on blocks 2-3 (no Sharpe there): that split
    is overfit (logit <= 0), not ranked best."""
    flat_late = np.array([[0.05, 0.05, 0.0, 0.0], [0.01, -0.01, 0.02, -0.01], [0.0, 0.01, 0.01, 0.0]]).T
    squares = np.array([[0.01, 0.01, 0.0, 0.0], [0.02, 0.02, 0.02, 0.02], [0.02, 0.02, 0.02, 0.02]]).T
    counts = np.full(4, 10.0)
    outcome = cscv(flat_late, squares, counts)
    first_split = next(i for i, row in enumerate(itertools.combinations(range(4), 2)) if row == (0, 1))
    assert np.isfinite(outcome.logits).all()
    assert outcome.logits[first_split] <= 0


def test_the_best_variants_shape_from_power_sums_equals_its_returns():
    returns = np.random.default_rng(5).standard_t(5, size=(1_500, 3)) * 0.02 + 0.001
    sums = block_sums(returns)
    for v in range(3):
        s1 = sum(sums[f"_block_sum_{b:02d}"][v] for b in range(16))
        s2 = sum(sums[f"_block_sq_{b:02d}"][v] for b in range(16))
        got = moments_shape(len(returns), s1, s2, sums["_block_cube"][v], sums["_block_quad"][v])
        assert got == pytest.approx(skew_kurtosis(returns[:, v]), rel=1e-9)


def test_the_sweeps_numbers_equal_those_from_re_simulated_returns(sweep_store, tmp_path):
    """The chunks keep only sums and a sample; the same numbers from every variant's daily returns
    (re-simulated for the tear sheets) and the formulas, whatever the chunking."""
    from infrabt.engine.sweeps.sweep import run_sweep

    spec = {"name": "cloud", "start": "2019-01-02", "random": {"assets": ["SPY", "TLT", "QQQ"], "count": 40}}
    sweep = run_sweep(spec, tmp_path / "a", workers=1, chunk_size=7, tearsheets=40)
    numbers = sweep.overfitting.to_dict()
    returns = sweep.top_returns[sweep.results.index].to_numpy()  # all 40, in table order
    sharpes = sweep.results["sharpe"].to_numpy() / math.sqrt(252)
    best = int(np.argmax(sharpes))
    n_eff = effective_trials(returns, 40)
    expected = deflated_sharpe(
        sharpes[best], sharpes.var(ddof=1), n_eff, len(returns), *skew_kurtosis(returns[:, best])
    )
    assert numbers["correlation_sample"] == 40
    assert numbers["effective_trials"] == pytest.approx(n_eff, rel=1e-6)
    assert numbers["deflated_sharpe_effective"] == pytest.approx(expected, abs=1e-6)
    whole = run_sweep(spec, tmp_path / "b", workers=1, chunk_size=40).overfitting.to_dict()
    assert whole == numbers
