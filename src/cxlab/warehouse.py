"""The warehouse: where validated exports are kept (DuckDB by default).

Warehouse (:func:`ingest`, :func:`load`, :func:`query`, :func:`quarters`)
    A DuckDB file (default :func:`cxlab.paths.default_warehouse`, ``data/warehouse.duckdb``).
    :func:`ingest` validates every file first, then writes all of them in one
    transaction, as one numbered *batch*: one bad file leaves the warehouse exactly as it
    was. Ingest is idempotent: rows whose id is stored with the same content are skipped.
    Tables are created with the study's columns (its segments on responses and visits)
    and gain a column when a new segment or factor first arrives. Aggregations are SQL
    pushed down to DuckDB (:func:`query`); :func:`load` returns the typed rows a notebook
    needs.

Corrections (``on_conflict``)
    A row whose id is stored with *different* content (on the columns its file has) is a
    conflict. ``"skip"`` (default) keeps the stored version and counts the row in
    :attr:`IngestResult.conflicts`; ``"error"`` refuses the whole batch; ``"update"``
    stores the export's version: the columns its file has replace the stored ones (the
    columns it lacks keep their stored values), and the replaced version is kept for
    :func:`undo`. Which version is the later one:

    - within one batch, files are ordered by their export date (``exported_at``: one date
      for the batch, or one per file), then as given (the last file on the command line is
      the latest). A repeated id is a *conflict within the batch*: ``"update"`` keeps the
      latest file's row, ``"skip"`` the first file's, ``"error"`` refuses the batch.
      Within one file a repeated id is a validation error (ambiguous, nothing is stored);
    - against the warehouse, with ``"update"`` the batch wins, except where both the
      stored version and the incoming row have an export date and the stored one is
      later: a stale export never overwrites a fresher one (counted as a conflict).
      The mapping has no say in the export date; give it with ``--exported-at``.

The batch log (:func:`history`, :func:`undo`)
    ``_batches`` (one row per batch: id, when, ``on_conflict``, export date, undone when),
    ``_ingest_log`` (one row per file: source, sha256, table, rows in the file, added,
    updated, skipped as duplicates, conflicts), ``_changes`` (the ids each batch added or
    updated), ``_replaced_<table>`` (the versions a batch replaced, with its id) and
    ``_schema_changes`` (tables and columns a batch created). :func:`undo` uses them to
    put the warehouse back exactly as it was before a batch, in one transaction.

The file itself
    A new warehouse is written beside its final name and moved into place only when its
    first batch committed (a failed or killed create leaves nothing behind; the next run
    removes a killed run's temporary file). An existing file that is not a DuckDB database
    (a SQLite file, text), or is truncated, is refused before DuckDB opens it, and DuckDB
    never downloads or loads an extension on its own. A warehouse another process is
    writing is waited for (``$CXLAB_LOCK_TIMEOUT`` seconds, default 30).

Quarters are calendar quarters written ``2026Q3``.

The module is longer than most (it is over 800 lines): ingest, its log and undo share the
batch tables and one transaction, and are easier to check side by side.

Size: over 800 lines on purpose: ingest with its batch log, conflicts, corrections, undo
and history: one transactional contract over the same log tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import struct
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from cxlab import paths as _paths
from cxlab import progress as _progress
from cxlab import schema
from cxlab import _duckread
from cxlab._duckread import Staged
from cxlab.errors import (
    CxlabError,
    FileError,
    LockError,
    ParameterError,
    Problem,
    QuarterError,
    ReadError,
    ValidationError,
    WarehouseError,
)
from cxlab.exports import (
    ExportMapping,
    FileReport,
    _prepare,
    _source_path,
    read_mapping,
)

__all__ = [
    "IngestResult",
    "UndoResult",
    "build_sample_warehouse",
    "connect",
    "headline",
    "history",
    "ingest",
    "latest_quarter",
    "load",
    "parse_quarter",
    "quarters",
    "query",
    "undo",
]

#: DuckDB column types per schema column kind.
DUCKDB_TYPES = {
    "id": "VARCHAR", "text": "VARCHAR", "code": "VARCHAR", "int": "INTEGER",
    "bool": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP",
}

INGEST_LOG = "_ingest_log"
BATCHES = "_batches"
CHANGES = "_changes"
SCHEMA_CHANGES = "_schema_changes"
REPLACED = "_replaced_"  # + table name: the row versions a batch replaced
_BATCH_COL = "__cxlab_batch"
ON_CONFLICT = ("skip", "error", "update")
_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")

#: Every connection: DuckDB must not fetch or load extensions on its own (a SQLite file
#: passed as the warehouse would otherwise make it download ``sqlite_scanner``).
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


# ============================================================================ warehouse

class IngestResult(dict):
    """Rows added per table (a dict ``{table: rows_added}``), with what else happened.

    Attributes
    ----------
    batch : int or None
        The batch's number in the warehouse's log (:func:`history`, :func:`undo`).
    updated : dict
        Per table, stored rows replaced by the export's version (``on_conflict="update"``).
    duplicates : dict
        Per table, rows skipped because the same row (same id, same content) is already
        stored or occurs in another file of the batch: re-ingesting an export adds nothing.
    conflicts : dict
        Per table, rows with an id stored (or elsewhere in the batch) with different
        content that were *not* applied: with ``"skip"`` the stored or first version is
        kept; with ``"update"`` a later file of the batch won, or the stored version comes
        from a later export (:attr:`stale`).
    conflict_ids : dict
        Per table, up to 10 example ids of those conflicts.
    batch_conflicts, batch_conflict_ids : dict
        The part of ``conflicts`` that is *within the batch* (one id, two contents, in two
        of its files), and example ids.
    stale : dict
        The part of ``conflicts`` not applied because the stored version was exported
        later than the incoming one.
    files : list of FileReport
        One per ingested file (their ``warnings`` included).
    warnings : list of str
        What the batch itself suggests checking: a file ingested before that added
        rows again (its generated ids changed with the mapping, so answers may now be
        stored twice).
    """

    def __init__(self, added=(), duplicates=None, conflicts=None, conflict_ids=None, files=(),
                 warnings=(), *, batch=None, updated=None, batch_conflicts=None,
                 batch_conflict_ids=None, stale=None, on_conflict="skip"):
        super().__init__(added)
        self.batch = batch
        self.on_conflict = on_conflict
        self.updated = dict(updated or {})
        self.duplicates = dict(duplicates or {})
        self.conflicts = dict(conflicts or {})
        self.conflict_ids = dict(conflict_ids or {})
        self.batch_conflicts = dict(batch_conflicts or {})
        self.batch_conflict_ids = dict(batch_conflict_ids or {})
        self.stale = dict(stale or {})
        self.files = list(files)
        self.warnings = list(warnings)


def _warehouse_path(warehouse) -> Path:
    if warehouse is None:
        return _paths.default_warehouse()
    return _paths.resolve(warehouse)


# ---------------------------------------------------------------------------- the file

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 4096  # DuckDB: a main header, then two database headers of 4 KiB each


def _check_file(path: Path) -> int | None:
    """Refuse a warehouse file DuckDB should not open: empty, foreign or truncated.

    DuckDB's file starts with a main header (``DUCK`` at byte 8) and two database headers
    (at 4 KiB and 8 KiB; the one with the higher iteration is current) that give the
    block size. Returns the block size (``None`` when there is no file yet, or a header
    this check does not know).
    """
    try:
        if not path.exists():
            return None
        if path.is_dir():
            raise WarehouseError(f"the warehouse {path} is a folder; expected a DuckDB file "
                                 "such as data/warehouse.duckdb")
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(3 * _HEADER_SIZE)
    except OSError as err:
        raise FileError.from_os(err, f"read the warehouse {path}") from None
    if size == 0:
        raise WarehouseError(
            f"the warehouse {path} is an empty file (0 bytes), probably left by a create "
            "that failed; delete it (it holds nothing) or ingest into it to build it afresh")
    if head.startswith(_SQLITE_MAGIC):
        raise WarehouseError(
            f"{path} is a SQLite database, not a DuckDB warehouse; cxlab keeps its data in "
            "DuckDB files (export the tables to CSV and ingest them, or pass another "
            "--warehouse)")
    if head[8:12] != b"DUCK":
        kind = ("a ZIP file (an .xlsx workbook?)" if head.startswith(b"PK\x03\x04") else
                "a Parquet file" if head.startswith(b"PAR1") else
                "a text file" if _looks_like_text(head) else "not a DuckDB database")
        raise WarehouseError(
            f"{path} is {kind}, not a DuckDB warehouse (no DuckDB header); pass the "
            "warehouse file made by `cxlab ingest` (e.g. data/warehouse.duckdb)")
    if size < 3 * _HEADER_SIZE:
        raise _truncated(path, f"{size:,} bytes, shorter than DuckDB's headers")
    headers = []
    for off in (_HEADER_SIZE, 2 * _HEADER_SIZE):
        # checksum, iteration, meta block, free list, block count, block size
        _, iteration, _, _, _, block_size = struct.unpack_from("<6Q", head, off)
        headers.append((iteration, block_size))
    block_size = max(headers)[1]
    if not (4096 <= block_size <= 1 << 30 and block_size & (block_size - 1) == 0):
        return None  # a header layout this check does not know: DuckDB decides
    # A length that is not whole blocks is not by itself damage: a run killed while the
    # file grew can leave part of an unused block at the end. What matters is that every
    # block in use is there (:func:`_check_blocks`, once DuckDB has read the metadata).
    return block_size


def _truncated(path: Path, why: str) -> WarehouseError:
    return WarehouseError(
        f"the warehouse {path} is truncated or damaged ({why}): a copy cut short, or a disk "
        "that filled up? Restore it from a backup, or rebuild it by ingesting the exports "
        "into a new file")


#: Files whose blocks were checked: (path, size, mtime) → block size.
_VERIFIED: dict[tuple[str, int, int], int] = {}


def _check_blocks(con, path: Path, block_size: int | None) -> None:
    """Every block a table points to is in the file (a file cut at a block boundary)."""
    if block_size is None:
        return
    try:
        st = path.stat()
    except OSError:
        return
    stamp = (str(path), st.st_size, st.st_mtime_ns)
    if stamp in _VERIFIED:
        return
    blocks = (st.st_size - 3 * _HEADER_SIZE) // block_size
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()]
    for name in tables:
        literal = "'" + name.replace("'", "''") + "'"
        top = con.execute(f"SELECT max(block_id) FROM pragma_storage_info({literal}) "
                          "WHERE persistent AND block_id >= 0").fetchall()[0][0]
        if top is not None and top >= blocks:
            raise _truncated(path, f"table {name} points to block {top}, but the file "
                                   f"holds blocks 0–{blocks - 1}")
    _VERIFIED[stamp] = block_size


def _looks_like_text(head: bytes) -> bool:
    try:
        head[:512].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head[:512]


def _open_error(path: Path, err: Exception) -> WarehouseError:
    msg = str(err)
    if "not a valid DuckDB database" in msg:
        return WarehouseError(f"{path} is not a DuckDB warehouse (DuckDB cannot read it); pass "
                              "the warehouse file made by `cxlab ingest`")
    if "Could not read enough bytes" in msg:
        return _truncated(path, msg.removeprefix("IO Error: "))
    if "newer version" in msg or "older version" in msg or "storage version" in msg:
        return WarehouseError(f"the warehouse {path} was written by another DuckDB version: "
                              f"{msg}")
    return WarehouseError(f"cannot open the warehouse {path}: {msg}")


def connect(warehouse: str | os.PathLike | None = None, read_only: bool = True, *,
            timeout: float | None = None):
    """A DuckDB connection to the warehouse (read-only by default; close it when done).

    The file is checked first (an empty, foreign or truncated file is refused with a
    :class:`WarehouseError`), DuckDB may not install or load extensions by itself, and a
    warehouse locked by another process is waited for up to ``timeout`` seconds (default
    :func:`cxlab.paths.lock_timeout`, ``$CXLAB_LOCK_TIMEOUT``), then :class:`LockError`.

    Raises :class:`WarehouseError` when a read-only warehouse file does not exist.
    """
    import duckdb

    path = _warehouse_path(warehouse)
    if read_only and not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}; build it with `cxlab ingest FILE... --warehouse {path}` "
            "(or `cxlab ingest-samples` / `make report` for the sample data)")
    if not read_only:
        _make_parent(path)
    block_size = _check_file(path)
    wait = _paths.lock_timeout() if timeout is None else float(timeout)
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
        except duckdb.Error as err:
            msg = str(err)
            if "Could not set lock" not in msg and "Conflicting lock" not in msg:
                raise _open_error(path, err) from None
            left = deadline - time.monotonic()
            if left > 0:
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
                continue
            holder = re.search(r"held in (.*?) \(PID (\d+)\)", msg)
            who = f" (PID {holder.group(2)}, {Path(holder.group(1)).name})" if holder else ""
            raise LockError(
                f"the warehouse {path} is in use by another process{who}; waited {wait:g} s "
                "for it to finish. Run the command again when that process is done, or "
                "wait longer with CXLAB_LOCK_TIMEOUT=<seconds>") from None
        try:
            _check_blocks(con, path, block_size)
        except BaseException as err:
            con.close()
            if isinstance(err, duckdb.Error):
                raise _open_error(path, err) from None
            raise
        return con


def _make_parent(path: Path) -> None:
    try:
        _paths.make_folder(path.parent)
    except OSError as err:
        raise FileError.from_os(err, f"create the folder of the warehouse {path}") from None


def _clean_leftovers(path: Path) -> list[Path]:
    """Remove what killed runs left beside the warehouse: temporary warehouse files
    (``<name>.<pid>-<n>.tmp``, their ``.wal``) whose process is gone."""
    try:
        return _paths.remove_stale_temp_files(path)
    except OSError as err:
        raise FileError.from_os(
            err, f"remove the leftovers of a killed run beside {path}") from None


def _remove_warehouse(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _is_empty_file(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _publish(work: Path, path: Path) -> bool:
    """Move a newly built warehouse into place; False when another process created one
    at ``path`` meanwhile (``work`` is then removed and nothing is published)."""
    try:
        try:
            os.link(work, path)  # never replaces: a warehouse made meanwhile is kept
        except FileExistsError:
            if not _is_empty_file(path):
                _remove_warehouse(work)
                return False
            os.replace(work, path)  # a 0-byte leftover of a failed create holds nothing
            return True
        except OSError:  # no hard links on this file system
            if path.exists() and not _is_empty_file(path):
                _remove_warehouse(work)
                return False
            os.replace(work, path)
            return True
        work.unlink()
        return True
    except OSError as err:
        _remove_warehouse(work)
        raise FileError.from_os(err, f"move the new warehouse into place at {path}") from None


# ---------------------------------------------------------------------------- tables

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing_columns(con, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows] or None


def _column_types(con, table: str) -> dict[str, str]:
    return dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall())


def _ensure_table(con, spec: schema.Table, columns: Iterable[str],
                  batch: int | None = None) -> None:
    """Create the table with the study's columns, or add the ones it lacks.

    ``spec`` is the table as the study defines it (:func:`cxlab.schema.resolve_table`):
    a segment declared after the table was created, or a factor column arriving for
    the first time (``columns``: the batch's), is added (segments ``VARCHAR``, factors
    ``INTEGER``). Inside the ingest transaction, so a failed batch adds no column; what
    was created is recorded under ``batch`` for :func:`undo`.
    """
    wanted = spec.column_names + sorted(set(columns) - set(spec.column_names))
    stored = _existing_columns(con, spec.name)
    if stored is None:
        defs = ", ".join(f"{_q(c)} {DUCKDB_TYPES[spec.col(c).kind]}" for c in wanted)
        con.execute(f"CREATE TABLE {_q(spec.name)} ({defs})")
        if batch is not None:
            con.execute(f"INSERT INTO {SCHEMA_CHANGES} VALUES (?, ?, NULL)", [batch, spec.name])
        return
    for c in wanted:
        if c not in stored:
            con.execute(f"ALTER TABLE {_q(spec.name)} ADD COLUMN {_q(c)} "
                        f"{DUCKDB_TYPES[spec.col(c).kind]}")
            if batch is not None:
                con.execute(f"INSERT INTO {SCHEMA_CHANGES} VALUES (?, ?, ?)",
                            [batch, spec.name, c])


_LOG_COLUMNS = {  # the first six are the log's original columns (older warehouses)
    "ingested_at": "TIMESTAMP", "source": "VARCHAR", "sha256": "VARCHAR",
    "table_name": "VARCHAR", "rows_in_file": "INTEGER", "rows_added": "INTEGER",
    "batch_id": "INTEGER", "rows_updated": "INTEGER", "rows_duplicate": "INTEGER",
    "rows_conflict": "INTEGER", "exported_at": "TIMESTAMP",
}


def _ensure_log(con) -> None:
    """The batch log's tables; a log written before batches were numbered is upgraded
    (its ingests become batches, by time, that cannot be undone: their changes were not
    recorded)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {BATCHES} (batch_id INTEGER, started_at TIMESTAMP, "
        "finished_at TIMESTAMP, on_conflict VARCHAR, exported_at TIMESTAMP, files INTEGER, "
        "undoable BOOLEAN, undone_at TIMESTAMP)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {CHANGES} (batch_id INTEGER, table_name VARCHAR, "
                "key VARCHAR, action VARCHAR, exported_at TIMESTAMP)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_CHANGES} (batch_id INTEGER, "
                "table_name VARCHAR, column_name VARCHAR)")
    stored = _existing_columns(con, INGEST_LOG)
    if stored is None:
        defs = ", ".join(f"{c} {t}" for c, t in _LOG_COLUMNS.items())
        con.execute(f"CREATE TABLE {INGEST_LOG} ({defs})")
        return
    if "batch_id" in stored:
        return
    for c, t in _LOG_COLUMNS.items():
        if c not in stored:
            con.execute(f"ALTER TABLE {INGEST_LOG} ADD COLUMN {c} {t}")
    con.execute(
        f"UPDATE {INGEST_LOG} SET batch_id = r.b FROM (SELECT ingested_at, "
        "dense_rank() OVER (ORDER BY ingested_at) AS b FROM (SELECT DISTINCT ingested_at "
        f"FROM {INGEST_LOG})) r WHERE {INGEST_LOG}.ingested_at IS NOT DISTINCT FROM r.ingested_at")
    con.execute(
        f"INSERT INTO {BATCHES} SELECT batch_id, min(ingested_at), min(ingested_at), 'skip', "
        f"NULL, count(*), false, NULL FROM {INGEST_LOG} GROUP BY batch_id")


def _ensure_history(con, table: str) -> str:
    """``_replaced_<table>``: the batch id and every column of ``table``."""
    hist = REPLACED + table
    types = _column_types(con, table)
    have = _column_types(con, hist)
    if not have:
        con.execute(f"CREATE TABLE {_q(hist)} AS SELECT CAST(NULL AS INTEGER) AS {_BATCH_COL}, "
                    f"* FROM {_q(table)} WHERE false")
        return hist
    for c, t in types.items():
        if c not in have:
            con.execute(f"ALTER TABLE {_q(hist)} ADD COLUMN {_q(c)} {t}")
    return hist


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cast(spec: schema.Table, col: str, alias: str = "s") -> str:
    kind = spec.col(col).kind
    return f"CAST({alias}.{_q(col)} AS {DUCKDB_TYPES[kind]})"


def _export_dates(exported_at, n_files: int, study) -> list[pd.Timestamp | None]:
    """One export date per file (``None``: not given)."""
    if exported_at is None:
        return [None] * n_files
    many = isinstance(exported_at, Sequence) and not isinstance(exported_at, (str, bytes))
    values = list(exported_at) if many else [exported_at] * n_files
    if len(values) != n_files:
        raise ParameterError(f"exported_at has {len(values)} dates for {n_files} files; give "
                             "one date for the batch or one per file")
    tomorrow = pd.Timestamp.now().normalize() + pd.Timedelta(days=2)
    out = []
    for v in values:
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            ts = pd.NaT
        if ts is pd.NaT or pd.isna(ts):
            raise ParameterError(f"export date {v!r}: expected a date like 2026-10-05 or "
                                 "2026-10-05 14:30 (when the export was made)")
        if ts.tzinfo is not None:  # one rule: the study's local time, stored naive
            ts = schema.local_time(ts, study)
        if ts >= tomorrow or ts.year < 2000:
            raise ParameterError(f"export date {v!r} is not plausible (expected a day from "
                                 "2000 to today: when the export was made)")
        out.append(ts)
    return out


def _resolve_in_batch(frame: pd.DataFrame, key: str, common: list[str], keep: str):
    """Within one batch, one row per id: ``keep`` ("first" or "last") in file order.

    The other rows of a repeated id are duplicates when their content (on ``common``, the
    columns every file of the table has) is the kept row's, else conflicts within the
    batch. Returns (kept rows, duplicate mask, conflict mask) — the masks over ``frame``.
    """
    dropped = frame.duplicated(key, keep=keep)
    if not dropped.any():
        none = pd.Series(False, index=frame.index)
        return frame, none, none
    digest = pd.util.hash_pandas_object(frame[common], index=False) if common else \
        pd.Series(0, index=frame.index, dtype="uint64")
    winner = digest[~dropped].groupby(frame.loc[~dropped, key].to_numpy()).first()
    same = dropped & (digest.to_numpy() == winner.reindex(frame[key].to_numpy()).to_numpy())
    return frame[~dropped].reset_index(drop=True), same, dropped & ~same


@dataclass
class _FileCounts:
    added: int = 0
    updated: int = 0
    duplicate: int = 0
    conflict: int = 0


def ingest(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    table: str | None = None,
    warehouse: str | os.PathLike | None = None,
    mapping: ExportMapping | Mapping | str | os.PathLike | None = None,
    scale: str | None = None,
    *,
    on_conflict: str = "skip",
    exported_at=None,
    progress: Callable[[str], None] | None = None,
    study=None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> IngestResult:
    """Validate export files and write them to the warehouse in one transaction.

    Parameters
    ----------
    paths : path or list of paths
        The files. Each is read with :func:`read` (``table``, ``mapping`` and ``scale``
        apply to every file; without ``table``, or ``table:`` in the mapping, each
        file's name must say its table). Their order matters for conflicts within the
        batch: the last file is the latest export (unless ``exported_at`` says otherwise).
    warehouse : path, optional
        The DuckDB file (created if missing); default :func:`cxlab.paths.default_warehouse`.
        A relative path is taken from the project root.
    on_conflict : {"skip", "error", "update"}
        A row whose id is stored with different content: skip it and count it in
        ``result.conflicts`` (default), refuse the whole batch with a
        :class:`ValidationError` naming the rows, or store the export's version (the
        replaced version is kept: :func:`undo` restores it). See the module docstring for
        which version is the later one.
    exported_at : date, str, or a list of them, optional
        When the export was made: one date for every file, or one per file. Orders the
        files of the batch, and with ``"update"`` keeps a stale export from overwriting a
        row stored from a later one. Zone-aware times are taken in the study's time zone.
    progress : callable, optional
        Called with each file's name after it is validated, and with ``"warehouse"``
        when the batch has been written. Independently of it, the files and each file's
        stages (reading, validating, writing) show as progress where
        :func:`cxlab.progress.enabled` allows (a terminal, a notebook; never under cron).
    study : Study or path, optional
        Whose code lists, segments and factor scales apply (default
        :func:`cxlab.study.default_study`); its segment columns are stored.

    Returns
    -------
    IngestResult
        ``{table: rows_added}``; ``.batch`` its number, ``.updated``, ``.duplicates`` and
        ``.conflicts`` the other rows.

    Raises
    ------
    ReadError, ValidationError
        Before anything is written, if any file is unreadable or invalid (all problems
        of all files are collected first; the first bad file's error is raised, after
        the others were checked, with the others' problems counted in its message).
    WarehouseError
        The warehouse file is not a usable DuckDB file, stayed locked
        (:class:`~cxlab.errors.LockError`), or the write failed; the transaction was
        rolled back and the warehouse is unchanged.

    Examples
    --------
    A complaint exported open, then resolved::

        io.ingest(["complaints_oct.csv"])
        io.ingest(["complaints_nov.csv"], on_conflict="update")  # resolved_at now set
        io.undo(2)                                                # open again
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = [Path(p) for p in paths]
    if not files:
        raise ReadError("no files to ingest; expected one or more export files")
    if on_conflict not in ON_CONFLICT:
        raise ParameterError(f"on_conflict={on_conflict!r}; expected one of "
                             + ", ".join(repr(x) for x in ON_CONFLICT))
    from cxlab.study import load_study

    st = load_study(study)
    mapping = read_mapping(mapping)  # once: a bad mapping is no file's fault
    dates = _export_dates(exported_at, len(files), st)
    # files in the order of their export: by date when given, then as given
    undated = pd.Timestamp.min
    rank = {i: r for r, i in enumerate(sorted(
        range(len(files)), key=lambda i: (undated if dates[i] is None else dates[i], i)))}

    # 1. validate every file before touching the warehouse
    frames: dict[str, list[tuple[int, pd.DataFrame]]] = {}
    reports: list[FileReport] = []
    report_of: dict[int, FileReport] = {}
    failures: list[tuple[FileReport, Exception | None]] = []
    with _progress.task("ingest", len(files), unit="files") as bar:
        for i, f in enumerate(files):
            def stage(name: str, f=f) -> None:  # a large file's stages: reading, validating
                bar.update(description=f"ingest {f.name}: {name}")
            try:
                typed, rep = _prepare(f, table, mapping, scale, sheet, encoding, sep, study=st,
                                      stage=stage)
            except (ReadError, OSError) as err:
                if isinstance(err, OSError):
                    err = FileError.from_os(err, f"read {f}")
                failures.append((FileReport(str(f), table, 0, [], str(err)), err))
                if progress:
                    progress(str(f))
                bar.advance()
                continue
            reports.append(rep)
            report_of[i] = rep
            if rep.problems:
                failures.append((rep, None))
            else:
                if isinstance(typed, Staged):  # a large clean CSV, typed in DuckDB
                    typed.file = i
                else:
                    typed = typed.copy()
                    typed["__file"] = i
                frames.setdefault(rep.table_name, []).append((i, typed))
            if progress:
                progress(str(f))
            bar.advance()
    if failures:
        _raise_batch(failures, len(files))

    # 2. one row per id within the batch
    staged: dict[str, tuple[pd.DataFrame, dict[int, list[str]]]] = {}
    counts: dict[tuple[int, str], _FileCounts] = {}
    in_batch: dict[str, tuple[int, list[str]]] = {}
    keep = "last" if on_conflict == "update" else "first"
    for tname, parts in frames.items():
        spec = schema.resolve_table(tname, st)
        parts = sorted(parts, key=lambda p: rank[p[0]])
        if len(parts) == 1 and isinstance(parts[0][1], Staged):
            # one file typed in DuckDB: its ids are unique (checked there), nothing to
            # resolve within the batch; its rows go from DuckDB to DuckDB
            i, rows = parts[0]
            staged[tname] = (rows, {i: list(rows.columns)})
            in_batch[tname] = (0, [])
            continue
        parts = [(i, _staged_frame(df)) for i, df in parts]
        cols_of = {i: [c for c in df.columns if not c.startswith("__")] for i, df in parts}
        common = [c for c in cols_of[parts[0][0]]
                  if c != spec.key and all(c in cs for cs in cols_of.values())]
        frame = pd.concat([df for _, df in parts], ignore_index=True, sort=False)
        kept, same, clash = _resolve_in_batch(frame, spec.key, common, keep)
        for i, n in frame.loc[same, "__file"].value_counts().items():
            counts.setdefault((int(i), tname), _FileCounts()).duplicate += int(n)
        for i, n in frame.loc[clash, "__file"].value_counts().items():
            counts.setdefault((int(i), tname), _FileCounts()).conflict += int(n)
        ids = list(dict.fromkeys(frame.loc[clash, spec.key].astype(str)))
        in_batch[tname] = (int(clash.sum()), ids[:10])
        staged[tname] = (kept, cols_of)

    if on_conflict == "error" and any(n for n, _ in in_batch.values()):
        t = next(t for t, (n, _) in in_batch.items() if n)
        sources = ", ".join(sorted({str(files[i]) for i, _ in frames[t]}))
        raise ValidationError(
            f"the batch ({sources})", t,
            [Problem(schema.TABLES[t].key, "conflict within the batch", i, None,
                     "the same content wherever an id occurs in the batch")
             for i in in_batch[t][1]])

    path = _warehouse_path(warehouse)
    _make_parent(path)
    _clean_leftovers(path)
    in_batch_counts = counts
    with _progress.task(f"ingest: writing to {path.name}", len(staged), unit="tables") as bar:
        for _attempt in range(3):
            creating = not path.exists() or _is_empty_file(path)
            work = _paths.temp_sibling(path) if creating else path
            counts = {k: _FileCounts(**vars(c)) for k, c in in_batch_counts.items()}
            bar.update(completed=0)
            outcome = _write_batch(work, path, files, dates, staged, counts, report_of,
                                   on_conflict, st, creating, written=bar.advance)
            if not creating or _publish(work, path):
                break
            # another process created the warehouse meanwhile: add the batch to theirs
        else:  # pragma: no cover - three creations raced
            raise WarehouseError(f"the warehouse {path} kept being created by another "
                                 "process; nothing was ingested, run the command again")
    for rows, _cols in staged.values():
        if isinstance(rows, Staged):
            rows.close()  # its temporary DuckDB file
    batch, stale, conflict_ids, warnings = outcome
    if progress:
        progress("warehouse")

    def total(attr):
        return {t: sum(getattr(c, attr) for (_, tt), c in counts.items() if tt == t)
                for t in staged}

    added = total("added")
    return IngestResult(
        added, total("duplicate"), total("conflict"),
        {t: (in_batch[t][1] + conflict_ids.get(t, []))[:10] for t in staged},
        reports, warnings, batch=batch, updated=total("updated"),
        batch_conflicts={t: in_batch[t][0] for t in staged},
        batch_conflict_ids={t: in_batch[t][1] for t in staged},
        stale={t: stale.get(t, 0) for t in staged}, on_conflict=on_conflict)


def _staged_frame(rows) -> pd.DataFrame:
    """A file's typed rows as a frame with its ``__file`` (DuckDB-typed rows fetched)."""
    if not isinstance(rows, Staged):
        return rows
    frame = rows.to_pandas()
    frame["__file"] = rows.file
    rows.close()
    return frame


def _write_batch(work: Path, path: Path, files, dates, staged, counts, report_of,
                 on_conflict: str, st, creating: bool, written=None):
    """Write the staged rows as one batch in one transaction (see :func:`ingest`);
    ``written()``, when given, is called after each table (progress)."""
    con = connect(work, read_only=False)
    try:
        if any(isinstance(rows, Staged) for rows, _ in staged.values()):
            # rows typed from a large file: DuckDB holds them, within a bounded memory
            # (spilling to its temporary directory beside the warehouse)
            con.execute(f"SET memory_limit = '{_duckread.MEMORY_LIMIT}'")
        con.execute("BEGIN TRANSACTION")
        _ensure_log(con)
        batch = int(con.execute(f"SELECT coalesce(max(batch_id), 0) + 1 FROM {BATCHES}")
                    .fetchall()[0][0])
        started = datetime.now().replace(microsecond=0)
        known = [d for d in dates if d is not None]
        file_dates = pd.DataFrame({"f": range(len(files)),
                                   "exported_at": pd.to_datetime(pd.Series(dates, dtype=object))})
        con.register("__files", file_dates)
        stale: dict[str, int] = {}
        conflict_ids: dict[str, list[str]] = {}
        for tname, (frame, cols_of) in staged.items():
            spec = schema.resolve_table(tname, st)
            n_stale, ids = _write_table(con, batch, spec, frame, cols_of, on_conflict, counts,
                                        files, path, any(known))
            stale[tname], conflict_ids[tname] = n_stale, ids
            if written:
                written()
        warnings = []
        for i, f in enumerate(files):
            rep = report_of[i]
            c = counts.get((i, rep.table_name), _FileCounts())
            sha = _sha256(_source_path(f))
            before = con.execute(
                f"SELECT max(l.ingested_at) FROM {INGEST_LOG} l JOIN {BATCHES} b USING (batch_id) "
                "WHERE l.sha256 = ? AND l.table_name = ? AND b.undone_at IS NULL",
                [sha, rep.table_name]).fetchall()[0][0]
            if before is not None and c.added:
                # the same bytes once added these rows already: only ids that changed
                # since (generated from a changed mapping, --scale or constants) explain it
                warnings.append(
                    f"{f}: the same file was ingested on {before:%Y-%m-%d %H:%M}, yet "
                    f"{c.added} of its {rep.rows} rows were added again: their ids differ "
                    "from last time (ids generated from a changed mapping, --scale or "
                    "constants?); check whether these answers are now stored twice")
            con.execute(
                f"INSERT INTO {INGEST_LOG} BY NAME SELECT ? AS ingested_at, ? AS source, "
                "? AS sha256, ? AS table_name, ? AS rows_in_file, ? AS rows_added, "
                "? AS batch_id, ? AS rows_updated, ? AS rows_duplicate, ? AS rows_conflict, "
                "? AS exported_at",
                [started, str(f), sha, rep.table_name, rep.rows, c.added, batch, c.updated,
                 c.duplicate, c.conflict,
                 None if dates[i] is None else dates[i].to_pydatetime()])
        batch_date = max(known).to_pydatetime() if known else None
        con.execute(f"INSERT INTO {BATCHES} VALUES (?, ?, ?, ?, ?, ?, true, NULL)",
                    [batch, started, datetime.now().replace(microsecond=0), on_conflict,
                     batch_date, len(files)])
        con.execute("COMMIT")
        if creating:
            con.execute("CHECKPOINT")  # everything in the file: it is moved without a .wal
    except BaseException as err:
        with contextlib.suppress(Exception):  # the transaction may already be gone
            con.execute("ROLLBACK")
        con.close()
        if creating:
            _remove_warehouse(work)
        if isinstance(err, (ValidationError, KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(err, OSError):
            err = FileError.from_os(err)
        raise WarehouseError(f"ingest into {path} failed and was rolled back (the warehouse "
                             f"is unchanged): {type(err).__name__}: {err}") from err
    con.close()
    return batch, stale, conflict_ids, warnings


def _write_table(con, batch: int, spec: schema.Table, frame: pd.DataFrame,
                 cols_of: dict[int, list[str]], on_conflict: str, counts, files, path: Path,
                 dated: bool) -> tuple[int, list[str]]:
    """One table of a batch: classify each row against the stored one, then insert,
    update and log. Returns (rows not applied as stale, example conflict ids)."""
    tname, key, t = spec.name, _q(spec.key), _q(spec.name)
    if isinstance(frame, Staged) and _is_empty_table(con, spec.name):
        return _write_new(con, batch, spec, frame, counts)
    if isinstance(frame, Staged):  # typed by DuckDB from the file, never through pandas
        all_cols, in_files = list(frame.columns), [frame.file]
        con.execute(f"CREATE TEMP TABLE __staged AS SELECT *, {int(frame.file)} AS __file "
                    f"FROM ({frame.select()})")
    else:
        all_cols = [c for c in frame.columns if not c.startswith("__")]
        in_files = frame["__file"].unique()
        con.register("__staged", frame)
    _ensure_table(con, spec, all_cols, batch)
    # one pass per set of columns: a file is compared on the columns it has
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in in_files:
        groups.setdefault(tuple(cols_of[int(i)]), []).append(int(i))
    con.execute("CREATE TEMP TABLE __status (k VARCHAR, f INTEGER, status VARCHAR)")
    for cols, fidx in groups.items():
        differs = " OR ".join(f"({_cast(spec, c)} IS DISTINCT FROM t.{_q(c)})"
                              for c in cols if c != spec.key) or "false"
        con.execute(
            f"INSERT INTO __status SELECT s.{key}, s.__file, CASE WHEN t.{key} IS NULL THEN "
            f"'new' WHEN {differs} THEN 'differs' ELSE 'same' END FROM __staged s "
            f"LEFT JOIN {t} t ON s.{key} = t.{key} "
            f"WHERE s.__file IN ({', '.join(map(str, fidx))})")
    n_stale = 0
    if on_conflict == "update" and dated:
        # the stored version's export date: of the last batch that wrote it
        con.execute(
            f"UPDATE __status SET status = 'stale' FROM (SELECT key, exported_at FROM {CHANGES} "
            "WHERE table_name = ? QUALIFY row_number() OVER (PARTITION BY key "
            "ORDER BY batch_id DESC) = 1) w, __files d WHERE __status.status = 'differs' "
            "AND w.key = __status.k AND d.f = __status.f AND w.exported_at > d.exported_at",
            [tname])
        n_stale = _count(con, "stale")
    if on_conflict == "error":
        n_conf = _count(con, "differs")
        if n_conf:
            examples = con.execute("SELECT k, f FROM __status WHERE status = 'differs' "
                                   "ORDER BY f, k LIMIT 1000").fetchall()
            exc = ValidationError(
                f"{', '.join(sorted({str(files[f]) for _, f in examples}))} → {path}", tname,
                [Problem(spec.key, "conflict", k, None,
                         "an id not stored yet, or the same content as stored")
                 for k, _ in examples])
            if n_conf > len(examples):
                exc.args = (exc.args[0] + f"\n  ({n_conf} conflicting rows in all)",)
            raise exc
    replacing = on_conflict == "update" and _count(con, "differs")
    if replacing:
        hist = _ensure_history(con, tname)
        con.execute(
            f"INSERT INTO {_q(hist)} BY NAME SELECT ? AS {_BATCH_COL}, t.* FROM {t} t "
            f"WHERE t.{key} IN (SELECT k FROM __status WHERE status = 'differs')", [batch])
        for cols, fidx in groups.items():
            sets = ", ".join(f"{_q(c)} = {_cast(spec, c)}" for c in cols if c != spec.key)
            if not sets:
                continue
            con.execute(
                f"UPDATE {t} SET {sets} FROM __staged s WHERE {t}.{key} = s.{key} "
                f"AND s.__file IN ({', '.join(map(str, fidx))}) AND s.{key} IN "
                "(SELECT k FROM __status WHERE status = 'differs')")
    select = ", ".join(f"{_cast(spec, c)} AS {_q(c)}" for c in all_cols)
    n_new, n_all = con.execute("SELECT count(*) FILTER (WHERE status = 'new'), count(*) "
                               "FROM __status").fetchall()[0]
    # one row per id here (resolved within the batch): when all are new, all go in
    only_new = "" if n_new == n_all else (
        f" WHERE s.{key} IN (SELECT k FROM __status WHERE status = 'new')")
    con.execute(f"INSERT INTO {t} BY NAME SELECT {select} FROM __staged s{only_new}")
    written = "('new', 'differs')" if on_conflict == "update" else "('new')"
    con.execute(
        f"INSERT INTO {CHANGES} SELECT ?, ?, s.k, CASE s.status WHEN 'new' THEN 'added' "
        f"ELSE 'updated' END, d.exported_at FROM __status s JOIN __files d ON d.f = s.f "
        f"WHERE s.status IN {written}", [batch, tname])
    outcome = {"new": "added", "same": "duplicate", "stale": "conflict",
               "differs": "updated" if on_conflict == "update" else "conflict"}
    by_file = con.execute("SELECT f, status, count(*) FROM __status GROUP BY ALL").fetchall()
    for f, status, n in by_file:
        c = counts.setdefault((int(f), tname), _FileCounts())
        setattr(c, outcome[status], getattr(c, outcome[status]) + int(n))
    not_applied = "('stale')" if on_conflict == "update" else "('differs')"
    ids = [str(r[0]) for r in con.execute(
        f"SELECT k FROM __status WHERE status IN {not_applied} ORDER BY f, k LIMIT 10").fetchall()]
    con.execute("DROP TABLE __status")
    if isinstance(frame, Staged):
        con.execute("DROP TABLE __staged")
    else:
        con.unregister("__staged")
    return int(n_stale), ids


def _is_empty_table(con, table: str) -> bool:
    """Whether ``table`` is missing or holds no row."""
    if _existing_columns(con, table) is None:
        return True
    return not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {_q(table)} LIMIT 1)"
                           ).fetchall()[0][0]


def _write_new(con, batch: int, spec: schema.Table, rows: Staged, counts) -> tuple[int, list]:
    """A file's DuckDB-typed rows into a table with no row yet: each is new (its ids are
    unique, checked when it was read), so :func:`_write_table`'s classification against
    stored rows is skipped and the rows go from the file into the table in one insert,
    then every stored id into the change log. The same rows, counts and log as
    :func:`_write_table` (``tests/test_duckread.py`` compares them)."""
    tname, key, t = spec.name, _q(spec.key), _q(spec.name)
    _ensure_table(con, spec, rows.columns, batch)
    select = ", ".join(f"{_cast(spec, c)} AS {_q(c)}" for c in rows.columns)
    con.execute(f"INSERT INTO {t} BY NAME SELECT {select} FROM ({rows.select()}) s")
    con.execute(f"INSERT INTO {CHANGES} SELECT ?, ?, {key}, 'added', d.exported_at FROM {t}, "
                "__files d WHERE d.f = ?", [batch, tname, rows.file])
    c = counts.setdefault((rows.file, tname), _FileCounts())
    c.added += int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
    return 0, []


def _count(con, status: str) -> int:
    return int(con.execute("SELECT count(*) FROM __status WHERE status = ?", [status])
               .fetchall()[0][0])


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


# ---------------------------------------------------------------------------- the batch log

def _has_table(con, name: str) -> bool:
    return _existing_columns(con, name) is not None


def history(warehouse: str | os.PathLike | None = None) -> pd.DataFrame:
    """The warehouse's ingest batches: one row per batch and table, oldest first.

    Columns: ``batch``, ``ingested_at``, ``on_conflict``, ``exported_at``, ``table``,
    ``files`` (``name (sha256 prefix)``, comma-separated), ``rows`` (in the files),
    ``added``, ``updated``, ``duplicates``, ``conflicts``, ``undoable``, ``undone_at``.
    Counts are ``<NA>`` for batches logged before cxlab counted them.
    """
    path = _warehouse_path(warehouse)
    con = connect(path)
    try:
        if not _has_table(con, INGEST_LOG):
            return pd.DataFrame(columns=["batch", "ingested_at", "on_conflict", "exported_at",
                                         "table", "files", "rows", "added", "updated",
                                         "duplicates", "conflicts", "undoable", "undone_at"])
        cols = _existing_columns(con, INGEST_LOG)
        if "batch_id" in cols and _has_table(con, BATCHES):
            log = INGEST_LOG
            batches = BATCHES
        else:  # written before batches were numbered: number them by time, as ingest will
            log = (f"(SELECT *, NULL::INTEGER AS rows_updated, NULL::INTEGER AS rows_duplicate, "
                   "NULL::INTEGER AS rows_conflict, dense_rank() OVER (ORDER BY ingested_at) "
                   f"AS batch_id FROM {INGEST_LOG})")
            batches = (f"(SELECT batch_id, min(ingested_at) AS started_at, 'skip' AS on_conflict, "
                       "NULL::TIMESTAMP AS exported_at, false AS undoable, "
                       f"NULL::TIMESTAMP AS undone_at FROM {log} GROUP BY batch_id)")
        sql = f"""
            SELECT b.batch_id AS batch, b.started_at AS ingested_at, b.on_conflict,
                   b.exported_at, l.table_name AS "table",
                   string_agg(regexp_replace(l.source, '^.*[/\\\\]', '') || ' ('
                              || left(l.sha256, 12) || ')', ', ' ORDER BY l.source) AS files,
                   sum(l.rows_in_file)::BIGINT AS rows, sum(l.rows_added)::BIGINT AS added,
                   sum(l.rows_updated)::BIGINT AS updated,
                   sum(l.rows_duplicate)::BIGINT AS duplicates,
                   sum(l.rows_conflict)::BIGINT AS conflicts, b.undoable, b.undone_at
            FROM {batches} b JOIN {log} l ON l.batch_id = b.batch_id
            GROUP BY ALL ORDER BY batch, "table"
        """
        return _fetch(con, sql, path=path)
    finally:
        con.close()


@dataclass(frozen=True)
class UndoResult:
    """What :func:`undo` did.

    Attributes
    ----------
    batches : tuple of int
        The batches undone, newest first (more than one with ``cascade=True``).
    removed : dict
        Per table, rows deleted (the batches had added them).
    restored : dict
        Per table, rows put back to the version they had before (the batches had
        replaced them).
    dropped : tuple of str
        Tables and columns the batches had created, removed again (``table`` or
        ``table.column``).
    kept : tuple of str
        Columns the batches had created that later batches have filled: kept.
    """

    warehouse: Path
    batches: tuple[int, ...]
    removed: dict = field(default_factory=dict)
    restored: dict = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    def summary(self) -> str:
        which = ", ".join(map(str, self.batches))
        lines = [f"undid batch{'es' if len(self.batches) > 1 else ''} {which} in {self.warehouse}"]
        for t in sorted(set(self.removed) | set(self.restored)):
            lines.append(f"  {t}: {self.removed.get(t, 0)} row(s) removed, "
                         f"{self.restored.get(t, 0)} restored to their earlier version")
        if self.dropped:
            lines.append("  removed again: " + ", ".join(self.dropped))
        if self.kept:
            lines.append("  kept (later batches filled them): " + ", ".join(self.kept))
        return "\n".join(lines)


def _later_touching(con, batches: set[int]) -> dict[int, list[tuple[str, int, str]]]:
    """Live batches after any of ``batches`` that wrote a row one of them wrote:
    ``{batch: [(table, rows, example id)]}``."""
    marks = ", ".join(map(str, sorted(batches)))
    rows = con.execute(
        f"SELECT c.batch_id, c.table_name, count(DISTINCT c.key), min(c.key) FROM {CHANGES} c "
        f"JOIN {CHANGES} m ON c.table_name = m.table_name AND c.key = m.key "
        f"WHERE m.batch_id IN ({marks}) AND c.batch_id > m.batch_id "
        f"AND c.batch_id NOT IN ({marks}) GROUP BY ALL ORDER BY 1, 2").fetchall()
    out: dict[int, list] = {}
    for b, t, n, k in rows:
        out.setdefault(int(b), []).append((t, int(n), k))
    return out


def undo(batch: int, warehouse: str | os.PathLike | None = None, *,
         cascade: bool = False) -> UndoResult:
    """Put the warehouse back exactly as it was before ``batch``, in one transaction.

    Rows the batch added are deleted, rows it replaced (``on_conflict="update"``) get
    their earlier version back, and tables or columns it created are removed again when
    nothing else fills them. The batch stays in :func:`history`, marked undone; ingest
    its files again to redo it.

    A later batch that changed one of the same rows depends on this one. Then the undo
    is refused, naming those batches — unless ``cascade=True``, which undoes them too
    (newest first, and the batches depending on them in turn). Later batches that
    touched other rows are kept.

    Raises
    ------
    WarehouseError
        No such batch, already undone, logged before cxlab kept undo records, or later
        batches depend on it (without ``cascade``). Nothing is changed.
    """
    try:
        batch = int(batch)
    except (TypeError, ValueError):
        raise ParameterError(f"batch {batch!r}: expected a batch number, as "
                             "`cxlab history` lists them") from None
    path = _warehouse_path(warehouse)
    if not path.exists():
        connect(path)  # the usual "no warehouse at …" message
    _clean_leftovers(path)
    con = connect(path, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        if not _has_table(con, INGEST_LOG):
            raise WarehouseError(f"the warehouse {path} has no ingest log, so no batch to undo")
        _ensure_log(con)
        row = con.execute(f"SELECT undoable, undone_at FROM {BATCHES} WHERE batch_id = ?",
                          [batch]).fetchall()
        row = row[0] if row else None
        last = con.execute(f"SELECT max(batch_id) FROM {BATCHES}").fetchall()[0][0]
        if row is None:
            raise WarehouseError(f"there is no batch {batch} in {path} (batches 1–{last or 0}; "
                                 "`cxlab history` lists them)")
        undoable, undone_at = row
        if undone_at is not None:
            raise WarehouseError(f"batch {batch} was already undone on {undone_at:%Y-%m-%d %H:%M}")
        if not undoable:
            raise WarehouseError(f"batch {batch} was ingested before cxlab recorded what each "
                                 "batch changed, so it cannot be undone")
        todo = {batch}
        while True:
            later = _later_touching(con, todo)
            if not later:
                break
            if not cascade:
                what = "; ".join(
                    f"batch {b}: " + ", ".join(f"{n} {t} row(s), e.g. {k}" for t, n, k in v)
                    for b, v in sorted(later.items()))
                newest = " then ".join(f"`cxlab undo {b}`" for b in sorted(later, reverse=True))
                raise WarehouseError(
                    f"batch {batch} cannot be undone alone: later batches changed the same "
                    f"rows ({what}). Undo those first ({newest}), or all of them together "
                    f"with `cxlab undo {batch} --cascade`. Nothing was changed.")
            todo |= set(later)
        result = UndoResult(path, tuple(sorted(todo, reverse=True)), {}, {})
        dropped, kept = [], []
        for b in result.batches:
            _undo_one(con, b, result.removed, result.restored, dropped, kept)
            con.execute(f"UPDATE {BATCHES} SET undone_at = ? WHERE batch_id = ?",
                        [datetime.now().replace(microsecond=0), b])
        con.execute("COMMIT")
    except BaseException as err:
        with contextlib.suppress(Exception):  # the transaction may already be gone
            con.execute("ROLLBACK")
        con.close()
        if isinstance(err, (CxlabError, KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(err, OSError):
            err = FileError.from_os(err)
        raise WarehouseError(f"undo of batch {batch} in {path} failed and was rolled back (the "
                             f"warehouse is unchanged): {type(err).__name__}: {err}") from err
    con.close()
    return UndoResult(path, result.batches, result.removed, result.restored, tuple(dropped),
                      tuple(kept))


def _undo_one(con, batch: int, removed: dict, restored: dict, dropped: list, kept: list) -> None:
    tables = [r[0] for r in con.execute(
        f"SELECT DISTINCT table_name FROM {CHANGES} WHERE batch_id = ? UNION "
        f"SELECT DISTINCT table_name FROM {SCHEMA_CHANGES} WHERE batch_id = ? ORDER BY 1",
        [batch, batch]).fetchall()]
    for tname in tables:
        spec_key = schema.TABLES[tname].key if tname in schema.TABLES else None
        t, hist = _q(tname), REPLACED + tname
        stored = _existing_columns(con, tname)
        if stored is not None and spec_key is not None:
            n_added = con.execute(
                f"SELECT count(*) FILTER (WHERE action = 'added') FROM {CHANGES} "
                "WHERE batch_id = ? AND table_name = ?", [batch, tname]).fetchall()[0][0]
            con.execute(f"DELETE FROM {t} WHERE {_q(spec_key)} IN (SELECT key FROM {CHANGES} "
                        "WHERE batch_id = ? AND table_name = ?)", [batch, tname])
            n_back = 0
            if _has_table(con, hist):
                have = _existing_columns(con, hist)
                cols = ", ".join(_q(c) for c in stored if c in have)
                n_back = con.execute(f"SELECT count(*) FROM {_q(hist)} WHERE {_BATCH_COL} = ?",
                                     [batch]).fetchall()[0][0]
                con.execute(f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {_q(hist)} "
                            f"WHERE {_BATCH_COL} = ?", [batch])
                con.execute(f"DELETE FROM {_q(hist)} WHERE {_BATCH_COL} = ?", [batch])
                if not con.execute(f"SELECT count(*) FROM {_q(hist)}").fetchall()[0][0]:
                    con.execute(f"DROP TABLE {_q(hist)}")
            removed[tname] = removed.get(tname, 0) + int(n_added)
            restored[tname] = restored.get(tname, 0) + int(n_back)
        # what the batch created, newest first: removed when nothing fills it any more
        created = con.execute(f"SELECT column_name FROM {SCHEMA_CHANGES} WHERE batch_id = ? "
                              "AND table_name = ? ORDER BY column_name NULLS LAST",
                              [batch, tname]).fetchall()
        for (column,) in created:
            if _existing_columns(con, tname) is None:
                continue
            if column is None:
                if con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] == 0:
                    con.execute(f"DROP TABLE {t}")
                    if _has_table(con, hist) and not con.execute(
                            f"SELECT count(*) FROM {_q(hist)}").fetchall()[0][0]:
                        con.execute(f"DROP TABLE {_q(hist)}")
                    dropped.append(tname)
                else:
                    kept.append(tname)
            elif column in (_existing_columns(con, tname) or []):
                if con.execute(f"SELECT count({_q(column)}) FROM {t}").fetchall()[0][0] == 0:
                    con.execute(f"ALTER TABLE {t} DROP COLUMN {_q(column)}")
                    dropped.append(f"{tname}.{column}")
                else:
                    kept.append(f"{tname}.{column}")
    con.execute(f"DELETE FROM {CHANGES} WHERE batch_id = ?", [batch])
    con.execute(f"DELETE FROM {SCHEMA_CHANGES} WHERE batch_id = ?", [batch])


# ---------------------------------------------------------------------------- the sample data

def build_sample_warehouse(warehouse: str | os.PathLike | None = None,
                           replace: bool = False,
                           progress: Callable[[str], None] | None = None,
                           *, study=None) -> IngestResult:
    """Ingest the sample data (``data/samples/*.csv`` and the feedback group's Telegram
    export ``data/samples/telegram/result.json``) into the sample warehouse.

    The default is :data:`cxlab.paths.SAMPLE_WAREHOUSE` (``data/samples.duckdb``), never
    the real warehouse: synthetic rows go elsewhere only when ``warehouse`` says so.
    With ``replace=True`` the warehouse is built afresh in a temporary file beside the
    target and moved over it atomically (``os.replace``): a reader never sees half a
    warehouse, and a failure leaves the old one in place. The sample data is read with
    its own study (:data:`cxlab.paths.SAMPLE_STUDY`) unless ``study`` says otherwise,
    whatever ``$CXLAB_STUDY`` points to.
    """
    study = _paths.SAMPLE_STUDY if study is None else study
    files = sorted(p for p in _paths.SAMPLES_DIR.glob("*.csv")
                   if schema.table_for_file(p.name) is not None)
    telegram = _paths.SAMPLES_DIR / "telegram" / "result.json"  # the feedback group's export
    if files and telegram.exists():
        files.append(telegram)
    if not files:
        raise ReadError(f"no sample CSVs in {_paths.SAMPLES_DIR}; generate them with "
                        "`cxlab samples` (or `make samples`)")
    target = _paths.SAMPLE_WAREHOUSE if warehouse is None else _warehouse_path(warehouse)
    if not replace:
        return ingest(files, warehouse=target, progress=progress, study=study)
    _make_parent(target)
    _clean_leftovers(target)
    tmp_path = _paths.temp_sibling(target)
    try:
        result = ingest(files, warehouse=tmp_path, progress=progress, study=study)
        # a .wal beside the target belongs to the old file: it must not be replayed
        # into the new one
        stale_wal = Path(str(target) + ".wal")
        if stale_wal.exists():
            stale_wal.unlink()
        os.replace(tmp_path, target)
    except OSError as err:
        raise FileError.from_os(err, f"replace the warehouse {target}") from None
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


def _fetch(con, sql: str, params=None, *, path: Path | None = None) -> pd.DataFrame:
    import duckdb

    try:
        rel = con.sql(sql, params=list(params) if params else None)
        return _to_pandas(rel.to_arrow_table())
    except duckdb.Error as err:
        where = f" on {path}" if path is not None else ""
        raise WarehouseError(f"query failed{where}: {err}") from None


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
    since=None,
    upto=None,
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
    since, upto : date-like, optional
        Only rows whose ``date_column`` is in ``[since, upto)`` (with ``quarter``: both
        apply), filtered in SQL.

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
    for bound, op in ((since, ">="), (upto, "<")):
        if bound is None:
            continue
        if spec.date_column is None:
            raise QuarterError(f"table {table!r} has no date column, so it cannot be "
                               "filtered by date; load it without since= / upto=")
        where += f" {'AND' if where else 'WHERE'} {_q(spec.date_column)} {op} ?"
        params.append(pd.Timestamp(bound).to_pydatetime())
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
        return _fetch(con, sql, params, path=path)
    finally:
        con.close()


def query(sql: str, warehouse: str | os.PathLike | None = None, params=None) -> pd.DataFrame:
    """Run SQL on the warehouse (read-only) and return a typed DataFrame.

    For aggregations pushed down to DuckDB: ``query("SELECT channel, count(*) AS n FROM
    responses GROUP BY channel")``. ``params`` fills ``?`` placeholders.
    """
    path = _warehouse_path(warehouse)
    con = connect(path)
    try:
        return _fetch(con, sql, params, path=path)
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
        table = _fetch(con, sql, [start.to_pydatetime(), end.to_pydatetime()], path=path)
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
