"""Paths resolved from the project root, so code behaves the same whatever the working
directory (papermill runs kernels in the caller's directory, nbval and nbconvert in the
notebook's)."""

from __future__ import annotations

import os
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
