"""The DuckDB warehouse: typed tables, idempotent and transactional ingest, quarters,
loading back, SQL pushdown. Every warehouse lives in tmp_path.

Expected counts and NPS figures are computed independently with pandas on the frames
written here (or counted by hand, as noted).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import io, paths, schema
from cxlab import warehouse as warehouse_module
from cxlab.cli import app as cli_app
from cxlab.errors import QuarterError, ReadError, ValidationError, WarehouseError
from cxlab.study import Study, parse_study

DATA = Path(__file__).parent / "data"


def responses_frame(ids, nps=None, dates=None, channel=None, factors=None) -> pd.DataFrame:
    n = len(ids)
    df = pd.DataFrame({
        "response_id": ids,
        "client_id": [f"C{i}" for i in range(n)],
        "submitted_at": dates or ["2026-07-15 10:00"] * n,
        "channel": channel or ["phone"] * n,
        "survey": ["periodic"] * n,
        "nps": [str(x) for x in (nps or [9] * n)],
    })
    for name, values in (factors or {}).items():
        df[name] = [str(v) for v in values]
    return df


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def snapshot(wh: Path) -> dict[str, pd.DataFrame]:
    """Every table's full content, ordered, to compare a warehouse before and after."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').df() for n in names}
    finally:
        con.close()


def data_tables(snap: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The data tables of a snapshot (the batch log's tables start with '_')."""
    return {k: v for k, v in snap.items() if not k.startswith("_")}


def assert_same_snapshot(a, b):
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


@pytest.fixture
def wh(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


# ------------------------------------------------------------------ ingest

def test_ingest_then_load_round_trips_the_typed_frame(wh):
    added = io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    assert added == {"responses": 5}
    back = io.load("responses", wh)
    expected = io.read(DATA / "responses_cp1251.csv")
    pd.testing.assert_frame_equal(back[expected.columns], expected)  # dtypes included
    # the warehouse table has every column of the study's table (its segments after the
    # table's own columns); those the file lacked are empty
    others = [c for c in back.columns if c not in expected.columns]
    assert others == ["interviewer_id", "programme", "teacher_id"]
    assert back[others].isna().all().all()


def test_duckdb_types_follow_the_schema(wh, tmp_path):
    io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    visits = pd.DataFrame({"visit_id": ["V1"], "client_id": ["C1"], "visit_date": ["01.07.2026"],
                           "programme": ["camp"], "activity": ["Лагерь"]})
    io.ingest([write(visits, tmp_path / "visits.csv")], warehouse=wh)
    con = io.connect(wh)
    types = dict(con.execute("SELECT table_name || '.' || column_name, data_type "
                             "FROM information_schema.columns").fetchall())
    con.close()
    assert types["responses.response_id"] == "VARCHAR"
    assert types["responses.nps"] == "INTEGER"
    assert types["responses.recommend"] == "BOOLEAN"
    assert types["responses.submitted_at"] == "TIMESTAMP"
    assert types["responses.f_safety"] == "INTEGER"
    assert types["visits.visit_date"] == "DATE"
    assert types["visits.teacher_id"] == "VARCHAR"  # optional column, created from the schema
    assert str(io.load("visits", wh)["visit_date"].dtype) == "datetime64[ns]"


def test_ingesting_the_same_export_twice_adds_nothing(wh):
    first = io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    before = snapshot(wh)
    second = io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    assert first == {"responses": 5} and second == {"responses": 0}
    assert second.duplicates == {"responses": 5} and second.conflicts == {"responses": 0}
    after = snapshot(wh)
    # only the batch log grew (one line per batch, one per ingested file)
    assert_same_snapshot(data_tables(before), data_tables(after))
    log = after[io.INGEST_LOG].sort_values("batch_id")
    assert log["batch_id"].tolist() == [1, 2]
    assert log["rows_added"].tolist() == [5, 0] and log["rows_duplicate"].tolist() == [0, 5]
    assert after["_batches"]["batch_id"].tolist() == [1, 2]


def test_same_rows_in_another_format_are_also_duplicates(wh):
    io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    again = io.ingest([DATA / "responses.parquet", DATA / "responses_2026-10.xlsx"], warehouse=wh)
    assert again == {"responses": 0} and again.duplicates == {"responses": 10}


def test_overlapping_exports_add_only_new_rows(wh, tmp_path):
    a = write(responses_frame(["R1", "R2", "R3"]), tmp_path / "responses_a.csv")
    b = write(responses_frame(["R2", "R3", "R4", "R5"]), tmp_path / "responses_b.csv")
    io.ingest([a], warehouse=wh)
    assert io.ingest([b], warehouse=wh) == {"responses": 2}
    assert io.load("responses", wh)["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5"]


def test_overlap_inside_one_batch(wh, tmp_path):
    a = write(responses_frame(["R1", "R2"]), tmp_path / "responses_a.csv")
    b = write(responses_frame(["R2", "R3"], factors=None), tmp_path / "responses_b.csv")
    res = io.ingest([a, b], warehouse=wh)
    # R2 in b differs from R2 in a only by client_id (C0 vs C1): a conflict, first wins
    assert res == {"responses": 3} and res.conflicts == {"responses": 1}
    assert io.load("responses", wh).set_index("response_id").loc["R2", "client_id"] == "C1"


def test_stored_id_with_other_content_is_skipped_and_reported(wh, tmp_path):
    io.ingest([write(responses_frame(["R1", "R2"], nps=[9, 3]), tmp_path / "responses.csv")],
              warehouse=wh)
    changed = write(responses_frame(["R1", "R2", "R3"], nps=[9, 10, 5]), tmp_path / "responses_2.csv")
    res = io.ingest([changed], warehouse=wh)
    assert res == {"responses": 1}
    assert res.duplicates == {"responses": 1} and res.conflicts == {"responses": 1}
    assert res.conflict_ids == {"responses": ["R2"]}
    assert io.load("responses", wh).set_index("response_id")["nps"].to_dict() == {
        "R1": 9, "R2": 3, "R3": 5}  # the first version of R2 is kept


def test_on_conflict_error_refuses_the_batch(wh, tmp_path):
    io.ingest([write(responses_frame(["R1"], nps=[9]), tmp_path / "responses.csv")], warehouse=wh)
    before = snapshot(wh)
    changed = write(responses_frame(["R1", "R2"], nps=[2, 5]), tmp_path / "responses_2.csv")
    with pytest.raises(ValidationError, match="R1"):
        io.ingest([changed], warehouse=wh, on_conflict="error")
    assert_same_snapshot(before, snapshot(wh))


def test_new_factor_columns_are_added(wh, tmp_path):
    a = write(responses_frame(["R1"], factors={"f_safety": [5]}), tmp_path / "responses_a.csv")
    b = write(responses_frame(["R2"], factors={"f_price_value": [2]}), tmp_path / "responses_b.csv")
    io.ingest([a], warehouse=wh)
    io.ingest([b], warehouse=wh)
    df = io.load("responses", wh)
    assert schema.factor_columns(df) == ["f_price_value", "f_safety"]
    assert df["f_safety"].tolist()[0] == 5 and df["f_safety"].isna().tolist() == [False, True]
    assert df["f_price_value"].isna().tolist() == [True, False]


def test_one_bad_file_leaves_the_warehouse_exactly_as_before(wh, tmp_path):
    io.ingest([write(responses_frame(["R1", "R2"]), tmp_path / "responses.csv")], warehouse=wh)
    before = snapshot(wh)
    good = write(responses_frame(["R3", "R4"]), tmp_path / "responses_good.csv")
    visits = pd.DataFrame({"visit_id": ["V1"], "client_id": ["C1"], "visit_date": ["2026-07-01"],
                           "programme": ["camp"], "activity": ["Лагерь"]})
    good_visits = write(visits, tmp_path / "visits.csv")
    with pytest.raises(ValidationError) as info:
        io.ingest([good, good_visits, DATA / "responses_bad.csv"], warehouse=wh)
    assert "nothing was ingested: 1 of the 3 file(s) failed" in str(info.value).lower()
    assert_same_snapshot(before, snapshot(wh))


def test_a_bad_first_batch_does_not_even_create_the_warehouse(wh):
    with pytest.raises(ValidationError):
        io.ingest([DATA / "responses_cp1251.csv", DATA / "responses_bad.csv"], warehouse=wh)
    assert not wh.exists()


def test_a_failure_while_writing_is_rolled_back(wh, tmp_path, monkeypatch):
    io.ingest([write(responses_frame(["R1"]), tmp_path / "responses.csv")], warehouse=wh)
    before = snapshot(wh)

    def broken(path):  # fails after the rows were inserted, inside the transaction
        raise OSError("disk full")

    monkeypatch.setattr(warehouse_module, "_sha256", broken)
    more = write(responses_frame(["R2", "R3"], factors={"f_safety": [1, 2]}),
                 tmp_path / "responses_2.csv")
    with pytest.raises(WarehouseError, match="rolled back.*disk full"):
        io.ingest([more], warehouse=wh)
    assert_same_snapshot(before, snapshot(wh))  # no rows and no new f_safety column


def test_unreadable_file_in_a_batch(wh, tmp_path):
    good = write(responses_frame(["R1"]), tmp_path / "responses.csv")
    with pytest.raises(ReadError, match="(?si)no such file.*nothing was ingested"):
        io.ingest([good, tmp_path / "responses_missing.csv"], warehouse=wh)
    assert not wh.exists()


# ------------------------------------------------------------------ load, quarters

@pytest.fixture
def two_quarters(wh, tmp_path) -> Path:
    dates = ["2026-06-30 23:59", "2026-07-01 00:00", "2026-09-30 23:59", "2026-10-01 00:00",
             "2026-10-05 12:00"]
    df = responses_frame([f"R{i}" for i in range(1, 6)], nps=[10, 9, 3, 7, 0], dates=dates,
                         channel=["phone", "phone", "web", "web", "phone"])
    io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh)
    return wh


def test_quarter_filter_uses_calendar_quarter_bounds(two_quarters):
    q3 = io.load("responses", two_quarters, quarter="2026Q3")
    assert q3["response_id"].tolist() == ["R2", "R3"]  # 1 Jul 00:00 … 30 Sep 23:59
    assert io.load("responses", two_quarters, quarter="2026Q2")["response_id"].tolist() == ["R1"]
    assert io.load("responses", two_quarters, quarter="2026q4")["response_id"].tolist() == ["R4", "R5"]
    empty = io.load("responses", two_quarters, quarter="2025Q1")
    assert len(empty) == 0 and str(empty["nps"].dtype) == "Int64"


@pytest.mark.parametrize("bad", ["2026Q5", "2026-07", "Q3 2026", "", "2026Q0"])
def test_malformed_quarter(two_quarters, bad):
    with pytest.raises(QuarterError, match="2026Q3"):
        io.load("responses", two_quarters, quarter=bad)


def test_quarters_and_latest_complete_quarter(two_quarters):
    assert io.quarters(two_quarters) == ["2026Q2", "2026Q3", "2026Q4"]
    # data runs to 5 Oct: 2026Q4 is not complete until the calendar has passed it
    assert io.latest_quarter(two_quarters, today=pd.Timestamp("2026-10-06").date()) == "2026Q3"
    assert io.latest_quarter(two_quarters, today=pd.Timestamp("2027-01-01").date()) == "2026Q4"
    assert io.load("responses", two_quarters, quarter="latest")["response_id"].tolist() in (
        ["R2", "R3"], ["R4", "R5"])


def test_latest_quarter_when_data_reaches_the_quarter_end(wh, tmp_path):
    df = responses_frame(["R1", "R2"], dates=["2026-08-01", "2026-09-30 15:00"])
    io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh)
    # complete because the data reaches 30 Sep, even if "today" were inside the quarter
    assert io.latest_quarter(wh, today=pd.Timestamp("2026-09-30").date()) == "2026Q3"


def test_load_columns(two_quarters):
    df = io.load("responses", two_quarters, columns=["channel", "nps"])
    assert list(df.columns) == ["channel", "nps"] and str(df["nps"].dtype) == "Int64"
    with pytest.raises(WarehouseError, match="no column.*npz"):
        io.load("responses", two_quarters, columns=["npz"])


def test_missing_warehouse_says_how_to_build_it(tmp_path):
    with pytest.raises(WarehouseError, match="cxlab ingest.*make report"):
        io.load("responses", tmp_path / "nope.duckdb")


def test_missing_table_says_how_to_ingest_it(two_quarters):
    with pytest.raises(WarehouseError, match="'complaints' is not in the warehouse.*responses"):
        io.load("complaints", two_quarters)
    with pytest.raises(QuarterError, match="no date column"):
        io.load("clients", two_quarters, quarter="2026Q3")


def test_relative_warehouse_is_from_the_project_root():
    assert io._warehouse_path("data/x.duckdb") == paths.PROJ_ROOT / "data" / "x.duckdb"


# ------------------------------------------------------------------ SQL pushdown, headline

def test_query_pushdown_matches_pandas(two_quarters):
    got = io.query("SELECT channel, count(*) AS n, avg(nps) AS mean_nps FROM responses "
                   "WHERE submitted_at >= ? GROUP BY channel ORDER BY channel",
                   two_quarters, params=[pd.Timestamp("2026-07-01").to_pydatetime()])
    rows = io.load("responses", two_quarters)
    rows = rows[rows["submitted_at"] >= "2026-07-01"]
    want = rows.groupby("channel")["nps"].agg(["count", "mean"])
    assert got["n"].tolist() == want["count"].tolist()
    assert got["mean_nps"].tolist() == pytest.approx(want["mean"].astype(float).tolist())


def test_query_error_is_a_warehouse_error(two_quarters):
    with pytest.raises(WarehouseError, match="query failed"):
        io.query("SELECT nope FROM responses", two_quarters)


def test_headline_nps_per_channel(two_quarters):
    t = io.headline("2026Q4", two_quarters).set_index("channel")
    # 2026Q4 by hand: phone R5 nps 0 → NPS −100; web R4 nps 7 → passive → NPS 0
    assert t.loc["phone", ["n", "promoters", "detractors"]].tolist() == [1, 0, 1]
    assert t.loc["phone", "nps"] == -100 and t.loc["web", "nps"] == 0
    assert t["small"].all()  # n = 1 < 30
    with pytest.raises(QuarterError, match="no responses in 2025Q1.*2026Q2"):
        io.headline("2025Q1", two_quarters)


def test_headline_sql_nps_matches_an_independent_count(wh, rng, tmp_path):
    n = 400
    df = responses_frame([f"R{i}" for i in range(n)], nps=rng.integers(0, 11, n).tolist(),
                         channel=rng.choice(["phone", "web"], n).tolist())
    io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh)
    t = io.headline("2026Q3", wh).set_index("channel")
    for ch, g in df.assign(nps=df["nps"].astype(int)).groupby("channel"):
        nps = 100 * ((g["nps"] >= 9).mean() - (g["nps"] <= 6).mean())
        assert t.loc[ch, "nps"] == pytest.approx(nps)
        assert t.loc[ch, "n"] == len(g)
        assert t.loc[ch, "nps_low"] < nps < t.loc[ch, "nps_high"]
    assert not t["small"].any()


# ------------------------------------------------------------------ the sample warehouse

def test_build_sample_warehouse_replaces_atomically(tmp_path, monkeypatch):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "responses.csv").write_bytes((DATA / "responses_cp1251.csv").read_bytes())
    (samples / "notes.csv").write_text("not a table\n")  # ignored: not named after a table
    monkeypatch.setattr(paths, "SAMPLES_DIR", samples)
    wh = tmp_path / "out" / "warehouse.duckdb"
    assert io.build_sample_warehouse(wh) == {"responses": 5}
    assert io.build_sample_warehouse(wh) == {"responses": 0}  # idempotent without replace
    assert io.build_sample_warehouse(wh, replace=True) == {"responses": 5}  # afresh
    assert len(io.load("responses", wh)) == 5
    # a failing rebuild leaves the old warehouse in place, and no temp file behind
    (samples / "responses.csv").write_text("response_id\nR1\n")
    with pytest.raises(ValidationError):
        io.build_sample_warehouse(wh, replace=True)
    assert len(io.load("responses", wh)) == 5
    assert sorted(p.name for p in wh.parent.iterdir()) == ["warehouse.duckdb"]


def test_no_samples_is_a_read_error(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "SAMPLES_DIR", tmp_path)
    with pytest.raises(ReadError, match="cxlab samples"):
        io.build_sample_warehouse(tmp_path / "w.duckdb")


@pytest.mark.skipif(not (paths.SAMPLES_DIR / "responses.csv").exists(),
                    reason="sample data not generated")
def test_sample_warehouse_matches_the_sample_csvs(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    added = io.build_sample_warehouse(wh, replace=True)
    for table, n in added.items():  # rows counted by plain pandas, not cxlab.io
        if table == "feedback":  # the Telegram export: its messages with text, by plain json
            import json

            export = json.loads((paths.SAMPLES_DIR / "telegram" / "result.json").read_text("utf-8"))
            texts = ["".join(p if isinstance(p, str) else p.get("text", "") for p in t)
                     if isinstance(t, list) else t
                     for t in (m.get("text", "") for m in export["messages"]
                               if m.get("type") == "message")]
            assert n == sum(bool(t.strip()) for t in texts) > 0, table
            continue
        assert n == len(pd.read_csv(paths.SAMPLES_DIR / f"{table}.csv", dtype=str)), table
    rows = io.read(paths.SAMPLES_DIR / "responses.csv")
    back = io.load("responses", wh)
    key = ["submitted_at", "response_id"]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True),
        rows[back.columns].sort_values(key).reset_index(drop=True))
    # the sample data ends 2026-09-30 (COMMON.md): 2026Q3 is the latest complete quarter
    assert io.latest_quarter(wh) == "2026Q3"
    assert io.quarters(wh)[0] == "2024Q4" and len(io.quarters(wh)) == 8


def test_quarter_filter_on_a_date_column(wh, tmp_path):
    visits = pd.DataFrame({"visit_id": ["V1", "V2", "V3"], "client_id": ["C1", "C1", "C2"],
                           "visit_date": ["30.06.2026", "01.07.2026", "30.09.2026"],
                           "programme": ["camp", "hike", "workshop"],
                           "activity": ["Лагерь", "Поход", "Гончарная мастерская"]})
    io.ingest(write(visits, tmp_path / "visits.csv"), warehouse=wh)  # one path, not a list
    assert io.load("visits", wh, quarter="2026Q3")["visit_id"].tolist() == ["V2", "V3"]
    assert io.quarters(wh, "visits") == ["2026Q2", "2026Q3"]


def test_on_conflict_error_inside_one_batch(wh, tmp_path):
    a = write(responses_frame(["R1", "R2"], nps=[9, 9]), tmp_path / "responses_a.csv")
    b = write(responses_frame(["R1"], nps=[2]), tmp_path / "responses_b.csv")
    with pytest.raises(ValidationError, match="responses_b.csv.*\\n.*'R1'"):
        io.ingest([a, b], warehouse=wh, on_conflict="error")
    assert not wh.exists()


# ------------------------------------------------------------------ the study's segments

def retail_study(segments: dict) -> Study:
    """A study that is not the sample business's: a retailer with its own segments."""
    return parse_study({
        "channels": {"email": {"en": "E-mail"}, "app": {"en": "App"}},
        "segments": segments,
        "factors": {"checkout_speed": {"scale": "1-7"}, "cleanliness": {"scale": "0-100"}},
    }, source="retail.yml")


def test_segment_columns_are_stored_and_loaded(wh, tmp_path):
    st = retail_study({"store": {}, "tier": {"values": ["basic", "gold"]}})
    df = pd.DataFrame({"response_id": ["R1", "R2", "R3"], "submitted_at": ["2026-07-01"] * 3,
                       "channel": ["email", "app", "app"], "nps": ["9", "6", "10"],
                       "store": ["S-12", "S-7", ""], "tier": ["Gold", "basic", ""],
                       "f_cleanliness": ["0", "100", ""]})
    assert io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh,
                     study=st) == {"responses": 3}
    back = io.load("responses", wh, study=st).set_index("response_id")
    # values as written (codes of a closed list in the list's spelling), empties empty
    assert back["store"].tolist()[:2] == ["S-12", "S-7"] and pd.isna(back.loc["R3", "store"])
    assert back["tier"].tolist()[:2] == ["gold", "basic"] and pd.isna(back.loc["R3", "tier"])
    assert back["f_cleanliness"].tolist()[:2] == [0, 100]
    assert str(back["store"].dtype) == "string" and str(back["f_cleanliness"].dtype) == "Int64"
    con = io.connect(wh)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'responses'").fetchall())
    con.close()
    assert types["store"] == types["tier"] == "VARCHAR"
    assert types["f_cleanliness"] == "INTEGER"
    # the study's order: the table's columns, its segments, then the factors
    cols = list(io.load("responses", wh, study=st).columns)
    assert cols.index("interviewer_id") < cols.index("store") < cols.index("tier") \
        < cols.index("f_cleanliness")
    # a segment's rows can be grouped in SQL too
    by_store = io.query("SELECT store, count(*) AS n FROM responses WHERE store IS NOT NULL "
                        "GROUP BY store ORDER BY store", wh)
    assert by_store["store"].tolist() == ["S-12", "S-7"]


def test_a_segment_declared_later_is_added_by_the_next_ingest(wh, tmp_path):
    before = retail_study({"store": {}})
    df = pd.DataFrame({"response_id": ["R1"], "submitted_at": ["2026-07-01"],
                       "channel": ["email"], "nps": ["9"], "store": ["S-1"]})
    io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh, study=before)
    after = retail_study({"store": {}, "region": {"values": ["north", "south"]}})
    # not stored yet: load returns what is stored, and says why a column is not there
    assert "region" not in io.load("responses", wh, study=after).columns
    with pytest.raises(WarehouseError, match="region: declared in the study retail.yml but "
                                             "not stored yet; the next ingest adds it"):
        io.load("responses", wh, study=after, columns=["region"])
    df2 = df.assign(response_id=["R2"], region=["south"])
    io.ingest([write(df2, tmp_path / "responses_2.csv")], warehouse=wh, study=after)
    back = io.load("responses", wh, study=after).set_index("response_id")
    assert pd.isna(back.loc["R1", "region"]) and back.loc["R2", "region"] == "south"
    assert back["store"].tolist() == ["S-1", "S-1"]


def test_a_closed_segment_rejects_other_codes_before_anything_is_written(wh, tmp_path):
    st = retail_study({"tier": {"values": ["basic", "gold"]}})
    df = pd.DataFrame({"response_id": ["R1", "R2"], "submitted_at": ["2026-07-01"] * 2,
                       "channel": ["email"] * 2, "nps": ["9", "8"], "tier": ["gold", "platinum"]})
    with pytest.raises(ValidationError) as info:
        io.ingest([write(df, tmp_path / "responses.csv")], warehouse=wh, study=st)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value, p.expected) == (2, "tier", "platinum", "one of basic, gold")
    assert not wh.exists()


# ------------------------------------------------------------------ the warehouse file

def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_failed_create_leaves_nothing_behind(wh, tmp_path, monkeypatch):
    import errno

    def full(*args, **kwargs):  # the disk fills up while the first batch is written
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(warehouse_module, "_write_table", full)
    with pytest.raises(WarehouseError, match="rolled back.*the disk is full"):
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    assert list(tmp_path.iterdir()) == []  # no 0-byte .duckdb, no .wal, no temp file
    monkeypatch.undo()
    assert io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh) == {"responses": 5}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_an_empty_file_left_by_an_older_failed_create(wh):
    wh.touch()
    with pytest.raises(WarehouseError, match="empty file \\(0 bytes\\)"):
        io.load("responses", wh)
    # ingest builds the warehouse over it: a 0-byte file holds nothing to lose
    assert io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh) == {"responses": 5}
    assert len(io.load("responses", wh)) == 5


def test_a_sqlite_file_is_refused_without_fetching_an_extension(tmp_path, monkeypatch):
    import sqlite3

    lite = tmp_path / "warehouse.db"
    con = sqlite3.connect(lite)
    con.execute("CREATE TABLE responses (x)")
    con.commit()
    con.close()
    before = lite.read_bytes()
    with pytest.raises(WarehouseError, match="is a SQLite database, not a DuckDB warehouse"):
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=lite)
    with pytest.raises(WarehouseError, match="SQLite"):
        io.load("responses", lite)
    assert lite.read_bytes() == before
    # and DuckDB itself, reached past that check, is configured not to download or load
    # its sqlite extension: it fails at once, locally
    monkeypatch.setattr(warehouse_module, "_check_file", lambda path: None)
    with pytest.raises(WarehouseError) as err:
        io.connect(lite)
    assert "download" not in str(err.value).lower() and "http" not in str(err.value)
    con = io.connect(_small(tmp_path))
    try:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
    finally:
        con.close()
    assert settings == {"autoinstall_known_extensions": "false",
                        "autoload_known_extensions": "false"}


def _small(tmp_path: Path) -> Path:
    wh = tmp_path / "small.duckdb"
    io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    return wh


@pytest.mark.parametrize("content, kind", [
    (b"response_id,submitted_at\nR1,2026-07-01\n", "a text file"),
    (b"PK\x03\x04" + bytes(200), "a ZIP file"),
    (bytes(range(256)) * 40, "not a DuckDB database"),
])
def test_a_foreign_file_is_refused_and_left_alone(tmp_path, content, kind):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(content)
    with pytest.raises(WarehouseError, match=f"is {kind}.*, not a DuckDB warehouse"):
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=path)
    assert path.read_bytes() == content
    res = CliRunner().invoke(cli_app, ["quarters", "--warehouse", str(path)])
    assert res.exit_code == 1 and "not a DuckDB warehouse" in res.output
    assert "Traceback" not in res.output and len(_error_lines(res.output)) == 1


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("cut", ["a byte", "a block", "half", "headers"])
def test_a_truncated_warehouse_is_refused(tmp_path, cut):
    import os
    import shutil

    full = tmp_path / "full.duckdb"
    io.ingest([DATA / "responses_cp1251.csv"], warehouse=full)
    io.ingest([write(responses_frame([f"X{i}" for i in range(3000)]),
                     tmp_path / "responses_more.csv")], warehouse=full)
    size = full.stat().st_size
    wh = tmp_path / "cut.duckdb"
    shutil.copy(full, wh)
    os.truncate(wh, {"a byte": size - 1, "a block": size - 262144, "half": size // 2,
                     "headers": 5000}[cut])
    before = wh.read_bytes()
    with pytest.raises(WarehouseError, match="is truncated or damaged"):
        io.ingest([DATA / "responses.parquet"], warehouse=wh)
    with pytest.raises(WarehouseError, match="is truncated or damaged"):
        io.load("responses", wh)
    assert wh.read_bytes() == before
    res = CliRunner().invoke(cli_app, ["ingest", str(DATA / "responses.parquet"),
                                       "--warehouse", str(wh)])
    assert res.exit_code == 1 and "truncated" in res.output and "Traceback" not in res.output


def _hold_lock(path: Path, seconds: float):
    """A separate process holding the warehouse's write lock for ``seconds``."""
    import subprocess
    import sys

    code = ("import duckdb, sys, time\n"
            f"con = duckdb.connect({str(path)!r})\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_waits_for_the_lock_then_fails_clearly(tmp_path, monkeypatch):
    import time

    from cxlab.errors import LockError

    wh = _small(tmp_path)
    before = snapshot(wh)
    holder = _hold_lock(wh, 30)
    try:
        monkeypatch.setenv("CXLAB_LOCK_TIMEOUT", "0.6")
        t0 = time.monotonic()
        with pytest.raises(LockError) as err:
            io.ingest([DATA / "responses.parquet"], warehouse=wh)
        waited = time.monotonic() - t0
        msg = str(err.value)
        assert str(wh) in msg and f"PID {holder.pid}" in msg and "waited 0.6 s" in msg
        assert "CXLAB_LOCK_TIMEOUT" in msg
        assert 0.6 <= waited < 10
        res = CliRunner().invoke(cli_app, ["quarters", "--warehouse", str(wh)])
        assert res.exit_code == 1 and len(_error_lines(res.output)) == 1
        assert "in use by another process" in res.output
    finally:
        holder.kill()
        holder.wait()
    assert_same_snapshot(before, snapshot(wh))


def test_a_second_writer_gets_the_lock_when_it_is_released(tmp_path, monkeypatch):
    wh = _small(tmp_path)
    holder = _hold_lock(wh, 1.0)
    try:
        monkeypatch.setenv("CXLAB_LOCK_TIMEOUT", "20")
        more = write(responses_frame(["N1", "N2"]), tmp_path / "responses_more.csv")
        assert io.ingest([more], warehouse=wh) == {"responses": 2}
    finally:
        holder.kill()
        holder.wait()


def test_a_bad_lock_timeout_is_a_parameter_error(tmp_path, monkeypatch):
    from cxlab.errors import ParameterError

    monkeypatch.setenv("CXLAB_LOCK_TIMEOUT", "soon")
    with pytest.raises(ParameterError, match="CXLAB_LOCK_TIMEOUT='soon'"):
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=tmp_path / "w.duckdb")


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(wh, tmp_path):
    import os
    import subprocess
    import sys

    dead = _dead_pid()
    leftovers = [tmp_path / f"warehouse.duckdb.{dead}-1.tmp",
                 tmp_path / f"warehouse.duckdb.{dead}-1.tmp.wal"]
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = tmp_path / f"warehouse.duckdb.{alive.pid}-1.tmp"  # a run still going
        for p in [*leftovers, running]:
            p.write_bytes(b"half a warehouse")
        other = tmp_path / f"other.duckdb.{dead}-1.tmp"  # another warehouse's: not ours
        other.write_bytes(b"x")
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
        assert not any(p.exists() for p in leftovers)
        assert running.exists() and other.exists()
    finally:
        alive.kill()
        alive.wait()
    assert os.path.exists(wh)


def test_an_unwritable_warehouse_folder_is_one_clear_error(tmp_path):
    from cxlab.errors import FileError

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    with pytest.raises(FileError, match="a part of the path is a file, not a folder"):
        io.ingest([DATA / "responses_cp1251.csv"], warehouse=blocker / "w.duckdb")
    res = CliRunner().invoke(cli_app, ["ingest", str(DATA / "responses_cp1251.csv"),
                                       "--warehouse", str(blocker / "w.duckdb")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert len(_error_lines(res.output)) == 1 and "not_a_folder" in res.output


def test_ingest_samples_never_fills_the_real_warehouse(tmp_path, monkeypatch):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "responses.csv").write_bytes((DATA / "responses_cp1251.csv").read_bytes())
    monkeypatch.setattr(paths, "SAMPLES_DIR", samples)
    monkeypatch.setattr(paths, "SAMPLE_WAREHOUSE", tmp_path / "samples.duckdb")
    real = tmp_path / "real.duckdb"
    monkeypatch.setenv("CXLAB_WAREHOUSE", str(real))
    res = CliRunner().invoke(cli_app, ["ingest-samples"])
    assert res.exit_code == 0, res.output
    assert not real.exists() and len(io.load("responses", tmp_path / "samples.duckdb")) == 5
    assert io.build_sample_warehouse(replace=True) == {"responses": 5}
    assert not real.exists()
    # told to, it does
    res = CliRunner().invoke(cli_app, ["ingest-samples", "--warehouse", str(real)])
    assert res.exit_code == 0 and len(io.load("responses", real)) == 5
