"""Pushes the account's events to the browsers that may see them.

Listens to every event after commit and resolves its audience to users — the account's
administrators, the members of the event's inbox, the users it names — then hands one frame
per user group to the publisher (which never blocks on Redis). Computing recipients per event
means a membership change takes effect on the next event, with no socket to re-subscribe.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from accounts.models import AccountUser, Role
from nexloo.core import events, realtime

logger = logging.getLogger(__name__)


def recipients(event: events.Event) -> set[int]:
    people = AccountUser.objects.filter(account_id=event.account_id)
    if not event.everyone:
        who = Q(pk__in=[])
        if event.admins:
            who |= Q(role=Role.ADMINISTRATOR)
        if event.inbox_id is not None:
            who |= Q(inbox_memberships__inbox_id=event.inbox_id)
        people = people.filter(who)
    users = set(people.values_list("user_id", flat=True).distinct())
    return users | set(event.user_ids)


def push(event: events.Event) -> None:
    users = recipients(event)
    frame = realtime.frame(event.name, event.data, event.account_id)
    frame["performer"] = event.performer.as_dict() if event.performer else None
    frame["event_id"] = event.id
    realtime.publish((realtime.user_group(event.account_id, uid) for uid in users), frame)


def connect() -> None:
    events.subscribe(events.ALL)(push)
