"""The data commands of the ``cxlab`` CLI: validate, ingest, ingest-samples, quarters,
headline. Errors are one message and exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
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


# ------------------------------------------------------------------ --study, mappings, warnings

SURVEY_TOOL = DATA / "survey_tool_export.csv"
SURVEY_MAP = DATA / "survey_tool_mapping.yml"
SURVEY_STUDY = DATA / "survey_tool_study.yml"


def test_validate_with_a_full_mapping_needs_no_table():
    res = run("validate", SURVEY_TOOL, "--map", SURVEY_MAP, "--study", SURVEY_STUDY)
    assert res.exit_code == 0, res.output
    assert "responses" in res.output and "OK" in res.output
    assert "response_id generated from each row's content" in res.output


def test_validate_with_another_study_rejects_what_it_does_not_declare():
    # the sample business's study has no travel_class or 0–100 items
    res = run("validate", SURVEY_TOOL, "--map", SURVEY_MAP, "--study", paths.SAMPLE_STUDY)
    assert res.exit_code == 1
    assert "travel_class" in res.output and "Traceback" not in res.output


def test_validate_prints_warnings_and_does_not_fail(tmp_path):
    path = tmp_path / "responses.csv"
    scores = [1, 2] + [5] * 10 + [8] * 10 + [10] * 20
    path.write_text("response_id,submitted_at,channel,nps\n" + "".join(
        f"R{i},2026-07-01,web,{s}\n" for i, s in enumerate(scores)), encoding="utf-8")
    res = run("validate", path)
    assert res.exit_code == 0, res.output
    assert "warning:" in res.output and "42 answers from 1 to 10 and no 0" in res.output


def test_ingest_with_study_and_mapping(tmp_path):
    wh = tmp_path / "w.duckdb"
    args = ("ingest", SURVEY_TOOL, "-m", SURVEY_MAP, "--study", SURVEY_STUDY, "-w", wh)
    res = run(*args)
    assert res.exit_code == 0, res.output
    assert "400" in res.output and "response_id generated" in res.output
    assert run(*args).exit_code == 0
    back = io.load("responses", wh, study=SURVEY_STUDY)
    assert len(back) == 400 and back["travel_class"].notna().all()


def test_a_missing_study_is_one_clear_message(tmp_path):
    res = runner.invoke(app, ["validate", str(DATA / "responses_cp1251.csv"),
                              "--study", str(tmp_path / "nope.yml")])
    assert res.exit_code == 1
    assert "no such study file" in res.output and "Traceback" not in res.output


def test_a_bad_mapping_is_one_clear_message(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text("table: responses\ncolumns: {a: nps}\nscale: {nps: 1-10}\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(SURVEY_TOOL), "-m", str(bad),
                              "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 1
    assert "scale → nps" in res.output and "Traceback" not in res.output


def test_headline_takes_min_n_and_channel_order_from_the_study(tmp_path):
    wh = tmp_path / "w.duckdb"
    run("ingest", DATA / "responses_cp1251.csv", "--warehouse", wh)
    study = tmp_path / "study.yml"
    study.write_text("channels: {web: {en: Web}, phone: {en: Phone}, messenger: {en: Chat}}\n"
                     "min_n: 1\n", encoding="utf-8")
    res = run("headline", "--quarter", "2026Q3", "--warehouse", wh, "--study", study)
    assert res.exit_code == 0, res.output
    assert "fewer than" not in res.output  # min_n 1: no channel is too small
    rows = [line.split("│")[1].strip() for line in res.output.splitlines()
            if line.count("│") > 3 and ("web" in line or "phone" in line)]
    assert rows == ["web", "phone"]


def captured(monkeypatch, module, name, result):
    """Replace ``module.name`` by a fake that records its call and returns ``result``."""
    calls = []

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        return result
    monkeypatch.setattr(module, name, fake)
    return calls


def test_report_passes_the_study_and_its_defaults(monkeypatch):
    from cxlab import report

    class Result:
        def summary(self):
            return "rendered"
    calls = captured(monkeypatch, report, "render", Result())
    res = run("report", "--quarter", "2026Q3", "--study", SURVEY_STUDY)
    assert res.exit_code == 0, res.output
    (_, kwargs), = calls
    assert kwargs["study"].source == str(SURVEY_STUDY)
    assert kwargs["lang"] is None and kwargs["min_n"] is None  # the study's


def test_followups_pass_the_study(monkeypatch, tmp_path):
    import pandas as pd

    from cxlab import cohorts

    monkeypatch.setattr(io, "load", lambda *a, **k: pd.DataFrame())
    calls = captured(monkeypatch, cohorts, "followups", pd.DataFrame({"priority": []}))
    res = run("followups", "--asof", "2026-09-30", "--out", tmp_path / "f.csv",
              "--study", SURVEY_STUDY)
    assert res.exit_code == 0, res.output
    (_, kwargs), = calls
    assert kwargs["study"].source == str(SURVEY_STUDY)
    assert kwargs["lang"] == "ru" and kwargs["lapsed_after_days"] == 90  # the study's


def test_complaints_weekly_passes_the_study(monkeypatch):
    import pandas as pd

    from cxlab import complaints

    class Summary:
        overdue = pd.DataFrame()

        def summary(self):
            return "summary"
    monkeypatch.setattr(io, "load", lambda *a, **k: pd.DataFrame())
    calls = captured(monkeypatch, complaints, "weekly_summary", Summary())
    res = run("complaints-weekly", "--asof", "2026-09-28", "--study", SURVEY_STUDY)
    assert res.exit_code == 0, res.output
    (_, kwargs), = calls
    assert kwargs["study"].source == str(SURVEY_STUDY)
    assert kwargs["calendar"] is None  # the study's calendar


def test_lint_questions_reads_the_study(monkeypatch):
    import pandas as pd

    from cxlab import factors

    calls = captured(monkeypatch, factors, "lint_questions", pd.DataFrame())
    res = run("lint-questions", SURVEY_STUDY)
    assert res.exit_code == 0 and "no findings" in res.output
    assert calls[0][0][0].source == str(SURVEY_STUDY)
    res = run("lint-questions", "--study", SURVEY_STUDY)
    assert res.exit_code == 0 and calls[1][0][0].source == str(SURVEY_STUDY)


# ------------------------------------------------------------------ the operating system says no

def _error_line(res) -> str:
    """The command failed with exactly one line of error, and no traceback."""
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, res.output
    return errors[0]


@pytest.fixture
def blocker(tmp_path) -> Path:
    """A file where a folder should be: even root cannot write below it (NotADirectoryError),
    unlike a read-only folder, whose permission bits root ignores."""
    path = tmp_path / "blocker"
    path.write_text("a file, not a folder")
    return path


@pytest.fixture
def small_warehouse(tmp_path) -> Path:
    wh = tmp_path / "w.duckdb"
    io.ingest([DATA / "responses_cp1251.csv"], warehouse=wh)
    return wh


NOT_A_FOLDER = "a part of the path is a file, not a folder"
DISK_FULL = "the disk is full; free some space"


def _enospc(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device", "/data/out")


def test_report_with_an_unwritable_out(small_warehouse, blocker):
    line = _error_line(runner.invoke(app, [
        "report", "--quarter", "2026Q3", "--warehouse", str(small_warehouse),
        "--out", str(blocker / "reports")]))
    assert "cannot write the 2026Q3 report" in line and str(blocker) in line
    assert NOT_A_FOLDER in line


def test_report_on_a_full_disk(small_warehouse, tmp_path, monkeypatch):
    from cxlab.report import rendering

    monkeypatch.setattr(rendering, "_render_into", _enospc)
    line = _error_line(runner.invoke(app, [
        "report", "--quarter", "2026Q3", "--warehouse", str(small_warehouse),
        "--out", str(tmp_path / "reports")]))
    assert "cannot write the 2026Q3 report" in line and DISK_FULL in line and "ENOSPC" in line


def _fake_followups(monkeypatch):
    import pandas as pd

    from cxlab import cohorts

    monkeypatch.setattr(io, "load", lambda *a, **k: pd.DataFrame())
    captured(monkeypatch, cohorts, "followups",
             pd.DataFrame({"client_id": ["C1"], "priority": [1]}))


def test_followups_with_an_unwritable_out(monkeypatch, blocker):
    _fake_followups(monkeypatch)
    line = _error_line(runner.invoke(app, ["followups", "--asof", "2026-09-30",
                                           "--out", str(blocker / "f.csv")]))
    assert "cannot write the follow-up list" in line and NOT_A_FOLDER in line


def test_followups_on_a_full_disk_leave_no_half_file(monkeypatch, tmp_path):
    _fake_followups(monkeypatch)
    target = tmp_path / "f.csv"
    monkeypatch.setattr(paths, "write_atomic", _enospc)
    line = _error_line(runner.invoke(app, ["followups", "--asof", "2026-09-30",
                                           "--out", str(target)]))
    assert DISK_FULL in line and not target.exists()
    monkeypatch.undo()
    _fake_followups(monkeypatch)
    res = runner.invoke(app, ["followups", "--asof", "2026-09-30", "--out", str(target)])
    assert res.exit_code == 0, res.output
    # UTF-8 BOM, then every field quoted (OWASP: a formula-like field cannot escape)
    assert target.read_bytes().startswith(b'\xef\xbb\xbf"client_id";"priority"\r\n"C1";"1"')
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


def test_samples_with_an_unwritable_out(blocker):
    line = _error_line(runner.invoke(app, ["samples", "--out", str(blocker / "samples")]))
    assert "cannot write the sample data" in line and NOT_A_FOLDER in line


def test_ingest_samples_with_an_unwritable_warehouse(blocker):
    line = _error_line(runner.invoke(app, ["ingest-samples", "--warehouse",
                                           str(blocker / "w.duckdb")]))
    assert "create the folder of the warehouse" in line and NOT_A_FOLDER in line


def test_ingest_with_an_unwritable_warehouse_and_a_full_disk(blocker, tmp_path, monkeypatch):
    from cxlab import warehouse

    line = _error_line(runner.invoke(app, ["ingest", str(DATA / "responses_cp1251.csv"),
                                           "--warehouse", str(blocker / "w.duckdb")]))
    assert NOT_A_FOLDER in line
    monkeypatch.setattr(warehouse, "_write_table", _enospc)
    line = _error_line(runner.invoke(app, ["ingest", str(DATA / "responses_cp1251.csv"),
                                           "--warehouse", str(tmp_path / "w.duckdb")]))
    assert "rolled back" in line and DISK_FULL in line
    assert not (tmp_path / "w.duckdb").exists()


def test_validate_reports_a_file_it_may_not_read(monkeypatch):
    import errno

    from cxlab import exports

    def denied(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    # the first read of a CSV on either road (pandas, or DuckDB for a large file)
    monkeypatch.setattr(exports, "_csv_head", denied)
    res = runner.invoke(app, ["validate", str(DATA / "responses_cp1251.csv")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "unreadable" in res.output
    assert "permission denied; check the permissions" in " ".join(res.output.split())


def test_an_os_error_anywhere_is_one_line(monkeypatch, small_warehouse):
    """The safety net under every command: an OSError nothing else caught."""
    monkeypatch.setattr(io, "quarters", _enospc)
    line = _error_line(runner.invoke(app, ["quarters", "--warehouse", str(small_warehouse)]))
    assert DISK_FULL in line and "/data/out" in line


def test_history_and_undo_commands(tmp_path):
    wh = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["history", "--warehouse", str(wh)])
    assert "no warehouse at" in _error_line(res)
    run("ingest", DATA / "responses_cp1251.csv", "--warehouse", wh)
    res = run("history", "--warehouse", wh)
    assert res.exit_code == 0
    assert "batch 1" in res.output and "responses: 5 rows read, 5 added" in res.output
    assert "responses_cp1251.csv (" in res.output
    res = run("undo", "1", "--warehouse", wh)
    assert res.exit_code == 0 and "responses: 5 row(s) removed" in res.output
    assert "removed again: responses" in res.output
    res = runner.invoke(app, ["quarters", "--warehouse", str(wh)])
    assert "table 'responses' is not in the warehouse" in _error_line(res)


def test_ingest_reads_the_sheet_and_encoding_named(tmp_path):
    """A workbook whose answers are on its second sheet, and a KOI8-R CSV named as such."""
    book = tmp_path / "responses.xlsx"
    with pd.ExcelWriter(book) as xl:
        pd.DataFrame({"Сводка": ["итоги"]}).to_excel(xl, sheet_name="Итоги", index=False)
        pd.DataFrame({"response_id": ["R1"], "submitted_at": ["2026-10-01 10:00"],
                      "channel": ["web"], "nps": [9]}).to_excel(xl, sheet_name="Ответы", index=False)
    wh = tmp_path / "w.duckdb"
    first = run("ingest", book, "--warehouse", wh)
    assert first.exit_code == 1 and "Ответы" in first.output  # the message names the right sheet
    res = run("ingest", book, "--sheet", "Ответы", "--warehouse", wh)
    assert res.exit_code == 0, res.output
    koi = tmp_path / "complaints.csv"
    koi.write_bytes("complaint_id;received_at;channel;category\nX1;2026-10-02 10:00;phone;Безопасность\n"
                    .encode("koi8-r"))
    res = run("ingest", koi, "--encoding", "koi8-r", "--warehouse", wh)
    assert res.exit_code == 0, res.output
    assert io.load("responses", wh)["nps"].tolist() == [9]
    assert io.load("complaints", wh)["category"].tolist() == ["Безопасность"]
