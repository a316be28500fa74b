"""What clients say: themes in comments tied to the loyalty factors, the words that
separate detractors from promoters, and quotes without people.

The study gives each loyalty factor its theme lemmas (``factors: … themes: [расписание,
перенести, …]``) and may add themes the questionnaire does not ask about (``themes:``).
A comment mentions a theme when one of its lemmas (:func:`cxlab._russian.lemmas`:
razdel tokens, pymorphy3 normal forms) is one of the theme's, negated or not ("не
удобное расписание" mentions the schedule). Functions here take frames (the quarter's
responses, complaints, feedback messages) and return tables; they never read files.

- :func:`tag` marks each text with the themes it mentions;
- :func:`theme_table`: per theme and NPS category (detractor / passive / promoter / all),
  the share of the quarter's comments that mention it, with its interval, and the
  change from the previous quarter;
- :func:`distinguishing_terms`: the lemmas and two-word phrases that most separate
  detractors' comments from promoters', by the weighted log-odds ratio with an
  informative Dirichlet prior (Monroe, Colaresi & Quinn 2008);
- :func:`candidates`: what detractors raise that no theme of the questionnaire covers
  (the seeds' hypothesis → factor → question cycle starts there);
- :func:`quotes`: example comments of a theme, redacted (:func:`cxlab._russian.redact`).

What the methods assume
-----------------------
- **Shares** are of comments, not of answers: an answer without a comment says nothing
  about themes. A family's comments in one quarter are clustered by ``client_id`` when
  the column exists (the cluster-robust variance of :mod:`cxlab._design`; the interval is
  Wilson's on the effective count), else independent. Quarters are compared as
  independent samples (Newcombe's square-and-add interval; z-test on the two variances).
- **Log-odds** treat each group's words as one multinomial sample (word counts, every
  word of every comment), as Monroe et al. do; the prior is the word counts of a larger
  background (by default all comments given), scaled to ``prior_size`` words. The z-score
  is the estimate over its approximate standard error (their eq. 16 and 18), not a test
  corrected for the many words compared: read it as a ranking, with |z| ≥ 1.96 as a
  rough guide.
- **Themes** are lemma lists: a comment about the schedule that uses none of the listed
  words is missed, and a listed word used in another sense counts. The candidates and the
  distinguishing words are there to find what the lists miss.

References
----------
Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: lexical feature
selection and evaluation for identifying the content of political conflict.
*Political Analysis* 16(4), 372–403.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from cxlab import _design, _intervals, _members, _russian, disclosure
from cxlab.errors import ParameterError

__all__ = ["COLUMNS", "ThemeBook", "themes_of", "lemmatize", "tag", "commented", "theme_table",
           "distinguishing_terms", "detractors_vs_promoters", "candidates", "quotes", "CATEGORIES", "theme_counts"]

#: NPS categories in the order tables show them; ``all`` is every comment of the quarter.
CATEGORIES = ("detractor", "passive", "promoter", "all")
#: The answers' columns the text analysis reads (``QuarterData.recent_responses(…,
#: columns=COLUMNS)``): ids for the audit and the clusters, the time, the score, the text.
COLUMNS = ["response_id", "client_id", "submitted_at", "nps", "comment"]


@dataclass(frozen=True)
class ThemeBook:
    """The themes of one study: id → lemmas, their labels, and which are questionnaire
    factors (the others are themes the questionnaire does not ask about)."""

    lemmas: Mapping[str, frozenset]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    factors: frozenset = frozenset()

    def label(self, theme: str, lang: str = "en") -> str:
        lab = self.labels.get(theme, {})
        return lab.get(lang) or lab.get("en") or theme.replace("_", " ")

    @property
    def ids(self) -> list[str]:
        return list(self.lemmas)

    def covers(self, lemma: str) -> bool:
        """Whether some theme lists ``lemma`` (or, for a phrase, one of its words)."""
        words = [_russian.bare(w) for w in lemma.split(" ")]
        return any(w in lems for w in words for lems in self.lemmas.values())


def themes_of(study) -> ThemeBook:
    """The study's themes: each factor with ``themes:`` lemmas under the factor's id, then
    the study's own ``themes:`` (those the questionnaire does not ask about)."""
    lemmas, labels, factors = {}, {}, set()
    for fid, f in getattr(study, "factors", {}).items():
        if f.themes:
            lemmas[fid] = frozenset(_norm_lemma(x) for x in f.themes)
            labels[fid] = {lang: f.label(lang) for lang in ("en", "ru")}
            factors.add(fid)
    for tid, th in (getattr(study, "themes", None) or {}).items():
        lemmas[tid] = frozenset(_norm_lemma(x) for x in th.lemmas)
        labels[tid] = dict(th.labels)
    return ThemeBook(lemmas, labels, frozenset(factors))


def _norm_lemma(word: str) -> str:
    return str(word).strip().lower().replace("ё", "е")


# ------------------------------------------------------------------------- lemmas and tags

def lemmatize(texts: pd.Series) -> pd.Series:
    """The lemmas of each text (a list; empty for a missing or empty text), negation kept
    (``не_понравиться``). Identical texts are analysed once."""
    s = pd.Series(texts, copy=False)
    filled = s.where(s.notna(), "").astype(str)
    uniq = pd.unique(filled.to_numpy())
    done = {t: (_russian.lemmas(t) if t.strip() else []) for t in uniq}
    return pd.Series([done[t] for t in filled], index=s.index, dtype=object)


def tag(lemmas: pd.Series, book: ThemeBook) -> pd.DataFrame:
    """One boolean column per theme: does the text mention it? ``lemmas`` as
    :func:`lemmatize` gives them.

    A theme is a topic, and negation does not change the topic: a theme's lemma ``x``
    matches ``x``, ``не_x`` and ``нет_x`` ("не удобно" and "нет парковки" are about
    convenience and parking). A theme that lists a negated lemma (``не_понравиться``)
    matches only the negated use. Whether a comment is for or against is its NPS
    category, not its theme."""
    bare = [{_russian.bare(w) for w in ws} | set(ws) for ws in lemmas]
    return pd.DataFrame({t: np.fromiter((not lems.isdisjoint(b) for b in bare), bool,
                                        count=len(bare))
                         for t, lems in book.lemmas.items()}, index=lemmas.index)


def commented(responses: pd.DataFrame, column: str = "comment") -> pd.DataFrame:
    """The answers with a non-empty comment, with their ``category`` (detractor / passive
    / promoter from ``nps``; missing for yes/no answers), ``quarter`` and ``lemmas``."""
    from cxlab.metrics import nps_category

    if column not in responses.columns:
        raise ParameterError(f"the answers have no {column!r} column; expected the "
                             "comments in it")
    text = responses[column]
    keep = text.notna() & (text.astype("string").str.strip().fillna("") != "")
    out = responses.loc[keep.to_numpy()].copy()
    out["category"] = (nps_category(out["nps"]) if "nps" in out.columns
                       else pd.Series(pd.NA, index=out.index, dtype="string"))
    if "submitted_at" in out.columns:
        out["quarter"] = pd.PeriodIndex(out["submitted_at"], freq="Q").astype(str)
    out["lemmas"] = lemmatize(out[column])
    return out


# ------------------------------------------------------------------------- theme shares

def _share_stats(hit: np.ndarray, clusters: pd.Series | None, level: float) -> dict:
    """Share of ``hit`` with its clustered variance and Wilson interval on the effective
    count (the metrics' share machinery)."""
    from cxlab.metrics import _share_design

    n = len(hit)
    if n == 0:
        return {"n": 0, "mentions": 0, "share": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "var": np.nan, "deff": np.nan}
    frame = pd.DataFrame({"client_id": clusters} if clusters is not None else {},
                         index=range(n))
    d = _design.design(frame, "client_id" if clusters is not None else None)
    m = _share_design(hit.astype(float), np.ones(n, bool), np.zeros(n, np.int64), 1, d, level)
    share = float(m["mean"][0])
    var = float(m["var"][0]) if "var" in m else share * (1 - share) / n
    return {"n": n, "mentions": int(hit.sum()), "share": share,
            "ci_low": float(m["ci_low"][0]), "ci_high": float(m["ci_high"][0]),
            "var": var, "deff": float(m["deff"][0])}


def theme_table(responses: pd.DataFrame, study=None, quarter: str | None = None, *,
                book: ThemeBook | None = None, min_n: int = 30, level: float = 0.95,
                column: str = "comment") -> pd.DataFrame:
    """Per theme and NPS category, the share of the quarter's comments that mention it,
    with its interval, and the change from the previous quarter.

    Parameters
    ----------
    responses : DataFrame
        Answers of the quarter and, for the change, of the quarter before (more is
        ignored): ``submitted_at``, ``nps``, the comment column; ``client_id`` when
        present clusters a family's comments; ``response_id`` records the members of the
        counts for the disclosure audit.
    study : Study
        Its themes (:func:`themes_of`), unless ``book`` is given.
    quarter : str, optional
        ``2026Q3``; default the latest quarter with a comment.

    Returns
    -------
    DataFrame
        Index (``theme``, ``category``) with the categories of :data:`CATEGORIES`;
        columns ``n`` (comments in the category), ``mentions``, ``share``, ``ci_low``,
        ``ci_high``, ``deff``, ``n_previous``, ``share_previous``, ``change``,
        ``diff_ci_low``, ``diff_ci_high``, ``p``, ``small_n``. ``attrs``: ``quarter``,
        ``previous``, ``assumption``; the members of ``n`` and ``mentions``.
    """
    from cxlab.quarter import previous_quarter

    book = book if book is not None else themes_of(study)
    if not book.lemmas:
        raise ParameterError("no themes: give the study's factors `themes:` lemmas (or "
                             "add `themes:` to the study)")
    c = responses if "lemmas" in responses.columns else commented(responses, column)
    if quarter is None:
        if not len(c):
            raise ParameterError("no comments to analyse")
        quarter = str(c["quarter"].max())
    prev = previous_quarter(quarter)
    tags = tag(c["lemmas"], book)
    clusters = "client_id" in c.columns and bool(c["client_id"].notna().any())
    rows, keys = [], []
    member_frames = []
    for t in book.ids:
        for cat in CATEGORIES:
            stats_q = {}
            for q in (quarter, prev):
                sel = (c["quarter"] == q).to_numpy(dtype=bool, copy=True)
                if cat != "all":
                    sel &= (c["category"] == cat).fillna(False).to_numpy(dtype=bool)
                hit = tags[t].to_numpy()[sel]
                cl = c.loc[sel, "client_id"].reset_index(drop=True) if clusters else None
                stats_q[q] = _share_stats(hit, cl, level)
                if q == quarter:
                    member_frames.append((t, cat, sel, tags[t].to_numpy()))
            a, b = stats_q[quarter], stats_q[prev]
            row = {k: a[k] for k in ("n", "mentions", "share", "ci_low", "ci_high", "deff")}
            row["n_previous"], row["share_previous"] = b["n"], b["share"]
            if a["n"] and b["n"]:
                lo, hi = _intervals.mover(a["share"], a["ci_low"], a["ci_high"],
                                          b["share"], b["ci_low"], b["ci_high"])
                se = np.sqrt(a["var"] + b["var"])
                z = (a["share"] - b["share"]) / se if se > 0 else np.nan
                row.update(change=a["share"] - b["share"], diff_ci_low=float(lo),
                           diff_ci_high=float(hi),
                           p=float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan)
            else:
                row.update(change=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan, p=np.nan)
            rows.append(row)
            keys.append((t, cat))
    out = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(keys, names=["theme", "category"]))
    out["small_n"] = out["n"] < min_n
    this = c[(c["quarter"] == quarter).to_numpy(dtype=bool)]
    out.attrs.update(quarter=quarter, previous=prev, level=level,
                     assumption=_design.design(this, "client_id" if clusters else None).assumption)
    _record_members(out, c, member_frames)
    return out


def _record_members(out: pd.DataFrame, c: pd.DataFrame, frames) -> None:
    """The answers behind each row's ``n`` and ``mentions`` (for the disclosure audit)."""
    if "response_id" not in c.columns:
        return
    ids = _members.ids_of(c, "answers")
    n_m, hit_m = {}, {}
    for t, cat, sel, hit in frames:
        n_m[(t, cat)] = disclosure.Members("answers", ids[sel])
        hit_m[(t, cat)] = disclosure.Members("answers", ids[sel & hit])
    n_m[()] = disclosure.Members("answers", ids)
    hit_m[()] = disclosure.Members("answers", ids)
    _members.attach(out, "n", n_m)
    _members.attach(out, "mentions", hit_m)


def theme_counts(texts: pd.DataFrame, book: ThemeBook, quarter: str, *, time: str,
                 column: str) -> pd.DataFrame:
    """Per theme, how many texts of the quarter and of the one before mention it: for
    texts that are events, not people (complaint descriptions, feedback messages).
    Columns ``count``, ``count_previous``, ``change``; ``attrs['total']`` the quarter's
    texts, ``attrs['total_previous']``."""
    from cxlab.quarter import previous_quarter

    prev = previous_quarter(quarter)
    q = pd.PeriodIndex(texts[time], freq="Q").astype(str)
    lem = lemmatize(texts[column])
    tags = tag(lem, book)
    now, before = (q == quarter), (q == prev)
    out = pd.DataFrame({"count": tags[now].sum().astype("int64"),
                        "count_previous": tags[before].sum().astype("int64")})
    out["change"] = out["count"] - out["count_previous"]
    out.index.name = "theme"
    out.attrs.update(quarter=quarter, previous=prev, total=int(now.sum()),
                     total_previous=int(before.sum()), counts="events")
    return out


# ------------------------------------------------------------------------- log-odds

def _term_counts(lemma_lists) -> Counter:
    out: Counter = Counter()
    for ws in lemma_lists:
        out.update(ws)
        out.update(_russian.phrases(ws))
    return out


def distinguishing_terms(a_lemmas, b_lemmas, prior_lemmas=None, *, prior_size: float | None = None,
                         min_count: int = 3, top: int | None = 15) -> pd.DataFrame:
    """The lemmas and two-word phrases that most separate texts ``a`` from texts ``b``:
    the weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi &
    Quinn 2008, eq. 16 and 18).

    For a term ``w`` with counts ``y_a``, ``y_b`` among ``n_a``, ``n_b`` terms and prior
    ``α_w`` (``α_0 = Σ α_w``)::

        δ_w = log((y_a + α_w) / (n_a + α_0 − y_a − α_w))
              − log((y_b + α_w) / (n_b + α_0 − y_b − α_w))
        σ²_w ≈ 1 / (y_a + α_w) + 1 / (y_b + α_w),   z_w = δ_w / σ_w

    Parameters
    ----------
    a_lemmas, b_lemmas : iterables of lemma lists (:func:`lemmatize`)
    prior_lemmas : iterable of lemma lists, optional
        The background whose term counts make the prior (default ``a`` and ``b``
        together); ``α_w`` is its share of ``w`` times ``α_0 = prior_size`` (default:
        the number of terms in ``a`` and ``b``, so the prior weighs as much as the data
        compared: a background a year long shrinks a quarter's rare words without
        drowning them).
    min_count : int
        Terms used fewer times in ``a`` and ``b`` together are left out (their z is all
        prior).
    top : int or None
        The ``top`` terms of each side (largest z for ``a``, smallest for ``b``); None:
        every term, sorted by z.

    Returns
    -------
    DataFrame
        Index ``term``; columns ``count_a``, ``count_b``, ``delta``, ``se``, ``z``,
        ``side`` (``"a"`` or ``"b"``). ``attrs``: ``n_a``, ``n_b`` (terms), ``texts_a``,
        ``texts_b``, ``alpha0``.
    """
    a_lemmas, b_lemmas = list(a_lemmas), list(b_lemmas)
    ya, yb = _term_counts(a_lemmas), _term_counts(b_lemmas)
    prior = _term_counts(prior_lemmas) if prior_lemmas is not None else ya + yb
    total_prior = sum(prior.values())
    n_ab = float(sum(ya.values()) + sum(yb.values()))
    a0 = float(prior_size) if prior_size is not None else n_ab
    terms = sorted(t for t in set(ya) | set(yb) if ya[t] + yb[t] >= min_count)
    cols = ["count_a", "count_b", "delta", "se", "z", "side"]
    if not terms or total_prior == 0:
        out = pd.DataFrame(columns=cols, index=pd.Index([], name="term"))
    else:
        y_a = np.array([ya[t] for t in terms], float)
        y_b = np.array([yb[t] for t in terms], float)
        # a term of a or b missing from a given background gets the smallest prior count
        alpha = np.array([prior[t] if prior[t] else 0.5 for t in terms], float)
        alpha *= a0 / float(total_prior)
        n_a, n_b = float(sum(ya.values())), float(sum(yb.values()))
        delta = (np.log((y_a + alpha) / (n_a + a0 - y_a - alpha))
                 - np.log((y_b + alpha) / (n_b + a0 - y_b - alpha)))
        se = np.sqrt(1.0 / (y_a + alpha) + 1.0 / (y_b + alpha))
        z = delta / se
        out = pd.DataFrame({"count_a": y_a.astype("int64"), "count_b": y_b.astype("int64"),
                            "delta": delta, "se": se, "z": z,
                            "side": np.where(z >= 0, "a", "b")},
                           index=pd.Index(terms, name="term"))
        out = out.sort_values("z", ascending=False, kind="stable")
        if top is not None:
            out = pd.concat([out[out["z"] > 0].head(top),
                             out[out["z"] < 0].sort_values("z", kind="stable").head(top)])
    out.attrs.update(n_a=int(sum(ya.values())), n_b=int(sum(yb.values())),
                     texts_a=len(a_lemmas), texts_b=len(b_lemmas), alpha0=a0)
    return out


def detractors_vs_promoters(comments: pd.DataFrame, quarter: str | None = None, *,
                            background: pd.DataFrame | None = None, top: int | None = 15,
                            min_count: int = 3) -> pd.DataFrame:
    """:func:`distinguishing_terms` of detractors' comments (side ``a``) against
    promoters' (side ``b``) in ``quarter`` (all of ``comments`` when None), with the
    comments of ``background`` as the prior: by default those of ``quarter`` and the
    quarter before (all of ``comments`` when ``quarter`` is None), so every page that
    shows the quarter's words shows the same figures whatever else it has read."""
    from cxlab.quarter import previous_quarter

    c = comments if quarter is None else comments[comments["quarter"] == quarter]
    if background is not None:
        bg = background
    elif quarter is None:
        bg = comments
    else:
        bg = comments[comments["quarter"].isin([quarter, previous_quarter(quarter)])]
    cat = c["category"].astype("string")
    return distinguishing_terms(c.loc[(cat == "detractor").fillna(False).to_numpy(bool), "lemmas"],
                                c.loc[(cat == "promoter").fillna(False).to_numpy(bool), "lemmas"],
                                bg["lemmas"], top=top, min_count=min_count)


def candidates(comments: pd.DataFrame, book: ThemeBook, quarter: str | None = None, *,
               background: pd.DataFrame | None = None, z: float = 1.96,
               min_comments: int = 5, top: int = 10, column: str = "comment") -> pd.DataFrame:
    """What detractors raise that the questionnaire does not ask about.

    Two kinds: the study's own themes that are not factors, when detractors mention them
    more than promoters (z ≥ ``z`` on the two shares); and nouns (topics: парковка,
    машина) that no theme lists and that separate detractors from promoters
    (:func:`detractors_vs_promoters`, z ≥ ``z``), used in at least ``min_comments``
    detractors' comments, and standing on their own: a noun that in most of its
    sentences comes with a theme's word is that theme's talk, not a new topic. A quarter
    has few detractors' comments: give a year of them (``quarter=None`` takes every
    comment given) for the power to see a steady theme. Returns index ``candidate``;
    columns ``kind`` (``theme`` / ``word``), ``detractor_comments``, ``share_detractors``,
    ``share_promoters``, ``z``.
    """
    c = comments if quarter is None else comments[comments["quarter"] == quarter]
    cat = c["category"].astype("string")
    det = (cat == "detractor").fillna(False).to_numpy(bool)
    pro = (cat == "promoter").fillna(False).to_numpy(bool)
    rows, who = {}, {}
    tags = tag(c["lemmas"], book)
    for t in book.ids:
        if t in book.factors:
            continue
        k_d, k_p = int(tags[t].to_numpy()[det].sum()), int(tags[t].to_numpy()[pro].sum())
        s = _two_share_z(k_d, int(det.sum()), k_p, int(pro.sum()))
        if s is not None and s[2] >= z and k_d >= min_comments:
            rows[t] = {"kind": "theme", "detractor_comments": k_d, "share_detractors": s[0],
                       "share_promoters": s[1], "z": s[2]}
            who[t] = det & tags[t].to_numpy()
    words = detractors_vs_promoters(c, background=background, top=None)
    bare_sets = [{_russian.bare(w) for w in ws} for ws in c["lemmas"]]
    for term, r in words.iterrows():
        # a candidate is a topic: a noun no theme lists (not a phrase, never a name)
        if r["z"] < z or " " in term or book.covers(term) or not _russian.is_noun(term) \
                or _russian.may_be_name(term):
            continue
        word = _russian.bare(term)
        has = np.fromiter((word in b for b in bare_sets), bool, count=len(bare_sets))
        k_d, k_p = int(has[det].sum()), int(has[pro].sum())
        if k_d < min_comments or word in rows:
            continue
        if _told_with_themes(c.loc[det & has, column], word, book) >= 0.5:
            continue  # part of a theme's talk ("объясняет родителям"), not a new topic
        rows[word] = {"kind": "word", "detractor_comments": k_d,
                      "share_detractors": k_d / max(int(det.sum()), 1),
                      "share_promoters": k_p / max(int(pro.sum()), 1), "z": float(r["z"])}
        who[word] = det & has
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["kind", "detractor_comments", "share_detractors",
                                          "share_promoters", "z"])
    out.index.name = "candidate"
    out = out.sort_values("z", ascending=False, kind="stable").head(top)
    if "response_id" in c.columns:  # the answers behind each count (the disclosure audit)
        ids = _members.ids_of(c, "answers")
        cells = {key: disclosure.Members("answers", ids[who[key]]) for key in out.index}
        cells[()] = disclosure.Members("answers", ids[det])
        _members.attach(out, "detractor_comments", cells)
    return out


def _told_with_themes(texts: pd.Series, word: str, book: ThemeBook) -> float:
    """The share of the sentences of ``texts`` that use ``word`` and also use a theme's
    word: a noun that mostly shares its sentence with a theme ("педагог ничего не
    объясняет *родителям*") is that theme's talk; a new topic stands on its own ("рядом
    нет *парковки*")."""
    every = frozenset().union(*book.lemmas.values()) if book.lemmas else frozenset()
    used = told = 0
    for t in texts.astype(str):
        for sentence in _russian.sentences(t):
            lem = {_russian.bare(w) for w in _russian.lemmas(sentence)}
            if word in lem:
                used += 1
                told += bool(lem & every)
    return told / used if used else 0.0


def _two_share_z(k_a: int, n_a: int, k_b: int, n_b: int):
    if not n_a or not n_b:
        return None
    pa, pb = k_a / n_a, k_b / n_b
    p = (k_a + k_b) / (n_a + n_b)
    se = np.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b))
    return pa, pb, (pa - pb) / se if se > 0 else 0.0


# ------------------------------------------------------------------------- quotes

def quotes(comments: pd.DataFrame, book: ThemeBook, theme: str, *, k: int = 3,
           category: str | None = None, names=(), lang: str = "ru", seed: int = 0,
           column: str = "comment") -> list[str]:
    """Up to ``k`` example comments that mention ``theme`` (of ``category`` when given),
    redacted: names, phones, e-mails, links and handles replaced by placeholders
    (:func:`cxlab._russian.redact`, with ``names`` — e.g. the clients' names — as well).
    Only the text: never its date, channel or author. Drawn at random with ``seed``
    among the distinct texts, longer ones first among equals."""
    if theme not in book.lemmas:
        raise ParameterError(f"unknown theme {theme!r}; expected one of {', '.join(book.ids)}")
    tags = tag(comments["lemmas"], book)
    sel = tags[theme].to_numpy(dtype=bool, copy=True)
    if category is not None:
        sel &= (comments["category"].astype("string") == category).fillna(False).to_numpy(bool)
    texts = pd.unique(comments.loc[sel, column].astype(str).to_numpy())
    if not len(texts):
        return []
    rng = np.random.default_rng(seed)
    picked = rng.permutation(len(texts))[:k]
    return [_russian.redact(str(texts[i]), names=names, lang=lang) for i in picked]
