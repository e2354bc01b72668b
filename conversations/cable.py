"""`/cable`: the account's events in Chatwoot's ActionCable framing, for Chatwoot's own apps and
dashboards.

The socket opens anonymously and gets `{"type": "welcome"}`, then a ping every
`CABLE_PING_SECONDS` (`{"type": "ping", "message": <unix time>}`). A `subscribe` command names
`RoomChannel` with the profile's `pubsub_token` (and, as Chatwoot's dashboard sends them,
`account_id` and `user_id`); a token that is unknown, revoked, or does not match the ids gets
`reject_subscription`. A confirmed subscription joins the same server-chosen groups as `/ws/`
(`account.<id>.user.<user_id>` and `account.<id>.all`) and receives
`{"identifier": …, "message": {"event", "data"}}`.
Replacing the token (profile → new token) closes the socket.
"""

from __future__ import annotations

import asyncio
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.selectors import memberships_of, pubsub_owner
from nexloo.core.consumers import DirectDispatch
from nexloo.core.realtime import account_group, fanout_frame, subscription_group, user_group

SUBPROTOCOLS = ("actioncable-v1-json", "actioncable-unsupported")


@database_sync_to_async
def _subscription(identifier: dict) -> tuple[int, list[int]] | None:
    """(user id, account ids) a RoomChannel identifier may follow, or None."""
    user = pubsub_owner(identifier.get("pubsub_token"))
    if user is None:
        return None
    wanted_user = identifier.get("user_id")
    if wanted_user not in (None, "") and str(wanted_user) != str(user.pk):
        return None
    accounts = [m.account_id for m in memberships_of(user=user)]
    wanted_account = identifier.get("account_id")
    if wanted_account not in (None, ""):
        accounts = [a for a in accounts if str(a) == str(wanted_account)]
    if not accounts:
        return None
    return user.pk, accounts


class CableConsumer(DirectDispatch, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.subscriptions: dict[int, str] = {}  # account id → identifier
        self.users: dict[int, int] = {}  # account id → the user subscribed for it
        self.joined: set[str] = set()
        offered = self.scope.get("subprotocols") or []
        chosen = next((p for p in SUBPROTOCOLS if p in offered), None)
        await self.accept(subprotocol=chosen)
        await self._send({"type": "welcome"})
        self.pinger = asyncio.ensure_future(self._ping())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "pinger", None):
            self.pinger.cancel()
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(settings.CABLE_PING_SECONDS)
            await self._send({"type": "ping", "message": int(time.time())})

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":"), default=str))

    async def receive(self, text_data=None, bytes_data=None) -> None:
        try:
            command = json.loads(text_data or "")
            raw = command["identifier"]
            identifier = json.loads(raw) if isinstance(raw, str) else None
        except (ValueError, KeyError, TypeError):
            return  # not an ActionCable command: ignored, as Rails does
        if not isinstance(identifier, dict):
            return
        if command.get("command") == "subscribe":
            await self._subscribe(raw, identifier)
        elif command.get("command") == "unsubscribe":
            self.subscriptions = {a: i for a, i in self.subscriptions.items() if i != raw}

    async def _subscribe(self, raw: str, identifier: dict) -> None:
        allowed = None
        if identifier.get("channel") == "RoomChannel":
            allowed = await _subscription(identifier)
        if allowed is None:
            await self._send({"identifier": raw, "type": "reject_subscription"})
            return
        user_id, account_ids = allowed
        groups = {user_group(a, user_id) for a in account_ids}
        groups |= {account_group(a) for a in account_ids}
        groups.add(subscription_group(identifier["pubsub_token"]))
        for group in groups - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined |= groups
        for account_id in account_ids:
            self.subscriptions[account_id] = raw
            self.users[account_id] = user_id
        await self._send({"identifier": raw, "type": "confirm_subscription"})

    async def push_fanout(self, message: dict) -> None:
        account_id = message["frame"].get("account_id")
        if account_id in self.users and fanout_frame(message, self.users[account_id]):
            await self.push_frame({"frame": message["frame"]})

    async def push_frame(self, message: dict) -> None:
        frame = message["frame"]
        identifier = self.subscriptions.get(frame.get("account_id"))
        if identifier is None:
            return
        await self._send(
            {"identifier": identifier, "message": {"event": frame["event"], "data": frame["data"]}}
        )

    async def push_close(self, message: dict) -> None:
        await self.close()
