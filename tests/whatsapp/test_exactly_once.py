"""Exactly once: the same message delivered twice at once, processing interrupted and taken up
again, deliveries stored while no worker runs — one Message each, none lost."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.db import close_old_connections
from django.utils import timezone

from conversations.models import Contact, Conversation, Message
from nexloo.celery import app as celery_app
from tests.whatsapp.conftest import PHONE_NUMBER_ID, payload
from whatsapp import services
from whatsapp.models import WebhookEvent
from whatsapp.standin import text_delivery
from whatsapp.tasks import requeue_events

pytestmark = pytest.mark.django_db(transaction=True)
QUEUES = ["default", "webhooks", "outbound", "realtime"]


def wait_for(check, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)  # polling a real worker's progress, not a clock-dependent assertion
    return False


def process_at_once(events) -> list[BaseException]:
    """Processes the events in threads released together; what they raised."""
    barrier = threading.Barrier(len(events))
    errors: list[BaseException] = []

    def run(event_id):
        try:
            barrier.wait()
            services.event_process(event_id=event_id)
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(e.pk,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_the_same_delivery_processed_twice_at_the_same_moment_makes_one_message(stored, inbox):
    body = payload("text.json")
    events = [stored(body), stored(body)]  # Meta retried while the first was in flight
    assert process_at_once(events) == []
    assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1
    assert Contact.objects.filter(account=inbox.account).count() == 1
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_two_first_messages_of_one_new_customer_at_the_same_moment(stored, inbox):
    """Two different messages of a customer nobody knows yet, processed at once: the contact,
    its contact inbox and its conversation are made without savepoints, so the loser of the
    race is rolled back whole and runs again — one contact, one conversation, both messages,
    and no item recorded as failed."""
    events = [stored(payload("text.json", suffix=n)) for n in (1, 2)]
    for _round in range(3):  # the race is not won the same way every time: a few rounds
        assert process_at_once(events) == []
        assert Contact.objects.filter(account=inbox.account).count() == 1
        assert Conversation.objects.filter(inbox=inbox).count() == 1
        assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 2
        assert list(WebhookEvent.objects.values_list("status", "errors").distinct()) == [
            ("processed", [])
        ]
        Contact.objects.filter(account=inbox.account).delete()  # a new customer again
        events = [stored(payload("text.json", suffix=10 * (_round + 1) + n)) for n in (1, 2)]
        WebhookEvent.objects.exclude(pk__in=[e.pk for e in events]).delete()


def test_an_event_whose_worker_died_is_taken_up_again_once(stored, inbox):
    event = stored(payload("text.json"))
    claimed = services.event_claim(event_id=event.pk)  # a worker took it, then was killed
    assert claimed is not None
    assert services.event_process(event_id=event.pk) == "skipped"  # still held by that run
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert requeue_events.apply().get() == 1  # eager: processed right here
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert requeue_events.apply().get() == 0


def test_an_event_never_queued_is_found_by_the_sweep(stored, inbox):
    # Stored, acknowledged, and the queueing lost (Redis away): nobody was told.
    event = stored(payload("text.json"), received_at=timezone.now() - timedelta(minutes=2))
    assert requeue_events.apply().get() == 1
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.filter(inbox=inbox).exists()


@pytest.fixture
def no_worker_yet():
    """Tasks go to Redis (not run in-process) and nobody consumes them until the test starts
    a worker; what is left in the queues afterwards is purged."""
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True
        celery_app.control.purge()


def test_200_deliveries_stored_while_the_worker_is_down_appear_exactly_once(
    post, inbox, no_worker_yet
):
    bodies = [
        json.dumps(
            text_delivery(
                phone_number_id=PHONE_NUMBER_ID,
                wa_id=f"55119{n % 20:08d}",  # 20 customers, 10 messages each
                name=f"Cliente {n % 20}",
                text=f"mensagem {n}",
                wamid=f"wamid.FAULT{n:04d}",
            )
        ).encode()
        for n in range(200)
    ]
    answers = [post(body).status_code for body in bodies]
    assert answers == [200] * 200
    assert WebhookEvent.objects.filter(status="received").count() == 200
    assert not Message.objects.filter(inbox=inbox).exists()

    with start_worker(
        celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=QUEUES
    ):
        assert wait_for(
            lambda: not WebhookEvent.objects.exclude(status="processed").exists(), timeout=120
        )
    incoming = Message.objects.filter(inbox=inbox, message_type="incoming")
    assert incoming.count() == 200
    assert incoming.values("source_id").distinct().count() == 200
    assert Conversation.objects.filter(inbox=inbox).count() == 20
