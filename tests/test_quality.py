"""Tests of cxlab.quality: interviewer gaming, straight-lining, duplicates, channel mix.

Expected numbers come from scipy (Fisher's exact test, Levene/Brown–Forsythe on the raw
answers), a hand Benjamini–Hochberg, hand-made frames, or the planted truths of the
sample data (``cxlab.samples.TRUTHS``; section at the end).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import quality, samples
from cxlab.errors import ParameterError
from cxlab.paths import SAMPLES_DIR


def _interviews(rng, gamed="I07", n_each=120):
    rows = []
    honest_p = np.array([2, 1, 1, 2, 3, 6, 8, 14, 20, 18, 25], dtype=float)
    honest_p /= honest_p.sum()
    for i in range(1, 8):
        who = f"I{i:02d}"
        if who == gamed:
            s = np.where(rng.random(n_each) < 0.9, 10, rng.choice(11, n_each, p=honest_p))
        else:
            s = rng.choice(11, n_each, p=honest_p)
        rows += [(who, int(v)) for v in s]
    df = pd.DataFrame(rows, columns=["interviewer_id", "nps"])
    df["nps"] = df["nps"].astype("Int64")
    df["channel"] = "phone"
    return df


def _bh(p):
    """Benjamini–Hochberg by hand: q_(i) = min_{j ≥ i} m/j · p_(j)."""
    p = np.asarray(p, float)
    m = p.size
    order = np.argsort(p)
    q = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


def test_interviewer_flags_finds_the_gamed_one(rng):
    df = _interviews(rng)
    fl = quality.interviewer_flags(df)
    assert fl.index[fl["flagged"]].tolist() == ["I07"]
    # Fisher's exact test on the hand 2×2 table (scipy)
    me = df[df.interviewer_id == "I03"]["nps"]
    others = df[df.interviewer_id != "I03"]["nps"]
    table = [[(me == 10).sum(), (me != 10).sum()], [(others == 10).sum(), (others != 10).sum()]]
    fe = stats.fisher_exact(table)
    assert fl.loc["I03", "p_tens"] == pytest.approx(fe.pvalue)
    assert fl.loc["I03", "odds_ratio"] == pytest.approx(fe.statistic)
    # spread: Brown–Forsythe from counts equals scipy's median-centred Levene on raw answers
    lev = stats.levene(me.to_numpy(float), others.to_numpy(float), center="median")
    assert fl.loc["I03", "p_sd"] == pytest.approx(lev.pvalue)
    assert fl.loc["I03", "sd"] == pytest.approx(me.to_numpy(float).std(ddof=1))
    # BH over both families, by hand
    q = _bh(np.concatenate([fl["p_tens"], fl["p_sd"]]))
    assert fl["q_tens"].to_numpy() == pytest.approx(q[:7])
    assert fl["q_sd"].to_numpy() == pytest.approx(q[7:])
    assert f"10s: {fl.loc['I07', 'share_10']:.0%} of {fl.loc['I07', 'n']}" in \
        fl.loc["I07", "evidence"]


def test_interviewer_small_n_not_tested(rng):
    df = _interviews(rng)
    df = pd.concat([df, pd.DataFrame({"interviewer_id": ["I99"] * 5, "nps": [10] * 5,
                                      "channel": "phone"}).astype({"nps": "Int64"})])
    fl = quality.interviewer_flags(df, min_n=30)
    assert fl.loc["I99", "small_n"] and not fl.loc["I99", "flagged"]
    assert np.isnan(fl.loc["I99", "p_tens"])


def test_interviewer_flags_bad_input():
    with pytest.raises(ParameterError, match="interviewer_id"):
        quality.interviewer_flags(pd.DataFrame({"nps": [1]}))
    with pytest.raises(ParameterError, match="alpha"):
        quality.interviewer_flags(pd.DataFrame({"nps": [1], "interviewer_id": ["a"]}), alpha=5)


@pytest.mark.parametrize("seed", range(4))
def test_brown_forsythe_from_counts_equals_scipy(seed):
    r = np.random.default_rng(seed)
    a = r.integers(0, 11, r.integers(3, 80))
    b = r.integers(4, 11, r.integers(3, 80))
    F, p = quality.brown_forsythe_from_counts(np.bincount(a, minlength=11),
                                              np.bincount(b, minlength=11))
    ref = stats.levene(a, b, center="median")
    assert (F, p) == pytest.approx((ref.statistic, ref.pvalue))


def test_straight_lining_hand_frame():
    na = pd.NA
    df = pd.DataFrame({
        "response_id": ["r0", "r1", "r2", "r3", "r4"],
        "channel": ["web"] * 5,
        "f_a": [5, 4, 3, 1, na], "f_b": [5, 4, 4, 1, na], "f_c": [5, na, 3, 1, na],
        "f_d": [na, na, 3, 1, 2],
    }).astype({c: "Int64" for c in ["f_a", "f_b", "f_c", "f_d"]})
    out = quality.straight_lining(df)
    # r0: 5,5,5 (3 answered) ✓; r1: only 2 answered, not judged; r2: 3,4,3,3 ✗; r3: all 1 ✓
    assert out["response_id"].tolist() == ["r0", "r3"]
    assert out["rating"].tolist() == [5, 1] and out["n_answered"].tolist() == [3, 4]
    assert out.attrs["n_judged"] == 3
    assert len(df) == 5  # nothing dropped from the input


def test_straight_lining_across_scales_compares_on_0_100():
    # f_a on 1–5, f_b on 1–7, f_c on 0–100, f_d on 0–10 (declared in the study). By hand,
    # on 0–100 = 100·(x − lo)/(hi − lo):
    #   r0: 5, 7, 100, 10  → 100, 100, 100, 100: the same point (top of every scale) ✓
    #   r1: 3, 4, 50, 5    → 50, 50, 50, 50 ✓
    #   r2: 5, 5, 5, 5     → 100, 66.7, 5, 50: the same raw number, not the same point ✗
    #   r3: 1, 1, 0, —     → 0, 0, 0 (3 answered) ✓
    #   r4: 4, 4, —, —     → only 2 answered: not judged
    #   r5: —, 4, 5, 5     → 50, 5, 50: 5 of 0–100 is not 5 of 0–10 ✗
    from cxlab.study import parse_study

    study = parse_study({"factors": {"a": {"scale": "1-5"}, "b": {"scale": "1-7"},
                                     "c": {"scale": "0-100"}, "d": {"scale": "0-10"}}})
    na = pd.NA
    df = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(6)],
        "f_a": [5, 3, 5, 1, 4, na], "f_b": [7, 4, 5, 1, 4, 4],
        "f_c": [100, 50, 5, 0, na, 5], "f_d": [10, 5, 5, na, na, 5],
    }).astype({c: "Int64" for c in ["f_a", "f_b", "f_c", "f_d"]})
    out = quality.straight_lining(df, study=study)
    assert out["response_id"].tolist() == ["r0", "r1", "r3"]
    assert out["rating_100"].tolist() == [100.0, 50.0, 0.0]
    assert out["rating"].isna().all()  # each answered several scales: no own-scale value
    assert out.attrs["compared_on"] == "0-100" and out.attrs["n_judged"] == 5
    # the same frame without declared scales compares the raw numbers: r2 (all 5s) is flagged
    raw = quality.straight_lining(df)
    assert raw.attrs["compared_on"] == "raw"
    assert raw["response_id"].tolist() == ["r2"] and raw["rating"].tolist() == [5]
    # the trust report counts the same responses
    rep = quality.trust_report(df, study=study)
    sl = rep[rep.check == "straight-lining"].iloc[0]
    assert sl["details"]["k"] == 3 and sl["details"]["n"] == 5


def test_straight_lining_on_one_scale_keeps_the_rating():
    from cxlab.study import parse_study

    study = parse_study({"factors": {k: {"scale": "0-100"} for k in "abc"}})
    df = pd.DataFrame({"f_a": [80, 80], "f_b": [80, 81], "f_c": [80, 80]})
    out = quality.straight_lining(df, study=study)
    assert out.index.tolist() == [0] and out["rating"].tolist() == [80]
    assert out["rating_100"].tolist() == [80.0]


def test_duplicate_submissions_hand_frame():
    df = pd.DataFrame({
        "response_id": ["a", "b", "c", "d", "e"],
        "client_id": ["C1", "C1", "C1", "C2", "C1"],
        "survey": ["periodic", "periodic", "lapsed", "periodic", "periodic"],
        "submitted_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 09:00",
                                        "2026-01-05 11:00", "2026-01-05 10:00",
                                        "2026-01-06 10:00"]),
    })
    d = quality.duplicate_submissions(df)
    assert sorted(d["response_id"]) == ["a", "b"]  # same client, survey, day
    assert d.set_index("response_id").loc["b", "first"]  # 09:00 came first
    assert (d["n_same_day"] == 2).all()


def test_channel_mix_and_small_n_mask():
    df = pd.DataFrame({"channel": ["phone"] * 6 + ["web"] * 2 + ["web"] * 4,
                       "quarter": ["Q1"] * 8 + ["Q2"] * 4})
    m = quality.channel_mix(df, by="quarter")
    assert m.loc[("Q1", "phone"), "share"] == pytest.approx(6 / 8)
    assert m.loc[("Q2", "web"), "n_channels"] == 1
    t = pd.DataFrame({"n": [5, 30, 31]})
    assert quality.small_n_mask(t, 30).tolist() == [True, False, False]
    with pytest.raises(ParameterError, match="'n'"):
        quality.small_n_mask(pd.DataFrame({"x": [1]}), 30)


def test_trust_report_collects_flags(rng):
    df = _interviews(rng)
    df["client_id"] = [f"C{i}" for i in range(len(df))]
    df["survey"] = "periodic"
    df["submitted_at"] = pd.Timestamp("2026-02-01") + pd.to_timedelta(
        np.arange(len(df)) % 60, unit="D")
    dup = df.iloc[[0]].assign(submitted_at=df["submitted_at"].iloc[0] + pd.Timedelta("1h"))
    df = pd.concat([df, dup], ignore_index=True)
    rep = quality.trust_report(df)
    assert list(rep.columns) == ["check", "subject", "n", "evidence", "flagged", "details"]
    gaming = rep[rep.check == "interviewer gaming"]
    assert gaming.loc[gaming.flagged, "subject"].tolist() == ["I07"]
    assert rep.loc[rep.check == "duplicate submissions", "flagged"].item()
    assert "1 extra" in rep.loc[rep.check == "duplicate submissions", "evidence"].item()
    # the same numbers, structured, for a report to word in its own language
    assert rep.loc[rep.check == "duplicate submissions", "details"].item()["extra"] == 1
    i07 = gaming.set_index("subject").loc["I07", "details"]
    assert i07["share_10"] > i07["others_share_10"] and i07["q_tens"] < 0.05


# ====================================================================== planted truths
# These tests run on the sample data set (cxlab.samples; data/samples/*.csv when it is
# there, else generated in memory with the default seed) and check the truths the
# generator planted (cxlab.samples.TRUTHS).

@pytest.fixture(scope="module")
def sample_responses():
    if (SAMPLES_DIR / "responses.csv").exists():
        return samples.load("responses")
    return samples.generate(out=None)["responses"]


def test_planted_truth_only_gamed_interviewer_flagged(sample_responses):
    # planted: interviewer I07 records 10 ~90 % of the time (others ~25 %)
    gamed = samples.TRUTHS["gaming"]["interviewer"]
    fl = quality.interviewer_flags(sample_responses)
    assert fl.index[fl["flagged"]].tolist() == [gamed]
    row = fl.loc[gamed]
    assert row["share_10"] > 0.8 and row["q_tens"] < 1e-10
    assert row["sd"] < row["others_sd"] and row["q_sd"] < 0.01


def test_planted_truth_trust_report_on_samples(sample_responses):
    rep = quality.trust_report(sample_responses)
    flagged_interviewers = rep[(rep.check == "interviewer gaming") & rep.flagged]
    assert flagged_interviewers["subject"].tolist() == [samples.TRUTHS["gaming"]["interviewer"]]
    assert len(sample_responses) == rep.loc[rep.check == "duplicate submissions", "n"].item()
