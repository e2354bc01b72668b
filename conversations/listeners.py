"""What the conversations app does when other apps' events happen (after their commit).

When someone may take work — they came online, joined an inbox or a team, an inbox's capacity
grew, a team started auto-assigning, an agent left and their conversations were unassigned —
the waiting queue of the inboxes concerned is drained (in a task). When an agent leaves an
inbox, their open conversations there are unassigned (and so wait for someone else).
"""

from __future__ import annotations

from accounts import events as account_events
from inboxes import events as inbox_events
from inboxes.selectors import member_inbox_ids
from nexloo.core import events
from nexloo.core.tasks import enqueue
from teams import events as team_events


def _drain(inbox_ids) -> None:
    from conversations.tasks import drain_assignment_queue

    for inbox_id in sorted(set(inbox_ids)):
        enqueue(drain_assignment_queue, inbox_id)


def on_presence(event: events.Event) -> None:
    from accounts.models import AccountUser

    for user_id, status in event.data.get("users", {}).items():
        if status != "online":
            continue
        membership = AccountUser.objects.filter(
            account_id=event.account_id, user_id=int(user_id)
        ).first()
        if membership is not None:
            _drain(member_inbox_ids(account_user_id=membership.pk))


def on_inbox_change(event: events.Event) -> None:
    _drain([event.data["id"]])


def on_team_members(event: events.Event) -> None:
    from accounts.models import AccountUser

    if not event.data.get("added_user_ids"):
        return
    members = AccountUser.objects.filter(
        account_id=event.account_id, user_id__in=event.data["added_user_ids"]
    )
    inbox_ids: list[int] = []
    for membership in members:
        inbox_ids.extend(member_inbox_ids(account_user_id=membership.pk))
    _drain(inbox_ids)


def on_inbox_members(event: events.Event) -> None:
    from conversations.services.assignment import unassign_departed

    removed = event.data.get("removed_user_ids") or []
    if removed:
        unassign_departed(account_id=event.account_id, inbox_id=event.data["id"], user_ids=removed)
    _drain([event.data["id"]])


def on_account_wide_change(event: events.Event) -> None:
    """A team changed or went away, or an agent left the account (their conversations were
    unassigned by the database): every queue of the account may move."""
    from inboxes.models import Inbox

    _drain(Inbox.objects.filter(account_id=event.account_id).values_list("pk", flat=True))


def on_any(event: events.Event) -> None:
    from conversations.selectors import bump_version

    bump_version(event.account_id)


def connect() -> None:
    events.subscribe(events.ALL)(on_any)
    events.subscribe(account_events.PRESENCE_UPDATE)(on_presence)
    events.subscribe(inbox_events.INBOX_UPDATED)(on_inbox_change)
    events.subscribe(inbox_events.INBOX_MEMBERS_CHANGED)(on_inbox_members)
    events.subscribe(team_events.TEAM_MEMBERS_CHANGED)(on_team_members)
    events.subscribe(
        team_events.TEAM_UPDATED, team_events.TEAM_DELETED, account_events.ACCOUNT_USER_REMOVED
    )(on_account_wide_change)
