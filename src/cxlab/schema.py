"""The data model: one pandera schema per table, and the validation that turns every
problem in an input into a :class:`cxlab.errors.Problem` (file, row, column, value,
what was expected).

Tables (tidy, one row per event) are described in ``DESIGN.md``. Coded values the code
branches on are fixed English codes (:data:`CODES`); text a person reads (activity,
category, comments) may be Russian. Loyalty-factor ratings are columns named ``f_<id>``
(1–5, empty = not applicable) so that a business can add its own factors without
changing the schema.

Validation runs in two passes: first each column is coerced to its type on its own,
recording values that do not parse (``'abc'`` in ``nps``), then the pandera schema checks
ranges, allowed values, uniqueness and date order on the coerced frame. Every problem
of both passes is reported at once.

Rules the coercion applies to every input (CSV text, spreadsheet cells, Parquet types,
DataFrames alike):

- **Time zones.** A zone-aware moment (a string ending in ``Z`` or ``+03:00``, an aware
  Timestamp or column) is converted to the study's ``timezone`` and kept as naive local
  time; a naive moment is local time already. One helper, :func:`local_time`, applies
  the rule to anything (columns, ``asof`` arguments), so every module reads a moment the
  same way: ``2026-09-30T22:00:00Z`` is 1 October 01:00 in Moscow, a 2026Q4 row.
- **Plausible dates.** A date that pandas cannot hold (``1025-10-10``, ``9999-01-01``)
  and a date outside the study's window (``plausible: {from: 2000-01-01, to: tomorrow}``,
  :class:`cxlab.study.Plausible`) is a problem of its row (check ``plausible``), never a
  traceback and never a stored 2099. A deadline may lie ahead of the window (a year).
- **Numbers as written.** A number too large for a whole-number column (``1e20``), an
  infinity or ``nan`` text is a problem showing the value as written; a yes/no column
  where numbers are expected (a Parquet boolean ``nps``) is one problem for the column,
  never 1/0.
- **Ids and codes** are compared after :func:`normalize_id` (Unicode NFC, invisible
  characters dropped, non-breaking spaces as spaces, trimmed): ``R000001`` followed by a
  zero-width space is ``R000001``. Rows repeating an earlier row exactly (same id, same
  values, as an id and its invisible twin do) are one row; the same id on different
  rows is a ``duplicate`` problem.

Size: over 800 lines on purpose: one declaration per warehouse table and column (types,
ranges, codes, time zones) with the checks that read them; split by table it would
scatter one contract over many files.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cxlab.errors import ParameterError, Problem, ValidationError

FACTOR_PREFIX = "f_"
FACTOR_PATTERN = re.compile(r"^f_[a-z0-9_]+$")

TRUE_WORDS = {"1", "true", "t", "yes", "y", "да", "д", "истина", "+"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "нет", "н", "ложь", "-"}


@dataclass(frozen=True)
class Col:
    """One column of a table.

    kind: ``id`` (text key), ``text``, ``code`` (one of ``codes``), ``int``, ``date``
    (calendar day), ``datetime``, ``bool``.
    """

    name: str
    kind: str
    required: bool = True  # must the column be present?
    nullable: bool = False  # may a cell be empty?
    codes: tuple[str, ...] = ()
    codelist: str | None = None  # the study's code list the codes come from
    lo: float | None = None
    hi: float | None = None
    personal: bool = False  # personal data: never in a stakeholder report
    #: a planned moment (a deadline) may lie this many days after the plausibility
    #: window's end; a moment that happened may not
    ahead_days: int = 0
    doc: str = ""

    @property
    def expected(self) -> str:
        if self.kind == "code":
            return "one of " + ", ".join(self.codes) if self.codes else "a code"
        if self.kind == "int":
            rng = f" from {self.lo:g} to {self.hi:g}" if self.lo is not None else ""
            return "a whole number" + rng + (" or empty" if self.nullable else "")
        if self.kind == "date":
            return "a date (yyyy-mm-dd or dd.mm.yyyy)"
        if self.kind == "datetime":
            return "a date and time (yyyy-mm-dd hh:mm or dd.mm.yyyy hh:mm)"
        if self.kind == "bool":
            return "yes/no (да/нет, true/false, 1/0)"
        return "text"


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    date_column: str | None  # the column that places a row in a quarter
    columns: tuple[Col, ...]
    factors: bool = False  # does the table carry f_* factor columns?
    date_order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs
    doc: str = ""
    segments: bool = False  # does the table keep the study's segment columns?
    #: the study's factor scales (column → (lo, hi)); None: the table is not resolved
    factor_scales: dict | None = None
    study: str = ""  # the study file this table was resolved against

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def personal_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.personal]

    def col(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        if self.factors and FACTOR_PATTERN.match(name) and self.factor_scales \
                and name in self.factor_scales:
            return factor_col(name, *self.factor_scales[name])
        raise KeyError(name)


def factor_col(name: str, lo: int = 1, hi: int = 5) -> Col:
    return Col(name, "int", required=False, nullable=True, lo=lo, hi=hi,
               doc=f"loyalty-factor rating {lo}–{hi}; empty = not applicable")


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "clients", "client_id", None,
            (
                Col("client_id", "id", doc="pseudonymous client id"),
                Col("joined_on", "date", required=False, nullable=True,
                    doc="first contact: registration of interest"),
                Col("source", "code", required=False, nullable=True, codelist="source",
                    doc="how the client found us"),
                Col("referred_by", "id", required=False, nullable=True,
                    doc="client_id of the client who recommended us"),
                Col("parent_name", "text", required=False, nullable=True, personal=True),
                Col("phone", "text", required=False, nullable=True, personal=True),
                Col("email", "text", required=False, nullable=True, personal=True),
                Col("child_name", "text", required=False, nullable=True, personal=True),
            ),
            doc="paying client (a parent); personal data kept apart from analysis",
        ),
        Table(
            "visits", "visit_id", "visit_date",
            (
                Col("visit_id", "id"),
                Col("client_id", "id"),
                Col("visit_date", "date"),
                Col("activity", "text", required=False, nullable=True,
                    doc="what was attended (free text a person reads)"),
            ),
            segments=True,
            doc="attendance or purchase; the study's segment columns (e.g. programme) kept",
        ),
        Table(
            "responses", "response_id", "submitted_at",
            (
                Col("response_id", "id"),
                Col("client_id", "id", required=False, nullable=True,
                    doc="empty for anonymous surveys"),
                Col("submitted_at", "datetime"),
                Col("channel", "code", codelist="channel"),
                Col("survey", "code", required=False, nullable=True, codelist="survey"),
                Col("nps", "int", required=False, nullable=True, lo=0, hi=10,
                    doc="likelihood to recommend, 0–10"),
                Col("recommend", "bool", required=False, nullable=True,
                    doc="binary NPS: would you recommend us (yes/no)"),
                Col("csat", "int", required=False, nullable=True, lo=1, hi=5,
                    doc="satisfaction, 1–5 stars"),
                Col("comment", "text", required=False, nullable=True, personal=True,
                    doc="free text: may identify a client"),
                Col("interviewer_id", "id", required=False, nullable=True,
                    doc="who asked (phone surveys)"),
            ),
            factors=True, segments=True,
            doc="survey answer; loyalty factors as f_<id> columns, the study's segments",
        ),
        Table(
            "invitations", "invitation_id", "sent_at",
            (
                Col("invitation_id", "id"),
                Col("client_id", "id", required=False, nullable=True),
                Col("survey", "code", required=False, nullable=True, codelist="survey"),
                Col("channel", "code", codelist="channel"),
                Col("sent_at", "datetime"),
            ),
            doc="survey invitation (for response rate)",
        ),
        Table(
            "contacts", "contact_id", "opened_at",
            (
                Col("contact_id", "id"),
                Col("client_id", "id", required=False, nullable=True),
                Col("opened_at", "datetime"),
                Col("channel", "code", codelist="channel"),
                Col("topic", "text", required=False, nullable=True),
                Col("resolved_at", "datetime", required=False, nullable=True),
            ),
            date_order=(("opened_at", "resolved_at"),),
            doc="client request (for FCR)",
        ),
        Table(
            "complaints", "complaint_id", "received_at",
            (
                Col("complaint_id", "id"),
                Col("client_id", "id", required=False, nullable=True,
                    doc="empty for some internal incidents"),
                Col("received_at", "datetime"),
                Col("channel", "code", codelist="channel"),
                Col("origin", "code", required=False, nullable=True, codelist="origin"),
                Col("category", "text", required=False, nullable=True),
                Col("importance", "code", required=False, nullable=True, codelist="importance"),
                Col("justified", "bool", required=False, nullable=True),
                Col("responsible", "text", required=False, nullable=True,
                    doc="team responsible for resolving it"),
                Col("first_reaction_at", "datetime", required=False, nullable=True),
                Col("deadline_at", "datetime", required=False, nullable=True, ahead_days=366,
                    doc="when the answer is due: may lie ahead, up to a year"),
                Col("resolved_at", "datetime", required=False, nullable=True),
                Col("satisfied_with_resolution", "bool", required=False, nullable=True),
                Col("loyal_after", "bool", required=False, nullable=True,
                    doc="would recommend us after the resolution"),
                Col("description", "text", required=False, nullable=True, personal=True),
            ),
            date_order=(("received_at", "resolved_at"), ("received_at", "first_reaction_at"),
                        ("received_at", "deadline_at")),
            doc="complaint or incident",
        ),
        Table(
            "feedback", "message_id", "sent_at",
            (
                Col("message_id", "id",
                    doc="'<chat id>:<message id>' (a Telegram export): two chats never collide"),
                Col("sent_at", "datetime"),
                Col("author_id", "id", required=False, nullable=True,
                    doc="the author's pseudonym (cxlab._telegram.author_id), never a name"),
                Col("author_role", "text", required=False, nullable=True,
                    doc="the author's role from the study (feedback → roles), e.g. staff"),
                Col("text", "text", personal=True,
                    doc="the message as written: may identify a client"),
                Col("reply_to", "id", required=False, nullable=True,
                    doc="message_id of the message this one answers"),
                Col("client_id", "id", required=False, nullable=True,
                    doc="the client the message is about (feedback → client_ref), "
                        "inherited along replies"),
                Col("source", "text", required=False, nullable=True,
                    doc="where it was posted, e.g. 'telegram: <chat name>'"),
            ),
            doc="message from a feedback channel (a Telegram group of staff feedback)",
        ),
    ]
}


def resolve_table(table: str | Table, study=None) -> Table:
    """The table as one study defines it: code lists from the study, its segment columns
    (responses, visits) and its factor columns with their scales.

    Parameters
    ----------
    table : str or Table
        One of :data:`TABLES`.
    study : Study, path or None
        :func:`cxlab.study.load_study`'s argument (None: the default study).
    """
    from dataclasses import replace as _replace

    from cxlab.study import load_study

    spec = TABLES[table] if isinstance(table, str) else table
    st = load_study(study)
    cols = []
    for c in spec.columns:
        if c.kind == "code" and c.codelist:
            cl = st.codelist(c.codelist)
            c = _replace(c, codes=cl.values if cl is not None and cl.closed else ())
        cols.append(c)
    if spec.segments:
        for name, cl in st.segments.items():
            if name in spec.column_names:
                continue
            cols.append(Col(name, "code" if cl.closed else "id", required=False, nullable=True,
                            codes=cl.values if cl.closed else (), codelist=name,
                            doc=f"segment: {cl.title('en')}"))
    scales = {f.column: (f.scale.lo, f.scale.hi) for f in st.factors.values()} if spec.factors else {}
    return _replace(spec, columns=tuple(cols), factor_scales=scales, study=st.source)


# --------------------------------------------------------------------------- coercion

#: Characters that cannot be seen and so cannot tell two ids apart: zero-width space,
#: non-joiner and joiner, word joiner, byte-order mark (zero-width no-break space) and
#: soft hyphen. Dropped from ids and codes.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
#: Spaces that look like a space: no-break, narrow no-break and figure space (Excel and
#: 1C put them in numbers and names). Read as a plain space in ids and codes.
NBSP = "\u00a0\u202f\u2007"
_INVISIBLE_RE = f"[{INVISIBLE}]"
_NBSP_RE = f"[{NBSP}]"
_INVISIBLE_TABLE = {ord(c): None for c in INVISIBLE} | {ord(c): " " for c in NBSP}


def normalize_id(value):
    """An id (or code) as it is compared: Unicode NFC, invisible characters removed,
    non-breaking spaces read as spaces, surrounding spaces trimmed.

    Accepts a scalar or a Series (returned as ``string`` dtype; empty stays empty).

    Examples
    --------
    >>> normalize_id("R000001\\u200b") == normalize_id(" R000001") == "R000001"
    True
    """
    if isinstance(value, pd.Series):
        import unicodedata

        s = value.astype("string")
        # ASCII text is NFC already: only the others go through unicodedata, one by one
        # (the same function as a single id below; a million ASCII ids cost one regex)
        other = s.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
        if other.any():
            s = s.copy()
            s[other] = [unicodedata.normalize("NFC", v) for v in s[other]]
        return (s.str.replace(_INVISIBLE_RE, "", regex=True)
                .str.replace(_NBSP_RE, " ", regex=True).str.strip())
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return value
    import unicodedata

    return unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE_TABLE).strip()


def _parse_bool(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return pd.NA
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    s = str(v).strip().lower()
    if s == "":
        return pd.NA
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    if s in ("1.0",):
        return True
    if s in ("0.0",):
        return False
    raise ValueError(v)


#: Formats a date (and time) may be written in, tried in this order on what the earlier
#: ones left: ISO first, then the day-first formats of Russian tools (never month-first).
DATE_FORMATS = ("ISO8601", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y",
                "%d.%m.%y")

#: A time of day followed by its zone: ``Z``, ``UTC``, ``+03:00``, ``+0300``, ``-05``.
_ZONED_RE = (r"^(?P<local>.*\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*"
             r"(?P<zone>[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$")

#: What a datetime64[ns] column can hold (whole days inside pandas' range).
NS_FIRST_DAY = pd.Timestamp("1677-09-22")
NS_END = pd.Timestamp("2262-04-11")


def _zone_name(study) -> str:
    if isinstance(study, _dt.tzinfo):
        return str(study)
    from cxlab.study import load_study

    return load_study(study).timezone


def _to_ns(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Naive datetimes of any unit → datetime64[ns], and the mask of values outside
    what nanoseconds can hold (set to NaT, never an OutOfBoundsDatetime)."""
    oob = (s.notna() & ((s < NS_FIRST_DAY) | (s >= NS_END))).fillna(False).astype(bool)
    return s.mask(oob).astype("datetime64[ns]"), oob


def _aware_to_local(s: pd.Series, tz: str) -> pd.Series:
    return s.dt.tz_convert(tz).dt.tz_localize(None)


def _parse_datetimes(s: pd.Series, tz: str = "UTC") -> tuple[pd.Series, pd.Series]:
    """Moments as naive local time in ``tz`` (datetime64[ns]); and the mask of values that
    are dates but outside what pandas can hold.

    Strings: ISO first, then dd.mm.yyyy (Russian tools), per value, never guessing mm/dd;
    a trailing zone (``Z``, ``+03:00``) is applied and the moment converted to ``tz``.
    Aware columns are converted; naive ones are local already. Values that do not parse
    are NaT (and not in the mask).
    """
    index = s.index
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = _aware_to_local(s, tz)
        return _to_ns(s)
    if s.dtype == object:
        # spreadsheet / Parquet / Python objects: datetime, date, Timestamp (aware or
        # not) become ISO text and take the one road strings take
        s = s.map(lambda v: v.isoformat() if isinstance(v, (_dt.datetime, _dt.date))
                  else (str(v) if isinstance(v, np.datetime64) else v))
    text = s.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    oob = pd.Series(False, index=index)
    todo = (text.notna() & (text != "")).fillna(False).astype(bool)
    if not todo.any():
        return out, oob
    # only values that may end in a zone go through the regex (it costs 7× the parse):
    # a '+', a '-' after the date part, or a final letter (Z, UTC, GMT)
    maybe = todo & (text.str.contains("+", regex=False)
                    | text.str[10:].str.contains("-", regex=False)
                    | text.str[-1:].str.isalpha()).fillna(False).astype(bool)
    zoned = text[maybe].str.extract(_ZONED_RE)
    has_zone = zoned["zone"].notna()
    offset = pd.Series(0, index=zoned.index, dtype="int64")  # minutes east of UTC
    if has_zone.any():
        z = zoned.loc[has_zone, "zone"].str.upper()
        digits = z.str.replace(r"[^0-9]", "", regex=True)
        hours = pd.to_numeric(digits.str[:2].replace("", "0")).fillna(0).astype("int64")
        minutes = pd.to_numeric(digits.str[2:4].replace("", "0")).fillna(0).astype("int64")
        sign = np.where(z.str.startswith("-").fillna(False).to_numpy(bool), -1, 1)
        offset.loc[has_zone[has_zone].index] = (hours * 60 + minutes).to_numpy() * sign
        text = text.copy()
        text.loc[has_zone[has_zone].index] = zoned.loc[has_zone, "local"].str.strip()
    wall = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], errors="coerce", format=fmt)
        if getattr(parsed.dt, "tz", None) is not None:  # a zone the pattern above missed
            parsed = _aware_to_local(parsed, tz)
        ok = parsed.notna()
        hit = ok[ok].index
        wall.loc[hit] = parsed[ok].astype("datetime64[us]")
        todo.loc[hit] = False
    if has_zone.any():
        zi = has_zone[has_zone].index
        utc = wall.loc[zi] - pd.to_timedelta(offset.loc[zi], unit="min")
        wall.loc[zi] = _aware_to_local(utc.dt.tz_localize("UTC"), tz).astype("datetime64[us]")
    return _to_ns(wall)


def local_time(value, study=None):
    """A moment as naive local time in the study's time zone: the one time-zone rule.

    A zone-aware value (a string ending in ``Z`` or an offset such as ``+03:00``, an aware
    Timestamp or datetime, an aware Series) is converted to the study's ``timezone`` and
    made naive; a naive value is local time already and is returned as it is. Strings are
    read like a table's cells (ISO, or ``dd.mm.yyyy [hh:mm[:ss]]``, never month-first).
    Use it for every ``asof`` argument and every column that did not come through
    :func:`validate` (which applies the same rule).

    Parameters
    ----------
    value : str, datetime, date, Timestamp, numpy.datetime64 or Series
        One moment, or a column of them (strings, datetimes or a mix).
    study : Study, path or None
        Whose time zone (:func:`cxlab.study.load_study`'s argument; None: the default
        study). A ``tzinfo`` is accepted too.

    Returns
    -------
    Timestamp or Series
        A naive :class:`pandas.Timestamp` (NaT for None/NaT), or a ``datetime64[ns]``
        Series with the same index (NaT where a value is empty, does not parse or is
        outside what pandas can hold; check ``isna()`` to name such values).

    Raises
    ------
    ParameterError
        A scalar that is not a date and time, or is outside 1677-09-22 … 2262-04-10.

    Examples
    --------
    >>> local_time("2026-09-30T22:00:00Z", study)  # doctest: +SKIP
    Timestamp('2026-10-01 01:00:00')                # Europe/Moscow
    >>> local_time("2026-10-01 01:00", study)       # doctest: +SKIP
    Timestamp('2026-10-01 01:00:00')                # naive: local already
    """
    tz = _zone_name(study)
    if isinstance(value, pd.Series):
        return _parse_datetimes(value, tz)[0]
    if value is None or value is pd.NaT or value is pd.NA or (
            isinstance(value, float) and np.isnan(value)):
        return pd.NaT
    if isinstance(value, str) and not value.strip():
        return pd.NaT
    out, oob = _parse_datetimes(pd.Series([value], dtype=object), tz)
    if bool(oob.iloc[0]):
        last = (NS_END - pd.Timedelta(days=1)).date()
        raise ParameterError(f"{value!r}: a date outside what can be stored; expected a date "
                             f"from {NS_FIRST_DAY.date()} to {last}")
    if pd.isna(out.iloc[0]):
        raise ParameterError(f"cannot read {value!r} as a date and time; expected "
                             "yyyy-mm-dd[ hh:mm[:ss]] or dd.mm.yyyy[ hh:mm], optionally "
                             "with a zone (Z, +03:00)")
    return out.iloc[0]


def _empty(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.isna() | (s.astype("string").str.strip() == "")
    return s.isna()


def is_bool_column(s: pd.Series) -> bool:
    """A yes/no column: boolean dtype, or Python bools (with gaps) in an object column."""
    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype != object:
        return False
    vals = s.dropna()
    return len(vals) > 0 and all(isinstance(v, (bool, np.bool_)) for v in vals.tolist())


#: Whole numbers beyond this cannot be held exactly as floats on the way in (2**53): a
#: value this large in a rating column is a typo or an overflow, shown as written.
_MAX_WHOLE = 2.0 ** 53


def _coerce(s: pd.Series, col: Col, tz: str = "UTC") -> tuple[pd.Series, pd.Series, pd.Series]:
    """(coerced, values that did not parse, dates outside what pandas can hold)."""
    empty = _empty(s)
    none = pd.Series(False, index=s.index)
    if col.kind in ("id", "text", "code"):
        if col.kind == "text":
            out = s.astype("string").str.strip()
        else:
            out = normalize_id(s)
            empty = empty | (out.fillna("") == "")
        if col.kind == "code" and col.codes:
            # codes match regardless of case ('Phone' is phone); unknown codes stay as
            # written and fail the code-list check
            canon = {c.casefold(): c for c in col.codes}
            k, seen = pd.factorize(out)  # each distinct value looked up once; −1: empty
            fixed = pd.array([canon.get(v.casefold(), v) for v in seen], dtype="string")
            out = pd.Series(fixed.take(k, allow_fill=True), index=out.index, dtype="string")
        if col.kind == "id" and pd.api.types.is_float_dtype(s):
            # ids read as floats from a spreadsheet (12.0) are whole numbers; one too large
            # to be held exactly (1e20) keeps its text rather than overflowing
            whole = (s.notna() & (s == np.floor(s)) & (s.abs() < _MAX_WHOLE)).astype(bool)
            out = s.where(whole).astype("Int64").astype("string").where(whole, out)
        out = out.mask(empty, pd.NA)
        return out, none, none
    if col.kind == "int":
        if is_bool_column(s):
            # yes/no is not a score: every answer would become 1/0 (validate says so once)
            return pd.Series(pd.NA, index=s.index, dtype="Int64"), ~empty, none
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("string").str.strip().str.replace(",", ".", regex=False)
            num = pd.to_numeric(text, errors="coerce")
        else:
            num = pd.to_numeric(s, errors="coerce")
        num = num.astype("Float64")
        huge = num.notna() & ~(num.abs() < _MAX_WHOLE)  # 1e20, inf, -inf
        frac = num.notna() & ~huge & (num != num.round())
        bad = (~empty & num.isna()) | frac | huge
        bad = bad.fillna(False).astype(bool)
        out = num.mask(bad | empty).round().astype("Int64")
        return out, bad, none
    if col.kind in ("date", "datetime"):
        out, oob = _parse_datetimes(s, tz)
        bad = (~empty & out.isna() & ~oob).fillna(False).astype(bool)
        if col.kind == "date":
            out = out.dt.normalize()
        return out, bad, oob
    if col.kind == "bool":
        vals, bad = [], []
        for v in s.tolist():
            try:
                vals.append(_parse_bool(v))
                bad.append(False)
            except ValueError:
                vals.append(pd.NA)
                bad.append(True)
        return (pd.Series(vals, index=s.index, dtype="boolean"), pd.Series(bad, index=s.index),
                none)
    raise ValueError(f"unknown column kind {col.kind!r}")


def coerce_column(s: pd.Series, col: Col, *, tz: str = "UTC") -> tuple[pd.Series, pd.Series]:
    """Coerce one column to its type. Returns (coerced, mask of values that did not parse).

    ``tz`` is the zone zone-aware moments are converted to (the study's ``timezone``);
    dates outside what pandas can hold count as not parsed here (:func:`validate` tells
    them apart).
    """
    out, bad, oob = _coerce(s, col, tz)
    return out, bad | oob


def pandera_schema(table: Table, columns: list[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a table, for the columns present (factor columns included)."""
    cols: dict[str, pa.Column] = {}
    names = columns if columns is not None else table.column_names
    for name in names:
        try:
            col = table.col(name)
        except KeyError:
            continue
        checks = []
        if col.kind == "code":
            checks.append(pa.Check.isin(list(col.codes), error="one of " + ", ".join(col.codes)))
        if col.kind == "int" and col.lo is not None:
            checks.append(pa.Check.in_range(col.lo, col.hi, error=f"from {col.lo:g} to {col.hi:g}"))
        dtype = {
            "id": "string", "text": "string", "code": "string", "int": "Int64",
            "date": "datetime64[ns]", "datetime": "datetime64[ns]", "bool": "boolean",
        }[col.kind]
        cols[name] = pa.Column(
            dtype, checks=checks, nullable=col.nullable, unique=(name == table.key),
            required=col.required,
        )
    df_checks = []
    for early, late in table.date_order:
        if early in names and late in names:
            df_checks.append(
                pa.Check(
                    lambda df, e=early, l=late: df[l].isna() | df[e].isna() | (df[l] >= df[e]),
                    name=f"{late} >= {early}",
                    error=f"{late} >= {early}",
                )
            )
    return pa.DataFrameSchema(cols, checks=df_checks, name=table.name, strict=False)


def _row_of(index_value, row_numbers: pd.Series | None) -> int | None:
    if index_value is None or (isinstance(index_value, float) and np.isnan(index_value)):
        return None
    try:
        pos = int(index_value)
    except (TypeError, ValueError):
        return None
    if row_numbers is not None:
        return int(row_numbers.iloc[pos])
    return pos + 1


def plausible_window(study=None, today: _dt.date | None = None) -> tuple[_dt.date, _dt.date]:
    """The first and last day a date may fall on: the study's ``plausible`` window.

    ``to: tomorrow`` (the default) is the day after ``today`` (default: today in the
    study's time zone). See :class:`cxlab.study.Plausible`.
    """
    from cxlab.study import load_study

    st = load_study(study)
    return st.plausible.window(st.timezone, today)


def _window_text(first: _dt.date, last: _dt.date, source: str) -> str:
    return f"a date between {first} and {last} ({Path(str(source)).name} → plausible)"


def validate(
    df: pd.DataFrame,
    table: str,
    source: str = "<DataFrame>",
    row_numbers: pd.Series | None = None,
    study=None,
) -> pd.DataFrame:
    """Check and type a table; raise :class:`ValidationError` with every problem found.

    Parameters
    ----------
    df : DataFrame
        The rows as read (strings are fine: they are coerced).
    table : str
        One of :data:`TABLES`.
    source : str
        What to call the input in messages (usually the file name).
    row_numbers : Series, optional
        For each row of ``df`` (by position), the row number to report; defaults to
        position + 1 (the data row as a person counts it, header excluded).
    study : Study or path, optional
        Whose code lists, segments, factor scales, time zone and plausible dates apply
        (default: :func:`cxlab.study.default_study`).

    Returns
    -------
    DataFrame
        The table's known columns (and factor columns) in schema order, typed; unknown
        columns are dropped. Moments are naive local time in the study's zone. A row that
        repeats an earlier row exactly (same id, same values) is kept once; the data rows
        dropped so are listed in ``attrs["repeated_rows"]`` (and the index is 0…n−1).
    """
    from cxlab.study import load_study

    if table not in TABLES:
        raise ValidationError(source, table, [Problem(None, "table", table, None,
                                                      "one of " + ", ".join(TABLES))])
    st = load_study(study)
    spec = resolve_table(table, st)
    df = df.reset_index(drop=True)
    problems: list[Problem] = []

    def row(i: int) -> int:
        return int(row_numbers.iloc[i]) if row_numbers is not None else int(i) + 1

    present = [c.name for c in spec.columns if c.name in df.columns]
    factors = sorted(c for c in df.columns if spec.factors and FACTOR_PATTERN.match(str(c)))
    for name in [f for f in factors if f not in spec.factor_scales]:
        factors.remove(name)
        problems.append(Problem(name, "factor_undeclared", None, None,
                                f"a loyalty factor declared in the study ({spec.study} → "
                                f"factors → {name[2:]}: {{scale: 1-5, question: …}}); declared: "
                                + (", ".join(spec.factor_scales) or "none")))
    for c in spec.columns:
        if c.required and c.name not in df.columns:
            problems.append(Problem(c.name, "column_missing", None, None,
                                    f"a column '{c.name}' ({c.expected})"))
    first, last = st.plausible.window(st.timezone)
    out = pd.DataFrame(index=df.index)
    for name in present + factors:
        col = spec.col(name)
        raw = df[name]
        coerced, bad, oob = _coerce(raw, col, st.timezone)
        if col.kind == "int" and is_bool_column(raw):
            problems.append(Problem(name, "dtype", "yes/no values (a boolean column)", None,
                                    f"{col.expected}: the column holds true/false, which would "
                                    f"be stored as 1/0; export '{name}' as numbers"))
            bad = pd.Series(False, index=raw.index)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(name, "type", _plain(raw.iloc[i]), row(i), col.expected))
        if col.kind in ("date", "datetime"):
            end = pd.Timestamp(last) + pd.Timedelta(days=1 + col.ahead_days)
            shown_last = (end - pd.Timedelta(days=1)).date()
            outside = (oob | (coerced.notna() & ((coerced < pd.Timestamp(first))
                                                 | (coerced >= end)))).fillna(False)
            for i in np.flatnonzero(outside.to_numpy(bool)):
                problems.append(Problem(name, "plausible", _plain(raw.iloc[i]), row(i),
                                        _window_text(first, shown_last, st.source)))
            coerced = coerced.mask(outside)
        out[name] = coerced
    # rows repeating an earlier row exactly are one row, not a duplicate id
    repeated = pd.Series(False, index=out.index)
    if spec.key in out.columns and len(out):
        same_key = out[spec.key].duplicated(keep=False) & out[spec.key].notna()
        if same_key.any():  # compare whole rows only where an id repeats
            repeated[same_key] = out[same_key].duplicated(keep="first")
    keyed = out[spec.key] if spec.key in out.columns else None
    # pandera: ranges, codes, nullability, uniqueness, date order
    schema = pandera_schema(spec, list(out.columns))
    try:
        schema.validate(out[~repeated], lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        already = {(p.column, p.row) for p in problems}
        for rec in fc.to_dict("records"):
            check = str(rec.get("check"))
            colname = rec.get("column")
            idx = rec.get("index")
            if check.startswith("dtype(") or check.startswith("coerce_dtype("):
                continue  # reported by the coercion pass
            if colname == spec.name or colname is None or (isinstance(colname, float)):
                colname = None
            r = _row_of(idx, row_numbers)
            value = rec.get("failure_case")
            if check == "not_nullable":
                exp = f"a value ({spec.col(colname).expected})" if colname else "a value"
                if (colname, r) in already:
                    continue
                problems.append(Problem(colname, "empty", None, r, exp))
            elif check in ("field_uniqueness", "unique", "multiple_fields_uniqueness"):
                if keyed is not None and pd.isna(value):
                    continue  # an empty id: reported as empty
                problems.append(Problem(colname, "duplicate", value, r,
                                        f"a unique {colname} (the same {colname} on rows "
                                        "that differ)"))
            elif check == "column_in_dataframe":
                continue
            elif " >= " in check:
                # a row-wise date-order check: pandera lists every column of the row;
                # report it once, on the later column
                late, early = check.split(" >= ")
                if colname != late:
                    continue
                problems.append(Problem(late, "date_order", _plain(value), r,
                                        f"{late} on or after {early} "
                                        f"({_plain(out.loc[int(idx), early])})"))
            else:
                col = spec.col(colname) if colname else None
                exp = col.expected if col is not None else check
                if (colname, r) in already:
                    continue  # e.g. a date outside the window, reported once
                problems.append(Problem(colname, "value", _plain(value), r, exp))
    # responses: a response must carry an answer to the recommendation question
    if table == "responses" and not problems:
        if "nps" not in out.columns and "recommend" not in out.columns:
            problems.append(Problem("nps", "column_missing", None, None,
                                    "a column 'nps' (0–10) or 'recommend' (yes/no)"))
    if problems:
        problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
        raise ValidationError(source, table, problems)
    result = out.loc[~repeated, present + factors].reset_index(drop=True)
    if repeated.any():
        result.attrs["repeated_rows"] = [row(i) for i in np.flatnonzero(repeated.to_numpy(bool))]
    return result


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (pd.Timestamp, _dt.date, np.datetime64)):
        return str(v)
    return v


def table_for_file(name: str) -> str | None:
    """The table a file is named after: ``responses.csv``, ``responses_2026-10.xlsx``."""
    stem = re.split(r"[._\- ]", name.rsplit("/", 1)[-1].lower(), maxsplit=1)[0]
    return stem if stem in TABLES else None


def factor_columns(df: pd.DataFrame) -> list[str]:
    """The loyalty-factor rating columns (``f_<id>``) of a responses frame."""
    return [c for c in df.columns if FACTOR_PATTERN.match(str(c))]


def quarter_of(dates: pd.Series, study=None) -> pd.Series:
    """Calendar quarter labels like ``2026Q3``, of local time: zone-aware values are first
    put in the study's time zone (:func:`local_time`), so 21:30Z on 31 March is 2026Q2 in
    Moscow."""
    dates = pd.to_datetime(dates)
    if getattr(dates.dt, "tz", None) is not None:
        dates = local_time(dates, study)
    return dates.dt.to_period("Q").astype("string")
