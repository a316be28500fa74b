"""Paths resolved from the project root, so code behaves the same whatever the working
directory (papermill runs kernels in the caller's directory, nbval and nbconvert in the
notebook's); and the files a run writes on its way (temporary siblings named after the
process, so the next run can remove a killed run's leftovers, and atomic replacement)."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

#: The checkout's root (``src/cxlab/paths.py`` → two levels up from ``src``).
PROJ_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJ_ROOT / "data"
SAMPLES_DIR = DATA_DIR / "samples"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"
#: The sample business's study file (its code lists, factors, calendar, targets).
SAMPLE_STUDY = SAMPLES_DIR / "study.yml"
#: The warehouse built from the sample data (``make report``, ``make test``, the committed
#: notebooks). Kept apart from the real warehouse so a sample rebuild never touches it.
SAMPLE_WAREHOUSE = DATA_DIR / "samples.duckdb"


def default_warehouse() -> Path:
    """The warehouse file: ``$CXLAB_WAREHOUSE`` if set, else ``data/warehouse.duckdb``."""
    env = os.environ.get("CXLAB_WAREHOUSE")
    return Path(env) if env else DATA_DIR / "warehouse.duckdb"


def resolve(path: str | os.PathLike) -> Path:
    """A relative path is taken from the project root, not the working directory."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJ_ROOT / p


def default_study_path() -> Path:
    """The study file: ``$CXLAB_STUDY`` if set, else ``study.yml`` at the project root when
    there is one, else the sample business's (``data/samples/study.yml``)."""
    env = os.environ.get("CXLAB_STUDY")
    if env:
        return resolve(env)
    own = PROJ_ROOT / "study.yml"
    return own if own.is_file() else SAMPLE_STUDY


# ---------------------------------------------------------------------------- run files
# A run writes through temporary siblings named after its process id, so that the next
# run can tell the leftovers of a killed run (their process is gone) from the files of a
# run still going (left alone).

#: Seconds a command waits for a warehouse another process holds (``$CXLAB_LOCK_TIMEOUT``).
DEFAULT_LOCK_TIMEOUT = 30.0
_TEMP_RE = re.compile(r"^(?P<base>.+?)\.(?P<pid>\d+)-\d+\.tmp(?:\..+)?$")  # + .wal, …
_temp_counter = itertools.count(1)


def lock_timeout() -> float:
    """Seconds to wait for a warehouse locked by another process: ``$CXLAB_LOCK_TIMEOUT``
    (a number ≥ 0), else :data:`DEFAULT_LOCK_TIMEOUT`."""
    from cxlab.errors import ParameterError

    env = os.environ.get("CXLAB_LOCK_TIMEOUT", "").strip()
    if not env:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(env)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise ParameterError(f"CXLAB_LOCK_TIMEOUT={env!r}: expected a number of seconds ≥ 0 "
                             f"(default {DEFAULT_LOCK_TIMEOUT:g})")
    return value


def temp_sibling(path: Path) -> Path:
    """A temporary name beside ``path`` for this process: ``<name>.<pid>-<n>.tmp``."""
    return path.with_name(f"{path.name}.{os.getpid()}-{next(_temp_counter)}.tmp")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, killed but not yet reaped, does not)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def stale_temp_files(path: Path) -> list[Path]:
    """Temporary siblings of ``path`` (:func:`temp_sibling`, and their DuckDB ``.wal``)
    whose process is gone: what a killed run left behind."""
    found = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    for p in entries:
        m = _TEMP_RE.match(p.name)
        if m and m.group("base") == path.name and not pid_alive(int(m.group("pid"))):
            found.append(p)
    return found


def write_atomic(path: Path, text: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``text`` (or bytes, e.g. a workbook) to ``path`` through a temporary sibling
    and :func:`os.replace`: a reader sees the old file or the new one, never half of one
    (also when the run is killed; the temporary file is then removed by the next run)."""
    tmp = temp_sibling(path)
    try:
        if isinstance(text, bytes):
            with open(tmp, "wb") as fh:
                fh.write(text)
        else:
            with open(tmp, "w", encoding=encoding, newline="") as fh:
                fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def make_folder(folder: Path) -> None:
    """``folder.mkdir(parents=True, exist_ok=True)``, except that a file where a folder of
    the path should be raises :class:`NotADirectoryError` naming that file (``mkdir``
    says "File exists" about the folder asked for, which misleads)."""
    import errno

    for p in [folder, *folder.parents]:
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(p))
            break
    folder.mkdir(parents=True, exist_ok=True)


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Delete :func:`stale_temp_files` of ``path`` (files, or folders such as DuckDB's
    spill folder of a temporary warehouse); returns what was deleted."""
    import shutil

    removed = []
    for p in stale_temp_files(path):
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except FileNotFoundError:
            continue
        removed.append(p)
    return removed
