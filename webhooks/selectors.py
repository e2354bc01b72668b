"""Reads of webhooks: always from the account."""

from __future__ import annotations

from django.db.models import QuerySet

from nexloo.core.tenancy import get_or_not_found
from webhooks.models import LOG_SIZE, Webhook, WebhookDelivery


def webhooks_list(*, account_id: int) -> QuerySet[Webhook]:
    """The account's webhooks (the API channels' own, `inbox` set, are shown on their inbox)."""
    return Webhook.objects.for_account(account_id).filter(inbox__isnull=True).order_by("pk")


def webhook_get(*, account_id: int, webhook_id: int | str) -> Webhook:
    return get_or_not_found(webhooks_list(account_id=account_id), pk=webhook_id)


def deliveries(*, webhook: Webhook) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(webhook=webhook)[:LOG_SIZE])


def targets_for(*, account_id: int, inbox_id: int | None, subscription: str) -> list[int]:
    """The active webhooks that take this event: the account's subscribed ones and the API
    channel's webhook of the event's inbox."""
    ids = []
    for webhook in Webhook.objects.for_account(account_id).filter(active=True):
        if webhook.inbox_id is not None:
            if webhook.inbox_id == inbox_id:
                ids.append(webhook.pk)
        elif subscription in webhook.subscriptions:
            ids.append(webhook.pk)
    return ids
