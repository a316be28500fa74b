"""The loyalty factors of a study, and the questionnaire lint.

DOMAIN.md, "Loyalty hypotheses → loyalty factors → questions": a *hypothesis* ("if the
client can't get through to the call centre, the client becomes less loyal") yields
*factors* ("speed of getting through"), and each factor is asked by exactly one question,
in Russian and English. The factors live in the study file (:mod:`cxlab.study`), each with
its scale::

    hypotheses:
      reach: {ru: "Если до нас трудно дозвониться, клиент менее лоялен.",
              en: "If the client can't get through to us, the client is less loyal."}
    factors:
      reach_speed:
        hypothesis: reach
        scale: 1-7
        label: {ru: Скорость ответа, en: Speed of getting through}
        question: {ru: "Насколько быстро вам ответили по телефону?",
                   en: "How quickly was your call answered?"}

:func:`labels` gives the column → label map the driver analysis shows; :func:`factors_table`
lists the factors with their scales; :func:`lint_questions` checks "one factor = one
question": no question asking about two things at once, no professional jargon, no
duplicates, no factor without a question.

Every function takes ``source``: a :class:`~cxlab.study.Study`, the path of a study file,
or None for the default study (:func:`cxlab.study.default_study`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

import pandas as pd

from cxlab.errors import ParameterError, ReadError
from cxlab.paths import resolve
from cxlab.study import Factor, Study, load_study

__all__ = ["labels", "factors_table", "lint_questions", "default_jargon", "LANGS", "CHECKS"]

#: Languages of the question texts.
LANGS = ("ru", "en")

#: Lint checks, in the order findings are reported.
CHECKS = ("no_question", "double_barrelled", "jargon", "duplicate")


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def _resolve(source) -> tuple[Study | None, list[Factor]]:
    """(study, its factors in the study's order). ``source`` may also be an iterable (or a
    mapping) of :class:`~cxlab.study.Factor`, taken as it is (no study)."""
    if source is None or isinstance(source, (Study, str, os.PathLike)):
        st = load_study(source)
        return st, list(st.factors.values())
    if isinstance(source, Iterable):
        items = list(source.values() if isinstance(source, Mapping) else source)
        if all(isinstance(f, Factor) for f in items):
            return None, items
    raise ParameterError(f"expected a Study, the path of a study file, None (the default "
                         f"study) or study factors; got {type(source).__name__}")


def labels(lang: str = "en", source=None) -> dict[str, str]:
    """Column → label of every factor, e.g. ``{"f_reach_speed": "Speed of getting through"}``.

    Parameters
    ----------
    lang : {"en", "ru"}
    source : Study, path of a study file, or None
        None: the default study (:func:`cxlab.study.default_study`).
    """
    _lang(lang)
    return {f.column: f.label(lang) for f in _resolve(source)[1]}


def factors_table(source=None) -> pd.DataFrame:
    """The study's factors as a table, one row per factor (index: ``column``).

    Columns: ``factor`` (id), ``hypothesis`` (its id, or the text when the study writes
    the hypothesis out), ``hypothesis_ru``/``hypothesis_en``, ``label_ru``/``label_en``,
    ``question_ru``/``question_en`` (empty where the study has none), ``scale`` (``"1-5"``),
    ``lo``, ``hi`` and ``top_box`` (the lowest value counted in the top box).
    """
    st, facs = _resolve(source)
    rows = []
    for f in facs:
        h = st.hypotheses.get(f.hypothesis) if st is not None and f.hypothesis else None
        rows.append({
            "column": f.column, "factor": f.id, "hypothesis": f.hypothesis,
            "hypothesis_ru": h.text("ru") if h else f.hypothesis,
            "hypothesis_en": h.text("en") if h else f.hypothesis,
            "label_ru": f.label("ru"), "label_en": f.label("en"),
            "question_ru": f.question("ru"), "question_en": f.question("en"),
            "scale": str(f.scale), "lo": f.scale.lo, "hi": f.scale.hi,
            "top_box": f.scale.top_box})
    cols = ["column", "factor", "hypothesis", "hypothesis_ru", "hypothesis_en", "label_ru",
            "label_en", "question_ru", "question_en", "scale", "lo", "hi", "top_box"]
    return pd.DataFrame(rows, columns=cols).set_index("column")


# =========================================================================== lint

def default_jargon() -> dict[str, list[str]]:
    """The jargon list shipped with cxlab (``cxlab/jargon.yml``), per language."""
    import yaml

    text = resources.files("cxlab").joinpath("jargon.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {lang: [str(t) for t in data.get(lang) or []] for lang in LANGS}


def _jargon_lists(jargon, use_default: bool) -> dict[str, list[str]]:
    lists = default_jargon() if use_default else {lang: [] for lang in LANGS}
    if jargon is None:
        return lists
    if isinstance(jargon, (str, os.PathLike)) and Path(resolve(jargon)).suffix in (".yml", ".yaml"):
        import yaml

        p = resolve(jargon)
        try:
            jargon = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except OSError as err:
            raise ReadError(f"{p}: cannot read the jargon list ({err})") from None
    if isinstance(jargon, str):
        jargon = [jargon]
    if isinstance(jargon, Mapping):
        for lang, terms in jargon.items():
            if lang not in LANGS:
                raise ParameterError(f"jargon list for language {lang!r}; expected "
                                     f"{', '.join(LANGS)}")
            lists[lang] += [str(t) for t in terms or []]
    elif isinstance(jargon, Iterable):
        terms = [str(t) for t in jargon]
        for lang in LANGS:
            lists[lang] += terms
    else:
        raise ParameterError("jargon must be a list of terms, a mapping language → terms "
                             "or a path to a YAML file")
    return lists


def _jargon_pattern(term: str) -> re.Pattern:
    term = term.strip()
    if term.isupper():  # an abbreviation: whole word, as written
        return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")
    words = term.split()
    # each word is a stem: it may go on (inflection); words separated by any spaces
    body = r"\w*\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}", re.IGNORECASE)


# Fixed phrases in which a conjunction does not join two asked-about things.
_IDIOMS = {
    "ru": [
        r"и\s*т\.\s*д\.?", r"и\s*т\.\s*п\.?", r"и\s+так\s+далее", r"и\s+тому\s+подобное",
        r"и\s+прочее", r"и\s+др\.", r"более\s+или\s+менее", r"так\s+или\s+иначе",
        r"т[оаеу]\w*\s+или\s+ин\w+", r"или\s+нет", r"да\s+или\s+нет", r"и\s+дальше",
        r"и\s+впредь", r"и\s+тогда",
        r"как\s+и\b", r"\w+\s+и\s+(?:\w+\s+)?(?:прочее|другое|другие)", r"ни\s+\w+\s+ни",
        r"хоть\s+раз",
    ],
    "en": [
        r"or\s+not", r"and\s+so\s+on", r"and\s+so\s+forth", r"more\s+or\s+less",
        r"sooner\s+or\s+later", r"and\s+then", r"safe\s+and\s+sound", r"up\s+and\s+running",
        r"pros\s+and\s+cons", r"by\s+and\s+large", r"rock\s+and\s+roll", r"etc\.?",
        r"one\s+or\s+more", r"or\s+so", r"and\s+others",
    ],
}

_CONJUNCTIONS = {
    "ru": r"(?<!\w)(?:и/или|и|или|либо|а\s+также)(?!\w)",
    "en": r"(?<![\w/])(?:and/or|and|or|as\s+well\s+as)(?![\w/])|&",
}
_WORD = re.compile(r"\w+")


def _double_barrelled(text: str, lang: str) -> list[str]:
    """The conjunctions in a question that join two things asked about at once, quoted
    with the words on either side. A conjunction opening a sentence ("И последнее:")
    joins nothing asked about; fixed phrases (:data:`_IDIOMS`) are not counted."""
    masked = text
    for pat in _IDIOMS[lang]:
        masked = re.sub(pat, lambda m: "·" * len(m.group()), masked, flags=re.IGNORECASE)
    found = []
    for sentence in re.finditer(r"[^.!?;:]+", masked):
        s0 = sentence.start()
        s = sentence.group()
        for m in re.finditer(_CONJUNCTIONS[lang], s, flags=re.IGNORECASE):
            before = _WORD.findall(s[:m.start()].replace("·", " "))
            after = _WORD.findall(s[m.end():].replace("·", " "))
            if before and after:
                a, b = s0 + m.start(), s0 + m.end()
                left = re.findall(r"\w+\W*$", text[:a].rstrip())
                right = re.findall(r"^\W*\w+", text[b:].lstrip())
                found.append(f"{(left[0] if left else '').strip()} {text[a:b]} "
                             f"{(right[0] if right else '').strip()}".strip())
    # a slash between two words ("вкусно/полезно") asks two things too
    for m in re.finditer(r"(?<!\w)(\w+)/(\w+)(?!\w)", masked):
        if m.group(0).lower() not in ("и/или", "and/or"):
            found.append(m.group(0))
    return found


def _normal(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(re.sub(r"[^\w\s]", " ", t).split())


def lint_questions(source=None, jargon=None, use_default_jargon: bool = True
                   ) -> pd.DataFrame:
    """Check the questionnaire against "one factor = one question".

    Parameters
    ----------
    source : Study, path of a study file, or None
        None: the default study (:func:`cxlab.study.default_study`).
    jargon : list of str, mapping language → list, or path to a YAML file, optional
        Terms to flag, added to the shipped list (:func:`default_jargon`, editable in
        ``cxlab/jargon.yml``).
    use_default_jargon : bool
        False to use only ``jargon``.

    Returns
    -------
    DataFrame
        One row per finding: ``hypothesis``, ``factor``, ``column``, ``lang``, ``check``
        (``no_question``, ``double_barrelled``: a conjunction joining two qualities or
        things; ``jargon``; ``duplicate``: the same question as another factor),
        ``text`` (the question) and ``detail`` (what was found). Empty when the
        questionnaire is clean.

    Examples
    --------
    >>> lint_questions("data/samples/study.yml")  # doctest: +SKIP
    """
    facs = _resolve(source)[1]
    lists = _jargon_lists(jargon, use_default_jargon)
    patterns = {lang: [(t, _jargon_pattern(t)) for t in dict.fromkeys(lists[lang]) if t.strip()]
                for lang in LANGS}
    rows = []

    def add(f: Factor, lang: str, check: str, text, detail: str):
        rows.append({"hypothesis": f.hypothesis, "factor": f.id, "column": f.column,
                     "lang": lang, "check": check, "text": text, "detail": detail})

    seen: dict[tuple[str, str], list[Factor]] = {}
    for f in facs:
        for lang in LANGS:
            q = f.question(lang)
            if not q:
                add(f, lang, "no_question", None,
                    f"factor '{f.id}' has no question in '{lang}' (study: factors → {f.id} → "
                    f"question → {lang}): one factor = one question")
                continue
            for joined in _double_barrelled(q, lang):
                add(f, lang, "double_barrelled", q,
                    f"«{joined}»: asks about two things at once; split into two "
                    "questions (two factors) or keep one")
            for t, pat in patterns[lang]:
                m = pat.search(q)
                if m is None:
                    continue
                add(f, lang, "jargon", q,
                    f"«{m.group(0).strip()}» is professional jargon (list term '{t}'); "
                    "say it in the clients' own words")
            seen.setdefault((lang, _normal(q)), []).append(f)
    for (lang, _), group in seen.items():
        if len(group) > 1:
            for f in group:
                others = ", ".join(g.id for g in group if g is not f)
                add(f, lang, "duplicate", f.question(lang),
                    f"same question as factor(s) {others}: each factor needs its own question")
    cols = ["hypothesis", "factor", "column", "lang", "check", "text", "detail"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        order = {c: i for i, c in enumerate(CHECKS)}
        pos = {f.id: i for i, f in enumerate(facs)}
        out = (out.assign(_c=out["check"].map(order), _f=out["factor"].map(pos))
               .sort_values(["_f", "lang", "_c"], kind="stable")
               .drop(columns=["_c", "_f"]).reset_index(drop=True))
    return out
