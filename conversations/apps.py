from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"

    def ready(self) -> None:
        from conversations import listeners, realtime
        from conversations.selectors import OpenConversations
        from teams.assignment import register_work_source

        register_work_source(OpenConversations())
        realtime.connect()
        listeners.connect()
