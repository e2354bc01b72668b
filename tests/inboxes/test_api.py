"""`/api/v1/accounts/{id}/inboxes` and `inbox_members`, with Chatwoot's paths and payloads."""

from __future__ import annotations

from datetime import date

import pytest

from inboxes import services
from inboxes.models import Inbox, ScheduleRule
from inboxes.schedule import CLOSED, DayHours
from tests.factories import AccountUserFactory
from tests.factories_inboxes import InboxFactory, InboxMemberFactory
from tests.inboxes.schedules import (
    CENARIO_4,
    FRI,
    MON,
    SAT,
    SUN,
    THU,
    TUE,
    WED,
    hours,
    member_user_ids,
    stored_rules,
)

pytestmark = pytest.mark.django_db


def inboxes_url(account, inbox_id=None):
    base = f"/api/v1/accounts/{account.pk}/inboxes"
    return f"{base}/{inbox_id}" if inbox_id else base


def members_url(account, inbox_id=None):
    base = f"/api/v1/accounts/{account.pk}/inbox_members"
    return f"{base}/{inbox_id}" if inbox_id else base


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="WhatsApp Comercial")


def chatwoot_day(dow, open_=None, close=None, **flags):
    """A `working_hours` entry as Chatwoot's dashboard sends it."""
    entry = {"day_of_week": dow, "closed_all_day": False, "open_all_day": False, **flags}
    if open_:
        entry.update(open_hour=open_[0], open_minutes=open_[1])
    if close:
        entry.update(close_hour=close[0], close_minutes=close[1])
    return entry


class TestList:
    def test_admin_gets_every_inbox_in_a_payload(self, admin_api, account, admin, agent, inbox):
        InboxFactory(account=account, name="Atendimento")
        InboxFactory(name="De outra conta")  # another account
        InboxMemberFactory(inbox=inbox, account_user=agent)
        body = admin_api.get(inboxes_url(account)).json()
        assert list(body) == ["payload"]
        assert [(i["name"], i["members_count"]) for i in body["payload"]] == [
            ("Atendimento", 0),
            ("WhatsApp Comercial", 1),
        ]
        first = body["payload"][0]
        assert first["account_id"] == account.pk
        assert first["channel_type"] == "Channel::Api"
        assert first["timezone"] == "America/Sao_Paulo"
        assert len(first["working_hours"]) == 7

    def test_an_agent_sees_only_the_inboxes_they_work_in(self, agent_api, account, agent, inbox):
        InboxFactory(account=account, name="Financeiro")
        InboxMemberFactory(inbox=inbox, account_user=agent)
        InboxMemberFactory(inbox=inbox, account_user=AccountUserFactory(account=account))
        body = agent_api.get(inboxes_url(account)).json()
        assert [(i["name"], i["members_count"]) for i in body["payload"]] == [
            ("WhatsApp Comercial", 2)
        ]

    def test_query_count_does_not_grow(self, admin_api, account, admin, django_assert_num_queries):
        def add_inboxes(n):
            for _ in range(n):
                inbox = InboxFactory(account=account)
                services.inbox_schedule_set(
                    account=account, actor=admin, inbox=inbox, weekly=CENARIO_4
                )
                InboxMemberFactory(inbox=inbox, account_user=AccountUserFactory(account=account))

        add_inboxes(2)
        # 4: the token with its membership, inboxes, their hours, the API channels' webhook_url.
        with django_assert_num_queries(4):
            assert len(admin_api.get(inboxes_url(account)).json()["payload"]) == 2
        add_inboxes(10)
        with django_assert_num_queries(4):
            assert len(admin_api.get(inboxes_url(account)).json()["payload"]) == 12


class TestDetail:
    def test_working_hours_as_chatwoot_has_them_plus_our_extras(self, admin_api, account, admin):
        inbox = InboxFactory(account=account, working_hours_enabled=True)
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={**CENARIO_4, WED: hours(("08:00", "12:00"), ("14:00", "24:00"))},
            exceptions={date(2026, 12, 25): (DayHours(mode=CLOSED), "Natal")},
        )
        body = admin_api.get(inboxes_url(account, inbox.pk)).json()
        assert body["working_hours_enabled"] is True
        days = {d["day_of_week"]: d for d in body["working_hours"]}
        assert days[SUN] == {
            "day_of_week": SUN,
            "closed_all_day": True,
            "open_all_day": False,
            "open_hour": None,
            "open_minutes": None,
            "close_hour": None,
            "close_minutes": None,
            "intervals": [],
        }
        assert days[MON] | {"intervals": None} == {
            "day_of_week": MON,
            "closed_all_day": False,
            "open_all_day": False,
            "open_hour": 8,
            "open_minutes": 30,
            "close_hour": 17,
            "close_minutes": 0,
            "intervals": None,
        }
        assert days[MON]["intervals"] == [{"open": "08:30", "close": "17:00"}]
        assert days[WED]["intervals"] == [
            {"open": "08:00", "close": "12:00"},
            {"open": "14:00", "close": "24:00"},
        ]
        assert body["working_hours_exceptions"] == [
            {
                "date": "2026-12-25",
                "closed_all_day": True,
                "open_all_day": False,
                "intervals": [],
                "note": "Natal",
            }
        ]

    def test_agent_outside_the_inbox_gets_404(self, agent_api, account, agent, inbox):
        assert agent_api.get(inboxes_url(account, inbox.pk)).status_code == 404
        InboxMemberFactory(inbox=inbox, account_user=agent)
        assert agent_api.get(inboxes_url(account, inbox.pk)).json()["name"] == inbox.name

    def test_another_accounts_inbox_is_404_for_an_admin(self, admin_api, account, other_account):
        foreign = InboxFactory(account=other_account)
        assert admin_api.get(inboxes_url(account, foreign.pk)).status_code == 404
        assert admin_api.get(inboxes_url(other_account, foreign.pk)).status_code == 404


class TestCreate:
    def test_create_like_chatwoot(self, admin_api, account):
        response = admin_api.post(
            inboxes_url(account),
            {
                "name": "WhatsApp Comercial",
                "channel": {"type": "api", "webhook_url": ""},
                "greeting_enabled": True,
                "greeting_message": "Olá!",
                "working_hours_enabled": True,
                "out_of_office_message": "Voltamos às 08:30.",
                "auto_assignment_config": {"max_assignment_limit": 3},
                "working_hours": [
                    chatwoot_day(SUN, closed_all_day=True),
                    *[chatwoot_day(d, (8, 30), (17, 0)) for d in (MON, TUE, WED, THU, FRI)],
                    chatwoot_day(SAT, (9, 0), (12, 0)),
                ],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        inbox = Inbox.objects.get(pk=body["id"], account=account)
        assert inbox.name == "WhatsApp Comercial" and inbox.channel_type == "api"
        assert inbox.greeting_enabled and inbox.working_hours_enabled
        assert inbox.max_assignment_limit == 3
        assert body["auto_assignment_config"] == {"max_assignment_limit": 3}
        assert [r for r in stored_rules(inbox) if r[1] in (SAT, SUN)] == [
            ("", SUN, "closed_all_day", None, None, ""),
            ("", SAT, "interval", 540, 720, ""),
        ]
        assert body["working_hours"][MON]["intervals"] == [{"open": "08:30", "close": "17:00"}]

    def test_chatwoots_trailing_slash_paths_work_too(self, admin_api, account):
        response = admin_api.post(inboxes_url(account) + "/", {"name": "Suporte"}, format="json")
        assert response.status_code == 200, response.content
        inbox_id = response.json()["id"]
        assert admin_api.get(inboxes_url(account, inbox_id) + "/").json()["name"] == "Suporte"
        assert len(admin_api.get(inboxes_url(account) + "/").json()["payload"]) == 1

    def test_name_is_required(self, admin_api, account):
        response = admin_api.post(inboxes_url(account), {"channel": {"type": "api"}}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "name"
        assert not Inbox.objects.exists()

    def test_unsupported_channel_is_422(self, admin_api, account):
        response = admin_api.post(
            inboxes_url(account), {"name": "X", "channel": {"type": "telegram"}}, format="json"
        )
        assert response.status_code == 422
        assert not Inbox.objects.exists()

    def test_bad_hours_create_nothing(self, admin_api, account):
        response = admin_api.post(
            inboxes_url(account),
            {"name": "X", "working_hours": [chatwoot_day(MON, (17, 0), (8, 0))]},
            format="json",
        )
        assert response.status_code == 422
        assert "17:00–08:00" in response.json()["message"]
        assert not Inbox.objects.exists()

    def test_agents_get_403(self, agent_api, account):
        response = agent_api.post(inboxes_url(account), {"name": "X"}, format="json")
        assert response.status_code == 403
        assert not Inbox.objects.exists()


class TestUpdate:
    def test_patch_settings(self, admin_api, account, inbox):
        response = admin_api.patch(
            inboxes_url(account, inbox.pk),
            {"name": "Vendas", "enable_auto_assignment": False, "timezone": "America/Manaus"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Vendas"
        inbox.refresh_from_db()
        assert (inbox.name, inbox.enable_auto_assignment, inbox.timezone) == (
            "Vendas",
            False,
            "America/Manaus",
        )

    def test_patch_some_chatwoot_days_keeps_the_others(self, admin_api, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        response = admin_api.patch(
            inboxes_url(account, inbox.pk),
            {
                "working_hours_enabled": True,
                "working_hours": [
                    chatwoot_day(SAT, closed_all_day=True),
                    chatwoot_day(SUN, open_all_day=True),
                    chatwoot_day(FRI, (8, 0), (23, 59)),  # Chatwoot's "until midnight"
                ],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        rules = stored_rules(inbox)
        assert ("", SAT, "closed_all_day", None, None, "") in rules
        assert ("", SUN, "open_all_day", None, None, "") in rules
        assert ("", FRI, "interval", 480, 1440, "") in rules
        assert ("", MON, "interval", 510, 1020, "") in rules
        inbox.refresh_from_db()
        assert inbox.working_hours_enabled
        days = response.json()["working_hours"]
        assert (days[FRI]["close_hour"], days[FRI]["close_minutes"]) == (23, 59)
        assert days[FRI]["intervals"] == [{"open": "08:00", "close": "24:00"}]
        assert days[SUN]["open_all_day"] is True
        # Chatwoot stores an open-all-day day as 00:00–23:59.
        assert [
            days[SUN][k] for k in ("open_hour", "open_minutes", "close_hour", "close_minutes")
        ] == [
            0,
            0,
            23,
            59,
        ]
        assert days[SAT]["closed_all_day"] is True and days[SAT]["open_hour"] is None

    def test_patch_split_shifts_and_exceptions(self, admin_api, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        response = admin_api.patch(
            inboxes_url(account, inbox.pk),
            {
                "working_hours": [
                    {
                        "day_of_week": MON,
                        "intervals": [
                            {"open": "14:00", "close": "18:00"},
                            {"open": "08:00", "close": "12:00"},
                        ],
                    }
                ],
                "working_hours_exceptions": [
                    {"date": "2026-09-07", "closed_all_day": True, "note": "Independência"},
                    {
                        "date": "2026-12-24",
                        "intervals": [{"open": "08:30", "close": "12:00"}],
                        "note": "Véspera de Natal",
                    },
                ],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["working_hours"][MON]["intervals"] == [
            {"open": "08:00", "close": "12:00"},
            {"open": "14:00", "close": "18:00"},
        ]
        assert [
            (e["date"], e["closed_all_day"], e["note"]) for e in body["working_hours_exceptions"]
        ] == [("2026-09-07", True, "Independência"), ("2026-12-24", False, "Véspera de Natal")]
        # Sending no exceptions leaves them; sending an empty list removes them.
        admin_api.patch(inboxes_url(account, inbox.pk), {"name": "X"}, format="json")
        assert ScheduleRule.objects.filter(inbox=inbox, date__isnull=False).count() == 2
        admin_api.patch(
            inboxes_url(account, inbox.pk), {"working_hours_exceptions": []}, format="json"
        )
        assert ScheduleRule.objects.filter(inbox=inbox, date__isnull=False).count() == 0

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            (
                {
                    "working_hours": [
                        {
                            "day_of_week": TUE,
                            "intervals": [
                                {"open": "08:00", "close": "12:00"},
                                {"open": "11:30", "close": "18:00"},
                            ],
                        }
                    ]
                },
                "Terça-feira: Os intervalos 08:00–12:00 e 11:30–18:00 se sobrepõem.",
            ),
            (
                {"working_hours": [chatwoot_day(TUE, (18, 0), (8, 0))]},
                "Terça-feira: O intervalo 18:00–08:00 termina antes de começar.",
            ),
            (
                {
                    "working_hours_exceptions": [
                        {"date": "2026-12-24", "intervals": [{"open": "13:00", "close": "9:00"}]}
                    ]
                },
                "2026-12-24: O intervalo 13:00–09:00 termina antes de começar.",
            ),
            (
                {
                    "working_hours": [
                        {"day_of_week": TUE, "intervals": [{"open": "8h", "close": "12:00"}]}
                    ]
                },
                "Terça-feira: “8h” não é uma hora do dia entre 00:00 e 24:00 (HH:MM).",
            ),
        ],
    )
    def test_bad_hours_are_422_with_a_clear_message_and_change_nothing(
        self, admin_api, account, admin, inbox, payload, message
    ):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        before = stored_rules(inbox)
        response = admin_api.patch(
            inboxes_url(account, inbox.pk), {"name": "Renomeada", **payload}, format="json"
        )
        assert response.status_code == 422, response.content
        body = response.json()
        assert body["errors"][0]["message"] == message
        assert body["errors"][0]["field"] in ("working_hours", "working_hours_exceptions")
        assert stored_rules(inbox) == before
        inbox.refresh_from_db()
        assert inbox.name == "WhatsApp Comercial"  # all or nothing

    def test_bad_settings_are_422(self, admin_api, account, inbox):
        response = admin_api.patch(
            inboxes_url(account, inbox.pk), {"timezone": "Mars/Olympus"}, format="json"
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "timezone"

    def test_agents_get_403_even_as_members(self, agent_api, account, agent, inbox):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        response = agent_api.patch(inboxes_url(account, inbox.pk), {"name": "X"}, format="json")
        assert response.status_code == 403
        inbox.refresh_from_db()
        assert inbox.name == "WhatsApp Comercial"

    def test_another_accounts_inbox_is_404(self, admin_api, account, other_account):
        foreign = InboxFactory(account=other_account, name="Deles")
        response = admin_api.patch(inboxes_url(account, foreign.pk), {"name": "X"}, format="json")
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert foreign.name == "Deles"


class TestDelete:
    def test_admin_deletes(self, admin_api, account, inbox):
        assert admin_api.delete(inboxes_url(account, inbox.pk)).status_code == 200
        assert not Inbox.objects.filter(pk=inbox.pk).exists()
        assert admin_api.get(inboxes_url(account, inbox.pk)).status_code == 404

    def test_agents_get_403(self, agent_api, account, agent, inbox):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        assert agent_api.delete(inboxes_url(account, inbox.pk)).status_code == 403
        assert Inbox.objects.filter(pk=inbox.pk).exists()

    def test_another_accounts_inbox_is_404(self, admin_api, account, other_account):
        foreign = InboxFactory(account=other_account)
        assert admin_api.delete(inboxes_url(account, foreign.pk)).status_code == 404
        assert Inbox.objects.filter(pk=foreign.pk).exists()


class TestMembers:
    @pytest.fixture
    def people(self, account):
        return [AccountUserFactory(account=account, user__name=f"Comercial {n}") for n in (1, 2, 3)]

    def test_add_replace_remove_and_list(self, admin_api, account, inbox, people):
        first, second, third = people
        response = admin_api.post(
            members_url(account),
            {"inbox_id": inbox.pk, "user_ids": [first.user_id, second.user_id]},
            format="json",
        )
        assert response.status_code == 200, response.content
        payload = response.json()["payload"]
        assert sorted(a["id"] for a in payload) == sorted([first.user_id, second.user_id])
        assert {"id", "name", "email", "role", "confirmed", "availability_status"} <= set(
            payload[0]
        )

        # Chatwoot documents inbox_id as a string for PATCH and DELETE.
        response = admin_api.patch(
            members_url(account),
            {"inbox_id": str(inbox.pk), "user_ids": [second.user_id, third.user_id]},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert member_user_ids(inbox) == {second.user_id, third.user_id}

        response = admin_api.delete(
            members_url(account),
            {"inbox_id": str(inbox.pk), "user_ids": [third.user_id]},
            format="json",
        )
        assert response.status_code == 200
        assert member_user_ids(inbox) == {second.user_id}

        body = admin_api.get(members_url(account, inbox.pk)).json()
        assert [(a["id"], a["name"]) for a in body["payload"]] == [(second.user_id, "Comercial 2")]

    def test_members_list_for_an_agent_of_the_inbox(self, agent_api, account, agent, inbox):
        assert agent_api.get(members_url(account, inbox.pk)).status_code == 404
        InboxMemberFactory(inbox=inbox, account_user=agent)
        body = agent_api.get(members_url(account, inbox.pk)).json()
        assert [a["id"] for a in body["payload"]] == [agent.user_id]

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_a_user_of_another_account_is_422_and_nothing_changes(
        self, admin_api, account, inbox, people, outsider, method
    ):
        InboxMemberFactory(inbox=inbox, account_user=people[0])
        response = getattr(admin_api, method)(
            members_url(account),
            {"inbox_id": inbox.pk, "user_ids": [people[1].user_id, outsider.user_id]},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "user_ids"
        assert member_user_ids(inbox) == {people[0].user_id}

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_agents_get_403(self, agent_api, account, agent, inbox, method):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        response = getattr(agent_api, method)(
            members_url(account), {"inbox_id": inbox.pk, "user_ids": []}, format="json"
        )
        assert response.status_code == 403
        assert member_user_ids(inbox) == {agent.user_id}

    @pytest.mark.parametrize("method", ["post", "patch", "delete"])
    def test_another_accounts_inbox_is_404(self, admin_api, account, other_account, people, method):
        foreign = InboxFactory(account=other_account)
        response = getattr(admin_api, method)(
            members_url(account),
            {"inbox_id": foreign.pk, "user_ids": [people[0].user_id]},
            format="json",
        )
        assert response.status_code == 404
        assert member_user_ids(foreign) == set()
        assert admin_api.get(members_url(account, foreign.pk)).status_code == 404

    def test_missing_fields_are_422(self, admin_api, account, inbox):
        response = admin_api.post(members_url(account), {"user_ids": [1]}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "inbox_id"


ENDPOINTS = [
    ("get", "inboxes", None),
    ("post", "inboxes", {"name": "Invasão"}),
    ("get", "inbox", None),
    ("patch", "inbox", {"name": "Invasão"}),
    ("delete", "inbox", None),
    ("get", "members_detail", None),
    ("post", "members", "body"),
    ("patch", "members", "body"),
    ("delete", "members", "body"),
]


@pytest.mark.parametrize(("method", "endpoint", "data"), ENDPOINTS)
def test_another_accounts_user_gets_404_everywhere(
    outsider_api, outsider, account, admin, inbox, method, endpoint, data
):
    InboxMemberFactory(inbox=inbox, account_user=admin)
    url = {
        "inboxes": inboxes_url(account),
        "inbox": inboxes_url(account, inbox.pk),
        "members_detail": members_url(account, inbox.pk),
        "members": members_url(account),
    }[endpoint]
    if data == "body":
        data = {"inbox_id": inbox.pk, "user_ids": [outsider.user_id]}
    response = getattr(outsider_api, method)(url, data, format="json")
    assert response.status_code == 404
    inbox.refresh_from_db()
    assert inbox.name == "WhatsApp Comercial"
    assert member_user_ids(inbox) == {admin.user_id}
    assert Inbox.objects.filter(account=account).count() == 1
