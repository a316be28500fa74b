"""The driver bootstrap from per-client sufficient statistics (cxlab.drivers._bootstrap)
against the row-by-row bootstrap it replaced, kept here as the reference: the same draws,
the same resamples, the same numbers to rounding. The draws themselves are unchanged (the
same generator calls in the same order), so the intervals need no Monte-Carlo comparison
of resampling schemes: they are equal, resample by resample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import _resample, _shapley, drivers
from cxlab.study import parse_study

FACTORS = ["f_a", "f_b", "f_c", "f_d", "f_e"]
STUDY = parse_study({"factors": {f[2:]: {"scale": "1-5"} for f in FACTORS}})


# ----------------------------------------------------------------- the reference
# cxlab.drivers as it was before the sufficient statistics (2026-11-30): every resample
# turned its cluster counts into row weights and recomputed the weighted correlations
# over all rows. Copied whole, weighted correlations included, so that it stays the
# reference whatever drivers.py becomes.

def _wcorr_complete_reference(Z, w):
    sw = w.sum()
    m = (w @ Z) / sw
    Zc = Z - m
    C = (Zc * w[:, None]).T @ Zc / sw
    sd = np.sqrt(np.clip(np.diag(C), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        R = C / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    return R, sd


def _wcorr_pairwise_reference(Z, w):
    M = ~np.isnan(Z)
    mu = np.nanmean(Z, axis=0)
    Zf = np.where(M, Z - mu, 0.0)
    Mw = M * w[:, None]
    Zw = Zf * w[:, None]
    N = Mw.T @ M
    S1 = Zw.T @ M
    S2 = (Zf * Zw).T @ M
    P = Zw.T @ Zf
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = S1 / N
        cov = P / N - mi * mi.T
        var = S2 / N - mi * mi
        R = cov / np.sqrt(var * var.T)
    counts = M.T.astype(float) @ M
    np.fill_diagonal(R, 1.0)
    sd = np.sqrt(np.clip(np.diag(var), 0.0, None))
    return R, sd, counts


def _row_by_row_bootstrap_reference(prep, method, n_boot, seed, level, clusters=None,
                                    ratings=None):
    p = len(prep.factors)
    rng = np.random.default_rng(seed)
    n = len(prep.Z)
    k = n if clusters is None else int(clusters.max()) + 1
    X = ratings if ratings is not None else prep.Z[:, :p]
    answered = (~np.isnan(X)).astype(float)
    Xf = np.where(answered > 0, X, 0.0)
    Rs = np.empty((n_boot, p + 1, p + 1))
    means = np.empty((n_boot, p))
    ok = np.ones(n_boot, bool)
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, k, size=k), minlength=k)
        wb = prep.w * (counts if clusters is None else counts[clusters])
        if prep.missing == "complete":
            R, sd = _wcorr_complete_reference(prep.Z, wb)
        else:
            R, sd, _ = _wcorr_pairwise_reference(prep.Z, wb)
        ok[b] = bool(np.all(sd > 0) and np.isfinite(R).all())
        Rs[b] = R if ok[b] else np.eye(p + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[b] = (wb @ Xf) / (wb @ answered)
    Rs, means = Rs[ok], means[ok]
    if method == "shapley":
        imp = _shapley.shapley_r2_many(Rs[:, :p, :p], Rs[:, :p, p])
    else:
        imp = np.array([drivers._relative_weights(R[:p, :p], R[:p, p])
                        for R in Rs]).reshape(-1, p)
    r2 = imp.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = imp / r2[:, None]
    alpha = (1 - level) / 2
    q = [alpha, 1 - alpha]
    share_ci = np.nanquantile(share, q, axis=0) if len(share) else np.full((2, p), np.nan)
    r2_ci = np.nanquantile(r2, q) if len(r2) else np.full(2, np.nan)
    draws = {"share": share, "r2": r2, "mean_rating": means}
    return share_ci, r2_ci, int((~ok).sum()), draws


# ----------------------------------------------------------------- data and inputs

def _clients(rng, n_clients=400, na=0.1, lone=0.05) -> pd.DataFrame:
    """Clients answering 1–5 times (a client's answers alike), 1–5 ratings with ``na``
    of the cells empty, a 0–10 score, survey weights, two channels, and ``lone`` of the
    answers without a client id; rows shuffled."""
    fam = np.repeat(np.arange(n_clients), rng.integers(1, 6, size=n_clients))
    n, p = len(fam), len(FACTORS)
    Z = 0.7 * rng.normal(size=(n_clients, p))[fam] + 0.7 * rng.normal(size=(n, p))
    Z[:, 1] += 0.5 * Z[:, 0]
    y = Z @ np.linspace(1.0, 0.2, p) + 0.8 * rng.normal(size=n_clients)[fam] + rng.normal(size=n)
    df = pd.DataFrame(np.clip(np.round(3.2 + 0.9 * Z), 1, 5), columns=FACTORS)
    df[df.columns] = df.mask(rng.random((n, p)) < na)
    df["nps"] = np.clip(np.round(6.5 + y), 0, 10)
    df["client_id"] = pd.array([f"C{c:04d}" for c in fam], dtype="string")
    df.loc[rng.random(n) < lone, "client_id"] = pd.NA
    df["channel"] = rng.choice(["phone", "web"], size=n, p=[0.6, 0.4])
    df["w"] = rng.uniform(0.3, 2.5, size=n)
    return df.iloc[rng.permutation(n)].reset_index(drop=True)



def _bootstrap_inputs(df, **kwargs) -> tuple:
    """The arguments ``key_drivers`` passes to ``_bootstrap`` (rows centred within
    channel, cluster codes, raw ratings), caught on the way."""
    seen = []
    real = drivers._bootstrap

    def spy(*args):
        seen.append(args)
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(drivers, "_bootstrap", spy)
        drivers.key_drivers(df, labels=None, **kwargs)
    (args,) = seen
    return args


def _assert_same(new, ref, atol=1e-9):
    share_ci, r2_ci, failed, draws = new
    ref_share_ci, ref_r2_ci, ref_failed, ref_draws = ref
    assert failed == ref_failed
    for name in ("share", "r2", "mean_rating"):
        assert draws[name].shape == ref_draws[name].shape
        np.testing.assert_allclose(draws[name], ref_draws[name], rtol=0, atol=atol,
                                   err_msg=name)
    np.testing.assert_allclose(share_ci, ref_share_ci, rtol=0, atol=atol)
    np.testing.assert_allclose(r2_ci, ref_r2_ci, rtol=0, atol=atol)


# ----------------------------------------------------------------- same draws, same numbers

@pytest.mark.parametrize("missing", ["complete", "pairwise"])
@pytest.mark.parametrize("cluster", ["client_id", None])
def test_sample_data_draws_equal_the_row_by_row_bootstrap(sample_responses, missing, cluster):
    args = _bootstrap_inputs(sample_responses, missing=missing, cluster=cluster, n_boot=200, seed=5)
    prep, clusters = args[0], args[5]
    assert prep.weighted is False and len(prep.factors) == 8
    assert (clusters is None) == (cluster is None)
    if cluster:  # families answer several times: fewer clusters than rows
        assert clusters.max() + 1 < 0.7 * len(prep.Z)
    _assert_same(drivers._bootstrap(*args), _row_by_row_bootstrap_reference(*args))


def test_class_totals_drawn_directly_give_the_row_by_row_bootstrap(sample_responses):
    # twelve copies of every family: most clients' sums equal a dozen others', so a
    # resample draws the count of each class of equal clients from its multinomial
    # (cxlab._resample) instead of drawing the clients. Not the same draws, the same
    # distribution: against the row-by-row reference with its own seed, every interval
    # end within Monte-Carlo error (1,000 resamples each: two estimates of a 2.5 %
    # quantile differ by about 0.12 sd of the draws; allowed 0.5 sd)
    copies = pd.concat([sample_responses.assign(client_id=sample_responses["client_id"]
                                                + f"~{k}") for k in range(12)],
                       ignore_index=True)
    args = _bootstrap_inputs(copies, n_boot=1000, seed=5)
    prep, clusters = args[0], args[5]
    k = int(clusters.max()) + 1
    T, _ = drivers._cluster_sums(prep.Z, prep.w, args[6], prep.missing, clusters, k)
    cls, rep = _resample.same_rows(T)
    assert _resample.direct(np.bincount(cls), k) and len(rep) < k / 10
    share_ci, r2_ci, failed, draws = drivers._bootstrap(*args)
    ref_args = list(args)
    ref_args[3] = 6  # the seed: another stream of draws
    ref_ci, ref_r2, _, ref_draws = _row_by_row_bootstrap_reference(*ref_args)
    sd = ref_draws["share"].std(axis=0)
    assert (np.abs(share_ci - ref_ci) <= 0.5 * sd).all()
    assert (np.abs(r2_ci - ref_r2) <= 0.5 * ref_draws["r2"].std()).all()


@pytest.mark.parametrize("missing", ["complete", "pairwise"])
@pytest.mark.parametrize("method", ["shapley", "relative_weights"])
def test_clients_weights_and_empty_cells_draws_equal_the_row_by_row_bootstrap(rng, missing,
                                                                              method):
    df = _clients(rng)
    args = _bootstrap_inputs(df, missing=missing, weights="w", method=method, n_boot=300,
                             seed=11, study=STUDY)
    prep, clusters = args[0], args[5]
    assert prep.weighted and np.isnan(args[6]).any() == (missing == "pairwise")
    ids = df.loc[prep.keep, "client_id"]
    assert clusters.max() + 1 == ids.nunique() + ids.isna().sum()  # lone answers: their own
    _assert_same(drivers._bootstrap(*args), _row_by_row_bootstrap_reference(*args))


def test_the_correlations_themselves_agree_to_rounding(rng):
    df = _clients(rng, na=0.15)
    for missing in ("complete", "pairwise"):
        prep, *_, clusters, ratings = _bootstrap_inputs(df, missing=missing, weights="w",
                                                        n_boot=1, study=STUDY)
        k = int(clusters.max()) + 1
        T, at = drivers._cluster_sums(prep.Z, prep.w, ratings, missing, clusters, k)
        counts = np.random.default_rng(3).poisson(1.0, size=(40, k)).astype(float)
        Rs, sd = drivers._corr_from_sums(counts @ T, at, missing, prep.Z.shape[1])
        for c, R, s in zip(counts, Rs, sd):
            wb = prep.w * c[clusters]
            ref = (_wcorr_complete_reference(prep.Z, wb) if missing == "complete"
                   else _wcorr_pairwise_reference(prep.Z, wb))
            np.testing.assert_allclose(R, ref[0], rtol=0, atol=1e-12)
            np.testing.assert_allclose(s, ref[1], rtol=1e-12)


@pytest.mark.parametrize("missing", ["complete", "pairwise"])
def test_chunks_of_resamples_and_blocks_of_rows_change_nothing(rng, monkeypatch, missing):
    df = _clients(rng, n_clients=150)
    args = _bootstrap_inputs(df, missing=missing, weights="w", n_boot=100, seed=2,
                             study=STUDY)
    whole = drivers._bootstrap(*args)
    k = int(args[5].max()) + 1
    monkeypatch.setattr(drivers, "BOOT_CHUNK_BYTES", 8 * k * 7)  # 7 resamples a chunk
    _assert_same(drivers._bootstrap(*args), whole, atol=1e-12)
    monkeypatch.setattr(drivers, "BOOT_CHUNK_BYTES", 1)  # one at a time
    _assert_same(drivers._bootstrap(*args), whole, atol=1e-12)
    # a block of 2 rows: most blocks stretch to hold a whole client (up to 5 answers)
    monkeypatch.setattr(drivers, "_TERMS_BLOCK_BYTES", 1)
    _assert_same(drivers._bootstrap(*args), whole, atol=1e-12)
    monkeypatch.setattr(drivers, "_TERMS_BLOCK_BYTES", 2 * 8 * 1000)
    _assert_same(drivers._bootstrap(*args), whole, atol=1e-12)


def test_public_result_unchanged_by_the_route(rng):
    # key_drivers end to end: the intervals, the quadrants' agreement and the stored
    # draws are those of the reference bootstrap on the same inputs
    df = _clients(rng)
    kd = drivers.key_drivers(df, weights="w", missing="pairwise", n_boot=150, seed=4,
                             labels=None, study=STUDY)
    args = _bootstrap_inputs(df, weights="w", missing="pairwise", n_boot=150, seed=4,
                             study=STUDY)
    share_ci, r2_ci, _, draws = _row_by_row_bootstrap_reference(*args)
    fac = list(args[0].factors)
    t = kd.table.loc[fac]
    np.testing.assert_allclose(t["share_ci_low"], share_ci[0], atol=1e-9)
    np.testing.assert_allclose(t["share_ci_high"], share_ci[1], atol=1e-9)
    assert (kd.r2_ci_low, kd.r2_ci_high) == pytest.approx(tuple(r2_ci), abs=1e-9)
    np.testing.assert_allclose(kd.draws["share"][fac], draws["share"], atol=1e-9)
    perf = (draws["mean_rating"] - 1) / 4 * 100  # 1–5 on 0–100
    np.testing.assert_allclose(kd.draws["performance"][fac], perf, atol=1e-7)


# ----------------------------------------------------------------- constant in a resample

def _one_odd_row(rng, n=40, base=0.0, odd=1.0, weighted=False):
    """f_c is ``base`` on every row but one: a resample that misses that row has f_c
    constant."""
    df = pd.DataFrame(rng.integers(1, 6, size=(n, 2)).astype(float), columns=["f_a", "f_b"])
    df["f_c"] = base
    df.loc[7, "f_c"] = odd
    df["nps"] = np.clip(np.round(df["f_a"] + df["f_b"] + rng.normal(size=n)), 0, 10)
    df["w"] = rng.uniform(0.3, 2.5, size=n) if weighted else 1.0
    return df


def _misses_row_7(n, n_boot, seed) -> int:
    rng = np.random.default_rng(seed)
    return sum(np.bincount(rng.integers(0, n, size=n), minlength=n)[7] == 0
               for _ in range(n_boot))


def test_a_resample_with_a_constant_column_is_left_out_as_before(rng):
    df = _one_odd_row(rng)
    study = parse_study({"factors": {c: {"scale": "0-10"} for c in "abc"}})
    args = _bootstrap_inputs(df, n_boot=200, seed=1, cluster=None, study=study)
    new = drivers._bootstrap(*args)
    _assert_same(new, _row_by_row_bootstrap_reference(*args))
    assert new[2] == _misses_row_7(len(df), 200, seed=1) > 0


@pytest.mark.parametrize("missing", ["complete", "pairwise"])
def test_a_constant_column_is_found_even_when_rounding_hides_it(rng, missing):
    # 0.1 and survey weights: a constant column's variance comes out as rounding
    # (≈ 1e-18), not 0; the resample is still left out, whatever sign the rounding takes
    # (the row-by-row reference kept about half of them, with meaningless correlations)
    df = _one_odd_row(rng, base=0.1, odd=0.3, weighted=True)
    study = parse_study({"factors": {c: {"scale": "0-10"} for c in "abc"}})
    args = _bootstrap_inputs(df, n_boot=200, seed=1, cluster=None, weights="w",
                             missing=missing, study=study)
    assert drivers._bootstrap(*args)[2] == _misses_row_7(len(df), 200, seed=1)
