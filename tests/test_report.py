"""cxlab.report: quarter resolution, formatting and suppression, and one real rendering.

The rendering is expensive (five notebooks, each in its own kernel), so the module renders
the sample data's latest quarter ONCE (module-scoped fixture, in Russian: the stakeholder
HTML checks and the ``--lang ru`` check share it; the English path is exercised by nbval
on the committed notebooks). Expected numbers come from the sample generator's planted
truths (``cxlab.samples.TRUTHS``, COMMON brief) or from the input by hand.
"""

from __future__ import annotations

import os

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import i18n, report
from cxlab.report import rendering
from cxlab.errors import CxlabError, ParameterError, QuarterError
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR

needs_samples = pytest.mark.skipif(not (SAMPLES_DIR / "responses.csv").exists(),
                                   reason="sample data not generated")

#: The sample data covers 2024Q4–2026Q3 and ends 2026-09-30 (COMMON brief, planted truths).
LATEST_SAMPLE_QUARTER = "2026Q3"


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def warehouse(sample_warehouse) -> Path:
    return sample_warehouse  # the session's (tests/conftest.py); nothing here writes to it


@pytest.fixture(scope="module")
def rendered(warehouse, tmp_path_factory):
    """The one rendering of the session: latest quarter, every notebook, Russian."""
    out = tmp_path_factory.mktemp("reports")
    cwd = os.getcwd()
    result = report.render("latest", warehouse=warehouse, out=out, lang="ru", progress=False)
    # notebooks run two at a time: rendering must not move the process to another directory
    # (papermill's cwd= is a process-wide chdir that raced between the threads)
    assert os.getcwd() == cwd
    return result, out


def _html_files(out: Path, quarter: str) -> list[Path]:
    return sorted((out / quarter).glob("*/*.html")) + [out / "index.html"]


# ----------------------------------------------------------------------------- quarters

@needs_samples
def test_latest_is_the_last_complete_sample_quarter(warehouse):
    assert report.resolve_quarter("latest", warehouse) == LATEST_SAMPLE_QUARTER


@needs_samples
@pytest.mark.parametrize("bad", ["2026Q5", "2026-Q3", "Q3 2026", "", "latestt"])
def test_malformed_quarter_is_a_quarter_error(warehouse, bad):
    with pytest.raises(QuarterError, match="expected a year and a quarter like '2026Q3'"):
        report.resolve_quarter(bad, warehouse)


@needs_samples
def test_quarter_without_data_names_the_quarters_that_have_it(warehouse):
    # 2024Q3 is before the sample data starts (2024Q4): an empty quarter
    with pytest.raises(QuarterError) as err:
        report.resolve_quarter("2024Q3", warehouse)
    msg = str(err.value)
    assert "2024Q3 has no data" in msg and "2024Q4" in msg and "2026Q3" in msg


@needs_samples
def test_cli_unknown_quarter_exits_nonzero_without_traceback(warehouse, tmp_path):
    from cxlab.cli import app

    res = CliRunner().invoke(app, ["report", "--quarter", "2030Q1", "--warehouse", str(warehouse),
                                   "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "2030Q1 has no data" in res.output and "Traceback" not in res.output
    assert not any(tmp_path.iterdir())  # nothing written


def test_render_rejects_a_language_without_catalogue(tmp_path):
    with pytest.raises(ParameterError, match="expected one of en, ru"):
        report.render("2026Q3", warehouse=tmp_path / "none.duckdb", out=tmp_path, lang="de")


def test_quarter_bounds_and_previous():
    assert report.quarter_bounds("2025Q4") == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01"))
    assert report.previous_quarter("2026Q1") == "2025Q4"


# ----------------------------------------------------------------------------- formatting

def test_suppress_small_hides_every_figure_of_small_groups():
    t = pd.DataFrame({"n": [120, 29, 30], "nps": [41.5, 90.0, -3.2]}, index=["a", "b", "c"])
    out = report.suppress_small(t, min_n=30)
    assert out.loc["b"].tolist() == ["n < 30", "n < 30"]  # the count too: 3 answers can identify a family
    assert out.loc["c", "nps"] == -3.2 and out.loc["a", "n"] == 120  # 30 is not < 30
    with pytest.raises(ParameterError, match="count column 'n'"):
        report.suppress_small(t.drop(columns="n"), 30)


def test_numbers_for_readers():
    assert report.fmt_num(-0.4) == "0"  # no "-0"
    assert report.fmt_num(-12.34, 1) == "\u221212.3"
    assert report.fmt_num(12.34, 1, lang="ru") == "12,3"
    assert report.fmt_num(3, sign=True) == "+3"
    assert report.fmt_num(float("nan")) == "–"
    assert report.estimate_text(0.4321, 0.40, 0.46, scale=100, suffix="%") == "43% [40, 46]"
    assert report.estimate_text(41.6, 35.2, 48.0, lang="ru") == "42 [35; 48]"


def test_change_marked_only_where_significant():
    assert report.change_text(-15.2, -22.0, -8.4, 0.0004, False).startswith("▼ \u221215 [")
    assert report.change_text(3.1, -4.0, 10.2, 0.4, False) == "no significant change (+3)"
    assert report.change_text(9.0, 1.0, 17.0, 0.03, True) == "too few answers to judge a change"


@needs_samples
def test_trend_view_marks_the_planted_2025q3_drop(warehouse):
    # planted truth: NPS really drops ≈ 15 points in 2025Q3 vs 2025Q2 in every channel;
    # phone, the largest channel, must come out significant and marked ▼
    from cxlab import metrics

    data = report.load_quarter("2025Q3", warehouse)
    trend = metrics.nps_trend(data.responses_all, min_n=30)
    view = report.trend_view(trend, "2025Q3", min_n=30, lang="en")
    change = view.loc["Phone", "Change from previous quarter [95% CI]"]
    assert change.startswith("▼ \u2212"), change
    drop = -trend.xs("2025Q3", level="quarter").loc["phone", "change"]
    assert 5 < drop < 40  # planted ≈ 15 points


@needs_samples
def test_load_quarter_cuts_at_the_quarter_end(warehouse):
    data = report.load_quarter("2025Q2", warehouse)
    assert data.responses_all["submitted_at"].max() < pd.Timestamp("2025-07-01")
    assert set(data.responses["quarter"]) == {"2025Q2"}
    assert data.visits["visit_date"].max() < pd.Timestamp("2025-07-01")
    assert data.complaints["received_at"].max() < pd.Timestamp("2025-07-01")
    # contacts run a week past the end, so late requests can be judged for FCR
    assert data.contacts["opened_at"].max() >= pd.Timestamp("2025-07-01")
    assert data.contacts["opened_at"].max() < pd.Timestamp("2025-07-08")


def test_swap_in_replaces_the_folder_and_keeps_nothing_else(tmp_path):
    dest, new = tmp_path / "2026Q3", tmp_path / ".tmp-2026Q3-1"
    dest.mkdir(), new.mkdir()
    (dest / "index.html").write_text("old")
    (new / "index.html").write_text("new")
    rendering._swap_in(new, dest)
    assert (dest / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026Q3"]


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _quarter_folder(path: Path, text: str, pages: int = 5) -> Path:
    path.mkdir()
    for i in range(pages):
        (path / f"s{i}.html").write_text(text)
    (path / "index.html").write_text(text)
    return path


def test_the_report_exists_at_every_instant_of_the_swap(tmp_path):
    """A reader polling reports/<quarter>/ while it is replaced 200 times always finds
    every page, each complete (a page of the old report or of the new one)."""
    import threading

    dest = _quarter_folder(tmp_path / "2026Q3", "v0")
    stop = threading.Event()
    seen: list = []
    reads: list = []

    def reader():
        while not stop.is_set():
            for name in ["index.html"] + [f"s{i}.html" for i in range(5)]:
                try:
                    text = (dest / name).read_text()
                except OSError as err:  # the folder or a page missing
                    seen.append(err)
                    continue
                if not re.fullmatch(r"v\d+", text):
                    seen.append(text)
                reads.append(text)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(1, 201):
            rendering._swap_in(_quarter_folder(tmp_path / f".tmp-2026Q3-{n}", f"v{n}"), dest)
    finally:
        stop.set()
        thread.join()
    assert seen == []
    assert len(set(reads)) > 10  # the reader did see the report change while it read
    assert (dest / "index.html").read_text() == "v200"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026Q3"]


def test_swap_in_without_an_atomic_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(rendering, "_EXCHANGE", None)  # Windows, some network file systems
    dest = _quarter_folder(tmp_path / "2026Q3", "old")
    rendering._swap_in(_quarter_folder(tmp_path / ".tmp-2026Q3-1", "new"), dest)
    assert (dest / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026Q3"]
    # the first report of a quarter is a plain rename
    rendering._swap_in(_quarter_folder(tmp_path / ".tmp-2026Q4-1", "first"), tmp_path / "2026Q4")
    assert (tmp_path / "2026Q4" / "index.html").read_text() == "first"


def test_leftovers_of_killed_runs_are_cleaned_up(tmp_path):
    import subprocess
    import sys

    dead = _dead_pid()
    out = tmp_path / "reports"
    out.mkdir()
    _quarter_folder(out / "2026Q2", "kept")
    half = _quarter_folder(out / f".tmp-2026Q2-{dead}", "half")
    # killed between the two renames of the fallback swap: the old report is moved back
    _quarter_folder(out / f".old-2026Q3-{dead}", "previous")
    stale_old = _quarter_folder(out / f".old-2026Q2-{dead}", "older")
    index_tmp = out / f"index.html.{dead}-3.tmp"
    index_tmp.write_text("<html")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = _quarter_folder(out / f".tmp-2026Q4-{alive.pid}", "in progress")
        report.clean_leftovers(out)
        assert running.exists()  # another run, still going, is left alone
    finally:
        alive.kill()
        alive.wait()
    assert not half.exists() and not stale_old.exists() and not index_tmp.exists()
    assert (out / "2026Q3" / "index.html").read_text() == "previous"
    assert (out / "2026Q2" / "index.html").read_text() == "kept"
    assert sorted(p.name for p in out.iterdir()) == [f".tmp-2026Q4-{alive.pid}", "2026Q2",
                                                     "2026Q3"]


# ----------------------------------------------------------------------------- the rendering

@needs_samples
def test_render_writes_every_section_and_the_indexes(rendered):
    result, out = rendered
    q = LATEST_SAMPLE_QUARTER
    assert result.quarter == q and result.index == out / q / "ru" / "index.html"
    names = [s.name for s in result.sections]
    assert names == list(report.NOTEBOOKS)
    work = report.analyst_folder(out) / q / "ru"  # the analysts' folder, beside reports/
    for name in names:
        assert (out / q / "ru" / f"{name}.html").is_file()
        nb = nbformat.read(work / f"{name}.ipynb", as_version=4)  # the run's record
        assert nb.metadata.papermill.parameters == {
            "quarter": q, "warehouse": str(result.parameters["warehouse"]), "lang": "ru",
            "min_n": 30, "seed": 0, "study": str(SAMPLE_STUDY)}
    assert result.left_out == ()  # the sample warehouse holds every section's data
    index = (out / q / "ru" / "index.html").read_text(encoding="utf-8")
    for name in names:
        assert f'href="{name}.html"' in index
    assert f'href="{q}/ru/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp folder left


@needs_samples
def test_html_is_self_contained_and_has_no_code(rendered):
    _, out = rendered
    for path in _html_files(out, LATEST_SAMPLE_QUARTER):
        text = path.read_text(encoding="utf-8")
        # nothing fetched from the network: no script, stylesheet, image or font URL
        assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I), path.name
        assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", text, re.I), path.name
        assert not re.search(r"<img[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", text, re.I), path.name
        assert not re.search(r"url\(\s*[\"']?(https?:)?//", text, re.I), path.name
        assert not re.search(r"@import", text), path.name
        body = text.split("</head>", 1)[-1]
        # no code cells, prompts or parameters (a Markdown cell's prose is an input area:
        # only those may have one)
        code_inputs = re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*"[^>]*>\s*<div[^>]*jp-Cell-inputWrapper',
                                 body)
        assert not code_inputs and "input_area" not in body, path.name
        assert "highlight hl-ipython3" not in body, path.name
        assert "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body, path.name
        assert "min_n: int = 30" not in body and "report.load_quarter" not in body, path.name
    # notes for JupyterLab readers (cells tagged analyst-only) stay out of the HTML
    qr = (out / LATEST_SAMPLE_QUARTER / "ru" / "quarterly_report.html").read_text(encoding="utf-8")
    assert "runs this notebook with papermill" not in qr


@needs_samples
def test_report_has_russian_section_headings_and_inlined_charts(rendered):
    _, out = rendered
    text = (out / LATEST_SAMPLE_QUARTER / "ru" / "quarterly_report.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h[1-3][^>]*>(.*?)<", text)
    for key in ("trend", "split", "promotion"):  # headings shown when their data exist
        expected = i18n.t(f"qr.h.{key}", "ru")
        assert expected in headings, (key, headings)
        assert re.search("[а-яё]", expected)  # Russian, not the English fallback
        assert expected != i18n.t(f"qr.h.{key}", "en")
    # the fixed headings: the notebook's Markdown cells tagged lang-ru
    fixed = [h.strip() for cell in _prose("quarterly_report", "ru")
             for h in re.findall(r"^#+\s+(.+)$", cell, re.M)]
    assert len(fixed) >= 6 and all(re.search("[а-яё]", h) for h in fixed)
    for expected in fixed:
        assert expected in headings, (expected, headings)
    # the first segment of the study (programme), by its label in the study
    assert i18n.t("qr.h.segment", "ru", segment="Программа") in headings
    assert 'lang="ru"' in text
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', text)) >= 5
    # "fix first" is spelled out in words, not only drawn
    assert i18n.t("text.fix_first", "ru").split(":")[0] in text


def _prose(name: str, lang: str) -> list[str]:
    """The Markdown cells of a committed notebook tagged for ``lang`` (``lang-ru`` …)."""
    from cxlab.paths import NOTEBOOKS_DIR

    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    return [c.source for c in nb.cells if f"{rendering.LANG_TAG}{lang}" in c.metadata.get("tags", [])]


class _Text(HTMLParser):
    """The text a reader sees in a page (no styles or scripts), whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str) -> str:
        parser = cls()
        parser.feed(page)
        return " ".join(" ".join(parser.parts).split())


def _snippets(name: str, lang: str) -> list[str]:
    """The opening words of each of a notebook's prose cells in ``lang``, as read."""
    out = []
    for cell in _prose(name, lang):
        for line in cell.splitlines():
            words = re.split(r"[*_`\[<]", line.lstrip("#").strip())[0].strip()
            if len(words) >= 8:
                out.append(" ".join(words.split())[:60])
    return out


@needs_samples
def test_each_language_shows_only_its_own_prose(rendered, sample_report):
    """Prose cells tagged for another language never reach a report, and every prose cell
    of the report's language does (rendering drops the others before execution)."""
    ru, _ = rendered
    en, _ = sample_report("en")
    checked = 0
    for result in (en, ru):
        assert {s.name for s in result.sections} == set(report.NOTEBOOKS)
        for section in result.sections:
            page = _Text.of((result.index.parent / section.html).read_text(encoding="utf-8"))
            for lang in i18n.LANGUAGES:
                for words in _snippets(section.name, lang):
                    assert (words in page) == (lang == result.lang), \
                        (result.lang, section.name, f"lang-{lang}", words)
                    checked += 1
    assert checked >= 2 * 2 * 15


def test_for_language_drops_only_the_other_languages_cells():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Where we are", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_markdown_cell("## Где мы сейчас", metadata={"tags": ["lang-ru"]}),
        nbformat.v4.new_code_cell("1 + 1", metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_markdown_cell("Analyst note", metadata={"tags": ["analyst-only"]}),
    ])
    kept = rendering.for_language(nb, "ru")
    assert [c.source for c in kept.cells] == ["## Где мы сейчас", "1 + 1", "Analyst note"]
    assert len(nb.cells) == 4  # a copy: the notebook itself keeps both languages
    assert [c.source for c in rendering.for_language(nb, "en").cells][0] == "## Where we are"


def test_a_run_in_one_language_never_executes_the_others_cells(tmp_path):
    """Cells of another language are gone before the kernel starts: a code cell tagged
    lang-ru that would fail does not run in an English run, and the executed record
    names the notebook it came from."""
    src = tmp_path / "two.ipynb"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('lang = "en"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('ran the Russian cell')",
                                  metadata={"tags": ["lang-ru"]}),
        nbformat.v4.new_code_cell("print(lang)", metadata={"tags": ["lang-en"]}),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, src)
    done = report.run_notebook(src, tmp_path / "out.ipynb", {"lang": "en"})
    assert not any("lang-ru" in c.metadata.get("tags", []) for c in done.cells)
    assert any("en" in o.get("text", "") for c in done.cells for o in c.get("outputs", []))
    assert done.metadata["papermill"]["input_path"] == str(src)
    assert len(nbformat.read(src, as_version=4).cells) == 3  # the source is left as it was


def _personal_values() -> dict[str, set[str]]:
    """Every identifying value in the sample data (COMMON brief: personal columns)."""
    from cxlab import samples

    clients = samples.load("clients")
    values = {col: set(clients[col].dropna().astype(str))
              for col in ("client_id", "parent_name", "phone", "email", "child_name")}
    # comments reach a page only as redacted quotes: the comments that name a client
    # (their words include a client's or child's name word) must never appear whole
    names = {w.lower() for col in ("parent_name", "child_name")
             for v in clients[col].dropna().astype(str) for w in v.split() if len(w) > 1}
    def words(c):  # a comment's words, and nominatives of a name's cases (Маше → Маша)
        ws = {w.lower() for w in re.findall(r"[А-Яа-яЁё]+", c)}
        return ws | {w[:-1] + "а" for w in ws if len(w) > 3} | {w[:-2] + "а" for w in ws if len(w) > 4}

    values["comment"] = {c for c in samples.load("responses")["comment"].dropna().astype(str)
                         if words(c) & names}
    assert len(values["comment"]) > 100
    values["description"] = set(samples.load("complaints")["description"].dropna().astype(str))
    # a phone written without separators is still a phone
    values["phone_digits"] = {re.sub(r"\D", "", p) for p in values["phone"]}
    return values


_BLOBS = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+|\"image/png\":\s*\"[^\"]*\"")


@needs_samples
def test_no_personal_data_in_any_output(rendered):
    _, out = rendered
    values = _personal_values()
    assert len(values["client_id"]) > 1000  # the scan is over the real sample, not nothing
    files = _html_files(out, LATEST_SAMPLE_QUARTER) + sorted(
        (report.analyst_folder(out) / LATEST_SAMPLE_QUARTER).glob("*/*.ipynb"))
    for path in files:
        text = _BLOBS.sub("", path.read_text(encoding="utf-8"))  # base64 can spell anything
        for kind, vals in values.items():
            if kind == "phone_digits":
                text_digits = re.sub(r"[^\d\n]", "", text)
                found = [v for v in vals if v in text_digits]
            else:
                found = [v for v in vals if v in text]
            assert not found, f"{path.name}: {kind} {found[:3]}"


# ----------------------------------------------------------------------------- failure

_FAILING = """quarter: str = "2026Q3"
warehouse: str = "data/warehouse.duckdb"
lang: str = "en"
min_n: int = 30
seed: int = 0"""


def _failing_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(_FAILING)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("share = x / 0  # a planted failure")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@needs_samples
def test_failing_notebook_leaves_previous_report_untouched(rendered, warehouse, tmp_path):
    from cxlab.cli import app

    _, out = rendered
    q = LATEST_SAMPLE_QUARTER
    before = _snapshot(out / q)
    index_before = (out / "index.html").read_bytes()
    boom = _failing_notebook(tmp_path / "boom.ipynb")
    res = CliRunner().invoke(app, ["report", "--quarter", q, "--warehouse", str(warehouse),
                                   "--out", str(out), "--notebook", str(boom)])
    assert res.exit_code == 1
    msg = " ".join(res.output.split())
    assert "notebook 'boom' failed for 2026Q3" in msg
    assert "ZeroDivisionError" in msg and "division by zero" in msg
    assert "share = x / 0" in msg  # the cell, by its source
    assert "cell 4 of the executed notebook" in msg  # parameters, injected parameters, x = 1, then it
    assert "Traceback" not in res.output
    assert _snapshot(out / q) == before  # byte for byte
    assert (out / "index.html").read_bytes() == index_before
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")]
    kept = report.analyst_folder(out) / f"failed-{q}.ru" / "boom.ipynb"  # the analyst's record
    # the stakeholders' folder holds their HTML and nothing else, failure or not
    assert all(p.suffix in {".html", ".css"} for p in out.rglob("*") if p.is_file())
    assert kept.is_file()


def test_notebook_error_names_notebook_cell_and_error():
    err = report.NotebookError("drivers", "2026Q3", 7, 5, "kd = drivers.key_drivers(data)\nkd",
                               "ValueError", "no factor columns")
    assert isinstance(err, CxlabError)
    msg = str(err)
    assert "notebook 'drivers'" in msg and "cell 8 of the executed notebook" in msg and "[5]" in msg
    assert "ValueError: no factor columns" in msg and "kd = drivers.key_drivers(data) …" in msg


def test_unknown_notebook_is_a_report_error(tmp_path):
    with pytest.raises(report.ReportError, match="does not exist"):
        rendering._notebook_paths(["no_such_notebook"])


def test_headline_view_suppresses_each_figure_on_its_own():
    idx = pd.MultiIndex.from_tuples([("phone", "2026Q3"), ("web", "2026Q3")], names=["channel", "quarter"])
    trend = pd.DataFrame({"n": [300, 12], "nps": [50.0, 10.0], "ci_low": [44.0, -20.0],
                          "ci_high": [56.0, 40.0], "change": [-15.0, 2.0],
                          "change_ci_low": [-22.0, -40.0], "change_ci_high": [-8.0, 44.0],
                          "change_p": [0.0001, 0.9], "change_small_n": [False, True],
                          "prev_quarter": ["2026Q2", "2026Q2"]}, index=idx)
    csi = pd.DataFrame({"n": [290, 40], "top_box_share": [0.8, 0.7], "top_box_ci_low": [0.75, 0.55],
                        "top_box_ci_high": [0.84, 0.82]}, index=pd.Index(["phone", "web"], name="channel"))
    rate = pd.DataFrame({"invitations": [700, 900], "responses": [301, 108], "share": [0.43, 0.12],
                         "ci_low": [0.39, 0.10], "ci_high": [0.47, 0.14], "over_invited": [False, False]},
                        index=pd.Index(["phone", "web"], name="channel"))
    view = report.headline_view(trend, csi, rate, "2026Q3", min_n=30)
    assert view.loc["Web form", "Response rate [95% CI]"] == "12% [10, 14]"
    # 3 answers of 900 invitations: a count under the disclosure threshold, so no rate
    small = rate.assign(responses=[301, 3], share=[0.43, 3 / 900])
    assert report.headline_view(trend, csi, small, "2026Q3", min_n=30).loc[
        "Web form", "Response rate [95% CI]"] == "hidden"
    assert view.loc["Web form", "NPS [95% CI]"] == "n < 30"
    assert view.loc["Web form", "CSI: top box [95% CI]"] == "70% [55, 82]"  # its own n = 40
    assert view.loc["Phone", "Change from previous quarter [95% CI]"] == "▼ \u221215 [\u221222, \u22128]"
    assert np.all(view.loc["Phone"].str.len() > 0)


def test_cohort_view_hides_small_cohorts_and_comparisons_with_a_small_reference():
    from types import SimpleNamespace

    idx = pd.Index(["lapsed", "active", "never_attended", "camp"], name="cohort")
    table = pd.DataFrame({
        "n": [12, 600, 0, 180], "estimate": [20.0, 50.0, np.nan, 61.0],
        "ci_low": [-10.0, 45.0, np.nan, 50.0], "ci_high": [45.0, 55.0, np.nan, 70.0],
        "ref_n": [650, 20, 662, 480], "ref_estimate": [49.0, 25.0, np.nan, 45.0],
        "diff": [-29.0, 25.0, np.nan, 16.0], "diff_ci_low": [-55.0, -5.0, np.nan, 4.0],
        "diff_ci_high": [-3.0, 55.0, np.nan, 28.0], "p_holm": [0.2, 0.3, np.nan, 0.01],
        "significant": [False, False, False, True]}, index=idx)
    comparison = SimpleNamespace(table=table, unit="points")
    view = report.cohort_view(comparison, min_n=30)
    assert list(view.index) == ["Lapsed (no visit in 90 days)", "Active (a visit in 90 days)",
                                "Camp attendees"]  # n = 0 left out
    # the two rules of readable(…, "cohorts"): 12 answers are enough to show as a count
    # (≥ the disclosure threshold, 5) but not for an estimate (< min_n): the count shows,
    # every figure of the cohort's own, its difference included, reads "n < 30"; the rest
    # of the clients (650 answers) keep their figure
    lapsed = view.loc["Lapsed (no visit in 90 days)"]
    assert lapsed.to_dict() == {"n": "12", "NPS [95% CI]": "n < 30", "Rest of the clients": "49",
                                "Difference [95% CI]": "n < 30", "Significant (Holm)": "n < 30"}
    active = view.loc["Active (a visit in 90 days)"]
    assert active["NPS [95% CI]"] == "50 [45, 55]" and active["Difference [95% CI]"] == "reference n < 30"
    assert view.loc["Camp attendees", "Difference [95% CI]"] == "+16 [+4, +28]"
    assert view.loc["Camp attendees", "Significant (Holm)"] == "yes"


def test_analyst_view_uses_the_functions_own_small_n_flag():
    t = pd.DataFrame({"n": [500, 500], "nps": [40.0, 10.0], "small_n": [False, True]}, index=["a", "b"])
    out = report.analyst_view(t, 30)
    assert out.loc["a", "nps"] == 40.0 and set(out.loc["b"]) == {"n < 30"}
    counts = pd.DataFrame({"external": [3, 22]}, index=["critical", "medium"])
    assert report.analyst_view(counts, 30) is counts  # plain counts pass through


def test_driver_findings_spell_out_fix_first_and_warn_about_overlap():
    # planted in the samples: f_teacher_feedback correlates r≈0.8 with f_teacher_attention
    # and has ~zero own effect, so its Shapley share is borrowed (negative beta, high VIF)
    from types import SimpleNamespace

    table = pd.DataFrame({
        "label": ["Child's enjoyment", "Teacher's feedback", "Schedule"],
        "share": [0.40, 0.20, 0.05], "share_ci_low": [0.30, 0.12, 0.01],
        "share_ci_high": [0.50, 0.28, 0.10], "coef_sign": [1, -1, 1], "vif": [1.4, 2.9, 1.1],
        "quadrant": ["keep up", "fix first", "low priority"]})
    kd = SimpleNamespace(table=table, r2=0.45, r2_ci_low=0.40, r2_ci_high=0.52, n=700)
    lines = report.driver_findings(kd, "en")
    assert lines[0] == "Fix first: **Teacher's feedback** — important for NPS and rated below average."
    assert lines[1].startswith("Keep up: Child's enjoyment")
    assert lines[2].startswith("Caution about Teacher's feedback: its own coefficient is negative")
    assert "Child's enjoyment: 40% [30, 50]" in lines[3]
    assert "R² = 0.45 [0.40, 0.52]" in lines[4] and "n = 700" in lines[4]
    assert "Teacher's feedback" in report.driver_findings(kd, "ru")[2]


# ----------------------------------------------------------------------------- readable tables

def test_counts_of_people_under_the_disclosure_threshold_never_show_and_zero_is_shown():
    # the product's rule (cxlab.suppression): a count of people from 1 to the disclosure
    # threshold − 1 (5 in the sample study) can point at a family; 0 points at none; from
    # the threshold on a count is shown, even under min_n (only estimates need min_n)
    assert [report.count_text(v, 30) for v in (0, 1, 4, 5, 29, 1346)] == \
        ["0", "hidden", "hidden", "5", "29", "1\u202f346"]
    assert report.count_text(3, 30, "ru") == "скрыто"
    assert report.count_text(float("nan"), 30) == "–"
    # counts of events (complaints) are shown whatever their size
    from cxlab.suppression import events_text

    assert [events_text(v) for v in (0, 1, 3)] == ["0", "1", "3"]
    assert report.p_text(0.0004) == "p < 0.001" and report.p_text(0.0372) == "p = 0.04"
    assert report.p_text(0.005, "ru") == "p = 0,005"
    assert report.yes_no(True, "ru") == "да" and report.yes_no(pd.NA) == "–"


def test_events_are_shown_in_a_cross_tab_whatever_their_size():
    # complaints by importance × origin (the sample's counts over 2025Q4–2026Q3): counts of
    # events, every one shown — 4 critical internal complaints must reach the head of service
    rows = [("critical", "external")] * 19 + [("critical", "internal")] * 4 + \
        [("low", "external")] * 65 + [("low", "internal")] * 14
    table = pd.DataFrame(rows, columns=["importance", "origin"])
    view = report.crosstab_view(table, "importance", "origin", 30, "en")
    assert view.loc["Critical"].tolist() == ["19", "4", "23"]
    assert view.loc["Total"].tolist() == ["84", "18", "102"]


def _cohort_table() -> pd.DataFrame:
    # shaped like cxlab.cohorts.compare_cohorts(...).table; numbers from the 2026Q3 sample
    # (messenger: 237 active answers, 12 lapsed = the active cohort's reference)
    idx = pd.MultiIndex.from_tuples([("messenger", "active"), ("messenger", "lapsed"), ("phone", "camp"),
                                     ("phone", "never_attended")], names=["channel", "cohort"])
    return pd.DataFrame({
        "n": [237, 12, 179, 0], "estimate": [40.08, 33.3, 55.3, np.nan], "ci_low": [29.8, -11.3, 44.8, np.nan],
        "ci_high": [49.3, 64.6, 63.9, np.nan], "ref_n": [12, 237, 474, 653],
        "ref_estimate": [33.3, 40.08, 50.8, np.nan], "diff": [6.75, -6.75, 4.46, np.nan],
        "se": [22.1, 22.1, 5.87, np.nan], "diff_ci_low": [-36.5, -50.1, -7.05, np.nan],
        "diff_ci_high": [50.1, 36.5, 15.98, np.nan], "stat": [0.31, -0.31, 0.76, np.nan],
        "p": [0.76, 0.76, 0.447, np.nan], "p_holm": [1.0, 1.0, 0.0004, np.nan],
        "significant": [False, False, True, False], "small_n": [True, True, False, True],
        "method": ["wald z"] * 4, "reference": ["rest"] * 4}, index=idx)


def test_readable_cohorts_suppress_each_figure_at_its_own_granularity():
    from types import SimpleNamespace

    view = report.readable(SimpleNamespace(table=_cohort_table(), unit="points"), "cohorts", "en", 30)
    active = view.loc[("Messenger", "Active (a visit in 90 days)")]
    # its own 237 answers are enough: its NPS shows; only the comparison needs the reference
    assert active["n"] == "237" and active["NPS [95% CI]"] == "40 [30, 49]"
    assert active["Rest of the clients, n"] == "12"  # a count ≥ 5 shows; its figure does not
    assert active["Difference [95% CI]"] == active["p (Holm)"] == "reference n < 30"
    lapsed = view.loc[("Messenger", "Lapsed (no visit in 90 days)")]
    assert lapsed["n"] == "12" and lapsed["NPS [95% CI]"] == lapsed["Difference [95% CI]"] == "n < 30"
    camp = view.loc[("Phone", "Camp attendees")]
    assert camp["Difference [95% CI]"] == "+4 [−7, +16]" and camp["p (Holm)"] == "p < 0.001"
    assert camp["Significant (Holm)"] == "yes"
    assert ("Phone", "Registered, never came") not in view.index  # no answers: nothing to show
    text = view.to_string()
    for raw in ("se", "stat", "method", "small_n", "wald", "ref_estimate", "True", "False"):
        assert raw not in list(view.columns) and not re.search(rf"\b{raw}\b", text), raw
    ru = report.readable(SimpleNamespace(table=_cohort_table(), unit="points"), "cohorts", "ru", 30)
    assert ru.loc[("Мессенджер", "Активные (был визит за 90 дней)"), "Разница [95% ДИ]"] == "база сравнения n < 30"


def test_readable_response_rate_hides_a_small_answer_count_and_its_rate():
    # the rate's n is the invitations (53 ≥ 30); 6 answers are a count that may show, but
    # 3 answers are under the disclosure threshold: hidden, and so is their rate (53 × 6 %
    # would give them back); 12 invitations are too few for a rate, not too few to count
    t = pd.DataFrame({"invitations": [53, 53, 12], "responses": [6, 3, 5],
                      "share": [6 / 53, 3 / 53, 5 / 12], "ci_low": [0.053, 0.02, 0.19],
                      "ci_high": [0.226, 0.15, 0.68], "small_n": [False, False, True],
                      "over_invited": [False, False, False]},
                     index=pd.Index(["web", "email", "phone"], name="channel"))
    view = report.readable(t, "response_rate", "en", 30)
    assert view.loc["Web form"].tolist() == ["53", "6", "11% [5, 23]"]
    assert view.loc["E-mail"].tolist() == ["53", "hidden", "hidden"]
    assert view.loc["Phone"].tolist() == ["12", "5", "n < 30"]


def test_breakdown_view_sums_the_period_and_shows_every_count_of_complaints():
    def monthly(phone, email, web):
        t = pd.DataFrame({"phone": phone, "email": email, "web": web},
                         index=pd.Index(["2026-07", "2026-08"], name="month"))
        t.columns.name = "channel"
        return t.assign(total=t.sum(axis=1))

    view = report.breakdown_view(monthly([20, 24], [14, 14], [1, 2]), min_n=30, lang="en", kind="channel")
    # complaints are events: phone 44, e-mail 28, web 3 — every count shown, summed over
    # the period, largest first
    assert view["Complaints"].to_dict() == {"Phone": "44", "E-mail": "28", "Web form": "3"}


@needs_samples
def test_recent_complaints_are_the_trailing_four_quarters(warehouse):
    from cxlab import complaints

    data = report.load_quarter("2026Q3", warehouse)
    recent = data.recent_complaints(4)
    assert data.window_label(4) == "2025Q4–2026Q3"
    assert recent["received_at"].min() >= pd.Timestamp("2025-10-01")
    assert recent["received_at"].max() < pd.Timestamp("2026-10-01")
    # independent count: complaints per quarter from the complaints module's volume table
    section = complaints.complaints_section(data.complaints, data.responses_all, data.clients,
                                            data.visits, "2026Q3", min_n=30)
    assert len(recent) == section.volume.loc["2025Q4":"2026Q3", "n_complaints"].sum()


# ----------------------------------------------------------------------------- stakeholder safety

class _TableCells(HTMLParser):
    """Every <table> of a page as (column headers, rows of <td> texts); text outside tables."""

    def __init__(self):
        super().__init__()
        self.tables, self.text = [], []
        self._tag, self._cell, self._skip = None, None, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self.tables.append({"head": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self._tag = tag
        elif tag == "tr" and self.tables:
            target = self.tables[-1]["head" if self._tag == "thead" else "rows"]
            target.append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = [tag, ""]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self.tables:
            t = self.tables[-1]
            (t["head"] if self._tag == "thead" else t["rows"])[-1].append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell[1] += data.strip()
        self.text.append(data)


def _parse(path: Path) -> _TableCells:
    parser = _TableCells()
    parser.feed(path.read_text(encoding="utf-8").split("</head>", 1)[-1])
    return parser


@needs_samples
def test_no_count_of_people_under_the_threshold_in_any_rendered_table(rendered):
    result, out = rendered
    min_n, lang = result.parameters["min_n"], result.parameters["lang"]
    k = 5  # the sample study's disclosure threshold
    from cxlab.study import load_study

    assert load_study(SAMPLE_STUDY).disclosure == k
    # columns of counts of people (complaint counts are events: shown whatever their size)
    count_headers = {report.col_label(c, lang) for c in report.COUNT_COLUMNS}
    allowed = {"–", report.suppressed_label(min_n), i18n.t("text.hidden", lang)}
    whole = re.compile(r"^\d[\d\u202f\u00a0 ]*$")
    checked = counted = 0
    for path in sorted((out / LATEST_SAMPLE_QUARTER).glob("*/*.html")):
        for table in _parse(path).tables:
            headers = [text for _, text in table["head"][0]] if table["head"] else []
            for row in table["rows"]:
                values = [text for tag, text in row if tag == "td"]
                row_label = next((text for tag, text in row if tag == "th"), "")
                names = headers[-len(values):] if values else []
                for header, value in zip(names, values):
                    checked += 1
                    # a column of counts, or a row of counts (the "n" row of drivers by channel)
                    if header in count_headers or row_label in count_headers:
                        counted += 1
                        assert value in allowed or whole.match(value), (path.name, header, value)
                        if whole.match(value):
                            assert not 1 <= int(re.sub(r"\D", "", value)) < k, (path.name, header, value)
    assert checked > 500 and counted > 100  # the scan saw the report's tables


@needs_samples
def test_no_raw_codes_or_technical_names_in_the_rendered_text(rendered):
    _, out = rendered
    raw = ("small_n", "ci_low", "ci_high", "p_holm", "ref_estimate", "ref_n", "review_site",
           "never_attended", "after_camp", "in_person", "first_lesson", "workshop_only",
           "n_complaints", "rate_per_100", "not_loyal_if_satisfied", "f_teacher_feedback")
    for path in sorted((out / LATEST_SAMPLE_QUARTER).glob("*/*.html")):
        text = " ".join(_parse(path).text)
        found = [r for r in raw if r in text]
        assert not found, (path.name, found)
        snake = re.findall(r"\b[a-z]+_[a-z_]+\b", text)
        assert not snake, (path.name, snake[:5])
        words = re.findall(r"\b(?:True|False|NaN|<NA>|None)\b", text)
        assert not words, (path.name, words[:5])


def test_readable_compare_names_the_reference_and_formats_p():
    # shaped like cxlab.metrics.compare_groups(responses, group_col="channel", reference="web");
    # the 2026Q3 sample's figures (phone 653 answers vs web 111)
    t = pd.DataFrame({"reference": ["web", "web"], "n": [653, 20], "ref_n": [111, 111],
                      "estimate": [52.07, 40.0], "ref_estimate": [21.62, 21.62], "diff": [30.45, 18.4],
                      "se": [8.06, 15.0], "ci_low": [14.66, -11.0], "ci_high": [46.24, 47.8],
                      "stat": [3.78, 1.2], "p": [0.000157, 0.23], "method": ["wald z"] * 2,
                      "p_holm": [0.000315, 0.23], "significant": [True, False], "small_n": [False, True]},
                     index=pd.Index(["phone", "messenger"], name="group"))
    t.loc["messenger", "n"] = 3  # under the disclosure threshold
    view = report.readable(t, "compare", "ru", 30, figure="nps")
    assert view.loc["Телефон"].tolist() == ["653", "52", "Веб-форма", "111", "22", "+30 [+15; +46]",
                                            "p < 0,001", "да"]
    assert view.loc["Мессенджер", "n"] == "скрыто" and view.loc["Мессенджер", "NPS"] == "n < 30"


# ----------------------------------------------------------------------------- trust notes

def _trust_fixture(rng):
    """Hand-made phone answers: I07 answers 10 almost always (planted), the others spread;
    one duplicate submission (same client, survey and day) — a count far under min_n."""
    rows = []
    for who in ("I01", "I02", "I03", "I07"):
        for i in range(80):
            score = 10 if who == "I07" and i % 10 else int(rng.integers(0, 11))
            rows.append((f"{who}-{i}", f"C{who}{i}", "phone", "periodic", score, who,
                         pd.Timestamp("2026-07-01") + pd.Timedelta(days=i % 60)))
    rows.append(("dup", "CI0110", "phone", "periodic", 7, "I01", pd.Timestamp("2026-07-11")))
    return pd.DataFrame(rows, columns=["response_id", "client_id", "channel", "survey", "nps",
                                       "interviewer_id", "submitted_at"])


def test_trust_notes_speak_the_report_language_and_hide_small_counts(rng):
    from cxlab import quality

    trust = quality.trust_report(_trust_fixture(rng), min_n=30)
    ru = report.trust_notes(trust, "ru", min_n=30)
    gaming = [line for line in ru if "I07" in line]
    assert len(gaming) == 1 and "10 баллов" in gaming[0]  # worded in Russian, not English
    assert not any(w in " ".join(ru) for w in ("answers are", "others'", "Fisher"))
    dup = [line for line in ru if "Повторные анкеты" in line]
    # one repeated submission: flagged, but its count (1, under the disclosure threshold)
    # is not shown
    assert dup and "скрыто" in dup[0] and " 1 " not in dup[0]
    en = report.trust_notes(trust, "en", min_n=30)
    assert any("I07" in line and "are 10s" in line for line in en)


def test_the_top_index_lists_every_language_whichever_ran_last(tmp_path):
    # an English and a Russian run of 2026Q3, a Russian one of 2026Q2
    for q, lang in (("2026Q3", "en"), ("2026Q3", "ru"), ("2026Q2", "ru")):
        (tmp_path / q / lang).mkdir(parents=True)
        (tmp_path / q / lang / "index.html").write_text("<html></html>")
    en, ru = (report.reports_index_html(tmp_path, lang) for lang in ("en", "ru"))
    assert en == ru  # the last run's language does not take the page over
    assert en.index('href="2026Q3/en/index.html"') < en.index('href="2026Q3/ru/index.html"') \
        < en.index('href="2026Q2/ru/index.html"')  # newest first, each language linked
    assert 'href="2026Q2/en/' not in en and "English" in en and "Русский" in en


def test_each_kernel_gets_its_share_of_the_cores(monkeypatch):
    """Two kernels at a time on two cores: one BLAS thread each (spinning OpenBLAS threads
    of two processes made a bootstrap 40× slower, benchmarks/README.md "Scale"); a value
    the caller set is kept, and the renderer's environment is restored afterwards."""
    from cxlab.report import rendering

    monkeypatch.setattr(rendering.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    with rendering._kernel_threads(2):
        assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
        assert os.environ["OMP_NUM_THREADS"] == "1"
        assert os.environ["MKL_NUM_THREADS"] == "3"
    assert "OPENBLAS_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "3"
    with rendering._kernel_threads(1):
        assert os.environ["OPENBLAS_NUM_THREADS"] == "2"
