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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cxlab.errors import Problem, ValidationError

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
                Col("deadline_at", "datetime", required=False, nullable=True),
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


def _parse_datetimes(s: pd.Series, dayfirst: bool | None) -> pd.Series:
    """ISO first, then dd.mm.yyyy (Russian tools), per value, never guessing mm/dd."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
        if getattr(s.dt, "tz", None) is not None:
            out = s.dt.tz_convert(None)
        return out.astype("datetime64[ns]")
    text = s.astype("string").str.strip()
    # ISO first, then the day-first formats of Russian tools; each format only parses
    # what the earlier ones left, so a clean ISO column is parsed once.
    formats = ["ISO8601", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y",
               "%d.%m.%y"]
    if dayfirst:
        formats = formats[1:] + formats[:1]
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = text.notna() & (text != "")
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], errors="coerce", format=fmt)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        parsed = parsed.astype("datetime64[ns]")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok]
        todo.loc[ok[ok].index] = False
    return out


def _empty(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.isna() | (s.astype("string").str.strip() == "")
    return s.isna()


def coerce_column(s: pd.Series, col: Col) -> tuple[pd.Series, pd.Series]:
    """Coerce one column to its type. Returns (coerced, mask of values that did not parse)."""
    empty = _empty(s)
    if col.kind in ("id", "text", "code"):
        out = s.astype("string").str.strip()
        if col.kind == "code" and col.codes:
            # codes match regardless of case ('Phone' is phone); unknown codes stay as
            # written and fail the code-list check
            canon = {c.casefold(): c for c in col.codes}
            out = out.map(lambda v: canon.get(v.casefold(), v) if isinstance(v, str) else v,
                          na_action="ignore").astype("string")
        if col.kind == "id" and pd.api.types.is_float_dtype(s):
            # ids read as floats from a spreadsheet (12.0) are whole numbers
            whole = s.dropna() == np.floor(s.dropna())
            if whole.all():
                out = s.astype("Int64").astype("string")
        out = out.mask(empty, pd.NA)
        return out, pd.Series(False, index=s.index)
    if col.kind == "int":
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("string").str.strip().str.replace(",", ".", regex=False)
            num = pd.to_numeric(text, errors="coerce")
        else:
            num = pd.to_numeric(s, errors="coerce")
        num = num.astype("Float64")
        frac = num.notna() & (num != num.round())
        bad = (~empty & num.isna()) | frac
        out = num.mask(bad | empty).round().astype("Int64")
        return out, bad.fillna(False).astype(bool)
    if col.kind in ("date", "datetime"):
        out = _parse_datetimes(s, dayfirst=None)
        bad = ~empty & out.isna()
        if col.kind == "date":
            out = out.dt.normalize()
        return out, bad
    if col.kind == "bool":
        vals, bad = [], []
        for v in s.tolist():
            try:
                vals.append(_parse_bool(v))
                bad.append(False)
            except ValueError:
                vals.append(pd.NA)
                bad.append(True)
        return pd.Series(vals, index=s.index, dtype="boolean"), pd.Series(bad, index=s.index)
    raise ValueError(f"unknown column kind {col.kind!r}")


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
        Whose code lists, segments and factor scales apply (default:
        :func:`cxlab.study.default_study`).

    Returns
    -------
    DataFrame
        The table's known columns (and factor columns) in schema order, typed; unknown
        columns are dropped.
    """
    if table not in TABLES:
        raise ValidationError(source, table, [Problem(None, "table", table, None,
                                                      "one of " + ", ".join(TABLES))])
    spec = resolve_table(table, study)
    df = df.reset_index(drop=True)
    problems: list[Problem] = []

    def row(i: int) -> int:
        return int(row_numbers.iloc[i]) if row_numbers is not None else i + 1

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
    out = pd.DataFrame(index=df.index)
    for name in present + factors:
        col = spec.col(name)
        coerced, bad = coerce_column(df[name], col)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(name, "type", df[name].iloc[i], row(i), col.expected))
        out[name] = coerced
    # pandera: ranges, codes, nullability, uniqueness, date order
    schema = pandera_schema(spec, list(out.columns))
    try:
        schema.validate(out, lazy=True)
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
                problems.append(Problem(colname, "duplicate", value, r,
                                        f"a unique {colname}"))
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
                problems.append(Problem(colname, "value", _plain(value), r, exp))
    # responses: a response must carry an answer to the recommendation question
    if table == "responses" and not problems:
        if "nps" not in out.columns and "recommend" not in out.columns:
            problems.append(Problem("nps", "column_missing", None, None,
                                    "a column 'nps' (0–10) or 'recommend' (yes/no)"))
    if problems:
        problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
        raise ValidationError(source, table, problems)
    return out[present + factors]


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return str(v)
    return v


def table_for_file(name: str) -> str | None:
    """The table a file is named after: ``responses.csv``, ``responses_2026-10.xlsx``."""
    stem = re.split(r"[._\- ]", name.rsplit("/", 1)[-1].lower(), maxsplit=1)[0]
    return stem if stem in TABLES else None


def factor_columns(df: pd.DataFrame) -> list[str]:
    """The loyalty-factor rating columns (``f_<id>``) of a responses frame."""
    return [c for c in df.columns if FACTOR_PATTERN.match(str(c))]


def quarter_of(dates: pd.Series) -> pd.Series:
    """Calendar quarter labels like ``2026Q3``."""
    return pd.to_datetime(dates).dt.to_period("Q").astype("string")
