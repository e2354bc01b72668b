from django.urls import path

from conversations.cable import CableConsumer
from conversations.consumers import PushConsumer

websocket_urlpatterns = [
    path("ws/", PushConsumer.as_asgi()),
    path("cable", CableConsumer.as_asgi()),
]
