"""The ``cxlab`` command line.

Each command is a thin wrapper over a package function. Errors that cxlab raises on
purpose (:class:`cxlab.errors.CxlabError`) are printed as one clear message, without a
traceback, and the command exits with status 1. So are the operating system's refusals
(a full disk, a read-only or missing folder, no permission: :class:`OSError`) and a
database error DuckDB raises: every command is registered through :func:`command`.

Size: over 800 lines on purpose: one thin command per verb (typer); each command only
parses options, calls the library and prints its result or error, and the commands share
their option helpers.
"""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console
from rich.markup import escape

from cxlab.errors import CxlabError

PROGRESS_HELP = (
    "Long steps (ingest, bootstrap, each notebook of a report) show their progress on "
    "stderr only when stderr is a terminal: never under cron, in a pipe or a log file, "
    "in CI (CI set) or under pytest. CXLAB_PROGRESS=1 forces it on, CXLAB_PROGRESS=0 "
    "or --quiet off.")

app = typer.Typer(
    name="cxlab",
    help="cxlab: CX research workspace (sample data, validation, warehouse, reports).\n\n"
         + PROGRESS_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


@app.callback()
def _global_options(
    quiet: bool = typer.Option(
        False, "--quiet",
        help="No progress bars (for this command and the report kernels it starts). "
             "Without it they show only on a terminal, never under cron."),
):
    # --quiet only, no -q: `cxlab report -q 2026Q3` is the quarter
    if quiet:
        from cxlab import progress

        progress.disable()


def fail(err: Exception) -> None:
    """Print a CxlabError as one message (no traceback) and exit 1."""
    console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _as_cxlab_error(err: BaseException) -> CxlabError | None:
    """An OSError or a DuckDB error as the one-line CxlabError the user sees; None for
    anything else (a bug: its traceback is worth seeing)."""
    from cxlab.errors import FileError, WarehouseError

    if isinstance(err, CxlabError):
        return err
    if isinstance(err, OSError):
        return FileError.from_os(err)
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(err, duckdb.Error):
        return WarehouseError(f"the warehouse refused the operation: {err}")
    return None


def command(name: str, **kwargs):
    """``@app.command(name)``, with every CxlabError, OSError and DuckDB error turned into
    one line on stderr and exit status 1 (never a traceback)."""
    def register(fn):
        @functools.wraps(fn)
        def run(*args, **kw):
            try:
                return fn(*args, **kw)
            except Exception as err:  # sorted below: only a bug keeps its traceback
                clean = _as_cxlab_error(err)
                if clean is None:
                    raise
                fail(clean)
        return app.command(name, **kwargs)(run)
    return register


STUDY_HELP = "Study file (default: $CXLAB_STUDY, ./study.yml, or the samples' study)"


def _study_option():
    """``--study PATH``: every command that reads or interprets data takes one."""
    return typer.Option(None, "--study", help=STUDY_HELP)


def _load_study(path: str | None):
    """The study a command works with (a path typed here is from the working directory);
    raises CxlabError for a missing or malformed file."""
    from cxlab.study import load_study

    return load_study(_cli_path(path))


def _warn(out: Console, where: str, message: str) -> None:
    """One warning line: yellow, never failing the command."""
    out.print(f"warning: {where}: {message}" if where else f"warning: {message}",
              style="yellow", markup=False, highlight=False)


# Commands are registered below by topic; keep each a thin call into the package.
# ---------------------------------------------------------------- commands

# ---- report / notebooks: quarterly HTML reports (cxlab.report) ------------------------

@command("report")
def report_cmd(
    quarter: str = typer.Option("latest", "--quarter", "-q",
                                help="Calendar quarter like 2026Q3, or 'latest' (last complete)."),
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/warehouse.duckdb)."),
    out: str = typer.Option(None, "--out", "-o", help="Reports folder (default: reports/ of the project)."),
    lang: str = typer.Option(None, "--lang",
                             help="Report language: en or ru (default: the study's)."),
    min_n: int = typer.Option(None, "--min-n",
                              help="Suppress figures from fewer answers (default: the study's)."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed (same seed, same report)."),
    notebook: list[str] = typer.Option(None, "--notebook", "-n",
                                       help="Render only these notebooks (repeatable)."),
    study: str = _study_option(),
):
    """Render a quarter's report: notebooks → papermill → HTML in OUT/<quarter>/.

    Progress (a row per notebook) shows on stderr only on a terminal, never under cron.
    """
    from cxlab import paths, report

    notebooks = [_cli_path(n) if n.endswith(".ipynb") else n for n in notebook or []]
    try:
        st = _load_study(study)
        result = report.render(quarter=quarter, warehouse=_cli_path(warehouse),
                               out=_cli_path(out) or paths.REPORTS_DIR, lang=lang, min_n=min_n,
                               notebooks=notebooks or None, seed=seed, study=st)
    except CxlabError as err:
        fail(err)
    console.print(result.summary(), highlight=False, markup=False)


@command("notebooks")
def notebooks_cmd(
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file the notebooks read (default: their own)."),
    notebook: list[str] = typer.Option(None, "--notebook", "-n",
                                       help="Only these notebooks (repeatable)."),
):
    """Re-execute notebooks/ in place with their default parameters (refresh outputs)."""
    from cxlab import report

    try:
        done = report.execute_in_place(notebook or None, warehouse=_cli_path(warehouse))
    except CxlabError as err:
        fail(err)
    for path in done:
        console.print(f"executed {path}", highlight=False, markup=False)


# ---- lint-questions: "one factor = one question" (cxlab.factors) ---------------------

@command("lint-questions")
def lint_questions_cmd(
    path: str = typer.Argument(None, help=STUDY_HELP + "; its factors' questions are checked."),
    jargon: list[str] = typer.Option(None, "--jargon", "-j",
                                     help="An extra jargon term, or a YAML list file; repeatable."),
    study: str = _study_option(),
):
    """Check the questionnaire: double-barrelled questions, jargon, duplicates, factors
    without a question. Exits 1 when there are findings."""
    from cxlab import factors
    from cxlab.errors import ParameterError

    try:
        if path is not None and study is not None and _cli_path(path) != _cli_path(study):
            raise ParameterError(f"two study files: {path} and --study {study}; give one")
        st = _load_study(path if path is not None else study)
        path = st.source
        extra = None
        if jargon:
            files = [j for j in jargon if j.endswith((".yml", ".yaml"))]
            extra = {lang: [j for j in jargon if j not in files] for lang in factors.LANGS}
            for f in files:
                for lang, more in factors._jargon_lists(f, use_default=False).items():
                    extra[lang] += more
        found = factors.lint_questions(st, jargon=extra)
    except CxlabError as err:
        fail(err)
    if found.empty:
        typer.echo(f"{path}: no findings (one factor = one question)")
        return
    for row in found.itertuples():
        typer.echo(f"{row.factor} [{row.lang}] {row.check}: {row.detail}")
    typer.echo(f"{len(found)} finding(s) in {path}")
    raise typer.Exit(1)


# ---- samples: the seeded synthetic data set (cxlab.samples) --------------------------

@command("samples")
def samples_cmd(
    out: str = typer.Option("data/samples", "--out", "-o",
                            help="Directory for the six CSVs (relative = from the project root)."),
    seed: int = typer.Option(20241001, "--seed", help="Random seed; same seed, same files."),
):
    """Generate the synthetic sample tables (clients … complaints) as CSV, and the feedback
    group's Telegram export (telegram/result.json)."""
    from cxlab import paths, progress, samples
    from cxlab.errors import FileError

    try:
        target = paths.resolve(out)
        steps = 2 + len(samples.TABLE_ORDER)
        with progress.task("generating sample data", steps, unit="steps") as bar:

            def tick(step: str) -> None:
                bar.update(description=step)
                bar.advance()

            try:
                paths.make_folder(target)
                tables = samples.generate(seed=seed, out=target, progress=tick)
            except OSError as err:
                raise FileError.from_os(err, f"write the sample data to {target}") from None
        for name, df in tables.items():
            console.print(f"  {name + '.csv':<17} {len(df):>7,} rows")
        typer.echo(f"wrote {len(tables)} tables and the feedback group's Telegram export (seed {seed}) to {target}")
    except CxlabError as err:
        fail(err)


# ---- complaints: the Monday control summary (cxlab.complaints) -----------------------

@command("complaints-weekly")
def complaints_weekly_cmd(
    asof: str = typer.Option(..., "--asof",
                             help="Meeting day (yyyy-mm-dd); the last full Mon–Sun week "
                                  "before it is reviewed."),
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="DuckDB file."),
    calendar: str = typer.Option(None, "--calendar",
                                 help="Working hours: the study's calendar by default, or "
                                      "'default' (Mon–Fri 09:00–18:00, no holidays)."),
    show_overdue: bool = typer.Option(True, "--overdue/--no-overdue",
                                      help="List the overdue complaints (ids only)."),
    study: str = _study_option(),
):
    """Complaints of last week per responsible team: new, resolved, overdue, backlog."""
    from cxlab import complaints, io
    from cxlab.errors import ParameterError

    try:
        st = _load_study(study)
        if calendar not in (None, "default"):
            raise ParameterError(f"--calendar {calendar!r}: expected 'default', or leave it "
                                 "out for the study's working calendar (calendar: in the "
                                 "study file: weekdays, hours, country holidays)")
        # None: the study's calendar (complaints.WorkCalendar.from_study)
        cal = complaints.WorkCalendar() if calendar == "default" else None
        table = io.load("complaints", _cli_path(warehouse), study=st)
        table = table.drop(columns=["description", "client_id"], errors="ignore")
        result = complaints.weekly_summary(table, asof, calendar=cal, study=st)
    except CxlabError as err:
        fail(err)
    out = Console(soft_wrap=True)
    out.print(result.summary(), markup=False, highlight=False)
    if show_overdue and len(result.overdue):
        cols = [c for c in ("responsible", "importance", "category", "channel",
                            "received_at", "deadline_at", "hours_overdue")
                if c in result.overdue.columns]
        out.print("\nOverdue at the end of the week (internal list):", markup=False)
        out.print(result.overdue[cols].to_string(float_format=lambda x: f"{x:.1f}"),
                  markup=False, highlight=False)


# ---- closed loop: the internal follow-up list (cxlab.cohorts) ------------------------

#: Printed whenever the follow-up list is written: it is the one output with client data.
FOLLOWUPS_NOTICE = ("The follow-up list contains personal data (names, phones, e-mails): "
                    "for internal use by the client department only. Never put it in "
                    "reports/ or send it to stakeholders.")

#: The formats ``cxlab followups`` writes: an Excel workbook (the default) or CSV.
FOLLOWUP_FORMATS = ("xlsx", "csv")

#: Column headers of the workbook, by language (CSV keeps the column names, for scripts).
#: A column missing here is headed by its name.
FOLLOWUP_HEADERS: dict[str, dict[str, str]] = {
    "ru": {
        "priority": "Приоритет", "priority_label": "Категория", "client_id": "ID клиента",
        "parent_name": "Клиент", "phone": "Телефон", "email": "E-mail", "reason": "Причина",
        "reason_codes": "Коды причин", "last_nps": "Последняя оценка NPS",
        "last_nps_on": "Дата оценки NPS", "last_visit": "Последний визит",
        "days_since_last_visit": "Дней с последнего визита", "n_visits": "Визитов",
        "joined_on": "Первое обращение",
    },
    "en": {
        "priority": "Priority", "priority_label": "Category", "client_id": "Client ID",
        "parent_name": "Client", "phone": "Phone", "email": "E-mail", "reason": "Reason",
        "reason_codes": "Reason codes", "last_nps": "Last NPS score",
        "last_nps_on": "Last NPS on", "last_visit": "Last visit",
        "days_since_last_visit": "Days since last visit", "n_visits": "Visits",
        "joined_on": "First contact",
    },
}

#: Workbook columns written as numbers and as dates; every other column (names, phones,
#: e-mails, reasons, ids) is always a text cell, whatever its values look like.
_FOLLOWUP_NUMBERS = frozenset({"priority", "last_nps", "days_since_last_visit", "n_visits"})
_FOLLOWUP_DATES = frozenset({"last_nps_on", "last_visit", "joined_on"})

#: First characters that make a spreadsheet read a field as a formula (OWASP, "CSV
#: Injection"): ``=``, ``+``, ``-``, ``@``, tab (0x09) and carriage return (0x0D).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(field: str) -> str:
    """A CSV field Excel and LibreOffice show as text, never evaluate (OWASP "CSV Injection").

    A field starting with one of :data:`FORMULA_TRIGGERS` gets a single quote ``'`` in
    front (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``); any other field is returned unchanged.
    The writer must also quote every field (``csv.QUOTE_ALL``), so a separator or a line
    break inside a field cannot start a new, unprefixed cell. The price: Excel shows the
    quote, so a phone ``+7 912 …`` reads ``'+7 912 …`` — why the workbook (.xlsx), whose
    cells are typed text, is the default.
    """
    return "'" + field if field.startswith(FORMULA_TRIGGERS) else field


def _followup_headers(columns, lang: str) -> list[str]:
    labels = FOLLOWUP_HEADERS["ru" if lang == "ru" else "en"]
    return [labels.get(c, str(c)) for c in columns]


def _followups_out(out: str | None, asof: str, fmt: str | None = None):
    """Where to write the list and in which format (``"xlsx"`` or ``"csv"``): the suffix of
    ``out`` (.xlsx, .csv) or ``fmt``, which must agree; default
    ``followups/followups_<asof>.xlsx``. Refuses reports/ (the stakeholders' folder)."""
    from pathlib import Path

    from cxlab import paths
    from cxlab.errors import ParameterError

    if fmt is not None and fmt.lower() not in FOLLOWUP_FORMATS:
        raise ParameterError(f"--format {fmt!r}: expected one of {', '.join(FOLLOWUP_FORMATS)}")
    fmt = None if fmt is None else fmt.lower()
    if out is None:
        fmt = fmt or "xlsx"
        return paths.PROJ_ROOT / "followups" / f"followups_{asof}.{fmt}", fmt
    target = Path(out).expanduser().absolute()
    reports = paths.REPORTS_DIR.resolve()
    real = target.resolve()
    if real == reports or reports in real.parents or any(
            part.lower() == "reports" for part in target.parent.parts):
        raise ParameterError(
            f"refusing to write the follow-up list to {out}: reports/ is the stakeholders' "
            "folder. " + FOLLOWUPS_NOTICE + " Write it elsewhere, e.g. the default "
            f"followups/followups_{asof}.xlsx (git-ignored)."
        )
    suffix = target.suffix.lower().lstrip(".")
    if suffix in FOLLOWUP_FORMATS:
        if fmt is not None and fmt != suffix:
            raise ParameterError(f"--out {out} is a .{suffix} file but --format is {fmt}: "
                                 "give one of them, or make them agree")
        return target, suffix
    if fmt is None:
        raise ParameterError(f"--out {out}: name a .xlsx file (the default format) or a .csv "
                             "file, or pass --format xlsx|csv")
    return target, fmt


def _csv_text(lst, sep: str) -> str:
    """The list as CSV text: every field quoted and passed through :func:`csv_safe`; days
    as yyyy-mm-dd, missing values empty; the column names as the header."""
    import csv
    import io as _io

    import pandas as pd

    def field(v) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return str(v)

    buf = _io.StringIO()
    w = csv.writer(buf, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow([csv_safe(str(c)) for c in lst.columns])
    for row in lst.itertuples(index=False, name=None):
        w.writerow([csv_safe(field(v)) for v in row])
    return buf.getvalue()


def _xlsx_text(value) -> str:
    """A string as a workbook can hold it: a CR or CRLF line break becomes LF (Excel's line
    break; the XML of the file would turn a bare CR into LF anyway), and the control
    characters XML cannot carry at all become U+FFFD (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))


def _xlsx_bytes(lst, lang: str) -> bytes:
    """The list as an Excel workbook (bytes), nothing in it a formula.

    Text cells: every field but the numbers and days below, and any value that is a string
    — the cell's type is forced to text (``data_type "s"``, openpyxl would otherwise store
    ``=…`` as a formula), formatted ``@`` (Text: Excel keeps it text even when the cell is
    edited), with Excel's quote prefix when it starts like a formula. Phones therefore read
    exactly as written (``+7 912 …``), no quote shown. Numbers (priority, last NPS, days,
    visits) are numbers, computed by cxlab, never typed by a client. Days are real dates
    formatted yyyy-mm-dd: they sort and filter as dates in Excel, read the same in every
    locale, and a date cell cannot hold a formula. A bold header row (in ``lang``), frozen,
    with a filter; column widths from the contents.
    """
    import datetime as dt
    import io as _io
    import math
    import numbers

    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Обзвон" if lang == "ru" else "Follow-ups"

    def text(cell, value: str) -> int:
        value = _xlsx_text(value)
        cell.value = value
        cell.data_type = "s"  # after the value: openpyxl types "=…" as a formula
        cell.number_format = "@"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return max((len(line) for line in value.split("\n")), default=0)

    headers = _followup_headers(lst.columns, lang)
    widths = []
    for j, h in enumerate(headers, start=1):
        widths.append(text(ws.cell(row=1, column=j), h))
        ws.cell(row=1, column=j).font = Font(bold=True)
    for i, row in enumerate(lst.itertuples(index=False, name=None), start=2):
        for j, (col, v) in enumerate(zip(lst.columns, row), start=1):
            cell = ws.cell(row=i, column=j)
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            if col in _FOLLOWUP_DATES and isinstance(v, (pd.Timestamp, dt.date)):
                v = pd.Timestamp(v)
                if v.tzinfo is None:
                    cell.value = v.date() if v == v.normalize() else v.to_pydatetime()
                    cell.number_format = ("yyyy-mm-dd" if v == v.normalize()
                                          else "yyyy-mm-dd hh:mm")
                    widths[j - 1] = max(widths[j - 1], 10 if v == v.normalize() else 16)
                    continue
                v = v.isoformat()
            elif (col in _FOLLOWUP_NUMBERS and isinstance(v, numbers.Real)
                  and not isinstance(v, bool) and math.isfinite(v)):
                cell.value = v.item() if hasattr(v, "item") else v  # numpy → Python
                widths[j - 1] = max(widths[j - 1], len(str(cell.value)))
                continue
            widths[j - 1] = max(widths[j - 1], text(cell, str(v)))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w, 6) + 2, 60)
    ws.freeze_panes = "A2"
    if len(headers):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(lst) + 1}"
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_followups(lst, target, fmt: str = "xlsx", sep: str = ";", lang: str = "ru") -> None:
    """The list as a workbook (:func:`_xlsx_bytes`) or as CSV (UTF-8 with a BOM, every field
    quoted and made safe by :func:`csv_safe`), through a temporary sibling: never half a
    file at ``target``."""
    from cxlab import paths
    from cxlab.errors import FileError

    try:
        paths.make_folder(target.parent)
        paths.remove_stale_temp_files(target)  # of a killed run
        if fmt == "csv":
            # the BOM: Excel then reads UTF-8
            paths.write_atomic(target, "\ufeff" + _csv_text(lst, sep))
        else:
            paths.write_atomic(target, _xlsx_bytes(lst, lang))
    except OSError as err:
        fail(FileError.from_os(err, f"write the follow-up list to {target}"))


@command("followups")
def followups_cmd(
    asof: str = typer.Option(..., "--asof", help="Day the list is made for (yyyy-mm-dd)."),
    out: str = typer.Option(None, "--out", "-o",
                            help="File to write: .xlsx or .csv (default "
                                 "followups/followups_<asof>.xlsx; never inside reports/)."),
    fmt: str = typer.Option(None, "--format",
                            help="xlsx (default: Excel workbook, text cells, nothing "
                                 "evaluated) or csv (fields that could be read as formulas "
                                 "get a leading '). Default: from the --out suffix."),
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/warehouse.duckdb)."),
    samples: bool = typer.Option(False, "--samples",
                                 help="Use the sample data set (data/samples) instead."),
    detractor_days: int = typer.Option(14, "--detractor-days",
                                       help="Detractors who answered within this many days."),
    lapsed_after_days: int = typer.Option(None, "--lapsed-after-days",
                                          help="No visit for this many days = lapsed "
                                               "(default: the study's)."),
    lapsed_within_days: int = typer.Option(365, "--lapsed-within-days",
                                           help="Leave out clients gone longer than this "
                                                "(0 = keep all)."),
    valuable_visits: int = typer.Option(10, "--valuable-visits",
                                        help="Lapsed with at least this many visits: priority 3."),
    lang: str = typer.Option(None, "--lang",
                             help="Language of the reasons and the workbook's headers: ru or "
                                  "en (default: the study's)."),
    sep: str = typer.Option(None, "--sep",
                            help="CSV only: field separator (default ';': opens in "
                                 "Russian-locale Excel)."),
    study: str = _study_option(),
):
    """Write the internal call-back list: detractors and lapsed clients, with reasons.

    By default an Excel workbook (.xlsx): every name, phone, e-mail and reason is a text
    cell, so nothing a client typed can run as a formula, and phones read as written;
    days are dates, the header row (in the list's language) is frozen. With --format csv
    (or --out x.csv): UTF-8 with a BOM, ';'-separated, every field quoted, and a field
    starting with = + - @, tab or CR prefixed with ' (OWASP "CSV Injection": Excel then
    shows the quote, e.g. '+7 912 …). It contains personal data: the command refuses to
    write inside reports/.
    """
    from cxlab import cohorts, paths
    from cxlab.errors import ParameterError

    try:
        # the sample data is the sample business's: read it with its own study
        st = _load_study(study if study is not None or not samples else str(paths.SAMPLE_STUDY))
        day = cohorts._day(asof, study=st)
        target, fmt = _followups_out(out, str(day.date()), fmt)
        if fmt != "csv" and sep is not None:
            raise ParameterError(f"--sep {sep!r} is for CSV only: add --format csv (or an "
                                 "--out ending in .csv), or leave --sep out")
        sep = ";" if sep is None else sep
        if len(sep) != 1 or sep in '"\r\n':
            raise ParameterError(f"--sep {sep!r}: expected one character (not a quote or a "
                                 "line break), e.g. ';' or ','")
        lang = st.language if lang is None else lang
        if samples:
            from cxlab import samples as smp

            tables = {t: smp.load(t) for t in ("clients", "visits", "responses", "complaints")}
        else:
            from cxlab import io

            wh = _cli_path(warehouse)
            tables = {t: io.load(t, warehouse=wh, study=st)
                      for t in ("clients", "visits", "responses")}
            try:
                tables["complaints"] = io.load("complaints", warehouse=wh, study=st)
            except CxlabError as err:
                console.print(f"note: no complaints used ({err})", markup=False)
                tables["complaints"] = None
        lst = cohorts.followups(
            tables["responses"], tables["clients"], tables["visits"], day,
            detractor_days=detractor_days,
            lapsed_after_days=(st.lapsed_after_days if lapsed_after_days is None
                               else lapsed_after_days),
            complaints=tables["complaints"], valuable_visits=valuable_visits,
            lapsed_within_days=lapsed_within_days or None,
            lang=lang, study=st,
        )
    except CxlabError as err:
        fail(err)
    _write_followups(lst, target, fmt, sep, lang)
    counts = lst["priority"].value_counts().sort_index()
    by_priority = ", ".join(
        f"{p} {cohorts.FOLLOWUP_PRIORITIES[p][1]}: {n}" for p, n in counts.items()) or "nobody"
    console.print(f"wrote {len(lst)} client{'' if len(lst) == 1 else 's'} to {target} "
                  f"({by_priority})", markup=False)
    if fmt == "csv":
        console.print("CSV: fields Excel would read as formulas (starting with = + - @, tab "
                      "or CR) start with ' — phones show it; the default .xlsx does not.",
                      markup=False)
    console.print(FOLLOWUPS_NOTICE, markup=False, style="bold yellow")


# ---- data in: validate and ingest exports, the warehouse (cxlab.io) ------------------

def _cli_path(p) -> str | None:
    """Paths typed on the command line are from the working directory."""
    from pathlib import Path

    return None if p is None else str(Path(p).expanduser().absolute())


def _sheet(sheet: str | None):
    return int(sheet) if sheet is not None and sheet.isdigit() else sheet


TABLE_HELP = "Table the files hold (default: the mapping's table:, else each file name)."
MAP_HELP = ("YAML/JSON mapping: export header → column pairs, or the keys table, columns, "
            "constants, values, scale, ids (README: 'Your own data').")
SHEET_HELP = "Spreadsheet sheet (name or 0-based number; default the first)."
ENCODING_HELP = ("CSV encoding (utf-8, cp1251, koi8-r, latin-1, utf-16 …; default: decided "
                 "over the whole file); the whole file must decode in it.")
SEP_HELP = "CSV field separator (default: detected: , ; or tab)."
SCALE_HELP = "NPS scale of the export: 0-10, 1-11 or 1-5 (→ 0–10); same as scale: {nps: …}."


def _file_notes(out: Console, reports) -> None:
    """Each file's warnings (yellow) and generated ids: worth reading, never failing."""
    for rep in reports:
        for w in rep.warnings:
            _warn(out, rep.path, w)
        if rep.generated_ids and rep.ok:
            out.print(f"note: {rep.path}: {rep.generated_ids} generated from each row's "
                      "content (the same row gets the same id on every re-ingest)",
                      markup=False, highlight=False)


def _check_one(path: str, table, mapping, scale, sheet, study, encoding=None, sep=None):
    """``io.check`` of one file; a file the system will not let us read is reported as
    unreadable, like any other, and the other files are still checked."""
    from cxlab import io
    from cxlab.errors import FileError

    try:
        return io.check(path, table, mapping, scale, sheet, study=study, encoding=encoding, sep=sep)
    except OSError as err:
        return io.FileReport(path, table, 0, [], str(FileError.from_os(err, f"read {path}")))


@command("validate")
def validate_cmd(
    files: list[str] = typer.Argument(..., help="Export files: CSV/TSV/TXT, XLSX, Parquet; a Telegram chat export (result.json)."),
    table: str = typer.Option(None, "--table", "-t", help=TABLE_HELP),
    mapping: str = typer.Option(None, "--map", "-m", help=MAP_HELP),
    scale: str = typer.Option(None, "--scale", "-s", help=SCALE_HELP),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    sep: str = typer.Option(None, "--sep", help=SEP_HELP),
    study: str = _study_option(),
):
    """Check export files against the study and the schema without writing anything.

    Prints a summary per file, its warnings and every problem (row, column, value,
    expected); exits 1 if any file has a problem (warnings do not fail).
    """
    from rich.table import Table

    from cxlab import io
    from cxlab.errors import ValidationError

    out = Console(soft_wrap=True)
    try:
        st = _load_study(study)
        m = io.read_mapping(mapping)
        reports = [_check_one(f, table, m, scale, _sheet(sheet), st, encoding, sep) for f in files]
    except CxlabError as err:
        fail(err)
    summary = Table(title="cxlab validate", title_justify="left")
    for col in ("file", "table", "rows", "result", "ignored columns"):
        summary.add_column(col, justify="right" if col == "rows" else "left", overflow="fold")
    for f, rep in zip(files, reports):
        warned = f" [yellow]({len(rep.warnings)} warning(s))[/]" if rep.warnings else ""
        result = (f"[green]OK[/]{warned}" if rep.ok else
                  "[red]unreadable[/]" if rep.error else f"[red]{len(rep.problems)} problem(s)[/]")
        summary.add_row(escape(f), rep.table_name or "?", str(rep.rows), result,
                        escape(", ".join(rep.ignored_columns)))
    out.print(summary)
    _file_notes(out, reports)
    for f, rep in zip(files, reports):
        if rep.error:
            out.print(rep.error, markup=False, highlight=False)
        elif rep.problems:
            out.print(str(ValidationError(f, rep.table_name, rep.problems, max_shown=100)),
                      markup=False, highlight=False)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


def _ingest_summary(result, warehouse: str) -> None:
    from rich.table import Table

    out = Console(soft_wrap=True)
    _file_notes(out, result.files)
    batch = f" as batch {result.batch}" if result.batch is not None else ""
    t = Table(title=f"ingested into {escape(warehouse)}{batch}", title_justify="left")
    for col in ("table", "rows added", "updated", "already stored (skipped)",
                "conflicts (not applied)"):
        t.add_column(col, justify="left" if col == "table" else "right")
    for name in result:
        t.add_row(name, str(result[name]), str(result.updated.get(name, 0)),
                  str(result.duplicates.get(name, 0)), str(result.conflicts.get(name, 0)))
    out.print(t)
    update = result.on_conflict == "update"
    for name in result:
        within = result.batch_conflicts.get(name, 0)
        stale = result.stale.get(name, 0)
        stored = result.conflicts.get(name, 0) - within - stale
        if within:
            kept = ("the latest file's version was applied (files in the order of "
                    "--exported-at, then as given: the last is the latest)" if update else
                    "the first file's version was kept; with --on-conflict update the last "
                    "file's is applied")
            out.print(f"{name}: {within} row(s) conflict within the batch (an id in two files "
                      f"with different content): {kept}, e.g. "
                      + ", ".join(result.batch_conflict_ids.get(name, [])), markup=False)
        if stored:
            others = [i for i in result.conflict_ids.get(name, [])
                      if i not in result.batch_conflict_ids.get(name, [])]
            out.print(f"{name}: {stored} row(s) have an id already stored with different "
                      "content and were not applied (the warehouse keeps the stored version; "
                      "--on-conflict update applies the newer export)"
                      + (", e.g. " + ", ".join(others) if others else ""), markup=False)
        if stale:
            out.print(f"{name}: {stale} row(s) were not applied: the stored version comes from "
                      "a later export (--exported-at)", markup=False)
        if result.updated.get(name, 0):
            out.print(f"{name}: {result.updated[name]} stored row(s) replaced by this export's "
                      f"version; `cxlab undo {result.batch}` restores them", markup=False)
    for w in result.warnings:
        _warn(out, "", w)


@command("ingest")
def ingest_cmd(
    files: list[str] = typer.Argument(..., help="Export files: CSV/TSV/TXT, XLSX, Parquet; a Telegram chat export (result.json)."),
    table: str = typer.Option(None, "--table", "-t", help=TABLE_HELP),
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/warehouse.duckdb or "
                                       "$CXLAB_WAREHOUSE)."),
    mapping: str = typer.Option(None, "--map", "-m", help=MAP_HELP),
    scale: str = typer.Option(None, "--scale", "-s", help=SCALE_HELP),
    on_conflict: str = typer.Option(
        "skip", "--on-conflict",
        help="A stored id with different content: skip (keep the stored version), error "
             "(refuse the batch) or update (store the export's version; undoable)."),
    sheet: str = typer.Option(None, "--sheet", help=SHEET_HELP),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    sep: str = typer.Option(None, "--sep", help=SEP_HELP),
    exported_at: str = typer.Option(
        None, "--exported-at",
        help="When these exports were made (yyyy-mm-dd, or yyyy-mm-dd hh:mm), for every file "
             "of the batch: with update, a row stored from a later export is not overwritten."),
    study: str = _study_option(),
):
    """Validate export files and write them to the warehouse as one batch (one transaction).

    Rows already stored are skipped (ingesting an export twice adds nothing); if any
    file is bad, nothing is written. An id stored with other content is a conflict:
    see --on-conflict. Within the batch the files count in the order given: the last
    is the latest export. `cxlab history` lists the batches, `cxlab undo BATCH` undoes one.

    Progress (each file and its stages) shows on stderr only on a terminal, never under cron.
    """
    from cxlab import io, paths

    wh = _cli_path(warehouse) or str(paths.default_warehouse())
    try:
        st = _load_study(study)
        # the files and their stages show as progress on a terminal (cxlab.progress)
        result = io.ingest(files, table=table, warehouse=wh, mapping=mapping, scale=scale,
                           on_conflict=on_conflict, exported_at=exported_at, study=st,
                           sheet=_sheet(sheet), encoding=encoding, sep=sep)
    except CxlabError as err:
        fail(err)
    _ingest_summary(result, wh)


@command("ingest-samples")
def ingest_samples_cmd(
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/samples.duckdb; never the "
                                       "real warehouse unless named here)."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Build afresh and swap it in atomically."),
):
    """Build the sample warehouse (data/samples.duckdb) from data/samples/*.csv.

    The synthetic data never goes into the real warehouse (data/warehouse.duckdb or
    $CXLAB_WAREHOUSE) unless --warehouse names it.
    """
    from cxlab import io, paths

    wh = _cli_path(warehouse) or str(paths.SAMPLE_WAREHOUSE)
    try:
        # the sample data is read with its own study, whatever $CXLAB_STUDY says
        result = io.build_sample_warehouse(wh, replace=replace, study=paths.SAMPLE_STUDY)
    except CxlabError as err:
        fail(err)
    _ingest_summary(result, wh)


@command("history")
def history_cmd(
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/warehouse.duckdb or "
                                       "$CXLAB_WAREHOUSE)."),
):
    """List the warehouse's ingest batches: number, when, files (with their sha256),
    rows added / updated / skipped / conflicts per table, and whether undone."""
    from pandas import isna

    from cxlab import io, paths

    wh = _cli_path(warehouse) or str(paths.default_warehouse())
    h = io.history(wh)
    out = Console(soft_wrap=True)
    if h.empty:
        out.print(f"no batches in {wh}", markup=False)
        return

    def n(v):
        return "?" if isna(v) else f"{int(v):,}"

    out.print(f"ingest batches of {wh} (oldest first):", markup=False)
    for batch, rows in h.groupby("batch", sort=True):
        first = rows.iloc[0]
        state = (f"  UNDONE {first.undone_at:%Y-%m-%d %H:%M}" if not isna(first.undone_at) else
                 "" if first.undoable else "  (logged before undo records: cannot be undone)")
        dated = (f", exported {first.exported_at:%Y-%m-%d %H:%M}"
                 if not isna(first.exported_at) else "")
        out.print(f"batch {batch}  {first.ingested_at:%Y-%m-%d %H:%M:%S}  "
                  f"on conflict: {first.on_conflict}{dated}{state}", markup=False)
        for r in rows.itertuples(index=False):
            out.print(f"  {r.table}: {n(r.rows)} rows read, {n(r.added)} added, "
                      f"{n(r.updated)} updated, {n(r.duplicates)} already stored (skipped), "
                      f"{n(r.conflicts)} conflicts (not applied)", markup=False)
            out.print(f"    files (sha256): {r.files}", markup=False, highlight=False)


@command("undo")
def undo_cmd(
    batch: int = typer.Argument(..., help="The batch number, as `cxlab history` lists it."),
    warehouse: str = typer.Option(None, "--warehouse", "-w",
                                  help="DuckDB file (default data/warehouse.duckdb or "
                                       "$CXLAB_WAREHOUSE)."),
    cascade: bool = typer.Option(False, "--cascade",
                                 help="Also undo the later batches that changed the same rows."),
):
    """Put the warehouse back exactly as it was before a batch, in one transaction.

    Rows the batch added are deleted and rows it replaced get their earlier version back.
    If a later batch changed the same rows, the undo is refused and names those batches;
    --cascade undoes them too (newest first). Ingest the files again to redo a batch.
    """
    from cxlab import io, paths

    wh = _cli_path(warehouse) or str(paths.default_warehouse())
    result = io.undo(batch, wh, cascade=cascade)
    Console(soft_wrap=True).print(result.summary(), markup=False, highlight=False)


@command("quarters")
def quarters_cmd(
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="DuckDB file."),
    table: str = typer.Option("responses", "--table", "-t", help="Table to look at."),
):
    """List the calendar quarters with data (and the latest complete one)."""
    from cxlab import io

    try:
        qs = io.quarters(_cli_path(warehouse), table)
        latest = io.latest_quarter(_cli_path(warehouse)) if qs and table == "responses" else None
    except CxlabError as err:
        fail(err)
    out = Console()
    for q in qs:
        out.print(q + ("  (latest complete)" if q == latest else ""), markup=False)


@command("headline")
def headline_cmd(
    quarter: str = typer.Option("latest", "--quarter", "-q",
                                help="Calendar quarter like 2026Q3, or 'latest'."),
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="DuckDB file."),
    min_n: int = typer.Option(None, "--min-n",
                              help="Flag channels with fewer 0–10 answers (default: the study's)."),
    study: str = _study_option(),
):
    """The quarter's headline from the warehouse: responses and NPS per survey channel."""
    from rich.table import Table

    from cxlab import io

    try:
        st = _load_study(study)
        min_n = st.min_n if min_n is None else min_n
        t = io.headline(quarter, _cli_path(warehouse), min_n=min_n, study=st)
    except CxlabError as err:
        fail(err)
    q = t["quarter"].iloc[0]
    out = Console(soft_wrap=True)
    tab = Table(title=f"{q}: NPS per survey channel (channels are not pooled)",
                title_justify="left")
    for col in ("channel", "resp.", "n", "prom.", "detr.", "NPS", "95% CI", "yes %"):
        tab.add_column(col, justify="left" if col == "channel" else "right", no_wrap=True)

    def fmt(x, spec="{:+.1f}"):
        return "–" if x is None or pd_isna(x) else spec.format(x)

    from pandas import isna as pd_isna

    for r in t.itertuples(index=False):
        flag = " *" if r.small else ""
        tab.add_row(str(r.channel), str(r.responses), f"{r.n}{flag}", str(r.promoters),
                    str(r.detractors), fmt(r.nps),
                    f"{fmt(r.nps_low)}…{fmt(r.nps_high)}" if not pd_isna(r.nps) else "–",
                    f"{fmt(r.recommend_pct, '{:.1f}')} ({r.recommend_n})" if r.recommend_n else "–")
    out.print(tab)
    note = (f"resp.: responses; n: answers on the 0–10 scale; prom./detr.: promoters (9–10) "
            f"and detractors (0–6); NPS in points (−100…100); 95% CI: {t['interval'].iloc[0]}; "
            "yes %: share answering yes to the binary 'would you recommend us' (its n).")
    if t["small"].any():
        note += f" * fewer than {min_n} answers: too few to report."
    out.print(note, markup=False, highlight=False)



# ---------------------------------------------------------------- entry point

def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: CxlabError → message and exit 1, no traceback."""
    try:
        app(args=argv, standalone_mode=True)
    except CxlabError as err:  # raised outside a command's own handling
        console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
