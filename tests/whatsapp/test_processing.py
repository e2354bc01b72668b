"""Processing stored deliveries: every payload of tests/fixtures/whatsapp/ (Meta's examples and
public libraries' test data) becomes what a person expects to see in the thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conversations.models import Contact, ContactInbox, Conversation, EarlyStatus, Message
from tests.factories import ContactInboxFactory, ConversationFactory, MessageFactory
from tests.whatsapp.conftest import FIXTURES, payload
from webhooks import selectors as webhook_selectors
from whatsapp import services

pytestmark = pytest.mark.django_db

MESSAGE_FIXTURES = sorted(
    p.name
    for p in FIXTURES.glob("*.json")
    if not p.name.startswith("status_") and not p.name.startswith("reaction")
)
STATUS_FIXTURES = sorted(p.name for p in FIXTURES.glob("status_*.json"))


def only_message(inbox) -> Message:
    return Message.objects.filter(inbox=inbox, message_type="incoming").get()


def outgoing(inbox, wamid: str, wa_id: str, status: str = "sent") -> Message:
    """A reply of ours that WhatsApp knows as `wamid`, to the contact `wa_id`."""
    contact_inbox = ContactInbox.objects.filter(inbox=inbox, source_id=wa_id).first()
    contact_inbox = contact_inbox or ContactInboxFactory(inbox=inbox, source_id=wa_id)
    conversation = Conversation.objects.filter(
        contact_inbox=contact_inbox
    ).first() or ConversationFactory(contact_inbox=contact_inbox)
    return MessageFactory(
        conversation=conversation,
        message_type="outgoing",
        sender_type="user",
        source_id=wamid,
        status=status,
        content="Nossa resposta",
    )


@pytest.mark.parametrize("name", MESSAGE_FIXTURES + STATUS_FIXTURES)
def test_every_payload_is_processed_without_error(process, name):
    event = process(payload(name, suffix="p"))
    assert (event.status, event.errors) == ("processed", [])


class TestMessages:
    def test_text_from_a_new_customer_opens_a_conversation(self, process, inbox):
        process(payload("text.json"))
        message = only_message(inbox)
        assert message.content == "Does it come in another color?"
        assert message.source_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        assert message.created_at == datetime.fromtimestamp(1749416383, UTC)
        contact = message.sender_contact
        assert (contact.name, contact.phone_number) == ("Sheena Nelson", "+16505551234")
        # The contact's wa_id and the message's wamid are two different ids in two places.
        contact_inbox = message.conversation.contact_inbox
        assert contact_inbox.source_id == "16505551234"
        assert message.conversation.status == "open"
        assert message.conversation.last_incoming_at == message.created_at

    def test_a_nul_or_a_lone_surrogate_in_the_text_does_not_lose_the_message(self, process, inbox):
        # JSON may carry both as escapes; PostgreSQL stores neither in text.
        body = payload("text.json").replace(b"Does it come", b"Does\\u0000 it \\ud83d come")
        event = process(body)
        assert (event.status, event.errors) == ("processed", [])
        assert only_message(inbox).content == "Does it \ufffd come in another color?"

    def test_an_integer_timestamp_is_read_too(self, process, inbox):
        process(payload("button_template_int_timestamp.json"))
        message = only_message(inbox)
        assert message.created_at == datetime.fromtimestamp(1669233778, UTC)
        assert message.content == "No"
        assert message.content_attributes["button_payload"] == "No-Button-Payload"

    def test_an_ad_referral_is_kept_on_the_conversation(self, process, inbox):
        process(payload("text_ctwa_referral.json"))
        conversation = only_message(inbox).conversation
        referral = conversation.additional_attributes["referral"]
        assert referral["source_type"] == "ad"
        assert referral["headline"] == "Chat with us"

    def test_a_reply_links_the_quoted_message(self, process, inbox):
        ours = outgoing(inbox, "wamid.xyzxyz==", "972987654321")
        process(payload("text_reply_context.json"))
        reply = Message.objects.get(inbox=inbox, message_type="incoming")
        assert reply.conversation_id == ours.conversation_id
        assert reply.content_attributes["in_reply_to"] == ours.pk
        assert reply.content_attributes["in_reply_to_external_id"] == "wamid.xyzxyz=="
        assert reply.content_attributes["reply_excerpt"]["content"] == "Nossa resposta"

    def test_a_reply_to_a_message_we_never_had_keeps_its_id(self, process, inbox):
        process(payload("text_product_inquiry_context.json"))
        message = only_message(inbox)
        assert "in_reply_to" not in message.content_attributes
        assert message.content_attributes["in_reply_to_external_id"].startswith("wamid.")
        assert message.content_attributes["referred_product"]["product_retailer_id"] == "di9ozbzfi4"

    @pytest.mark.parametrize(
        ("name", "forwarded", "frequently"),
        [
            ("document_forwarded.json", True, False),
            ("text_forwarded_many_times.json", True, True),
            ("text.json", False, False),
        ],
    )
    def test_forwarded_flags(self, process, inbox, name, forwarded, frequently):
        process(payload(name))
        attributes = only_message(inbox).content_attributes
        assert attributes.get("forwarded", False) is forwarded
        assert attributes.get("frequently_forwarded", False) is frequently

    @pytest.mark.parametrize(
        ("name", "file_type", "content", "mime"),
        [
            ("image.json", "image", "Taj Mahal", "image/jpeg"),
            ("audio_voice.json", "audio", "", "audio/ogg; codecs=opus"),
            ("audio_file.json", "audio", "", None),
            ("video.json", "video", None, None),
            ("document_forwarded.json", "file", "caption", "application/pdf"),
            ("sticker.json", "sticker", "", "image/webp"),
        ],
    )
    def test_media_arrives_as_a_pending_attachment(
        self, process, inbox, name, file_type, content, mime
    ):
        process(payload(name))
        message = only_message(inbox)
        attachment = message.attachments.get()
        assert attachment.file_type == file_type
        assert not attachment.file  # downloaded by its own task (test_media.py)
        assert attachment.meta["media_id"]
        if content is not None:
            assert message.content == content
        if mime is not None:
            assert attachment.content_type == mime
        if name == "document_forwarded.json":
            assert attachment.file_name == "filename.pdf"
        if name == "audio_voice.json":
            assert message.content_attributes["voice"] is True

    def test_location(self, process, inbox):
        process(payload("location.json"))
        message = only_message(inbox)
        assert message.content == "Facebook HQ — 1 Hacker Way, Menlo Park, CA 94025"
        assert message.content_attributes["location"]["latitude"] == 37.4611978

    def test_contacts(self, process, inbox):
        process(payload("contacts.json"))
        message = only_message(inbox)
        assert message.content == "Chandler Bing, Monica, Rachel Green"
        cards = message.content_attributes["contacts"]
        assert cards[0]["phones"][0]["phone"] == "+1 555-555-5555"

    @pytest.mark.parametrize(
        ("name", "content", "kind"),
        [
            ("interactive_button_reply.json", None, "button_reply"),
            ("interactive_list_reply.json", "Priority Mail Express", "list_reply"),
        ],
    )
    def test_interactive_replies(self, process, inbox, name, content, kind):
        process(payload(name))
        message = only_message(inbox)
        assert message.content_attributes["interactive"]["type"] == kind
        assert message.content == (content or message.content_attributes["interactive"]["title"])
        assert message.content

    def test_a_template_quick_reply_button(self, process, inbox):
        process(payload("button_template_quick_reply.json"))
        message = only_message(inbox)
        assert (message.content, message.content_attributes["button_payload"]) == (
            "title",
            "callback_data",
        )

    def test_unsupported_is_shown_with_the_reason(self, process, inbox):
        process(payload("unsupported_131051.json"))
        message = only_message(inbox)
        assert message.content_type == "unsupported"
        assert message.content.startswith("Mensagem não suportada")
        assert message.content_attributes["unsupported"]["code"] == 131051

    def test_a_batch_of_two_changes_makes_two_messages(self, process, inbox):
        process(payload("batch_two_changes_one_entry.json", suffix="b"))
        contents = sorted(
            Message.objects.filter(inbox=inbox, message_type="incoming").values_list(
                "content", flat=True
            )
        )
        assert contents == ["MESSAGE_BODY", "MESSAGE_BODY2"]
        assert Conversation.objects.filter(inbox=inbox).count() == 1


class TestOncePerMessage:
    def test_the_same_delivery_twice_makes_one_message(self, process, inbox):
        body = payload("text.json")
        process(body)
        second = process(body)
        assert second.status == "processed"
        assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1

    def test_reprocessing_an_event_changes_nothing(self, process, inbox):
        event = process(payload("text.json"))
        assert services.event_process(event_id=event.pk) == "skipped"
        assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 1

    def test_a_bad_item_is_recorded_and_the_others_go_on(self, process, inbox):
        data = json.loads(payload("batch_two_changes_one_entry.json", suffix="x"))
        data["entry"][0]["changes"][0]["value"]["messages"].insert(
            0, {"type": "text", "text": {"body": "sem remetente"}}
        )
        data["entry"][0]["changes"][1]["value"]["messages"][0]["timestamp"] = "ontem"
        event = process(json.dumps(data).encode())
        assert event.status == "processed"
        assert [e["item"] for e in event.errors] == [
            "entry[0].changes[0].messages[0]",
            "entry[0].changes[1].messages[0]",
        ]
        assert list(
            Message.objects.filter(inbox=inbox, message_type="incoming").values_list(
                "content", flat=True
            )
        ) == ["MESSAGE_BODY"]


class TestContacts:
    def test_brazil_ninth_digit_finds_the_same_person(self, process, inbox):
        process(payload("text.json", wa_id="5511987654321", suffix=1))
        process(payload("text.json", wa_id="551187654321", suffix=2))  # without the ninth digit
        assert Contact.objects.filter(account=inbox.account).count() == 1
        contact = Contact.objects.get(account=inbox.account)
        assert contact.phone_number == "+5511987654321"
        assert ContactInbox.objects.get(inbox=inbox).source_id == "5511987654321"
        assert Message.objects.filter(inbox=inbox, sender_contact=contact).count() == 2
        assert Conversation.objects.filter(inbox=inbox).count() == 1

    def test_a_brazilian_landline_keeps_eight_digits(self, process, inbox):
        process(payload("text.json", wa_id="551132345678"))
        assert ContactInbox.objects.get(inbox=inbox).source_id == "551132345678"

    def test_a_contact_typed_by_a_person_is_found_by_phone(self, process, inbox, admin):
        from conversations import services as conversation_services

        typed = conversation_services.contact_create(
            account=inbox.account, actor=admin, name="Maria", phone_number="(11) 98765-4321"
        )
        process(payload("text.json", wa_id="5511987654321"))
        assert only_message(inbox).sender_contact_id == typed.pk


class TestReactions:
    def test_a_reaction_shows_on_the_message_and_an_empty_one_removes_it(self, process, inbox):
        ours = outgoing(inbox, "wamid.yzxyzx=", "972987654321")
        process(payload("reaction.json"))
        ours.refresh_from_db()
        assert ours.content_attributes["reactions"]["972987654321"]["emoji"] == "😮"
        assert not Message.objects.filter(inbox=inbox, message_type="incoming").exists()
        process(payload("reaction_removed.json"))
        ours.refresh_from_db()
        assert ours.content_attributes["reactions"]["972987654321"]["emoji"] == ""

    def test_an_older_reaction_replayed_late_does_not_win(self, process, inbox):
        ours = outgoing(inbox, "wamid.yzxyzx=", "972987654321")
        newer = json.loads(payload("reaction_removed.json"))
        newer["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "1697044999"
        process(json.dumps(newer).encode())
        process(payload("reaction.json"))  # Meta retried the older one
        ours.refresh_from_db()
        assert ours.content_attributes["reactions"]["972987654321"]["emoji"] == ""

    def test_a_reaction_to_an_unknown_message_is_not_an_error(self, process, inbox):
        event = process(payload("reaction.json"))
        assert (event.status, event.errors) == ("processed", [])


class TestStatuses:
    @pytest.mark.parametrize(
        ("names", "final"),
        [
            (["status_delivered.json"], "delivered"),
            (["status_delivered.json", "status_read.json"], "read"),
            (["status_read.json", "status_delivered.json"], "read"),  # out of order
            (["status_read.json", "status_failed_130472.json"], "read"),  # too late to fail
        ],
    )
    def test_statuses_only_move_forward(self, process, inbox, names, final):
        ours = outgoing(inbox, "wamid.xyzxyz", "972987654321")
        for name in names:
            process(payload(name))
        ours.refresh_from_db()
        assert ours.status == final

    def test_failed_carries_the_code_and_a_portuguese_explanation(self, process, inbox):
        ours = outgoing(inbox, "wamid.xyzxyz", "972987654321")
        process(payload("status_failed_130472.json"))
        ours.refresh_from_db()
        assert ours.status == "failed"
        assert ours.external_error_code == "130472"
        assert "experimento da Meta" in ours.external_error

    def test_a_status_before_its_message_is_applied_when_the_message_gets_its_id(
        self, process, inbox
    ):
        from conversations import services as conversation_services

        process(payload("status_delivered.json"))
        assert EarlyStatus.objects.filter(inbox=inbox, source_id="wamid.xyzxyz").exists()
        ours = outgoing(inbox, None, "972987654321", status="queued")
        conversation_services.message_mark_sent(message_id=ours.pk, source_id="wamid.xyzxyz")
        ours.refresh_from_db()
        assert ours.status == "delivered"
        assert not EarlyStatus.objects.exists()


SENT_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="  # status_sent
HELD_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"  # status_failed_131049
HELD_TITLE = "This message was not delivered to maintain healthy ecosystem engagement."
HELD_DETAILS = (
    "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."
)


def bubble(client, message) -> str:
    """The thread as the agent's browser gets it, cut down to this message's bubble."""
    conversation = message.conversation
    html = client.get(
        f"/app/accounts/{conversation.account_id}/conversations/"
        f"{conversation.display_id}/_messages/"
    ).content.decode()
    start = html.index(f'data-message="{message.pk}"')
    end = html.find("data-message=", start + 1)
    return html[start : end if end != -1 else len(html)]


class TestWhatAPersonSeesOfAStatus:
    """The status fixtures on replies carrying their wamids, as the thread shows them."""

    def test_sent_shows_the_single_tick(self, process, inbox, login, admin):
        ours = outgoing(inbox, SENT_WAMID, "16505551234", status="queued")
        client = login(admin)
        assert 'class="tick tick-queued"' in bubble(client, ours)
        process(payload("status_sent.json"))
        ours.refresh_from_db()
        assert ours.status == "sent"
        shown = bubble(client, ours)
        assert 'class="tick tick-sent"' in shown
        assert 'aria-label="Enviada">✓</span>' in shown
        assert "msg-error" not in shown

    def test_failed_131049_explains_in_portuguese_with_metas_title_under_it(
        self, process, inbox, login, admin
    ):
        ours = outgoing(inbox, HELD_WAMID, "16505551234")
        liked = {"16505551234": {"emoji": "👍", "at": 1751142000}}
        Message.objects.filter(pk=ours.pk).update(content_attributes={"reactions": liked})
        process(payload("status_failed_131049.json"))
        ours.refresh_from_db()
        assert (ours.status, ours.external_error_code) == ("failed", "131049")
        assert ours.external_error.startswith("A Meta segurou esta mensagem")
        assert ours.content_attributes["provider_error"] == {
            "code": "131049",
            "title": HELD_TITLE,
            "details": HELD_DETAILS,
        }
        assert ours.content_attributes["reactions"] == liked  # what was there is kept
        shown = bubble(login(admin), ours)
        assert 'class="tick tick-failed"' in shown
        sentence = shown.index("A Meta segurou esta mensagem")
        meta = shown.index(f"{HELD_TITLE} (código 131049)")
        assert sentence < meta  # Meta's words under ours
        assert HELD_DETAILS in shown
        assert "Enviar modelo" not in shown  # a template would not help here

    def test_failed_131053_minimal_shows_the_title_it_has(self, process, inbox, login, admin):
        ours = outgoing(inbox, "amid.ID", "CUSTOMER_PHONE_NUMBER")
        process(payload("status_failed_131053_minimal.json"))
        ours.refresh_from_db()
        assert (ours.status, ours.external_error_code) == ("failed", "131053")
        assert ours.content_attributes["provider_error"] == {
            "code": "131053",
            "title": "ERROR_TITLE",
        }
        shown = bubble(login(admin), ours)
        assert "O WhatsApp não conseguiu processar a mídia anexada." in shown
        assert "ERROR_TITLE (código 131053)" in shown

    def test_a_failure_that_overtook_the_send_keeps_metas_words_too(self, process, inbox):
        from conversations import services as conversation_services

        process(payload("status_failed_131049.json"))
        ours = outgoing(inbox, None, "16505551234", status="queued")
        conversation_services.message_mark_sent(message_id=ours.pk, source_id=HELD_WAMID)
        ours.refresh_from_db()
        assert (ours.status, ours.external_error_code) == ("failed", "131049")
        assert ours.content_attributes["provider_error"]["title"] == HELD_TITLE


class TestCost:
    def test_a_returning_customers_message_takes_a_fixed_number_of_statements(
        self, stored, inbox, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        """The worker's share of the hot path (bench/whatsapp.py prints it with CPU time):
        claim with the number (one statement), wamid, contact, conversation, lock, read under
        the lock, insert, touch, push, done."""
        first = stored(payload("text.json", suffix=1))
        with django_capture_on_commit_callbacks(execute=True):  # warm: the account's rule set
            services.event_process(event_id=first.pk)
        second = stored(payload("text.json", suffix=2))
        with django_assert_num_queries(13), django_capture_on_commit_callbacks(execute=True):
            services.event_process(event_id=second.pk)
        assert Message.objects.filter(inbox=inbox, message_type="incoming").count() == 2

    def test_a_new_customers_first_message_takes_a_fixed_number_of_statements(
        self,
        stored,
        inbox,
        monkeypatch,
        django_assert_num_queries,
        django_capture_on_commit_callbacks,
    ):
        """claim, number, wamid; in one transaction (a savepoint here, BEGIN/COMMIT in a
        worker): the contact inbox (none), the contact by phone (none) and the two INSERTs in
        their own savepoint, the display id, the conversation, the message, its touch; done.
        No look-up, lock or read of the conversation created in that transaction (it was 21).
        Its intake is queued (conversations' test_request_cost pins the intake's statements)."""
        from nexloo.core import tasks

        first = stored(payload("text.json", suffix=1))
        with django_capture_on_commit_callbacks(execute=True):  # warm: the account's rule set
            services.event_process(event_id=first.pk)
        queued = []
        monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append((task.name, args)))
        new_customer = payload("text.json", suffix=2).replace(b"16505551234", b"16505559999")
        event = stored(new_customer)
        with django_assert_num_queries(12), django_capture_on_commit_callbacks(execute=True):
            services.event_process(event_id=event.pk)
        conversation = Conversation.objects.get(contact_inbox__source_id="16505559999")
        assert conversation.messages.filter(message_type="incoming").count() == 1
        assert conversation.waiting_since is not None
        assert ("conversations.intake", (conversation.pk, inbox.pk)) in queued

    def test_a_status_takes_a_fixed_number_of_statements(
        self, stored, inbox, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        ours = outgoing(inbox, "wamid.xyzxyz", "972987654321")
        event = stored(payload("status_delivered.json"))
        # Warm, as in production: the account's webhook list (cached until a webhook changes).
        webhook_selectors.targets_for(
            account_id=inbox.account_id, inbox_id=inbox.pk, subscription="message_updated"
        )
        with django_assert_num_queries(11), django_capture_on_commit_callbacks(execute=True):
            services.event_process(event_id=event.pk)
        ours.refresh_from_db()
        assert ours.status == "delivered"
