"""Stakeholder tables: an analysis result as a stakeholder reads it.

One way: :func:`readable` (``readable(table, kind, lang, min_n)``) turns what an analysis
function returned into text cells — headers from the catalogue, codes as labels, numbers
formatted for a reader (:mod:`cxlab.report.formats`), technical columns left out, small
figures suppressed at their own granularity (:mod:`cxlab.suppression`). One presenter per
kind (``_r_<kind>``), listed in ``_READABLE``.

The ``*_view`` functions are named shortcuts the notebooks call: those that show a kind
``readable`` knows are one call of it; the others make tables no analysis function
returns as such (:func:`headline_view`, :func:`complaints_view`,
:func:`counts_change_view`, :func:`promotion_view`, :func:`crosstab_view`,
:func:`breakdown_view`). :func:`analyst_view` is for an analyst's own exploration only.
"""

from __future__ import annotations

import pandas as pd

from cxlab import disclosure, i18n
from cxlab.complaints import DEADLINE_FIGURE
from cxlab.errors import ParameterError, QuarterError
from cxlab.quarter import previous_quarter
from cxlab.report.formats import (
    _labels_for,
    _pct,
    _pct_ci,
    _quadrant_label,
    _translate_index,
    change_text,
    code_label,
    col_label,
    estimate_text,
    fmt_num,
    p_text,
    yes_no,
)
from cxlab.suppression import (
    _cmp,
    _own,
    _own_ok,
    events_text,
    hidden_label,
    people_cell,
    people_column,
    rate_text,
    suppressed_label,
    threshold,
)

# ------------------------------------------------------------------------- readable: the one way

def readable(table, kind: str, lang: str = "en", min_n: int = 30, **options) -> pd.DataFrame:
    """An analysis table as a stakeholder reads it: translated headers and labels,
    formatted numbers, technical columns left out, small figures suppressed.

    Parameters
    ----------
    table : DataFrame or result object
        What the analysis function returned (a result object where the kind needs more than
        its ``.table``: ``cohorts``, ``drivers``, ``robustness``, ``agreement``,
        ``segment_drivers``, ``complaints``).
    kind : str
        Which function made it: ``nps`` (:func:`cxlab.metrics.nps_table`), ``trend``
        (``nps_trend``), ``compare`` (``compare_groups``), ``binary`` (``binary_nps_table``),
        ``csi`` (``csi_table``), ``response_rate``, ``interviewers``, ``asymmetry``
        (:func:`cxlab.asymmetry.penalty_reward`)
        (:func:`cxlab.quality.interviewer_flags`), ``cohorts`` (a ``CohortComparison``),
        ``counts`` (a Series of counts), ``drivers`` (``key_drivers``), ``robustness`` and
        ``agreement`` (``drivers.robustness``), ``segment_drivers`` (``key_drivers_by``),
        ``complaints`` (``ComplaintsSection``), ``volume``, ``deadlines``, ``long_service``,
        ``after_resolution``, ``complainant_nps`` (the section's tables), ``share``.
    lang : {"en", "ru"}
    min_n : int
        Figures from fewer answers are suppressed, counts from 1 to ``min_n − 1`` too.
    **options
        ``kinds`` (index level → code kind), ``labels`` (value → label, e.g. factor names),
        ``name`` (the share column's header key), ``columns`` (header keys to keep, in
        that order: a short version of the kind's table) and kind-specific formatting.

    Returns
    -------
    DataFrame
        Text cells only (what the HTML shows).
    """
    lang = i18n.check_lang(lang)
    if kind not in _READABLE:
        raise ParameterError(f"readable: kind={kind!r}; expected one of {', '.join(sorted(_READABLE))}")
    if isinstance(table, pd.DataFrame):
        table = in_study_order(table)
    return _READABLE[kind](table, lang, min_n, **options)


def in_study_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the study's order of codes (:meth:`cxlab.study.Study.order_rows`)."""
    st = i18n.active_study()
    return table if st is None else st.order_rows(table)


def _assemble(rows: dict[str, list], index, lang: str, kinds: dict | None = None,
              labels: dict | None = None, drop_level: str | None = None,
              columns=None) -> pd.DataFrame:
    """A presentation table: cells already text, index values as labels, headers translated.
    ``columns`` keeps only those header keys, in that order (a short version of a table)."""
    if columns is not None:
        rows = {c: rows[c] for c in columns if c in rows}
    view = pd.DataFrame(rows, index=index).astype(object)
    idx = view.index
    if drop_level is not None and isinstance(idx, pd.MultiIndex) and drop_level in idx.names:
        idx = idx.droplevel(drop_level)
    if isinstance(idx, pd.MultiIndex):
        arrays = [_labels_for(idx.get_level_values(i), name, lang, kinds, labels)
                  for i, name in enumerate(idx.names)]
        view.index = pd.MultiIndex.from_arrays(
            arrays, names=[col_label(n, lang) if n else None for n in idx.names])
    else:
        view.index = pd.Index(_labels_for(idx, idx.name, lang, kinds, labels),
                              name=col_label(idx.name, lang) if idx.name else None)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


# ------------------------------------------------------------------------- one presenter per kind

def _r_nps(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    n = t["n"].to_numpy()
    rows = {
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "nps_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                   for o, e, lo, hi in zip(ok, t["nps"], t["ci_low"], t["ci_high"])],
        "promoters_pct": [_own(o, _pct(p / k if k else None, lang), min_n)
                          for o, p, k in zip(ok, t["promoters"], n)],
        "detractors_pct": [_own(o, _pct(d / k if k else None, lang), min_n)
                           for o, d, k in zip(ok, t["detractors"], n)],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_trend(t, lang, min_n, alpha=0.05, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "nps_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                   for o, e, lo, hi in zip(ok, t["nps"], t["ci_low"], t["ci_high"])],
        "change_ci": [_own(o, change_text(c, lo, hi, p, bool(s), lang, alpha), min_n)
                      for o, c, lo, hi, p, s in zip(ok, t["change"], t["change_ci_low"],
                                                    t["change_ci_high"], t["change_p"],
                                                    t["change_small_n"].fillna(True))],
        "p": [_own(o, "–" if s or pd.isna(p) else p_text(p, lang), min_n)
              for o, p, s in zip(ok, t["change_p"], t["change_small_n"].fillna(True))],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_compare(t, lang, min_n, digits=0, scale=1.0, suffix="", figure="estimate", **kw):
    """compare_groups / cohort comparisons: the group's figure, the reference's, the gap.
    ``figure`` is the header key of the group's figure (``"nps"`` for an NPS comparison)."""
    ok, ref_ok = _own_ok(t["n"], min_n), _own_ok(t["ref_n"], min_n)
    lo_col, hi_col = ("diff_ci_low", "diff_ci_high") if "diff_ci_low" in t else ("ci_low", "ci_high")
    own_ci = "diff_ci_low" in t and "ci_low" in t  # cohorts: the group's own interval too

    def num(v):
        return fmt_num(None if pd.isna(v) else v * scale, digits, lang) + ("" if pd.isna(v) else suffix)

    rows = {"n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0]}
    if own_ci:
        rows["estimate_ci"] = [_own(o, estimate_text(e, lo, hi, digits, lang, scale=scale, suffix=suffix), min_n)
                               for o, e, lo, hi in zip(ok, t["estimate"], t["ci_low"], t["ci_high"])]
    else:
        rows[figure] = [_own(o, num(e), min_n) for o, e in zip(ok, t["estimate"])]
    if "reference" in t and t["reference"].nunique() == 1 and t["reference"].iloc[0] != "rest":
        rows["compared_with"] = [code_label(r, lang) for r in t["reference"]]
    rows["ref_n"] = people_column(t, "ref_n", lang, min_n=min_n, estimates=True)[0]
    rows["ref_estimate"] = [_cmp(True, r, num(v), min_n, lang) for r, v in zip(ref_ok, t["ref_estimate"])]
    rows["diff_ci"] = [_cmp(o, r, estimate_text(d, lo, hi, digits, lang, scale=scale, sign=True), min_n, lang)
                       for o, r, d, lo, hi in zip(ok, ref_ok, t["diff"], t[lo_col], t[hi_col])]
    rows["p_holm"] = [_cmp(o, r, p_text(p, lang), min_n, lang) for o, r, p in zip(ok, ref_ok, t["p_holm"])]
    rows["significant"] = [_cmp(o, r, "–" if pd.isna(p) else yes_no(s, lang), min_n, lang)
                           for o, r, s, p in zip(ok, ref_ok, t["significant"].fillna(False), t["p_holm"])]
    return _assemble(rows, t.index, lang, **kw)


def _r_cohorts(result, lang, min_n, **kw):
    t = result.table if hasattr(result, "table") else result
    unit = getattr(result, "unit", "points")
    t = t[t["n"] > 0]  # a cohort without answers has nothing to show (e.g. never attended)
    headers = {}
    if "diff_sci_low" in t and getattr(result, "family", 0) > 1:
        # the simultaneous intervals the chart draws (cxlab.cohorts.CohortComparison): an
        # interval clear of zero is then never a gap the Holm column calls "no"
        t = t.assign(diff_ci_low=t["diff_sci_low"], diff_ci_high=t["diff_sci_high"])
        headers[col_label("diff_ci", lang)] = col_label("diff_sci", lang)
    scale, digits, suffix = (100, 0, "%") if unit == "share" else (1, 0 if unit == "points" else 2, "")
    kw.setdefault("kinds", {"cohort": "cohort"})
    view = _r_compare(t, lang, min_n, digits=digits, scale=scale, suffix=suffix, **kw)
    return view.rename(columns={**_cohort_headers(unit, lang), **headers})


def _cohort_headers(unit: str, lang: str) -> dict:
    """Cohort tables name their figure (NPS, rating, share) and the reference (the rest)."""
    figure = {"points": "nps_ci", "share": "share_ci"}.get(unit, "rating_ci")
    return {col_label("estimate_ci", lang): col_label(figure, lang),
            col_label("ref_estimate", lang): col_label("rest_estimate", lang),
            col_label("ref_n", lang): col_label("rest_n", lang)}


def _r_share(t, lang, min_n, name="share_ci", n_col="n", share="share", lo="ci_low", hi="ci_high",
             counts="people", **kw):
    """Shares with their n: ``counts="events"`` when n counts events (contacts, complaints:
    shown whatever their size; also when the table's ``attrs["counts"]`` says so)."""
    ok = _own_ok(t[n_col], min_n)
    if counts == "events" or t.attrs.get("counts") == "events":
        n_text = [events_text(v, lang) for v in t[n_col]]
    else:
        n_text = people_column(t, n_col, lang, min_n=min_n, estimates=True)[0]
    rows = {"n": n_text,
            name: [_own(o, _pct_ci(s, a, b, lang), min_n) for o, s, a, b in zip(ok, t[share], t[lo], t[hi])]}
    return _assemble(rows, t.index, lang, **kw)


def _r_binary(t, lang, min_n, **kw):
    return _r_share(t, lang, min_n, name="recommend_ci", **kw)


def _r_csi(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "csi_ci": [_own(o, _pct_ci(s, a, b, lang), min_n)
                   for o, s, a, b in zip(ok, t["top_box_share"], t["top_box_ci_low"], t["top_box_ci_high"])],
        "mean_stars": [_own(o, fmt_num(m, 2, lang), min_n) for o, m in zip(ok, t["mean"])],
        "csi_index_ci": [_own(o, estimate_text(e, a, b, 0, lang), min_n)
                         for o, e, a, b in zip(ok, t["index"], t["index_ci_low"], t["index_ci_high"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_response_rate(t, lang, min_n, **kw):
    """Invitations, answers and the rate. A rate whose answers are hidden is hidden too
    (invitations × rate would give them back); a shown rate is registered with the audit
    (:func:`cxlab.suppression.rate_text`)."""
    ok = _own_ok(t["invitations"], min_n)
    over = t["over_invited"].fillna(False).astype(bool) if "over_invited" in t else [False] * len(t)
    inv_text, inv_ids = people_column(t, "invitations", lang, min_n=min_n, estimates=True)
    ans_text, ans_ids = people_column(t, "responses", lang)
    k = threshold()
    rate = []
    for o, ov, s, a, b, r, i_id, a_id in zip(ok, over, t["share"], t["ci_low"], t["ci_high"],
                                           t["responses"], inv_ids, ans_ids):
        if 0 < r < k:  # invitations × rate would give the hidden answers back
            rate.append(_own(o, hidden_label(lang), min_n))
        elif ov:
            rate.append(_own(o, i18n.t("text.over_invited", lang), min_n))
        else:
            rate.append(_own(o, rate_text(_pct_ci(s, a, b, lang), a_id, i_id, s), min_n))
    rows = {"invitations": inv_text, "responses": ans_text, "rate_ci": rate}
    return _assemble(rows, t.index, lang, **kw)


def _r_interviewers(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "tens_pct": [_own(o, _pct(v, lang), min_n) for o, v in zip(ok, t["share_10"])],
        "others_tens_pct": [_own(o, _pct(v, lang), min_n) for o, v in zip(ok, t["others_share_10"])],
        "expected_tens_pct": [_own(o, _pct(v, lang), min_n)
                              for o, v in zip(ok, t["expected_share_10"])],
        "odds_ratio": [_own(o, fmt_num(v, 1, lang), min_n) for o, v in zip(ok, t["odds_ratio"])],
        "q_tens": [_own(o, p_text(v, lang).replace("p", "q", 1), min_n) for o, v in zip(ok, t["q_tens"])],
        "sd": [_own(o, fmt_num(v, 2, lang), min_n) for o, v in zip(ok, t["sd"])],
        "others_sd": [_own(o, fmt_num(v, 2, lang), min_n) for o, v in zip(ok, t["others_sd"])],
        "q_sd": [_own(o, p_text(v, lang).replace("p", "q", 1), min_n) for o, v in zip(ok, t["q_sd"])],
        "flagged": [_own(o, yes_no(v, lang), min_n) for o, v in zip(ok, t["flagged"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_counts(t, lang, min_n, name="clients", **kw):
    """A Series (or one-column frame) of counts of people, e.g. cohort sizes, with the
    members of each recorded under the column ``name`` (or the Series' own name)."""
    s = t if isinstance(t, pd.Series) else t.iloc[:, 0]
    frame = s.to_frame(name)
    frame.attrs = dict(getattr(t, "attrs", {}))
    members = frame.attrs.get("cx_members", {})
    if name not in members and len(members) == 1:
        frame.attrs["cx_members"] = {name: next(iter(members.values()))}
    rows = {name: people_column(frame, name, lang)[0]}
    return _assemble(rows, s.index, lang, **kw)


def _r_drivers(analysis, lang, min_n, **kw):
    t = analysis.table
    ok = analysis.n >= min_n
    rows = {
        "importance_ci": [_pct_ci(s, lo, hi, lang) for s, lo, hi in
                          zip(t["share"], t["share_ci_low"], t["share_ci_high"])],
        "beta": [fmt_num(v, 2, lang, sign=True) for v in t["beta"]],
        "r": [fmt_num(v, 2, lang) for v in t["r"]],
        "vif": [fmt_num(v, 1, lang) for v in t["vif"]],
        **_performance(t, lang),
        "quadrant": _quadrant_cells(t, lang),
    }
    if not ok:
        rows = {k: [suppressed_label(min_n)] * len(t) for k in rows}
    kw.setdefault("labels", dict(zip(t.index, t["label"])))
    return _assemble(rows, t.index, lang, **kw)


def _quadrant_cells(t: pd.DataFrame, lang: str) -> list[str]:
    """Each factor's action; "uncertain (fix first in 65% of resamples)" where fewer
    than the analysis's bar (80 %) of the bootstrap resamples put it in that quadrant."""
    from cxlab.drivers import UNCERTAIN

    placed = t["quadrant_label"] if "quadrant_label" in t.columns else t["quadrant"]
    agree = t["quadrant_agreement"] if "quadrant_agreement" in t.columns else [None] * len(t)
    return [i18n.t("quadrant.uncertain_cell", lang, quadrant=_quadrant_label(q, lang),
                   pct=_pct(a, lang)) if lab == UNCERTAIN else _quadrant_label(q, lang)
            for q, lab, a in zip(t["quadrant"], placed, agree)]


def _kano_label(category: str, lang: str) -> str:
    key = "kano." + str(category).replace("-", "_").replace(" ", "_")
    return i18n.t(key, lang) if i18n.has(key, lang) else str(category)


def _r_asymmetry(result, lang, min_n, **kw):
    """A :class:`cxlab.asymmetry.PenaltyReward`: per factor how many rated it low and
    high, its penalty and reward in points with intervals (a side from fewer than
    ``min_n`` ratings reads "n < 30"), and its kind."""
    t = result.table
    low_ok = (t["n_low"] >= min_n).to_numpy()
    high_ok = (t["n_high"] >= min_n).to_numpy()
    rows = {
        "n_low": people_column(t, "n_low", lang)[0],
        "n_high": people_column(t, "n_high", lang)[0],
        "penalty_ci": [_own(o, estimate_text(v, a, b, 0, lang, scale=100, sign=True), min_n)
                       for o, v, a, b in zip(low_ok, t["penalty"], t["penalty_ci_low"],
                                             t["penalty_ci_high"])],
        "reward_ci": [_own(o, estimate_text(v, a, b, 0, lang, scale=100, sign=True), min_n)
                      for o, v, a, b in zip(high_ok, t["reward"], t["reward_ci_low"],
                                            t["reward_ci_high"])],
        "kano": [_kano_label(c, lang) for c in t["category"]],
    }
    kw.setdefault("labels", dict(zip(t.index, t["label"])))
    return _assemble(rows, t.index, lang, **kw)


def _performance(t: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """A driver table's performance columns: scale, own-scale mean, 0–100 mean, top box."""
    return {
        "scale": [str(v).replace("-", "–") for v in t["scale"]],
        "mean_rating": [fmt_num(v, 2, lang) for v in t["mean_rating"]],
        "mean_100": [fmt_num(v, 0, lang) for v in t["mean_100"]],
        "top_box_pct": [_pct(v, lang) for v in t["top_box_share"]],
    }


def _r_robustness(check, lang, min_n, labels=None, **kw):
    t = check.table
    ok = check.n >= min_n

    def with_rank(v, r, digits=2, sign=True):
        return f"{fmt_num(v, digits, lang, sign=sign)} (#{int(r)})" if ok else suppressed_label(min_n)

    rows = {"shapley_share": [f"{_pct(v, lang)} (#{int(r)})" if ok else suppressed_label(min_n)
                              for v, r in zip(t["shapley_share"], t["shapley_rank"])]}
    for m in ("ols", "logit", "ordered_logit"):
        if f"{m}_coef" in t:
            rows[f"{m}_coef"] = [with_rank(v, r) for v, r in zip(t[f"{m}_coef"], t[f"{m}_rank"])]
    return _assemble(rows, t.index, lang, labels=labels, **kw)


def _r_agreement(check, lang, min_n, **kw):
    a = check.agreement
    ok = check.n >= min_n
    rows = {"spearman_rho": [fmt_num(v, 2, lang) if ok else suppressed_label(min_n) for v in a["spearman_rho"]],
            "p": [p_text(v, lang) if ok else suppressed_label(min_n) for v in a["p_value"]],
            "same_top2": [yes_no(v, lang) if ok else suppressed_label(min_n) for v in a["same_top2"]]}
    kw.setdefault("kinds", {"method": "method"})
    return _assemble(rows, a.index, lang, **kw)


def _r_segment_drivers(seg, lang, min_n, labels=None, **kw):
    t = seg.table
    factors = [f for f in t.index if f not in ("r2", "n")]
    labels = dict(labels or {}) | dict(getattr(seg, "labels", {}) or {})
    cols = {}
    for s in t.columns:
        n = t.loc["n", s] if "n" in t.index else None
        ok = n is not None and pd.notna(n) and n >= min_n and s not in seg.small
        a = seg.analyses.get(s) if hasattr(seg, "analyses") else None
        vals = []
        for f in factors:
            if not ok:
                vals.append(suppressed_label(min_n))
            elif a is not None and f in a.table.index:
                r = a.table.loc[f]
                vals.append(_pct_ci(r["share"], r["share_ci_low"], r["share_ci_high"], lang))
            else:
                vals.append(_pct(t.loc[f, s], lang))
        vals.append(fmt_num(t.loc["r2", s], 2, lang) if ok and "r2" in t.index else suppressed_label(min_n))
        vals.append(people_cell(n, lang, (getattr(seg, "members", None) or {}).get(s),
                                min_n=min_n, estimates=True)[0])
        cols[code_label(s, lang, seg.by if s != "all" else "segment")] = vals
    index = [labels.get(f, f) for f in factors] + [i18n.t("col.r2", lang), i18n.t("col.n", lang)]
    view = pd.DataFrame(cols, index=pd.Index(index, name=col_label("factor", lang))).astype(object)
    return view


def _r_complaints(section, lang, min_n, **kw):
    return complaints_view(section, min_n, lang)


def _r_volume(t, lang, min_n, **kw):
    ok = _own_ok(t["n_complaints"], min_n)
    rows = {
        "complaints": [events_text(v, lang) for v in t["n_complaints"]],
        "active_clients": people_column(t, "n_active", lang)[0],
        "per_100_active_ci": [_own(o, estimate_text(r, a, b, 1, lang), min_n)
                              for o, r, a, b in zip(ok, t["rate_per_100"], t["ci_low"], t["ci_high"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_deadlines(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "decided": [events_text(v, lang) for v in t["n"]],  # complaints: events
        "pending": [events_text(v, lang) for v in t["n_pending"]],
        "within_deadline_ci": [_own(o, _pct_ci(s, a, b, lang), min_n)
                               for o, s, a, b in zip(ok, t["share"], t["ci_low"], t["ci_high"])],
        "hours_first_reaction": [_own(o, fmt_num(v, 1, lang), min_n)
                                 for o, v in zip(ok, t["median_hours_to_first_reaction"])],
        "hours_resolution": [_own(o, fmt_num(v, 1, lang), min_n)
                             for o, v in zip(ok, t["median_hours_to_resolution"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_long_service(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    sep = "–"
    rows = {
        "resolved": [events_text(v, lang) for v in t["n"]],  # complaints: events
        "median_hours_ci": [_own(o, estimate_text(m, a, b, 1, lang), min_n)
                            for o, m, a, b in zip(ok, t["median_hours"], t["ci_low"], t["ci_high"])],
        "quartiles_hours": [_own(o, f"{fmt_num(a, 1, lang)}{sep}{fmt_num(b, 1, lang)}", min_n)
                            for o, a, b in zip(ok, t["q1_hours"], t["q3_hours"])],
    }
    if isinstance(t.index, pd.MultiIndex) and "dimension" in t.index.names:
        # the level's kind is its dimension (channel codes, categories as written)
        dims = t.index.get_level_values("dimension")
        lev = [code_label(v, lang, "channel") if d == "channel" else str(v)
               for d, v in zip(dims, t.index.get_level_values("level"))]
        index = pd.MultiIndex.from_arrays([[col_label(d, lang) for d in dims], lev],
                                          names=[col_label("dimension", lang), col_label("level", lang)])
        view = pd.DataFrame(rows, index=index).astype(object)
        view.columns = [col_label(c, lang) for c in view.columns]
        return view
    return _assemble(rows, t.index, lang, **kw)


def _r_after_resolution(t, lang, min_n, **kw):
    kw.setdefault("kinds", {"figure": "figure"})
    return _r_share(t, lang, min_n, name="share_ci", counts="events", **kw)  # resolved complaints


def _r_complainant_nps(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    groups = t.index.get_level_values("group") if isinstance(t.index, pd.MultiIndex) else t.index
    rows = {
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "nps_ci": [_own(o, estimate_text(e, a, b, 0, lang, sign=g == "difference"), min_n)
                   for o, g, e, a, b in zip(ok, groups, t["nps"], t["ci_low"], t["ci_high"])],
        "p": [_own(o, p_text(p, lang) if g == "difference" else "", min_n)
              for o, g, p in zip(ok, groups, t["p"])],
    }
    kw.setdefault("kinds", {"group": "figure"})
    return _assemble(rows, t.index, lang, **kw)


def _r_targets(t, lang, min_n, **kw):
    """:func:`cxlab.targets.evaluate`: each target, the quarter's figure with its interval
    and n, and the verdict decided from the interval."""
    def where(w):
        if not isinstance(w, dict) or not w:
            return i18n.t("text.all", lang)
        return ", ".join(code_label(v, lang, k) for k, v in w.items())

    ok = _own_ok(t["n"], min_n)
    pct = t["metric"].isin(["recommend", "csi_top_box", "response_rate", "fcr"]).to_numpy()
    rows = {
        "where": [where(w) for w in t["where"]],
        "target": [i18n.t(f"code.direction.{d}", lang, value=fmt_num(v, 0, lang))
                   for d, v in zip(t["direction"], t["target"])],
        "n": people_column(t, "n", lang, min_n=min_n, estimates=True)[0],
        "result_ci": [_own(o, estimate_text(e, a, b, 0, lang, suffix="%" if p else ""), min_n)
                      if pd.notna(e) else "–"
                      for o, p, e, a, b in zip(ok, pct, t["estimate"], t["ci_low"], t["ci_high"])],
        # a verdict from fewer than min_n answers is as unreliable as the figure itself
        "status": [i18n.label("status", s, lang) if o or s == "no_data" else suppressed_label(min_n)
                   for o, s in zip(ok, t["status"])],
    }
    index = pd.Index([i18n.label("metric", m, lang) for m in t["metric"]], name="metric")
    return _assemble(rows, index, lang, kinds={"metric": "free"}, **kw)


_READABLE = {
    "nps": _r_nps, "trend": _r_trend, "compare": _r_compare, "cohorts": _r_cohorts,
    "binary": _r_binary, "csi": _r_csi, "response_rate": _r_response_rate,
    "interviewers": _r_interviewers, "counts": _r_counts, "drivers": _r_drivers,
    "asymmetry": _r_asymmetry,
    "robustness": _r_robustness, "agreement": _r_agreement,
    "segment_drivers": _r_segment_drivers, "complaints": _r_complaints, "volume": _r_volume,
    "deadlines": _r_deadlines, "long_service": _r_long_service,
    "after_resolution": _r_after_resolution, "complainant_nps": _r_complainant_nps,
    "share": _r_share, "targets": _r_targets,
}


# ------------------------------------------------------------------------- views

def nps_view(table: pd.DataFrame, min_n: int = 30, lang: str = "en", kinds=None) -> pd.DataFrame:
    """An :func:`cxlab.metrics.nps_table` for stakeholders: ``readable(table, "nps")``
    (NPS with its interval, shares of promoters and detractors, codes translated)."""
    return readable(table, "nps", lang, min_n, kinds=kinds)


def share_view(table: pd.DataFrame, share: str = "share", lo: str = "ci_low", hi: str = "ci_high",
               n_col: str = "n", min_n: int = 30, lang: str = "en", name: str = "share_ci",
               kinds=None) -> pd.DataFrame:
    """A table of shares (CSI top box, FCR, response rate) as "% [interval]" with n:
    ``readable(table, "share")``."""
    return readable(table, "share", lang, min_n, name=name, n_col=n_col, share=share, lo=lo,
                    hi=hi, kinds=kinds)


def trend_view(trend: pd.DataFrame, quarter: str, min_n: int = 30, lang: str = "en",
               quarter_level: str = "quarter", alpha: float = 0.05) -> pd.DataFrame:
    """The quarter's rows of :func:`cxlab.metrics.nps_trend` (one per channel/group) as
    ``readable(…, "trend")``: NPS with its interval and the change from the previous
    quarter, marked only where significant (two-sided p < ``alpha``)."""
    t = trend.xs(quarter, level=quarter_level) if isinstance(trend.index, pd.MultiIndex) \
        else trend.loc[[quarter]]
    if t.empty:
        raise QuarterError(f"the NPS trend has no rows for {quarter}")
    return readable(t, "trend", lang, min_n, alpha=alpha)


def comparison_view(table: pd.DataFrame, min_n: int = 30, lang: str = "en", digits: int = 0,
                    scale: float = 1.0, suffix: str = "", kinds=None) -> pd.DataFrame:
    """A :func:`cxlab.metrics.compare_groups` table for stakeholders, short:
    ``readable(table, "compare")`` with the group's figure, the reference's, the difference
    and its significance; a group whose reference is under ``min_n`` shows its own figure
    but no comparison."""
    return readable(table, "compare", lang, min_n, digits=digits, scale=scale, suffix=suffix,
                    kinds=kinds, columns=("n", "estimate", "ref_estimate", "diff_ci", "significant"))


def drivers_view(analysis, lang: str = "en", min_n: int = 30) -> pd.DataFrame:
    """The driver table for stakeholders, short: ``readable(analysis, "drivers")`` without
    the model's columns (beta, r, VIF): share of explained NPS with its interval,
    performance (the mean on the item's own scale and on the common 0–100 scale, the share
    in the scale's top box) and the quadrant."""
    return readable(analysis, "drivers", lang, min_n,
                    columns=("importance_ci", "scale", "mean_rating", "mean_100", "top_box_pct",
                             "quadrant"))


def design_view(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """How much repeat answers widen each interval of an :func:`cxlab.metrics.nps_table`
    (analysts' view: raw counts, so only in ``analyst-only`` cells): answers, clients,
    design effect, standard error (points) and the interval's width against independent
    answers (``√deff`` when the design effect is above 1)."""
    import numpy as np

    deff = table["deff"].astype(float)
    rows = {"responses": [fmt_num(v, 0, lang) for v in table["n"]]}
    if "clusters" in table.columns:
        rows["clients"] = [fmt_num(v, 0, lang) for v in table["clusters"]]
    rows.update(deff=[fmt_num(v, 2, lang) for v in deff],
                se=[fmt_num(v, 2, lang) for v in table["se"]],
                widening=[fmt_num(v, 2, lang) + "×" for v in np.sqrt(deff.clip(lower=1))])
    if "kish_n" in table.columns:
        rows["kish_n"] = [fmt_num(v, 0, lang) for v in table["kish_n"]]
    return _assemble(rows, table.index, lang)


def weighted_view(responses: pd.DataFrame, min_n: int = 30, lang: str = "en") -> pd.DataFrame:
    """NPS per channel weighted (column ``weight``, from
    :meth:`cxlab.quarter.QuarterData.weighted`) beside the unweighted figure, with the
    answers and the weighting effect ``n / Kish's effective n`` (a ratio, not a count: a
    Kish n sits within a few answers of n, so it would give a hidden n away); figures
    from fewer than ``min_n`` answers suppressed."""
    from cxlab import metrics

    w = metrics.nps_table(responses, min_n=min_n, weights="weight")
    u = metrics.nps_table(responses, min_n=min_n).reindex(w.index)
    ok = _own_ok(w["n"], min_n)
    rows = {
        "n": people_column(w, "n", lang, min_n=min_n, estimates=True)[0],
        "weighting_effect": [_own(o, fmt_num(n / k, 2, lang), min_n)
                             for o, n, k in zip(ok, w["n"], w["kish_n"])],
        "nps_weighted_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                            for o, e, lo, hi in zip(ok, w["nps"], w["ci_low"], w["ci_high"])],
        "nps_unweighted_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                              for o, e, lo, hi in zip(ok, u["nps"], u["ci_low"], u["ci_high"])],
    }
    return _assemble(rows, w.index, lang)


def cohort_view(comparison, min_n: int = 30, lang: str = "en") -> pd.DataFrame:
    """A :class:`cxlab.cohorts.CohortComparison` for stakeholders, short:
    ``readable(comparison, "cohorts")`` with each cohort's figure and its difference from
    the reference (the rest of the clients), with intervals and Holm-adjusted significance.

    Cohorts without answers are left out; a cohort's own figures need its own n ≥ ``min_n``,
    its comparison also the reference's.
    """
    return readable(comparison, "cohorts", lang, min_n,
                    columns=("n", "estimate_ci", "ref_estimate", "diff_ci", "significant"))


def promotion_view(result, min_n: int = 30, lang: str = "en", behaviour: str = "referral") -> pd.DataFrame:
    """Stated vs actual promotion: per NPS class, the number of respondents (families), the
    share who brought a new family and referrals per 100 respondents, with intervals; a
    class under ``min_n`` shows its n and no figure."""
    full = result.table
    t = full.xs(behaviour, level="behaviour")
    n_text = [people_cell(v, lang, disclosure.lookup(full, "n", (behaviour, k)),
                          min_n=min_n, estimates=True)[0] for k, v in t["n"].items()]
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": n_text,
        "referred_ci": [_own(o, estimate_text(s, lo, hi, 0, lang, scale=100, suffix="%"), min_n)
                        for o, s, lo, hi in zip(ok, t["share"], t["ci_low"], t["ci_high"])],
        "per_100_ci": [_own(o, estimate_text(s, lo, hi, 1, lang), min_n) for o, s, lo, hi in
                       zip(ok, t["per_100"], t["per_100_ci_low"], t["per_100_ci_high"])],
    }
    return _assemble(rows, t.index, lang, kinds={t.index.name: "nps_group"})


def headline_view(trend: pd.DataFrame, csi: pd.DataFrame | None, rate: pd.DataFrame | None,
                  quarter: str, min_n: int = 30, lang: str = "en", alpha: float = 0.05) -> pd.DataFrame:
    """The quarter's headline per survey channel: NPS with its interval and the change from
    the previous quarter (marked only where significant), CSI (top-2 share) and the
    response rate, each with its interval; every figure from fewer than ``min_n``
    answers (invitations for the response rate) is suppressed on its own.

    ``trend`` is :func:`cxlab.metrics.nps_trend` (per channel), ``csi`` is
    :func:`cxlab.metrics.csi_table` and ``rate`` :func:`cxlab.metrics.response_rate` with
    ``by="channel"``, both on the quarter's data; None (or empty) when the data have no
    satisfaction answers or no invitations: the column is then left out.
    """
    if trend is None:  # yes/no answers only: no 0–10 NPS to head the table
        t = pd.DataFrame(index=pd.Index([], name="channel"))
    elif quarter in trend.index.get_level_values("quarter"):
        t = trend.xs(quarter, level="quarter")
    else:
        t = trend.iloc[0:0].droplevel("quarter")
    show_csi, show_rate = csi is not None and len(csi) > 0, rate is not None and len(rate) > 0
    csi = csi if show_csi else pd.DataFrame(index=pd.Index([], name="channel"))
    rate = rate if show_rate else pd.DataFrame(index=pd.Index([], name="channel"))
    channels = list(dict.fromkeys(list(t.index) + list(csi.index) + list(rate.index)))
    st = i18n.active_study()
    if st is not None:
        channels = st.channels.order(channels)
    hidden = suppressed_label(min_n)
    rows = []
    for ch in channels:
        row = {}
        if trend is None:
            pass
        elif ch in t.index and t.loc[ch, "n"] >= min_n:
            r = t.loc[ch]
            row["n"] = people_cell(r["n"], lang, disclosure.lookup(trend, "n", (ch, quarter)),
                                   min_n=min_n, estimates=True)[0]
            row["nps_ci"] = estimate_text(r["nps"], r["ci_low"], r["ci_high"], 0, lang)
            row["change_ci"] = change_text(r["change"], r["change_ci_low"], r["change_ci_high"],
                                           r["change_p"], bool(r["change_small_n"]), lang, alpha)
        else:
            row["n"] = row["nps_ci"] = row["change_ci"] = hidden if ch in t.index else "–"
        if not show_csi:
            pass
        elif ch in csi.index and csi.loc[ch, "n"] >= min_n:
            c = csi.loc[ch]
            row["csi_ci"] = estimate_text(c["top_box_share"], c["top_box_ci_low"],
                                          c["top_box_ci_high"], 0, lang, scale=100, suffix="%")
        else:
            row["csi_ci"] = hidden if ch in csi.index else "–"
        if not show_rate:
            pass
        elif ch in rate.index and rate.loc[ch, "invitations"] >= min_n \
                and not rate.loc[ch, "over_invited"] and not 0 < rate.loc[ch, "responses"] < threshold():
            x = rate.loc[ch]
            # the rate's two counts are not on this table, but n × rate links them: the
            # audit knows them as counts no one sees (see cxlab.disclosure)
            num, den = (_unseen(rate, col, ch) for col in ("responses", "invitations"))
            row["rate_ci"] = rate_text(estimate_text(x["share"], x["ci_low"], x["ci_high"], 0, lang,
                                                     scale=100, suffix="%"), num, den, x["share"])
        elif ch in rate.index and 0 < rate.loc[ch, "responses"] < threshold():
            row["rate_ci"] = hidden_label(lang)  # invitations × rate would give the answers back
        else:
            row["rate_ci"] = hidden if ch in rate.index else "–"
        rows.append(row)
    view = pd.DataFrame(rows, index=pd.Index(channels, name="channel"))
    view = _translate_index(view, lang)
    prev = previous_quarter(quarter)
    view.columns = [col_label(c, lang, prev=prev) for c in view.columns]
    return view


def _unseen(table, column: str, key) -> str | None:
    """Register a count that the page does not show but that a shown rate is built from."""
    led = disclosure.ledger()
    m = disclosure.lookup(table, column, key)
    if led is None or m is None:
        return None
    return led.count(table.loc[key, column], m, shown=False)


def complaints_view(section, min_n: int = 30, lang: str = "en") -> pd.DataFrame:
    """The complaints section's headline figures (:attr:`ComplaintsSection.table`) with
    their intervals; figures from fewer than ``min_n`` complaints suppressed."""
    t = section.table
    keys = {"complaints per 100 active clients": "complaints.per_100",
            "share justified": "complaints.justified",
            DEADLINE_FIGURE: "complaints.within_deadline",
            "share satisfied with the resolution": "complaints.satisfied",
            "share loyal after the resolution": "complaints.loyal_after",
            "share not loyal although satisfied": "complaints.satisfied_not_loyal"}
    labels, values = [], []
    for figure, r in t.iterrows():
        labels.append(i18n.t(keys[figure], lang) if figure in keys else figure)
        rate = figure.startswith("complaints per")
        values.append(estimate_text(r["estimate"], r["ci_low"], r["ci_high"], 1 if rate else 0,
                                    lang, scale=1 if rate else 100, suffix="" if rate else "%"))
    small = t["small_n"].astype(bool).to_numpy()
    # n counts complaints (events, shown) except for the rate, whose n is active clients
    n_text = [people_cell(v, lang, disclosure.lookup(t, "n", figure))[0]
              if figure.startswith("complaints per") else events_text(v, lang)
              for figure, v in t["n"].items()]
    view = pd.DataFrame({"n": n_text, "estimate_ci": values},
                        index=pd.Index(labels, name=col_label("figure", lang)))
    view = view.astype(object)
    view.loc[small, :] = suppressed_label(min_n)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def counts_change_view(table: pd.DataFrame, lang: str = "en", min_n: int = 30,
                       kind: str | None = None, top: int | None = None) -> pd.DataFrame:
    """Complaint counts this quarter vs the previous one (``n, n_previous, change,
    rate_ratio, ci_low, ci_high``). The ratio is of *rates* — complaints per active client
    this quarter ÷ last quarter (:data:`cxlab.complaints.RATE_RATIO_MEANING`), so a change
    in the number of clients is not read as a change in complaints; it is shown where
    both quarters together have at least ``min_n`` complaints ("–" where it cannot be
    formed: no complaints or no active clients last quarter)."""
    t = table.head(top) if top else table
    enough = (t["n"] + t["n_previous"]) >= min_n
    rows = {
        "n_previous": [events_text(v, lang) for v in t["n_previous"]],
        "ratio_ci": [estimate_text(r, lo, hi, 2, lang) if ok and pd.notna(r) else suppressed_label(min_n) if not ok else "–"
                     for r, lo, hi, ok in zip(t["rate_ratio"], t["ci_low"], t["ci_high"], enough)],
    }
    view = pd.DataFrame(rows, index=t.index)
    view.insert(0, "n", [events_text(v, lang) for v in t["n"]])
    view = _translate_index(view, lang, {t.index.name: kind} if kind else None)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def crosstab_view(table: pd.DataFrame, rows: str, columns: str, min_n: int = 30,
                  lang: str = "en", margins: str = "all") -> pd.DataFrame:
    """Counts of ``table``'s rows by two classifications (e.g. importance × origin), with
    totals; codes as labels in their schema order, the totals as "Total". The rows are
    events (complaints): every count is shown (:mod:`cxlab.suppression`)."""
    counts = pd.crosstab(table[rows], table[columns], margins=True, margins_name=margins)
    st = i18n.active_study()

    def order(values, name):
        cl = st.codelist(name) if st is not None else None
        known = list(cl.values) if cl is not None else []
        inner = [v for v in values if v != margins]
        first = [v for v in known if v in inner] + [v for v in inner if v not in known]
        return first + [margins]

    counts = counts.reindex(index=order(counts.index, rows), columns=order(counts.columns, columns))
    cells = {c: [events_text(v, lang) for v in counts[c]] for c in counts.columns}
    total = i18n.t("col.total", lang)

    def names(values, kind):
        return [total if v == margins else code_label(v, lang, kind) for v in values]

    view = pd.DataFrame(cells, index=counts.index).astype(object)
    view.index = pd.Index(names(counts.index, rows), name=col_label(rows, lang))
    view.columns = pd.Index(names(counts.columns, columns), name=col_label(columns, lang))
    return view


def breakdown_view(monthly: pd.DataFrame, justified: pd.DataFrame | None = None,
                   service: pd.DataFrame | None = None, min_n: int = 30, lang: str = "en",
                   kind: str | None = None) -> pd.DataFrame:
    """Complaints of a period broken down by one classification: the count (events: always
    shown), the share justified and the median working hours to resolution, each shown
    from ``min_n`` complaints of its own.

    ``monthly`` is :func:`cxlab.complaints.monthly` of the period's complaints (its columns
    summed: the period's counts); ``justified`` :func:`cxlab.complaints.share_justified`
    with ``freq=None`` and ``service`` :func:`cxlab.complaints.long_service`, both by the
    same classification. Rows are the levels, largest first.
    """
    counts = monthly.drop(columns=["total"], errors="ignore").sum().astype("int64")
    counts = counts.sort_values(ascending=False, kind="stable")
    rows = {"complaints": [events_text(v, lang) for v in counts]}
    if justified is not None:
        j = justified.reindex(counts.index)
        rows["justified_ci"] = [_own(pd.notna(n) and n >= min_n, _pct_ci(s, a, b, lang), min_n)
                                for n, s, a, b in zip(j["n"], j["share"], j["ci_low"], j["ci_high"])]
    if service is not None:
        s = service.reindex(counts.index)
        rows["median_hours_ci"] = [_own(pd.notna(n) and n >= min_n, estimate_text(m, a, b, 1, lang), min_n)
                                   for n, m, a, b in zip(s["n"], s["median_hours"], s["ci_low"], s["ci_high"])]
    index = pd.Index(counts.index, name=kind or monthly.columns.name)
    return _assemble(rows, index, lang, kinds={index.name: kind} if kind else None)


# ------------------------------------------------------------------------- for the analyst

def analyst_view(table: pd.DataFrame, min_n: int = 30, n_col: str | None = None) -> pd.DataFrame:
    """A full analysis table (every column, as the function returned it) with the rows
    from fewer than ``min_n`` answers suppressed — for an analyst's own exploration only.

    Not for anything rendered into the report: it keeps raw columns and codes, and
    suppresses a whole row on the function's ``small_n`` flag even when only a comparison's
    reference is small. Report notebooks use :func:`readable`.

    A row is small when its ``small_n`` flag says so (the analysis function's own rule,
    e.g. either side of a comparison), else when ``n_col`` (default ``n``) < ``min_n``.
    Tables without either (plain counts such as a cross-tab) are returned unchanged.
    """
    if "small_n" in table.columns:
        small = table["small_n"].fillna(True).to_numpy(dtype=bool)
    else:
        col = n_col or ("n" if "n" in table.columns else None)
        if col is None:
            return table
        small = (pd.to_numeric(table[col], errors="coerce").fillna(0) < min_n).to_numpy()
    if not small.any():
        return table
    out = table.astype(object)
    out.loc[small, :] = suppressed_label(min_n)
    return out
