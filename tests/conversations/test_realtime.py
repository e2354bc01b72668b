"""The websocket at /ws/ against the real Redis channel layer: who may connect, which groups a
socket joins, who receives which event (and who does not), the frame format, and the ping that
keeps a person present.

Each test is synchronous and drives one asyncio scenario with `async_to_sync`; database work in
the scenario goes through `sync_to_async`, which runs it on the test's own thread and connection.
Commits are real (transactional tests), so events are pushed exactly as in production: after the
commit, from the publisher's background thread.
"""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccountUser
from conversations import services
from conversations.models import Conversation
from inboxes import services as inbox_services
from nexloo.asgi import application
from nexloo.core import realtime
from tests.factories import (
    AccountFactory,
    AccountUserFactory,
    AdminFactory,
    ContactInboxFactory,
    InboxFactory,
    InboxMemberFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_passwords")]

HOST = b"testserver"
QUIET = 0.5  # how long a socket must stay silent to count as "received nothing"


class Socket:
    """A websocket client of the real ASGI application."""

    def __init__(self, query: str = "", headers: list[tuple[bytes, bytes]] | None = None):
        self.communicator = WebsocketCommunicator(
            application, f"/ws/{query}", headers=[(b"host", HOST), *(headers or [])]
        )
        self.connected = False

    async def connect(self) -> tuple[bool, int | None]:
        self.connected, detail = await self.communicator.connect(timeout=5)
        return self.connected, detail

    async def event(self, name: str, timeout: float = 5) -> dict:
        """The next frame of that event (frames of other events before it are skipped)."""
        while True:
            frame = await self.communicator.receive_json_from(timeout=timeout)
            if frame.get("event") == name:
                return frame

    async def events(self, *names: str) -> list[dict]:
        return [await self.event(name) for name in names]

    async def nothing(self) -> bool:
        return await self.communicator.receive_nothing(timeout=QUIET)

    async def close(self) -> None:
        if self.connected:
            await self.communicator.disconnect()


def token_for(membership) -> str:
    return account_services.access_token_regenerate(user=membership.user)


def session_cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def run(scenario) -> None:
    async_to_sync(scenario)()


def after_commit(action):
    """Runs a service on the test's thread (its commit is real), then waits until the publisher
    has handed every frame to Redis."""

    def _run():
        result = action()
        assert realtime.wait_until_sent(5)
        return result

    return sync_to_async(_run)()


@pytest.fixture
def people():
    """Account A: Ana (administrator), Sofia (agent of inbox X), Carla (agent of no inbox),
    Bruno (agent of inbox Y only). Account B: Otto (administrator)."""
    account = AccountFactory(name="Cenário 4 Ltda")
    inbox_x = InboxFactory(account=account, name="WhatsApp Comercial", enable_auto_assignment=False)
    inbox_y = InboxFactory(account=account, name="WhatsApp Financeiro")
    ana = AdminFactory(account=account, user__name="Ana Administradora")
    sofia = AccountUserFactory(account=account, user__name="Sofia Secretária")
    carla = AccountUserFactory(account=account, user__name="Carla Comercial")
    bruno = AccountUserFactory(account=account, user__name="Bruno Financeiro")
    InboxMemberFactory(inbox=inbox_x, account_user=sofia)
    InboxMemberFactory(inbox=inbox_y, account_user=bruno)
    otto = AdminFactory(account=AccountFactory(name="Outra Empresa"), user__name="Otto de Fora")
    return types.SimpleNamespace(
        account=account,
        inbox_x=inbox_x,
        inbox_y=inbox_y,
        ana=ana,
        sofia=sofia,
        carla=carla,
        bruno=bruno,
        otto=otto,
    )


@pytest.fixture(params=["per user", "account-wide"])
def either_path(request, monkeypatch):
    """Each test of who receives what runs twice: with every event sent to each recipient's
    group, and with every event sent once to the account's group (as events for many are)."""
    monkeypatch.setattr(realtime, "FANOUT_AT", 10**6 if request.param == "per user" else 1)
    return request.param


async def connected(*memberships) -> list[Socket]:
    sockets = []
    for membership in memberships:
        token = await sync_to_async(token_for)(membership)
        socket = Socket(f"?api_access_token={token}")
        ok, detail = await socket.connect()
        assert ok, detail
        sockets.append(socket)
    return sockets


def open_conversation(inbox) -> Conversation:
    return services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox, contact__name="Maria Souza")
    ).conversation


# --- Who may connect ---------------------------------------------------------------------------


class TestConnect:
    def test_anonymous_is_refused(self, people):
        async def scenario():
            socket = Socket()
            assert await socket.connect() == (False, 4401)

        run(scenario)

    def test_a_wrong_token_is_refused(self, people):
        async def scenario():
            socket = Socket("?api_access_token=not-a-token")
            assert await socket.connect() == (False, 4401)

        run(scenario)

    def test_token_in_the_query_string(self, people):
        token = token_for(people.sofia)

        async def scenario():
            socket = Socket(f"?api_access_token={token}")
            assert (await socket.connect())[0] is True
            await socket.close()

        run(scenario)

    @pytest.mark.parametrize("header", [b"api_access_token", b"api-access-token"])
    def test_token_in_the_header(self, people, header):
        token = token_for(people.sofia)

        async def scenario():
            socket = Socket(headers=[(header, token.encode())])
            assert (await socket.connect())[0] is True
            await socket.close()

        run(scenario)

    def test_session_cookie_from_the_same_origin(self, people):
        cookie = session_cookie(people.sofia)

        async def scenario():
            socket = Socket(headers=[(b"cookie", cookie), (b"origin", b"http://testserver")])
            assert (await socket.connect())[0] is True
            await socket.close()

        run(scenario)

    def test_session_cookie_from_another_origin_is_refused(self, people):
        cookie = session_cookie(people.sofia)

        async def scenario():
            socket = Socket(headers=[(b"cookie", cookie), (b"origin", b"https://evil.example")])
            assert await socket.connect() == (False, 4403)

        run(scenario)

    def test_session_cookie_without_an_origin_is_refused(self, people):
        """Only a browser sends the cookie by itself, and browsers always send Origin."""
        cookie = session_cookie(people.sofia)

        async def scenario():
            socket = Socket(headers=[(b"cookie", cookie)])
            assert await socket.connect() == (False, 4401)

        run(scenario)

    def test_an_origin_allowed_by_settings(self, people, settings):
        settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.nexloo.com.br"]
        cookie = session_cookie(people.sofia)

        async def scenario():
            socket = Socket(
                headers=[(b"cookie", cookie), (b"origin", b"https://app.nexloo.com.br")]
            )
            assert (await socket.connect())[0] is True
            await socket.close()

        run(scenario)

    def test_a_logged_out_session_is_refused(self, people):
        cookie = session_cookie(people.sofia)
        Session.objects.all().delete()

        async def scenario():
            socket = Socket(headers=[(b"cookie", cookie), (b"origin", b"http://testserver")])
            assert await socket.connect() == (False, 4401)

        run(scenario)


# --- Which groups ------------------------------------------------------------------------------


@pytest.mark.usefixtures("either_path")
class TestGroups:
    @pytest.fixture
    def both(self, people):
        """Sofia is also an administrator of the other account."""
        AdminFactory(account=people.otto.account, user=people.sofia.user)
        return people

    def test_account_id_limits_the_socket_to_that_account(self, both):
        token = token_for(both.sofia)
        other = both.otto.account

        async def scenario():
            only_other = Socket(f"?api_access_token={token}&account_id={other.pk}")
            assert (await only_other.connect())[0] is True
            every = Socket(f"?api_access_token={token}")
            assert (await every.connect())[0] is True
            await after_commit(lambda: open_conversation(both.inbox_x))
            created = await every.event("conversation.created")
            assert created["account_id"] == both.account.pk
            assert await only_other.nothing()
            await after_commit(lambda: open_conversation(InboxFactory(account=other)))
            assert (await only_other.event("conversation.created"))["account_id"] == other.pk
            assert (await every.event("conversation.created"))["account_id"] == other.pk
            await only_other.close()
            await every.close()

        run(scenario)

    @pytest.mark.parametrize("wanted", ["OTHER", "999999", "abc"])
    def test_an_account_the_user_does_not_belong_to_is_refused(self, people, wanted):
        token = token_for(people.sofia)
        wanted = str(people.otto.account_id) if wanted == "OTHER" else wanted

        async def scenario():
            socket = Socket(f"?api_access_token={token}&account_id={wanted}")
            assert await socket.connect() == (False, 4403)

        run(scenario)

    def test_the_client_cannot_name_a_group(self, people):
        """Nothing the client sends subscribes it to anything: Bruno asking for Sofia's group
        still receives nothing of inbox X."""
        token = token_for(people.bruno)
        group = realtime.user_group(people.account.pk, people.sofia.user_id)

        async def scenario():
            socket = Socket(f"?api_access_token={token}&group={group}")
            assert (await socket.connect())[0] is True
            await socket.communicator.send_json_to({"type": "subscribe", "group": group})
            await after_commit(lambda: open_conversation(people.inbox_x))
            assert await socket.nothing()
            await socket.close()

        run(scenario)


# --- Who receives what -------------------------------------------------------------------------


@pytest.mark.usefixtures("either_path")
class TestAudience:
    def test_new_conversation_and_assignment(self, people):
        async def scenario():
            ana, sofia, carla, bruno, otto = await connected(
                people.ana, people.sofia, people.carla, people.bruno, people.otto
            )
            conversation = await after_commit(lambda: open_conversation(people.inbox_x))
            for socket in (ana, sofia):
                frame = await socket.event("conversation.created")
                assert frame["data"]["id"] == conversation.display_id
                assert frame["data"]["inbox_id"] == people.inbox_x.pk
            for socket in (carla, bruno, otto):
                assert await socket.nothing()

            # Given to Sofia (a member of the inbox): she, Ana and nobody else are told.
            await after_commit(
                lambda: services.conversation_assign_agent(
                    account=people.account,
                    actor=people.ana,
                    conversation=conversation,
                    assignee=people.sofia,
                )
            )
            for socket in (ana, sofia):
                frame = await socket.event("assignee.changed")
                assert frame["data"]["id"] == conversation.display_id
                assert frame["data"]["meta"]["assignee"]["id"] == people.sofia.user_id
            for socket in (carla, bruno, otto):
                assert await socket.nothing()

            # Sofia leaves the inbox: her conversation there is unassigned, and she is told
            # (no longer a member) so that it leaves her "Minhas".
            await after_commit(
                lambda: inbox_services.inbox_members_remove(
                    account=people.account,
                    actor=people.ana,
                    inbox=people.inbox_x,
                    user_ids=[people.sofia.user_id],
                )
            )
            for socket in (ana, sofia):
                frame = await socket.event("assignee.changed")
                assert frame["data"]["assignee_id"] is None
            for socket in (carla, bruno, otto):
                assert await socket.nothing()
            for socket in (ana, sofia, carla, bruno, otto):
                await socket.close()

        run(scenario)

    def test_private_note_reaches_the_agents_marked_private(self, people):
        conversation = open_conversation(people.inbox_x)

        async def scenario():
            ana, sofia, bruno = await connected(people.ana, people.sofia, people.bruno)
            note = await after_commit(
                lambda: services.message_send(
                    account=people.account,
                    actor=people.sofia,
                    conversation=conversation,
                    content="Cliente quer 30 unidades",
                    private=True,
                )
            )
            for socket in (ana, sofia):
                frame = await socket.event("message.created")
                assert frame["data"]["id"] == note.pk
                assert frame["data"]["private"] is True
                assert frame["data"]["content"] == "Cliente quer 30 unidades"
                assert frame["data"]["conversation_id"] == conversation.display_id
            assert await bruno.nothing()
            for socket in (ana, sofia, bruno):
                await socket.close()

        run(scenario)

    def test_frames_carry_event_data_and_account(self, people):
        async def scenario():
            [sofia] = await connected(people.sofia)
            conversation = await after_commit(lambda: open_conversation(people.inbox_x))
            await after_commit(
                lambda: services.conversation_status_set(
                    account=people.account,
                    actor=people.sofia,
                    conversation=conversation,
                    status="resolved",
                )
            )
            frame = await sofia.event("conversation.status_changed")
            assert {"event", "data", "account_id"} <= set(frame)
            assert frame["account_id"] == people.account.pk
            assert (frame["data"]["id"], frame["data"]["status"]) == (
                conversation.display_id,
                "resolved",
            )
            assert frame["performer"] == {
                "type": "user",
                "id": people.sofia.user_id,
                "name": "Sofia Secretária",
            }
            await sofia.close()

        run(scenario)

    def test_joining_an_inbox_takes_effect_on_the_next_event(self, people):
        """Recipients are computed per event: no reconnect needed after a membership change."""

        async def scenario():
            [bruno] = await connected(people.bruno)
            await after_commit(lambda: open_conversation(people.inbox_x))
            assert await bruno.nothing()
            await sync_to_async(InboxMemberFactory)(inbox=people.inbox_x, account_user=people.bruno)
            await after_commit(lambda: open_conversation(people.inbox_x))
            await bruno.event("conversation.created")
            await bruno.close()

        run(scenario)


# --- Presence ----------------------------------------------------------------------------------


class TestPing:
    def test_connecting_and_ping_record_the_heartbeat(self, people):
        membership = people.sofia

        def last_seen():
            return AccountUser.objects.get(pk=membership.pk).last_seen_at

        def age_it():
            AccountUser.objects.filter(pk=membership.pk).update(
                last_seen_at=timezone.now() - timedelta(minutes=10)
            )

        assert last_seen() is None

        async def scenario():
            [socket] = await connected(membership)
            assert await sync_to_async(last_seen)() is not None
            await sync_to_async(age_it)()
            started = timezone.now()
            await socket.communicator.send_json_to({"type": "ping"})
            assert await socket.communicator.receive_json_from(timeout=5) == {"type": "pong"}
            assert await sync_to_async(last_seen)() >= started
            await socket.close()

        run(scenario)

    def test_ping_brings_back_an_agent_who_was_away(self, people):
        """With auto_offline, an agent whose browsers were closed counts as offline; the first
        heartbeat brings her back and everyone in the account is told."""
        AccountUser.objects.filter(pk=people.sofia.pk).update(
            auto_offline=True, last_seen_at=timezone.now() - timedelta(hours=1)
        )

        async def scenario():
            [ana] = await connected(people.ana)
            [sofia] = await connected(people.sofia)  # connecting is the first heartbeat
            frame = await ana.event("presence.update")
            assert frame["account_id"] == people.account.pk
            assert frame["data"]["users"] == {str(people.sofia.user_id): "online"}
            await sofia.close()
            await ana.close()

        run(scenario)

    def test_a_malformed_frame_does_not_kill_the_socket(self, people):
        async def scenario():
            [socket] = await connected(people.sofia)
            await socket.communicator.send_to(text_data="isto não é json")
            await socket.communicator.send_to(bytes_data=b"\x00\x01")
            await socket.communicator.send_json_to({"type": "ping"})
            assert await socket.communicator.receive_json_from(timeout=5) == {"type": "pong"}
            await socket.close()

        run(scenario)


# --- Catching up ---------------------------------------------------------------------------


@pytest.mark.usefixtures("either_path")
class TestCatchUp:
    def test_frames_are_numbered_per_socket_stream(self, people):
        """A browser that sees `seq` jump within a `stream` knows it missed frames."""

        async def scenario():
            [sofia] = await connected(people.sofia)
            first = await after_commit(lambda: open_conversation(people.inbox_x))
            frames = [await sofia.event("conversation.created")]
            await after_commit(
                lambda: services.conversation_status_set(
                    account=people.account,
                    actor=people.ana,
                    conversation=first,
                    status="resolved",
                )
            )
            frames.append(await sofia.event("conversation.status_changed"))
            assert frames[0]["stream"] == frames[1]["stream"]
            assert frames[1]["seq"] > frames[0]["seq"]
            await sofia.close()

        run(scenario)

    def test_one_sequence_whichever_path_a_frame_took(self, people, monkeypatch):
        """A frame sent to Sofia's group and the next sent once to the account's group are
        numbered one after the other: the browser sees no gap when the audience grows."""

        async def scenario():
            [sofia] = await connected(people.sofia)
            monkeypatch.setattr(realtime, "FANOUT_AT", 10**6)
            await after_commit(lambda: open_conversation(people.inbox_x))
            first = await sofia.event("conversation.created")
            monkeypatch.setattr(realtime, "FANOUT_AT", 1)
            await after_commit(lambda: open_conversation(people.inbox_x))
            second = await sofia.event("conversation.created")
            assert second["stream"] == first["stream"]
            assert second["seq"] == first["seq"] + 1
            await sofia.close()

        run(scenario)

    def test_a_frame_that_could_not_be_sent_leaves_a_gap(self, people, monkeypatch):
        """Redis away for a frame: the next frame that arrives shows the jump."""
        sent = []

        async def scenario():
            [sofia] = await connected(people.sofia)
            await after_commit(lambda: open_conversation(people.inbox_x))
            sent.append(await sofia.event("conversation.created"))
            layer = realtime.get_channel_layer()

            async def refused(group, message):
                raise ConnectionError("Redis away")

            with monkeypatch.context() as patch:
                patch.setattr(layer, "group_send", refused, raising=False)
                await after_commit(lambda: open_conversation(people.inbox_x))
            await after_commit(lambda: open_conversation(people.inbox_x))
            sent.append(await sofia.event("conversation.created"))
            assert sent[1]["stream"] == sent[0]["stream"]
            assert sent[1]["seq"] > sent[0]["seq"] + 1  # the lost ones were counted
            await sofia.close()

        run(scenario)

    def test_the_pong_goes_round_through_the_channel_layer(self, people, monkeypatch):
        """No pong while the layer is away: the socket is closed so the browser reconnects
        and re-fetches once Redis is back."""

        async def scenario():
            [sofia] = await connected(people.sofia)
            layer = realtime.get_channel_layer()

            async def refused(channel, message):
                raise ConnectionError("Redis away")

            monkeypatch.setattr(layer, "send", refused, raising=False)
            await sofia.communicator.send_json_to({"type": "ping"})
            closed = await sofia.communicator.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 1013}

        run(scenario)

    def test_a_socket_opened_while_redis_is_away_is_refused_cleanly(self, people, settings, caplog):
        settings.CHANNEL_LAYERS = {
            "default": {
                **settings.CHANNEL_LAYERS["default"],
                "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "prefix": "nexloo-test-down"},
            }
        }

        async def scenario():
            token = await sync_to_async(token_for)(people.sofia)
            socket = Socket(f"?api_access_token={token}")
            assert await socket.connect() == (False, 1013)

        run(scenario)
        assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
        assert any("channel layer is unavailable" in r.getMessage() for r in caplog.records)
