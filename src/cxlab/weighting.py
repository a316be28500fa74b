"""Survey weights for who answers: raking to known margins, and Kish's effective n.

NPS is a figure about the people who answered. When response rates differ (in the sample
business a phone call is answered 45 % of the time, a messenger invitation 25 %, a web
form 12 %), the answers over-represent the easy-to-reach, and nothing in a plain mean
corrects for it. :func:`rake` gives each answer a weight so that the weighted answers
have known **margins**: the share of each channel, programme, survey … in a target
population (iterative proportional fitting: scale the weights to fit one margin, then the
next, until all hold at once). :func:`kish_n` and :func:`weighting_effect` say what the
weights cost in precision.

Which population
    The natural target is the people the survey reached for: the **invitations** of the
    period. Margins from invitations by channel (``margins_from(invitations,
    "channel")``) make the weights undo response rates that differ by channel; by survey
    (``margins_from(invitations, "survey")``), rates that differ by survey. A segment the
    invitations do not carry (the sample's programme, a store) can take its margin from
    the **visits** of the period (``margins_from(visits, "store")``): that population is
    the visits, each counted once, which is not the same as the invitations (surveys
    follow some visits only), so say which one a figure is weighted to. Margins may also
    be declared in the study file (:class:`cxlab.study.Weighting`, key ``weighting``):
    :func:`study_margins` and :func:`study_weights` read them.

    A channel margin alone changes nothing *within* one channel (every answer of a
    channel gets the same weight), and NPS is reported per channel, never pooled
    (DOMAIN.md): channel weights matter for a figure that pools channels on purpose, and
    in combination with another margin (programme, survey), which they then keep from
    being distorted by the channel mix.

Weights
    Weights have **mean 1** (they sum to the number of answers), so a weighted count
    reads as answers and a weight of 2 means "stands for two answers". Multiply by
    ``population / n`` for totals. Targets are shares or counts: each margin is scaled to
    sum to 1 on its own, so margins may come from tables of different sizes.

The library
    The raking itself is :mod:`svy`'s (``Sample.weighting.rake``; its IPF kernel is in
    Rust). Compared on this project's pins (numpy 2.4, pandas 3.1, scipy 1.17, Python
    3.11) and on the 2026Q3 sample answers raked to channel × programme were svy 0.35.0
    (2026-10, 50 releases on PyPI, the successor of samplics by the same author, who
    reports agreement with R's ``survey``), weightipy 0.4.2, samplics 0.6.1,
    Meta's balance 0.23.0 and ipfn 1.4.4. All four that install gave the same weights
    (within 1e-10 of a plain IPF loop). balance cannot be used: on Python < 3.12 it pins
    ``numpy<2.0``, ``scipy<1.14`` and ``scikit-learn<1.4``, so installing it would
    downgrade numpy to 1.26 and scipy to 1.13. samplics declares itself archived (a
    ``FutureWarning`` on import points to svy) and its ``ll_bound``/``up_bound`` are
    checked, never enforced. ipfn (last release 2021) fits aggregated tables, fails under
    pandas 3 when the counts column is integer, and only prints when it does not
    converge. weightipy reports iterations and caps weights, but its stopping rule is
    "no more improvement" (its ``convcrit`` is never passed on), a non-convergence or an
    unreachable cap is only printed (with a cap of 2 on the sample it returned weights
    4 points off the margins without a word), and it pulls in ``watchdog`` and
    ``requests``. svy raises on every problem this module must report (a category
    without a target, a target without answers, a missing value, non-convergence with
    the misfit reached, a trim bound that cannot meet a margin, naming the margin), its
    tolerance is the largest relative misfit of any margin, and it trims inside the
    raking (trim, rake again, until both hold). It adds polars, msgspec, svy-io and
    svy-rs (about 230 MB installed) and changes no package the project pins. Against it:
    it is marked Beta and moves fast, and it does not report how many sweeps it made
    (:func:`rake` finds that number by asking for fewer). Everything svy is used for is
    in :func:`_svy_rake`, so a change of its interface is one function to change, and
    ``tests/test_weighting.py`` checks its weights against a plain IPF loop and a closed
    form. Without ``trim``, answers alike on every margin column are raked as one cell,
    so svy sees a few rows however many answers there are.

References
----------
Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a sampled
frequency table when the expected marginal totals are known. *Ann. Math. Stat.* 11(4).
Kish, L. (1965). *Survey Sampling*. Wiley. (Effective sample size ``(Σw)² / Σw²``.)
Kolenikov, S. (2014). Calibrating survey data using iterative proportional fitting
(raking). *Stata Journal* 14(1), 22–59.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from cxlab.errors import ParameterError

__all__ = ["SHARE_SLACK", "kish_n", "margins_from", "rake", "study_margins", "study_weights",
           "weighting_effect"]

#: Targets that are all below 1 are shares: they must add up to 1 within this.
SHARE_SLACK = 0.01
_SHOWN = 5  # values named in a message


# =========================================================================== precision

def _weights_array(weights, what: str = "weights") -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ParameterError(f"{what}: expected a non-empty column of weights, got "
                             f"{w.size} value(s) in {w.ndim} dimension(s)")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"{what}: got {w[pos]!r} at position {pos + 1} "
                             f"({int(bad.sum())} such); expected finite weights ≥ 0")
    if not w.sum() > 0:
        raise ParameterError(f"{what}: every weight is 0; expected at least one positive "
                             "weight")
    return w


def kish_n(weights) -> float:
    """Kish's effective sample size of weighted answers, ``(Σw)² / Σw²``.

    The number of unweighted answers that would give a mean the same precision as these
    weighted ones (when the weights are unrelated to the answers). Equal weights give
    ``n``; unequal weights give less.

    Examples
    --------
    >>> kish_n([1, 1, 1, 1])
    4.0
    >>> kish_n([0.5, 0.5, 1.5, 1.5])  # (4)² / 5
    3.2
    """
    w = _weights_array(weights)
    return float(w.sum() ** 2 / np.square(w).sum())


def weighting_effect(weights) -> float:
    """Kish's design effect of weighting, ``n / kish_n = 1 + cv²`` (``cv`` the weights'
    coefficient of variation, population form): by how much unequal weights inflate the
    variance of a mean. 1 for equal weights.

    Examples
    --------
    >>> weighting_effect([0.5, 0.5, 1.5, 1.5])  # 4 / 3.2
    1.25
    """
    w = _weights_array(weights)
    return float(w.size / kish_n(w))


# =========================================================================== margins

def _target_errors(targets) -> list[tuple[object, object, str]]:
    """What is wrong with one margin's targets: ``(category or None for the margin as a
    whole, the value found, what was expected)``; empty when nothing is.

    Shared by :func:`rake` and the study file's ``weighting`` key.
    """
    if not isinstance(targets, Mapping) or not targets:
        return [(None, targets, ("a mapping category → target share or count, "
                                 "e.g. {sms: 0.4, app: 0.3, call: 0.3}"))]
    out: list[tuple[object, object, str]] = []
    for cat, v in targets.items():
        if (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))
                or not math.isfinite(v) or v <= 0):
            out.append((cat, v, ("a positive share or count (a category no one in the "
                                 "population has is left out of the margin, and its "
                                 "answers left out of the weighting)")))
    seen: dict[str, object] = {}
    for cat in targets:
        if str(cat) in seen:
            out.append((cat, cat, f"each category once (also given as {seen[str(cat)]!r})"))
        seen.setdefault(str(cat), cat)
    if not out:
        total = sum(float(v) for v in targets.values())
        if all(float(v) < 1 for v in targets.values()) and abs(total - 1) > SHARE_SLACK:
            out.append((None, round(total, 6),
                        "shares adding up to 1 (a category missing?), or counts"))
    return out


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def margins_from(table: pd.DataFrame, by, *, unit: str | None = None
                 ) -> dict[str, dict[str, float]]:
    """Target margins from a population table: the share of each category of ``by``.

    Parameters
    ----------
    table : DataFrame
        One row per member of the target population: the period's invitations, visits,
        clients … (e.g. ``io.load("invitations", warehouse, quarter="2026Q3")``).
    by : str or list of str
        The columns to take margins of; each must also be a column of the answers to be
        raked, with the same codes.
    unit : str, optional
        Count distinct values of this column per category instead of rows (e.g.
        ``unit="client_id"`` on visits: the clients active in each programme; a client
        in two programmes counts in both).

    Returns
    -------
    dict
        ``{column: {category: share}}``, shares summing to 1 per column, categories in
        sorted order; the input of :func:`rake`. Rows without a value in a column belong
        to no category of it and are left out of its shares.

    Examples
    --------
    >>> invitations = pd.DataFrame({"channel": ["sms", "sms", "app", "call"]})
    >>> margins_from(invitations, "channel")
    {'channel': {'app': 0.25, 'call': 0.25, 'sms': 0.5}}
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"margins_from: expected a DataFrame of the target population "
                             f"(invitations, visits …), got {type(table).__name__}")
    cols = _as_list(by)
    missing = [c for c in cols + ([unit] if unit else []) if c not in table.columns]
    if missing:
        raise ParameterError(
            f"margins_from: column(s) {', '.join(map(repr, missing))} not in the table; it "
            f"has {', '.join(map(str, table.columns)) or 'no columns'}")
    out: dict[str, dict[str, float]] = {}
    for col in cols:
        rows = table.loc[table[col].notna(), [col] + ([unit] if unit else [])]
        if unit:
            rows = rows[rows[unit].notna()]
        keys = rows[col].astype(str)
        counts = (rows.groupby(keys)[unit].nunique() if unit else keys.value_counts())
        counts = counts[counts > 0].sort_index()
        if counts.empty:
            raise ParameterError(
                f"margins_from: no row of the table has a value in '{col}' ({len(table)} "
                "rows); expected the target population of the period (an empty quarter?)")
        out[col] = {str(k): float(v) / float(counts.sum()) for k, v in counts.items()}
    return out


# =========================================================================== raking

def rake(responses: pd.DataFrame, margins: Mapping[str, Mapping], *, max_iter: int = 1000,
         tol: float = 1e-10, trim: float | None = None) -> pd.Series:
    """Weights that make the answers' margins match ``margins`` (raking).

    Parameters
    ----------
    responses : DataFrame
        The answers to weight: one row each, with a column per margin.
    margins : mapping
        ``{column: {category: target}}``, e.g. from :func:`margins_from` or the study
        (:func:`study_margins`). Targets are shares or counts (each margin is scaled to
        sum to 1); shares, when all below 1, must add up to 1 (±0.01). Every category of
        the answers needs a target and every target needs answers.
    max_iter : int
        Sweeps over the margins allowed (with ``trim``: trim-and-rake cycles).
    tol : float
        Converged when every category's weighted share is within ``tol`` of its target,
        relative to the target (``|achieved − target| / target``).
    trim : float, optional
        Cap on a weight, as a multiple of the mean weight (e.g. 5): weights above it are
        cut to it and the answers raked again, until the margins and the cap hold
        together. Must be above 1.

    Returns
    -------
    Series
        ``weight`` per answer, aligned with ``responses.index``, **mean 1** (summing to
        the number of answers). ``attrs`` records ``margins`` (the target shares used),
        ``iterations`` (sweeps; with ``trim``, cycles), ``max_deviation`` (the largest
        relative misfit reached, ≤ ``tol``), ``n``, ``kish_n``, ``weighting_effect``,
        ``trim`` and ``method``.

    Raises
    ------
    ParameterError
        A margin's column is missing or has empty values; an answer's category has no
        target, or a target no answers (naming the column and the value); a target is
        not a positive number; raking does not converge in ``max_iter`` (the margins
        contradict each other in these answers), or the cap cannot meet a margin.

    Examples
    --------
    One margin has the closed form ``w = target share / sample share``:

    >>> answers = pd.DataFrame({"channel": ["sms"] * 3 + ["app"]})
    >>> w = rake(answers, {"channel": {"sms": 0.5, "app": 0.5}})
    >>> w.round(6).tolist()
    [0.666667, 0.666667, 0.666667, 2.0]
    >>> round(w.attrs["kish_n"], 6)
    3.0
    """
    if not isinstance(responses, pd.DataFrame):
        raise ParameterError(f"rake: expected a DataFrame of answers, got "
                             f"{type(responses).__name__}")
    n = len(responses)
    if n == 0:
        raise ParameterError("rake: no answers to weight (an empty frame)")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ParameterError(f"max_iter={max_iter!r}: expected a whole number ≥ 1")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ParameterError(f"tol={tol!r}: expected a tolerance between 0 and 1, e.g. 1e-10")
    if trim is not None and (isinstance(trim, bool) or not isinstance(trim, (int, float))
                             or not math.isfinite(trim) or trim <= 1):
        raise ParameterError(f"trim={trim!r}: expected a cap above 1 (a multiple of the mean "
                             "weight, e.g. 5), or None")
    if not isinstance(margins, Mapping) or not margins:
        raise ParameterError(f"rake: margins={margins!r}; expected a mapping column → "
                             "{category: target}, e.g. {'channel': {'sms': 0.4, 'app': 0.6}}")

    shares: dict[str, dict[str, float]] = {}
    codes: dict[str, np.ndarray] = {}
    for col, targets in margins.items():
        if col not in responses.columns:
            raise ParameterError(
                f"rake: margin '{col}' has no column in the answers; they have "
                f"{', '.join(map(str, responses.columns[:20]))}"
                f"{' …' if len(responses.columns) > 20 else ''}")
        errors = _target_errors(targets)
        if errors:
            cat, value, expected = errors[0]
            where = f"margin '{col}'" + ("" if cat is None else f", category '{cat}'")
            raise ParameterError(f"rake: {where}: got {value!r}; expected {expected}")
        t = {str(k): float(v) for k, v in targets.items()}
        total = sum(t.values())
        shares[col] = {k: v / total for k, v in t.items()}
        codes[col] = _codes(responses[col], col, list(t))

    if trim is None:
        # Answers alike on every margin column get one weight: rake the cells they form,
        # their counts as starting weights (a few rows, whatever the number of answers).
        cell, fit_codes, start = _cells(codes)
    else:
        # the cap is on each answer's weight: rake the answers themselves
        cell, fit_codes, start = None, codes, np.ones(n)
    fitted, iterations = _fit(fit_codes, start, shares, max_iter=int(max_iter),
                              tol=float(tol), trim=None if trim is None else float(trim))
    weights = fitted if cell is None else (fitted / start)[cell]
    weights = weights * (n / weights.sum())
    out = pd.Series(weights, index=responses.index, name="weight")
    import svy

    out.attrs.update({
        "margins": shares,
        "iterations": iterations,
        "max_deviation": _misfit(weights, codes, shares)[0],
        "n": n,
        "kish_n": kish_n(weights),
        "weighting_effect": weighting_effect(weights),
        "trim": trim,
        "method": f"raking (iterative proportional fitting, svy {svy.__version__})",
    })
    return out


def _codes(values: pd.Series, col: str, categories: list[str]) -> np.ndarray:
    """Each answer's category of ``col`` as a position in ``categories``; an answer
    without one, or with one the margin lacks, and a category without answers raise."""
    n = len(values)
    empty = values.isna()
    if empty.any():
        raise ParameterError(
            f"rake: {int(empty.sum())} of {n} answers have no value in '{col}' (first at "
            f"row {int(np.flatnonzero(empty.to_numpy())[0]) + 1}); expected a category of "
            f"the margin for every answer: leave those answers out first (e.g. "
            f"responses.dropna(subset=['{col}'])), or code them and give the code a target")
    keys = values.astype(str)
    pos = {c: i for i, c in enumerate(categories)}
    idx = keys.map(pos)
    unknown = idx.isna()
    if unknown.any():
        counts = keys[unknown].value_counts()
        found = ", ".join(f"'{k}' ({v} answers)" for k, v in counts.head(_SHOWN).items())
        more = f" and {len(counts) - _SHOWN} more" if len(counts) > _SHOWN else ""
        raise ParameterError(
            f"rake: answers in '{col}' have categories the margin has no target for: "
            f"{found}{more}; expected one of {', '.join(categories)}: give each a target, "
            "or leave those answers out")
    idx = idx.to_numpy(dtype=np.int64)
    counts = np.bincount(idx, minlength=len(categories))
    if (counts == 0).any():
        absent = [c for c, k in zip(categories, counts) if k == 0]
        raise ParameterError(
            f"rake: margin '{col}' has a target for {', '.join(map(repr, absent))} but no "
            f"answer has it ({n} answers, categories "
            f"{', '.join(c for c, k in zip(categories, counts) if k)}); expected answers in "
            "every category with a target: no weight can stand for people nobody answered "
            "for; merge the category with another in both the answers and the margin")
    return idx


def _misfit(weights: np.ndarray, codes: Mapping[str, np.ndarray],
            shares: Mapping[str, Mapping[str, float]]) -> tuple[float, str, str, float, float]:
    """The largest relative misfit: ``(misfit, column, category, achieved share, target)``."""
    worst = (0.0, "", "", 0.0, 0.0)
    total = weights.sum()
    for col, idx in codes.items():
        cats = list(shares[col])
        target = np.array([shares[col][c] for c in cats])
        achieved = np.bincount(idx, weights, len(cats)) / total
        rel = np.abs(achieved - target) / target
        k = int(np.argmax(rel))
        if rel[k] > worst[0] or not worst[1]:
            worst = (float(rel[k]), col, cats[k], float(achieved[k]), float(target[k]))
    return worst


def _cells(codes: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray],
                                                       np.ndarray]:
    """The cells the answers form on the margin columns: each answer's cell, each cell's
    categories, and its count of answers."""
    stacked = np.column_stack(list(codes.values()))
    uniq, cell, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return (cell.ravel(), {col: uniq[:, j] for j, col in enumerate(codes)},
            counts.astype(float))


def _fit(codes: Mapping[str, np.ndarray], start: np.ndarray,
         shares: Mapping[str, Mapping[str, float]], *, max_iter: int, tol: float,
         trim: float | None) -> tuple[np.ndarray, int]:
    """Rake with svy from weights ``start``: the weights and the sweeps (or cycles) it
    took. Raises :class:`ParameterError` when it does not converge or the cap cannot
    hold."""
    from svy.errors import WeightingError

    def run(k: int, on_nonconvergence: str = "error") -> np.ndarray:
        return _svy_rake(codes, start, shares, tol=tol, max_iter=max_iter if trim else k,
                         trim=trim, cycles=k, on_nonconvergence=on_nonconvergence)

    try:
        weights = run(max_iter)
    except WeightingError as err:
        if getattr(err, "code", None) == "TRIM_INFEASIBLE":
            raise ParameterError(
                f"rake: trim={trim:g} cannot meet the margins ("
                f"{(err.hint or err.detail).rstrip('.')}; weights have mean 1, so a bound is "
                "a multiple of the mean weight); expected a higher cap, or margins these "
                "answers can reach") from None
        if getattr(err, "code", None) != "CONVERGENCE_FAILED":
            raise ParameterError(f"rake: svy refused the margins: {err.title}: "
                                 f"{err.detail}") from None
        last = run(max_iter, "ignore")
        misfit, col, cat, achieved, target = _misfit(last, codes, shares)
        what = "trim-and-rake cycles" if trim else "sweeps"
        cap = (f"; the largest weight is {last.max() / last.mean():.3g}× the mean against "
               f"the cap {trim:g}" if trim and misfit <= tol else "")
        raise ParameterError(
            f"rake: did not converge in {max_iter} {what}: the weighted share of "
            f"{col}={cat} reached {achieved:.4g} against its target {target:.4g} (relative "
            f"misfit {misfit:.2g}, tol {tol:g}){cap}; expected margins these answers can "
            "meet together (they contradict each other when, in the answers, the categories "
            "of one column sit inside those of another: cross-tabulate the margin columns), "
            + ("and a cap they allow" if trim else "or more sweeps (max_iter)")) from None
    # svy does not say how many sweeps it made: it is the fewest it converges with.
    lo, hi = 1, max_iter
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            run(mid)
        except WeightingError:
            lo = mid + 1
        else:
            hi = mid
    return weights, lo


def _svy_rake(codes: Mapping[str, np.ndarray], start: np.ndarray,
              shares: Mapping[str, Mapping[str, float]], *, tol: float, max_iter: int,
              trim: float | None, cycles: int, on_nonconvergence: str) -> np.ndarray:
    """The one place svy is called: weights raked from ``start``, one per row of
    ``codes`` (positions in each margin's categories)."""
    import polars as pl
    import svy

    data = pl.DataFrame({str(col): np.asarray(list(shares[col]), dtype=object)[idx].tolist()
                         for col, idx in codes.items()})
    data = data.with_columns(pl.Series("__cxlab_start", start, dtype=pl.Float64))
    sample = svy.Sample(data, svy.Design(wgt="__cxlab_start"))
    trimming = None if trim is None else svy.TrimConfig(upper=trim, max_iter=cycles)
    out = sample.weighting.rake(
        shares={str(col): dict(s) for col, s in shares.items()}, tol=tol,
        max_iter=max_iter, trimming=trimming, on_nonconvergence=on_nonconvergence,
        wgt_name="__cxlab_weight")
    return out.data.get_column("__cxlab_weight").to_numpy().astype(float)


# =========================================================================== the study

def study_margins(tables: Mapping[str, pd.DataFrame] | Callable[[str], pd.DataFrame] | None
                  = None, *, study=None) -> dict[str, dict[str, float]]:
    """The margins the study file declares (key ``weighting``, :class:`cxlab.study.Weighting`).

    Parameters
    ----------
    tables : mapping or callable, optional
        The period's population tables the study names (``invitations``, ``visits``):
        ``{name: DataFrame}``, or a function of the name (e.g. ``lambda t: io.load(t,
        warehouse, quarter=q)``). Not needed when every margin is declared as numbers.
    study : Study or path, optional
        Default :func:`cxlab.study.default_study`.

    Examples
    --------
    With ``weighting: {margins: {channel: invitations}}`` in the study::

        q = "2026Q3"
        margins = weighting.study_margins(lambda t: io.load(t, warehouse, quarter=q))
    """
    from cxlab.study import load_study

    st = load_study(study)
    if st.weighting is None:
        raise ParameterError(
            f"the study ({st.source}) has no 'weighting' key; expected one such as "
            "weighting: {margins: {channel: invitations}} (see cxlab.study, 'Weighting'), "
            "or pass margins to weighting.rake")
    out: dict[str, dict[str, float]] = {}
    for col, spec in st.weighting.margins.items():
        if not isinstance(spec, str):
            out[col] = {str(k): float(v) for k, v in spec.items()}
            continue
        if callable(tables):
            table = tables(spec)
        elif isinstance(tables, Mapping) and spec in tables:
            table = tables[spec]
        else:
            raise ParameterError(
                f"the study ({st.source}) takes the margin of '{col}' from the {spec} "
                f"table; expected it in tables= (e.g. tables={{'{spec}': io.load('{spec}', "
                "warehouse, quarter=q)}), got "
                + (", ".join(map(str, tables)) if isinstance(tables, Mapping) and tables
                   else "none"))
        out.update(margins_from(table, col))
    return out


def study_weights(responses: pd.DataFrame, tables=None, *, study=None, max_iter: int = 1000,
                  tol: float = 1e-10) -> pd.Series:
    """:func:`rake` ``responses`` to the study's margins with the study's ``trim``.

    ``tables`` as in :func:`study_margins`. The weights' ``attrs`` (see :func:`rake`)
    hold what a figure computed with them should report: the margins, Kish n.

    Examples
    --------
    ::

        q = "2026Q3"
        answers = io.load("responses", warehouse, quarter=q)
        answers["weight"] = weighting.study_weights(
            answers, lambda t: io.load(t, warehouse, quarter=q))
    """
    from cxlab.study import load_study

    st = load_study(study)
    margins = study_margins(tables, study=st)
    return rake(responses, margins, max_iter=max_iter, tol=tol,
                trim=st.weighting.trim if st.weighting is not None else None)

