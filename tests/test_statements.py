"""Statements in the report that must agree with the page around them.

Each test checks one statement a stakeholder reads — a label, a title, a sentence — against
what the page shows. Expected values are derived independently of cxlab: by a direct
pandas computation on the sample CSVs (``data/samples/``), or from the truth the sample
generator plants (:mod:`cxlab.samples`); each test says which.
"""

from __future__ import annotations

import html
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from _reference_stats import clustered_nps_interval, nps_scores, square_and_add

from cxlab import cohorts, complaints, drivers, i18n, metrics, plots, report, samples
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR

Q = "2026Q3"
Q_START, Q_END = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")  # [start, end)
MIN_N = 30

needs_samples = pytest.mark.skipif(not (SAMPLES_DIR / "responses.csv").exists(),
                                   reason="sample data not generated")


@pytest.fixture(autouse=True)
def _sample_labels():
    """Codes are labelled by the study the report uses: the sample business's."""
    before = i18n.active_study()
    i18n.use_study(SAMPLE_STUDY)
    yield
    i18n.use_study(before)


@pytest.fixture(scope="module")
def csv():
    """The sample data as written (local times, no time zone), read by pandas alone."""
    if not (SAMPLES_DIR / "responses.csv").exists():
        pytest.skip("sample data not generated")

    def read(name, dates):
        return pd.read_csv(SAMPLES_DIR / f"{name}.csv", parse_dates=dates, low_memory=False)

    return {"responses": read("responses", ["submitted_at"]),
            "complaints": read("complaints", ["received_at"]),
            "visits": read("visits", ["visit_date"]),
            "clients": read("clients", ["joined_on"])}


@pytest.fixture(scope="module")
def data(sample_warehouse):
    return report.load_quarter(Q, sample_warehouse, SAMPLE_STUDY)


@pytest.fixture(scope="module")
def with_cohorts(data):
    return cohorts.attach(data.responses, data.clients, data.visits, study=data.study)


def _in_quarter(s: pd.Series) -> pd.Series:
    return (s >= Q_START) & (s < Q_END)


def _nps_counts(scores: pd.Series) -> tuple[int, int, int]:
    return int((scores >= 9).sum()), int(scores.between(7, 8).sum()), int((scores <= 6).sum())


# ----------------------------------------------------------------- 1. who "complained"

@needs_samples
def test_complainants_are_clients_who_complained_in_the_12_months_before_answering(data, csv):
    section = complaints.complaints_section(data.complaints, data.responses_all, data.clients,
                                            data.visits, Q, min_n=MIN_N, study=data.study)
    cn = section.complainant_nps
    # independent: pandas on the CSVs — an answer of the quarter is a complainant's when
    # the client had a complaint in the 365 days before it (strictly before the answer)
    r = csv["responses"]
    r = r[_in_quarter(r["submitted_at"]) & r["nps"].notna()]
    c = csv["complaints"][["client_id", "received_at"]]
    pairs = r[["response_id", "client_id", "submitted_at"]].merge(c, on="client_id")
    lag = pairs["submitted_at"] - pairs["received_at"]
    hit = pairs.loc[(lag > pd.Timedelta(0)) & (lag <= pd.Timedelta(days=365)), "response_id"]
    group = np.where(r["response_id"].isin(hit), "complained", "did_not_complain")
    expected = r.assign(group=group).groupby(["channel", "group"]).size()
    for (channel, g), k in expected.items():
        assert cn.loc[(channel, g), "n"] == k, (channel, g)
    # the quarter's complaints (the page's other count) are fewer than the phone channel's
    # complainant answers alone: the label cannot say "this quarter"
    n_quarter = int(_in_quarter(csv["complaints"]["received_at"]).sum())
    assert section.n_complaints == n_quarter == 46
    assert expected[("phone", "complained")] > n_quarter
    # ... so the labels say the window, in both languages, and the table shows them
    for lang, window, wrong in (("en", "12 months before answering", "this quarter"),
                                ("ru", "12 месяцев до ответа", "в квартале")):
        assert window in i18n.label("figure", "complained", lang)
        assert window in i18n.label("figure", "did_not_complain", lang)
        assert window in i18n.t("cmp.h.complainant_nps", lang, quarter=Q)
        assert wrong not in i18n.label("figure", "complained", lang)
        view = report.readable(cn, "complainant_nps", lang, MIN_N)
        assert i18n.label("figure", "complained", lang) in set(view.index.get_level_values(-1))
    # the report's window is the one the generator plants its effect for: answers within
    # 365 days after the client's complaint (cxlab.samples.SHIFT_AFTER_COMPLAINT)
    assert complaints.COMPLAINANT_WINDOW_DAYS == 365 and samples.SHIFT_AFTER_COMPLAINT < 0


# ----------------------------------------------------------------- 2. intervals and verdict

def _wald_nps(scores: pd.Series) -> tuple[float, float]:
    """NPS in points and its trinomial variance (Wald), by hand."""
    p, a, d = _nps_counts(scores)
    n = p + a + d
    sp, sd = p / n, d / n
    return 100 * (sp - sd), 1e4 * (sp + sd - (sp - sd) ** 2) / n


@needs_samples
def test_cohort_intervals_are_simultaneous_over_the_family_holm_adjusts(with_cohorts):
    gaps = cohorts.compare_cohorts(with_cohorts, min_n=MIN_N)
    t = gaps.table
    names = list(t.index.get_level_values("cohort").unique())
    # independent: the family is the set of distinct hypotheses tested with a
    # large-sample test — every channel × cohort comparison with at least min_n answers
    # on each side and spread on both, each split of a channel's answers counted once
    # (pandas counts; metrics.compare_groups documents the rule). Each interval is
    # Bonferroni's: the square-and-add of the two sides' score intervals at
    # 1 − α/m, on effective counts clustered by family (tests/_reference_stats.py:
    # statsmodels' cluster-robust variance, brute-force score interval)
    df = with_cohorts[with_cohorts["nps"].notna() & with_cohorts["client_id"].notna()]
    family, seen = 0, set()
    for (channel, cohort) in t.index:
        g = df[df["channel"] == channel]
        inside = g[cohort].astype(bool)
        cats = metrics.nps_category(g["nps"])
        split = frozenset((frozenset(g.index[inside]), frozenset(g.index[~inside])))
        if (inside.sum() >= MIN_N and (~inside).sum() >= MIN_N and (channel, split) not in seen
                and cats[inside].nunique() > 1 and cats[~inside].nunique() > 1):
            family += 1
            seen.add((channel, split))
    assert gaps.family == family == t["in_family"].sum() and len(names) == 8
    level = 1 - 0.05 / family
    for key in [("phone", "new"), ("phone", "repeat"), ("messenger", "camp")]:
        g = df[df["channel"] == key[0]]
        inside = g[key[1]].astype(bool)
        sides = []
        for part in (g[inside], g[~inside]):
            lo, hi, _ = clustered_nps_interval(part["nps"], part["client_id"], level)
            sides.append((100 * np.mean(nps_scores(part["nps"])), lo, hi))
        lo, hi = square_and_add(*sides[0], *sides[1])
        assert t.loc[key, "diff_sci_low"] == pytest.approx(lo, abs=1e-5)
        assert t.loc[key, "diff_sci_high"] == pytest.approx(hi, abs=1e-5)
    # an unadjusted interval clear of zero next to "no" is not the page's verdict
    row = t.loc[("phone", "new")]
    assert not (row["diff_sci_low"] > 0 and not row["significant"])
    # wherever a simultaneous interval of a tested comparison is clear of zero, Holm says
    # significant; comparisons outside the family are never significant
    clear = ((t["diff_sci_low"] > 0) | (t["diff_sci_high"] < 0)) & t["in_family"]
    assert t.loc[clear, "significant"].all()
    assert not t.loc[~t["in_family"], "significant"].any()
    # the chart draws these intervals, and its title and footnote say what they are
    ax = gaps.plot(lang="en", title=report.cohort_title(gaps, "en"))
    spans = [c.lines[2][0].get_segments()[0] for c in ax.containers]
    drawn = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in spans)
    shown = t[~t["small_n"] & (t["n"] > 0)]
    assert drawn == sorted(zip(shown["diff_sci_low"].round(6), shown["diff_sci_high"].round(6)))
    assert "Holm" in " ".join(ax.get_title(loc) for loc in ("left", "center", "right"))
    foot = " ".join(" ".join(x.get_text() for x in ax.texts).split())
    assert "simultaneous 95% intervals" in foot and f"{family} comparisons" in foot
    # and the table beside it shows the same intervals under a header that says so
    view = report.cohort_view(gaps, MIN_N, "en")
    assert "Difference [95% simultaneous CI]" in view.columns
    cell = view.loc[("Phone", i18n.label("cohort", "new", "en")), "Difference [95% simultaneous CI]"]
    lo, hi = t.loc[("phone", "new"), ["diff_sci_low", "diff_sci_high"]]
    assert cell.endswith(f"[{report.fmt_num(lo, 0, 'en', sign=True)}, "
                         f"{report.fmt_num(hi, 0, 'en', sign=True)}]")


# ----------------------------------------------------------------- 3. "reference n < 30"

@needs_samples
def test_a_row_greyed_for_its_small_reference_says_reference_in_chart_and_table(with_cohorts):
    gaps = cohorts.compare_cohorts(with_cohorts, min_n=MIN_N)
    # independent: pandas counts of each channel × cohort and of the rest of its channel
    df = with_cohorts[with_cohorts["nps"].notna() & with_cohorts["client_id"].notna()]
    own, rest = {}, {}
    for (channel, cohort) in gaps.table.index:
        inside = df.loc[df["channel"] == channel, cohort].astype(bool)
        own[(channel, cohort)], rest[(channel, cohort)] = int(inside.sum()), int((~inside).sum())
    ref_small = [k for k in own if own[k] >= MIN_N and rest[k] < MIN_N]
    own_small = [k for k in own if 0 < own[k] < MIN_N]
    assert ("messenger", "active") in ref_small and ("web", "repeat") in ref_small
    assert own_small
    for lang in ("en", "ru"):
        ax = gaps.plot(lang=lang)
        ref_text = i18n.t("text.ref_small", lang, min_n=MIN_N)
        ticks = [x.get_text() for x in ax.get_yticklabels()]
        rows = {}  # the text written in each empty row, by its tick label
        for x in ax.texts:
            if x.get_text() in (ref_text, f"n < {MIN_N}"):
                rows[x.get_position()[1]] = x.get_text()
        by_label = {ticks[len(ticks) - 1 - round(y)]: text for y, text in rows.items()}

        def label(key, lang=lang):
            return (f"{i18n.label('channel', key[0], lang)} · "
                    f"{i18n.label('cohort', key[1], lang)}")

        for key in ref_small:
            assert by_label[label(key)] == ref_text, key
        for key in own_small:
            assert by_label[label(key)] == f"n < {MIN_N}", key
        view = report.cohort_view(gaps, MIN_N, lang)
        diff_col = view.columns[-2]
        for key in ref_small:
            cell = view.loc[(i18n.label("channel", key[0], lang), i18n.label("cohort", key[1], lang)),
                            diff_col]
            assert cell == ref_text  # the table says the same
        # no tick label counts people
        assert not any(re.search(r"n\s*=\s*\d", x) for x in ticks)


# ----------------------------------------------------------------- 4. "active clients"

@needs_samples
def test_active_clients_are_one_thing_per_label_on_the_two_pages(data, csv):
    v = csv["visits"]
    # independent (pandas on visits.csv): clients with a visit in the quarter — the
    # complaints rate's denominator — and clients whose last visit up to the quarter's
    # last day is at most 90 days before it (the cohort "active" at the quarter's end)
    visited = v.loc[_in_quarter(v["visit_date"]), "client_id"].nunique()
    last_day = Q_END - pd.Timedelta(days=1)
    last = v[v["visit_date"] <= last_day].groupby("client_id")["visit_date"].max()
    active_90 = int(((last_day - last).dt.days <= 90).sum())
    assert (visited, active_90) == (912, 910)  # two definitions, two numbers

    section = complaints.complaints_section(data.complaints, data.responses_all, data.clients,
                                            data.visits, Q, min_n=MIN_N, study=data.study)
    assert section.volume.loc[Q, "n_active"] == visited
    sizes = cohorts.assign(data.clients, data.visits, asof=data.last_day, study=data.study).sum()
    assert sizes["active"] == active_90
    for lang, quarter_words, days_words in (("en", "visited in the quarter", "90 days"),
                                            ("ru", "с визитами в квартале", "90 дней")):
        # the complaints page names its 912 by the quarter's visits ...
        volume = report.readable(section.volume, "volume", lang, MIN_N)
        header = i18n.t("col.active_clients", lang)
        assert quarter_words in header and volume.loc[Q, header] == report.fmt_num(visited, 0, lang)
        headline = report.complaints_view(section, MIN_N, lang)
        assert quarter_words in i18n.t("complaints.per_100", lang)
        assert i18n.t("complaints.per_100", lang) in set(headline.index)
        # ... the cohorts page its 910 by the 90-day window, and the two labels differ
        cohort_view = report.readable(sizes, "counts", lang, MIN_N, kinds={None: "cohort"})
        active = i18n.label("cohort", "active", lang)
        assert days_words in active and active in set(cohort_view.index)
        assert cohort_view.loc[active].iloc[0] == report.fmt_num(active_90, 0, lang)
        assert active != header
    # no page calls either of them plain "active clients" any more
    for lang, bare in (("en", "active clients"), ("ru", "активных клиентов")):
        for key in ("col.active_clients", "col.per_100_active_ci", "complaints.per_100",
                    "plot.complaints_per_100", "plot.complaint_rate_title"):
            assert bare not in i18n.t(key, lang).lower(), key


# ----------------------------------------------------------------- 5. promotion's period

@needs_samples
def test_promotion_says_it_covers_every_answer_up_to_the_quarter(data, csv):
    promo = cohorts.promotion(data.responses_all, data.clients, min_n=MIN_N)
    # independent: the quarters of the first and last 0–10 answer with a client id, up to
    # the quarter (pandas on responses.csv)
    r = csv["responses"]
    r = r[r["nps"].notna() & r["client_id"].notna() & (r["submitted_at"] < Q_END)]
    period = (str(r["submitted_at"].min().to_period("Q")), str(r["submitted_at"].max().to_period("Q")))
    assert promo.period == period == ("2024Q4", "2026Q3")
    span = "–".join(period)
    for lang in ("en", "ru"):
        assert span in report.promotion_finding(promo, lang)
        ax = promo.plot(lang=lang)
        title = " ".join(ax.get_title(loc) for loc in ("left", "center", "right"))
        assert span in title.replace("\n", " ")
    # why all answers: they recover the referral rates the generator plants by the class
    # of the first answer (cxlab.samples.REFERRAL_RATE: 30 / 10 / 3 %), the quarter's
    # answers alone (weeks of follow-up) do not
    planted = samples.TRUTHS["referrals"]["rate"]
    shares = promo.table.xs("referral")
    for cls in ("promoter", "passive", "detractor"):
        assert shares.loc[cls, "ci_low"] - 0.02 <= planted[cls] <= shares.loc[cls, "ci_high"] + 0.02
    quarter_only = cohorts.promotion(data.responses, data.clients, min_n=MIN_N)
    assert quarter_only.table.xs("referral").loc["promoter", "ci_high"] < planted["promoter"]


# ----------------------------------------------------------------- 6. drivers by channel

@needs_samples
def test_driver_analysis_is_within_channel_and_says_so(data):
    kd = drivers.key_drivers(data.responses, seed=0, labels="en", study=data.study)
    factors = list(kd.table.index)
    # independent: pandas + numpy least squares — the rows rating every factor, NPS and
    # the factors centred on their own channel's mean, R² of the regression
    rows = data.responses.dropna(subset=["nps", *factors])
    n_by = rows.groupby("channel").size()
    assert dict(kd.n_within) == n_by.to_dict() and kd.n == len(rows) == 723
    assert kd.within == "channel"
    centred = rows[["nps", *factors]].astype(float) - \
        rows.groupby("channel")[["nps", *factors]].transform("mean").astype(float)
    X, y = centred[factors].to_numpy(), centred["nps"].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r2 = 1 - ((y - X @ beta) ** 2).sum() / (y ** 2).sum()
    assert kd.r2 == pytest.approx(r2, abs=1e-9)  # Shapley shares add up to the model's R²
    pooled = drivers.key_drivers(data.responses, seed=0, n_boot=0, study=data.study,
                                 pool_channels=True)
    assert pooled.within is None and pooled.r2 != pytest.approx(r2, abs=1e-4)
    assert any("pooled" in w for w in pooled.warnings)
    assert not any("pooled" in w for w in kd.warnings)
    # the page says "within each channel" and gives the n of each channel
    for lang in ("en", "ru"):
        said = report.driver_findings(kd, lang)[-1]
        assert said == i18n.t("text.r2_within", lang, r2=report.estimate_text(
            kd.r2, kd.r2_ci_low, kd.r2_ci_high, 2, lang), counts=", ".join(
            f"{i18n.label('channel', c, lang)} {k}" for c, k in kd.n_within))
    assert "Phone 454, Messenger 186, Web form 83" in report.driver_findings(kd, "en")[-1]
    assert i18n.t("trust.never_pooled", "en")  # the trust note the page keeps
    # the robustness table ranks the same within-channel shares
    check = drivers.robustness(data.responses, study=data.study)
    np.testing.assert_allclose(check.table["shapley_share"].reindex(factors),
                               kd.table["share"], atol=1e-9)


def test_library_warnings_reach_the_analysts_notebook():
    """A deprecation raised in cxlab's code is hidden by Python's default filters outside
    ``__main__``; a report notebook shows it (on the cell's stderr, which the analysts'
    executed notebook keeps and the stakeholders' HTML drops)."""
    code = compile('import warnings\nwarnings.warn("old cxlab call", DeprecationWarning)',
                   drivers.__file__, "exec")
    with warnings.catch_warnings(record=True) as before:
        warnings.resetwarnings()
        warnings.simplefilter("ignore", DeprecationWarning)  # Python's default for a library
        exec(code, {"__name__": "cxlab.drivers"})  # noqa: S102 - a warning from a cxlab module
    assert not before
    with warnings.catch_warnings(record=True) as seen:
        warnings.resetwarnings()
        warnings.simplefilter("ignore", DeprecationWarning)
        report.notebook_setup("en", SAMPLE_STUDY)
        exec(code, {"__name__": "cxlab.drivers"})  # noqa: S102
    assert [str(w.message) for w in seen] == ["old cxlab call"]
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from cxlab.report import rendering

    nb = new_notebook(cells=[new_code_cell("x", outputs=[
        new_output("stream", name="stderr", text="cxlab/drivers.py:3: DeprecationWarning: old"),
        new_output("stream", name="stdout", text="shown")])])
    kept = rendering._for_stakeholders(nb)
    assert [o["name"] for o in kept.cells[0].outputs] == ["stdout"]
    assert [o["name"] for o in nb.cells[0].outputs] == ["stderr", "stdout"]  # analysts keep it
    assert "analyst-only" in rendering.REMOVE_TAGS
    from cxlab.paths import NOTEBOOKS_DIR

    drivers_nb = nbformat.read(str(NOTEBOOKS_DIR / "drivers.ipynb"), 4)
    shows = [c for c in drivers_nb.cells if c.cell_type == "code" and "kd.warnings" in c.source]
    assert shows and all("analyst-only" in c.metadata.get("tags", []) for c in shows)


# ----------------------------------------------------------------- 7. Russian charts

_ALLOWED_LATIN = {"NPS", "CSI", "n", "Q", "R"}


def _chart_texts(ax) -> list[str]:
    ax.figure.canvas.draw()  # tick labels are formatted at draw time
    out = [ax.get_title(loc) for loc in ("left", "center", "right")]
    out += [ax.get_xlabel(), ax.get_ylabel()]
    out += [x.get_text() for x in ax.get_xticklabels() + ax.get_yticklabels()]
    out += [x.get_text() for x in ax.texts]
    if ax.get_legend() is not None:
        out += [x.get_text() for x in ax.get_legend().get_texts()]
    return [x for x in out if x]


@pytest.fixture(scope="module")
def ru_charts(data, with_cohorts):
    """Every chart of the report, drawn in Russian from the sample quarter."""
    import matplotlib.pyplot as plt

    def chart(ax):
        texts, alt = _chart_texts(ax), plots.alt_text(ax)
        plt.close(ax.figure)
        return texts, alt

    lang = "ru"
    plots.set_style()  # as report.notebook_setup does
    gaps = cohorts.compare_cohorts(with_cohorts, min_n=MIN_N)
    kd = drivers.key_drivers(data.responses, seed=0, n_boot=50, labels=lang, study=data.study)
    trend = metrics.nps_trend(data.responses_all, min_n=MIN_N)
    section = complaints.complaints_section(data.complaints, data.responses_all, data.clients,
                                            data.visits, Q, min_n=MIN_N, study=data.study)
    return {
        "cohorts": chart(gaps.plot(lang=lang, title=report.cohort_title(gaps, lang))),
        "csat": chart(cohorts.compare_cohorts(with_cohorts, metric="csat", min_n=MIN_N).plot(lang=lang)),
        "promotion": chart(cohorts.promotion(data.responses_all, data.clients, min_n=MIN_N).plot(lang=lang)),
        "quadrant": chart(plots.quadrant(kd, lang=lang)),
        "trend": chart(plots.nps_trend(trend, min_n=MIN_N, lang=lang,
                                       title=report.trend_title(trend, Q, lang))),
        "pnd": chart(plots.pnd_split(metrics.nps_table(data.responses, min_n=MIN_N), min_n=MIN_N,
                                     lang=lang)),
        "segment": chart(plots.nps_by_group(metrics.nps_table(data.responses, by="programme",
                                                              min_n=MIN_N), min_n=MIN_N, lang=lang)),
        "rate": chart(plots.complaint_rate(section.volume, min_n=MIN_N, lang=lang)),
        "monthly": chart(plots.complaints_monthly(complaints.monthly(
            data.recent_complaints(4), by="channel", study=data.study), lang=lang)),
    }


@needs_samples
@pytest.mark.parametrize("name", ["cohorts", "csat", "promotion", "quadrant", "trend", "pnd",
                                  "segment", "rate", "monthly"])
def test_russian_charts_are_russian_throughout(ru_charts, name):
    texts, alt = ru_charts[name]
    words = {w for x in texts for w in re.findall(r"[A-Za-z]+", x)}
    assert words <= _ALLOWED_LATIN, (name, words - _ALLOWED_LATIN, texts)
    for x in texts:
        assert not re.search(r"\d\.\d", x), (name, x)  # a decimal comma, never a point
        assert not re.search(r"\bn\s*=\s*\d", x), (name, x)  # no count of people
        assert not re.search(r"(?<![\w])-\d", x), (name, x)  # a typographic minus
    # a text alternative in Russian that describes the chart and gives its figures
    assert alt and re.search("[А-Яа-яЁё]{4}", alt) and re.search(r"\d", alt), (name, alt)
    assert not re.search(r"\bn\s*=\s*\d", alt) and not re.search(r"\d\.\d", alt), (name, alt)


def test_tick_labels_are_written_as_the_tables_write_numbers():
    f = plots._ReaderNumbers("ru")
    f.set_locs([0.0, 0.25, 0.5])
    assert [f(v) for v in (0.0, 0.25, 0.5)] == ["0,00", "0,25", "0,50"]
    f.set_locs([-1000.0, 0.0, 1500.0])
    assert [f(v) for v in (-1000.0, 1500.0)] == ["\u22121\u202f000", "1\u202f500"]
    pct = plots._ReaderNumbers("en", scale=100, suffix="%")
    pct.set_locs([0.0, 0.1, 0.2])
    assert pct(0.1) == "10%"


def test_a_shown_chart_carries_its_alt_text_into_the_html(monkeypatch):
    """report.show puts the chart's alt text in the PNG output's metadata; the report's
    template writes it as the <img alt> (nbconvert's lab template would drop it)."""
    import IPython
    import IPython.display
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from cxlab.report.rendering import export_html

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Kernel", (), {"kernel": 1})())
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, raw=False, metadata=None: shown.append((obj, metadata)))
    table = pd.DataFrame({"nps": [40.0, 20.0], "ci_low": [30.0, 5.0], "ci_high": [50.0, 35.0],
                          "n": [300, 120]}, index=pd.Index(["phone", "web"], name="channel"))
    report.show(plots.nps_by_group(table, lang="ru"))
    (bundle, metadata), = shown
    alt = metadata["image/png"]["alt"]
    assert alt == bundle["text/plain"] and "Телефон: 40 [30; 50]" in alt
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output(
        "display_data", data=bundle, metadata=metadata)])])
    page = export_html(nb, "t", lang="ru")
    imgs = re.findall(r"<img\b[^>]*>", page)
    assert len(imgs) == 1
    assert html.unescape(re.search(r'alt="([^"]*)"', imgs[0]).group(1)) == alt


# ----------------------------------------------------------------- the rendered pages

@pytest.fixture(scope="module")
def rendered_ru(sample_report):
    """The quarter rendered in Russian (stakeholder HTML and the analysts' executed
    notebooks)."""
    from cxlab.report.rendering import analyst_folder

    _, out = sample_report("ru")
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (out / Q).glob("*/*.html")
             if p.stem != "index"}
    analyst = analyst_folder(out) / Q
    return pages, analyst


@needs_samples
def test_every_image_of_the_russian_report_has_a_russian_alt(rendered_ru):
    pages, _ = rendered_ru
    assert {"quarterly_report", "cohorts", "complaints", "drivers"} <= set(pages)
    count = 0
    for name, page in pages.items():
        for img in re.findall(r"<img\b[^>]*>", page):
            alt = re.search(r'\balt="([^"]*)"', img)
            assert alt and alt.group(1).strip(), (name, img[:120])
            text = html.unescape(alt.group(1))
            assert re.search("[А-Яа-яЁё]{4}", text) and "No description" not in text, (name, text)
            count += 1
    assert count >= 8


@needs_samples
def test_the_two_pages_give_one_number_per_label(rendered_ru, csv):
    pages, _ = rendered_ru
    v = csv["visits"]
    visited = v.loc[_in_quarter(v["visit_date"]), "client_id"].nunique()  # pandas: 912

    def cells(page):
        rows = re.findall(r"<tr\b.*?</tr>", page, flags=re.DOTALL)
        return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd]\b.*?</t[hd]>", r, flags=re.DOTALL)] for r in rows]

    cmp_rows = cells(pages["complaints"])
    label = i18n.t("complaints.per_100", "ru")
    row = next(r for r in cmp_rows if r and r[0] == label)
    assert row[:2] == [label, report.fmt_num(visited, 0, "ru")]
    assert i18n.t("col.active_clients", "ru") in pages["complaints"]
    active = i18n.label("cohort", "active", "ru")
    sizes = [r for r in cells(pages["cohorts"]) if r and r[0] == active]
    assert sizes and sizes[0][1] == report.fmt_num(910, 0, "ru")  # pandas: 910, test above
    for page in pages.values():
        assert "активных клиентов" not in page.lower()


@needs_samples
def test_driver_warnings_are_in_the_analysts_notebook_not_the_page(rendered_ru, data):
    import nbformat

    pages, analyst = rendered_ru
    kd = drivers.key_drivers(data.responses, seed=0, labels="ru", study=data.study)
    assert kd.warnings
    nb = nbformat.read(str(analyst / "ru" / "drivers.ipynb"), 4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "kd.warnings" in c.source)
    said = " ".join(str(o.get("data", {}).get("text/markdown", "")) for o in cell.outputs)
    for w in kd.warnings:
        assert w.split(":")[0].replace("_", "\\_") in said
    assert kd.warnings[0].split(":")[1][:30] not in pages["drivers"]
    assert "Внутри каждого канала опроса" in pages["drivers"]
