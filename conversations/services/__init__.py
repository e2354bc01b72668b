"""Writes for contacts, conversations and messages (see the modules for the details)."""

from conversations.services.assignment import (
    assignment_queue_drain,
    conversation_assign_agent,
    conversation_assign_team,
    conversation_forward,
    conversation_intake,
    schedule_drain,
)
from conversations.services.canned import (
    canned_response_create,
    canned_response_delete,
    canned_response_update,
)
from conversations.services.common import register_intake_hook
from conversations.services.contacts import (
    contact_create,
    contact_delete,
    contact_for_source,
    contact_inbox_for,
    contact_update,
    normalize_phone,
)
from conversations.services.conversations import (
    conversation_create,
    conversation_labels_set,
    conversation_mark_read,
    conversation_open_for,
    conversation_priority_set,
    conversation_status_set,
    conversations_wake_snoozed,
    label_create,
)
from conversations.services.inbound import inbound_message
from conversations.services.messages import (
    IncomingMessage,
    NewAttachment,
    activity_add,
    message_delete,
    message_mark_failed,
    message_mark_sent,
    message_receive,
    message_send,
    message_status_update,
)

__all__ = [
    "IncomingMessage",
    "NewAttachment",
    "activity_add",
    "assignment_queue_drain",
    "canned_response_create",
    "canned_response_delete",
    "canned_response_update",
    "contact_create",
    "contact_delete",
    "contact_for_source",
    "contact_inbox_for",
    "contact_update",
    "conversation_assign_agent",
    "conversation_assign_team",
    "conversation_create",
    "conversation_forward",
    "conversation_intake",
    "conversation_labels_set",
    "conversation_mark_read",
    "conversation_open_for",
    "conversation_priority_set",
    "conversation_status_set",
    "conversations_wake_snoozed",
    "inbound_message",
    "label_create",
    "message_delete",
    "message_mark_failed",
    "message_mark_sent",
    "message_receive",
    "message_send",
    "message_status_update",
    "normalize_phone",
    "register_intake_hook",
    "schedule_drain",
]
