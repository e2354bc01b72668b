"""Webhook reads take who is asking (issue 8 §5): the administrators' alone, and only their
account's, whichever caller forgets to check."""

from __future__ import annotations

import pytest

from inboxes.models import ChannelType
from nexloo.core.errors import NotFound, PermissionDenied
from tests.factories import InboxFactory, InboxMemberFactory
from webhooks import selectors
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(account, other_account):
    mine = Webhook.objects.create(account=account, url="https://a.example/h", subscriptions=["x"])
    theirs = Webhook.objects.create(
        account=other_account, url="https://b.example/h", subscriptions=["x"]
    )
    return mine, theirs


def test_an_administrator_reads_their_accounts_webhooks_only(admin, outsider, hooks):
    mine, theirs = hooks
    assert list(selectors.webhooks_list(membership=admin)) == [mine]
    assert selectors.webhook_get(membership=admin, webhook_id=mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.webhook_get(membership=admin, webhook_id=theirs.pk)
    assert list(selectors.webhooks_list(membership=outsider)) == [theirs]


def test_an_agent_is_refused_by_the_selectors_themselves(agent, hooks):
    mine, _theirs = hooks
    with pytest.raises(PermissionDenied):
        selectors.webhooks_list(membership=agent)
    with pytest.raises(PermissionDenied):
        selectors.webhook_get(membership=agent, webhook_id=mine.pk)


@pytest.fixture
def inbox_hooks(account, other_account):
    """An API channel of each account with its webhook."""
    found = []
    for owner in (account, other_account):
        inbox = InboxFactory(account=owner, channel_type=ChannelType.API)
        Webhook.objects.create(
            account=owner, inbox=inbox, url="https://c.example/h", subscriptions=["x"]
        )
        found.append(inbox)
    return found


def test_an_inbox_webhook_is_read_from_the_administrators_account_only(
    admin, outsider, inbox_hooks
):
    mine, theirs = inbox_hooks
    assert selectors.inbox_webhook(membership=admin, inbox=mine) == Webhook.objects.get(inbox=mine)
    with pytest.raises(NotFound):
        selectors.inbox_webhook(membership=admin, inbox=theirs)
    with pytest.raises(NotFound):
        selectors.inbox_webhook(membership=outsider, inbox=mine)
    without = InboxFactory(account=admin.account, channel_type=ChannelType.API)
    assert selectors.inbox_webhook(membership=admin, inbox=without) is None


def test_an_inbox_webhook_is_refused_to_an_agent_even_of_that_inbox(agent, inbox_hooks):
    mine, theirs = inbox_hooks
    InboxMemberFactory(inbox=mine, account_user=agent)
    with pytest.raises(PermissionDenied):
        selectors.inbox_webhook(membership=agent, inbox=mine)
    with pytest.raises(NotFound):
        selectors.inbox_webhook(membership=agent, inbox=theirs)


def test_only_an_api_channel_has_an_inbox_webhook(admin):
    inbox = InboxFactory(account=admin.account, channel_type=ChannelType.WHATSAPP_CLOUD)
    with pytest.raises(NotFound):
        selectors.inbox_webhook(membership=admin, inbox=inbox)
