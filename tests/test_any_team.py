"""cxlab used by teams other than the sample business: the study file, a survey tool's
export from raw CSV to report, a retailer's own study, reports from whatever the warehouse
holds (issue "Any team's data").

Where the expected numbers come from: NPS and its adjusted-Wald interval are recomputed
here from the raw export read with the csv module (Rocks 2016: add 3/4 of a promoter and
of a detractor, n + 3); the driver model's R² is recomputed with statsmodels OLS on the
complete cases; the study's planted truths are in ``tests/_exports.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _exports import (
    AIRLINE_DRIVERS,
    AIRLINE_ITEMS,
    CLASS_HEADER,
    CLASSES,
    DATE_HEADER,
    NPS_HEADER,
    airline_mapping,
    airline_study,
    read_export,
    retailer_exports,
    survey_tool_export,
)
from _reference_stats import tango_brute

from cxlab import drivers, io, report, sections
from cxlab.errors import ValidationError
from cxlab.paths import PROJ_ROOT, SAMPLE_STUDY
from cxlab.study import Scale, load_study, parse_study

# ----------------------------------------------------------------------------- the study file


def _page(out, quarter, name):
    """A rendered file of ``quarter`` in whichever language it was rendered
    (``out/<quarter>/<lang>/``); the manifest is in the analysts' folder."""
    from cxlab import report

    if name == report.MANIFEST:
        found = sorted((report.analyst_folder(out) / quarter).glob(f"*/{name}"))
    else:
        found = sorted((out / quarter).glob(f"*/{name}"))
    assert len(found) == 1, found
    return found[0]


def test_sample_study_loads_with_its_code_lists_and_factors():
    st = load_study(SAMPLE_STUDY)
    assert st.channels_of_kind("oral") == ("phone", "in_person")
    assert st.codes["importance"].values[0] == "critical"
    assert len(st.factors) == 8 and all(str(f.scale) == "1-5" for f in st.factors.values())
    assert st.calendar.country == "RU" and st.calendar.days == (0, 1, 2, 3, 4)
    assert st.cohort_by == "programme" and set(st.cohorts) == {"camp", "hike", "workshop_only"}
    assert {t.metric for t in st.targets_for("2026Q3")} >= {"nps", "csi_top_box"}


def test_study_errors_name_every_key_and_what_was_expected():
    with pytest.raises(ValidationError) as info:
        parse_study({
            "channels": {"a b": {"en": "x"}, "web": {"kind": "spoken"}},
            "segments": {"channel": {}, "Region": {}},
            "factors": {"speed": {"scale": "5-1"}, "ease": {"scale": "1-5", "top_box": 9}},
            "calendar": {"country": "XX", "days": "someday"},
            "targets": {"2026Q5": [], "2026Q3": [{"metric": "nps", "at_least": 50, "at_most": 60},
                                                {"metric": "wow", "at_least": 1}]},
            "timezone": "Mars/Olympus", "min_n": 0, "colour": "red",
        }, source="study.yml")
    text = str(info.value)
    for key in ("channels → 'a b'", "channels → web → kind", "segments → channel",
                "segments → Region", "factors → speed → scale", "factors → ease → scale",
                "calendar → country", "calendar → days", "targets → 2026Q5",
                "targets → 2026Q3[0]", "targets → 2026Q3[0] → metric".replace("[0]", "[1]"),
                "timezone", "min_n", "colour"):
        assert f"key '{key}'" in text, key
    assert text.startswith("study.yml: 14 problem(s)")


@pytest.mark.parametrize("scale, top_box, to100", [
    ("1-5", 4, {1: 0, 3: 50, 5: 100}), ("1-7", 6, {1: 0, 4: 50, 7: 100}),
    ("0-10", 9, {0: 0, 5: 50, 10: 100}), ("0-100", 80, {0: 0, 80: 80, 100: 100}),
    ("1–11", 10, {1: 0, 6: 50, 11: 100}),
])
def test_scales_top_box_and_common_0_100(scale, top_box, to100):
    s = Scale.parse(scale)
    assert s.top_box == top_box
    for x, v in to100.items():
        assert s.to_100(x) == pytest.approx(v)


def test_default_study_is_the_environments_then_the_projects(monkeypatch, tmp_path):
    own = tmp_path / "study.yml"
    own.write_text("name: Own\nchannels: {app: {en: App}}\n", encoding="utf-8")
    monkeypatch.setenv("CXLAB_STUDY", str(own))
    assert load_study(None).name == "Own"


# ----------------------------------------------------------------------------- nothing hard-wired

def _sample_codes() -> set[str]:
    """Every code and term of the sample business's study: channels, surveys, segment
    names and values, complaint codes, cohort rules, factor ids."""
    st = load_study(SAMPLE_STUDY)
    codes = set(st.channels.values) | set(st.surveys.values) | set(st.segments)
    for cl in list(st.segments.values()) + list(st.codes.values()):
        codes |= set(cl.values)
    codes |= set(st.cohorts) | set(st.factors) | {f.column for f in st.factors.values()}
    return codes


def test_no_sample_business_code_list_in_the_package():
    """The package may name a sample code only in the sample generator. Column names the
    schema uses for every team (``phone`` and ``email`` of a client's contact details)
    are not codes."""
    from cxlab import schema

    columns = {c for t in schema.TABLES.values() for c in t.column_names}
    # cxlab's own words that a sample code happens to share: the built-in cohort 'lapsed',
    # the promotion behaviour 'referral' (counted from clients.referred_by), the 'other' group,
    # the rating bands of cxlab.asymmetry ('low' / 'middle' / 'high', as is the sample's
    # complaint importance 'low')
    own = {"lapsed", "referral", "other", "low"}
    codes = _sample_codes() - columns - own
    pattern = re.compile(r"""["'](%s)["']""" % "|".join(sorted(map(re.escape, codes))))
    found = []
    files = [p for p in (PROJ_ROOT / "src" / "cxlab").rglob("*") if p.suffix in (".py", ".yml")
             and p.name != "samples.py"]
    sources = [(str(p.relative_to(PROJ_ROOT)), p.read_text(encoding="utf-8")) for p in files]
    # the notebooks' cells, not their outputs (which show the sample's data)
    for nb in sorted((PROJ_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources += [(f"{nb.relative_to(PROJ_ROOT)} cell {k}", "".join(c["source"]))
                    for k, c in enumerate(cells, 1)]
    for where, text in sources:
        for i, line in enumerate(text.splitlines(), 1):
            for m in pattern.finditer(line):
                found.append(f"{where}:{i}: {m.group(0)}")
    assert not found, "sample-business codes in the package:\n" + "\n".join(found)
    # and the YAML catalogues carry no sample code as a key either
    for lang in ("en", "ru"):
        text = (PROJ_ROOT / "src" / "cxlab" / "locale" / f"{lang}.yml").read_text(encoding="utf-8")
        keys = set(re.findall(r"^\s*([a-z_]+):", text, flags=re.M))
        assert not (keys & codes), keys & codes


# ----------------------------------------------------------------------------- a survey tool's export

@pytest.fixture(scope="module")
def airline(tmp_path_factory):
    """The airline's export ingested with its mapping and study, and its report rendered."""
    d = tmp_path_factory.mktemp("airline")
    export = survey_tool_export(d / "Выгрузка опроса 2026-10-01.csv")
    study = airline_study(d / "study.yml")
    mapping = airline_mapping(d / "mapping.yml")
    wh = d / "warehouse.duckdb"
    added = io.ingest([export], warehouse=wh, mapping=mapping, study=study)
    again = io.ingest([export], warehouse=wh, mapping=mapping, study=study)
    result = report.render("latest", warehouse=wh, out=d / "reports", study=study, progress=False)
    return {"export": export, "study": study, "wh": wh, "added": added, "again": again,
            "result": result, "out": d / "reports"}


def _quarter_rows(export: Path, quarter: str) -> list[dict]:
    rows = read_export(export)
    return [r for r in rows
            if str(pd.Timestamp(pd.to_datetime(r[DATE_HEADER], format="%d.%m.%Y %H:%M"))
                   .to_period("Q")) == quarter]


def _nps_interval(scores: list[int]) -> tuple[float, float, float]:
    """NPS and its 95% score interval (points), from the 0–10 scores: counted by hand,
    the interval by brute force (tests/_reference_stats.py). The export has no ids, so
    the answers are independent."""
    n = len(scores)
    P = sum(s >= 9 for s in scores)
    D = sum(s <= 6 for s in scores)
    lo, hi = tango_brute(P, D, n)
    return 100 * (P - D) / n, 100 * lo, 100 * hi


def _nps_text(scores: list[int], lang: str = "ru") -> str:
    return report.estimate_text(*_nps_interval(scores), 0, lang)


def test_survey_export_is_stored_exactly_once(airline):
    rows = read_export(airline["export"])
    assert airline["added"]["responses"] == len(rows)
    assert airline["again"]["responses"] == 0  # generated ids are stable: nothing added twice
    stored = io.load("responses", airline["wh"])
    assert stored["response_id"].is_unique and len(stored) == len(rows)
    # the 1–11 question is stored on 0–10, sliders on their own 0–100, empties as NULL
    assert sorted(stored["nps"].astype(int)) == sorted(int(r[NPS_HEADER]) - 1 for r in rows)
    header = next(h for h, f in AIRLINE_ITEMS.items() if f == "lounge")
    raw = [int(r[header]) for r in rows if r[header] != ""]
    assert sorted(stored["f_lounge"].dropna().astype(int)) == sorted(raw)
    assert stored["f_lounge"].isna().sum() == sum(r[header] == "" for r in rows)
    assert set(stored["travel_class"]) == set(CLASSES.values())
    assert set(stored["channel"]) == {"web"} and stored["client_id"].isna().all()


def test_survey_only_report_renders_what_the_data_allow(airline):
    res = airline["result"]
    assert res.quarter == "2026Q3"
    assert [s.name for s in res.sections] == ["quarterly_report", "nps_overview", "drivers", "segments"]
    left = dict(res.left_out)
    assert "нет таблицы clients" in left["Группы клиентов"] and "нет таблицы visits" in left["Группы клиентов"]
    assert "нет таблицы complaints" in left["Жалобы и инциденты"]
    index = _page(airline["out"], "2026Q3", "index.html").read_text(encoding="utf-8")
    assert "Не вошло в отчёт за квартал" in index and "нет таблицы complaints" in index


def test_survey_only_report_shows_nps_computed_from_the_raw_export(airline):
    rows = _quarter_rows(airline["export"], "2026Q3")
    overview = _page(airline["out"], "2026Q3", "nps_overview.html").read_text(encoding="utf-8")
    assert _nps_text([int(r[NPS_HEADER]) - 1 for r in rows]) in overview
    seg = _page(airline["out"], "2026Q3", "segments.html").read_text(encoding="utf-8")
    for label in CLASSES:  # every class by its own label, with its own NPS
        scores = [int(r[NPS_HEADER]) - 1 for r in rows if r[CLASS_HEADER] == label]
        assert label in seg and _nps_text(scores) in seg, label
    assert "Класс обслуживания" in seg and "Статус" in seg


def test_drivers_over_every_item_on_its_own_scale(airline):
    html = _page(airline["out"], "2026Q3", "drivers.html").read_text(encoding="utf-8")
    for header in AIRLINE_ITEMS:
        assert header in html, header
    data = report.load_quarter("2026Q3", airline["wh"], airline["study"])
    kd = drivers.key_drivers(data.responses, study=data.study, seed=0)
    cols = [f"f_{f}" for f in AIRLINE_ITEMS.values()]
    cc = data.responses[["nps", *cols]].dropna().astype(float)
    ols = sm.OLS(cc["nps"], sm.add_constant(cc[cols])).fit()
    assert kd.r2 == pytest.approx(ols.rsquared, abs=1e-10)  # independent: statsmodels
    assert kd.table["share"].sum() == pytest.approx(1.0, abs=1e-10)  # shares of R²
    top3 = set(kd.table["share"].nlargest(3).index)
    assert top3 == {f"f_{f}" for f in AIRLINE_DRIVERS}  # the planted drivers
    # performance on the item's own 0–100 scale and the common one agree (0–100 both)
    assert np.allclose(kd.table["mean_rating"], kd.table["mean_100"])
    # 18 items: the chart names the important ones only (the others crowd at the bottom)
    ax = kd.plot()
    named = ({a.get_text().removesuffix(" (uncertain)") for a in ax.texts}  # hollow points too
             - {"fix first", "keep up", "maintain", "low priority"})
    important = kd.table.loc[kd.table["share"] >= kd.importance_threshold, "label"]
    assert named == set(important) and 3 <= len(named) < 18


def test_targets_decided_from_the_interval(airline):
    """NPS ≥ −30 on web is met (the whole interval lies above −30); business class NPS ≥ 90
    is not met (the whole interval lies below 90); intervals computed by hand above."""
    rows = _quarter_rows(airline["export"], "2026Q3")
    every = [int(r[NPS_HEADER]) - 1 for r in rows]
    business = [int(r[NPS_HEADER]) - 1 for r in rows if r[CLASS_HEADER] == "Бизнес"]
    assert _nps_interval(every)[1] > -30 and _nps_interval(business)[2] < 90
    html = _page(airline["out"], "2026Q3", "quarterly_report.html").read_text(encoding="utf-8")
    assert "Цели квартала" in html
    assert len(re.findall(r">выполнена<", html)) == 1 and len(re.findall(r">не выполнена<", html)) == 1
    assert _nps_text(business) in html  # the figure the verdict comes from, with its n


# ----------------------------------------------------------------------------- reports from what exists

@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    d = tmp_path_factory.mktemp("retail")
    files = retailer_exports(d / "exports")
    wh = d / "warehouse.duckdb"
    io.ingest([files["responses"], files["complaints"]], warehouse=wh, study=files["study"])
    return {"files": files, "wh": wh, "dir": d}


def test_retailer_report_from_its_own_study(retail):
    out = retail["dir"] / "reports"
    res = report.render("2026Q3", warehouse=retail["wh"], out=out, study=retail["files"]["study"],
                        progress=False)
    names = [s.name for s in res.sections]
    assert names == ["quarterly_report", "nps_overview", "drivers", "segments", "complaints"]
    assert [t for t, _ in res.left_out] == ["Client cohorts", "What clients say"]
    why = dict(res.left_out)["What clients say"]  # the retailer's export has no comments
    assert "comment" in why and "theme" in why, why
    cmp = _page(out, "2026Q3", "complaints.html").read_text(encoding="utf-8")
    assert "Hotline" in cmp and "P1 (stops a store)" in cmp  # the study's labels
    qr = _page(out, "2026Q3", "quarterly_report.html").read_text(encoding="utf-8")
    assert "E-mail survey" in qr and "msk_01" in qr


def test_asking_for_sections_that_cannot_run_names_everything_missing_at_once(retail, tmp_path):
    from cxlab.report import ReportError

    with pytest.raises(ReportError) as info:
        report.render("2026Q3", warehouse=retail["wh"], out=tmp_path, study=retail["files"]["study"],
                      notebooks=["cohorts", "complaints"], progress=False)
    text = str(info.value)
    assert "no clients table" in text and "no visits table" in text
    assert "complaints" not in text.split("cohorts")[0]  # complaints can run: not listed
    assert not (tmp_path / "2026Q3").exists()  # nothing started


def test_notebook_rerender_keeps_the_other_sections(retail, tmp_path):
    st = retail["files"]["study"]
    first = report.render("2026Q3", warehouse=retail["wh"], out=tmp_path, study=st,
                          notebooks=["nps_overview", "segments"], progress=False)
    before = _page(tmp_path, "2026Q3", "segments.html").read_bytes()
    again = report.render("2026Q3", warehouse=retail["wh"], out=tmp_path, study=st,
                          notebooks=["nps_overview"], progress=False)
    assert [s.name for s in again.sections] == ["nps_overview", "segments"]
    assert _page(tmp_path, "2026Q3", "segments.html").read_bytes() == before
    index = _page(tmp_path, "2026Q3", "index.html").read_text(encoding="utf-8")
    assert "segments.html" in index and "nps_overview.html" in index
    manifest = json.loads(_page(tmp_path, "2026Q3", report.MANIFEST).read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["sections"]] == ["nps_overview", "segments"]
    assert first.sections[0].name == "nps_overview"


def test_quarter_without_complaints_renders_and_says_so(retail, tmp_path):
    """The complaints table exists but holds nothing in 2026Q3: a good quarter is not an error."""
    comp = pd.read_csv(retail["files"]["complaints"], dtype=str)
    early = comp[pd.to_datetime(comp["received_at"]) < "2026-07-01"]
    wh, st = _warehouse_of(retail, tmp_path, complaints=early,
                           responses=pd.read_csv(retail["files"]["responses"], dtype=str))
    res = report.render("2026Q3", warehouse=wh, out=tmp_path / "r", study=st,
                        notebooks=["complaints"], progress=False)
    html = _page(tmp_path / "r", "2026Q3", "complaints.html").read_text(encoding="utf-8")
    assert res.sections[0].name == "complaints"
    assert "No complaints" in html or "no complaints" in html


def test_sections_read_what_the_warehouse_holds(retail):
    held = sections.inspect(retail["wh"])
    st = load_study(retail["files"]["study"])
    assert sections.missing("drivers", held, st) == []
    lacks = sections.missing("cohorts", held, st)
    assert [x.key for x in lacks] == ["no_table", "no_table"]
    assert "no clients table" in str(lacks[0])


def _warehouse_of(retail, tmp_path, **tables):
    """A warehouse of the retailer's study holding these tables (name → DataFrame),
    written as CSV exports and ingested as a user would."""
    d = tmp_path / "exports"
    d.mkdir()
    for name, frame in tables.items():
        frame.to_csv(d / f"{name}.csv", index=False)
    wh = tmp_path / "w.duckdb"
    io.ingest([d / f"{name}.csv" for name in tables], warehouse=wh, study=retail["files"]["study"])
    return wh, retail["files"]["study"]


def test_a_quarter_without_factor_answers_leaves_drivers_out_with_the_reason(retail, tmp_path):
    """The questionnaire dropped its items in 2026Q3: drivers are left out of that quarter's
    report (not a failed run) and still render for 2026Q2."""
    resp = pd.read_csv(retail["files"]["responses"], dtype=str)
    late = pd.to_datetime(resp["submitted_at"]) >= "2026-07-01"
    resp.loc[late, ["f_staff", "f_queue", "f_price"]] = ""
    wh, st = _warehouse_of(retail, tmp_path, responses=resp)
    res = report.render("2026Q3", warehouse=wh, out=tmp_path / "r", study=st,
                        notebooks=None, progress=False)
    assert "drivers" not in [s.name for s in res.sections]
    assert dict(res.left_out)["What drives loyalty"] == "fewer than 2 loyalty factors have answers (0)"
    before = report.render("2026Q2", warehouse=wh, out=tmp_path / "r", study=st,
                           notebooks=["drivers"], progress=False)
    assert [s.name for s in before.sections] == ["drivers"]


def test_yes_no_survey_renders_the_share_who_would_recommend(retail, tmp_path):
    """A team that asks "would you recommend us: yes/no" (DOMAIN.md, binary NPS): no 0–10
    figure anywhere, the share of yes per channel with its Wilson interval (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    resp = pd.read_csv(retail["files"]["responses"], dtype=str)
    resp["recommend"] = np.where(resp.pop("nps").astype(int) >= 7, "да", "нет")
    wh, st = _warehouse_of(retail, tmp_path, responses=resp)
    res = report.render("2026Q3", warehouse=wh, out=tmp_path / "r", study=st, progress=False)
    assert [s.name for s in res.sections] == ["quarterly_report", "nps_overview", "segments"]
    assert "no values in column nps" in dict(res.left_out)["What drives loyalty"]
    html = _page(tmp_path / "r", "2026Q3", "quarterly_report.html").read_text(encoding="utf-8")
    q3 = resp[pd.to_datetime(resp["submitted_at"]).dt.to_period("Q").astype(str) == "2026Q3"]
    for channel in ("email", "app"):
        yes = q3.loc[q3["channel"] == channel, "recommend"].eq("да")
        lo, hi = proportion_confint(int(yes.sum()), len(yes), method="wilson")
        assert report.estimate_text(yes.mean(), lo, hi, 0, "en", scale=100, suffix="%") in html
    assert "yes/no only" in html


def test_readme_worked_example_runs_as_written(airline, tmp_path):
    """The README's study.yml and mapping.yml, copied as they are, with its two commands,
    on the survey tool's export: a report, and the sections it cannot have listed."""
    from typer.testing import CliRunner

    from cxlab.cli import app

    text = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"\*\*`(study\.yml|mapping\.yml)`\*\*.*?```yaml\n(.*?)```", text,
                             flags=re.S))
    assert set(blocks) == {"study.yml", "mapping.yml"}
    for name, body in blocks.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    commands = re.findall(r"^\.venv/bin/cxlab (ingest .*--map mapping\.yml.*|report --study study\.yml.*)$",
                          text, flags=re.M)
    assert len(commands) == 2
    export = tmp_path / "Выгрузка опроса.csv"
    export.write_bytes(airline["export"].read_bytes())
    wh, out = tmp_path / "w.duckdb", tmp_path / "reports"
    runner = CliRunner()
    for line in commands:
        args = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', line)]
        args = [str(tmp_path / a) if a in ("study.yml", "mapping.yml", export.name) else a
                for a in args]
        args = [str(wh) if a == "data/warehouse.duckdb" else a for a in args]
        if args[0] == "report":
            args += ["--out", str(out)]
        res = runner.invoke(app, args, catch_exceptions=False)
        assert res.exit_code == 0, res.output
    index = _page(out, "2026Q3", "index.html").read_text(encoding="utf-8")
    assert "drivers.html" in index and "segments.html" in index and "нет таблицы complaints" in index
