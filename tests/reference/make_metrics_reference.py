"""Reference numbers for tests/test_metrics.py, computed from the published formulas with
the Python standard library only (no numpy, scipy, statsmodels or cxlab), so that the
tests compare cxlab against an independent computation.

Run:  python tests/reference/make_metrics_reference.py  (rewrites metrics_reference.json)

Sources
- Trinomial NPS variance (p + d − (p − d)²), SE = sqrt(var/n): Rocks (2016), The American
  Statistician 70(4):365–372, and the R package NPS (brendan-r/NPS, R/nps.R: npvar(),
  nps.se()). Counts D/Pa/P = 1/2/3 → NPS 1/3, var 5/9, SE sqrt(5/54) ≈ 0.3043.
- Adjusted Wald (Rocks 2016): add 3/4 promoter and 3/4 detractor, n + 3, then Wald.
- Wilson (1927) score interval: centre (p + z²/2n)/(1 + z²/n), half-width
  z/(1 + z²/n)·sqrt(p(1 − p)/n + z²/4n²). 81 of 263 → [0.2553, 0.3662].
"""

import json
from math import sqrt
from pathlib import Path
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)


def wald(P, A, D, z=Z95):
    n = P + A + D
    p, d = P / n, D / n
    e = p - d
    se = sqrt((p + d - e * e) / n)
    return 100 * e, 100 * se, 100 * (e - z * se), 100 * (e + z * se)


def adjusted_wald(P, A, D, z=Z95):
    nt = P + A + D + 3
    p, d = (P + 0.75) / nt, (D + 0.75) / nt
    e = p - d
    se = sqrt((p + d - e * e) / nt)
    return 100 * max(-1, e - z * se), 100 * min(1, e + z * se)


def wilson(x, n, z=Z95):
    p = x / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return c - h, c + h


ref = {
    "rocks_1_2_3": {"counts_P_A_D": [3, 2, 1], "nps_unit": 1 / 3, "variance": 5 / 9,
                    "se_unit": sqrt(5 / 9 / 6)},
    "wald_200_200_100": dict(zip(["nps", "se", "ci_low", "ci_high"], wald(200, 200, 100))),
    "adjusted_wald": {
        f"{P}_{A}_{D}": dict(zip(["ci_low", "ci_high"], adjusted_wald(P, A, D)))
        for P, A, D in [(3, 2, 1), (200, 200, 100), (10, 0, 0), (0, 5, 15), (45, 30, 25)]
    },
    "wilson_81_263": dict(zip(["ci_low", "ci_high"], wilson(81, 263))),
}

if __name__ == "__main__":
    out = Path(__file__).with_name("metrics_reference.json")
    out.write_text(json.dumps(ref, indent=2) + "\n")
    print(json.dumps(ref, indent=2))
