"""Benchmark: what clients say — lemmatising comments, the theme table, redacting quotes.

Run from the project root::

    .venv/bin/python benchmarks/text.py              # the table in benchmarks/README.md
    .venv/bin/python benchmarks/text.py --n 50000    # more distinct comments

Comments are made distinct by joining two or three sentences of the sample comments at
random (a real survey repeats few comments word for word, so the cache of identical
texts in :func:`cxlab.text.lemmatize` must not flatter the figure). Each step is timed in
this process, best of ``--repeat`` runs, next to its floor measured in the same run:

- ``lemmatize`` (razdel tokens, pymorphy3 lemmas with negation, every word cached):
  floor = razdel's tokenizer alone over the same texts, the part no Russian lemmatiser
  can skip; and pymorphy3 without the cache (every token parsed), what the cache saves.
- ``theme_table`` on the lemmatised comments (two quarters, nine themes, four
  categories, clustered intervals): floor = the boolean tags alone.
- ``redact``: per quote, natasha's NER and pymorphy3's name check; floor = natasha's
  NER alone on the same quote (the model's own cost).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _corpus(n: int, seed: int = 1) -> pd.DataFrame:
    from razdel import sentenize

    from cxlab import samples

    r = samples.load("responses")
    sents = sorted({s.text for c in r["comment"].dropna() for s in sentenize(str(c))})
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(sents, size=int(rng.integers(2, 4)), replace=False))
             for _ in range(n)]
    quarter = np.where(rng.random(n) < 0.5, "2026-08-15", "2026-05-15")
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(n)],
                         "client_id": [f"C{int(i)}" for i in rng.integers(0, n // 3, size=n)],
                         "submitted_at": pd.to_datetime(quarter), "nps": rng.integers(0, 11, size=n),
                         "comment": texts})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import pymorphy3
    from razdel import tokenize

    from cxlab import _russian, text
    from cxlab.paths import SAMPLE_STUDY
    from cxlab.study import load_study

    df = _corpus(args.n)
    texts = df["comment"].tolist()
    print(f"{len(set(texts)):,} distinct comments, {sum(len(t) for t in texts) / len(texts):.0f} "
          "characters each on average")
    _russian.lemmas("прогрев")  # load the dictionaries outside the timings
    rows = []

    floor = _best(lambda: [list(tokenize(t)) for t in texts], args.repeat)
    morph = pymorphy3.MorphAnalyzer()
    nocache = _best(lambda: [[morph.parse(tok.text)[0].normal_form for tok in tokenize(t)]
                             for t in texts], 1)

    def lem():
        _russian._analyse.cache_clear()
        return text.lemmatize(df["comment"])

    t_lem = _best(lem, args.repeat)
    rows.append(("lemmatize", args.n, t_lem, "razdel tokens alone", floor))
    rows.append(("(pymorphy3, no cache)", args.n, nocache, "razdel tokens alone", floor))

    said = text.commented(df)
    book = text.themes_of(load_study(SAMPLE_STUDY))
    t_tab = _best(lambda: text.theme_table(said, book=book, quarter="2026Q3"), args.repeat)
    t_tags = _best(lambda: text.tag(said["lemmas"], book), args.repeat)
    rows.append(("theme_table", len(said), t_tab, "tags alone", t_tags))

    quotes = texts[:50]
    _russian.redact("Маша")  # load natasha
    t_red = _best(lambda: [_russian.redact(q) for q in quotes], args.repeat) / len(quotes)
    segmenter, tagger = _russian._ner()

    def ner_only():
        from natasha import Doc

        for q in quotes:
            d = Doc(q)
            d.segment(segmenter)
            d.tag_ner(tagger)

    t_ner = _best(ner_only, args.repeat) / len(quotes)
    rows.append(("redact, per quote", 1, t_red, "natasha NER alone", t_ner))

    print("\n| step | items | cxlab | floor | floor time | ratio |\n|---|---|---|---|---|---|")
    for name, n, t, fname, f in rows:
        print(f"| {name} | {n:,} | {t * 1000:.1f} ms | {fname} | {f * 1000:.1f} ms | {t / f:.2f} |")


if __name__ == "__main__":
    main()
