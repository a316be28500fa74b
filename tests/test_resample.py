"""Classes of equal clients and their bootstrap counts (cxlab._resample), against brute
force: numpy's own unique rows, and the client draws counted one by one."""

from __future__ import annotations

import numpy as np
import pytest

from cxlab import _resample


def test_same_rows_are_numpys_unique_rows():
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(7, 5))
    T = pool[rng.integers(0, 7, size=2000)]
    cls, rep = _resample.same_rows(T)
    uniq, inverse = np.unique(T, axis=0, return_inverse=True)
    assert len(rep) == len(uniq) == 7
    assert (T[rep][cls] == T).all()  # each row is its class's first row
    assert len(set(zip(cls, inverse.reshape(-1)))) == 7  # the same partition
    # bit for bit: a row that differs in the last bit is another class
    T2 = T.copy()
    T2[5, 2] = np.nextafter(T2[5, 2], np.inf)
    assert len(_resample.same_rows(T2)[1]) == 8


def test_a_collision_leaves_every_row_its_own_class(monkeypatch):
    monkeypatch.setattr(_resample, "mix", lambda x: np.zeros_like(x))
    cls, rep = _resample.same_rows(np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]]))
    assert list(cls) == [0, 1, 2] and list(rep) == [0, 1, 2]


@pytest.mark.parametrize("k, n_clusters", [(50, 5000), (400, 1000)])
def test_counts_per_class(k, n_clusters):
    rng = np.random.default_rng(k)
    cls = np.concatenate([np.arange(k), rng.integers(0, k, size=n_clusters - k)])
    sizes = np.bincount(cls, minlength=k)
    out = _resample.counts(np.random.default_rng(1), cls, sizes, n_clusters, 300)
    assert out.shape == (300, k) and (out.sum(axis=1) == n_clusters).all()
    if _resample.direct(sizes, n_clusters):
        # multinomial totals: mean n·p and variance n·p(1−p) per class
        p = sizes / n_clusters
        assert np.abs(out.mean(0) - n_clusters * p).max() < 5 * np.sqrt(
            n_clusters * p * (1 - p) / 300).max()
    else:  # the clients drawn one by one, as one count per client did, by class
        r = np.random.default_rng(1)
        want = np.stack([np.bincount(cls[r.integers(0, n_clusters, size=n_clusters)],
                                     minlength=k) for _ in range(300)])
        assert (out == want).all()

