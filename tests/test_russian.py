"""The Russian language layer (cxlab._russian): lemmas with negation, phrases, redaction.

Where the expected values come from:

- lemmas: the dictionary (nominative singular, infinitive) form any Russian reader gives
  for the word ("расписанием" → «расписание», "перенесли" → «перенести»);
- children's names: the sample generator's lists (``cxlab.samples.CHILD_GIRLS``,
  ``CHILD_BOYS``), declined here by the school-grammar endings of the first and second
  declensions (:func:`_declined`), independently of pymorphy3;
- parents' names: the generator's own recipe ("Фамилия(а) Имя Отчество(вна/вич)" from
  ``SURNAMES_M``, ``FEMALE_NAMES``/``MALE_NAMES``, ``PATRONYMIC_ROOTS``);
- the dative and genitive of children's names: the generator's written-out
  ``CHILD_CASES``;
- comments without people: the generator's comment templates with no field to fill
  (``COMMENT_TEMPLATES``, ``COMPLAINT_TEXT``);
- staff in the Telegram export: ``TELEGRAM_STAFF`` (display name and username).
"""

from __future__ import annotations

import pytest

from cxlab import samples
from cxlab._russian import (
    PLACEHOLDERS,
    bare,
    lemmas,
    person_names,
    phrases,
    redact,
    sentences,
)
from cxlab.errors import ParameterError

# ------------------------------------------------------------------------- lemmas


@pytest.mark.parametrize("word, lemma", [
    ("расписанием", "расписание"),  # instrumental singular → nominative
    ("перенесли", "перенести"),  # past plural → infinitive
    ("припарковаться", "припарковаться"),  # already an infinitive
    ("занятия", "занятие"),  # genitive singular → nominative
    ("ждёт", "ждать"),  # present 3rd person, and ё read as е
    ("Ребёнку", "ребенок"),  # capitalised dative, ё → е
])
def test_lemmas_of_inflected_forms(word, lemma):
    assert lemmas(word) == [lemma]


def test_lemmas_drop_function_words_numbers_and_punctuation():
    assert lemmas("Занятие перенесли в последний момент, никто не предупредил.") == [
        "занятие", "перенести", "последний", "момент", "не_предупредить"]
    assert lemmas("10 из 10, 2 раза в неделю!!! 🙂") == ["раз", "неделя"]
    assert lemmas("Было бы очень здорово, если бы это было так") == ["здорово"]


@pytest.mark.parametrize("text, expected", [
    # "нашли" is "найти", not the imperative of "наслать" (pymorphy3's first parse)
    ("Лучшее, что мы нашли", ["хороший", "найти"]),
    # "большая группа": «большой», not «больший»
    ("Группа большая", ["группа", "большой"]),
    # thanks are praise, although an interjection to pymorphy3
    ("Спасибо! Всё отлично.", ["спасибо", "отлично"]),
    ("Единственный минус — парковка.", ["единственный", "минус", "парковка"]),
])
def test_lemmas_of_homonyms_in_comments(text, expected):
    assert lemmas(text) == expected


def test_negation_is_kept():
    assert lemmas("понравилось") == ["понравиться"]
    assert lemmas("не понравилось") == ["не_понравиться"]
    assert lemmas("понравилось") != lemmas("не понравилось")
    # a stop word between the particle and the verb does not stop the negation
    assert lemmas("не очень понравилось") == ["не_понравиться"]
    assert lemmas("совсем не удобно") == ["не_удобно"]
    # "нет" denies the noun after it, or before it when nothing follows
    assert lemmas("Негде припарковаться, нет парковки.") == [
        "негде", "припарковаться", "нет_парковка"]
    assert lemmas("Парковки нет.") == ["нет_парковка"]
    # a negation does not cross a clause boundary
    assert lemmas("Не, всё понравилось") == ["понравиться"]
    assert lemmas("не только дорого") == ["дорого"]


def test_negation_off_drops_the_particles():
    assert lemmas("не понравилось", negation=False) == ["понравиться"]
    assert lemmas("нет парковки", negation=False) == ["парковка"]


def test_lemmas_leave_out_names_and_odd_input():
    assert lemmas("Маша в восторге") == ["восторг"]
    assert lemmas("") == []
    assert lemmas(None) == []


def test_bare_and_phrases():
    assert bare("не_понравиться") == "понравиться"
    assert bare("нет_парковка") == "парковка"
    assert bare("неделя") == "неделя"  # starts with "не", but no prefix
    assert phrases(["расписание", "неудобный", "дорого"]) == [
        "расписание неудобный", "неудобный дорого"]
    assert phrases(["одно"]) == []
    assert phrases([]) == []
    # "нормально" and "расписание" are apart in the text (a comma, "но"): no phrase
    assert phrases(lemmas("Нормально, но расписание неудобное.")) == [
        "расписание неудобный"]


def test_sentences():
    assert sentences("Всё понравилось. Придём ещё! А вы?") == [
        "Всё понравилось.", "Придём ещё!", "А вы?"]
    assert sentences("") == []


# ------------------------------------------------------------------ redaction: names

def _declined(name: str) -> tuple[str, str, str, str]:
    """Nominative, dative, instrumental, accusative of a child's first name by the school
    grammar's endings: -ия (Таисия → Таисии, Таисией, Таисию), -я (Варя → Варе, Варей,
    Варю), -а (Маша → Маше, Машей, Машу; Лиза → Лизе, Лизой, Лизу: -ей after a hushing
    consonant or ц, -ой elsewhere), -й (Тимофей → Тимофею, Тимофеем, Тимофея) and a
    consonant (Марк → Марку, Марком, Марка)."""
    if name.endswith("ия"):
        return name, name[:-1] + "и", name[:-1] + "ей", name[:-1] + "ю"
    if name.endswith("я"):
        return name, name[:-1] + "е", name[:-1] + "ей", name[:-1] + "ю"
    if name.endswith("а"):
        ins = "ей" if name[-2] in "жшчщц" else "ой"
        return name, name[:-1] + "е", name[:-1] + ins, name[:-1] + "у"
    if name.endswith("й"):
        return name, name[:-1] + "ю", name[:-1] + "ем", name[:-1] + "я"
    return name, name + "у", name + "ом", name + "а"


def test_declension_helper_against_known_forms():
    assert _declined("Маша") == ("Маша", "Маше", "Машей", "Машу")
    assert _declined("Миша") == ("Миша", "Мише", "Мишей", "Мишу")
    assert _declined("Лёва") == ("Лёва", "Лёве", "Лёвой", "Лёву")
    assert _declined("Таисия") == ("Таисия", "Таисии", "Таисией", "Таисию")
    assert _declined("Матвей") == ("Матвей", "Матвею", "Матвеем", "Матвея")
    assert _declined("Платон") == ("Платон", "Платону", "Платоном", "Платона")


@pytest.mark.parametrize("child", samples.CHILD_GIRLS + samples.CHILD_BOYS)
def test_every_child_name_in_every_case_is_redacted(child):
    nom, dat, ins, acc = _declined(child)
    for template, form in [
        ("{} в восторге, каждую неделю ждёт занятия!", nom),  # sentence start
        ("Спасибо, что уделили внимание {} на занятии.", dat),
        ("Преподаватель занимался с {} отдельно.", ins),
        ("Мы привели {} на пробное занятие.", acc),
    ]:
        text = template.format(form)
        assert redact(text) == template.format("[имя]"), text
        assert person_names(text) == [form]


def _parents():
    """Every surname of the generator once as a mother's and once as a father's full
    name, first names and patronymic roots cycled so that each of them occurs."""
    out = []
    for i, sur in enumerate(samples.SURNAMES_M):
        f = samples.FEMALE_NAMES[i % len(samples.FEMALE_NAMES)]
        m = samples.MALE_NAMES[i % len(samples.MALE_NAMES)]
        pf = samples.PATRONYMIC_ROOTS[i % len(samples.PATRONYMIC_ROOTS)]
        pm = samples.PATRONYMIC_ROOTS[(i + 7) % len(samples.PATRONYMIC_ROOTS)]
        out += [f"{sur}а {f} {pf}на", f"{sur} {m} {pm}ич"]
    return out


def test_parents_full_names_are_redacted_as_one_name():
    parents = _parents()
    assert len(parents) == 2 * len(samples.SURNAMES_M)
    for full in parents:
        text = f"Звонила {full}, просила перезвонить."
        assert redact(text) == "Звонила [имя], просила перезвонить.", text
        assert person_names(text) == [full]


@pytest.mark.parametrize("child", sorted(samples.CHILD_CASES))
def test_child_names_in_the_generators_genitive_and_dative(child):
    gen, dat = samples.CHILD_CASES[child]
    assert redact(f"Лучшее, что мы нашли для {gen} в этом году.") == (
        "Лучшее, что мы нашли для [имя] в этом году.")
    assert redact(f"Хотелось бы больше внимания к {dat}, а не к группе в целом.") == (
        "Хотелось бы больше внимания к [имя], а не к группе в целом.")


def test_staff_in_telegram_messages():
    for _, name, _, username in samples.TELEGRAM_STAFF.values():
        text = f"{name} ({username}) переслала отзыв, мама Вики жалуется на расписание."
        assert redact(text) == (
            "[имя] ([аккаунт]) переслала отзыв, мама [имя] жалуется на расписание.")


def test_names_in_oblique_cases_and_with_initials():
    assert redact("Спасибо Ирине Дмитриевне за терпение!") == "Спасибо [имя] за терпение!"
    assert redact("Передали Яковлевой И. Д., ждём ответа") == "Передали [имя], ждём ответа"
    assert redact("Лёва Яковлев ходит к нам второй год") == "[имя] ходит к нам второй год"
    assert redact("Маша и Миша в восторге") == "[имя] и [имя] в восторге"


def test_given_names_match_inflected_forms_outside_any_dictionary():
    # "Зюзюкина" and "Кржемелик" are invented surnames; in lower case no dictionary and no
    # capital letter gives them away, only the names passed in
    text = "передали зюзюкиной, а кржемелику звонили дважды"
    assert redact(text) == text
    given = ["Зюзюкина Ольга Петровна", "Кржемелик Иван"]
    assert redact(text, names=given) == "передали [имя], а [имя] звонили дважды"
    # ё-insensitive, and a single string is one name, not a list of letters
    assert redact("звонила зюзекиной", names="Зюзёкина Ольга") == "звонила [имя]"
    # a name that is also an ordinary word is matched only when capitalised
    assert redact("Ребёнок занимается с любовью", names=["Любовь Орлова"]) == (
        "Ребёнок занимается с любовью")


# --------------------------------------------------------- redaction: contacts

@pytest.mark.parametrize("phone", [
    "+7 927 520-10-88",
    "8 (999) 123-45-67",
    "89991234567",
    "+7-999-123-45-67",
    "8 999 123 45 67",
    "+7(999)1234567",
    "8-800-555-35-35",
    "+375 29 123-45-67",
    "520-10-88",
])
def test_phones(phone):
    assert redact(f"Звоните {phone}, ждём!") == "Звоните [телефон], ждём!"
    assert redact(f"Звоните {phone}", lang="en") == "Звоните [phone]"


@pytest.mark.parametrize("text", [
    "Занятие 12.09.2026 в 10:00.",
    "Ходим 2 раза в неделю, оценка 10 из 10.",
    "Абонемент за 12 000 руб., а лагерь стоит 1 500 000 на всю группу.",
    "В 2024-2025 учебном году всё было хорошо.",
    "Перенесли на 12-09-2026.",
    "Договор № 123456 от 01.09.2025",
])
def test_numbers_that_are_not_phones_stay(text):
    assert redact(text) == text


def test_emails_links_and_handles():
    assert redact("Пишите masha.mama@example.com или ivanov+cx@почта.рф") == (
        "Пишите [e-mail] или [e-mail]")
    assert redact("Расписание: https://studio.ru/raspisanie?x=1. Подробнее www.studio.ru") == (
        "Расписание: [ссылка]. Подробнее [ссылка]")
    assert redact("Чат t.me/studio_chat, группа vk.com/studio, фото на studio.ru/photo") == (
        "Чат [ссылка], группа [ссылка], фото на [ссылка]")
    assert redact("(см. http://example.org/a)") == "(см. [ссылка])"
    assert redact("Пишите @masha_mama в телеграм") == "Пишите [аккаунт] в телеграм"
    assert redact("@masha_mama, masha@example.net", lang="en") == "[handle], [e-mail]"


def test_abbreviations_are_not_links():
    text = "Т.е. всё хорошо, т.к. ходим давно, и т.д."
    assert redact(text) == text


# --------------------------------------------------------- redaction: everything else

def _comments_without_people():
    templates = [t for by_polarity in samples.COMMENT_TEMPLATES.values()
                 for pool in by_polarity.values() for t in pool]
    return [c for c in templates + list(samples.COMPLAINT_TEXT.values()) if "{" not in c]


def test_comments_without_people_are_unchanged():
    comments = _comments_without_people()
    assert len(comments) >= 20
    for c in comments:
        assert redact(c) == c
        assert person_names(c) == []
    # natasha's news model takes these first words for persons; the dictionary overrules it
    for c in ("Педагогу не хватает внимания.", "Невнимательный преподаватель, увы."):
        assert redact(c) == c
    for c in ("Нормально, но расписание неудобное.", "Негде припарковаться у студии."):
        assert redact(c) == c


def test_redact_odd_input():
    assert redact("") == ""
    assert redact("🙂🙂🙂") == "🙂🙂🙂"
    assert redact("   \n") == "   \n"
    assert redact(None) is None
    assert person_names("") == []
    assert redact("???", names=[None, float("nan"), ""]) == "???"


def test_placeholders_and_language():
    assert set(PLACEHOLDERS) == {"ru", "en"}
    assert set(PLACEHOLDERS["ru"]) == set(PLACEHOLDERS["en"])
    assert redact("Маша довольна", lang="en") == "[name] довольна"
    with pytest.raises(ParameterError, match="de"):
        redact("Маша довольна", lang="de")


def test_phrases_are_words_the_text_puts_together():
    """A phrase is two lemmas that follow each other in the text: not across a comma,
    nor across a left-out word (a name, a stop word, a number). Expected phrases read off
    the sentences by hand."""
    from cxlab._russian import lemmas, phrases

    assert phrases(lemmas("Спасибо, лучшее, что мы нашли для Маши в этом году.")) == []
    assert phrases(lemmas("Занятие перенесли в последний момент, никто не предупредил.")) \
        == ["занятие перенести", "последний момент"]
    assert phrases(lemmas("Рядом нет удобной парковки")) == \
        ["рядом нет_удобный", "нет_удобный нет_парковка"]
    # a plain list of lemmas (no text behind it) pairs every neighbour, as before
    assert phrases(["расписание", "неудобный", "дорого"]) == \
        ["расписание неудобный", "неудобный дорого"]
