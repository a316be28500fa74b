"""cxlab.text: themes, shares by NPS category, distinguishing words, candidates, quotes.

Where the expected values come from:
- the log-odds statistic: Monroe, Colaresi & Quinn (2008), eq. 16 and 18, written out
  below term by term with plain Python floats (no numpy, no code of cxlab.text);
- shares and intervals: statsmodels' Wilson interval, Newcombe's square-and-add written
  out, and a statsmodels cluster-robust OLS for the design effect;
- theme mentions: counting the theme's words by hand in the texts;
- the planted themes: the sample generator's ``TRUTHS`` (schedule among detractors in
  2026Q3, parking outside the questionnaire).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlab import disclosure, text
from cxlab.text import ThemeBook

BOOK = ThemeBook({"schedule": frozenset({"расписание", "перенести", "перенос"}),
                  "price_value": frozenset({"дорого", "цена"}),
                  "praise": frozenset({"спасибо"})},
                 {"schedule": {"en": "Schedule", "ru": "Расписание"}},
                 frozenset({"schedule", "price_value"}))


def _monroe(a: list[list[str]], b: list[list[str]], prior: list[list[str]]):
    """Monroe et al. (2008) eq. 16 (δ) and 18 (σ²), word by word, from counts."""
    def counts(docs):
        c = {}
        for d in docs:
            for w in d:
                c[w] = c.get(w, 0) + 1
        return c
    ya, yb, yp = counts(a), counts(b), counts(prior)
    na, nb = sum(ya.values()), sum(yb.values())
    a0 = float(na + nb)  # the prior weighs as much as the two groups' words
    total = float(sum(yp.values()))
    out = {}
    for w in set(ya) | set(yb):
        alpha = a0 * float(yp.get(w, 0.5)) / total  # the background's share of w, times α0
        ywa, ywb = float(ya.get(w, 0)), float(yb.get(w, 0))
        delta = (math.log((ywa + alpha) / (na + a0 - ywa - alpha))
                 - math.log((ywb + alpha) / (nb + a0 - ywb - alpha)))
        var = 1.0 / (ywa + alpha) + 1.0 / (ywb + alpha)
        out[w] = (delta, math.sqrt(var), delta / math.sqrt(var))
    return out


def test_log_odds_equal_monroe_et_al_written_out(monkeypatch):
    # phrases off: the reference counts words only
    monkeypatch.setattr(text._russian, "phrases", lambda ws: [])
    rng = np.random.default_rng(7)
    vocab = [f"w{i}" for i in range(40)]
    a = [list(rng.choice(vocab, size=rng.integers(1, 9), p=np.r_[[0.05] * 10, [0.5 / 30] * 30]))
         for _ in range(60)]
    b = [list(rng.choice(vocab, size=rng.integers(1, 9))) for _ in range(80)]
    prior = a + b + [list(rng.choice(vocab, size=5)) for _ in range(100)]
    got = text.distinguishing_terms(a, b, prior, min_count=1, top=None)
    ref = _monroe(a, b, prior)
    assert set(got.index) == set(ref)
    for w, (delta, se, z) in ref.items():
        assert got.at[w, "delta"] == pytest.approx(delta, abs=1e-12)
        assert got.at[w, "se"] == pytest.approx(se, abs=1e-12)
        assert got.at[w, "z"] == pytest.approx(z, abs=1e-12)
    assert list(got["z"]) == sorted(got["z"], reverse=True)
    # a prior scaled to α0 = 10 words: every α_w shrinks by the same factor
    small = text.distinguishing_terms(a, b, prior, min_count=1, top=None, prior_size=10)
    total = sum(len(d) for d in prior)
    w = "w0"
    alpha = sum(d.count(w) for d in prior) * 10 / total
    ywa, ywb = sum(d.count(w) for d in a), sum(d.count(w) for d in b)
    na, nb = sum(map(len, a)), sum(map(len, b))
    delta = (math.log((ywa + alpha) / (na + 10 - ywa - alpha))
             - math.log((ywb + alpha) / (nb + 10 - ywb - alpha)))
    assert small.at[w, "delta"] == pytest.approx(delta, abs=1e-12)


def _frame(rows):
    return pd.DataFrame(rows, columns=["response_id", "client_id", "submitted_at", "nps", "comment"]) \
        .astype({"submitted_at": "datetime64[us]"})


def _synthetic(seed=3, n=400, with_clients=True):
    rng = np.random.default_rng(seed)
    texts = ["Расписание неудобное", "Занятие перенесли", "Дорого", "Спасибо большое",
             "Всё хорошо", "Не удобное расписание, дорого"]
    rows = []
    for i in range(n):
        q = "2026-08-15" if i % 2 else "2026-05-15"
        rows.append((f"R{i}", f"C{rng.integers(0, n // 3)}" if with_clients else None, q,
                     int(rng.integers(0, 11)), texts[int(rng.integers(0, len(texts)))]))
    rows.append(("R_empty", "C0", "2026-08-16", 9, "  "))
    rows.append(("R_none", "C0", "2026-08-16", 9, None))
    return _frame(rows)


def test_theme_shares_are_wilson_intervals_of_hand_counted_mentions():
    r = _synthetic(with_clients=False)
    t = text.theme_table(r, book=BOOK, quarter="2026Q3")
    q3 = r[(r["submitted_at"] >= "2026-07-01") & r["comment"].fillna("").str.strip().ne("")]
    cat = np.where(q3["nps"] >= 9, "promoter", np.where(q3["nps"] >= 7, "passive", "detractor"))
    low = q3["comment"].str.lower()
    schedule = low.str.contains("расписани") | low.str.contains("перенесли")
    for c in ("detractor", "passive", "promoter", "all"):
        sel = np.ones(len(q3), bool) if c == "all" else (cat == c)
        k, n = int(schedule[sel].sum()), int(sel.sum())
        row = t.loc[("schedule", c)]
        assert (row["mentions"], row["n"]) == (k, n)
        lo, hi = proportion_confint(k, n, method="wilson")
        assert row["share"] == pytest.approx(k / n, abs=1e-15)
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    assert t.attrs["assumption"].startswith("answers assumed independent")
    # the change: Newcombe's square-and-add of the two quarters' Wilson intervals
    q2 = r[(r["submitted_at"] < "2026-07-01") & r["comment"].fillna("").str.strip().ne("")]
    low2 = q2["comment"].str.lower()
    k2 = int((low2.str.contains("расписани") | low2.str.contains("перенесли")).sum())
    n2 = len(q2)
    k1, n1 = int(schedule.sum()), len(q3)
    l1, h1 = proportion_confint(k1, n1, method="wilson")
    l2, h2 = proportion_confint(k2, n2, method="wilson")
    p1, p2 = k1 / n1, k2 / n2
    row = t.loc[("schedule", "all")]
    assert row["change"] == pytest.approx(p1 - p2, abs=1e-15)
    assert row["diff_ci_low"] == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (h2 - p2) ** 2), abs=1e-12)
    assert row["diff_ci_high"] == pytest.approx(p1 - p2 + math.sqrt((h1 - p1) ** 2 + (p2 - l2) ** 2), abs=1e-12)


def test_negation_keeps_the_topic_and_a_negated_theme_word_matches_only_negated_uses():
    lem = text.lemmatize(pd.Series(["Не удобное расписание", "Понравилось", "Не понравилось",
                                    "Нет парковки"]))
    book = ThemeBook({"schedule": frozenset({"расписание"}),
                      "disliked": frozenset({"не_понравиться"}),
                      "liked": frozenset({"понравиться"}),
                      "parking": frozenset({"парковка"})})
    tags = text.tag(lem, book)
    assert tags["schedule"].tolist() == [True, False, False, False]
    assert tags["disliked"].tolist() == [False, False, True, False]
    assert tags["liked"].tolist() == [False, True, True, False]  # the topic, either way
    assert tags["parking"].tolist() == [False, False, False, True]
    assert lem[1] != lem[2]


def test_a_familys_comments_are_one_cluster():
    """With client ids the variance is statsmodels' cluster-robust one (CR1) and the
    interval is Wilson's on n / deff (Korn & Graubard 1998)."""
    import statsmodels.api as sm

    r = _synthetic(with_clients=True)
    t = text.theme_table(r, book=BOOK, quarter="2026Q3")
    assert t.attrs["assumption"].startswith("clustered by client_id")
    q3 = r[(r["submitted_at"] >= "2026-07-01") & r["comment"].fillna("").str.strip().ne("")]
    y = (q3["comment"].str.lower().str.contains("дорого")).astype(float).to_numpy()
    fit = sm.OLS(y, np.ones(len(y))).fit(cov_type="cluster",
                                         cov_kwds={"groups": pd.factorize(q3["client_id"])[0]})
    var_srs = y.var(ddof=1) / len(y)
    row = t.loc[("price_value", "all")]
    assert row["deff"] == pytest.approx(fit.bse[0] ** 2 / var_srs, rel=1e-10)
    # Korn & Graubard's effective n: n / deff, times (z / t_{G−1})² for G families
    from scipy import stats as st

    G = q3["client_id"].nunique()
    ne = len(y) / max(row["deff"], 1.0) * (st.norm.ppf(0.975) / st.t.ppf(0.975, G - 1)) ** 2
    lo, hi = proportion_confint(y.mean() * ne, ne, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))


def test_members_of_each_count_are_the_answers_counted():
    r = _synthetic()
    t = text.theme_table(r, book=BOOK, quarter="2026Q3")
    disclosure.check_members(t, "n")
    disclosure.check_members(t, "mentions")


def test_theme_counts_of_events_count_texts_per_quarter():
    f = pd.DataFrame({"sent_at": pd.to_datetime(["2026-07-02", "2026-08-01", "2026-05-01", "2026-09-30"]),
                      "text": ["Перенесли занятие, клиент недоволен", "Спасибо от мамы",
                               "Расписание неудобное", "Дорого и перенос"]})
    c = text.theme_counts(f, BOOK, "2026Q3", time="sent_at", column="text")
    assert c.loc["schedule", "count"] == 2 and c.loc["schedule", "count_previous"] == 1
    assert c.loc["praise", "count"] == 1 and c.loc["price_value", "count"] == 1
    assert c.attrs["total"] == 3 and c.attrs["total_previous"] == 1


@pytest.fixture(scope="module")
def sample_comments():
    from cxlab import samples
    from cxlab.study import load_study

    st = load_study(samples.SAMPLE_STUDY if hasattr(samples, "SAMPLE_STUDY") else None)
    r = samples.load("responses")
    return text.commented(r), text.themes_of(st)


def test_the_planted_schedule_surge_among_detractors_is_recovered(sample_comments):
    """The generator plants detractors writing about the schedule far more in 2026Q3
    (``TRUTHS``); the theme table finds a significant rise there and not before."""
    from cxlab import samples

    said, book = sample_comments
    t = text.theme_table(said, book=book, quarter="2026Q3")
    row = t.loc[("schedule", "detractor")]
    truth = samples.TRUTHS
    assert row["share"] == pytest.approx(truth["comments"]["comment_schedule_detractors_2026Q3"], abs=3 * math.sqrt(0.25 / row["n"]) + 0.05)
    assert row["change"] > 0 and row["p"] < 0.01
    before = text.theme_table(said, book=book, quarter="2026Q2").loc[("schedule", "detractor")]
    assert before["p"] > 0.001 or abs(before["change"]) < 0.1


def test_the_off_questionnaire_parking_theme_is_a_candidate(sample_comments):
    """Parking is planted outside the questionnaire (``TRUTHS["comments"]``): over a
    year of comments it is among the candidates, and no candidate word is one a theme
    of the study lists."""
    from cxlab import samples

    said, book = sample_comments
    year = said[said["quarter"].isin(["2025Q4", "2026Q1", "2026Q2", "2026Q3"])]
    cands = text.candidates(year, book, background=year)
    stems = samples.TRUTHS["comments"]["theme_stems"]["parking"]
    words = [c for c in cands.index[cands["kind"] == "word"]]
    assert any(w.startswith(stems) for w in words), cands
    assert words[0].startswith(stems), cands  # the strongest candidate is parking
    assert not any(book.covers(c) for c in words)
    # the schedule, a factor the questionnaire asks about, is never a candidate
    assert not any(w.startswith(samples.TRUTHS["comments"]["theme_stems"]["schedule"]) for w in words)
    disclosure.check_members(cands, "detractor_comments")


def test_quotes_are_redacted_and_carry_only_text(sample_comments):
    said, book = sample_comments
    now = said[said["quarter"] == "2026Q3"]
    from cxlab import samples

    names = set(samples.CHILD_GIRLS) | set(samples.CHILD_BOYS)
    for theme in book.ids:
        for q in text.quotes(now, book, theme, k=5, lang="ru"):
            assert isinstance(q, str)
            assert not any(w.strip(".,!?«»") in names for w in q.split()), q


def test_the_feedback_groups_planted_schedule_surge_is_recovered():
    """The sample Telegram export plants relayed feedback about the schedule at 0.40 in
    2026Q3 against 0.12 before (``TRUTHS["telegram"]``): read through the ingest's reader
    and tagged, the quarter's schedule messages are significantly more frequent than the
    quarter before's (Fisher's exact test, scipy)."""
    from scipy.stats import fisher_exact

    from cxlab import io, samples
    from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR
    from cxlab.study import load_study

    st = load_study(SAMPLE_STUDY)
    f = io.read(SAMPLES_DIR / "telegram" / "result.json", study=st)
    import json

    export = json.loads((SAMPLES_DIR / "telegram" / "result.json").read_text(encoding="utf-8"))
    authors = {m["from"] for m in export["messages"] if m.get("from")}
    stored = " ".join(str(v) for v in f.to_numpy().ravel())
    assert authors and not any(a in stored for a in authors)  # never a display name
    c = text.theme_counts(f, text.themes_of(st), "2026Q3", time="sent_at", column="text")
    k, n = c.at["schedule", "count"], c.attrs["total"]
    k0, n0 = c.at["schedule", "count_previous"], c.attrs["total_previous"]
    assert fisher_exact([[k, n - k], [k0, n0 - k0]], alternative="greater")[1] < 0.01
    # relayed messages are about half the quarter's (the rest are replies): the share of
    # all messages is about half the planted share of relayed ones
    planted = samples.TRUTHS["telegram"]["feedback_schedule_2026Q3"]
    assert k / n == pytest.approx(planted / 2, abs=0.1)


def test_the_clients_own_names_are_read_for_redaction(sample_warehouse):
    """QuarterData.client_names: every word of the parents' and children's names (the
    sample clients table, read by csv here), Cyrillic and ё included, lower case."""
    import csv

    from cxlab import report
    from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR

    data = report.load_quarter("2026Q3", sample_warehouse, SAMPLE_STUDY)
    got = data.client_names()
    with open(SAMPLES_DIR / "clients.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["joined_on"] < "2026-10-01"]
    want = {w.lower() for r in rows for col in ("parent_name", "child_name")
            for w in r[col].split() if len(w) > 1}
    assert want and want <= got
    assert "лёва" in got
    assert not any("@" in w or w.isdigit() for w in got)  # names only: no e-mail, no phone
