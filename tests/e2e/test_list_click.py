"""A click on a row of the live list opens that conversation even when the list re-rendered
between the press and the release (frames arrive all the time in a busy account; the row
pressed is then gone, and the browser's click lands nowhere)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from conversations import services
from inboxes import services as inbox_services
from tests.e2e.conftest import sign_in
from tests.factories import ContactInboxFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"

RELOAD_LIST = """() => new Promise((done) => {
  const list = document.getElementById("conversation-list");
  list.addEventListener("htmx:afterSwap", () => done(true), { once: true });
  htmx.trigger(list, "nexloo:refresh");
})"""


def test_a_row_pressed_while_the_list_re_renders_still_opens(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Clique Ltda", admin_email="ana@clique.com.br", admin_name="Ana", password=PASSWORD
    )
    inbox = inbox_services.inbox_create(
        account=new.account, actor=new.admin, name="WhatsApp", enable_auto_assignment=False
    )
    for name in ("Maria Souza", "João Lima"):
        services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox, contact__name=name)
        )
    page = new_page("ana")
    sign_in(page, live_server_url, "ana@clique.com.br", PASSWORD)
    page.get_by_role("link", name="Conversas").first.click()
    page.get_by_role("link", name="Todas").click()
    expect(page.locator(".conv-row")).to_have_count(2)
    row = page.locator(".conv-row", has_text="Maria Souza")
    box = row.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    assert page.evaluate(RELOAD_LIST)  # the pressed row is replaced by a new one
    page.mouse.up()
    expect(page.locator("#conversation-pane")).to_contain_text("Maria Souza")
    expect(page.locator(".conv-row.active")).to_contain_text("Maria Souza")
