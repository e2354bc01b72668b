"""The API channel's `webhook_url` (Chatwoot's `channel: {type: "api", webhook_url}`): every
event of the inbox is posted there, signed with the channel's secret (shown as `secret`)."""

from __future__ import annotations

from inboxes.models import Inbox
from webhooks import services
from webhooks.models import Webhook


class ApiChannelAPI:
    def create(self, *, account, actor, inbox: Inbox, channel: dict) -> None:
        if channel.get("webhook_url"):
            services.channel_webhook_set(
                account=account, actor=actor, inbox=inbox, url=channel["webhook_url"]
            )

    def update(self, *, account, actor, inbox: Inbox, channel: dict) -> None:
        if "webhook_url" in channel:
            services.channel_webhook_set(
                account=account, actor=actor, inbox=inbox, url=channel["webhook_url"] or ""
            )

    def payloads(self, inboxes: list[Inbox], *, administrator: bool) -> dict[int, dict]:
        out = {}
        for webhook in Webhook.objects.filter(inbox__in=inboxes):
            out[webhook.inbox_id] = {"webhook_url": webhook.url}
            if administrator:
                out[webhook.inbox_id]["secret"] = webhook.secret
        return out
