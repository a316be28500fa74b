"""Tests of cxlab.quality: interviewer gaming, straight-lining, duplicates, channel mix.

Expected numbers come from scipy (one-sided Fisher's exact test, the hypergeometric pmf
enumerated by hand over strata, Levene/Brown–Forsythe on the raw answers), statsmodels
(``StratifiedTable``: Mantel–Haenszel odds ratio, CMH statistic), an independent
within-stratum permutation on the raw answers (numpy), a hand Benjamini–Hochberg,
hand-made frames, or the planted truths of the sample data (``cxlab.samples.TRUTHS``;
section at the end). The false-flag rate and power of the interviewer check are
simulated in ``test_gaming_simulation.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from cxlab import quality, samples
from cxlab.errors import ParameterError
from cxlab.paths import SAMPLES_DIR


def _interviews(rng, gamed="I07", n_each=120):
    """Seven phone interviewers, 120 answers each from one honest distribution; ``gamed``
    (None: nobody) records a 10 90 % of the time."""
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


def _mad(x) -> float:
    """Mean absolute deviation from the median (Brown–Forsythe's deviations), numpy."""
    x = np.asarray(x, float)
    return float(np.mean(np.abs(x - np.median(x))))


def _permutation_p(groups, strata, me, n_perm=4000, seed=1) -> tuple[float, float]:
    """(statistic, p) of the stratified spread test, independently: raw answers, labels
    shuffled within strata by numpy, the statistic recomputed with np.median; p is the
    lower normal tail at the permutation mean and SD (as documented in cxlab.quality)."""
    r = np.random.default_rng(seed)
    strata = np.asarray(strata)

    def statistic(lab):
        num = den = 0.0
        for s in np.unique(strata):
            m = strata == s
            a, b = groups[m & (lab == me)], groups[m & (lab != me)]
            if len(a) and len(b):
                w = len(a) * len(b) / (len(a) + len(b))
                num, den = num + w * (_mad(a) - _mad(b)), den + w
        return num / den

    labels = np.asarray(groups.index.to_numpy())
    groups = np.asarray(groups.to_numpy(float))
    lab = labels.copy()
    obs = statistic(lab)
    null = []
    for _ in range(n_perm):
        for s in np.unique(strata):
            m = np.flatnonzero(strata == s)
            lab[m] = r.permutation(labels[m])
        null.append(statistic(lab))
    null = np.array(null)
    return obs, float(stats.norm.cdf((obs - null.mean()) / null.std(ddof=1)))


def test_interviewer_flags_finds_the_gamed_one(rng):
    df = _interviews(rng)
    fl = quality.interviewer_flags(df)
    assert fl.index[fl["flagged"]].tolist() == ["I07"]
    assert fl.loc["I07", "flagged_round"] == 1 and fl["flagged_round"].isna().sum() == 6
    assert fl.attrs["strata"] == ["channel"]  # one channel: a single stratum
    # the table shows the last round: I07 flagged, so I03's reference is the other five
    me = df[df.interviewer_id == "I03"]["nps"]
    others = df[~df.interviewer_id.isin(["I03", "I07"])]["nps"]
    assert fl.loc["I03", "others_n"] == 5 * 120 == len(others)
    # one stratum: one-sided Fisher's exact test on the hand 2×2 table (scipy)
    table = [[(me == 10).sum(), (me != 10).sum()], [(others == 10).sum(), (others != 10).sum()]]
    fe = stats.fisher_exact(table, alternative="greater")
    assert fl.loc["I03", "p_tens"] == pytest.approx(fe.pvalue)
    assert fl.loc["I03", "odds_ratio"] == pytest.approx(fe.statistic)  # MH OR of one table
    assert fl.loc["I03", "others_share_10"] == pytest.approx((others == 10).mean())
    # spread: the statistic by numpy on the raw answers, p by an independent permutation
    mine_and_ref = df[df.interviewer_id != "I07"].set_index("interviewer_id")["nps"]
    obs, p = _permutation_p(mine_and_ref, np.zeros(len(mine_and_ref)), "I03")
    assert fl.loc["I03", "mad_diff"] == pytest.approx(_mad(me) - _mad(others)) \
        == pytest.approx(obs)
    assert fl.loc["I03", "p_sd"] == pytest.approx(p, abs=0.03)  # two Monte-Carlo estimates
    assert fl.loc["I03", "sd"] == pytest.approx(me.to_numpy(float).std(ddof=1))
    assert fl.loc["I03", "others_sd"] == pytest.approx(others.to_numpy(float).std(ddof=1))
    # BH over both families of the last round, by hand
    q = _bh(np.concatenate([fl["p_tens"], fl["p_sd"]]))
    assert fl["q_tens"].to_numpy() == pytest.approx(q[:7])
    assert fl["q_sd"].to_numpy() == pytest.approx(q[7:])
    assert f"10s: {fl.loc['I07', 'share_10']:.0%} of {fl.loc['I07', 'n']}" in \
        fl.loc["I07", "evidence"]
    assert "flagged in round 1" in fl.loc["I07", "evidence"]
    # the same seed gives the same table
    pd.testing.assert_frame_equal(fl, quality.interviewer_flags(df))


def test_flagged_interviewers_are_tested_against_the_unflagged_others(rng):
    df = _interviews(rng)
    second = df["interviewer_id"] == "I02"  # a second gamer: 90 % of its answers made 10s
    df.loc[second, "nps"] = np.where(rng.random(second.sum()) < 0.9, 10,
                                     df.loc[second, "nps"].to_numpy())
    fl = quality.interviewer_flags(df)
    assert fl.index[fl["flagged"]].tolist() == ["I02", "I07"]
    honest = df[~df.interviewer_id.isin(["I02", "I07"])]
    # each gamer against the five honest interviewers, never against the other gamer
    for gamer in ("I02", "I07"):
        assert fl.loc[gamer, "others_n"] == len(honest)
        assert fl.loc[gamer, "others_share_10"] == pytest.approx((honest["nps"] == 10).mean())
    assert (fl.loc[fl.index.difference(["I02", "I07"]), "others_n"] == 4 * 120).all()


def test_interviewer_fewer_tens_is_never_a_finding(rng):
    df = _interviews(rng, gamed=None)
    low = df["interviewer_id"] == "I01"  # I01 never records a 10: fewer 10s is no gaming
    df.loc[low, "nps"] = df.loc[low, "nps"].clip(upper=9)
    fl = quality.interviewer_flags(df)
    assert not fl["flagged"].any()
    # one-sided: the test of "more 10s" finds nothing (scipy, the other direction's tail)
    me, others = df[low]["nps"], df[~low]["nps"]
    table = [[0, len(me)], [(others == 10).sum(), (others != 10).sum()]]
    assert fl.loc["I01", "p_tens"] == pytest.approx(
        stats.fisher_exact(table, alternative="greater").pvalue) == pytest.approx(1.0)
    assert fl.loc["I01", "q_tens"] > 0.5


def test_interviewer_flags_within_strata():
    # Hand frame: interviewer A calls mostly after camps (10s common there), B and C mostly
    # periodic clients; a "lapsed" stratum only B and C have contributes nothing to A.
    def answers(who, survey, scores):
        return pd.DataFrame({"interviewer_id": who, "survey": survey, "nps": scores})

    camp = [10] * 14 + [9] * 4 + [8] * 2
    periodic = [10] * 2 + [9] * 3 + [8] * 3 + [7] * 2 + [5, 3]
    df = pd.concat([
        answers("A", "after_camp", camp * 2), answers("A", "periodic", periodic),
        answers("B", "after_camp", camp[::4]), answers("B", "periodic", periodic * 3),
        answers("C", "after_camp", camp[1::4] + [10]), answers("C", "periodic", periodic * 2),
        answers("B", "lapsed", [0, 1, 2, 10] * 3), answers("C", "lapsed", [3, 10] * 4),
    ], ignore_index=True).astype({"nps": "Int64"})
    fl = quality.interviewer_flags(df, min_n=10, strata=("survey",))
    a, ref = df[df.interviewer_id == "A"], df[df.interviewer_id != "A"]
    ref_used = ref[ref.survey != "lapsed"]  # A has no lapsed answers
    assert fl.loc["A", "strata"] == 2 and fl.loc["A", "others_n"] == len(ref_used)
    # Mantel–Haenszel odds ratio and the CMH statistic by statsmodels
    tables = []
    for s in ("after_camp", "periodic"):
        x, y = a[a.survey == s]["nps"], ref_used[ref_used.survey == s]["nps"]
        tables.append(np.array([[(x == 10).sum(), (x != 10).sum()],
                                [(y == 10).sum(), (y != 10).sum()]]))
    st = StratifiedTable(tables)
    assert fl.loc["A", "odds_ratio"] == pytest.approx(st.oddsratio_pooled)
    # the exact conditional p: P(Σ 10s ≥ observed), enumerated over both strata by hand
    # with scipy's hypergeometric pmf (not the convolution the module uses)
    dists = [stats.hypergeom(t.sum(), t[:, 0].sum(), t[0].sum()) for t in tables]
    observed = sum(t[0, 0] for t in tables)
    p = sum(dists[0].pmf(i) * dists[1].pmf(j)
            for i in range(tables[0][0].sum() + 1) for j in range(tables[1][0].sum() + 1)
            if i + j >= observed)
    assert fl.loc["A", "p_tens"] == pytest.approx(p)
    # within strata A has, if anything, fewer 10s (camps 28 of 40 against the others'
    # 9 of 11): the one-sided test of more 10s finds nothing
    assert st.oddsratio_pooled < 1 and fl.loc["A", "p_tens"] > 0.5
    # the reference's share of 10s on A's mix of strata (direct standardisation by hand)
    n_a = [t[0].sum() for t in tables]
    ref_share = [t[1, 0] / t[1].sum() for t in tables]
    assert fl.loc["A", "expected_share_10"] == pytest.approx(
        np.dot(n_a, ref_share) / sum(n_a))
    # spread within strata: statistic by numpy, p by an independent permutation
    used = pd.concat([a, ref_used])
    obs, p_sd = _permutation_p(used.set_index("interviewer_id")["nps"], used["survey"], "A")
    assert fl.loc["A", "mad_diff"] == pytest.approx(obs)
    assert fl.loc["A", "p_sd"] == pytest.approx(p_sd, abs=0.03)
    # pooled, A's camp calls look like gaming (more 10s, less spread); within strata not
    assert not fl["flagged"].any()
    pooled = quality.interviewer_flags(df, min_n=10, strata=())
    assert pooled.index[pooled["flagged"]].tolist() == ["A"]
    assert pooled.loc["A", "others_n"] == len(ref) and pooled.attrs["strata"] == []


def test_interviewer_cmh_normal_approximation_for_large_n():
    # above EXACT_MAX_N answers the CMH normal approximation with continuity correction:
    # its square is statsmodels' test_null_odds(correction=True) statistic
    r = np.random.default_rng(7)
    n = 140_000  # per stratum n₁·n₂·m·(N − m) ≈ 2·10¹⁹: beyond 64-bit integers
    df = pd.DataFrame({
        "interviewer_id": ["A"] * n + ["B"] * n,
        "survey": r.choice(["x", "y"], 2 * n),
        "nps": np.concatenate([r.choice([8, 9, 10], n, p=[0.3, 0.4, 0.3]),
                               r.choice([8, 9, 10], n, p=[0.32, 0.4, 0.28])])})
    fl = quality.interviewer_flags(df, strata=("survey",), n_permutations=100)
    tables = []
    for s in ("x", "y"):
        x = df[(df.survey == s) & (df.interviewer_id == "A")]["nps"]
        y = df[(df.survey == s) & (df.interviewer_id == "B")]["nps"]
        tables.append([[(x == 10).sum(), (x != 10).sum()], [(y == 10).sum(), (y != 10).sum()]])
    st = StratifiedTable(tables)
    z = np.sqrt(st.test_null_odds(correction=True).statistic)
    assert fl.loc["A", "odds_ratio"] > 1  # A has more 10s: the upper tail
    assert fl.loc["A", "p_tens"] == pytest.approx(stats.norm.sf(z))


def test_interviewer_default_strata_from_the_study():
    # the sample study declares programme (a closed code list) and teacher_id (free codes)
    df = pd.DataFrame({"interviewer_id": ["a", "b"] * 20, "nps": [9, 10] * 20,
                       "survey": "periodic", "programme": "camp", "teacher_id": "T1",
                       "channel": "phone"})
    fl = quality.interviewer_flags(df, min_n=5)
    assert fl.attrs["strata"] == ["channel", "survey", "programme"]
    assert quality.interviewer_flags(df, min_n=5, strata="survey").attrs["strata"] == ["survey"]
    with pytest.raises(ParameterError, match="'region'"):
        quality.interviewer_flags(df, strata=("survey", "region"))


def test_interviewer_scores_must_be_whole_numbers():
    df = pd.DataFrame({"interviewer_id": ["a", "b", "a", None], "nps": [9, 9.5, 10, 7.5]})
    # row 4 (7.5) has no interviewer and is not used; row 2 is
    with pytest.raises(ParameterError, match=r"'nps', row 2: got 9\.5"):
        quality.interviewer_flags(df)
    df.loc[1, "nps"] = 11
    with pytest.raises(ParameterError, match=r"row 2: got 11"):
        quality.interviewer_flags(df)
    with pytest.raises(ParameterError, match="n_permutations"):
        quality.interviewer_flags(df, n_permutations=10)


def test_interviewer_ledger_counts_the_reference_used(rng, monkeypatch, tmp_path):
    from cxlab import disclosure

    monkeypatch.setenv(disclosure.ENV, str(tmp_path / "l.jsonl"))
    df = _interviews(rng)
    df["response_id"] = [f"r{i}" for i in range(len(df))]
    df["survey"] = np.where(np.arange(len(df)) % 3 == 0, "lapsed", "periodic")
    df.loc[(df.interviewer_id == "I01") & (df.survey == "lapsed"), "survey"] = "periodic"
    fl = quality.interviewer_flags(df, strata=("survey",))
    disclosure.check_members(fl, "n")
    disclosure.check_members(fl, "others_n")
    # I01 has no lapsed answers: its reference is the periodic answers of the others, I07
    # (flagged) left out
    want = df[(df.survey == "periodic") & ~df.interviewer_id.isin(["I01", "I07"])]
    assert set(disclosure.lookup(fl, "others_n", "I01").ids) == set(want["response_id"])


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
    assert fl.attrs["strata"] == ["channel", "survey", "programme"]


def test_planted_truth_no_honest_interviewer_has_fewer_tens(sample_responses):
    gamed = samples.TRUTHS["gaming"]["interviewer"]
    fl = quality.interviewer_flags(sample_responses)
    honest = [w for w in fl.index if w != gamed]
    # one-sided tests: nothing about an honest interviewer is a finding
    assert (fl.loc[honest, ["q_tens", "q_sd"]] >= 0.05).all().all()
    assert not any("fewer" in e for e in fl["evidence"])
    # each honest interviewer's reference is the other honest interviewers (I07 flagged)
    asked = sample_responses[sample_responses["interviewer_id"].notna()
                             & sample_responses["nps"].notna()]
    by = asked.groupby("interviewer_id")["nps"]
    n_honest = int(by.size()[honest].sum())
    assert (fl.loc[honest, "others_n"] == n_honest - fl.loc[honest, "n"]).all()
    # the artefact the audit found, by scipy's two-sided Fisher test and a hand BH: with
    # I07 in every pool 5 of the 6 honest interviewers had "significantly fewer 10s";
    # against the honest others none does
    tens = by.apply(lambda s: int((s == 10).sum()))
    n = by.size()

    def fisher(who, pool):
        o_t, o_n = tens[pool].sum() - tens[who], n[pool].sum() - n[who]
        return stats.fisher_exact([[tens[who], n[who] - tens[who]],
                                   [o_t, o_n - o_t]]).pvalue

    with_gamer = _bh([fisher(w, list(n.index)) for w in honest])
    without = _bh([fisher(w, honest) for w in honest])
    assert (with_gamer < 0.05).sum() == 5 and (without >= 0.05).all()


def test_planted_truth_trust_report_on_samples(sample_responses):
    rep = quality.trust_report(sample_responses)
    flagged_interviewers = rep[(rep.check == "interviewer gaming") & rep.flagged]
    assert flagged_interviewers["subject"].tolist() == [samples.TRUTHS["gaming"]["interviewer"]]
    assert len(sample_responses) == rep.loc[rep.check == "duplicate submissions", "n"].item()
