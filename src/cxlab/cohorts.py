"""Cohorts: lapsed, new and repeat clients, a study's own cohorts — and whom to call back.

The client department compares groups of clients (DOMAIN.md, "Lapsed and interested
clients"): lapsed vs active, new vs repeat, interested but never came, and the groups a
business defines for itself (in the sample study: camp and hike attendees,
workshop-only families). This module

* turns the clients and visits tables into **per-client features as of a date**
  (:func:`features`): visit counts, recency, referrals and — when the study names a
  visits column under ``cohorts → by`` — one count per code of that column
  (``n_<code>``, ``n_<code>_recent``);
* evaluates **cohort rules** on them: the generic built-ins (:data:`COHORT_RULES`:
  active, lapsed, never_attended, new, repeat), the study file's rules (boolean
  expressions under ``cohorts → rules``) and any passed as ``extra=`` (:func:`assign`);
* attaches the cohorts to survey responses **as of each response's date**
  (:func:`attach`, vectorised with :func:`pandas.merge_asof`);
* compares a metric across cohorts with intervals and Holm-adjusted p-values
  (:func:`compare_cohorts`, statistics from :mod:`cxlab.metrics`);
* checks stated against actual promotion — do promoters really bring new clients?
  (:func:`promotion`: each respondent classed by the first 0–10 answer, referrals that
  joined after it, Wilson and exact Poisson intervals);
* builds the internal **follow-up list** of detractors and lapsed clients to call
  (:func:`followups`). It is the only cxlab output that carries names and phone numbers;
  the ``cxlab followups`` command writes it outside ``reports/``.

The clients and visits are frames, or — in a report, where the visits of every family
ever would not fit a kernel — a :class:`cxlab.quarter.QuarterData` passed as ``clients``
(``visits`` left out): :func:`features_at`, :func:`assign` and :func:`attach` then have
the features of the clients they are asked about computed in its warehouse
(:mod:`cxlab.aggregates`), and :func:`promotion` reads the respondents and the families
they brought only — the same results as from ``data.clients`` and ``data.visits``.

Cohorts are about clients: they need ``client_id`` on the responses. An anonymous survey
has none, and :func:`attach`, :func:`compare_cohorts` and :func:`followups` say so
(:class:`~cxlab.errors.ParameterError`) rather than guess.

The study (keyword ``study=``; None: the default study, :func:`cxlab.study.load_study`)
gives the rules, the visits column of the ``n_<code>`` features and the defaults of
``lapsed_after_days`` and ``recent_days``; arguments passed explicitly win. Results carry
the rule names (columns, ``attrs["cohorts"]``); a report labels a study rule with its
:meth:`cxlab.study.CohortRule.label` and a built-in from the i18n catalogue.

Examples
--------
::

    c = assign(clients, visits, "2026-09-30", extra={"big_family": "n_visits >= 20"})
    r = attach(responses, clients, visits)         # cohorts as of each answer's day
    r = attach(data.responses, data)               # the same, computed in the warehouse
    compare_cohorts(r, ["lapsed", "new"]).table    # within each channel, Holm p
    promotion(responses, clients).table            # do promoters bring new clients?

Conventions (one place, so every rule reads the same way)
---------------------------------------------------------
``asof``
    A calendar day. Everything *on or before* it counts; nothing after it leaks in.
    For :func:`attach` it is the calendar day of each response's ``submitted_at``, so a
    visit earlier on the day of the response counts (a survey filled in on the last day
    of a programme sees that visit).
Time zones
    One rule everywhere (as at ingest, :mod:`cxlab.schema`): a zone-aware value — an
    ``asof`` like ``'2026-09-30T23:30:00Z'`` or ``'…+03:00'``, an aware Timestamp, an
    aware column (``submitted_at``, ``visit_date`` …) — is converted to the study's
    ``timezone`` and made naive local time before its calendar day is taken; a naive
    value is local already. So the day that counts is the **local** day: with a study in
    Europe/Moscow, ``asof='2026-09-30T23:30:00Z'`` is 02:30 on 1 October there, and the
    day is 2026-10-01 (a visit on 1 October counts); in America/New_York the same instant
    is 19:30 on 30 September (EDT), and the day is 2026-09-30.
``days_since_last_visit``
    Whole calendar days from the last visit on or before ``asof`` to ``asof`` (0 = visited
    that day); missing when the client has no visit by then.
"Within N days"
    At most N days ago: ``days_ago <= N`` (the days ``asof − N … asof``, both ends
    included). So with ``lapsed_after_days=90`` a client whose last visit was exactly 90
    days before ``asof`` is still **active**; at 91 days it is **lapsed** — "lapsed after
    90 days" means more than 90 days without a visit. This is the definition the sample
    generator plants its lapsed gap with (``cxlab.samples``: ``day − last_visit > 90``).
"The last 12 months" (``recent_days``, default the study's, 365 unless it says)
    Within the last 365 days by the same rule: a visit 365 days before ``asof`` is
    recent, one 366 days before is not.
"The quarter"
    The calendar quarter that contains ``asof`` (for :func:`attach`: the quarter of the
    response). ``new`` = first visit ever falls in that quarter, on or before ``asof``.

Size: over 800 lines on purpose: cohort features, rules, assignment as of any day,
comparisons, promotion and the follow-up list; all are built on the same per-client
features.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab import _members, disclosure, schema
from cxlab.errors import ParameterError

__all__ = [
    "COHORT_RULES",
    "CODE_FEATURES",
    "CONTACT_COLUMNS",
    "FEATURE_COLUMNS",
    "CohortComparison",
    "CohortParams",
    "PromotionResult",
    "Rule",
    "assign",
    "attach",
    "cohort_members",
    "compare_cohorts",
    "features",
    "features_at",
    "followups",
    "promotion",
    "segment",
    "study_rules",
    "FOLLOWUP_COLUMNS",
    "FOLLOWUP_PRIORITIES",
]

# ---------------------------------------------------------------------------- features

#: The per-client features a cohort rule or a user expression can use (see :func:`features`).
FEATURE_COLUMNS: dict[str, str] = {
    "client_id": "the client",
    "asof": "the day the features are evaluated at",
    "joined_on": "first contact / registration of interest (clients.joined_on)",
    "source": "how the client found us (clients.source)",
    "referred": "True if another client recommended us (clients.referred_by not empty)",
    "days_since_joined": "days from joined_on to asof",
    "n_visits": "visits on or before asof",
    "n_visits_recent": "visits within the last `recent_days` days: asof − recent_days … asof",
    "first_visit": "date of the first visit (NaT if none by asof)",
    "last_visit": "date of the last visit on or before asof (NaT if none)",
    "days_since_first_visit": "days from first_visit to asof (NaN if none)",
    "days_since_last_visit": "days from last_visit to asof (NaN if none)",
    "n_referrals": "clients who named this client in referred_by and joined by asof",
}
#: Per code of the study's ``cohorts → by`` visits column (e.g. a programme or a store):
#: ``n_<code>`` visits on or before asof and ``n_<code>_recent`` within ``recent_days``.
CODE_FEATURES = ("n_{code}", "n_{code}_recent")


def _need(df: pd.DataFrame, table: str, columns: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"{table}: expected a DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ParameterError(
            f"{table}: missing column(s) {', '.join(map(repr, missing))}; "
            f"the table has {', '.join(map(str, df.columns)) or 'no columns'}"
        )


def _day(value, what: str = "asof", *, study=None) -> pd.Timestamp:
    """A calendar day from a string / date / Timestamp; a clear error otherwise.

    The day is the study's local one: a zone-aware value ('2026-09-30T23:30:00Z', an
    aware Timestamp) is converted to the study's time zone first — in Moscow that instant
    is 02:30 on 1 October, so the day is 2026-10-01. A naive value is local already."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{what}: got {value!r}; expected a date such as '2026-09-30'")
    if ts.tzinfo is not None:
        ts = pd.Timestamp(schema.local_time(ts, study))
    return ts.normalize().as_unit("ns")


def _timestamps(s: pd.Series, table: str, column: str, study=None) -> pd.Series:
    """A date-time column as naive datetime64[ns] local time: zone-aware values are
    converted to the study's time zone, naive ones are local already."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return schema.local_time(s, study)
    text = s.astype("string").str.strip()
    out = schema.local_time(text, study)
    bad = out.isna() & text.notna() & (text != "")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ParameterError(
            f"{table}: column '{column}' must hold dates (yyyy-mm-dd); got "
            f"{s.iloc[pos]!r} at row {pos + 1}")
    return out


def _dates(s: pd.Series, table: str, column: str, study=None) -> pd.Series:
    """A date column as datetime64[ns] calendar days (merge_asof needs one unit): the
    local day of each value (:func:`_timestamps`)."""
    return _timestamps(s, table, column, study).dt.normalize()


def _ids(s: pd.Series) -> pd.Series:
    return s.astype("string")


def _check_positive(name: str, value) -> None:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0
    if not ok:
        raise ParameterError(f"{name}: got {value!r}; expected a positive whole number")


def _windows(st, lapsed_after_days, recent_days) -> tuple[int, int]:
    """The lapsed and recent windows: the arguments when given, else the study's."""
    lapsed_after_days = st.lapsed_after_days if lapsed_after_days is None else lapsed_after_days
    recent_days = st.recent_days if recent_days is None else recent_days
    _check_positive("lapsed_after_days", lapsed_after_days)
    _check_positive("recent_days", recent_days)
    return lapsed_after_days, recent_days


def _need_client_ids(responses: pd.DataFrame, what: str) -> None:
    """Cohorts are about clients: an anonymous survey cannot be placed in them."""
    if not isinstance(responses, pd.DataFrame):
        raise ParameterError(f"responses: expected a DataFrame, got {type(responses).__name__}")
    if "client_id" not in responses.columns or not responses["client_id"].notna().any():
        found = ("no column 'client_id'" if "client_id" not in responses.columns
                 else f"an empty column 'client_id' ({len(responses)} rows)")
        raise ParameterError(
            f"{what}: cohorts need client ids, and the responses have {found} (an anonymous "
            "survey?); expected responses that name their client (client_id), linked to "
            "the clients and visits tables — without them this analysis does not apply")


def _study(study):
    from cxlab.study import load_study

    return load_study(study)


def _by_column(visits: pd.DataFrame, by, st) -> str | None:
    """The visits column whose codes give ``n_<code>`` features: ``by`` if given (it must
    exist), else the study's ``cohorts → by`` when the visits carry it, else None."""
    if by is not None:
        _need(visits, "visits", [by])
        return str(by)
    if st.cohort_by is not None and st.cohort_by in visits.columns:
        return st.cohort_by
    return None


def _codes_of(values: pd.Series, by: str, st) -> list[str]:
    """The codes of ``by`` to count: the study's list (in its order, so a rule over a code
    with no visit yet still evaluates) and any other code in the data, after it."""
    seen = set(map(str, values.dropna().unique()))
    cl = st.codelist(by)
    known = list(cl.values) if cl is not None else []
    codes = known + sorted(seen - set(known))
    taken = {c for c in FEATURE_COLUMNS} | {f"{c}_recent" for c in FEATURE_COLUMNS}
    clash = [c for c in codes if f"n_{c}" in taken]
    if clash:
        raise ParameterError(f"visits: the code {clash[0]!r} of column {by!r} would make the "
                             f"feature 'n_{clash[0]}', which is already a generic feature; "
                             "expected codes that do not repeat a feature name")
    return codes


def _quarter_data(clients, visits, what: str):
    """The :class:`cxlab.quarter.QuarterData` whose warehouse holds the clients and visits
    (passed as ``clients``, ``visits`` left out), or None when both are frames."""
    from cxlab.quarter import QuarterData

    if isinstance(clients, QuarterData):
        if visits is not None and visits is not clients:
            raise ParameterError(
                f"{what}: clients is a QuarterData, so its warehouse gives the visits too; "
                f"expected visits left out (None), got {type(visits).__name__}")
        return clients
    if isinstance(visits, QuarterData):
        raise ParameterError(f"{what}: visits is a QuarterData but clients a "
                             f"{type(clients).__name__}; expected both frames, or the "
                             "QuarterData as clients (its warehouse holds both)")
    if visits is None:
        raise ParameterError(f"{what}: visits: expected a DataFrame (or a QuarterData as "
                             "clients, whose warehouse holds the clients and the visits)")
    return None


def _in_warehouse(data) -> bool:
    """Does ``data``'s warehouse hold both tables (else its empty frames are used)?"""
    rows = data.holdings.rows
    return "clients" in rows and "visits" in rows


def _points(points: pd.DataFrame, recent_days: int, st) -> pd.DataFrame:
    """``points`` as ids and local calendar days, with their position and the start of
    the recent window."""
    pts = pd.DataFrame(
        {
            "_pos": np.arange(len(points)),
            # text kept in Arrow: a million ids as Python objects would be ~60 MB more
            "client_id": _ids(points["client_id"]).astype("str").array,
            "asof": _dates(points["asof"], "points", "asof", st).to_numpy(),
        }
    )
    if pts["asof"].isna().any():
        raise ParameterError("points: column 'asof' has empty dates; every point needs a day")
    pts["_start"] = pts["asof"] - pd.Timedelta(days=recent_days)
    return pts


def features_at(
    clients,
    visits: pd.DataFrame | None,
    points: pd.DataFrame,
    recent_days: int | None = None,
    *,
    by: str | None = None,
    study=None,
) -> pd.DataFrame:
    """Per-client features at many (client, day) points at once, without a Python loop.

    Parameters
    ----------
    clients : DataFrame or QuarterData
        Columns ``client_id``, ``joined_on``; optional ``source``, ``referred_by``. Or a
        :class:`cxlab.quarter.QuarterData` (``visits`` left out): the features are then
        computed in its warehouse (:func:`cxlab.aggregates.visit_features`) from the
        points' clients' visits up to the quarter's end, and equal those of
        ``features_at(data.clients, data.visits, points)`` without loading either table.
    visits : DataFrame or None
        Columns ``client_id``, ``visit_date``; the ``by`` column when there is one.
    points : DataFrame
        Columns ``client_id`` and ``asof`` (a day per row). Rows may repeat clients and
        days; the result is aligned with ``points`` (same index, same order).
    recent_days : int, optional
        Length of the "recent" window of the ``*_recent`` counts (days, both ends in);
        default the study's ``cohorts → recent_days``.
    by : str, optional
        The visits column whose codes give ``n_<code>`` and ``n_<code>_recent``; default
        the study's ``cohorts → by`` when the visits carry that column. Without one only
        the generic features are made.
    study : Study, path or None
        None: the default study.

    Returns
    -------
    DataFrame
        The columns of :data:`FEATURE_COLUMNS` plus, with ``by``, ``n_<code>`` and
        ``n_<code>_recent`` for every code the study lists for that column and every
        other code in ``visits``; one row per point. Counts are int64, days are float64
        (NaN where there is no visit), dates datetime64[ns].

    Notes
    -----
    Visits are first reduced to one row per (client, day, code) count and cumulated
    per client; :func:`pandas.merge_asof` then finds, for every point, the cumulated row
    of the last visit day on or before ``asof`` (and on or before the start of the recent
    window). The cost is a few sorts: O((visits + points) log) — a million responses take
    seconds, not hours. From a ``QuarterData`` the engine joins each batch of points with
    its clients' visits instead, and pandas holds only the points.
    """
    st = _study(study)
    if recent_days is None:
        recent_days = st.recent_days
    data = _quarter_data(clients, visits, "features_at")
    if data is not None and not _in_warehouse(data):
        data, clients, visits = None, data.clients, data.visits  # empty frames: nothing to read
    if data is None:
        _need(clients, "clients", ["client_id", "joined_on"])
        _need(visits, "visits", ["client_id", "visit_date"])
    _need(points, "points", ["client_id", "asof"])
    _check_positive("recent_days", recent_days)
    if data is not None:
        parts = list(_warehouse_features(data, points, recent_days, by, st))
        return pd.concat(parts) if len(parts) > 1 else parts[0]
    by = _by_column(visits, by, st)
    pts = _points(points, recent_days, st)
    raw = _counted_features(clients, visits, pts, by, st)
    return _assemble(points.index, pts, raw)


def _warehouse_features(data, points: pd.DataFrame, recent_days: int, by, st):
    """:func:`features_at` from ``data``'s warehouse, a batch of
    :data:`cxlab.aggregates.BATCH_ROWS` points at a time."""
    from cxlab import aggregates

    stored = aggregates.table_columns(data.warehouse, "clients") or []
    _need(pd.DataFrame(columns=stored), "clients", ["client_id", "joined_on"])
    by = _by_column(pd.DataFrame(columns=aggregates.table_columns(data.warehouse, "visits")),
                    by, st)
    codes = []
    if by is not None:
        seen = aggregates.visit_codes(data.warehouse, by, upto=data.end)
        codes = _codes_of(pd.Series(seen, dtype="string"), by, st)
    pts = _points(points, recent_days, st)
    size = aggregates.BATCH_ROWS
    batches = aggregates.iter_visit_features(data.warehouse, pts, recent_days, by=by,
                                             codes=codes, upto=data.end, batch_rows=size)
    for lo, raw in zip(range(0, max(len(pts), 1), size), batches):
        yield _assemble(points.index[lo:lo + size], pts.iloc[lo:lo + size], raw)


def _counted_features(clients: pd.DataFrame, visits: pd.DataFrame, pts: pd.DataFrame, by,
                      st) -> pd.DataFrame:
    """What :func:`cxlab.aggregates.visit_features` computes in the warehouse, from the
    frames: one row per point (by position)."""
    # ---- visits: one row per client and day, counts per code, cumulated per client
    v = pd.DataFrame(
        {
            "client_id": _ids(visits["client_id"]).to_numpy(),
            "visit_date": _dates(visits["visit_date"], "visits", "visit_date",
                                 st).to_numpy(),
        }
    )
    if by is not None:
        v["_code"] = visits[by].astype("string").str.strip().to_numpy()
    v = v.dropna(subset=["client_id", "visit_date"])
    # groupby().size() is vectorised (pd.crosstab aggregates in Python: minutes at 4M rows)
    counts = v.groupby(["client_id", "visit_date"], sort=True).size().to_frame("n_visits")
    if by is not None:
        codes = _codes_of(v["_code"], by, st)
        per_code = (v.groupby(["client_id", "visit_date", "_code"], sort=True)
                    .size().unstack("_code", fill_value=0))
        per_code = per_code.reindex(index=counts.index, columns=codes, fill_value=0)
        per_code.columns = [f"n_{c}" for c in codes]
        counts = pd.concat([counts, per_code], axis=1)
    count_cols = list(counts.columns)
    cum = counts.groupby(level="client_id").cumsum().astype("int64").reset_index()
    cum["last_visit"] = cum["visit_date"]
    cum = cum.sort_values("visit_date", kind="stable")

    at = pd.merge_asof(
        pts.sort_values("asof", kind="stable"), cum,
        left_on="asof", right_on="visit_date", by="client_id",
        direction="backward", allow_exact_matches=True,
    )
    before = pd.merge_asof(
        pts[["_pos", "client_id", "_start"]].sort_values("_start", kind="stable"),
        cum[["client_id", "visit_date", *count_cols]],
        left_on="_start", right_on="visit_date", by="client_id",
        direction="backward", allow_exact_matches=False,  # a visit on _start is recent
    )
    at = at.sort_values("_pos").reset_index(drop=True)
    before = before.sort_values("_pos").reset_index(drop=True)

    out = pd.DataFrame(index=pd.RangeIndex(len(pts)))
    # ---- clients: join date, source, referral
    c = clients.drop_duplicates("client_id")
    c = c.set_index(_ids(c["client_id"]))
    joined = _dates(c["joined_on"], "clients", "joined_on", st)
    out["joined_on"] = pts["client_id"].map(joined).astype("datetime64[ns]").to_numpy()
    if "source" in c.columns:
        out["source"] = pts["client_id"].map(c["source"].astype("string")).to_numpy()
    if "referred_by" in c.columns:
        ref = c["referred_by"].astype("string").str.strip()
        has_ref = (ref.notna() & (ref != "")).astype(bool)
        out["referred"] = pts["client_id"].map(has_ref).fillna(False).astype(bool).to_numpy()

    for col in count_cols:
        now = at[col].fillna(0).astype("int64").to_numpy()
        then = before[col].fillna(0).astype("int64").to_numpy()
        out[col] = now
        out[f"{col}_recent"] = now - then

    first = v.groupby("client_id")["visit_date"].min()
    last = at["last_visit"].astype("datetime64[ns]").to_numpy()
    out["first_visit"] = pts["client_id"].map(first).astype("datetime64[ns]").to_numpy()
    out["first_visit"] = out["first_visit"].where(pd.notna(last))
    out["last_visit"] = last

    # ---- referrals made: families who named this client and joined by asof
    if "referred_by" in clients.columns:
        out["n_referrals"] = 0
        r = pd.DataFrame(
            {
                "client_id": clients["referred_by"].astype("string").str.strip().to_numpy(),
                "joined_on": _dates(clients["joined_on"], "clients", "joined_on",
                                    st).to_numpy(),
            }
        )
        r = r[r["client_id"].notna() & (r["client_id"] != "") & r["joined_on"].notna()]
        if len(r):
            rc = r.groupby(["client_id", "joined_on"]).size().groupby(level=0).cumsum()
            rc = rc.rename("n_ref").reset_index().sort_values("joined_on", kind="stable")
            m = pd.merge_asof(
                pts[["_pos", "client_id", "asof"]].sort_values("asof", kind="stable"), rc,
                left_on="asof", right_on="joined_on", by="client_id", direction="backward",
            ).sort_values("_pos")
            out["n_referrals"] = m["n_ref"].fillna(0).astype("int64").to_numpy()
    return out


def _assemble(index: pd.Index, pts: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """The features frame from the points and their counted features (one row each, by
    position; from the frames or the warehouse): the days since each date added, columns
    in the order of :data:`FEATURE_COLUMNS` with the counts where ``n_visits`` is."""
    n = len(pts)
    out = pd.DataFrame(index=index)
    out["client_id"] = pts["client_id"].array
    out["asof"] = pts["asof"].to_numpy()
    out["joined_on"] = raw["joined_on"].astype("datetime64[ns]").to_numpy()
    out["source"] = (raw["source"].astype("string").to_numpy() if "source" in raw.columns
                     else pd.array([pd.NA] * n, dtype="string"))
    out["referred"] = (raw["referred"].to_numpy(dtype=bool) if "referred" in raw.columns
                       else False)
    out["days_since_joined"] = (out["asof"] - out["joined_on"]).dt.days.astype("float64")
    skip = {"joined_on", "source", "referred", "first_visit", "last_visit", "n_referrals"}
    for col in [c for c in raw.columns if c not in skip]:
        out[col] = raw[col].to_numpy(dtype="int64")
    out["last_visit"] = raw["last_visit"].astype("datetime64[ns]").to_numpy()
    out["first_visit"] = raw["first_visit"].astype("datetime64[ns]").to_numpy()
    out["days_since_first_visit"] = (out["asof"] - out["first_visit"]).dt.days.astype("float64")
    out["days_since_last_visit"] = (out["asof"] - out["last_visit"]).dt.days.astype("float64")
    out["n_referrals"] = (raw["n_referrals"].to_numpy(dtype="int64")
                          if "n_referrals" in raw.columns else 0)
    return out


def features(
    clients,
    visits: pd.DataFrame | None,
    asof,
    recent_days: int | None = None,
    *,
    by: str | None = None,
    study=None,
) -> pd.DataFrame:
    """Per-client features as of one day, for the clients who had joined by then.

    Parameters
    ----------
    clients, visits : DataFrame
        The clients and visits tables (see :func:`features_at` for the columns used); or a
        :class:`cxlab.quarter.QuarterData` as ``clients`` and ``visits`` None, to compute
        them in its warehouse (as :func:`features_at`).
    asof : date-like
        The day; visits after it are ignored, clients who joined after it are left out.
        A zone-aware ``asof`` counts as its day in the study's time zone (module notes).
    recent_days : int, optional
        The recent window of the ``*_recent`` counts (default: the study's).
    by, study
        As in :func:`features_at`.

    Returns
    -------
    DataFrame
        Indexed by ``client_id``; columns as in :data:`FEATURE_COLUMNS`, plus
        ``n_<code>`` / ``n_<code>_recent`` per code of the ``by`` column.

    Examples
    --------
    >>> f = features(clients, visits, "2026-09-30")              # doctest: +SKIP
    >>> f.query("days_since_last_visit > 90 and n_visits >= 10")  # doctest: +SKIP
    """
    st = _study(study)
    day = _day(asof, study=st)
    data = _quarter_data(clients, visits, "features")
    if data is not None and _in_warehouse(data):
        pts = _client_points(data, day)
        return features_at(data, None, pts, recent_days=recent_days, by=by,
                           study=st).set_index("client_id")
    if data is not None:
        clients, visits = data.clients, data.visits
    _need(clients, "clients", ["client_id", "joined_on"])
    if clients["client_id"].duplicated().any():
        dup = clients.loc[clients["client_id"].duplicated(), "client_id"].iloc[0]
        raise ParameterError(f"clients: client_id {dup!r} appears more than once; "
                             "expected one row per client")
    joined = _dates(clients["joined_on"], "clients", "joined_on", st)
    keep = clients[~(joined > day).to_numpy()]  # an unknown join date is not "after asof"
    pts = pd.DataFrame({"client_id": _ids(keep["client_id"]).to_numpy(), "asof": day})
    f = features_at(keep, visits, pts, recent_days=recent_days, by=by, study=st)
    return f.set_index("client_id")


def _client_points(data, day: pd.Timestamp) -> pd.DataFrame:
    """The clients of ``data``'s warehouse who had joined by ``day`` (or whose join date
    is unknown), at ``day``: the points of :func:`features` (one row per client, in the
    clients table's order)."""
    from cxlab import aggregates

    ids = aggregates.client_ids(data.warehouse, joined_by=day, upto=data.end)
    return pd.DataFrame({"client_id": _ids(ids).astype("str").array, "asof": day})


# ------------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class CohortParams:
    """The thresholds every rule sees (so a rule is a plain function of features)."""

    lapsed_after_days: int = 90
    recent_days: int = 365


@dataclass(frozen=True)
class Rule:
    """A cohort rule: a name, what it means, and a function ``(features, params) → bool``.

    ``func`` receives the features frame of :func:`features` / :func:`features_at` and
    the :class:`CohortParams`, and returns a boolean Series aligned with it (missing
    values count as "not in the cohort").
    """

    name: str
    description: str
    func: Callable[[pd.DataFrame, CohortParams], pd.Series]
    #: The boolean expression the rule evaluates, when it is one (study and ``extra=``
    #: rules written as text).
    expression: str | None = None

    def __call__(self, f: pd.DataFrame, params: CohortParams) -> pd.Series:
        return self.func(f, params)

    @property
    def per_client(self) -> bool:
        """Does the rule decide each client from that client's own features alone?

        True for the built-ins and for expressions made of names, numbers, comparisons
        and arithmetic only; False for a function (it may compare a client with the
        others, e.g. with a quantile) and for an expression that calls anything
        (``n_visits > n_visits.mean()``). :func:`assign` from a warehouse evaluates
        per-client rules a batch of clients at a time, the others over every client.
        """
        if self.func in _PER_CLIENT:
            return True
        if self.expression is None:
            return False
        import ast

        try:
            tree = ast.parse(self.expression.strip(), mode="eval")
        except SyntaxError:  # pandas' own syntax (backticks, @variables): cannot tell
            return False
        return not any(isinstance(node, (ast.Call, ast.Attribute, ast.Subscript,
                                         ast.Lambda, ast.NamedExpr))
                       for node in ast.walk(tree))


def active(f: pd.DataFrame, p: CohortParams) -> pd.Series:
    """Visited within the last ``lapsed_after_days`` days: ``days_since_last_visit <= N``."""
    return f["days_since_last_visit"] <= p.lapsed_after_days


def lapsed(f: pd.DataFrame, p: CohortParams) -> pd.Series:
    """Visited before, but not within ``lapsed_after_days``: ``days_since_last_visit > N``."""
    return f["days_since_last_visit"] > p.lapsed_after_days


def never_attended(f: pd.DataFrame, p: CohortParams) -> pd.Series:
    """Registered interest (is in the clients table) but no visit on or before asof."""
    return f["n_visits"] == 0


def new(f: pd.DataFrame, p: CohortParams) -> pd.Series:
    """First visit ever falls in the calendar quarter of asof (on or before asof)."""
    quarter_start = f["asof"].dt.to_period("Q").dt.start_time.astype("datetime64[ns]")
    return f["first_visit"] >= quarter_start


def repeat(f: pd.DataFrame, p: CohortParams) -> pd.Series:
    """Came back: at least two visits (on different days or activities) on or before asof."""
    return f["n_visits"] >= 2


#: The built-in cohorts, generic to any business, in the order they are reported.
#: ``active``, ``lapsed`` and ``never_attended`` partition the clients who had joined by
#: asof. A business's own cohorts are expressions in its study file (``cohorts → rules``).
COHORT_RULES: dict[str, Rule] = {
    r.name: r
    for r in [
        Rule("active", "visited within the last lapsed_after_days days", active),
        Rule("lapsed", "visited before, but not within the last lapsed_after_days days", lapsed),
        Rule("never_attended", "registered interest, no visit yet", never_attended),
        Rule("new", "first visit in the quarter of asof", new),
        Rule("repeat", "two or more visits", repeat),
    ]
}
#: The built-in rules' functions: each decides a client from its own features.
_PER_CLIENT = frozenset({active, lapsed, never_attended, new, repeat})


def study_rules(study=None) -> dict[str, Rule]:
    """The study file's cohorts (``cohorts → rules``) as :class:`Rule` objects, in its
    order; each rule's ``description`` is its English label and expression."""
    st = _study(study)
    out = {}
    for name, cr in st.cohorts.items():
        if name in COHORT_RULES:
            raise ParameterError(f"study {st.source}: cohort rule {name!r} has the name of a "
                                 f"built-in cohort; expected another name (built-ins: "
                                 f"{', '.join(COHORT_RULES)})")
        out[name] = Rule(name, f"{cr.label('en')}: {cr.rule}",
                         _expression_rule(name, cr.rule, st), expression=cr.rule)
    return out


def _available(st=None) -> dict[str, Rule]:
    return {**COHORT_RULES, **study_rules(st)}


def _rules(rules, extra, st) -> dict[str, Rule]:
    known = _available(st)
    if rules is None:
        chosen = dict(known)
    elif isinstance(rules, Mapping):
        chosen = {}
        for name, r in rules.items():
            if not isinstance(r, Rule):
                raise ParameterError(f"rules[{name!r}]: expected a cohorts.Rule, got "
                                     f"{type(r).__name__}; use extra= for expressions")
            chosen[str(name)] = r
    else:
        names = [rules] if isinstance(rules, str) else list(rules)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ParameterError(
                f"rules: unknown cohort(s) {', '.join(map(repr, unknown))}; expected names "
                f"from {', '.join(known)} (the built-ins and the study's cohorts → rules; "
                "add your own with extra=)"
            )
        chosen = {n: known[n] for n in names}
    for name, spec in (extra or {}).items():
        name = str(name)
        if not name.isidentifier():
            raise ParameterError(f"extra: cohort name {name!r} must be a valid column name "
                                 "(letters, digits, underscores)")
        if isinstance(spec, Rule):
            chosen[name] = spec
        elif isinstance(spec, str):
            chosen[name] = Rule(name, spec, _expression_rule(name, spec), expression=spec)
        elif callable(spec):
            chosen[name] = Rule(name, getattr(spec, "__doc__", None) or name,
                                lambda f, p, fn=spec: fn(f))
        else:
            raise ParameterError(
                f"extra[{name!r}]: got {type(spec).__name__}; expected a boolean expression "
                "over the features (e.g. 'n_visits >= 20'), a function of the features "
                "frame, or a cohorts.Rule"
            )
    return chosen


def _expression_rule(name: str, expr: str, st=None):
    where = f" (study {st.source}, cohorts → rules → {name})" if st is not None else ""

    def rule(f: pd.DataFrame, p: CohortParams) -> pd.Series:
        try:
            res = f.eval(expr)
        except Exception as err:  # pandas raises many kinds for a bad expression
            generic = set(FEATURE_COLUMNS) | {"n_visits_recent"}
            per_code = [c for c in f.columns if str(c).startswith("n_") and c not in generic]
            hint = ""
            if st is not None and st.cohort_by and not per_code:
                hint = (f"; the per-code features n_<code> come from the visits column "
                        f"{st.cohort_by!r} (cohorts → by), which the visits table lacks")
            raise ParameterError(
                f"cohort {name!r}{where}: cannot evaluate {expr!r} ({type(err).__name__}: "
                f"{err}); expected a boolean expression over the columns "
                f"{', '.join(map(str, f.columns))}{hint}"
            ) from None
        return res

    return rule


def _evaluate(rules: dict[str, Rule], f: pd.DataFrame, params: CohortParams) -> pd.DataFrame:
    out = pd.DataFrame(index=f.index)
    for name, rule in rules.items():
        res = rule(f, params)
        if not isinstance(res, pd.Series) or len(res) != len(f):
            size = f" of length {len(res)}" if hasattr(res, "__len__") else ""
            raise ParameterError(f"cohort {name!r}: expected one True/False per client, got "
                                 f"{type(res).__name__}{size}")
        if not (pd.api.types.is_bool_dtype(res.dtype)):
            raise ParameterError(
                f"cohort {name!r}: the rule gave {res.dtype} values, expected True/False "
                "(a comparison such as 'n_visits >= 20')"
            )
        out[name] = res.fillna(False).astype(bool).to_numpy()
    return out


def assign(
    clients,
    visits: pd.DataFrame | None = None,
    asof=None,
    lapsed_after_days: int | None = None,
    rules=None,
    extra: Mapping | None = None,
    recent_days: int | None = None,
    *,
    study=None,
) -> pd.DataFrame:
    """Which cohorts each client belongs to, as of a day.

    Parameters
    ----------
    clients, visits : DataFrame
        The clients and visits tables. Or a :class:`cxlab.quarter.QuarterData` as
        ``clients`` and ``visits`` left out: the features are then computed in its
        warehouse, a batch of clients at a time (:func:`features_at`), and pandas holds
        one row of flags per client — the same result as from ``data.clients`` and
        ``data.visits``. Rules that are not :attr:`Rule.per_client` (a function of the
        features frame, an expression that calls anything) see every client at once.
    asof : date-like
        Visits after this day are ignored and clients who joined after it are left out.
        A zone-aware ``asof`` counts as its day in the study's time zone:
        ``'2026-09-30T23:30:00Z'`` is 2026-10-01 in Moscow (module notes). Default with
        a ``QuarterData``: the quarter's last day; with frames it is required.
    lapsed_after_days : int, optional
        A client is **active** if the last visit was at most this many days before
        ``asof`` (with 90: exactly 90 days is still active) and **lapsed** from one day
        more (91); see the module notes. Default: the study's
        ``cohorts → lapsed_after_days``.
    rules : None, list of str, or dict of name → :class:`Rule`
        Which cohorts to evaluate: the built-ins (:data:`COHORT_RULES`) and the study's
        rules (default), a subset of them by name, or a registry of your own rules.
    extra : dict, optional
        More cohorts, without editing the package or the study: name → a boolean
        expression over the feature columns (:data:`FEATURE_COLUMNS` and the
        ``n_<code>`` ones; evaluated with :meth:`pandas.DataFrame.eval`), a function
        ``features → bool Series``, or a :class:`Rule`.
    recent_days : int, optional
        The window of the ``*_recent`` features, in days (default: the study's).
    study : Study, path or None
        The rules, the ``n_<code>`` column and the defaults (None: the default study).

    Returns
    -------
    DataFrame
        Indexed by ``client_id``, one bool column per cohort (built-ins first, then the
        study's rules, then ``extra``). ``active``, ``lapsed`` and ``never_attended`` are
        mutually exclusive and together cover every client who had joined by ``asof``;
        other cohorts overlap freely. :func:`cohort_members` gives the clients behind each
        cohort size ``sum()`` (for the report's disclosure audit).

    Examples
    --------
    >>> c = assign(clients, visits, "2026-09-30",
    ...            extra={"big_family": "n_visits >= 20",
    ...                   "came_by_referral": "referred and n_visits > 0"})  # doctest: +SKIP
    >>> c.sum()                                                            # doctest: +SKIP
    >>> assign(data, asof=data.last_day)        # a QuarterData: in its warehouse  # doctest: +SKIP
    """
    st = _study(study)
    lapsed_after_days, recent_days = _windows(st, lapsed_after_days, recent_days)
    chosen = _rules(rules, extra, st)
    data = _quarter_data(clients, visits, "assign")
    if asof is None:
        if data is None:
            raise ParameterError("assign: asof: expected a date such as '2026-09-30' (the "
                                 "day the cohorts are evaluated at)")
        asof = data.last_day
    params = CohortParams(lapsed_after_days=lapsed_after_days, recent_days=recent_days)
    if data is not None and _in_warehouse(data):
        pts = _client_points(data, _day(asof, study=st))
        out = _flags_at(data, None, pts, chosen, params, st).set_axis(
            pd.Index(pts["client_id"].array, name="client_id"))
    else:
        f = features(clients, visits, asof, recent_days=recent_days, study=st)
        out = _evaluate(chosen, f, params)
    out.index.name = "client_id"
    out.attrs["asof"] = str(_day(asof, study=st).date())
    out.attrs["cohorts"] = list(chosen)
    if _members.active():  # report kernels: the cohort sizes (out.sum()) carry their members
        _members.attach(out, "clients", cohort_members(out))
    return out


def _flags_at(clients, visits, pts: pd.DataFrame, chosen: dict, params: CohortParams,
              st) -> pd.DataFrame:
    """The rules ``chosen`` evaluated at the points ``pts`` (aligned with them).

    From a warehouse and with rules that are all :attr:`Rule.per_client`, a batch of
    points at a time: the features of every point at once (tens of columns per client)
    would be the largest frame of a report kernel. Otherwise over every point at once."""
    data = _quarter_data(clients, visits, "cohorts")
    if (data is not None and _in_warehouse(data)
            and all(r.per_client for r in chosen.values())):
        parts = [_evaluate(chosen, f, params) for f in
                 _warehouse_features(data, pts, params.recent_days, None, st)]
        return pd.concat(parts) if len(parts) > 1 else parts[0]
    f = features_at(clients, visits, pts, recent_days=params.recent_days, study=st)
    return _evaluate(chosen, f, params)


def cohort_members(members_frame: pd.DataFrame) -> dict:
    """Who each cohort size counts: {cohort → :class:`cxlab.disclosure.Members`}.

    ``members_frame`` is :func:`assign`'s result (index ``client_id``, one bool column
    per cohort). The cohort-size table a report shows is ``members_frame.sum()`` (a
    Series indexed by cohort); the members of its row ``c`` are the clients whose flag
    ``c`` is True (population ``clients``, ids as in the clients table), so
    ``len(cohort_members(m)[c]) == m.sum()[c]`` for every cohort. ``()`` holds every
    client of the frame (those who had joined by ``asof``).

    For the disclosure audit (:mod:`cxlab.disclosure`): a renderer's kernel registers the
    sizes with these members. :func:`assign` records nothing itself — a Series from
    ``sum()`` has no column to key members by — so the report asks for them here (it
    works with or without a ledger; it costs one pass over the flags)::

        sizes = members.sum().to_frame("n")
        disclosure.attach(sizes, "n", cohorts.cohort_members(members))

    The mapping is a :class:`cxlab._members.Cells` (a dict that pandas can compare and
    copy when it propagates a table's ``attrs``).
    """
    ids = members_frame.index.astype(str).to_numpy()
    out = _members.Cells({(): disclosure.Members("clients", ids)})
    for c in members_frame.columns:
        flag = members_frame[c].fillna(False).to_numpy(dtype=bool)
        out[c] = disclosure.Members("clients", ids[flag])
    return out


def attach(
    responses: pd.DataFrame,
    clients,
    visits: pd.DataFrame | None = None,
    lapsed_after_days: int | None = None,
    rules=None,
    extra: Mapping | None = None,
    recent_days: int | None = None,
    date_col: str = "submitted_at",
    prefix: str = "",
    *,
    study=None,
) -> pd.DataFrame:
    """Responses with cohort columns evaluated as of each response's own day.

    "Lapsed" for a response means no visit in the ``lapsed_after_days`` days before the
    day it was submitted (``days_since_last_visit > lapsed_after_days`` on that day); a
    study rule over ``n_<code>_recent`` counts the visits within ``recent_days`` up to
    that day — the definitions of :func:`assign` applied at ``asof = submitted_at``'s
    calendar day.

    Parameters
    ----------
    responses : DataFrame
        Needs ``client_id`` and ``date_col``. Rows without a client id (answers given
        anonymously) are in no cohort (all False) and counted in
        ``attrs["without_client_id"]``; :func:`compare_cohorts` leaves them out.
    clients, visits : DataFrame
        The clients and visits tables; or a :class:`cxlab.quarter.QuarterData` as
        ``clients`` and ``visits`` left out, to compute the features of the responses'
        clients in its warehouse (:func:`features_at`).
    lapsed_after_days, rules, extra, recent_days, study
        As in :func:`assign`.
    date_col : str
        The response's date column.
    prefix : str
        Put before each cohort column name (when ``responses`` already has such a column).

    Returns
    -------
    DataFrame
        A copy of ``responses`` (same index and order) with one bool column per cohort;
        its ``attrs["cohorts"]`` lists the added columns. Usable directly as
        ``by=`` of grouped tables and of ``cxlab.drivers.key_drivers_by``.

    Notes
    -----
    Vectorised with :func:`features_at` (a few :func:`pandas.merge_asof` calls): no loop
    over responses. A response from a client absent from ``clients`` still gets the
    visit-based cohorts; its ``joined_on``/``source`` features are missing.

    Raises
    ------
    ParameterError
        The responses have no client ids at all (an anonymous survey): cohorts are about
        clients and cannot be placed.
    """
    st = _study(study)
    lapsed_after_days, recent_days = _windows(st, lapsed_after_days, recent_days)
    _quarter_data(clients, visits, "attach")
    _need_client_ids(responses, "attach")
    _need(responses, "responses", [date_col])
    chosen = _rules(rules, extra, st)
    names = [f"{prefix}{n}" for n in chosen]
    clash = [n for n in names if n in responses.columns]
    if clash:
        raise ParameterError(
            f"responses already has column(s) {', '.join(map(repr, clash))}; pass prefix= "
            "(e.g. prefix='cohort_') or drop them first"
        )
    day = _dates(responses[date_col], "responses", date_col, st)
    if day.isna().any():
        pos = int(np.flatnonzero(day.isna().to_numpy())[0])
        raise ParameterError(f"responses: row {pos + 1}, column '{date_col}' is empty; "
                             "every response needs its date to place it in time")
    known = responses["client_id"].notna().to_numpy()
    pts = pd.DataFrame({"client_id": responses["client_id"].to_numpy()[known],
                        "asof": day.to_numpy()[known]})
    params = CohortParams(lapsed_after_days=lapsed_after_days, recent_days=recent_days)
    flags = _flags_at(clients, visits, pts, chosen, params, st)
    out = responses.copy()
    for name, new_name in zip(chosen, names):
        col = np.zeros(len(responses), dtype=bool)
        col[known] = flags[name].to_numpy()
        out[new_name] = col
    out.attrs = dict(responses.attrs)
    out.attrs["cohorts"] = names
    out.attrs["without_client_id"] = int((~known).sum())
    return out


def segment(
    df: pd.DataFrame,
    cohorts: Sequence[str] = ("active", "lapsed", "never_attended"),
    other: str | None = "other",
    name: str = "segment",
) -> pd.Series:
    """One text column from boolean cohort columns: each row's first matching cohort.

    Use it where a tool wants one segment column, e.g.
    ``cxlab.drivers.key_drivers_by(df.assign(status=segment(df)), by="status")``
    (a single cohort column such as ``by="lapsed"`` works too: segments ``True``/``False``).

    Parameters
    ----------
    df : DataFrame
        With the boolean cohort columns (from :func:`attach` or :func:`assign`).
    cohorts : sequence of str
        The cohorts, in order of precedence (a row in two of them gets the first).
    other : str or None
        The label of rows in none of them (``None``: left empty).
    """
    names = list(cohorts)
    _need(df, "data", names)
    out = pd.Series(pd.NA, index=df.index, dtype="string", name=name)
    for c in reversed(names):
        if not pd.api.types.is_bool_dtype(df[c].dtype):
            raise ParameterError(f"column {c!r} has type {df[c].dtype}; expected True/False")
        out = out.mask(df[c].fillna(False).to_numpy(dtype=bool), c)
    if other is not None:
        out = out.fillna(other)
    return out


# ------------------------------------------------------------------------- comparisons

def _cohort_names(responses: pd.DataFrame, cohorts, st=None) -> list[str]:
    if cohorts is None:
        names = [c for c in responses.attrs.get("cohorts", []) if c in responses.columns]
        if not names:
            names = [c for c in _available(st) if c in responses.columns]
        if not names and ("client_id" not in responses.columns
                          or not responses["client_id"].notna().any()):
            _need_client_ids(responses, "compare_cohorts")
        if not names:
            raise ParameterError(
                "compare_cohorts: the responses carry no cohort columns; add them with "
                "cohorts.attach(responses, clients, visits) or pass cohorts=[...] naming "
                "boolean columns"
            )
    else:
        names = [cohorts] if isinstance(cohorts, str) else list(cohorts)
    _need(responses, "responses", names)
    for c in names:
        if not pd.api.types.is_bool_dtype(responses[c].dtype):
            raise ParameterError(f"responses: cohort column {c!r} has type {responses[c].dtype}; "
                                 "expected True/False (one column per cohort, as attach() "
                                 "makes)")
    return names


def _estimate_intervals(df: pd.DataFrame, kind: str, metric: str, masks: Sequence[np.ndarray],
                        level: float, ci: str) -> tuple[np.ndarray, np.ndarray]:
    """The interval of each group's own figure (cxlab.metrics does the statistics):
    clustered by client when clients answer more than once, like the differences."""
    from scipy import stats

    from cxlab import _design
    from cxlab import metrics as mt

    lo = np.full(len(masks), np.nan)
    hi = np.full(len(masks), np.nan)
    for i, m in enumerate(masks):
        if not m.any():
            continue
        sub = df.loc[m]
        if kind == "nps":
            r = mt.nps(sub, ci=ci, level=level, pool_channels=True)
        elif kind == "proportion":
            r = mt.binary_nps(sub, level=level, pool_channels=True, column=metric)
        else:
            v = pd.to_numeric(sub[metric], errors="coerce").to_numpy(dtype=float,
                                                                    na_value=np.nan)
            ok = ~np.isnan(v)
            if ok.sum() < 2:
                continue
            d = _design.design(sub)
            mom = _design.group_moments(np.zeros(len(v), dtype=np.int64), 1, np.nan_to_num(v),
                                        ok, d)
            se = np.sqrt(np.fmax(mom["var"], mom["var_srs"]))[0] if d.codes is not None \
                else np.sqrt(mom["var_srs"][0])
            dof = (mom["clusters"][0] if d.codes is not None else ok.sum()) - 1
            half = stats.t.ppf(0.5 + level / 2, dof) * se
            lo[i], hi[i] = mom["mean"][0] - half, mom["mean"][0] + half
            continue
        lo[i], hi[i] = r.ci_low, r.ci_high
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


@dataclass(frozen=True, repr=False)
class CohortComparison:
    """Cohorts compared on one metric: ``.table`` (one row per [channel ×] cohort).

    Columns of ``table``: ``n, estimate, ci_low, ci_high`` (the cohort's own figure and
    interval), ``ref_n, ref_estimate`` (the reference group), ``diff, se, diff_ci_low,
    diff_ci_high, diff_sci_low, diff_sci_high, stat, p, p_holm, significant, small_n,
    method``. Units: ``unit`` (``points`` for NPS, ``share`` 0…1 for yes/no answers,
    ``rating`` for 1–5 means).

    Two intervals of each difference: ``diff_ci_low/high`` at ``level`` for the row alone,
    and ``diff_sci_low/high``, simultaneous over the ``family`` comparisons Holm's
    ``p_holm`` adjusts for (Bonferroni: each at ``1 − (1 − level) / family``). The chart
    (:meth:`plot`) and the report's cohort table show the simultaneous ones, so a bar or an
    interval clear of zero is always a gap marked significant — an unadjusted interval
    clear of zero is not (with 21 comparisons one in three would be, by chance alone).
    Holm may call a gap significant whose simultaneous interval still touches zero (it is
    the more powerful of the two); never the reverse.

    In a report kernel (``CXLAB_LEDGER`` set) the table's ``attrs`` record the answers
    behind ``n`` and ``ref_n`` (:func:`cxlab.disclosure.lookup`; from
    :func:`cxlab.metrics.compare_groups`).
    """

    table: pd.DataFrame
    metric: str
    unit: str
    reference: str
    level: float
    min_n: int
    pooled: bool = False
    channels: tuple = ()
    family: int = 0

    def summary(self) -> str:
        head = (f"{self.metric} by cohort vs {self.reference} ({self.unit}; "
                f"{self.level:.0%} intervals, Holm-adjusted p; small_n < {self.min_n})")
        if self.pooled:
            head += f" — POOLED over channels {', '.join(self.channels)}"
        lines = [head]
        for key, r in self.table.iterrows():
            name = " · ".join(map(str, key)) if isinstance(key, tuple) else str(key)
            flag = "  [small n]" if r["small_n"] else ""
            lines.append(
                f"  {name:<28} n={int(r['n']):>6}  {r['estimate']:8.2f} "
                f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]  diff {r['diff']:+7.2f} "
                f"[{r['diff_ci_low']:+.2f}, {r['diff_ci_high']:+.2f}]  p_holm {r['p_holm']:.3g}"
                f"{flag}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        def style(row):
            return ["color: #9e9e9e" if row["small_n"] else "" for _ in row]

        styler = self.table.style.apply(style, axis=1).format(precision=3, na_rep="–", escape="html")
        for axis in (0, 1):  # a Styler does not escape unless told: cohort names are data
            styler = styler.format_index(escape="html", axis=axis).format_index_names(escape="html", axis=axis)
        body = styler.to_html()
        return f"<div><b>{html.escape(self.summary().splitlines()[0])}</b>{body}</div>"

    def plot(self, ax=None, lang: str = "en", title: str | None = None):
        """Each cohort's difference from the reference with its simultaneous interval
        (``diff_sci_low/high``: the family Holm's verdict adjusts for; cxlab.plots), in
        the report language ``lang``."""
        from cxlab import i18n, plots

        unit = {"points": "nps", "share": "share", "rating": "csat"}.get(self.unit, self.unit)
        if title is None and self.reference != "rest":
            title = i18n.t("plot.cohort_gaps_ref_title", lang,
                           reference=i18n.label("cohort", self.reference, lang))
        return plots.cohort_gaps(self.table, diff="diff", lo="diff_sci_low", hi="diff_sci_high",
                                 n="n", min_n=self.min_n, kind=None, lang=lang, unit=unit,
                                 title=title, family=self.family, ax=ax)


def compare_cohorts(
    responses: pd.DataFrame,
    cohorts=None,
    metric: str = "nps",
    reference: str = "rest",
    min_n: int = 30,
    level: float = 0.95,
    pool_channels: bool = False,
    ci: str = "score",
    channel_col: str = "channel",
    *,
    study=None,
) -> CohortComparison:
    """Compare a metric between each cohort and a reference group.

    Parameters
    ----------
    responses : DataFrame
        Responses with boolean cohort columns (from :func:`attach`). When they carry
        ``client_id``, rows without one (anonymous answers) are in no cohort and are
        left out of every comparison, the reference group included.
    cohorts : list of str, optional
        The cohort columns; default: those :func:`attach` added (``attrs["cohorts"]``),
        else every built-in or study cohort name present (``study``; None: the default
        study).
    metric : str
        ``"nps"`` (0–10 NPS in points), ``"recommend"`` (binary NPS: share saying yes),
        ``"csat"`` or a factor rating ``f_<id>`` (mean rating on its scale), or any boolean
        column (share; e.g. ``df.assign(csat_top2=df.csat >= 4)`` for the CSI top-2 box).
    reference : str
        ``"rest"``: respondents not in the cohort. Or a cohort name: that cohort's
        respondents **who are not in the compared cohort** — the two groups are kept
        disjoint, so the independent-samples test is valid.
    min_n : int
        Rows where either side has fewer answers are flagged ``small_n``: their p is a
        permutation test's, never significant and outside the Holm family.
    level : float
        Confidence level of all intervals; ``significant`` is ``p_holm < 1 − level``.
    pool_channels : bool
        One survey channel per figure (DOMAIN.md): by default each cohort is compared
        **within each survey channel** (rows indexed by channel × cohort). ``True`` pools
        channels on purpose; the result then records ``pooled=True`` and the channels.
    ci : str
        Interval method of each cohort's own NPS (see :func:`cxlab.metrics.nps`).

    Returns
    -------
    CohortComparison
        ``.table`` indexed by (channel,) cohort; see :class:`CohortComparison`.

    Raises
    ------
    ParameterError
        No cohort columns and no client ids to make them (an anonymous survey), or a
        ``client_id`` column with no id in it.

    Notes
    -----
    The differences, their intervals and tests come from
    :func:`cxlab.metrics.compare_groups` (NPS: z, interval the square-and-add of the two
    score intervals; shares: two-proportion z, Newcombe interval; means: Welch t).
    Responses are the unit of NPS, but a family that answered several surveys is one
    client: variances are clustered by ``client_id`` (cluster-robust; each cohort's own
    interval on its effective answers), so repeat answers do not pass for independent
    evidence. Holm's adjustment runs over the family of distinct hypotheses tested with
    a large-sample test (``in_family``; see :func:`cxlab.metrics.compare_groups`).
    """
    from cxlab import metrics as mt

    names = _cohort_names(responses, cohorts, _study(study))
    if "client_id" in responses.columns:
        _need_client_ids(responses, "compare_cohorts")
        # an anonymous answer is in no cohort, and not in "the rest" either
        responses = responses[responses["client_id"].notna().to_numpy()]
    if not isinstance(min_n, (int, np.integer)) or min_n < 0:
        raise ParameterError(f"min_n={min_n!r}: expected a whole number ≥ 0")
    if reference != "rest":
        if reference not in responses.columns:
            raise ParameterError(f"reference={reference!r}: expected 'rest' or a cohort "
                                 f"column ({', '.join(names)})")
        _cohort_names(responses, [reference])
    df = responses
    stratified = channel_col in df.columns and not pool_channels
    if reference == "rest":
        groups = {c: df[c] for c in names}
        table = mt.compare_groups(df, groups=groups, reference=None, metric=metric,
                                  min_n=min_n, level=level, pool_channels=pool_channels,
                                  channel_col=channel_col)
        unit = table.attrs["unit"]
    else:
        parts = []
        ref = df[reference].to_numpy(dtype=bool)
        for c in names:
            if c == reference:
                continue
            m = df[c].to_numpy(dtype=bool)
            part = mt.compare_groups(df, groups={c: m, reference: ref & ~m}, reference=reference,
                                     metric=metric, min_n=min_n, level=level,
                                     pool_channels=pool_channels, channel_col=channel_col)
            parts.append(part)
        if not parts:
            raise ParameterError("compare_cohorts: no cohort left to compare with the "
                                 f"reference {reference!r}")
        unit = parts[0].attrs["unit"]
        # the members each part recorded (report kernels only), merged: the rows of the
        # parts are distinct (one compared cohort each). concat keeps attrs only when all
        # the parts' are equal, so they are taken off first and put back together
        recorded = [_members.strip(part) for part in parts]
        table = pd.concat(parts)
        for col in {c for rec in recorded for c in rec}:
            merged = {k: m for rec in recorded for k, m in rec.get(col, {}).items() if k != ()}
            _members.attach(table, col, merged)
        mt.holm_family(table, level)
    # simultaneous intervals over the same family Holm adjusts: Bonferroni, each interval
    # at 1 − α/m for the m tested comparisons. A bar clear of zero is then a gap Holm
    # calls significant too (Holm rejects whatever Bonferroni rejects), so a chart of
    # these bars cannot contradict the verdict the way unadjusted 95% bars do
    family = int(table["in_family"].sum())
    sim_level = 1 - (1 - level) / max(family, 1)
    if family > 1:
        def at(lvl, groups_):
            part = mt.compare_groups(df, groups=groups_, reference=None if reference == "rest"
                                     else reference, metric=metric, min_n=min_n, level=lvl,
                                     pool_channels=pool_channels, channel_col=channel_col)
            part.attrs.clear()  # members are recorded on `table` already
            return part

        if reference == "rest":
            wide = at(sim_level, {c: df[c] for c in names})
        else:
            ref_ = df[reference].to_numpy(dtype=bool)
            wide = pd.concat([at(sim_level, {c: df[c].to_numpy(dtype=bool),
                                             reference: ref_ & ~df[c].to_numpy(dtype=bool)})
                              for c in names if c != reference])
        table["diff_sci_low"] = wide["ci_low"].to_numpy()
        table["diff_sci_high"] = wide["ci_high"].to_numpy()
    else:  # one comparison (or none): nothing to adjust for
        table["diff_sci_low"], table["diff_sci_high"] = table["ci_low"], table["ci_high"]
    table = table.rename(columns={"ci_low": "diff_ci_low", "ci_high": "diff_ci_high"})
    if isinstance(table.index, pd.MultiIndex):
        table.index = table.index.set_names("cohort", level=-1)
    else:
        table.index = table.index.set_names("cohort")
    kind = {"points": "nps", "share": "proportion", "rating": "mean"}[unit]

    # each cohort's own figure with its interval, on the same rows the test used
    if kind == "nps":
        valid = pd.to_numeric(df["nps"], errors="coerce").notna().to_numpy()
    else:
        valid = df[metric].notna().to_numpy()
    masks = []
    for key in table.index:
        stratum, cohort = (key if isinstance(key, tuple) else (None, key))
        m = df[cohort].to_numpy(dtype=bool) & valid
        if stratified and stratum is not None:
            m &= (df[channel_col].astype("string") == str(stratum)).fillna(False).to_numpy()
        masks.append(m)
    lo, hi = _estimate_intervals(df, kind, metric, masks, level, ci)
    table.insert(table.columns.get_loc("estimate") + 1, "ci_low", lo)
    table.insert(table.columns.get_loc("ci_low") + 1, "ci_high", hi)
    order = ["n", "estimate", "ci_low", "ci_high", "ref_n", "ref_estimate", "diff", "se",
             "diff_ci_low", "diff_ci_high", "diff_sci_low", "diff_sci_high", "stat", "p",
             "p_holm", "significant", "small_n", "in_family", "method", "reference"]
    table = table[[c for c in order if c in table.columns]]
    channels = ()
    if channel_col in df.columns:
        channels = tuple(sorted(map(str, df.loc[valid, channel_col].dropna().unique())))
    pooled = bool(pool_channels and len(channels) > 1)
    table.attrs.update(metric=metric, unit=unit, level=level, min_n=min_n,
                       reference=reference, pooled=pooled, family=family,
                       simultaneous_level=sim_level)
    return CohortComparison(table, metric, unit, reference, level, int(min_n), pooled, channels,
                            family)


# ---------------------------------------------------------------- stated vs actual promotion

_CLASSES = ("promoter", "passive", "detractor")


@dataclass(frozen=True, repr=False)
class PromotionResult:
    """Stated vs actual promotion: do promoters really bring new families?

    ``table`` — indexed by (behaviour, nps_class): ``n`` respondents, ``doers`` (at least
    one referral / review / mention), ``share`` with Wilson ``ci_low, ci_high``, ``count``
    (referrals in all), ``per_100`` respondents with an exact Poisson interval
    ``per_100_ci_low, per_100_ci_high``, ``small_n``.
    ``tests`` — per behaviour, promoters against detractors, each figure with a
    **two-sided** p-value and the two-sided ``level`` interval of the same method, so
    that ``p < 1 − level`` exactly when the interval leaves out "no difference":

    * ``share_diff`` (promoters' share − detractors'), ``share_diff_ci_low`` /
      ``share_diff_ci_high`` and ``share_p``: Agresti–Caffo (Wald on one added success
      and failure per class; interval clipped to −1…1);
    * ``rate_ratio`` (referrals per promoter ÷ per detractor; inf when the detractors
      have none), ``rate_ratio_ci_low`` / ``rate_ratio_ci_high`` and ``rate_p``: exact
      conditional (Clopper–Pearson on the promoters' part of all referrals, mapped to
      the ratio; p = twice the smaller one-sided exact p, the test that interval
      inverts).

    Why two-sided: the question is directional (do promoters bring *more* new
    families?), but the report shows the interval, and a family that says "I recommend
    you" and brings no one — or promoters bringing *fewer* than detractors — is a
    finding the report must be able to state too. "Promoters bring more" is supported
    when the interval lies above the null (``share_diff_ci_low > 0``, equivalently
    ``share_p < 1 − level`` and ``share_diff > 0``): a one-sided test at
    ``(1 − level) / 2``, on the safe side. A ``p`` alone does not give the direction.
    ``tests.attrs``: ``alternative`` ("two-sided"), ``level``, ``alpha``
    (``1 − level``), ``share_method``, ``rate_method``.
    ``members`` — in a report kernel (:mod:`cxlab.disclosure`, ``CXLAB_LEDGER`` set): the
    clients counted by ``n_respondents`` (population ``clients``; each respondent is one
    family, classed once); None otherwise. The table's ``n`` (the class's respondents),
    ``doers`` and, for referrals, ``count`` (the families who joined naming one of them)
    are recorded in its ``attrs`` likewise (:func:`cxlab.disclosure.lookup`); the
    ``count`` of another behaviour (reviews, mentions) counts events and records none.
    ``period`` — the first and last quarter of the 0–10 answers the respondents were
    classed from (``("2024Q4", "2026Q3")``): the figures cover all of them, not one
    quarter, and the report says so.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    n_respondents: int
    count_window: str
    level: float
    min_n: int
    channels: tuple = ()
    class_by: str = "first"
    members: disclosure.Members | None = field(default=None, compare=False)
    period: tuple = ()

    def summary(self) -> str:
        lines = [f"Stated vs actual promotion: {self.n_respondents} respondents by their "
                 f"{self.class_by} NPS class; behaviour counted {self.count_window}; "
                 f"{self.level:.0%} intervals with two-sided p-values"]
        for (beh, cls), r in self.table.iterrows():
            flag = "  [small n]" if r["small_n"] else ""
            lines.append(f"  {beh:<12} {cls:<10} n={int(r['n']):>5}  share {r['share']:.1%} "
                         f"[{r['ci_low']:.1%}, {r['ci_high']:.1%}]  per 100: {r['per_100']:.1f} "
                         f"[{r['per_100_ci_low']:.1f}, {r['per_100_ci_high']:.1f}]{flag}")
        for beh, r in self.tests.iterrows():
            lines.append(f"  {beh}: promoters − detractors {r['share_diff']:+.1%} "
                         f"[{r['share_diff_ci_low']:+.1%}, {r['share_diff_ci_high']:+.1%}], "
                         f"p = {r['share_p']:.3g}; rate ratio {r['rate_ratio']:.2f} "
                         f"[{r['rate_ratio_ci_low']:.2f}, {r['rate_ratio_ci_high']:.2f}], "
                         f"p = {r['rate_p']:.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        return (f"<div><b>{html.escape(self.summary().splitlines()[0])}</b>"
                f"{self.table.to_html(float_format=lambda v: f'{v:.3g}', na_rep='–')}"
                f"{self.tests.to_html(float_format=lambda v: f'{v:.3g}', na_rep='–')}</div>")

    def plot(self, behaviour: str = "referral", ax=None, lang: str = "en",
             title: str | None = None):
        """Share of each NPS class who did ``behaviour``, with Wilson intervals, in the
        report language ``lang`` (percent axis; the title names the answers' period)."""
        from cxlab import i18n, plots

        t = self.table.xs(behaviour, level="behaviour")
        period = "–".join(dict.fromkeys(self.period)) if self.period else ""
        if behaviour == "referral":
            xlabel = i18n.t("plot.promotion_axis", lang)
            title = title or i18n.t("plot.promotion_title", lang, period=period)
        else:  # a team's own behaviour column: named as the study's clients table names it
            xlabel = f"{behaviour}, %"
            title = title or f"{behaviour} ({period})"
        return plots.estimates(t, "share", "ci_low", "ci_high", n="n", min_n=self.min_n,
                               kind="nps_group", lang=lang, xlabel=xlabel, title=title,
                               scale=100, suffix="%", digits=0, ax=ax)


def promotion(
    responses: pd.DataFrame,
    clients,
    behaviour_cols: Sequence[str] | None = None,
    count_window: str = "after",
    class_by: str = "first",
    level: float = 0.95,
    min_n: int = 30,
    channel: str | None = None,
    date_col: str = "submitted_at",
    *,
    study=None,
) -> PromotionResult:
    """Stated vs actual promotion: the share of promoters, passives and detractors who
    brought at least one new family (``clients.referred_by``), and referrals per 100.

    Parameters
    ----------
    responses : DataFrame
        ``client_id``, ``nps`` (0–10), ``date_col``; each respondent is classed by one
        0–10 answer (``class_by``); binary yes/no answers are not classed.
    clients : DataFrame or QuarterData
        ``client_id``, ``referred_by``, ``joined_on``; plus any ``behaviour_cols``. A
        :class:`cxlab.quarter.QuarterData`: only the clients it needs are read from its
        warehouse — the respondents and the families who name one of them
        (:func:`cxlab.aggregates.clients_of`) — with the same result as from
        ``data.clients``.
    behaviour_cols : list of str, optional
        Other evidence of real promotion kept per client in ``clients`` — e.g. counts of
        reviews on Yandex Maps or social-network mentions (numbers ≥ 0 or yes/no). Each
        is counted like referrals: the share who did it at least once, and per 100.
    count_window : {"after", "overall"}
        ``"after"`` (default): only families who joined on or after the day of the answer
        that set the class — "did the stated intention come true?"; a referral made
        before the answer cannot be caused by the attitude the answer states.
        ``"overall"``: every family that named the respondent, whenever it joined.
        ``behaviour_cols`` have no dates and are always counted overall.
    class_by : {"first", "latest"}
        Which 0–10 answer classes the respondent. ``"first"`` (default) gives the longest
        follow-up window for ``"after"`` and so the fairest prediction test; ``"latest"``
        is the family's current stance (with ``"after"`` the window is short, with
        ``"overall"`` referrals may predate the answer).
    level : float
        Confidence level.
    min_n : int
        Classes with fewer respondents are flagged ``small_n``.
    channel : str, optional
        Use answers from one survey channel only. By default all channels are used and
        listed in ``channels``: the class of a person is not a pooled NPS figure, but
        phone answers run higher, so compare within a channel when it matters.
    study : Study, path or None
        Whose time zone zone-aware answer and join dates are converted to before their
        day is taken (None: the default study).

    Returns
    -------
    PromotionResult
        ``tests`` carries two-sided p-values with the matching two-sided intervals
        (:class:`PromotionResult`): read the direction from the interval.
    """
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        test_proportions_2indep,
    )
    from statsmodels.stats.rates import confint_poisson, test_poisson_2indep

    from cxlab import metrics as mt

    _need_client_ids(responses, "promotion")
    _need(responses, "responses", ["nps", date_col])
    from cxlab.quarter import QuarterData

    if isinstance(clients, QuarterData):
        clients = _respondents_clients(clients, responses)
    _need(clients, "clients", ["client_id", "referred_by", "joined_on"])
    behaviour_cols = list(behaviour_cols or [])
    _need(clients, "clients", behaviour_cols)
    if count_window not in ("overall", "after"):
        raise ParameterError(f"count_window={count_window!r}: expected 'overall' or 'after'")
    if class_by not in ("latest", "first"):
        raise ParameterError(f"class_by={class_by!r}: expected 'latest' or 'first'")
    r = responses
    if channel is not None:
        _need(r, "responses", ["channel"])
        r = r[(r["channel"].astype("string") == channel).fillna(False).to_numpy()]
    scores = pd.to_numeric(r["nps"], errors="coerce")
    r = pd.DataFrame({"client_id": _ids(r["client_id"]).to_numpy(),
                      "when": _dates(r[date_col], "responses", date_col, study).to_numpy(),
                      "ts": _timestamps(r[date_col], "responses", date_col, study).to_numpy(),
                      "nps": scores.to_numpy(),
                      "channel": (r["channel"].astype("string").to_numpy() if "channel" in r.columns
                                  else pd.array([pd.NA] * len(r), dtype="string"))})
    r = r[r["nps"].notna() & r["client_id"].notna() & r["when"].notna()]
    if r.empty:
        raise ParameterError("promotion: no 0–10 answers to class respondents by"
                             + (f" in channel {channel!r}" if channel else ""))
    ordered = r.sort_values(["client_id", "ts"], kind="stable").groupby("client_id")
    classed = ordered.tail(1) if class_by == "latest" else ordered.head(1)
    classed = classed.set_index("client_id")
    classed["nps_class"] = mt.nps_category(classed["nps"])
    channels = tuple(sorted(map(str, r["channel"].dropna().unique())))

    # referrals: families who named the respondent
    ref = pd.DataFrame({
        "referrer": clients["referred_by"].astype("string").str.strip().to_numpy(),
        "joined_on": _dates(clients["joined_on"], "clients", "joined_on", study).to_numpy(),
        "referred": _ids(clients["client_id"]).to_numpy(),  # the family that joined
    })
    ref = ref[ref["referrer"].notna() & (ref["referrer"] != "")]
    if count_window == "after":
        ref = ref.merge(classed[["when"]], left_on="referrer", right_index=True, how="inner")
        ref = ref[ref["joined_on"] >= ref["when"]]
    counts = {"referral": ref.groupby("referrer").size().reindex(classed.index, fill_value=0)}
    cl = clients.drop_duplicates("client_id")
    cl = cl.set_index(_ids(cl["client_id"]))
    for col in behaviour_cols:
        v = cl[col]
        if pd.api.types.is_bool_dtype(v.dtype):
            v = v.astype("boolean").astype("Int64")
        v = pd.to_numeric(v, errors="coerce")
        if (v.dropna() < 0).any() or (v.dropna() != np.floor(v.dropna())).any():
            raise ParameterError(f"clients: column {col!r} must hold counts (whole numbers ≥ 0) "
                                 "or yes/no")
        counts[col] = v.reindex(classed.index).fillna(0).astype("int64")

    rows, tests = [], []
    for beh, cnt in counts.items():
        for cls in _CLASSES:
            m = (classed["nps_class"] == cls).fillna(False).to_numpy()
            c = cnt.to_numpy()[m]
            n, doers, total = int(m.sum()), int((c > 0).sum()), int(c.sum())
            lo, hi = mt.wilson_interval(doers, n, level)
            if n:
                plo, phi = confint_poisson(total, n, method="exact-c", alpha=1 - level)
            else:
                plo = phi = np.nan
            rows.append({"behaviour": beh, "nps_class": cls, "n": n, "doers": doers,
                         "share": doers / n if n else np.nan, "ci_low": float(lo),
                         "ci_high": float(hi), "count": total,
                         "per_100": 100 * total / n if n else np.nan,
                         "per_100_ci_low": 100 * float(plo), "per_100_ci_high": 100 * float(phi),
                         "small_n": n < min_n})
        by = {x["nps_class"]: x for x in rows[-3:]}
        p, d = by["promoter"], by["detractor"]
        t = {"behaviour": beh, "promoter_share": p["share"], "detractor_share": d["share"]}
        if p["n"] and d["n"]:
            # Two-sided p and two-sided interval from one method each, so p < 1 − level
            # exactly when the interval leaves out the null (see PromotionResult).
            # Shares: Agresti–Caffo — the Wald test and interval on one added success
            # and failure per group share their z and variance, and stay defined at
            # 0 % and 100 % (statsmodels' score interval fails there).
            t["share_diff"] = p["share"] - d["share"]
            with warnings.catch_warnings():  # statsmodels also forms p1 / p2: 0 / 0 …
                warnings.simplefilter("ignore", RuntimeWarning)
                lo, hi = confint_proportions_2indep(
                    p["doers"], p["n"], d["doers"], d["n"], method="agresti-caffo",
                    compare="diff", alpha=1 - level)
                t["share_p"] = float(test_proportions_2indep(
                    p["doers"], p["n"], d["doers"], d["n"], method="agresti-caffo",
                    compare="diff", alternative="two-sided").pvalue)
            # clipped to the range of a difference of shares; 0 stays inside or outside
            t["share_diff_ci_low"] = float(max(lo, -1.0))
            t["share_diff_ci_high"] = float(min(hi, 1.0))
            # Rates: exact conditional — given the total, the promoters' count is
            # binomial with π = n_p·r / (n_p·r + n_d). Clopper–Pearson on π mapped to
            # r, and the central p (twice the smaller one-sided exact p) it inverts.
            # statsmodels' score interval collapses to a point when a count is 0 and
            # its two-sided exact-cond p is minlike, which no interval of it inverts.
            k = p["count"] + d["count"]
            t["rate_ratio"] = (np.nan if k == 0 else np.inf if d["count"] == 0
                               else (p["count"] / p["n"]) / (d["count"] / d["n"]))
            if k:
                pl, ph = proportion_confint(p["count"], k, alpha=1 - level, method="beta")
                scale = d["n"] / p["n"]
                t["rate_ratio_ci_low"] = float(pl / (1 - pl) * scale)
                t["rate_ratio_ci_high"] = float(ph / (1 - ph) * scale) if ph < 1 else np.inf
                with warnings.catch_warnings():  # … and rate1 / rate2: x / 0
                    warnings.simplefilter("ignore", RuntimeWarning)
                    one_sided = [test_poisson_2indep(p["count"], p["n"], d["count"], d["n"],
                                                     method="exact-cond", compare="ratio",
                                                     alternative=alt).pvalue
                                 for alt in ("larger", "smaller")]
                t["rate_p"] = float(min(1.0, 2 * min(one_sided)))
            else:  # no referrals in either class: nothing to compare
                t["rate_ratio_ci_low"] = t["rate_ratio_ci_high"] = t["rate_p"] = np.nan
        tests.append(t)
    table = pd.DataFrame(rows).set_index(["behaviour", "nps_class"])
    tests_df = pd.DataFrame(tests).set_index("behaviour")
    tests_df.attrs.update(alternative="two-sided", level=level, alpha=round(1 - level, 12),
                          share_method="agresti-caffo", rate_method="exact-cond (central)")
    everyone = None
    if _members.active():  # report kernels only (cxlab.disclosure)
        # n counts respondents — families, one row of `classed` each — so the members are
        # clients (their ids as in the clients table), not answers; doers likewise. The
        # referral count is of families too (those who joined naming a respondent of the
        # class); other behaviours count events (reviews, mentions) and record none
        who = classed.index.astype(str).to_numpy()
        cls = classed["nps_class"].to_numpy(dtype=object, na_value=None)
        referred = ref["referred"].astype(str).to_numpy()
        # each referral's referrer's class, by one hash lookup (object ids: pandas'
        # Arrow-string isin converts every value to a Python scalar — minutes at 10⁶)
        ref_cls = (pd.Series(cls, index=pd.Index(who, dtype=object))
                   .reindex(pd.Index(ref["referrer"].astype(str).to_numpy(), dtype=object))
                   .to_numpy(dtype=object))
        n_of, doers_of, count_of = {}, {}, {}
        for key in table.index:
            beh, c = key
            m = cls == c
            n_of[key] = disclosure.Members("clients", who[m])
            doers_of[key] = disclosure.Members("clients", who[m & (counts[beh].to_numpy() > 0)])
            if beh == "referral":
                count_of[key] = disclosure.Members("clients", referred[ref_cls == c])
        _members.attach(table, "n", n_of)
        _members.attach(table, "doers", doers_of)
        _members.attach(table, "count", count_of)
        everyone = disclosure.Members("clients", who)
    quarters = pd.PeriodIndex(pd.to_datetime(r["when"]), freq="Q")
    period = (str(quarters.min()), str(quarters.max()))
    return PromotionResult(table, tests_df, int(len(classed)), count_window, level, int(min_n),
                           channels, class_by, everyone, period)


def _respondents_clients(data, responses: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``data.clients`` :func:`promotion` reads for ``responses``: the
    respondents' own (their behaviour columns) and those of the families who name one of
    them in ``referred_by`` (the referrals), from the warehouse."""
    from cxlab import aggregates

    if "clients" not in data.holdings.rows:
        return data.clients
    stored = aggregates.table_columns(data.warehouse, "clients") or []
    personal = set(schema.resolve_table("clients", data.study).personal_columns)
    ids = _ids(responses["client_id"]).dropna().unique()
    return aggregates.clients_of(data.warehouse, ids, upto=data.end, referred=True,
                                 columns=[c for c in stored if c not in personal])


# ----------------------------------------------------------------------- follow-up list

#: Priorities of the follow-up list (1 = call first) and what puts a family there.
FOLLOWUP_PRIORITIES: dict[int, tuple[str, str, str]] = {
    1: ("detractor_complaint", "detractor with a recent complaint", "критик с недавней жалобой"),
    2: ("detractor", "detractor", "критик"),
    3: ("lapsed_valuable", "lapsed, many visits", "давно не был, постоянный клиент"),
    4: ("lapsed", "lapsed", "давно не был"),
    5: ("never_attended", "interested, never came", "интересовался, не пришёл"),
}

def _contact_columns() -> tuple[str, ...]:
    """How to reach a client: the clients table's personal columns (cxlab.schema) but the
    child's name — the call is to the client, and the list carries no more than it needs."""
    from cxlab.schema import TABLES

    return tuple(c for c in TABLES["clients"].personal_columns if c != "child_name")


#: The contact columns the follow-up list carries (``parent_name``, the phone number, the
#: e-mail address: whatever the schema marks personal in the clients table).
CONTACT_COLUMNS = _contact_columns()

#: Columns of the follow-up list, in order.
FOLLOWUP_COLUMNS = [
    "priority", "priority_label", "client_id", *CONTACT_COLUMNS, "reason",
    "reason_codes", "last_nps", "last_nps_on", "last_visit", "days_since_last_visit",
    "n_visits", "joined_on",
]


def _label(kind: str, code, lang: str, st=None) -> str:
    """The study's label of a code, else the i18n catalogue's, else the code itself."""
    own = st.label(kind, code, lang) if st is not None else None
    if own is not None:
        return own
    try:
        from cxlab import i18n

        return i18n.label(kind, code, lang)
    except Exception:  # the catalogue is optional here: fall back to the code itself
        return str(code)


def _fmt_day(ts, lang: str) -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%d.%m.%Y") if lang == "ru" else ts.strftime("%Y-%m-%d")


def followups(
    responses: pd.DataFrame,
    clients: pd.DataFrame,
    visits: pd.DataFrame,
    asof,
    detractor_days: int = 14,
    lapsed_after_days: int | None = None,
    complaints: pd.DataFrame | None = None,
    complaint_days: int = 30,
    valuable_visits: int = 10,
    lapsed_within_days: int | None = 365,
    interested_days: int | None = 60,
    lang: str | None = None,
    *,
    study=None,
) -> pd.DataFrame:
    """The internal call-back list for the client department (closed loop).

    **Personal data**: the list carries names, phones and e-mails; it is for internal use
    by the client department, never for ``reports/`` (the ``cxlab followups`` command
    refuses to write there).

    Who is on it, as of ``asof`` (nothing after ``asof`` is used), one row per family:

    ======== =============================================================================
    priority rule
    ======== =============================================================================
    1        **detractor with a recent complaint**: a priority-2 family that also has a
             complaint received within ``complaint_days`` days, or still unresolved
    2        **detractor**: the family's latest answer (0–10 or yes/no) on or before
             ``asof`` is a detractor (0–6, or "would not recommend") and was given within
             ``detractor_days`` days (``days_ago <= detractor_days``)
    3        **lapsed, valuable**: lapsed as :func:`assign` defines it
             (``days_since_last_visit > lapsed_after_days``), last visit at most
             ``lapsed_within_days`` days ago (``None``: however long ago), and at least
             ``valuable_visits`` visits
    4        **lapsed**: the same, fewer visits
    5        **interested, never came**: joined (registered interest) within
             ``interested_days`` days and no visit yet (``None`` leaves them out)
    ======== =============================================================================

    A family meeting several rules appears once, at its most urgent priority, with every
    reason listed. Within a priority the most recent answer comes first (1–2), then the
    most visits (3–4), then the most recent registration (5).

    Parameters
    ----------
    responses, clients, visits : DataFrame
        The tables; ``responses`` must name their clients (``client_id``); ``clients``
        should carry the contact columns (:data:`CONTACT_COLUMNS`, left empty when
        absent).
    asof : date-like
        The day the list is made for (a zone-aware one: its day in the study's time zone).
    lapsed_after_days : int, optional
        Default: the study's ``cohorts → lapsed_after_days``.
    complaints : DataFrame, optional
        ``client_id``, ``received_at`` (and ``resolved_at``, ``category``,
        ``importance``) — for priority 1.
    lang : {"ru", "en"}, optional
        Language of ``reason`` and ``priority_label`` (default: the study's language);
        ``reason_codes`` are fixed English codes (``detractor_complaint; detractor;
        lapsed_valuable; lapsed; never_attended``). Survey, channel and importance codes
        are shown with the study's labels.
    study : Study, path or None
        Labels, language and lapsed window (None: the default study).

    Returns
    -------
    DataFrame
        Columns :data:`FOLLOWUP_COLUMNS`, sorted by priority. ``reason`` reads e.g.
        ``"detractor: NPS 3 on 2026-09-20 (<survey label>, <channel label>)"`` or
        ``"lapsed: last visit 2026-05-01, 152 days ago, 23 visits"``.

    Raises
    ------
    ParameterError
        The responses have no client ids (an anonymous survey): nobody can be called
        back from them.
    """
    st = _study(study)
    lang = st.language if lang is None else lang
    if lang not in ("ru", "en"):
        raise ParameterError(f"lang={lang!r}: expected 'ru' or 'en'")
    if lapsed_after_days is None:
        lapsed_after_days = st.lapsed_after_days
    for name, v in (("detractor_days", detractor_days), ("lapsed_after_days", lapsed_after_days),
                    ("complaint_days", complaint_days), ("valuable_visits", valuable_visits)):
        _check_positive(name, v)
    for name, v in (("lapsed_within_days", lapsed_within_days),
                    ("interested_days", interested_days)):
        if v is not None:
            _check_positive(name, v)
    day = _day(asof, study=st)
    _need_client_ids(responses, "followups")
    _need(responses, "responses", ["submitted_at"])
    if "nps" not in responses.columns and "recommend" not in responses.columns:
        raise ParameterError("responses: needs a column 'nps' (0–10) or 'recommend' (yes/no)")

    f = features(clients, visits, day, study=st)
    cohort = _evaluate({n: COHORT_RULES[n] for n in ("lapsed", "never_attended")}, f,
                       CohortParams(lapsed_after_days=lapsed_after_days))
    en = lang == "en"

    # ---- latest answer per family on or before asof
    r = pd.DataFrame({
        "client_id": _ids(responses["client_id"]).to_numpy(),
        "when": _dates(responses["submitted_at"], "responses", "submitted_at", st).to_numpy(),
        "ts": _timestamps(responses["submitted_at"], "responses", "submitted_at",
                          st).to_numpy(),
        "nps": (pd.to_numeric(responses["nps"], errors="coerce").to_numpy()
                if "nps" in responses.columns else np.nan),
        "recommend": (responses["recommend"].astype("boolean").to_numpy()
                      if "recommend" in responses.columns
                      else pd.array([pd.NA] * len(responses), dtype="boolean")),
        "survey": (responses["survey"].astype("string").to_numpy() if "survey" in responses.columns
                   else pd.array([pd.NA] * len(responses), dtype="string")),
        "channel": (responses["channel"].astype("string").to_numpy()
                    if "channel" in responses.columns
                    else pd.array([pd.NA] * len(responses), dtype="string")),
    })
    r = r[(r["when"] <= day) & (r["nps"].notna() | r["recommend"].notna())]
    r = r.sort_values(["client_id", "ts"], kind="stable")
    latest = r.groupby("client_id").tail(1).set_index("client_id")
    last_nps = r[r["nps"].notna()].groupby("client_id").tail(1).set_index("client_id")
    days_ago = (day - latest["when"]).dt.days
    said_no = latest["recommend"].eq(False).fillna(False)
    is_detractor = (latest["nps"] <= 6) | (latest["nps"].isna() & said_no)
    det = latest[is_detractor.fillna(False).to_numpy() & (days_ago <= detractor_days).to_numpy()]
    det = det[det.index.isin(f.index)]  # families known to the clients table by asof

    # ---- recent or open complaints
    complained: dict[str, str] = {}
    if complaints is not None:
        _need(complaints, "complaints", ["client_id", "received_at"])
        cp = pd.DataFrame({
            "client_id": _ids(complaints["client_id"]).to_numpy(),
            "received": _dates(complaints["received_at"], "complaints", "received_at",
                               st).to_numpy(),
        })
        resolved = (_dates(complaints["resolved_at"], "complaints", "resolved_at", st)
                    if "resolved_at" in complaints.columns
                    else pd.Series(pd.NaT, index=complaints.index, dtype="datetime64[ns]"))
        cp["open"] = (resolved.isna() | (resolved > day)).to_numpy()
        cp["category"] = (complaints["category"].astype("string").to_numpy()
                          if "category" in complaints.columns else pd.NA)
        cp["importance"] = (complaints["importance"].astype("string").to_numpy()
                            if "importance" in complaints.columns else pd.NA)
        cp = cp[cp["client_id"].notna() & (cp["received"] <= day)]
        cp = cp[((day - cp["received"]).dt.days <= complaint_days) | cp["open"]]
        for cid, g in cp.sort_values("received").groupby("client_id"):
            last = g.iloc[-1]
            what = [] if pd.isna(last["category"]) else [f"«{last['category']}»"]
            if not pd.isna(last["importance"]):
                what.append(_label("importance", last["importance"], lang, st).lower())
            if last["open"]:
                what.append("not resolved" if en else "не решена")
            complained[cid] = ((f"complaint on {_fmt_day(last['received'], lang)}" if en
                                else f"жалоба от {_fmt_day(last['received'], lang)}")
                               + (f" ({', '.join(what)})" if what else ""))

    # ---- one frame of (client, priority, code, reason, order) per rule, vectorised
    fmt = "%Y-%m-%d" if en else "%d.%m.%Y"

    def labels(kind: str, values: pd.Series) -> pd.Series:
        uniq = {v: _label(kind, v, lang, st) for v in values.dropna().unique()}
        return values.map(uniq).astype("string")

    parts = []
    if len(det):
        score = ("NPS " + det["nps"].astype("Int64").astype("string")).fillna(
            "would not recommend (yes/no)" if en else "не порекомендовал бы (да/нет)")
        ctx = pd.concat([labels("survey", det["survey"]), labels("channel", det["channel"])],
                        axis=1)
        ctx = ctx.apply(lambda r: ", ".join(x for x in r if pd.notna(x)), axis=1)
        ctx = (" (" + ctx + ")").where(ctx != "", "")
        when = det["when"].dt.strftime(fmt)
        text = ("detractor: " + score + " on " + when if en
                else "критик: " + score + ", " + when) + ctx
        comp = pd.Series(det.index.map(complained), index=det.index, dtype="string")
        has = comp.notna()
        parts.append(pd.DataFrame({
            "client_id": det.index, "priority": np.where(has, 1, 2),
            "code": np.where(has, "detractor_complaint", "detractor"),
            "reason": text.where(~has, text + "; " + comp),
            "key": -det["ts"].astype("int64"),  # the most recent answer first
        }))
    lap = f[cohort["lapsed"].to_numpy()]
    if lapsed_within_days is not None:
        lap = lap[lap["days_since_last_visit"] <= lapsed_within_days]
    if len(lap):
        n = lap["n_visits"].astype("int64")
        d = lap["days_since_last_visit"].astype("int64").astype("string")
        when = lap["last_visit"].dt.strftime(fmt)
        text = ("lapsed: last visit " + when + ", " + d + " days ago, " + n.astype("string")
                + " visits" if en else
                "давно не был: последний визит " + when + ", " + d + " дн. назад, визитов: "
                + n.astype("string"))
        valuable = (n >= valuable_visits).to_numpy()
        parts.append(pd.DataFrame({
            "client_id": lap.index, "priority": np.where(valuable, 3, 4),
            "code": np.where(valuable, "lapsed_valuable", "lapsed"), "reason": text,
            "key": -n,  # the most visits first
        }))
    if interested_days is not None:
        fresh = (f["days_since_joined"] <= interested_days).to_numpy()
        new = f[cohort["never_attended"].to_numpy() & fresh]
        if len(new):
            when = new["joined_on"].dt.strftime(fmt)
            parts.append(pd.DataFrame({
                "client_id": new.index, "priority": 5, "code": "never_attended",
                "reason": ("interested, never came: registered " + when if en
                           else "интересовался, не пришёл: обращение " + when),
                "key": -new["joined_on"].astype("int64"),  # the most recent first
            }))
    if parts:
        e = pd.concat(parts, ignore_index=True)
        e["client_id"] = e["client_id"].astype("string")
        e = e.sort_values(["client_id", "priority"], kind="stable")
        g = e.groupby("client_id", sort=False)
        top = g.head(1).set_index("client_id")
        top["reason"] = g["reason"].agg("; ".join)
        top["reason_codes"] = g["code"].agg("; ".join)
    else:
        top = pd.DataFrame(columns=["priority", "key", "reason", "reason_codes"],
                           index=pd.Index([], dtype="string", name="client_id"))

    cl = clients.drop_duplicates("client_id")
    cl = cl.set_index(_ids(cl["client_id"]))
    ids = top.index
    fr = f.reindex(ids)
    out = pd.DataFrame({
        "priority": top["priority"].astype("int64").to_numpy(),
        "priority_label": [FOLLOWUP_PRIORITIES[int(p)][1 if en else 2] for p in top["priority"]],
        "client_id": ids.to_numpy(),
        **{c: (cl[c].reindex(ids).astype("string").to_numpy() if c in cl.columns
               else pd.array([pd.NA] * len(ids), dtype="string"))
           for c in CONTACT_COLUMNS},
        "reason": top["reason"].to_numpy(), "reason_codes": top["reason_codes"].to_numpy(),
        "last_nps": last_nps["nps"].reindex(ids).to_numpy(),
        "last_nps_on": last_nps["when"].reindex(ids).to_numpy(),
        "last_visit": fr["last_visit"].to_numpy(),
        "days_since_last_visit": fr["days_since_last_visit"].to_numpy(),
        "n_visits": fr["n_visits"].to_numpy(), "joined_on": fr["joined_on"].to_numpy(),
        "_key": top["key"].to_numpy(),
    })
    out = out.sort_values(["priority", "_key", "client_id"], kind="stable").drop(columns="_key")
    out = out.reset_index(drop=True).astype({
        "priority": "int64", "client_id": "string", **{c: "string" for c in CONTACT_COLUMNS},
        "reason": "string", "reason_codes": "string", "priority_label": "string",
        "last_nps": "Int64", "n_visits": "int64", "days_since_last_visit": "Int64",
        "last_nps_on": "datetime64[ns]", "last_visit": "datetime64[ns]",
        "joined_on": "datetime64[ns]",
    })
    out.attrs.update(asof=str(day.date()), personal=True, detractor_days=detractor_days,
                     lapsed_after_days=lapsed_after_days)
    return out
