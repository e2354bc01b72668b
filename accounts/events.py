"""Events the accounts app emits (always on commit, through `nexloo.core.events`)."""

from __future__ import annotations

from typing import Any

from accounts.models import Account, AccountUser, Availability
from nexloo.core import events
from nexloo.core.events import Performer

ACCOUNT_UPDATED = "account.updated"
ACCOUNT_USER_CREATED = "account_user.created"
ACCOUNT_USER_UPDATED = "account_user.updated"
ACCOUNT_USER_REMOVED = "account_user.removed"
PRESENCE_UPDATE = "presence.update"

# What Chatwoot's server sends (its enum `online | offline | busy`; its published description
# says "available", which its code never sends). Input also accepts "available".
API_AVAILABILITY = {
    Availability.ONLINE: "online",
    Availability.BUSY: "busy",
    Availability.OFFLINE: "offline",
}


def performer_for(membership: AccountUser | None) -> Performer | None:
    if membership is None:
        return None
    return Performer(type="user", id=membership.user_id, name=membership.available_name)


def membership_snapshot(membership: AccountUser) -> dict[str, Any]:
    return {
        "id": membership.user_id,
        "account_id": membership.account_id,
        "role": membership.role,
        "availability_status": API_AVAILABILITY[membership.availability],
    }


def account_updated(*, account: Account, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=ACCOUNT_UPDATED,
            account_id=account.pk,
            data={"id": account.pk, "name": account.name, "locale": account.locale},
            performer=performer_for(actor),
            everyone=True,
        )
    )


def account_user_created(*, membership: AccountUser) -> None:
    events.emit(
        events.Event(
            name=ACCOUNT_USER_CREATED,
            account_id=membership.account_id,
            data=membership_snapshot(membership),
        )
    )


def account_user_updated(*, membership: AccountUser, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=ACCOUNT_USER_UPDATED,
            account_id=membership.account_id,
            data=membership_snapshot(membership),
            performer=performer_for(actor),
            user_ids=frozenset({membership.user_id}),
        )
    )


def account_user_removed(*, snapshot: dict[str, Any], actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=ACCOUNT_USER_REMOVED,
            account_id=snapshot["account_id"],
            data=snapshot,
            performer=performer_for(actor),
        )
    )


def presence_changed(*, membership: AccountUser, status: str | None = None) -> None:
    """Chatwoot's `presence.update`: the account's users see who is available. `status` is the
    effective availability when it differs from the chosen one (auto_offline)."""
    status = status or membership.availability
    events.emit(
        events.Event(
            name=PRESENCE_UPDATE,
            account_id=membership.account_id,
            data={
                "account_id": membership.account_id,
                "users": {str(membership.user_id): API_AVAILABILITY[status]},
            },
            performer=Performer(type="user", id=membership.user_id),
            everyone=True,
        )
    )
