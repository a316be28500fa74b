"""Build the report notebooks from this script, so their structure is reviewable and
reproducible: ``python notebooks/_build.py`` writes them unexecuted, then
``cxlab notebooks`` (``make notebooks``) executes them in place on the sample data.

Rules the cells follow (DESIGN.md): read only through ``cxlab``; a cell is a call, a
sentence or a chart; headings and narration come from the message catalogue
(``cxlab.i18n``) so ``lang="ru"`` renders Russian; tables are aggregates, suppressed under
``min_n``. Cells tagged ``parameters`` (papermill) and ``remove-cell`` / ``analyst-only``
(notes for JupyterLab readers) are left out of the stakeholder HTML.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PARAMETERS = '''quarter: str = "2026Q3"
warehouse: str = "data/samples.duckdb"  # the sample warehouse; relative paths resolve from the project root
study: str = "data/samples/study.yml"  # the team's study file: code lists, factors, targets
lang: str = "en"
min_n: int = 30
seed: int = 0'''

SETUP = '''from cxlab import cohorts, complaints, drivers, metrics, plots, quality, report, targets
from cxlab.i18n import t

report.notebook_setup(lang, study)
data = report.load_quarter(quarter, warehouse, study)'''


def md(text, tags=("analyst-only",)):
    return ("md", text, tags)


def code(text, tags=()):
    return ("code", text, tags)


def head(key, level=2, **kw):
    extra = "".join(f", {k}={v}" for k, v in kw.items())
    return code(f'report.heading("{key}", lang, {level}{extra})')


def say(key, **kw):
    extra = "".join(f", {k}={v}" for k, v in kw.items())
    return code(f'report.say("{key}", lang{extra})')


def opening(name, intro):
    return [
        md(intro),
        code(PARAMETERS, ("parameters",)),
        code(SETUP, ("remove-cell",)),
        head(f"{name}.title", 1, quarter="quarter"),
    ]


NOTEBOOKS = {
    "quarterly_report": opening(
        "qr",
        "# Quarterly CX report\n\nThe stakeholder report: `cxlab report --quarter 2026Q3` runs "
        "this notebook with papermill and exports it to HTML without code. Change the "
        "parameters below to look at another quarter, study or language. Parts whose data "
        "the warehouse lacks say so in a sentence.",
    ) + [
        say("qr.intro", quarter="quarter", n="len(data.responses)", min_n="min_n"),
        # 0. the quarter's targets
        head("qr.h.targets"),
        code("goals = targets.evaluate(data.study, quarter, data.responses, data.invitations, data.contacts, min_n=min_n)\n"
             'report.readable(goals, "targets", lang, min_n) if len(goals) else report.say("qr.no_targets", lang, quarter=quarter)'),
        # 1. where we are
        head("qr.h.headline"),
        code("trend = metrics.nps_trend(data.responses_all, min_n=min_n) if data.scored else None  # 0–10 answers\n"
             'report.bullets(report.headline_sentences(trend, quarter, min_n, lang)) if data.scored else report.say("qr.no_scores", lang)'),
        code('csi = metrics.csi_table(data.responses, min_n=min_n, study=data.study) if data.responses["csat"].notna().any() else None\n'
             'rate = metrics.response_rate(data.responses, data.invitations, by="channel", min_n=min_n) if len(data.invitations) else None\n'
             "report.headline_view(trend, csi, rate, quarter, min_n, lang)"),
        say("qr.headline_note"),
        code('binary = data.responses[data.responses["recommend"].notna()]  # yes/no answers: never pooled with 0–10\n'
             "if len(binary):\n"
             '    display(report.heading("qr.h.binary", lang, 3),\n'
             '            report.share_view(metrics.binary_nps_table(binary, min_n=min_n), min_n=min_n, lang=lang, name="recommend_ci"))'),
        code('if len(data.contacts):\n'
             '    fcr = metrics.fcr_table(data.contacts, by=["quarter", "channel"], min_n=min_n).xs(quarter)\n'
             '    display(report.heading("qr.h.fcr", lang, 3), report.share_view(fcr, min_n=min_n, lang=lang, name="fcr_ci"),\n'
             '            report.say("qr.fcr_note", lang))'),
        code('for segment in data.segments[:1] if data.scored else []:  # the first segment here; all in "segments"\n'
             '    by_segment = metrics.nps_table(data.responses, by=segment, min_n=min_n)\n'
             '    display(report.heading("qr.h.segment", lang, 2, segment=report.col_label(segment, lang)))\n'
             '    report.show(plots.nps_by_group(by_segment, min_n=min_n, lang=lang))\n'
             '    display(report.nps_view(by_segment, min_n, lang))'),
        code("if data.scored:\n"
             '    display(report.heading("qr.h.trend", lang, 2))\n'
             "    report.show(plots.nps_trend(trend, min_n=min_n, lang=lang, title=report.trend_title(trend, quarter, lang)))\n"
             '    display(report.heading("qr.h.split", lang, 2))\n'
             "    report.show(plots.pnd_split(metrics.nps_table(data.responses, min_n=min_n), min_n=min_n, lang=lang))"),
        # 2. what drives loyalty
        head("qr.h.drivers"),
        code('if not report.skip(data, "drivers", lang):\n'
             "    kd = drivers.key_drivers(data.responses, seed=seed, labels=lang, study=data.study)\n"
             "    display(report.bullets(report.driver_findings(kd, lang)))\n"
             "    report.show(plots.quadrant(kd, lang=lang))\n"
             "    display(report.drivers_view(kd, lang, min_n), report.say(\"qr.drivers_note\", lang))"),
        # 3. who
        head("qr.h.cohorts"),
        code('if not report.skip(data, "cohorts", lang):\n'
             "    with_cohorts = cohorts.attach(data.responses, data.clients, data.visits, study=data.study)\n"
             "    gaps = cohorts.compare_cohorts(with_cohorts, min_n=min_n)\n"
             "    report.show(gaps.plot(lang=lang, title=report.cohort_title(gaps, lang)))\n"
             "    display(report.cohort_view(gaps, min_n, lang))"),
        code('if not data.lacks("cohorts"):\n'
             '    promo = cohorts.promotion(data.responses_all, data.clients, min_n=min_n)\n'
             '    display(report.heading("qr.h.promotion", lang, 3),\n'
             '            report.say("text.plain", lang, text=report.promotion_finding(promo, lang)),\n'
             '            report.promotion_view(promo, min_n, lang))'),
        # 4. what went wrong
        head("qr.h.complaints"),
        code('if not report.skip(data, "complaints", lang):\n'
             "    section = complaints.complaints_section(data.complaints, data.responses_all if data.scored else None,\n"
             "                                           data.clients, data.visits, quarter, min_n=min_n, study=data.study)\n"
             "    display(report.complaints_note(section, lang), report.complaints_view(section, min_n, lang))\n"
             "    report.show(plots.complaint_rate(section.volume, min_n=min_n, lang=lang))"),
        code('recent, window = data.recent_complaints(4), data.window_label(4)  # a quarter is too few complaints to split\n'
             'if report.recorded(recent, "category"):\n'
             '    display(report.heading("qr.h.complaint_categories", lang, 3, window=window),\n'
             '            report.breakdown_view(complaints.monthly(recent, by="category", study=data.study),\n'
             '                                  complaints.share_justified(recent, by="category", freq=None, min_n=min_n, study=data.study) if report.recorded(recent, "justified") else None,\n'
             '                                  complaints.long_service(recent, "category", calendar=section.calendar, min_n=min_n, study=data.study) if report.recorded(recent, "resolved_at") else None,\n'
             '                                  min_n, lang))'),
        # 5. can we trust the figures
        head("qr.h.trust"),
        code("report.bullets(report.trust_notes(quality.trust_report(data.responses, min_n=min_n, study=data.study), lang, min_n))"),
    ],
    "nps_overview": opening(
        "nps",
        "# NPS in detail\n\nThe analyst's view of the quarter's NPS, CSI and response rates: the "
        "same `cxlab.metrics` functions as the stakeholder report, with every column.",
    ) + [
        head("nps.h.channel"),
        code('report.readable(metrics.nps_table(data.responses, min_n=min_n), "nps", lang, min_n) if data.scored else report.say("qr.no_scores", lang)'),
        code('if data.scored and data.responses["survey"].notna().any():\n'
             '    display(report.heading("nps.h.survey", lang, 2),\n'
             '            report.readable(metrics.nps_table(data.responses, by="survey", min_n=min_n), "nps", lang, min_n))'),
        code("if data.scored:\n"
             "    trend = metrics.nps_trend(data.responses_all, min_n=min_n)\n"
             '    display(report.heading("nps.h.trend", lang, 2), report.readable(trend, "trend", lang, min_n))\n'
             "    report.show(plots.nps_trend(trend, min_n=min_n, lang=lang, title=report.trend_title(trend, quarter, lang)))"),
        code("if data.scored and len(data.channels) > 1:  # each channel against the first one the study lists\n"
             '    versus = metrics.compare_groups(data.responses, group_col="channel", reference=data.channels[0], min_n=min_n)\n'
             '    display(report.heading("nps.h.channels", lang, 2, reference=report.code_label(data.channels[0], lang, "channel")),\n'
             '            report.readable(versus, "compare", lang, min_n, figure="nps"))'),
        head("nps.h.binary"),
        code("binary = data.responses_all[data.responses_all[\"recommend\"].notna()]\n"
             'report.readable(metrics.binary_nps_table(binary, by="quarter", min_n=min_n), "binary", lang, min_n) if len(binary) else report.say("nps.no_binary", lang)'),
        code('if data.responses["csat"].notna().any():\n'
             '    display(report.heading("nps.h.csi", lang, 2),\n'
             '            report.readable(metrics.csi_table(data.responses, min_n=min_n, study=data.study), "csi", lang, min_n))'),
        code('if len(data.invitations):\n'
             '    rate = metrics.response_rate(data.responses, data.invitations, by=["survey", "channel"], min_n=min_n)\n'
             '    display(report.heading("nps.h.response_rate", lang, 2), report.readable(rate, "response_rate", lang, min_n))'),
        code('interviewed = data.responses[data.responses["interviewer_id"].notna() & data.responses["nps"].notna()]\n'
             "for channel in data.study.channels.order(interviewed[\"channel\"].unique()):  # one channel per figure\n"
             '    display(report.heading("nps.h.interviewers", lang, 2, channel=report.code_label(channel, lang, "channel")),\n'
             '            report.readable(quality.interviewer_flags(interviewed[interviewed["channel"] == channel], min_n=min_n), "interviewers", lang, min_n),\n'
             '            report.say("nps.interviewers_note", lang))'),
    ],
    "drivers": opening(
        "drv",
        "# What drives loyalty\n\nKey driver analysis of the quarter (`cxlab.drivers`): exact "
        "Shapley shares of R², the quadrant, robustness checks and drivers by channel.",
    ) + [
        code("kd = drivers.key_drivers(data.responses, seed=seed, labels=lang, study=data.study)\n"
             "report.bullets(report.driver_findings(kd, lang))"),
        code("report.show(plots.quadrant(kd, lang=lang))"),
        head("drv.h.table"),
        code('report.readable(kd, "drivers", lang, min_n)'),
        say("drv.table_note"),
        code("report.bullets(kd.warnings) if kd.warnings else None", ("analyst-only",)),
        head("drv.h.robustness"),
        code("check = drivers.robustness(data.responses, study=data.study)\n"
             'labels = dict(zip(kd.table.index, kd.table["label"]))\n'
             'display(report.readable(check, "robustness", lang, min_n, labels=labels),\n'
             '        report.readable(check, "agreement", lang, min_n))'),
        say("drv.robustness_note"),
        head("drv.h.by_channel"),
        code('by_channel = drivers.key_drivers_by(data.responses, by="channel", min_n=min_n, seed=seed, labels=lang, study=data.study)\n'
             'report.readable(by_channel, "segment_drivers", lang, min_n)'),
    ],
    "segments": opening(
        "seg",
        "# Segments\n\nNPS by each segment the study declares (`segments:` in the study "
        "file: store, region, tier, programme …), within each survey channel, and each "
        "segment's groups compared with the rest.",
    ) + [
        code('binary = data.responses[data.responses["recommend"].notna()]  # yes/no answers: reported apart\n'
             "for segment in data.segments:\n"
             '    display(report.heading("seg.h.segment", lang, 2, segment=report.col_label(segment, lang)))\n'
             "    if data.scored:\n"
             '        table = metrics.nps_table(data.responses, by=segment, min_n=min_n)\n'
             '        report.show(plots.nps_by_group(table, min_n=min_n, lang=lang))\n'
             '        display(report.readable(table, "nps", lang, min_n),\n'
             '                report.readable(metrics.compare_groups(data.responses, group_col=segment, min_n=min_n), "compare", lang, min_n, figure="nps"))\n'
             '    if len(binary):\n'
             '        display(report.readable(metrics.binary_nps_table(binary, by=segment, min_n=min_n), "binary", lang, min_n))'),
        say("seg.compare_note", min_n="min_n"),
    ],
    "cohorts": opening(
        "coh",
        "# Client cohorts\n\nActive, lapsed and never-attended clients, new and repeat ones, and the "
        "study's own cohorts (`cxlab.cohorts`): cohort sizes at the quarter's end, NPS and "
        "satisfaction by cohort, and stated vs actual promotion.",
    ) + [
        head("coh.h.sizes"),
        code('members = cohorts.assign(data.clients, data.visits, asof=data.last_day, study=data.study)\n'
             'report.readable(members.sum(), "counts", lang, min_n, kinds={None: "cohort"})'),
        head("coh.h.nps"),
        code("with_cohorts = cohorts.attach(data.responses, data.clients, data.visits, study=data.study)\n"
             "gaps = cohorts.compare_cohorts(with_cohorts, min_n=min_n)\n"
             "report.show(gaps.plot(lang=lang, title=report.cohort_title(gaps, lang)))"),
        code('report.readable(gaps, "cohorts", lang, min_n)'),
        say("coh.table_note", min_n="min_n"),
        code('if with_cohorts["csat"].notna().any():\n'
             '    display(report.heading("coh.h.csat", lang, 2),\n'
             '            report.readable(cohorts.compare_cohorts(with_cohorts, metric="csat", min_n=min_n), "cohorts", lang, min_n))'),
        head("coh.h.promotion"),
        code("promo = cohorts.promotion(data.responses_all, data.clients, min_n=min_n)\n"
             "report.say(\"text.plain\", lang, text=report.promotion_finding(promo, lang))"),
        code("report.promotion_view(promo, min_n, lang)"),
        code("report.show(promo.plot(lang=lang))"),
    ],
    "complaints": opening(
        "cmp",
        "# Complaints and incidents\n\nThe complaint log for the quarter (`cxlab.complaints`): "
        "volume per 100 active clients, channels and categories, deadlines in working hours, "
        "satisfaction and loyalty after the resolution.",
    ) + [
        code("section = complaints.complaints_section(data.complaints, data.responses_all if data.scored else None,\n"
             "                                       data.clients, data.visits, quarter, min_n=min_n, study=data.study)\n"
             "display(report.complaints_note(section, lang), report.complaints_view(section, min_n, lang))"),
        head("cmp.h.volume"),
        code('report.readable(section.volume, "volume", lang, min_n)'),
        code("report.show(plots.complaint_rate(section.volume, min_n=min_n, lang=lang))"),
        code("recent, window, cal = data.recent_complaints(4), data.window_label(4), section.calendar\n"
             "justified, resolved = report.recorded(recent, \"justified\"), report.recorded(recent, \"resolved_at\")\n"
             'report.say("cmp.window_note", lang, window=window, min_n=min_n)'),
        code('for by, kind in [("channel", "channel"), ("oral_written", "oral_written"), ("category", None)]:\n'
             '    if by == "category" and not report.recorded(recent, "category"):\n'
             '        continue\n'
             '    display(report.heading(f"cmp.h.{by}", lang, 2, window=window),\n'
             '            report.breakdown_view(complaints.monthly(recent, by=by, study=data.study),\n'
             '                                  complaints.share_justified(recent, by=by, freq=None, min_n=min_n, study=data.study) if justified else None,\n'
             '                                  complaints.long_service(recent, by, calendar=cal, min_n=min_n, study=data.study) if resolved else None,\n'
             '                                  min_n, lang, kind=kind))'),
        code('if report.recorded(recent, "importance", "origin"):\n'
             '    display(report.heading("cmp.h.importance", lang, 2, window=window),\n'
             '            report.crosstab_view(recent, "importance", "origin", min_n, lang))'),
        code('if report.recorded(recent, "importance") and resolved:\n'
             '    deadlines = complaints.deadline_summary(recent, asof=data.end, calendar=cal, min_n=min_n, study=data.study)\n'
             '    display(report.heading("cmp.h.deadlines", lang, 2, window=window),\n'
             '            report.readable(deadlines.drop(index="all"), "deadlines", lang, min_n))'),
        head("cmp.h.after", quarter="quarter"),
        code('report.part(section, "after_resolution", "after_resolution", lang, min_n)'),
        head("cmp.h.complainant_nps", quarter="quarter"),
        code('report.part(section, "complainant_nps", "complainant_nps", lang, min_n)'),
    ],
}


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, text, tags) in enumerate(cells):
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"{name.replace('_', '-')}-{i:02d}"  # stable ids: reproducible files
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(name, cells), str(HERE / f"{name}.ipynb"))
        print(f"wrote notebooks/{name}.ipynb ({len(cells)} cells)")


if __name__ == "__main__":
    main()
