"""Asymmetric drivers: what must not go wrong (must-be) and what delights (delighter).

Key driver analysis (:func:`cxlab.drivers.key_drivers`) says *how much* a factor moves
the 0–10 score, not *which way round*. Seeds 003/004 separate the two: a **must-be**
factor (safety, a clean room) makes detractors when it falls short and earns nothing
when it is fine; a **delighter** ("loyal client = expectation + 1") makes promoters when
it exceeds expectations and costs little when it merely meets them.
:func:`penalty_reward` measures both sides of every factor — penalty–reward contrast
analysis (Brandt 1987) on the NPS classes; read it beside the Shapley importance, as
Conklin, Powaga & Lipovetsky (2004) read their Kano classes beside theirs.

**Bands.** Each rating is *low* (fell short), *middle* (met expectations, the
reference) or *high* (exceeded them), from the factor's scale as the study declares it
(:mod:`cxlab.study`): on the common 0–100 position ``100 · (x − lo) / (hi − lo)``, low is
under :data:`LOW_BELOW` (65) and high from :data:`HIGH_FROM` (85). On 0–10 that is the
NPS's own split (0–6 / 7–8 / 9–10); on 1–5 it is 1–3 / 4 / 5 ("good" is the
expectation, "excellent" is expectation + 1); on 1–7, 1–4 / 5–6 / 7; on 0–100, 0–64 /
65–84 / 85–100; a 3-point scale is 1 / 2 / 3. ``bands=`` overrides it per factor.

**Penalty and reward.** Two linear probability models, on the answers used (below),
with an intercept, a *low* and a *high* dummy for every factor (the middle band is the
reference) and, when the answers come from several survey channels, a dummy per channel
(the effects are within channel; DOMAIN.md: one survey channel per figure):

- ``detractor (score ≤ 6) ~ 1 + Σ_k (low_k + high_k) [+ channel]`` — a factor's
  **penalty** is the coefficient of its *low* dummy: by how much (share, 0…1) the
  detractor share is higher when the factor is rated low rather than middle, the other
  factors' bands held fixed;
- ``promoter (score ≥ 9) ~`` the same — its **reward** is the coefficient of its *high*
  dummy: how much higher the promoter share is when it is rated high rather than middle.

All factors enter jointly, as in Brandt's original: factors correlate (a parent who is
unhappy rates everything low), and one factor at a time would hand each the others'
effect — the planted zero-effect factor of the samples would look like a driver.
``contrast = penalty − reward``.

**Missing ratings.** Empty = not applicable (never 0). ``missing="complete"`` (default)
uses the answers with the score and every factor rated; ``missing="category"`` keeps
every answer with the score and at least one factor rated, and gives each factor a third
dummy, *not applicable* (its own category, not an imputed rating), so the bands are still
compared with the middle only.

**Intervals.** Percentile intervals from a **cluster bootstrap by client**: clients
(``cluster``, ``client_id``) are resampled with replacement, each with all its answers,
and both models refitted (the samples' families answer about three times each, and one
family's answers agree more than strangers' do). Assumed: clients are independent of
each other; the bands are fixed; answers of one client may depend on each other in any
way. Without client ids (or ``cluster=None``) answers are resampled and the result says
``"answers assumed independent"``.

**Limits.** The models hold the other factors fixed only band by band, so a factor
correlated with a steeply kinked one can borrow a little of its effect (in a synthetic
check, a no-effect factor whose latent score correlated 0.3 with a steep must-be showed a
penalty of 6 points); read a small penalty or reward with its interval. Answers are
unweighted; each coefficient is a difference of shares (a linear probability model),
which with dummies only needs no distributional assumption.

**Classification** (:data:`CATEGORIES`). A side is *clear* when its interval lies above
zero. A factor is

- ``"must-be"`` when its penalty is clear, the interval of ``penalty − reward`` lies
  above zero, and the penalty is at least ``ratio`` (1.5) times the reward;
- ``"delighter"`` likewise with reward and penalty exchanged;
- ``"performance"`` (linear, one-dimensional) when at least one side is clear but no
  such asymmetry is shown: symmetry is the reading until the data show otherwise;
- ``"weak"`` when neither side is clear;
- ``"not enough answers"`` (not classified, though a side with enough answers is still
  estimated) when its low, middle or high band has fewer than ``min_n`` answers.

The ratio guard keeps a real but slight asymmetry in a large sample (penalty 10 points,
reward 8) from being called must-be; a ratio ``r`` is an impact-asymmetry index
``(reward − penalty) / (reward + penalty)`` (Mikulić & Prebežac 2008) beyond
``±(r − 1)/(r + 1)``: ±0.2 for 1.5. Each factor's interval is 95 % on its own and the
bands control the other factors coarsely: among many linear factors some will show an
asymmetry by chance (on 15 reseeded copies of the sample business, 7 of 90 linear
results) — read the intervals, not only the label. Strictly, penalty–reward analysis shows
*dissatisfiers* and *satisfiers* in today's performance range, which Kano's must-be and
attractive qualities need not be (Mikulić & Prebežac 2011); the names here are what an
analyst says.

Example
-------
>>> from cxlab import asymmetry, samples
>>> pr = asymmetry.penalty_reward(samples.load("responses"))  # doctest: +SKIP
>>> pr.table[["label", "penalty", "reward", "category"]]  # doctest: +SKIP
>>> pr.plot()  # doctest: +SKIP

References
----------
Brandt, D. R. (1987). A procedure for identifying value-enhancing service components
using customer satisfaction survey data. In *Add Value to Your Service*, AMA, 61–65.
Conklin, M., Powaga, K. & Lipovetsky, S. (2004). Customer satisfaction analysis:
identification of key drivers. *European Journal of Operational Research* 154, 819–827.
Mikulić, J. & Prebežac, D. (2008). Prioritizing improvement of service attributes using
impact range-performance analysis and impact-asymmetry analysis. *Managing Service
Quality* 18(6), 559–576.
Mikulić, J. & Prebežac, D. (2011). A critical review of techniques for classifying
quality attributes in the Kano model. *Managing Service Quality* 21(1), 46–66.

Size: just over 800 lines: one method — bands, the two models, the client bootstrap,
the classification and its chart — kept together, so the rule a reader sees in the
table is the rule in one file.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab import _design, _members, _resample, disclosure, progress
from cxlab.drivers import _default_factors, _labels_for, _numeric
from cxlab.errors import ParameterError
from cxlab.metrics import PASSIVE_MIN, PROMOTER_MIN
from cxlab.study import Scale, Study, load_study

__all__ = ["CATEGORIES", "HIGH_FROM", "LOW_BELOW", "MISSING", "Bands", "PenaltyReward",
           "bands_of", "penalty_reward", "plot_penalty_reward"]

#: Position on 0–100 under which a rating fell short (low band).
LOW_BELOW = 65.0
#: Position on 0–100 from which a rating exceeded expectations (high band).
HIGH_FROM = 85.0
#: The classes, in the order the table lists them.
CATEGORIES = ("must-be", "delighter", "performance", "weak", "not enough answers")
MISSING = ("complete", "category")

#: The stratum of answers with no channel recorded.
_NO_CHANNEL = "\ue003no channel"


# =========================================================================== bands

@dataclass(frozen=True)
class Bands:
    """The three bands of one factor's scale: low ``lo..low_max``, middle
    ``low_max + 1 .. high_min − 1``, high ``high_min..hi``."""

    scale: Scale
    low_max: int
    high_min: int

    def __post_init__(self):
        sc = self.scale
        if not (sc.lo <= self.low_max and self.low_max + 1 < self.high_min <= sc.hi):
            raise ParameterError(
                f"bands (low up to {self.low_max}, high from {self.high_min}) do not fit "
                f"the scale {sc}: expected {sc.lo} ≤ low_max, at least one middle rating "
                f"between low_max and high_min, and high_min ≤ {sc.hi}")

    @staticmethod
    def _span(a: int, b: int) -> str:
        return str(a) if a == b else f"{a}–{b}"

    @property
    def low(self) -> str:
        return self._span(self.scale.lo, self.low_max)

    @property
    def middle(self) -> str:
        return self._span(self.low_max + 1, self.high_min - 1)

    @property
    def high(self) -> str:
        return self._span(self.high_min, self.scale.hi)

    def __str__(self) -> str:
        return f"low {self.low} · middle {self.middle} · high {self.high} (of {self.scale})"


def bands_of(scale: Scale | str) -> Bands:
    """The default bands of a scale (see the module docstring).

    Examples
    --------
    >>> str(bands_of("1-5")), str(bands_of("0-10"))
    ('low 1–3 · middle 4 · high 5 (of 1-5)', 'low 0–6 · middle 7–8 · high 9–10 (of 0-10)')
    >>> str(bands_of("1-7"))
    'low 1–4 · middle 5–6 · high 7 (of 1-7)'
    """
    sc = _as_scale(scale, "scale")
    if sc.points < 3:
        raise ParameterError(
            f"a {sc} scale has {sc.points} points: a rating can only be low or high, so "
            "there is no middle to compare with; penalty–reward needs 3 points or more")
    pos = [(x, float(sc.to_100(x))) for x in range(sc.lo, sc.hi + 1)]
    low_max = max(x for x, p in pos if p < LOW_BELOW)
    high_min = min(x for x, p in pos if p >= HIGH_FROM)
    if high_min - low_max < 2:  # short scales (3 points): one point per band
        low_max, high_min = sc.hi - 2, sc.hi
    return Bands(sc, low_max, high_min)


def _as_scale(value, what: str) -> Scale:
    if isinstance(value, Scale):
        return value
    try:
        return Scale.parse(value)
    except (ValueError, TypeError):
        raise ParameterError(f"{what}: got {value!r}; expected a scale such as '1-5', "
                             "'0-10' or [1, 7]") from None


# =========================================================================== result

_COLUMNS = ["label", "scale", "low", "high", "n", "n_low", "n_mid", "n_high",
            "penalty", "penalty_ci_low", "penalty_ci_high",
            "reward", "reward_ci_low", "reward_ci_high",
            "contrast", "contrast_ci_low", "contrast_ci_high", "category"]
_SHOWN = ["label", "low", "high", "n_low", "n_mid", "n_high", "penalty", "penalty_ci_low",
          "penalty_ci_high", "reward", "reward_ci_low", "reward_ci_high", "category"]
_SHARES = [c for c in _COLUMNS if c.startswith(("penalty", "reward", "contrast"))]


@dataclass(frozen=True)
class PenaltyReward:
    """Result of :func:`penalty_reward`.

    Attributes
    ----------
    table : DataFrame
        One row per factor (index ``factor``), must-be first, then delighters,
        performance, weak and not enough answers, each by ``penalty + reward``:
        ``label``, ``scale``, ``low`` and ``high`` (the bands' ratings, e.g. ``"1–3"``,
        ``"5"``), ``n`` (answers used that rate the factor), ``n_low``, ``n_mid``,
        ``n_high``; ``penalty`` (rise in the detractor share, 0…1, when rated low rather
        than middle) and ``reward`` (rise in the promoter share when rated high), each
        with ``_ci_low``/``_ci_high``; ``contrast`` = penalty − reward with its interval;
        ``category`` (:data:`CATEGORIES`). A side whose band has fewer than ``min_n``
        answers is empty.
    target : str
        The 0–10 score column.
    n : int
        Answers used; ``dropped`` input rows were not (no score, or a factor not rated
        under ``missing="complete"``).
    missing : str
    within : str or None
        The channel column when the models had a dummy per survey channel; None for one
        channel, or ``pool_channels=True``.
    n_within : tuple of (channel, n)
    cluster : str or None
        The column resampled by (``"client_id"``), or None when answers were resampled.
    n_clusters : int
        Clients (or answers) resampled.
    assumption : str
        What the intervals assume, in words; ``"answers assumed independent (…)"``
        without client ids.
    n_boot, level, seed, min_n, ratio
        As passed; ``failed`` resamples had a band or a middle without answers and were
        left out of that factor's intervals.
    bands : dict
        factor → :class:`Bands`.
    notes : tuple of str
        What the reader should know (factors not in the data, small bands …).
    lang : str
        Language of the labels and of :meth:`plot`'s text.
    members : dict or None
        In a report kernel (``CXLAB_LEDGER`` set, :mod:`cxlab.disclosure`): the answers
        behind ``n`` (the table's ``n``, ``n_low``, ``n_mid`` and ``n_high`` are recorded
        in its ``attrs``); None otherwise.
    """

    table: pd.DataFrame
    target: str
    n: int
    dropped: int
    missing: str
    within: str | None
    n_within: tuple
    cluster: str | None
    n_clusters: int
    assumption: str
    n_boot: int
    level: float
    seed: int | None
    min_n: int
    ratio: float
    failed: int
    bands: Mapping[str, Bands] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    lang: str = "en"
    members: disclosure.Members | None = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------------ views
    def of(self, category: str) -> list[str]:
        """The factors (columns) classified ``category``."""
        if category not in CATEGORIES:
            raise ParameterError(f"category={category!r}; expected one of "
                                 f"{', '.join(CATEGORIES)}")
        return self.table.index[self.table["category"] == category].tolist()

    @property
    def finding(self) -> str:
        """One sentence: the must-be and delighter factors, if any."""
        t = self.table
        parts = [f"{name.capitalize()}: {', '.join(t.loc[t['category'] == name, 'label'])}"
                 for name in ("must-be", "delighter") if (t["category"] == name).any()]
        return "; ".join(parts) if parts else "No factor shows a clear asymmetry"

    def _header(self) -> list[str]:
        within = ("; within " + str(self.within) + ": "
                  + ", ".join(f"{c if c is not None else '(none)'} {k}"
                              for c, k in self.n_within)) if self.within else ""
        return [
            (f"Penalty and reward of {self.target}: n = {self.n} (dropped {self.dropped}, "
             f"{self.missing} cases){within}"),
            (f"{self.level:.0%} percentile intervals, {self.n_boot} resamples: "
             f"{self.assumption}"),
            ("penalty: rise in the detractor share (0…1) when rated low rather than middle; "
             "reward: rise in the promoter share when rated high; must-be / delighter: one "
             f"side clear of zero, and clearly and at least {self.ratio:g}× larger than the "
             "other"),
        ]

    def summary(self) -> str:
        lines = [*self._header(), self.finding, ""]
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            lines.append(self.table[_SHOWN].to_string(
                float_format=lambda v: f"{v:.3f}", na_rep="—"))
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<PenaltyReward {self.target}: n={self.n}, {len(self.table)} factors; "
                f"{self.finding}>")

    def _repr_html_(self) -> str:
        fmt = {c: "{:.3f}".format for c in _SHOWN if c in _SHARES}
        body = self.table[_SHOWN].to_html(formatters=fmt, border=0, na_rep="—",
                                          classes="cxlab-asymmetry")  # escapes cells
        head = "".join(f"<p>{html.escape(line)}</p>" for line in self._header())
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<div><p><b>{html.escape(self.finding)}</b></p>{head}{body}"
                + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "") + "</div>")

    def plot(self, ax=None, lang: str | None = None):
        """Penalty × reward chart: see :func:`plot_penalty_reward`."""
        return plot_penalty_reward(self, ax=ax, lang=lang)


# =========================================================================== analysis

def penalty_reward(
    responses: pd.DataFrame,
    factors: Sequence[str] | None = None,
    *,
    target: str = "nps",
    study=None,
    scales: Mapping[str, Scale | str] | None = None,
    bands: Mapping[str, tuple[int, int]] | None = None,
    missing: str = "complete",
    min_n: int = 30,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
    cluster: str | None = "client_id",
    ratio: float = 1.5,
    labels: Mapping[str, str] | str | None = "en",
    pool_channels: bool = False,
    channel_col: str = "channel",
) -> PenaltyReward:
    """Penalty and reward of each loyalty factor, and which are must-be or delighters.

    Parameters
    ----------
    responses : DataFrame
        One row per answer: the 0–10 score ``target``, the factor ratings (empty = not
        applicable), optionally ``client_id`` and ``channel``.
    factors : list of str, optional
        Factor columns; default the study's declared factors present in the data
        (declared ones absent from it are listed in ``notes``), or every ``f_<id>``
        column when the data hold none of them.
    target : str
        The 0–10 recommendation score (detractor ≤ 6, promoter ≥ 9).
    study : Study or path, optional
        Where the factors, their labels and scales come from; default
        :func:`cxlab.study.default_study`.
    scales : mapping, optional
        column → scale (``"1-7"``, ``[0, 10]`` or a :class:`~cxlab.study.Scale`) for
        factors the study does not declare (or to override it).
    bands : mapping, optional
        column → ``(low_max, high_min)``: low is up to ``low_max``, high from
        ``high_min``; default :func:`bands_of` the factor's scale.
    missing : {"complete", "category"}
        ``"complete"``: answers with the score and every factor rated.
        ``"category"``: answers with the score and at least one factor; a factor not
        rated is its own category (a dummy), not a rating.
    min_n : int
        Fewest answers in a band (low, middle, high) for its side to be estimated and
        the factor classified.
    level : float
        Interval coverage.
    n_boot : int
        Bootstrap resamples (at least 100; 1,000 gives stable 95 % limits).
    seed : int, optional
        Bootstrap seed: same seed, same intervals.
    cluster : str or None
        Client id column; its clients are resampled. None: answers are.
    ratio : float
        How many times the other side a must-be's penalty (a delighter's reward) must
        be, besides the interval of their difference lying clear of zero.
    labels : mapping, "en", "ru" or None
        Factor labels, as in :func:`cxlab.drivers.key_drivers`.
    pool_channels : bool
        True: no channel dummies — answers of several survey channels pooled on purpose
        (noted).
    channel_col : str

    Returns
    -------
    PenaltyReward
        ``.table``, ``.finding``, ``.of("must-be")``, ``.summary()``, ``.plot()``.

    Raises
    ------
    ParameterError
        A factor not in the data or without a scale, ratings off the scale, a factor
        whose answers all fall in one band, no answers to analyse, bad options.
    """
    if not isinstance(responses, pd.DataFrame):
        raise ParameterError("expected a pandas DataFrame of responses, got "
                             f"{type(responses).__name__}")
    df = responses
    if missing not in MISSING:
        raise ParameterError(f"missing={missing!r}; expected one of {', '.join(MISSING)}")
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r}; expected a coverage between 0 and 1, e.g. 0.95")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise ParameterError(f"n_boot={n_boot!r}; expected a whole number of resamples, "
                             "at least 100 (1,000 for stable 95 % limits)")
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ParameterError(f"min_n={min_n!r}; expected a positive number of answers")
    if not (isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio >= 1):
        raise ParameterError(f"ratio={ratio!r}; expected a number ≥ 1 (1: any clear "
                             "difference counts; 1.5: one side at least half as large "
                             "again as the other)")
    st = load_study(study)
    notes: list[str] = []
    factors = _factors(df, factors, st, target, notes)
    if target not in df.columns:
        raise ParameterError(f"score column {target!r} not in the data; columns present: "
                             f"{', '.join(map(str, df.columns))}")
    y = _score(df, target)
    fbands = {f: _bands_for(f, st, scales, bands) for f in factors}
    R = {f: _ratings(df, f, fbands[f]) for f in factors}

    rated = np.column_stack([~np.isnan(R[f]) for f in factors])
    keep = ~np.isnan(y) & (rated.all(axis=1) if missing == "complete" else rated.any(axis=1))
    n = int(keep.sum())
    if n == 0:
        answered = int((~np.isnan(y)).sum())
        raise ParameterError(
            f"no answers to analyse: {answered} of {len(df)} rows have a {target!r} score"
            + (f", none of them with every factor rated ({', '.join(factors)}); try "
               "missing='category' or fewer factors" if answered and missing == "complete"
               else ", none of them with a factor rated" if answered else ""))
    if n < min_n:
        raise ParameterError(
            f"only {n} answers to analyse ({target!r} and "
            f"{'every factor' if missing == 'complete' else 'a factor'} answered), fewer "
            f"than min_n = {min_n}: penalty and reward from so few answers are noise")
    y = y[keep]
    codes = {f: _band_codes(R[f][keep], fbands[f]) for f in factors}  # 0 low 1 mid 2 high, -1 NA
    for f in factors:
        c = codes[f][codes[f] >= 0]
        if not len(c):
            raise ParameterError(
                f"{f}: not rated in any of the {n} answers used (empty = not applicable); "
                "leave it out of factors=[...]")
        if len(np.unique(c)) < 2:
            band = ("low", "middle", "high")[int(c[0])]
            b = fbands[f]
            raise ParameterError(
                f"{f}: every one of its {len(c)} ratings is {band} "
                f"({getattr(b, band)} of {b.scale}): a "
                "factor everyone rates alike has nothing to compare; leave it out of "
                "factors=[...] or set its bands=")

    # channels, in the study's order
    within, n_within = None, ()
    chan = np.zeros(n, dtype=np.int64)  # each answer's channel: index into ``order``
    order: list = []
    if channel_col in df.columns:
        ch_codes, uniq = pd.factorize(df.loc[keep, channel_col].astype("string")
                                      .fillna(_NO_CHANNEL), sort=False)
        levels = [str(c) for c in uniq]  # in order of first appearance
        if len(levels) > 1:
            if pool_channels:
                notes.append(f"answers from {len(levels)} survey channels pooled "
                             "(pool_channels=True): channel level differences add noise")
            else:
                order = _channel_order(levels, st, channel_col)
                within = channel_col
                at = np.array([order.index(c) for c in levels], dtype=np.int64)
                chan = at[ch_codes]
                per_level = np.bincount(chan, minlength=len(order))
                n_within = tuple((None if c == _NO_CHANNEL else c, int(per_level[i]))
                                 for i, c in enumerate(order))
    ycls = np.where(y < PASSIVE_MIN, 0, np.where(y >= PROMOTER_MIN, 2, 1)).astype(np.int8)

    # Each answer's design row and outcomes are a function of its pattern (its factors'
    # bands, its channel, its class): the models are fitted on the distinct patterns,
    # each weighted by how many answers have it — the same sums of squares as over the
    # answers, in memory that does not grow with them.
    pid, rep, weight = _patterns([codes[f] for f in factors] + [chan, ycls])
    pcodes = {f: codes[f][rep] for f in factors}

    # design: intercept, per factor low / high (/ not applicable), channel dummies
    columns, parts = ["const"], [np.ones(len(rep))]
    counts = {}
    for f in factors:
        c = codes[f]
        nl, nm, nh = (int((c == k).sum()) for k in (0, 1, 2))
        counts[f] = (int((c >= 0).sum()), nl, nm, nh)
        for k, name in ((0, "low"), (2, "high")):
            if (c == k).any() and nm:
                columns.append((f, name))
                parts.append((pcodes[f] == k).astype(float))
        if (c < 0).any():
            columns.append((f, "na"))
            parts.append((pcodes[f] < 0).astype(float))
    for i, c in enumerate(order[1:], start=1):
        columns.append(("channel", c))
        parts.append((chan[rep] == i).astype(float))
    X = np.column_stack(parts)  # one row per pattern
    Y = np.column_stack([ycls[rep] == 0, ycls[rep] == 2]).astype(float)
    rank = np.linalg.matrix_rank(X)  # the answers' rows are these rows, repeated
    if rank < X.shape[1]:
        raise ParameterError(
            "the factors' bands are collinear on the answers used (e.g. two factors rated "
            "in the same band by every answer, or a band that always comes with a "
            "channel): penalty and reward cannot be told apart; leave one factor out")
    root = np.sqrt(weight.astype(float))[:, None]
    beta = np.linalg.lstsq(X * root, Y * root, rcond=None)[0]

    # cluster bootstrap
    dsg = _design.design(df.loc[keep, [cluster] if cluster in df.columns else []], cluster)
    if dsg.codes is not None:
        clus = dsg.codes
        n_clusters = int(clus.max()) + 1
        per = n / n_clusters
        assumption = (f"clients resampled by {cluster} ({n_clusters} clients, {per:.1f} "
                      "answers each): one client's answers may depend on each other; "
                      "clients are assumed independent of each other")
    else:
        clus = np.arange(n)
        n_clusters = n
        assumption = f"answers assumed independent ({dsg.reason}); answers resampled"
    boots = _bootstrap(X, Y, pid, clus, n_clusters, columns, pcodes, n_boot, seed)

    # table
    st_labels = _labels_for(factors, labels, st)
    alpha = (1 - level) / 2
    rows = {}
    failed = 0
    for f in factors:
        nf, nl, nm, nh = counts[f]
        b = fbands[f]
        row = {"label": st_labels[f], "scale": str(b.scale), "low": b.low, "high": b.high,
               "n": nf, "n_low": nl, "n_mid": nm, "n_high": nh}
        est = {"penalty": (nl >= min_n and nm >= min_n, (f, "low"), 0),
               "reward": (nh >= min_n and nm >= min_n, (f, "high"), 1)}
        draws = {}
        for side, (ok, col, j) in est.items():
            if ok:
                i = columns.index(col)
                draws[side] = boots[:, i, j]
                row[side] = float(beta[i, j])
                row[f"{side}_ci_low"], row[f"{side}_ci_high"] = _quantiles(draws[side], alpha)
                failed = max(failed, int(np.isnan(draws[side]).sum()))
            else:
                row[side] = row[f"{side}_ci_low"] = row[f"{side}_ci_high"] = np.nan
        if len(draws) == 2:
            row["contrast"] = row["penalty"] - row["reward"]
            row["contrast_ci_low"], row["contrast_ci_high"] = _quantiles(
                draws["penalty"] - draws["reward"], alpha)
        else:
            row["contrast"] = row["contrast_ci_low"] = row["contrast_ci_high"] = np.nan
        row["category"] = _classify(row, len(draws) == 2, ratio)
        rows[f] = row
        small = [name for name, k in (("low", nl), ("middle", nm), ("high", nh)) if k < min_n]
        if small:
            notes.append(f"{st_labels[f]} ({f}): fewer than {min_n} answers in its "
                         f"{' and '.join(small)} band ({nl} low {b.low}, {nm} middle "
                         f"{b.middle}, {nh} high {b.high}): not classified")
    table = pd.DataFrame.from_dict(rows, orient="index")[_COLUMNS]
    table.index.name = "factor"
    order = {c: i for i, c in enumerate(CATEGORIES)}
    impact = table["penalty"].fillna(0) + table["reward"].fillna(0)
    table = table.assign(_o=table["category"].map(order), _i=-impact).sort_values(
        ["_o", "_i"], kind="stable").drop(columns=["_o", "_i"])
    if failed:
        notes.append(f"{failed} of {n_boot} resamples had a band or a middle without "
                     "answers for some factor and were left out of its intervals")
    used = None
    if _members.active():  # report kernels only (cxlab.disclosure)
        ids = _members.ids_of(df, "answers", keep)
        if ids is not None:
            sets = disclosure.Subsets("answers", ids)  # hashed once for the 4 × factors
            used = sets.of()
            for col, k in (("n", None), ("n_low", 0), ("n_mid", 1), ("n_high", 2)):
                _members.attach(table, col, {
                    f: sets.of((codes[f] >= 0) if k is None else (codes[f] == k))
                    for f in table.index})
    lang = labels if isinstance(labels, str) else "en"
    return PenaltyReward(
        table=table, target=target, n=n, dropped=len(df) - n, missing=missing,
        within=within, n_within=n_within, cluster=cluster if dsg.codes is not None else None,
        n_clusters=n_clusters, assumption=assumption, n_boot=int(n_boot), level=level,
        seed=seed, min_n=int(min_n), ratio=float(ratio), failed=failed, bands=fbands,
        notes=tuple(notes), lang=lang, members=used)


# =========================================================================== parts

def _factors(df, factors, st: Study, target: str, notes: list) -> list[str]:
    if factors is None:
        factors, left_out = _default_factors(df, st)
        if not factors:
            raise ParameterError(
                "no loyalty-factor columns (named f_<id>, e.g. f_safety) in the data and "
                f"none of the study's factors ({st.source}); columns present: "
                f"{', '.join(map(str, df.columns))}. Pass factors=[...]")
        absent = [c for c in st.factor_columns if c not in df.columns]
        if absent and any(c in df.columns for c in st.factor_columns):
            notes.append(f"declared in the study but not in the data: {', '.join(absent)}")
        if left_out:
            notes.append(f"{', '.join(left_out)} not declared as factors in the study "
                         f"({st.source}): left out; declare them or pass factors=[...]")
        return list(factors)
    if isinstance(factors, str):
        factors = [factors]
    factors = list(dict.fromkeys(factors))
    if not factors:
        raise ParameterError("factors is empty: name at least one factor column")
    absent = [c for c in factors if c not in df.columns]
    if absent:
        raise ParameterError(
            f"factor column(s) {', '.join(map(repr, absent))} not in the data; columns "
            f"present: {', '.join(map(str, df.columns))}")
    if target in factors:
        raise ParameterError(f"the score {target!r} is also listed among the factors")
    return factors


def _score(df: pd.DataFrame, target: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(df[target]):
        raise ParameterError(
            f"column {target!r} is a yes/no recommendation: it has no passives, so a "
            "penalty (more detractors) and a reward (more promoters) are one and the same "
            "effect; use the 0–10 score")
    y = _numeric(df, target)
    ok = ~np.isnan(y)
    bad = ok & ((y < 0) | (y > 10) | (y != np.round(y)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"column {target!r}, row {i + 1}: got {y[i]:g}; expected the 0–10 "
            "recommendation score (whole numbers 0…10): penalty and reward are changes in "
            "the detractor (0–6) and promoter (9–10) shares")
    return y


def _bands_for(f: str, st: Study, scales, bands) -> Bands:
    sc = None
    if scales is not None and f in scales:
        sc = _as_scale(scales[f], f"scales[{f!r}]")
    else:
        sc = st.scale_of(f)
    if sc is None:
        raise ParameterError(
            f"{f}: no scale declared in the study ({st.source}), so low and high ratings "
            "cannot be told apart; declare it (factors → <id> → scale: 1-5) or pass "
            f"scales={{{f!r}: '1-7'}}")
    if bands is not None and f in bands:
        b = bands[f]
        if not (isinstance(b, (tuple, list)) and len(b) == 2):
            raise ParameterError(f"bands[{f!r}]: got {b!r}; expected (low_max, high_min), "
                                 "e.g. (2, 5) for low 1–2 and high 5")
        return Bands(sc, int(b[0]), int(b[1]))
    return bands_of(sc)


def _ratings(df: pd.DataFrame, f: str, b: Bands) -> np.ndarray:
    x = _numeric(df, f)
    ok = ~np.isnan(x)
    sc = b.scale
    bad = ok & ((x < sc.lo) | (x > sc.hi) | (x != np.round(x)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"column {f!r}, row {i + 1}: got {x[i]:g}; expected a whole-number rating on "
            f"its scale {sc} (empty = not applicable). Declare the scale the question was "
            "asked on (study, or scales=)")
    return x


def _band_codes(x: np.ndarray, b: Bands) -> np.ndarray:
    out = np.full(len(x), -1, dtype=np.int8)
    ok = ~np.isnan(x)
    out[ok] = np.where(x[ok] <= b.low_max, 0, np.where(x[ok] >= b.high_min, 2, 1))
    return out


def _channel_order(levels: list, st: Study, channel_col: str) -> list:
    codes = [c for c in levels if c != _NO_CHANNEL]
    order = list(st.channels.order(codes)) if channel_col == "channel" else sorted(codes)
    order += [c for c in codes if c not in order]
    return order + ([_NO_CHANNEL] if _NO_CHANNEL in levels else [])


def _bootstrap(X, Y, pid, clus, n_clusters, columns, codes, n_boot, seed):
    """Coefficients of both models over cluster resamples: ``(n_boot, p, 2)``; NaN where
    a resample has no answer in a factor's band or middle (its coefficient undefined).
    ``X``, ``Y`` and ``codes`` are per pattern; ``pid`` is each answer's pattern and
    ``clus`` its client.

    A resample is a count per client (how often it was drawn); the normal equations of
    the refit are the counts times each client's own cross-products ``X_c'[X_c Y_c]``
    (``X'X``'s upper triangle only), so a resample costs one product of the counts, not a
    pass over the answers.

    Clients whose answers have the same patterns (a design of dummies has few distinct
    rows, so most clients share theirs with many others) have the same cross-products:
    a resample counts clients per such class (:mod:`cxlab._resample`), so its cost does
    not grow with the clients. The same bootstrap distribution, and the normal equations
    equal to rounding."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    p = X.shape[1]
    # X'X is symmetric: its upper triangle, then X'Y
    iu, ju = np.triu_indices(p)
    tri = len(iu)
    per_pattern = np.hstack([X[:, iu] * X[:, ju],
                             (X[:, :, None] * Y[:, None, :]).reshape(len(X), 2 * p)])
    # answers in each estimated band and in its factor's middle
    checks = [(i, codes[c[0]] == (0 if c[1] == "low" else 2), codes[c[0]] == 1)
              for i, c in enumerate(columns)
              if isinstance(c, tuple) and c[0] in codes and c[1] in ("low", "high")]
    band = (np.column_stack([m for _, a, b in checks for m in (a, b)]).astype(float)
            if checks else np.empty((len(X), 0)))
    cls, sizes, rows = _resample.client_classes(pid, clus, n_clusters)
    k = len(sizes)
    # each class's answers by pattern (those of the class's first client), then sums
    N = sparse.csr_matrix((np.ones(int(rows.sum())), (cls[clus[rows]], pid[rows])),
                          shape=(k, len(X)))
    per_class = np.asarray(N @ per_pattern)
    band_n = np.asarray(N @ band) if checks else None
    out = np.empty((n_boot, p, 2))
    chunk = max(1, min(n_boot, 2_000_000 // max(k, 1)))
    with progress.task("penalty/reward: bootstrap", n_boot, unit="resamples") as bar:
        for start in range(0, n_boot, chunk):
            m = min(chunk, n_boot - start)
            K = _resample.counts(rng, cls, sizes, n_clusters, m)
            S = K @ per_class
            G = np.empty((m, p, p))
            G[:, iu, ju] = S[:, :tri]
            G[:, ju, iu] = S[:, :tri]
            rhs = S[:, tri:].reshape(m, p, 2)
            try:
                coef = np.linalg.solve(G, rhs)
            except np.linalg.LinAlgError:  # a dummy without answers in some resample
                coef = np.stack([np.linalg.lstsq(G[j], rhs[j], rcond=None)[0]
                                 for j in range(m)])
            if checks:
                seen = K @ band_n
                for j, (i, _, _) in enumerate(checks):
                    gone = (seen[:, 2 * j] == 0) | (seen[:, 2 * j + 1] == 0)
                    coef[gone, i] = np.nan
            out[start:start + m] = coef
            bar.advance(m)
    return out


def _patterns(parts: list[np.ndarray]):
    """The distinct rows of the integer columns ``parts``: ``(pid, rep, counts)`` — each
    row's pattern (``0 … A-1``), the first row of each pattern, and its rows' number.

    The columns are combined into one integer key (mixed radix) when it fits in 62 bits,
    into a matrix for :func:`numpy.unique` otherwise; exact either way."""
    cols = [np.asarray(c, dtype=np.int64) for c in parts]
    cols = [c - c.min() for c in cols] if len(cols[0]) else cols
    radix = [int(c.max()) + 1 if len(c) else 1 for c in cols]
    if sum(math.log2(r) for r in radix) < 62:
        key = np.zeros(len(cols[0]), dtype=np.int64)
        for c, r in zip(cols, radix):
            key *= r
            key += c
        _, rep, pid, counts = np.unique(key, return_index=True, return_inverse=True,
                                        return_counts=True)
    else:
        _, rep, pid, counts = np.unique(np.column_stack(cols), axis=0, return_index=True,
                                        return_inverse=True, return_counts=True)
    return np.asarray(pid, dtype=np.int64).reshape(-1), rep, counts


def _quantiles(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    d = draws[~np.isnan(draws)]
    if not len(d):
        return np.nan, np.nan
    lo, hi = np.quantile(d, [alpha, 1 - alpha])
    return float(lo), float(hi)


def _classify(row: dict, both: bool, ratio: float) -> str:
    if not both:
        return "not enough answers"
    p, r = row["penalty"], row["reward"]
    clear_p, clear_r = row["penalty_ci_low"] > 0, row["reward_ci_low"] > 0
    if not (clear_p or clear_r):
        return "weak"
    if clear_p and row["contrast_ci_low"] > 0 and p >= ratio * r:
        return "must-be"
    if clear_r and row["contrast_ci_high"] < 0 and r >= ratio * p:
        return "delighter"
    return "performance"


# =========================================================================== chart

#: The chart's words (the report's own strings live in cxlab/locale).
_TEXT = {
    "en": {"x": "Penalty: rise in the detractor share when rated low, points",
           "y": "Reward: rise in the promoter share when rated high, points",
           "title": "Must-be or delighter? n = {n}",
           "must-be": "must-be", "delighter": "delighter", "performance": "linear",
           "weak": "weak", "equal": "penalty = reward"},
    "ru": {"x": "Штраф: рост доли критиков при низкой оценке, п. п.",
           "y": "Награда: рост доли промоутеров при высокой оценке, п. п.",
           "title": "Обязательное или восхищающее? n = {n}",
           "must-be": "обязательное", "delighter": "восхищающее",
           "performance": "линейное", "weak": "слабое", "equal": "штраф = награда"},
}
#: colour-blind-safe (seaborn "colorblind"): vermillion, blue, green, grey
_COLOURS = {"must-be": "#D55E00", "delighter": "#0072B2", "performance": "#009E73",
            "weak": "#9e9e9e"}


def plot_penalty_reward(result: PenaltyReward, ax=None, lang: str | None = None):
    """Penalty (x) against reward (y), in percentage points, with their intervals.

    Points below the diagonal lose more when rated low than they earn when rated high
    (must-be side), above it the reverse (delighter side); the dotted lines are
    ``ratio`` times. Factors not classified (not enough answers) are left out; the
    table names them.

    Parameters
    ----------
    result : PenaltyReward
    ax : matplotlib Axes, optional
    lang : {"en", "ru"}, optional
        Language of the axis text; default the result's (its ``labels=``).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    lang = lang or result.lang
    if lang not in _TEXT:
        raise ParameterError(f"lang={lang!r}; expected one of {', '.join(_TEXT)}")
    words = _TEXT[lang]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    t = result.table[result.table["category"] != "not enough answers"]
    pts = 100 * t[_SHARES[:6]]
    for cat, colour in _COLOURS.items():
        rows = pts[t["category"] == cat]
        if rows.empty:
            continue
        ax.errorbar(rows["penalty"], rows["reward"],
                    xerr=[rows["penalty"] - rows["penalty_ci_low"],
                          rows["penalty_ci_high"] - rows["penalty"]],
                    yerr=[rows["reward"] - rows["reward_ci_low"],
                          rows["reward_ci_high"] - rows["reward"]],
                    fmt="o", color=colour, ecolor=colour, alpha=0.9, elinewidth=1,
                    capsize=2, label=words[cat])
    for f, row in pts.iterrows():
        ax.annotate(t.loc[f, "label"], (row["penalty"], row["reward"]),
                    textcoords="offset points", xytext=(5, 4), fontsize=8)
    top = float(np.nanmax([pts.to_numpy().max() if len(pts) else 0, 1.0])) * 1.1
    bottom = min(0.0, float(np.nanmin(pts.to_numpy())) * 1.1 if len(pts) else 0.0)
    grid = np.array([bottom, top])
    ax.plot(grid, grid, ls="--", lw=1, color="#555555", label=words["equal"])
    for slope in (result.ratio, 1 / result.ratio):
        ax.plot(grid, slope * grid, ls=":", lw=1, color="#999999")
    ax.set_xlim(bottom, top)
    ax.set_ylim(bottom, top)
    ax.axhline(0, lw=0.5, color="#bbbbbb")
    ax.axvline(0, lw=0.5, color="#bbbbbb")
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    ax.set_title(words["title"].format(n=result.n), loc="left", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax
