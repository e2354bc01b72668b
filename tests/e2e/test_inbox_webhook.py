"""The API channel's webhook on its inbox page, in the browser and in Portuguese: the
administrator sets the address, sees the secret and the deliveries, and switches it on again
after a day of failures switched it off."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import PASSWORD, AdminFactory, InboxFactory
from webhooks import tasks
from webhooks.models import Webhook

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver_url(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on this machine

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_the_admin_sets_the_webhook_of_an_api_inbox(live_server_url, new_page, receiver_url):
    admin = AdminFactory(user__email="ana@integracao.com.br")
    inbox = InboxFactory(account=admin.account, name="Integração ERP")
    page = new_page("admin")
    sign_in(page, live_server_url, "ana@integracao.com.br", PASSWORD)
    page.goto(f"{live_server_url}/app/accounts/{admin.account_id}/settings/inboxes/{inbox.pk}/")
    tabs = page.get_by_role("navigation", name="Seções da caixa de entrada")
    tabs.get_by_role("link", name="Webhook").click()
    expect(tabs.get_by_role("link", name="Webhook")).to_have_attribute("aria-current", "page")

    page.get_by_label("URL do webhook").fill(receiver_url)
    page.get_by_role("button", name="Salvar").click()
    expect(page.get_by_role("status")).to_contain_text("Webhook salvo.")
    hook = Webhook.objects.get(inbox=inbox)
    expect(page.locator("[data-webhook-secret]")).to_have_text(hook.secret)

    # A delivery, then a day of failures switched it off.
    tasks.deliver.apply(args=[hook.pk, "d-e2e", "message_created", {}], retries=0)
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    page.reload()
    expect(page.locator('[data-delivery="d-e2e"]')).to_contain_text("HTTP 200")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("desligado")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-webhook-switched-off.png"), full_page=True)
    alert.get_by_role("button", name="Ligar novamente").click()
    expect(page.get_by_role("status")).to_contain_text("Webhook ligado novamente.")
    expect(page.get_by_role("alert")).to_have_count(0)
    hook.refresh_from_db()
    assert hook.active
