"""Writes for inboxes: settings, members, business hours. Administrators only."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import memberships_for_user_ids, require_admin
from inboxes import events as inbox_events
from inboxes.business_hours import validate_intervals
from inboxes.models import AssignmentPolicy, ChannelType, Inbox, InboxMember, ScheduleRule
from inboxes.schedule import CLOSED, OPEN_ALL_DAY, DayHours, day_hours_from_rules
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.validators import clean_name

EDITABLE = {
    "name",
    "avatar",
    "enable_auto_assignment",
    "assignment_policy",
    "max_assignment_limit",
    "fixed_contact_assignment",
    "greeting_enabled",
    "greeting_message",
    "out_of_office_message",
    "working_hours_enabled",
    "timezone",
}


def _check_inbox(inbox: Inbox, account: Account) -> None:
    if inbox.account_id != account.pk:
        raise NotFound("inbox not found")


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
        if not changes["name"]:
            raise ValidationError({"name": _("Enter the inbox name.")})
    if "timezone" in changes:
        try:
            zoneinfo.ZoneInfo(changes["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown time zone.")}) from exc
    if "assignment_policy" in changes and changes["assignment_policy"] not in AssignmentPolicy:
        raise ValidationError({"assignment_policy": _("Unknown assignment policy.")})
    limit = changes.get("max_assignment_limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValidationError(
            {
                "max_assignment_limit": _(
                    "Enter a number of conversations from 1 up, or leave it empty."
                )
            }
        )
    return changes


@transaction.atomic
def inbox_create(
    *,
    account: Account,
    actor: AccountUser | None,
    name: str,
    channel_type: str = ChannelType.API,
    **settings,
) -> Inbox:
    require_admin(actor, account)
    if channel_type not in ChannelType:
        raise ValidationError({"channel_type": _("Unknown channel type.")})
    settings.setdefault("timezone", account.timezone)
    fields = _clean({"name": name, **settings})
    inbox = Inbox.objects.create(account=account, channel_type=channel_type, **fields)
    # Business hours start as Monday to Friday 09:00–17:00 (off until enabled), so that turning
    # them on before editing them does not close the inbox all week.
    ScheduleRule.objects.bulk_create(
        ScheduleRule(
            account=account,
            inbox=inbox,
            day_of_week=dow,
            kind=ScheduleRule.Kind.INTERVAL,
            start_minute=9 * 60,
            end_minute=17 * 60,
        )
        for dow in range(1, 6)
    )
    inbox_events.inbox_created(inbox=inbox, actor=actor)
    return inbox


@transaction.atomic
def inbox_update(*, account: Account, actor: AccountUser | None, inbox: Inbox, **changes) -> Inbox:
    require_admin(actor, account)
    _check_inbox(inbox, account)
    fields = _clean(changes)
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    for field, value in fields.items():
        setattr(inbox, field, value)
    inbox.save()
    inbox_events.inbox_updated(inbox=inbox, actor=actor)
    return inbox


@transaction.atomic
def inbox_delete(*, account: Account, actor: AccountUser | None, inbox: Inbox) -> None:
    """Deletes the inbox with its conversations and members (the contacts stay)."""
    require_admin(actor, account)
    _check_inbox(inbox, account)
    snapshot = {"id": inbox.pk, "name": inbox.name}
    inbox.delete()
    inbox_events.inbox_deleted(account_id=account.pk, snapshot=snapshot, actor=actor)


# --- Members ---------------------------------------------------------------------------------


def _memberships(account: Account, user_ids: Iterable[int]) -> list[AccountUser]:
    return memberships_for_user_ids(account, user_ids)


@transaction.atomic
def inbox_members_add(
    *, account: Account, actor: AccountUser | None, inbox: Inbox, user_ids: Iterable[int]
) -> None:
    require_admin(actor, account)
    _check_inbox(inbox, account)
    memberships = _memberships(account, user_ids)
    existing = set(
        InboxMember.objects.filter(inbox=inbox).values_list("account_user_id", flat=True)
    )
    new = [m for m in memberships if m.pk not in existing]
    InboxMember.objects.bulk_create(
        [InboxMember(account=account, inbox=inbox, account_user=m) for m in new],
        ignore_conflicts=True,  # two admins adding the same person at once
    )
    if new:
        inbox_events.members_changed(inbox=inbox, actor=actor, added=[m.user_id for m in new])


@transaction.atomic
def inbox_members_remove(
    *, account: Account, actor: AccountUser | None, inbox: Inbox, user_ids: Iterable[int]
) -> None:
    require_admin(actor, account)
    _check_inbox(inbox, account)
    memberships = _memberships(account, user_ids)
    current = set(InboxMember.objects.filter(inbox=inbox).values_list("account_user_id", flat=True))
    leaving = [m for m in memberships if m.pk in current]
    if not leaving:
        return
    InboxMember.objects.filter(inbox=inbox, account_user__in=leaving).delete()
    inbox_events.members_changed(inbox=inbox, actor=actor, removed=[m.user_id for m in leaving])


@transaction.atomic
def inbox_members_set(
    *, account: Account, actor: AccountUser | None, inbox: Inbox, user_ids: Iterable[int]
) -> None:
    """Makes the inbox's members exactly `user_ids` (Chatwoot's PATCH inbox_members)."""
    require_admin(actor, account)
    _check_inbox(inbox, account)
    wanted = {m.pk: m for m in _memberships(account, user_ids)}
    current = set(InboxMember.objects.filter(inbox=inbox).values_list("account_user_id", flat=True))
    to_remove = current - set(wanted)
    to_add = set(wanted) - current
    if to_remove:
        InboxMember.objects.filter(inbox=inbox, account_user_id__in=to_remove).delete()
    InboxMember.objects.bulk_create(
        [InboxMember(account=account, inbox=inbox, account_user=wanted[pk]) for pk in to_add],
        ignore_conflicts=True,
    )
    if to_add or to_remove:
        removed = AccountUser.objects.filter(pk__in=to_remove).values_list("user_id", flat=True)
        inbox_events.members_changed(
            inbox=inbox,
            actor=actor,
            added=[wanted[pk].user_id for pk in to_add],
            removed=list(removed),
        )


def inbox_member_mark_assigned(*, member_id: int, seq: int) -> None:
    """Round robin bookkeeping: the member goes to the back of the inbox's queue (`seq` is one
    past the inbox's top, see selectors.inbox_assignment_top). Called by the assignment engine
    while it holds the inbox lock."""
    InboxMember.objects.filter(pk=member_id).update(last_assigned_seq=seq)


# --- Business hours --------------------------------------------------------------------------


def _valid_day(day: DayHours, label: str) -> DayHours:
    if day.mode not in (CLOSED, OPEN_ALL_DAY, "intervals"):
        raise ValidationError({label: _("Choose closed, open all day or the opening hours.")})
    if day.mode != "intervals":
        return DayHours(mode=day.mode)
    if not day.intervals:
        raise ValidationError({label: _("Enter at least one interval, or mark the day closed.")})
    try:
        return DayHours(mode="intervals", intervals=validate_intervals(day.intervals))
    except ValidationError as exc:
        raise ValidationError({label: exc.messages}) from exc


@transaction.atomic
def inbox_schedule_set(
    *,
    account: Account,
    actor: AccountUser | None,
    inbox: Inbox,
    weekly: Mapping[int, DayHours],
    exceptions: Mapping[date, tuple[DayHours, str]] | None = None,
    enabled: bool | None = None,
    partial: bool = False,
) -> Inbox:
    """Sets the inbox's weekly hours (0 = Sunday … 6 = Saturday) and, when given, replaces its
    dated exceptions (holidays, special hours), all or nothing. A day missing from `weekly` is
    closed, or, with `partial`, keeps its current hours (Chatwoot's PATCH sends some days)."""
    require_admin(actor, account)
    _check_inbox(inbox, account)
    if set(weekly) - set(range(7)):
        raise ValidationError({"working_hours": _("Days of the week go from 0 (Sunday) to 6.")})
    current: dict[int, list[ScheduleRule]] = {}
    if partial:
        for rule in ScheduleRule.objects.filter(inbox=inbox, date__isnull=True):
            current.setdefault(rule.day_of_week, []).append(rule)
    rules: list[ScheduleRule] = []
    for dow in range(7):
        day = weekly.get(dow) or day_hours_from_rules(current.get(dow, []))
        day = _valid_day(day, f"day_{dow}")
        rules.extend(day.rules(inbox, day_of_week=dow))
    for when, (day, note) in sorted((exceptions or {}).items()):
        day = _valid_day(day, f"exception_{when.isoformat()}")
        rules.extend(day.rules(inbox, date=when, note=note[:255]))
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    existing = ScheduleRule.objects.filter(inbox=inbox)
    if exceptions is None:
        existing = existing.filter(date__isnull=True)
        rules = [r for r in rules if r.date is None]
    existing.delete()
    ScheduleRule.objects.bulk_create(rules)
    if enabled is not None and inbox.working_hours_enabled != enabled:
        inbox.working_hours_enabled = enabled
        inbox.save(update_fields=["working_hours_enabled", "updated_at"])
    inbox_events.inbox_updated(inbox=inbox, actor=actor)
    return inbox


@transaction.atomic
def inbox_exception_set(
    *,
    account: Account,
    actor: AccountUser | None,
    inbox: Inbox,
    when: date,
    day: DayHours,
    note: str = "",
) -> None:
    """Adds or replaces the exception of one date."""
    require_admin(actor, account)
    _check_inbox(inbox, account)
    day = _valid_day(day, "exception")
    ScheduleRule.objects.filter(inbox=inbox, date=when).delete()
    ScheduleRule.objects.bulk_create(day.rules(inbox, date=when, note=(note or "")[:255]))
    inbox_events.inbox_updated(inbox=inbox, actor=actor)


@transaction.atomic
def inbox_exception_remove(
    *, account: Account, actor: AccountUser | None, inbox: Inbox, when: date
) -> None:
    require_admin(actor, account)
    _check_inbox(inbox, account)
    ScheduleRule.objects.filter(inbox=inbox, date=when).delete()
    inbox_events.inbox_updated(inbox=inbox, actor=actor)
