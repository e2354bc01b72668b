"""Issue 7, section 1: the conversation that is open updates live, in every browser that shows it.

The administrator and the comercial have the SAME conversation open. The customer writes twice,
each of them replies (one a reply, one a private note); everyone sees everything, in order,
without a reload. Then a status change and a delivery tick reach both open threads; a reader
scrolled up keeps their place and gets a "Novas mensagens" marker; and a page that missed
frames (a frame lost on the way, a tab coming back) catches up on its own."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from conversations import services as conversation_services
from conversations.models import Message
from inboxes import services as inbox_services
from nexloo.core import realtime
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"


def open_thread(page, base_url, email, account_id, display_id):
    sign_in(page, base_url, email, PASSWORD)
    page.goto(f"{base_url}/app/accounts/{account_id}/conversations/{display_id}/")
    expect(page.locator("[data-workspace]")).to_have_attribute("data-live", "true")
    page.evaluate("window.__noReload = true")


def thread_texts(page) -> list[str]:
    return page.locator("#messages .msg-text").all_inner_texts()


def test_both_open_threads_follow_the_conversation_live(live_server_url, new_page, monkeypatch):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    account, admin = new.account, new.admin
    carlos = account_services.account_user_add(
        account=account,
        user=account_services.user_create(
            email="carlos@boavista.com.br",
            name="Carlos Comercial",
            password=PASSWORD,
            verified=True,
        ).user,
        role="agent",
        availability="online",
    )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp", enable_auto_assignment=False
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[carlos.user_id]
    )
    api = f"{live_server_url}/api/v1/accounts/{account.pk}"
    headers = {"api_access_token": new.api_access_token}

    def customer_writes(display_id: int, text: str) -> None:
        response = requests.post(
            f"{api}/conversations/{display_id}/messages",
            json={"content": text, "message_type": "incoming"},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text

    created = requests.post(
        f"{api}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650001", "assignee_id": carlos.user_id},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]
    # A long history, so that the thread scrolls.
    for n in range(1, 26):
        customer_writes(display_id, f"Mensagem antiga {n}")

    ana = new_page("ana")
    open_thread(ana, live_server_url, "ana@boavista.com.br", account.pk, display_id)
    comercial = new_page("comercial")
    open_thread(comercial, live_server_url, "carlos@boavista.com.br", account.pk, display_id)

    # The customer writes twice; both open threads show it, at the bottom.
    customer_writes(display_id, "Olá, vocês têm apartamentos para alugar?")
    customer_writes(display_id, "De preferência no centro.")
    for page in (ana, comercial):
        expect(page.locator("#messages .msg-in").last).to_contain_text("De preferência no centro.")

    # The comercial replies; the administrator adds a private note. Each sees the other's.
    comercial.get_by_role("textbox", name="Mensagem").fill("Temos sim! Quantos quartos?")
    comercial.get_by_role("button", name="Enviar").click()
    expect(ana.locator("#messages .msg-out").last).to_contain_text("Temos sim! Quantos quartos?")
    ana.get_by_role("radio", name="Nota privada").check()
    ana.get_by_role("textbox", name="Mensagem").fill("Cliente antigo, dar atenção.")
    ana.get_by_role("button", name="Enviar").click()
    expect(comercial.locator("#messages .msg-note").last).to_contain_text(
        "Cliente antigo, dar atenção."
    )

    expected_tail = [
        "Olá, vocês têm apartamentos para alugar?",
        "De preferência no centro.",
        "Temos sim! Quantos quartos?",
        "Cliente antigo, dar atenção.",
    ]
    for page in (ana, comercial):
        assert thread_texts(page)[-4:] == expected_tail

    # A reader scrolled up keeps their place; a marker says new messages arrived.
    comercial.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
    customer_writes(display_id, "Dois quartos, por favor.")
    expect(ana.locator("#messages .msg-in").last).to_contain_text("Dois quartos")
    marker = comercial.get_by_role("button", name="Novas mensagens")
    expect(marker).to_be_visible()
    expect(comercial.locator("#messages .msg-in").last).to_contain_text("Dois quartos")
    assert comercial.locator("#messages").evaluate("box => box.scrollTop") < 50
    marker.click()
    expect(marker).to_be_hidden()
    assert (
        comercial.locator("#messages").evaluate(
            "box => box.scrollHeight - box.scrollTop - box.clientHeight"
        )
        < 80
    )
    # The administrator, who was at the bottom, stayed at the bottom (no marker).
    expect(ana.get_by_role("button", name="Novas mensagens")).to_be_hidden()

    # The comercial resolves it: the administrator's open header follows.
    comercial.get_by_role("button", name="Resolver").click()
    expect(ana.locator(".pane-header [data-status]")).to_have_text("Resolvida")
    expect(ana.locator("#messages .msg-activity").last).to_contain_text("resolvida")

    # The provider reports the reply as read: both ticks change.
    reply = Message.objects.get(content="Temos sim! Quantos quartos?")
    Message.objects.filter(pk=reply.pk).update(source_id="api-reply-1")
    conversation_services.message_status_update(
        inbox_id=inbox.pk, source_id="api-reply-1", status="read"
    )
    for page in (ana, comercial):
        expect(page.locator(f'[data-message="{reply.pk}"] .tick')).to_have_class("tick tick-read")

    # A frame lost on the way (Redis hiccup): the next frame shows the gap, and both pages
    # re-fetch what they show.
    layer = realtime.get_channel_layer()

    async def lost(group, message):
        raise ConnectionError("Redis away")

    with monkeypatch.context() as patch:
        patch.setattr(layer, "group_send", lost, raising=False)
        customer_writes(display_id, "Perdida no caminho?")
        assert realtime.wait_until_sent(5)
    for page in (ana, comercial):
        expect(page.locator("#messages")).not_to_contain_text("Perdida no caminho?")
    other = requests.post(
        f"{api}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650002", "assignee_id": carlos.user_id},
        headers=headers,
        timeout=10,
    )
    assert other.status_code == 200, other.text
    for page in (ana, comercial):
        expect(page.locator("#messages .msg-in").last).to_contain_text("Perdida no caminho?")

    # A tab coming back from sleep catches up too.
    with monkeypatch.context() as patch:
        patch.setattr(layer, "group_send", lost, raising=False)
        customer_writes(display_id, "Enquanto a aba dormia.")
        assert realtime.wait_until_sent(5)
    ana.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(ana.locator("#messages .msg-in").last).to_contain_text("Enquanto a aba dormia.")

    for page in (ana, comercial):
        assert page.evaluate("window.__noReload") is True
