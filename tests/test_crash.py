"""Killing ``cxlab ingest`` and ``cxlab report`` (SIGKILL) at random moments, several times.

What must hold after each kill: the warehouse holds either none of the batch or all of
it (never half); the previous report is there, complete. And the next run removes what
the killed run left and succeeds.

The kill moments are drawn with a fixed seed. Half of them are anywhere in the run; the
other half wait until the run starts writing (a ``.wal`` or temporary warehouse file
appears, or the report's temporary folder gets its index page, just before the swap) and
then kill after a delay drawn from the time a complete run took from that moment to its
end, so the writing and the swap are aimed at, not left to luck. The whole module takes
about 40 s (each report run starts a Jupyter kernel).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import nbformat
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32",
                                reason="needs POSIX signals")

SEED = 20261130
QUARTER = "2026Q3"
CXLAB = [sys.executable, "-m", "cxlab.cli"]


# ----------------------------------------------------------------------------- helpers

def start(*args) -> subprocess.Popen:
    # own process group: the kill takes the command and anything it started with it
    return subprocess.Popen([*CXLAB, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "COLUMNS": "200"})


def finish(proc: subprocess.Popen, timeout: float = 120) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run(*args) -> subprocess.CompletedProcess:
    res = finish(start(*args))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    return res


def kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished first
        pass
    proc.communicate(timeout=60)


def kill_when(proc: subprocess.Popen, ready, delay: float, limit: float) -> str:
    """Kill ``proc`` ``delay`` s after ``ready()`` first holds (or at ``limit`` s)."""
    t0 = time.monotonic()
    while proc.poll() is None and not ready() and time.monotonic() - t0 < limit:
        time.sleep(0.001)
    time.sleep(delay)
    finished = proc.poll() is not None
    kill(proc)
    return "finished" if finished else "killed"


def timed(args, ready) -> tuple[float, float]:
    """Run a command to its end: (seconds in all, seconds from ``ready()`` to the end)."""
    proc = start(*args)
    t0 = time.monotonic()
    seen = None
    while proc.poll() is None:
        if seen is None and ready():
            seen = time.monotonic()
        time.sleep(0.001)
    end = time.monotonic()
    res = finish(proc)
    assert res.returncode == 0, res.stdout + res.stderr
    return end - t0, end - (seen or end)


def data_tables(wh: Path) -> dict[str, tuple]:
    """Each data table (not the batch log's) as (columns and types, rows, digest of every
    row in order): equal exactly when the tables hold the same rows."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY 1").fetchall()]
        return {n: (con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                f"WHERE table_name = '{n}' ORDER BY ordinal_position").fetchall(),
                    *con.execute(f'SELECT count(*), md5(string_agg(CAST(t AS VARCHAR), chr(10) '
                                 f'ORDER BY CAST(t AS VARCHAR))) FROM "{n}" t').fetchall()[0])
                for n in names}
    finally:
        con.close()


def same(a: dict, b: dict) -> bool:
    return a == b


def batches(wh: Path) -> list[int]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT batch_id FROM _batches WHERE undone_at IS NULL ORDER BY 1").fetchall()]
    finally:
        con.close()


# ----------------------------------------------------------------------------- ingest

@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """A base export (1,000 answers) and a big one: the same 1,000 with other scores
    (updated with --on-conflict update) and 119,000 more."""
    d = tmp_path_factory.mktemp("exports")
    rng = np.random.default_rng(SEED)
    n = 120_000
    df = pd.DataFrame({
        "response_id": [f"R{i:07d}" for i in range(n)],
        "client_id": [f"C{i % 5000:05d}" for i in range(n)],
        "submitted_at": (pd.Timestamp("2026-07-01")
                         + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s")),
        "channel": rng.choice(["phone", "web", "messenger"], n),
        "nps": rng.integers(0, 11, n),
    })
    df.iloc[:1000].to_csv(d / "responses_base.csv", index=False)
    df.loc[:999, "nps"] = (df.loc[:999, "nps"] + 1) % 11
    df.to_csv(d / "responses_big.csv", index=False)
    return {"base": d / "responses_base.csv", "big": d / "responses_big.csv"}


def test_killed_ingest_leaves_all_or_nothing(tmp_path, exports):
    rng = np.random.default_rng(SEED)
    base = tmp_path / "base" / "warehouse.duckdb"
    run("ingest", exports["base"], "-w", base)
    full = tmp_path / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    full.write_bytes(base.read_bytes())

    def writing(folder):  # the .wal, or a new warehouse's temporary file
        return lambda: any(p.name.endswith((".wal", ".tmp")) for p in folder.iterdir())

    seconds, write_seconds = timed(
        ("ingest", exports["big"], "-w", full, "--on-conflict", "update"), writing(full.parent))
    before, after = data_tables(base), data_tables(full)
    assert not same(before, after)
    outcomes = []

    for i in range(4):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        wh = folder / "warehouse.duckdb"
        creating = i >= 2  # into the base warehouse twice, then into a new one twice
        if not creating:
            wh.write_bytes(base.read_bytes())
        proc = start("ingest", exports["big"], "-w", wh, "--on-conflict", "update")
        if i % 2:  # while it writes: from the first write to the end of the run
            outcomes.append(kill_when(proc, writing(folder), rng.uniform(0, write_seconds),
                                      limit=60))
        else:
            outcomes.append(kill_when(proc, lambda: False, 0, rng.uniform(0.3, seconds)))

        # all or nothing (the big export holds every answer of the base one, so a new
        # warehouse with the whole batch has the same tables as the base one with it)
        if creating and not wh.exists():
            state = "nothing"
        elif same(data_tables(wh), before):
            assert not creating and batches(wh) == [1]
            state = "nothing"
        else:
            assert same(data_tables(wh), after), f"run {i}: the warehouse holds half a batch"
            assert batches(wh) == ([1] if creating else [1, 2])
            state = "all"
        outcomes[-1] += f"/{state}"

        # the next run cleans up and succeeds: the batch is then in, exactly once
        run("ingest", exports["big"], "-w", wh, "--on-conflict", "update")
        assert same(data_tables(wh), after)
        leftovers = sorted(p.name for p in folder.iterdir() if p.name != "warehouse.duckdb")
        assert leftovers == [], f"run {i} left {leftovers}"
    # the kills were real: at least the ones aimed at the write stopped a running ingest
    assert sum(o.startswith("killed") for o in outcomes) >= 2, outcomes


# ----------------------------------------------------------------------------- report

def tiny_notebook(path: Path) -> Path:
    """A one-cell section that reads the warehouse (and takes a moment, like a real one)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'quarter = "2026Q3"\nwarehouse = ""\nlang = "en"\nmin_n = 30\nseed = 0\nstudy = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A small section"), params,
        nbformat.v4.new_code_cell(
            "import time\nfrom cxlab import io\n"
            "n = len(io.load('responses', warehouse, quarter=quarter))\n"
            "time.sleep(0.3)\nprint(f'{n} answers in {quarter}')"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def assert_complete_report(out: Path) -> None:
    """The stakeholders' folder holds one language's HTML, whole; the analysts' folder
    beside it the run's record (executed notebook, manifest, disclosure ledger and audit)."""
    from cxlab import report

    langs = [p for p in (out / QUARTER).iterdir()]
    assert len(langs) == 1, langs
    folder, lang = langs[0], langs[0].name
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".css") == [
        "index.html", "tiny.html"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.rstrip().endswith("</html>") and 'href="tiny.html"' in index
    page = (folder / "tiny.html").read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and f"answers in {QUARTER}" in page
    work = report.analyst_folder(out) / QUARTER / lang
    assert [s["name"] for s in json.loads((work / "sections.json").read_text())["sections"]] \
        == ["tiny"]
    nbformat.read(work / "tiny.ipynb", as_version=4)
    top = (out / "index.html").read_text(encoding="utf-8")
    assert top.rstrip().endswith("</html>") and f'href="{QUARTER}/{lang}/index.html"' in top


def test_killed_report_keeps_the_previous_one(tmp_path, exports):
    rng = np.random.default_rng(SEED + 1)
    wh = tmp_path / "warehouse.duckdb"
    run("ingest", exports["base"], "-w", wh)
    nb = tiny_notebook(tmp_path / "tiny.ipynb")
    out = tmp_path / "reports"
    args = ("report", "--quarter", QUARTER, "-w", wh, "--out", out, "--notebook", nb)
    def swapping():  # the temporary folder has its index page, written just before the swap
        from cxlab import report

        return any((p / "index.html").exists()
                   for p in report.analyst_folder(out).glob(f".tmp-html-{QUARTER}.*"))

    seconds, swap_seconds = timed(args, swapping)
    assert_complete_report(out)
    outcomes = []

    killed = []
    for i in range(4):
        proc = start(*args)
        killed.append(proc.pid)
        if i % 2:  # from the index page of the new report to the end: the swap
            outcomes.append(kill_when(proc, swapping, rng.uniform(0, swap_seconds), limit=120))
        else:
            outcomes.append(kill_when(proc, lambda: False, 0, rng.uniform(0.5, seconds)))
        assert_complete_report(out)  # the previous report (or the new one), whole

    # the next run removes the killed runs' leftovers and succeeds
    run(*args)
    assert_complete_report(out)
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "index.html"]
    assert sum(o == "killed" for o in outcomes) >= 2, outcomes
    # the Jupyter kernels the killed runs started exit on their own (their parent is gone)
    deadline = time.monotonic() + 15
    while kernels_of(killed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_of(killed) == []


def kernels_of(parents: list[int]) -> list[int]:
    """Processes started by a kernel manager in one of ``parents`` that still run."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z" and any(e in env for e in
                                 (f"JPY_PARENT_PID={p}".encode() for p in parents)):
            found.append(int(entry.name))
    return found
