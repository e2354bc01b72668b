from __future__ import annotations

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Conversation
from tests.factories import (
    AccountUserFactory,
    ContactInboxFactory,
    InboxFactory,
    InboxMemberFactory,
    TeamFactory,
    TeamMemberFactory,
)


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="WhatsApp Comercial")


@pytest.fixture
def member(inbox):
    """Makes an agent of the account who works in the inbox (and optionally in teams)."""

    def _member(name: str, *teams, **fields):
        membership = AccountUserFactory(account=inbox.account, user__name=name, **fields)
        InboxMemberFactory(inbox=inbox, account_user=membership)
        for team in teams:
            TeamMemberFactory(team=team, account_user=membership)
        return membership

    return _member


@pytest.fixture
def team_factory(account):
    def _team(name: str, **fields):
        return TeamFactory(account=account, name=name, **fields)

    return _team


@pytest.fixture
def new_conversation(inbox):
    """A conversation opened the way a channel opens one (events, intake task on commit), taken
    as past its intake (as if intake had found nobody to take it), so that the queue tests see it
    wait. The intake itself is tested in tests/automations."""

    def _open(**contact):
        contact_inbox = ContactInboxFactory(inbox=inbox, **contact)
        conversation = services.conversation_open_for(contact_inbox=contact_inbox).conversation
        Conversation.objects.filter(pk=conversation.pk).update(intake_done_at=timezone.now())
        conversation.refresh_from_db()
        return conversation

    return _open


# --- Added for the services, API and realtime tests ---------------------------------------------


class RecordingBackend:
    """A channel's delivery backend that keeps what it was asked to send (stands in for the
    WhatsApp sender, which lives in another app); `error` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.error: Exception | None = None

    def send(self, message):
        from conversations.delivery import Sent

        if self.error is not None:
            raise self.error
        self.sent.append(message.pk)
        return Sent(source_id=f"wamid.{message.pk}")


@pytest.fixture
def whatsapp_backend(monkeypatch):
    """Registers a recording backend for WhatsApp inboxes (restored after the test)."""
    from conversations import delivery

    backend = RecordingBackend()
    monkeypatch.setitem(delivery._backends, "whatsapp_cloud", backend)
    return backend


@pytest.fixture
def whatsapp_inbox(account):
    return InboxFactory(account=account, name="WhatsApp Suporte", channel_type="whatsapp_cloud")


@pytest.fixture
def incoming():
    """Delivers a contact's message the way a channel does (`inbound_message`)."""
    from conversations.services import IncomingMessage

    def _incoming(inbox, text="Oi", *, wa_id="5511987650000", source_id=None, **contact):
        message, _created = services.inbound_message(
            inbox=inbox,
            contact_source_id=wa_id,
            message=IncomingMessage(content=text, source_id=source_id),
            phone_number=contact.pop("phone_number", "+" + wa_id),
            contact_name=contact.pop("contact_name", "Maria Cliente"),
        )
        return message

    return _incoming


@pytest.fixture
def fast_passwords(settings):
    """Factories hash a password for every user; PBKDF2 makes that most of a test's setup."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
