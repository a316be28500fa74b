"""Can we trust the figures? Data-trust checks on survey responses.

Signs of gaming by interviewers (too many 10s, too little spread), straight-lining,
duplicate submissions, channel mixing and small groups. Every check returns flags with
the evidence; no function drops or edits a row.

The interviewer checks compare each interviewer with all the *other* interviewers on the
0–10 recommendation score (interviewers exist only where a person asks the questions,
e.g. a call; rows without an interviewer are left out):

- share of 10s: Fisher's exact test on the 2×2 table (10 / not 10 × this interviewer /
  the others), two-sided (scipy ``fisher_exact``), with the sample odds ratio;
- spread: the Brown–Forsythe test (Levene's test centred on the median, which is robust
  to the skewed, bounded 0–10 distribution) of this interviewer's scores against the
  others'. It is computed from the 11 score counts, so it costs the same for 10 million
  answers as for 100, and equals ``scipy.stats.levene(a, b, center="median")``. Chosen
  over a permutation test because it needs no resampling and no seed.

Both families of p-values (2 per interviewer) are adjusted together by
Benjamini–Hochberg (statsmodels ``multipletests(method="fdr_bh")``). An interviewer is
**flagged** when a q-value is below ``alpha`` in the suspicious direction: more 10s than
the others, or a smaller spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxlab import _members, disclosure
from cxlab.errors import ParameterError
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


def interviewer_flags(responses: pd.DataFrame, min_n: int = 30, alpha: float = 0.05, *,
                      interviewer_col: str = "interviewer_id",
                      column: str = "nps") -> pd.DataFrame:
    """Per interviewer: share of 10s and spread of 0–10 scores against the others.

    Parameters
    ----------
    responses : DataFrame
        Responses with ``interviewer_id`` and ``nps``; rows without either are ignored.
    min_n : int
        Interviewers with fewer answers are reported (``small_n``) but not tested.
    alpha : float
        Benjamini–Hochberg false discovery rate for ``flagged``.

    Returns
    -------
    DataFrame
        Index ``interviewer_id``; columns ``n, tens, share_10, others_n, others_share_10,
        odds_ratio, p_tens, sd, others_sd, p_sd, q_tens, q_sd, small_n, flagged, evidence``.
        In a report kernel (``CXLAB_LEDGER`` set) ``attrs`` records the answers behind
        ``n`` and ``others_n`` (:func:`cxlab.disclosure.lookup`).
    """
    _need(responses, [interviewer_col, column], "interviewer_flags")
    if not (0 < alpha < 1):
        raise ParameterError(f"alpha={alpha!r}: expected a false discovery rate between 0 and 1")
    sub = responses.loc[responses[interviewer_col].notna() & responses[column].notna(),
                        [interviewer_col, column]]
    if sub.empty:
        raise ParameterError("interviewer_flags: no responses with both an interviewer and a "
                             f"score in '{column}'")
    score = pd.to_numeric(sub[column], errors="coerce").astype("int64")
    if ((score < 0) | (score > 10)).any():
        raise ParameterError(f"column '{column}': expected whole numbers 0–10")
    counts = pd.crosstab(sub[interviewer_col].to_numpy(), score.to_numpy())
    counts = counts.reindex(columns=range(11), fill_value=0)
    counts.index.name = interviewer_col
    total = counts.sum(axis=0).to_numpy()
    rows = []
    for who, c in counts.iterrows():  # one row per interviewer, not per response
        c = c.to_numpy()
        o = total - c
        n, on = int(c.sum()), int(o.sum())
        row = {"n": n, "tens": int(c[10]), "share_10": c[10] / n,
               "others_n": on, "others_share_10": o[10] / on if on else np.nan,
               "sd": _sd_from_counts(c), "others_sd": _sd_from_counts(o),
               "odds_ratio": np.nan, "p_tens": np.nan, "p_sd": np.nan}
        if n >= min_n and on >= min_n:
            fe = stats.fisher_exact([[c[10], n - c[10]], [o[10], on - o[10]]])
            row["odds_ratio"], row["p_tens"] = float(fe.statistic), float(fe.pvalue)
            row["p_sd"] = brown_forsythe_from_counts(c, o)[1]
        rows.append(row)
    out = pd.DataFrame(rows, index=counts.index)
    p = np.concatenate([out["p_tens"].to_numpy(), out["p_sd"].to_numpy()])
    q = np.full(p.size, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = multipletests(p[ok], alpha=alpha, method="fdr_bh")[1]
    k = len(out)
    out["q_tens"], out["q_sd"] = q[:k], q[k:]
    out["small_n"] = out["n"] < min_n
    more_tens = (out["q_tens"] < alpha) & (out["share_10"] > out["others_share_10"])
    less_spread = (out["q_sd"] < alpha) & (out["sd"] < out["others_sd"])
    out["flagged"] = (more_tens | less_spread).fillna(False).astype(bool)
    out["evidence"] = [
        (f"10s: {r.share_10:.0%} of {r.n} vs {r.others_share_10:.0%} of others' "
         f"{r.others_n} (OR {r.odds_ratio:.1f}, Fisher q={r.q_tens:.2g}); score SD "
         f"{r.sd:.2f} vs {r.others_sd:.2f} (Brown–Forsythe q={r.q_sd:.2g})")
        if not r.small_n else f"only {r.n} answers (< {min_n}): not tested"
        for r in out.itertuples()
    ]
    cols = ["n", "tens", "share_10", "others_n", "others_share_10", "odds_ratio", "p_tens",
            "sd", "others_sd", "p_sd", "q_tens", "q_sd", "small_n", "flagged", "evidence"]
    out = out[cols]
    out.attrs.update(alpha=alpha, min_n=min_n, test="Fisher exact (10s), Brown–Forsythe "
                     "(spread); BH over both")
    if _members.active():  # report kernels only (cxlab.disclosure): who n and others_n count
        ids = _members.ids_of(responses, "answers", (responses[interviewer_col].notna()
                                                      & responses[column].notna()).to_numpy())
        if ids is not None:
            mine = _members.on_index(out.index, sub[[interviewer_col]], ids, "answers")
            _members.attach(out, "n", mine)
            who = sub[interviewer_col].to_numpy()
            _members.attach(out, "others_n", {
                key: disclosure.Members("answers", ids[who != key]) for key in out.index})
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
        fl = interviewer_flags(responses, min_n=min_n, alpha=alpha)
        for who, r in fl.iterrows():
            rows.append(("interviewer gaming", str(who), int(r.n), r.evidence, bool(r.flagged),
                         {"n": int(r.n), "share_10": float(r.share_10),
                          "others_n": int(r.others_n), "others_share_10": float(r.others_share_10),
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
