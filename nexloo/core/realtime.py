"""The websocket push: group names and a publisher that never blocks a request on Redis.

Every socket joins one group per account it follows, `account.<account_id>.user.<user_id>`,
chosen by the server after authenticating it. Who receives an event is computed when the event
is published (the account's administrators, the inbox's members, the users named by the event),
so a membership change takes effect on the next event without touching open sockets.

With the Redis channel layer, frames are handed to a background thread that owns its own event
loop: the request (or task) that caused the event returns at once, and when Redis is slow or
down the frame is dropped after a short timeout and logged. The push is a hint; the database is
the record, and browsers reload what they show when they reconnect.

Every frame carries `stream` (this publishing process) and `seq` (1, 2, 3, ... per group and
process, counted when the frame is published, whether or not it reaches Redis): a browser that
sees a stream's `seq` jump knows it missed frames and re-fetches what it shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 2.0
MAX_PENDING = 10_000
MESSAGE_TYPE = "push.frame"  # handled by the consumer's `push_frame` method


def user_group(account_id: int, user_id: int) -> str:
    return f"account.{account_id}.user.{user_id}"


def subscription_group(pubsub_token: str) -> str:
    """The group of the `/cable` sockets subscribed with this pubsub token (to close them when
    the token is replaced). Hashed: group names have a restricted alphabet and length."""
    return "pubsub." + hashlib.sha256(pubsub_token.encode()).hexdigest()[:32]


CLOSE_TYPE = "push.close"  # handled by the consumers' `push_close` method


def close_subscriptions(pubsub_token: str) -> None:
    """Closes the sockets subscribed with a pubsub token that was just replaced."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": CLOSE_TYPE}
    group = subscription_group(pubsub_token)
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, message)
        return
    _background().submit([group], message)


def frame(event_name: str, data: dict[str, Any], account_id: int) -> dict[str, Any]:
    return {"event": event_name, "data": data, "account_id": account_id}


class _LoopThread:
    """A daemon thread running an asyncio loop that sends to the channel layer."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pending = 0
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="realtime-publisher", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        with self.lock:
            if self.pending >= MAX_PENDING:
                logger.warning("realtime backlog full; dropping a frame")
                return
            self.pending += 1
            self.idle.clear()
        asyncio.run_coroutine_threadsafe(self._send(messages), self.loop)

    async def _send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        layer = get_channel_layer()
        try:
            for group, message in messages:
                await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT)
        except Exception:
            logger.warning("realtime push to %d group(s) failed", len(messages), exc_info=True)
        finally:
            with self.lock:
                self.pending -= 1
                if self.pending == 0:
                    self.idle.set()


_publisher: _LoopThread | None = None
_publisher_pid: int | None = None
_publisher_lock = threading.Lock()


_sequence_lock = threading.Lock()
_sequences: dict[str, int] = {}
_stream: tuple[int, str] | None = None  # (pid, stream id): a forked process starts a new stream


def _numbered(group: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The frame for one group, with this process's stream id and the group's next number."""
    global _stream
    with _sequence_lock:
        if _stream is None or _stream[0] != os.getpid():
            _stream = (os.getpid(), uuid.uuid4().hex[:12])
            _sequences.clear()
        seq = _sequences[group] = _sequences.get(group, 0) + 1
        return {"type": MESSAGE_TYPE, "frame": {**payload, "stream": _stream[1], "seq": seq}}


def _background() -> _LoopThread:
    global _publisher, _publisher_pid
    with _publisher_lock:
        # A forked process (Celery prefork) needs its own thread.
        if _publisher is None or _publisher_pid != os.getpid():
            _publisher = _LoopThread()
            _publisher_pid = os.getpid()
        return _publisher


def publish(groups: Iterable[str], payload: dict[str, Any]) -> None:
    """Sends `payload` (a frame) to each group, without waiting for the channel layer."""
    groups = list(dict.fromkeys(groups))
    if not groups:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    messages = [(group, _numbered(group, payload)) for group in groups]
    if isinstance(layer, InMemoryChannelLayer):
        # In-process layer (development without Redis): it never blocks, and it must be used
        # from the server's own event loop, which async_to_sync reaches from a sync view.
        for group, message in messages:
            async_to_sync(layer.group_send)(group, message)
        return
    _background().submit(messages)


def wait_until_sent(timeout: float = 5.0) -> bool:
    """Blocks until every submitted frame has been handed to the layer (tests, shutdown)."""
    if _publisher is None or _publisher_pid != os.getpid():
        return True
    return _publisher.idle.wait(timeout)
