"""Tests of cxlab.cohorts: cohort rules on hand-made tables whose membership is known,
attach() against a brute-force loop, comparisons against hand formulas, and the planted
truths of the sample data (cxlab.samples.TRUTHS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reference_stats import square_and_add, tango_brute
from scipy import stats

from cxlab import cohorts as co
from cxlab import paths
from cxlab.errors import ParameterError
from cxlab.study import load_study, parse_study

#: The sample business's study (tests/conftest.py makes it the default): its own cohorts
#: camp, hike and workshop_only are expressions over n_<programme> features.
SAMPLE = load_study(paths.SAMPLE_STUDY)

ASOF = pd.Timestamp("2026-06-30")  # quarter 2026Q2 starts 2026-04-01


def ago(days: int) -> pd.Timestamp:
    return ASOF - pd.Timedelta(days=days)


# ------------------------------------------------------------------ hand-made tables
# Built-in cohorts (active … repeat) and the sample study's rules (camp, hike,
# workshop_only over the visits column 'programme'):
#   A  last visit exactly 90 days before asof (threshold day) → active; camp 364 days ago
#   B  one workshop 91 days before → lapsed, workshop_only
#   C  joined in May, visits only AFTER asof → never_attended (the future must not leak)
#   D  joined after asof → left out
#   E  workshop, camp exactly 365 days ago, hike 51 days ago → active, camp, hike, repeat
#   F  first visit in the quarter, second on asof itself → active, new, repeat, workshop_only
#   G  one camp 366 days ago → lapsed, not camp (just outside the 365-day window)
#   H  registered interest, never came → never_attended
#   I  one workshop on the first day of the quarter, 90 days ago → active, new
EXPECTED = pd.DataFrame(
    {
        #                A      B      C      E      F      G      H      I
        "active":        [1, 0, 0, 1, 1, 0, 0, 1],
        "lapsed":        [0, 1, 0, 0, 0, 1, 0, 0],
        "never_attended": [0, 0, 1, 0, 0, 0, 1, 0],
        "new":           [0, 0, 0, 0, 1, 0, 0, 1],
        "repeat":        [1, 0, 0, 1, 1, 0, 0, 0],
        "camp":          [1, 0, 0, 1, 0, 0, 0, 0],
        "hike":          [0, 0, 0, 1, 0, 0, 0, 0],
        "workshop_only": [0, 1, 0, 0, 1, 0, 0, 1],
    },
    index=pd.Index(list("ABCEFGHI"), name="client_id"),
).astype(bool)


@pytest.fixture
def clients():
    return pd.DataFrame({
        "client_id": list("ABCDEFGHI"),
        "joined_on": pd.to_datetime(["2025-01-10", "2025-02-01", "2026-05-01", "2026-07-15",
                                     "2024-11-01", "2026-04-02", "2025-05-01", "2025-01-01",
                                     "2026-03-20"]),
        "source": ["ads", "referral", "maps", "ads", "search", "referral", "ads", "event",
                   "social"],
        "referred_by": [None, "A", None, "A", None, "E", None, None, None],
        "parent_name": ["Анна", "Борис", "Вера", "Глеб", "Ева", "Фёдор", "Галина", "Хельга",
                        "Ирина"],
        "phone": [f"+7 900 000-00-0{i}" for i in range(9)],
        "email": [f"{c.lower()}@example.ru" for c in "ABCDEFGHI"],
    })


@pytest.fixture
def visits():
    rows = [
        ("A", ago(364), "camp"), ("A", ago(90), "workshop"),
        ("B", ago(91), "workshop"),
        ("C", ASOF + pd.Timedelta(days=5), "camp"),
        ("D", ASOF + pd.Timedelta(days=20), "workshop"),
        ("E", pd.Timestamp("2024-12-01"), "workshop"), ("E", ago(365), "camp"),
        ("E", ago(51), "hike"),
        ("F", pd.Timestamp("2026-04-02"), "workshop"), ("F", ASOF, "workshop"),
        ("G", ago(366), "camp"),
        ("I", pd.Timestamp("2026-04-01"), "workshop"),
    ]
    return pd.DataFrame({
        "visit_id": [f"V{i}" for i in range(len(rows))],
        "client_id": [r[0] for r in rows],
        "visit_date": [r[1] for r in rows],
        "programme": [r[2] for r in rows],
        "activity": "Гончарная мастерская",
    })


def test_dates_in_the_fixture_are_the_edges_they_claim():
    # the threshold days are computed, but say them in calendar terms once
    assert ago(90) == pd.Timestamp("2026-04-01") == pd.Period(ASOF, "Q").start_time
    assert ago(365) == pd.Timestamp("2025-06-30")


def test_assign_matches_hand_made_membership(clients, visits):
    got = co.assign(clients, visits, ASOF)
    pd.testing.assert_frame_equal(got.sort_index(), EXPECTED, check_names=False)
    assert "D" not in got.index  # joined after asof


def test_threshold_day_is_active_and_next_day_lapsed(clients, visits):
    f = co.features(clients, visits, ASOF)
    assert f.loc["A", "days_since_last_visit"] == 90
    assert f.loc["B", "days_since_last_visit"] == 91
    got = co.assign(clients, visits, ASOF)
    assert got.loc["A", "active"] and not got.loc["A", "lapsed"]
    assert got.loc["B", "lapsed"] and not got.loc["B", "active"]
    # one day later A crosses the threshold too
    later = co.assign(clients, visits, ASOF + pd.Timedelta(days=1))
    assert later.loc["A", "lapsed"]
    # a shorter threshold moves the boundary with it
    short = co.assign(clients, visits, ASOF, lapsed_after_days=89)
    assert short.loc["A", "lapsed"]


def test_future_visits_do_not_leak(clients, visits):
    f = co.features(clients, visits, ASOF)
    assert f.loc["C", "n_visits"] == 0 and pd.isna(f.loc["C", "last_visit"])
    assert f.loc["F", "n_visits"] == 2  # the visit on asof itself counts
    # after C's camp, C is active and a camper
    later = co.assign(clients, visits, ASOF + pd.Timedelta(days=10))
    assert later.loc["C", ["active", "camp"]].all() and not later.loc["C", "never_attended"]


def test_cohort_sizes_add_up(clients, visits):
    got = co.assign(clients, visits, ASOF)
    joined = (clients["joined_on"] <= ASOF).sum()
    parts = got[["active", "lapsed", "never_attended"]]
    assert (parts.sum(axis=1) == 1).all()  # a partition: exactly one each
    assert parts.to_numpy().sum() == joined == len(got) == 8
    # a client in several cohorts
    assert got.loc["E"][got.loc["E"]].index.tolist() == ["active", "repeat", "camp", "hike"]


def test_features_referrals_and_source(clients, visits):
    f = co.features(clients, visits, ASOF)
    # A was named by B (joined 2025-02-01) and D (joined after asof: not yet)
    assert f.loc["A", "n_referrals"] == 1
    assert f.loc["E", "n_referrals"] == 1
    assert f.loc["B", "referred"] and not f.loc["A", "referred"]
    assert f.loc["E", "n_camp"] == 1 and f.loc["E", "n_camp_recent"] == 1
    assert f.loc["G", "n_camp"] == 1 and f.loc["G", "n_camp_recent"] == 0
    assert set(co.FEATURE_COLUMNS) <= set(f.columns) | {"client_id"}


def test_user_defined_cohorts_without_editing_the_package(clients, visits):
    got = co.assign(
        clients, visits, ASOF, rules=["lapsed"],
        extra={
            "gone_camper": "n_camp > 0 and days_since_last_visit > 90",
            "came_by_referral": "referred and n_visits > 0",
            "big_family": lambda f: f["n_visits"] >= 3,
            "ads": co.Rule("ads", "came from ads", lambda f, p: f["source"] == "ads"),
        },
    )
    assert list(got.columns) == ["lapsed", "gone_camper", "came_by_referral", "big_family", "ads"]
    assert got.index[got["gone_camper"]].tolist() == ["G"]
    assert sorted(got.index[got["came_by_referral"]]) == ["B", "F"]
    assert sorted(got.index[got["big_family"]]) == ["E"]
    assert sorted(got.index[got["ads"]]) == ["A", "G"]


@pytest.mark.parametrize("extra, words", [
    ({"x": "n_visits >>= 2"}, "cannot evaluate"),
    ({"x": "n_visits + 1"}, "expected True/False"),
    ({"x": "no_such_column > 1"}, "n_visits"),
    ({"bad name": "n_visits > 1"}, "valid column name"),
    ({"x": 3}, "boolean expression"),
])
def test_bad_user_cohorts_raise_clear_errors(clients, visits, extra, words):
    with pytest.raises(ParameterError, match=words):
        co.assign(clients, visits, ASOF, extra=extra)


def test_bad_arguments(clients, visits):
    with pytest.raises(ParameterError, match="asof"):
        co.assign(clients, visits, "not a date")
    with pytest.raises(ParameterError, match="lapsed_after_days"):
        co.assign(clients, visits, ASOF, lapsed_after_days=0)
    with pytest.raises(ParameterError, match="unknown cohort"):
        co.assign(clients, visits, ASOF, rules=["lapsd"])
    with pytest.raises(ParameterError, match="visit_date"):
        co.assign(clients, visits.drop(columns="visit_date"), ASOF)
    with pytest.raises(ParameterError, match="more than once"):
        co.assign(pd.concat([clients, clients.iloc[:1]]), visits, ASOF)


# ------------------------------------------------------------------ the study's cohorts

#: A retailer: stores as a segment of its visits (purchases), its own cohort over them,
#: a 30-day lapsed window and a 180-day recent window.
RETAIL = parse_study({
    "name": "Acme retail",
    "channels": {"email": {"en": "E-mail", "kind": "written"}, "app": {"en": "App"}},
    "segments": {"store": {}},
    "cohorts": {
        "lapsed_after_days": 30, "recent_days": 180, "by": "store",
        "rules": {"mitte_regular": {"rule": "n_mitte_recent >= 2",
                                     "en": "Regulars of the Mitte store"}},
    },
}, source="retail-study.yml")


@pytest.fixture
def purchases(visits):
    # the hand-made visits as purchases in two stores, row by row: A's visit 90 days ago,
    # E's first visit (2024) and its visit 51 days ago, and both of F's are in Mitte
    stores = ["spandau", "mitte",      # A: 364 and 90 days ago
              "spandau",               # B
              "spandau", "spandau",    # C, D (after asof)
              "mitte", "spandau", "mitte",  # E: 2024-12-01, 365 and 51 days ago
              "mitte", "mitte",        # F: 2 April and asof
              "spandau", "spandau"]    # G, I
    assert len(stores) == len(visits)
    return visits.assign(store=stores)


def test_study_rule_and_its_features(clients, purchases):
    got = co.assign(clients, purchases, ASOF, study=RETAIL)
    # the built-ins, then the retailer's own cohort — no sample-business cohort
    assert list(got.columns) == list(co.COHORT_RULES) + ["mitte_regular"]
    f = co.features(clients, purchases, ASOF, study=RETAIL)
    assert {"n_mitte", "n_spandau", "n_mitte_recent"} <= set(f.columns)
    assert not any(c.startswith(("n_camp", "n_hike", "n_workshop")) for c in f.columns)
    # Mitte visits within 180 days: F on 2 Apr and on asof → 2; E 51 days ago → 1 (its
    # Mitte visit of 2024-12-01 counts in n_mitte only); A 90 days ago → 1
    assert f.loc["F", "n_mitte_recent"] == 2 and f.loc["E", "n_mitte_recent"] == 1
    assert (f.loc["E", "n_mitte"], f.loc["A", "n_mitte_recent"]) == (2, 1)
    assert got.index[got["mitte_regular"]].tolist() == ["F"]
    # the retailer's 30-day window: A (last visit 90 days ago) is lapsed; passed
    # explicitly, 90 days wins over the study
    assert got.loc["A", "lapsed"]
    assert co.assign(clients, purchases, ASOF, lapsed_after_days=90, study=RETAIL).loc["A",
                                                                                     "active"]
    rules = co.study_rules(RETAIL)
    assert list(rules) == ["mitte_regular"]
    assert "Regulars of the Mitte store" in rules["mitte_regular"].description
    assert "mitte_regular" in co.assign(clients, purchases, ASOF, rules=["mitte_regular"],
                                        study=RETAIL).columns


def test_a_study_without_cohort_column_has_only_generic_features(clients, visits):
    plain = parse_study({"name": "no segments"})
    f = co.features(clients, visits, ASOF, study=plain)
    assert not any(c.startswith(("n_camp", "n_hike", "n_workshop")) for c in f.columns)
    assert f.loc["E", "n_visits"] == 3 and f.loc["E", "n_visits_recent"] == 2
    got = co.assign(clients, visits, ASOF, study=plain)
    assert list(got.columns) == list(co.COHORT_RULES)
    pd.testing.assert_frame_equal(got.sort_index(), EXPECTED[list(co.COHORT_RULES)],
                                  check_names=False)
    # or a column named by hand
    assert "n_camp_recent" in co.features(clients, visits, ASOF, by="programme",
                                          study=plain).columns


def test_study_codes_give_features_even_without_visits(clients, visits):
    # the sample study lists workshop, hike, camp: a rule over camps evaluates (to False)
    # on visits that hold no camp at all
    no_camps = visits[visits["programme"] != "camp"]
    f = co.features(clients, no_camps, ASOF)
    assert (f["n_camp"] == 0).all() and (f["n_camp_recent"] == 0).all()
    assert not co.assign(clients, no_camps, ASOF)["camp"].any()


def test_study_rule_errors_say_where_the_rule_is(clients, visits):
    # the study counts per programme, but these visits have no programme column
    with pytest.raises(ParameterError, match=r"cohorts → rules → camp.*cohorts → by"):
        co.assign(clients, visits.drop(columns="programme"), ASOF)
    clash = parse_study({"cohorts": {"rules": {"active": "n_visits > 5"}}})
    with pytest.raises(ParameterError, match="built-in"):
        co.assign(clients, visits, ASOF, study=clash)


def test_anonymous_responses_cannot_be_placed_in_cohorts(clients, visits):
    anon = pd.DataFrame({"submitted_at": [ASOF, ASOF], "channel": "web",
                         "nps": pd.array([9, 3], dtype="Int64")})
    for call in (lambda r: co.attach(r, clients, visits),
                 lambda r: co.followups(r, clients, visits, ASOF),
                 lambda r: co.compare_cohorts(r),
                 lambda r: co.promotion(r, clients)):
        with pytest.raises(ParameterError, match="cohorts need client ids"):
            call(anon)
        with pytest.raises(ParameterError, match="cohorts need client ids"):
            call(anon.assign(client_id=pd.array([None, None], dtype="string")))
    # a survey where some answers are anonymous: those are in no cohort, counted, and left
    # out of comparisons (not put in "the rest")
    mixed = pd.DataFrame({"client_id": pd.array(["A", None, "B", None], dtype="string"),
                          "submitted_at": [ASOF] * 4, "channel": "web",
                          "nps": pd.array([9, 3, 2, 10], dtype="Int64")})
    got = co.attach(mixed, clients, visits)
    assert got.attrs["without_client_id"] == 2
    assert got["active"].tolist() == [True, False, False, False]
    assert got["lapsed"].tolist() == [False, False, True, False]
    res = co.compare_cohorts(got, cohorts=["lapsed"], min_n=0).table
    assert (res.iloc[0]["n"], res.iloc[0]["ref_n"]) == (1, 1)


# ------------------------------------------------------------------ attach vs a loop

def _brute_force(resp, visits, lapsed_after_days=90, recent_days=365):
    """Cohorts of each response by plain Python, from the definitions in the docs."""
    out = []
    for cid, when in zip(resp["client_id"], resp["submitted_at"]):
        d = when.normalize()
        v = visits[(visits["client_id"] == cid) & (visits["visit_date"] <= d)]
        n = len(v)
        last = v["visit_date"].max() if n else None
        days = (d - last).days if n else None
        recent = v[(d - v["visit_date"]).dt.days <= recent_days]
        out.append({
            "active": n > 0 and days <= lapsed_after_days,
            "lapsed": n > 0 and days > lapsed_after_days,
            "never_attended": n == 0,
            "camp": bool((recent["programme"] == "camp").any()),
            "hike": bool((recent["programme"] == "hike").any()),
            "workshop_only": n > 0 and bool((v["programme"] == "workshop").all()),
            "new": n > 0 and v["visit_date"].min() >= pd.Period(d, "Q").start_time,
            "repeat": n >= 2,
        })
    return pd.DataFrame(out, index=resp.index)


def test_attach_equals_a_brute_force_loop(rng):
    n_clients, n_visits, n_resp = 40, 400, 300
    ids = [f"K{i:03d}" for i in range(n_clients)]
    start = pd.Timestamp("2024-01-01")
    clients = pd.DataFrame({"client_id": ids,
                            "joined_on": start + pd.to_timedelta(rng.integers(0, 300, n_clients), "D"),
                            "referred_by": None})
    visits = pd.DataFrame({
        "client_id": rng.choice(ids[:-5], n_visits),  # the last five never come
        "visit_date": start + pd.to_timedelta(rng.integers(0, 1000, n_visits), "D"),
        "programme": rng.choice(["workshop", "workshop", "workshop", "hike", "camp"], n_visits),
    })
    resp = pd.DataFrame({
        "client_id": rng.choice(ids, n_resp),
        "submitted_at": start + pd.to_timedelta(rng.integers(0, 1100 * 24, n_resp), "h"),
    }, index=rng.permutation(np.arange(1000, 1000 + n_resp)))  # unsorted, odd index
    got = co.attach(resp, clients, visits)
    assert got.index.equals(resp.index)
    assert got[["client_id", "submitted_at"]].equals(resp)
    want = _brute_force(resp, visits)
    pd.testing.assert_frame_equal(got[list(want.columns)], want)
    # the built-ins, then the study's rules
    assert got.attrs["cohorts"] == list(co.COHORT_RULES) + ["camp", "hike", "workshop_only"]
    assert want.sum().min() > 0  # every cohort occurs, so the comparison means something


def test_attach_uses_each_responses_own_day(clients, visits):
    resp = pd.DataFrame({
        "client_id": ["A", "A", "A", "C"],
        # A: on asof (90 days: active), next day (91: lapsed), and late in the evening of
        # the day before its first visit
        "submitted_at": [ASOF + pd.Timedelta(hours=23), ASOF + pd.Timedelta(days=1),
                         ago(365) + pd.Timedelta(hours=22), ASOF + pd.Timedelta(days=6)],
    })
    got = co.attach(resp, clients, visits, extra={"big": "n_visits >= 2"})
    assert got["active"].tolist() == [True, False, False, True]
    assert got["lapsed"].tolist() == [False, True, False, False]
    assert got["never_attended"].tolist() == [False, False, True, False]
    assert got["camp"].tolist() == [True, True, False, True]
    assert got["big"].tolist() == [True, True, False, False]
    with pytest.raises(ParameterError, match="prefix"):
        co.attach(got, clients, visits)
    assert "cohort_lapsed" in co.attach(got, clients, visits, prefix="cohort_").columns


# ------------------------------------------------------------------ comparisons

def _responses_with_counts(groups, channel="phone"):
    """Rows with the given (promoters, passives, detractors) per cohort flag pattern."""
    rows = []
    for flags, (p, a, d) in groups.items():
        for score, k in ((10, p), (8, a), (3, d)):
            rows += [dict(flags, nps=score, channel=channel)] * k
    df = pd.DataFrame(rows)
    df["nps"] = df["nps"].astype("Int64")
    return df


def _nps_var(p, a, d):
    n = p + a + d
    return (p - d) / n, ((p + d) / n - ((p - d) / n) ** 2) / n


def test_compare_cohorts_nps_against_hand_formulas():
    # x: 30/10/10 (NPS 40); rest: 20/20/20 (NPS 0); y overlaps x partly
    df = _responses_with_counts({
        (("x", True), ("y", True)): (10, 0, 0),
        (("x", True), ("y", False)): (20, 10, 10),
        (("x", False), ("y", True)): (5, 10, 15),
        (("x", False), ("y", False)): (15, 10, 5),
    })
    res = co.compare_cohorts(df, cohorts=["x", "y"])
    t = res.table.xs("phone", level="channel")
    # Rocks (2016) trinomial variance; variances of independent groups add (Wald z)
    e_x, v_x = _nps_var(30, 10, 10)
    e_r, v_r = _nps_var(20, 20, 20)
    z = (e_x - e_r) / np.sqrt(v_x + v_r)
    p_x = 2 * stats.norm.sf(abs(z))
    assert t.loc["x", "n"] == 50 and t.loc["x", "ref_n"] == 60
    assert t.loc["x", "diff"] == pytest.approx(100 * (e_x - e_r))
    # the interval: Newcombe's square-and-add of the two score intervals (brute force)
    lo_x, _ = square_and_add(e_x, *tango_brute(30, 10, 50), e_r, *tango_brute(20, 20, 60))
    assert t.loc["x", "diff_ci_low"] == pytest.approx(100 * lo_x, abs=1e-6)
    assert t.loc["x", "p"] == pytest.approx(p_x)
    e_y, v_y = _nps_var(15, 10, 15)
    e_ry, v_ry = _nps_var(35, 20, 15)
    p_y = 2 * stats.norm.sf(abs((e_y - e_ry) / np.sqrt(v_y + v_ry)))
    assert t.loc["y", "p"] == pytest.approx(p_y)
    # Holm by hand: smallest p × 2, the other × 1, kept monotone
    lo_p, hi_p = sorted([p_x, p_y])
    holm = {p_x: None, p_y: None}
    holm[lo_p] = min(1, 2 * lo_p)
    holm[hi_p] = min(1, max(holm[lo_p], hi_p))
    assert t.loc["x", "p_holm"] == pytest.approx(holm[p_x])
    assert t.loc["y", "p_holm"] == pytest.approx(holm[p_y])
    # the cohort's own interval: the score interval (Tango 1998), found by brute force
    assert t.loc["x", "ci_low"] == pytest.approx(100 * tango_brute(30, 10, 50)[0], abs=1e-6)
    assert t.loc["x", "estimate"] == pytest.approx(40.0)
    assert not t["small_n"].any()


def test_named_reference_is_kept_disjoint():
    df = _responses_with_counts({
        (("x", True), ("y", True)): (10, 0, 0),
        (("x", True), ("y", False)): (20, 10, 10),
        (("x", False), ("y", True)): (5, 10, 15),
        (("x", False), ("y", False)): (15, 10, 5),
    })
    res = co.compare_cohorts(df, cohorts=["x", "y"], reference="y")
    t = res.table.xs("phone", level="channel")
    assert t.index.tolist() == ["x"]
    assert t.loc["x", "ref_n"] == 30  # y without the 10 who are also in x
    e_x, _ = _nps_var(30, 10, 10)
    e_y, _ = _nps_var(5, 10, 15)
    assert t.loc["x", "diff"] == pytest.approx(100 * (e_x - e_y))


def test_compare_cohorts_mean_rating_is_welch(rng):
    n = 200
    df = pd.DataFrame({"x": rng.random(n) < 0.4, "channel": "web",
                       "f_safety": pd.array(rng.integers(1, 6, n), dtype="Int64")})
    df.loc[df["x"], "f_safety"] = pd.array(rng.integers(3, 6, int(df["x"].sum())), dtype="Int64")
    res = co.compare_cohorts(df, cohorts=["x"], metric="f_safety")
    row = res.table.iloc[0]
    a = df.loc[df["x"], "f_safety"].astype(float)
    b = df.loc[~df["x"], "f_safety"].astype(float)
    tt = stats.ttest_ind(a, b, equal_var=False)  # scipy on the raw answers
    assert row["p"] == pytest.approx(tt.pvalue)
    assert row["diff"] == pytest.approx(a.mean() - b.mean())
    lo, hi = stats.t.interval(0.95, len(a) - 1, a.mean(), stats.sem(a))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert res.unit == "rating"


def test_channels_are_compared_within_unless_pooled_on_purpose():
    a = _responses_with_counts({(("x", True),): (30, 10, 10), (("x", False),): (20, 20, 20)},
                               channel="phone")
    b = _responses_with_counts({(("x", True),): (5, 5, 5), (("x", False),): (10, 10, 10)},
                               channel="web")
    df = pd.concat([a, b], ignore_index=True)
    res = co.compare_cohorts(df, cohorts=["x"])
    assert res.table.index.names == ["channel", "cohort"] and not res.pooled
    assert res.table.loc[("web", "x"), "n"] == 15
    assert res.table.loc[("web", "x"), "small_n"]  # 15 < min_n 30
    pooled = co.compare_cohorts(df, cohorts=["x"], pool_channels=True)
    assert pooled.pooled and pooled.channels == ("phone", "web")
    assert pooled.table.index.names == ["cohort"] and pooled.table.loc["x", "n"] == 65
    assert "POOLED" in pooled.summary()


def test_compare_cohorts_errors():
    df = pd.DataFrame({"nps": pd.array([1, 9], dtype="Int64"), "x": [1, 0]})
    with pytest.raises(ParameterError, match="attach"):
        co.compare_cohorts(df[["nps"]].assign(client_id=["a", "b"]))
    with pytest.raises(ParameterError, match="cohorts need client ids"):
        co.compare_cohorts(df[["nps"]])
    with pytest.raises(ParameterError, match="True/False"):
        co.compare_cohorts(df, cohorts=["x"])
    with pytest.raises(ParameterError, match="reference"):
        co.compare_cohorts(df.assign(x=df.x.astype(bool)), cohorts=["x"], reference="nope")


# ------------------------------------------------------------------ stated vs actual promotion

def test_promotion_by_hand():
    # P1, P2, P3 promoters (first answers); D1, D2 detractors; A1 passive
    resp = pd.DataFrame({
        "client_id": ["P1", "P2", "P3", "D1", "D2", "A1", "P1"],
        "submitted_at": pd.to_datetime(["2025-01-10", "2025-01-10", "2025-01-10", "2025-01-10",
                                        "2025-01-10", "2025-01-10", "2025-06-01"]),
        "nps": pd.array([10, 9, 9, 2, 5, 8, 3], dtype="Int64"),  # P1 later says 3
    })
    clients = pd.DataFrame({
        "client_id": ["N1", "N2", "N3", "N4", "P1", "P2", "P3", "D1", "D2", "A1"],
        "joined_on": pd.to_datetime(["2025-02-01", "2025-03-01", "2024-12-01", "2025-04-01"]
                                    + ["2024-06-01"] * 6),
        "referred_by": ["P1", "P1", "D1", "P2", None, None, None, None, None, None],
        "reviews": [0, 0, 0, 0, 2, 0, 1, 0, 0, 0],
    })
    res = co.promotion(resp, clients, behaviour_cols=["reviews"])  # first answer, after it
    t = res.table
    assert t.loc[("referral", "promoter"), ["n", "doers", "count"]].tolist() == [3, 2, 3]
    # D1's referral N3 joined before D1's answer: not counted "after"
    assert t.loc[("referral", "detractor"), ["n", "doers", "count"]].tolist() == [2, 0, 0]
    from statsmodels.stats.proportion import proportion_confint
    lo, hi = proportion_confint(2, 3, method="wilson")
    assert t.loc[("referral", "promoter"), ["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])
    # exact Poisson interval (Garwood): chi-square quantiles / 2, per 100 respondents
    k, n = 3, 3
    garwood = (stats.chi2.ppf(0.025, 2 * k) / 2 / n * 100, stats.chi2.ppf(0.975, 2 * k + 2) / 2 / n * 100)
    assert t.loc[("referral", "promoter"), ["per_100_ci_low", "per_100_ci_high"]].tolist() \
        == pytest.approx(garwood)
    assert t.loc[("reviews", "promoter"), ["doers", "count"]].tolist() == [2, 3]
    overall = co.promotion(resp, clients, count_window="overall").table
    assert overall.loc[("referral", "detractor"), "doers"] == 1
    latest = co.promotion(resp, clients, class_by="latest", count_window="overall").table
    assert latest.loc[("referral", "promoter"), "n"] == 2  # P1's latest answer is 3
    assert latest.loc[("referral", "detractor"), ["n", "doers", "count"]].tolist() == [3, 2, 3]
    with pytest.raises(ParameterError, match="count_window"):
        co.promotion(resp, clients, count_window="later")
    # detractors brought no one: the ratio is infinite, its exact interval open above,
    # and the two-sided p agrees with it (3 of 3 referrals to promoters, π0 = 3/5:
    # P(X ≥ 3) = 0.216, p = 0.432; the interval reaches below 1)
    test = res.tests.loc["referral"]
    assert np.isinf(test["rate_ratio"]) and np.isinf(test["rate_ratio_ci_high"])
    assert test["rate_p"] == pytest.approx(2 * 0.6 ** 3)
    assert test["rate_ratio_ci_low"] == pytest.approx(0.025 ** (1 / 3) / (1 - 0.025 ** (1 / 3))
                                                      * 2 / 3)
    assert res.tests.attrs["alternative"] == "two-sided"


def _promotion_frames(n_p: int, k_p: int, n_d: int, k_d: int):
    """``n_p`` promoters (answer 10) of whom ``k_p`` brought one new family each, after
    the answer, and ``n_d`` detractors (answer 0) of whom ``k_d`` did."""
    ids = [f"P{i}" for i in range(n_p)] + [f"D{i}" for i in range(n_d)]
    resp = pd.DataFrame({"client_id": ids, "nps": [10] * n_p + [0] * n_d,
                         "submitted_at": pd.Timestamp("2025-01-10")})
    refs = [f"P{i}" for i in range(k_p)] + [f"D{i}" for i in range(k_d)]
    clients = pd.DataFrame({
        "client_id": ids + [f"N{i}" for i in range(len(refs))],
        "joined_on": [pd.Timestamp("2024-06-01")] * len(ids)
                     + [pd.Timestamp("2025-02-01")] * len(refs),
        "referred_by": [None] * len(ids) + refs})
    return resp, clients


def test_promotion_p_below_alpha_exactly_when_the_interval_leaves_out_the_null():
    # 40 promoters against 30 detractors of whom 3 brought a family; the promoters'
    # doers go from 0 to 19, across both edges of significance. Independent computations:
    # Agresti & Caffo (2000) written out — add one success and one failure per group,
    # Wald z and interval; and the exact conditional test of two Poisson rates written
    # with scipy's binomial — given k referrals, the promoters' ~ Bin(k, 40/70) under
    # "same rate", central p = 2 × the smaller tail, Clopper–Pearson interval mapped to
    # the ratio by 30/40.
    from scipy.stats import binomtest

    z = stats.norm.isf(0.025)
    n_p, n_d, k_d = 40, 30, 3
    share_sig, rate_sig, share_ps, rate_ps = [], [], [], []
    for k_p in range(20):
        t = co.promotion(*_promotion_frames(n_p, k_p, n_d, k_d)).tests.loc["referral"]
        a, b = (k_p + 1) / (n_p + 2), (k_d + 1) / (n_d + 2)
        se = np.sqrt(a * (1 - a) / (n_p + 2) + b * (1 - b) / (n_d + 2))
        assert t["share_p"] == pytest.approx(2 * stats.norm.sf(abs(a - b) / se))
        assert [t["share_diff_ci_low"], t["share_diff_ci_high"]] == pytest.approx(
            [max(a - b - z * se, -1), min(a - b + z * se, 1)])
        assert t["share_diff"] == pytest.approx(k_p / n_p - k_d / n_d)
        k = k_p + k_d
        tails = (binomtest(k_p, k, n_p / (n_p + n_d), alternative="greater").pvalue,
                 binomtest(k_p, k, n_p / (n_p + n_d), alternative="less").pvalue)
        assert t["rate_p"] == pytest.approx(min(1, 2 * min(tails)))
        ci = binomtest(k_p, k).proportion_ci(0.95, method="exact")
        assert [t["rate_ratio_ci_low"], t["rate_ratio_ci_high"]] == pytest.approx(
            [ci.low / (1 - ci.low) * n_d / n_p, ci.high / (1 - ci.high) * n_d / n_p])
        # the property itself: significant at 5 % ⇔ the 95 % interval leaves out the null
        share_out = t["share_diff_ci_low"] > 0 or t["share_diff_ci_high"] < 0
        rate_out = t["rate_ratio_ci_low"] > 1 or t["rate_ratio_ci_high"] < 1
        assert (t["share_p"] < 0.05) == share_out
        assert (t["rate_p"] < 0.05) == rate_out
        share_sig.append(share_out)
        rate_sig.append(rate_out)
        share_ps.append(t["share_p"])
        rate_ps.append(t["rate_p"])
    # the scan crosses the boundary on both sides and comes close to it
    assert any(share_sig) and not all(share_sig) and any(rate_sig) and not all(rate_sig)
    assert min(abs(np.log(np.array(share_ps) / 0.05))) < 0.5
    assert min(abs(np.log(np.array(rate_ps) / 0.05))) < 0.5
    # a two-sided p: promoters bringing *fewer* than detractors shows as well
    fewer = co.promotion(*_promotion_frames(40, 0, 30, 12)).tests.loc["referral"]
    assert fewer["share_p"] < 0.05 and fewer["share_diff_ci_high"] < 0


# ------------------------------------------------------------------ follow-up list

@pytest.fixture
def followup_tables(clients, visits):
    resp = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(7)],
        "client_id": ["A", "B", "E", "E", "F", "I", "H"],
        "submitted_at": [ago(14), ago(15), ago(3), ago(1), ago(2), ASOF + pd.Timedelta(days=1),
                         ago(300)],
        "channel": ["phone", "web", "phone", "phone", "web", "phone", "web"],
        "survey": ["periodic", "lapsed", "after_hike", "periodic", "periodic", "periodic",
                   "periodic"],
        "nps": pd.array([3, 2, 4, 10, None, 6, 1], dtype="Int64"),
        "recommend": pd.array([None, None, None, None, False, None, None], dtype="boolean"),
    })
    # K: three visits, last 100 days ago → a lapsed "valuable" family with valuable_visits=3
    clients = pd.concat([clients, pd.DataFrame({
        "client_id": ["K"], "joined_on": [pd.Timestamp("2025-01-01")], "source": ["ads"],
        "referred_by": [None], "parent_name": ["Ким"], "phone": ["+7 900 111-11-11"],
        "email": ["k@example.ru"]})], ignore_index=True)
    visits = pd.concat([visits, pd.DataFrame({
        "visit_id": ["K1", "K2", "K3"], "client_id": "K",
        "visit_date": [ago(300), ago(200), ago(100)], "programme": "workshop",
        "activity": "Роспись"})], ignore_index=True)
    complaints = pd.DataFrame({"complaint_id": ["Q1", "Q2"], "client_id": ["A", "F"],
                               "received_at": [ago(5), ago(31)],
                               "resolved_at": [pd.NaT, ago(30)],
                               "category": ["Организация лагеря", "Расписание"],
                               "importance": ["critical", "low"]})
    return resp, clients, visits, complaints


def test_followups_lists_exactly_the_families_meeting_its_rules(followup_tables):
    resp, clients, visits, complaints = followup_tables
    got = co.followups(resp, clients, visits, ASOF, complaints=complaints, valuable_visits=3,
                       lang="en")
    assert list(got.columns) == co.FOLLOWUP_COLUMNS
    # A: detractor 14 days ago (boundary, in) with an open complaint → 1
    # F: "would not recommend" 2 days ago; its complaint is 31 days old and resolved → 2
    # K: lapsed 100 days, 3 visits → 3;  B: lapsed 91 days, 1 visit (its NPS 2 is 15 days
    # old: out) → 4;  C: registered 60 days ago, never came → 5
    # not listed: E (latest answer a 10), G (gone 366 days > 365), H (registered long ago;
    # old detractor), I (answer after asof), D (joined after asof)
    assert got[["client_id", "priority"]].values.tolist() == [
        ["A", 1], ["F", 2], ["K", 3], ["B", 4], ["C", 5]]
    assert got["reason_codes"].tolist() == ["detractor_complaint", "detractor",
                                            "lapsed_valuable", "lapsed", "never_attended"]
    r = got.set_index("client_id")
    assert r.loc["A", "reason"].startswith("detractor: NPS 3 on 2026-06-16 (Periodic, Phone)")
    assert "complaint on 2026-06-25" in r.loc["A", "reason"]
    assert "would not recommend" in r.loc["F", "reason"]
    assert r.loc["B", "reason"] == "lapsed: last visit 2026-03-31, 91 days ago, 1 visits"
    assert r.loc["A", ["parent_name", "phone"]].tolist() == ["Анна", "+7 900 000-00-00"]
    assert r.loc["A", "last_nps"] == 3 and pd.isna(r.loc["F", "last_nps"])
    ru = co.followups(resp, clients, visits, ASOF, complaints=complaints, valuable_visits=3)
    assert ru["reason"].iloc[0].startswith("критик: NPS 3, 16.06.2026")


def test_followups_parameters_move_the_boundaries(followup_tables):
    resp, clients, visits, complaints = followup_tables
    wider = co.followups(resp, clients, visits, ASOF, detractor_days=15, lapsed_within_days=None,
                         interested_days=None)
    codes = dict(zip(wider["client_id"], wider["reason_codes"]))
    assert codes["B"] == "detractor; lapsed"  # the 15-day-old answer now counts
    assert codes["G"] == "lapsed"  # gone 366 days: in once lapsed_within_days=None
    assert "C" not in codes and "H" not in codes  # H's detractor answer is 300 days old
    with pytest.raises(ParameterError, match="detractor_days"):
        co.followups(resp, clients, visits, ASOF, detractor_days=-1)


# ------------------------------------------------------------------ sample data (planted truths)

samples_present = pytest.mark.skipif(not (paths.SAMPLES_DIR / "responses.csv").exists(),
                                     reason="sample data not generated")


@pytest.fixture(scope="module")
def sample():
    from cxlab import samples

    t = {name: samples.load(name) for name in ("clients", "visits", "responses", "complaints")}
    t["attached"] = co.attach(t["responses"], t["clients"], t["visits"])
    return t


@samples_present
def test_sample_planted_cohort_gaps(sample):
    from cxlab.samples import TRUTHS

    truth = TRUTHS["nps"]
    assert truth["lapsed_days"] == 90 and truth["camp_days"] == 365  # our defaults
    pooled = co.compare_cohorts(sample["attached"], cohorts=["lapsed", "camp"],
                                pool_channels=True).table
    phone = co.compare_cohorts(sample["attached"], cohorts=["lapsed", "camp"]).table.xs(
        "phone", level="channel")
    for t in (pooled, phone):
        for cohort, planted in (("lapsed", truth["lapsed_gap"]), ("camp", truth["camp_gap"])):
            row = t.loc[cohort]
            assert np.sign(row["diff"]) == np.sign(planted)
            assert row["p_holm"] < 0.05 and row["significant"]
            assert row["diff_ci_low"] <= planted <= row["diff_ci_high"]


@samples_present
def test_sample_cohort_sizes_add_up(sample):
    cl = sample["clients"]
    for asof in ("2025-03-31", "2025-09-30", "2026-09-30"):
        got = co.assign(cl, sample["visits"], asof)
        joined = int((cl["joined_on"] <= pd.Timestamp(asof)).sum())
        assert len(got) == joined
        assert got[["active", "lapsed", "never_attended"]].sum(axis=1).eq(1).all()
    # ~10 % registered interest but never attended (TRUTHS["never_attended_share"])
    share = got["never_attended"].mean()
    assert 0.07 < share < 0.13


@samples_present
def test_sample_promoters_refer_more(sample):
    from cxlab.samples import TRUTHS

    res = co.promotion(sample["responses"], sample["clients"])
    t = res.table.xs("referral", level="behaviour")
    planted = TRUTHS["referrals"]["rate"]  # by the first 0–10 answer, referral after it
    for cls in ("promoter", "passive", "detractor"):
        assert t.loc[cls, "ci_low"] <= planted[cls] <= t.loc[cls, "ci_high"]
    assert t.loc["promoter", "ci_low"] > t.loc["detractor", "ci_high"]
    test = res.tests.loc["referral"]
    assert test["share_p"] < 1e-6 and test["rate_p"] < 1e-6 and test["share_diff_ci_low"] > 0
    # the direction holds however the respondents are classed
    latest = co.promotion(sample["responses"], sample["clients"], class_by="latest",
                          count_window="overall")
    assert latest.tests.loc["referral", "share_diff_ci_low"] > 0


@samples_present
def test_sample_followups_meet_their_rules_and_miss_no_one(sample):
    asof = pd.Timestamp("2026-09-30")
    got = co.followups(sample["responses"], sample["clients"], sample["visits"], asof,
                       complaints=sample["complaints"])
    assert got["client_id"].is_unique and got["reason"].str.len().gt(0).all()
    assert got["priority"].is_monotonic_increasing
    # the rules recomputed with plain pandas
    r = sample["responses"]
    r = r[(r["submitted_at"] <= asof + pd.Timedelta(hours=23, minutes=59))
          & (r["nps"].notna() | r["recommend"].notna())]
    last = r.sort_values("submitted_at").groupby("client_id").tail(1).set_index("client_id")
    recent = (asof - last["submitted_at"].dt.normalize()).dt.days <= 14
    bad = (last["nps"] <= 6).fillna(False) | (last["nps"].isna() & last["recommend"].eq(False))
    detractors = set(last.index[recent & bad])
    v = sample["visits"][sample["visits"]["visit_date"] <= asof]
    days = (asof - v.groupby("client_id")["visit_date"].max()).dt.days
    n = v.groupby("client_id").size()
    lapsed = set(days.index[(days > 90) & (days <= 365)])
    cl = sample["clients"]
    fresh = cl[(cl["joined_on"] <= asof) & (asof - cl["joined_on"]).dt.days.le(60)
               & ~cl["client_id"].isin(v["client_id"])]
    assert set(got["client_id"]) == detractors | lapsed | set(fresh["client_id"])
    g = got.set_index("client_id")
    assert (g.loc[sorted(detractors), "priority"] <= 2).all()
    only_lapsed = sorted(lapsed - detractors)
    want = np.where(n.loc[only_lapsed] >= 10, 3, 4)
    assert (g.loc[only_lapsed, "priority"].to_numpy() == want).all()
    assert g.loc[sorted(detractors), "reason_codes"].str.contains("detractor").all()
    assert g.loc[only_lapsed, "reason"].str.startswith("давно не был").all()


@samples_present
def test_cohort_column_works_as_a_driver_segment(sample):
    from cxlab import drivers

    df = sample["attached"]
    df = df[df["channel"] == "phone"].assign(status=lambda d: co.segment(d))
    res = drivers.key_drivers_by(df, by="status", n_boot=0, min_n=100)
    assert {"all", "active", "lapsed"} <= set(res.table.columns)
    # the segment is exactly the cohort's rows: same analysis as on the subset
    alone = drivers.key_drivers(df[df["lapsed"]], n_boot=0)
    assert res.table.loc["n", "lapsed"] == alone.n
    assert res.analyses["lapsed"].table["share"].to_numpy() == pytest.approx(
        alone.table["share"].to_numpy())


# ------------------------------------------------------------------ command line

@samples_present
def test_cli_writes_the_list_with_a_bom_and_says_it_is_personal(tmp_path):
    from typer.testing import CliRunner

    from cxlab.cli import app

    out = tmp_path / "calls.csv"
    res = CliRunner().invoke(app, ["followups", "--asof", "2026-09-30", "--samples",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "personal data" in res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows Cyrillic
    back = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert list(back.columns) == co.FOLLOWUP_COLUMNS
    assert back["reason"].str.len().gt(0).all()
    assert back["reason"].str.contains("давно не был|критик").any()


@pytest.mark.parametrize("target", ["reports/x.csv", "{root}/reports/q/x.csv", "{tmp}/reports/x.csv"])
def test_cli_refuses_to_write_into_reports(target, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cxlab.cli import app

    monkeypatch.chdir(paths.PROJ_ROOT)
    path = target.format(root=paths.PROJ_ROOT, tmp=tmp_path)
    res = CliRunner().invoke(app, ["followups", "--asof", "2026-09-30", "--samples",
                                   "--out", path])
    assert res.exit_code == 1
    assert "refusing" in res.output and "personal data" in res.output
    assert "Traceback" not in res.output
    assert not (paths.PROJ_ROOT / "reports" / "x.csv").exists()
    assert not (tmp_path / "reports").exists()
