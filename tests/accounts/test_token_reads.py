"""The API's two token reads are hand-written SQL (accounts/selectors.py: the ORM's compiling cost
three to four times the statement's own on every request): what they return must be what the
ORM would, field by field, with nothing read lazily afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.models import AccessToken, AccountUser, hash_secret
from accounts.services import access_token_regenerate
from accounts.services.platform import platform_app_create
from tests.factories import AccountUserFactory

pytestmark = pytest.mark.django_db


def same_fields(ours, orms) -> None:
    assert type(ours) is type(orms)
    for field in type(orms)._meta.concrete_fields:
        assert getattr(ours, field.attname) == getattr(orms, field.attname), field.name
        assert type(getattr(ours, field.attname)) is type(getattr(orms, field.attname)), field.name


def test_membership_by_token_is_the_orms_membership_with_its_account_and_user(agent, other_account):
    # JSON fields, converted as the ORM converts them.
    agent.account.custom_attributes = {"plano": "ouro", "nested": {"a": [1, 2]}}
    agent.account.save()
    agent.user.ui_settings = {"theme": "dark"}
    agent.user.save()
    token = access_token_regenerate(user=agent.user)
    AccountUserFactory(account=other_account, user=agent.user)  # a second membership
    with CaptureQueriesContext(connection) as read:
        found = selectors.membership_by_token(token, agent.account_id)
        # Everything an API view reads of it is in that one statement.
        assert (found.account.name, found.user.email) == (agent.account.name, agent.user.email)
    assert len(read) == 1
    orms = AccountUser.objects.select_related("account", "user").get(pk=agent.pk)
    same_fields(found, orms)
    same_fields(found.account, orms.account)
    same_fields(found.user, orms.user)
    assert found._state.adding is False and found.user._state.adding is False


@pytest.mark.parametrize("account_id", ["abc", "", None, "0", "-1", str(2**63), "1e3"])
def test_membership_by_token_refuses_an_account_id_that_is_not_one(agent, account_id):
    token = access_token_regenerate(user=agent.user)
    assert selectors.membership_by_token(token, account_id) is None


def test_membership_by_token_refuses_pending_inactive_foreign_and_wrong(agent, other_account):
    token = access_token_regenerate(user=agent.user)
    assert selectors.membership_by_token(token, other_account.pk) is None  # not a member there
    assert selectors.membership_by_token(token + "x", agent.account_id) is None
    assert selectors.membership_by_token("", agent.account_id) is None
    AccountUser.objects.filter(pk=agent.pk).update(accepted_at=None)  # a pending invitation
    assert selectors.membership_by_token(token, agent.account_id) is None
    AccountUser.objects.filter(pk=agent.pk).update(accepted_at="2026-01-01T00:00:00Z")
    assert selectors.membership_by_token(token, agent.account_id) is not None
    type(agent.user).objects.filter(pk=agent.user_id).update(is_active=False)
    assert selectors.membership_by_token(token, agent.account_id) is None


def test_token_owner_of_a_user_and_of_a_platform_app(agent):
    token = access_token_regenerate(user=agent.user)
    found = selectors.token_owner(token)
    orms = AccessToken.objects.select_related("user", "platform_app").get(
        token_hash=hash_secret(token)
    )
    same_fields(found, orms)
    same_fields(found.user, orms.user)
    assert found.platform_app is None

    app = platform_app_create(name="Integração")
    with CaptureQueriesContext(connection) as read:
        found = selectors.token_owner(app.token)
        assert found.user is None and found.platform_app.name == "Integração"
    assert len(read) == 1
    same_fields(found.platform_app, app.app)
    assert selectors.token_owner("not a token") is None
    assert selectors.token_owner("") is None
