"""`/api/v1/accounts/{id}/teams` and `teams/{id}/team_members`, with Chatwoot's paths and
payloads (plus our `routing_message` and `members_count`)."""

from __future__ import annotations

import pytest

from teams.models import Team, TeamMember
from tests.factories import AccountUserFactory
from tests.factories_inboxes import TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db

TEAM_KEYS = {
    "id",
    "name",
    "description",
    "allow_auto_assign",
    "routing_message",
    "account_id",
    "is_member",
    "members_count",
}


def teams_url(account, team_id=None):
    base = f"/api/v1/accounts/{account.pk}/teams"
    return f"{base}/{team_id}" if team_id else base


def team_members_url(account, team_id):
    return f"{teams_url(account, team_id)}/team_members"


def member_user_ids(team) -> set[int]:
    return set(TeamMember.objects.filter(team=team).values_list("account_user__user_id", flat=True))


@pytest.fixture
def team(account):
    return TeamFactory(
        account=account,
        name="Comercial",
        description="Vendas",
        routing_message="Um vendedor já vai te atender.",
    )


@pytest.fixture
def people(account):
    return [AccountUserFactory(account=account, user__name=f"Comercial {n}") for n in (1, 2, 3)]


class TestList:
    def test_an_array_of_teams_with_is_member(self, agent_api, account, agent, team, people):
        TeamFactory(account=account, name="Recepção", allow_auto_assign=False)
        TeamFactory(name="De outra conta")
        TeamMemberFactory(team=team, account_user=agent)
        TeamMemberFactory(team=team, account_user=people[0])
        body = agent_api.get(teams_url(account)).json()
        assert isinstance(body, list) and set(body[0]) == TEAM_KEYS
        assert [
            (t["name"], t["members_count"], t["is_member"], t["allow_auto_assign"]) for t in body
        ] == [("Comercial", 2, True, True), ("Recepção", 0, False, False)]
        assert body[0]["routing_message"] == "Um vendedor já vai te atender."
        assert body[0]["account_id"] == account.pk

    def test_query_count_does_not_grow(self, admin_api, account, django_assert_num_queries):
        def add_teams(n):
            for _ in range(n):
                team = TeamFactory(account=account)
                TeamMemberFactory(team=team, account_user=AccountUserFactory(account=account))

        add_teams(2)
        with django_assert_num_queries(2):
            assert len(admin_api.get(teams_url(account)).json()) == 2
        add_teams(10)
        with django_assert_num_queries(2):
            assert len(admin_api.get(teams_url(account)).json()) == 12


class TestCreate:
    def test_create(self, admin_api, account):
        response = admin_api.post(
            teams_url(account),
            {
                "name": "Recepção",
                "description": "Primeiro atendimento",
                "routing_message": "Olá! A recepção vai te atender.",
                "allow_auto_assign": True,
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        team = Team.objects.get(pk=body["id"], account=account)
        assert (team.name, team.description, team.routing_message, team.allow_auto_assign) == (
            "Recepção",
            "Primeiro atendimento",
            "Olá! A recepção vai te atender.",
            True,
        )
        assert body["members_count"] == 0 and body["is_member"] is False

    def test_name_is_unique_whatever_the_case(self, admin_api, account, team):
        response = admin_api.post(teams_url(account), {"name": "COMERCIAL"}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "name"
        assert Team.objects.filter(account=account).count() == 1

    def test_the_same_name_in_another_account_is_fine(self, outsider_api, outsider, team):
        response = outsider_api.post(teams_url(outsider.account), {"name": "Comercial"})
        assert response.status_code == 200, response.content
        assert Team.objects.filter(name="Comercial").count() == 2

    def test_name_is_required(self, admin_api, account):
        response = admin_api.post(teams_url(account), {"description": "x"}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "name"
        assert not Team.objects.exists()

    def test_agents_get_403(self, agent_api, account):
        assert agent_api.post(teams_url(account), {"name": "X"}, format="json").status_code == 403
        assert not Team.objects.exists()


class TestDetail:
    def test_get(self, admin_api, account, team):
        body = admin_api.get(teams_url(account, team.pk)).json()
        assert (body["id"], body["name"], body["description"]) == (team.pk, "Comercial", "Vendas")

    def test_patch(self, admin_api, account, team):
        response = admin_api.patch(
            teams_url(account, team.pk),
            {"routing_message": "Novo texto", "allow_auto_assign": False},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["routing_message"] == "Novo texto"
        team.refresh_from_db()
        assert (team.name, team.routing_message, team.allow_auto_assign) == (
            "Comercial",
            "Novo texto",
            False,
        )

    def test_patch_to_another_teams_name_is_422(self, admin_api, account, team):
        other = TeamFactory(account=account, name="Recepção")
        response = admin_api.patch(
            teams_url(account, other.pk), {"name": "comercial"}, format="json"
        )
        assert response.status_code == 422
        other.refresh_from_db()
        assert other.name == "Recepção"

    def test_delete(self, admin_api, account, team):
        assert admin_api.delete(teams_url(account, team.pk)).status_code == 200
        assert not Team.objects.filter(pk=team.pk).exists()
        assert admin_api.get(teams_url(account, team.pk)).status_code == 404

    @pytest.mark.parametrize("method", ["patch", "delete"])
    def test_agents_get_403(self, agent_api, account, agent, team, method):
        TeamMemberFactory(team=team, account_user=agent)
        response = getattr(agent_api, method)(
            teams_url(account, team.pk), {"name": "X"}, format="json"
        )
        assert response.status_code == 403
        team.refresh_from_db()
        assert team.name == "Comercial"

    def test_agents_may_read_a_team(self, agent_api, account, team):
        assert agent_api.get(teams_url(account, team.pk)).json()["name"] == "Comercial"

    @pytest.mark.parametrize("method", ["get", "patch", "delete"])
    def test_another_accounts_team_is_404_for_an_admin(
        self, admin_api, account, other_account, method
    ):
        foreign = TeamFactory(account=other_account, name="Deles")
        response = getattr(admin_api, method)(
            teams_url(account, foreign.pk), {"name": "X"}, format="json"
        )
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.name == "Deles"


class TestTeamMembers:
    def test_add_replace_remove_and_list(self, admin_api, account, team, people):
        first, second, third = people
        response = admin_api.post(
            team_members_url(account, team.pk),
            {"user_ids": [first.user_id, second.user_id]},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert isinstance(response.json(), list)
        assert sorted(a["id"] for a in response.json()) == sorted([first.user_id, second.user_id])

        response = admin_api.patch(
            team_members_url(account, team.pk),
            {"user_ids": [second.user_id, third.user_id]},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert member_user_ids(team) == {second.user_id, third.user_id}

        response = admin_api.delete(
            team_members_url(account, team.pk), {"user_ids": [second.user_id]}, format="json"
        )
        assert response.status_code == 200
        assert member_user_ids(team) == {third.user_id}

        body = admin_api.get(team_members_url(account, team.pk)).json()
        assert [(a["id"], a["name"]) for a in body] == [(third.user_id, "Comercial 3")]

    def test_query_count_does_not_grow(self, admin_api, account, team, django_assert_num_queries):
        for _ in range(2):
            TeamMemberFactory(team=team, account_user=AccountUserFactory(account=account))
        with django_assert_num_queries(3):
            assert len(admin_api.get(team_members_url(account, team.pk)).json()) == 2
        for _ in range(10):
            TeamMemberFactory(team=team, account_user=AccountUserFactory(account=account))
        with django_assert_num_queries(3):
            assert len(admin_api.get(team_members_url(account, team.pk)).json()) == 12

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_a_user_of_another_account_is_422_and_nothing_changes(
        self, admin_api, account, team, people, outsider, method
    ):
        TeamMemberFactory(team=team, account_user=people[0])
        response = getattr(admin_api, method)(
            team_members_url(account, team.pk),
            {"user_ids": [people[1].user_id, outsider.user_id]},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "user_ids"
        assert member_user_ids(team) == {people[0].user_id}

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_agents_get_403(self, agent_api, account, agent, team, method):
        TeamMemberFactory(team=team, account_user=agent)
        response = getattr(agent_api, method)(
            team_members_url(account, team.pk), {"user_ids": []}, format="json"
        )
        assert response.status_code == 403
        assert member_user_ids(team) == {agent.user_id}

    @pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
    def test_another_accounts_team_is_404_for_an_admin(
        self, admin_api, account, other_account, people, method
    ):
        foreign = TeamFactory(account=other_account)
        response = getattr(admin_api, method)(
            team_members_url(account, foreign.pk), {"user_ids": [people[0].user_id]}, format="json"
        )
        assert response.status_code == 404
        assert member_user_ids(foreign) == set()


ENDPOINTS = [
    ("get", "teams"),
    ("post", "teams"),
    ("get", "team"),
    ("patch", "team"),
    ("delete", "team"),
    ("get", "members"),
    ("post", "members"),
    ("patch", "members"),
    ("delete", "members"),
]


@pytest.mark.parametrize(("method", "endpoint"), ENDPOINTS)
def test_another_accounts_user_gets_404_everywhere(
    outsider_api, outsider, account, admin, team, method, endpoint
):
    TeamMemberFactory(team=team, account_user=admin)
    url = {
        "teams": teams_url(account),
        "team": teams_url(account, team.pk),
        "members": team_members_url(account, team.pk),
    }[endpoint]
    data = {"name": "Invasão", "user_ids": [outsider.user_id]}
    response = getattr(outsider_api, method)(url, data, format="json")
    assert response.status_code == 404
    team.refresh_from_db()
    assert team.name == "Comercial"
    assert member_user_ids(team) == {admin.user_id}
    assert Team.objects.filter(account=account).count() == 1
