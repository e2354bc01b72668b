from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"

    def ready(self) -> None:
        from conversations import delivery, listeners, realtime
        from conversations.selectors import OpenConversations
        from teams.assignment import register_work_source

        register_work_source(OpenConversations())
        # The API channel delivers through events (see conversations.delivery); every other
        # channel must register its own backend, or its replies fail (never "sent" to nobody).
        delivery.register_backend("api", delivery.EventsOnlyBackend())
        realtime.connect()
        listeners.connect()
