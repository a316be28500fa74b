"""The pages of a stakeholder report: a notebook exported to lean, self-contained HTML,
the navigation and footer, and the quarter's and the reports folder's index pages.

Nothing here runs a notebook or touches the warehouse (:mod:`cxlab.report.rendering`
does); these functions turn an executed notebook and a list of sections into HTML. Every
data value is escaped (``html.escape``; notebook outputs by nbconvert), the page carries
its own 2 KB stylesheet, and nothing is fetched from the network.
"""

from __future__ import annotations

import copy
import datetime as _dt
import html
from pathlib import Path

from cxlab import i18n
from cxlab.quarter import QUARTER_RE

#: Cells with these tags are left out of the HTML (the parameters papermill injects, and
#: set-up cells an analyst sees in JupyterLab but a stakeholder need not).
REMOVE_TAGS: tuple[str, ...] = ("parameters", "injected-parameters", "remove-cell", "analyst-only")


#: A notebook's prose is Markdown, one cell per language, tagged ``lang-en`` / ``lang-ru``.
#: A run in one language drops the other languages' cells before execution and export
#: (:func:`for_language`); untagged cells belong to every language.
LANG_TAG = "lang-"


def for_language(nb, lang: str):
    """A copy of ``nb`` without the cells tagged for a language other than ``lang``
    (``lang-ru`` cells in an English report and vice versa); untagged cells stay."""
    keep = f"{LANG_TAG}{lang}"
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells
                if not any(t.startswith(LANG_TAG) and t != keep
                           for t in c.get("metadata", {}).get("tags", []))]
    return nb


_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{#- The whole <head> is ours, so a page is self-contained (for e-mail and offline reading)
    and small: nothing is fetched from the network (no require.js, MathJax, mermaid or
    widget scripts), and instead of JupyterLab's ~250 KB of CSS (and the pygments CSS of
    code a stakeholder never sees) one small stylesheet of our own, inlined (_CSS). -#}
{%- block html_head -%}
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ nb.metadata.get('title', resources['metadata']['name']) | escape_html_keep_quotes }}</title>
<style type="text/css">{{ resources.cxlab_css }}</style>
{%- endblock html_head -%}
{%- block body_header -%}
{{ super() }}
{{ resources.cxlab_nav }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.cxlab_footer }}
{{ super() }}
{%- endblock body_footer -%}
{#- A chart's text alternative (cxlab.report.show puts it in the PNG output's metadata,
    as nbconvert's classic template reads it; the lab template drops it). -#}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
{%- set alttext=(output | get_metadata('alt', 'image/png')) or (cell | get_metadata('alt')) %}
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
{%- if alttext %} alt="{{ alttext | escape_html }}"{%- endif %}
{%- set width=output | get_metadata('width', 'image/png') -%}
{%- if width is not none %} width={{ width | escape_html }}{%- endif %}
{%- set height=output | get_metadata('height', 'image/png') -%}
{%- if height is not none %} height={{ height | escape_html }}{%- endif %}
>
</div>
{%- endblock data_png %}
"""


_CSS = """
/* The page's whole stylesheet (JupyterLab's is not included): the lab template's markup,
   readable on a phone. Wide tables scroll sideways in their own box, images fit the screen. */
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; padding: 0 1em 1em; color: #222; background: #fff; line-height: 1.5;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main, nav.cxlab-nav, footer.cxlab-footer { max-width: 1100px; margin: 0 auto; }
nav.cxlab-nav, footer.cxlab-footer { padding: 0.6em 0; font-size: 0.9em; color: #555; }
nav.cxlab-nav { border-bottom: 1px solid #ddd; }
footer.cxlab-footer { border-top: 1px solid #ddd; margin-top: 2em; }
nav.cxlab-nav a { margin-right: 0.3em; }
a { color: #1a5a96; }
h1 { font-size: 1.6em; line-height: 1.25; margin: 0.7em 0 0.4em; }
h2 { font-size: 1.3em; line-height: 1.3; margin: 1.5em 0 0.5em; }
h3 { font-size: 1.1em; line-height: 1.3; margin: 1.2em 0 0.4em; }
p, ul, ol { margin: 0.5em 0; }
ul, ol { padding-left: 1.4em; }
a.anchor-link, .jp-Collapser { display: none; }
.jp-OutputArea-output { max-width: 100%; overflow-x: auto; }
img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; font-size: 0.9em; }
table { border-collapse: collapse; border: none; font-size: 0.9em; margin: 0.4em 0 1em;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.3em 0.6em; border: none; text-align: right; vertical-align: top; }
td { white-space: nowrap; }
thead th { vertical-align: bottom; border-bottom: 1px solid #888; }
tbody th { text-align: left; font-weight: 600; }
tbody tr:nth-child(even) { background: #f3f4f6; }
td.small-n, tr.small-n td { color: #999; }
@media (max-width: 600px) {
  body { padding: 0 0.6em 1em; }
  h1 { font-size: 1.35em; } h2 { font-size: 1.15em; } h3 { font-size: 1.05em; }
  table { font-size: 0.85em; }
  th, td { padding: 0.25em 0.45em; }
}
"""


def _exporter(lang: str):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config({
        "TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": list(REMOVE_TAGS)},
    })
    return HTMLExporter(
        config=config,
        template_name="lab",
        extra_loaders=[DictLoader({"cxlab_report.html.j2": _TEMPLATE})],
        template_file="cxlab_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )


def _for_stakeholders(nb, lang: str | None = None):
    """A copy without what a stakeholder should not see: stderr streams, error outputs and,
    given ``lang``, the cells tagged for another language."""
    nb = copy.deepcopy(nb) if lang is None else for_language(nb, lang)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [
            o for o in cell.get("outputs", [])
            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            and o.get("output_type") != "error"
        ]
    return nb


def export_html(nb, title: str, lang: str = "en", nav: str = "", footer: str = "") -> str:
    """HTML of an executed notebook for stakeholders: no code, prompts or parameter cells,
    and only the prose cells of ``lang``."""
    nb = _for_stakeholders(nb, lang)
    nb.metadata["title"] = title
    resources = {"cxlab_nav": nav, "cxlab_footer": footer, "cxlab_css": _CSS}
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    return body


def _nav_html(quarter: str, titles: dict[str, str], current: str, lang: str) -> str:
    links = [f'<a href="index.html">{html.escape(i18n.t("report.quarter_title", lang, quarter=quarter))}</a>']
    for name, title in titles.items():
        if name == current:
            links.append(f"<strong>{html.escape(title)}</strong>")
        else:
            links.append(f'<a href="{html.escape(name)}.html">{html.escape(title)}</a>')
    return '<nav class="cxlab-nav">' + " · ".join(links) + "</nav>"


def _disclosure(parameters: dict) -> int:
    """The run's disclosure threshold (its study's)."""
    from cxlab.study import load_study

    return load_study(parameters.get("study") or None).disclosure


def _footer_html(quarter: str, parameters: dict, lang: str) -> str:
    text = i18n.t("report.footer", lang, quarter=quarter, min_n=parameters["min_n"],
                  k=_disclosure(parameters))
    return f'<footer class="cxlab-footer">{html.escape(text)}</footer>'


# ------------------------------------------------------------------------- index pages

def _page(title: str, body: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8" />\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n"
        "body { font-family: -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "sans-serif; max-width: 800px; margin: 2em auto; padding: 0 1em; color: #222; }\n"
        "li { margin: 0.4em 0; } .meta { color: #666; font-size: 0.9em; }\n"
        f"</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def quarter_index_html(quarter: str, sections, lang: str, parameters: dict,
                       left_out=()) -> str:
    """The quarter's front page: its sections, those left out and why, and how the report
    was made. ``left_out`` is a sequence of ``(title, reason text)``."""
    title = i18n.t("report.quarter_title", lang, quarter=quarter)
    items = "\n".join(
        f'<li><a href="{html.escape(s.html)}">{html.escape(s.title)}</a></li>' for s in sections
    )
    skipped = ""
    if left_out:
        rows = "\n".join(f"<li>{html.escape(t)}: {html.escape(r)}</li>" for t, r in left_out)
        skipped = (f'<h2>{html.escape(i18n.t("report.left_out", lang))}</h2>\n'
                   f'<ul class="left-out">\n{rows}\n</ul>\n')
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = i18n.t("report.made", lang, when=when, min_n=parameters.get("min_n", ""),
                  k=_disclosure(parameters))
    body = (
        f'<p class="meta"><a href="../../index.html">{html.escape(i18n.t("report.all_quarters", lang))}</a></p>\n'
        f"<h1>{html.escape(title)}</h1>\n<ul>\n{items}\n</ul>\n{skipped}"
        f'<p class="meta">{html.escape(meta)}</p>'
    )
    return _page(title, body, lang)


def reports_index_html(out: Path, lang: str) -> str:
    """``reports/index.html``: every rendered quarter, newest first, with a link to each
    language it was rendered in. The page is the same whichever language ran last: its
    title in every language of the catalogue, each language's name in that language."""
    names = {"en": "English", "ru": "Русский"}
    quarters = sorted((p for p in out.iterdir() if p.is_dir() and QUARTER_RE.match(p.name)),
                      key=lambda p: p.name, reverse=True)
    items = []
    for q in quarters:
        langs = sorted(x.name for x in q.iterdir() if x.is_dir() and (x / "index.html").is_file())
        if not langs:
            continue
        links = " · ".join(f'<a href="{html.escape(q.name)}/{html.escape(x)}/index.html" '
                           f'hreflang="{html.escape(x)}" lang="{html.escape(x)}">'
                           f'{html.escape(names.get(x, x))}</a>' for x in langs)
        items.append(f"<li><strong>{html.escape(q.name)}</strong>: {links}</li>")
    title = " · ".join(dict.fromkeys(i18n.t("report.index_title", x) for x in i18n.LANGUAGES))
    body = f"<h1>{html.escape(title)}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>"
    return _page(title, body, "mul")
