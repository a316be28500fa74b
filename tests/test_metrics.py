"""Tests of cxlab.metrics.

Every expected number names its source: a published value, the independent reference
script ``tests/reference/make_metrics_reference.py`` (standard library only), another
implementation (statsmodels, scipy) or a hand computation written out in the test.
"""

from __future__ import annotations

import json
from math import sqrt
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from _reference_stats import square_and_add, tango_brute
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from cxlab import metrics
from cxlab.errors import ChannelMixingError, CxlabError, ParameterError

REF = json.loads((Path(__file__).parent / "reference" / "metrics_reference.json").read_text())
Z95 = NormalDist().inv_cdf(0.975)


def scores(P, A, D):
    """A Series with P promoters (10), A passives (8), D detractors (3)."""
    return pd.Series([10] * P + [8] * A + [3] * D, dtype="Int64")


# ------------------------------------------------------------------ published values

def test_rocks_counts_1_2_3():
    # Rocks (2016) / R package NPS npvar(): D/Pa/P = 1/2/3 → NPS 1/3, var 5/9, SE 0.3043
    r = metrics.nps(scores(3, 2, 1), ci="wald")
    ref = REF["rocks_1_2_3"]
    assert r.nps == pytest.approx(100 * ref["nps_unit"])
    assert (r.se / 100) ** 2 * r.n == pytest.approx(ref["variance"])  # var = se² · n
    assert r.se / 100 == pytest.approx(0.3043, abs=5e-5)  # sqrt(5/9/6), published ≈ 0.304
    assert (r.promoters, r.passives, r.detractors, r.n) == (3, 2, 1, 6)


def test_wald_200_promoters_100_detractors_of_500():
    # issue 3 / Rocks: NPS 20, Wald 95 % CI ≈ [13.44, 26.56]
    r = metrics.nps_from_counts(200, 200, 100, ci="wald")
    assert r.nps == pytest.approx(20.0)
    assert r.ci_low == pytest.approx(13.44, abs=0.005)
    assert r.ci_high == pytest.approx(26.56, abs=0.005)
    assert r.se == pytest.approx(REF["wald_200_200_100"]["se"])


@pytest.mark.parametrize("key", list(REF["adjusted_wald"]))
def test_adjusted_wald_against_hand_formula(key):
    # reference script: Rocks (2016) adjusted Wald, +3/4 promoter, +3/4 detractor, n + 3
    P, A, D = map(int, key.split("_"))
    r = metrics.nps_from_counts(P, A, D, ci="adjusted-wald")  # default: "score" (below)
    assert r.method == "adjusted-wald"
    assert r.ci_low == pytest.approx(REF["adjusted_wald"][key]["ci_low"], abs=1e-9)
    assert r.ci_high == pytest.approx(REF["adjusted_wald"][key]["ci_high"], abs=1e-9)
    assert r.nps == pytest.approx(100 * (P - D) / (P + A + D))  # the estimate stays raw


def test_adjusted_wald_written_out_for_3_2_1():
    # hand: n~ = 9, p~ = 3.75/9, d~ = 1.75/9, var = p~ + d~ − (p~ − d~)² → [−26.74, 71.19]
    pt, dt = 3.75 / 9, 1.75 / 9
    se = sqrt((pt + dt - (pt - dt) ** 2) / 9)
    r = metrics.nps_from_counts(3, 2, 1, ci="adjusted-wald")
    assert r.ci_low == pytest.approx(100 * (pt - dt - Z95 * se))
    assert r.ci_high == pytest.approx(100 * (pt - dt + Z95 * se))


def test_wilson_textbook_and_statsmodels():
    # hand Wilson formula (reference script) for 81 of 263: [0.2553, 0.3662]
    r = metrics.binary_nps(pd.Series([True] * 81 + [False] * 182))
    assert (r.ci_low, r.ci_high) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert r.ci_low == pytest.approx(REF["wilson_81_263"]["ci_low"], abs=1e-12)
    lo, hi = proportion_confint(81, 263, alpha=0.05, method="wilson")  # statsmodels
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi))
    assert (r.successes, r.n, r.share) == (81, 263, pytest.approx(81 / 263))


def test_level_changes_width():
    # hand: 90 % Wald half-width = z(0.95) · se
    r = metrics.nps_from_counts(200, 200, 100, ci="wald", level=0.90)
    z = NormalDist().inv_cdf(0.95)
    assert r.ci_high - r.nps == pytest.approx(z * r.se)


# ------------------------------------------------------------------ bootstrap

def test_bootstrap_reproducible_with_seed():
    # 1,000 answers: the resampled NPS lies on a 0.2-point grid fine enough for two seeds'
    # percentiles to differ (at 100 answers both land on the same whole points)
    a = metrics.nps_from_counts(401, 300, 299, ci="bootstrap", seed=7)
    b = metrics.nps_from_counts(401, 300, 299, ci="bootstrap", seed=7)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    others = {(r.ci_low, r.ci_high) for r in (
        metrics.nps_from_counts(401, 300, 299, ci="bootstrap", seed=s) for s in range(8, 14))}
    assert others - {(a.ci_low, a.ci_high)}  # the seed is used


def test_bootstrap_agrees_with_wald_at_n_500():
    # at n = 500 the multinomial bootstrap is close to normal: its percentile interval
    # matches Wald within Monte-Carlo error (quantile se ≈ 0.1 points at 10 000
    # resamples) plus the 0.2-point grid of a 500-answer NPS
    w = metrics.nps_from_counts(200, 200, 100, ci="wald")
    for seed in (0, 1, 2):
        b = metrics.nps_from_counts(200, 200, 100, ci="bootstrap", seed=seed)
        assert b.ci_low == pytest.approx(w.ci_low, abs=0.5)
        assert b.ci_high == pytest.approx(w.ci_high, abs=0.5)


def test_bootstrap_cost_independent_of_n():
    # ten million answers: only three counts are resampled
    r = metrics.nps_from_counts(4_000_000, 3_000_000, 3_000_000, ci="bootstrap", n_boot=1000)
    w = metrics.nps_from_counts(4_000_000, 3_000_000, 3_000_000, ci="wald")
    assert r.ci_low == pytest.approx(w.ci_low, abs=0.01)


# ------------------------------------------------------------------ channel rule

def test_mixed_channels_raise_and_pooled_is_marked():
    df = pd.DataFrame({"nps": [10, 9, 3, 7, 8, 10],
                       "channel": ["phone", "web", "phone", "web", "messenger", pd.NA]})
    with pytest.raises(ChannelMixingError, match="messenger, phone, web"):
        metrics.nps(df)
    with pytest.raises(ChannelMixingError):
        metrics.csi(df.assign(csat=[5, 4, 3, 2, 1, 5]))
    with pytest.raises(ChannelMixingError):
        metrics.binary_nps(df.assign(recommend=[True, False] * 3))
    r = metrics.nps(df, pool_channels=True)
    assert r.pooled and r.channels == ("messenger", "phone", "web")
    assert "POOLED" in repr(r)
    one = metrics.nps(df[df["channel"] == "phone"])
    assert not one.pooled and one.channels == ("phone",)
    # channels of rows without a score do not count
    only = df.assign(nps=[10, pd.NA, 3, pd.NA, pd.NA, pd.NA]).astype({"nps": "Int64"})
    assert metrics.nps(only).channels == ("phone",)


def test_channel_mixing_error_is_a_cxlab_error():
    assert issubclass(ChannelMixingError, CxlabError)


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("bad", [[10, 11], [10, -1], [9.5, 3], ["ten", 3]])
def test_bad_scores_raise_parameter_error(bad):
    with pytest.raises(ParameterError, match="0 to 10"):
        metrics.nps(pd.Series(bad))


def test_binary_answers_are_not_nps():
    with pytest.raises(ParameterError, match="binary"):
        metrics.nps(pd.Series([True, False]))


def test_no_answers_raise():
    with pytest.raises(ParameterError, match="no 0–10 answers"):
        metrics.nps(pd.Series([pd.NA, pd.NA], dtype="Int64"))
    with pytest.raises(ParameterError, match="ci="):
        metrics.nps(scores(1, 1, 1), ci="exact")
    with pytest.raises(ParameterError, match="level"):
        metrics.nps(scores(1, 1, 1), level=95)


# ------------------------------------------------------------------ CSI

def test_csi_top_box_and_index_on_1_to_5():
    s = pd.Series([5, 5, 4, 3, 2, 1, 4, 5, 5, 3], dtype="Int64")
    r = metrics.csi(s, scale="1-5")
    # top box of 1–5 = 4–5: 6 of 10 with statsmodels' Wilson interval
    assert r.top_box.share == pytest.approx(0.6) and r.top_box.successes == 6
    assert (r.top_box.ci_low, r.top_box.ci_high) == pytest.approx(
        proportion_confint(6, 10, method="wilson"))
    # index = (mean − 1)/4·100 with a t interval (scipy on the raw ratings)
    x = (s.to_numpy(dtype=float) - 1) / 4 * 100
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert r.index.index == pytest.approx(x.mean())
    assert (r.index.ci_low, r.index.ci_high) == pytest.approx((lo, hi))
    assert list(r.table["figure"]) == ["top-box share", "index (0–100)"]
    row = r.as_row()
    assert row["index"] == pytest.approx(x.mean()) and "<table" in r._repr_html_()
    assert row["top_box_share"] == pytest.approx(0.6) and row["scale"] == "1-5"
    # the sample study declares csat on 1-5: the default gives the same numbers
    assert metrics.csi(s).index.index == pytest.approx(r.index.index)


@pytest.mark.parametrize("scale, lo, hi, top", [("0-100", 0, 100, 80), ("1-7", 1, 7, 6),
                                                ("0-10", 0, 10, 9), ("1-11", 1, 11, 10)])
def test_csi_on_other_scales(rng, scale, lo, hi, top):
    # top box per cxlab.study: top two points up to 11 points, the top fifth (80–100)
    # beyond; index 100·(mean − lo)/(hi − lo). Expected values: numpy/scipy/statsmodels
    # on the raw ratings.
    v = rng.integers(lo, hi + 1, size=257).astype(float)
    v[rng.random(257) < 0.1] = np.nan  # not answered
    s = pd.Series(v).astype("Int64")
    r = metrics.csi(s, scale=scale)
    x = v[~np.isnan(v)]
    k = int((x >= top).sum())
    assert (r.top_box.successes, r.top_box.n) == (k, x.size)
    assert (r.top_box.ci_low, r.top_box.ci_high) == pytest.approx(
        proportion_confint(k, x.size, method="wilson"))
    y = (x - lo) / (hi - lo) * 100
    ci = stats.t.interval(0.95, y.size - 1, loc=y.mean(), scale=stats.sem(y))
    assert r.index.index == pytest.approx(y.mean())
    assert (r.index.ci_low, r.index.ci_high) == pytest.approx(ci)
    assert r.index.mean == pytest.approx(x.mean()) and r.index.sd == pytest.approx(x.std(ddof=1))
    # the grouped table agrees with the one-group function
    t = metrics.csi_table(pd.DataFrame({"csat": s, "store": "s1"}), by="store", scale=scale)
    assert t.loc["s1", "top_box"] == k
    assert t.loc["s1", "top_box_share"] == pytest.approx(k / x.size)
    assert t.loc["s1", "index_ci_high"] == pytest.approx(ci[1])
    assert t.attrs["scale"] == scale and t.attrs["top_box"] == top


def test_csi_takes_its_scale_from_the_study():
    from cxlab.study import parse_study

    study = parse_study({"csat": {"scale": "0-100"}})
    r = metrics.csi(pd.Series([100, 80, 79, 0]), study=study)
    # 0–100: top box 80–100 → 2 of 4; index = mean = 64.75
    assert r.top_box.successes == 2 and r.index.index == pytest.approx(64.75)
    # a study may set the top box itself
    own = parse_study({"csat": {"scale": "0-100", "top_box": 90}})
    assert metrics.csi(pd.Series([100, 80, 79, 0]), study=own).top_box.successes == 1
    with pytest.raises(ParameterError, match="0 to 100"):
        metrics.csi(pd.Series([101, 5]), study=study)
    with pytest.raises(ParameterError, match="scale="):
        metrics.csi(pd.Series([1, 5]), scale="five")
    with pytest.raises(ParameterError, match="declares no scale"):
        metrics.csi(pd.DataFrame({"f_nowhere": [1, 2]}), column="f_nowhere")


def test_csi_rejects_values_off_its_scale():
    with pytest.raises(ParameterError, match="1 to 5"):
        metrics.csi(pd.Series([0, 5]), scale="1-5")


# ------------------------------------------------------------------ tables

@pytest.fixture
def responses():
    rng = np.random.default_rng(3)
    n = 600
    ch = rng.choice(["phone", "web"], n)
    base = np.where(ch == "phone", 8.5, 7.0)
    score = np.clip(np.round(rng.normal(base, 2)), 0, 10).astype(int)
    return pd.DataFrame({
        "channel": pd.array(ch, dtype="string"),
        "programme": pd.array(rng.choice(["camp", "hike", "workshop"], n), dtype="string"),
        "nps": pd.array(score, dtype="Int64"),
        "recommend": pd.array(score >= 7, dtype="boolean"),
        "csat": pd.array(np.clip(score // 2, 1, 5), dtype="Int64"),
        "submitted_at": pd.to_datetime("2025-01-01")
        + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
    })


def test_nps_table_adds_channel_and_matches_nps(responses):
    t = metrics.nps_table(responses, by=["programme"], min_n=50)
    assert t.index.names == ["channel", "programme"]
    for (ch, prog), row in t.iterrows():
        sub = responses[(responses.channel == ch) & (responses.programme == prog)]
        r = metrics.nps(sub)  # the one-group function is the reference for each row
        assert row["nps"] == pytest.approx(r.nps)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((r.ci_low, r.ci_high))
        assert row["n"] == r.n and row["small_n"] == (r.n < 50)
    pooled = metrics.nps_table(responses, by="programme", pool_channels=True)
    assert pooled.index.names == ["programme"] and pooled["pooled"].all()


def test_quarter_is_derived_when_asked(responses):
    t = metrics.nps_table(responses, by="quarter")
    q = responses.assign(quarter=responses["submitted_at"].dt.to_period("Q").astype(str))
    sub = q[(q.channel == "web") & (q.quarter == "2025Q2")]
    assert t.loc[("web", "2025Q2"), "nps"] == pytest.approx(metrics.nps(sub).nps)
    assert t.loc[("web", "2025Q2"), "n"] == len(sub)


def test_small_n_flagged(responses):
    t = metrics.nps_table(responses.head(40), by="programme", min_n=10)
    assert (t["small_n"] == (t["n"] < 10)).all() and t["small_n"].any()


def test_binary_and_csi_tables(responses):
    b = metrics.binary_nps_table(responses)
    for ch, row in b.iterrows():
        x = responses.loc[responses.channel == ch, "recommend"]
        assert row["share"] == pytest.approx(x.mean())
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            proportion_confint(int(x.sum()), len(x), method="wilson"))
    c = metrics.csi_table(responses, by="programme")
    r = metrics.csi(responses[(responses.channel == "web") & (responses.programme == "camp")])
    assert c.loc[("web", "camp"), "index"] == pytest.approx(r.index.index)
    assert c.loc[("web", "camp"), "index_ci_low"] == pytest.approx(r.index.ci_low)


def test_nps_trend_change_against_hand_z():
    q1 = [10] * 50 + [8] * 30 + [2] * 20  # P50 A30 D20: NPS 30
    q2 = [10] * 35 + [8] * 30 + [2] * 35  # P35 A30 D35: NPS 0
    df = pd.DataFrame({"nps": q1 + q2, "channel": "web",
                       "submitted_at": pd.to_datetime(["2025-05-01"] * 100
                                                      + ["2025-08-01"] * 100)})
    t = metrics.nps_trend(df)
    row = t.loc[("web", "2025Q3")]
    # hand: var1 = .7 − .09 = .61, var2 = .7 − 0 = .7; se = sqrt(.61/100 + .7/100)
    se = sqrt(0.61 / 100 + 0.70 / 100)
    z = (0.0 - 0.30) / se
    assert row["change"] == pytest.approx(-30.0)
    assert row["change_se"] == pytest.approx(100 * se)
    assert row["change_z"] == pytest.approx(z)
    assert row["change_p"] == pytest.approx(2 * (1 - NormalDist().cdf(abs(z))))
    # the interval: Newcombe's square-and-add of the two quarters' score intervals, each
    # found by brute force (tests/_reference_stats.py)
    lo, hi = square_and_add(0.0, *tango_brute(35, 35, 100), 0.30, *tango_brute(50, 20, 100))
    assert row["change_ci_low"] == pytest.approx(100 * lo, abs=1e-6)
    assert row["change_ci_high"] == pytest.approx(100 * hi, abs=1e-6)
    assert row["prev_quarter"] == "2025Q2"
    assert np.isnan(t.loc[("web", "2025Q2"), "change"])


def test_compare_nps_hand():
    a, b = metrics.nps_from_counts(60, 20, 20), metrics.nps_from_counts(40, 30, 30)
    r = metrics.compare_nps(a, b)
    se = sqrt((0.8 - 0.16) / 100 + (0.7 - 0.01) / 100)  # variances add
    assert r.diff == pytest.approx(30.0)
    assert r.se == pytest.approx(100 * se)
    assert r.p == pytest.approx(2 * (1 - NormalDist().cdf(0.30 / se)))
    lo, hi = square_and_add(0.6 - 0.2, *tango_brute(60, 20, 100), 0.4 - 0.3,
                            *tango_brute(40, 30, 100))
    assert (r.ci_low, r.ci_high) == pytest.approx((100 * lo, 100 * hi), abs=1e-6)


def test_compare_groups_holm_by_hand():
    # three groups against reference "r"; p by the hand z formula, Holm by hand
    counts = {"r": (40, 30, 30), "a": (60, 20, 20), "b": (45, 30, 25), "c": (20, 30, 50)}
    rows = []
    for g, (P, A, D) in counts.items():
        rows += [(g, 10)] * P + [(g, 8)] * A + [(g, 3)] * D
    df = pd.DataFrame(rows, columns=["grp", "nps"])
    out = metrics.compare_groups(df, "grp", reference="r")

    def p_hand(P, A, D, Pr=40, Ar=30, Dr=30):
        n, m = P + A + D, Pr + Ar + Dr
        e1, e2 = (P - D) / n, (Pr - Dr) / m
        v1 = (P + D) / n - e1 ** 2
        v2 = (Pr + Dr) / m - e2 ** 2
        return 2 * (1 - NormalDist().cdf(abs(e1 - e2) / sqrt(v1 / n + v2 / m)))

    p = {g: p_hand(*counts[g]) for g in "abc"}
    order = sorted(p, key=p.get)
    holm, running = {}, 0.0
    for i, g in enumerate(order):  # Holm: (m − i)·p, running max, capped at 1
        running = max(running, min(1.0, (3 - i) * p[g]))
        holm[g] = running
    for g in "abc":
        assert out.loc[g, "p"] == pytest.approx(p[g], rel=1e-9)
        assert out.loc[g, "p_holm"] == pytest.approx(holm[g], rel=1e-9)
    # and statsmodels agrees
    assert out["p_holm"].to_numpy() == pytest.approx(
        multipletests(out["p"].to_numpy(), method="holm")[1])


def test_compare_groups_means_welch_and_proportions(responses):
    df = responses[responses.channel == "web"]
    out = metrics.compare_groups(df, "programme", reference="workshop", metric="csat")
    x = df.loc[df.programme == "camp", "csat"].to_numpy(float)
    y = df.loc[df.programme == "workshop", "csat"].to_numpy(float)
    tt = stats.ttest_ind(x, y, equal_var=False)  # scipy on raw values
    # the frame has a channel column, so channel leads the index (one channel here)
    assert out.loc[("web", "camp"), "p"] == pytest.approx(tt.pvalue)
    assert out.loc[("web", "camp"), "diff"] == pytest.approx(x.mean() - y.mean())
    pr = metrics.compare_groups(df, "programme", reference="workshop", metric="recommend")
    xa = df.loc[df.programme == "camp", "recommend"]
    xb = df.loc[df.programme == "workshop", "recommend"]
    zst, pz = proportions_ztest([xa.sum(), xb.sum()], [len(xa), len(xb)])
    pr = pr.loc["web"]
    assert pr.loc["camp", "p"] == pytest.approx(pz)
    # Newcombe hybrid score interval by hand from Wilson limits
    pa, pb = xa.mean(), xb.mean()
    la, ua = proportion_confint(xa.sum(), len(xa), method="wilson")
    lb, ub = proportion_confint(xb.sum(), len(xb), method="wilson")
    lo = pa - pb - sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    hi = pa - pb + sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    assert (pr.loc["camp", "ci_low"], pr.loc["camp", "ci_high"]) == pytest.approx((lo, hi))


def test_compare_groups_masks_vs_rest_split_by_channel(responses):
    mask = responses["programme"] == "camp"
    out = metrics.compare_groups(responses, groups={"camp": mask})
    assert out.index.names == ["channel", "group"]
    sub = responses[responses.channel == "phone"]
    r = metrics.compare_nps(sub[sub.programme == "camp"], sub[sub.programme != "camp"])
    assert out.loc[("phone", "camp"), "diff"] == pytest.approx(r.diff)
    assert out.loc[("phone", "camp"), "p"] == pytest.approx(r.p)
    with pytest.raises(ParameterError, match="reference"):
        metrics.compare_groups(responses, "programme", reference="zoo")
    # combined row: inverse-variance weighted mean of the channel differences, by hand
    comb = metrics.compare_groups(responses, groups={"camp": mask}, combine_strata=True)
    parts = comb.drop(index="combined", level=0)
    w = 1 / parts["se"] ** 2
    assert comb.loc[("combined", "camp"), "diff"] == pytest.approx((w * parts["diff"]).sum()
                                                                  / w.sum())
    assert comb.loc[("combined", "camp"), "se"] == pytest.approx(1 / sqrt(w.sum()))
    assert comb.loc[("combined", "camp"), "n"] == parts["n"].sum()
    # two strata columns: channel (added) × programme
    two = metrics.compare_groups(responses, groups={"early": responses.submitted_at
                                                    < pd.Timestamp("2025-04-01")},
                                 by="programme")
    assert two.index.names == ["channel", "programme", "group"]
    sub = responses[(responses.channel == "web") & (responses.programme == "hike")]
    early = sub.submitted_at < pd.Timestamp("2025-04-01")
    assert two.loc[("web", "hike", "early"), "diff"] == pytest.approx(
        metrics.compare_nps(sub[early], sub[~early]).diff)


def test_any_segment_column_works_as_by_and_group_col(rng):
    # a survey-only export of another business: no channel column, segments travel_class
    # and store, codes the sample business never uses. Expected numbers by hand (numpy
    # counts) and statsmodels, not by another cxlab function.
    n = 900
    df = pd.DataFrame({
        "travel_class": pd.array(rng.choice(["economy", "business", "first"], n), dtype="string"),
        "store": pd.array(rng.choice(["s01", "s02", "s03", "s04"], n), dtype="string"),
        "nps": pd.array(rng.integers(0, 11, n), dtype="Int64"),
        "submitted_at": pd.Timestamp("2026-01-10") + pd.to_timedelta(rng.integers(0, 170, n),
                                                                     unit="D"),
    })
    df["recommend"] = pd.array(df["nps"].to_numpy(int) >= 7, dtype="boolean")
    t = metrics.nps_table(df, by="travel_class", min_n=30, ci="adjusted-wald")
    assert t.index.names == ["travel_class"]  # no channel column: nothing added
    for cls, row in t.iterrows():
        v = df.loc[df.travel_class == cls, "nps"].to_numpy(int)
        P, D = (v >= 9).sum(), (v <= 6).sum()
        assert row["n"] == v.size and row["nps"] == pytest.approx(100 * (P - D) / v.size)
        # adjusted Wald (Rocks 2016) written out
        nt = v.size + 3
        pt, dt = (P + 0.75) / nt, (D + 0.75) / nt
        se = sqrt((pt + dt - (pt - dt) ** 2) / nt)
        assert row["ci_low"] == pytest.approx(100 * (pt - dt - Z95 * se))
    b = metrics.binary_nps_table(df, by=["store"])
    for store, row in b.iterrows():
        x = df.loc[df.store == store, "recommend"]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            proportion_confint(int(x.sum()), len(x), method="wilson"))
    cmp = metrics.compare_groups(df, group_col="store", reference="s01")
    assert list(cmp.index) == ["s02", "s03", "s04"]
    a, r = (df.loc[df.store == g, "nps"].to_numpy(int) for g in ("s03", "s01"))
    e = [((x >= 9).mean() - (x <= 6).mean()) for x in (a, r)]
    var = [((x >= 9).mean() + (x <= 6).mean() - ei ** 2) / x.size for x, ei in zip((a, r), e)]
    assert cmp.loc["s03", "diff"] == pytest.approx(100 * (e[0] - e[1]))
    assert cmp.loc["s03", "se"] == pytest.approx(100 * sqrt(sum(var)))
    # a trend per segment: quarters 2026Q1 and 2026Q2, one row per class and quarter
    tr = metrics.nps_trend(df, by="travel_class")
    assert tr.index.names == ["travel_class", "quarter"]
    q2 = df[(df.travel_class == "first") & (df.submitted_at >= "2026-04-01")]["nps"].to_numpy(int)
    assert tr.loc[("first", "2026Q2"), "nps"] == pytest.approx(
        100 * ((q2 >= 9).mean() - (q2 <= 6).mean()))
    assert tr.loc[("first", "2026Q2"), "prev_quarter"] == "2026Q1"
    # with a channel column of other codes, channel still leads and the segment follows
    t2 = metrics.nps_table(df.assign(channel=np.where(np.arange(n) % 3, "email", "app")),
                           by="store")
    assert t2.index.names == ["channel", "store"]
    assert set(t2.index.get_level_values("channel")) == {"email", "app"}


# ------------------------------------------------------------------ FCR

def _contacts():
    # (client, topic, day, channel); data end = day 30 → days 24–30 are censored
    rows = [
        ("A", "оплата", 0, "phone"), ("A", "оплата", 3, "phone"),  # repeat in 3 d: fail
        ("A", "расписание", 1, "web"),  # alone: resolved
        ("B", "оплата", 0, "phone"), ("B", "оплата", 10, "phone"),  # 10 d apart: 2 resolved
        ("C", "оплата", 2, "phone"), ("C", "оплата", 9, "phone"),  # exactly 7 d: fail
        ("D", "x", 25, "web"),  # censored
        ("E", "x", 30, "phone"),  # censored (the last contact: end of data)
        ("F", "y", 20, "web"), ("F", "y", 24, "web"),  # judged (20 ≤ 23): fail
        ("G", "z", 5, "phone"), ("G", "z", 11, "phone"), ("G", "z", 17, "phone"),  # chain
    ]
    df = pd.DataFrame(rows, columns=["client_id", "topic", "day", "channel"])
    df["opened_at"] = pd.Timestamp("2026-01-01 10:00") + pd.to_timedelta(df["day"], unit="D")
    df["contact_id"] = [f"K{i}" for i in range(len(df))]
    return df.sample(frac=1, random_state=1)  # order must not matter


def test_fcr_hand_made_log():
    c = _contacts()
    f = metrics.fcr_flags(c)
    assert f.index.equals(c.index)  # same rows, same order
    by_id = f.set_index("contact_id")
    # hand: judged first contacts A0 ✗, A1 ✓, B0 ✓, B10 ✓, C2 ✗, F20 ✗, G5 ✗ → 3 of 7
    expected = {"K0": False, "K2": True, "K3": True, "K4": True, "K5": False,
                "K9": False, "K11": False}
    got = by_id["resolved_first"].dropna().to_dict()
    assert got == expected
    assert set(by_id.index[by_id["censored"]]) == {"K7", "K8"}
    assert not by_id.loc[["K1", "K6", "K10", "K12", "K13"], "first_contact"].any()
    r = metrics.fcr(c)
    assert (r.successes, r.n) == (3, 7)
    assert (r.ci_low, r.ci_high) == pytest.approx(proportion_confint(3, 7, method="wilson"))
    t = metrics.fcr(c, by=["channel"], min_n=1)
    # phone judged: A0 ✗, B0 ✓, B10 ✓, C2 ✗, G5 ✗ → 2/5; web: A1 ✓, F20 ✗ → 1/2
    assert t.loc["phone", ["successes", "n"]].tolist() == [2, 5]
    assert t.loc["web", ["successes", "n"]].tolist() == [1, 2]
    assert t.loc["phone", "censored"] == 1 and t.loc["web", "censored"] == 1
    tq = metrics.fcr_table(c, by=["quarter", "channel"], min_n=1)  # quarter of opened_at
    assert tq.loc[("2026Q1", "phone"), ["successes", "n"]].tolist() == [2, 5]


def test_fcr_window_changes_answer():
    # with a 2-day window, C's 7-day repeat and A's 3-day repeat are new requests
    f = metrics.fcr_flags(_contacts(), window_days=2).set_index("contact_id")
    assert f.loc["K0", "resolved_first"] and f.loc["K1", "first_contact"]


# ------------------------------------------------------------------ response rate

def test_response_rate_hand():
    inv = pd.DataFrame({"survey": ["s1"] * 10 + ["s2"] * 5, "channel": "phone",
                        "sent_at": pd.Timestamp("2026-01-05")})
    resp = pd.DataFrame({"survey": ["s1"] * 4 + ["s2"] * 6, "channel": "phone",
                         "submitted_at": pd.Timestamp("2026-01-06")})
    t = metrics.response_rate(resp, inv, min_n=1)
    assert t.loc[("s1", "phone"), "share"] == pytest.approx(0.4)  # 4 ÷ 10
    assert (t.loc[("s1", "phone"), "ci_low"], t.loc[("s1", "phone"), "ci_high"]) == \
        pytest.approx(proportion_confint(4, 10, method="wilson"))
    # more responses than invitations: reported, flagged, no interval
    assert t.loc[("s2", "phone"), "over_invited"]
    assert np.isnan(t.loc[("s2", "phone"), "ci_low"])
    tq = metrics.response_rate(resp, inv, by=["channel", "quarter"], min_n=1)
    assert tq.loc[("phone", "2026Q1"), "share"] == pytest.approx(10 / 15)


# ------------------------------------------------------------------ results display

def test_result_objects_show_themselves():
    r = metrics.nps_from_counts(200, 200, 100)
    assert "NPS 20.0 points" in repr(r) and "n = 500" in r.summary()
    assert "<table" in r._repr_html_()
    row = r.as_row()
    assert row["nps"] == 20.0 and row["n"] == 500
    assert list(r.table.columns)[:3] == ["nps", "n", "promoters"]
    with pytest.raises(Exception):
        r.nps = 3  # frozen


# ====================================================================== planted truths
# These tests run on the sample data set (data/samples/*.csv through cxlab.samples.load,
# or generated in memory with the default seed when the CSVs are absent) and check that
# the truths planted by the generator (cxlab.samples.TRUTHS) come out significant
# (p < 0.01) in the planted direction. They are the end-to-end evidence that the
# statistics find real effects; the numbers they see are in the helper's report.

from cxlab import samples  # noqa: E402
from cxlab.paths import SAMPLES_DIR  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    names = ("responses", "visits", "contacts", "invitations")
    if all((SAMPLES_DIR / f"{n}.csv").exists() for n in names):
        return {n: samples.load(n) for n in names}
    return samples.generate(out=None)


def test_planted_truth_lapsed_gap(sample):
    # planted: lapsed clients (survey="lapsed") ≈ −25 NPS points vs the rest
    r = sample["responses"]
    lapsed = r["survey"] == "lapsed"
    with pytest.raises(ChannelMixingError):  # one channel per figure, even in a gap
        metrics.compare_nps(r[lapsed], r[~lapsed])
    out = metrics.compare_groups(r, groups={"lapsed": lapsed}, combine_strata=True)
    combined = out.loc[("combined", "lapsed")]
    assert combined["diff"] < 0 and combined["p"] < 0.01
    assert out.loc[("phone", "lapsed"), "diff"] < 0  # the largest channel, same direction
    pooled = metrics.compare_nps(r[lapsed], r[~lapsed], pool_channels=True)
    assert pooled.diff < 0 and pooled.p < 0.01


def test_planted_truth_camp_gap(sample):
    # planted: clients with a camp visit in the 365 days before the response ≈ +15 points
    r, v = sample["responses"], sample["visits"]
    days = samples.TRUTHS["nps"]["camp_days"]
    camp = v.loc[v["programme"] == "camp", ["client_id", "visit_date"]]
    m = r[["response_id", "client_id", "submitted_at"]].merge(camp, on="client_id")
    hit = (m["visit_date"] <= m["submitted_at"]) & \
        (m["visit_date"] > m["submitted_at"] - pd.Timedelta(days=days))
    mask = r["response_id"].isin(m.loc[hit, "response_id"])
    out = metrics.compare_groups(r, groups={"camp": mask}, combine_strata=True)
    assert out.loc[("combined", "camp"), "diff"] > 0
    assert out.loc[("combined", "camp"), "p"] < 0.01
    assert out.loc[("phone", "camp"), "diff"] > 0  # the largest channel, same direction


def test_planted_truth_phone_above_web(sample):
    # planted: phone ≈ +12 points above web (social desirability), messenger in between
    out = metrics.compare_groups(sample["responses"], "channel", reference="web")
    assert out.loc["phone", "diff"] > 0 and out.loc["phone", "p_holm"] < 0.01
    t = metrics.nps_table(sample["responses"])
    assert t.loc["phone", "nps"] > t.loc["web", "nps"]


def test_planted_truth_2025q3_drop(sample):
    # planted: 2025Q3 NPS ≈ −15 points vs 2025Q2, recovered in 2025Q4
    q = samples.TRUTHS["nps"]["drop_quarter"]
    r = sample["responses"]
    per_channel = metrics.nps_trend(r)
    drop = per_channel.xs(q, level="quarter")
    assert (drop["change"] < 0).all()  # every channel drops
    assert drop.loc["phone", "change_p"] < 0.05  # the largest channel, on its own
    pooled = metrics.nps_trend(r, pool_channels=True)
    assert pooled.loc[q, "change"] < 0 and pooled.loc[q, "change_p"] < 0.01
    assert pooled["change"].idxmin() == q  # the real drop is the largest one
    assert pooled.loc["2025Q4", "change"] > 0  # and it recovers


def test_planted_truth_fcr_and_response_rate(sample):
    # planted: FCR phone ≈ .80, messenger ≈ .70, web ≈ .60; response rate .45/.25/.12
    f = metrics.fcr(sample["contacts"], by=["channel"])
    for ch, share in samples.TRUTHS["fcr"].items():
        if ch in f.index:
            assert f.loc[ch, "ci_low"] - 0.03 < share < f.loc[ch, "ci_high"] + 0.03
    rr = metrics.response_rate(sample["responses"], sample["invitations"], by=["channel"])
    for ch, share in samples.TRUTHS["response_rate"].items():
        assert rr.loc[ch, "ci_low"] - 0.02 < share < rr.loc[ch, "ci_high"] + 0.02
