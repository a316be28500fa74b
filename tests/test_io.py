"""Reading real exports: encodings, separators, decimal commas, Russian dates, formats,
column mapping, scale conversion, and the errors a person gets.

The fixtures in tests/data/ are written by tests/data/make_fixtures.py; the expected
typed values (``EXPECTED``) are written out by hand in that script, not computed by cxlab.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from cxlab import io
from cxlab.errors import ReadError, ValidationError

DATA = Path(__file__).parent / "data"

_spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)
EXPECTED = make_fixtures.typed_frame()

HEADER = ["response_id", "client_id", "submitted_at", "channel", "survey", "nps", "comment"]
ROWS = [
    ["R1", "C1", "01.07.2026 10:30", "phone", "periodic", "9", "Всё отлично; спасибо"],
    ["R2", "C2", "2026-08-15", "web", "after_camp", "", "Лагерь, походы"],
    ["R3", "C3", "30.09.2026", "messenger", "lapsed", "3", ""],
]


def write_csv(path: Path, sep: str, encoding: str, rows=ROWS, header=HEADER) -> Path:
    def field(v: str) -> str:
        return f'"{v}"' if any(c in v for c in ",;\t") else v
    text = "\r\n".join(sep.join(field(v) for v in r) for r in [header, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def assert_same_as_expected(df: pd.DataFrame, expected: pd.DataFrame = EXPECTED) -> None:
    pd.testing.assert_frame_equal(df[expected.columns], expected, check_dtype=False)
    dtypes = {"response_id": "string", "nps": "Int64", "recommend": "boolean",
              "submitted_at": "datetime64[ns]"}
    for col, dtype in dtypes.items():
        if col in df:
            assert str(df[col].dtype) == dtype, col


# ------------------------------------------------------------------ encodings and separators

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "koi8-r", "utf-16",
                                      "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_encodings_and_separators(tmp_path, encoding, sep):
    path = write_csv(tmp_path / "responses.csv", sep, encoding)
    df = io.read(path)
    assert df["response_id"].tolist() == ["R1", "R2", "R3"]
    assert df["comment"].tolist()[:2] == ["Всё отлично; спасибо", "Лагерь, походы"]
    assert df["comment"].isna().tolist() == [False, False, True]
    assert df["nps"].tolist()[0] == 9 and df["nps"].isna().tolist() == [False, True, False]
    rep = io.check(path)
    assert rep.ok and rep.separator == sep
    # UTF-16 without BOM (utf-16-le/-be) is told by its NUL bytes (tests/test_decoding.py)
    assert rep.encoding == encoding


def test_bom_is_not_part_of_the_first_header(tmp_path):
    path = write_csv(tmp_path / "responses.csv", ";", "utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert io.read(path).columns[0] == "response_id"


def test_excel_sep_hint_line(tmp_path):
    path = tmp_path / "responses.csv"
    write_csv(path, ";", "cp1251")
    path.write_bytes(b"sep=;\r\n" + path.read_bytes())
    assert io.read(path)["response_id"].tolist() == ["R1", "R2", "R3"]


def test_undecodable_file_is_a_read_error(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes(b"response_id\n\x98\x98\n")  # 0x98 is invalid in UTF-8 and cp1251
    with pytest.raises(ReadError, match="UTF-8.*cp1251") as info:
        io.read(path)
    # the first bad byte: line 2, after the 12 bytes of "response_id\n"
    assert "line 2, byte offset 12 (0x98)" in str(info.value)


# ------------------------------------------------------------------ the Russian export, all formats

def test_cp1251_semicolon_decimal_comma_russian_dates():
    raw = (DATA / "responses_cp1251.csv").read_bytes()
    assert b";" in raw and "Всё".encode("cp1251") in raw and b"4,0" in raw
    assert_same_as_expected(io.read(DATA / "responses_cp1251.csv"))


def test_xlsx_with_text_dates_and_a_named_sheet():
    df = io.read(DATA / "responses_2026-10.xlsx")  # table from the name: responses
    assert_same_as_expected(df)
    assert_same_as_expected(io.read(DATA / "responses_2026-10.xlsx", sheet="Ответы"))


def test_xlsx_unknown_sheet_lists_the_sheets():
    with pytest.raises(ReadError, match="Ответы.*Примечания"):
        io.read(DATA / "responses_2026-10.xlsx", sheet="Лист1")


def test_xlsx_other_sheet_is_validated_as_what_it_is():
    with pytest.raises(ValidationError, match="column_missing") as info:
        io.read(DATA / "responses_2026-10.xlsx", sheet="Примечания")
    # and the message says which sheet looks right
    (hint,) = [p for p in info.value.problems if p.check == "sheet"]
    assert hint.value == "Примечания" and "sheet='Ответы'" in hint.expected
    assert "--sheet 'Ответы'" in hint.expected


def test_xlsx_unknown_sheet_number_lists_the_sheets():
    with pytest.raises(ReadError, match="no sheet number 7.*Ответы.*Примечания"):
        io.read(DATA / "responses_2026-10.xlsx", sheet=7)
    assert_same_as_expected(io.read(DATA / "responses_2026-10.xlsx", sheet=0))


def test_xlsx_first_sheet_without_the_table_names_the_sheet_that_has_it(tmp_path):
    # a workbook whose first sheet is a cover note and whose data is on the second
    with pd.ExcelWriter(tmp_path / "responses.xlsx") as xw:
        pd.DataFrame({"Отчёт": ["Выгрузка за октябрь"]}).to_excel(xw, sheet_name="Обложка",
                                                                    index=False)
        pd.DataFrame([dict(zip(HEADER, r)) for r in ROWS]).to_excel(xw, sheet_name="Данные",
                                                                     index=False)
    with pytest.raises(ValidationError) as info:
        io.read(tmp_path / "responses.xlsx")
    (hint,) = [p for p in info.value.problems if p.check == "sheet"]
    assert hint.value == "Обложка" and "sheet='Данные'" in hint.expected
    assert io.read(tmp_path / "responses.xlsx", sheet="Данные")["response_id"].tolist() == [
        "R1", "R2", "R3"]


def test_parquet_typed_columns():
    assert_same_as_expected(io.read(DATA / "responses.parquet"))


def test_parquet_tz_aware_column_is_stored_in_study_local_time(tmp_path):
    # the sample study's zone is Europe/Moscow (UTC+3): 10:54 UTC is 13:54 there, and
    # 21:30 UTC on 31 March is 00:30 on 1 April, the next quarter (it used to be stored
    # as 10:54 / 31 March, in UTC)
    df = EXPECTED.copy()
    utc = ["2026-07-01 10:54", "2026-03-31 21:30"] + ["2026-08-01 09:00"] * (len(df) - 2)
    df["submitted_at"] = pd.to_datetime(utc).tz_localize("UTC")
    df.to_parquet(tmp_path / "responses.parquet")
    got = io.read(tmp_path / "responses.parquet")["submitted_at"].tolist()
    assert got[:2] == [pd.Timestamp("2026-07-01 13:54"), pd.Timestamp("2026-04-01 00:30")]


def test_csv_zone_aware_times_are_stored_in_study_local_time(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][2] = "2026-07-01T13:54:00+03:00"  # Moscow time with its offset: 13:54
    rows[1][2] = "2026-07-01T10:54:00Z"       # the same moment in UTC: 13:54 in Moscow
    df = io.read(write_csv(tmp_path / "responses.csv", ";", "utf-8", rows))
    assert df["submitted_at"].tolist()[:2] == [pd.Timestamp("2026-07-01 13:54")] * 2


def test_an_id_with_a_zero_width_space_is_the_same_id(tmp_path):
    # the same answer exported twice, once with an invisible character after its id
    rows = [r[:] for r in ROWS] + [[ROWS[0][0] + "\u200b", *ROWS[0][1:]]]
    path = write_csv(tmp_path / "responses.csv", ";", "utf-8", rows)
    assert io.read(path)["response_id"].tolist() == ["R1", "R2", "R3"]
    (warning,) = io.check(path).warnings
    assert "row(s) 4" in warning and "kept once" in warning
    rows[3][5] = "3"  # now it claims R1 with another answer: a duplicate, both rows named
    with pytest.raises(ValidationError) as info:
        io.read(write_csv(tmp_path / "responses.csv", ";", "utf-8", rows))
    assert {(p.check, p.row) for p in info.value.problems} == {("duplicate", 1),
                                                               ("duplicate", 4)}


def test_parquet_with_float_scores_and_nan(tmp_path):
    df = EXPECTED.copy()
    df["nps"] = df["nps"].astype("float64")  # how pandas writes an int column with gaps
    df.to_parquet(tmp_path / "responses.parquet")
    assert io.read(tmp_path / "responses.parquet")["nps"].tolist()[:4] == [9, 6, 10, 0]


def test_decimal_comma_fraction_is_an_error_with_its_row(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][5] = "7,5"
    with pytest.raises(ValidationError) as info:
        io.read(write_csv(tmp_path / "responses.csv", ";", "cp1251", rows))
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "nps", "7,5")


def test_day_first_dates_are_never_month_first(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][2] = "03.02.2026"
    df = io.read(write_csv(tmp_path / "responses.csv", ";", "utf-8", rows))
    assert df["submitted_at"].iloc[0] == pd.Timestamp("2026-02-03")
    assert df["submitted_at"].iloc[0 + 2] == pd.Timestamp("2026-09-30")


def test_ids_keep_leading_zeros(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[0][1] = "007"
    assert io.read(write_csv(tmp_path / "responses.csv", ",", "utf-8", rows))["client_id"][0] == "007"


# ------------------------------------------------------------------ row numbers

def test_row_numbers_count_data_rows_and_blank_lines(tmp_path):
    # line 1 header, lines 2-3 data, line 4 blank, line 5 data with a bad channel
    path = tmp_path / "responses.csv"
    path.write_text("response_id,client_id,submitted_at,channel,survey,nps\n"
                    "R1,C1,2026-07-01,phone,periodic,9\n"
                    "R2,C2,2026-07-01,web,periodic,9\n"
                    "\n"
                    "R3,C3,2026-07-01,fax,periodic,9\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        io.read(path)
    (p,) = info.value.problems
    assert p.row == 4  # data row 4 = line 5 (line = row + 1)
    assert io.check(path).rows == 3  # the blank row is not data


def test_three_different_problems_at_once():
    with pytest.raises(ValidationError) as info:
        io.read(DATA / "responses_bad.csv")
    err = info.value
    assert [(p.row, p.column, p.check) for p in err.problems] == [
        (2, "nps", "value"), (3, "channel", "value"), (5, "submitted_at", "type")]
    msg = str(err)
    assert msg.startswith(str(DATA / "responses_bad.csv"))
    assert "got 11; expected a whole number from 0 to 10" in msg
    assert "got 'fax'; expected one of phone, messenger, web" in msg
    assert "got '31.02.2026'" in msg


def test_check_reports_without_raising():
    rep = io.check(DATA / "responses_bad.csv")
    assert not rep.ok and len(rep.problems) == 3 and rep.table_name == "responses"
    rep = io.check(DATA / "nothing_here.csv")
    assert not rep.ok and "no such file" in rep.error


# ------------------------------------------------------------------ column mapping

def test_mapping_file_and_scale_1_11():
    df = io.read(DATA / "survey_export.csv", table="responses", mapping=DATA / "mapping.yml",
                 scale="1-11")
    assert df["response_id"].tolist() == ["A1", "A2", "A3"]
    assert df["nps"].tolist() == [10, 0, 7]  # 11→10, 1→0, 8→7 (x − 1)


def test_mapping_dict_tolerates_case_and_spaces(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(" ID анкеты ;Client_ID;Дата ответа;CHANNEL;Survey; Оценка \n"
                    "A1;C1;01.07.2026;phone;periodic;9\n", encoding="utf-8")
    mapping = {"id анкеты": "response_id", "ДАТА ОТВЕТА": "submitted_at", "оценка": "nps"}
    df = io.read(path, table="responses", mapping=mapping)
    assert list(df.columns[:6]) == ["response_id", "client_id", "submitted_at", "channel",
                                    "survey", "nps"]
    assert df["nps"].tolist() == [9]


def test_mapping_json_file(tmp_path):
    m = tmp_path / "m.json"
    m.write_text('{"Оценка": "nps", "Номер анкеты": "response_id", "Клиент": "client_id",'
                 ' "Дата": "submitted_at", "Канал": "channel", "Опрос": "survey"}',
                 encoding="utf-8")
    assert len(io.read(DATA / "survey_export.csv", table="responses", mapping=m,
                       scale="1-11")) == 3


def test_without_mapping_the_headers_are_reported_missing_and_ignored():
    rep = io.check(DATA / "survey_export.csv", table="responses")
    # a date and a channel are required; response_id is generated, client_id optional
    assert {p.column for p in rep.problems if p.check == "column_missing"} == {
        "submitted_at", "channel"}
    assert "Номер анкеты" in rep.ignored_columns
    # no answer to the recommendation question: the 1–11 score column is named
    (p,) = [p for p in rep.problems if p.check == "no_answers"]
    assert "'ОЦЕНКА' (whole numbers 1–11)" in p.expected
    assert 'columns: {"ОЦЕНКА": nps} and scale: {nps: 1-11}' in p.expected


def test_mapping_to_an_unknown_column_is_reported(tmp_path):
    mapping = {**io.read_mapping(DATA / "mapping.yml").columns, "Оценка": "npss"}
    with pytest.raises(ValidationError, match="npss"):
        io.read(DATA / "survey_export.csv", table="responses", mapping=mapping)


def test_two_headers_mapped_to_one_column_is_reported(tmp_path):
    path = write_csv(tmp_path / "responses.csv", ",", "utf-8")
    with pytest.raises(ValidationError, match="duplicate_column"):
        io.read(path, mapping={"comment": "nps"})


def test_bad_mapping_file(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ReadError, match="export header: column"):
        io.read(DATA / "survey_export.csv", table="responses", mapping=bad)
    with pytest.raises(ReadError, match="no such mapping file"):
        io.read(DATA / "survey_export.csv", table="responses", mapping=tmp_path / "nope.yml")


# ------------------------------------------------------------------ scales

def scored(tmp_path, scores) -> Path:
    rows = [[f"R{i}", f"C{i}", "2026-07-01", "web", "periodic", s, ""]
            for i, s in enumerate(scores, 1)]
    return write_csv(tmp_path / "responses.csv", ";", "utf-8", rows)


def test_scale_1_5_mapping_is_explicit(tmp_path):
    # the documented table: (x − 1) × 2.5 rounded half up → 0, 3, 5, 8, 10
    df = io.read(scored(tmp_path, ["1", "2", "3", "4", "5", ""]), scale="1-5")
    assert df["nps"].tolist()[:5] == [0, 3, 5, 8, 10] and df["nps"].isna().iloc[5]
    assert io.SCALES["1-5"] == {1: 0, 2: 3, 3: 5, 4: 8, 5: 10}


def test_scale_1_11(tmp_path):
    df = io.read(scored(tmp_path, ["1", "6", "11", "10,0"]), scale="1-11")
    assert df["nps"].tolist() == [0, 5, 10, 9]


@pytest.mark.parametrize("scale, bad", [("1-11", "12"), ("1-11", "0"), ("1-5", "6"),
                                        ("1-5", "0"), ("0-10", "11")])
def test_out_of_scale_value_is_an_error(tmp_path, scale, bad):
    with pytest.raises(ValidationError) as info:
        io.read(scored(tmp_path, ["3", bad, "4"]), scale=scale)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value, p.check) == (2, "nps", bad, "scale")
    assert f"(scale {scale})" in p.expected


def test_scale_problems_and_schema_problems_together(tmp_path):
    rows = [["R1", "C1", "2026-07-01", "web", "periodic", "3,5", ""],
            ["R2", "C2", "2026-07-01", "fax", "periodic", "4", ""],
            ["R3", "C3", "2026-07-01", "web", "periodic", "7", ""]]
    with pytest.raises(ValidationError) as info:
        io.read(write_csv(tmp_path / "responses.csv", ";", "utf-8", rows), scale="1-5")
    assert [(p.row, p.column, p.check) for p in info.value.problems] == [
        (1, "nps", "type"), (2, "channel", "value"), (3, "nps", "scale")]


def test_unknown_scale(tmp_path):
    with pytest.raises(ReadError, match="1-11"):
        io.read(scored(tmp_path, ["3"]), scale="1-7")


# ------------------------------------------------------------------ files that cannot be read

def test_unknown_extension(tmp_path):
    (tmp_path / "responses.json").write_text("{}")
    with pytest.raises(ReadError, match=r"unknown file type '\.json'.*\.csv.*\.xlsx.*\.parquet"):
        io.read(tmp_path / "responses.json")


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        io.read(tmp_path / "responses.csv")


def test_table_not_told_by_the_name(tmp_path):
    path = write_csv(tmp_path / "export.csv", ",", "utf-8")
    with pytest.raises(ReadError, match="cannot tell which table.*--table"):
        io.read(path)
    assert len(io.read(path, table="responses")) == 3


def test_unknown_table(tmp_path):
    with pytest.raises(ReadError, match="unknown table 'answers'"):
        io.read(write_csv(tmp_path / "export.csv", ",", "utf-8"), table="answers")


def test_broken_xlsx(tmp_path):
    (tmp_path / "responses.xlsx").write_text("not a workbook")
    with pytest.raises(ReadError, match="Excel"):
        io.read(tmp_path / "responses.xlsx")


def test_broken_parquet(tmp_path):
    (tmp_path / "responses.parquet").write_bytes(b"PAR1 nope")
    with pytest.raises(ReadError, match="Parquet"):
        io.read(tmp_path / "responses.parquet")


def test_empty_file(tmp_path):
    (tmp_path / "responses.csv").write_bytes(b"")
    with pytest.raises(ReadError, match="empty"):
        io.read(tmp_path / "responses.csv")


def test_ragged_row_is_a_read_error_naming_the_line(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text("response_id,client_id\nR1,C1\nR2,C2,extra,fields\n", encoding="utf-8")
    with pytest.raises(ReadError, match="line 3"):
        io.read(path)


def test_header_only_gives_an_empty_typed_table(tmp_path):
    path = write_csv(tmp_path / "responses.csv", ";", "utf-8", rows=[])
    df = io.read(path)
    assert len(df) == 0 and str(df["nps"].dtype) == "Int64"


def test_xlsx_with_real_date_cells_and_numbers(tmp_path):
    # a workbook whose dates are Excel date cells and scores numeric cells (not text)
    df = EXPECTED.drop(columns=["recommend"]).copy()
    x = df.astype(object).where(df.notna(), None)
    x["submitted_at"] = list(df["submitted_at"])  # datetime cells
    x.to_excel(tmp_path / "responses.xlsx", index=False)
    assert_same_as_expected(io.read(tmp_path / "responses.xlsx"), df)


def test_an_11_suggests_the_1_11_scale():
    with pytest.raises(ValidationError) as info:
        io.read(DATA / "responses_bad.csv")
    assert "--scale 1-11" in info.value.problems[0].expected
