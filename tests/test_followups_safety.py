"""The follow-up list is safe to open in Excel (OWASP "CSV Injection"): client fields that
look like formulas stay text — typed text cells in the default workbook, a leading ``'``
and every field quoted in CSV."""

from __future__ import annotations

import csv
import errno
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import cli, cohorts, paths
from cxlab import samples as smp
from cxlab.cli import FOLLOWUP_HEADERS, app, csv_safe

runner = CliRunner()
ASOF = "2026-09-30"

samples_present = pytest.mark.skipif(not (paths.SAMPLES_DIR / "responses.csv").exists(),
                                     reason="sample data not generated")

#: What a client (or whoever fills the CRM) might type into a name, phone, e-mail or comment.
HOSTILE = [
    '=HYPERLINK("http://x","click")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+7 999 123-45-67",
    "\t=1+1",
    "\r=1+1",
    '=1+1;"x"\n=2',           # a separator, a quote and a line break inside
    "=cmd|' /C notepad'!'A1'",
]
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def in_xlsx(value: str) -> str:
    """What a workbook holds for ``value``: CR / CRLF line breaks are LF (XML cannot carry a
    bare CR); everything else exactly."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def hostile_frame() -> pd.DataFrame:
    """A small follow-up list (the columns of cohorts.followups) full of hostile values."""
    n = len(HOSTILE)

    def rot(k):
        return [HOSTILE[(i + k) % n] for i in range(n)]
    return pd.DataFrame({
        "priority": pd.array([1, 2, 3, 4, 5, 2, 3, 4], dtype="int64"),
        "priority_label": ["критик"] * n,
        "client_id": [f"C{i:05d}" for i in range(n)],
        "parent_name": pd.array(rot(0), dtype="string"),
        "phone": pd.array(rot(1), dtype="string"),
        "email": pd.array(rot(2), dtype="string"),
        "reason": pd.array(rot(3), dtype="string"),  # the free-text column
        "reason_codes": ["detractor"] * n,
        "last_nps": pd.array([3, None, 6, 0, None, 5, 1, 2], dtype="Int64"),
        "last_nps_on": pd.to_datetime(["2026-09-20", None, "2026-09-01", "2026-08-30",
                                       None, "2026-09-29", "2026-09-28", "2026-09-27"]),
        "last_visit": pd.to_datetime(["2026-09-19"] * n),
        "days_since_last_visit": pd.array([11, 12, 13, 14, 15, 16, 17, 18], dtype="Int64"),
        "n_visits": pd.array([1, 2, 3, 4, 5, 6, 7, 8], dtype="int64"),
        "joined_on": pd.to_datetime(["2025-01-02"] * n),
    })


def read_xlsx(path: Path):
    ws = openpyxl.load_workbook(path).active
    rows = list(ws.iter_rows())
    return ws, [c.value for c in rows[0]], rows[1:]


def assert_no_formula(ws) -> None:
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", (c.coordinate, c.value)
            if isinstance(c.value, str):
                assert c.data_type == "s" and c.number_format == "@", c.coordinate


def read_csv(path: Path, sep: str = ";") -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows Cyrillic
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


# ------------------------------------------------------------------ the neutraliser itself

@pytest.mark.parametrize("field", ["=1+1", "+7 912 000-00-00", "-2+3", "@SUM(A1)",
                                   "\t=1+1", "\r=1+1", "=", "+", "-", "@"])
def test_csv_safe_prefixes_every_formula_trigger(field):
    assert csv_safe(field) == "'" + field


@pytest.mark.parametrize("field", ["", "Иванова Анна", "ivanova@example.com", "8 912 000",
                                   " =1+1", "a=b", "'=already quoted", "\n=1", "C00001",
                                   "2026-09-30"])
def test_csv_safe_leaves_other_fields_alone(field):
    assert csv_safe(field) == field


def test_csv_safe_covers_exactly_the_owasp_characters():
    assert set(cli.FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
    for code in range(0x80):
        ch = chr(code)
        prefixed = csv_safe(ch + "x") == "'" + ch + "x"
        assert prefixed == (ch in "=+-@\t\r"), repr(ch)
        assert prefixed or csv_safe(ch + "x") == ch + "x"


# ------------------------------------------------------------------ writers on a small frame

def test_xlsx_writer_keeps_hostile_values_as_exact_text(tmp_path):
    lst = hostile_frame()
    target = tmp_path / "f.xlsx"
    cli._write_followups(lst, target, "xlsx", lang="ru")
    ws, header, rows = read_xlsx(target)
    assert_no_formula(ws)
    assert header == [FOLLOWUP_HEADERS["ru"][c] for c in lst.columns]
    assert len(rows) == len(lst)
    col = {c: j for j, c in enumerate(lst.columns)}
    for row, (_, want) in zip(rows, lst.iterrows()):
        for c in ("client_id", "parent_name", "phone", "email", "reason"):
            cell = row[col[c]]
            assert cell.data_type == "s" and cell.value == in_xlsx(want[c]), (c, cell.value)
    # a value starting with "=" is a string, exactly as typed
    names = [r[col["parent_name"]] for r in rows]
    assert names[0].value == '=HYPERLINK("http://x","click")' and names[0].data_type == "s"
    assert names[0].quotePrefix  # Excel's own "typed with a leading '" flag
    # the carriage return is the one character a workbook cannot keep: it becomes a line
    # break, and the cell is still text
    assert names[5].value == "\n=1+1" and names[5].data_type == "s"
    phones = [r[col["phone"]].value for r in rows]
    assert "+7 999 123-45-67" in phones  # readable as written, no quote in front


def test_xlsx_writer_types_numbers_and_days(tmp_path):
    import datetime as dt

    lst = hostile_frame()
    target = tmp_path / "f.xlsx"
    cli._write_followups(lst, target, "xlsx", lang="en")
    ws, header, rows = read_xlsx(target)
    assert header == [FOLLOWUP_HEADERS["en"][c] for c in lst.columns]
    col = {c: j for j, c in enumerate(lst.columns)}
    first, second = rows[0], rows[1]
    assert first[col["priority"]].value == 1 and first[col["priority"]].data_type == "n"
    assert first[col["n_visits"]].value == 1 and first[col["last_nps"]].value == 3
    assert second[col["last_nps"]].value is None and second[col["last_nps_on"]].value is None
    day = first[col["last_nps_on"]]
    assert day.is_date and day.value == dt.datetime(2026, 9, 20)
    assert day.number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[chr(ord("A") + j)].width >= 8 for j in range(len(header)))
    assert ws.cell(row=1, column=1).font.bold


def test_xlsx_writer_survives_control_characters(tmp_path):
    lst = hostile_frame().head(1).assign(parent_name="\x01=1+1\x00", email="a\x0bb@x.ru")
    target = tmp_path / "f.xlsx"
    cli._write_followups(lst, target, "xlsx", lang="ru")
    ws, _, rows = read_xlsx(target)
    assert_no_formula(ws)
    assert rows[0][3].value == "\ufffd=1+1\ufffd" and rows[0][5].value == "a\ufffdb@x.ru"


def test_csv_writer_quotes_every_field_and_prefixes_the_dangerous(tmp_path):
    lst = hostile_frame()
    target = tmp_path / "f.csv"
    cli._write_followups(lst, target, "csv", sep=";")
    rows = read_csv(target)
    assert rows[0] == list(lst.columns)
    assert len(rows) == len(lst) + 1
    for row, (_, want) in zip(rows[1:], lst.iterrows()):
        for j, c in enumerate(lst.columns):
            if c in ("parent_name", "phone", "email", "reason"):
                assert row[j] == "'" + want[c]  # every hostile value starts dangerously
        for field in row:
            assert not field.startswith(DANGEROUS_STARTS), field
    # every field quoted (csv.QUOTE_ALL): the file is exactly its fields, each quoted
    raw = target.read_bytes().decode("utf-8-sig")
    assert raw == "".join(";".join('"' + f.replace('"', '""') + '"' for f in row) + "\r\n"
                          for row in rows)
    assert raw.split("\r\n")[1].startswith('"1";"критик";"C00000";"\'=HYPERLINK(""http://x"",')
    assert rows[1][lst.columns.get_loc("last_nps_on")] == "2026-09-20"
    assert rows[2][lst.columns.get_loc("last_nps")] == ""


def test_csv_writer_honours_another_separator(tmp_path):
    target = tmp_path / "f.csv"
    cli._write_followups(hostile_frame(), target, "csv", sep=",")
    rows = read_csv(target, sep=",")
    assert rows[1][3] == "'" + HOSTILE[0]


def test_every_followup_column_has_a_header_in_both_languages():
    for lang in ("ru", "en"):
        assert set(cohorts.FOLLOWUP_COLUMNS) <= set(FOLLOWUP_HEADERS[lang]), lang
    assert FOLLOWUP_HEADERS["ru"]["parent_name"] == "Клиент"
    assert FOLLOWUP_HEADERS["ru"]["phone"] == "Телефон"
    assert FOLLOWUP_HEADERS["ru"]["reason"] == "Причина"


# ------------------------------------------------------------------ the command on the samples

@pytest.fixture
def hostile_samples(monkeypatch):
    """The sample tables, with hostile names, phones and e-mails planted in every client and
    a hostile complaint category (it reaches the reason text); returns the clients."""
    load = smp.load
    planted = {}

    def loader(table, *args, **kwargs):
        df = load(table, *args, **kwargs)
        n = len(HOSTILE)
        if table == "clients":
            df = df.copy()
            for k, c in enumerate(("parent_name", "phone", "email")):
                df[c] = pd.array([HOSTILE[(i + k) % n] for i in range(len(df))],
                                 dtype="string")
            planted["clients"] = df.set_index("client_id")
        if table == "complaints":
            df = df.assign(category=pd.array(["=cmd|' /C calc'!A0"] * len(df),
                                              dtype="string"))
        return df
    monkeypatch.setattr(smp, "load", loader)
    return planted


@samples_present
def test_cli_default_is_a_safe_workbook_with_russian_headers(hostile_samples, tmp_path,
                                                             monkeypatch):
    from cxlab.study import load_study

    assert load_study(paths.SAMPLE_STUDY).language == "ru"
    monkeypatch.setattr(paths, "PROJ_ROOT", tmp_path)  # the default path, under tmp
    res = invoke("followups", "--asof", ASOF, "--samples")
    assert res.exit_code == 0, res.output
    target = tmp_path / "followups" / f"followups_{ASOF}.xlsx"
    assert target.exists() and str(target) in res.output.replace("\n", "")
    assert "personal data" in res.output
    ws, header, rows = read_xlsx(target)
    assert_no_formula(ws)
    assert header == [FOLLOWUP_HEADERS["ru"][c] for c in cohorts.FOLLOWUP_COLUMNS]
    assert header[:7] == ["Приоритет", "Категория", "ID клиента", "Клиент", "Телефон",
                          "E-mail", "Причина"]
    assert len(rows) > 100
    clients = hostile_samples["clients"]
    seen = set()
    for row in rows:
        cid = row[2].value
        for j, c in ((3, "parent_name"), (4, "phone"), (5, "email")):
            assert row[j].data_type == "s"
            assert row[j].value == in_xlsx(clients.loc[cid, c]), (cid, c)
            seen.add(row[j].value)
    assert {in_xlsx(v) for v in HOSTILE} <= seen  # every hostile value made it, as text
    reasons = [r[6].value for r in rows if "жалоба" in (r[6].value or "")]
    assert reasons and all("«=cmd|' /C calc'!A0»" in r for r in reasons)


@samples_present
def test_cli_csv_prefixes_dangerous_fields(hostile_samples, tmp_path):
    target = tmp_path / "calls.csv"
    res = invoke("followups", "--asof", ASOF, "--samples", "--out", target)
    assert res.exit_code == 0, res.output
    assert "start with ' — phones show it" in " ".join(res.output.split())
    rows = read_csv(target)
    assert rows[0] == cohorts.FOLLOWUP_COLUMNS
    clients = hostile_samples["clients"]
    for row in rows[1:]:
        cid = row[2]
        for j, c in ((3, "parent_name"), (4, "phone"), (5, "email")):
            assert row[j] == "'" + clients.loc[cid, c], (cid, c)
        assert not any(f.startswith(DANGEROUS_STARTS) for f in row), row
    raw = target.read_text(encoding="utf-8-sig")
    assert raw.startswith('"priority";"priority_label";"client_id";')
    # --format csv with a suffix-less --out writes the same
    other = tmp_path / "calls"
    assert invoke("followups", "--asof", ASOF, "--samples", "--format", "csv",
                  "--out", other).exit_code == 0
    assert other.read_text(encoding="utf-8-sig") == raw


@samples_present
def test_cli_english_headers_with_lang_en_or_an_english_study(hostile_samples, tmp_path):
    target = tmp_path / "en.xlsx"
    res = invoke("followups", "--asof", ASOF, "--samples", "--lang", "en", "--out", target)
    assert res.exit_code == 0, res.output
    ws, header, rows = read_xlsx(target)
    assert_no_formula(ws)
    assert header == [FOLLOWUP_HEADERS["en"][c] for c in cohorts.FOLLOWUP_COLUMNS]
    assert header[3:7] == ["Client", "Phone", "E-mail", "Reason"]
    assert ws.title == "Follow-ups"
    assert any("detractor" in (r[6].value or "") for r in rows)

    study = tmp_path / "study_en.yml"
    text = paths.SAMPLE_STUDY.read_text(encoding="utf-8")
    assert "\nlanguage: ru\n" in text
    study.write_text(text.replace("\nlanguage: ru\n", "\nlanguage: en\n"), encoding="utf-8")
    target = tmp_path / "en_study.xlsx"
    res = invoke("followups", "--asof", ASOF, "--samples", "--study", study, "--out", target)
    assert res.exit_code == 0, res.output
    _, header, _ = read_xlsx(target)
    assert header == [FOLLOWUP_HEADERS["en"][c] for c in cohorts.FOLLOWUP_COLUMNS]


@pytest.mark.parametrize("target", ["reports/x.xlsx", "{root}/reports/q/x.xlsx",
                                    "{tmp}/reports/x.xlsx", "{tmp}/reports/x.csv"])
def test_cli_still_refuses_reports(target, tmp_path, monkeypatch):
    monkeypatch.chdir(paths.PROJ_ROOT)
    path = target.format(root=paths.PROJ_ROOT, tmp=tmp_path)
    res = runner.invoke(app, ["followups", "--asof", ASOF, "--samples", "--out", path])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "refusing" in res.output and "personal data" in res.output
    assert "followups_2026-09-30.xlsx" in res.output.replace("\n", "")
    assert not (paths.PROJ_ROOT / "reports" / "x.xlsx").exists()
    assert not (tmp_path / "reports").exists()


# ------------------------------------------------------------------ options, and atomic writes

def _fake_followups(monkeypatch, lst=None):
    from cxlab import io

    monkeypatch.setattr(io, "load", lambda *a, **k: pd.DataFrame())
    monkeypatch.setattr(cohorts, "followups", lambda *a, **k: hostile_frame() if lst is None
                        else lst)


@pytest.mark.parametrize("args, says", [
    (["--format", "pdf"], "--format 'pdf'"),
    (["--format", "csv", "--out", "{tmp}/f.xlsx"], "is a .xlsx file but --format is csv"),
    (["--out", "{tmp}/f.txt"], "name a .xlsx file"),
    (["--sep", ","], "--sep ',' is for CSV only"),
    (["--out", "{tmp}/f.csv", "--sep", ";;"], "expected one character"),
])
def test_cli_rejects_contradicting_options(args, says, tmp_path, monkeypatch):
    _fake_followups(monkeypatch)
    res = runner.invoke(app, ["followups", "--asof", ASOF,
                              *[a.format(tmp=tmp_path) for a in args]])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert says in res.output.replace("\n", " "), res.output
    assert list(tmp_path.iterdir()) == []


def test_cli_format_and_suffix_agree(tmp_path, monkeypatch):
    _fake_followups(monkeypatch)
    for args, name in ((["--out", tmp_path / "a.XLSX"], "a.XLSX"),
                       (["--format", "xlsx", "--out", tmp_path / "b"], "b"),
                       (["--format", "CSV", "--out", tmp_path / "c.csv"], "c.csv")):
        res = invoke("followups", "--asof", ASOF, *args)
        assert res.exit_code == 0, res.output
    assert (tmp_path / "a.XLSX").read_bytes()[:2] == b"PK"  # a zip: a workbook
    assert (tmp_path / "b").read_bytes()[:2] == b"PK"
    assert (tmp_path / "c.csv").read_bytes().startswith(b'\xef\xbb\xbf"priority"')


def test_cli_workbook_on_a_full_disk_leaves_the_old_file_whole(tmp_path, monkeypatch):
    _fake_followups(monkeypatch)
    target = tmp_path / "f.xlsx"
    target.write_bytes(b"the previous list")

    def enospc(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))
    monkeypatch.setattr(os, "replace", enospc)
    res = runner.invoke(app, ["followups", "--asof", ASOF, "--out", str(target)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "cannot write the follow-up list" in res.output.replace("\n", " ")
    assert target.read_bytes() == b"the previous list"
    assert [p.name for p in tmp_path.iterdir()] == ["f.xlsx"]  # no temporary file left


def test_cli_workbook_into_an_unwritable_folder(tmp_path, monkeypatch):
    _fake_followups(monkeypatch)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    res = runner.invoke(app, ["followups", "--asof", ASOF, "--out", str(blocker / "f.xlsx")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "cannot write the follow-up list" in res.output.replace("\n", " ")


def test_cli_workbook_replaces_a_killed_runs_leftovers(tmp_path, monkeypatch):
    _fake_followups(monkeypatch)
    target = tmp_path / "f.xlsx"
    (tmp_path / "f.xlsx.999999999-1.tmp").write_bytes(b"half a workbook")  # a dead pid
    res = runner.invoke(app, ["followups", "--asof", ASOF, "--out", str(target)])
    assert res.exit_code == 0, res.output
    assert [p.name for p in tmp_path.iterdir()] == ["f.xlsx"]
    ws, _, rows = read_xlsx(target)
    assert_no_formula(ws)
    assert len(rows) == len(hostile_frame())
