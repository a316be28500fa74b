"""Classes of equal clients and their bootstrap counts (cxlab._resample), against brute
force: numpy's own unique rows, and the client draws counted one by one; and the
permutation test's draws of a few answers out of very many (cxlab._intervals)."""

from __future__ import annotations

import numpy as np
import pytest

from cxlab import _intervals, _resample


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



def test_distinct_draws_are_uniform_sets_of_distinct_positions():
    rng = np.random.default_rng(7)
    N, small, k = 400, 20, 20_000  # small² = N: about 40 % of the rows drawn again
    pick = _intervals._distinct_draws(rng, N, small, k)
    s = np.sort(pick, axis=1)
    assert pick.shape == (k, small) and (s[:, 1:] != s[:, :-1]).all()
    assert pick.min() >= 0 and pick.max() < N
    # every position equally likely: counts are binomial(k·small/N·…) around 1,000
    freq = np.bincount(pick.ravel(), minlength=N)
    expected = k * small / N
    assert np.abs(freq - expected).max() < 5 * np.sqrt(expected)
    # and pairs too (a set, not a position at a time): how often 0 and 1 come together
    both = ((pick == 0).any(axis=1) & (pick == 1).any(axis=1)).mean()
    want = small * (small - 1) / (N * (N - 1))
    assert abs(both - want) < 5 * np.sqrt(want / k)


@pytest.mark.parametrize("scores, small", [(True, 12), (True, 3_000), (False, 12)])
def test_permutation_p_of_a_side_against_very_many_is_the_same_test(monkeypatch, scores,
                                                                   small):
    # a side of 0–10 scores (counts of each value drawn: multivariate hypergeometric) or
    # of continuous values (its positions drawn), against 50,000 answers; the reference
    # is the random order of all of them (the other path, forced). 10,000 permutations
    # each: the two p-values differ by Monte-Carlo error only (sd ≤ 0.007; allowed 0.03)
    rng = np.random.default_rng(3)
    if scores:
        yb = rng.integers(0, 11, size=50_000).astype(float)
        ya = np.clip(rng.integers(0, 11, size=small) + (1 if small < 100 else 0.08),
                     0, 10).round()
    else:
        yb = rng.normal(size=50_000)
        ya = rng.normal(size=small) + 0.6
    drawn = _intervals.permutation_p(ya, yb, seed=1)
    monkeypatch.setattr(_intervals, "_MANY", 10 ** 12)
    every = _intervals.permutation_p(ya, yb, seed=2)
    assert 0.005 < every < 0.9, every  # a p-value where the comparison means something
    assert drawn == pytest.approx(every, abs=0.03)
