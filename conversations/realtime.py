"""Pushes the account's events to the browsers that may see them.

Listens to every event after commit and resolves its audience to users — the account's
administrators, the members of the event's inbox, the users it names — then hands the frame
and its recipients to the publisher (which never blocks on Redis). Computing recipients per event
means a membership change takes effect on the next event, with no socket to re-subscribe.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from accounts.models import AccountUser, Role
from nexloo.core import events, realtime

logger = logging.getLogger(__name__)


def _everyone(account_id: int) -> set[int]:
    return set(
        AccountUser.objects.for_account(account_id).accepted().values_list("user_id", flat=True)
    )


def _read_audiences(account_id: int, inbox_ids: set[int]) -> dict:
    """The account's administrators and the members of `inbox_ids`, in one query."""
    admins: set[int] = set()
    members: dict[int, set[int]] = {inbox_id: set() for inbox_id in inbox_ids}
    rows = (
        AccountUser.objects.for_account(account_id)
        .accepted()
        .filter(Q(role=Role.ADMINISTRATOR) | Q(inbox_memberships__inbox_id__in=inbox_ids))
        .values_list("user_id", "role", "inbox_memberships__inbox_id")
    )
    for user_id, role, inbox_id in rows:
        if role == Role.ADMINISTRATOR:
            admins.add(user_id)
        if inbox_id in members:
            members[inbox_id].add(user_id)
    return {"admins": admins, "members": members}


def recipients(event: events.Event) -> set[int]:
    """The users who may see the event live: the account's administrators, the members of the
    event's inbox, the users it names. Read once per commit: the events of one transaction (a
    new contact, its conversation, the first message) share one query, which also reads the
    members of every inbox those events concern."""
    users = set(event.user_ids)
    if event.everyone:
        return users | _everyone(event.account_id)
    if not event.admins and event.inbox_id is None:
        return users
    memo = events.batch_memo()
    key = ("audiences", event.account_id)
    known = memo.get(key)
    if known is None or (event.inbox_id is not None and event.inbox_id not in known["members"]):
        inbox_ids = {
            e.inbox_id
            for e in events.batch_events()
            if e.account_id == event.account_id and e.inbox_id is not None
        }
        if event.inbox_id is not None:
            inbox_ids.add(event.inbox_id)
        known = memo[key] = _read_audiences(event.account_id, inbox_ids)
    if event.admins:
        users |= known["admins"]
    if event.inbox_id is not None:
        users |= known["members"][event.inbox_id]
    return users


def push(event: events.Event) -> None:
    users = recipients(event)
    frame = realtime.frame(event.name, event.data, event.account_id)
    frame["performer"] = event.performer.as_dict() if event.performer else None
    frame["event_id"] = event.id
    realtime.publish_to_users(event.account_id, users, frame)


def connect() -> None:
    events.subscribe(events.ALL)(push)
