"""Reads for teams."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.models import AccountUser
from nexloo.core.tenancy import get_or_not_found
from teams.models import Team, TeamMember


def teams_by_name(*, membership: AccountUser) -> QuerySet[Team]:
    """The account's teams by name, without the list's member counts (for filters and menus)."""
    return Team.objects.for_account(membership.account_id).order_by("name", "pk")


def teams_list(*, membership: AccountUser) -> QuerySet[Team]:
    """The asking member's account's teams with `members_count`, and `is_member` for them."""
    return (
        Team.objects.for_account(membership.account_id)
        .annotate(
            members_count=Count("members", distinct=True),
            is_member=Exists(
                TeamMember.objects.filter(team=OuterRef("pk"), account_user=membership)
            ),
        )
        .order_by("name", "pk")
    )


def team_get(*, membership: AccountUser, team_id: int | str) -> Team:
    return get_or_not_found(teams_list(membership=membership), pk=team_id)


def team_members(*, team: Team) -> QuerySet[AccountUser]:
    from accounts.selectors import with_verified

    return with_verified(
        AccountUser.objects.filter(account_id=team.account_id, team_memberships__team=team)
    )


def team_ids_of(*, membership: AccountUser) -> list[int]:
    return list(
        TeamMember.objects.filter(account_user=membership).values_list("team_id", flat=True)
    )
