"""How answers relate to each other: repeat answers by one client, and survey weights.

The metrics estimate means of a per-answer score ``y`` — the NPS score (+1 promoter,
0 passive, −1 detractor: NPS = 100 · mean), a yes/no share (1/0) or a rating — and
differences of two such means. When one client answers several times, its answers are
not independent (in the samples a family answers 3.2 times and the within-family
correlation of scores is 0.41), and a variance that treats them as independent is too
small. This module computes, with one vectorised pass (``np.bincount``), the
**cluster-robust (sandwich) variance** of a (weighted) mean and of a difference of two
means, clustered by client:

* a mean ``ȳ = Σ wᵢ yᵢ / Σ wᵢ`` has influence ``zᵢ = wᵢ (yᵢ − ȳ) / Σ w``;
* a difference ``ȳ_a − ȳ_b`` has influence ``zᵢ`` from ``a`` minus that from ``b``
  (an answer in both groups contributes both);
* ``V = c · Σ_g (Σ_{i∈g} zᵢ)²`` over the clients ``g``, with the small-sample factor
  ``c = G/(G − 1) · (N − 1)/(N − K)`` that statsmodels and Stata use (CR1; ``K = 1``
  for a mean, ``2`` for a difference: the regression of ``y`` on a constant and a group
  indicator). For an unweighted mean it equals statsmodels
  ``OLS(y, 1).fit(cov_type="cluster")``; weighted, ``WLS`` with the same covariance.

The **design effect** is ``deff = V / V_srs``, where ``V_srs = s² / n`` is the variance
the same mean would have from ``n`` independent answers (``s²`` the weighted sample
variance with divisor ``n − 1``); with one answer per client and no weights,
``deff = 1`` exactly. Intervals use the **effective sample size** ``n / max(deff, 1)``
(Kish 1965; Korn & Graubard 1998 for proportions): the counts are scaled down by the
design effect before the interval formula, never up — a design effect under 1 (rare: it
needs a client's answers to disagree more than strangers' do) is not used to narrow an
interval. Weighting enters the same way: with weights and one answer per client, ``deff``
is the weighting effect (≈ ``n`` / Kish's effective n).

Answers without a client id are each their own cluster. Without a client column at all
(or ``cluster=None``), and without weights, the metrics keep the textbook independent
formulas and say so (:attr:`Design.assumption`).

References
----------
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *J. Human Resources* 50(2), 317–372.
Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small
expected number of positive counts estimated from survey data. *Survey Methodology* 24.
Kish, L. (1965). *Survey Sampling*. Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.errors import ParameterError

__all__ = ["Design", "design", "group_moments", "diff_moments", "moments_from_sums"]


@dataclass(frozen=True)
class Design:
    """Cluster codes and weights of the rows of one frame (``None`` when absent)."""

    codes: np.ndarray | None  # int64 cluster code per row, or None: answers independent
    weights: np.ndarray | None  # float weight per row (NaN where the row has none)
    cluster: str | None  # the cluster column used
    weight_col: str | None
    reason: str = ""  # why answers are treated as independent, when they are

    @property
    def independent(self) -> bool:
        """True when the textbook independent formulas apply (no clusters, no weights)."""
        return self.codes is None and self.weights is None

    @property
    def assumption(self) -> str:
        """What the variance assumes, in words (shown with every table)."""
        parts = []
        if self.codes is not None:
            parts.append(f"clustered by {self.cluster} (repeat answers of one client "
                         "are not independent; cluster-robust variance)")
        else:
            parts.append(f"answers assumed independent ({self.reason})")
        if self.weights is not None:
            parts.append(f"weighted by {self.weight_col}")
        return "; ".join(parts)

    def subset(self, mask: np.ndarray) -> Design:
        """The design of the rows ``mask`` selects."""
        return Design(None if self.codes is None else self.codes[mask],
                      None if self.weights is None else self.weights[mask],
                      self.cluster, self.weight_col, self.reason)


def design(df: pd.DataFrame | None, cluster: str | None = "client_id",
           weights: str | None = None) -> Design:
    """The design of ``df``'s rows: clusters from column ``cluster`` when present and some
    client answers more than once; weights from column ``weights``.

    A missing id makes the answer its own cluster. Weights must be finite and ≥ 0.
    """
    codes, reason = None, ""
    if df is None:
        reason = "no client ids: the answers were given without a frame"
    elif cluster is None:
        reason = "cluster=None"
    elif cluster not in df.columns:
        reason = f"no '{cluster}' column"
    else:
        ids = df[cluster]
        has = ids.notna().to_numpy()
        if not has.any():
            reason = f"'{cluster}' is empty"
        else:
            codes = np.empty(len(ids), dtype=np.int64)
            codes[has] = pd.factorize(ids[has])[0]
            k = int(codes[has].max()) + 1 if has.any() else 0
            codes[~has] = k + np.arange(int((~has).sum()))  # each its own cluster
            if np.bincount(codes).max() <= 1:
                codes, reason = None, f"every answer has its own '{cluster}'"
    w = None
    if weights is not None:
        if df is None or weights not in df.columns:
            raise ParameterError(f"weights={weights!r}: no such column in the frame")
        raw = df[weights]
        w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = (np.isnan(w) & raw.notna().to_numpy()) | (w < 0) | np.isinf(w)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"column '{weights}', row {i + 1}: got {raw.iloc[i]!r}; "
                                 "expected a weight: a finite number ≥ 0")
    return Design(codes, w, cluster if codes is not None else None, weights, reason)


def _weights_of(d: Design, valid: np.ndarray, what: str) -> np.ndarray:
    if d.weights is None:
        return np.ones(int(valid.sum()))
    w = d.weights[valid]
    if np.isnan(w).any():
        i = int(np.flatnonzero(valid)[np.flatnonzero(np.isnan(w))[0]])
        raise ParameterError(f"column '{d.weight_col}', row {i + 1}: no weight for an "
                             f"answer used in {what}; expected a number ≥ 0")
    return w


def group_moments(group: np.ndarray, n_groups: int, y: np.ndarray, valid: np.ndarray,
                  d: Design, what: str = "the figure") -> dict[str, np.ndarray]:
    """Per group (codes ``0..n_groups-1``): ``n``, ``clusters``, weighted ``mean``,
    cluster-robust variance ``var`` (CR1) and ``var_srs`` of the mean of ``y``, ``deff``.

    ``valid`` selects the rows that count; ``group`` holds each row's group code.
    """
    g = np.asarray(group, dtype=np.int64)[valid]
    yv = np.asarray(y, dtype=float)[valid]
    w = _weights_of(d, valid, what)
    n = np.bincount(g, minlength=n_groups).astype(float)
    W = np.bincount(g, weights=w, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=w * yv, minlength=n_groups) / W
        e = yv - mean[g]
        z = w * e / W[g]
        if d.codes is None:  # each answer its own cluster
            key_group, S = g, z
        else:
            c = d.codes[valid]
            pair = g * (int(c.max()) + 1) + c
            uniq, inv = np.unique(pair, return_inverse=True)
            S = np.bincount(inv, weights=z)
            key_group = uniq // (int(c.max()) + 1)
        G = np.bincount(key_group, minlength=n_groups).astype(float)
        V0 = np.bincount(key_group, weights=S * S, minlength=n_groups)
        var = V0 * G / (G - 1)
        s2 = np.bincount(g, weights=w * e * e, minlength=n_groups) / W * n / (n - 1)
        var_srs = s2 / n
        deff = var / var_srs
    W2 = np.bincount(g, weights=w * w, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        kish = W * W / W2  # Kish's effective n of the weights (n when unweighted)
    return {"n": n, "clusters": G, "mean": mean, "var": var, "var_srs": var_srs,
            "deff": deff, "wsum": W, "kish_n": kish}


def diff_moments(y: np.ndarray, in_a: np.ndarray, in_b: np.ndarray, d: Design,
                 what: str = "the comparison") -> dict[str, float]:
    """The difference of the (weighted) means of ``y`` over rows ``in_a`` and ``in_b``
    (boolean masks; they may overlap) and its cluster-robust variance (CR1, ``K = 2``).

    ``var_srs`` is the independent-samples variance ``s²_a/n_a + s²_b/n_b``; ``deff`` their
    ratio. Answers of one client in both groups make the two means correlated: the
    sandwich accounts for it (a positive correlation, as between two quarters answered
    by the same families, makes ``deff`` < 1).
    """
    y = np.asarray(y, dtype=float)
    rows = in_a | in_b
    out = {}
    z = np.zeros(len(y))
    for key, m, sign in (("a", in_a, 1.0), ("b", in_b, -1.0)):
        w = np.zeros(len(y))
        w[m] = _weights_of(d, m, what)
        W = w.sum()
        n = int(m.sum())
        mean = (w[m] @ y[m]) / W if W > 0 else np.nan
        e = np.where(m, y - mean, 0.0)
        z += sign * w * e / W if W > 0 else 0.0
        s2 = (w @ (e * e)) / W * n / (n - 1) if n > 1 and W > 0 else np.nan
        out[f"n_{key}"], out[f"mean_{key}"] = n, mean
        out[f"var_srs_{key}"] = s2 / n if n > 1 else np.nan
    idx = np.flatnonzero(rows)
    N = idx.size
    if d.codes is None:
        S, G = z[idx], N
    else:
        _, inv = np.unique(d.codes[idx], return_inverse=True)
        S = np.bincount(inv, weights=z[idx])
        G = S.size
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = G / (G - 1) * (N - 1) / (N - 2) if G > 1 and N > 2 else np.nan
        out["var"] = float(factor * (S @ S))
        out["var_srs"] = out["var_srs_a"] + out["var_srs_b"]
        out["deff"] = out["var"] / out["var_srs"]
    out["diff"] = out["mean_a"] - out["mean_b"]
    out["clusters"] = G
    return out


def moments_from_sums(n, sy, syy, clusters, t2, tn, n2) -> dict[str, np.ndarray]:
    """:func:`group_moments` (unweighted) from per-group sums instead of rows.

    Per group: ``n`` answers, ``sy = Σy``, ``syy = Σy²``, and over its clients ``c``
    (``n_c`` answers, scores summing to ``T_c``; an answer without a client id is a client
    of its own) ``clusters = G``, ``t2 = Σ T_c²``, ``tn = Σ T_c n_c``, ``n2 = Σ n_c²``.
    The influence of client ``c`` on the mean ``ȳ = sy/n`` sums to ``(T_c − n_c ȳ)/n``, so

        V₀ · n⁴ = n² t2 − 2 n sy tn + sy² n2,   var = V₀ · G/(G − 1),

    and ``var_srs = (syy − sy²/n) / ((n − 1) n)``. With Python integers the numerators
    are exact; only the last divisions round (the rows' path rounds at every answer, so
    the two agree to about 1e-15 relative, not bit for bit).

    Parameters are sequences of whole numbers, one entry per group (the sums of
    :func:`cxlab.aggregates.score_moments`).
    """
    def ints(x):
        return [int(v) for v in np.asarray(x, dtype=object)]

    n_, sy_, syy_, G_, t2_, tn_, n2_ = map(ints, (n, sy, syy, clusters, t2, tn, n2))
    k = len(n_)
    out = {key: np.full(k, np.nan) for key in ("mean", "var", "var_srs", "deff")}
    for i in range(k):
        N, S, SS, G = n_[i], sy_[i], syy_[i], G_[i]
        if N == 0:
            continue
        out["mean"][i] = S / N
        v0_num = N * N * t2_[i] - 2 * N * S * tn_[i] + S * S * n2_[i]  # exact
        out["var"][i] = (v0_num / N ** 4) * G / (G - 1) if G > 1 else np.nan
        ss_num = N * SS - S * S  # N · Σ(y − ȳ)², exact
        out["var_srs"][i] = ss_num / (N * N * (N - 1)) if N > 1 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["deff"] = out["var"] / out["var_srs"]
    out["n"] = np.asarray(n_, dtype=float)
    out["clusters"] = np.asarray(G_, dtype=float)
    out["wsum"] = out["n"].copy()
    out["kish_n"] = out["n"].copy()
    return out
