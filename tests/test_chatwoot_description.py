"""Our responses against Chatwoot's published description (tests/fixtures/chatwoot/).

Every operation the description gives a JSON 200 answer for, whose path our URLconf routes to a
view with that method, is an operation we share: it must have a request in REQUESTS (the test
of coverage fails otherwise, so a new route is compared as soon as it exists). For each, every
field its 200 response names must be in ours, except those listed in ALLOWED_MISSING — the one
place where the known differences live, each with its reason — and every listed one must still
be missing (a stale entry fails). Extra fields of ours are allowed (Nexloo's extensions are
extra fields, never renamed ones)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from accounts import services as account_services
from conversations import services as conversation_services
from conversations.models import Status
from tests.conftest import api_client_for
from tests.factories import (
    AccountUserFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
    MessageFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db

DESCRIPTION = json.loads(
    (Path(__file__).parent / "fixtures" / "chatwoot" / "chatwoot-swagger.json").read_text()
)
A = "/api/v1/accounts/{account_id}"  # the reference's account prefix
P = "/platform/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")

# --- The allowed differences -------------------------------------------------------------------
#
# Fields of Chatwoot's description we do not send, by dotted path inside the response (`[]` is
# "each item"), per operation ("METHOD reference path"). Groups shared by several operations
# come first; `under(prefix, group)` places a group inside a response.


def under(prefix: str, group: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}.{name}" if prefix else name: why for name, why in group.items()}


TOKEN_HASHED = "tokens are stored hashed (README): access_token_hint instead"
NO_WIDGET = "no web widget (Nexloo has no website channel)"
NO_CACHE_KEYS = (
    "no per-account change stamps of labels, inboxes and teams are kept; a made-up one would "
    "keep a client's cache stale"
)

INBOX = {
    "website_url": NO_WIDGET,
    "widget_color": NO_WIDGET,
    "web_widget_script": NO_WIDGET,
    "welcome_title": NO_WIDGET,
    "welcome_tagline": NO_WIDGET,
    "reply_time": NO_WIDGET,
    "selected_feature_flags": NO_WIDGET,
    "hmac_mandatory": NO_WIDGET,
    "business_name": "no e-mail channel",
    "sender_name_type": "no e-mail channel",
    "medium": "no Twilio channel",
    "messaging_service_sid": "no Twilio channel",
}
MESSAGE = {
    "processed_message_content": "no content processing (Chatwoot strips quoted e-mail text)",
    "attachment": "the description's typo: Chatwoot sends `attachments`, as we do",
}
# A conversation's assignee: the description names a full `user` there; Chatwoot's server sends
# the user's push data (User#push_event_data), which is what we send (with email, role,
# account_id and auto_offline besides).
ASSIGNEE_AS_PUSH_DATA = {
    name: "Chatwoot's server sends the user's push data here, not a full user"
    for name in (
        "access_token",
        "hmac_identifier",
        "inviter_id",
        "provider",
        "pubsub_token",
        "ui_settings",
        "uid",
        "confirmed",
        "display_name",
        "message_signature",
        "custom_attributes",
        "accounts",
    )
}
CONVERSATION = {
    "sla_policy_id": "no SLA policies",
    "applied_sla": "no SLA policies",
    "sla_events": "no SLA policies",
    **under("messages[]", MESSAGE),
    **under("last_non_activity_message", MESSAGE),
    **under("meta.assignee", ASSIGNEE_AS_PUSH_DATA),
}
MESSAGES_META = {
    "meta.contact.payload": (
        "the description names its contact list answer ({payload: [...]}) here; Chatwoot's "
        "server embeds the contact's push data, flat, as we do"
    ),
    "meta.assignee.confirmed": (
        "Chatwoot's server sends the user's push data here (no `confirmed`), although the "
        "description names an agent; the other agent fields are sent, this one would cost a "
        "query"
    ),
}
# The user as Chatwoot's `user` schema names it, for the profile and the Platform API's users.
USER = {
    "access_token": TOKEN_HASHED,
    "hmac_identifier": "no web widget identity verification",
    "inviter_id": "not exposed",
}

ALLOWED_MISSING: dict[str, dict[str, str]] = {
    "GET /api/v1/profile": USER,
    f"GET {P}/users/{{id}}": USER,
    f"PATCH {P}/users/{{id}}": USER,
    f"POST {P}/users": {k: v for k, v in USER.items() if k != "access_token"},  # shown once
    "GET /api/v1/accounts/{id}": {"cache_keys": NO_CACHE_KEYS},
    "PATCH /api/v1/accounts/{id}": {"cache_keys": NO_CACHE_KEYS},
    f"GET {A}/conversations": under("data.payload[]", CONVERSATION),
    f"POST {A}/conversations/filter": {
        "data": (
            "Chatwoot's server answers {meta, payload} here (conversations/filter.json.jbuilder),"
            " as we do; the description wraps it in `data` as for the list"
        ),
    },
    f"GET {A}/conversations/{{conversation_id}}": CONVERSATION,
    f"GET {A}/contacts/{{id}}/conversations": under("payload[]", CONVERSATION),
    f"GET {A}/conversations/{{conversation_id}}/messages": {
        **under("payload[]", MESSAGE),
        **MESSAGES_META,
    },
    f"POST {A}/conversations/{{conversation_id}}/messages": MESSAGE,
    f"POST {A}/conversations/{{conversation_id}}/assignments": {
        name: (
            "Chatwoot's server renders its `agent` partial here (assignments_controller"
            "#render_agent), not the `user` the description names"
        )
        for name in (
            "access_token",
            "avatar_url",
            "display_name",
            "message_signature",
            "hmac_identifier",
            "inviter_id",
            "provider",
            "pubsub_token",
            "ui_settings",
            "uid",
            "type",
            "accounts",
        )
    },
    f"POST {A}/contacts": {
        name: (
            "Chatwoot's server answers {payload: {contact, contact_inbox}} "
            "(contacts/create.json.jbuilder), as we do; the description's flat contact is not "
            "what it sends"
        )
        for name in ("id", "availability_status")
    },
    f"POST {A}/webhooks": {
        name: (
            "Chatwoot's server answers {payload: {webhook}} (webhooks/create.json.jbuilder), as "
            "we do; the description's flat webhook is not what it sends"
        )
        for name in ("id", "url", "name", "subscriptions", "account_id")
    },
    f"PATCH {A}/webhooks/{{webhook_id}}": {
        name: "Chatwoot's server answers {payload: {webhook}} here too, as for create"
        for name in ("id", "url", "name", "subscriptions", "account_id")
    },
    f"GET {A}/inboxes": under("payload[]", INBOX),
    f"GET {A}/inboxes/{{id}}/": INBOX,
    f"POST {A}/inboxes/": INBOX,
    f"PATCH {A}/inboxes/{{id}}": INBOX,
}

# Not differences: lists that are empty in the answer by nature, so nothing inside them can be
# compared (any other empty list or null object fails the test: the world should have one).
EMPTY_BY_NATURE: dict[str, dict[str, str]] = {
    f"POST {P}/users": {"accounts[]": "a user just made belongs to no account yet"},
}

# Objects of the user's own data (whatever keys they have): never looked inside.
FREE_FORM = {"additional_attributes", "custom_attributes", "content_attributes", "ui_settings"}

# --- The operations we share -------------------------------------------------------------------


def shared_operations() -> set[str]:
    """Every operation ("METHOD path") of the description with a JSON 200 answer that our
    URLconf routes to a view answering that method."""
    shared = set()
    for path, operations in DESCRIPTION["paths"].items():
        try:
            match = resolve(re.sub(r"\{[^}]+\}", "1", path))
        except Resolver404:
            continue
        view = getattr(match.func, "view_class", None)
        if view is None:  # the JSON 404 of unknown /api/ paths
            continue
        for method, operation in operations.items():
            if method not in METHODS:  # e.g. the path's `parameters`
                continue
            answer = operation.get("responses", {}).get("200", {})
            if "application/json" in answer.get("content", {}) and hasattr(view, method):
                shared.add(f"{method.upper()} {path}")
    return shared


@dataclass
class World:
    """What the requests need, made once per test (a fresh database each time)."""

    account: Any
    admin: Any
    sofia: Any
    inbox: Any
    team: Any
    contact: Any
    conversation: Any
    canned_id: int
    rule_id: int
    webhook_id: int
    platform: APIClient
    platform_account: Any
    platform_user: Any

    @property
    def a(self) -> str:
        return f"/api/v1/accounts/{self.account.pk}"

    @property
    def c(self) -> str:
        return f"{self.a}/conversations/{self.conversation.display_id}"


Request = Callable[[World], tuple[str, dict | None]]

# Our URL and body for each shared operation. Bodies are the smallest Chatwoot clients send.
REQUESTS: dict[str, Request] = {
    "GET /api/v1/profile": lambda w: ("/api/v1/profile", None),
    "GET /api/v1/accounts/{id}": lambda w: (w.a, None),
    "PATCH /api/v1/accounts/{id}": lambda w: (w.a, {"name": "Cenário 4 S.A."}),
    f"GET {A}/agents": lambda w: (f"{w.a}/agents", None),
    f"POST {A}/agents": lambda w: (
        f"{w.a}/agents",
        {"name": "Quitéria", "email": "quiteria@example.com", "role": "agent"},
    ),
    f"PATCH {A}/agents/{{id}}": lambda w: (
        f"{w.a}/agents/{w.sofia.user_id}",
        {"name": "Sofia S.", "availability": "busy"},
    ),
    f"GET {A}/canned_responses": lambda w: (f"{w.a}/canned_responses", None),
    f"POST {A}/canned_responses": lambda w: (
        f"{w.a}/canned_responses",
        {"short_code": "tchau", "content": "Até logo!"},
    ),
    f"PATCH {A}/canned_responses/{{id}}": lambda w: (
        f"{w.a}/canned_responses/{w.canned_id}",
        {"content": "Olá, tudo bem?"},
    ),
    f"GET {A}/contacts": lambda w: (f"{w.a}/contacts", None),
    f"POST {A}/contacts": lambda w: (f"{w.a}/contacts", {"name": "Zoe", "inbox_id": w.inbox.pk}),
    f"GET {A}/contacts/{{id}}": lambda w: (f"{w.a}/contacts/{w.contact.pk}", None),
    f"GET {A}/contacts/{{id}}/conversations": lambda w: (
        f"{w.a}/contacts/{w.contact.pk}/conversations",
        None,
    ),
    f"GET {A}/contacts/{{id}}/labels": lambda w: (f"{w.a}/contacts/{w.contact.pk}/labels", None),
    f"POST {A}/contacts/{{id}}/labels": lambda w: (
        f"{w.a}/contacts/{w.contact.pk}/labels",
        {"labels": ["vip", "novo"]},
    ),
    f"GET {A}/contacts/search": lambda w: (f"{w.a}/contacts/search?q=Maria", None),
    f"POST {A}/contacts/filter": lambda w: (
        f"{w.a}/contacts/filter",
        {
            "payload": [
                {
                    "attribute_key": "name",
                    "filter_operator": "contains",
                    "values": ["Maria"],
                    "query_operator": None,
                }
            ]
        },
    ),
    f"POST {A}/contacts/{{id}}/contact_inboxes": lambda w: (
        f"{w.a}/contacts/{w.contact.pk}/contact_inboxes",
        {"inbox_id": w.inbox.pk, "source_id": "crm-9"},
    ),
    f"GET {A}/contacts/{{id}}/contactable_inboxes": lambda w: (
        f"{w.a}/contacts/{w.contact.pk}/contactable_inboxes",
        None,
    ),
    f"GET {A}/automation_rules": lambda w: (f"{w.a}/automation_rules", None),
    f"POST {A}/automation_rules": lambda w: (f"{w.a}/automation_rules", rule_body(w.team.pk)),
    f"GET {A}/automation_rules/{{id}}": lambda w: (f"{w.a}/automation_rules/{w.rule_id}", None),
    f"PATCH {A}/automation_rules/{{id}}": lambda w: (
        f"{w.a}/automation_rules/{w.rule_id}",
        {"active": False},
    ),
    f"GET {A}/conversations/meta": lambda w: (f"{w.a}/conversations/meta", None),
    f"GET {A}/conversations": lambda w: (f"{w.a}/conversations", None),
    f"POST {A}/conversations": lambda w: (
        f"{w.a}/conversations",
        {"inbox_id": w.inbox.pk, "contact_id": w.contact.pk, "message": {"content": "Oi"}},
    ),
    f"POST {A}/conversations/filter": lambda w: (
        f"{w.a}/conversations/filter",
        {
            "payload": [
                {
                    "attribute_key": "status",
                    "filter_operator": "equal_to",
                    "values": ["open"],
                    "query_operator": None,
                }
            ]
        },
    ),
    f"GET {A}/conversations/{{conversation_id}}": lambda w: (w.c, None),
    f"POST {A}/conversations/{{conversation_id}}/toggle_status": lambda w: (
        f"{w.c}/toggle_status",
        {"status": "pending"},
    ),
    f"POST {A}/conversations/{{conversation_id}}/assignments": lambda w: (
        f"{w.c}/assignments",
        {"assignee_id": w.sofia.user_id},
    ),
    f"GET {A}/conversations/{{conversation_id}}/labels": lambda w: (f"{w.c}/labels", None),
    f"POST {A}/conversations/{{conversation_id}}/labels": lambda w: (
        f"{w.c}/labels",
        {"labels": ["vip"]},
    ),
    f"GET {A}/conversations/{{conversation_id}}/messages": lambda w: (f"{w.c}/messages", None),
    f"POST {A}/conversations/{{conversation_id}}/messages": lambda w: (
        f"{w.c}/messages",
        {"content": "Já verifico."},
    ),
    f"GET {A}/inboxes": lambda w: (f"{w.a}/inboxes", None),
    f"GET {A}/inboxes/{{id}}/": lambda w: (f"{w.a}/inboxes/{w.inbox.pk}/", None),
    f"POST {A}/inboxes/": lambda w: (
        f"{w.a}/inboxes/",
        {"name": "Integração", "channel": {"type": "api"}},
    ),
    f"PATCH {A}/inboxes/{{id}}": lambda w: (f"{w.a}/inboxes/{w.inbox.pk}", {"name": "API 2"}),
    f"GET {A}/inbox_members/{{inbox_id}}": lambda w: (f"{w.a}/inbox_members/{w.inbox.pk}", None),
    f"POST {A}/inbox_members": lambda w: (
        f"{w.a}/inbox_members",
        {"inbox_id": w.inbox.pk, "user_ids": [w.sofia.user_id]},
    ),
    f"PATCH {A}/inbox_members": lambda w: (
        f"{w.a}/inbox_members",
        {"inbox_id": w.inbox.pk, "user_ids": [w.admin.user_id, w.sofia.user_id]},
    ),
    f"GET {A}/teams": lambda w: (f"{w.a}/teams", None),
    f"POST {A}/teams": lambda w: (f"{w.a}/teams", {"name": "Vendas"}),
    f"GET {A}/teams/{{team_id}}": lambda w: (f"{w.a}/teams/{w.team.pk}", None),
    f"PATCH {A}/teams/{{team_id}}": lambda w: (f"{w.a}/teams/{w.team.pk}", {"name": "Recepção 2"}),
    f"GET {A}/teams/{{team_id}}/team_members": lambda w: (
        f"{w.a}/teams/{w.team.pk}/team_members",
        None,
    ),
    f"POST {A}/teams/{{team_id}}/team_members": lambda w: (
        f"{w.a}/teams/{w.team.pk}/team_members",
        {"user_ids": [w.sofia.user_id]},
    ),
    f"PATCH {A}/teams/{{team_id}}/team_members": lambda w: (
        f"{w.a}/teams/{w.team.pk}/team_members",
        {"user_ids": [w.admin.user_id, w.sofia.user_id]},
    ),
    f"GET {A}/webhooks": lambda w: (f"{w.a}/webhooks", None),
    f"POST {A}/webhooks": lambda w: (
        f"{w.a}/webhooks",
        {"url": "https://hooks.example.com/novo", "subscriptions": ["message_created"]},
    ),
    f"PATCH {A}/webhooks/{{webhook_id}}": lambda w: (
        f"{w.a}/webhooks/{w.webhook_id}",
        {"url": "https://hooks.example.com/outro", "subscriptions": ["conversation_created"]},
    ),
    # The Platform API, with the platform app's token, on what that app made.
    f"POST {P}/accounts": lambda w: (f"{P}/accounts", {"name": "Nova Empresa"}),
    f"GET {P}/accounts/{{account_id}}": lambda w: (f"{P}/accounts/{w.platform_account.pk}", None),
    f"PATCH {P}/accounts/{{account_id}}": lambda w: (
        f"{P}/accounts/{w.platform_account.pk}",
        {"name": "Empresa Renomeada"},
    ),
    f"GET {P}/accounts/{{account_id}}/account_users": lambda w: (
        f"{P}/accounts/{w.platform_account.pk}/account_users",
        None,
    ),
    f"POST {P}/accounts/{{account_id}}/account_users": lambda w: (
        f"{P}/accounts/{w.platform_account.pk}/account_users",
        {"user_id": w.platform_user.pk, "role": "administrator"},
    ),
    f"POST {P}/users": lambda w: (
        f"{P}/users",
        {"name": "Nina", "email": "nina@example.com", "password": "Uma-senha-forte-1"},
    ),
    f"GET {P}/users/{{id}}": lambda w: (f"{P}/users/{w.platform_user.pk}", None),
    f"PATCH {P}/users/{{id}}": lambda w: (f"{P}/users/{w.platform_user.pk}", {"name": "Nina S."}),
    f"GET {P}/users/{{id}}/login": lambda w: (f"{P}/users/{w.platform_user.pk}/login", None),
}


def rule_body(team_id: int) -> dict:
    return {
        "name": "Tudo para a Recepção",
        "event_name": "conversation_created",
        "conditions": [
            {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}
        ],
        "actions": [{"action_name": "assign_team", "action_params": [team_id]}],
        "active": True,
    }


# --- Comparing ---------------------------------------------------------------------------------


def deref(schema: dict[str, Any], value: Any = None) -> dict[str, Any]:
    """The schema itself: references followed, `allOf` merged, the `oneOf` alternative of the
    value's kind chosen."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = DESCRIPTION["components"]["schemas"][name]
    if "oneOf" in schema:
        kind = "array" if isinstance(value, list) else "object"
        schema = next(s for s in schema["oneOf"] if deref(s).get("type", "object") == kind)
        return deref(schema, value)
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(deref(part).get("properties", {}))
        return merged
    return schema


def missing_fields(
    schema: dict[str, Any], value: Any, where: str = "", unseen: list[str] | None = None
) -> list[str]:
    """Dotted paths of the description's fields absent from `value` (recursing where both have
    an object or a non-empty list). Lists of objects that came empty, or objects that came
    null, could not be compared: their paths are added to `unseen`."""
    schema = deref(schema, value)
    unseen = [] if unseen is None else unseen
    out: list[str] = []
    if isinstance(value, list):
        items = schema.get("items")
        if items and value:
            for item in value[:3]:
                out += missing_fields(items, item, f"{where}[]", unseen)
        elif items and deref(items).get("properties"):
            unseen.append(f"{where}[]")
        return sorted(set(out))
    if not isinstance(value, dict):
        return out
    for name, sub in schema.get("properties", {}).items():
        path = f"{where}.{name}" if where else name
        if name not in value:
            out.append(path)
        elif name in FREE_FORM:
            continue
        elif value[name] is None:
            if deref(sub).get("properties"):
                unseen.append(path)
        else:
            out += missing_fields(sub, value[name], path, unseen)
    return sorted(set(out))


def reference_schema(operation: str) -> dict[str, Any]:
    method, path = operation.split(" ", 1)
    answer = DESCRIPTION["paths"][path][method.lower()]["responses"]["200"]
    return answer["content"]["application/json"]["schema"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Every test makes its world, with three users with passwords: PBKDF2 would be most of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(account, admin) -> World:
    inbox = InboxFactory(account=account, name="API")
    sofia = AccountUserFactory(account=account, user__name="Sofia Secretária")
    for member in (admin, sofia):
        InboxMemberFactory(inbox=inbox, account_user=member)
    team = TeamFactory(account=account, name="Recepção")
    TeamMemberFactory(team=team, account_user=admin)
    contact_inbox = ContactInboxFactory(inbox=inbox, contact__name="Maria Souza")
    conversation = ConversationFactory(
        contact_inbox=contact_inbox, assignee=admin, team=team, status=Status.OPEN
    )
    MessageFactory(conversation=conversation, sender_contact=contact_inbox.contact)
    conversation_services.conversation_labels_set(
        account=account, actor=admin, conversation=conversation, titles=["vip"]
    )
    conversation_services.contact_labels_set(
        account=account, actor=admin, contact=contact_inbox.contact, titles=["vip"]
    )
    api = api_client_for(admin)
    a = f"/api/v1/accounts/{account.pk}"
    canned = api.post(f"{a}/canned_responses", {"short_code": "oi", "content": "Olá!"})
    webhook = api.post(
        f"{a}/webhooks",
        {"url": "https://hooks.example.com/x", "subscriptions": ["message_created"]},
        format="json",
    )
    rule = api.post(f"{a}/automation_rules", rule_body(team.pk), format="json")
    assert [r.status_code for r in (canned, webhook, rule)] == [200] * 3
    app = account_services.platform_app_create(name="Provisionamento")
    platform = APIClient()
    platform.credentials(HTTP_API_ACCESS_TOKEN=app.token)
    platform_account = account_services.platform_account_create(app=app.app, name="Da Plataforma")
    platform_user = account_services.platform_user_create(
        app=app.app, name="Paula", email="paula@example.com", password="Uma-senha-forte-1"
    ).user
    account_services.platform_account_user_add(
        app=app.app, account=platform_account, user=platform_user, role="administrator"
    )
    return World(
        account=account,
        admin=admin,
        sofia=sofia,
        inbox=inbox,
        team=team,
        contact=contact_inbox.contact,
        conversation=conversation,
        canned_id=canned.json()["id"],
        rule_id=rule.json()["payload"]["id"],
        webhook_id=webhook.json()["payload"]["webhook"]["id"],
        platform=platform,
        platform_account=platform_account,
        platform_user=platform_user,
    )


def test_every_shared_operation_is_compared():
    """A route of ours that the description also has, with no request here, fails; so does a
    request for an operation we no longer share."""
    assert sorted(shared_operations() - set(REQUESTS)) == []
    assert sorted(set(REQUESTS) - shared_operations()) == []
    assert sorted(set(ALLOWED_MISSING) - set(REQUESTS)) == []


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_our_response_has_chatwoots_fields(operation, world):
    method, path = operation.split(" ", 1)
    url, body = REQUESTS[operation](world)
    client = world.platform if path.startswith(P) else api_client_for(world.admin)
    response = getattr(client, method.lower())(url, body, format="json")
    assert response.status_code == 200, response.content[:500]
    unseen: list[str] = []
    missing = set(missing_fields(reference_schema(operation), response.json(), unseen=unseen))
    allowed = set(ALLOWED_MISSING.get(operation, {}))
    assert {
        "missing, not allowed": sorted(missing - allowed),
        "allowed, but sent now (remove from ALLOWED_MISSING)": sorted(allowed - missing),
        "empty or null, so not compared (give the world one)": sorted(
            set(unseen) - set(EMPTY_BY_NATURE.get(operation, {}))
        ),
    } == {
        "missing, not allowed": [],
        "allowed, but sent now (remove from ALLOWED_MISSING)": [],
        "empty or null, so not compared (give the world one)": [],
    }
