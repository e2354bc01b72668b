"""Closing the /cable sockets of a replaced pubsub token goes through the Redis publisher like
every frame (regression: it called the publisher with the signature it had before frames were
numbered, and raised TypeError on the Redis channel layer)."""

from __future__ import annotations

from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

from nexloo.core import realtime


def test_close_subscriptions_reaches_the_redis_publisher():
    assert isinstance(get_channel_layer(), RedisPubSubChannelLayer)
    realtime.close_subscriptions("a-replaced-pubsub-token")
    assert realtime.wait_until_sent(timeout=5)
