"""The batched Shapley kernel (``cxlab._shapley.shapley_r2_many``) against the
single-problem kernel (``shapley_r2``, one call per problem) and against an independent
brute force (the R² of every subset from ``numpy.linalg.lstsq`` on the correlation matrix,
the Shapley weights by their formula), on well-conditioned and collinear stacks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from cxlab import _shapley
from cxlab._shapley import full_r2, shapley_r2, shapley_r2_many

KINDS = ("plain", "pair", "combination", "near", "constant", "indefinite")


def _stack(rng, n_problems: int, p: int, kind: str = "plain", n: int = 120):
    """``n_problems`` bootstrap resamples of one data set: correlation matrices ``Rs``
    (B×p×p) of p factors and their correlations ``rs`` (B×p) with a target.

    kind: ``plain`` (correlated, well-conditioned); ``pair`` (the last factor an exact
    copy of the first); ``combination`` (the last factor the sum of the first two: its
    pivot is collinear only once both are in, mid-tree); ``near`` (the last factor the
    first plus noise of sd 1e-5: a residual variance ≈ 1e-10, above the tolerance);
    ``constant`` (a factor without variance, entered as a zero row and column: collinear
    at the root); ``indefinite`` (the first three factors correlated +0.95, −0.95, +0.95,
    which no data can be, as pairwise deletion can produce: a pivot goes negative
    mid-tree while its row does not vanish, so skipping it is what keeps the values of
    the single kernel)."""
    X = 0.5 * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    if p >= 2 and kind == "pair":
        X[:, -1] = X[:, 0]
    if p >= 3 and kind == "combination":
        X[:, -1] = X[:, 0] + X[:, 1]
    if p >= 2 and kind == "near":
        X[:, -1] = X[:, 0] + 1e-5 * rng.normal(size=n)
    y = X @ rng.uniform(0.2, 1.0, size=p) + 1.5 * rng.normal(size=n)
    D = np.column_stack([X, y])
    Ds = np.array([np.corrcoef(D[rng.integers(0, n, size=n)], rowvar=False)
                   for _ in range(n_problems)])
    Rs, rs = Ds[:, :p, :p].copy(), Ds[:, :p, p].copy()
    if kind == "constant":
        j = p // 2
        Rs[:, j, :] = 0.0
        Rs[:, :, j] = 0.0
        rs[:, j] = 0.0
    if p >= 3 and kind == "indefinite":
        for (u, t), rho in {(0, 1): 0.95, (0, 2): -0.95, (1, 2): 0.95}.items():
            Rs[:, u, t] = Rs[:, t, u] = rho
    return Rs, rs


def _mixed(rng, n_problems: int, p: int, kinds=KINDS):
    """Problems of every kind, shuffled: a block holds collinear problems and others."""
    parts = [_stack(rng, -(-n_problems // len(kinds)), p, kind) for kind in kinds]
    Rs = np.concatenate([R for R, _ in parts])
    rs = np.concatenate([r for _, r in parts])
    order = rng.permutation(len(Rs))[:n_problems]
    return Rs[order], rs[order]


def _one_at_a_time(Rs, rs):
    return np.array([shapley_r2(R, r) for R, r in zip(Rs, rs)]).reshape(rs.shape)


def _brute_force(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Shapley values of R² by the textbook definition: the R² of every subset S is
    ``r_S · β`` with ``β`` the least-squares solution of ``R_SS β = r_S`` (a minimum-norm
    one where R_SS is singular), weighted by ``|S|! (p - |S| - 1)! / p!``."""
    p = len(r)
    r2 = {(): 0.0}
    for k in range(1, p + 1):
        for S in itertools.combinations(range(p), k):
            idx = list(S)
            beta = np.linalg.lstsq(R[np.ix_(idx, idx)], r[idx], rcond=1e-10)[0]
            r2[S] = float(r[idx] @ beta)
    phi = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for S in itertools.combinations(others, k):
                phi[j] += w * (r2[tuple(sorted(S + (j,)))] - r2[S])
    return phi


# ----------------------------------------------------------------- the single kernel

@pytest.mark.parametrize("p, n_problems", [(1, 7), (2, 45), (5, 261), (12, 130), (18, 45)])
@pytest.mark.parametrize("kind", [*KINDS, "mixed"])
def test_batched_equals_single_kernel(rng, p, n_problems, kind):
    Rs, rs = _mixed(rng, n_problems, p) if kind == "mixed" else _stack(rng, n_problems, p, kind)
    got = shapley_r2_many(Rs, rs)
    assert got.shape == (n_problems, p)
    np.testing.assert_allclose(got, _one_at_a_time(Rs, rs), rtol=0, atol=1e-12)


def test_batched_equals_single_kernel_at_22_factors(rng):
    Rs, rs = _mixed(rng, 37, 22)
    np.testing.assert_allclose(shapley_r2_many(Rs, rs), _one_at_a_time(Rs, rs), rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize("block, threads", [(1, 1), (4, 1), (8, 2), (8, 3), (16, 4)])
def test_any_blocks_and_threads_give_the_same_values(rng, monkeypatch, block, threads):
    # small blocks: many of them, the last one padded; more threads than cores is allowed
    Rs, rs = _mixed(rng, 53, 9)
    monkeypatch.setattr(_shapley, "BLOCK", block)
    monkeypatch.setattr(_shapley, "_threads", lambda: threads)
    monkeypatch.setattr(_shapley, "THREADED_MIN_WORK", 0)
    np.testing.assert_allclose(shapley_r2_many(Rs, rs), _one_at_a_time(Rs, rs), rtol=0,
                               atol=1e-12)


def test_slices_of_a_larger_stack(rng):
    # what the bootstrap passes: views of the factors' block and the target's column
    Rs, rs = _mixed(rng, 40, 7)
    Ds = np.zeros((40, 8, 8))
    Ds[:, :7, :7], Ds[:, :7, 7] = Rs, rs
    np.testing.assert_allclose(shapley_r2_many(Ds[:, :7, :7], Ds[:, :7, 7]),
                               _one_at_a_time(Rs, rs), rtol=0, atol=1e-12)


def test_empty_stacks():
    assert shapley_r2_many(np.zeros((0, 4, 4)), np.zeros((0, 4))).shape == (0, 4)
    assert shapley_r2_many(np.zeros((3, 0, 0)), np.zeros((3, 0))).shape == (3, 0)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("block", [1, 4, 16, 128])
def test_blocks_cover_the_problems_evenly(block, threads):
    for n in range(1, 300):
        n_blocks, width = _shapley._blocks(n, threads, block)
        assert 1 <= width <= block
        assert (n_blocks - 1) * width < n <= n_blocks * width  # no block of padding only
        # the busiest thread has less than a block more than an even share of problems
        busiest = -(-n_blocks // threads) * width
        assert busiest - -(-n // threads) < width


# ----------------------------------------------------------------- the definition

@pytest.mark.parametrize("p", [1, 2, 5, 8])
@pytest.mark.parametrize("kind", ["plain", "pair", "combination", "constant"])
def test_batched_equals_brute_force(rng, p, kind):
    Rs, rs = _stack(rng, 11, p, kind)
    got = shapley_r2_many(Rs, rs)
    for R, r, phi in zip(Rs, rs, got):
        np.testing.assert_allclose(phi, _brute_force(R, r), rtol=0, atol=1e-10)


@pytest.mark.parametrize("p", [2, 5, 12, 18])
def test_shares_add_up_to_the_full_r2(rng, p):
    # correlation matrices of data (an indefinite one has "R²" above 1 and no meaning)
    Rs, rs = _mixed(rng, 45, p, [k for k in KINDS if k != "indefinite"])
    got = shapley_r2_many(Rs, rs)
    full = np.array([full_r2(R, r) for R, r in zip(Rs, rs)])
    np.testing.assert_allclose(got.sum(axis=1), full, rtol=0, atol=1e-10)


def test_collinear_copies_split_their_credit(rng):
    # an exact copy adds nothing to any R²: the pair is symmetric, and the total is the
    # R² of the model without the copy
    Rs, rs = _stack(rng, 20, 5, "pair")
    got = shapley_r2_many(Rs, rs)
    np.testing.assert_allclose(got[:, 0], got[:, -1], rtol=0, atol=1e-12)
    alone = shapley_r2_many(Rs[:, :4, :4], rs[:, :4])
    np.testing.assert_allclose(got.sum(axis=1), alone.sum(axis=1), rtol=0, atol=1e-12)


def test_constant_factor_gets_nothing(rng):
    Rs, rs = _stack(rng, 20, 6, "constant")
    np.testing.assert_allclose(shapley_r2_many(Rs, rs)[:, 3], 0.0, rtol=0, atol=1e-12)


# ----------------------------------------------------------------- without numba

def test_pure_python_path_matches_compiled(rng, monkeypatch):
    # the fallback when numba is missing: the same block kernel, uncompiled, on one thread
    Rs, rs = _mixed(rng, 9, 4)
    compiled = shapley_r2_many(Rs, rs)
    block = getattr(_shapley._shapley_block, "py_func", _shapley._shapley_block)
    monkeypatch.setattr(_shapley, "_shapley_block", block)
    monkeypatch.setattr(_shapley, "HAVE_NUMBA", False)
    monkeypatch.setattr(_shapley, "BLOCK", 4)
    assert _shapley._threads() == 1
    np.testing.assert_allclose(shapley_r2_many(Rs, rs), compiled, rtol=0, atol=1e-14)
