"""Reads for inboxes: lists, members, and whether an inbox is open."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, Max, Prefetch, Q, QuerySet

from accounts.models import AccountUser, Role
from accounts.selectors import shown_name_sql
from inboxes.business_hours import Schedule, is_open, next_opening
from inboxes.models import Inbox, InboxMember, ScheduleRule
from nexloo.core.errors import NotFound
from nexloo.core.tenancy import get_or_not_found


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
    return get_or_not_found(inboxes_list(membership=membership), pk=inbox_id)


def inbox_members(*, inbox: Inbox) -> QuerySet[AccountUser]:
    """The agents of an inbox, as account memberships (with `verified` like the agents list)."""
    from accounts.selectors import with_verified

    return with_verified(
        AccountUser.objects.filter(account_id=inbox.account_id, inbox_memberships__inbox=inbox)
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


def inbox_assignment_top(*, inbox_id: int) -> int:
    """The round robin position of whoever in the inbox was assigned last."""
    top = InboxMember.objects.filter(inbox_id=inbox_id).aggregate(top=Max("last_assigned_seq"))
    return top["top"] or 0


def is_assignable(*, inbox_id: int, membership: AccountUser) -> bool:
    """Who may be given a conversation of the inbox: its members and the administrators (who
    see every conversation without being members), as in Chatwoot."""
    if membership.is_administrator:
        return True
    # A request that has just looked the inbox up for this person (inbox_for_member, or a
    # conversation they see) asks no second time. Only such a look-up records it: a "yes" found
    # here is not kept, since the same object may outlive a change of membership.
    if membership.__dict__.get("_inbox_access", {}).get(inbox_id):
        return True
    return InboxMember.objects.filter(inbox_id=inbox_id, account_user=membership).exists()


def inbox_for_member(*, membership: AccountUser, inbox_id: int | str) -> Inbox:
    """An inbox the person works in (any inbox for an administrator), in one query and without
    the lists' extras (members count, business hours): for writes into it."""
    inbox = get_or_not_found(inboxes_visible_to(membership=membership), pk=inbox_id)
    membership.__dict__.setdefault("_inbox_access", {})[inbox.pk] = True
    return inbox


def assignable_members(*, membership: AccountUser, inbox: Inbox) -> QuerySet[AccountUser]:
    """Who may be given a conversation of the inbox (see is_assignable), for the pick lists of
    someone who works in it. Another account's inbox is NotFound; to an agent outside the inbox
    the list is empty (checked in the same query: the pages ask no more than before)."""
    if inbox.account_id != membership.account_id:
        raise NotFound("inbox not found")
    qs = AccountUser.objects.for_account(inbox.account_id).filter(
        Q(role=Role.ADMINISTRATOR) | Q(inbox_memberships__inbox_id=inbox.pk)
    )
    if not membership.is_administrator:
        qs = qs.filter(
            Exists(InboxMember.objects.filter(inbox_id=inbox.pk, account_user_id=membership.pk))
        )
    return qs.select_related("user").distinct().order_by(shown_name_sql())


def member_inbox_ids(*, account_user_id: int) -> list[int]:
    """The inboxes a person works in."""
    return list(
        InboxMember.objects.filter(account_user_id=account_user_id).values_list(
            "inbox_id", flat=True
        )
    )
