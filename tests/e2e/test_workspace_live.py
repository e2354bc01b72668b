"""Cenário 4, step 7 in two browsers: a conversation created through the API appears live on
the secretária's "Minhas"; she forwards it to Comercial with a private note; it appears live
in a comercial's browser, who replies."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from conversations.models import Conversation, Message
from inboxes import services as inbox_services
from teams import services as team_services
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"


def open_workspace(page, base_url, email):
    sign_in(page, base_url, email, PASSWORD)
    page.get_by_role("link", name="Conversas").first.click()
    page.get_by_role("link", name="Minhas").click()
    # The websocket is up (and its heartbeat made the person available).
    expect(page.locator("[data-workspace]")).to_have_attribute("data-live", "true")
    page.evaluate("window.__noReload = true")


def test_conversation_appears_live_is_forwarded_and_answered(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    account, admin = new.account, new.admin
    people = {}
    for login, name in [("secretaria", "Sofia Secretária"), ("comercial", "Carlos Comercial")]:
        user = account_services.user_create(
            email=f"{login}@c4.com.br", name=name, password=PASSWORD, verified=True
        ).user
        # auto_offline: only an open browser makes them available to the assignment engine.
        people[login] = account_services.account_user_add(
            account=account, user=user, role="agent", availability="online", auto_offline=True
        )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp", enable_auto_assignment=False
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
    sales = team_services.team_create(
        account=account,
        actor=admin,
        name="Comercial",
        routing_message="Sua conversa foi encaminhada para o Comercial.",
        member_user_ids=[people["comercial"].user_id],
    )

    secretaria = new_page("secretaria")
    open_workspace(secretaria, live_server_url, "secretaria@c4.com.br")
    comercial = new_page("comercial")
    open_workspace(comercial, live_server_url, "comercial@c4.com.br")
    expect(secretaria.locator(".conv-row")).to_have_count(0)

    # An API client (an integration) opens a conversation routed to Recepção.
    api = f"{live_server_url}/api/v1/accounts/{account.pk}"
    headers = {"api_access_token": new.api_access_token}
    created = requests.post(
        f"{api}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650001", "team_id": reception.pk},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]
    incoming = requests.post(
        f"{api}/conversations/{display_id}/messages",
        json={"content": "Quero um orçamento de 20 unidades", "message_type": "incoming"},
        headers=headers,
        timeout=10,
    )
    assert incoming.status_code == 200, incoming.text

    # It appears on the secretária's "Minhas" without a reload.
    row = secretaria.locator(f'.conv-row[data-conversation="{display_id}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Quero um orçamento")
    assert secretaria.evaluate("window.__noReload") is True
    expect(comercial.locator(f'.conv-row[data-conversation="{display_id}"]')).to_have_count(0)

    # She opens it and forwards it to Comercial with a private note.
    row.get_by_role("link").click()
    expect(secretaria.locator(".thread")).to_contain_text("Quero um orçamento de 20 unidades")
    secretaria.get_by_role("button", name="Encaminhar").click()
    dialog = secretaria.get_by_role("dialog", name="Encaminhar conversa")
    dialog.get_by_label("Time").select_option(label="Comercial")
    dialog.get_by_label("Nota privada para quem receber").fill(
        "Cliente quer 20 unidades, prioridade."
    )
    dialog.get_by_role("button", name="Encaminhar").click()
    expect(secretaria.locator(".thread")).to_contain_text(
        "Encaminhada para o time Comercial por Sofia Secretária"
    )

    # The comercial's open browser shows it arrive, with the note.
    arrived = comercial.locator(f'.conv-row[data-conversation="{display_id}"]')
    expect(arrived).to_be_visible()
    assert comercial.evaluate("window.__noReload") is True
    arrived.get_by_role("link").click()
    expect(comercial.locator(".msg-note")).to_contain_text("Cliente quer 20 unidades, prioridade.")
    comercial.get_by_role("textbox", name="Mensagem").fill(
        "Olá! Sou o Carlos, do Comercial. Vou preparar seu orçamento."
    )
    comercial.get_by_role("button", name="Enviar").click()
    expect(comercial.locator(".msg-out").last).to_contain_text("Vou preparar seu orçamento")

    conversation = Conversation.objects.get(account=account, display_id=display_id)
    assert (conversation.team, conversation.assignee) == (sales, people["comercial"])
    reply = Message.objects.filter(
        conversation=conversation, sender_user=people["comercial"].user
    ).get()
    assert reply.status == "sent" and not reply.private
    # The secretária's screen followed the hand-over live: it left her "Minhas".
    expect(secretaria.locator(f'.conv-row[data-conversation="{display_id}"]')).to_have_count(0)
