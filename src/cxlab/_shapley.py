"""Exact Shapley decomposition of R² (LMG, general dominance) from a correlation matrix.

Internal kernel of :mod:`cxlab.drivers`. No regression is refitted per subset: the R² of
every subset of the ``p`` predictors comes from one depth-first walk over the subsets in
lexicographic order, updating a swept (residualised) correlation matrix.

At a node ``S`` whose largest member is ``m``, the walk holds, for the predictors
``k > m``, the residual covariance matrix ``C = R_kk - R_kS R_SS⁻¹ R_Sk`` (the Schur
complement) and their residual covariances with the target ``c = r_k - R_kS R_SS⁻¹ r_S``.
A child ``S ∪ {j}`` (``j > m``) then has

    R²(S ∪ {j}) = R²(S) + c_j² / C_jj

and sweeping on ``j`` gives the child's ``C`` and ``c`` for ``k > j``. Summed over the
tree, the work is about ``3 · 2^p`` small updates and the memory ``(p + 1) · p²`` floats.

Shapley values are accumulated without storing the ``2^p`` R² values. With
``w(s) = s! (p - s - 1)! / p!`` (and ``w(p) = 0``),

    φ_j = Σ_{T ∋ j} [w(|T| - 1) + w(|T|)] R²(T)  -  Σ_T w(|T|) R²(T)

and every set ``T ∋ j`` lies in the subtree of exactly one node whose last added member
is ``j`` (its prefix up to ``j``), so the first sum is the sum, over the nodes that add
``j``, of their subtree totals, which the walk returns upwards as it unwinds.

A predictor whose residual variance at a node is below ``tol`` (collinear with the
members of ``S``) adds nothing there and is not swept on.
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is a declared dependency; the pure-Python path keeps the package importable
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f


#: Largest number of predictors for the exact decomposition (2^30 subsets ≈ minutes).
MAX_FACTORS = 30

#: Residual variance (on the correlation scale) under which a predictor is collinear.
PIVOT_TOL = 1e-12


def _jit(f):
    """JIT-compile with an on-disk cache; numba falls back to a user cache directory when
    the package directory is read-only, and to no cache if neither is writable."""
    if not HAVE_NUMBA:
        return f
    try:
        return njit(cache=True, nogil=True)(f)
    except Exception:  # pragma: no cover - a cache locator failure
        return njit(nogil=True)(f)


def shapley_weights(p: int) -> tuple[np.ndarray, np.ndarray]:
    """``a[k] = w(k-1) + w(k)`` and ``b[k] = w(k)`` for subset sizes ``k = 0..p``."""
    w = np.zeros(p + 1)
    for s in range(p):
        # s!(p-s-1)!/p! = 1 / (p * C(p-1, s)), exact in floating point for p <= 30
        w[s] = 1.0 / (p * math.comb(p - 1, s))
    a = np.zeros(p + 1)
    a[1:] = w[:-1] + w[1:]
    return a, w


@_jit
def _shapley_kernel(R, r, a, b, tol, out):  # pragma: no cover - compiled
    p = R.shape[0]
    M = np.empty((p + 1, p, p))
    c = np.empty((p + 1, p))
    r2 = np.zeros(p + 1)
    last = np.empty(p + 1, np.int64)
    nxt = np.empty(p + 1, np.int64)
    sub = np.zeros(p + 1)
    for i in range(p):
        c[0, i] = r[i]
        out[i] = 0.0
        for k in range(p):
            M[0, i, k] = R[i, k]
    last[0] = -1
    nxt[0] = 0
    total = 0.0
    d = 0
    while True:
        j = nxt[d]
        if j < p:
            nxt[d] = j + 1
            k = d + 1
            djj = M[d, j, j]
            cj = c[d, j]
            if djj > tol:
                v = r2[d] + cj * cj / djj
            else:
                v = r2[d]
            r2[k] = v
            last[k] = j
            nxt[k] = j + 1
            sub[k] = a[k] * v
            total += b[k] * v
            if j + 1 < p:
                if djj > tol:
                    # sweep on j: upper triangle of the block k, l > j
                    for u in range(j + 1, p):
                        f = M[d, j, u] / djj
                        c[k, u] = c[d, u] - f * cj
                        for t in range(u, p):
                            M[k, u, t] = M[d, u, t] - f * M[d, j, t]
                else:
                    for u in range(j + 1, p):
                        c[k, u] = c[d, u]
                        for t in range(u, p):
                            M[k, u, t] = M[d, u, t]
            d = k
        else:
            if d == 0:
                break
            out[last[d]] += sub[d]
            sub[d - 1] += sub[d]
            d -= 1
    for i in range(p):
        out[i] -= total
    return r2  # unused; keeps the signature typed


@_jit
def _full_r2(R, r, tol):  # pragma: no cover - compiled
    """R² of the model with every predictor (sequential sweep, collinear ones skipped)."""
    p = R.shape[0]
    M = R.copy()
    c = r.copy()
    v = 0.0
    for j in range(p):
        djj = M[j, j]
        if djj > tol:
            v += c[j] * c[j] / djj
            for u in range(j + 1, p):
                f = M[j, u] / djj
                c[u] -= f * c[j]
                for t in range(u, p):
                    M[u, t] -= f * M[j, t]
    return v


@_jit
def _shapley_many(Rs, rs, a, b, tol, out):  # pragma: no cover - compiled
    for i in range(Rs.shape[0]):
        _shapley_kernel(Rs[i], rs[i], a, b, tol, out[i])


def shapley_r2(R: np.ndarray, r: np.ndarray, tol: float = PIVOT_TOL) -> np.ndarray:
    """Exact Shapley values of R² for predictors with correlation matrix ``R`` and
    correlations ``r`` with the target. Sums to the full model's R²."""
    R = np.ascontiguousarray(R, dtype=np.float64)
    r = np.ascontiguousarray(r, dtype=np.float64)
    p = R.shape[0]
    a, b = shapley_weights(p)
    out = np.zeros(p)
    if p:
        _shapley_kernel(R, r, a, b, tol, out)
    return out


def shapley_r2_many(Rs: np.ndarray, rs: np.ndarray, tol: float = PIVOT_TOL) -> np.ndarray:
    """:func:`shapley_r2` for a stack of problems (``Rs``: B×p×p, ``rs``: B×p), in one
    compiled call (the bootstrap)."""
    Rs = np.ascontiguousarray(Rs, dtype=np.float64)
    rs = np.ascontiguousarray(rs, dtype=np.float64)
    p = Rs.shape[1]
    a, b = shapley_weights(p)
    out = np.zeros(rs.shape)
    if p and len(Rs):
        _shapley_many(Rs, rs, a, b, tol, out)
    return out


def full_r2(R: np.ndarray, r: np.ndarray, tol: float = PIVOT_TOL) -> float:
    """R² of the full model from the correlation matrix (collinear predictors skipped)."""
    return float(_full_r2(np.ascontiguousarray(R, dtype=np.float64),
                          np.ascontiguousarray(r, dtype=np.float64), tol))
