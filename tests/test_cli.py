"""The data commands of the ``cxlab`` CLI: validate, ingest, ingest-samples, quarters,
headline. Errors are one message and exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxlab import io, paths
from cxlab.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_validate_reports_three_problems_with_row_numbers():
    res = run("validate", DATA / "responses_bad.csv")
    assert res.exit_code == 1
    out = res.output
    assert "3 problem(s)" in out
    assert "row 2, column 'nps': got 11; expected a whole number from 0 to 10" in out
    assert "row 3, column 'channel': got 'fax'; expected one of phone, messenger, web" in out
    assert "row 5, column 'submitted_at': got '31.02.2026'" in out
    assert "[value]" in out and "[type]" in out  # problem tags are printed, not eaten as markup


def test_validate_good_files_and_mapping():
    res = run("validate", DATA / "responses_cp1251.csv", DATA / "responses_2026-10.xlsx",
              DATA / "responses.parquet")
    assert res.exit_code == 0, res.output
    assert res.output.count("OK") == 3
    res = run("validate", DATA / "survey_export.csv", "--table", "responses",
              "--map", DATA / "mapping.yml", "--scale", "1-11")
    assert res.exit_code == 0, res.output


def test_validate_mixed_batch_summarises_each_file(tmp_path):
    res = run("validate", DATA / "responses_cp1251.csv", DATA / "responses_bad.csv",
              tmp_path / "responses_gone.csv")
    assert res.exit_code == 1
    assert "OK" in res.output and "3 problem(s)" in res.output and "unreadable" in res.output
    assert "no such file" in res.output


def test_validate_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CXLAB_WAREHOUSE", str(tmp_path / "w.duckdb"))
    run("validate", DATA / "responses_cp1251.csv")
    assert not (tmp_path / "w.duckdb").exists()


def test_ingest_quarters_headline(tmp_path):
    wh = tmp_path / "w.duckdb"
    res = run("ingest", DATA / "responses_cp1251.csv", "--warehouse", wh)
    assert res.exit_code == 0, res.output
    assert "responses" in res.output and "5" in res.output
    res = run("ingest", DATA / "responses_cp1251.csv", "--warehouse", wh)
    assert res.exit_code == 0 and io.ingest([DATA / "responses.parquet"], warehouse=wh) == {
        "responses": 0}
    res = run("quarters", "--warehouse", wh)
    lines = res.output.splitlines()
    assert [line.split()[0] for line in lines] == ["2026Q3", "2026Q4"]
    assert sum("(latest complete)" in line for line in lines) == 1
    res = run("headline", "--quarter", "2026Q3", "--warehouse", wh)
    assert res.exit_code == 0, res.output
    # 2026Q3 in the fixture: phone R001 nps 9 → NPS +100.0; web R002 nps 6 → −100.0
    assert "+100.0" in res.output and "-100.0" in res.output
    assert "fewer than 30" in res.output


def test_ingest_bad_batch_is_one_message_and_exit_1(tmp_path):
    wh = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["ingest", str(DATA / "responses_cp1251.csv"),
                              str(DATA / "responses_bad.csv"), "--warehouse", str(wh)])
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "row 2, column 'nps'" in res.output and "Traceback" not in res.output
    assert not wh.exists()


def test_ingest_with_table_mapping_and_scale(tmp_path):
    wh = tmp_path / "w.duckdb"
    res = run("ingest", DATA / "survey_export.csv", "-t", "responses", "-m", DATA / "mapping.yml",
              "-s", "1-11", "-w", wh)
    assert res.exit_code == 0, res.output
    assert io.load("responses", wh)["nps"].tolist() == [10, 0, 7]


@pytest.mark.parametrize("args, message", [
    (["headline", "--quarter", "2026Q3"], "cxlab ingest"),
    (["headline", "--quarter", "26Q3"], "2026Q3"),
    (["quarters"], "cxlab ingest"),
])
def test_errors_are_one_clear_message(tmp_path, args, message):
    res = runner.invoke(app, args + ["--warehouse", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output


def test_ingest_samples(tmp_path, monkeypatch):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "responses.csv").write_bytes((DATA / "responses_cp1251.csv").read_bytes())
    monkeypatch.setattr(paths, "SAMPLES_DIR", samples)
    wh = tmp_path / "w.duckdb"
    res = run("ingest-samples", "--warehouse", wh, "--replace")
    assert res.exit_code == 0, res.output
    assert len(io.load("responses", wh)) == 5


def test_console_script_has_no_traceback(tmp_path):
    exe = Path(sys.executable).parent / "cxlab"
    bad = tmp_path / "bad.csv"
    bad.write_bytes((DATA / "responses_bad.csv").read_bytes())
    proc = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    # bad.csv does not say its table: the user is told how to name it
    assert "--table" in proc.stdout + proc.stderr
    proc = subprocess.run([str(exe), "validate", str(bad), "--table", "responses"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "row 5, column 'submitted_at'" in proc.stdout
