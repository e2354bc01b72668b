"""Services and selectors of the teams app: teams (departamentos) and their members."""

from __future__ import annotations

import pytest

from nexloo.core.errors import NotFound, PermissionDenied, ValidationError
from teams import selectors, services
from teams.models import Team, TeamMember
from tests.factories import AccountUserFactory
from tests.factories_inboxes import TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def member_user_ids(team) -> set[int]:
    return set(TeamMember.objects.filter(team=team).values_list("account_user__user_id", flat=True))


@pytest.fixture
def people(account):
    return [AccountUserFactory(account=account) for _ in range(3)]


@pytest.fixture
def team(account):
    return TeamFactory(account=account, name="Comercial", routing_message="Olá!")


class TestTeamCreate:
    def test_creates_with_members_and_emits_on_commit(
        self, account, admin, people, recorded_events, on_commit
    ):
        with on_commit():
            team = services.team_create(
                account=account,
                actor=admin,
                name="  Recepção ",
                description=" Primeiro atendimento ",
                routing_message=" Olá! Você está falando com a recepção. ",
                allow_auto_assign=True,
                member_user_ids=[people[0].user_id],
            )
            assert recorded_events == []
        team.refresh_from_db()
        assert (team.name, team.description, team.routing_message, team.allow_auto_assign) == (
            "Recepção",
            "Primeiro atendimento",
            "Olá! Você está falando com a recepção.",
            True,
        )
        assert member_user_ids(team) == {people[0].user_id}
        assert [e.name for e in recorded_events] == ["team.created", "team.members_changed"]
        assert recorded_events[1].data["added_user_ids"] == [people[0].user_id]

    def test_name_is_unique_per_account_whatever_the_case(self, account, admin, team):
        with pytest.raises(ValidationError) as exc:
            services.team_create(account=account, actor=admin, name=" comercial ")
        assert exc.value.message_dict == {"name": ["Já existe um time chamado comercial."]}
        assert Team.objects.filter(account=account).count() == 1

    def test_the_same_name_is_fine_in_another_account(self, team, other_account, outsider):
        other = services.team_create(account=other_account, actor=outsider, name="COMERCIAL")
        assert other.account == other_account
        assert Team.objects.filter(name__iexact="comercial").count() == 2

    def test_blank_name_is_refused(self, account, admin):
        with pytest.raises(ValidationError) as exc:
            services.team_create(account=account, actor=admin, name="   ")
        assert "name" in exc.value.message_dict
        assert not Team.objects.exists()

    def test_members_of_another_account_are_refused_and_nothing_is_created(
        self, account, admin, people, outsider, recorded_events, on_commit
    ):
        with on_commit(), pytest.raises(ValidationError) as exc:
            services.team_create(
                account=account,
                actor=admin,
                name="Recepção",
                member_user_ids=[people[0].user_id, outsider.user_id],
            )
        assert "user_ids" in exc.value.message_dict
        assert not Team.objects.filter(account=account).exists()
        assert recorded_events == []

    def test_agents_and_other_accounts_may_not_create(self, account, agent, outsider):
        with pytest.raises(PermissionDenied):
            services.team_create(account=account, actor=agent, name="X")
        with pytest.raises(NotFound):
            services.team_create(account=account, actor=outsider, name="X")
        assert not Team.objects.exists()


class TestTeamUpdate:
    def test_updates_and_emits(self, account, admin, team, recorded_events, on_commit):
        with on_commit():
            services.team_update(
                account=account,
                actor=admin,
                team=team,
                name="Vendas",
                routing_message="Um vendedor já vai te atender.",
                allow_auto_assign=False,
            )
        team.refresh_from_db()
        assert (team.name, team.routing_message, team.allow_auto_assign) == (
            "Vendas",
            "Um vendedor já vai te atender.",
            False,
        )
        assert [(e.name, e.data["name"]) for e in recorded_events] == [("team.updated", "Vendas")]

    def test_renaming_to_its_own_name_in_another_case_is_fine(self, account, admin, team):
        services.team_update(account=account, actor=admin, team=team, name="COMERCIAL")
        team.refresh_from_db()
        assert team.name == "COMERCIAL"

    def test_taking_another_teams_name_is_refused_and_nothing_changes(self, account, admin, team):
        other = TeamFactory(account=account, name="Recepção")
        with pytest.raises(ValidationError) as exc:
            services.team_update(
                account=account, actor=admin, team=other, name="comercial", description="x"
            )
        assert "name" in exc.value.message_dict
        other.refresh_from_db()
        assert (other.name, other.description) == ("Recepção", "")

    def test_fields_and_members_together_all_or_nothing(
        self, account, admin, team, people, outsider
    ):
        services.team_update(
            account=account,
            actor=admin,
            team=team,
            name="Vendas",
            member_user_ids=[people[0].user_id, people[1].user_id],
        )
        assert member_user_ids(team) == {people[0].user_id, people[1].user_id}
        with pytest.raises(ValidationError):
            services.team_update(
                account=account,
                actor=admin,
                team=team,
                name="Outro nome",
                member_user_ids=[people[2].user_id, outsider.user_id],
            )
        team.refresh_from_db()
        assert team.name == "Vendas"
        assert member_user_ids(team) == {people[0].user_id, people[1].user_id}

    def test_unknown_fields_are_refused(self, account, admin, team):
        with pytest.raises(ValidationError) as exc:
            services.team_update(account=account, actor=admin, team=team, account_id=99)
        assert "account_id" in exc.value.message_dict

    def test_another_accounts_team_is_not_found(self, account, admin, other_account):
        foreign = TeamFactory(account=other_account, name="Deles")
        with pytest.raises(NotFound):
            services.team_update(account=account, actor=admin, team=foreign, name="Nosso")
        foreign.refresh_from_db()
        assert foreign.name == "Deles"

    def test_agents_may_not_update(self, account, agent, team):
        with pytest.raises(PermissionDenied):
            services.team_update(account=account, actor=agent, team=team, name="X")


class TestTeamDelete:
    def test_deletes_with_members(self, account, admin, team, people, recorded_events, on_commit):
        TeamMemberFactory(team=team, account_user=people[0])
        team_id = team.pk
        with on_commit():
            services.team_delete(account=account, actor=admin, team=team)
        assert not Team.objects.filter(pk=team_id).exists()
        assert not TeamMember.objects.filter(account_user=people[0]).exists()
        assert [(e.name, e.data) for e in recorded_events] == [
            ("team.deleted", {"id": team_id, "name": "Comercial"})
        ]

    def test_agents_and_other_accounts_may_not_delete(self, account, agent, outsider, team):
        with pytest.raises(PermissionDenied):
            services.team_delete(account=account, actor=agent, team=team)
        with pytest.raises(NotFound):
            services.team_delete(account=outsider.account, actor=outsider, team=team)
        assert Team.objects.filter(pk=team.pk).exists()


class TestTeamMembers:
    def test_add_set_remove(self, account, admin, team, people, recorded_events, on_commit):
        first, second, third = people
        with on_commit():
            services.team_members_add(
                account=account, actor=admin, team=team, user_ids=[first.user_id, second.user_id]
            )
            services.team_members_add(
                account=account, actor=admin, team=team, user_ids=[second.user_id]
            )
        assert member_user_ids(team) == {first.user_id, second.user_id}
        assert len(recorded_events) == 1  # adding someone already there tells nobody
        assert sorted(recorded_events[0].data["added_user_ids"]) == sorted(
            [first.user_id, second.user_id]
        )

        recorded_events.clear()
        with on_commit():
            services.team_members_set(
                account=account, actor=admin, team=team, user_ids=[second.user_id, third.user_id]
            )
        assert member_user_ids(team) == {second.user_id, third.user_id}
        assert (
            recorded_events[0].data["added_user_ids"],
            recorded_events[0].data["removed_user_ids"],
        ) == ([third.user_id], [first.user_id])
        assert recorded_events[0].user_ids == {first.user_id, third.user_id}

        recorded_events.clear()
        with on_commit():
            services.team_members_remove(
                account=account, actor=admin, team=team, user_ids=[third.user_id, first.user_id]
            )
        assert member_user_ids(team) == {second.user_id}
        assert recorded_events[0].data["removed_user_ids"] == [third.user_id]

    @pytest.mark.parametrize(
        "operation",
        [services.team_members_add, services.team_members_set, services.team_members_remove],
    )
    def test_a_user_of_another_account_is_refused_and_nothing_changes(
        self, account, admin, team, people, outsider, operation, recorded_events, on_commit
    ):
        TeamMemberFactory(team=team, account_user=people[0])
        with on_commit(), pytest.raises(ValidationError) as exc:
            operation(
                account=account,
                actor=admin,
                team=team,
                user_ids=[people[1].user_id, outsider.user_id],
            )
        assert str(outsider.user_id) in exc.value.message_dict["user_ids"][0]
        assert member_user_ids(team) == {people[0].user_id}
        assert recorded_events == []

    def test_agents_may_not_change_members(self, account, agent, team):
        with pytest.raises(PermissionDenied):
            services.team_members_add(
                account=account, actor=agent, team=team, user_ids=[agent.user_id]
            )
        assert member_user_ids(team) == set()

    def test_another_accounts_team_is_not_found(self, account, admin, other_account, people):
        foreign = TeamFactory(account=other_account)
        with pytest.raises(NotFound):
            services.team_members_set(
                account=account, actor=admin, team=foreign, user_ids=[people[0].user_id]
            )
        assert member_user_ids(foreign) == set()


class TestAgentTeamsSet:
    def test_puts_the_agent_in_exactly_those_teams(
        self, account, admin, agent, team, recorded_events, on_commit
    ):
        recepcao = TeamFactory(account=account, name="Recepção")
        suporte = TeamFactory(account=account, name="Suporte")
        TeamMemberFactory(team=suporte, account_user=agent)
        with on_commit():
            services.agent_teams_set(
                account=account, actor=admin, membership=agent, teams=[team, recepcao]
            )
        assert set(selectors.team_ids_of(membership=agent)) == {team.pk, recepcao.pk}
        changed = sorted(
            (e.data["name"], e.data["added_user_ids"], e.data["removed_user_ids"])
            for e in recorded_events
        )
        assert changed == [
            ("Comercial", [agent.user_id], []),
            ("Recepção", [agent.user_id], []),
            ("Suporte", [], [agent.user_id]),
        ]

    def test_no_teams_takes_the_agent_out_of_all(self, account, admin, agent, team):
        TeamMemberFactory(team=team, account_user=agent)
        services.agent_teams_set(account=account, actor=admin, membership=agent, teams=[])
        assert selectors.team_ids_of(membership=agent) == []

    def test_other_teams_members_stay(self, account, admin, agent, team, people):
        TeamMemberFactory(team=team, account_user=people[0])
        services.agent_teams_set(account=account, actor=admin, membership=agent, teams=[team])
        assert member_user_ids(team) == {people[0].user_id, agent.user_id}

    def test_another_accounts_team_or_agent_is_not_found_and_nothing_changes(
        self, account, admin, agent, team, other_account, outsider
    ):
        foreign = TeamFactory(account=other_account)
        with pytest.raises(NotFound):
            services.agent_teams_set(
                account=account, actor=admin, membership=agent, teams=[team, foreign]
            )
        with pytest.raises(NotFound):
            services.agent_teams_set(
                account=account, actor=admin, membership=outsider, teams=[team]
            )
        assert selectors.team_ids_of(membership=agent) == []
        assert member_user_ids(team) == set()

    def test_agents_may_not_change_teams(self, account, agent, team):
        with pytest.raises(PermissionDenied):
            services.agent_teams_set(account=account, actor=agent, membership=agent, teams=[team])


class TestSelectors:
    def test_list_counts_members_and_says_who_is_a_member(
        self, account, agent, team, people, other_account
    ):
        recepcao = TeamFactory(account=account, name="Recepção")
        TeamFactory(account=other_account, name="Alheio")
        TeamMemberFactory(team=team, account_user=agent)
        TeamMemberFactory(team=team, account_user=people[0])
        rows = selectors.teams_list(membership=agent)
        assert [(t.name, t.members_count, t.is_member) for t in rows] == [
            ("Comercial", 2, True),
            ("Recepção", 0, False),
        ]
        assert selectors.team_get(membership=agent, team_id=recepcao.pk) == recepcao

    def test_team_get_is_not_found_for_another_account(self, admin, other_account):
        foreign = TeamFactory(account=other_account)
        for team_id in (foreign.pk, "abc", 0):
            with pytest.raises(NotFound):
                selectors.team_get(membership=admin, team_id=team_id)
