"""Narration for report notebooks: headings and sentences from the message catalogue,
findings worded from results, and the display helpers a notebook cell calls.

- display: :func:`heading`, :func:`say`, :func:`bullets`, :func:`show` (with
  :func:`chart_alt`), :func:`skip`,
  :func:`part`, :func:`recorded`, :func:`notebook_setup`;
- findings in words: :func:`headline_sentences`, :func:`trend_title`,
  :func:`driver_findings`, :func:`cohort_title`, :func:`promotion_finding`,
  :func:`complaints_note`, :func:`trust_notes`.
"""

from __future__ import annotations

import pandas as pd

from cxlab import disclosure, i18n
from cxlab.report.formats import (
    CODE_LEVELS,
    _p_text,
    _pct,
    col_label,
    count_text,
    estimate_text,
    fmt_num,
    p_text,
)
from cxlab.report.tables import in_study_order, readable
from cxlab.suppression import threshold

# ------------------------------------------------------------------------- display

def heading(key: str, lang: str = "en", level: int = 2, **values):
    """A Markdown heading from the catalogue, for a notebook cell's output: a heading
    that names a value (the quarter, a channel) or is shown only when its data exist.
    A fixed heading is a Markdown cell per language (``lang-en``, ``lang-ru``)."""
    from IPython.display import Markdown

    return Markdown(f"{'#' * level} {i18n.as_markdown(i18n.t(key, lang, **values))}")


def say(key: str, lang: str = "en", **values):
    """A sentence worded from data (its ``{fields}`` filled with ``values``), as Markdown.
    Fixed prose is a Markdown cell per language in the notebook, not a catalogue key."""
    from IPython.display import Markdown

    return Markdown(i18n.as_markdown(i18n.t(key, lang, **values)))


def bullets(lines) -> object:
    """Markdown bullet list: a line from the catalogue (:func:`cxlab.i18n.t`, ``fill``)
    keeps its Markdown with its values escaped; any other line is data, escaped whole."""
    from IPython.display import Markdown

    return Markdown("\n".join(f"- {i18n.as_markdown(line)}" for line in lines))


#: The report language :func:`notebook_setup` was given (the fallback alt text's).
_LANG = {"lang": "en"}


def show(ax_or_fig=None, alt: str | None = None) -> None:
    """Display a figure as an inline PNG with its text alternative, and close it (no
    ``<Axes …>`` text output).

    ``alt`` (default: what the chart function said the chart shows,
    :func:`cxlab.plots.alt_text`; else the chart's title and axis labels) goes into the
    PNG output's metadata (``{"image/png": {"alt": …}}``) and its ``text/plain``; the
    report's HTML template writes it as the ``<img alt>`` (:mod:`cxlab.report.rendering`:
    nbconvert's lab template drops it), so every chart in a rendered report has a text
    alternative in the report's language. Outside a notebook kernel the figure is shown as
    matplotlib shows it.
    """
    import matplotlib.pyplot as plt

    fig = ax_or_fig.figure if hasattr(ax_or_fig, "figure") and not hasattr(ax_or_fig, "savefig") \
        else (ax_or_fig or plt.gcf())
    fig.tight_layout()
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        shell = None
    if shell is None or not hasattr(shell, "kernel"):
        plt.show()
        plt.close(fig)
        return
    import base64
    import io

    from IPython.display import display

    text = alt or chart_alt(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    display({"image/png": png, "text/plain": text}, raw=True,
            metadata={"image/png": {"alt": text}})


def chart_alt(fig, lang: str | None = None) -> str:
    """The text alternative of ``fig``: the one its chart function gave it
    (:func:`cxlab.plots.alt_text`), else "Chart: <title>; <x label>; <y label>" in
    ``lang`` (default: the notebook's, :func:`notebook_setup`)."""
    from cxlab import plots

    own = plots.alt_text(fig)
    if own:
        return own
    parts = []
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()]
    said = "; ".join(dict.fromkeys(" ".join(p.split()) for p in parts if p and p.strip()))
    return str(i18n.t("alt.chart", lang or _LANG["lang"], what=said or "–"))


def skip(data, section: str, lang: str = "en") -> bool:
    """In a notebook: True (and a sentence saying why) when the quarter's data lack what
    ``section`` needs (:mod:`cxlab.sections`); False when the section can be shown.

    >>> if not report.skip(data, "complaints", lang):   # doctest: +SKIP
    ...     section = complaints.complaints_section(...)
    """
    lacks = data.lacks(section)
    if not lacks:
        return False
    text = i18n.t("left.sentence", lang, reasons=i18n.join("; ", (x.text(lang) for x in lacks)))
    _display_markdown(text)
    return True


def _display_markdown(text: str) -> None:
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        print(text)
        return
    display(Markdown(i18n.as_markdown(text)))  # values (or a plain str) escaped


def part(result, name: str, kind: str, lang: str = "en", min_n: int = 30, **options):
    """``readable(result.<name>, kind)``, or a sentence saying why that part is missing
    (``result.left_out[name]``: the data do not record what it needs)."""
    value = getattr(result, name, None)
    if value is None:
        reason = getattr(result, "left_out", {}).get(name, "")
        return say("left.part", lang, reason=reason)
    return readable(value, kind, lang, min_n, **options)


def recorded(df: pd.DataFrame, *columns: str) -> bool:
    """Do ``columns`` exist in ``df`` with at least one value each?"""
    return all(c in df.columns and df[c].notna().any() for c in columns)


def notebook_setup(lang: str = "en", study=None) -> None:
    """House style for charts and stable, readable tables in a report notebook; codes are
    labelled with ``study``'s labels from now on (:func:`cxlab.i18n.use_study`).

    Every warning raised in cxlab's code is shown (once per place), deprecations included,
    which Python's default filters hide outside ``__main__``: in a kernel it is written
    to the cell's stderr, which the analysts' executed notebook keeps and the
    stakeholders' HTML leaves out (:mod:`cxlab.report.rendering`).
    """
    import warnings

    from cxlab import plots

    i18n.use_study(study)
    _LANG["lang"] = i18n.check_lang(lang)
    warnings.filterwarnings("default", module=r"cxlab(\.|$)")
    try:  # inline PNGs even when MPLBACKEND=Agg is inherited from the caller's shell
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and hasattr(shell, "kernel"):
            shell.run_line_magic("matplotlib", "inline")
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        pass
    plots.set_style()
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_rows", 80)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)


# ------------------------------------------------------------------------- findings in words

def headline_sentences(trend: pd.DataFrame, quarter: str, min_n: int = 30, lang: str = "en",
                       alpha: float = 0.05, kind: str = "channel") -> list[str]:
    """One sentence per channel (group) on this quarter's NPS and its change, for a summary."""
    t = trend.xs(quarter, level="quarter") if isinstance(trend.index, pd.MultiIndex) else trend.loc[[quarter]]
    out = []
    for key, r in in_study_order(t).iterrows():
        name = i18n.label(kind, key if not isinstance(key, tuple) else key[0], lang)
        if r["n"] < min_n:
            out.append(i18n.t("text.group_suppressed", lang, group=name, min_n=min_n))
            continue
        members = disclosure.lookup(trend, "n", (key if not isinstance(key, tuple) else key[0], quarter))
        base = i18n.t("text.nps_is", lang, group=name,
                      nps=estimate_text(r["nps"], r["ci_low"], r["ci_high"], 0, lang),
                      n=count_text(r["n"], min_n, lang, members))
        if pd.isna(r["change"]):
            change = ""
        elif r["change_small_n"]:
            change = i18n.t("text.change_small_n", lang)
        elif r["change_p"] < alpha:
            key2 = "text.change_up" if r["change"] > 0 else "text.change_down"
            change = i18n.t(key2, lang, points=fmt_num(abs(r["change"]), 0, lang),
                            prev=r["prev_quarter"], p=_p_text(r["change_p"], lang))
        else:
            change = i18n.t("text.change_none", lang, prev=r["prev_quarter"])
        out.append(i18n.fill("{base}; {change}." if change else "{base}.", base=base, change=change))
    return out


def trend_title(trend: pd.DataFrame, quarter: str, lang: str = "en", alpha: float = 0.05,
                kind: str = "channel") -> str:
    """A chart title that states the finding: which groups' NPS changed significantly."""
    t = trend.xs(quarter, level="quarter") if isinstance(trend.index, pd.MultiIndex) else trend.loc[[quarter]]
    sig = t[(t["change_p"] < alpha) & ~t["change_small_n"].astype(bool)]
    if sig.empty:
        return i18n.t("title.trend_steady", lang, quarter=quarter)
    parts = [f"{i18n.label(kind, k, lang)} {fmt_num(v, 0, lang, sign=True)}"
             for k, v in sig["change"].items()]
    key = "title.trend_down" if (sig["change"] < 0).all() else \
        "title.trend_up" if (sig["change"] > 0).all() else "title.trend_mixed"
    return i18n.t(key, lang, quarter=quarter, changes=", ".join(parts))


def driver_findings(analysis, lang: str = "en") -> list[str]:
    """What the driver analysis says, in words: the "fix first" factors spelled out, the
    strongest driver, and the model's explained variance with its interval."""
    t = analysis.table
    lines = []
    # a quadrant the bootstrap does not confirm (cxlab.drivers: quadrant_label
    # "uncertain") is not stated as a finding, only named as a possibility
    placed = t["quadrant_label"] if "quadrant_label" in t.columns else t["quadrant"]
    fix = t.loc[(t["quadrant"] == "fix first") & (placed == "fix first"), "label"].tolist()
    unsure = t.loc[(t["quadrant"] == "fix first") & (placed != "fix first"), "label"].tolist()
    if fix:
        lines.append(i18n.t("text.fix_first", lang,
                            factors=i18n.join(", ", (i18n.fill("**{f}**", f=f) for f in fix))))
    else:
        lines.append(i18n.t("text.no_fix_first", lang))
    if unsure:
        bar = getattr(analysis, "quadrant_min_agreement", 0.8)
        lines.append(i18n.t("text.fix_first_uncertain", lang, factors=", ".join(unsure),
                            pct=_pct(bar, lang)))
    keep = t.loc[(t["quadrant"] == "keep up") & (placed == "keep up"), "label"].tolist()
    if keep:
        lines.append(i18n.t("text.keep_up", lang, factors=", ".join(keep)))
    # Shapley shares split what correlated factors explain together: an important factor
    # whose own (full-model) coefficient is negative borrows its share from the others
    borrowed = t[t["quadrant"].isin(["fix first", "keep up"]) & (t["coef_sign"] < 0)]["label"].tolist()
    if borrowed:
        lines.append(i18n.t("text.overlap", lang, factors=", ".join(borrowed)))
    top = t.iloc[0]
    lines.append(i18n.t("text.top_driver", lang, factor=top["label"],
                        share=estimate_text(top["share"], top["share_ci_low"], top["share_ci_high"],
                                            0, lang, scale=100, suffix="%")))
    r2 = estimate_text(analysis.r2, analysis.r2_ci_low, analysis.r2_ci_high, 2, lang)
    if getattr(analysis, "within", None):
        # several survey channels, analysed within channel (cxlab.drivers.key_drivers):
        # the page says so, with each channel's n — no figure pools them
        who = getattr(analysis, "members_within", None) or {}
        counts = ", ".join(
            f"{i18n.label('channel', c, lang)} "
            f"{count_text(k, lang=lang, members=who.get(c))}" for c, k in analysis.n_within)
        lines.append(i18n.t("text.r2_within", lang, r2=r2, counts=counts))
    else:
        lines.append(i18n.t("text.r2", lang, r2=r2, n=count_text(
            analysis.n, lang=lang, members=getattr(analysis, "members", None))))
    return lines


def design_note(table: pd.DataFrame, lang: str = "en"):
    """One sentence under an :func:`cxlab.metrics.nps_table`: whether its intervals count
    repeat answers of one family (and by how much: the design effects), or took the
    answers as independent for want of client ids."""
    if "clusters" not in table.columns:
        return say("nps.design_independent", lang)
    d = table["deff"].dropna()
    deffs = (fmt_num(d.min(), 1, lang) if d.min().round(1) == d.max().round(1) else
             f"{fmt_num(d.min(), 1, lang)}–{fmt_num(d.max(), 1, lang)}")
    return say("nps.design_clustered", lang, deffs=deffs)


def driver_method_note(analysis, lang: str = "en"):
    """How a driver analysis's intervals were made, in the report language: resampling
    families or answers, the quadrant-agreement bar, Kish's n when weighted."""
    key = "drv.method_clients" if getattr(analysis, "n_clusters", None) else "drv.method_answers"
    text = i18n.t(key, lang, B=fmt_num(analysis.n_boot, 0, lang),
                  pct=_pct(getattr(analysis, "quadrant_min_agreement", 0.8), lang))
    if analysis.weighted:
        # the weighting effect n / Kish n: a ratio (a Kish n would give n away)
        text += " " + i18n.t("drv.method_weighted", lang,
                             effect=fmt_num(analysis.n / analysis.n_effective, 2, lang))
    return say("text.plain", lang, text=text)


def asymmetry_note(result, lang: str = "en"):
    """What the penalty–reward table means, and which factors it finds must-be and
    delighters, in the report language."""
    label = dict(zip(result.table.index, result.table["label"]))
    none = i18n.t("drv.none", lang)
    found = i18n.t("drv.asymmetry_found", lang,
                   must=", ".join(label[f] for f in result.of("must-be")) or none,
                   delight=", ".join(label[f] for f in result.of("delighter")) or none)
    return say("text.plain", lang, text=i18n.t("drv.asymmetry", lang) + " " + found)


def weighting_section(data, min_n: int = 30, lang: str = "en") -> list:
    """The NPS overview's weighting part: a heading, the weighted vs unweighted NPS per
    channel and what the weights match — or one sentence when the study declares no
    weighting. (:meth:`cxlab.quarter.QuarterData.weighted` rakes the answers.)"""
    from cxlab.report.tables import weighted_view

    weighted = data.weighted() if data.scored else None
    if weighted is None:
        return [say("nps.no_weighting", lang)]
    spec = data.study.weighting.margins
    names = [col_label(c, lang).lower() for c in spec]
    margins = ("», «" if lang == "ru" else " and ").join(names)  # ru: inside «…»
    sources = ", ".join(dict.fromkeys(
        i18n.t(f"nps.weighting_source.{v}", lang)
        if isinstance(v, str) and i18n.has(f"nps.weighting_source.{v}", lang)
        else (v if isinstance(v, str) else i18n.t("nps.weighting_source.declared", lang))
        for v in spec.values()))
    return [heading("nps.h.weighted", lang, 2), weighted_view(weighted, min_n, lang),
            say("nps.weighted_note", lang, margins=margins, sources=sources)]


def cohort_title(comparison, lang: str = "en") -> str:
    """A title stating the finding: the significant cohort gaps (largest first)."""
    t = comparison.table
    sig = t[t["significant"].fillna(False).astype(bool) & ~t["small_n"].astype(bool)]
    if sig.empty:
        return i18n.t("title.cohorts_none", lang)
    sig = sig.reindex(sig["diff"].abs().sort_values(ascending=False).index)
    parts = []
    for key, r in sig.head(3).iterrows():
        names = key if isinstance(key, tuple) else (key,)
        levels = t.index.names
        name = " · ".join(i18n.label(lv if lv in CODE_LEVELS else "cohort", v, lang)
                          for lv, v in zip(levels, names))
        parts.append(f"{name} {fmt_num(r['diff'], 0, lang, sign=True)}")
    return i18n.t("title.cohorts", lang, gaps="; ".join(parts))


def promotion_finding(result, lang: str = "en", behaviour: str = "referral", alpha: float = 0.05) -> str:
    """One sentence: do promoters really bring more families than detractors? It names
    the period of the answers the respondents were classed from
    (:attr:`cxlab.cohorts.PromotionResult.period`, e.g. "2024Q4–2026Q3").

    The report asks :func:`cxlab.cohorts.promotion` about *all* answers up to the
    quarter, not the quarter's alone, and says so: a referral is counted only when the
    referred family joined after the answer that classed the referrer, so a quarter's
    respondents have had weeks, not months, to bring anyone, and their shares read low
    for every class. On the sample data all answers give 32% / 10% / 2% of promoters /
    passives / detractors bringing a family — the generator plants 30% / 10% / 3%
    (:data:`cxlab.samples.REFERRAL_RATE`) — while 2026Q3's answers alone give 13% / 4% /
    3%. The period in the sentence keeps the reader from taking it for the quarter's
    figure.
    """
    period = "–".join(dict.fromkeys(getattr(result, "period", ()) or ())) or "–"
    if behaviour not in result.tests.index or pd.isna(result.tests.loc[behaviour].get("share_p")):
        return i18n.t("text.promotion_untested", lang, period=period)
    r = result.tests.loc[behaviour]
    diff = estimate_text(r["share_diff"], r["share_diff_ci_low"], r["share_diff_ci_high"], 0, lang,
                         scale=100, sign=True)
    # two-sided test with its interval (cxlab.cohorts.promotion): the direction is the
    # interval's, so "promote" is said only when the whole interval is above zero
    alpha = result.tests.attrs.get("alpha", alpha)
    if r["share_p"] < alpha and r["share_diff_ci_low"] > 0:
        key = "text.promotion_real"
    elif r["share_p"] < alpha and r["share_diff_ci_high"] < 0:
        key = "text.promotion_fewer"
    else:
        key = "text.promotion_not_shown"
    return i18n.t(key, lang, diff=diff, p=_p_text(r["share_p"], lang), period=period)


def complaints_note(section, lang: str = "en"):
    """A sentence when the quarter had no complaints (a good quarter is a result, not an
    error), else nothing (an empty Markdown)."""
    from IPython.display import Markdown

    if section.n_complaints:
        return Markdown("")
    return say("cmp.none", lang, quarter=section.quarter)


# ------------------------------------------------------------------------- data-trust notes

TRUST_CHECKS = {"interviewer gaming": "trust.gaming", "straight-lining": "trust.straight",
                "duplicate submissions": "trust.duplicates", "channel mix": "trust.channel_mix",
                "channel mix shift": "trust.channel_mix_shift", "small n": "trust.small_n"}


def trust_notes(trust: pd.DataFrame, lang: str = "en", min_n: int = 30) -> list[str]:
    """Data-trust notes for readers from :func:`cxlab.quality.trust_report`: what was
    checked, and every flag with its evidence, worded in the report language from the
    check's numbers (``details``); counts under ``min_n`` are shown as "< 30"."""
    lines = [i18n.t("trust.never_pooled", lang)]
    for check, g in trust.groupby("check", sort=False):
        name = i18n.t(TRUST_CHECKS[check], lang) if check in TRUST_CHECKS else check
        flagged = g[g["flagged"].astype(bool)]
        if flagged.empty:
            lines.append(i18n.t("trust.ok", lang, check=name, k=len(g)))
            continue
        for _, r in flagged.iterrows():
            lines.append(i18n.fill("**{name}** — {evidence}", name=name,
                                   evidence=_trust_evidence(check, r, lang, min_n)))
    lines.append(i18n.t("trust.suppressed", lang, min_n=min_n, k=threshold()))
    return lines


def _trust_evidence(check: str, row, lang: str, min_n: int) -> str:
    """One flag's evidence in the report language; the English sentence of
    :mod:`cxlab.quality` only where a check brings no numbers to word."""
    d = row.get("details") if hasattr(row, "get") else None
    if not isinstance(d, dict):
        return f"{row['subject']}: {row['evidence']}"
    members = d.get("members") or {}

    def n(key):  # a count of people: hidden under the disclosure threshold, audited
        return count_text(d[key], min_n, lang, members.get(key))

    if check == "interviewer gaming":
        return i18n.t("trust.ev.gaming", lang, who=row["subject"], n=n("n"),
                      share=_pct(d["share_10"], lang), others=_pct(d["others_share_10"], lang),
                      expected=_pct(d.get("expected_share_10", d["others_share_10"]), lang),
                      others_n=n("others_n"), odds=fmt_num(d["odds_ratio"], 1, lang),
                      sd=fmt_num(d["sd"], 2, lang), others_sd=fmt_num(d["others_sd"], 2, lang),
                      p=p_text(min(d["q_tens"], d["q_sd"]), lang))
    if check == "straight-lining":
        channel = d.get("channel")
        return i18n.t("trust.ev.straight", lang,
                      channel=i18n.label("channel", channel, lang) if channel else "",
                      share=fmt_num(100 * d["share"], 1, lang) + "%", n=n("n"),
                      threshold=_pct(d["threshold"], lang))
    if check == "duplicate submissions":
        return i18n.t("trust.ev.duplicates", lang, extra=n("extra"))
    if check == "channel mix shift":
        return i18n.t("trust.ev.mix_shift", lang, p=p_text(d["p"], lang))
    if check == "small n":
        return i18n.t("trust.ev.small_n", lang, k=d["k"], groups=d["groups"], min_n=min_n)
    return f"{row['subject']}: {row['evidence']}"
