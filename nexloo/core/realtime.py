"""The websocket push: group names and a publisher that never blocks a request on Redis.

Every socket joins, per account it follows, its user's group `account.<account_id>.user.<user_id>`
and the account's group `account.<account_id>.all`, chosen by the server after authenticating
it. Who receives an event is computed when the event is published (the account's
administrators, the inbox's members, the users named by the event), so a membership change
takes effect on the next event without touching open sockets.

An event for a few people goes to each one's group. An event for many (FANOUT_AT or more: an
account's administrators, a big inbox) goes once to the account's group, carrying the number
of each recipient: with Redis, that is one message that every web process receives once and
hands to its own sockets, instead of one message per person; a socket whose user is not among
the recipients drops it without sending anything to the browser.

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
SEND_CONCURRENCY = 64  # group_sends in flight per event (each may take a Redis connection)
MAX_PENDING = 10_000
MESSAGE_TYPE = "push.frame"  # handled by the consumer's `push_frame` method


FANOUT_TYPE = "push.fanout"  # handled by the consumers' `push_fanout` method
FANOUT_AT = 16  # recipients from which an event goes once to the account's group


def user_group(account_id: int, user_id: int) -> str:
    return f"account.{account_id}.user.{user_id}"


def account_group(account_id: int) -> str:
    return f"account.{account_id}.all"


def fanout_frame(message: dict[str, Any], user_id: int) -> dict[str, Any] | None:
    """The frame of an account-wide message for one user, or None if it is not for them."""
    seq = message["seqs"].get(str(user_id))
    if seq is None:
        return None
    return {**message["frame"], "seq": seq}


# Every socket also joins its user's control group; a revoke closes the sockets it matches.
CONTROL_TYPE = "control.revoke"  # handled by the consumer's `control_revoke` method


def control_group(user_id: int) -> str:
    return f"user.{user_id}.control"


def revoke_sockets(
    user_id: int,
    *,
    session_key: str | None = None,
    token_hash: str | None = None,
    account_id: int | None = None,
) -> None:
    """Closes the user's open sockets: all of them, or only those of one session, those opened
    with one token (named by its hash), or those following one account. Call it after the
    commit that revoked.

    A token is named, not "every token socket": the revoke travels after the commit, and a
    socket opened at once with the *new* token may already have joined the control group when
    it arrives."""
    message = {
        "type": CONTROL_TYPE,
        "session_key": session_key,
        "token_hash": token_hash,
        "account_id": account_id,
    }
    _send_control(control_group(user_id), message)


def subscription_group(pubsub_token: str) -> str:
    """The group of the `/cable` sockets subscribed with this pubsub token (to close them when
    the token is replaced). Hashed: group names have a restricted alphabet and length."""
    return "pubsub." + hashlib.sha256(pubsub_token.encode()).hexdigest()[:32]


CLOSE_TYPE = "push.close"  # handled by the consumers' `push_close` method


def close_subscriptions(pubsub_token: str) -> None:
    """Closes the sockets subscribed with a pubsub token that was just replaced."""
    _send_control(subscription_group(pubsub_token), {"type": CLOSE_TYPE})


def _send_control(group: str, message: dict[str, Any]) -> None:
    """A control message (not a numbered frame) to one group, without waiting for Redis."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, message)
        return
    _background().submit([(group, message)])


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

    def _in_order(self) -> asyncio.Lock:
        if not hasattr(self, "_order"):
            self._order = asyncio.Lock()  # created on the loop's thread, for its loop
        return self._order

    def submit(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        with self.lock:
            if self.pending >= MAX_PENDING:
                logger.warning("realtime backlog full; dropping a frame")
                return
            self.pending += 1
            self.idle.clear()
        asyncio.run_coroutine_threadsafe(self._send(messages), self.loop)

    async def _send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Hands one event's frames to all their groups at once (at most SEND_CONCURRENCY in
        flight), not one after another: an event for a thousand people reaches the last about
        as soon as the first. Events go out one after another (`in_order`), so that a group
        receives its frames in the order of their `seq`."""
        layer = get_channel_layer()
        gate = asyncio.Semaphore(SEND_CONCURRENCY)

        async def one(group: str, message: dict[str, Any]) -> None:
            async with gate:
                await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT)

        try:
            async with self._in_order():
                results = await asyncio.gather(
                    *(one(g, m) for g, m in messages), return_exceptions=True
                )
            failed = [r for r in results if isinstance(r, BaseException)]
            if failed:
                logger.warning(
                    "realtime push to %d of %d group(s) failed",
                    len(failed),
                    len(messages),
                    exc_info=failed[0],
                )
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


def _next_numbers(groups: list[str]) -> tuple[str, list[int]]:
    """This process's stream id and the next number of each group."""
    global _stream
    with _sequence_lock:
        if _stream is None or _stream[0] != os.getpid():
            _stream = (os.getpid(), uuid.uuid4().hex[:12])
            _sequences.clear()
        numbers = []
        for group in groups:
            numbers.append(_sequences.get(group, 0) + 1)
            _sequences[group] = numbers[-1]
        return _stream[1], numbers


def _numbered(group: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The frame for one group, with this process's stream id and the group's next number."""
    stream, [seq] = _next_numbers([group])
    return {"type": MESSAGE_TYPE, "frame": {**payload, "stream": stream, "seq": seq}}


def _background() -> _LoopThread:
    global _publisher, _publisher_pid
    with _publisher_lock:
        # A forked process (Celery prefork) needs its own thread.
        if _publisher is None or _publisher_pid != os.getpid():
            _publisher = _LoopThread()
            _publisher_pid = os.getpid()
        return _publisher


def publish_to_users(account_id: int, user_ids: Iterable[int], payload: dict[str, Any]) -> None:
    """Sends `payload` (a frame of the account) to each user's sockets, without waiting for the
    channel layer: to each user's group, or, for FANOUT_AT users or more, once to the account's
    group with each user's number. Either way each user's frames are numbered in one sequence
    (that of their group), so a browser sees no gap when an event takes the other path."""
    user_ids = list(dict.fromkeys(user_ids))
    if len(user_ids) < FANOUT_AT:
        publish((user_group(account_id, uid) for uid in user_ids), payload)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    stream, numbers = _next_numbers([user_group(account_id, uid) for uid in user_ids])
    message = {
        "type": FANOUT_TYPE,
        "frame": {**payload, "stream": stream},
        "seqs": {str(uid): seq for uid, seq in zip(user_ids, numbers, strict=True)},
    }
    _deliver(layer, [(account_group(account_id), message)])


def publish(groups: Iterable[str], payload: dict[str, Any]) -> None:
    """Sends `payload` (a frame) to each group, without waiting for the channel layer."""
    groups = list(dict.fromkeys(groups))
    if not groups:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    _deliver(layer, [(group, _numbered(group, payload)) for group in groups])


def _deliver(layer, messages: list[tuple[str, dict[str, Any]]]) -> None:
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
