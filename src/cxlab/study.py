"""The study file: everything that differs between two CX teams, as data.

A study (``study.yml``) says what one team's data looks like: its channels (and which are
oral or written), its surveys, the segment columns kept on responses (region, store,
tier, programme …) with their code lists, the loyalty factors with their scales, the
working calendar, time zone, report language, ``min_n``, cohort rules, quarterly
targets, the window of plausible dates (``plausible: {from: 2000-01-01, to:
tomorrow}``, :class:`Plausible`) and the margins answers are weighted to
(``weighting``, :class:`Weighting`). Every command takes ``--study PATH`` and every
notebook a ``study`` parameter; the sample business ships its own (``data/samples/study.yml``). The package holds no
business's code list: modules ask the study.

A minimal study::

    name: Acme retail
    channels: {email: {en: E-mail, ru: Эл. почта, kind: written}, app: {en: App}}
    factors:
      checkout_speed: {question: {en: "How fast was the checkout?"}, scale: 1-7}

:func:`load_study` reads and checks a file; every problem is reported at once with the
key it is under and what was expected (:class:`cxlab.errors.ValidationError`).

Scales
------
A factor's (or CSAT's) scale is any whole-number range ``lo-hi`` (``1-5``, ``1-7``,
``0-10``, ``0-100``). Performance is shown on the item's own scale and on a common
0–100 scale, ``100 · (x − lo) / (hi − lo)``. The **top box** of a scale is its top two
points when the scale has at most 11 points (4–5 of 1–5, 6–7 of 1–7, 9–10 of 0–10) and
its top fifth otherwise (80–100 of 0–100); a study may set ``top_box`` (the lowest
value that counts) per factor.

Weighting
---------
``weighting`` (optional) declares the margins :mod:`cxlab.weighting` rakes the answers
to, so that who answers does not decide the figure::

    weighting:
      margins:
        channel: invitations          # the period's invitations, shares by channel
        programme: visits             # the period's visits, shares by programme
        survey: {first_lesson: 0.3, repeat_lesson: 0.5, after_camp: 0.1, after_hike: 0.1}
      trim: 5                         # optional: no weight above 5× the mean weight

A margin is on ``channel``, ``survey`` or a declared segment, and is either a table its
shares come from — ``invitations`` (for channel or survey) or ``visits`` (for a
segment), of the period being reported — or declared targets, category → share or count
(positive numbers; shares, when all below 1, add up to 1 ± 0.01; codes from the column's
code list when the study lists them). ``trim`` is a number above 1.

Feedback, quotes and themes
---------------------------
``feedback`` (optional) says how messages of a feedback channel (a Telegram group,
:mod:`cxlab._telegram`) become rows of the ``feedback`` table::

    feedback:
      roles: {user111111111: staff, user222222222: manager}   # Telegram from_id → role
      client_ref: 'клиент\\s+(C\\d{5})'    # one capture group: the client id in a text
      pseudonym_key: a-private-phrase     # optional; default the study's name

An author not under ``roles`` gets no role. ``client_ref`` is a regular expression with
exactly one capture group; a message that does not mention a client inherits the client
of the message it replies to. Authors are stored as pseudonyms (an HMAC of their
Telegram id keyed by ``pseudonym_key``), never by name; a key kept private stops anyone
who knows a Telegram id from recomputing its pseudonym.

``quotes`` (yes/no, default no): whether the stakeholder report may show example quotes
(always redacted).

``themes`` (optional): themes clients raise that the questionnaire does not ask about,
beside the factors' own ``themes`` lemmas (:attr:`Study.theme_lemmas` gives both)::

    themes:
      parking: {ru: Парковка, en: Parking, lemmas: [парковка, припарковаться]}

Size: over 800 lines on purpose: the study file's whole shape — every key's dataclass
and its validation, which reports every problem of a file at once — is one contract that
a team edits as one file.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from cxlab.errors import Problem, ReadError, ValidationError

__all__ = ["Scale", "Code", "CodeList", "Factor", "Hypothesis", "Target", "Calendar",
           "Plausible", "Weighting", "CohortRule", "Feedback", "Theme", "Study", "load_study",
           "parse_study", "default_study", "LANGS", "TARGET_METRICS"]

LANGS = ("en", "ru")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
_SCALE_RE = re.compile(r"^\s*(-?\d+)\s*[-–—]\s*(-?\d+)\s*$")
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
#: Column names the tables use already: a segment cannot take them.
RESERVED_COLUMNS = frozenset({
    "response_id", "client_id", "submitted_at", "channel", "survey", "nps", "recommend",
    "csat", "comment", "interviewer_id", "quarter", "visit_id", "visit_date",
})
#: What a target can be set on (see :mod:`cxlab.targets`).
TARGET_METRICS = {
    "nps": "NPS, points −100…100 (0–10 answers)",
    "recommend": "share answering yes to 'would you recommend us', %",
    "csi_top_box": "CSI top box share, %",
    "csi_index": "CSI index 0–100",
    "response_rate": "answers per invitation, %",
    "fcr": "first-contact resolution, %",
}
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


# =========================================================================== parts

@dataclass(frozen=True)
class Scale:
    """A whole-number rating scale ``lo..hi`` and its top box (values ≥ ``top_box``)."""

    lo: int
    hi: int
    top_box: int | None = None

    def __post_init__(self):
        if self.top_box is None:
            points = self.hi - self.lo + 1
            top = self.hi - 1 if points <= 11 else self.lo + 0.8 * (self.hi - self.lo)
            object.__setattr__(self, "top_box", int(-(-top // 1)))

    @classmethod
    def parse(cls, text, top_box=None) -> Scale:
        """``'1-5'``, ``'0–100'``, ``[1, 7]`` → Scale; ``ValueError`` when malformed."""
        if isinstance(text, (list, tuple)) and len(text) == 2:
            lo, hi = (int(v) for v in text)
        else:
            m = _SCALE_RE.match(str(text))
            if not m:
                raise ValueError(text)
            lo, hi = int(m.group(1)), int(m.group(2))
        if hi <= lo:
            raise ValueError(text)
        if top_box is not None and not (lo < int(top_box) <= hi):
            raise ValueError(top_box)
        return cls(lo, hi, None if top_box is None else int(top_box))

    @property
    def points(self) -> int:
        return self.hi - self.lo + 1

    def to_100(self, x):
        """``x`` on the common 0–100 scale (works on numbers, arrays and Series)."""
        return (x - self.lo) * (100.0 / (self.hi - self.lo))

    def __str__(self) -> str:
        return f"{self.lo}-{self.hi}"

    @property
    def top_box_text(self) -> str:
        return f"{self.top_box}–{self.hi} of {self.lo}–{self.hi}"


@dataclass(frozen=True)
class Code:
    """One coded value: its code and the reader's labels."""

    code: str
    labels: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None  # channels: "oral" or "written"

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or next(
            iter(self.labels.values()), self.code)


@dataclass(frozen=True)
class CodeList:
    """A code list in the study's order. ``closed`` lists reject other codes; an open
    list (``store: {}``) accepts any code and labels it as written."""

    name: str
    codes: tuple[Code, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # the column's own name
    closed: bool = True

    def __iter__(self):
        return iter(c.code for c in self.codes)

    def __contains__(self, code) -> bool:
        return any(c.code == code for c in self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    def get(self, code) -> Code | None:
        return next((c for c in self.codes if c.code == code), None)

    def label(self, code, lang: str = "en") -> str:
        c = self.get(code)
        return c.label(lang) if c is not None else str(code)

    def title(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.name.replace("_", " ")

    def order(self, codes) -> list:
        """``codes`` in the list's order, unknown codes after, alphabetically."""
        known = [c for c in self.values if c in set(codes)]
        return known + sorted(set(codes) - set(known), key=str)


@dataclass(frozen=True)
class Factor:
    """A loyalty factor: the rating column ``f_<id>``, its question and its scale."""

    id: str
    scale: Scale
    labels: Mapping[str, str] = field(default_factory=dict)
    questions: Mapping[str, str] = field(default_factory=dict)
    hypothesis: str | None = None
    themes: tuple[str, ...] = ()

    @property
    def column(self) -> str:
        return f"f_{self.id}"

    def label(self, lang: str = "en") -> str:
        return (self.labels.get(lang) or self.labels.get("en") or self.questions.get(lang)
                or self.questions.get("en") or self.id.replace("_", " "))

    def question(self, lang: str = "en") -> str | None:
        return self.questions.get(lang)


@dataclass(frozen=True)
class Hypothesis:
    id: str
    texts: Mapping[str, str] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return self.texts.get(lang) or self.texts.get("en") or self.id


@dataclass(frozen=True)
class Target:
    """A quarterly target: ``metric`` at least (or at most) ``value`` where ``where``."""

    quarter: str
    metric: str
    at_least: float | None = None
    at_most: float | None = None
    where: Mapping[str, str] = field(default_factory=dict)  # column → code

    @property
    def value(self) -> float:
        return self.at_least if self.at_least is not None else self.at_most


@dataclass(frozen=True)
class Calendar:
    """The complaint desk's working calendar (see :class:`cxlab.complaints.WorkCalendar`)."""

    country: str | None = None
    subdiv: str | None = None
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: str = "09:00"
    end: str = "18:00"
    holidays: tuple[str, ...] = ()  # extra days off
    working_days: tuple[str, ...] = ()  # declared working days (e.g. a transferred Saturday)


@dataclass(frozen=True)
class Plausible:
    """The window of days a date in the data may fall on (``plausible:`` in the study).

    ::

        plausible: {from: 2000-01-01, to: tomorrow}   # the default

    A date outside it (a typo year such as 2099 or 1899) is a problem of its row when a
    file is validated, never stored. ``to`` is a date or ``tomorrow``: the day after today
    in the study's time zone, on the day the data is validated (a day of slack for clocks
    and zones). Both ends are included. Deadlines may lie up to a year after ``to``.
    """

    start: _dt.date = _dt.date(2000, 1, 1)
    end: _dt.date | None = None  # None: tomorrow

    def window(self, timezone: str = "UTC", today: _dt.date | None = None
               ) -> tuple[_dt.date, _dt.date]:
        """(first day, last day), both included; ``today`` defaults to today in ``timezone``."""
        if self.end is not None:
            return self.start, self.end
        if today is None:
            import zoneinfo

            today = _dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date()
        return self.start, today + _dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"from {self.start} to {self.end or 'tomorrow'}"


@dataclass(frozen=True)
class Weighting:
    """The margins answers are weighted to (``weighting:`` in the study; see
    :mod:`cxlab.weighting`).

    ``margins`` maps a column (``channel``, ``survey`` or a segment) to the table its
    shares come from (``"invitations"``, ``"visits"``) or to declared targets
    ``{category: share or count}``; ``trim`` caps a weight at that multiple of the mean.
    """

    margins: Mapping[str, str | Mapping[str, float]] = field(default_factory=dict)
    trim: float | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """The population tables the margins come from, each once."""
        return tuple(dict.fromkeys(v for v in self.margins.values() if isinstance(v, str)))


@dataclass(frozen=True)
class CohortRule:
    name: str
    rule: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.name.replace("_", " ")


@dataclass(frozen=True)
class Feedback:
    """How a feedback channel's messages become rows (``feedback:`` in the study).

    ``roles`` maps a Telegram ``from_id`` (``user123456789``) to a role code; ``client_ref``
    is a regular expression whose one capture group is a client id in a message's text;
    ``pseudonym_key`` keys the authors' pseudonyms (None: the study's name).
    """

    roles: Mapping[str, str] = field(default_factory=dict)
    client_ref: str | None = None
    pseudonym_key: str | None = None

    @property
    def client_pattern(self) -> re.Pattern | None:
        """``client_ref`` compiled (None when the study sets none)."""
        return None if self.client_ref is None else re.compile(self.client_ref)


@dataclass(frozen=True)
class Theme:
    """A theme the questionnaire does not ask about: its labels and lemmas."""

    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    lemmas: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.id.replace("_", " ")


@dataclass(frozen=True)
class Study:
    """One team's data description. Build it with :func:`load_study`.

    Besides the code lists, factors, calendar and targets: ``feedback`` (:class:`Feedback`:
    roles of a feedback group's authors, the pattern of a client id in a message, the key
    of the authors' pseudonyms), ``quotes`` (whether the stakeholder report may show
    redacted example quotes; default False) and ``themes`` (:class:`Theme`: themes the
    questionnaire does not ask about; :attr:`theme_lemmas` adds the factors' own).
    """

    name: str = "study"
    language: str = "en"
    timezone: str = "UTC"
    min_n: int = 30
    #: counts of people from 1 to ``disclosure − 1`` are never shown nor derivable
    #: (:mod:`cxlab.suppression`, :mod:`cxlab.disclosure`)
    disclosure: int = 5
    channels: CodeList = field(default_factory=lambda: CodeList("channel", closed=False))
    surveys: CodeList = field(default_factory=lambda: CodeList("survey", closed=False))
    segments: Mapping[str, CodeList] = field(default_factory=dict)
    codes: Mapping[str, CodeList] = field(default_factory=dict)  # importance, origin, source …
    hypotheses: Mapping[str, Hypothesis] = field(default_factory=dict)
    factors: Mapping[str, Factor] = field(default_factory=dict)
    csat_scale: Scale = field(default_factory=lambda: Scale(1, 5))
    calendar: Calendar = field(default_factory=Calendar)
    lapsed_after_days: int = 90
    recent_days: int = 365
    cohort_by: str | None = None  # the visits column whose codes give n_<code> features
    cohorts: Mapping[str, CohortRule] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    source: str = "<study>"
    plausible: Plausible = field(default_factory=Plausible)
    weighting: Weighting | None = None
    feedback: Feedback = field(default_factory=Feedback)
    quotes: bool = False
    themes: Mapping[str, Theme] = field(default_factory=dict)

    # -- code lists
    def codelist(self, name: str) -> CodeList | None:
        """The code list of a coded column: ``channel``, ``survey``, a segment, or one of
        ``codes`` (``importance``, ``origin``, ``source`` …); None when the study has none."""
        if name in ("channel", "channels"):
            return self.channels
        if name in ("survey", "surveys"):
            return self.surveys
        if name in self.segments:
            return self.segments[name]
        return self.codes.get(name)

    def label(self, kind: str, code, lang: str = "en") -> str | None:
        """The reader's label of a code, or None when the study does not label it."""
        cl = self.codelist(kind)
        if cl is None:
            return None
        c = cl.get(code)
        return c.label(lang) if c is not None and c.labels else None

    def channels_of_kind(self, kind: str) -> tuple[str, ...]:
        """Channels declared ``kind: oral`` (or ``written``)."""
        return tuple(c.code for c in self.channels.codes if c.kind == kind)

    def oral_written(self, channel) -> str | None:
        c = self.channels.get(channel)
        return None if c is None else c.kind

    # -- factors
    @property
    def factor_columns(self) -> list[str]:
        return [f.column for f in self.factors.values()]

    def factor(self, column_or_id: str) -> Factor | None:
        fid = column_or_id[2:] if column_or_id.startswith("f_") else column_or_id
        return self.factors.get(fid)

    def factor_labels(self, lang: str = "en") -> dict[str, str]:
        return {f.column: f.label(lang) for f in self.factors.values()}

    # -- themes
    @property
    def theme_lemmas(self) -> dict[str, tuple[str, ...]]:
        """Theme id → its lemmas: each factor that lists ``themes`` (under the factor's
        id), then the study's own ``themes``."""
        out = {fid: tuple(f.themes) for fid, f in self.factors.items() if f.themes}
        out.update({tid: tuple(t.lemmas) for tid, t in self.themes.items()})
        return out

    def scale_of(self, column: str) -> Scale | None:
        if column == "csat":
            return self.csat_scale
        f = self.factor(column)
        return None if f is None else f.scale

    def order_rows(self, table):
        """``table``'s rows in the order this study lists the codes of each index level
        (channels, surveys, segment values, importance …); codes it does not list after,
        as they were; levels that are not code lists (quarters, figures) keep their
        order. Tables and charts of a report show groups in this one order."""
        idx = table.index
        names = [n for n in idx.names if isinstance(n, str) and self.codelist(n) is not None]
        if len(table) < 2 or not names:
            return table
        keys = []
        for i, name in enumerate(idx.names):
            values = idx.get_level_values(i)
            cl = self.codelist(name) if isinstance(name, str) else None
            if cl is not None and len(cl):
                rank = {c: k for k, c in enumerate(cl.values)}
                keys.append([rank.get(v, len(rank)) for v in values])
            else:
                first: dict = {}
                keys.append([first.setdefault(v, len(first)) for v in values])
        order = sorted(range(len(table)), key=lambda r: tuple(k[r] for k in keys) + (r,))
        return table.iloc[order]

    def targets_for(self, quarter: str) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.quarter == quarter)

    def __repr__(self) -> str:
        return (f"<Study {self.name!r}: {len(self.channels)} channels, {len(self.surveys)} "
                f"surveys, {len(self.segments)} segments, {len(self.factors)} factors>")


# =========================================================================== parsing

def _labels(value, where: str, problems: list[Problem], *, allow_kind: bool = False
            ) -> tuple[dict[str, str], str | None]:
    """``{ru: …, en: …}`` (optionally with ``kind``) or a plain text (English and Russian
    the same)."""
    if value is None:
        return {}, None
    if isinstance(value, str):
        return {"en": value, "ru": value}, None
    if not isinstance(value, Mapping):
        problems.append(Problem(where, "structure", value, None,
                                "labels as {ru: …, en: …} or a text"))
        return {}, None
    out, kind = {}, None
    for k, v in value.items():
        if k in LANGS:
            if not isinstance(v, str) or not v.strip():
                problems.append(Problem(f"{where} → {k}", "type", v, None, "a non-empty text"))
            else:
                out[k] = " ".join(v.split())
        elif k == "kind" and allow_kind:
            if v not in ("oral", "written"):
                problems.append(Problem(f"{where} → kind", "value", v, None, "oral or written"))
            else:
                kind = v
        else:
            problems.append(Problem(f"{where} → {k}", "key", k, None,
                                    "ru, en" + (", kind" if allow_kind else "")))
    return out, kind


def _codelist(name: str, value, where: str, problems: list[Problem], *, allow_kind=False,
              nested: bool = False) -> CodeList:
    """A code list: a mapping code → labels, a plain list of codes, or (``nested``, for
    segments) ``{values: …, ru: …, en: …}``; ``{}`` or null is an open list."""
    col_labels: dict[str, str] = {}
    if nested and isinstance(value, Mapping) and (
            "values" in value or set(value) <= set(LANGS)):
        rest = {k: v for k, v in value.items() if k != "values"}
        col_labels, _ = _labels(rest, where, problems) if rest else ({}, None)
        value = value.get("values")
    if value is None or (isinstance(value, (Mapping, list)) and not value):
        return CodeList(name, (), col_labels, closed=False)
    codes: list[Code] = []
    items = value.items() if isinstance(value, Mapping) else (
        [(v, None) for v in value] if isinstance(value, list) else None)
    if items is None:
        problems.append(Problem(where, "structure", value, None,
                                "a mapping code → labels, or a list of codes"))
        return CodeList(name, (), col_labels, closed=False)
    seen = set()
    for code, lab in items:
        code_s = str(code).strip() if isinstance(code, (str, int)) and not isinstance(code, bool) else None
        if code_s is None or not CODE_PATTERN.match(code_s):
            problems.append(Problem(f"{where} → {code!r}", "code", code, None,
                                    "a code of letters, digits, _ . - (e.g. web, store_12)"))
            continue
        if code_s.lower() in seen:
            problems.append(Problem(f"{where} → {code_s}", "duplicate", code_s, None,
                                    "each code once"))
            continue
        seen.add(code_s.lower())
        labs, kind = _labels(lab, f"{where} → {code_s}", problems, allow_kind=allow_kind)
        codes.append(Code(code_s, labs, kind))
    return CodeList(name, tuple(codes), col_labels, closed=True)


def _scale(value, where, problems, default=None, top_box=None) -> Scale | None:
    if value is None:
        return default
    try:
        return Scale.parse(value, top_box)
    except (ValueError, TypeError):
        problems.append(Problem(where, "scale", value, None,
                                "a whole-number range lo-hi such as 1-5, 1-7, 0-10 or 0-100"
                                + (" with top_box inside it" if top_box is not None else "")))
        return default


def _int(value, where, problems, default, lo=1):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        problems.append(Problem(where, "type", value, None, f"a whole number ≥ {lo}"))
        return default
    return value


def _dates(value, where, problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(where, "structure", value, None, "a list of dates (yyyy-mm-dd)"))
        return ()
    out = []
    for v in value:
        try:
            out.append(_dt.date.fromisoformat(str(v)).isoformat())
        except ValueError:
            problems.append(Problem(where, "date", v, None, "a date yyyy-mm-dd"))
    return tuple(out)


def _calendar(value, problems) -> Calendar:
    if value is None:
        return Calendar()
    where = "calendar"
    if not isinstance(value, Mapping):
        problems.append(Problem(where, "structure", value, None,
                                "a mapping with country, days, hours, holidays, working_days"))
        return Calendar()
    allowed = {"country", "subdiv", "days", "hours", "holidays", "working_days"}
    for k in set(value) - allowed:
        problems.append(Problem(f"{where} → {k}", "key", k, None, ", ".join(sorted(allowed))))
    country = value.get("country")
    if country is not None:
        import holidays

        if str(country).upper() not in holidays.list_supported_countries():
            problems.append(Problem(f"{where} → country", "value", country, None,
                                    "an ISO country code the holidays package knows (RU, DE, US …)"))
            country = None
        else:
            country = str(country).upper()
            subdiv = value.get("subdiv")
            known = holidays.list_supported_countries()[country]
            if subdiv is not None and str(subdiv) not in known:
                problems.append(Problem(f"{where} → subdiv", "value", subdiv, None,
                                        "a subdivision of " + country + " the holidays package "
                                        "knows: " + (", ".join(known) or "none")))
    days = (0, 1, 2, 3, 4)
    if value.get("days") is not None:
        raw = value["days"]
        m = re.match(r"^\s*([a-z]{3})[a-z]*\s*[-–]\s*([a-z]{3})[a-z]*\s*$", str(raw).lower())
        names = raw if isinstance(raw, list) else str(raw).split(",")
        if m and m.group(1) in _WEEKDAYS and m.group(2) in _WEEKDAYS:
            days = tuple(range(_WEEKDAYS[m.group(1)], _WEEKDAYS[m.group(2)] + 1))
        elif names and all(str(d).strip().lower()[:3] in _WEEKDAYS for d in names):
            days = tuple(sorted({_WEEKDAYS[str(d).strip().lower()[:3]] for d in names}))
        else:
            problems.append(Problem(f"{where} → days", "value", raw, None,
                                    "weekdays like mon-fri or [mon, tue, wed, thu, fri, sat]"))
        if not days:
            problems.append(Problem(f"{where} → days", "value", raw, None, "at least one weekday"))
            days = (0, 1, 2, 3, 4)
    start, end = "09:00", "18:00"
    if value.get("hours") is not None:
        m = re.match(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$", str(value["hours"]))
        if m:
            start, end = m.group(1).zfill(5), m.group(2).zfill(5)
        else:
            problems.append(Problem(f"{where} → hours", "value", value["hours"], None,
                                    "working hours like 09:00-18:00"))
    return Calendar(country, value.get("subdiv"), days, start, end,
                    _dates(value.get("holidays"), f"{where} → holidays", problems),
                    _dates(value.get("working_days"), f"{where} → working_days", problems))


#: The days a datetime64[ns] column can hold: the plausible window must lie inside.
_FIRST_DAY, _LAST_DAY = _dt.date(1677, 9, 22), _dt.date(2262, 4, 10)


def _plausible(value, problems) -> Plausible:
    if value is None:
        return Plausible()
    where = "plausible"
    if not isinstance(value, Mapping):
        problems.append(Problem(where, "structure", value, None,
                                "{from: 2000-01-01, to: tomorrow}"))
        return Plausible()
    for k in set(value) - {"from", "to"}:
        problems.append(Problem(f"{where} → {k}", "key", k, None, "from, to"))

    def day(key, default, words=()):
        v = value.get(key)
        if v is None:
            return default
        if isinstance(v, str) and v.strip().lower() in words:
            return None
        if isinstance(v, _dt.datetime):
            v = v.date()
        if not isinstance(v, _dt.date):
            try:
                v = _dt.date.fromisoformat(str(v).strip())
            except ValueError:
                problems.append(Problem(f"{where} → {key}", "date", v, None,
                                        "a date yyyy-mm-dd" + (" or tomorrow" if words else "")))
                return default
        if not (_FIRST_DAY <= v <= _LAST_DAY):
            problems.append(Problem(f"{where} → {key}", "date", str(v), None,
                                    f"a date from {_FIRST_DAY} to {_LAST_DAY}"))
            return default
        return v

    start = day("from", Plausible.start)
    end = day("to", None, ("tomorrow",))
    if end is not None and end < start:
        problems.append(Problem(f"{where} → to", "date", str(end), None,
                                f"a date on or after from ({start})"))
        end = None
    return Plausible(start, end)


#: Where a margin's shares may come from, and the columns each table carries.
WEIGHTING_TABLES = {"invitations": "channel or survey", "visits": "a segment"}


def _weighting(value, problems, channels: CodeList, surveys: CodeList,
               segments: Mapping[str, CodeList]) -> Weighting | None:
    if value is None:
        return None
    where = "weighting"
    if not isinstance(value, Mapping):
        problems.append(Problem(where, "structure", value, None,
                                "{margins: {channel: invitations}, trim: 5}"))
        return None
    for k in set(value) - {"margins", "trim"}:
        problems.append(Problem(f"{where} → {k}", "key", k, None, "margins, trim"))
    trim = value.get("trim")
    if trim is not None and (isinstance(trim, bool) or not isinstance(trim, (int, float))
                             or not trim > 1 or trim == float("inf")):
        problems.append(Problem(f"{where} → trim", "value", trim, None,
                                "a number above 1 (a cap as a multiple of the mean weight)"))
        trim = None
    raw = value.get("margins")
    if not isinstance(raw, Mapping) or not raw:
        problems.append(Problem(f"{where} → margins", "structure", raw, None,
                                "a mapping column → table or targets, e.g. "
                                "{channel: invitations}"))
        return None
    lists = {"channel": channels, "survey": surveys, **segments}
    from cxlab.weighting import _target_errors

    margins: dict[str, str | dict[str, float]] = {}
    for col, spec in raw.items():
        w = f"{where} → margins → {col}"
        if col not in lists:
            problems.append(Problem(w, "key", col, None,
                                    "channel, survey or a segment ("
                                    + (", ".join(segments) or "none declared") + ")"))
            continue
        table_or_targets = ("a table the column is on: " + " or ".join(
            f"{t} (for {c})" for t, c in WEIGHTING_TABLES.items())
            + ", or targets {category: share or count}")
        if isinstance(spec, str) or not isinstance(spec, Mapping):
            fits = (spec == "invitations" and col in ("channel", "survey")) or (
                spec == "visits" and col in segments)
            if fits:
                margins[col] = spec
            else:
                problems.append(Problem(w, "value", spec, None, table_or_targets))
            continue
        before = len(problems)
        for cat, got, expected in _target_errors(spec):
            problems.append(Problem(w if cat is None else f"{w} → {cat}", "value", got,
                                    None, expected))
        if lists[col].closed:
            for c in spec:
                if str(c) not in lists[col]:
                    problems.append(Problem(f"{w} → {c}", "code", c, None, f"a code of {col}: "
                                            + ", ".join(lists[col].values)))
        if len(problems) == before:
            margins[col] = {str(k): float(v) for k, v in spec.items()}
    return Weighting(margins, None if trim is None else float(trim))


def _targets(value, problems, known_columns) -> tuple[Target, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problems.append(Problem("targets", "structure", value, None,
                                "a mapping quarter → list of targets"))
        return ()
    out = []
    for quarter, items in value.items():
        q = str(quarter).strip().upper()
        where = f"targets → {quarter}"
        if not _QUARTER_RE.match(q):
            problems.append(Problem(where, "quarter", quarter, None, "a quarter like 2026Q3"))
            continue
        if not isinstance(items, list):
            problems.append(Problem(where, "structure", items, None, "a list of targets"))
            continue
        for i, t in enumerate(items):
            w = f"{where}[{i}]"
            if not isinstance(t, Mapping):
                problems.append(Problem(w, "structure", t, None,
                                        "{metric: nps, channel: phone, at_least: 50}"))
                continue
            metric = t.get("metric")
            if metric not in TARGET_METRICS:
                problems.append(Problem(f"{w} → metric", "value", metric, None,
                                        "one of " + ", ".join(TARGET_METRICS)))
                continue
            bounds = {k: t.get(k) for k in ("at_least", "at_most") if t.get(k) is not None}
            if len(bounds) != 1 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                           for v in bounds.values()):
                problems.append(Problem(w, "bound", bounds or None, None,
                                        "exactly one of at_least or at_most, a number"))
                continue
            where_cols = {k: str(v) for k, v in t.items()
                          if k not in ("metric", "at_least", "at_most")}
            bad = [k for k in where_cols if k not in known_columns]
            if bad:
                problems.append(Problem(f"{w} → {bad[0]}", "key", bad[0], None,
                                        "metric, at_least/at_most, or a filter on "
                                        + ", ".join(sorted(known_columns))))
                continue
            out.append(Target(q, metric, bounds.get("at_least"), bounds.get("at_most"), where_cols))
    return tuple(out)


_TOP_KEYS = {"name", "language", "timezone", "min_n", "disclosure", "channels", "surveys",
             "segments",
             "codes", "hypotheses", "factors", "csat", "calendar", "cohorts", "targets",
             "plausible", "weighting", "feedback", "quotes", "themes"}

#: A Telegram author id as an export writes it (``from_id``): a user, or a channel or
#: chat posting as itself.
TELEGRAM_ID = re.compile(r"^(user|channel|chat)\d+$")


def _feedback(value, problems) -> Feedback:
    if value is None:
        return Feedback()
    where = "feedback"
    if not isinstance(value, Mapping):
        problems.append(Problem(where, "structure", value, None,
                                "{roles: {user123456789: staff}, client_ref: '…(C\\d+)…', "
                                "pseudonym_key: …}"))
        return Feedback()
    allowed = {"roles", "client_ref", "pseudonym_key"}
    for k in set(value) - allowed:
        problems.append(Problem(f"{where} → {k}", "key", k, None, ", ".join(sorted(allowed))))
    roles: dict[str, str] = {}
    raw = value.get("roles") or {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(f"{where} → roles", "structure", raw, None,
                                "a mapping Telegram from_id → role, e.g. {user123456789: staff}"))
        raw = {}
    for who, role in raw.items():
        w = f"{where} → roles → {who}"
        if not isinstance(who, str) or not TELEGRAM_ID.match(who.strip()):
            problems.append(Problem(w, "id", who, None, "a Telegram from_id as the export "
                                    "writes it, e.g. user123456789"))
            continue
        if not isinstance(role, str) or not CODE_PATTERN.match(role.strip()):
            problems.append(Problem(w, "code", role, None,
                                    "a role code of letters, digits, _ . - (e.g. staff)"))
            continue
        roles[who.strip()] = role.strip()
    client_ref = value.get("client_ref")
    if client_ref is not None:
        w = f"{where} → client_ref"
        if not isinstance(client_ref, str) or not client_ref.strip():
            problems.append(Problem(w, "type", client_ref, None,
                                    "a regular expression (text), e.g. 'клиент\\s+(C\\d{5})'"))
            client_ref = None
        else:
            try:
                groups = re.compile(client_ref).groups
            except re.error as err:
                problems.append(Problem(w, "regex", client_ref, None,
                                        f"a regular expression that compiles ({err})"))
                client_ref = None
            else:
                if groups != 1:
                    problems.append(Problem(w, "regex", client_ref, None,
                                            "exactly one capture group (…) around the client "
                                            f"id; found {groups} (write (?:…) for a group that "
                                            "captures nothing)"))
                    client_ref = None
    key = value.get("pseudonym_key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        problems.append(Problem(f"{where} → pseudonym_key", "type", key, None,
                                "a non-empty text"))
        key = None
    return Feedback(roles, client_ref, key)


def _themes(value, problems, factors: Mapping[str, Factor]) -> dict[str, Theme]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(Problem("themes", "structure", value, None,
                                "a mapping id → {ru: …, en: …, lemmas: […]}"))
        return {}
    out: dict[str, Theme] = {}
    for tid, spec in value.items():
        where = f"themes → {tid}"
        if not isinstance(tid, str) or not ID_PATTERN.match(tid):
            problems.append(Problem(where, "id", tid, None, "a snake_case id"))
            continue
        if tid in factors:
            problems.append(Problem(where, "id", tid, None,
                                    "an id no factor has (a factor's own lemmas go under "
                                    f"factors → {tid} → themes)"))
            continue
        if not isinstance(spec, Mapping):
            problems.append(Problem(where, "structure", spec, None,
                                    "{ru: label, en: label, lemmas: [word, …]}"))
            continue
        for k in set(spec) - {*LANGS, "lemmas"}:
            problems.append(Problem(f"{where} → {k}", "key", k, None, "ru, en, lemmas"))
        labs, _ = _labels({k: v for k, v in spec.items() if k in LANGS}, where, problems)
        lemmas = spec.get("lemmas")
        if not isinstance(lemmas, list) or not lemmas or not all(
                isinstance(x, str) and x.strip() for x in lemmas):
            problems.append(Problem(f"{where} → lemmas", "structure", lemmas, None,
                                    "a non-empty list of words (lemmas)"))
            continue
        out[tid] = Theme(tid, labs, tuple(x.strip() for x in lemmas))
    return out


def parse_study(data, source: str = "<study>") -> Study:
    """Check a parsed study (the YAML's content) and build a :class:`Study`.

    Raises
    ------
    ValidationError
        Every problem at once, each naming its key (``factors → cleanliness → scale``)
        and what was expected.
    """
    problems: list[Problem] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationError(source, "study", [Problem(None, "structure", type(data).__name__,
                                                        None, "a mapping of study keys")])
    for k in set(data) - _TOP_KEYS:
        problems.append(Problem(str(k), "key", k, None, "one of " + ", ".join(sorted(_TOP_KEYS))))
    name = str(data.get("name") or Path(source).parent.name or "study")
    language = str(data.get("language", "en")).strip().lower()
    if language not in LANGS:
        problems.append(Problem("language", "value", language, None, " or ".join(LANGS)))
        language = "en"
    timezone = str(data.get("timezone", "UTC"))
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(timezone)
    except (KeyError, ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        problems.append(Problem("timezone", "value", timezone, None,
                                "an IANA time zone such as Europe/Moscow"))
        timezone = "UTC"
    min_n = _int(data.get("min_n"), "min_n", problems, 30)
    disclosure = _int(data.get("disclosure"), "disclosure", problems, 5, lo=2)

    channels = _codelist("channel", data.get("channels"), "channels", problems, allow_kind=True)
    surveys = _codelist("survey", data.get("surveys"), "surveys", problems)
    segments: dict[str, CodeList] = {}
    raw_segments = data.get("segments") or {}
    if not isinstance(raw_segments, Mapping):
        problems.append(Problem("segments", "structure", raw_segments, None,
                                "a mapping column → {values: …}"))
        raw_segments = {}
    for seg, spec in raw_segments.items():
        where = f"segments → {seg}"
        if not isinstance(seg, str) or not ID_PATTERN.match(seg) or seg.startswith("f_"):
            problems.append(Problem(where, "column", seg, None,
                                    "a snake_case column name not starting with f_"))
            continue
        if seg in RESERVED_COLUMNS:
            problems.append(Problem(where, "column", seg, None,
                                    "a name the tables do not use already ("
                                    + ", ".join(sorted(RESERVED_COLUMNS)) + ")"))
            continue
        segments[seg] = _codelist(seg, spec, where, problems, nested=True)
    codes: dict[str, CodeList] = {}
    raw_codes = data.get("codes") or {}
    if not isinstance(raw_codes, Mapping):
        problems.append(Problem("codes", "structure", raw_codes, None,
                                "a mapping column → code list"))
        raw_codes = {}
    for cname, spec in raw_codes.items():
        codes[str(cname)] = _codelist(str(cname), spec, f"codes → {cname}", problems, nested=True)

    hypotheses: dict[str, Hypothesis] = {}
    raw_h = data.get("hypotheses") or {}
    if not isinstance(raw_h, Mapping):
        problems.append(Problem("hypotheses", "structure", raw_h, None,
                                "a mapping id → {ru: …, en: …}"))
        raw_h = {}
    for hid, texts in raw_h.items():
        if not isinstance(hid, str) or not ID_PATTERN.match(hid):
            problems.append(Problem(f"hypotheses → {hid}", "id", hid, None, "a snake_case id"))
            continue
        labs, _ = _labels(texts, f"hypotheses → {hid}", problems)
        hypotheses[hid] = Hypothesis(hid, labs)

    factors: dict[str, Factor] = {}
    raw_f = data.get("factors") or {}
    if not isinstance(raw_f, Mapping):
        problems.append(Problem("factors", "structure", raw_f, None,
                                "a mapping id → {question: …, scale: …}"))
        raw_f = {}
    for fid, spec in raw_f.items():
        where = f"factors → {fid}"
        if isinstance(fid, str) and fid.startswith("f_"):
            fid = fid[2:]
        if not isinstance(fid, str) or not ID_PATTERN.match(fid):
            problems.append(Problem(where, "id", fid, None,
                                    "a snake_case id (the column is f_<id>)"))
            continue
        spec = spec or {}
        if not isinstance(spec, Mapping):
            problems.append(Problem(where, "structure", spec, None,
                                    "a mapping with question, label, scale, hypothesis"))
            continue
        allowed = {"question", "label", "scale", "top_box", "hypothesis", "themes"}
        for k in set(spec) - allowed:
            problems.append(Problem(f"{where} → {k}", "key", k, None, ", ".join(sorted(allowed))))
        top_box = spec.get("top_box")
        scale = _scale(spec.get("scale", "1-5"), f"{where} → scale", problems, Scale(1, 5), top_box)
        labs, _ = _labels(spec.get("label"), f"{where} → label", problems)
        qs, _ = _labels(spec.get("question"), f"{where} → question", problems)
        hyp = spec.get("hypothesis")
        if hyp is not None:
            hyp = str(hyp)
            if ID_PATTERN.match(hyp) and hypotheses and hyp not in hypotheses:
                problems.append(Problem(f"{where} → hypothesis", "value", hyp, None,
                                        "one of the hypotheses: " + ", ".join(hypotheses)))
        themes = spec.get("themes") or ()
        if not isinstance(themes, (list, tuple)):
            problems.append(Problem(f"{where} → themes", "structure", themes, None,
                                    "a list of words"))
            themes = ()
        factors[fid] = Factor(fid, scale, labs, qs, hyp, tuple(str(t) for t in themes))

    csat = data.get("csat") or {}
    csat_scale = Scale(1, 5)
    if isinstance(csat, Mapping):
        csat_scale = _scale(csat.get("scale"), "csat → scale", problems, Scale(1, 5),
                            csat.get("top_box")) or Scale(1, 5)
    else:
        problems.append(Problem("csat", "structure", csat, None, "{scale: 1-5}"))

    calendar = _calendar(data.get("calendar"), problems)

    raw_c = data.get("cohorts") or {}
    lapsed, recent, cohort_by, rules = 90, 365, None, {}
    if not isinstance(raw_c, Mapping):
        problems.append(Problem("cohorts", "structure", raw_c, None,
                                "{lapsed_after_days: 90, by: …, rules: {name: expression}}"))
    else:
        allowed = {"lapsed_after_days", "recent_days", "by", "rules"}
        for k in set(raw_c) - allowed:
            problems.append(Problem(f"cohorts → {k}", "key", k, None, ", ".join(sorted(allowed))))
        lapsed = _int(raw_c.get("lapsed_after_days"), "cohorts → lapsed_after_days", problems, 90)
        recent = _int(raw_c.get("recent_days"), "cohorts → recent_days", problems, 365)
        cohort_by = raw_c.get("by")
        if cohort_by is not None and cohort_by not in segments:
            problems.append(Problem("cohorts → by", "value", cohort_by, None,
                                    "a segment column of the visits table, declared under "
                                    "segments" + (f" ({', '.join(segments)})" if segments else "")))
            cohort_by = None
        for rname, spec in (raw_c.get("rules") or {}).items():
            where = f"cohorts → rules → {rname}"
            if not isinstance(rname, str) or not ID_PATTERN.match(rname):
                problems.append(Problem(where, "id", rname, None, "a snake_case cohort name"))
                continue
            if isinstance(spec, str):
                spec = {"rule": spec}
            if not isinstance(spec, Mapping) or not isinstance(spec.get("rule"), str):
                problems.append(Problem(where, "structure", spec, None,
                                        "an expression, or {rule: expression, ru: …, en: …}"))
                continue
            labs, _ = _labels({k: v for k, v in spec.items() if k != "rule"}, where, problems)
            rules[rname] = CohortRule(rname, spec["rule"], labs)

    filters = {"channel", "survey", *segments}
    targets = _targets(data.get("targets"), problems, filters)
    plausible = _plausible(data.get("plausible"), problems)
    weighting = _weighting(data.get("weighting"), problems, channels, surveys, segments)
    feedback = _feedback(data.get("feedback"), problems)
    quotes = data.get("quotes", False)
    if not isinstance(quotes, bool):
        problems.append(Problem("quotes", "type", quotes, None,
                                "yes/no (true/false): may the report show redacted quotes"))
        quotes = False
    themes = _themes(data.get("themes"), problems, factors)

    if problems:
        raise ValidationError(source, "study", [replace(p, place="key") for p in problems])
    return Study(name=name, language=language, timezone=timezone, min_n=min_n,
                 disclosure=disclosure, channels=channels, surveys=surveys,
                 segments=segments, codes=codes,
                 hypotheses=hypotheses, factors=factors, csat_scale=csat_scale,
                 calendar=calendar, lapsed_after_days=lapsed, recent_days=recent,
                 cohort_by=cohort_by, cohorts=rules, targets=targets, source=source,
                 plausible=plausible, weighting=weighting, feedback=feedback, quotes=quotes,
                 themes=themes)


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int, size: int) -> Study:
    import yaml

    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        raise ReadError(f"{path}: not valid YAML ({err}); expected a study file "
                        "(see cxlab.study)") from None
    except UnicodeDecodeError as err:
        raise ReadError(f"{path}: not UTF-8 text ({err}); save the study file as UTF-8") from None
    return parse_study(data, source=path)


def load_study(path: str | os.PathLike | Study | None = None) -> Study:
    """Read and check a study file (or return a :class:`Study` as it is).

    Parameters
    ----------
    path : path, Study or None
        None: :func:`default_study`. A relative path that does not exist from the
        working directory is taken from the project root.

    Raises
    ------
    ReadError
        The file is missing or not YAML.
    ValidationError
        A key is malformed; the message names the file, each key and what was expected.
    """
    if isinstance(path, Study):
        return path
    if path is None:
        return default_study()
    from cxlab.paths import resolve

    p = Path(path).expanduser()
    if not p.exists():
        p = resolve(p)
    try:
        st = p.stat()
    except OSError:
        raise ReadError(f"{path}: no such study file; expected a YAML file describing your "
                        "data (channels, surveys, segments, factors; see README, 'The study "
                        "file')") from None
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


def default_study() -> Study:
    """``$CXLAB_STUDY``, else ``study.yml`` at the project root, else the samples' study."""
    from cxlab.paths import default_study_path

    return load_study(default_study_path())
