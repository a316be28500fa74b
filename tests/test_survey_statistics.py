"""Survey statistics a statistician would sign: repeat answers, small groups, coverage.

Every expected number comes from an independent implementation named where it is used:
statsmodels' cluster-robust OLS/WLS (``cov_type="cluster"``), a client-level bootstrap
written out with numpy, brute-force score intervals and exact permutation counts
(``tests/_reference_stats.py``), or a simulation with a known truth.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _reference_stats import (
    clustered_nps_interval,
    nps_scores,
    square_and_add,
    tango_brute,
)
from scipy import stats

from cxlab import metrics, samples
from cxlab.metrics import _diff_nps, _nps_interval


@pytest.fixture(scope="module")
def responses():
    return samples.load("responses")


def _cluster_se(y, ids, X=None, w=None):
    """statsmodels' cluster-robust standard errors (CR1, as Stata) of OLS/WLS."""
    X = np.ones((len(y), 1)) if X is None else X
    groups = pd.factorize(pd.Series(ids))[0]
    model = sm.OLS(y, X) if w is None else sm.WLS(y, X, weights=w)
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


# ----------------------------------------------------------------- repeat answers

def test_samples_pooled_nps_se_is_statsmodels_cluster_robust(responses):
    # the audit: cxlab's SE 0.99 treated the 5,759 answers as independent; a family
    # answers 3.2 times, and the cluster-robust SE is 1.54 (design effect 2.4)
    sub = responses[responses["nps"].notna()]
    fit = _cluster_se(nps_scores(sub["nps"]), sub["client_id"])
    r = metrics.nps(responses, pool_channels=True)
    assert r.nps == pytest.approx(100 * fit.params[0], abs=1e-10)
    assert r.se == pytest.approx(100 * fit.bse[0], rel=1e-8)
    assert r.clusters == sub["client_id"].nunique()
    y = nps_scores(sub["nps"])
    assert r.deff == pytest.approx(fit.bse[0] ** 2 / (y.var(ddof=1) / y.size), rel=1e-8)
    assert r.deff > 2 and "clustered by client_id" in r.assumption
    ind = metrics.nps(responses, pool_channels=True, cluster=None)
    assert ind.deff == 1 and "assumed independent" in ind.assumption
    # the interval widens accordingly: by about sqrt(deff)
    ratio = (r.ci_high - r.ci_low) / (ind.ci_high - ind.ci_low)
    assert ratio == pytest.approx(math.sqrt(r.deff), rel=0.03)
    lo, hi, _ = clustered_nps_interval(sub["nps"], sub["client_id"])
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-6)


def test_nps_table_per_channel_matches_statsmodels(responses):
    t = metrics.nps_table(responses)
    for ch, row in t.iterrows():
        sub = responses[(responses["channel"] == ch) & responses["nps"].notna()]
        fit = _cluster_se(nps_scores(sub["nps"]), sub["client_id"])
        assert row["se"] == pytest.approx(100 * fit.bse[0], rel=1e-8), ch
        lo, hi, deff = clustered_nps_interval(sub["nps"], sub["client_id"])
        assert row["deff"] == pytest.approx(deff, rel=1e-8)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-6)
    # the audit's phone figures: 1.20 independent vs 1.65 clustered
    ind = metrics.nps_table(responses, cluster=None)
    assert t.loc["phone", "se"] / ind.loc["phone", "se"] > 1.3
    assert t.attrs["assumption"].startswith("clustered by client_id")


def test_client_bootstrap_agrees_with_the_sandwich(responses):
    # a client-level bootstrap written out: draw families with replacement, all their
    # answers together; its SE agrees with the sandwich within Monte-Carlo error
    sub = responses[(responses["channel"] == "phone") & responses["nps"].notna()]
    y = nps_scores(sub["nps"])
    codes, uniq = pd.factorize(sub["client_id"])
    sums, counts = np.bincount(codes, weights=y), np.bincount(codes)
    rng = np.random.default_rng(42)
    boot = []
    for _ in range(2000):
        k = rng.multinomial(len(uniq), np.full(len(uniq), 1 / len(uniq)))
        boot.append(100 * (k @ sums) / (k @ counts))
    se_boot = np.std(boot, ddof=1)
    r = metrics.nps(sub)
    # the SE of a bootstrap SE from 2,000 draws is about 1.6 %; allow 3 of them
    assert r.se == pytest.approx(se_boot, rel=0.05)


def test_csi_index_and_top_box_clustered_match_statsmodels(responses):
    sub = responses[(responses["channel"] == "phone") & responses["csat"].notna()]
    ratings = sub["csat"].to_numpy(float)
    r = metrics.csi(sub)
    fit = _cluster_se(ratings, sub["client_id"])
    assert r.index.se == pytest.approx(100 / 4 * fit.bse[0], rel=1e-8)  # 1–5 → 0–100
    G = sub["client_id"].nunique()
    t = stats.t.ppf(0.975, G - 1)  # t with clients − 1 degrees of freedom
    assert r.index.ci_low == pytest.approx(r.index.index - t * 25 * fit.bse[0], rel=1e-10)
    top = (ratings >= 4).astype(float)
    fit = _cluster_se(top, sub["client_id"])
    assert r.top_box.deff == pytest.approx(fit.bse[0] ** 2 / (top.var(ddof=1) / top.size),
                                           rel=1e-8)


def test_weighted_nps_matches_wls_cluster(responses):
    sub = responses[(responses["channel"] == "phone") & responses["nps"].notna()].copy()
    rng = np.random.default_rng(3)
    sub["w"] = rng.uniform(0.5, 2.0, len(sub))
    r = metrics.nps(sub, weights="w")
    y = nps_scores(sub["nps"])
    fit = _cluster_se(y, sub["client_id"], w=sub["w"].to_numpy())
    assert r.nps == pytest.approx(100 * fit.params[0], abs=1e-10)
    assert r.se == pytest.approx(100 * fit.bse[0], rel=1e-8)
    assert "weighted by w" in r.assumption
    # weights alone (no client ids): the linearised variance = WLS with HC1
    alone = sub.drop(columns="client_id")
    hc1 = sm.WLS(y, np.ones(len(y)), weights=alone["w"].to_numpy()).fit(cov_type="HC1")
    assert metrics.nps(alone, weights="w").se == pytest.approx(100 * hc1.bse[0], rel=1e-8)
    sub.loc[sub.index[3], "w"] = -1
    with pytest.raises(metrics.ParameterError, match="row 4"):
        metrics.nps(sub, weights="w")


def test_group_difference_se_is_the_cluster_robust_regression(responses):
    # families who went to a camp vs the rest, within phone (a cohort: all a family's
    # answers on one side): the regression of the NPS score on the camp indicator,
    # cluster-robust by family (statsmodels), gives the same difference and se
    ph = responses[(responses["channel"] == "phone") & responses["nps"].notna()]
    went = (ph["programme"] == "camp").fillna(False)
    camp = went.groupby(ph["client_id"]).transform("any").to_numpy(dtype=bool)
    t = metrics.compare_groups(ph, groups={"camp": camp}, metric="nps")
    row = t.loc[("phone", "camp")]
    X = np.column_stack([np.ones(len(ph)), camp.astype(float)])
    fit = _cluster_se(nps_scores(ph["nps"]), ph["client_id"], X=X)
    assert row["diff"] == pytest.approx(100 * fit.params[1], abs=1e-9)
    assert row["se"] == pytest.approx(100 * fit.bse[1], rel=1e-8)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(fit.params[1] / fit.bse[1])),
                                     rel=1e-6)
    ind = metrics.compare_groups(ph, groups={"camp": camp}, metric="nps", cluster=None)
    assert row["se"] > 1.1 * ind.loc[("phone", "camp"), "se"]  # audit: 1.16–1.20× too small


def test_without_client_ids_the_method_says_independent():
    df = pd.DataFrame({"nps": [10, 9, 7, 3, 10, 8] * 10})
    r = metrics.nps(df)
    assert r.deff == 1 and r.clusters == 0
    assert r.assumption == "answers assumed independent (no 'client_id' column)"
    assert metrics.nps_table(df).attrs["assumption"].startswith("answers assumed independent")
    one_each = df.assign(client_id=range(len(df)))
    assert "its own 'client_id'" in metrics.nps(one_each).assumption


# ----------------------------------------------------------------- small groups

def _exact_perm_p(ya, yb):
    """Two-sided exact permutation p of a mean difference, by full enumeration."""
    pool = np.concatenate([ya, yb])
    obs = abs(ya.mean() - yb.mean())
    hits = total = 0
    for ix in combinations(range(pool.size), ya.size):
        m = np.zeros(pool.size, bool)
        m[list(ix)] = True
        total += 1
        hits += abs(pool[m].mean() - pool[~m].mean()) >= obs - 1e-12
    return hits / total


def test_two_promoters_against_two_detractors_is_not_evidence():
    # the audit: compare_nps gave p = 0.0; the exact permutation p is 2 of 6 arrangements
    a = pd.DataFrame({"nps": [10, 9]})
    b = pd.DataFrame({"nps": [2, 3]})
    r = metrics.compare_nps(a, b)
    assert r.p == pytest.approx(_exact_perm_p(np.array([1., 1.]), np.array([-1., -1.])))
    assert r.p == pytest.approx(1 / 3) and "permutation" in r.method
    t = metrics.compare_groups(pd.concat([a.assign(g="a"), b.assign(g="b")]), "g",
                               reference="b")
    assert t["p"].iloc[0] == pytest.approx(1 / 3)
    assert not t["significant"].iloc[0] and not t["in_family"].iloc[0]


def test_three_promoters_against_a_thousand_answers():
    # the audit: compare_groups gave p = 1e-180 and significant=True. The exact
    # permutation p: over every way to draw 3 of the pooled 1,003 answers (multivariate
    # hypergeometric counts of promoters / passives / detractors), the chance of a gap
    # at least as large as the observed one
    rng = np.random.default_rng(1)
    big = rng.choice([10, 8, 3], size=1000, p=[0.5, 0.3, 0.2])
    pool = nps_scores(np.concatenate([[10, 10, 10], big]))
    df = pd.DataFrame({"nps": np.concatenate([[10, 10, 10], big]),
                       "g": ["tiny"] * 3 + ["big"] * 1000})
    t = metrics.compare_groups(df, "g", reference="big", metric="nps")
    row = t.loc["tiny"]
    K = {v: int((pool == v).sum()) for v in (1.0, 0.0, -1.0)}
    total, obs = pool.sum(), abs(1.0 - (pool.sum() - 3) / 1000)
    exact = 0.0
    for k1 in range(4):
        for k2 in range(4 - k1):
            k3 = 3 - k1 - k2
            s = k1 - k3
            if abs(s / 3 - (total - s) / 1000) >= obs - 1e-12:
                exact += (math.comb(K[1.0], k1) * math.comb(K[0.0], k2)
                          * math.comb(K[-1.0], k3)) / math.comb(1003, 3)
    se_mc = math.sqrt(exact * (1 - exact) / 10_000)
    assert row["p"] == pytest.approx(exact, abs=4 * se_mc + 1e-4)
    assert row["p"] > 0.05 and not row["significant"] and not row["in_family"]
    assert "permutation" in row["method"] and np.isnan(row["p_holm"])
    # a Welch t on a small group is treated alike
    df["rating"] = np.where(df["g"] == "tiny", 5.0, rng.integers(1, 6, len(df)))
    m = metrics.compare_groups(df, "g", reference="big", metric="rating")
    assert not m.loc["tiny", "significant"] and "permutation" in m.loc["tiny", "method"]


def test_small_rows_stay_out_of_holm_and_repeats_count_once():
    # "active" and "lapsed" answered, nobody else: active-vs-rest and lapsed-vs-rest are
    # one hypothesis; Holm's family holds it once (statsmodels' Holm on the distinct p's)
    rng = np.random.default_rng(5)
    n = 400
    active = rng.random(n) < 0.6
    score = np.where(active, rng.choice([10, 8, 3], n, p=[.6, .25, .15]),
                     rng.choice([10, 8, 3], n, p=[.4, .3, .3]))
    tiny = np.zeros(n, bool)
    tiny[:5] = True
    df = pd.DataFrame({"nps": score})
    t = metrics.compare_groups(df, groups={"active": active, "lapsed": ~active, "tiny": tiny})
    assert t["in_family"].tolist() == [True, False, False]
    assert "the same test as group 'active'" in t.loc["lapsed", "method"]
    assert t.loc["lapsed", "p_holm"] == t.loc["active", "p_holm"]
    assert t.loc["lapsed", "significant"] == t.loc["active", "significant"]
    # one hypothesis in the family: Holm leaves its p alone
    assert t.loc["active", "p_holm"] == pytest.approx(t.loc["active", "p"])
    assert t.attrs["family"] == 1
    assert not t.loc["tiny", "significant"]


# ----------------------------------------------------------------- intervals

@pytest.mark.parametrize("P,A,D", [(3, 2, 1), (30, 0, 0), (0, 0, 12), (200, 200, 100),
                                   (45, 5, 0), (12, 30, 3)])
def test_score_interval_against_brute_force(P, A, D):
    r = metrics.nps_from_counts(P, A, D)
    lo, hi = tango_brute(P, D, P + A + D)  # a bounded 1-D optimiser: good to ~1e-6 points
    assert (r.ci_low, r.ci_high) == pytest.approx((100 * lo, 100 * hi), abs=1e-5)


def test_all_promoters_does_not_collapse():
    # the audit: the percentile bootstrap gave [100, 100] when every answer is a promoter
    for ci in ("score", "bootstrap"):
        r = metrics.nps_from_counts(40, 0, 0, ci=ci)
        assert r.ci_high == 100 and r.ci_low < 95, ci
    d = metrics.compare_nps(metrics.nps_from_counts(40, 0, 0), metrics.nps_from_counts(35, 0, 0))
    assert d.ci_low < 0 < d.ci_high  # two all-promoter groups: no evidence of a gap


def _coverage_levels(nps, passives, n, reps, rng):
    e = nps / 100
    pr = np.array([(1 - passives + e) / 2, passives, (1 - passives - e) / 2])
    x = rng.multinomial(n, pr, size=reps)
    _, _, lo, hi = _nps_interval(x[:, 0], x[:, 1], x[:, 2], "score", 0.95)
    return np.mean((lo <= nps + 1e-9) & (nps <= hi + 1e-9))


@pytest.mark.parametrize("nps,passives,n", [(90, 0.1, 30), (90, 0.05, 37), (60, 0.4, 44),
                                            (0, 0.3, 30), (75, 0.2, 500)])
def test_coverage_of_levels_where_wald_and_rocks_fail(nps, passives, n):
    # the cells where the Wald (0.74–0.85), the adjusted Wald (0.93) or the uncorrected
    # score interval (0.936) fall short; the full grid is benchmarks/interval_coverage.py. 40,000
    # samples: Monte-Carlo se 0.0011, so 0.94 − 0.002 leaves two of them for chance
    c = _coverage_levels(nps, passives, n, 40_000, np.random.default_rng(nps + n))
    assert c >= 0.938


def test_coverage_of_differences():
    rng = np.random.default_rng(7)
    for (ea, aa, na), (eb, ab, nb) in [((90, 0.1, 30), (0, 0.3, 30)),
                                        ((90, 0.05, 30), (90, 0.1, 500)),
                                        ((30, 0.2, 50), (30, 0.2, 50))]:
        pa = np.array([(1 - aa + ea / 100) / 2, aa, (1 - aa - ea / 100) / 2])
        pb = np.array([(1 - ab + eb / 100) / 2, ab, (1 - ab - eb / 100) / 2])
        x = rng.multinomial(na, pa, size=40_000)
        y = rng.multinomial(nb, pb, size=40_000)
        *_, lo, hi, _, _ = _diff_nps(x[:, 0], x[:, 1], x[:, 2], y[:, 0], y[:, 1], y[:, 2], 0.95)
        assert np.mean((lo <= ea - eb + 1e-9) & (ea - eb <= hi + 1e-9)) >= 0.938


def test_change_interval_is_square_and_add_of_the_levels():
    df = pd.DataFrame({"nps": [10] * 20 + [8] * 5 + [3] * 5 + [10] * 12 + [8] * 10 + [2] * 8,
                       "submitted_at": pd.to_datetime(["2026-02-01"] * 30 + ["2026-05-01"] * 30)})
    t = metrics.nps_trend(df).loc["2026Q2"]
    lo, hi = square_and_add(4 / 30, *tango_brute(12, 8, 30), 15 / 30, *tango_brute(20, 5, 30))
    assert (t["change_ci_low"], t["change_ci_high"]) == pytest.approx((100 * lo, 100 * hi),
                                                                      abs=1e-6)


def test_weighted_tables_report_kish_n():
    # Kish's effective n = (Σw)² / Σw², by hand: weights 1, 1, 2, 4 → 64 / 22
    df = pd.DataFrame({"nps": [10, 9, 3, 8] * 10, "channel": "web",
                       "w": [1.0, 1.0, 2.0, 4.0] * 10})
    t = metrics.nps_table(df, weights="w")
    assert t.loc["web", "kish_n"] == pytest.approx(80 ** 2 / 220)
    assert t.attrs["weighted"] and "weighted by w" in t.attrs["assumption"]
    assert metrics.nps(df, weights="w").kish_n == pytest.approx(80 ** 2 / 220)
    assert "kish_n" not in metrics.nps_table(df).columns


# ----------------------------------------------------------------- the report's wording

def test_the_quarter_is_weighted_to_its_invitations(sample_warehouse):
    # the sample study declares weighting: {margins: {channel: invitations, survey:
    # invitations}}: the weighted answers' mix equals the quarter's invitations' (pandas
    # shares, 1e-6), and the page's weighted NPS is the weighted mean score by hand
    from cxlab import report
    from cxlab.paths import SAMPLE_STUDY

    data = report.load_quarter("2026Q3", sample_warehouse, SAMPLE_STUDY)
    w = data.weighted()
    inv = data.invitations
    for col in ("channel", "survey"):
        got = w.groupby(col)["weight"].sum() / w["weight"].sum()
        want = inv[col].value_counts(normalize=True)
        assert got.sort_index().to_numpy() == pytest.approx(want.sort_index().to_numpy(), abs=1e-6)
    view = report.weighted_view(w, 30, "en")
    phone = w[(w["channel"] == "phone") & w["nps"].notna()]
    by_hand = 100 * np.average(nps_scores(phone["nps"]), weights=phone["weight"])
    cell = view.loc["Phone", "Weighted NPS [95% CI]"]
    assert cell.startswith(f"{round(by_hand):d} [")
    # the page shows the weighting effect, a ratio: never a Kish n, which sits within a
    # few answers of n and would give a hidden n away
    assert "Weighting effect (n ÷ Kish n)" in view.columns
    assert not any("Kish)" in c for c in view.columns)


def test_weighting_refuses_answers_it_cannot_place(sample_warehouse, tmp_path):
    # a margin on a segment some answers lack (programme is empty on periodic surveys):
    # raking cannot place them, and dropping them would change the figure silently
    from dataclasses import replace as dc_replace

    from cxlab import report
    from cxlab.errors import ParameterError
    from cxlab.paths import SAMPLE_STUDY
    from cxlab.study import Weighting

    data = report.load_quarter("2026Q3", sample_warehouse, SAMPLE_STUDY)
    study = dc_replace(data.study, weighting=Weighting(margins={"programme": "visits"}))
    with pytest.raises(ParameterError, match="programme"):
        dc_replace(data, study=study).weighted()


def test_design_note_says_what_the_intervals_assume(responses):
    t = metrics.nps_table(responses)
    clustered = report_text(t)
    assert "clustered by family" in clustered and "design effect" in clustered
    alone = report_text(metrics.nps_table(responses.drop(columns="client_id")))
    assert "taken as independent" in alone


def report_text(table) -> str:
    from cxlab import report

    return report.design_note(table, "en").data
