"""The attacker: try to recover a small count of people from one rendered quarter.

The report is rendered as a stakeholder gets it; the attacker then knows every figure the
pages show and what each counts (the ledger the renderer kept in the analysts' folder:
each published count with its members, each shown rate with its two counts). The attacks
are the ones found by hand on the wave-1 report, done here by plain set algebra — not by
the audit's linear program, which is what is being checked:

- **the same group twice**: a hidden small count whose members are shown elsewhere;
- **differences**: a shown total minus shown parts that, with the hidden count, make it
  up exactly (web answers − "did not complain" = complained; channel n − active n =
  lapsed; a cross-tab line minus its shown cells);
- **n × rate**: a shown rate times its shown denominator.

Nothing below the disclosure threshold may come out. Counts of events (complaints) are
checked the other way round: they must be shown (10 safety complaints).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cxlab import disclosure, report
from cxlab.paths import SAMPLES_DIR

K = 5  # the sample study's disclosure threshold


def _three_answer_programme(sample_warehouse, folder: Path) -> Path:
    """A copy of the sample warehouse where the quarter's phone answers from camps are 3:
    the others' programme is not recorded (a programme as small as a real one can be)."""
    import shutil

    import duckdb

    wh = folder / "three.duckdb"
    shutil.copyfile(sample_warehouse, wh)
    con = duckdb.connect(str(wh))
    keep = con.execute(
        "SELECT response_id FROM responses WHERE channel = 'phone' AND programme = 'camp' "
        "AND submitted_at >= TIMESTAMP '2026-07-01' "
        "AND submitted_at < TIMESTAMP '2026-10-01' ORDER BY response_id").fetchall()
    assert len(keep) > 3
    con.execute("UPDATE responses SET programme = NULL WHERE channel = 'phone' AND programme = "
                "'camp' AND submitted_at >= TIMESTAMP '2026-07-01' AND "
                "submitted_at < TIMESTAMP '2026-10-01' AND response_id NOT IN "
                f"({', '.join(repr(k[0]) for k in keep[:3])})")
    con.close()
    return wh


@pytest.fixture(scope="module", params=["samples", "three-answer programme"])
def rendered(request, sample_warehouse, sample_report, tmp_path_factory):
    if request.param == "samples":
        result, out = sample_report("en")
    else:
        folder = tmp_path_factory.mktemp("attacker")
        out = folder / "reports"
        result = report.render("2026Q3", warehouse=_three_answer_programme(sample_warehouse, folder),
                               out=out, lang="en", progress=False, study=SAMPLES_DIR / "study.yml")
    work = report.analyst_folder(out) / "2026Q3" / "en"
    records = disclosure.read_ledgers(sorted(work.glob("*" + report.LEDGER_SUFFIX)))
    return {"out": out, "work": work, "records": records, "result": result,
            "case": request.param}


def _published(rendered):
    """What the pages show (by the renderer's record), and what they hide."""
    audit = json.loads((rendered["work"] / report.AUDIT).read_text())
    assert audit["threshold"] == K
    records = rendered["records"]
    # the hidden ones are those whose marker the HTML replaced (the renderer's record)
    result = disclosure.Audit(set(audit["hidden_ids"]), {}, audit["hidden_to_protect_them"],
                              audit["small_counts_checked"])
    counts = [r for r in records if r["kind"] == "count"]
    shown = [r for r in counts if r["id"] not in result.hide]
    hidden_small = [r for r in counts if 0 < r["value"] < K]
    rates = [r for r in records if r["kind"] == "rate" and r["id"] not in result.hide]
    return shown, hidden_small, rates, result


def test_the_report_publishes_counts_of_people_and_hides_the_small_ones(rendered):
    shown, hidden_small, rates, result = _published(rendered)
    assert len(shown) > 100 and hidden_small, "the sample quarter has small groups (teachers)"
    assert all(r["id"] in result.hide for r in hidden_small)
    if rendered["case"] == "three-answer programme":  # the planted one is protected
        assert any(r["value"] == 3 and r["population"] == "answers" for r in hidden_small)


def test_no_small_count_is_shown_under_another_name(rendered):
    shown, hidden_small, _, _ = _published(rendered)
    published_sets = {(r["population"], disclosure.key_set(r)) for r in shown}
    for h in hidden_small:
        assert (h["population"], disclosure.key_set(h)) not in published_sets, h["value"]


def _exact_cover(target: frozenset, parts: list[frozenset], budget: int = 50_000) -> bool:
    """Whether disjoint shown parts make up ``target`` exactly: Knuth's algorithm X (take
    the member in the fewest parts, try each part that holds it), with a budget of steps —
    the attacker here is a search; the audit's linear program is the proof."""
    inside = [p for p in {p for p in parts if p and p <= target}]
    if not inside or frozenset().union(*inside) != target:
        return False  # some member is in no shown part inside the target
    holding: dict = {}
    for p in inside:
        for m in p:
            holding.setdefault(m, []).append(p)
    steps = 0

    def search(rest: frozenset) -> bool:
        nonlocal steps
        if not rest:
            return True
        steps += 1
        if steps > budget:
            return False
        m = min(rest, key=lambda x: len(holding[x]))
        return any(search(rest - p) for p in holding[m] if p <= rest)

    return search(target)


def _differences(shown, hidden_small) -> list[tuple[int, int]]:
    """Small counts recovered as a shown total minus shown disjoint parts."""
    by_pop: dict[str, list[frozenset]] = {}
    for r in shown:
        by_pop.setdefault(r["population"], []).append(disclosure.key_set(r))
    recovered = []
    for h in hidden_small:
        hs = disclosure.key_set(h)
        sets = by_pop.get(h["population"], [])
        for total in sets:
            if not hs < total:
                continue
            rest = total - hs
            # total − one shown part, or total − several disjoint shown parts
            if rest in sets or _exact_cover(rest, [s for s in sets if s <= rest]):
                recovered.append((h["value"], len(total)))
                break
    return recovered


def test_no_small_count_is_a_difference_of_shown_counts(rendered):
    shown, hidden_small, _, _ = _published(rendered)
    recovered = _differences(shown, hidden_small)
    assert not recovered, f"recovered as total − parts: {recovered[:5]}"


def test_the_attacker_recovers_counts_from_cell_by_cell_suppression(rendered):
    # the same pages with only the small counts hidden (what wave 1 did): the attack
    # must find them — else the test above proves nothing
    counts = [r for r in rendered["records"] if r["kind"] == "count"]
    cell_by_cell = [r for r in counts if not 0 < r["value"] < K]
    hidden_small = [r for r in counts if 0 < r["value"] < K]
    assert len(_differences(cell_by_cell, hidden_small)) >= len(hidden_small) // 2


def test_no_small_count_is_n_times_a_shown_rate(rendered):
    shown, hidden_small, rates, _ = _published(rendered)
    value = {r["id"]: r["value"] for r in rendered["records"] if r["kind"] == "count"}
    shown_ids = {r["id"] for r in shown}
    small = {r["id"] for r in hidden_small}
    for r in rates:
        if r["numerator"] in small:
            assert r["denominator"] not in shown_ids, \
                f"{value[r['denominator']]} × {r['at_least']:.3f} gives a hidden small count"


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = []

    def handle_data(self, data):
        self.text.append(data)


def test_pages_carry_no_marker_and_one_hidden_label(rendered):
    pages = sorted(rendered["out"].rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert disclosure.START not in text and disclosure.END not in text, page.name
        assert "< 30</td>" not in text, "counts are hidden with one label, not a bound"


def test_complaint_counts_are_shown_whatever_their_size(rendered):
    page = (rendered["out"] / "2026Q3" / "en" / "complaints.html").read_text(encoding="utf-8")
    p = _Text()
    p.feed(page)
    text = " ".join(p.text)
    # the sample's safety complaints of the last four quarters (planted: a handful)
    assert re.search(r"Безопасность\s+\d+", text), "the safety complaints are counted"
    assert "Безопасность hidden" not in text


def test_the_stakeholder_folder_holds_only_html(rendered):
    files = [p for p in rendered["out"].rglob("*") if p.is_file()]
    assert files and all(p.suffix in {".html", ".css"} for p in files), \
        sorted({p.suffix for p in files})
    assert not any(p.name.startswith(".") for p in rendered["out"].rglob("*"))


def test_the_published_pages_hide_what_the_audit_decided(rendered):
    # Re-export each section from the analysts' executed notebook (its figures still
    # marked) and compare with the page stakeholders got: every figure the audit hid
    # that showed a number must read "hidden" there instead.
    import nbformat

    from cxlab.report import pages
    from cxlab.suppression import hidden_label

    audit = json.loads((rendered["work"] / report.AUDIT).read_text())
    hide, label = set(audit["hidden_ids"]), hidden_label("en")
    replaced = 0
    for sec in rendered["result"].sections:
        nb = nbformat.read(str(rendered["work"] / sec.notebook), as_version=4)
        marked = pages.export_html(nb, "t", "en", footer=pages._footer_html(
            "2026Q3", rendered["result"].parameters, "en"))
        numbers = [m for m in disclosure._MARK_RE.finditer(marked)
                   if m.group(1) in hide and m.group(2) != label]
        published = (rendered["out"] / "2026Q3" / "en" / sec.html).read_text(encoding="utf-8")
        unmarked = disclosure.unmark(marked)
        # the published page has the label exactly as many more times as figures it hid
        assert published.count(label) - unmarked.count(label) == len(numbers), sec.name
        replaced += len(numbers)
    assert replaced >= audit["hidden_to_protect_them"] > 0
