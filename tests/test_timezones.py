"""One time-zone rule everywhere (issue 11, item 3), in complaints, cohorts and FCR.

The rule: a zone-aware value — a string ending in ``Z`` or ``+03:00``, an aware Timestamp,
an aware Series — is converted to the study's time zone and made naive local time; a
naive value is local time already. So the same instants written as naive local time, as
``+03:00`` strings, as UTC ``Z`` strings, as aware Series (in UTC or any other zone) and as
a column mixing them give identical results. Every expected value below is worked out
by hand in the comments, in the study's local time.

Studies are not the sample's: a desk in Moscow (UTC+3 all year, no DST since 2014) and
one in New York (EDT = UTC−4 in summer, EST = UTC−5 in winter; in 2026 DST runs from
8 March to 1 November).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import cohorts as co
from cxlab import complaints as C
from cxlab import metrics as M
from cxlab.errors import ParameterError
from cxlab.study import parse_study

MSK = parse_study({"name": "Moscow desk", "language": "en", "timezone": "Europe/Moscow"},
                  source="moscow-study.yml")
NYC = parse_study({"name": "New York desk", "language": "en",
                   "timezone": "America/New_York"}, source="new-york-study.yml")
#: Monday–Friday 09:00–18:00, no holidays (the hours are the point here, not the days off)
CAL = C.WorkCalendar()

COHORTS = ["active", "lapsed", "never_attended", "new", "repeat"]


def ts(s):
    return pd.Timestamp(s)


def forms(local: list[str], tz: str) -> dict[str, object]:
    """The same instants, given as naive local time (``local``, in ``tz``) and in every
    zone-aware form the rule covers."""
    aware = pd.Series(pd.to_datetime(local)).dt.tz_localize(tz)
    utc = aware.dt.tz_convert("UTC")

    def iso(s):
        return s.map(lambda t: t.isoformat()).tolist()

    zulu = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in utc]
    mixed = [x if i % 3 == 0 else (u if i % 3 == 1 else n)
             for i, (x, u, n) in enumerate(zip(iso(aware), zulu,
                                               [t.replace("T", " ") for t in local]))]
    return {
        "naive local": list(local),
        "local offset strings": iso(aware),                          # '…+03:00'
        "UTC Z strings": zulu,
        "aware Series (local zone)": aware,
        "aware Series (UTC)": utc,
        "aware Series (Tokyo)": utc.dt.tz_convert("Asia/Tokyo"),
        "mixed strings": mixed,                                     # offset, UTC, naive
    }


def _series(v, index=None) -> pd.Series:
    s = v if isinstance(v, pd.Series) else pd.Series(v)
    return s.set_axis(index) if index is not None else s


# =========================================================================== working hours

# Moscow, a Monday (2026-09-28) and the Friday before it, Mon–Fri 09:00–18:00:
#   a  Mon 09:30 → Mon 15:00 (06:30Z → 12:00Z): 5.5 h. Read as UTC wall clock it would
#      start before opening (06:30) and give 3 h.
#   b  Fri 17:00 → Mon 10:00 (14:00Z → 07:00Z): Fri 17–18 + Mon 09–10 = 2 h
#      (as UTC wall clock: Fri 14–18 = 4 h, Mon 07:00 before opening).
#   c  Mon 00:30 → Mon 11:00 (Sunday 21:30Z → 08:00Z): Mon 09–11 = 2 h; in UTC the
#      complaint arrived on Sunday, locally it is already Monday.
MSK_START = ["2026-09-28T09:30:00", "2026-09-25T17:00:00", "2026-09-28T00:30:00"]
MSK_END = ["2026-09-28T15:00:00", "2026-09-28T10:00:00", "2026-09-28T11:00:00"]
MSK_HOURS = [5.5, 2.0, 2.0]


@pytest.mark.parametrize("form", list(forms(MSK_START, "Europe/Moscow")))
def test_working_hours_same_instants_same_hours_moscow(form):
    start = _series(forms(MSK_START, "Europe/Moscow")[form], list("abc"))
    end = _series(forms(MSK_END, "Europe/Moscow")[form], list("abc"))
    h = C.working_hours(start, end, CAL, study=MSK)
    assert h.index.tolist() == list("abc")
    assert h.tolist() == pytest.approx(MSK_HOURS)


def test_working_hours_scalars_any_form_moscow():
    # complaint a of the table above, as scalars in every form, start and end mixed
    starts = ["2026-09-28 09:30", "2026-09-28T09:30:00+03:00", "2026-09-28T06:30:00Z",
              ts("2026-09-28 06:30").tz_localize("UTC"),
              ts("2026-09-28 15:30").tz_localize("Asia/Tokyo")]
    ends = ["2026-09-28 15:00", "2026-09-28T15:00+03:00", "2026-09-28T12:00Z",
            ts("2026-09-28 12:00").tz_localize("UTC"),
            ts("2026-09-28 08:00").tz_localize("America/New_York")]
    for s in starts:
        for e in ends:
            assert C.working_hours(s, e, CAL, study=MSK) == pytest.approx(5.5), (s, e)


def test_working_hours_utc_columns_are_local_hours_not_wall_clock():
    # the case: UTC timestamps were read as local time. 06:30Z on Monday is
    # 09:30 in Moscow: the clock runs from 09:30 (not from 09:00, and not from 06:30)
    start = pd.Series(pd.to_datetime(["2026-09-28 06:30"]).tz_localize("UTC"))
    end = pd.Series(pd.to_datetime(["2026-09-28 07:30"]).tz_localize("UTC"))  # 10:30 MSK
    assert C.working_hours(start, end, CAL, study=MSK).tolist() == [1.0]
    # the same UTC instants at a New York desk are 02:30 → 03:30 EDT: before opening
    assert C.working_hours(start, end, CAL, study=NYC).tolist() == [0.0]


@pytest.mark.parametrize("start, end, hours", [
    # summer (EDT, UTC−4): Mon 2026-07-13 09:30 → 15:00 EDT = 13:30Z → 19:00Z: 5.5 h
    ("2026-07-13T13:30:00Z", "2026-07-13T19:00:00Z", 5.5),
    # winter (EST, UTC−5): Mon 2026-01-12 09:30 → 15:00 EST = 14:30Z → 20:00Z: 5.5 h
    # (a fixed summer offset would make it 10:30 → 16:00: 5.5 h but the next case not)
    ("2026-01-12T14:30:00Z", "2026-01-12T20:00:00Z", 5.5),
    # winter 14:00Z is 09:00 EST (opening); with the summer offset it would be 10:00
    ("2026-01-12T14:00:00Z", "2026-01-12T15:00:00Z", 1.0),
    # summer 13:00Z is 09:00 EDT (opening); with the winter offset it would be 08:00
    ("2026-07-13T13:00:00Z", "2026-07-13T14:00:00Z", 1.0),
    # across the change to DST (Sun 8 March 2026): Fri 17:00 EST (22:00Z) → Mon 10:00
    # EDT (14:00Z): Fri 17–18 + Mon 09–10 = 2 h
    ("2026-03-06T22:00:00Z", "2026-03-09T14:00:00Z", 2.0),
    # the same instants written with their own local offsets
    ("2026-03-06T17:00:00-05:00", "2026-03-09T10:00:00-04:00", 2.0),
])
def test_working_hours_new_york_summer_and_winter(start, end, hours):
    assert C.working_hours(start, end, CAL, study=NYC) == pytest.approx(hours)
    # and as aware Series in UTC
    s = pd.Series([ts(start)]).dt.tz_convert("UTC")
    e = pd.Series([ts(end)]).dt.tz_convert("UTC")
    assert C.working_hours(s, e, CAL, study=NYC).tolist() == pytest.approx([hours])


def test_add_working_hours_zone_aware_start_gives_local_deadline():
    # Mon 06:30Z = 09:30 MSK, + 3 working hours = 12:30 MSK, naive local time
    for start in ("2026-09-28T06:30:00Z", "2026-09-28T09:30:00+03:00", "2026-09-28 09:30",
                  ts("2026-09-28 06:30").tz_localize("UTC")):
        assert C.add_working_hours(start, 3, CAL, study=MSK) == ts("2026-09-28 12:30")
    # Fri 14:00Z = 17:00 MSK, + 3 h = Fri 17–18 (1) + Mon 09–11 (2) → Mon 11:00
    s = pd.Series(["2026-09-25T14:00:00Z", "2026-09-25 17:00"])
    got = C.add_working_hours(s, 3, CAL, study=MSK)
    assert got.tolist() == [ts("2026-09-28 11:00")] * 2


def test_zone_aware_column_with_a_bad_value_is_named():
    with pytest.raises(ParameterError, match="'not a time'"):
        C.working_hours(pd.Series(["2026-09-28T06:30:00Z", "2026-09-28 09:30+03:00",
                                   "not a time"]),
                        "2026-09-28 18:00", CAL, study=MSK)


# =========================================================================== deadlines

# Moscow, Monday 2026-09-28, local times; asof 11:30Z = 14:30 MSK:
#   K1 received 09:30, deadline 12:00, resolved 11:00 → resolved on time
#   K2 received 10:00, deadline 14:00, not resolved  → open, overdue since 14:00:
#      hours_open 10:00–14:30 = 4.5, hours_overdue 14:00–14:30 = 0.5
#   K3 received 13:00, deadline 17:00, resolved 16:00 (after asof) → open, not overdue:
#      hours_open 13:00–14:30 = 1.5
# Taken as 11:30 on the local clock (the zone dropped), K3 would not exist yet and K2
# would not be overdue.
RECEIVED = ["2026-09-28T09:30:00", "2026-09-28T10:00:00", "2026-09-28T13:00:00"]
DEADLINE = ["2026-09-28T12:00:00", "2026-09-28T14:00:00", "2026-09-28T17:00:00"]
RESOLVED = ["2026-09-28T11:00:00", None, "2026-09-28T16:00:00"]
ASOFS_MSK = ["2026-09-28T11:30:00Z", "2026-09-28T14:30:00+03:00", "2026-09-28 14:30",
             ts("2026-09-28 11:30").tz_localize("UTC"),
             ts("2026-09-28 20:30").tz_localize("Asia/Tokyo")]


def _column(values: list, form: str, tz: str = "Europe/Moscow"):
    """``values`` (local times, None = empty) written in ``form`` (see :func:`forms`)."""
    where = [i for i, v in enumerate(values) if v is not None]
    given = forms([values[i] for i in where], tz)[form]
    if isinstance(given, pd.Series):
        out = pd.Series(pd.NaT, index=range(len(values)), dtype=given.dtype)
        out.iloc[where] = given.array
        return out
    out = [None] * len(values)
    for i, v in zip(where, given):
        out[i] = v
    return out


def _complaints(form: str) -> pd.DataFrame:
    return pd.DataFrame({
        "complaint_id": ["K1", "K2", "K3"], "channel": ["email", "phone", "email"],
        "importance": ["high", "high", "low"],
        "received_at": _column(RECEIVED, form), "deadline_at": _column(DEADLINE, form),
        "resolved_at": _column(RESOLVED, form),
    })


def _expected_deadlines() -> pd.DataFrame:
    idx = pd.Index(["K1", "K2", "K3"], name="complaint_id")
    return pd.DataFrame({
        "channel": ["email", "phone", "email"], "importance": ["high", "high", "low"],
        "received_at": pd.to_datetime(RECEIVED).astype("datetime64[ns]"),
        "deadline_at": pd.to_datetime(DEADLINE).astype("datetime64[ns]"),
        "resolved": [True, False, False],
        "resolved_at": pd.to_datetime(["2026-09-28 11:00", None, None]).astype(
            "datetime64[ns]"),
        "hours_to_first_reaction": [np.nan] * 3,
        "hours_to_resolution": [1.5, np.nan, np.nan],  # K1 09:30 → 11:00
        "hours_open": [1.5, 4.5, 1.5],
        "met_deadline": pd.array([True, False, pd.NA], dtype="boolean"),
        "overdue": [False, True, False],
    }, index=idx)


@pytest.mark.parametrize("form", list(forms(RECEIVED, "Europe/Moscow")))
@pytest.mark.parametrize("asof", ASOFS_MSK, ids=lambda a: repr(a))
def test_deadlines_as_of_a_zoned_moment(form, asof):
    d = C.deadlines(_complaints(form), asof, CAL, study=MSK)
    exp = _expected_deadlines()
    got = d[exp.columns]
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)
    assert d["received_at"].dtype == "datetime64[ns]"  # naive local time


@pytest.mark.parametrize("form", ["naive local", "UTC Z strings", "aware Series (UTC)",
                                  "mixed strings"])
@pytest.mark.parametrize("asof", ASOFS_MSK, ids=lambda a: repr(a))
def test_open_and_overdue_as_of_a_zoned_moment(form, asof):
    o = C.open_and_overdue(_complaints(form), asof, CAL, study=MSK)
    # open at 14:30 MSK: K2 (overdue first), K3
    assert o.index.tolist() == ["K2", "K3"]
    assert o["hours_open"].tolist() == pytest.approx([4.5, 1.5])
    assert o["hours_overdue"].iloc[0] == pytest.approx(0.5)
    assert np.isnan(o["hours_overdue"].iloc[1])
    assert o["received_at"].tolist() == [ts("2026-09-28 10:00"), ts("2026-09-28 13:00")]
    s = C.deadline_summary(_complaints(form), asof, CAL, by=None, min_n=1, study=MSK)
    # outcome known: K1 met, K2 not met (open past its deadline) → 1 of 2
    assert s.loc["all", ["n", "successes", "n_received", "n_open", "n_overdue"]].tolist() \
        == [2, 1, 3, 2, 1]


def test_deadlines_asof_naive_means_local_and_differs_from_utc_clock():
    # a naive 11:30 is 11:30 in Moscow: K3 (13:00) not received yet, K2 not yet overdue
    d = C.deadlines(_complaints("UTC Z strings"), "2026-09-28 11:30", CAL, study=MSK)
    assert d.index.tolist() == ["K1", "K2"]
    assert d["overdue"].tolist() == [False, False]


def test_new_york_deadline_asof_summer_and_winter():
    # one complaint received at 09:00 local with a 12:00 local deadline, never resolved;
    # asof 16:30Z is 12:30 EDT in July (overdue by 0.5 h) but 11:30 EST in January (not)
    for day, overdue, hours_open in (("2026-07-13", True, 3.5), ("2026-01-12", False, 2.5)):
        local = pd.Series(pd.to_datetime([f"{day} 09:00", f"{day} 12:00"])).dt.tz_localize(
            "America/New_York").dt.tz_convert("UTC")
        c = pd.DataFrame({"complaint_id": ["N1"], "channel": ["email"],
                          "received_at": local.iloc[:1].to_numpy(),
                          "deadline_at": local.iloc[1:].to_numpy(), "resolved_at": [None]})
        d = C.deadlines(c, f"{day}T16:30:00Z", CAL, study=NYC)
        assert d.loc["N1", "received_at"] == ts(f"{day} 09:00")
        assert bool(d.loc["N1", "overdue"]) is overdue
        assert d.loc["N1", "hours_open"] == pytest.approx(hours_open)


@pytest.mark.parametrize("asof, study, week", [
    # Sunday 21:30Z is Monday 00:30 in Moscow: the week just ended is 28 Sep – 4 Oct
    ("2026-10-04T21:30:00Z", MSK, ("2026-09-28", "2026-10-05")),
    ("2026-10-05T00:30:00+03:00", MSK, ("2026-09-28", "2026-10-05")),
    # Monday 02:30Z is Sunday 22:30 EDT in New York: still the week of 21–27 Sep
    ("2026-10-05T02:30:00Z", NYC, ("2026-09-21", "2026-09-28")),
    # winter: Monday 04:30Z is Sunday 23:30 EST (with the summer offset: Monday 00:30)
    ("2026-01-12T04:30:00Z", NYC, ("2025-12-29", "2026-01-05")),
    # summer: Monday 04:30Z is Monday 00:30 EDT
    ("2026-07-13T04:30:00Z", NYC, ("2026-07-06", "2026-07-13")),
])
def test_last_full_week_of_a_zoned_asof_is_the_local_week(asof, study, week):
    assert C.last_full_week(asof, study=study) == (ts(week[0]), ts(week[1]))


def test_weekly_summary_zoned_asof_and_utc_column():
    # received Sun 4 Oct 22:00Z = Mon 5 Oct 01:00 MSK: locally in the NEXT week, so the
    # week 28 Sep – 4 Oct (asof Monday 00:30 MSK) has K1–K3 new and this one not at all
    c = _complaints("UTC Z strings")
    extra = pd.DataFrame({"complaint_id": ["K4"], "channel": ["email"], "importance": ["low"],
                          "received_at": ["2026-10-04T22:00:00Z"], "deadline_at": [None],
                          "resolved_at": [None]})
    c = pd.concat([c, extra], ignore_index=True)
    w = C.weekly_summary(c, "2026-10-04T21:30:00Z", CAL, study=MSK)
    assert (w.week_start, w.week_end) == (ts("2026-09-28"), ts("2026-10-05"))
    a = w.table.loc["all"]
    # K1 resolved 11:00, K3 resolved 16:00 (on time: deadline 17:00); K2 open, overdue
    assert [a["new"], a["resolved"], a["resolved_late"], a["open"], a["overdue"]] == \
        [3, 2, 0, 1, 1]
    # K2 open from Mon 28 Sep 10:00 to Mon 5 Oct 00:00: 8 h Mon + 4 × 9 h = 44 h
    assert a["oldest_open_hours"] == pytest.approx(44.0)


def test_fill_deadlines_from_utc_column():
    c = pd.DataFrame({"received_at": ["2026-09-28T06:30:00Z", "2026-09-25T14:00:00Z"],
                      "importance": ["p1", "p2"]})
    out = C.fill_deadlines(c, {"p1": 3, "p2": 3}, CAL, study=MSK)
    # 09:30 MSK + 3 h = 12:30; Fri 17:00 MSK + 3 h = Mon 11:00
    assert out["deadline_at"].tolist() == [ts("2026-09-28 12:30"), ts("2026-09-28 11:00")]
    assert out["received_at"].tolist() == [ts("2026-09-28 09:30"), ts("2026-09-25 17:00")]


# =========================================================================== cohorts

# asof 2026-09-30T23:30:00Z. In Moscow it is 02:30 on 1 October: the day that counts is
# 2026-10-01 (the local day; a visit on 1 October counts, and the quarter is 2026Q4).
# In New York it is 19:30 EDT on 30 September: the day is 2026-09-30 (quarter 2026Q3).
#   X  joined 2025-01-10, last visit 2026-07-02: 91 days before 1 Oct (Jul 2 → Sep 30 is
#      29 + 31 + 30 = 90 days) → lapsed in Moscow, active (exactly 90) in New York
#   Y  joined 2026-09-15, one visit on 2026-10-01 → Moscow: active, new (first visit in
#      2026Q4); New York: the visit is after the day → never_attended
#   Z  joined 2026-10-01, no visit → Moscow: never_attended; New York: not joined yet
CLIENTS = pd.DataFrame({"client_id": ["X", "Y", "Z"],
                        "joined_on": ["2025-01-10", "2026-09-15", "2026-10-01"]})
VISITS = pd.DataFrame({"visit_id": ["v1", "v2", "v3"], "client_id": ["X", "X", "Y"],
                       "visit_date": ["2026-03-01", "2026-07-02", "2026-10-01"]})
EXPECTED_MSK = pd.DataFrame({
    "active": [False, True, False], "lapsed": [True, False, False],
    "never_attended": [False, False, True], "new": [False, True, False],
    "repeat": [True, False, False],
}, index=pd.Index(["X", "Y", "Z"], name="client_id"))
EXPECTED_NYC = pd.DataFrame({
    "active": [True, False], "lapsed": [False, False], "never_attended": [False, True],
    "new": [False, False], "repeat": [True, False],
}, index=pd.Index(["X", "Y"], name="client_id"))
ASOF_Z = "2026-09-30T23:30:00Z"


@pytest.mark.parametrize("asof", [ASOF_Z, "2026-10-01T02:30:00+03:00",
                                  ts("2026-09-30 23:30").tz_localize("UTC"),
                                  ts("2026-10-01 08:30").tz_localize("Asia/Tokyo"),
                                  "2026-10-01 02:30", "2026-10-01"], ids=repr)
def test_assign_zoned_asof_is_the_local_day_moscow(asof):
    got = co.assign(CLIENTS, VISITS, asof, rules=COHORTS, study=MSK)
    pd.testing.assert_frame_equal(got, EXPECTED_MSK)
    assert got.attrs["asof"] == "2026-10-01"


@pytest.mark.parametrize("asof", [ASOF_Z, "2026-09-30T19:30:00-04:00",
                                  ts("2026-09-30 23:30").tz_localize("UTC"),
                                  "2026-09-30 19:30", "2026-09-30"], ids=repr)
def test_assign_zoned_asof_is_the_local_day_new_york(asof):
    got = co.assign(CLIENTS, VISITS, asof, rules=COHORTS, study=NYC)
    pd.testing.assert_frame_equal(got, EXPECTED_NYC)
    assert got.attrs["asof"] == "2026-09-30"


def test_assign_zone_aware_visit_and_join_columns_take_their_local_day():
    # the same visits and joins as aware UTC timestamps whose UTC day is the day before
    # the local one: 2026-07-01T22:00Z is 2 July 01:00 in Moscow, 2026-09-30T21:30Z is
    # 1 October 00:30, 2026-09-30T21:00Z is 1 October 00:00
    visits = VISITS.assign(visit_date=pd.to_datetime(
        ["2026-03-01T09:00:00Z", "2026-07-01T22:00:00Z", "2026-09-30T21:30:00Z"], utc=True))
    clients = CLIENTS.assign(joined_on=pd.to_datetime(
        ["2025-01-10T08:00:00Z", "2026-09-15T08:00:00Z", "2026-09-30T21:00:00Z"], utc=True))
    got = co.assign(clients, visits, ASOF_Z, rules=COHORTS, study=MSK)
    pd.testing.assert_frame_equal(got, EXPECTED_MSK)
    f = co.features(clients, visits, ASOF_Z, study=MSK)
    assert f.loc["X", "last_visit"] == ts("2026-07-02")
    assert f.loc["X", "days_since_last_visit"] == 91
    assert f.loc["Y", "first_visit"] == ts("2026-10-01")
    assert f.loc["Z", "joined_on"] == ts("2026-10-01")


# New York, the same UTC clock time 04:30 on the first of a month, summer and winter:
#   2026-07-01T04:30Z = 00:30 EDT on 1 July  → day 2026-07-01 (2026Q3)
#   2026-01-01T04:30Z = 23:30 EST on 31 Dec → day 2025-12-31 (2025Q4)
# (with the other season's offset each would fall on the other side of midnight)
#   S  joined 2026-06-01, one visit 2026-07-01 → July: active, new; January: not joined
#   W  joined 2025-12-01, one visit 2026-01-01 → July: lapsed (Jan 1 → Jul 1 = 181 days);
#      January: the visit is after the day → never_attended
DST_CLIENTS = pd.DataFrame({"client_id": ["S", "W"], "joined_on": ["2026-06-01", "2025-12-01"]})
DST_VISITS = pd.DataFrame({"client_id": ["S", "W"], "visit_date": ["2026-07-01", "2026-01-01"]})


def test_assign_new_york_summer_and_winter_days():
    summer = co.assign(DST_CLIENTS, DST_VISITS, "2026-07-01T04:30:00Z", rules=COHORTS,
                       study=NYC)
    assert summer.attrs["asof"] == "2026-07-01"
    assert summer.loc["S", ["active", "new"]].tolist() == [True, True]
    assert summer.loc["W", ["lapsed", "never_attended"]].tolist() == [True, False]
    winter = co.assign(DST_CLIENTS, DST_VISITS, "2026-01-01T04:30:00Z", rules=COHORTS,
                       study=NYC)
    assert winter.attrs["asof"] == "2025-12-31"
    assert winter.index.tolist() == ["W"]
    assert winter.loc["W", ["never_attended", "active", "lapsed"]].tolist() == \
        [True, False, False]


# attach: each response is placed on the local day of its submitted_at.
#   r1 from X at 2026-09-30T23:30Z → Moscow day 2026-10-01 → lapsed (91 days);
#      New York day 2026-09-30 → active (90 days)
#   r2 from Y at 2026-10-01 05:00 MSK (= 02:00Z) → Moscow: active, new (visit that day);
#      New York: 2026-09-30 22:00 EDT → never_attended
SUBMITTED_MSK = ["2026-10-01T02:30:00", "2026-10-01T05:00:00"]


@pytest.mark.parametrize("form", list(forms(SUBMITTED_MSK, "Europe/Moscow")))
def test_attach_places_responses_on_their_local_day(form):
    r = pd.DataFrame({"response_id": ["r1", "r2"], "client_id": ["X", "Y"], "nps": [9, 3],
                      "submitted_at": _series(forms(SUBMITTED_MSK, "Europe/Moscow")[form])})
    got = co.attach(r, CLIENTS, VISITS, rules=COHORTS, study=MSK)
    assert got["lapsed"].tolist() == [True, False]
    assert got["active"].tolist() == [False, True]
    assert got["new"].tolist() == [False, True]
    ny = co.attach(r, CLIENTS, VISITS, rules=COHORTS, study=NYC)
    if form == "naive local":  # naive times are New York's own local time there
        assert ny["lapsed"].tolist() == [True, False]
    else:
        assert ny["active"].tolist() == [True, False]
        assert ny["lapsed"].tolist() == [False, False]
        assert ny["never_attended"].tolist() == [False, True]


def test_followups_zoned_answer_counts_on_its_local_day():
    # a detractor answer at 2026-09-30T22:00Z: 1 October 01:00 in Moscow, 30 September
    # 18:00 in New York. The list for 30 September (asof, naive: a local day) sees it in
    # New York only — in Moscow it was given the day after.
    r = pd.DataFrame({"response_id": ["r1"], "client_id": ["X"], "nps": [2],
                      "submitted_at": ["2026-09-30T22:00:00Z"]})
    ny = co.followups(r, CLIENTS, VISITS, "2026-09-30", study=NYC)
    assert "detractor" in ny.loc[ny["client_id"] == "X", "reason_codes"].iloc[0]
    assert ny.loc[ny["client_id"] == "X", "last_nps_on"].iloc[0] == ts("2026-09-30")
    msk = co.followups(r, CLIENTS, VISITS, "2026-09-30", study=MSK)
    codes = msk.loc[msk["client_id"] == "X", "reason_codes"]
    assert codes.empty or "detractor" not in codes.iloc[0]
    # as of the zoned moment 2026-09-30T23:30Z (= 1 October in Moscow) it is on the list
    msk = co.followups(r, CLIENTS, VISITS, ASOF_Z, study=MSK)
    assert "detractor" in msk.loc[msk["client_id"] == "X", "reason_codes"].iloc[0]
    assert msk.attrs["asof"] == "2026-10-01"


def test_promotion_answer_day_is_local():
    # Y answered 9 at 2026-09-30T22:00Z (1 Oct 01:00 MSK); a family Y referred joined on
    # 2026-10-01. With count_window="after" the referral counts when the answer's local
    # day is on or before the join day: Moscow (answer 1 Oct) counts it
    r = pd.DataFrame({"client_id": ["Y"], "nps": [9], "submitted_at": ["2026-09-30T22:00:00Z"]})
    cl = pd.DataFrame({"client_id": ["Y", "R"], "referred_by": [None, "Y"],
                       "joined_on": ["2026-09-15", "2026-10-01"]})
    res = co.promotion(r, cl, min_n=1, study=MSK)
    assert res.table.loc[("referral", "promoter"), "count"] == 1
    # the join recorded as 2026-09-30T22:30Z is 1 Oct 01:30 in Moscow, 30 Sep in New York:
    # after the answer's day in Moscow (1 Oct ≥ 1 Oct), and in New York (30 Sep ≥ 30 Sep)
    cl2 = cl.assign(joined_on=["2026-09-15T10:00:00Z", "2026-09-30T22:30:00Z"])
    assert co.promotion(r, cl2, min_n=1, study=MSK).table.loc[
        ("referral", "promoter"), "count"] == 1
    assert co.promotion(r, cl2, min_n=1, study=NYC).table.loc[
        ("referral", "promoter"), "count"] == 1
    # a join on 30 Sep (naive: local) precedes the Moscow answer day (1 Oct) → not counted
    cl3 = cl.assign(joined_on=["2026-09-15", "2026-09-30"])
    assert co.promotion(r, cl3, min_n=1, study=MSK).table.loc[
        ("referral", "promoter"), "count"] == 0


# =========================================================================== FCR (metrics)

def test_fcr_censoring_with_zoned_asof_and_mixed_column():
    # Moscow: c1 opened 24 Sep 00:30 MSK (= 23 Sep 21:30Z), no repeat; asof 1 Oct 03:00
    # MSK (= 1 Oct 00:00Z). 7-day window: censored if opened after 24 Sep 03:00 MSK →
    # not censored, resolved at first contact. c2 opened 25 Sep 10:00 MSK → censored.
    # (Read with the zone dropped, asof 1 Oct 00:00 would censor c1 too.)
    contacts = pd.DataFrame({"contact_id": [1, 2], "client_id": ["a", "b"],
                             "topic": ["t", "t"], "channel": ["phone", "phone"],
                             "opened_at": ["2026-09-24T00:30:00+03:00",
                                           "2026-09-25T07:00:00Z"]})
    for asof in ("2026-10-01T00:00:00Z", "2026-10-01T03:00:00+03:00", "2026-10-01 03:00",
                 ts("2026-10-01").tz_localize("UTC")):
        f = M.fcr_flags(contacts, 7, asof=asof, study=MSK)
        assert f["censored"].tolist() == [False, True], asof
        assert f["resolved_first"].tolist()[0] is True


def test_fcr_quarter_of_a_utc_contact_is_the_local_quarter():
    # 2026-09-30T22:00Z is 1 October 01:00 in Moscow: a 2026Q4 request
    contacts = pd.DataFrame({"contact_id": [1], "client_id": ["a"], "topic": ["t"],
                             "channel": ["phone"],
                             "opened_at": pd.to_datetime(["2026-09-30T22:00:00Z"], utc=True)})
    t = M.fcr_table(contacts, by=("quarter",), asof="2026-12-31", study=MSK, min_n=1)
    assert t.index.tolist() == ["2026Q4"]
