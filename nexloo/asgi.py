"""ASGI entry point: HTTP through Django, `/ws/` through Channels, and Meta's WhatsApp webhook
(`/webhooks/whatsapp/…`) through a lean endpoint of its own, before Django: the hot path of every
customer message needs neither the middleware stack nor the ORM (see whatsapp/webhook.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")
django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from conversations.routing import websocket_urlpatterns  # noqa: E402
from nexloo.core import health  # noqa: E402
from nexloo.schedule import start_inprocess_ticker  # noqa: E402
from whatsapp import webhook as whatsapp_webhook  # noqa: E402

if not settings.REDIS_URL and settings.CELERY_TASK_ALWAYS_EAGER:
    start_inprocess_ticker()  # no Celery beat without Redis

TOKEN_HEADER = b"api_access_token"
TOKEN_HEADER_DASHED = b"api-access-token"


def underscore_token_header(app):
    """Django drops header names with underscores; Chatwoot's clients send `api_access_token`.

    This wrapper hands that one header to Django under its dashed name. Either spelling is the
    same credential, so no trust decision depends on which one the client used.
    """

    async def wrapper(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            headers = scope.get("headers", [])
            token = next((v for k, v in headers if k.lower() == TOKEN_HEADER), None)
            if token is not None:
                headers = [(k, v) for k, v in headers if k.lower() != TOKEN_HEADER_DASHED]
                headers.append((TOKEN_HEADER_DASHED, token))
                scope = {**scope, "headers": headers}
        return await app(scope, receive, send)

    return wrapper


async def http(scope, receive, send):
    if scope["path"].startswith(whatsapp_webhook.PREFIX):
        return await whatsapp_webhook.app(scope, receive, send)
    if scope["path"] in health.PATHS:
        return await health.app(scope, receive, send)
    return await django_asgi(scope, receive, send)


application = underscore_token_header(
    ProtocolTypeRouter(
        {
            "http": http,
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
