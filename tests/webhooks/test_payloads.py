"""What the webhooks post, as Chatwoot's `webhook_data` (its server's code: Message#webhook_data,
Conversations::EventDataPresenter#push_data, Contact#webhook_data, WebhookListener): pinned
shapes received by a real local HTTP receiver, no activity lines, and a fixed number of queries
to build each payload whatever the labels and attachments."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from celery.exceptions import Retry
from django.db import OperationalError

from conversations import services as conversation_services
from conversations.models import Attachment, Message, Status
from conversations.services import IncomingMessage
from nexloo.core import events
from tests.factories import (
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    MessageFactory,
)
from tests.webhooks.conftest import verifies
from webhooks import payloads
from webhooks.models import SUBSCRIPTIONS, Webhook, WebhookDelivery
from webhooks.selectors import forget_active

pytestmark = pytest.mark.django_db

ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # as Rails writes times

# Chatwoot's Message#webhook_data.
MESSAGE_FIELDS = {
    "event",
    "id",
    "content",
    "created_at",
    "message_type",
    "content_type",
    "private",
    "content_attributes",
    "source_id",
    "sender",
    "inbox",
    "conversation",
    "account",
}
# Chatwoot's conversation block (EventDataPresenter#push_data, with its status and timestamps).
CONVERSATION_FIELDS = {
    "additional_attributes",
    "can_reply",
    "channel",
    "contact_inbox",
    "id",
    "inbox_id",
    "messages",
    "labels",
    "meta",
    "status",
    "custom_attributes",
    "snoozed_until",
    "unread_count",
    "first_reply_created_at",
    "priority",
    "waiting_since",
    "agent_last_seen_at",
    "contact_last_seen_at",
    "last_activity_at",
    "timestamp",
    "created_at",
    "updated_at",
}
CONTACT_FIELDS = {
    "event",
    "account",
    "additional_attributes",
    "avatar",
    "custom_attributes",
    "email",
    "id",
    "identifier",
    "name",
    "phone_number",
    "thumbnail",
}


@pytest.fixture
def hook(account, receiver):
    forget_active(account.pk)
    return Webhook.objects.create(account=account, url=receiver.url, subscriptions=SUBSCRIPTIONS)


@pytest.fixture
def conversation(account, admin):
    inbox = InboxFactory(account=account, name="Integração")
    return ConversationFactory(
        contact_inbox=ContactInboxFactory(inbox=inbox, source_id="cliente-42"),
        assignee=admin,
    )


def received(receiver, event: str) -> list[dict]:
    bodies = [json.loads(r["body"]) for r in receiver.received]
    return [b for b in bodies if b["event"] == event]


class TestMessages:
    def test_an_outgoing_message_in_chatwoots_shape(
        self, account, admin, conversation, hook, receiver, on_commit
    ):
        with on_commit():
            conversation_services.conversation_labels_set(
                account=account, actor=admin, conversation=conversation, titles=["vip", "erp"]
            )
        with on_commit():
            message = conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá"
            )
        (body,) = received(receiver, "message_created")
        assert all(verifies(hook.secret, r) for r in receiver.received)
        assert set(body) >= MESSAGE_FIELDS
        message.refresh_from_db()
        assert body["id"] == message.pk and body["content"] == "Olá"
        assert body["message_type"] == "outgoing" and body["private"] is False
        assert ISO_8601.match(body["created_at"])
        assert datetime.fromisoformat(body["created_at"]) == message.created_at.replace(
            microsecond=message.created_at.microsecond // 1000 * 1000
        )
        assert body["sender"] == {
            "id": admin.user_id,
            "name": admin.user.name,
            "email": admin.user.email,
            "type": "user",
        }
        assert body["inbox"] == {"id": conversation.inbox_id, "name": "Integração"}
        assert body["account"] == {"id": account.pk, "name": account.name}

        block = body["conversation"]
        assert set(block) >= CONVERSATION_FIELDS
        conversation.refresh_from_db()
        assert block["id"] == block["display_id"] == conversation.display_id
        assert block["status"] == "open" and block["inbox_id"] == conversation.inbox_id
        assert block["contact_inbox"]["source_id"] == "cliente-42"
        assert block["contact_inbox"]["contact_id"] == conversation.contact_id
        assert block["labels"] == ["erp", "vip"]
        assert block["meta"]["sender"]["id"] == conversation.contact_id
        assert block["meta"]["sender"]["type"] == "contact"
        assert block["meta"]["assignee"]["id"] == admin.user_id
        assert block["meta"]["assignee"]["type"] == "user"
        assert block["channel"] == "Channel::Api" and block["can_reply"] is True
        assert block["unread_count"] == 0
        assert block["timestamp"] == int(conversation.last_activity_at.timestamp())
        assert block["created_at"] == int(conversation.created_at.timestamp())
        assert block["updated_at"] == conversation.updated_at.timestamp()
        assert [m["id"] for m in block["messages"]] == [message.pk]

    def test_an_incoming_message_has_the_contact_as_sender(
        self, account, conversation, hook, receiver, on_commit
    ):
        with on_commit():
            conversation_services.message_receive(
                conversation=conversation,
                incoming=IncomingMessage(content="Oi, tudo bem?", source_id="msg-1"),
            )
        (body,) = received(receiver, "message_created")
        contact = conversation.contact
        assert body["message_type"] == "incoming" and body["source_id"] == "msg-1"
        assert body["sender"]["id"] == contact.pk and body["sender"]["name"] == contact.name
        assert body["sender"]["account"] == {"id": account.pk, "name": account.name}
        assert "avatar" in body["sender"]
        assert body["conversation"]["unread_count"] == 1

    def test_activity_lines_are_not_sent(
        self, account, admin, conversation, hook, receiver, on_commit
    ):
        with on_commit():
            conversation_services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
            )
        # The status change wrote an activity line: Chatwoot sends no webhook for it.
        assert Message.objects.filter(conversation=conversation, message_type="activity").exists()
        assert received(receiver, "message_created") == []
        assert len(received(receiver, "conversation_status_changed")) == 1


class TestConversations:
    def test_a_status_change_carries_the_block_and_what_changed(
        self, account, admin, conversation, hook, receiver, on_commit
    ):
        earlier = MessageFactory(conversation=conversation, content="Quero um orçamento")
        with on_commit():
            conversation_services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
            )
        (body,) = received(receiver, "conversation_status_changed")
        assert set(body) >= CONVERSATION_FIELDS
        assert body["id"] == conversation.display_id and body["status"] == "resolved"
        assert body["changed_attributes"] == [
            {"status": {"previous_value": "open", "current_value": "resolved"}}
        ]
        assert body["inbox"] == {"id": conversation.inbox_id, "name": "Integração"}
        assert body["account"] == {"id": account.pk, "name": account.name}
        # The last chat message, not the activity line the change wrote.
        assert [m["id"] for m in body["messages"]] == [earlier.pk]
        assert body["messages"][0]["content"] == "Quero um orçamento"


class TestContacts:
    def test_contact_created(self, account, admin, hook, receiver, on_commit):
        with on_commit():
            contact = conversation_services.contact_create(
                account=account, actor=admin, name="Maria Souza", email="maria@exemplo.com.br"
            )
        (body,) = received(receiver, "contact_created")
        assert set(body) >= CONTACT_FIELDS
        assert body["id"] == contact.pk and body["name"] == "Maria Souza"
        assert body["account"] == {"id": account.pk, "name": account.name}


class TestBuiltInTheDeliveryTask:
    """The commit queues the event's snapshot; the delivery task builds the payload from it:
    the object's own fields as they were at the event, Chatwoot's extras as they are when the
    task runs."""

    @pytest.fixture
    def queued(self, monkeypatch):
        """The delivery tasks the commits queue, kept to run later (as a busy worker would)."""
        calls: list[tuple] = []
        monkeypatch.setattr(
            "webhooks.listeners.enqueue", lambda task, *args: calls.append((task, args))
        )
        return calls

    @pytest.fixture
    def queued_hello(self, account, admin, conversation, hook, on_commit, queued):
        """The delivery task an agent's "Olá" queued for the hook, not run yet."""
        with on_commit():
            conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá"
            )
        (call,) = [c for c in queued if c[1][2] == "message_created"]
        return call

    @staticmethod
    def run(call, **options):
        task, args = call
        return task.apply(args=args, **options)

    def test_a_conversation_changed_again_before_the_task_runs_is_sent_as_it_was(
        self, account, admin, conversation, hook, receiver, on_commit, queued
    ):
        with on_commit():
            conversation_services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
            )
        resolved = [c for c in queued if c[1][2] == "conversation_status_changed"]
        assert [c[1][3] for c in resolved] == [None]  # nothing built on the commit
        with on_commit():
            conversation_services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.OPEN
            )
        reopened = [c for c in queued if c[1][2] == "conversation_status_changed"][1:]
        for call in (*resolved, *reopened):
            self.run(call)
        first, second = received(receiver, "conversation_status_changed")
        assert set(first) >= CONVERSATION_FIELDS
        assert first["status"] == "resolved"
        assert first["changed_attributes"] == [
            {"status": {"previous_value": "open", "current_value": "resolved"}}
        ]
        assert second["status"] == "open"

    def test_a_conversation_created_pending_is_sent_as_its_transaction_left_it(
        self, account, admin, hook, receiver, on_commit, queued
    ):
        """The creation's frame is made as the row is inserted; the pending status (and what
        else the creating transaction sets) comes after it: the payload reads the row."""
        inbox = InboxFactory(account=account, name="Integração")
        with on_commit():
            created = conversation_services.conversation_create(
                account=account,
                actor=admin,
                inbox=inbox,
                contact=ContactInboxFactory(inbox=inbox).contact,
                status=Status.PENDING,
            )
        for call in [c for c in queued if c[1][2] == "conversation_created"]:
            self.run(call)
        (sent,) = received(receiver, "conversation_created")
        assert sent["id"] == created.display_id
        assert sent["status"] == "pending"

    def test_a_message_whose_conversation_is_gone_when_the_task_runs_is_not_sent(
        self, account, admin, conversation, hook, receiver, on_commit, queued, queued_hello
    ):
        call = queued_hello
        conversation.delete()
        assert self.run(call).get() is None
        assert receiver.received == []

    def test_a_retry_posts_the_body_the_first_attempt_built(
        self, account, admin, conversation, hook, receiver, on_commit, queued, queued_hello
    ):
        call = queued_hello
        receiver.fail = 1
        with pytest.raises(Retry) as retry:
            self.run(call, retries=0, throw=True).get()
        with on_commit():  # changed between the attempts
            conversation_services.conversation_labels_set(
                account=account, actor=admin, conversation=conversation, titles=["vip"]
            )
        assert retry.value.sig.apply(retries=1).get() == 200
        first, second = (r["body"] for r in receiver.received)
        assert first == second
        assert json.loads(second)["conversation"]["labels"] == []
        (header,) = {r["headers"]["X-Chatwoot-Delivery"] for r in receiver.received}
        assert header == call[1][1]

    def test_a_payload_the_database_could_not_read_is_built_again_on_the_retry(
        self,
        account,
        admin,
        conversation,
        hook,
        receiver,
        on_commit,
        queued,
        queued_hello,
        monkeypatch,
    ):
        call = queued_hello
        real = payloads.payload_from
        monkeypatch.setattr(
            payloads, "payload_from", lambda *a: (_ for _ in ()).throw(OperationalError("away"))
        )
        with pytest.raises(Retry) as retry:
            self.run(call, retries=0, throw=True).get()
        assert receiver.received == []
        monkeypatch.setattr(payloads, "payload_from", real)
        assert retry.value.sig.apply(retries=1).get() == 200
        (sent,) = received(receiver, "message_created")
        assert sent["content"] == "Olá"

    def test_a_payload_that_cannot_be_built_is_recorded_among_the_deliveries(
        self,
        account,
        admin,
        conversation,
        hook,
        receiver,
        on_commit,
        queued,
        queued_hello,
        monkeypatch,
    ):
        call = queued_hello
        monkeypatch.setattr(
            payloads, "payload_from", lambda *a: (_ for _ in ()).throw(KeyError("snoozed_until"))
        )
        with pytest.raises(KeyError):
            self.run(call, retries=0, throw=True).get()
        (delivery,) = WebhookDelivery.objects.filter(webhook=hook)
        assert delivery.status_code is None and "not built" in delivery.error

    def test_an_event_of_another_account_is_never_sent(
        self,
        account,
        admin,
        conversation,
        hook,
        receiver,
        on_commit,
        queued,
        queued_hello,
        other_account,
    ):
        call = queued_hello
        task, (_own, delivery_id, event, payload, source) = call
        foreign = Webhook.objects.create(
            account=other_account, url=receiver.url, subscriptions=SUBSCRIPTIONS
        )
        assert task.apply(args=(foreign.pk, delivery_id, event, payload, source)).get() is None
        assert receiver.received == []


class TestQueries:
    """Each payload is built in a fixed number of queries (in the delivery task)."""

    @staticmethod
    def recorded(action, committed) -> list[events.Event]:
        """The events `action` emits, dispatched as its commit would."""
        with events.recorded() as bucket, committed(execute=True):
            action()
        return bucket

    def build(self, event, subscription, django_assert_num_queries, queries):
        with django_assert_num_queries(queries):
            return payloads.payload_for(event, subscription)

    @pytest.mark.parametrize(("labels", "attachments"), [(1, 0), (4, 3)])
    def test_message_and_conversation_payloads(
        self,
        account,
        admin,
        conversation,
        labels,
        attachments,
        django_assert_num_queries,
        django_capture_on_commit_callbacks,
    ):
        earlier = MessageFactory(conversation=conversation)
        for n in range(attachments):
            Attachment.objects.create(
                account=account, message=earlier, external_url=f"https://cdn.example/{n}.jpg"
            )

        def label():
            conversation_services.conversation_labels_set(
                account=account,
                actor=admin,
                conversation=conversation,
                titles=[f"etiqueta-{n}" for n in range(labels)],
            )

        def note():
            conversation_services.message_send(
                account=account,
                actor=admin,
                conversation=conversation,
                content="nota",
                private=True,
            )

        def reply():
            conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá"
            )

        committed = django_capture_on_commit_callbacks
        # Each built right after its commit, as the listener does.
        # Conversation: itself (with its annotations), labels, last chat message, attachments.
        (updated,) = self.recorded(label, committed)
        built = self.build(updated, "conversation_updated", django_assert_num_queries, 4)
        assert len(built["labels"]) == labels
        assert [m["id"] for m in built["messages"]] == [earlier.pk]
        assert len(built["messages"][0]["attachments"]) == attachments
        # A private note is not the last chat message: that one is read too (and its files).
        (noted,) = self.recorded(note, committed)
        built = self.build(noted, "message_created", django_assert_num_queries, 5)
        assert built["private"] is True
        assert [m["id"] for m in built["conversation"]["messages"]] == [earlier.pk]
        # A message that is the conversation's last chat message: it, the conversation, labels.
        replied = [e for e in self.recorded(reply, committed) if e.name == "message.created"][-1]
        built = self.build(replied, "message_created", django_assert_num_queries, 3)
        assert [m["id"] for m in built["conversation"]["messages"]] == [built["id"]]
        assert len(built["conversation"]["labels"]) == labels

    def test_an_activity_line_costs_nothing_and_a_contact_one_query(
        self, account, admin, conversation, django_assert_num_queries
    ):
        activity = events.Event(
            name="message.created",
            account_id=account.pk,
            data={"id": 1, "message_type": 2, "message_type_name": "activity"},
            conversation_pk=conversation.pk,
        )
        assert self.build(activity, "message_created", django_assert_num_queries, 0) is None
        contact = events.Event(
            name="contact.created",
            account_id=account.pk,
            data={"id": conversation.contact_id, "name": "X"},
        )
        built = self.build(contact, "contact_created", django_assert_num_queries, 1)
        assert built["account"] == {"id": account.pk, "name": account.name}


def test_times_are_written_as_rails_writes_them():
    moment = datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=UTC)
    assert payloads.iso(moment) == "2026-12-01T09:30:05.123Z"
    assert payloads.iso(None) is None
