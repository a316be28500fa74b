"""Tests of cxlab.factors: the registry loader and the questionnaire lint."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from cxlab import factors
from cxlab.errors import ReadError, ValidationError
from cxlab.paths import FACTORS_FILE

GOOD = """\
hypotheses:
  - id: teacher
    text_ru: Если педагог внимателен, родитель лояльнее.
    text_en: If the teacher is attentive, the parent is more loyal.
    factors:
      - id: teacher_attention
        column: f_teacher_attention
        label_ru: Внимание педагога
        label_en: Teacher's attention
        question_ru: Насколько внимателен был педагог к вашему ребёнку?
        question_en: How attentive was the teacher to your child?
        scale: "1-5"
  - id: food
    text_ru: Если еда в лагере хорошая, родитель лояльнее.
    text_en: If the camp food is good, the parent is more loyal.
    factors:
      - id: food
        column: f_food
        label_ru: Питание
        label_en: Food
        question_ru: Насколько вкусно и питательно кормили ребёнка в лагере?
        question_en: How tasty and nutritious was the food at the camp?
        scale: [1, 5]
      - id: booking
        column: f_booking
        label_ru: Запись
        label_en: Booking
        question_ru: Насколько удобен был онбординг в CRM при записи?
        question_en: How smooth was the onboarding touchpoint when booking?
      - id: booking_copy
        column: f_booking_copy
        label_ru: Запись (копия)
        label_en: Booking (copy)
        question_ru: "Насколько удобен был онбординг в CRM при записи ?"
        question_en: How easy was it to book?
      - id: schedule
        column: f_schedule
        label_ru: Расписание
        label_en: Schedule
        question_en: How convenient are the lesson times?
"""


def _write(tmp_path, text, name="factors.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ----------------------------------------------------------------- loading

def test_load_factors_and_labels(tmp_path):
    path = _write(tmp_path, GOOD)
    hyps = factors.load_factors(path)
    assert [h.id for h in hyps] == ["teacher", "food"]
    food = hyps[1].factors[0]
    assert food.column == "f_food" and food.hypothesis == "food" and food.scale == "1-5"
    assert food.label("ru") == "Питание" and food.question("en").startswith("How tasty")
    assert hyps[1].factors[3].question_ru is None  # no question: loaded, flagged by lint
    assert factors.labels("en", path)["f_teacher_attention"] == "Teacher's attention"
    assert factors.labels("ru", hyps)["f_food"] == "Питание"
    table = factors.factors_table(path)
    assert list(table.index) == ["f_teacher_attention", "f_food", "f_booking", "f_booking_copy",
                                 "f_schedule"]


def test_malformed_registry_names_file_and_entries(tmp_path):
    bad = """\
    hypotheses:
      - id: teacher
        text_ru: Текст
        text_en: Text
        factors:
          - id: attention
            column: teacher_attention
            label_ru: Внимание
          - id: attention
            column: f_attention
            label_ru: Внимание
            label_en: Attention
      - id: Bad Id
        text_ru: Текст
        factors: []
    """
    path = _write(tmp_path, bad, "broken.yml")
    with pytest.raises(ValidationError) as info:
        factors.load_factors(path)
    msg = str(info.value)
    assert "broken.yml" in msg
    assert "hypothesis 'teacher' → factor 'attention' → column" in msg and "f_<id>" in msg
    assert "→ label_en" in msg  # first factor lacks its English label
    assert "duplicate" in msg  # factor id 'attention' twice
    assert "hypotheses[1] → id" in msg and "'Bad Id'" in msg
    assert "hypotheses[1] → text_en" in msg and "hypotheses[1] → factors" in msg


def test_missing_or_unparseable_registry(tmp_path):
    with pytest.raises(ReadError, match="no such factors registry"):
        factors.load_factors(tmp_path / "nope.yml")
    with pytest.raises(ReadError, match="not valid YAML"):
        factors.load_factors(_write(tmp_path, "hypotheses: [unclosed", "x.yml"))
    with pytest.raises(ValidationError, match="top-level key 'hypotheses:'"):
        factors.load_factors(_write(tmp_path, "- just a list\n", "y.yml"))


def test_shipped_registry_matches_sample_columns():
    if not FACTORS_FILE.exists():
        pytest.skip("data/samples/factors.yml not written yet")
    samples = pytest.importorskip("cxlab.samples")
    cols = {f.column for h in factors.load_factors() for f in h.factors}
    assert cols == set(samples.TRUTHS["factors"]["columns"])
    # the shipped questionnaire follows "one factor = one question"
    assert factors.lint_questions().empty


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
