"""CX metrics with honest uncertainty: NPS (0–10 and binary), CSI, FCR, response rate.

Every figure comes with its n and an interval; grouped tables flag groups under
``min_n``; comparisons give the difference, its interval and a p-value.

**What the intervals assume.** When clients answer more than once (``client_id``
repeats), every NPS, share and mean — level, change, group comparison — uses the
cluster-robust variance by client and rests on the effective number of answers
(:mod:`cxlab._design`); tables carry the design effect ``deff`` and ``clusters`` and say
in ``attrs["assumption"]`` what was assumed (independent answers when there are no ids).
``weights=`` takes survey weights (:mod:`cxlab.weighting`); tables then carry Kish's n.
NPS levels use the score interval, differences and changes the square-and-add of the two
score intervals (:mod:`cxlab._intervals`; coverage ≥ 0.94 at 95 % for NPS 0–90 and
n 30–500, ``benchmarks/interval_coverage.py``). A comparison from fewer than ``min_n``
answers on a side, or from a side without spread, gets a permutation p-value and is never
significant nor part of a Holm family (:func:`compare_groups`).

Units: ``nps`` is in points (−100…100), ``share`` is 0…1, ``index`` is 0…100.

**Scales.** NPS is always the 0–10 recommendation score (a 1–11 export is mapped onto it
at ingest). Satisfaction (``csat``) and factor ratings are on the scale the study declares
(:mod:`cxlab.study`: any whole-number ``lo–hi``; ``csat: {scale: 1-5}`` by default): the
CSI's top box is that scale's (top two points up to 11 points, the top fifth beyond) and
its index is ``100 · (mean − lo) / (hi − lo)``. Pass ``scale="0-100"`` (or a
:class:`~cxlab.study.Scale`) to override the study.

Everything is computed from counts or sufficient statistics (``np.bincount`` on the
0–10 scores, ``groupby().size()`` in tables), never from Python loops over rows, so a
10-million-row frame costs one pass; the NPS bootstrap resamples the three category
counts from a multinomial, so its cost does not grow with n. Counts pushed down to SQL
can be fed to :func:`nps_from_counts` directly.

**One survey channel per figure** (DOMAIN.md): a figure over a DataFrame whose
``channel`` column holds more than one channel raises
:class:`~cxlab.errors.ChannelMixingError` unless ``pool_channels=True``, in which case
the result records ``pooled=True`` and the channels. Grouped tables split by
``channel`` by default (it is added to ``by`` when the frame has it).

**Who a count counts** (:mod:`cxlab.disclosure`): in a report kernel (``CXLAB_LEDGER``
set) the grouped tables record, in ``attrs``, the members behind each row's count of
people — the answers (``response_id``) behind ``n`` of :func:`nps_table`,
:func:`binary_nps_table`, :func:`csi_table`, :func:`nps_trend` and ``n``/``ref_n`` of
:func:`compare_groups` (a ``combined`` row: the union over its strata); the invitations
(``invitation_id``) and answers behind :func:`response_rate`'s two counts. Read them with
:func:`cxlab.disclosure.lookup`. Without a ledger nothing is recorded and nothing costs
more; a frame without the id column records nothing either.

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
*The American Statistician* 70(4), 365–372. (Trinomial variance, adjusted Wald.)
Tango, T. (1998). Equivalence test and confidence interval for the difference in
proportions for the paired-sample design. *Statistics in Medicine* 17, 891–908.
Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small
expected number of positive counts estimated from survey data. *Survey Methodology* 24.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. *JASA* 22, 209–212.
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions. *Statistics in Medicine* 17, 873–890.

Size: over 800 lines on purpose: every survey metric (NPS 0–10 and yes/no, CSI, FCR,
response rate) with its interval, grouped tables, comparisons and trend; they share the
interval, design and grouping code (the formulas themselves live in ``_design`` and
``_intervals``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxlab import _design, _intervals, _members, disclosure, schema
from cxlab.aggregates import Moments
from cxlab.errors import ChannelMixingError, ParameterError
from cxlab.schema import quarter_of
from cxlab.study import Scale, load_study

__all__ = [
    "NPSResult", "ProportionResult", "MeanIndexResult", "CSIResult", "ComparisonResult",
    "nps", "nps_from_counts", "binary_nps", "csi", "fcr", "fcr_flags", "response_rate",
    "nps_table", "binary_nps_table", "csi_table", "fcr_table", "nps_trend",
    "compare_nps", "compare_groups", "holm_family", "wilson_interval", "nps_category",
    "CI_METHODS",
]

#: Interval methods for the 0–10 NPS.
CI_METHODS = ("score", "adjusted-wald", "wald", "bootstrap")
PROMOTER_MIN = 9  # 9–10
PASSIVE_MIN = 7  # 7–8; 0–6 are detractors


# =========================================================================== helpers

def _z(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ParameterError(f"level={level!r}: expected a confidence level between 0 and 1, "
                             "e.g. 0.95")
    return float(stats.norm.ppf(0.5 + level / 2))


def _check_method(ci: str) -> str:
    if ci not in CI_METHODS:
        raise ParameterError(f"ci={ci!r}: expected one of {', '.join(CI_METHODS)}")
    return ci


def _as_list(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _need_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(
            f"{what}: column(s) {', '.join(map(repr, missing))} not found; the frame has "
            f"{', '.join(map(str, df.columns[:20]))}{' …' if len(df.columns) > 20 else ''}"
        )


def _scale_for(column: str, scale=None, study=None, *, required: bool = True) -> Scale | None:
    """The rating scale of ``column``: ``scale`` when given (a :class:`Scale`, ``"1-7"``
    or ``(1, 7)``), else the study's (``csat`` → its CSAT scale, ``f_<id>`` → the factor's).

    Raises :class:`ParameterError` when the column has no declared scale and ``required``.
    """
    if scale is not None:
        if isinstance(scale, Scale):
            return scale
        try:
            return Scale.parse(scale)
        except (TypeError, ValueError):
            raise ParameterError(f"scale={scale!r} for column '{column}': expected a "
                                 "whole-number range such as '1-5', '1-7' or '0-100'") from None
    st = load_study(study)
    found = st.scale_of(column)
    if found is None and required:
        raise ParameterError(
            f"column '{column}': the study ({st.source}) declares no scale for it; declare "
            f"it (factors → {column[2:] if column.startswith('f_') else column} → scale: "
            "1-7) or pass scale='1-7'")
    return found


def _channels_of(df: pd.DataFrame, valid: pd.Series | np.ndarray | None,
                 channel_col: str) -> tuple[str, ...]:
    if channel_col not in df.columns:
        return ()
    ch = df[channel_col]
    if valid is not None:
        ch = ch[np.asarray(valid, dtype=bool)]
    return tuple(sorted(map(str, ch.dropna().unique())))


def _channel_rule(df, valid, channel_col, pool_channels, what) -> tuple[bool, tuple[str, ...]]:
    """(pooled, channels) of the rows that carry the figure; raises on silent mixing."""
    channels = _channels_of(df, valid, channel_col)
    if len(channels) > 1 and not pool_channels:
        raise ChannelMixingError(channels, what=what)
    return len(channels) > 1, channels


def _fmt(x: float, nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{nd}f}"


class _Result:
    """Shared display of the frozen result dataclasses."""

    def as_dict(self) -> dict:
        """All fields as a plain dict (for building tables)."""
        return asdict(self)

    def as_row(self) -> pd.Series:
        """The figures as one table row (a Series)."""
        d = {k: v for k, v in self.as_dict().items()
             if not isinstance(v, (dict, tuple, list))}
        if "channels" in self.as_dict():
            d["channels"] = ", ".join(self.as_dict()["channels"])
        return pd.Series(d)

    @property
    def table(self) -> pd.DataFrame:
        """A one-row table of the figures."""
        return self.as_row().to_frame().T.infer_objects()

    def _repr_html_(self) -> str:
        return (f"<div><b>{html.escape(self.summary().splitlines()[0])}</b>"
                f"{self.table.to_html(index=False, na_rep='–', float_format=lambda v: f'{v:.4g}')}"
                "</div>")

    def __repr__(self) -> str:
        return self.summary()


# =========================================================================== NPS

def nps_category(scores: pd.Series) -> pd.Series:
    """Promoter / passive / detractor of 0–10 scores (``<NA>`` where no score).

    Examples
    --------
    >>> nps_category(pd.Series([10, 8, 3])).tolist()
    ['promoter', 'passive', 'detractor']
    """
    s = pd.to_numeric(scores, errors="coerce")
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out = out.mask(s >= PROMOTER_MIN, "promoter")
    out = out.mask((s >= PASSIVE_MIN) & (s < PROMOTER_MIN), "passive")
    out = out.mask(s < PASSIVE_MIN, "detractor")
    return out


@dataclass(frozen=True, repr=False)
class NPSResult(_Result):
    """Net Promoter Score on 0–10 answers, in points (−100…100).

    ``se`` is the plug-in trinomial standard error ``sqrt((p + d − (p − d)²)/n)`` × 100
    when answers are independent; with repeat answers by client (or weights) it is the
    cluster-robust (sandwich) standard error, never below the independent one
    (:mod:`cxlab._design`). ``deff`` is the design effect (1 when independent),
    ``clusters`` the number of clients (0 when not clustered), ``assumption`` says which
    in words. ``method`` names how ``ci_low``/``ci_high`` were made (from ``n / deff``
    effective answers). ``pooled`` is True when answers from several survey channels were
    pooled on purpose; ``channels`` lists the channels the answers came from.
    With weights, ``nps`` is the weighted score; the counts stay counts of answers.
    """

    nps: float
    n: int
    promoters: int
    passives: int
    detractors: int
    se: float
    ci_low: float
    ci_high: float
    level: float = 0.95
    method: str = "score"
    pooled: bool = False
    channels: tuple = ()
    deff: float = 1.0
    clusters: int = 0
    assumption: str = "answers assumed independent"
    kish_n: float | None = None  # Kish's effective n of the weights; None when unweighted

    @property
    def n_eff(self) -> float:
        """Effective number of answers the interval rests on: ``n / max(deff, 1)``."""
        return self.n / max(self.deff, 1.0) if np.isfinite(self.deff) else float(self.n)

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n if self.n else float("nan")

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n if self.n else float("nan")

    def summary(self) -> str:
        ch = (f"; channels: {', '.join(self.channels)}" if self.channels else "")
        pooled = " POOLED over channels" if self.pooled else ""
        return (f"NPS {_fmt(self.nps)} points, {self.level:.0%} CI [{_fmt(self.ci_low)}, "
                f"{_fmt(self.ci_high)}] ({self.method}), n = {self.n}{pooled}{ch}\n"
                f"  promoters {self.promoters}, passives {self.passives}, "
                f"detractors {self.detractors}, se {_fmt(self.se, 2)} points\n"
                f"  {self.assumption}; design effect {_fmt(self.deff, 2)}"
                + (f"; Kish effective n {_fmt(self.kish_n, 0)}" if self.kish_n else ""))


def _nps_counts(scores, column: str = "nps") -> tuple[int, int, int]:
    """(promoters, passives, detractors) of 0–10 scores by one bincount."""
    s = pd.Series(scores) if not isinstance(scores, pd.Series) else scores
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ParameterError(f"column '{column}', row {i + 1}: got {s.iloc[i]!r}; "
                                 "expected a whole number from 0 to 10")
        s = num
    if pd.api.types.is_bool_dtype(s):
        raise ParameterError(f"column '{column}' holds yes/no answers: that is binary NPS; "
                             "use binary_nps() — the two are never mixed in one figure")
    v = s.dropna().to_numpy(dtype=float)
    if v.size:
        bad = (v < 0) | (v > 10) | (v != np.floor(v))
        if bad.any():
            pos = np.flatnonzero(s.notna().to_numpy())[np.flatnonzero(bad)[0]]
            raise ParameterError(f"column '{column}', row {pos + 1}: got {v[bad][0]:g}; "
                                 "expected a whole number from 0 to 10")
    c = np.bincount(v.astype(np.int64), minlength=11)
    return int(c[PROMOTER_MIN:].sum()), int(c[PASSIVE_MIN:PROMOTER_MIN].sum()), \
        int(c[:PASSIVE_MIN].sum())


def _nps_interval(p_n, pa_n, d_n, method: str, level: float, seed: int = 0,
                  n_boot: int = 10_000, deff=None, dof=None):
    """Vectorised NPS, se and interval (points) from count arrays.

    ``deff`` (optional, per group): the design effect of repeat answers or weights; the
    interval is then made from the effective counts ``count / max(deff, 1)``
    (:mod:`cxlab._design`) and the se is scaled alike.
    """
    P = np.asarray(p_n, dtype=float)
    A = np.asarray(pa_n, dtype=float)
    D = np.asarray(d_n, dtype=float)
    n = P + A + D
    with np.errstate(invalid="ignore", divide="ignore"):
        return _nps_from_shares(P / n, A / n, D / n, n, method, level, seed, n_boot, deff,
                                dof)


def _nps_from_shares(p, a, d, n, method: str, level: float, seed: int = 0,
                     n_boot: int = 10_000, deff=None, dof=None):
    """NPS, se and interval (points) from the (possibly weighted) shares and the number
    of answers ``n``; with ``deff`` the interval uses the effective answers
    (:func:`_effective`)."""
    p, a, d, n = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (p, a, d, n))
    z = _z(level)
    ne = n if deff is None else _effective(n, deff, dof, level)  # effective answers
    P, A, D = p * ne, a * ne, d * ne
    with np.errstate(invalid="ignore", divide="ignore"):
        est = p - d
        se = np.sqrt((p + d - est ** 2) / ne)
        if method == "score":
            lo, hi = _intervals.nps_score_interval(P, D, ne, z)
        elif method == "wald":
            lo, hi = est - z * se, est + z * se
        elif method == "adjusted-wald":
            # Rocks (2016): add 3/4 of a promoter and of a detractor, 3 answers in all
            nt = ne + 3.0
            pt, dt = (P + 0.75) / nt, (D + 0.75) / nt
            et = pt - dt
            st = np.sqrt((pt + dt - et ** 2) / nt)
            lo, hi = et - z * st, et + z * st
        elif method == "bootstrap":
            lo = np.full_like(est, np.nan)
            hi = np.full_like(est, np.nan)
            for i in range(est.size):
                if not ne.flat[i] > 0:
                    continue
                rng = np.random.default_rng(seed)
                # drawn from the shares with Rocks' pseudo-answers added, so that a group
                # whose answers are all promoters does not give the interval [100, 100]
                probs = np.array([P.flat[i] + 0.75, A.flat[i] + 1.5, D.flat[i] + 0.75])
                size = max(1, int(round(ne.flat[i])))
                draws = rng.multinomial(size, probs / probs.sum(), size=n_boot)
                boot = (draws[:, 0] - draws[:, 2]) / size
                lo.flat[i], hi.flat[i] = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        else:
            _check_method(method)
    lo = np.clip(lo, -1, 1)
    hi = np.clip(hi, -1, 1)
    return est * 100, se * 100, lo * 100, hi * 100


def nps_from_counts(promoters: int, passives: int, detractors: int, *,
                    ci: str = "score", level: float = 0.95, seed: int = 0,
                    n_boot: int = 10_000, pooled: bool = False,
                    channels: tuple = (), deff: float = 1.0) -> NPSResult:
    """NPS with its interval from the three category counts.

    Use it when the counts come from elsewhere (a warehouse ``GROUP BY``). Counts alone
    cannot show whether clients answered more than once: pass the design effect ``deff``
    when it is known (the interval then rests on ``n / deff`` answers); by default the
    answers are assumed independent.

    Examples
    --------
    >>> r = nps_from_counts(200, 200, 100, ci="wald")
    >>> round(r.nps, 1), round(r.ci_low, 2), round(r.ci_high, 2)
    (20.0, 13.44, 26.56)
    """
    _check_method(ci)
    counts = [promoters, passives, detractors]
    if any((not np.isfinite(c)) or c < 0 or c != int(c) for c in counts):
        raise ParameterError(f"counts {counts}: expected three whole numbers ≥ 0 "
                             "(promoters, passives, detractors)")
    n = int(sum(counts))
    if n == 0:
        raise ParameterError("no 0–10 answers: an NPS needs at least one answer")
    if not isinstance(n_boot, int) or n_boot < 100:
        raise ParameterError(f"n_boot={n_boot!r}: expected a whole number ≥ 100")
    if not (isinstance(deff, (int, float)) and np.isfinite(deff) and deff > 0):
        raise ParameterError(f"deff={deff!r}: expected a design effect > 0 (1 = answers "
                             "independent)")
    est, se, lo, hi = _nps_interval([promoters], [passives], [detractors], ci, level,
                                    seed, n_boot, deff=[deff])
    what = ("answers assumed independent (counts only)" if deff == 1 else
            f"design effect {deff:g} given with the counts")
    return NPSResult(float(est[0]), n, int(promoters), int(passives), int(detractors),
                     float(se[0]), float(lo[0]), float(hi[0]), level, ci, bool(pooled),
                     tuple(channels), float(deff), 0, what)


def _score_series(data, column: str, what: str) -> tuple[pd.Series, pd.DataFrame | None]:
    if isinstance(data, pd.DataFrame):
        _need_columns(data, [column], what)
        return data[column], data
    if isinstance(data, pd.Series):
        return data, None
    if isinstance(data, (list, tuple, np.ndarray)):
        return pd.Series(data), None
    raise ParameterError(f"{what}: got {type(data).__name__}; expected a DataFrame of "
                         f"responses (column '{column}') or a Series of answers")


def _nps_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, valid): 0 promoter, 1 passive, 2 detractor for validated 0–10 scores."""
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(num)
    codes = np.zeros(len(num), dtype=np.int64)
    codes[valid] = np.where(num[valid] >= PROMOTER_MIN, 0,
                            np.where(num[valid] >= PASSIVE_MIN, 1, 2))
    return codes, valid


def _nps_design(codes: np.ndarray, valid: np.ndarray, group: np.ndarray, n_groups: int,
                d: _design.Design) -> dict[str, np.ndarray]:
    """Per group: (weighted) shares of promoters/passives/detractors and the clustered
    variance of the NPS score (+1/0/−1) with its design effect (cxlab._design)."""
    m = _design.group_moments(group, n_groups, 1.0 - codes, valid, d, "the NPS")
    w = np.ones(int(valid.sum())) if d.weights is None else d.weights[valid]
    g, cv = group[valid], codes[valid]
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, name in enumerate(("p", "a", "d")):
            m[name] = np.bincount(g, weights=w * (cv == k), minlength=n_groups) / m["wsum"]
    m["se"] = np.sqrt(np.fmax(m["var"], m["var_srs"])) * 100
    return m


def nps(data, ci: str = "score", level: float = 0.95, pool_channels: bool = False,
        seed: int = 0, n_boot: int = 10_000, *, column: str = "nps",
        channel_col: str = "channel", cluster: str | None = "client_id",
        weights: str | None = None) -> NPSResult:
    """Net Promoter Score of 0–10 answers with its interval.

    Parameters
    ----------
    data : DataFrame or Series
        Responses (column ``column``, and ``channel_col`` when present) or the 0–10
        scores themselves. Empty answers are ignored.
    ci : {"score", "adjusted-wald", "wald", "bootstrap"}
        Interval method. ``"score"`` (default; Tango 1998, see :mod:`cxlab._intervals`):
        coverage ≥ 0.94 at 95 % for NPS 0–90 and n 30–500
        (``benchmarks/interval_coverage.py``).
        ``"adjusted-wald"`` (Rocks 2016) adds ¾ of a promoter and ¾ of a detractor
        (3 answers in all) before the Wald interval (0.93 at NPS 90, n = 30).
        ``"bootstrap"`` resamples the three counts from a multinomial with Rocks'
        pseudo-answers added (percentile interval; seeded; cost independent of n).
    level : float
        Confidence level.
    pool_channels : bool
        Answers from several survey channels raise :class:`ChannelMixingError` unless
        this is True; then the result is marked ``pooled``.
    seed, n_boot : int
        Bootstrap seed and number of resamples.
    cluster : str or None
        Column of client ids. When some client answered more than once, the variance is
        cluster-robust (repeat answers of one client are not independent) and the
        interval rests on ``n / deff`` effective answers (:mod:`cxlab._design`). Without
        the column (or ``None``) answers are assumed independent; the result says which.
    weights : str, optional
        Column of survey weights (e.g. from :func:`cxlab.weighting.rake`): the NPS is the
        weighted one and its variance the linearised (sandwich) one; ``deff`` then
        includes the weighting effect (≈ n / Kish's effective n).

    Returns
    -------
    NPSResult

    Examples
    --------
    >>> r = nps(pd.Series([10, 9, 9, 8, 7, 3]), ci="wald")
    >>> round(r.nps, 1), r.n, r.promoters
    (33.3, 6, 3)
    """
    scores, df = _score_series(data, column, "nps")
    pooled, channels = (False, ())
    if df is not None:
        pooled, channels = _channel_rule(df, scores.notna(), channel_col, pool_channels, "NPS")
    P, A, D = _nps_counts(scores, column)
    if P + A + D == 0:
        raise ParameterError(f"no 0–10 answers in column '{column}' "
                             f"({len(scores)} rows, all empty): nothing to compute an NPS from")
    d = _design.design(df, cluster, weights)
    if d.independent:
        r = nps_from_counts(P, A, D, ci=ci, level=level, seed=seed, n_boot=n_boot,
                            pooled=pooled, channels=channels)
        return replace(r, assumption=d.assumption)
    _check_method(ci)
    codes, valid = _nps_codes(scores)
    m = _nps_design(codes, valid, np.zeros(len(codes), dtype=np.int64), 1, d)
    est, _, lo, hi = _nps_from_shares(m["p"], m["a"], m["d"], m["n"], ci, level, seed, n_boot,
                                      deff=m["deff"], dof=_dof(m, d))
    return NPSResult(float(est[0]), P + A + D, P, A, D, float(m["se"][0]), float(lo[0]),
                     float(hi[0]), level, ci, bool(pooled), tuple(channels),
                     float(m["deff"][0]), int(m["clusters"][0]) if d.codes is not None else 0,
                     d.assumption,
                     float(m["kish_n"][0]) if d.weights is not None else None)


# =========================================================================== proportions

def wilson_interval(successes, n, level: float = 0.95):
    """Wilson score interval (statsmodels ``proportion_confint(method="wilson")``).

    Vectorised; NaN where n is 0.
    """
    _z(level)
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    lo = np.full(np.broadcast(x, m).shape, np.nan)
    hi = lo.copy()
    ok = m > 0
    if np.any(ok):
        xl, ml = np.broadcast_to(x, lo.shape)[ok], np.broadcast_to(m, lo.shape)[ok]
        l, h = proportion_confint(xl, ml, alpha=1 - level, method="wilson")
        lo[ok], hi[ok] = l, h
    return lo, hi


@dataclass(frozen=True, repr=False)
class ProportionResult(_Result):
    """A share (0…1) of n with a Wilson interval: binary NPS, CSI top box, FCR, response rate."""

    share: float
    n: int
    successes: int
    ci_low: float
    ci_high: float
    level: float = 0.95
    method: str = "wilson"
    what: str = "share"
    pooled: bool = False
    channels: tuple = ()
    deff: float = 1.0
    assumption: str = "answers assumed independent"

    @property
    def pct(self) -> float:
        return self.share * 100

    def summary(self) -> str:
        ch = f"; channels: {', '.join(self.channels)}" if self.channels else ""
        pooled = " POOLED over channels" if self.pooled else ""
        return (f"{self.what}: {self.share:.1%} ({self.successes} of {self.n}), "
                f"{self.level:.0%} CI [{self.ci_low:.1%}, {self.ci_high:.1%}] "
                f"({self.method}){pooled}{ch}")


def _proportion(successes: int, n: int, level: float, what: str, pooled=False,
                channels=()) -> ProportionResult:
    if n <= 0:
        raise ParameterError(f"{what}: no answers to compute a share from")
    lo, hi = wilson_interval(successes, n, level)
    return ProportionResult(successes / n, int(n), int(successes), float(lo), float(hi),
                            level, "wilson", what, bool(pooled), tuple(channels))


def _dof(m: dict, d: _design.Design):
    """Degrees of freedom of a clustered variance (clients − 1); None when unclustered."""
    return m["clusters"] - 1 if d.codes is not None else None


def _effective(n, deff, dof=None, level: float = 0.95) -> np.ndarray:
    """The effective number of answers an interval rests on: ``n / max(deff, 1)``,
    times ``(z / t_dof)²`` when the variance was estimated from ``dof + 1`` clients —
    Korn & Graubard's (1998) degrees-of-freedom-adjusted effective sample size, which
    keeps coverage with few clients (a cluster-robust variance from 20 families is
    itself uncertain)."""
    de = np.asarray(deff, dtype=float)
    ne = np.asarray(n, dtype=float) / np.where(np.isfinite(de) & (de > 1), de, 1.0)
    if dof is not None:
        df_ = np.asarray(dof, dtype=float)
        ok = np.isfinite(df_) & (df_ >= 1)
        z = _z(level)
        t = stats.t.ppf(0.5 + level / 2, np.where(ok, df_, 1.0))
        ne = ne * np.where(ok, (z / t) ** 2, 1.0)
    return ne


def _share_design(success: np.ndarray, valid: np.ndarray, group: np.ndarray, n_groups: int,
                  d: _design.Design, level: float) -> dict[str, np.ndarray]:
    """Per group: the (weighted) share of ``success`` among ``valid`` rows, its clustered
    variance and design effect, and the Wilson interval on the effective counts
    (Korn & Graubard 1998: ``share · n/deff`` of ``n/deff``)."""
    m = _design.group_moments(group, n_groups, success.astype(float), valid, d, "the share")
    return _share_interval(m, d, level)


def _share_interval(m: dict, d: _design.Design, level: float) -> dict:
    """``m`` with the Wilson interval on the effective counts (Korn & Graubard 1998)."""
    ne = _effective(m["n"], m["deff"], _dof(m, d), level)
    m["ci_low"], m["ci_high"] = wilson_interval(m["mean"] * ne, ne, level)
    return m


def _design_proportion(r: ProportionResult, success: np.ndarray, valid: np.ndarray,
                       d: _design.Design, level: float) -> ProportionResult:
    """``r`` with the share, interval and design effect of the design ``d``."""
    if d.independent:
        return replace(r, assumption=d.assumption)
    m = _share_design(success, valid, np.zeros(len(valid), dtype=np.int64), 1, d, level)
    return replace(r, share=float(m["mean"][0]), ci_low=float(m["ci_low"][0]),
                   ci_high=float(m["ci_high"][0]), deff=float(m["deff"][0]),
                   assumption=d.assumption)


def _bool_values(s: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s):
        v = s.dropna()
        if not v.isin([0, 1]).all():
            raise ParameterError(f"column '{column}': got {v[~v.isin([0, 1])].iloc[0]!r}; "
                                 "expected yes/no (True/False or 1/0)")
        return s.astype("Float64").astype("boolean")
    raise ParameterError(f"column '{column}' has type {s.dtype}; expected yes/no answers "
                         "(boolean). Validate the table with cxlab.schema.validate first")


def binary_nps(data, level: float = 0.95, pool_channels: bool = False, *,
               column: str = "recommend", channel_col: str = "channel",
               cluster: str | None = "client_id", weights: str | None = None
               ) -> ProportionResult:
    """Binary NPS: share answering "yes, I would recommend", with a Wilson interval.

    A different figure from the 0–10 NPS; the two are never combined. Repeat answers by
    client and weights as in :func:`nps` (Wilson on the effective counts).

    Examples
    --------
    >>> binary_nps(pd.Series([True, True, False, True])).share
    0.75
    """
    s, df = _score_series(data, column, "binary_nps")
    s = _bool_values(s, column)
    pooled, channels = (False, ())
    if df is not None:
        pooled, channels = _channel_rule(df, s.notna(), channel_col, pool_channels,
                                         "Binary NPS")
    v = s.dropna().to_numpy(dtype=bool)
    r = _proportion(int(v.sum()), int(v.size), level, "binary NPS (would recommend)",
                    pooled, channels)
    return _design_proportion(r, s.fillna(False).to_numpy(dtype=bool), s.notna().to_numpy(),
                              _design.design(df, cluster, weights), level)


# =========================================================================== CSI

@dataclass(frozen=True, repr=False)
class MeanIndexResult(_Result):
    """CSI as a 0–100 index ``100 · (mean − lo) / (hi − lo)`` of ratings on ``lo–hi``, with a
    t interval (``mean`` and ``sd`` on the ratings' own scale)."""

    index: float
    n: int
    mean: float
    sd: float
    se: float
    ci_low: float
    ci_high: float
    level: float = 0.95
    method: str = "t"
    pooled: bool = False
    channels: tuple = ()
    scale: str = ""  # the ratings' scale, e.g. "1-7"
    deff: float = 1.0
    assumption: str = "answers assumed independent"

    def summary(self) -> str:
        pooled = " POOLED over channels" if self.pooled else ""
        return (f"CSI index {_fmt(self.index)} of 100, {self.level:.0%} CI "
                f"[{_fmt(self.ci_low)}, {_fmt(self.ci_high)}] (t), n = {self.n}{pooled}; "
                f"mean rating {self.mean:.2f} of {self.scale} (sd {self.sd:.2f})")


@dataclass(frozen=True, repr=False)
class CSIResult(_Result):
    """CSI both ways: the top-box share of the scale (Wilson) and the 0–100 mean index."""

    top_box: ProportionResult
    index: MeanIndexResult

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"figure": "top-box share", "value": self.top_box.share,
             "ci_low": self.top_box.ci_low, "ci_high": self.top_box.ci_high,
             "n": self.top_box.n, "method": "wilson"},
            {"figure": "index (0–100)", "value": self.index.index,
             "ci_low": self.index.ci_low, "ci_high": self.index.ci_high,
             "n": self.index.n, "method": "t"},
        ])

    def as_row(self) -> pd.Series:
        return pd.Series({
            "n": self.index.n, "top_box": self.top_box.successes,
            "top_box_share": self.top_box.share, "top_box_ci_low": self.top_box.ci_low,
            "top_box_ci_high": self.top_box.ci_high, "index": self.index.index,
            "index_ci_low": self.index.ci_low, "index_ci_high": self.index.ci_high,
            "level": self.index.level, "scale": self.index.scale,
            "pooled": self.index.pooled, "channels": ", ".join(self.index.channels)})

    def summary(self) -> str:
        return f"CSI\n  {self.top_box.summary()}\n  {self.index.summary()}"


def _rating_counts(s: pd.Series, column: str, scale: Scale) -> np.ndarray:
    """Counts of each value ``lo..hi`` (one bincount); a value off the scale raises."""
    lo, hi = scale.lo, scale.hi
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna()
    v = num.dropna().to_numpy(dtype=float)
    off = (v < lo) | (v > hi) | (v != np.floor(v))
    if bad.any() or off.any():
        val = s[bad].iloc[0] if bad.any() else v[off][0]
        raise ParameterError(f"column '{column}': got {val!r}; expected a whole number from "
                             f"{lo} to {hi} (its scale; empty = not answered)")
    return np.bincount(v.astype(np.int64) - lo, minlength=hi - lo + 1)


def _mean_index_from_counts(counts: np.ndarray, level: float, scale: Scale):
    """(n, mean, sd, index, se_index, lo, hi) of rating counts over ``scale.lo..scale.hi``
    (rows = groups); the index and its t interval are on 0–100."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    vals = np.arange(scale.lo, scale.hi + 1, dtype=float)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ vals / n
        # centred on the scale's bottom so a 0–100 scale loses no precision
        m0 = mean - scale.lo
        ss = counts @ ((vals - scale.lo) ** 2) - n * m0 ** 2
        sd = np.sqrt(np.clip(ss, 0, None) / (n - 1))
        index = scale.to_100(mean)
        se = sd / np.sqrt(n) * (100.0 / (scale.hi - scale.lo))
        t = stats.t.ppf(0.5 + level / 2, n - 1)
        lo, hi = index - t * se, index + t * se
    return n, mean, sd, index, se, np.clip(lo, 0, 100), np.clip(hi, 0, 100)


def _index_design(ratings: np.ndarray, valid: np.ndarray, group: np.ndarray, n_groups: int,
                  d: _design.Design, level: float, sc: Scale) -> dict[str, np.ndarray]:
    """Per group: the (weighted) mean rating, its 0–100 index, the cluster-robust se of
    the index (never below the independent one) and its t interval with ``clients − 1``
    degrees of freedom (``n − 1`` when not clustered)."""
    m = _design.group_moments(group, n_groups, ratings, valid, d, "the CSI")
    span = 100.0 / (sc.hi - sc.lo)
    m["index"] = sc.to_100(m["mean"])
    m["se"] = np.sqrt(np.fmax(m["var"], m["var_srs"])) * span
    dof = (m["clusters"] if d.codes is not None else m["n"]) - 1
    with np.errstate(invalid="ignore"):
        t = stats.t.ppf(0.5 + level / 2, dof)
    m["ci_low"] = np.clip(m["index"] - t * m["se"], 0, 100)
    m["ci_high"] = np.clip(m["index"] + t * m["se"], 0, 100)
    return m


def csi(data, level: float = 0.95, pool_channels: bool = False, *, column: str = "csat",
        channel_col: str = "channel", scale=None, study=None,
        cluster: str | None = "client_id", weights: str | None = None) -> CSIResult:
    """Customer satisfaction index: the top-box share and the 0–100 mean index.

    Parameters
    ----------
    data : DataFrame or Series
        Responses (column ``column``) or the ratings themselves; empty = not answered.
    scale : Scale, str or tuple, optional
        The ratings' scale, e.g. ``"1-5"`` or ``"0-100"``. Default: the study's
        (``csat`` → ``csat: {scale: …}``; a factor column → that factor's scale).
    study : Study or path, optional
        Default: :func:`cxlab.study.default_study`.

    Returns
    -------
    CSIResult
        ``top_box``: share of ratings in the scale's top box (values ≥ ``scale.top_box``:
        4–5 of 1–5, 6–7 of 1–7, 80–100 of 0–100), Wilson interval; ``index``:
        ``100 · (mean − lo) / (hi − lo)`` with a t interval (ratings treated as interval
        data). Repeat answers by client (``cluster``) and ``weights`` as in :func:`nps`:
        the top box's Wilson interval on the effective counts, the index's se
        cluster-robust with ``clients − 1`` degrees of freedom.

    Examples
    --------
    >>> r = csi(pd.Series([5, 4, 3, 5]), scale="1-5")
    >>> r.top_box.share, r.index.index
    (0.75, 81.25)
    """
    _z(level)
    sc = _scale_for(column, scale, study)
    s, df = _score_series(data, column, "csi")
    pooled, channels = (False, ())
    if df is not None:
        pooled, channels = _channel_rule(df, s.notna(), channel_col, pool_channels, "CSI")
    c = _rating_counts(s, column, sc)
    n = int(c.sum())
    if n == 0:
        raise ParameterError(f"no ratings ({sc}) in column '{column}': nothing to compute a "
                             "CSI from")
    top = _proportion(int(c[sc.top_box - sc.lo:].sum()), n, level,
                      f"CSI top box ({sc.top_box_text})", pooled, channels)
    n_, mean, sd, index, se, lo, hi = _mean_index_from_counts(c, level, sc)
    idx = MeanIndexResult(float(index[0]), n, float(mean[0]), float(sd[0]), float(se[0]),
                          float(lo[0]), float(hi[0]), level, "t", bool(pooled), channels,
                          str(sc))
    d = _design.design(df, cluster, weights)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(num)
    top = _design_proportion(top, np.nan_to_num(num) >= sc.top_box, valid, d, level)
    if d.independent:
        return CSIResult(top, replace(idx, assumption=d.assumption))
    m = _index_design(np.nan_to_num(num), valid, np.zeros(len(num), dtype=np.int64), 1, d,
                      level, sc)
    idx = replace(idx, index=float(m["index"][0]), mean=float(m["mean"][0]),
                  se=float(m["se"][0]), ci_low=float(m["ci_low"][0]),
                  ci_high=float(m["ci_high"][0]), deff=float(m["deff"][0]),
                  assumption=d.assumption)
    return CSIResult(top, idx)


# =========================================================================== grouped tables

def _group_frame(df: pd.DataFrame, by, pool_channels: bool, channel_col: str,
                 what: str, date_col: str = "submitted_at") -> tuple[pd.DataFrame, list[str]]:
    """The frame and its grouping columns: ``channel`` first unless pooling was asked
    for; a ``"quarter"`` in ``by`` that the frame lacks is derived from ``date_col``."""
    by = _as_list(by)
    if "quarter" in by and "quarter" not in df.columns and date_col in df.columns:
        df = df.assign(quarter=quarter_of(df[date_col]))
    _need_columns(df, by, what)
    if channel_col in df.columns and channel_col not in by and not pool_channels:
        by = [channel_col] + by
    return df, by


def _counts_table(df: pd.DataFrame, by: list[str], codes: np.ndarray, n_codes: int,
                  valid: np.ndarray) -> pd.DataFrame:
    """Counts of integer codes 0..n_codes-1 per group (rows: groups, columns: codes)."""
    if by:
        keys = df.loc[valid, by].reset_index(drop=True)
        keys["_code"] = codes[valid]
        c = keys.groupby(by + ["_code"], observed=True, dropna=False).size()
        c = c.unstack("_code", fill_value=0)
    else:
        c = pd.DataFrame([np.bincount(codes[valid], minlength=n_codes)],
                         index=pd.Index(["all"], name="group"))
    c = c.reindex(columns=range(n_codes), fill_value=0)
    c.columns = list(range(n_codes))
    return c.sort_index()


def _pooled_col(df, by, valid, channel_col, pool_channels, index) -> pd.Series | None:
    if not pool_channels or channel_col not in df.columns or channel_col in by:
        return None
    sub = df.loc[valid, by + [channel_col]] if by else df.loc[valid, [channel_col]]
    if by:
        k = sub.groupby(by, observed=True, dropna=False)[channel_col].nunique()
        return (k > 1).reindex(index)
    return pd.Series([sub[channel_col].nunique() > 1], index=index)


def _group_codes(df: pd.DataFrame, by: list[str], index: pd.Index) -> np.ndarray:
    """Each row's position in ``index`` (the groups of a counts table); −1 for rows in
    no listed group."""
    if not by:
        return np.zeros(len(df), dtype=np.int64)
    gb = df.groupby(by, observed=True, dropna=False, sort=True)
    keys = gb.size().index
    pos = index.get_indexer(keys)
    code = gb.ngroup().to_numpy()
    out = np.where(code >= 0, pos[np.clip(code, 0, None)], -1)
    return out.astype(np.int64)


def _design_columns(out: pd.DataFrame, d: _design.Design, m: dict) -> None:
    """The design columns every table carries: ``deff``, ``clusters`` when clustered,
    ``kish_n`` (Kish's effective n, ``(Σw)²/Σw²``) when weighted; and in attrs what the
    variance assumed."""
    out["deff"] = m["deff"] if not d.independent else 1.0
    if d.codes is not None:
        out["clusters"] = m["clusters"].astype("int64")
    if d.weights is not None:
        out["kish_n"] = m["kish_n"]
    out.attrs["assumption"] = d.assumption
    out.attrs["weighted"] = d.weights is not None


def _nps_out(c: pd.DataFrame, d: _design.Design, m: dict, ci: str, level: float,
             seed: int, n_boot: int, min_n: int) -> pd.DataFrame:
    """The NPS table from per-group counts (columns 0, 1, 2) and, unless the design is
    independent, the design's moments ``m``."""
    if d.independent:
        est, se, lo, hi = _nps_interval(c[0].to_numpy(), c[1].to_numpy(), c[2].to_numpy(),
                                        ci, level, seed, n_boot)
    else:
        est, _, lo, hi = _nps_from_shares(m["p"], m["a"], m["d"], m["n"], ci, level, seed,
                                          n_boot, deff=m["deff"], dof=_dof(m, d))
        se = m["se"]
    out = pd.DataFrame({
        "n": (c[0] + c[1] + c[2]).astype("int64"), "promoters": c[0].astype("int64"),
        "passives": c[1].astype("int64"), "detractors": c[2].astype("int64"),
        "nps": est, "se": se, "ci_low": lo, "ci_high": hi,
    }, index=c.index)
    out["small_n"] = out["n"] < min_n
    _design_columns(out, d, m)
    return out


def _moments_design(mo: Moments) -> tuple[_design.Design, dict]:
    """The design and the moments of :class:`~cxlab.aggregates.Moments`: the same
    numbers :func:`cxlab._design.group_moments` gives on the rows."""
    # codes stand in for "clustered": the rows' cluster codes never reach this path
    d = _design.Design(np.zeros(0, dtype=np.int64) if mo.clustered else None, None,
                       mo.cluster, None, mo.reason)
    if not mo.clustered:
        return d, {}
    t = mo.table
    sy, syy = mo.score_sums()
    m = _design.moments_from_sums(t["n"], sy, syy, t["clusters"], t["t2"], t["tn"], t["n2"])
    return d, m


def _moments_defaults(cluster, column, what: str, weights=None,
                      default_column: str = "nps") -> None:
    """Aggregates carry their own score, clustering and (no) weights: an argument asking
    for others is refused rather than ignored."""
    if cluster != "client_id" or column != default_column or weights is not None:
        raise ParameterError(
            f"{what}: aggregates from the warehouse (cxlab.aggregates.Moments) were "
            "computed for their score, clustered by client_id when clients repeat and "
            "unweighted; column=, cluster= and weights= cannot change that — aggregate "
            "again (cxlab.aggregates.score_moments) or pass the rows")


def _check_moments_by(mo: Moments, by, what: str) -> None:
    if by is not None and tuple(_as_list(by)) != mo.by:
        raise ParameterError(f"{what}: the aggregates are grouped by {', '.join(mo.by)}; "
                             f"by={by!r} cannot regroup them (leave by out, or aggregate "
                             "again with that grouping)")


def _nps_table_of(mo: Moments, by, min_n: int, ci: str, level: float, seed: int,
                  n_boot: int) -> pd.DataFrame:
    """:func:`nps_table` of per-group sufficient statistics computed in the warehouse."""
    if mo.kind != "nps":
        raise ParameterError(f"nps_table: the aggregates are of {mo.column!r} (yes/no); "
                             "expected 0–10 answers (binary_nps_table takes these)")
    _check_moments_by(mo, by, "nps_table")
    c = mo.codes()
    d, m = _moments_design(mo)
    if m:
        with np.errstate(invalid="ignore", divide="ignore"):
            for k, name in enumerate(("p", "a", "d")):
                m[name] = c[k].to_numpy(dtype=float) / m["n"]
        m["se"] = np.sqrt(np.fmax(m["var"], m["var_srs"])) * 100
    out = _nps_out(c, d, m, ci, level, seed, n_boot, min_n)
    out.attrs.update(method=ci, level=level, min_n=min_n, figure="NPS (points)")
    if _members.active() and mo.members is not None:
        _members.attach(out, "n", mo.members)
    return out


def nps_table(df: pd.DataFrame, by=None, min_n: int = 30, ci: str = "score",
              level: float = 0.95, *, seed: int = 0, n_boot: int = 10_000,
              pool_channels: bool = False, column: str = "nps",
              channel_col: str = "channel", cluster: str | None = "client_id",
              weights: str | None = None) -> pd.DataFrame:
    """NPS per group: one row per group with its n, counts, NPS, se, interval, small_n.

    ``channel`` is added in front of ``by`` when the frame has it (one survey channel per
    figure); pass ``pool_channels=True`` to pool on purpose (a ``pooled`` column then says
    which rows did). ``by`` may name ``"quarter"``: derived from ``submitted_at`` when the
    frame has no such column (also in the other tables). Groups with no 0–10 answer do
    not appear.

    Repeat answers by one client (``cluster``) and ``weights`` are handled as in
    :func:`nps`: the se is cluster-robust, the interval rests on ``n / deff`` answers.

    Returns
    -------
    DataFrame
        Index: the groups (``"all"`` when there is nothing to group by). Columns: ``n,
        promoters, passives, detractors, nps, se, ci_low, ci_high, small_n, deff``
        (points), and ``clusters`` (clients) when answers are clustered. ``attrs``
        records ``method``, ``level``, ``min_n``, ``assumption``.
    """
    _check_method(ci)
    if isinstance(df, Moments):
        _moments_defaults(cluster, column, "nps_table", weights=weights)
        return _nps_table_of(df, by, min_n, ci, level, seed, n_boot)
    _need_columns(df, [column], "nps_table")
    df, by = _group_frame(df, by, pool_channels, channel_col, "nps_table")
    s = df[column]
    _nps_counts(s, column)  # validates the values
    codes, valid = _nps_codes(s)
    c = _counts_table(df, by, codes, 3, valid)
    d = _design.design(df, cluster, weights)
    m = {}
    if not d.independent:
        group = _group_codes(df, by, c.index)
        m = _nps_design(codes, valid & (group >= 0), np.clip(group, 0, None), len(c), d)
    out = _nps_out(c, d, m, ci, level, seed, n_boot, min_n)
    pooled = _pooled_col(df, by, valid, channel_col, pool_channels, out.index)
    if pooled is not None:
        out["pooled"] = pooled.to_numpy(dtype=bool)
    out.attrs.update(method=ci, level=level, min_n=min_n, figure="NPS (points)")
    if _members.active():  # report kernels only: who each n counts (cxlab.disclosure)
        _members.attach_grouped(out, "n", df, by, "answers", valid)
    return out


def _share_table(successes: pd.Series, n: pd.Series, level: float, min_n: int) -> pd.DataFrame:
    lo, hi = wilson_interval(successes.to_numpy(), n.to_numpy(), level)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = successes.to_numpy(dtype=float) / n.to_numpy(dtype=float)
    out = pd.DataFrame({"n": n.astype("int64"), "successes": successes.astype("int64"),
                        "share": share, "ci_low": lo, "ci_high": hi}, index=n.index)
    out["small_n"] = out["n"] < min_n
    return out


def _design_share_columns(out: pd.DataFrame, df: pd.DataFrame, by: list[str],
                          success: np.ndarray, valid: np.ndarray, d: _design.Design,
                          level: float, cols=("share", "ci_low", "ci_high")) -> None:
    """Replace a share table's share and interval by the design's (clusters, weights)."""
    m = {}
    if not d.independent:
        group = _group_codes(df, by, out.index)
        m = _share_design(success, valid & (group >= 0), np.clip(group, 0, None), len(out),
                          d, level)
        for col, key in zip(cols, ("mean", "ci_low", "ci_high")):
            out[col] = m[key]
    _design_columns(out, d, m)


def _binary_table_of(mo: Moments, by, min_n: int, level: float) -> pd.DataFrame:
    """:func:`binary_nps_table` of per-group sufficient statistics computed in the
    warehouse."""
    if mo.kind != "share":
        raise ParameterError(f"binary_nps_table: the aggregates are of {mo.column!r} "
                             "(0–10); expected yes/no answers (nps_table takes these)")
    _check_moments_by(mo, by, "binary_nps_table")
    c = mo.codes()
    out = _share_table(c[1], c[0] + c[1], level, min_n)
    d, m = _moments_design(mo)
    if m:
        m = _share_interval(m, d, level)
        for col, key in zip(("share", "ci_low", "ci_high"), ("mean", "ci_low", "ci_high")):
            out[col] = m[key]
    _design_columns(out, d, m)
    out.attrs.update(method="wilson", level=level, min_n=min_n, figure="binary NPS (share)")
    if _members.active() and mo.members is not None:
        _members.attach(out, "n", mo.members)
    return out


def binary_nps_table(df: pd.DataFrame, by=None, min_n: int = 30, level: float = 0.95, *,
                     pool_channels: bool = False, column: str = "recommend",
                     channel_col: str = "channel", cluster: str | None = "client_id",
                     weights: str | None = None) -> pd.DataFrame:
    """Binary NPS (share recommending, Wilson interval) per group; same shape as
    :func:`nps_table`: ``n, successes, share, ci_low, ci_high, small_n``."""
    _z(level)
    if isinstance(df, Moments):
        _moments_defaults(cluster, column, "binary_nps_table", weights=weights,
                          default_column="recommend")
        return _binary_table_of(df, by, min_n, level)
    _need_columns(df, [column], "binary_nps_table")
    df, by = _group_frame(df, by, pool_channels, channel_col, "binary_nps_table")
    s = _bool_values(df[column], column)
    valid = s.notna().to_numpy()
    codes = s.fillna(False).to_numpy(dtype=bool).astype(np.int64)
    c = _counts_table(df, by, codes, 2, valid)
    out = _share_table(c[1], c[0] + c[1], level, min_n)
    _design_share_columns(out, df, by, codes.astype(bool), valid,
                          _design.design(df, cluster, weights), level)
    pooled = _pooled_col(df, by, valid, channel_col, pool_channels, out.index)
    if pooled is not None:
        out["pooled"] = pooled.to_numpy(dtype=bool)
    out.attrs.update(method="wilson", level=level, min_n=min_n, figure="binary NPS (share)")
    if _members.active():
        _members.attach_grouped(out, "n", df, by, "answers", valid)
    return out


def csi_table(df: pd.DataFrame, by=None, min_n: int = 30, level: float = 0.95, *,
              pool_channels: bool = False, column: str = "csat",
              channel_col: str = "channel", scale=None, study=None,
              cluster: str | None = "client_id", weights: str | None = None) -> pd.DataFrame:
    """CSI per group on the ratings' scale (``scale``, else the study's; see :func:`csi`).

    Returns
    -------
    DataFrame
        Columns ``n, top_box`` (ratings in the top box), ``top_box_share,
        top_box_ci_low, top_box_ci_high`` (Wilson), ``mean, sd`` (own scale),
        ``index, index_se, index_ci_low, index_ci_high`` (0–100, t interval),
        ``small_n``, ``deff`` (of the index) and ``clusters`` when answers are clustered.
        ``attrs`` records ``scale``, ``top_box`` (its lowest value) and ``assumption``.
        Repeat answers and weights as in :func:`csi`.
    """
    _z(level)
    sc = _scale_for(column, scale, study)
    _need_columns(df, [column], "csi_table")
    df, by = _group_frame(df, by, pool_channels, channel_col, "csi_table")
    s = df[column]
    _rating_counts(s, column, sc)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(num)
    codes = np.zeros(len(num), dtype=np.int64)
    codes[valid] = num[valid].astype(np.int64) - sc.lo
    c = _counts_table(df, by, codes, sc.points, valid)
    top = c.iloc[:, sc.top_box - sc.lo:].sum(axis=1)
    n = c.sum(axis=1)
    lo2, hi2 = wilson_interval(top.to_numpy(), n.to_numpy(), level)
    _, mean, sd, index, se, lo, hi = _mean_index_from_counts(c.to_numpy(), level, sc)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = top.to_numpy(dtype=float) / n.to_numpy(dtype=float)
    out = pd.DataFrame({"n": n.astype("int64"), "top_box": top.astype("int64"),
                        "top_box_share": share, "top_box_ci_low": lo2,
                        "top_box_ci_high": hi2, "mean": mean, "sd": sd, "index": index,
                        "index_se": se, "index_ci_low": lo, "index_ci_high": hi},
                       index=c.index)
    out["small_n"] = out["n"] < min_n
    d = _design.design(df, cluster, weights)
    _design_share_columns(out, df, by, np.nan_to_num(num) >= sc.top_box, valid, d, level,
                          ("top_box_share", "top_box_ci_low", "top_box_ci_high"))
    if not d.independent:
        group = _group_codes(df, by, out.index)
        m = _index_design(np.nan_to_num(num), valid & (group >= 0), np.clip(group, 0, None),
                          len(out), d, level, sc)
        for col, key in (("mean", "mean"), ("index", "index"), ("index_se", "se"),
                         ("index_ci_low", "ci_low"), ("index_ci_high", "ci_high"),
                         ("deff", "deff")):
            out[col] = m[key]
    pooled = _pooled_col(df, by, valid, channel_col, pool_channels, out.index)
    if pooled is not None:
        out["pooled"] = pooled.to_numpy(dtype=bool)
    out.attrs.update(level=level, min_n=min_n, figure="CSI", scale=str(sc), top_box=sc.top_box)
    if _members.active():
        _members.attach_grouped(out, "n", df, by, "answers", valid)
    return out


# =========================================================================== FCR

def _local_times(s: pd.Series, study) -> pd.Series:
    """Date-times as naive local time (:func:`cxlab.schema.local_time`: zone-aware values
    converted to the study's time zone, naive ones local already; NaT where a value does
    not parse)."""
    return schema.local_time(s, study)


def fcr_flags(contacts: pd.DataFrame, window_days: int = 7, *, asof=None,
              client_col: str = "client_id", topic_col: str = "topic",
              opened_col: str = "opened_at", study=None) -> pd.DataFrame:
    """Mark each contact for first-contact resolution (FCR).

    A contact is a **follow-up** when the same client opened a contact on the same topic
    in the ``window_days`` before it (it continues that request); otherwise it is a
    **first contact** (a new request). A first contact is **resolved at first contact**
    unless the same client opens another contact on the same topic within
    ``window_days`` after it.

    Right-censoring: a first contact opened less than ``window_days`` before the end of
    the data (``asof``, default the last ``opened_at``) cannot be judged — a repeat may
    still come — so it is flagged ``censored`` and left out of FCR (counting only the
    repeats already seen would bias FCR upwards if kept as resolved, downwards never;
    excluding them all keeps the estimate unbiased).

    Times are local: a zone-aware ``asof`` ('2026-09-30T23:30Z') or ``opened_at`` is
    converted to the time zone of ``study`` (None: the default study) and made naive; a
    naive one is local already.

    Returns
    -------
    DataFrame
        The contacts (same index, same order) with ``first_contact`` (bool),
        ``days_to_repeat`` (days to the next same-topic contact, NaN if none),
        ``censored`` (bool) and ``resolved_first`` (boolean; ``<NA>`` for follow-ups and
        censored contacts).
    """
    _need_columns(contacts, [client_col, topic_col, opened_col], "fcr")
    if not (isinstance(window_days, (int, float)) and window_days > 0):
        raise ParameterError(f"window_days={window_days!r}: expected a positive number of days")
    opened = _local_times(contacts[opened_col], study)
    if opened.isna().any():
        i = int(np.flatnonzero(opened.isna().to_numpy())[0])
        raise ParameterError(f"column '{opened_col}', row {i + 1}: got "
                             f"{contacts[opened_col].iloc[i]!r}; expected a date and time")
    work = pd.DataFrame({"c": contacts[client_col].to_numpy(),
                         "t": contacts[topic_col].to_numpy(),
                         "o": opened.to_numpy(), "pos": np.arange(len(contacts))})
    work = work.sort_values(["c", "t", "o"], kind="stable")
    g = work.groupby(["c", "t"], sort=False, dropna=False)["o"]
    window = pd.Timedelta(days=window_days)
    since_prev = work["o"] - g.shift(1)
    to_next = g.shift(-1) - work["o"]
    first = ~(since_prev <= window)
    repeat = to_next <= window
    end = pd.Timestamp(asof) if asof is not None else opened.max()
    if end.tz is not None:
        end = pd.Timestamp(schema.local_time(end, study))
    # a repeat already seen inside the censoring window does not rescue the contact:
    # only failures would be observable there (see docstring)
    censored = first & (work["o"] > end - window)
    resolved = pd.Series(~repeat.to_numpy(), index=work.index, dtype="boolean")
    resolved = resolved.mask(~first | censored, pd.NA)
    order = np.argsort(work["pos"].to_numpy())
    out = contacts.copy()
    out["first_contact"] = first.to_numpy()[order]
    out["days_to_repeat"] = (to_next.dt.total_seconds() / 86400).to_numpy()[order]
    out["censored"] = censored.to_numpy()[order]
    out["resolved_first"] = pd.array(resolved.to_numpy()[order], dtype="boolean")
    return out


def fcr_table(contacts: pd.DataFrame, by=("channel",), window_days: int = 7,
              min_n: int = 30, level: float = 0.95, *, asof=None, study=None,
              **cols) -> pd.DataFrame:
    """FCR per group (default per channel of the first contact), Wilson interval.

    ``by`` may name ``"quarter"`` (derived from ``opened_at`` when absent).

    Columns ``n`` (judged first contacts), ``successes`` (resolved at first contact),
    ``share, ci_low, ci_high, small_n``, plus ``censored`` (first contacts too recent to
    judge, left out). See :func:`fcr_flags` for the rule.
    """
    f = fcr_flags(contacts, window_days, asof=asof, study=study, **cols)
    by = _as_list(by)
    if "quarter" in by and "quarter" not in f.columns:
        # the quarter of the first contact: FCR belongs to the request's quarter (local)
        f["quarter"] = quarter_of(_local_times(f[cols.get("opened_col", "opened_at")],
                                               study))
    _need_columns(f, by, "fcr_table")
    judged = f["resolved_first"].notna().to_numpy()
    codes = f["resolved_first"].fillna(False).to_numpy(dtype=bool).astype(np.int64)
    c = _counts_table(f, by, codes, 2, judged)
    out = _share_table(c[1], c[0] + c[1], level, min_n)
    cens = f[f["censored"]]
    if by:
        cc = cens.groupby(by, observed=True, dropna=False).size()
        out["censored"] = cc.reindex(out.index, fill_value=0).astype("int64").to_numpy()
    else:
        out["censored"] = len(cens)
    out.attrs.update(window_days=window_days, level=level, min_n=min_n, figure="FCR (share)",
                     counts="events")  # n counts requests (contacts), not people
    return out


def fcr(contacts: pd.DataFrame, window_days: int = 7, by=None, level: float = 0.95,
        min_n: int = 30, *, asof=None, study=None, **cols):
    """First contact resolution: share of requests resolved without a follow-up contact
    on the same topic within ``window_days``.

    Returns a :class:`ProportionResult` (over all channels: FCR is an operational figure,
    not a survey answer) or, with ``by``, the table of :func:`fcr_table`. First contacts
    in the last ``window_days`` of the data are censored and left out (see
    :func:`fcr_flags`).
    """
    if by is not None:
        return fcr_table(contacts, by=by, window_days=window_days, min_n=min_n, level=level,
                         asof=asof, study=study, **cols)
    f = fcr_flags(contacts, window_days, asof=asof, study=study, **cols)
    v = f["resolved_first"].dropna().to_numpy(dtype=bool)
    return _proportion(int(v.sum()), int(v.size), level,
                       f"FCR ({window_days}-day window)")


# =========================================================================== response rate

def _with_quarter(df: pd.DataFrame, by: list[str], date_col: str) -> pd.DataFrame:
    if "quarter" in by and "quarter" not in df.columns:
        _need_columns(df, [date_col], "quarter")
        df = df.assign(quarter=quarter_of(df[date_col]))
    return df


def response_rate(responses: pd.DataFrame, invitations: pd.DataFrame,
                  by=("survey", "channel"), level: float = 0.95, min_n: int = 30, *,
                  response_date: str = "submitted_at",
                  invitation_date: str = "sent_at") -> pd.DataFrame:
    """Response rate: responses ÷ invitations per group, with a Wilson interval.

    ``by`` columns must be in both tables; ``"quarter"`` is derived from
    ``submitted_at`` / ``sent_at`` when absent. A group with more responses than
    invitations (responses without a logged invitation) gets ``share`` > 1, no interval
    and ``over_invited=True`` rather than a silently clipped figure.

    Returns
    -------
    DataFrame
        Index: groups; columns ``invitations, responses, share, ci_low, ci_high, small_n,
        over_invited``.
    """
    by = _as_list(by)
    responses = _with_quarter(responses, by, response_date)
    invitations = _with_quarter(invitations, by, invitation_date)
    _need_columns(responses, by, "response_rate (responses)")
    _need_columns(invitations, by, "response_rate (invitations)")
    if by:
        r = responses.groupby(by, observed=True, dropna=False).size()
        i = invitations.groupby(by, observed=True, dropna=False).size()
    else:
        r = pd.Series([len(responses)], index=pd.Index(["all"], name="group"))
        i = pd.Series([len(invitations)], index=r.index)
    idx = i.index.union(r.index)
    r = r.reindex(idx, fill_value=0).astype("int64")
    i = i.reindex(idx, fill_value=0).astype("int64")
    over = (r > i).to_numpy()
    lo, hi = wilson_interval(np.minimum(r, i), i, level)
    lo[over], hi[over] = np.nan, np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        share = r.to_numpy(dtype=float) / i.to_numpy(dtype=float)
    out = pd.DataFrame({"invitations": i, "responses": r, "share": share,
                        "ci_low": lo, "ci_high": hi}, index=idx)
    out["small_n"] = out["invitations"] < min_n
    out["over_invited"] = over
    out.attrs.update(level=level, min_n=min_n, figure="response rate (share)")
    out = out.sort_index()
    if _members.active():  # responses count answers, invitations count invitations
        _members.attach_grouped(out, "responses", responses, by, "answers")
        _members.attach_grouped(out, "invitations", invitations, by, "invitations")
    return out


# =========================================================================== comparisons

@dataclass(frozen=True, repr=False)
class ComparisonResult(_Result):
    """Difference ``a − b`` of two independent groups with its interval and test."""

    diff: float
    se: float
    ci_low: float
    ci_high: float
    stat: float
    p: float
    level: float
    a: float
    b: float
    n_a: int
    n_b: int
    metric: str = "nps"
    unit: str = "points"
    method: str = "wald z (variances add)"

    def summary(self) -> str:
        return (f"{self.metric}: a − b = {self.diff:+.1f} {self.unit} "
                f"({self.a:.1f} vs {self.b:.1f}; n {self.n_a} vs {self.n_b}), "
                f"{self.level:.0%} CI [{self.ci_low:+.1f}, {self.ci_high:+.1f}], "
                f"stat {self.stat:.2f}, p = {self.p:.3g} ({self.method})")


def _diff_nps(Pa, Aa, Da, Pb, Ab, Db, level, deff_a=None, deff_b=None, dof_a=None,
              dof_b=None):
    """Vectorised difference of two NPS (points): est_a, est_b, diff, se, lo, hi, z, p.

    se, z and p: independent samples, trinomial variances add (Wald z). The interval is
    Newcombe's square-and-add of the two groups' score intervals (cxlab._intervals), on
    effective counts when design effects are given.
    """
    ea, sa, la, ha = _nps_interval(Pa, Aa, Da, "score", level, deff=deff_a, dof=dof_a)
    eb, sb, lb, hb = _nps_interval(Pb, Ab, Db, "score", level, deff=deff_b, dof=dof_b)
    diff = ea - eb
    se = np.sqrt(sa ** 2 + sb ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = diff / se
    p = 2 * stats.norm.sf(np.abs(stat))
    lo, hi = _intervals.mover(ea, la, ha, eb, lb, hb)
    return ea, eb, diff, se, lo, hi, stat, p


def compare_nps(a, b, level: float = 0.95, *, pool_channels: bool = False,
                column: str = "nps", cluster: str | None = "client_id",
                min_n: int = 30, seed: int = 0) -> ComparisonResult:
    """Difference of two NPS in points: interval and two-sided test.

    ``a`` and ``b`` are :class:`NPSResult` or data accepted by :func:`nps`. The interval
    is Newcombe's square-and-add of the two score intervals (consistent with the levels'
    intervals; cxlab._intervals). The test is z with the trinomial variances added; when
    both are frames with client ids, the se is cluster-robust over both together (a
    client in both groups is accounted for). From results, each one's own se and design
    effect are used (the two groups taken as independent).

    With fewer than ``min_n`` answers on a side, or a side without spread (2 promoters
    against 2 detractors), the p-value is a permutation test's (``method`` says so) —
    only possible from data; from two results it is NaN.

    Examples
    --------
    >>> r = compare_nps(nps_from_counts(60, 20, 20), nps_from_counts(40, 30, 30))
    >>> round(r.diff, 1)
    30.0
    """
    frames = isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame)
    ra = a if isinstance(a, NPSResult) else nps(a, level=level, pool_channels=pool_channels,
                                                 column=column, cluster=cluster)
    rb = b if isinstance(b, NPSResult) else nps(b, level=level, pool_channels=pool_channels,
                                                 column=column, cluster=cluster)
    method = "wald z (variances add); interval: square-and-add of score intervals"
    if frames and cluster is not None and cluster in a.columns and cluster in b.columns:
        both = pd.concat([a[[column, cluster]], b[[column, cluster]]], ignore_index=True)
        d = _design.design(both, cluster)
    else:
        both, d = None, None
    if both is not None and not d.independent:
        codes, valid = _nps_codes(both[column])
        gm = valid & (np.arange(len(both)) < len(a))
        rm = valid & (np.arange(len(both)) >= len(a))
        diff, se, lo, hi, stat, p, ea, eb, method = _compare_design(
            "nps", 1.0 - codes, gm, rm, d, level)
    else:
        ea, eb, diff, se, lo, hi, stat, p = (float(x[0]) for x in _diff_nps(
            [ra.promoters], [ra.passives], [ra.detractors],
            [rb.promoters], [rb.passives], [rb.detractors], level,
            deff_a=[ra.deff], deff_b=[rb.deff],
            dof_a=[ra.clusters - 1] if ra.clusters else None,
            dof_b=[rb.clusters - 1] if rb.clusters else None))
        if ra.deff != 1 or rb.deff != 1 or ra.clusters or rb.clusters:
            se = float(np.hypot(ra.se, rb.se))
            stat = diff / se if se > 0 else np.nan
            p = float(2 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else np.nan
            method = "z with each group's cluster-robust se; " + method.split("; ")[1]
    flat = any(max(r.promoters, r.passives, r.detractors) == r.n for r in (ra, rb))
    if ra.n < min_n or rb.n < min_n or flat:
        if frames:
            sa, sb = (1.0 - c[v] for c, v in (_nps_codes(a[column]), _nps_codes(b[column])))
            both_y = np.concatenate([sa, sb])
            gm = np.arange(both_y.size) < sa.size
            p, method = _small_test(both_y, gm, ~gm, "nps", min_n, seed)
        else:
            p, method = np.nan, (f"not tested: fewer than {min_n} answers or no spread; "
                                 "pass the answers for a permutation test")
        stat = np.nan
    return ComparisonResult(float(diff), float(se), float(lo), float(hi), float(stat),
                            float(p), level, float(ea), float(eb), ra.n, rb.n,
                            method=method)


def nps_trend(df: pd.DataFrame, by=None, quarter_col: str | None = None, min_n: int = 30,
              ci: str = "score", level: float = 0.95, *,
              date_col: str = "submitted_at", pool_channels: bool = False,
              column: str = "nps", channel_col: str = "channel",
              cluster: str | None = "client_id") -> pd.DataFrame:
    """NPS per quarter (per channel and ``by`` group) with the change from the previous
    quarter: ``change``, ``change_se``, ``change_ci_low``, ``change_ci_high``, ``change_z``,
    ``change_p`` (two-sided z).

    The change's interval is Newcombe's square-and-add of the two quarters' score
    intervals (on effective counts when clients repeat: :func:`nps_table`'s ``deff``),
    its se the two quarters' (cluster-robust) se added in quadrature: the two quarters
    are taken as independent samples. Families answering in both quarters make the
    true variance of a change smaller, so this errs on the wide side.

    The previous quarter is the previous one *with data* in the same group; its label
    is in ``prev_quarter``. Quarters come from ``quarter_col`` or
    ``schema.quarter_of(df[date_col])``. ``change_small_n`` marks changes where either
    quarter has fewer than ``min_n`` answers: they get no p-value (``change_p`` NaN),
    nor does a change where a quarter's answers are all in one category.
    """
    if isinstance(df, Moments):  # aggregates computed in the warehouse
        _moments_defaults(cluster, column, "nps_trend")
        if by is not None or df.by[-1:] != ("quarter",):
            raise ParameterError(
                f"nps_trend: the aggregates are grouped by {', '.join(df.by)}; expected "
                "their last grouping to be 'quarter', and no by= (the aggregates' "
                "grouping is the trend's)")
        quarter_col, groups = "quarter", list(df.by[:-1])
        t = nps_table(df, min_n=min_n, ci=ci, level=level)
    else:
        if quarter_col is None:
            _need_columns(df, [date_col], "nps_trend")
            df = df.assign(quarter=quarter_of(df[date_col]))
            quarter_col = "quarter"
        else:
            _need_columns(df, [quarter_col], "nps_trend")
        by = _as_list(by)
        df, groups = _group_frame(df, by, pool_channels, channel_col, "nps_trend")
        t = nps_table(df, by=groups + [quarter_col], min_n=min_n, ci=ci, level=level,
                      pool_channels=True, column=column, channel_col=channel_col,
                      cluster=cluster)
    if "pooled" in t.columns and not pool_channels:
        t = t.drop(columns="pooled")
    assumption = t.attrs.get("assumption", "")
    t = t.reset_index().sort_values(groups + [quarter_col], kind="stable")
    g = t.groupby(groups, sort=False) if groups else None
    prev = {}
    for col in (quarter_col, "promoters", "passives", "detractors", "n", "se", "deff",
                *(["clusters"] if "clusters" in t.columns else [])):
        prev[col] = g[col].shift(1) if g is not None else t[col].shift(1)
    has = prev["n"].notna().to_numpy()
    ea, eb, diff, se, lo, hi, stat, p = _diff_nps(
        t["promoters"], t["passives"], t["detractors"],
        prev["promoters"].fillna(0), prev["passives"].fillna(0), prev["detractors"].fillna(0),
        level, deff_a=t["deff"].to_numpy(), deff_b=prev["deff"].fillna(1).to_numpy(),
        dof_a=(t["clusters"].to_numpy() - 1) if "clusters" in t.columns else None,
        dof_b=(prev["clusters"].to_numpy(dtype=float, na_value=np.nan) - 1)
        if "clusters" in t.columns else None)
    if "clusters" in t.columns:  # each quarter's cluster-robust se
        se = np.hypot(t["se"].to_numpy(), prev["se"].to_numpy(dtype=float, na_value=np.nan))
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = diff / se
        p = 2 * stats.norm.sf(np.abs(stat))
    small = has & ((t["n"] < min_n) | (prev["n"].fillna(0) < min_n)).to_numpy()
    flat = (t[["promoters", "passives", "detractors"]].max(axis=1) == t["n"]).to_numpy()
    flat_prev = pd.concat([prev[k] for k in ("promoters", "passives", "detractors")],
                          axis=1).max(axis=1).to_numpy() == prev["n"].to_numpy()
    no_test = small | flat | flat_prev
    stat = np.where(no_test, np.nan, stat)
    p = np.where(no_test, np.nan, p)
    for name, arr in (("change", diff), ("change_se", se), ("change_ci_low", lo),
                      ("change_ci_high", hi), ("change_z", stat), ("change_p", p)):
        t[name] = np.where(has, arr, np.nan)
    t["prev_quarter"] = prev[quarter_col]
    t["change_small_n"] = small
    t = t.set_index(groups + [quarter_col])
    t.attrs.update(method=ci, level=level, min_n=min_n, figure="NPS trend (points)",
                   assumption=assumption)
    if _members.active() and isinstance(df, Moments):
        if df.members is not None:
            _members.attach(t, "n", df.members)
    elif _members.active():
        valid = pd.to_numeric(df[column], errors="coerce").notna().to_numpy()
        _members.attach_grouped(t, "n", df, groups + [quarter_col], "answers", valid)
    return t


# --------------------------------------------------------------------------- groups

def _metric_kind(df: pd.DataFrame, metric: str) -> str:
    if metric == "nps":
        return "nps"
    _need_columns(df, [metric], "compare_groups")
    if metric == "recommend" or pd.api.types.is_bool_dtype(df[metric]):
        return "proportion"
    if pd.api.types.is_numeric_dtype(df[metric]):
        return "mean"
    raise ParameterError(f"metric={metric!r}: expected 'nps', 'recommend', 'csat' or a "
                         f"numeric factor column (f_<id>); column has type {df[metric].dtype}")


def _stats_for(kind: str, values: np.ndarray, mask: np.ndarray) -> tuple:
    """Sufficient statistics of one group."""
    v = values[mask]
    if kind == "nps":
        c = np.bincount(v.astype(np.int64), minlength=3)
        return int(c.sum()), c[0], c[1], c[2]
    if kind == "proportion":
        return int(v.size), int(v.sum())
    n = int(v.size)
    return n, float(v.mean()) if n else np.nan, float(v.var(ddof=1)) if n > 1 else np.nan


def _compare(kind, sa, sb, level):
    """diff, se, lo, hi, stat, p, est_a, est_b, method for one pair of statistics."""
    if kind == "nps":
        ea, eb, diff, se, lo, hi, stat, p = _diff_nps([sa[1]], [sa[2]], [sa[3]],
                                                      [sb[1]], [sb[2]], [sb[3]], level)
        return (diff[0], se[0], lo[0], hi[0], stat[0], p[0], ea[0], eb[0],
                "wald z (trinomial variances add)")
    if kind == "proportion":
        (na, xa), (nb, xb) = sa, sb
        pa, pb = xa / na, xb / nb
        pool = (xa + xb) / (na + nb)
        se0 = np.sqrt(pool * (1 - pool) * (1 / na + 1 / nb))
        stat = (pa - pb) / se0 if se0 > 0 else np.nan
        p = 2 * stats.norm.sf(abs(stat)) if np.isfinite(stat) else np.nan
        lo, hi = confint_proportions_2indep(xa, na, xb, nb, method="newcomb",
                                            compare="diff", alpha=1 - level)
        se = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        return (pa - pb, se, lo, hi, stat, p, pa, pb,
                "two-proportion z (pooled), Newcombe interval")
    (na, ma, va), (nb, mb, vb) = sa, sb
    tt = stats.ttest_ind_from_stats(ma, np.sqrt(va), na, mb, np.sqrt(vb), nb, equal_var=False)
    se = np.sqrt(va / na + vb / nb)
    dof = se ** 4 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    t = stats.t.ppf(0.5 + level / 2, dof)
    diff = ma - mb
    return diff, se, diff - t * se, diff + t * se, tt.statistic, tt.pvalue, ma, mb, "Welch t"


def _compare_design(kind: str, y: np.ndarray, gm: np.ndarray, rm: np.ndarray,
                    d: _design.Design, level: float) -> tuple:
    """:func:`_compare` when answers repeat by client or carry weights (cxlab._design).

    The se of the difference is cluster-robust (an answer of one client in both groups
    counted in both; never below the independent-samples se); each group's own interval
    rests on its effective counts; the difference's interval is Newcombe's square-and-add
    (NPS: of the two score intervals; shares: Newcombe's hybrid score) and the test is
    z (NPS, shares) or t with Welch–Satterthwaite degrees of freedom on the clients.
    """
    zero = np.zeros(len(y), dtype=np.int64)
    mom = _design.diff_moments(y, gm, rm, d)
    se = float(np.sqrt(np.fmax(mom["var"], mom["var_srs"])))
    side = [_design.group_moments(zero, 1, y, m, d) for m in (gm, rm)]
    deffs = [float(m["deff"][0]) for m in side]
    if kind == "nps":
        codes = (1 - y).astype(np.int64)
        ests, los, his = [], [], []
        for m, de in zip((gm, rm), deffs):
            sh = _nps_design(codes, m, zero, 1, d)
            e, _, lo_, hi_ = _nps_from_shares(sh["p"], sh["a"], sh["d"], sh["n"], "score",
                                              level, deff=[de], dof=_dof(sh, d))
            ests.append(e[0]), los.append(lo_[0]), his.append(hi_[0])
        diff, se = ests[0] - ests[1], se * 100
        lo, hi = _intervals.mover(ests[0], los[0], his[0], ests[1], los[1], his[1])
        stat = diff / se if se > 0 else np.nan
        p = 2 * stats.norm.sf(abs(stat)) if np.isfinite(stat) else np.nan
        return (diff, se, float(lo), float(hi), stat, p, ests[0], ests[1],
                "z, cluster-robust se; interval: square-and-add of score intervals")
    pa, pb = side[0]["mean"][0], side[1]["mean"][0]
    if kind == "proportion":
        na, nb = (float(_effective(m["n"], de, _dof(m, d), level)[0])
                  for m, de in zip(side, deffs))
        xa, xb = pa * na, pb * nb
        lo, hi = confint_proportions_2indep(xa, na, xb, nb, method="newcomb",
                                            compare="diff", alpha=1 - level)
        pool = (xa + xb) / (na + nb)
        se0 = np.sqrt(pool * (1 - pool) * (1 / na + 1 / nb))
        stat = (pa - pb) / se0 if se0 > 0 else np.nan
        p = 2 * stats.norm.sf(abs(stat)) if np.isfinite(stat) else np.nan
        return (pa - pb, se, lo, hi, stat, p, pa, pb,
                "two-proportion z on effective counts, Newcombe interval")
    V = [float(np.fmax(m["var"][0], m["var_srs"][0])) for m in side]
    G = [float(m["clusters"][0]) for m in side]
    dof = (V[0] + V[1]) ** 2 / (V[0] ** 2 / (G[0] - 1) + V[1] ** 2 / (G[1] - 1))
    t = stats.t.ppf(0.5 + level / 2, dof)
    diff = pa - pb
    stat = diff / se if se > 0 else np.nan
    p = 2 * stats.t.sf(abs(stat), dof) if np.isfinite(stat) else np.nan
    return (diff, se, diff - t * se, diff + t * se, stat, p, pa, pb,
            "Welch t, cluster-robust se (df on clients)")


def _small_test(y: np.ndarray, gm: np.ndarray, rm: np.ndarray, kind: str, min_n: int,
                seed: int) -> tuple[float, str]:
    """The permutation p of a comparison too small (or without spread) for a
    large-sample test, and the method's words."""
    ya, yb = y[gm], y[rm]
    spread = ya.size > 1 and yb.size > 1 and np.ptp(ya) > 0 and np.ptp(yb) > 0
    why = (f"fewer than {min_n} answers" if min(ya.size, yb.size) < min_n
           else "no spread within a group")
    if not spread and np.ptp(np.concatenate([ya, yb])) == 0:
        return np.nan, f"not tested ({why}; every answer the same)"
    p = _intervals.permutation_p(ya, yb, seed=seed)
    return p, (f"permutation test ({why}; answers treated as exchangeable); "
               "never significant, outside the multiple-testing family")


def holm_family(table: pd.DataFrame, level: float) -> None:
    """Holm's adjustment over the rows ``in_family`` (in place): ``p_holm`` and
    ``significant`` (False outside the family)."""
    fam = table["in_family"].fillna(False).to_numpy(dtype=bool)
    table["p_holm"] = np.nan
    if fam.any():
        table.loc[fam, "p_holm"] = multipletests(table.loc[fam, "p"].to_numpy(),
                                                 method="holm")[1]
    table["significant"] = (table["p_holm"] < (1 - level)) & fam


def _hypothesis_key(skey, gm: np.ndarray, rm: np.ndarray) -> tuple:
    """Two comparisons with the same key test the same hypothesis (e.g. "active vs rest"
    and "lapsed vs rest" when nobody else answered: the same two groups swapped)."""
    a, b = np.packbits(gm).tobytes(), np.packbits(rm).tobytes()
    return (skey, frozenset((a, b)))


def compare_groups(df: pd.DataFrame, group_col: str | None = None, reference=None,
                   metric: str = "nps", min_n: int = 30, level: float = 0.95, *,
                   groups: Mapping[str, object] | None = None, by=None,
                   pool_channels: bool = False, combine_strata: bool = False,
                   channel_col: str = "channel", cluster: str | None = "client_id",
                   weights: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Each group against a reference group (or against everyone else), Holm-adjusted.

    Parameters
    ----------
    df : DataFrame
        Responses.
    group_col : str, optional
        A column whose values are the groups. Alternatively ``groups``.
    groups : mapping of name → boolean mask, optional
        Groups as masks aligned with ``df`` (they may overlap, e.g. cohorts).
    reference : optional
        The value of ``group_col`` (or key of ``groups``) every other group is compared
        with. ``None``: each group against the rest of the rows (``~mask``).
    metric : str
        ``"nps"`` (points; trinomial Wald z), ``"recommend"`` (binary NPS share;
        two-proportion z, Newcombe interval), or a numeric column such as ``"csat"`` or a
        factor ``f_<id>`` (mean; Welch t and interval).
    by : str or list, optional
        Compare within each stratum. When the frame has ``channel`` and it is not the
        group column, it is added to ``by`` (one survey channel per figure) unless
        ``pool_channels=True``.
    min_n : int
        Comparisons where either side has fewer answers are flagged ``small_n`` and get
        no large-sample test: a permutation p-value instead (exact up to 20,000
        arrangements, else 10,000 random ones, ``seed``), never ``significant`` and never
        in the Holm family. A group without spread (every answer the same: 2 promoters
        against 2 detractors) is treated alike — a z or t from a zero variance is not
        evidence.
    cluster, weights : str, optional
        Repeat answers by client and survey weights as in :func:`nps`: the se of each
        difference is cluster-robust, each group's interval rests on its effective
        answers. Without client ids the answers are assumed independent
        (``attrs["assumption"]`` says which).
    combine_strata : bool
        With strata (``by``/channel), add per group a row with stratum ``"combined"``:
        the inverse-variance weighted mean of the stratum differences (fixed-effect,
        normal interval and z test) — a gap "within channels", free of differences in
        channel mix, without pooling answers across channels.

    Returns
    -------
    DataFrame
        Index ``by + ["group"]`` (``channel`` first when added); with
        ``combine_strata`` the combined rows carry ``"combined"`` in every ``by`` level.
        Columns ``n, estimate, ref_n, ref_estimate, diff, se,
        ci_low, ci_high, stat, p, p_holm, significant, small_n, in_family, method``.
        Intervals of a difference: NPS — Newcombe's square-and-add of the two groups'
        score intervals; shares — Newcombe's hybrid score; means — Welch t.
        **The family** Holm's adjustment (statsmodels ``multipletests``) runs over is the
        set of *distinct* hypotheses tested with a large-sample test: every comparison
        with at least ``min_n`` answers on both sides and spread in both (combined rows
        included), each hypothesis once — a comparison of the same two sets of answers
        as an earlier row (e.g. "active vs rest" and "lapsed vs rest" when no one else
        answered) repeats that row's verdict and is not counted again (``in_family``
        False, ``method`` names the row). ``significant`` is ``p_holm < 1 − level``
        within the family, False outside it.
    """
    _z(level)
    kind = _metric_kind(df, metric)
    if (group_col is None) == (groups is None):
        raise ParameterError("compare_groups: give either group_col (a column) or groups "
                             "(a mapping of name → boolean mask), not both or neither")
    if group_col is not None:
        _need_columns(df, [group_col], "compare_groups")
        vals = df[group_col]
        masks = {k: (vals == k).fillna(False).to_numpy(dtype=bool)
                 for k in sorted(vals.dropna().unique(), key=str)}
    else:
        masks = {}
        for k, m in groups.items():
            arr = m.reindex(df.index) if isinstance(m, pd.Series) else m
            arr = pd.Series(arr).fillna(False).to_numpy(dtype=bool)
            if arr.shape[0] != len(df):
                raise ParameterError(f"group {k!r}: mask has {arr.shape[0]} values; "
                                     f"expected one per row ({len(df)})")
            masks[k] = arr
    if reference is not None and reference not in masks:
        raise ParameterError(f"reference={reference!r}: not among the groups "
                             f"({', '.join(map(str, masks))})")
    by = _as_list(by)
    _need_columns(df, by, "compare_groups")
    if channel_col in df.columns and group_col != channel_col and channel_col not in by \
            and not pool_channels:
        by = [channel_col] + by
    # the metric as a numeric array + a validity mask
    if kind == "nps":
        col = "nps"
        _need_columns(df, [col], "compare_groups")
        _nps_counts(df[col], col)
        num = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        valid = ~np.isnan(num)
        values = np.where(num >= PROMOTER_MIN, 0, np.where(num >= PASSIVE_MIN, 1, 2))
        y = 1.0 - values  # the NPS score: +1 / 0 / −1
    elif kind == "proportion":
        s = _bool_values(df[metric], metric)
        valid = s.notna().to_numpy()
        values = s.fillna(False).to_numpy(dtype=bool).astype(float)
    else:
        num = pd.to_numeric(df[metric], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        valid = ~np.isnan(num)
        values = np.nan_to_num(num)
    if kind != "nps":
        y = values.astype(float)
    des = _design.design(df, cluster, weights)
    if by:
        # one boolean mask per stratum from the groupby's row positions (no row loops)
        pos = df.groupby(by, dropna=False, observed=True, sort=True).indices
        strata_masks = []
        for k, where in pos.items():
            mk = np.zeros(len(df), dtype=bool)
            mk[where] = True
            strata_masks.append((k if isinstance(k, tuple) else (k,), mk))
    else:
        strata_masks = [((), np.ones(len(df), dtype=bool))]
    rows = []
    # report kernels only (cxlab.disclosure): the answers behind each row's n and ref_n
    ids = _members.ids_of(df, "answers") if _members.active() else None
    who: list[tuple] = []  # per row: (n's ids, ref_n's ids)
    seen: dict[tuple, tuple] = {}  # hypothesis → (the first group that tested it, its row)
    twins: list[tuple[int, int]] = []  # (row repeating a hypothesis, the row it repeats)
    for skey, smask in strata_masks:
        base = valid & smask
        ref_mask = masks[reference] & base if reference is not None else None
        for g, m in masks.items():
            if g == reference:
                continue
            gm = m & base
            rm = ref_mask if ref_mask is not None else (~m) & base
            if ids is not None:
                who.append((ids[gm], ids[rm]))
            sa, sb = _stats_for(kind, values, gm), _stats_for(kind, values, rm)
            na, nb = sa[0], sb[0]
            row = {**dict(zip(by, skey)), "group": g, "reference": reference if reference
                   is not None else "rest", "n": na, "ref_n": nb, "in_family": False}
            if na >= 2 and nb >= 2:
                if des.independent:
                    diff, se, lo, hi, stat, p, ea, eb, method = _compare(kind, sa, sb, level)
                else:
                    diff, se, lo, hi, stat, p, ea, eb, method = _compare_design(
                        kind, y, gm, rm, des, level)
                flat = np.ptp(y[gm]) == 0 or np.ptp(y[rm]) == 0
                key = _hypothesis_key(skey, gm, rm)
                if na < min_n or nb < min_n or flat:
                    p, method = _small_test(y, gm, rm, kind, min_n, seed)
                    stat = np.nan
                elif key in seen:
                    method = f"{method}; the same test as group {seen[key][0]!r}"
                    twins.append((len(rows), seen[key][1]))
                else:
                    seen[key] = (g, len(rows))
                    row["in_family"] = bool(np.isfinite(p))
            else:
                diff = se = lo = hi = stat = p = ea = eb = np.nan
                method = "not tested (fewer than 2 answers)"
            row.update(estimate=ea, ref_estimate=eb, diff=diff, se=se, ci_low=lo, ci_high=hi,
                       stat=stat, p=p, method=method)
            rows.append(row)
    if combine_strata and by:
        z = _z(level)
        for g in [k for k in masks if k != reference]:
            at = [i for i, r in enumerate(rows)  # strata tested with a large-sample test
                  if r["group"] == g and r["in_family"] and np.isfinite(r["se"])
                  and r["se"] > 0]
            part = [rows[i] for i in at]
            if not part:
                continue
            if ids is not None:  # the union over the strata combined (they are disjoint)
                who.append(tuple(np.concatenate([who[i][j] for i in at]) for j in (0, 1)))
            w = np.array([1 / r["se"] ** 2 for r in part])
            d = np.array([r["diff"] for r in part])
            diff, se = float(w @ d / w.sum()), float(1 / np.sqrt(w.sum()))
            rows.append({**{b: "combined" for b in by}, "group": g, "reference": part[0]["reference"],
                         "n": sum(r["n"] for r in part), "ref_n": sum(r["ref_n"] for r in part),
                         "estimate": np.nan, "ref_estimate": np.nan, "diff": diff, "se": se,
                         "ci_low": diff - z * se, "ci_high": diff + z * se, "stat": diff / se,
                         "p": float(2 * stats.norm.sf(abs(diff / se))), "in_family": True,
                         "method": f"inverse-variance combination of {len(part)} strata"})
    out = pd.DataFrame(rows)
    if out.empty:
        raise ParameterError("compare_groups: no groups to compare")
    holm_family(out, level)
    for i, j in twins:  # the same hypothesis: the same verdict, counted once
        for col in ("p_holm", "significant"):
            out.iloc[i, out.columns.get_loc(col)] = out[col].iloc[j]
    out["small_n"] = (out["n"] < min_n) | (out["ref_n"] < min_n)
    out = out.set_index(by + ["group"])
    unit = {"nps": "points", "proportion": "share", "mean": "rating"}[kind]
    out.attrs.update(metric=metric, unit=unit, level=level, min_n=min_n,
                     assumption=des.assumption, family=int(out["in_family"].sum()))
    if ids is not None:  # rows in the order built: each row's key as the index gives it
        for j, col in enumerate(("n", "ref_n")):
            _members.attach(out, col, {key: disclosure.Members("answers", w[j])
                                         for key, w in zip(out.index, who)})
    return out
