"""Services and selectors of the inboxes app: settings, members, business hours."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from inboxes import selectors, services
from inboxes.models import Inbox, InboxMember, ScheduleRule
from inboxes.schedule import CLOSED, OPEN_ALL_DAY, DayHours
from nexloo.core.errors import NotFound, PermissionDenied, ValidationError
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

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="WhatsApp Comercial")


class TestInboxCreate:
    def test_creates_with_the_account_timezone_and_emits_on_commit(
        self, account, admin, recorded_events, on_commit
    ):
        account.timezone = "America/Manaus"
        account.save()
        with on_commit():
            inbox = services.inbox_create(account=account, actor=admin, name="  Atendimento  ")
            assert recorded_events == []  # nothing is told before the commit
        inbox.refresh_from_db()
        assert (inbox.name, inbox.timezone, inbox.channel_type) == (
            "Atendimento",
            "America/Manaus",
            "api",
        )
        assert not inbox.working_hours_enabled
        assert [(e.name, e.data["id"]) for e in recorded_events] == [("inbox.created", inbox.pk)]
        assert recorded_events[0].performer.id == admin.user_id

    def test_settings_are_stored(self, account, admin):
        inbox = services.inbox_create(
            account=account,
            actor=admin,
            name="Suporte",
            timezone="Europe/Lisbon",
            max_assignment_limit=5,
            assignment_policy="least_loaded",
            greeting_enabled=True,
            greeting_message="Olá!",
            out_of_office_message="Estamos fechados.",
        )
        inbox.refresh_from_db()
        assert inbox.timezone == "Europe/Lisbon"
        assert inbox.max_assignment_limit == 5
        assert inbox.assignment_policy == "least_loaded"
        assert (inbox.greeting_enabled, inbox.greeting_message) == (True, "Olá!")
        assert inbox.out_of_office_message == "Estamos fechados."

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "   "}, "name"),
            ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
            ({"name": "X", "channel_type": "telegram"}, "channel_type"),
            ({"name": "X", "max_assignment_limit": 0}, "max_assignment_limit"),
            ({"name": "X", "assignment_policy": "random"}, "assignment_policy"),
            ({"name": "X", "color": "red"}, "color"),
        ],
    )
    def test_invalid_input_is_refused_and_nothing_is_created(
        self, account, admin, fields, field, recorded_events, on_commit
    ):
        with on_commit(), pytest.raises(ValidationError) as exc:
            services.inbox_create(account=account, actor=admin, **fields)
        assert field in exc.value.message_dict
        assert not Inbox.objects.filter(account=account).exists()
        assert recorded_events == []

    def test_agents_may_not_create(self, account, agent):
        with pytest.raises(PermissionDenied):
            services.inbox_create(account=account, actor=agent, name="X")
        assert not Inbox.objects.exists()

    def test_someone_of_another_account_may_not_create(self, account, outsider):
        with pytest.raises(NotFound):
            services.inbox_create(account=account, actor=outsider, name="X")
        assert not Inbox.objects.exists()


class TestInboxUpdate:
    def test_updates_and_emits(self, account, admin, inbox, recorded_events, on_commit):
        with on_commit():
            services.inbox_update(
                account=account,
                actor=admin,
                inbox=inbox,
                name="WhatsApp Vendas",
                enable_auto_assignment=False,
                max_assignment_limit=None,
                working_hours_enabled=True,
            )
        inbox.refresh_from_db()
        assert inbox.name == "WhatsApp Vendas"
        assert inbox.enable_auto_assignment is False
        assert inbox.working_hours_enabled is True
        assert [e.name for e in recorded_events] == ["inbox.updated"]
        assert recorded_events[0].data["name"] == "WhatsApp Vendas"

    def test_refused_change_changes_nothing(self, account, admin, inbox):
        with pytest.raises(ValidationError) as exc:
            services.inbox_update(
                account=account, actor=admin, inbox=inbox, name="Novo", timezone="Nowhere/Land"
            )
        assert "timezone" in exc.value.message_dict
        inbox.refresh_from_db()
        assert (inbox.name, inbox.timezone) == ("WhatsApp Comercial", "America/Sao_Paulo")

    def test_channel_cannot_be_changed(self, account, admin, inbox):
        with pytest.raises(ValidationError) as exc:
            services.inbox_update(
                account=account, actor=admin, inbox=inbox, channel_type="whatsapp_cloud"
            )
        assert "channel_type" in exc.value.message_dict

    def test_another_accounts_inbox_is_not_found(self, account, admin, other_account):
        foreign = InboxFactory(account=other_account, name="Deles")
        with pytest.raises(NotFound):
            services.inbox_update(account=account, actor=admin, inbox=foreign, name="Nosso")
        foreign.refresh_from_db()
        assert foreign.name == "Deles"

    def test_agents_may_not_update(self, account, agent, inbox):
        with pytest.raises(PermissionDenied):
            services.inbox_update(account=account, actor=agent, inbox=inbox, name="X")
        inbox.refresh_from_db()
        assert inbox.name == "WhatsApp Comercial"


class TestInboxDelete:
    def test_deletes_with_members_and_hours(
        self, account, admin, agent, inbox, recorded_events, on_commit
    ):
        InboxMemberFactory(inbox=inbox, account_user=agent)
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        recorded_events.clear()
        inbox_id = inbox.pk
        with on_commit():
            services.inbox_delete(account=account, actor=admin, inbox=inbox)
        assert not Inbox.objects.filter(pk=inbox_id).exists()
        assert not InboxMember.objects.filter(account_user=agent).exists()
        assert not ScheduleRule.objects.filter(account=account).exists()
        assert [(e.name, e.data) for e in recorded_events] == [
            ("inbox.deleted", {"id": inbox_id, "name": "WhatsApp Comercial"})
        ]

    def test_agents_and_other_accounts_may_not_delete(self, account, agent, outsider, inbox):
        with pytest.raises(PermissionDenied):
            services.inbox_delete(account=account, actor=agent, inbox=inbox)
        with pytest.raises(NotFound):
            services.inbox_delete(account=outsider.account, actor=outsider, inbox=inbox)
        assert Inbox.objects.filter(pk=inbox.pk).exists()


class TestMembers:
    @pytest.fixture
    def people(self, account):
        return [AccountUserFactory(account=account) for _ in range(3)]

    def test_add_is_idempotent_and_tells_who_was_added(
        self, account, admin, inbox, people, recorded_events, on_commit
    ):
        first, second, _third = people
        with on_commit():
            services.inbox_members_add(
                account=account, actor=admin, inbox=inbox, user_ids=[first.user_id]
            )
            services.inbox_members_add(
                account=account,
                actor=admin,
                inbox=inbox,
                user_ids=[first.user_id, second.user_id],
            )
            services.inbox_members_add(
                account=account, actor=admin, inbox=inbox, user_ids=[second.user_id]
            )
        assert member_user_ids(inbox) == {first.user_id, second.user_id}
        changes = [(e.data["added_user_ids"], e.data["removed_user_ids"]) for e in recorded_events]
        assert changes == [([first.user_id], []), ([second.user_id], [])]
        # The people concerned are told, so that their inbox filters refresh.
        assert recorded_events[1].user_ids == {second.user_id}

    def test_set_makes_the_members_exactly_those(
        self, account, admin, inbox, people, recorded_events, on_commit
    ):
        first, second, third = people
        services.inbox_members_add(
            account=account, actor=admin, inbox=inbox, user_ids=[first.user_id, second.user_id]
        )
        with on_commit():
            services.inbox_members_set(
                account=account,
                actor=admin,
                inbox=inbox,
                user_ids=[second.user_id, third.user_id],
            )
        assert member_user_ids(inbox) == {second.user_id, third.user_id}
        event = recorded_events[-1]
        assert (event.data["added_user_ids"], event.data["removed_user_ids"]) == (
            [third.user_id],
            [first.user_id],
        )

    def test_set_to_nobody(self, account, admin, inbox, people):
        services.inbox_members_add(
            account=account, actor=admin, inbox=inbox, user_ids=[p.user_id for p in people]
        )
        services.inbox_members_set(account=account, actor=admin, inbox=inbox, user_ids=[])
        assert member_user_ids(inbox) == set()

    def test_remove_tells_only_who_was_really_removed(
        self, account, admin, inbox, people, recorded_events, on_commit
    ):
        first, second, third = people
        services.inbox_members_add(
            account=account, actor=admin, inbox=inbox, user_ids=[first.user_id, second.user_id]
        )
        with on_commit():
            services.inbox_members_remove(
                account=account,
                actor=admin,
                inbox=inbox,
                user_ids=[first.user_id, third.user_id],
            )
        assert member_user_ids(inbox) == {second.user_id}
        assert recorded_events[-1].data["removed_user_ids"] == [first.user_id]
        assert recorded_events[-1].user_ids == {first.user_id}

    def test_removing_someone_who_is_not_a_member_tells_nobody(
        self, account, admin, inbox, people, recorded_events, on_commit
    ):
        with on_commit():
            services.inbox_members_remove(
                account=account, actor=admin, inbox=inbox, user_ids=[people[0].user_id]
            )
        assert recorded_events == []

    @pytest.mark.parametrize(
        "operation",
        [services.inbox_members_add, services.inbox_members_set, services.inbox_members_remove],
    )
    def test_a_user_of_another_account_is_refused_and_nothing_changes(
        self, account, admin, inbox, people, outsider, operation, recorded_events, on_commit
    ):
        first, second, _ = people
        services.inbox_members_add(
            account=account, actor=admin, inbox=inbox, user_ids=[first.user_id]
        )
        recorded_events.clear()
        with on_commit(), pytest.raises(ValidationError) as exc:
            operation(
                account=account,
                actor=admin,
                inbox=inbox,
                user_ids=[second.user_id, outsider.user_id],
            )
        assert str(outsider.user_id) in exc.value.message_dict["user_ids"][0]
        assert member_user_ids(inbox) == {first.user_id}
        assert recorded_events == []

    def test_unknown_user_id_is_refused(self, account, admin, inbox):
        with pytest.raises(ValidationError):
            services.inbox_members_add(account=account, actor=admin, inbox=inbox, user_ids=[0])
        assert member_user_ids(inbox) == set()

    def test_agents_may_not_change_members(self, account, agent, inbox):
        with pytest.raises(PermissionDenied):
            services.inbox_members_add(
                account=account, actor=agent, inbox=inbox, user_ids=[agent.user_id]
            )
        assert member_user_ids(inbox) == set()

    def test_another_accounts_inbox_is_not_found(self, account, admin, other_account, people):
        foreign = InboxFactory(account=other_account)
        with pytest.raises(NotFound):
            services.inbox_members_set(
                account=account, actor=admin, inbox=foreign, user_ids=[people[0].user_id]
            )
        assert member_user_ids(foreign) == set()

    def test_membership_goes_away_with_the_agent(self, account, admin, inbox, people):
        from accounts import services as account_services

        services.inbox_members_add(
            account=account, actor=admin, inbox=inbox, user_ids=[people[0].user_id]
        )
        account_services.agent_remove(account=account, actor=admin, membership=people[0])
        assert member_user_ids(inbox) == set()


class TestSelectors:
    def test_agents_see_only_their_inboxes_with_the_real_member_counts(self, account, admin, agent):
        mine = InboxFactory(account=account, name="A minha")
        InboxFactory(account=account, name="Outra")
        colleague = AccountUserFactory(account=account)
        InboxMemberFactory(inbox=mine, account_user=agent)
        InboxMemberFactory(inbox=mine, account_user=colleague)
        seen = list(selectors.inboxes_list(membership=agent))
        assert [(i.name, i.members_count) for i in seen] == [("A minha", 2)]
        everything = selectors.inboxes_list(membership=admin)
        assert [(i.name, i.members_count) for i in everything] == [("A minha", 2), ("Outra", 0)]

    def test_inbox_get_is_not_found_outside_what_one_may_see(
        self, account, admin, agent, other_account
    ):
        theirs = InboxFactory(account=other_account)
        not_mine = InboxFactory(account=account)
        for membership, inbox_id in [(admin, theirs.pk), (agent, not_mine.pk), (admin, "abc")]:
            with pytest.raises(NotFound):
                selectors.inbox_get(membership=membership, inbox_id=inbox_id)
        assert selectors.inbox_get(membership=admin, inbox_id=not_mine.pk) == not_mine


class TestSchedule:
    def test_cenario_4_week_with_a_holiday_and_special_hours(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly=CENARIO_4,
            exceptions={
                date(2026, 9, 7): (DayHours(mode=CLOSED), "Independência"),
                date(2026, 12, 24): (hours(("08:30", "12:00")), "Véspera de Natal"),
            },
            enabled=True,
        )
        inbox.refresh_from_db()
        assert inbox.working_hours_enabled
        weekdays = [("", d, "interval", 510, 1020, "") for d in (MON, TUE, WED, THU, FRI)]
        assert stored_rules(inbox) == sorted(
            [
                ("", SUN, "closed_all_day", None, None, ""),
                *weekdays,
                ("", SAT, "interval", 540, 720, ""),
                ("2026-09-07", -1, "closed_all_day", None, None, "Independência"),
                ("2026-12-24", -1, "interval", 510, 720, "Véspera de Natal"),
            ]
        )
        inbox = selectors.inbox_get(membership=admin, inbox_id=inbox.pk)

        def at(*args):
            return datetime(*args, tzinfo=SAO_PAULO)

        assert not selectors.inbox_is_open(inbox, at(2026, 5, 4, 8, 29))  # Monday
        assert selectors.inbox_is_open(inbox, at(2026, 5, 4, 8, 30))
        assert not selectors.inbox_is_open(inbox, at(2026, 5, 4, 17, 0))
        assert selectors.inbox_is_open(inbox, at(2026, 5, 9, 11, 59))  # Saturday
        assert not selectors.inbox_is_open(inbox, at(2026, 5, 10, 10, 0))  # Sunday
        assert not selectors.inbox_is_open(inbox, at(2026, 9, 7, 10, 0))  # a Monday holiday
        assert not selectors.inbox_is_open(inbox, at(2026, 12, 24, 13, 0))  # a Thursday
        # Saturday at noon: next opening is Monday 08:30.
        assert selectors.inbox_next_opening(inbox, at(2026, 5, 9, 12, 0)) == at(2026, 5, 11, 8, 30)

    def test_disabled_hours_mean_always_open(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=False
        )
        sunday = datetime(2026, 5, 10, 10, 0, tzinfo=SAO_PAULO)
        assert selectors.inbox_is_open(inbox, sunday)
        assert selectors.inbox_next_opening(inbox, sunday) == sunday

    def test_split_shift_open_all_day_and_missing_days_closed(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={
                MON: hours(("14:00", "18:00"), ("08:00", "12:00")),
                TUE: DayHours(mode=OPEN_ALL_DAY),
            },
        )
        assert stored_rules(inbox) == sorted(
            [
                ("", MON, "interval", 480, 720, ""),
                ("", MON, "interval", 840, 1080, ""),
                ("", TUE, "open_all_day", None, None, ""),
                *[("", d, "closed_all_day", None, None, "") for d in (SUN, WED, THU, FRI, SAT)],
            ]
        )

    @pytest.mark.parametrize(
        ("day", "message"),
        [
            (
                hours(("08:00", "12:00"), ("11:00", "13:00")),
                "Os intervalos 08:00–12:00 e 11:00–13:00 se sobrepõem.",
            ),
            (hours(("17:00", "08:30")), "O intervalo 17:00–08:30 termina antes de começar."),
            (
                DayHours(mode="intervals"),
                "Informe pelo menos um intervalo ou marque o dia como fechado.",
            ),
        ],
    )
    def test_bad_intervals_are_refused_with_a_clear_message_and_nothing_changes(
        self, account, admin, inbox, day, message, recorded_events, on_commit
    ):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        before = stored_rules(inbox)
        recorded_events.clear()
        with on_commit(), pytest.raises(ValidationError) as exc:
            services.inbox_schedule_set(
                account=account,
                actor=admin,
                inbox=inbox,
                weekly={**CENARIO_4, WED: day},
                enabled=True,
            )
        assert exc.value.message_dict == {"day_3": [message]}
        assert stored_rules(inbox) == before
        inbox.refresh_from_db()
        assert not inbox.working_hours_enabled
        assert recorded_events == []

    def test_touching_intervals_are_fine(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={MON: hours(("08:00", "12:00"), ("12:00", "24:00"))},
        )
        monday_rules = [r for r in stored_rules(inbox) if r[1] == MON]
        assert [(r[3], r[4]) for r in monday_rules] == [(480, 720), (720, 1440)]

    def test_day_out_of_range_is_refused(self, account, admin, inbox):
        with pytest.raises(ValidationError):
            services.inbox_schedule_set(
                account=account, actor=admin, inbox=inbox, weekly={7: DayHours(mode=CLOSED)}
            )

    def test_bad_exception_is_refused_and_nothing_changes(self, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        before = stored_rules(inbox)
        with pytest.raises(ValidationError) as exc:
            services.inbox_schedule_set(
                account=account,
                actor=admin,
                inbox=inbox,
                weekly={MON: DayHours(mode=CLOSED)},
                exceptions={date(2026, 12, 31): (hours(("12:00", "10:00")), "")},
            )
        assert list(exc.value.message_dict) == ["exception_2026-12-31"]
        assert stored_rules(inbox) == before

    def test_partial_keeps_other_days_and_exceptions(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly=CENARIO_4,
            exceptions={date(2026, 9, 7): (DayHours(mode=CLOSED), "Feriado")},
        )
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={SAT: DayHours(mode=CLOSED)},
            partial=True,
        )
        rules = stored_rules(inbox)
        assert ("", SAT, "closed_all_day", None, None, "") in rules
        assert ("", MON, "interval", 510, 1020, "") in rules
        assert ("2026-09-07", -1, "closed_all_day", None, None, "Feriado") in rules

    def test_exceptions_are_replaced_when_given(self, account, admin, inbox):
        services.inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly=CENARIO_4,
            exceptions={date(2026, 9, 7): (DayHours(mode=CLOSED), "Feriado")},
        )
        services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, exceptions={}
        )
        assert ScheduleRule.objects.filter(inbox=inbox, date__isnull=False).count() == 0

    def test_add_and_remove_one_exception(self, account, admin, inbox):
        services.inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4)
        services.inbox_exception_set(
            account=account,
            actor=admin,
            inbox=inbox,
            when=date(2026, 11, 20),
            day=DayHours(mode=CLOSED),
            note="Consciência Negra",
        )
        services.inbox_exception_set(
            account=account,
            actor=admin,
            inbox=inbox,
            when=date(2026, 11, 20),
            day=hours(("10:00", "14:00")),
            note="Meio período",
        )
        dated = [r for r in stored_rules(inbox) if r[0]]
        assert dated == [("2026-11-20", -1, "interval", 600, 840, "Meio período")]
        services.inbox_exception_remove(
            account=account, actor=admin, inbox=inbox, when=date(2026, 11, 20)
        )
        assert [r for r in stored_rules(inbox) if r[0]] == []
        assert len(stored_rules(inbox)) == 7

    def test_agents_may_not_change_hours(self, account, agent, inbox):
        with pytest.raises(PermissionDenied):
            services.inbox_schedule_set(account=account, actor=agent, inbox=inbox, weekly=CENARIO_4)
        with pytest.raises(PermissionDenied):
            services.inbox_exception_set(
                account=account,
                actor=agent,
                inbox=inbox,
                when=date(2026, 1, 1),
                day=DayHours(mode=CLOSED),
            )
        assert stored_rules(inbox) == []

    def test_another_accounts_inbox_is_not_found(self, account, admin, other_account):
        foreign = InboxFactory(account=other_account)
        with pytest.raises(NotFound):
            services.inbox_schedule_set(
                account=account, actor=admin, inbox=foreign, weekly=CENARIO_4
            )
        with pytest.raises(NotFound):
            services.inbox_exception_remove(
                account=account, actor=admin, inbox=foreign, when=date(2026, 1, 1)
            )
        assert stored_rules(foreign) == []
