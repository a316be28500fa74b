"""Tests of cxlab.complaints.

Hand-made complaints check the arithmetic (expected hours are worked out by hand in the
comments); a minute-by-minute brute force checks ``working_hours`` independently; the
sample data (``data/samples``) checks the planted truths of ``cxlab.samples.TRUTHS``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _reference_stats import clustered_nps_interval, square_and_add, tango_brute
from statsmodels.stats.rates import confint_poisson

from cxlab import complaints as C
from cxlab.errors import CxlabError, ParameterError, QuarterError, ValidationError
from cxlab.paths import SAMPLE_STUDY, SAMPLES_DIR
from cxlab.study import load_study, parse_study

#: The sample business's desk: Monday–Friday 09:00–18:00 with Russia's public holidays
#: (the holidays package) and the working Saturdays of its study file.
RU = C.WorkCalendar.from_study(SAMPLE_STUDY)

#: The hand-made Russian calendar cxlab carried before the study file, kept here as an
#: independent reference for the holidays package: non-working public holidays 2024–2026
#: that fall on a weekday (and the weekdays they were moved to), as set by art. 112 of
#: the Labour Code and the Government's yearly transfer decrees: 2024 — decree of
#: 10.08.2023 No. 1306; 2025 — decree of 04.10.2024 No. 1335 (23 Feb → 8 May, 8 Mar →
#: 13 Jun, 4 Jan → 2 May, 5 Jan → 31 Dec, 1 Nov → 3 Nov); 2026 — decree of 24.09.2025
#: (3 Jan → 9 Jan, 4 Jan → 31 Dec). With the transferred working Saturdays a
#: Monday–Friday week gives 248 working days in 2024, 247 in 2025 and 247 in 2026 (the
#: official production calendars).
DECREE_HOLIDAYS = (
    # 2024
    "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08",
    "2024-02-23", "2024-03-08", "2024-04-29", "2024-04-30", "2024-05-01", "2024-05-09",
    "2024-05-10", "2024-06-12", "2024-11-04", "2024-12-30", "2024-12-31",
    # 2025
    "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08",
    "2025-05-01", "2025-05-02", "2025-05-08", "2025-05-09", "2025-06-12", "2025-06-13",
    "2025-11-03", "2025-11-04", "2025-12-31",
    # 2026
    "2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08",
    "2026-01-09", "2026-02-23", "2026-03-09", "2026-05-01", "2026-05-11", "2026-06-12",
    "2026-11-04", "2026-12-31",
)
#: Saturdays that were working days in Russia 2024–2026 (a day off moved elsewhere).
DECREE_WORKING_SATURDAYS = ("2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01")

#: A second business, not the sample: a retailer whose complaints come by e-mail, SMS,
#: its app or in a store, classed p1 (most severe) … p3, with no cohorts and a
#: Monday–Saturday desk in Berlin.
RETAIL = parse_study({
    "name": "Acme retail",
    "language": "en",
    "timezone": "Europe/Berlin",
    "channels": {
        "email": {"en": "E-mail", "kind": "written"},
        "sms": {"en": "SMS", "kind": "written"},
        "app": {"en": "App", "kind": "written"},
        "store": {"en": "In a store", "kind": "oral"},
    },
    "codes": {"importance": {"p1": {"en": "Blocker"}, "p2": {"en": "Major"},
                             "p3": {"en": "Minor"}}},
    "calendar": {"country": "DE", "subdiv": "BE", "days": "mon-sat", "hours": "10:00-20:00"},
}, source="retail-study.yml")


def ts(s):
    return pd.Timestamp(s)


def wilson_by_hand(k, n, z=1.959963984540054):
    """Wilson (1927) score interval written out, independent of statsmodels."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# =========================================================================== working hours

@pytest.mark.parametrize("start, end, expected", [
    # same working day: 10:00 → 15:30 = 5.5 h
    ("2026-09-21 10:00", "2026-09-21 15:30", 5.5),
    # Friday 17:00 → Monday 10:00: Fri 17–18 (1 h) + Mon 9–10 (1 h) = 2 h
    ("2026-09-25 17:00", "2026-09-28 10:00", 2.0),
    # weekend arrival, Saturday 12:00 → Monday 11:00: clock starts Mon 09:00 → 2 h
    ("2026-09-26 12:00", "2026-09-28 11:00", 2.0),
    # after-hours arrival, Tuesday 20:00 → Wednesday 10:30: Wed 9:00–10:30 = 1.5 h
    ("2026-09-22 20:00", "2026-09-23 10:30", 1.5),
    # before opening, Wednesday 07:00 → 09:30 = 0.5 h
    ("2026-09-23 07:00", "2026-09-23 09:30", 0.5),
    # both in the same weekend: Saturday 10:00 → Sunday 15:00 = 0 h
    ("2026-09-26 10:00", "2026-09-27 15:00", 0.0),
    # two whole weeks: Mon 09:00 → Mon 09:00 two weeks on = 10 days × 9 h = 90 h
    ("2026-09-07 09:00", "2026-09-21 09:00", 90.0),
    # start == end → 0; also outside working hours
    ("2026-09-22 12:00", "2026-09-22 12:00", 0.0),
    ("2026-09-22 23:00", "2026-09-22 23:00", 0.0),
    # Friday 18:30 → Monday 08:00: nothing inside working hours
    ("2026-09-25 18:30", "2026-09-28 08:00", 0.0),
])
def test_working_hours_default_calendar(start, end, expected):
    assert C.working_hours(start, end) == pytest.approx(expected)


def test_working_hours_across_russian_holiday():
    # Wed 2025-05-07 16:00 → Mon 2025-05-12 10:00. Russia: Thu 8 May and Fri 9 May are
    # holidays (decree No. 1335: 23 Feb moved to 8 May), 10–11 May weekend:
    # Wed 16–18 (2 h) + Mon 9–10 (1 h) = 3 h.
    assert C.working_hours("2025-05-07 16:00", "2025-05-12 10:00", RU) == pytest.approx(3.0)
    # Default calendar (no holidays): 2 + 9 (Thu) + 9 (Fri) + 1 = 21 h
    assert C.working_hours("2025-05-07 16:00", "2025-05-12 10:00") == pytest.approx(21.0)


def test_working_hours_transferred_working_saturday():
    # Fri 2025-10-31 17:00 → Wed 2025-11-05 10:00. Russia: Sat 1 Nov was a working day,
    # Mon 3 Nov and Tue 4 Nov holidays: Fri 1 h + Sat 9 h + Wed 1 h = 11 h.
    assert C.working_hours("2025-10-31 17:00", "2025-11-05 10:00", RU) == pytest.approx(11.0)
    # Default: Fri 1 + Mon 9 + Tue 9 + Wed 1 = 20 h
    assert C.working_hours("2025-10-31 17:00", "2025-11-05 10:00") == pytest.approx(20.0)
    # a complaint that arrives on that working Saturday starts its clock at once:
    # Sat 1 Nov 2025 16:00 → Wed 5 Nov 10:00 = Sat 2 h + Wed 1 h = 3 h
    assert C.working_hours("2025-11-01 16:00", "2025-11-05 10:00", RU) == pytest.approx(3.0)


@pytest.mark.parametrize("year, days", [(2024, 248), (2025, 247), (2026, 247)])
def test_sample_study_calendar_matches_production_calendar(year, days):
    # working days of a 5-day week in the official production calendars
    # (производственный календарь): 2024 — 248, 2025 — 247, 2026 — 247
    n = RU.count_working_days(np.datetime64(f"{year}-01-01"),
                              np.datetime64(f"{year + 1}-01-01"))
    assert int(n) == days
    # and hours: e.g. 2025 has 247 × 9 = 2223 hours of a 09:00–18:00 desk
    h = C.working_hours(f"{year}-01-01 00:00", f"{year + 1}-01-01 00:00", RU)
    assert h == pytest.approx(days * 9)


def test_sample_study_calendar_equals_the_decrees_day_by_day():
    # the holidays package (country RU) against the hand-made list from the decrees:
    # the same days off and the same working Saturdays, 2024–2026
    in_years = [d for d in RU.holidays if "2024" <= d[:4] <= "2026"]
    assert sorted(in_years) == sorted(DECREE_HOLIDAYS)
    assert [d for d in RU.workdays if "2024" <= d[:4] <= "2026"] == \
        list(DECREE_WORKING_SATURDAYS)
    days = pd.date_range("2024-01-01", "2026-12-31", freq="D")
    by_hand = (days.day_of_week < 5) & ~days.strftime("%Y-%m-%d").isin(DECREE_HOLIDAYS) \
        | days.strftime("%Y-%m-%d").isin(DECREE_WORKING_SATURDAYS)
    got = RU.is_working_day(days.to_numpy().astype("datetime64[D]"))
    np.testing.assert_array_equal(got, by_hand)


def test_calendar_from_study_takes_moved_days_from_the_package():
    # a study naming only its country gets the working Saturdays too: a moved day off and
    # its working Saturday come together (else 2024 would have 247 working days, not 248)
    bare = C.WorkCalendar.from_study(parse_study({"calendar": {"country": "RU"}}),
                                     years=range(2024, 2027))
    assert bare.holidays == tuple(sorted(DECREE_HOLIDAYS))
    assert bare.workdays == DECREE_WORKING_SATURDAYS
    # what a study declares wins over the package: 9 Jan 2026 (a moved day off) worked,
    # 22 Sep 2026 off
    own = C.WorkCalendar.from_study(parse_study({"calendar": {
        "country": "RU", "working_days": ["2026-01-09"], "holidays": ["2026-09-22"]}}),
        years=[2026])
    assert own.is_working_day(["2026-01-09", "2026-09-22", "2026-01-08"]).tolist() == \
        [True, False, False]
    assert all(d[:4] == "2026" for d in own.holidays)  # only the years asked for
    # no country: the weekdays and the study's own days off only
    plain = C.WorkCalendar.from_study(parse_study({"calendar": {"days": "mon-fri"}}))
    assert plain.holidays == () and plain.workdays == ()
    # an unknown subdivision is refused where it is written (the study file, naming the key)
    with pytest.raises(ValidationError, match="calendar → subdiv"):
        parse_study({"calendar": {"country": "DE", "subdiv": "XX"}})


def test_calendar_from_a_retail_study():
    # Monday–Saturday 10:00–20:00 in Berlin. 2026 has 313 Mondays–Saturdays (52 weeks and
    # Thursday 1 January); Berlin's public holidays on them (holidays package, DE-BE):
    # 1 Jan Thu, 3 Apr Fri, 6 Apr Mon, 1 May Fri, 14 May Thu, 25 May Mon, 3 Oct Sat,
    # 25 Dec Fri, 26 Dec Sat = 9 (Women's Day 8 March is a Sunday) → 304 working days
    cal = C.WorkCalendar.from_study(RETAIL)
    assert cal.hours_per_day == 10 and cal.days == (0, 1, 2, 3, 4, 5)
    assert int(cal.count_working_days(np.datetime64("2026-01-01"),
                                      np.datetime64("2027-01-01"))) == 304
    # Friday 2 October 19:00 → Monday 5 October 11:00: Fri 1 h, Sat 3 Oct (German Unity
    # Day) off, Sunday off, Mon 1 h = 2 working hours
    assert C.working_hours("2026-10-02 19:00", "2026-10-05 11:00", cal) == pytest.approx(2.0)
    assert "DE-BE public holidays" in cal.name


def test_working_hours_custom_calendar():
    # Mon–Sat 10:00–20:00: Sat 19:00 → Mon 11:00 = Sat 1 h + Mon 1 h = 2 h
    cal = C.WorkCalendar(days=(0, 1, 2, 3, 4, 5), start="10:00", end="20:00")
    assert cal.hours_per_day == 10
    assert C.working_hours("2026-09-26 19:00", "2026-09-28 11:00", cal) == pytest.approx(2.0)
    # a holiday on Tuesday 2026-09-22: Mon 19:00 → Wed 11:00 = Mon 1 h + Wed 1 h
    cal = C.WorkCalendar(holidays=("2026-09-22",))
    assert C.working_hours("2026-09-21 17:00", "2026-09-23 10:00", cal) == pytest.approx(2.0)


def _brute_force_hours(start, end, cal: C.WorkCalendar) -> float:
    """Count working minutes one by one (start and end on whole minutes)."""
    minutes = pd.date_range(start, end, freq="min", inclusive="left")
    if len(minutes) == 0:
        return 0.0
    a = int(cal.start[:2]) * 60 + int(cal.start[3:])
    b = int(cal.end[:2]) * 60 + int(cal.end[3:])
    mod = minutes.hour * 60 + minutes.minute
    days = minutes.normalize().to_numpy().astype("datetime64[D]")
    working = cal.is_working_day(days)
    return float(((mod >= a) & (mod < b) & working).sum()) / 60


def test_working_hours_vectorised_matches_brute_force(rng):
    # 60 random intervals of up to 12 days around the May 2025 holidays, Russian calendar
    base = pd.Timestamp("2025-04-25")
    starts = base + pd.to_timedelta(rng.integers(0, 20 * 1440, 60), unit="min")
    ends = starts + pd.to_timedelta(rng.integers(0, 12 * 1440, 60), unit="min")
    got = C.working_hours(pd.Series(starts), pd.Series(ends), RU)
    want = [_brute_force_hours(s, e, RU) for s, e in zip(starts, ends)]
    np.testing.assert_allclose(got.to_numpy(), want, atol=1e-9)


def test_working_hours_series_missing_and_scalar_broadcast():
    start = pd.Series(pd.to_datetime(["2026-09-21 10:00", "2026-09-22 10:00", None]),
                      index=["a", "b", "c"])
    end = pd.Series(pd.to_datetime(["2026-09-21 12:00", None, "2026-09-22 10:00"]),
                    index=["a", "b", "c"])
    h = C.working_hours(start, end)
    assert list(h.index) == ["a", "b", "c"]
    assert h["a"] == 2.0 and np.isnan(h["b"]) and np.isnan(h["c"])  # open: NaN
    # a scalar end broadcasts: Mon 10:00 and Tue 10:00 → Wed 10:00 = 18 h and 9 h
    h = C.working_hours(start.iloc[:2], "2026-09-23 10:00")
    assert h.tolist() == [18.0, 9.0]


def test_working_hours_aware_timestamps_are_the_study_local_time():
    # aware values are converted to the study's zone (the default study here is the
    # sample's, Europe/Moscow): Moscow Fri 17:00 → Mon 10:00 is 2 working hours there
    # (not shifted to UTC). More in tests/test_timezones.py.
    h = C.working_hours(pd.Timestamp("2026-09-25 17:00", tz="Europe/Moscow"),
                        pd.Timestamp("2026-09-28 10:00", tz="Europe/Moscow"))
    assert h == pytest.approx(2.0)
    # the same instants in UTC (14:00Z, 07:00Z) give the same 2 hours, not Fri 14–18 = 4
    h = C.working_hours(pd.Timestamp("2026-09-25 14:00", tz="UTC"),
                        pd.Timestamp("2026-09-28 07:00", tz="UTC"))
    assert h == pytest.approx(2.0)


def test_working_hours_errors():
    with pytest.raises(ParameterError, match="before start"):
        C.working_hours("2026-09-22 10:00", "2026-09-21 10:00")
    with pytest.raises(ParameterError, match="at 'x'"):
        C.working_hours(pd.Series([ts("2026-09-22")], index=["x"]),
                        pd.Series([ts("2026-09-21")], index=["x"]))
    with pytest.raises(ParameterError, match="expected a date and time"):
        C.working_hours("not a date", "2026-09-21 10:00")
    with pytest.raises(ParameterError, match="same length"):
        C.working_hours(pd.Series(pd.to_datetime(["2026-09-21"] * 2)),
                        pd.Series(pd.to_datetime(["2026-09-22"] * 3)))
    with pytest.raises(ParameterError, match="not after start"):
        C.WorkCalendar(start="18:00", end="09:00")
    with pytest.raises(ParameterError, match="HH:MM"):
        C.WorkCalendar(start="9am")
    with pytest.raises(ParameterError, match="weekday"):
        C.WorkCalendar(days=(7,))
    assert issubclass(ParameterError, CxlabError)


@pytest.mark.parametrize("start, hours, expected", [
    # Fri 17:00 + 3 h: Fri 1 h, Mon 2 h → Mon 11:00 (the retailer's 3-working-hour rule)
    ("2026-09-25 17:00", 3, "2026-09-28 11:00"),
    # exactly to the close: Fri 17:00 + 1 h → Fri 18:00, not Monday 09:00
    ("2026-09-25 17:00", 1, "2026-09-25 18:00"),
    # weekend arrival: Sat 12:00 + 9 h → a whole Monday → Mon 18:00
    ("2026-09-26 12:00", 9, "2026-09-28 18:00"),
    # after hours with nothing to add stays where it is
    ("2026-09-25 20:00", 0, "2026-09-25 20:00"),
])
def test_add_working_hours_by_hand(start, hours, expected):
    assert C.add_working_hours(start, hours) == ts(expected)


def test_add_working_hours_inverts_working_hours(rng):
    # round trip on the Russian calendar around the New Year holidays 2025/26
    starts = pd.Series(ts("2025-12-20") + pd.to_timedelta(rng.integers(0, 30 * 1440, 80),
                                                          unit="min"))
    hours = pd.Series(rng.integers(0, 40 * 60, 80) / 60)
    ends = C.add_working_hours(starts, hours, RU)
    back = C.working_hours(starts, ends, RU)
    np.testing.assert_allclose(back.to_numpy(), hours.to_numpy(), atol=1e-6)
    # Tue 2025-12-30 17:00 + 3 h: Tue 1 h; 31 Dec and 1–11 Jan off → Mon 12 Jan 11:00
    assert C.add_working_hours("2025-12-30 17:00", 3, RU) == ts("2026-01-12 11:00")
    with pytest.raises(ParameterError, match="negative"):
        C.add_working_hours("2026-09-25", -1)


# =========================================================================== hand-made log

def hand_log() -> pd.DataFrame:
    """Six complaints around the week Mon 21 – Sun 27 September 2026."""
    rows = [
        # id, received, deadline, first reaction, resolved, team, importance, channel
        ("C1", "2026-09-21 10:00", "2026-09-22 10:00", "2026-09-21 10:30", "2026-09-22 09:00",
         "Учебный отдел", "critical", "phone"),
        ("C2", "2026-09-21 11:00", "2026-09-23 11:00", "2026-09-21 12:00", None,
         "Клиентский отдел", "medium", "email"),
        ("C3", "2026-09-25 17:00", "2026-09-28 17:00", "2026-09-28 09:30", "2026-09-29 10:00",
         "Клиентский отдел", "low", "messenger"),
        ("C4", "2026-09-26 12:00", None, None, "2026-09-28 11:00",
         "Лагеря", "low", "in_person"),
        ("C5", "2026-09-28 08:00", "2026-09-29 08:00", None, None,
         "Лагеря", "critical", "web"),
        ("C6", "2026-09-16 10:00", "2026-09-18 10:00", "2026-09-16 11:00", "2026-09-22 12:00",
         "Учебный отдел", "medium", "review_site"),
    ]
    df = pd.DataFrame(rows, columns=["complaint_id", "received_at", "deadline_at",
                                     "first_reaction_at", "resolved_at", "responsible",
                                     "importance", "channel"])
    for c in ("received_at", "deadline_at", "first_reaction_at", "resolved_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["category"] = ["Качество занятия", "Оплата и возврат", "Оплата и возврат",
                      "Организация лагеря", "Организация лагеря", "Качество занятия"]
    df["origin"] = ["external"] * 5 + ["internal"]
    df["justified"] = pd.array([True, True, False, True, None, True], dtype="boolean")
    df["client_id"] = ["K1", "K2", "K3", "K4", None, "K1"]
    df["description"] = "личное"  # personal: must never come out
    return df


def test_deadlines_as_of_monday_morning():
    d = C.deadlines(hand_log(), asof="2026-09-28")  # Monday 00:00
    assert "C5" not in d.index  # received after asof: not yet in the log
    assert "description" not in d.columns and "client_id" not in d.columns
    # C1: Mon 10:00 → Tue 09:00 = Mon 8 h + Tue 0 h = 8 h; resolved before the deadline
    assert d.loc["C1", "hours_to_resolution"] == pytest.approx(8.0)
    assert d.loc["C1", "hours_to_first_reaction"] == pytest.approx(0.5)
    assert bool(d.loc["C1", "met_deadline"]) is True
    # C2: open, deadline Wed 23 11:00 passed → overdue, not met;
    # open Mon 21 11:00 → Mon 28 00:00 = 7 + 4 × 9 = 43 working hours
    assert bool(d.loc["C2", "overdue"])
    assert d.loc["C2", "met_deadline"] == False  # noqa: E712
    assert d.loc["C2", "hours_open"] == pytest.approx(43.0)
    # C3: resolved only on the 29th → still open at asof; deadline (28th 17:00) ahead
    assert not d.loc["C3", "resolved"] and not d.loc["C3", "overdue"]
    assert pd.isna(d.loc["C3", "met_deadline"])
    assert np.isnan(d.loc["C3", "hours_to_first_reaction"])  # reacted after asof
    # C4: resolved on the 28th 11:00 → open at asof; no deadline → never overdue
    assert not d.loc["C4", "resolved"] and pd.isna(d.loc["C4", "met_deadline"])
    # C6: resolved Tue 22 12:00 after deadline Fri 18 10:00 → not met
    assert d.loc["C6", "met_deadline"] == False  # noqa: E712


def test_deadlines_after_everything():
    d = C.deadlines(hand_log())  # default asof: after the last timestamp
    # C3 resolved Tue 29 10:00, after its deadline Mon 28 17:00 → not met;
    # Fri 17:00 → Tue 10:00 = Fri 1 + Mon 9 + Tue 1 = 11 h
    assert d.loc["C3", "met_deadline"] == False  # noqa: E712
    assert d.loc["C3", "hours_to_resolution"] == pytest.approx(11.0)
    # C4 arrived on Saturday 12:00, resolved Monday 11:00 → 2 working hours
    assert d.loc["C4", "hours_to_resolution"] == pytest.approx(2.0)


def test_open_and_overdue_as_of_a_date():
    o = C.open_and_overdue(hand_log(), asof="2026-09-28")
    assert list(o.index) == ["C2", "C3", "C4"]  # overdue first, then by importance
    assert o["overdue"].tolist() == [True, False, False]
    # C2 overdue since Wed 23 11:00 → Mon 28 00:00 = Wed 7 + Thu 9 + Fri 9 = 25 h
    assert o.loc["C2", "hours_overdue"] == pytest.approx(25.0)
    assert np.isnan(o.loc["C3", "hours_overdue"])
    # as of Wednesday 23rd 09:00, C2's deadline (11:00) has not come yet
    o = C.open_and_overdue(hand_log(), asof="2026-09-23 09:00", overdue_only=True)
    assert o.empty


def test_fill_deadlines_from_service_levels():
    log = hand_log().assign(deadline_at=pd.NaT)
    sla = {"critical": 3, "medium": 18, "low": 45}
    filled = C.fill_deadlines(log, sla)
    # C1 critical Mon 10:00 + 3 h → Mon 13:00; C4 low Sat 12:00 + 45 h → Fri 18:00
    assert filled.loc[0, "deadline_at"] == ts("2026-09-21 13:00")
    assert filled.loc[3, "deadline_at"] == ts("2026-10-02 18:00")
    # recorded deadlines are kept unless overwrite=True
    kept = C.fill_deadlines(hand_log(), sla)
    assert kept.loc[0, "deadline_at"] == ts("2026-09-22 10:00")  # recorded
    assert kept.loc[3, "deadline_at"] == ts("2026-10-02 18:00")  # was empty
    with pytest.raises(ParameterError, match="no service level for importance low"):
        C.fill_deadlines(log, {"critical": 3, "medium": 18})


def test_deadline_summary_counts_and_wilson():
    s = C.deadline_summary(hand_log(), asof="2026-10-01", min_n=3)
    # outcome known: C1 met, C2 overdue (not met), C3 late, C5 open past its deadline
    # (Tue 29 08:00 < asof) → not met, C6 late; C4 has no deadline → n = 5, met = 1
    a = s.loc["all"]
    assert (a["n"], a["successes"], a["n_overdue"], a["n_received"]) == (5, 1, 2, 6)
    lo, hi = wilson_by_hand(1, 5)
    assert a["ci_low"] == pytest.approx(lo) and a["ci_high"] == pytest.approx(hi)
    assert list(s.index) == ["critical", "medium", "low", "all"]
    assert s.loc["critical", "n"] == 2 and s.loc["critical", "successes"] == 1
    assert s.loc["critical", "small_n"]  # 2 < min_n 3
    # nothing pending here (every open one is past its deadline); C4 has no deadline
    assert (a["n_pending"], a["n_no_deadline"]) == (0, 1)
    assert (s["n"] + s["n_pending"] + s["n_no_deadline"] == s["n_received"]).all()


def quarter_end_log() -> pd.DataFrame:
    """2026Q3's complaints as they stand at its end (1 October 00:00): one of each
    deadline state, worked out by hand in the comments."""
    rows = [
        # id, received, deadline, resolved, importance, state at 1 Oct 00:00
        ("Q1", "2026-09-01 10:00", "2026-09-02 10:00", "2026-09-01 16:00", "critical"),  # met
        ("Q2", "2026-09-02 10:00", "2026-09-03 10:00", "2026-09-07 10:00", "critical"),  # late
        ("Q3", "2026-09-03 10:00", "2026-09-04 10:00", None, "medium"),  # past due: missed
        ("Q4", "2026-09-30 15:00", "2026-10-01 15:00", None, "medium"),  # open, not yet due
        # resolved on time, but only on 1 Oct 12:00: at the quarter's end open, not yet due
        ("Q6", "2026-09-30 16:00", "2026-10-02 16:00", "2026-10-01 12:00", "medium"),
        ("Q5", "2026-09-15 10:00", None, None, "low"),  # no deadline: never decided
    ]
    df = pd.DataFrame(rows, columns=["complaint_id", "received_at", "deadline_at",
                                     "resolved_at", "importance"])
    for c in ("received_at", "deadline_at", "resolved_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["channel"] = "phone"
    return df


def test_deadline_share_at_quarter_end_is_over_decided_complaints():
    s = C.deadline_summary(quarter_end_log(), asof="2026-10-01", min_n=1)
    a = s.loc["all"]
    # decided: Q1 (met), Q2 (resolved late), Q3 (open past due: missed) → 1 of 3;
    # pending: Q4, Q6 (open, deadline ahead): neither met nor missed; Q5: no deadline
    assert (a["n"], a["successes"], a["n_pending"], a["n_no_deadline"], a["n_overdue"],
            a["n_open"], a["n_received"]) == (3, 1, 2, 1, 1, 4, 6)
    lo, hi = wilson_by_hand(1, 3)  # met ÷ decided, not ÷ received (1/6) nor ÷ resolved (1/2)
    assert a["share"] == pytest.approx(1 / 3)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((lo, hi))
    assert s.loc["medium", ["n", "successes", "n_pending"]].tolist() == [1, 0, 2]
    assert s.loc["critical", ["n", "successes", "n_pending"]].tolist() == [2, 1, 0]
    assert s.loc["low", ["n", "n_no_deadline"]].tolist() == [0, 1]
    assert "decided" in s.attrs["share"] and "pending" in s.attrs["share"]
    assert s.attrs["asof"] == ts("2026-10-01")
    # a week later Q4 and Q6 are decided (Q4 open past due, Q6 resolved on time)
    later = C.deadline_summary(quarter_end_log(), asof="2026-10-08", by=None, min_n=1)
    assert later.loc["all", ["n", "successes", "n_pending"]].tolist() == [5, 2, 0]
    # the report section reads the quarter at its end and says what the share is over
    sec = C.complaints_section(quarter_end_log(), None, None, None, "2026Q3", min_n=1)
    row = sec.table.loc[C.DEADLINE_FIGURE]
    assert (row["n"], row["estimate"]) == (3, pytest.approx(1 / 3))
    assert sec.deadlines.loc["all", "n_pending"] == 2
    assert "3 decided" in sec.summary() and "2 pending (open, not yet due)" in sec.summary()


def two_quarters() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaints and visits of 2026Q2 and 2026Q3: the business doubles (40 → 80 active
    clients) while 'Оплата и возврат' complaints go from 6 to 10 and 'Качество занятия'
    from 4 to 2; all by phone."""
    when = {"2026Q2": "2026-05-15 12:00", "2026Q3": "2026-08-14 12:00"}
    cats = ([("2026Q2", "Оплата и возврат")] * 6 + [("2026Q2", "Качество занятия")] * 4
            + [("2026Q3", "Оплата и возврат")] * 10 + [("2026Q3", "Качество занятия")] * 2)
    log = pd.DataFrame({"complaint_id": [f"R{i}" for i in range(len(cats))],
                        "received_at": pd.to_datetime([when[q] for q, _ in cats]),
                        "channel": "phone", "category": [c for _, c in cats]})
    visits = pd.DataFrame({
        "client_id": [f"K{i}" for i in range(40)] + [f"K{i}" for i in range(80)],
        "visit_date": pd.to_datetime(["2026-05-20"] * 40 + ["2026-08-20"] * 80)})
    return log, visits


def test_rate_ratio_is_per_active_client_with_exact_conditional_interval():
    from scipy.stats import binomtest
    from statsmodels.stats.rates import test_poisson_2indep

    log, visits = two_quarters()
    s = C.complaints_section(log, None, None, visits, "2026Q3", min_n=1)
    pay = s.by_category.loc["Оплата и возврат"]
    # more complaints (10 vs 6) but fewer per client: (10/80) / (6/40) = 0.8333
    assert (pay["n"], pay["n_previous"], pay["change"]) == (10, 6, 4)
    assert (pay["rate_per_100"], pay["rate_per_100_previous"]) == pytest.approx((12.5, 15.0))
    assert pay["rate_ratio"] == pytest.approx((10 / 80) / (6 / 40))
    # independently: given 16 complaints, the quarter's 10 ~ Bin(16, π), π = 80r/(80r+40);
    # scipy's exact (Clopper–Pearson) interval of π, mapped to r = π/(1−π)·40/80
    ci = binomtest(10, 16).proportion_ci(0.95, method="exact")
    expected = [ci.low / (1 - ci.low) * 40 / 80, ci.high / (1 - ci.high) * 40 / 80]
    assert [pay["ci_low"], pay["ci_high"]] == pytest.approx(expected)
    # and the ends are where statsmodels' exact conditional one-sided tests reach 2.5 %
    for value, alt in ((pay["ci_low"], "larger"), (pay["ci_high"], "smaller")):
        p = test_poisson_2indep(10, 80, 6, 40, value=value, method="exact-cond",
                                compare="ratio", alternative=alt).pvalue
        assert p == pytest.approx(0.025, rel=1e-6)
    q = s.by_category.loc["Качество занятия"]
    assert q["rate_ratio"] == pytest.approx((2 / 80) / (4 / 40))
    phone = s.by_channel.loc["phone"]
    assert (phone["n"], phone["n_previous"]) == (12, 10)
    assert phone["rate_ratio"] == pytest.approx((12 / 80) / (10 / 40))  # 0.6, not 1.2
    for t in (s.by_category, s.by_channel):
        assert (t.attrs["n_active"], t.attrs["n_active_previous"]) == (80, 40)
        assert "per active client" in t.attrs["rate_ratio"]
    # same denominator as the volume table
    assert s.volume.loc["2026Q3", "n_active"] == 80
    # no complaints before: no ratio; no visits: no ratio either, and left_out says why
    first = C.complaints_section(log, None, None, visits, "2026Q2", min_n=1)
    assert first.by_category["rate_ratio"].isna().all()
    blind = C.complaints_section(log, None, None, None, "2026Q3", min_n=1)
    assert blind.by_category["rate_ratio"].isna().all() and "rate_ratio" in blind.left_out
    assert blind.by_category.loc["Оплата и возврат", "n"] == 10  # counts stay


def test_weekly_summary_for_monday_meeting():
    w = C.weekly_summary(hand_log(), asof="2026-09-28")
    assert (w.week_start, w.week_end) == (ts("2026-09-21"), ts("2026-09-28"))
    t = w.table
    a = t.loc["all"]
    # new in the week: C1, C2, C3, C4 (C6 came the week before, C5 on Monday 28th)
    assert a["new"] == 4
    # resolved in the week: C1 (on time) and C6 (late)
    assert (a["resolved"], a["resolved_late"], a["n_deadline"]) == (2, 1, 2)
    assert a["share_on_time"] == pytest.approx(0.5)
    # backlog at Monday 00:00: C2, C3, C4; overdue C2 (43 working hours open)
    assert (a["open"], a["overdue"]) == (3, 1)
    assert a["oldest_open_hours"] == pytest.approx(43.0)
    assert t.loc["Клиентский отдел", "overdue"] == 1
    assert t.loc["Учебный отдел", "resolved_late"] == 1
    assert list(w.overdue.index) == ["C2"]
    assert "2026-09-21 – 2026-09-27" in w.summary()
    # any day of the following week reviews the same week
    w2 = C.weekly_summary(hand_log(), asof="2026-10-01")
    assert w2.week_start == w.week_start
    pd.testing.assert_frame_equal(w2.table, w.table)


# =========================================================================== dynamics

def test_monthly_counts_by_channel_and_oral_written():
    df = hand_log()
    extra = df.iloc[[0]].assign(complaint_id="C7", received_at=ts("2026-11-02 10:00"))
    df = pd.concat([df, extra], ignore_index=True)
    m = C.monthly(df, by="channel")
    # September: C1 C2 C3 C4 C5 C6 = 6; October: none (kept as 0); November: C7 (phone)
    assert m.index.tolist() == ["2026-09", "2026-10", "2026-11"]
    assert m["total"].tolist() == [6, 0, 1]
    assert m.loc["2026-09", "phone"] == 1 and m.loc["2026-11", "phone"] == 1
    # channels in the order the sample study lists them
    assert list(m.columns) == list(load_study(SAMPLE_STUDY).channels) + ["total"]
    ow = C.monthly(df, by="oral_written")
    # the sample study's kinds: oral phone C1, in_person C4 in September → 2; written 4
    assert ow.loc["2026-09", "oral"] == 2 and ow.loc["2026-09", "written"] == 4
    assert list(ow.columns) == ["oral", "written", "total"]
    with pytest.raises(ParameterError, match="by="):
        C.monthly(df, by="colour")
    # an optional column the log does not record: the error names it and the table
    with pytest.raises(ParameterError, match="complaints table has no column.*importance"):
        C.monthly(df.drop(columns="importance"), by="importance")


def test_share_justified_wilson():
    s = C.share_justified(hand_log(), freq=None)
    # justified recorded for 5 of 6 (C5 empty), 4 justified
    assert (s["n"].iloc[0], s["successes"].iloc[0]) == (5, 4)
    lo, hi = wilson_by_hand(4, 5)
    assert s["ci_low"].iloc[0] == pytest.approx(lo)
    assert s["ci_high"].iloc[0] == pytest.approx(hi)


def test_rate_per_100_active_exact_poisson():
    visits = pd.DataFrame({
        "client_id": ["a", "a", "b", "c", "d", "a", "b"],
        "visit_date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-01", "2025-03-02",
                                      "2025-03-03", "2025-04-05", "2025-05-05"]),
    })
    comp = pd.DataFrame({"received_at": pd.to_datetime(["2025-01-20", "2025-03-05",
                                                        "2025-06-30"]),
                         "origin": ["external", "internal", "external"]})
    r = C.rate_per_100_active(comp, visits)
    # 2025Q1: 2 complaints, 4 active clients (a, b, c, d) → 50 per 100
    assert (r.loc["2025Q1", "n_complaints"], r.loc["2025Q1", "n_active"]) == (2, 4)
    assert r.loc["2025Q1", "rate_per_100"] == pytest.approx(50.0)
    # exact interval, independently: statsmodels confint_poisson(method="exact-c")
    lo, hi = confint_poisson(2, 4, method="exact-c")
    assert r.loc["2025Q1", "ci_low"] == pytest.approx(100 * lo)
    assert r.loc["2025Q1", "ci_high"] == pytest.approx(100 * hi)
    # 2025Q2: 1 complaint, 2 active (a, b) → 50 per 100
    assert r.loc["2025Q2", "rate_per_100"] == pytest.approx(50.0)
    r = C.rate_per_100_active(comp, visits, origin="external")
    assert r.loc["2025Q1", "n_complaints"] == 1
    with pytest.raises(ParameterError, match="freq"):
        C.rate_per_100_active(comp, visits, freq="W")


def test_long_service_order_statistic_interval():
    df = pd.DataFrame({
        "complaint_id": [f"X{i}" for i in range(13)],
        # Mondays 09:00, resolved after 1…10 working hours (channel phone) or 20, 30, 40
        "received_at": [ts("2026-09-21 09:00")] * 13,
        "resolved_at": [ts("2026-09-21 09:00") + pd.Timedelta(hours=h) for h in range(1, 10)]
        + [ts("2026-09-22 10:00"), ts("2026-09-23 11:00"), ts("2026-09-24 12:00"),
           ts("2026-09-25 13:00")],
        "channel": ["phone"] * 10 + ["email"] * 3,
    })
    ls = C.long_service(df, by="channel", min_n=5)
    assert list(ls.index) == ["email", "phone"]  # longest first
    # phone: hours 1…9 and Tue 10:00 = 10 h → median 5.5; the distribution-free 95 %
    # interval for n = 10 is (x(2), x(9)) (binomial order-statistic table) = (2, 9)
    assert ls.loc["phone", "median_hours"] == pytest.approx(5.5)
    assert (ls.loc["phone", "ci_low"], ls.loc["phone", "ci_high"]) == (2.0, 9.0)
    # email: Wed 11:00 = 9 + 9 + 2 = 20 h, Thu 12:00 = 30 h, Fri 13:00 = 40 h
    assert ls.loc["email", "median_hours"] == pytest.approx(30.0)
    assert ls.loc["email", "small_n"]


# =========================================================================== after resolution

def test_after_resolution_cross_tab_and_satisfied_not_loyal():
    sat = [True] * 4 + [True] * 2 + [False] + [False] * 2 + [True]
    loy = [True] * 4 + [False] * 2 + [True] + [False] * 2 + [None]
    df = pd.DataFrame({"satisfied_with_resolution": pd.array(sat, dtype="boolean"),
                       "loyal_after": pd.array(loy, dtype="boolean")})
    r = C.after_resolution(df, min_n=5)
    t = r.table
    assert (t.loc[True, True], t.loc[True, False], t.loc[False, True],
            t.loc[False, False]) == (4, 2, 1, 2)
    assert t.loc["all", "all"] == 9  # the row without loyal_after is not cross-tabulated
    s = r.shares
    # two separate figures: satisfied 7 of 10 (all recorded), loyal 5 of 9
    assert (s.loc["satisfied", "successes"], s.loc["satisfied", "n"]) == (7, 10)
    assert (s.loc["loyal_after", "successes"], s.loc["loyal_after", "n"]) == (5, 9)
    # satisfied but not loyal: 2 of 6, Wilson interval by hand
    snl = r.satisfied_not_loyal
    assert (snl["successes"], snl["n"]) == (2, 6)
    assert snl["share"] == pytest.approx(1 / 3)
    lo, hi = wilson_by_hand(2, 6)
    assert snl["ci_low"] == pytest.approx(lo) and snl["ci_high"] == pytest.approx(hi)
    assert not snl["small_n"]  # 6 ≥ min_n 5
    assert s.loc["loyal_if_not_satisfied", "small_n"]  # 3 < 5
    assert "satisfied but NOT loyal" in r.summary()


def test_complainant_nps_against_hand_counts():
    # phone: complainant K1 answers 3 and 10 (after the complaint) → NPS 0;
    # non-complainants K2: 10, 9, 8, 2 → (2 − 1) / 4 = 25 points; K1's answer *before*
    # the complaint counts as a non-complainant's (10) → 3 − 1 of 5 = 40 points
    comp = pd.DataFrame({"client_id": ["K1"], "received_at": [ts("2026-03-01")]})
    resp = pd.DataFrame({
        "client_id": ["K1", "K1", "K1", "K2", "K2", "K2", "K2", "K3"],
        "submitted_at": pd.to_datetime(["2026-02-01", "2026-03-10", "2026-04-01",
                                        "2026-03-01", "2026-03-02", "2026-03-03",
                                        "2026-03-04", "2026-03-05"]),
        "channel": ["phone"] * 7 + ["web"],
        "nps": pd.array([10, 3, 10, 10, 9, 8, 2, 7], dtype="Int64"),
    })
    t = C.complainant_nps(resp, comp, ci="wald", min_n=1)
    assert t.loc[("phone", "complained"), "nps"] == pytest.approx(0.0)
    assert t.loc[("phone", "complained"), "n"] == 2
    assert t.loc[("phone", "did_not_complain"), "nps"] == pytest.approx(40.0)
    assert t.loc[("phone", "difference"), "nps"] == pytest.approx(-40.0)
    # the difference's interval: Newcombe's square-and-add of the two groups' score
    # intervals (complained: 1 promoter, 1 detractor of 2; not: 3 and 1 of 5), by brute
    # force. The answers are clustered by family: "not" holds K1's first answer and K2's
    # four (2 families: statsmodels' cluster-robust variance, Korn–Graubard effective n);
    # "complained" is one family's two answers — no between-family variance can be
    # estimated from one family, so its interval is the independent one
    lo_b, hi_b, _ = clustered_nps_interval([10, 10, 9, 8, 2], ["K1", "K2", "K2", "K2", "K2"])
    _, hi = square_and_add(0.0, *tango_brute(1, 1, 2), 0.4, lo_b / 100, hi_b / 100)
    assert t.loc[("phone", "difference"), "ci_high"] == pytest.approx(100 * hi, abs=1e-6)
    assert ("web", "difference") not in t.index  # nobody complained among web answers
    pooled = C.complainant_nps(resp, comp, pool_channels=True, min_n=1)
    assert pooled.index.get_level_values("channel").unique().tolist() == ["pooled"]
    assert pooled.attrs["pooled"]


def test_fcr_vs_complaints_hand_made():
    t0 = ts("2026-01-05 10:00")
    contacts = pd.DataFrame({
        "contact_id": [f"K{i}" for i in range(6)],
        "client_id": ["a", "a", "b", "c", "d", "e"],
        # a: repeat on the same topic after 3 days → a's first contact not resolved;
        # b, c (phone) resolved; d (messenger) resolved; e opens far later (ends the
        # log, so the others are not censored; e itself is censored)
        "opened_at": [t0, t0 + pd.Timedelta(days=3), t0, t0, t0, t0 + pd.Timedelta(days=60)],
        "channel": ["phone", "phone", "phone", "phone", "messenger", "web"],
        "topic": ["Оплата"] * 6,
        "resolved_at": [pd.NaT] * 6,
    })
    comp = pd.DataFrame({"channel": ["phone", "email", "email", "review_site"]})
    t = C.fcr_vs_complaints(contacts, comp, min_n=1)
    # phone first contacts: a (not resolved), b, c → 2 of 3
    assert (t.loc["phone", "fcr_n"], t.loc["phone", "fcr_share"]) == (3, pytest.approx(2 / 3))
    assert t.loc["messenger", "fcr_share"] == 1.0
    assert np.isnan(t.loc["review_site", "fcr_share"]) and t.loc["review_site", "fcr_n"] == 0
    assert t.loc["email", "n_complaints"] == 2
    assert t.loc["email", "complaint_share"] == pytest.approx(0.5)
    lo, hi = wilson_by_hand(2, 4)
    assert t.loc["email", "complaint_ci_low"] == pytest.approx(lo)


def test_bad_input_raises_cxlab_errors():
    with pytest.raises(ParameterError, match="no column"):
        C.deadlines(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match="asof"):
        C.weekly_summary(hand_log(), asof="someday")
    bad = hand_log()
    bad.loc[0, "resolved_at"] = ts("2026-09-20")
    with pytest.raises(ParameterError, match="C1"):
        C.deadlines(bad)
    with pytest.raises(ParameterError, match="level"):
        C.after_resolution(hand_log().assign(satisfied_with_resolution=True,
                                             loyal_after=True), level=95)
    with pytest.raises(QuarterError):
        C.complaints_section(hand_log(), pd.DataFrame(), pd.DataFrame({"client_id": []}),
                             pd.DataFrame(), quarter="2026-3")


# =========================================================================== another business

def retail_log() -> pd.DataFrame:
    """Eight complaints of the retailer (RETAIL), July–September 2026."""
    rows = [
        # id, received, deadline, resolved, channel, importance
        ("R1", "2026-07-06 10:00", "2026-07-06 13:00", "2026-07-06 12:00", "store", "p1"),
        ("R2", "2026-07-07 11:00", "2026-07-08 11:00", None, "app", "p3"),
        ("R3", "2026-08-03 15:00", "2026-08-04 15:00", "2026-08-05 15:00", "email", "p2"),
        ("R4", "2026-08-10 10:00", "2026-08-11 10:00", "2026-08-10 18:00", "sms", "p1"),
        ("R5", "2026-09-01 10:00", "2026-09-02 10:00", None, "fax", "p2"),
        ("R6", "2026-09-14 12:00", None, "2026-09-15 12:00", "store", "urgent"),
        ("R7", "2026-09-29 10:00", "2026-10-05 10:00", None, "store", "p1"),
        ("R8", "2026-09-21 10:00", "2026-09-22 10:00", "2026-09-21 11:00", "email", "p3"),
    ]
    df = pd.DataFrame(rows, columns=["complaint_id", "received_at", "deadline_at",
                                     "resolved_at", "channel", "importance"])
    for c in ("received_at", "deadline_at", "resolved_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    return df


def test_retail_study_orders_channels_and_splits_oral_written():
    log = retail_log()
    m = C.monthly(log, by="channel", study=RETAIL)
    # the retailer's channel order; 'fax' (not in its study) still counted, after them
    assert list(m.columns) == ["email", "sms", "app", "store", "fax", "total"]
    assert m["total"].tolist() == [2, 2, 4]  # July, August, September
    ow = C.monthly(log, by="oral_written", study=RETAIL).sum()
    # oral: store R1 R6 R7 = 3; written: app R2, e-mail R3 R8, sms R4 = 4; fax has no
    # kind in the study: unclassified, not guessed
    assert (ow["oral"], ow["written"], ow[C.UNCLASSIFIED]) == (3, 4, 1)
    # the same log under the sample study: its oral channels are others, nothing is oral
    with pytest.raises(KeyError):
        C.monthly(log, by="oral_written")["oral"]
    # a study that gives no channel a kind cannot split: it says so
    kindless = parse_study({"channels": {"email": {"en": "E-mail"}, "app": {"en": "App"}}})
    with pytest.raises(ParameterError, match="kind: oral"):
        C.monthly(log, by="oral_written", study=kindless)


def test_retail_study_orders_importance_most_severe_first():
    log = retail_log()
    s = C.deadline_summary(log, asof="2026-10-01", min_n=1, study=RETAIL)
    # p1 … p3 as the study lists them; 'urgent' (not in its list) after them
    assert list(s.index) == ["p1", "p2", "p3", "urgent", "all"]
    # outcome known at 1 Oct: R1 met, R2 overdue, R3 late, R4 met, R5 overdue, R8 met;
    # R6 has no deadline, R7's deadline is ahead → 3 of 6 met
    assert (s.loc["all", "n"], s.loc["all", "successes"]) == (6, 3)
    assert (s.loc["p1", "n"], s.loc["p1", "successes"], s.loc["p1", "n_open"]) == (2, 2, 1)
    o = C.open_and_overdue(log, asof="2026-10-01", study=RETAIL)
    # overdue first (R5 p2 before R2 p3 although R2 is older), then the open R7
    assert list(o.index) == ["R5", "R2", "R7"]
    # working hours on the retailer's desk (Mon–Sat 10:00–20:00): R3 Mon 3 Aug 15:00 →
    # Wed 5 Aug 15:00 = Mon 5 h + Tue 10 h + Wed 5 h = 20 h
    d = C.deadlines(log, calendar=C.WorkCalendar.from_study(RETAIL))
    assert d.loc["R3", "hours_to_resolution"] == pytest.approx(20.0)


def test_retail_section_leaves_out_what_the_log_does_not_record():
    s = C.complaints_section(retail_log(), None, None, None, "2026Q3", min_n=1,
                             study=RETAIL)
    assert s.n_complaints == 8 and s.n_previous == 0 and not s.empty
    assert list(s.by_channel.index) == ["email", "sms", "app", "store", "fax"]
    assert s.by_channel["oral_written"].tolist() == ["written"] * 3 + ["oral", C.UNCLASSIFIED]
    assert s.by_channel["n"].tolist() == [2, 1, 1, 3, 1]
    # importance is recorded, origin is not: one 'all' column
    t = s.by_importance_origin
    assert list(t.index) == ["p1", "p2", "p3", "urgent", "all"] and list(t.columns) == ["all"]
    assert t["all"].tolist() == [3, 2, 2, 1, 8]
    assert list(s.deadlines.index) == ["p1", "p2", "p3", "urgent", "all"]
    assert set(s.left_out) == {"volume", "rate_ratio", "by_category", "justified",
                               "after_resolution", "complainant_nps"}
    assert s.by_category is None and s.justified is None and s.volume is None
    assert "category" in s.left_out["by_category"]
    # no visits: no active clients, so no rate ratio (not a ratio of counts instead)
    assert s.by_channel["rate_ratio"].isna().all() and s.by_channel["n"].sum() == 8
    assert list(s.table.index) == [C.DEADLINE_FIGURE]
    assert "DE-BE" in s.calendar.name and "left out: justified" in s.summary()


def test_missing_optional_columns_name_the_column_and_the_table():
    log = hand_log().drop(columns=["importance", "origin", "justified", "category"])
    with pytest.raises(ParameterError, match=r"importance \(importance: optional in the "
                                             r"complaints table"):
        C.deadline_summary(log, asof="2026-10-01")
    s = C.deadline_summary(log, asof="2026-10-01", by=None, min_n=3)
    assert list(s.index) == ["all"] and (s.loc["all", "n"], s.loc["all", "successes"]) == (5, 1)
    with pytest.raises(ParameterError, match="justified"):
        C.share_justified(log)
    with pytest.raises(ParameterError, match="category"):
        C.long_service(log)
    visits = pd.DataFrame({"client_id": ["K1"], "visit_date": pd.to_datetime(["2026-09-01"])})
    with pytest.raises(ParameterError, match="origin"):
        C.rate_per_100_active(log, visits, origin="external")
    sec = C.complaints_section(log, None, None, visits, "2026Q3", min_n=1)
    assert set(sec.left_out) == {"by_category", "by_importance_origin", "justified",
                                 "after_resolution", "complainant_nps"}
    assert list(sec.table.index) == ["complaints per 100 active clients",
                                     "share of decided complaints within deadline"]


def test_weekly_summary_takes_the_study_calendar():
    # the CLI calls weekly_summary(..., study=...): the desk's calendar comes from it
    w = C.weekly_summary(hand_log(), asof="2026-09-28", study=SAMPLE_STUDY)
    assert "RU public holidays" in w.calendar.name
    pd.testing.assert_frame_equal(w.table, C.weekly_summary(hand_log(), "2026-09-28").table)
    r = C.weekly_summary(hand_log(), asof="2026-09-28", study=RETAIL)
    assert "DE-BE" in r.calendar.name
    # C2 open Mon 21 11:00 → Mon 28 00:00 on the Mon–Sat 10:00–20:00 desk:
    # Mon 9 h + Tue–Sat 5 × 10 h = 59 working hours
    assert r.table.loc["all", "oldest_open_hours"] == pytest.approx(59.0)


# =========================================================================== sample data

@pytest.fixture(scope="module")
def sample():
    """The committed sample data; generated in memory (default seed, the same tables)
    when ``data/samples`` has not been written yet."""
    from cxlab import samples

    names = ("complaints", "visits", "responses", "contacts", "clients")
    if all((SAMPLES_DIR / f"{t}.csv").exists() for t in names):
        return {t: samples.load(t) for t in names}
    tables = samples.generate(out=None)
    return {t: tables[t] for t in names}


def test_sample_email_complaints_slowest(sample):
    # TRUTHS["complaints"]["slowest_channel"] == "email"
    from cxlab.samples import TRUTHS

    ls = C.long_service(sample["complaints"], by="channel")
    assert ls.index[0] == TRUTHS["complaints"]["slowest_channel"] == "email"
    # not noise: email's median interval lies above every other channel's median
    assert ls.loc["email", "ci_low"] > ls.drop(index="email")["median_hours"].max()


def test_sample_camp_category_rises_in_2025q3(sample):
    from cxlab.samples import TRUTHS

    cat, q = TRUTHS["complaints"]["surge_category"], TRUTHS["complaints"]["surge_quarter"]
    s = C.complaints_section(sample["complaints"], sample["responses"], sample["clients"],
                             sample["visits"], q)
    row = s.by_category.loc[cat]
    assert s.by_category.index[0] == cat  # the largest category of the quarter
    assert row["ci_low"] > 1  # the rise vs 2025Q2 is beyond chance (exact interval)
    # a rate per active client: active clients counted here from the visits directly
    v = sample["visits"]
    vq = v["visit_date"].dt.to_period("Q").astype(str)
    e_now, e_prev = (v.loc[(vq == x).to_numpy(), "client_id"].nunique()
                     for x in (q, s.previous))
    assert row["rate_ratio"] == pytest.approx(
        (row["n"] / e_now) / (row["n_previous"] / e_prev))
    m = C.monthly(sample["complaints"], by="category")
    by_q = m.groupby(pd.PeriodIndex(m.index, freq="M").asfreq("Q").astype(str)).sum()
    assert by_q[cat].idxmax() == q


def test_sample_complainants_nps_lower(sample):
    # TRUTHS["nps"]["complainant_lower"]: latent shift −0.35 within 365 days after
    t = C.complainant_nps(sample["responses"], sample["complaints"])
    diffs = t.xs("difference", level="group")
    assert (diffs["nps"] < 0).all()
    # on the phone channel (largest) the whole interval is below zero
    assert diffs.loc["phone", "ci_high"] < 0


def test_sample_satisfied_but_not_loyal_about_30pct(sample):
    from cxlab.samples import TRUTHS

    r = C.after_resolution(sample["complaints"])
    snl = r.satisfied_not_loyal
    truth = TRUTHS["complaints"]["satisfied_not_loyal_share"]  # 0.30
    assert snl["ci_low"] <= truth <= snl["ci_high"]
    assert snl["n"] >= 100


def test_sample_rate_about_5_per_100(sample):
    # TRUTHS: about one complaint per 20 active clients per quarter (5 per 100)
    r = C.rate_per_100_active(sample["complaints"], sample["visits"])
    total = r["n_complaints"].sum() / r["n_active"].sum() * 100
    assert 3.5 < total < 7.5
    assert len(r) == 8  # the eight quarters the log covers


def test_sample_fcr_by_channel(sample):
    from cxlab.samples import TRUTHS

    t = C.fcr_vs_complaints(sample["contacts"], sample["complaints"])
    for ch in ("phone", "messenger", "web"):
        assert t.loc[ch, "fcr_ci_low"] <= TRUTHS["fcr"][ch] <= t.loc[ch, "fcr_ci_high"]


def test_sample_section_has_no_personal_data_and_flags_small(sample):
    s = C.complaints_section(sample["complaints"], sample["responses"], sample["clients"],
                             sample["visits"], "2026Q3", min_n=30)
    frames = [s.volume, s.by_category, s.by_channel, s.by_importance_origin, s.justified,
              s.deadlines, s.long_service, s.after_resolution, s.complainant_nps, s.table]
    ids = set(sample["complaints"]["complaint_id"]) | set(sample["clients"]["client_id"])
    for f in frames:
        text = f.to_string()
        assert "description" not in f.columns
        assert not any(i in text for i in list(ids)[:200])
    small = s.long_service[s.long_service["small_n"]]
    assert small["median_hours"].isna().all()  # blanked, n kept
    assert (small["n"] < 30).all()
    assert "complaints per 100 active clients" in s.table.index


def test_quarter_without_complaints_is_a_section_with_zeros(sample):
    # a good quarter: the sample's 2026Q3 complaints removed, its visits kept
    comp = sample["complaints"]
    q = comp["received_at"].dt.to_period("Q").astype(str)
    quiet = comp[(q != "2026Q3").to_numpy()]
    s = C.complaints_section(quiet, sample["responses"], sample["clients"],
                             sample["visits"], "2026Q3")
    assert s.empty and s.n_complaints == 0
    assert s.n_previous == int((q == "2026Q2").sum()) > 0
    assert s.left_out == {} and s.log_start == "2024Q4"
    # 0 per 100 active clients, with the exact interval of a zero count: independently,
    # statsmodels' exact-c Poisson interval for 0 events over the active clients
    v = sample["visits"]
    active = v.loc[v["visit_date"].dt.to_period("Q").astype(str) == "2026Q3",
                   "client_id"].nunique()
    row = s.volume.loc["2026Q3"]
    assert (row["n_complaints"], row["n_active"], row["rate_per_100"]) == (0, active, 0.0)
    lo, hi = confint_poisson(0, active, method="exact-c")
    assert row["ci_low"] == 0 and row["ci_high"] == pytest.approx(100 * hi)
    assert hi * active == pytest.approx(-math.log(0.025))  # ≈ 3.69 events
    head = s.table.loc["complaints per 100 active clients"]
    assert head["estimate"] == 0 and head["ci_high"] == pytest.approx(100 * hi)
    # breakdowns: nothing this quarter; last quarter's categories keep their rows at 0
    assert s.by_channel["n"].sum() == 0 and s.by_category["n"].sum() == 0
    assert s.by_category["n_previous"].sum() == s.n_previous
    assert s.by_importance_origin.loc["all", "all"] == 0
    assert s.justified.loc["all", "n"] == 0 and np.isnan(s.justified.loc["all", "share"])
    assert s.deadlines.loc["all", "n_received"] == 0
    assert s.long_service.empty
    assert (s.after_resolution["n"] == 0).all()
    assert s.table.loc["share justified", "small_n"]  # no estimate from 0 complaints
    assert "No complaints received in 2026Q3" in s.summary()


def test_empty_complaints_table_is_a_section_too(sample):
    s = C.complaints_section(sample["complaints"].iloc[:0], sample["responses"],
                             sample["clients"], sample["visits"], "2026Q3")
    assert s.empty and s.n_previous == 0 and s.log_start is None
    assert s.by_channel.empty and list(s.volume.index) == ["2026Q3"]
    assert s.volume.loc["2026Q3", "rate_per_100"] == 0
    assert list(s.deadlines.index) == ["all"]


# =========================================================================== command line

def test_cli_complaints_weekly(tmp_path):
    from typer.testing import CliRunner

    from cxlab import io
    from cxlab.cli import app

    csv = tmp_path / "complaints.csv"
    hand_log().to_csv(csv, index=False)
    wh = tmp_path / "wh.duckdb"
    io.ingest([csv], warehouse=wh)
    runner = CliRunner()
    res = runner.invoke(app, ["complaints-weekly", "--asof", "2026-09-28", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    # the hand-made week (see test_weekly_summary_for_monday_meeting): 4 new, 2 resolved,
    # 3 open, 1 overdue — C2, listed without personal data
    assert "new 4, resolved 2" in res.output and "overdue 1" in res.output
    assert "C2" in res.output and "личное" not in res.output
    res = runner.invoke(app, ["complaints-weekly", "--asof", "someday", "-w", str(wh)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    res = runner.invoke(app, ["complaints-weekly", "--asof", "2026-09-28", "-w", str(wh),
                              "--calendar", "mars"])
    assert res.exit_code == 1


def test_docstring_examples_run():
    import doctest

    r = doctest.testmod(C)
    assert r.attempted >= 5 and r.failed == 0
