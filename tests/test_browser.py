"""The rendered report in a real browser: headless Chromium driven by Playwright.

The sample data's quarter is rendered once per language (English and Russian) into a
temporary folder, and every HTML page found there (the section pages and the indexes,
whatever the folder layout) is opened from disk with ``file://`` on a phone-sized screen,
as a stakeholder opens the report from an e-mail or a shared drive. Per page:

* no console message of type ``error`` and no uncaught exception (``pageerror``);
* no request for anything but ``file:`` or ``data:`` URLs: the report is self-contained
  (such requests are recorded, then aborted, so the test never waits on the network);
* every ``<img>`` has loaded and decoded (``complete`` and ``naturalWidth > 0``);
* no element carries an event-handler attribute (``onclick``, ``onerror`` …), checked in
  the live DOM rather than in the HTML text;
* a full-page screenshot at phone width goes to
  ``test-artifacts/screenshots/<lang>/<page>.png`` (and one of the quarter's index at
  desktop width), for a person to look at.

The browser is the machine's Chromium (Debian's ``chromium`` package, which ``make test``
installs when missing), not a Playwright download: ``playwright install`` cannot fetch
browsers here.
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from cxlab import report
from cxlab.paths import PROJ_ROOT

QUARTER = "2026Q3"  # the sample data's last complete quarter
LANGS = ("en", "ru")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = PROJ_ROOT / "test-artifacts" / "screenshots"
LOCAL_SCHEMES = ("file:", "data:")
#: Without the --disable-* flags Chromium phones Google's hosts on start (field trials,
#: component updates, sync), and those connections fail on machines without the internet.
CHROMIUM_ARGS = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "Chromium is not installed (no `chromium` on PATH): tests/test_browser.py drives the "
    "machine's Chromium through Playwright (Playwright's own browser download is not used). "
    "Install it with `make browser` (on Debian/Ubuntu: "
    "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium); "
    "`make test` installs it itself."
)

#: Waits for every image to decode (at most 5 s each), then lists those that did not.
IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  const broken = [];
  for (const [i, img] of imgs.entries()) {
    await Promise.race([img.decode().catch(() => null),
                        new Promise(done => setTimeout(done, 5000))]);
    if (!(img.complete && img.naturalWidth > 0)) {
      broken.push({index: i, src: (img.currentSrc || img.src || '').slice(0, 80),
                   alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth});
    }
  }
  return {count: imgs.length, broken: broken};
}"""

#: Every attribute whose name starts with "on" on any element (SVG too), looked for twice:
#: in the live DOM, and in the page's source as the browser parses it before any script
#: runs (DOMParser: no scripts, no loads), where a handler that fired and removed its
#: element or itself (``onerror="this.remove()"``) is still to be seen.
HANDLERS_JS = """(source) => {
  const found = new Map();
  const look = (doc, where) => {
    for (const el of doc.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (!a.name.toLowerCase().startsWith('on')) continue;
        const item = {tag: el.tagName.toLowerCase(), id: el.id, attr: a.name,
                      value: a.value.slice(0, 120), where: where};
        const key = [item.tag, item.id, item.attr, a.value].join('\\u0000');
        if (!found.has(key)) found.set(key, item);
      }
    }
  };
  look(document, 'live DOM');
  look(new DOMParser().parseFromString(source, 'text/html'), 'source');
  return Array.from(found.values());
}"""


@dataclass
class Visit:
    """What one page did in the browser."""

    name: str
    path: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[dict] = field(default_factory=list)
    handler_attributes: list[dict] = field(default_factory=list)
    screenshot: Path | None = None


@dataclass
class Site:
    """One language's rendering and the visits of its pages."""

    lang: str
    out: Path
    result: report.RenderResult
    visits: list[Visit]
    desktop_index: Path


def _page_name(out: Path, page: Path) -> str:
    """``2026Q3/drivers.html`` → ``2026Q3-drivers``; ``index.html`` → ``index``."""
    return "-".join(page.relative_to(out).with_suffix("").parts)


def _png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _keep_local(route):
    """Requests the report should never make are recorded (page.on('request')) and aborted."""
    if route.request.url.startswith(LOCAL_SCHEMES):
        route.continue_()
    else:
        route.abort()


def _visit(context, out: Path, path: Path, shots: Path) -> Visit:
    visit = Visit(name=_page_name(out, path), path=path)

    def on_console(message):
        if message.type == "error":
            where = message.location or {}
            visit.console_errors.append(
                f"{message.text} (at {where.get('url', '?')[:80]}:{where.get('lineNumber', '?')})")

    def on_request(request):
        if not request.url.startswith(LOCAL_SCHEMES):
            visit.foreign_requests.append(request.url)

    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
    page.on("request", on_request)
    try:
        page.goto(path.as_uri(), wait_until="load")
        images = page.evaluate(IMAGES_JS)
        visit.images, visit.broken_images = images["count"], images["broken"]
        visit.handler_attributes = page.evaluate(HANDLERS_JS, path.read_text(encoding="utf-8"))
        visit.screenshot = shots / f"{visit.name}.png"
        page.screenshot(path=str(visit.screenshot), full_page=True)
    finally:
        page.close()
    return visit


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    args = CHROMIUM_ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module", params=LANGS)
def site(request, browser, sample_report) -> Site:
    """The sample quarter rendered in one language, every page opened on a phone."""
    lang = request.param
    result, out = sample_report(lang)
    pages = sorted(out.rglob("*.html"))
    shots = SCREENSHOTS / lang
    shutil.rmtree(shots, ignore_errors=True)  # no screenshot of a page that is gone
    shots.mkdir(parents=True)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=1, locale=lang)
    context.route("**/*", _keep_local)
    try:
        visits = [_visit(context, out, path, shots) for path in pages]
    finally:
        context.close()

    context = browser.new_context(viewport=DESKTOP, locale=lang)
    context.route("**/*", _keep_local)
    try:
        desktop = context.new_page()
        desktop.goto(result.index.as_uri(), wait_until="load")
        desktop_index = shots / f"desktop-{_page_name(out, result.index)}.png"
        desktop.screenshot(path=str(desktop_index), full_page=True)
    finally:
        context.close()
    return Site(lang, out, result, visits, desktop_index)


def _problems(site: Site, attribute: str, fmt=str) -> list[str]:
    return [f"{v.name}: {fmt(item)}" for v in site.visits for item in getattr(v, attribute)]


def _fail_message(site: Site, what: str, problems: list[str]) -> str:
    return f"[{site.lang}] {what} on {len(problems)} occasion(s):\n  " + "\n  ".join(problems)


# ----------------------------------------------------------------------------- tests

def test_every_section_page_and_index_was_opened(site):
    opened = {v.path for v in site.visits}
    quarter = site.result.index.parent
    expected = {site.result.index} | {quarter / s.html for s in site.result.sections}
    assert site.result.sections, "the sample quarter rendered no section"
    assert expected <= opened, f"not opened: {sorted(map(str, expected - opened))}"
    # the index of every quarter (the reports folder's front page) is a page too
    assert any(v.path.name == "index.html" and v.path != site.result.index for v in site.visits)


def test_no_console_errors(site):
    problems = _problems(site, "console_errors")
    assert not problems, _fail_message(site, "console error", problems)


def test_no_uncaught_exceptions(site):
    problems = _problems(site, "page_errors")
    assert not problems, _fail_message(site, "uncaught exception (pageerror)", problems)


def test_nothing_is_fetched_from_outside_the_page(site):
    problems = _problems(site, "foreign_requests")
    assert not problems, _fail_message(site, "request that is not file: or data:", problems)


def test_every_image_is_decoded(site):
    problems = _problems(site, "broken_images")
    assert not problems, _fail_message(site, "image not loaded or not decoded", problems)
    # the section pages do carry their charts (a page without images passes vacuously)
    assert sum(v.images for v in site.visits) > 0, "no <img> on any page: where are the charts?"


def test_no_event_handler_attributes(site):
    problems = _problems(site, "handler_attributes",
                         lambda a: f"<{a['tag']}{' id=' + a['id'] if a['id'] else ''}> "
                                   f"{a['attr']}={a['value']!r} ({a['where']})")
    assert not problems, _fail_message(site, "event-handler attribute", problems)


def test_phone_and_desktop_screenshots_are_written(site):
    for v in site.visits:
        assert v.screenshot is not None and v.screenshot.is_file(), f"{v.name}: no screenshot"
        width, height = _png_size(v.screenshot)
        # wider than the phone when the page scrolls sideways: allowed, a person judges it
        assert width >= PHONE["width"] and height >= PHONE["height"], (v.name, width, height)
    width, _ = _png_size(site.desktop_index)
    assert width == DESKTOP["width"]
