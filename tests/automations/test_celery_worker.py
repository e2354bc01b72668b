"""With a real Celery worker on Redis: a conversation created through the API is routed by the
Cenário 4 rule to Recepção and, by the team's auto-assignment, to the secretária."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from automations import services as rule_services
from automations.models import AutomationRun
from conversations.models import Conversation, Message
from nexloo.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)
QUEUES = ["default", "webhooks", "outbound", "realtime"]  # as `make worker` starts it


@pytest.fixture
def worker():
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=QUEUES
        ) as running:
            yield running
    finally:
        celery_app.conf.task_always_eager = eager


def wait_for(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)  # polling a real worker's result, not a clock-dependent assertion
    return False


def test_the_worker_routes_a_new_api_conversation_to_the_secretaria(
    account, admin, admin_api, inbox, scenario, worker
):
    rule = rule_services.rule_create(
        account=account,
        actor=admin,
        name="Tudo para a Recepção",
        event_name="conversation_created",
        conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        actions=[{"action_name": "assign_team", "action_params": [scenario["reception"].pk]}],
    )
    response = admin_api.post(
        f"/api/v1/accounts/{account.pk}/conversations",
        {"inbox_id": inbox.pk, "source_id": "5511987650001"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    conversation = Conversation.objects.get(account=account, display_id=response.json()["id"])
    # The request answered before the rules ran: the worker does the intake.
    assert wait_for(lambda: Conversation.objects.get(pk=conversation.pk).intake_done_at)
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (
        scenario["reception"],
        scenario["secretaria"],
    )
    assert AutomationRun.objects.get(rule=rule, conversation=conversation).matched
    # The routing message left through the outbound queue.
    assert wait_for(
        lambda: Message.objects.filter(
            conversation=conversation, message_type="outgoing", status="sent"
        ).exists()
    )
