"""Events the inboxes app emits (on commit). Seen live by administrators, and by the agents a
membership change concerns (so their filters refresh)."""

from __future__ import annotations

from typing import Any

from accounts.events import performer_for
from accounts.models import AccountUser
from inboxes.models import Inbox
from nexloo.core import events

INBOX_CREATED = "inbox.created"
INBOX_UPDATED = "inbox.updated"
INBOX_DELETED = "inbox.deleted"
INBOX_MEMBERS_CHANGED = "inbox.members_changed"


def _snapshot(inbox: Inbox) -> dict[str, Any]:
    return {"id": inbox.pk, "name": inbox.name, "channel_type": inbox.channel_type}


def inbox_created(*, inbox: Inbox, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=INBOX_CREATED,
            account_id=inbox.account_id,
            data=_snapshot(inbox),
            performer=performer_for(actor),
        )
    )


def inbox_updated(*, inbox: Inbox, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=INBOX_UPDATED,
            account_id=inbox.account_id,
            data=_snapshot(inbox),
            performer=performer_for(actor),
            inbox_id=inbox.pk,
        )
    )


def inbox_deleted(*, account_id: int, snapshot: dict[str, Any], actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=INBOX_DELETED, account_id=account_id, data=snapshot, performer=performer_for(actor)
        )
    )


def members_changed(
    *,
    inbox: Inbox,
    actor: AccountUser | None,
    added: list[int] | None = None,
    removed: list[int] | None = None,
) -> None:
    added, removed = added or [], removed or []
    events.emit(
        events.Event(
            name=INBOX_MEMBERS_CHANGED,
            account_id=inbox.account_id,
            data={**_snapshot(inbox), "added_user_ids": added, "removed_user_ids": removed},
            performer=performer_for(actor),
            inbox_id=inbox.pk,
            user_ids=frozenset(added) | frozenset(removed),
        )
    )
