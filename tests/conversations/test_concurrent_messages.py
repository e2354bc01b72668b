"""A customer's messages posted right after their conversation was created, while real Celery
workers run the intake and the automatic assignment (issue 7, section 0).

The lost messages came from a service that waited on the conversation's row lock for the
worker's assignment to commit, then worked with the new `assignee_id` and a stale (missing)
assignee. Every message must be stored once and every request answered without a 5xx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections

from conversations.models import Conversation, Message
from conversations.services import common
from nexloo.celery import app as celery_app
from tests.conftest import api_client_for
from tests.factories import AccountUserFactory, InboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db(transaction=True)
QUEUES = ["default", "webhooks", "outbound", "realtime"]  # as `make worker` starts it
MESSAGES = 20
ROOT = Path(__file__).resolve().parents[2]


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


@pytest.fixture
def second_worker(worker):
    """Another worker, in its own process, on the same broker and the test database."""
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "DATABASE_POOL": "false",
    }
    name = f"second-{os.getpid()}@{socket.gethostname()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "nexloo",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--pool",
            "solo",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Ready once it answers a ping (the in-process worker does not: it has no remote control).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if celery_app.control.ping(destination=[name], timeout=0.5):
                break
        assert process.poll() is None, process.stderr.read().decode()
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)  # polling real workers' results, not a clock-dependent assertion
    return False


@pytest.fixture
def company(account, admin):
    inbox = InboxFactory(account=account, name="API Comercial", enable_auto_assignment=True)
    for name in ("Sofia Secretária", "Bruno Comercial"):
        InboxMemberFactory(
            inbox=inbox, account_user=AccountUserFactory(account=account, user__name=name)
        )
    return inbox


def post_at_once(account, admin, display_id: int, count: int) -> list[int]:
    """`count` customer messages posted to the conversation from as many threads at once."""
    token = api_client_for(admin)._credentials["HTTP_API_ACCESS_TOKEN"]
    start = threading.Barrier(count)
    statuses: list[int] = []

    def post(n: int) -> None:
        from rest_framework.test import APIClient

        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_API_ACCESS_TOKEN=token)
        try:
            start.wait()
            response = client.post(
                f"/api/v1/accounts/{account.pk}/conversations/{display_id}/messages",
                {"content": f"mensagem {n}", "message_type": "incoming"},
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def create_and_post(account, admin, inbox, source_id: str) -> Conversation:
    response = api_client_for(admin).post(
        f"/api/v1/accounts/{account.pk}/conversations",
        {"inbox_id": inbox.pk, "source_id": source_id},
        format="json",
    )
    assert response.status_code == 200, response.content
    display_id = response.json()["id"]
    statuses = post_at_once(account, admin, display_id, MESSAGES)
    assert sorted(statuses) == [200] * MESSAGES, statuses
    return Conversation.objects.get(account=account, display_id=display_id)


def assert_stored_once(conversation: Conversation) -> None:
    contents = list(
        Message.objects.filter(conversation=conversation, message_type="incoming").values_list(
            "content", flat=True
        )
    )
    assert sorted(contents) == sorted(f"mensagem {n}" for n in range(MESSAGES))


@pytest.fixture
def slow_intake():
    """The intake holds the conversation's lock until a message request waits on it, so that
    every run meets the race a real server meets now and then."""

    def hold_until_a_message_waits(
        *, conversation_id: int, final_attempt: bool, account_id: int
    ) -> None:
        deadline = time.monotonic() + 5
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    return
                time.sleep(0.01)  # polling the server's lock table

    common.intake_hooks.append(hold_until_a_message_waits)
    yield
    common.intake_hooks.remove(hold_until_a_message_waits)


def test_twenty_messages_right_after_the_conversation_are_all_stored(
    account, admin, company, slow_intake, worker
):
    for attempt in range(3):
        conversation = create_and_post(account, admin, company, f"55119876500{attempt:02d}")
        assert_stored_once(conversation)
        # The worker did the intake and gave the conversation to someone meanwhile.
        assert wait_for(lambda c=conversation: Conversation.objects.get(pk=c.pk).assignee_id)


def test_two_workers_racing_on_one_conversation(account, admin, company, second_worker):
    conversations = [
        create_and_post(account, admin, company, f"55119876501{attempt:02d}")
        for attempt in range(3)
    ]
    for conversation in conversations:
        assert_stored_once(conversation)
        assert wait_for(lambda c=conversation: Conversation.objects.get(pk=c.pk).assignee_id)
        assert wait_for(
            lambda c=conversation: Conversation.objects.get(pk=c.pk).intake_done_at is not None
        )
