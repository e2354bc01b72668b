"""Intake: the conversation_created rules decide before any round robin, exactly once."""

from __future__ import annotations

import pytest

from automations.models import AutomationRun
from conversations import services, tasks
from conversations.models import Conversation, Message
from tests.factories import ContactInboxFactory

pytestmark = pytest.mark.django_db


def activity_lines(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, message_type="activity")
        .order_by("created_at", "pk")
        .values_list("content", flat=True)
    )


def test_cenario_4_rule_routes_to_reception_and_the_secretaria(scenario, reception_rule, open_new):
    conversation = open_new()
    assert conversation.team == scenario["reception"]
    assert conversation.assignee == scenario["secretaria"]
    assert conversation.intake_done_at is not None
    assert activity_lines(conversation) == [
        "Atribuída ao time Recepção por Automação (Tudo para a Recepção)",
        "Conversa atribuída a Sofia Secretária por Automação",
    ]
    routing = Message.objects.get(conversation=conversation, message_type="outgoing")
    assert routing.content == "Olá! Você está falando com a Recepção."
    run = AutomationRun.objects.get(rule=reception_rule, conversation=conversation)
    assert run.matched and run.actions_done == ["assign_team:Recepção"] and not run.error


def test_without_rules_the_inbox_round_robin_takes_it(scenario, open_new):
    conversation = open_new()
    assert conversation.team is None
    assert conversation.assignee is not None


def test_intake_twice_runs_the_rule_once(scenario, reception_rule, inbox):
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    assert tasks.intake.apply(args=[conversation.pk]).get() is True
    assert tasks.intake.apply(args=[conversation.pk]).get() is False  # redelivered
    assert AutomationRun.objects.filter(conversation=conversation).count() == 1
    assert Conversation.objects.get(pk=conversation.pk).assignee == scenario["secretaria"]
    assert Message.objects.filter(conversation=conversation, message_type="outgoing").count() == 1
