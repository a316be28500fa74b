"""pyproject.toml and environment.yml must list the same packages with the same lower
bounds (the issue's rule: the two lists may not drift apart)."""

from __future__ import annotations

import re
import tomllib

import yaml

from cxlab.paths import PROJ_ROOT

# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "ibis-duckdb": "ibis-framework"}
REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(reqs):
    out = {}
    for r in reqs:
        m = REQ.match(r)
        name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
        spec = re.sub(r"^\[[^\]]*\]", "", spec)  # pip's extras: conda names the package instead
        out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def pyproject_requirements():
    data = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return _parse(data["project"]["dependencies"])


def conda_requirements():
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    reqs = _parse(deps)
    reqs.pop("pip", None)
    python = reqs.pop("python")
    return reqs, python


def test_same_packages_and_lower_bounds():
    pip_reqs = pyproject_requirements()
    conda_reqs, _ = conda_requirements()
    assert set(pip_reqs) - set(conda_reqs) == set(), "in pyproject.toml only"
    assert set(conda_reqs) - set(pip_reqs) == set(), "in environment.yml only"
    for name, spec in pip_reqs.items():
        assert conda_reqs[name] == spec, f"{name}: pyproject {spec!r} vs environment.yml {conda_reqs[name]!r}"


def test_every_dependency_has_a_tested_lower_bound():
    for name, spec in pyproject_requirements().items():
        assert spec.startswith(">="), f"{name} has no lower bound"


def test_python_version_agrees():
    data = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    _, python = conda_requirements()
    assert python == data["project"]["requires-python"]


def test_installed_versions_meet_the_bounds():
    # the bounds are the versions the suite was run with: the running env must satisfy them
    from importlib.metadata import version

    from packaging.version import Version

    for name, spec in pyproject_requirements().items():
        assert Version(version(name)) >= Version(spec[2:]), name
