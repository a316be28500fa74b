"""The study file's ``plausible`` key: the window of days a date in the data may fall on
(issue 11, item 2). Defaults and ends are the documented ones (cxlab.study.Plausible);
"tomorrow" is worked out here from a fixed ``today``. The ``weighting`` key (issue 13,
item 5): the margins answers are raked to (cxlab.study.Weighting, cxlab.weighting).
"""

from __future__ import annotations

import datetime as dt

import pytest

from cxlab.errors import ValidationError
from cxlab.study import Plausible, Weighting, load_study, parse_study


def test_default_window_is_2000_01_01_to_tomorrow():
    st = parse_study({"name": "x"}, source="s.yml")
    assert st.plausible == Plausible(dt.date(2000, 1, 1), None)
    assert st.plausible.window("UTC", today=dt.date(2026, 11, 30)) == (
        dt.date(2000, 1, 1), dt.date(2026, 12, 1))


def test_tomorrow_is_the_day_after_today_in_the_study_zone():
    # whatever the clock says, "to" is one day after today's date where the desk is
    import zoneinfo

    for tz in ("Europe/Moscow", "America/New_York", "Pacific/Kiritimati"):
        today = dt.datetime.now(zoneinfo.ZoneInfo(tz)).date()
        _, last = Plausible().window(tz)
        assert last in (today + dt.timedelta(days=1), today + dt.timedelta(days=2))  # midnight


@pytest.mark.parametrize("value, start, end", [
    ({"from": "2015-01-01", "to": "2026-06-30"}, dt.date(2015, 1, 1), dt.date(2026, 6, 30)),
    ({"from": dt.date(2010, 5, 1)}, dt.date(2010, 5, 1), None),   # YAML reads a date
    ({"to": "tomorrow"}, dt.date(2000, 1, 1), None),
    ({"to": dt.date(2030, 12, 31)}, dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    ({}, dt.date(2000, 1, 1), None),
])
def test_plausible_key_forms(value, start, end):
    st = parse_study({"plausible": value}, source="s.yml")
    assert (st.plausible.start, st.plausible.end) == (start, end)


def test_plausible_key_in_a_yaml_file(tmp_path):
    path = tmp_path / "study.yml"
    path.write_text("name: Acme\ntimezone: Europe/Moscow\n"
                    "plausible: {from: 2018-01-01, to: 2026-12-31}\n", encoding="utf-8")
    assert load_study(path).plausible.window() == (dt.date(2018, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize("value, key, fragment", [
    ({"from": "yesterday"}, "plausible → from", "a date yyyy-mm-dd"),
    ({"to": "soon"}, "plausible → to", "or tomorrow"),
    ({"from": "2020-01-01", "to": "2019-12-31"}, "plausible → to", "on or after from"),
    ({"to": "2300-01-01"}, "plausible → to", "2262-04-10"),
    ({"from": "1500-01-01"}, "plausible → from", "1677-09-22"),
    ({"since": "2020-01-01"}, "plausible → since", "from, to"),
    ("2000-01-01..tomorrow", "plausible", "{from: 2000-01-01, to: tomorrow}"),
])
def test_a_malformed_plausible_key_names_itself(value, key, fragment):
    with pytest.raises(ValidationError) as info:
        parse_study({"plausible": value}, source="s.yml")
    (p,) = info.value.problems
    assert p.column == key and fragment in p.expected and p.place == "key"


_CODES = {"channels": {"phone": "Phone", "messenger": "Messenger", "web": "Web"},
          "segments": {"programme": {"values": ["workshop", "hike", "camp"]},
                       "store": {}}}


def test_no_weighting_key_means_no_weighting():
    assert parse_study(_CODES, source="s.yml").weighting is None


def test_weighting_key_in_a_yaml_file(tmp_path):
    path = tmp_path / "study.yml"
    path.write_text(
        "channels: {phone: Phone, messenger: Messenger, web: Web}\n"
        "segments: {programme: {values: [workshop, hike, camp]}}\n"
        "weighting:\n"
        "  margins:\n"
        "    channel: invitations\n"
        "    programme: {workshop: 3283, hike: 230, camp: 161}\n"
        "  trim: 5\n", encoding="utf-8")
    st = load_study(path)
    assert st.weighting == Weighting(
        {"channel": "invitations", "programme": {"workshop": 3283.0, "hike": 230.0,
                                                 "camp": 161.0}}, 5.0)
    assert st.weighting.tables == ("invitations",)


@pytest.mark.parametrize("margins", [
    {"survey": "invitations", "programme": "visits"},
    {"channel": {"phone": 0.4, "messenger": 0.3, "web": 0.3}},
    {"store": {"s1": 10, "s2": 30}},                  # an open code list takes any code
])
def test_weighting_key_forms(margins):
    st = parse_study({**_CODES, "weighting": {"margins": margins}}, source="s.yml")
    assert st.weighting.trim is None and set(st.weighting.margins) == set(margins)


@pytest.mark.parametrize("value, key, fragment", [
    ("channel", "weighting", "{margins: {channel: invitations}"),
    ({"margins": {"channel": "invitations"}, "cap": 5}, "weighting → cap", "margins, trim"),
    ({"margins": {"channel": "invitations"}, "trim": 1}, "weighting → trim", "above 1"),
    ({"trim": 5}, "weighting → margins", "column → table or targets"),
    ({"margins": {"region": "visits"}}, "weighting → margins → region",
     "channel, survey or a segment (programme, store)"),
    ({"margins": {"channel": "visits"}}, "weighting → margins → channel",
     "invitations (for channel or survey)"),
    ({"margins": {"programme": "invitations"}}, "weighting → margins → programme",
     "visits (for a segment)"),
    ({"margins": {"channel": {"phone": 0.5, "messenger": 0, "web": 0.5}}},
     "weighting → margins → channel → messenger", "a positive share or count"),
    ({"margins": {"channel": {"phone": 0.5, "web": 0.3}}}, "weighting → margins → channel",
     "shares adding up to 1"),
    ({"margins": {"channel": {"phone": 0.5, "fax": 0.5}}},
     "weighting → margins → channel → fax", "a code of channel: phone, messenger, web"),
    ({"margins": {"programme": [0.5, 0.5]}}, "weighting → margins → programme",
     "or targets {category: share or count}"),
])
def test_a_malformed_weighting_key_names_itself(value, key, fragment):
    with pytest.raises(ValidationError) as info:
        parse_study({**_CODES, "weighting": value}, source="s.yml")
    (p,) = info.value.problems
    assert p.column == key and fragment in p.expected and p.place == "key"
