"""Muting a conversation (Chatwoot's mute/unmute): it is resolved, and for six hours the
contact's messages are kept in it without reopening it, greeting them or queueing it; through
the service, a channel's delivery, the API (with its tenancy) and the workspace's menu."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Message
from conversations.services import IncomingMessage
from tests.conftest import api_client_for
from tests.factories import AccountUserFactory, InboxFactory, InboxMemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def sofia(member):
    return member("Sofia Secretária")


@pytest.fixture
def conversation(new_conversation):
    return new_conversation(contact__name="Maria Souza")


def incoming(conversation, text: str, wamid: str):
    return services.inbound_message(
        inbox=conversation.inbox,
        contact_source_id=conversation.contact_inbox.source_id,
        message=IncomingMessage(content=text, source_id=wamid),
    )


def activity(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, message_type="activity")
        .order_by("pk")
        .values_list("content", flat=True)
    )


def test_mute_resolves_and_keeps_the_contacts_messages_in_it(account, sofia, conversation):
    muted = services.conversation_mute(account=account, actor=sofia, conversation=conversation)
    assert muted.status == "resolved"
    assert muted.is_muted()
    assert activity(conversation)[-2:] == [
        "Conversa resolvida por Sofia Secretária",
        "Conversa silenciada por Sofia Secretária",
    ]
    message, created = incoming(conversation, "Alguém aí?", "wamid.m1")
    assert created and message.conversation_id == conversation.pk
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.status == "resolved"
    assert stored.waiting_since is None  # waits for no one
    assert Conversation.objects.filter(contact_inbox=conversation.contact_inbox).count() == 1


def test_after_six_hours_the_contact_opens_a_new_conversation(account, sofia, conversation):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.conversation_mute(account=account, actor=sofia, conversation=conversation)
        clock.shift(timedelta(hours=5, minutes=59))
        assert incoming(conversation, "Ainda aqui", "wamid.m2")[0].conversation_id == (
            conversation.pk
        )
        clock.shift(timedelta(minutes=2))
        message, _ = incoming(conversation, "Voltei", "wamid.m3")
    assert message.conversation_id != conversation.pk
    assert message.conversation.status == "open"


def test_unmute_lets_the_next_message_open_a_conversation(account, sofia, conversation):
    services.conversation_mute(account=account, actor=sofia, conversation=conversation)
    unmuted = services.conversation_unmute(account=account, actor=sofia, conversation=conversation)
    assert not unmuted.is_muted()
    assert activity(conversation)[-1] == "Conversa reativada por Sofia Secretária"
    message, _ = incoming(conversation, "Oi", "wamid.m4")
    assert message.conversation_id != conversation.pk
    # Unmuting a conversation that is not muted changes nothing.
    services.conversation_unmute(account=account, actor=sofia, conversation=conversation)
    assert activity(conversation)[-1] == "Conversa reativada por Sofia Secretária"


class TestAPI:
    def path(self, conversation, action):
        return (
            f"/api/v1/accounts/{conversation.account_id}/conversations/"
            f"{conversation.display_id}/{action}"
        )

    def test_mute_and_unmute(self, sofia, conversation):
        api = api_client_for(sofia)
        assert api.post(self.path(conversation, "mute")).status_code == 200
        detail = api.get(self.path(conversation, "")[:-1]).json()
        assert (detail["muted"], detail["status"]) == (True, "resolved")
        assert api.post(self.path(conversation, "unmute")).status_code == 200
        assert api.get(self.path(conversation, "")[:-1]).json()["muted"] is False

    def test_another_account_and_an_agent_outside_the_inbox_get_404(
        self, account, other_account, conversation
    ):
        outsider = AccountUserFactory(account=account, user__name="Bruno Financeiro")
        InboxMemberFactory(inbox=InboxFactory(account=account), account_user=outsider)
        stranger = AccountUserFactory(account=other_account, role="administrator")
        for who in (outsider, stranger):
            api = api_client_for(who)
            for action in ("mute", "unmute"):
                assert api.post(self.path(conversation, action)).status_code == 404
            # The other account's own path to it does not exist either.
        foreign = (
            f"/api/v1/accounts/{other_account.pk}/conversations/{conversation.display_id}/mute"
        )
        assert api_client_for(stranger).post(foreign).status_code == 404
        assert not Conversation.objects.get(pk=conversation.pk).is_muted()


def test_the_workspace_menu_mutes_and_unmutes(client, account, sofia, conversation):
    client.force_login(sofia.user)
    base = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/"
    page = client.get(base).content.decode()
    assert "Silenciar conversa" in page
    response = client.post(base + "mute/", {"muted": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reativar conversa" in html and "Silenciada" in html
    assert Conversation.objects.get(pk=conversation.pk).is_muted()
    client.post(base + "mute/", {}, HTTP_HX_REQUEST="true")
    assert not Conversation.objects.get(pk=conversation.pk).is_muted()
