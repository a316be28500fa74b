"""Data values never become markup in a stakeholder report.

Every text that reaches a report from the data or the study file — codes and labels of
channels, surveys, segments, teachers, interviewers, complaint categories as written,
factor and cohort labels — may hold anything. Here each carries markup (HTML with a live
handler, a script, Markdown emphasis, a ``javascript:`` link, mathtext), the sample
quarter is rendered in both languages, and every HTML page is parsed: no script of the
data's, no ``on…`` attribute, no ``javascript:`` link, and the payloads shown as text.

Where the escaping happens: :func:`cxlab.i18n.md_escape` (one data value for
Markdown-then-HTML), applied by :func:`cxlab.i18n.t` / ``fill`` to every value filled into
a catalogue message (``Text.markdown``) and by the narrative's Markdown outputs
(``say``, ``heading``, ``bullets``) to any string not from the catalogue; pandas escapes
table cells and labels; the renderer escapes titles, nav, footers and index pages;
``plots.set_style`` turns mathtext off for chart text.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from cxlab import i18n
from cxlab.i18n import md_escape
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR
from cxlab.samples import GAMED_INTERVIEWER

needs_samples = pytest.mark.skipif(not (SAMPLES_DIR / "responses.csv").exists(),
                                   reason="sample data not generated")

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
LINK = "[a](javascript:alert(1))"
BOLD = "*bold* _it_ `code`"
MATH = r"$x^2$ $\alpha_{x$"  # the second is mathtext a chart could not draw
AUTOLINK = "<javascript:alert(1)>"
PAYLOADS = (IMG, SCRIPT, LINK, BOLD, MATH, AUTOLINK)
#: The interviewer the sample data plants as gaming, flagged in the data-trust notes.
GAMED = GAMED_INTERVIEWER


def _marked(text, i: int = 0) -> str:
    """``text`` with a payload appended (the i-th, cycling)."""
    return f"{text} {PAYLOADS[i % len(PAYLOADS)]}"


# ----------------------------------------------------------------------------- the escaping function

@pytest.mark.parametrize("value, shown", [
    ("I07" + IMG, "I07&lt;img src=x onerror=alert(1)&gt;"),
    (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("*bold*", r"\*bold\*"),
    ("__x__", r"\_\_x\_\_"),
    ("`code`", r"\`code\`"),
    (LINK, r"\[a\](javascript:alert(1))"),
    ("![i](x.png)", r"!\[i\](x.png)"),
    (AUTOLINK, "&lt;javascript:alert(1)&gt;"),
    ("see https://example.org/x", r"see https\://example.org/x"),
    ("$x^2$", r"\$x^2\$"),
    (r"\(x\)", "&#92;(x&#92;)"),
    ("~~gone~~", r"\~\~gone\~\~"),
    ("a | b", r"a \| b"),
    ("a & b", "a &amp; b"),
    ("&lt;", "&amp;lt;"),
    ("line\nbreak\r\n# heading", "line break # heading"),
    ("# heading", r"\# heading"),
    ("- item", r"\- item"),
    ("+ item", r"\+ item"),
    ("1. item", r"1\. item"),
    ("---", r"\---"),
    ("===", r"\==="),
    # ordinary text and numbers read as they are
    ("Веб-форма (сайт), 2025Q4–2026Q3", "Веб-форма (сайт), 2025Q4–2026Q3"),
    ("+12 (p = 0.04)", "+12 (p = 0.04)"),
    ("O'Brien \"quoted\"", "O'Brien \"quoted\""),
    (None, ""),
    (42, "42"),
])
def test_md_escape_makes_a_value_literal(value, shown):
    assert md_escape(value) == shown


def test_md_escape_keeps_the_disclosure_markers():
    from cxlab import disclosure

    marked = disclosure.START + "c1.2" + disclosure.SEP + "< 30" + disclosure.END
    out = md_escape(f"n = {marked} *x*")
    assert out == f"n = {disclosure.START}c1.2{disclosure.SEP}&lt; 30{disclosure.END} \\*x\\*"
    assert disclosure._MARK_RE.search(out).group(1) == "c1.2"


def _markdown_html(markdown: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown)


@pytest.mark.parametrize("payload", PAYLOADS + ("# h", "- x", "1. x", r"\(x\)", "https://e.org",
                                                "a\n\n<b>x</b>", "[x]\n\n[x]: javascript:alert(1)"))
def test_an_escaped_value_renders_as_its_own_text(payload):
    """nbconvert's Markdown (the one that renders the report) shows the value, no markup."""
    import html

    rendered = _markdown_html(f"Before {md_escape(payload)} after")
    assert re.fullmatch(r"<p>[^<]*</p>\s*", rendered), rendered
    flat = re.sub(r"\s+", " ", payload)
    assert html.unescape(rendered.strip()[3:-4]) == f"Before {flat} after"


def test_catalogue_text_keeps_its_markdown_and_escapes_its_values():
    value = i18n.t("text.plain", "en", text="Web" + IMG)  # a catalogue message: "{text}"
    assert value == "Web" + IMG and value.markdown == "Web&lt;img src=x onerror=alert(1)&gt;"
    # trusted Markdown (the catalogue's or the code's own) with data filled in
    line = i18n.fill("**{group}**: NPS {nps} (n = {n})", group="Web" + IMG, nps="42 [35, 49]", n=120)
    assert line == f"**Web{IMG}**: NPS 42 [35, 49] (n = 120)"  # plain: tables, charts
    assert line.markdown == r"**Web&lt;img src=x onerror=alert(1)&gt;**: NPS 42 \[35, 49\] (n = 120)"
    # a message filled into another keeps its own Markdown; a plain str is data
    outer = i18n.t("text.plain", "en", text=line)
    assert outer.markdown == line.markdown
    assert i18n.as_markdown(str(line)).startswith(r"\*\*Web&lt;img")
    assert i18n.join(", ", [line, "*x*"]).markdown == line.markdown + r", \*x\*"


def test_narrative_outputs_escape_data():
    from cxlab import report

    assert report.say("text.plain", "en", text=IMG).data == md_escape(IMG)
    assert report.heading("text.plain", "en", 3, text=LINK).data == "### " + md_escape(LINK)
    lines = [i18n.fill("**{x}**", x=BOLD), SCRIPT]
    assert report.bullets(lines).data == f"- **{md_escape(BOLD)}**\n- {md_escape(SCRIPT)}"


def test_trust_notes_escape_the_interviewer_id(rng):
    """The tester's case: an interviewer id with a live handler, flagged for gaming."""
    import pandas as pd

    from cxlab import quality, report

    who = "I07" + IMG
    rows = []
    for name in ("I01", "I02", "I03", who):
        for i in range(80):
            score = 10 if name == who and i % 10 else int(rng.integers(0, 11))
            rows.append((f"{name}-{i}", f"C{i}{name}", "phone", "periodic", score, name,
                         pd.Timestamp("2026-07-01") + pd.Timedelta(days=i % 60)))
    answers = pd.DataFrame(rows, columns=["response_id", "client_id", "channel", "survey", "nps",
                                          "interviewer_id", "submitted_at"])
    for lang in ("en", "ru"):
        notes = report.trust_notes(quality.trust_report(answers, min_n=30), lang, min_n=30)
        markdown = report.bullets(notes).data
        assert who in " ".join(notes)  # the plain text names it as it is
        assert IMG not in markdown and "I07&lt;img src=x onerror=alert(1)&gt;" in markdown
        page = _markdown_html(markdown)
        assert "<img" not in page and "I07&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<strong>" in page  # the catalogue's own Markdown still works


def test_tables_escape_labels_and_cells():
    import pandas as pd

    from cxlab import report

    t = pd.DataFrame({"n": [120, 80], "nps": [40.0, 10.0], "ci_low": [30.0, -5.0],
                      "ci_high": [50.0, 25.0], "promoters": [60, 30], "detractors": [12, 22]},
                     index=pd.Index(["T01" + IMG, SCRIPT], name="teacher_id"))
    page = report.readable(t, "nps", "en", 30)._repr_html_()
    assert "<img" not in page and "<script" not in page
    assert "T01&lt;img src=x onerror=alert(1)&gt;" in page


def test_chart_text_with_dollars_draws_as_text():
    import matplotlib.pyplot as plt
    import pandas as pd

    from cxlab import plots

    plots.set_style()
    t = pd.DataFrame({"nps": [40.0, 10.0], "ci_low": [30.0, -5.0], "ci_high": [50.0, 25.0],
                      "n": [120, 80]}, index=pd.Index([MATH, r"$\frac{$"], name="teacher_id"))
    ax = plots.nps_by_group(t, min_n=30, title=MATH)
    ax.figure.canvas.draw()  # mathtext would raise here
    assert ax.get_title(loc="left") == MATH  # the house style's titles are on the left
    assert any(tick.get_text().startswith(MATH) for tick in ax.get_yticklabels())
    plt.close(ax.figure)


# ----------------------------------------------------------------------------- a whole report

def _study_with_payloads(path: Path) -> Path:
    """A copy of the sample study whose every label (and the business's name) carries a
    payload; codes stay (the data use them)."""
    st = yaml.safe_load(SAMPLE_STUDY.read_text(encoding="utf-8"))
    i = 0

    def relabel(entry):
        nonlocal i
        for lang in ("ru", "en"):
            if isinstance(entry, dict) and lang in entry:
                entry[lang] = _marked(entry[lang], i)
                i += 1

    st["name"] = _marked(st["name"])
    for key in ("channels", "surveys", "hypotheses"):
        for entry in st.get(key, {}).values():
            relabel(entry)
    for seg in st.get("segments", {}).values():
        relabel(seg)
        for entry in (seg.get("values") or {}).values():
            relabel(entry)
    for codes in st.get("codes", {}).values():
        for entry in codes.values():
            relabel(entry)
    for factor in st.get("factors", {}).values():
        relabel(factor.get("label"))
        relabel(factor.get("question"))
    for rule in (st.get("cohorts", {}).get("rules") or {}).values():
        relabel(rule)
    path.write_text(yaml.safe_dump(st, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


#: Free text columns (not code lists) of the sample tables that a report may show.
FREE_TEXT = {"responses": ("interviewer_id", "teacher_id"), "complaints": ("category", "responsible"),
             "contacts": ("topic",), "visits": ("activity", "teacher_id")}


def _data_with_payloads(folder: Path) -> list[Path]:
    """Copies of the sample CSVs whose free-text values carry a payload (the same value
    the same payload everywhere, so teachers and interviewers stay who they are)."""
    files = []
    for src in sorted(SAMPLES_DIR.glob("*.csv")):
        with open(src, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        columns = FREE_TEXT.get(src.stem, ())
        for col in columns:
            values = sorted({r[col] for r in rows if r.get(col)})
            new = {v: _marked(v, i) for i, v in enumerate(values)}
            if col == "interviewer_id":  # the tester's case: the planted gamed interviewer
                new[GAMED] = GAMED + IMG
            for r in rows:
                if r.get(col):
                    r[col] = new[r[col]]
        dest = folder / src.name
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        files.append(dest)
    return files


@pytest.fixture(scope="module")
def marked_up(tmp_path_factory):
    """The sample data and study with markup in every label and free text, rendered for
    the latest quarter in both languages."""
    if not (SAMPLES_DIR / "responses.csv").exists():
        pytest.skip("sample data not generated")
    from cxlab import report
    from cxlab.warehouse import ingest

    root = tmp_path_factory.mktemp("injection")
    (root / "csv").mkdir()
    study = _study_with_payloads(root / "study.yml")
    warehouse = root / "warehouse.duckdb"
    ingest(_data_with_payloads(root / "csv"), warehouse=warehouse, study=study)
    out = root / "reports"
    results = [report.render("latest", warehouse=warehouse, out=out, lang=lang, study=study,
                             progress=False) for lang in ("en", "ru")]
    return results, out


class _Page(HTMLParser):
    """What a page does (scripts, handlers, links) and what it shows (text, and the text of
    Markdown outputs apart)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.handlers, self.links, self.images = [], [], [], []
        self.text, self.markdown = [], []
        self._stack: list[tuple[str, bool]] = []  # (tag, inside a Markdown output)
        self._script, self._style = None, False

    def _in_markdown(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        md = self._in_markdown() or dict(attrs).get("data-mime-type") == "text/markdown"
        if tag not in ("img", "br", "hr", "meta", "link", "input"):
            self._stack.append((tag, md))
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name, value))
            if value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                self.links.append((tag, name, value))
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        if tag == "script":
            self._script = [dict(attrs), ""]
        if tag == "style":
            self._style = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("img", "br", "hr", "meta", "link", "input"):
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None
        if tag == "style":
            self._style = False
        for i in range(len(self._stack) - 1, -1, -1):  # tolerate unclosed tags
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
            return
        if self._style:  # CSS, not shown
            return
        self.text.append(data)
        if self._in_markdown():
            self.markdown.append(data)


def _pages(out: Path) -> dict[Path, _Page]:
    pages = {}
    for path in sorted(out.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        page.close()
        pages[path] = page
    return pages


@needs_samples
def test_no_markup_from_the_data_in_any_page(marked_up):
    results, out = marked_up
    pages = _pages(out)
    assert len(pages) >= 2 * (len(results[0].sections) + 1) + 1  # both languages, indexes
    for path, page in pages.items():
        name = str(path.relative_to(out))
        assert not page.handlers, (name, page.handlers[:3])
        assert not page.links, (name, page.links[:3])
        assert all(src.startswith("data:image/") for src in page.images), (name, page.images[:3])
        for attrs, body in page.scripts:  # nbconvert's own, if any: never the data's
            assert "src" not in attrs and "alert(" not in body, (name, attrs, body[:200])


#: A piece of each payload and the payloads it belongs to: every piece a page shows must be
#: part of a whole payload shown as text (a piece alone means markup was interpreted).
PIECES = {"alert(1)": (IMG, SCRIPT, LINK, AUTOLINK), "bold": (BOLD,), "x^2": (MATH,)}


@needs_samples
def test_payloads_are_shown_as_text(marked_up):
    """Each payload reads as it was written, in tables and in sentences (Markdown)."""
    results, _ = marked_up
    for result in results:
        lang = result.lang
        pages = {p.name: pg for p, pg in _pages(result.index.parent).items()}  # this language's
        shown = " ".join(t for pg in pages.values() for t in pg.text)
        sentences = " ".join(t for pg in pages.values() for t in pg.markdown)
        for payload in PAYLOADS:
            assert payload in shown, (lang, payload)
        for text in (shown, sentences):
            for piece, whole in PIECES.items():
                assert text.count(piece) == sum(text.count(p) for p in whole), (lang, piece)
        # the tester's case: the gamed interviewer's id in the data-trust notes, as text
        trust = " ".join(pages["quarterly_report.html"].markdown)
        assert GAMED + IMG in trust, lang
        # sentences and headings worded from labels (channels, factors) show them as text
        st = yaml.safe_load((Path(result.parameters["study"])).read_text(encoding="utf-8"))
        channels = [c[lang] for c in st["channels"].values()]
        factors = [f["label"][lang] for f in st["factors"].values()]
        assert any(c in sentences for c in channels), lang
        assert any(f in sentences for f in factors), lang
