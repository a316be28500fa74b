"""cxlab.plots: what each chart draws, checked against the numbers it was given.

Intervals are read back from the artists and compared with the table's own columns (or
with ``cxlab.metrics`` on hand-made counts). Small groups keep their place but, by default,
show no figure and no exact n (a stakeholder chart carries no cell under ``min_n``);
``suppress=False`` draws them grey for an analyst.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib.collections import PolyCollection

from cxlab import i18n, metrics, plots
from cxlab.errors import ParameterError
from cxlab.study import parse_study


@pytest.fixture(autouse=True)
def _sample_labels():
    """Codes are labelled by the study a report uses: the sample business's here."""
    from cxlab.paths import SAMPLE_STUDY

    before = i18n.active_study()
    i18n.use_study(SAMPLE_STUDY)
    yield
    i18n.use_study(before)


def _responses(counts: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    """Responses with exactly the given promoter/passive/detractor counts per channel."""
    rows = []
    for ch, (p, a, d) in counts.items():
        rows += [(ch, 10)] * p + [(ch, 8)] * a + [(ch, 3)] * d
    return pd.DataFrame(rows, columns=["channel", "nps"])


@pytest.fixture
def by_channel():
    # phone 60/20/20 → NPS 40; web 10/5/5 (n = 20 < 30) → small
    return metrics.nps_table(_responses({"phone": (60, 20, 20), "web": (10, 5, 5)}), min_n=30)


def test_set_style_uses_the_colour_blind_palette():
    plots.set_style()
    import matplotlib as mpl

    cycle = [mcolors.to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [mcolors.to_hex(c) for c in sns.color_palette("colorblind")[:3]]
    assert mpl.rcParams["font.size"] >= 10


def test_nps_by_group_suppresses_small_groups_by_default(by_channel):
    ax = plots.nps_by_group(by_channel, min_n=30)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # the small group keeps its row, but neither its estimate nor its exact n is shown:
    # its empty row says why; no label counts people (the table beside the chart does)
    assert labels == ["Phone", "Web form"]
    assert "n < 30" in [t.get_text() for t in ax.texts]
    assert len(ax.containers) == 1  # only phone has an error bar
    seg = ax.containers[0].lines[2][0].get_segments()[0]
    np.testing.assert_allclose((seg[0][0], seg[1][0]),
                               by_channel.iloc[0][["ci_low", "ci_high"]].to_numpy(float))
    assert any("not shown: fewer than 30" in t.get_text() for t in ax.texts)


def test_nps_by_group_error_bars_are_the_table_intervals(by_channel):
    ax = plots.nps_by_group(by_channel, min_n=30, suppress=False)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Phone", "Web form  (n < 30)"]  # table order, first row on top
    # each errorbar container: (data line, caps, [bar LineCollection])
    spans = []
    for container in ax.containers:
        seg = container.lines[2][0].get_segments()[0]
        spans.append((seg[0][0], seg[1][0]))
    expected = list(zip(by_channel["ci_low"], by_channel["ci_high"]))
    np.testing.assert_allclose(spans, expected)
    # phone: adjusted-Wald interval of 60/20/20 contains the plain NPS 40 (Rocks 2016)
    assert spans[0][0] < 40 < spans[0][1]
    # the small group is grey (hollow marker) and labelled so, not dropped
    web_tick = ax.get_yticklabels()[1]
    assert mcolors.to_hex(web_tick.get_color()) == plots.GREY
    assert mcolors.to_hex(ax.containers[1].lines[0].get_markerfacecolor()) == "#ffffff"
    assert any("fewer than 30" in t.get_text() for t in ax.texts)


def test_nps_trend_draws_a_band_per_channel_and_orders_quarters(rng):
    quarters = ["2025Q3", "2025Q4", "2026Q1"]
    rows = []
    for q in quarters:
        for ch in ("phone", "web"):
            n = 200 if ch == "phone" else (10 if q == "2025Q4" else 80)
            s = rng.integers(0, 11, n)
            rows += [(ch, q, int(v)) for v in s]
    df = pd.DataFrame(rows, columns=["channel", "quarter", "nps"])
    trend = metrics.nps_trend(df, quarter_col="quarter", min_n=30)
    suppressed = plots.nps_trend(trend, min_n=30)
    # by default the small quarter leaves a gap: no grey point with its figure
    assert not suppressed.containers
    import matplotlib.pyplot as plt

    plt.close("all")
    ax = plots.nps_trend(trend, min_n=30, suppress=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == quarters
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # one interval band per channel
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Phone", "Web form"]
    # the phone line passes through the table's NPS
    phone_line = ax.get_lines()[0]
    np.testing.assert_allclose(phone_line.get_ydata(), trend.loc["phone", "nps"].to_numpy())
    # web 2025Q4 (n = 10) is not on the line but drawn grey with its interval
    web_line = [ln for ln in ax.get_lines() if ln.get_label() == "Web form"][0]
    assert len(web_line.get_xdata()) == 2
    assert ax.get_ylabel() == "NPS, points (−100…100)"


def test_pnd_split_bars_are_the_shares_of_each_row(by_channel):
    hidden = plots.pnd_split(by_channel, min_n=30)
    # by default the small web row (n = 20) is left empty and labelled "n < 30"
    widths = np.array([p.get_width() for p in hidden.patches]).reshape(3, 2)
    np.testing.assert_allclose(widths[:, 1], 0)
    assert hidden.get_yticklabels()[1].get_text().endswith("(n < 30)")
    ax = plots.pnd_split(by_channel, min_n=30, suppress=False)
    # 3 series × 2 rows; widths in % of each row's answers
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, 2)
    counts = by_channel[["promoters", "passives", "detractors"]].to_numpy().T
    np.testing.assert_allclose(widths, counts / counts.sum(axis=0) * 100)
    np.testing.assert_allclose(widths.sum(axis=0), [100, 100])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Promoters", "Passives", "Detractors"]


def test_cohort_gaps_reference_line_and_empty_groups():
    t = pd.DataFrame({"n": [120, 0, 25], "diff": [-24.0, np.nan, 8.0], "ci_low": [-35.0, np.nan, -20.0],
                      "ci_high": [-13.0, np.nan, 36.0], "small_n": [False, True, True]},
                     index=pd.Index(["lapsed", "never_attended", "camp"], name="cohort"))
    ax = plots.cohort_gaps(t, min_n=30, lang="ru")
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels == ["Ушедшие (нет визитов 90 дней)", "Были в лагере"]  # n = 0 left out
    assert "n < 30" in [x.get_text() for x in ax.texts]  # written in the empty row
    assert any(ln.get_xdata()[0] == 0 for ln in ax.get_lines())  # the "no gap" line


def test_estimates_greys_comparisons_with_a_small_reference():
    t = pd.DataFrame({"n": [500], "estimate": [50.0], "ci_low": [40.0], "ci_high": [60.0],
                      "small_n": [True]}, index=pd.Index(["active"], name="cohort"))
    ax = plots.estimates(t, "estimate", "ci_low", "ci_high", min_n=30)
    assert mcolors.to_hex(ax.get_yticklabels()[0].get_color()) == plots.GREY


def test_complaints_monthly_lines_per_level_and_total():
    months = pd.period_range("2025-01", "2026-03", freq="M").astype(str)
    table = pd.DataFrame({"oral": np.arange(15), "written": np.arange(15) * 2},
                         index=pd.Index(months, name="month"))
    table.columns.name = "oral_written"
    table["total"] = table.sum(axis=1)
    ax = plots.complaints_monthly(table, months=12)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == [i18n.t("plot.oral"), i18n.t("plot.written"),
                                                i18n.t("plot.total")]
    np.testing.assert_array_equal(lines[2].get_ydata(), (np.arange(3, 15) * 3))  # last 12 months


def test_missing_column_names_it():
    with pytest.raises(ParameterError, match="'ci_low'"):
        plots.nps_by_group(pd.DataFrame({"nps": [1.0], "n": [40]}))


def test_quadrant_speaks_the_report_language(rng):
    from cxlab import drivers

    n = 400
    f = rng.integers(1, 6, size=(n, 3)).astype(float)
    nps = np.clip(np.round(1.5 * f[:, 0] + 0.5 * f[:, 1] + rng.normal(0, 1.5, n)), 0, 10)
    df = pd.DataFrame(f, columns=["f_a", "f_b", "f_c"]).assign(nps=nps)
    study = parse_study({"factors": {"a": {"scale": "1-5"}, "b": {"scale": "1-5"},
                                     "c": {"scale": "1-5"}}})
    kd = drivers.key_drivers(df, labels=None, n_boot=50, seed=1, study=study)
    ax = plots.quadrant(kd, lang="ru")
    texts = {t.get_text() for t in ax.texts}
    assert {i18n.t("quadrant.fix_first", "ru"), i18n.t("quadrant.keep_up", "ru")} <= texts
    assert "fix first" not in texts
    assert ax.get_xlabel() == i18n.t("plot.performance", "ru")
    # the points sit at the factors' 0–100 performance, not at their 1–5 means
    x = ax.collections[-1].get_offsets()[:, 0]
    np.testing.assert_allclose(sorted(x), sorted((df[["f_a", "f_b", "f_c"]].mean() - 1) / 4 * 100))


def test_complaint_rate_band_is_the_poisson_interval_and_small_quarters_are_gaps():
    # rates per 100 active clients from complaints.rate_per_100_active's columns; the
    # interval is the exact Poisson one, checked here against statsmodels
    from statsmodels.stats.rates import confint_poisson

    counts, active = np.array([12, 40, 62]), np.array([448, 803, 754])
    lo, hi = confint_poisson(counts, exposure=active / 100, method="exact-c")
    table = pd.DataFrame({"n_complaints": counts, "n_active": active,
                          "rate_per_100": counts / active * 100, "ci_low": lo, "ci_high": hi},
                         index=pd.Index(["2025Q2", "2025Q3", "2025Q4"], name="period"))
    ax = plots.complaint_rate(table, min_n=30)
    line = ax.get_lines()[0]
    y = line.get_ydata()
    assert np.isnan(y[0])  # 12 complaints < 30: a gap, not a figure
    np.testing.assert_allclose(y[1:], table["rate_per_100"].to_numpy()[1:])
    band = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
    verts = band.get_paths()[0].vertices
    assert np.isclose(verts[:, 1].max(), hi[1:].max())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025Q2", "2025Q3", "2025Q4"]


def test_segment_groups_are_labelled_by_the_study():
    # another business: a labelled segment (travel_class) and a free one (store)
    study = parse_study({"segments": {
        "travel_class": {"values": {"economy": {"en": "Economy", "ru": "Эконом"},
                                    "business": {"en": "Business", "ru": "Бизнес"}}},
        "store": {}}})
    df = pd.DataFrame({"travel_class": ["economy"] * 40 + ["business"] * 35,
                       "store": ["s01"] * 45 + ["s02"] * 30,
                       "nps": [10, 9, 3, 7, 8] * 15})
    i18n.use_study(study)
    ax = plots.nps_by_group(metrics.nps_table(df, by="travel_class"), lang="ru")
    # in the study's order (economy first, as it lists them), as the report's tables
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Эконом", "Бизнес"]
    ax = plots.nps_by_group(metrics.nps_table(df, by="store"))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s01", "s02"]
