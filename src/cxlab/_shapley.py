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

Many problems at once (the bootstrap's resamples): the tree is the same for every problem
of ``p`` predictors, so :func:`shapley_r2_many` walks it once per block of ``BLOCK``
problems, each array laid out with the problems last (``M[level, u, t, problem]``) so that
every update is a loop over the block that the compiler vectorises. A collinear pivot is
a select per problem (it adds nothing and sweeps with a zero factor) rather than a branch,
and each problem sees exactly the operations of the single-problem kernel in the same
order, so the two agree to the last bit. The walk's bookkeeping, paid once per node and
block instead of once per node and problem, was most of the single kernel's time at 20–25
predictors.

The blocks run on Python threads (the kernel releases the GIL) rather than numba's
``prange``: numba's fallback threading layer (workqueue, where neither TBB nor OpenMP is
installed) aborts the process when two threads enter a parallel function at once, and
plain threads behave the same whatever numba finds.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

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

#: Problems per block of :func:`shapley_r2_many` (the length of its innermost loops).
#: The per-node overhead shrinks as the block grows: at 25 predictors, one thread, 36 ms
#: per problem in blocks of 32, 25 of 64, 22 of 128, 21–22 of 192 or 256
#: (benchmarks/README.md, "Drivers"). The walk holds ``(p + 1) · p² · BLOCK`` floats per
#: thread: 17 MB at 25 predictors, 29 MB at 30.
BLOCK = 128

#: Fewest problems × subsets for which the blocks go to several threads: starting one
#: took up to ≈ 5 ms on a busy 2-core machine, and 2^25 take ≈ 20 ms on one thread.
THREADED_MIN_WORK = 2**25

# Problems per iteration of the compiled loops over a block (vectors × unrolling): a block
# of 125 problems took 40 % longer per problem than one of 128, its tail done one by one.
_LANES = 8


def _jit(f=None, **options):
    """JIT-compile with an on-disk cache; numba falls back to a user cache directory when
    the package directory is read-only, and to no cache if neither is writable.
    ``@_jit`` or ``@_jit(**numba_options)``."""
    if f is None:
        return lambda g: _jit(g, **options)
    if not HAVE_NUMBA:
        return f
    try:
        return njit(cache=True, nogil=True, **options)(f)
    except Exception:  # pragma: no cover - a cache locator failure
        return njit(nogil=True, **options)(f)


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


# numba's default error model tests every division for zero (to raise ZeroDivisionError),
# a branch that keeps the loops over the block scalar; no denominator here is zero (a
# pivot > tol, or 1.0 where the pivot is collinear and the quotient is discarded).
@_jit(error_model="numpy")
def _shapley_block(R, r, a, b, tol, out):  # pragma: no cover - compiled
    """:func:`_shapley_kernel` for a block of L problems: ``R`` p×p×L, ``r`` and ``out``
    p×L (the problems last). A problem's collinear pivot (``djj <= tol``) is a select, not
    a branch: it adds nothing and sweeps with a zero factor, ``M - 0·M_j = M``, which is
    the single kernel's copy (for finite values; the bootstrap sets a resample whose
    correlations are not finite aside before it gets here).

    The last two predictors are unrolled: a node adding ``p - 1`` is a leaf (half the
    nodes) and one adding ``p - 2`` has that leaf as its only child (a quarter), each
    finished in one loop over the block with its unwinding folded in, in the order the
    general walk would add things up."""
    p = R.shape[0]
    L = R.shape[2]
    M = np.empty((p + 1, p, p, L))
    c = np.empty((p + 1, p, L))
    r2 = np.zeros((p + 1, L))
    sub = np.zeros((p + 1, L))
    total = np.zeros(L)
    f = np.empty(L)
    last = np.empty(p + 1, np.int64)
    nxt = np.empty(p + 1, np.int64)
    for i in range(p):
        for q in range(L):
            c[0, i, q] = r[i, q]
            out[i, q] = 0.0
        for k in range(p):
            for q in range(L):
                M[0, i, k, q] = R[i, k, q]
    last[0] = -1
    nxt[0] = 0
    d = 0
    while True:
        j = nxt[d]
        if j < p:
            nxt[d] = j + 1
            k = d + 1
            ak = a[k]
            bk = b[k]
            if j == p - 1:  # a leaf: add its R², unwind at once
                for q in range(L):
                    djj = M[d, j, j, q]
                    x = c[d, j, q]
                    ok = djj > tol
                    g = x * x / (djj if ok else 1.0)
                    v = r2[d, q] + (g if ok else 0.0)
                    total[q] += bk * v
                    s = ak * v
                    out[j, q] += s
                    sub[d, q] += s
                continue
            if j == p - 2:  # the node, its one sweep, its leaf child, both unwound
                e = p - 1
                ae = a[k + 1]
                be = b[k + 1]
                for q in range(L):
                    djj = M[d, j, j, q]
                    x = c[d, j, q]
                    ok = djj > tol
                    g = x * x / (djj if ok else 1.0)
                    v = r2[d, q] + (g if ok else 0.0)
                    total[q] += bk * v
                    mje = M[d, j, e, q]
                    h = mje / (djj if ok else 1.0)
                    fq = h if ok else 0.0
                    ce = c[d, e, q] - fq * x
                    mee = M[d, e, e, q] - fq * mje
                    ok2 = mee > tol
                    g2 = ce * ce / (mee if ok2 else 1.0)
                    v2 = v + (g2 if ok2 else 0.0)
                    total[q] += be * v2
                    s2 = ae * v2
                    out[e, q] += s2
                    s = ak * v + s2
                    out[j, q] += s
                    sub[d, q] += s
                continue
            for q in range(L):
                djj = M[d, j, j, q]
                x = c[d, j, q]
                ok = djj > tol
                g = x * x / (djj if ok else 1.0)
                v = r2[d, q] + (g if ok else 0.0)
                r2[k, q] = v
                sub[k, q] = ak * v
                total[q] += bk * v
            last[k] = j
            nxt[k] = j + 1
            for u in range(j + 1, p):
                for q in range(L):
                    djj = M[d, j, j, q]
                    ok = djj > tol
                    h = M[d, j, u, q] / (djj if ok else 1.0)
                    fq = h if ok else 0.0
                    f[q] = fq
                    c[k, u, q] = c[d, u, q] - fq * c[d, j, q]
                for t in range(u, p):
                    for q in range(L):
                        M[k, u, t, q] = M[d, u, t, q] - f[q] * M[d, j, t, q]
            d = k
        else:
            if d == 0:
                break
            m = last[d]
            for q in range(L):
                out[m, q] += sub[d, q]
                sub[d - 1, q] += sub[d, q]
            d -= 1
    for i in range(p):
        for q in range(L):
            out[i, q] -= total[q]


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


def _threads() -> int:
    """Threads for the blocks: numba's own setting (``NUMBA_NUM_THREADS``, by default the
    CPUs this process may use); one without numba, whose Python kernel holds the GIL."""
    if not HAVE_NUMBA:
        return 1
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))


def _blocks(n: int, threads: int, block: int) -> tuple[int, int]:
    """(number of blocks, problems per block) for n problems: blocks of at most ``block``,
    as many as a multiple of the threads (none idle while another works), of equal widths
    so that padding the last one costs little, and widths a multiple of ``_LANES`` where
    ``block`` allows."""
    n_blocks = -(-n // block)
    n_blocks = min(n, -(-n_blocks // threads) * threads)
    width = -(-n // n_blocks)
    lanes = -(-width // _LANES) * _LANES
    if lanes <= block:
        width = lanes
    return -(-n // width), width


def shapley_r2_many(Rs: np.ndarray, rs: np.ndarray, tol: float = PIVOT_TOL) -> np.ndarray:
    """:func:`shapley_r2` for a stack of problems (``Rs``: B×p×p, ``rs``: B×p): the bootstrap.

    The problems are cut into blocks of at most :data:`BLOCK`; the subset tree is walked
    once per block, the blocks on several threads. Each problem's values are those of
    :func:`shapley_r2` on it, to the last bit.
    """
    Rs = np.asarray(Rs, dtype=np.float64)
    rs = np.asarray(rs, dtype=np.float64)
    n, p = rs.shape
    if not p or not n:
        return np.zeros((n, p))
    a, b = shapley_weights(p)
    threads = _threads() if n * 2**p >= THREADED_MIN_WORK else 1
    n_blocks, width = _blocks(n, threads, BLOCK)
    # problems last; the padding problems (uncorrelated, r = 0) are computed and dropped
    Rp = np.empty((n_blocks * width, p, p))
    Rp[:n] = Rs
    Rp[n:] = np.eye(p)
    rp = np.zeros((n_blocks * width, p))
    rp[:n] = rs
    Rb = np.ascontiguousarray(Rp.reshape(n_blocks, width, p, p).transpose(0, 2, 3, 1))
    rb = np.ascontiguousarray(rp.reshape(n_blocks, width, p).transpose(0, 2, 1))
    out = np.empty((n_blocks, p, width))

    def run(i: int) -> None:
        _shapley_block(Rb[i], rb[i], a, b, tol, out[i])

    if threads == 1 or n_blocks == 1:
        for i in range(n_blocks):
            run(i)
    else:
        with ThreadPoolExecutor(max_workers=min(threads, n_blocks)) as pool:
            list(pool.map(run, range(n_blocks)))
    return out.transpose(0, 2, 1).reshape(n_blocks * width, p)[:n]


def full_r2(R: np.ndarray, r: np.ndarray, tol: float = PIVOT_TOL) -> float:
    """R² of the full model from the correlation matrix (collinear predictors skipped)."""
    return float(_full_r2(np.ascontiguousarray(R, dtype=np.float64),
                          np.ascontiguousarray(r, dtype=np.float64), tol))
