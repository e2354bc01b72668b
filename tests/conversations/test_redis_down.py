"""Redis down for a minute: pages and sign-in keep working without the cache, what a request
writes is kept even when its task cannot be queued, and the periodic sweep picks up the work the
lost tasks would have done, once it can queue again."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from conversations import services
from conversations.models import Conversation, Message
from conversations.tasks import sweep
from nexloo.celery import app as celery_app
from tests.factories import AccountUserFactory, ContactInboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens there: connections are refused


@pytest.fixture
def cache_down(settings):
    """The cache points at a Redis that cannot be reached (Django rebuilds its caches)."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": UNREACHABLE,
        }
    }
    assert settings.CACHES["default"]["BACKEND"] == "nexloo.core.cache.TolerantRedisCache"


def _reset_broker_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_down():
    """Queueing goes to a Redis that cannot be reached, as in production (tasks are not run
    eagerly then); leaving the block brings back the usual eager runs."""
    eager, url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = UNREACHABLE
    _reset_broker_pools()
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.broker_url = url
        _reset_broker_pools()


class TestWithoutTheCache:
    def test_the_conversation_list_and_its_counts(self, cache_down, login, account, admin, inbox):
        services.conversation_open_for(contact_inbox=ContactInboxFactory(inbox=inbox))
        client = login(admin)
        page = client.get(reverse("conversations:workspace", args=[account.pk]))
        assert page.status_code == 200
        counts = client.get(reverse("conversations:counts", args=[account.pk]))
        assert counts.status_code == 200

        from conversations.selectors import ConversationFilter, conversation_counts

        assert conversation_counts(membership=admin, f=ConversationFilter())["all_count"] == 1

    def test_signing_in(self, cache_down, client, admin):
        response = client.post(
            reverse("account_login"),
            {"login": admin.user.email, "password": "Senha-de-teste-42"},
        )
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(admin.user_id)


@pytest.fixture
def reply(account, admin, whatsapp_inbox, whatsapp_backend, on_commit):
    """A reply written while the broker is down: kept, still queued, its task never queued."""
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
    ).conversation
    with broker_down(), on_commit():
        message = services.message_send(
            account=account, actor=admin, conversation=conversation, content="Olá!"
        )
    return message


class TestLostDeliveries:
    def test_the_request_keeps_the_reply_and_the_sweep_sends_it_once(
        self, reply, whatsapp_backend, on_commit
    ):
        assert Message.objects.get(pk=reply.pk).status == "queued"
        assert whatsapp_backend.sent == []
        with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
            with on_commit():
                assert sweep.apply().get()["replies"] == 1
            with on_commit():
                assert sweep.apply().get()["replies"] == 0
        assert whatsapp_backend.sent == [reply.pk]
        assert Message.objects.get(pk=reply.pk).status == "sent"

    def test_a_young_reply_is_left_to_its_task(self, reply, on_commit):
        with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False), on_commit():
            assert services.messages_requeue_stuck(at=timezone.now()) == 0

    def test_a_reply_that_could_not_be_queued_again_waits_before_the_next_try(
        self, reply, whatsapp_backend, on_commit
    ):
        start = timezone.now()
        with time_machine.travel(start + timedelta(minutes=3), tick=False) as clock:
            with broker_down(), on_commit():
                assert services.messages_requeue_stuck(at=timezone.now()) == 1
            clock.shift(timedelta(minutes=1))
            with on_commit():  # not every minute while Redis is away
                assert services.messages_requeue_stuck(at=timezone.now()) == 0
            clock.shift(timedelta(minutes=10))
            with on_commit():
                assert services.messages_requeue_stuck(at=timezone.now()) == 1
        assert whatsapp_backend.sent == [reply.pk]

    def test_a_retry_that_is_due_is_not_doubled(self, reply, whatsapp_backend, on_commit):
        # A transient failure gave the claim back; Celery will retry within five minutes.
        with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False) as clock:
            assert services.message_claim_delivery(message_id=reply.pk) is not None
            services.message_release_delivery(message_id=reply.pk)
            clock.shift(timedelta(minutes=5))
            with on_commit():
                assert services.messages_requeue_stuck(at=timezone.now()) == 0
            clock.shift(timedelta(minutes=6))  # no retry came: its task was lost
            with on_commit():
                assert services.messages_requeue_stuck(at=timezone.now()) == 1
        assert whatsapp_backend.sent == [reply.pk]

    def test_private_notes_and_old_replies_are_left_alone(
        self, reply, account, admin, whatsapp_backend, on_commit
    ):
        services.message_send(
            account=account,
            actor=admin,
            conversation=reply.conversation,
            content="nota interna",
            private=True,
        )
        with time_machine.travel(timezone.now() + timedelta(days=2), tick=False), on_commit():
            assert services.messages_requeue_stuck(at=timezone.now()) == 0
        assert whatsapp_backend.sent == []


class TestLostDrains:
    def test_the_sweep_assigns_what_waited_for_a_lost_drain(
        self, account, inbox, team_factory, on_commit
    ):
        sales = team_factory("Comercial")
        ana = AccountUserFactory(account=account, availability="offline")
        InboxMemberFactory(inbox=inbox, account_user=ana)
        sales.members.create(account=account, account_user=ana)
        with on_commit():
            waiting = services.conversation_assign_team(
                account=account,
                actor=None,
                conversation=services.conversation_open_for(
                    contact_inbox=ContactInboxFactory(inbox=inbox)
                ).conversation,
                team=sales,
            )
        assert waiting.assignee_id is None
        with broker_down(), on_commit():  # Ana comes online; the drain cannot be queued
            account_services.availability_set(
                account=account, membership=ana, availability="online"
            )
        assert Conversation.objects.get(pk=waiting.pk).assignee_id is None
        with on_commit():
            assert sweep.apply().get() == {
                "replies": 0,
                "intake": 0,
                "queues": 1,
                "early_statuses": 0,
                "tallies": 0,
            }
        assert Conversation.objects.get(pk=waiting.pk).assignee_id == ana.pk
        with on_commit():
            assert sweep.apply().get() == {
                "replies": 0,
                "intake": 0,
                "queues": 0,
                "early_statuses": 0,
                "tallies": 0,
            }
