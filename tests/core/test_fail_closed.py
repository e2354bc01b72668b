"""The API base scopes every account endpoint to the account by construction.

The walk finds every `AccountAPIView` in the URLconf, so a new endpoint is covered the day it is
added: its queryset holds only the asking account's rows, and it still does when its
`scoped_queryset` is replaced by the model's whole table (a view that "forgot" the account).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory

from accounts.api.base import AccountAPIView
from accounts.models import Account
from automations.models import AutomationRule
from conversations.models import CannedResponse, Label
from tests.factories import (
    AdminFactory,
    ContactFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
    TeamFactory,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            cls = getattr(entry.callback, "cls", None) or getattr(
                entry.callback, "view_class", None
            )
            if cls is not None:
                yield prefix + str(entry.pattern), cls


def account_api_views() -> list[tuple[str, type[AccountAPIView]]]:
    return sorted(
        {
            (route, cls)
            for route, cls in _walk(get_resolver().url_patterns)
            if isinstance(cls, type) and issubclass(cls, AccountAPIView)
        },
        key=lambda pair: pair[0],
    )


def _populate(account: Account) -> AdminFactory:
    admin = AdminFactory(account=account)
    inbox = InboxFactory(account=account)
    InboxMemberFactory(inbox=inbox, account_user=admin)
    TeamFactory(account=account)
    contact = ContactFactory(account=account)
    ConversationFactory(account=account, inbox=inbox, contact=contact)
    CannedResponse.objects.create(account=account, short_code="oi", content="Olá")
    Label.objects.create(account=account, title="vip")
    AutomationRule.objects.create(
        account=account, name="r", event_name="conversation_created", actions=[]
    )
    Webhook.objects.create(
        account=account, url="https://hooks.example.com/in", subscriptions=["message_created"]
    )
    return admin


def _view(cls, membership):
    view = cls()
    view.request = APIRequestFactory().get("/")
    view.kwargs = {"account_id": membership.account_id}
    view.format_kwarg = None
    view.membership = membership
    view.account = membership.account
    return view


def _accounts_of(view, qs) -> set[int]:
    if qs.model is Account:
        return set(qs.values_list("pk", flat=True))
    return set(qs.values_list(view.account_field, flat=True))


def test_the_walk_finds_the_account_endpoints():
    names = {cls.__name__ for _route, cls in account_api_views()}
    assert {"ConversationListView", "ContactListView", "InboxListView", "TeamListView"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(
    ("route", "cls"), account_api_views(), ids=lambda v: getattr(v, "__name__", v)
)
def test_every_account_endpoint_reads_only_its_account(route, cls, account, other_account):
    admin = _populate(account)
    _populate(other_account)
    view = _view(cls, admin)
    assert _accounts_of(view, view.get_queryset()) <= {account.pk}
    # Even a view whose scoped_queryset forgot the account gets only this account's rows.
    model = view.scoped_queryset(account).model
    view.scoped_queryset = lambda account: model._default_manager.all()
    rows = _accounts_of(view, view.get_queryset())
    assert rows == {account.pk}, route


def test_overriding_get_queryset_is_refused():
    with pytest.raises(TypeError):

        class Sneaky(AccountAPIView):
            def get_queryset(self):  # pragma: no cover
                return Account.objects.all()


def test_a_model_without_the_account_field_is_a_configuration_error(admin):
    from accounts.models import User

    class Careless(AccountAPIView):
        def scoped_queryset(self, account):
            return User.objects.all()

    with pytest.raises(ImproperlyConfigured):
        _view(Careless, admin).get_queryset()


def test_unknown_api_routes_answer_json_404(admin_api, settings):
    for debug in (False, True):
        settings.DEBUG = debug
        for path in ("/api/v1/nada", "/api/v2/accounts/1/x", "/platform/api/v1/nada", "/api/"):
            response = admin_api.get(path)
            assert response.status_code == 404, path
            assert response["Content-Type"] == "application/json"
            assert response.json()["message"]


def test_an_unhandled_api_error_is_json_even_with_debug(admin, admin_api, settings, monkeypatch):
    settings.DEBUG = True

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.api.views.AgentSerializer.to_representation", boom)
    response = admin_api.get(f"/api/v1/accounts/{admin.account_id}/agents")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "boom" not in response.content.decode()


def test_options_on_every_account_endpoint_is_never_a_500(admin, admin_api):
    import re

    for route, _cls in account_api_views():
        path = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda m: str(admin.account_id) if m.group(1) == "account_id" else "1",
            route,
        )
        assert admin_api.options(path).status_code < 500, path


def test_a_base_url_ending_in_a_slash_is_routed(admin_api, account):
    """`https://host/` + `/api/v1/…` (one Chatwoot client's default) is `//api/v1/…` (given as
    the server's PATH_INFO: the test client would read `//api` as a host name)."""

    def get(path):
        return admin_api.get("/", PATH_INFO=path)

    assert get("//api/v1/profile").status_code == 200
    assert get(f"//api/v1/accounts/{account.pk}/agents").status_code == 200
    missing = get("//api/v1/nada")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
