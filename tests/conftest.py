"""Shared test fixtures: seeded randomness, the sample data, figures closed after each test."""

from __future__ import annotations

import os

import matplotlib

from cxlab.paths import SAMPLE_STUDY

matplotlib.use("Agg")
# Tests run against the sample business's study unless a test passes its own: a study.yml
# at the project root (a real team's) must not change what the suite checks.
os.environ["CXLAB_STUDY"] = str(SAMPLE_STUDY)

import matplotlib.pyplot as plt
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _working_directory_unchanged():
    """A test (or the code under test) must not leave the process in another directory:
    nbval and later tests resolve paths from where pytest started."""
    import os

    before = os.getcwd()
    yield
    after = os.getcwd()
    if after != before:
        os.chdir(before)
        pytest.fail(f"the working directory changed from {before} to {after}")


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory):
    """A warehouse built from data/samples/ in a temporary folder, once per session (never
    data/samples.duckdb, which `make report` and the committed notebooks use)."""
    from cxlab import io
    from cxlab.paths import SAMPLES_DIR

    if not (SAMPLES_DIR / "responses.csv").exists():
        pytest.skip("sample data not generated")
    path = tmp_path_factory.mktemp("sample-wh") / "warehouse.duckdb"
    io.build_sample_warehouse(path, replace=True)
    return path


@pytest.fixture(scope="session")
def sample_report(sample_warehouse, tmp_path_factory):
    """The sample quarter 2026Q3 rendered once per language per session: ``get(lang)``
    gives ``(RenderResult, out)``. Read-only: a test that changes the folder renders its
    own."""
    from cxlab import report
    from cxlab.paths import SAMPLES_DIR

    done = {}

    def get(lang: str):
        if lang not in done:
            out = tmp_path_factory.mktemp(f"sample-report-{lang}") / "reports"
            result = report.render("2026Q3", warehouse=sample_warehouse, out=out, lang=lang,
                                   progress=False, study=SAMPLES_DIR / "study.yml")
            done[lang] = (result, out)
        return done[lang]

    return get


@pytest.fixture(scope="module")
def sample_responses():
    """The committed sample responses (data/samples), as cxlab.samples loads them."""
    from cxlab.errors import CxlabError

    samples = pytest.importorskip("cxlab.samples")
    try:
        return samples.load("responses")
    except CxlabError as err:  # the committed CSVs are not there yet
        pytest.skip(str(err))
