"""How sure cxlab.drivers' intervals and quadrants are: the client bootstrap against a
plain resampling loop over families, and the quadrants' agreement across resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import drivers
from cxlab.errors import ParameterError
from cxlab.study import parse_study

FACTORS = ["f_a", "f_b", "f_c", "f_d"]


def _study(**scales):
    """A study declaring factors ``f_<id>`` on the given scales, e.g. ``_study(a="1-5")``."""
    return parse_study({"factors": {fid: {"scale": sc} for fid, sc in scales.items()}})


STUDY = _study(a="1-5", b="1-5", c="1-5", d="1-5")


def _families(rng, n_clients=160, na=0.0, missing_ids=0.0) -> pd.DataFrame:
    """Families answering 1–5 times (3 on average): half of each factor score and a
    loyalty term are the family's own, so its answers resemble each other. Rows are
    shuffled (a family's answers are not adjacent); two survey channels."""
    k = rng.integers(1, 6, size=n_clients)
    fam = np.repeat(np.arange(n_clients), k)
    n = len(fam)
    p = len(FACTORS)
    Z = np.sqrt(0.5) * rng.normal(size=(n_clients, p))[fam] + np.sqrt(0.5) * rng.normal(size=(n, p))
    Z[:, 1] += 0.6 * Z[:, 0]
    y = Z @ np.array([1.0, 0.6, 0.4, 0.2]) + 0.8 * rng.normal(size=n_clients)[fam] \
        + rng.normal(size=n)
    df = pd.DataFrame(np.clip(np.round(3.2 + 0.9 * Z), 1, 5), columns=FACTORS)
    df["nps"] = np.clip(np.round(6.5 + y), 0, 10)
    df["client_id"] = pd.array([f"C{c:03d}" for c in fam], dtype="string")
    df["channel"] = rng.choice(["phone", "web"], size=n, p=[0.6, 0.4])
    df["w"] = rng.uniform(0.3, 2.5, size=n)
    for c in FACTORS:
        df.loc[rng.random(n) < na, c] = np.nan
    df.loc[rng.random(n) < missing_ids, "client_id"] = pd.NA
    return df.iloc[rng.permutation(n)].reset_index(drop=True)


def _plain_client_bootstrap(df, n_boot, seed, *, weights=None, missing="complete"):
    """The reference, written plainly: keep the rows the analysis uses, centre every
    column on its channel's (weighted) mean, then draw families with replacement, stack
    all their answers and refit with the public single-fit ``relative_importance``.
    Returns the shares and the (uncentred, weighted) mean ratings on 0–100 per resample."""
    answered = df[FACTORS].notna()
    keep = df["nps"].notna() & (answered.all(axis=1) if missing == "complete"
                                else answered.any(axis=1))
    used = df[keep].reset_index(drop=True)
    w = used[weights] if weights else pd.Series(1.0, index=used.index)
    centred = used.copy()
    for idx in used.groupby("channel").groups.values():
        block = used.loc[idx, [*FACTORS, "nps"]]
        mean = block.mul(w[idx], axis=0).sum() / block.notna().mul(w[idx], axis=0).sum()
        centred.loc[idx, [*FACTORS, "nps"]] = block - mean
    # one cluster per family in order of first appearance, then each answer without an id
    families: dict[str, list[int]] = {}
    alone: list[list[int]] = []
    for i, c in enumerate(used["client_id"]):
        if pd.isna(c):
            alone.append([i])
        else:
            families.setdefault(c, []).append(i)
    clusters = list(families.values()) + alone
    rng = np.random.default_rng(seed)
    shares, r2, perf = [], [], []
    for _ in range(n_boot):
        drawn = rng.integers(0, len(clusters), size=len(clusters))
        rows = np.concatenate([clusters[g] for g in drawn])
        fit = drivers.relative_importance(centred.iloc[rows], "nps", FACTORS, weights=weights,
                                          missing=missing)
        shares.append(fit["share"].reindex(FACTORS))
        r2.append(fit.attrs["r2"])
        x, ww = used.iloc[rows][FACTORS], w.iloc[rows]
        mean = x.mul(ww, axis=0).sum() / x.notna().mul(ww, axis=0).sum()
        perf.append((mean - 1) / 4 * 100)  # 1–5 on 0–100
    return (pd.DataFrame(shares).reset_index(drop=True), np.array(r2),
            pd.DataFrame(perf).reset_index(drop=True), len(families))


# ----------------------------------------------------------------- client bootstrap

@pytest.mark.parametrize("missing, weights, na, missing_ids", [
    ("complete", None, 0.0, 0.0),
    ("pairwise", "w", 0.08, 0.1),  # empty cells, survey weights, answers without an id
])
def test_client_bootstrap_equals_a_plain_loop_over_families(rng, missing, weights, na,
                                                            missing_ids):
    df = _families(rng, na=na, missing_ids=missing_ids)
    n_boot, seed = 120, 7
    kd = drivers.key_drivers(df, weights=weights, missing=missing, n_boot=n_boot, seed=seed,
                             labels=None, study=STUDY)
    shares, r2, perf, n_families = _plain_client_bootstrap(df, n_boot, seed, weights=weights,
                                                           missing=missing)
    assert kd.within == "channel" and kd.n_clusters == n_families
    assert kd.bootstrap.startswith(f"clients resampled: {n_families:,} clients")
    assert ("without an id" in kd.bootstrap) == (missing_ids > 0)
    # the same families drawn: the same resamples, draw by draw
    np.testing.assert_allclose(kd.draws["share"][FACTORS], shares, atol=1e-9)
    np.testing.assert_allclose(kd.draws["r2"], r2, atol=1e-9)
    np.testing.assert_allclose(kd.draws["performance"][FACTORS], perf, atol=1e-9)
    # and so the same percentile intervals
    t = kd.table.loc[FACTORS]
    lo, hi = np.quantile(shares, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(t["share_ci_low"], lo, atol=1e-9)
    np.testing.assert_allclose(t["share_ci_high"], hi, atol=1e-9)
    assert kd.r2_ci_low == pytest.approx(np.quantile(r2, 0.025), abs=1e-9)


def test_one_answer_per_client_is_the_answers_bootstrap(rng):
    df = _families(rng)
    once = df.assign(client_id=[f"X{i}" for i in range(len(df))])
    by_client = drivers.key_drivers(once, n_boot=80, labels=None, study=STUDY)
    independent = drivers.key_drivers(once, n_boot=80, labels=None, study=STUDY, cluster=None)
    pd.testing.assert_frame_equal(by_client.table, independent.table)
    assert by_client.n_clusters == len(df)
    assert independent.bootstrap == "answers resampled as independent (cluster=None)"
    assert independent.n_clusters is None
    # no client column: answers assumed independent, and said so
    bare = drivers.key_drivers(df.drop(columns="client_id"), n_boot=80, labels=None, study=STUDY)
    assert bare.bootstrap == "answers assumed independent (no 'client_id' column)"
    assert bare.bootstrap in bare.summary() and bare.bootstrap.split(" (")[0] in bare._repr_html_()
    # an id column with no ids at all
    empty = drivers.key_drivers(df.assign(client_id=pd.NA), n_boot=20, labels=None, study=STUDY)
    assert empty.bootstrap.startswith("answers assumed independent (no client ids")
    assert drivers.key_drivers(df, n_boot=0, labels=None, study=STUDY).bootstrap == "no bootstrap"
    with pytest.raises(ParameterError, match="'family'"):
        drivers.key_drivers(df, n_boot=10, labels=None, study=STUDY, cluster="family")


def test_segments_resample_clients_too(rng):
    df = _families(rng, n_clients=300)
    sd = drivers.key_drivers_by(df, "channel", n_boot=20, labels=None, study=STUDY)
    assert all(kd.bootstrap.startswith("clients resampled") for kd in sd.analyses.values())



def test_sample_intervals_widen_when_families_are_resampled(sample_responses):
    # the generator gives each family its own stable half of every factor score and its
    # own loyalty (cxlab.samples: CLIENT_SHARE, CLIENT_EFFECT), and families answer
    # several times: resampling answers as if independent understates the noise
    df = sample_responses
    by_client = drivers.key_drivers(df, n_boot=1000, seed=0)
    independent = drivers.key_drivers(df, n_boot=1000, seed=0, cluster=None)
    fac = list(by_client.table.index)
    used = df[df[[*fac, "nps"]].notna().all(axis=1)]
    assert by_client.n_clusters == used["client_id"].nunique() + used["client_id"].isna().sum()
    assert len(used) / by_client.n_clusters > 1.5  # repeated answers
    width = by_client.table["share_ci_high"] - by_client.table["share_ci_low"]
    narrow = (independent.table["share_ci_high"] - independent.table["share_ci_low"])[fac]
    assert (width / narrow).mean() > 1.04
    assert by_client.r2_ci_high - by_client.r2_ci_low > independent.r2_ci_high - independent.r2_ci_low
    # the point estimates do not depend on how the intervals were made
    pd.testing.assert_series_equal(by_client.table["share"], independent.table["share"])


# ----------------------------------------------------------------- quadrant stability

def _planted_quadrants(rng, n=3000):
    """a: the top driver, rated high (far above both thresholds); b: a small driver,
    rated low (far below both); c: a middling driver whose mean sits exactly on the
    performance threshold (the mean of the three factors' means)."""
    z = rng.normal(size=(n, 3))
    df = pd.DataFrame({"f_a": 80 + 8 * z[:, 0], "f_b": 20 + 8 * z[:, 1],
                       "f_c": 50 + 8 * z[:, 2]}).clip(0, 100)
    df["f_c"] += (df["f_a"].mean() + df["f_b"].mean()) / 2 - df["f_c"].mean()
    df["nps"] = z @ np.array([1.0, 0.15, 0.45]) + rng.normal(size=n)
    return df, _study(a="0-100", b="0-100", c="0-100")


def test_a_factor_on_a_threshold_is_uncertain_and_far_ones_are_not(rng):
    df, study = _planted_quadrants(rng)
    kd = drivers.key_drivers(df, n_boot=400, labels=None, study=study)
    t = kd.table
    assert t.loc["f_a", "quadrant"] == "keep up" and t.loc["f_b", "quadrant"] == "low priority"
    assert t.loc["f_a", "quadrant_agreement"] >= 0.99
    assert t.loc["f_b", "quadrant_agreement"] >= 0.99
    # on the line, a resample puts c on either side about as often: a coin flip
    assert 0.35 < t.loc["f_c", "quadrant_agreement"] < 0.65
    assert t["quadrant_certain"].to_dict() == {"f_a": True, "f_b": True, "f_c": False}
    assert t.loc["f_c", "quadrant_label"] == drivers.UNCERTAIN
    assert t.loc["f_a", "quadrant_label"] == "keep up"
    assert any("quadrant uncertain" in w and "(f_c;" in w for w in kd.warnings)
    assert "uncertain" in kd.summary()
    # the chart does not place c with confidence: hollow, and named as uncertain
    ax = kd.plot()
    texts = {x.get_text() for x in ax.texts}
    assert "c (uncertain)" in texts and "a" in texts and "c" not in texts
    faces = ax.collections[-1].get_facecolors()
    hollow = [f for f, fc in zip(t.index, faces) if fc[3] == 0]
    assert hollow == ["f_c"]
    # a laxer bar places it
    lax = drivers.key_drivers(df, n_boot=400, labels=None, study=study,
                              quadrant_min_agreement=0.3)
    assert lax.table.loc["f_c", "quadrant_label"] == lax.table.loc["f_c", "quadrant"]
    with pytest.raises(ParameterError, match="quadrant_min_agreement"):
        drivers.key_drivers(df, n_boot=10, study=study, quadrant_min_agreement=80)


def test_agreement_is_a_plain_recount_of_the_stored_draws(rng):
    df, study = _planted_quadrants(rng, n=800)
    kd = drivers.key_drivers(df, n_boot=300, labels=None, study=study)
    t = kd.table
    share, perf = kd.draws["share"], kd.draws["performance"]
    assert len(share) == len(perf) == kd.n_boot
    # each resample: thresholds at the means over the factors, as the point estimate's
    important = share.ge(share.mean(axis=1), axis=0)
    strong = perf.ge(perf.mean(axis=1), axis=0)
    agreement = pd.Series({
        f: np.mean([drivers.QUADRANTS[(bool(i), bool(s))] == t.loc[f, "quadrant"]
                    for i, s in zip(important[f], strong[f])]) for f in share})
    np.testing.assert_allclose(t["quadrant_agreement"], agreement[t.index], atol=0)
    np.testing.assert_allclose(t["share_ci_low"], share.quantile(0.025)[t.index], atol=1e-12)
    # the performance drawn is the factor's mean on the performance axis (0–100 here)
    assert kd.performance == "mean_100"
    assert perf.mean().to_numpy() == pytest.approx(t["mean_100"].to_numpy(), abs=0.5)


def test_no_bootstrap_claims_no_agreement(rng):
    df, study = _planted_quadrants(rng, n=500)
    kd = drivers.key_drivers(df, n_boot=0, labels=None, study=study)
    t = kd.table
    assert t["quadrant_agreement"].isna().all() and t["quadrant_certain"].isna().all()
    assert (t["quadrant_label"] == t["quadrant"]).all() and kd.draws is None
