"""What a person sees when WhatsApp refuses a reply, in the browser: a reply refused because the
24 hours had passed offers "Enviar modelo", which opens the template picker; a refused access
token puts a banner in front of the administrator."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from conversations.models import Conversation, Message
from tests.e2e.conftest import sign_in
from tests.e2e.test_whatsapp_live import CUSTOMER, PHONE_NUMBER_ID, SECRET, TOKEN, meta_posts
from tests.e2e.test_workspace_live import PASSWORD
from tests.whatsapp.test_sending import TEMPLATES
from whatsapp import services as whatsapp_services
from whatsapp.standin import GraphStandIn, text_delivery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph(settings):
    with GraphStandIn(token=TOKEN, templates=TEMPLATES) as standin:
        settings.WHATSAPP_GRAPH_URL = standin.url
        yield standin


def wait_for_status(message: Message, status: str) -> None:
    deadline = time.monotonic() + 10
    while message.status != status and time.monotonic() < deadline:
        time.sleep(0.05)  # the outbound task runs beside the request
        message.refresh_from_db()
    assert message.status == status


def test_a_refused_reply_offers_what_helps(live_server_url, new_page, graph):
    new = account_services.account_create_with_admin(
        name="Cenário 4 Ltda", admin_email="admin@c4.com.br", admin_name="Ana", password=PASSWORD
    )
    account, admin = new.account, new.admin
    channel = whatsapp_services.whatsapp_inbox_create(
        account=account,
        actor=admin,
        name="WhatsApp",
        phone_number="+5511940003000",
        phone_number_id=PHONE_NUMBER_ID,
        business_account_id="820000000000002",
        access_token=TOKEN,
        app_secret=SECRET,
    )
    whatsapp_services.templates_sync(channel_id=channel.pk)
    meta_posts(
        live_server_url,
        channel.phone_number,
        text_delivery(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=CUSTOMER,
            name="Marcos Cliente",
            text="Ainda têm o modelo azul?",
            wamid="wamid.E2E.FAIL.1",
        ),
    )
    conversation = Conversation.objects.get(inbox=channel.inbox)
    page = new_page("admin")
    sign_in(page, live_server_url, "admin@c4.com.br", PASSWORD)
    page.goto(
        f"{live_server_url}/app/accounts/{account.pk}/conversations/{conversation.display_id}/"
    )
    expect(page.locator("#messages")).to_contain_text("Ainda têm o modelo azul?")
    templates = page.locator(f"#templates-{conversation.display_id}")
    expect(templates).not_to_have_attribute("open", "")  # the window is open: picker closed

    # Meta refuses the reply: the customer's 24 hours had passed by its clock.
    graph.fail_next(
        code=131047,
        title="Re-engagement message",
        details="Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number.",
        path="/messages",
    )
    page.get_by_role("textbox", name="Mensagem").fill("Temos, sim!")
    page.get_by_role("button", name="Enviar", exact=True).click()
    reply = None
    deadline = time.monotonic() + 10
    while reply is None and time.monotonic() < deadline:
        reply = Message.objects.filter(conversation=conversation, content="Temos, sim!").first()
        time.sleep(0.05)  # the request is still being answered
    wait_for_status(reply, "failed")
    bubble = page.locator(f'[data-message="{reply.pk}"]')
    expect(bubble.locator(".msg-error")).to_contain_text("Mais de 24 horas")
    expect(bubble.locator("[data-provider-error]")).to_contain_text(
        "Re-engagement message (código 131047)"
    )
    bubble.get_by_role("link", name="Enviar modelo").click()
    expect(templates).to_have_attribute("open", "")
    expect(templates.get_by_label("Parâmetro 1")).to_be_focused()

    # Then Meta refuses the token: the administrator is told on every page.
    graph.token = "a-token-meta-no-longer-knows"
    page.get_by_role("textbox", name="Mensagem").fill("Alguém aí?")
    page.get_by_role("button", name="Enviar", exact=True).click()
    deadline = time.monotonic() + 10
    while not channel.auth_error and time.monotonic() < deadline:
        time.sleep(0.05)
        channel.refresh_from_db()
    page.goto(f"{live_server_url}/app/accounts/{account.pk}/settings/inboxes/")
    banner = page.locator(f'[data-whatsapp-auth-alert="{channel.inbox_id}"]')
    expect(banner).to_contain_text(
        "O WhatsApp recusou o token de acesso de WhatsApp ((11) 94000-3000)"
    )
    banner.get_by_role("link", name="Abrir as configurações do WhatsApp").click()
    expect(page.get_by_role("button", name="Testar conexão")).to_be_visible()
