"""How numbers and codes read in a report: typographic minus, decimal comma in Russian,
intervals, p-values, counts, and the reader's labels of coded values and column headers.

>>> fmt_num(-12.34, 1, lang="ru")
'−12,3'
>>> estimate_text(0.4321, 0.40, 0.46, scale=100, suffix="%")
'43% [40, 46]'
"""

from __future__ import annotations

import re

import pandas as pd

from cxlab import i18n

# ------------------------------------------------------------------------- numbers

MINUS = "\u2212"


def fmt_num(x, digits: int = 0, lang: str = "en", sign: bool = False) -> str:
    """A number for a reader: typographic minus, a decimal comma in Russian, "–" if missing."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if v != v:  # NaN
        return "–"
    v = round(v, digits) + 0.0  # avoid "-0"
    text = f"{abs(v):,.{digits}f}".replace(",", "\u202f")
    if lang == "ru":
        text = text.replace(".", ",")
    if v < 0:
        return MINUS + text
    return ("+" + text) if sign and v > 0 else text


def estimate_text(est, lo, hi, digits: int = 0, lang: str = "en", scale: float = 1.0,
                  suffix: str = "", sign: bool = False) -> str:
    """``"42 [35, 49]"``: an estimate with its interval (``scale=100`` for shares as %)."""
    sep = "; " if lang == "ru" else ", "
    f = lambda v, s=False: fmt_num(None if v is None else float(v) * scale, digits, lang, s)  # noqa: E731
    if f(est) == "–":
        return "–"
    return f"{f(est, sign)}{suffix} [{f(lo, sign)}{sep}{f(hi, sign)}]"


def change_text(change, lo, hi, p, small: bool, lang: str = "en", alpha: float = 0.05,
                digits: int = 0) -> str:
    """A change marked only where significant: ``"▲ +12 [4, 20]"`` or ``"no significant change"``."""
    if change is None or pd.isna(change):
        return "–"
    if small:
        return i18n.t("text.change_small_n", lang)
    if pd.notna(p) and float(p) < alpha:
        arrow = "▲" if change > 0 else "▼"
        return f"{arrow} {estimate_text(change, lo, hi, digits, lang, sign=True)}"
    return i18n.t("text.no_significant_change", lang, change=fmt_num(change, digits, lang, True))


def p_text(p, lang: str = "en") -> str:
    """A p-value for a reader: ``"p < 0.001"``, ``"p = 0.04"``, ``"p = 0.58"``."""
    if p is None or pd.isna(p):
        return "–"
    p = float(p)
    if p < 0.001:
        return "p < " + fmt_num(0.001, 3, lang)
    return "p = " + fmt_num(p, 3 if p < 0.01 else 2, lang)


def _p_text(p, lang: str) -> str:
    return p_text(p, lang)


def count_text(v, min_n: int = 30, lang: str = "en", members=None) -> str:
    """A count of people for a reader (:func:`cxlab.suppression.people_text`): "hidden"
    from 1 to the disclosure threshold − 1, ``"0"`` for none, "–" if missing. In a report
    run it needs the ``members`` it counts (the audit refuses a count without them)."""
    from cxlab.suppression import people_text

    return people_text(v, lang, members, min_n=min_n)


def yes_no(value, lang: str = "en") -> str:
    """A boolean as a word in the report language ("–" when missing)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    return i18n.t("text.yes" if bool(value) else "text.no", lang)


def _pct(v, lang: str) -> str:
    text = fmt_num(None if v is None or pd.isna(v) else 100 * float(v), 0, lang)
    return text if text == "–" else text + "%"


def _pct_ci(s, lo, hi, lang: str) -> str:
    return estimate_text(s, lo, hi, 0, lang, scale=100, suffix="%")


# ------------------------------------------------------------------------- labels

#: Index levels whose values are codes translated with :func:`cxlab.i18n.label` (besides
#: the code lists of the study in use: its segments and ``codes``).
CODE_LEVELS = ("channel", "survey", "origin", "importance", "source", "cohort",
               "nps_group", "group")


def _is_code_level(name) -> bool:
    st = i18n.active_study()
    return name in CODE_LEVELS or (st is not None and isinstance(name, str)
                                   and st.codelist(name) is not None)


#: Kinds of coded values, searched in this order when an index level's name does not say
#: which kind its values are (``group`` in a comparison, ``figure`` in a table).
_LABEL_KINDS = ("channel", "survey", "cohort", "nps_group", "origin", "importance",
                "source", "figure", "method", "segment", "group")


def code_label(value, lang: str = "en", kind: str | None = None) -> str:
    """The reader's label of a coded value; ``kind`` first, then every kind of code."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return i18n.label(kind or "", None, lang)
    kinds = ([kind] if kind else []) + [k for k in _LABEL_KINDS if k != kind]
    st = i18n.active_study()
    if st is not None:
        kinds += [k for k in list(st.segments) + list(st.codes) if k not in kinds]
    for k in kinds:
        own = i18n.study_label(k, value, lang)
        if own is not None:
            return own
        if i18n.has(f"code.{k}.{value}", lang):
            return i18n.t(f"code.{k}.{value}", lang)
    return str(value)


def col_label(name: str, lang: str, **values) -> str:
    """A column or index header in the report language: the catalogue's, else the study's
    name of a segment (``travel_class`` → «Класс»), else the name itself."""
    key = f"col.{name}"
    if i18n.has(key, lang):
        return i18n.t(key, lang, **values)
    own = i18n.study_label("segment", name, lang)
    return own if own is not None else str(name)


def _quadrant_label(q: str, lang: str) -> str:
    key = "quadrant." + str(q).replace(" ", "_")
    return i18n.t(key, lang) if i18n.has(key, lang) else str(q)


def _translate_index(table: pd.DataFrame, lang: str, kinds: dict | None = None) -> pd.DataFrame:
    """Index values (codes) and names in the report language."""
    kinds = kinds or {}
    out = table.copy()

    def one(level_name, values):
        kind = kinds.get(level_name, level_name if _is_code_level(level_name) else None)
        if kind is None:
            return [str(v) for v in values]
        return [i18n.label(kind, v, lang) for v in values]

    idx = out.index
    if isinstance(idx, pd.MultiIndex):
        arrays = [one(name, idx.get_level_values(i)) for i, name in enumerate(idx.names)]
        names = [col_label(n, lang) if n else n for n in idx.names]
        out.index = pd.MultiIndex.from_arrays(arrays, names=names)
    else:
        out.index = pd.Index(one(idx.name, idx), name=col_label(idx.name, lang) if idx.name else None)
    return out


def _level_kind(name, kinds: dict | None):
    kinds = kinds or {}
    if name in kinds:
        return kinds[name]
    return name if _is_code_level(name) or name in _LABEL_KINDS else "free"


def _labels_for(values, name, lang: str, kinds: dict | None, labels: dict | None):
    kind = _level_kind(name, kinds)
    out = []
    for v in values:
        if labels and v in labels:
            out.append(str(labels[v]))
        elif kind == "free" and not (isinstance(v, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", v)):
            out.append("–" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v))
        else:  # a code, or something that looks like one (snake_case)
            out.append(code_label(v, lang, None if kind == "free" else kind))
    return out
