"""Issue 7, section 6: layout. No settings page scrolls sideways on a phone (390 px), and a table
stacked into rows names each value's column; the development mailbox's long confirmation link
wraps inside its card; the conversation header's "⋯" menu opens inside the viewport at 1280×800
even when the header wraps (a long assignee name), and closes with Esc (wherever the focus is)
and on an outside click."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend
from django.urls import reverse
from playwright.sync_api import expect

from accounts import services as account_services
from automations import services as automation_services
from conversations import services as conversation_services
from inboxes import services as inbox_services
from teams import services as team_services
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import ContactInboxFactory
from webhooks import services as webhook_services
from whatsapp import services as whatsapp_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"


@pytest.fixture
def company():
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    account, admin = new.account, new.admin
    sandra = account_services.account_user_add(
        account=account,
        user=account_services.user_create(
            email="sandra.secretaria.da.recepcao@boavista.com.br",
            name="Sandra Secretária",
            password=PASSWORD,
            verified=True,
        ).user,
        role="agent",
    )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp Imobiliária", enable_auto_assignment=False
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[sandra.user_id]
    )
    team = team_services.team_create(
        account=account,
        actor=admin,
        name="Recepção",
        description="Primeiro atendimento de quem escreve",
        routing_message="Olá! Você está falando com a Recepção da Imobiliária Boa Vista.",
        member_user_ids=[sandra.user_id],
    )
    rule = automation_services.rule_create(
        account=account,
        actor=admin,
        name="Novas conversas para a Recepção",
        description="Toda conversa nova vai primeiro para a secretária",
        event_name="conversation_created",
        conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        actions=[{"action_name": "assign_team", "action_params": [team.pk]}],
    )
    conversation = conversation_services.conversation_open_for(
        contact_inbox=ContactInboxFactory(
            inbox=inbox, contact__name="Maria Souza", contact__phone_number="+5511987654321"
        )
    ).conversation
    conversation_services.conversation_assign_agent(
        account=account, actor=admin, conversation=conversation, assignee=admin
    )
    whatsapp = whatsapp_services.whatsapp_inbox_create(
        account=account,
        actor=admin,
        name="WhatsApp Vendas",
        phone_number="+5511940004000",
        phone_number_id="106540352242922",
        business_account_id="102290129340398",
        access_token="EAAG-demo-access-token-1234",
        app_secret="app-secret-for-layout-5678",
    ).inbox
    webhook = webhook_services.webhook_create(
        account=account,
        actor=admin,
        name="CRM da imobiliária",
        url="https://crm.imobiliariaboavista.com.br/integracoes/nexloo/webhooks/eventos-de-conversa",
        subscriptions=["conversation_created", "message_created"],
    )
    return {
        "account": account,
        "inbox": inbox,
        "team": team,
        "conversation": conversation,
        "rule": rule,
        "whatsapp": whatsapp,
        "webhook": webhook,
    }


def phone(browser):
    context = browser.new_context(locale="pt-BR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    return context


def test_no_settings_page_scrolls_sideways_on_a_phone(live_server_url, browser, company):
    account, inbox, team = company["account"], company["inbox"], company["team"]
    a = account.pk
    pages = {
        "agentes": reverse("settings_agents", args=[a]),
        "novo-agente": reverse("settings_agent_new", args=[a]),
        "conta": reverse("settings_account", args=[a]),
        "caixas": reverse("inboxes:list", args=[a]),
        "caixa": reverse("inboxes:settings", args=[a, inbox.pk]),
        "membros": reverse("inboxes:members", args=[a, inbox.pk]),
        "horario": reverse("inboxes:hours", args=[a, inbox.pk]),
        "times": reverse("teams:list", args=[a]),
        "time": reverse("teams:edit", args=[a, team.pk]),
        "automacao": reverse("automations:list", args=[a]),
        "nova-regra": reverse("automations:new", args=[a]),
        "respostas": reverse("conversations:canned_responses", args=[a]),
        "contatos": reverse("conversations:contacts", args=[a]),
        "perfil": reverse("profile", args=[a]),
        "regra": reverse("automations:detail", args=[a, company["rule"].pk]),
        "whatsapp": reverse("whatsapp:inbox", args=[a, company["whatsapp"].pk]),
        "webhooks": reverse("webhooks:list", args=[a]),
        "novo-webhook": reverse("webhooks:new", args=[a]),
        "webhook": reverse("webhooks:edit", args=[a, company["webhook"].pk]),
    }
    context = phone(browser)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
        wide = {}
        for name, path in pages.items():
            response = page.goto(live_server_url + path)
            assert response.status == 200, (name, response.status)
            page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
            sizes = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth,"
                " [...document.querySelectorAll('.table-wrap')].filter("
                "w => w.scrollWidth > w.clientWidth + 1).length]"
            )
            if sizes[0] > sizes[1] or sizes[2]:
                wide[name] = sizes
        assert wide == {}, wide

        # Stacked rows: each value says which column it is (the hidden header's names).
        page.goto(live_server_url + pages["agentes"])
        row = page.locator("#agents-table tbody tr").first
        shown = row.locator("td").evaluate_all(
            "cells => cells.filter(c => c.offsetParent && !c.matches('.actions')).map("
            "c => getComputedStyle(c, '::before').content)"
        )
        assert shown[:2] == ['"Agente"', '"Perfil"'], shown
        page.goto(live_server_url + pages["webhooks"])
        cells = page.locator("tr[data-webhook] td:not(.actions)")
        assert cells.evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        ) == ['"URL do webhook"', '"Eventos"', '"Situação"']
        page.screenshot(path=str(ARTIFACTS / "phone-webhooks-labels.png"), full_page=True)
    finally:
        context.close()


def test_the_confirmation_link_wraps_in_the_development_mailbox(
    live_server_url, browser, settings, tmp_path
):
    settings.EMAIL_FILE_PATH = tmp_path
    link = (
        f"{live_server_url}/accounts/confirm-email/"
        "MQ:1uXyZa:Kq3vH0b8l7yJp2Wc9sRt4nD6fGhJkLmNoPqRsTuVwXyZaBcDeFgHiJkLmNoPqRsTuVwXyZ/"
    )
    EmailBackend(file_path=str(tmp_path)).send_messages(
        [EmailMessage("[Nexloo] Confirme seu e-mail", f"Olá!\n\n{link}\n", to=["joana@a.com"])]
    )
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/dev/mail/")
        page.get_by_role("link", name="[Nexloo] Confirme seu e-mail").click()
        text = page.locator("#mail-text")
        expect(text).to_contain_text("/accounts/confirm-email/")
        page.screenshot(path=str(ARTIFACTS / "phone-dev-mail.png"), full_page=True)
        sizes = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1], sizes
        box = text.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert box[0] <= box[1], box
    finally:
        context.close()


def test_the_conversation_menu_opens_inside_the_viewport(live_server_url, new_page, company):
    account, conversation = company["account"], company["conversation"]
    page = new_page("ana")
    sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
    page.goto(
        f"{live_server_url}/app/accounts/{account.pk}/conversations/{conversation.display_id}/"
    )
    more = page.locator('.pane-header summary[aria-label="Mais ações"]')
    more.click()
    menu = page.locator(".pane-header .menu-body")
    expect(menu).to_be_visible()
    for name in ("Marcar como pendente", "Adiar…", "Etiquetas…"):
        item = menu.get_by_role("button", name=name)
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (name, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 800, (name, box)
        # Nothing covers it (it is not behind the conversation list).
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.evaluate(
            "([x, y, name]) => document.elementFromPoint(x, y).closest('.menu-body') !== null",
            [*centre, name],
        ), name
    expect(menu.get_by_label("Prioridade")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "menu-1280.png"))

    # Esc closes it and gives the focus back; the keyboard opens it and walks the items.
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("button", name="Marcar como pendente")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("button", name="Adiar…")).to_be_focused()
    # An outside click closes it.
    page.locator(".ws-search").click(position={"x": 3, "y": 3})
    expect(menu).to_be_hidden()

    # Esc closes it wherever the focus went (here: nowhere, the page's body).
    more.click()
    expect(menu).to_be_visible()
    page.evaluate("document.activeElement.blur()")
    assert page.evaluate("document.activeElement === document.body")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()

    # The search placeholder fits its field; the phone number stays on one line.
    fits = page.locator("#ws-q").evaluate(
        """input => {
            const style = getComputedStyle(input);
            const ctx = document.createElement("canvas").getContext("2d");
            ctx.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return ctx.measureText(input.placeholder).width <= room;
        }"""
    )
    assert fits, page.locator("#ws-q").get_attribute("placeholder")
    phone = page.locator(".pane-header .phone")
    expect(phone).to_have_text("(11) 98765-4321")
    assert phone.evaluate("el => el.getClientRects().length") == 1


def test_the_workspace_filters_with_their_counts_on_a_phone(live_server_url, browser, company):
    """Issue 12: the sidebar's inbox, team and label links show their counts; on a phone they
    fold behind "Filtros", and a live refresh of the counts replaces them too."""
    account, conversation = company["account"], company["conversation"]
    conversation_services.conversation_labels_set(
        account=account,
        actor=None,
        conversation=conversation,
        titles=["Visita agendada para o fim de semana"],
    )
    context = phone(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
        page.goto(f"{live_server_url}/app/accounts/{account.pk}/conversations/")
        toggle = page.get_by_role("button", name="Filtros")
        inbox_link = page.locator(f'#ws-filter-links a[data-inbox="{company["inbox"].pk}"]')
        label_link = page.locator("#ws-filter-links a[data-label]")
        expect(page.locator('[data-count="all"]')).to_have_text("1")
        expect(inbox_link).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(inbox_link).to_be_visible()
        expect(inbox_link.locator(".count")).to_have_text("1")
        team_link = page.locator(f'a[data-team="{company["team"].pk}"]')
        expect(team_link.locator(".count")).to_have_text("1")  # the rule's Recepção
        expect(label_link.locator(".count")).to_have_text("1")
        # The long label keeps its count in view: the name gives way (an ellipsis).
        box, count = label_link.bounding_box(), label_link.locator(".count").bounding_box()
        assert count["x"] + count["width"] <= box["x"] + box["width"] <= 390, (box, count)
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], sizes
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-workspace-filters.png"), full_page=True)

        # Resolved elsewhere: the counts' refresh (as a websocket frame asks it) brings the
        # tabs and the links up to date, and the filters stay open.
        conversation_services.conversation_status_set(
            account=account, actor=None, conversation=conversation, status="resolved"
        )
        page.evaluate("htmx.trigger('#ws-counts', 'nexloo:refresh')")
        expect(page.locator('[data-count="all"]')).to_have_text("0")
        expect(inbox_link.locator(".count")).to_have_text("0")
        expect(label_link.locator(".count")).to_have_text("0")
        expect(team_link.locator(".count")).to_have_text("0")
        expect(inbox_link).to_be_visible()
        toggle.click()
        expect(inbox_link).to_be_hidden()

        # On a wide screen the filters are always there, and the button is not.
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(inbox_link).to_be_visible()
        expect(toggle).to_be_hidden()
        # (Read in one go: the status change's own frame may swap the links in meanwhile.)
        inside = page.evaluate(
            "() => document.querySelector('#ws-filter-links a[data-label] .count')"
            ".getBoundingClientRect().right"
            " <= document.querySelector('.ws-filters').getBoundingClientRect().right"
        )
        assert inside
        page.screenshot(path=str(ARTIFACTS / "workspace-filters-1280.png"))
    finally:
        context.close()
