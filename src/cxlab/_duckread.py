"""Reading a large CSV or Parquet export with DuckDB: the same typed rows, at the speed of
the engine.

The pandas road (:func:`cxlab.exports._prepare` → :func:`cxlab.schema.validate`) is the
definition of reading an export: it types every value and names every problem with its
file, row, column, value and what was expected. It holds the whole file in pandas and
costs ≈ 14 s and 0.5 GB per million rows. This module is a second road for the common
case, a file with nothing wrong in it:

1. The file is decoded exactly as the pandas road decodes it (one encoding for the whole
   file, :mod:`cxlab._decoding`), written as UTF-8 to a temporary directory, and read by
   DuckDB's ``read_csv`` with every cell as text, in strict mode (a row with too few or
   too many fields, or quotes DuckDB cannot read as RFC 4180, is an error here).
2. Each column is typed in one of two ways, never guessed:

   * **through the pandas road's own code, once per distinct value**: codes, whole
     numbers, yes/no, and dates not in one of the shapes below. The distinct raw texts
     (rarely more than a few thousand) go through the mapping's recodes, the NPS scale
     and :func:`cxlab.schema._coerce` exactly as the pandas road would send them, and the
     typed values become one ``CASE`` in the SQL (no join: the rows keep the file's
     order). Coercion is per value, so this is the same result by construction.
   * **by a strict acceptor in SQL**, for the columns with a distinct value per row:
     ids and text are taken as written only when they start and end with a visible
     character, hold no invisible or no-break character and no control character, and
     are in Unicode NFC (then :func:`cxlab.schema.normalize_id` and ``str.strip`` leave
     them unchanged); dates and times only in the shapes ``dd.mm.yyyy[ hh:mm[:ss]]``
     and ``yyyy-mm-dd[ hh:mm[:ss]]`` (also with ``T``), with two-digit fields, parsed by
     ``strptime`` (31.04 and 24:00 are refused by both roads;
     ``tests/test_duckread.py`` checks every day, month, hour and minute combination
     against pandas); a column whose dates all have one shape is typed by one
     ``strptime``.

   A Parquet file's columns are cast to text and typed the same way, except numbers,
   moments and yes/no in columns of those kinds, which are typed in their own type with
   the pandas road's refusals (:func:`_native`).

3. The table's checks run in SQL: non-empty required cells, codes in the study's list,
   ranges, plausible dates, unique ids, date order, an answer to the recommendation
   question.

**Anything outside** — a value no acceptor takes, a failed check, a DuckDB read error, a
mapping that recodes an id or text column, ids to generate, too many distinct values —
makes :func:`prepare` return ``None``, and the file takes the pandas road, which names
every problem exactly as before. A wrong file is therefore reported by the same code as
always; only a clean file is typed here, and the typed rows equal the pandas road's
(``tests/test_duckread.py`` compares both roads on the test exports and on cell-level
edge cases).

What is kept of a file read this way (:class:`Staged`) is the query that types its rows,
not the rows: every step reads the cells from a Parquet file — the export itself, or for
a CSV its cells as text, copied there once — and :mod:`cxlab.warehouse` inserts the typed
rows straight from it. Ten million rows go from the file to the warehouse without passing
through pandas and without a typed copy (materialising the cells and the typed rows in
DuckDB tables, then a Parquet file of them, took 40 s of a Parquet ingest's 70 that the
floor, one ``CREATE TABLE … AS SELECT * FROM read_parquet``, did in 12 s on the same
machine). The query refuses to run once the file it reads changed (size or modification
time). DuckDB's memory is limited (:data:`MEMORY_LIMIT`) and spills to the temporary
directory.

Which road: ``CXLAB_INGEST_ENGINE`` = ``auto`` (default: this road for CSV and Parquet
files of at least :data:`AUTO_MIN_BYTES`), ``duckdb`` (every CSV and Parquet file; ``make
test`` runs the ingest tests this way too) or ``pandas`` (never).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import schema

#: CSV and Parquet files from this size take the DuckDB road under ``auto`` (smaller ones are read
#: faster by pandas than a DuckDB database can be created).
AUTO_MIN_BYTES = 8 << 20
#: DuckDB's memory while reading (it spills to the temporary directory beyond it).
MEMORY_LIMIT = "1GB"
#: A column typed value by value through pandas may have this many distinct texts (they
#: become one ``CASE`` in the SQL that types the column; more go the pandas road).
MAX_DISTINCT = 2_000

#: Characters an id or text must not hold to be taken as written: controls, format
#: characters (the invisible ones :data:`cxlab.schema.INVISIBLE` are format characters),
#: private use, and the no-break spaces normalize_id turns into spaces.
_INNER = r"[^\pC\x{00a0}\x{202f}\x{2007}]"
#: First and last character: a letter, digit, punctuation or symbol (no kind of space).
_EDGE = r"[\pL\pN\pP\pS]"
_PLAIN_RE = f"{_EDGE}({_INNER}*{_EDGE})?"
#: The same for ASCII text (as many bytes as characters): printable, no space at either end.
_ASCII_RE = "[!-~]([ -~]*[!-~])?"

def _plain(c: str) -> str:
    """SQL: the text in ``c`` is what :func:`cxlab.schema.normalize_id` and ``str.strip``
    make of it. Printable ASCII needs only no space at either end (no ASCII character
    is invisible, and a space is the only printable one ``strip`` removes), one regular
    expression (:data:`_ASCII_RE`); other text needs :data:`_PLAIN_RE` and NFC."""
    return (f"CASE WHEN strlen({c}) = length({c}) THEN regexp_full_match({c}, "
            f"{_lit(_ASCII_RE)}) ELSE regexp_full_match({c}, {_lit(_PLAIN_RE)}) AND "
            f"nfc_normalize({c}) = {c} END")


#: Date shapes typed in SQL (regex, strptime format); every other written date goes
#: through pandas value by value.
DATE_SHAPES = (
    (r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}", "%d.%m.%Y"),
    (r"[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}", "%d.%m.%Y %H:%M"),
    (r"[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}", "%d.%m.%Y %H:%M:%S"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M:%S"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M:%S"),
)

#: Rows per row group of the cells' Parquet copy. Below DuckDB's own row group (122,880
#: rows), so that the warehouse's insert writes the rows as it reads them: with the
#: default (≈ 125,000), ten million rows took 7–11 s more, spent in the CHECKPOINT after
#: the insert (benchmarks/README.md, "Scale").
_ROW_GROUP = 100_000

_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "code": "VARCHAR", "int": "BIGINT",
          "bool": "BOOLEAN", "date": "TIMESTAMP", "datetime": "TIMESTAMP"}


def engine() -> str:
    """``auto``, ``duckdb`` or ``pandas``: ``CXLAB_INGEST_ENGINE`` (default ``auto``)."""
    value = os.environ.get("CXLAB_INGEST_ENGINE", "auto").strip().lower() or "auto"
    return value if value in ("auto", "duckdb", "pandas") else "auto"


def wanted(path: Path) -> bool:
    """Whether a file takes the DuckDB road first (see the module docstring)."""
    from cxlab.exports import CSV_SUFFIXES, PARQUET_SUFFIXES

    how = engine()
    if how == "pandas" or path.suffix.lower() not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        return False
    try:
        return how == "duckdb" or path.stat().st_size >= AUTO_MIN_BYTES
    except OSError:
        return False


@dataclass
class Staged:
    """A file read on the DuckDB road: the query that types its rows, checked.

    ``query`` is a ``SELECT`` of the typed rows, the columns named as :attr:`columns`
    (in the order :func:`cxlab.schema.validate` returns them), the rows in the file's
    order. It reads a Parquet file by its absolute path: the export itself, or for a CSV
    the file's cells as text, copied once to Parquet in a temporary directory. So any
    DuckDB connection can run it, and the warehouse's inserts the rows straight from
    there, after the DuckDB that checked them is gone: no copy of the typed rows is
    made (materialising them cost more than the read itself at ten million rows).
    ``source`` is the file the query reads with its size and modification time when it
    was checked: :meth:`select` refuses it once it changed. ``file`` is the file's
    position in an ingest batch (set by :func:`cxlab.warehouse.ingest`). The temporary
    directory goes with :meth:`close` (or with the object).
    """

    query: str
    columns: list[str]
    rows: int
    source: tuple[str, int, int] = ("", 0, 0)
    file: int = 0
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def select(self) -> str:
        """``SELECT`` the typed rows; :class:`cxlab.errors.ReadError` when the file it
        reads changed since it was checked."""
        from cxlab.errors import ReadError

        name, size, mtime = self.source
        if name and _stamp(Path(name)) != (size, mtime):
            raise ReadError(f"{name}: the file changed while it was being ingested; "
                            "nothing was written, run the ingest again")
        return self.query

    def to_pandas(self) -> pd.DataFrame:
        """The rows as the pandas road returns them (string, Int64, datetime64[ns],
        boolean columns; index 0…n−1)."""
        from cxlab.warehouse import _to_pandas

        con = _connect(Path(self._tmp.name) if self._tmp else None)
        try:
            return _to_pandas(con.sql(self.select()).to_arrow_table())
        finally:
            con.close()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _stamp(path: Path) -> tuple[int, int]:
    """(size, modification time in ns) of a file; (-1, -1) when it is gone."""
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


class _Refused(Exception):
    """The file is not for this road (the reason is kept for the tests)."""


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _connect(work: Path | None):
    """An in-memory DuckDB with :data:`MEMORY_LIMIT`, spilling under ``work``."""
    import duckdb

    config = {"memory_limit": MEMORY_LIMIT}
    if work is not None:
        config["temp_directory"] = str(work / "spill")
    return duckdb.connect(config=config)


def _cells(text: Path, sep: str | None, skip: int, width: int, native=()) -> str:
    """The file's data rows, every cell as text (NULL when empty), in the file's order.

    A CSV's rows with nothing in them are dropped, as pandas drops them (a row of spaces
    is not empty here: the acceptors refuse it, and the file takes the pandas road). A
    Parquet file (``sep`` None) keeps every row, as the pandas road does; its columns
    are cast to text (:data:`PARQUET_TYPES` says which types may be), except the
    ``native`` ones: numbers, moments and yes/no in columns of that kind, typed directly.
    """
    if sep is None:
        return ("SELECT " + ", ".join(f"#{i + 1} AS c{i}" if i in native else
                                      f"nullif(CAST(#{i + 1} AS VARCHAR), '') AS c{i}"
                                      for i in range(width))
                + f" FROM read_parquet({_lit(str(text))})")
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    cells = [f"nullif(c{i}, '')" for i in range(width)]
    blank = " AND ".join(f"{c} IS NULL" for c in cells) or "false"
    return ("SELECT " + ", ".join(f"{c} AS c{i}" for i, c in enumerate(cells))
            + f" FROM read_csv({_lit(str(text))}, delim={_lit(sep)}, quote='\"', escape='\"', "
            f"header=true, skip={skip}, auto_detect=false, columns={cols}, strict_mode=true, "
            f"null_padding=false, all_varchar=true) WHERE NOT ({blank})")


#: Parquet number types (a whole-number column of these is typed directly).
NUMBERS = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
           "UTINYINT", "DOUBLE", "FLOAT")
#: Whole numbers from 2**53 on are refused, as the pandas road refuses them
#: (:data:`cxlab.schema._MAX_WHOLE`).
_MAX_WHOLE = "9007199254740992"

#: Parquet column types the DuckDB road casts to text and types like a CSV's cells: for
#: ids and text only text and whole numbers (a float id 12.0 is "12" on the pandas road,
#: "12.0" as text); for the other columns numbers, yes/no, dates and naive timestamps
#: too (a value whose text reads differently, such as NaN, is refused). Other types, zoned
#: timestamps among them, go the pandas road.
PARQUET_TYPES = {
    "id": ("VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER",
           "USMALLINT", "UTINYINT"),
    "other": ("VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER",
              "USMALLINT", "UTINYINT", "DOUBLE", "FLOAT", "BOOLEAN", "DATE", "TIMESTAMP",
              "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
}


def _parquet_columns(path: Path) -> tuple[list[str], list[str]]:
    """(column names, DuckDB types) of a Parquet file."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
    except duckdb.Error as err:
        raise _Refused(f"DuckDB: {err}") from None
    finally:
        con.close()
    return [str(r[0]) for r in rows], [str(r[1]) for r in rows]


def _transcode(path: Path, enc: str, out: Path) -> None:
    """The file decoded with ``enc`` and written as UTF-8 (line ends kept)."""
    with open(path, encoding=enc, newline="") as src, \
            open(out, "w", encoding="utf-8", newline="") as dst:
        shutil.copyfileobj(src, dst, 1 << 24)


def _header(first: str, sep: str) -> list[str]:
    """The header line's names, as pandas reads them (standard CSV quoting)."""
    if first.count('"') % 2:
        raise _Refused("a header with an unbalanced quote")
    rows = list(csv.reader([first], delimiter=sep, quotechar='"', doublequote=True))
    if len(rows) != 1:
        raise _Refused("a header over several lines")
    return rows[0]


def prepare(path: Path, source: str, tname: str, spec: schema.Table, m, nps_scale,
            encoding, sep, st, stage=None):
    """The file read on the DuckDB road → ``(Staged, FileReport)``, or ``None`` when the
    file must take the pandas road (see the module docstring)."""
    try:
        return _prepare(path, source, tname, spec, m, nps_scale, encoding, sep, st, stage)
    except _Refused:
        return None


def _prepare(path, source_name, tname, spec, m, nps_scale, encoding, sep, st, stage):
    import duckdb

    from cxlab.exports import (
        FileReport,
        _absent_headers,
        _canonical_columns,
        _csv_head,
        _mapping_problems,
        _norm,
        _nps_scale_warnings,
    )
    from cxlab.exports import PARQUET_SUFFIXES

    if any(_known(spec, c) and spec.col(c).kind in ("id", "text") for c in m.values):
        raise _Refused("the mapping recodes an id or text column")
    if any(_norm(k) == "" for table in m.values.values() for k in table):
        raise _Refused("the mapping recodes empty cells")
    if stage:
        stage("reading")
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    if parquet:
        enc, sep, skip = None, None, 0
        headers, types = _parquet_columns(path)
    else:
        enc, sep, skip, first = _csv_head(path, encoding, sep)
        headers = _header(first, sep)
    names, problems, ignored = _canonical_columns(headers, spec, m.columns)
    key = spec.key
    generate = m.ids.get(key) == "generate" or (tname == "responses" and key not in names
                                                and key not in m.constants)
    if problems or generate or _mapping_problems(names, spec, m, generate):
        raise _Refused("header problems or generated ids")
    present = [c.name for c in spec.columns if c.name in names or c.name in m.constants]
    factors = sorted(c for c in set(names) | set(m.constants)
                     if spec.factors and schema.FACTOR_PATTERN.match(str(c)))
    if any(f not in (spec.factor_scales or {}) for f in factors):
        raise _Refused("an undeclared factor")
    if any(c.required and c.name not in present for c in spec.columns):
        raise _Refused("a required column is missing")
    if tname == "responses" and not {"nps", "recommend"} & set(present):
        raise _Refused("no recommendation question")
    if nps_scale is not None and "nps" not in present:
        raise _Refused("a scale without an nps column")
    native: dict[str, str] = {}  # Parquet columns typed in their own type
    if parquet:
        for name, t in zip(names, types):
            if name in ignored:
                continue
            kind = spec.col(name).kind
            allowed = PARQUET_TYPES["id" if kind in ("id", "text") else "other"]
            if not any(t == a or t.startswith(a + "(") for a in allowed):
                raise _Refused(f"{name}: a Parquet column of type {t}")
            if name in m.values or (name == "nps" and nps_scale is not None):
                continue  # recoded or rescaled: as text, through the pandas road's code
            if (kind == "int" and t in NUMBERS) or (kind == "bool" and t == "BOOLEAN") or (
                    kind in ("date", "datetime") and (t.startswith("TIMESTAMP") or t == "DATE")):
                native[name] = t

    tmp = tempfile.TemporaryDirectory(prefix="cxlab-read-")
    try:
        work = Path(tmp.name)
        con = _connect(work)
        try:
            cells = tuple(i for i, n in enumerate(names) if n in native)
            if parquet:
                source = path.resolve()
                raw = _cells(source, None, 0, len(headers), cells)
            else:
                # the cells as text, once, in a Parquet file: every later step (the
                # acceptors, the distinct values, the checks, the warehouse's insert)
                # reads its columns from there instead of parsing the CSV again
                text = path if enc == "utf-8" else work / "utf8.csv"
                if text != path:
                    _transcode(path, enc, text)
                source = work / "cells.parquet"
                con.execute(f"COPY ({_cells(text, sep, skip, len(headers))}) TO "
                            f"{_lit(str(source))} (FORMAT parquet, ROW_GROUP_SIZE "
                            f"{_ROW_GROUP})")
                if text != path:
                    text.unlink()  # the UTF-8 copy is read
                raw = f"SELECT * FROM read_parquet({_lit(str(source))})"
            stamp = _stamp(source)
            con.execute(f"CREATE TEMP VIEW raw AS {raw}")
            rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
            if stage:
                stage("validating")
            columns = present + factors
            exprs = _typing(con, names, spec, m, nps_scale, st, columns, native)
            query = ("SELECT " + ", ".join(f"{e} AS {_q(c)}" for e, c in zip(exprs, columns))
                     + f" FROM ({raw})")
            con.execute(f"CREATE TEMP VIEW typed AS {query}")
            written = [n for n in columns if n not in m.constants and n not in native
                       and spec.col(n).kind in ("id", "text")]
            counts = _check(con, spec, tname, columns, st, nps_scale is None, written)
        except duckdb.Error as err:
            raise _Refused(f"DuckDB: {err}") from None
        finally:
            con.close()
        if _stamp(source) != stamp:
            raise _Refused("the file changed while it was read")
        warnings = _absent_headers(headers, m)
        if "nps" in columns and nps_scale is None:
            warnings += _nps_scale_warnings(counts)
        report = FileReport(source_name, tname, rows, [], None, ignored, enc, sep, warnings,
                            None)
        return Staged(query, columns, rows, (str(source), *stamp), _tmp=tmp), report
    except BaseException:
        tmp.cleanup()
        raise


def _known(spec, column) -> bool:
    try:
        spec.col(column)
        return True
    except KeyError:
        return False


def _pandas_cells(values: pd.Series, name: str, col: schema.Col, m, nps_scale, st):
    """Distinct raw texts → typed values through the pandas road's own steps (recode,
    NPS scale, coercion, the column's checks); :class:`_Refused` at any problem."""
    from cxlab.exports import _apply_scale, _recode

    df = pd.DataFrame({name: values.fillna("").astype(object)})
    if name in m.values:
        _recode(df, {name: m.values[name]})
    s = df[name]
    if name == "nps" and nps_scale is not None:
        s, probs = _apply_scale(s, nps_scale, pd.Series(np.arange(1, len(s) + 1)), "nps")
        if probs:
            raise _Refused("a value outside the NPS scale")
    typed, bad, oob = schema._coerce(s, col, st.timezone)
    if bad.any() or oob.any():
        raise _Refused(f"{name}: a value that does not parse")
    if col.kind in ("date", "datetime") and (typed.dt.nanosecond.fillna(0) != 0).any():
        raise _Refused(f"{name}: nanoseconds, which DuckDB's timestamps do not hold")
    filled = typed.notna()
    if col.kind == "code" and col.codes and not typed[filled].isin(col.codes).all():
        raise _Refused(f"{name}: a code not in the list")
    if col.kind == "int" and col.lo is not None and (
            (typed[filled] < col.lo) | (typed[filled] > col.hi)).any():
        raise _Refused(f"{name}: a number outside the range")
    return typed


def _typing(con, names, spec, m, nps_scale, st, columns, native=None) -> list[str]:
    """One SQL expression per column over the cells ``c<i>`` typing it (see the module
    docstring); :class:`_Refused` when a value is not for this road.

    Two scans of ``raw``: one counts the values each date acceptor refuses and the
    distinct values of the other columns, one lists those distinct values (the id and
    text columns' acceptors run in :func:`_check`'s scan).
    """
    from cxlab.exports import _cell

    native = native or {}
    where = {n: f"c{i}" for i, n in enumerate(names)}
    exprs: dict[str, str] = {}
    checks: list[tuple[str, int, str]] = []  # (SQL count, most allowed, why refused)
    lists = {}  # columns whose distinct values go through the pandas road's code
    for name in columns:
        col = spec.col(name)
        if name in m.constants:
            typed = _pandas_cells(pd.Series([_cell(m.constants[name])]), name, col, m,
                                  nps_scale, st)
            exprs[name] = _typed_literal(typed.iloc[0], col.kind)
            continue
        c = where[name]
        if name in native:
            exprs[name] = _native(c, col, native[name], checks, name)
            continue
        if col.kind in ("id", "text"):  # taken as written: _check runs its acceptor
            exprs[name] = c
            continue
        shapes = DATE_SHAPES if col.kind in ("date", "datetime") else ()
        one = _one_shape(con, c) if shapes else None
        if one is not None:  # every date in one shape: strptime alone types the column
            rx, fmt = one
            parsed = f"try_strptime({c}, {_lit(fmt)})"
            if col.kind == "date":
                parsed = f"date_trunc('day', {parsed})"
            exprs[name] = f"CAST({parsed} AS TIMESTAMP)"
            continue
        shaped = " OR ".join(f"regexp_full_match({c}, {_lit(rx)})" for rx, _ in shapes)
        if shapes:
            parsed = "CASE " + " ".join(f"WHEN regexp_full_match({c}, {_lit(rx)}) THEN "
                                        f"try_strptime({c}, {_lit(fmt)})"
                                        for rx, fmt in shapes) + " END"
            checks.append((f"count(*) FILTER (WHERE ({shaped}) AND {parsed} IS NULL)", 0,
                           f"{name}: a date that does not exist"))
            other = f"{c} IS NOT NULL AND NOT ({shaped})"
        else:
            parsed, other = None, f"{c} IS NOT NULL"
        checks.append((f"approx_count_distinct({c}) FILTER (WHERE {other})", MAX_DISTINCT,
                       f"{name}: too many distinct values"))
        lists[name] = (c, other, parsed, col)
    if checks:
        found = con.execute("SELECT " + ", ".join(sql for sql, _, _ in checks)
                            + " FROM raw").fetchall()[0]
        for (_, most, why), n in zip(checks, found):
            if n is not None and n > most:
                raise _Refused(why)
    counted = dict(zip([sql for sql, _, _ in checks], found)) if checks else {}
    listed = [name for name, (c, other, _, _) in lists.items()  # with values to type
              if counted.get(f"approx_count_distinct({c}) FILTER (WHERE {other})", 1)]
    distinct = {}
    if listed:
        got = con.execute("SELECT " + ", ".join(
            f"list(DISTINCT {lists[n][0]}) FILTER (WHERE {lists[n][1]})" for n in listed)
            + " FROM raw").fetchall()[0]
        distinct = dict(zip(listed, got))
    for name, (c, _other, parsed, col) in lists.items():
        values = distinct.get(name)
        values = values or []
        if len(values) > MAX_DISTINCT:
            raise _Refused(f"{name}: too many distinct values")
        if values:
            typed = _pandas_cells(pd.Series(values, dtype=object), name, col, m, nps_scale, st)
            whens = " ".join(f"WHEN {_lit(v)} THEN {_typed_literal(t, col.kind)}"
                             for v, t in zip(values, typed.tolist()))
            looked = f"CASE {c} {whens} END"
        else:
            looked = "NULL"
        if parsed is not None:
            if col.kind == "date":
                parsed = f"date_trunc('day', {parsed})"
            expr = (f"CASE WHEN {c} IS NULL THEN NULL WHEN {parsed} IS NOT NULL THEN "
                    f"CAST({parsed} AS TIMESTAMP) ELSE {looked} END")
        else:
            expr = looked
        exprs[name] = f"CAST({expr} AS {_TYPES[col.kind]})"
    return [exprs[name] for name in columns]


def _native(c: str, col: schema.Col, t: str, checks: list, name: str) -> str:
    """A Parquet column typed in its own type, as the pandas road types it: whole numbers
    (a NaN is empty; a fraction, an infinity or 2**53 and more refused; the column's
    range), moments (naive; nanoseconds that microseconds cannot hold refused; a
    ``date`` column at midnight), yes/no as they are."""
    if col.kind == "int":
        value = f"CASE WHEN isnan({c}) THEN NULL ELSE {c} END" if t in ("DOUBLE", "FLOAT") \
            else c
        checks.append((f"count(*) FILTER (WHERE NOT (abs({value}) < {_MAX_WHOLE}) "
                       f"OR {value} <> round({value}))", 0,
                       f"{name}: not a whole number below 2**53"))
        if col.lo is not None:
            checks.append((f"count(*) FILTER (WHERE {value} < {col.lo:g} OR {value} > "
                           f"{col.hi:g})", 0, f"{name}: a number outside the range"))
        return f"CAST({value} AS BIGINT)"
    if col.kind in ("date", "datetime"):
        if t == "TIMESTAMP_NS":
            checks.append((f"count(*) FILTER (WHERE epoch_ns({c}) % 1000 <> 0)", 0,
                           f"{name}: nanoseconds, which DuckDB's timestamps do not hold"))
        value = f"CAST({c} AS TIMESTAMP)"
        return f"date_trunc('day', {value})" if col.kind == "date" else value
    return f"CAST({c} AS BOOLEAN)"


def _one_shape(con, c: str) -> tuple[str, str] | None:
    """The date shape of :data:`DATE_SHAPES` every written date of column ``c`` has, each
    a day that exists (checked in one scan), or None."""
    first = con.execute(f"SELECT {c} FROM raw WHERE {c} IS NOT NULL LIMIT 1").fetchall()
    if not first:
        return None
    shape = next(((rx, fmt) for rx, fmt in DATE_SHAPES if re.fullmatch(rx, first[0][0])),
                 None)
    if shape is None:
        return None
    rx, fmt = shape
    n = con.execute(f"SELECT count(*) FILTER (WHERE {c} IS NOT NULL AND NOT "
                    f"(regexp_full_match({c}, {_lit(rx)}) AND try_strptime({c}, {_lit(fmt)}) "
                    "IS NOT NULL)) FROM raw").fetchall()[0][0]
    return shape if n == 0 else None


def _typed_literal(v, kind: str) -> str:
    """A typed value as a SQL literal of the column's type."""
    sqltype = _TYPES[kind]
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return f"CAST(NULL AS {sqltype})"
    if kind in ("date", "datetime"):
        return f"TIMESTAMP {_lit(pd.Timestamp(v).isoformat(sep=' '))}"
    if kind == "bool":
        return "true" if bool(v) else "false"
    if kind == "int":
        return f"CAST({int(v)} AS BIGINT)"
    return f"CAST({_lit(str(v))} AS VARCHAR)"


def _check(con, spec: schema.Table, tname: str, columns: list[str], st,
           nps_counts: bool = False, written: list[str] = ()) -> dict:
    """The table's checks on the view ``typed`` (see :func:`cxlab.schema.validate`), in
    one scan, with the acceptor of each id and text column taken as written
    (``written``, :func:`_plain`): refused when one fails, so the pandas road names it.
    Returns the count of each NPS score when ``nps_counts`` (for the scale warnings),
    else ``{}``."""
    conds = [f"{_q(n)} IS NOT NULL AND NOT {_plain(_q(n))}" for n in written]
    first, last = st.plausible.window(st.timezone)
    for name in columns:
        col = spec.col(name)
        q = _q(name)
        if not col.nullable:
            conds.append(f"{q} IS NULL")
        if col.kind in ("date", "datetime"):
            end = pd.Timestamp(last) + pd.Timedelta(days=1 + col.ahead_days)
            lo = max(pd.Timestamp(first), schema.NS_FIRST_DAY)
            hi = min(end, schema.NS_END)
            conds.append(f"({q} < TIMESTAMP {_lit(str(lo))} OR {q} >= TIMESTAMP {_lit(str(hi))})")
    for early, late in spec.date_order:
        if early in columns and late in columns:
            conds.append(f"{_q(late)} < {_q(early)}")
    answered = [c for c in ("nps", "recommend") if c in columns]
    checks = [f"count(*) FILTER (WHERE {c})" for c in conds]
    checks.append(f"count(*) - count(DISTINCT {_q(spec.key)})")
    if tname == "responses":
        checks.append("CASE WHEN count(*) > 0 AND "
                      + " + ".join(f"count({_q(c)})" for c in answered) + " = 0 THEN 1 ELSE 0 END")
    found = con.execute(f"SELECT {', '.join(checks)} FROM typed").fetchall()[0]
    if any(found):
        raise _Refused("a check failed")
    if not (nps_counts and "nps" in columns):
        return {}
    return dict(con.execute("SELECT nps, count(*) FROM typed WHERE nps IS NOT NULL "
                            "GROUP BY nps").fetchall())


__all__ = ["Staged", "engine", "prepare", "wanted", "DATE_SHAPES"]
