"""What clients say, as a stakeholder reads it: the theme table, the distinguishing
words, the off-questionnaire candidates, theme counts of events, and redacted quotes.

The analysis is :mod:`cxlab.text`; these functions only present it, under the two rules
of :mod:`cxlab.suppression`:

- a theme's share is an estimate (shown from ``min_n`` comments) whose numerator is a
  count of people (the answers whose comment mentions the theme): it is registered with
  the disclosure audit as a rate of two counts, so a share that gives away a mention
  count from 1 to the threshold − 1 (2 of 40 detractors) is hidden by the audit;
- words are shown only when used in at least the disclosure threshold of the side's
  comments, never a word that is a person's name;
- quotes are shown only when the study allows them (``quotes: true``), only from a theme
  mentioned by at least the disclosure threshold of the quarter's comments, redacted
  (names, phones, e-mails, links, handles), and never with their date, channel or author.
"""

from __future__ import annotations

import html

import pandas as pd

from cxlab import disclosure, i18n
from cxlab.report.formats import _pct_ci, change_text, col_label, fmt_num
from cxlab.suppression import (
    _own_ok,
    events_text,
    people_cell,
    rate_text,
    suppressed_label,
    threshold,
)

__all__ = ["themes_view", "terms_view", "candidates_view", "theme_counts_view",
           "quotes_view", "quotable"]


def _theme_labels(book, lang: str) -> dict:
    return {t: book.label(t, lang) for t in book.ids}


def _mentions_id(value, members) -> str | None:
    """Register a count of people the page does not show (a share's numerator): the
    audit needs it to know what n × share gives."""
    led = disclosure.ledger()
    if led is None or members is None or pd.isna(value):
        return None
    return led.count(int(value), members, False)


def themes_view(table: pd.DataFrame, book, lang: str = "en", min_n: int = 30) -> pd.DataFrame:
    """:func:`cxlab.text.theme_table` for stakeholders: one row per theme, one column per
    NPS category with the share of its comments that mention the theme and the interval,
    a first row with the number of comments of each category, and the change of the
    share among all comments from the previous quarter (marked only where significant).
    """
    cats = [c for c in ("detractor", "passive", "promoter", "all")
            if c in table.index.get_level_values("category")]
    # themes by their share of all the quarter's comments, the most mentioned first
    alls = table.xs("all", level="category")["share"].fillna(-1.0)
    themes = list(alls.sort_values(ascending=False, kind="stable").index)
    first = table.xs(themes[0], level="theme")
    n_texts, n_ids = {}, {}
    for cat in cats:
        members = disclosure.lookup(table, "n", (themes[0], cat))
        n_texts[cat], n_ids[cat] = people_cell(first.at[cat, "n"], lang, members, min_n=min_n,
                                               estimates=True)
    rows = {}
    for cat in cats:
        col = [n_texts[cat]]
        for t in themes:
            r = table.loc[(t, cat)]
            if not _own_ok([r["n"]], min_n)[0]:
                col.append(suppressed_label(min_n))
                continue
            num = _mentions_id(r["mentions"], disclosure.lookup(table, "mentions", (t, cat)))
            text = _pct_ci(r["share"], r["ci_low"], r["ci_high"], lang)
            col.append(rate_text(text, num, n_ids[cat], r["share"], digits=0, scale=100))
        rows[col_label(f"voice_{cat}", lang)] = col
    prev = table.attrs.get("previous", "")
    change = ["–"]
    for t in themes:
        r = table.loc[(t, "all")]
        small = not (r["n"] >= min_n and r["n_previous"] >= min_n)
        change.append(change_text(None if pd.isna(r["change"]) else r["change"] * 100,
                                  r["diff_ci_low"] * 100, r["diff_ci_high"] * 100, r["p"],
                                  small, lang))
    rows[col_label("voice_change", lang, prev=prev)] = change
    labels = _theme_labels(book, lang)
    index = pd.Index([i18n.t("voice.comments_n", lang)] + [labels[t] for t in themes],
                     name=col_label("voice_theme", lang))
    return pd.DataFrame(rows, index=index).astype(object)


def _is_name(term: str) -> bool:
    """Whether any word of ``term`` may be a person's name (never shown as a word)."""
    from cxlab import _russian

    return any(_russian.may_be_name(_russian.bare(w)) for w in term.split(" "))


def terms_view(terms: pd.DataFrame, comments: pd.DataFrame, lang: str = "en",
               top: int = 10) -> pd.DataFrame:
    """:func:`cxlab.text.detractors_vs_promoters` for stakeholders: each side's ``top``
    words and phrases with their z-score, only those used in at least the disclosure
    threshold of that side's comments, and never a word that may be a name."""
    from cxlab import _russian

    k = threshold()
    cat = comments["category"].astype("string")
    sides = {"a": comments.loc[(cat == "detractor").fillna(False).to_numpy(bool), "lemmas"],
             "b": comments.loc[(cat == "promoter").fillna(False).to_numpy(bool), "lemmas"]}
    grams = {s: [set(ws) | set(_russian.phrases(ws)) for ws in lem] for s, lem in sides.items()}
    out = []
    for side, label in (("a", "voice_detractors_say"), ("b", "voice_promoters_say")):
        t = terms[terms["side"] == side].sort_values("z", ascending=side == "b", kind="stable")
        kept = []
        for term, r in t.iterrows():
            if _is_name(term) or sum(term in g for g in grams[side]) < k:
                continue
            kept.append((_term_text(term), fmt_num(r["z"], 1, lang, sign=True)))
            if len(kept) == top:
                break
        out.append((col_label(label, lang), kept))
    depth = max((len(k) for _, k in out), default=0)
    rows = {}
    for header, kept in out:
        rows[header] = [f"{w} ({z})" for w, z in kept] + ["–"] * (depth - len(kept))
    return pd.DataFrame(rows, index=pd.RangeIndex(1, depth + 1, name="#")).astype(object)


def _term_text(term: str) -> str:
    """A lemma as a reader reads it: ``не_понравиться`` → ``не понравиться``."""
    return term.replace("_", " ")


def candidates_view(cands: pd.DataFrame, book, lang: str = "en") -> pd.DataFrame:
    """:func:`cxlab.text.candidates` for stakeholders: what detractors raise that the
    questionnaire does not ask about, the number of detractors' comments (a count of
    people, audited) and the z-score against promoters."""
    labels = _theme_labels(book, lang)
    rows = {col_label("voice_detractor_comments", lang): [],
            col_label("voice_z", lang): []}
    index = []
    for cand, r in cands.iterrows():
        if r["kind"] == "word" and _is_name(cand):
            continue
        members = disclosure.lookup(cands, "detractor_comments", cand)
        text, _ = people_cell(r["detractor_comments"], lang, members)
        rows[col_label("voice_detractor_comments", lang)].append(text)
        rows[col_label("voice_z", lang)].append(fmt_num(r["z"], 1, lang, sign=True))
        index.append(labels.get(cand, _term_text(cand)) if r["kind"] == "theme"
                     else f"«{_term_text(cand)}»")
    return pd.DataFrame(rows, index=pd.Index(index, name=col_label("voice_candidate", lang)),
                        dtype=object)


def theme_counts_view(counts: pd.DataFrame, book, lang: str = "en") -> pd.DataFrame:
    """:func:`cxlab.text.theme_counts` (complaints, feedback messages: events, always
    shown) for stakeholders, themes with no text in either quarter left out."""
    t = counts[(counts["count"] + counts["count_previous"]) > 0]
    labels = _theme_labels(book, lang)
    prev = counts.attrs.get("previous", "")
    view = pd.DataFrame({
        col_label("voice_texts", lang): [events_text(v, lang) for v in t["count"]],
        col_label("voice_texts_previous", lang, prev=prev): [events_text(v, lang) for v in t["count_previous"]],
    }, index=pd.Index([labels[x] for x in t.index], name=col_label("voice_theme", lang)))
    return view.astype(object)


def quotable(table: pd.DataFrame, study) -> list[str]:
    """The themes whose quotes a stakeholder page may show: the study allows quotes and
    at least the disclosure threshold of the quarter's comments mention the theme."""
    if not getattr(study, "quotes", False):
        return []
    k = threshold(study)
    alls = table.xs("all", level="category").sort_values("mentions", ascending=False,
                                                          kind="stable")
    return [t for t, r in alls.iterrows() if r["mentions"] >= k]


def quotes_view(quotes: dict, book, lang: str = "en"):
    """Quotes by theme as HTML (each value escaped): ``{theme: [redacted text, …]}``.
    Only the text: never a date, a channel or an author."""
    from IPython.display import HTML

    parts = []
    for theme, texts in quotes.items():
        if not texts:
            continue
        items = "".join(f"<li>«{html.escape(disclosure.unmark(q))}»</li>" for q in texts)
        parts.append(f"<p><strong>{html.escape(book.label(theme, lang))}</strong></p>"
                     f"<ul class='cx-quotes'>{items}</ul>")
    if not parts:
        return HTML(f"<p>{html.escape(i18n.t('voice.no_quotes', lang))}</p>")
    return HTML("".join(parts))
