"""Tests of cxlab.targets: met / not met / can't tell, decided from the interval.

Expected intervals are computed independently: the adjusted-Wald NPS interval written
out from Rocks (2016) with the standard library, Wilson intervals by statsmodels'
``proportion_confint``, the CSI index's t interval by scipy on the raw ratings, counts by
pandas. Targets are then placed just inside and just outside those intervals.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from _reference_stats import clustered_nps_interval, clustered_wilson, tango_brute
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxlab import targets
from cxlab.errors import QuarterError
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR
from cxlab.study import load_study, parse_study

Z95 = NormalDist().inv_cdf(0.975)


def adjusted_wald(P: int, A: int, D: int, z: float = Z95) -> tuple[float, float]:
    """The NPS interval cxlab reports for independent answers: the score interval
    (Tango 1998), found by brute force in tests/_reference_stats.py; in points. (The
    name is kept from when the interval was Rocks' adjusted Wald.)"""
    lo, hi = tango_brute(P, D, P + A + D)
    return 100 * lo, 100 * hi


def expected_status(lo: float, hi: float, value: float, at_least: bool) -> str:
    if at_least:
        return "met" if lo >= value else "not_met" if hi < value else "cant_tell"
    return "met" if hi <= value else "not_met" if lo > value else "cant_tell"


def _study(goals: list[dict], quarter: str = "2026Q1", **extra):
    return parse_study({"segments": {"store": {}}, "targets": {quarter: goals}, **extra})


def _answers(P, A, D, channel="app", day="2026-02-10", **cols) -> pd.DataFrame:
    scores = [10] * P + [8] * A + [3] * D
    return pd.DataFrame({"nps": pd.array(scores, dtype="Int64"), "channel": channel,
                         "submitted_at": pd.Timestamp(day), **cols})


# ----------------------------------------------------------------- the rule

def test_nps_target_just_inside_and_just_outside_the_interval():
    P, A, D = 120, 50, 30  # NPS 45, n = 200
    lo, hi = adjusted_wald(P, A, D)
    eps = 0.05
    goals = [
        {"metric": "nps", "channel": "app", "at_least": lo - eps},  # interval above: met
        {"metric": "nps", "channel": "app", "at_least": lo + eps},  # target inside: can't tell
        {"metric": "nps", "channel": "app", "at_least": hi + eps},  # interval below: not met
        {"metric": "nps", "channel": "app", "at_most": hi + eps},  # interval below: met
        {"metric": "nps", "channel": "app", "at_most": hi - eps},  # target inside: can't tell
        {"metric": "nps", "channel": "app", "at_most": lo - eps},  # interval above: not met
    ]
    # other channels' answers and the previous quarter's must not count
    df = pd.concat([_answers(P, A, D), _answers(5, 0, 50, channel="email"),
                    _answers(0, 0, 40, day="2025-12-20")], ignore_index=True)
    out = targets.evaluate(_study(goals), "2026Q1", df, min_n=30)
    assert out["status"].tolist() == ["met", "cant_tell", "not_met", "met", "cant_tell",
                                      "not_met"]
    assert out["estimate"].tolist() == pytest.approx([45.0] * 6) and (out["n"] == 200).all()
    np.testing.assert_allclose(out["ci_low"], lo, atol=1e-9)
    np.testing.assert_allclose(out["ci_high"], hi, atol=1e-9)
    assert out["direction"].tolist()[:3] == ["at_least"] * 3
    assert out["where"].iloc[0] == {"channel": "app"} and out["channel"].eq("app").all()
    assert out["where_text"].iloc[0] == "channel = app" and out["unit"].eq("points").all()
    assert "score interval" in out["method"].iloc[0]
    assert "assumed independent" in out["method"].iloc[0]  # no client ids here
    assert "contains" in out["reason"].iloc[1] and "below" in out["reason"].iloc[2]
    assert out.attrs == {"quarter": "2026Q1", "level": 0.95, "min_n": 30}


def test_level_moves_the_verdict():
    P, A, D = 120, 50, 30
    lo95, _ = adjusted_wald(P, A, D)
    lo80, _ = adjusted_wald(P, A, D, z=NormalDist().inv_cdf(0.9))
    value = (lo95 + lo80) / 2  # inside the 95 % interval, below the 80 % one
    study = _study([{"metric": "nps", "channel": "app", "at_least": value}])
    assert targets.evaluate(study, "2026Q1", _answers(P, A, D))["status"].item() == "cant_tell"
    assert targets.evaluate(study, "2026Q1", _answers(P, A, D), level=0.80)["status"].item() == "met"


def test_shares_are_in_percent_with_wilson_intervals():
    # recommend yes/no: 170 of 200 → 85 %; csat on a 0–100 slider: top box 80–100
    rng = np.random.default_rng(4)
    csat = rng.integers(40, 101, size=200)
    df = pd.DataFrame({"recommend": pd.array([True] * 170 + [False] * 30, dtype="boolean"),
                       "csat": pd.array(csat, dtype="Int64"), "channel": "app",
                       "store": ["s1"] * 120 + ["s2"] * 80,
                       "submitted_at": pd.Timestamp("2026-03-01")})
    lo, hi = (100 * v for v in proportion_confint(170, 200, method="wilson"))
    s1 = csat[:120]
    k = int((s1 >= 80).sum())
    tlo, thi = (100 * v for v in proportion_confint(k, 120, method="wilson"))
    idx = stats.t.interval(0.95, 119, loc=s1.mean(), scale=stats.sem(s1))  # 0–100 is itself
    goals = [{"metric": "recommend", "channel": "app", "at_least": round(lo) - 1},
             {"metric": "recommend", "channel": "app", "at_least": 85},
             {"metric": "csi_top_box", "channel": "app", "store": "s1", "at_least": thi + 0.01},
             {"metric": "csi_index", "channel": "app", "store": "s1", "at_most": idx[1] + 0.01}]
    study = _study(goals, csat={"scale": "0-100"})
    out = targets.evaluate(study, "2026Q1", df)
    assert out.loc[0, ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx([85, lo, hi])
    assert out["status"].tolist() == ["met", "cant_tell", "not_met", "met"]
    assert out.loc[2, "n"] == 120 and out.loc[2, "estimate"] == pytest.approx(100 * k / 120)
    assert (out.loc[2, "ci_low"], out.loc[2, "ci_high"]) == pytest.approx((tlo, thi))
    assert (out.loc[3, "ci_low"], out.loc[3, "ci_high"]) == pytest.approx(idx)
    assert out["unit"].tolist() == ["%", "%", "%", "0-100"]
    assert out["store"].tolist()[2:] == ["s1", "s1"] and pd.isna(out.loc[0, "store"])


def test_response_rate_and_fcr():
    inv = pd.DataFrame({"channel": ["sms"] * 100 + ["app"] * 50,
                        "sent_at": pd.Timestamp("2026-01-20")})
    resp = pd.DataFrame({"channel": ["sms"] * 40 + ["app"] * 10, "nps": 9,
                         "submitted_at": pd.Timestamp("2026-01-25")})
    # contacts: (client, topic, day); the data end at day 60 (censoring window 7 days)
    log = [("A", "pay", 0), ("A", "pay", 3),  # repeat in 3 days: not resolved
           ("B", "pay", 5), ("C", "pay", 9), ("D", "x", 20), ("E", "y", 22), ("E", "y", 40),
           ("F", "z", 60)]  # F: censored (the last contact)
    contacts = pd.DataFrame(log, columns=["client_id", "topic", "day"])
    contacts["opened_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(contacts["day"], "D")
    contacts["channel"] = "sms"
    goals = [{"metric": "response_rate", "channel": "sms", "at_least": 30},
             {"metric": "fcr", "at_least": 10}]
    out = targets.evaluate(_study(goals), "2026Q1", resp, inv, contacts, min_n=5)
    lo, hi = proportion_confint(40, 100, method="wilson")
    assert out.loc[0, ["estimate", "n"]].tolist() == [40.0, 100]
    assert (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    assert out.loc[0, "status"] == expected_status(100 * lo, 100 * hi, 30, True)
    # judged first contacts by hand: A0 ✗, B5 ✓, C9 ✓, D20 ✓, E22 ✓, E40 ✓ → 5 of 6
    flo, fhi = proportion_confint(5, 6, method="wilson")
    assert out.loc[1, "n"] == 6 and out.loc[1, "estimate"] == pytest.approx(500 / 6)
    assert (out.loc[1, "ci_low"], out.loc[1, "ci_high"]) == pytest.approx((100 * flo, 100 * fhi))
    assert out.loc[1, "status"] == "met"  # the whole interval is above 10 %


# ----------------------------------------------------------------- no data, can't tell

def test_no_data_says_why():
    goals = [{"metric": "nps", "at_least": 0},  # no channel filter, two channels
             {"metric": "csi_top_box", "channel": "app", "at_least": 50},  # no csat column
             {"metric": "nps", "store": "s9", "channel": "app", "at_least": 0},  # no store column
             {"metric": "response_rate", "channel": "app", "at_least": 10},  # no invitations
             {"metric": "fcr", "at_least": 50},  # no contacts
             {"metric": "nps", "channel": "web", "at_least": 0}]  # no answers there
    df = pd.concat([_answers(30, 10, 10), _answers(30, 10, 10, channel="email")])
    out = targets.evaluate(_study(goals), "2026Q1", df)
    assert out["status"].eq("no_data").all()
    r = out["reason"].tolist()
    assert "several survey channels (app, email)" in r[0] and "add channel:" in r[0]
    assert "'csat'" in r[1] and "'store'" in r[2]
    assert r[3] == "no invitations table" and r[4] == "no contacts table"
    assert "no responses in 2026Q1" in r[5]
    assert out["estimate"].isna().all() and (out["n"] == 0).all()


def test_small_n_is_not_judged_and_one_channel_needs_no_filter():
    # 20 answers, all promoters: the interval is above 0, but 20 < min_n
    study = _study([{"metric": "nps", "at_least": 0}])
    out = targets.evaluate(study, "2026Q1", _answers(20, 0, 0), min_n=30)
    assert out["status"].item() == "cant_tell" and out["small_n"].item()
    assert "under min_n = 30" in out["reason"].item()
    lo, _ = adjusted_wald(20, 0, 0)
    assert out["ci_low"].item() == pytest.approx(lo)
    # a survey-only export with no channel column: one channel by construction
    ok = targets.evaluate(study, "2026Q1", _answers(20, 0, 0).drop(columns="channel"), min_n=10)
    assert ok["status"].item() == expected_status(lo, 100, 0, True) == "met"


def test_no_targets_for_the_quarter_and_bad_quarter():
    study = _study([{"metric": "nps", "at_least": 0}])
    out = targets.evaluate(study, "2026Q2", _answers(20, 0, 0))
    assert out.empty and {"metric", "status", "reason", "ci_low"} <= set(out.columns)
    with pytest.raises(QuarterError):
        targets.evaluate(study, "Q2-2026", _answers(20, 0, 0))


# ----------------------------------------------------------------- the sample business

@pytest.fixture(scope="module")
def sample():
    from cxlab import samples

    names = ("responses", "invitations", "contacts")
    if all((SAMPLES_DIR / f"{n}.csv").exists() for n in names):
        return {n: samples.load(n) for n in names}
    return samples.generate(out=None)


def test_sample_study_targets_for_2026q3(sample):
    r, inv = sample["responses"], sample["invitations"]
    study = load_study(SAMPLE_STUDY)
    out = targets.evaluate(study, "2026Q3", r, inv, sample["contacts"])
    assert len(out) == len(study.targets_for("2026Q3")) == 4
    q = r[r["submitted_at"].dt.to_period("Q").astype(str) == "2026Q3"]
    for i, ch in ((0, "phone"), (1, "web")):
        sub = q[(q["channel"] == ch) & q["nps"].notna()]
        v = sub["nps"].to_numpy(int)
        P, D = int((v >= 9).sum()), int((v <= 6).sum())
        # families answer several times: clustered by client (statsmodels + brute force)
        lo, hi, _ = clustered_nps_interval(v, sub["client_id"].to_numpy())
        row = out.iloc[i]
        assert row["n"] == v.size and row["estimate"] == pytest.approx(100 * (P - D) / v.size)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
        assert row["status"] == expected_status(lo, hi, row["target"], True)
    # CSI top box on phone: the share of 4–5 of the phone answers rating satisfaction, Wilson
    cs = q[(q["channel"] == "phone") & q["csat"].notna()]
    c = cs["csat"].to_numpy(int)
    lo, hi, _ = clustered_wilson(c >= 4, cs["client_id"].to_numpy())
    lo, hi = 100 * lo, 100 * hi
    assert out.loc[2, "n"] == c.size and out.loc[2, "estimate"] == pytest.approx(100 * (c >= 4).mean())
    assert (out.loc[2, "ci_low"], out.loc[2, "ci_high"]) == pytest.approx((lo, hi))
    assert out.loc[2, "status"] == expected_status(lo, hi, 80, True)
    # without a channel the same target is not one figure: the answers come through three channels
    pooled = targets.evaluate(parse_study({"targets": {"2026Q3": [{"metric": "csi_top_box", "at_least": 80}]}}),
                              "2026Q3", r, inv)
    assert pooled.loc[0, "status"] == "no_data" and "add channel:" in pooled.loc[0, "reason"]
    # response rate, messenger: responses ÷ invitations of the quarter, Wilson
    k = int((q["channel"] == "messenger").sum())
    iq = inv[inv["sent_at"].dt.to_period("Q").astype(str) == "2026Q3"]
    m = int((iq["channel"] == "messenger").sum())
    lo, hi = (100 * v for v in proportion_confint(k, m, method="wilson"))
    assert out.loc[3, ["n", "estimate"]].tolist() == [m, pytest.approx(100 * k / m)]
    assert (out.loc[3, "ci_low"], out.loc[3, "ci_high"]) == pytest.approx((lo, hi))
    assert out.loc[3, "status"] == expected_status(lo, hi, 30, True)
    assert set(out["status"]) <= set(targets.STATUSES)
