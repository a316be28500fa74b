"""Independent reference computations for the survey statistics tests.

Written from the textbook definitions with scipy's general-purpose optimisers and root
finders, sharing no code with ``cxlab`` (whose vectorised closed forms they check).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats


def tango_brute(promoters: float, detractors: float, n: float, level: float = 0.95,
                continuity: float = 0.5):
    """Score interval of the NPS ``(P − D)/n`` (shares), found the slow way.

    For each θ the trinomial log-likelihood ``P log p + A log a + D log d`` is maximised
    numerically (scipy ``minimize_scalar``, bounded) over ``d`` subject to ``p = d + θ``,
    ``a = 1 − p − d``; the score statistic is ``(p̂ − d̂ − θ) / sqrt((p̃ + d̃ − θ²)/n)``
    (the variance of ``p̂ − d̂`` under the null), its numerator shrunk towards 0 by
    ``continuity`` answers (half a step of P − D); the interval's ends are the θ where
    it equals ±z (scipy ``brentq``). Tango (1998), *Statistics in Medicine* 17, 891–908,
    derives the same statistic for paired proportions.
    """
    P, D = float(promoters), float(detractors)
    A = n - P - D
    z = stats.norm.ppf(0.5 + level / 2)
    est = (P - D) / n

    def constrained_d(theta):
        lo, hi = max(0.0, -theta), (1.0 - theta) / 2
        if hi - lo < 1e-15:
            return lo

        def nll(d):
            p, a = d + theta, 1 - 2 * d - theta
            out = 0.0
            for k, q in ((P, p), (A, a), (D, d)):
                if k > 0:
                    out -= k * math.log(max(q, 1e-300))
            return out

        r = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                     options={"xatol": 1e-13})
        return r.x

    def score(theta):
        d = constrained_d(theta)
        var = (2 * d + theta - theta ** 2) / n
        num = n * (est - theta)  # in answers, less half a step of P − D (continuity)
        num = math.copysign(max(abs(num) - continuity, 0.0), num)
        return num / n / math.sqrt(max(var, 1e-300))

    lo = -1.0 if score(-1 + 1e-12) <= z else optimize.brentq(
        lambda t: score(t) - z, -1 + 1e-12, est, xtol=1e-13)
    hi = 1.0 if score(1 - 1e-12) >= -z else optimize.brentq(
        lambda t: score(t) + z, est, 1 - 1e-12, xtol=1e-13)
    return lo, hi


def square_and_add(ea, la, ha, eb, lb, hb):
    """Newcombe's (1998) square-and-add interval of ``a − b`` from each one's interval."""
    d = ea - eb
    return (d - math.sqrt((ea - la) ** 2 + (hb - eb) ** 2),
            d + math.sqrt((ha - ea) ** 2 + (eb - lb) ** 2))


def nps_scores(x) -> np.ndarray:
    """+1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6)."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 9, 1.0, np.where(x >= 7, 0.0, -1.0))


def _effective_n(y: np.ndarray, client_ids, level: float) -> tuple[float, float]:
    """(effective n, design effect) of the mean of ``y``: statsmodels' cluster-robust
    variance over ``s²/n``, floored at 1, with Korn & Graubard's ``(z / t_{G−1})²``."""
    import statsmodels.api as sm

    groups = np.unique(np.asarray(client_ids), return_inverse=True)[1]
    fit = sm.OLS(y, np.ones(y.size)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    n = y.size
    deff = float(fit.bse[0] ** 2 / (y.var(ddof=1) / n))
    G = int(groups.max()) + 1
    z = stats.norm.ppf(0.5 + level / 2)
    return n / max(deff, 1.0) * (z / stats.t.ppf(0.5 + level / 2, G - 1)) ** 2, deff


def clustered_nps_interval(scores, client_ids, level: float = 0.95):
    """The NPS score interval on Korn & Graubard's effective counts, the slow way.

    The design effect is statsmodels' cluster-robust variance of the mean NPS score
    (``OLS(y, 1).fit(cov_type="cluster")``) over the variance ``s²/n`` of independent
    answers (floored at 1); the effective n is ``n / deff · (z / t_{G−1})²`` (Korn &
    Graubard 1998, *Survey Methodology* 24); the interval is :func:`tango_brute` on the
    shares times that n. Returns (lo, hi, deff) in points.
    """
    y = nps_scores(scores)
    ne, deff = _effective_n(y, client_ids, level)
    p, d = float(np.mean(y == 1)), float(np.mean(y == -1))
    lo, hi = tango_brute(p * ne, d * ne, ne, level)
    return 100 * lo, 100 * hi, deff


def clustered_wilson(success, client_ids, level: float = 0.95):
    """Wilson's interval on Korn & Graubard's effective counts (statsmodels' cluster-
    robust variance of the share for the design effect; see
    :func:`clustered_nps_interval`). Returns (lo, hi, deff) as shares."""
    from statsmodels.stats.proportion import proportion_confint

    y = np.asarray(success, dtype=float)
    ne, deff = _effective_n(y, client_ids, level)
    lo, hi = proportion_confint(y.mean() * ne, ne, alpha=1 - level, method="wilson")
    return float(lo), float(hi), deff
