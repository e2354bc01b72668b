"""Events the teams app emits (on commit). Seen live by administrators and the members concerned."""

from __future__ import annotations

from accounts.events import performer_for
from accounts.models import AccountUser
from nexloo.core import events
from teams.models import Team

TEAM_CREATED = "team.created"
TEAM_UPDATED = "team.updated"
TEAM_DELETED = "team.deleted"
TEAM_MEMBERS_CHANGED = "team.members_changed"


def _snapshot(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "allow_auto_assign": team.allow_auto_assign,
    }


def team_changed(name: str, *, team: Team, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=name,
            account_id=team.account_id,
            data=_snapshot(team),
            performer=performer_for(actor),
        )
    )


def team_deleted(*, account_id: int, snapshot: dict, actor: AccountUser | None) -> None:
    events.emit(
        events.Event(
            name=TEAM_DELETED, account_id=account_id, data=snapshot, performer=performer_for(actor)
        )
    )


def members_changed(
    *, team: Team, actor: AccountUser | None, added: list[int], removed: list[int]
) -> None:
    events.emit(
        events.Event(
            name=TEAM_MEMBERS_CHANGED,
            account_id=team.account_id,
            data={**_snapshot(team), "added_user_ids": added, "removed_user_ids": removed},
            performer=performer_for(actor),
            user_ids=frozenset(added) | frozenset(removed),
        )
    )
