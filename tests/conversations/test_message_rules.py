"""Limits on what people and clients may send, and the read receipt for one's own tabs."""

from __future__ import annotations

import pytest

from conversations import services
from conversations.services import NewAttachment
from nexloo.core.errors import ValidationError
from tests.factories import ContactInboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(account, inbox, agent):
    InboxMemberFactory(inbox=inbox, account_user=agent)
    return services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation


def test_attachments_over_the_limit_are_refused(account, agent, conversation, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024
    big = NewAttachment(file_type="file", file_name="grande.pdf", content=b"x" * 1025)
    with pytest.raises(ValidationError) as exc:
        services.message_send(
            account=account, actor=agent, conversation=conversation, content="", attachments=(big,)
        )
    assert "grande.pdf" in str(exc.value.message_dict["attachments"])
    assert not conversation.messages.filter(message_type="outgoing").exists()


def test_clients_cannot_set_reserved_attributes(account, agent, conversation):
    message = services.message_send(
        account=account,
        actor=agent,
        conversation=conversation,
        content="Oi",
        content_attributes={"automatic": "out_of_office", "deleted": True, "in_reply_to": 7},
    )
    assert message.content_attributes == {"in_reply_to": 7}


def test_reading_tells_only_the_readers_own_tabs(
    account, admin, agent, conversation, recorded_events, on_commit
):
    with on_commit():
        services.conversation_mark_read(account=account, actor=agent, conversation=conversation)
    (event,) = [e for e in recorded_events if e.name == "conversation.read"]
    assert event.user_ids == frozenset({agent.user_id}) and not event.admins
    assert event.inbox_id is None

    from conversations.realtime import recipients

    assert recipients(event) == {agent.user_id}


@pytest.mark.count_cache
def test_counts_are_cached_until_the_next_event(
    account, admin, inbox, conversation, django_assert_num_queries, on_commit
):
    from conversations.selectors import ConversationFilter, conversation_counts

    f = ConversationFilter(assignee_type="all")
    assert conversation_counts(membership=admin, f=f)["all_count"] == 1
    with django_assert_num_queries(0):
        assert conversation_counts(membership=admin, f=f)["all_count"] == 1
    with on_commit():  # a new conversation: its event makes the next count fresh
        services.conversation_open_for(contact_inbox=ContactInboxFactory(inbox=inbox))
    assert conversation_counts(membership=admin, f=f)["all_count"] == 2


class TestDeliveryOnce:
    @pytest.fixture
    def queued(self, account, admin, whatsapp_inbox, whatsapp_backend):
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
        ).conversation
        return services.message_send(
            account=account, actor=admin, conversation=conversation, content="Olá!"
        )

    def test_a_redelivered_task_does_not_send_twice(self, queued, whatsapp_backend):
        from conversations.tasks import deliver_message

        assert deliver_message.apply(args=[queued.pk]).get() == "sent"
        assert deliver_message.apply(args=[queued.pk]).get() == "skipped"
        assert whatsapp_backend.sent == [queued.pk]

    def test_a_fresh_claim_is_respected_and_a_stale_one_taken_over(self, queued, whatsapp_backend):
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from conversations.tasks import deliver_message

        with time_machine.travel(timezone.now(), tick=False) as clock:
            # Another worker claimed it and is (or was) sending it.
            assert services.message_claim_delivery(message_id=queued.pk) is not None
            assert deliver_message.apply(args=[queued.pk]).get() == "skipped"
            clock.shift(timedelta(minutes=6))  # that worker died without a word
            assert deliver_message.apply(args=[queued.pk]).get() == "sent"
        assert whatsapp_backend.sent == [queued.pk]

    def test_a_released_claim_can_be_taken_at_once(self, queued):
        # What the task does on a transient error before Celery retries it.
        assert services.message_claim_delivery(message_id=queued.pk) is not None
        assert services.message_claim_delivery(message_id=queued.pk) is None
        services.message_release_delivery(message_id=queued.pk)
        assert services.message_claim_delivery(message_id=queued.pk) is not None


class TestAttachmentLinks:
    @pytest.fixture
    def sent(self, account, admin, conversation, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path

        def _send(name, content, content_type):
            message = services.message_send(
                account=account,
                actor=admin,
                conversation=conversation,
                content="",
                attachments=(
                    NewAttachment(
                        file_type="file", file_name=name, content=content, content_type=content_type
                    ),
                ),
            )
            return message.attachments.get()

        return _send

    def test_the_link_serves_the_file_safely(self, login, admin, sent):
        from conversations.files import attachment_path

        client = login(admin)
        page = sent("pagina.html", b"<script>alert(1)</script>", "text/html")
        response = client.get(attachment_path(page))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        image = sent("foto.png", b"\x89PNG fake", "image/png")
        assert client.get(attachment_path(image))["Content-Type"] == "image/png"

    def test_only_who_sees_the_conversation_gets_the_file(
        self, client, login, sent, account, admin, outsider, api_for
    ):
        from conversations.files import attachment_path
        from tests.factories import AccountUserFactory

        link = attachment_path(sent("a.pdf", b"%PDF", "application/pdf"))
        assert client.get(link).status_code == 404  # no session, no token
        assert login(outsider).get(link).status_code == 404  # another account's administrator
        outside_the_inbox = AccountUserFactory(account=account)
        assert login(outside_the_inbox).get(link).status_code == 404
        assert api_for(outside_the_inbox).get(link).status_code == 404
        assert api_for(admin).get(link).status_code == 200  # the API's token works too
        assert login(admin).get(link).status_code == 200

    def test_the_old_id_signed_link_no_longer_works(self, client, login, admin, sent):
        from django.core import signing

        attachment = sent("a.pdf", b"%PDF", "application/pdf")
        forged = signing.dumps(attachment.pk, salt="conversations.attachment")
        assert client.get(f"/attachments/{forged}/").status_code == 404
        assert client.get(f"/attachments/shared/{forged}/").status_code == 404
        assert login(admin).get(f"/attachments/{forged}/").status_code == 404

    def test_shared_links_are_short_lived_and_bound_to_their_attachment(self, client, sent):
        from datetime import timedelta

        import time_machine
        from django.core import signing
        from django.utils import timezone

        from conversations.files import SHARED_SALT, shared_attachment_url

        attachment = sent("a.pdf", b"%PDF", "application/pdf")
        other = sent("b.pdf", b"%PDF-2", "application/pdf")
        graph = shared_attachment_url(attachment, purpose="graph").removeprefix("http://testserver")
        transcript = shared_attachment_url(attachment, purpose="transcript").removeprefix(
            "http://testserver"
        )
        response = client.get(graph)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF"
        assert client.get(graph[:-3] + "xx/").status_code == 404  # tampered
        # Swapping the id inside the signed value breaks the signature.
        token = graph.split("/")[-2]
        swapped = token.replace(
            signing.b64_encode(
                signing.JSONSerializer().dumps({"a": attachment.pk, "p": "graph"})
            ).decode(),
            signing.b64_encode(
                signing.JSONSerializer().dumps({"a": other.pk, "p": "graph"})
            ).decode(),
        )
        assert client.get(f"/attachments/shared/{swapped}/").status_code == 404
        # A value signed for no known purpose opens nothing.
        unknown = signing.TimestampSigner(salt=SHARED_SALT).sign_object({"a": other.pk, "p": "x"})
        assert client.get(f"/attachments/shared/{unknown}/").status_code == 404
        with time_machine.travel(timezone.now() + timedelta(minutes=31)):
            assert client.get(graph).status_code == 404  # Meta's link: 30 minutes
            assert client.get(transcript).status_code == 200
        with time_machine.travel(timezone.now() + timedelta(hours=25)):
            assert client.get(transcript).status_code == 404

    def test_the_api_gives_an_absolute_link(self, admin_api, account, conversation, sent):
        attachment = sent("a.pdf", b"%PDF", "application/pdf")
        body = admin_api.get(
            f"/api/v1/accounts/{account.pk}/conversations/{conversation.display_id}/messages"
        ).json()
        (data_url,) = [a["data_url"] for m in body["payload"] for a in m["attachments"]]
        assert (
            data_url == f"http://testserver/app/accounts/{account.pk}/attachments/{attachment.pk}/"
        )
        assert attachment.file_name == "a.pdf"
        assert admin_api.get(data_url).status_code == 200


def test_the_transcript_links_its_files_with_expiring_links(
    client, account, admin, conversation, settings, tmp_path
):
    import re

    from django.core import mail

    from automations.tasks import send_transcript

    settings.MEDIA_ROOT = tmp_path
    services.message_send(
        account=account,
        actor=admin,
        conversation=conversation,
        content="Segue o orçamento",
        attachments=(
            NewAttachment(
                file_type="file",
                file_name="orc.pdf",
                content=b"%PDF",
                content_type="application/pdf",
            ),
        ),
    )
    send_transcript(conversation.pk, ["gerente@empresa.com.br"])
    (link,) = re.findall(r"http://testserver(/attachments/shared/\S+/)", mail.outbox[-1].body)
    assert client.get(link).status_code == 200  # no session: the link itself is the permission
