"""Can we trust the figures? Data-trust checks on survey responses.

Signs of gaming by interviewers (too many 10s, too little spread), straight-lining,
duplicate submissions, channel mixing and small groups. Every check returns flags with
the evidence; no function drops or edits a row.

The interviewer check (:func:`interviewer_flags`) asks whether an interviewer records
more 10s, or a narrower spread of 0–10 recommendation scores, than the other
interviewers who asked the same survey of the same kind of client (interviewers exist
only where a person asks the questions, e.g. a call; rows without an interviewer are left
out). Gaming inflates 10s and narrows the spread, so both tests are one-sided: fewer 10s
or a wider spread is never a flag and gets a large q-value.

- **Reference: the others, without the flagged.** Round 1 tests every interviewer with at
  least ``min_n`` answers against all the other interviewers' answers. The interviewers
  it flags leave every reference; round 2 re-tests every interviewer — the flagged ones
  too, each against the unflagged others — and so on until a round flags no one new.
  Flags only accumulate (a flagged interviewer's answers are suspect), so this ends
  after at most one round more than there are interviewers; the table shows the last
  round. Without it a gamer's 10s inflate everyone else's reference (in the sample data
  5 of 6 honest interviewers had "significantly fewer 10s" only because I07 was in their
  pool) and several gamers hide one another.
- **Case mix.** Answers are compared within strata: channel × survey × every segment the
  study declares with a closed code list (e.g. ``programme``), where present
  (``strata=`` to choose, ``()`` to pool). Camp surveys score higher than lapsed-client
  ones, so an interviewer who calls mostly after camps has more 10s without gaming.
  Segments with free codes (``teacher_id``, a store) are left out by default: each code
  would be a stratum of a handful of answers. Strata where either side has no answers
  contribute nothing.
- **10s**: the exact conditional test of a common odds ratio of 1 against more than 1 —
  the exact Cochran–Mantel–Haenszel test (Fisher's exact test, stratified): the
  interviewer's number of 10s against the convolution of the strata's hypergeometric
  distributions given the margins. With one stratum it is scipy's
  ``fisher_exact(alternative="greater")``. Above ``5 000`` answers of the interviewer the
  CMH normal approximation with continuity correction is used instead (its square is
  statsmodels ``StratifiedTable.test_null_odds(correction=True)``). The effect shown is
  the Mantel–Haenszel pooled odds ratio, and ``expected_share_10`` is the reference's
  share of 10s on this interviewer's mix of strata.
- **Spread**: Brown–Forsythe deviations (|score − the median of its side in its
  stratum|); ``mad_diff`` is the interviewer's mean deviation minus the reference's,
  averaged over the strata with Mantel–Haenszel weights n₁n₂/(n₁ + n₂) (points; negative
  = less spread). Its null distribution is the permutation of who asked within each
  stratum (the interviewer's score counts drawn without replacement from the stratum's;
  ``n_permutations`` draws, seeded, so one data set always gives one table), and p is
  the lower normal tail at the permutation mean and SD. Why not Brown–Forsythe on the
  pooled answers, or on scores centred by stratum median: centring removes a stratum's
  level but not its spread, and scores near the top of the scale (camps) are higher *and*
  less spread, so a camp-heavy interviewer would look "less spread" without gaming. Why
  a permutation and not an F-test on the deviations: a side's median in a stratum where
  it has 1–5 answers shrinks its deviations (a single answer's is 0), which an F-test
  reads as less spread; the permutation keeps every side's count per stratum, so the
  same shrinkage is in the null distribution. The normal tail, rather than the share of
  permutations below, lets p fall under 1/``n_permutations``, which Benjamini–Hochberg
  over many interviewers needs.

In each round both tests of every tested interviewer are one family, adjusted by
Benjamini–Hochberg at ``alpha`` (statsmodels ``multipletests(method="fdr_bh")``). The
simulation in ``tests/test_gaming_simulation.py`` checks the false-flag rate with and
without the case-mix adjustment and the power with one to three gamers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.stats.multitest import multipletests

from cxlab import _members, disclosure
from cxlab.errors import ParameterError
from cxlab.metrics import _nps_counts  # the one check of 0–10 scores
from cxlab.schema import factor_columns, quarter_of
from cxlab.study import load_study

__all__ = ["interviewer_flags", "straight_lining", "duplicate_submissions", "channel_mix",
           "small_n_mask", "trust_report", "brown_forsythe_from_counts"]


def _need(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(f"{what}: column(s) {', '.join(map(repr, missing))} not found; "
                             f"the frame has {', '.join(map(str, df.columns[:20]))}")


def _median_from_counts(counts: np.ndarray, values: np.ndarray) -> float:
    n = counts.sum()
    cum = np.cumsum(counts)
    lo = values[np.searchsorted(cum, (n - 1) // 2 + 1)]  # 0-based position (n-1)//2
    hi = values[np.searchsorted(cum, n // 2 + 1)]  # 0-based position n//2
    return (lo + hi) / 2


def brown_forsythe_from_counts(counts_a, counts_b, values=None) -> tuple[float, float]:
    """Brown–Forsythe (median-centred Levene) test of two groups given as value counts.

    Parameters
    ----------
    counts_a, counts_b : array of int
        How many answers took each value of ``values`` (default 0, 1, …).

    Returns
    -------
    (F, p)
        As ``scipy.stats.levene(a, b, center="median")`` on the expanded answers.
    """
    ca = np.asarray(counts_a, dtype=float)
    cb = np.asarray(counts_b, dtype=float)
    vals = np.arange(ca.size, dtype=float) if values is None else np.asarray(values, float)
    groups = []
    for c in (ca, cb):
        med = _median_from_counts(c, vals)
        dev = np.abs(vals - med)
        n = c.sum()
        mean = (c @ dev) / n
        within = c @ (dev - mean) ** 2
        groups.append((n, mean, within))
    N = sum(g[0] for g in groups)
    grand = sum(g[0] * g[1] for g in groups) / N
    between = sum(g[0] * (g[1] - grand) ** 2 for g in groups)
    within = sum(g[2] for g in groups)
    k = 2
    if within == 0:
        return (np.inf if between > 0 else np.nan), (0.0 if between > 0 else np.nan)
    F = (N - k) / (k - 1) * between / within
    return float(F), float(stats.f.sf(F, k - 1, N - k))


def _sd_from_counts(c: np.ndarray) -> float:
    vals = np.arange(c.size, dtype=float)
    n = c.sum()
    if n < 2:
        return float("nan")
    m = c @ vals / n
    return float(np.sqrt((c @ (vals - m) ** 2) / (n - 1)))


#: Above this many answers of an interviewer (in the strata it shares with its reference)
#: the 10s test uses the CMH normal approximation: the exact convolution grows with n².
EXACT_MAX_N = 5000
_SCORES = np.arange(11, dtype=float)


def _case_mix(responses: pd.DataFrame, strata, study) -> list[str]:
    """The stratum columns: ``strata`` as given (checked), or channel, survey and the
    study's segments with a closed code list, those the frame has."""
    if strata is None:
        st = load_study(study)
        declared = [s for s, cl in st.segments.items() if cl.closed and len(cl)]
        return [c for c in dict.fromkeys(("channel", "survey", *declared))
                if c in responses.columns]
    strata = [strata] if isinstance(strata, str) else list(strata)
    _need(responses, strata, "interviewer_flags (strata)")
    return strata


def _tens_test(a, n1, n2, m) -> float:
    """One-sided p that the interviewer's odds of a 10 exceed the reference's, per stratum
    ``a`` 10s of ``n1`` answers against ``n2`` reference answers, ``m`` 10s in all: the
    exact conditional (stratified Fisher, exact CMH) test, P(Σ a ≥ observed) under the
    convolution of the strata's hypergeometric distributions; above ``EXACT_MAX_N``
    answers the CMH normal approximation with continuity correction."""
    if n1.sum() > EXACT_MAX_N:
        n1, n2, m = (np.asarray(x, dtype=float) for x in (n1, n2, m))  # n1·n2·m·… > 2⁶³
        N = n1 + n2
        var = (n1 * n2 * m * (N - m) / (N ** 2 * (N - 1.0))).sum()
        if not var > 0:
            return 1.0
        return float(stats.norm.sf((a.sum() - (n1 * m / N).sum() - 0.5) / np.sqrt(var)))
    N = n1 + n2
    lo, hi = np.maximum(0, n1 + m - N), np.minimum(n1, m)
    pmf = np.ones(1)
    for l_, h_, N_, m_, n_ in zip(lo, hi, N, m, n1):
        x = np.arange(l_, h_ + 1)
        # the hypergeometric pmf from log-binomials (scipy's hypergeom.pmf, without its
        # per-call argument checks, which cost more than the sum in a simulation)
        pmf = np.convolve(pmf, np.exp(_log_binom(m_, x) + _log_binom(N_ - m_, n_ - x)
                                      - _log_binom(N_, n_)))
    return float(min(1.0, pmf[int(a.sum() - lo.sum()):].sum()))


def _log_binom(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def _mad_from_counts(c: np.ndarray) -> np.ndarray:
    """Mean absolute deviation from the median (Brown–Forsythe's deviations, averaged) of
    score counts ``c`` (…, 11), along the last axis."""
    n = c.sum(-1)
    cum = c.cumsum(-1)
    lo = (cum < ((n - 1) // 2 + 1)[..., None]).sum(-1)  # value at 0-based position (n-1)//2
    hi = (cum < (n // 2 + 1)[..., None]).sum(-1)  # value at 0-based position n//2
    med = (lo + hi) / 2
    return (c * np.abs(_SCORES - med[..., None])).sum(-1) / n


def _draw_within(tot: np.ndarray, n1: np.ndarray, size: int, rng) -> np.ndarray:
    """``size`` draws (size, S, 11) of ``n1[s]`` answers without replacement from each
    stratum's score counts ``tot[s]`` (numpy's multivariate hypergeometric; "count" — time
    ∝ the draw, memory ∝ the stratum — for small draws from strata up to a million
    answers, else "marginals")."""
    return np.stack([rng.multivariate_hypergeometric(
        t, k, size=size, method="count" if k < 130 and t.sum() <= 1_000_000 else "marginals")
        for t, k in zip(tot, n1)], axis=1)


def _mad_diff(ci: np.ndarray, ri: np.ndarray) -> float:
    """The interviewer's mean Brown–Forsythe deviation minus the reference's, averaged
    over strata (rows of the 11-value count arrays ``ci``, ``ri``) with Mantel–Haenszel
    weights n₁n₂/(n₁ + n₂)."""
    n1, n2 = ci.sum(1), ri.sum(1)
    w = n1 * n2 / (n1 + n2)
    return float(w @ (_mad_from_counts(ci) - _mad_from_counts(ri)) / w.sum())


def _spread_test(ci: np.ndarray, ri: np.ndarray, rng, n_permutations: int):
    """(mad_diff, one-sided p of less spread): :func:`_mad_diff` against its
    within-stratum permutations (the lower normal tail at their mean and SD)."""
    n1, n2 = ci.sum(1), ri.sum(1)
    w = n1 * n2 / (n1 + n2)
    w = w / w.sum()
    stat = _mad_diff(ci, ri)
    tot = ci + ri
    draws = _draw_within(tot, n1, n_permutations, rng)
    null = (_mad_from_counts(draws) - _mad_from_counts(tot - draws)) @ w
    sd = null.std(ddof=1)
    if not sd > 1e-12:  # every stratum's answers alike: nothing can differ
        return stat, 1.0
    return stat, float(stats.norm.cdf((stat - null.mean()) / sd))


def _versus(c: np.ndarray, r: np.ndarray, min_n: int, rng, n_permutations: int) -> dict:
    """One interviewer's counts ``c`` (strata × 11) against its reference's ``r``."""
    shared = (c.sum(1) > 0) & (r.sum(1) > 0)  # a stratum one side lacks says nothing
    ci, ri = c[shared], r[shared]
    n1, n2 = ci.sum(1), ri.sum(1)
    a, o10 = ci[:, 10], ri[:, 10]
    on, N = int(n2.sum()), n1 + n2
    out = {"others_n": on, "others_share_10": o10.sum() / on if on else np.nan,
           "expected_share_10": (n1 * o10 / n2).sum() / n1.sum() if on else np.nan,
           "others_sd": _sd_from_counts(ri.sum(0)), "odds_ratio": np.nan, "p_tens": np.nan,
           "mad_diff": np.nan, "p_sd": np.nan, "strata": int(shared.sum()),
           "n_shared": int(n1.sum()), "shared": shared}
    if not on:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):  # no 10s on one side: 0 or ∞
        out["odds_ratio"] = float((a * (n2 - o10) / N).sum() / ((n1 - a) * o10 / N).sum())
    if c.sum() >= min_n and n1.sum() >= min_n and on >= min_n:
        out["p_tens"] = _tens_test(a, n1, n2, a + o10)
        out["mad_diff"], out["p_sd"] = _spread_test(ci, ri, rng, n_permutations)
    else:
        out["mad_diff"] = _mad_diff(ci, ri)
    return out


def _evidence(r, min_n: int, alpha: float) -> str:
    """The English sentence of one row of :func:`interviewer_flags`."""
    if r.small_n:
        return f"only {r.n} answers (< {min_n}): not tested"
    if not np.isfinite(r.p_tens):
        text = (f"{r.n} answers, but {r.n_shared} of them and {r.others_n} reference answers "
                f"in the {r.strata} strata it shares with the reference (< {min_n}): "
                "not tested")
    else:
        text = (f"10s: {r.share_10:.0%} of {r.n} vs {r.others_share_10:.0%} of the "
                f"reference's {r.others_n} ({r.expected_share_10:.0%} on this interviewer's "
                f"mix of {r.strata} strata; Mantel–Haenszel OR {r.odds_ratio:.1f}, more-10s "
                f"q={r.q_tens:.2g}); score SD {r.sd:.2f} vs {r.others_sd:.2f} (within strata "
                f"{r.mad_diff:+.2f} points of mean deviation, less-spread q={r.q_sd:.2g})")
    if r.flagged:
        found = [w for w, q in (("more 10s", r.q_tens), ("less spread", r.q_sd)) if q < alpha]
        text += (f"; flagged in round {r.flagged_round}"
                 + (f" ({' and '.join(found)})" if found else ""))
    return text


def interviewer_flags(responses: pd.DataFrame, min_n: int = 30, alpha: float = 0.05, *,
                      interviewer_col: str = "interviewer_id", column: str = "nps",
                      strata=None, study=None, n_permutations: int = 1000,
                      seed: int = 0) -> pd.DataFrame:
    """Per interviewer: more 10s or less spread of 0–10 scores than the unflagged others,
    within strata of case mix (the procedure: module docstring).

    Parameters
    ----------
    responses : DataFrame
        Responses with ``interviewer_id`` and ``nps``; rows without either are ignored.
        Scores must be whole numbers 0–10.
    min_n : int
        Interviewers with fewer answers are reported (``small_n``) but neither tested nor
        flagged; an interviewer is tested only when it and its reference have at least
        ``min_n`` answers in the strata they share.
    alpha : float
        Benjamini–Hochberg false discovery rate for ``flagged``.
    strata : sequence of str, optional
        Columns whose combinations are the case-mix strata. Default: ``channel``,
        ``survey`` and every segment ``study`` declares with a closed code list, those
        present; ``()`` compares pooled answers.
    study : Study or path, optional
        Where the segments come from; default :func:`cxlab.study.default_study`.
    n_permutations, seed : int
        Within-stratum permutations of the spread test and their seed (interviewer ``i``
        draws from ``numpy.random.default_rng([seed, i])``).

    Returns
    -------
    DataFrame
        Index ``interviewer_id``, the last round's tests. ``n, tens, share_10, sd``: the
        interviewer's answers. ``others_n, others_share_10, others_sd``: its reference — the
        answers of the interviewers neither itself nor flagged, in the strata it has
        answers in too. ``expected_share_10``: the reference's share of 10s on this
        interviewer's mix of strata. ``odds_ratio``: Mantel–Haenszel. ``p_tens``: one-sided
        exact conditional (more 10s). ``mad_diff``, ``p_sd``: spread within strata, one-sided
        (less spread). ``q_tens, q_sd``: Benjamini–Hochberg. ``small_n``, ``flagged``,
        ``evidence``, ``strata`` (strata shared with the reference) and
        ``flagged_round`` (the round it was flagged in, else empty). ``attrs``: ``alpha,
        min_n, test, strata`` (columns), ``rounds``, ``n_permutations``, ``seed``; in a
        report kernel (``CXLAB_LEDGER`` set) also the answers behind ``n`` and
        ``others_n`` (:func:`cxlab.disclosure.lookup`).

    Examples
    --------
    >>> fl = interviewer_flags(responses, strata=("survey", "store"))  # doctest: +SKIP
    >>> fl.loc[fl["flagged"], ["share_10", "expected_share_10", "odds_ratio", "q_tens"]]
    """
    _need(responses, [interviewer_col, column], "interviewer_flags")
    if not (0 < alpha < 1):
        raise ParameterError(f"alpha={alpha!r}: expected a false discovery rate between 0 and 1")
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 100:
        raise ParameterError(f"n_permutations={n_permutations!r}: expected a whole number "
                             "≥ 100 (the spread test estimates a standard deviation from them)")
    cols = _case_mix(responses, strata, study)
    used = (responses[interviewer_col].notna() & responses[column].notna()).to_numpy()
    if not used.any():
        raise ParameterError("interviewer_flags: no responses with both an interviewer and a "
                             f"score in '{column}'")
    # 9.5, "ten", 11 or yes/no answers: the row and value, as metrics.nps says them
    score_col = responses[column]
    _nps_counts(score_col if pd.api.types.is_bool_dtype(score_col) else score_col.where(used),
                column)
    sub = responses.loc[used, [interviewer_col, *cols]]
    score = pd.to_numeric(responses.loc[used, column]).to_numpy(dtype=np.int64)
    who, names = pd.factorize(sub[interviewer_col], sort=True)
    stratum = (sub.groupby(cols, dropna=False, sort=False, observed=True).ngroup().to_numpy()
               if cols else np.zeros(len(sub), dtype=np.int64))
    k, n_strata = len(names), int(stratum.max()) + 1
    counts = np.bincount((who * n_strata + stratum) * 11 + score,
                         minlength=k * n_strata * 11).reshape(k, n_strata, 11)
    n = counts.sum(axis=(1, 2))
    flagged = np.zeros(k, dtype=bool)
    flagged_round = np.zeros(k, dtype=np.int64)
    for rnd in range(1, k + 2):  # flags only accumulate: at most k + 1 rounds
        ref_total = counts[~flagged].sum(axis=0)
        res = [_versus(counts[i], ref_total - (0 if flagged[i] else counts[i]), min_n,
                       np.random.default_rng([seed, i]), n_permutations) for i in range(k)]
        p = np.array([[r_["p_tens"] for r_ in res], [r_["p_sd"] for r_ in res]]).ravel()
        q = np.full(p.size, np.nan)
        ok = np.isfinite(p)
        if ok.any():
            q[ok] = multipletests(p[ok], alpha=alpha, method="fdr_bh")[1]
        new = ((q[:k] < alpha) | (q[k:] < alpha)) & ~flagged
        if not new.any():
            break
        flagged |= new
        flagged_round[new] = rnd
    tens = counts[:, :, 10].sum(axis=1)
    col = {key: np.array([r_[key] for r_ in res]) for key in res[0] if key != "shared"}
    col.update(n=n, tens=tens, share_10=tens / n, q_tens=q[:k], q_sd=q[k:],
               sd=np.array([_sd_from_counts(c) for c in counts.sum(axis=1)]),
               small_n=n < min_n, flagged=flagged,
               flagged_round=pd.array(np.where(flagged, flagged_round, 0), dtype="Int64"))
    col["flagged_round"][~flagged] = pd.NA
    rows = pd.DataFrame(col).itertuples(index=False)  # named fields for the sentences
    col["evidence"] = [_evidence(r_, min_n, alpha) for r_ in rows]
    out = pd.DataFrame({c: col[c] for c in (
        "n", "tens", "share_10", "others_n", "others_share_10", "expected_share_10",
        "odds_ratio", "p_tens", "sd", "others_sd", "mad_diff", "p_sd", "q_tens", "q_sd",
        "small_n", "flagged", "evidence", "strata", "flagged_round")},
        index=pd.Index(names, name=interviewer_col))
    out.attrs.update(
        alpha=alpha, min_n=min_n, strata=cols, rounds=rnd, n_permutations=n_permutations,
        seed=seed,
        test=("each interviewer against the unflagged others (iterated), within strata of "
              f"{' × '.join(cols) or 'nothing (pooled)'}: one-sided exact conditional "
              "(stratified Fisher / CMH) test of more 10s with the Mantel–Haenszel odds ratio; "
              "one-sided within-stratum permutation test of less spread (Brown–Forsythe "
              "deviations); BH over both"))
    if _members.active():  # report kernels only (cxlab.disclosure): who n and others_n count
        ids = _members.ids_of(responses, "answers", used)
        if ids is not None:
            mine = _members.on_index(out.index, sub[[interviewer_col]], ids, "answers")
            _members.attach(out, "n", mine)
            _members.attach(out, "others_n", {
                key: disclosure.Members("answers", ids[~flagged[who] & (who != i)
                                                       & res[i]["shared"][stratum]])
                for i, key in enumerate(out.index)})
    return out


def _factors_and_scales(responses: pd.DataFrame, factors, study):
    """The factor columns to judge (default: the study's declared factors present, else
    every ``f_<id>`` column) and each one's declared scale (None when undeclared)."""
    st = load_study(study)
    if factors is None:
        declared = [c for c in st.factor_columns if c in responses.columns]
        factors = declared or factor_columns(responses)
    factors = list(factors)
    return factors, {f: st.scale_of(f) for f in factors}


def straight_lining(responses: pd.DataFrame, factors=None, min_answered: int = 3,
                    id_col: str = "response_id", *, study=None) -> pd.DataFrame:
    """Responses whose answered factor ratings all sit at the same point (straight-lining).

    Factors may be on different scales (1–5, 1–7, 0–100 …): when every factor has a
    declared scale the ratings are compared on the common 0–100 scale
    (``100 · (x − lo) / (hi − lo)``), so 5 of 1–5, 7 of 1–7 and 100 of 0–100 are the same
    point and 3 of 1–5 equals 50 of 0–100. When some factor's scale is not declared the
    raw ratings are compared (meaningful only if they share one scale).

    Only responses with at least ``min_answered`` answered factors are judged (two equal
    ratings say little). Identical ratings can be honest (a delighted client rating
    everything at the top); this is a flag for a look, not a verdict.

    Parameters
    ----------
    factors : list of str, optional
        Default: the study's declared factors present in the data, else every ``f_<id>``
        column.
    study : Study or path, optional
        Where the factors and scales come from; default :func:`cxlab.study.default_study`.

    Returns
    -------
    DataFrame
        The flagged responses (original index): ``response_id`` (if present),
        ``n_answered``, ``rating`` (the common rating on the items' own scale when they
        share one, else empty), ``rating_100`` (the common point on 0–100; empty when
        compared raw), plus ``client_id``, ``channel``, ``interviewer_id`` where present.
        ``attrs``: ``n_judged`` (responses judged), ``factors``, ``min_answered`` and
        ``compared_on`` (``"0-100"`` or ``"raw"``).
    """
    factors, scales = _factors_and_scales(responses, factors, study)
    if len(factors) < min_answered:
        raise ParameterError(f"straight_lining: {len(factors)} factor columns "
                             f"({', '.join(factors) or 'none'}); need at least {min_answered} "
                             "(columns named f_<id>)")
    _need(responses, factors, "straight_lining")
    F = responses[factors].apply(pd.to_numeric, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    on_100 = all(sc is not None for sc in scales.values())
    G = np.column_stack([scales[f].to_100(F[:, j]) for j, f in enumerate(factors)]) \
        if on_100 else F
    answered = (~np.isnan(F)).sum(axis=1)
    judged = answered >= min_answered
    with np.errstate(all="ignore"):
        lo = np.where(judged, np.nanmin(np.where(judged[:, None], G, 0), axis=1), np.nan)
        hi = np.where(judged, np.nanmax(np.where(judged[:, None], G, 0), axis=1), np.nan)
    # 0–100 values of different scales are ratios of small integers: equal up to rounding
    flag = judged & np.isclose(lo, hi, rtol=0, atol=1e-9)
    keep = [c for c in (id_col, "client_id", "channel", "interviewer_id")
            if c in responses.columns]
    out = responses.loc[flag, keep].copy()
    out["n_answered"] = answered[flag]
    # the rating on the items' own scale, when the items a response answered share one
    Ff = F[flag]
    n_scales = np.zeros(len(Ff), dtype=int)
    for sc in {str(v) for v in scales.values()}:
        cols = [j for j, f in enumerate(factors) if str(scales[f]) == sc]
        n_scales += (~np.isnan(Ff[:, cols])).any(axis=1)
    with np.errstate(all="ignore"):
        own = np.where(n_scales == 1, np.nanmin(Ff, axis=1, initial=np.inf,
                                                where=~np.isnan(Ff)), np.nan) \
            if len(Ff) else np.empty(0)
    out["rating"] = pd.array(own, dtype="Float64")
    out["rating_100"] = lo[flag] if on_100 else np.full(int(flag.sum()), np.nan)
    out.attrs.update(n_judged=int(judged.sum()), factors=factors, min_answered=min_answered,
                     compared_on="0-100" if on_100 else "raw")
    return out


def duplicate_submissions(responses: pd.DataFrame, *, client_col: str = "client_id",
                          survey_col: str = "survey", date_col: str = "submitted_at",
                          id_col: str = "response_id") -> pd.DataFrame:
    """Responses from the same client to the same survey on the same calendar day.

    Returns every response in such a group (none is dropped): ``response_id``,
    ``client_id``, ``survey``, ``day``, ``n_same_day`` and ``first`` (True for the earliest
    of its group — the one to keep if the analyst decides to de-duplicate).
    """
    _need(responses, [client_col, survey_col, date_col], "duplicate_submissions")
    day = pd.to_datetime(responses[date_col]).dt.normalize()
    keys = pd.DataFrame({client_col: responses[client_col], survey_col: responses[survey_col],
                         "day": day, "_t": pd.to_datetime(responses[date_col])},
                        index=responses.index)
    size = keys.groupby([client_col, survey_col, "day"], dropna=False)["_t"].transform("size")
    dup = keys[size > 1].copy()
    dup["n_same_day"] = size[size > 1].astype("int64")
    rank = dup.groupby([client_col, survey_col, "day"], dropna=False)["_t"].rank(
        method="first")
    dup["first"] = rank == 1
    if id_col in responses.columns:
        dup.insert(0, id_col, responses.loc[dup.index, id_col])
    return dup.drop(columns="_t").sort_values([client_col, survey_col, "day"])


def channel_mix(df: pd.DataFrame, by=None, channel_col: str = "channel") -> pd.DataFrame:
    """How the answers split over survey channels (overall or per ``by`` group).

    Returns
    -------
    DataFrame
        Index ``by + [channel]``; columns ``n`` and ``share`` (within the group) and
        ``n_channels`` (channels in the group: more than one means a figure over the
        group would pool channels).
    """
    by = [by] if isinstance(by, str) else list(by or [])
    _need(df, by + [channel_col], "channel_mix")
    n = df.groupby(by + [channel_col], observed=True, dropna=False).size().rename("n")
    out = n.to_frame()
    if by:
        tot = out.groupby(level=by)["n"].transform("sum")
        k = out.groupby(level=by)["n"].transform("size")
    else:
        tot, k = out["n"].sum(), len(out)
    out["share"] = out["n"] / tot
    out["n_channels"] = k
    return out


def small_n_mask(table: pd.DataFrame, min_n: int, n_col: str = "n") -> pd.Series:
    """True for rows of a figures table whose ``n`` is below ``min_n``."""
    if n_col not in table.columns:
        raise ParameterError(f"small_n_mask: the table has no '{n_col}' column "
                             f"(columns: {', '.join(map(str, table.columns))})")
    if not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ParameterError(f"min_n={min_n!r}: expected a whole number ≥ 1")
    return (table[n_col] < min_n).rename("small_n")


def trust_report(responses: pd.DataFrame, min_n: int = 30, alpha: float = 0.05, *,
                 factors=None, date_col: str = "submitted_at",
                 straight_lining_share: float = 0.05, study=None) -> pd.DataFrame:
    """One table of data-trust flags with their evidence.

    Checks (one row per subject):

    - **interviewer gaming**, per interviewer (:func:`interviewer_flags`);
    - **straight-lining**, per channel: flagged when more than ``straight_lining_share``
      of the judged responses rate every answered factor at the same point of its scale
      (a few honest all-top answers are normal; :func:`straight_lining` lists the rows);
    - **duplicate submissions** (same client, survey and day): flagged when any;
    - **channel mix** per quarter (shares, for information) and **channel mix shift**:
      a chi-square test of channel × quarter (scipy ``chi2_contingency``); flagged when
      p < ``alpha``, because then a trend pooled over channels mixes a change in who
      answered how with a change in what they think — read trends per channel;
    - **small n**: channel × quarter groups under ``min_n`` answers.

    Returns
    -------
    DataFrame
        Columns ``check, subject, n, evidence, flagged, details``: ``evidence`` is an
        English sentence for an analyst; ``details`` holds the same numbers as a dict, so a
        report can word them in its own language (and keep small counts out of sight).
    """
    rows = []
    if {"interviewer_id", "nps"} <= set(responses.columns) \
            and responses["interviewer_id"].notna().any():
        fl = interviewer_flags(responses, min_n=min_n, alpha=alpha, study=study)
        for who, r in fl.iterrows():
            rows.append(("interviewer gaming", str(who), int(r.n), r.evidence, bool(r.flagged),
                         {"n": int(r.n), "share_10": float(r.share_10),
                          "others_n": int(r.others_n), "others_share_10": float(r.others_share_10),
                          "expected_share_10": float(r.expected_share_10),
                          "odds_ratio": float(r.odds_ratio), "q_tens": float(r.q_tens),
                          "sd": float(r.sd), "others_sd": float(r.others_sd),
                          "q_sd": float(r.q_sd), "small_n": bool(r.small_n),
                          # who the two counts count (report kernels: cxlab.disclosure)
                          "members": {"n": disclosure.lookup(fl, "n", who),
                                      "others_n": disclosure.lookup(fl, "others_n", who)}}))
    facs, _ = _factors_and_scales(responses, factors, study)
    if len(facs) >= 3:
        sl = straight_lining(responses, facs, study=study)
        judged = responses[facs].notna().sum(axis=1) >= 3
        has_ch = "channel" in responses.columns
        groups = sorted(responses["channel"].dropna().unique(), key=str) if has_ch else [None]
        for ch in groups:
            jm = judged & (responses["channel"] == ch) if ch is not None else judged
            n_j = int(jm.sum())
            k = int((sl["channel"] == ch).sum()) if ch is not None else len(sl)
            share = k / n_j if n_j else float("nan")
            rows.append(("straight-lining", f"channel {ch}" if ch is not None else "all", n_j,
                         f"{k} of {n_j} responses ({share:.1%}) rate every answered factor "
                         f"the same (flag above {straight_lining_share:.0%})",
                         bool(n_j and share > straight_lining_share),
                         {"k": k, "n": n_j, "share": share,
                          "threshold": straight_lining_share, "channel": ch,
                          "members": ({"n": disclosure.members_of(responses[jm], "response_id", "answers")}
                                      if _members.active() and "response_id" in responses else {})}))
    if {"client_id", "survey", date_col} <= set(responses.columns):
        dup = duplicate_submissions(responses, date_col=date_col)
        extra = int((~dup["first"]).sum())
        rows.append(("duplicate submissions", "same client, survey and day", len(responses),
                     f"{extra} extra submissions in {int(dup['first'].sum())} "
                     "client-survey-days", extra > 0,
                     {"extra": extra, "groups": int(dup["first"].sum()),
                      "members": ({"extra": disclosure.members_of(dup[~dup["first"]], "response_id", "answers")}
                                  if _members.active() and "response_id" in dup else {})}))
    if "channel" in responses.columns and date_col in responses.columns:
        q = quarter_of(responses[date_col])
        work = responses.assign(quarter=q)
        mix = channel_mix(work, by="quarter")
        for qq, g in mix.groupby(level=0):
            parts = ", ".join(f"{c} {sh:.0%}" for (_, c), sh in g["share"].items())
            rows.append(("channel mix", f"quarter {qq}", int(g["n"].sum()), parts, False,
                         {"quarter": qq, "shares": {c: float(sh) for (_, c), sh in
                                                    g["share"].items()}}))
        tab = pd.crosstab(work["channel"], work["quarter"])
        if tab.shape[0] > 1 and tab.shape[1] > 1:
            chi = stats.chi2_contingency(tab.to_numpy())
            rows.append(("channel mix shift", "channel × quarter", int(tab.to_numpy().sum()),
                         f"chi-square {chi.statistic:.1f} on {chi.dof} df, p = {chi.pvalue:.2g}: "
                         + ("the channel mix changes between quarters; read trends per "
                            "channel" if chi.pvalue < alpha else "no evidence the mix changes"),
                         bool(chi.pvalue < alpha),
                         {"chi2": float(chi.statistic), "dof": int(chi.dof),
                          "p": float(chi.pvalue)}))
        cnt = work.groupby(["channel", "quarter"], observed=True).size()
        small = cnt[cnt < min_n]
        rows.append(("small n", "channel × quarter", int(cnt.size),
                     (f"{small.size} of {cnt.size} groups under {min_n} answers: "
                      + ", ".join(f"{c} {qq} (n={v})" for (c, qq), v in small.items()))
                     if small.size else f"every group has at least {min_n} answers",
                     bool(small.size),
                     {"k": int(small.size), "groups": int(cnt.size), "min_n": min_n,
                      "small": [f"{c} {qq}" for (c, qq) in small.index]}))
    return pd.DataFrame(rows, columns=["check", "subject", "n", "evidence", "flagged", "details"])
