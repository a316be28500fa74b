"""Mappings that fit real exports (issue 10, items 2 and 5): renamed columns, constants,
recoded values, the recommendation question's scale, generated ids, a study that is not
the sample business's, and the guard rails on mapping mistakes.

The survey-tool export (``tests/data/survey_tool_export.csv``, written by
``tests/data/make_survey_tool_export.py``) is read back here independently with the
``csv`` module; the expected stored values are computed from those cells by the rules
written out in this file (``expected_rows``), not by cxlab.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxlab import io
from cxlab.errors import ReadError, ValidationError

DATA = Path(__file__).parent / "data"

_spec = importlib.util.spec_from_file_location("make_survey_tool_export",
                                               DATA / "make_survey_tool_export.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

FACTORS = [f"f_{fid}" for fid in tool.ITEMS]


@pytest.fixture
def study(tmp_path) -> Path:
    """The rail carrier's study, written as YAML the way a user would."""
    path = tmp_path / "study.yml"
    path.write_text(yaml.safe_dump(tool.STUDY, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


@pytest.fixture
def wh(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


def mapping(**changes) -> dict:
    """The export's mapping (full form) with some keys replaced (None: removed)."""
    m = copy.deepcopy(tool.MAPPING)
    for key, value in changes.items():
        if value is None:
            m.pop(key, None)
        else:
            m[key] = value
    return m


def expected_rows(path: Path = tool.EXPORT, encoding: str = tool.ENCODING,
                  sep: str = tool.SEP) -> pd.DataFrame:
    """The export's rows as they must be stored, from the raw cells, by hand-written
    rules: 1–11 → 0–10 is x − 1; the words of the classes and tiers are these codes;
    an empty slider or "Не пользовался" is no answer; dates are day first."""
    classes = {"эконом": "economy", "комфорт": "comfort", "бизнес": "business"}
    tiers = {"базовый": "basic", "серебряный": "silver", "золотой": "gold"}
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader if any(c.strip() for c in r)]
    out = []
    for r in rows:
        row = {
            "submitted_at": datetime.strptime(r[tool.DATE], "%d.%m.%Y %H:%M:%S"),
            "nps": int(r[tool.RECOMMEND]) - 1,
            "travel_class": classes[r[tool.CLASS].strip().lower()],
            "tier": tiers[r[tool.TIER].strip().lower()],
            "comment": r[tool.COMMENT] or None,
        }
        for fid, h in tool.ITEMS.items():
            cell = r[h].strip()
            row[f"f_{fid}"] = int(cell) if cell and cell != "Не пользовался" else None
        out.append(row)
    return pd.DataFrame(out)


def comparable(df: pd.DataFrame) -> list[tuple]:
    """Rows as sorted tuples of plain Python values (None for missing)."""
    cols = ["submitted_at", "nps", "travel_class", "tier", "comment", *FACTORS]
    rows = []
    for r in df[cols].itertuples(index=False):
        rows.append(tuple(None if pd.isna(v) else (pd.Timestamp(v).to_pydatetime()
                                                  if c == "submitted_at" else
                                                  int(v) if c == "nps" or c.startswith("f_")
                                                  else str(v))
                          for c, v in zip(cols, r)))
    return sorted(rows, key=repr)


# ------------------------------------------------------------------ the survey-tool export

def test_the_fixture_is_shaped_like_a_survey_tool_export():
    raw = tool.EXPORT.read_bytes()
    assert raw.decode("cp1251").startswith(tool.DATE + ";")  # cp1251, ';', Russian headers
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    exp = expected_rows()
    assert len(exp) == tool.ROWS and exp["nps"].between(0, 10).all()
    assert exp[FACTORS].isna().any().all()  # every item has unanswered cells
    assert exp[FACTORS].max().max() > 5  # sliders, not 1–5
    header = raw.decode("cp1251").splitlines()[0].split(";")
    assert not {"response_id", "client_id", "channel", "survey"} & set(header)


def test_survey_tool_export_is_ingested_exactly(wh, study):
    res = io.ingest([tool.EXPORT], warehouse=wh, mapping=DATA / "survey_tool_mapping.yml",
                    study=study)
    assert res == {"responses": tool.ROWS}
    (rep,) = res.files
    assert rep.ok and rep.generated_ids == "response_id" and rep.warnings == []
    assert rep.ignored_columns == [tool.SOURCE]
    back = io.load("responses", wh, study=study)
    assert comparable(back) == comparable(expected_rows())
    # what the export lacked: constants, generated ids, no client
    assert set(back["channel"]) == {"web"} and set(back["survey"]) == {"after_trip"}
    assert back["client_id"].isna().all()
    assert back["response_id"].is_unique
    assert back["response_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    # segments and 0–100 factors are stored with their types
    con = io.connect(wh)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'responses'").fetchall())
    con.close()
    assert types["travel_class"] == types["tier"] == "VARCHAR"
    assert all(types[f] == "INTEGER" for f in FACTORS)


def test_re_ingesting_the_export_adds_nothing(wh, study):
    m = DATA / "survey_tool_mapping.yml"
    io.ingest([tool.EXPORT], warehouse=wh, mapping=m, study=study)
    again = io.ingest([tool.EXPORT], warehouse=wh, mapping=m, study=study)
    assert again == {"responses": 0}
    assert again.duplicates == {"responses": tool.ROWS} and again.conflicts == {"responses": 0}
    assert again.warnings == []


def test_generated_ids_do_not_depend_on_format_or_row_order(wh, study, tmp_path):
    m = DATA / "survey_tool_mapping.yml"
    io.ingest([tool.EXPORT], warehouse=wh, mapping=m, study=study)
    # the same answers, saved again as UTF-8 with BOM and ',' in another order …
    lines = tool.export_text(sep=",").split("\r\n")
    body = [x for x in lines[1:] if x]
    shuffled = tmp_path / "export_utf8.csv"
    shuffled.write_text("\r\n".join([lines[0], *reversed(body)]) + "\r\n", encoding="utf-8-sig")
    # … and as a workbook whose sliders are number cells
    frame = pd.DataFrame(tool.rows(), columns=tool.header())
    for h in tool.ITEMS.values():
        frame[h] = pd.to_numeric(frame[h], errors="coerce").astype("Int64").astype(object)
        frame[h] = frame[h].where(frame[h].notna(), None)
    frame[tool.ITEMS["food"]] = [r[4 + list(tool.ITEMS).index("food")] for r in tool.rows()]
    frame.to_excel(tmp_path / "export.xlsx", index=False)
    again = io.ingest([shuffled, tmp_path / "export.xlsx"], warehouse=wh, mapping=m, study=study)
    assert again == {"responses": 0} and again.duplicates == {"responses": 2 * tool.ROWS}


def test_identical_rows_stay_two_rows_and_keep_their_ids(wh, study, tmp_path):
    path = tmp_path / "export.csv"
    text = (f"{tool.DATE};{tool.RECOMMEND};{tool.CLASS}\n"
            "01.07.2026;9;Эконом\n01.07.2026;9;Эконом\n01.07.2026;10;Эконом\n")
    path.write_text(text, encoding="utf-8")
    m = mapping(columns={tool.DATE: "submitted_at", tool.RECOMMEND: "nps",
                         tool.CLASS: "travel_class"}, scale=None)
    first = io.read(path, mapping=m, study=study)
    assert first["response_id"].nunique() == 3
    assert io.ingest([path], warehouse=wh, mapping=m, study=study) == {"responses": 3}
    assert io.ingest([path], warehouse=wh, mapping=m, study=study) == {"responses": 0}
    # a third identical answer in a later export is new: it gets the next occurrence's id
    path.write_text(text + "01.07.2026;9;Эконом\n", encoding="utf-8")
    assert io.ingest([path], warehouse=wh, mapping=m, study=study) == {"responses": 1}


def test_a_changed_mapping_that_re_adds_a_file_is_a_warning(wh, study):
    io.ingest([tool.EXPORT], warehouse=wh, mapping=mapping(), study=study)
    m = mapping(constants={"channel": "app", "survey": "after_trip"})  # content changed
    res = io.ingest([tool.EXPORT], warehouse=wh, mapping=m, study=study)
    assert res == {"responses": tool.ROWS}
    (w,) = res.warnings
    assert "the same file was ingested on" in w and f"{tool.ROWS} of its {tool.ROWS} rows" in w


def test_mapping_table_key_means_no_table_is_needed(study):
    # the file's name says nothing; the mapping says responses
    assert io.check(tool.EXPORT, mapping=mapping(), study=study).table_name == "responses"
    with pytest.raises(ReadError, match="mapping .* says 'responses'"):
        io.read(tool.EXPORT, table="visits", mapping=mapping(), study=study)
    with pytest.raises(ReadError, match="cannot tell which table.*table:"):
        io.read(tool.EXPORT, mapping=mapping(table=None), study=study)


def test_scale_argument_is_the_mapping_scale(study):
    m = mapping(scale=None)
    via_arg = io.read(tool.EXPORT, mapping=m, scale="1-11", study=study)
    via_map = io.read(tool.EXPORT, mapping=mapping(), study=study)
    pd.testing.assert_frame_equal(via_arg, via_map)
    assert io.read(tool.EXPORT, mapping=mapping(), scale="1–11", study=study)["nps"].max() == 10
    with pytest.raises(ReadError, match="1-5 but the mapping .* says scale: {nps: 1-11}"):
        io.read(tool.EXPORT, mapping=mapping(), scale="1-5", study=study)


# ------------------------------------------------------------------ constants, values, ids

def small_export(tmp_path, rows, header=(tool.DATE, "Оценка", "Канал")) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(";".join(header) + "\n" + "\n".join(";".join(r) for r in rows) + "\n",
                    encoding="utf-8-sig")
    return path


def test_values_recode_regardless_of_case_and_spaces(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", " сайт "],
                                   ["02.07.2026", "3", "ПРИЛОЖЕНИЕ"]])
    m = {"table": "responses",
         "columns": {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"},
         "values": {"channel": {"Сайт": "web", "Приложение": "app"}}}
    assert io.read(path, mapping=m, study=study)["channel"].tolist() == ["web", "app"]


def test_values_and_headers_match_without_invisible_characters(tmp_path, study):
    # a no-break space after a value, a zero-width space in a header, a soft hyphen:
    # invisible in the export, so they must not decide a match (issue 11, item 4)
    path = small_export(tmp_path, [["01.07.2026", "9", "Сайт\u00a0"],
                                   ["02.07.2026", "3", "\u200bПрило\u00adжение"]],
                        header=(tool.DATE, "Оценка\u200b", "\ufeffКанал"))
    m = {"table": "responses",
         "columns": {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"},
         "values": {"channel": {"Сайт": "web", "Приложение": "app"}}}
    df = io.read(path, mapping=m, study=study)
    assert df["channel"].tolist() == ["web", "app"] and df["nps"].tolist() == [9, 3]


def test_values_not_in_the_map_are_left_for_validation_to_report(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", "Сайт"], ["02.07.2026", "3", "Телеграм"]])
    m = {"table": "responses",
         "columns": {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"},
         "values": {"channel": {"Сайт": "web"}}}
    with pytest.raises(ValidationError) as info:
        io.read(path, mapping=m, study=study)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "channel", "Телеграм")
    assert p.expected == "one of web, app"


def test_values_to_null_empty_the_cell_and_booleans_work(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "Да"], ["02.07.2026", "нет"],
                                   ["03.07.2026", "Затрудняюсь ответить"]],
                        header=(tool.DATE, "Порекомендуете?"))
    m = {"table": "responses", "columns": {tool.DATE: "submitted_at",
                                           "Порекомендуете?": "recommend"},
         "constants": {"channel": "app"},
         "values": {"recommend": {"Да": True, "Нет": False, "Затрудняюсь ответить": None}}}
    df = io.read(path, mapping=m, study=study)
    assert df["recommend"].tolist()[:2] == [True, False] and df["recommend"].isna().iloc[2]


def test_constants_fill_every_row_and_may_be_a_date(tmp_path, study):
    path = small_export(tmp_path, [["9"], ["10"]], header=("Оценка",))
    m = yaml.safe_load("table: responses\ncolumns: {Оценка: nps}\n"
                       "constants: {channel: web, survey: after_trip, submitted_at: 2026-07-01}\n")
    df = io.read(path, mapping=m, study=study)
    assert df["submitted_at"].tolist() == [pd.Timestamp("2026-07-01")] * 2
    assert df["survey"].tolist() == ["after_trip"] * 2


def test_a_constant_for_a_column_the_export_has_is_an_error(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", "web"]])
    m = {"columns": {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"},
         "constants": {"channel": "app"}, "table": "responses"}
    with pytest.raises(ValidationError) as info:
        io.read(path, mapping=m, study=study)
    (p,) = info.value.problems
    assert (p.column, p.check) == ("channel", "constant_and_column")
    assert "not both" in p.expected


def test_ids_generate_when_the_export_has_ids_is_an_error(tmp_path, study):
    path = small_export(tmp_path, [["A1", "01.07.2026", "9"]], header=("ID", tool.DATE, "Оценка"))
    m = {"table": "responses", "columns": {"ID": "response_id", tool.DATE: "submitted_at",
                                           "Оценка": "nps"},
         "constants": {"channel": "web"}, "ids": {"response_id": "generate"}}
    with pytest.raises(ValidationError, match="generated .*not both"):
        io.read(path, mapping=m, study=study)
    # without ids: the export's own ids are kept
    del m["ids"]
    rep = io.check(path, mapping=m, study=study)
    assert rep.ok and rep.generated_ids is None
    assert io.read(path, mapping=m, study=study)["response_id"].tolist() == ["A1"]


def test_ids_generate_works_for_other_tables(tmp_path):
    path = small_export(tmp_path, [["C1", "01.07.2026 10:00", "phone"]] * 2,
                        header=("Клиент", "Открыто", "Канал"))
    m = {"table": "contacts", "columns": {"Клиент": "client_id", "Открыто": "opened_at",
                                          "Канал": "channel"},
         "ids": {"contact_id": "generate"}}
    df = io.read(path, mapping=m)
    assert df["contact_id"].nunique() == 2
    with pytest.raises(ValidationError, match="column_missing"):  # no generation unasked
        io.read(path, mapping={**m, "ids": {}})


def test_segments_and_factors_are_recognised_by_their_own_names(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", "web", "Economy", "73"]],
                        header=("submitted_at", "NPS", "Channel", " Travel_Class ", "F_WIFI"))
    df = io.read(path, table="responses", study=study)
    assert df[["travel_class", "f_wifi"]].iloc[0].tolist() == ["economy", 73]


def test_mapped_headers_not_in_the_file_are_a_warning(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", "web"]])
    m = {"Оценка": "nps", tool.DATE: "submitted_at", "Канал": "channel", "Класс": "travel_class"}
    rep = io.check(path, table="responses", mapping=m, study=study)
    assert rep.ok and rep.warnings == [
        "mapping: 1 mapped header(s) not in this file, ignored: 'Класс'"]


def test_mapping_targets_may_be_segments_and_declared_factors_only(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "9", "web"]])
    m = {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "region"}
    (p,) = io.check(path, table="responses", mapping=m, study=study).problems
    assert (p.column, p.check, p.value) == ("Канал", "mapping", "region")
    assert "travel_class, tier" in p.expected and "f_wifi" in p.expected


# ------------------------------------------------------------------ malformed mappings

@pytest.mark.parametrize("m, message", [
    ({"table": "responses", "colums": {"a": "nps"}}, "key 'colums'.*one of table, columns"),
    ({"table": "answers"}, "key 'table': got 'answers'"),
    ({"columns": {"a": "nps"}, "scale": {"nps": "1-10"}},
     "1–10 question has no standard conversion"),
    ({"columns": {"a": "nps"}, "scale": {"f_cleanliness": "0-100"}},
     "declared in the study \\(factors → cleanliness → scale: 0-100\\)"),
    ({"columns": {"a": "nps"}, "ids": {"response_id": "uuid"}}, "generate"),
    ({"columns": {"a": "nps"}, "constants": {"channel": None}}, "constants → channel"),
    ({"columns": {"a": 5}}, "columns → a"),
])
def test_malformed_mapping_names_the_key(m, message):
    with pytest.raises(ReadError, match=message):
        io.read_mapping(m)


def test_a_mapping_file_names_itself_in_its_errors(tmp_path):
    f = tmp_path / "m.yml"
    f.write_text("table: responses\ncolumns: {a: nps}\nconstant: {channel: web}\n",
                 encoding="utf-8")
    with pytest.raises(ReadError, match="(?s)" + re.escape(str(f)) + ".*key 'constant'"):
        io.read_mapping(f)


def test_the_flat_form_still_reads():
    m = io.read_mapping(DATA / "mapping.yml")
    assert m.columns["Оценка"] == "nps" and m.table is None and not m.constants


# ------------------------------------------------------------------ guard rails

def test_no_recommendation_answer_names_the_columns_that_look_like_it(study):
    m = mapping(scale=None)
    del m["columns"][tool.RECOMMEND]
    with pytest.raises(ValidationError) as info:
        io.read(tool.EXPORT, mapping=m, study=study)
    (p,) = info.value.problems  # one problem, not one per row
    assert (p.column, p.check) == ("nps", "no_answers")
    assert "neither column is in the export" in p.expected
    assert f"'{tool.RECOMMEND}' (whole numbers 1–11)" in p.expected
    assert f'columns: {{"{tool.RECOMMEND}": nps}} and scale: {{nps: 1-11}}' in p.expected
    # the 0–100 items are not taken for it, nor the text columns
    assert tool.ITEMS["wifi"] not in p.expected and tool.SOURCE not in p.expected


def test_an_nps_column_empty_in_every_row_is_an_error(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "", "web", "9"],
                                   ["02.07.2026", " ", "web", "10"]],
                        header=(tool.DATE, "Оценка", "Канал", "Вероятность рекомендации"))
    m = {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"}
    (p,) = io.check(path, table="responses", mapping=m, study=study).problems
    assert p.check == "no_answers" and "the column 'nps' is empty in every row" in p.expected
    assert "'Вероятность рекомендации' (whole numbers 9–10)" in p.expected


def test_keyword_headers_are_named_even_without_numbers(tmp_path, study):
    path = small_export(tmp_path, [["01.07.2026", "Скорее да", "web"]],
                        header=(tool.DATE, "How likely are you to recommend us?", "Канал"))
    m = {tool.DATE: "submitted_at", "Канал": "channel"}
    (p,) = io.check(path, table="responses", mapping=m, study=study).problems
    assert "'How likely are you to recommend us?' (its header)" in p.expected


def scores_export(tmp_path, scores) -> Path:
    return small_export(tmp_path, [["01.07.2026", str(s), "web"] for s in scores])


SCORE_MAP = {tool.DATE: "submitted_at", "Оценка": "nps", "Канал": "channel"}


def test_scores_from_1_to_10_without_0_are_a_warning(tmp_path, study):
    scores = [1, 2] + [5] * 10 + [8] * 10 + [10] * 20  # 42 answers, none 0
    rep = io.check(scores_export(tmp_path, scores), table="responses", mapping=SCORE_MAP,
                   study=study)
    assert rep.ok  # a warning, not an error
    (w,) = rep.warnings
    assert w.startswith("nps: 42 answers from 1 to 10 and no 0 (1 × 1, 20 × 10)")
    assert "1–10 scale" in w and "--scale" in w


def test_few_answers_without_0_are_no_warning(tmp_path, study):
    rep = io.check(scores_export(tmp_path, [1, 5, 10] * 9), table="responses",
                   mapping=SCORE_MAP, study=study)
    assert rep.ok and rep.warnings == []


def test_an_11_without_a_scale_is_an_error_and_a_warning_with_counts(tmp_path, study):
    rep = io.check(scores_export(tmp_path, [1, 11, 11, 6]), table="responses",
                   mapping=SCORE_MAP, study=study)
    assert [(p.row, p.check) for p in rep.problems] == [(2, "value"), (3, "value")]
    assert "--scale 1-11" in rep.problems[0].expected
    assert rep.warnings == ["nps: 2 of 4 answers are 11 (smallest 1): the export looks like "
                            "a 1–11 scale; --scale 1-11 (scale: {nps: 1-11} in the mapping) "
                            "converts it to 0–10 (x − 1)"]


def test_a_given_scale_silences_the_guess(tmp_path, study):
    scores = [1, 2] + [5] * 10 + [8] * 10 + [10] * 20
    rep = io.check(scores_export(tmp_path, scores), table="responses", mapping=SCORE_MAP,
                   scale="0-10", study=study)
    assert rep.ok and rep.warnings == []


def test_a_0_100_item_declared_1_5_gets_a_hint_to_declare_its_scale(tmp_path):
    st = copy.deepcopy(tool.STUDY)
    st["factors"]["cleanliness"]["scale"] = "1-5"
    path = tmp_path / "study_1_5.yml"
    path.write_text(yaml.safe_dump(st, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rep = io.check(tool.EXPORT, mapping=mapping(), study=path)
    cleanliness = [p for p in rep.problems if p.column == "f_cleanliness"]
    assert cleanliness and {p.check for p in cleanliness} == {"value"}
    assert {p.column for p in rep.problems} == {"f_cleanliness"}
    hint = ("declare its scale in the study: factors → cleanliness → scale: 0-100 "
            f"({path})")
    assert all(hint in p.expected for p in cleanliness)
    assert all("from 1 to 5" in p.expected for p in cleanliness)


def test_an_undeclared_factor_gets_its_range(study, tmp_path):
    st = copy.deepcopy(tool.STUDY)
    del st["factors"]["wifi"]
    path = tmp_path / "study_no_wifi.yml"
    path.write_text(yaml.safe_dump(st, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (p,) = io.check(tool.EXPORT, mapping=mapping(), study=path).problems
    assert (p.column, p.check) == ("f_wifi", "factor_undeclared")
    assert str(path) in p.expected and "scale: 0-100" in p.expected
