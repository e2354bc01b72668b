"""Cenário 4, step 5 in the browser: the administrator builds the rule through the Portuguese UI
(Configurações → Automação → Adicionar Regra de Automação, Conversa Criada, Situação igual a
abertas, atribuir ao time Recepção); then a conversation created through the API goes to
Recepção and appears live on the secretária's screen — never via a comercial."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from automations import services as rule_services
from automations.models import AutomationRule
from conversations.models import Conversation, Message
from inboxes import services as inbox_services
from teams import services as team_services
from tests.e2e.conftest import ARTIFACTS, BUSY, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"


def test_admin_builds_the_rule_and_it_routes_a_new_conversation_live(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    account, admin = new.account, new.admin
    people = {}
    for login, name in [("secretaria", "Sofia Secretária"), ("comercial", "Carlos Comercial")]:
        user = account_services.user_create(
            email=f"{login}@c4.com.br", name=name, password=PASSWORD, verified=True
        ).user
        people[login] = account_services.account_user_add(
            account=account, user=user, role="agent", availability="online", auto_offline=False
        )
    # The inbox's own round robin is on: without the rule, the comercial could get it.
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp", enable_auto_assignment=True
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[m.user_id for m in people.values()]
    )
    reception = team_services.team_create(
        account=account,
        actor=admin,
        name="Recepção",
        routing_message="Olá! Você está falando com a Recepção.",
        member_user_ids=[people["secretaria"].user_id],
    )
    team_services.team_create(
        account=account,
        actor=admin,
        name="Comercial",
        member_user_ids=[people["comercial"].user_id],
    )

    page = new_page("admin")
    sign_in(page, live_server_url, "admin@c4.com.br", PASSWORD)
    page.get_by_role("link", name="Automação").click()
    expect(page.get_by_role("heading", name="Automação", exact=True)).to_be_visible()
    add = page.get_by_role("link", name="Adicionar Regra de Automação").first
    # The green button of the article.
    assert "btn-primary" in (add.get_attribute("class") or "")
    add.click()

    page.get_by_label("Nome da regra").fill("Tudo para a Recepção")
    page.get_by_label("Descrição").fill("Toda conversa nova vai primeiro para a secretária.")
    page.get_by_label("Evento").select_option(label="Conversa Criada")
    condition = page.locator("#conditions [data-row]").first
    expect(condition.get_by_label("Atributo")).to_have_value("status")
    expect(condition.get_by_label("Operador")).to_have_value("equal_to")
    # First a mistake: no value ticked. The error shows next to the row, nothing is saved.
    page.get_by_role("button", name="Criar regra").click()
    condition = page.locator("#conditions [data-row]").first
    expect(condition.locator(".errors")).to_contain_text("Escolha ou digite um valor.")
    assert not AutomationRule.objects.filter(account=account).exists()
    # The operators narrow to the attribute (an htmx partial replaces the row).
    condition.get_by_label("Atributo").select_option(label="Nome do contato")
    condition = page.locator("#conditions [data-row]").first
    expect(condition.get_by_label("Operador").locator("option")).to_contain_text(
        ["igual a", "diferente de", "contém", "não contém", "começa com"]
    )
    condition.get_by_label("Atributo").select_option(label="Situação")
    condition = page.locator("#conditions [data-row]").first
    expect(condition.get_by_label("Operador").locator("option")).to_have_text(
        ["igual a", "diferente de", "mudou"]
    )
    expect(condition.get_by_label("abertas")).to_be_visible()
    for status in ("pendentes", "resolvidas", "adiadas"):
        expect(condition.get_by_label(status)).to_be_visible()
    condition.get_by_label("abertas").check()
    # A second condition row comes and goes.
    page.get_by_role("button", name="Adicionar condição").click()
    expect(page.locator("#conditions [data-row]")).to_have_count(2)
    page.locator("#conditions [data-row]").nth(1).get_by_role(
        "button", name="Remover esta condição"
    ).click()
    expect(page.locator("#conditions [data-row]")).to_have_count(1)
    action = page.locator("#actions [data-row]").first
    expect(action.get_by_label("Ação", exact=True)).to_have_value("assign_team")
    action.get_by_label("Valor").select_option(label="Recepção")
    page.screenshot(path="test-artifacts/automation-builder.png", full_page=True)
    page.get_by_role("button", name="Criar regra").click()

    row = page.locator('tr[data-rule="Tudo para a Recepção"]')
    expect(row).to_contain_text("Conversa Criada")
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    page.screenshot(path="test-artifacts/automation-list.png", full_page=True)
    # On a phone, the builder's rows fold; the rule's own rows are there.
    page.set_viewport_size({"width": 390, "height": 844})
    row.get_by_role("link", name="Editar Tudo para a Recepção").click()
    expect(page.locator("#conditions [data-row]").first.get_by_label("abertas")).to_be_checked()
    page.screenshot(path="test-artifacts/automation-builder-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    rule = AutomationRule.objects.get(account=account)
    assert rule.conditions == [
        {
            "attribute_key": "status",
            "filter_operator": "equal_to",
            "values": ["open"],
            "query_operator": "and",
        }
    ]
    assert rule.actions == [{"action_name": "assign_team", "action_params": [reception.pk]}]

    # The secretária at her screen; an integration opens a conversation through the API.
    secretaria = new_page("secretaria")
    sign_in(secretaria, live_server_url, "secretaria@c4.com.br", PASSWORD)
    secretaria.get_by_role("link", name="Conversas").first.click()
    secretaria.get_by_role("link", name="Minhas").click()
    expect(secretaria.locator("[data-workspace]")).to_have_attribute("data-live", "true")
    secretaria.evaluate("window.__noReload = true")
    created = requests.post(
        f"{live_server_url}/api/v1/accounts/{account.pk}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650001"},
        headers={"api_access_token": new.api_access_token},
        timeout=10,
    )
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]

    arrived = secretaria.locator(f'.conv-row[data-conversation="{display_id}"]')
    expect(arrived).to_be_visible()
    assert secretaria.evaluate("window.__noReload") is True
    arrived.get_by_role("link").click()
    expect(secretaria.locator(".thread")).to_contain_text(
        "Atribuída ao time Recepção por Automação (Tudo para a Recepção)"
    )
    conversation = Conversation.objects.get(account=account, display_id=display_id)
    assert (conversation.team, conversation.assignee) == (reception, people["secretaria"])
    # It never visited the comercial on its way.
    assert not Message.objects.filter(
        conversation=conversation, content__contains="Carlos Comercial"
    ).exists()

    # The rule's page shows the run.
    page.goto(f"{live_server_url}/app/accounts/{account.pk}/settings/automation/{rule.pk}/")
    expect(page.locator("[data-runs]")).to_contain_text(f"#{display_id}")
    expect(page.locator("[data-runs]")).to_contain_text("assign_team:Recepção")


def test_the_builder_arrives_by_a_boosted_swap_and_a_busy_database_keeps_it(
    live_server_url, new_page, database_locked
):
    """The builder's and the list's forms are boosted. Clone brings the builder in by a swap
    (its script was not on the list page): its rows and its minutes field still work, a 422
    shows the errors next to their rows, and a save the database cannot take keeps the page,
    what was typed and the message in place; so does the switch on the list."""
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    account, admin = new.account, new.admin
    reception = team_services.team_create(account=account, actor=admin, name="Recepção")
    rule_services.rule_create(
        account=account,
        actor=admin,
        name="Tudo para a Recepção",
        description="",
        event_name="conversation_created",
        conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        actions=[{"action_name": "assign_team", "action_params": [reception.pk]}],
    )
    base = f"{live_server_url}/app/accounts/{account.pk}/settings/automation/"
    page = new_page("admin")
    sign_in(page, live_server_url, "admin@c4.com.br", PASSWORD)
    page.goto(base)
    page.evaluate("window.__noReload = true")

    page.get_by_role("button", name="Clonar Tudo para a Recepção").click()
    expect(page.get_by_role("heading", name="Editar Tudo para a Recepção (cópia)")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/settings/automation/\d+/edit/$"))
    minutes = page.get_by_label("Depois de quantos minutos")
    expect(minutes).to_be_hidden()
    page.get_by_label("Evento").select_option(label="Sem resposta após a atribuição")
    expect(minutes).to_be_visible()
    page.get_by_label("Evento").select_option(label="Conversa Criada")
    expect(minutes).to_be_hidden()
    page.get_by_role("button", name="Adicionar condição").click()
    expect(page.locator("#conditions [data-row]")).to_have_count(2)  # one row a click

    # A second row without a value: the 422's errors next to it, swapped in place.
    page.get_by_role("button", name="Salvar regra").click()
    second = page.locator("#conditions [data-row]").nth(1)
    expect(second.locator(".errors")).to_contain_text("Escolha ou digite um valor.")
    expect(page.locator("#conditions [data-row]").first.locator(".errors")).to_have_count(0)
    expect(minutes).to_be_hidden()
    # The swap ran the builder's script again: still one row a click, and rows go.
    page.get_by_role("button", name="Adicionar condição").click()
    expect(page.locator("#conditions [data-row]")).to_have_count(3)
    page.locator("#conditions [data-row]").nth(2).get_by_role(
        "button", name="Remover esta condição"
    ).click()
    second.get_by_role("button", name="Remover esta condição").click()
    expect(page.locator("#conditions [data-row]")).to_have_count(1)

    # The database is busy: the message at the top of the form, and what was typed stays.
    page.get_by_label("Nome da regra").fill("Recepção revista")
    database_locked["on"] = True
    page.get_by_role("button", name="Salvar regra").click()
    expect(page.locator("form[data-rule-form] [data-form-alert]")).to_have_text(BUSY)
    expect(page.get_by_label("Nome da regra")).to_have_value("Recepção revista")
    expect(page.locator("#conditions [data-row]").first.get_by_label("abertas")).to_be_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "automation-builder-busy.png"), full_page=True)
    database_locked["on"] = False
    page.get_by_role("button", name="Salvar regra").click()
    row = page.locator('tr[data-rule="Recepção revista"]')
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    expect(page).to_have_url(base)

    # The switch: busy, the list stays with the message by the switch; then it goes off.
    database_locked["on"] = True
    row.get_by_role("switch").click()
    expect(row.locator("[data-form-alert]")).to_have_text(BUSY)
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    page.screenshot(path=str(ARTIFACTS / "automation-switch-busy.png"), full_page=True)
    database_locked["on"] = False
    row.get_by_role("switch").click()
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    assert page.evaluate("window.__noReload") is True  # every step was a swap, not a page load
    assert not AutomationRule.objects.get(account=account, name="Recepção revista").active
