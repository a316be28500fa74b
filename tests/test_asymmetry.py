"""Penalty–reward analysis (cxlab.asymmetry): the planted must-be and delighter of the
sample data, an independent refit (statsmodels OLS on dummies built here with pandas, a
client bootstrap written as a plain loop, statsmodels' cluster-robust standard errors),
a synthetic business on other scales, and the errors a person can act on."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlab import _resample, asymmetry, disclosure, samples
from cxlab.errors import CxlabError, ParameterError
from cxlab.paths import SAMPLES_DIR

TRUTHS = samples.TRUTHS["factors"]
FACTORS = list(TRUTHS["columns"])


@pytest.fixture(scope="module")
def responses():
    try:
        return samples.load("responses")
    except CxlabError as err:  # the committed CSVs are not there
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def sample_pr(responses):
    return asymmetry.penalty_reward(responses)


# ----------------------------------------------------------------- bands of a scale

@pytest.mark.parametrize("scale, low, middle, high", [
    ("1-5", "1–3", "4", "5"),      # good = the expectation; excellent = expectation + 1
    ("0-10", "0–6", "7–8", "9–10"),  # the NPS's own split
    ("1-7", "1–4", "5–6", "7"),
    ("1-10", "1–6", "7–8", "9–10"),
    ("0-100", "0–64", "65–84", "85–100"),
    ("1-4", "1–2", "3", "4"),
    ("1-3", "1", "2", "3"),        # a short scale: one point per band
])
def test_default_bands_of_any_scale(scale, low, middle, high):
    b = asymmetry.bands_of(scale)
    assert (b.low, b.middle, b.high) == (low, middle, high)


def test_bands_need_three_points_and_a_middle():
    with pytest.raises(ParameterError, match="3 points or more"):
        asymmetry.bands_of("0-1")
    with pytest.raises(ParameterError, match="at least one middle rating"):
        asymmetry.Bands(asymmetry.bands_of("1-5").scale, 3, 4)
    with pytest.raises(ParameterError, match="expected a scale"):
        asymmetry.bands_of("five stars")


# ----------------------------------------------------------------- (a) planted truths

def test_sample_must_be_and_delighter_are_recovered(sample_pr):
    t = sample_pr.table
    assert sample_pr.of("must-be") == [TRUTHS["must_be"]]  # f_safety
    assert sample_pr.of("delighter") == [TRUTHS["delighter"]]  # f_price_value
    mb, dl = t.loc[TRUTHS["must_be"]], t.loc[TRUTHS["delighter"]]
    # a low safety rating adds detractors, clearly more than a top one adds promoters
    assert mb["penalty_ci_low"] > 0 and mb["contrast_ci_low"] > 0
    assert mb["penalty"] >= 2 * mb["reward"]
    # a top value-for-money rating adds promoters, clearly more than a low one costs
    assert dl["reward_ci_low"] > 0 and dl["contrast_ci_high"] < 0
    assert dl["reward"] >= 2 * dl["penalty"]
    assert sample_pr.finding == "Must-be: Child's safety; Delighter: Value for money"


def test_sample_linear_factors_are_not_called_asymmetric(sample_pr):
    t = sample_pr.table
    linear = list(TRUTHS["linear"])
    assert set(t.loc[linear, "category"]) <= {"performance", "weak"}
    # the planted zero-effect factor (correlated 0.88 with attention) is weak: the joint
    # model gives attention its effect; the two strong linear drivers are symmetric
    assert t.loc[TRUTHS["zero_effect_correlated"], "category"] == "weak"
    for f in ("f_teacher_attention", "f_child_enjoyment"):
        row = t.loc[f]
        assert row["category"] == "performance"
        assert row["contrast_ci_low"] < 0 < row["contrast_ci_high"]
        assert row["penalty_ci_low"] > 0.1 and row["reward_ci_low"] > 0.1
    # must-be first, then delighter, then by penalty + reward
    assert list(t.index[:2]) == [TRUTHS["must_be"], TRUTHS["delighter"]]


def test_sample_result_records_how_it_was_made(sample_pr, responses):
    pr = sample_pr
    complete = responses.dropna(subset=["nps", *FACTORS])
    assert pr.n == len(complete) and pr.dropped == len(responses) - pr.n
    assert pr.cluster == "client_id" and pr.n_clusters == complete["client_id"].nunique()
    assert "clients resampled" in pr.assumption
    assert pr.within == "channel"
    assert dict(pr.n_within) == complete["channel"].value_counts().to_dict()
    t = pr.table
    assert (t["low"] == "1–3").all() and (t["high"] == "5").all() and (t["scale"] == "1-5").all()
    x = complete[FACTORS]
    assert t["n_low"].to_dict() == (x <= 3).sum().to_dict()
    assert t["n_mid"].to_dict() == (x == 4).sum().to_dict()
    assert t["n_high"].to_dict() == (x == 5).sum().to_dict()
    assert (t["n"] == pr.n).all()
    np.testing.assert_allclose(t["contrast"], t["penalty"] - t["reward"])
    assert pr.failed == 0 and not pr.notes


def test_readme_documents_the_planted_asymmetry(sample_pr):
    text = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    assert "Must-be and delighter" in text
    for f, row in sample_pr.table.iterrows():
        line = next(x for x in text.splitlines() if x.startswith(f"| `{f}` | ") and "[" in x)
        assert f"{row['penalty']:.3f} [{row['penalty_ci_low']:.3f}, " in line.replace("−", "-"), f
        assert f"{row['reward']:.3f} [{row['reward_ci_low']:.3f}, " in line.replace("−", "-"), f
        assert row["category"] in line, f
    for f, shape in TRUTHS["shapes"].items():
        assert f"`{f}` | **{shape['kind'].replace('_', '-')}**" in text


# ----------------------------------------------------------------- (b) independent refit

def _dummies(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complete cases; low (1–3) and high (5) dummies of each factor and a dummy per
    channel but phone, built with pandas; the two outcomes."""
    cc = df.dropna(subset=["nps", *FACTORS]).reset_index(drop=True)
    cols = {}
    for f in FACTORS:
        x = cc[f].astype(int)
        cols[f"{f}:low"] = (x <= 3).astype(float)
        cols[f"{f}:high"] = (x == 5).astype(float)
    X = pd.DataFrame(cols)
    for ch in ("messenger", "web"):
        X[f"channel:{ch}"] = (cc["channel"] == ch).astype(float)
    X = sm.add_constant(X)
    Y = pd.DataFrame({"detractor": (cc["nps"] <= 6).astype(float),
                      "promoter": (cc["nps"] >= 9).astype(float)})
    return X.assign(client_id=cc["client_id"].to_numpy()), Y


def test_penalty_and_reward_are_statsmodels_ols_coefficients(sample_pr, responses):
    X, Y = _dummies(responses)
    groups = pd.factorize(X.pop("client_id"))[0]
    det = sm.OLS(Y["detractor"], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    pro = sm.OLS(Y["promoter"], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    t = sample_pr.table
    for f in FACTORS:
        assert t.loc[f, "penalty"] == pytest.approx(det.params[f"{f}:low"], abs=1e-10)
        assert t.loc[f, "reward"] == pytest.approx(pro.params[f"{f}:high"], abs=1e-10)
        # the client bootstrap and the cluster-robust (sandwich, CR1) standard error agree
        for side, fit, col in (("penalty", det, f"{f}:low"), ("reward", pro, f"{f}:high")):
            half = (t.loc[f, f"{side}_ci_high"] - t.loc[f, f"{side}_ci_low"]) / 2
            assert half / 1.96 == pytest.approx(fit.bse[col], rel=0.2), (f, side)


def test_intervals_match_a_plain_client_bootstrap_loop(sample_pr, responses):
    X, Y = _dummies(responses)
    codes, clients = pd.factorize(X.pop("client_id"))
    Xa, Ya = X.to_numpy(float), Y.to_numpy(float)
    rows_of = [np.flatnonzero(codes == k) for k in range(len(clients))]
    rng = np.random.default_rng(99)  # another stream than the function's
    draws = []
    for _ in range(1000):
        pick = rng.integers(0, len(clients), size=len(clients))
        rows = np.concatenate([rows_of[k] for k in pick])
        draws.append(np.linalg.lstsq(Xa[rows], Ya[rows], rcond=None)[0])
    draws = np.array(draws)
    cols = list(X.columns)
    t = sample_pr.table
    for f in FACTORS:
        pen, rew = draws[:, cols.index(f"{f}:low"), 0], draws[:, cols.index(f"{f}:high"), 1]
        for side, d in (("penalty", pen), ("reward", rew), ("contrast", pen - rew)):
            lo, hi = np.quantile(d, [0.025, 0.975])
            # two Monte-Carlo estimates of a 2.5 % quantile (1,000 resamples each) differ
            # by about 0.12 sd; allow 0.5 sd
            tol = 0.5 * d.std()
            assert t.loc[f, f"{side}_ci_low"] == pytest.approx(lo, abs=tol), (f, side)
            assert t.loc[f, f"{side}_ci_high"] == pytest.approx(hi, abs=tol), (f, side)


@pytest.mark.parametrize("width", [3, 40])  # one 62-bit key; 80 bits: a matrix
def test_patterns_are_the_distinct_rows(width):
    rng = np.random.default_rng(width)
    parts = [rng.integers(-1, 3, size=5000) for _ in range(width)]
    parts[0][:2500] = parts[0][2500:]  # repeated rows
    for c in parts[1:]:
        c[:2500] = c[2500:]
    pid, rep, counts = asymmetry._patterns(parts)
    M = np.column_stack(parts)
    uniq, inverse, n = np.unique(M, axis=0, return_inverse=True, return_counts=True)
    assert len(rep) == len(uniq) < 5000
    assert (M[rep][pid] == M).all()  # each row is its pattern's first row
    assert sorted(counts) == sorted(n) and counts.sum() == 5000
    assert (pd.Series(inverse.reshape(-1)).groupby(pid).nunique() == 1).all()


@pytest.mark.parametrize("width, binary", [(5, True), (70, True), (4, False)])
def test_client_classes_are_the_clients_with_the_same_answers(width, binary):
    # brute force: a client's class is the sorted tuple of its answers' rows
    rng = np.random.default_rng(width)
    n, n_clusters = 3000, 1200
    clus = np.concatenate([np.arange(n_clusters), rng.integers(0, n_clusters, n - n_clusters)])
    pool = (rng.integers(0, 2, size=(6, width)).astype(float) if binary
            else rng.integers(0, 3, size=(6, width)) * 0.5)
    P = pool[rng.integers(0, 6, size=n)]  # six distinct rows: classes form
    pid = np.unique(P, axis=0, return_inverse=True)[1].reshape(-1)
    cls, sizes, rows = _resample.client_classes(pid, clus, n_clusters)
    truth = [tuple(sorted(map(tuple, P[clus == c]))) for c in range(n_clusters)]
    classes = pd.Series(truth).groupby(cls).nunique()
    assert (classes == 1).all()  # one content per class …
    assert len(classes) == len(set(truth)) < n_clusters  # … and one class per content
    assert (sizes == np.bincount(cls)).all()
    picked = np.unique(clus[rows])  # the answers of exactly one client per class
    assert len(picked) == len(sizes) and set(cls[picked]) == set(range(len(sizes)))
    assert all((clus == c).sum() == (clus[rows] == c).sum() for c in picked)


def test_a_hash_collision_leaves_every_client_its_own_class(responses, monkeypatch):
    plain = asymmetry.penalty_reward(responses, n_boot=200, seed=1)
    monkeypatch.setattr(_resample, "mix", lambda x: np.zeros_like(x))  # every key equal
    cls, sizes, _ = _resample.client_classes(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    assert list(cls) == [0, 1, 2] and list(sizes) == [1, 1, 1]
    pd.testing.assert_frame_equal(asymmetry.penalty_reward(responses, n_boot=200, seed=1).table,
                                  plain.table, rtol=1e-12)


def test_class_totals_drawn_directly_give_the_client_bootstrap(responses, monkeypatch):
    # twelve copies of every family: about one class per twelve clients, so the totals
    # per class are drawn from their multinomial; against drawing every client (the
    # other path, forced): the same estimates, intervals within Monte-Carlo error
    copies = pd.concat([responses.assign(client_id=responses["client_id"] + f"~{k}")
                        for k in range(12)], ignore_index=True)
    seen, classes = [], _resample.client_classes

    def spy(pid, clus, n_clusters):
        out = classes(pid, clus, n_clusters)
        seen.append((len(out[1]), n_clusters))
        return out

    monkeypatch.setattr(_resample, "client_classes", spy)
    direct = asymmetry.penalty_reward(copies, seed=2)
    k, n_clusters = seen[0]
    assert k * _resample.DIRECT <= n_clusters  # the direct path was taken
    monkeypatch.setattr(_resample, "DIRECT", 10 ** 9)
    drawn = asymmetry.penalty_reward(copies, seed=3)
    for f in FACTORS:
        for side in ("penalty", "reward", "contrast"):
            assert direct.table.loc[f, side] == pytest.approx(drawn.table.loc[f, side],
                                                              abs=1e-12)
            # 1,000 resamples each: two estimates of a 2.5 % quantile differ by about
            # 0.12 sd of the draws (the interval is ≈ 3.92 sd wide): allow 0.5 sd
            sd = (drawn.table.loc[f, f"{side}_ci_high"]
                  - drawn.table.loc[f, f"{side}_ci_low"]) / 3.92
            for end in ("ci_low", "ci_high"):
                assert direct.table.loc[f, f"{side}_{end}"] == pytest.approx(
                    drawn.table.loc[f, f"{side}_{end}"], abs=0.5 * sd), (f, side, end)


def test_missing_as_category_matches_statsmodels_with_a_not_applicable_dummy(responses):
    pr = asymmetry.penalty_reward(responses, missing="category", n_boot=200)
    r = responses[responses["nps"].notna() & responses[FACTORS].notna().any(axis=1)]
    r = r.reset_index(drop=True)
    cols = {}
    for f in FACTORS:
        x = r[f]
        cols[f"{f}:low"] = x.le(3).fillna(False).astype(float)
        cols[f"{f}:high"] = x.eq(5).fillna(False).astype(float)
        if x.isna().any():
            cols[f"{f}:na"] = x.isna().astype(float)
    X = pd.DataFrame(cols)
    for ch in ("messenger", "web"):
        X[ch] = (r["channel"] == ch).astype(float)
    X = sm.add_constant(X)
    det = sm.OLS((r["nps"] <= 6).astype(float), X).fit()
    pro = sm.OLS((r["nps"] >= 9).astype(float), X).fit()
    assert pr.n == len(r) > responses.dropna(subset=["nps", *FACTORS]).shape[0]
    for f in FACTORS:
        assert pr.table.loc[f, "penalty"] == pytest.approx(det.params[f"{f}:low"], abs=1e-10)
        assert pr.table.loc[f, "reward"] == pytest.approx(pro.params[f"{f}:high"], abs=1e-10)
        assert pr.table.loc[f, "n"] == r[f].notna().sum()
    # the planted pair is still what it is
    assert pr.of("must-be") == [TRUTHS["must_be"]]
    assert pr.of("delighter") == [TRUTHS["delighter"]]


def test_channels_pooled_on_purpose_drop_the_channel_dummies(responses):
    pooled = asymmetry.penalty_reward(responses, pool_channels=True, n_boot=100)
    X, Y = _dummies(responses)
    X = X.drop(columns=["client_id", "channel:messenger", "channel:web"])
    fit = sm.OLS(Y["detractor"], X).fit()
    assert pooled.within is None and any("pooled" in n for n in pooled.notes)
    assert pooled.table.loc["f_safety", "penalty"] == pytest.approx(
        fit.params["f_safety:low"], abs=1e-10)


def test_same_seed_same_intervals(responses):
    a = asymmetry.penalty_reward(responses, n_boot=200, seed=5)
    b = asymmetry.penalty_reward(responses, n_boot=200, seed=5)
    pd.testing.assert_frame_equal(a.table, b.table)


# ----------------------------------------------------------------- (c) another business

def _cut(z: np.ndarray, shares, lo: int) -> np.ndarray:
    cuts = np.quantile(z, np.cumsum(shares)[:-1])
    return np.searchsorted(cuts, z) + lo


#: 1–7 rating shares (1…7) and 0–10 shares (0…10) of the synthetic store survey
SHARES_7 = (0.05, 0.07, 0.10, 0.15, 0.23, 0.22, 0.18)
SHARES_11 = (0.03, 0.02, 0.03, 0.04, 0.05, 0.08, 0.10, 0.15, 0.20, 0.17, 0.13)


@pytest.fixture(scope="module")
def store():
    """A retailer's anonymous web survey: English headers, no client ids, one channel.
    Planted: "Store cleanliness" (1–7) must-be — only ratings 1–4 move the score;
    "Free extras" (0–10) delighter — only 9–10 do; "Staff friendliness" (1–7) linear;
    "Parking" (1–7) no effect. The latent scores correlate 0.2 (at 0.3 Parking borrows a
    little of the steep must-be's penalty: the bands hold the other factors fixed only
    band by band — see the module's notes)."""
    rng = np.random.default_rng(20261122)
    n = 4000
    corr = np.full((4, 4), 0.2) + 0.8 * np.eye(4)
    z = rng.multivariate_normal(np.zeros(4), corr, size=n)
    clean, friendly, parking = (_cut(z[:, j], SHARES_7, 1) for j in (0, 1, 3))
    extras = _cut(z[:, 2], SHARES_11, 0)
    c_clean = np.quantile(z[:, 0], sum(SHARES_7[:4]))  # boundary of 4 | 5
    c_extra = np.quantile(z[:, 2], sum(SHARES_11[:9]))  # boundary of 8 | 9
    y = (1.2 * np.minimum(z[:, 0] - c_clean, 0) + 1.5 * np.maximum(z[:, 2] - c_extra, 0)
         + 0.5 * z[:, 1] + rng.normal(0, 1, n))
    score = _cut(y, SHARES_11, 0)
    return pd.DataFrame({"Likelihood to recommend": score, "Store cleanliness": clean,
                         "Staff friendliness": friendly, "Free extras": extras,
                         "Parking": parking})


STORE_SCALES = {"Store cleanliness": "1-7", "Staff friendliness": "1-7",
                "Free extras": "0-10", "Parking": [1, 7]}


def test_synthetic_business_on_other_scales_is_classified_right(store):
    pr = asymmetry.penalty_reward(store, list(STORE_SCALES), target="Likelihood to recommend",
                                  scales=STORE_SCALES, labels=None)
    cats = pr.table["category"].to_dict()
    assert cats == {"Store cleanliness": "must-be", "Free extras": "delighter",
                    "Staff friendliness": "performance", "Parking": "weak"}
    t = pr.table
    assert t.loc["Store cleanliness", ["low", "high"]].tolist() == ["1–4", "7"]
    assert t.loc["Free extras", ["low", "high"]].tolist() == ["0–6", "9–10"]
    assert t.loc["Parking", "scale"] == "1-7"
    # no client ids: answers resampled, and the result says what that assumes
    assert pr.cluster is None and pr.n_clusters == len(store)
    assert pr.assumption.startswith("answers assumed independent")
    assert "client_id" in pr.assumption
    assert pr.within is None and pr.n == len(store)
    # labels=None derives them from the headers
    assert t.loc["Free extras", "label"] == "Free extras"


def test_own_bands_override_the_scale(store):
    pr = asymmetry.penalty_reward(store, list(STORE_SCALES), target="Likelihood to recommend",
                                  scales=STORE_SCALES, bands={"Free extras": (4, 10)},
                                  n_boot=100)
    b = pr.bands["Free extras"]
    assert (b.low, b.middle, b.high) == ("0–4", "5–9", "10")
    x = store["Free extras"]
    assert pr.table.loc["Free extras", ["n_low", "n_mid", "n_high"]].tolist() == [
        int((x <= 4).sum()), int(x.between(5, 9).sum()), int((x == 10).sum())]


def test_a_small_band_is_not_classified_but_the_other_side_is_estimated(store):
    df = store.copy()
    rare = df["Parking"] <= 4
    df.loc[rare[rare].index[30:], "Parking"] = 5  # 30 low ratings left
    pr = asymmetry.penalty_reward(df, list(STORE_SCALES), target="Likelihood to recommend",
                                  scales=STORE_SCALES, min_n=50, n_boot=100)
    row = pr.table.loc["Parking"]
    assert row["category"] == "not enough answers" and row["n_low"] == 30
    assert np.isnan(row["penalty"]) and np.isfinite(row["reward"])
    assert any("Parking" in n and "fewer than 50 answers in its low band" in n for n in pr.notes)
    assert pr.table.index[-1] == "Parking"


# ----------------------------------------------------------------- (d) errors

def test_unknown_factor_is_named_with_the_columns_present(responses):
    with pytest.raises(ParameterError,
                       match=r"factor column\(s\) 'f_wifi' not in the data; columns present"):
        asymmetry.penalty_reward(responses, ["f_safety", "f_wifi"])


def test_no_answers(responses):
    with pytest.raises(ParameterError, match="no answers to analyse: 0 of"):
        asymmetry.penalty_reward(responses.assign(nps=pd.array([pd.NA] * len(responses),
                                                               dtype="Int64")), n_boot=100)
    with pytest.raises(ParameterError, match="try missing='category'"):
        asymmetry.penalty_reward(responses.assign(f_schedule=np.nan), n_boot=100)
    with pytest.raises(ParameterError, match="only 12 answers"):
        asymmetry.penalty_reward(responses.dropna(subset=["nps", *FACTORS]).head(12),
                                 n_boot=100)


def test_a_factor_with_only_high_ratings(store):
    df = store.assign(Parking=7)
    with pytest.raises(ParameterError, match=r"Parking: every one of its 4000 ratings is "
                                             r"high \(7 of 1-7\)"):
        asymmetry.penalty_reward(df, list(STORE_SCALES), target="Likelihood to recommend",
                                 scales=STORE_SCALES)


def test_other_errors_say_what_to_do(store, responses):
    kw = {"target": "Likelihood to recommend"}
    with pytest.raises(ParameterError, match=r"no scale declared .* scales="):
        asymmetry.penalty_reward(store, ["Parking"], **kw)
    with pytest.raises(ParameterError, match=r"row \d+: got \d+; expected a whole-number "
                                             r"rating on its scale 1-7"):
        asymmetry.penalty_reward(store, ["Free extras"], scales={"Free extras": "1-7"}, **kw)
    with pytest.raises(ParameterError, match="yes/no recommendation"):
        asymmetry.penalty_reward(store.assign(yes=store[kw["target"]] >= 7), ["Parking"],
                                 target="yes", scales=STORE_SCALES)
    with pytest.raises(ParameterError, match="expected the 0–10 recommendation score"):
        asymmetry.penalty_reward(store.assign(s=store[kw["target"]] * 10), ["Parking"],
                                 target="s", scales=STORE_SCALES)
    with pytest.raises(ParameterError, match=r"bands\['Parking'\]"):
        asymmetry.penalty_reward(store, ["Parking"], scales=STORE_SCALES,
                                 bands={"Parking": 4}, **kw)
    with pytest.raises(ParameterError, match="missing='pairwise'; expected one of"):
        asymmetry.penalty_reward(responses, missing="pairwise")
    with pytest.raises(ParameterError, match="n_boot=10; expected"):
        asymmetry.penalty_reward(responses, n_boot=10)
    with pytest.raises(ParameterError, match="ratio=0.5"):
        asymmetry.penalty_reward(responses, ratio=0.5)
    with pytest.raises(ParameterError, match="score column 'score' not in the data"):
        asymmetry.penalty_reward(responses, ["f_safety"], target="score")
    with pytest.raises(ParameterError, match="f_schedule: not rated in any of the"):
        asymmetry.penalty_reward(responses.assign(f_schedule=np.nan), missing="category",
                                 n_boot=100)
    with pytest.raises(ParameterError, match="bands are collinear .* leave one factor out"):
        asymmetry.penalty_reward(responses.assign(f_copy=responses["f_safety"]),
                                 ["f_safety", "f_copy"], scales={"f_copy": "1-5"})
    with pytest.raises(ParameterError, match="category='must be'"):
        asymmetry.penalty_reward(responses, n_boot=100).of("must be")


def test_default_factors_note_those_declared_but_absent(responses):
    pr = asymmetry.penalty_reward(responses.drop(columns=["f_cleanliness"]), n_boot=100)
    assert "f_cleanliness" not in pr.table.index and len(pr.table) == 7
    assert any("declared in the study but not in the data: f_cleanliness" in n
               for n in pr.notes)


# ----------------------------------------------------------------- display, chart, audit

def test_summary_and_html_escape_what_they_show(store):
    pr = asymmetry.penalty_reward(store, ["Parking", "Free extras"],
                                  target="Likelihood to recommend", scales=STORE_SCALES,
                                  labels={"Parking": "<script>alert(1)</script>"}, n_boot=100)
    text = pr.summary()
    assert "answers assumed independent" in text and "Delighter: Free extras" in text
    page = pr._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert re.search(r"<PenaltyReward Likelihood to recommend: n=4000, 2 factors", repr(pr))


@pytest.mark.parametrize("lang, word", [("en", "Penalty"), ("ru", "Штраф")])
def test_plot_draws_every_classified_factor(sample_pr, lang, word):
    ax = sample_pr.plot(lang=lang)
    assert ax.get_xlabel().startswith(word)
    names = {t.get_text() for t in ax.texts}
    assert set(sample_pr.table["label"]) <= names
    with pytest.raises(ParameterError, match="lang='de'"):
        sample_pr.plot(lang="de")


def test_report_kernel_records_the_answers_behind_each_count(responses, monkeypatch):
    monkeypatch.setenv(disclosure.ENV, "1")
    pr = asymmetry.penalty_reward(responses, n_boot=100)
    t = pr.table
    assert len(pr.members.ids) == pr.n
    for col in ("n", "n_low", "n_mid", "n_high"):
        for f in t.index:
            assert len(disclosure.lookup(t, col, f).ids) == t.loc[f, col], (col, f)
    safe_low = set(disclosure.lookup(t, "n_low", "f_safety").ids)
    expected = responses.dropna(subset=["nps", *FACTORS])
    assert safe_low == set(expected.loc[expected["f_safety"] <= 3, "response_id"])
