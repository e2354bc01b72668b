from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        from conversations.delivery import register_backend
        from inboxes.extensions import (
            ChannelCreator,
            InboxTab,
            register_channel_api,
            register_channel_creator,
            register_inbox_tab,
        )
        from inboxes.models import ChannelType
        from whatsapp import api
        from whatsapp.delivery import WhatsAppBackend

        register_backend(ChannelType.WHATSAPP_CLOUD, WhatsAppBackend())
        register_inbox_tab(
            InboxTab(
                key="whatsapp",
                label=_("WhatsApp"),
                url_name="whatsapp:inbox",
                applies=lambda inbox: inbox.channel_type == ChannelType.WHATSAPP_CLOUD,
            )
        )
        register_channel_creator(
            ChannelCreator(
                channel_type=ChannelType.WHATSAPP_CLOUD,
                label=_("WhatsApp"),
                description=_("Connect a WhatsApp Business number (Meta's Cloud API)."),
                url_name="whatsapp:inbox_new",
            )
        )
        register_channel_api(ChannelType.WHATSAPP_CLOUD, api.WhatsAppChannelAPI())
