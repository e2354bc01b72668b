"""Our responses against Chatwoot's published description (tests/fixtures/chatwoot/): for every
path we share with it, every field its 200 response names must be in ours, unless it is listed
in ALLOWED_MISSING — the one place where the known differences live, each with its reason.
Extra fields of ours are allowed (Nexloo's extensions are extra fields, never renamed ones)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conversations.models import Status
from tests.conftest import api_client_for
from tests.factories import (
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

# Fields of Chatwoot's description we do not send, by dotted path inside the response
# (`[]` is "each item"). The key names the reference path and method.
ALLOWED_MISSING: dict[str, dict[str, str]] = {
    "GET /api/v1/profile": {
        "access_token": "tokens are stored hashed: access_token_hint instead (README)",
        "hmac_identifier": "no web widget identity verification",
        "inviter_id": "not exposed",
        "accounts[].custom_role_id": "no custom roles",
        "accounts[].custom_role": "no custom roles",
    },
    "GET /api/v1/accounts/{account_id}/conversations": {
        "data.payload[].sla_policy_id": "no SLA policies",
        "data.payload[].applied_sla": "no SLA policies",
        "data.payload[].sla_events": "no SLA policies",
        "data.payload[].messages[].external_source_ids": "no external sources",
        "data.payload[].messages[].additional_attributes": "not stored",
        "data.payload[].messages[].processed_message_content": "no content processing",
        "data.payload[].messages[].sentiment": "no sentiment analysis",
        "data.payload[].messages[].attachment": "the description's typo: `attachments`",
        "data.payload[].last_non_activity_message.external_source_ids": "no external sources",
        "data.payload[].last_non_activity_message.additional_attributes": "not stored",
        "data.payload[].last_non_activity_message.processed_message_content": "no processing",
        "data.payload[].last_non_activity_message.sentiment": "no sentiment analysis",
        "data.payload[].last_non_activity_message.attachment": "the description's typo",
        "data.payload[].meta.assignee.access_token": "tokens are never shown",
        "data.payload[].meta.assignee.hmac_identifier": "no web widget",
        "data.payload[].meta.assignee.inviter_id": "not exposed",
        "data.payload[].meta.assignee.provider": "user object in brief",
        "data.payload[].meta.assignee.pubsub_token": "only in the user's own profile",
        "data.payload[].meta.assignee.ui_settings": "only in the user's own profile",
        "data.payload[].meta.assignee.uid": "only in the user's own profile",
        "data.payload[].meta.assignee.confirmed": "user object in brief",
        "data.payload[].meta.assignee.display_name": "user object in brief",
        "data.payload[].meta.assignee.message_signature": "only in the user's own profile",
        "data.payload[].meta.assignee.avatar_url": "thumbnail instead, as Chatwoot sends",
        "data.payload[].meta.assignee.account_id": "user object in brief",
        "data.payload[].meta.assignee.custom_attributes": "user object in brief",
        "data.payload[].meta.assignee.accounts": "user object in brief",
    },
    "GET /api/v1/accounts/{account_id}/inboxes": {
        "payload[].website_url": "no web widget",
        "payload[].widget_color": "no web widget",
        "payload[].web_widget_script": "no web widget",
        "payload[].welcome_title": "no web widget",
        "payload[].welcome_tagline": "no web widget",
        "payload[].reply_time": "no web widget",
        "payload[].selected_feature_flags": "no web widget",
        "payload[].hmac_mandatory": "no web widget",
        "payload[].business_name": "no e-mail channel",
        "payload[].sender_name_type": "no e-mail channel",
        "payload[].medium": "no Twilio channel",
        "payload[].messaging_service_sid": "no Twilio channel",
    },
}

# Objects of the user's own data (whatever keys they have): never looked inside.
FREE_FORM = {"additional_attributes", "custom_attributes", "content_attributes", "ui_settings"}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = DESCRIPTION["components"]["schemas"][name]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            part = resolve(part)
            merged["properties"].update(part.get("properties", {}))
        return merged
    return schema


def missing_fields(schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """Dotted paths of the description's fields absent from `value` (recursing where both have
    an object or a non-empty list)."""
    schema = resolve(schema)
    out: list[str] = []
    if isinstance(value, list):
        items = schema.get("items")
        if items and value:
            for item in value[:3]:
                out += missing_fields(items, item, f"{where}[]")
        return sorted(set(out))
    if not isinstance(value, dict):
        return out
    for name, sub in schema.get("properties", {}).items():
        path = f"{where}.{name}" if where else name
        if name not in value:
            out.append(path)
        elif value[name] is not None and name not in FREE_FORM:
            out += missing_fields(sub, value[name], path)
    return out


def reference_schema(path: str, method: str) -> dict[str, Any]:
    operation = DESCRIPTION["paths"][path][method.lower()]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.fixture
def world(account, admin, on_commit):
    inbox = InboxFactory(account=account, name="API")
    InboxMemberFactory(inbox=inbox, account_user=admin)
    team = TeamFactory(account=account, name="Recepção")
    TeamMemberFactory(team=team, account_user=admin)
    contact_inbox = ContactInboxFactory(inbox=inbox)
    conversation = ConversationFactory(
        contact_inbox=contact_inbox, assignee=admin, team=team, status=Status.OPEN
    )
    MessageFactory(conversation=conversation, sender_contact=contact_inbox.contact)
    return {
        "inbox": inbox,
        "team": team,
        "contact": contact_inbox.contact,
        "conversation": conversation,
    }


def cases(world, account) -> list[tuple[str, str, str, dict | None]]:
    """(method, reference path, our URL, body). `~` stands for the account's prefix."""
    c, t, i = world["contact"].pk, world["team"].pk, world["inbox"].pk
    conv = world["conversation"].display_id
    rows = [
        ("GET", "/api/v1/profile", "/api/v1/profile", None),
        ("GET", "~/agents", "~/agents", None),
        ("GET", "~/inboxes", "~/inboxes", None),
        ("GET", "~/inbox_members/{inbox_id}", f"~/inbox_members/{i}", None),
        ("GET", "~/teams", "~/teams", None),
        ("GET", "~/teams/{team_id}", f"~/teams/{t}", None),
        ("GET", "~/conversations", "~/conversations", None),
        ("GET", "~/conversations/meta", "~/conversations/meta", None),
        ("GET", "~/conversations/{conversation_id}/labels", f"~/conversations/{conv}/labels", None),
        ("GET", "~/contacts", "~/contacts", None),
        ("GET", "~/contacts/{id}", f"~/contacts/{c}", None),
        ("GET", "~/contacts/search", "~/contacts/search?q=Cliente", None),
        ("GET", "~/contacts/{id}/labels", f"~/contacts/{c}/labels", None),
        ("GET", "~/contacts/{id}/contactable_inboxes", f"~/contacts/{c}/contactable_inboxes", None),
        ("POST", "~/contacts/filter", "~/contacts/filter", {"payload": []}),
        ("GET", "~/canned_responses", "~/canned_responses", None),
        ("GET", "~/automation_rules", "~/automation_rules", None),
    ]
    ours = f"/api/v1/accounts/{account.pk}"
    return [
        (m, ref.replace("~", "/api/v1/accounts/{account_id}"), url.replace("~", ours), body)
        for m, ref, url, body in rows
    ]


def test_our_responses_have_chatwoots_fields(account, admin, world):
    api = api_client_for(admin)
    problems = {}
    for method, ref_path, our_url, body in cases(world, account):
        response = getattr(api, method.lower())(our_url, body, format="json")
        assert response.status_code == 200, (our_url, response.content[:300])
        allowed = ALLOWED_MISSING.get(f"{method} {ref_path}", {})
        missing = [
            f
            for f in missing_fields(reference_schema(ref_path, method), response.json())
            if f not in allowed
        ]
        if missing:
            problems[f"{method} {ref_path}"] = missing
    assert problems == {}, json.dumps(problems, indent=1)


def test_every_allowed_difference_is_still_a_difference(account, admin, world):
    """An entry of ALLOWED_MISSING that we now send is stale: remove it."""
    api = api_client_for(admin)
    stale = {}
    for method, ref_path, our_url, body in cases(world, account):
        allowed = ALLOWED_MISSING.get(f"{method} {ref_path}")
        if not allowed:
            continue
        response = getattr(api, method.lower())(our_url, body, format="json")
        missing = set(missing_fields(reference_schema(ref_path, method), response.json()))
        if extra := set(allowed) - missing:
            stale[f"{method} {ref_path}"] = sorted(extra)
    assert stale == {}
