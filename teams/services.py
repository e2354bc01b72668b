"""Writes for teams (departamentos) and their members. Administrators only."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import memberships_for_user_ids, require_admin
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.validators import clean_name
from teams import events as team_events
from teams.models import Team, TeamMember

EDITABLE = {"name", "description", "routing_message", "allow_auto_assign"}


def _check_team(team: Team, account: Account) -> None:
    if team.account_id != account.pk:
        raise NotFound("team not found")


def _clean(account: Account, changes: dict, team: Team | None = None) -> dict:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if "name" in changes:
        name = clean_name(changes["name"])
        if not name:
            raise ValidationError({"name": _("Enter the team name.")})
        clash = Team.objects.for_account(account).filter(name__iexact=name)
        if team is not None:
            clash = clash.exclude(pk=team.pk)
        if clash.exists():
            raise ValidationError(
                {"name": _("There is already a team called %(name)s.") % {"name": name}}
            )
        changes["name"] = name
    for text in ("description", "routing_message"):
        if text in changes:
            changes[text] = (changes[text] or "").strip()
    return changes


def _save(team: Team) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise ValidationError(
            {"name": _("There is already a team called %(name)s.") % {"name": team.name}}
        ) from exc


@transaction.atomic
def team_create(
    *,
    account: Account,
    actor: AccountUser | None,
    name: str,
    description: str = "",
    routing_message: str = "",
    allow_auto_assign: bool = True,
    member_user_ids: Iterable[int] | None = None,
) -> Team:
    require_admin(actor, account)
    fields = _clean(
        account,
        {
            "name": name,
            "description": description,
            "routing_message": routing_message,
            "allow_auto_assign": allow_auto_assign,
        },
    )
    team = Team(account=account, **fields)
    _save(team)
    team_events.team_changed(team_events.TEAM_CREATED, team=team, actor=actor)
    if member_user_ids:
        team_members_set(account=account, actor=actor, team=team, user_ids=member_user_ids)
    return team


@transaction.atomic
def team_update(
    *,
    account: Account,
    actor: AccountUser | None,
    team: Team,
    member_user_ids: Iterable[int] | None = None,
    **changes,
) -> Team:
    """Changes the team's fields and, when `member_user_ids` is given, makes its members exactly
    those (the edit page saves both at once: all or nothing)."""
    require_admin(actor, account)
    _check_team(team, account)
    fields = _clean(account, changes, team=team)
    team = Team.objects.select_for_update().get(pk=team.pk)
    for field, value in fields.items():
        setattr(team, field, value)
    _save(team)
    team_events.team_changed(team_events.TEAM_UPDATED, team=team, actor=actor)
    if member_user_ids is not None:
        team_members_set(account=account, actor=actor, team=team, user_ids=member_user_ids)
    return team


@transaction.atomic
def team_delete(*, account: Account, actor: AccountUser | None, team: Team) -> None:
    """Deletes the team; its conversations keep their agent and lose the team."""
    require_admin(actor, account)
    _check_team(team, account)
    snapshot = {"id": team.pk, "name": team.name}
    team.delete()
    team_events.team_deleted(account_id=account.pk, snapshot=snapshot, actor=actor)


def _memberships(account: Account, user_ids: Iterable[int]) -> dict[int, AccountUser]:
    return {m.pk: m for m in memberships_for_user_ids(account, user_ids)}


def _apply(
    account: Account, actor, team: Team, add: set[int], remove: set[int], by_pk: dict
) -> None:
    if remove:
        TeamMember.objects.filter(team=team, account_user_id__in=remove).delete()
    TeamMember.objects.bulk_create(
        [TeamMember(account=account, team=team, account_user_id=pk) for pk in add],
        ignore_conflicts=True,  # two administrators ticking the same person at once
    )
    if add or remove:
        removed_users = list(
            AccountUser.objects.filter(pk__in=remove).values_list("user_id", flat=True)
        )
        team_events.members_changed(
            team=team,
            actor=actor,
            added=[by_pk[pk].user_id for pk in add if pk in by_pk],
            removed=removed_users,
        )


def _current(team: Team) -> set[int]:
    return set(TeamMember.objects.filter(team=team).values_list("account_user_id", flat=True))


@transaction.atomic
def team_members_add(
    *, account: Account, actor: AccountUser | None, team: Team, user_ids: Iterable[int]
) -> None:
    require_admin(actor, account)
    _check_team(team, account)
    wanted = _memberships(account, user_ids)
    _apply(account, actor, team, set(wanted) - _current(team), set(), wanted)


@transaction.atomic
def team_members_remove(
    *, account: Account, actor: AccountUser | None, team: Team, user_ids: Iterable[int]
) -> None:
    require_admin(actor, account)
    _check_team(team, account)
    wanted = _memberships(account, user_ids)
    _apply(account, actor, team, set(), set(wanted) & _current(team), wanted)


@transaction.atomic
def team_members_set(
    *, account: Account, actor: AccountUser | None, team: Team, user_ids: Iterable[int]
) -> None:
    """Makes the team's members exactly `user_ids`."""
    require_admin(actor, account)
    _check_team(team, account)
    wanted = _memberships(account, user_ids)
    current = _current(team)
    _apply(account, actor, team, set(wanted) - current, current - set(wanted), wanted)


@transaction.atomic
def agent_teams_set(
    *, account: Account, actor: AccountUser | None, membership: AccountUser, teams: Iterable[Team]
) -> None:
    """Puts one agent in exactly these teams (the "departamento" of the agent form)."""
    require_admin(actor, account)
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    wanted = {t.pk: t for t in teams}
    for team in wanted.values():
        _check_team(team, account)
    current = set(
        TeamMember.objects.filter(account_user=membership).values_list("team_id", flat=True)
    )
    by_pk = {membership.pk: membership}
    for team_id in set(wanted) - current:
        _apply(account, actor, wanted[team_id], {membership.pk}, set(), by_pk)
    for team in Team.objects.filter(pk__in=current - set(wanted)):
        _apply(account, actor, team, set(), {membership.pk}, by_pk)
