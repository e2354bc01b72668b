"""Writes of webhooks (administrators only) and of their delivery log."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from inboxes.models import Inbox
from nexloo.core.errors import NotFound, ValidationError
from webhooks.models import LOG_SIZE, SUBSCRIPTIONS, Webhook, WebhookDelivery
from webhooks.selectors import forget_active


def _changed(account_id: int) -> None:
    transaction.on_commit(lambda: forget_active(account_id))


SWITCH_OFF_AFTER = timedelta(days=1)


def _clean_url(url: str) -> str:
    """An http(s) address; a literal private or loopback one is refused now already (names are
    resolved and checked at each post, which then connects to the checked address: see
    nexloo.core.webhooks)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValidationError({"url": _("Give an address starting with https:// or http://.")})
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            address = None
        if parts.hostname == "localhost" or (address is not None and not address.is_global):
            raise ValidationError(
                {"url": _("Webhooks cannot be sent to private or local addresses.")}
            )
    return url


def _clean_subscriptions(subscriptions) -> list[str]:
    if not isinstance(subscriptions, list | tuple) or not subscriptions:
        raise ValidationError({"subscriptions": _("Choose at least one event.")})
    unknown = [s for s in subscriptions if s not in SUBSCRIPTIONS]
    if unknown:
        raise ValidationError(
            {"subscriptions": _("Unknown event: %(name)s") % {"name": ", ".join(map(str, unknown))}}
        )
    return [s for s in SUBSCRIPTIONS if s in subscriptions]


@transaction.atomic
def webhook_create(
    *,
    account: Account,
    actor: AccountUser | None,
    url: str,
    subscriptions: list[str] | None = None,
    name: str = "",
) -> Webhook:
    require_admin(actor, account)
    _changed(account.pk)
    return Webhook.objects.create(
        account=account,
        url=_clean_url(url),
        name=(name or "").strip()[:255],
        subscriptions=_clean_subscriptions(
            list(SUBSCRIPTIONS) if subscriptions is None else subscriptions
        ),
    )


@transaction.atomic
def webhook_update(
    *,
    account: Account,
    actor: AccountUser | None,
    webhook: Webhook,
    url: str | None = None,
    subscriptions: list[str] | None = None,
    name: str | None = None,
    active: bool | None = None,
) -> Webhook:
    require_admin(actor, account)
    if webhook.account_id != account.pk:
        raise NotFound("webhook not found")
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if url is not None:
        webhook.url = _clean_url(url)
    if subscriptions is not None:
        webhook.subscriptions = _clean_subscriptions(subscriptions)
    if name is not None:
        webhook.name = name.strip()[:255]
    if active is not None:
        webhook.active = active
        if active:  # switched on again by a person: a fresh start
            webhook.failing_since = None
            webhook.switched_off_at = None
    webhook.save()
    _changed(account.pk)
    return webhook


@transaction.atomic
def webhook_delete(*, account: Account, actor: AccountUser | None, webhook: Webhook) -> None:
    require_admin(actor, account)
    if webhook.account_id != account.pk:
        raise NotFound("webhook not found")
    webhook.delete()
    _changed(account.pk)


@transaction.atomic
def channel_webhook_set(*, account: Account, actor: AccountUser | None, inbox: Inbox, url: str):
    """The API channel's `webhook_url`: all of the inbox's events go there (empty: none)."""
    require_admin(actor, account)
    if inbox.account_id != account.pk:
        raise NotFound("inbox not found")
    url = (url or "").strip()
    _changed(account.pk)
    if not url:
        Webhook.objects.filter(inbox=inbox).delete()
        return None
    webhook, _created = Webhook.objects.update_or_create(
        inbox=inbox,
        defaults={
            "account": account,
            "url": _clean_url(url),
            "subscriptions": list(SUBSCRIPTIONS),
            "active": True,
            "failing_since": None,
            "switched_off_at": None,
        },
    )
    return webhook


@transaction.atomic
def delivery_record(
    *,
    webhook_id: int,
    delivery_id: str,
    event: str,
    attempt: int,
    status_code: int | None,
    error: str = "",
    at: datetime | None = None,
) -> bool:
    """Logs one attempt (keeping the last 50) and tracks failures: a webhook failing for a day
    is switched off. Returns True when this attempt switched it off."""
    at = at or timezone.now()
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None:
        return False
    ok = status_code is not None and 200 <= status_code < 300
    WebhookDelivery.objects.create(
        account_id=webhook.account_id,
        webhook=webhook,
        delivery_id=delivery_id,
        event=event,
        attempt=attempt,
        status_code=status_code,
        ok=ok,
        error=error[:500],
        created_at=at,
    )
    keep = WebhookDelivery.objects.filter(webhook=webhook).values("pk")[:LOG_SIZE]
    WebhookDelivery.objects.filter(webhook=webhook).exclude(pk__in=keep).delete()
    if ok:
        if webhook.failing_since is not None:
            webhook.failing_since = None
            webhook.save(update_fields=["failing_since"])
        return False
    if webhook.failing_since is None:
        webhook.failing_since = at
        webhook.save(update_fields=["failing_since"])
        return False
    if webhook.active and at - webhook.failing_since >= SWITCH_OFF_AFTER:
        webhook.active = False
        webhook.switched_off_at = at
        webhook.save(update_fields=["active", "switched_off_at"])
        _changed(webhook.account_id)
        return True
    return False
