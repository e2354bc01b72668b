"""Helpers shared by the inbox tests: the Cenário 4 week and a readable dump of stored hours."""

from __future__ import annotations

from inboxes.business_hours import Interval, parse_hhmm
from inboxes.models import InboxMember, ScheduleRule
from inboxes.schedule import CLOSED, DayHours

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)


def hours(*pairs: tuple[str, str]) -> DayHours:
    return DayHours(
        mode="intervals", intervals=tuple(Interval(parse_hhmm(a), parse_hhmm(b)) for a, b in pairs)
    )


# Cenário 4: Monday–Friday 08:30–17:00, Saturday 09:00–12:00, Sunday closed.
CENARIO_4 = {
    SUN: DayHours(mode=CLOSED),
    **{day: hours(("08:30", "17:00")) for day in (MON, TUE, WED, THU, FRI)},
    SAT: hours(("09:00", "12:00")),
}


def stored_rules(inbox) -> list[tuple]:
    """(date or "", day_of_week or -1, kind, start, end, note) for every rule, sorted."""
    return sorted(
        (
            r.date.isoformat() if r.date else "",
            -1 if r.day_of_week is None else r.day_of_week,
            r.kind,
            r.start_minute,
            r.end_minute,
            r.note,
        )
        for r in ScheduleRule.objects.filter(inbox=inbox)
    )


def member_user_ids(inbox) -> set[int]:
    return set(
        InboxMember.objects.filter(inbox=inbox).values_list("account_user__user_id", flat=True)
    )
