"""Interval and test formulas the metrics share: the score interval of an NPS, the
square-and-add interval of a difference, and the permutation test for small groups.

**NPS score interval.** An NPS is ``p − d``, the difference of two cells of one
trinomial (promoters, passives, detractors). That is exactly the structure of a
difference of paired proportions (the two discordant cells of a 2 × 2 table), whose
score interval is Tango's (1998): for each candidate ``θ`` the detractor share is
re-estimated by maximum likelihood under ``p − d = θ`` (a quadratic), and ``θ`` is in the
interval when the score statistic is within ``±z``. The statistic carries the usual
continuity correction, half a step of ``P − D`` (:data:`CONTINUITY`): without it the
interval's coverage dips to 0.936 where there are no detractors at all (NPS 60, 40 %
passives, n = 44), as a Wilson interval's does near 0 and 1; with it the minimum over
NPS 0–90 and n 30–500 is ≥ 0.94 at 95 % (``benchmarks/interval_coverage.py``) for
intervals 4 % wider on average. The adjusted Wald (Rocks 2016) falls to 0.93 at NPS 90 and n = 37 and
the Wald to 0.74. The interval needs no pseudo-answers, never leaves −100…100 and does
not collapse to a point when every answer is a promoter.
Counts may be fractional: with repeat answers they are the effective counts
``count / deff`` (:mod:`cxlab._design`).

**Differences** (between groups, or from one quarter to the next) use Newcombe's
square-and-add (MOVER, Zou & Donner 2008) on the two groups' own score intervals — the
same construction as Newcombe's interval for two proportions, which the yes/no metrics
use — so a difference's interval is consistent with the levels' intervals shown beside
it, and does not collapse either.

**Small groups.** A large-sample test from a handful of answers is not evidence (three
promoters against 1,000 answers: z gives p = 1e-180). :func:`permutation_p` gives the
exact two-sided permutation p-value of a difference of means (all arrangements when
there are at most 20,000, else 10,000 random ones, seeded; ``(1 + k)/(1 + B)``).

References
----------
Tango, T. (1998). Equivalence test and confidence interval for the difference in
proportions for the paired-sample design. *Statistics in Medicine* 17, 891–908.
Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
proportions based on paired data. *Statistics in Medicine* 17, 2635–2650.
Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures:
a general approach. *Statistics in Medicine* 27, 1693–1702.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["nps_score_interval", "mover", "permutation_p"]

_BISECTIONS = 60  # interval ends to 2^-59 of the width 2: far below any shown digit


#: Continuity correction of the score statistic, in answers: half a step of ``P − D``.
CONTINUITY = 0.5


def _tango_z(b, c, n, theta):
    """Tango's score statistic for ``θ = (b − c)/n`` at ``theta`` (arrays broadcast),
    with the continuity correction :data:`CONTINUITY`."""
    A = 2.0 * n
    B = -b - c + (2.0 * n - b + c) * theta
    C = -c * theta * (1.0 - theta)
    disc = np.maximum(B * B - 4.0 * A * C, 0.0)
    pc = (-B + np.sqrt(disc)) / (2.0 * A)  # detractor share under the null
    var = n * (2.0 * pc + theta * (1.0 - theta))
    num = b - c - n * theta
    num = np.sign(num) * np.maximum(np.abs(num) - CONTINUITY, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / np.sqrt(np.maximum(var, 1e-300))


def nps_score_interval(promoters, detractors, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Tango's score interval of ``(promoters − detractors)/n`` (shares, −1…1).

    Vectorised; fractional counts allowed; NaN where ``n`` ≤ 0. The statistic is
    decreasing in ``θ``, so each end is found by bisection on ``[−1, est]`` / ``[est, 1]``.
    """
    b = np.asarray(promoters, dtype=float)
    c = np.asarray(detractors, dtype=float)
    n = np.asarray(n, dtype=float)
    b, c, n = np.broadcast_arrays(b, c, n)
    ok = n > 0
    nn = np.where(ok, n, 1.0)
    est = np.where(ok, (b - c) / nn, 0.0)
    lo_a, lo_b = np.full(est.shape, -1.0), est.copy()
    hi_a, hi_b = est.copy(), np.ones(est.shape)
    for _ in range(_BISECTIONS):
        m = (lo_a + lo_b) / 2
        above = _tango_z(b, c, nn, m) > z  # m is still below the lower end
        lo_a, lo_b = np.where(above, m, lo_a), np.where(above, lo_b, m)
        m = (hi_a + hi_b) / 2
        below = _tango_z(b, c, nn, m) < -z  # m is already above the upper end
        hi_a, hi_b = np.where(below, hi_a, m), np.where(below, m, hi_b)
    lo = np.where(ok, (lo_a + lo_b) / 2, np.nan)
    hi = np.where(ok, (hi_a + hi_b) / 2, np.nan)
    return lo, hi


def mover(est_a, lo_a, hi_a, est_b, lo_b, hi_b) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's square-and-add interval of ``a − b`` from each one's own interval."""
    ea, la, ha = (np.asarray(x, dtype=float) for x in (est_a, lo_a, hi_a))
    eb, lb, hb = (np.asarray(x, dtype=float) for x in (est_b, lo_b, hi_b))
    d = ea - eb
    return (d - np.sqrt((ea - la) ** 2 + (hb - eb) ** 2),
            d + np.sqrt((ha - ea) ** 2 + (eb - lb) ** 2))


def permutation_p(ya: np.ndarray, yb: np.ndarray, *, seed: int = 0,
                  exact_max: int = 20_000, n_perm: int = 10_000) -> float:
    """Two-sided permutation p-value of ``mean(ya) − mean(yb)`` (NaN without two sides).

    The test assumes the answers are exchangeable under the null (independent answers);
    it is used where a large-sample test would not be valid at all.
    """
    ya = np.asarray(ya, dtype=float)
    yb = np.asarray(yb, dtype=float)
    na, nb = ya.size, yb.size
    if na == 0 or nb == 0:
        return float("nan")
    pool = np.concatenate([ya, yb])
    total, N = pool.sum(), pool.size
    small = min(na, nb)
    obs = abs(ya.mean() - yb.mean())
    tol = 1e-9 * max(1.0, obs)

    def stat(sums_small):  # the difference from the sum of the smaller side's values
        other = (total - sums_small) / (N - small)
        mine = sums_small / small
        return np.abs(mine - other)

    if math.comb(N, small) <= exact_max:
        from itertools import combinations

        sums = np.fromiter((pool[list(ix)].sum() for ix in combinations(range(N), small)),
                           dtype=float)
        return float(np.mean(stat(sums) >= obs - tol))
    rng = np.random.default_rng(seed)
    if N >= _MANY:
        values, counts = np.unique(pool, return_counts=True)
        if len(values) <= _VALUES:  # scores, yes/no: the smaller side's count of each value
            drawn = rng.multivariate_hypergeometric(counts, small, size=n_perm)
            hits = int((stat(drawn @ values) >= obs - tol).sum())
            return (1 + hits) / (1 + n_perm)
    few = N >= _MANY and small * small <= N  # a few answers against very many
    hits, done = 0, 0
    chunk = max(1, min(n_perm, 2_000_000 // (small if few else N)))
    while done < n_perm:
        k = min(chunk, n_perm - done)
        if few:
            pick = _distinct_draws(rng, N, small, k)
        else:
            pick = np.argpartition(rng.random((k, N)), small - 1, axis=1)[:, :small]
        hits += int((stat(pool[pick].sum(axis=1)) >= obs - tol).sum())
        done += k
    return (1 + hits) / (1 + n_perm)


#: From this many answers on, a permutation is not drawn as a random order of all N
#: (which costs N per permutation: minutes for ten thousand permutations of a million).
#: Answers of at most :data:`_VALUES` distinct values (scores, yes/no): the smaller
#: side's count of each value, which for a uniformly random subset is multivariate
#: hypergeometric — drawn directly, and its sum is the side's sum. Other answers, when the
#: smaller side has at most √N: its positions (:func:`_distinct_draws`). Exact either
#: way: the same permutation distribution, other draws than a random order.
_MANY = 20_000
_VALUES = 64


def _distinct_draws(rng: np.random.Generator, N: int, small: int, k: int) -> np.ndarray:
    """``k`` uniformly random sets of ``small`` distinct positions out of ``N`` (rows of a
    ``k × small`` array): positions drawn with replacement, the rows with a repeat drawn
    again — conditioning on no repeat leaves every set equally likely. With
    ``small² ≤ N`` fewer than half the rows repeat."""
    pick = rng.integers(0, N, size=(k, small))
    while True:
        s = np.sort(pick, axis=1)
        bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
        if not len(bad):
            return pick
        pick[bad] = rng.integers(0, N, size=(len(bad), small))
