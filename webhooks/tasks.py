"""Delivering the account's webhooks: one task per (webhook, event), signed as Chatwoot signs,
retried with backoff on network errors, 5xx and 429, each attempt logged."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from nexloo.core import webhooks as signed
from nexloo.core.links import absolute_url

logger = logging.getLogger(__name__)

MAX_RETRIES = 6  # 10 s, 20 s, 40 s … about 10 minutes in all


@shared_task(name="webhooks.deliver", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def deliver(
    self,
    webhook_id: int,
    delivery_id: str,
    event: str,
    payload: dict | None = None,
    source: dict | None = None,
) -> int | None:
    """`delivery_id` is chosen when the event is queued: the same X-Chatwoot-Delivery on every
    retry, so the receiver can drop a repeat. The first attempt builds the payload from
    `source` (the event's snapshot, see webhooks.payloads); a retry carries the payload it
    built, so every attempt posts the same body."""
    from webhooks import payloads, services
    from webhooks.models import Webhook

    webhook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    if webhook is None:
        return None
    if payload is None:
        if source is None or source.get("account_id") != webhook.account_id:
            # Fail closed: an event is only ever sent to its own account's webhooks.
            logger.error("webhook %s: %s not sent, no event of its account", webhook_id, event)
            return None
        try:
            payload = payloads.payload_from(source, event)
        except (OperationalError, InterfaceError) as exc:
            # The database was away while the payload was read: not the receiver's fault, and
            # not lost — built again on the retry.
            if self.request.retries < MAX_RETRIES:
                raise self.retry(countdown=10 * 2**self.request.retries) from exc
            _record(services, webhook_id, delivery_id, event, 1, None, f"not built: {exc}"[:500])
            raise
        except Exception as exc:
            # A payload that cannot be built is shown among the webhook's deliveries, not lost
            # in a log.
            _record(services, webhook_id, delivery_id, event, 1, None, f"not built: {exc}"[:500])
            raise
        if payload is None:
            logger.info("webhook %s: %s not sent, its object is gone", webhook_id, event)
            return None
    attempt = self.request.retries + 1
    try:
        delivered = signed.post(
            webhook.url, payload, secret=webhook.secret, delivery_id=delivery_id
        )
    except signed.WebhookRefused as exc:
        _record(services, webhook_id, delivery_id, event, attempt, None, str(exc))
        return None
    except signed.TransientWebhookError as exc:
        _record(services, webhook_id, delivery_id, event, attempt, None, str(exc))
        if self.request.retries < MAX_RETRIES:
            raise self.retry(
                args=[webhook_id, delivery_id, event, payload, None],
                kwargs={},
                countdown=10 * 2**self.request.retries,
            ) from exc
        return None
    _record(services, webhook_id, delivery_id, event, attempt, delivered.status)
    return delivered.status


def _record(services, webhook_id, delivery_id, event, attempt, status, error="") -> None:
    switched_off = services.delivery_record(
        webhook_id=webhook_id,
        delivery_id=delivery_id,
        event=event,
        attempt=attempt,
        status_code=status,
        error=error,
    )
    if switched_off:
        notify_switched_off.delay(webhook_id)


@shared_task(name="webhooks.notify_switched_off", acks_late=True)
def notify_switched_off(webhook_id: int) -> int:
    """Tells the account's administrators that a webhook failed for a day and was switched off."""
    from accounts.selectors import administrator_emails
    from webhooks.models import Webhook

    webhook = Webhook.objects.select_related("account", "inbox").filter(pk=webhook_id).first()
    if webhook is None:
        return 0
    emails = administrator_emails(account_id=webhook.account_id)
    with translation.override(webhook.account.locale):
        subject = _("Webhook %(url)s was switched off") % {"url": webhook.url}
        if webhook.inbox is not None:  # an API channel's webhook_url: shown on its inbox
            path = reverse("webhooks:inbox", args=[webhook.account_id, webhook.inbox_id])
            body = _(
                "The webhook %(url)s of the inbox %(inbox)s failed for a day and was switched "
                "off.\n\nCheck it and switch it on again in Settings → Inboxes → %(inbox)s → "
                "Webhook: %(link)s\n"
            ) % {"url": webhook.url, "inbox": webhook.inbox.name, "link": absolute_url(path)}
        else:
            path = reverse("webhooks:edit", args=[webhook.account_id, webhook.pk])
            body = _(
                "The webhook %(url)s failed for a day and was switched off.\n\n"
                "Check it in Settings → Integrations → Webhooks: %(link)s\n"
            ) % {"url": webhook.url, "link": absolute_url(path)}
    if emails:
        send_mail(subject, body, None, emails)
    return len(emails)
