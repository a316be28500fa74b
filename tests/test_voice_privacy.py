"""No person reaches a rendered report through what clients say: the attacker plants names.

The attacker writes comments (and feedback-group messages) that carry the sample clients'
own names — children's first names in several grammatical cases, parents' full names,
phones, e-mails, links and @handles — on the themes the report quotes, in the quarter it
renders, with quotes allowed by the study. The report is rendered in both languages
(the quarterly report and the "What clients say" page) and every rendered HTML file is
searched for every planted name, phone and address. Quotes must be shown (the test
checks they are, so it cannot pass by showing nothing), and none may carry a person.
"""

from __future__ import annotations

import csv
import re
import shutil
from html import unescape

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _forms(word: str) -> set[str]:
    """A Russian name in its cases (pymorphy3's inflection: a reference a reader can
    check), including the form given."""
    import pymorphy3

    m = pymorphy3.MorphAnalyzer()
    out = {word}
    for p in m.parse(word)[:2]:
        for case in ("gent", "datv", "accs", "ablt", "loct"):
            f = p.inflect({case})
            if f is not None:
                w = f.word
                out.add(w[0].upper() + w[1:])
    return out


TEMPLATES = [
    "{child} расстроилась: занятие перенесли, расписание опять поменяли. Звоните {phone}",
    "Мама {child_gen} ({parent}) говорит, что расписание неудобное, пишите {email}",
    "{parent}: дорого, цена выросла, а {child} ходит всего раз в неделю. Профиль @{handle}",
    "Перенесли занятие у {child_gen}, {parent} недовольна, отзыв тут https://vk.com/{handle}",
    "Грязно в мастерской, {child_dat} было неприятно. {parent}, тел. {phone}",
    "Спасибо преподавателю за внимание к {child_dat}! {parent}",
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Sample data whose 2026Q3 comments carry the clients' names, a study that allows
    quotes, and the rendered report in both languages."""
    from cxlab import io, report
    from cxlab.paths import SAMPLES_DIR

    base = tmp_path_factory.mktemp("planted")
    data = base / "samples"
    shutil.copytree(SAMPLES_DIR, data)
    study_text = (data / "study.yml").read_text(encoding="utf-8")
    study_text = re.sub(r"(?m)^quotes:.*$", "", study_text) + "\nquotes: true\n"
    (data / "study.yml").write_text(study_text, encoding="utf-8")
    with open(data / "clients.csv", encoding="utf-8") as fh:
        clients = list(csv.DictReader(fh))
    with open(data / "responses.csv", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames
        rows = list(reader)
    secrets: set[str] = set()
    k = 0
    for row in rows:
        if not row["submitted_at"].startswith("2026-0") or row["submitted_at"][5:7] not in ("07", "08", "09"):
            continue
        if k >= 240:
            break
        c = clients[(k * 37) % len(clients)]
        child = c["child_name"].split()[0]
        parent = c["parent_name"]
        forms = {f for f in _forms(child)}
        gen = sorted(forms - {child})[0] if len(forms) > 1 else child
        dat = sorted(forms - {child})[-1] if len(forms) > 1 else child
        handle = f"mama_{c['client_id'].lower()}"
        row["comment"] = TEMPLATES[k % len(TEMPLATES)].format(
            child=child, child_gen=gen, child_dat=dat, parent=parent, phone=c["phone"],
            email=c["email"], handle=handle)
        secrets |= {child, gen, dat, c["phone"], c["email"], handle}
        secrets |= set(parent.split())
        k += 1
    with open(data / "responses.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    wh = base / "warehouse.duckdb"
    files = sorted(data.glob("*.csv"))
    if (data / "telegram" / "result.json").exists():
        files.append(data / "telegram" / "result.json")
    io.ingest(files, warehouse=wh, study=data / "study.yml")
    pages = {}
    for lang in ("en", "ru"):
        out = base / f"reports-{lang}"
        report.render("2026Q3", warehouse=wh, out=out, lang=lang, progress=False,
                      notebooks=["quarterly_report", "voice"], study=data / "study.yml")
        pages[lang] = {p: unescape(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")}
    return secrets, pages


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w@.+\-]+", text))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_planted_name_phone_or_address_reaches_any_page(planted, lang):
    secrets, pages = planted
    assert pages[lang], "nothing rendered"
    body = "\n".join(pages[lang].values())
    # the quotes are there: the test does not pass by showing none
    assert "cx-quotes" in body
    leaked = []
    for path, html in pages[lang].items():
        text = re.sub(r"<[^>]+>", " ", html)
        words = _words(text)
        for s in secrets:
            if s in words or (any(ch in s for ch in "@.+ -") and s in text):
                leaked.append((path.name, s))
    assert not leaked, leaked[:20]
    # … and they are the planted comments, redacted
    assert ("[имя]" if lang == "ru" else "[name]") in body
