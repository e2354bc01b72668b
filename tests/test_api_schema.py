"""The OpenAPI schema and Swagger UI are served by the app (offline: no CDN)."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db

CHATWOOT_PATHS = [
    "/api/v1/profile",
    "/api/v1/accounts/{account_id}/agents",
    "/api/v1/accounts/{account_id}/agents/{id}",
    "/api/v1/accounts/{account_id}/inboxes",
    "/api/v1/accounts/{account_id}/inbox_members",
    "/api/v1/accounts/{account_id}/inbox_members/{inbox_id}",
    "/api/v1/accounts/{account_id}/teams",
    "/api/v1/accounts/{account_id}/teams/{team_id}/team_members",
    "/api/v1/accounts/{account_id}/conversations",
    "/api/v1/accounts/{account_id}/conversations/meta",
    "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages",
    "/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments",
    "/api/v1/accounts/{account_id}/contacts/search",
    "/api/v1/accounts/{account_id}/contacts/filter",
    "/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes",
    "/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes",
    "/api/v1/accounts/{account_id}/contacts/{id}/labels",
    "/api/v1/accounts/{account_id}/conversations/filter",
    "/api/v1/accounts/{account_id}/canned_responses",
    "/api/v1/accounts/{account_id}/automation_rules",
    "/api/v1/accounts/{account_id}/automation_rules/{id}",
    "/platform/api/v1/accounts",
    "/platform/api/v1/users",
    "/platform/api/v1/accounts/{account_id}/account_users",
]


def normalise(path: str) -> str:
    return path.replace("{pk}", "{id}").rstrip("/")


def test_schema_lists_the_chatwoot_paths(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = {normalise(p) for p in schema["paths"]}
    missing = [p for p in CHATWOOT_PATHS if normalise(p) not in paths]
    assert missing == []
    assert schema["components"]["securitySchemes"]["userApiKey"]["name"] == "api_access_token"


def test_swagger_ui_is_served_without_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
