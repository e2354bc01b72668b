from django.urls import path

from conversations.consumers import PushConsumer

websocket_urlpatterns = [path("ws/", PushConsumer.as_asgi())]
