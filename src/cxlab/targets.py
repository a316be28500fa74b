"""Quarterly targets: met, not met, or can't tell yet — decided from the interval.

The study file sets targets per quarter (seed 002: vision → goals → quarterly plan)::

    targets:
      2026Q3:
        - {metric: nps, channel: email, at_least: 50}
        - {metric: csi_top_box, channel: app, at_least: 80}     # 80 %
        - {metric: response_rate, channel: sms, at_least: 30}

:func:`evaluate` computes each target's figure for the quarter with its interval and
says whether the target is met. A point estimate above the target is not enough: a
target is **met** only when the whole interval is on the right side of it, **not met**
when the whole interval is on the wrong side, and otherwise we **can't tell** yet (more
answers would decide). A figure from fewer than ``min_n`` answers is not judged at all
("can't tell"), and a target whose data the warehouse lacks is **no data**, with the
reason.

Units: NPS in points (−100…100); shares in percent (``recommend``, ``csi_top_box``,
``response_rate``, ``fcr``: a target ``at_least: 80`` means 80 %); ``csi_index`` on 0–100.
The intervals are the ones :mod:`cxlab.metrics` reports: the score interval for NPS
(Tango 1998), Wilson for shares, t for the CSI index — clustered by client when clients
answered more than once (the interval then rests on the effective number of answers);
unweighted. The response rate counts invitations, taken as independent.

One survey channel per figure (DOMAIN.md): a target on a survey figure (``nps``,
``recommend``, ``csi_top_box``, ``csi_index``) without ``channel:`` over a quarter whose
answers came through several channels is not one figure, so it is "no data" with the
reason, never a pooled number. Response rate and FCR are operational figures: without a
channel filter they are taken over all channels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cxlab import _members, disclosure, metrics
from cxlab.errors import ParameterError
from cxlab.schema import quarter_of
from cxlab.study import Study, Target, load_study

__all__ = ["evaluate", "STATUSES", "UNITS"]

#: What :func:`evaluate` can say of a target.
STATUSES = ("met", "not_met", "cant_tell", "no_data")

#: Unit of each metric's estimate, interval and target.
UNITS = {"nps": "points", "recommend": "%", "csi_top_box": "%", "csi_index": "0-100",
         "response_rate": "%", "fcr": "%"}

#: Survey figures: the responses column each is computed from.
_SURVEY_COLUMN = {"nps": "nps", "recommend": "recommend", "csi_top_box": "csat",
                  "csi_index": "csat"}

_COLUMNS = ["metric", "where", "where_text", "direction", "target", "unit", "estimate",
            "ci_low", "ci_high", "n", "method", "status", "reason", "small_n"]


def _where_text(where: Mapping[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in where.items()) or "all"


def _in_quarter(df: pd.DataFrame, quarter: str, date_col: str) -> pd.Series | str:
    """Mask of the rows of ``quarter`` (a ``quarter`` column, else from ``date_col``), or
    the reason there is none."""
    if "quarter" in df.columns:
        return (df["quarter"].astype("string") == quarter).fillna(False)
    if date_col in df.columns:
        return (quarter_of(df[date_col]) == quarter).fillna(False)
    return f"no {date_col} (or quarter) column to tell the quarter's rows"


def _filter(df: pd.DataFrame, where: Mapping[str, str], table: str) -> pd.Series | str:
    """Mask of the rows matching every ``column = code`` of ``where``, or the reason."""
    mask = pd.Series(True, index=df.index)
    for col, code in where.items():
        if col not in df.columns:
            return f"the {table} have no column '{col}' to filter on"
        mask &= (df[col].astype("string") == str(code)).fillna(False)
    return mask


def _verdict(estimate, lo, hi, target: Target, level: float, unit: str) -> tuple[str, str]:
    """met / not_met / cant_tell from where the interval lies, and a sentence saying so."""
    value = target.value
    pct = f"{level:.0%}"
    ci = f"{pct} interval [{lo:.1f}, {hi:.1f}]"
    sign = " %" if unit == "%" else ""
    if target.at_least is not None:
        if lo >= value:
            return "met", f"the whole {ci} is at or above {value:g}{sign}"
        if hi < value:
            return "not_met", f"the whole {ci} is below {value:g}{sign}"
    else:
        if hi <= value:
            return "met", f"the whole {ci} is at or below {value:g}{sign}"
        if lo > value:
            return "not_met", f"the whole {ci} is above {value:g}{sign}"
    return "cant_tell", (f"the {ci} contains {value:g}{sign}: more answers would decide "
                         f"(estimate {estimate:.1f})")


def _survey_figure(t: Target, df: pd.DataFrame, study: Study, level: float):
    """(estimate, ci_low, ci_high, n, method) of a survey figure, or a no-data reason."""
    column = _SURVEY_COLUMN[t.metric]
    if column not in df.columns:
        return f"the responses have no '{column}' column"
    answered = df[column].notna()
    if not answered.any():
        return f"no '{column}' answers in the quarter for {_where_text(t.where)}"
    if "channel" not in t.where and "channel" in df.columns:
        chans = sorted(map(str, df.loc[answered, "channel"].dropna().unique()))
        if len(chans) > 1:
            return (f"{t.metric} over several survey channels ({', '.join(chans)}) is not one "
                    "figure; add channel: to the target")
    if t.metric == "nps":
        r = metrics.nps(df, level=level)
        return r.nps, r.ci_low, r.ci_high, r.n, f"score interval (Tango 1998); {r.assumption}"
    if t.metric == "recommend":
        r = metrics.binary_nps(df, level=level)
        return 100 * r.share, 100 * r.ci_low, 100 * r.ci_high, r.n, "Wilson"
    r = metrics.csi(df, level=level, study=study)
    if t.metric == "csi_top_box":
        tb = r.top_box
        return (100 * tb.share, 100 * tb.ci_low, 100 * tb.ci_high, tb.n,
                f"Wilson; top box {study.csat_scale.top_box_text}")
    return (r.index.index, r.index.ci_low, r.index.ci_high, r.index.n,
            f"t; index 0–100 of {study.csat_scale}")


def _response_rate(t: Target, responses, invitations, quarter: str, level: float):
    if invitations is None:
        return "no invitations table"
    resp_q = _in_quarter(responses, quarter, "submitted_at")
    inv_q = _in_quarter(invitations, quarter, "sent_at")
    for reason in (resp_q, inv_q):
        if isinstance(reason, str):
            return reason
    resp_w = _filter(responses, t.where, "responses")
    inv_w = _filter(invitations, t.where, "invitations")
    for reason in (resp_w, inv_w):
        if isinstance(reason, str):
            return reason
    r = int((resp_q & resp_w).sum())
    i = int((inv_q & inv_w).sum())
    if i == 0:
        return f"no invitations in {quarter} for {_where_text(t.where)}"
    if r > i:
        return (100 * r / i, np.nan, np.nan, i,
                f"{r} responses to {i} invitations: responses without a logged invitation")
    lo, hi = metrics.wilson_interval(r, i, level)
    return 100 * r / i, 100 * float(lo), 100 * float(hi), i, "Wilson"


def _fcr(t: Target, contacts, quarter: str, level: float, window_days: int):
    if contacts is None:
        return "no contacts table"
    w = _filter(contacts, t.where, "contacts")
    if isinstance(w, str):
        return w
    need = [c for c in ("client_id", "topic", "opened_at") if c not in contacts.columns]
    if need:
        return f"the contacts have no {', '.join(need)} column(s)"
    if not len(contacts):
        return "no contacts"
    # flags over every contact (a follow-up may come from before the quarter), then the
    # first contacts opened in the quarter that match the filter
    f = metrics.fcr_flags(contacts, window_days)
    in_q = _in_quarter(f, quarter, "opened_at")
    judged = in_q & w & f["resolved_first"].notna()
    n = int(judged.sum())
    if n == 0:
        censored = int((in_q & w & f["censored"]).sum())
        return (f"no first contacts in {quarter} for {_where_text(t.where)} that can be judged"
                + (f" ({censored} too recent: a follow-up may still come)" if censored else ""))
    k = int(f.loc[judged, "resolved_first"].astype(bool).sum())
    lo, hi = metrics.wilson_interval(k, n, level)
    return (100 * k / n, 100 * float(lo), 100 * float(hi), n,
            f"Wilson; {window_days:g}-day follow-up window")


def evaluate(study, quarter: str, responses: pd.DataFrame | None,
             invitations: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None,
             *, level: float = 0.95, min_n: int | None = None,
             fcr_window_days: int = 7) -> pd.DataFrame:
    """Each target of ``quarter``: the figure, its interval and whether it is met.

    Parameters
    ----------
    study : Study, path of a study file, or None
        Whose targets (``targets:`` in the study file); None: the default study.
    quarter : str
        ``"2026Q3"``.
    responses : DataFrame
        Survey answers (``submitted_at`` or ``quarter``; ``nps``, ``recommend``, ``csat``;
        ``channel`` and the segment columns a target filters on). Rows of other quarters
        are left out.
    invitations : DataFrame, optional
        For ``response_rate``: responses ÷ invitations sent (``sent_at``) in the quarter.
    contacts : DataFrame, optional
        For ``fcr``: every contact up to a little after the quarter (first contacts of the
        quarter are judged with the follow-ups that came after them; see
        :func:`cxlab.metrics.fcr_flags`: the most recent ones are censored).
    level : float
        Interval coverage.
    min_n : int, optional
        A figure from fewer answers (invitations, judged first contacts) is not judged:
        "cant_tell". Default: the study's ``min_n``.
    fcr_window_days : int
        A first contact followed by another on the same topic within this many days was
        not resolved at first contact.

    Returns
    -------
    DataFrame
        One row per target of the quarter, in the study's order: ``metric``, ``where``
        (the filter as a dict column → code), ``where_text`` (``"channel = email"`` or
        ``"all"``), one column per filtered column (its code, empty where the target does
        not filter on it), ``direction`` (``at_least``/``at_most``), ``target``, ``unit``
        (see :data:`UNITS`), ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``method``,
        ``status`` (one of :data:`STATUSES`), ``reason`` (why, in a sentence) and
        ``small_n``. Empty (with these columns) when the study sets no target for the
        quarter. ``attrs``: ``quarter``, ``level``, ``min_n``; in a report kernel
        (``CXLAB_LEDGER`` set) also who each row's ``n`` counts
        (:func:`cxlab.disclosure.lookup` by row number): the answers of a survey figure,
        the invitations of a response rate, none for a target without data (n = 0); FCR
        rows count contacts — events, not people — and record nothing.

    Examples
    --------
    >>> evaluate("data/samples/study.yml", "2026Q3", responses, invitations)  # doctest: +SKIP
    """
    from cxlab.io import parse_quarter

    st = load_study(study)
    start, _ = parse_quarter(quarter)
    q = f"{start.year}Q{start.quarter}"
    metrics._z(level)
    min_n = st.min_n if min_n is None else min_n
    if not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ParameterError(f"min_n={min_n!r}: expected a whole number ≥ 1")
    goals = st.targets_for(q)
    keys = list(dict.fromkeys(k for t in goals for k in t.where))
    rows = []
    who = {} if _members.active() else None  # report kernels only (cxlab.disclosure)
    for t in goals:
        row = {"metric": t.metric, "where": dict(t.where), "where_text": _where_text(t.where),
               **{k: t.where.get(k) for k in keys},
               "direction": "at_least" if t.at_least is not None else "at_most",
               "target": float(t.value), "unit": UNITS[t.metric], "estimate": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "n": 0, "method": "", "small_n": False}
        if t.metric in _SURVEY_COLUMN:
            if responses is None:
                got = "no responses table"
            else:
                in_q = _in_quarter(responses, q, "submitted_at")
                w = _filter(responses, t.where, "responses")
                got = next((x for x in (in_q, w) if isinstance(x, str)), None)
                if got is None:
                    sub = responses.loc[in_q & w]
                    got = _survey_figure(t, sub, st, level) if len(sub) else \
                        f"no responses in {q} for {_where_text(t.where)}"
        elif t.metric == "response_rate":
            got = "no responses table" if responses is None else \
                _response_rate(t, responses, invitations, q, level)
        else:
            got = _fcr(t, contacts, q, level, fcr_window_days)
        if who is not None and t.metric != "fcr":  # FCR counts contacts: events, not people
            who[len(rows)] = _members_of(t, got, responses, invitations, q)
        if isinstance(got, str):
            rows.append({**row, "status": "no_data", "reason": got})
            continue
        est, lo, hi, n, method = got
        row.update(estimate=float(est), ci_low=float(lo), ci_high=float(hi), n=int(n),
                   method=method, small_n=bool(n < min_n))
        if n < min_n:
            status, reason = "cant_tell", (f"n = {n} is under min_n = {min_n}: too few to "
                                           "judge")
        elif not np.isfinite(lo) or not np.isfinite(hi):
            status, reason = "cant_tell", f"no interval: {method}"
        else:
            status, reason = _verdict(est, lo, hi, t, level, UNITS[t.metric])
        rows.append({**row, "status": status, "reason": reason})
    cols = _COLUMNS[:3] + keys + _COLUMNS[3:]
    out = pd.DataFrame(rows, columns=cols)
    out["n"] = out["n"].astype("int64")
    out["small_n"] = out["small_n"].astype(bool)
    out.attrs.update(quarter=q, level=level, min_n=min_n)
    who = {k: m for k, m in (who or {}).items() if m is not None}
    if who:  # per row (index 0, 1, …): who its n counts; FCR rows count events: none
        _members.attach(out, "n", who)
    return out


def _members_of(t: Target, got, responses, invitations, quarter: str):
    """Who a target row's ``n`` counts (the disclosure ledger, :mod:`cxlab.disclosure`):
    the quarter's answers matching the filter with the figure's column answered (survey
    figures), or its invitations (response rate); none when there is no figure (n = 0).
    None when the table has no id column."""
    population = "invitations" if t.metric == "response_rate" else "answers"
    if isinstance(got, str):
        return disclosure.Members(population, np.array([], dtype=str))
    if population == "invitations":
        frame = invitations
        mask = _in_quarter(frame, quarter, "sent_at") & _filter(frame, t.where, "invitations")
    else:
        frame = responses
        mask = (_in_quarter(frame, quarter, "submitted_at")
                & _filter(frame, t.where, "responses")
                & frame[_SURVEY_COLUMN[t.metric]].notna())
    ids = _members.ids_of(frame, population, mask.fillna(False).to_numpy(dtype=bool))
    return None if ids is None else disclosure.Members(population, ids)
