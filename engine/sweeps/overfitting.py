"""How much of a sweep's best result is luck: the deflated Sharpe ratio and the probability of backtest
overfitting. The formulas (the README cites the papers):

Deflated Sharpe ratio (Bailey and Lopez de Prado, 2014, "The Deflated Sharpe Ratio", J. Portfolio Management):
with per-period Sharpe ratios SR, N independent trials whose Sharpe ratios have variance V, and the Euler-
Mascheroni constant g, the Sharpe ratio the best of N trials reaches by luck alone is

    SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))

and the deflated Sharpe ratio of the best variant (Sharpe SR, T returns, skewness s, kurtosis k, not
excess) is the probabilistic Sharpe ratio against SR0:

    DSR = Z((SR - SR0) * sqrt(T - 1) / sqrt(1 - s * SR + (k - 1) / 4 * SR^2))

Z is the standard normal distribution (the standard library's ``statistics.NormalDist``). The expression
approximates the expected maximum for many trials; below about two it would turn negative, so SR0 is floored
at 0 (one trial's expected maximum is its mean, 0 under the null). Variants of a grid are not independent
trials, so N is reported twice: the number of variants, and an effective number from the average pairwise
correlation r of variant returns, N_eff = r + (1 - r) N (N for uncorrelated variants, 1 for identical ones),
with r estimated on a sample of at most ``CORRELATION_SAMPLE`` variants.

Probability of backtest overfitting (Bailey, Borwein, Lopez de Prado and Zhu, 2017, "The Probability of
Backtest Overfitting", J. Computational Finance), by combinatorially symmetric cross-validation (CSCV): the
days are cut into S blocks; for each way of choosing S/2 of them as in-sample (the rest out of sample), the
variant with the best in-sample Sharpe gets its out-of-sample relative rank w = rank / (N + 1) and the logit l
= ln(w / (1 - w)); PBO = the share of splits with l <= 0 (the in-sample winner is at or below the median out
of sample). A sweep keeps only each variant's per-block sums of returns and squared returns (``block_sums``),
so this needs no days x variants matrix. Split i's out-of-sample half is split (C - 1 - i)'s in-sample half,
so each complementary pair is computed once for both; past ``MAX_CELLS`` (splits x variants) a seeded random
sample of such pairs is used.
"""

import itertools
import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

BLOCKS = 16
BLOCK_PREFIX = "_block_"  # per-block sums in a sweep's parts: BLOCK_PREFIX + "sum_00", "sq_00", ...
CORRELATION_SAMPLE = 100  # 4,950 pairs: the average correlation to about +-0.01
MAX_CELLS = 4_000_000  # splits x variants for the PBO (~0.5 s); beyond, a sample (3,500 splits: PBO +-1%)
MIN_SPLITS = 100
SIGNIFICANT = 0.95  # a deflated Sharpe at or above this: the best variant beats luck


SAME = 1e-9  # relative spread under which scores count as equal (float noise, not a difference)


def all_equal(values: np.ndarray) -> bool:
    """True when the finite values differ by float noise at most: variants that hold the same thing score
    the same, give or take 1e-16 from the order of their sums (three copies of SPY once got a PBO of 95%
    from ranking those differences)."""
    finite = values[np.isfinite(values)]
    return len(finite) > 0 and np.ptp(finite) <= SAME * max(1.0, np.abs(finite).max())


def expected_max_sharpe(n_trials: float, variance: float) -> float:
    """SR0: the Sharpe ratio (per period) the best of ``n_trials`` independent trials reaches by luck."""
    if n_trials <= 1:
        return 0.0
    gamma, z = np.euler_gamma, NormalDist()
    tail = (1 - gamma) * z.inv_cdf(1 - 1 / n_trials) + gamma * z.inv_cdf(1 - 1 / (n_trials * math.e))
    return max(0.0, float(math.sqrt(variance) * tail))


def probabilistic_sharpe(sharpe: float, benchmark: float, n_obs: int, skewness: float, kurt: float) -> float:
    """Probability that the true Sharpe ratio exceeds ``benchmark`` (per period; ``kurt`` not excess)."""
    spread = 1 - skewness * sharpe + (kurt - 1) / 4 * sharpe**2
    return float(NormalDist().cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(spread)))


def deflated_sharpe(
    sharpe: float, variance: float, n_trials: float, n_obs: int, skewness: float, kurt: float
) -> float:
    """The deflated Sharpe ratio: ``probabilistic_sharpe`` against ``expected_max_sharpe``."""
    return probabilistic_sharpe(sharpe, expected_max_sharpe(n_trials, variance), n_obs, skewness, kurt)


def effective_trials(returns: np.ndarray, n_trials: int) -> float:
    """r + (1 - r) * ``n_trials``, r the average pairwise correlation of ``returns``' columns (a sample of the
    trials). Columns that never move carry no information and are left out; r below 0 counts as 0."""
    moving = returns[:, returns.std(axis=0) > 0]
    m = moving.shape[1]
    if m < 2:
        return float(n_trials)
    correlation = np.corrcoef(moving, rowvar=False)
    average = max(0.0, float((correlation.sum() - m) / (m * (m - 1))))
    return average + (1 - average) * n_trials


def block_bounds(n_days: int, blocks: int = BLOCKS) -> np.ndarray:
    """Row where each of ``blocks`` contiguous, near-equal blocks of days starts (and the end)."""
    return np.linspace(0, n_days, blocks + 1).round().astype(int)


def block_sums(returns: np.ndarray, blocks: int = BLOCKS) -> dict[str, np.ndarray]:
    """Per block of days (``block_bounds``): each variant's sum of returns and of squared returns; and over
    all days, its sums of cubes and fourth powers (with the others: the best variant's skewness and kurtosis,
    ``moments_shape``, without its daily returns)."""
    bounds = block_bounds(len(returns), blocks)
    columns = {}
    squares = np.square(returns)
    for b in range(blocks):
        columns[f"{BLOCK_PREFIX}sum_{b:02d}"] = returns[bounds[b] : bounds[b + 1]].sum(axis=0)
        columns[f"{BLOCK_PREFIX}sq_{b:02d}"] = squares[bounds[b] : bounds[b + 1]].sum(axis=0)
    columns[f"{BLOCK_PREFIX}cube"] = np.einsum("dv,dv->v", squares, returns)
    columns[f"{BLOCK_PREFIX}quad"] = np.einsum("dv,dv->v", squares, squares)
    return columns


def moments_shape(n: int, s1: float, s2: float, s3: float, s4: float) -> tuple[float, float]:
    """Skewness and kurtosis (not excess) of ``n`` returns from their power sums: the population central
    moments, as scipy.stats' ``skew`` and ``kurtosis(fisher=False)`` compute them from the returns."""
    mean = s1 / n
    m2 = s2 / n - mean**2
    m3 = s3 / n - 3 * mean * s2 / n + 2 * mean**3
    m4 = s4 / n - 4 * mean * s3 / n + 6 * mean**2 * s2 / n - 3 * mean**4
    return m3 / m2**1.5, m4 / m2**2


def correlation_sample(n_variants: int) -> np.ndarray:
    """Positions of the variants whose daily returns a sweep keeps for ``effective_trials``: at most
    ``CORRELATION_SAMPLE``, evenly spread over the table (grid order walks every parameter)."""
    count = min(CORRELATION_SAMPLE, n_variants)
    return np.unique(np.linspace(0, n_variants - 1, count).astype(int))


@dataclass(frozen=True)
class Cscv:
    """The CSCV outcome: PBO and, per split evaluated, the winner's logit and in / out-of-sample Sharpe."""

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    splits: int
    splits_possible: int
    blocks: int


def cscv(sums: np.ndarray, squares: np.ndarray, counts: np.ndarray, seed: int = 0) -> Cscv:
    """PBO from per-block sums (blocks x variants), squares (blocks x variants) and block lengths (blocks).

    Sharpe ratios are per period (mean / standard deviation, ddof 1), from the sums of the blocks chosen.
    Splits come in pairs: in lexicographic order split i's out-of-sample half is split (C - 1 - i)'s
    in-sample half, so one pair's two Sharpe matrices serve both of its splits (half the work), and a sample
    of splits is a sample of pairs.
    """
    blocks, n_variants = sums.shape
    if blocks % 2:
        raise ValueError(f"CSCV splits the blocks in halves: {blocks} blocks is an odd number")
    splits = np.array(list(itertools.combinations(range(blocks), blocks // 2)))
    possible = len(splits)
    pairs = np.arange(possible // 2)
    wanted = max(MIN_SPLITS, MAX_CELLS // max(n_variants, 1))
    if possible > wanted:
        rng = np.random.default_rng(seed)
        pairs = np.sort(rng.choice(possible // 2, size=max(1, wanted // 2), replace=False))
    chosen = np.zeros((len(pairs), blocks))
    chosen[np.arange(len(pairs))[:, None], splits[pairs]] = 1.0
    # ~0.5 MB arrays that stay in the CPU cache: 40 MB ones made the PBO 4x slower (first touch of memory)
    per_batch = max(1, 2**16 // max(n_variants, 1))
    firsts, seconds = [], []
    for start in range(0, len(pairs), per_batch):
        inside = chosen[start : start + per_batch]
        one = _sharpe(inside @ sums, inside @ squares, inside @ counts)
        other = _sharpe((1 - inside) @ sums, (1 - inside) @ squares, (1 - inside) @ counts)
        for sharpe in (one, other):  # NaN (never moved) ranks lowest, and never wins in sample
            sharpe[~np.isfinite(sharpe)] = -np.inf
        firsts.append(_winner_out_of_sample(one, other))
        seconds.append(_winner_out_of_sample(other, one))
    # in split order: the pairs' first splits (ascending), then their complements (C - 1 - i: descending)
    logits, is_best, oos_best = (
        np.concatenate([np.concatenate(column), np.concatenate(twin)[::-1]])
        for column, twin in zip(zip(*firsts, strict=True), zip(*seconds, strict=True), strict=True)
    )
    return Cscv(
        pbo=float((logits <= 0).mean()),
        logits=logits,
        is_sharpe=is_best,
        oos_sharpe=oos_best,
        splits=len(logits),
        splits_possible=possible,
        blocks=blocks,
    )


def _winner_out_of_sample(is_sharpe: np.ndarray, oos_sharpe: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per split (row): the in-sample winner's logit of its out-of-sample relative rank, and its Sharpe
    in and out of sample."""
    rows = np.arange(len(is_sharpe))
    winner = np.argmax(is_sharpe, axis=1)
    theirs = oos_sharpe[rows, winner]
    below = np.count_nonzero(oos_sharpe < theirs[:, None], axis=1)
    rank = (below + 1) / (is_sharpe.shape[1] + 1)  # relative rank in (0, 1): 1/(N+1) worst, N/(N+1) best
    return np.log(rank / (1 - rank)), is_sharpe[rows, winner], theirs


def _sharpe(total: np.ndarray, squares: np.ndarray, count: np.ndarray) -> np.ndarray:
    """mean / standard deviation (ddof 1) from sums; in place (this is the PBO's inner loop). A variant that
    never moves gets NaN or inf, which ranks like any other number but is never the in-sample winner."""
    count = count[:, None]
    mean = np.divide(total, count, out=total)
    spread = np.multiply(mean, mean)
    spread *= count
    np.subtract(squares, spread, out=spread)
    spread /= count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        np.sqrt(spread, out=spread)
        return np.divide(mean, spread, out=mean)


@dataclass(frozen=True)
class Overfitting:
    """What a sweep's report leads with (annualized Sharpe ratios; DSR and PBO are probabilities)."""

    variants: int
    effective_trials: float
    correlation_sample: int
    best: str
    best_sharpe: float
    expected_max_sharpe: float
    expected_max_sharpe_effective: float
    deflated_sharpe: float
    deflated_sharpe_effective: float
    pbo: float
    splits: int
    splits_possible: int
    blocks: int
    verdict: str

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def measure(
    sharpes: np.ndarray,
    ids: list[str],
    best_shape: tuple[int, float, float],
    sample_returns: np.ndarray,
    split: Cscv,
    periods_per_year: int,
) -> Overfitting:
    """The numbers for a sweep: ``sharpes`` annualized, one per variant (``ids``); ``best_shape`` the best
    variant's number of returns, skewness and kurtosis; ``sample_returns`` (days x sample) for the effective
    number of trials."""
    scale = math.sqrt(periods_per_year)
    finite = np.isfinite(sharpes)
    per_period = sharpes[finite] / scale
    best = int(np.nanargmax(np.where(finite, sharpes, -np.inf)))
    variance = float(per_period.var(ddof=1)) if len(per_period) > 1 else 0.0
    sharpe = float(sharpes[best] / scale)
    n_obs, *shape = best_shape
    n_eff = effective_trials(sample_returns, len(sharpes))

    def deflated(n: float) -> float:
        return deflated_sharpe(sharpe, variance, n, n_obs, *shape)

    numbers = {
        "variants": len(sharpes),
        "effective_trials": n_eff,
        "correlation_sample": int(sample_returns.shape[1]),
        "best": ids[best],
        "best_sharpe": sharpe * scale,
        "expected_max_sharpe": expected_max_sharpe(len(sharpes), variance) * scale,
        "expected_max_sharpe_effective": expected_max_sharpe(n_eff, variance) * scale,
        "deflated_sharpe": deflated(len(sharpes)),
        "deflated_sharpe_effective": deflated(n_eff),
        "pbo": split.pbo,
        "splits": split.splits,
        "splits_possible": split.splits_possible,
        "blocks": split.blocks,
    }
    return Overfitting(**numbers, verdict=verdict(numbers))


def verdict(numbers: dict) -> str:
    """One line in plain words. The effective number of trials drives the deflated Sharpe part (grid variants
    are correlated: counting each as independent would exaggerate the luck); the PBO says whether picking the
    best was a good rule."""
    tried = (
        f"With {numbers['variants']:,} variants tried (about {numbers['effective_trials']:,.0f} independent)"
    )
    best, luck = numbers["best_sharpe"], numbers["expected_max_sharpe_effective"]
    dsr, pbo = numbers["deflated_sharpe_effective"], numbers["pbo"]
    deflated = f"(deflated Sharpe {dsr:.2f})"
    if dsr >= SIGNIFICANT:
        sharpe = f"the best Sharpe of {best:.2f} beats the {luck:.2f} luck alone would give {deflated}"
    else:
        sharpe = f"the best Sharpe of {best:.2f} is what luck alone would give {deflated}"
    below = f"below the median out of sample in {pbo:.0%} of splits"
    choice = (
        f"but picking the best is overfitting: {below}"
        if pbo >= 0.5
        else f"and picking the best holds up: {below}"
    )
    return f"{tried}, {sharpe}; {choice}."
