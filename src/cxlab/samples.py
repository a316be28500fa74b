"""Synthetic sample data for «ДетиЛюбят» (kids' creative workshops) with planted truths.

:func:`generate` builds six tables (clients, visits, responses, invitations, contacts,
complaints) from one seed and writes them as CSV to ``data/samples/``; :func:`load` reads
a committed table back, typed by :func:`cxlab.schema.validate`; :data:`TRUTHS` holds the
truths planted in the data, so that tests and notebooks can check that the analysis finds
them. ``data/samples/README.md`` is the data dictionary and lists the same numbers.

How the data is made (one pass, in this order):

1. **clients**: 2,500 families, 2,000 joining 2024-10-01…2026-09-30 and 500 in the year
   before; each has its own latent factor scores (its experience with us) and a latent
   loyalty ``u ~ N(0, 1)`` that grows with them; ~10 % never attend.
2. **visits**: weekly-ish workshop visits over a lifetime that grows with ``u`` (churn
   tied to loyalty), some weekend hikes, summer camp shifts.
3. **complaints**: about one per 20 active clients per quarter, from less loyal
   clients more often, plus a surge of «Организация лагеря» in 2025Q3.
4. **contacts**: requests in chains; a contact is followed by a repeat contact on the
   same topic within 7 days with probability ``1 - FCR(channel)``.
5. **invitations / responses**: survey events (first lesson, repeat lessons, after a
   hike or a camp, periodic, lapsed), a channel each, a response with the channel's
   response rate. A response's latent score is
   ``y = Σ β_k h_k(z_k) + 0.5 u + shifts + ε`` where ``z ~ N(0, R)`` are the eight
   latent factor scores (ratings 1–5 are ``z`` cut at thresholds), ``h_k(z) = z`` but
   for the must-be factor (safety: steep below a rating of 4, flat above) and the
   delighter (price_value: steep only where it earns a 5) — see :data:`SHAPES` — and
   the shifts are the planted lapsed, camp, channel, quarter, complaint and teacher
   effects; NPS 0–10 is ``y`` cut at thresholds. Interviewer I07 records a 10 most of
   the time.
6. **referrals**: a client whose first 0–10 answer is a promoter / passive / detractor
   brings a new family with probability 0.30 / 0.10 / 0.03 (``clients.referred_by``).

Only :class:`numpy.random.Generator` (``default_rng(seed)``) draws random numbers, in a
fixed order, so the same seed gives byte-identical files.

Size: over 800 lines on purpose: the seeded generator of the whole sample business
(clients, visits, answers, complaints, contacts, invitations) with the truths it plants;
the tests recover those truths, so they are kept together.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import schema
from cxlab.errors import ParameterError, ReadError
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR

DEFAULT_SEED = 20241001
TABLE_ORDER = ("clients", "visits", "responses", "invitations", "contacts", "complaints")

START = np.datetime64("2024-10-01", "D")  # first day of 2024Q4
END = np.datetime64("2026-09-30", "D")  # last day of 2026Q3: data ends here
EARLY_START = np.datetime64("2023-09-01", "D")  # clients who joined before the window
QUARTERS = ("2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")

# ----------------------------------------------------------------- the planted model

#: Loyalty factors, in the order of the planted correlation matrix and weights.
FACTORS = (
    "teacher_attention", "child_enjoyment", "teacher_feedback", "safety",
    "price_value", "schedule", "booking_ease", "cleanliness",
)
#: Standardized effect of each latent factor score on the latent NPS score.
FACTOR_WEIGHTS = np.array([0.45, 0.42, -0.08, 0.25, 0.22, 0.10, 0.08, 0.06])

_PAIRS = {
    ("teacher_attention", "child_enjoyment"): 0.40,
    ("teacher_attention", "teacher_feedback"): 0.88,
    ("teacher_attention", "safety"): 0.30,
    ("teacher_attention", "price_value"): 0.25,
    ("teacher_attention", "schedule"): 0.20,
    ("teacher_attention", "booking_ease"): 0.20,
    ("teacher_attention", "cleanliness"): 0.25,
    ("child_enjoyment", "teacher_feedback"): 0.35,
    ("child_enjoyment", "safety"): 0.30,
    ("child_enjoyment", "price_value"): 0.30,
    ("child_enjoyment", "schedule"): 0.20,
    ("child_enjoyment", "booking_ease"): 0.20,
    ("child_enjoyment", "cleanliness"): 0.25,
    ("teacher_feedback", "safety"): 0.25,
    ("teacher_feedback", "price_value"): 0.20,
    ("teacher_feedback", "schedule"): 0.20,
    ("teacher_feedback", "booking_ease"): 0.20,
    ("teacher_feedback", "cleanliness"): 0.20,
    ("safety", "price_value"): 0.20,
    ("safety", "schedule"): 0.20,
    ("safety", "booking_ease"): 0.20,
    ("safety", "cleanliness"): 0.40,
    ("price_value", "schedule"): 0.30,
    ("price_value", "booking_ease"): 0.25,
    ("price_value", "cleanliness"): 0.20,
    ("schedule", "booking_ease"): 0.40,
    ("schedule", "cleanliness"): 0.20,
    ("booking_ease", "cleanliness"): 0.20,
}


def _factor_corr() -> np.ndarray:
    r = np.eye(len(FACTORS))
    for (a, b), v in _PAIRS.items():
        i, j = FACTORS.index(a), FACTORS.index(b)
        r[i, j] = r[j, i] = v
    return r


#: Planted correlation matrix of the latent factor scores (order of :data:`FACTORS`).
FACTOR_CORR = _factor_corr()
_FACTOR_SD = math.sqrt(float(FACTOR_WEIGHTS @ FACTOR_CORR @ FACTOR_WEIGHTS))

#: Share of the ratings 1..5 for each factor (the thresholds that cut the latent scores):
#: "performance" differs by factor so that importance and performance disagree.
RATING_SHARES = {
    "teacher_attention": (0.02, 0.05, 0.15, 0.35, 0.43),
    "child_enjoyment": (0.01, 0.04, 0.12, 0.33, 0.50),
    "teacher_feedback": (0.04, 0.10, 0.22, 0.34, 0.30),
    "safety": (0.01, 0.03, 0.10, 0.31, 0.55),
    "price_value": (0.06, 0.14, 0.30, 0.30, 0.20),
    "schedule": (0.05, 0.12, 0.28, 0.30, 0.25),
    "booking_ease": (0.03, 0.06, 0.18, 0.35, 0.38),
    "cleanliness": (0.01, 0.03, 0.10, 0.30, 0.56),
}
#: Asymmetric factors (seeds 003/004: what must not go wrong vs what delights, "loyal
#: client = expectation + 1"). Their term in the latent score is ``β · h(z)`` with
#: ``h(z) = (1 − m)·z + m·s·(g(z) − E g)``: partly linear, partly (``m``) kinked at ``c``.
#: A *must-be* factor has ``g = min(z, c)``: steep below the kink, flat-ish above; a
#: *delighter* has ``g = max(z, c)``: the reverse. ``c`` is a rating boundary —
#: safety's between 3 and 4 ("below good, a parent worries; beyond good, nobody gives
#: extra credit for being safe"), price_value's between 4 and 5 (only a 5, "more than we
#: paid for", earns promoters: expectation + 1) — and ``s`` is 1 / P(z < c) (must-be) or
#: 1 / P(z > c) (delighter), so the average slope ``E h'(z)`` is 1: by Stein's lemma every
#: covariance of the score with the latent factor scores (and with ``u``) is that of the
#: linear model, and the population Shapley shares (:func:`shapley_shares`,
#: ``TRUTHS["factors"]["shapley_shares"]``) are unchanged. ``m`` is as large as keeps the
#: Shapley shares of the 1–5 *ratings* within 0.04 of those (a linear analysis of ratings
#: sees a must-be's steep low end, spread over ratings 1–3, more than its latent share,
#: and a delighter's top, all of it rated 5, less). child_enjoyment, the seeds' other
#: candidate delighter, is top-heavy — half its ratings are 5 — so a kink there would
#: overturn its planted share; price_value has room above its kink.
MUST_BE = "safety"
DELIGHTER = "price_value"
#: The rating at whose lower boundary the kink lies: safety's 3|4 cut, price's 4|5 cut.
ASYMMETRY_KINK_AT = {MUST_BE: 4, DELIGHTER: 5}
#: How much of each asymmetric factor's effect is kinked (the rest stays linear).
ASYMMETRY_MIX = {MUST_BE: 0.5, DELIGHTER: 0.6}


def _kink(factor: str) -> float:
    """The latent cut between rating ``ASYMMETRY_KINK_AT[factor] − 1`` and that rating."""
    from statistics import NormalDist

    k = ASYMMETRY_KINK_AT[factor]
    return NormalDist().inv_cdf(sum(RATING_SHARES[factor][:k - 1]) / sum(RATING_SHARES[factor]))


def _std_normal(c: float) -> tuple[float, float]:
    """(Φ(c), φ(c)) of the standard normal."""
    return 0.5 * (1 + math.erf(c / math.sqrt(2))), math.exp(-c * c / 2) / math.sqrt(2 * math.pi)


def _shape_moments(kind: str, c: float) -> tuple[float, float, float]:
    """(scale s, mean, variance of the unscaled shape) of ``min(z, c)`` (kind "must_be")
    or ``max(z, c)`` ("delighter") for ``z ~ N(0, 1)``; closed forms of the truncated
    normal moments."""
    Phi, phi = _std_normal(c)
    if kind == "must_be":
        mean = c * (1 - Phi) - phi
        second = c * c * (1 - Phi) + Phi - c * phi
        return 1 / Phi, mean, second - mean * mean
    mean = c * Phi + phi
    second = c * c * Phi + (1 - Phi) + c * phi
    return 1 / (1 - Phi), mean, second - mean * mean


def _pure_shape(kind: str, c: float, z) -> np.ndarray:
    """``s · (g(z) − E g)``: the kinked part alone (mean 0, ``E`` of its slope = 1)."""
    s, mean, _ = _shape_moments(kind, c)
    g = np.minimum(z, c) if kind == "must_be" else np.maximum(z, c)
    return s * (g - mean)


def _shape(kind: str, c: float, mix: float, z) -> np.ndarray:
    """The asymmetric term ``h(z) = (1 − mix)·z + mix·s·(g(z) − E g)`` (mean 0, average
    slope 1)."""
    return (1 - mix) * z + mix * _pure_shape(kind, c, z)


def _slopes(kind: str, c: float, mix: float) -> tuple[float, float]:
    """(slope of ``h`` below the kink, slope above it)."""
    s = _shape_moments(kind, c)[0]
    steep, flat = 1 - mix + mix * s, 1 - mix
    return (steep, flat) if kind == "must_be" else (flat, steep)


#: The planted shapes: factor → (kind, kink on the latent scale, mix).
SHAPES = {f: (kind, _kink(f), ASYMMETRY_MIX[f])
          for f, kind in ((MUST_BE, "must_be"), (DELIGHTER, "delighter"))}


def _factor_term(z: np.ndarray) -> np.ndarray:
    """``Σ_k β_k h_k(z_k)``: the latent factor scores' part of the latent NPS score."""
    h = np.array(z, dtype=float, copy=True)
    for f, shape in SHAPES.items():
        j = FACTORS.index(f)
        h[:, j] = _shape(*shape, z[:, j])
    return h @ FACTOR_WEIGHTS


def _pure_shape_cov(a: tuple[str, float], b: tuple[str, float], rho: float) -> float:
    """``Cov`` of the kinked parts of two latent scores that correlate ``rho``: one
    integral over ``z_a`` of ``a(z_a) · E[b(z_b) | z_a]``, the inner expectation in closed
    form (``z_b | z_a ~ N(rho z_a, 1 − rho²)``)."""
    from scipy.integrate import quad

    sd = math.sqrt(1 - rho * rho)
    s_b, mean_b, _ = _shape_moments(*b)

    def inner(za: float) -> float:
        mu = rho * za
        Phi, phi = _std_normal((b[1] - mu) / sd)
        e_max = b[1] * Phi + mu * (1 - Phi) + sd * phi  # E max(X, c) of X ~ N(mu, sd²)
        g = e_max if b[0] == "delighter" else mu + b[1] - e_max  # min + max = X + c
        return s_b * (g - mean_b)

    def f(za: float) -> float:
        return float(_pure_shape(a[0], a[1], za)) * inner(za) * _std_normal(za)[1]

    return sum(quad(f, lo, hi, epsabs=1e-12, epsrel=1e-12, limit=200)[0]
               for lo, hi in ((-np.inf, a[1]), (a[1], np.inf)))


def _factor_term_cov() -> np.ndarray:
    """Covariance matrix of the terms ``h_k(z_k)``, exact.

    A shaped term's covariance with a linear one is still ``R_jk`` (Stein's lemma: its
    average slope is 1). Its variance is ``(1 − m)² + m² s² var g + 2 m (1 − m)``; two
    shaped terms covary ``ρ (1 − m_a m_b) + m_a m_b Cov(kinked parts)``."""
    c = FACTOR_CORR.copy()
    for f, (kind, kink, mix) in SHAPES.items():
        j = FACTORS.index(f)
        s, _, var = _shape_moments(kind, kink)
        c[j, j] = (1 - mix) ** 2 + mix ** 2 * s * s * var + 2 * mix * (1 - mix)
    for f, g in itertools.combinations(SHAPES, 2):
        i, j = FACTORS.index(f), FACTORS.index(g)
        ma, mb = SHAPES[f][2], SHAPES[g][2]
        rho = FACTOR_CORR[i, j]
        c[i, j] = c[j, i] = (rho * (1 - ma * mb) + ma * mb
                             * _pure_shape_cov(SHAPES[f][:2], SHAPES[g][:2], rho))
    return c


#: sd of ``Σ β_k h_k(z_k)`` (the linear model's would be ``_FACTOR_SD``).
_TERM_SD = math.sqrt(float(FACTOR_WEIGHTS @ _factor_term_cov() @ FACTOR_WEIGHTS))


#: Share of "not applicable" (empty) answers per factor; teacher_feedback is empty more
#: often after hikes and camps (no teacher talks to the parent there).
NA_SHARE = {"teacher_attention": 0.0, "child_enjoyment": 0.0, "teacher_feedback": 0.06,
            "safety": 0.04, "price_value": 0.03, "schedule": 0.08, "booking_ease": 0.05,
            "cleanliness": 0.05}
NA_SHARE_TEACHER_FEEDBACK_HIKE_CAMP = 0.30

#: NPS 0..10 distribution of a baseline response (the cut points of the latent score).
NPS_SHARES = (0.02, 0.01, 0.01, 0.02, 0.02, 0.05, 0.07, 0.11, 0.19, 0.27, 0.23)
CSAT_SHARES = (0.03, 0.05, 0.15, 0.37, 0.40)

CLIENT_EFFECT = 0.5  # latent loyalty u's weight on the latent NPS score
CLIENT_SHARE = 0.5  # share of a factor score's variance that is the family's own (stable)
LOYALTY_FROM_EXPERIENCE = 0.6  # corr(u, the family's own β·z)
NOISE_SD = 0.7
# Shifts of the latent score (its baseline sd is ~1.35), calibrated once so that the NPS
# gaps in points on the default seed come out as in TRUTHS (see README). Much of the
# lapsed and camp gaps is selection (less loyal families churn and skip camps), so their
# own shifts are small; the quarter and channel shifts carry their gaps alone.
SHIFT_LAPSED = -0.04
SHIFT_CAMP = 0.16
SHIFT_CHANNEL = {"phone": 0.0, "messenger": -0.06, "web": -0.12}
SHIFT_QUARTER = {"2024Q4": 0.0, "2025Q1": 0.02, "2025Q2": 0.05, "2025Q3": -0.23,
                 "2025Q4": 0.05, "2026Q1": 0.07, "2026Q2": 0.08, "2026Q3": 0.08}
SHIFT_AFTER_COMPLAINT = -0.35  # responses within 365 days after the client's complaint
TEACHER_EFFECT_SD = 0.10

GAMED_INTERVIEWER = "I07"
GAMED_SHARE = 0.88  # I07 writes down 10 instead of the answer this often
INTERVIEWERS = ("I01", "I02", "I03", "I04", "I05", "I06", "I07")
INTERVIEWER_WEIGHTS = (0.17, 0.17, 0.16, 0.16, 0.14, 0.11, 0.09)

RESPONSE_RATE = {"phone": 0.45, "messenger": 0.25, "web": 0.12}
SURVEY_CHANNEL_SHARES = {"phone": 0.42, "messenger": 0.30, "web": 0.28}
PERIODIC_SHARE = 0.75  # share of active clients invited to the monthly pulse
FCR = {"phone": 0.80, "messenger": 0.70, "web": 0.60, "email": 0.55, "in_person": 0.85}
CONTACT_CHANNEL_SHARES = {"phone": 0.34, "messenger": 0.34, "web": 0.16, "email": 0.09,
                          "in_person": 0.07}
REFERRAL_RATE = {"promoter": 0.30, "passive": 0.10, "detractor": 0.03}
NEVER_ATTEND_SHARE = 0.09  # plus late joiners who have not come yet: ~10 % in all
COMPLAINTS_PER_ACTIVE_CLIENT_QUARTER = 0.05
CAMP_SURGE_2025Q3 = 24  # extra «Организация лагеря» complaints in 2025Q3
DEADLINE_WORKING_DAYS = {"critical": 1, "medium": 3, "low": 5}
RESOLUTION_MEDIAN_HOURS = {"phone": 20.0, "in_person": 16.0, "messenger": 24.0, "web": 30.0,
                           "review_site": 36.0, "email": 120.0}
RESOLUTION_SIGMA = 0.6  # log-normal sigma of the hours to resolve
LOYAL_AFTER_IF_SATISFIED = 0.70
LOYAL_AFTER_IF_NOT_SATISFIED = 0.15


def shapley_shares(corr: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact population Shapley (LMG) shares of R² for ``y = weights · z``, ``z ~ N(0, corr)``.

    The correlation of each factor with ``y`` is ``r = corr @ weights / sd(y)``; see
    :func:`shapley_from_corr` for the decomposition. Shares are the Shapley values
    divided by their sum (the full R²), so noise added to ``y`` (which scales every R²
    alike) does not change them.
    """
    r = corr @ weights / math.sqrt(float(weights @ corr @ weights))
    phi = shapley_from_corr(corr, r)
    return phi / phi.sum()


def shapley_from_corr(corr: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Shapley values of R² from the predictors' correlation matrix and their correlations
    with the target, by brute force over all subsets.

    R² of a subset S is ``r_S' R_SS⁻¹ r_S``; the Shapley value of predictor j averages
    its R² increment over the 2^(p−1) subsets without it, with weight
    ``|S|! (p − |S| − 1)! / p!``. The values sum to the full R².
    """
    p = len(r)
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for s in itertools.combinations(range(p), k):
            idx = list(s)
            r2[s] = float(r[idx] @ np.linalg.solve(corr[np.ix_(idx, idx)], r[idx]))
    phi = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for s in itertools.combinations(others, k):
                phi[j] += w * (r2[tuple(sorted(s + (j,)))] - r2[s])
    return phi


_SHARES = shapley_shares(FACTOR_CORR, FACTOR_WEIGHTS)

#: The truths planted in the sample data. Targets are what an analysis of the committed
#: CSVs should find (within sampling noise); ``measured`` values are in the README.
TRUTHS: dict = {
    "seed": DEFAULT_SEED,
    "period": ("2024-10-01", "2026-09-30"),
    "quarters": QUARTERS,
    "factors": {
        "columns": tuple("f_" + f for f in FACTORS),
        "weights": {"f_" + f: float(w) for f, w in zip(FACTORS, FACTOR_WEIGHTS)},
        "correlation": {("f_" + a, "f_" + b): v for (a, b), v in _PAIRS.items()},
        # by own effect (weight); Shapley ranks child_enjoyment first, and gives
        # teacher_feedback a sizeable share through its correlation with attention
        "importance_order": ("f_teacher_attention", "f_child_enjoyment", "f_safety",
                             "f_price_value", "f_schedule", "f_booking_ease",
                             "f_cleanliness", "f_teacher_feedback"),
        "shapley_shares": {"f_" + f: round(float(s), 4) for f, s in zip(FACTORS, _SHARES)},
        # asymmetric effects (cxlab.asymmetry): a low safety rating makes detractors, a
        # high one adds little; a top price_value rating makes promoters, a low one costs
        # little; every other factor's effect is linear (symmetric)
        "must_be": "f_" + MUST_BE,
        "delighter": "f_" + DELIGHTER,
        "shapes": {"f_" + f: {"kind": kind, "kink_at_rating": ASYMMETRY_KINK_AT[f],
                              "kink_latent": round(c, 4), "mix": m,
                              "slope_below": round(_slopes(kind, c, m)[0], 3),
                              "slope_above": round(_slopes(kind, c, m)[1], 3)}
                   for f, (kind, c, m) in SHAPES.items()},
        "linear": tuple("f_" + f for f in FACTORS if f not in SHAPES),
        "zero_effect_correlated": "f_teacher_feedback",
        "correlated_with": "f_teacher_attention",
        "correlation_pair_r": 0.88,  # latent scores; the 1–5 ratings correlate ≈ 0.8
        "rating_shares": {"f_" + f: v for f, v in RATING_SHARES.items()},
        "na_share": {"f_" + f: v for f, v in NA_SHARE.items()},
    },
    "nps": {
        "overall_range": (30, 45),
        "lapsed_gap": -25,  # NPS points, lapsed (no visit in the 90 days before) vs the rest
        "lapsed_days": 90,
        "camp_gap": 15,  # NPS points, camp visit in the 365 days before vs the rest
        "camp_days": 365,
        "phone_vs_web_gap": 12,  # NPS points, phone (without I07) minus web; I07 adds ~5
        "channel_order": ("phone", "messenger", "web"),
        "drop_quarter": "2025Q3",
        "drop_vs_previous": -15,  # NPS points, 2025Q3 minus 2025Q2 (recovers in 2025Q4)
        "complainant_lower": True,
        "shifts_latent": {"lapsed": SHIFT_LAPSED, "camp": SHIFT_CAMP,
                          "channel": dict(SHIFT_CHANNEL), "quarter": dict(SHIFT_QUARTER),
                          "after_complaint": SHIFT_AFTER_COMPLAINT,
                          "client_loyalty": CLIENT_EFFECT, "noise_sd": NOISE_SD,
                          "teacher_sd": TEACHER_EFFECT_SD},
    },
    "gaming": {"interviewer": GAMED_INTERVIEWER, "share_10": 0.90, "others_share_10": 0.25},
    "referrals": {"rate": dict(REFERRAL_RATE),
                  "class_by": "the client's first 0–10 answer; the referred family joins "
                              "7–180 days after it"},
    "response_rate": dict(RESPONSE_RATE),
    "fcr": dict(FCR),
    "fcr_window_days": 7,
    "never_attended_share": 0.10,
    "binary_nps": {"survey": "periodic", "channel": "web", "quarter": "2024Q4"},
    "complaints": {
        "per_active_client_quarter": COMPLAINTS_PER_ACTIVE_CLIENT_QUARTER,
        "slowest_channel": "email",
        "surge_category": "Организация лагеря",
        "surge_quarter": "2025Q3",
        "satisfied_not_loyal_share": round(1 - LOYAL_AFTER_IF_SATISFIED, 2),
        "deadline_working_days": dict(DEADLINE_WORKING_DAYS),
        "resolution_median_hours": dict(RESOLUTION_MEDIAN_HOURS),
    },
}

#: The same truths as measured on the committed sample data (default seed) by
#: :func:`measure`; tests check that the two agree, so this is always current.
TRUTHS["measured"] = {
    "n_rows": {
        "clients": 2500,
        "visits": 25620,
        "responses": 5865,
        "invitations": 20187,
        "contacts": 6833,
        "complaints": 318
    },
    "nps_overall": 40.8,
    "nps_by_channel": {"messenger": 36.5, "phone": 44.7, "web": 27.3},
    "nps_phone_without_gamed": 40.0,
    "nps_by_quarter": {
        "2024Q4": 46.4,
        "2025Q1": 38.0,
        "2025Q2": 45.2,
        "2025Q3": 28.8,
        "2025Q4": 41.4,
        "2026Q1": 39.7,
        "2026Q2": 43.7,
        "2026Q3": 45.6
    },
    "nps_by_quarter_phone": {
        "2024Q4": 41.4,
        "2025Q1": 43.3,
        "2025Q2": 49.2,
        "2025Q3": 31.4,
        "2025Q4": 46.8,
        "2026Q1": 43.0,
        "2026Q2": 46.2,
        "2026Q3": 51.6
    },
    "drop_vs_previous": -16.4,
    "drop_vs_next": -12.6,
    "lapsed_gap": -23.3,
    "lapsed_n": 274,
    "camp_gap": 14.0,
    "camp_n": 1009,
    "phone_vs_web_gap": 12.7,
    "phone_vs_web_gap_with_gamed": 17.4,
    "gamed_share_10": 0.908,
    "gamed_n": 338,
    "others_share_10": 0.26,
    "referral_rate": {"detractor": 0.015, "passive": 0.096, "promoter": 0.314},
    "response_rate": {"messenger": 0.245, "phone": 0.454, "web": 0.119},
    "fcr": {
        "email": 0.553,
        "in_person": 0.812,
        "messenger": 0.689,
        "phone": 0.783,
        "web": 0.608
    },
    "never_attended_share": 0.098,
    "binary_n": 106,
    "binary_yes_share": 0.896,
    "complaint_median_hours": {
        "email": 115.6,
        "in_person": 16.5,
        "messenger": 25.5,
        "phone": 18.3,
        "review_site": 43.4,
        "web": 25.4
    },
    "camp_complaints_by_quarter": {
        "2024Q4": 1,
        "2025Q1": 1,
        "2025Q2": 3,
        "2025Q3": 27,
        "2025Q4": 3,
        "2026Q1": 2,
        "2026Q2": 3,
        "2026Q3": 2
    },
    "complaints_by_quarter": {
        "2024Q4": 22,
        "2025Q1": 27,
        "2025Q2": 34,
        "2025Q3": 62,
        "2025Q4": 40,
        "2026Q1": 42,
        "2026Q2": 45,
        "2026Q3": 46
    },
    "satisfied_not_loyal_share": 0.322,
    "nps_complainants": 21.8,
    "nps_non_complainants": 44.5,
    "shapley_shares": {
        "f_teacher_attention": 0.21,
        "f_child_enjoyment": 0.285,
        "f_teacher_feedback": 0.109,
        "f_safety": 0.176,
        "f_price_value": 0.082,
        "f_schedule": 0.049,
        "f_booking_ease": 0.034,
        "f_cleanliness": 0.055
    },
    "shapley_r2": 0.546,
    "rating_corr_attention_feedback": 0.795
}

# ----------------------------------------------------------------- the business

# activity → teachers
WORKSHOPS = {
    "Столярная мастерская": ("T01", "T02"),
    "Гончарная мастерская": ("T03", "T04"),
    "Живопись": ("T05", "T06"),
    "Лепка": ("T07",),
    "Валяние из шерсти": ("T08",),
    "Роспись по дереву": ("T09",),
    "Скетчинг": ("T10",),
}
WORKSHOP_WEIGHTS = (0.2, 0.22, 0.2, 0.12, 0.09, 0.09, 0.08)
HIKES = {
    "Поход выходного дня «Лосиный остров»": ("T11", "T12"),
    "Поход выходного дня «Звенигородские холмы»": ("T11", "T12"),
    "Поход выходного дня «По реке Истре»": ("T12",),
}
CAMPS = {
    "Летний лагерь «Лесная мастерская»": ("T13", "T14"),
    "Летний лагерь «Гончарный круг»": ("T15",),
}
TEACHERS = tuple(f"T{i:02d}" for i in range(1, 16))

SURNAMES_M = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
    "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
    "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
    "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
    "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров",
)
TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}
FEMALE_NAMES = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина",
                "Екатерина", "Светлана", "Юлия", "Анастасия", "Дарья", "Ксения", "Марина",
                "Евгения", "Александра", "Виктория", "Надежда", "Полина", "Алёна")
MALE_NAMES = ("Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Максим", "Иван",
              "Михаил", "Павел", "Артём", "Николай", "Владимир", "Егор", "Денис", "Роман")
PATRONYMIC_ROOTS = ("Александров", "Сергеев", "Андреев", "Владимиров", "Николаев",
                    "Михайлов", "Викторов", "Игорев", "Олегов", "Петров", "Юрьев",
                    "Дмитриев", "Евгеньев", "Павлов", "Иванов")
CHILD_GIRLS = ("Маша", "Соня", "Алиса", "Варя", "Полина", "Ева", "Вика", "Аня", "Даша",
               "Катя", "Лиза", "Милана", "Вера", "Ульяна", "Таисия")
CHILD_BOYS = ("Миша", "Саша", "Ваня", "Лёва", "Тимофей", "Матвей", "Артём", "Даня", "Костя",
              "Федя", "Гоша", "Марк", "Егор", "Платон", "Никита")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

COMMENTS_PROMOTER = (
    "{child} в восторге, каждую неделю ждёт занятия!",
    "Прекрасный преподаватель, очень внимательный к детям.",
    "Спасибо! Ребёнку очень нравится.",
    "Отличная атмосфера, всё продумано.",
    "{child} с гордостью показывает дома свою первую чашку.",
    "Уже посоветовали вас друзьям.",
    "Очень довольны, будем ходить дальше.",
    "Преподаватель всегда рассказывает, что получилось у ребёнка.",
    "Чисто, уютно, дети заняты делом.",
    "Лучшее, что мы нашли для {child} в этом году.",
)
COMMENTS_PASSIVE = (
    "В целом хорошо, но дороговато.",
    "Хотелось бы больше занятий в выходные.",
    "Нормально, но расписание неудобное.",
    "Ребёнку нравится, но запись через сайт сложная.",
    "Всё хорошо, только группа большая.",
    "Неплохо, посмотрим, как пойдёт дальше.",
    "Было бы здорово получать фото работ.",
)
COMMENTS_DETRACTOR = (
    "Преподаватель не обращал внимания на ребёнка.",
    "{child} расстроил{sya} после занятия и больше не хочет ходить.",
    "Слишком дорого за такое качество.",
    "Занятие перенесли в последний момент, никто не предупредил.",
    "Не дозвониться до администратора.",
    "Грязно в мастерской, инструменты разбросаны.",
    "Не понравилась организация, дети были предоставлены сами себе.",
    "В лагере был беспорядок с расписанием и питанием.",
)
CONTACT_TOPICS = ("Запись на занятие", "Оплата", "Перенос занятия", "Вопрос о лагере",
                  "Вопрос о походе", "Расписание", "Абонементы и сертификаты",
                  "Возврат средств", "Отмена занятия")
CONTACT_TOPIC_WEIGHTS = (0.26, 0.16, 0.16, 0.08, 0.06, 0.12, 0.07, 0.04, 0.05)

COMPLAINT_CATEGORIES = {  # category → (weight, responsible team)
    "Качество занятия": (0.20, "Педагогический отдел"),
    "Поведение преподавателя": (0.10, "Педагогический отдел"),
    "Перенос или отмена занятия": (0.17, "Администраторы"),
    "Оплата и возврат": (0.13, "Бухгалтерия"),
    "Чистота и оснащение": (0.10, "Хозяйственная служба"),
    "Безопасность": (0.06, "Администраторы"),
    "Организация лагеря": (0.08, "Отдел лагерей и походов"),
    "Организация похода": (0.06, "Отдел лагерей и походов"),
    "Обещали перезвонить и не перезвонили": (0.10, "Клиентский отдел"),
}
COMPLAINT_TEXT = {
    "Качество занятия": "Занятие прошло скомканно, {child} почти ничего не успел{a} сделать.",
    "Поведение преподавателя": "Преподаватель резко разговаривал с детьми.",
    "Перенос или отмена занятия": "Занятие отменили за час, пришлось срочно менять планы.",
    "Оплата и возврат": "Деньги за пропущенное занятие до сих пор не вернули.",
    "Чистота и оснащение": "В мастерской грязно, не хватает фартуков.",
    "Безопасность": "{child} поранил{a} палец, никто не сообщил родителям.",
    "Организация лагеря": "В лагере перепутали смены, {child} пропустил{a} обед.",
    "Организация похода": "Поход задержался на два часа, родителей не предупредили.",
    "Обещали перезвонить и не перезвонили": "Администратор обещал перезвонить и не перезвонил.",
}
COMPLAINT_CHANNEL_SHARES = {"phone": 0.28, "in_person": 0.14, "messenger": 0.24,
                            "email": 0.16, "review_site": 0.08, "web": 0.10}


# ----------------------------------------------------------------- helpers

def _cuts(shares) -> np.ndarray:
    """Standard-normal cut points that give ``shares`` for categories 0..k-1."""
    from scipy.stats import norm
    cum = np.cumsum(shares)[:-1] / np.sum(shares)
    return norm.ppf(cum)


def _days(d) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _fmt_date(days: np.ndarray) -> list:
    return [str(np.datetime64(int(d), "D")) for d in days]


def _fmt_dt(secs) -> list:
    out = []
    for s in secs:
        if s is None or (isinstance(s, float) and np.isnan(s)):
            out.append("")
        else:
            out.append(str(np.datetime64(int(s), "s")).replace("T", " "))
    return out


def _quarter_of_day(day: int) -> str:
    d = np.datetime64(int(day), "D").astype(object)
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def _translit(s: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in s.lower())


# ----------------------------------------------------------------- tables

def _clients(rng: np.random.Generator, n: int = 2500):
    n_early = 500
    n_main = n - n_early
    start, end, early = _days(START), _days(END), _days(EARLY_START)
    early_days = rng.integers(early, start, size=n_early)
    all_days = np.arange(start, end + 1)
    months = np.array([np.datetime64(int(d), "D").astype(object).month for d in all_days])
    month_w = np.array([0, 1.2, 1.0, 1.0, 1.0, 1.3, 1.0, 0.6, 0.8, 1.6, 1.3, 1.0, 0.7])
    w = month_w[months]
    main_days = rng.choice(all_days, size=n_main, p=w / w.sum())
    joined = np.sort(np.concatenate([early_days, main_days]))
    # the family's own experience (latent factor scores, stable over time) and its
    # loyalty u, which grows with that experience and drives churn
    zc = rng.multivariate_normal(np.zeros(len(FACTORS)), FACTOR_CORR, size=n, method="cholesky")
    q = zc @ FACTOR_WEIGHTS / _FACTOR_SD
    rho = LOYALTY_FROM_EXPERIENCE
    u = rho * q + math.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    never = rng.random(n) < NEVER_ATTEND_SHARE
    source = rng.choice(["search", "social", "maps", "ads", "event", "other"], size=n,
                        p=[0.30, 0.25, 0.15, 0.15, 0.08, 0.07])
    # personal data (synthetic)
    female = rng.random(n) < 0.8
    sur = rng.choice(SURNAMES_M, size=n)
    first_f = rng.choice(FEMALE_NAMES, size=n)
    first_m = rng.choice(MALE_NAMES, size=n)
    patr = rng.choice(PATRONYMIC_ROOTS, size=n)
    girl = rng.random(n) < 0.5
    child_g = rng.choice(CHILD_GIRLS, size=n)
    child_b = rng.choice(CHILD_BOYS, size=n)
    phones_n = rng.choice(np.arange(9_000_000_000, 10_000_000_000, 7919), size=n, replace=False)
    phone_missing = rng.random(n) < 0.02
    email_missing = rng.random(n) < 0.08
    email_num = rng.integers(1, 99, size=n)
    email_dom = rng.choice(EMAIL_DOMAINS, size=n)
    names, children, phones, emails = [], [], [], []
    for i in range(n):
        if female[i]:
            parent = f"{sur[i]}а {first_f[i]} {patr[i]}на"
            fam = sur[i] + "а"
            first = first_f[i]
        else:
            parent = f"{sur[i]} {first_m[i]} {patr[i]}ич"
            fam = sur[i]
            first = first_m[i]
        names.append(parent)
        child_sur = sur[i] + ("а" if girl[i] else "")
        children.append(f"{child_g[i] if girl[i] else child_b[i]} {child_sur}")
        p = f"{phones_n[i]:010d}"
        phones.append("" if phone_missing[i] else f"+7 {p[0:3]} {p[3:6]}-{p[6:8]}-{p[8:10]}")
        emails.append("" if email_missing[i] else
                      f"{_translit(fam)}.{_translit(first)[:1]}{email_num[i]}@{email_dom[i]}")
    ids = np.array([f"C{i + 1:05d}" for i in range(n)], dtype=object)
    return dict(ids=ids, joined=joined, u=u, zc=zc, never=never, source=source, parent=names,
                child=children, phone=phones, email=emails, girl=girl,
                child_first=[c.split(" ")[0] for c in children])


def _next_saturday(day: int) -> int:
    # 1970-01-01 was a Thursday (weekday 3 with Monday = 0)
    wd = (day + 3) % 7
    return day + (5 - wd) % 7


def _visits(rng, cl):
    n = len(cl["ids"])
    end = _days(END)
    ws_names = list(WORKSHOPS)
    hike_names = list(HIKES)
    camp_names = list(CAMPS)
    camp_shifts = {}
    for year in (2024, 2025, 2026):  # (no camps before 2024)
        first_mon = _days(f"{year}-06-01")
        first_mon += (7 - (first_mon + 3) % 7) % 7
        camp_shifts[year] = [first_mon + 14 * k for k in range(6)]
    rows = []  # (client index, day, programme, activity, teacher)
    for i in range(n):
        if cl["never"][i]:
            continue
        first = int(cl["joined"][i]) + int(rng.integers(2, 22))
        if first > end:
            cl["never"][i] = True
            continue
        u = cl["u"][i]
        if rng.random() < 0.08:
            life = 0.0  # tried once
        else:
            life = rng.exponential(330.0 * math.exp(0.45 * u))
        act = int(rng.choice(len(ws_names), p=WORKSHOP_WEIGHTS))
        teacher = str(rng.choice(WORKSHOPS[ws_names[act]]))
        last = min(first + life, end)
        t = first
        while t <= last:
            if rng.random() < 0.04:  # switches workshop now and then
                act = int(rng.choice(len(ws_names), p=WORKSHOP_WEIGHTS))
                teacher = str(rng.choice(WORKSHOPS[ws_names[act]]))
            rows.append((i, t, "workshop", ws_names[act], teacher))
            month = np.datetime64(int(t), "D").astype(object).month
            if 4 <= month <= 10 and rng.random() < 0.07:
                h = int(rng.integers(len(hike_names)))
                hd = _next_saturday(t + 1)
                if hd <= end:
                    guide = str(rng.choice(HIKES[hike_names[h]]))
                    rows.append((i, hd, "hike", hike_names[h], guide))
            t += 7 * int(rng.geometric(0.33))
        for year, shifts in camp_shifts.items():
            june = _days(f"{year}-06-15")
            if first <= june and first + life >= june - 45:
                p_camp = 0.30 + 0.12 * np.tanh(u)
                if rng.random() < p_camp:
                    k = int(rng.integers(len(shifts)))
                    while shifts[k] < first:  # a camp shift after the first visit
                        k += 1
                    c = int(rng.integers(len(camp_names)))
                    n_shift = 2 if rng.random() < 0.2 and k + 1 < len(shifts) else 1
                    for s in range(n_shift):
                        day = shifts[k + s]
                        if day <= end:
                            rows.append((i, day, "camp", camp_names[c],
                                         str(rng.choice(CAMPS[camp_names[c]]))))
    v = pd.DataFrame(rows, columns=["ci", "day", "programme", "activity", "teacher_id"])
    v = v.sort_values(["day", "ci", "programme"], kind="stable").reset_index(drop=True)
    return v


def _client_visit_index(v: pd.DataFrame, n: int):
    """Per client: sorted visit days, and sorted camp-visit days."""
    days = [np.empty(0, dtype=np.int64) for _ in range(n)]
    camp = [np.empty(0, dtype=np.int64) for _ in range(n)]
    vs = v.sort_values(["ci", "day"], kind="stable")
    for ci, g in vs.groupby("ci", sort=True):
        days[ci] = g["day"].to_numpy(np.int64)
        camp[ci] = g.loc[g["programme"] == "camp", "day"].to_numpy(np.int64)
    return days, camp


def _active_by_quarter(days_idx):
    """Per quarter label: the client indices with a visit in that quarter."""
    out = {q: [] for q in QUARTERS}
    for ci, d in enumerate(days_idx):
        if len(d) == 0:
            continue
        qs = {_quarter_of_day(x) for x in d}
        for q in QUARTERS:
            if q in qs:
                out[q].append(ci)
    return out


def _quarter_bounds(q: str) -> tuple[int, int]:
    y, k = int(q[:4]), int(q[-1])
    a = _days(f"{y}-{3 * k - 2:02d}-01")
    b = _days(f"{y + (k == 4)}-{(3 * k) % 12 + 1:02d}-01") - 1
    return a, b


def _complaints(rng, cl, days_idx, camp_idx):
    n = len(cl["ids"])
    active = _active_by_quarter(days_idx)
    cats = list(COMPLAINT_CATEGORIES)
    cat_w = np.array([COMPLAINT_CATEGORIES[c][0] for c in cats])
    cat_w = cat_w / cat_w.sum()
    rows = []
    for q in QUARTERS:
        a, b = _quarter_bounds(q)
        act = np.array(active[q], dtype=np.int64)
        k = int(round(COMPLAINTS_PER_ACTIVE_CLIENT_QUARTER * len(act)))
        w = np.exp(-0.8 * cl["u"][act])
        who = rng.choice(act, size=k, replace=True, p=w / w.sum())
        for ci in who:
            cat = str(rng.choice(cats, p=cat_w))
            d = days_idx[ci]
            in_q = d[(d >= a) & (d <= b)]
            day = int(min(int(rng.choice(in_q)) + int(rng.integers(0, 4)), b))
            rows.append((ci, day, cat))
        if q == "2025Q3":
            campers = np.array(sorted({ci for ci in range(n) for x in camp_idx[ci] if a <= x <= b}),
                               dtype=np.int64)
            for ci in rng.choice(campers, size=CAMP_SURGE_2025Q3, replace=False):
                cd = camp_idx[ci][(camp_idx[ci] >= a) & (camp_idx[ci] <= b)]
                rows.append((int(ci), int(min(int(cd[0]) + int(rng.integers(1, 13)), b)),
                             "Организация лагеря"))
    chans = list(COMPLAINT_CHANNEL_SHARES)
    ch_p = np.array(list(COMPLAINT_CHANNEL_SHARES.values()))
    end_s = (_days(END) + 1) * 86400 - 1
    out = []
    for ci, day, cat in rows:
        internal = cat == "Обещали перезвонить и не перезвонили" or rng.random() < 0.05
        ch = str(rng.choice(chans, p=ch_p))
        received = day * 86400 + int(rng.integers(9 * 3600, 21 * 3600))
        importance = str(rng.choice(["low", "medium", "critical"],
                                    p=[0.15, 0.35, 0.50] if cat == "Безопасность"
                                    else [0.45, 0.42, 0.13]))
        justified = bool(rng.random() < (0.8 if internal else 0.6))
        react_h = rng.lognormal(math.log(10.0 if ch == "email" else 1.5), 0.6)
        first_reaction = received + int(react_h * 3600)
        wd = DEADLINE_WORKING_DAYS[importance]
        ddl_day = int(np.busday_offset(np.datetime64(day, "D"), wd, roll="forward")
                      .astype(np.int64))
        deadline = ddl_day * 86400 + (received - day * 86400)
        res_h = rng.lognormal(math.log(RESOLUTION_MEDIAN_HOURS[ch]), RESOLUTION_SIGMA)
        resolved = received + int(res_h * 3600)
        if first_reaction > resolved:
            first_reaction = received + int((resolved - received) * 0.3)
        sat = rng.random() < (0.72 if resolved <= deadline else 0.45)
        loyal = rng.random() < (LOYAL_AFTER_IF_SATISFIED if sat else LOYAL_AFTER_IF_NOT_SATISFIED)
        if first_reaction > end_s:
            first_reaction = None
        if resolved > end_s:
            resolved, sat_v, loyal_v = None, None, None
        else:
            sat_v, loyal_v = bool(sat), bool(loyal)
        text = COMPLAINT_TEXT[cat].format(child=cl["child_first"][ci],
                                          a="а" if cl["girl"][ci] else "")
        client = cl["ids"][ci]
        if internal and rng.random() < 0.3:
            client = None
        out.append(dict(ci=ci, client_id=client, received=received, channel=ch,
                        origin="internal" if internal else "external", category=cat,
                        importance=importance, justified=justified,
                        responsible=COMPLAINT_CATEGORIES[cat][1],
                        first_reaction=first_reaction, deadline=deadline, resolved=resolved,
                        satisfied=sat_v, loyal=loyal_v, description=text))
    df = pd.DataFrame(out).sort_values(["received", "ci"], kind="stable").reset_index(drop=True)
    return df


def _contacts(rng, cl, days_idx):
    n = len(cl["ids"])
    end = _days(END)
    start = _days(START)
    chans = list(CONTACT_CHANNEL_SHARES)
    ch_p = np.array(list(CONTACT_CHANNEL_SHARES.values()))
    rows = []
    for i in range(n):
        d = days_idx[i]
        j = max(int(cl["joined"][i]), start)
        lo = j
        hi = int(d[-1]) + 30 if len(d) else j + 30
        hi = min(hi, end)
        if hi < lo:
            continue
        k = int(rng.poisson(1.2 + len(d) / 12.0))
        starts = np.sort(rng.integers(lo, hi + 1, size=k)) if k else np.empty(0, dtype=np.int64)
        last_by_topic: dict[str, int] = {}
        for s in starts:
            topic = str(rng.choice(CONTACT_TOPICS, p=CONTACT_TOPIC_WEIGHTS))
            if not len(d):
                topic = "Запись на занятие"
            ch = str(rng.choice(chans, p=ch_p))
            t = int(s) * 86400 + int(rng.integers(9 * 3600, 21 * 3600))
            prev = last_by_topic.get(topic)
            if prev is not None and t < prev + 8 * 86400:
                t = prev + 8 * 86400 + int(rng.integers(0, 20 * 86400))
            while t <= (end + 1) * 86400 - 1:
                rows.append((i, t, ch, topic))
                last_by_topic[topic] = t
                if rng.random() < FCR[ch]:
                    break
                t = t + int(rng.integers(3 * 3600, 7 * 86400 - 3600))
    df = pd.DataFrame(rows, columns=["ci", "opened", "channel", "topic"])
    df = df.sort_values(["opened", "ci"], kind="stable").reset_index(drop=True)
    med = {"phone": 0.2, "in_person": 0.3, "messenger": 2.0, "web": 20.0, "email": 26.0}
    res_h = rng.lognormal(0.0, 0.8, size=len(df))
    hours = np.array([med[c] for c in df["channel"]]) * res_h
    resolved = df["opened"].to_numpy() + (hours * 3600).astype(np.int64)
    open_ = (rng.random(len(df)) < 0.02) | (resolved > (end + 1) * 86400 - 1)
    df["resolved"] = [None if o else int(r) for o, r in zip(open_, resolved)]
    return df


def _survey_events(rng, cl, v, days_idx):
    """Invitations: (client index, survey, day, programme, teacher)."""
    n = len(cl["ids"])
    start, end = _days(START), _days(END)
    ev = []
    vs = v.sort_values(["ci", "day"], kind="stable")
    for ci, g in vs.groupby("ci", sort=True):
        k_ws = 0
        for day, prog, tch in zip(g["day"].to_numpy(), g["programme"], g["teacher_id"]):
            day = int(day)
            if prog == "workshop":
                k_ws += 1
                if k_ws == 1 and rng.random() < 0.92:
                    ev.append((ci, "first_lesson", day + 1, prog, tch))
                elif k_ws in (3, 6, 10, 15, 21, 28, 36, 45) and rng.random() < 0.85:
                    ev.append((ci, "repeat_lesson", day + 1, prog, tch))
            elif prog == "hike" and rng.random() < 0.7:
                ev.append((ci, "after_hike", day + 1, prog, tch))
            elif prog == "camp" and rng.random() < 0.95:
                ev.append((ci, "after_camp", day + 12, prog, tch))
    # periodic: a monthly pulse to active clients (a visit in the 90 days before)
    months = np.arange(np.datetime64("2024-10", "M"), np.datetime64("2026-10", "M"))
    for mo in months:
        a = int(mo.astype("datetime64[D]").astype(np.int64))
        for ci in range(n):
            d = days_idx[ci]
            if not len(d):
                continue
            day = a + int(rng.integers(5, 25))
            k = np.searchsorted(d, day, side="right")
            if k and day - d[k - 1] <= 90 and rng.random() < PERIODIC_SHARE:
                ev.append((ci, "periodic", day, None, None))
    # lapsed: 100–220 days after the last visit, once
    for ci in range(n):
        d = days_idx[ci]
        if not len(d):
            continue
        day = int(d[-1]) + int(rng.integers(100, 221))
        if day <= end and rng.random() < 0.8:
            ev.append((ci, "lapsed", day, None, None))
    ev = [e for e in ev if start <= e[2] <= end]
    df = pd.DataFrame(ev, columns=["ci", "survey", "day", "programme", "teacher_id"])
    return df.sort_values(["day", "ci", "survey"], kind="stable").reset_index(drop=True)


def _responses(rng, cl, inv, days_idx, camp_idx, complaints):
    n_inv = len(inv)
    end_s = (_days(END) + 1) * 86400 - 1
    chans = list(SURVEY_CHANNEL_SHARES)
    inv = inv.copy()
    inv["channel"] = rng.choice(chans, size=n_inv, p=list(SURVEY_CHANNEL_SHARES.values()))
    # 2024Q4: the periodic pulse was a web-only yes/no pilot (binary NPS)
    pilot = ((inv["survey"] == "periodic") & (inv["day"] < _days("2025-01-01"))).to_numpy()
    inv.loc[pilot, "channel"] = "web"
    inv["sent"] = inv["day"].to_numpy(np.int64) * 86400 + rng.integers(10 * 3600, 20 * 3600,
                                                                         size=n_inv)
    rr = inv["channel"].map(RESPONSE_RATE).to_numpy(float)
    responded = rng.random(n_inv) < rr
    delay = np.where(inv["channel"] == "phone", rng.integers(60, 1200, size=n_inv),
                     np.where(inv["channel"] == "messenger",
                              (rng.lognormal(math.log(3 * 3600), 1.0, size=n_inv)).astype(np.int64),
                              rng.lognormal(math.log(20 * 3600), 1.0, size=n_inv).astype(np.int64)))
    submitted = inv["sent"].to_numpy() + delay
    responded &= submitted <= end_s
    r = inv.loc[responded].copy()
    r["submitted"] = submitted[responded]
    r = r.sort_values(["submitted", "ci"], kind="stable").reset_index(drop=True)
    m = len(r)
    sub_day = r["submitted"].to_numpy() // 86400
    quarter = [_quarter_of_day(d) for d in sub_day]
    lapsed = np.zeros(m, bool)
    camp12 = np.zeros(m, bool)
    for k in range(m):
        ci, day = int(r.at[k, "ci"]), int(sub_day[k])
        d = days_idx[ci]
        j = np.searchsorted(d, day, side="right")
        lapsed[k] = j == 0 or day - d[j - 1] > 90
        c = camp_idx[ci]
        jc = np.searchsorted(c, day, side="right")
        camp12[k] = jc > 0 and day - c[jc - 1] <= 365
    # complaints of the client in the 365 days before
    comp = {}
    for ci, rec in zip(complaints["ci"], complaints["received"]):
        comp.setdefault(int(ci), []).append(int(rec))
    after_c = np.array([any(0 <= s - t <= 365 * 86400 for t in comp.get(int(ci), ()))
                        for ci, s in zip(r["ci"], r["submitted"])])
    # latent factor scores and the latent NPS score
    zr = rng.multivariate_normal(np.zeros(len(FACTORS)), FACTOR_CORR, size=m, method="cholesky")
    ci_arr = r["ci"].to_numpy()
    z = math.sqrt(CLIENT_SHARE) * cl["zc"][ci_arr] + math.sqrt(1 - CLIENT_SHARE) * zr
    teacher_eff = dict(zip(TEACHERS, rng.normal(0, TEACHER_EFFECT_SD, size=len(TEACHERS))))
    # var(β·h(z) + c u + ε), with cov(β·h(z), u) = ρ_u √share sd(β·z): the shaped terms
    # keep the linear covariances (E h' = 1, Stein's lemma), only their variances differ
    cov_zu = LOYALTY_FROM_EXPERIENCE * math.sqrt(CLIENT_SHARE) * _FACTOR_SD
    base_sd = math.sqrt(_TERM_SD ** 2 + CLIENT_EFFECT ** 2 + 2 * CLIENT_EFFECT * cov_zu
                        + NOISE_SD ** 2)
    y = (_factor_term(z) + CLIENT_EFFECT * cl["u"][ci_arr]
         + rng.normal(0, NOISE_SD, size=m))
    y = y + SHIFT_LAPSED * lapsed + SHIFT_CAMP * camp12 + SHIFT_AFTER_COMPLAINT * after_c
    y = y + r["channel"].map(SHIFT_CHANNEL).to_numpy(float)
    y = y + np.array([SHIFT_QUARTER[q] for q in quarter])
    y = y + np.array([teacher_eff.get(t, 0.0) if isinstance(t, str) else 0.0
                      for t in r["teacher_id"]])
    ys = y / base_sd
    nps = np.searchsorted(_cuts(NPS_SHARES), ys).astype(np.int64)
    csat = np.searchsorted(_cuts(CSAT_SHARES), ys * 0.8 + rng.normal(0, 0.6, size=m)) + 1
    interviewer = np.where(r["channel"] == "phone",
                           rng.choice(INTERVIEWERS, size=m, p=INTERVIEWER_WEIGHTS), None)
    gamed = (interviewer == GAMED_INTERVIEWER) & (rng.random(m) < GAMED_SHARE)
    nps = np.where(gamed, 10, nps)
    csat = np.where(gamed, 5, csat)
    binary = ((r["survey"] == "periodic") & (r["channel"] == "web")
              & (np.array(quarter) == "2024Q4")).to_numpy()
    ratings = {}
    for j, f in enumerate(FACTORS):
        rt = np.searchsorted(_cuts(RATING_SHARES[f]), z[:, j]) + 1
        na = rng.random(m) < NA_SHARE[f]
        if f == "teacher_feedback":
            hc = r["programme"].isin(["hike", "camp"]).to_numpy()
            na |= hc & (rng.random(m) < NA_SHARE_TEACHER_FEEDBACK_HIKE_CAMP)
        ratings["f_" + f] = pd.array(np.where(na, 0, rt), dtype="Int64")
        ratings["f_" + f][na] = pd.NA
    # comments
    has_comment = rng.random(m) < 0.55
    pick = rng.random(m)
    comments = []
    for k in range(m):
        if not has_comment[k]:
            comments.append("")
            continue
        pool = (COMMENTS_PROMOTER if nps[k] >= 9 else COMMENTS_PASSIVE if nps[k] >= 7
                else COMMENTS_DETRACTOR)
        txt = pool[int(pick[k] * len(pool))]
        ci = int(r.at[k, "ci"])
        girl = bool(cl["girl"][ci])
        comments.append(txt.format(child=cl["child_first"][ci], a="а" if girl else "",
                                   sya="ась" if girl else "ся"))
    out = pd.DataFrame({
        "ci": r["ci"].to_numpy(),
        "submitted": r["submitted"].to_numpy(),
        "channel": r["channel"].to_numpy(),
        "survey": r["survey"].to_numpy(),
        "programme": r["programme"].to_numpy(),
        "teacher_id": r["teacher_id"].to_numpy(),
        "nps": pd.array(np.where(binary, 0, nps), dtype="Int64"),
        "recommend": pd.array([bool(x >= 7) if b else None for x, b in zip(nps, binary)],
                              dtype="boolean"),
        "csat": pd.array(csat, dtype="Int64"),
        "comment": comments,
        "interviewer_id": interviewer,
    })
    out.loc[binary, "nps"] = pd.NA
    for c, vals in ratings.items():
        out[c] = vals
    flags = pd.DataFrame({"lapsed": lapsed, "camp12": camp12, "after_complaint": after_c,
                          "gamed": gamed, "quarter": quarter})
    return inv, out, flags


def _referrals(rng, cl, resp):
    """Assign referred_by: by the class of each client's first 0–10 answer."""
    n = len(cl["ids"])
    joined = cl["joined"]
    end = _days(END)
    first = (resp.dropna(subset=["nps"]).sort_values("submitted", kind="stable")
             .drop_duplicates("ci"))
    referred_by = np.full(n, -1, dtype=np.int64)
    taken = np.zeros(n, bool)
    for ci, s, score in zip(first["ci"], first["submitted"], first["nps"]):
        cls = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        if rng.random() >= REFERRAL_RATE[cls]:
            continue
        day = int(s) // 86400
        lo, hi = day + 7, min(day + 180, end)
        cand = np.flatnonzero((joined >= lo) & (joined <= hi) & ~taken)
        if not len(cand):
            continue
        j = int(rng.choice(cand))
        taken[j] = True
        referred_by[j] = int(ci)
    return referred_by


def _build(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cl = _clients(rng)
    v = _visits(rng, cl)
    days_idx, camp_idx = _client_visit_index(v, len(cl["ids"]))
    comp = _complaints(rng, cl, days_idx, camp_idx)
    cont = _contacts(rng, cl, days_idx)
    events = _survey_events(rng, cl, v, days_idx)
    inv, resp, _flags = _responses(rng, cl, events, days_idx, camp_idx, comp)
    ref = _referrals(rng, cl, resp)
    ids = cl["ids"]

    source = cl["source"].astype(object)
    source[ref >= 0] = "referral"
    clients = pd.DataFrame({
        "client_id": ids,
        "joined_on": _fmt_date(cl["joined"]),
        "source": source,
        "referred_by": [ids[k] if k >= 0 else "" for k in ref],
        "parent_name": cl["parent"],
        "phone": cl["phone"],
        "email": cl["email"],
        "child_name": cl["child"],
    })
    visits = pd.DataFrame({
        "visit_id": [f"V{k + 1:06d}" for k in range(len(v))],
        "client_id": ids[v["ci"].to_numpy()],
        "visit_date": _fmt_date(v["day"].to_numpy()),
        "programme": v["programme"].to_numpy(),
        "activity": v["activity"].to_numpy(),
        "teacher_id": v["teacher_id"].to_numpy(),
    })
    inv = inv.sort_values(["sent", "ci"], kind="stable").reset_index(drop=True)
    invitations = pd.DataFrame({
        "invitation_id": [f"N{k + 1:06d}" for k in range(len(inv))],
        "client_id": ids[inv["ci"].to_numpy()],
        "survey": inv["survey"].to_numpy(),
        "channel": inv["channel"].to_numpy(),
        "sent_at": _fmt_dt(inv["sent"].to_numpy()),
    })
    responses = pd.DataFrame({
        "response_id": [f"R{k + 1:06d}" for k in range(len(resp))],
        "client_id": ids[resp["ci"].to_numpy()],
        "submitted_at": _fmt_dt(resp["submitted"].to_numpy()),
        "channel": resp["channel"].to_numpy(),
        "survey": resp["survey"].to_numpy(),
        "programme": resp["programme"].fillna("").to_numpy(),
        "teacher_id": resp["teacher_id"].fillna("").to_numpy(),
        "nps": resp["nps"],
        "recommend": [("" if x is pd.NA else "true" if x else "false") for x in resp["recommend"]],
        "csat": resp["csat"],
        "comment": resp["comment"],
        "interviewer_id": [x if isinstance(x, str) else "" for x in resp["interviewer_id"]],
    })
    for f in FACTORS:
        responses["f_" + f] = resp["f_" + f].array
    contacts = pd.DataFrame({
        "contact_id": [f"K{k + 1:06d}" for k in range(len(cont))],
        "client_id": ids[cont["ci"].to_numpy()],
        "opened_at": _fmt_dt(cont["opened"].to_numpy()),
        "channel": cont["channel"].to_numpy(),
        "topic": cont["topic"].to_numpy(),
        "resolved_at": _fmt_dt(cont["resolved"].tolist()),
    })

    def b(x):
        return "" if x is None else ("true" if x else "false")

    complaints = pd.DataFrame({
        "complaint_id": [f"P{k + 1:05d}" for k in range(len(comp))],
        "client_id": [x if isinstance(x, str) else "" for x in comp["client_id"]],
        "received_at": _fmt_dt(comp["received"].tolist()),
        "channel": comp["channel"].to_numpy(),
        "origin": comp["origin"].to_numpy(),
        "category": comp["category"].to_numpy(),
        "importance": comp["importance"].to_numpy(),
        "justified": [b(x) for x in comp["justified"]],
        "responsible": comp["responsible"].to_numpy(),
        "first_reaction_at": _fmt_dt(comp["first_reaction"].tolist()),
        "deadline_at": _fmt_dt(comp["deadline"].tolist()),
        "resolved_at": _fmt_dt(comp["resolved"].tolist()),
        "satisfied_with_resolution": [b(x) for x in comp["satisfied"]],
        "loyal_after": [b(x) for x in comp["loyal"]],
        "description": comp["description"].to_numpy(),
    })
    return {"clients": clients, "visits": visits, "responses": responses,
            "invitations": invitations, "contacts": contacts, "complaints": complaints}


# ----------------------------------------------------------------- public API

def generate(seed: int = DEFAULT_SEED, out: str | Path | None = SAMPLES_DIR,
             progress=None) -> dict[str, pd.DataFrame]:
    """Generate the six sample tables and (unless ``out`` is None) write them as CSV.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives byte-identical files.
    out : path or None
        Directory to write ``clients.csv`` … ``complaints.csv`` into (created if
        missing); ``None`` writes nothing.
    progress : callable, optional
        Called as ``progress(step_name)`` after each step (the CLI's progress bar).

    Returns
    -------
    dict of str to DataFrame
        The tables, typed by :func:`cxlab.schema.validate`.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed: got {seed!r}; expected a non-negative whole number")
    raw = _build(int(seed))
    if progress:
        progress("generated")
    typed = {}
    for name in TABLE_ORDER:
        typed[name] = schema.validate(raw[name], name, source=f"generated {name}", study=SAMPLE_STUDY)
    if progress:
        progress("validated")
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLE_ORDER:
            raw[name].to_csv(out / f"{name}.csv", index=False, encoding="utf-8",
                             lineterminator="\n")
            if progress:
                progress(f"wrote {name}.csv")
    return typed


def load(table: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Read a committed sample table (``data/samples/<table>.csv``), typed.

    Parameters
    ----------
    table : str
        One of ``clients, visits, responses, invitations, contacts, complaints``.
    directory : path, optional
        Where the CSVs are; defaults to ``data/samples``.
    """
    if table not in TABLE_ORDER:
        raise ParameterError(f"table: got {table!r}; expected one of {', '.join(TABLE_ORDER)}")
    path = Path(directory or SAMPLES_DIR) / f"{table}.csv"
    if not path.exists():
        raise ReadError(f"{path}: sample table not found; expected it to be generated by "
                        "`cxlab samples` (or `make samples`)")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return schema.validate(df, table, source=str(path), study=SAMPLE_STUDY)


def measure(tables: dict[str, pd.DataFrame]) -> dict:
    """The planted truths as they come out in a set of typed sample tables.

    Straightforward figures (pooled over channels unless a channel is named; NPS in points
    from the 0–10 answers only) that the README and ``TRUTHS["measured"]`` list for the
    committed data, so that analyses can be checked against them.

    Parameters
    ----------
    tables : dict of str to DataFrame
        The six tables as returned by :func:`generate` or :func:`load`.
    """
    r, v, c = tables["responses"], tables["visits"], tables["clients"]
    cp, ct, inv = tables["complaints"], tables["contacts"], tables["invitations"]

    def nps(x) -> float:
        x = x.dropna().astype(int)
        return round(100 * float((x >= 9).mean() - (x <= 6).mean()), 1)

    rn = r.dropna(subset=["nps"]).copy()
    rn["quarter"] = schema.quarter_of(rn["submitted_at"])
    honest = rn["interviewer_id"].fillna("") != GAMED_INTERVIEWER
    keyed = (rn[["response_id", "client_id"]].assign(day=rn["submitted_at"].dt.normalize())
             .sort_values("day", kind="stable").reset_index(drop=True))
    vs = v.sort_values("visit_date", kind="stable")
    for name, rows in (("last", vs), ("last_camp", vs[vs["programme"] == "camp"])):
        right = rows[["client_id", "visit_date"]].rename(columns={"visit_date": name})
        keyed = pd.merge_asof(keyed, right, left_on="day", right_on=name, by="client_id")
    keyed = keyed.set_index("response_id").reindex(rn["response_id"])
    lapsed = ~((keyed["day"] - keyed["last"]).dt.days <= 90).to_numpy()
    camp = ((keyed["day"] - keyed["last_camp"]).dt.days <= 365).to_numpy()
    by_q = {q: nps(g["nps"]) for q, g in rn.groupby("quarter")}
    phone = rn[rn["channel"] == "phone"]
    gamed = phone["interviewer_id"] == GAMED_INTERVIEWER
    first = rn.sort_values("submitted_at", kind="stable").drop_duplicates("client_id")
    cls = np.where(first["nps"] >= 9, "promoter",
                   np.where(first["nps"] >= 7, "passive", "detractor"))
    referred = first["client_id"].isin(set(c["referred_by"].dropna()))
    cs = ct.sort_values("opened_at", kind="stable")
    nxt = cs.groupby(["client_id", "topic"])["opened_at"].shift(-1)
    fcr = ~((nxt - cs["opened_at"]) <= pd.Timedelta(days=7))
    hours = (cp["resolved_at"] - cp["received_at"]).dt.total_seconds() / 3600
    cq = schema.quarter_of(cp["received_at"])
    sat = cp["satisfied_with_resolution"].fillna(False).astype(bool)
    who = set(cp["client_id"].dropna())
    binary = r["recommend"].dropna().astype(bool)
    fc = ["f_" + f for f in FACTORS]
    cc = rn[honest].dropna(subset=fc)
    corr = cc[fc + ["nps"]].astype(float).corr().to_numpy()
    phi = shapley_from_corr(corr[:-1, :-1], corr[:-1, -1])
    return {
        "n_rows": {k: int(len(tables[k])) for k in TABLE_ORDER},
        "nps_overall": nps(rn["nps"]),
        "nps_by_channel": {ch: nps(g["nps"]) for ch, g in rn.groupby("channel")},
        "nps_phone_without_gamed": nps(phone.loc[~gamed, "nps"]),
        "nps_by_quarter": by_q,
        "nps_by_quarter_phone": {q: nps(g["nps"]) for q, g in phone.groupby("quarter")},
        "drop_vs_previous": round(by_q["2025Q3"] - by_q["2025Q2"], 1),
        "drop_vs_next": round(by_q["2025Q3"] - by_q["2025Q4"], 1),
        "lapsed_gap": round(nps(rn["nps"][lapsed]) - nps(rn["nps"][~lapsed]), 1),
        "lapsed_n": int(lapsed.sum()),
        "camp_gap": round(nps(rn["nps"][camp]) - nps(rn["nps"][~camp]), 1),
        "camp_n": int(camp.sum()),
        "phone_vs_web_gap": round(nps(phone.loc[~gamed, "nps"])
                                  - nps(rn.loc[rn["channel"] == "web", "nps"]), 1),
        "phone_vs_web_gap_with_gamed": round(nps(phone["nps"])
                                             - nps(rn.loc[rn["channel"] == "web", "nps"]), 1),
        "gamed_share_10": round(float((phone.loc[gamed, "nps"] == 10).mean()), 3),
        "gamed_n": int(gamed.sum()),
        "others_share_10": round(float((phone.loc[~gamed, "nps"] == 10).mean()), 3),
        "referral_rate": {k: round(float(x), 3) for k, x in referred.groupby(cls).mean().items()},
        "response_rate": {k: round(float(x), 3) for k, x in
                          (r["channel"].value_counts() / inv["channel"].value_counts()).items()},
        "fcr": {k: round(float(x), 3) for k, x in fcr.groupby(cs["channel"]).mean().items()},
        "never_attended_share": round(float(1 - c["client_id"].isin(v["client_id"]).mean()), 3),
        "binary_n": int(len(binary)),
        "binary_yes_share": round(float(binary.mean()), 3),
        "complaint_median_hours": {k: round(float(x), 1) for k, x in
                                   hours.groupby(cp["channel"]).median().items()},
        "camp_complaints_by_quarter": {
            k: int(x) for k, x in
            (cp["category"] == TRUTHS["complaints"]["surge_category"]).groupby(cq).sum().items()},
        "complaints_by_quarter": {k: int(x) for k, x in cp.groupby(cq).size().items()},
        "satisfied_not_loyal_share": round(
            float(1 - cp.loc[sat, "loyal_after"].astype(bool).mean()), 3),
        "nps_complainants": nps(rn.loc[rn["client_id"].isin(who), "nps"]),
        "nps_non_complainants": nps(rn.loc[~rn["client_id"].isin(who), "nps"]),
        "shapley_shares": {f: round(float(x), 3) for f, x in zip(fc, phi / phi.sum())},
        "shapley_r2": round(float(phi.sum()), 3),
        "rating_corr_attention_feedback": round(float(corr[0, 2]), 3),
    }
