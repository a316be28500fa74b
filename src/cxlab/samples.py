"""Synthetic sample data for «ДетиЛюбят» (kids' creative workshops) with planted truths.

:func:`generate` builds six tables (clients, visits, responses, invitations, contacts,
complaints) from one seed and writes them as CSV to ``data/samples/``, with the staff
feedback group's Telegram Desktop export as ``telegram/result.json``
(:func:`telegram_export`); :func:`load` reads a committed table back, typed by
:func:`cxlab.schema.validate`; :data:`TRUTHS` holds the truths planted in the data, so
that tests and notebooks can check that the analysis finds them.
``data/samples/README.md`` is the data dictionary and lists the same numbers.

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
7. **what clients say**: each comment (55 % of answers have one) is one to three
   sentences from :data:`COMMENT_TEMPLATES` (complaints and praise per loyalty factor,
   praise, general, and parking, a theme the questionnaire does not ask about). The
   planted themes come first: the **schedule** with probability
   :data:`COMMENT_SCHEDULE` by NPS category (detractor 0.12, passive 0.10, promoter
   0.03) but **0.45 for detractors in 2026Q3** (:data:`COMMENT_SCHEDULE_SURGE`), leaning
   to low ``f_schedule`` ratings (:data:`SCHEDULE_TILT`, rescaled in every category ×
   quarter so that the mean stays the planted probability), and **parking** with
   :data:`COMMENT_PARKING` (0.18 / 0.10 / 0.01, every quarter); then the family's own
   ratings: a detractor complains about factors rated 1–2, a promoter praises those
   rated 5 and thanks, a passive mixes both. The feedback group's export
   (:func:`telegram_export`) relays such sentences from parents, with the same surge
   (schedule 0.12, 0.40 in 2026Q3) and parking (0.15), client references
   (``клиент C00123``), children's names and parents' phones. ``TRUTHS["comments"]`` and
   ``TRUTHS["telegram"]`` list the probabilities and the words that identify each theme
   (:data:`THEME_LEMMAS` as lemmas, :data:`THEME_STEMS` as written, :func:`mentions`).

Only :class:`numpy.random.Generator` draws random numbers, in a fixed order, so the same
seed gives byte-identical files. Steps 1–6 draw from ``default_rng(seed)``; what the
comments say and the Telegram export draw from a generator of their own,
``default_rng([seed, COMMENT_RNG_KEY])`` (``[seed, 16]``), comments first, so that
planting themes in text changed no other value of any table (the main stream still draws
whether there is a comment, and the uniform that once picked a fixed sentence).

Size: over 800 lines on purpose: the seeded generator of the whole sample business
(clients, visits, answers, complaints, contacts, invitations, what clients say and the
feedback group) with the truths it plants; the tests recover those truths, so they are
kept together.
"""

from __future__ import annotations

import itertools
import json
import math
import re
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
    "rating_corr_attention_feedback": 0.795,
    "comment_n_by_category": {"detractor": 505, "passive": 921, "promoter": 1815},
    "comment_detractors_n_by_quarter": {
        "2024Q4": 7,
        "2025Q1": 47,
        "2025Q2": 52,
        "2025Q3": 92,
        "2025Q4": 74,
        "2026Q1": 83,
        "2026Q2": 80,
        "2026Q3": 70
    },
    "comment_schedule_detractors_by_quarter": {
        "2024Q4": 0.0,
        "2025Q1": 0.085,
        "2025Q2": 0.135,
        "2025Q3": 0.196,
        "2025Q4": 0.095,
        "2026Q1": 0.133,
        "2026Q2": 0.087,
        "2026Q3": 0.486
    },
    "comment_schedule_detractors_before": 0.124,
    "comment_schedule_detractors_2026Q3": 0.486,
    "comment_schedule_by_category_before": {"detractor": 0.124, "passive": 0.089,
                                            "promoter": 0.035},
    "comment_parking_by_category": {"detractor": 0.186, "passive": 0.1, "promoter": 0.01},
    "comment_parking_by_quarter_detractors": {
        "2024Q4": 0.571,
        "2025Q1": 0.149,
        "2025Q2": 0.135,
        "2025Q3": 0.141,
        "2025Q4": 0.203,
        "2026Q1": 0.157,
        "2026Q2": 0.212,
        "2026Q3": 0.257
    }
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


# ----------------------------------------------------------------- what clients say
#
# Comments (responses.comment) and the staff feedback group's Telegram export carry
# planted themes. Every random number for them comes from a generator of their own,
# ``default_rng([seed, COMMENT_RNG_KEY])`` (comments first, then the export), so that the
# main stream, and with it every other value of every table, is the same as before the
# themes were planted.

#: Second word of the seed of the comments' and the Telegram export's generator.
COMMENT_RNG_KEY = 16

#: The child's first name in the genitive and dative ("для Маши", "к Маше"), for templates
#: that need a case form; written out, not inflected by rule.
CHILD_CASES = {
    "Маша": ("Маши", "Маше"), "Соня": ("Сони", "Соне"), "Алиса": ("Алисы", "Алисе"),
    "Варя": ("Вари", "Варе"), "Полина": ("Полины", "Полине"), "Ева": ("Евы", "Еве"),
    "Вика": ("Вики", "Вике"), "Аня": ("Ани", "Ане"), "Даша": ("Даши", "Даше"),
    "Катя": ("Кати", "Кате"), "Лиза": ("Лизы", "Лизе"), "Милана": ("Миланы", "Милане"),
    "Вера": ("Веры", "Вере"), "Ульяна": ("Ульяны", "Ульяне"), "Таисия": ("Таисии", "Таисии"),
    "Миша": ("Миши", "Мише"), "Саша": ("Саши", "Саше"), "Ваня": ("Вани", "Ване"),
    "Лёва": ("Лёвы", "Лёве"), "Тимофей": ("Тимофея", "Тимофею"),
    "Матвей": ("Матвея", "Матвею"), "Артём": ("Артёма", "Артёму"), "Даня": ("Дани", "Дане"),
    "Костя": ("Кости", "Косте"), "Федя": ("Феди", "Феде"), "Гоша": ("Гоши", "Гоше"),
    "Марк": ("Марка", "Марку"), "Егор": ("Егора", "Егору"), "Платон": ("Платона", "Платону"),
    "Никита": ("Никиты", "Никите"),
}

#: Comment sentences: theme → polarity → templates. ``neg`` complains, ``pos`` praises (for
#: schedule also a wish), parking's ``mild`` is a promoter's aside, general's ``mid`` is
#: lukewarm. Fields: ``{child}`` (first name), ``{child_gen}``, ``{child_dat}``
#: (:data:`CHILD_CASES`), ``{a}`` / ``{sya}`` (feminine endings). Each template uses words
#: of its own theme (:data:`THEME_LEMMAS`, after lemmatisation) and of no other; praise and
#: general use none of the factors' words, general none at all.
COMMENT_TEMPLATES = {
    "teacher_attention": {
        "neg": (
            "Преподаватель не обращал внимания на ребёнка.",
            "{child} весь урок сидел{a} без внимания, педагог занимался другими детьми.",
            "Педагогу не хватает внимания к каждому ребёнку, нашего никто не замечал.",
            "Невнимательный преподаватель, на вопросы детей не отвечал.",
            "Хотелось бы больше внимания к {child_dat}, а не к группе в целом.",
        ),
        "pos": (
            "Прекрасный преподаватель, очень внимательный к детям.",
            "Педагог внимательно следит за каждым ребёнком.",
            "Очень внимательная преподавательница, находит подход к каждому.",
            "Видно, что к детям относятся с вниманием.",
            "Преподаватель уделяет {child_dat} много внимания.",
        ),
    },
    "child_enjoyment": {
        "neg": (
            "{child} расстроил{sya} после занятия и больше не хочет ходить.",
            "Ребёнку не понравилось, было скучно.",
            "Не понравилось: дети весь урок скучали.",
            "{child} говорит, что на занятиях неинтересно.",
            "Скучные задания, ребёнок зевал всё занятие.",
        ),
        "pos": (
            "{child} в восторге, каждую неделю ждёт занятия!",
            "Ребёнку очень нравится, бежит на занятия с радостью.",
            "{child} с гордостью показывает дома свою первую чашку.",
            "Ребёнку интересно, каждый раз что-то новое.",
            "Ребёнок в восторге, ходит с удовольствием.",
            "Весело и интересно, {child} ждёт каждого занятия.",
        ),
    },
    "teacher_feedback": {
        "neg": (
            "Преподаватель ничего не рассказывает о том, как дела у ребёнка.",
            "Не рассказали, чему научился ребёнок за месяц.",
            "Педагог ничего не объясняет родителям.",
            "Хотелось бы знать об успехах ребёнка, а нам ничего не говорят.",
            "После занятия никто не объяснил, что получилось, а что нет.",
            "Было бы здорово получать фото работ.",
        ),
        "pos": (
            "Преподаватель всегда рассказывает, что получилось у ребёнка.",
            "Педагог подробно рассказывает об успехах, виден прогресс.",
            "Присылают фото работ, и всегда понятно, что дети делали.",
            "После каждого занятия педагог объясняет, что получилось.",
        ),
    },
    "safety": {
        "neg": (
            "{child} поранил{a} палец, никто не сообщил родителям.",
            "Дети работают с острыми инструментами без присмотра.",
            "Опасно: детей оставили одних в мастерской.",
            "Вопросы к безопасности: на прогулке отстал ребёнок, и никто не заметил.",
            "Страшно отпускать ребёнка, за детьми плохо присматривают.",
        ),
        "pos": (
            "За безопасность спокойны, за детьми всегда присматривают.",
            "Чувствуем, что ребёнок в безопасности.",
            "Острые инструменты детям дают только под присмотром.",
            "Спокойно оставляем ребёнка, педагоги следят за безопасностью.",
        ),
    },
    "price_value": {
        "neg": (
            "Слишком дорого за такое качество.",
            "Дороговато для двух часов в неделю.",
            "Цены выросли, а занятия те же.",
            "Абонемент дорого стоит, как в частной школе.",
            "Дорогие материалы приходится докупать отдельно.",
            "За такую стоимость ждали большего.",
        ),
        "pos": (
            "Цена полностью оправдана.",
            "Недорого для такого уровня.",
            "Абонемент выгодный, берём уже второй.",
            "Стоимость адекватная, материалы включены.",
        ),
    },
    "schedule": {
        "neg": (
            "Занятие перенесли в последний момент, никто не предупредил.",
            "Опять перенос занятия, уже третий раз за месяц.",
            "Расписание постоянно меняют, занятие перенесли уже дважды.",
            "Неудобное время занятий, после школы не успеваем.",
            "Переносят занятия без предупреждения, а мы уже в пути.",
            "Отменили занятие за час до начала, об изменениях расписания узнаём последними.",
            "Не удобно по времени: в выходные мест в группах нет.",
            "В лагере была неразбериха с расписанием и питанием.",
        ),
        "pos": (
            "Удобное расписание, успеваем после школы.",
            "Хорошо, что есть занятия в выходные.",
            "Время занятий нам подходит идеально.",
            "Хотелось бы больше занятий в выходные.",
            "Было бы удобнее, если бы перенос занятия можно было сделать онлайн.",
        ),
    },
    "booking_ease": {
        "neg": (
            "Не дозвониться до администратора.",
            "Запись через сайт сложная, половина кнопок не работает.",
            "Записаться на занятие — целый квест, заявку потеряли.",
            "Обещали перезвонить по записи и пропали.",
            "Неудобно записываться: только по телефону и только днём.",
        ),
        "pos": (
            "Записались за пять минут, всё просто.",
            "Удобная запись через сайт.",
            "Администратор быстро ответил и записал нас.",
            "Легко записаться, напоминают о занятии заранее.",
        ),
    },
    "cleanliness": {
        "neg": (
            "Грязно в мастерской, инструменты разбросаны.",
            "В раздевалке грязно и пыльно, давно не убирали.",
            "Туалет грязный, везде грязь.",
            "Беспорядок в мастерской, фартуки грязные.",
            "После прошлой группы не убрано, дети садятся за грязные столы.",
        ),
        "pos": (
            "Чисто, уютно, дети заняты делом.",
            "В мастерской всегда чистота и порядок.",
            "Чистые фартуки, всё аккуратно.",
            "Приятно, что везде чисто.",
        ),
    },
    "parking": {
        "neg": (
            "Негде припарковаться у студии, приходится кружить по району.",
            "Парковка у мастерской вечно занята, опаздываем.",
            "Рядом нет парковки, с машиной очень неудобно.",
            "Оставить машину негде, ближайшая стоянка далеко.",
            "Сделайте хоть пару мест для парковки родителей.",
            "Пока ищем, где припарковаться, {child} опаздывает.",
            "Машину эвакуировали, пока {child} был{a} на занятии.",
        ),
        "mild": (
            "Единственный минус — парковка.",
            "Только с парковкой бывает сложно.",
            "Жаль, что у студии негде припарковаться.",
            "Если бы ещё стоянку для машин рядом!",
        ),
    },
    "praise": {
        "pos": (
            "Спасибо! Всё отлично.",
            "Очень довольны, будем ходить дальше.",
            "Уже посоветовали вас друзьям.",
            "Спасибо большое всей команде!",
            "Благодарим за вашу работу!",
            "Рекомендуем всем знакомым.",
            "Спасибо, лучшее, что мы нашли для {child_gen} в этом году.",
            "Довольны всем, {child_dat} у вас хорошо.",
        ),
    },
    "general": {
        "neg": (
            "Ожидали большего.",
            "Больше не придём.",
            "Разочарованы.",
            "Организация хромает, дети были предоставлены сами себе.",
            "Качество занятий упало.",
        ),
        "mid": (
            "В целом нас всё устраивает.",
            "Неплохо, посмотрим, как пойдёт дальше.",
            "Нормально, есть что улучшить.",
            "Всё хорошо, только группа большая.",
            "Хорошо, но есть над чем работать.",
        ),
    },
}

#: The words that identify each theme in the generator's own sentences, as lemmas
#: (pymorphy3 normal forms, lower case, ё as е): what ``study.yml`` lists under each
#: factor's ``themes`` (praise under ``themes``; parking nowhere: the analysis must find
#: it). No template of one theme uses another theme's lemma.
THEME_LEMMAS = {
    "teacher_attention": ("внимание", "внимательный", "внимательно", "невнимательный",
                          "подход"),
    "child_enjoyment": ("нравиться", "понравиться", "скучно", "скучный", "скучать",
                        "интересно", "неинтересный", "восторг", "радость", "удовольствие",
                        "гордость", "весело", "расстроиться"),
    "teacher_feedback": ("рассказать", "рассказывать", "объяснить", "объяснять", "успех",
                         "прогресс", "фото"),
    "safety": ("безопасность", "опасно", "присмотр", "присматривать", "поранить",
               "страшно"),
    "price_value": ("цена", "дорого", "дорогой", "дороговатый", "недорого", "стоимость",
                    "абонемент"),
    "schedule": ("расписание", "перенос", "перенести", "переносить", "время", "отменить",
                 "отмена", "выходной"),
    "booking_ease": ("запись", "записаться", "записываться", "записать", "дозвониться",
                     "перезвонить", "заявка", "сайт"),
    "cleanliness": ("чисто", "чистый", "чистота", "грязно", "грязный", "грязь", "убирать",
                    "убрать", "пыльно", "беспорядок"),
    "parking": ("парковка", "припарковаться", "машина", "стоянка"),
    "praise": ("спасибо", "благодарить", "благодарность", "довольный", "посоветовать",
               "рекомендовать"),
}

#: The planted themes' word forms as the generator writes them (lower case), for counting
#: mentions without any NLP: a text mentions the theme when one of its words starts so.
THEME_STEMS = {
    "schedule": ("расписани", "перенес", "перенос", "врем", "отмен", "выходн"),
    "parking": ("парков", "припарков", "машин", "стоянк"),
}

#: P(a comment mentions the schedule) by NPS category, in every quarter but the surge.
COMMENT_SCHEDULE = {"detractor": 0.12, "passive": 0.10, "promoter": 0.03}
#: Detractors' P(schedule) in the surge quarter (transfers and cancellations pile up).
COMMENT_SCHEDULE_SURGE = {"2026Q3": 0.45}
#: P(a comment raises parking, the theme the questionnaire does not ask about), every quarter.
COMMENT_PARKING = {"detractor": 0.18, "passive": 0.10, "promoter": 0.01}
#: Who mentions the schedule within a category and quarter leans to low f_schedule
#: ratings: weight by rating (empty = 1), rescaled in each cell so that the cell's mean
#: probability is the planted one.
SCHEDULE_TILT = {1: 2.0, 2: 1.8, 3: 1.2, 4: 0.8, 5: 0.5}

#: The staff feedback group («ОБРАТНАЯ СВЯЗЬ») exported by Telegram Desktop.
TELEGRAM_CHAT = {"name": "ОБРАТНАЯ СВЯЗЬ", "type": "private_supergroup", "id": 2183746590}
TELEGRAM_PATH = "telegram/result.json"
#: Staff: from_id, display name (never stored by the ingest), role code, username.
TELEGRAM_STAFF = {
    "system": ("user5123406781", "Ольга Кравцова", "client_department", "@olga_kravtsova"),
    "communicator": ("user6234517892", "Дарья Мельникова", "client_department",
                     "@dasha_melnikova"),
    "admin": ("user5012345678", "Анна Администратор", "administrator", "@anna_admin_dl"),
    "head": ("user1987654320", "Игорь Сафонов", "improvements", "@igor_safonov"),
}
TELEGRAM_RELAYERS = {"system": 0.35, "communicator": 0.40, "admin": 0.25}
#: Relayed feedback messages per day (Poisson), and in the surge quarter.
TELEGRAM_FEEDBACK_PER_DAY = {"default": 0.6, "2026Q3": 0.85}
#: P(a relayed feedback message is about the schedule / parking), as for the comments.
TELEGRAM_SCHEDULE = {"default": 0.12, "2026Q3": 0.40}
TELEGRAM_PARKING = 0.15
TELEGRAM_HASHTAGS = {
    "teacher_attention": "#педагоги", "child_enjoyment": "#занятия",
    "teacher_feedback": "#педагоги", "safety": "#безопасность", "price_value": "#цены",
    "schedule": "#расписание", "booking_ease": "#запись", "cleanliness": "#чистота",
    "parking": "#парковка", "praise": "#благодарность",
}
#: Where the head of improvements passes a theme on.
TELEGRAM_DEPARTMENTS = {
    "teacher_attention": "в педагогический отдел", "child_enjoyment": "в педагогический отдел",
    "teacher_feedback": "в педагогический отдел",
    "safety": "администраторам и в педагогический отдел",
    "price_value": "в бухгалтерию и маркетинг", "schedule": "администраторам",
    "booking_ease": "в клиентский отдел", "cleanliness": "в хозяйственную службу",
    "parking": "в хозяйственную службу", "praise": "педагогам",
    "general": "в педагогический отдел",
}


#: What clients say (comments): the planted themes; ``measured`` values (in
#: ``TRUTHS["measured"]``, keys ``comment_…``) are of the committed responses.csv.
TRUTHS["comments"] = {
    "rng": f"numpy.random.default_rng([seed, {COMMENT_RNG_KEY}])",
    "comment_share": 0.55,  # of answers (drawn from the main stream, as ever)
    # the share of detractors' comments that mention the schedule: 0.45 in 2026Q3 against
    # 0.12 in every earlier quarter (a surge of transfers and cancellations, seen in what
    # detractors say; the f_schedule ratings are those of every other quarter)
    "comment_schedule_detractors_2026Q3": COMMENT_SCHEDULE_SURGE["2026Q3"],
    "comment_schedule_detractors_before": COMMENT_SCHEDULE["detractor"],
    "schedule_surge_quarter": "2026Q3",
    "comment_schedule_by_category": dict(COMMENT_SCHEDULE),  # every quarter but the surge
    # parking: raised in every quarter, asked about nowhere (no factor, not in study.yml)
    "comment_parking_by_category": dict(COMMENT_PARKING),
    "off_questionnaire_theme": "parking",
    "schedule_tilt_by_rating": dict(SCHEDULE_TILT),
    "theme_lemmas": dict(THEME_LEMMAS),
    "theme_stems": dict(THEME_STEMS),
    # lemmas (negation joined as «не_…») that separate detractors' comments from
    # promoters' by a weighted log-odds ratio, among the content words
    "distinguishing": {
        "detractor": ("парковка", "машина", "припарковаться", "дорого", "дороговатый",
                      "перенести", "время", "расписание", "неудобно", "грязный",
                      "не_понравиться", "не_рассказывать"),
        "promoter": ("спасибо", "довольный", "благодарить", "рекомендовать", "посоветовать",
                     "восторг", "внимательный", "безопасность"),
    },
    "n_templates": {t: {p: len(v) for p, v in pols.items()}
                    for t, pols in COMMENT_TEMPLATES.items()},
}

#: The staff feedback group's export (``telegram/result.json``): the same themes,
#: relayed by staff. ``relayed feedback`` = a message by a relaying role
#: (client_department, administrator), not a reply, with text (:func:`relayed_feedback`).
TRUTHS["telegram"] = {
    "path": TELEGRAM_PATH,
    "chat": dict(TELEGRAM_CHAT),
    "roles": {v[0]: v[2] for v in TELEGRAM_STAFF.values()},
    "relaying_roles": ("client_department", "administrator"),
    "feedback_per_day": dict(TELEGRAM_FEEDBACK_PER_DAY),  # Poisson; Sundays × 0.3
    "feedback_schedule_2026Q3": TELEGRAM_SCHEDULE["2026Q3"],
    "feedback_schedule_before": TELEGRAM_SCHEDULE["default"],
    "feedback_parking": TELEGRAM_PARKING,  # every quarter
    "client_ref": r"клиент\s+(C\d{5})",
    "client_ref_share": 0.7,  # of relayed messages but map reviews (which name nobody)
    "head_reply_share": 0.45,
    "timezone": "Europe/Moscow",  # date = date_unixtime + 3 h
    # measure_telegram() of the committed export
    "measured": {
        "n_messages": 710,
        "n_service": 9,
        "n_relayed_feedback": 400,
        "relayed_n_by_quarter": {"2024Q4": 53, "2025Q1": 52, "2025Q2": 46, "2025Q3": 53,
                                 "2025Q4": 40, "2026Q1": 42, "2026Q2": 59, "2026Q3": 55},
        "schedule_by_quarter": {"2024Q4": 0.189, "2025Q1": 0.192, "2025Q2": 0.174,
                                "2025Q3": 0.151, "2025Q4": 0.05, "2026Q1": 0.119,
                                "2026Q2": 0.102, "2026Q3": 0.382},
        "schedule_before": 0.142,
        "schedule_2026Q3": 0.382,
        "parking": 0.172,
        "with_client_ref": 260,
    },
}


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


def _responses(rng, cl, inv, days_idx, camp_idx, complaints, crng):
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
    # comments: whether there is one, and a uniform the fixed pools once picked from, are
    # still drawn from the main stream (so that everything after them stays as it was);
    # what a comment says is drawn from the comments' own generator
    has_comment = rng.random(m) < 0.55
    rng.random(m)  # the former pick among fixed sentences: drawn, no longer used
    comments = _comments(crng, cl, r["ci"].to_numpy(), nps, ratings, quarter, has_comment)
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


# ----------------------------------------------------------------- comments and feedback

#: The factors a comment can raise from the family's own ratings (the schedule is drawn
#: apart, with its planted probability).
_RATED_THEMES = tuple(f for f in FACTORS if f != "schedule")


def _category(nps) -> np.ndarray:
    """NPS category of 0–10 answers: promoter 9–10, passive 7–8, detractor 0–6."""
    nps = np.asarray(nps)
    return np.where(nps >= 9, "promoter", np.where(nps >= 7, "passive", "detractor"))


def _tilted(target: float, w: np.ndarray) -> np.ndarray:
    """Probabilities proportional to ``w`` whose mean is ``target``, none above 1 (a capped
    one's excess goes to the others in proportion to ``w``)."""
    p = target * w / w.mean()
    while (p > 1).any():
        over = p > 1
        p[~over] += (p[over] - 1).sum() * w[~over] / w[~over].sum()
        p[over] = 1.0
    return p


def _fill(template: str, child: str, girl: bool) -> str:
    gen, dat = CHILD_CASES.get(child, (child, child))
    return template.format(child=child, child_gen=gen, child_dat=dat, a="а" if girl else "",
                           sya="ась" if girl else "ся")


def _sentence(crng, theme: str, polarity: str) -> str:
    pool = COMMENT_TEMPLATES[theme][polarity]
    return pool[int(crng.integers(len(pool)))]


def _lowest(crng, ratings: dict, only_below: float = 6.0) -> str | None:
    """A rated theme drawn with weight (6 − rating)² (empty counts as 3): the lower a
    family rated it, the likelier it is what they write about."""
    w = np.array([(6 - (3.0 if np.isnan(x) else x)) ** 2 if (np.isnan(x) or x < only_below)
                  else 0.0 for x in (ratings[f] for f in _RATED_THEMES)])
    if w.sum() == 0:
        return None
    return _RATED_THEMES[int(crng.choice(len(w), p=w / w.sum()))]


def _comment_plan(crng, cat: str, ratings: dict, schedule_rating: float,
                  schedule: bool, parking: bool) -> tuple[list, list]:
    """(praise, complaints): lists of (theme, polarity) for one comment.

    The planted themes come first and decide alone whether schedule and parking are
    mentioned; the other factors follow the family's ratings of them: a detractor writes
    about what they rated 1–2 (else what they rated lowest), a promoter praises what they
    rated 5 and thanks, a passive mixes a little of both.
    """
    pos: list = []
    neg: list = []
    low_s = not np.isnan(schedule_rating) and schedule_rating <= 3
    if schedule:
        if cat == "detractor" or (cat == "passive" and low_s) or (cat == "promoter"
                                                                  and schedule_rating <= 3):
            neg.append(("schedule", "neg"))
        else:
            pos.append(("schedule", "pos"))
    if parking:
        neg.append(("parking", "mild" if cat == "promoter" else "neg"))
    low = [f for f in _RATED_THEMES if ratings[f] <= 2]
    high = [f for f in _RATED_THEMES if ratings[f] == 5]
    if cat == "detractor":
        for f in low:
            if crng.random() < 0.6 and len(neg) < 3:
                neg.append((f, "neg"))
        if not neg:
            f = _lowest(crng, ratings) if crng.random() < 0.8 else None
            neg.append((f, "neg") if f else ("general", "neg"))
    elif cat == "passive":
        if crng.random() < 0.45:
            if high and crng.random() < 0.6:
                pos.insert(0, (high[int(crng.integers(len(high)))], "pos"))
            else:
                pos.insert(0, ("general", "mid"))
        for f in low:
            if crng.random() < 0.4 and len(neg) < 2:
                neg.append((f, "neg"))
        if not pos and not neg:
            f = _lowest(crng, ratings, only_below=4) if crng.random() < 0.6 else None
            if f:
                neg.append((f, "neg"))
            else:
                pos.append(("general", "mid"))
    else:
        for f in high:
            if crng.random() < 0.3 and len(pos) < 2:
                pos.append((f, "pos"))
        if crng.random() < 0.55 or not pos:
            pos.insert(int(crng.integers(len(pos) + 1)), ("praise", "pos"))
        if low and crng.random() < 0.15:
            neg.append((low[int(crng.integers(len(low)))], "neg"))
    if len(neg) > 1:
        neg = [neg[i] for i in crng.permutation(len(neg))]
    return pos, neg


def _join(crng, cat: str, pos: list, neg: list) -> str:
    """Sentences praise first; a passive's praise and complaint are sometimes one sentence
    ("В целом нас всё устраивает, но …")."""
    if (cat == "passive" and pos and neg and pos[-1].endswith(".") and "," not in pos[-1]
            and not neg[0].startswith("{") and crng.random() < 0.5):
        first = neg[0][0].lower() + neg[0][1:]
        return " ".join(pos[:-1] + [pos[-1][:-1] + ", но " + first] + neg[1:])
    return " ".join(pos + neg)


def _comments(crng, cl, ci_arr, nps, ratings, quarter, has_comment) -> list[str]:
    """The comment of each response ("" where there is none), from ``crng`` alone."""
    m = len(nps)
    cat = _category(nps)
    q = np.asarray(quarter)
    sched = ratings["f_schedule"].to_numpy(dtype=float, na_value=np.nan)
    w = np.array([1.0 if np.isnan(x) else SCHEDULE_TILT[int(x)] for x in sched])
    p_sched = np.zeros(m)
    for c in ("detractor", "passive", "promoter"):
        for quarter_ in QUARTERS:
            cell = has_comment & (cat == c) & (q == quarter_)
            if cell.any():
                target = (COMMENT_SCHEDULE_SURGE.get(quarter_, COMMENT_SCHEDULE[c])
                          if c == "detractor" else COMMENT_SCHEDULE[c])
                p_sched[cell] = _tilted(target, w[cell])
    u = crng.random((m, 2))
    schedule = u[:, 0] < p_sched
    parking = u[:, 1] < np.array([COMMENT_PARKING[c] for c in cat])
    rated = {f: ratings["f_" + f].to_numpy(dtype=float, na_value=np.nan) for f in _RATED_THEMES}
    out = []
    for k in range(m):
        if not has_comment[k]:
            out.append("")
            continue
        pos, neg = _comment_plan(crng, cat[k], {f: rated[f][k] for f in _RATED_THEMES},
                                 sched[k], bool(schedule[k]), bool(parking[k]))
        pos = [_sentence(crng, *x) for x in pos]
        neg = [_sentence(crng, *x) for x in neg]
        ci = int(ci_arr[k])
        text = _join(crng, cat[k], pos, neg)
        out.append(_fill(text, cl["child_first"][ci], bool(cl["girl"][ci])))
    return out


def mentions(texts, theme: str) -> np.ndarray:
    """Whether each text mentions a planted theme (``schedule`` or ``parking``) in the
    generator's own words: a word (lower case) starting with one of :data:`THEME_STEMS`."""
    pat = re.compile(r"\b(?:" + "|".join(THEME_STEMS[theme]) + r")", re.IGNORECASE)
    return np.array([bool(isinstance(t, str) and pat.search(t)) for t in texts], dtype=bool)


# The feedback group: what staff write besides relayed feedback (no theme words in any).
_TG_RULES = ("Правила группы",
             (": сюда пишем любую обратную связь от родителей — из звонков, мессенджеров, "
              "разговоров на ресепшене и после занятий. Указываем номер клиента из CRM и "
              "тему хештегом. Имена и телефоны — только если без них никак."))
_TG_ANNOUNCE = (
    "Коллеги, итоги месяца разберём на планёрке в пятницу.",
    "Отчёт за месяц готов, лежит в общей папке.",
    "Новые задачи по итогам месяца — в трекере, проверьте свои.",
    "Коллеги, на этой неделе планёрка в четверг.",
    "Напоминаю: номер клиента из CRM в каждом сообщении, иначе не найдём семью.",
    "По прошлому месяцу закрыли почти всё, остальное в работе.",
)
_TG_REPLY = (
    "Принято, передали {dept}.",
    "Принято, передали {dept}, ответ семье до пятницы.",
    "Передали {dept}, возьмём на контроль.",
    "Принято. Передали {dept}, вернусь с ответом.",
    "Видел, передали {dept}.",
)
_TG_FOLLOW = ("Маме сообщили, вопрос закрыт.", "Передала семье, ждут.", "Отлично, поняла!",
              "Семье ответили.", "Понял, держу в курсе.", "Хорошо, так и скажу.")
_TG_WRAP = (
    "{Parent} {child_gen}{ref} после первого занятия: «{text}»",
    "{Parent} {child_gen}{ref} на ресепшене: «{text}»",
    "{Called} {parent} {child_gen}{ref}: «{text}»",
    "Родитель{ref} написал в мессенджер: «{text}»",
    "Из разговора с {parent_ins} {child_gen}{ref}: «{text}»",
    "{Parent} {child_gen}{ref} после лагеря: «{text}»",
    "{Parent} {child_gen}{ref} после похода: «{text}»",
)
_TG_STICKERS = ("👍", "👍", "🙏", "❤️", "👌", "🔥")


def _local(ts: int) -> str:
    """Unix seconds → Moscow local time (UTC+3, no daylight saving) as Telegram writes it."""
    return str(np.datetime64(int(ts) + 3 * 3600, "s"))


def _working(ts: int, crng) -> int:
    """``ts``, or the next morning (9–11 Moscow time) when it falls after 22:00 or before 8:00."""
    local = ts + 3 * 3600
    hour = (local % 86400) // 3600
    if 8 <= hour < 22:
        return ts
    day = local // 86400 + (hour >= 22)
    return day * 86400 + int(crng.integers(9 * 3600, 11 * 3600)) - 3 * 3600


def _tg_entities(parts) -> tuple[object, list]:
    """(``text``, ``text_entities``) as Telegram writes them: a plain string when the text
    has no entities, else a list of strings and entity objects."""
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif p != "":
            merged.append(p)
    if all(isinstance(p, str) for p in merged):
        text = "".join(merged)
        return text, ([{"type": "plain", "text": text}] if text else [])
    return merged, [{"type": "plain", "text": p} if isinstance(p, str) else dict(p)
                    for p in merged]


def _telegram(crng, cl, v) -> dict:
    """The feedback group's Telegram Desktop export (``result.json``), from ``crng``."""
    start, end = _days(START), _days(END)
    end_ts = (end + 1) * 86400 - 1 - 3 * 3600  # 2026-09-30 23:59:59 Moscow
    vday = v["day"].to_numpy(np.int64)
    vci = v["ci"].to_numpy(np.int64)
    admin_joins = _days("2025-02-03")
    msgs: list[dict] = []

    def at(day: int, lo_h: float, hi_h: float) -> int:
        return day * 86400 + int(crng.integers(int(lo_h * 3600), int(hi_h * 3600))) - 3 * 3600

    def add(ts: int, who: str | None, **kw) -> dict | None:
        if ts > end_ts:
            return None
        msg = dict(ts=int(ts), who=who, seq=len(msgs), **kw)
        msgs.append(msg)
        return msg

    # the group is set up: members invited, the rules pinned; the administrator joins later
    t0 = _days("2024-10-01") * 86400 + 10 * 3600 - 3 * 3600
    add(t0, "head", service="invite_members",
        members=[TELEGRAM_STAFF["system"][1], TELEGRAM_STAFF["communicator"][1]])
    rules = add(t0 + 240, "head", parts=[{"type": "bold", "text": _TG_RULES[0]}, _TG_RULES[1]])
    add(t0 + 300, "head", service="pin_message", pinned=rules)
    add(admin_joins * 86400 + 9 * 3600 + 1260 - 3 * 3600, "admin", service="join_group_by_link")
    add(_days("2025-06-02") * 86400 + 11 * 3600 - 3 * 3600, "head", service="invite_members",
        members=["Марина Соколова"])
    # the head's monthly notes, a few pinned
    for mo in np.arange(np.datetime64("2024-11", "M"), np.datetime64("2026-10", "M")):
        day = int(mo.astype("datetime64[D]").astype(np.int64)) + int(crng.integers(0, 4))
        note = add(at(day, 10, 12), "head",
                   parts=[_TG_ANNOUNCE[int(crng.integers(len(_TG_ANNOUNCE)))]])
        if note is not None and crng.random() < 0.2:
            add(note["ts"] + int(crng.integers(30, 600)), "head", service="pin_message",
                pinned=note)
    # relayed feedback, the head's answers, the relayers' follow-ups
    relayers = list(TELEGRAM_RELAYERS)
    rel_w = np.array(list(TELEGRAM_RELAYERS.values()))
    rated_w = np.array([0.10, 0.10, 0.08, 0.07, 0.18, 0.14, 0.10])  # _RATED_THEMES
    for day in range(start, end + 1):
        q = _quarter_of_day(day)
        sunday = (day + 3) % 7 == 6
        lam = TELEGRAM_FEEDBACK_PER_DAY.get(q, TELEGRAM_FEEDBACK_PER_DAY["default"])
        n = int(crng.poisson(lam * (0.3 if sunday else 1.0)))
        for _ in range(n):
            w = rel_w * np.array([1.0, 1.0, float(day >= admin_joins)])
            who = relayers[int(crng.choice(len(w), p=w / w.sum()))]
            ts = at(day, 9, 21)
            # the planted themes, then the rest
            themes = []
            if crng.random() < TELEGRAM_SCHEDULE.get(q, TELEGRAM_SCHEDULE["default"]):
                themes.append(("schedule", "neg"))
            if crng.random() < TELEGRAM_PARKING:
                themes.append(("parking", "neg"))
            if not themes:
                if crng.random() < 0.35:
                    f = (_RATED_THEMES[int(crng.integers(len(_RATED_THEMES)))]
                         if crng.random() < 0.5 else "praise")
                    themes.append((f, "pos"))
                elif crng.random() < 0.9:
                    f = _RATED_THEMES[int(crng.choice(len(rated_w), p=rated_w / rated_w.sum()))]
                    themes.append((f, "neg"))
                else:
                    themes.append(("general", "neg"))
            # the family it is about: one with a visit in the 60 days before
            lo, hi = np.searchsorted(vday, [day - 60, day + 1])
            pool = np.unique(vci[lo:hi])
            ci = int(crng.choice(pool)) if len(pool) else int(crng.integers(len(cl["ids"])))
            child, girl = cl["child_first"][ci], bool(cl["girl"][ci])
            gen = CHILD_CASES.get(child, (child, child))[0]
            cid = str(cl["ids"][ci])
            said = _fill(" ".join(_sentence(crng, *t) for t in themes), child, girl)
            with_ref = crng.random() < 0.7
            ref = f" (клиент {cid})" if with_ref else ""
            father = crng.random() < 0.2
            style = crng.random()
            phone = cl["phone"][ci]
            if style < 0.10 and phone and with_ref:
                said_by = "Папа" if father else "Мама"
                left = "оставил" if father else "оставила"
                parts = [f"{said_by} {gen} (клиент {cid}) {left} телефон для ответа ",
                         {"type": "phone", "text": phone}, f". Говорит: «{said}»"]
            elif style < 0.15:
                parts = ["Новый отзыв на картах ",
                         {"type": "link", "text": "https://maps.example.org/org/detilyubyat/"
                                                  f"reviews/{int(crng.integers(10000, 99999))}"},
                         f": «{said}»"]
            else:
                wrap = _TG_WRAP[int(crng.integers(len(_TG_WRAP)))]
                body = wrap.format(Parent="Папа" if father else "Мама",
                                   Called="Звонил" if father else "Звонила",
                                   parent="папа" if father else "мама",
                                   parent_ins="папой" if father else "мамой",
                                   child_gen=gen, ref=ref, text=said)
                parts = [body]
                if style < 0.35:
                    parts = [{"type": "bold", "text": "Отзыв родителя"}, "\n" + body]
                elif style < 0.42:
                    parts = [{"type": "mention", "text": TELEGRAM_STAFF["head"][3]},
                             ", " + body[0].lower() + body[1:]]
            if crng.random() < 0.4:
                for t, _ in themes:
                    if t in TELEGRAM_HASHTAGS:
                        parts += [" ", {"type": "hashtag", "text": TELEGRAM_HASHTAGS[t]}]
            photo = crng.random() < 0.06
            edited = (ts + int(crng.integers(60, 1200))) if crng.random() < 0.05 else None
            fb = add(ts, who, parts=parts, photo=photo, edited=edited, feedback=themes)
            if fb is None:
                continue
            if crng.random() < 0.03:  # a photo without caption, right after
                add(ts + int(crng.integers(20, 300)), who, parts=[], photo=True, reply=fb)
            if crng.random() < 0.05:  # a colleague's sticker
                mates = [r for r in relayers if r != who and (r != "admin" or day >= admin_joins)]
                add(ts + int(crng.integers(60, 3600)), mates[int(crng.integers(len(mates)))],
                    parts=[], sticker=_TG_STICKERS[int(crng.integers(len(_TG_STICKERS)))],
                    reply=fb)
            if crng.random() < 0.45:
                dept = TELEGRAM_DEPARTMENTS[themes[0][0]]
                txt = _TG_REPLY[int(crng.integers(len(_TG_REPLY)))].format(dept=dept)
                ans = add(_working(ts + int(crng.lognormal(math.log(90 * 60), 1.0)) + 30,
                                   crng), "head", parts=[txt], reply=fb)
                if ans is not None and crng.random() < 0.25:
                    later = ans["ts"] + int(crng.lognormal(math.log(30 * 60), 1.0)) + 10
                    if crng.random() < 0.3:
                        add(later, who, reply=ans, parts=[], sticker="👍")
                    else:
                        add(later, who, reply=ans,
                            parts=[_TG_FOLLOW[int(crng.integers(len(_TG_FOLLOW)))]])
    msgs.sort(key=lambda x: (x["ts"], x["seq"]))
    for i, msg in enumerate(msgs):
        msg["id"] = i + 1
    out = []
    n_photo = n_sticker = 0
    for msg in msgs:
        who = TELEGRAM_STAFF[msg["who"]]
        date = _local(msg["ts"])
        row: dict = {"id": msg["id"], "type": "service" if "service" in msg else "message",
                     "date": date, "date_unixtime": str(msg["ts"])}
        if "service" in msg:
            row.update({"actor": who[1], "actor_id": who[0], "action": msg["service"]})
            if msg["service"] == "invite_members":
                row["members"] = msg["members"]
            elif msg["service"] == "pin_message":
                row["message_id"] = msg["pinned"]["id"]
            else:
                row["inviter"] = "Group"
            row.update({"text": "", "text_entities": []})
            out.append(row)
            continue
        if msg.get("edited"):
            row.update({"edited": _local(msg["edited"]), "edited_unixtime": str(msg["edited"])})
        row.update({"from": who[1], "from_id": who[0]})
        if msg.get("reply"):
            row["reply_to_message_id"] = msg["reply"]["id"]
        if msg.get("photo"):
            n_photo += 1
            stamp = (date[8:10] + "-" + date[5:7] + "-" + date[:4] + "_"
                     + date[11:].replace(":", "-"))
            wide = (msg["id"] % 3) != 0
            row.update({"photo": f"photos/photo_{n_photo}@{stamp}.jpg",
                        "photo_file_size": 60000 + (msg["id"] * 7919) % 180000,
                        "width": 1280 if wide else 960, "height": 960 if wide else 1280})
        if msg.get("sticker"):
            n_sticker += 1
            name = "sticker.webp" if n_sticker == 1 else f"sticker ({n_sticker}).webp"
            row.update({"file": f"stickers/{name}", "file_size": 20000 + (msg["id"] * 613) % 30000,
                        "thumbnail": f"stickers/{name}_thumb.jpg",
                        "thumbnail_file_size": 4000 + (msg["id"] * 97) % 3000,
                        "media_type": "sticker", "sticker_emoji": msg["sticker"],
                        "width": 512, "height": 512})
        text, entities = _tg_entities(msg.get("parts", []))
        row.update({"text": text, "text_entities": entities})
        out.append(row)
    return {"name": TELEGRAM_CHAT["name"], "type": TELEGRAM_CHAT["type"],
            "id": TELEGRAM_CHAT["id"], "messages": out}


def telegram_text(message: dict) -> str:
    """A message's text as one string (a list text's parts joined)."""
    t = message.get("text", "")
    return t if isinstance(t, str) else "".join(p if isinstance(p, str) else p["text"]
                                                 for p in t)


def relayed_feedback(export: dict) -> list[dict]:
    """The messages of the export that relay feedback: by a relaying role (not the head of
    improvements), not a reply, with text. These are what :data:`TRUTHS` ``["telegram"]``
    plants themes in."""
    relay_ids = {TELEGRAM_STAFF[k][0] for k in TELEGRAM_RELAYERS}
    return [m for m in export["messages"] if m["type"] == "message"
            and m.get("from_id") in relay_ids and "reply_to_message_id" not in m
            and telegram_text(m)]


def _build(seed: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """The six tables (raw, as written) and the feedback group's Telegram export."""
    rng = np.random.default_rng(seed)
    cl = _clients(rng)
    v = _visits(rng, cl)
    days_idx, camp_idx = _client_visit_index(v, len(cl["ids"]))
    comp = _complaints(rng, cl, days_idx, camp_idx)
    cont = _contacts(rng, cl, days_idx)
    events = _survey_events(rng, cl, v, days_idx)
    crng = np.random.default_rng([seed, COMMENT_RNG_KEY])
    inv, resp, _flags = _responses(rng, cl, events, days_idx, camp_idx, comp, crng)
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
    tables = {"clients": clients, "visits": visits, "responses": responses,
              "invitations": invitations, "contacts": contacts, "complaints": complaints}
    return tables, _telegram(crng, cl, v)


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
    raw, export = _build(int(seed))
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
        write_telegram(export, out / TELEGRAM_PATH)
    return typed


def write_telegram(export: dict, path: str | Path) -> None:
    """Write a Telegram export as Telegram Desktop does: UTF-8, not ASCII-escaped, indent 1."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def telegram_export(seed: int = DEFAULT_SEED) -> dict:
    """The staff feedback group «ОБРАТНАЯ СВЯЗЬ» as Telegram Desktop exports it
    (``result.json``'s content), for the sample business of ``seed``.

    Its messages relay parents' feedback (often naming the client, ``клиент C00123``, and
    sometimes the child and a parent's phone), with the head of improvements' answers,
    stickers, photos and service messages; dates are Moscow time (``date``) and UTC
    seconds (``date_unixtime``). It draws from the comments' generator
    (``default_rng([seed, COMMENT_RNG_KEY])``) after the comments, so it is built with
    the tables (a few seconds); :func:`generate` writes it as ``telegram/result.json``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed: got {seed!r}; expected a non-negative whole number")
    return _build(int(seed))[1]


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
        **_measure_comments(r),
    }


def _measure_comments(r: pd.DataFrame) -> dict:
    """Shares of 0–10 answers' comments that mention the planted themes
    (:func:`mentions`), by NPS category and quarter."""
    cm = r.dropna(subset=["nps", "comment"])
    cm = cm[cm["comment"] != ""]
    cat = pd.Series(_category(cm["nps"].astype(int).to_numpy()), index=cm.index)
    q = schema.quarter_of(cm["submitted_at"])
    sched = pd.Series(mentions(cm["comment"], "schedule"), index=cm.index)
    park = pd.Series(mentions(cm["comment"], "parking"), index=cm.index)
    surge = next(iter(COMMENT_SCHEDULE_SURGE))
    det, before = cat == "detractor", q != surge

    def share(x) -> float:
        return round(float(x.mean()), 3)

    return {
        "comment_n_by_category": {c: int(n) for c, n in cat.value_counts().sort_index().items()},
        "comment_detractors_n_by_quarter": {k: int(n) for k, n in q[det].value_counts()
                                            .sort_index().items()},
        "comment_schedule_detractors_by_quarter": {k: share(x) for k, x in
                                                   sched[det].groupby(q[det])},
        "comment_schedule_detractors_before": share(sched[det & before]),
        "comment_schedule_detractors_" + surge: share(sched[det & ~before]),
        "comment_schedule_by_category_before": {c: share(x) for c, x in
                                                sched[before].groupby(cat[before])},
        "comment_parking_by_category": {c: share(x) for c, x in park.groupby(cat)},
        "comment_parking_by_quarter_detractors": {k: share(x) for k, x in
                                                  park[det].groupby(q[det])},
    }


def measure_telegram(export: dict) -> dict:
    """The planted themes as they come out in a feedback group export: per quarter, the
    relayed feedback messages (:func:`relayed_feedback`) and the shares that mention the
    schedule and parking (:func:`mentions`)."""
    fb = relayed_feedback(export)
    text = [telegram_text(m) for m in fb]
    q = schema.quarter_of(pd.Series([m["date"] for m in fb], dtype=object))
    sched = pd.Series(mentions(text, "schedule"))
    park = pd.Series(mentions(text, "parking"))
    surge = next(iter(COMMENT_SCHEDULE_SURGE))
    before = q != surge
    msgs = export["messages"]
    return {
        "n_messages": len(msgs),
        "n_service": sum(m["type"] == "service" for m in msgs),
        "n_relayed_feedback": len(fb),
        "relayed_n_by_quarter": {k: int(n) for k, n in q.value_counts().sort_index().items()},
        "schedule_by_quarter": {k: round(float(x.mean()), 3) for k, x in sched.groupby(q)},
        "schedule_before": round(float(sched[before].mean()), 3),
        "schedule_" + surge: round(float(sched[~before].mean()), 3),
        "parking": round(float(park.mean()), 3),
        "with_client_ref": sum(bool(re.search(r"клиент\s+C\d{5}", t)) for t in text),
    }
