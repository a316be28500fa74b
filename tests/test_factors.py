"""Tests of cxlab.factors: the study's factors as labels and a table, and the questionnaire lint."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
import yaml

from cxlab import factors
from cxlab.errors import ParameterError, ReadError, ValidationError
from cxlab.paths import SAMPLE_STUDY
from cxlab.study import load_study, parse_study

# A study whose questionnaire has one clean question, one double-barrelled (the example of
# DOMAIN.md, seed 004), one full of jargon, a duplicate (up to spacing and punctuation) and
# a factor without a Russian question.
GOOD = """\
name: Lint test
hypotheses:
  teacher: {ru: "Если педагог внимателен, родитель лояльнее.", en: "If the teacher is attentive, the parent is more loyal."}
  food: {ru: "Если еда в лагере хорошая, родитель лояльнее.", en: "If the camp food is good, the parent is more loyal."}
factors:
  teacher_attention:
    hypothesis: teacher
    scale: 1-5
    label: {ru: Внимание педагога, en: Teacher's attention}
    question: {ru: "Насколько внимателен был педагог к вашему ребёнку?", en: "How attentive was the teacher to your child?"}
  food:
    hypothesis: food
    scale: [1, 7]
    label: {ru: Питание, en: Food}
    question: {ru: "Насколько вкусно и питательно кормили ребёнка в лагере?", en: "How tasty and nutritious was the food at the camp?"}
  booking:
    hypothesis: food
    scale: 0-100
    label: {ru: Запись, en: Booking}
    question: {ru: "Насколько удобен был онбординг в CRM при записи?", en: "How smooth was the onboarding touchpoint when booking?"}
  booking_copy:
    hypothesis: food
    label: {ru: Запись (копия), en: Booking (copy)}
    question: {ru: "Насколько удобен был онбординг в CRM при записи ?", en: "How easy was it to book?"}
  schedule:
    hypothesis: food
    scale: 0-10
    label: {ru: Расписание, en: Schedule}
    question: {en: "How convenient are the lesson times?"}
"""


def _write(tmp_path, text, name="study.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ----------------------------------------------------------------- the study's factors

def test_labels_and_table_from_a_study_file_or_object(tmp_path):
    path = _write(tmp_path, GOOD)
    assert factors.labels("en", path)["f_teacher_attention"] == "Teacher's attention"
    study = load_study(path)
    assert factors.labels("ru", study)["f_food"] == "Питание"
    table = factors.factors_table(path)
    assert list(table.index) == ["f_teacher_attention", "f_food", "f_booking", "f_booking_copy",
                                 "f_schedule"]
    food = table.loc["f_food"]
    assert food["factor"] == "food" and food["hypothesis"] == "food"
    assert food["hypothesis_en"].startswith("If the camp food")
    assert food["question_en"].startswith("How tasty")
    # each factor's own scale and top box (cxlab.study: top two points up to 11 points,
    # the top fifth beyond; a factor without a scale is 1-5)
    assert table["scale"].tolist() == ["1-5", "1-7", "0-100", "1-5", "0-10"]
    assert table["top_box"].tolist() == [4, 6, 80, 4, 9]
    assert pd.isna(table.loc["f_schedule", "question_ru"])  # no question: kept, flagged by lint
    # the same from a Study built in memory, and from its factors
    same = factors.factors_table(parse_study(yaml.safe_load(GOOD)))
    pd.testing.assert_frame_equal(same, table)
    assert factors.labels("en", study.factors.values()) == factors.labels("en", study)


def test_default_is_the_default_study():
    # tests/conftest.py points CXLAB_STUDY at the sample study
    assert factors.labels("ru") == load_study(SAMPLE_STUDY).factor_labels("ru")


def test_bad_source_and_language(tmp_path):
    with pytest.raises(ParameterError, match="lang"):
        factors.labels("de", _write(tmp_path, GOOD))
    with pytest.raises(ParameterError, match="study"):
        factors.labels("en", 42)
    with pytest.raises(ReadError, match="no such study file"):
        factors.factors_table(tmp_path / "nope.yml")
    # a malformed factor is the study's error, naming the key
    bad = _write(tmp_path, "factors:\n  food: {scale: 5-1}\n", "bad.yml")
    with pytest.raises(ValidationError, match="factors → food → scale"):
        factors.lint_questions(bad)


def test_shipped_study_matches_sample_columns_and_lints_clean():
    samples = pytest.importorskip("cxlab.samples")
    cols = set(factors.factors_table(SAMPLE_STUDY).index)
    assert cols == set(samples.TRUTHS["factors"]["columns"])
    # the shipped questionnaire follows "one factor = one question"
    assert factors.lint_questions(SAMPLE_STUDY).empty


# ----------------------------------------------------------------- lint

@pytest.fixture
def findings(tmp_path) -> pd.DataFrame:
    return factors.lint_questions(_write(tmp_path, GOOD))


def _checks(findings, factor, lang=None):
    f = findings[findings["factor"] == factor]
    if lang:
        f = f[f["lang"] == lang]
    return set(f["check"])


def test_lint_flags_double_barrelled_questions(findings):
    # «насколько вкусно и питательно» — the example of DOMAIN.md (seed 004)
    assert _checks(findings, "food") == {"double_barrelled"}
    details = " ".join(findings.loc[findings["factor"] == "food", "detail"])
    assert "вкусно и питательно" in details and "tasty and nutritious" in details
    assert _checks(findings, "teacher_attention") == set()


@pytest.mark.parametrize("question, lang", [
    ("Насколько вкусно и питательно было блюдо?", "ru"),
    ("Было ли занятие интересным или полезным?", "ru"),
    ("Насколько удобно было записаться и оплатить занятие?", "ru"),
    ("Понравилось ли занятие, и придёте ли вы снова?", "ru"),
    ("Насколько вкусно/полезно было питание?", "ru"),
    ("How friendly and competent was the teacher?", "en"),
    ("Was booking quick or easy?", "en"),
    ("How clean & safe was the workshop?", "en"),
])
def test_double_barrelled_true_positives(question, lang):
    assert factors._double_barrelled(question, lang)


@pytest.mark.parametrize("question, lang", [
    ("Хотите ли вы и дальше заниматься у нас?", "ru"),  # «и дальше»: particle, one thing
    ("Порекомендовали бы вы нас друзьям или нет?", "ru"),
    ("Оцените занятия (рисование, лепка и т. д.)", "ru"),
    ("И последнее: насколько вам удобно расписание?", "ru"),  # opens the sentence
    ("Насколько понравились те или иные мастер-классы?", "ru"),
    ("Насколько интересной была игра?", "ru"),  # «и» inside words
    ("Would you recommend us or not?", "en"),
    ("Was the lesson more or less what you expected?", "en"),
    ("How organised was the orchard visit?", "en"),  # "or"/"and" inside words
])
def test_double_barrelled_false_positives(question, lang):
    assert factors._double_barrelled(question, lang) == []


def test_lint_flags_jargon_default_and_user_terms(tmp_path, findings):
    jargon = findings[findings["check"] == "jargon"]
    ru = " ".join(jargon.loc[(jargon["factor"] == "booking") & (jargon["lang"] == "ru"), "detail"])
    en = " ".join(jargon.loc[(jargon["factor"] == "booking") & (jargon["lang"] == "en"), "detail"])
    assert "онбординг" in ru and "CRM" in ru
    assert "onboarding" in en and "touchpoint" in en
    # user-extensible: an extra term flags a question the default list lets through
    extra = factors.lint_questions(_write(tmp_path, GOOD), jargon={"en": ["attentive"]})
    assert "jargon" in _checks(extra, "teacher_attention", "en")
    only = factors.lint_questions(_write(tmp_path, GOOD), jargon=["внимателен"],
                                  use_default_jargon=False)
    assert set(only.loc[only["check"] == "jargon", "factor"]) == {"teacher_attention"}


def test_jargon_matching_rules():
    # an abbreviation matches whole and as written; a stem matches inflected forms
    assert factors._jargon_pattern("SLA").search("Нарушили SLA?")
    assert not factors._jargon_pattern("SLA").search("Was there slack in the schedule?")
    assert factors._jargon_pattern("клиентск опыт").search("Оцените клиентского опыта уровень")
    assert factors._jargon_pattern("конверси").search("Конверсию считаем")
    assert not factors._jargon_pattern("кейс").search("Бекейс")


def test_lint_flags_duplicates_and_missing_questions(findings):
    dup = findings[findings["check"] == "duplicate"]
    # same Russian text up to spacing/punctuation; their English questions differ
    assert set(dup["factor"]) == {"booking", "booking_copy"} and set(dup["lang"]) == {"ru"}
    missing = findings[findings["check"] == "no_question"]
    assert missing[["factor", "lang"]].values.tolist() == [["schedule", "ru"]]
    assert list(findings.columns) == ["hypothesis", "factor", "column", "lang", "check", "text",
                                      "detail"]


def test_cli_lint_questions(tmp_path):
    from typer.testing import CliRunner

    from cxlab.cli import app

    path = _write(tmp_path, GOOD)
    res = CliRunner().invoke(app, ["lint-questions", str(path), "--jargon", "attentive"])
    assert res.exit_code == 1
    assert "food [ru] double_barrelled: «вкусно и питательно»" in res.output
    assert "teacher_attention [en] jargon: «attentive»" in res.output
    res = CliRunner().invoke(app, ["lint-questions", str(tmp_path / "missing.yml")])
    assert res.exit_code == 1 and "Traceback" not in res.output
