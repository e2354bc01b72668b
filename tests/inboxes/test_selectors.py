"""Inbox reads take who is asking (issue 8 §5)."""

from __future__ import annotations

import pytest

from inboxes import selectors
from nexloo.core.errors import NotFound
from tests.factories import InboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db


def test_the_assignable_list_is_for_those_who_work_in_the_inbox(
    account, admin, agent, outsider, other_account
):
    inbox = InboxFactory(account=account)
    assert list(selectors.assignable_members(membership=admin, inbox=inbox)) == [admin]
    # An agent outside the inbox is shown nobody.
    assert list(selectors.assignable_members(membership=agent, inbox=inbox)) == []
    InboxMemberFactory(inbox=inbox, account_user=agent)
    assert set(selectors.assignable_members(membership=agent, inbox=inbox)) == {admin, agent}
    with pytest.raises(NotFound):  # another account's administrator
        selectors.assignable_members(membership=outsider, inbox=inbox)
    with pytest.raises(NotFound):  # this account's administrator, another account's inbox
        selectors.assignable_members(membership=admin, inbox=InboxFactory(account=other_account))
