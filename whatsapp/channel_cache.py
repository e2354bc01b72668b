"""What the webhook needs to know about a number, cached by number in each web process.

The webhook answers Meta's deliveries without the ORM (whatsapp/webhook.py): it reads this
entry — inbox, account, the payloads' phone number id, the encrypted app secret, the verify
token — from memory, and only on a miss from PostgreSQL (one SELECT). So the hot path makes no
network round trip for it at all.

Invalidation: services call `invalidate(number)` once a change to the channel or its inbox has
committed (services.channel_changed). That drops the entry in this process and publishes the
number on a Redis channel that every web process listens to (a daemon thread each), so the next
delivery reads the new secret everywhere. Two nets under it:

- entries live at most ENTRY_TTL, which bounds a stale entry when an invalidation message was
  missed (Redis restarted, a listener reconnecting);
- a lookup that started before an invalidation of its number is not cached (the miss that raced
  the change would otherwise store the old row).

A deleted inbox cannot linger either: storing an event for it fails its foreign key, and the
webhook then drops the entry and answers 404.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

ENTRY_TTL = 10.0  # seconds

_entries: dict[str, tuple[float, dict[str, Any]]] = {}
_invalidated_at: dict[str, float] = {}
_listener_pid: int | None = None
_listener_lock = threading.Lock()
_publisher: redis.Redis | None = None


def _channel() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:whatsapp:channel-changed"


def get(number: str) -> dict[str, Any] | None:
    _listen()
    found = _entries.get(number)
    if found is None or found[0] < time.monotonic():
        return None
    return found[1]


def lookup_started() -> float:
    return time.monotonic()


def put(number: str, entry: dict[str, Any], *, since: float) -> None:
    """Caches what a lookup that started at `since` read, unless the number changed since."""
    if _invalidated_at.get(number, 0.0) >= since:
        return
    if len(_entries) > 50_000:
        _entries.clear()
    _entries[number] = (time.monotonic() + ENTRY_TTL, entry)


def drop(number: str) -> None:
    """Forgets the number in this process only."""
    _invalidated_at[number] = time.monotonic()
    _entries.pop(number, None)


def invalidate(number: str) -> None:
    """Forgets the number in every web process (call after the change committed)."""
    global _publisher
    drop(number)
    if not settings.REDIS_URL:
        return
    try:
        if _publisher is None:
            _publisher = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
            )
        _publisher.publish(_channel(), number)
    except (redis.RedisError, OSError) as exc:
        # Other processes forget it within ENTRY_TTL; meanwhile a new secret gets 401s, which
        # Meta retries.
        logger.warning("could not announce the change of %s: %s", number, exc)


def _listen() -> None:
    """Starts this process's listener for invalidations (once per process)."""
    global _listener_pid
    if not settings.REDIS_URL or _listener_pid == os.getpid():
        return
    with _listener_lock:
        if _listener_pid == os.getpid():
            return
        _listener_pid = os.getpid()
        threading.Thread(target=_listener, name="whatsapp-channel-cache", daemon=True).start()


def _listener() -> None:
    backoff = 0.5
    while True:
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_channel())
            # Whatever changed while we were not listening is forgotten too.
            _entries.clear()
            backoff = 0.5
            for message in pubsub.listen():
                if message.get("type") == "message":
                    drop(message["data"].decode())
        except (redis.RedisError, OSError) as exc:
            logger.warning("channel cache listener: %s; retrying in %ss", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30)
