"""The Redis pub/sub channel layer, decoding a group's message once per process.

channels_redis hands the same received bytes to the queue of every local socket in a group and
each socket's `receive` decodes them again: for an account-wide event (`realtime.FANOUT_TYPE`,
with the numbers of up to thousands of recipients) and a thousand sockets in one web process,
that was a thousand decodes of the same ~10 kB (0.36 s of CPU here) before the first frame went
out. The decoded message is kept for the next socket asking for the same bytes object. Handlers
read messages and never change them (a frame for the browser is always a new dict), so sharing
one decoded message between the sockets of a group is safe.
"""

from __future__ import annotations

from channels_redis.pubsub import RedisPubSubChannelLayer


class SharedDecodeRedisPubSubChannelLayer(RedisPubSubChannelLayer):
    _last: tuple[bytes, dict] | None = None

    def deserialize(self, message: bytes) -> dict:
        last = self._last
        if last is not None and last[0] is message:
            return last[1]
        decoded = super().deserialize(message)
        self._last = (message, decoded)  # one assignment: safe with the publisher's thread
        return decoded
