"""Configurações → Caixas de Entrada, in Portuguese: list, create, and the tabs of an inbox
(Configurações, Colaboradores, Horário de atendimento)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from inboxes import services
from inboxes.models import Inbox, ScheduleRule
from tests.busy import BOOSTED, assert_answered_in_place, assert_boosted, database_locked
from tests.factories import AccountUserFactory
from tests.factories_inboxes import InboxFactory, InboxMemberFactory
from tests.inboxes.schedules import (
    CENARIO_4,
    MON,
    SAT,
    SUN,
    WED,
    hours,
    member_user_ids,
    stored_rules,
)

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONDAY_10AM = datetime(2026, 5, 4, 10, 0, tzinfo=SAO_PAULO)
SUNDAY_10AM = datetime(2026, 5, 10, 10, 0, tzinfo=SAO_PAULO)


def url(name, account, inbox=None):
    args = [account.pk] if inbox is None else [account.pk, inbox.pk]
    return reverse(f"inboxes:{name}", args=args)


def checked(html: str, name: str) -> set[str]:
    """The values of the ticked checkboxes called `name`."""
    tags = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', html)
    found = set()
    for tag in tags:
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            found.add(value.group(1) if value else "on")  # a lone box posts "on"
    return found


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def row(html: str, attribute: str, value: str) -> str:
    return re.search(rf'{attribute}="{re.escape(value)}".*?</tr>', html, re.S).group(0)


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="WhatsApp Comercial")


def week_form(days=None, enabled=True) -> dict:
    """The hours tab's POST: Cenário 4 unless `days` says otherwise ({dow: (mode, [(a, b)])})."""
    cenario = {
        SUN: ("closed", []),
        **{d: ("intervals", [("08:30", "17:00")]) for d in range(1, 6)},
        SAT: ("intervals", [("09:00", "12:00")]),
    }
    cenario.update(days or {})
    data = {"working_hours_enabled": "on"} if enabled else {}
    for dow, (mode, pairs) in cenario.items():
        data[f"day_{dow}_mode"] = mode
        for n in range(3):
            start, end = pairs[n] if n < len(pairs) else ("", "")
            data[f"day_{dow}_start_{n}"] = start
            data[f"day_{dow}_end_{n}"] = end
    return data


class TestList:
    def test_lists_inboxes_in_portuguese_with_members_and_status(
        self, login, account, admin, agent, inbox
    ):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True
        )
        InboxFactory(account=account, name="Suporte")
        InboxFactory(name="De outra conta")
        client = login(admin)
        with time_machine.travel(MONDAY_10AM, tick=False):
            html = client.get(url("list", account)).content.decode()
        for label in ("Caixas de Entrada", "Adicionar Caixa de Entrada", "Colaboradores"):
            assert label in html
        assert re.findall(r'data-inbox="([^"]+)"', html) == ["Suporte", "WhatsApp Comercial"]
        whatsapp = row(html, "data-inbox", "WhatsApp Comercial")
        assert "Aberta agora" in whatsapp and ">1<" in whatsapp
        assert "Sempre aberta" in row(html, "data-inbox", "Suporte")
        with time_machine.travel(SUNDAY_10AM, tick=False):
            html = client.get(url("list", account)).content.decode()
        assert "Fechada agora" in row(html, "data-inbox", "WhatsApp Comercial")

    def test_empty_list_invites_to_add_one(self, login, account, admin):
        html = login(admin).get(url("list", account)).content.decode()
        assert "Nenhuma caixa de entrada ainda" in html
        assert url("new", account) in html

    def test_query_count_does_not_grow(self, login, account, admin, django_assert_num_queries):
        def add_inboxes(n):
            for _ in range(n):
                inbox = InboxFactory(account=account)
                services.inbox_schedule_set(
                    account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True
                )
                InboxMemberFactory(inbox=inbox, account_user=AccountUserFactory(account=account))

        client = login(admin)
        add_inboxes(2)
        client.get(url("list", account))  # the first visit also stores the account in the session
        with django_assert_num_queries(6):
            assert client.get(url("list", account)).status_code == 200
        add_inboxes(15)
        with django_assert_num_queries(6):
            html = client.get(url("list", account)).content.decode()
        assert html.count("data-inbox=") == 17

    def test_agents_get_403_and_other_accounts_404(self, login, account, agent, outsider):
        assert login(agent).get(url("list", account)).status_code == 403
        assert login(outsider).get(url("list", account)).status_code == 404

    def test_sidebar_leads_here(self, login, account, admin):
        html = login(admin).get(reverse("settings_agents", args=[account.pk])).content.decode()
        assert f'href="{url("list", account)}"' in html
        assert "Caixas de Entrada" in html


class TestCreate:
    def test_form_in_portuguese_with_the_accounts_timezone(self, login, account, admin):
        account.timezone = "America/Manaus"
        account.save()
        html = login(admin).get(url("new", account)).content.decode()
        for label in ("Adicionar Caixa de Entrada", "Nome da caixa de entrada", "Canal"):
            assert label in html
        assert selected(html, "timezone") == "America/Manaus"

    def test_create_goes_to_the_collaborators_tab(self, login, account, admin):
        response = login(admin).post(
            url("new", account),
            {"name": "WhatsApp Comercial", "channel_type": "api", "timezone": "America/Sao_Paulo"},
            follow=True,
        )
        inbox = Inbox.objects.get(account=account)
        assert inbox.name == "WhatsApp Comercial"
        assert response.redirect_chain[-1][0] == url("members", account, inbox)
        html = response.content.decode()
        assert "Caixa de entrada criada" in html
        assert re.search(r'<a [^>]*aria-current="page">Colaboradores</a>', html)

    def test_missing_name_shows_the_error_and_keeps_the_input(self, login, account, admin):
        response = login(admin).post(
            url("new", account),
            {"name": "", "channel_type": "api", "timezone": "Europe/Lisbon"},
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "has-error" in html and "Este campo é obrigatório." in html
        assert selected(html, "timezone") == "Europe/Lisbon"
        assert not Inbox.objects.exists()

    def test_agents_cannot_create(self, login, account, agent):
        response = login(agent).post(
            url("new", account), {"name": "X", "channel_type": "api", "timezone": "UTC"}
        )
        assert response.status_code == 403
        assert not Inbox.objects.exists()


class TestSettingsTab:
    def test_tabs_and_current_settings(self, login, account, admin, inbox):
        html = login(admin).get(url("settings", account, inbox)).content.decode()
        tabs = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
        assert re.findall(r">([^<]+)</a>", tabs) == [
            "Configurações",
            "Colaboradores",
            "Horário de atendimento",
            "Webhook",  # an API channel's (webhooks.views.InboxWebhookView)
        ]
        assert 'value="WhatsApp Comercial"' in html
        assert "Mensagem de ausência" in html

    def test_save(self, login, account, admin, inbox):
        response = login(admin).post(
            url("settings", account, inbox),
            {
                "name": "WhatsApp Vendas",
                "timezone": "America/Sao_Paulo",
                "assignment_policy": "least_loaded",
                "max_assignment_limit": "4",
                "greeting_enabled": "on",
                "greeting_message": "Olá!",
                "out_of_office_message": "Voltamos às 08:30.",
            },
            follow=True,
        )
        assert "Configurações da caixa de entrada salvas." in response.content.decode()
        inbox.refresh_from_db()
        assert inbox.name == "WhatsApp Vendas"
        assert inbox.enable_auto_assignment is False  # the unticked box
        assert (inbox.assignment_policy, inbox.max_assignment_limit) == ("least_loaded", 4)
        assert (inbox.greeting_enabled, inbox.out_of_office_message) == (
            True,
            "Voltamos às 08:30.",
        )

    def test_invalid_limit_is_shown_and_nothing_changes(self, login, account, admin, inbox):
        response = login(admin).post(
            url("settings", account, inbox),
            {
                "name": "Outro nome",
                "timezone": "America/Sao_Paulo",
                "assignment_policy": "round_robin",
                "max_assignment_limit": "0",
            },
        )
        assert response.status_code == 422
        assert "has-error" in response.content.decode()
        inbox.refresh_from_db()
        assert (inbox.name, inbox.max_assignment_limit) == ("WhatsApp Comercial", None)


class TestCollaboratorsTab:
    def test_ticks_the_current_members(self, login, account, admin, agent, inbox):
        colleague = AccountUserFactory(account=account, user__name="Carla Comercial")
        InboxMemberFactory(inbox=inbox, account_user=agent)
        html = login(admin).get(url("members", account, inbox)).content.decode()
        assert "Colaboradores" in html
        assert "Carla Comercial (Agente)" in html and "Ana Administradora (Administrador)" in html
        assert checked(html, "members") == {str(agent.pk)}
        assert str(colleague.pk) not in checked(html, "members")

    def test_save_sets_exactly_the_ticked_people(self, login, account, admin, agent, inbox):
        carla = AccountUserFactory(account=account)
        InboxMemberFactory(inbox=inbox, account_user=admin)
        response = login(admin).post(
            url("members", account, inbox), {"members": [agent.pk, carla.pk]}, follow=True
        )
        assert "Colaboradores salvos." in response.content.decode()
        assert member_user_ids(inbox) == {agent.user_id, carla.user_id}
        assert checked(response.content.decode(), "members") == {str(agent.pk), str(carla.pk)}

    def test_nobody_ticked_empties_the_inbox(self, login, account, admin, agent, inbox):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        login(admin).post(url("members", account, inbox), {})
        assert member_user_ids(inbox) == set()

    def test_someone_of_another_account_cannot_be_slipped_in(
        self, login, account, admin, agent, outsider, inbox
    ):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        response = login(admin).post(
            url("members", account, inbox), {"members": [admin.pk, outsider.pk]}
        )
        assert response.status_code == 422
        assert member_user_ids(inbox) == {agent.user_id}

    def test_query_count_does_not_grow(
        self, login, account, admin, inbox, django_assert_num_queries
    ):
        client = login(admin)
        AccountUserFactory.create_batch(2, account=account)
        client.get(url("members", account, inbox))
        with django_assert_num_queries(8):
            client.get(url("members", account, inbox))
        for person in AccountUserFactory.create_batch(15, account=account):
            InboxMemberFactory(inbox=inbox, account_user=person)
        with django_assert_num_queries(8):
            html = client.get(url("members", account, inbox)).content.decode()
        assert len(checked(html, "members")) == 15


class TestHoursTab:
    def test_shows_the_week_in_portuguese(self, login, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        html = login(admin).get(url("hours", account, inbox)).content.decode()
        for label in (
            "Horário de atendimento",
            "Domingo",
            "Segunda-feira",
            "Terça-feira",
            "Quarta-feira",
            "Quinta-feira",
            "Sexta-feira",
            "Sábado",
            "Ativar horário de atendimento",
        ):
            assert label in html
        assert selected(html, "day_0_mode") == "closed"
        assert selected(html, "day_1_mode") == "intervals"
        assert 'name="day_1_start_0" value="08:30"' in html
        assert 'name="day_1_end_0" value="17:00"' in html
        assert 'name="day_6_end_0" value="12:00"' in html
        assert "Sempre aberta" in html  # not enabled yet

    def test_save_cenario_4(self, login, account, admin, inbox):
        response = login(admin).post(url("hours", account, inbox), week_form(), follow=True)
        assert "Horário de atendimento salvo." in response.content.decode()
        inbox.refresh_from_db()
        assert inbox.working_hours_enabled
        assert stored_rules(inbox) == sorted(
            [
                ("", SUN, "closed_all_day", None, None, ""),
                *[("", d, "interval", 510, 1020, "") for d in range(1, 6)],
                ("", SAT, "interval", 540, 720, ""),
            ]
        )

    def test_open_and_closed_now_in_the_inbox_timezone(self, login, account, admin, inbox):
        services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True
        )
        client = login(admin)
        with time_machine.travel(MONDAY_10AM, tick=False):
            assert "Aberta agora" in client.get(url("hours", account, inbox)).content.decode()
        with time_machine.travel(SUNDAY_10AM, tick=False):
            html = client.get(url("hours", account, inbox)).content.decode()
        assert "Fechada agora" in html
        assert "Abre segunda-feira, 11/05 às 08:30" in html

    def test_next_opening_is_told_on_the_inboxs_clock(self, login, account, admin, inbox):
        # The account is in São Paulo; this inbox answers from Lisbon (UTC+1 in May).
        services.inbox_update(account=account, actor=admin, inbox=inbox, timezone="Europe/Lisbon")
        services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True
        )
        with time_machine.travel(SUNDAY_10AM, tick=False):  # 14:00 on Sunday in Lisbon
            html = login(admin).get(url("hours", account, inbox)).content.decode()
        assert "Fechada agora" in html
        assert "Abre segunda-feira, 11/05 às 08:30" in html
        assert "Fuso horário: Europe/Lisbon" in html

    def test_a_split_shift_shows_its_second_interval_unfolded(self, login, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={**CENARIO_4, MON: hours(("08:00", "12:00"), ("14:00", "18:00"))},
        )
        html = login(admin).get(url("hours", account, inbox)).content.decode()
        assert '<details class="more-intervals" open>' in row(html, "data-day", str(MON))
        assert '<details class="more-intervals">' in row(html, "data-day", str(WED))
        assert 'name="day_1_start_1" value="14:00"' in html

    def test_split_shift_and_midnight(self, login, account, admin, inbox):
        login(admin).post(
            url("hours", account, inbox),
            week_form({MON: ("intervals", [("08:00", "12:00"), ("14:00", "00:00")])}),
        )
        monday = [r for r in stored_rules(inbox) if r[1] == MON]
        assert [(r[3], r[4]) for r in monday] == [(480, 720), (840, 1440)]

    @pytest.mark.parametrize(
        ("pairs", "message"),
        [
            (
                [("08:00", "12:00"), ("11:00", "18:00")],
                "Os intervalos 08:00–12:00 e 11:00–18:00 se sobrepõem.",
            ),
            ([("18:00", "08:00")], "O intervalo 18:00–08:00 termina antes de começar."),
            ([("08:00", "")], "Preencha o horário de abertura e o de fechamento."),
            ([], "Informe pelo menos um intervalo ou marque o dia como fechado."),
        ],
    )
    def test_bad_intervals_are_shown_on_their_day_and_nothing_changes(
        self, login, account, admin, inbox, pairs, message
    ):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        before = stored_rules(inbox)
        response = login(admin).post(
            url("hours", account, inbox), week_form({WED: ("intervals", pairs)})
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert message in row(html, "data-day", str(WED))
        assert message not in row(html, "data-day", str(MON))
        if pairs:  # what was typed is shown again
            assert f'name="day_3_start_0" value="{pairs[0][0]}"' in html
        else:
            assert 'name="day_3_start_0" value=' not in html
        assert stored_rules(inbox) == before
        inbox.refresh_from_db()
        assert not inbox.working_hours_enabled

    def test_add_and_remove_a_holiday(self, login, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        client = login(admin)
        response = client.post(
            url("hours", account, inbox),
            {"action": "add_exception", "date": "2026-09-07", "mode": "closed", "note": "Feriado"},
            follow=True,
        )
        html = response.content.decode()
        assert "Exceção salva." in html
        assert re.search(r'data-exception="2026-09-07".*?Fechado o dia todo.*?Feriado', html, re.S)
        client.post(
            url("hours", account, inbox),
            {
                "action": "add_exception",
                "date": "2026-12-24",
                "mode": "intervals",
                "start": "08:30",
                "end": "12:00",
            },
        )
        assert [r for r in stored_rules(inbox) if r[0]] == [
            ("2026-09-07", -1, "closed_all_day", None, None, "Feriado"),
            ("2026-12-24", -1, "interval", 510, 720, ""),
        ]
        response = client.post(
            url("hours", account, inbox),
            {"action": "remove_exception", "date": "2026-09-07"},
            follow=True,
        )
        assert "Exceção removida." in response.content.decode()
        assert [r[0] for r in stored_rules(inbox) if r[0]] == ["2026-12-24"]
        assert len([r for r in stored_rules(inbox) if not r[0]]) == 7  # the week is untouched

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"mode": "intervals", "start": "12:00", "end": "08:00"},
                "O intervalo 12:00–08:00 termina antes de começar.",
            ),
            (
                {"mode": "intervals", "start": "08:00", "end": ""},
                "Preencha o horário de abertura e o de fechamento.",
            ),
            ({"mode": "closed", "date": ""}, "Este campo é obrigatório."),
        ],
    )
    def test_bad_exception_is_shown_and_nothing_changes(
        self, login, account, admin, inbox, data, message
    ):
        response = login(admin).post(
            url("hours", account, inbox),
            {"action": "add_exception", "date": "2026-12-24", **data},
        )
        assert response.status_code == 422
        assert message in response.content.decode()
        assert not ScheduleRule.objects.filter(inbox=inbox).exists()


class TestDelete:
    def test_asks_first_then_deletes(self, login, account, admin, inbox):
        client = login(admin)
        page = client.get(url("delete", account, inbox)).content.decode()
        assert "Remover esta caixa de entrada?" in page
        assert Inbox.objects.filter(pk=inbox.pk).exists()
        response = client.post(url("delete", account, inbox), follow=True)
        assert response.redirect_chain[-1][0] == url("list", account)
        assert "A caixa de entrada WhatsApp Comercial foi removida." in response.content.decode()
        assert not Inbox.objects.filter(pk=inbox.pk).exists()

    def test_the_tabs_offer_the_confirmation_dialog(self, login, account, admin, inbox):
        html = login(admin).get(url("settings", account, inbox)).content.decode()
        dialog = re.search(r'<dialog id="delete-inbox".*?</dialog>', html, re.S).group(0)
        assert "Remover esta caixa de entrada?" in dialog
        assert f'action="{url("delete", account, inbox)}"' in dialog
        assert 'hx-boost="true"' in dialog  # a busy database keeps the page (tests/busy.py)

    def test_a_busy_database_answers_the_delete_in_place(self, login, account, admin, inbox):
        client = login(admin)
        page = client.get(url("delete", account, inbox)).content.decode()
        assert_boosted(page, url("delete", account, inbox).rsplit("/", 2)[0], count=1)
        with database_locked():
            assert_answered_in_place(client.post(url("delete", account, inbox), **BOOSTED))
        assert Inbox.objects.filter(pk=inbox.pk).exists()


PAGES = ["settings", "members", "hours", "delete"]


@pytest.mark.parametrize("page", PAGES)
def test_another_accounts_inbox_is_404_for_an_admin(login, account, admin, other_account, page):
    foreign = InboxFactory(account=other_account, name="Deles")
    client = login(admin)
    assert client.get(url(page, account, foreign)).status_code == 404
    assert client.post(url(page, account, foreign), {"name": "X"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Deles"


@pytest.mark.parametrize("page", ["list", "new", *PAGES])
def test_another_accounts_user_gets_404_and_agents_403(
    login, account, outsider, agent, inbox, page
):
    InboxMemberFactory(inbox=inbox, account_user=agent)
    target = url(page, account) if page in ("list", "new") else url(page, account, inbox)
    assert login(outsider).get(target).status_code == 404
    assert login(outsider).post(target, {"name": "X"}).status_code == 404
    assert login(agent).get(target).status_code == 403
    assert login(agent).post(target, {"name": "X"}).status_code == 403
    inbox.refresh_from_db()
    assert inbox.name == "WhatsApp Comercial"
    assert Inbox.objects.count() == 1
