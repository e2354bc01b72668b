from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from inboxes.extensions import InboxTab, register_channel_api, register_inbox_tab
        from inboxes.models import ChannelType
        from webhooks import listeners
        from webhooks.channel import ApiChannelAPI

        listeners.connect()
        register_channel_api(ChannelType.API, ApiChannelAPI())
        register_inbox_tab(
            InboxTab(
                key="webhook",
                label=_("Webhook"),
                url_name="webhooks:inbox",
                applies=lambda inbox: inbox.channel_type == ChannelType.API,
            )
        )
