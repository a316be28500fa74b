"""Complaints and incidents: dynamics, deadlines in working hours, loyalty after the
resolution, the Monday control summary and the link to first-contact resolution.

What a head of a customer-service desk asks of the complaint log (seeds 001 and 003):

* **Dynamics** — how many complaints per month by channel (and oral vs written, as the
  study file declares each channel's ``kind``), by category, importance and origin
  (external from a client / internal raised by staff); the share justified; and the
  rate per 100 active clients, so that a growing business does not read as a growing
  number of complaints (:func:`monthly`, :func:`share_justified`,
  :func:`rate_per_100_active`); the report section compares categories and channels
  with the previous quarter by the same rate (a rate ratio, not a ratio of counts).
* **Deadlines** — reaction and resolution times in *working* hours
  (:func:`working_hours`, :class:`WorkCalendar`; deadlines from a service level in
  working hours: :func:`add_working_hours`, :func:`fill_deadlines`), the share of
  *decided* complaints (resolved, or open past the deadline) that met it, by importance,
  with the pending ones (open, not yet due) counted apart (:func:`deadline_summary`),
  open and overdue complaints as of a moment (:func:`open_and_overdue`) and where
  service is long (:func:`long_service`).
* **After the resolution** — satisfaction with the resolution and loyalty after it, kept
  as two figures and cross-tabulated (:func:`after_resolution`); NPS of clients who
  complained vs those who did not (:func:`complainant_nps`).
* **Weekly control** — new / resolved / overdue per responsible team for the Monday
  meeting (:func:`weekly_summary`).
* **FCR link** — first-contact resolution of the contacts log next to complaint volume
  per channel (:func:`fcr_vs_complaints`).
* **Report section** — :func:`complaints_section`: aggregates only, small cells flagged.

Conventions
-----------
``asof`` is a moment: a plain date means 00:00 of that day ("as of Monday morning"), so
an event counts as having happened when its timestamp is strictly before ``asof``. A
complaint received on or after ``asof`` does not exist yet; one resolved on or after
``asof`` is still open. Every share comes with its ``n`` and a Wilson interval; a group
with fewer than ``min_n`` observations is marked ``small_n``.

Time zones: one rule everywhere (as at ingest, :mod:`cxlab.schema`). A zone-aware value —
an ``asof`` like ``'2026-09-30T23:30:00Z'`` or ``'…+03:00'``, an aware Timestamp, an
aware timestamp column — is converted to the study's ``timezone`` and made naive local
time; a naive value is local time already. Working hours, days and weeks are then the
desk's local ones: 06:30 UTC is 09:30 in Moscow, and ``'2026-09-30T23:30Z'`` is already
1 October there.

Codes come from the study file (keyword ``study=``; None: the default study,
:func:`cxlab.study.load_study`): the channels' order and kind (oral / written), the
importance codes (listed from the most severe, and reported in that order) and the
origin codes. Codes the study does not list still appear, after the listed ones.

Calendars: the low-level functions (:func:`working_hours`, :func:`add_working_hours`,
:func:`deadlines`, :func:`deadline_summary` …) default to :class:`WorkCalendar`
(Monday–Friday 09:00–18:00, no holidays) — pass ``calendar=`` for anything else; the
report section and the weekly summary default to the study's calendar
(:meth:`WorkCalendar.from_study`: its hours, the country's public holidays, declared
exceptions).

Optional columns (importance, origin, category, justified, resolved_at, the
after-resolution pair): a function that needs one the table lacks raises
:class:`~cxlab.errors.ParameterError` naming the column and the table;
:func:`complaints_section` leaves that part out and names it in ``left_out`` instead.

Size: over 800 lines on purpose: the complaints section end to end — working-hours
calendar, deadlines, classification, rates per active client, loyalty after resolution —
on one complaint log and one calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from cxlab import _members, disclosure, schema
from cxlab.errors import ParameterError, QuarterError
from cxlab.metrics import compare_nps, fcr_table, nps_table, wilson_interval
from cxlab.schema import quarter_of

__all__ = [
    "STUDY_CALENDAR_YEARS",
    "WorkCalendar",
    "working_hours",
    "add_working_hours",
    "fill_deadlines",
    "monthly",
    "share_justified",
    "rate_per_100_active",
    "deadlines",
    "deadline_summary",
    "open_and_overdue",
    "long_service",
    "AfterResolution",
    "after_resolution",
    "complainant_nps",
    "WeeklySummary",
    "weekly_summary",
    "fcr_vs_complaints",
    "ComplaintsSection",
    "complaints_section",
]

# --------------------------------------------------------------------------- calendar

#: The years :meth:`WorkCalendar.from_study` takes the country's public holidays for
#: unless told otherwise. Wide on purpose: any complaint log a team analyses falls inside
#: it, the table costs a few tens of milliseconds once per study (cached), and a calendar
#: that does not depend on the data gives a complaint the same working hours whatever
#: else is loaded with it. Outside these years only the weekdays count (pass ``years=``).
STUDY_CALENDAR_YEARS = range(2000, 2041)

_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hours_of(text: str, what: str) -> float:
    m = _HHMM.match(str(text).strip())
    if not m or (int(m.group(1)) == 24 and m.group(2) != "00"):
        raise ParameterError(f"WorkCalendar {what}: got {text!r}; expected a time 'HH:MM' "
                             "between 00:00 and 24:00")
    return int(m.group(1)) + int(m.group(2)) / 60


def _day_array(dates: Iterable, what: str) -> np.ndarray:
    try:
        arr = np.array(sorted({np.datetime64(pd.Timestamp(d).date(), "D") for d in dates}),
                       dtype="datetime64[D]")
    except (ValueError, TypeError) as err:
        raise ParameterError(f"WorkCalendar {what}: {err}; expected dates like "
                             "'2025-05-08'") from None
    return arr


def _days_label(days: tuple[int, ...]) -> str:
    return (f"{_WEEKDAY_NAMES[days[0]]}–{_WEEKDAY_NAMES[days[-1]]}"
            if days == tuple(range(days[0], days[-1] + 1))
            else ",".join(_WEEKDAY_NAMES[d] for d in days))


@lru_cache(maxsize=32)
def _country_days(country: str, subdiv: str | None, years: tuple[int, ...]
                  ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The country's public holidays and its weekend days made working days (moved days
    off), from the ``holidays`` package, as ISO dates."""
    import holidays

    known = holidays.list_supported_countries()
    if country not in known or (subdiv is not None and subdiv not in known[country]):
        raise ParameterError(f"study calendar: country {country!r} with subdiv {subdiv!r} is "
                             "not in the holidays package; expected a country and a "
                             "subdivision it knows (holidays.list_supported_countries(): "
                             f"{', '.join(known.get(country, [])) or 'none for this country'})")
    table = holidays.country_holidays(country, subdiv=subdiv, years=years)
    wanted = set(years)
    off = tuple(sorted(d.isoformat() for d in table if d.year in wanted))
    moved = getattr(table, "weekend_workdays", set()) or set()
    work = tuple(sorted(d.isoformat() for d in moved if d.year in wanted))
    return off, work


@dataclass(frozen=True, repr=False)
class WorkCalendar:
    """When the complaint desk works: working weekdays, daily hours, holidays.

    Parameters
    ----------
    days : tuple of int
        Working weekdays, Monday = 0 … Sunday = 6. Default Monday–Friday.
    start, end : str
        Daily working hours ``'HH:MM'`` (end after start; ``'24:00'`` allowed).
        Default 09:00–18:00 — nine working hours a day, no lunch break deducted.
    holidays : tuple of dates
        Days off that would otherwise be working days.
    workdays : tuple of dates
        Extra working days on what would otherwise be a day off (a Saturday worked
        because its day off was moved to a weekday, as production calendars do).
    name : str
        A label for summaries.

    A team's own calendar comes from its study file: :meth:`from_study`.

    Examples
    --------
    >>> WorkCalendar()                      # the default: no holidays
    WorkCalendar('Mon–Fri 09:00–18:00')
    >>> WorkCalendar(days=(0, 1, 2, 3, 4, 5), start="10:00", end="20:00")
    WorkCalendar('Mon–Sat 10:00–20:00')
    >>> WorkCalendar(holidays=("2026-12-31",)).is_working_day(["2026-12-30", "2026-12-31"])
    array([ True, False])
    """

    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: str = "09:00"
    end: str = "18:00"
    holidays: tuple = ()
    workdays: tuple = ()
    name: str = ""

    def __post_init__(self):
        days = tuple(sorted(set(int(d) for d in self.days)))
        if not days or any(d < 0 or d > 6 for d in days):
            raise ParameterError(f"WorkCalendar days: got {self.days!r}; expected weekday "
                                 "numbers 0 (Monday) … 6 (Sunday), at least one")
        a, b = _hours_of(self.start, "start"), _hours_of(self.end, "end")
        if b <= a:
            raise ParameterError(f"WorkCalendar: end {self.end!r} is not after start "
                                 f"{self.start!r}; expected working hours like 09:00–18:00")
        hol = _day_array(self.holidays, "holidays")
        extra = _day_array(self.workdays, "workdays")
        both = np.intersect1d(hol, extra)
        if both.size:
            raise ParameterError(f"WorkCalendar: {both[0]} is both a holiday and a working "
                                 "day; expected each date in one list only")
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "holidays", tuple(str(d) for d in hol))
        object.__setattr__(self, "workdays", tuple(str(d) for d in extra))
        if not self.name:
            label = f"{_days_label(days)} {self.start}–{self.end}"
            if hol.size:
                label += f", {hol.size} holidays"
            object.__setattr__(self, "name", label)

    def __repr__(self) -> str:
        return f"WorkCalendar({self.name!r})"

    @classmethod
    def from_study(cls, study=None, years: Iterable[int] | None = None) -> WorkCalendar:
        """The working calendar a study file declares (``calendar:``).

        Working weekdays and hours are the study's. Days off are the country's public
        holidays from the ``holidays`` package (``country``, ``subdiv``) that fall on a
        working weekday, plus the study's own ``holidays``. Working days are the weekend
        days the country made working days when it moved a day off (the package's
        ``weekend_workdays``: a moved day off and its working Saturday come together, or
        the year would lose a working day), plus the study's ``working_days``. What the
        study declares wins over the package: a declared working day is never a holiday,
        a declared holiday never a working day.

        Parameters
        ----------
        study : Study, path or None
            :func:`cxlab.study.load_study`'s argument (None: the default study).
        years : iterable of int, optional
            The years to take the country's holidays for; default
            :data:`STUDY_CALENDAR_YEARS` (2000–2040).

        Examples
        --------
        >>> WorkCalendar.from_study().hours_per_day   # the default study's desk hours
        9.0
        """
        from cxlab.study import load_study

        st = load_study(study)
        c = st.calendar
        yrs = tuple(sorted({int(y) for y in (STUDY_CALENDAR_YEARS if years is None
                                            else years)}))
        if not yrs:
            raise ParameterError("WorkCalendar.from_study: years is empty; expected the "
                                 "years to take public holidays for, e.g. range(2024, 2027)")
        off, moved = _country_days(c.country, c.subdiv, yrs) if c.country else ((), ())
        days = set(c.days)
        declared_off = {pd.Timestamp(d).date().isoformat() for d in c.holidays}
        declared_work = {pd.Timestamp(d).date().isoformat() for d in c.working_days}
        holidays = ({d for d in off if pd.Timestamp(d).weekday() in days} | declared_off
                    ) - declared_work
        workdays = (set(moved) - declared_off) | declared_work
        name = f"{_days_label(tuple(sorted(days)))} {c.start}–{c.end}"
        if c.country:
            where = c.country + (f"-{c.subdiv}" if c.subdiv else "")
            name += f", {where} public holidays {yrs[0]}–{yrs[-1]}"
        declared = [f"{len(x)} {what}" for x, what in ((declared_off, "extra days off"),
                                                       (declared_work, "working days"))
                    if x]
        if declared:
            name += f" (declared in the study: {', '.join(declared)})"
        return cls(days=tuple(sorted(days)), start=c.start, end=c.end,
                   holidays=tuple(sorted(holidays)), workdays=tuple(sorted(workdays)),
                   name=name)

    # -- internals (vectorised over datetime64[D] arrays)
    @cached_property
    def _open_h(self) -> float:
        return _hours_of(self.start, "start")

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day."""
        return _hours_of(self.end, "end") - self._open_h

    @cached_property
    def _busdaycal(self) -> np.busdaycalendar:
        mask = [1 if d in self.days else 0 for d in range(7)]
        return np.busdaycalendar(weekmask=mask,
                                 holidays=np.array(self.holidays, dtype="datetime64[D]"))

    @cached_property
    def _extra(self) -> np.ndarray:
        extra = np.array(self.workdays, dtype="datetime64[D]")
        # a 'workday' that is a working day anyway must not be counted twice
        return extra[~np.is_busday(extra, busdaycal=self._busdaycal)] if extra.size else extra

    def is_working_day(self, days) -> np.ndarray:
        """Is each date a working day? (array of bool)"""
        d = np.asarray(days, dtype="datetime64[D]")
        return np.is_busday(d, busdaycal=self._busdaycal) | np.isin(d, self._extra)

    def count_working_days(self, begin, end) -> np.ndarray:
        """Working days in ``[begin, end)`` (numpy.busday_count plus extra workdays)."""
        b = np.asarray(begin, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        n = np.busday_count(b, e, busdaycal=self._busdaycal)
        if self._extra.size:
            n = n + (np.searchsorted(self._extra, e) - np.searchsorted(self._extra, b))
        return n


def _working_position(t: np.ndarray, cal: WorkCalendar) -> np.ndarray:
    """Working hours elapsed on ``t``'s own day up to ``t`` (0 on a day off)."""
    day = t.astype("datetime64[D]")
    tod_h = (t - day).astype("timedelta64[s]").astype(np.float64) / 3600.0
    inside = np.clip(tod_h - cal._open_h, 0.0, cal.hours_per_day)
    return np.where(cal.is_working_day(day), inside, 0.0)


def _to_datetime(x, what: str, study=None) -> pd.Series:
    """A Series of naive datetime64[ns] in the study's local time (working hours are
    local hours): a zone-aware value (an aware Timestamp or Series, a string like
    '2026-09-28T07:00Z' or '…+03:00') is converted to the study's time zone; a naive one
    is local already."""
    if isinstance(x, pd.Series):
        s = x
    elif isinstance(x, (pd.Index, np.ndarray, list, tuple)):
        s = pd.Series(x)
    else:
        s = pd.Series([x])
    if pd.api.types.is_datetime64_any_dtype(s):
        return schema.local_time(s, study)
    parsed = schema.local_time(s, study)
    bad = parsed.isna() & s.notna()
    if bad.any():
        raise ParameterError(
            f"{what}: got {s[bad].iloc[0]!r} (position {s[bad].index[0]}); expected a "
            "date and time like '2026-09-28 10:30'")
    return parsed


def working_hours(start, end, calendar: WorkCalendar | None = None, *, study=None):
    """Working hours between ``start`` and ``end``.

    Counts only the time inside the calendar's working hours on working days: a complaint
    that arrives on Saturday starts its clock on Monday at 09:00, one that arrives at
    20:00 starts at 09:00 the next working day.

    Working hours are local hours: a zone-aware value (an aware Timestamp or Series, a
    string like ``'2026-09-28T06:30Z'`` or ``'…+03:00'``) is first converted to the
    study's time zone — 06:30 UTC is 09:30 in Moscow, so a complaint received then on a
    Monday counts from 09:30. A naive value is local time already.

    Parameters
    ----------
    start, end : datetime-like scalar or Series
        Scalars broadcast against Series; two Series must have the same length (the
        result takes ``start``'s index when it is a Series).
    calendar : WorkCalendar, optional
        Default :class:`WorkCalendar` (Monday–Friday 09:00–18:00, no holidays).
    study : Study, path or None
        Whose time zone zone-aware values are converted to (None: the default study).

    Returns
    -------
    float or Series of float
        Hours; NaN where ``start`` or ``end`` is missing (an open complaint).

    Raises
    ------
    ParameterError
        Where ``end`` is before ``start`` (names the first such position).

    Examples
    --------
    >>> working_hours("2026-09-25 17:00", "2026-09-28 10:00")   # Fri 17:00 → Mon 10:00
    2.0
    """
    cal = calendar if calendar is not None else WorkCalendar()
    if not isinstance(cal, WorkCalendar):
        raise ParameterError(f"working_hours: calendar is {type(cal).__name__}; expected "
                             "a cxlab.complaints.WorkCalendar")
    scalar = not isinstance(start, (pd.Series, pd.Index, np.ndarray, list, tuple)) and \
        not isinstance(end, (pd.Series, pd.Index, np.ndarray, list, tuple))
    s = _to_datetime(start, "working_hours start", study)
    e = _to_datetime(end, "working_hours end", study)
    index = start.index if isinstance(start, pd.Series) else (
        end.index if isinstance(end, pd.Series) else None)
    if len(s) == 1 and len(e) != 1:
        s = pd.Series(np.repeat(s.to_numpy(), len(e)))
    elif len(e) == 1 and len(s) != 1:
        e = pd.Series(np.repeat(e.to_numpy(), len(s)))
    if len(s) != len(e):
        raise ParameterError(f"working_hours: start has {len(s)} values and end {len(e)}; "
                             "expected the same length (or a single value)")
    sv = s.to_numpy(dtype="datetime64[ns]")
    ev = e.to_numpy(dtype="datetime64[ns]")
    ok = ~(np.isnat(sv) | np.isnat(ev))
    backwards = ok & (ev < sv)
    if backwards.any():
        i = int(np.flatnonzero(backwards)[0])
        where = index[i] if index is not None else i
        raise ParameterError(
            f"working_hours: end {pd.Timestamp(ev[i])} is before start {pd.Timestamp(sv[i])} "
            f"at {where!r} ({int(backwards.sum())} such value(s)); expected end on or after "
            "start")
    out = np.full(len(sv), np.nan)
    if ok.any():
        a, b = sv[ok], ev[ok]
        days = cal.count_working_days(a.astype("datetime64[D]"), b.astype("datetime64[D]"))
        out[ok] = (days * cal.hours_per_day + _working_position(b, cal)
                   - _working_position(a, cal))
    if scalar:
        return float(out[0])
    return pd.Series(out, index=index if index is not None and len(index) == len(out)
                     else None, name="hours")


def add_working_hours(start, hours, calendar: WorkCalendar | None = None, *, study=None):
    """The moment ``hours`` working hours after ``start`` — a deadline such as the
    retailer's "report the closure within 3 working hours" (seed 001).

    The inverse of :func:`working_hours`: ``working_hours(start, add_working_hours(start,
    h)) == h``. A deadline that falls exactly at the end of a working day is that day's
    closing time (18:00), not the next morning.

    Parameters
    ----------
    start : datetime-like scalar or Series
    hours : float or Series of float
        Working hours to add (≥ 0); broadcast like :func:`working_hours`.
    calendar : WorkCalendar, optional
    study : Study, path or None
        A zone-aware ``start`` is converted to this study's time zone first (as in
        :func:`working_hours`); None: the default study.

    Returns
    -------
    Timestamp or Series of datetime64[ns]
        Naive local time; NaT where ``start`` or ``hours`` is missing.

    Examples
    --------
    >>> add_working_hours("2026-09-25 17:00", 3)   # Fri 17:00 + 3 h → Mon 11:00
    Timestamp('2026-09-28 11:00:00')
    """
    cal = calendar if calendar is not None else WorkCalendar()
    scalar = not isinstance(start, (pd.Series, pd.Index, np.ndarray, list, tuple)) and \
        not isinstance(hours, (pd.Series, pd.Index, np.ndarray, list, tuple))
    s = _to_datetime(start, "add_working_hours start", study)
    index = start.index if isinstance(start, pd.Series) else (
        hours.index if isinstance(hours, pd.Series) else None)
    h = pd.to_numeric(pd.Series(hours if not np.isscalar(hours) else [hours]),
                      errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if len(s) == 1 and len(h) != 1:
        s = pd.Series(np.repeat(s.to_numpy(), len(h)))
    elif len(h) == 1 and len(s) != 1:
        h = np.repeat(h, len(s))
    if len(s) != len(h):
        raise ParameterError(f"add_working_hours: start has {len(s)} values and hours "
                             f"{len(h)}; expected the same length (or a single value)")
    if np.any(h < 0):
        raise ParameterError(f"add_working_hours: hours {h[h < 0][0]:g} is negative; "
                             "expected working hours ≥ 0")
    sv = s.to_numpy(dtype="datetime64[ns]")
    ok = ~np.isnat(sv) & ~np.isnan(h)
    out = np.full(len(sv), np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        a, hh = sv[ok], h[ok]
        day = a.astype("datetime64[D]")
        days_needed = int(np.ceil(hh.max() / cal.hours_per_day)) + 2
        slack = days_needed * 7 + 31
        while True:  # every working day from the first start on, enough to land on
            horizon = np.arange(day.min(), day.max() + np.timedelta64(slack, "D"),
                                dtype="datetime64[D]")
            wd = horizon[cal.is_working_day(horizon)]
            i0 = np.searchsorted(wd, day)  # first working day on or after the start's day
            if len(wd) and (i0 + days_needed).max() < len(wd):
                break
            if slack > 366 * 50:
                raise ParameterError(f"add_working_hours: the calendar {cal.name!r} has "
                                     "no working days ahead; expected working weekdays")
            slack *= 2
        pos = np.where(wd[i0] == day, _working_position(a, cal), 0.0)
        total = pos + hh
        k = np.floor(total / cal.hours_per_day).astype(np.int64)
        rem = total - k * cal.hours_per_day
        at_close = (rem == 0) & (k > 0)  # end of a day, not the next morning
        k = np.where(at_close, k - 1, k)
        rem = np.where(at_close, cal.hours_per_day, rem)
        when = wd[i0 + k].astype("datetime64[ns]")
        secs = np.round((cal._open_h + rem) * 3600 * 1e9).astype(np.int64)
        # after closing time with 0 hours to add: the start itself, not the closing time
        out[ok] = np.maximum(when + secs.astype("timedelta64[ns]"), a)
    if scalar:
        return pd.Timestamp(out[0])
    return pd.Series(out, index=index if index is not None and len(index) == len(out)
                     else None, name="deadline_at")


def fill_deadlines(complaints: pd.DataFrame, hours_by_importance: dict,
                   calendar: WorkCalendar | None = None, overwrite: bool = False, *,
                   study=None) -> pd.DataFrame:
    """Set ``deadline_at`` from a service level in working hours per importance.

    Parameters
    ----------
    complaints : DataFrame
        The complaints table (``received_at``, ``importance``; ``deadline_at`` if any).
    hours_by_importance : dict
        Importance code → working hours, one entry per code in the table, e.g.
        ``{"p1": 3, "p2": 27, "p3": 45}`` for a study whose importance codes are p1–p3.
    overwrite : bool
        Replace recorded deadlines too (to ask "what if the standard were …"); by
        default only empty ``deadline_at`` cells are filled.
    study : Study, path or None
        Zone-aware timestamps are converted to its time zone first (None: the default
        study); the deadlines are naive local time.

    Returns
    -------
    DataFrame
        A copy with ``deadline_at`` filled, ready for :func:`deadlines`,
        :func:`weekly_summary` and the rest.
    """
    _require(complaints, ["received_at", "importance"], "fill_deadlines", "complaints")
    unknown = set(complaints["importance"].dropna().astype(str)) - set(hours_by_importance)
    if unknown:
        raise ParameterError(f"fill_deadlines: no service level for importance "
                             f"{', '.join(sorted(unknown))}; expected hours for each of "
                             f"{', '.join(sorted(set(complaints['importance'].dropna())))}")
    df = _dates(complaints, ["received_at", "deadline_at"], "fill_deadlines", study)
    hours = df["importance"].astype("string").map(hours_by_importance).astype(float)
    new = add_working_hours(df["received_at"], hours, calendar, study=study)
    if "deadline_at" in df.columns and not overwrite:
        df["deadline_at"] = df["deadline_at"].fillna(new)
    else:
        df["deadline_at"] = new
    return df


# --------------------------------------------------------------------------- helpers

_COMPLAINT_DATES = ("received_at", "first_reaction_at", "deadline_at", "resolved_at")
#: The ``oral_written`` level of a channel the study gives no kind (oral / written).
UNCLASSIFIED = "unclassified"
#: The deadline row of :attr:`ComplaintsSection.table`: met ÷ *decided* complaints
#: (resolved, or open past the deadline); open ones not yet due are in neither.
DEADLINE_FIGURE = "share of decided complaints within deadline"


def _study(study):
    """The study the code lists come from (:func:`cxlab.study.load_study`)."""
    from cxlab.study import load_study

    return load_study(study)


def _optional(table: str) -> set[str]:
    from cxlab.schema import TABLES

    spec = TABLES.get(table)
    return {c.name for c in spec.columns if not c.required} if spec is not None else set()


def _require(df: pd.DataFrame, columns: Iterable[str], what: str, table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"{what}: got {type(df).__name__} for {table}; expected a "
                             "DataFrame")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        optional = [c for c in missing if c in _optional(table)]
        note = (f" ({', '.join(optional)}: optional in the {table} table, not recorded in "
                "this data)" if optional else "")
        have = [str(c) for c in df.columns]
        shown = ", ".join(have[:15]) + (" …" if len(have) > 15 else "")
        raise ParameterError(f"{what}: the {table} table has no column(s) "
                             f"{', '.join(missing)}{note}; expected them for this figure "
                             f"(the table has: {shown or 'no columns'})")


def _dates(df: pd.DataFrame, cols: Iterable[str], what: str, study=None) -> pd.DataFrame:
    """A copy with the date columns as naive datetime64[ns] local time (zone-aware
    values converted to the study's time zone)."""
    df = df.copy()
    for c in cols:
        if c in df.columns and not pd.api.types.is_datetime64_dtype(df[c]):
            df[c] = _to_datetime(df[c], f"{what}: column '{c}'", study).set_axis(df.index)
        elif c in df.columns:
            df[c] = df[c].astype("datetime64[ns]")
    return df


def _asof(asof, what: str, study=None) -> pd.Timestamp:
    """``asof`` as a naive local moment: a zone-aware one ('2026-09-30T23:30Z', an aware
    Timestamp) is converted to the study's time zone; a naive one is local already."""
    try:
        ts = pd.Timestamp(asof)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{what}: asof {asof!r} is not a date; expected e.g. "
                             "'2026-09-28' (00:00 that day) or '2026-09-28 09:00'")
    if ts.tz is not None:
        ts = pd.Timestamp(schema.local_time(ts, study))
    return ts


def _check_level(level: float) -> None:
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"level {level!r}: expected a confidence level between 0 and "
                             "1 (0.95 for 95 % intervals)")


def _share_frame(k, n, level: float, min_n: int, index=None) -> pd.DataFrame:
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    lo, hi = wilson_interval(k, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    return pd.DataFrame({"n": n.astype("int64"), "successes": k.astype("int64"),
                         "share": share, "ci_low": lo, "ci_high": hi, "small_n": n < min_n},
                        index=index)


def poisson_ci(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood, chi-square) interval for a Poisson count."""
    k = np.asarray(count, dtype=float)
    tail = (1 - level) / 2
    lo = np.where(k > 0, stats.chi2.ppf(tail, 2 * k) / 2, 0.0)
    hi = stats.chi2.ppf(1 - tail, 2 * k + 2) / 2
    return lo, hi


def _check_freq(freq: str) -> None:
    if freq not in ("Q", "M"):
        raise ParameterError(f"freq {freq!r}: expected 'Q' (quarters like 2026Q3) or 'M' "
                             "(months like 2026-09)")


def _period_labels(dates: pd.Series, freq: str) -> pd.Series:
    _check_freq(freq)
    if freq == "Q":
        return quarter_of(dates)
    return dates.dt.to_period("M").astype("string")


def _quarter_data(table):
    """``table`` when it is a :class:`cxlab.quarter.QuarterData` (its warehouse holds the
    table), else None."""
    from cxlab.quarter import QuarterData

    return table if isinstance(table, QuarterData) else None


def _order_levels(values: pd.Series, by: str, st) -> list:
    """The levels present in ``values``, in the study's order for ``by`` (channels,
    importance from the most severe, origin …; unknown codes after, alphabetically), or
    by volume when the study has no code list for it (categories, teams)."""
    present = [v for v in pd.unique(values.dropna())]
    if by == "oral_written":
        known = ["oral", "written", UNCLASSIFIED]
        return [v for v in known if v in present] + sorted(set(present) - set(known), key=str)
    cl = st.codelist(by)
    if cl is not None and len(cl):
        return cl.order(present)
    counts = values.value_counts()
    return list(counts.index)


def _severity_rank(st) -> dict:
    """Importance code → rank, 0 the most severe (the study lists them that way)."""
    cl = st.codelist("importance")
    return {c: i for i, c in enumerate(cl.values)} if cl is not None else {}


def _mark_oral(df: pd.DataFrame, st) -> pd.DataFrame:
    """Add ``oral_written`` from the study's channel kinds; a channel the study gives no
    kind is :data:`UNCLASSIFIED` (counted, not guessed)."""
    kinds = {c.code: c.kind for c in st.channels.codes if c.kind}
    if not kinds:
        raise ParameterError(
            f"oral or written: the study ({st.source}) declares no channel as oral or "
            "written; expected 'kind: oral' or 'kind: written' on its channels "
            "(study.yml → channels)")
    df = df.copy()
    ch = df["channel"].astype("string")
    ow = ch.map(kinds).astype("string")
    df["oral_written"] = ow.where(ow.notna() | ch.isna(), UNCLASSIFIED)
    return df


# --------------------------------------------------------------------------- dynamics

_BY = ("channel", "category", "importance", "origin", "oral_written", "responsible")


def monthly(complaints: pd.DataFrame, by: str = "channel", *, study=None) -> pd.DataFrame:
    """Complaints received per month, split by one classification.

    Parameters
    ----------
    complaints : DataFrame
        The complaints table (``received_at`` and the ``by`` column).
    by : {"channel", "category", "importance", "origin", "oral_written", "responsible"}
        ``"oral_written"`` groups the channels by the kind the study gives them
        (``kind: oral`` / ``kind: written``); a channel without a kind is
        ``"unclassified"`` (:data:`UNCLASSIFIED`).
    study : Study, path or None
        Where the code lists and their order come from (None: the default study).

    Returns
    -------
    DataFrame
        Index ``month`` ('2025-07', every month from the first to the last complaint,
        empty months as 0), one column per level (codes in the study's order — channels
        as listed, importance from the most severe —, codes the study does not list
        after them, categories and teams by volume) and ``total``. Counts, not
        estimates: no interval.

    Raises
    ------
    ParameterError
        The table lacks the ``by`` column (an optional column not recorded), or
        ``by="oral_written"`` and the study gives no channel a kind.
    """
    if by not in _BY:
        raise ParameterError(f"monthly: by={by!r}; expected one of {', '.join(_BY)}")
    st = _study(study)
    need = ["received_at", "channel" if by == "oral_written" else by]
    _require(complaints, need, "monthly", "complaints")
    df = _dates(complaints, ["received_at"], "monthly", st)
    if by == "oral_written":
        df = _mark_oral(df, st)
    df = df[df["received_at"].notna()]
    month = df["received_at"].dt.to_period("M")
    table = pd.crosstab(month, df[by].fillna("(not recorded)"))
    if len(month):
        full = pd.period_range(month.min(), month.max(), freq="M")
        table = table.reindex(full, fill_value=0)
    levels = _order_levels(df[by], by, st)
    if df[by].isna().any():
        levels.append("(not recorded)")
    table = table.reindex(columns=levels, fill_value=0)
    table.index = table.index.astype(str)
    table.index.name = "month"
    table.columns.name = by
    table["total"] = table.sum(axis=1)
    return table.astype("int64")


def share_justified(complaints: pd.DataFrame, by: str | None = None, freq: str | None = "Q",
                    level: float = 0.95, min_n: int = 30, *, study=None) -> pd.DataFrame:
    """Share of complaints found justified, with Wilson intervals.

    Parameters
    ----------
    by : str, optional
        A classification column (see :func:`monthly`) to split by as well.
    freq : {"Q", "M", None}
        Per quarter, per month, or over the whole table.
    study : Study, path or None
        The channel kinds for ``by="oral_written"`` (None: the default study).

    Returns
    -------
    DataFrame
        Index the period (and ``by`` level); columns ``n`` (complaints with the
        justification recorded), ``successes`` (justified), ``share``, ``ci_low``, ``ci_high``,
        ``small_n`` (n < min_n).
    """
    _check_level(level)
    need = ["received_at", "justified"] + ([("channel" if by == "oral_written" else by)]
                                           if by else [])
    _require(complaints, need, "share_justified", "complaints")
    df = _dates(complaints, ["received_at"], "share_justified", study)
    if by == "oral_written":
        df = _mark_oral(df, _study(study))
    df = df[df["justified"].notna()]
    keys = []
    if freq is not None:
        df = df.assign(period=_period_labels(df["received_at"], freq))
        keys.append("period")
    if by:
        keys.append(by)
    just = df["justified"].astype(bool)
    if keys:
        g = just.groupby([df[k] for k in keys], observed=True, sort=True)
        k, n = g.sum(), g.size()
        return _share_frame(k.to_numpy(), n.to_numpy(), level, min_n, index=n.index)
    return _share_frame([just.sum()], [len(just)], level, min_n,
                        index=pd.Index(["all"], name="complaints"))


def rate_per_100_active(complaints: pd.DataFrame, visits: pd.DataFrame, freq: str = "Q",
                        origin: str | None = None, periods: Iterable[str] | None = None,
                        level: float = 0.95, *, study=None) -> pd.DataFrame:
    """Complaints per 100 active clients per period, with an exact Poisson interval.

    Active clients in a period are the distinct ``client_id`` with at least one visit in
    it. Internal complaints count too unless ``origin`` says otherwise: the rate is the
    load on the desk relative to the size of the business.

    Parameters
    ----------
    complaints, visits : DataFrame
        The complaints (``received_at``, ``origin``) and visits (``client_id``,
        ``visit_date``) tables. ``visits`` may be a :class:`cxlab.quarter.QuarterData`:
        its warehouse counts the active clients up to the quarter's end
        (:meth:`~cxlab.quarter.QuarterData.active_clients`), the same counts as from
        ``data.visits`` without loading it.
    freq : {"Q", "M"}
    origin : str, optional
        Count only complaints of this origin code (one of the study's ``origin`` codes;
        when the study lists none, a code present in the table).
    periods : iterable of str, optional
        The periods to report ('2025Q3' or '2025-07'). Default: every period from the
        first to the last complaint in the log — before the log starts a zero would
        mean "not recorded", not "no complaints".

    Returns
    -------
    DataFrame
        Index ``period``; columns
        ``n_complaints``, ``n_active``, ``rate_per_100``, ``ci_low``, ``ci_high``
        (Garwood exact interval for the count, divided by active clients / 100). NaN rate
        where there were no active clients. A period with no complaints has
        ``n_complaints`` 0 and its exact interval (upper bound −ln(α/2) ≈ 3.69
        complaints per active base at 95 %), not an error. In a report kernel
        (``CXLAB_LEDGER`` set) ``attrs`` records the clients behind ``n_active``
        (:func:`cxlab.disclosure.lookup`); complaints are events and record none.
    """
    _check_level(level)
    _require(complaints, ["received_at"] + (["origin"] if origin else []),
             "rate_per_100_active", "complaints")
    data = _quarter_data(visits)
    if data is None:
        _require(visits, ["client_id", "visit_date"], "rate_per_100_active", "visits")
    _check_freq(freq)
    if origin is not None:
        cl = _study(study).codelist("origin")
        codes = (cl.values if cl is not None and len(cl)
                 else tuple(sorted(map(str, complaints["origin"].dropna().unique()))))
        if origin not in codes:
            raise ParameterError(f"rate_per_100_active: origin={origin!r}; expected one of "
                                 f"{', '.join(codes) or '(no origin recorded)'} or None")
    c = _dates(complaints, ["received_at"], "rate_per_100_active", study)
    if origin is not None:
        c = c[c["origin"] == origin]
    c = c[c["received_at"].notna()]
    n_c = _period_labels(c["received_at"], freq).value_counts()
    if data is not None:
        n_a = data.active_clients(freq)
    else:
        v = _dates(visits, ["visit_date"], "rate_per_100_active", study)
        v = v[v["visit_date"].notna()]
        n_a = v.assign(period=_period_labels(v["visit_date"], freq)).groupby("period")[
            "client_id"].nunique()
    if periods is not None:
        periods = [str(p) for p in periods]
    elif len(n_c):
        first, last = sorted(n_c.index)[0], sorted(n_c.index)[-1]
        periods = [str(p) for p in pd.period_range(first, last, freq=freq)]
    else:
        periods = sorted(n_a.index)
    out = pd.DataFrame(index=pd.Index(periods, name="period"))
    out["n_complaints"] = n_c.reindex(periods, fill_value=0).astype("int64").to_numpy()
    out["n_active"] = n_a.reindex(periods, fill_value=0).astype("int64").to_numpy()
    lo, hi = poisson_ci(out["n_complaints"].to_numpy(), level)
    per = np.where(out["n_active"] > 0, 100.0 / out["n_active"].replace(0, 1), np.nan)
    out["rate_per_100"] = out["n_complaints"] * per
    out["ci_low"] = lo * per
    out["ci_high"] = hi * per
    if _members.active():  # report kernels only (cxlab.disclosure): who n_active counts
        none = np.array([], dtype=str)
        if data is not None:  # one period's ids at a time, from the warehouse
            seen = {p: data.active_client_ids(p, freq) for p in out.index
                    if n_a.get(p, 0) > 0}
        else:
            act = v.loc[v["client_id"].notna(), ["client_id"]].assign(
                period=_period_labels(v.loc[v["client_id"].notna(), "visit_date"], freq))
            seen = act.groupby("period")["client_id"].unique()
        _members.attach(out, "n_active", {
            p: disclosure.Members("clients", np.asarray(seen[p]).astype(str) if p in seen
                                  else none) for p in out.index})
    return out


# --------------------------------------------------------------------------- deadlines

def _snapshot(complaints: pd.DataFrame, asof, what: str,
              study=None) -> tuple[pd.DataFrame, pd.Timestamp]:
    _require(complaints, ["complaint_id", "received_at", "resolved_at"], what, "complaints")
    df = _dates(complaints, [c for c in _COMPLAINT_DATES if c in complaints.columns], what,
                study)
    for c in _COMPLAINT_DATES:
        if c not in df.columns:
            df[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if asof is None:
        ts = pd.Timestamp(df[list(_COMPLAINT_DATES)].max().max()) + pd.Timedelta(1, "ns")
        if pd.isna(ts):
            raise ParameterError(f"{what}: no dates in the complaints table; pass asof")
    else:
        ts = _asof(asof, what, study)
    for late in ("first_reaction_at", "resolved_at"):
        bad = df[late].notna() & (df[late] < df["received_at"])
        if bad.any():
            ids = df.loc[bad, "complaint_id"].astype(str).tolist()
            raise ParameterError(
                f"{what}: {late} before received_at for complaint(s) {', '.join(ids[:5])}"
                f"{' …' if len(ids) > 5 else ''}; expected {late} on or after received_at")
    df = df[df["received_at"].notna() & (df["received_at"] < ts)]
    return df, ts


def deadlines(complaints: pd.DataFrame, asof=None,
              calendar: WorkCalendar | None = None, *, study=None) -> pd.DataFrame:
    """Per complaint: working hours to the first reaction and to the resolution, and
    whether the deadline was kept, as known at ``asof``.

    Parameters
    ----------
    complaints : DataFrame
        The complaints table (``complaint_id``, ``received_at``, ``resolved_at``;
        ``first_reaction_at`` and ``deadline_at`` used when present).
    asof : datetime-like, optional
        The moment of the snapshot (a date means 00:00 that day). Complaints received
        from ``asof`` on are left out; events from ``asof`` on have not happened yet.
        Default: just after the latest timestamp in the table. A zone-aware ``asof``
        ('2026-09-30T23:30Z') is converted to the study's time zone, as are zone-aware
        timestamps in the table; naive ones are local time already.
    calendar : WorkCalendar, optional
    study : Study, path or None
        Whose time zone (None: the default study).

    Returns
    -------
    DataFrame
        Index ``complaint_id``; the classification columns present (channel, origin,
        category, importance, responsible), ``received_at``, ``deadline_at``,
        ``resolved`` (bool), ``hours_to_first_reaction``, ``hours_to_resolution``
        (working hours; NaN while pending), ``hours_open`` (working hours from receipt to
        resolution or to ``asof``), ``met_deadline`` (boolean: resolved by the deadline;
        False when still open past it; <NA> when there is no deadline or it has not come
        yet), ``overdue`` (open and past the deadline at ``asof``). No personal columns.
    """
    df, ts = _snapshot(complaints, asof, "deadlines", study)
    cal = calendar if calendar is not None else WorkCalendar()
    reacted = df["first_reaction_at"].where(df["first_reaction_at"] < ts)
    resolved_at = df["resolved_at"].where(df["resolved_at"] < ts)
    resolved = resolved_at.notna()
    keep = [c for c in ("channel", "origin", "category", "importance", "responsible",
                        "justified") if c in df.columns]
    out = df[["complaint_id", *keep, "received_at", "deadline_at"]].copy()
    out["resolved"] = resolved.to_numpy()
    out["resolved_at"] = resolved_at
    out["hours_to_first_reaction"] = working_hours(df["received_at"], reacted, cal)
    out["hours_to_resolution"] = working_hours(df["received_at"], resolved_at, cal)
    out["hours_open"] = working_hours(df["received_at"], resolved_at.fillna(ts), cal)
    deadline = df["deadline_at"]
    met = pd.Series(pd.NA, index=df.index, dtype="boolean")
    has_d = deadline.notna()
    met[has_d & resolved] = (resolved_at <= deadline)[has_d & resolved]
    overdue = has_d & ~resolved & (deadline < ts)
    met[overdue] = False
    out["met_deadline"] = met
    out["overdue"] = overdue.to_numpy()
    return out.set_index("complaint_id")


def _deadlines_by(complaints, asof, calendar, by: str | None, where: str,
                  st) -> pd.DataFrame:
    """:func:`deadlines` with the grouping column ``by`` checked (and ``oral_written`` made)."""
    if by is not None and by not in _BY:
        raise ParameterError(f"{where}: by={by!r}; expected one of {', '.join(_BY)}")
    if by is not None:
        _require(complaints, ["channel" if by == "oral_written" else by], where, "complaints")
    d = deadlines(complaints, asof, calendar, study=st)
    if by == "oral_written":
        d = _mark_oral(d, st)
    return d


def deadline_summary(complaints: pd.DataFrame, asof=None, calendar: WorkCalendar | None = None,
                     by: str | None = "importance", level: float = 0.95,
                     min_n: int = 30, *, study=None) -> pd.DataFrame:
    """Share of *decided* complaints that met their deadline, by importance (or another
    classification), with Wilson intervals, plus median reaction and resolution times.

    At ``asof`` a complaint with a deadline is in one of three states:

    * **decided, met** — resolved by its deadline;
    * **decided, missed** — resolved after its deadline, or still open with the deadline
      passed (overdue: counted as missed, not left out);
    * **pending** — still open, the deadline not passed yet: neither met nor missed.

    ``share`` is met ÷ decided (``n``), not a share of all complaints received: at a
    quarter's end the complaints received in its last days are mostly pending, and
    ``n_pending`` says how many. Complaints without a deadline are in
    ``n_no_deadline``. ``n_received = n + n_pending + n_no_deadline``.

    Parameters
    ----------
    by : str or None
        A classification (see :func:`monthly`); levels in the study's order (importance
        from the most severe). ``None``: the ``all`` row only (for a log that does not
        record importance).
    study : Study, path or None
        The code lists' order and channel kinds (None: the default study).

    Returns
    -------
    DataFrame
        Index the ``by`` levels and ``all``; columns ``n`` (decided: resolved, or open
        past the deadline), ``successes`` (met the deadline), ``share`` (met ÷ decided),
        ``ci_low``, ``ci_high`` (Wilson), ``small_n`` (``n < min_n``), ``n_received``,
        ``n_pending`` (open, deadline not passed at ``asof``), ``n_no_deadline``,
        ``n_open`` (all open: pending, overdue and open without a deadline),
        ``n_overdue`` (open past the deadline; in ``n`` as missed),
        ``median_hours_to_first_reaction``, ``median_hours_to_resolution``. ``attrs``:
        ``share`` and ``n`` (these definitions in words), ``asof`` (the moment).

    Examples
    --------
    At the end of 2026Q3 (``asof='2026-10-01'``): one complaint resolved on time, one
    resolved late, one open past its deadline, one open with the deadline ahead —
    1 met of 3 decided, 1 pending.

    >>> log = pd.DataFrame({
    ...     "complaint_id": ["A", "B", "C", "D"],
    ...     "received_at": pd.to_datetime(["2026-09-01 10:00", "2026-09-02 10:00",
    ...                                    "2026-09-03 10:00", "2026-09-30 15:00"]),
    ...     "deadline_at": pd.to_datetime(["2026-09-02 10:00", "2026-09-03 10:00",
    ...                                    "2026-09-04 10:00", "2026-10-01 15:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-09-01 16:00", "2026-09-07 10:00",
    ...                                    None, None])})
    >>> s = deadline_summary(log, asof="2026-10-01", by=None, min_n=1)
    >>> s.loc["all", ["n", "successes", "n_pending", "n_overdue", "n_received"]].tolist()
    [3, 1, 1, 1, 4]
    """
    _check_level(level)
    st = _study(study)
    d = _deadlines_by(complaints, asof, calendar, by, "deadline_summary", st)
    levels = _order_levels(d[by], by, st) if by is not None else []
    has_d = d["deadline_at"].notna().to_numpy()
    # decided = the outcome is known at asof; deadlines() leaves met_deadline <NA> for
    # the pending (open, deadline ahead) and for complaints without a deadline
    decided = d["met_deadline"].notna().to_numpy()
    met = d["met_deadline"].fillna(False).to_numpy(dtype=bool) & decided
    pending = has_d & ~decided
    rows = []
    for lev in [*levels, "all"]:
        m = (np.ones(len(d), bool) if lev == "all"
             else (d[by] == lev).fillna(False).to_numpy(bool))
        g = d[m]
        rows.append({
            "group": lev, "successes": int(met[m].sum()), "n": int(decided[m].sum()),
            "n_received": len(g), "n_pending": int(pending[m].sum()),
            "n_no_deadline": int((~has_d[m]).sum()),
            "n_open": int((~g["resolved"]).sum()), "n_overdue": int(g["overdue"].sum()),
            "median_hours_to_first_reaction": g["hours_to_first_reaction"].median(),
            "median_hours_to_resolution": g["hours_to_resolution"].median(),
        })
    r = pd.DataFrame(rows).set_index("group")
    r.index.name = by or "complaints"
    shares = _share_frame(r["successes"], r["n"], level, min_n, index=r.index)
    out = pd.concat([shares, r.drop(columns=["successes", "n"])], axis=1)
    out.attrs.update(
        share=("met the deadline ÷ decided at asof (decided: resolved, or open past the "
               "deadline, which counts as missed); pending and no-deadline complaints "
               "are not in n"),
        n="decided complaints (resolved with a deadline, or open past it)",
        asof=None if asof is None else _asof(asof, "deadline_summary", st), level=level)
    return out


def open_and_overdue(complaints: pd.DataFrame, asof, calendar: WorkCalendar | None = None,
                     overdue_only: bool = False, *, study=None) -> pd.DataFrame:
    """Complaints still open at ``asof``: overdue first, then the most severe first (the
    study's ``importance`` order), oldest first.

    An internal working list (complaint ids, no personal columns); not for stakeholders.

    Returns
    -------
    DataFrame
        Index ``complaint_id``; classification columns, ``received_at``, ``deadline_at``,
        ``hours_open`` (working hours since receipt), ``overdue``, ``hours_overdue``
        (working hours since the deadline passed; NaN if not overdue).
    """
    cal = calendar if calendar is not None else WorkCalendar()
    st = _study(study)
    d = deadlines(complaints, asof, cal, study=st)
    ts = _asof(asof, "open_and_overdue", st)
    d = d[~d["resolved"]].drop(columns=["resolved", "resolved_at", "hours_to_resolution",
                                        "met_deadline"])
    if overdue_only:
        d = d[d["overdue"]]
    d["hours_overdue"] = working_hours(d["deadline_at"].where(d["overdue"]), ts, cal) \
        if len(d) else pd.Series(dtype=float)
    rank = _severity_rank(st)
    key = (d["importance"].map(rank).astype(float).fillna(len(rank))
           if "importance" in d else 0)
    d = d.assign(_imp=key).sort_values(["overdue", "_imp", "received_at"],
                                       ascending=[False, True, True])
    return d.drop(columns="_imp")


def long_service(complaints: pd.DataFrame, by: str = "category",
                 calendar: WorkCalendar | None = None, level: float = 0.95,
                 min_n: int = 30, *, study=None) -> pd.DataFrame:
    """Where service is long: working hours to resolution per group, longest first.

    Only resolved complaints. The median comes with a distribution-free interval (order
    statistics, :func:`scipy.stats.quantile_test`), the spread as quartiles and IQR.
    ``study`` gives the channel kinds for ``by="oral_written"`` (None: the default study).
    An empty table gives an empty result.

    Returns
    -------
    DataFrame
        Index the ``by`` levels sorted by median descending; columns ``n``,
        ``median_hours``, ``ci_low``, ``ci_high`` (of the median; NaN when n is too small
        for the level), ``q1_hours``, ``q3_hours``, ``iqr_hours``, ``small_n``.
    """
    _check_level(level)
    st = _study(study)
    cols = ["n", "median_hours", "ci_low", "ci_high", "q1_hours", "q3_hours", "iqr_hours",
            "small_n"]
    if isinstance(complaints, pd.DataFrame) and complaints.empty:
        if by not in _BY:
            raise ParameterError(f"long_service: by={by!r}; expected one of {', '.join(_BY)}")
        _require(complaints, ["complaint_id", "received_at", "resolved_at",
                              "channel" if by == "oral_written" else by],
                 "long_service", "complaints")
        return pd.DataFrame(columns=cols, index=pd.Index([], name=by))
    d = _deadlines_by(complaints, None, calendar, by, "long_service", st)
    d = d[d["hours_to_resolution"].notna() & d[by].notna()]
    rows = []
    for lev, g in d.groupby(by, observed=True):
        h = g["hours_to_resolution"].to_numpy(dtype=float)
        med = float(np.median(h))
        lo = hi = np.nan
        if len(h) >= 2:
            ci = stats.quantile_test(h, q=med, p=0.5).confidence_interval(level)
            lo, hi = float(ci.low), float(ci.high)
        q1, q3 = np.percentile(h, [25, 75])
        rows.append({by: lev, "n": len(h), "median_hours": med, "ci_low": lo,
                     "ci_high": hi, "q1_hours": q1, "q3_hours": q3, "iqr_hours": q3 - q1,
                     "small_n": len(h) < min_n})
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name=by))
    return pd.DataFrame(rows).set_index(by).sort_values("median_hours", ascending=False)


# --------------------------------------------------------------------------- after resolution

@dataclass(frozen=True)
class AfterResolution:
    """Satisfaction with the resolution and loyalty after it.

    Attributes
    ----------
    table : DataFrame
        Counts: rows ``satisfied_with_resolution`` (True / False / ``all``), columns
        ``loyal_after`` (True / False / ``all``); complaints with both recorded.
    shares : DataFrame
        Index ``satisfied``, ``loyal_after``, ``not_loyal_if_satisfied``,
        ``loyal_if_not_satisfied``; columns ``n``, ``successes``, ``share``, ``ci_low``,
        ``ci_high``, ``small_n``. ``satisfied`` and ``loyal_after`` are each computed on
        every complaint where that one figure is recorded (two separate figures);
        the conditional shares on the cross-tab.
    level, min_n : float, int
        Confidence level of the intervals; groups under ``min_n`` are flagged.
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    level: float = 0.95
    min_n: int = 30

    @property
    def satisfied_not_loyal(self) -> pd.Series:
        """Share of those satisfied with the resolution who are still not loyal after."""
        return self.shares.loc["not_loyal_if_satisfied"]

    def summary(self) -> str:
        s = self.shares
        lines = ["After the resolution (Wilson %d%% intervals)" % round(100 * self.level)]
        labels = {"satisfied": "satisfied with the resolution",
                  "loyal_after": "loyal after it",
                  "not_loyal_if_satisfied": "satisfied but NOT loyal (of satisfied)",
                  "loyal_if_not_satisfied": "loyal although not satisfied"}
        for key, lab in labels.items():
            r = s.loc[key]
            flag = "  (small n)" if r["small_n"] else ""
            lines.append(f"  {lab:<42} {r['share']:.1%}  [{r['ci_low']:.1%}, "
                         f"{r['ci_high']:.1%}]  n={int(r['n'])}{flag}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary() + "\n\n" + self.table.to_string()

    def _repr_html_(self) -> str:
        import html

        return (f"<pre>{html.escape(self.summary())}</pre>" + self.table.to_html())


def after_resolution(complaints: pd.DataFrame, level: float = 0.95,
                     min_n: int = 30) -> AfterResolution:
    """Cross-tabulate satisfaction with the resolution × loyalty after it.

    The seeds keep the two apart: a client can be satisfied with how a complaint was
    handled and still not recommend us — that share is a finding, reported with its
    interval (:attr:`AfterResolution.satisfied_not_loyal`).
    """
    _check_level(level)
    _require(complaints, ["satisfied_with_resolution", "loyal_after"], "after_resolution",
             "complaints")
    sat = complaints["satisfied_with_resolution"].astype("boolean")
    loy = complaints["loyal_after"].astype("boolean")
    both = sat.notna() & loy.notna()
    tab = pd.crosstab(sat[both].astype(bool), loy[both].astype(bool), margins=True,
                      margins_name="all")
    tab = tab.reindex(index=[True, False, "all"], columns=[True, False, "all"], fill_value=0)
    tab.index.name, tab.columns.name = "satisfied_with_resolution", "loyal_after"
    s_known, l_known = sat.dropna().astype(bool), loy.dropna().astype(bool)
    k = [s_known.sum(), l_known.sum(), tab.loc[True, False], tab.loc[False, True]]
    n = [len(s_known), len(l_known), tab.loc[True, "all"], tab.loc[False, "all"]]
    shares = _share_frame(k, n, level, min_n, index=pd.Index(
        ["satisfied", "loyal_after", "not_loyal_if_satisfied", "loyal_if_not_satisfied"],
        name="figure"))
    return AfterResolution(table=tab.astype("int64"), shares=shares, level=level, min_n=min_n)


#: The look-back window of :func:`complainant_nps` in the quarterly report: an answer is
#: a complainant's when the client complained in the 365 days before answering (the
#: report's label says "in the 12 months before answering"; see :func:`complainant_nps`).
COMPLAINANT_WINDOW_DAYS = 365


def complainant_nps(responses: pd.DataFrame, complaints: pd.DataFrame,
                    window_days: int | None = COMPLAINANT_WINDOW_DAYS,
                    pool_channels: bool = False,
                    ci: str = "score", level: float = 0.95,
                    min_n: int = 30, *, study=None) -> pd.DataFrame:
    """NPS of clients who complained vs clients who did not, per survey channel.

    A response counts as a complainant's when the same client had a complaint received
    in the ``window_days`` before the response was submitted (``None``: at any time
    before it). Only 0–10 answers (``nps``) are used; binary answers are a different
    figure.

    Why 12 months before the answer, not "this quarter": the question a head of service
    asks of this table is "do families who complained recommend us less?", and a
    complaint can only colour an answer given after it — a complaint on 28 September
    says nothing about an answer of 2 July. A family also remembers a bad incident for
    longer than a calendar quarter: a complaint in late June weighs on an answer in early
    July as much as one in early July does, and the quarter's boundary would drop it.
    (The sample business plants its complaint effect for the 365 days after a complaint,
    :data:`cxlab.samples.SHIFT_AFTER_COMPLAINT`.) Restricted to complaints received in
    the quarter before the answer, the sample's 2026Q3 has 14, 1 and 1 complainant
    answers per channel — every figure would be "n < 30". So the report keeps the
    365-day window (:data:`COMPLAINANT_WINDOW_DAYS`) and says so in its labels
    ("complained in the 12 months before answering", ``code.figure.complained``): the
    complainants here are not the quarter's complaints counted elsewhere on the page. Survey channels are not pooled (answers given to an interviewer run higher
    than self-completed ones):
    one comparison per channel, unless ``pool_channels=True`` — then a single
    ``channel='pooled'`` comparison is returned, and the label says so.

    Group NPS and intervals come from :func:`cxlab.metrics.nps_table` (``ci`` method),
    the difference from :func:`cxlab.metrics.compare_nps` on the answers: both clustered
    by client (a family answers several times), the difference's interval the
    square-and-add of the two score intervals, and under ``min_n`` answers its p a
    permutation test's.
    Channels come in the study's order (``study``; None: the default study).

    Returns
    -------
    DataFrame
        Index (``channel``, ``group`` in {complained, did_not_complain, difference});
        columns ``n``, ``nps`` (points −100…100; for ``difference`` complained −
        did_not_complain), ``ci_low``, ``ci_high``, ``p`` (difference only, two-sided),
        ``small_n`` (for the difference: either group under ``min_n``; its ``n`` is the
        smaller group). In a report kernel (``CXLAB_LEDGER`` set) ``attrs`` records the
        answers behind each ``n`` (a difference row: the smaller group's, the complained
        group's on a tie; :func:`cxlab.disclosure.lookup`).
    """
    _check_level(level)
    _require(responses, ["client_id", "submitted_at", "channel", "nps"], "complainant_nps",
             "responses")
    _require(complaints, ["client_id", "received_at"], "complainant_nps", "complaints")
    if window_days is not None and not window_days > 0:
        raise ParameterError(f"complainant_nps: window_days={window_days!r}; expected a "
                             "positive number of days or None")
    r = _dates(responses, ["submitted_at"], "complainant_nps", study)
    r = r[r["nps"].notna() & r["submitted_at"].notna()].reset_index(drop=True)
    c = _dates(complaints, ["received_at"], "complainant_nps", study)
    c = c[c["client_id"].notna() & c["received_at"].notna()][["client_id", "received_at"]]
    # the latest complaint strictly before each response, per client (as-of join)
    left = pd.DataFrame({"client_id": r["client_id"].astype("string"),
                         "submitted_at": r["submitted_at"], "_row": np.arange(len(r))})
    left = left.sort_values("submitted_at")
    right = c.astype({"client_id": "string"}).sort_values("received_at")
    j = pd.merge_asof(left, right, left_on="submitted_at", right_on="received_at",
                      by="client_id", direction="backward", allow_exact_matches=False)
    hit = j["received_at"].notna()
    if window_days is not None:
        hit &= (j["submitted_at"] - j["received_at"]) <= pd.Timedelta(days=window_days)
    complained = np.zeros(len(r), dtype=bool)
    complained[j.loc[hit, "_row"].to_numpy(dtype=int)] = True
    work = pd.DataFrame({
        "channel": "pooled" if pool_channels else r["channel"].astype("string"),
        "group": np.where(complained, "complained", "did_not_complain"),
        "nps": r["nps"].astype("Float64"),
        "client_id": r["client_id"],
    })
    cols = ["n", "nps", "ci_low", "ci_high", "p", "small_n"]
    if work.empty:
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples(
            [], names=["channel", "group"]))
    # channels are split explicitly here (by=channel), so no figure pools them
    t = nps_table(work, by=["channel", "group"], min_n=min_n, ci=ci, level=level,
                  pool_channels=True)
    t = t.drop(columns=[c for c in ("pooled",) if c in t.columns])
    frames = {}
    levels = (["pooled"] if pool_channels
              else _order_levels(work["channel"], "channel", _study(study)))
    for ch in levels:
        g = t.xs(ch, level="channel")
        rows = {grp: {"n": int(g.loc[grp, "n"]), "nps": g.loc[grp, "nps"],
                      "ci_low": g.loc[grp, "ci_low"], "ci_high": g.loc[grp, "ci_high"],
                      "p": np.nan, "small_n": bool(g.loc[grp, "small_n"])}
                for grp in ("complained", "did_not_complain") if grp in g.index}
        if len(rows) == 2:
            # from the answers: clustered by client, a permutation p under min_n
            in_ch = (work["channel"] == ch).fillna(False).to_numpy()
            a, b = (work[in_ch & (work["group"] == grp).to_numpy()]
                    for grp in ("complained", "did_not_complain"))
            d = compare_nps(a, b, level=level, min_n=min_n, pool_channels=True)
            n_min = min(d.n_a, d.n_b)
            rows["difference"] = {"n": n_min, "nps": d.diff, "ci_low": d.ci_low,
                                  "ci_high": d.ci_high, "p": d.p, "small_n": n_min < min_n}
        frames[ch] = pd.DataFrame.from_dict(rows, orient="index")
    out = pd.concat(frames, names=["channel", "group"])[cols]
    out["n"] = out["n"].astype("int64")
    out["small_n"] = out["small_n"].astype(bool)
    out.attrs.update(level=level, method=ci, window_days=window_days,
                     pooled=bool(pool_channels), figure="NPS (points)")
    ids = _members.ids_of(r, "answers") if _members.active() else None
    if ids is not None:  # report kernels only (cxlab.disclosure): the answers each n counts
        ch_of = work["channel"].astype("string").fillna("\ue003").to_numpy(dtype=object)
        grp_of = work["group"].to_numpy(dtype=object)
        who = {}
        for key in out.index:
            ch, grp = key
            if grp == "difference":  # its n is the smaller group's (complained on a tie)
                sizes = {g: int(((ch_of == ch) & (grp_of == g)).sum())
                         for g in ("complained", "did_not_complain")}
                grp = min(sizes, key=lambda g: (sizes[g], g != "complained"))
            who[key] = disclosure.Members("answers", ids[(ch_of == ch) & (grp_of == grp)])
        _members.attach(out, "n", who)
    return out


# --------------------------------------------------------------------------- weekly control

@dataclass(frozen=True)
class WeeklySummary:
    """The Monday-meeting summary of one Monday–Sunday week.

    Attributes
    ----------
    week_start, week_end : Timestamp
        Monday 00:00 of the week and the following Monday 00:00 (the snapshot moment).
    table : DataFrame
        Per responsible team (``(not assigned)`` where empty) and ``all``: ``new``
        (received in the week), ``resolved`` (resolved in the week), ``resolved_late``
        (of those, after their deadline), ``n_deadline`` / ``share_on_time`` /
        ``ci_low`` / ``ci_high`` (resolved in the week with a deadline; share by the
        deadline, Wilson), ``open`` (backlog at the week's end), ``overdue`` (open and
        past the deadline at the week's end), ``oldest_open_hours`` (working hours).
    overdue : DataFrame
        The overdue complaints at the week's end (internal list, ids only).
    calendar : WorkCalendar
    """

    week_start: pd.Timestamp
    week_end: pd.Timestamp
    table: pd.DataFrame
    overdue: pd.DataFrame
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def summary(self) -> str:
        last_day = (self.week_end - pd.Timedelta(days=1)).date()
        a = self.table.loc["all"]
        share = ("—" if pd.isna(a["share_on_time"]) else
                 f"{a['share_on_time']:.0%} [{a['ci_low']:.0%}, {a['ci_high']:.0%}] of "
                 f"{int(a['n_deadline'])}")
        lines = [
            f"Complaints, week {self.week_start.date()} – {last_day} "
            f"(working hours: {self.calendar.name})",
            f"  new {int(a['new'])}, resolved {int(a['resolved'])} "
            f"(on time: {share}), open at week end {int(a['open'])}, "
            f"overdue {int(a['overdue'])}",
            "",
            self.table.to_string(float_format=lambda x: f"{x:.2f}"),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (f"<p><b>Complaints, week {self.week_start.date()} – "
                f"{(self.week_end - pd.Timedelta(days=1)).date()}</b></p>"
                + self.table.to_html(float_format=lambda x: f"{x:.2f}"))


def last_full_week(asof, *, study=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last full Monday–Sunday week that ended on or before ``asof``'s day.

    Returns (Monday 00:00, next Monday 00:00), local time. For a Monday ``asof`` it is
    the week that has just ended — what the Monday meeting reviews. ``asof``'s day is the
    local one: a zone-aware ``asof`` is converted to the study's time zone first
    (``'2026-09-27T22:30Z'`` is Monday 28 September 01:30 in Moscow).
    """
    day = _asof(asof, "weekly_summary", study).normalize()
    end = day - pd.Timedelta(days=day.weekday())  # Monday 00:00 of asof's week
    return end - pd.Timedelta(days=7), end


def weekly_summary(complaints: pd.DataFrame, asof, calendar: WorkCalendar | None = None,
                   level: float = 0.95, *, study=None) -> WeeklySummary:
    """New, resolved and overdue complaints per responsible team for the Monday meeting.

    The week reviewed is the last full Monday–Sunday week before ``asof``'s day
    (:func:`last_full_week`): with ``asof='2026-09-28'`` (a Monday) it is 21–27 September,
    and the backlog is taken at Monday 28 September 00:00. Any day of the following week
    gives the same week, so the summary can be rerun mid-week unchanged.

    Parameters
    ----------
    calendar : WorkCalendar, optional
        Working hours of the desk; default the study's
        (:meth:`WorkCalendar.from_study`: its weekdays, hours and public holidays).
    study : Study, path or None
        The study whose calendar and importance order are used (None: the default study).
    """
    _check_level(level)
    st = _study(study)
    cal = calendar if calendar is not None else WorkCalendar.from_study(st)
    start, end = last_full_week(asof, study=st)
    d = deadlines(complaints, end, cal, study=st)
    team = (d["responsible"].astype("string").fillna("(not assigned)")
            if "responsible" in d.columns else pd.Series("(not assigned)", index=d.index))
    d = d.assign(team=team)
    new = d["received_at"] >= start
    res_week = d["resolved"] & (d["resolved_at"] >= start)
    late = res_week & d["met_deadline"].eq(False).fillna(False).astype(bool)
    with_d = res_week & d["deadline_at"].notna()
    open_ = ~d["resolved"]
    flags = pd.DataFrame({
        "team": d["team"], "new": new, "resolved": res_week, "resolved_late": late,
        "n_deadline": with_d, "on_time": with_d & ~late, "open": open_,
        "overdue": d["overdue"],
    })
    g = flags.groupby("team", observed=True).sum(numeric_only=True)
    # teams with nothing new, resolved or open this week have nothing to discuss
    g = g[(g[["new", "resolved", "open"]] > 0).any(axis=1)]
    g.loc["all"] = flags.drop(columns="team").sum()
    oldest = d.loc[open_].groupby("team")["hours_open"].max()
    g["oldest_open_hours"] = oldest.reindex(g.index)
    g.loc["all", "oldest_open_hours"] = d.loc[open_, "hours_open"].max() if open_.any() \
        else np.nan
    lo, hi = wilson_interval(g["on_time"], g["n_deadline"], level)
    g["share_on_time"] = np.where(g["n_deadline"] > 0,
                                  g["on_time"] / g["n_deadline"].replace(0, 1), np.nan)
    g["ci_low"], g["ci_high"] = lo, hi
    counts = ["new", "resolved", "resolved_late", "n_deadline", "open", "overdue"]
    g[counts] = g[counts].astype("int64")
    g = g[[*counts[:4], "share_on_time", "ci_low", "ci_high", "open", "overdue",
           "oldest_open_hours"]]
    teams = [t for t in g.index if t != "all"]
    g = g.loc[sorted(teams, key=lambda t: (-g.loc[t, "overdue"], -g.loc[t, "open"], t))
              + ["all"]]
    g.index.name = "responsible"
    overdue = open_and_overdue(complaints, end, cal, overdue_only=True, study=st)
    return WeeklySummary(week_start=start, week_end=end, table=g, overdue=overdue,
                         calendar=cal)


# --------------------------------------------------------------------------- FCR link

def fcr_vs_complaints(contacts: pd.DataFrame, complaints: pd.DataFrame,
                      window_days: int = 7, level: float = 0.95,
                      min_n: int = 30, *, study=None) -> pd.DataFrame:
    """First-contact resolution per channel next to complaint volume per channel.

    FCR is :func:`cxlab.metrics.fcr_table` (a first contact is resolved unless the same
    client opens another contact on the same topic within ``window_days``; first
    contacts in the last ``window_days`` of the log are censored and left out). Filter
    both tables to the same period before calling.

    Returns
    -------
    DataFrame
        Index ``channel`` (contact and complaint channels, in the study's order, then
        channels it does not list); columns
        ``fcr_n`` (judged first contacts), ``fcr_share``, ``fcr_ci_low``, ``fcr_ci_high``
        (Wilson), ``fcr_small_n``, ``n_complaints``, ``complaint_share`` (of all
        complaints) with ``complaint_ci_low``/``complaint_ci_high`` (Wilson). A channel
        with no contacts (one clients only write complaints to) has NaN FCR; one with no
        complaints has 0.
    """
    _check_level(level)
    _require(contacts, ["client_id", "opened_at", "channel", "topic"], "fcr_vs_complaints",
             "contacts")
    _require(complaints, ["channel"], "fcr_vs_complaints", "complaints")
    ct = _dates(contacts, ["opened_at"], "fcr_vs_complaints", study)
    ct = ct[ct["opened_at"].notna()]
    if ct.empty:
        raise ParameterError("fcr_vs_complaints: the contacts table has no dated contacts; "
                             "expected the contacts log of the period")
    f = fcr_table(ct, by=("channel",), window_days=window_days, min_n=min_n, level=level,
                  study=study)
    f = f.rename(columns={"n": "fcr_n", "share": "fcr_share", "ci_low": "fcr_ci_low",
                          "ci_high": "fcr_ci_high", "small_n": "fcr_small_n"})
    f.index = f.index.astype(str)
    vol = complaints["channel"].dropna().astype(str).value_counts()
    channels = _study(study).channels.order(set(f.index) | set(vol.index))
    out = f[["fcr_n", "fcr_share", "fcr_ci_low", "fcr_ci_high", "fcr_small_n"]].reindex(
        channels)
    out["fcr_n"] = out["fcr_n"].fillna(0).astype("int64")
    out["fcr_small_n"] = out["fcr_n"] < min_n
    n_c = vol.reindex(channels, fill_value=0).astype("int64")
    total = int(n_c.sum())
    shares = _share_frame(n_c.to_numpy(), np.full(len(n_c), total), level, min_n,
                          index=out.index)
    out["n_complaints"] = n_c.to_numpy()
    out["complaint_share"] = shares["share"]
    out["complaint_ci_low"] = shares["ci_low"]
    out["complaint_ci_high"] = shares["ci_high"]
    out.index.name = "channel"
    out.attrs.update(window_days=window_days, level=level, min_n=min_n)
    return out


# --------------------------------------------------------------------------- report section

@dataclass(frozen=True)
class ComplaintsSection:
    """Aggregates for the complaints section of the quarterly report.

    No personal data and no complaint ids. Every share and NPS carries ``n`` and an
    interval; shares, medians and NPS from fewer than ``min_n`` observations are flagged
    ``small_n`` and their value and interval are blanked (``NaN``) — the count ``n``
    stays, so the reader sees why. Plain counts (complaints per category) are shown
    whatever their size: they identify no family. Display the tables as they are; the
    headline figures are in :attr:`table`.

    A quarter without complaints is a result, not an error: ``n_complaints`` is 0
    (:attr:`empty`), the rate is 0 per 100 active clients with its exact interval, the
    breakdowns have no complaints in the quarter (a category seen in the previous
    quarter keeps its row, with ``n`` 0), and shares have ``n`` 0 and no estimate.

    A part that needs a column the complaints table does not record (``category``,
    ``importance``, ``origin``, ``justified``, ``resolved_at``, the after-resolution
    pair) or a table that was not given (visits, responses) is ``None`` and named in
    :attr:`left_out` with the reason; :attr:`table` shows the figures that exist.

    Attributes
    ----------
    quarter, previous : str
        The reported quarter ('2025Q3') and the one before it.
    min_n : int
    volume : DataFrame or None
        :func:`rate_per_100_active` per quarter from the first quarter of the log up to
        ``quarter``: ``n_complaints``, ``n_active``, ``rate_per_100`` with its exact
        Poisson interval.
    by_category, by_channel : DataFrame (by_category None when not recorded)
        Complaints received in ``quarter`` (``n``) and ``previous`` (``n_previous``) per
        category / channel, with ``change`` (count); ``rate_per_100`` and
        ``rate_per_100_previous`` (complaints per 100 active clients, the denominator
        of :func:`rate_per_100_active`: all active clients of the quarter, not of the
        category or channel); ``rate_ratio`` — the rate in ``quarter`` ÷ the rate in
        ``previous``, so a business that grew or shrank between the two quarters does
        not read as more or fewer complaints — with the exact conditional interval for
        a ratio of two Poisson rates ``ci_low``/``ci_high`` (given ``n + n_previous``,
        ``n`` is binomial; Clopper–Pearson, mapped to the ratio by the active clients).
        The ratio and its interval are NaN when ``n_previous`` is 0 or the active
        clients of either quarter are unknown (no visits table: ``left_out`` names
        ``rate_ratio``) or zero; the counts are there anyway. ``attrs``:
        ``rate_ratio`` (this definition, :data:`RATE_RATIO_MEANING`), ``n_active``,
        ``n_active_previous``, ``level``. ``small_n`` flags ``n + n_previous < min_n``;
        the ratio is kept there (the counts are shown anyway and the exact interval
        carries the uncertainty). by_channel has also ``oral_written`` (the study's
        channel kind; :data:`UNCLASSIFIED` for a channel it gives none); channels in the
        study's order.
    by_importance_origin : DataFrame or None
        Counts in ``quarter``: importance (rows, the most severe first) × origin
        (columns), with ``all`` margins. When only one of the two is recorded, the other
        is the single ``all`` row or column.
    justified : DataFrame or None
        Share justified in ``quarter`` (by importance when recorded, and all), Wilson.
    deadlines : DataFrame or None
        :func:`deadline_summary` of complaints received in ``quarter`` (outcome as of the
        quarter's end), by importance when recorded: ``share`` met ÷ decided (``n``:
        resolved, or open past the deadline = missed); ``n_pending`` open and not yet
        due at the quarter's end, in neither.
    long_service : DataFrame or None
        :func:`long_service` by category (when recorded) and by channel (complaints
        received in ``quarter`` and resolved by the end of the data), stacked with a
        ``dimension`` level.
    after_resolution : DataFrame or None
        :attr:`AfterResolution.shares` of complaints received in ``quarter``.
    complainant_nps : DataFrame or None
        :func:`complainant_nps` for responses submitted in ``quarter``, per survey
        channel: a complainant is a client with a complaint in the 365 days before the
        answer (:data:`COMPLAINANT_WINDOW_DAYS`), not only in ``quarter``.
    calendar : WorkCalendar
    n_complaints, n_previous : int
        Complaints received in ``quarter`` and in ``previous``.
    left_out : dict
        Part name (an attribute above) → why it is None; also ``rate_ratio`` → why the
        breakdowns' rate ratios are NaN (no visits table).
    log_start : str or None
        The first quarter with a complaint in the table (None: the table is empty). A
        ``quarter`` before it has zeros that may mean "not recorded yet": say so.
    """

    quarter: str
    previous: str
    min_n: int
    volume: pd.DataFrame | None
    by_category: pd.DataFrame | None
    by_channel: pd.DataFrame
    by_importance_origin: pd.DataFrame | None
    justified: pd.DataFrame | None
    deadlines: pd.DataFrame | None
    long_service: pd.DataFrame | None
    after_resolution: pd.DataFrame | None
    complainant_nps: pd.DataFrame | None
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    n_complaints: int = 0
    n_previous: int = 0
    left_out: Mapping[str, str] = field(default_factory=dict)
    log_start: str | None = None

    @property
    def empty(self) -> bool:
        """No complaint was received in the quarter."""
        return self.n_complaints == 0

    @property
    def table(self) -> pd.DataFrame:
        """The headline figures of the quarter, one row each, with n and interval.

        ``n`` is the count behind the estimate: active clients for the rate, complaints
        with the figure recorded for the shares — for the deadline share
        (:data:`DEADLINE_FIGURE`) the complaints *decided* at the quarter's end
        (resolved, or open past the deadline), not the pending ones
        (:func:`deadline_summary`; their number is in :meth:`summary` and
        ``deadlines["n_pending"]``). Figures of parts left out have no row.
        """
        rows = []
        v = (self.volume.loc[self.quarter]
             if self.volume is not None and self.quarter in self.volume.index else None)
        if v is not None:
            rows.append(("complaints per 100 active clients", v["n_active"],
                         v["rate_per_100"], v["ci_low"], v["ci_high"], False))
        if self.justified is not None:
            j = self.justified.loc["all"]
            rows.append(("share justified", j["n"], j["share"], j["ci_low"], j["ci_high"],
                         j["small_n"]))
        if self.deadlines is not None:
            dl = self.deadlines.loc["all"]
            rows.append((DEADLINE_FIGURE, dl["n"], dl["share"],
                         dl["ci_low"], dl["ci_high"], dl["small_n"]))
        if self.after_resolution is not None:
            for key, lab in (("satisfied", "share satisfied with the resolution"),
                             ("loyal_after", "share loyal after the resolution"),
                             ("not_loyal_if_satisfied", "share not loyal although satisfied")):
                a = self.after_resolution.loc[key]
                rows.append((lab, a["n"], a["share"], a["ci_low"], a["ci_high"],
                             a["small_n"]))
        t = pd.DataFrame(rows, columns=["figure", "n", "estimate", "ci_low", "ci_high",
                                        "small_n"]).set_index("figure")
        t = t.astype({"n": "int64", "small_n": bool})
        # the one count of people here (report kernels, cxlab.disclosure): active clients;
        # the other rows count complaints (events) and record no members
        active = (disclosure.lookup(self.volume, "n_active", self.quarter)
                  if v is not None else None)
        if active is not None:
            _members.attach(t, "n", {"complaints per 100 active clients": active})
        return t

    def summary(self) -> str:
        lines = [f"Complaints {self.quarter} (vs {self.previous}): {self.n_complaints} "
                 f"received ({self.n_previous} in {self.previous}); working hours: "
                 f"{self.calendar.name}"]
        if self.empty:
            lines.append(f"No complaints received in {self.quarter}.")
        if self.log_start is not None and self.quarter < self.log_start:
            lines.append(f"The complaints log starts in {self.log_start}: zeros before it "
                         "may mean 'not recorded yet'.")
        if self.deadlines is not None:
            dl = self.deadlines.loc["all"]
            lines.append(f"deadlines at the quarter's end: {int(dl['n'])} decided (resolved "
                         f"or past due; {int(dl['n_overdue'])} open past due count as "
                         f"missed), {int(dl['n_pending'])} pending (open, not yet due), "
                         f"{int(dl['n_no_deadline'])} without a deadline")
        for part, why in self.left_out.items():
            lines.append(f"left out: {part} — {why}")
        return "\n".join(lines) + "\n" + self.table.to_string(
            float_format=lambda x: f"{x:.3f}")

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        notes = "".join(f"<li>{html.escape(p)}: {html.escape(w)}</li>"
                        for p, w in self.left_out.items())
        return (f"<p><b>Complaints {self.quarter}</b> (vs {self.previous}): "
                f"{self.n_complaints} received</p>"
                + (f"<ul>{notes}</ul>" if notes else "")
                + self.table.to_html(float_format=lambda x: f"{x:.3f}"))


def _suppress(t: pd.DataFrame | None, value_cols: Iterable[str]) -> pd.DataFrame | None:
    if t is None:
        return None
    t = t.copy()
    if "small_n" in t.columns and len(t):
        small = t["small_n"].astype(bool)
        for c in value_cols:
            if c in t.columns:
                t.loc[small, c] = np.nan
    return t


def _quarter_ok(quarter: str) -> pd.Period:
    if not isinstance(quarter, str) or not re.fullmatch(r"\d{4}Q[1-4]", quarter):
        raise QuarterError(f"complaints_section: quarter {quarter!r}; expected a quarter "
                           "like '2025Q3'")
    return pd.Period(quarter, freq="Q")


#: What the ``rate_ratio`` of :attr:`ComplaintsSection.by_category` / ``by_channel`` is
#: (also in their ``attrs["rate_ratio"]``).
RATE_RATIO_MEANING = ("complaints per active client in the quarter ÷ complaints per active "
                      "client in the previous quarter (active clients as in "
                      "rate_per_100_active); interval exact conditional (Clopper–Pearson on "
                      "n / (n + n_previous), scaled by n_active_previous / n_active)")


def _rate_ratio(now: pd.Series, before: pd.Series, active: int | None,
                active_before: int | None, level: float, min_n: int) -> pd.DataFrame:
    """Complaints per active client in this quarter vs the previous one, with the exact
    conditional interval for a ratio of two Poisson rates.

    Given the total ``k = n + n_previous``, ``n ~ Bin(k, π)`` with
    ``π = E·r / (E·r + E_prev)`` (``E`` active clients, ``r`` the rate ratio), so the
    Clopper–Pearson interval of ``π`` maps to ``r = π / (1 − π) · E_prev / E``.
    statsmodels' ``confint_poisson_2indep`` has no exact conditional method (0.15), hence
    the mapping here. Unknown or zero active clients, or no complaints in the previous
    quarter: no ratio (NaN).
    """
    from statsmodels.stats.proportion import proportion_confint

    idx = now.index.union(before.index, sort=False)
    a = now.reindex(idx, fill_value=0).astype(int).to_numpy()
    b = before.reindex(idx, fill_value=0).astype(int).to_numpy()
    e = float(active) if active else np.nan  # None or 0 active clients: no rate
    e_prev = float(active_before) if active_before else np.nan
    ratio, lo, hi = (np.full(len(idx), np.nan) for _ in range(3))
    ok = (b > 0) & bool(active) & bool(active_before)
    if ok.any():
        # n_previous > 0, so the upper end of π is below 1 and the ratio's is finite
        pl, ph = proportion_confint(a[ok], a[ok] + b[ok], alpha=1 - level, method="beta")
        scale = e_prev / e
        ratio[ok] = (a[ok] / e) / (b[ok] / e_prev)
        lo[ok] = pl / (1 - pl) * scale
        hi[ok] = ph / (1 - ph) * scale
    out = pd.DataFrame({"n": a, "n_previous": b, "change": a - b,
                        "rate_per_100": 100 * a / e, "rate_per_100_previous": 100 * b / e_prev,
                        "rate_ratio": ratio, "ci_low": lo, "ci_high": hi,
                        "small_n": (a + b) < min_n}, index=idx)
    out.attrs.update(rate_ratio=RATE_RATIO_MEANING, level=level,
                     n_active=None if active is None else int(active),
                     n_active_previous=None if active_before is None else int(active_before))
    return out


def _counts_by_importance_origin(now: pd.DataFrame, st) -> pd.DataFrame:
    """Importance × origin counts with ``all`` margins; a dimension not recorded is the
    single ``all`` row or column."""
    has_imp, has_org = "importance" in now.columns, "origin" in now.columns
    placeholder = pd.Series("_", index=now.index, dtype="string")
    r = (now["importance"] if has_imp else placeholder).astype("string").rename("importance")
    o = (now["origin"] if has_org else placeholder).astype("string").rename("origin")
    t = (pd.crosstab(r, o, margins=True, margins_name="all") if len(now)
         else pd.DataFrame(dtype="int64"))
    rows = (_order_levels(r, "importance", st) if has_imp else []) + ["all"]
    cols = (_order_levels(o, "origin", st) if has_org else []) + ["all"]
    t = t.reindex(index=rows, columns=cols, fill_value=0).fillna(0).astype("int64")
    t.index.name, t.columns.name = "importance", "origin"
    return t


def complaints_section(complaints: pd.DataFrame, responses: pd.DataFrame | None,
                       clients, visits,
                       quarter: str, min_n: int = 30, calendar: WorkCalendar | None = None,
                       level: float = 0.95, *, study=None) -> ComplaintsSection:
    """Everything the quarterly report's complaints section shows, as aggregates.

    Parameters
    ----------
    complaints : DataFrame
        The complaints table as loaded (``cxlab.io.load``): ``complaint_id``,
        ``received_at``, ``channel``; the optional classification columns add parts.
    responses, clients, visits : DataFrame or None
        ``visits`` gives the active clients of the rate, ``responses`` the complainants'
        NPS; ``clients`` is only checked to hold every complaining client (a complaint
        from an unknown client is a data error). None: the parts that need it are left
        out. ``clients`` and ``visits`` may be a :class:`cxlab.quarter.QuarterData`
        (``complaints_section(data.complaints, data.responses, data, data, quarter)``):
        the check and the active clients are then done in its warehouse
        (:func:`rate_per_100_active`), without loading either table.
    quarter : str
        '2025Q3'. Complaints received in it are analysed; deadlines and resolutions as
        known at the quarter's end. A quarter without complaints gives a section with
        zero counts (:attr:`ComplaintsSection.empty`), not an error.
    min_n : int
        Estimates from fewer observations are blanked and flagged ``small_n``.
    calendar : WorkCalendar, optional
        Working hours for the deadline figures; default the study's
        (:meth:`WorkCalendar.from_study`).
    study : Study, path or None
        Code lists (channel order and kinds, importance order, origin codes) and the
        calendar (None: the default study).

    Returns
    -------
    ComplaintsSection
        Parts whose columns or tables are missing are None and listed in ``left_out``.

    Raises
    ------
    QuarterError
        ``quarter`` is not like '2025Q3'.
    ParameterError
        The table lacks a required column, or a complaint names a client missing from
        ``clients``.
    """
    _check_level(level)
    q = _quarter_ok(quarter)
    prev = str(q - 1)
    st = _study(study)
    what = "complaints_section"
    _require(complaints, ["complaint_id", "received_at", "channel"], what, "complaints")
    cal = calendar if calendar is not None else WorkCalendar.from_study(st)
    c = _dates(complaints, [x for x in _COMPLAINT_DATES if x in complaints.columns], what,
               st)
    left: dict[str, str] = {}

    def lacks(part: str, cols: Iterable[str]) -> bool:
        missing = [x for x in cols if x not in c.columns]
        if missing:
            left[part] = (f"the complaints table has no column(s) {', '.join(missing)} "
                          "(not recorded)")
        return bool(missing)

    if clients is not None and "client_id" in c.columns:
        unknown = c["client_id"].dropna().astype(str)
        data = _quarter_data(clients)
        if data is not None:
            from cxlab import aggregates

            known = (aggregates.known_clients(data.warehouse, unknown.unique(), upto=data.end)
                     if "clients" in data.holdings.rows else set())
        else:
            _require(clients, ["client_id"], what, "clients")
            known = set(clients["client_id"].dropna().astype(str))
        unknown = unknown[~unknown.isin(known)]
        if len(unknown):
            raise ParameterError(f"{what}: {len(unknown)} complaint(s) from clients not in "
                                 f"the clients table (e.g. {unknown.iloc[0]!r}); expected "
                                 "every complaints.client_id in clients")
    c = c[c["received_at"].notna()]
    cq = quarter_of(c["received_at"])
    log_start = str(cq.min()) if len(cq) else None
    now, before = c[(cq == quarter).to_numpy()], c[(cq == prev).to_numpy()]
    q_end = q.end_time.normalize() + pd.Timedelta(days=1)

    volume = None
    active = active_before = None  # clients behind the rate ratios (None: unknown)
    if visits is None:
        left["volume"] = "no visits table: the number of active clients is unknown"
        left["rate_ratio"] = ("no visits table: complaints per active client cannot be "
                              "compared with the previous quarter (counts are shown)")
    else:
        first = min(pd.Period(log_start, freq="Q"), q) if log_start else q
        periods = [str(p) for p in pd.period_range(first, q, freq="Q")]
        volume = rate_per_100_active(c, visits, freq="Q", periods=periods, level=level,
                                     study=st)
        # the previous quarter may lie before the log (and so outside `volume`)
        act = rate_per_100_active(c, visits, freq="Q", periods=[prev, quarter],
                                  level=level, study=st)["n_active"]
        active, active_before = int(act[quarter]), int(act[prev])

    by_cat = None
    if not lacks("by_category", ["category"]):
        by_cat = _rate_ratio(now["category"].value_counts(), before["category"].value_counts(),
                             active, active_before, level, min_n)
        by_cat = by_cat.sort_values("n", ascending=False, kind="stable")
        by_cat.index.name = "category"
    by_ch = _rate_ratio(now["channel"].value_counts(), before["channel"].value_counts(),
                        active, active_before, level, min_n)
    by_ch = by_ch.reindex(st.channels.order(by_ch.index))
    kinds = {ch.code: ch.kind for ch in st.channels.codes if ch.kind}
    by_ch.insert(0, "oral_written", [kinds.get(x, UNCLASSIFIED) for x in by_ch.index])
    by_ch.index.name = "channel"

    imp = None
    if "importance" in c.columns or "origin" in c.columns:
        imp = _counts_by_importance_origin(now, st)
    else:
        lacks("by_importance_origin", ["importance", "origin"])

    just = None
    if not lacks("justified", ["justified"]):
        just_all = share_justified(now, by=None, freq=None, level=level, min_n=min_n)
        just_all = just_all.set_axis(["all"])
        if "importance" in c.columns:
            jb = share_justified(now, by="importance", freq=None, level=level, min_n=min_n)
            order = _order_levels(pd.Series(jb.index, dtype=object), "importance", st)
            just = pd.concat([jb.reindex(order), just_all])
        else:
            just = just_all
        just.index.name = "importance"

    dl = ls = None
    if not lacks("deadlines", ["resolved_at"]):
        by_imp = "importance" if "importance" in c.columns else None
        dl = deadline_summary(now, asof=q_end, calendar=cal, by=by_imp, level=level,
                              min_n=min_n, study=st)
        dims = (["category"] if "category" in c.columns else []) + ["channel"]
        ls = pd.concat({d: long_service(now, d, cal, level, min_n, study=st) for d in dims},
                       names=["dimension", "level"])
    if "resolved_at" not in c.columns:
        left["long_service"] = left["deadlines"]

    ar = None
    if not lacks("after_resolution", ["satisfied_with_resolution", "loyal_after"]):
        ar = after_resolution(now, level=level, min_n=min_n).shares

    cn = None
    need_r = ["client_id", "submitted_at", "channel", "nps"]
    if responses is None:
        left["complainant_nps"] = "no responses table"
    elif "client_id" not in c.columns:
        left["complainant_nps"] = "the complaints table has no column client_id (not recorded)"
    elif any(x not in responses.columns for x in need_r):
        missing = [x for x in need_r if x not in responses.columns]
        left["complainant_nps"] = (f"the responses table has no column(s) {', '.join(missing)}"
                                   + (" (anonymous answers: complainants cannot be matched)"
                                      if "client_id" in missing else ""))
    else:
        r = _dates(responses, ["submitted_at"], what, st)
        rq = r[(quarter_of(r["submitted_at"]) == quarter).fillna(False).to_numpy()]
        # complaints in the 365 days before each answer (the labels say 12 months)
        cn = complainant_nps(rq, c, window_days=COMPLAINANT_WINDOW_DAYS, level=level,
                             min_n=min_n, study=st)

    share_cols = ["share", "ci_low", "ci_high"]
    return ComplaintsSection(
        quarter=quarter, previous=prev, min_n=min_n, volume=volume,
        by_category=by_cat, by_channel=by_ch, by_importance_origin=imp,
        justified=_suppress(just, share_cols),
        deadlines=_suppress(dl, [*share_cols, "median_hours_to_first_reaction",
                                 "median_hours_to_resolution"]),
        long_service=_suppress(ls, ["median_hours", "ci_low", "ci_high", "q1_hours",
                                    "q3_hours", "iqr_hours"]),
        after_resolution=_suppress(ar, share_cols),
        complainant_nps=_suppress(cn, ["nps", "ci_low", "ci_high", "p"]),
        calendar=cal, n_complaints=len(now), n_previous=len(before),
        left_out=left, log_start=log_start,
    )
