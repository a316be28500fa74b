"""Report sections and what each needs from the warehouse.

A team's warehouse holds what its exports hold: a survey-only team has ``responses`` and
nothing else; another has no loyalty factors, no segments or no client ids. Each report
section (one notebook) declares what it needs (:data:`SECTIONS`); :func:`inspect` reads
what a warehouse holds (table names, columns, whether a column has any value) without
loading rows, and :func:`missing` says, for one section, everything it lacks — all at
once, so a user never learns of missing tables one 40-second run at a time.

A reason is a :class:`Lack`: a message key of the catalogue (``left.no_table``) and its
fields, worded in the report language by :meth:`Lack.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cxlab import i18n

__all__ = ["Needs", "Lack", "Holdings", "SECTIONS", "inspect", "missing"]


@dataclass(frozen=True)
class Needs:
    """What a section needs.

    tables : tables that must exist (with at least one row)
    columns : table → columns that must exist and hold at least one value
    factors : how many of the study's loyalty factors must have answers in ``responses``
    segments : how many of the study's segment columns must have values in ``responses``
    client_ids : do responses need client ids (cohorts, follow-ups)?
    themes : does the study need theme lemmas (its factors' or its own ``themes:``)?
    """

    tables: tuple[str, ...] = ("responses",)
    columns: dict = field(default_factory=dict)
    factors: int = 0
    segments: int = 0
    client_ids: bool = False
    themes: bool = False


#: The report's sections in the order the quarter's index lists them.
SECTIONS: dict[str, Needs] = {
    "quarterly_report": Needs(),
    "nps_overview": Needs(),
    "drivers": Needs(columns={"responses": ("nps",)}, factors=2),
    "segments": Needs(segments=1),
    "cohorts": Needs(tables=("responses", "clients", "visits"), columns={"responses": ("nps",)},
                     client_ids=True),
    "complaints": Needs(tables=("responses", "complaints")),
    "voice": Needs(columns={"responses": ("comment",)}, themes=True),
}


@dataclass(frozen=True)
class Lack:
    """One reason a section cannot run: a catalogue key and its fields."""

    key: str
    fields: dict = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return i18n.t(f"left.{self.key}", lang, **self.fields)

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Holdings:
    """What a warehouse holds: per table, its row count and the columns with a value."""

    path: Path
    rows: dict  # table → number of rows
    filled: dict  # table → set of columns holding at least one non-empty value

    def has(self, table: str) -> bool:
        return self.rows.get(table, 0) > 0

    def has_column(self, table: str, column: str) -> bool:
        return column in self.filled.get(table, ())


def inspect(warehouse, quarter: str | None = None) -> Holdings:
    """Tables, row counts and filled columns of a warehouse, from one SQL pass per table
    (``count(col)`` counts non-null values; no row is loaded).

    With ``quarter``, the survey answers are those of that quarter: a section whose factors
    or segments were not asked that quarter is left out of its report, with the reason.
    Other tables count whole (a quarter without complaints is shown as such).
    """
    from cxlab import io, schema

    path = io._warehouse_path(warehouse)
    con = io.connect(path)
    try:
        rows, filled = {}, {}
        for table in schema.TABLES:
            cols = io._existing_columns(con, table)
            if cols is None:
                continue
            where, params = "", []
            if quarter is not None and table == "responses":
                start, end = io.parse_quarter(quarter)
                where = " WHERE submitted_at >= ? AND submitted_at < ?"
                params = [start.to_pydatetime(), end.to_pydatetime()]
            counts = con.execute(
                "SELECT count(*), " + ", ".join(f"count({io._q(c)})" for c in cols)
                + f" FROM {io._q(table)}{where}", params).fetchone()
            rows[table] = int(counts[0])
            filled[table] = {c for c, k in zip(cols, counts[1:]) if k}
    finally:
        con.close()
    return Holdings(path, rows, filled)


def missing(section: str, holdings: Holdings, study) -> list[Lack]:
    """Everything ``section`` lacks in ``holdings`` (empty when it can run).

    Sections not in :data:`SECTIONS` (an analyst's own notebook) need ``responses``.
    """
    needs = SECTIONS.get(section, Needs())
    lacks = []
    for table in needs.tables:
        if table not in holdings.rows:
            lacks.append(Lack("no_table", {"table": table}))
        elif not holdings.has(table):
            lacks.append(Lack("empty_table", {"table": table}))
    for table, cols in needs.columns.items():
        for c in cols:
            if holdings.has(table) and not holdings.has_column(table, c):
                lacks.append(Lack("no_column", {"table": table, "column": c}))
    if needs.client_ids and holdings.has("responses") \
            and not holdings.has_column("responses", "client_id"):
        lacks.append(Lack("no_client_ids", {}))
    if needs.factors:
        have = [c for c in study.factor_columns if holdings.has_column("responses", c)]
        if len(have) < needs.factors:
            lacks.append(Lack("few_factors", {"k": len(have), "need": needs.factors}))
    if needs.segments:
        have = [s for s in study.segments if holdings.has_column("responses", s)]
        if len(have) < needs.segments:
            lacks.append(Lack("no_segments", {}))
    if needs.themes and not any(f.themes for f in study.factors.values()) \
            and not getattr(study, "themes", None):
        lacks.append(Lack("no_themes", {}))
    return lacks
