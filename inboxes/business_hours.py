"""Business hours: is an inbox open at an instant, and when does it next open or close.

Pure functions over a `Schedule` built from an inbox's `ScheduleRule`s, with no database access,
so they are cheap to call for every incoming message and easy to test.

Hours are wall-clock times in the inbox's time zone: "08:30" means 08:30 on the local clock all
year round. The search for the next opening or closing works on instants (aware datetimes): it
lists every instant where the answer of `is_open` can change (each interval boundary mapped to
the instants whose local clock shows it, plus the time zone's own offset changes) and returns
the first one where the answer is the one sought. Daylight saving thus needs no special case:
an opening inside a skipped hour happens when the clock jumps past it, and an opening inside a
repeated hour happens at its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MINUTES_PER_DAY = 1440
# How far ahead next_opening / next_closing look before answering "never".
HORIZON = timedelta(days=400)

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True, order=True)
class Interval:
    """Open from `start` (inclusive) to `end` (exclusive), in minutes since local midnight.

    `end` may be 1440, the next midnight. Not checked on construction, so that a form can turn
    raw input into intervals and get every problem at once from `validate_intervals`.
    """

    start: int
    end: int

    def __str__(self) -> str:
        return f"{format_hhmm(self.start)}–{format_hhmm(self.end)}"


ALL_DAY = Interval(0, MINUTES_PER_DAY)


def weekday_sunday_first(day: date) -> int:
    """Chatwoot's day_of_week (0 = Sunday … 6 = Saturday); Python's weekday() starts Monday."""
    return (day.weekday() + 1) % 7


@dataclass(frozen=True)
class Schedule:
    """An inbox's business hours: weekly intervals by day_of_week, and dated exceptions that
    replace their date's weekly intervals entirely (an empty tuple is a closed holiday)."""

    timezone: str
    weekly: Mapping[int, tuple[Interval, ...]]
    exceptions: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    @classmethod
    def from_rules(cls, timezone: str, rules: Iterable) -> Schedule:
        """Build from objects shaped like `ScheduleRule` (duck-typed, so tests can pass plain
        namespaces). A "closed all day" rule wins over intervals given for the same day: when
        the rules contradict each other, answering with the out-of-office message is safer than
        promising an agent who is not there."""
        days: dict[int | date, list[Interval]] = {}  # day_of_week or date → its intervals
        closed: set[int | date] = set()
        for rule in rules:
            key = rule.date if rule.date is not None else rule.day_of_week
            intervals = days.setdefault(key, [])
            if rule.kind == "interval":
                intervals.append(Interval(rule.start_minute, rule.end_minute))
            elif rule.kind == "open_all_day":
                intervals.append(ALL_DAY)
            elif rule.kind == "closed_all_day":
                closed.add(key)
            else:
                raise ValueError(f"Unknown schedule rule kind {rule.kind!r}")
        final = {key: () if key in closed else tuple(sorted(ivs)) for key, ivs in days.items()}
        return cls(
            timezone,
            weekly={key: ivs for key, ivs in final.items() if not isinstance(key, date)},
            exceptions={key: ivs for key, ivs in final.items() if isinstance(key, date)},
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The intervals of a local date: its exception if it has one, else its weekday's."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(weekday_sunday_first(day), ())


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether the local wall clock at instant `at` falls inside one of that date's intervals."""
    local = _aware(at).astimezone(schedule.zone)
    minute = local.hour * 60 + local.minute
    return any(iv.start <= minute < iv.end for iv in schedule.intervals_on(local.date()))


def next_opening(schedule: Schedule, at: datetime) -> datetime | None:
    """The earliest instant >= `at` at which the schedule is open (`at` itself if open now), or
    None if it does not open within HORIZON."""
    if is_open(schedule, at):
        return at
    return _search(schedule, at, lambda iv: iv.start, lambda instant: is_open(schedule, instant))


def next_closing(schedule: Schedule, at: datetime) -> datetime | None:
    """When the open period containing `at` ends (back-to-back intervals and a 24:00 followed by
    a 00:00 count as one period); `at` itself if closed now; None if open for all of HORIZON."""
    if not is_open(schedule, at):
        return at
    return _search(schedule, at, lambda iv: iv.end, lambda instant: not is_open(schedule, instant))


def _search(
    schedule: Schedule,
    at: datetime,
    boundary: Callable[[Interval], int],
    wanted: Callable[[datetime], bool],
) -> datetime | None:
    """The first candidate instant after `at` for which `wanted` holds, or None past HORIZON.

    Candidates are produced day by day; those reaching past the start of the next day (a second
    occurrence in a repeated hour) wait for that day's, so they are tried in time order."""
    zone = schedule.zone
    limit = at + HORIZON
    day = _aware(at).astimezone(zone).date()
    pending: list[datetime] = []
    for _n in range(HORIZON.days + 2):
        pending.extend(
            instant
            for iv in schedule.intervals_on(day)
            for instant in _instants(zone, _wall(day, boundary(iv)))
        )
        pending.extend(_offset_changes(zone, day))
        day += timedelta(days=1)
        next_day_starts = _instants(zone, _wall(day, 0))[0]
        pending.sort()
        for instant in (c for c in pending if c < next_day_starts):
            if instant > limit:
                return None
            if instant > at and wanted(instant):
                return instant
        pending = [c for c in pending if c >= next_day_starts]
    return None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Business hours need an aware datetime, got a naive one")
    return at


def _wall(day: date, minute: int) -> datetime:
    """Naive local wall time; minute 1440 rolls over to the next day's midnight."""
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def _instants(zone: ZoneInfo, wall: datetime) -> list[datetime]:
    """The instants (UTC) whose local clock shows `wall`: usually one, two in a repeated hour
    (first occurrence first), and in a skipped hour the instant the clock jumps past it."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        shown = instant.astimezone(zone).replace(tzinfo=None, fold=0)
        if shown == wall and instant not in found:
            found.append(instant)
    if not found:
        # In a gap, fold=0 and fold=1 apply the offsets before and after the jump; the jump
        # itself lies between the two results.
        ends = sorted(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
        found.append(_offset_change_between(zone, ends[0], ends[1]))
    return sorted(found)


def _offset_changes(zone: ZoneInfo, day: date) -> list[datetime]:
    """The instant the UTC offset changes during `day`, if it does (at most one a day)."""
    start = _instants(zone, _wall(day, 0))[0]
    end = _instants(zone, _wall(day, MINUTES_PER_DAY))[0]
    if start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset():
        return []
    return [_offset_change_between(zone, start, end)]


def _offset_change_between(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """First whole second in (low, high] whose UTC offset differs from low's (bisection)."""
    before = low.astimezone(zone).utcoffset()
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def parse_hhmm(text: str) -> int:
    """ "08:30" or "8:30" to minutes since midnight; "24:00" (1440) closes a day at midnight."""
    match = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if (hours < 24 and minutes < 60) or (hours, minutes) == (24, 0):
            return hours * 60 + minutes
    raise ValidationError(
        _("“%(value)s” is not a time of day between 00:00 and 24:00 (HH:MM)."),
        code="invalid_time",
        params={"value": text},
    )


def format_hhmm(minutes: int) -> str:
    """Minutes since midnight as "HH:MM" (1440 is "24:00")."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def validate_intervals(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sort one day's intervals and check them, reporting every problem at once. Touching
    intervals (one ends at 12:00, the next starts at 12:00) are fine."""
    errors: list[ValidationError] = []
    valid: list[Interval] = []
    for iv in sorted(intervals):
        if not (0 <= iv.start <= MINUTES_PER_DAY and 0 <= iv.end <= MINUTES_PER_DAY):
            errors.append(
                ValidationError(
                    _("Interval %(interval)s is outside 00:00–24:00."),
                    code="out_of_range",
                    params={"interval": str(iv)},
                )
            )
        elif iv.end <= iv.start:
            errors.append(
                ValidationError(
                    _("Interval %(interval)s ends before it starts."),
                    code="ends_before_start",
                    params={"interval": str(iv)},
                )
            )
        else:
            valid.append(iv)
    latest: Interval | None = None  # the interval reaching furthest so far
    for iv in valid:
        if latest is not None and iv.start < latest.end:
            errors.append(
                ValidationError(
                    _("Intervals %(first)s and %(second)s overlap."),
                    code="overlap",
                    params={"first": str(latest), "second": str(iv)},
                )
            )
        if latest is None or iv.end > latest.end:
            latest = iv
    if errors:
        raise ValidationError(errors)
    return tuple(valid)
