"""Reads of the WhatsApp app, starting from the asking membership."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import AccountUser
from nexloo.core.tenancy import get_or_not_found
from whatsapp.models import MessageTemplate, WebhookEvent, WhatsAppChannel


def channel_of_inbox(*, membership: AccountUser, inbox_id: int) -> WhatsAppChannel:
    """The number of one of the account's inboxes (404 for another account's, or none)."""
    return get_or_not_found(
        WhatsAppChannel.objects.for_account(membership.account_id).select_related("inbox"),
        inbox_id=inbox_id,
    )


def templates_of(*, channel: WhatsAppChannel) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(channel=channel).order_by("name", "language")


def recent_events(*, channel: WhatsAppChannel, limit: int = 10) -> QuerySet[WebhookEvent]:
    return (
        WebhookEvent.objects.filter(inbox_id=channel.inbox_id)
        .defer("body")
        .order_by("-received_at")[:limit]
    )
