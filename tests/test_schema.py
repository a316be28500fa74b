"""Every rule of cxlab.schema, each with a failing example (and a passing one).

Frames here are small and written by hand; the expected row numbers are the 1-based
positions of the cells planted wrong.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from cxlab import schema
from cxlab.errors import ValidationError
from cxlab.study import parse_study


def valid(table: str) -> pd.DataFrame:
    """Three valid rows of each table, as text, the way a CSV arrives."""
    frames = {
        "clients": {
            "client_id": ["C1", "C2", "C3"],
            "joined_on": ["2025-01-10", "11.02.2025", "2025-03-01"],
            "source": ["referral", "search", "maps"],
            "referred_by": ["C2", "", ""],
            "parent_name": ["Иванова Анна", "", "Петров Олег"],
        },
        "visits": {
            "visit_id": ["V1", "V2", "V3"],
            "client_id": ["C1", "C1", "C2"],
            "visit_date": ["2026-07-01", "02.07.2026", "2026-07-03"],
            "programme": ["workshop", "camp", "hike"],
            "activity": ["Гончарная мастерская", "Летний лагерь", "Поход выходного дня"],
            "teacher_id": ["T1", "", "T2"],
        },
        "responses": {
            "response_id": ["R1", "R2", "R3"],
            "client_id": ["C1", "C2", "C3"],
            "submitted_at": ["2026-07-01 10:00", "02.07.2026 11:30", "2026-07-03"],
            "channel": ["phone", "web", "messenger"],
            "survey": ["periodic", "after_camp", "lapsed"],
            "nps": ["10", "0", ""],
            "recommend": ["", "", "да"],
            "csat": ["5", "1", ""],
            "f_safety": ["5", "", "1"],
        },
        "invitations": {
            "invitation_id": ["I1", "I2", "I3"],
            "client_id": ["C1", "C2", "C3"],
            "survey": ["periodic", "periodic", "lapsed"],
            "channel": ["phone", "web", "messenger"],
            "sent_at": ["2026-07-01 09:00", "2026-07-01", "01.07.2026 12:00"],
        },
        "contacts": {
            "contact_id": ["K1", "K2", "K3"],
            "client_id": ["C1", "C2", "C3"],
            "opened_at": ["2026-07-01 09:00", "2026-07-02 10:00", "2026-07-03 11:00"],
            "channel": ["phone", "email", "in_person"],
            "topic": ["Расписание", "Оплата", "Запись"],
            "resolved_at": ["2026-07-01 09:30", "", "2026-07-04 11:00"],
        },
        "complaints": {
            "complaint_id": ["Q1", "Q2", "Q3"],
            "client_id": ["C1", "", "C3"],
            "received_at": ["2026-07-01 09:00", "2026-07-02 10:00", "2026-07-03 11:00"],
            "channel": ["phone", "review_site", "email"],
            "origin": ["external", "internal", "external"],
            "category": ["Организация лагеря", "Расписание", "Оплата"],
            "importance": ["low", "critical", "medium"],
            "justified": ["да", "нет", ""],
            "first_reaction_at": ["2026-07-01 10:00", "", "2026-07-03 12:00"],
            "deadline_at": ["2026-07-04 09:00", "2026-07-05 10:00", ""],
            "resolved_at": ["2026-07-02 09:00", "", ""],
            "satisfied_with_resolution": ["yes", "", "no"],
            "loyal_after": ["1", "", "0"],
        },
        "feedback": {
            "message_id": ["1987654321:2", "1987654321:3", "1987654321:4"],
            "sent_at": ["2026-09-14T08:31:05Z", "14.09.2026 11:40", "2026-09-14 11:52:30"],
            "author_id": ["a1b2c3d4e5f6a", "a0f9e8d7c6b5a", ""],
            "author_role": ["staff", "", "manager"],
            "text": ["клиент C00042 недоволен переносом", "Принял", "Перезвонил"],
            "reply_to": ["", "1987654321:2", "1987654321:3"],
            "client_id": ["C00042", "C00042", ""],
            "source": ["telegram: ОБРАТНАЯ СВЯЗЬ"] * 3,
        },
    }
    return pd.DataFrame(frames[table], dtype="string")


def problems_of(df: pd.DataFrame, table: str) -> list:
    with pytest.raises(ValidationError) as info:
        schema.validate(df, table, source="test.csv")
    return info.value.problems


def only(problems, check=None):
    """The single problem (asserting there is exactly one)."""
    assert len(problems) == 1, [str(p) for p in problems]
    if check is not None:
        assert problems[0].check == check
    return problems[0]


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_valid_frames_pass_and_are_typed(table):
    out = schema.validate(valid(table), table)
    spec = schema.resolve_table(table)  # with the study's segments and factor scales
    expected_dtype = {"id": "string", "text": "string", "code": "string", "int": "Int64",
                      "bool": "boolean", "date": "datetime64[ns]", "datetime": "datetime64[ns]"}
    for name in out.columns:
        assert str(out[name].dtype) == expected_dtype[spec.col(name).kind], name
    assert len(out) == 3


# ------------------------------------------------------------------ types

def test_text_in_an_integer_column_is_a_type_problem():
    df = valid("responses")
    df.loc[1, "nps"] = "девять"
    p = only(problems_of(df, "responses"), "type")
    assert (p.row, p.column, p.value) == (2, "nps", "девять")
    assert "whole number from 0 to 10" in p.expected


def test_fractional_score_is_a_type_problem_but_decimal_comma_whole_number_is_fine():
    df = valid("responses")
    df.loc[0, "csat"] = "4,0"  # a spreadsheet's decimal comma: still the whole number 4
    assert schema.validate(df, "responses")["csat"].iloc[0] == 4
    df.loc[0, "csat"] = "4,5"
    p = only(problems_of(df, "responses"), "type")
    assert (p.row, p.column) == (1, "csat")


@pytest.mark.parametrize("value", ["31.02.2026", "2026-13-01", "вчера"])
def test_unparseable_date_is_a_type_problem(value):
    df = valid("responses")
    df.loc[2, "submitted_at"] = value
    p = only(problems_of(df, "responses"), "type")
    assert (p.row, p.column, p.value) == (3, "submitted_at", value)


def test_russian_dates_are_day_first():
    df = valid("visits")
    df.loc[1, "visit_date"] = "01.02.2026"  # 1 February, never 2 January
    out = schema.validate(df, "visits")
    assert out["visit_date"].iloc[1] == pd.Timestamp("2026-02-01")


# ------------------------------------------------------------------ ranges

@pytest.mark.parametrize("column, value", [
    ("nps", "11"), ("nps", "-1"), ("csat", "0"), ("csat", "6"), ("f_safety", "0"),
    ("f_safety", "6"),
])
def test_out_of_range_ratings(column, value):
    df = valid("responses")
    df.loc[0, column] = value
    p = only(problems_of(df, "responses"), "value")
    assert (p.row, p.column, p.value) == (1, column, int(value))


@pytest.mark.parametrize("column, lo, hi", [("nps", 0, 10), ("csat", 1, 5), ("f_safety", 1, 5)])
def test_range_ends_are_allowed(column, lo, hi):
    df = valid("responses")
    df.loc[0, column] = str(lo)
    df.loc[1, column] = str(hi)
    out = schema.validate(df, "responses")
    assert out[column].iloc[:2].tolist() == [lo, hi]


def test_factor_empty_means_not_applicable():
    out = schema.validate(valid("responses"), "responses")
    assert out["f_safety"].isna().tolist() == [False, True, False]
    assert schema.factor_columns(out) == ["f_safety"]


# ------------------------------------------------------------------ codes

@pytest.mark.parametrize("table, column, value", [
    ("responses", "channel", "fax"),
    ("responses", "survey", "random"),
    ("responses", "programme", "space"),
    ("visits", "programme", "school"),
    ("clients", "source", "tv"),
    ("contacts", "channel", "pigeon"),
    ("complaints", "importance", "urgent"),
    ("complaints", "origin", "partner"),
    ("complaints", "channel", "telegram"),
])
def test_unknown_codes(table, column, value):
    df = valid(table)
    if column not in df:
        df[column] = pd.array([pd.NA] * len(df), dtype="string")
    df.loc[2, column] = value
    p = only(problems_of(df, table), "value")
    assert (p.row, p.column, p.value) == (3, column, value)
    assert p.expected.startswith("one of ")


# A study that is not the sample business: its own code lists, a closed and an open
# segment, a factor on 0–100.
RETAIL = parse_study({
    "channels": {"email": {"en": "E-mail"}, "sms": {"en": "SMS"}, "app": {"en": "App"}},
    "surveys": ["after_purchase"],
    "segments": {"store": {}, "tier": {"values": ["basic", "gold"]}},
    "factors": {"checkout_speed": {"scale": "1-7"}, "cleanliness": {"scale": "0-100"}},
}, source="retail.yml")


def retail_responses() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": ["R1", "R2", "R3"], "submitted_at": ["2026-07-01"] * 3,
        "channel": ["email", "SMS", "app"], "survey": ["after_purchase", "", ""],
        "nps": ["9", "3", "10"], "store": ["S-12", "any code", ""],
        "tier": ["gold", "Basic", ""], "f_checkout_speed": ["7", "1", ""],
        "f_cleanliness": ["0", "100", "55"],
    }, dtype="string")


def test_code_lists_and_scales_come_from_the_study():
    out = schema.validate(retail_responses(), "responses", study=RETAIL)
    assert out["channel"].tolist() == ["email", "sms", "app"]
    assert out["tier"].tolist()[:2] == ["gold", "basic"]  # closed list: case-insensitive
    assert out["store"].tolist()[:2] == ["S-12", "any code"]  # open list: any code
    assert out["f_cleanliness"].tolist() == [0, 100, 55]
    # the sample business's codes are not this study's
    df = retail_responses()
    df.loc[0, "channel"] = "phone"
    p = only(problems_of_study(df, RETAIL), "value")
    assert (p.row, p.column, p.value) == (1, "channel", "phone")
    assert p.expected == "one of email, sms, app"


@pytest.mark.parametrize("column, value, expected", [
    ("tier", "platinum", "one of basic, gold"),
    ("f_checkout_speed", "8", "from 1 to 7"),
    ("f_cleanliness", "101", "from 0 to 100"),
])
def test_closed_segments_and_factor_scales_reject_other_values(column, value, expected):
    df = retail_responses()
    df.loc[2, column] = value
    p = only(problems_of_study(df, RETAIL), "value")
    assert (p.row, p.column) == (3, column) and expected in p.expected


def test_a_factor_the_study_does_not_declare_is_an_error_naming_the_study():
    df = retail_responses()
    df["f_safety"] = "5"  # the sample business's factor, not the retailer's
    p = only(problems_of_study(df, RETAIL), "factor_undeclared")
    assert p.column == "f_safety" and "retail.yml" in p.expected


def problems_of_study(df, study):
    with pytest.raises(ValidationError) as info:
        schema.validate(df, "responses", source="test.csv", study=study)
    return info.value.problems


def test_codes_are_case_and_space_insensitive():
    df = valid("responses")
    df.loc[0, "channel"] = " Phone "
    assert schema.validate(df, "responses")["channel"].iloc[0] == "phone"


# ------------------------------------------------------------------ empties, ids, columns

@pytest.mark.parametrize("table, column", [
    ("responses", "channel"), ("responses", "submitted_at"), ("visits", "client_id"),
    ("complaints", "received_at"), ("clients", "client_id"), ("invitations", "sent_at"),
])
def test_empty_in_non_nullable_column(table, column):
    df = valid(table)
    df.loc[1, column] = "  "
    p = only(problems_of(df, table), "empty")
    assert (p.row, p.column) == (2, column)


def test_nullable_column_may_be_empty():
    df = valid("complaints")
    df.loc[0, "client_id"] = ""  # internal incidents have no client
    assert schema.validate(df, "complaints")["client_id"].isna().sum() == 2


@pytest.mark.parametrize("table, column", [
    ("responses", "client_id"),  # anonymous surveys
    ("responses", "survey"), ("visits", "activity"), ("clients", "joined_on"),
])
def test_optional_columns_may_be_empty_or_absent(table, column):
    df = valid(table)
    df.loc[1, column] = ""
    assert schema.validate(df, table)[column].isna().tolist() == [False, True, False]
    assert column not in schema.validate(df.drop(columns=column), table).columns


def test_a_survey_export_needs_only_a_date_a_channel_and_an_answer():
    df = valid("responses")[["response_id", "submitted_at", "channel", "nps"]]
    assert list(schema.validate(df, "responses").columns) == list(df.columns)
    for required in ("submitted_at", "channel"):
        p = only(problems_of(df.drop(columns=required), "responses"), "column_missing")
        assert p.column == required


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_duplicate_ids(table):
    df = valid(table)
    key = schema.TABLES[table].key
    df.loc[2, key] = df.loc[0, key]
    ps = problems_of(df, table)
    assert {(p.check, p.column, p.row) for p in ps} == {("duplicate", key, 1), ("duplicate", key, 3)}


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_missing_required_column(table):
    spec = schema.TABLES[table]
    required = [c.name for c in spec.columns if c.required]
    df = valid(table).drop(columns=required[-1])
    p = only(problems_of(df, table), "column_missing")
    assert p.column == required[-1] and p.row is None


def test_responses_need_nps_or_recommend():
    df = valid("responses").drop(columns=["nps", "recommend"])
    p = only(problems_of(df, "responses"), "column_missing")
    assert "'nps'" in p.expected and "'recommend'" in p.expected
    # binary NPS alone is fine
    assert "recommend" in schema.validate(valid("responses").drop(columns="nps"), "responses")


def test_unknown_table():
    p = only(problems_of(valid("visits"), "visitz"), "table")
    assert "visits" in p.expected


def test_unknown_columns_are_dropped():
    df = valid("visits")
    df["internal_note"] = "x"
    assert "internal_note" not in schema.validate(df, "visits").columns


# ------------------------------------------------------------------ date order

@pytest.mark.parametrize("table, early, late", [
    ("contacts", "opened_at", "resolved_at"),
    ("complaints", "received_at", "resolved_at"),
    ("complaints", "received_at", "first_reaction_at"),
    ("complaints", "received_at", "deadline_at"),
])
def test_date_order(table, early, late):
    df = valid(table)
    df.loc[0, late] = "2026-06-30 08:00"  # before row 1's received/opened on 2026-07-01
    p = only(problems_of(df, table), "date_order")
    assert (p.row, p.column) == (1, late)
    assert early in p.expected


def test_same_moment_is_in_order():
    df = valid("contacts")
    df.loc[0, "resolved_at"] = df.loc[0, "opened_at"]
    schema.validate(df, "contacts")


# ------------------------------------------------------------------ booleans

@pytest.mark.parametrize("word, value", [
    ("да", True), ("Да", True), ("нет", False), ("НЕТ", False), ("yes", True), ("no", False),
    ("1", True), ("0", False), ("true", True), ("False", False), ("", None),
])
def test_bool_words(word, value):
    df = valid("responses")
    df.loc[0, "recommend"] = word
    got = schema.validate(df, "responses")["recommend"].iloc[0]
    assert (got is pd.NA) if value is None else (got == value)


def test_bool_nonsense_is_a_type_problem():
    df = valid("complaints")
    df.loc[1, "justified"] = "может быть"
    p = only(problems_of(df, "complaints"), "type")
    assert (p.row, p.column, p.value) == (2, "justified", "может быть")
    assert "да/нет" in p.expected


# ------------------------------------------------------------------ all at once

def test_every_problem_is_reported_at_once_with_file_row_column_value():
    df = valid("responses")
    df.loc[0, "nps"] = "12"
    df.loc[1, "channel"] = "fax"
    df.loc[2, "submitted_at"] = "32.01.2026"
    with pytest.raises(ValidationError) as info:
        schema.validate(df, "responses", source="опрос.csv")
    err = info.value
    assert [(p.row, p.column) for p in err.problems] == [
        (1, "nps"), (2, "channel"), (3, "submitted_at")]
    msg = str(err)
    assert msg.startswith("опрос.csv: 3 problem(s) in table 'responses'")
    assert "row 1, column 'nps': got 12" in msg
    assert "row 2, column 'channel': got 'fax'" in msg
    assert "row 3, column 'submitted_at': got '32.01.2026'" in msg


def test_row_numbers_can_come_from_the_file():
    df = valid("responses")
    df.loc[1, "nps"] = "x"
    rows = pd.Series([1, 3, 4])  # row 2 of the file was blank and skipped
    p = only(problems_of_rows(df, rows))
    assert p.row == 3


def problems_of_rows(df, rows):
    with pytest.raises(ValidationError) as info:
        schema.validate(df, "responses", row_numbers=rows)
    return info.value.problems


# ------------------------------------------------------------------ helpers

@pytest.mark.parametrize("name, table", [
    ("responses.csv", "responses"), ("responses_2026-10.xlsx", "responses"),
    ("Visits 2026.parquet", "visits"), ("complaints-q3.csv", "complaints"),
    ("export.csv", None), ("responsesX.csv", None),
])
def test_table_for_file(name, table):
    assert schema.table_for_file(name) == table


def test_quarter_of():
    s = pd.Series(pd.to_datetime(["2026-09-30 23:59", "2026-10-01", "2025-01-01"], format="ISO8601"))
    assert schema.quarter_of(s).tolist() == ["2026Q3", "2026Q4", "2025Q1"]


# ------------------------------------------------------------------ ids normalised (issue 11, item 4)

@pytest.mark.parametrize("written", [
    "R000001\u200b", "\u200bR000001", "R000\u200c001", "R000001\u200d", "R000001\u2060",
    "\ufeffR000001", "R000\u00ad001", "R000001\u00a0", "\u202fR000001 ", "  R000001\t",
    "R000001",
])
def test_ids_that_differ_only_by_invisible_characters_are_one_id(written):
    assert schema.normalize_id(written) == "R000001"
    assert schema.normalize_id(pd.Series([written])).tolist() == ["R000001"]


def test_ids_are_nfc_and_inner_no_break_spaces_are_spaces():
    # 'й' written as и + combining breve (NFD, as macOS file names give it) is one 'й'
    assert schema.normalize_id("Клиент\u0438\u0306") == "Клиент\u0439"
    assert schema.normalize_id("C\u00a012") == "C 12"


def test_an_id_with_a_zero_width_space_repeating_its_row_is_one_row():
    df = valid("responses")
    df = pd.concat([df, df.iloc[[0]].assign(response_id="R1\u200b")], ignore_index=True)
    out = schema.validate(df, "responses")
    assert out["response_id"].tolist() == ["R1", "R2", "R3"]
    assert out.attrs["repeated_rows"] == [4]  # the fourth data row repeated the first


def test_an_id_with_a_zero_width_space_on_a_different_row_is_a_duplicate():
    df = valid("responses")
    df.loc[1, "response_id"] = "R1\u200b"  # row 2 now claims R1, with other answers
    ps = problems_of(df, "responses")
    assert {(p.check, p.column, p.row, p.value) for p in ps} == {
        ("duplicate", "response_id", 1, "R1"), ("duplicate", "response_id", 2, "R1")}


def test_an_id_of_invisible_characters_only_is_empty():
    df = valid("visits")
    df.loc[1, "visit_id"] = "\u200b\u00a0"
    p = only(problems_of(df, "visits"), "empty")
    assert (p.column, p.row) == ("visit_id", 2)


def test_codes_match_after_the_same_normalisation():
    df = valid("responses")
    df.loc[0, "channel"] = "\ufeffPhone\u00a0"
    df.loc[1, "survey"] = "after_camp\u200b"
    out = schema.validate(df, "responses")
    assert out["channel"].iloc[0] == "phone" and out["survey"].iloc[1] == "after_camp"


# ------------------------------------------------------------------ time zones (issue 11, item 3)

MOSCOW = parse_study({"name": "Moscow desk", "timezone": "Europe/Moscow",
                      "channels": {"web": {"en": "Web"}}}, source="moscow.yml")
NEW_YORK = parse_study({"name": "New York desk", "timezone": "America/New_York",
                        "channels": {"web": {"en": "Web"}}}, source="new-york.yml")


def stored(values, study):
    df = pd.DataFrame({"response_id": [f"R{i}" for i in range(len(values))],
                       "submitted_at": values, "channel": "web", "nps": "9"})
    return schema.validate(df, "responses", study=study)["submitted_at"].tolist()


def test_zone_aware_strings_become_the_study_local_time_naive_ones_stay():
    # Moscow is UTC+3 all year: 13:54+03:00 is 13:54; 10:54Z is 13:54; +05:00 is two
    # hours ahead of Moscow (15:54 there is 13:54 here); a naive 13:54 is local already
    got = stored(["2026-07-01T13:54:00+03:00", "2026-07-01T10:54:00Z", "2026-07-01 10:54Z",
                  "2026-07-01T15:54+05:00", "2026-07-01T15:54:00+0500", "2026-07-01 13:54",
                  "01.07.2026 13:54", "2026-07-01T13:54:00.000+03:00"], MOSCOW)
    assert got == [pd.Timestamp("2026-07-01 13:54")] * 8


def test_a_utc_time_late_in_a_quarter_moves_to_the_next_local_quarter():
    # 2026-09-30 22:00 UTC is 1 October 01:00 in Moscow: a 2026Q4 answer, as it is for the
    # client; in UTC it would have been counted in 2026Q3
    (ts,) = stored(["2026-09-30T22:00:00Z"], MOSCOW)
    assert ts == pd.Timestamp("2026-10-01 01:00")
    assert schema.quarter_of(pd.Series([ts])).tolist() == ["2026Q4"]


def test_new_york_summer_and_winter_offsets():
    # EDT (UTC-4) in July, EST (UTC-5) in January
    assert stored(["2026-07-01T12:00:00Z", "2026-01-15T12:00:00Z"], NEW_YORK) == [
        pd.Timestamp("2026-07-01 08:00"), pd.Timestamp("2026-01-15 07:00")]


def test_aware_columns_are_converted_naive_columns_kept():
    aware = pd.Series(pd.to_datetime(["2026-07-01 10:54"]).tz_localize("UTC"))
    tokyo = aware.dt.tz_convert("Asia/Tokyo")
    naive = pd.Series(pd.to_datetime(["2026-07-01 13:54"]))
    for col in (aware, tokyo, naive):
        assert stored(col, MOSCOW) == [pd.Timestamp("2026-07-01 13:54")]


def test_a_zone_aware_date_column_takes_its_local_day():
    # a date written with a zone is the local calendar day of that moment
    df = pd.DataFrame({"visit_id": ["V1"], "client_id": ["C1"],
                       "visit_date": ["2026-06-30T22:30:00Z"]})
    out = schema.validate(df, "visits", study=MOSCOW)
    assert out["visit_date"].tolist() == [pd.Timestamp("2026-07-01")]


# ------------------------------------------------------------------ local_time: the one rule

@pytest.mark.parametrize("value", [
    "2026-09-30T22:00:00Z", "2026-10-01T01:00:00+03:00", "2026-10-01 01:00",
    "01.10.2026 01:00", pd.Timestamp("2026-09-30 22:00", tz="UTC"),
    pd.Timestamp("2026-10-01 07:00", tz="Asia/Tokyo"), pd.Timestamp("2026-10-01 01:00"),
    datetime.datetime(2026, 10, 1, 1, 0), np.datetime64("2026-10-01T01:00"),
])
def test_local_time_of_a_scalar(value):
    # every form names 1 October 01:00 in Moscow (22:00 UTC the day before)
    got = schema.local_time(value, MOSCOW)
    assert got == pd.Timestamp("2026-10-01 01:00") and got.tz is None


def test_local_time_of_a_date_is_its_midnight():
    assert schema.local_time(datetime.date(2026, 10, 1), MOSCOW) == pd.Timestamp("2026-10-01")


def test_local_time_of_a_series_keeps_its_index_and_mixes_forms():
    s = pd.Series(["2026-09-30T22:00:00Z", "2026-10-01 01:00", None, "not a time"],
                  index=[10, 11, 12, 13])
    got = schema.local_time(s, MOSCOW)
    assert got.index.tolist() == [10, 11, 12, 13] and str(got.dtype) == "datetime64[ns]"
    assert got.tolist()[:2] == [pd.Timestamp("2026-10-01 01:00")] * 2
    assert got.isna().tolist() == [False, False, True, True]


def test_local_time_of_aware_series_in_any_zone():
    utc = pd.Series(pd.to_datetime(["2026-09-30 22:00", "2026-01-15 12:00"]).tz_localize("UTC"))
    for s in (utc, utc.dt.tz_convert("Asia/Tokyo")):
        assert schema.local_time(s, NEW_YORK).tolist() == [
            pd.Timestamp("2026-09-30 18:00"), pd.Timestamp("2026-01-15 07:00")]


def test_local_time_of_nothing_is_nat():
    for v in (None, pd.NaT, ""):
        assert schema.local_time(v, MOSCOW) is pd.NaT


def test_local_time_refuses_what_is_not_a_moment():
    from cxlab.errors import ParameterError

    with pytest.raises(ParameterError, match="cannot read 'вчера' as a date and time"):
        schema.local_time("вчера", MOSCOW)
    with pytest.raises(ParameterError, match="outside"):
        schema.local_time("9999-01-01", MOSCOW)


def test_local_time_uses_the_default_study_zone():
    # tests run against the sample study (tests/conftest.py): Europe/Moscow
    assert schema.local_time("2026-09-30T22:00:00Z") == pd.Timestamp("2026-10-01 01:00")
