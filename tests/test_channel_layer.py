"""The Redis pub/sub layer decodes a group's message once per process, not once per socket."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from nexloo.core.channel_layer import SharedDecodeRedisPubSubChannelLayer


def test_the_same_bytes_are_decoded_once():
    layer = SharedDecodeRedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/0"])
    raw = layer.serialize({"type": "push.fanout", "seqs": {"1": 1}})
    first = layer.deserialize(raw)
    assert layer.deserialize(raw) is first  # the next socket of the group: no decode
    again = layer.deserialize(bytes(bytearray(raw)))  # equal bytes, another object: decoded
    assert again == first and again is not first


def test_every_socket_of_a_group_gets_the_message():
    """Through real Redis: three channels of one group in this process each receive it."""
    layer = get_channel_layer()
    assert isinstance(layer, SharedDecodeRedisPubSubChannelLayer)

    async def scenario():
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("test.shared.decode", channel)
        await layer.group_send("test.shared.decode", {"type": "push.fanout", "n": 7})
        received = [await asyncio.wait_for(layer.receive(c), 5) for c in channels]
        for channel in channels:
            await layer.group_discard("test.shared.decode", channel)
        return received

    received = async_to_sync(scenario)()
    assert [m["n"] for m in received] == [7, 7, 7]
    assert received[0] is received[1] is received[2]
