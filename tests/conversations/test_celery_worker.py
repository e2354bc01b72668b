"""With a real Celery worker on Redis: a reply leaves through the queue the worker consumes, and
the waiting queue is drained by the worker after an agent comes online."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from accounts import services as account_services
from conversations import services
from conversations.models import Conversation, Message
from nexloo.celery import app as celery_app
from tests.factories import AccountUserFactory, ContactInboxFactory, InboxMemberFactory, TeamFactory

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


def wait_for(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)  # polling a real worker's result, not a clock-dependent assertion
    return False


def test_a_reply_is_delivered_by_the_worker(account, admin, inbox, worker, monkeypatch):
    """A channel that sends elsewhere (here a recording backend in place of the API channel's,
    whose delivery is the event itself): queued by the request, sent by the worker."""
    from conversations import delivery
    from tests.conversations.conftest import RecordingBackend

    backend = RecordingBackend()
    monkeypatch.setitem(delivery._backends, inbox.channel_type, backend)
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    message = services.message_send(
        account=account, actor=admin, conversation=conversation, content="Olá!"
    )
    assert Message.objects.get(pk=message.pk).status == "queued"  # not sent in the request
    assert wait_for(lambda: Message.objects.get(pk=message.pk).status == "sent")
    assert backend.sent == [message.pk]


def test_the_queue_drains_in_the_worker_when_someone_comes_online(account, inbox, worker):
    team = TeamFactory(account=account, name="Comercial")
    ana = AccountUserFactory(account=account, availability="offline")
    InboxMemberFactory(inbox=inbox, account_user=ana)
    team.members.create(account=account, account_user=ana)
    waiting = services.conversation_assign_team(
        account=account,
        actor=None,
        conversation=services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation,
        team=team,
    )
    assert waiting.assignee is None
    account_services.availability_set(account=account, membership=ana, availability="online")
    assert wait_for(lambda: Conversation.objects.get(pk=waiting.pk).assignee_id == ana.pk)
