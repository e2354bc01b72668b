"""Cenário 4's end through WhatsApp, in the browser: a signed delivery from a new customer
appears live in the secretária's list, assigned to her by the Conversa Criada rule (to
Recepção, whose automatic assignment picks her, although a comercial works in the inbox too);
her reply reaches the Graph API (the local stand-in); "delivered" then "read" statuses turn the
ticks, live."""

from __future__ import annotations

import json
import time

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from automations import services as rule_services
from conversations.models import Conversation, Message
from inboxes import services as inbox_services
from teams import services as team_services
from tests.e2e.test_workspace_live import PASSWORD, open_workspace
from whatsapp import publisher
from whatsapp import services as whatsapp_services
from whatsapp.standin import GraphStandIn, sign, status_delivery, text_delivery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TOKEN = "EAAG-e2e-access-token-0001"
SECRET = "e2e-app-secret-0002"
PHONE_NUMBER_ID = "810000000000001"
CUSTOMER = "5511987651234"


@pytest.fixture
def graph(settings):
    with GraphStandIn(token=TOKEN) as standin:
        settings.WHATSAPP_GRAPH_URL = standin.url
        yield standin


def meta_posts(base_url: str, number: str, body: dict) -> None:
    raw = json.dumps(body).encode()
    response = requests.post(
        f"{base_url}/webhooks/whatsapp/{number}",
        data=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    publisher.wait_until_idle()


def test_a_customer_writes_the_secretaria_answers_and_the_ticks_turn(
    live_server_url, new_page, graph
):
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    account, admin = new.account, new.admin
    user = account_services.user_create(
        email="secretaria@c4.com.br", name="Sofia Secretária", password=PASSWORD, verified=True
    ).user
    sofia = account_services.account_user_add(
        account=account, user=user, role="agent", availability="online", auto_offline=True
    )
    channel = whatsapp_services.whatsapp_inbox_create(
        account=account,
        actor=admin,
        name="WhatsApp",
        phone_number="+5511940001000",
        phone_number_id=PHONE_NUMBER_ID,
        business_account_id="820000000000002",
        access_token=TOKEN,
        app_secret=SECRET,
    )
    comercial = account_services.account_user_add(
        account=account,
        user=account_services.user_create(
            email="carlos@c4.com.br", name="Carlos Comercial", password=PASSWORD, verified=True
        ).user,
        role="agent",
        availability="online",
    )
    inbox_services.inbox_members_set(
        account=account,
        actor=admin,
        inbox=channel.inbox,
        user_ids=[sofia.user_id, comercial.user_id],
    )
    reception = team_services.team_create(
        account=account,
        actor=admin,
        name="Recepção",
        routing_message="Olá! Você está sendo atendido pela Recepção.",
        member_user_ids=[sofia.user_id],
    )
    team_services.team_create(
        account=account, actor=admin, name="Comercial", member_user_ids=[comercial.user_id]
    )
    rule_services.rule_create(
        account=account,
        actor=admin,
        name="Novas conversas para a Recepção",
        event_name="conversation_created",
        conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        actions=[{"action_name": "assign_team", "action_params": [reception.pk]}],
    )

    page = new_page("secretaria")
    open_workspace(page, live_server_url, "secretaria@c4.com.br")
    expect(page.locator(".conv-row")).to_have_count(0)

    # Meta posts the first message of a new customer, signed with the app secret.
    meta_posts(
        live_server_url,
        channel.phone_number,
        text_delivery(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=CUSTOMER,
            name="Marcos Cliente",
            text="Bom dia! Vocês entregam em Campinas?",
            wamid="wamid.E2E.IN.1",
        ),
    )
    row = page.locator(".conv-row").first
    expect(row).to_be_visible()
    expect(row).to_contain_text("Marcos Cliente")
    # Routed by the rule: in Recepção, hers; the preview is Recepção's routing message.
    expect(row).to_contain_text("Recepção")
    expect(row).to_contain_text("Sofia Secretária")
    assert page.evaluate("window.__noReload") is True
    conversation = Conversation.objects.get(inbox=channel.inbox)
    assert (conversation.team_id, conversation.assignee_id) == (reception.pk, sofia.pk)
    # Recepção's routing message went out to the customer through the Graph API.
    routing = graph.wait_for_sent(1)[0]
    assert (routing["to"], routing["text"]["body"]) == (
        CUSTOMER,
        "Olá! Você está sendo atendido pela Recepção.",
    )

    # The list re-renders live while the routing's frames land; neither a press across a
    # re-render nor a refresh while the conversation loads loses the click
    # (tests/e2e/test_list_click.py), so one click.
    row.get_by_role("link").click()
    expect(page.locator(".pane-header")).to_contain_text("(11) 98765-1234")
    expect(page.locator("#messages")).to_contain_text("Vocês entregam em Campinas?")
    page.get_by_role("textbox", name="Mensagem").fill("Bom dia, Marcos! Entregamos, sim.")
    page.get_by_role("button", name="Enviar").click()
    sent = graph.wait_for_sent(2)[1]
    assert sent["to"] == CUSTOMER
    assert sent["text"]["body"] == "Bom dia, Marcos! Entregamos, sim."
    reply = Message.objects.get(conversation=conversation, sender_user=user)
    deadline = time.monotonic() + 10
    while reply.status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)  # the outbound task runs beside the request
        reply.refresh_from_db()
    assert reply.source_id.startswith("wamid.STANDIN")
    tick = page.locator(f'[data-message="{reply.pk}"] .tick')
    expect(tick).to_have_class("tick tick-sent")

    for status in ("delivered", "read"):
        meta_posts(
            live_server_url,
            channel.phone_number,
            status_delivery(
                phone_number_id=PHONE_NUMBER_ID,
                wamid=reply.source_id,
                status=status,
                recipient_id=CUSTOMER,
            ),
        )
        expect(tick).to_have_class(f"tick tick-{status}")
    assert page.evaluate("window.__noReload") is True


def test_the_administrator_connects_a_number_and_tests_it(live_server_url, new_page, graph):
    from tests.e2e.conftest import sign_in

    account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    page = new_page("admin")
    sign_in(page, live_server_url, "admin@c4.com.br", PASSWORD)
    page.get_by_role("group", name="Configurações").get_by_role(
        "link", name="Caixas de Entrada"
    ).click()
    page.get_by_role("link", name="Adicionar Caixa de Entrada").first.click()
    page.get_by_role("link", name="WhatsApp").click()
    page.get_by_label("Nome da caixa de entrada").fill("WhatsApp")
    page.get_by_label("Número do WhatsApp").fill("+55 11 94000-2000")
    page.get_by_label("ID do número de telefone").fill(PHONE_NUMBER_ID)
    page.get_by_label("ID da conta do WhatsApp Business").fill("820000000000002")
    page.get_by_label("Token de acesso").fill(TOKEN)
    page.get_by_label("Chave secreta do app").fill(SECRET)
    page.get_by_role("button", name="Criar caixa de entrada").click()

    callback = page.get_by_label("URL de callback")
    expect(callback).to_have_value(f"{live_server_url}/webhooks/whatsapp/+5511940002000")
    token = page.get_by_label("Token de verificação").input_value()
    assert len(token) >= 24
    # What the page says to paste into Meta works: Meta's verification request succeeds.
    check = requests.get(
        callback.input_value(),
        params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "777"},
        timeout=5,
    )
    assert (check.status_code, check.text) == (200, "777")
    page.get_by_role("button", name="Testar conexão").click()
    expect(page.locator("[data-connection-report]")).to_contain_text(
        "Conectado: Nexloo Demo, +55 11 4000-0000 (qualidade: alta)."
    )
    assert TOKEN not in page.content() and SECRET not in page.content()
