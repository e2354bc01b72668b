"""Business hours as pure logic: no database, explicit instants, never the current time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from inboxes.business_hours import (
    ALL_DAY,
    Interval,
    Schedule,
    format_hhmm,
    is_open,
    next_closing,
    next_opening,
    parse_hhmm,
    validate_intervals,
    weekday_sunday_first,
)

SAO_PAULO = "America/Sao_Paulo"
LISBON = "Europe/Lisbon"
SUN, MON, TUE, WED, THU, FRI, SAT = range(7)


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(SAO_PAULO))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def iv(start: str, end: str) -> Interval:
    return Interval(parse_hhmm(start), parse_hhmm(end))


def rule(kind: str = "interval", *, day_of_week=None, on=None, start=None, end=None):
    """Something shaped like a ScheduleRule row."""
    return SimpleNamespace(
        day_of_week=day_of_week,
        date=on,
        kind=kind,
        start_minute=None if start is None else parse_hhmm(start),
        end_minute=None if end is None else parse_hhmm(end),
    )


# Cenário 4: Mon–Fri 08:30–17:00, Saturday 09:00–12:00, Sunday closed. The week used is
# Monday 2026-05-04 … Sunday 2026-05-10 (Brazil has had no daylight saving since 2019).
CENARIO_4 = Schedule.from_rules(
    SAO_PAULO,
    [rule(day_of_week=d, start="08:30", end="17:00") for d in (MON, TUE, WED, THU, FRI)]
    + [rule(day_of_week=SAT, start="09:00", end="12:00"), rule("closed_all_day", day_of_week=SUN)],
)
HOLIDAYS = dataclasses.replace(
    CENARIO_4, exceptions={date(2026, 5, 1): (), date(2026, 5, 4): ()}
)  # Labour Day (a Friday) and a made-up Monday holiday
SPECIAL = dataclasses.replace(
    CENARIO_4,
    exceptions={
        date(2026, 5, 9): (iv("10:00", "14:00"),),
        date(2026, 5, 10): (iv("10:00", "12:00"),),
    },
)
SPLIT = Schedule(SAO_PAULO, {d: (iv("08:00", "12:00"), iv("14:00", "18:00")) for d in range(1, 6)})
TOUCHING = Schedule(
    SAO_PAULO, {d: (iv("08:00", "12:00"), iv("12:00", "18:00")) for d in range(1, 6)}
)
OVERNIGHT = Schedule(SAO_PAULO, {FRI: (iv("18:00", "24:00"),), SAT: (iv("00:00", "02:00"),)})
WEEKEND_NONSTOP = Schedule(
    SAO_PAULO,
    {FRI: (iv("18:00", "24:00"),), SAT: (ALL_DAY,), SUN: (ALL_DAY,), MON: (iv("00:00", "08:00"),)},
)
ALWAYS = Schedule(SAO_PAULO, dict.fromkeys(range(7), (ALL_DAY,)))
ALWAYS_BUT_CHRISTMAS = dataclasses.replace(ALWAYS, exceptions={date(2026, 12, 25): ()})
NEVER = Schedule(SAO_PAULO, {})


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 5, 10), SUN),
        (date(2026, 5, 4), MON),
        (date(2026, 5, 6), WED),
        (date(2026, 5, 9), SAT),
    ],
)
def test_weekday_counts_from_sunday(day, expected):
    assert weekday_sunday_first(day) == expected


def test_from_rules_builds_the_weekly_schedule():
    weekdays = {d: (iv("08:30", "17:00"),) for d in (MON, TUE, WED, THU, FRI)}
    expected = Schedule(SAO_PAULO, {**weekdays, SAT: (iv("09:00", "12:00"),), SUN: ()}, {})
    assert expected == CENARIO_4


def test_from_rules_exceptions_open_all_day_and_closed_wins():
    schedule = Schedule.from_rules(
        LISBON,
        [
            rule(day_of_week=MON, start="14:00", end="18:00"),
            rule(day_of_week=MON, start="08:00", end="12:00"),
            rule(day_of_week=TUE, start="08:00", end="12:00"),
            rule("closed_all_day", day_of_week=TUE),
            rule("open_all_day", day_of_week=WED),
            rule("closed_all_day", on=date(2026, 12, 25)),
            rule(on=date(2026, 12, 24), start="08:00", end="12:00"),
        ],
    )
    assert schedule.timezone == LISBON
    assert schedule.weekly == {
        MON: (iv("08:00", "12:00"), iv("14:00", "18:00")),
        TUE: (),
        WED: (ALL_DAY,),
    }
    assert schedule.exceptions == {
        date(2026, 12, 25): (),
        date(2026, 12, 24): (iv("08:00", "12:00"),),
    }


def test_from_rules_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="bogus"):
        Schedule.from_rules(SAO_PAULO, [rule("bogus", day_of_week=MON)])


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        is_open(CENARIO_4, datetime(2026, 5, 4, 10, 0))


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        # Cenário 4, a minute either side of each boundary.
        (CENARIO_4, sp(2026, 5, 4, 0, 0), False),
        (CENARIO_4, sp(2026, 5, 4, 8, 29), False),
        (CENARIO_4, sp(2026, 5, 4, 8, 30), True),
        (CENARIO_4, sp(2026, 5, 4, 16, 59), True),
        (CENARIO_4, sp(2026, 5, 4, 16, 59, 59), True),
        (CENARIO_4, sp(2026, 5, 4, 17, 0), False),
        (CENARIO_4, sp(2026, 5, 6, 12, 0), True),
        (CENARIO_4, sp(2026, 5, 8, 8, 29), False),
        (CENARIO_4, sp(2026, 5, 8, 8, 30), True),
        (CENARIO_4, sp(2026, 5, 8, 16, 59), True),
        (CENARIO_4, sp(2026, 5, 8, 17, 0), False),
        (CENARIO_4, sp(2026, 5, 9, 8, 59), False),
        (CENARIO_4, sp(2026, 5, 9, 9, 0), True),
        (CENARIO_4, sp(2026, 5, 9, 11, 59), True),
        (CENARIO_4, sp(2026, 5, 9, 12, 0), False),
        (CENARIO_4, sp(2026, 5, 10, 0, 0), False),
        (CENARIO_4, sp(2026, 5, 10, 9, 0), False),
        (CENARIO_4, sp(2026, 5, 10, 12, 0), False),
        (CENARIO_4, sp(2026, 5, 10, 23, 59), False),
        # The same instants given in UTC (São Paulo is UTC−3).
        (CENARIO_4, utc(2026, 5, 4, 11, 29), False),
        (CENARIO_4, utc(2026, 5, 4, 11, 30), True),
        (CENARIO_4, utc(2026, 5, 4, 20, 0), False),
        # Exceptions replace the weekday's rules.
        (HOLIDAYS, sp(2026, 5, 4, 10, 0), False),
        (HOLIDAYS, sp(2026, 5, 1, 10, 0), False),
        (HOLIDAYS, sp(2026, 5, 5, 10, 0), True),
        (SPECIAL, sp(2026, 5, 9, 9, 30), False),
        (SPECIAL, sp(2026, 5, 9, 13, 59), True),
        (SPECIAL, sp(2026, 5, 9, 14, 0), False),
        (SPECIAL, sp(2026, 5, 10, 11, 0), True),
        # Split shift.
        (SPLIT, sp(2026, 5, 4, 11, 59), True),
        (SPLIT, sp(2026, 5, 4, 12, 0), False),
        (SPLIT, sp(2026, 5, 4, 12, 30), False),
        (SPLIT, sp(2026, 5, 4, 14, 0), True),
        # 18:00–24:00 Friday, then 00:00–02:00 Saturday.
        (OVERNIGHT, sp(2026, 5, 8, 23, 59), True),
        (OVERNIGHT, sp(2026, 5, 9, 0, 0), True),
        (OVERNIGHT, sp(2026, 5, 9, 1, 59), True),
        (OVERNIGHT, sp(2026, 5, 9, 2, 0), False),
        (ALWAYS, sp(2026, 5, 10, 3, 0), True),
        (ALWAYS_BUT_CHRISTMAS, sp(2026, 12, 25, 12, 0), False),
        (NEVER, sp(2026, 5, 4, 10, 0), False),
    ],
)
def test_is_open(schedule, at, expected):
    assert is_open(schedule, at) is expected


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        (CENARIO_4, sp(2026, 5, 8, 17, 0), sp(2026, 5, 9, 9, 0)),  # Friday evening → Saturday
        (CENARIO_4, sp(2026, 5, 8, 23, 59), sp(2026, 5, 9, 9, 0)),
        (CENARIO_4, sp(2026, 5, 9, 12, 0), sp(2026, 5, 11, 8, 30)),  # Saturday noon → Monday
        (CENARIO_4, sp(2026, 5, 10, 12, 0), sp(2026, 5, 11, 8, 30)),  # Sunday noon → Monday
        (CENARIO_4, sp(2026, 5, 4, 7, 0), sp(2026, 5, 4, 8, 30)),
        (CENARIO_4, sp(2026, 5, 4, 8, 29, 30), sp(2026, 5, 4, 8, 30)),
        (CENARIO_4, sp(2026, 5, 4, 8, 30), sp(2026, 5, 4, 8, 30)),  # open: the instant itself
        (CENARIO_4, sp(2026, 5, 4, 10, 15, 7), sp(2026, 5, 4, 10, 15, 7)),
        (CENARIO_4, utc(2026, 5, 8, 20, 0), utc(2026, 5, 9, 12, 0)),
        (HOLIDAYS, sp(2026, 5, 3, 12, 0), sp(2026, 5, 5, 8, 30)),  # holiday Monday → Tuesday
        (HOLIDAYS, sp(2026, 4, 30, 17, 0), sp(2026, 5, 2, 9, 0)),  # holiday Friday → Saturday
        (SPECIAL, sp(2026, 5, 9, 8, 0), sp(2026, 5, 9, 10, 0)),  # Saturday opens late
        (SPECIAL, sp(2026, 5, 9, 14, 0), sp(2026, 5, 10, 10, 0)),  # and so does this Sunday
        (SPLIT, sp(2026, 5, 4, 12, 30), sp(2026, 5, 4, 14, 0)),
        (SPLIT, sp(2026, 5, 4, 18, 0), sp(2026, 5, 5, 8, 0)),
        (OVERNIGHT, sp(2026, 5, 8, 17, 0), sp(2026, 5, 8, 18, 0)),
        (OVERNIGHT, sp(2026, 5, 9, 2, 0), sp(2026, 5, 15, 18, 0)),
        (ALWAYS, sp(2026, 5, 4, 3, 0), sp(2026, 5, 4, 3, 0)),
        (ALWAYS_BUT_CHRISTMAS, sp(2026, 12, 25, 9, 0), sp(2026, 12, 26, 0, 0)),
        (NEVER, sp(2026, 5, 4, 10, 0), None),
    ],
)
def test_next_opening(schedule, at, expected):
    assert next_opening(schedule, at) == expected


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        (CENARIO_4, sp(2026, 5, 4, 8, 30), sp(2026, 5, 4, 17, 0)),
        (CENARIO_4, sp(2026, 5, 4, 16, 59, 30), sp(2026, 5, 4, 17, 0)),
        (CENARIO_4, sp(2026, 5, 9, 9, 0), sp(2026, 5, 9, 12, 0)),
        (CENARIO_4, sp(2026, 5, 4, 17, 0), sp(2026, 5, 4, 17, 0)),  # closed: the instant itself
        (SPECIAL, sp(2026, 5, 9, 10, 0), sp(2026, 5, 9, 14, 0)),
        (SPLIT, sp(2026, 5, 4, 9, 0), sp(2026, 5, 4, 12, 0)),
        (SPLIT, sp(2026, 5, 4, 14, 0), sp(2026, 5, 4, 18, 0)),
        (TOUCHING, sp(2026, 5, 4, 9, 0), sp(2026, 5, 4, 18, 0)),  # back-to-back is one period
        (OVERNIGHT, sp(2026, 5, 8, 20, 0), sp(2026, 5, 9, 2, 0)),  # 24:00 continues at 00:00
        (WEEKEND_NONSTOP, sp(2026, 5, 8, 20, 0), sp(2026, 5, 11, 8, 0)),
        (ALWAYS, sp(2026, 5, 4, 3, 0), None),
        (ALWAYS_BUT_CHRISTMAS, sp(2026, 12, 20, 12, 0), sp(2026, 12, 25, 0, 0)),
        (ALWAYS_BUT_CHRISTMAS, utc(2026, 12, 24, 12, 0), utc(2026, 12, 25, 3, 0)),
        (NEVER, sp(2026, 5, 4, 10, 0), sp(2026, 5, 4, 10, 0)),
    ],
)
def test_next_closing(schedule, at, expected):
    assert next_closing(schedule, at) == expected


@pytest.mark.parametrize(
    ("opens_on", "expected"),
    [
        (date(2027, 4, 1), sp(2027, 4, 1, 9, 0)),  # 332 days ahead
        (date(2027, 9, 16), None),  # 500 days ahead: past the 400-day horizon
    ],
)
def test_next_opening_looks_400_days_ahead(opens_on, expected):
    schedule = Schedule(SAO_PAULO, {}, {opens_on: (iv("09:00", "10:00"),)})
    assert next_opening(schedule, sp(2026, 5, 4, 10, 0)) == expected


# Europe/Lisbon, 2026: on Sunday 03-29 the clocks jump from 01:00 WET (UTC+0) to 02:00 WEST
# (UTC+1), at 01:00 UTC; on Sunday 10-25 they go back from 02:00 WEST to 01:00 WET, at 01:00 UTC,
# so 01:00–01:59 happens twice.
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)
LISBON_EARLY = Schedule(
    LISBON, {}, {SPRING: (iv("01:30", "03:00"),), AUTUMN: (iv("01:30", "03:00"),)}
)
LISBON_SUNDAY_ONE_AM = Schedule(LISBON, {SUN: (iv("01:00", "02:00"),)})
LISBON_SUNDAY_MIDNIGHT = Schedule(LISBON, {SUN: (iv("00:00", "01:00"),)})
LISBON_MONDAYS = Schedule(LISBON, {MON: (iv("09:00", "17:00"),)})


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        # Spring forward: 00:59 WET is followed by 02:00 WEST.
        (LISBON_EARLY, utc(2026, 3, 29, 0, 59), False),
        (LISBON_EARLY, utc(2026, 3, 29, 1, 0), True),  # 02:00 WEST
        (LISBON_EARLY, utc(2026, 3, 29, 1, 59), True),  # 02:59 WEST
        (LISBON_EARLY, utc(2026, 3, 29, 2, 0), False),  # 03:00 WEST
        (LISBON_SUNDAY_MIDNIGHT, utc(2026, 3, 29, 0, 59), True),  # 00:59 WET
        (LISBON_SUNDAY_MIDNIGHT, utc(2026, 3, 29, 1, 0), False),  # 02:00 WEST
        # Fall back: 01:59 WEST is followed by 01:00 WET.
        (LISBON_EARLY, utc(2026, 10, 25, 0, 29), False),  # 01:29 WEST
        (LISBON_EARLY, utc(2026, 10, 25, 0, 30), True),  # 01:30 WEST
        (LISBON_EARLY, utc(2026, 10, 25, 0, 59), True),  # 01:59 WEST
        (LISBON_EARLY, utc(2026, 10, 25, 1, 0), False),  # 01:00 WET, before 01:30 again
        (LISBON_EARLY, utc(2026, 10, 25, 1, 30), True),  # 01:30 WET
        (LISBON_EARLY, utc(2026, 10, 25, 2, 59), True),  # 02:59 WET
        (LISBON_EARLY, utc(2026, 10, 25, 3, 0), False),
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 24, 23, 59), False),  # 00:59 WEST
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 25, 0, 0), True),  # 01:00 WEST
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 25, 1, 0), True),  # 01:00 WET
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 25, 1, 59), True),  # 01:59 WET
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 25, 2, 0), False),
        # Mondays 09:00–17:00 on the wall clock: 08:00 UTC in summer, 09:00 UTC in winter.
        (LISBON_MONDAYS, utc(2026, 3, 30, 7, 59), False),
        (LISBON_MONDAYS, utc(2026, 3, 30, 8, 0), True),
        (LISBON_MONDAYS, utc(2026, 10, 26, 8, 59), False),
        (LISBON_MONDAYS, utc(2026, 10, 26, 9, 0), True),
    ],
)
def test_is_open_across_daylight_saving(schedule, at, expected):
    assert is_open(schedule, at) is expected


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        # 01:30 does not exist on 03-29: it opens when the clock jumps, 02:00 WEST = 01:00 UTC.
        (LISBON_EARLY, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
        (LISBON_EARLY, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0)),
        # 01:30 happens twice on 10-25: the first time (WEST) counts, 00:30 UTC.
        (LISBON_EARLY, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30)),
        # Closed again when the clock goes back to 01:00; 01:30 WET reopens.
        (LISBON_EARLY, utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30)),
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 0, 0)),
        # An interval wholly inside the skipped hour does not happen: the next Sunday does.
        (LISBON_SUNDAY_ONE_AM, utc(2026, 3, 28, 22, 0), utc(2026, 4, 5, 0, 0)),
        (LISBON_MONDAYS, utc(2026, 3, 22, 12, 0), utc(2026, 3, 23, 9, 0)),  # winter
        (LISBON_MONDAYS, utc(2026, 3, 29, 12, 0), utc(2026, 3, 30, 8, 0)),  # first summer Monday
        (LISBON_MONDAYS, utc(2026, 10, 25, 12, 0), utc(2026, 10, 26, 9, 0)),  # first winter one
        # A São Paulo holiday of old: on 2018-11-04 midnight was skipped (00:00 → 01:00).
        (
            Schedule(SAO_PAULO, {}, {date(2018, 11, 4): (iv("00:00", "10:00"),)}),
            utc(2018, 11, 4, 2, 0),  # 23:00 on Saturday, UTC−3
            utc(2018, 11, 4, 3, 0),  # 01:00 on Sunday, UTC−2
        ),
    ],
)
def test_next_opening_across_daylight_saving(schedule, at, expected):
    assert next_opening(schedule, at) == expected


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        (LISBON_EARLY, utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0)),  # 03:00 WEST
        (LISBON_EARLY, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)),  # back to 01:00
        (LISBON_EARLY, utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 3, 0)),  # 03:00 WET
        (LISBON_SUNDAY_ONE_AM, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0)),  # two hours
        (LISBON_SUNDAY_MIDNIGHT, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),  # the jump
        (LISBON_MONDAYS, utc(2026, 3, 30, 8, 0), utc(2026, 3, 30, 16, 0)),
        (LISBON_MONDAYS, utc(2026, 10, 26, 9, 0), utc(2026, 10, 26, 17, 0)),
        (
            Schedule(
                SAO_PAULO,
                {SAT: (iv("20:00", "24:00"),)},
                {date(2018, 11, 4): (iv("00:00", "10:00"),)},
            ),
            utc(2018, 11, 4, 1, 0),  # 22:00 on Saturday, UTC−3
            utc(2018, 11, 4, 12, 0),  # 10:00 on Sunday, UTC−2
        ),
    ],
)
def test_next_closing_across_daylight_saving(schedule, at, expected):
    assert next_closing(schedule, at) == expected


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:00", 0),
        ("08:30", 510),
        ("8:30", 510),
        (" 9:05 ", 545),
        ("23:59", 1439),
        ("24:00", 1440),
    ],
)
def test_parse_hhmm(text, minutes):
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["25:00", "8h30", "24:01", "12:60", "", "830", "8:5", "-1:00", "08:30:00", "ab:cd", None],
)
def test_parse_hhmm_refuses(text):
    with pytest.raises(ValidationError) as caught:
        parse_hhmm(text)
    assert caught.value.code == "invalid_time"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "00:00"), (510, "08:30"), (545, "09:05"), (1439, "23:59"), (1440, "24:00")],
)
def test_format_hhmm(minutes, text):
    assert format_hhmm(minutes) == text
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], ()),
        ([ALL_DAY], (ALL_DAY,)),
        (
            [iv("12:00", "18:00"), iv("08:00", "12:00")],
            (iv("08:00", "12:00"), iv("12:00", "18:00")),
        ),
        (
            [iv("14:00", "18:00"), iv("08:00", "12:00")],
            (iv("08:00", "12:00"), iv("14:00", "18:00")),
        ),
        (
            [iv("00:00", "02:00"), iv("18:00", "24:00")],
            (iv("00:00", "02:00"), iv("18:00", "24:00")),
        ),
    ],
)
def test_validate_intervals_sorts_valid_days(intervals, expected):
    assert validate_intervals(intervals) == expected


@pytest.mark.parametrize(
    ("intervals", "messages"),
    [
        (
            [iv("08:00", "12:00"), iv("11:00", "14:00")],
            ["Intervals 08:00–12:00 and 11:00–14:00 overlap."],
        ),
        (
            [iv("10:00", "11:00"), iv("08:00", "18:00")],
            ["Intervals 08:00–18:00 and 10:00–11:00 overlap."],
        ),
        (
            [iv("08:00", "18:00"), iv("12:00", "13:00"), iv("15:00", "16:00")],
            [
                "Intervals 08:00–18:00 and 12:00–13:00 overlap.",
                "Intervals 08:00–18:00 and 15:00–16:00 overlap.",
            ],
        ),
        ([iv("17:00", "08:30")], ["Interval 17:00–08:30 ends before it starts."]),
        ([iv("10:00", "10:00")], ["Interval 10:00–10:00 ends before it starts."]),
        ([Interval(1380, 1500)], ["Interval 23:00–25:00 is outside 00:00–24:00."]),
        ([Interval(-30, 60)], ["Interval -00:30–01:00 is outside 00:00–24:00."]),
        (
            [iv("17:00", "08:30"), iv("08:00", "12:00"), iv("11:00", "14:00")],
            [
                "Interval 17:00–08:30 ends before it starts.",
                "Intervals 08:00–12:00 and 11:00–14:00 overlap.",
            ],
        ),
    ],
)
def test_validate_intervals_refuses(intervals, messages):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_intervals(intervals)
    with translation.override("en"):
        assert caught.value.messages == messages


def test_parse_hhmm_message_names_the_value():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        parse_hhmm("25:00")
    with translation.override("en"):
        assert "25:00" in caught.value.messages[0]
