"""The websocket at `/ws/`: authenticated pushes of the account's events.

A browser authenticates with its session cookie; an API client with `api_access_token` (header or
query string). The server picks the groups: one per account the user belongs to (or only the
`account_id` asked for), never a group named by the client. Cross-origin browsers are refused.

A socket ends with what opened it: it joins its user's control group and closes on a revoke that
matches it (sign-out of its session, password change, token regeneration, removal from an
account it follows; see accounts/sockets.py), and it re-checks its credential and memberships on
every frame it receives (the browser pings every few seconds), which catches a session that
expired or was flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.models import hash_secret
from accounts.presence import presence_heartbeat
from accounts.selectors import memberships_of, token_owner
from nexloo.core.consumers import DirectDispatch
from nexloo.core.realtime import account_group, control_group, fanout_frame, user_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_LATER = 1013  # the channel layer (Redis) cannot be reached
LAYER_TIMEOUT = 3.0


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return None


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # not a browser; only a token may authenticate it (see connect)
    parsed = urlparse(origin)
    host = (_header(scope, b"host") or "").lower()
    if parsed.netloc.lower() == host:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in settings.WEBSOCKET_ALLOWED_ORIGINS}


def _token_user(token: str):
    owner = token_owner(token)
    if owner is None or owner.user is None or not owner.user.is_active:
        return None
    return owner.user


_user_for_token = database_sync_to_async(_token_user)


@database_sync_to_async
def _memberships(user, wanted: str | None) -> list[tuple[int, int]]:
    """(account id, membership id) of the accounts this socket follows."""
    rows = [(m.account_id, m.pk) for m in memberships_of(user=user)]
    if wanted is None:
        return rows
    try:
        return [r for r in rows if r[0] == int(wanted)]
    except ValueError:
        return []


@database_sync_to_async
def _still_valid(*, user_id: int, token: str | None, session_key: str | None, accounts) -> bool:
    """The credential that opened the socket still holds, and so does every membership."""
    from importlib import import_module

    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    if token:
        user = _token_user(token)
        if user is None or user.pk != user_id:
            return False
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
        data = store.load() if session_key else {}
        if str(data.get(SESSION_KEY)) != str(user_id):
            return False
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None or not constant_time_compare(
            data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
        ):
            return False
    followed = {m.account_id for m in memberships_of(user=user)}
    return set(accounts) <= followed


@database_sync_to_async
def _heartbeat(membership_ids: list[int]) -> None:
    for membership_id in membership_ids:
        presence_heartbeat(membership_id=membership_id)


class PushConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        # The base class subscribes to the channel layer before anything else; with Redis away
        # that raises, which the server would answer with a 500 and a traceback per attempt.
        # Refuse the handshake instead: the browser backs off and retries.
        try:
            return await super().__call__(scope, receive, send)
        except (TimeoutError, OSError) as exc:
            self._layer_down(exc)
        except Exception as exc:
            if type(exc).__module__.split(".")[0] != "redis":
                raise
            self._layer_down(exc)
        with contextlib.suppress(Exception):  # the client may have gone already
            await send({"type": "websocket.close", "code": CLOSE_TRY_LATER})

    @staticmethod
    def _layer_down(exc: BaseException) -> None:
        logger.warning("websocket refused: the channel layer is unavailable (%s)", exc)

    async def connect(self) -> None:
        self.joined: list[str] = []
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (
            _header(self.scope, b"api-access-token") or (query.get("api_access_token") or [None])[0]
        )
        if not origin_allowed(self.scope):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if token:
            user = await _user_for_token(token)
        else:
            user = self.scope.get("user")
            if _header(self.scope, b"origin") is None:
                user = None  # a session cookie is only accepted from a same-origin browser
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        memberships = await _memberships(user, (query.get("account_id") or [None])[0])
        if not memberships:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        self.token = token or None
        self.token_hash = hash_secret(token) if token else None
        session = self.scope.get("session")
        self.session_key = None if token else getattr(session, "session_key", None)
        self.account_ids = [account_id for account_id, _m in memberships]
        self.membership_ids = [membership_id for _account, membership_id in memberships]
        self.joined = [user_group(account_id, user.pk) for account_id, _m in memberships]
        self.joined += [account_group(account_id) for account_id, _m in memberships]
        self.joined.append(control_group(user.pk))
        try:
            for group in self.joined:
                await asyncio.wait_for(
                    self.channel_layer.group_add(group, self.channel_name), LAYER_TIMEOUT
                )
        except Exception as exc:
            self._layer_down(exc)
            self.joined = []
            await self.close(code=CLOSE_TRY_LATER)
            return
        await self.accept()
        await _heartbeat(self.membership_ids)

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            # With Redis away its subscriptions went with it: nothing to undo.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.channel_layer.group_discard(group, self.channel_name), LAYER_TIMEOUT
                )

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Only JSON text frames mean something; anything else is ignored, not fatal (the base
        # class raises, which drops the connection and logs an error for a stray frame).
        if not await self._still_valid():
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            # The browser's heartbeat keeps its person available (auto_offline). The pong goes
            # round through the channel layer, so a browser that gets none knows that pushes
            # are not reaching it (Redis away) and re-fetches once they do again.
            await _heartbeat(self.membership_ids)
            try:
                await asyncio.wait_for(
                    self.channel_layer.send(self.channel_name, {"type": "push.pong"}),
                    LAYER_TIMEOUT,
                )
            except Exception as exc:
                self._layer_down(exc)
                await self.close(code=CLOSE_TRY_LATER)

    async def push_pong(self, message: dict) -> None:
        await self.send_json({"type": "pong"})

    async def push_frame(self, message: dict) -> None:
        await self.send_json(message["frame"])

    async def push_fanout(self, message: dict) -> None:
        """An event for many people of the account, sent once to all its sockets: only those
        whose user is among its recipients pass it on."""
        frame = fanout_frame(message, self.user_id)
        if frame is not None:
            await self.send_json(frame)

    async def control_revoke(self, message: dict) -> None:
        if message.get("session_key") and message["session_key"] != self.session_key:
            return
        if message.get("token_hash") and message["token_hash"] != self.token_hash:
            return
        if message.get("account_id") and message["account_id"] not in self.account_ids:
            return
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _still_valid(self) -> bool:
        return await _still_valid(
            user_id=self.user_id,
            token=self.token,
            session_key=self.session_key,
            accounts=self.account_ids,
        )
