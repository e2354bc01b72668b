"""The entry point for channels: a message from a contact arrives."""

from __future__ import annotations

from conversations.models import Message
from conversations.services.contacts import contact_for_source
from conversations.services.conversations import conversation_open_for
from conversations.services.messages import IncomingMessage, message_receive
from inboxes.models import Inbox


def inbound_message(
    *,
    inbox: Inbox,
    source_id: str,
    message: IncomingMessage,
    contact_name: str = "",
    phone_number: str = "",
) -> tuple[Message, bool]:
    """Finds or creates the contact (by the channel's id) and their open conversation, and
    stores the message once. Returns the message and whether it is new; a redelivered provider
    id changes nothing."""
    if message.source_id:
        existing = Message.objects.filter(inbox=inbox, source_id=message.source_id).first()
        if existing is not None:
            return existing, False
    contact_inbox = contact_for_source(
        inbox=inbox, source_id=source_id, name=contact_name, phone_number=phone_number
    )
    conversation = conversation_open_for(contact_inbox=contact_inbox).conversation
    # A snoozed conversation is woken by message_receive, in the message's transaction.
    return message_receive(conversation=conversation, incoming=message)
