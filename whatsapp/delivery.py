"""The delivery backend of WhatsApp inboxes (registered in apps.py): outgoing messages go out
through the number's provider; the 24-hour reply window and the approved templates tell the
composer what may be sent."""

from __future__ import annotations

from datetime import timedelta

from conversations import delivery
from conversations.models import Message
from conversations.services.common import account_language
from inboxes.models import Inbox
from nexloo.core.crypto import DecryptionError
from whatsapp import errors
from whatsapp.graph import GraphError
from whatsapp.models import MessageTemplate, WhatsAppChannel
from whatsapp.providers import provider_for


class WhatsAppBackend:
    # WhatsApp accepts free text only within 24 hours of the customer's last message.
    reply_window = timedelta(hours=24)
    # A message refused for that reason: the thread offers the template picker.
    template_error_codes = frozenset({errors.WINDOW_CLOSED})

    def send(self, message: Message) -> delivery.Sent:
        channel = WhatsAppChannel.objects.filter(inbox_id=message.inbox_id).first()
        if channel is None:
            raise delivery.PermanentDeliveryError(
                self._explain(message, "no_channel"), code="no_channel"
            )
        to = message.conversation.contact_inbox.source_id
        try:
            wamid = provider_for(channel.provider).send(channel, message, to)
        except DecryptionError as exc:
            raise delivery.PermanentDeliveryError(
                self._explain(message, errors.TOKEN_INVALID), code="credentials"
            ) from exc
        except GraphError as exc:
            text = self._explain(message, exc.code, exc.described)
            if exc.transient:
                raise delivery.TransientDeliveryError(text) from exc
            if exc.code == errors.TOKEN_INVALID:
                from whatsapp.services import channel_auth_failed

                channel_auth_failed(channel_id=channel.pk, error=text)
            raise delivery.PermanentDeliveryError(text, code=exc.code, detail=exc.detail()) from exc
        return delivery.Sent(source_id=wamid)

    def _explain(self, message: Message, code: str, title: str = "") -> str:
        with account_language(message.account_id):
            return errors.explain(code, title)

    def templates(self, inbox: Inbox) -> list[delivery.MessageTemplate]:
        rows = MessageTemplate.objects.filter(channel__inbox=inbox, status="APPROVED")
        return [
            delivery.MessageTemplate.with_parameters_of(
                name=row.name,
                language=row.language,
                body=row.text_of("BODY"),
                category=row.category,
                header=row.text_of("HEADER"),
                footer=row.text_of("FOOTER"),
            )
            for row in rows
        ]
