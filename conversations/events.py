"""Events the conversations app emits (on commit), with Chatwoot's names and payload shapes.

Audience: the account's administrators, the members of the conversation's inbox, and the
assignee (who may have been assigned without being a member).
"""

from __future__ import annotations

from typing import Any

from accounts.events import API_AVAILABILITY
from conversations.files import attachment_url
from conversations.models import Contact, Conversation, Message
from nexloo.core import events
from nexloo.core.events import Performer

MESSAGE_TYPE_CODES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_READ = "conversation.read"
ASSIGNEE_CHANGED = "assignee.changed"
TEAM_CHANGED = "team.changed"
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CONTACT_DELETED = "contact.deleted"


def iso(value) -> str | None:
    return value.isoformat() if value else None


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": contact.name,
        "phone_number": contact.phone_number,
        "email": contact.email,
        "identifier": contact.identifier,
        "thumbnail": "",
        "custom_attributes": contact.custom_attributes,
        "additional_attributes": contact.additional_attributes,
        "type": "contact",
    }


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """Chatwoot's conversation push payload (`id` is the per-account display id)."""
    assignee = conversation.assignee
    team = conversation.team
    return {
        "id": conversation.display_id,
        "uuid": str(conversation.uuid),
        "account_id": conversation.account_id,
        "inbox_id": conversation.inbox_id,
        "status": conversation.status,
        "priority": conversation.priority or None,
        "snoozed_until": iso(conversation.snoozed_until),
        "last_activity_at": int(conversation.last_activity_at.timestamp()),
        "waiting_since": int(conversation.waiting_since.timestamp())
        if conversation.waiting_since
        else 0,
        "created_at": int(conversation.created_at.timestamp()),
        "agent_last_seen_at": int(conversation.agent_last_seen_at.timestamp())
        if conversation.agent_last_seen_at
        else 0,
        "meta": {
            "sender": contact_data(conversation.contact),
            "assignee": (
                {
                    "id": assignee.user_id,
                    "name": assignee.shown_name,
                    "available_name": assignee.available_name,
                    "availability_status": API_AVAILABILITY[assignee.availability],
                    "thumbnail": "",
                    "type": "user",
                }
                if assignee
                else None
            ),
            "team": {"id": team.pk, "name": team.name} if team else None,
        },
        "assignee_id": assignee.user_id if assignee else None,
        "team_id": team.pk if team else None,
        "custom_attributes": conversation.custom_attributes,
        "additional_attributes": conversation.additional_attributes,
    }


def message_data(message: Message) -> dict[str, Any]:
    sender: dict[str, Any] | None = None
    if message.sender_type == "contact" and message.sender_contact_id:
        sender = {"id": message.sender_contact_id, "type": "contact", "name": message.sender_name}
    elif message.sender_type == "user" and message.sender_user_id:
        sender = {"id": message.sender_user_id, "type": "user", "name": message.sender_name}
    # Activity lines and automation messages have no sender, as in Chatwoot.
    return {
        "id": message.pk,
        "content": message.content,
        "account_id": message.account_id,
        "inbox_id": message.inbox_id,
        "conversation_id": message.conversation.display_id,
        "message_type": MESSAGE_TYPE_CODES[message.message_type],  # Chatwoot's integer codes
        "message_type_name": message.message_type,
        "content_type": message.content_type,
        "content_attributes": message.content_attributes,
        "private": message.private,
        "status": message.status,
        "source_id": message.source_id,
        "created_at": int(message.created_at.timestamp()),
        "sender_type": sender["type"] if sender else None,
        "sender_id": sender["id"] if sender else None,
        "sender": sender,
        "attachments": [
            {
                "id": a.pk,
                "file_type": a.file_type,
                "data_url": attachment_url(a),
                "file_size": a.file_size,
                "file_name": a.file_name,
            }
            # An activity line never has attachments: no query for them.
            for a in (message.attachments.all() if message.message_type != "activity" else ())
        ],
    }


def changed(attribute: str, previous: Any, current: Any) -> dict[str, Any]:
    """Chatwoot's `changed_attributes` of a conversation_updated payload."""
    return {
        "changed_attributes": [{attribute: {"previous_value": previous, "current_value": current}}]
    }


def _emit(
    name: str,
    *,
    conversation: Conversation,
    data: dict[str, Any],
    performer: Performer | None,
    also_notify: frozenset[int] = frozenset(),
) -> None:
    assignee = {conversation.assignee.user_id} if conversation.assignee_id else set()
    events.emit(
        events.Event(
            name=name,
            account_id=conversation.account_id,
            data=data,
            performer=performer,
            inbox_id=conversation.inbox_id,
            user_ids=frozenset(assignee) | also_notify,
            conversation_pk=conversation.pk,
        )
    )


def conversation_event(
    name: str,
    *,
    conversation: Conversation,
    performer: Performer | None,
    extra: dict[str, Any] | None = None,
    also_notify: frozenset[int] = frozenset(),
) -> None:
    data = {**conversation_data(conversation), **(extra or {})}
    _emit(name, conversation=conversation, data=data, performer=performer, also_notify=also_notify)


def message_event(name: str, *, message: Message, performer: Performer | None) -> None:
    conversation = message.conversation
    data = message_data(message)
    data["conversation"] = {
        "id": conversation.display_id,
        "uuid": str(conversation.uuid),
        "status": conversation.status,
        "assignee_id": conversation.assignee.user_id if conversation.assignee_id else None,
        "team_id": conversation.team_id,
        "inbox_id": conversation.inbox_id,
        "last_activity_at": int(conversation.last_activity_at.timestamp()),
        "contact_inbox": {"source_id": conversation.contact_inbox.source_id},
    }
    _emit(name, conversation=conversation, data=data, performer=performer)


def contact_event(name: str, *, contact: Contact, performer: Performer | None) -> None:
    # Contacts are seen by administrators live; agents see them through their conversations.
    events.emit(
        events.Event(
            name=name,
            account_id=contact.account_id,
            data=contact_data(contact),
            performer=performer,
        )
    )
