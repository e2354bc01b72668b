"""`/cable`: Chatwoot's ActionCable protocol over the real ASGI application (Channels' websocket
communicator, the Redis channel layer): welcome, pings, a RoomChannel subscription by
`pubsub_token`, events in `{"identifier", "message": {"event", "data"}}` frames, a foreign or
unknown token refused, a replaced token closing the socket."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as account_services
from accounts.models import AccessToken
from conversations import services
from nexloo.asgi import application
from nexloo.core import realtime
from tests.factories import (
    AccountFactory,
    AccountUserFactory,
    AdminFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True, params=["per user", "account-wide"])
def _either_path(request, monkeypatch):
    """Each test runs with events sent to each recipient's group and once to the account's."""
    monkeypatch.setattr(realtime, "FANOUT_AT", 10**6 if request.param == "per user" else 1)


def pubsub(membership) -> str:
    account_services.access_token_regenerate(user=membership.user)
    return AccessToken.objects.get(user=membership.user).pubsub_token


def identifier(membership, token: str) -> str:
    return json.dumps(
        {
            "channel": "RoomChannel",
            "pubsub_token": token,
            "account_id": membership.account_id,
            "user_id": membership.user_id,
        }
    )


async def receive(cable, *, skip_pings: bool = True) -> dict:
    while True:
        frame = await cable.receive_json_from(timeout=5)
        if not (skip_pings and frame.get("type") == "ping"):
            return frame


async def opened():
    cable = WebsocketCommunicator(
        application,
        "/cable",
        headers=[(b"host", b"testserver")],
        subprotocols=["actioncable-v1-json"],
    )
    connected, subprotocol = await cable.connect(timeout=5)
    assert connected and subprotocol == "actioncable-v1-json"
    assert await receive(cable) == {"type": "welcome"}
    return cable


async def subscribed(membership, token: str):
    cable = await opened()
    ident = identifier(membership, token)
    await cable.send_json_to({"command": "subscribe", "identifier": ident})
    assert await receive(cable) == {"identifier": ident, "type": "confirm_subscription"}
    return cable, ident


def after_commit(action):
    def _run():
        result = action()
        assert realtime.wait_until_sent(5)
        return result

    return sync_to_async(_run)()


@pytest.fixture
def world():
    account = AccountFactory()
    inbox = InboxFactory(account=account, enable_auto_assignment=False)
    admin = AdminFactory(account=account)
    agent = AccountUserFactory(account=account)
    InboxMemberFactory(inbox=inbox, account_user=agent)
    conversation = ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox))
    return admin, agent, conversation


def test_welcome_subscribe_and_an_event_in_chatwoots_framing(world, settings):
    settings.CABLE_PING_SECONDS = 0.2
    admin, agent, conversation = world
    token = pubsub(agent)

    async def scenario():
        cable, ident = await subscribed(agent, token)
        ping = await receive(cable, skip_pings=False)
        assert ping["type"] == "ping" and isinstance(ping["message"], int)
        await after_commit(
            lambda: services.message_send(
                account=conversation.account,
                actor=admin,
                conversation=conversation,
                content="Olá pelo cable",
            )
        )
        while True:
            frame = await receive(cable)
            if frame["message"]["event"] == "message.created":
                break
        assert frame["identifier"] == ident
        assert frame["message"]["data"]["content"] == "Olá pelo cable"
        assert frame["message"]["data"]["conversation"]["contact_inbox"]["source_id"]
        await cable.disconnect()

    async_to_sync(scenario)()


def test_unknown_foreign_or_mismatched_tokens_are_rejected(world):
    _admin, agent, _conversation = world
    outsider = AdminFactory(account=AccountFactory())
    outsider_token = pubsub(outsider)
    agent_token = pubsub(agent)

    async def scenario():
        cable = await opened()
        for ident in (
            identifier(agent, "not-a-token"),
            identifier(agent, outsider_token),  # another account's user
            json.dumps({"channel": "RoomChannel", "pubsub_token": agent_token, "user_id": 0}),
            json.dumps({"channel": "OtherChannel", "pubsub_token": agent_token}),
        ):
            await cable.send_json_to({"command": "subscribe", "identifier": ident})
            assert await receive(cable) == {"identifier": ident, "type": "reject_subscription"}
        await cable.disconnect()

    async_to_sync(scenario)()


def test_an_agent_does_not_hear_other_inboxes_and_a_new_token_closes_the_socket(world):
    admin, agent, _conversation = world
    elsewhere = ConversationFactory(
        contact_inbox=ContactInboxFactory(inbox=InboxFactory(account=admin.account))
    )
    token = pubsub(agent)

    async def scenario():
        cable, _ident = await subscribed(agent, token)
        await after_commit(
            lambda: services.message_send(
                account=admin.account, actor=admin, conversation=elsewhere, content="Não é seu"
            )
        )
        assert await cable.receive_nothing(timeout=0.5)
        await after_commit(lambda: account_services.access_token_regenerate(user=agent.user))
        output = await cable.receive_output(timeout=5)
        assert output["type"] == "websocket.close"

    async_to_sync(scenario)()
