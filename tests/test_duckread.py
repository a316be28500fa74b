"""Ingest at the speed of the engine (issue 14, item 4): the DuckDB road gives the pandas
road's typed rows, or steps aside.

The pandas road (``exports._prepare`` → ``schema.validate``) is the reference: it is the
code the error tests were written against. Here each file is read both ways and the
results compared exactly; where the DuckDB road refuses a file (``prepare`` → None) the
pandas road reads it and names every problem, so a wrong file's messages are the same
by construction. The cell-level tests check the two places where the DuckDB road types
values itself (ids/text taken as written; dates in fixed shapes parsed by strptime)
against pandas on every case that matters, in the direction that matters: whatever the
DuckDB road accepts, pandas reads as the same value.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cxlab import _duckread, exports, io, schema
from cxlab.errors import CxlabError
from cxlab.study import load_study

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
DATA = Path(__file__).parent / "data"
SAMPLE_STUDY = SAMPLES / "study.yml"


def both_roads(path: Path, monkeypatch, **kw):
    """(DuckDB road's result or None, pandas road's (typed, report)) for one file."""
    st = load_study(kw.pop("study", None))
    p = exports._source_path(path)
    m = exports.read_mapping(kw.pop("mapping", None))
    tname = exports._table_of(str(path), p, kw.pop("table", None), m)
    spec = schema.resolve_table(tname, st)
    scale = exports._nps_scale(str(path), kw.pop("scale", None), m)
    fast = _duckread.prepare(p, str(path), tname, spec, m, scale, None, None, st)
    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "pandas")
    slow = exports._prepare(path, tname, m, scale, None, study=st)
    monkeypatch.delenv("CXLAB_INGEST_ENGINE")
    return fast, slow


def assert_same(fast, slow):
    staged, report = fast
    typed, ref = slow
    assert not ref.problems
    try:
        pd.testing.assert_frame_equal(staged.to_pandas(), typed)
    finally:
        staged.close()
    assert report == ref


# ----------------------------------------------------------------------- whole files

@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.csv")))
def test_the_sample_tables_read_the_same_on_both_roads(name, monkeypatch):
    """Every sample table (Russian names and comments, yes/no columns, deadlines, segments,
    eight factors) takes the DuckDB road, and gives the pandas road's frame and report."""
    fast, slow = both_roads(SAMPLES / name, monkeypatch, study=SAMPLE_STUDY)
    assert fast is not None, f"{name} should take the DuckDB road"
    assert_same(fast, slow)


def test_a_retailers_exports_read_the_same_on_both_roads(tmp_path, monkeypatch):
    """Another team's files (``,``-separated, ISO dates, a free-coded store segment,
    1–7 items, Russian categories, да/нет) under its own study."""
    from _exports import retailer_exports

    paths = retailer_exports(tmp_path)
    for table in ("responses", "complaints"):
        fast, slow = both_roads(paths[table], monkeypatch, study=paths["study"])
        assert fast is not None
        assert_same(fast, slow)


def test_a_mapped_cp1251_export_with_recoded_codes_and_a_scale(tmp_path, monkeypatch):
    """Russian headers renamed by a mapping, codes recoded (``Сайт`` → web), constants,
    a 1–11 scale, dd.mm.yyyy hh:mm dates, cp1251 with ``;`` and an Excel ``sep=`` line."""
    rows = ["sep=;", "Анкета;Клиент;Когда;Откуда;Оценка;Комментарий"]
    rng = np.random.default_rng(3)
    for i in range(500):
        rows.append(f"A{i};C{rng.integers(80)};{1 + i % 28:02d}.0{1 + i % 9}.2026 "
                    f"{i % 24:02d}:{i % 60:02d};{rng.choice(['Сайт', 'телефон', 'WEB'])};"
                    f"{rng.integers(1, 12)};{rng.choice(['', 'Всё понравилось', 'Долго ждали'])}")
    path = tmp_path / "responses.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1251") + b"\r\n")
    mapping = {"columns": {"Анкета": "response_id", "Клиент": "client_id",
                           "Когда": "submitted_at", "Откуда": "channel", "Оценка": "nps",
                           "Комментарий": "comment"},
               "values": {"channel": {"Сайт": "web", "телефон": "phone"}},
               "constants": {"survey": "periodic"}, "scale": {"nps": "1-11"}}
    fast, slow = both_roads(path, monkeypatch, study=SAMPLE_STUDY, mapping=mapping)
    assert fast is not None
    assert fast[1].encoding == "cp1251" and fast[1].separator == ";"
    assert_same(fast, slow)
    assert set(slow[0]["channel"]) == {"web", "phone"} and slow[0]["nps"].max() <= 10


@pytest.mark.parametrize("name", ["survey_export.csv", "responses_cp1251.csv",
                                  "responses_bad.csv", "survey_tool_export.csv"])
def test_test_exports_read_the_same_or_take_the_pandas_road(name, monkeypatch):
    """The error tests' files: the DuckDB road reads a file only when the pandas road finds
    nothing wrong, and then reads it the same."""
    kw = {"table": "responses"}
    if name == "survey_export.csv":
        kw["mapping"] = DATA / "mapping.yml"
    if name == "survey_tool_export.csv":
        kw.update(mapping=DATA / "survey_tool_mapping.yml", study=DATA / "survey_tool_study.yml")
        kw.pop("table")
    fast, slow = both_roads(DATA / name, monkeypatch, **kw)
    if slow[1].problems or slow[1].generated_ids:
        assert fast is None
    else:
        assert fast is not None
        assert_same(fast, slow)


BAD_FILES = {
    "an unknown code": "R1;C1;2026-07-01 10:00;fax;periodic;9\n",
    "a score outside 0–10": "R1;C1;2026-07-01 10:00;web;periodic;11\n",
    "a date that does not exist": "R1;C1;31.04.2026 10:00;web;periodic;9\n",
    "a date outside the plausible window": "R1;C1;01.01.1999 10:00;web;periodic;9\n",
    "a repeated id": "R1;C1;2026-07-01 10:00;web;periodic;9\nR1;C2;2026-07-02 10:00;web;periodic;8\n",
    "an id with a zero-width space": "R1\u200b;C1;2026-07-01 10:00;web;periodic;9\n",
    "an id with surrounding spaces": " R1 ;C1;2026-07-01 10:00;web;periodic;9\n",
    "a row with a missing field": "R1;C1;2026-07-01 10:00;web;periodic\n",
    "a row with an extra field": "R1;C1;2026-07-01 10:00;web;periodic;9;x\n",
    "an empty required cell": "R1;C1;;web;periodic;9\n",
    "a row of spaces": "R1;C1;2026-07-01 10:00;web;periodic;9\n  ;  ;  ;  ;  ;  \n",
}


@pytest.mark.parametrize("why", sorted(BAD_FILES))
def test_a_file_with_a_problem_takes_the_pandas_road_and_its_message(why, tmp_path,
                                                                      monkeypatch):
    path = tmp_path / "responses.csv"
    path.write_text("response_id;client_id;submitted_at;channel;survey;nps\n"
                    + "R0;C0;2026-07-01 09:00;web;periodic;10\n" + BAD_FILES[why],
                    encoding="utf-8")
    st = load_study(SAMPLE_STUDY)
    spec = schema.resolve_table("responses", st)
    assert _duckread.prepare(path, str(path), "responses", spec, exports.read_mapping(None),
                             None, None, None, st) is None

    def read(road):
        monkeypatch.setenv("CXLAB_INGEST_ENGINE", road)
        try:
            return io.read(path, study=SAMPLE_STUDY), None
        except CxlabError as err:
            return None, f"{type(err).__name__}: {err}"

    forced, error = read("duckdb")
    reference, ref_error = read("pandas")
    assert error == ref_error
    if reference is not None:  # a row of spaces is dropped by both, the same rows stay
        pd.testing.assert_frame_equal(forced, reference)


# ------------------------------------------------------------------- the cell acceptors

def duckdb_dates(values: list[str], kind: str) -> list:
    """The DuckDB road's parse of each value (None: not a shape it takes, or refused)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS c0", [values])
    col = schema.Col("d", kind, nullable=True)
    spec = schema.Table("t", "d", None, (col,))
    shaped = " OR ".join(f"regexp_full_match(c0, '{rx}')" for rx, _ in _duckread.DATE_SHAPES)
    parsed = "CASE " + " ".join(f"WHEN regexp_full_match(c0, '{rx}') THEN "
                                f"try_strptime(c0, '{fmt}')"
                                for rx, fmt in _duckread.DATE_SHAPES) + " END"
    if kind == "date":
        parsed = f"date_trunc('day', {parsed})"
    del spec
    return [r[0] for r in con.execute(f"SELECT CASE WHEN {shaped} THEN {parsed} END FROM v")
            .fetchall()]


def pandas_dates(values: list[str], kind: str) -> pd.Series:
    out, bad, oob = schema._coerce(pd.Series(values, dtype=object),
                                   schema.Col("d", kind, nullable=True), "Europe/Moscow")
    return out


@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_every_day_and_month_the_sql_shapes_take_is_the_day_pandas_reads(kind):
    """Days 00–39 × months 00–19 in a leap and a common year, in every date shape: what
    strptime takes equals pandas' reading; what it refuses (31.04, 29.02.2025, 00.01)
    goes the pandas road (refused, never stored)."""
    values = []
    for year, month, day in itertools.product((2024, 2025), range(20), range(40)):
        values += [f"{day:02d}.{month:02d}.{year}", f"{year}-{month:02d}-{day:02d}",
                   f"{day:02d}.{month:02d}.{year} 10:30", f"{year}-{month:02d}-{day:02d}T10:30",
                   f"{year}-{month:02d}-{day:02d} 10:30:15"]
    sql = duckdb_dates(values, kind)
    ref = pandas_dates(values, kind)
    taken = [i for i, v in enumerate(sql) if v is not None]
    assert len(taken) > 3000  # the valid days of two years, five shapes
    for i in taken:
        assert pd.Timestamp(sql[i]) == ref.iloc[i], values[i]
    # and every value pandas reads in these shapes is taken (the road is not idle)
    assert all(sql[i] is not None for i in np.flatnonzero(ref.notna().to_numpy()))


def test_every_time_of_day_the_sql_shapes_take_is_the_time_pandas_reads():
    """Hours 00–29 × minutes 00–69 (× seconds 00, 59, 60, 61): what strptime takes is
    the time pandas reads; 24:00 and 10:60 are refused by both."""
    values = []
    for h, mi in itertools.product(range(30), range(70)):
        values += [f"15.03.2026 {h:02d}:{mi:02d}", f"2026-03-15 {h:02d}:{mi:02d}"]
        for sec in (0, 59, 60, 61):
            values += [f"15.03.2026 {h:02d}:{mi:02d}:{sec:02d}",
                       f"2026-03-15T{h:02d}:{mi:02d}:{sec:02d}"]
    sql = duckdb_dates(values, "datetime")
    ref = pandas_dates(values, "datetime")
    for i, v in enumerate(sql):
        if v is not None:
            assert pd.Timestamp(v) == ref.iloc[i], values[i]
    # pandas also reads a 60th second in the day-first shape (Python's strptime allows
    # leap seconds: 10:30:60 is 10:31:00); DuckDB refuses it, so such a file is read by
    # pandas. Every other time pandas reads, the SQL shapes take.
    leap = [":60" in v[-3:] or ":61" in v[-3:] for v in values]
    assert all(sql[i] is not None for i in np.flatnonzero(ref.notna().to_numpy())
               if not leap[i])


#: Characters that tell ids apart or not: spaces of every kind, invisible ones, controls,
#: combining marks (NFD й), Cyrillic, an emoji, a line separator.
ID_CHARS = ["R", "7", "-", " ", "\t", "\x1c", "\x0b", "\u00a0", "\u202f", "\u2007", "\u2003", "\u200b",
            "\u00ad", "\ufeff", "\u2060", "\u0438\u0306", "\u0439", "Ж", "é", "e\u0301",
            "😀", "\u2028", "\x85", "\x1f", "_", "№"]


def test_an_id_taken_as_written_is_what_normalize_id_and_strip_make_of_it():
    """Every string of up to three of the characters above, and 3000 random longer ones:
    when the SQL acceptor takes an id or text cell as written, pandas' reading of it
    (normalize_id for ids and codes, strip for text) is the same string."""
    rng = np.random.default_rng(5)
    values = ["".join(t) for n in (1, 2, 3) for t in itertools.product(ID_CHARS, repeat=n)]
    values += ["".join(rng.choice(ID_CHARS, size=rng.integers(4, 12))) for _ in range(3000)]
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS c", [values])
    took = [r[0] for r in con.execute(f"SELECT {_duckread._plain('c')} FROM v").fetchall()]
    assert 1000 < sum(took) < len(values)  # both ways happen
    normalized = schema.normalize_id(pd.Series(values, dtype="string"))
    for v, ok, norm in zip(values, took, normalized):
        if ok:
            assert norm == v and v.strip() == v, repr(v)


# ------------------------------------------------------------------------ the warehouse

def test_ingest_on_the_duckdb_road_stores_what_the_pandas_road_stores(tmp_path, monkeypatch):
    """The six sample tables ingested on each road: every table equal row for row (in the
    same order), the same counts; and a second ingest adds nothing (idempotent)."""
    files = sorted(SAMPLES.glob("*.csv"))
    results = {}
    for road in ("duckdb", "pandas"):
        monkeypatch.setenv("CXLAB_INGEST_ENGINE", road)
        results[road] = io.ingest(files, warehouse=tmp_path / f"{road}.duckdb",
                                  study=SAMPLE_STUDY)
    assert dict(results["duckdb"]) == dict(results["pandas"])
    con = duckdb.connect(str(tmp_path / "duckdb.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'pandas.duckdb'}' AS ref (READ_ONLY)")
    for table in [t for t in schema.TABLES if t in results["pandas"]]:  # the CSVs' tables
        a = con.execute(f"SELECT * FROM {table}").fetch_df()
        b = con.execute(f"SELECT * FROM ref.{table}").fetch_df()
        pd.testing.assert_frame_equal(a, b)
    con.close()
    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "duckdb")
    again = io.ingest(files, warehouse=tmp_path / "duckdb.duckdb", study=SAMPLE_STUDY)
    assert sum(again.values()) == 0 and sum(again.duplicates.values()) == sum(
        results["duckdb"].values())


def test_a_large_csv_takes_the_duckdb_road_by_default(tmp_path, monkeypatch):
    """Under ``auto`` a CSV of AUTO_MIN_BYTES or more is read by DuckDB, a smaller one by
    pandas; ``CXLAB_INGEST_ENGINE=pandas`` turns the road off."""
    monkeypatch.delenv("CXLAB_INGEST_ENGINE", raising=False)
    small = tmp_path / "responses.csv"
    small.write_text("response_id,channel,submitted_at,nps\nR1,web,2026-07-01,9\n")
    assert not _duckread.wanted(small)
    monkeypatch.setattr(_duckread, "AUTO_MIN_BYTES", 10)
    assert _duckread.wanted(small)
    assert not _duckread.wanted(tmp_path / "responses.xlsx")
    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "pandas")
    assert not _duckread.wanted(small)


# ---------------------------------------------------------------------------- Parquet

def test_parquet_exports_read_the_same_on_both_roads(tmp_path, monkeypatch):
    """The sample tables written as Parquet by pandas (text, nullable whole numbers,
    naive timestamps, yes/no), and the test corpus' Parquet export: the same frame and
    report on both roads."""
    for name in ("responses", "complaints", "visits", "clients"):
        df = pd.read_csv(SAMPLES / f"{name}.csv", dtype=str, keep_default_na=False)
        typed = io.read(SAMPLES / f"{name}.csv", study=SAMPLE_STUDY)
        # as a tool writes Parquet: typed columns where it has them, text elsewhere
        for c in typed.columns:
            if str(typed[c].dtype) in ("Int64", "boolean") or c.endswith(("_at", "_on",
                                                                            "_date")):
                df[c] = typed[c]
        path = tmp_path / f"{name}.parquet"
        df.to_parquet(path, index=False)
        fast, slow = both_roads(path, monkeypatch, study=SAMPLE_STUDY)
        assert fast is not None, name
        assert_same(fast, slow)
    # numbers as floats with NaN for "no answer", days as Parquet dates
    df = pd.read_csv(SAMPLES / "responses.csv", dtype=str, keep_default_na=False)
    typed = io.read(SAMPLES / "responses.csv", study=SAMPLE_STUDY)
    df["nps"] = typed["nps"].astype("float64")
    df["csat"] = typed["csat"].astype("float64")
    df["submitted_at"] = typed["submitted_at"].dt.date
    path = tmp_path / "responses_floats.parquet"
    df.to_parquet(path, index=False)
    fast, slow = both_roads(path, monkeypatch, study=SAMPLE_STUDY)
    assert fast is not None
    assert_same(fast, slow)
    fast, slow = both_roads(DATA / "responses.parquet", monkeypatch, table="responses")
    if slow[1].problems or slow[1].generated_ids:
        assert fast is None
    else:
        assert fast is not None
        assert_same(fast, slow)


def test_a_parquet_column_whose_text_would_differ_takes_the_pandas_road(tmp_path, monkeypatch):
    """A float id (12.0 is "12" on the pandas road), a zoned timestamp, a fraction or an
    out-of-range score in a number column: not for the DuckDB road; the pandas road reads
    the first two and names the others."""
    base = {"response_id": ["R1", "R2"], "channel": ["web", "phone"], "nps": [9, 3],
            "submitted_at": pd.to_datetime(["2026-07-01 10:00", "2026-07-02 11:00"])}
    for change in ({"client_id": [12.0, 13.0]}, {"nps": [9.5, 3.0]}, {"nps": [9, 12]},
                   {"submitted_at": pd.to_datetime(["2026-07-01 10:00", "2026-07-02 11:00"])
                    .tz_localize("UTC")}):
        path = tmp_path / "responses.parquet"
        pd.DataFrame(base | change).to_parquet(path, index=False)
        fast, slow = both_roads(path, monkeypatch, study=SAMPLE_STUDY)
        assert fast is None
        assert bool(slow[1].problems) == ("nps" in change)  # 9.5 and 12 are errors


def test_rows_into_an_empty_table_are_logged_as_the_classifying_write_logs_them(
        tmp_path, monkeypatch):
    """A file's DuckDB-typed rows into a table with no row skip the classification
    against stored rows (``warehouse._write_new``). The reference is the classifying
    write (``_write_table``'s own path, forced here): the same table, the same change log
    (``undo`` reads it), the same counts; and undo then empties the table either way."""
    from cxlab import warehouse

    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "duckdb")
    files = [SAMPLES / "responses.csv", SAMPLES / "visits.csv"]
    results = {}
    for how in ("direct", "classified"):
        if how == "classified":
            monkeypatch.setattr(warehouse, "_is_empty_table", lambda con, table: False)
        results[how] = io.ingest(files, warehouse=tmp_path / f"{how}.duckdb",
                                 study=SAMPLE_STUDY, exported_at="2026-10-05")
    assert dict(results["direct"]) == dict(results["classified"])
    assert results["direct"].duplicates == results["classified"].duplicates
    con = duckdb.connect(str(tmp_path / "direct.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'classified.duckdb'}' AS ref (READ_ONLY)")
    for table in ("responses", "visits", warehouse.CHANGES, warehouse.SCHEMA_CHANGES):
        order = "ORDER BY ALL" if table.startswith("_") else ""
        a = con.execute(f"SELECT * FROM {table} {order}").fetch_df()
        b = con.execute(f"SELECT * FROM ref.{table} {order}").fetch_df()
        pd.testing.assert_frame_equal(a, b)
    assert con.execute(f"SELECT count(*) FROM {warehouse.CHANGES} WHERE action = 'added'"
                       ).fetchall()[0][0] == sum(results["direct"].values())
    con.close()
    monkeypatch.undo()
    io.undo(results["direct"].batch, warehouse=tmp_path / "direct.duckdb")
    con = duckdb.connect(str(tmp_path / "direct.duckdb"), read_only=True)
    assert not any(warehouse._has_table(con, t) for t in ("responses", "visits"))
    con.close()


def test_a_file_changed_after_it_was_checked_is_not_written(tmp_path, monkeypatch):
    """The warehouse inserts a DuckDB-typed file's rows from the file itself (no typed
    copy is kept). A Parquet export rewritten between the check and the write would put
    unchecked rows in the warehouse: the write refuses it, and nothing is stored."""
    from cxlab import warehouse
    from cxlab.errors import WarehouseError

    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "duckdb")
    path = tmp_path / "responses.parquet"
    frame = pd.read_csv(SAMPLES / "responses.csv", dtype=str)
    frame.to_parquet(path)
    write = warehouse._write_batch

    def rewritten_first(*args, **kw):
        bad = frame.copy()
        bad.loc[0, "nps"] = "11"  # outside 0–10: the check would have refused it
        bad.to_parquet(path)
        return write(*args, **kw)

    monkeypatch.setattr(warehouse, "_write_batch", rewritten_first)
    wh = tmp_path / "w.duckdb"
    with pytest.raises(WarehouseError, match="changed while it was being ingested"):
        io.ingest([path], warehouse=wh, study=SAMPLE_STUDY)
    assert not wh.exists()
