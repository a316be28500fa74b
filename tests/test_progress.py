"""cxlab.progress: when progress shows (terminal, notebook, never under cron, CI, pytest or
a report kernel), where it goes (stderr, never stdout), and that it never changes a result."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from cxlab import asymmetry, drivers, paths, progress
from cxlab import io as cxio

DATA = Path(__file__).parent / "data"
QUIET_WHEN = ("CXLAB_PROGRESS", "CI", "CXLAB_LEDGER", "PYTEST_CURRENT_TEST", "TERM")


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _plain(monkeypatch, **env) -> None:
    """The environment of a user's shell: none of the variables that turn progress off,
    then ``env``. Called in the test body: pytest sets PYTEST_CURRENT_TEST again at the
    start of each phase, after the fixtures ran."""
    for name in QUIET_WHEN:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def at_once(monkeypatch):
    """Every step shows at once (no DELAY), so a short test step draws its bar."""
    monkeypatch.setattr(progress, "DELAY", 0)


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return cxio.read(paths.SAMPLES_DIR / "responses.csv", study=paths.SAMPLE_STUDY)


# ------------------------------------------------------------------------- the rule

@pytest.mark.parametrize("env, terminal, shown", [
    ({}, True, True),                                   # a user at a terminal
    ({}, False, False),                                 # cron, a pipe, a log file
    ({"CI": "true"}, True, False),                      # a CI job
    ({"CI": "false"}, True, True),                      # CI said off is no CI
    ({"CXLAB_LEDGER": "x.ledger.jsonl"}, True, False),  # a report kernel
    ({"PYTEST_CURRENT_TEST": "t.py::t (call)"}, True, False),
    ({"TERM": "dumb"}, True, False),
    ({"CXLAB_PROGRESS": "0"}, True, False),             # forced off beats the terminal
    ({"CXLAB_PROGRESS": "off"}, True, False),
    ({"CXLAB_PROGRESS": "1"}, False, True),             # forced on beats the pipe …
    ({"CXLAB_PROGRESS": "1", "CI": "1", "PYTEST_CURRENT_TEST": "t"}, False, True),  # … and CI
    ({"CXLAB_PROGRESS": "maybe"}, False, False),        # an unknown value: the rule
])
def test_enabled_follows_the_rule(monkeypatch, env, terminal, shown):
    _plain(monkeypatch, **env)
    monkeypatch.setattr(sys, "stderr", _Terminal() if terminal else io.StringIO())
    assert progress.enabled() is shown


@pytest.mark.parametrize("env, shown", [
    ({}, True),                                          # JupyterLab: stderr is no terminal
    ({"CXLAB_LEDGER": "x.ledger.jsonl"}, False),    # papermill, from cxlab report
    ({"PYTEST_CURRENT_TEST": "nb.ipynb::Cell 3"}, False),  # nbval
    ({"CXLAB_PROGRESS": "0"}, False),                    # cxlab notebooks' kernels
])
def test_enabled_in_a_notebook(monkeypatch, env, shown):
    _plain(monkeypatch, **env)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    assert progress.enabled() is shown


def test_not_a_notebook_outside_ipython():
    assert progress._in_notebook() is False


def test_disable_turns_progress_off_for_child_processes(monkeypatch):
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    progress.disable()
    assert os.environ["CXLAB_PROGRESS"] == "0" and not progress.enabled()


def test_off_is_one_shared_no_op(monkeypatch):
    _plain(monkeypatch, CXLAB_PROGRESS="0")
    with progress.task("bootstrap", 3, unit="resamples") as bar:
        bar.advance()
        bar.update(completed=3, description="done")
    assert bar is progress.task("another") and progress._board is None
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    assert progress.task("switched off by the caller", show=False) is bar


# ------------------------------------------------------------------------- where it goes

def test_forced_on_draws_on_stderr_never_stdout(monkeypatch, capsys, at_once):
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    with progress.task("bootstrap", 3, unit="resamples") as bar:
        for _ in range(3):
            bar.advance()
    out, err = capsys.readouterr()
    assert out == ""
    assert "bootstrap" in err and "3/3 resamples" in err
    assert progress._board is None  # the display is gone with its last step


def test_short_steps_never_show(monkeypatch, capsys):
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    with progress.task("quick", 2) as bar:  # DELAY (1 s) is not reached
        bar.advance(2)
    assert capsys.readouterr() == ("", "")


def test_cron_writes_nothing(monkeypatch, capsys, at_once, tmp_path):
    _plain(monkeypatch)  # no variable set; stderr is captured, not a terminal
    with progress.task("bootstrap", 3) as bar:
        bar.advance(3)
    cxio.ingest([DATA / "responses_cp1251.csv"], warehouse=tmp_path / "w.duckdb",
                study=paths.SAMPLE_STUDY)
    assert capsys.readouterr() == ("", "")


def test_ingest_shows_each_file_and_the_write(monkeypatch, capsys, at_once, tmp_path):
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    seen = []
    real = progress._update

    def spy(t):
        seen.append(t.description)
        real(t)

    monkeypatch.setattr(progress, "_update", spy)
    cxio.ingest([DATA / "responses_cp1251.csv"], warehouse=tmp_path / "w.duckdb",
                study=paths.SAMPLE_STUDY)
    out, err = capsys.readouterr()
    assert out == "" and "ingest" in err
    assert "ingest responses_cp1251.csv: reading" in seen
    assert "ingest responses_cp1251.csv: validating" in seen
    assert "ingest: writing to w.duckdb" in seen


def test_steps_from_several_threads(monkeypatch, capsys, at_once):
    """A report runs two notebooks at once, each a row of the one display."""
    _plain(monkeypatch, CXLAB_PROGRESS="1")

    def step(i: int) -> int:
        with progress.task(f"notebook {i}", 50) as bar:
            for _ in range(50):
                bar.advance()
        return i

    with progress.task("report", 8, unit="notebooks") as outer:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in pool.map(step, range(8)):
                outer.advance()
    out, err = capsys.readouterr()
    assert out == "" and "8/8 notebooks" in err
    assert progress._board is None


def test_notebook_output_is_drawn_then_cleared(monkeypatch, at_once):
    _plain(monkeypatch)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    shown = []

    def publish(bundle, handle):
        shown.append(bundle)
        return "handle"

    monkeypatch.setattr(progress, "_publish", publish)
    monkeypatch.setattr(progress, "REFRESH", 10 ** 6)  # every update redrawn
    with progress.task("bootstrap", 2, unit="resamples") as bar:
        bar.advance(2)
    assert "bootstrap" in shown[0]["text/html"] and "0/2 resamples" in shown[0]["text/plain"]
    assert "2/2 resamples" in shown[-2]["text/plain"]
    assert shown[-1] == {"text/plain": ""}  # a saved notebook keeps no bar


def test_notebook_output_is_drawn_only_from_the_cells_thread(monkeypatch, at_once):
    _plain(monkeypatch)
    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    shown = []
    monkeypatch.setattr(progress, "_publish", lambda bundle, handle: shown.append(bundle))

    def step():
        with progress.task("in a thread", 1) as bar:
            bar.advance()

    worker = threading.Thread(target=step)
    worker.start()
    worker.join()
    assert shown == [] and progress._board is None


# ------------------------------------------------------------------------- results unchanged

def test_key_drivers_identical_with_progress(monkeypatch, capsys, at_once, responses):
    _plain(monkeypatch, CXLAB_PROGRESS="0")
    off = drivers.key_drivers(responses, n_boot=200, seed=7, study=paths.SAMPLE_STUDY)
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    on = drivers.key_drivers(responses, n_boot=200, seed=7, study=paths.SAMPLE_STUDY)
    assert "200/200 resamples" in capsys.readouterr().err  # the bar was really drawn
    pd.testing.assert_frame_equal(on.table, off.table, check_exact=True)
    pd.testing.assert_frame_equal(on.draws["share"], off.draws["share"], check_exact=True)


def test_penalty_reward_identical_with_progress(monkeypatch, capsys, at_once, responses):
    _plain(monkeypatch, CXLAB_PROGRESS="0")
    off = asymmetry.penalty_reward(responses, n_boot=200, seed=7, study=paths.SAMPLE_STUDY)
    _plain(monkeypatch, CXLAB_PROGRESS="1")
    on = asymmetry.penalty_reward(responses, n_boot=200, seed=7, study=paths.SAMPLE_STUDY)
    assert "200/200 resamples" in capsys.readouterr().err
    pd.testing.assert_frame_equal(on.table, off.table, check_exact=True)


# ------------------------------------------------------------------------- report kernels

def test_report_kernels_run_without_progress(monkeypatch, tmp_path):
    """Every kernel papermill starts has CXLAB_PROGRESS=0: no bar in an executed record
    or a stakeholder page (`cxlab notebooks` keeps no ledger, so CXLAB_LEDGER alone would
    not say it)."""
    import papermill

    from cxlab.report import rendering

    seen = {}

    def execute(source, output, **kwargs):
        seen.update(kwargs)
        shutil.copyfile(source, output)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    nb = paths.NOTEBOOKS_DIR / f"{rendering.NOTEBOOKS[0]}.ipynb"
    rendering.run_notebook(nb, tmp_path / nb.name, {})
    lines = [a for a in seen["extra_arguments"] if "exec_lines" in a]
    assert len(lines) == 1 and "os.environ['CXLAB_PROGRESS'] = '0'" in lines[0]


# ------------------------------------------------------------------------- the command line

def _cxlab(args, tmp_path, **env):
    """``cxlab ARGS`` in a fresh process with a user's environment plus ``env``; steps
    show at once (DELAY 0) so that a bar, when allowed, is certainly drawn."""
    clean = {k: v for k, v in os.environ.items() if k not in QUIET_WHEN}
    code = ("import sys; from cxlab import cli, progress; progress.DELAY = 0; "
            "cli.main(sys.argv[1:])")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=tmp_path,
                          env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_cli_forced_on_draws_on_stderr_only(tmp_path):
    res = _cxlab(["ingest-samples", "--warehouse", tmp_path / "w.duckdb"], tmp_path,
                 CXLAB_PROGRESS="1")
    assert res.returncode == 0, res.stderr
    assert "ingest" in res.stderr and "\x1b[" in res.stderr  # the bar, drawn and erased
    assert "\x1b[" not in res.stdout and "steps" not in res.stdout
    assert "responses" in res.stdout  # the summary stays on stdout


def test_cli_under_cron_draws_nothing(tmp_path):
    # stderr is a pipe and nothing is set: the cron case
    res = _cxlab(["ingest-samples", "--warehouse", tmp_path / "w.duckdb"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


def test_cli_quiet_beats_the_environment(tmp_path):
    res = _cxlab(["--quiet", "ingest-samples", "--warehouse", tmp_path / "w.duckdb"],
                 tmp_path, CXLAB_PROGRESS="1")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


def test_cli_help_says_when_progress_shows():
    from typer.testing import CliRunner

    from cxlab.cli import app

    res = CliRunner().invoke(app, ["--help"])
    text = " ".join(res.output.split())
    assert "--quiet" in text and "never under cron" in text
