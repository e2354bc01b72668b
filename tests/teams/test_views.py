"""Configurações → Times, in Portuguese: list, create, edit (with members), delete with
confirmation; and the "Departamento" of the agent form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AccountUser
from teams.models import Team, TeamMember
from tests.factories import AccountUserFactory
from tests.factories_inboxes import TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def url(name, account, team=None):
    args = [account.pk] if team is None else [account.pk, team.pk]
    return reverse(f"teams:{name}", args=args)


def checked(html: str, name: str) -> set[str]:
    tags = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', html)
    found = set()
    for tag in tags:
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            found.add(value.group(1) if value else "on")  # a lone box posts "on"
    return found


def checkbox_labels(html: str, name: str) -> list[str]:
    """The visible labels of the checkboxes called `name`, in page order."""
    return [
        re.sub(r"\s+", " ", label).strip()
        for label in re.findall(
            rf'<input type="checkbox" name="{name}"[^>]*>\s*(?:<span>)?([^<]*)', html
        )
    ]


def member_user_ids(team) -> set[int]:
    return set(TeamMember.objects.filter(team=team).values_list("account_user__user_id", flat=True))


@pytest.fixture
def team(account):
    return TeamFactory(
        account=account,
        name="Comercial",
        description="Vendas e orçamentos",
        routing_message="Um vendedor já vai te atender.",
    )


def team_form(**overrides) -> dict:
    data = {
        "name": "Recepção",
        "description": "Primeiro atendimento",
        "routing_message": "Olá! A recepção já vai te atender.",
        "allow_auto_assign": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestList:
    def test_lists_teams_in_portuguese(self, login, account, admin, agent, team):
        TeamFactory(account=account, name="Recepção", allow_auto_assign=False)
        TeamFactory(name="De outra conta")
        TeamMemberFactory(team=team, account_user=agent)
        html = login(admin).get(url("list", account)).content.decode()
        for label in ("Times/Departamentos", "Criar novo time", "Mensagem de direcionamento"):
            assert label in html
        assert re.findall(r'data-team="([^"]+)"', html) == ["Comercial", "Recepção"]
        comercial = re.search(r'data-team="Comercial".*?</tr>', html, re.S).group(0)
        assert "Vendas e orçamentos" in comercial
        assert "Um vendedor já vai te atender." in comercial
        assert ">1<" in comercial and "Ativada" in comercial
        assert "Desativada" in re.search(r'data-team="Recepção".*?</tr>', html, re.S).group(0)

    def test_empty_list_invites_to_create(self, login, account, admin):
        html = login(admin).get(url("list", account)).content.decode()
        assert "Nenhum time ainda" in html and url("new", account) in html

    def test_query_count_does_not_grow(self, login, account, admin, django_assert_num_queries):
        def add_teams(n):
            for _ in range(n):
                team = TeamFactory(account=account)
                TeamMemberFactory(team=team, account_user=AccountUserFactory(account=account))

        client = login(admin)
        add_teams(2)
        client.get(url("list", account))  # the first visit also stores the account in the session
        with django_assert_num_queries(5):
            assert client.get(url("list", account)).status_code == 200
        add_teams(15)
        with django_assert_num_queries(5):
            html = client.get(url("list", account)).content.decode()
        assert html.count("data-team=") == 17

    def test_sidebar_leads_here(self, login, account, admin):
        html = login(admin).get(reverse("settings_agents", args=[account.pk])).content.decode()
        assert re.search(rf'<a class="nav-link" href="{url("list", account)}"[^>]*>Times</a>', html)


class TestCreate:
    def test_form_has_the_article_fields(self, login, account, admin, agent):
        html = login(admin).get(url("new", account)).content.decode()
        for label in (
            "Criar novo time",
            "Nome do time",
            "Descrição",
            "Mensagem de direcionamento",
            "Permitir atribuição automática",
        ):
            assert label in html
        assert checked(html, "allow_auto_assign") == {"on"}  # ticked by default
        assert checkbox_labels(html, "members") == [
            "Ana Administradora (Administrador)",
            "Sofia Secretária (Agente)",
        ]

    def test_create_with_members(self, login, account, admin, agent):
        colleague = AccountUserFactory(account=account)
        response = login(admin).post(
            url("new", account), team_form(members=[agent.pk]), follow=True
        )
        assert response.redirect_chain[-1][0] == url("list", account)
        assert "Time Recepção criado." in response.content.decode()
        team = Team.objects.get(account=account)
        assert (team.name, team.description, team.routing_message, team.allow_auto_assign) == (
            "Recepção",
            "Primeiro atendimento",
            "Olá! A recepção já vai te atender.",
            True,
        )
        assert member_user_ids(team) == {agent.user_id}
        assert colleague.user_id not in member_user_ids(team)

    def test_unticked_auto_assign_is_stored_off(self, login, account, admin):
        login(admin).post(url("new", account), team_form(allow_auto_assign=None))
        assert Team.objects.get(account=account).allow_auto_assign is False

    def test_duplicate_name_shows_the_error_and_keeps_the_input(
        self, login, account, admin, agent, team
    ):
        response = login(admin).post(
            url("new", account), team_form(name="COMERCIAL", members=[agent.pk])
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "Já existe um time chamado COMERCIAL." in html
        assert "Primeiro atendimento" in html and checked(html, "members") == {str(agent.pk)}
        assert Team.objects.filter(account=account).count() == 1

    def test_missing_name(self, login, account, admin):
        response = login(admin).post(url("new", account), team_form(name=""))
        assert response.status_code == 422
        assert "Este campo é obrigatório." in response.content.decode()
        assert not Team.objects.exists()

    def test_someone_of_another_account_cannot_be_slipped_in(self, login, account, admin, outsider):
        response = login(admin).post(url("new", account), team_form(members=[outsider.pk]))
        assert response.status_code == 422
        assert not Team.objects.exists()


class TestEdit:
    def test_shows_the_current_values_and_members(self, login, account, admin, agent, team):
        TeamMemberFactory(team=team, account_user=agent)
        html = login(admin).get(url("edit", account, team)).content.decode()
        assert "Editar Comercial" in html
        assert 'value="Comercial"' in html and "Um vendedor já vai te atender." in html
        assert checked(html, "members") == {str(agent.pk)}

    def test_save_changes_fields_and_members_together(self, login, account, admin, agent, team):
        carla = AccountUserFactory(account=account)
        TeamMemberFactory(team=team, account_user=agent)
        response = login(admin).post(
            url("edit", account, team),
            team_form(name="Vendas", routing_message="Novo texto", members=[carla.pk]),
            follow=True,
        )
        assert "Time Vendas salvo." in response.content.decode()
        team.refresh_from_db()
        assert (team.name, team.routing_message) == ("Vendas", "Novo texto")
        assert member_user_ids(team) == {carla.user_id}

    def test_refused_rename_changes_nothing_not_even_members(
        self, login, account, admin, agent, team
    ):
        TeamFactory(account=account, name="Recepção")
        TeamMemberFactory(team=team, account_user=agent)
        response = login(admin).post(
            url("edit", account, team), team_form(name="recepção", members=[admin.pk])
        )
        assert response.status_code == 422
        assert "Já existe um time chamado recepção." in response.content.decode()
        team.refresh_from_db()
        assert team.name == "Comercial"
        assert member_user_ids(team) == {agent.user_id}


class TestDelete:
    def test_asks_first_then_deletes(self, login, account, admin, team):
        client = login(admin)
        page = client.get(url("delete", account, team)).content.decode()
        assert "Remover este time?" in page and "Comercial" in page
        assert Team.objects.filter(pk=team.pk).exists()
        response = client.post(url("delete", account, team), follow=True)
        assert response.redirect_chain[-1][0] == url("list", account)
        assert "Time Comercial removido." in response.content.decode()
        assert not Team.objects.filter(pk=team.pk).exists()

    def test_the_list_offers_a_confirmation_dialog_per_team(self, login, account, admin, team):
        html = login(admin).get(url("list", account)).content.decode()
        dialog = re.search(rf'<dialog id="delete-team-{team.pk}".*?</dialog>', html, re.S).group(0)
        assert "Remover este time?" in dialog
        assert f'action="{url("delete", account, team)}"' in dialog
        assert f'data-dialog="delete-team-{team.pk}"' in html


@pytest.mark.parametrize("page", ["edit", "delete"])
def test_another_accounts_team_is_404_for_an_admin(login, account, admin, other_account, page):
    foreign = TeamFactory(account=other_account, name="Deles")
    client = login(admin)
    assert client.get(url(page, account, foreign)).status_code == 404
    assert client.post(url(page, account, foreign), team_form()).status_code == 404
    assert Team.objects.get(pk=foreign.pk).name == "Deles"


@pytest.mark.parametrize("page", ["list", "new", "edit", "delete"])
def test_another_accounts_user_gets_404_and_agents_403(login, account, outsider, agent, team, page):
    target = url(page, account) if page in ("list", "new") else url(page, account, team)
    assert login(outsider).get(target).status_code == 404
    assert login(outsider).post(target, team_form(name="Invasão")).status_code == 404
    assert login(agent).get(target).status_code == 403
    assert login(agent).post(target, team_form(name="Invasão")).status_code == 403
    assert list(Team.objects.values_list("name", flat=True)) == ["Comercial"]


class TestDepartmentOnTheAgentForm:
    def test_shows_the_teams_as_checkboxes(self, login, account, admin, team):
        TeamFactory(account=account, name="Recepção")
        TeamFactory(name="De outra conta")
        html = login(admin).get(reverse("settings_agent_new", args=[account.pk])).content.decode()
        assert "Departamento" in html
        assert checkbox_labels(html, "teams") == ["Comercial", "Recepção"]

    def test_without_teams_it_says_where_to_create_them(self, login, account, admin):
        html = login(admin).get(reverse("settings_agent_new", args=[account.pk])).content.decode()
        assert "Departamento" in html
        assert "Nenhum time ainda. Crie-os em Configurações → Times" in html
        assert checkbox_labels(html, "teams") == []

    def test_adding_an_agent_puts_them_in_the_ticked_teams(
        self, login, account, admin, team, on_commit
    ):
        recepcao = TeamFactory(account=account, name="Recepção")
        TeamFactory(account=account, name="Suporte")
        with on_commit():
            response = login(admin).post(
                reverse("settings_agent_new", args=[account.pk]),
                {
                    "name": "Sofia Secretária",
                    "email": "sofia@exemplo.com.br",
                    "role": "agent",
                    "teams": [recepcao.pk, team.pk],
                },
            )
        assert response.status_code == 302
        sofia = AccountUser.objects.get(account=account, user__email="sofia@exemplo.com.br")
        teams = set(
            TeamMember.objects.filter(account_user=sofia).values_list("team__name", flat=True)
        )
        assert teams == {"Recepção", "Comercial"}

    def test_editing_an_agent_shows_and_changes_their_teams(
        self, login, account, admin, agent, team
    ):
        recepcao = TeamFactory(account=account, name="Recepção")
        TeamMemberFactory(team=team, account_user=agent)
        edit = reverse("settings_agent_edit", args=[account.pk, agent.user_id])
        client = login(admin)
        assert checked(client.get(edit).content.decode(), "teams") == {str(team.pk)}
        response = client.post(
            edit, {"name": agent.user.name, "role": "agent", "teams": [recepcao.pk]}
        )
        assert response.status_code == 302
        assert set(
            TeamMember.objects.filter(account_user=agent).values_list("team_id", flat=True)
        ) == {recepcao.pk}

    def test_another_accounts_team_cannot_be_ticked(self, login, account, admin, other_account):
        foreign = TeamFactory(account=other_account)
        response = login(admin).post(
            reverse("settings_agent_new", args=[account.pk]),
            {"name": "X", "email": "x@exemplo.com.br", "role": "agent", "teams": [foreign.pk]},
        )
        assert response.status_code == 422
        assert not AccountUser.objects.filter(user__email="x@exemplo.com.br").exists()
        assert not TeamMember.objects.filter(team=foreign).exists()
