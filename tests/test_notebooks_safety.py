"""The committed notebooks, read statically (nbval executes them; this checks the rules).

The notebooks are the source, edited directly (JupyterLab or a text editor):

- each has the papermill ``parameters`` cell with the agreed type-annotated defaults;
- code cells are short and read only through ``cxlab`` (no files, no SQL, no other imports);
- static prose (headings, explanations, notes) is Markdown, one cell per language: every
  ``lang-en`` cell has its ``lang-ru`` partner right after it, with the same headings; any
  other Markdown cell is a note for analysts, left out of the report;
- code says only what data decide: no ``report.say`` of a catalogue sentence without a
  placeholder (that sentence belongs in Markdown), and a catalogue heading without one
  only where the section may be missing (inside a condition or a loop);
- every message key they use exists in English and Russian;
- they are committed executed, without errors or warnings, and their outputs carry no
  personal data from the sample set.
"""

from __future__ import annotations

import ast
import configparser
import re
import string

import nbformat
import pytest

from cxlab import i18n, report
from cxlab.paths import NOTEBOOKS_DIR, SAMPLES_DIR
from cxlab.report.rendering import LANG_TAG

NOTEBOOKS = list(report.NOTEBOOKS)
MAX_CELL_LINES = 10  # DESIGN.md: a longer cell is a function waiting to be written
#: The defaults of every parameters cell; quarter is the sample data's last quarter
#: (planted: data 2024Q4–2026Q3, ends 2026-09-30).
DEFAULTS = {"quarter": ("str", "2026Q3"), "warehouse": ("str", "data/samples.duckdb"),
            "study": ("str", "data/samples/study.yml"),
            "lang": ("str", "en"), "min_n": ("int", 30), "seed": ("int", 0)}
FORBIDDEN_CALLS = {"open", "read_csv", "read_excel", "read_parquet", "read_sql", "connect",
                   "execute", "sql", "to_csv", "to_excel", "to_parquet", "savefig", "eval", "exec"}


def _nb(name):
    return nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_has_the_agreed_defaults(name):
    cells = [c for c in _nb(name).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged 'parameters' (papermill)"
    found = {}
    for node in ast.parse(cells[0].source).body:
        assert isinstance(node, ast.AnnAssign), "parameters are type-annotated assignments"
        found[node.target.id] = (node.annotation.id, ast.literal_eval(node.value))
    assert found == DEFAULTS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_are_short_and_read_only_through_cxlab(name):
    for cell in _code_cells(_nb(name)):
        src = cell.source
        assert len(src.strip().splitlines()) <= MAX_CELL_LINES, src
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] == "cxlab" for a in node.names), src
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] == "cxlab", src
            elif isinstance(node, ast.Call):
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                assert called not in FORBIDDEN_CALLS, f"{called}() in {src!r}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_executed_without_errors_or_warnings(name):
    nb = _nb(name)
    assert nb.metadata.kernelspec.name == "python3"
    assert "papermill" not in nb.metadata  # run metadata stripped: diffs show results only
    for cell in _code_cells(nb):
        if "parameters" in cell.metadata.get("tags", []):
            continue
        assert cell.execution_count is not None, f"not executed: {cell.source!r}"
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert not (out.output_type == "stream" and out.name == "stderr"), \
                f"{cell.source!r} wrote to stderr: {out.text[:200]}"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


_BLOBS = re.compile(r'"image/png":\s*"[^"]*"')


@pytest.mark.skipif(not (SAMPLES_DIR / "clients.csv").exists(), reason="sample data not generated")
def test_committed_outputs_carry_no_personal_data():
    from cxlab import samples

    clients = samples.load("clients")
    values = set()
    for col in ("client_id", "parent_name", "phone", "email", "child_name"):
        values |= set(clients[col].dropna().astype(str))
    values |= set(samples.load("complaints")["description"].dropna().astype(str))
    comments = set(samples.load("responses")["comment"].dropna().astype(str))
    names = _name_words(clients)
    assert len(values) > 5000 and len(names) > 100
    for name in NOTEBOOKS:
        text = _BLOBS.sub("", (NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        found = [v for v in values if v in text]
        assert not found, f"{name}: {found[:3]}"
        # a comment reaches an output only as a quote that names nobody: any comment
        # found whole must hold none of the clients' name words (an independent check of
        # the redaction, which replaced the names of the comments that had one)
        quoted = [c for c in comments if c in text]
        named = [c for c in quoted if _name_words_in(c) & names]
        assert not named, f"{name}: a comment with a name: {named[:3]}"


def _name_words(clients) -> set[str]:
    """Every word of the clients' and their children's names, lower case."""
    words = set()
    for col in ("parent_name", "child_name"):
        for v in clients[col].dropna().astype(str):
            words |= {w.lower() for w in v.split() if len(w) > 1}
    return words


def _name_words_in(text: str) -> set[str]:
    """The words of ``text`` and their first four letters' stems of a name's cases: the
    name lists hold nominatives ("Маша"), a comment may say "Маше" or "Машей"."""
    words = {w.lower() for w in re.findall(r"[А-Яа-яЁё]+", text)}
    return words | {w[:-1] + "а" for w in words if len(w) > 3} | {w[:-2] + "а" for w in words if len(w) > 4}


# ----------------------------------------------------------------------------- prose

#: Notes for analysts in JupyterLab: Markdown cells that never reach a report.
ANALYST_TAGS = {"analyst-only", "remove-cell"}
HEADINGS = re.compile(r"^(#{1,6})\s", re.M)
CYRILLIC = re.compile("[а-яё]", re.I)


def _lang(cell):
    tags = [t[len(LANG_TAG):] for t in cell.metadata.get("tags", []) if t.startswith(LANG_TAG)]
    assert len(tags) <= 1, f"one language per cell: {cell.source[:80]!r}"
    return tags[0] if tags else None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_prose_cells_come_in_language_pairs(name):
    """A ``lang-en`` Markdown cell is followed by its ``lang-ru`` partner (and a
    ``lang-ru`` cell follows its ``lang-en`` one), with the same headings."""
    cells, langs = _nb(name).cells, list(i18n.LANGUAGES)
    i = 0
    while i < len(cells):
        cell = cells[i]
        if _lang(cell) is None:
            assert cell.cell_type != "markdown" or ANALYST_TAGS & set(cell.metadata.get("tags", [])), \
                f"cell {i + 1}: Markdown prose without a language: tag it lang-en and add its " \
                f"lang-ru partner after it (or tag it analyst-only): {cell.source[:80]!r}"
            i += 1
            continue
        pair = cells[i:i + len(langs)]
        assert [_lang(c) for c in pair] == langs, \
            f"cell {i + 1}: prose comes as {' + '.join(LANG_TAG + x for x in langs)} cells, " \
            f"side by side in that order: {cell.source[:80]!r}"
        for c, lang in zip(pair, langs):
            assert c.cell_type == "markdown" and c.source.strip(), f"cell {i + 1}: {c.source[:80]!r}"
            assert bool(CYRILLIC.search(c.source)) == (lang == "ru"), \
                f"cell {i + 1} is tagged {LANG_TAG}{lang}: {c.source[:80]!r}"
        levels = [[len(h) for h in HEADINGS.findall(c.source)] for c in pair]
        assert all(lv == levels[0] for lv in levels), f"cell {i + 1}: the partners' headings differ"
        i += len(langs)


def _fields(key: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(i18n.catalogue("en")[key]) if f}


def _catalogue_calls(src: str):
    """``(function, key, conditional)`` for each ``report.heading`` / ``report.say`` /
    ``t`` call of a cell; an f-string key is given as its constant prefix ending in ``*``."""
    tree = ast.parse(src)
    conditional = {id(n) for top in ast.walk(tree) if isinstance(top, (ast.If, ast.IfExp, ast.For, ast.While))
                   for n in ast.walk(top) if n is not top}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        fn = node.func
        if isinstance(fn, ast.Attribute) and getattr(fn.value, "id", "") == "report" \
                and fn.attr in ("heading", "say"):
            called = fn.attr
        elif isinstance(fn, ast.Name) and fn.id == "t":
            called = "t"
        else:
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            key = arg.value
        elif isinstance(arg, ast.JoinedStr):
            key = "".join(v.value for v in arg.values[:1] if isinstance(v, ast.Constant)) + "*"
        else:
            raise AssertionError(f"a message key is a string literal: {ast.unparse(node)}")
        yield called, key, id(node) in conditional


def _all_calls():
    return [(name, *call) for name in NOTEBOOKS for cell in _code_cells(_nb(name))
            for call in _catalogue_calls(cell.source)]


def test_every_message_key_used_exists_in_both_languages():
    calls = _all_calls()
    assert len({key for _, _, key, _ in calls}) > 30
    for lang in i18n.LANGUAGES:
        keys = set(i18n.catalogue(lang))
        missing = {(name, key) for name, _, key, _ in calls
                   if not (key.endswith("*") and any(k.startswith(key[:-1]) for k in keys))
                   and key not in keys}
        assert not missing, (lang, missing)
    assert not i18n.missing_keys("ru")


def test_static_prose_is_markdown_not_a_catalogue_call():
    """A sentence with nothing to fill in is not said from code: it is a Markdown pair.
    A heading with nothing to fill in is Markdown too, unless it is shown only when its
    section's data exist (inside a condition or loop)."""
    found = []
    for name, called, key, conditional in _all_calls():
        if key.endswith("*") or _fields(key):
            continue
        if called == "say" or (called == "heading" and not conditional):
            found.append(f"{name}: report.{called}({key!r}) — {i18n.t(key, 'en')!r}")
    assert not found, "static prose said from code; make it a lang-en/lang-ru Markdown pair " \
                      "and remove the key from both catalogues:\n" + "\n".join(found)


def test_static_prose_check_catches_a_static_sentence():
    static = next(k for k in i18n.catalogue("en") if k.startswith("qr.") and not _fields(k))
    calls = list(_catalogue_calls(f'report.say("{static}", lang)\nif x:\n    report.heading("{static}", lang, 3)'))
    assert [(c, k, cond) for c, k, cond in calls] == [("say", static, False), ("heading", static, True)]


def test_code_labels_come_from_the_study_in_use(tmp_path):
    from cxlab.paths import SAMPLE_STUDY

    i18n.use_study(SAMPLE_STUDY)
    try:
        assert i18n.label("programme", "workshop", "ru") == "Мастерские"
        assert i18n.label("channel", "phone", "ru") == "Телефон"
        assert i18n.label("programme", None, "en") == "(not recorded)"
        assert i18n.label("programme", "sailing", "ru") == "sailing"  # unknown code shown as is
        assert i18n.label("nps_group", "promoter", "ru") == "Промоутеры"  # cxlab's own code
        other = tmp_path / "study.yml"
        other.write_text("channels: {phone: {en: Call centre, ru: Колл-центр}}\n", encoding="utf-8")
        i18n.use_study(other)
        assert i18n.label("channel", "phone", "en") == "Call centre"
        assert i18n.label("programme", "workshop", "ru") == "workshop"  # not this team's code
    finally:
        i18n.use_study(None)


def test_sanitize_file_is_valid():
    cfg = configparser.ConfigParser()
    cfg.read(NOTEBOOKS_DIR / "nbval_sanitize.cfg", encoding="utf-8")
    assert cfg.sections()
    for section in cfg.sections():
        re.compile(cfg[section]["regex"])
        assert "replace" in cfg[section]
    # a memory address in a repr is sanitized, a figure in a table is not
    rx = re.compile(cfg["memory addresses"]["regex"])
    assert rx.search("<object at 0x7f3a2b1c9d80>") and not rx.search("NPS 42.5 [35.1, 49.9]")
