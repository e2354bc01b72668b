"""Agents are online when they sign in (issue 7, section 4), as in Chatwoot; a person's own
"Ocupado" or "Offline" is kept until they change it; with auto-offline, presence follows the
open browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import presence
from accounts import services as account_services
from accounts.models import AccountUser
from conversations import services
from tests.factories import (
    PASSWORD,
    AccountUserFactory,
    ContactInboxFactory,
    InboxFactory,
    InboxMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia(account):
    return AccountUserFactory(
        account=account, user__name="Sofia Secretária", availability="offline", auto_offline=True
    )


def sign_in(client, membership):
    response = client.post(
        reverse("account_login"), {"login": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


def sign_out(client):
    client.post(reverse("account_logout"))


def availability(membership) -> str:
    return AccountUser.objects.get(pk=membership.pk).availability


def test_an_agent_is_online_after_signing_in(client, sofia, recorded_events, on_commit):
    with on_commit():
        sign_in(client, sofia)
    membership = AccountUser.objects.get(pk=sofia.pk)
    assert membership.availability == "online"
    assert presence.effective_availability(membership) == "online"  # the browser is here
    assert any(e.name == "presence.update" for e in recorded_events)


def test_in_every_account_of_the_person(client, sofia, other_account):
    elsewhere = AccountUserFactory(account=other_account, user=sofia.user, availability="offline")
    sign_in(client, sofia)
    assert (availability(sofia), availability(elsewhere)) == ("online", "online")


@pytest.mark.parametrize("chosen", ["busy", "offline"])
def test_a_chosen_busy_or_offline_is_kept_until_changed(client, account, sofia, chosen):
    sign_in(client, sofia)
    response = client.post(
        reverse("availability", kwargs={"account_id": account.pk}),
        {"availability": chosen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    sign_out(client)
    sign_in(client, sofia)
    assert availability(sofia) == chosen
    # Once she chooses online again, the next sign-in makes her online after a sign-out.
    account_services.availability_set(
        account=account, membership=AccountUser.objects.get(pk=sofia.pk), availability="online"
    )
    AccountUser.objects.filter(pk=sofia.pk).update(availability="offline")  # e.g. the sweep
    sign_out(client)
    sign_in(client, sofia)
    assert availability(sofia) == "online"


def test_an_administrator_setting_offline_is_kept_too(client, account, admin, sofia):
    account_services.agent_update(
        account=account, actor=admin, membership=sofia, availability="offline"
    )
    sign_in(client, sofia)
    assert availability(sofia) == "offline"


def test_with_auto_offline_presence_follows_the_open_browser(client, sofia):
    sign_in(client, sofia)
    now = timezone.now()
    membership = AccountUser.objects.get(pk=sofia.pk)
    later = now + presence.PRESENCE_TIMEOUT + timedelta(seconds=1)
    assert presence.effective_availability(membership, later) == "offline"  # browser closed
    assert presence.presence_heartbeat(membership_id=sofia.pk, at=later)  # a browser again
    membership.refresh_from_db()
    assert presence.effective_availability(membership, later) == "online"


def test_a_waiting_conversation_goes_to_the_agent_who_signs_in(client, account, sofia, on_commit):
    inbox = InboxFactory(account=account, name="WhatsApp Comercial")
    InboxMemberFactory(inbox=inbox, account_user=sofia)
    with on_commit():
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
    conversation.refresh_from_db()
    assert conversation.assignee is None  # nobody online
    with on_commit():
        sign_in(client, sofia)
    conversation.refresh_from_db()
    assert conversation.assignee_id == sofia.pk
