"""History as aggregates computed in the warehouse (cxlab.aggregates), checked against the
row-by-row computations they replace and against statsmodels.

* the sums → moments algebra (``_design.moments_from_sums``) against the rows' sandwich
  (``_design.group_moments``) on random clustered data, and against statsmodels'
  clustered OLS;
* the trend, the yes/no trend and the promotion test from the warehouse's aggregates
  against the same functions on every row — on the samples and on a survey tool's export
  without client ids on another scale (``tests/_exports.py``);
* the audit with block members reaches the decisions it reaches with every id;
* a report notebook never fetches an answer from before its window.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlab import _design, aggregates, cohorts, disclosure, io, metrics, quarter, report, schema
from cxlab.errors import DisclosureError, ParameterError

from _exports import airline_mapping, airline_study, survey_tool_export

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "samples" / "study.yml"
END = pd.Timestamp("2026-10-01")


def _close(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same index, columns and values (floats to 1e-12 relative: the aggregates' sums are
    exact integers, the rows' path rounds at every answer)."""
    pd.testing.assert_frame_equal(a, b, rtol=1e-12, atol=1e-12, check_dtype=False)
    assert a.attrs.get("assumption") == b.attrs.get("assumption")


# ---------------------------------------------------------------------- the algebra

@pytest.mark.parametrize("seed", range(4))
def test_moments_from_sums_equal_the_rows_sandwich(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    group = rng.integers(0, 5, n)
    client = rng.integers(0, 700, n).astype(object)
    client[rng.random(n) < 0.1] = None  # answers without an id: each its own client
    y = rng.choice([-1.0, 0.0, 1.0], n, p=[0.3, 0.3, 0.4])
    frame = pd.DataFrame({"client_id": pd.array(client, dtype="string")})
    d = _design.design(frame)
    rows = _design.group_moments(group, 5, y, np.ones(n, dtype=bool), d)
    # the sums, written out independently with pandas
    f = pd.DataFrame({"g": group, "c": client, "y": y})
    f["c"] = f["c"].where(f["c"].notna(), pd.Series([f"row{i}" for i in range(n)]))
    per = f.groupby(["g", "c"]).agg(nc=("y", "size"), T=("y", "sum"))
    per["t2"], per["tn"], per["n2"] = per["T"] ** 2, per["T"] * per["nc"], per["nc"] ** 2
    sums = per.groupby("g").agg(G=("nc", "size"), t2=("t2", "sum"), tn=("tn", "sum"),
                                n2=("n2", "sum"))
    by = f.groupby("g")["y"]
    m = _design.moments_from_sums(by.size(), by.sum().astype(int), (f["y"] ** 2).groupby(f["g"]).sum().astype(int),
                                  sums["G"], sums["t2"].astype(int), sums["tn"].astype(int),
                                  sums["n2"])
    for key in ("n", "clusters", "mean", "var", "var_srs", "deff"):
        np.testing.assert_allclose(m[key], rows[key], rtol=1e-12, err_msg=key)


def test_moments_from_sums_equal_statsmodels_clustered_ols(rng):
    n = 800
    client = rng.integers(0, 200, n)
    y = rng.choice([-1.0, 0.0, 1.0], n)
    fit = sm.OLS(y, np.ones(n)).fit(cov_type="cluster", cov_kwds={"groups": client})
    f = pd.DataFrame({"c": client, "y": y})
    per = f.groupby("c")["y"].agg(["size", "sum"])
    m = _design.moments_from_sums([n], [int(y.sum())], [int((y * y).sum())], [len(per)],
                                  [int((per["sum"] ** 2).sum())],
                                  [int((per["sum"] * per["size"]).sum())],
                                  [int((per["size"] ** 2).sum())])
    assert np.sqrt(m["var"][0]) == pytest.approx(fit.bse[0], rel=1e-10)


# ---------------------------------------------------------------------- the samples

@pytest.fixture(scope="module")
def rows(sample_warehouse):
    r = io.load("responses", sample_warehouse)
    return r.loc[r["submitted_at"] < END].reset_index(drop=True)


def test_trend_from_the_warehouse_equals_the_trend_from_every_row(sample_warehouse, rows):
    mo = aggregates.score_moments(sample_warehouse, "nps", upto=END)
    assert mo.clustered and mo.by == ("channel", "quarter")
    _close(metrics.nps_trend(mo), metrics.nps_trend(rows))
    _close(metrics.nps_table(mo), metrics.nps_table(rows, by="quarter"))


def test_a_trend_cell_equals_statsmodels_clustered_by_family(sample_warehouse, rows):
    # the independent reference: OLS of the −1/0/+1 score on a constant, clustered by client
    cell = rows[(rows["channel"] == "phone") & (rows["submitted_at"] >= "2026-07-01")
                & rows["nps"].notna()]
    y = np.select([cell["nps"] >= 9, cell["nps"] >= 7], [1.0, 0.0], -1.0)
    codes = pd.factorize(cell["client_id"])[0]
    fit = sm.OLS(y, np.ones(len(y))).fit(cov_type="cluster", cov_kwds={"groups": codes})
    t = metrics.nps_trend(aggregates.score_moments(sample_warehouse, "nps", upto=END))
    assert t.loc[("phone", "2026Q3"), "se"] == pytest.approx(100 * fit.bse[0], rel=1e-10)
    assert t.loc[("phone", "2026Q3"), "n"] == len(cell)


def test_yes_no_trend_from_the_warehouse_equals_the_rows(sample_warehouse, rows):
    mo = aggregates.score_moments(sample_warehouse, "recommend", upto=END,
                                  frame_notna="recommend")
    binary = rows[rows["recommend"].notna()]
    _close(metrics.binary_nps_table(mo), metrics.binary_nps_table(binary, by="quarter"))


def test_promotion_from_first_answers_equals_promotion_from_every_answer(sample_warehouse, rows):
    clients = io.load("clients", sample_warehouse)
    first = aggregates.first_scored_answers(sample_warehouse, upto=END)
    assert len(first) < len(rows) / 1.2  # the point: fewer rows (at most 2 per family and channel)
    a, b = cohorts.promotion(first, clients), cohorts.promotion(rows, clients)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    assert (a.channels, a.period, a.n_respondents) == (b.channels, b.period, b.n_respondents)


def test_aggregates_refuse_what_they_cannot_do(sample_warehouse):
    mo = aggregates.score_moments(sample_warehouse, "nps", upto=END)
    with pytest.raises(ParameterError, match="cannot regroup"):
        metrics.nps_table(mo, by="survey")
    with pytest.raises(ParameterError, match="yes/no answers"):
        metrics.binary_nps_table(mo)
    with pytest.raises(ParameterError, match="expected one of"):
        aggregates.score_moments(sample_warehouse, "csat")
    for kw in ({"cluster": None}, {"column": "csat"}):  # refused, never silently ignored
        with pytest.raises(ParameterError, match="cannot change that"):
            metrics.nps_trend(mo, **kw)
    with pytest.raises(ParameterError, match="cannot change that"):
        metrics.nps_table(mo, weights="w")


# ---------------------------------------------------------------------- a real-shaped export

@pytest.fixture(scope="module")
def airline(tmp_path_factory):
    """A survey tool's export: Russian headers, a 1–11 scale, no client ids, no response
    ids (generated at ingest), survey data only."""
    d = tmp_path_factory.mktemp("airline")
    export = survey_tool_export(d / "Выгрузка опроса 2026-10-01.csv")
    study, mapping = airline_study(d / "study.yml"), airline_mapping(d / "mapping.yml")
    wh = d / "warehouse.duckdb"
    io.ingest([export], warehouse=wh, mapping=mapping, study=study)
    return wh, study


def test_an_export_without_client_ids_gets_the_same_trend(airline):
    wh, study = airline
    mo = aggregates.score_moments(wh, "nps", upto=END)
    r = io.load("responses", wh, study=study)
    assert not mo.clustered and "independent" in metrics.nps_trend(mo).attrs["assumption"]
    _close(metrics.nps_trend(mo), metrics.nps_trend(r))
    data = quarter.load_quarter("2026Q3", wh, study)
    _close(metrics.nps_trend(data.history("nps")), metrics.nps_trend(data.responses_all))


# ---------------------------------------------------------------------- the audit

def _count(records, cid, ids, value=None, sizes=None, shown=True):
    rec = {"kind": "count", "id": cid, "population": "answers", "ids": [str(i) for i in ids],
           "value": len(ids) if value is None else value, "shown": shown,
           "reliability": None, "min_n": 30}
    if sizes:
        rec["sizes"] = sizes
    records.append(rec)


def test_blocks_are_audited_like_the_answers_they_stand_for():
    # a quarter's web answers (111) shown in the trend, the complainants among them (3)
    # hidden, the others (108) shown: by ids, and with the trend's cell as two blocks
    # the other pages count whole (the 3 complainants and the 108 others)
    by_ids = []
    _count(by_ids, "web", range(111))
    _count(by_ids, "complained", range(3), shown=False)
    _count(by_ids, "not", range(3, 111))
    b3, b108 = aggregates.BLOCK + "q|web|a", aggregates.BLOCK + "q|web|b"
    by_blocks = []
    _count(by_blocks, "web", [b3, b108], 111, {b3: 3, b108: 108})
    _count(by_blocks, "complained", [b3], 3, {b3: 3}, shown=False)
    _count(by_blocks, "not", [b108], 108, {b108: 108})
    a, b = disclosure.audit(by_ids, 5), disclosure.audit(by_blocks, 5)
    assert a.hide == b.hide and "complained" in b.hide and {"web", "not"} & b.hide
    assert list(a.intervals.values()) == list(b.intervals.values())


def test_a_block_with_two_sizes_or_a_wrong_total_refuses_the_audit():
    blk = aggregates.BLOCK + "q|web|1"
    recs = []
    _count(recs, "a", [blk], 40, {blk: 40})
    _count(recs, "b", [blk], 41, {blk: 41})
    with pytest.raises(DisclosureError, match="two sizes"):
        disclosure.audit(recs, 5)
    recs = []
    _count(recs, "a", [blk, "r1"], 42, {blk: 40})
    with pytest.raises(DisclosureError, match="does not match its members"):
        disclosure.audit(recs, 5)


def test_history_records_ids_in_the_window_and_blocks_before_it(sample_warehouse, monkeypatch,
                                                                 tmp_path, rows):
    monkeypatch.setenv(disclosure.ENV, str(tmp_path / "ledger.jsonl"))
    data = quarter.load_quarter("2026Q3", sample_warehouse, STUDY)
    t = metrics.nps_trend(data.history("nps"))
    disclosure.check_members(t, "n")  # every count has members adding up to it
    rows = rows.assign(quarter=schema.quarter_of(rows["submitted_at"]))
    for (ch, q), n in t["n"].items():
        m = disclosure.lookup(t, "n", (ch, q))
        if q >= "2025Q4":  # the window: the answers' own ids
            assert m.sizes is None
            want = rows[(rows["channel"] == ch) & (rows["quarter"] == q) & rows["nps"].notna()]
            assert set(m.ids) == set(want["response_id"].astype(str))
        else:
            assert m.sizes is not None and all(str(i).startswith(aggregates.BLOCK) for i in m.ids)
    # in a report kernel, no answer from before the window by its id
    with pytest.raises(DisclosureError, match="at most 4 quarters"):
        data.recent_responses(8)
    with pytest.raises(DisclosureError, match="only as aggregates"):
        data.responses_all


# ---------------------------------------------------------------------- what a report reads

def _run_notebook(name: str, warehouse: Path, spy: list) -> None:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    ns = {"display": lambda *a, **k: None}
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    code[0] += f"\nwarehouse = {str(warehouse)!r}\nstudy = {str(STUDY)!r}\n"
    for src in code:
        exec(compile(src, name, "exec"), ns)


@pytest.mark.parametrize("name", ["quarterly_report", "nps_overview", "drivers", "segments",
                                  "cohorts", "complaints"])
def test_a_report_notebook_never_fetches_answers_before_its_window(name, sample_warehouse,
                                                                   monkeypatch):
    """Every frame a notebook fetches from the warehouse, through `io.load` or the
    aggregates: answers only from the trailing four quarters (row by row), and history
    only as aggregates — at most one row per channel × quarter (× flags), or one per
    client and channel (the first and last answers promotion needs); and never the clients'
    contact details. (Clients, visits and complaints up to the quarter's end are still
    read whole where a notebook uses them: see the module docstring of cxlab.aggregates.)"""
    from cxlab import warehouse as wh

    data = quarter.load_quarter("2026Q3", sample_warehouse, STUDY)
    start = data.window_start()
    every = data.responses_all
    fetched = []
    real = wh._to_pandas

    def spy(table):
        df = real(table)
        fetched.append(df)
        return df

    monkeypatch.setattr(wh, "_to_pandas", spy)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _run_notebook(name, sample_warehouse, fetched)
    monkeypatch.setattr(wh, "_to_pandas", real)
    window = int((every["submitted_at"] >= start).sum())
    groups = every.groupby(["channel", "quarter"]).ngroups
    first = {"response_id", "client_id", "submitted_at", "channel", "nps"}
    answers = [f for f in fetched if "submitted_at" in f.columns and len(f)
               and set(f.columns) != first]
    assert answers, "the notebook reads the quarter's answers"
    for f in fetched:
        if set(f.columns) == first:  # each client's first and last answer per channel
            scored = every[every["nps"].notna()]
            assert len(f) <= 2 * scored.groupby(["client_id", "channel"]).ngroups
    for f in answers:
        assert f["submitted_at"].min() >= start, "an answer from before the window was fetched"
        assert len(f) <= window
    contact = set(schema.TABLES["clients"].personal_columns)
    for f in fetched:
        if "response_id" not in f.columns and "client_id" not in f.columns:
            assert len(f) <= 4 * groups  # aggregates: a row per group (and flags)
        assert not contact & set(f.columns), "a report kernel read clients' contact details"
    assert report.load_quarter is quarter.load_quarter
