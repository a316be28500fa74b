"""Rendering a quarter's report: parameterized notebooks run by papermill, audited for
disclosure as a whole, exported to HTML for stakeholders.

``render`` runs every report notebook for one quarter and one language with papermill,
each kernel keeping a disclosure ledger (:mod:`cxlab.disclosure`); when all succeeded it
audits the quarter's pages together, exports each page with the audit's decisions
(:mod:`cxlab.report.pages`) and writes:

- ``reports/<quarter>/<lang>/`` — the section pages and the quarter's index: HTML only,
  for stakeholders; ``reports/index.html`` lists every quarter in every language;
- ``analyst/<quarter>/<lang>/`` (:func:`analyst_folder`, beside ``reports/``) — the run's
  record: the executed notebooks (their parameters in their metadata), the ledgers, the
  audit (``disclosure.json``) and the sections manifest; a failed run's notebook with its
  traceback goes to ``analyst/failed-<quarter>.<lang>/``.

Rendering happens in temporary folders inside ``analyst/``; each destination folder is
replaced only when every notebook succeeded and the audit passed, so a failing or killed
run leaves the previous report exactly as it was and nothing in ``reports/``. The
replacement is one atomic swap of two folders where the system has one (Linux, macOS:
:func:`_swap_in`), so the folder, and every link to it, works at every instant;
``reports/index.html`` is replaced atomically too. A killed run's leftovers are removed by
the next run (:func:`clean_leftovers`).

Rendering never analyses: what a page shows comes from the notebooks, which call
:mod:`cxlab.report.tables` and :mod:`cxlab.report.narrative`.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cxlab import i18n
from cxlab import progress as _progress
from cxlab import sections as _sections
from cxlab.errors import CxlabError, FileError, NotebookError, ParameterError, ReportError
from cxlab.paths import (NOTEBOOKS_DIR, REPORTS_DIR, default_warehouse, make_folder, resolve,
                         write_atomic)
from cxlab.quarter import resolve_quarter
from cxlab.report.pages import (LANG_TAG, REMOVE_TAGS, _footer_html,  # noqa: F401 - re-exported
                                _for_stakeholders, _nav_html, export_html, for_language,  # noqa: F401
                                quarter_index_html, reports_index_html)

#: Report notebooks, in the order the quarter's index lists them (what each needs from the
#: warehouse: :data:`cxlab.sections.SECTIONS`).
NOTEBOOKS: tuple[str, ...] = tuple(_sections.SECTIONS)


_LEDGER_ENV = "CXLAB_LEDGER"  # cxlab.disclosure.ENV (not imported here: no cycle)

#: The quarter folder's record of its sections (kept so ``--notebook X`` re-renders one
#: section and keeps the others).
MANIFEST = "sections.json"


#: The kernel papermill starts. ``python3`` resolves to the interpreter running cxlab when
#: ipykernel is importable (jupyter_client's native kernel), so a report run from ``.venv``
#: uses ``.venv`` whatever kernels are installed elsewhere.
KERNEL_NAME = "python3"


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


# ------------------------------------------------------------------------- one quarter

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
        Show the progress of the notebooks (on stderr, a row per running notebook) when
        :func:`cxlab.progress.enabled` allows: on a terminal or in a notebook, never
        under cron. False: never.
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


def analyst_folder(out: Path) -> Path:
    """The analysts' folder beside the stakeholders' ``out`` (``reports/`` → ``analyst/``):
    executed notebooks, the disclosure ledgers and audit, the sections manifest, failed
    runs and logs. Nothing of it is for stakeholders, so none of it is inside ``out``.
    Another folder name ``x`` gets ``x-analyst`` beside it (two report folders never
    share one)."""
    return out.parent / ("analyst" if out.name == "reports" else f"{out.name}-analyst")


def _render_into(out: Path, quarter: str, run, paths, asked: bool, lacking, lang: str,
                 parameters: dict, kernel_name: str, jobs: int, progress: bool,
                 started: float) -> RenderResult:
    """The rendering proper (:func:`render`).

    Notebooks run into a temporary folder in the analysts' folder, each kernel keeping a
    disclosure ledger; when all succeeded the quarter is audited as a whole
    (:func:`cxlab.disclosure.audit`), every page is exported with the audit's decisions,
    and ``out/<quarter>/<lang>/`` (HTML only) and ``analyst/<quarter>/<lang>/`` are each
    swapped in whole (:func:`_swap_in`)."""
    from cxlab import disclosure
    from cxlab.study import load_study
    from cxlab.suppression import hidden_label

    rerun_titles = {section_title(p.stem, lang) for p in run}
    dest = out / quarter / lang
    root = analyst_folder(out)
    work = root / quarter / lang
    make_folder(root)
    clean_leftovers(root)
    kept, kept_left = _kept_sections(work, {p.stem for p in run}) if asked else ([], [])
    left_out = [x for x in kept_left if x[0] not in rerun_titles] + [
        (section_title(p.stem, lang), "; ".join(x.text(lang) for x in lacking[p.stem]))
        for p in paths if lacking[p.stem]]
    tag = f"{quarter}.{lang}-{os.getpid()}"
    tmp_nb, tmp_html = root / f".tmp-nb-{tag}", root / f".tmp-html-{tag}"
    for t in (tmp_nb, tmp_html):
        if t.exists():
            shutil.rmtree(t)
        t.mkdir()
    order = [n for n in NOTEBOOKS if n in {p.stem for p in run} | {k.name for k in kept}]
    order += [p.stem for p in run if p.stem not in order]
    titles = {name: section_title(name, lang) for name in order}
    footer = _footer_html(quarter, parameters, lang)
    failed_dir = root / f"failed-{quarter}.{lang}"
    jobs = max(1, min(int(jobs), max(1, len(run))))
    done: dict[str, Section] = {}

    def one(path: Path) -> Section:
        t0 = time.perf_counter()
        # a row per running notebook: two run at once, each in its own thread
        with _progress.task(f"  {path.stem} ({lang})", None, show=progress):
            run_notebook(path, tmp_nb / path.name, parameters, kernel_name, quarter=quarter,
                         failed_dir=failed_dir, ledger=tmp_nb / f"{path.stem}{LEDGER_SUFFIX}")
        return Section(path.stem, titles[path.stem], f"{path.stem}.html", path.name,
                       time.perf_counter() - t0)

    try:
        for k in kept:  # sections not re-run this time: their record is audited again
            for name in (k.notebook, f"{k.name}{LEDGER_SUFFIX}"):
                if (work / name).is_file():
                    shutil.copy2(work / name, tmp_nb / name)
            done[k.name] = k
        if kept and (work / disclosure.MEMBERS_DIR).is_dir():  # the member sets they name
            shutil.copytree(work / disclosure.MEMBERS_DIR, tmp_nb / disclosure.MEMBERS_DIR,
                            dirs_exist_ok=True)
        with _progress.task(f"report {quarter} ({lang})", len(run), unit="notebooks",
                            show=progress) as bar:
            # Kernels are separate processes: two notebooks at a time use both cores
            # while papermill itself mostly waits on them; each kernel's BLAS gets its
            # share of the cores (_kernel_threads)
            with _kernel_threads(jobs), ThreadPoolExecutor(max_workers=jobs) as pool:
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
                    bar.advance()
            if errors:
                first = next(p.stem for p in run if p.stem in errors)
                raise errors[first]
        sections = [done[name] for name in order if name in done]
        # the whole quarter's pages, audited together: no small count derivable
        threshold = load_study(parameters.get("study") or None).disclosure
        records = disclosure.read_ledgers(sorted(tmp_nb.glob(f"*{LEDGER_SUFFIX}")))
        audit = disclosure.audit(records, threshold)
        _write_audit(tmp_nb / AUDIT, audit, threshold, len(records))
        import nbformat

        label = hidden_label(lang)
        for sec in sections:
            nb = nbformat.read(str(tmp_nb / sec.notebook), as_version=4)
            page = export_html(nb, f"{sec.title} — {quarter}", lang,
                               nav=_nav_html(quarter, titles, current=sec.name, lang=lang),
                               footer=footer)
            page = disclosure.unmark(disclosure.apply(page, audit, label))
            (tmp_html / sec.html).write_text(page, encoding="utf-8")
        (tmp_html / "index.html").write_text(
            quarter_index_html(quarter, sections, lang, parameters, left_out), encoding="utf-8")
        _write_manifest(tmp_nb / MANIFEST, sections, left_out, parameters)
        make_folder(dest.parent)
        make_folder(work.parent)
        _swap_in(tmp_nb, work)
        _swap_in(tmp_html, dest)
    finally:
        for t in (tmp_nb, tmp_html):
            if t.exists():
                shutil.rmtree(t, ignore_errors=True)
    if failed_dir.exists():  # this run succeeded: an older failure record is stale
        shutil.rmtree(failed_dir, ignore_errors=True)
    write_atomic(out / "index.html", reports_index_html(out, lang))
    return RenderResult(quarter, dest / "index.html", tuple(sections),
                        time.perf_counter() - started, lang, parameters, tuple(left_out))


#: The thread-count variables of the BLAS and OpenMP libraries numpy and scipy use.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def _kernel_threads(jobs: int):
    """While kernels start: each gets ``cores // jobs`` BLAS threads (at least one),
    unless the caller set the variables itself.

    Kernels inherit the renderer's environment. Left alone, each of two kernels starts
    a BLAS thread per core, and OpenBLAS threads wait by spinning. On two cores the
    penalty/reward bootstrap of a million answers, run in two processes side by side,
    took 31 s each against 15 s with one thread each on a quiet machine, and 621 s
    against 15 s while other jobs ran (``benchmarks/README.md``, "Scale").
    """
    share = str(max(1, (os.cpu_count() or 1) // max(1, int(jobs))))
    saved = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    for k in THREAD_VARIABLES:
        os.environ.setdefault(k, share)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: Each kernel's disclosure ledger, beside its executed notebook (analyst folder).
LEDGER_SUFFIX = ".ledger.jsonl"
#: The quarter's audit: what was hidden and the attacker's interval of each small count.
AUDIT = "disclosure.json"


def _write_audit(path: Path, audit, threshold: int, records: int) -> None:
    import json

    data = {"threshold": threshold, "published_figures": records,
            "small_counts_checked": audit.checked, "hidden_to_protect_them": audit.secondary,
            "hidden_ids": sorted(audit.hide),
            "intervals": [{"value": v, "attacker_low": lo, "attacker_high": hi}
                          for v, lo, hi in audit.intervals.values()]}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


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
            and (dest / d["notebook"]).is_file()]
    names = {s.title for s in kept}
    left = [(d["title"], d["reason"]) for d in data.get("left_out", []) if d["title"] not in names]
    return kept, left


# ------------------------------------------------------------------------- one notebook

def run_notebook(path: Path, output: Path, parameters: dict, kernel_name: str = KERNEL_NAME,
                 quarter: str = "", failed_dir: Path | None = None, ledger: Path | None = None):
    """Execute one notebook with papermill; a failing cell becomes a :class:`NotebookError`.

    With a ``lang`` among the ``parameters`` the run is in that language: the cells tagged
    for another language are dropped before execution (:func:`for_language`), so the
    executed record holds one language's prose. Without it every cell is kept (refreshing
    the committed notebooks, :func:`execute_in_place`).

    Returns the executed notebook (``nbformat.NotebookNode``), also written to ``output``.
    """
    import nbformat
    import papermill as pm

    source = path
    # No ``cwd=``: papermill implements it with a process-wide os.chdir, which races when
    # notebooks run in parallel threads (one thread restores the directory another set,
    # leaving the process in notebooks/). The notebooks resolve every path from the project
    # root (cxlab.paths), so the kernel's working directory does not matter.
    try:
        if parameters.get("lang") is not None:
            # papermill would copy a NotebookNode given as input into the output's
            # metadata: the run's own copy is written to ``output`` and executed there
            nbformat.write(for_language(nbformat.read(str(path), as_version=4),
                                        parameters["lang"]), str(output))
            source = output
        pm.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=kernel_name,
            progress_bar=False, log_output=False,
            # no TCP warning or shutdown noise on stderr; no progress in the executed
            # record (cxlab.progress); the kernel's disclosure ledger
            extra_arguments=["--IPKernelApp.log_level=CRITICAL",
                             "--IPKernelApp.exec_lines=import os; "
                             f"os.environ[{_progress.ENV!r}] = '0'" + (
                                 f"; os.environ[{_LEDGER_ENV!r}] = {str(ledger)!r}"
                                 if ledger is not None else "")],
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
    nb = nbformat.read(str(output), as_version=4)
    if source != path:  # the record names the notebook it was made from
        nb.metadata.setdefault("papermill", {})["input_path"] = str(path)
        nbformat.write(nb, str(output))
    return nb


# ------------------------------------------------------------------------- atomic swap, leftovers

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
    with _progress.task("notebooks", len(paths), unit="notebooks", show=progress) as bar:
        for path in paths:
            bar.update(description=f"notebooks · {path.stem}")
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
            bar.advance()
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
