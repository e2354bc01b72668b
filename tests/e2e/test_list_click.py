"""A click on a row of the live list opens that conversation even when the list re-rendered
between the press and the release (frames arrive all the time in a busy account; the row
pressed is then gone, and the browser's click lands nowhere)."""

from __future__ import annotations

import contextlib

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


def hold_first(page, pattern: str) -> list:
    """Holds back the first request matching `pattern` (the list it goes in); later ones pass."""
    held: list = []

    def route(request_route):
        if held:
            request_route.continue_()
        else:
            held.append(request_route)

    page.route(pattern, route)
    return held


def wait_until_held(page, held: list):
    """The held request, once the page's request has reached the route."""
    for _ in range(100):
        if held:
            return held[0]
        page.wait_for_timeout(50)
    raise AssertionError("the request never reached the route")


def _two_conversations(name):
    new = account_services.account_create_with_admin(
        name=name, admin_email="ana@clique.com.br", admin_name="Ana", password=PASSWORD
    )
    inbox = inbox_services.inbox_create(
        account=new.account, actor=new.admin, name="WhatsApp", enable_auto_assignment=False
    )
    for contact in ("Maria Souza", "João Lima"):
        services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox, contact__name=contact)
        )


def _workspace(live_server_url, new_page):
    page = new_page("ana")
    sign_in(page, live_server_url, "ana@clique.com.br", PASSWORD)
    page.get_by_role("link", name="Conversas").first.click()
    page.get_by_role("link", name="Todas").click()
    expect(page.locator(".conv-row")).to_have_count(2)
    page.evaluate("window.__noReload = true")
    return page


def test_a_list_refresh_while_the_conversation_loads_does_not_cancel_it(live_server_url, new_page):
    """The lost click: the rows inherited the list's hx-sync, so a list refresh (any frame)
    aborted the conversation a click had asked for. The pane's answer is held back here until
    a refresh has replaced the list, then let through: the conversation must open."""
    _two_conversations("Clique Ltda")
    page = _workspace(live_server_url, new_page)
    held = hold_first(page, "**/_pane/**")
    page.locator(".conv-row", has_text="Maria Souza").get_by_role("link").click()
    marias = wait_until_held(page, held)
    assert page.evaluate(RELOAD_LIST)  # a frame's list refresh while the pane is on its way
    marias.continue_()
    page.unroute("**/_pane/**")
    expect(page.locator("#conversation-pane .thread")).to_be_visible()
    expect(page.locator("#conversation-pane")).to_contain_text("Maria Souza")
    # A second row right after: the next click replaces the first, nothing is lost.
    page.locator(".conv-row", has_text="João Lima").get_by_role("link").click()
    expect(page.locator("#conversation-pane")).to_contain_text("João Lima")
    expect(page.locator(".conv-row.active")).to_contain_text("João Lima")
    assert page.evaluate("window.__noReload") is True
    expect(page.locator("[data-workspace]")).to_have_attribute("data-pane-requests", "0")


def test_a_row_click_replaced_while_its_row_is_gone_leaves_no_request_behind(
    live_server_url, new_page
):
    """Maria's answer is held; the list re-renders (her row's link is gone); João's row is
    clicked, which aborts hers. htmx's events of that abort fire on the detached link and
    reach nobody: the workspace must still know no pane request is left in flight, or it holds
    every live refresh of the open thread back (to a 3-second fallback)."""
    _two_conversations("Clique Ltda")
    page = _workspace(live_server_url, new_page)
    held = hold_first(page, "**/_pane/**")
    page.locator(".conv-row", has_text="Maria Souza").get_by_role("link").click()
    marias = wait_until_held(page, held)
    assert page.evaluate(RELOAD_LIST)
    page.locator(".conv-row", has_text="João Lima").get_by_role("link").click()
    expect(page.locator("#conversation-pane")).to_contain_text("João Lima")
    expect(page.locator("[data-workspace]")).to_have_attribute("data-pane-requests", "0")
    with contextlib.suppress(Exception):  # aborted by the browser already
        marias.continue_()
    page.unroute("**/_pane/**")
    expect(page.locator("#conversation-pane")).to_contain_text("João Lima")


CLICK_RIGHT_AFTER_THE_SWAP = """() => new Promise((done) => {
  const list = document.getElementById("conversation-list");
  // After the workspace's own afterSwap handlers (this one is added last, on the document),
  // before htmx's settle: the row just swapped in is clicked at once.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== list) return;
    const link = list.querySelector('.conv-row a');
    let prevented = null;
    window.addEventListener("click", (e) => {
      prevented = e.defaultPrevented;
      e.preventDefault();
    }, { once: true });
    link.click();
    done(prevented);
  }, { once: true });
  htmx.trigger(list, "nexloo:refresh");
})"""


def test_a_row_clicked_right_after_the_list_swapped_opens_in_place(live_server_url, new_page):
    """htmx wires swapped-in elements only when they settle; a click before that was a plain
    link's, a whole-page load. The workspace wires the rows as soon as they are swapped in."""
    _two_conversations("Clique Ltda")
    page = _workspace(live_server_url, new_page)
    assert page.evaluate(CLICK_RIGHT_AFTER_THE_SWAP) is True  # htmx took the click
    expect(page.locator("#conversation-pane .thread")).to_be_visible()
    assert page.evaluate("window.__noReload") is True


def test_a_slow_answer_for_the_previous_conversation_does_not_replace_the_one_opened(
    live_server_url, new_page
):
    """Maria is open; her "Resolver" is slow (held here); João's row is clicked and opens.
    Maria's answer then arrives: it must not replace João on the screen (she is resolved all
    the same — the list shows it)."""
    _two_conversations("Clique Ltda")
    page = _workspace(live_server_url, new_page)
    page.locator(".conv-row", has_text="Maria Souza").get_by_role("link").click()
    expect(page.locator(".pane-header h1")).to_have_text("Maria Souza")
    held = hold_first(page, "**/status/**")
    page.get_by_role("button", name="Resolver").click()
    resolving = wait_until_held(page, held)
    page.locator(".conv-row", has_text="João Lima").get_by_role("link").click()
    expect(page.locator(".pane-header h1")).to_have_text("João Lima")
    with page.expect_response("**/status/**"):
        resolving.continue_()
    page.unroute("**/status/**")
    expect(page.locator("[data-workspace]")).to_have_attribute("data-pane-requests", "0")
    expect(page.locator(".pane-header h1")).to_have_text("João Lima")
    expect(page.locator(".conv-row.active")).to_contain_text("João Lima")
