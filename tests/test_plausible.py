"""Plausible values (issue 11, item 2): dates pandas cannot hold and dates outside the
study's window are row problems, never a traceback or a stored 2099; numbers too large
to be scores are shown as written; a formula cell without a stored value and a yes/no
column where numbers are expected are errors that say what to do.

Expected values are written by hand: the bad value planted in row N is reported in row
N with the text as planted; the window's ends are the study's (written here) or the
documented default (2000-01-01 to tomorrow, worked out here from the clock, in the
study's zone).
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zoneinfo
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxlab import io, schema
from cxlab.errors import ValidationError
from cxlab.study import parse_study


def sample_study(source: str, **changes):
    """The sample business's study (Europe/Moscow, its code lists) with keys changed."""
    import yaml

    from cxlab.paths import SAMPLE_STUDY

    data = yaml.safe_load(SAMPLE_STUDY.read_text(encoding="utf-8"))
    data.update(changes)
    return parse_study(data, source=source)


#: the sample study as it is (default window), and with its own window
MSK = sample_study("moscow-study.yml")
WINDOWED = sample_study("windowed-study.yml", plausible={"from": "2015-01-01", "to": "2026-06-30"})


def responses(dates, nps=None) -> pd.DataFrame:
    n = len(dates)
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(1, n + 1)],
                         "submitted_at": dates, "channel": ["web"] * n,
                         "nps": nps if nps is not None else ["9"] * n}, dtype=object)


def problems(df, table="responses", study=MSK) -> list:
    with pytest.raises(ValidationError) as info:
        schema.validate(df, table, source="test.csv", study=study)
    return info.value.problems


def moscow_tomorrow() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo("Europe/Moscow")).date() + dt.timedelta(days=1)


# ------------------------------------------------------------------ pandas' range

@pytest.mark.parametrize("value", ["1025-10-10", "9999-01-01", "10.10.1025", "01.01.9999 10:00",
                                   "2300-01-01T10:00:00+03:00"])
def test_dates_pandas_cannot_hold_are_row_problems(value):
    (p,) = problems(responses(["2026-07-01 10:00", value, "2026-07-02"]))
    assert (p.row, p.column, p.value, p.check) == (2, "submitted_at", value, "plausible")
    assert p.expected.startswith("a date between 2000-01-01 and ")


def test_out_of_range_dates_in_every_table_and_read_and_check(tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text("visit_id,client_id,visit_date\nV1,C1,2026-07-01\nV2,C2,1025-10-10\n"
                    "V3,C3,9999-01-01\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        io.read(path, study=MSK)
    got = [(p.row, p.column, p.value) for p in info.value.problems]
    assert got == [(2, "visit_date", "1025-10-10"), (3, "visit_date", "9999-01-01")]
    report = io.check(path, study=MSK)
    assert [(p.row, p.value) for p in report.problems] == [(2, "1025-10-10"), (3, "9999-01-01")]


def test_out_of_range_date_cells_in_xlsx(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["response_id", "submitted_at", "channel", "nps"])
    ws.append(["R1", dt.datetime(2026, 7, 1, 10, 0), "web", 9])     # a real date cell
    ws.append(["R2", dt.datetime(9999, 1, 1), "web", 9])            # a date cell in 9999
    ws.append(["R3", "1025-10-10", "web", 9])                       # typed as text
    wb.save(tmp_path / "responses.xlsx")
    with pytest.raises(ValidationError) as info:
        io.read(tmp_path / "responses.xlsx", study=MSK)
    got = [(p.row, p.column, p.check) for p in info.value.problems]
    assert got == [(2, "submitted_at", "plausible"), (3, "submitted_at", "plausible")]
    assert "9999-01-01" in str(info.value.problems[0].value)


def test_out_of_range_dates_in_parquet(tmp_path):
    table = pa.table({
        "response_id": ["R1", "R2", "R3"],
        "submitted_at": pa.array([dt.datetime(2026, 7, 1, 10), dt.datetime(1025, 10, 10),
                                  dt.datetime(2026, 7, 2)], pa.timestamp("us")),
        "channel": ["web"] * 3, "nps": pa.array([9, 6, 10], pa.int64()),
    })
    pq.write_table(table, tmp_path / "responses.parquet")
    with pytest.raises(ValidationError) as info:
        io.read(tmp_path / "responses.parquet", study=MSK)
    (p,) = info.value.problems
    assert (p.row, p.column, p.check) == (2, "submitted_at", "plausible")
    assert str(p.value).startswith("1025-10-10")


def test_out_of_range_date32_in_parquet(tmp_path):
    table = pa.table({"visit_id": ["V1", "V2"], "client_id": ["C1", "C2"],
                      "visit_date": pa.array([dt.date(2026, 7, 1), dt.date(9999, 1, 1)],
                                             pa.date32())})
    pq.write_table(table, tmp_path / "visits.parquet")
    (p,) = io.check(tmp_path / "visits.parquet", study=MSK).problems
    assert (p.row, p.column, p.value) == (2, "visit_date", "9999-01-01")


# ------------------------------------------------------------------ the study's window

def test_default_window_is_2000_to_tomorrow_in_the_study_zone():
    tomorrow = moscow_tomorrow()
    ps = problems(responses(["2099-01-05", "1899-12-31", "1999-12-31 23:59",
                             "2000-01-01 00:00", tomorrow.isoformat() + " 23:59",
                             (tomorrow + dt.timedelta(days=1)).isoformat()]))
    assert [(p.row, p.value) for p in ps] == [
        (1, "2099-01-05"), (2, "1899-12-31"), (3, "1999-12-31 23:59"),
        (6, (tomorrow + dt.timedelta(days=1)).isoformat())]
    assert {p.check for p in ps} == {"plausible"}
    assert ps[0].expected == (f"a date between 2000-01-01 and {tomorrow} "
                              "(moscow-study.yml → plausible)")


def test_the_study_window_is_used_with_both_ends_included():
    ps = problems(responses(["2014-12-31 23:59", "2015-01-01 00:00", "2026-06-30 23:59",
                             "2026-07-01 00:00", "01.03.2099"]), study=WINDOWED)
    assert [(p.row, p.value) for p in ps] == [(1, "2014-12-31 23:59"), (4, "2026-07-01 00:00"),
                                               (5, "01.03.2099")]
    assert ps[0].expected == ("a date between 2015-01-01 and 2026-06-30 "
                              "(windowed-study.yml → plausible)")


def test_the_window_applies_to_every_date_column_of_every_table():
    df = pd.DataFrame({"contact_id": ["K1", "K2"], "opened_at": ["2026-01-01 09:00"] * 2,
                       "channel": ["phone", "phone"],
                       "resolved_at": ["2099-01-01 10:00", "2026-01-01 10:00"]})
    (p,) = problems(df, "contacts", study=WINDOWED)
    assert (p.row, p.column, p.value, p.check) == (1, "resolved_at", "2099-01-01 10:00",
                                                   "plausible")
    clients = pd.DataFrame({"client_id": ["C1"], "joined_on": ["1899-12-31"]})
    (p,) = problems(clients, "clients", study=WINDOWED)
    assert (p.column, p.value) == ("joined_on", "1899-12-31")


def test_a_deadline_may_lie_up_to_a_year_ahead():
    # 2026-06-30 is the window's end; a deadline may be up to 366 days after it
    df = pd.DataFrame({"complaint_id": ["X1", "X2"], "received_at": ["2026-06-29 10:00"] * 2,
                       "channel": ["phone", "phone"],
                       "deadline_at": ["2027-07-01 10:00", "2027-07-02 10:00"]})
    (p,) = problems(df, "complaints", study=WINDOWED)
    assert (p.row, p.column, p.value) == (2, "deadline_at", "2027-07-02 10:00")
    assert "2027-07-01" in p.expected


def test_zone_aware_values_are_placed_in_the_window_by_local_time():
    # 2026-06-30T22:00Z is 1 July 01:00 in Moscow: after the window's last day
    (p,) = problems(responses(["2026-06-30T20:00:00Z", "2026-06-30T22:00:00Z"]),
                    study=WINDOWED)
    assert (p.row, p.value) == (2, "2026-06-30T22:00:00Z")


# ------------------------------------------------------------------ numbers as written

@pytest.mark.parametrize("value", ["1e20", "inf", "-inf", "nan", "9223372036854775808",
                                   "-1e300", "Infinity"])
def test_huge_and_infinite_numbers_are_shown_as_written(value):
    with pytest.raises(ValidationError) as info:
        schema.validate(responses(["2026-07-01"] * 2, nps=["9", value]), "responses",
                        source="test.csv", study=MSK)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "nps", value)
    assert f"got {value!r}" in str(info.value)
    assert "-9223372036854775808" not in str(info.value)


@pytest.mark.parametrize("scale", [None, "1-11"])
def test_huge_numbers_in_a_csv_with_and_without_a_scale(tmp_path, scale):
    path = tmp_path / "responses.csv"
    path.write_text("response_id,submitted_at,channel,nps\nR1,2026-07-01,web,9\n"
                    "R2,2026-07-01,web,1e20\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        io.read(path, scale=scale, study=MSK)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "nps", "1e20")


def test_huge_numbers_in_a_parquet_float_column(tmp_path):
    df = pd.DataFrame({"response_id": ["R1", "R2"], "submitted_at": ["2026-07-01"] * 2,
                       "channel": ["web"] * 2, "nps": [9.0, 1e20]})
    df.to_parquet(tmp_path / "responses.parquet")
    (p,) = io.check(tmp_path / "responses.parquet", study=MSK).problems
    assert (p.row, p.column, p.value) == (2, "nps", 1e20)


# ------------------------------------------------------------------ spreadsheets: formulas

def _workbook(tmp_path: Path, formula_cell: str = "D3", formula: str = "=5+1") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Ответы"
    ws.append(["response_id", "submitted_at", "channel", "nps", "comment"])
    ws.append(["R1", "2026-07-01 10:00", "web", 9, "ok"])
    ws.append(["R2", "2026-07-02 10:00", "web", 6, "ok"])
    ws[formula_cell] = formula  # openpyxl writes formulas without a stored value
    path = tmp_path / "responses.xlsx"
    wb.save(path)
    return path


def _patch_sheet(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite the first sheet's XML (to store a value beside a formula, as Excel does)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert old in parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(old, new)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_a_formula_without_a_stored_value_is_an_error_naming_the_cell(tmp_path):
    path = _workbook(tmp_path)
    with pytest.raises(ValidationError) as info:
        io.read(path, study=MSK)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value, p.check) == (2, "nps", "=5+1", "formula")
    assert "sheet 'Ответы', cell D3" in p.expected
    assert "open the workbook in Excel" in p.expected and "save it" in p.expected


def test_a_formula_in_a_column_the_table_ignores_is_no_problem(tmp_path):
    from openpyxl import load_workbook

    path = _workbook(tmp_path, "F2", "=1+1")  # column F has no header: not the table's
    wb = load_workbook(path)
    wb.active["F1"] = "internal"
    wb.save(path)
    assert len(io.read(path, study=MSK)) == 2


def test_a_formula_with_its_stored_value_is_read_as_that_value(tmp_path):
    path = _workbook(tmp_path)
    _patch_sheet(path, b"<f>5+1</f><v />", b"<f>5+1</f><v>6</v>")
    assert io.read(path, study=MSK)["nps"].tolist() == [9, 6]


def test_a_formula_whose_stored_value_is_empty_text_is_empty(tmp_path):
    path = _workbook(tmp_path, "E3", '=IF(D3>5,"","x")')
    _patch_sheet(path, b'<c r="E3"><f>', b'<c r="E3" t="str"><f>')
    df = io.read(path, study=MSK)
    assert df["comment"].isna().tolist() == [False, True]


# ------------------------------------------------------------ Parquet: yes/no for numbers

def test_a_boolean_nps_column_is_an_error_not_1_and_0(tmp_path):
    df = pd.DataFrame({"response_id": ["R1", "R2", "R3"], "submitted_at": ["2026-07-01"] * 3,
                       "channel": ["web"] * 3, "nps": [True, False, True]})
    df.to_parquet(tmp_path / "responses.parquet")
    for scale in (None, "1-11"):
        with pytest.raises(ValidationError) as info:
            io.read(tmp_path / "responses.parquet", scale=scale, study=MSK)
        (p,) = info.value.problems
        assert (p.column, p.check, p.row) == ("nps", "dtype", None)
        assert "true/false" in p.expected and "export 'nps' as numbers" in p.expected


def test_a_boolean_column_with_gaps_is_still_boolean(tmp_path):
    table = pa.table({"response_id": ["R1", "R2"], "submitted_at": ["2026-07-01"] * 2,
                      "channel": ["web"] * 2, "nps": pa.array([True, None], pa.bool_())})
    pq.write_table(table, tmp_path / "responses.parquet")
    (p,) = io.check(tmp_path / "responses.parquet", study=MSK).problems
    assert (p.column, p.check) == ("nps", "dtype")


def test_numbers_where_text_is_expected_are_fine(tmp_path):
    df = pd.DataFrame({"response_id": [101, 102], "client_id": [7, 8],
                       "submitted_at": ["2026-07-01"] * 2, "channel": ["web"] * 2,
                       "nps": [9, 6], "comment": [1.5, None]})
    df.to_parquet(tmp_path / "responses.parquet")
    out = io.read(tmp_path / "responses.parquet", study=MSK)
    assert out["response_id"].tolist() == ["101", "102"]
    assert out["comment"].tolist()[0] == "1.5"


def test_a_huge_number_as_an_id_is_kept_as_written_not_overflowed():
    # whole-number floats (a spreadsheet's 12.0) are ids without '.0'; 1e20 cannot be a
    # whole number held exactly, so it stays as its text instead of overflowing
    df = pd.DataFrame({"client_id": [12.0, 1e20]})
    assert schema.validate(df, "clients", study=MSK)["client_id"].tolist() == ["12", "1e+20"]
