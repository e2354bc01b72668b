"""Services of the conversations app: contacts, opening conversations, incoming messages
(idempotent, also under concurrency), delivery status, replies and notes, status and snooze,
automatic replies, labels, priority, who may act, and the events they emit on commit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, transaction
from django.utils import timezone

from conversations import delivery, services, tasks
from conversations.models import (
    Contact,
    ContactInbox,
    Conversation,
    ConversationSequence,
    Label,
    Message,
    Status,
)
from conversations.services import IncomingMessage
from inboxes.schedule import CLOSED, DayHours
from inboxes.services import inbox_schedule_set
from nexloo.core.errors import NotFound, ValidationError
from tests.factories import (
    ContactFactory,
    ContactInboxFactory,
    InboxFactory,
    MessageFactory,
)
from tests.inboxes.schedules import CENARIO_4

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Cenário 4 hours: Monday–Friday 08:30–17:00, Saturday 09:00–12:00, Sunday closed.
SATURDAY_NIGHT = datetime(2026, 11, 28, 20, 0, tzinfo=SAO_PAULO)
MONDAY_MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=SAO_PAULO)
MONDAY_NIGHT = datetime(2026, 11, 30, 18, 0, tzinfo=SAO_PAULO)


def activity_lines(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, message_type="activity")
        .order_by("created_at", "pk")
        .values_list("content", flat=True)
    )


def automatic(conversation, kind: str) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation=conversation,
            message_type="outgoing",
            content_attributes__automatic=kind,
        ).order_by("pk")
    )


@pytest.fixture
def sofia(member):
    """An agent of the inbox."""
    return member("Sofia Secretária")


@pytest.fixture
def conversation(new_conversation):
    return new_conversation()


# --- Contacts ----------------------------------------------------------------------------------


class TestContacts:
    @pytest.mark.parametrize(
        ("raw", "e164"),
        [
            ("+55 (11) 98765-4321", "+5511987654321"),
            ("5511987654321", "+5511987654321"),  # a WhatsApp wa_id
            (" +1 415-555-2671 ", "+14155552671"),
            ("", ""),
        ],
    )
    def test_phone_is_normalised_to_e164(self, account, admin, raw, e164):
        assert services.normalize_phone(raw) == e164
        if e164:
            contact = services.contact_create(account=account, actor=admin, phone_number=raw)
            assert Contact.objects.get(pk=contact.pk).phone_number == e164

    @pytest.mark.parametrize("raw", ["123", "+0 11 98765-4321", "telefone", "+55119876543210123"])
    def test_invalid_phone_is_refused(self, account, admin, raw):
        with pytest.raises(ValidationError) as info:
            services.contact_create(account=account, actor=admin, name="Maria", phone_number=raw)
        assert "phone_number" in info.value.message_dict
        assert not Contact.objects.exists()

    def test_same_phone_twice_in_an_account_is_refused(self, account, admin):
        services.contact_create(
            account=account, actor=admin, name="Maria", phone_number="+5511987654321"
        )
        with pytest.raises(ValidationError) as info:
            services.contact_create(
                account=account, actor=admin, name="Outra Maria", phone_number="55 11 98765-4321"
            )
        assert "phone_number" in info.value.message_dict
        assert Contact.objects.for_account(account).count() == 1

    def test_changing_to_another_contacts_phone_is_refused(self, account, admin):
        services.contact_create(
            account=account, actor=admin, name="Maria", phone_number="+5511987654321"
        )
        joao = services.contact_create(account=account, actor=admin, name="João")
        with pytest.raises(ValidationError):
            services.contact_update(
                account=account, actor=admin, contact=joao, phone_number="+55 11 98765-4321"
            )
        joao.refresh_from_db()
        assert joao.phone_number == ""

    def test_same_email_in_another_case_is_refused(self, account, admin):
        services.contact_create(account=account, actor=admin, email="maria@exemplo.com.br")
        with pytest.raises(ValidationError) as info:
            services.contact_create(account=account, actor=admin, email="MARIA@exemplo.com.br")
        assert "email" in info.value.message_dict

    def test_same_phone_is_allowed_in_another_account(
        self, account, admin, other_account, outsider
    ):
        services.contact_create(
            account=account, actor=admin, name="Maria", phone_number="+5511987654321"
        )
        theirs = services.contact_create(
            account=other_account, actor=outsider, name="Maria", phone_number="+5511987654321"
        )
        assert theirs.account_id == other_account.pk
        assert Contact.objects.filter(phone_number="+5511987654321").count() == 2

    def test_another_accounts_contact_is_not_found(self, account, admin, other_account):
        theirs = ContactFactory(account=other_account, name="Deles")
        with pytest.raises(NotFound):
            services.contact_update(account=account, actor=admin, contact=theirs, name="Nosso")
        with pytest.raises(NotFound):
            services.contact_delete(account=account, actor=admin, contact=theirs)
        theirs.refresh_from_db()
        assert theirs.name == "Deles"

    def test_a_contact_needs_something_to_be_found_by(self, account, admin):
        with pytest.raises(ValidationError):
            services.contact_create(account=account, actor=admin, name="  ")


# --- Opening conversations ---------------------------------------------------------------------


class TestConversationOpenFor:
    @pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.SNOOZED])
    def test_reuses_the_unresolved_conversation(self, account, inbox, status):
        contact_inbox = ContactInboxFactory(inbox=inbox)
        first = services.conversation_open_for(contact_inbox=contact_inbox)
        assert first.created
        Conversation.objects.filter(pk=first.conversation.pk).update(status=status)
        again = services.conversation_open_for(contact_inbox=contact_inbox)
        assert not again.created
        assert again.conversation.pk == first.conversation.pk
        assert Conversation.objects.filter(contact_inbox=contact_inbox).count() == 1

    def test_after_resolve_a_new_one_with_the_next_display_id(self, account, admin, inbox):
        contact_inbox = ContactInboxFactory(inbox=inbox)
        first = services.conversation_open_for(contact_inbox=contact_inbox).conversation
        services.conversation_status_set(
            account=account, actor=admin, conversation=first, status=Status.RESOLVED
        )
        second = services.conversation_open_for(contact_inbox=contact_inbox)
        assert second.created
        assert (first.display_id, second.conversation.display_id) == (1, 2)

    def test_display_ids_are_per_account(self, account, inbox, other_account):
        theirs = InboxFactory(account=other_account)
        ours = [
            services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox)
            ).conversation.display_id
            for _ in range(3)
        ]
        first_of_theirs = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=theirs)
        ).conversation.display_id
        ours.append(
            services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox)
            ).conversation.display_id
        )
        assert ours == [1, 2, 3, 4]
        assert first_of_theirs == 1
        assert ConversationSequence.objects.get(account=other_account).last_display_id == 1


# --- Incoming messages -------------------------------------------------------------------------


class TestIncoming:
    def test_same_provider_id_twice_stores_one_message(self, account, inbox, incoming):
        first = incoming(inbox, "Olá, quero um orçamento", source_id="wamid.A1")
        again = incoming(inbox, "Olá, quero um orçamento", source_id="wamid.A1")
        assert again.pk == first.pk
        assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1

    def test_message_receive_returns_created_false_the_second_time(self, account, conversation):
        message = IncomingMessage(content="Oi", source_id="wamid.B1")
        stored, created = services.message_receive(conversation=conversation, incoming=message)
        again, created_again = services.message_receive(conversation=conversation, incoming=message)
        assert (created, created_again) == (True, False)
        assert again.pk == stored.pk

    def test_same_provider_id_in_another_inbox_is_another_message(self, account, inbox, incoming):
        other = InboxFactory(account=account)
        incoming(inbox, source_id="wamid.C1")
        incoming(other, source_id="wamid.C1")
        assert Message.objects.filter(source_id="wamid.C1").count() == 2

    def test_channel_contact_is_found_by_wa_id_and_phone(self, account, inbox, incoming):
        incoming(inbox, "Oi", wa_id="5511912345678", source_id="wamid.D1")
        incoming(inbox, "Tudo bem?", wa_id="5511912345678", source_id="wamid.D2")
        contact = Contact.objects.get(account=account)
        assert contact.phone_number == "+5511912345678"
        assert contact.name == "Maria Cliente"
        assert Conversation.objects.filter(contact=contact).count() == 1
        assert Message.objects.filter(sender_contact=contact).count() == 2

    def test_waiting_since_starts_with_the_first_unanswered_message(self, account, inbox, incoming):
        with time_machine.travel(SATURDAY_NIGHT, tick=False) as clock:
            first = incoming(inbox, "Oi", source_id="wamid.E1")
            clock.shift(timedelta(minutes=3))
            incoming(inbox, "Alguém?", source_id="wamid.E2")
        conversation = Conversation.objects.get(pk=first.conversation_id)
        assert conversation.waiting_since == SATURDAY_NIGHT


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phone", ["+5511955554444", ""])
def test_two_deliveries_of_a_new_contacts_first_message_at_once(account, inbox, phone):
    """Meta retries a webhook while the first delivery is still being processed: both workers
    see an unknown contact at the same moment. One contact, one conversation, one message."""
    barrier = threading.Barrier(2)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait()
            message, created = services.inbound_message(
                inbox=inbox,
                contact_source_id="5511955554444",
                message=IncomingMessage(content="Oi, tudo bem?", source_id="wamid.RACE"),
                contact_name="Maria",
                phone_number=phone,
            )
            results.append((message.pk, created))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Contact.objects.filter(account=account).count() == 1
    assert ContactInbox.objects.filter(inbox=inbox).count() == 1
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1
    assert len({pk for pk, _created in results}) == 1
    assert sorted(created for _pk, created in results) == [False, True]


# --- Delivery status ---------------------------------------------------------------------------


class TestDeliveryStatus:
    @pytest.fixture
    def sent(self, conversation):
        return MessageFactory(
            conversation=conversation,
            message_type="outgoing",
            sender_type="user",
            source_id="wamid.OUT1",
            status="sent",
        )

    def update(self, sent, status, error=""):
        return services.message_status_update(
            inbox_id=sent.inbox_id, source_id="wamid.OUT1", status=status, error=error
        )

    def status_of(self, sent):
        sent.refresh_from_db()
        return sent.status

    def test_moves_forward(self, sent):
        assert self.update(sent, "delivered") is True
        assert self.status_of(sent) == "delivered"
        assert self.update(sent, "read") is True
        assert self.status_of(sent) == "read"

    def test_read_then_a_late_delivered_stays_read(self, sent):
        assert self.update(sent, "read") is True
        assert self.update(sent, "delivered") is False
        assert self.update(sent, "sent") is False
        assert self.status_of(sent) == "read"

    def test_failed_after_delivered_is_ignored(self, sent):
        self.update(sent, "delivered")
        assert self.update(sent, "failed", error="131047: re-engagement") is False
        sent.refresh_from_db()
        assert (sent.status, sent.external_error) == ("delivered", "")

    def test_failed_keeps_the_providers_error(self, sent):
        assert self.update(sent, "failed", error="131026: message undeliverable") is True
        sent.refresh_from_db()
        assert (sent.status, sent.external_error) == ("failed", "131026: message undeliverable")
        assert self.update(sent, "read") is False

    def test_unknown_status_is_refused(self, sent):
        with pytest.raises(ValidationError):
            self.update(sent, "seen")

    def test_only_effective_changes_emit_message_updated(self, sent, on_commit, recorded_events):
        with on_commit():
            self.update(sent, "read")
        with on_commit():
            self.update(sent, "delivered")
        assert [(e.name, e.data["status"]) for e in recorded_events] == [
            ("message.updated", "read")
        ]


# --- Replies and private notes -----------------------------------------------------------------


class TestMessageSend:
    def test_a_reply_on_an_api_inbox_is_stored_as_sent_with_no_delivery_task(
        self, account, sofia, conversation, monkeypatch, django_capture_on_commit_callbacks
    ):
        """Storing it is its delivery (subscribers get the message_created event on commit):
        no task, no second transaction to mark it sent."""
        queued = []
        monkeypatch.setattr("conversations.delivery.queue", queued.append)
        with django_capture_on_commit_callbacks(execute=True):
            reply = services.message_send(
                account=account, actor=sofia, conversation=conversation, content="Bom dia!"
            )
        reply.refresh_from_db()
        assert reply.status == "sent" and queued == []
        assert (reply.sender_type, reply.sender_user_id, reply.private) == (
            "user",
            sofia.user_id,
            False,
        )

    def test_channel_backend_sends_and_its_id_becomes_the_source_id(
        self, account, admin, whatsapp_inbox, whatsapp_backend, on_commit
    ):
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
        ).conversation
        with on_commit():
            reply = services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá!"
            )
        reply.refresh_from_db()
        assert whatsapp_backend.sent == [reply.pk]
        assert (reply.status, reply.source_id) == ("sent", f"wamid.{reply.pk}")
        # A later status webhook finds it by that id.
        assert services.message_status_update(
            inbox_id=whatsapp_inbox.pk, source_id=reply.source_id, status="delivered"
        )

    def test_permanent_delivery_error_marks_failed(
        self, account, admin, whatsapp_inbox, whatsapp_backend, on_commit
    ):
        whatsapp_backend.error = delivery.PermanentDeliveryError("131030: recipient not allowed")
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
        ).conversation
        with on_commit():
            reply = services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá!"
            )
        reply.refresh_from_db()
        assert (reply.status, reply.external_error) == ("failed", "131030: recipient not allowed")

    def test_private_note_is_never_delivered(
        self, account, admin, whatsapp_inbox, whatsapp_backend, on_commit
    ):
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
        ).conversation
        with on_commit():
            note = services.message_send(
                account=account,
                actor=admin,
                conversation=conversation,
                content="Cliente pediu desconto, ver com o gerente",
                private=True,
            )
        note.refresh_from_db()
        assert note.private and note.status == "sent"
        assert whatsapp_backend.sent == []
        # Even if the task ran for it (a stray retry), it stays undelivered.
        assert tasks.deliver_message(note.pk) == "skipped"
        assert whatsapp_backend.sent == []

    @pytest.mark.parametrize("content", ["", "   \n "])
    def test_empty_message_is_refused(self, account, sofia, conversation, content):
        with pytest.raises(ValidationError) as info:
            services.message_send(
                account=account, actor=sofia, conversation=conversation, content=content
            )
        assert "content" in info.value.message_dict
        assert not Message.objects.filter(conversation=conversation, message_type="outgoing")

    def test_an_agents_reply_ends_the_wait_and_records_the_first_reply(
        self, account, sofia, inbox, incoming
    ):
        with time_machine.travel(SATURDAY_NIGHT, tick=False) as clock:
            message = incoming(inbox, "Oi", source_id="wamid.F1")
            clock.shift(timedelta(minutes=4))
            conversation = Conversation.objects.get(pk=message.conversation_id)
            services.message_send(
                account=account,
                actor=sofia,
                conversation=conversation,
                content="Note",
                private=True,
            )
            conversation.refresh_from_db()
            assert conversation.waiting_since == SATURDAY_NIGHT  # a note is no answer
            services.message_send(
                account=account, actor=sofia, conversation=conversation, content="Olá!"
            )
        conversation.refresh_from_db()
        assert conversation.waiting_since is None
        assert conversation.first_reply_at == SATURDAY_NIGHT + timedelta(minutes=4)


# --- Status, snooze ----------------------------------------------------------------------------


class TestStatus:
    def test_each_change_writes_its_activity_line_in_portuguese(self, account, admin, conversation):
        for status in (Status.PENDING, Status.RESOLVED, Status.OPEN):
            services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=status
            )
        assert activity_lines(conversation) == [
            "Conversa marcada como pendente por Ana Administradora",
            "Conversa resolvida por Ana Administradora",
            "Conversa reaberta por Ana Administradora",
        ]

    def test_in_an_english_account_the_lines_are_in_english(self, account, admin, conversation):
        account.locale = "en"
        account.save()
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
        )
        assert activity_lines(conversation) == ["Conversation resolved by Ana Administradora"]

    def test_setting_the_same_status_again_changes_nothing(
        self, account, admin, conversation, on_commit, recorded_events
    ):
        with on_commit():
            services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.OPEN
            )
        assert activity_lines(conversation) == []
        assert recorded_events == []

    def test_reopening_when_the_contact_has_a_newer_conversation_is_refused(
        self, account, admin, inbox
    ):
        contact_inbox = ContactInboxFactory(inbox=inbox)
        old = services.conversation_open_for(contact_inbox=contact_inbox).conversation
        services.conversation_status_set(
            account=account, actor=admin, conversation=old, status=Status.RESOLVED
        )
        services.conversation_open_for(contact_inbox=contact_inbox)
        with pytest.raises(ValidationError):
            services.conversation_status_set(
                account=account, actor=admin, conversation=old, status=Status.OPEN
            )
        assert Conversation.objects.get(pk=old.pk).status == Status.RESOLVED

    def test_snooze_line_shows_the_time_in_the_accounts_timezone(
        self, account, admin, conversation
    ):
        account.timezone = "America/Manaus"  # UTC-4, an hour behind São Paulo
        account.save()
        with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False):
            services.conversation_status_set(
                account=account,
                actor=admin,
                conversation=conversation,
                status=Status.SNOOZED,
                snoozed_until=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
            )
        assert activity_lines(conversation) == [
            "Conversa adiada até 26/11/2026 11:00 por Ana Administradora"
        ]

    def test_snooze_until_the_next_reply(self, account, admin, conversation):
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.SNOOZED
        )
        conversation.refresh_from_db()
        assert (conversation.status, conversation.snoozed_until) == (Status.SNOOZED, None)
        assert activity_lines(conversation) == [
            "Conversa adiada até a próxima resposta por Ana Administradora"
        ]

    def test_snooze_in_the_past_is_refused(self, account, admin, conversation):
        with pytest.raises(ValidationError):
            services.conversation_status_set(
                account=account,
                actor=admin,
                conversation=conversation,
                status=Status.SNOOZED,
                snoozed_until=timezone.now() - timedelta(minutes=1),
            )
        assert Conversation.objects.get(pk=conversation.pk).status == Status.OPEN


class TestSnoozeWakeUp:
    def test_the_beat_task_reopens_only_the_due_ones(self, account, admin, new_conversation):
        with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as clock:
            soon, later, until_reply, other = (new_conversation() for _ in range(4))
            now = timezone.now()
            for conversation, until in (
                (soon, now + timedelta(hours=1)),
                (later, now + timedelta(hours=3)),
                (until_reply, None),
            ):
                services.conversation_status_set(
                    account=account,
                    actor=admin,
                    conversation=conversation,
                    status=Status.SNOOZED,
                    snoozed_until=until,
                )
            clock.shift(timedelta(minutes=59))
            assert tasks.wake_snoozed() == 0
            clock.shift(timedelta(minutes=2))
            assert tasks.wake_snoozed() == 1
            assert tasks.wake_snoozed() == 0  # idempotent
        statuses = {
            c.pk: (c.status, c.snoozed_until)
            for c in Conversation.objects.filter(
                pk__in=[soon.pk, later.pk, until_reply.pk, other.pk]
            )
        }
        assert statuses == {
            soon.pk: (Status.OPEN, None),
            later.pk: (Status.SNOOZED, datetime(2026, 11, 25, 15, 0, tzinfo=UTC)),
            until_reply.pk: (Status.SNOOZED, None),
            other.pk: (Status.OPEN, None),
        }
        assert activity_lines(soon)[-1] == "Conversa reaberta por Automação"

    def test_an_incoming_message_wakes_a_snoozed_conversation(
        self, account, admin, inbox, incoming
    ):
        first = incoming(inbox, "Oi", source_id="wamid.G1")
        conversation = Conversation.objects.get(pk=first.conversation_id)
        services.conversation_status_set(
            account=account,
            actor=admin,
            conversation=conversation,
            status=Status.SNOOZED,
            snoozed_until=timezone.now() + timedelta(days=2),
        )
        again = incoming(inbox, "Ainda estou esperando", source_id="wamid.G2")
        assert again.conversation_id == conversation.pk  # the same conversation, not a new one
        conversation.refresh_from_db()
        assert (conversation.status, conversation.snoozed_until) == (Status.OPEN, None)

    def test_an_incoming_message_posted_to_the_conversation_wakes_it_too(
        self, account, admin, conversation
    ):
        """The API channel posts incoming messages straight to a conversation."""
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.SNOOZED
        )
        services.message_receive(
            conversation=conversation, incoming=IncomingMessage(content="Voltei", source_id="x1")
        )
        conversation.refresh_from_db()
        assert conversation.status == Status.OPEN

    def test_a_redelivered_old_message_does_not_wake_it(self, account, admin, inbox, incoming):
        first = incoming(inbox, "Oi", source_id="wamid.H1")
        conversation = Conversation.objects.get(pk=first.conversation_id)
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.SNOOZED
        )
        incoming(inbox, "Oi", source_id="wamid.H1")
        conversation.refresh_from_db()
        assert conversation.status == Status.SNOOZED


# --- Out-of-office and greeting ----------------------------------------------------------------


@pytest.fixture
def after_hours_inbox(account, admin, inbox):
    inbox.out_of_office_message = "Estamos fora do horário. Respondemos a partir das 08:30."
    inbox.save()
    inbox_schedule_set(account=account, actor=admin, inbox=inbox, weekly=CENARIO_4, enabled=True)
    inbox.refresh_from_db()  # a channel hands inbound_message the inbox as stored now
    return inbox


class TestOutOfOffice:
    def test_sent_once_per_closed_period(self, account, after_hours_inbox, incoming, on_commit):
        inbox = after_hours_inbox
        with time_machine.travel(SATURDAY_NIGHT, tick=False) as clock:
            with on_commit():
                first = incoming(inbox, "Oi", source_id="wamid.1")
            conversation = Conversation.objects.get(pk=first.conversation_id)
            replies = automatic(conversation, "out_of_office")
            assert [(m.content, m.private, m.sender_type) for m in replies] == [
                (inbox.out_of_office_message, False, "system")
            ]
            assert replies[0].status == "sent"  # delivered like any reply
            clock.shift(timedelta(hours=12))  # Sunday morning: still the same closed period
            incoming(inbox, "Alô?", source_id="wamid.2")
            assert len(automatic(conversation, "out_of_office")) == 1
            clock.move_to(MONDAY_MORNING)
            incoming(inbox, "Bom dia", source_id="wamid.3")
            assert len(automatic(conversation, "out_of_office")) == 1
            clock.move_to(MONDAY_NIGHT)  # closed again: a new period
            incoming(inbox, "Boa noite", source_id="wamid.4")
            assert len(automatic(conversation, "out_of_office")) == 2

    def test_not_while_an_agent_answered_in_the_last_five_minutes(
        self, account, after_hours_inbox, member, incoming
    ):
        inbox = after_hours_inbox
        sofia = member("Sofia")
        with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
            first = incoming(inbox, "Oi", source_id="wamid.1")
            conversation = Conversation.objects.get(pk=first.conversation_id)
            clock.move_to(datetime(2026, 11, 30, 16, 58, tzinfo=SAO_PAULO))
            services.message_send(
                account=account, actor=sofia, conversation=conversation, content="Já vejo isso"
            )
            clock.move_to(datetime(2026, 11, 30, 17, 2, tzinfo=SAO_PAULO))  # closed, 4 min later
            incoming(inbox, "Obrigada!", source_id="wamid.2")
            assert automatic(conversation, "out_of_office") == []
            clock.move_to(datetime(2026, 11, 30, 17, 4, tzinfo=SAO_PAULO))  # 6 min later
            incoming(inbox, "Mais uma coisa", source_id="wamid.3")
            assert len(automatic(conversation, "out_of_office")) == 1

    def test_a_private_note_is_no_answer(self, account, after_hours_inbox, member, incoming):
        inbox = after_hours_inbox
        sofia = member("Sofia")
        with time_machine.travel(SATURDAY_NIGHT, tick=False) as clock:
            conversation = services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox, source_id="5511987650000")
            ).conversation
            services.message_send(
                account=account, actor=sofia, conversation=conversation, content="ver", private=True
            )
            clock.shift(timedelta(minutes=1))
            incoming(inbox, "Oi", source_id="wamid.1")
        assert len(automatic(conversation, "out_of_office")) == 1

    def test_not_during_business_hours(self, account, after_hours_inbox, incoming):
        with time_machine.travel(MONDAY_MORNING, tick=False):
            message = incoming(after_hours_inbox, "Oi", source_id="wamid.1")
        assert automatic(message.conversation, "out_of_office") == []

    def test_not_when_business_hours_are_off(self, account, after_hours_inbox, incoming):
        after_hours_inbox.working_hours_enabled = False
        after_hours_inbox.save()
        with time_machine.travel(SATURDAY_NIGHT, tick=False):
            message = incoming(after_hours_inbox, "Oi", source_id="wamid.1")
        assert automatic(message.conversation, "out_of_office") == []

    def test_an_inbox_closed_every_day_answers_once(self, account, admin, inbox, incoming):
        inbox.out_of_office_message = "Este número não é mais atendido."
        inbox.save()
        inbox_schedule_set(
            account=account,
            actor=admin,
            inbox=inbox,
            weekly={day: DayHours(mode=CLOSED) for day in range(7)},
            enabled=True,
        )
        with time_machine.travel(SATURDAY_NIGHT, tick=False) as clock:
            first = incoming(inbox, "Oi", source_id="wamid.1")
            clock.shift(timedelta(hours=1))
            incoming(inbox, "Alô?", source_id="wamid.2")
            clock.shift(timedelta(days=3))
            incoming(inbox, "Alguém?", source_id="wamid.3")
        assert len(automatic(first.conversation, "out_of_office")) == 1


class TestGreeting:
    @pytest.fixture
    def greeting_inbox(self, inbox):
        inbox.greeting_enabled = True
        inbox.greeting_message = "Olá! Obrigado por falar com a gente."
        inbox.save()
        return inbox

    def test_on_the_first_incoming_message_only(self, account, greeting_inbox, incoming):
        first = incoming(greeting_inbox, "Oi", source_id="wamid.1")
        incoming(greeting_inbox, "Quero um orçamento", source_id="wamid.2")
        greetings = automatic(first.conversation, "greeting")
        assert [(m.content, m.private) for m in greetings] == [
            ("Olá! Obrigado por falar com a gente.", False)
        ]

    def test_a_redelivered_first_message_greets_once(self, account, greeting_inbox, incoming):
        first = incoming(greeting_inbox, "Oi", source_id="wamid.1")
        incoming(greeting_inbox, "Oi", source_id="wamid.1")
        assert len(automatic(first.conversation, "greeting")) == 1

    def test_not_when_disabled(self, account, greeting_inbox, incoming):
        greeting_inbox.greeting_enabled = False
        greeting_inbox.save()
        first = incoming(greeting_inbox, "Oi", source_id="wamid.1")
        assert automatic(first.conversation, "greeting") == []


# --- Labels, priority --------------------------------------------------------------------------


class TestLabels:
    def test_set_then_replace(self, account, sofia, conversation):
        titles = services.conversation_labels_set(
            account=account, actor=sofia, conversation=conversation, titles=["VIP", "Financeiro"]
        )
        assert titles == ["financeiro", "vip"]
        titles = services.conversation_labels_set(
            account=account, actor=sofia, conversation=conversation, titles=["vip", "Suporte"]
        )
        assert titles == ["suporte", "vip"]
        assert sorted(conversation.labels.values_list("title", flat=True)) == ["suporte", "vip"]
        # Labels are the account's: "vip" was reused, "financeiro" stays for other conversations.
        assert sorted(Label.objects.for_account(account).values_list("title", flat=True)) == [
            "financeiro",
            "suporte",
            "vip",
        ]

    def test_empty_list_removes_all(self, account, sofia, conversation):
        services.conversation_labels_set(
            account=account, actor=sofia, conversation=conversation, titles=["vip"]
        )
        assert (
            services.conversation_labels_set(
                account=account, actor=sofia, conversation=conversation, titles=[]
            )
            == []
        )
        assert not conversation.labels.exists()

    def test_event_only_when_something_changed(
        self, account, sofia, conversation, on_commit, recorded_events
    ):
        with on_commit():
            services.conversation_labels_set(
                account=account, actor=sofia, conversation=conversation, titles=["vip"]
            )
        with on_commit():
            services.conversation_labels_set(
                account=account, actor=sofia, conversation=conversation, titles=["VIP"]
            )
        assert [(e.name, e.data["labels"]) for e in recorded_events] == [
            ("conversation.updated", ["vip"])
        ]

    def test_too_long_title_is_refused(self, account, sofia, conversation):
        with pytest.raises(ValidationError):
            services.conversation_labels_set(
                account=account, actor=sofia, conversation=conversation, titles=["x" * 65]
            )


class TestPriority:
    def test_set_and_remove_with_activity_lines(self, account, sofia, conversation):
        services.conversation_priority_set(
            account=account, actor=sofia, conversation=conversation, priority="high"
        )
        assert Conversation.objects.get(pk=conversation.pk).priority == "high"
        services.conversation_priority_set(
            account=account, actor=sofia, conversation=conversation, priority="high"
        )
        services.conversation_priority_set(
            account=account, actor=sofia, conversation=conversation, priority=None
        )
        assert Conversation.objects.get(pk=conversation.pk).priority == ""
        assert activity_lines(conversation) == [
            "Prioridade definida como Alta por Sofia Secretária",
            "Prioridade removida por Sofia Secretária",
        ]

    def test_unknown_priority_is_refused(self, account, sofia, conversation):
        with pytest.raises(ValidationError):
            services.conversation_priority_set(
                account=account, actor=sofia, conversation=conversation, priority="critical"
            )


# --- Who may act -------------------------------------------------------------------------------


ACTIONS = {
    "status": lambda a, actor, c: services.conversation_status_set(
        account=a, actor=actor, conversation=c, status=Status.RESOLVED
    ),
    "priority": lambda a, actor, c: services.conversation_priority_set(
        account=a, actor=actor, conversation=c, priority="urgent"
    ),
    "labels": lambda a, actor, c: services.conversation_labels_set(
        account=a, actor=actor, conversation=c, titles=["vip"]
    ),
    "reply": lambda a, actor, c: services.message_send(
        account=a, actor=actor, conversation=c, content="Olá"
    ),
    "note": lambda a, actor, c: services.message_send(
        account=a, actor=actor, conversation=c, content="nota", private=True
    ),
    "assign": lambda a, actor, c: services.conversation_assign_agent(
        account=a, actor=actor, conversation=c, assignee=actor
    ),
    "team": lambda a, actor, c: services.conversation_assign_team(
        account=a, actor=actor, conversation=c, team=None
    ),
    "read": lambda a, actor, c: services.conversation_mark_read(
        account=a, actor=actor, conversation=c
    ),
}


class TestAccess:
    @pytest.mark.parametrize("action", sorted(ACTIONS))
    def test_agent_outside_the_inbox_gets_not_found(self, account, agent, conversation, action):
        with pytest.raises(NotFound):
            ACTIONS[action](account, agent, conversation)
        conversation.refresh_from_db()
        assert (conversation.status, conversation.priority, conversation.assignee_id) == (
            Status.OPEN,
            "",
            None,
        )
        assert not conversation.messages.exists()
        assert not conversation.labels.exists()

    @pytest.mark.parametrize("action", sorted(ACTIONS))
    def test_inbox_member_may(self, account, sofia, conversation, action):
        ACTIONS[action](account, sofia, conversation)

    @pytest.mark.parametrize("action", sorted(ACTIONS))
    def test_another_accounts_user_gets_not_found(
        self, other_account, outsider, conversation, action
    ):
        with pytest.raises(NotFound):
            ACTIONS[action](other_account, outsider, conversation)
        assert not conversation.messages.exists()

    def test_assigning_someone_of_another_account_is_not_found(
        self, account, admin, conversation, outsider
    ):
        with pytest.raises(NotFound):
            services.conversation_assign_agent(
                account=account, actor=admin, conversation=conversation, assignee=outsider
            )

    def test_deleting_a_message_outside_the_inbox_is_not_found(
        self, account, admin, agent, conversation
    ):
        reply = services.message_send(
            account=account, actor=admin, conversation=conversation, content="Olá"
        )
        with pytest.raises(NotFound):
            services.message_delete(account=account, actor=agent, message=reply)
        assert Message.objects.get(pk=reply.pk).content == "Olá"

    def test_agent_deletes_a_reply_but_not_what_the_contact_wrote(
        self, account, sofia, inbox, incoming
    ):
        received = incoming(inbox, "Meu CPF é 123", source_id="wamid.1")
        reply = services.message_send(
            account=account, actor=sofia, conversation=received.conversation, content="Anotado"
        )
        deleted = services.message_delete(account=account, actor=sofia, message=reply)
        assert deleted.content == "Esta mensagem foi apagada"
        assert deleted.content_attributes["deleted"] is True
        with pytest.raises(ValidationError):
            services.message_delete(account=account, actor=sofia, message=received)


# --- Events ------------------------------------------------------------------------------------


class TestEvents:
    def test_nothing_is_told_before_the_commit(
        self, account, admin, conversation, django_capture_on_commit_callbacks, recorded_events
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
            )
            assert recorded_events == []
        assert [e.name for e in recorded_events] == [
            "message.created",
            "conversation.status_changed",
        ]
        changed = recorded_events[1]
        assert changed.data["id"] == conversation.display_id
        assert (changed.data["status"], changed.data["previous_status"]) == ("resolved", "open")
        assert changed.performer.as_dict() == {
            "type": "user",
            "id": admin.user_id,
            "name": "Ana Administradora",
        }
        assert changed.inbox_id == conversation.inbox_id

    def test_a_rolled_back_change_tells_nobody(
        self, account, admin, conversation, django_capture_on_commit_callbacks, recorded_events
    ):
        class Abort(Exception):
            pass

        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(Abort),
            transaction.atomic(),
        ):
            services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
            )
            raise Abort
        assert recorded_events == []
        assert Conversation.objects.get(pk=conversation.pk).status == Status.OPEN

    def test_a_new_conversation_from_a_channel(
        self, account, inbox, incoming, on_commit, recorded_events
    ):
        with on_commit():
            incoming(inbox, "Oi", source_id="wamid.1")
        assert [e.name for e in recorded_events][:3] == [
            "contact.created",
            "conversation.created",
            "message.created",
        ]
        created = recorded_events[1]
        assert created.inbox_id == inbox.pk
        assert created.data["meta"]["sender"]["phone_number"] == "+5511987650000"

    def test_assignment_tells_the_new_and_the_previous_assignee(
        self, account, admin, member, conversation, on_commit, recorded_events
    ):
        ana, bruno = member("Ana"), member("Bruno")
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=ana
        )
        with on_commit():
            services.conversation_assign_agent(
                account=account, actor=admin, conversation=conversation, assignee=bruno
            )
        changed = [e for e in recorded_events if e.name == "assignee.changed"]
        assert len(changed) == 1
        assert changed[0].data["assignee_id"] == bruno.user_id
        assert changed[0].user_ids == {ana.user_id, bruno.user_id}
        assert (
            activity_lines(conversation)[-1] == "Conversa atribuída a Bruno por Ana Administradora"
        )

    def test_team_change_and_private_note(
        self, account, admin, member, team_factory, conversation, on_commit, recorded_events
    ):
        sales = team_factory("Comercial", allow_auto_assign=False)
        with on_commit():
            services.conversation_forward(
                account=account,
                actor=admin,
                conversation=conversation,
                team=sales,
                note="Cliente quer 30 unidades",
            )
        names = [e.name for e in recorded_events]
        assert names == ["message.created", "team.changed", "message.created"]
        team_changed, note = recorded_events[1], recorded_events[2]
        assert team_changed.data["meta"]["team"] == {"id": sales.pk, "name": "Comercial"}
        assert (note.data["private"], note.data["content"]) == (True, "Cliente quer 30 unidades")
        assert activity_lines(conversation) == [
            "Encaminhada para o time Comercial por Ana Administradora"
        ]

    def test_contact_events_go_to_administrators_only(
        self, account, admin, on_commit, recorded_events
    ):
        with on_commit():
            contact = services.contact_create(account=account, actor=admin, name="Maria")
        with on_commit():
            services.contact_update(account=account, actor=admin, contact=contact, name="Maria S.")
        assert [(e.name, e.data["name"], e.inbox_id, e.user_ids) for e in recorded_events] == [
            ("contact.created", "Maria", None, frozenset()),
            ("contact.updated", "Maria S.", None, frozenset()),
        ]


@pytest.mark.django_db(transaction=True)
def test_a_message_arriving_while_the_conversation_is_routed_never_deadlocks(
    account, inbox, member, team_factory
):
    """Routing locks the inbox, then the conversation; storing a message locks the conversation,
    then inserts rows that reference the inbox. Neither may wait for the other forever."""
    sales = team_factory("Comercial")
    for name in ("Ana", "Bruno"):
        member(name, sales)
    errors: list[BaseException] = []
    rounds = 25

    def run(target):
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    for n in range(rounds):
        wa_id = f"55119000{n:05d}"
        first, _created = services.inbound_message(
            inbox=inbox,
            contact_source_id=wa_id,
            message=IncomingMessage(content="Oi", source_id=f"wamid.{n}.0"),
        )
        conversation = first.conversation
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=run,
                args=(
                    lambda c=conversation: services.conversation_assign_team(
                        account=account, actor=None, conversation=c, team=sales
                    ),
                ),
            ),
            threading.Thread(
                target=run,
                args=(
                    lambda w=wa_id, n=n: services.inbound_message(
                        inbox=inbox,
                        contact_source_id=w,
                        message=IncomingMessage(content="Alô?", source_id=f"wamid.{n}.1"),
                    ),
                ),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 2 * rounds
    assert Conversation.objects.filter(inbox=inbox, team=sales).count() == rounds
