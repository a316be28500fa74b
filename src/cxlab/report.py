"""Quarterly reports: parameterized notebooks run by papermill, exported to HTML for
stakeholders.

``render`` runs every report notebook for one quarter with papermill, keeps each executed
notebook as the run's record (its parameters are in its metadata), exports HTML without
code, prompts or parameter cells, and writes ``reports/<quarter>/index.html`` linking the
sections plus ``reports/index.html`` listing every quarter. Rendering happens in a temporary
folder next to the destination (``reports/.tmp-<quarter>-<pid>/``); ``reports/<quarter>/`` is
replaced only when every notebook succeeded, so a failing run leaves the previous report
exactly as it was. The replacement is one atomic swap of the two folders where the system
has one (Linux, macOS: :func:`_swap_in`), so the quarter's folder, and every link to it,
works at every instant; ``reports/index.html`` is replaced atomically too. A killed run's
leftovers are removed by the next run (:func:`clean_leftovers`).

The HTML is self-contained: images are inlined as base64, the notebook CSS is inlined, and
the template drops the require.js, MathJax, mermaid and widget scripts nbconvert would
fetch from a CDN — a stakeholder can open the file offline or from an e-mail.

The module also holds the presentation helpers notebooks use (``report`` never analyses):
:func:`readable` (any analysis table as a stakeholder reads it: translated headers and
labels, formatted numbers, suppression at the figure's own granularity),
:func:`breakdown_view` and :func:`crosstab_view` (complaint counts with small and
recoverable cells hidden), :func:`suppress_small`, :func:`estimate_text`, :func:`heading`,
:func:`say`, :func:`show`. The rule they keep: a stakeholder report never shows a count from
1 to ``min_n − 1``, nor a figure computed from fewer than ``min_n`` answers.
"""

from __future__ import annotations

import copy
import datetime as _dt
import errno
import html
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxlab import i18n
from cxlab import sections as _sections
from cxlab.errors import CxlabError, FileError, ParameterError, QuarterError
from cxlab.paths import (NOTEBOOKS_DIR, REPORTS_DIR, default_warehouse, make_folder, resolve,
                         write_atomic)

#: Report notebooks, in the order the quarter's index lists them (what each needs from the
#: warehouse: :data:`cxlab.sections.SECTIONS`).
NOTEBOOKS: tuple[str, ...] = tuple(_sections.SECTIONS)
#: The quarter folder's record of its sections (kept so ``--notebook X`` re-renders one
#: section and keeps the others).
MANIFEST = "sections.json"
#: The kernel papermill starts. ``python3`` resolves to the interpreter running cxlab when
#: ipykernel is importable (jupyter_client's native kernel), so a report run from ``.venv``
#: uses ``.venv`` whatever kernels are installed elsewhere.
KERNEL_NAME = "python3"
#: Cells with these tags are left out of the HTML (the parameters papermill injects, and
#: set-up cells an analyst sees in JupyterLab but a stakeholder need not).
REMOVE_TAGS: tuple[str, ...] = ("parameters", "injected-parameters", "remove-cell", "analyst-only")
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


class ReportError(CxlabError):
    """A report could not be rendered (bad notebook list, output folder problem)."""


class NotebookError(ReportError):
    """A notebook failed while rendering a report: names the notebook, the cell and the error.

    The previous report is untouched; the failed executed notebook is kept at ``kept`` for
    the analyst (it shows the traceback in place). ``cell`` is papermill's 0-based
    ``cell_index``; the message counts from 1.
    """

    def __init__(self, notebook: str, quarter: str, cell: int | None, exec_count: int | None,
                 source: str, ename: str, evalue: str, kept: Path | None = None):
        self.notebook = notebook
        self.quarter = quarter
        self.cell = cell
        self.exec_count = exec_count
        self.source = source
        self.ename = ename
        self.evalue = evalue
        self.kept = kept
        lines = [line for line in (source or "").strip().splitlines() if line.strip()]
        excerpt = lines[0] if lines else ""
        if len(lines) > 1:
            excerpt += " …"
        # papermill's cell_index counts from 0 in the executed notebook (injected
        # parameters included); people count from 1
        where = f"cell {cell + 1} of the executed notebook" if cell is not None else "a cell"
        if exec_count is not None:
            where += f" (execution count [{exec_count}])"
        msg = (
            f"notebook '{notebook}' failed for {quarter} in {where}: {ename}: {evalue}"
            f"\n  cell source: {excerpt[:200]}"
            f"\n  the previous report for {quarter} (if any) was left untouched"
        )
        if kept is not None:
            msg += f"\n  executed notebook with the traceback: {kept}"
        super().__init__(msg)


# ------------------------------------------------------------------------- quarters

def _io():
    from cxlab import io  # imported late: the report module stays importable without data

    return io


def check_quarter_format(quarter: str) -> str:
    """A quarter string like ``2026Q3``, or :class:`QuarterError`."""
    q = str(quarter).strip().upper()
    if not QUARTER_RE.match(q):
        raise QuarterError(
            f"quarter {quarter!r} is not a quarter: expected a year and a quarter like "
            "'2026Q3', or 'latest'"
        )
    return q


def resolve_quarter(quarter: str, warehouse) -> str:
    """``latest`` → the last complete quarter with data; any other quarter is checked.

    Raises
    ------
    QuarterError
        A malformed quarter, a quarter the warehouse does not have, or one with no survey
        responses in it.
    """
    io = _io()
    if str(quarter).strip().lower() == "latest":
        return io.latest_quarter(warehouse)
    q = check_quarter_format(quarter)
    available = list(io.quarters(warehouse))
    if q not in available:
        shown = ", ".join(available) if available else "none"
        raise QuarterError(
            f"quarter {q} has no data in the warehouse {warehouse}: quarters with survey "
            f"responses are {shown}"
        )
    return q


# ------------------------------------------------------------------------- rendering

@dataclass(frozen=True)
class Section:
    """One rendered notebook of a quarter's report."""

    name: str
    title: str
    html: str  # file name of the HTML, relative to the quarter's folder
    notebook: str  # file name of the executed notebook
    seconds: float


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render` produced."""

    quarter: str
    index: Path
    sections: tuple[Section, ...]
    seconds: float
    lang: str = "en"
    parameters: dict = field(default_factory=dict)
    left_out: tuple = ()  # (section title, reason) of sections whose data is missing

    def summary(self) -> str:
        lines = [f"{self.quarter}: {len(self.sections)} section(s) in {self.seconds:.1f} s → {self.index}"]
        lines += [f"  {s.name:<18} {s.seconds:6.1f} s" for s in self.sections]
        lines += [f"  left out: {t} — {r}" for t, r in self.left_out]
        return "\n".join(lines)


def _notebook_paths(notebooks) -> list[Path]:
    names = NOTEBOOKS if notebooks is None else notebooks
    if isinstance(names, (str, os.PathLike)):
        names = [names]
    paths = []
    for item in names:
        p = Path(item)
        if p.suffix != ".ipynb":
            p = NOTEBOOKS_DIR / f"{p.name}.ipynb" if len(p.parts) == 1 else p.with_suffix(".ipynb")
        p = resolve(p)
        if not p.is_file():
            raise ReportError(f"report notebook {p} does not exist; expected one of "
                              f"{', '.join(NOTEBOOKS)} in {NOTEBOOKS_DIR} or a path to an .ipynb file")
        paths.append(p)
    if not paths:
        raise ReportError("no notebooks to render: pass at least one")
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise ReportError(f"two report notebooks share a name: {', '.join(stems)}")
    return paths


def section_title(name: str, lang: str) -> str:
    """A notebook's title in the report language (its file name when the catalogue has none)."""
    key = f"notebook.{name}"
    return i18n.t(key, lang) if i18n.has(key, lang) else name.replace("_", " ").capitalize()


def run_notebook(path: Path, output: Path, parameters: dict, kernel_name: str = KERNEL_NAME,
                 quarter: str = "", failed_dir: Path | None = None):
    """Execute one notebook with papermill; a failing cell becomes a :class:`NotebookError`.

    Returns the executed notebook (``nbformat.NotebookNode``), also written to ``output``.
    """
    import nbformat
    import papermill as pm

    # No ``cwd=``: papermill implements it with a process-wide os.chdir, which races when
    # notebooks run in parallel threads (one thread restores the directory another set,
    # leaving the process in notebooks/). The notebooks resolve every path from the project
    # root (cxlab.paths), so the kernel's working directory does not matter.
    try:
        pm.execute_notebook(
            str(path), str(output), parameters=parameters, kernel_name=kernel_name,
            progress_bar=False, log_output=False,
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # no TCP warning or shutdown noise on stderr
        )
    except pm.PapermillExecutionError as err:
        kept = None
        if failed_dir is not None and output.exists():
            try:
                failed_dir.mkdir(parents=True, exist_ok=True)
                kept = failed_dir / output.name
                shutil.copyfile(output, kept)
            except OSError:  # the failure itself is what the analyst must see
                kept = None
        raise NotebookError(path.stem, quarter, err.cell_index, err.exec_count, err.source,
                            err.ename, err.evalue, kept) from None
    except Exception as err:  # kernel died, no such kernel, unreadable notebook …
        if isinstance(err, CxlabError):
            raise
        raise NotebookError(path.stem, quarter, None, None, "", type(err).__name__, str(err)) from None
    return nbformat.read(str(output), as_version=4)


_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{#- Self-contained for e-mail and offline reading: nothing is fetched from the network. -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.cxlab_css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.cxlab_nav }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.cxlab_footer }}
{{ super() }}
{%- endblock body_footer -%}
"""

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; }
nav.cxlab-nav, footer.cxlab-footer { max-width: 1100px; margin: 0.5em auto; padding: 0.4em 1em;
  font-size: 0.9em; color: #555; }
nav.cxlab-nav a { margin-right: 1em; }
.jp-RenderedHTMLCommon table { font-size: 0.95em; }
.jp-RenderedHTMLCommon td.small-n, .jp-RenderedHTMLCommon tr.small-n td { color: #999; }
"""


def _exporter(lang: str):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config({
        "TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": list(REMOVE_TAGS)},
    })
    return HTMLExporter(
        config=config,
        template_name="lab",
        extra_loaders=[DictLoader({"cxlab_report.html.j2": _TEMPLATE})],
        template_file="cxlab_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )


def _for_stakeholders(nb):
    """A copy without what a stakeholder should not see: stderr streams and error outputs."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [
            o for o in cell.get("outputs", [])
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            and o.get("output_type") != "error"
        ]
    return nb


def export_html(nb, title: str, lang: str = "en", nav: str = "", footer: str = "") -> str:
    """HTML of an executed notebook for stakeholders: no code, prompts or parameter cells."""
    nb = _for_stakeholders(nb)
    nb.metadata["title"] = title
    resources = {"cxlab_nav": nav, "cxlab_footer": footer, "cxlab_css": _CSS}
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    return body


def _page(title: str, body: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8" />\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n"
        "body { font-family: -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "sans-serif; max-width: 800px; margin: 2em auto; padding: 0 1em; color: #222; }\n"
        "li { margin: 0.4em 0; } .meta { color: #666; font-size: 0.9em; }\n"
        f"</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def quarter_index_html(quarter: str, sections, lang: str, parameters: dict,
                       left_out=()) -> str:
    """The quarter's front page: its sections, those left out and why, and how the report
    was made. ``left_out`` is a sequence of ``(title, reason text)``."""
    title = i18n.t("report.quarter_title", lang, quarter=quarter)
    items = "\n".join(
        f'<li><a href="{html.escape(s.html)}">{html.escape(s.title)}</a></li>' for s in sections
    )
    skipped = ""
    if left_out:
        rows = "\n".join(f"<li>{html.escape(t)}: {html.escape(r)}</li>" for t, r in left_out)
        skipped = (f'<h2>{html.escape(i18n.t("report.left_out", lang))}</h2>\n'
                   f'<ul class="left-out">\n{rows}\n</ul>\n')
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = i18n.t("report.made", lang, when=when, min_n=parameters.get("min_n", ""))
    body = (
        f'<p class="meta"><a href="../index.html">{html.escape(i18n.t("report.all_quarters", lang))}</a></p>\n'
        f"<h1>{html.escape(title)}</h1>\n<ul>\n{items}\n</ul>\n{skipped}"
        f'<p class="meta">{html.escape(meta)}</p>'
    )
    return _page(title, body, lang)


def reports_index_html(out: Path, lang: str) -> str:
    """``reports/index.html``: every rendered quarter, newest first."""
    quarters = sorted(
        (p.name for p in out.iterdir() if p.is_dir() and QUARTER_RE.match(p.name)
         and (p / "index.html").is_file()),
        reverse=True,
    )
    title = i18n.t("report.index_title", lang)
    items = "\n".join(
        f'<li><a href="{q}/index.html">{html.escape(i18n.t("report.quarter_title", lang, quarter=q))}</a></li>'
        for q in quarters
    )
    body = f"<h1>{html.escape(title)}</h1>\n<ul>\n{items}\n</ul>"
    return _page(title, body, lang)


_LEFTOVER_RE = re.compile(r"^\.(?P<kind>tmp|old)-(?P<name>.+)-(?P<pid>\d+)$")
_UNSUPPORTED = {getattr(errno, n) for n in ("EINVAL", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EXDEV")
                if hasattr(errno, n)}


def _exchange_function():
    """The system's atomic swap of two paths, or None: Linux ``renameat2(RENAME_EXCHANGE)``,
    macOS ``renamex_np(RENAME_SWAP)``."""
    import ctypes
    import sys

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: fn(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        fn = libc.renamex_np
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: fn(a, b, 2)  # RENAME_SWAP
    return None


_EXCHANGE = _exchange_function()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    import ctypes

    if _EXCHANGE is None:
        return False
    if _EXCHANGE(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_in(tmp: Path, dest: Path) -> None:
    """Put the folder ``tmp`` at ``dest`` so that ``dest`` exists at every instant.

    Where the system can swap two folders atomically (Linux, macOS), the new report and
    the old trade places in one step and the old one, now at ``tmp``, is removed: a
    reader opening ``dest`` at any moment finds a complete report, the old or the new,
    never none (links into it, ``reports/index.html``'s included, keep working). Elsewhere (Windows, some network file systems) the old
    folder is renamed away to ``.old-<name>-<pid>`` and the new one renamed in: two
    renames, with a moment without ``dest`` in between; a run killed in that moment is
    repaired by the next run, which moves ``.old-…`` back. On failure ``dest`` is kept.
    """
    if not dest.exists():
        os.rename(tmp, dest)
        return
    if _exchange(tmp, dest):
        shutil.rmtree(tmp, ignore_errors=True)  # the old report; a kill here: next run
        return
    old = dest.with_name(f".old-{dest.name}-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except OSError:
        os.replace(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(out: Path) -> list[Path]:
    """Remove what killed runs left in the reports folder ``out``.

    ``.tmp-<quarter>-<pid>/`` (a half-rendered report, or the old one swapped out) and
    temporary index files are deleted when their process is gone; ``.old-<quarter>-<pid>/``
    is moved back to ``<quarter>/`` when that is missing (the run died between its two
    renames), else deleted. A run still going is left alone. Returns what was removed or
    moved back.
    """
    from cxlab.paths import pid_alive, remove_stale_temp_files

    done = []
    try:
        entries = sorted(out.iterdir())
    except FileNotFoundError:
        return done
    for p in entries:
        m = _LEFTOVER_RE.match(p.name)
        if not m or pid_alive(int(m.group("pid"))):
            continue
        dest = out / m.group("name")
        if m.group("kind") == "old" and not dest.exists() and p.is_dir():
            os.rename(p, dest)
        elif p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
        done.append(p)
    done += remove_stale_temp_files(out / "index.html")
    return done


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True, disable=not enabled,
    )


def render(
    quarter: str = "latest",
    warehouse=None,
    out=REPORTS_DIR,
    lang: str | None = None,
    min_n: int | None = None,
    notebooks=None,
    seed: int = 0,
    progress: bool = True,
    kernel_name: str = KERNEL_NAME,
    jobs: int = 2,
    study=None,
) -> RenderResult:
    """Render one quarter's report: papermill → executed notebooks → HTML → index pages.

    Every section whose data the warehouse holds is rendered; the others are listed on
    the quarter's index with the reason (:mod:`cxlab.sections`). Asking for sections by
    name (``notebooks=``) re-renders just those and keeps the quarter's other sections.

    Parameters
    ----------
    quarter : str
        ``"2026Q3"`` or ``"latest"`` (the last complete quarter with data).
    warehouse : path, optional
        The DuckDB warehouse; relative paths are taken from the project root. Defaults to
        :func:`cxlab.paths.default_warehouse`.
    out : path
        The reports folder; the quarter goes to ``out/<quarter>/``.
    lang : {"en", "ru"}, optional
        Language of headings, labels and narration (default: the study's).
    min_n : int, optional
        Groups with fewer answers are suppressed in the report (default: the study's).
    notebooks : list of str or paths, optional
        Sections to (re-)render: names in ``notebooks/`` or paths to ``.ipynb`` files.
        Default: every section of :data:`NOTEBOOKS` whose data exists.
    seed : int
        Seed for bootstrap intervals: same seed, same report.
    progress : bool
        Show a progress bar over the notebooks (on stderr).
    kernel_name : str
        Jupyter kernel to run the notebooks in.
    jobs : int
        Notebooks executed at the same time (each in its own kernel process).
    study : Study or path, optional
        The study file (default :func:`cxlab.study.default_study`).

    Returns
    -------
    RenderResult

    Raises
    ------
    QuarterError
        Unknown, malformed or empty quarter.
    ReportError
        A section asked for by name cannot run: every missing table or column of every
        such section is named in one message, before any notebook starts.
    NotebookError
        A notebook failed: names the notebook, the cell and the error; ``out/<quarter>/``
        is left exactly as it was.
    FileError
        The reports folder cannot be written (read-only, full, a path through a file);
        the previous report is left as it was.
    """
    from cxlab.study import load_study

    started = time.perf_counter()
    st = load_study(study)
    lang = i18n.check_lang(lang if lang is not None else st.language)
    min_n = st.min_n if min_n is None else min_n
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 1:
        raise ParameterError(f"min_n must be a whole number ≥ 1; got {min_n!r}")
    warehouse = resolve(warehouse) if warehouse is not None else default_warehouse()
    quarter = resolve_quarter(quarter, warehouse)
    asked = notebooks is not None
    paths = _notebook_paths(notebooks)
    holdings = _sections.inspect(warehouse, quarter)
    lacking = {p.stem: _sections.missing(p.stem, holdings, st) for p in paths}
    if asked and any(lacking.values()):
        lines = [f"  - {section_title(name, 'en')} ({name}): "
                 + "; ".join(str(x) for x in lacks) for name, lacks in lacking.items() if lacks]
        raise ReportError(f"cannot render {quarter} from {warehouse}: the warehouse lacks what "
                          "these sections need:\n" + "\n".join(lines)
                          + "\nIngest the missing tables (cxlab ingest FILE --table NAME) or "
                          "leave these sections out.")
    run = [p for p in paths if not lacking[p.stem]]
    out = resolve(out)
    parameters = {"quarter": quarter, "warehouse": str(warehouse), "lang": lang,
                  "min_n": int(min_n), "seed": int(seed), "study": str(st.source)}
    try:
        make_folder(out)
        clean_leftovers(out)
        return _render_into(out, quarter, run, paths, asked, lacking, lang, parameters,
                            kernel_name, jobs, progress, started)
    except OSError as err:
        raise FileError.from_os(err, f"write the {quarter} report in {out}") from None


def _render_into(out: Path, quarter: str, run, paths, asked: bool, lacking, lang: str,
                 parameters: dict, kernel_name: str, jobs: int, progress: bool,
                 started: float) -> RenderResult:
    """The rendering proper (:func:`render`): notebooks into ``.tmp-<quarter>-<pid>/``,
    then swapped in whole (:func:`_swap_in`)."""
    rerun_titles = {section_title(p.stem, lang) for p in run}
    dest = out / quarter
    kept, kept_left = _kept_sections(dest, {p.stem for p in run}) if asked else ([], [])
    left_out = [x for x in kept_left if x[0] not in rerun_titles] + [(section_title(p.stem, lang), "; ".join(x.text(lang) for x in lacking[p.stem]))
                            for p in paths if lacking[p.stem]]
    tmp = out / f".tmp-{quarter}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    order = [n for n in NOTEBOOKS if n in {p.stem for p in run} | {k.name for k in kept}]
    order += [p.stem for p in run if p.stem not in order]
    titles = {name: section_title(name, lang) for name in order}
    footer = _footer_html(quarter, parameters, lang)
    failed_dir = out / f".failed-{quarter}"
    jobs = max(1, min(int(jobs), max(1, len(run))))
    done: dict[str, Section] = {}

    def one(path: Path) -> Section:
        t0 = time.perf_counter()
        executed = run_notebook(path, tmp / path.name, parameters, kernel_name,
                                quarter=quarter, failed_dir=failed_dir)
        page = export_html(executed, f"{titles[path.stem]} — {quarter}", lang,
                           nav=_nav_html(quarter, titles, current=path.stem, lang=lang),
                           footer=footer)
        (tmp / f"{path.stem}.html").write_text(page, encoding="utf-8")
        return Section(path.stem, titles[path.stem], f"{path.stem}.html", path.name,
                       time.perf_counter() - t0)

    try:
        for k in kept:  # sections not re-rendered this time stay as they were
            for name in (k.html, k.notebook):
                if (dest / name).is_file():
                    shutil.copy2(dest / name, tmp / name)
            done[k.name] = k
        with _progress(progress) as bar:
            task = bar.add_task(f"{quarter}", total=len(run))
            # Kernels are separate processes: two notebooks at a time use both cores
            # while papermill itself mostly waits on them.
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(one, p): p for p in run}
                errors: dict[str, BaseException] = {}
                for fut in as_completed(futures):
                    path = futures[fut]
                    try:
                        done[path.stem] = fut.result()
                    except BaseException as err:  # noqa: BLE001 - re-raised below, in order
                        errors[path.stem] = err
                        for other in futures:
                            other.cancel()
                    bar.update(task, advance=1, description=f"{quarter} · {path.stem}")
            if errors:
                first = next(p.stem for p in run if p.stem in errors)
                raise errors[first]
        sections = [done[name] for name in order if name in done]
        (tmp / "index.html").write_text(
            quarter_index_html(quarter, sections, lang, parameters, left_out), encoding="utf-8")
        _write_manifest(tmp / MANIFEST, sections, left_out, parameters)
        _swap_in(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    failed = out / f".failed-{quarter}"
    if failed.exists():  # this run succeeded: an older failure record is stale
        shutil.rmtree(failed, ignore_errors=True)
    write_atomic(out / "index.html", reports_index_html(out, lang))
    return RenderResult(quarter, dest / "index.html", tuple(sections),
                        time.perf_counter() - started, lang, parameters, tuple(left_out))


def _write_manifest(path: Path, sections, left_out, parameters: dict) -> None:
    import json

    data = {"parameters": parameters,
            "sections": [{"name": s.name, "title": s.title, "html": s.html,
                          "notebook": s.notebook, "seconds": round(s.seconds, 3)} for s in sections],
            "left_out": [{"title": t, "reason": r} for t, r in left_out]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _kept_sections(dest: Path, rerendered: set[str]) -> tuple[list[Section], list[tuple[str, str]]]:
    """The sections of an existing quarter folder that this run does not re-render."""
    import json

    try:
        data = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], []
    kept = [Section(d["name"], d["title"], d["html"], d["notebook"], float(d["seconds"]))
            for d in data.get("sections", []) if d["name"] not in rerendered
            and (dest / d["html"]).is_file()]
    names = {s.title for s in kept}
    left = [(d["title"], d["reason"]) for d in data.get("left_out", []) if d["title"] not in names]
    return kept, left


def _nav_html(quarter: str, titles: dict[str, str], current: str, lang: str) -> str:
    links = [f'<a href="index.html">{html.escape(i18n.t("report.quarter_title", lang, quarter=quarter))}</a>']
    for name, title in titles.items():
        if name == current:
            links.append(f"<strong>{html.escape(title)}</strong>")
        else:
            links.append(f'<a href="{html.escape(name)}.html">{html.escape(title)}</a>')
    return '<nav class="cxlab-nav">' + " · ".join(links) + "</nav>"


def _footer_html(quarter: str, parameters: dict, lang: str) -> str:
    text = i18n.t("report.footer", lang, quarter=quarter, min_n=parameters["min_n"])
    return f'<footer class="cxlab-footer">{html.escape(text)}</footer>'


# ------------------------------------------------------------------------- re-executing notebooks

def execute_in_place(notebooks=None, warehouse=None, kernel_name: str = KERNEL_NAME,
                     progress: bool = True) -> list[Path]:
    """Re-execute notebooks in place with their default parameters (refresh committed outputs).

    Only ``warehouse`` may be overridden (defaults stay as written in each notebook's
    parameters cell, so nbval compares against outputs made from those defaults).
    """
    import nbformat

    paths = _notebook_paths(notebooks)
    parameters = {} if warehouse is None else {"warehouse": str(resolve(warehouse))}
    done = []
    with _progress(progress) as bar:
        task = bar.add_task("notebooks", total=len(paths))
        for path in paths:
            bar.update(task, description=f"notebooks · {path.stem}")
            tmp = path.with_name(f".{path.stem}.executing.ipynb")
            try:
                run_notebook(path, tmp, parameters, kernel_name, quarter="(defaults)")
                nb = nbformat.read(str(tmp), as_version=4)
                _strip_run_metadata(nb)
                nbformat.write(nb, str(tmp))
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
            done.append(path)
            bar.advance(task)
    return done


def _strip_run_metadata(nb) -> None:
    """Drop what changes from run to run without meaning (timings, injected parameters).

    Committed notebooks then differ only where results differ, and nbval re-runs them
    with the defaults of their own parameters cell.
    """
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


# ------------------------------------------------------------------------- presentation helpers

def suppressed_label(min_n: int) -> str:
    """The text shown instead of a figure from fewer than ``min_n`` answers."""
    return f"n < {min_n}"


def suppress_small(table: pd.DataFrame, min_n: int = 30, n_col: str = "n",
                   columns=None) -> pd.DataFrame:
    """Replace every figure of a group with fewer than ``min_n`` answers by ``"n < min_n"``.

    Parameters
    ----------
    table : DataFrame
        One row per group, with a count column ``n_col``.
    min_n : int
        Smallest group whose figures may be shown.
    n_col : str
        The count column; it is suppressed too (a count of 3 can identify a family).
    columns : list of str, optional
        The columns to suppress; defaults to every column.

    Returns
    -------
    DataFrame
        A copy; suppressed columns become text (object dtype).
    """
    if n_col not in table.columns:
        raise ParameterError(
            f"suppress_small needs the count column {n_col!r}; the table has "
            f"{', '.join(map(str, table.columns))}"
        )
    out = table.copy()
    small = pd.to_numeric(out[n_col], errors="coerce").fillna(0) < min_n
    cols = list(out.columns) if columns is None else list(columns)
    if n_col not in cols:
        cols.append(n_col)
    for col in cols:
        out[col] = out[col].astype(object)
        out.loc[small, col] = suppressed_label(min_n)
    return out


# ------------------------------------------------------------------------- formatting

#: Index levels whose values are codes translated with :func:`cxlab.i18n.label` (besides
#: the code lists of the study in use: its segments and ``codes``).
CODE_LEVELS = ("channel", "survey", "origin", "importance", "source", "cohort",
               "nps_group", "group")


def _is_code_level(name) -> bool:
    st = i18n.active_study()
    return name in CODE_LEVELS or (st is not None and isinstance(name, str)
                                   and st.codelist(name) is not None)
MINUS = "\u2212"


def fmt_num(x, digits: int = 0, lang: str = "en", sign: bool = False) -> str:
    """A number for a reader: typographic minus, a decimal comma in Russian, "–" if missing."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if v != v:  # NaN
        return "–"
    v = round(v, digits) + 0.0  # avoid "-0"
    text = f"{abs(v):,.{digits}f}".replace(",", "\u202f")
    if lang == "ru":
        text = text.replace(".", ",")
    if v < 0:
        return MINUS + text
    return ("+" + text) if sign and v > 0 else text


def estimate_text(est, lo, hi, digits: int = 0, lang: str = "en", scale: float = 1.0,
                  suffix: str = "", sign: bool = False) -> str:
    """``"42 [35, 49]"``: an estimate with its interval (``scale=100`` for shares as %)."""
    sep = "; " if lang == "ru" else ", "
    f = lambda v, s=False: fmt_num(None if v is None else float(v) * scale, digits, lang, s)  # noqa: E731
    if f(est) == "–":
        return "–"
    return f"{f(est, sign)}{suffix} [{f(lo, sign)}{sep}{f(hi, sign)}]"


def _translate_index(table: pd.DataFrame, lang: str, kinds: dict | None = None) -> pd.DataFrame:
    """Index values (codes) and names in the report language."""
    kinds = kinds or {}
    out = table.copy()

    def one(level_name, values):
        kind = kinds.get(level_name, level_name if _is_code_level(level_name) else None)
        if kind is None:
            return [str(v) for v in values]
        return [i18n.label(kind, v, lang) for v in values]

    idx = out.index
    if isinstance(idx, pd.MultiIndex):
        arrays = [one(name, idx.get_level_values(i)) for i, name in enumerate(idx.names)]
        names = [col_label(n, lang) if n else n for n in idx.names]
        out.index = pd.MultiIndex.from_arrays(arrays, names=names)
    else:
        out.index = pd.Index(one(idx.name, idx), name=col_label(idx.name, lang) if idx.name else None)
    return out


def col_label(name: str, lang: str, **values) -> str:
    """A column or index header in the report language: the catalogue's, else the study's
    name of a segment (``travel_class`` → «Класс»), else the name itself."""
    key = f"col.{name}"
    if i18n.has(key, lang):
        return i18n.t(key, lang, **values)
    own = i18n.study_label("segment", name, lang)
    return own if own is not None else str(name)


def _view(rows: dict[str, list], index, min_n: int, n, lang: str, kinds=None,
          small=None) -> pd.DataFrame:
    """Assemble a presentation table; groups under ``min_n`` (or marked ``small``) are
    suppressed."""
    view = pd.DataFrame(rows, index=index)
    counts = pd.to_numeric(pd.Series(n.to_numpy() if hasattr(n, "to_numpy") else n,
                                     index=view.index), errors="coerce")
    view.insert(0, "n", [f"{int(v)}" if pd.notna(v) else "–" for v in counts])
    mask = (counts.fillna(0) < min_n).to_numpy().copy()
    if small is not None:
        mask |= pd.Series(small).fillna(True).to_numpy(dtype=bool)
    view = view.astype(object)
    view.loc[mask, :] = suppressed_label(min_n)
    view = _translate_index(view, lang, kinds)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def nps_view(table: pd.DataFrame, min_n: int = 30, lang: str = "en", kinds=None) -> pd.DataFrame:
    """An :func:`cxlab.metrics.nps_table` for stakeholders: NPS with its interval, shares
    of promoters and detractors, groups under ``min_n`` suppressed, codes translated."""
    table = in_study_order(table)
    n = table["n"]
    rows = {
        "nps_ci": [estimate_text(e, l, h, 0, lang) for e, l, h in
                   zip(table["nps"], table["ci_low"], table["ci_high"])],
        "promoters_pct": [_pct(p / k if k else None, lang) for p, k in zip(table["promoters"], n)],
        "detractors_pct": [_pct(d / k if k else None, lang) for d, k in zip(table["detractors"], n)],
    }
    return _view(rows, table.index, min_n, n, lang, kinds)


def share_view(table: pd.DataFrame, share: str = "share", lo: str = "ci_low", hi: str = "ci_high",
               n_col: str = "n", min_n: int = 30, lang: str = "en", name: str = "share_ci",
               kinds=None) -> pd.DataFrame:
    """A table of shares (CSI top box, FCR, response rate) as "% [interval]" with n."""
    table = in_study_order(table)
    rows = {name: [estimate_text(e, l, h, 0, lang, scale=100, suffix="%") for e, l, h in
                   zip(table[share], table[lo], table[hi])]}
    return _view(rows, table.index, min_n, table[n_col], lang, kinds)


def change_text(change, lo, hi, p, small: bool, lang: str = "en", alpha: float = 0.05,
                digits: int = 0) -> str:
    """A change marked only where significant: ``"▲ +12 [4, 20]"`` or ``"no significant change"``."""
    if change is None or pd.isna(change):
        return "–"
    if small:
        return i18n.t("text.change_small_n", lang)
    if pd.notna(p) and float(p) < alpha:
        arrow = "▲" if change > 0 else "▼"
        return f"{arrow} {estimate_text(change, lo, hi, digits, lang, sign=True)}"
    return i18n.t("text.no_significant_change", lang, change=fmt_num(change, digits, lang, True))


def trend_view(trend: pd.DataFrame, quarter: str, min_n: int = 30, lang: str = "en",
               quarter_level: str = "quarter", alpha: float = 0.05) -> pd.DataFrame:
    """The quarter's rows of :func:`cxlab.metrics.nps_trend` (one per channel/group): NPS
    with its interval, the previous quarter's NPS and the change, marked only where
    significant (two-sided p < ``alpha``)."""
    t = trend.xs(quarter, level=quarter_level) if isinstance(trend.index, pd.MultiIndex) \
        else trend.loc[[quarter]]
    if t.empty:
        raise QuarterError(f"the NPS trend has no rows for {quarter}")
    rows = {
        "nps_ci": [estimate_text(e, l, h, 0, lang) for e, l, h in zip(t["nps"], t["ci_low"], t["ci_high"])],
        "prev_quarter": [str(q) if isinstance(q, str) else "–" for q in t["prev_quarter"]],
        "change_ci": [change_text(c, l, h, p, s, lang, alpha) for c, l, h, p, s in
                      zip(t["change"], t["change_ci_low"], t["change_ci_high"], t["change_p"],
                          t["change_small_n"])],
    }
    return _view(rows, t.index, min_n, t["n"], lang)


def comparison_view(table: pd.DataFrame, min_n: int = 30, lang: str = "en", digits: int = 0,
                    scale: float = 1.0, suffix: str = "", kinds=None) -> pd.DataFrame:
    """A :func:`cxlab.metrics.compare_groups`-shaped table (``n, estimate, ref_n,
    ref_estimate, diff, ci_low, ci_high, p_holm, significant``) for stakeholders; a group
    whose reference is under ``min_n`` shows its own figure but no comparison."""
    ref_small = (table["ref_n"] < min_n).to_numpy()
    no_ref = i18n.t("text.ref_small", lang, min_n=min_n)

    def num(v):
        return fmt_num(None if pd.isna(v) else v * scale, digits, lang) + suffix

    rows = {
        "estimate": [num(v) for v in table["estimate"]],
        "ref_estimate": [no_ref if rs else num(v) for v, rs in zip(table["ref_estimate"], ref_small)],
        "diff_ci": [no_ref if rs else estimate_text(d, lo, hi, digits, lang, scale=scale, sign=True)
                    for d, lo, hi, rs in zip(table["diff"], table["ci_low"], table["ci_high"], ref_small)],
        "significant": [no_ref if rs else ("–" if pd.isna(p) else i18n.t("text.yes" if s else "text.no", lang))
                        for s, p, rs in zip(table["significant"].fillna(False), table["p_holm"], ref_small)],
    }
    return _view(rows, table.index, min_n, table["n"], lang, kinds)


# ------------------------------------------------------------------------- narration

def heading(key: str, lang: str = "en", level: int = 2, **values):
    """A Markdown heading from the catalogue, for a notebook cell's output."""
    from IPython.display import Markdown

    return Markdown(f"{'#' * level} {i18n.t(key, lang, **values)}")


def say(key: str, lang: str = "en", **values):
    """A sentence of narration from the catalogue, as Markdown."""
    from IPython.display import Markdown

    return Markdown(i18n.t(key, lang, **values))


def skip(data, section: str, lang: str = "en") -> bool:
    """In a notebook: True (and a sentence saying why) when the quarter's data lack what
    ``section`` needs (:mod:`cxlab.sections`); False when the section can be shown.

    >>> if not report.skip(data, "complaints", lang):   # doctest: +SKIP
    ...     section = complaints.complaints_section(...)
    """
    lacks = data.lacks(section)
    if not lacks:
        return False
    text = i18n.t("left.sentence", lang, reasons="; ".join(x.text(lang) for x in lacks))
    _display_markdown(text)
    return True


def _display_markdown(text: str) -> None:
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        print(text)
        return
    display(Markdown(html.escape(text, quote=False)))


def bullets(lines) -> object:
    """Markdown bullet list."""
    from IPython.display import Markdown

    return Markdown("\n".join(f"- {line}" for line in lines))


def show(ax_or_fig=None) -> None:
    """Display a figure as an inline PNG and close it (no ``<Axes …>`` text output)."""
    import matplotlib.pyplot as plt

    fig = ax_or_fig.figure if hasattr(ax_or_fig, "figure") and not hasattr(ax_or_fig, "savefig") \
        else (ax_or_fig or plt.gcf())
    fig.tight_layout()
    plt.show()
    plt.close(fig)


def headline_sentences(trend: pd.DataFrame, quarter: str, min_n: int = 30, lang: str = "en",
                       alpha: float = 0.05, kind: str = "channel") -> list[str]:
    """One sentence per channel (group) on this quarter's NPS and its change, for a summary."""
    t = trend.xs(quarter, level="quarter") if isinstance(trend.index, pd.MultiIndex) else trend.loc[[quarter]]
    out = []
    for key, r in in_study_order(t).iterrows():
        name = i18n.label(kind, key if not isinstance(key, tuple) else key[0], lang)
        if r["n"] < min_n:
            out.append(i18n.t("text.group_suppressed", lang, group=name, min_n=min_n))
            continue
        base = i18n.t("text.nps_is", lang, group=name,
                      nps=estimate_text(r["nps"], r["ci_low"], r["ci_high"], 0, lang), n=int(r["n"]))
        if pd.isna(r["change"]):
            change = ""
        elif r["change_small_n"]:
            change = i18n.t("text.change_small_n", lang)
        elif r["change_p"] < alpha:
            key2 = "text.change_up" if r["change"] > 0 else "text.change_down"
            change = i18n.t(key2, lang, points=fmt_num(abs(r["change"]), 0, lang),
                            prev=r["prev_quarter"], p=_p_text(r["change_p"], lang))
        else:
            change = i18n.t("text.change_none", lang, prev=r["prev_quarter"])
        out.append(f"{base}{'; ' + change if change else ''}.")
    return out


def _p_text(p, lang: str) -> str:
    return p_text(p, lang)


# ------------------------------------------------------------------------- a quarter's data

@dataclass(frozen=True)
class QuarterData:
    """The tables a report notebook reads for one quarter (loaded through :mod:`cxlab.io`).

    Nothing after the quarter's end is loaded (a past quarter renders the same later),
    except contacts up to ``fcr_window_days`` after it, so that a request late in the
    quarter can still be judged for first-contact resolution. A table the warehouse does
    not hold is an empty frame with the table's columns; :meth:`lacks` says what a section
    misses.

    Attributes
    ----------
    quarter, prev_quarter : str
        ``'2026Q3'`` and the calendar quarter before it.
    start, end : Timestamp
        The quarter is ``[start, end)``.
    responses_all : DataFrame
        Every response up to the quarter's end, with a ``quarter`` column (for trends).
    responses : DataFrame
        The quarter's responses.
    invitations : DataFrame
        The quarter's invitations.
    contacts : DataFrame
        Contacts up to ``end + fcr_window_days``, with a ``quarter`` column.
    clients, visits, complaints : DataFrame
        Up to the quarter's end (clients who joined by then).
    study : Study
        Whose code lists, segments, factors and targets apply.
    holdings : cxlab.sections.Holdings
        What the warehouse holds (tables, filled columns).
    """

    quarter: str
    prev_quarter: str
    start: pd.Timestamp
    end: pd.Timestamp
    warehouse: Path
    responses_all: pd.DataFrame
    responses: pd.DataFrame
    invitations: pd.DataFrame
    contacts: pd.DataFrame
    clients: pd.DataFrame
    visits: pd.DataFrame
    complaints: pd.DataFrame
    study: object = None
    holdings: object = None

    def lacks(self, section: str) -> list:
        """What ``section`` (a name of :data:`cxlab.sections.SECTIONS`) lacks; empty when
        it can be shown."""
        return _sections.missing(section, self.holdings, self.study)

    def has(self, table: str) -> bool:
        """Does the warehouse hold ``table`` with rows?"""
        return self.holdings.has(table)

    @property
    def scored(self) -> bool:
        """Are there 0–10 recommendation answers this quarter (not only yes/no)?"""
        return "nps" in self.responses.columns and bool(self.responses["nps"].notna().any())

    @property
    def segments(self) -> list[str]:
        """The study's segment columns that hold values in the quarter's responses."""
        r = self.responses
        return [s for s in self.study.segments if s in r.columns and r[s].notna().any()]

    @property
    def factor_columns(self) -> list[str]:
        """The study's loyalty factors answered in the quarter."""
        r = self.responses
        return [c for c in self.study.factor_columns if c in r.columns and r[c].notna().any()]

    @property
    def channels(self) -> list[str]:
        """The survey channels of the quarter's responses, in the study's order."""
        return self.study.channels.order(self.responses["channel"].dropna().unique())

    def recent_complaints(self, quarters: int = 4) -> pd.DataFrame:
        """Complaints received in the trailing ``quarters`` quarters ending with this one.

        A quarter has a few dozen complaints, so breakdowns by channel, category or
        importance are made over a year: each cell then has a chance to reach ``min_n``.
        """
        start = (pd.Period(self.quarter, freq="Q") - (int(quarters) - 1)).start_time.normalize()
        c = self.complaints
        return c.loc[(c["received_at"] >= start) & (c["received_at"] < self.end)].reset_index(drop=True)

    def window_label(self, quarters: int = 4) -> str:
        """``'2025Q4–2026Q3'``: the trailing window of :meth:`recent_complaints`."""
        first = pd.Period(self.quarter, freq="Q") - (int(quarters) - 1)
        return f"{first.year}Q{first.quarter}–{self.quarter}"

    @property
    def last_day(self) -> pd.Timestamp:
        """The quarter's last calendar day (``asof`` for cohort membership at its end)."""
        return self.end - pd.Timedelta(days=1)

    def __repr__(self) -> str:
        return (f"<QuarterData {self.quarter}: {len(self.responses)} responses "
                f"({len(self.responses_all)} up to its end), {len(self.invitations)} invitations, "
                f"{len(self.complaints)} complaints to date>")


def quarter_bounds(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a quarter like ``2026Q3``."""
    q = check_quarter_format(quarter)
    p = pd.Period(q, freq="Q")
    return p.start_time.normalize(), (p + 1).start_time.normalize()


def previous_quarter(quarter: str) -> str:
    """The calendar quarter before ``quarter``."""
    p = pd.Period(check_quarter_format(quarter), freq="Q") - 1
    return f"{p.year}Q{p.quarter}"


def load_quarter(quarter: str, warehouse=None, study=None, fcr_window_days: int = 7) -> QuarterData:
    """Load what a report notebook needs for ``quarter`` (see :class:`QuarterData`).

    ``warehouse`` and ``study`` are resolved from the project root
    (:func:`cxlab.paths.resolve`), so a notebook behaves the same under JupyterLab,
    papermill and nbval. Tables the warehouse lacks come back empty.
    """
    io = _io()
    from cxlab import schema
    from cxlab.study import load_study

    st = load_study(study)
    path = resolve(warehouse) if warehouse is not None else default_warehouse()
    q = resolve_quarter(quarter, path)
    start, end = quarter_bounds(q)
    holdings = _sections.inspect(path, q)

    def table(name: str) -> pd.DataFrame:
        if name in holdings.rows:
            return io.load(name, path, study=st)
        spec = schema.resolve_table(name, st)
        return schema.validate(pd.DataFrame({c: pd.Series([], dtype="string") for c in
                                             spec.column_names}), name, study=st)

    def upto(name: str, column: str, limit: pd.Timestamp) -> pd.DataFrame:
        df = table(name)
        return df.loc[df[column] < limit].reset_index(drop=True)

    responses_all = upto("responses", "submitted_at", end)
    responses_all = responses_all.assign(quarter=schema.quarter_of(responses_all["submitted_at"]))
    contacts = upto("contacts", "opened_at", end + pd.Timedelta(days=fcr_window_days))
    contacts = contacts.assign(quarter=schema.quarter_of(contacts["opened_at"]))
    clients = table("clients")
    if "joined_on" in clients.columns:
        clients = clients.loc[clients["joined_on"].isna() | (clients["joined_on"] < end)]
    invitations = upto("invitations", "sent_at", end)
    return QuarterData(
        quarter=q, prev_quarter=previous_quarter(q), start=start, end=end, warehouse=path,
        responses_all=responses_all,
        responses=responses_all.loc[responses_all["quarter"] == q].reset_index(drop=True),
        invitations=invitations.loc[invitations["sent_at"] >= start].reset_index(drop=True),
        contacts=contacts, clients=clients.reset_index(drop=True),
        visits=upto("visits", "visit_date", end),
        complaints=upto("complaints", "received_at", end),
        study=st, holdings=holdings,
    )


def headline_view(trend: pd.DataFrame, csi: pd.DataFrame | None, rate: pd.DataFrame | None,
                  quarter: str, min_n: int = 30, lang: str = "en", alpha: float = 0.05) -> pd.DataFrame:
    """The quarter's headline per survey channel: NPS with its interval and the change from
    the previous quarter (marked only where significant), CSI (top-2 share) and the
    response rate, each with its interval; every figure from fewer than ``min_n``
    answers (invitations for the response rate) is suppressed on its own.

    ``trend`` is :func:`cxlab.metrics.nps_trend` (per channel), ``csi`` is
    :func:`cxlab.metrics.csi_table` and ``rate`` :func:`cxlab.metrics.response_rate` with
    ``by="channel"``, both on the quarter's data; None (or empty) when the data have no
    satisfaction answers or no invitations: the column is then left out.
    """
    if trend is None:  # yes/no answers only: no 0–10 NPS to head the table
        t = pd.DataFrame(index=pd.Index([], name="channel"))
    elif quarter in trend.index.get_level_values("quarter"):
        t = trend.xs(quarter, level="quarter")
    else:
        t = trend.iloc[0:0].droplevel("quarter")
    show_csi, show_rate = csi is not None and len(csi) > 0, rate is not None and len(rate) > 0
    csi = csi if show_csi else pd.DataFrame(index=pd.Index([], name="channel"))
    rate = rate if show_rate else pd.DataFrame(index=pd.Index([], name="channel"))
    channels = list(dict.fromkeys(list(t.index) + list(csi.index) + list(rate.index)))
    st = i18n.active_study()
    if st is not None:
        channels = st.channels.order(channels)
    hidden = suppressed_label(min_n)
    rows = []
    for ch in channels:
        row = {}
        if trend is None:
            pass
        elif ch in t.index and t.loc[ch, "n"] >= min_n:
            r = t.loc[ch]
            row["n"] = f"{int(r['n'])}"
            row["nps_ci"] = estimate_text(r["nps"], r["ci_low"], r["ci_high"], 0, lang)
            row["change_ci"] = change_text(r["change"], r["change_ci_low"], r["change_ci_high"],
                                           r["change_p"], bool(r["change_small_n"]), lang, alpha)
        else:
            row["n"] = row["nps_ci"] = row["change_ci"] = hidden if ch in t.index else "–"
        if not show_csi:
            pass
        elif ch in csi.index and csi.loc[ch, "n"] >= min_n:
            c = csi.loc[ch]
            row["csi_ci"] = estimate_text(c["top_box_share"], c["top_box_ci_low"],
                                          c["top_box_ci_high"], 0, lang, scale=100, suffix="%")
        else:
            row["csi_ci"] = hidden if ch in csi.index else "–"
        if not show_rate:
            pass
        elif ch in rate.index and rate.loc[ch, "invitations"] >= min_n and not rate.loc[ch, "over_invited"]:
            x = rate.loc[ch]
            row["rate_ci"] = estimate_text(x["share"], x["ci_low"], x["ci_high"], 0, lang,
                                           scale=100, suffix="%")
        else:
            row["rate_ci"] = hidden if ch in rate.index else "–"
        rows.append(row)
    view = pd.DataFrame(rows, index=pd.Index(channels, name="channel"))
    view = _translate_index(view, lang)
    prev = previous_quarter(quarter)
    view.columns = [col_label(c, lang, prev=prev) for c in view.columns]
    return view


def trend_title(trend: pd.DataFrame, quarter: str, lang: str = "en", alpha: float = 0.05,
                kind: str = "channel") -> str:
    """A chart title that states the finding: which groups' NPS changed significantly."""
    t = trend.xs(quarter, level="quarter") if isinstance(trend.index, pd.MultiIndex) else trend.loc[[quarter]]
    sig = t[(t["change_p"] < alpha) & ~t["change_small_n"].astype(bool)]
    if sig.empty:
        return i18n.t("title.trend_steady", lang, quarter=quarter)
    parts = [f"{i18n.label(kind, k, lang)} {fmt_num(v, 0, lang, sign=True)}"
             for k, v in sig["change"].items()]
    key = "title.trend_down" if (sig["change"] < 0).all() else \
        "title.trend_up" if (sig["change"] > 0).all() else "title.trend_mixed"
    return i18n.t(key, lang, quarter=quarter, changes=", ".join(parts))


# ------------------------------------------------------------------------- section presenters

def _quadrant_label(q: str, lang: str) -> str:
    key = "quadrant." + str(q).replace(" ", "_")
    return i18n.t(key, lang) if i18n.has(key, lang) else str(q)


def driver_findings(analysis, lang: str = "en") -> list[str]:
    """What the driver analysis says, in words: the "fix first" factors spelled out, the
    strongest driver, and the model's explained variance with its interval."""
    t = analysis.table
    lines = []
    fix = t.loc[t["quadrant"] == "fix first", "label"].tolist()
    if fix:
        lines.append(i18n.t("text.fix_first", lang, factors=", ".join(f"**{f}**" for f in fix)))
    else:
        lines.append(i18n.t("text.no_fix_first", lang))
    keep = t.loc[t["quadrant"] == "keep up", "label"].tolist()
    if keep:
        lines.append(i18n.t("text.keep_up", lang, factors=", ".join(keep)))
    # Shapley shares split what correlated factors explain together: an important factor
    # whose own (full-model) coefficient is negative borrows its share from the others
    borrowed = t[t["quadrant"].isin(["fix first", "keep up"]) & (t["coef_sign"] < 0)]["label"].tolist()
    if borrowed:
        lines.append(i18n.t("text.overlap", lang, factors=", ".join(borrowed)))
    top = t.iloc[0]
    lines.append(i18n.t("text.top_driver", lang, factor=top["label"],
                        share=estimate_text(top["share"], top["share_ci_low"], top["share_ci_high"],
                                            0, lang, scale=100, suffix="%")))
    lines.append(i18n.t("text.r2", lang, r2=estimate_text(analysis.r2, analysis.r2_ci_low,
                                                         analysis.r2_ci_high, 2, lang), n=analysis.n))
    return lines


def drivers_view(analysis, lang: str = "en", min_n: int = 30) -> pd.DataFrame:
    """The driver table for stakeholders: share of explained NPS with its interval,
    performance (the mean on the item's own scale and on the common 0–100 scale, the share
    in the scale's top box) and the quadrant, in the report language."""
    t = analysis.table
    rows = {
        "importance_ci": [estimate_text(s, lo, hi, 0, lang, scale=100, suffix="%") for s, lo, hi in
                          zip(t["share"], t["share_ci_low"], t["share_ci_high"])],
        **_performance(t, lang),
        "quadrant": [_quadrant_label(q, lang) for q in t["quadrant"]],
    }
    view = pd.DataFrame(rows, index=pd.Index(t["label"].tolist(), name=col_label("factor", lang)))
    if analysis.n < min_n:
        view.loc[:, :] = suppressed_label(min_n)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def _performance(t: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """A driver table's performance columns: scale, own-scale mean, 0–100 mean, top box."""
    return {
        "scale": [str(v).replace("-", "–") for v in t["scale"]],
        "mean_rating": [fmt_num(v, 2, lang) for v in t["mean_rating"]],
        "mean_100": [fmt_num(v, 0, lang) for v in t["mean_100"]],
        "top_box_pct": [_pct(v, lang) for v in t["top_box_share"]],
    }


def cohort_view(comparison, min_n: int = 30, lang: str = "en") -> pd.DataFrame:
    """A :class:`cxlab.cohorts.CohortComparison` for stakeholders: each cohort's figure and
    its difference from the reference, with intervals and Holm-adjusted significance.

    Cohorts without answers are left out; a cohort under ``min_n`` is suppressed; a cohort
    whose reference group is under ``min_n`` shows its own figure but no comparison.
    """
    t = comparison.table
    t = t[t["n"] > 0]
    share = comparison.unit == "share"
    scale, digits, suffix = (100, 0, "%") if share else (1, 0 if comparison.unit == "points" else 2, "")
    ref_small = (t["ref_n"] < min_n).to_numpy()
    no_ref = i18n.t("text.ref_small", lang, min_n=min_n)
    rows = {
        "estimate_ci": [estimate_text(e, lo, hi, digits, lang, scale=scale, suffix=suffix)
                        for e, lo, hi in zip(t["estimate"], t["ci_low"], t["ci_high"])],
        "ref_estimate": [no_ref if rs else fmt_num(None if pd.isna(v) else v * scale, digits, lang)
                         for v, rs in zip(t["ref_estimate"], ref_small)],
        "diff_ci": [no_ref if rs else estimate_text(d, lo, hi, digits, lang, scale=scale, sign=True)
                    for d, lo, hi, rs in zip(t["diff"], t["diff_ci_low"], t["diff_ci_high"], ref_small)],
        "significant": [no_ref if rs else ("–" if pd.isna(p) else i18n.t("text.yes" if s else "text.no", lang))
                        for s, p, rs in zip(t["significant"].fillna(False), t["p_holm"], ref_small)],
    }
    view = _view(rows, t.index, min_n, t["n"], lang)
    return view.rename(columns=_cohort_headers(comparison.unit, lang))


def _cohort_headers(unit: str, lang: str) -> dict:
    """Cohort tables name their figure (NPS, rating, share) and the reference (the rest)."""
    figure = {"points": "nps_ci", "share": "share_ci"}.get(unit, "rating_ci")
    return {col_label("estimate_ci", lang): col_label(figure, lang),
            col_label("ref_estimate", lang): col_label("rest_estimate", lang),
            col_label("ref_n", lang): col_label("rest_n", lang)}


def cohort_title(comparison, lang: str = "en") -> str:
    """A title stating the finding: the significant cohort gaps (largest first)."""
    t = comparison.table
    sig = t[t["significant"].fillna(False).astype(bool) & ~t["small_n"].astype(bool)]
    if sig.empty:
        return i18n.t("title.cohorts_none", lang)
    sig = sig.reindex(sig["diff"].abs().sort_values(ascending=False).index)
    parts = []
    for key, r in sig.head(3).iterrows():
        names = key if isinstance(key, tuple) else (key,)
        levels = t.index.names
        name = " · ".join(i18n.label(lv if lv in CODE_LEVELS else "cohort", v, lang)
                          for lv, v in zip(levels, names))
        parts.append(f"{name} {fmt_num(r['diff'], 0, lang, sign=True)}")
    return i18n.t("title.cohorts", lang, gaps="; ".join(parts))


def promotion_view(result, min_n: int = 30, lang: str = "en", behaviour: str = "referral") -> pd.DataFrame:
    """Stated vs actual promotion: per NPS class, the share who brought a new family and
    referrals per 100 respondents, with intervals."""
    t = result.table.xs(behaviour, level="behaviour")
    rows = {
        "referred_ci": [estimate_text(s, lo, hi, 0, lang, scale=100, suffix="%") for s, lo, hi in
                        zip(t["share"], t["ci_low"], t["ci_high"])],
        "per_100_ci": [estimate_text(s, lo, hi, 1, lang) for s, lo, hi in
                       zip(t["per_100"], t["per_100_ci_low"], t["per_100_ci_high"])],
    }
    return _view(rows, t.index, min_n, t["n"], lang, kinds={t.index.name: "nps_group"})


def promotion_finding(result, lang: str = "en", behaviour: str = "referral", alpha: float = 0.05) -> str:
    """One sentence: do promoters really bring more families than detractors?"""
    if behaviour not in result.tests.index:
        return i18n.t("text.promotion_untested", lang)
    r = result.tests.loc[behaviour]
    diff = estimate_text(r["share_diff"], r["share_diff_ci_low"], r["share_diff_ci_high"], 0, lang,
                         scale=100, sign=True)
    key = "text.promotion_real" if r["share_p"] < alpha else "text.promotion_not_shown"
    return i18n.t(key, lang, diff=diff, p=_p_text(r["share_p"], lang))


def complaints_note(section, lang: str = "en"):
    """A sentence when the quarter had no complaints (a good quarter is a result, not an
    error), else nothing (an empty Markdown)."""
    from IPython.display import Markdown

    if section.n_complaints:
        return Markdown("")
    return say("cmp.none", lang, quarter=section.quarter)


def part(result, name: str, kind: str, lang: str = "en", min_n: int = 30, **options):
    """``readable(result.<name>, kind)``, or a sentence saying why that part is missing
    (``result.left_out[name]``: the data do not record what it needs)."""
    value = getattr(result, name, None)
    if value is None:
        reason = getattr(result, "left_out", {}).get(name, "")
        return say("left.part", lang, reason=reason)
    return readable(value, kind, lang, min_n, **options)


def recorded(df: pd.DataFrame, *columns: str) -> bool:
    """Do ``columns`` exist in ``df`` with at least one value each?"""
    return all(c in df.columns and df[c].notna().any() for c in columns)


def complaints_view(section, min_n: int = 30, lang: str = "en") -> pd.DataFrame:
    """The complaints section's headline figures (:attr:`ComplaintsSection.table`) with
    their intervals; figures from fewer than ``min_n`` complaints suppressed."""
    t = section.table
    keys = {"complaints per 100 active clients": "complaints.per_100",
            "share justified": "complaints.justified",
            "share resolved within deadline": "complaints.within_deadline",
            "share satisfied with the resolution": "complaints.satisfied",
            "share loyal after the resolution": "complaints.loyal_after",
            "share not loyal although satisfied": "complaints.satisfied_not_loyal"}
    labels, values = [], []
    for figure, r in t.iterrows():
        labels.append(i18n.t(keys[figure], lang) if figure in keys else figure)
        rate = figure.startswith("complaints per")
        values.append(estimate_text(r["estimate"], r["ci_low"], r["ci_high"], 1 if rate else 0,
                                    lang, scale=1 if rate else 100, suffix="" if rate else "%"))
    small = t["small_n"].astype(bool).to_numpy()
    view = pd.DataFrame({"n": [count_text(v, min_n, lang) for v in t["n"]], "estimate_ci": values},
                        index=pd.Index(labels, name=col_label("figure", lang)))
    view = view.astype(object)
    view.loc[small, :] = suppressed_label(min_n)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def counts_change_view(table: pd.DataFrame, lang: str = "en", min_n: int = 30,
                       kind: str | None = None, top: int | None = None) -> pd.DataFrame:
    """Complaint counts this quarter vs the previous one (``n, n_previous, change,
    rate_ratio, ci_low, ci_high``); the ratio is shown where both quarters together have
    at least ``min_n`` complaints."""
    t = table.head(top) if top else table
    enough = (t["n"] + t["n_previous"]) >= min_n
    rows = {
        "n_previous": [count_text(v, min_n, lang) for v in t["n_previous"]],
        "ratio_ci": [estimate_text(r, lo, hi, 2, lang) if ok and pd.notna(r) else suppressed_label(min_n) if not ok else "–"
                     for r, lo, hi, ok in zip(t["rate_ratio"], t["ci_low"], t["ci_high"], enough)],
    }
    view = pd.DataFrame(rows, index=t.index)
    view.insert(0, "n", [count_text(v, min_n, lang) for v in t["n"]])
    view = _translate_index(view, lang, {t.index.name: kind} if kind else None)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


TRUST_CHECKS = {"interviewer gaming": "trust.gaming", "straight-lining": "trust.straight",
                "duplicate submissions": "trust.duplicates", "channel mix": "trust.channel_mix",
                "channel mix shift": "trust.channel_mix_shift", "small n": "trust.small_n"}


def trust_notes(trust: pd.DataFrame, lang: str = "en", min_n: int = 30) -> list[str]:
    """Data-trust notes for readers from :func:`cxlab.quality.trust_report`: what was
    checked, and every flag with its evidence, worded in the report language from the
    check's numbers (``details``); counts under ``min_n`` are shown as "< 30"."""
    lines = [i18n.t("trust.never_pooled", lang)]
    for check, g in trust.groupby("check", sort=False):
        name = i18n.t(TRUST_CHECKS[check], lang) if check in TRUST_CHECKS else check
        flagged = g[g["flagged"].astype(bool)]
        if flagged.empty:
            lines.append(i18n.t("trust.ok", lang, check=name, k=len(g)))
            continue
        for _, r in flagged.iterrows():
            lines.append(f"**{name}** — {_trust_evidence(check, r, lang, min_n)}")
    lines.append(i18n.t("trust.suppressed", lang, min_n=min_n))
    return lines


def _trust_evidence(check: str, row, lang: str, min_n: int) -> str:
    """One flag's evidence in the report language; the English sentence of
    :mod:`cxlab.quality` only where a check brings no numbers to word."""
    d = row.get("details") if hasattr(row, "get") else None
    if not isinstance(d, dict):
        return f"{row['subject']}: {row['evidence']}"
    n = lambda v: count_text(v, min_n, lang)  # noqa: E731 - counts under min_n hidden
    if check == "interviewer gaming":
        return i18n.t("trust.ev.gaming", lang, who=row["subject"], n=n(d["n"]),
                      share=_pct(d["share_10"], lang), others=_pct(d["others_share_10"], lang),
                      others_n=n(d["others_n"]), odds=fmt_num(d["odds_ratio"], 1, lang),
                      sd=fmt_num(d["sd"], 2, lang), others_sd=fmt_num(d["others_sd"], 2, lang),
                      p=p_text(min(d["q_tens"], d["q_sd"]), lang))
    if check == "straight-lining":
        channel = d.get("channel")
        return i18n.t("trust.ev.straight", lang,
                      channel=i18n.label("channel", channel, lang) if channel else "",
                      share=fmt_num(100 * d["share"], 1, lang) + "%", n=n(d["n"]),
                      threshold=_pct(d["threshold"], lang))
    if check == "duplicate submissions":
        return i18n.t("trust.ev.duplicates", lang, extra=n(d["extra"]))
    if check == "channel mix shift":
        return i18n.t("trust.ev.mix_shift", lang, p=p_text(d["p"], lang))
    if check == "small n":
        return i18n.t("trust.ev.small_n", lang, k=d["k"], groups=d["groups"], min_n=min_n)
    return f"{row['subject']}: {row['evidence']}"


def notebook_setup(lang: str = "en", study=None) -> None:
    """House style for charts and stable, readable tables in a report notebook; codes are
    labelled with ``study``'s labels from now on (:func:`cxlab.i18n.use_study`)."""
    from cxlab import plots

    i18n.use_study(study)
    try:  # inline PNGs even when MPLBACKEND=Agg is inherited from the caller's shell
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and hasattr(shell, "kernel"):
            shell.run_line_magic("matplotlib", "inline")
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        pass
    plots.set_style()
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 80)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)


def analyst_view(table: pd.DataFrame, min_n: int = 30, n_col: str | None = None) -> pd.DataFrame:
    """A full analysis table (every column, as the function returned it) with the rows
    from fewer than ``min_n`` answers suppressed — for an analyst's own exploration only.

    Not for anything rendered into the report: it keeps raw columns and codes, and
    suppresses a whole row on the function's ``small_n`` flag even when only a comparison's
    reference is small. Report notebooks use :func:`readable`.

    A row is small when its ``small_n`` flag says so (the analysis function's own rule,
    e.g. either side of a comparison), else when ``n_col`` (default ``n``) < ``min_n``.
    Tables without either (plain counts such as a cross-tab) are returned unchanged.
    """
    if "small_n" in table.columns:
        small = table["small_n"].fillna(True).to_numpy(dtype=bool)
    else:
        col = n_col or ("n" if "n" in table.columns else None)
        if col is None:
            return table
        small = (pd.to_numeric(table[col], errors="coerce").fillna(0) < min_n).to_numpy()
    if not small.any():
        return table
    out = table.astype(object)
    out.loc[small, :] = suppressed_label(min_n)
    return out


# ------------------------------------------------------------------------- readable tables
#
# The analyst notebooks are rendered into the stakeholder report too, so every table they
# show goes through :func:`readable`: headers from the catalogue, codes as labels, numbers
# formatted for a reader, technical columns (se, stat, method, small_n, …) left out, and
# suppression at the granularity of the figure:
#
# - a group's own figure is shown when its own n ≥ min_n;
# - a comparison (difference, p) also needs the reference group's n ≥ min_n, else it reads
#   "reference under 30" while the group's own figure stays;
# - every count cell from 1 to min_n − 1 reads "< 30". Zero is shown as "0": it describes no
#   family, and "no critical complaints" is worth saying. Where a table also shows the total
#   of a breakdown (cross-tab margins), one hidden cell could be recovered by subtraction, so
#   further cells are hidden until the hidden cells of every row and column add up to at
#   least min_n (complementary suppression). Differencing *across* tables is not guarded.

#: Catalogue keys (``col.<key>``) of columns that hold counts (checked by the safety tests).
COUNT_COLUMNS = ("n", "ref_n", "n_previous", "invitations", "responses", "clients",
                 "complaints", "active_clients", "others_n", "resolved")


def small_count_label(min_n: int) -> str:
    """The text shown instead of a count from 1 to ``min_n − 1``."""
    return f"< {min_n}"


def count_text(v, min_n: int = 30, lang: str = "en") -> str:
    """A count for a reader: ``"< 30"`` from 1 to ``min_n − 1``, ``"0"`` for none, "–" if missing."""
    if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
        return "–"
    v = int(v)
    if 0 < v < min_n:
        return small_count_label(min_n)
    return fmt_num(v, 0, lang)


def p_text(p, lang: str = "en") -> str:
    """A p-value for a reader: ``"p < 0.001"``, ``"p = 0.04"``, ``"p = 0.58"``."""
    if p is None or pd.isna(p):
        return "–"
    p = float(p)
    if p < 0.001:
        return "p < " + fmt_num(0.001, 3, lang)
    return "p = " + fmt_num(p, 3 if p < 0.01 else 2, lang)


def yes_no(value, lang: str = "en") -> str:
    """A boolean as a word in the report language ("–" when missing)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    return i18n.t("text.yes" if bool(value) else "text.no", lang)


def _pct(v, lang: str) -> str:
    text = fmt_num(None if v is None or pd.isna(v) else 100 * float(v), 0, lang)
    return text if text == "–" else text + "%"


def _pct_ci(s, lo, hi, lang: str) -> str:
    return estimate_text(s, lo, hi, 0, lang, scale=100, suffix="%")


#: Kinds of coded values, searched in this order when an index level's name does not say
#: which kind its values are (``group`` in a comparison, ``figure`` in a table).
_LABEL_KINDS = ("channel", "survey", "cohort", "nps_group", "origin", "importance",
                "source", "figure", "method", "segment", "group")


def code_label(value, lang: str = "en", kind: str | None = None) -> str:
    """The reader's label of a coded value; ``kind`` first, then every kind of code."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return i18n.label(kind or "", None, lang)
    kinds = ([kind] if kind else []) + [k for k in _LABEL_KINDS if k != kind]
    st = i18n.active_study()
    if st is not None:
        kinds += [k for k in list(st.segments) + list(st.codes) if k not in kinds]
    for k in kinds:
        own = i18n.study_label(k, value, lang)
        if own is not None:
            return own
        if i18n.has(f"code.{k}.{value}", lang):
            return i18n.t(f"code.{k}.{value}", lang)
    return str(value)


def _level_kind(name, kinds: dict | None):
    kinds = kinds or {}
    if name in kinds:
        return kinds[name]
    return name if _is_code_level(name) or name in _LABEL_KINDS else "free"


def _labels_for(values, name, lang: str, kinds: dict | None, labels: dict | None):
    kind = _level_kind(name, kinds)
    out = []
    for v in values:
        if labels and v in labels:
            out.append(str(labels[v]))
        elif kind == "free" and not (isinstance(v, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", v)):
            out.append("–" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v))
        else:  # a code, or something that looks like one (snake_case)
            out.append(code_label(v, lang, None if kind == "free" else kind))
    return out


def _assemble(rows: dict[str, list], index, lang: str, kinds: dict | None = None,
              labels: dict | None = None, drop_level: str | None = None) -> pd.DataFrame:
    """A presentation table: cells already text, index values as labels, headers translated."""
    view = pd.DataFrame(rows, index=index).astype(object)
    idx = view.index
    if drop_level is not None and isinstance(idx, pd.MultiIndex) and drop_level in idx.names:
        idx = idx.droplevel(drop_level)
    if isinstance(idx, pd.MultiIndex):
        arrays = [_labels_for(idx.get_level_values(i), name, lang, kinds, labels)
                  for i, name in enumerate(idx.names)]
        view.index = pd.MultiIndex.from_arrays(
            arrays, names=[col_label(n, lang) if n else None for n in idx.names])
    else:
        view.index = pd.Index(_labels_for(idx, idx.name, lang, kinds, labels),
                              name=col_label(idx.name, lang) if idx.name else None)
    view.columns = [col_label(c, lang) for c in view.columns]
    return view


def _own_ok(n, min_n: int) -> list[bool]:
    return [pd.notna(v) and int(v) >= min_n for v in n]


def _own(ok: bool, text: str, min_n: int) -> str:
    return text if ok else suppressed_label(min_n)


def _cmp(ok: bool, ref_ok: bool, text: str, min_n: int, lang: str) -> str:
    if not ok:
        return suppressed_label(min_n)
    if not ref_ok:
        return i18n.t("text.ref_small", lang, min_n=min_n)
    return text


# --- one presenter per kind of analysis table ---------------------------------------

def _r_nps(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    n = t["n"].to_numpy()
    rows = {
        "n": [count_text(v, min_n, lang) for v in n],
        "nps_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                   for o, e, lo, hi in zip(ok, t["nps"], t["ci_low"], t["ci_high"])],
        "promoters_pct": [_own(o, _pct(p / k if k else None, lang), min_n)
                          for o, p, k in zip(ok, t["promoters"], n)],
        "detractors_pct": [_own(o, _pct(d / k if k else None, lang), min_n)
                           for o, d, k in zip(ok, t["detractors"], n)],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_trend(t, lang, min_n, alpha=0.05, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "nps_ci": [_own(o, estimate_text(e, lo, hi, 0, lang), min_n)
                   for o, e, lo, hi in zip(ok, t["nps"], t["ci_low"], t["ci_high"])],
        "change_ci": [_own(o, change_text(c, lo, hi, p, bool(s), lang, alpha), min_n)
                      for o, c, lo, hi, p, s in zip(ok, t["change"], t["change_ci_low"],
                                                    t["change_ci_high"], t["change_p"],
                                                    t["change_small_n"].fillna(True))],
        "p": [_own(o, "–" if s or pd.isna(p) else p_text(p, lang), min_n)
              for o, p, s in zip(ok, t["change_p"], t["change_small_n"].fillna(True))],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_compare(t, lang, min_n, digits=0, scale=1.0, suffix="", figure="estimate", **kw):
    """compare_groups / cohort comparisons: the group's figure, the reference's, the gap.
    ``figure`` is the header key of the group's figure (``"nps"`` for an NPS comparison)."""
    ok, ref_ok = _own_ok(t["n"], min_n), _own_ok(t["ref_n"], min_n)
    lo_col, hi_col = ("diff_ci_low", "diff_ci_high") if "diff_ci_low" in t else ("ci_low", "ci_high")
    own_ci = "diff_ci_low" in t and "ci_low" in t  # cohorts: the group's own interval too

    def num(v):
        return fmt_num(None if pd.isna(v) else v * scale, digits, lang) + ("" if pd.isna(v) else suffix)

    rows = {"n": [count_text(v, min_n, lang) for v in t["n"]]}
    if own_ci:
        rows["estimate_ci"] = [_own(o, estimate_text(e, lo, hi, digits, lang, scale=scale, suffix=suffix), min_n)
                               for o, e, lo, hi in zip(ok, t["estimate"], t["ci_low"], t["ci_high"])]
    else:
        rows[figure] = [_own(o, num(e), min_n) for o, e in zip(ok, t["estimate"])]
    if "reference" in t and t["reference"].nunique() == 1 and t["reference"].iloc[0] != "rest":
        rows["compared_with"] = [code_label(r, lang) for r in t["reference"]]
    rows["ref_n"] = [count_text(v, min_n, lang) for v in t["ref_n"]]
    rows["ref_estimate"] = [_cmp(True, r, num(v), min_n, lang) for r, v in zip(ref_ok, t["ref_estimate"])]
    rows["diff_ci"] = [_cmp(o, r, estimate_text(d, lo, hi, digits, lang, scale=scale, sign=True), min_n, lang)
                       for o, r, d, lo, hi in zip(ok, ref_ok, t["diff"], t[lo_col], t[hi_col])]
    rows["p_holm"] = [_cmp(o, r, p_text(p, lang), min_n, lang) for o, r, p in zip(ok, ref_ok, t["p_holm"])]
    rows["significant"] = [_cmp(o, r, "–" if pd.isna(p) else yes_no(s, lang), min_n, lang)
                           for o, r, s, p in zip(ok, ref_ok, t["significant"].fillna(False), t["p_holm"])]
    return _assemble(rows, t.index, lang, **kw)


def _r_cohorts(result, lang, min_n, **kw):
    t = result.table if hasattr(result, "table") else result
    unit = getattr(result, "unit", "points")
    t = t[t["n"] > 0]  # a cohort without answers has nothing to show (e.g. never attended)
    scale, digits, suffix = (100, 0, "%") if unit == "share" else (1, 0 if unit == "points" else 2, "")
    kw.setdefault("kinds", {"cohort": "cohort"})
    view = _r_compare(t, lang, min_n, digits=digits, scale=scale, suffix=suffix, **kw)
    return view.rename(columns=_cohort_headers(unit, lang))


def _r_share(t, lang, min_n, name="share_ci", n_col="n", share="share", lo="ci_low", hi="ci_high", **kw):
    ok = _own_ok(t[n_col], min_n)
    rows = {"n": [count_text(v, min_n, lang) for v in t[n_col]],
            name: [_own(o, _pct_ci(s, a, b, lang), min_n) for o, s, a, b in zip(ok, t[share], t[lo], t[hi])]}
    return _assemble(rows, t.index, lang, **kw)


def _r_binary(t, lang, min_n, **kw):
    return _r_share(t, lang, min_n, name="recommend_ci", **kw)


def _r_csi(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "csi_ci": [_own(o, _pct_ci(s, a, b, lang), min_n)
                   for o, s, a, b in zip(ok, t["top_box_share"], t["top_box_ci_low"], t["top_box_ci_high"])],
        "mean_stars": [_own(o, fmt_num(m, 2, lang), min_n) for o, m in zip(ok, t["mean"])],
        "csi_index_ci": [_own(o, estimate_text(e, a, b, 0, lang), min_n)
                         for o, e, a, b in zip(ok, t["index"], t["index_ci_low"], t["index_ci_high"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_response_rate(t, lang, min_n, **kw):
    ok = _own_ok(t["invitations"], min_n)
    over = t["over_invited"].fillna(False).astype(bool) if "over_invited" in t else [False] * len(t)
    rows = {
        "invitations": [count_text(v, min_n, lang) for v in t["invitations"]],
        "responses": [count_text(v, min_n, lang) for v in t["responses"]],
        "rate_ci": [_own(o, i18n.t("text.over_invited", lang) if ov else _pct_ci(s, a, b, lang), min_n)
                    for o, ov, s, a, b in zip(ok, over, t["share"], t["ci_low"], t["ci_high"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_interviewers(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "tens_pct": [_own(o, _pct(v, lang), min_n) for o, v in zip(ok, t["share_10"])],
        "others_tens_pct": [_own(o, _pct(v, lang), min_n) for o, v in zip(ok, t["others_share_10"])],
        "odds_ratio": [_own(o, fmt_num(v, 1, lang), min_n) for o, v in zip(ok, t["odds_ratio"])],
        "q_tens": [_own(o, p_text(v, lang).replace("p", "q", 1), min_n) for o, v in zip(ok, t["q_tens"])],
        "sd": [_own(o, fmt_num(v, 2, lang), min_n) for o, v in zip(ok, t["sd"])],
        "others_sd": [_own(o, fmt_num(v, 2, lang), min_n) for o, v in zip(ok, t["others_sd"])],
        "q_sd": [_own(o, p_text(v, lang).replace("p", "q", 1), min_n) for o, v in zip(ok, t["q_sd"])],
        "flagged": [_own(o, yes_no(v, lang), min_n) for o, v in zip(ok, t["flagged"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_counts(t, lang, min_n, name="clients", **kw):
    s = t if isinstance(t, pd.Series) else t.iloc[:, 0]
    rows = {name: [count_text(v, min_n, lang) for v in s]}
    return _assemble(rows, s.index, lang, **kw)


def _r_drivers(analysis, lang, min_n, **kw):
    t = analysis.table
    ok = analysis.n >= min_n
    rows = {
        "importance_ci": [_pct_ci(s, lo, hi, lang) for s, lo, hi in
                          zip(t["share"], t["share_ci_low"], t["share_ci_high"])],
        "beta": [fmt_num(v, 2, lang, sign=True) for v in t["beta"]],
        "r": [fmt_num(v, 2, lang) for v in t["r"]],
        "vif": [fmt_num(v, 1, lang) for v in t["vif"]],
        **_performance(t, lang),
        "quadrant": [_quadrant_label(q, lang) for q in t["quadrant"]],
    }
    if not ok:
        rows = {k: [suppressed_label(min_n)] * len(t) for k in rows}
    kw.setdefault("labels", dict(zip(t.index, t["label"])))
    return _assemble(rows, t.index, lang, **kw)


def _r_robustness(check, lang, min_n, labels=None, **kw):
    t = check.table
    ok = check.n >= min_n

    def with_rank(v, r, digits=2, sign=True):
        return f"{fmt_num(v, digits, lang, sign=sign)} (#{int(r)})" if ok else suppressed_label(min_n)

    rows = {"shapley_share": [f"{_pct(v, lang)} (#{int(r)})" if ok else suppressed_label(min_n)
                              for v, r in zip(t["shapley_share"], t["shapley_rank"])]}
    for m in ("ols", "logit", "ordered_logit"):
        if f"{m}_coef" in t:
            rows[f"{m}_coef"] = [with_rank(v, r) for v, r in zip(t[f"{m}_coef"], t[f"{m}_rank"])]
    return _assemble(rows, t.index, lang, labels=labels, **kw)


def _r_agreement(check, lang, min_n, **kw):
    a = check.agreement
    ok = check.n >= min_n
    rows = {"spearman_rho": [fmt_num(v, 2, lang) if ok else suppressed_label(min_n) for v in a["spearman_rho"]],
            "p": [p_text(v, lang) if ok else suppressed_label(min_n) for v in a["p_value"]],
            "same_top2": [yes_no(v, lang) if ok else suppressed_label(min_n) for v in a["same_top2"]]}
    kw.setdefault("kinds", {"method": "method"})
    return _assemble(rows, a.index, lang, **kw)


def _r_segment_drivers(seg, lang, min_n, labels=None, **kw):
    t = seg.table
    factors = [f for f in t.index if f not in ("r2", "n")]
    labels = dict(labels or {}) | dict(getattr(seg, "labels", {}) or {})
    cols = {}
    for s in t.columns:
        n = t.loc["n", s] if "n" in t.index else None
        ok = n is not None and pd.notna(n) and n >= min_n and s not in seg.small
        a = seg.analyses.get(s) if hasattr(seg, "analyses") else None
        vals = []
        for f in factors:
            if not ok:
                vals.append(suppressed_label(min_n))
            elif a is not None and f in a.table.index:
                r = a.table.loc[f]
                vals.append(_pct_ci(r["share"], r["share_ci_low"], r["share_ci_high"], lang))
            else:
                vals.append(_pct(t.loc[f, s], lang))
        vals.append(fmt_num(t.loc["r2", s], 2, lang) if ok and "r2" in t.index else suppressed_label(min_n))
        vals.append(count_text(n, min_n, lang))
        cols[code_label(s, lang, seg.by if s != "all" else "segment")] = vals
    index = [labels.get(f, f) for f in factors] + [i18n.t("col.r2", lang), i18n.t("col.n", lang)]
    view = pd.DataFrame(cols, index=pd.Index(index, name=col_label("factor", lang))).astype(object)
    return view


def _r_complaints(section, lang, min_n, **kw):
    return complaints_view(section, min_n, lang)


def _r_volume(t, lang, min_n, **kw):
    ok = _own_ok(t["n_complaints"], min_n)
    rows = {
        "complaints": [count_text(v, min_n, lang) for v in t["n_complaints"]],
        "active_clients": [count_text(v, min_n, lang) for v in t["n_active"]],
        "per_100_active_ci": [_own(o, estimate_text(r, a, b, 1, lang), min_n)
                              for o, r, a, b in zip(ok, t["rate_per_100"], t["ci_low"], t["ci_high"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_deadlines(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    rows = {
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "within_deadline_ci": [_own(o, _pct_ci(s, a, b, lang), min_n)
                               for o, s, a, b in zip(ok, t["share"], t["ci_low"], t["ci_high"])],
        "hours_first_reaction": [_own(o, fmt_num(v, 1, lang), min_n)
                                 for o, v in zip(ok, t["median_hours_to_first_reaction"])],
        "hours_resolution": [_own(o, fmt_num(v, 1, lang), min_n)
                             for o, v in zip(ok, t["median_hours_to_resolution"])],
    }
    return _assemble(rows, t.index, lang, **kw)


def _r_long_service(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    sep = "–"
    rows = {
        "resolved": [count_text(v, min_n, lang) for v in t["n"]],
        "median_hours_ci": [_own(o, estimate_text(m, a, b, 1, lang), min_n)
                            for o, m, a, b in zip(ok, t["median_hours"], t["ci_low"], t["ci_high"])],
        "quartiles_hours": [_own(o, f"{fmt_num(a, 1, lang)}{sep}{fmt_num(b, 1, lang)}", min_n)
                            for o, a, b in zip(ok, t["q1_hours"], t["q3_hours"])],
    }
    if isinstance(t.index, pd.MultiIndex) and "dimension" in t.index.names:
        # the level's kind is its dimension (channel codes, categories as written)
        dims = t.index.get_level_values("dimension")
        lev = [code_label(v, lang, "channel") if d == "channel" else str(v)
               for d, v in zip(dims, t.index.get_level_values("level"))]
        index = pd.MultiIndex.from_arrays([[col_label(d, lang) for d in dims], lev],
                                          names=[col_label("dimension", lang), col_label("level", lang)])
        view = pd.DataFrame(rows, index=index).astype(object)
        view.columns = [col_label(c, lang) for c in view.columns]
        return view
    return _assemble(rows, t.index, lang, **kw)


def _r_after_resolution(t, lang, min_n, **kw):
    kw.setdefault("kinds", {"figure": "figure"})
    return _r_share(t, lang, min_n, name="share_ci", **kw)


def _r_complainant_nps(t, lang, min_n, **kw):
    ok = _own_ok(t["n"], min_n)
    groups = t.index.get_level_values("group") if isinstance(t.index, pd.MultiIndex) else t.index
    rows = {
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "nps_ci": [_own(o, estimate_text(e, a, b, 0, lang, sign=g == "difference"), min_n)
                   for o, g, e, a, b in zip(ok, groups, t["nps"], t["ci_low"], t["ci_high"])],
        "p": [_own(o, p_text(p, lang) if g == "difference" else "", min_n)
              for o, g, p in zip(ok, groups, t["p"])],
    }
    kw.setdefault("kinds", {"group": "figure"})
    return _assemble(rows, t.index, lang, **kw)


def _r_targets(t, lang, min_n, **kw):
    """:func:`cxlab.targets.evaluate`: each target, the quarter's figure with its interval
    and n, and the verdict decided from the interval."""
    def where(w):
        if not isinstance(w, dict) or not w:
            return i18n.t("text.all", lang)
        return ", ".join(code_label(v, lang, k) for k, v in w.items())

    ok = _own_ok(t["n"], min_n)
    pct = t["metric"].isin(["recommend", "csi_top_box", "response_rate", "fcr"]).to_numpy()
    rows = {
        "where": [where(w) for w in t["where"]],
        "target": [i18n.t(f"code.direction.{d}", lang, value=fmt_num(v, 0, lang))
                   for d, v in zip(t["direction"], t["target"])],
        "n": [count_text(v, min_n, lang) for v in t["n"]],
        "result_ci": [_own(o, estimate_text(e, a, b, 0, lang, suffix="%" if p else ""), min_n)
                      if pd.notna(e) else "–"
                      for o, p, e, a, b in zip(ok, pct, t["estimate"], t["ci_low"], t["ci_high"])],
        # a verdict from fewer than min_n answers is as unreliable as the figure itself
        "status": [i18n.label("status", s, lang) if o or s == "no_data" else suppressed_label(min_n)
                   for o, s in zip(ok, t["status"])],
    }
    index = pd.Index([i18n.label("metric", m, lang) for m in t["metric"]], name="metric")
    return _assemble(rows, index, lang, kinds={"metric": "free"}, **kw)


_READABLE = {
    "nps": _r_nps, "trend": _r_trend, "compare": _r_compare, "cohorts": _r_cohorts,
    "binary": _r_binary, "csi": _r_csi, "response_rate": _r_response_rate,
    "interviewers": _r_interviewers, "counts": _r_counts, "drivers": _r_drivers,
    "robustness": _r_robustness, "agreement": _r_agreement,
    "segment_drivers": _r_segment_drivers, "complaints": _r_complaints, "volume": _r_volume,
    "deadlines": _r_deadlines, "long_service": _r_long_service,
    "after_resolution": _r_after_resolution, "complainant_nps": _r_complainant_nps,
    "share": _r_share, "targets": _r_targets,
}


def readable(table, kind: str, lang: str = "en", min_n: int = 30, **options) -> pd.DataFrame:
    """An analysis table as a stakeholder reads it: translated headers and labels,
    formatted numbers, technical columns left out, small figures suppressed.

    Parameters
    ----------
    table : DataFrame or result object
        What the analysis function returned (a result object where the kind needs more than
        its ``.table``: ``cohorts``, ``drivers``, ``robustness``, ``agreement``,
        ``segment_drivers``, ``complaints``).
    kind : str
        Which function made it: ``nps`` (:func:`cxlab.metrics.nps_table`), ``trend``
        (``nps_trend``), ``compare`` (``compare_groups``), ``binary`` (``binary_nps_table``),
        ``csi`` (``csi_table``), ``response_rate``, ``interviewers``
        (:func:`cxlab.quality.interviewer_flags`), ``cohorts`` (a ``CohortComparison``),
        ``counts`` (a Series of counts), ``drivers`` (``key_drivers``), ``robustness`` and
        ``agreement`` (``drivers.robustness``), ``segment_drivers`` (``key_drivers_by``),
        ``complaints`` (``ComplaintsSection``), ``volume``, ``deadlines``, ``long_service``,
        ``after_resolution``, ``complainant_nps`` (the section's tables), ``share``.
    lang : {"en", "ru"}
    min_n : int
        Figures from fewer answers are suppressed, counts from 1 to ``min_n − 1`` too.
    **options
        ``kinds`` (index level → code kind), ``labels`` (value → label, e.g. factor names),
        ``name`` (the share column's header key) and kind-specific formatting.

    Returns
    -------
    DataFrame
        Text cells only (what the HTML shows).
    """
    lang = i18n.check_lang(lang)
    if kind not in _READABLE:
        raise ParameterError(f"readable: kind={kind!r}; expected one of {', '.join(sorted(_READABLE))}")
    if isinstance(table, pd.DataFrame):
        table = in_study_order(table)
    return _READABLE[kind](table, lang, min_n, **options)


def in_study_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the study's order of codes (:meth:`cxlab.study.Study.order_rows`)."""
    st = i18n.active_study()
    return table if st is None else st.order_rows(table)


def protect_counts(counts: pd.DataFrame, min_n: int = 30, margins: str | None = None) -> pd.DataFrame:
    """Which cells of a count table to hide: every count from 1 to ``min_n − 1``, then
    (complementary suppression) more cells, smallest first, until in every row and column
    the hidden cells add up to 0 or at least ``min_n`` — so no hidden small count can be
    recovered by subtracting the shown cells from a total.

    ``margins`` names the total row and column (``pd.crosstab(..., margins_name=)``); without
    margins, each column's total is taken as published elsewhere (a breakdown of a known
    total). Returns a boolean frame, True = hide.
    """
    v = counts.fillna(0).astype("int64")
    hide = (v > 0) & (v < min_n)
    lines = [("col", c) for c in v.columns]
    if margins is not None:
        lines += [("row", r) for r in v.index]
    changed = True
    while changed:
        changed = False
        for axis, key in lines:
            cells = v[key] if axis == "col" else v.loc[key]
            h = hide[key] if axis == "col" else hide.loc[key]
            hidden_sum = int(cells[h].sum())
            if 0 < hidden_sum < min_n:
                candidates = cells[~h & (cells > 0)]
                if candidates.empty:
                    continue
                pick = candidates.idxmin()
                if axis == "col":
                    hide.loc[pick, key] = True
                else:
                    hide.loc[key, pick] = True
                changed = True
    return hide


def _protected_text(v, hidden: bool, min_n: int, lang: str) -> str:
    """A count cell: "< 30" when small, "hidden" when hidden only so that a small one
    cannot be recovered (it is not small itself), else the count."""
    if hidden and not (0 < int(v) < min_n):
        return i18n.t("text.hidden", lang)
    return count_text(v, min_n, lang)


def crosstab_view(table: pd.DataFrame, rows: str, columns: str, min_n: int = 30,
                  lang: str = "en", margins: str = "all") -> pd.DataFrame:
    """Counts of ``table``'s rows by two classifications (e.g. importance × origin), with
    totals, and small or recoverable cells hidden (:func:`protect_counts`); codes as labels
    in their schema order, the totals as "Total"."""
    counts = pd.crosstab(table[rows], table[columns], margins=True, margins_name=margins)
    st = i18n.active_study()

    def order(values, name):
        cl = st.codelist(name) if st is not None else None
        known = list(cl.values) if cl is not None else []
        inner = [v for v in values if v != margins]
        first = [v for v in known if v in inner] + [v for v in inner if v not in known]
        return first + [margins]

    counts = counts.reindex(index=order(counts.index, rows), columns=order(counts.columns, columns))
    hide = protect_counts(counts, min_n, margins)
    cells = {c: [_protected_text(v, h, min_n, lang) for v, h in zip(counts[c], hide[c])]
             for c in counts.columns}
    total = i18n.t("col.total", lang)

    def names(values, kind):
        return [total if v == margins else code_label(v, lang, kind) for v in values]

    view = pd.DataFrame(cells, index=counts.index).astype(object)
    view.index = pd.Index(names(counts.index, rows), name=col_label(rows, lang))
    view.columns = pd.Index(names(counts.columns, columns), name=col_label(columns, lang))
    return view


def breakdown_view(monthly: pd.DataFrame, justified: pd.DataFrame | None = None,
                   service: pd.DataFrame | None = None, min_n: int = 30, lang: str = "en",
                   kind: str | None = None) -> pd.DataFrame:
    """Complaints of a period broken down by one classification: the count (hidden from 1 to
    ``min_n − 1``, with complementary suppression against the period's total), the share
    justified and the median working hours to resolution, each shown from its own n.

    ``monthly`` is :func:`cxlab.complaints.monthly` of the period's complaints (its columns
    summed: the period's counts); ``justified`` :func:`cxlab.complaints.share_justified`
    with ``freq=None`` and ``service`` :func:`cxlab.complaints.long_service`, both by the
    same classification. Rows are the levels, largest first.
    """
    counts = monthly.drop(columns=["total"], errors="ignore").sum().astype("int64")
    counts = counts.sort_values(ascending=False, kind="stable")
    hide = protect_counts(counts.to_frame("n"), min_n)["n"]
    rows = {"complaints": [_protected_text(v, h, min_n, lang) for v, h in zip(counts, hide)]}
    if justified is not None:
        j = justified.reindex(counts.index)
        rows["justified_ci"] = [_own(pd.notna(n) and n >= min_n, _pct_ci(s, a, b, lang), min_n)
                                for n, s, a, b in zip(j["n"], j["share"], j["ci_low"], j["ci_high"])]
    if service is not None:
        s = service.reindex(counts.index)
        rows["median_hours_ci"] = [_own(pd.notna(n) and n >= min_n, estimate_text(m, a, b, 1, lang), min_n)
                                   for n, m, a, b in zip(s["n"], s["median_hours"], s["ci_low"], s["ci_high"])]
    index = pd.Index(counts.index, name=kind or monthly.columns.name)
    return _assemble(rows, index, lang, kinds={index.name: kind} if kind else None)
