"""Quarterly reports: the notebooks' and the CLI's one import (``from cxlab import report``).

``report`` never analyses. It renders the report notebooks into stakeholder HTML and holds
the presentation helpers those notebooks call. Every name below is importable as
``report.<name>``; it lives in one of these modules:

===============================  ===========================================================
module                           job
===============================  ===========================================================
:mod:`cxlab.report.rendering`    papermill → executed notebooks → disclosure audit → HTML,
                                 the folders and their atomic swap (:func:`render`,
                                 :func:`execute_in_place`, :class:`RenderResult`)
:mod:`cxlab.report.pages`        a notebook as a lean HTML page; nav, footer, index pages
:mod:`cxlab.report.tables`       an analysis result as a stakeholder table:
                                 :func:`readable` (one presenter per kind) and the
                                 ``*_view`` shortcuts
:mod:`cxlab.report.voice`        what clients say for stakeholders: themes, words,
                                 candidates, redacted quotes (:func:`themes_view`)
:mod:`cxlab.report.formats`      how numbers and codes read: :func:`fmt_num`,
                                 :func:`estimate_text`, :func:`p_text`, :func:`count_text`,
                                 :func:`code_label`, :func:`col_label`
:mod:`cxlab.report.narrative`    headings, sentences and findings in words, display
                                 helpers: :func:`heading`, :func:`say`, :func:`show`,
                                 :func:`driver_findings`, :func:`trust_notes`
:mod:`cxlab.suppression`         the two thresholds (``min_n`` for estimates, the
                                 disclosure threshold for counts of people) and their texts
:mod:`cxlab.disclosure`          the quarter-wide audit: no hidden count derivable
:mod:`cxlab.quarter`             quarter strings parsed in one place, and a quarter's data:
                                 :func:`load_quarter`, :class:`QuarterData`
:mod:`cxlab.errors`              :class:`ReportError`, :class:`NotebookError`
===============================  ===========================================================

The rule the presentation helpers keep: a stakeholder report never shows an estimate
from fewer than ``min_n`` answers, nor a count of people under the disclosure threshold —
nor lets one be worked out from the rest of the quarter (:mod:`cxlab.disclosure`).

>>> from cxlab import report
>>> data = report.load_quarter("2026Q3", "data/samples.duckdb")        # doctest: +SKIP
>>> report.readable(metrics.nps_table(data.responses), "nps", "ru", 30)  # doctest: +SKIP
>>> report.render("2026Q3", warehouse="data/samples.duckdb", lang="ru")  # doctest: +SKIP
"""

from cxlab.errors import NotebookError, ReportError
from cxlab.quarter import (
                           QUARTER_RE,
                           QuarterData,
                           check_quarter_format,
                           load_quarter,
                           previous_quarter,
                           quarter_bounds,
                           resolve_quarter,
)
from cxlab.report.formats import (
                           CODE_LEVELS,
                           MINUS,
                           change_text,
                           code_label,
                           col_label,
                           count_text,
                           estimate_text,
                           fmt_num,
                           p_text,
                           yes_no,
)
from cxlab.report.narrative import (
                           TRUST_CHECKS,
                           asymmetry_note,
                           bullets,
                           cohort_title,
                           complaints_note,
                           design_note,
                           driver_findings,
                           driver_method_note,
                           heading,
                           headline_sentences,
                           notebook_setup,
                           part,
                           promotion_finding,
                           recorded,
                           say,
                           show,
                           skip,
                           trend_title,
                           trust_notes,
                           weighting_section,
)
from cxlab.report.rendering import (
                           AUDIT,
                           KERNEL_NAME,
                           LEDGER_SUFFIX,
                           MANIFEST,
                           NOTEBOOKS,
                           REMOVE_TAGS,
                           RenderResult,
                           Section,
                           analyst_folder,
                           clean_leftovers,
                           execute_in_place,
                           export_html,
                           quarter_index_html,
                           render,
                           reports_index_html,
                           run_notebook,
                           section_title,
)
from cxlab.report.tables import (
                           analyst_view,
                           breakdown_view,
                           cohort_view,
                           comparison_view,
                           complaints_view,
                           counts_change_view,
                           crosstab_view,
                           design_view,
                           drivers_view,
                           headline_view,
                           in_study_order,
                           nps_view,
                           promotion_view,
                           readable,
                           share_view,
                           trend_view,
                           weighted_view,
)
from cxlab.report.voice import (
                           candidates_view,
                           quotable,
                           quotes_view,
                           terms_view,
                           theme_counts_view,
                           themes_view,
)
from cxlab.suppression import (
                           COUNT_COLUMNS,
                           hidden_label,
                           small_count_label,
                           suppress_small,
                           suppressed_label,
)

__all__ = [
    # rendering
    "render", "execute_in_place", "run_notebook", "export_html", "quarter_index_html",
    "reports_index_html", "section_title", "clean_leftovers", "RenderResult", "Section",
    "NOTEBOOKS", "MANIFEST", "KERNEL_NAME", "REMOVE_TAGS", "analyst_folder", "AUDIT",
    "LEDGER_SUFFIX",
    # a quarter
    "load_quarter", "QuarterData", "resolve_quarter", "check_quarter_format",
    "quarter_bounds", "previous_quarter", "QUARTER_RE",
    # stakeholder tables
    "readable", "in_study_order", "nps_view", "share_view", "trend_view", "comparison_view",
    "headline_view", "drivers_view", "cohort_view", "promotion_view", "complaints_view",
    "counts_change_view", "crosstab_view", "breakdown_view", "analyst_view", "design_view",
    "weighted_view",
    # what clients say
    "themes_view", "terms_view", "candidates_view", "theme_counts_view", "quotes_view",
    "quotable",
    # formats and labels
    "fmt_num", "estimate_text", "change_text", "p_text", "count_text", "yes_no",
    "code_label", "col_label", "MINUS", "CODE_LEVELS",
    # narration
    "heading", "say", "bullets", "show", "skip", "part", "recorded", "notebook_setup",
    "headline_sentences", "trend_title", "driver_findings", "cohort_title",
    "promotion_finding", "complaints_note", "trust_notes", "TRUST_CHECKS", "design_note",
    "driver_method_note", "weighting_section", "asymmetry_note",
    # suppression
    "suppressed_label", "small_count_label", "suppress_small", "hidden_label",
    "COUNT_COLUMNS",
    # errors
    "ReportError", "NotebookError",
]
