"""A Telegram feedback group as a source (cxlab._telegram, table ``feedback``).

The fixture ``data/telegram/result.json`` is a Telegram Desktop export of the group
«ОБРАТНАЯ СВЯЗЬ»: 15 messages, of which 2 are service messages (someone joined by link,
a message was pinned), 1 a sticker and 1 a photo without caption; the other 11 (one
photo with a caption among them) are feedback. The exporting laptop was in
Asia/Yekaterinburg (UTC+5), so its ``date`` is not Moscow time: ``sent_at`` comes from
``date_unixtime`` (UTC), put in the study's zone (Europe/Moscow). ``result_later.json`` is
the same chat exported two days later: message 9 edited, messages 16 and 17 new.

Expected values are worked out here from the export itself (``json``, ``zoneinfo``,
``hmac``), not from the code under test.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import _duckread, _telegram, io, schema, sections
from cxlab.cli import app
from cxlab.errors import ReadError, ValidationError
from cxlab.study import Feedback, Study, Theme, load_study, parse_study

DATA = Path(__file__).parent / "data" / "telegram"
EXPORT = DATA / "result.json"
LATER = DATA / "result_later.json"
STUDY = DATA / "study.yml"
CHAT = "1987654321"
NAMES = ("Марина Соколова", "Олег Тихонов")
FROM_IDS = ("user111111111", "user222222222")
runner = CliRunner()


@pytest.fixture(scope="module")
def study():
    return load_study(STUDY)


@pytest.fixture(scope="module")
def export() -> dict:
    return json.loads(EXPORT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows(study) -> pd.DataFrame:
    df = io.read(EXPORT, study=study)
    return df.set_index("message_id")


def mid(n: int) -> str:
    return f"{CHAT}:{n}"


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# ------------------------------------------------------------------ rows and skipped messages

def test_rows_and_skipped_messages_are_counted(study, export):
    kinds = [m["type"] for m in export["messages"]]
    assert (len(kinds), kinds.count("service")) == (15, 2)
    rep = io.check(EXPORT, study=study)
    assert rep.ok, rep.problems
    assert (rep.table_name, rep.rows) == ("feedback", 11)
    assert any(re.search(r"2 service message\(s\) skipped \(join_group_by_link 1, "
                         r"pin_message 1\)", w) for w in rep.warnings), rep.warnings
    assert any(re.search(r"2 message\(s\) without text skipped \(photo 1, sticker 1\)", w)
               for w in rep.warnings), rep.warnings


def test_a_row_per_message_with_text_keyed_by_chat_and_message(rows):
    assert list(rows.index) == [mid(n) for n in (2, 3, 4, 5, 8, 9, 10, 11, 12, 14, 15)]
    assert list(rows.columns) == [c.name for c in schema.TABLES["feedback"].columns
                                  if c.name != "message_id"]
    assert set(rows["source"]) == {"telegram: ОБРАТНАЯ СВЯЗЬ"}
    assert rows.loc[mid(4), "reply_to"] == mid(3)
    assert pd.isna(rows.loc[mid(2), "reply_to"])


def test_text_of_list_parts_is_their_concatenation(rows):
    assert rows.loc[mid(2), "text"] == (
        "Звонила мама Полины, клиент C00042. Недовольна, что занятие по гончарке перенесли "
        "без предупреждения. Просит перезвонить: +7 912 345-67-89")
    assert rows.loc[mid(8), "text"] == ("Отзыв из ВК про поход: https://vk.com/wall-123_456 — "
                                        "@olga_guide, посмотри, пожалуйста")
    assert rows.loc[mid(11), "text"] == ("Родители просят чек за сентябрь на почту "
                                         "parent@example.ru, клиент C00315")
    assert rows.loc[mid(12), "text"] == ("Напоминаю: жалобы пишем сюда с номером клиента, "
                                         "инструкция")
    assert rows.loc[mid(15), "text"] == "#расписание клиент C00042 просит перенести занятие на вечер"
    # a photo's caption is its text; a plain string stays as it is
    assert rows.loc[mid(5), "text"] == "Фото из мастерской: на полу краска после вечернего занятия"
    assert rows.loc[mid(3), "text"] == "Принял, разберусь сегодня"


def test_message_text_parts():
    assert _telegram.message_text("просто текст") == "просто текст"
    assert _telegram.message_text(["a ", {"type": "bold", "text": "b"}, " c"]) == "a b c"
    assert _telegram.message_text([]) == ""
    assert _telegram.message_text(None) == ""
    assert _telegram.message_text(42) is None
    assert _telegram.message_text(["a", {"type": "bold"}]) is None


# ------------------------------------------------------------------ time

def test_sent_at_is_the_utc_unixtime_in_the_study_zone(rows, export):
    moscow = ZoneInfo("Europe/Moscow")
    by_id = {m["id"]: m for m in export["messages"]}
    for key, got in rows["sent_at"].items():
        m = by_id[int(key.split(":")[1])]
        expected = (datetime.fromtimestamp(int(m["date_unixtime"]), UTC)
                    .astimezone(moscow).replace(tzinfo=None))
        assert got == pd.Timestamp(expected), key
        # the laptop's local `date` (UTC+5) is two hours ahead of Moscow: not used
        assert got == pd.Timestamp(m["date"]) - pd.Timedelta(hours=2), key
    assert rows.loc[mid(2), "sent_at"] == pd.Timestamp("2026-09-14 11:31:05")


def test_without_unixtime_the_date_is_taken_as_local_time(tmp_path, study, export):
    data = copy.deepcopy(export)
    for m in data["messages"]:
        m.pop("date_unixtime")
    df = io.read(write(tmp_path / "result.json", data), study=study).set_index("message_id")
    assert df.loc[mid(2), "sent_at"] == pd.Timestamp("2026-09-14 13:31:05")


def test_a_bad_date_is_a_problem_naming_row_message_and_column(tmp_path, study, export):
    data = copy.deepcopy(export)
    data["messages"][7]["date_unixtime"] = "вчера"       # message 8, the 8th item
    data["messages"][9]["date_unixtime"] = "4102444800"   # message 10: 2100-01-01
    data["messages"][10]["text"] = 42                     # message 11: no text at all
    path = write(tmp_path / "result.json", data)
    with pytest.raises(ValidationError) as info:
        io.read(path, study=study)
    found = {(p.row, p.column, p.check, p.value) for p in info.value.problems}
    assert found == {(8, "sent_at", "type", "вчера"),
                     (10, "sent_at", "plausible", "2100-01-01T00:00:00Z"),
                     (11, "text", "structure", "42")}
    text = str(info.value)
    assert str(path) in text
    assert "row 8, message 8, column 'sent_at': got 'вчера'" in text
    assert "date_unixtime" in text
    assert "row 11, message 11, column 'text'" in text
    rep = io.check(path, study=study)  # never raises
    assert len(rep.problems) == 3 and rep.error is None


# ------------------------------------------------------------------ clients

def test_client_id_direct_and_inherited_along_replies(rows):
    expected = {2: "C00042",   # named in the text (bold)
                3: "C00042",   # a reply to 2
                4: "C00042",   # a reply to 3, which replies to 2: the chain is followed
                9: "C00107", 10: "C00107",
                11: "C00315", 14: "C00315",
                15: "C00042"}  # named again later, no reply
    for n, client in expected.items():
        assert rows.loc[mid(n), "client_id"] == client, n
    for n in (5, 8, 12):  # no client named, no reply
        assert pd.isna(rows.loc[mid(n), "client_id"]), n


def test_no_client_ref_in_the_study_no_client(study):
    from dataclasses import replace

    bare = replace(study, feedback=replace(study.feedback, client_ref=None))
    assert io.read(EXPORT, study=bare)["client_id"].isna().all()


def test_a_reply_loop_ends(tmp_path, study, export):
    data = copy.deepcopy(export)
    data["messages"][2]["reply_to_message_id"] = 4   # 3 → 4 → 3 …
    data["messages"][2]["text"] = "ответ"
    data["messages"][3]["text"] = "ответ на ответ"
    df = io.read(write(tmp_path / "result.json", data), study=study).set_index("message_id")
    assert pd.isna(df.loc[mid(3), "client_id"]) and pd.isna(df.loc[mid(4), "client_id"])


# ------------------------------------------------------------------ authors

def expected_author(from_id: str, key: str) -> str:
    return "a" + hmac.new(key.encode(), from_id.encode(), hashlib.sha256).hexdigest()[:12]


def test_author_ids_are_stable_distinct_pseudonyms_with_roles(rows, study, export):
    by_id = {m["id"]: m for m in export["messages"]}
    for key, author in rows["author_id"].items():
        m = by_id[int(key.split(":")[1])]
        assert author == expected_author(m["from_id"], "tests-only-key")
        assert m["from"] not in author and m["from_id"] not in author
    assert rows["author_id"].nunique() == 2
    again = io.read(EXPORT, study=study).set_index("message_id")
    pd.testing.assert_series_equal(rows["author_id"], again["author_id"])
    marina = expected_author(FROM_IDS[0], "tests-only-key")
    roles = rows.groupby("author_id")["author_role"].unique()
    assert list(roles[marina]) == ["staff"]
    assert list(roles[expected_author(FROM_IDS[1], "tests-only-key")]) == ["manager"]


def test_pseudonym_key_defaults_to_the_study_name_and_unlisted_authors_have_no_role(tmp_path):
    st = parse_study({"name": "Acme", "timezone": "Europe/Moscow",
                      "feedback": {"roles": {FROM_IDS[0]: "staff"}}})
    assert st.feedback.pseudonym_key is None
    df = io.read(EXPORT, study=st)
    oleg = df[df["author_id"] == expected_author(FROM_IDS[1], "Acme")]
    assert len(oleg) == 4 and oleg["author_role"].isna().all()
    assert (df.loc[df["author_id"] == expected_author(FROM_IDS[0], "Acme"), "author_role"]
            == "staff").all()


def test_the_display_name_is_stored_nowhere(tmp_path, study):
    wh = tmp_path / "w.duckdb"
    io.ingest([EXPORT], warehouse=wh, study=study)
    io.ingest([LATER], warehouse=wh, study=study, on_conflict="update")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()]
        assert {"feedback", "_changes", "_ingest_log", "_batches",
                "_replaced_feedback"} <= set(tables)
        cells = []
        for t in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [t]).fetchall()]
            for c in cols:
                cells += [str(v[0]) for v in con.execute(
                    f'SELECT DISTINCT CAST("{c}" AS VARCHAR) FROM "{t}"').fetchall()]
    finally:
        con.close()
    assert len(cells) > 50
    words = [w for name in NAMES for w in name.split()] + list(FROM_IDS)
    assert not [(w, c) for c in cells for w in words if w in c]


# ------------------------------------------------------------------ the warehouse

def test_ingest_is_idempotent(tmp_path, study):
    wh = tmp_path / "w.duckdb"
    first = io.ingest([EXPORT], warehouse=wh, study=study)
    assert dict(first) == {"feedback": 11}
    second = io.ingest([EXPORT], warehouse=wh, study=study)
    assert dict(second) == {"feedback": 0}
    assert second.duplicates == {"feedback": 11} and second.conflicts == {"feedback": 0}
    stored = io.load("feedback", wh, study=study)
    assert len(stored) == 11
    assert str(stored["sent_at"].dtype) == "datetime64[ns]"


def test_a_later_export_updates_the_edited_message_and_adds_the_new(tmp_path, study):
    wh = tmp_path / "w.duckdb"
    io.ingest([EXPORT], warehouse=wh, study=study)
    later = io.ingest([LATER], warehouse=wh, study=study, on_conflict="update")
    assert dict(later) == {"feedback": 2}
    assert later.updated == {"feedback": 1} and later.duplicates == {"feedback": 10}
    stored = io.load("feedback", wh, study=study).set_index("message_id")
    assert len(stored) == 13
    assert stored.loc[mid(9), "text"] == "клиент C00107 хочет перейти в субботнюю группу с октября"
    assert stored.loc[mid(16), "client_id"] == "C00107"  # a reply to the edited message
    assert stored.loc[mid(17), "client_id"] == "C00512"
    changes = duckdb.connect(str(wh), read_only=True)
    try:
        got = changes.execute("SELECT key, action FROM _changes WHERE batch_id = 2 "
                              "ORDER BY key").fetchall()
    finally:
        changes.close()
    assert got == [(mid(16), "added"), (mid(17), "added"), (mid(9), "updated")]
    # undone, the message has its first text again
    io.undo(later.batch, wh)
    stored = io.load("feedback", wh, study=study).set_index("message_id")
    assert stored.loc[mid(9), "text"] == "клиент C00107 хочет перейти в субботнюю группу"
    assert len(stored) == 11


def test_by_default_an_edited_message_is_a_conflict_kept_as_stored(tmp_path, study):
    wh = tmp_path / "w.duckdb"
    io.ingest([EXPORT], warehouse=wh, study=study)
    later = io.ingest([LATER], warehouse=wh, study=study)
    assert dict(later) == {"feedback": 2} and later.conflicts == {"feedback": 1}
    assert later.conflict_ids["feedback"] == [mid(9)]


def test_two_chats_never_collide(tmp_path, study, export):
    other = copy.deepcopy(export)
    other.update(id=1555000111, name="Отзывы: лагерь")
    wh = tmp_path / "w.duckdb"
    res = io.ingest([EXPORT, write(tmp_path / "other.json", other)], warehouse=wh, study=study)
    assert dict(res) == {"feedback": 22}
    stored = io.load("feedback", wh, study=study)
    assert set(stored["source"]) == {"telegram: ОБРАТНАЯ СВЯЗЬ", "telegram: Отзывы: лагерь"}
    assert "1555000111:4" in set(stored["message_id"])
    assert stored.set_index("message_id").loc["1555000111:4", "reply_to"] == "1555000111:3"


def test_the_feedback_table_is_a_first_class_table(tmp_path, study):
    spec = schema.TABLES["feedback"]
    assert (spec.key, spec.date_column, spec.personal_columns) == ("message_id", "sent_at",
                                                                   ["text"])
    assert schema.table_for_file("feedback_2026-09.csv") == "feedback"
    wh = tmp_path / "w.duckdb"
    io.ingest([EXPORT], warehouse=wh, study=study)
    held = sections.inspect(wh)
    assert held.rows["feedback"] == 11 and held.has_column("feedback", "client_id")
    assert io.quarters(wh, "feedback") == ["2026Q3"]


def test_json_never_takes_the_duckdb_road(monkeypatch):
    monkeypatch.setenv("CXLAB_INGEST_ENGINE", "duckdb")
    assert not _duckread.wanted(EXPORT)


# ------------------------------------------------------------------ files that are not exports

def test_json_that_is_not_a_telegram_export_is_a_read_error(tmp_path):
    survey = write(tmp_path / "survey.json", [{"nps": 9, "channel": "web"}])
    with pytest.raises(ReadError, match=r"survey\.json: not a Telegram chat export: a JSON "
                                        r"list.*expected a Telegram Desktop chat export"):
        io.read(survey)
    account = write(tmp_path / "result.json", {"about": "…", "chats": {"list": []}})
    with pytest.raises(ReadError, match="whole-account export.*Export chat history"):
        io.read(account)
    no_type = write(tmp_path / "chat.json", {"name": "x", "messages": []})
    with pytest.raises(ReadError, match="'messages' but no 'type'"):
        io.read(no_type)


def test_broken_json_is_a_read_error_with_its_line(tmp_path):
    broken = tmp_path / "result.json"
    broken.write_text('{"name": "ОБРАТНАЯ СВЯЗЬ",\n "messages": [\n', encoding="utf-8")
    with pytest.raises(ReadError, match=r"result\.json: not valid JSON \(line 3"):
        io.read(broken)
    rep = io.check(broken)
    assert rep.error and rep.table_name == "feedback"


def test_a_telegram_export_holds_feedback_only(tmp_path):
    with pytest.raises(ReadError, match="table 'feedback'; got table 'responses'"):
        io.read(EXPORT, table="responses")


@pytest.mark.parametrize("content, fragment", [
    ('[{"nps": 9}]', "not a Telegram chat export"),
    ('{"messages": [', "not valid JSON"),
])
def test_cli_refuses_a_json_that_is_no_export_with_one_message(tmp_path, content, fragment):
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    res = runner.invoke(app, ["ingest", str(path), "--warehouse", str(wh), "--study", str(STUDY)])
    assert res.exit_code == 1, res.output
    assert "error:" in res.output and fragment in res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    assert not wh.exists()


def test_cli_ingests_an_export_without_table(tmp_path):
    wh = tmp_path / "w.duckdb"
    res = run("ingest", EXPORT, "--warehouse", wh, "--study", STUDY)
    assert res.exit_code == 0, res.output
    assert "feedback" in res.output and "11" in res.output
    assert "2 service message(s) skipped" in res.output
    assert len(io.load("feedback", wh, study=STUDY)) == 11
    res = run("validate", EXPORT, "--study", STUDY)
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------ the study's keys

def test_study_defaults():
    st = Study()
    assert st.feedback == Feedback() and st.quotes is False and st.themes == {}
    st = parse_study({"name": "x"})
    assert (st.feedback.roles, st.feedback.client_ref, st.feedback.pseudonym_key) == ({}, None,
                                                                                     None)
    assert st.feedback.client_pattern is None and st.quotes is False and st.theme_lemmas == {}


def test_study_keys_are_read(study):
    assert study.feedback.roles == dict(zip(FROM_IDS, ("staff", "manager")))
    assert study.feedback.client_pattern.search("клиент C00042").group(1) == "C00042"
    assert study.quotes is True
    assert study.themes == {"mess": Theme("mess", {"ru": "Порядок в мастерской",
                                                   "en": "Tidiness"},
                                          ("краска", "грязь", "убрать"))}
    assert study.theme_lemmas == {"schedule": ("расписание", "перенести", "время"),
                                  "mess": ("краска", "грязь", "убрать")}


@pytest.mark.parametrize("data, key, fragment", [
    ({"feedback": {"client_ref": "клиент\\s+(C\\d{5}"}}, "feedback → client_ref",
     "compiles"),
    ({"feedback": {"client_ref": "(клиент)\\s+(C\\d{5})"}}, "feedback → client_ref",
     "exactly one capture group"),
    ({"feedback": {"client_ref": "клиент\\s+C\\d{5}"}}, "feedback → client_ref",
     "found 0"),
    ({"feedback": {"client_ref": 5}}, "feedback → client_ref", "a regular expression"),
    ({"feedback": {"roles": {"Марина": "staff"}}}, "feedback → roles → Марина",
     "from_id"),
    ({"feedback": {"roles": {"user1": "старший менеджер"}}}, "feedback → roles → user1",
     "role code"),
    ({"feedback": {"roles": ["user1"]}}, "feedback → roles", "a mapping"),
    ({"feedback": {"pseudonym_key": ""}}, "feedback → pseudonym_key", "non-empty"),
    ({"feedback": {"chat": "ОБРАТНАЯ СВЯЗЬ"}}, "feedback → chat", "client_ref"),
    ({"feedback": "telegram"}, "feedback", "roles"),
    ({"quotes": "yes please"}, "quotes", "yes/no"),
    ({"quotes": 1}, "quotes", "yes/no"),
    ({"themes": {"parking": {"ru": "Парковка"}}}, "themes → parking → lemmas",
     "non-empty list"),
    ({"themes": {"parking": {"ru": "Парковка", "lemmas": []}}}, "themes → parking → lemmas",
     "non-empty list"),
    ({"themes": {"parking": {"lemmas": "парковка"}}}, "themes → parking → lemmas",
     "non-empty list"),
    ({"themes": {"parking": {"lemmas": ["парковка"], "de": "Parken"}}},
     "themes → parking → de", "ru, en, lemmas"),
    ({"themes": {"Parking Lot": {"lemmas": ["парковка"]}}}, "themes → Parking Lot",
     "snake_case"),
    ({"factors": {"schedule": {"themes": ["расписание"]}},
      "themes": {"schedule": {"lemmas": ["время"]}}}, "themes → schedule", "no factor"),
    ({"themes": ["parking"]}, "themes", "a mapping"),
])
def test_study_key_problems(data, key, fragment):
    with pytest.raises(ValidationError) as info:
        parse_study(data, source="study.yml")
    problems = [p for p in info.value.problems if p.column == key]
    assert problems, [str(p) for p in info.value.problems]
    assert fragment in problems[0].expected, str(problems[0])


def test_all_problems_of_the_new_keys_at_once():
    with pytest.raises(ValidationError) as info:
        parse_study({"feedback": {"client_ref": "(a)(b)"}, "quotes": "no way",
                     "themes": {"x": {}}}, source="study.yml")
    assert {p.column for p in info.value.problems} == {"feedback → client_ref", "quotes",
                                                       "themes → x → lemmas"}


def test_yaml_yes_is_a_boolean(tmp_path):
    path = tmp_path / "study.yml"
    path.write_text("name: x\nquotes: yes\n", encoding="utf-8")
    assert load_study(path).quotes is True
