"""The loyalty-factors registry and the questionnaire lint.

DOMAIN.md, "Loyalty hypotheses → loyalty factors → questions": a *hypothesis* ("if the
teacher pays attention to the child, the parent becomes more loyal") yields *factors*
("teacher's attention"), and each factor is asked by exactly one question, in Russian and
English. The registry lives in ``data/samples/factors.yml``::

    hypotheses:
      - id: teacher
        text_ru: Если педагог уделяет ребёнку внимание, родитель лояльнее
        text_en: If the teacher pays attention to the child, the parent is more loyal
        factors:
          - id: teacher_attention
            column: f_teacher_attention
            label_ru: Внимание педагога
            label_en: Teacher's attention
            question_ru: Насколько внимателен был педагог к вашему ребёнку?
            question_en: How attentive was the teacher to your child?
            scale: 1-5

:func:`load_factors` reads and checks it; :func:`labels` gives the column → label map the
driver analysis shows; :func:`lint_questions` checks "one factor = one question": no
question asking about two things at once, no professional jargon, no duplicates, no
factor without a question.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from cxlab.errors import ParameterError, Problem, ReadError, ValidationError
from cxlab.paths import FACTORS_FILE, resolve
from cxlab.schema import FACTOR_PATTERN

__all__ = ["Factor", "Hypothesis", "load_factors", "labels", "factors_table",
           "lint_questions", "default_jargon", "LANGS", "CHECKS"]

#: Languages of the question texts.
LANGS = ("ru", "en")

#: Lint checks, in the order findings are reported.
CHECKS = ("no_question", "double_barrelled", "jargon", "duplicate")

ID_PATTERN = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Factor:
    """One loyalty factor: a rating column and the one question that asks it."""

    id: str
    column: str
    label_ru: str
    label_en: str
    question_ru: str | None
    question_en: str | None
    scale: str
    hypothesis: str

    def label(self, lang: str = "en") -> str:
        return getattr(self, f"label_{_lang(lang)}")

    def question(self, lang: str = "en") -> str | None:
        return getattr(self, f"question_{_lang(lang)}")


@dataclass(frozen=True)
class Hypothesis:
    """A loyalty hypothesis and the factors it yields."""

    id: str
    text_ru: str
    text_en: str
    factors: tuple[Factor, ...]

    def text(self, lang: str = "en") -> str:
        return getattr(self, f"text_{_lang(lang)}")


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r}; expected one of {', '.join(LANGS)}")
    return lang


# =========================================================================== loading

def _text(entry: Mapping, key: str, where: str, problems: list[Problem], required: bool):
    v = entry.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            problems.append(Problem(f"{where} → {key}", "missing", None, None, "a non-empty text"))
        return None
    if not isinstance(v, str):
        problems.append(Problem(f"{where} → {key}", "type", v, None, "text"))
        return None
    return " ".join(v.split())


def _scale(v) -> str:
    if v is None:
        return "1-5"
    if isinstance(v, (list, tuple)):
        return "-".join(str(x) for x in v)
    if isinstance(v, Mapping):
        return "-".join(str(v[k]) for k in ("min", "max") if k in v) or str(dict(v))
    return str(v)


def parse_factors(data, source: str = "<factors>") -> tuple[Hypothesis, ...]:
    """Check a parsed registry (the YAML's content) and build the hypotheses.

    Raises
    ------
    ValidationError
        Listing every malformed entry by hypothesis and factor id (or position).
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("hypotheses"), list):
        raise ValidationError(source, "factors", [Problem(
            "hypotheses", "structure", type(data).__name__ if not isinstance(data, Mapping)
            else data.get("hypotheses"), None,
            "a top-level key 'hypotheses:' holding a list of hypotheses")])
    out: list[Hypothesis] = []
    seen_h, seen_f, seen_c = set(), {}, {}
    for i, h in enumerate(data["hypotheses"]):
        where_h = f"hypotheses[{i}]"
        if not isinstance(h, Mapping):
            problems.append(Problem(where_h, "structure", h, None,
                                    "a mapping with id, text_ru, text_en, factors"))
            continue
        hid, where_h = _check_id(h.get("id"), where_h, "hypothesis '{}'", problems)
        if hid is not None:
            if hid in seen_h:
                problems.append(Problem(f"{where_h} → id", "duplicate", hid, None,
                                        "a unique hypothesis id"))
            seen_h.add(hid)
        if hid is None:
            hid = str(h.get("id"))
        text_ru = _text(h, "text_ru", where_h, problems, True)
        text_en = _text(h, "text_en", where_h, problems, True)
        facs = h.get("factors")
        if not isinstance(facs, list) or not facs:
            problems.append(Problem(f"{where_h} → factors", "structure", facs, None,
                                    "a non-empty list of factors"))
            facs = []
        built: list[Factor] = []
        for k, f in enumerate(facs):
            where_f = f"{where_h} → factors[{k}]"
            if not isinstance(f, Mapping):
                problems.append(Problem(where_f, "structure", f, None,
                                        "a mapping with id, column, labels and questions"))
                continue
            fid, where_f = _check_id(f.get("id"), where_f, where_h + " → factor '{}'", problems)
            if fid is None:
                fid = str(f.get("id"))
            else:
                if fid in seen_f:
                    problems.append(Problem(f"{where_f} → id", "duplicate", fid, None,
                                            f"a unique factor id (also in {seen_f[fid]})"))
                seen_f.setdefault(fid, where_h)
            col = f.get("column", f"f_{fid}")
            if not isinstance(col, str) or not FACTOR_PATTERN.match(col):
                problems.append(Problem(f"{where_f} → column", "column", col, None,
                                        "a rating column named f_<id> (e.g. f_safety)"))
            elif col in seen_c:
                problems.append(Problem(f"{where_f} → column", "duplicate", col, None,
                                        f"one factor per column (also {seen_c[col]})"))
            else:
                seen_c[col] = where_f
            label_ru = _text(f, "label_ru", where_f, problems, True)
            label_en = _text(f, "label_en", where_f, problems, True)
            q_ru = _text(f, "question_ru", where_f, problems, False)
            q_en = _text(f, "question_en", where_f, problems, False)
            built.append(Factor(fid, str(col), label_ru or "", label_en or "", q_ru, q_en,
                                _scale(f.get("scale")), hid))
        out.append(Hypothesis(hid, text_ru or "", text_en or "", tuple(built)))
    if problems:
        raise ValidationError(source, "factors", problems)
    return tuple(out)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> tuple[Hypothesis, ...]:
    import yaml

    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        raise ReadError(f"{path}: not valid YAML ({err}); expected the factors registry "
                        "(hypotheses → factors → questions)") from None
    except UnicodeDecodeError as err:
        raise ReadError(f"{path}: not UTF-8 text ({err})") from None
    return parse_factors(data, source=path)


def _check_id(value, where: str, named: str, problems: list) -> tuple[str | None, str]:
    """A registry id must be snake_case. Returns (id or None, where to point at it next:
    ``named`` filled with the id once it is valid)."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        problems.append(Problem(f"{where} → id", "id", value, None,
                                "a snake_case id (a-z, 0-9, _)"))
        return None, where
    return value, named.format(value)


def load_factors(path: str | os.PathLike = FACTORS_FILE) -> tuple[Hypothesis, ...]:
    """Read and check the loyalty-factors registry.

    Parameters
    ----------
    path : path, default ``data/samples/factors.yml``
        Relative paths are taken from the project root.

    Returns
    -------
    tuple of Hypothesis
        Each with its factors.

    Raises
    ------
    ReadError
        The file is missing or not YAML.
    ValidationError
        An entry is malformed; the message names the file and every bad entry.
    """
    p = resolve(path)
    try:
        st = p.stat()
    except OSError:
        raise ReadError(f"{p}: no such factors registry; expected a YAML file with "
                        "'hypotheses:' (see cxlab.factors)") from None
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


def _as_factors(source) -> list[Factor]:
    if source is None or isinstance(source, (str, os.PathLike)):
        source = load_factors(FACTORS_FILE if source is None else source)
    items = list(source)
    out: list[Factor] = []
    for item in items:
        if isinstance(item, Hypothesis):
            out.extend(item.factors)
        elif isinstance(item, Factor):
            out.append(item)
        else:
            raise ParameterError(f"expected hypotheses or factors from load_factors(), got "
                                 f"{type(item).__name__}")
    return out


def labels(lang: str = "en", source=None) -> dict[str, str]:
    """Column → label of every factor, e.g. ``{"f_safety": "Safety"}``.

    Parameters
    ----------
    lang : {"en", "ru"}
    source : path, hypotheses or factors, optional
        Default: the registry file ``data/samples/factors.yml``.
    """
    _lang(lang)
    return {f.column: f.label(lang) for f in _as_factors(source)}


def factors_table(source=None) -> pd.DataFrame:
    """The registry as a table, one row per factor (index: column)."""
    rows = [{"column": f.column, "factor": f.id, "hypothesis": f.hypothesis,
             "label_ru": f.label_ru, "label_en": f.label_en, "question_ru": f.question_ru,
             "question_en": f.question_en, "scale": f.scale} for f in _as_factors(source)]
    return pd.DataFrame(rows).set_index("column")


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


def lint_questions(factors_or_path=None, jargon=None, use_default_jargon: bool = True
                   ) -> pd.DataFrame:
    """Check the questionnaire against "one factor = one question".

    Parameters
    ----------
    factors_or_path : path, hypotheses or factors, optional
        Default: the registry file ``data/samples/factors.yml``.
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
    >>> lint_questions()  # doctest: +SKIP
    """
    facs = _as_factors(factors_or_path)
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
                    f"factor '{f.id}' has no question_{lang}: one factor = one question")
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
                    "say it in the parents' words")
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
