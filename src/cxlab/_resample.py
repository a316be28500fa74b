"""Cluster bootstrap draws that do not grow with the clients.

A cluster bootstrap resample draws ``n`` clients with replacement out of ``n``; what a
refit needs is each client's count times its sufficient statistics (cross-products,
sums). Clients whose statistics are equal — the same answers, as a design of dummies or
ratings on a short scale makes common — need not be told apart: only the number drawn
from each such **class** matters. The class totals of ``n`` uniform draws of a client
are ``Multinomial(n, sizes / n)``, so a resample can draw them directly at a cost of one
binomial per class instead of one draw per client (:func:`counts`). Both ways give
exactly the bootstrap distribution; with few classes per client the direct draw is used,
otherwise clients are drawn one by one and counted by class — the same draws as one count
per client, so the same intervals for the same seed as before classes existed.

Classes are found exactly: by a 64-bit hash, then every member compared with its
class's first member; a collision (never seen) leaves every client its own class —
slower, never wrong.
"""

from __future__ import annotations

import numpy as np

#: draw class totals directly when there are at least this many clients per class (a
#: binomial draw per class costs about as much as ten draws of a client)
DIRECT = 10


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a 64-bit hash of each unsigned integer."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def same_rows(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes of the rows of the float matrix ``T`` that are equal bit for bit:
    ``(cls, rep)`` — each row's class (``0 … k-1``) and the first row of each class."""
    n = len(T)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bits = np.ascontiguousarray(T, dtype=np.float64).view(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            h = mix(h ^ (bits[:, j] + np.uint64(j)))
    _, rep, cls = np.unique(h, return_index=True, return_inverse=True)
    cls = np.asarray(cls, dtype=np.int64).reshape(-1)
    if not (bits[rep[cls]] == bits).all():  # a collision: no classes
        return np.arange(n), np.arange(n)
    return cls, rep


def client_classes(pid: np.ndarray, clus: np.ndarray, n_clusters: int):
    """Clients whose answers have the same multiset of patterns ``pid`` (an integer per
    answer; ``clus`` the answer's client ``0 … n_clusters-1``): ``(cls, sizes, rows)`` —
    each client's class (``0 … k-1``), the clients in each class, and a mask of the
    answers of one client per class (whose answers stand for the class)."""
    n = len(pid)
    order = np.lexsort((pid, clus))
    cs, ps = clus[order], pid[order]
    size = np.bincount(clus, minlength=n_clusters)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    key = np.add.reduceat(mix(ps.astype(np.uint64) + np.uint64(1)), first) ^ mix(
        size.astype(np.uint64))
    _, rep, cls = np.unique(key, return_index=True, return_inverse=True)
    cls = np.asarray(cls, dtype=np.int64).reshape(-1)
    other = rep[cls]  # each client's class's first client
    same = bool((size[other] == size).all())
    if same:
        at = first[other][cs] + (np.arange(n) - first[cs])
        same = bool((ps[at] == ps).all())
    if not same:  # a hash collision: no classes
        cls, rep = np.arange(n_clusters), np.arange(n_clusters)
    is_rep = np.zeros(n_clusters, dtype=bool)
    is_rep[rep] = True
    return cls, np.bincount(cls, minlength=len(rep)), is_rep[clus]


def direct(sizes: np.ndarray, n_clusters: int) -> bool:
    """Are the class totals drawn directly (few classes per client)?"""
    return len(sizes) * DIRECT <= n_clusters


def counts(rng: np.random.Generator, cls: np.ndarray, sizes: np.ndarray,
           n_clusters: int, m: int, out: np.ndarray | None = None) -> np.ndarray:
    """``m`` resamples' counts per class (``m × k`` floats): how many of the
    ``n_clusters`` clients drawn with replacement fall in each class."""
    k = len(sizes)
    out = np.empty((m, k)) if out is None else out[:m]
    if direct(sizes, n_clusters):
        out[:] = rng.multinomial(n_clusters, sizes / n_clusters, size=m)
    else:
        for i in range(m):
            out[i] = np.bincount(cls[rng.integers(0, n_clusters, size=n_clusters)],
                                 minlength=k)
    return out
