"""What a webhook posts: Chatwoot's `webhook_data` of the object, with `event`, and Nexloo's
extra fields (those of the realtime frame the payload starts from, which it never changes).

- Messages (`message_created`, `message_updated`): only incoming, outgoing and template ones
  (Chatwoot's `webhook_sendable?`: never an activity line); `message_type` by name,
  `created_at` in ISO 8601, `sender` as Chatwoot's webhook sender, `inbox` and `account` as
  `{id, name}`, and the conversation block Chatwoot embeds (its push data).
- Conversations: that block, with the event's `changed_attributes`, `inbox` and `account`.
- Contacts: Chatwoot's contact webhook data (`avatar`, `account`).

Built in the delivery task (webhooks.tasks.deliver), not on the commit that made the change:
the request or task that did pays nothing for it. What travels in the task is the event's
`snapshot`: its ids and its realtime frame, built when the event was emitted at no query. So:

- what the frame carries is as it was at the event: a message's own fields, a conversation's
  status, priority, assignee, team, attributes and `changed_attributes` (and the labels of a
  label change), a contact's fields — but `conversation_created` is the conversation as read
  when the task runs: its frame is made as the row is inserted, before what the rest of its
  transaction sets (a pending status, a forward's team and assignee, a WhatsApp referral);
- what Chatwoot adds on top is read when the task runs, as Chatwoot's own jobs read it: the
  conversation block of a message, the block's contact inbox, labels, last chat message
  (`messages`), unread count, `can_reply` and `updated_at`, the sender's details, the inbox's
  and the account's names;
- a message or conversation deleted before the task runs is not sent (None; logged by the
  task); a contact's payload needs only the account.

At most five queries for a message, four for a conversation, one for a contact, whatever the
number of labels or attachments. None: nothing to send.
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


def rails_time(value: str | None) -> str | None:
    """A realtime frame's ISO 8601 time (Python's) as Rails writes it."""
    return iso(datetime.fromisoformat(value)) if value else None


def conversation_block(
    conversation: Conversation, messages: list[dict], *, at_event: dict | None = None
) -> dict[str, Any]:
    """Chatwoot's `conversation.webhook_data` (its push data): `id` is the display id, the
    timestamps are Unix seconds (`updated_at` with its fraction), as Chatwoot has them.
    `at_event`: the conversation's realtime frame of the event, whose fields win over the
    conversation as read now (see the module's docstring)."""
    data = at_event if at_event is not None else conversation_events.conversation_data(conversation)
    contact_inbox = conversation.contact_inbox
    return {
        **data,
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
        # A label change's frame has the labels it left; otherwise they are read.
        "labels": data["labels"]
        if "labels" in data
        else [label.title for label in conversation.labels.all()],
        "messages": messages,
        "unread_count": getattr(conversation, "unread_count", 0),
        "first_reply_created_at": iso(conversation.first_reply_at),
        "snoozed_until": rails_time(data["snoozed_until"]),
        "contact_last_seen_at": seconds(conversation.contact_last_seen_at),
        "timestamp": data["last_activity_at"],
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


def sendable(event: events.Event, subscription: str) -> bool:
    """Decided from the event alone (no query): Chatwoot sends no activity line."""
    if not subscription.startswith("message_"):
        return True
    frame = event.data
    name = frame.get("message_type_name") or MESSAGE_TYPE_NAMES.get(frame.get("message_type"))
    return name in SENDABLE


def message_payload(event: events.Event, subscription: str) -> dict[str, Any] | None:
    frame = event.data
    if not sendable(event, subscription):
        return None
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
    # The frame (with changed_attributes, previous_status) is the conversation at the event —
    # except at its creation: that frame is made as the row is inserted, before the rest of its
    # transaction (a pending status, the forward's team and assignee, a WhatsApp referral), so
    # the conversation as committed is read instead.
    at_event = None if event.name == conversation_events.CONVERSATION_CREATED else event.data
    return {
        **conversation_block(conversation, _messages(conversation), at_event=at_event),
        "event": subscription,
        "inbox": brief(conversation.inbox),
        "account": brief(conversation.account),
    }


def contact_payload(event: events.Event, subscription: str) -> dict[str, Any] | None:
    account = selectors.payload_account(account_id=event.account_id)
    if account is None:
        return None
    return {**event.data, "event": subscription, "avatar": "", "account": brief(account)}


def snapshot(event: events.Event) -> dict[str, Any]:
    """What the delivery task needs to build the event's payload: JSON, and no query to make."""
    return {
        "name": event.name,
        "account_id": event.account_id,
        "inbox_id": event.inbox_id,
        "conversation_pk": event.conversation_pk,
        "data": event.data,
    }


def payload_from(source: dict[str, Any], subscription: str) -> dict[str, Any] | None:
    """The payload of the event that `snapshot` described."""
    event = events.Event(
        name=source["name"],
        account_id=source["account_id"],
        data=source["data"],
        inbox_id=source.get("inbox_id"),
        conversation_pk=source.get("conversation_pk"),
    )
    return payload_for(event, subscription)


def payload_for(event: events.Event, subscription: str) -> dict[str, Any] | None:
    if subscription.startswith("message_"):
        return message_payload(event, subscription)
    if subscription.startswith("conversation_"):
        return conversation_payload(event, subscription)
    return contact_payload(event, subscription)
