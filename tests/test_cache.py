"""The cache shares its Redis database with the broker and the channel layer."""

import redis
from django.conf import settings
from django.core.cache import cache


def test_clear_keeps_other_keys():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("someone-else:queue", "1")
    cache.set("mine", 1)
    assert cache.get("mine") == 1
    cache.clear()
    assert cache.get("mine") is None
    assert client.get("someone-else:queue") == b"1"
    client.delete("someone-else:queue")
