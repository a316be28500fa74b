"""Key driver analysis: which loyalty factors move NPS, and where to act.

The question (DOMAIN.md, "What NPS depends on"): of the factors rated in the survey
(``f_<id>`` columns, each on the scale the study declares — 1–5, 1–7, 0–10, 0–100 …;
empty = not applicable), which ones drive the recommendation score, and which of the
important ones do we perform worst on?

- :func:`relative_importance` splits the model R² among the factors: the exact Shapley
  decomposition (LMG / general dominance, every subset of factors, computed from the
  correlation matrix without refitting) or Johnson's (2000) relative weights.
- :func:`key_drivers` is the analysis an analyst reads: importance with a bootstrap
  interval (resampling clients, not answers, when a family answers several times), the
  full regression's standardized betas and VIFs, performance (the mean on the factor's
  own scale and on the common 0–100 scale, and the share in the scale's top box), the
  importance × performance quadrant with the share of resamples that confirm it
  ("uncertain" under 80 %), Kish's effective n when weighted, and warnings.
- :func:`robustness` refits the question as promoter-vs-rest logit and ordered logit
  (statsmodels) and reports whether their ranking agrees with Shapley's.
- :func:`key_drivers_by` repeats the analysis per segment (channel, cohort) in one table.

Factors, their labels and their scales come from the study (:mod:`cxlab.study`; the
default study unless ``study=`` is given): by default the analysis runs on the study's
declared factors found in the data, or on every ``f_<id>`` column when the data hold none
of them. Correlations do not depend on a factor's scale, so importance needs no scale;
performance does: factors on different scales are compared on 0–100.

Everything is computed from (weighted) correlations, so the same numbers can come from
sufficient statistics (:func:`importance_from_corr`): the raw rows are only needed for
the bootstrap and the regression diagnostics, and the bootstrap itself resamples each
client's sums of products (taken once), not the rows.

Example
-------
>>> from cxlab import drivers, samples
>>> kd = drivers.key_drivers(samples.load("responses"), target="nps")  # doctest: +SKIP
>>> kd.table[["label", "share", "share_ci_low", "share_ci_high", "quadrant"]]  # doctest: +SKIP
>>> kd.plot()  # doctest: +SKIP

Size: over 800 lines on purpose: key driver analysis end to end — exact Shapley with its
bootstrap, relative weights, robustness models, quadrant, by-segment — whose parts share
the same prepared matrices and result classes.
"""

from __future__ import annotations

import html
import itertools
import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab import _members, _resample, _shapley, disclosure, progress
from cxlab.errors import CxlabError, ParameterError
from cxlab.schema import factor_columns
from cxlab.study import Scale, Study, load_study

__all__ = [
    "relative_importance",
    "importance_from_corr",
    "key_drivers",
    "DriverAnalysis",
    "robustness",
    "RobustnessCheck",
    "key_drivers_by",
    "SegmentDrivers",
    "MAX_SHAPLEY_FACTORS",
    "QUADRANTS",
    "UNCERTAIN",
]

#: Largest number of factors for the exact Shapley decomposition.
MAX_SHAPLEY_FACTORS = _shapley.MAX_FACTORS
#: The quadrant chart names every factor up to this many; beyond, only the important ones.
LABEL_ALL_UP_TO = 12

#: Quadrant names: (important?, performing above the mean?) → name.
QUADRANTS = {
    (True, False): "fix first",
    (True, True): "keep up",
    (False, True): "maintain",
    (False, False): "low priority",
}

#: The quadrant label of a factor whose quadrant the bootstrap does not confirm.
UNCERTAIN = "uncertain"

#: Share of bootstrap resamples that must put a factor in its quadrant for the quadrant
#: to be reported with confidence (:func:`key_drivers`, ``quadrant_min_agreement``).
QUADRANT_AGREEMENT_MIN = 0.8

#: The column whose repeated ids make the bootstrap resample clients, not answers.
CLUSTER = "client_id"

METHODS = ("shapley", "relative_weights")
MISSING = ("complete", "pairwise")

#: VIF at or above which a factor's regression coefficient is not to be trusted alone.
VIF_WARN = 5.0

#: Smallest eigenvalue (correlation scale) for a pairwise matrix to count as positive definite.
PD_TOL = 1e-10


# =========================================================================== data

@dataclass(frozen=True)
class _Prepared:
    """Rows and correlations an analysis runs on (target last in ``corr``)."""

    target: str
    factors: tuple[str, ...]
    corr: np.ndarray  # (p+1)×(p+1), factors then target
    Z: np.ndarray  # n_rows × (p+1) float, NaN = missing (pairwise) — rows used
    w: np.ndarray  # weights of the rows used
    n: int  # complete: rows used; pairwise: the smallest pairwise count
    dropped: int  # rows of the input not used at all
    missing: str
    weighted: bool
    pair_n: np.ndarray  # (p+1)×(p+1) pairwise counts (complete: all n)
    keep: np.ndarray | None = None  # mask of the input rows used (rows of Z)
    unanswered: tuple[str, ...] = ()  # default factors left out: no answer with the target


def _default_factors(df: pd.DataFrame, study) -> tuple[list[str], list[str]]:
    """(factor columns, ``f_<id>`` columns left out): the study's declared factors present
    in the data, in the study's order; every ``f_<id>`` column when none is declared."""
    present = factor_columns(df)
    st = load_study(study)
    declared = [c for c in st.factor_columns if c in df.columns]
    if not declared:
        return present, []
    return declared, [c for c in present if c not in declared]


def _check_columns(df: pd.DataFrame, target: str, factors: Sequence[str] | None,
                   study=None) -> list[str]:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"expected a pandas DataFrame of responses, got {type(df).__name__}")
    if factors is None:
        factors, _ = _default_factors(df, study)
        if not factors:
            raise ParameterError(
                "no loyalty-factor columns (named f_<id>, e.g. f_safety) in the data; "
                f"columns present: {', '.join(map(str, df.columns))}. Pass factors=[...]")
    elif isinstance(factors, str):
        factors = [factors]
    factors = list(dict.fromkeys(factors))
    missing = [c for c in [target, *factors] if c not in df.columns]
    if missing:
        raise ParameterError(
            f"column(s) {', '.join(map(repr, missing))} not in the data; "
            f"columns present: {', '.join(map(str, df.columns))}")
    if target in factors:
        raise ParameterError(f"the target {target!r} is also listed among the factors")
    if not factors:
        raise ParameterError("factors is empty: name at least one factor column")
    return factors


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("Float64")
    if not pd.api.types.is_numeric_dtype(s):
        raise ParameterError(
            f"column {col!r} has {s.dtype} values (e.g. {s.dropna().iloc[:3].tolist()!r}); "
            "expected numbers: ratings on the factor's scale, the 0–10 score, or yes/no")
    return s.to_numpy(dtype=float, na_value=np.nan)


def _weights(df: pd.DataFrame, weights) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in df.columns:
            raise ParameterError(f"weights column {weights!r} not in the data")
        w = _numeric(df, weights)
        name = f"weights column {weights!r}"
    else:
        w = np.asarray(weights, dtype=float)
        name = "weights"
        if w.shape != (len(df),):
            raise ParameterError(f"{name} has shape {w.shape}; expected one weight per row "
                                 f"({len(df)})")
    bad = np.flatnonzero(np.isfinite(w) & (w < 0))
    if len(bad):
        raise ParameterError(f"{name}: negative weight {w[bad[0]]:g} at row {bad[0] + 1}; "
                             "expected survey weights ≥ 0")
    return w


def _wcorr_complete(Z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted correlation matrix of complete rows; also the standard deviations."""
    sw = w.sum()
    m = (w @ Z) / sw
    Zc = Z - m
    C = (Zc * w[:, None]).T @ Zc / sw
    sd = np.sqrt(np.clip(np.diag(C), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        R = C / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    return R, sd


def _wcorr_pairwise(Z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted pairwise-complete correlations of the rows given (the caller has already
    kept only rows with the target answered): each pair on the rows where both are
    present, means and variances on those same rows (as ``DataFrame.corr`` does)."""
    # the mask as floats: numpy multiplies a float by a bool matrix in its own loop, not
    # in BLAS (5× slower on a million rows)
    M = (~np.isnan(Z)).astype(float)
    # centring on the column means first keeps the one-pass moments accurate
    mu = np.nanmean(Z, axis=0)
    Zf = np.where(M > 0, Z - mu, 0.0)
    Mw = M * w[:, None]
    Zw = Zf * w[:, None]
    N = Mw.T @ M  # N[i, j] = Σ w m_i m_j
    S1 = Zw.T @ M  # Σ w m_i m_j z_i
    S2 = (Zf * Zw).T @ M  # Σ w m_i m_j z_i²
    P = Zw.T @ Zf  # Σ w z_i z_j (zero where either is missing)
    R, var = _pairwise_from_sums(N, S1, S2, P)
    counts = M.T @ M
    sd = np.sqrt(np.clip(np.diag(var), 0.0, None))
    return R, sd, counts


def _pairwise_from_sums(N: np.ndarray, S1: np.ndarray, S2: np.ndarray, P: np.ndarray,
                        flat: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise correlations (unit diagonal) and ``var[i, j]``, the variance of column i on
    the rows answering j, from the sums of :func:`_wcorr_pairwise` (q×q, or a stack of
    them: B×q×q). ``flat`` > 0: a variance under that share of its second moment
    (``S2 / N``) is rounding on a constant column, taken as 0 (the correlation is then
    undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = S1 / N
        cov = P / N - mi * np.swapaxes(mi, -1, -2)
        var = S2 / N - mi * mi
        if flat:
            var = np.where(var <= flat * (S2 / N), 0.0, var)
        R = cov / np.sqrt(var * np.swapaxes(var, -1, -2))
    q = R.shape[-1]
    R[..., np.arange(q), np.arange(q)] = 1.0
    return R, var


def _unanswered(Z: np.ndarray, w: np.ndarray, factors: Sequence[str]) -> tuple[list[str], int]:
    """Factors with no answer on the rows where the target is answered (positive weight),
    and how many such rows there are."""
    base = np.isfinite(w) & (w > 0) & ~np.isnan(Z[:, -1])
    answered = (~np.isnan(Z[base, :-1])).sum(axis=0)
    return [f for f, k in zip(factors, answered) if k == 0], int(base.sum())


def _prepare(df, target, factors, weights, missing, study=None, *,
             drop_unanswered: bool = False) -> _Prepared:
    """Rows and correlations of an analysis.

    A factor with no answer on the rows where the target is answered cannot be
    correlated with anything: when the caller named it (``drop_unanswered=False``) that
    is a :class:`ParameterError` naming it; when it came from the study's default factors
    (a question not asked this time: the column is there, empty) it is left out and
    listed in ``unanswered``."""
    if missing not in MISSING:
        raise ParameterError(f"missing={missing!r}; expected one of {', '.join(MISSING)}")
    factors = _check_columns(df, target, factors, study)
    cols = [*factors, target]
    Z, w, keep = _rows(df, cols, weights, missing)
    empty, n_target = _unanswered(Z, w, factors)
    if empty and (not drop_unanswered or len(empty) == len(factors)):
        raise ParameterError(
            f"factor(s) {', '.join(map(repr, empty))}: no answers on the {n_target} rows "
            f"with {target!r} answered (every cell empty): nothing to correlate with "
            f"{target!r}; leave {'it' if len(empty) == 1 else 'them'} out of factors=[...]")
    if empty:
        factors = [f for f in factors if f not in empty]
        cols = [*factors, target]
        Z, w, keep = _rows(df, cols, weights, missing)
    weighted = weights is not None
    has_target = ~np.isnan(Z[:, -1])
    Zk, wk = Z[keep], w[keep]
    n_rows = int(keep.sum())
    p = len(factors)
    if n_rows < p + 2:
        answered = {c: int((~np.isnan(Z[:, i]) & has_target).sum()) for i, c in enumerate(factors)}
        worst = sorted(answered.items(), key=lambda kv: kv[1])[:3]
        hint = ("; fewest answers (with a target): "
                + ", ".join(f"{c} {k}" for c, k in worst))
        raise CxlabError(
            f"driver analysis of {target!r} on {p} factor(s) needs at least {p + 2} rows "
            f"with the target{' and every factor' if missing == 'complete' else ''} "
            f"answered; found {n_rows} of {len(df)}{hint}. Use fewer factors"
            + (", or missing='pairwise'" if missing == "complete" else ""))
    if missing == "complete":
        R, sd = _wcorr_complete(Zk, wk)
        counts = np.full((p + 1, p + 1), float(n_rows))
        n = n_rows
    else:
        R, sd, counts = _wcorr_pairwise(Zk, wk)
        n = int(counts[:-1, -1].min()) if p else n_rows
    flat = [cols[i] for i in range(p + 1) if not (sd[i] > 0)]
    if flat:
        raise CxlabError(
            f"no variation in {', '.join(map(repr, flat))} on the {n_rows} rows used "
            "(every answer the same): a factor everyone rates alike cannot explain "
            f"differences in {target!r}; leave it out of factors=[...]")
    if missing == "pairwise":
        if np.isnan(R).any():
            i, j = np.argwhere(np.isnan(R))[0]
            raise CxlabError(
                f"pairwise correlation of {cols[i]!r} and {cols[j]!r} is undefined: "
                f"{int(counts[i, j])} row(s) answer both (or one is constant on them); "
                "use missing='complete' or drop one of them")
        eig = np.linalg.eigvalsh(R)
        if eig[0] <= PD_TOL:
            raise CxlabError(
                f"the pairwise correlation matrix of {target!r} and {p} factors is not "
                f"positive definite (smallest eigenvalue {eig[0]:.3g}): the pairs were "
                "answered by different people and do not fit together. Use "
                "missing='complete', or drop factors that are rarely answered together")
    return _Prepared(target, tuple(factors), R, Zk, wk, n, len(df) - n_rows, missing,
                     weighted, counts, keep, tuple(empty))


def _kish(w: np.ndarray) -> float:
    """Kish's effective sample size of weights ``w``: (Σw)² / Σw² (n when all are equal)."""
    s2 = float((w ** 2).sum())
    return float(w.sum()) ** 2 / s2 if s2 > 0 else 0.0


def _n_rows(prep: _Prepared) -> np.ndarray:
    """Mask of the rows (of ``prep.Z``) that ``prep.n`` counts: every row used (complete);
    pairwise: those answering the factor with the smallest pairwise count and the target."""
    if prep.missing == "complete" or not prep.factors:
        return np.ones(len(prep.Z), bool)
    worst = int(np.argmin(prep.pair_n[:-1, -1]))
    return ~np.isnan(prep.Z[:, worst]) & ~np.isnan(prep.Z[:, -1])


def _used_members(df: pd.DataFrame, prep: _Prepared) -> tuple[disclosure.Members | None, dict]:
    """The answers behind ``prep.n`` and behind each factor's ``n_rated`` (report kernels
    only, :mod:`cxlab.disclosure`; (None, {}) when the rows have no ``response_id``).

    complete: the rows used, for both. pairwise: ``n`` is the smallest pairwise count of
    a factor with the target, so its members are the rows answering that factor (and the
    target); ``n_rated`` of a factor is the used rows answering it."""
    ids = _members.ids_of(df, "answers", prep.keep)
    if ids is None:
        return None, {}
    p = len(prep.factors)
    sets = disclosure.Subsets("answers", ids)  # hashed once for every factor
    rated = {f: sets.of(~np.isnan(prep.Z[:, i])) for i, f in enumerate(prep.factors)}
    if prep.missing == "complete" or not p:
        return sets.of(), rated
    return sets.of(_n_rows(prep)), rated


# =========================================================================== importance

def _relative_weights(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Johnson (2000): regress the target on the orthogonal counterpart of the factors
    (the symmetric square root ``Λ = R^{1/2}``) and apportion back through ``Λ²``."""
    lam, V = np.linalg.eigh(R)
    tol = PD_TOL * max(lam.max(), 1.0)
    root = np.sqrt(np.clip(lam, 0.0, None))
    inv_root = np.where(lam > tol, 1.0 / np.where(lam > tol, root, 1.0), 0.0)
    L = (V * root) @ V.T  # correlations of the factors with their orthogonal counterparts
    beta = (V * inv_root) @ V.T @ r  # regression of the target on the counterparts
    return (L ** 2) @ (beta ** 2)


def _importance(R: np.ndarray, r: np.ndarray, method: str) -> np.ndarray:
    if method == "shapley":
        p = len(r)
        if p > MAX_SHAPLEY_FACTORS:
            raise ParameterError(
                f"exact Shapley importance is limited to {MAX_SHAPLEY_FACTORS} factors "
                f"(2^{MAX_SHAPLEY_FACTORS} subsets); got {p}. Use "
                "method='relative_weights' (Johnson's relative weights: nearly the same "
                "ranking, computed in one step), or fewer factors")
        return _shapley.shapley_r2(R, r)
    if method == "relative_weights":
        return _relative_weights(R, r)
    raise ParameterError(f"method={method!r}; expected one of {', '.join(METHODS)}")


def _importance_frame(imp: np.ndarray, factors: Sequence[str]) -> pd.DataFrame:
    total = imp.sum()
    share = imp / total if total > 0 else np.full(len(imp), np.nan)
    out = pd.DataFrame({"importance": imp, "share": share},
                       index=pd.Index(list(factors), name="factor"))
    return out.sort_values("importance", ascending=False, kind="stable")


def relative_importance(
    df: pd.DataFrame,
    target: str,
    factors: Sequence[str] | None = None,
    method: str = "shapley",
    weights=None,
    missing: str = "complete",
    *,
    study=None,
) -> pd.DataFrame:
    """Split the R² of a linear model of ``target`` on ``factors`` among the factors.

    Parameters
    ----------
    df : DataFrame
        One row per response. Factor ratings: empty = not applicable (never 0).
    target : str
        The outcome column, e.g. ``"nps"`` (0–10) or ``"recommend"`` (yes/no).
    factors : list of str, optional
        Factor columns; default the study's declared factors present in the data (every
        ``f_<id>`` column when none is).
    method : {"shapley", "relative_weights"}
        ``"shapley"``: exact Shapley value of R² over all subsets of factors (LMG,
        general dominance), up to :data:`MAX_SHAPLEY_FACTORS` factors.
        ``"relative_weights"``: Johnson's (2000) relative weights.
    weights : str or array-like, optional
        Survey weights (a column name or one value per row); rows with a zero or
        missing weight are dropped.
    missing : {"complete", "pairwise"}
        ``"complete"`` uses the rows where the target and every factor are answered;
        ``"pairwise"`` first keeps the rows where the target and at least one factor are
        answered, then correlates each pair of columns on those of these rows that
        answer both (so two factors' correlation never uses answers without the target:
        every correlation describes the people the model explains), and checks the
        matrix is positive definite.
        A factor with no answer on the rows where the target is answered raises a
        :class:`~cxlab.errors.ParameterError` naming it when listed in ``factors``;
        among the default factors it is left out (``attrs["unanswered"]``).
    study : Study or path, optional
        Where the default factors come from; default :func:`cxlab.study.default_study`.

    Returns
    -------
    DataFrame
        Indexed by factor, sorted by importance: ``importance`` (sums to the model R²)
        and ``share`` (sums to 1). ``attrs`` holds ``n`` (rows used; pairwise: the
        smallest pairwise count), ``n_effective`` (Kish's effective n of the weights
        over the rows ``n`` counts, (Σw)²/Σw²; ``n`` when unweighted), ``n_dropped``
        (input rows not used), ``r2``, ``method``, ``missing``, ``target``,
        ``weighted`` and ``unanswered`` (default factors left out: no answers).

    Examples
    --------
    >>> relative_importance(mtcars, "mpg", ["am", "vs", "cyl"])  # doctest: +SKIP
         importance     share
    cyl    0.381785  0.501045
    vs     0.202703  0.266023
    am     0.177489  0.232932
    """
    prep = _prepare(df, target, factors, weights, missing, study,
                    drop_unanswered=factors is None)
    p = len(prep.factors)
    imp = _importance(prep.corr[:p, :p], prep.corr[:p, p], method)
    out = _importance_frame(imp, prep.factors)
    r2 = _shapley.full_r2(prep.corr[:p, :p], prep.corr[:p, p])
    out.attrs.update(n=prep.n, n_effective=_kish(prep.w[_n_rows(prep)]),
                     n_dropped=prep.dropped, r2=r2, method=method, missing=missing,
                     target=target, weighted=prep.weighted, unanswered=list(prep.unanswered))
    return out


def importance_from_corr(
    corr: pd.DataFrame, target: str, factors: Sequence[str] | None = None,
    method: str = "shapley",
) -> pd.DataFrame:
    """:func:`relative_importance` from a correlation matrix (sufficient statistics, e.g.
    computed in the warehouse with SQL ``corr()``), without the rows.

    Parameters
    ----------
    corr : DataFrame
        Square correlation matrix with row and column labels, including ``target``.
    target : str
        The outcome's label in ``corr``.
    factors : list of str, optional
        Factor labels; default every other label.
    method : {"shapley", "relative_weights"}

    Returns
    -------
    DataFrame
        ``importance`` and ``share`` by factor; ``attrs["r2"]``.
    """
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise ParameterError("corr must be a square DataFrame with the same row and column labels")
    if target not in corr.columns:
        raise ParameterError(f"target {target!r} not in the correlation matrix")
    factors = [c for c in corr.columns if c != target] if factors is None else list(factors)
    absent = [f for f in factors if f not in corr.columns]
    if absent:
        raise ParameterError(f"factor(s) {', '.join(map(repr, absent))} not in the correlation matrix")
    R = corr.loc[factors, factors].to_numpy(float)
    r = corr.loc[factors, target].to_numpy(float)
    if not np.isfinite(R).all() or not np.isfinite(r).all():
        raise CxlabError("the correlation matrix has missing or infinite entries")
    if not np.allclose(np.diag(R), 1.0) or not np.allclose(R, R.T):
        raise ParameterError("corr is not a correlation matrix (unit diagonal, symmetric)")
    out = _importance_frame(_importance(R, r, method), factors)
    out.attrs.update(r2=_shapley.full_r2(R, r), method=method, target=target)
    return out


# =========================================================================== key drivers

def _labels_for(factors: Sequence[str], labels, study=None) -> dict[str, str]:
    derived = {f: (f[2:] if f.startswith("f_") else f).replace("_", " ") for f in factors}
    if labels is None:
        return derived
    if isinstance(labels, str):
        from cxlab.study import LANGS

        if labels not in LANGS:
            raise ParameterError(f"labels={labels!r}; expected a language "
                                 f"({', '.join(LANGS)}), a mapping or None")
        reg = load_study(study).factor_labels(labels)
        return {f: reg.get(f, derived[f]) for f in factors}
    if isinstance(labels, Mapping):
        return {f: str(labels.get(f, derived[f])) for f in factors}
    raise ParameterError("labels must be a mapping column → label, a language code or None")


def _scales_for(factors: Sequence[str], study) -> dict[str, Scale | None]:
    """Each factor's declared scale (None when the study does not declare the column).

    Raises when some factors have a scale and others have none: their performance could
    not be put on one axis."""
    st = study if isinstance(study, Study) else load_study(study)
    scales = {f: st.scale_of(f) if f.startswith("f_") else None for f in factors}
    undeclared = [f for f, sc in scales.items() if sc is None]
    if undeclared and len(undeclared) < len(scales):
        raise ParameterError(
            f"factor(s) {', '.join(undeclared)} have no scale in the study ({st.source}) "
            "while the others do: performance on different scales cannot share one axis. "
            "Declare them in the study (factors → <id> → scale: 1-5, 0-100 …) or leave "
            "them out of factors=[...]")
    return scales


def _std_betas(R: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Standardized full-model coefficients and VIFs from the correlation matrix."""
    try:
        Rinv = np.linalg.inv(R)
        singular = np.linalg.cond(R) > 1e12
    except np.linalg.LinAlgError:
        singular = True
    if singular:
        Rinv = np.linalg.pinv(R)
        vif = _singular_vifs(R)
    else:
        vif = np.diag(Rinv).copy()
    return Rinv @ r, vif, singular


def _singular_vifs(R: np.ndarray) -> np.ndarray:
    """VIFs when the factors are collinear, as statsmodels' ``variance_inflation_factor``
    defines them: ``1 / (1 − R²_j)`` with ``R²_j`` of factor ``j`` on all the others.
    Each ``R²_j`` comes from the sweep that skips collinear predictors, so a factor in a
    collinear set (``R²_j`` = 1) is infinite and the factors outside it keep their finite
    VIF, instead of one collinear pair making every VIF infinite."""
    p = len(R)
    vif = np.empty(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        unexplained = 1.0 - _shapley.full_r2(R[np.ix_(others, others)], R[others, j])
        vif[j] = np.inf if unexplained <= _shapley.PIVOT_TOL else 1.0 / unexplained
    return vif


#: The stratum of rows with no channel in a within-channel analysis.
_NO_CHANNEL = "\ue003no channel"


def _centred_within(prep: _Prepared, strata: np.ndarray) -> _Prepared:
    """``prep`` with the target and every factor centred on its stratum's weighted mean
    (over the values answered in it) and the correlations recomputed on the deviations:
    the pooled *within*-stratum correlation matrix (one survey channel's level never
    counts as a driver's effect). Rows and weights are unchanged."""
    import dataclasses

    Z = prep.Z.copy()
    for s in dict.fromkeys(strata):
        rows = strata == s
        for j in range(Z.shape[1]):
            x = Z[rows, j]
            ok = ~np.isnan(x)
            if ok.any():
                Z[rows, j] = x - _wmean(x, prep.w[rows])
    if prep.missing == "complete":
        R, sd = _wcorr_complete(Z, prep.w)
    else:
        R, sd, _ = _wcorr_pairwise(Z, prep.w)
    cols = [*prep.factors, prep.target]
    flat = [cols[i] for i in range(len(cols)) if not (sd[i] > 0)]
    if flat:
        raise CxlabError(
            f"no variation in {', '.join(map(repr, flat))} within any survey channel: "
            "a factor every channel's answers rate alike cannot explain differences "
            f"in {prep.target!r} inside a channel; leave it out of factors=[...]")
    return dataclasses.replace(prep, corr=R, Z=Z)


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x)
    return float((x[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else np.nan


def _clusters(df: pd.DataFrame, cluster: str | None, keep: np.ndarray
              ) -> tuple[np.ndarray | None, int | None, str]:
    """The bootstrap's resampling units among the rows used: (cluster code of each row
    or None for independent answers, number of clients or None, what was assumed).

    Codes number the clients in order of first appearance, then each answer without an
    id as a cluster of its own."""
    if cluster is None:
        return None, None, "answers resampled as independent (cluster=None)"
    if not isinstance(cluster, str):
        raise ParameterError(f"cluster={cluster!r}; expected a column name (e.g. "
                             f"{CLUSTER!r}) or None")
    if cluster not in df.columns:
        if cluster == CLUSTER:
            return None, None, f"answers assumed independent (no {cluster!r} column)"
        raise ParameterError(f"cluster column {cluster!r} not in the data; columns present: "
                             f"{', '.join(map(str, df.columns))}. Pass cluster=None to "
                             "resample answers as independent")
    codes, uniques = pd.factorize(df[cluster].to_numpy(dtype=object)[keep], sort=False)
    k = len(uniques)
    if k == 0:
        return None, None, f"answers assumed independent (no client ids in {cluster!r})"
    lone = codes < 0
    codes[lone] = k + np.arange(int(lone.sum()))
    extra = (f" and {int(lone.sum()):,} answers without an id, each on its own"
             if lone.any() else "")
    return codes, k, (f"clients resampled: {k:,} clients ({cluster!r}){extra}; "
                      f"{len(codes):,} answers")


#: Memory for one chunk of the bootstrap's resample counts (resamples × clusters, float64):
#: 256 MB holds 26 resamples of 1.25 million clusters, all 500 of up to 67,000.
BOOT_CHUNK_BYTES = 256 * 2 ** 20

#: Size of one block of rows' terms while the bootstrap's per-cluster sums are formed
#: (small enough to stay in cache).
_TERMS_BLOCK_BYTES = 4 * 2 ** 20

#: In a resample, a column whose variance is under this share of its second moment about
#: the column mean of all rows used is constant there (what is left is rounding).
_FLAT = 1e-12


def _stat_columns(q: int, p: int, missing: str) -> tuple[dict[str, slice], int]:
    """Where each statistic of :func:`_row_terms` sits among the K columns, and K."""
    tri = q * (q + 1) // 2
    sizes = {"rating": p, "answered": p}
    sizes |= ({"sw": 1, "s": q, "Q": tri} if missing == "complete"
              else {"N": tri, "S1": q * q, "S2": q * q, "P": tri})
    at, pos = {}, 0
    for name, size in sizes.items():
        at[name] = slice(pos, pos + size)
        pos += size
    return at, pos


def _products(out: np.ndarray, a: np.ndarray, b: np.ndarray, upper: bool) -> None:
    """``out[:, ·] = a[:, i] · b[:, j]`` for every pair i, j (row-major), or for i ≤ j
    only (in ``np.triu_indices`` order) when ``upper``."""
    pos = 0
    for i in range(a.shape[1]):
        other = b[:, i:] if upper else b
        np.multiply(a[:, i:i + 1], other, out=out[:, pos:pos + other.shape[1]])
        pos += other.shape[1]


def _row_terms(out: np.ndarray, at: Mapping[str, slice], Z: np.ndarray, w: np.ndarray,
               X: np.ndarray, centre: np.ndarray, missing: str) -> None:
    """Fill ``out`` (rows × K, columns ``at``) with the terms whose sums make a
    resample's correlations and mean ratings.

    ``rating`` / ``answered``: w·x and w·[x answered] of the ratings ``X``. complete:
    ``sw`` (w), ``s`` (w·z) and ``Q`` (w·z_i·z_j, i ≤ j) with z = Z − ``centre``.
    pairwise, the terms of :func:`_wcorr_pairwise` (z = Z − ``centre``, 0 where missing;
    m = answered): ``N`` (w·m_i·m_j, i ≤ j), ``S1`` (w·z_i·m_j), ``S2`` (w·z_i²·m_j; all
    i, j) and ``P`` (w·z_i·z_j, i ≤ j)."""
    wc = w[:, None]
    answered = ~np.isnan(X)
    np.multiply(wc, np.where(answered, X, 0.0), out=out[:, at["rating"]])
    np.multiply(wc, answered, out=out[:, at["answered"]])
    if missing == "complete":
        z = Z - centre
        out[:, at["sw"]] = wc
        wz = np.multiply(wc, z, out=out[:, at["s"]])
        _products(out[:, at["Q"]], wz, z, upper=True)
        return
    m = (~np.isnan(Z)).astype(float)
    z = np.where(m > 0, Z - centre, 0.0)
    wz = wc * z
    _products(out[:, at["N"]], wc * m, m, upper=True)
    _products(out[:, at["S1"]], wz, m, upper=False)
    _products(out[:, at["S2"]], wz * z, m, upper=False)
    _products(out[:, at["P"]], wz, z, upper=True)


def _cluster_sums(Z: np.ndarray, w: np.ndarray, X: np.ndarray, missing: str,
                  clusters: np.ndarray | None, k: int) -> tuple[np.ndarray, dict[str, slice]]:
    """The bootstrap's sufficient statistics: the sums of :func:`_row_terms` per cluster
    (code 0…k−1; each row its own cluster when ``clusters`` is None) as one k × K matrix,
    and the columns of each statistic. A resample's statistics are its cluster counts
    times this matrix. K = 2p + 1 + q + q(q+1)/2 (complete) or 2p + q(q+1) + 2q²
    (pairwise), for q = p + 1 columns: 71 or 268 for 8 factors.

    z is centred first — on the weighted column means (complete), on the column means as
    :func:`_wcorr_pairwise` does (pairwise) — so that a resample's means are close to 0
    and covariance = mean product − product of means loses nothing to cancellation.
    The terms are formed a block of rows at a time (rows sorted by cluster, a block
    never splitting one), summed per cluster within the block, so no rows × K matrix is
    ever held."""
    q, p = Z.shape[1], X.shape[1]
    at, K = _stat_columns(q, p, missing)
    centre = (w @ Z) / w.sum() if missing == "complete" else np.nanmean(Z, axis=0)
    n = len(Z)
    rows = max(1, _TERMS_BLOCK_BYTES // (8 * K))
    T = np.zeros((k, K))
    if clusters is None:
        for a in range(0, n, rows):
            s = slice(a, a + rows)
            _row_terms(T[s], at, Z[s], w[s], X[s], centre, missing)
        return T, at
    from scipy import sparse

    order = np.argsort(clusters, kind="stable")
    code = clusters[order]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])  # each cluster's first row
    bounds = np.append(first, n)
    cuts = np.unique(np.append(np.searchsorted(first, np.arange(0, n, rows)), len(first)))
    for g0, g1 in itertools.pairwise(cuts):
        a, b = bounds[g0], bounds[g1]
        idx = order[a:b]
        terms = np.empty((b - a, K))
        _row_terms(terms, at, Z[idx], w[idx], X[idx], centre, missing)
        member = sparse.csr_array((np.ones(b - a), np.arange(b - a), bounds[g0:g1 + 1] - a),
                                  shape=(g1 - g0, b - a))  # cluster × row: 1 if its row
        T[code[first[g0:g1]]] = member @ terms
    return T, at


def _triangle(v: np.ndarray, q: int) -> np.ndarray:
    """B×q×q symmetric matrices from their upper triangles (B × q(q+1)/2, row-major)."""
    i, j = np.triu_indices(q)
    out = np.empty((len(v), q, q))
    out[:, i, j] = v
    out[:, j, i] = v
    return out


def _corr_from_sums(S: np.ndarray, at: Mapping[str, slice], missing: str, q: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The resamples' correlation matrices (B×q×q) and standard deviations (B×q) from
    their sums ``S`` (B × K, the columns of :func:`_cluster_sums`): the formulas of
    :func:`_wcorr_complete` / :func:`_wcorr_pairwise` on the resample's row weights. A
    column constant in a resample gets sd 0 (so the resample is left out)."""
    B = len(S)
    with np.errstate(invalid="ignore", divide="ignore"):
        if missing == "complete":
            sw = S[:, at["sw"]]
            mean = S[:, at["s"]] / sw
            second = _triangle(S[:, at["Q"]] / sw, q)
            C = second - mean[:, :, None] * mean[:, None, :]
            var = np.diagonal(C, axis1=1, axis2=2)
            sd = np.sqrt(np.clip(var, 0.0, None))
            sd[var <= _FLAT * np.diagonal(second, axis1=1, axis2=2)] = 0.0
            R = C / (sd[:, :, None] * sd[:, None, :])
            R[:, np.arange(q), np.arange(q)] = 1.0
        else:
            R, var = _pairwise_from_sums(_triangle(S[:, at["N"]], q),
                                         S[:, at["S1"]].reshape(B, q, q),
                                         S[:, at["S2"]].reshape(B, q, q),
                                         _triangle(S[:, at["P"]], q), flat=_FLAT)
            sd = np.sqrt(np.clip(np.diagonal(var, axis1=1, axis2=2), 0.0, None))
    return R, sd


def _bootstrap(prep: _Prepared, method: str, n_boot: int, seed, level: float,
               clusters: np.ndarray | None = None, ratings: np.ndarray | None = None):
    """Percentile intervals of share and R² over resamples (resample → weighted
    correlations → importance), and the draws.

    A resample draws k clusters with replacement (``clusters``: a code per row, so a
    client's answers come in or stay out together; without, every row is its own
    cluster — the same draws) and weighs each row by its cluster's count. Correlations
    need only weighted sums, so the sums are taken once per cluster
    (:func:`_cluster_sums`, k × K) and a resample's are its counts times them: one matrix
    product per chunk of resamples (:data:`BOOT_CHUNK_BYTES` of counts), instead of the
    correlations recomputed over every row for each resample. Clusters with equal sums
    form one class, counted together (:mod:`cxlab._resample`): with many clusters per
    class the class totals are drawn directly (multinomial), otherwise the draws
    (``rng.integers`` then ``np.bincount``, one resample at a time, as that row-by-row
    loop drew them) are unchanged, and the correlations agree with it to rounding.
    ``ratings`` (rows × factors, uncentred): each resample's weighted mean per factor.

    Returns (share interval 2×p, R² interval, failed resamples, draws) where draws holds
    the kept resamples' ``share`` (B×p), ``r2`` (B) and ``mean_rating`` (B×p)."""
    p = len(prep.factors)
    rng = np.random.default_rng(seed)
    n = len(prep.Z)
    k = n if clusters is None else int(clusters.max()) + 1
    X = ratings if ratings is not None else prep.Z[:, :p]
    T, at = _cluster_sums(prep.Z, prep.w, X, prep.missing, clusters, k)
    # clusters with equal sums (the same answers) in one class each: a resample's sums
    # are its counts per class times the class's sums (cxlab._resample)
    cls, rep = _resample.same_rows(T)
    T = T[rep]
    sizes = np.bincount(cls, minlength=len(rep))
    kc = len(rep)
    sums = np.empty((n_boot, T.shape[1]))
    chunk = int(np.clip(BOOT_CHUNK_BYTES // (8 * kc), 1, n_boot))
    counts = np.empty((chunk, kc))
    # one resample at a time when clients are drawn one by one (the draws are most of
    # the time, and a chunk often holds every resample); progress never touches ``rng``
    step = chunk if _resample.direct(sizes, k) else 1
    with progress.task("key drivers: bootstrap", n_boot, unit="resamples") as bar:
        for start in range(0, n_boot, chunk):
            m = min(chunk, n_boot - start)
            for i in range(0, m, step):
                _resample.counts(rng, cls, sizes, k, min(step, m - i), out=counts[i:])
                bar.advance(min(step, m - i))
            np.matmul(counts[:m], T, out=sums[start:start + m])
    del T, counts
    Rs, sd = _corr_from_sums(sums, at, prep.missing, p + 1)
    ok = (sd > 0).all(axis=1) & np.isfinite(Rs).all(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[:, at["rating"]] / sums[:, at["answered"]]
    Rs, means = Rs[ok], means[ok]
    if method == "shapley":
        imp = _shapley.shapley_r2_many(Rs[:, :p, :p], Rs[:, :p, p])
    else:
        imp = np.array([_relative_weights(R[:p, :p], R[:p, p]) for R in Rs]).reshape(-1, p)
    r2 = imp.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = imp / r2[:, None]
    alpha = (1 - level) / 2
    q = [alpha, 1 - alpha]
    share_ci = np.nanquantile(share, q, axis=0) if len(share) else np.full((2, p), np.nan)
    r2_ci = np.nanquantile(r2, q) if len(r2) else np.full(2, np.nan)
    draws = {"share": share, "r2": r2, "mean_rating": means}
    return share_ci, r2_ci, int((~ok).sum()), draws


def _quadrant_of(share: np.ndarray, performance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(important?, strong?) per factor — last axis — with the thresholds at the means over
    the factors, as the point estimate's quadrants are drawn; works on a stack of
    resamples (B×p) as on one (p)."""
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)  # a resample of all-NaN shares
        imp_thr = np.nanmean(share, axis=-1, keepdims=True)
        perf_thr = np.nanmean(performance, axis=-1, keepdims=True)
    return share >= imp_thr, performance >= perf_thr


#: The table columns ``summary()`` and the notebook view show (``n_effective`` too when
#: weighted).
_VIEW = ("label", "share", "share_ci_low", "share_ci_high", "beta", "r", "vif", "scale",
         "mean_rating", "mean_100", "top_box_share", "quadrant", "quadrant_agreement",
         "quadrant_label")


@dataclass(frozen=True)
class DriverAnalysis:
    """Result of :func:`key_drivers`.

    Attributes
    ----------
    table : DataFrame
        One row per factor, sorted by importance: ``label``, ``importance`` (part of
        R²), ``share`` (0…1) with ``share_ci_low``/``share_ci_high`` (bootstrap
        percentile interval), ``rank``, ``coef_sign`` (+1/−1, full-model coefficient),
        ``beta`` (standardized coefficient), ``r`` (correlation with the target),
        ``vif``; performance: ``scale`` (the factor's declared scale, e.g. ``"1-5"``;
        empty when undeclared), ``mean_rating`` (mean on its own scale), ``mean_100``
        (the same on the common 0–100 scale, ``100 · (mean − lo) / (hi − lo)``) and
        ``top_box_share`` (share of answers in the scale's top box, 0…1; see
        :mod:`cxlab.study`); ``n_rated``, ``n_effective`` (Kish's effective n of the
        weights over the rows rating the factor; ``n_rated`` when unweighted);
        ``quadrant`` (the point estimate's, one of :data:`QUADRANTS`),
        ``quadrant_agreement`` (share of bootstrap resamples that put the factor in that
        same quadrant, the thresholds and performance recomputed in each; NaN without
        a bootstrap), ``quadrant_certain`` (nullable boolean: agreement ≥
        ``quadrant_min_agreement``; <NA> without a bootstrap) and ``quadrant_label``
        (``quadrant``, or :data:`UNCERTAIN` when the bootstrap does not confirm it).
    r2, r2_ci_low, r2_ci_high : float
        Model R² and its bootstrap interval.
    n : int
        Rows used (pairwise: the smallest pairwise count).
    n_effective : float
        Kish's effective n, (Σw)²/Σw², over the rows ``n`` counts: what the weighted
        figures are worth in unweighted answers (``n`` when unweighted).
    bootstrap : str
        What the bootstrap assumed: ``"clients resampled: … clients …"`` (every answer
        of a drawn client together), ``"answers assumed independent (…)"`` (no client
        ids), ``"answers resampled as independent (cluster=None)"``, or
        ``"no bootstrap"``.
    n_clusters : int or None
        Clients the bootstrap resampled (None: answers resampled).
    quadrant_min_agreement : float
        Agreement under which a factor's quadrant is reported as uncertain.
    draws : dict or None
        The bootstrap's kept resamples: ``"share"`` and ``"performance"`` (DataFrames,
        a row per resample, a column per factor; performance on the ``performance``
        axis) and ``"r2"`` (Series); None without a bootstrap.
    dropped : int
        Input rows not used (a factor or the target not answered, zero weight).
    warnings : tuple of str
        What the reader should know before trusting the table.
    performance : str
        The column the quadrant's performance axis uses: ``"mean_100"``, or
        ``"mean_rating"`` when no factor has a declared scale (then a warning says so).
    members : cxlab.disclosure.Members or None
        In a report kernel (``CXLAB_LEDGER`` set, :mod:`cxlab.disclosure`): the answers
        counted by ``n`` (pairwise: those answering the factor with the smallest pairwise
        count, and the target); the table's ``n_rated`` is recorded in its ``attrs``
        likewise. None otherwise.
    within : str or None
        ``"channel"`` (the channel column's name) when the answers of several survey
        channels were analysed *within channel* (:func:`key_drivers`: NPS and the factors
        centred on each channel's own mean first, so no figure pools channels); None for
        one channel, or when ``pool_channels=True`` pooled them on purpose.
    n_within : tuple of (channel, n)
        With ``within``: the rows used in each channel (they add up to ``n``), in the
        study's order of channels.
    members_within : dict or None
        In a report kernel: channel → the answers counted by its ``n_within``.
    """

    table: pd.DataFrame
    target: str
    method: str
    r2: float
    r2_ci_low: float
    r2_ci_high: float
    n: int
    dropped: int
    missing: str
    weighted: bool
    n_boot: int
    level: float
    seed: int | None
    importance_threshold: float
    performance_threshold: float
    warnings: tuple[str, ...] = field(default=())
    performance: str = "mean_100"
    members: disclosure.Members | None = field(default=None, compare=False, repr=False)
    within: str | None = None
    n_within: tuple = ()
    members_within: Mapping[str, disclosure.Members] | None = field(default=None, compare=False,
                                                                    repr=False)
    n_effective: float = np.nan
    bootstrap: str = "no bootstrap"
    n_clusters: int | None = None
    quadrant_min_agreement: float = QUADRANT_AGREEMENT_MIN
    draws: Mapping[str, pd.DataFrame | pd.Series] | None = field(default=None, compare=False,
                                                                repr=False)

    # ------------------------------------------------------------------ views
    @property
    def finding(self) -> str:
        """One sentence: what to fix first (or keep up), naming only the factors whose
        quadrant the bootstrap confirms; "fix first" factors it does not are named as
        uncertain."""
        t = self.table
        placed = t["quadrant_label"] if "quadrant_label" in t else t["quadrant"]
        out = f"Top driver: {t['label'].iloc[0]}"
        for quadrant in ("fix first", "keep up"):
            names = t.loc[placed == quadrant, "label"].tolist()
            if names:
                out = f"{quadrant.capitalize()}: {', '.join(names)}"
                break
        unsure = t.loc[(t["quadrant"] == "fix first") & (placed == UNCERTAIN), "label"].tolist()
        if unsure:
            out += f"; uncertain, perhaps fix first: {', '.join(unsure)}"
        return out

    def _about(self) -> str:
        """The line under the title: n, channels, weights, R² and the bootstrap."""
        weighted = (f"; weighted: Kish effective n = {self.n_effective:,.1f}"
                    if self.weighted else "")
        within = (f"; within {self.within}: " + ", ".join(f"{k} {v}" for k, v in self.n_within)
                  if self.within else "")
        boot = (f" ({self.level:.0%} bootstrap, {self.n_boot} resamples; {self.bootstrap})"
                if self.n_boot else " (no bootstrap)")
        return (f"n = {self.n} (dropped {self.dropped}){weighted}{within}; R² = {self.r2:.3f} "
                f"[{self.r2_ci_low:.3f}, {self.r2_ci_high:.3f}]{boot}")

    def _view_columns(self) -> list[str]:
        cols = [c for c in _VIEW if c in self.table]
        if self.weighted and "n_effective" in self.table:
            cols.insert(cols.index("scale"), "n_effective")
        return cols

    def summary(self) -> str:
        lines = [
            (f"Key drivers of {self.target} ({self.method}, {self.missing} cases"
             f"{', weighted figures' if self.weighted else ''})"),
            self._about(),
            self.finding,
            "",
        ]
        with pd.option_context("display.width", 200, "display.max_columns", 24):
            lines.append(self.table[self._view_columns()].to_string(
                float_format=lambda v: f"{v:.3f}"))
        if self.warnings:
            lines += ["", "Warnings:"] + [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<DriverAnalysis {self.target}: n={self.n}, R²={self.r2:.3f}, "
                f"{len(self.table)} factors; {self.finding}>")

    def _repr_html_(self) -> str:
        cols = self._view_columns()
        fmt = {c: "{:.3f}".format for c in cols
               if c not in ("label", "scale", "quadrant", "quadrant_label")}
        body = self.table[cols].to_html(formatters=fmt, border=0, classes="cxlab-drivers")
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (
            f"<div><p><b>{html.escape(self.finding)}</b></p>"
            f"<p>Key drivers of <code>{html.escape(self.target)}</code> "
            f"({self.method}{', weighted figures' if self.weighted else ''}): "
            f"{html.escape(self._about())}.</p>{body}"
            + (f"<p>Warnings:</p><ul>{warn}</ul>" if warn else "") + "</div>")

    # ------------------------------------------------------------------ chart
    def plot(self, ax=None, annotate: bool = True):
        """Importance × performance quadrant chart.

        x: performance on the common 0–100 scale (``mean_100``; the raw mean rating only
        when no factor has a declared scale), y: importance (share of R²) with its
        interval; dashed lines at the means split the chart into "fix first" (important,
        weak), "keep up", "maintain" and "low priority". With more than
        :data:`LABEL_ALL_UP_TO` factors only the important ones (above the importance
        line) are named: the unimportant crowd at the bottom and are named in the table.

        A factor whose quadrant the bootstrap does not confirm (``quadrant_label`` is
        :data:`UNCERTAIN`) is drawn hollow and named "<label> (uncertain)".

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 5.5))
        t = self.table
        perf = self.performance
        # colour-blind-safe (seaborn "colorblind"): vermillion, blue, green, grey
        palette = {"fix first": "#D55E00", "keep up": "#0072B2", "maintain": "#009E73",
                   "low priority": "#9e9e9e"}
        placed = t["quadrant_label"] if "quadrant_label" in t else t["quadrant"]
        unsure = (placed == UNCERTAIN).to_numpy()
        colours = [palette[q] for q in t["quadrant"]]
        ax.errorbar(t[perf], t["share"],
                    yerr=[t["share"] - t["share_ci_low"], t["share_ci_high"] - t["share"]],
                    fmt="none", ecolor="#95a5a6", elinewidth=1, capsize=2, zorder=1)
        # one collection, in table order: hollow where the quadrant is uncertain
        ax.scatter(t[perf], t["share"], s=70, zorder=2, linewidths=1.5,
                   edgecolors=colours,
                   facecolors=["none" if u else c for u, c in zip(unsure, colours)])
        ax.axvline(self.performance_threshold, ls="--", lw=1, color="#555555")
        ax.axhline(self.importance_threshold, ls="--", lw=1, color="#555555")
        if annotate:
            lo, hi = t[perf].min(), t[perf].max()
            named = t if len(t) <= LABEL_ALL_UP_TO else t[t["share"] >= self.importance_threshold]
            for f, row in named.iterrows():
                right = row[perf] > (lo + hi) / 2  # label inwards: stays in the axes
                text = row["label"] + (f" ({UNCERTAIN})" if placed[f] == UNCERTAIN else "")
                ax.annotate(text, (row[perf], row["share"]),
                            textcoords="offset points", xytext=(-5 if right else 5, 4),
                            ha="right" if right else "left", fontsize=8)
        ax.margins(x=0.08, y=0.1)
        corners = {"fix first": (0.02, 0.98, "left", "top"),
                   "keep up": (0.98, 0.98, "right", "top"),
                   "maintain": (0.98, 0.02, "right", "bottom"),
                   "low priority": (0.02, 0.02, "left", "bottom")}
        for name, (x, y, ha, va) in corners.items():
            ax.text(x, y, name, transform=ax.transAxes, ha=ha, va=va, fontsize=9,
                    color=palette[name], fontweight="bold")
        ax.set_xlabel("Performance, 0–100" if perf == "mean_100"
                      else "Performance: mean rating (scales not declared)")
        ax.set_ylabel("Importance: share of R² (Shapley)" if self.method == "shapley"
                      else "Importance: share of R² (relative weights)")
        ax.set_title(f"{self.finding}\n{self.target}: n = {self.n}, R² = {self.r2:.2f}",
                     fontsize=10, loc="left")
        ax.set_ylim(bottom=0)
        return ax


def key_drivers(
    df: pd.DataFrame,
    target: str = "nps",
    factors: Sequence[str] | None = None,
    weights=None,
    missing: str = "complete",
    n_boot: int = 500,
    seed: int | None = 0,
    level: float = 0.95,
    labels: Mapping[str, str] | str | None = "en",
    method: str = "shapley",
    *,
    study=None,
    pool_channels: bool = False,
    channel_col: str = "channel",
    cluster: str | None = CLUSTER,
    quadrant_min_agreement: float = QUADRANT_AGREEMENT_MIN,
) -> DriverAnalysis:
    """Key driver analysis of ``target`` on the loyalty factors.

    Parameters
    ----------
    df : DataFrame
        One row per response (see :func:`relative_importance`).
    target : str
        ``"nps"`` (0–10) by default; ``"recommend"`` (yes/no) works too.
    factors : list of str, optional
        Factor columns; default the study's declared factors present in the data (every
        ``f_<id>`` column when none is; ``f_<id>`` columns the study does not declare are
        then left out, with a warning).
    weights, missing
        As in :func:`relative_importance`. Weighted figures come with Kish's effective n
        (``n_effective``, and per factor in the table).
    n_boot : int
        Bootstrap resamples for the share intervals and the quadrants' agreement (0:
        neither).
    seed : int, optional
        Bootstrap seed: same seed, same intervals.
    level : float
        Interval coverage.
    labels : mapping, "en", "ru" or None
        Factor labels: a mapping column → label; a language code to take them from the
        study (:meth:`cxlab.study.Study.factor_labels`), falling back to the column name
        where the study has none; None for names derived from the columns.
    method : {"shapley", "relative_weights"}
    study : Study or path, optional
        The factors, their labels and scales; default :func:`cxlab.study.default_study`.
    pool_channels : bool
        One survey channel per figure (DOMAIN.md): when the rows come from several
        channels (``channel_col``), the analysis runs **within channel** by default —
        the target and every factor are centred on their own channel's (weighted) mean
        before the correlations, so a channel whose answers run higher (an interviewer's
        phone call) adds no spurious "importance" and no figure pools channels; the
        shares then say what moves NPS *inside* a channel. ``n`` is the sum of the
        channels' rows (``n_within``, per channel), ``within`` names the column.
        Performance (mean ratings, top box) stays each factor's mean over the rows used.
        ``True`` pools the channels' raw answers on purpose (with a warning). The
        bootstrap resamples the centred rows (the channel means held fixed).
    channel_col : str
        The channel column (rows with no channel are one more stratum).
    cluster : str or None
        The client column (``"client_id"``). A family answering several times gives
        answers that resemble each other, so the bootstrap resamples **clients**: each
        resample draws as many clients as the rows used hold, with replacement, and
        takes all their answers together (an answer without an id is a client of its
        own); with one answer per client this is the answers' bootstrap. None, or no
        ``"client_id"`` column, resamples answers as independent. ``.bootstrap`` says
        which was done. Ignored by everything but the intervals and the agreement.
    quadrant_min_agreement : float
        A factor whose quadrant fewer than this share of the resamples confirm is
        labelled :data:`UNCERTAIN` (``quadrant_label``, the chart, the finding).

    Returns
    -------
    DriverAnalysis
        ``.table``, ``.r2``, ``.n``, ``.dropped``, ``.warnings``, ``.plot()``;
        ``.within`` and ``.n_within`` say whether and how channels were separated;
        ``.bootstrap`` what the intervals assumed; ``.n_effective`` (weights).

    Notes
    -----
    Quadrants use thresholds at the means over factors: importance above the mean share
    (1 / number of factors) is "important"; performance on 0–100 (``mean_100``) above the
    mean of the factors' is "strong", so factors on different scales (1–5, 1–7, 0–100)
    compare. Performance is measured on the rows the analysis uses (pairwise: the rows
    answering the factor and the target), weighted when ``weights`` are given. A mean on
    0–100 treats the points of a scale as equally spaced; the top-box share does not.
    When no factor's scale is declared the raw mean ratings are compared instead, and a
    warning says so (meaningful only if all share one scale); some declared and some not
    is an error.

    A quadrant is only as sure as the numbers that place it: with many factors the
    importance threshold (1 / number of factors) is often narrower than a share's
    interval. Each bootstrap resample therefore recomputes the shares, the performance
    (weighted means on the resampled rows) and both thresholds, and classifies every
    factor again; ``quadrant_agreement`` is the share of resamples that put a factor in
    the quadrant of the point estimate. Under ``quadrant_min_agreement`` (0.8) the factor
    is reported as uncertain rather than placed.

    A default factor (``factors=None``) that no one answered together with the target is
    left out with a warning; one named in ``factors`` is an error.
    """
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r}; expected a coverage between 0 and 1, e.g. 0.95")
    if n_boot < 0:
        raise ParameterError(f"n_boot={n_boot!r}; expected 0 or more resamples")
    if not 0 < quadrant_min_agreement <= 1:
        raise ParameterError(f"quadrant_min_agreement={quadrant_min_agreement!r}; expected "
                             "a share of resamples above 0 and at most 1, e.g. 0.8")
    st = load_study(study)
    left_out: list[str] = []
    named = factors is not None
    if factors is None and isinstance(df, pd.DataFrame):
        factors, left_out = _default_factors(df, st)
    prep = _prepare(df, target, factors, weights, missing, st, drop_unanswered=not named)
    raw = prep  # performance (mean ratings, top box) is read from the raw rows
    within, n_within, strata = None, (), None
    n_channels = 0
    if isinstance(df, pd.DataFrame) and channel_col in df.columns:
        used = df[channel_col].astype("string").to_numpy(dtype=object, na_value=None)[prep.keep]
        strata = pd.Series(used, dtype=object).fillna(_NO_CHANNEL).to_numpy(dtype=object)
        n_channels = len(set(strata))
    if n_channels > 1 and not pool_channels:
        prep = _centred_within(prep, strata)
        within = channel_col
        codes = [c for c in dict.fromkeys(strata) if c != _NO_CHANNEL]
        order = list(st.channels.order(codes)) if channel_col == "channel" else sorted(codes)
        order += [c for c in codes if c not in order] + (
            [_NO_CHANNEL] if _NO_CHANNEL in set(strata) else [])
        n_within = tuple((None if c == _NO_CHANNEL else c, int((strata == c).sum()))
                         for c in order)
    fac = list(prep.factors)
    p = len(fac)
    scales = _scales_for(fac, st)
    R, r = prep.corr[:p, :p], prep.corr[:p, p]
    imp = _importance(R, r, method)
    r2 = float(imp.sum()) if method == "shapley" else _shapley.full_r2(R, r)
    share = imp / imp.sum() if imp.sum() > 0 else np.full(p, np.nan)
    beta, vif, singular = _std_betas(R, r)
    codes, n_clusters, assumed = _clusters(df, cluster, prep.keep)
    if n_boot:
        share_ci, r2_ci, failed, draws = _bootstrap(prep, method, n_boot, seed, level,
                                                    codes, raw.Z[:, :p])
    else:
        share_ci, r2_ci, failed, draws = np.full((2, p), np.nan), np.full(2, np.nan), 0, None
        assumed, n_clusters = "no bootstrap", None
    lab = _labels_for(fac, labels, st)
    mean_rating, mean_100, top_box, n_rated, n_eff = [], [], [], [], []
    for i, f in enumerate(fac):
        x = raw.Z[:, i]
        m = _wmean(x, prep.w)
        sc = scales[f]
        ok = ~np.isnan(x)
        if sc is not None and ok.any() and (x[ok].min() < sc.lo or x[ok].max() > sc.hi):
            raise ParameterError(
                f"{f}: ratings from {x[ok].min():g} to {x[ok].max():g}, but the study "
                f"({st.source}) declares its scale {sc}; declare the scale the question "
                "was asked on (factors → <id> → scale, e.g. 0-100)")
        mean_rating.append(m)
        mean_100.append(float(sc.to_100(m)) if sc is not None else np.nan)
        top_box.append(float((prep.w[ok] * (x[ok] >= sc.top_box)).sum() / prep.w[ok].sum())
                       if sc is not None else np.nan)
        n_rated.append(int(ok.sum()))
        n_eff.append(_kish(prep.w[ok]))
    table = pd.DataFrame({
        "label": [lab[f] for f in fac],
        "importance": imp,
        "share": share,
        "share_ci_low": share_ci[0],
        "share_ci_high": share_ci[1],
        "coef_sign": np.sign(beta).astype(int),
        "beta": beta,
        "r": r,
        "vif": vif,
        "scale": [str(scales[f]) if scales[f] is not None else "" for f in fac],
        "mean_rating": mean_rating,
        "mean_100": mean_100,
        "top_box_share": top_box,
        "n_rated": n_rated,
        "n_effective": n_eff,
    }, index=pd.Index(fac, name="factor"))
    perf = "mean_100" if all(sc is not None for sc in scales.values()) else "mean_rating"
    important, strong = _quadrant_of(table["share"].to_numpy(), table[perf].to_numpy())
    table["quadrant"] = [QUADRANTS[(bool(i), bool(s))] for i, s in zip(important, strong)]
    agreement = np.full(p, np.nan)
    if draws is not None:
        boot_perf = draws["mean_rating"]
        if perf == "mean_100":
            boot_perf = np.column_stack([scales[f].to_100(boot_perf[:, i])
                                         for i, f in enumerate(fac)]).reshape(-1, p)
        imp_b, strong_b = _quadrant_of(draws["share"], boot_perf)
        if len(imp_b):
            agreement = ((imp_b == important) & (strong_b == strong)).mean(axis=0)
        rows = pd.RangeIndex(len(boot_perf), name="resample")
        draws = {"share": pd.DataFrame(draws["share"], index=rows, columns=fac),
                 "performance": pd.DataFrame(boot_perf, index=rows, columns=fac),
                 "r2": pd.Series(draws["r2"], index=rows, name="r2")}
    certain = pd.array([pd.NA if np.isnan(a) else bool(a >= quadrant_min_agreement)
                        for a in agreement], dtype="boolean")
    table["quadrant_agreement"] = agreement
    table["quadrant_certain"] = certain
    table["quadrant_label"] = [UNCERTAIN if a < quadrant_min_agreement else q  # NaN: placed
                               for q, a in zip(table["quadrant"], agreement)]
    table = table.sort_values("importance", ascending=False, kind="stable")
    table.insert(5, "rank", np.arange(1, p + 1))
    imp_thr = float(np.nanmean(table["share"]))
    perf_thr = float(np.nanmean(table[perf]))
    if draws is not None:
        draws = {k: v[table.index] if isinstance(v, pd.DataFrame) else v
                 for k, v in draws.items()}

    warns: list[str] = []
    if perf == "mean_rating":
        warns.append(f"no scale is declared in the study ({st.source}) for "
                     f"{', '.join(fac)}: performance is compared on the raw mean ratings, "
                     "which is meaningful only if every factor is on the same scale; "
                     "declare the factors (factors → <id> → scale) to compare on 0–100")
    if left_out:
        warns.append(f"{', '.join(left_out)} not declared as factors in the study "
                     f"({st.source}): left out; declare them or pass factors=[...]")
    if prep.unanswered:
        warns.append(f"{', '.join(prep.unanswered)}: no answers together with {target} "
                     "(every cell empty on the rows with the target): left out")
    if prep.n < 10 * p:
        warns.append(f"n = {prep.n} is under 10 answers per factor ({10 * p} for {p} "
                     "factors): importance estimates are unstable — see the intervals")
    if singular:
        inside = [f for f in fac if np.isinf(vif[fac.index(f)])]
        warns.append("the factors are perfectly collinear (one is a combination of others"
                     + (f": {', '.join(inside)}" if inside else "") + "): regression "
                     "coefficients are not unique and the VIFs of the collinear factors are "
                     "infinite; the Shapley split is still defined")
    for f, row in table.iterrows():
        if row["vif"] >= VIF_WARN:
            warns.append(f"{row['label']} ({f}): VIF {row['vif']:.1f} ≥ {VIF_WARN:g} — it "
                         "overlaps strongly with other factors; its coefficient is unstable, "
                         "read its Shapley share (shared credit) instead")
    for f, row in table.iterrows():
        if row["beta"] < 0:
            extra = (f" although it correlates positively with {target} (r = {row['r']:.2f})"
                     if row["r"] > 0 else "")
            warns.append(f"{row['label']} ({f}): negative coefficient (beta {row['beta']:.3f})"
                         f"{extra} — a sign of overlap with other factors (suppression), "
                         "not a harmful factor; methods disagree on it")
    # shared credit: a sizeable Shapley share, but little of it is the factor's own
    # (Pratt's product measure beta·r, which also sums to R², is under half the share)
    for f, row in table.iterrows():
        own = row["beta"] * row["r"] / r2 if r2 > 0 else np.nan
        if p >= 3 and row["share"] >= 0.5 / p and row["beta"] >= 0 and own < 0.5 * row["share"]:
            i = fac.index(f)
            k = max((j for j in range(p) if j != i), key=lambda j: R[i, j])
            warns.append(
                f"{row['label']} ({f}): sizeable Shapley share ({row['share']:.2f}, rank "
                f"{int(row['rank'])} of {p}) but a small own coefficient (beta "
                f"{row['beta']:.3f}; beta·r is {own:.2f} of R²): its importance is largely "
                f"shared with correlated factors (most with {lab[fac[k]]}, r = {R[i, k]:.2f}); "
                "methods disagree on it — see robustness()")
    if pool_channels and channel_col in df.columns:
        chans = df[channel_col].dropna().unique()
        if len(chans) > 1:
            warns.append(f"responses from {len(chans)} survey channels "
                         f"({', '.join(sorted(map(str, chans)))}) pooled (pool_channels=True): "
                         "channel level differences add noise; the default analyses within "
                         "channel; compare with key_drivers_by(df, 'channel')")
    for c, k in n_within:
        if k < 10 * p:
            warns.append(f"channel {c if c is not None else '(not recorded)'}: {k} answers, "
                         f"under 10 per factor ({10 * p}): it weighs little in the "
                         "within-channel analysis; see key_drivers_by(df, 'channel')")
    if failed:
        warns.append(f"{failed} of {n_boot} bootstrap resamples had a constant column and "
                     "were left out of the intervals")
    unsure = table[table["quadrant_label"] == UNCERTAIN]
    if len(unsure):
        warns.append(
            "quadrant uncertain for " + ", ".join(
                f"{row['label']} ({f}; {row['quadrant']} in {row['quadrant_agreement']:.0%})"
                for f, row in unsure.iterrows())
            + f" of the resamples, under {quadrant_min_agreement:.0%}: the data do not "
            "place them; read their intervals, not their corner")
    used, used_within = None, None
    if _members.active():  # report kernels only (cxlab.disclosure)
        used, rated = _used_members(df, prep)
        if rated:
            _members.attach(table, "n_rated", rated)
        ids = _members.ids_of(df, "answers", prep.keep)
        if within and ids is not None:  # the answers each channel's n_within counts
            used_within = {c: disclosure.Members(
                "answers", ids[strata == (_NO_CHANNEL if c is None else c)]) for c, _ in n_within}
    return DriverAnalysis(
        table=table, target=target, method=method, r2=r2, r2_ci_low=float(r2_ci[0]),
        r2_ci_high=float(r2_ci[1]), n=prep.n, dropped=prep.dropped, missing=missing,
        weighted=prep.weighted, n_boot=n_boot, level=level, seed=seed,
        importance_threshold=imp_thr, performance_threshold=perf_thr, warnings=tuple(warns),
        performance=perf, members=used, within=within, n_within=n_within,
        members_within=used_within, n_effective=_kish(prep.w[_n_rows(prep)]),
        bootstrap=assumed, n_clusters=n_clusters,
        quadrant_min_agreement=quadrant_min_agreement, draws=draws)


# =========================================================================== robustness

@dataclass(frozen=True)
class RobustnessCheck:
    """Result of :func:`robustness`.

    ``table``: per factor, the Shapley share and the coefficients (on standardized
    factors) and ranks of each method; ``agreement``: per method, Spearman's rank
    correlation of its coefficients with the Shapley importances, its p-value and
    whether the top two factors are the same. ``members``: in a report kernel
    (``CXLAB_LEDGER`` set, :mod:`cxlab.disclosure`) the answers counted by ``n`` (the
    complete rows used), else None.
    """

    table: pd.DataFrame
    agreement: pd.DataFrame
    target: str
    n: int
    dropped: int
    promoter_min: int
    members: disclosure.Members | None = field(default=None, compare=False, repr=False)

    def summary(self) -> str:
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            return (f"Robustness of the driver ranking of {self.target} (n = {self.n}, "
                    f"dropped {self.dropped}; promoter = {self.target} ≥ {self.promoter_min})\n"
                    f"{self.table.to_string(float_format=lambda v: f'{v:.3f}')}\n\n"
                    f"{self.agreement.to_string(float_format=lambda v: f'{v:.3f}')}")

    def __repr__(self) -> str:
        rho = ", ".join(f"{m} ρ={v:.2f}" for m, v in self.agreement["spearman_rho"].items())
        return f"<RobustnessCheck {self.target}: n={self.n}; {rho}>"

    def _repr_html_(self) -> str:
        return (f"<div><p>Driver ranking of <code>{html.escape(self.target)}</code> by "
                f"method, n = {self.n}</p>{self.table.to_html(float_format='{:.3f}'.format)}"
                f"<p>Agreement with Shapley</p>"
                f"{self.agreement.to_html(float_format='{:.3f}'.format)}</div>")


def robustness(
    df: pd.DataFrame,
    target: str = "nps",
    factors: Sequence[str] | None = None,
    promoter_min: int = 9,
    *,
    study=None,
    pool_channels: bool = False,
    channel_col: str = "channel",
) -> RobustnessCheck:
    """Check the Shapley ranking against regressions that respect the score's scale.

    Fits, on the complete rows and standardized factors: OLS (the standardized betas),
    a promoter-vs-rest logistic regression (``target ≥ promoter_min``; statsmodels
    ``Logit``) and an ordered logit on the 0–10 score (statsmodels ``OrderedModel``).

    Within channel, as :func:`key_drivers` (``pool_channels``, ``channel_col``): with
    several survey channels the Shapley shares and OLS use the channel-centred answers,
    and both logits take a fixed effect per channel (a dummy), so every method ranks
    what moves the score inside a channel and the Shapley column matches
    :func:`key_drivers`' shares.

    Parameters
    ----------
    df : DataFrame
    target : str
        The 0–10 score (``"nps"``). A yes/no target gets the logit only.
    factors : list of str, optional
        Default as in :func:`key_drivers` (the study's declared factors in the data).
    promoter_min : int
        Lowest promoter score (9 on the 0–10 scale).
    study : Study or path, optional

    Returns
    -------
    RobustnessCheck
        ``table`` (index: factor; ``shapley_share``, ``shapley_rank`` and, per method,
        ``<method>_coef``, ``<method>_p`` and ``<method>_rank``) and ``agreement``
        (index: method; ``spearman_rho``, ``p_value``, ``same_top2``).
    """
    import statsmodels.api as sm
    from scipy.stats import spearmanr
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    prep = _prepare(df, target, factors, None, "complete", study,
                    drop_unanswered=factors is None)
    fac = list(prep.factors)
    p = len(fac)
    y = prep.Z[:, p]
    fixed = pd.DataFrame(index=range(len(y)))  # a dummy per channel but the first
    model = prep
    if not pool_channels and channel_col in df.columns:
        used = df[channel_col].astype("string").to_numpy(dtype=object, na_value=None)[prep.keep]
        strata = pd.Series(used, dtype=object).fillna(_NO_CHANNEL).to_numpy(dtype=object)
        if len(set(strata)) > 1:
            model = _centred_within(prep, strata)
            fixed = pd.get_dummies(pd.Series(strata), prefix="_channel", drop_first=True,
                                   dtype=float)
    X = model.Z[:, :p]
    Xs = pd.DataFrame((X - X.mean(0)) / X.std(0, ddof=1), columns=fac)
    shap = _shapley.shapley_r2(model.corr[:p, :p], model.corr[:p, p])
    table = pd.DataFrame({"shapley_share": shap / shap.sum()}, index=pd.Index(fac, name="factor"))
    yc = model.Z[:, p]
    ys = (yc - yc.mean()) / yc.std(ddof=1)
    ols = sm.OLS(ys, sm.add_constant(Xs)).fit()
    fits = {"ols": (ols.params[fac], ols.pvalues[fac])}
    binary = set(np.unique(y)) <= {0.0, 1.0}
    promoter = y if binary else (y >= promoter_min).astype(float)
    if promoter.min() == promoter.max():
        raise CxlabError(f"promoter-vs-rest logit: every one of the {len(y)} answers is "
                         f"{'a promoter' if promoter[0] else 'not a promoter'} "
                         f"({target} ≥ {promoter_min}); nothing to explain")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", PerfectSeparationWarning)
            _warnings.simplefilter("ignore", ConvergenceWarning)
            logit = sm.Logit(promoter, sm.add_constant(pd.concat([Xs, fixed], axis=1))).fit(
                disp=0, maxiter=200)
    except (PerfectSeparationWarning, np.linalg.LinAlgError) as err:
        raise CxlabError(f"promoter-vs-rest logit of {target!r} could not be fitted "
                         f"({err}): the factors separate promoters perfectly or are "
                         "collinear") from None
    fits["logit"] = (logit.params[fac], logit.pvalues[fac])
    if not binary:
        # fitted on the distinct rows (ratings, channel, score), each weighted by how
        # many answers share it: the same log-likelihood as over the answers, so the same
        # fit, at a cost that does not grow with them (the optimiser's numerical
        # derivatives evaluate it a few thousand times)
        exog = pd.concat([Xs, fixed], axis=1)
        _, first, freq = np.unique(np.column_stack([exog.to_numpy(dtype=float), y]), axis=0,
                                   return_index=True, return_counts=True)
        levels = np.unique(y)
        endog = pd.Series(pd.Categorical(y[first], categories=levels, ordered=True))
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            ordm = _counted_ordered_model(OrderedModel)(
                endog, exog.iloc[first].reset_index(drop=True), freq, distr="logit").fit(
                method="bfgs", disp=False, maxiter=1000)
        fits["ordered_logit"] = (ordm.params[fac], ordm.pvalues[fac])
    table["shapley_rank"] = table["shapley_share"].rank(ascending=False, method="min").astype(int)
    rows = {}
    top2 = set(table["shapley_share"].nlargest(2).index)
    for name, (coef, pval) in fits.items():
        table[f"{name}_coef"] = coef.to_numpy()
        table[f"{name}_p"] = pval.to_numpy()
        table[f"{name}_rank"] = table[f"{name}_coef"].rank(ascending=False,
                                                            method="min").astype(int)
        if p >= 3:
            rho, pv = spearmanr(table["shapley_share"], table[f"{name}_coef"])
        else:
            rho, pv = np.nan, np.nan
        rows[name] = {"spearman_rho": float(rho), "p_value": float(pv),
                      "same_top2": set(table[f"{name}_coef"].nlargest(2).index) == top2}
    agreement = pd.DataFrame.from_dict(rows, orient="index")
    agreement.index.name = "method"
    table = table.sort_values("shapley_share", ascending=False, kind="stable")
    used = _used_members(df, prep)[0] if _members.active() else None
    return RobustnessCheck(table, agreement, target, prep.n, prep.dropped, promoter_min, used)


def _counted_ordered_model(base):
    """statsmodels' ``OrderedModel`` over distinct rows with their counts (frequency
    weights): the log-likelihood, its numerical score and Hessian, and the start values
    (the thresholds of the score's observed frequencies) are those of the rows repeated,
    so parameters and standard errors are too."""

    class CountedOrderedModel(base):
        def __init__(self, endog, exog, counts, **kwds):
            super().__init__(endog, exog, **kwds)
            self.counts = np.asarray(counts, dtype=float)

        def loglike(self, params):
            return float(self.counts @ self.loglikeobs(params))

        @property
        def start_params(self):
            freq = np.bincount(self.endog, weights=self.counts) / self.counts.sum()
            start_ppf = self.distr.ppf(np.clip(freq.cumsum(), 0, 1))
            return np.concatenate((np.zeros(self.k_vars),
                                   self.transform_reverse_threshold_params(start_ppf)))

    return CountedOrderedModel


# =========================================================================== segments

@dataclass(frozen=True)
class SegmentDrivers:
    """Result of :func:`key_drivers_by`.

    ``table``: factors × segments (first column ``"all"``), the Shapley share of each
    factor in each segment, with two extra rows ``r2`` and ``n`` (rows used). Segments
    with fewer than ``min_n`` usable rows are *not computed* (their shares are empty)
    and listed in ``small``; ``analyses`` holds each computed segment's full
    :class:`DriverAnalysis` (with the share intervals); ``notes`` says why a segment of
    enough rows still could not be analysed. ``members``: in a report kernel
    (``CXLAB_LEDGER`` set, :mod:`cxlab.disclosure`) segment → the answers counted by the
    ``n`` row's cell of that segment (a computed segment's :attr:`DriverAnalysis.members`;
    else its usable rows), else None.
    """

    table: pd.DataFrame
    by: str
    min_n: int
    small: tuple[str, ...]
    analyses: Mapping[str, DriverAnalysis]
    notes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, disclosure.Members] | None = field(default=None, compare=False,
                                                             repr=False)

    def summary(self) -> str:
        out = (f"Driver shares by {self.by} (segments under n = {self.min_n} not computed: "
               f"{', '.join(self.small) or 'none'})\n"
               + self.table.to_string(float_format=lambda v: f"{v:.3f}"))
        return out + ("\n" + "\n".join(self.notes) if self.notes else "")

    def __repr__(self) -> str:
        return (f"<SegmentDrivers by {self.by}: {self.table.shape[1]} columns, "
                f"small: {list(self.small)}>")

    def _repr_html_(self) -> str:
        return (f"<div><p>Driver shares by <code>{html.escape(self.by)}</code>; segments "
                f"under n = {self.min_n} not computed: {html.escape(', '.join(self.small)) or 'none'}"
                f"</p>{self.table.to_html(float_format='{:.3f}'.format, na_rep='—')}</div>")

    def plot(self, ax=None):
        """Heatmap of shares (factors × segments); segments not computed are blank."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        shares = self.table.drop(index=["r2", "n"])
        if ax is None:
            _, ax = plt.subplots(figsize=(1.2 * shares.shape[1] + 3, 0.45 * len(shares) + 1.5))
        n = self.table.loc["n"]
        shares = shares.rename(index=dict(self.labels))
        shares = shares.rename(columns={c: f"{c}\nn={int(n[c])}" for c in shares.columns})
        sns.heatmap(shares.astype(float), annot=True, fmt=".2f", cmap="Blues", cbar=False,
                    ax=ax, mask=shares.isna())
        ax.set_title(f"Share of R² by {self.by} (blank: n < {self.min_n})", loc="left",
                     fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        return ax


def key_drivers_by(
    df: pd.DataFrame,
    by: str,
    target: str = "nps",
    factors: Sequence[str] | None = None,
    weights=None,
    missing: str = "complete",
    min_n: int = 30,
    n_boot: int = 500,
    seed: int | None = 0,
    level: float = 0.95,
    labels: Mapping[str, str] | str | None = "en",
    *,
    study=None,
    cluster: str | None = CLUSTER,
) -> SegmentDrivers:
    """:func:`key_drivers` for every segment of ``by`` (a channel, a cohort column, any
    segment column such as region, store or tier), in one table with a column per segment.

    Parameters
    ----------
    by : str
        Segment column; rows with an empty segment count in ``"all"`` only.
    min_n : int
        Segments with fewer usable rows are not computed (shares left empty) and listed
        in ``.small``: a driver split from a handful of answers is noise.
    Other parameters as in :func:`key_drivers`.

    Returns
    -------
    SegmentDrivers
    """
    if by not in df.columns:
        raise ParameterError(f"segment column {by!r} not in the data; columns present: "
                             f"{', '.join(map(str, df.columns))}")
    if min_n < 1:
        raise ParameterError(f"min_n={min_n!r}; expected a positive number of rows")
    if missing not in MISSING:
        raise ParameterError(f"missing={missing!r}; expected one of {', '.join(MISSING)}")
    st = load_study(study)
    if factors is None:
        factors, _ = _default_factors(df, st)
    fac = _check_columns(df, target, factors, st)
    parts = [("all", df)] + [(str(k), g) for k, g in df.groupby(by, sort=True, dropna=True)]
    shares, analyses, small, notes = {}, {}, [], []
    n_row, r2_row = {}, {}
    who = {} if _members.active() else None  # report kernels only (cxlab.disclosure)
    for name, part in parts:
        prep_n = _usable_rows(part, target, fac, weights, missing)
        n_row[name] = prep_n
        if who is not None:  # the usable rows, unless the analysis below says otherwise
            ids = _members.ids_of(part, "answers",
                                  _rows(part, [*fac, target], weights, missing)[2])
            if ids is not None:
                who[name] = disclosure.Members("answers", ids)
        if prep_n < max(min_n, len(fac) + 2):
            small.append(name)
            shares[name] = pd.Series(np.nan, index=fac)
            r2_row[name] = np.nan
            continue
        try:
            kd = key_drivers(part, target, fac, weights=weights, missing=missing,
                             n_boot=n_boot, seed=seed, level=level, labels=labels, study=st,
                             cluster=cluster)
        except CxlabError as err:
            notes.append(f"{by} = {name}: not computed — {err}")
            shares[name] = pd.Series(np.nan, index=fac)
            r2_row[name] = np.nan
            continue
        analyses[name] = kd
        shares[name] = kd.table["share"]
        r2_row[name] = kd.r2
        n_row[name] = kd.n
        if who is not None and kd.members is not None:
            who[name] = kd.members
    table = pd.DataFrame(shares).reindex(fac)
    if "all" in analyses:
        table = table.loc[analyses["all"].table.index]
    table.loc["r2"] = pd.Series(r2_row)
    table.loc["n"] = pd.Series(n_row, dtype=float)
    table.index.name = "factor"
    table.columns.name = by
    return SegmentDrivers(table, by, min_n, tuple(small), analyses, tuple(notes),
                          _labels_for(fac, labels, st), who or None)


def _rows(df, cols, weights, missing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of ``cols`` (target last) as floats with NaN, the weights (1 when none) and
    the mask of rows the analysis uses: a positive weight, and the target and every
    factor answered (complete) or the target and at least one factor (pairwise)."""
    Z = np.column_stack([_numeric(df, c) for c in cols]) if len(df) else np.empty((0, len(cols)))
    w = _weights(df, weights)
    if w is None:
        w = np.ones(len(df))
    keep = np.isfinite(w) & (w > 0)
    if missing == "complete":
        keep &= ~np.isnan(Z).any(axis=1)
    else:
        keep &= ~np.isnan(Z[:, -1]) & (~np.isnan(Z[:, :-1])).any(axis=1)
    return Z, w, keep


def _usable_rows(df, target, factors, weights, missing) -> int:
    return int(_rows(df, [*factors, target], weights, missing)[2].sum())
