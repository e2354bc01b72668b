"""The account's outbound webhooks (Chatwoot's `webhooks`, and the API channel's `webhook_url`)
and the log of their deliveries (the last 50 per webhook)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel

SUBSCRIPTIONS = (
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "message_created",
    "message_updated",
    "contact_created",
    "contact_updated",
)
LOG_SIZE = 50


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(TenantModel):
    url = models.URLField(_("URL"), max_length=2000)
    name = models.CharField(_("name"), max_length=255, blank=True, default="")
    subscriptions = models.JSONField(default=list)
    # The API channel's `webhook_url`: every event of that inbox, whatever `subscriptions` say.
    inbox = models.OneToOneField(
        "inboxes.Inbox", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    secret = models.CharField(max_length=64, default=new_secret)
    active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    switched_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.url


class WebhookDelivery(TenantModel):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=64)  # X-Chatwoot-Delivery, the same on retries
    event = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField(default=1)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_log")]

    def __str__(self) -> str:
        return f"{self.event} {self.status_code or self.error}"
