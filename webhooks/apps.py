from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from inboxes.extensions import register_channel_api
        from inboxes.models import ChannelType
        from webhooks import listeners
        from webhooks.channel import ApiChannelAPI

        listeners.connect()
        register_channel_api(ChannelType.API, ApiChannelAPI())
