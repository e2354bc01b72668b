"""An inbox's business hours as plain values: a day is closed, open all day, or open in
intervals (DayHours), read from and written to ScheduleRule rows, and shown as payloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from inboxes.business_hours import Interval, format_hhmm
from inboxes.models import Inbox, ScheduleRule

OPEN_ALL_DAY = "open_all_day"
CLOSED = "closed"


@dataclass(frozen=True)
class DayHours:
    """One day's hours: closed, open all day, or open in one or more intervals."""

    mode: str  # "closed" | "open_all_day" | "intervals"
    intervals: tuple[Interval, ...] = ()

    def rules(self, inbox: Inbox, **where) -> list[ScheduleRule]:
        common = {"account_id": inbox.account_id, "inbox": inbox, **where}
        if self.mode == CLOSED:
            return [ScheduleRule(kind=ScheduleRule.Kind.CLOSED_ALL_DAY, **common)]
        if self.mode == OPEN_ALL_DAY:
            return [ScheduleRule(kind=ScheduleRule.Kind.OPEN_ALL_DAY, **common)]
        return [
            ScheduleRule(
                kind=ScheduleRule.Kind.INTERVAL,
                start_minute=i.start,
                end_minute=i.end,
                **common,
            )
            for i in self.intervals
        ]


def day_hours_from_rules(rules: Sequence[ScheduleRule]) -> DayHours:
    """The inverse of DayHours.rules(), for forms and API payloads."""
    kinds = {r.kind for r in rules}
    if not rules or ScheduleRule.Kind.CLOSED_ALL_DAY in kinds:
        return DayHours(mode=CLOSED)
    if ScheduleRule.Kind.OPEN_ALL_DAY in kinds:
        return DayHours(mode=OPEN_ALL_DAY)
    return DayHours(
        mode="intervals",
        intervals=tuple(
            sorted(Interval(r.start_minute, r.end_minute) for r in rules if r.kind == "interval")
        ),
    )


def rules_by_day(inbox: Inbox) -> tuple[dict[int, list], dict[date, list]]:
    """The inbox's rules by weekday and by date (uses prefetched rules when there are)."""
    weekly: dict[int, list] = defaultdict(list)
    dated: dict[date, list] = defaultdict(list)
    for rule in inbox.schedule_rules.all():
        if rule.date is not None:
            dated[rule.date].append(rule)
        else:
            weekly[rule.day_of_week].append(rule)
    return weekly, dated


def weekly_hours(inbox: Inbox) -> dict[int, DayHours]:
    weekly, _dated = rules_by_day(inbox)
    return {dow: day_hours_from_rules(weekly.get(dow, [])) for dow in range(7)}


def intervals_payload(day: DayHours) -> list[dict[str, str]]:
    return [{"open": format_hhmm(i.start), "close": format_hhmm(i.end)} for i in day.intervals]


def exceptions_payload(inbox: Inbox) -> list[dict]:
    """The dated exceptions (holidays, special hours), oldest first, as the API shows them."""
    _weekly, dated = rules_by_day(inbox)
    out = []
    for when in sorted(dated):
        day = day_hours_from_rules(dated[when])
        out.append(
            {
                "date": when.isoformat(),
                "closed_all_day": day.mode == CLOSED,
                "open_all_day": day.mode == OPEN_ALL_DAY,
                "intervals": intervals_payload(day),
                "note": dated[when][0].note,
            }
        )
    return out
