"""A quarter of data: the quarter string parsed in one place, and the tables a report
notebook reads for it.

Quarters are strings like ``2026Q3`` (:func:`check_quarter_format`); ``latest`` means the
last complete quarter with survey responses in the warehouse (:func:`resolve_quarter`).
:func:`load_quarter` loads what a report notebook needs for one quarter into a frozen
:class:`QuarterData`, nothing after the quarter's end, so a past quarter renders the same
later.

>>> data = load_quarter("2026Q3", "data/samples.duckdb")   # doctest: +SKIP
>>> data.responses, data.prev_quarter, data.lacks("complaints")   # doctest: +SKIP
"""

from __future__ import annotations

import re
import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import sections as _sections
from cxlab.errors import QuarterError
from cxlab.paths import default_warehouse, resolve

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
#: Quarters of answers a report may read row by row (the quarter and the three before
#: it, for :func:`cxlab.asymmetry.penalty_reward`); earlier ones only as aggregates.
WINDOW = 4


def _io():
    from cxlab import (
        io,  # imported late: the report module stays importable without data
    )

    return io


# ------------------------------------------------------------------------- parsing

def check_quarter_format(quarter: str) -> str:
    """A quarter string like ``2026Q3``, or :class:`QuarterError`."""
    q = str(quarter).strip().upper()
    if not QUARTER_RE.match(q):
        raise QuarterError(
            f"quarter {quarter!r} is not a quarter: expected a year and a quarter like "
            "'2026Q3', or 'latest'"
        )
    return q


def resolve_quarter(quarter: str, warehouse) -> str:
    """``latest`` → the last complete quarter with data; any other quarter is checked.

    Raises
    ------
    QuarterError
        A malformed quarter, a quarter the warehouse does not have, or one with no survey
        responses in it.
    """
    io = _io()
    if str(quarter).strip().lower() == "latest":
        return io.latest_quarter(warehouse)
    q = check_quarter_format(quarter)
    available = list(io.quarters(warehouse))
    if q not in available:
        shown = ", ".join(available) if available else "none"
        raise QuarterError(
            f"quarter {q} has no data in the warehouse {warehouse}: quarters with survey "
            f"responses are {shown}"
        )
    return q


def quarter_bounds(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a quarter like ``2026Q3``."""
    q = check_quarter_format(quarter)
    p = pd.Period(q, freq="Q")
    return p.start_time.normalize(), (p + 1).start_time.normalize()


def previous_quarter(quarter: str) -> str:
    """The calendar quarter before ``quarter``."""
    p = pd.Period(check_quarter_format(quarter), freq="Q") - 1
    return f"{p.year}Q{p.quarter}"


# ------------------------------------------------------------------------- a quarter's data

@dataclass(frozen=True)
class QuarterData:
    """The tables a report notebook reads for one quarter (loaded through :mod:`cxlab.io`).

    Nothing after the quarter's end is loaded (a past quarter renders the same later),
    except contacts up to ``fcr_window_days`` after it, so that a request late in the
    quarter can still be judged for first-contact resolution. A table the warehouse does
    not hold is an empty frame with the table's columns; :meth:`lacks` says what a section
    misses.

    Answers are read row by row for the quarter only (``responses``), and on demand for
    the trailing :data:`WINDOW` quarters (:meth:`recent_responses`); earlier quarters are
    read as aggregates computed in the warehouse (:meth:`history`,
    :meth:`first_answers`), so a report's cost does not grow with the warehouse's
    history. ``responses_all`` (every answer up to the quarter's end) is still there for
    an analyst, loaded when first used; the report notebooks never touch it.

    Attributes
    ----------
    quarter, prev_quarter : str
        ``'2026Q3'`` and the calendar quarter before it.
    start, end : Timestamp
        The quarter is ``[start, end)``.
    responses : DataFrame
        The quarter's responses.
    invitations : DataFrame
        The quarter's invitations; read from the warehouse when first used.
    contacts : DataFrame
        Contacts opened from ``fcr_window_days`` before the quarter to as long after it,
        with a ``quarter`` column (what first-contact resolution of the quarter's
        contacts needs); read when first used.
    clients, visits, complaints : DataFrame
        Up to the quarter's end (clients who joined by then); each read from the
        warehouse when first used, so a notebook that needs none of them reads none.
        The report notebooks never read the clients and visits whole: they pass the
        ``QuarterData`` itself to :func:`cxlab.cohorts.assign`,
        :func:`~cxlab.cohorts.attach`, :func:`~cxlab.cohorts.promotion` and
        :func:`cxlab.complaints.complaints_section`, which compute in the warehouse what
        they need (:meth:`visit_features`, :meth:`active_clients`).
    study : Study
        Whose code lists, segments, factors and targets apply.
    holdings : cxlab.sections.Holdings
        What the warehouse holds (tables, filled columns).
    """

    quarter: str
    prev_quarter: str
    start: pd.Timestamp
    end: pd.Timestamp
    warehouse: Path
    responses: pd.DataFrame
    study: object = None
    holdings: object = None
    fcr_window_days: int = 7
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def invitations(self) -> pd.DataFrame:
        """The quarter's invitations (read when first used: a notebook that does not
        count response rates never holds them)."""
        return self._table("invitations", since=self.start, upto=self.end).reset_index(drop=True)

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """Contacts opened from ``fcr_window_days`` before the quarter to as long after
        it, with a ``quarter`` column: a contact is a follow-up of one in the window
        before it, and is judged resolved by the window after it."""
        from cxlab import schema

        window = pd.Timedelta(days=self.fcr_window_days)
        c = self._table("contacts", since=self.start - window, upto=self.end + window)
        return c.assign(quarter=schema.quarter_of(c["opened_at"]))

    def lacks(self, section: str) -> list:
        """What ``section`` (a name of :data:`cxlab.sections.SECTIONS`) lacks; empty when
        it can be shown."""
        return _sections.missing(section, self.holdings, self.study)

    def has(self, table: str) -> bool:
        """Does the warehouse hold ``table`` with rows?"""
        return self.holdings.has(table)

    @property
    def scored(self) -> bool:
        """Are there 0–10 recommendation answers this quarter (not only yes/no)?"""
        return "nps" in self.responses.columns and bool(self.responses["nps"].notna().any())

    @property
    def segments(self) -> list[str]:
        """The study's segment columns that hold values in the quarter's responses."""
        r = self.responses
        return [s for s in self.study.segments if s in r.columns and r[s].notna().any()]

    @property
    def factor_columns(self) -> list[str]:
        """The study's loyalty factors answered in the quarter."""
        r = self.responses
        return [c for c in self.study.factor_columns if c in r.columns and r[c].notna().any()]

    @property
    def channels(self) -> list[str]:
        """The survey channels of the quarter's responses, in the study's order."""
        return self.study.channels.order(self.responses["channel"].dropna().unique())

    def answers_text(self, lang: str = "en") -> str:
        """The number of the quarter's answers for a sentence: a count of people, so it
        follows the disclosure rule and, in a report run, the quarter-wide audit."""
        from cxlab import disclosure
        from cxlab.suppression import people_text

        r = self.responses
        members = (disclosure.members_of(r, "response_id", "answers")
                   if disclosure.active() and "response_id" in r else None)
        return people_text(len(r), lang, members)

    def weighted(self) -> pd.DataFrame | None:
        """The quarter's responses with a ``weight`` column raked (:mod:`cxlab.weighting`)
        to the margins the study declares (``weighting:``) — of the quarter's invitations
        or visits, or declared shares — or None when it declares none.

        The margins' columns must be filled on every answer: raking cannot place an answer
        whose channel, survey or segment is unknown, and leaving it out would change the
        figure without saying so, so :class:`~cxlab.errors.ParameterError` names it.
        """
        if getattr(self.study, "weighting", None) is None:
            return None
        from cxlab import weighting

        named = {v for v in self.study.weighting.margins.values() if isinstance(v, str)}
        tables = {"invitations": self.invitations}
        if "visits" in named:  # the quarter's visits only, and only when a margin names them
            tables["visits"] = self._table("visits", since=self.start, upto=self.end)
        r = self.responses
        w = weighting.study_weights(r, tables, study=self.study)
        out = r.assign(weight=w.to_numpy())
        out.attrs["weighting"] = dict(w.attrs)
        return out

    def _table(self, name: str, since=None, upto=None, *, personal: bool = True) -> pd.DataFrame:
        """The rows of ``name`` the warehouse holds in ``[since, upto)`` (filtered in
        SQL), or an empty frame with the table's columns when it holds none;
        ``personal=False`` leaves the table's personal columns in the warehouse."""
        from cxlab import schema

        if name in self.holdings.rows:
            columns = None
            if not personal:
                drop = set(schema.resolve_table(name, self.study).personal_columns)
                columns = [c for c in self._stored(name) if c not in drop]
            return _io().load(name, self.warehouse, study=self.study, since=since, upto=upto,
                              columns=columns)
        spec = schema.resolve_table(name, self.study)
        return schema.validate(pd.DataFrame({c: pd.Series([], dtype="string") for c in
                                             spec.column_names}), name, study=self.study)

    def _stored(self, name: str) -> list[str]:
        """The columns the warehouse's table ``name`` holds (none when it lacks it)."""
        io = _io()
        con = io.connect(self.warehouse)
        try:
            return io._existing_columns(con, name) or []
        finally:
            con.close()

    @cached_property
    def clients(self) -> pd.DataFrame:
        """The clients who had joined by the quarter's end (or whose join date is
        unknown), without their contact details (the schema's personal columns: names,
        phone, e-mail): no report section needs them, so a report kernel never holds
        them (the call-back list, :func:`cxlab.cohorts.followups`, reads them itself)."""
        c = self._table("clients", personal=False)
        if "joined_on" in c.columns:
            c = c.loc[c["joined_on"].isna() | (c["joined_on"] < self.end)]
        return c.reset_index(drop=True)

    @cached_property
    def visits(self) -> pd.DataFrame:
        """Visits up to the quarter's end."""
        return self._table("visits", upto=self.end).reset_index(drop=True)

    @cached_property
    def complaints(self) -> pd.DataFrame:
        """Complaints received up to the quarter's end."""
        return self._table("complaints", upto=self.end).reset_index(drop=True)

    @cached_property
    def feedback(self) -> pd.DataFrame:
        """Messages of the feedback channels (the Telegram feedback group) up to the
        quarter's end."""
        return self._table("feedback", upto=self.end).reset_index(drop=True)

    def client_names(self) -> frozenset:
        """The words of the clients' names (the clients table's personal ``…name``
        columns: parents', children's), lower-cased, read in the warehouse: what
        :func:`cxlab.text.quotes` takes out of a quote besides the names its dictionary and
        NER find. Not kept: a kernel holds the words only while it redacts."""
        from cxlab import schema

        if "clients" not in self.holdings.rows:
            return frozenset()
        spec = schema.resolve_table("clients", self.study)
        stored = set(self._stored("clients"))
        cols = [c for c in spec.personal_columns if c.endswith("name") and c in stored]
        if not cols:
            return frozenset()
        io = _io()
        con = io.connect(self.warehouse)
        try:
            union = " UNION ".join(
                f"SELECT DISTINCT unnest(regexp_split_to_array(lower({io._q(c)}), '[^\\p{{L}}]+')) AS w "
                f"FROM clients WHERE {io._q(c)} IS NOT NULL" for c in cols)
            words = con.execute(f"SELECT DISTINCT w FROM ({union}) WHERE length(w) > 1").fetchall()
        finally:
            con.close()
        return frozenset(w for (w,) in words)

    @cached_property
    def responses_all(self) -> pd.DataFrame:
        """Every response up to the quarter's end, with a ``quarter`` column — loaded
        from the warehouse when first used (its size grows with the history: the report
        notebooks read :meth:`history` instead).

        Not in a report kernel: there answers before the window are counted as blocks
        (:meth:`history`), and the audit must never see them by their ids as well."""
        from cxlab import disclosure
        from cxlab.errors import DisclosureError

        if disclosure.active():
            raise DisclosureError(
                "responses_all: a report reads every quarter's answers only as aggregates "
                "(data.history(...), data.first_answers()) and at most the trailing "
                f"{WINDOW} quarters row by row (data.recent_responses())")
        return _with_quarter(_io().load("responses", self.warehouse, study=self.study),
                             "submitted_at", self.end)

    def visit_features(self, points: pd.DataFrame, recent_days: int | None = None, *,
                       by: str | None = None) -> pd.DataFrame:
        """:func:`cxlab.cohorts.features_at` of ``points`` (``client_id``, ``asof``)
        computed in the warehouse from the points' clients' visits up to the quarter's
        end: the same frame as ``features_at(data.clients, data.visits, points)``,
        without loading either table."""
        from cxlab import cohorts

        return cohorts.features_at(self, None, points, recent_days, by=by, study=self.study)

    def active_clients(self, freq: str = "Q") -> pd.Series:
        """The number of clients with a visit in each quarter (``freq="Q"``) or month
        (``"M"``) up to the quarter's end, counted in the warehouse
        (:func:`cxlab.aggregates.active_clients`): the denominator of
        :func:`cxlab.complaints.rate_per_100_active`. Index ``period``."""
        key = ("active", freq)
        if key not in self._cache:
            from cxlab import aggregates

            if "visits" in self.holdings.rows:
                n = aggregates.active_clients(self.warehouse, freq, upto=self.end)
            else:  # no visits table: no active clients
                n = pd.Series([], index=pd.Index([], name="period", dtype=object),
                              name="client_id", dtype="int64")
            self._cache[key] = n
        return self._cache[key]

    def active_client_ids(self, period: str, freq: str = "Q") -> np.ndarray:
        """The ids of the clients counted by :meth:`active_clients` in ``period``
        (``'2026Q3'`` or ``'2026-09'``), read from the warehouse for that period only:
        the members a report kernel's disclosure ledger records."""
        from cxlab import aggregates

        if "visits" not in self.holdings.rows:
            return np.array([], dtype=str)
        return aggregates.active_client_ids(self.warehouse, period, freq, upto=self.end)

    def window_start(self, quarters: int = WINDOW) -> pd.Timestamp:
        """The first day of the trailing ``quarters`` quarters ending with this one."""
        return (pd.Period(self.quarter, freq="Q") - (int(quarters) - 1)).start_time.normalize()

    def recent_responses(self, quarters: int = WINDOW,
                         columns: list[str] | None = None) -> pd.DataFrame:
        """Responses of the trailing ``quarters`` quarters ending with this one: a
        quarter holds too few low and high ratings of each factor to tell a must-be from
        a delighter (:func:`cxlab.asymmetry.penalty_reward`), a year does.

        Read from the warehouse at each call, not kept (only those quarters;
        ``columns``: only those columns and ``quarter``, e.g. the ids, channel, score and
        factors an analysis uses — a year of a large survey's answers with their comments
        is gigabytes; kept, the window held 0.9 GiB of the quarterly report's kernel
        after the one cell that reads it, at ten million answers). In
        a report kernel at most :data:`WINDOW` quarters: answers before the window are
        counted in blocks (:meth:`history`), and the disclosure audit must never see an
        answer both as a block and by its id.
        """
        from cxlab import disclosure
        from cxlab.errors import DisclosureError

        quarters = int(quarters)
        if quarters > WINDOW and disclosure.active():
            raise DisclosureError(
                f"recent_responses({quarters}): a report reads answers row by row for at "
                f"most {WINDOW} quarters (earlier ones are aggregates the audit counts in "
                "blocks)")
        if columns is not None:  # those the table holds (as a table without the others)
            stored = set(self._stored("responses"))
            columns = [c for c in dict.fromkeys(["submitted_at", *columns]) if c in stored]
        if quarters == 1:
            r = self.responses
            return r if columns is None else r[[c for c in r.columns
                                                 if c in columns or c == "quarter"]]
        r = _io().load("responses", self.warehouse, study=self.study,
                       since=self.window_start(quarters), upto=self.end, columns=columns)
        return _with_quarter(r, "submitted_at", self.end)

    def history(self, column: str = "nps"):
        """Every quarter up to this one as aggregates computed in the warehouse: per
        channel × quarter, the counts and the cluster-robust variance's sums of
        ``column`` (``nps``: 0–10; ``recommend``: yes/no, over the yes/no answers) —
        a :class:`cxlab.aggregates.Moments` that :func:`cxlab.metrics.nps_trend` and
        :func:`cxlab.metrics.binary_nps_table` take in place of rows.

        In a report kernel the members of each count are recorded for the audit: the
        response ids of the trailing :data:`WINDOW` quarters (those :meth:`recent_responses`
        can read), and blocks (:func:`cxlab.aggregates.answer_blocks`) before them.
        """
        from cxlab import _members

        key = ("history", column, _members.active())  # with members only under a ledger
        if key not in self._cache:
            from cxlab import aggregates

            mo = aggregates.score_moments(
                self.warehouse, column, by=("channel", "quarter"), upto=self.end,
                frame_notna=None if column == "nps" else column)
            self._cache[key] = _with_members(mo, self, column)
        return self._cache[key]

    def first_answers(self) -> pd.DataFrame:
        """Each client's earliest and latest 0–10 answer in each channel up to the
        quarter's end (:func:`cxlab.aggregates.first_scored_answers`): what
        :func:`cxlab.cohorts.promotion` needs to class respondents, without every answer.
        Read at each call, not kept (7.5 M rows at ten million answers)."""
        from cxlab import aggregates

        return aggregates.first_scored_answers(self.warehouse, upto=self.end)

    def recent_complaints(self, quarters: int = 4) -> pd.DataFrame:
        """Complaints received in the trailing ``quarters`` quarters ending with this one.

        A quarter has a few dozen complaints, so breakdowns by channel, category or
        importance are made over a year: each cell then has a chance to reach ``min_n``.
        """
        start = (pd.Period(self.quarter, freq="Q") - (int(quarters) - 1)).start_time.normalize()
        c = self.complaints
        return c.loc[(c["received_at"] >= start) & (c["received_at"] < self.end)].reset_index(drop=True)

    def window_label(self, quarters: int = 4) -> str:
        """``'2025Q4–2026Q3'``: the trailing window of :meth:`recent_complaints`."""
        first = pd.Period(self.quarter, freq="Q") - (int(quarters) - 1)
        return f"{first.year}Q{first.quarter}–{self.quarter}"

    @property
    def last_day(self) -> pd.Timestamp:
        """The quarter's last calendar day (``asof`` for cohort membership at its end)."""
        return self.end - pd.Timedelta(days=1)

    def __repr__(self) -> str:
        return (f"<QuarterData {self.quarter}: {len(self.responses)} responses; "
                + ", ".join(f"{t} {self.holdings.rows.get(t, 0)}"
                            for t in ("invitations", "contacts", "complaints", "visits"))
                + " rows in the warehouse>")


def _with_quarter(df: pd.DataFrame, column: str, end: pd.Timestamp) -> pd.DataFrame:
    from cxlab import schema

    df = df.loc[df[column] < end].reset_index(drop=True)
    return df.assign(quarter=schema.quarter_of(df[column]))


def _with_members(mo, data: QuarterData, column: str):
    """``mo`` with the members of its counts when a report's ledger is active: ids in
    the trailing window, blocks before it (see :meth:`QuarterData.history`)."""
    from dataclasses import replace

    from cxlab import _members, aggregates, disclosure

    if not _members.active():
        return mo
    start = data.window_start()
    ids = aggregates.answer_ids(data.warehouse, column, since=start, upto=data.end)
    if ids is None:  # no response ids: nothing can be recorded (as for rows)
        return mo
    blocks = aggregates.answer_blocks(data.warehouse, upto=start)
    blocks = blocks[blocks[f"has_{column}"]]
    def norm(key) -> tuple:
        return tuple(None if pd.isna(x) else str(x) for x in key)

    recent = {norm(k): disclosure.id_texts(g["response_id"])
              for k, g in ids.groupby(["channel", "quarter"], dropna=False, sort=False)}
    old = {norm(k): g for k, g in blocks.groupby(["channel", "quarter"], dropna=False,
                                                   sort=False)}
    members = {}
    for key in mo.table.index:
        k = norm(key)
        if k in recent:
            members[key] = disclosure.Members("answers", recent[k])
        elif k in old:
            members[key] = disclosure.Members("answers", old[k]["block"].to_numpy(dtype=object),
                                              old[k]["k"].to_numpy(dtype="int64"))
    return replace(mo, members=_members.Cells(members))


def load_quarter(quarter: str, warehouse=None, study=None, fcr_window_days: int = 7) -> QuarterData:
    """Load what a report notebook needs for ``quarter`` (see :class:`QuarterData`).

    ``warehouse`` and ``study`` are resolved from the project root
    (:func:`cxlab.paths.resolve`), so a notebook behaves the same under JupyterLab,
    papermill and nbval. Tables the warehouse lacks come back empty.
    """
    from cxlab.study import load_study

    st = load_study(study)
    path = resolve(warehouse) if warehouse is not None else default_warehouse()
    q = resolve_quarter(quarter, path)
    start, end = quarter_bounds(q)
    holdings = _sections.inspect(path, q)

    # the quarter's answers; invitations, contacts (with the windows FCR needs),
    # clients, visits and complaints are read when first used
    data = QuarterData(quarter=q, prev_quarter=previous_quarter(q), start=start, end=end,
                       warehouse=path, responses=pd.DataFrame(), study=st,
                       holdings=holdings, fcr_window_days=fcr_window_days)
    return dataclasses.replace(
        data, responses=_with_quarter(data._table("responses", since=start, upto=end),
                                      "submitted_at", end))
