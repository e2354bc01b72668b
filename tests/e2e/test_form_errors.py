"""Issue 7, section 2: an htmx form shows the server's errors in place. The Encaminhar dialog:
the agent list follows the chosen team; a 422 ("Este agente não faz parte do time escolhido.")
shows in the dialog; a lost connection says so and keeps what was typed."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from conversations.models import Conversation
from inboxes import services as inbox_services
from inboxes.models import Inbox
from teams import services as team_services
from tests.e2e.conftest import ARTIFACTS, BUSY, sign_in
from webhooks.models import Webhook

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"
FORWARD = re.compile(r"/forward/(\?|$)")


def test_forward_dialog_narrows_agents_and_shows_errors(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    account, admin = new.account, new.admin
    people = {}
    for login, name in [
        ("sofia", "Sofia Secretária"),
        ("carlos", "Carlos Comercial"),
        ("paulo", "Paulo Financeiro"),
    ]:
        user = account_services.user_create(
            email=f"{login}@boavista.com.br", name=name, password=PASSWORD, verified=True
        ).user
        people[login] = account_services.account_user_add(
            account=account, user=user, role="agent", availability="online"
        )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp", enable_auto_assignment=False
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[m.user_id for m in people.values()]
    )
    sales = team_services.team_create(
        account=account,
        actor=admin,
        name="Comercial",
        allow_auto_assign=False,
        member_user_ids=[people["carlos"].user_id],
    )
    created = requests.post(
        f"{live_server_url}/api/v1/accounts/{account.pk}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650001"},
        headers={"api_access_token": new.api_access_token},
        timeout=10,
    )
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]

    page = new_page("sofia")
    sign_in(page, live_server_url, "sofia@boavista.com.br", PASSWORD)
    page.goto(f"{live_server_url}/app/accounts/{account.pk}/conversations/{display_id}/")
    page.get_by_role("button", name="Encaminhar").click()
    dialog = page.get_by_role("dialog", name="Encaminhar conversa")
    agent = dialog.get_by_label("Agente")
    expect(agent.locator("option", has_text="Paulo Financeiro")).to_have_count(1)

    # Choosing the team narrows the agent list to its members.
    dialog.get_by_label("Time").select_option(label="Comercial")
    expect(agent.locator("option", has_text="Paulo Financeiro")).to_have_count(0)
    expect(agent.locator("option", has_text="Carlos Comercial")).to_have_count(1)
    agent.select_option(label="Carlos Comercial")
    dialog.get_by_label("Nota privada para quem receber").fill("Cliente quer alugar no centro.")

    # The connection drops: the dialog says so and keeps what was typed.
    page.route(FORWARD, lambda route: route.abort())
    dialog.get_by_role("button", name="Encaminhar").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Não foi possível conectar ao servidor")
    expect(dialog.get_by_label("Nota privada para quem receber")).to_have_value(
        "Cliente quer alugar no centro."
    )
    page.unroute(FORWARD)

    # Meanwhile Carlos left the team: the server's 422 shows in the dialog.
    team_services.team_members_remove(
        account=account, actor=admin, team=sales, user_ids=[people["carlos"].user_id]
    )
    dialog.get_by_role("button", name="Encaminhar").click()
    dialog = page.get_by_role("dialog", name="Encaminhar conversa")
    expect(dialog).to_contain_text("Este agente não faz parte do time escolhido.")
    expect(dialog.get_by_label("Nota privada para quem receber")).to_have_value(
        "Cliente quer alugar no centro."
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "forward-422.png"))
    assert Conversation.objects.get(account=account, display_id=display_id).team is None

    # Forwarding to the team alone goes through.
    dialog.get_by_label("Agente").select_option(index=0)
    dialog.get_by_role("button", name="Encaminhar").click()
    expect(page.locator(".thread")).to_contain_text("Encaminhada para o time Comercial")
    assert Conversation.objects.get(account=account, display_id=display_id).team == sales


def test_the_availability_selector_shows_what_the_server_stored(
    live_server_url, new_page, database_locked
):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    page = new_page("ana")
    sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
    selector = page.get_by_label("Disponibilidade")
    expect(selector).to_have_value("online")
    box = page.locator("form.availability")

    # The server refuses the choice (422): its message shows, the select shows what it kept.
    page.evaluate(
        """() => {
            const select = document.getElementById("availability-select");
            select.add(new Option("● Ausente", "away"));
        }"""
    )
    selector.select_option("away")
    expect(box.get_by_role("alert")).to_have_text("Disponibilidade desconhecida.")
    expect(selector).to_have_value("online")

    # The database is busy (503): the server's message, and the select back to online.
    database_locked["on"] = True
    selector.select_option(label="● Ocupado")
    expect(box.get_by_role("alert")).to_have_text(BUSY)
    expect(selector).to_have_value("online")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "availability-busy.png"))
    database_locked["on"] = False
    new.admin.refresh_from_db()
    assert new.admin.availability == "online"

    # A change that is saved: the selector comes back with it, and no message.
    with page.expect_response(lambda r: r.url.endswith("/availability/")) as answer:
        selector.select_option(label="● Ocupado")
    assert answer.value.status == 200
    expect(box.get_by_role("alert")).to_have_count(0)
    expect(selector).to_have_value("busy")
    new.admin.refresh_from_db()
    assert new.admin.availability == "busy"


def test_a_busy_database_keeps_what_was_typed_in_the_settings_forms(
    live_server_url, new_page, database_locked
):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    account = new.account
    inbox = inbox_services.inbox_create(
        account=account, actor=new.admin, name="WhatsApp", enable_auto_assignment=False
    )
    page = new_page("ana")
    sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
    base = f"{live_server_url}/app/accounts/{account.pk}"

    # Adicionar Agente.
    page.goto(f"{base}/settings/agents/new/")
    page.get_by_label("Nome").fill("Sandra Secretária")
    page.get_by_label("E-mail").fill("sandra@boavista.com.br")
    database_locked["on"] = True
    page.get_by_role("button", name="Adicionar agente").click()
    form = page.locator("form.form")
    expect(form.get_by_role("alert")).to_have_text(BUSY)
    expect(page.get_by_label("Nome")).to_have_value("Sandra Secretária")
    expect(page.get_by_label("E-mail")).to_have_value("sandra@boavista.com.br")
    assert page.url == f"{base}/settings/agents/new/"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "busy-agent-form.png"))
    database_locked["on"] = False
    page.get_by_role("button", name="Adicionar agente").click()
    expect(page.get_by_role("status")).to_contain_text("Sandra Secretária")
    expect(page).to_have_url(f"{base}/settings/agents/")

    # Criar novo time.
    page.goto(f"{base}/settings/teams/new/")
    page.get_by_label("Nome do time").fill("Recepção")
    page.get_by_label("Descrição").fill("Primeiro atendimento")
    database_locked["on"] = True
    page.get_by_role("button", name="Criar time").click()
    expect(page.locator("form.form").get_by_role("alert")).to_have_text(BUSY)
    expect(page.get_by_label("Nome do time")).to_have_value("Recepção")
    expect(page.get_by_label("Descrição")).to_have_value("Primeiro atendimento")
    database_locked["on"] = False

    # A caixa de entrada's Configurações.
    page.goto(f"{base}/settings/inboxes/{inbox.pk}/")
    page.get_by_label("Mensagem de ausência").fill("Voltamos às 8h30.")
    database_locked["on"] = True
    page.get_by_role("button", name="Salvar").first.click()
    expect(page.locator("form.form").get_by_role("alert")).to_have_text(BUSY)
    expect(page.get_by_label("Mensagem de ausência")).to_have_value("Voltamos às 8h30.")
    database_locked["on"] = False
    inbox.refresh_from_db()
    assert inbox.out_of_office_message == ""

    # Integrações → Webhooks → Adicionar webhook.
    page.goto(f"{base}/settings/webhooks/new/")
    page.get_by_label("URL do webhook").fill("https://crm.boavista.com.br/nexloo")
    page.get_by_label(re.compile("^Nome")).fill("CRM")
    database_locked["on"] = True
    page.get_by_role("button", name="Salvar").click()
    expect(page.locator("form.form").get_by_role("alert")).to_have_text(BUSY)
    expect(page.get_by_label("URL do webhook")).to_have_value("https://crm.boavista.com.br/nexloo")
    expect(page.get_by_label(re.compile("^Nome"))).to_have_value("CRM")
    assert page.url == f"{base}/settings/webhooks/new/"
    database_locked["on"] = False

    # Adicionar Caixa de Entrada → WhatsApp.
    page.goto(f"{base}/settings/inboxes/new/whatsapp/")
    page.get_by_label("Nome da caixa de entrada").fill("WhatsApp Vendas")
    page.get_by_label("Número do WhatsApp").fill("+55 11 94000-2001")
    page.get_by_label("ID do número de telefone").fill("200000000000002")
    page.get_by_label("ID da conta do WhatsApp Business").fill("300000000000003")
    page.get_by_label("Token de acesso").fill("EAAG-typed-token-0001")
    page.get_by_label("Chave secreta do app").fill("typed-app-secret-0001")
    database_locked["on"] = True
    page.get_by_role("button", name="Criar caixa de entrada").click()
    expect(page.locator("form.form").get_by_role("alert")).to_have_text(BUSY)
    expect(page.get_by_label("Número do WhatsApp")).to_have_value("+55 11 94000-2001")
    expect(page.get_by_label("Token de acesso")).to_have_value("EAAG-typed-token-0001")
    page.screenshot(path=str(ARTIFACTS / "busy-whatsapp-form.png"))
    database_locked["on"] = False
    assert not Webhook.objects.filter(account=account).exists()
    assert not Inbox.objects.filter(account=account, name="WhatsApp Vendas").exists()
