"""A Redis cache that a Redis outage cannot turn into errors.

What Nexloo keeps in the cache — the counts of the conversation list, allauth's sign-in
throttling — can be recomputed or skipped. When Redis is unreachable, reads miss and writes are
dropped (and logged), so pages keep working and nothing waits longer than the socket timeout.

`clear` removes only this cache's keys (its KEY_PREFIX). Django's own `clear` is FLUSHDB, and the
same Redis database holds the Celery broker's queues and the channel layer: a cache clear must
never empty them.

`add` answers True, as if the key were free: allauth takes a lock with it before counting an
attempt, and a lock that can never be taken would refuse every sign-in. Throttling is off until
Redis is back, rather than everyone locked out; nothing else in the project relies on `add`
being exclusive.
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_last_warning = 0.0


def _warn(exc: Exception) -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 30:  # once in a while, not once per request
        _last_warning = time.monotonic()
        logger.warning("cache unavailable, carrying on without it: %s", exc)


def _tolerant(method, fallback):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            _warn(exc)
            return fallback(*args, **kwargs)

    return wrapper


class TolerantRedisCache(RedisCache):
    get = _tolerant(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _tolerant(RedisCache.get_many, lambda keys, version=None: {})
    has_key = _tolerant(RedisCache.has_key, lambda key, version=None: False)
    add = _tolerant(RedisCache.add, lambda *a, **k: True)
    set = _tolerant(RedisCache.set, lambda *a, **k: None)
    set_many = _tolerant(RedisCache.set_many, lambda data, *a, **k: list(data))
    touch = _tolerant(RedisCache.touch, lambda *a, **k: False)
    delete = _tolerant(RedisCache.delete, lambda *a, **k: False)
    delete_many = _tolerant(RedisCache.delete_many, lambda *a, **k: None)
    incr = _tolerant(RedisCache.incr, lambda key, delta=1, version=None: delta)

    def clear(self) -> bool:
        client = self._cache.get_client(None, write=True)
        pattern = f"{self.key_prefix}:*"  # every version of every key of this cache
        removed = 0
        try:
            batch = []
            for key in client.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += client.delete(*batch)
                    batch = []
            if batch:
                removed += client.delete(*batch)
        except RedisError as exc:
            _warn(exc)
            return False
        return True
