"""Webhook reads take who is asking (issue 8 §5): the administrators' alone, and only their
account's, whichever caller forgets to check."""

from __future__ import annotations

import pytest

from nexloo.core.errors import NotFound, PermissionDenied
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
