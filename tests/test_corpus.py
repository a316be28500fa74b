"""A corpus of bad (and tricky but good) exports, each run through `cxlab validate` and
`cxlab ingest` as a user would (issue "Never silently wrong").

Every case is a small export of one of the six tables in one of the three formats (CSV,
XLSX, Parquet), made from three valid rows with one thing changed. A case either

- is **refused**: both commands exit 1 with one message (no traceback) that names what
  the case expects — the row, the column, the value as written, what was expected — and
  the warehouse file is byte for byte what it was before the batch; or
- is **stored**: ingest exits 0 and the stored value is exactly the one the case names
  (e.g. a KOI8-R file's Russian text, a zone-aware time in Moscow time).

The valid rows use the sample study's codes (tests/conftest.py sets it); its time zone is
Europe/Moscow, so ``13:54+03:00`` is stored as 13:54 and ``10:54Z`` as 13:54 too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlab import io
from cxlab.cli import app

# ----------------------------------------------------------------------------- valid rows

BASE = {
    "clients": {"client_id": ["C1", "C2", "C3"], "joined_on": ["2025-01-10", "2025-01-11", "2025-01-12"],
                "source": ["referral", "search", "maps"], "referred_by": ["", "C1", ""]},
    "visits": {"visit_id": ["V1", "V2", "V3"], "client_id": ["C1", "C2", "C3"],
               "visit_date": ["2025-02-01", "2025-02-02", "2025-02-03"],
               "programme": ["workshop", "hike", "camp"],
               "activity": ["Гончарная мастерская", "Поход выходного дня", "Лагерь «Лесной»"]},
    "responses": {"response_id": ["R1", "R2", "R3"], "client_id": ["C1", "C2", "C3"],
                  "submitted_at": ["2025-02-02 10:00", "2025-02-03 11:00", "2025-02-04 12:00"],
                  "channel": ["phone", "web", "messenger"], "survey": ["first_lesson", "periodic", "after_camp"],
                  "nps": ["9", "6", "10"], "csat": ["5", "3", "4"], "f_safety": ["5", "", "4"],
                  "comment": ["Всё понравилось", "", "Спасибо!"]},
    "invitations": {"invitation_id": ["I1", "I2", "I3"], "client_id": ["C1", "C2", "C3"],
                    "survey": ["first_lesson", "periodic", "after_camp"], "channel": ["phone", "web", "messenger"],
                    "sent_at": ["2025-02-01 12:00", "2025-02-02 12:00", "2025-02-03 12:00"]},
    "contacts": {"contact_id": ["K1", "K2", "K3"], "client_id": ["C1", "C2", "C3"],
                 "opened_at": ["2025-02-03 10:00", "2025-02-04 10:00", "2025-02-05 10:00"],
                 "channel": ["phone", "email", "in_person"],
                 "topic": ["Перенос занятия", "Оплата", "Расписание"],
                 "resolved_at": ["2025-02-03 12:00", "", "2025-02-05 11:00"]},
    "complaints": {"complaint_id": ["X1", "X2", "X3"], "client_id": ["C1", "", "C3"],
                   "received_at": ["2025-02-04 10:00", "2025-02-05 10:00", "2025-02-06 10:00"],
                   "channel": ["phone", "email", "review_site"], "origin": ["external", "internal", "external"],
                   "category": ["Качество занятия", "Обещали перезвонить и не перезвонили", "Безопасность"],
                   "importance": ["low", "medium", "critical"], "justified": ["да", "нет", "да"],
                   "resolved_at": ["2025-02-05 10:00", "", "2025-02-06 15:00"]},
}
KEY = {"clients": "client_id", "visits": "visit_id", "responses": "response_id",
       "invitations": "invitation_id", "contacts": "contact_id", "complaints": "complaint_id"}
DATE_COL = {"clients": "joined_on", "visits": "visit_date", "responses": "submitted_at",
            "invitations": "sent_at", "contacts": "opened_at", "complaints": "received_at"}
TEXT_COL = {"visits": "activity", "contacts": "topic", "complaints": "category",
            "responses": "comment"}


def base(table: str) -> pd.DataFrame:
    return pd.DataFrame(BASE[table], dtype="string")


# ----------------------------------------------------------------------------- writers

def write(df: pd.DataFrame, path: Path, fmt: str, encoding: str = "utf-8", sep: str = ",") -> Path:
    """The frame as an export: every cell as text (CSV, XLSX) or typed as given (Parquet)."""
    path = path.with_suffix({"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}[fmt])
    if fmt == "csv":
        text = df.fillna("").to_csv(index=False, sep=sep, lineterminator="\n")
        path.write_bytes(text.encode(encoding))
    elif fmt == "xlsx":
        df.fillna("").to_excel(path, index=False)
    else:
        df.to_parquet(path, index=False)
    return path


@dataclass
class Case:
    """One export and what must happen to it."""

    name: str
    table: str
    make: object  # (tmp_path) -> path of the export
    refused: tuple[str, ...] = ()  # fragments the message must contain (refused cases)
    stored: dict = field(default_factory=dict)  # {(id, column): exact stored value}
    extra: tuple[str, ...] = ()  # more CLI options (e.g. --table)

    def __str__(self) -> str:
        return self.name


def changed(table: str, fmt: str, row: int, column: str, value, **kw):
    """A maker: the valid rows with one cell changed (row is 0-based; row + 1 is the data
    row a message names)."""
    def make(tmp: Path) -> Path:
        df = base(table).astype(object)
        df.loc[row, column] = value
        return write(df, tmp / table, fmt, **kw)
    return make


def framed(table: str, fmt: str, edit, **kw):
    """A maker: the valid rows passed through ``edit(df) -> df``."""
    def make(tmp: Path) -> Path:
        return write(edit(base(table).astype(object)), tmp / table, fmt, **kw)
    return make


def raw_bytes(table: str, data_fn):
    """A maker writing ``data_fn(valid CSV text) -> bytes`` as a CSV."""
    def make(tmp: Path) -> Path:
        text = base(table).fillna("").to_csv(index=False, lineterminator="\n")
        p = tmp / f"{table}.csv"
        p.write_bytes(data_fn(text))
        return p
    return make


FORMATS = ("csv", "xlsx", "parquet")
CASES: list[Case] = []

# ----------------------------------------------------------------------------- encodings (CSV)
for t, col in TEXT_COL.items():
    CASES.append(Case(f"{t}: UTF-8 file with one cp1251 row appended", t, raw_bytes(
        t, lambda text, t=t: text.encode("utf-8") + text.splitlines()[3].replace(
            KEY[t][0].upper() + "3", KEY[t][0].upper() + "4").encode("cp1251") + b"\n"),
        refused=("line 5", "byte")))
    CASES.append(Case(f"{t}: stray 0xFF byte in a UTF-8 file", t, raw_bytes(
        t, lambda text: text.encode("utf-8").replace(b"\n", b"\xff\n", 2).replace(b"\xff\n", b"\n", 1)),
        refused=("line 2", "byte")))
    for enc in ("koi8-r", "cp1251", "utf-16", "utf-8-sig"):
        value = BASE[t][col][0]
        # KOI8-R has no «»: quotes of the Russian kind are written "" there
        plain = (lambda df: df.replace({"«": '"', "»": '"'}, regex=True)) if enc == "koi8-r" else (lambda df: df)
        CASES.append(Case(f"{t}: whole file in {enc}", t, framed(t, "csv", plain, encoding=enc),
                          stored={(BASE[t][KEY[t]][0], col): value}))
CASES.append(Case("complaints: latin-1 file (a French help desk)", "complaints", framed(
    "complaints", "csv", lambda df: df.assign(category=["Qualité du café", "Délai", "Sécurité"],
                                              justified=["oui", "non", "oui"]), encoding="latin-1"),
    refused=("row 1", "justified", "oui")))
CASES.append(Case("complaints: latin-1 file", "complaints", framed(
    "complaints", "csv", lambda df: df.assign(category=["Qualité du café", "Délai", "Sécurité"],
                                              justified=["yes", "no", "yes"]), encoding="latin-1"),
    stored={("X1", "category"): "Qualité du café", ("X3", "category"): "Sécurité"}))
CASES.append(Case("complaints: UTF-16 without BOM", "complaints",
                  changed("complaints", "csv", 0, "category", "Безопасность", encoding="utf-16-le"),
                  stored={("X1", "category"): "Безопасность"}))

# ----------------------------------------------------------------------------- dates
for t, dcol in DATE_COL.items():
    for fmt in ("csv", "xlsx"):
        CASES.append(Case(f"{t}/{fmt}: year 1025 (typo)", t, changed(t, fmt, 1, dcol, "1025-10-10"),
                          refused=("row 2", dcol, "1025")))
        CASES.append(Case(f"{t}/{fmt}: year 9999", t, changed(t, fmt, 2, dcol, "9999-01-01"),
                          refused=("row 3", dcol, "9999")))
    CASES.append(Case(f"{t}: year 2099 is implausible", t, changed(t, "csv", 0, dcol, "01.03.2099"),
                      refused=("row 1", dcol, "2099")))
    CASES.append(Case(f"{t}: year 1899 is implausible", t, changed(t, "csv", 0, dcol, "1899-12-31"),
                      refused=("row 1", dcol, "1899")))
    CASES.append(Case(f"{t}: 31 February", t, changed(t, "csv", 1, dcol, "31.02.2025"),
                      refused=("row 2", dcol, "31.02.2025")))
for t in ("responses", "contacts", "complaints", "invitations"):
    dcol, key = DATE_COL[t], BASE[t][KEY[t]][0]
    CASES.append(Case(f"{t}: +03:00 time stored as Moscow time", t,
                      changed(t, "csv", 0, dcol, "2025-02-02T13:54:00+03:00"),
                      stored={(key, dcol): pd.Timestamp("2025-02-02 13:54")}))
    CASES.append(Case(f"{t}: UTC time stored as Moscow time", t,
                      changed(t, "csv", 0, dcol, "2025-02-02T10:54:00Z"),
                      stored={(key, dcol): pd.Timestamp("2025-02-02 13:54")}))
CASES.append(Case("responses/parquet: tz-aware column stored as Moscow time", "responses", framed(
    "responses", "parquet", lambda df: df.assign(submitted_at=pd.to_datetime(
        ["2025-03-31 21:30", "2025-02-03 08:00", "2025-02-04 09:00"]).tz_localize("UTC"))),
    # 21:30 UTC on 31 March is 00:30 on 1 April in Moscow: the next quarter
    stored={("R1", "submitted_at"): pd.Timestamp("2025-04-01 00:30")}))
CASES.append(Case("complaints: resolved before received", "complaints",
                  changed("complaints", "csv", 0, "resolved_at", "2025-02-01 10:00"),
                  refused=("row 1", "resolved_at", "received_at")))
CASES.append(Case("contacts: resolved before opened", "contacts",
                  changed("contacts", "xlsx", 2, "resolved_at", "2025-01-01 10:00"),
                  refused=("row 3", "resolved_at", "opened_at")))

# ----------------------------------------------------------------------------- numbers
for fmt in ("csv", "xlsx"):
    CASES += [
        Case(f"responses/{fmt}: nps 1e20", "responses", changed("responses", fmt, 0, "nps", "1e20"),
             refused=("row 1", "nps", "1e20")),
        Case(f"responses/{fmt}: nps 11 without a scale", "responses", changed("responses", fmt, 1, "nps", "11"),
             refused=("row 2", "nps", "11", "1-11")),
        Case(f"responses/{fmt}: nps -1", "responses", changed("responses", fmt, 2, "nps", "-1"),
             refused=("row 3", "nps", "-1")),
        Case(f"responses/{fmt}: nps 7.5", "responses", changed("responses", fmt, 0, "nps", "7.5"),
             refused=("row 1", "nps", "7.5")),
        Case(f"responses/{fmt}: nps as a word", "responses", changed("responses", fmt, 0, "nps", "десять"),
             refused=("row 1", "nps", "десять")),
        Case(f"responses/{fmt}: csat 6 on 1–5", "responses", changed("responses", fmt, 0, "csat", "6"),
             refused=("row 1", "csat", "6")),
        Case(f"responses/{fmt}: factor 0 on 1–5", "responses", changed("responses", fmt, 0, "f_safety", "0"),
             refused=("row 1", "f_safety", "0")),
    ]
CASES += [
    Case("responses: nps inf", "responses", changed("responses", "csv", 0, "nps", "inf"),
         refused=("row 1", "nps", "inf")),
    Case("responses: decimal comma 4,0 is 4", "responses", changed("responses", "csv", 0, "csat", "4,0", sep=";"),
         stored={("R1", "csat"): 4}),
    Case("responses/parquet: boolean nps", "responses", framed(
        "responses", "parquet", lambda df: df.assign(nps=[True, False, True])),
        refused=("nps",)),
    Case("responses/parquet: integer columns typed", "responses", framed(
        "responses", "parquet", lambda df: df.assign(nps=pd.array([9, 6, 10], dtype="int64"))),
        stored={("R2", "nps"): 6}),
    Case("responses: undeclared factor column", "responses", framed(
        "responses", "csv", lambda df: df.assign(f_wifi=["1", "2", "3"])),
        refused=("f_wifi", "declared")),
]

# ----------------------------------------------------------------------------- ids
for t in ("responses", "complaints", "visits"):
    key, first = KEY[t], BASE[t][KEY[t]][0]
    CASES += [
        Case(f"{t}: id with a zero-width space is the same id", t, framed(
            t, "csv", lambda df, key=key, first=first: pd.concat(
                [df, df.iloc[[0]].assign(**{key: first + "\u200b"})], ignore_index=True)),
            stored={(first, key): first}),
        Case(f"{t}: empty id", t, changed(t, "csv", 1, key, ""), refused=("row 2", key)),
        Case(f"{t}: the same id twice with different content", t, framed(
            t, "csv", lambda df, key=key: df.assign(**{key: [df[key][0], df[key][0], df[key][2]]})),
            refused=(key, "row 2")),
    ]
CASES.append(Case("clients: id with a non-breaking space and a BOM", "clients", framed(
    "clients", "xlsx", lambda df: df.assign(client_id=["\ufeffC1\u00a0", "C2", "C3"])),
    stored={("C1", "client_id"): "C1"}))

# ----------------------------------------------------------------------------- codes
for fmt in FORMATS:
    CASES += [
        Case(f"responses/{fmt}: unknown channel", "responses", changed("responses", fmt, 1, "channel", "fax"),
             refused=("row 2", "channel", "fax")),
        Case(f"complaints/{fmt}: unknown importance", "complaints", changed("complaints", fmt, 0, "importance", "urgent"),
             refused=("row 1", "importance", "urgent")),
    ]
CASES += [
    Case("responses: channel in capitals is the code", "responses", changed("responses", "csv", 0, "channel", "Phone"),
         stored={("R1", "channel"): "phone"}),
    Case("complaints: justified 'maybe'", "complaints", changed("complaints", "csv", 0, "justified", "может быть"),
         refused=("row 1", "justified", "может быть")),
    Case("visits: unknown programme (a closed segment)", "visits", changed("visits", "csv", 0, "programme", "yoga"),
         refused=("row 1", "programme", "yoga")),
    Case("clients: unknown source", "clients", changed("clients", "xlsx", 2, "source", "tv"),
         refused=("row 3", "source", "tv")),
    Case("invitations: unknown survey", "invitations", changed("invitations", "parquet", 0, "survey", "nps_2"),
         refused=("row 1", "survey", "nps_2")),
]

# ----------------------------------------------------------------------------- structure
REQUIRED = {**DATE_COL, "clients": "client_id"}  # a client's joined_on is optional
for t in KEY:
    CASES.append(Case(f"{t}: required column {REQUIRED[t]} missing", t, framed(
        t, "csv", lambda df, t=t: df.drop(columns=REQUIRED[t])), refused=(REQUIRED[t], "missing")))
CASES += [
    Case("responses: neither nps nor recommend", "responses", framed(
        "responses", "csv", lambda df: df.drop(columns="nps")), refused=("nps", "recommend")),
    Case("responses: unknown extra column is ignored, rest stored", "responses", framed(
        "responses", "csv", lambda df: df.assign(internal_note=["a", "b", "c"])),
        stored={("R3", "nps"): 10}),
    Case("visits: header only (no rows) adds nothing", "visits", framed("visits", "csv", lambda df: df.iloc[0:0]),
         stored={}),
    Case("complaints: empty file", "complaints", raw_bytes("complaints", lambda text: b""),
         refused=("complaints.csv",)),
]


def _xlsx_with_uncached_formula(tmp: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    df = base("responses")
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    ws["F3"] = "=5+1"  # nps of data row 2: a formula openpyxl writes without a cached value
    p = tmp / "responses.xlsx"
    wb.save(p)
    return p


CASES.append(Case("responses/xlsx: formula cell without a stored value", "responses",
                  _xlsx_with_uncached_formula, refused=("row 2", "nps", "formula")))


# ----------------------------------------------------------------------------- the runner

runner = CliRunner()


def _cli(*args) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    out = res.output + (f"\n{type(res.exception).__name__}: {res.exception}"
                        if res.exception and not isinstance(res.exception, SystemExit) else "")
    return res.exit_code, out


def _digest(wh: Path) -> str:
    h = hashlib.sha256(wh.read_bytes())
    wal = Path(str(wh) + ".wal")
    if wal.exists():
        h.update(wal.read_bytes())
    return h.hexdigest()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """A warehouse holding other rows of every table (ids that no case uses)."""
    wh = tmp_path / "w.duckdb"
    seed = tmp_path / "seed"
    seed.mkdir()
    files = []
    for t in KEY:
        df = base(t)
        df[KEY[t]] = df[KEY[t]].str.replace(r"(\d+)$", r"9\1", regex=True)  # C1 → C91 …
        files.append(write(df, seed / t, "csv"))
    code, out = _cli("ingest", *files, "--warehouse", wh)
    assert code == 0, out
    return wh


def test_the_corpus_is_large_and_covers_every_table_and_format():
    assert len(CASES) >= 80
    assert {c.table for c in CASES} == set(KEY)
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case: Case, tmp_path, warehouse):
    export = case.make(tmp_path)
    before = _digest(warehouse)
    v_code, v_out = _cli("validate", export, "--table", case.table, *case.extra)
    i_code, i_out = _cli("ingest", export, "--table", case.table, "--warehouse", warehouse, *case.extra)
    for out in (v_out, i_out):
        assert "Traceback" not in out and "Error:" not in out.split("error:")[0], out
    if case.refused:
        assert v_code == 1 and i_code == 1, (v_out, i_out)
        flat_v, flat_i = " ".join(v_out.split()), " ".join(i_out.split())
        for fragment in case.refused:
            assert fragment in flat_v and fragment in flat_i, (fragment, i_out)
        assert _digest(warehouse) == before, "a refused batch changed the warehouse file"
    else:
        assert v_code == 0 and i_code == 0, (v_out, i_out)
        stored = io.load(case.table, warehouse)
        stored = stored.set_index(KEY[case.table])
        for (key, column), value in case.stored.items():
            assert key in stored.index, (key, stored.index.tolist())
            if column == KEY[case.table]:  # the id itself: stored once, normalised
                assert stored.index.tolist().count(value) == 1, stored.index.tolist()
                continue
            got = stored.loc[key, column]
            assert got == value, (column, got, value)
        # nothing else changed: the seeded rows are all still there
        assert stored.index.str.contains("9").sum() == 3
