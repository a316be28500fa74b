"""Small numbers in a stakeholder report: two thresholds, said plainly, and the texts
shown instead. This module owns both rules for tables, charts and sentences.

- **Reliability, ``min_n``** (the study's ``min_n``, default 30): an *estimate* — NPS, a
  share, a mean, a median, a difference, a p-value — from fewer answers is not shown as a
  finding; it reads ``"n < 30"`` (:func:`suppressed_label`). Its n is still shown when the
  disclosure rule allows: a reader sees *why* there is no figure.
- **Disclosure, ``disclosure``** (the study's ``disclosure``, default 5): a *count of people
  or families* (answers, clients, invitations) from 1 to ``disclosure − 1`` is never shown
  and can't be worked out from anything else on the quarter's pages. This is the threshold
  rule of statistical disclosure control (Hundepool et al., *Statistical Disclosure
  Control*, Wiley 2012, §5.2; the UK Office for National Statistics' and NHS England's
  small-number policies suppress counts under 5 in the same way, their default here). Each
  such count reads :func:`hidden_label` ("hidden"); the quarter-wide audit
  (:mod:`cxlab.disclosure`) hides further figures with the *same* label where a small count
  could be recovered by subtraction, from a margin or as n × rate, so the label says nothing
  about the size. Zero is shown: it describes nobody.
- **Counts of events** (complaints, contacts, requests) are not counts of people: they are
  shown (:func:`events_text`) — ten safety complaints must reach the head of service — and
  the estimates made from them follow ``min_n``.

Tables, charts (``cxlab.plots``) and sentences test the reliability rule with
:func:`too_few`. Table and sentence code calls :func:`people_text` for every count of people: it applies the
disclosure rule and, in a renderer's kernel, registers the count with the ledger (its
members, whether its estimates are shown) and marks its text for the audit. Analysis code
records the members (:func:`cxlab.disclosure.attach`).
"""

from __future__ import annotations

import pandas as pd

from cxlab import disclosure, i18n
from cxlab.errors import DisclosureError, ParameterError


# ------------------------------------------------------------------------- the thresholds

def threshold(study=None) -> int:
    """The disclosure threshold: the study's ``disclosure`` (the active study's when none
    is given), else :data:`cxlab.disclosure.DEFAULT_THRESHOLD`."""
    st = study if study is not None else i18n.active_study()
    return int(getattr(st, "disclosure", disclosure.DEFAULT_THRESHOLD))


def hidden_label(lang: str = "en") -> str:
    """The one text of every hidden count, whatever the reason it is hidden."""
    return i18n.t("text.hidden", lang)


def _missing(v) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and pd.isna(v))


def _number(v: int, lang: str) -> str:
    from cxlab.report.formats import fmt_num  # the report's number format

    return fmt_num(v, 0, lang)


def events_text(v, lang: str = "en") -> str:
    """A count of events (complaints, contacts): always shown; "–" when missing."""
    return "–" if _missing(v) else _number(int(v), lang)


def people_cell(value, lang: str = "en", members=None, *, min_n: int | None = None,
                estimates: bool = False) -> tuple[str, str | None]:
    """A count of people for a reader, and its ledger id (None outside a report run).

    ``members`` (:class:`cxlab.disclosure.Members`) are the people it counts; a renderer's
    kernel refuses a count without them (it could not be audited). ``estimates``: the row
    shows estimates when the count reaches ``min_n`` — the reader learns which side of
    ``min_n`` a hidden count is on, and so does the audit's attacker.
    """
    if _missing(value):
        return "–", None
    v = int(value)
    shown = not (0 < v < threshold())
    text = _number(v, lang) if shown else hidden_label(lang)
    led = disclosure.ledger()
    if led is None:
        return text, None
    if members is None:
        raise DisclosureError(
            f"a count of people ({v}) reached the report without the members it counts: "
            "the disclosure audit could not check it (the analysis function must record "
            "them with cxlab.disclosure.attach)")
    cid = led.count(v, members, shown,
                    reliability=(v >= min_n) if estimates and min_n else None, min_n=min_n)
    return disclosure.mark(cid, text), cid


def people_text(value, lang: str = "en", members=None, **kw) -> str:
    """:func:`people_cell` without the id."""
    return people_cell(value, lang, members, **kw)[0]


def people_column(table, column: str, lang: str = "en", *, min_n: int | None = None,
                  estimates: bool = False) -> tuple[list[str], list]:
    """Texts and ledger ids of ``table[column]``, each with the members recorded for its
    row (:func:`cxlab.disclosure.lookup`)."""
    texts, ids = [], []
    for key, v in table[column].items():
        text, cid = people_cell(v, lang, disclosure.lookup(table, column, key),
                                min_n=min_n, estimates=estimates)
        texts.append(text)
        ids.append(cid)
    return texts, ids


def rate_text(text: str, numerator: str | None, denominator: str | None, share,
              digits: int = 0, scale: float = 100.0) -> str:
    """A shown rate whose numerator and denominator are counts of people (their ledger
    ids): registered with the displayed precision so the audit knows what n × rate gives
    (``share`` as a fraction; shown as ``share × scale`` rounded to ``digits``)."""
    led = disclosure.ledger()
    if led is None or numerator is None or denominator is None or _missing(share):
        return text
    half = 0.5 * 10 ** (-digits) / scale
    cid = led.rate(numerator, denominator, max(float(share) - half, 0.0), float(share) + half)
    return disclosure.mark(cid, text)

# ------------------------------------------------------------------------- labels

def suppressed_label(min_n: int) -> str:
    """The text shown instead of a figure from fewer than ``min_n`` answers."""
    return f"n < {min_n}"


def small_count_label(min_n: int) -> str:
    """The text shown instead of a count from 1 to ``min_n − 1``."""
    return f"< {min_n}"


# ------------------------------------------------------------------------- whole rows

def suppress_small(table: pd.DataFrame, min_n: int = 30, n_col: str = "n",
                   columns=None) -> pd.DataFrame:
    """Replace every figure of a group with fewer than ``min_n`` answers by ``"n < min_n"``.

    Parameters
    ----------
    table : DataFrame
        One row per group, with a count column ``n_col``.
    min_n : int
        Smallest group whose figures may be shown.
    n_col : str
        The count column; it is suppressed too (a count of 3 can identify a family).
    columns : list of str, optional
        The columns to suppress; defaults to every column.

    Returns
    -------
    DataFrame
        A copy; suppressed columns become text (object dtype).
    """
    if n_col not in table.columns:
        raise ParameterError(
            f"suppress_small needs the count column {n_col!r}; the table has "
            f"{', '.join(map(str, table.columns))}"
        )
    out = table.copy()
    small = pd.to_numeric(out[n_col], errors="coerce").fillna(0) < min_n
    cols = list(out.columns) if columns is None else list(columns)
    if n_col not in cols:
        cols.append(n_col)
    for col in cols:
        out[col] = out[col].astype(object)
        out.loc[small, col] = suppressed_label(min_n)
    return out


# ------------------------------------------------------------------------- figure by figure
#
# The analyst notebooks are rendered into the stakeholder report too, so every table they
# show goes through :func:`readable`: headers from the catalogue, codes as labels, numbers
# formatted for a reader, technical columns (se, stat, method, small_n, …) left out, and
# suppression at the granularity of the figure:
#
# - a group's own figure is shown when its own n ≥ min_n;
# - a comparison (difference, p) also needs the reference group's n ≥ min_n, else it reads
#   "reference under 30" while the group's own figure stays;
# - a count of people from 1 to disclosure − 1 reads "hidden" (people_text); whether a
#   hidden count can be recovered from the rest of the quarter's pages is the audit's job
#   (cxlab.disclosure), across tables and pages, not a table's own.


#: Catalogue keys (``col.<key>``) of columns that hold counts of people.
COUNT_COLUMNS = ("n", "ref_n", "n_previous", "invitations", "responses", "clients",
                 "active_clients", "others_n")
#: … and of events (shown whatever their size).
EVENT_COLUMNS = ("complaints", "resolved")


def too_few(n, min_n: int):
    """The reliability rule, row by row: True where an estimate from ``n`` answers is not
    shown (``n`` missing or under ``min_n``) — for tables, charts and sentences alike."""
    import numpy as np

    return (pd.to_numeric(pd.Series(np.asarray(n, dtype=object)), errors="coerce")
            .fillna(0) < min_n).to_numpy()


def _own_ok(n, min_n: int) -> list[bool]:
    return [not small for small in too_few(n, min_n)]


def _own(ok: bool, text: str, min_n: int) -> str:
    return text if ok else suppressed_label(min_n)


def _cmp(ok: bool, ref_ok: bool, text: str, min_n: int, lang: str) -> str:
    if not ok:
        return suppressed_label(min_n)
    if not ref_ok:
        return i18n.t("text.ref_small", lang, min_n=min_n)
    return text
