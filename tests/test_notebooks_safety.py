"""The committed notebooks, read statically (nbval executes them; this checks the rules).

- each has the papermill ``parameters`` cell with the agreed type-annotated defaults;
- cells are short and read only through ``cxlab`` (no files, no SQL, no other imports);
- they are committed executed, without errors or warnings, and their outputs carry no
  personal data from the sample set;
- they are exactly what ``notebooks/_build.py`` generates, and every message key they
  use exists in English and Russian.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re

import nbformat
import pytest

from cxlab import i18n, report
from cxlab.paths import NOTEBOOKS_DIR, SAMPLES_DIR

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
    values |= set(samples.load("responses")["comment"].dropna().astype(str))
    values |= set(samples.load("complaints")["description"].dropna().astype(str))
    assert len(values) > 5000
    for name in NOTEBOOKS:
        text = _BLOBS.sub("", (NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        found = [v for v in values if v in text]
        assert not found, f"{name}: {found[:3]}"


def _builder():
    spec = importlib.util.spec_from_file_location("_build", NOTEBOOKS_DIR / "_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_what_the_generator_builds(name):
    built = _builder().build(name, _builder().NOTEBOOKS[name])
    committed = _nb(name)
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in committed.cells] == \
           [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in built.cells]


def test_every_message_key_used_exists_in_both_languages():
    text = (NOTEBOOKS_DIR / "_build.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'(?:head|say|heading|t)\("([a-z_]+(?:\.[a-z_]+)+)"', text))
    keys |= {f"{k}.title" for k in re.findall(r'opening\(\s*"([a-z]+)"', text)}
    assert len(keys) > 30
    for lang in i18n.LANGUAGES:
        missing = {k for k in keys if k not in i18n.catalogue(lang)}
        assert not missing, (lang, missing)
    assert not i18n.missing_keys("ru")


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
