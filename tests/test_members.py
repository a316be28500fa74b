"""Who each published count of people counts: the members the analysis functions record
for the disclosure audit (cxlab.disclosure) when a ledger is active.

Every function whose result carries a count of people (answers, invitations, clients) is
run on the sample quarter with the arguments the notebooks use (notebooks/*.ipynb), and
for every row the number of distinct members recorded must equal the count shown
(:func:`cxlab.disclosure.check_members`). Without ``CXLAB_LEDGER`` nothing is recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import cohorts, complaints, disclosure, drivers, metrics, quality, targets
from cxlab.paths import SAMPLE_STUDY

try:  # the quarter's data as the notebooks load it (report.load_quarter)
    from cxlab.quarter import load_quarter
except ImportError:  # before the report package's split
    from cxlab.report import load_quarter
from cxlab.study import parse_study

QUARTER = "2026Q3"
MIN_N = 30
SEED = 0


@pytest.fixture(scope="module")
def data(sample_warehouse):
    return load_quarter(QUARTER, sample_warehouse, SAMPLE_STUDY)


@pytest.fixture(scope="module")
def every(data):
    """Every answer up to the quarter's end, read before any ledger is active (a report
    kernel refuses to read them: it takes the history as aggregates)."""
    return data.responses_all


@pytest.fixture
def ledger(monkeypatch, tmp_path):
    monkeypatch.setenv(disclosure.ENV, str(tmp_path / "l.jsonl"))
    assert disclosure.active()
    return tmp_path / "l.jsonl"


def check(table: pd.DataFrame, *columns: str) -> None:
    assert len(table), "nothing to check"
    for col in columns:
        disclosure.check_members(table, col)


def distinct(m: disclosure.Members) -> int:
    return len(set(map(str, m.ids)))


# ------------------------------------------------------------------------------ metrics

def test_nps_tables(data, ledger):
    check(metrics.nps_table(data.responses, min_n=MIN_N), "n")
    check(metrics.nps_table(data.responses, by="survey", min_n=MIN_N), "n")
    missing_keys = False
    for segment in data.segments:
        t = metrics.nps_table(data.responses, by=segment, min_n=MIN_N)
        check(t, "n")
        missing_keys |= bool(t.index.get_level_values(segment).isna().any())
    assert missing_keys, "a group of answers without a segment value is keyed by <NA> too"
    pooled = metrics.nps_table(data.responses, min_n=MIN_N, pool_channels=True)
    check(pooled, "n")
    assert distinct(disclosure.lookup(pooled, "n", "all")) == data.responses["nps"].notna().sum()


def test_binary_and_csi_tables(data, every, ledger):
    binary_all = every[every["recommend"].notna()]
    check(metrics.binary_nps_table(binary_all, by="quarter", min_n=MIN_N), "n")
    # as the notebooks call it: aggregates from the warehouse (blocks before the window)
    check(metrics.binary_nps_table(data.history("recommend"), min_n=MIN_N), "n")
    # the sample's yes/no answers are from earlier quarters: the quarter's calls
    # (notebooks) are checked on all of them
    binary = data.responses[data.responses["recommend"].notna()]
    if not len(binary):
        binary = binary_all
    check(metrics.binary_nps_table(binary, min_n=MIN_N), "n")
    for segment in data.segments:
        t = metrics.binary_nps_table(binary, by=segment, min_n=MIN_N)
        if len(t):
            check(t, "n")
    check(metrics.csi_table(data.responses, min_n=MIN_N, study=data.study), "n")


def test_response_rate(data, ledger):
    for by in ("channel", ["survey", "channel"], None):
        t = metrics.response_rate(data.responses, data.invitations, by=by, min_n=MIN_N)
        check(t, "invitations", "responses")
        key = t.index[0]
        assert disclosure.lookup(t, "invitations", key).population == "invitations"
        assert disclosure.lookup(t, "responses", key).population == "answers"


def test_nps_trend(data, every, ledger):
    trend = metrics.nps_trend(every, min_n=MIN_N)
    check(trend, "n")
    assert len(trend.index.get_level_values("quarter").unique()) > 1
    # as the notebooks call it: aggregates from the warehouse (blocks before the window)
    check(metrics.nps_trend(data.history("nps"), min_n=MIN_N), "n")


def test_compare_groups(data, ledger):
    versus = metrics.compare_groups(data.responses, group_col="channel",
                                    reference=data.channels[0], min_n=MIN_N)
    check(versus, "n", "ref_n")
    for segment in data.segments:
        check(metrics.compare_groups(data.responses, group_col=segment, min_n=MIN_N),
              "n", "ref_n")
    combined = metrics.compare_groups(data.responses, group_col=data.segments[0],
                                      min_n=MIN_N, combine_strata=True)
    check(combined, "n", "ref_n")
    rows = [k for k in combined.index if k[0] == "combined"]
    assert rows
    for key in rows:  # the union over the strata combined: those tested large-sample
        parts = [k for k in combined.index if k[0] != "combined" and k[1] == key[1]
                 and combined.loc[k, "in_family"] and np.isfinite(combined.loc[k, "se"])
                 and combined.loc[k, "se"] > 0]
        union = set().union(*(set(disclosure.lookup(combined, "n", k).ids) for k in parts))
        assert set(disclosure.lookup(combined, "n", key).ids) == union


# ------------------------------------------------------------------------------ quality

def test_interviewer_flags(data, ledger):
    interviewed = data.responses[data.responses["interviewer_id"].notna()
                                 & data.responses["nps"].notna()]
    channels = data.study.channels.order(interviewed["channel"].unique())
    assert len(channels)
    for channel in channels:
        t = quality.interviewer_flags(interviewed[interviewed["channel"] == channel],
                                      min_n=MIN_N)
        check(t, "n", "others_n")


# ------------------------------------------------------------------------------ cohorts

def test_cohort_sizes(data, ledger):
    members = cohorts.assign(data.clients, data.visits, asof=data.last_day, study=data.study)
    sizes = members.sum().to_frame("n")
    who = cohorts.cohort_members(members)
    disclosure.attach(sizes, "n", who)
    check(sizes, "n")
    assert all(m.population == "clients" for m in who.values())
    assert distinct(who[()]) == len(members)


def test_compare_cohorts(data, ledger):
    with_cohorts = cohorts.attach(data.responses, data.clients, data.visits, study=data.study)
    gaps = cohorts.compare_cohorts(with_cohorts, min_n=MIN_N)
    check(gaps.table, "n", "ref_n")
    check(cohorts.compare_cohorts(with_cohorts, metric="csat", min_n=MIN_N).table, "n", "ref_n")
    # against a named cohort: the parts are concatenated (their members merged)
    check(cohorts.compare_cohorts(with_cohorts, reference="active", min_n=MIN_N).table,
          "n", "ref_n")


@pytest.mark.parametrize("rows", ["first answers", "every answer"])
def test_promotion(data, every, ledger, rows):
    answers = data.first_answers() if rows == "first answers" else every  # the notebooks': first
    promo = cohorts.promotion(answers, data.clients, min_n=MIN_N)
    check(promo.table, "n", "doers")
    # referrals are families who joined naming a respondent: clients too
    check(promo.table.xs("referral", level="behaviour", drop_level=False), "count")
    assert promo.members is not None and promo.members.population == "clients"
    assert distinct(promo.members) == promo.n_respondents
    # respondents are families: the members are client ids from the clients table
    assert set(promo.members.ids) <= set(data.clients["client_id"].astype(str))


# ------------------------------------------------------------------------------ drivers

def test_key_drivers(data, ledger):
    kd = drivers.key_drivers(data.responses, seed=SEED, labels="en", study=data.study)
    assert kd.members is not None and kd.members.population == "answers"
    assert distinct(kd.members) == kd.n
    check(kd.table, "n_rated")
    pairwise = drivers.key_drivers(data.responses, missing="pairwise", n_boot=0,
                                   study=data.study)
    assert distinct(pairwise.members) == pairwise.n
    check(pairwise.table, "n_rated")


def test_robustness(data, ledger):
    check_ = drivers.robustness(data.responses, study=data.study)
    assert check_.members is not None and distinct(check_.members) == check_.n


def test_key_drivers_by(data, ledger):
    by_channel = drivers.key_drivers_by(data.responses, by="channel", min_n=MIN_N, seed=SEED,
                                        labels="en", study=data.study)
    n = by_channel.table.loc["n"]
    assert set(by_channel.members) == set(n.index)
    for segment, value in n.items():
        assert distinct(by_channel.members[segment]) == int(value), segment
    # segments too small to compute still have their usable rows recorded
    small = drivers.key_drivers_by(data.responses, by="teacher_id", min_n=MIN_N, n_boot=0,
                                   study=data.study)
    assert small.small
    for segment, value in small.table.loc["n"].items():
        assert distinct(small.members[segment]) == int(value), segment


# ------------------------------------------------------------------------------ complaints

def test_complaints_section(data, ledger):
    section = complaints.complaints_section(data.complaints, data.responses, data.clients,
                                            data.visits, QUARTER, min_n=MIN_N, study=data.study)
    check(section.volume, "n_active")
    assert all(disclosure.lookup(section.volume, "n_active", p).population == "clients"
               for p in section.volume.index)
    cn = section.complainant_nps
    check(cn, "n")
    for ch in cn.index.get_level_values("channel").unique():
        diff = disclosure.lookup(cn, "n", (ch, "difference"))
        smaller = min(("complained", "did_not_complain"),
                      key=lambda g: (cn.loc[(ch, g), "n"], g != "complained"))
        assert set(diff.ids) == set(disclosure.lookup(cn, "n", (ch, smaller)).ids)
    head = section.table
    rate = "complaints per 100 active clients"
    assert distinct(disclosure.lookup(head, "n", rate)) == head.loc[rate, "n"]


def test_complainant_nps_pooled(data, ledger):
    check(complaints.complainant_nps(data.responses, data.complaints, pool_channels=True,
                                     min_n=MIN_N, study=data.study), "n")


# ------------------------------------------------------------------------------ targets

def test_targets(data, ledger):
    goals = targets.evaluate(data.study, QUARTER, data.responses, data.invitations,
                             data.contacts, min_n=MIN_N)
    check(goals, "n")
    pops = {r.metric: disclosure.lookup(goals, "n", i).population
            for i, r in goals.iterrows()}
    assert pops["nps"] == "answers" and pops["response_rate"] == "invitations"


def test_targets_of_every_kind(data, ledger):
    import yaml

    raw = yaml.safe_load(SAMPLE_STUDY.read_text(encoding="utf-8"))
    raw["targets"] = {QUARTER: [
        {"metric": "nps", "channel": "phone", "at_least": 50},
        {"metric": "recommend", "channel": "messenger", "at_least": 50},
        {"metric": "csi_index", "channel": "web", "at_least": 80},
        {"metric": "response_rate", "at_least": 30},
        {"metric": "nps", "at_least": 30},  # several channels: no data (n = 0)
        {"metric": "fcr", "channel": "phone", "at_least": 70},
    ]}
    goals = targets.evaluate(parse_study(raw), QUARTER, data.responses, data.invitations,
                             data.contacts, min_n=MIN_N)
    people = goals[goals["metric"] != "fcr"]  # FCR counts contacts: events, no members
    check(people, "n")
    assert (goals["status"] == "no_data").any()
    fcr_rows = goals.index[goals["metric"] == "fcr"]
    assert all(disclosure.lookup(goals, "n", i) is None for i in fcr_rows)


def test_recorded_tables_survive_pandas(data, ledger):
    """pandas compares and copies ``attrs`` on concat (also inside nlargest …): the
    recorded members must neither break that nor be lost on the way."""
    a = metrics.nps_table(data.responses, by="survey", min_n=MIN_N)
    b = metrics.nps_table(data.responses, by=data.segments[0], min_n=MIN_N)
    a["n"].nlargest(2)
    a.describe()
    kept = pd.concat([a, a.sort_values("n")])
    assert "cx_members" in kept.attrs  # the same members: kept
    assert "cx_members" not in pd.concat([a, b]).attrs  # different: dropped, no error
    shown = a[a["n"] > 0].reset_index().set_index(a.index.names)
    check(shown, "n")


# ------------------------------------------------------------------------------ no ledger

def test_nothing_is_recorded_without_a_ledger(data, monkeypatch):
    monkeypatch.delenv(disclosure.ENV, raising=False)
    assert not disclosure.active()
    r = data.responses
    tables = [
        metrics.nps_table(r, min_n=MIN_N),
        metrics.binary_nps_table(r[r["recommend"].notna()], min_n=MIN_N),
        metrics.csi_table(r, min_n=MIN_N, study=data.study),
        metrics.response_rate(r, data.invitations, by="channel", min_n=MIN_N),
        metrics.nps_trend(data.responses_all, min_n=MIN_N),
        metrics.compare_groups(r, group_col="channel", reference=data.channels[0], min_n=MIN_N),
        quality.interviewer_flags(r[r["channel"] == "phone"], min_n=MIN_N),
        cohorts.compare_cohorts(cohorts.attach(r, data.clients, data.visits,
                                               study=data.study), min_n=MIN_N).table,
        targets.evaluate(data.study, QUARTER, r, data.invitations, data.contacts, min_n=MIN_N),
    ]
    promo = cohorts.promotion(data.responses_all, data.clients, min_n=MIN_N)
    kd = drivers.key_drivers(r, n_boot=0, study=data.study)
    section = complaints.complaints_section(data.complaints, data.responses_all, data.clients,
                                            data.visits, QUARTER, min_n=MIN_N, study=data.study)
    tables += [promo.table, kd.table, section.volume, section.complainant_nps, section.table]
    for t in tables:
        assert "cx_members" not in t.attrs
    assert promo.members is None and kd.members is None
    assert drivers.robustness(r, study=data.study).members is None
    assert drivers.key_drivers_by(r, by="channel", n_boot=0, study=data.study).members is None
