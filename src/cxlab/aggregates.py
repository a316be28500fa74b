"""History as aggregates computed where the data is: what a quarter's report needs from
every earlier quarter, without loading earlier quarters' rows.

A report shows one quarter in detail and the quarters before it only as trends. Loading
the whole history into pandas in every notebook kernel makes a report's cost grow with
the warehouse (a million responses took 1.2 GB and 88 s to render), so the history is
read as **sufficient statistics**, one row per group, computed by the engine:

* :func:`score_moments` — per quarter × channel (or any grouping), the counts of an NPS
  (promoters, passives, detractors) or of a yes/no share, and the four sums the
  cluster-robust variance needs: the number of clients ``G``, ``Σ T_c²``, ``Σ T_c n_c``
  and ``Σ n_c²`` over clients ``c`` with ``n_c`` answers whose scores sum to ``T_c``.
  With them, :func:`cxlab._design.moments_from_sums` gives the same mean, CR1 variance and
  design effect as :func:`cxlab._design.group_moments` on the rows (the algebra is in its
  docstring; exact integers up to the last division), and :func:`cxlab.metrics.nps_trend`,
  :func:`~cxlab.metrics.nps_table` and :func:`~cxlab.metrics.binary_nps_table` accept the
  result in place of a frame.
* :func:`first_scored_answers` — the rows :func:`cxlab.cohorts.promotion` can use (each
  client's earliest and latest 0–10 answer in each channel), not every answer ever given.
* :func:`answer_blocks` — for the disclosure audit (:mod:`cxlab.disclosure`), the answers
  of quarters before the loaded window as blocks of identical membership: a block stands
  for ``k`` answers the report only ever counts together.

* :func:`visit_features` — the cohort features of :func:`cxlab.cohorts.features_at` that
  need the visits and clients tables (visit counts up to a day and in the recent window,
  per-code counts, first and last visit, join date, source, referrals), at given (client,
  day) points: only those clients' visits are read, by the engine, a batch of points at a
  time (:data:`BATCH_ROWS`). :func:`visit_codes` lists the codes of the per-code counts,
  :func:`client_ids` the clients who had joined by a day (the points of
  :func:`cxlab.cohorts.assign`), :func:`clients_of` the rows of some clients (what
  :func:`cxlab.cohorts.promotion` needs).
* :func:`active_clients` — per quarter or month, the clients with a visit (the
  denominator of :func:`cxlab.complaints.rate_per_100_active`), and
  :func:`active_client_ids` the ids behind one period's count, for the disclosure audit.

:class:`cxlab.quarter.QuarterData` passes its warehouse and its end to these (nothing after
the quarter's end), and :func:`cxlab.cohorts.assign`, :func:`~cxlab.cohorts.attach`,
:func:`~cxlab.cohorts.promotion`, :func:`cxlab.complaints.rate_per_100_active` and
:func:`~cxlab.complaints.complaints_section` take a ``QuarterData`` in place of the
clients and visits frames, so a report kernel never holds the visits table. Complaints up
to the quarter's end are still read whole (an event log: one row per complaint).

The queries are written once in **Ibis** (one expression, many engines: the backend is a
connection, not a code path), so the same layer runs on DuckDB here and on another engine
that Ibis supports. Results come back as small pandas frames.

>>> mo = score_moments("data/samples.duckdb", "nps", upto="2026-10-01")   # doctest: +SKIP
>>> metrics.nps_trend(mo)                                                  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab.errors import ParameterError

__all__ = ["Moments", "score_moments", "first_scored_answers", "answer_blocks",
           "answer_ids", "visit_features", "iter_visit_features", "visit_codes",
           "client_ids", "clients_of", "known_clients", "active_clients",
           "active_client_ids", "BLOCK", "BATCH_ROWS"]

#: Prefix of a block's id in a ledger: Unicode private use, never a real response id.
BLOCK = "\ue004"
#: Stands for a missing group key inside a query (NULL keys do not join); turned back
#: into a missing value in the result.
_MISSING = "\ue003missing"
#: The scores this layer aggregates: the column's kind.
KINDS = {"nps": "nps", "recommend": "share"}
DATE = "submitted_at"
#: Points (clients at a day) per query of :func:`iter_visit_features`: the engine joins
#: each batch with the visits of its clients only, and a batch's features are a few tens
#: of megabytes in pandas whatever the number of clients.
BATCH_ROWS = 100_000


@dataclass(frozen=True)
class Moments:
    """Per-group sufficient statistics of one score (see the module docstring).

    Attributes
    ----------
    column : str
        The score (``nps``: 0–10; ``recommend``: yes/no).
    kind : str
        ``"nps"`` (codes promoter, passive, detractor; score +1/0/−1) or ``"share"``
        (codes no, yes; score 0/1).
    by : tuple of str
        The grouping columns, in the order of ``table``'s index.
    table : DataFrame
        Index: the groups, sorted as :func:`cxlab.metrics.nps_table` sorts them (missing
        keys last). Columns: ``n``; the counts (``promoters, passives, detractors`` or
        ``no, yes``); ``clusters``, ``t2``, ``tn``, ``n2`` (Python ints).
    clustered : bool
        Whether some client answers more than once in the frame the statistics were
        taken over (the rule of :func:`cxlab._design.design`); when not, the textbook
        independent formulas apply.
    cluster : str or None
        The client column.
    reason : str
        Why answers are treated as independent, when they are.
    members : dict or None
        {group key → :class:`cxlab.disclosure.Members`} when a report's ledger is active.
    """

    column: str
    kind: str
    by: tuple
    table: pd.DataFrame
    clustered: bool
    cluster: str | None
    reason: str = ""
    members: dict | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.table)

    def codes(self) -> pd.DataFrame:
        """The counts as :func:`cxlab.metrics.nps_table` builds them: columns 0, 1, 2
        (promoter, passive, detractor) or 0, 1 (no, yes)."""
        names = (["promoters", "passives", "detractors"] if self.kind == "nps"
                 else ["no", "yes"])
        out = self.table[names].astype("int64")
        out.columns = list(range(len(names)))
        return out

    def score_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """(Σy, Σy²) per group, from the counts: exact integers as objects."""
        t = self.table
        if self.kind == "nps":
            p, d = t["promoters"].astype(object), t["detractors"].astype(object)
            return (p - d).to_numpy(dtype=object), (p + d).to_numpy(dtype=object)
        y = t["yes"].astype(object).to_numpy(dtype=object)
        return y, y


@contextmanager
def _backend(warehouse):
    """An Ibis backend over the warehouse's checked, read-only DuckDB connection.

    Ibis 12 calls a DuckDB method DuckDB 2 deprecates and reads a pandas option pandas 3
    deprecates: their warnings would reach a report's notebook output, so they are
    silenced here (and only here).
    """
    import ibis

    from cxlab import warehouse as wh

    con = wh.connect(warehouse)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="ibis")
            warnings.filterwarnings("ignore", message=".*future.infer_string.*")
            yield ibis.duckdb.from_connection(con)
    finally:
        con.close()


def _quarter(col):
    """The calendar quarter ``'2026Q3'`` of a (naive, local) timestamp column."""
    return col.year().cast("string") + "Q" + col.quarter().cast("string")


def _bound(value) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _frame(t, date_col: str, since, upto):
    """``t``'s rows dated in ``[since, upto)``, with a ``quarter`` column."""
    d = t[date_col]
    if since is not None:
        t = t.filter(d >= _bound(since).to_pydatetime())
    if upto is not None:
        t = t.filter(d < _bound(upto).to_pydatetime())
    return t.filter(d.notnull()).mutate(quarter=_quarter(d))


def _keys(t, by: Sequence[str]):
    """Group keys with NULL spelled :data:`_MISSING` (so that parts join)."""
    return t.mutate(**{c: t[c].cast("string").fill_null(_MISSING) for c in by})


def _to_frame(expr) -> pd.DataFrame:
    from cxlab.warehouse import _to_pandas

    return _to_pandas(expr.to_pyarrow())


def _index(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """``frame`` indexed by ``by`` with :data:`_MISSING` back to a missing value, sorted
    the way :func:`cxlab.metrics.nps_table` sorts its groups."""
    f = frame.copy()
    for c in by:
        f[c] = f[c].astype("string").mask(f[c] == _MISSING)
    return f.set_index(list(by)).sort_index()


def score_moments(warehouse, column: str = "nps", by: Sequence[str] = ("channel", "quarter"),
                  *, upto=None, since=None, frame_notna: str | None = None,
                  cluster: str | None = "client_id", table: str = "responses",
                  date_col: str = DATE) -> Moments:
    """Per-group sufficient statistics of ``column`` over the rows dated before ``upto``.

    Parameters
    ----------
    warehouse : path
        The warehouse (read-only).
    column : {"nps", "recommend"}
        The score.
    by : sequence of str
        Grouping columns of the table, and ``"quarter"`` (of ``date_col``).
    upto, since : date-like, optional
        Rows dated in ``[since, upto)``.
    frame_notna : str, optional
        Take the frame as the rows where this column is filled (e.g. ``recommend`` for the
        yes/no answers): whether answers are clustered is decided over the frame, as
        :func:`cxlab._design.design` decides it over the frame it is given.
    cluster : str or None
        The client column (None: answers independent).

    Returns
    -------
    Moments
    """
    if column not in KINDS:
        raise ParameterError(f"score_moments: column {column!r}: expected one of "
                             f"{', '.join(KINDS)}")
    kind, by = KINDS[column], list(by)
    import ibis

    with _backend(warehouse) as con:
        t = con.table(table)
        missing = [c for c in [column, date_col, *[b for b in by if b != "quarter"]]
                   if c not in t.columns]
        if missing:
            raise ParameterError(f"score_moments: the {table} table has no column(s) "
                                 f"{', '.join(missing)}; expected the score, the date and "
                                 "every grouping column but 'quarter' in the table")
        t = _frame(t, date_col, since, upto)
        if frame_notna is not None:
            t = t.filter(t[frame_notna].notnull())
        clustered, reason = _clustered(t, cluster)
        v = _keys(t.filter(t[column].notnull()), by)
        x = v[column]
        if kind == "nps":
            y = ibis.cases((x >= 9, 1), (x >= 7, 0), else_=-1)
            counts = {"promoters": (x >= 9).cast("int64").sum(),
                      "passives": ((x >= 7) & (x < 9)).cast("int64").sum(),
                      "detractors": (x < 7).cast("int64").sum(),
                      "_bad": ((x < 0) | (x > 10)).cast("int64").sum()}
        else:
            y = x.cast("int64")
            counts = {"no": (~x).cast("int64").sum(), "yes": x.cast("int64").sum()}
        v = v.mutate(_y=y)
        parts = [_to_frame(v.group_by(by).aggregate(n=v.count(), **counts))]
        if "_bad" in parts[0].columns:  # ingest checks 0–10; a warehouse written otherwise may not
            bad = int(parts[0].pop("_bad").sum())
            if bad:
                raise ParameterError(f"score_moments: {bad} value(s) of {table}.{column} "
                                     "outside 0–10; expected whole numbers 0–10")
        if cluster is not None and clustered:
            per = v.filter(v[cluster].notnull()).group_by([*by, cluster]).aggregate(
                _nc=ibis._.count(), _t=ibis._._y.sum())
            parts.append(_to_frame(per.group_by(by).aggregate(
                clusters=per.count(), t2=(per._t * per._t).sum(), tn=(per._t * per._nc).sum(),
                n2=(per._nc * per._nc).sum())))
            single = v.filter(v[cluster].isnull())  # no id: each answer its own client
        else:
            single = v
        parts.append(_to_frame(single.group_by(by).aggregate(
            clusters=single.count(), t2=(single._y * single._y).sum(), tn=single._y.sum(),
            n2=single.count())))
    out = _index(parts[0], by)
    for extra in parts[1:]:
        e = _index(extra, by).reindex(out.index)
        for c in ("clusters", "t2", "tn", "n2"):
            add = e[c].astype(object).where(e[c].notna(), 0).map(int)
            out[c] = (out[c] if c in out.columns else 0) + add
    for c in out.columns:
        out[c] = [int(v) for v in out[c]]
        out[c] = out[c].astype(object)
    return Moments(column, kind, tuple(by), out, clustered,
                   cluster if clustered else None, reason)


def _clustered(t, cluster: str | None) -> tuple[bool, str]:
    """Does some client answer more than once in ``t``? And if not, why not (the words
    of :func:`cxlab._design.design`)."""
    if cluster is None:
        return False, "cluster=None"
    if cluster not in t.columns:
        return False, f"no '{cluster}' column"
    ids = t.filter(t[cluster].notnull())
    per = ids.group_by(cluster).aggregate(k=ids.count())
    most = per.k.max().execute()  # NULL when no answer has an id
    if most is None or pd.isna(most):
        return False, f"'{cluster}' is empty"
    if int(most) <= 1:
        return False, f"every answer has its own '{cluster}'"
    return True, ""


def first_scored_answers(warehouse, *, upto=None, table: str = "responses",
                         date_col: str = DATE) -> pd.DataFrame:
    """Each client's earliest and latest 0–10 answer in each channel dated before
    ``upto`` (ties at the same moment all kept), ordered like
    :func:`cxlab.warehouse.load`.

    :func:`cxlab.cohorts.promotion` with ``class_by="first"`` classes a client by the
    earliest 0–10 answer, lists the channels the answers came from and the quarters they
    span: all three are the same on these rows as on every answer, and there are at most
    two per client and channel.
    """
    import ibis

    with _backend(warehouse) as con:
        t = con.table(table)
        need = ["client_id", "nps", date_col]
        missing = [c for c in need if c not in t.columns]
        if missing:
            raise ParameterError(f"first_scored_answers: the {table} table has no column(s) "
                                 f"{', '.join(missing)}; expected client ids, 0–10 answers "
                                 "and their dates")
        t = _frame(t, date_col, None, upto)
        t = t.filter(t.nps.notnull() & t.client_id.notnull())
        part = ["client_id", *(["channel"] if "channel" in t.columns else [])]
        w = ibis.window(group_by=[t[c] for c in part])
        t = t.mutate(_first=t[date_col].min().over(w), _last=t[date_col].max().over(w))
        t = t.filter((t[date_col] == t._first) | (t[date_col] == t._last))
        cols = [c for c in ["response_id", "client_id", date_col, "channel", "nps"]
                if c in t.columns]
        order = [date_col, *(["response_id"] if "response_id" in t.columns else [])]
        return _to_frame(t.select(cols).order_by(order))


def answer_blocks(warehouse, *, since=None, upto=None, table: str = "responses",
                  date_col: str = DATE) -> pd.DataFrame:
    """The answers dated in ``[since, upto)`` as blocks: per quarter × channel × which of
    ``nps`` and ``recommend`` is filled, the number of answers (``k``) and the block's id.

    Every count a report shows of answers from these quarters (the trends) is a union of
    whole blocks, so the disclosure audit can take a block as one member of weight ``k``
    instead of ``k`` response ids.
    """
    with _backend(warehouse) as con:
        t = _frame(con.table(table), date_col, since, upto)
        flags = {c: (t[c].notnull() if c in t.columns else False) for c in KINDS}
        t = _keys(t.mutate(**{f"has_{c}": f for c, f in flags.items()}), ["channel"])
        out = _to_frame(t.group_by(["quarter", "channel", *[f"has_{c}" for c in KINDS]])
                        .aggregate(k=t.count()))
    out["channel"] = out["channel"].astype("string").mask(out["channel"] == _MISSING)
    out["block"] = [f"{BLOCK}{q}|{'' if pd.isna(ch) else ch}|"
                    + "".join("1" if row[f"has_{c}"] else "0" for c in KINDS)
                    for q, ch, (_, row) in zip(out["quarter"], out["channel"], out.iterrows())]
    return out.sort_values(["quarter", "channel", "block"]).reset_index(drop=True)


def answer_ids(warehouse, column: str, *, since=None, upto=None, table: str = "responses",
               date_col: str = DATE) -> pd.DataFrame | None:
    """``response_id``, ``channel`` and ``quarter`` of the answers with ``column`` filled
    dated in ``[since, upto)``: the members of a trend's recent cells (a report kernel
    only). None when the table has no ``response_id`` (nothing can be recorded)."""
    with _backend(warehouse) as con:
        t = con.table(table)
        if "response_id" not in t.columns:
            return None
        t = _frame(t, date_col, since, upto)
        t = t.filter(t[column].notnull())
        cols = ["response_id", *(["channel"] if "channel" in t.columns else []), "quarter"]
        return _to_frame(t.select(cols))


# ---------------------------------------------------------------------- clients and visits

def _date(value):
    """A day as an engine literal (dates compare with dates, not timestamps)."""
    import ibis

    return ibis.literal(pd.Timestamp(value).date())


def _has(con, name: str) -> bool:
    # not con.list_tables(): Ibis 12 lists them with a method DuckDB 2 removed
    from ibis.common.exceptions import TableNotFound

    try:
        con.table(name)
    except TableNotFound:
        return False
    return True


def _table(con, name: str, what: str):
    if not _has(con, name):
        raise ParameterError(f"{what}: the warehouse has no {name} table; expected it for "
                             "this figure")
    return con.table(name)


def _joined_before(t, upto):
    """The clients who had joined before ``upto`` or whose join date is unknown: the
    clients a quarter's report knows (:attr:`cxlab.quarter.QuarterData.clients`)."""
    if upto is None or "joined_on" not in t.columns:
        return t
    j = t.joined_on.cast("date")
    return t.filter(j.isnull() | (j < _date(upto)))


def _visits(t, upto, date_col: str = "visit_date"):
    """Visits with a client and a date, dated before ``upto``; the date as a day."""
    t = t.filter(t.client_id.notnull() & t[date_col].notnull())
    if upto is not None:
        t = t.filter(t[date_col].cast("date") < _date(upto))
    return t


def table_columns(warehouse, table: str) -> list[str] | None:
    """The stored columns of ``table``, or None when the warehouse has no such table."""
    with _backend(warehouse) as con:
        if not _has(con, table):
            return None
        return list(con.table(table).columns)


def visit_codes(warehouse, by: str, *, upto=None, table: str = "visits",
                date_col: str = "visit_date") -> list[str]:
    """The distinct codes of the visits column ``by`` (stripped, as
    :func:`cxlab.cohorts.features_at` reads them) over the visits with a client and a date
    dated before ``upto``, sorted: the codes of the ``n_<code>`` features."""
    with _backend(warehouse) as con:
        t = _table(con, table, "visit_codes")
        if by not in t.columns:
            raise ParameterError(f"visit_codes: the {table} table has no column {by!r}; "
                                 f"expected one of {', '.join(t.columns)}")
        v = _visits(t, upto, date_col)
        codes = v.select(_code=v[by].cast("string").strip())
        out = _to_frame(codes.filter(codes._code.notnull()).distinct())
    return sorted(map(str, out["_code"]))


def client_ids(warehouse, *, joined_by=None, upto=None, table: str = "clients") -> pd.Series:
    """The ids of the clients who had joined before ``upto`` and on or before the day
    ``joined_by`` (or whose join date is unknown), ordered as :func:`cxlab.warehouse.load`
    orders the clients: the points of :func:`cxlab.cohorts.features` at that day."""
    with _backend(warehouse) as con:
        t = _joined_before(_table(con, table, "client_ids"), upto)
        if joined_by is not None and "joined_on" in t.columns:
            j = t.joined_on.cast("date")
            t = t.filter(j.isnull() | (j <= _date(joined_by)))
        return _to_frame(t.select("client_id").order_by("client_id"))["client_id"]


def _id_table(ids, name: str = "_id"):
    """``ids`` (distinct, without missing ones) as an in-memory table the engine joins."""
    import ibis

    s = pd.Series(np.asarray(ids, dtype=object)).dropna().astype(str).drop_duplicates()
    return ibis.memtable(pd.DataFrame({name: pd.array(s.to_numpy(dtype=object),
                                                     dtype="string")}))


def clients_of(warehouse, ids, *, columns: Sequence[str] | None = None, upto=None,
               referred: bool = False, table: str = "clients") -> pd.DataFrame:
    """The rows of the clients (who had joined before ``upto``, or whose join date is
    unknown) whose ``client_id`` is in ``ids`` — and with ``referred=True`` also those who
    name one of them in ``referred_by`` — with ``columns`` (default all), ordered by
    ``client_id``.

    What :func:`cxlab.cohorts.promotion` reads of the clients: its respondents and the
    families they brought, not every client."""
    with _backend(warehouse) as con:
        t = _joined_before(_table(con, table, "clients_of"), upto)
        cols = list(t.columns) if columns is None else list(columns)
        missing = [c for c in cols if c not in t.columns]
        if missing:
            raise ParameterError(f"clients_of: the {table} table has no column(s) "
                                 f"{', '.join(missing)}; expected some of {', '.join(t.columns)}")
        mem = _id_table(ids)
        hit = t.client_id.isin(mem._id)
        if referred and "referred_by" in t.columns:
            hit = hit | t.referred_by.cast("string").strip().isin(mem._id)
        return _to_frame(t.filter(hit).select(cols).order_by("client_id"))


def known_clients(warehouse, ids, *, upto=None, table: str = "clients") -> set[str]:
    """The ids among ``ids`` that are clients (who had joined before ``upto``, or whose
    join date is unknown)."""
    with _backend(warehouse) as con:
        t = _joined_before(_table(con, table, "known_clients"), upto)
        mem = _id_table(ids)
        out = _to_frame(t.filter(t.client_id.isin(mem._id)).select("client_id").distinct())
    return set(map(str, out["client_id"]))


def iter_visit_features(warehouse, points: pd.DataFrame, recent_days: int = 365, *,
                        by: str | None = None, codes: Sequence[str] = (), upto=None,
                        batch_rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The features of :func:`visit_features`, a batch of ``batch_rows`` points at a time
    (default :data:`BATCH_ROWS`; at least one batch, empty when there are no points).
    Each batch has the index of its points."""
    import ibis

    need = [c for c in ("client_id", "asof") if c not in points.columns]
    if need:
        raise ParameterError(f"visit_features: points lack column(s) {', '.join(need)}; "
                             "expected client_id and asof (a day per point)")
    size = BATCH_ROWS if batch_rows is None else int(batch_rows)
    if size < 1:
        raise ParameterError(f"visit_features: batch_rows={batch_rows!r}; expected a "
                             "positive whole number")
    codes = [str(c) for c in codes]
    asof = pd.to_datetime(points["asof"]).astype("datetime64[ns]").dt.normalize()
    pts = pd.DataFrame({
        "_pos": np.arange(len(points), dtype="int64"),
        "client_id": pd.array(points["client_id"].astype("string"), dtype="string"),
        "asof": asof.to_numpy(),
        # a visit on the window's first day is recent ("within N days", both ends in)
        "_start": (asof - pd.Timedelta(days=int(recent_days))).to_numpy(),
    })
    with _backend(warehouse) as con:
        vt = _table(con, "visits", "visit_features")
        ct = _joined_before(_table(con, "clients", "visit_features"), upto)
        if by is not None and by not in vt.columns:
            raise ParameterError(f"visit_features: the visits table has no column {by!r}; "
                                 f"expected one of {', '.join(vt.columns)}")
        v = _visits(vt, upto)
        v = v.select(_vc=v.client_id.cast("string"), _vd=v.visit_date.cast("date"),
                     _code=(v[by].cast("string").strip() if by is not None
                            else ibis.null().cast("string")))
        has_source, has_ref = "source" in ct.columns, "referred_by" in ct.columns
        cl = ct.select(
            _cc=ct.client_id.cast("string"),
            joined_on=(ct.joined_on.cast("date") if "joined_on" in ct.columns
                       else ibis.null().cast("date")),
            source=(ct.source.cast("string") if has_source else ibis.null().cast("string")),
            _referrer=(ct.referred_by.cast("string").strip() if has_ref
                       else ibis.null().cast("string")))
        cl = cl.mutate(referred=cl._referrer.notnull() & (cl._referrer != ""))
        refs = cl.filter(cl.referred & cl.joined_on.notnull())
        for lo in range(0, max(len(pts), 1), size):
            part = pts.iloc[lo:lo + size]
            raw = _features_batch(ibis.memtable(part), v, cl, refs, codes, by)
            out = pd.DataFrame(index=points.index[lo:lo + size])
            out["joined_on"] = raw["joined_on"].astype("datetime64[ns]").to_numpy()
            if has_source:
                out["source"] = raw["source"].astype("string").to_numpy()
            if has_ref:
                out["referred"] = raw["referred"].fillna(False).astype(bool).to_numpy()
            names = ["n_visits", *[f"n_{c}" for c in codes]]
            for i, name in enumerate(names):
                for suffix in ("", "_recent"):
                    col = raw[f"_k{i}{suffix}"].fillna(0).astype("int64").to_numpy()
                    out[f"{name}{suffix}"] = col
            out["first_visit"] = raw["first_visit"].astype("datetime64[ns]").to_numpy()
            out["last_visit"] = raw["last_visit"].astype("datetime64[ns]").to_numpy()
            if has_ref:
                out["n_referrals"] = raw["n_referrals"].fillna(0).astype("int64").to_numpy()
            yield out


def _features_batch(p, v, cl, refs, codes: list[str], by) -> pd.DataFrame:
    """One batch of points ``p`` (``_pos``, ``client_id``, ``asof``, ``_start``) joined
    with the visits of their clients up to each day, the clients and the referrals."""
    p = p.mutate(asof=p.asof.cast("date"), _start=p._start.cast("date"))
    j = p.join(v, [p.client_id == v._vc, v._vd <= p.asof])
    recent = j._vd >= j._start
    counts = {"_k0": j.count(), "_k0_recent": recent.cast("int64").sum()}
    for i, code in enumerate(codes, start=1):
        hit = (j._code == code).fill_null(False)
        counts[f"_k{i}"] = hit.cast("int64").sum()
        counts[f"_k{i}_recent"] = (hit & recent).cast("int64").sum()
    per = j.group_by(_vpos=j._pos).aggregate(first_visit=j._vd.min(), last_visit=j._vd.max(),
                                             **counts)
    r = p.join(refs, [p.client_id == refs._referrer, refs.joined_on <= p.asof])
    made = r.group_by(_rpos=r._pos).aggregate(n_referrals=r.count())
    out = (p.left_join(per, p._pos == per._vpos)
           .left_join(cl, p.client_id == cl._cc)
           .left_join(made, p._pos == made._rpos))
    cols = ["_pos", "joined_on", "source", "referred", "first_visit", "last_visit",
            "n_referrals", *counts]
    return _to_frame(out.select(cols).order_by("_pos"))


def visit_features(warehouse, points: pd.DataFrame, recent_days: int = 365, *,
                   by: str | None = None, codes: Sequence[str] = (), upto=None,
                   batch_rows: int | None = None) -> pd.DataFrame:
    """The features of :func:`cxlab.cohorts.features_at` that need the visits and clients
    tables, at (client, day) points, computed in the warehouse.

    Parameters
    ----------
    warehouse : path
        The warehouse (read-only); it must hold the visits and clients tables.
    points : DataFrame
        ``client_id`` and ``asof`` (a local calendar day per row, as
        :func:`cxlab.cohorts.features_at` makes them). Rows may repeat.
    recent_days : int
        The recent window: visits dated ``asof − recent_days … asof`` (both ends in).
    by : str, optional
        The visits column of the per-code counts, and ``codes`` its codes (each gets
        ``n_<code>`` and ``n_<code>_recent``, zero where nobody visited it).
    upto : date-like, optional
        Only visits dated before it, and only clients who had joined before it (or whose
        join date is unknown): what :class:`cxlab.quarter.QuarterData` holds.
    batch_rows : int, optional
        Points per query (default :data:`BATCH_ROWS`).

    Returns
    -------
    DataFrame
        Aligned with ``points`` (same index and order): ``joined_on``, ``source`` (when
        the clients table has it), ``referred`` and ``n_referrals`` (when it has
        ``referred_by``: a family that names the client and joined on or before
        ``asof``), ``n_visits``, ``n_visits_recent``, ``n_<code>``, ``n_<code>_recent``
        (int64), ``first_visit`` and ``last_visit`` (the first and last visit on or
        before ``asof``; NaT without one). :func:`cxlab.cohorts.features_at` with a
        ``QuarterData`` adds the days since each date, the same frame as from the frames.
    """
    parts = list(iter_visit_features(warehouse, points, recent_days, by=by, codes=codes,
                                     upto=upto, batch_rows=batch_rows))
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def active_clients(warehouse, freq: str = "Q", *, upto=None, table: str = "visits",
                   date_col: str = "visit_date") -> pd.Series:
    """The number of distinct clients with a visit in each period (``'2026Q3'`` with
    ``freq="Q"``, ``'2026-09'`` with ``"M"``) that has visits dated before ``upto``: the
    active clients of :func:`cxlab.complaints.rate_per_100_active`. Index ``period``,
    sorted."""
    if freq not in ("Q", "M"):
        raise ParameterError(f"active_clients: freq {freq!r}: expected 'Q' (quarters like "
                             "2026Q3) or 'M' (months like 2026-09)")
    with _backend(warehouse) as con:
        v = _visits(_table(con, table, "active_clients"), upto, date_col)
        d = v[date_col].cast("date")
        part = d.quarter() if freq == "Q" else d.month()
        v = v.mutate(_y=d.year(), _p=part)
        out = _to_frame(v.group_by(["_y", "_p"]).aggregate(n=v.client_id.nunique()))
    labels = [f"{int(y)}Q{int(p)}" if freq == "Q" else f"{int(y):04d}-{int(p):02d}"
              for y, p in zip(out["_y"], out["_p"])]
    s = pd.Series(out["n"].astype("int64").to_numpy(), index=pd.Index(labels, name="period"),
                  name="client_id")
    return s.sort_index()


def active_client_ids(warehouse, period: str, freq: str = "Q", *, upto=None,
                      table: str = "visits", date_col: str = "visit_date") -> np.ndarray:
    """The ids (sorted text) of the clients with a visit in ``period`` dated before
    ``upto``: the members behind :func:`active_clients`'s count of that period, read one
    period at a time (a report kernel's disclosure ledger only)."""
    p = pd.Period(period, freq=freq)
    start, end = p.start_time.normalize(), (p + 1).start_time.normalize()
    if upto is not None:
        end = min(end, pd.Timestamp(upto))
    with _backend(warehouse) as con:
        v = _visits(_table(con, table, "active_client_ids"), None, date_col)
        d = v[date_col].cast("date")
        v = v.filter((d >= _date(start)) & (d < _date(end)))
        out = _to_frame(v.select("client_id").distinct().order_by("client_id"))
    return out["client_id"].astype(str).to_numpy(dtype=str)
