"""Reads for teams."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.models import Account, AccountUser
from nexloo.core.tenancy import get_or_not_found
from teams.models import Team, TeamMember


def teams_list(*, account: Account | int, membership: AccountUser | None = None) -> QuerySet[Team]:
    """The account's teams with `members_count`, and `is_member` for the asking membership."""
    qs = Team.objects.for_account(account).annotate(members_count=Count("members", distinct=True))
    if membership is not None:
        qs = qs.annotate(
            is_member=Exists(
                TeamMember.objects.filter(team=OuterRef("pk"), account_user=membership)
            )
        )
    return qs.order_by("name", "pk")


def team_get(
    *, account: Account | int, team_id: int | str, membership: AccountUser | None = None
) -> Team:
    return get_or_not_found(teams_list(account=account, membership=membership), pk=team_id)


def team_members(*, team: Team) -> QuerySet[AccountUser]:
    from accounts.selectors import agents_list

    return agents_list(account=team.account_id).filter(team_memberships__team=team)


def team_ids_of(*, membership: AccountUser) -> list[int]:
    return list(
        TeamMember.objects.filter(account_user=membership).values_list("team_id", flat=True)
    )
