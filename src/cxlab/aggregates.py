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

Not yet aggregated: the clients (without their contact details), visits and complaints
up to the quarter's end are read whole by the notebooks that use them (cohorts, the
complaint rate per active client). They grow with the number of families rather than with
the answers; moving the cohort features and the active-client counts into the warehouse
is the next step (``benchmarks/README.md``, "Scale").

The queries are written once in **Ibis** (one expression, many engines: the backend is a
connection, not a code path), so the same layer runs on DuckDB here and on another engine
that Ibis supports. Results come back as small pandas frames.

>>> mo = score_moments("data/samples.duckdb", "nps", upto="2026-10-01")   # doctest: +SKIP
>>> metrics.nps_trend(mo)                                                  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab.errors import ParameterError

__all__ = ["Moments", "score_moments", "first_scored_answers", "answer_blocks",
           "answer_ids", "BLOCK"]

#: Prefix of a block's id in a ledger: Unicode private use, never a real response id.
BLOCK = "\ue004"
#: Stands for a missing group key inside a query (NULL keys do not join); turned back
#: into a missing value in the result.
_MISSING = "\ue003missing"
#: The scores this layer aggregates: the column's kind.
KINDS = {"nps": "nps", "recommend": "share"}
DATE = "submitted_at"


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
