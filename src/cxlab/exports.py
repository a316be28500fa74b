"""Exports: reading a team's files and mapping them onto our tables.

Reading (:func:`read`, :func:`check`)
    CSV/TSV/TXT, XLSX and Parquet exports, validated against the table's schema
    (:mod:`cxlab.schema`). Files from Russian tools just work: the encoding is detected
    over the whole file: UTF-8 with or without BOM, UTF-16 with or without BOM (Excel's
    "Unicode text"), cp1251, KOI8-R or latin-1 (cp1252); a file that mixes encodings or
    holds a byte that is not text is refused with the line and byte offset of the first
    such byte, never stored as mojibake (the rule is under "decoding" below). The separator
    is detected too (``,`` ``;`` or tab, counted on the header line; an Excel ``sep=;``
    first line is honoured); decimal commas (``4,0``) and ``dd.mm.yyyy`` dates are
    understood. Every cell is read as text, so nothing is mis-typed on the way in
    (``007`` stays an id, ``01.02.2026`` is never read as 1 February by one tool and 2
    January by another); :func:`cxlab.schema.validate` does the typing.

    A ``.json`` file is a Telegram Desktop chat export (``result.json`` of a feedback
    group), recognised by its content and read as table ``feedback`` without being told
    (:mod:`cxlab._telegram`); other JSON is refused, naming what the file holds. Its rows
    are messages: row ``n`` is the n-th item of ``messages`` and each problem names the
    message id too; service messages and messages without text are skipped and counted
    in :attr:`FileReport.warnings`.

    Row numbers in messages are **data rows**: the first row under the header is row 1.
    In a CSV whose header is the first line, ``line = row + 1`` (unless a quoted field
    spans lines); in a spreadsheet the sheet row is ``row + 1`` too. Blank rows keep their
    number and are skipped.

Mapping (:func:`read_mapping`)
    An export's own headers and codes become ours through a mapping: renamed columns,
    constants for the columns it lacks (``channel: web``), recoded values
    (``"Сайт": web``), the recommendation question's scale (``1-11`` → 0–10) and ids
    generated from each row's content. What the columns may be, and their code lists
    and factor scales, come from the study (:mod:`cxlab.study`): every function here
    takes ``study=`` (default :func:`cxlab.study.default_study`).

    Mapping mistakes are caught where they show: a responses file in which no row
    answers the recommendation question is an error naming the columns that look like
    it; answers that run 1–10 with no 0, or reach 11, are a warning naming the likely
    scale (:attr:`FileReport.warnings`); a factor answered up to 100 but declared 1–5
    gets a hint to declare its scale.

The warehouse that keeps what is read is :mod:`cxlab.warehouse`; :mod:`cxlab.io` gathers
both for callers that want one name.

Size: over 800 lines on purpose: reading every export format a team has (CSV in any
encoding and separator, xlsx, mappings, recodes, generated ids) with one row-level error
per problem; the readers share the mapping and error code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import paths as _paths
from cxlab import _duckread, _telegram, progress, schema
from cxlab._decoding import _check_encoding, _detect_encoding
from cxlab.errors import (
    Problem,
    ReadError,
    ValidationError,
)

__all__ = ["SCALES", "SUPPORTED", "ExportMapping", "FileReport", "read", "check", "read_mapping"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Telegram Desktop chat exports (result.json), read as table ``feedback``
JSON_SUFFIXES = _telegram.SUFFIXES
SUPPORTED = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + JSON_SUFFIXES

#: NPS-style scales an export may use, each mapped explicitly to 0–10.
#: ``1-11`` is 0–10 shifted by one (x − 1). ``1-5`` is (x − 1) × 2.5 rounded half up,
#: i.e. 1→0, 2→3, 3→5, 4→8, 5→10: the top box (5) is a promoter, 4 a passive and 1–3
#: detractors, the usual reading of a 5-point recommendation question. A value outside
#: the declared scale, or not a whole number, is an error, never clipped.
SCALES: dict[str, dict[int, int]] = {
    "0-10": {x: x for x in range(0, 11)},
    "1-11": {x: x - 1 for x in range(1, 12)},
    "1-5": {x: int(np.floor((x - 1) * 2.5 + 0.5)) for x in range(1, 6)},
}

# ============================================================================ reading

@dataclass(frozen=True)
class FileReport:
    """What :func:`check` found in one file (nothing is raised for bad data).

    Attributes
    ----------
    path : str
        The file as given.
    table_name : str or None
        The table it was read as (``None`` when that could not be told).
    rows : int
        Data rows read (blank rows excluded).
    problems : list of Problem
        Every validation problem (empty when the file is fine).
    error : str or None
        Why the file could not be read at all (then ``problems`` is empty).
    ignored_columns : list of str
        Columns that are not part of the table (not stored; map them with ``mapping``).
    encoding, separator : str or None
        What was detected for a CSV.
    warnings : list of str
        What looks wrong but is not an error: answers that suggest another NPS scale
        than the one read, mapped headers the file does not have. Nothing is refused
        for a warning; ``--scale`` or the mapping decides.
    generated_ids : str or None
        The id column made from each row's content (``response_id`` of a survey export
        without ids, or ``ids: {…: generate}`` in the mapping); None when the file has
        its own ids.
    """

    path: str
    table_name: str | None
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    separator: str | None = None
    warnings: list[str] = field(default_factory=list)
    generated_ids: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


@dataclass
class _Raw:
    frame: pd.DataFrame
    row_numbers: pd.Series
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None  # the sheet read (spreadsheets)
    formulas: list = field(default_factory=list)  # (cell, formula) without a stored value
    warnings: list = field(default_factory=list)  # what the reader skipped (Telegram)
    problems: list = field(default_factory=list)  # cells the reader could not make
    message_ids: dict = field(default_factory=dict)  # row number → message id (Telegram)
    sent_from: dict = field(default_factory=dict)  # row number → its time's field (Telegram)


def _source_path(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute():
        return p
    alt = _paths.resolve(p)  # a notebook's relative path means the project root
    return alt if alt.exists() else p


def _count_outside_quotes(line: str, ch: str) -> int:
    n, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


def _detect_separator(first_line: str) -> str:
    """The separator that occurs most often on the header line (tab, then ';', then ',')."""
    counts = {sep: _count_outside_quotes(first_line, sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda s: counts[s])  # dict order breaks ties: tab, ';', ','
    return best if counts[best] > 0 else ","


def _csv_head(path: Path, encoding: str | None, sep: str | None) -> tuple[str, str, int, str]:
    """(encoding, separator, lines before the header, the header line) of a CSV: the
    encoding detected over the whole file (or ``encoding`` checked), an Excel ``sep=;``
    hint line honoured, else the separator counted on the header line."""
    if encoding is not None:
        _check_encoding(path, encoding)
    enc = encoding or _detect_encoding(path)
    skip = 0
    with open(path, encoding=enc, newline="") as fh:
        first = fh.readline().rstrip("\r\n")
        m = re.fullmatch(r"\s*sep=(.)\s*", first)
        if m:  # Excel's hint line: "sep=;"
            skip = 1
            sep = sep or m.group(1)
            first = fh.readline().rstrip("\r\n")
    if sep is None:
        sep = "\t" if path.suffix.lower() == ".tsv" else _detect_separator(first)
    return enc, sep, skip, first


def _read_csv(path: Path, encoding: str | None, sep: str | None) -> _Raw:
    enc, sep, skip, _first = _csv_head(path, encoding, sep)
    try:
        raw = pd.read_csv(
            path, sep=sep, encoding=enc, header=None, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=False, skiprows=skip, engine="c",
        )
    except pd.errors.EmptyDataError:
        raise ReadError(f"{path}: the file is empty; expected a header line and data rows")
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as err:
        raise ReadError(f"{path}: cannot read it as a {_sep_name(sep)}-separated file "
                        f"({enc}): {err}") from None
    return _split_header(raw, enc, sep)


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ";": "';'", ",": "','"}.get(sep, repr(sep))


def _split_header(raw: pd.DataFrame, encoding=None, sep=None) -> _Raw:
    """First row → header; the rest → data with their data-row numbers (1-based)."""
    if len(raw) == 0:
        raise ReadError("no header row; expected the column names on the first line")
    header = [("" if pd.isna(h) else str(h)) for h in raw.iloc[0].tolist()]
    data = raw.iloc[1:].reset_index(drop=True)
    data.columns = range(data.shape[1])
    data = data.fillna("")
    rows = pd.Series(np.arange(1, len(data) + 1), dtype="int64")
    # rows with nothing but spaces, narrowed column by column (cheap: few candidates survive)
    blank = np.ones(len(data), dtype=bool)
    for c in data.columns:
        idx = np.flatnonzero(blank)
        if not len(idx):
            break
        blank[idx] = (data[c].iloc[idx].astype(str).str.strip() == "").to_numpy(bool)
    if blank.any():
        data = data[~blank].reset_index(drop=True)
        rows = rows[~blank].reset_index(drop=True)
    data.columns = header
    return _Raw(data, rows, encoding, sep)


_XL_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XL_RID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _workbook_sheets(path: Path) -> dict[str, str]:
    """``{sheet name: its part in the zip}``, in the workbook's order (OOXML relationships:
    ``_rels/.rels`` → the workbook → its ``_rels`` → each sheet's part)."""
    import posixpath
    import zipfile
    from xml.etree import ElementTree as ET

    def resolve(base: str, target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(base), target))

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("_rels/.rels"))
        book = next(resolve("", r.get("Target")) for r in root.iter(f"{_PKG_RELS}Relationship")
                    if r.get("Type", "").endswith("/officeDocument"))
        rels_part = posixpath.join(posixpath.dirname(book), "_rels",
                                   posixpath.basename(book) + ".rels")
        rels = {r.get("Id"): resolve(book, r.get("Target"))
                for r in ET.fromstring(z.read(rels_part)).iter(f"{_PKG_RELS}Relationship")}
        wb = ET.fromstring(z.read(book))
        return {s.get("name"): rels.get(s.get(_XL_RID), "")
                for s in wb.iter(f"{_XL_MAIN}sheet")}


def _cell_position(ref: str) -> tuple[int, int]:
    """``'F3'`` → (sheet row 3, 0-based column 5)."""
    m = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", ref)
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


def _uncached_formulas(path: Path, part: str) -> list[tuple[str, str]]:
    """Cells of a sheet holding a formula without a stored value: ``[(cell, formula)]``.

    Excel stores each formula's last value beside it (``<f>…</f><v>42</v>``); a program
    that writes formulas without computing them (openpyxl, many report generators)
    leaves the value out, and every reader then sees an empty cell. A formula whose
    stored value is empty text (``t="str"``) is a real empty value.
    """
    import zipfile
    from xml.etree import ElementTree as ET

    formula_tag = re.compile(rb"<(?:\w+:)?f[\s>/]")
    with zipfile.ZipFile(path) as z:
        with z.open(part) as fh:  # no formula at all (the common case): decided unparsed
            tail, found = b"", False
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                if formula_tag.search(tail + chunk):
                    found = True
                    break
                tail = chunk[-16:]
        if not found:
            return []
        out: list[tuple[str, str]] = []
        row, col = 0, -1
        with z.open(part) as fh:
            for event, el in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    if el.tag == f"{_XL_MAIN}row":
                        row, col = int(el.get("r") or row + 1), -1
                    continue
                if el.tag == f"{_XL_MAIN}c":
                    col += 1
                    ref = el.get("r")
                    if ref:
                        row, col = _cell_position(ref)
                    f = el.find(f"{_XL_MAIN}f")
                    if f is not None:
                        v = el.find(f"{_XL_MAIN}v")
                        stored = v is not None and (v.text or el.get("t") in ("str", "inlineStr"))
                        if not stored:
                            out.append((ref or _cell_name(row, col), f.text or ""))
                    el.clear()
                elif el.tag == f"{_XL_MAIN}row":
                    el.clear()
        return out


def _cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row}"


def _read_excel(path: Path, sheet) -> _Raw:
    try:
        sheets = _workbook_sheets(path)
    except Exception as err:  # noqa: BLE001 - zip/xml errors of a broken file
        raise ReadError(f"{path}: cannot read it as an Excel workbook (.xlsx): "
                        f"{type(err).__name__}: {err}") from None
    names = list(sheets)
    listed = ", ".join(map(repr, names)) or "none"
    if sheet is None:
        name = names[0] if names else None
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise ReadError(f"{path}: no sheet number {sheet} (counted from 0); the workbook "
                            f"has {len(names)}: {listed}")
        name = names[sheet]
    else:
        name = str(sheet)
        if name not in sheets:
            raise ReadError(f"{path}: no sheet {sheet!r}; expected one of {listed}")
    if name is None:
        raise ReadError(f"{path}: the workbook has no sheets; expected a sheet with a header "
                        "row and data rows")
    try:
        raw = pd.read_excel(path, sheet_name=name, header=None, dtype=str,
                            keep_default_na=False, na_filter=False)
    except Exception as err:  # noqa: BLE001 - zip/xml/value errors of a broken file
        raise ReadError(f"{path}: cannot read sheet {name!r} as an Excel worksheet (.xlsx): "
                        f"{type(err).__name__}: {err}") from None
    if raw.shape[0] == 0:
        raise ReadError(f"{path}: the sheet {name!r} is empty; expected a header row and data "
                        "rows")
    out = _split_header(raw)
    out.sheet = name
    try:
        out.formulas = _uncached_formulas(path, sheets[name])
    except Exception as err:  # noqa: BLE001 - never skip the check silently
        raise ReadError(f"{path}: cannot check sheet {name!r} for formulas without a stored "
                        f"value: {type(err).__name__}: {err}") from None
    return out


def _formula_problems(raw: _Raw, names: list[str], ignored: list[str]) -> list[Problem]:
    """A formula without a stored value is a problem of its row and column, never NULL."""
    problems = []
    for ref, formula in raw.formulas:
        sheet_row, col = _cell_position(ref)
        if col >= len(names) or names[col] in ignored or sheet_row < 2:
            continue  # not a column of the table (or the header)
        problems.append(Problem(
            names[col], "formula", f"={formula}", sheet_row - 1,
            f"a stored value: sheet {raw.sheet!r}, cell {ref} holds a formula whose value was "
            "never computed (the workbook was written by a program, not saved by Excel), so "
            "it reads as empty; open the workbook in Excel or LibreOffice and save it, or "
            "export the values"))
    return problems


def _sheet_hint(path: Path, raw: _Raw, spec: schema.Table, m: ExportMapping,
                names: list[str]) -> Problem | None:
    """When the sheet read lacks the table's required columns and another sheet has
    them: which sheet looks right, and how to read it."""
    def required_found(cols: list[str]) -> int:
        need = [c.name for c in spec.columns if c.required]
        found = sum(c in cols for c in need)
        if spec.name == "responses":
            found += any(c in cols for c in ("nps", "recommend"))
        return found

    here = required_found(names)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            headers = {ws.title: [("" if v is None else str(v)) for v in
                                  next(ws.iter_rows(max_row=1, values_only=True), ())]
                       for ws in wb.worksheets if ws.title != raw.sheet}
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - only a hint
        return None
    best, best_n = None, here
    for title, header in headers.items():
        n = required_found(_canonical_columns(header, spec, m.columns)[0])
        if n > best_n:
            best, best_n = title, n
    if best is None:
        return None
    return Problem(None, "sheet", raw.sheet, None,
                   f"the sheet holding table '{spec.name}': sheet {best!r} has {best_n} of its "
                   f"required columns (sheet {raw.sheet!r} has {here}); read it with "
                   f"sheet={best!r} (--sheet {best!r})")


def _read_parquet(path: Path) -> _Raw:
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - arrow raises many kinds
        raise ReadError(f"{path}: cannot read it as Parquet: {type(err).__name__}: {err}") from None
    df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    return _Raw(df, pd.Series(np.arange(1, len(df) + 1), dtype="int64"))


def _read_telegram(path: Path, study) -> _Raw:
    """A Telegram Desktop chat export as the rows of table ``feedback``
    (:mod:`cxlab._telegram`); row numbers are positions in its ``messages``."""
    from cxlab.study import load_study

    data = _telegram.load(path, ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES))
    got = _telegram.feedback_rows(data, load_study(study))
    return _Raw(got.frame, got.row_numbers, warnings=got.warnings(), problems=got.problems,
                message_ids=got.message_ids, sent_from=got.sent_from)


def _read_raw(path: Path, sheet=None, encoding=None, sep=None, study=None) -> _Raw:
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    if path.is_dir():
        raise ReadError(f"{path}: is a directory; expected a file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        try:
            return _read_csv(path, encoding, sep)
        except ReadError as err:
            if str(err).startswith(str(path)):
                raise
            raise ReadError(f"{path}: {err}") from None
    if suffix in EXCEL_SUFFIXES:
        try:
            return _read_excel(path, sheet)
        except ReadError as err:
            if str(err).startswith(str(path)):
                raise
            raise ReadError(f"{path}: {err}") from None
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in JSON_SUFFIXES:
        return _read_telegram(path, study)
    if suffix == ".xls":
        raise ReadError(f"{path}: old Excel format (.xls); save it as .xlsx or .csv")
    raise ReadError(f"{path}: unknown file type {suffix or '(no extension)'!r}; expected "
                    + ", ".join(SUPPORTED))


#: Keys of a mapping in its full form; in the flat form every key is an export header.
MAPPING_KEYS = ("table", "columns", "constants", "values", "scale", "ids")

#: Fewer 0–10 answers than this say nothing about the scale: "no 0 among 12 answers" is
#: common on a true 0–10 question, "no 0 among 400" is not.
SCALE_GUESS_MIN_ANSWERS = 30

#: Words in an export header that suggest the recommendation question (casefolded).
RECOMMEND_WORDS = ("рекоменд", "recommend", "nps", "likely", "вероятн", "посовет")


@dataclass(frozen=True)
class ExportMapping:
    """How one kind of export becomes one of our tables (see :func:`read_mapping`).

    Attributes
    ----------
    columns : dict
        ``{export header: our column}``; headers match regardless of case and
        surrounding spaces.
    table : str or None
        The table the export holds, for files whose name does not say it.
    constants : dict
        ``{column: value}``: a column the export lacks, the same in every row
        (``channel: web``).
    values : dict
        ``{column: {export value: our value}}``, applied before validation. An export
        value matches regardless of case and surrounding spaces; ``null`` empties the
        cell ("Затрудняюсь ответить" → not answered); values not listed are kept, so
        validation reports the ones that are still not ours.
    scale : dict
        ``{"nps": "1-11"}``: the scale of the export's recommendation question, converted
        to 0–10 by :data:`SCALES`. Factor and CSAT scales are declared in the study.
    ids : dict
        ``{id column: "generate"}``: the table's id made from each row's content
        (:func:`_row_ids`), the same on every re-ingest.
    source : str
        Where the mapping came from, for messages.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    table: str | None = None
    constants: Mapping[str, object] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    scale: Mapping[str, str] = field(default_factory=dict)
    ids: Mapping[str, str] = field(default_factory=dict)
    source: str = "mapping"


def _mapping_data(mapping) -> tuple[object, str]:
    """The parsed content of a mapping file (or the dict itself) and what to call it."""
    if isinstance(mapping, Mapping):
        return dict(mapping), "mapping"
    p = _source_path(mapping)
    if not p.is_file():
        raise ReadError(f"{p}: no such mapping file; expected a YAML or JSON file of "
                        "'export header: column' pairs, or of the keys "
                        + ", ".join(MAPPING_KEYS))
    if p.suffix.lower() not in (".json", ".yml", ".yaml"):
        raise ReadError(f"{p}: unknown mapping file type; expected .yml, .yaml or .json")
    text = p.read_text(encoding="utf-8-sig")
    try:
        if p.suffix.lower() == ".json":
            return json.loads(text), str(p)
        import yaml

        return yaml.safe_load(text), str(p)
    except Exception as err:  # noqa: BLE001 - json.JSONDecodeError, yaml.YAMLError
        raise ReadError(f"{p}: cannot parse the mapping: {err}") from None


def _is_full_form(data: Mapping) -> bool:
    """Full form: any nested mapping (``columns: {…}``, or a misspelt key holding one),
    or only full-form keys with ``table``. A flat mapping's values are all column
    names (text)."""
    if any(isinstance(v, Mapping) for v in data.values()):
        return True
    return "table" in data and set(data) <= set(MAPPING_KEYS)


def _scalar(v) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, date, datetime))


def _scale_key(text) -> str | None:
    """``'1–11'``, ``' 1 - 11 '`` → ``'1-11'``; None when it is not ``lo-hi``."""
    m = re.fullmatch(r"\s*(-?\d+)\s*[-–—]\s*(-?\d+)\s*", str(text))
    return f"{int(m.group(1))}-{int(m.group(2))}" if m else None


def _unknown_scale_expected(key: str | None) -> str:
    expected = "one of " + ", ".join(SCALES) + " (converted to 0–10)"
    if key == "1-10":
        # no conversion is offered on purpose: any rule (×10/9, shift, leave as is) moves
        # answers across the 6/7 and 8/9 borders that decide detractor and promoter
        expected += ("; a 1–10 question has no standard conversion to the 0–10 scale "
                     "NPS is defined on: store it without a scale (its 1–10 are read as "
                     "they are) and note it, or ask the survey tool for 0–10")
    return expected


def read_mapping(mapping: ExportMapping | Mapping | str | os.PathLike | None) -> ExportMapping:
    """Read how an export maps onto a table, from a dict or a YAML/JSON file.

    Two forms are accepted. The flat form renames headers, ``{export header: column}``::

        Оценка: nps
        Дата ответа: submitted_at

    The full form also fills, recodes, converts and generates what the export lacks::

        table: responses                 # when the file name does not say it
        columns: {"Насколько вероятно, что вы порекомендуете нас?": nps,
                  "Класс": travel_class, "Чистота": f_cleanliness}
        constants: {channel: web, survey: periodic}  # columns the export lacks
        values: {travel_class: {"Эконом": economy, "Бизнес": business},
                 recommend: {"Да": true, "Нет": false}}
        scale: {nps: 1-11}               # the recommendation question's scale → 0–10
        ids: {response_id: generate}     # stable: the same row, the same id

    Mapping targets may be any column of the table as the study defines it (its segments
    and declared factors ``f_<id>`` included); that is checked when a file is read, since
    the table may come from the file's name.

    Parameters
    ----------
    mapping : ExportMapping, dict, path or None
        None gives an empty mapping.

    Returns
    -------
    ExportMapping

    Raises
    ------
    ReadError
        The file is missing or not YAML/JSON, or the mapping is malformed; every
        malformed key is named at once, with what was expected.
    """
    if mapping is None:
        return ExportMapping()
    if isinstance(mapping, ExportMapping):
        return mapping
    data, where = _mapping_data(mapping)
    if not isinstance(data, Mapping):
        raise ReadError(f"{where}: expected pairs 'export header: column' (text: text), or "
                        f"the keys {', '.join(MAPPING_KEYS)}; got {type(data).__name__}")
    if not _is_full_form(data):
        if not all(isinstance(k, (str, int)) and isinstance(v, str) for k, v in data.items()):
            bad = next(k for k, v in data.items() if not isinstance(v, str))
            raise ReadError(f"{where}: expected pairs 'export header: column' (text: text); "
                            f"{bad!r} maps to {data[bad]!r}")
        return ExportMapping(columns={str(k): v.strip() for k, v in data.items()}, source=where)
    return _parse_full_form(data, where)


def _parse_full_form(data: Mapping, where: str) -> ExportMapping:
    problems: list[Problem] = []

    def bad(key, value, expected, check="value"):
        problems.append(Problem(key, check, value, None, expected, place="key"))

    for k in data:
        if k not in MAPPING_KEYS:
            bad(str(k), k, "one of " + ", ".join(MAPPING_KEYS)
                + " (in this form export headers go under columns:)", "key")
    table = data.get("table")
    if table is not None and table not in schema.TABLES:
        bad("table", table, "one of " + ", ".join(schema.TABLES))
        table = None

    def section(key) -> dict:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            bad(key, value, "a mapping", "structure")
            return {}
        return {str(k).strip() if key != "columns" else str(k): v for k, v in value.items()}

    columns = {}
    for header, column in section("columns").items():
        if not isinstance(column, str) or not column.strip():
            bad(f"columns → {header}", column, "a column name (text)")
        else:
            columns[header] = column.strip()
    constants = {}
    for column, value in section("constants").items():
        if value is None or not _scalar(value):
            bad(f"constants → {column}", value, "a value for every row (text, number, "
                "yes/no or a date)")
        else:
            constants[column] = value
    values = {}
    for column, table_ in section("values").items():
        if not isinstance(table_, Mapping) or not table_:
            bad(f"values → {column}", table_, "a mapping export value → our value", "structure")
            continue
        bad_targets = [k for k, v in table_.items() if not _scalar(v)]
        for k in bad_targets:
            bad(f"values → {column} → {k}", table_[k], "a value (or null: empty)")
        values[column] = {str(k): v for k, v in table_.items() if k not in bad_targets}
    scale = {}
    for column, text in section("scale").items():
        key = _scale_key(text)
        if column != "nps":
            bad(f"scale → {column}", column,
                "nps only: a factor's or csat's scale is declared in the study "
                f"(factors → {column[2:] if column.startswith('f_') else column} → "
                f"scale: {key or 'lo-hi'}), since it is the question's, not the export's")
        elif key not in SCALES:
            bad("scale → nps", text, _unknown_scale_expected(key))
        else:
            scale[column] = key
    ids = {}
    for column, how in section("ids").items():
        if how != "generate":
            bad(f"ids → {column}", how, "generate (the id made from the row's content)")
        else:
            ids[column] = how
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ReadError(f"{where}: {len(problems)} problem(s) in the mapping:\n{lines}")
    return ExportMapping(columns, table, constants, values, scale, ids, where)


def _norm(name: object) -> str:
    """A header or export value as compared: as an id (no invisible characters, NFC,
    trimmed; :func:`cxlab.schema.normalize_id`), regardless of case."""
    return schema.normalize_id(str(name)).casefold()


def _targets_of(spec: schema.Table) -> list[str]:
    """The columns a mapping may fill: the table's, the study's segments, declared factors."""
    return spec.column_names + sorted(spec.factor_scales or {})


def _target_expected(spec: schema.Table) -> str:
    text = f"a column of table '{spec.name}' (" + ", ".join(spec.column_names)
    if spec.factors:
        declared = ", ".join(sorted(spec.factor_scales or {})) or "none yet"
        text += f"; or a factor f_<id> declared in the study {spec.study} ({declared})"
    return text + ")"


def _is_target(spec: schema.Table, column: str) -> bool:
    # an undeclared f_<id> is let through: validation then says how to declare it
    return column in spec.column_names or bool(
        spec.factors and schema.FACTOR_PATTERN.match(column))


def _canonical_columns(headers: list[str], spec: schema.Table, mapping: Mapping[str, str],
                       ) -> tuple[list[str], list[Problem], list[str]]:
    """Rename headers: the mapping first, then our own names regardless of case/spaces
    (segments and declared factors included)."""
    mapped = {_norm(k): v.strip() for k, v in mapping.items()}
    known = {_norm(c): c for c in _targets_of(spec)}
    names, problems, ignored = [], [], []
    for i, h in enumerate(headers):
        key = _norm(h)
        if key in mapped:
            target = mapped[key]
            if not _is_target(spec, target):
                problems.append(Problem(str(h).strip(), "mapping", target, None,
                                        _target_expected(spec) + " as mapping target"))
            names.append(target)
        elif key in known:
            names.append(known[key])
        elif spec.factors and schema.FACTOR_PATTERN.match(key):
            names.append(key)
        else:
            name = str(h).strip() or f"(unnamed column {i + 1})"
            names.append(name)
            ignored.append(name)
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    for n, k in seen.items():
        if k > 1 and n not in ignored:
            problems.append(Problem(n, "duplicate_column", None, None,
                                    f"the column '{n}' once (found {k} times, after mapping)"))
    return names, problems, ignored


def _mapping_problems(columns: list[str], spec: schema.Table, m: ExportMapping,
                      generate: bool) -> list[Problem]:
    """What the constants, values and ids of a mapping cannot do with this file."""
    problems = []
    for column in m.constants:
        if not _is_target(spec, column):
            problems.append(Problem(column, "mapping", None, None,
                                    _target_expected(spec) + " as constants target"))
        elif column in columns:
            problems.append(Problem(column, "constant_and_column", None, None,
                                    f"'{column}' either from the export or as a constant, not "
                                    "both: drop it from constants or from the export's columns"))
    for column in m.values:
        if not _is_target(spec, column):
            problems.append(Problem(column, "mapping", None, None,
                                    _target_expected(spec) + " as values target"))
    for column in m.ids:
        if column != spec.key:
            problems.append(Problem(column, "mapping", "generate", None,
                                    f"ids: generate for the id column of table '{spec.name}' "
                                    f"({spec.key})"))
    if generate and m.ids.get(spec.key) and spec.key in columns:
        problems.append(Problem(spec.key, "generated_and_column", None, None,
                                f"'{spec.key}' either from the export or generated (ids), "
                                "not both"))
    return problems


def _cell(value) -> object:
    """A mapping value as the text a cell would hold (validation types it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _recode(df: pd.DataFrame, values: Mapping[str, Mapping[str, object]]) -> None:
    """Apply ``values`` in place: exact match after strip, regardless of case."""
    for column, table in values.items():
        if column not in df.columns:
            continue  # one mapping may serve exports that lack this column
        lookup = {_norm(k): _cell(v) for k, v in table.items()}
        keys = schema.normalize_id(df[column]).str.casefold()
        hit = keys.isin(list(lookup)).fillna(False).to_numpy(bool)
        if hit.any():
            col = df[column].astype(object)
            col[hit] = [lookup[k] for k in keys[hit]]
            df[column] = col


def _filled(s: pd.Series) -> pd.Series:
    """Cells with something in them (not empty, not only spaces)."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        text = s.astype("string").str.strip()
        return (text.notna() & (text != "")).fillna(False)
    return s.notna()


def _numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers of the non-empty cells, mask of non-empty cells) of a raw column."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return pd.to_numeric(s, errors="coerce").astype("Float64"), s.notna()
    text = s.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("Float64"), _filled(s)


def _looks_like_recommend(header: str, s: pd.Series) -> str | None:
    """Why an ignored column looks like the recommendation question, or None."""
    num, filled = _numbers(s)
    vals = num[filled].dropna()
    whole = len(vals) > 0 and bool((vals == vals.round()).all()) and len(vals) == int(filled.sum())
    rng = f"whole numbers {int(vals.min())}–{int(vals.max())}" if whole else None
    if any(w in _norm(header) for w in RECOMMEND_WORDS):
        return rng or "its header"
    # a 1–5 or 1–7 item is no recommendation question: it must reach 8
    if whole and vals.min() >= 0 and 8 <= vals.max() <= 11:
        return rng
    return None


def _no_answer_problem(df: pd.DataFrame, names: list[str], ignored: list[str],
                       ) -> Problem | None:
    """A responses file without any answer to the recommendation question: which of its
    ignored columns look like it, and how to map them."""
    present = [c for c in ("nps", "recommend") if c in df.columns]
    answered = any(_filled(df[c]).any() for c in present)
    if answered or (present and len(df) == 0):
        return None
    if not present:
        found = "neither column is in the export"
    elif len(present) == 1:
        found = f"the column '{present[0]}' is empty in every row"
    else:
        found = "both columns are empty in every row"
    candidates = []
    skip = set(ignored)
    for i, name in enumerate(names):
        if name in skip:
            why = _looks_like_recommend(name, df.iloc[:, i])
            if why:
                candidates.append((name, why))
    if candidates:
        listed = "; ".join(f"'{h}' ({why})" for h, why in candidates[:5])
        h0, why0 = candidates[0]
        scale = " and scale: {nps: 1-11}" if why0.endswith("–11") else ""
        hint = (f"; columns not mapped that look like it: {listed}. Map it in the mapping "
                f"(--map FILE): columns: {{\"{h0}\": nps}}{scale}")
    else:
        hint = ("; map the export's recommendation question to nps (0–10; scale: {nps: 1-11} "
                "for 1–11) or recommend (yes/no) in the mapping's columns")
    return Problem("nps", "no_answers", None, None,
                   f"an answer to the recommendation question in at least one row, as 'nps' "
                   f"(0–10) or 'recommend' (yes/no) ({found}){hint}")


def _nps_warnings(s: pd.Series) -> list[str]:
    """Warnings when the ``nps`` column's values suggest another scale than 0–10."""
    num, filled = _numbers(s)
    vals = num[filled].dropna()
    vals = vals[vals == vals.round()].astype(int)
    return _nps_scale_warnings(vals.value_counts().to_dict())


def _nps_scale_warnings(counts: Mapping[int, int]) -> list[str]:
    """:func:`_nps_warnings` from the count of each whole-number answer (``{value: n}``)."""
    counts = {int(v): int(k) for v, k in counts.items() if k}
    n = sum(counts.values())
    if not n:
        return []
    lo, hi = min(counts), max(counts)
    if hi == 11 and lo >= 0:
        return [f"nps: {counts.get(11, 0)} of {n} answers are 11 (smallest {lo}): the export "
                "looks like a 1–11 scale; --scale 1-11 (scale: {nps: 1-11} in the mapping) "
                "converts it to 0–10 (x − 1)"]
    if n < SCALE_GUESS_MIN_ANSWERS:
        return []
    if lo == 1 and hi == 10:
        return [f"nps: {n} answers from 1 to 10 and no 0 ({counts.get(1, 0)} × 1, "
                f"{counts.get(10, 0)} × 10): is the export on a 1–10 scale? They are stored "
                "as 0–10 answers as they are; a 1–11 question whose 11 nobody chose needs "
                "--scale 1-11, a true 1–10 question has no standard NPS conversion: "
                "--scale decides"]
    if lo >= 1 and hi <= 5:
        return [f"nps: {n} answers, all from {lo} to {hi}: a 5-point question? --scale 1-5 "
                "converts it to 0–10 (1→0, 2→3, 3→5, 4→8, 5→10); without it they are read "
                "as 0–10 answers (all detractors)"]
    return []


def _suggest_scale(lo: float, hi: float) -> str:
    """The usual scale that holds values from ``lo`` to ``hi``."""
    top = next(t for t in (5, 7, 10, 100) if hi <= t) if hi <= 100 else int(hi)
    start = 0 if lo <= 0 or top == 100 else 1
    return f"{start}-{top}"


def _factor_hint(p: Problem, df: pd.DataFrame, spec: schema.Table, cache: dict) -> Problem:
    """A factor's value above its declared scale, from a column running up to 100: the
    study probably declares the wrong scale (a 0–100 slider item declared 1–5)."""
    scales = spec.factor_scales or {}
    col = p.column
    if col is None or p.check not in ("value", "factor_undeclared") or col not in df.columns \
            or not schema.FACTOR_PATTERN.match(col):
        return p
    if col not in cache:
        num, filled = _numbers(df[col])
        vals = num[filled].dropna()
        cache[col] = (float(vals.min()), float(vals.max())) if len(vals) else None
    rng = cache[col]
    if rng is None:
        return p
    lo, hi = rng
    suggest = _suggest_scale(lo, hi)
    if p.check == "factor_undeclared":
        return replace(p, expected=p.expected + f" (its values run {lo:g}–{hi:g}: "
                                                f"scale: {suggest})")
    declared_hi = scales.get(col, (None, None))[1]
    if declared_hi is None or not (declared_hi < hi <= 100):
        return p
    return replace(p, expected=p.expected + f"; the column runs {lo:g}–{hi:g}: if that is "
                                            f"the question's scale, declare its scale in the "
                                            f"study: factors → {col[2:]} → scale: {suggest} "
                                            f"({spec.study})")


def _digests(texts: list[str]) -> np.ndarray:
    """blake2b of each text as two unsigned 64-bit lanes (an ``(n, 2)`` array)."""
    if not texts:
        return np.zeros((0, 2), dtype=np.uint64)
    raw = b"".join(hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts)
    return np.frombuffer(raw, dtype="<u8").reshape(-1, 2).astype(np.uint64)


def _row_ids(typed: pd.DataFrame, key: str) -> pd.Series:
    """Stable ids from each row's typed content plus its occurrence among identical rows.

    The content is every non-empty cell but the id, as ``column=value`` with values in one
    canonical text per type (a time as nanoseconds since 1970, a yes/no as true/false,
    a number as its integer text): the same answer read from a CSV (``01.07.2026``,
    ``9``) or a workbook (a date cell, ``9.0``) gives the same id, and a column that is
    empty in every row (one export has it, another not) changes nothing. Two identical
    rows stay two rows (occurrence 0 and 1), and re-ingesting the same export gives the
    same ids, so it adds nothing.

    How: each distinct cell ``column=value`` is hashed once (blake2b, 128 bits); a row's
    key is the sum of its cells' hashes modulo 2⁶⁴ in two independent lanes (an empty
    cell adds nothing; the order of columns does not matter), and its occurrence number
    is added the same way. The id is the first lane in hex. Vectorised over distinct
    values, it costs a fraction of hashing each row's text (benchmarks/README.md).
    """
    lanes = np.zeros((len(typed), 2), dtype=np.uint64)
    for col in sorted(c for c in typed.columns if c != key):
        s = typed[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.astype("datetime64[ns]").astype("int64").astype("string").mask(s.isna())
        elif pd.api.types.is_bool_dtype(s):
            text = s.map({True: "true", False: "false"}, na_action="ignore")
        else:
            text = s.astype("string")
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        ok = codes >= 0
        with np.errstate(over="ignore"):  # sums wrap around modulo 2**64 by design
            lanes[ok] += _digests([f"{col}={u}" for u in uniques])[codes[ok]]
    occurrence = pd.DataFrame(lanes).groupby([0, 1], sort=False).cumcount().to_numpy()
    occ_codes, occ_uniques = pd.factorize(occurrence)
    with np.errstate(over="ignore"):
        lanes += _digests([f"\x1e{k}" for k in occ_uniques])[occ_codes]
    return pd.Series([f"{a:016x}" for a in lanes[:, 0].tolist()], index=typed.index,
                     dtype="string")


def _apply_scale(values: pd.Series, scale: str, rows: pd.Series, column: str,
                 ) -> tuple[pd.Series, list[Problem]]:
    """Convert an NPS-style score on ``scale`` to 0–10; every bad value is a problem."""
    table = SCALES[scale]
    lo, hi = min(table), max(table)
    expected = f"a whole number from {lo} to {hi} (scale {scale}) or empty"
    if schema.is_bool_column(values):
        return pd.Series(pd.NA, index=values.index, dtype="Int64"), [Problem(
            column, "dtype", "yes/no values (a boolean column)", None,
            f"{expected}: the column holds true/false, which would be stored as 1/0; export "
            f"'{column}' as numbers")]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = pd.to_numeric(values, errors="coerce").astype("Float64")
        empty = values.isna()
    else:
        text = values.astype("string").str.strip()
        empty = text.isna() | (text == "")
        text = text.str.replace(",", ".", regex=False)  # decimal comma
        num = pd.to_numeric(text, errors="coerce").astype("Float64")
    bad_type = (~empty & (num.isna() | (num != num.round()))).fillna(True).to_numpy(bool)
    out_range = (~empty & ~pd.Series(bad_type, index=values.index)
                 & ((num < lo) | (num > hi))).fillna(False).to_numpy(bool)
    problems = []
    for i in np.flatnonzero(bad_type):
        problems.append(Problem(column, "type", values.iloc[i], int(rows.iloc[i]), expected))
    for i in np.flatnonzero(out_range):
        problems.append(Problem(column, "scale", values.iloc[i], int(rows.iloc[i]), expected))
    good = ~empty.to_numpy(bool) & ~bad_type & ~out_range
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    out[good] = num[good].astype("int64").map(table).to_numpy()
    return out, problems


def _scale_hint(p: Problem) -> Problem:
    """An 11 in ``nps`` usually means a 1–11 export: say how to convert it."""
    if p.column == "nps" and p.check == "value" and p.value == 11:
        return replace(p, expected=p.expected + " (an export on a 1–11 scale? convert it with "
                                                "scale='1-11', --scale 1-11, or scale: "
                                                "{nps: 1-11} in the mapping)")
    return p


def _missing_hint(p: Problem, spec: schema.Table) -> Problem:
    """A required column the export lacks: say how a mapping supplies it."""
    if p.check != "column_missing" or p.column in (None, "nps"):
        return p
    if p.column == spec.key:
        how = f"ids: {{{p.column}: generate}} in the mapping to make it from each row"
    else:
        how = f"constants: {{{p.column}: …}} in the mapping when every row has the same"
    return replace(p, expected=f"{p.expected}, mapped from a header, or {how}")


def _table_of(source: str, p: Path, table: str | None, m: ExportMapping) -> str:
    """The table a file holds: ``table=``, else the mapping's ``table``, else its name;
    a JSON file is a Telegram chat export, which holds ``feedback``."""
    if table is not None and m.table is not None and table != m.table:
        raise ReadError(f"{source}: the table is given as {table!r} but the mapping "
                        f"{m.source} says {m.table!r}; expected one table")
    if p.suffix.lower() in JSON_SUFFIXES:
        told = table or m.table
        if told is not None and told != "feedback":
            raise ReadError(f"{source}: a .json file is read as a Telegram chat export, "
                            f"whose messages are table 'feedback'; got table {told!r}; "
                            "expected no table (or 'feedback')")
        return "feedback"
    tname = table or m.table or schema.table_for_file(p.name)
    if tname is None:
        raise ReadError(f"{source}: cannot tell which table the file holds; name it after a "
                        f"table (e.g. responses.csv, responses_2026-10.xlsx), pass the "
                        f"table (--table) or put 'table:' in the mapping: one of "
                        f"{', '.join(schema.TABLES)}")
    if tname not in schema.TABLES:
        raise ReadError(f"{source}: unknown table {tname!r}; expected one of "
                        f"{', '.join(schema.TABLES)}")
    return tname


def _nps_scale(source: str, scale: str | None, m: ExportMapping) -> str | None:
    """The recommendation question's scale: ``scale=`` (--scale) or the mapping's."""
    key = None if scale is None else (_scale_key(scale) or str(scale))
    if key is not None and key not in SCALES:
        raise ReadError(f"{source}: unknown scale {scale!r}; expected "
                        + _unknown_scale_expected(key))
    mapped = m.scale.get("nps")
    if key is not None and mapped is not None and key != mapped:
        raise ReadError(f"{source}: the scale is given as {key} but the mapping {m.source} "
                        f"says scale: {{nps: {mapped}}}; expected one scale")
    return key or mapped


def _absent_headers(headers: list[str], m: ExportMapping) -> list[str]:
    have = {_norm(h) for h in headers}
    absent = [h for h in m.columns if _norm(h) not in have]
    if not absent:
        return []
    shown = ", ".join(repr(h) for h in absent[:5]) + (" …" if len(absent) > 5 else "")
    return [f"mapping: {len(absent)} mapped header(s) not in this file, ignored: {shown}"]


def _prepare(path, table, mapping, scale, sheet, encoding=None, sep=None, study=None,
             stage=None):
    """Read, map and validate one file → (typed frame or None, FileReport).

    A large clean CSV or Parquet file comes back as :class:`cxlab._duckread.Staged` rows in place of the
    frame (its ``to_pandas()`` is the frame); see :mod:`cxlab._duckread`.

    Bad data is reported in the FileReport; a file that cannot be read at all raises
    :class:`ReadError`. The steps, in order: rename headers (``columns``), recode
    (``values``), fill ``constants``, check that a responses file answers the
    recommendation question, convert the ``nps`` scale, validate against the study's
    table, generate ids. ``stage``, when given, is called with the name of each long
    stage as it starts (``"reading"``, ``"validating"``, ``"making ids"``: progress).
    """
    from cxlab.study import load_study

    p = _source_path(path)
    source = str(path)
    if not p.exists():
        raise ReadError(f"{source}: no such file")
    m = read_mapping(mapping)
    tname = _table_of(source, p, table, m)
    st = load_study(study)
    spec = schema.resolve_table(tname, st)
    nps_scale = _nps_scale(source, scale, m)
    if _duckread.wanted(p):
        # a large CSV: DuckDB types it when nothing in it is wrong (Staged rows); any
        # doubt and the file is read below, which names every problem
        done = _duckread.prepare(p, source, tname, spec, m, nps_scale, encoding, sep, st, stage)
        if done is not None:
            return done
    if stage:
        stage("reading")
    raw = _read_raw(p, sheet=sheet, encoding=encoding, sep=sep, study=st)
    if stage:
        stage("validating")
    df = raw.frame
    headers = list(df.columns)
    names, problems, ignored = _canonical_columns(headers, spec, m.columns)
    df.columns = names  # empty or blank cells become <NA> in schema.validate's coercion
    key = spec.key
    # DESIGN: a survey export rarely has an answer id; without one it is generated
    generate = m.ids.get(key) == "generate" or (tname == "responses" and key not in names
                                                and key not in m.constants)
    problems += _mapping_problems(names, spec, m, generate)
    warnings = _absent_headers(headers, m) + raw.warnings

    def report(problems):
        if raw.message_ids:  # a Telegram export: each problem names its message too
            problems = [_telegram.message_place(q, raw.message_ids, raw.sent_from)
                        for q in problems]
        return FileReport(source, tname, len(df), problems, None, ignored, raw.encoding,
                          raw.separator, warnings, key if generate else None)

    if problems:  # duplicated / badly mapped columns: the rows would be misread
        return None, report(problems)
    formula_problems = _formula_problems(raw, names, ignored)
    problems += formula_problems + raw.problems
    _recode(df, m.values)
    for column, value in m.constants.items():
        df[column] = _cell(value)
    no_answer = _no_answer_problem(df, names, ignored) if tname == "responses" else None
    if no_answer is not None:
        problems.append(no_answer)
    if "nps" in df.columns and nps_scale is None:
        warnings += _nps_warnings(df["nps"])
    if nps_scale is not None:
        if "nps" in df.columns:
            df["nps"], scale_problems = _apply_scale(df["nps"], nps_scale, raw.row_numbers, "nps")
            problems += scale_problems
        elif no_answer is None:
            problems.append(Problem("nps", "column_missing", None, None,
                                    f"a column 'nps' to convert from scale {nps_scale}"))
    if generate:  # unique placeholders: validation checks everything but the ids
        df[key] = [f"row {i}" for i in range(len(df))]
    try:
        typed = schema.validate(df, tname, source=source, row_numbers=raw.row_numbers, study=st)
    except ValidationError as err:
        cache: dict = {}
        formula_cells = {(q.column, q.row) for q in formula_problems}
        for q in err.problems:
            if no_answer is not None and q.column == "nps" and q.check == "column_missing":
                continue  # said better by the no-answer problem
            if (q.column, q.row) in formula_cells:
                continue  # an empty cell because of its formula: said by the formula problem
            q = _scale_hint(q) if nps_scale is None else q
            problems.append(_missing_hint(_factor_hint(q, df, spec, cache), spec))
        typed = None
        if raw.sheet is not None and any(q.check in ("column_missing", "no_answers")
                                         for q in problems):
            hint = _sheet_hint(p, raw, spec, m, names)
            if hint is not None:
                problems.append(hint)
    if problems:
        problems.sort(key=lambda q: (q.row is not None, q.row or 0, q.column or ""))
        return None, report(problems)
    repeated = typed.attrs.pop("repeated_rows", [])
    if repeated:
        shown = ", ".join(map(str, repeated[:10])) + (" …" if len(repeated) > 10 else "")
        warnings.append(f"{len(repeated)} row(s) repeat an earlier row exactly (the same "
                        f"{key} and values, ids compared without invisible characters) and "
                        f"are kept once: row(s) {shown}")
    if generate:
        if stage:
            stage("making ids")
        typed[key] = _row_ids(typed, key)
    return typed, report(problems)


def read(
    path: str | os.PathLike,
    table: str | None = None,
    mapping: ExportMapping | Mapping | str | os.PathLike | None = None,
    scale: str | None = None,
    sheet: str | int | None = None,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    study=None,
) -> pd.DataFrame:
    """Read one export (CSV/TSV/TXT, XLSX, Parquet, a Telegram chat export's JSON) into a
    typed, validated table.

    Parameters
    ----------
    path : path
        The file. A relative path that does not exist from the working directory is
        taken from the project root.
    table : str, optional
        One of :data:`cxlab.schema.TABLES`; by default the mapping's ``table``, else
        taken from the file name when it is one of ours (``responses.csv``,
        ``responses_2026-10.xlsx``); a Telegram chat export (``.json``) is ``feedback``
        (:mod:`cxlab._telegram`: the study's ``feedback`` settings apply).
    mapping : dict, path or ExportMapping, optional
        How the export maps onto the table (:func:`read_mapping`): ``{export header:
        our column}``, e.g. ``{"Оценка": "nps"}``, or the full form with ``columns``,
        ``constants``, ``values``, ``scale``, ``ids``; or a YAML/JSON file of either.
        Headers match regardless of case and surrounding spaces; our own column names
        do too (``" NPS "`` is ``nps``), the study's segments and declared factors
        included. Mapped headers that are not in the file are ignored (one mapping can
        serve several exports) and listed in :attr:`FileReport.warnings`.
    scale : {"0-10", "1-11", "1-5"}, optional
        The scale of the export's ``nps`` column, converted to 0–10 by :data:`SCALES`
        (the same as ``scale: {nps: …}`` in the mapping). Values outside the scale are
        errors.
    sheet : str or int, optional
        Spreadsheet sheet (name or 0-based position); the first by default. An unknown
        sheet is an error listing the workbook's sheets; when the sheet read lacks the
        table's columns and another sheet has them, the message names that sheet. A
        formula cell without a stored value (a workbook written by a program and never
        saved by Excel) is a problem naming the sheet and cell, never an empty value.
    encoding, sep : str, optional
        Override the detected CSV encoding / separator. The whole file must decode in
        the encoding given (else a :class:`ReadError` with the line and byte offset).
    study : Study or path, optional
        Whose code lists, segments and factor scales apply (default
        :func:`cxlab.study.default_study`).

    Returns
    -------
    DataFrame
        As :func:`cxlab.schema.validate` returns it: the table's columns (the study's
        segments and ``f_*`` factor columns included) typed ``string``, ``Int64``,
        ``boolean``, ``datetime64[ns]`` (naive local time in the study's zone: an
        aware value is converted, see :func:`cxlab.schema.local_time`). A responses export
        without ``response_id`` gets ids generated from each row's content (stable: the
        same row, the same id). Ids are compared without invisible characters; a row
        repeating an earlier one exactly is kept once (a warning in :func:`check`).

    Raises
    ------
    ReadError
        Missing or unreadable file, unknown extension, table, sheet or scale, malformed
        mapping; a CSV that is not wholly in one encoding (the message names the line and
        byte offset of the first byte that is not).
    ValidationError
        Every problem in the data at once, each with its row (data row, header
        excluded), column, value as written and what was expected: values that do not
        parse, dates outside the study's ``plausible`` window or pandas' range, numbers
        too large to be scores (``1e20``), a yes/no column where numbers are expected,
        formulas without a stored value, the same id on rows that differ.

    Examples
    --------
    >>> df = read("exports/опрос.csv", table="responses",  # doctest: +SKIP
    ...           mapping={"Оценка": "nps", "Дата": "submitted_at"}, scale="1-11")
    >>> df = read("exports/опрос.csv", mapping="exports/опрос.yml",  # doctest: +SKIP
    ...           study="study.yml")
    """
    name = Path(path).name
    with progress.task(name, None) as bar:  # shows only for a file that takes a while
        typed, report = _prepare(path, table, mapping, scale, sheet, encoding, sep, study,
                                 stage=lambda s: bar.update(description=f"{name}: {s}"))
    if report.problems:
        raise ValidationError(report.path, report.table_name, report.problems)
    if isinstance(typed, _duckread.Staged):
        try:
            return typed.to_pandas()
        finally:
            typed.close()
    return typed


def check(
    path: str | os.PathLike,
    table: str | None = None,
    mapping: ExportMapping | Mapping | str | os.PathLike | None = None,
    scale: str | None = None,
    sheet: str | int | None = None,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    study=None,
) -> FileReport:
    """Validate one export without raising: a :class:`FileReport` of what was found.

    Takes the arguments of :func:`read`. An unreadable file (or mapping) is reported in
    ``error``; warnings (a suspicious scale, mapped headers not in the file, rows
    repeated exactly) in ``warnings``.
    """
    try:
        typed, report = _prepare(path, table, mapping, scale, sheet, encoding, sep, study=study)
        if isinstance(typed, _duckread.Staged):
            typed.close()
        return report
    except ReadError as err:
        try:
            told = read_mapping(mapping).table
        except ReadError:
            told = None
        name = Path(path).name
        tname = table or told or ("feedback" if Path(name).suffix.lower() in JSON_SUFFIXES
                                  else schema.table_for_file(name))
        return FileReport(str(path), tname, 0, [], str(err))
