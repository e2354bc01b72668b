"""A WhatsApp number connected to an inbox, the webhook deliveries it received, and its message
templates.

Credentials (the access token, the app secret) are stored encrypted (nexloo.core.crypto) and
never shown back in full. A delivery is stored as received, bytes and all, before the webhook
answers: what happens to it afterwards (processed, with the errors of the items that failed, or
rejected) is written on the same row.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core import crypto
from nexloo.core.tenancy import TenantModel


class Provider(models.TextChoices):
    # The seam for QR-code gateways (Evolution API, Z-API): another value here and a module in
    # whatsapp/providers/ — the conversations app does not change.
    CLOUD = "whatsapp_cloud", _("WhatsApp Cloud API (Meta)")


def new_verify_token() -> str:
    return secrets.token_urlsafe(24)


class WhatsAppChannel(TenantModel):
    inbox = models.OneToOneField(
        "inboxes.Inbox", on_delete=models.CASCADE, related_name="whatsapp_channel"
    )
    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.CLOUD)
    phone_number = models.CharField(_("phone number"), max_length=20, unique=True)  # E.164
    phone_number_id = models.CharField(_("phone number ID"), max_length=64)
    business_account_id = models.CharField(_("WhatsApp Business Account ID"), max_length=64)
    access_token_encrypted = models.TextField()
    app_secret_encrypted = models.TextField()
    webhook_verify_token = models.CharField(max_length=64, default=new_verify_token)
    # The last authorisation failure (Graph API error 190): shown to administrators.
    auth_error = models.TextField(blank=True, default="")
    auth_error_at = models.DateTimeField(null=True, blank=True)
    templates_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def __str__(self) -> str:
        return self.phone_number

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    @property
    def app_secret(self) -> str:
        return crypto.decrypt(self.app_secret_encrypted)

    @property
    def access_token_hint(self) -> str:
        return _hint(self.access_token)

    @property
    def app_secret_hint(self) -> str:
        return _hint(self.app_secret)


def _hint(secret: str) -> str:
    """At most the last four characters, and only of a secret long enough to keep the rest."""
    return "••••" + secret[-4:] if len(secret) >= 12 else "••••"


class WebhookEvent(TenantModel):
    """One POST from Meta, as received. Written by the lean webhook endpoint with a single
    INSERT (whatsapp/webhook.py), processed by `whatsapp.process_event`."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    body = models.BinaryField()  # the raw bytes the signature was computed over
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(blank=True, default="")  # why rejected or failed
    errors = models.JSONField(default=list, blank=True)  # per item: {"item", "error"}
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(default=now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweep looks for stored events nobody processed: few rows.
            models.Index(
                fields=["received_at"],
                condition=Q(status="received"),
                name="wa_event_unprocessed",
            ),
            models.Index(fields=["inbox", "-received_at"], name="wa_event_inbox"),
        ]

    def __str__(self) -> str:
        return f"webhook event {self.pk} ({self.status})"


class MessageTemplate(TenantModel):
    """An approved (or pending, rejected…) template of the number's business account, as last
    synced from the Graph API."""

    channel = models.ForeignKey(WhatsAppChannel, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    status = models.CharField(max_length=32)
    category = models.CharField(max_length=32, blank=True, default="")
    components = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "name", "language"], name="wa_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def text_of_body(self) -> str:
        return self.text_of("BODY")

    def text_of(self, kind: str) -> str:
        for component in self.components or []:
            if str(component.get("type", "")).upper() == kind:
                return str(component.get("text") or "")
        return ""
