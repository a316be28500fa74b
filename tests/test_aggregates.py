"""History as aggregates computed in the warehouse (cxlab.aggregates), checked against the
row-by-row computations they replace and against statsmodels.

* the sums → moments algebra (``_design.moments_from_sums``) against the rows' sandwich
  (``_design.group_moments``) on random clustered data, and against statsmodels'
  clustered OLS;
* the trend, the yes/no trend and the promotion test from the warehouse's aggregates
  against the same functions on every row — on the samples and on a survey tool's export
  without client ids on another scale (``tests/_exports.py``);
* the audit with block members reaches the decisions it reaches with every id;
* the cohort features and the active clients from the warehouse (a batch of points at a
  time) against ``cohorts.features_at`` and ``complaints.rate_per_100_active`` on the
  frames, exactly — on the samples and on a retailer's tables (no ``cohorts → by``, visits
  by store, clients without source or referrals), members included;
* a report notebook never fetches an answer from before its window, nor the visits, nor
  a frame larger than the quarter's rows plus one row per client.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlab import (
    _design,
    aggregates,
    cohorts,
    complaints,
    disclosure,
    io,
    metrics,
    quarter,
    report,
    schema,
)
from cxlab.errors import DisclosureError, ParameterError

from _exports import (
    RETAIL_STORES,
    airline_mapping,
    airline_study,
    retailer_exports,
    survey_tool_export,
)

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


def test_a_quarter_reads_invitations_and_contacts_only_when_used(sample_warehouse,
                                                                  monkeypatch):
    from cxlab import warehouse as wh

    fetched, real = [], wh._to_pandas
    monkeypatch.setattr(wh, "_to_pandas", lambda t: fetched.append(real(t)) or fetched[-1])
    data = quarter.load_quarter("2026Q3", sample_warehouse, STUDY)
    assert [set(f.columns) >= {"response_id", "nps"} for f in fetched] == [True]
    inv, con = data.invitations, data.contacts
    assert len(fetched) == 3 and data.invitations is inv  # read once, then kept
    # the same rows as the tables read whole and cut to the quarter (and FCR's windows)
    every = wh.load("invitations", sample_warehouse, study=STUDY)
    want = every[(every["sent_at"] >= data.start) & (every["sent_at"] < data.end)]
    pd.testing.assert_frame_equal(inv, want.reset_index(drop=True))
    c = wh.load("contacts", sample_warehouse, study=STUDY)
    week = pd.Timedelta(days=7)
    assert len(con) == int(c["opened_at"].between(data.start - week, data.end + week,
                                                  inclusive="left").sum())
    assert set(con["quarter"].dropna()) >= {"2026Q3"}


def test_recent_responses_of_some_columns_are_the_same_answers(sample_warehouse):
    data = quarter.load_quarter("2026Q3", sample_warehouse, STUDY)
    every = data.recent_responses(4)
    cols = ["response_id", "client_id", "nps", "f_safety", "no_such_column"]
    some = data.recent_responses(4, columns=cols)
    assert list(some.columns) == ["submitted_at", "response_id", "client_id", "nps",
                                  "f_safety", "quarter"]  # a column not stored is left out
    pd.testing.assert_frame_equal(some, every[some.columns])
    one = data.recent_responses(1, columns=cols)
    pd.testing.assert_frame_equal(one, data.responses[one.columns])


# ---------------------------------------------------------------------- clients and visits

@pytest.fixture(scope="module")
def sample_quarter(sample_warehouse):
    return quarter.load_quarter("2026Q3", sample_warehouse, STUDY)


@pytest.fixture
def small_batches(monkeypatch):
    """Points a few dozen at a time, so that every test crosses batch boundaries."""
    monkeypatch.setattr(aggregates, "BATCH_ROWS", 97)


def _edge_points(data) -> pd.DataFrame:
    """The quarter's answers at their moments, and the days on either side of every
    window edge of some visits: the visit's own day and the day before (``asof`` counts),
    ``recent_days`` and one more day after it (a visit 365 days back is recent, 366 not),
    a client no table knows, a day before any visit."""
    r = data.responses
    answers = pd.DataFrame({"client_id": r["client_id"], "asof": r["submitted_at"]}).dropna()
    v = data.visits.iloc[::7]
    days = [pd.Timedelta(days=k) for k in (0, -1, data.study.recent_days,
                                           data.study.recent_days + 1)]
    edges = pd.concat([pd.DataFrame({"client_id": v["client_id"], "asof": v["visit_date"] + d})
                       for d in days])
    other = pd.DataFrame({"client_id": ["nobody", answers["client_id"].iloc[0]],
                          "asof": pd.to_datetime(["2026-09-30", "2020-01-01"])})
    pts = pd.concat([answers, edges, other], ignore_index=True)
    return pts.set_index(pd.Index(np.arange(len(pts))[::-1] * 3, name="point"))  # not 0…n


def test_visit_features_from_the_warehouse_equal_features_at(sample_quarter, small_batches):
    data = sample_quarter
    pts = _edge_points(data)
    rows = cohorts.features_at(data.clients, data.visits, pts, study=data.study)
    warehouse = cohorts.features_at(data, None, pts, study=data.study)
    pd.testing.assert_frame_equal(warehouse, rows)
    pd.testing.assert_frame_equal(data.visit_features(pts), rows)
    assert {"n_camp_recent", "n_hike", "n_workshop"} <= set(rows.columns)
    assert rows["n_visits_recent"].between(1, rows["n_visits"] - 1).any()  # windows bite
    # what the engine returns, column by column, before the days are added
    codes = aggregates.visit_codes(data.warehouse, "programme", upto=data.end)
    raw = aggregates.visit_features(data.warehouse, pts.assign(asof=rows["asof"]), 365,
                                    by="programme", codes=codes, upto=data.end)
    assert list(raw.index) == list(pts.index) and codes == ["camp", "hike", "workshop"]
    pd.testing.assert_frame_equal(raw, rows[raw.columns])


def test_cohorts_from_the_warehouse_equal_cohorts_from_the_frames(sample_quarter,
                                                                  small_batches):
    data = sample_quarter
    a = cohorts.assign(data, study=data.study)  # asof: the quarter's last day
    b = cohorts.assign(data.clients, data.visits, data.last_day, study=data.study)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs and len(a) > 20 * 97  # many batches
    # a rule that compares a client with the others sees every client at once
    extra = {"busy": "n_visits > n_visits.median()", "late": lambda f: f["n_visits"] > 3}
    a = cohorts.assign(data, asof="2026-08-15", extra=extra, study=data.study)
    b = cohorts.assign(data.clients, data.visits, "2026-08-15", extra=extra, study=data.study)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(cohorts.features(data, None, "2026-08-15", study=data.study),
                                  cohorts.features(data.clients, data.visits, "2026-08-15",
                                                   study=data.study))
    r = data.responses
    for kw in ({}, {"extra": extra}):
        pd.testing.assert_frame_equal(cohorts.attach(r, data, study=data.study, **kw),
                                      cohorts.attach(r, data.clients, data.visits,
                                                     study=data.study, **kw))
    first = data.first_answers()
    for window in ("after", "overall"):
        p = cohorts.promotion(first, data, count_window=window)
        q = cohorts.promotion(first, data.clients, count_window=window)
        pd.testing.assert_frame_equal(p.table, q.table)
        pd.testing.assert_frame_equal(p.tests, q.tests)


def test_which_rules_are_decided_per_client():
    assert all(r.per_client for r in cohorts.COHORT_RULES.values())
    assert all(r.per_client for r in cohorts.study_rules(STUDY).values())
    chosen = cohorts._rules([], {"a": "n_visits >= 2 and not referred",
                                 "b": "n_visits > n_visits.mean()", "c": "`n visits` > 1",
                                 "d": lambda f: f["n_visits"] > 1}, None)
    assert {k: r.per_client for k, r in chosen.items()} == {"a": True, "b": False,
                                                            "c": False, "d": False}


def test_a_quarter_data_is_passed_for_both_tables_or_neither(sample_quarter):
    data = sample_quarter
    with pytest.raises(ParameterError, match="visits left out"):
        cohorts.assign(data, data.visits)
    with pytest.raises(ParameterError, match="expected both frames"):
        cohorts.attach(data.responses, data.clients, data)
    with pytest.raises(ParameterError, match="visits: expected a DataFrame"):
        cohorts.assign(data.clients, asof="2026-09-30")
    with pytest.raises(ParameterError, match="asof: expected a date"):
        cohorts.assign(data.clients, data.visits)


def _members_of(table, column):
    return {k: set(map(str, disclosure.lookup(table, column, k).ids)) for k in table.index}


def test_active_clients_from_the_warehouse_equal_rate_per_100_active(sample_quarter,
                                                                     monkeypatch, tmp_path):
    data = sample_quarter
    c = data.complaints
    for kw in ({}, {"freq": "M"}, {"periods": ["2023Q1", "2026Q3", "2026Q4"]},
               {"origin": "external"}):
        pd.testing.assert_frame_equal(complaints.rate_per_100_active(c, data, **kw),
                                      complaints.rate_per_100_active(c, data.visits, **kw))
    with pytest.raises(ParameterError, match="expected 'Q'"):
        complaints.rate_per_100_active(c, data, freq="W")
    # in a report kernel: the same clients behind every n_active, one period at a time
    monkeypatch.setenv(disclosure.ENV, str(tmp_path / "ledger.jsonl"))
    a = complaints.rate_per_100_active(c, data, periods=["2023Q2", "2025Q1", "2026Q3"])
    b = complaints.rate_per_100_active(c, data.visits, periods=["2023Q2", "2025Q1", "2026Q3"])
    disclosure.check_members(a, "n_active")
    assert _members_of(a, "n_active") == _members_of(b, "n_active")
    assert a.loc["2023Q2", "n_active"] == 0 and a.loc["2026Q3", "n_active"] > 500
    s = complaints.complaints_section(c, data.responses, data, data, "2026Q3",
                                      study=data.study)
    t = complaints.complaints_section(c, data.responses, data.clients, data.visits, "2026Q3",
                                      study=data.study)
    for part in ("volume", "by_category", "by_channel", "complainant_nps", "table"):
        pd.testing.assert_frame_equal(getattr(s, part), getattr(t, part))
    assert _members_of(s.volume, "n_active") == _members_of(t.volume, "n_active")
    with pytest.raises(ParameterError, match="not in the clients table"):
        complaints.complaints_section(c.assign(client_id="nobody"), None, data, data,
                                      "2026Q3", study=data.study)


@pytest.fixture(scope="module")
def retailer(tmp_path_factory):
    """A retailer's warehouse: its survey and incident log (tests/_exports.py) with its
    clients — a join date only, some unknown, some after the quarter — and visits by
    store (a segment; the study names no ``cohorts → by``), some by families the clients
    table lacks, some after the quarter."""
    d = tmp_path_factory.mktemp("retailer")
    paths = retailer_exports(d)
    rng = np.random.default_rng(29)
    ids = [f"K{i:04d}" for i in range(1500)]
    joined = pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 600, len(ids)), "D")
    clients = pd.DataFrame({"client_id": ids, "joined_on": joined.strftime("%Y-%m-%d")})
    clients.loc[rng.random(len(ids)) < 0.05, "joined_on"] = ""
    n = 12000
    when = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    visits = pd.DataFrame({"visit_id": [f"V{i:05d}" for i in range(n)],
                           "client_id": rng.choice([*ids, "K9998", "K9999"], n),
                           "visit_date": when.strftime("%Y-%m-%d"),
                           "store": rng.choice([*RETAIL_STORES, ""], n)})
    clients.to_csv(d / "clients.csv", index=False)
    visits.to_csv(d / "visits.csv", index=False)
    wh = d / "warehouse.duckdb"
    io.ingest([paths["responses"], paths["complaints"], d / "clients.csv", d / "visits.csv"],
              warehouse=wh, study=paths["study"])
    return quarter.load_quarter("2026Q3", wh, paths["study"])


@pytest.fixture(scope="module")
def retailer_bare(retailer, tmp_path_factory):
    """The retailer's warehouse with a clients table of ids and join dates only (a
    warehouse written by another tool: no source or referred_by column at all)."""
    import shutil

    import duckdb

    wh = tmp_path_factory.mktemp("retailer-bare") / "warehouse.duckdb"
    shutil.copy(retailer.warehouse, wh)
    con = duckdb.connect(str(wh))
    try:
        for col in ("source", "referred_by"):
            con.execute(f"ALTER TABLE clients DROP COLUMN {col}")
    finally:
        con.close()
    return quarter.load_quarter("2026Q3", wh, retailer.study.source)


@pytest.mark.parametrize("name", ["retailer", "retailer_bare"])
def test_a_retailers_features_and_active_clients_equal_the_frames(name, request,
                                                                  small_batches):
    data = request.getfixturevalue(name)
    assert data.study.cohort_by is None and "store" in data.visits.columns
    stored = [c for c in ("source", "referred_by") if c in data.clients.columns]
    assert stored == ([] if name == "retailer_bare" else ["source", "referred_by"])
    assert data.clients[stored].isna().all().all()  # no source, nobody referred
    assert (data.visits["visit_date"] >= data.end).sum() == 0  # nothing after the quarter
    pts = _edge_points(data)
    for by in (None, "store"):
        rows = cohorts.features_at(data.clients, data.visits, pts, by=by, study=data.study)
        pd.testing.assert_frame_equal(cohorts.features_at(data, None, pts, by=by,
                                                          study=data.study), rows)
    assert [c for c in rows.columns if c.startswith("n_") and c.endswith("recent")] == [
        "n_visits_recent", *[f"n_{s}_recent" for s in sorted(RETAIL_STORES)]]
    assert rows["source"].isna().all() and not rows["referred"].any()
    a = cohorts.assign(data, study=data.study)
    pd.testing.assert_frame_equal(a, cohorts.assign(data.clients, data.visits, data.last_day,
                                                    study=data.study))
    assert a["never_attended"].any() and a["lapsed"].any()
    r = data.responses
    pd.testing.assert_frame_equal(cohorts.attach(r, data, study=data.study),
                                  cohorts.attach(r, data.clients, data.visits,
                                                 study=data.study))
    c = data.complaints
    for freq in ("Q", "M"):
        pd.testing.assert_frame_equal(complaints.rate_per_100_active(c, data, freq=freq),
                                      complaints.rate_per_100_active(c, data.visits, freq=freq))
    s = complaints.complaints_section(c, None, data, data, "2026Q3", study=data.study)
    t = complaints.complaints_section(c, None, data.clients, data.visits, "2026Q3",
                                      study=data.study)
    pd.testing.assert_frame_equal(s.volume, t.volume)
    pd.testing.assert_frame_equal(s.by_channel, t.by_channel)


# ---------------------------------------------------------------------- what a report reads

def _run_notebook(name: str, warehouse: Path, spy: list) -> None:
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    ns = {"display": lambda *a, **k: None}
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    code[0] += f"\nwarehouse = {str(warehouse)!r}\nstudy = {str(STUDY)!r}\n"
    for src in code:
        exec(compile(src, name, "exec"), ns)


@pytest.mark.parametrize("name, ledger", [
    *[(n, False) for n in ("quarterly_report", "nps_overview", "drivers", "segments",
                           "cohorts", "complaints")],
    # in a report kernel the ledger asks for the clients behind each count as well
    *[(n, True) for n in ("quarterly_report", "cohorts", "complaints")]])
def test_a_report_notebook_never_fetches_answers_before_its_window(name, ledger,
                                                                   sample_warehouse,
                                                                   monkeypatch, tmp_path):
    """Every frame a notebook fetches from the warehouse, through `io.load` or the
    aggregates: answers only from the trailing four quarters (row by row), and history
    only as aggregates — at most one row per channel × quarter (× flags), or one per
    client and channel (the first and last answers promotion needs); never the clients'
    contact details; never a visit; and no frame larger than the quarter's rows plus one
    row per client (the cohort features of every client at the quarter's end, a batch at
    a time). Complaints up to the quarter's end are read whole (an event log)."""
    from cxlab import warehouse as wh

    data = quarter.load_quarter("2026Q3", sample_warehouse, STUDY)
    start = data.window_start()
    every = data.responses_all
    n_clients, n_visits = len(data.clients), len(data.visits)
    limit = max(len(data.responses), len(data.invitations), len(data.contacts)) + n_clients
    fetched = []
    real = wh._to_pandas

    def spy(table):
        df = real(table)
        fetched.append(df)
        return df

    monkeypatch.setattr(wh, "_to_pandas", spy)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if ledger:
        monkeypatch.setenv(disclosure.ENV, str(tmp_path / "ledger.jsonl"))
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
        if "_pos" in f.columns:  # cohort features of a batch of points
            assert len(f) <= min(aggregates.BATCH_ROWS, max(len(data.responses), n_clients))
        elif "response_id" not in f.columns and "client_id" not in f.columns:
            assert len(f) <= 4 * groups  # aggregates: a row per group (and flags)
        assert not contact & set(f.columns), "a report kernel read clients' contact details"
        assert not {"visit_id", "visit_date"} & set(f.columns), "a visit was fetched"
        assert len(f) <= limit < n_visits, "more than the quarter's rows and its clients"
    if name in ("cohorts", "complaints"):
        assert any(set(f.columns) == {"client_id"} for f in fetched)  # ids, not visits
    assert report.load_quarter is quarter.load_quarter
