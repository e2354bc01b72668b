"""Cenário 4, steps 3–4 in the browser, through the Portuguese UI only: the administrator
creates the inbox with the four agents as collaborators and the opening hours, then the teams
Recepção and Comercial with description, routing message, automatic assignment and members.

Every control is found by its label or role, so the test also proves the forms can be used
with a keyboard and a screen reader."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from inboxes.models import Inbox, InboxMember, ScheduleRule
from teams.models import Team, TeamMember
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, AccountUserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETARIA = "Sofia Secretária"
COMERCIAIS = ["Carla Comercial", "Caio Comercial", "Cecília Comercial"]
WEEKDAYS = ["Segunda-feira", "Terça-feira", "Quarta-feira", "Quinta-feira", "Sexta-feira"]


def snapshot(page, name: str) -> None:
    """A screenshot of a step, for a person to look at (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inboxes-teams-{name}.png"), full_page=True)


def open_settings(page, section: str) -> None:
    page.get_by_role("group", name="Configurações").get_by_role("link", name=section).click()


def set_day(page, day: str, mode: str, opens: str = "", closes: str = "") -> None:
    page.get_by_label(day, exact=True).select_option(label=mode)
    if opens:
        page.get_by_label(f"{day}, intervalo 1: abre às").fill(opens)
        page.get_by_label(f"{day}, intervalo 1: fecha às").fill(closes)


def create_team(page, name, description, routing_message, members) -> None:
    page.get_by_role("link", name="Criar novo time").first.click()
    expect(page.get_by_role("heading", name="Criar novo time")).to_be_visible()
    page.get_by_label("Nome do time").fill(name)
    page.get_by_label("Descrição").fill(description)
    page.get_by_label("Mensagem de direcionamento").fill(routing_message)
    auto_assign = page.get_by_label("Permitir atribuição automática")
    auto_assign.check()
    expect(auto_assign).to_be_checked()
    agents = page.get_by_role("group", name="Agentes")
    for person in members:
        agents.get_by_label(f"{person} (Agente)").check()
    snapshot(page, f"team-{name}")
    page.get_by_role("button", name="Criar time").click()
    expect(page.get_by_role("status")).to_contain_text(f"Time {name} criado.")


def test_admin_sets_up_the_inbox_and_the_teams(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda",
        admin_email="admin@cenario4.com.br",
        admin_name="Ana Administradora",
        password="Senha-do-admin-1",
    )
    account = new.account
    people = {
        name: AccountUserFactory(account=account, user__name=name)
        for name in [SECRETARIA, *COMERCIAIS]
    }
    assert all(p.user.check_password(PASSWORD) for p in people.values())

    page = new_page("admin")
    sign_in(page, live_server_url, "admin@cenario4.com.br", "Senha-do-admin-1")

    # Configurações → Caixas de Entrada → Adicionar Caixa de Entrada.
    open_settings(page, "Caixas de Entrada")
    expect(page.get_by_role("heading", name="Caixas de Entrada", exact=True)).to_be_visible()
    page.get_by_role("link", name="Adicionar Caixa de Entrada").first.click()
    page.get_by_label("Nome da caixa de entrada").fill("WhatsApp Cenário 4")
    page.get_by_label("Canal").select_option(label="API")
    expect(page.get_by_label("Fuso horário")).to_have_value("America/Sao_Paulo")
    snapshot(page, "inbox-new")
    page.get_by_role("button", name="Criar caixa de entrada").click()

    # Colaboradores: only the four agents, not the administrator.
    expect(page.get_by_role("status")).to_contain_text("Caixa de entrada criada")
    tabs = page.get_by_role("navigation", name="Seções da caixa de entrada")
    expect(tabs.get_by_role("link", name="Colaboradores")).to_have_attribute("aria-current", "page")
    collaborators = page.get_by_role("group", name="Colaboradores")
    for name in [SECRETARIA, *COMERCIAIS]:
        collaborators.get_by_label(f"{name} (Agente)").check()
    expect(collaborators.get_by_label("Ana Administradora (Administrador)")).not_to_be_checked()
    page.get_by_role("button", name="Salvar colaboradores").click()
    expect(page.get_by_role("status")).to_contain_text("Colaboradores salvos.")
    expect(
        page.get_by_role("group", name="Colaboradores").get_by_role("checkbox", checked=True)
    ).to_have_count(4)
    snapshot(page, "inbox-collaborators")

    # Horário de atendimento: Mon–Fri 08:30–17:00, Saturday 09:00–12:00, Sunday closed.
    tabs.get_by_role("link", name="Horário de atendimento").click()
    page.get_by_label("Ativar horário de atendimento").check()
    for day in WEEKDAYS:
        set_day(page, day, "Aberto entre", "08:30", "17:00")
    set_day(page, "Sábado", "Aberto entre", "09:00", "12:00")
    set_day(page, "Domingo", "Fechado o dia todo")
    page.get_by_role("button", name="Salvar horário de atendimento").click()
    expect(page.get_by_role("status")).to_contain_text("Horário de atendimento salvo.")
    expect(page.get_by_label("Ativar horário de atendimento")).to_be_checked()
    expect(page.get_by_label("Segunda-feira, intervalo 1: abre às")).to_have_value("08:30")
    expect(page.get_by_label("Sábado, intervalo 1: fecha às")).to_have_value("12:00")
    snapshot(page, "inbox-hours")

    # A holiday can be added and taken back; the week stays as it is.
    page.get_by_label("Data", exact=True).fill("2026-12-25")
    page.get_by_label("Nesta data").select_option(label="Fechado o dia todo")
    page.get_by_label("Descrição").fill("Natal")
    page.get_by_role("button", name="Adicionar exceção").click()
    expect(page.get_by_role("status")).to_contain_text("Exceção salva.")
    holiday = page.locator('li[data-exception="2026-12-25"]')
    expect(holiday).to_contain_text("25/12/2026")
    expect(holiday).to_contain_text("Fechado o dia todo")
    snapshot(page, "inbox-holiday")
    page.get_by_role("button", name="Remover a exceção de 25/12/2026").click()
    expect(page.get_by_role("status")).to_contain_text("Exceção removida.")
    expect(holiday).to_have_count(0)
    tabs.get_by_role("link", name="Configurações").click()
    expect(page.get_by_label("Nome da caixa de entrada")).to_have_value("WhatsApp Cenário 4")
    snapshot(page, "inbox-settings")

    # The list shows the inbox with its four collaborators and its hours switched on.
    open_settings(page, "Caixas de Entrada")
    row = page.locator('tr[data-inbox="WhatsApp Cenário 4"]')
    expect(row.get_by_role("cell").nth(2)).to_have_text("4")
    expect(row.get_by_text("Sempre aberta")).to_have_count(0)
    snapshot(page, "inbox-list")

    # Configurações → Times → Criar novo time: Recepção and Comercial.
    open_settings(page, "Times")
    expect(page.get_by_role("heading", name="Times/Departamentos")).to_be_visible()
    create_team(
        page,
        "Recepção",
        "Primeiro atendimento de todos os clientes",
        "Olá! Você está falando com a recepção da Cenário 4.",
        [SECRETARIA],
    )
    create_team(
        page,
        "Comercial",
        "Vendas e orçamentos",
        "Um de nossos vendedores já vai te atender.",
        COMERCIAIS,
    )
    expect(page.locator("tr[data-team]")).to_have_count(2)
    snapshot(page, "teams-list")

    # Deleting asks for confirmation first (a dialog on the list).
    create_team(page, "Temporário", "Para apagar", "", [])
    page.get_by_role("link", name="Remover Temporário").click()
    dialog = page.get_by_role("dialog", name="Remover este time?")
    expect(dialog).to_be_visible()
    snapshot(page, "team-delete-dialog")
    dialog.get_by_role("button", name="Cancelar").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("tr[data-team]")).to_have_count(3)
    page.get_by_role("link", name="Remover Temporário").click()
    dialog.get_by_role("button", name="Remover time").click()
    expect(page.get_by_role("status")).to_contain_text("Time Temporário removido.")
    expect(page.locator("tr[data-team]")).to_have_count(2)

    # Now that the teams exist, Adicionar Agente offers them as "Departamento".
    open_settings(page, "Agentes")
    page.get_by_role("link", name="Adicionar Agente").click()
    expect(page.get_by_text("Departamento", exact=True)).to_be_visible()
    for name in ("Comercial", "Recepção"):
        expect(page.get_by_role("checkbox", name=name, exact=True)).not_to_be_checked()
    snapshot(page, "agent-form-department")

    # What the pages stored.
    inbox = Inbox.objects.get(account=account)
    assert (inbox.name, inbox.channel_type, inbox.timezone) == (
        "WhatsApp Cenário 4",
        "api",
        "America/Sao_Paulo",
    )
    assert inbox.working_hours_enabled
    members = set(InboxMember.objects.filter(inbox=inbox).values_list("account_user", flat=True))
    assert members == {p.pk for p in people.values()}
    assert new.admin.pk not in members
    rules = sorted(
        (r.day_of_week, r.kind, r.start_minute, r.end_minute)
        for r in ScheduleRule.objects.filter(inbox=inbox)
    )
    assert rules == [
        (0, "closed_all_day", None, None),
        *[(day, "interval", 8 * 60 + 30, 17 * 60) for day in range(1, 6)],
        (6, "interval", 9 * 60, 12 * 60),
    ]

    teams = {t.name: t for t in Team.objects.filter(account=account)}
    assert set(teams) == {"Recepção", "Comercial"}
    assert teams["Recepção"].description == "Primeiro atendimento de todos os clientes"
    assert teams["Recepção"].routing_message == (
        "Olá! Você está falando com a recepção da Cenário 4."
    )
    assert teams["Comercial"].routing_message == "Um de nossos vendedores já vai te atender."
    assert all(t.allow_auto_assign for t in teams.values())

    def team_members(name):
        return set(
            TeamMember.objects.filter(team=teams[name]).values_list(
                "account_user__user__name", flat=True
            )
        )

    assert team_members("Recepção") == {SECRETARIA}
    assert team_members("Comercial") == set(COMERCIAIS)
