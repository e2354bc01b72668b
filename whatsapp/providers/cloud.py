"""Meta's WhatsApp Cloud API: webhook signatures, sending, media, the number, templates."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings

from conversations.models import Attachment, Message
from whatsapp import graph, parser
from whatsapp.graph import GraphError
from whatsapp.models import WhatsAppChannel

SIGNATURE_HEADER = "x-hub-signature-256"
SIGNATURE_PREFIX = "sha256="
# What each kind of attachment is sent as; captions go on the kinds that take one.
SEND_AS = {"image": "image", "video": "video", "audio": "audio", "sticker": "sticker"}
CAPTIONED = {"image", "video", "document"}


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """HMAC-SHA256 of the raw body with the app secret, as Meta signs, compared in constant
    time. Only `sha256=` is accepted (no SHA-1, no bare digest)."""
    if not header or not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    given = header[len(SIGNATURE_PREFIX) :].strip()
    if len(given) != 64:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


class CloudProvider:
    def verify(self, channel_secret: str, body: bytes, headers: dict[str, str]) -> bool:
        return signature_ok(channel_secret, body, headers.get(SIGNATURE_HEADER))

    def items(self, body: bytes) -> list[parser.Item]:
        return parser.items(parser.load(body))

    # --- sending ---------------------------------------------------------------------------

    def send(self, channel: WhatsAppChannel, message: Message, to: str) -> str:
        token = channel.access_token
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        context = _context(message)
        template = message.content_attributes.get("template_params")
        if template:
            return self._post(channel, token, {**base, **context, **_template(template)})
        attachments = list(message.attachments.all())
        if not attachments:
            text = {"type": "text", "text": {"body": message.content, "preview_url": True}}
            return self._post(channel, token, {**base, **context, **text})
        first_id = None
        caption = message.content
        for attachment in attachments:
            kind = SEND_AS.get(attachment.file_type, "document")
            media = self._media_of(channel, token, attachment)
            if caption and kind in CAPTIONED:
                media["caption"], caption = caption, ""
            if kind == "document":
                media["filename"] = attachment.file_name or "arquivo"
            wamid = self._post(channel, token, {**base, **context, "type": kind, kind: media})
            first_id = first_id or wamid
        if caption:  # audio and stickers take no caption: the text goes after them
            text = {"type": "text", "text": {"body": caption}}
            self._post(channel, token, {**base, **text})
        return first_id

    def _post(self, channel: WhatsAppChannel, token: str, payload: dict[str, Any]) -> str:
        answer = graph.call(
            "POST", f"{channel.phone_number_id}/messages", token=token, json=payload
        )
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphError("bad_answer", "no message id in the answer") from exc

    def _media_of(
        self, channel: WhatsAppChannel, token: str, attachment: Attachment
    ) -> dict[str, Any]:
        """A stored file is uploaded (`id`); an attachment that is only a public address (an API
        client's `external_url`) goes as a `link` that Meta fetches itself."""
        if attachment.file:
            return {"id": self._upload(channel, token, attachment)}
        if attachment.external_url:
            return {"link": attachment.external_url}
        raise GraphError("no_file", f"attachment {attachment.pk} has no file nor address")

    def _upload(self, channel: WhatsAppChannel, token: str, attachment: Attachment) -> str:
        """Uploads the stored file to the Graph API (media ids live 30 days there); Nexloo's
        own links are not public, so Meta cannot fetch the file from us."""
        with attachment.file.open("rb") as handle:
            content = handle.read()
        answer = graph.call(
            "POST",
            f"{channel.phone_number_id}/media",
            token=token,
            data={"messaging_product": "whatsapp", "type": attachment.content_type},
            files={
                "file": (
                    attachment.file_name or "arquivo",
                    content,
                    attachment.content_type or "application/octet-stream",
                )
            },
        )
        if not answer.get("id"):
            raise GraphError("bad_answer", "no media id in the answer")
        return str(answer["id"])

    # --- media, the number, templates ------------------------------------------------------

    def media(self, channel: WhatsAppChannel, media_id: str) -> tuple[bytes, str]:
        token = channel.access_token
        info = graph.call("GET", media_id, token=token)
        limit = settings.WHATSAPP_MEDIA_MAX_BYTES
        if int(info.get("file_size") or 0) > limit:
            raise GraphError("too_large", f"{info.get('file_size')} bytes")
        if not info.get("url"):
            raise GraphError("bad_answer", "no media url")
        content, served = graph.download(
            info["url"], token=token, max_bytes=limit, expected_sha256=info.get("sha256") or ""
        )
        declared = base_type(info.get("mime_type") or "")
        served = base_type(served)
        if declared and served and served != declared:
            raise GraphError("bad_type", f"declared {declared}, served {served}")
        return content, declared or served or "application/octet-stream"

    def check(self, channel: WhatsAppChannel) -> dict[str, Any]:
        return graph.call(
            "GET",
            channel.phone_number_id,
            token=channel.access_token,
            params={"fields": "display_phone_number,verified_name,quality_rating"},
        )

    def templates(self, channel: WhatsAppChannel) -> list[dict[str, Any]]:
        token = channel.access_token
        found: list[dict[str, Any]] = []
        answer = graph.call(
            "GET",
            f"{channel.business_account_id}/message_templates",
            token=token,
            params={"fields": "name,language,status,category,components", "limit": 100},
        )
        for _page in range(20):
            found.extend(answer.get("data") or [])
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if not (answer.get("paging") or {}).get("next") or not after:
                break
            answer = graph.call(
                "GET",
                f"{channel.business_account_id}/message_templates",
                token=token,
                params={
                    "fields": "name,language,status,category,components",
                    "limit": 100,
                    "after": after,
                },
            )
        return found


def _context(message: Message) -> dict[str, Any]:
    """A reply quotes the message it answers (`context.message_id`, its wamid)."""
    attributes = message.content_attributes or {}
    quoted = attributes.get("in_reply_to_external_id")
    if not quoted and attributes.get("in_reply_to"):
        quoted = (
            Message.objects.filter(
                conversation_id=message.conversation_id, pk=attributes["in_reply_to"]
            )
            .values_list("source_id", flat=True)
            .first()
        )
    return {"context": {"message_id": quoted}} if quoted else {}


def _template(template: dict[str, Any]) -> dict[str, Any]:
    """Numbered parameters ({{1}}) go in order; named ones ({{first_name}}) by name."""
    params = {str(k): str(v) for k, v in (template.get("processed_params") or {}).items()}
    numbered = sorted((k for k in params if k.isdigit()), key=int)
    named = sorted(k for k in params if not k.isdigit())
    parameters = [{"type": "text", "text": params[k]} for k in numbered] + [
        {"type": "text", "parameter_name": k, "text": params[k]} for k in named
    ]
    body: dict[str, Any] = {"name": template["name"], "language": {"code": template["language"]}}
    if parameters:
        body["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": body}
