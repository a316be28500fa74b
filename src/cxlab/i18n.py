"""Report language: a small message catalogue (English, Russian), not machine translation.

Messages live in ``src/cxlab/locale/<lang>.yml`` as nested YAML; a key is the dotted path
(``heading.headline``). Coded values the code branches on (``programme: workshop``) are
translated to the labels a reader expects with :func:`label` (``workshop`` →
«Мастерские»). A key missing from a language falls back to English, and a key missing from
English is a bug the tests catch (:func:`missing_keys`).

Examples
--------
>>> t("heading.headline", "ru")
'Главное за квартал'
>>> label("nps_group", "promoter", "ru")
'Промоутеры'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cxlab.errors import ParameterError

LOCALE_DIR = Path(__file__).with_name("locale")
#: Languages a report can be rendered in.
LANGUAGES = ("en", "ru")
DEFAULT_LANG = "en"


def check_lang(lang: str) -> str:
    """Return ``lang`` if a catalogue exists for it, else raise :class:`ParameterError`."""
    lang = str(lang).strip().lower()
    if lang not in LANGUAGES:
        raise ParameterError(
            f"report language {lang!r} is not available; expected one of {', '.join(LANGUAGES)}"
        )
    return lang


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = "" if value is None else str(value)
    return flat


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language as ``{dotted.key: text}``."""
    lang = check_lang(lang)
    with open(LOCALE_DIR / f"{lang}.yml", encoding="utf-8") as fh:
        return _flatten(yaml.safe_load(fh) or {})


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The message ``key`` in ``lang``, formatted with ``values`` (``str.format`` fields).

    Falls back to English when ``lang`` lacks the key; raises ``KeyError`` when English
    lacks it too (a missing message is a programming error, not user input).
    """
    messages = catalogue(lang)
    if key not in messages:
        messages = catalogue(DEFAULT_LANG)
    text = messages[key]
    return text.format(**values) if values else text


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    """Does the catalogue of ``lang`` (or English) carry ``key``?"""
    return key in catalogue(lang) or key in catalogue(DEFAULT_LANG)


_STUDY = None  # the study whose labels reports use (set by use_study)


def use_study(study) -> None:
    """Label codes with this study's labels from now on (a report notebook's set-up)."""
    global _STUDY
    from cxlab.study import load_study

    _STUDY = None if study is None else load_study(study)


def active_study():
    """The study :func:`use_study` set, else the default study
    (:func:`cxlab.study.default_study`; None when it cannot be read)."""
    if _STUDY is not None:
        return _STUDY
    from cxlab.errors import CxlabError
    from cxlab.study import default_study

    try:
        return default_study()
    except CxlabError:
        return None


def study_label(kind: str, code, lang: str = DEFAULT_LANG) -> str | None:
    """The active study's label of ``code`` of ``kind`` (a code list or ``cohort``)."""
    st = active_study()
    if st is None or code is None or (pd.api.types.is_scalar(code) and pd.isna(code)):
        return None
    if kind == "cohort":
        rule = st.cohorts.get(code)
        return rule.label(lang) if rule is not None and rule.labels else None
    if kind in ("segment", "column"):
        cl = st.segments.get(code)
        return cl.title(lang) if cl is not None and cl.labels else None
    return st.label(kind, code, lang)


def label(kind: str, code, lang: str = DEFAULT_LANG) -> str:
    """The reader's label for a coded value, e.g. ``label("channel", "email", "ru")``:
    the study's label first (:func:`use_study`), then the catalogue's.

    Unknown codes are shown as they are (a new store must still appear in a report).
    """
    if code is None or (pd.api.types.is_scalar(code) and pd.isna(code)):
        key = f"code.{kind}.none"
        return t(key, lang) if has(key, lang) else t("code.none", lang)
    own = study_label(kind, code, lang)
    if own is not None:
        return own
    key = f"code.{kind}.{code}"
    return t(key, lang) if has(key, lang) else str(code)


def labels(kind: str, codes, lang: str = DEFAULT_LANG) -> list[str]:
    """:func:`label` over a sequence."""
    return [label(kind, c, lang) for c in codes]


def missing_keys(lang: str) -> set[str]:
    """Keys English has and ``lang`` has not (an incomplete translation)."""
    return set(catalogue(DEFAULT_LANG)) - set(catalogue(lang))
