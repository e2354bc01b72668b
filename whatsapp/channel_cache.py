"""What the webhook needs to know about a number, cached by number.

The webhook answers Meta's deliveries without the ORM (whatsapp/webhook.py): it reads this
entry — inbox, account, the payloads' phone number id, the encrypted app secret, the verify
token — from Redis, and only on a miss from PostgreSQL. Services invalidate it after any change
to the channel or its inbox commits (services.channel_changed); entries also expire after
ENTRY_TTL, which bounds the effect of a stale entry written by a miss that raced a change.
A deleted inbox cannot linger either: storing an event for it fails its foreign key, and the
webhook then drops the entry and answers 404.

Without Redis (development) the entries live in this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings

logger = logging.getLogger(__name__)

ENTRY_TTL = 300  # seconds
BREAKER = 5.0  # seconds without Redis after it failed, so an outage does not slow every POST

_local: dict[str, tuple[float, dict[str, Any]]] = {}
_sync_client: redis.Redis | None = None
_async_clients: dict[int, aioredis.Redis] = {}
_down_until = 0.0


def key(number: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:whatsapp:channel:{number}"


def _broken(exc: Exception) -> None:
    global _down_until
    if time.monotonic() > _down_until:
        logger.warning("channel cache unavailable for %ss: %s", BREAKER, exc)
    _down_until = time.monotonic() + BREAKER


def _async_client() -> aioredis.Redis:
    loop = id(asyncio.get_running_loop())
    client = _async_clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        _async_clients[loop] = client
    return client


async def get(number: str) -> dict[str, Any] | None:
    if not settings.REDIS_URL:
        found = _local.get(number)
        return found[1] if found and found[0] > time.monotonic() else None
    if time.monotonic() < _down_until:
        return None
    try:
        raw = await _async_client().get(key(number))
    except (redis.RedisError, OSError) as exc:
        _broken(exc)
        return None
    return json.loads(raw) if raw else None


async def put(number: str, entry: dict[str, Any]) -> None:
    if not settings.REDIS_URL:
        _local[number] = (time.monotonic() + ENTRY_TTL, entry)
        return
    if time.monotonic() < _down_until:
        return
    try:
        await _async_client().set(key(number), json.dumps(entry), ex=ENTRY_TTL)
    except (redis.RedisError, OSError) as exc:
        _broken(exc)


def invalidate(number: str) -> None:
    """Drops the entry (call after the change committed)."""
    global _sync_client
    _local.pop(number, None)
    if not settings.REDIS_URL:
        return
    try:
        if _sync_client is None:
            _sync_client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
            )
        _sync_client.delete(key(number))
    except (redis.RedisError, OSError) as exc:
        # The entry expires within ENTRY_TTL; a new secret meanwhile gets 401s and Meta retries.
        logger.warning("could not drop the cached channel %s: %s", number, exc)


async def invalidate_async(number: str) -> None:
    _local.pop(number, None)
    if settings.REDIS_URL and time.monotonic() >= _down_until:
        try:
            await _async_client().delete(key(number))
        except (redis.RedisError, OSError) as exc:
            _broken(exc)
