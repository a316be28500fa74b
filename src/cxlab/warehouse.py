"""The warehouse: where validated exports are kept (DuckDB by default).

Warehouse (:func:`ingest`, :func:`load`, :func:`query`, :func:`quarters`)
    A DuckDB file (default :func:`cxlab.paths.default_warehouse`, ``data/warehouse.duckdb``).
    :func:`ingest` validates every file first, then appends all of them in one
    transaction: one bad file leaves the warehouse exactly as it was. Ingest is
    idempotent: rows whose id is already stored are skipped. A row whose id is stored
    with *different* content is not applied either (the warehouse keeps the first
    version, an export is never silently "corrected"); it is counted in
    :attr:`IngestResult.conflicts` with example ids, or, with ``on_conflict="error"``,
    the whole batch is refused. Tables are created with the study's columns (its
    segments on responses and visits) and gain a column when a new segment or factor
    first arrives. Aggregations are SQL pushed down to DuckDB
    (:func:`query`); :func:`load` returns the typed rows a notebook needs.

Quarters are calendar quarters written ``2026Q3``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import paths as _paths
from cxlab import schema
from cxlab.errors import (
    CxlabError,
    Problem,
    QuarterError,
    ReadError,
    ValidationError,
    WarehouseError,
)
from cxlab.exports import ExportMapping, FileReport, _prepare, _source_path, read_mapping

__all__ = ["IngestResult", "ingest", "build_sample_warehouse", "connect", "load", "query",
           "quarters", "latest_quarter", "parse_quarter", "headline"]

#: DuckDB column types per schema column kind.
DUCKDB_TYPES = {
    "id": "VARCHAR", "text": "VARCHAR", "code": "VARCHAR", "int": "INTEGER",
    "bool": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP",
}

INGEST_LOG = "_ingest_log"
_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")



# ============================================================================ warehouse

class IngestResult(dict):
    """Rows added per table (a dict ``{table: rows_added}``), with what was skipped.

    Attributes
    ----------
    duplicates : dict
        Per table, rows skipped because the same row (same id, same content) is already
        stored or occurs earlier in the batch: re-ingesting an export adds nothing.
    conflicts : dict
        Per table, rows skipped because their id is stored (or earlier in the batch)
        with different content; the warehouse keeps the first version.
    conflict_ids : dict
        Per table, up to 10 example ids of those conflicts.
    files : list of FileReport
        One per ingested file (their ``warnings`` included).
    warnings : list of str
        What the batch itself suggests checking: a file ingested before that added
        rows again (its generated ids changed with the mapping, so answers may now be
        stored twice).
    """

    def __init__(self, added=(), duplicates=None, conflicts=None, conflict_ids=None, files=(),
                 warnings=()):
        super().__init__(added)
        self.duplicates = dict(duplicates or {})
        self.conflicts = dict(conflicts or {})
        self.conflict_ids = dict(conflict_ids or {})
        self.files = list(files)
        self.warnings = list(warnings)


def _warehouse_path(warehouse) -> Path:
    if warehouse is None:
        return _paths.default_warehouse()
    return _paths.resolve(warehouse)


def connect(warehouse: str | os.PathLike | None = None, read_only: bool = True):
    """A DuckDB connection to the warehouse (read-only by default; close it when done).

    Raises :class:`WarehouseError` when a read-only warehouse file does not exist.
    """
    import duckdb

    path = _warehouse_path(warehouse)
    if read_only and not path.is_file():
        raise WarehouseError(
            f"no warehouse at {path}; build it with `cxlab ingest FILE... --warehouse {path}` "
            "(or `cxlab ingest-samples` / `make report` for the sample data)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as err:
        raise WarehouseError(f"cannot open the warehouse {path}: {err}") from None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing_columns(con, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows] or None


def _ensure_table(con, spec: schema.Table, columns: Iterable[str]) -> None:
    """Create the table with the study's columns, or add the ones it lacks.

    ``spec`` is the table as the study defines it (:func:`cxlab.schema.resolve_table`):
    a segment declared after the table was created, or a factor column arriving for
    the first time (``columns``: the batch's), is added (segments ``VARCHAR``, factors
    ``INTEGER``). Inside the ingest transaction, so a failed batch adds no column.
    """
    wanted = spec.column_names + sorted(set(columns) - set(spec.column_names))
    stored = _existing_columns(con, spec.name)
    if stored is None:
        defs = ", ".join(f"{_q(c)} {DUCKDB_TYPES[spec.col(c).kind]}" for c in wanted)
        con.execute(f"CREATE TABLE {_q(spec.name)} ({defs})")
        return
    for c in wanted:
        if c not in stored:
            con.execute(f"ALTER TABLE {_q(spec.name)} ADD COLUMN {_q(c)} "
                        f"{DUCKDB_TYPES[spec.col(c).kind]}")


def _ensure_log(con) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {INGEST_LOG} (ingested_at TIMESTAMP, source VARCHAR, "
        "sha256 VARCHAR, table_name VARCHAR, rows_in_file INTEGER, rows_added INTEGER)")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cast(spec: schema.Table, col: str, alias: str = "s") -> str:
    kind = spec.col(col).kind
    return f"CAST({alias}.{_q(col)} AS {DUCKDB_TYPES[kind]})"


def _dedupe_batch(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, int, int, list[str]]:
    """Within one batch: identical repeated rows are dropped, a repeated id with other
    content is a conflict (the first occurrence wins)."""
    data_cols = [c for c in frame.columns if not c.startswith("__")]
    dup_key = frame.duplicated(key, keep="first")
    if not dup_key.any():
        return frame, 0, 0, []
    dup_row = frame.duplicated(data_cols, keep="first")
    same = int((dup_key & dup_row).sum())
    conflict = dup_key & ~dup_row
    ids = frame.loc[conflict, key].astype(str).head(10).tolist()
    return frame[~dup_key].reset_index(drop=True), same, int(conflict.sum()), ids


def ingest(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    table: str | None = None,
    warehouse: str | os.PathLike | None = None,
    mapping: ExportMapping | Mapping | str | os.PathLike | None = None,
    scale: str | None = None,
    *,
    on_conflict: str = "skip",
    progress: Callable[[str], None] | None = None,
    study=None,
) -> IngestResult:
    """Validate export files and append them to the warehouse in one transaction.

    Parameters
    ----------
    paths : path or list of paths
        The files. Each is read with :func:`read` (``table``, ``mapping`` and ``scale``
        apply to every file; without ``table``, or ``table:`` in the mapping, each
        file's name must say its table).
    warehouse : path, optional
        The DuckDB file (created if missing); default :func:`cxlab.paths.default_warehouse`.
        A relative path is taken from the project root.
    on_conflict : {"skip", "error"}
        A row whose id is stored with different content: skip it and count it in
        ``result.conflicts`` (default), or refuse the whole batch with a
        :class:`ValidationError` naming the rows.
    progress : callable, optional
        Called with each file's name after it is validated, and with ``"warehouse"``
        when the batch has been written.
    study : Study or path, optional
        Whose code lists, segments and factor scales apply (default
        :func:`cxlab.study.default_study`); its segment columns are stored.

    Returns
    -------
    IngestResult
        ``{table: rows_added}``; ``.duplicates`` and ``.conflicts`` count skipped rows.

    Raises
    ------
    ReadError, ValidationError
        Before anything is written, if any file is unreadable or invalid (all problems
        of all files are collected first; the first bad file's error is raised, after
        the others were checked, with the others' problems counted in its message).
    WarehouseError
        The write failed; the transaction was rolled back and the warehouse is unchanged.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = [Path(p) for p in paths]
    if not files:
        raise ReadError("no files to ingest; expected one or more export files")
    if on_conflict not in ("skip", "error"):
        raise ReadError(f"on_conflict={on_conflict!r}; expected 'skip' or 'error'")
    from cxlab.study import load_study

    st = load_study(study)
    mapping = read_mapping(mapping)  # once: a bad mapping is no file's fault

    # 1. validate every file before touching the warehouse
    frames: dict[str, list[pd.DataFrame]] = {}
    reports: list[FileReport] = []
    failures: list[tuple[FileReport, Exception | None]] = []
    for f in files:
        try:
            typed, rep = _prepare(f, table, mapping, scale, None, study=st)
        except ReadError as err:
            failures.append((FileReport(str(f), table, 0, [], str(err)), err))
            if progress:
                progress(str(f))
            continue
        reports.append(rep)
        if rep.problems:
            failures.append((rep, None))
        else:
            typed = typed.copy()
            typed["__source"] = str(f)
            typed["__row"] = np.arange(len(typed))
            frames.setdefault(rep.table_name, []).append(typed)
        if progress:
            progress(str(f))
    if failures:
        _raise_batch(failures, len(files))

    # 2. one transaction for the whole batch
    batch: dict[str, pd.DataFrame] = {}
    dup_batch: dict[str, int] = {}
    con_batch: dict[str, int] = {}
    ids_batch: dict[str, list[str]] = {}
    for tname, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True, sort=False)
        spec = schema.resolve_table(tname, st)
        frame, same, conflicts, ids = _dedupe_batch(frame, spec.key)
        batch[tname] = frame
        dup_batch[tname], con_batch[tname], ids_batch[tname] = same, conflicts, ids

    if on_conflict == "error" and any(con_batch.values()):
        t = next(t for t, n in con_batch.items() if n)
        sources = ", ".join(sorted({str(part["__source"].iloc[0])
                                    for part in frames[t] if len(part)}))
        raise ValidationError(
            f"the batch ({sources})", t,
            [Problem(schema.TABLES[t].key, "conflict", i, None,
                     "the same content wherever an id occurs in the batch") for i in ids_batch[t]])

    path = _warehouse_path(warehouse)
    existed = path.exists()
    con = connect(path, read_only=False)
    added: dict[str, int] = {}
    dups: dict[str, int] = {}
    confl: dict[str, int] = {}
    confl_ids: dict[str, list[str]] = {}
    per_file: list[tuple[str, str, int, int]] = []
    try:
        con.execute("BEGIN TRANSACTION")
        _ensure_log(con)
        for tname, frame in batch.items():
            spec = schema.resolve_table(tname, st)
            cols = [c for c in frame.columns if not c.startswith("__")]
            _ensure_table(con, spec, cols)
            view = f"__staged_{tname}"
            con.register(view, frame)
            key = _q(spec.key)
            t = _q(tname)
            # rows whose id is stored with other content (compared on the file's columns)
            differs = " OR ".join(f"({_cast(spec, c)} IS DISTINCT FROM t.{_q(c)})" for c in cols)
            conflict_sql = (f"SELECT s.{key}, s.__source FROM {view} s "
                            f"JOIN {t} t ON s.{key} = t.{key} WHERE {differs}")
            n_conf = con.execute(f"SELECT count(*) FROM ({conflict_sql})").fetchone()[0]
            examples = con.execute(conflict_sql + " ORDER BY 2, 1 LIMIT 1000").fetchall()
            ids = [str(r[0]) for r in examples[:10]]
            if n_conf and on_conflict == "error":
                exc = ValidationError(
                    f"{', '.join(sorted({r[1] for r in examples}))} → {path}", tname,
                    [Problem(spec.key, "conflict", r[0], None,
                             "an id not stored yet, or the same content as stored")
                     for r in examples])
                if n_conf > len(examples):
                    exc.args = (exc.args[0] + f"\n  ({n_conf} conflicting rows in all)",)
                raise exc
            n_stored = con.execute(
                f"SELECT count(*) FROM {view} s WHERE EXISTS "
                f"(SELECT 1 FROM {t} t WHERE t.{key} = s.{key})").fetchone()[0]
            select = ", ".join(f"{_cast(spec, c)} AS {_q(c)}" for c in cols)
            new_rows = con.execute(
                f"SELECT s.__source, count(*) FROM {view} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {t} t WHERE t.{key} = s.{key}) GROUP BY s.__source").fetchall()
            con.execute(
                f"INSERT INTO {t} BY NAME SELECT {select} FROM {view} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {t} t WHERE t.{key} = s.{key})")
            con.unregister(view)
            n_added = int(sum(n for _, n in new_rows))
            added[tname] = n_added
            dups[tname] = dup_batch[tname] + int(n_stored - n_conf)
            confl[tname] = con_batch[tname] + int(n_conf)
            confl_ids[tname] = (ids_batch[tname] + [str(i) for i in ids])[:10]
            by_src = dict(new_rows)
            for rep in reports:
                if rep.table_name == tname:
                    per_file.append((rep.path, tname, rep.rows, int(by_src.get(rep.path, 0))))
        now = datetime.now().replace(microsecond=0)
        warnings = []
        for src, tname, n_rows, n_added in per_file:
            sha = _sha256(_source_path(src))
            before = con.execute(f"SELECT max(ingested_at) FROM {INGEST_LOG} "
                                 "WHERE sha256 = ? AND table_name = ?", [sha, tname]).fetchone()[0]
            if before is not None and n_added:
                # the same bytes once added these rows already: only ids that changed
                # since (generated from a changed mapping, --scale or constants) explain it
                warnings.append(
                    f"{src}: the same file was ingested on {before:%Y-%m-%d %H:%M}, yet "
                    f"{n_added} of its {n_rows} rows were added again: their ids differ "
                    "from last time (ids generated from a changed mapping, --scale or "
                    "constants?); check whether these answers are now stored twice")
            con.execute(f"INSERT INTO {INGEST_LOG} VALUES (?, ?, ?, ?, ?, ?)",
                        [now, src, sha, tname, n_rows, n_added])
        con.execute("COMMIT")
    except Exception as err:
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - the transaction may already be gone
            pass
        con.close()
        if not existed:
            _remove_warehouse(path)
        if isinstance(err, ValidationError):
            raise
        raise WarehouseError(f"ingest into {path} failed and was rolled back (the warehouse "
                             f"is unchanged): {type(err).__name__}: {err}") from err
    con.close()
    if progress:
        progress("warehouse")
    return IngestResult(added, dups, confl, confl_ids, reports, warnings)


def _remove_warehouse(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _raise_batch(failures: list[tuple[FileReport, Exception | None]], n_files: int) -> None:
    """Raise for a batch with bad files: every bad file's problems in one message.

    The exception is the first bad file's kind (:class:`ReadError` or
    :class:`ValidationError`, whose ``problems`` are the first file's); ``failures``
    holds the :class:`FileReport` of every bad file.
    """
    parts = []
    for rep, err in failures:
        parts.append(str(err) if err is not None else
                     str(ValidationError(rep.path, rep.table_name, rep.problems)))
    parts.append(f"Nothing was ingested: {len(failures)} of the {n_files} file(s) failed "
                 "(the warehouse is unchanged).")
    message = "\n".join(parts)
    first_rep, first_err = failures[0]
    if first_err is not None:
        exc: CxlabError = ReadError(message)
    else:
        exc = ValidationError(first_rep.path, first_rep.table_name, first_rep.problems)
        exc.args = (message,)
    exc.failures = [r for r, _ in failures]
    raise exc


def build_sample_warehouse(warehouse: str | os.PathLike | None = None,
                           replace: bool = False,
                           progress: Callable[[str], None] | None = None,
                           *, study=None) -> IngestResult:
    """Ingest the sample data (``data/samples/*.csv``) into the warehouse.

    With ``replace=True`` the warehouse is built afresh in a temporary file beside the
    target and moved over it atomically (``os.replace``): a reader never sees half a
    warehouse, and a failure leaves the old one in place. The sample data is read with
    its own study (:data:`cxlab.paths.SAMPLE_STUDY`) unless ``study`` says otherwise,
    whatever ``$CXLAB_STUDY`` points to.
    """
    study = _paths.SAMPLE_STUDY if study is None else study
    files = sorted(p for p in _paths.SAMPLES_DIR.glob("*.csv")
                   if schema.table_for_file(p.name) is not None)
    if not files:
        raise ReadError(f"no sample CSVs in {_paths.SAMPLES_DIR}; generate them with "
                        "`cxlab samples` (or `make samples`)")
    target = _warehouse_path(warehouse)
    if not replace:
        return ingest(files, warehouse=target, progress=progress, study=study)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # duckdb wants to create the file itself
    tmp_path = Path(tmp)
    try:
        result = ingest(files, warehouse=tmp_path, progress=progress, study=study)
        os.replace(tmp_path, target)
        stale_wal = Path(str(target) + ".wal")
        if stale_wal.exists():
            stale_wal.unlink()
    finally:
        _remove_warehouse(tmp_path)
    return result


# ---------------------------------------------------------------------------- reading back

def _types_mapper(t):
    import pyarrow as pa

    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pd.StringDtype()
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    return None


def _to_pandas(arrow_table) -> pd.DataFrame:
    """Arrow → pandas typed like :func:`cxlab.schema.validate` output."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = {}
    for name in arrow_table.column_names:
        col = arrow_table.column(name)
        if pa.types.is_decimal(col.type):
            col = pc.cast(col, pa.float64())
        elif pa.types.is_date(col.type):
            col = pc.cast(col, pa.timestamp("us"))
        cols[name] = col
    tbl = pa.table(cols) if cols else arrow_table
    df = tbl.to_pandas(types_mapper=_types_mapper)
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            s = df[name]
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert(None)
            df[name] = s.astype("datetime64[ns]")
    return df


def _fetch(con, sql: str, params=None) -> pd.DataFrame:
    rel = con.sql(sql, params=list(params) if params else None)
    return _to_pandas(rel.to_arrow_table())


def parse_quarter(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``"2026Q3"`` → (first day, first day of the next quarter).

    Raises :class:`QuarterError` when the text is not a calendar quarter.
    """
    m = _QUARTER_RE.match(str(quarter)) if quarter is not None else None
    if not m:
        raise QuarterError(f"quarter {quarter!r} is not a calendar quarter; expected e.g. "
                           "'2026Q3' (year, Q, 1–4) or 'latest'")
    p = pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q")
    return p.start_time.normalize(), (p + 1).start_time.normalize()


def _quarter_label(quarter: str) -> str:
    start, _ = parse_quarter(quarter)
    return f"{start.year}Q{start.quarter}"


def _require_table(con, table: str, path: Path) -> list[str]:
    cols = _existing_columns(con, table)
    if cols is None:
        have = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() "
            "AND table_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
        raise WarehouseError(f"table {table!r} is not in the warehouse {path} (it has: "
                             f"{', '.join(have) or 'no tables'}); ingest it with "
                             f"`cxlab ingest FILE... --table {table}`")
    return cols


def load(
    table: str,
    warehouse: str | os.PathLike | None = None,
    quarter: str | None = None,
    columns: list[str] | None = None,
    *,
    study=None,
) -> pd.DataFrame:
    """Rows of one warehouse table as a typed DataFrame.

    Parameters
    ----------
    table : str
        One of :data:`cxlab.schema.TABLES`.
    warehouse : path, optional
        Default :func:`cxlab.paths.default_warehouse`.
    quarter : str, optional
        ``"2026Q3"`` (or ``"latest"``: :func:`latest_quarter`): only rows whose
        ``date_column`` falls in that calendar quarter, filtered in SQL.
    columns : list of str, optional
        Only these columns (default: all, in the study's order: the table's columns,
        its segments, then the factor columns and any other stored column by name).
    study : Study or path, optional
        Whose table this is (default :func:`cxlab.study.default_study`): it orders the
        columns. Only stored columns come back: a segment declared since the last
        ingest is added to the table by the next one.

    Returns
    -------
    DataFrame
        Typed like :func:`cxlab.schema.validate` output (``string``, ``Int64``,
        ``boolean``, ``datetime64[ns]``), ordered by the table's date and id. A quarter
        without rows gives an empty frame with the same columns.
    """
    if table not in schema.TABLES:
        raise WarehouseError(f"unknown table {table!r}; expected one of {', '.join(schema.TABLES)}")
    spec = schema.resolve_table(table, study)
    path = _warehouse_path(warehouse)
    where, params = "", []
    if quarter is not None:
        if spec.date_column is None:
            raise QuarterError(f"table {table!r} has no date column, so it cannot be "
                               "filtered by quarter; load it without quarter=")
        if str(quarter).strip().lower() == "latest":
            quarter = latest_quarter(path)
        start, end = parse_quarter(quarter)
        d = _q(spec.date_column)
        where = f" WHERE {d} >= ? AND {d} < ?"
        params = [start.to_pydatetime(), end.to_pydatetime()]
    con = connect(path)
    try:
        stored = _require_table(con, table, path)
        # the warehouse is the truth, the study the order: its table's columns (segments
        # included), then factor and other stored columns by name. Columns are never
        # made up here: a caller on another study must not get its segments as empties.
        wanted = [c for c in spec.column_names if c in stored] + sorted(
            c for c in stored if c not in spec.column_names)
        if columns is not None:
            missing = [c for c in columns if c not in stored]
            if missing:
                later = [c for c in missing if c in spec.column_names]
                raise WarehouseError(
                    f"table {table!r} in {path} has no column(s) {', '.join(missing)}; "
                    f"expected some of {', '.join(wanted)}"
                    + (f" ({', '.join(later)}: declared in the study {spec.study} but not "
                       "stored yet; the next ingest adds it)" if later else ""))
            wanted = list(columns)
        order = ", ".join(_q(c) for c in [spec.date_column, spec.key] if c)
        sql = (f"SELECT {', '.join(_q(c) for c in wanted)} FROM {_q(table)}{where} "
               f"ORDER BY {order}")
        return _fetch(con, sql, params)
    finally:
        con.close()


def query(sql: str, warehouse: str | os.PathLike | None = None, params=None) -> pd.DataFrame:
    """Run SQL on the warehouse (read-only) and return a typed DataFrame.

    For aggregations pushed down to DuckDB: ``query("SELECT channel, count(*) AS n FROM
    responses GROUP BY channel")``. ``params`` fills ``?`` placeholders.
    """
    import duckdb

    con = connect(warehouse)
    try:
        return _fetch(con, sql, params)
    except duckdb.Error as err:
        raise WarehouseError(f"query failed on {_warehouse_path(warehouse)}: {err}") from None
    finally:
        con.close()


def quarters(warehouse: str | os.PathLike | None = None, table: str = "responses") -> list[str]:
    """The calendar quarters (``'2026Q3'``) in which ``table`` has rows, in order."""
    if table not in schema.TABLES or schema.TABLES[table].date_column is None:
        raise WarehouseError(f"table {table!r} has no date column; expected one of "
                             + ", ".join(t for t, s in schema.TABLES.items() if s.date_column))
    d = _q(schema.TABLES[table].date_column)
    path = _warehouse_path(warehouse)
    con = connect(path)
    try:
        _require_table(con, table, path)
        rows = con.execute(
            f"SELECT DISTINCT year({d}) AS y, quarter({d}) AS q FROM {_q(table)} "
            f"WHERE {d} IS NOT NULL ORDER BY y, q").fetchall()
    finally:
        con.close()
    return [f"{y}Q{q}" for y, q in rows]


def latest_quarter(warehouse: str | os.PathLike | None = None, today: date | None = None) -> str:
    """The last *complete* calendar quarter with responses.

    A quarter is complete when its last day is on or before the last response date in
    the warehouse (the data covers it to its end) or is already past (before ``today``).
    A quarter still running, with data only up to yesterday, is not the latest.
    """
    path = _warehouse_path(warehouse)
    qs = quarters(path, "responses")
    if not qs:
        raise QuarterError(f"the warehouse {path} has no responses, so no quarter to report; "
                           "ingest responses first")
    d = _q(schema.TABLES["responses"].date_column)
    con = connect(path)
    try:
        last = con.execute(f"SELECT max({d}) FROM responses").fetchone()[0]
    finally:
        con.close()
    last_day = pd.Timestamp(last).date()
    today = today or date.today()
    for q in reversed(qs):
        _, nxt = parse_quarter(q)
        end = (nxt - pd.Timedelta(days=1)).date()
        if end <= last_day or end < today:
            return q
    raise QuarterError(f"no complete quarter with responses in {path} (quarters with data: "
                       f"{', '.join(qs)}; the last response is on {last_day})")


def headline(quarter: str = "latest", warehouse: str | os.PathLike | None = None,
             min_n: int | None = None, *, study=None) -> pd.DataFrame:
    """The quarter's headline: responses and NPS per survey channel, computed in SQL.

    One row per channel (channels are never pooled into one NPS): ``responses``,
    ``n`` (0–10 answers), ``promoters``, ``detractors``, ``nps`` (points, −100…100),
    its 95 % interval ``nps_low``/``nps_high``, ``recommend_n`` and ``recommend_pct``
    for binary (yes/no) answers, and ``small`` (n below ``min_n``). The interval comes
    from :func:`cxlab.metrics.nps_table` when that exists, else it is the Wald interval
    ``nps ± 1.96·100·sqrt((p₊ + p₋ − (p₊ − p₋)²)/n)`` computed in the same query.
    Channels come in the study's order; ``min_n`` defaults to the study's.
    """
    from cxlab.study import load_study

    st = load_study(study)
    min_n = st.min_n if min_n is None else min_n
    path = _warehouse_path(warehouse)
    if str(quarter).strip().lower() == "latest":
        label = latest_quarter(path)
    else:
        label = _quarter_label(quarter)
    start, end = parse_quarter(label)
    sql = """
        WITH q AS (SELECT channel, nps, recommend FROM responses
                   WHERE submitted_at >= ? AND submitted_at < ?),
        g AS (SELECT channel, count(*) AS responses, count(nps) AS n,
                     count(*) FILTER (WHERE nps >= 9) AS promoters,
                     count(*) FILTER (WHERE nps <= 6) AS detractors,
                     count(recommend) AS recommend_n,
                     count(*) FILTER (WHERE recommend) AS recommend_yes
              FROM q GROUP BY channel)
        SELECT channel, responses, n, promoters, detractors,
               CASE WHEN n > 0 THEN 100.0 * (promoters - detractors) / n END AS nps,
               CASE WHEN n > 0 THEN 196.0 * sqrt(greatest(
                   (promoters + detractors) / n - pow((promoters - detractors) / n, 2), 0) / n)
               END AS half_width,
               recommend_n,
               CASE WHEN recommend_n > 0 THEN 100.0 * recommend_yes / recommend_n END
                   AS recommend_pct
        FROM g ORDER BY channel
    """
    con = connect(path)
    try:
        _require_table(con, "responses", path)
        table = _fetch(con, sql, [start.to_pydatetime(), end.to_pydatetime()])
    finally:
        con.close()
    if table.empty:
        raise QuarterError(f"no responses in {label} in {path}; quarters with data: "
                           + ", ".join(quarters(path)))
    table["nps_low"] = table["nps"] - table["half_width"]
    table["nps_high"] = table["nps"] + table["half_width"]
    table["interval"] = "Wald 95%"
    table = table.drop(columns="half_width")
    table = _metrics_interval(table, label, path, min_n)
    table["small"] = table["n"] < min_n
    order = st.channels.order(table["channel"].dropna().tolist())
    table = table.set_index("channel").loc[order].reset_index()
    table.insert(0, "quarter", label)
    cols = ["quarter", "channel", "responses", "n", "promoters", "detractors", "nps",
            "nps_low", "nps_high", "interval", "recommend_n", "recommend_pct", "small"]
    return table[cols].reset_index(drop=True)


def _metrics_interval(table: pd.DataFrame, quarter: str, path: Path, min_n: int) -> pd.DataFrame:
    """Use :func:`cxlab.metrics.nps_table`'s interval when that module provides one."""
    try:
        from cxlab import metrics  # written by another part of the project
    except ImportError:
        return table
    nps_table = getattr(metrics, "nps_table", None)
    if nps_table is None:
        return table
    rows = load("responses", path, quarter=quarter, columns=["channel", "nps"])
    t = nps_table(rows, min_n=min_n)  # one row per channel: channels are never pooled
    t = t.reset_index().set_index("channel")
    out = table.set_index("channel")
    common = out.index.intersection(t.index)
    out.loc[common, "nps_low"] = t.loc[common, "ci_low"].astype(float)
    out.loc[common, "nps_high"] = t.loc[common, "ci_high"].astype(float)
    level = t.attrs.get("level", 0.95)
    out.loc[common, "interval"] = f"{t.attrs.get('method', 'cxlab.metrics')} {level:.0%}"
    return out.reset_index()
