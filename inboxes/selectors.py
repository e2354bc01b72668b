"""Reads for inboxes: lists, members, and whether an inbox is open."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import AccountUser
from inboxes.business_hours import Schedule, is_open, next_opening
from inboxes.models import Inbox, InboxMember, ScheduleRule
from nexloo.core.errors import NotFound


def inboxes_visible_to(*, membership: AccountUser) -> QuerySet[Inbox]:
    """Administrators see every inbox of the account; agents the inboxes they work in."""
    qs = Inbox.objects.for_account(membership.account_id)
    if not membership.is_administrator:
        # A subquery, not a join: filtering through `members` would also narrow the
        # `members_count` that inboxes_list annotates to the asking agent alone.
        qs = qs.filter(
            pk__in=InboxMember.objects.filter(account_user=membership).values("inbox_id")
        )
    return qs


def inboxes_list(*, membership: AccountUser) -> QuerySet[Inbox]:
    return (
        inboxes_visible_to(membership=membership)
        .annotate(members_count=Count("members", distinct=True))
        .prefetch_related(Prefetch("schedule_rules", queryset=ScheduleRule.objects.all()))
        .order_by("name", "pk")
    )


def inbox_get(*, membership: AccountUser, inbox_id: int | str) -> Inbox:
    try:
        return inboxes_list(membership=membership).get(pk=int(inbox_id))
    except (Inbox.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("inbox not found") from exc


def inbox_ids_of(*, membership: AccountUser) -> list[int]:
    return list(
        InboxMember.objects.for_account(membership.account_id)
        .filter(account_user=membership)
        .values_list("inbox_id", flat=True)
    )


def inbox_members(*, inbox: Inbox) -> QuerySet[AccountUser]:
    """The agents of an inbox, as account memberships (with `verified` like the agents list)."""
    from accounts.selectors import agents_list

    return agents_list(account=inbox.account_id).filter(inbox_memberships__inbox=inbox)


def member_user_ids(*, inbox_id: int) -> list[int]:
    return list(
        InboxMember.objects.filter(inbox_id=inbox_id).values_list(
            "account_user__user_id", flat=True
        )
    )


def schedule_of(inbox: Inbox) -> Schedule:
    """The inbox's business hours (uses prefetched rules when the inbox came from a list)."""
    return Schedule.from_rules(inbox.timezone, inbox.schedule_rules.all())


def inbox_is_open(inbox: Inbox, at: datetime) -> bool:
    """Open unless business hours are enabled and `at` falls outside them."""
    if not inbox.working_hours_enabled:
        return True
    return is_open(schedule_of(inbox), at)


def inbox_next_opening(inbox: Inbox, at: datetime) -> datetime | None:
    if not inbox.working_hours_enabled:
        return at
    return next_opening(schedule_of(inbox), at)
