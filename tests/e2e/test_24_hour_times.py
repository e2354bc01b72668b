"""Issue 7 §8: times are shown and typed in 24 hours whatever the browser's locale. A browser set
to American English shows a native time field as "06:00 PM"; the business hours are "18:00"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts import services as account_services
from inboxes import services as inbox_services
from inboxes.models import ScheduleRule
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"


def test_business_hours_are_24_hour_in_an_american_browser(live_server_url, browser):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    inbox = inbox_services.inbox_create(
        account=new.account, actor=new.admin, name="WhatsApp", enable_auto_assignment=False
    )
    # The browser's own language is American English; the person reads the product in pt-BR.
    context = browser.new_context(
        locale="en-US",
        extra_http_headers={"Accept-Language": "pt-BR"},
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # This browser writes hours with AM/PM (what a native time field would show).
        assert page.evaluate(
            "new Intl.DateTimeFormat(navigator.language, {hour: 'numeric'})"
            ".resolvedOptions().hourCycle"
        ) in ("h11", "h12")
        sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
        page.goto(live_server_url + reverse("inboxes:hours", args=[new.account.pk, inbox.pk]))
        page.get_by_label("Ativar horário de atendimento").check()
        page.get_by_label("Segunda-feira", exact=True).select_option(label="Aberto entre")
        opens = page.get_by_label("Segunda-feira, intervalo 1: abre às")
        closes = page.get_by_label("Segunda-feira, intervalo 1: fecha às")
        expect(opens).to_have_attribute("placeholder", "HH:MM")
        opens.fill("0830")  # a phone's numeric keyboard has no ":"
        closes.fill("18h")
        # A 12-hour time is refused with how to write it, and stays as typed.
        page.get_by_label("Terça-feira", exact=True).select_option(label="Aberto entre")
        page.get_by_label("Terça-feira, intervalo 1: abre às").fill("9:00")
        page.get_by_label("Terça-feira, intervalo 1: fecha às").fill("6:00 PM")
        page.get_by_role("button", name="Salvar horário de atendimento").click()
        tuesday = page.locator('tr[data-day="2"]')
        expect(tuesday.locator(".errors")).to_have_text(
            "Digite o horário como HH:MM, em 24 horas (por exemplo 08:30 ou 18:00)."
        )
        expect(page.get_by_label("Terça-feira, intervalo 1: fecha às")).to_have_value("6:00 PM")
        page.get_by_label("Terça-feira, intervalo 1: fecha às").fill("18:00")
        page.get_by_role("button", name="Salvar horário de atendimento").click()
        expect(page.get_by_role("status")).to_contain_text("Horário de atendimento salvo.")

        # What the page shows is the text of the field: "08:30" and "18:00", not "06:00 PM".
        for field, shown in [(opens, "08:30"), (closes, "18:00")]:
            expect(field).to_have_attribute("type", "text")
            expect(field).to_have_value(shown)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hours-en-us-browser.png"))
        monday = ScheduleRule.objects.get(inbox=inbox, day_of_week=1)
        assert (monday.start_minute, monday.end_minute) == (8 * 60 + 30, 18 * 60)
    finally:
        context.close()


def test_snoozing_until_a_time_is_24_hour_in_an_american_browser(live_server_url, browser):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from conversations import services as conversation_services
    from conversations.models import Conversation
    from tests.factories import ContactInboxFactory

    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    inbox = inbox_services.inbox_create(
        account=new.account, actor=new.admin, name="WhatsApp", enable_auto_assignment=False
    )
    conversation = conversation_services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox, contact__name="Maria Souza")
    ).conversation
    context = browser.new_context(
        locale="en-US",
        extra_http_headers={"Accept-Language": "pt-BR"},
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    day = (datetime.now(ZoneInfo("America/Sao_Paulo")) + timedelta(days=2)).date()
    try:
        sign_in(page, live_server_url, "ana@boavista.com.br", PASSWORD)
        page.goto(
            f"{live_server_url}/app/accounts/{new.account.pk}/conversations/"
            f"{conversation.display_id}/"
        )
        page.locator('.pane-header summary[aria-label="Mais ações"]').click()
        page.get_by_role("button", name="Adiar…").click()
        dialog = page.get_by_role("dialog", name="Adiar conversa")
        dialog.get_by_label("Adiar", exact=True).select_option(label="Até…")
        dialog.get_by_label("Data e hora").fill(day.isoformat())
        hour = dialog.get_by_label("Hora", exact=True)
        expect(hour).to_have_attribute("type", "text")
        expect(hour).to_have_attribute("placeholder", "HH:MM")
        hour.fill("18:30")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "snooze-en-us-browser.png"))
        dialog.get_by_role("button", name="Adiar", exact=True).click()
        expect(page.locator(".pane-header [data-status]")).to_contain_text(
            f"Adiada · {day:%d/%m} 18:30"
        )
        snoozed = Conversation.objects.get(pk=conversation.pk).snoozed_until
        assert snoozed == datetime(
            day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("America/Sao_Paulo")
        )
    finally:
        context.close()
