# ruff: noqa: F811  (the `people` and `either_path` fixtures are imported from test_realtime)
"""Issue 8 §3: a websocket ends with what opened it — sign-out, a flushed or expired session,
a password change, token regeneration, removal from the account — and stops receiving an
inbox's events once its person leaves the inbox or stops being an administrator; with the real
ASGI application, Channels' communicator and the Redis channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from conversations import services as conv_services
from inboxes import services as inbox_services
from nexloo.core.realtime import revoke_sockets
from tests.conversations.test_realtime import (  # noqa: F401  (the fixtures)
    Socket,
    after_commit,
    either_path,
    open_conversation,
    people,
    run,
    token_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_passwords")]

ORIGIN = (b"origin", b"http://testserver")


def signed_in(membership) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    name = settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}".encode()


async def open_socket(*, cookie: bytes | None = None, token: str | None = None) -> Socket:
    if token:
        socket = Socket(f"?api_access_token={token}")
    else:
        socket = Socket(headers=[(b"cookie", cookie), ORIGIN])
    ok, detail = await socket.connect()
    assert ok, detail
    return socket


async def closed(socket: Socket, timeout: float = 5) -> int | None:
    """The close code the server sent (frames before it skipped)."""
    while True:
        output = await socket.communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            socket.connected = False
            return output.get("code")


async def still_open(socket: Socket) -> bool:
    await socket.communicator.send_json_to({"type": "ping"})
    return (await socket.communicator.receive_json_from(timeout=5)) == {"type": "pong"}


def test_signing_out_closes_that_sessions_sockets_only(people):
    browser, cookie = signed_in(people.sofia)
    _other_browser, other_cookie = signed_in(people.sofia)

    async def scenario():
        mine = await open_socket(cookie=cookie)
        other = await open_socket(cookie=other_cookie)
        await sync_to_async(browser.post)(reverse("account_logout"))
        assert await closed(mine) == 4401
        assert await still_open(other)  # her other browser is still signed in
        await other.close()

    run(scenario)


def test_a_flushed_or_expired_session_closes_on_the_next_frame(people):
    _browser, cookie = signed_in(people.sofia)

    async def scenario():
        socket = await open_socket(cookie=cookie)
        assert await still_open(socket)
        await sync_to_async(lambda: Session.objects.all().delete())()
        await socket.communicator.send_json_to({"type": "ping"})
        assert await closed(socket) == 4401

    run(scenario)


def test_a_password_change_closes_every_socket_of_the_person(people):
    _browser, cookie = signed_in(people.sofia)

    async def scenario():
        token = await sync_to_async(token_for)(people.sofia)
        by_session = await open_socket(cookie=cookie)
        by_token = await open_socket(token=token)
        await after_commit(
            lambda: account_services.user_set_password(
                user=people.sofia.user, password="Outra-senha-forte-7"
            )
        )
        assert await closed(by_session) == 4401
        assert await closed(by_token) == 4401

    run(scenario)


def test_regenerating_the_token_closes_the_sockets_it_opened(people):
    _browser, cookie = signed_in(people.sofia)

    async def scenario():
        token = await sync_to_async(token_for)(people.sofia)
        by_token = await open_socket(token=token)
        by_session = await open_socket(cookie=cookie)
        await after_commit(lambda: account_services.access_token_regenerate(user=people.sofia.user))
        assert await closed(by_token) == 4401
        assert await still_open(by_session)  # the browser did not use the token
        await by_session.close()
        # The old token opens nothing any more.
        assert await Socket(f"?api_access_token={token}").connect() == (False, 4401)

    run(scenario)


def test_a_socket_opened_with_the_new_token_outlives_the_late_revoke(people, monkeypatch):
    """The revoke travels after the commit; a client that regenerates its token and connects at
    once with the new one may be subscribed before it arrives. Only the old token's sockets
    close (this raced in the suite: a socket opened right after `token_for` was closed)."""
    held = []
    monkeypatch.setattr("accounts.sockets.revoke_sockets", lambda *a, **k: held.append((a, k)))

    async def scenario():
        old = await sync_to_async(token_for)(people.sofia)
        by_old = await open_socket(token=old)
        held.clear()
        new = await after_commit(
            lambda: account_services.access_token_regenerate(user=people.sofia.user)
        )
        by_new = await open_socket(token=new)
        [(args, kwargs)] = held
        await sync_to_async(revoke_sockets)(*args, **kwargs)  # arrives late
        assert await closed(by_old) == 4401
        assert await still_open(by_new)
        await by_new.close()

    run(scenario)


def test_removal_from_the_account_closes_the_socket(people):
    async def scenario():
        token = await sync_to_async(token_for)(people.sofia)
        socket = await open_socket(token=token)
        await after_commit(
            lambda: account_services.agent_remove(
                account=people.account, actor=people.ana, membership=people.sofia
            )
        )
        assert await closed(socket) == 4401

    run(scenario)


def test_a_revoked_token_is_noticed_on_the_next_frame_even_without_the_event(people, monkeypatch):
    """If the revoke event is lost (Redis hiccup), the next frame still ends the socket."""

    async def scenario():
        token = await sync_to_async(token_for)(people.sofia)
        socket = await open_socket(token=token)
        monkeypatch.setattr("accounts.sockets.revoke_sockets", lambda *a, **k: None)
        await after_commit(lambda: account_services.access_token_regenerate(user=people.sofia.user))
        await socket.communicator.send_json_to({"type": "ping"})
        assert await closed(socket) == 4401

    run(scenario)


# --- Losing access to an inbox: the socket stays open, its events stop ----------------------------


async def drain(socket: Socket) -> list[str]:
    """The events of the frames that arrive until the socket is quiet (those of the change of
    access itself, which the person is told about)."""
    names = []
    while not await socket.nothing():
        names.append((await socket.communicator.receive_json_from(timeout=5)).get("event"))
    return names


def activity_in(people, conversation):
    """A new conversation, a reply and a private note in the inbox of `conversation`."""
    open_conversation(conversation.inbox)
    for private in (False, True):
        conv_services.message_send(
            account=people.account,
            actor=people.ana,
            conversation=conversation,
            content="Segue o orçamento",
            private=private,
        )


@pytest.mark.usefixtures("either_path")
def test_an_agent_taken_out_of_the_inbox_receives_nothing_more_of_it(people):
    conversation = open_conversation(people.inbox_x)

    async def scenario():
        token = await sync_to_async(token_for)(people.sofia)
        socket = await open_socket(token=token)
        await after_commit(
            lambda: conv_services.message_send(
                account=people.account,
                actor=people.ana,
                conversation=conversation,
                content="Antes",
            )
        )
        assert (await socket.event("message.created"))["data"]["content"] == "Antes"
        await after_commit(
            lambda: inbox_services.inbox_members_remove(
                account=people.account,
                actor=people.ana,
                inbox=people.inbox_x,
                user_ids=[people.sofia.user_id],
            )
        )
        await drain(socket)
        await after_commit(lambda: activity_in(people, conversation))
        assert await socket.nothing()
        assert await still_open(socket)  # still in the account: only the inbox's events stop
        await socket.close()

    run(scenario)


@pytest.mark.usefixtures("either_path")
def test_an_administrator_demoted_to_agent_receives_nothing_more_of_inboxes_not_theirs(people):
    second_admin = people.carla
    conversation = open_conversation(people.inbox_x)

    async def scenario():
        await after_commit(
            lambda: account_services.agent_update(
                account=people.account,
                actor=people.ana,
                membership=second_admin,
                role="administrator",
            )
        )
        token = await sync_to_async(token_for)(second_admin)
        socket = await open_socket(token=token)
        await after_commit(
            lambda: conv_services.message_send(
                account=people.account,
                actor=people.ana,
                conversation=conversation,
                content="Antes",
            )
        )
        assert (await socket.event("message.created"))["data"]["content"] == "Antes"
        await after_commit(
            lambda: account_services.agent_update(
                account=people.account, actor=people.ana, membership=second_admin, role=Role.AGENT
            )
        )
        await drain(socket)
        await after_commit(lambda: activity_in(people, conversation))
        assert await socket.nothing()
        assert await still_open(socket)
        await socket.close()

    run(scenario)
