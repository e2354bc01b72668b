"""The entry point for channels: a message from a contact arrives."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Conversation, Message, Status
from conversations.services.contacts import contact_for_source
from conversations.services.conversations import conversation_open_for
from conversations.services.messages import (
    ConversationResolved,
    IncomingMessage,
    message_receive,
)
from inboxes.models import Inbox


def open_conversation(
    *, contact_inbox, inbox: Inbox, incoming_at: datetime | None = None
) -> tuple[Conversation, bool]:
    """The contact's open conversation, or a new one, and whether it is new (created in the
    caller's transaction, so that the caller holds its row). Its id is enough for an existing
    one (message_receive reads it under its lock, so this read stays light on the hot path);
    only a contact without one goes through conversation_open_for, which creates and announces
    it. A contact created in this transaction has no conversation: no look-up."""
    fresh = getattr(contact_inbox, "fresh", False) and transaction.get_connection().in_atomic_block
    if not fresh:
        open_id = (
            Conversation.objects.filter(
                ~Q(status=Status.RESOLVED) | Q(muted_until__gt=timezone.now()),
                contact_inbox=contact_inbox,
            )
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if open_id is not None:
            # Unresolved, or muted (message_receive keeps a muted one's messages without
            # reopening).
            return Conversation(pk=open_id, inbox_id=inbox.pk), False
    opened = conversation_open_for(
        contact_inbox=contact_inbox, inbox=inbox, incoming_at=incoming_at
    )
    return opened.conversation, opened.created


def inbound_message(
    *,
    inbox: Inbox,
    contact_source_id: str,
    message: IncomingMessage,
    contact_name: str = "",
    phone_number: str = "",
) -> tuple[Message, bool]:
    """Finds or creates the contact by their id in the channel (`contact_source_id`: the
    WhatsApp wa_id, the ContactInbox's source id) and their open conversation, and stores the
    message once by its own provider id (`message.source_id`: the wamid). Returns the message
    and whether it is new; a redelivered provider id changes nothing.

    A new contact's first message makes its contact, conversation and message in one
    transaction (a savepoint when the caller has one open) with no savepoint inside it: should
    another delivery make the same contact (or store the same message) at the same moment, the
    unique index stops this one, whose transaction is rolled back and run again — it then finds
    what the other one made."""
    for attempt in range(2):
        try:
            return _inbound_message(
                inbox=inbox,
                contact_source_id=contact_source_id,
                message=message,
                contact_name=contact_name,
                phone_number=phone_number,
            )
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _inbound_message(
    *,
    inbox: Inbox,
    contact_source_id: str,
    message: IncomingMessage,
    contact_name: str,
    phone_number: str,
) -> tuple[Message, bool]:
    if message.source_id:
        existing = Message.objects.filter(inbox=inbox, source_id=message.source_id).first()
        if existing is not None:
            return existing, False
    # One transaction: the conversation is announced (and its intake queued) only together with
    # its first message.
    with transaction.atomic():
        contact_inbox = contact_for_source(
            inbox=inbox,
            source_id=contact_source_id,
            name=contact_name,
            phone_number=phone_number,
            savepoint=False,
        )
        for _attempt in range(3):
            conversation, created = open_conversation(
                contact_inbox=contact_inbox,
                inbox=inbox,
                incoming_at=message.created_at or timezone.now(),
            )
            try:
                # A snoozed conversation is woken by message_receive, under its lock. One created
                # just now is this transaction's row, with what storing a message reads.
                return message_receive(
                    conversation=conversation,
                    incoming=message,
                    checked=True,
                    conversation_locked=created,
                )
            except ConversationResolved:
                continue  # resolved meanwhile: the next round opens a new conversation
        raise RuntimeError(f"conversation of contact inbox {contact_inbox.pk} keeps closing")
