"""Charts in one house style (seaborn).

Every function takes a tidy table (one row per group or period, the columns named by
arguments), draws on ``ax`` (a new figure when ``None``) and returns the axes, in the
manner of seaborn's axes-level functions. The house style:

- readable sizes (:func:`set_style`), the colour-blind-safe seaborn ``"colorblind"``
  palette;
- an interval band or error bar on every estimate, and axis labels with units;
- groups with fewer than ``min_n`` answers are not drawn: their place is kept and labelled
  "n < 30" (``suppress=True``, the default, because every chart may end up in a
  stakeholder report, where no figure from fewer than ``min_n`` answers may appear);
  ``suppress=False`` draws them grey and hollow for an analyst's own exploration. A
  comparison whose *reference* group is the small one says so ("reference n < 30"), as the
  table beside it does;
- no counts of people on a chart (no "n=123" in a label): the table beside each chart
  carries n, where the disclosure rule (:mod:`cxlab.suppression`) applies to it;
- every word and number in the report language ``lang``: labels from the message
  catalogue, tick labels written as the tables write numbers
  (:func:`cxlab.report.formats.fmt_num`: decimal comma and thin-space thousands in
  Russian, a typographic minus), months named in ``lang``;
- a text alternative for readers who cannot see the image (:func:`alt_text`), in ``lang``:
  what the chart shows and its figures; :func:`cxlab.report.show` writes it as the
  image's ``alt``;
- a title that states the finding: pass ``title=`` (notebooks build it from the numbers,
  e.g. with :mod:`cxlab.report`'s narration); the default names what is shown.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from cxlab import i18n
from cxlab.errors import ParameterError

PALETTE = "colorblind"
GREY = "#9e9e9e"
#: Promoters, passives, detractors: colour-blind-safe blue / grey / vermillion.
PND_COLOURS = ("#0072B2", "#BBBBBB", "#D55E00")


def set_style(context: str = "notebook", font_scale: float = 1.1) -> None:
    """The cxlab house style: whitegrid, colour-blind palette, readable fonts, crisp PNGs."""
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE, font_scale=font_scale,
                  rc={
                      "figure.figsize": (8.0, 4.5),
                      "figure.dpi": 100,
                      "savefig.dpi": 100,
                      "axes.titlesize": "large",
                      "axes.titleweight": "bold",
                      "axes.titlelocation": "left",
                      "axes.spines.top": False,
                      "axes.spines.right": False,
                      "legend.frameon": False,
                      # labels are data (codes, factor labels, categories as written):
                      # "$…$" in one is text, not mathtext that could break the chart
                      "text.parse_math": False,
                  })


def _ax(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _need(table: pd.DataFrame, columns, where: str) -> None:
    missing = [c for c in columns if c is not None and c not in table.columns]
    if missing:
        raise ParameterError(
            f"{where}: the table lacks column(s) {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(str, table.columns))}"
        )


def _small(table: pd.DataFrame, n: str | None, min_n: int) -> np.ndarray:
    """Rows whose estimate is not drawn: the reliability rule of :mod:`cxlab.suppression`."""
    from cxlab.suppression import too_few

    if n is None or n not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return too_few(table[n], min_n)


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype(float).to_numpy()


# ------------------------------------------------------------------ the reader's language

def _fmt(value, digits: int, lang: str, sign: bool = False) -> str:
    # the tables' number format; imported here, not at the top: cxlab.report imports the
    # notebooks' helpers, which import this module
    from cxlab.report.formats import fmt_num

    return fmt_num(value, digits, lang, sign)


def _decimals(values) -> int:
    """The fewest decimals (0–4) that write every one of ``values`` exactly."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0
    tol = 1e-6 * max(1.0, float(np.abs(v).max()))
    for d in range(5):
        if np.all(np.abs(np.round(v, d) - v) < tol):
            return d
    return 4


class _ReaderNumbers(mticker.Formatter):
    """Tick labels written as the report's tables write numbers (decimal comma in Russian,
    typographic minus, thin-space thousands), with as many decimals as the ticks need;
    ``scale`` and ``suffix`` make shares read as percentages."""

    def __init__(self, lang: str, scale: float = 1.0, suffix: str = ""):
        self.lang, self.scale, self.suffix = lang, scale, suffix
        self._ticks = np.array([], dtype=float)

    def set_locs(self, locs):
        # the axis calls this with every tick before formatting them (one number of
        # decimals for all); kept here, matplotlib's own attribute is going private
        self._ticks = np.asarray(locs, dtype=float)

    def __call__(self, x, pos=None):
        locs = (self._ticks if self._ticks.size else np.array([x], dtype=float)) * self.scale
        return _fmt(x * self.scale, _decimals(locs), self.lang) + self.suffix


def _reader_numbers(ax, lang: str, axis: str = "y", scale: float = 1.0, suffix: str = ""):
    """Write ``axis``'s ("x", "y") tick labels in the report language."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(_ReaderNumbers(lang, scale, suffix))


def _month_names(ax, lang: str) -> None:
    """Date ticks of a monthly chart as "Jul 2026" / "июл 2026" (the catalogue's month
    abbreviations, not the process's locale)."""
    import matplotlib.dates as mdates

    names = str(i18n.t("plot.month_abbr", lang)).split()

    def month(x, pos=None):
        d = mdates.num2date(x)
        return f"{names[d.month - 1]} {d.year}"

    ax.xaxis.set_major_formatter(mticker.FuncFormatter(month))


def describe(ax, text: str):
    """Give the chart on ``ax`` its text alternative (the image's ``alt`` in the report:
    what the chart shows and its figures, in the report language). Returns ``ax``."""
    ax.figure._cxlab_alt = " ".join(str(text).split())
    return ax


def alt_text(ax_or_fig) -> str | None:
    """The text alternative a chart function gave its figure (:func:`describe`), or
    None."""
    fig = getattr(ax_or_fig, "figure", None) if not hasattr(ax_or_fig, "savefig") else ax_or_fig
    fig = fig if fig is not None else ax_or_fig
    return getattr(fig, "_cxlab_alt", None)


def _digits_for(values) -> int:
    """Decimals a reader needs for figures of this size: none from 10 up (NPS points),
    one from 1, two below (a difference of mean ratings)."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 0.0
    return 0 if top >= 10 else 1 if top >= 1 else 2


def _sentence(text) -> str:
    """A title or note as a sentence fragment for an alt text (no trailing full stop)."""
    return " ".join(str(text).split()).rstrip(" .")


def _points(labels, est, lo, hi, hidden, lang: str, digits: int = 0, scale: float = 1.0,
            suffix: str = "", sign: bool = False) -> str:
    """"Phone: 52 [46, 57]; Web form: n < 30" — a chart's figures for its alt text."""
    sep = "; " if lang == "ru" else ", "
    out = []
    for lab, e, a, b, h in zip(labels, est, lo, hi, hidden):
        if h:
            out.append(f"{lab}: {h}")
        elif np.isfinite(e):
            out.append(f"{lab}: {_fmt(e * scale, digits, lang, sign)}{suffix} "
                       f"[{_fmt(a * scale, digits, lang, sign)}{sep}{_fmt(b * scale, digits, lang, sign)}]")
    return "; ".join(out)


#: Index levels / columns whose codes always get a reader's label (the study's, see
#: :func:`cxlab.i18n.use_study`, or the message catalogue's). Any other level is labelled
#: when the study labels its codes (a segment such as region or store), else shown as is.
CODE_KINDS = ("channel", "survey", "origin", "importance", "source", "cohort", "nps_group")


def _in_study_order(table: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """Groups named by the index in the study's order of codes, as the report's tables."""
    st = i18n.active_study()
    return table if group is not None or st is None else st.order_rows(table)


def _label(kind: str | None, value, lang: str) -> str:
    if kind is None:
        return str(value)
    if kind in CODE_KINDS or value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return i18n.label(kind, value, lang)  # a missing code: "(not recorded)"
    own = i18n.study_label(kind, value, lang)
    return own if own is not None else str(value)


def _group_labels(table: pd.DataFrame, group: str | None, kind: str | None, lang: str) -> list[str]:
    """Readable group names: codes translated by their level's (or ``kind``'s) catalogue."""
    if group is not None:
        return [_label(kind or group, v, lang) for v in table[group]]
    idx = table.index
    if isinstance(idx, pd.MultiIndex):
        return [" · ".join(_label(name, v, lang) for name, v in zip(idx.names, tup)) for tup in idx]
    return [_label(kind or idx.name, v, lang) for v in idx]


def nps_trend(table: pd.DataFrame, x: str = "quarter", y: str = "nps", lo: str = "ci_low",
              hi: str = "ci_high", hue: str | None = "channel", n: str | None = "n", min_n: int = 30,
              hue_kind: str | None = "channel", lang: str = "en", title: str | None = None,
              suppress: bool = True, ax=None):
    """NPS over periods with its interval band; one line per ``hue`` group (e.g. channel).

    Periods with fewer than ``min_n`` answers leave a gap in the line and band; with
    ``suppress=False`` they are drawn as hollow grey points. Returns the axes.
    """
    if x not in table.columns or (hue is not None and hue not in table.columns):
        table = table.reset_index()  # nps_trend tables carry channel and quarter in the index
    if hue is not None and hue not in table.columns:
        hue = None
    _need(table, [x, y, lo, hi, hue], "nps_trend")
    ax = _ax(ax)
    data = table
    periods = list(dict.fromkeys(map(str, data[x])))
    pos = {p: i for i, p in enumerate(periods)}
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=True, observed=True))
    colours = sns.color_palette(PALETTE, max(len(groups), 1))
    for (key, g), colour in zip(groups, colours):
        g = g.assign(_x=[pos[str(v)] for v in g[x]]).sort_values("_x")
        small = _small(g, n, min_n)
        xs, ys, l, h = g["_x"].to_numpy(), _num(g[y]), _num(g[lo]), _num(g[hi])
        label = None if key is None else i18n.label(hue_kind, key, lang) if hue_kind else str(key)
        ok = ~small
        ax.plot(xs[ok], ys[ok], marker="o", color=colour, label=label, lw=2)
        ax.fill_between(xs, np.where(ok, l, np.nan), np.where(ok, h, np.nan), color=colour,
                        alpha=0.2, lw=0)
        if small.any() and not suppress:
            ax.errorbar(xs[small], ys[small], yerr=[ys[small] - l[small], h[small] - ys[small]],
                        fmt="o", mfc="white", color=GREY, capsize=3)
    ax.set_xticks(range(len(periods)), periods)
    ax.axhline(0, color="black", lw=0.8, alpha=0.5)
    ax.set_xlabel(i18n.t("plot.quarter", lang))
    ax.set_ylabel(i18n.t("plot.nps_points", lang))
    _reader_numbers(ax, lang, "y")
    title = title or i18n.t("plot.nps_trend_title", lang)
    _title(ax, title)
    if hue is not None:
        ax.legend(loc="best")
    _note_small(ax, any(_small(data, n, min_n)), min_n, lang, suppress)
    last = data[[str(v) == periods[-1] for v in data[x]]] if periods else data.iloc[:0]
    small = _small(last, n, min_n)
    names = ([None] * len(last) if hue is None else
             [i18n.label(hue_kind, k, lang) if hue_kind else str(k) for k in last[hue]])
    describe(ax, i18n.t("alt.nps_trend", lang, title=_sentence(title), first=periods[0] if periods else "",
                        last=periods[-1] if periods else "",
                        figures=_points([nm or periods[-1] for nm in names], _num(last[y]),
                                        _num(last[lo]), _num(last[hi]),
                                        [f"n < {min_n}" if s else "" for s in small], lang)))
    return ax


def _note_small(ax, any_small: bool, min_n: int, lang: str, suppress: bool = True,
                ref_small: bool = False, extra: tuple[str, ...] = ()) -> None:
    """The chart's footnote: why groups are not drawn (too few answers; a comparison's
    reference too small) and any ``extra`` lines (e.g. what the intervals are)."""
    lines = []
    if any_small:
        key = "plot.small_n_suppressed" if suppress else "plot.small_n_note"
        lines.append(i18n.t(key, lang, min_n=min_n))
    if ref_small:
        key = "plot.ref_small_suppressed" if suppress else "plot.ref_small_note"
        lines.append(i18n.t(key, lang, min_n=min_n))
    lines += [str(e) for e in extra if e]
    if lines:
        import textwrap

        width = int(7 * ax.figure.get_figwidth())  # characters of small print per line
        text = "\n".join(w for line in lines for w in textwrap.wrap(line, width))
        ax.annotate(text, xy=(1, 0),
                    xycoords="axes fraction", xytext=(0, -42), textcoords="offset points",
                    ha="right", va="top", fontsize="small", color=GREY)


def _title(ax, text: str, width: int = 70) -> None:
    """Set a title that states the finding, wrapped so it never widens the figure."""
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(str(text), width)) if text else "")


def estimates(table: pd.DataFrame, y: str, lo: str, hi: str, n: str | None = "n",
              min_n: int = 30, group: str | None = None, kind: str | None = None,
              lang: str = "en", xlabel: str = "", title: str | None = None,
              reference: float | None = None, colour=None, small_col: str = "small_n",
              suppress: bool = True, scale: float = 1.0, suffix: str = "",
              digits: int | None = None, sign: bool = False, note: str = "",
              alt: str | None = None, ax=None):
    """Point estimates with error bars, one row per group (horizontal).

    Groups under ``min_n`` are labelled "n < min_n" and not drawn; a row flagged in
    ``small_col`` whose own n reaches ``min_n`` (a comparison whose *reference* group is
    small) is labelled "reference n < min_n" and not drawn either. With
    ``suppress=False`` both are drawn grey and hollow. No label carries a count of people:
    the table beside the chart does. ``scale`` and ``suffix`` write the axis as the
    tables do (``scale=100, suffix="%"`` for shares); ``digits`` (default: as the figures
    need) and ``sign`` the figures in the alt text; ``note`` adds a footnote line (e.g.
    what the intervals are); ``alt`` is the alt text's opening (default: the title).

    The general form of :func:`nps_by_group` and :func:`cohort_gaps`.
    """
    _need(table, [y, lo, hi, group], "estimates")
    table = _in_study_order(table, group)
    if n is not None and n in table.columns:  # a group without answers has nothing to draw
        table = table[pd.to_numeric(table[n], errors="coerce").fillna(0) > 0]
    labels = _group_labels(table, group, kind, lang)
    ys = np.arange(len(table))[::-1]
    est, l, h = (_num(table[c]) * scale for c in (y, lo, hi))
    own_small = _small(table, n, min_n)
    ref_small = np.zeros(len(table), dtype=bool)
    if small_col in table.columns:  # e.g. a comparison whose reference group is small
        ref_small = table[small_col].fillna(True).to_numpy(dtype=bool) & ~own_small
    small = own_small | ref_small
    why = [f"n < {min_n}" if o else str(i18n.t("text.ref_small", lang, min_n=min_n)) if r else ""
           for o, r in zip(own_small, ref_small)]
    # why a row is empty is written in the row itself (suppressed), or after the group's
    # name when it is drawn grey (suppress=False)
    ticks = [f"{lab}  ({w})" if w and not suppress else lab for lab, w in zip(labels, why)]
    # long group names (channel · cohort) get a wider figure, so the intervals keep room;
    # the title, which starts where the axes do, wraps to the room the names leave
    longest = max((len(t) for t in ticks), default=0)
    width = min(max(8.0, 4.5 + 0.09 * longest), 11.0)
    title_chars = max(30, min(70, int((width - 0.085 * longest - 0.3) / 0.12)))
    ax = _ax(ax, figsize=(width, 0.5 * len(table) + 1.6))
    colour = colour or sns.color_palette(PALETTE)[0]
    for i in range(len(table)):
        if small[i] and suppress:
            continue
        c = GREY if small[i] else colour
        ax.errorbar(est[i], ys[i], xerr=[[est[i] - l[i]], [h[i] - est[i]]], fmt="o", color=c,
                    mfc="white" if small[i] else c, capsize=4, ms=7, lw=2)
    ax.set_yticks(ys, ticks)
    if suppress:
        for i in np.flatnonzero(small):
            ax.text(0.5, ys[i], why[i], transform=ax.get_yaxis_transform(), ha="center",
                    va="center", color=GREY, fontsize="small",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    for tick, s in zip(ax.get_yticklabels(), small):
        if s:
            tick.set_color(GREY)
    if reference is not None:
        ax.axvline(reference, color="black", lw=0.8, alpha=0.6)
    ax.set_xlabel(xlabel)
    _reader_numbers(ax, lang, "x", suffix=suffix)
    ax.grid(axis="y", visible=False)
    if title:
        _title(ax, title, title_chars)
    _note_small(ax, own_small.any(), min_n, lang, suppress, ref_small=ref_small.any(),
                extra=(note,))
    shown = np.isfinite(est) & ~(small & suppress)
    d = digits if digits is not None else _digits_for(est[shown])
    describe(ax, i18n.t("alt.estimates", lang, title=_sentence(alt or title or xlabel),
                        axis=xlabel,
                        figures=_points(labels, est, l, h, [w if s and suppress else ""
                                                            for w, s in zip(why, small)],
                                        lang, digits=d, suffix=suffix, sign=sign)))
    return ax


def nps_by_group(table: pd.DataFrame, y: str = "nps", lo: str = "ci_low", hi: str = "ci_high",
                 n: str | None = "n", min_n: int = 30, group: str | None = None,
                 kind: str | None = None, lang: str = "en", title: str | None = None,
                 suppress: bool = True, ax=None):
    """NPS per group (channel, a segment, …) with 95 % error bars; groups under ``min_n``
    suppressed (see :func:`estimates`)."""
    return estimates(table, y, lo, hi, n=n, min_n=min_n, group=group, kind=kind, lang=lang,
                     xlabel=i18n.t("plot.nps_points", lang),
                     title=title or i18n.t("plot.nps_by_group_title", lang), reference=0,
                     suppress=suppress, ax=ax)


def cohort_gaps(table: pd.DataFrame, diff: str = "diff", lo: str = "ci_low",
                hi: str = "ci_high", n: str | None = "n", min_n: int = 30,
                group: str | None = None, kind: str | None = "cohort", lang: str = "en",
                unit: str = "nps", title: str | None = None, suppress: bool = True,
                family: int | None = None, level: float = 0.95, ax=None):
    """Each cohort's difference from its reference with error bars; zero = no gap.

    ``family``: the bars are simultaneous intervals over that many comparisons
    (Bonferroni, as :meth:`cxlab.cohorts.CohortComparison.plot` draws them); the footnote
    and the default title say so, and that significance is Holm-adjusted over the same
    comparisons. None or 1: plain ``level`` intervals.
    """
    xlabel = i18n.t(f"plot.diff_{unit}", lang) if i18n.has(f"plot.diff_{unit}", lang) else diff
    pct = _fmt(100 * level, _decimals([100 * level]), lang)
    simultaneous = bool(family and family > 1)
    note = (i18n.t("plot.simultaneous_note", lang, level=pct, family=family) if simultaneous
            else "")
    default = i18n.t("plot.cohort_gaps_sim_title" if simultaneous else "plot.cohort_gaps_title",
                     lang, level=pct)
    return estimates(table, diff, lo, hi, n=n, min_n=min_n, group=group, kind=kind, lang=lang,
                     xlabel=xlabel, title=title or default,
                     reference=0, colour=sns.color_palette(PALETTE)[2], suppress=suppress,
                     sign=True, note=note,
                     alt=f"{title or default}. {note}" if note else None, ax=ax)


def pnd_split(table: pd.DataFrame, promoters: str = "promoters", passives: str = "passives",
              detractors: str = "detractors", n: str | None = "n", min_n: int = 30,
              group: str | None = None, kind: str | None = None, lang: str = "en",
              title: str | None = None, suppress: bool = True, ax=None):
    """Stacked promoters / passives / detractors per group, as % of answers.

    The three columns may be counts or shares: each row is normalised to 100 %. Groups under
    ``min_n`` are left empty and labelled "n < min_n" (``suppress=False``: drawn hatched).
    """
    _need(table, [promoters, passives, detractors, group], "pnd_split")
    table = _in_study_order(table, group)
    ax = _ax(ax, figsize=(8.0, 0.55 * len(table) + 1.8))
    parts = np.column_stack([_num(table[c]) for c in (promoters, passives, detractors)])
    totals = parts.sum(axis=1, keepdims=True)
    pct = np.divide(parts, totals, out=np.zeros_like(parts), where=totals > 0) * 100
    names_ = _group_labels(table, group, kind, lang)
    small = _small(table, n, min_n)
    # no count of people on the chart (the table carries n): only why a row is empty
    labels = [f"{lab}  (n < {min_n})" if s else lab for lab, s in zip(names_, small)]
    if suppress:
        pct[small] = 0.0
    ys = np.arange(len(table))[::-1]
    left = np.zeros(len(table))
    names = [i18n.label("nps_group", k, lang) for k in ("promoter", "passive", "detractor")]
    for j, (name, colour) in enumerate(zip(names, PND_COLOURS)):
        bars = ax.barh(ys, pct[:, j], left=left, color=colour, label=name, height=0.6)
        for bar, s, v in zip(bars, small, pct[:, j]):
            if s:
                bar.set_alpha(0.35)
                bar.set_hatch("//")
            if v >= 7:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        f"{v:.0f}%", ha="center", va="center", fontsize="small",
                        color="white" if j != 1 else "black")
        left += pct[:, j]
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel(i18n.t("plot.pct_answers", lang))
    _reader_numbers(ax, lang, "x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    title = title or i18n.t("plot.pnd_title", lang)
    _title(ax, title)
    rows = [f"{lab}: n < {min_n}" if s and suppress else
            f"{lab}: " + " / ".join(f"{_fmt(v, 0, lang)}%" for v in pct[i])
            for i, (lab, s) in enumerate(zip(names_, small))]
    describe(ax, i18n.t("alt.pnd", lang, title=_sentence(title), classes=" / ".join(names),
                        figures="; ".join(rows)))
    return ax


def complaints_monthly(table: pd.DataFrame, total: str | None = "total", months: int | None = 12,
                       kind: str | None = None, lang: str = "en", title: str | None = None,
                       ax=None):
    """Complaints received per month: a line per level (e.g. channel) and the total dashed.

    ``table`` is :func:`cxlab.complaints.monthly` (index ``month`` like '2026-07', one
    column per level, ``total``). These are counts, not estimates: no interval is drawn.
    ``months`` keeps the last so many months (``None``: all).
    """
    if total is not None and total not in table.columns:
        total = None
    data = table.tail(months) if months else table
    kind = kind or table.columns.name
    x = pd.PeriodIndex(data.index.astype(str), freq="M").to_timestamp()
    ax = _ax(ax)
    levels = [c for c in data.columns if c != total]
    colours = sns.color_palette(PALETTE, max(len(levels), 1))
    for level, colour in zip(levels, colours):
        label = _label(kind, level, lang) if kind in CODE_KINDS else \
            (i18n.t(f"plot.{level}", lang) if i18n.has(f"plot.{level}", lang) else str(level))
        ax.plot(x, _num(data[level]), marker="o", ms=4, color=colour, label=label, lw=1.8)
    if total is not None:
        ax.plot(x, _num(data[total]), color="black", ls="--", lw=1.5, label=i18n.t("plot.total", lang))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(i18n.t("plot.month", lang))
    ax.set_ylabel(i18n.t("plot.complaints_per_month", lang))
    _month_names(ax, lang)
    _reader_numbers(ax, lang, "y")
    title = title or i18n.t("plot.complaints_title", lang)
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.figure.autofmt_xdate()
    names = [h.get_label() for h in ax.get_lines()]
    last = data.iloc[-1] if len(data) else None
    month = str(i18n.t("plot.month_abbr", lang)).split()
    named = [f"{month[p.month - 1]} {p.year}" for p in pd.PeriodIndex(x, freq="M")]
    describe(ax, i18n.t("alt.complaints_monthly", lang, title=_sentence(title),
                        first=named[0] if named else "", last=named[-1] if named else "",
                        lines=", ".join(names),
                        figures="; ".join(f"{nm}: {_fmt(last[c], 0, lang)}" for nm, c in
                                          zip(names, levels + ([total] if total else [])))
                        if last is not None else ""))
    return ax


def complaint_rate(table: pd.DataFrame, rate: str = "rate_per_100", lo: str = "ci_low",
                   hi: str = "ci_high", n: str = "n_complaints", min_n: int = 30,
                   lang: str = "en", title: str | None = None, suppress: bool = True, ax=None):
    """Complaints per 100 active clients per period, with its exact Poisson interval band.

    ``table`` is :func:`cxlab.complaints.rate_per_100_active` (index = period). A rate per
    active client, not a count, so growth of the business does not read as growth of
    complaints. Periods with fewer than ``min_n`` complaints leave a gap (``suppress=False``:
    hollow grey points), as in the report's tables.
    """
    _need(table, [rate, lo, hi], "complaint_rate")
    ax = _ax(ax)
    periods = [str(p) for p in table.index]
    xs = np.arange(len(periods))
    ys, l, h = _num(table[rate]), _num(table[lo]), _num(table[hi])
    small = _small(table, n, min_n)
    ok = ~small
    colour = sns.color_palette(PALETTE)[3]
    ax.plot(np.where(ok, xs, np.nan), np.where(ok, ys, np.nan), marker="o", color=colour, lw=2)
    ax.fill_between(xs, np.where(ok, l, np.nan), np.where(ok, h, np.nan), color=colour,
                    alpha=0.2, lw=0)
    if small.any() and not suppress:
        ax.errorbar(xs[small], ys[small], yerr=[ys[small] - l[small], h[small] - ys[small]],
                    fmt="o", mfc="white", color=GREY, capsize=3)
    ax.set_xticks(xs, periods)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(i18n.t("plot.quarter", lang))
    ax.set_ylabel(i18n.t("plot.complaints_per_100", lang))
    _reader_numbers(ax, lang, "y")
    title = title or i18n.t("plot.complaint_rate_title", lang)
    _title(ax, title)
    # a rate is small when its complaints (events) are few, not its answers
    _note_small(ax, False, min_n, lang, suppress, extra=(
        i18n.t("plot.small_complaints_suppressed" if suppress else "plot.small_complaints_note",
               lang, min_n=min_n) if small.any() else "",))
    describe(ax, i18n.t("alt.complaint_rate", lang, title=_sentence(title),
                        first=periods[0] if periods else "", last=periods[-1] if periods else "",
                        figures=_points(periods, ys, l, h,
                                        [f"n < {min_n}" if s and suppress else "" for s in small],
                                        lang, digits=1)))
    return ax


def penalty_reward(result, lang: str = "en", ax=None):
    """The penalty × reward chart of a :class:`cxlab.asymmetry.PenaltyReward` (its own
    ``.plot``) with the finding as its title and a text alternative, in the report
    language; the chart's own title (with its n) is replaced: counts of people are shown
    only in tables, where the disclosure audit sees them."""
    ax = result.plot(ax=ax, lang=lang)
    for loc in ("left", "center", "right"):
        ax.set_title("", loc=loc)
    must, delight = result.of("must-be"), result.of("delighter")
    label = dict(zip(result.table.index, result.table["label"]))
    none = i18n.t("drv.none", lang)
    title = (i18n.t("plot.pr_title", lang, must=", ".join(label[f] for f in must) or none,
                    delight=", ".join(label[f] for f in delight) or none)
             if must or delight else i18n.t("plot.pr_title_none", lang))
    _title(ax, title)
    t = result.table[result.table["category"] != "not enough answers"]
    figures = "; ".join(
        f"{r['label']}: {_fmt(100 * r['penalty'], 0, lang, sign=True)} / "
        f"{_fmt(100 * r['reward'], 0, lang, sign=True)}" for _, r in t.iterrows())
    describe(ax, i18n.t("alt.penalty_reward", lang, title=_sentence(title), figures=figures))
    return ax


def quadrant(analysis, lang: str = "en", title: str | None = None, ax=None):
    """The importance × performance chart of a :class:`cxlab.drivers.DriverAnalysis`
    (its own ``.plot``), with axis labels, corner names and title in the report language.

    The performance axis is the factors' mean on the common 0–100 scale (message
    ``plot.performance``), so factors on 1–5, 1–7 and 0–100 share it; when the study
    declares no scale for the factors the raw mean ratings are drawn (``plot.performance_raw``
    when the catalogue has it, else the chart's own English label).

    The title states the finding: the "fix first" factors (important, rated below
    average) that the bootstrap confirms (``quadrant_label``), else the strongest driver.
    A factor whose quadrant fewer than 80 % of the resamples agree on is drawn hollow and
    named "(uncertain)" in the report language.
    """
    from cxlab.drivers import UNCERTAIN

    ax = analysis.plot(ax=ax)
    suffix = f" ({UNCERTAIN})"
    for text in ax.texts:
        name = text.get_text()
        key = "quadrant." + name.replace(" ", "_")
        if name in ("fix first", "keep up", "maintain", "low priority") and i18n.has(key, lang):
            text.set_text(i18n.t(key, lang))
        elif name.endswith(suffix):
            text.set_text(name[: -len(suffix)] + f" ({i18n.t('quadrant.uncertain', lang)})")
    # performance is on the common 0–100 scale unless no factor's scale was declared
    if getattr(analysis, "performance", "mean_100") == "mean_100":
        ax.set_xlabel(i18n.t("plot.performance", lang))
    elif i18n.has("plot.performance_raw", lang):
        ax.set_xlabel(i18n.t("plot.performance_raw", lang))
    ax.set_ylabel(i18n.t("plot.importance", lang))
    # importance is a share of explained variance: written as the table writes it (34%)
    _reader_numbers(ax, lang, "y", scale=100, suffix="%")
    _reader_numbers(ax, lang, "x")
    t = analysis.table
    for loc in ("left", "center", "right"):  # the analysis's own English title, with its n
        ax.set_title("", loc=loc)
    placed = t["quadrant_label"] if "quadrant_label" in t.columns else t["quadrant"]
    if title is None:
        fix = t.loc[(t["quadrant"] == "fix first") & (placed == "fix first"), "label"].tolist()
        title = (i18n.t("plot.quadrant_fix_title", lang, factors=", ".join(fix)) if fix
                 else i18n.t("plot.quadrant_top_title", lang, factor=t["label"].iloc[0]))
    _title(ax, title)
    perf = getattr(analysis, "performance", "mean_100")
    corners = []
    for q in ("fix first", "keep up", "maintain", "low priority"):
        rows = t[t["quadrant"] == q]
        if len(rows):
            name = str(i18n.t("quadrant." + q.replace(" ", "_"), lang))
            unsure = f" — {i18n.t('quadrant.uncertain', lang)}"
            corners.append(f"{name[:1].upper()}{name[1:]}: " + ", ".join(
                f"{r['label']} ({_fmt(100 * r['share'], 0, lang)}%; {_fmt(r[perf], 0, lang)}"
                f"{unsure if placed.loc[i] == UNCERTAIN else ''})"
                for i, r in rows.iterrows()))
    describe(ax, i18n.t("alt.quadrant", lang, title=_sentence(title), figures="; ".join(corners)))
    return ax
