"""The engine's promises: rules decide before round robin, exactly once (redelivered, or two at
once), never in a loop, fall back to round robin when they keep failing, switch themselves off
after 5 failures in a row, and rules on the clock fire once per waiting period."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.db import OperationalError, close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import AccountUser
from automations import actions, selectors
from automations import services as rule_services
from automations import tasks as rule_tasks
from automations.models import AutomationRule, AutomationRun
from conversations import services, tasks
from conversations.models import Conversation, Label, Message
from conversations.services import IncomingMessage
from inboxes.services import inbox_schedule_set
from tests.factories import (
    AccountUserFactory,
    AdminFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxMemberFactory,
    TeamFactory,
    TeamMemberFactory,
)
from tests.inboxes.schedules import CENARIO_4

pytestmark = pytest.mark.django_db
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def notes(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, private=True)
        .order_by("pk")
        .values_list("content", flat=True)
    )


def redeliver_until_done(task, *args) -> int:
    """Runs the task as the broker would: again, with one more retry, while it asks to be
    retried (eager runs do not retry by themselves). Returns the attempt that finished."""
    for attempt in range(task.max_retries + 1):
        try:
            task.apply(args=args, retries=attempt).get()
        except Retry:
            continue
        return attempt
    raise AssertionError("still retrying after the last attempt")


class TestBeforeRoundRobin:
    def test_an_agent_coming_online_before_intake_does_not_get_it(
        self, account, scenario, reception_rule, inbox, django_capture_on_commit_callbacks
    ):
        carlos = scenario["comercial1"]
        account_services.availability_set(
            account=account, membership=carlos, availability="offline"
        )
        for key in ("secretaria", "comercial2", "comercial3"):
            scenario[key].availability = "offline"
            scenario[key].save()
        # Created; its intake task is queued but has not run yet (its commit callback is held).
        with django_capture_on_commit_callbacks(execute=False) as held:
            conversation = services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox)
            ).conversation
        # Carlos comes online: his inbox's queue is drained, and the sweep runs too.
        with django_capture_on_commit_callbacks(execute=True):
            account_services.availability_set(
                account=account, membership=carlos, availability="online"
            )
        assert services.assignment_queue_drain(inbox_id=inbox.pk) == 0
        tasks.sweep.apply()
        assert Conversation.objects.get(pk=conversation.pk).assignee is None
        # The intake runs: the rule sends it to Recepção (whose secretária is away: it waits).
        with django_capture_on_commit_callbacks(execute=True):
            for callback in held:
                callback()
        conversation.refresh_from_db()
        assert (conversation.team, conversation.assignee) == (scenario["reception"], None)
        assert services.assignment_queue_drain(inbox_id=inbox.pk) == 0  # Carlos is not Recepção

    def test_lost_intake_is_queued_again_by_the_sweep(
        self, scenario, reception_rule, inbox, django_capture_on_commit_callbacks
    ):
        with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=SAO_PAULO), tick=False) as t:
            with django_capture_on_commit_callbacks(execute=False):  # the task never left
                conversation = services.conversation_open_for(
                    contact_inbox=ContactInboxFactory(inbox=inbox)
                ).conversation
            t.shift(timedelta(seconds=30))
            assert tasks.sweep.apply().get()["intake"] == 0  # too recent: its task may be coming
            t.shift(timedelta(minutes=1))
            with django_capture_on_commit_callbacks(execute=True):
                assert tasks.sweep.apply().get()["intake"] == 1
        conversation.refresh_from_db()
        assert conversation.intake_done_at is not None
        assert (conversation.team, conversation.assignee) == (
            scenario["reception"],
            scenario["secretaria"],
        )
        assert tasks.sweep.apply().get()["intake"] == 0


class TestExactlyOnce:
    def test_an_event_task_delivered_twice_runs_the_rule_once(self, account, admin, rule, open_new):
        rule(
            "conversation_updated",
            actions=[{"action_name": "add_private_note", "action_params": ["Prioridade mudou"]}],
        )
        conversation = open_new()
        args = ["conversation_updated", "event:abc", conversation.pk, None, []]
        assert rule_tasks.run_event.apply(args=args).get() == 1
        assert rule_tasks.run_event.apply(args=args).get() == 0
        assert notes(conversation) == ["Prioridade mudou"]
        assert AutomationRun.objects.filter(conversation=conversation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_run_the_rule_once(account, admin, inbox, fast_passwords):
    rule_services.rule_create(
        account=account,
        actor=admin,
        name="Nota",
        event_name="message_created",
        actions=[{"action_name": "add_private_note", "action_params": ["Recebida"]}],
    )
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    message, _ = services.message_receive(
        conversation=conversation, incoming=IncomingMessage(content="Oi")
    )
    barrier = threading.Barrier(2)
    errors = []

    def deliver():
        try:
            barrier.wait()
            rule_services.rules_run_for_event(
                event_name="message_created",
                dedupe_key=f"message:{message.pk}",
                message_id=message.pk,
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert notes(conversation) == ["Recebida"]
    assert AutomationRun.objects.filter(conversation=conversation).count() == 1


class TestNoLoops:
    def test_a_rules_own_changes_do_not_trigger_rules(
        self, account, admin, rule, open_new, django_capture_on_commit_callbacks
    ):
        rule(
            "conversation_updated",
            name="Urgente",
            actions=[
                {"action_name": "change_priority", "action_params": ["urgent"]},
                {"action_name": "add_private_note", "action_params": ["Marcada como urgente"]},
            ],
        )
        rule(
            "message_created",
            name="Eco",
            actions=[{"action_name": "send_message", "action_params": ["Recebemos sua mensagem"]}],
        )
        conversation = open_new()
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_priority_set(
                account=account, actor=admin, conversation=conversation, priority="low"
            )
        conversation.refresh_from_db()
        assert conversation.priority == "urgent"
        assert notes(conversation) == ["Marcada como urgente"]  # once: its change did not retrigger
        with django_capture_on_commit_callbacks(execute=True):
            services.message_receive(
                conversation=conversation, incoming=IncomingMessage(content="Oi")
            )
        echoes = Message.objects.filter(conversation=conversation, content="Recebemos sua mensagem")
        assert echoes.count() == 1  # its own message did not retrigger it
        assert echoes.get().sender_type == "automation_rule"
        line = Message.objects.filter(conversation=conversation, message_type="activity").last()
        assert line.content == "Prioridade definida como Urgente por Automação (Urgente)"

    def test_the_routing_message_a_rule_caused_does_not_trigger_message_rules(
        self, scenario, reception_rule, rule, open_new
    ):
        rule(
            "message_created",
            name="Eco",
            actions=[{"action_name": "add_private_note", "action_params": ["Mensagem nova"]}],
        )
        conversation = open_new()
        routing = Message.objects.get(conversation=conversation, message_type="outgoing")
        assert routing.sender_name == "Recepção"  # signed by the team, caused by the rule
        assert notes(conversation) == []
        assert not AutomationRun.objects.filter(rule__name="Eco").exists()

    def test_the_member_the_engine_picks_after_a_rule_routed_does_not_retrigger_it(
        self, account, admin, scenario, rule, open_new, django_capture_on_commit_callbacks
    ):
        conversation = open_new()
        assert conversation.assignee == scenario["secretaria"]  # the inbox's round robin
        urgent = rule(
            "conversation_updated",
            name="Urgente para Comercial",
            conditions=[
                {"attribute_key": "priority", "filter_operator": "equal_to", "values": ["urgent"]}
            ],
            actions=[
                {"action_name": "assign_team", "action_params": [scenario["sales"].pk]},
                {"action_name": "add_private_note", "action_params": ["Urgente: Comercial"]},
            ],
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_priority_set(
                account=account, actor=admin, conversation=conversation, priority="urgent"
            )
        conversation.refresh_from_db()
        assert conversation.team == scenario["sales"]
        comerciais = [scenario[k] for k in ("comercial1", "comercial2", "comercial3")]
        assert conversation.assignee in comerciais  # the team's auto-assignment
        # The engine's pick is written as the automatic assignment's, with the rule as its
        # cause: the rule (whose condition still holds) does not run on it again.
        assert notes(conversation) == ["Urgente: Comercial"]
        assert AutomationRun.objects.filter(rule=urgent, matched=True).count() == 1
        lines = Message.objects.filter(conversation=conversation, message_type="activity")
        assert lines.order_by("pk").last().content == (
            f"Conversa atribuída a {conversation.assignee.user.name} por Automação"
        )

    def test_the_queue_assigning_what_a_rule_unassigned_does_not_retrigger_it(
        self, account, admin, inbox, scenario, rule, open_new, django_capture_on_commit_callbacks
    ):
        inbox.enable_auto_assignment = False
        inbox.save()
        conversation = open_new()
        assert conversation.assignee is None
        inbox.enable_auto_assignment = True  # round robin on from now on
        inbox.save()
        unassign = rule(
            "conversation_updated",
            name="Desatribui",
            conditions=[{"attribute_key": "assignee_id", "filter_operator": "is_present"}],
            actions=[{"action_name": "assign_agent", "action_params": ["nil"]}],
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_assign_agent(
                account=account,
                actor=admin,
                conversation=conversation,
                assignee=scenario["comercial2"],
            )
        # The rule unassigned it; the queue drain that this set off gave it to someone with the
        # rule as the cause: the rule did not run again (it would unassign forever).
        conversation.refresh_from_db()
        assert conversation.assignee is not None
        assert AutomationRun.objects.filter(rule=unassign).count() == 1
        lines = list(
            Message.objects.filter(conversation=conversation, message_type="activity")
            .order_by("pk")
            .values_list("content", flat=True)
        )
        assert lines == [
            "Conversa atribuída a Camila Comercial por Ana Administradora",
            "Atribuição da conversa removida por Automação (Desatribui)",
            f"Conversa atribuída a {conversation.assignee.user.name} por Automação",
        ]

    def test_a_rule_that_keeps_acting_on_one_conversation_is_stopped_for_a_minute(
        self, account, rule, open_new, django_capture_on_commit_callbacks
    ):
        """The loop breaker: whatever gets past the rule-as-cause marking (or a storm of
        events) stops at LOOP_LIMIT runs of one rule on one conversation within a minute."""
        from automations import engine

        note = rule(
            "message_created",
            name="Nota",
            actions=[{"action_name": "add_private_note", "action_params": ["Recebida"]}],
        )
        start = datetime(2026, 11, 30, 10, 0, tzinfo=SAO_PAULO)
        with time_machine.travel(start, tick=False) as clock:
            conversation = open_new()

            def customer_writes():
                with django_capture_on_commit_callbacks(execute=True):
                    services.message_receive(
                        conversation=conversation, incoming=IncomingMessage(content="Oi")
                    )

            for _ in range(engine.LOOP_LIMIT):
                clock.shift(timedelta(seconds=5))
                customer_writes()
            assert len(notes(conversation)) == engine.LOOP_LIMIT
            clock.shift(timedelta(seconds=5))  # 0:55, the 11th in 50 s
            customer_writes()
            assert len(notes(conversation)) == engine.LOOP_LIMIT  # stopped
            stopped = AutomationRun.objects.filter(rule=note).order_by("pk").last()
            assert stopped.matched and stopped.actions_done == []
            assert stopped.error == (
                "Não executada: esta regra já agiu 10 vezes nesta conversa no último minuto, "
                "o que parece um ciclo."
            )
            assert AutomationRule.objects.get(pk=note.pk).consecutive_errors == 1
            clock.shift(timedelta(seconds=11))  # 1:06: the first (at 0:05) is out of the minute
            customer_writes()
            assert len(notes(conversation)) == engine.LOOP_LIMIT + 1
            assert AutomationRule.objects.get(pk=note.pk).consecutive_errors == 0


class TestNoLoopsAfterWaiting:
    """A rule that left a conversation waiting (unassigned, opened, routed to a team nobody
    could take) is the cause of the assignment that ends the wait, whichever drain makes it:
    its own, an agent coming online, the minute sweep. Rules do not run on that assignment."""

    PEOPLE = ("secretaria", "comercial1", "comercial2", "comercial3")

    @pytest.fixture
    def left_waiting(
        self, account, admin, scenario, rule, open_new, django_capture_on_commit_callbacks
    ):
        """Sofia has the conversation (round robin); a person marks it urgent, the rule
        unassigns it, and nobody is online to take it: it waits, unassigned."""
        conversation = open_new()
        assert conversation.assignee == scenario["secretaria"]
        unassign = rule(
            "conversation_updated",
            name="Urgentes para a fila",
            conditions=[
                {
                    "attribute_key": "priority",
                    "filter_operator": "equal_to",
                    "values": ["urgent"],
                    "query_operator": "and",
                },
                {"attribute_key": "assignee_id", "filter_operator": "is_present"},
            ],
            actions=[{"action_name": "assign_agent", "action_params": ["nil"]}],
        )
        AccountUser.objects.filter(pk__in=[scenario[k].pk for k in self.PEOPLE]).update(
            availability="offline"
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_priority_set(
                account=account, actor=admin, conversation=conversation, priority="urgent"
            )
        conversation.refresh_from_db()
        assert conversation.assignee is None
        assert AutomationRun.objects.filter(rule=unassign, matched=True).count() == 1
        return conversation, unassign

    @staticmethod
    def lines(conversation) -> list[str]:
        return list(
            Message.objects.filter(conversation=conversation, message_type="activity")
            .order_by("pk")
            .values_list("content", flat=True)
        )

    WAIT = [
        "Conversa atribuída a Sofia Secretária por Automação",
        "Prioridade definida como Urgente por Ana Administradora",
        "Atribuição da conversa removida por Automação (Urgentes para a fila)",
    ]

    def test_an_agent_coming_online_takes_it_and_the_rule_does_not_run_again(
        self, account, scenario, left_waiting, django_capture_on_commit_callbacks
    ):
        conversation, unassign = left_waiting
        with django_capture_on_commit_callbacks(execute=True):
            account_services.availability_set(
                account=account, membership=scenario["comercial1"], availability="online"
            )
        conversation.refresh_from_db()
        assert conversation.assignee == scenario["comercial1"]
        # Without the rule as the cause, the rule would unassign Carlos again (and again).
        assert AutomationRun.objects.filter(rule=unassign).count() == 1
        assert self.lines(conversation) == [
            *self.WAIT,
            "Conversa atribuída a Carlos Comercial por Automação",
        ]

    def test_the_minute_sweep_takes_it_and_the_rule_does_not_run_again(
        self, scenario, left_waiting, django_capture_on_commit_callbacks
    ):
        conversation, unassign = left_waiting
        # Carlos came online while Redis was away: no drain was queued, the sweep is the net.
        AccountUser.objects.filter(pk=scenario["comercial1"].pk).update(availability="online")
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.sweep()["queues"] == 1
        conversation.refresh_from_db()
        assert conversation.assignee == scenario["comercial1"]
        assert AutomationRun.objects.filter(rule=unassign).count() == 1
        assert self.lines(conversation) == [
            *self.WAIT,
            "Conversa atribuída a Carlos Comercial por Automação",
        ]

    def test_a_persons_assignment_afterwards_triggers_rules(
        self, account, admin, scenario, left_waiting, django_capture_on_commit_callbacks
    ):
        conversation, unassign = left_waiting
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_assign_agent(
                account=account,
                actor=admin,
                conversation=conversation,
                assignee=scenario["comercial2"],
            )
        conversation.refresh_from_db()
        assert conversation.assignee is None  # the rule heard of it, and acted again
        assert AutomationRun.objects.filter(rule=unassign, matched=True).count() == 2
        assert self.lines(conversation) == [
            *self.WAIT,
            "Conversa atribuída a Camila Comercial por Ana Administradora",
            "Atribuição da conversa removida por Automação (Urgentes para a fila)",
        ]

    def test_once_a_person_reopens_it_the_queues_assignment_triggers_rules(
        self, account, admin, scenario, left_waiting, django_capture_on_commit_callbacks
    ):
        """The wait is the person's now, not the rule's: rules hear of its end."""
        conversation, unassign = left_waiting
        for status in ("pending", "open"):
            with django_capture_on_commit_callbacks(execute=True):
                services.conversation_status_set(
                    account=account, actor=admin, conversation=conversation, status=status
                )
        with django_capture_on_commit_callbacks(execute=True):
            account_services.availability_set(
                account=account, membership=scenario["comercial1"], availability="online"
            )
        conversation.refresh_from_db()
        # The queue gave it to Carlos, the rule unassigned him, and its own drain gave it back
        # to Carlos with the rule as the cause.
        assert conversation.assignee == scenario["comercial1"]
        assert AutomationRun.objects.filter(rule=unassign, matched=True).count() == 2
        assert self.lines(conversation)[-3:] == [
            "Conversa atribuída a Carlos Comercial por Automação",
            "Atribuição da conversa removida por Automação (Urgentes para a fila)",
            "Conversa atribuída a Carlos Comercial por Automação",
        ]

    def test_a_rule_that_routed_to_a_team_nobody_could_take_does_not_run_again(
        self, account, admin, scenario, rule, open_new, django_capture_on_commit_callbacks
    ):
        conversation = open_new()
        route = rule(
            "conversation_updated",
            name="Urgente para Comercial",
            conditions=[
                {"attribute_key": "priority", "filter_operator": "equal_to", "values": ["urgent"]}
            ],
            actions=[
                {"action_name": "assign_team", "action_params": [scenario["sales"].pk]},
                {"action_name": "add_private_note", "action_params": ["Urgente: Comercial"]},
            ],
        )
        AccountUser.objects.filter(pk__in=[scenario[k].pk for k in self.PEOPLE]).update(
            availability="offline"
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_priority_set(
                account=account, actor=admin, conversation=conversation, priority="urgent"
            )
        conversation.refresh_from_db()
        assert (conversation.team, conversation.assignee) == (scenario["sales"], None)
        with django_capture_on_commit_callbacks(execute=True):
            account_services.availability_set(
                account=account, membership=scenario["comercial3"], availability="online"
            )
        conversation.refresh_from_db()
        assert conversation.assignee == scenario["comercial3"]
        assert notes(conversation) == ["Urgente: Comercial"]  # once
        assert AutomationRun.objects.filter(rule=route).count() == 1


class TestFailures:
    def test_a_transient_failure_is_retried_and_the_rule_then_runs(
        self, scenario, reception_rule, inbox, monkeypatch
    ):
        # The database answering "try again" twice (what a failover looks like to a worker).
        real = actions.run_action
        failures = iter([OperationalError("server closed the connection")] * 2)

        def flaky(ctx, action):
            error = next(failures, None)
            if error is not None:
                raise error
            return real(ctx, action)

        monkeypatch.setattr("automations.engine.run_action", flaky)
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        redeliver_until_done(tasks.intake, conversation.pk)
        conversation.refresh_from_db()
        assert (conversation.team, conversation.assignee) == (
            scenario["reception"],
            scenario["secretaria"],
        )
        run = AutomationRun.objects.get(conversation=conversation)
        assert run.matched and not run.error  # the failed attempts left nothing behind
        assert (
            Message.objects.filter(conversation=conversation, message_type="outgoing").count() == 1
        )

    def test_after_the_last_retry_the_inbox_round_robin_takes_it_once(
        self, scenario, reception_rule, inbox, monkeypatch
    ):
        def down(ctx, action):
            raise OperationalError("server closed the connection")

        monkeypatch.setattr("automations.engine.run_action", down)
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        assert redeliver_until_done(tasks.intake, conversation.pk) == tasks.INTAKE_RETRIES
        conversation.refresh_from_db()
        assert conversation.intake_done_at is not None
        assert conversation.team is None and conversation.assignee is not None  # round robin
        run = AutomationRun.objects.get(conversation=conversation, rule=reception_rule)
        assert run.matched and "server closed the connection" in run.error
        lines = Message.objects.filter(conversation=conversation, message_type="activity")
        assert lines.count() == 1  # assigned once, by the inbox's round robin

    def test_five_failures_in_a_row_switch_the_rule_off_and_tell_the_admins(
        self, account, admin, scenario, reception_rule, open_new, login
    ):
        scenario["reception"].delete()  # the rule's team is gone: every run fails
        AdminFactory(account=account, accepted_at=None)  # invited, not accepted: not told
        for _ in range(4):
            conversation = open_new()
            assert conversation.team is None and conversation.assignee is not None  # fell back
        assert AutomationRule.objects.get(pk=reception_rule.pk).active
        assert mail.outbox == []
        open_new()
        rule = AutomationRule.objects.get(pk=reception_rule.pk)
        assert not rule.active and rule.consecutive_errors == 5
        assert "não existe mais" in rule.disabled_reason
        assert [m.to for m in mail.outbox] == [[admin.user.email]]
        assert "Tudo para a Recepção" in mail.outbox[0].subject
        assert AutomationRun.objects.filter(rule=rule).exclude(error="").count() == 5
        # Switched off: the next conversation does not even try it.
        open_new()
        assert AutomationRun.objects.filter(rule=rule).count() == 5
        html = login(admin).get(f"/app/accounts/{account.pk}/settings/automation/").content.decode()
        assert "falhou 5 vezes seguidas e foi desligada" in html

    def test_a_rule_whose_stored_conditions_no_longer_parse_does_not_block_intake(
        self, account, admin, scenario, rule, inbox, open_new
    ):
        broken = rule(name="Antiga", actions=[{"action_name": "resolve_conversation"}])
        Label.objects.create(account=account, title="nova")
        labels = rule(
            name="Etiqueta", actions=[{"action_name": "add_label", "action_params": ["nova"]}]
        )
        # Stored before an attribute was dropped (or edited in the database): "cor" no longer
        # exists.
        AutomationRule.objects.filter(pk=broken.pk).update(
            conditions=[{"attribute_key": "cor", "filter_operator": "equal_to", "values": ["x"]}]
        )
        selectors.rules_version_bump(account.pk)
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        assert redeliver_until_done(tasks.intake, conversation.pk) == 0  # no retry: permanent
        conversation.refresh_from_db()
        assert conversation.intake_done_at is not None
        assert conversation.status == "open"  # the broken rule did nothing
        assert conversation.assignee is not None  # the inbox's round robin went on
        assert list(conversation.labels.values_list("title", flat=True)) == ["nova"]
        run = AutomationRun.objects.get(rule=broken, conversation=conversation)
        assert not run.matched and run.actions_done == []
        assert run.error == (
            "As condições da regra não são mais válidas: Atributo desconhecido: cor."
        )
        assert AutomationRun.objects.get(rule=labels, conversation=conversation).matched
        # It counts towards the switch-off like any other failure.
        for _ in range(4):
            open_new()
        broken.refresh_from_db()
        assert not broken.active and broken.consecutive_errors == 5
        assert "Atributo desconhecido: cor." in broken.disabled_reason
        assert [m.to for m in mail.outbox] == [[admin.user.email]]

    def test_a_success_resets_the_count(self, account, admin, scenario, rule, open_new):
        sales = scenario["sales"]
        flaky = rule(
            name="Comercial",
            actions=[{"action_name": "assign_team", "action_params": [sales.pk]}],
        )
        AutomationRule.objects.filter(pk=flaky.pk).update(consecutive_errors=4)
        open_new()
        assert AutomationRule.objects.get(pk=flaky.pk).consecutive_errors == 0


class TestCachedRules:
    def test_rules_are_read_once_until_one_changes(
        self, account, admin, rule, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = rule(name="Uma", actions=[{"action_name": "resolve_conversation"}])
        assert [
            r.name
            for r in selectors.active_rules(
                account_id=account.pk, event_name="conversation_created"
            )
        ] == ["Uma"]
        with CaptureQueriesContext(connection) as queries:
            selectors.active_rules(account_id=account.pk, event_name="conversation_created")
        assert len(queries) == 0
        with django_capture_on_commit_callbacks(execute=True):
            rule_services.rule_update(account=account, actor=admin, rule=first, name="Renomeada")
        assert [
            r.name
            for r in selectors.active_rules(
                account_id=account.pk, event_name="conversation_created"
            )
        ] == ["Renomeada"]


def test_intake_query_count_with_fifty_rules_that_do_not_match(
    account, admin, inbox, rule, scenario, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(50):
            rule(
                name=f"Regra {n}",
                conditions=[
                    {"attribute_key": "name", "filter_operator": "equal_to", "values": [f"x{n}"]}
                ],
                actions=[{"action_name": "add_private_note", "action_params": ["nunca"]}],
            )
    selectors.active_rules(account_id=account.pk, event_name="conversation_created")  # warm
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    inbox.enable_auto_assignment = False
    inbox.save()
    # The pending check (no inbox id given, as a requeued intake), the inbox's lock, the
    # conversation's lock with the intake mark (one UPDATE), the hook's read of it, its contact
    # (the rules look at the contact's name), the runs already done, 50 runs in one insert: 7
    # (the inbox assigns nothing itself, so what the hooks left is not read), and the savepoint
    # pair of this test's transaction.
    with CaptureQueriesContext(connection) as queries:
        assert services.conversation_intake(conversation_id=conversation.pk)
    sql = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == 7, [q[:80] for q in sql]
    assert len(queries) == 9
    assert AutomationRun.objects.filter(conversation=conversation, matched=False).count() == 50


class TestOnTheClock:
    START = datetime(2026, 11, 30, 10, 0, tzinfo=SAO_PAULO)  # Monday, open

    def waiting_conversation(self, inbox, text="Alguém aí?"):
        message, _ = services.inbound_message(
            inbox=inbox,
            contact_source_id="5511987650009",
            message=IncomingMessage(content=text),
            phone_number="+5511987650009",
            contact_name="Cliente",
        )
        conversation = message.conversation
        services.conversation_intake(conversation_id=conversation.pk)
        return Conversation.objects.get(pk=conversation.pk)

    def test_waiting_fires_once_per_waiting_period(self, account, admin, inbox, rule, scenario):
        Label.objects.create(account=account, title="sem-resposta")
        waiting = rule(
            "conversation_waiting",
            name="Espera de 30 minutos",
            delay_minutes=30,
            actions=[
                {"action_name": "add_private_note", "action_params": ["30 minutos sem resposta"]},
                {"action_name": "add_label", "action_params": ["sem-resposta"]},
            ],
        )
        with time_machine.travel(self.START, tick=False) as clock:
            conversation = self.waiting_conversation(inbox)
            clock.shift(timedelta(minutes=29))
            assert rule_tasks.time_rules.apply().get() == 0
            clock.shift(timedelta(minutes=2))
            assert rule_tasks.time_rules.apply().get() == 1
            clock.shift(timedelta(minutes=5))
            assert rule_tasks.time_rules.apply().get() == 0  # same waiting period
            assert notes(conversation) == ["30 minutos sem resposta"]
            services.message_send(
                account=account, actor=scenario["secretaria"], conversation=conversation,
                content="Olá! Já vou ver.",
            )  # fmt: skip
            clock.shift(timedelta(minutes=60))
            assert rule_tasks.time_rules.apply().get() == 0  # answered: nobody waits
            services.message_receive(
                conversation=conversation, incoming=IncomingMessage(content="E então?")
            )
            clock.shift(timedelta(minutes=31))
            assert rule_tasks.time_rules.apply().get() == 1  # a new waiting period
        assert notes(conversation) == ["30 minutos sem resposta"] * 2
        assert AutomationRun.objects.filter(rule=waiting, matched=True).count() == 2

    def test_only_outside_business_hours_when_the_rule_says_so(
        self, account, admin, inbox, rule, scenario
    ):
        inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True
        )
        rule(
            "conversation_waiting",
            delay_minutes=10,
            conditions=[
                {
                    "attribute_key": "within_business_hours",
                    "filter_operator": "equal_to",
                    "values": [False],
                }
            ],
            actions=[{"action_name": "add_private_note", "action_params": ["Fora do horário"]}],
        )
        with time_machine.travel(self.START, tick=False) as clock:
            conversation = self.waiting_conversation(inbox)
            clock.shift(timedelta(minutes=11))
            assert rule_tasks.time_rules.apply().get() == 0  # Monday 10:11: open
            clock.move_to(datetime(2026, 11, 30, 17, 30, tzinfo=SAO_PAULO))
            assert rule_tasks.time_rules.apply().get() == 1  # 17:30: closed
        assert notes(conversation) == ["Fora do horário"]

    def test_no_reply_after_assignment(self, account, admin, inbox, rule, scenario):
        rule(
            "assignee_no_reply",
            delay_minutes=15,
            actions=[{"action_name": "assign_team", "action_params": [scenario["sales"].pk]}],
        )
        with time_machine.travel(self.START, tick=False) as clock:
            conversation = self.waiting_conversation(inbox)
            assert conversation.assignee is not None  # the inbox's round robin
            clock.shift(timedelta(minutes=14))
            assert rule_tasks.time_rules.apply().get() == 0
            clock.shift(timedelta(minutes=2))
            assert rule_tasks.time_rules.apply().get() == 1
        conversation.refresh_from_db()
        assert conversation.team == scenario["sales"]

    def test_no_reply_after_assignment_does_not_fire_once_an_agent_replied(
        self, account, admin, inbox, rule, scenario
    ):
        """Once per assignment, and only while nobody has replied since it: a wait that starts
        after the reply is the "Waiting for an agent's reply" rule's to watch."""
        rule(
            "assignee_no_reply",
            delay_minutes=15,
            actions=[{"action_name": "add_private_note", "action_params": ["Sem resposta"]}],
        )
        with time_machine.travel(self.START, tick=False) as clock:
            conversation = self.waiting_conversation(inbox)
            assignee = conversation.assignee
            clock.shift(timedelta(minutes=1))
            services.message_send(
                account=account, actor=assignee, conversation=conversation, content="Olá, já vejo"
            )
            clock.shift(timedelta(minutes=60))
            services.message_receive(
                conversation=conversation, incoming=IncomingMessage(content="Mais uma coisa")
            )
            clock.shift(timedelta(minutes=1))
            assert rule_tasks.time_rules.apply().get() == 0
            clock.shift(timedelta(minutes=30))  # the customer has now waited 31 minutes
            assert rule_tasks.time_rules.apply().get() == 0
            assert notes(conversation) == []
            # A new assignment is a new period: nobody replies within 15 minutes, it fires.
            other = [scenario["comercial2"], scenario["comercial3"]]
            services.conversation_assign_agent(
                account=account,
                actor=admin,
                conversation=conversation,
                assignee=other[0] if assignee != other[0] else other[1],
            )
            clock.shift(timedelta(minutes=14))
            assert rule_tasks.time_rules.apply().get() == 0
            clock.shift(timedelta(minutes=2))
            assert rule_tasks.time_rules.apply().get() == 1
            clock.shift(timedelta(minutes=5))
            assert rule_tasks.time_rules.apply().get() == 0  # once per assignment
        assert notes(conversation) == ["Sem resposta"]

    def test_no_reply_after_assignment_rechecks_when_its_task_runs(
        self, account, inbox, rule, scenario
    ):
        """Queued by beat, then the agent replies before the worker takes the task: nothing."""
        no_reply = rule(
            "assignee_no_reply",
            delay_minutes=15,
            actions=[{"action_name": "add_private_note", "action_params": ["Sem resposta"]}],
        )
        with time_machine.travel(self.START, tick=False) as clock:
            conversation = self.waiting_conversation(inbox)
            clock.shift(timedelta(minutes=16))
            key = f"assigned:{conversation.assigned_at.isoformat()}"
            services.message_receive(
                conversation=conversation, incoming=IncomingMessage(content="Oi?")
            )
            services.message_send(
                account=account, actor=conversation.assignee, conversation=conversation,
                content="Estou aqui",
            )  # fmt: skip
            services.message_receive(
                conversation=conversation, incoming=IncomingMessage(content="Ótimo")
            )
            assert Conversation.objects.get(pk=conversation.pk).waiting_since is not None
            assert (
                rule_tasks.run_time_rule.apply(args=[no_reply.pk, conversation.pk, key]).get() == 0
            )
        assert notes(conversation) == []
        assert not AutomationRun.objects.filter(rule=no_reply).exists()


def test_the_run_log_is_pruned(account, scenario, reception_rule, rule, open_new):
    nobody = {"attribute_key": "name", "filter_operator": "equal_to", "values": ["ninguém"]}
    rule(name="Nunca", conditions=[nobody], actions=[{"action_name": "resolve_conversation"}])
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SAO_PAULO)
    with time_machine.travel(start, tick=False) as clock:
        open_new()
        assert AutomationRun.objects.count() == 2  # one matched, one not
        clock.shift(timedelta(days=8))
        assert rule_tasks.prune_runs.apply().get() == 1  # the unmatched one, after a week
        clock.shift(timedelta(days=83))
        assert rule_tasks.prune_runs.apply().get() == 1  # every run after 90 days
    assert not AutomationRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_intakes_at_once_route_the_conversation_once(account, admin, inbox, fast_passwords):
    sofia = AccountUserFactory(account=account, user__name="Sofia Secretária")
    InboxMemberFactory(inbox=inbox, account_user=sofia)
    reception = TeamFactory(account=account, name="Recepção", routing_message="Olá!")
    TeamMemberFactory(team=reception, account_user=sofia)
    rule_services.rule_create(
        account=account,
        actor=admin,
        name="Tudo para a Recepção",
        event_name="conversation_created",
        actions=[{"action_name": "assign_team", "action_params": [reception.pk]}],
    )
    # Written directly, its intake not yet run (a channel's commit would have run it at once here).
    conversation = ConversationFactory(
        contact_inbox=ContactInboxFactory(inbox=inbox), intake_done_at=None
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def intake():
        try:
            barrier.wait()
            results.append(services.conversation_intake(conversation_id=conversation.pk))
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=intake) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == [] and sorted(results) == [False, True]
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (reception, sofia)
    assert AutomationRun.objects.filter(conversation=conversation).count() == 1
    assert Message.objects.filter(conversation=conversation, content="Olá!").count() == 1
