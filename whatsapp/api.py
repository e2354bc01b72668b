"""The WhatsApp channel in the inboxes API, as Chatwoot has it:

    POST /api/v1/accounts/{account_id}/inboxes
    {"name": "WhatsApp", "channel": {"type": "whatsapp", "phone_number": "+5511987654321",
     "provider": "whatsapp_cloud", "provider_config": {"api_key": "…", "phone_number_id": "…",
     "business_account_id": "…", "app_secret": "…"}}}

Reads show `phone_number`, `provider` and, to administrators, `provider_config` with
`webhook_verify_token` (and the callback URL) — never `api_key` (the access token) nor the app
secret. PATCH with a `channel.provider_config` changes what it names.
"""

from __future__ import annotations

from inboxes.models import Inbox
from nexloo.core.errors import ValidationError
from nexloo.core.links import absolute_url
from whatsapp import services
from whatsapp.models import WhatsAppChannel


def callback_url(phone_number: str) -> str:
    return absolute_url(f"/webhooks/whatsapp/{phone_number}")


def _fields(channel: dict) -> dict:
    config = channel.get("provider_config") or {}
    if not isinstance(config, dict):
        raise ValidationError({"provider_config": "provider_config must be an object."})
    out = {}
    if "phone_number" in channel:
        out["phone_number"] = str(channel.get("phone_number") or "")
    for ours, theirs in (
        ("phone_number_id", "phone_number_id"),
        ("business_account_id", "business_account_id"),
        ("access_token", "api_key"),
        ("app_secret", "app_secret"),
    ):
        if theirs in config:
            out[ours] = str(config.get(theirs) or "")
    return out


class WhatsAppChannelAPI:
    def create(self, *, account, actor, inbox: Inbox, channel: dict) -> None:
        fields = _fields(channel)
        services.channel_create(
            account=account,
            actor=actor,
            inbox=inbox,
            phone_number=fields.get("phone_number", ""),
            phone_number_id=fields.get("phone_number_id", ""),
            business_account_id=fields.get("business_account_id", ""),
            access_token=fields.get("access_token", ""),
            app_secret=fields.get("app_secret", ""),
        )

    def update(self, *, account, actor, inbox: Inbox, channel: dict) -> None:
        found = WhatsAppChannel.objects.filter(inbox=inbox).first()
        if found is None:
            self.create(account=account, actor=actor, inbox=inbox, channel=channel)
            return
        services.channel_update(account=account, actor=actor, channel=found, **_fields(channel))

    def payloads(self, inboxes: list[Inbox], *, administrator: bool) -> dict[int, dict]:
        out = {}
        for channel in WhatsAppChannel.objects.filter(inbox__in=inboxes):
            payload = {
                "phone_number": channel.phone_number,
                "provider": channel.provider,
                "channel_id": channel.pk,
                "callback_webhook_url": callback_url(channel.phone_number),
            }
            if administrator:
                payload["provider_config"] = {
                    "phone_number_id": channel.phone_number_id,
                    "business_account_id": channel.business_account_id,
                    "webhook_verify_token": channel.webhook_verify_token,
                    "callback_webhook_url": callback_url(channel.phone_number),
                }
            out[channel.inbox_id] = payload
        return out
