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

Data in Markdown
----------------
The catalogue's text is trusted (it may be Markdown: ``**{group}**``); the values filled
into it are data (codes, labels from the study file, categories as written, interviewer
ids) and may hold anything. :func:`t` returns a :class:`Text`: the plain message (tables,
charts, page titles, which escape on their own) that also carries ``.markdown``, the same
message with every value made literal by :func:`md_escape`. Markdown outputs
(:mod:`cxlab.report.narrative`) show :func:`as_markdown` of what they are given, so a value
never becomes HTML, a link or emphasis, and a string not from the catalogue is escaped whole.

>>> print(t("text.plain", "en", text="X<img src=x onerror=alert(1)> *a*").markdown)
X&lt;img src=x onerror=alert(1)&gt; \\*a\\*
"""

from __future__ import annotations

import html
import numbers
import re
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
    return fill(text, **values) if values else Text(text)


# ------------------------------------------------------------------------- data in Markdown

#: Line breaks of any kind: a value stays on its line (no heading, list or table from data).
_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
#: ASCII punctuation Markdown (and nbconvert's: ``~~strike~~``, ``$math$``, tables) reads
#: anywhere in a line; ``&``, ``<``, ``>`` are HTML-escaped and a backslash becomes
#: ``&#92;`` (nbconvert would read a backslash-escaped parenthesis as math).
_INLINE = re.compile(r"[`*_\[\]~$|]")
#: What opens a block at the start of a line: ``#`` heading, ``-``/``+`` list item,
#: ``1.``/``1)`` ordered item, a line of ``-`` or ``=`` (rule, setext heading).
_BLOCK = re.compile(r"^[ \t]{0,3}(?:(?P<mark>#{1,6}|[-+])(?=\s|$)|\d{1,9}(?P<num>[.)])(?=\s|$)"
                    r"|(?P<rule>[-=])(?=[-=\s]*$))")


def md_escape(value) -> str:
    """A data value as literal text in Markdown that is rendered to HTML: what it says is
    shown, never markup. HTML-escaped (``<img …>`` stays text), Markdown punctuation
    backslash-escaped (no emphasis, code, link, image, math or strike-through), ``://``
    escaped (no bare link), line breaks made spaces, a block marker at its start escaped.
    Other characters are kept, the private-use markers of :mod:`cxlab.disclosure`
    (U+E000–U+E002) included.

    >>> md_escape("I07<img src=x onerror=alert(1)> *x* [a](javascript:alert(1)) $x^2$")
    'I07&lt;img src=x onerror=alert(1)&gt; \\\\*x\\\\* \\\\[a\\\\](javascript:alert(1)) \\\\$x^2\\\\$'
    """
    text = _BREAKS.sub(" ", "" if value is None else str(value))
    text = html.escape(text, quote=False).replace("\\", "&#92;")
    text = _INLINE.sub(lambda m: "\\" + m.group(), text).replace("://", "\\://")
    m = _BLOCK.match(text)
    if m:
        at = next(m.start(g) for g in ("mark", "num", "rule") if m.group(g) is not None)
        text = text[:at] + "\\" + text[at:]
    return text


class Text(str):
    """A report's text: the plain string (for tables, charts and page titles, which escape
    on their own) with ``markdown``, the same text for a Markdown output, where every data
    value filled into it is escaped (:func:`md_escape`). Made by :func:`t` and
    :func:`fill`; joining or slicing gives a plain ``str`` again (data: escaped whole)."""

    markdown: str

    def __new__(cls, plain: str = "", markdown: str | None = None):
        self = super().__new__(cls, plain)
        self.markdown = str(plain) if markdown is None else markdown
        return self

    def __reduce__(self):
        return (Text, (str(self), self.markdown))


def as_markdown(value) -> str:
    """``value`` for a Markdown output: a :class:`Text`'s Markdown (trusted text, values
    escaped); anything else is data, escaped whole (:func:`md_escape`)."""
    return value.markdown if isinstance(value, Text) else md_escape(value)


def _md_value(value):
    if isinstance(value, Text):
        return value.markdown
    if isinstance(value, numbers.Number):  # digits, sign, point: nothing Markdown reads
        return value
    return md_escape(value)


def fill(template: str, **values) -> Text:
    """``template`` (trusted: the catalogue's, or the code's own Markdown such as
    ``"**{name}** — {evidence}"``) with ``values`` (data) filled in: the plain text, and
    the Markdown with each value escaped unless it is a :class:`Text` itself."""
    plain = template.format(**values)
    return Text(plain, template.format(**{k: _md_value(v) for k, v in values.items()}))


def join(sep: str, items) -> Text:
    """``sep.join(items)`` that keeps each item's Markdown (``sep`` is trusted)."""
    items = list(items)
    return Text(sep.join(map(str, items)), sep.join(as_markdown(x) for x in items))


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
