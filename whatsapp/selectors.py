"""Reads of the WhatsApp app, starting from the asking membership."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
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


# The administrators' banner (whatsapp/context_processors.py) is on every page they open, so it
# is read from the cache: no query while nothing changes. Services forget it when a channel's
# token starts or stops failing; the TTL bounds what a deleted inbox leaves behind.
AUTH_ALERTS_TTL = 60  # seconds


def _auth_alerts_key(account_id: int) -> str:
    return f"whatsapp:auth-alerts:{account_id}"


def auth_alerts(*, account_id: int) -> list[dict[str, Any]]:
    """The account's WhatsApp numbers whose access token Meta refused (error 190)."""
    key = _auth_alerts_key(account_id)
    found = cache.get(key)
    if found is None:
        found = list(
            WhatsAppChannel.objects.for_account(account_id)
            .exclude(auth_error="")
            .order_by("inbox__name")
            .values("inbox_id", "inbox__name", "phone_number", "auth_error", "auth_error_at")
        )
        cache.set(key, found, AUTH_ALERTS_TTL)
    return found


def auth_alerts_forget(*, account_id: int) -> None:
    cache.delete(_auth_alerts_key(account_id))
