"""Corrections and undo: ``on_conflict="update"``, the batch log, ``cxlab history`` and
``cxlab undo``, end to end through the CLI and through ``cxlab.io``.

Every warehouse lives in tmp_path. The complaints are written here by hand (three
complaints received in September 2026: exported open, then exported again resolved), so
each expected value is read off the frames below.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import io
from cxlab import warehouse as warehouse_module
from cxlab.cli import app
from cxlab.errors import ParameterError, ValidationError, WarehouseError

runner = CliRunner()

IDS = ["P1", "P2", "P3"]
RESOLVED = ["2026-09-02 15:00", "2026-09-04 09:30", "2026-09-05 18:45"]


def cli(*args):
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in res.output
    return res


def complaints(resolved=(None, None, None), responsible=("Support", "Support", "Sales"),
               description=True) -> pd.DataFrame:
    df = pd.DataFrame({
        "complaint_id": IDS,
        "client_id": ["C1", "C2", "C3"],
        "received_at": ["2026-09-01 10:00", "2026-09-02 11:00", "2026-09-03 12:00"],
        "channel": ["email", "phone", "web"],
        "category": ["Billing", "Schedule", "Staff"],
        "responsible": list(responsible),
        "resolved_at": ["" if r is None else r for r in resolved],
    })
    if description:
        df["description"] = ["Charged twice", "Lesson moved", "Rude answer"]
    return df


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def responses(ids, nps, path: Path, **extra) -> Path:
    df = pd.DataFrame({"response_id": ids, "submitted_at": ["2026-07-15 10:00"] * len(ids),
                       "channel": ["phone"] * len(ids), "nps": [str(x) for x in nps]})
    for name, values in extra.items():
        df[name] = [str(v) for v in values]
    return write(df, path)


def data_tables(wh: Path) -> dict[str, pd.DataFrame]:
    """Every data table (not the batch log's '_' tables), fully, in a fixed order."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').df() for n in names}
    finally:
        con.close()


def assert_same_tables(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name, frame in a.items():
        assert list(frame.columns) == list(b[name].columns), name
        pd.testing.assert_frame_equal(frame, b[name], obj=name)


def resolved_at(wh: Path) -> dict[str, object]:
    back = io.load("complaints", wh).set_index("complaint_id")["resolved_at"]
    return {k: (None if pd.isna(v) else str(v)[:16]) for k, v in back.items()}


@pytest.fixture
def wh(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


# ------------------------------------------------------------------ corrections via the CLI

def test_complaint_exported_open_then_resolved_ends_resolved_with_update(wh, tmp_path):
    open_ = write(complaints(), tmp_path / "complaints_2026-09-03.csv")
    fresh = write(complaints(resolved=RESOLVED), tmp_path / "complaints_2026-09-10.csv")
    assert cli("ingest", open_, "-w", wh).exit_code == 0
    assert resolved_at(wh) == dict.fromkeys(IDS)

    # the default keeps the stored version: still open, and said so
    res = cli("ingest", fresh, "-w", wh)
    assert res.exit_code == 0, res.output
    assert "3 row(s) have an id already stored with different content" in res.output
    assert resolved_at(wh) == dict.fromkeys(IDS)
    assert io.history(wh)["conflicts"].tolist() == [0, 3]

    res = cli("ingest", fresh, "-w", wh, "--on-conflict", "update")
    assert res.exit_code == 0, res.output
    assert "as batch 3" in res.output and "3 stored row(s) replaced" in res.output
    assert "cxlab undo 3" in res.output
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))
    # nothing else changed: the other columns, and no row added
    back = io.load("complaints", wh)
    assert back["complaint_id"].tolist() == IDS and back["description"].tolist() == [
        "Charged twice", "Lesson moved", "Rude answer"]


def test_stale_then_fresh_in_one_batch(wh, tmp_path):
    stale = write(complaints(), tmp_path / "complaints_stale.csv")
    fresh = write(complaints(resolved=RESOLVED), tmp_path / "complaints_fresh.csv")
    # the last file on the command line is the latest export
    res = cli("ingest", stale, fresh, "-w", wh, "--on-conflict", "update")
    assert res.exit_code == 0, res.output
    assert "3 row(s) conflict within the batch" in res.output
    assert "have an id already stored" not in res.output  # within the batch: not "stored"
    h = io.history(wh)
    assert (h["added"].tolist(), h["duplicates"].tolist(), h["conflicts"].tolist()) == (
        [3], [0], [3])
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))

    # with skip, the first file of the batch is kept, and it is named a batch conflict
    other = tmp_path / "other.duckdb"
    res = cli("ingest", stale, fresh, "-w", other)
    assert res.exit_code == 0
    assert "3 row(s) conflict within the batch" in res.output
    assert "first file's version was kept" in res.output
    assert "have an id already stored" not in res.output
    assert resolved_at(other) == dict.fromkeys(IDS)


def test_per_file_export_dates_order_the_batch(wh, tmp_path):
    stale = write(complaints(), tmp_path / "complaints_a.csv")
    fresh = write(complaints(resolved=RESOLVED), tmp_path / "complaints_b.csv")
    # given fresh first, but its export date is the later one
    res = io.ingest([fresh, stale], warehouse=wh, on_conflict="update",
                    exported_at=["2026-09-10", "2026-09-03"])
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))
    assert res.batch_conflicts == {"complaints": 3} and res == {"complaints": 3}
    assert res.batch_conflict_ids == {"complaints": IDS}


def test_a_stale_export_never_overwrites_a_later_one(wh, tmp_path):
    fresh = write(complaints(resolved=RESOLVED), tmp_path / "complaints_b.csv")
    stale = write(complaints(), tmp_path / "complaints_a.csv")
    assert cli("ingest", fresh, "-w", wh, "--exported-at", "2026-09-10").exit_code == 0
    res = cli("ingest", stale, "-w", wh, "--on-conflict", "update", "--exported-at", "2026-09-03")
    assert res.exit_code == 0, res.output
    assert "3 row(s) were not applied: the stored version comes from a later export" in res.output
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))
    # a later export does replace it
    newer = write(complaints(resolved=RESOLVED, responsible=("Support",) * 3),
                  tmp_path / "complaints_c.csv")
    r = io.ingest([newer], warehouse=wh, on_conflict="update", exported_at="2026-09-20")
    assert r.updated == {"complaints": 1} and r.stale == {"complaints": 0}
    assert io.load("complaints", wh)["responsible"].tolist() == ["Support"] * 3


def test_update_keeps_the_columns_the_later_file_does_not_have(wh, tmp_path):
    io.ingest([write(complaints(), tmp_path / "complaints_1.csv")], warehouse=wh)
    later = write(complaints(resolved=RESOLVED, description=False), tmp_path / "complaints_2.csv")
    res = io.ingest([later], warehouse=wh, on_conflict="update")
    assert res.updated == {"complaints": 3}
    back = io.load("complaints", wh)
    assert back["description"].tolist() == ["Charged twice", "Lesson moved", "Rude answer"]
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))


def test_one_id_twice_in_one_file_is_refused(wh, tmp_path):
    df = pd.concat([complaints(), complaints(resolved=RESOLVED).iloc[[0]]], ignore_index=True)
    res = cli("ingest", write(df, tmp_path / "complaints.csv"), "-w", wh, "--on-conflict", "update")
    assert res.exit_code == 1
    assert "P1" in res.output and "duplicate" in res.output
    assert not wh.exists()


def test_on_conflict_error_names_a_conflict_within_the_batch(wh, tmp_path):
    a = write(complaints(), tmp_path / "complaints_a.csv")
    b = write(complaints(resolved=RESOLVED), tmp_path / "complaints_b.csv")
    with pytest.raises(ValidationError, match="conflict within the batch"):
        io.ingest([a, b], warehouse=wh, on_conflict="error")
    assert not wh.exists()


@pytest.mark.parametrize("bad, message", [
    ("yesterday-ish", "expected a date like 2026-10-05"),
    ("2999-01-01", "not plausible"),
])
def test_a_bad_export_date_is_one_clear_message(wh, tmp_path, bad, message):
    res = cli("ingest", write(complaints(), tmp_path / "complaints.csv"), "-w", wh,
              "--exported-at", bad)
    assert res.exit_code == 1 and message in res.output
    assert not wh.exists()


def test_unknown_on_conflict_is_refused(wh, tmp_path):
    with pytest.raises(ParameterError, match="'skip', 'error', 'update'"):
        io.ingest([write(complaints(), tmp_path / "complaints.csv")], warehouse=wh,
                  on_conflict="overwrite")


# ------------------------------------------------------------------ undo via the CLI

def test_garbled_ingest_undone_and_redone(wh, tmp_path):
    good = write(complaints(resolved=RESOLVED), tmp_path / "complaints.csv")
    resp = responses(["R1", "R2"], [9, 3], tmp_path / "responses.csv")
    assert cli("ingest", good, resp, "-w", wh).exit_code == 0
    before = data_tables(wh)

    # "garbled": the same ids with wrong values (mojibake text, a wrong date and score),
    # plus a column the warehouse did not have and a row it did not have
    garbled = complaints(resolved=RESOLVED)
    garbled["category"] = ["РљР°С‡РµСЃС‚РІРѕ"] * 3
    garbled["resolved_at"] = ["2026-09-30 23:00"] * 3
    garbled = write(garbled, tmp_path / "complaints_garbled.csv")
    bad_resp = responses(["R1", "R2", "R9"], [0, 0, 0], tmp_path / "responses_garbled.csv",
                         f_safety=[1, 1, 1])
    res = cli("ingest", garbled, bad_resp, "-w", wh, "--on-conflict", "update")
    assert res.exit_code == 0, res.output
    after_garbled = data_tables(wh)
    assert io.load("complaints", wh)["category"].tolist() == ["РљР°С‡РµСЃС‚РІРѕ"] * 3
    assert io.load("responses", wh)["nps"].tolist() == [0, 0, 0]

    res = cli("history", "-w", wh)
    assert res.exit_code == 0
    assert "batch 2" in res.output and "on conflict: update" in res.output
    assert "complaints_garbled.csv (" in res.output and "UNDONE" not in res.output

    res = cli("undo", "2", "-w", wh)
    assert res.exit_code == 0, res.output
    assert "complaints: 0 row(s) removed, 3 restored" in res.output
    assert "responses: 1 row(s) removed, 2 restored" in res.output
    assert "responses.f_safety" in res.output  # the column the batch added is gone again
    assert_same_tables(before, data_tables(wh))  # row for row, column for column

    res = cli("history", "-w", wh)
    assert "UNDONE" in res.output
    assert cli("undo", "2", "-w", wh).exit_code == 1  # once only

    # redo: the same batch again gives the same warehouse as the first time …
    assert cli("ingest", garbled, bad_resp, "-w", wh, "--on-conflict", "update").exit_code == 0
    assert_same_tables(after_garbled, data_tables(wh))
    # … and the correct export, ingested with update, repairs it
    res = cli("ingest", good, "-w", wh, "--on-conflict", "update")
    assert res.exit_code == 0
    assert resolved_at(wh) == dict(zip(IDS, RESOLVED))
    assert io.load("complaints", wh)["category"].tolist() == ["Billing", "Schedule", "Staff"]


def test_undo_of_a_batch_later_batches_depend_on(wh, tmp_path):
    v1 = write(complaints(), tmp_path / "complaints_1.csv")
    v2 = write(complaints(resolved=RESOLVED), tmp_path / "complaints_2.csv")
    v3 = write(complaints(resolved=RESOLVED, responsible=("Sales",) * 3), tmp_path / "c_3.csv")
    other = responses(["R1"], [9], tmp_path / "responses.csv")
    cli("ingest", v1, "-w", wh)                                         # 1
    before_2 = data_tables(wh)
    cli("ingest", v2, "-w", wh, "--on-conflict", "update")               # 2: P1–P3
    cli("ingest", v3, "-t", "complaints", "-w", wh, "--on-conflict", "update")  # 3: P1, P2
    cli("ingest", other, "-w", wh)                                       # 4: other rows
    before_undo = data_tables(wh)

    res = cli("undo", "2", "-w", wh)
    assert res.exit_code == 1
    msg = " ".join(res.output.split())
    assert "batch 2 cannot be undone alone" in msg and "batch 3: 2 complaints row(s)" in msg
    assert "--cascade" in msg and "cxlab undo 3" in msg
    assert_same_tables(before_undo, data_tables(wh))  # refused: nothing changed

    res = cli("undo", "2", "-w", wh, "--cascade")
    assert res.exit_code == 0, res.output
    assert "undid batches 3, 2" in res.output
    after = data_tables(wh)
    # complaints exactly as before batch 2; batch 4's responses kept
    assert_same_tables({"complaints": before_2["complaints"]},
                       {"complaints": after["complaints"]})
    assert after["responses"]["response_id"].tolist() == ["R1"]
    h = io.history(wh).set_index("batch")
    assert h["undone_at"].notna().tolist() == [False, True, True, False]


def test_undo_removes_a_table_the_batch_created(wh, tmp_path):
    cli("ingest", responses(["R1"], [9], tmp_path / "responses.csv"), "-w", wh)
    before = data_tables(wh)
    cli("ingest", write(complaints(), tmp_path / "complaints.csv"), "-w", wh)
    assert "complaints" in data_tables(wh)
    res = cli("undo", "2", "-w", wh)
    assert res.exit_code == 0 and "removed again: complaints" in res.output
    assert_same_tables(before, data_tables(wh))


def test_undo_messages(wh, tmp_path):
    res = cli("undo", "1", "-w", wh)
    assert res.exit_code == 1 and "no warehouse at" in res.output
    cli("ingest", write(complaints(), tmp_path / "complaints.csv"), "-w", wh)
    res = cli("undo", "7", "-w", wh)
    assert res.exit_code == 1 and "there is no batch 7" in res.output and "cxlab history" in res.output


def test_a_failed_undo_changes_nothing(wh, tmp_path, monkeypatch):
    io.ingest([write(complaints(), tmp_path / "complaints_1.csv")], warehouse=wh)
    io.ingest([write(complaints(resolved=RESOLVED), tmp_path / "complaints_2.csv")],
              warehouse=wh, on_conflict="update")
    before = data_tables(wh)
    real = warehouse_module._undo_one

    def broken(con, *args):  # fails after the rows were changed, inside the transaction
        real(con, *args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(warehouse_module, "_undo_one", broken)
    with pytest.raises(WarehouseError, match="rolled back.*disk is full"):
        io.undo(2, wh)
    assert_same_tables(before, data_tables(wh))
    assert io.history(wh)["undone_at"].isna().all()


def test_a_log_from_before_batches_is_upgraded(wh, tmp_path):
    # a warehouse written by the previous cxlab: its log had no batch numbers
    io.ingest([write(complaints(), tmp_path / "complaints.csv")], warehouse=wh)
    con = duckdb.connect(str(wh))
    for t in ("_batches", "_changes", "_schema_changes"):
        con.execute(f"DROP TABLE {t}")
    con.execute("CREATE TABLE old_log AS SELECT ingested_at, source, sha256, table_name, "
                "rows_in_file, rows_added FROM _ingest_log")
    con.execute("DROP TABLE _ingest_log")
    con.execute("ALTER TABLE old_log RENAME TO _ingest_log")
    con.close()
    h = io.history(wh)  # read-only: numbered on the fly
    assert h["batch"].tolist() == [1] and h["added"].tolist() == [3]
    assert h["updated"].isna().all()
    res = io.ingest([write(complaints(resolved=RESOLVED), tmp_path / "complaints_2.csv")],
                    warehouse=wh, on_conflict="update")
    assert res.batch == 2
    with pytest.raises(WarehouseError, match="cannot be undone"):
        io.undo(1, wh)
    io.undo(2, wh)
    assert resolved_at(wh) == dict.fromkeys(IDS)
    res = cli("history", "-w", wh)
    assert "cannot be undone" in res.output and "UNDONE" in res.output


def test_the_log_records_files_hashes_and_counts(wh, tmp_path):
    import hashlib

    a = write(complaints(), tmp_path / "complaints_a.csv")
    b = write(complaints(resolved=RESOLVED), tmp_path / "complaints_b.csv")
    io.ingest([a], warehouse=wh)
    io.ingest([a, b], warehouse=wh, on_conflict="update", exported_at="2026-09-10 08:00")
    con = duckdb.connect(str(wh), read_only=True)
    log = con.execute("SELECT batch_id, source, sha256, rows_in_file, rows_added, rows_updated, "
                      "rows_duplicate, rows_conflict, exported_at FROM _ingest_log "
                      "ORDER BY batch_id, source").df()
    batches = con.execute("SELECT batch_id, on_conflict, exported_at, undone_at FROM _batches "
                          "ORDER BY 1").df()
    con.close()
    assert log["batch_id"].tolist() == [1, 2, 2]
    assert log["sha256"].tolist() == [hashlib.sha256(p.read_bytes()).hexdigest()
                                      for p in (a, a, b)]
    # batch 2: a's rows are superseded within the batch by b's, which replace the stored
    assert log["rows_added"].tolist() == [3, 0, 0]
    assert log["rows_updated"].tolist() == [0, 0, 3]
    assert log["rows_conflict"].tolist() == [0, 3, 0]
    assert str(log["exported_at"].iloc[1]) == "2026-09-10 08:00:00"
    assert batches["on_conflict"].tolist() == ["skip", "update"]
    assert batches["undone_at"].isna().all()
