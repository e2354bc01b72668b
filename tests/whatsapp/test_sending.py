"""Replies leave through the outbound queue to the Graph API (the local stand-in): text, replies,
media, templates; transient errors are retried, permanent ones explained in Portuguese; a
channel that cannot deliver fails closed; the 24-hour window."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from conversations import services as conversation_services
from conversations.models import Message
from conversations.services import NewAttachment
from tests.factories import ContactInboxFactory, InboxFactory
from tests.whatsapp.conftest import PHONE_NUMBER_ID, TOKEN, payload
from whatsapp import services
from whatsapp.models import WhatsAppChannel

pytestmark = pytest.mark.django_db

TEMPLATES = [
    {
        "name": "retomar_atendimento",
        "language": "pt_BR",
        "status": "APPROVED",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Olá {{1}}! Podemos continuar o atendimento sobre {{2}}?"}
        ],
    },
    {
        "name": "promocao",
        "language": "pt_BR",
        "status": "REJECTED",
        "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Promoção!"}],
    },
]


@pytest.fixture
def incoming(process, inbox):
    """A customer wrote (text.json): the conversation is open, the window too."""
    process(payload("text.json", timestamp=int(time.time()) - 60))
    return Message.objects.get(inbox=inbox, message_type="incoming")


def reply(account, admin, conversation, text="Temos sim, em azul e verde.", **kwargs):
    return conversation_services.message_send(
        account=account, actor=admin, conversation=conversation, content=text, **kwargs
    )


class TestSent:
    def test_a_reply_goes_out_with_the_bearer_token_and_takes_the_wamid(
        self, graph, account, admin, incoming, on_commit
    ):
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        assert graph.sent == [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "text",
                "text": {"body": "Temos sim, em azul e verde.", "preview_url": True},
            }
        ]
        request = graph.requests[-1]
        assert request.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        message.refresh_from_db()
        assert (message.status, message.source_id) == ("sent", "wamid.STANDIN000001")

    def test_a_reply_to_a_message_quotes_it(self, graph, account, admin, incoming, on_commit):
        with on_commit():
            reply(
                account,
                admin,
                incoming.conversation,
                content_attributes={"in_reply_to": incoming.pk},
            )
        assert graph.sent[0]["context"] == {"message_id": incoming.source_id}

    def test_an_image_is_uploaded_and_sent_with_its_caption(
        self, graph, account, admin, incoming, on_commit
    ):
        with on_commit():
            message = reply(
                account,
                admin,
                incoming.conversation,
                text="Veja a cor",
                attachments=[
                    NewAttachment(
                        file_type="image",
                        file_name="azul.png",
                        content=b"\x89PNG fake",
                        content_type="image/png",
                    )
                ],
            )
        assert len(graph.uploads) == 1
        assert b"\x89PNG fake" in graph.uploads[0].body
        assert graph.sent[0]["type"] == "image"
        assert graph.sent[0]["image"] == {"id": "upload-1", "caption": "Veja a cor"}
        message.refresh_from_db()
        assert message.status == "sent"

    def test_a_document_keeps_its_file_name(self, graph, account, admin, incoming, on_commit):
        with on_commit():
            reply(
                account,
                admin,
                incoming.conversation,
                text="",
                attachments=[
                    NewAttachment(
                        file_type="file",
                        file_name="orcamento.pdf",
                        content=b"%PDF-1.4",
                        content_type="application/pdf",
                    )
                ],
            )
        assert graph.sent[0]["type"] == "document"
        assert graph.sent[0]["document"]["filename"] == "orcamento.pdf"

    def test_an_audio_is_uploaded_and_its_text_follows_it(
        self, graph, account, admin, incoming, on_commit
    ):
        with on_commit():
            message = reply(
                account,
                admin,
                incoming.conversation,
                text="Ouça o recado",
                attachments=[
                    NewAttachment(
                        file_type="audio",
                        file_name="recado.ogg",
                        content=b"OggS fake voice",
                        content_type="audio/ogg",
                    )
                ],
            )
        assert len(graph.uploads) == 1
        upload = graph.uploads[0]
        assert b"OggS fake voice" in upload.body
        assert b'name="type"\r\n\r\naudio/ogg' in upload.body
        assert upload.headers["Authorization"] == f"Bearer {TOKEN}"
        # WhatsApp takes no caption on audio: the text goes as a message of its own, after it.
        assert [(m["type"], m.get("audio") or m.get("text")) for m in graph.sent] == [
            ("audio", {"id": "upload-1"}),
            ("text", {"body": "Ouça o recado"}),
        ]
        message.refresh_from_db()
        assert (message.status, message.source_id) == ("sent", "wamid.STANDIN000002")

    def test_a_video_is_uploaded_and_sent_with_its_caption(
        self, graph, account, admin, incoming, on_commit
    ):
        with on_commit():
            message = reply(
                account,
                admin,
                incoming.conversation,
                text="O passo a passo",
                attachments=[
                    NewAttachment(
                        file_type="video",
                        file_name="passo.mp4",
                        content=b"\x00\x00\x00\x18ftypmp42 fake",
                        content_type="video/mp4",
                    )
                ],
            )
        assert len(graph.uploads) == 1
        assert b"ftypmp42 fake" in graph.uploads[0].body
        assert graph.sent == [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "video",
                "video": {"id": "upload-1", "caption": "O passo a passo"},
            }
        ]
        message.refresh_from_db()
        assert message.status == "sent"

    @pytest.mark.parametrize(
        ("file_type", "kind", "expected"),
        [
            ("image", "image", {"caption": "Veja a cor"}),
            ("file", "document", {"caption": "Veja a cor", "filename": "catalogo.pdf"}),
        ],
    )
    def test_an_attachment_that_is_only_an_address_goes_as_a_link(
        self, graph, account, admin, incoming, on_commit, file_type, kind, expected
    ):
        url = f"https://cdn.example.com/{file_type}/catalogo.pdf"
        with on_commit():
            message = reply(
                account,
                admin,
                incoming.conversation,
                text="Veja a cor",
                attachments=[
                    NewAttachment(file_type=file_type, file_name="catalogo.pdf", external_url=url)
                ],
            )
        assert graph.uploads == []  # Meta fetches it from there itself
        assert graph.sent[0]["type"] == kind
        assert graph.sent[0][kind] == {"link": url, **expected}
        message.refresh_from_db()
        assert message.status == "sent"

    def test_an_attachment_with_neither_file_nor_address_fails_saying_so(
        self, graph, account, admin, incoming, on_commit
    ):
        with on_commit():
            message = reply(
                account,
                admin,
                incoming.conversation,
                attachments=[NewAttachment(file_type="image", file_name="sumiu.png")],
            )
        message.refresh_from_db()
        assert (message.status, message.external_error_code) == ("failed", "no_file")
        assert message.external_error == "O anexo não tem arquivo para enviar."
        assert graph.sent == []


@pytest.fixture
def retries_run_at_once():
    """Eager tasks re-run their retries at once when errors do not propagate (as a worker
    would, minus the backoff)."""
    from nexloo.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.mark.usefixtures("retries_run_at_once")
class TestErrors:
    @pytest.mark.parametrize(
        ("status", "code"),
        [(500, 2), (400, 130429), (400, 131056), (503, 131016)],
    )
    def test_transient_errors_are_retried(
        self, graph, account, admin, incoming, on_commit, status, code
    ):
        graph.fail_next(status=status, code=code, title="try later", path="/messages")
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        message.refresh_from_db()
        assert message.status == "sent"
        assert len([r for r in graph.requests if r.path.endswith("/messages")]) == 2

    def test_the_network_failing_is_retried(self, settings, account, admin, incoming, on_commit):
        settings.WHATSAPP_GRAPH_URL = "http://127.0.0.1:9"  # nothing listens there
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        message.refresh_from_db()
        # Every retry failed too (eager retries run at once): failed in the end, saying why.
        assert message.status == "failed"
        assert message.external_error_code == "retries"
        assert message.external_error == "Não foi possível falar com o WhatsApp."

    @pytest.mark.parametrize(
        ("code", "words"),
        [
            (131047, "Mais de 24 horas"),
            (131026, "não conseguiu entregar"),
            (131049, "Meta segurou"),
        ],
    )
    def test_permanent_errors_fail_with_the_code_and_an_explanation(
        self, graph, account, admin, incoming, on_commit, code, words
    ):
        graph.fail_next(code=code, title="Meta's title", path="/messages")
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        message.refresh_from_db()
        assert message.status == "failed"
        assert message.external_error_code == str(code)
        assert words in message.external_error
        assert len(graph.sent) == 1  # not retried

    def test_metas_title_and_details_are_kept_on_the_failed_message(
        self, graph, account, admin, incoming, on_commit
    ):
        graph.fail_next(
            code=131047,
            title="Re-engagement message",
            details="Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number.",
            path="/messages",
        )
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        message.refresh_from_db()
        assert message.content_attributes["provider_error"] == {
            "code": "131047",
            "title": "Re-engagement message",
            "details": "Message failed to send because more than 24 hours have passed since "
            "the customer last replied to this number.",
        }
        assert message.external_error.startswith("Mais de 24 horas")

    def test_an_expired_token_fails_and_tells_the_administrators(
        self, graph, channel, account, admin, incoming, on_commit
    ):
        graph.token = "a-token-meta-no-longer-knows"
        with on_commit():
            message = reply(account, admin, incoming.conversation)
        message.refresh_from_db()
        assert (message.status, message.external_error_code) == ("failed", "190")
        assert "administrador" in message.external_error
        channel.refresh_from_db()
        assert "administrador" in channel.auth_error


class TestFailClosed:
    def test_a_whatsapp_inbox_without_a_number_fails(self, account, on_commit):
        inbox = InboxFactory(account=account, channel_type="whatsapp_cloud")
        conversation = conversation_services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        with on_commit():  # an automatic message (the window binds people, not the system)
            message = reply(account, None, conversation)
        message.refresh_from_db()
        assert (message.status, message.external_error_code) == ("failed", "no_channel")

    def test_a_channel_without_a_backend_fails_never_sent(self, account, admin, on_commit):
        inbox = InboxFactory(account=account, channel_type="telegram")  # nothing delivers it
        conversation = conversation_services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        with on_commit():
            message = reply(account, admin, conversation)
        message.refresh_from_db()
        assert (message.status, message.external_error_code) == ("failed", "no_backend")
        assert message.external_error == "O canal desta caixa de entrada não envia mensagens."

    def test_the_api_channel_hands_replies_to_its_subscribers(
        self, account, admin, on_commit, recorded_events
    ):
        inbox = InboxFactory(account=account, channel_type="api")
        conversation = conversation_services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        with on_commit():
            message = reply(account, admin, conversation)
        message.refresh_from_db()
        assert message.status == "sent"
        assert any(
            e.name == "message.created" and e.data["id"] == message.pk for e in recorded_events
        )


def test_the_greeting_goes_out_through_the_same_path(graph, channel, process, on_commit):
    inbox = channel.inbox
    inbox.greeting_enabled, inbox.greeting_message = True, "Olá! Já vamos te atender."
    inbox.save()
    with on_commit():
        process(payload("text.json", timestamp=int(time.time())))
    assert [m["text"]["body"] for m in graph.sent] == ["Olá! Já vamos te atender."]
    greeting = Message.objects.get(inbox=inbox, content_attributes__automatic="greeting")
    assert (greeting.status, greeting.source_id) == ("sent", "wamid.STANDIN000001")


class TestWindow:
    def test_after_24_hours_free_text_is_refused_and_a_template_goes_out(
        self, graph, channel, account, admin, incoming, on_commit
    ):
        graph.templates = TEMPLATES
        assert services.templates_sync(channel_id=channel.pk) == 2
        later = incoming.created_at + timedelta(hours=24, minutes=1)
        with time_machine.travel(later, tick=False):
            with pytest.raises(ValidationError) as refused:
                reply(account, admin, incoming.conversation)
            assert "24 horas" in str(refused.value)
            with on_commit():
                message = conversation_services.message_send(
                    account=account,
                    actor=admin,
                    conversation=incoming.conversation,
                    content="",
                    template_params={
                        "name": "retomar_atendimento",
                        "language": "pt_BR",
                        "processed_params": {"1": "Sheena", "2": "as cores"},
                    },
                )
        assert message.content == "Olá Sheena! Podemos continuar o atendimento sobre as cores?"
        assert graph.sent[0]["type"] == "template"
        assert graph.sent[0]["template"] == {
            "name": "retomar_atendimento",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Sheena"},
                        {"type": "text", "text": "as cores"},
                    ],
                }
            ],
        }
        message.refresh_from_db()
        assert message.status == "sent"

    def test_within_the_window_free_text_is_fine(self, graph, account, admin, incoming):
        with time_machine.travel(incoming.created_at + timedelta(hours=23), tick=False):
            assert reply(account, admin, incoming.conversation).status == "queued"

    def test_a_rejected_template_or_missing_parameters_are_refused(
        self, graph, channel, account, admin, incoming
    ):
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        for params in (
            {"name": "promocao", "language": "pt_BR", "processed_params": {}},
            {"name": "retomar_atendimento", "language": "pt_BR", "processed_params": {"1": "A"}},
        ):
            with pytest.raises(ValidationError) as refused:
                conversation_services.message_send(
                    account=account,
                    actor=admin,
                    conversation=incoming.conversation,
                    content="",
                    template_params=params,
                )
            assert "template_params" in refused.value.message_dict

    @pytest.mark.parametrize("nul_in", ["1", "2"])
    def test_a_nul_character_in_a_template_parameter_is_refused(
        self, graph, channel, account, admin, incoming, nul_in
    ):
        """PostgreSQL cannot store NUL: refused with a message, nothing stored nor sent."""
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        processed = {"1": "Sheena", "2": "as cores"}
        processed[nul_in] = "as\x00cores"
        later = incoming.created_at + timedelta(hours=24, minutes=1)
        with time_machine.travel(later, tick=False), pytest.raises(ValidationError) as refused:
            conversation_services.message_send(
                account=account,
                actor=admin,
                conversation=incoming.conversation,
                content="",
                template_params={
                    "name": "retomar_atendimento",
                    "language": "pt_BR",
                    "processed_params": processed,
                },
            )
        assert refused.value.message_dict["template_params"] == [
            f"{{{{{nul_in}}}}}: não pode conter caracteres NUL."
        ]
        assert not Message.objects.filter(message_type="outgoing").exists()
        assert graph.sent == []

    def test_the_api_refuses_nul_in_template_parameters_and_content(
        self, graph, channel, account, admin_api, incoming
    ):
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        url = (
            f"/api/v1/accounts/{account.pk}/conversations/"
            f"{incoming.conversation.display_id}/messages"
        )
        template = {
            "name": "retomar_atendimento",
            "language": "pt_BR",
            "processed_params": {"1": "She\u0000ena", "2": "as cores"},
        }
        response = admin_api.post(url, {"template_params": template}, format="json")
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["field"] == "template_params"
        assert "NUL" in response.json()["message"]
        response = admin_api.post(url, {"content": "Oi\u0000"}, format="json")
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["field"] == "content"
        assert not Message.objects.filter(message_type="outgoing").exists()
        assert graph.sent == []

    def test_templates_sync_replaces_what_meta_no_longer_has(self, graph, channel):
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        graph.templates = TEMPLATES[:1]
        services.templates_sync(channel_id=channel.pk)
        assert list(channel.templates.values_list("name", flat=True)) == ["retomar_atendimento"]
        assert WhatsAppChannel.objects.get(pk=channel.pk).templates_synced_at is not None
