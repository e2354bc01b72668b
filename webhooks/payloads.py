"""What a webhook posts: Chatwoot's `webhook_data` of the object, with `event`, and Nexloo's
extra fields (those of the realtime frame the payload starts from, which it never changes).

- Messages (`message_created`, `message_updated`): only incoming, outgoing and template ones
  (Chatwoot's `webhook_sendable?`: never an activity line); `message_type` by name,
  `created_at` in ISO 8601, `sender` as Chatwoot's webhook sender, `inbox` and `account` as
  `{id, name}`, and the conversation block Chatwoot embeds (its push data).
- Conversations: that block, with the event's `changed_attributes`, `inbox` and `account`.
- Contacts: Chatwoot's contact webhook data (`avatar`, `account`).

Built once per event (not per webhook), from the database as it is once the event's commit is
done: at most five queries for a message, four for a conversation, one for a contact, whatever
the number of labels, attachments or webhooks. None: nothing to send (an activity line, or the
object is gone by then).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conversations import delivery
from conversations import events as conversation_events
from conversations.models import Contact, Conversation, Message, MessageType
from inboxes.api.serializers import CHATWOOT_CHANNEL
from nexloo.core import events
from webhooks import selectors

# Chatwoot's `webhook_sendable?`: incoming? || outgoing? || template?
SENDABLE = {MessageType.INCOMING, MessageType.OUTGOING, MessageType.TEMPLATE}
MESSAGE_TYPE_NAMES = {code: name for name, code in conversation_events.MESSAGE_TYPE_CODES.items()}


def iso(value: datetime | None) -> str | None:
    """A time as Rails writes it in JSON: ISO 8601, UTC, milliseconds (`…T19:11:08.856Z`)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def brief(obj) -> dict[str, Any]:
    """Chatwoot's `account.webhook_data` and `inbox.webhook_data`."""
    return {"id": obj.pk, "name": obj.name}


def contact_webhook_data(contact: Contact, account) -> dict[str, Any]:
    return {
        **conversation_events.contact_data(contact),
        "avatar": "",
        "thumbnail": "",
        "account": brief(account),
    }


def conversation_block(conversation: Conversation, messages: list[dict]) -> dict[str, Any]:
    """Chatwoot's `conversation.webhook_data` (its push data): `id` is the display id, the
    timestamps are Unix seconds (`updated_at` with its fraction), as Chatwoot has them."""
    contact_inbox = conversation.contact_inbox
    return {
        **conversation_events.conversation_data(conversation),
        "display_id": conversation.display_id,
        "channel": CHATWOOT_CHANNEL.get(
            conversation.inbox.channel_type, conversation.inbox.channel_type
        ),
        "can_reply": delivery.can_reply(conversation),
        "contact_inbox": {
            "id": contact_inbox.pk,
            "contact_id": contact_inbox.contact_id,
            "inbox_id": contact_inbox.inbox_id,
            "source_id": contact_inbox.source_id,
            "created_at": iso(contact_inbox.created_at),
            "hmac_verified": False,
        },
        "labels": [label.title for label in conversation.labels.all()],
        "messages": messages,
        "unread_count": getattr(conversation, "unread_count", 0),
        "first_reply_created_at": iso(conversation.first_reply_at),
        "snoozed_until": iso(conversation.snoozed_until),
        "contact_last_seen_at": seconds(conversation.contact_last_seen_at),
        "timestamp": seconds(conversation.last_activity_at),
        "updated_at": conversation.updated_at.timestamp(),
    }


def _messages(conversation: Conversation, *, known: dict | None = None) -> list[dict]:
    """Chatwoot's `messages` of the block: the last chat message, as its push data. `known` is
    the realtime frame of a message at hand, used when it is that message (no query)."""
    if known is not None and conversation.last_non_activity_id == known["id"]:
        return [known]
    message = selectors.payload_last_chat_message(conversation)
    if message is None:
        return []
    message.conversation = conversation
    return [conversation_events.message_data(message)]


def _sender(message: Message, conversation: Conversation) -> dict[str, Any] | None:
    """Chatwoot's `sender.webhook_data`: a contact's with its account, a user's with e-mail."""
    if message.sender_type == "contact" and message.sender_contact is not None:
        return contact_webhook_data(message.sender_contact, conversation.account)
    if message.sender_type == "user" and message.sender_user is not None:
        user = message.sender_user
        return {"id": user.pk, "name": user.name, "email": user.email, "type": "user"}
    return None  # automation rules and the system: Chatwoot sends no sender


def message_payload(event: events.Event, subscription: str) -> dict[str, Any] | None:
    frame = event.data
    name = frame.get("message_type_name") or MESSAGE_TYPE_NAMES.get(frame.get("message_type"))
    if name not in SENDABLE:
        return None  # decided from the event: an activity line costs no query
    message = selectors.payload_message(account_id=event.account_id, message_id=frame["id"])
    conversation = selectors.payload_conversation(
        account_id=event.account_id, conversation_pk=event.conversation_pk
    )
    if message is None or conversation is None:
        return None
    return {
        **frame,
        "event": subscription,
        "message_type": message.message_type,
        "created_at": iso(message.created_at),
        "sender": _sender(message, conversation),
        "inbox": brief(conversation.inbox),
        "account": brief(conversation.account),
        "conversation": conversation_block(conversation, _messages(conversation, known=frame)),
    }


def conversation_payload(event: events.Event, subscription: str) -> dict[str, Any] | None:
    conversation = selectors.payload_conversation(
        account_id=event.account_id, conversation_pk=event.conversation_pk
    )
    if conversation is None:
        return None
    return {
        **event.data,  # changed_attributes, previous_status
        **conversation_block(conversation, _messages(conversation)),
        "event": subscription,
        "inbox": brief(conversation.inbox),
        "account": brief(conversation.account),
    }


def contact_payload(event: events.Event, subscription: str) -> dict[str, Any] | None:
    account = selectors.payload_account(account_id=event.account_id)
    if account is None:
        return None
    return {**event.data, "event": subscription, "avatar": "", "account": brief(account)}


def payload_for(event: events.Event, subscription: str) -> dict[str, Any] | None:
    if subscription.startswith("message_"):
        return message_payload(event, subscription)
    if subscription.startswith("conversation_"):
        return conversation_payload(event, subscription)
    return contact_payload(event, subscription)
