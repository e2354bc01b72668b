"""What Chatwoot's server sends, where typed Chatwoot clients broke on us (issue 11): the
availability enum, senderless activity lines, the inbox/contact/conversation/message/profile
fields, and the `source_id` of a new contact."""

from __future__ import annotations

import uuid

import pytest

from accounts import services as account_services
from accounts.models import AccessToken, Availability
from conversations.models import Conversation
from tests.conftest import api_client_for
from tests.factories import AccountUserFactory, InboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db


def url(account, path: str = "") -> str:
    return f"/api/v1/accounts/{account.pk}/{path}"


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="API")


@pytest.fixture
def started(admin_api, account, inbox, on_commit):
    """A conversation started through the API, answered, then resolved (an activity line)."""
    with on_commit():
        contact = admin_api.post(
            url(account, "contacts"),
            {"name": "Maria", "inbox_id": inbox.pk, "source_id": "crm-42"},
            format="json",
        ).json()["payload"]["contact"]
    with on_commit():
        conversation = admin_api.post(
            url(account, "conversations"),
            {"inbox_id": inbox.pk, "source_id": "crm-42", "message": {"content": "Oi"}},
            format="json",
        ).json()
    with on_commit():
        admin_api.post(
            url(account, f"conversations/{conversation['id']}/toggle_status"),
            {"status": "resolved"},
            format="json",
        )
    return contact, conversation


class TestAvailability:
    def test_agents_list_speaks_chatwoots_server_enum(self, admin_api, account, admin):
        account_services.agent_update(
            account=account, actor=admin, membership=admin, availability=Availability.ONLINE
        )
        agents = admin_api.get(url(account, "agents")).json()
        assert {a["availability_status"] for a in agents} <= {"online", "busy", "offline"}
        assert agents[0]["availability_status"] == "online"

    def test_patch_agent_takes_availability(self, admin_api, account, agent):
        body = admin_api.patch(
            url(account, f"agents/{agent.user_id}"), {"availability": "busy"}, format="json"
        ).json()
        assert body["availability_status"] == "busy"
        agent.refresh_from_db()
        assert agent.availability == Availability.BUSY

    def test_profile_takes_availability_nested_as_chatwoot_sends_it(
        self, admin_api, account, admin
    ):
        response = admin_api.put(
            "/api/v1/profile",
            {"profile": {"availability": "online", "account_id": account.pk}},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert response.json()["accounts"][0]["availability_status"] == "online"
        response = admin_api.post(
            "/api/v1/profile/availability",
            {"profile": {"availability": "offline", "account_id": account.pk}},
            format="json",
        )
        assert response.json()["accounts"][0]["availability_status"] == "offline"

    def test_profile_availability_for_a_foreign_account_is_404(self, admin_api, other_account):
        response = admin_api.put(
            "/api/v1/profile",
            {"profile": {"availability": "online", "account_id": other_account.pk}},
            format="json",
        )
        assert response.status_code == 404


class TestMessages:
    def test_activity_lines_have_no_sender(self, admin_api, account, started):
        _contact, conversation = started
        payload = admin_api.get(
            url(account, f"conversations/{conversation['id']}/messages")
        ).json()["payload"]
        activity = [m for m in payload if m["message_type"] == 2]
        assert activity, payload
        for message in activity:
            assert "sender" not in message
            assert (message["sender_type"], message["sender_id"]) == (None, None)
        first = next(m for m in payload if m["message_type"] != 2)
        assert first["sender"]["type"] in ("contact", "user") and first["sender"]["id"]

    def test_message_carries_its_conversation_block(self, admin_api, account, started):
        _contact, conversation = started
        message = admin_api.post(
            url(account, f"conversations/{conversation['id']}/messages"),
            {"content": "Tudo certo?"},
            format="json",
        ).json()
        block = message["conversation"]
        assert set(block) >= {"unread_count", "last_activity_at", "contact_inbox"}
        assert block["contact_inbox"] == {"source_id": "crm-42"}


class TestConversation:
    def test_uuid_is_a_real_uuid_and_the_last_message_is_embedded(
        self, admin_api, account, started
    ):
        _contact, created = started
        body = admin_api.get(url(account, f"conversations/{created['id']}")).json()
        assert str(uuid.UUID(body["uuid"])) == body["uuid"]
        assert body["uuid"] == str(Conversation.objects.get(account=account).uuid)
        assert body["contact_last_seen_at"] == 0 and "agent_last_seen_at" in body
        assert len(body["messages"]) == 1 and body["messages"][0]["message_type"] == 2
        listed = admin_api.get(url(account, "conversations?status=all")).json()["data"]
        assert listed["payload"][0]["messages"][0]["id"] == body["messages"][0]["id"]
        assert body["meta"]["sender"]["type"] == "contact"

    def test_meta_assignee_has_a_type(self, admin_api, account, admin, started):
        _contact, created = started
        admin_api.post(
            url(account, f"conversations/{created['id']}/assignments"),
            {"assignee_id": admin.user_id},
            format="json",
        )
        body = admin_api.get(url(account, f"conversations/{created['id']}")).json()
        assert body["meta"]["assignee"]["type"] == "user"


class TestContact:
    def test_source_id_is_honoured_and_contact_inboxes_are_shown(
        self, admin_api, account, inbox, started
    ):
        contact, _conversation = started
        assert contact["contact_inboxes"][0]["source_id"] == "crm-42"
        assert contact["contact_inboxes"][0]["inbox"]["id"] == inbox.pk
        assert contact["availability_status"] == "offline"
        shown = admin_api.get(url(account, f"contacts/{contact['id']}")).json()["payload"]
        assert shown["contact_inboxes"] == contact["contact_inboxes"]


class TestInbox:
    def test_inbox_has_chatwoots_fields(self, admin_api, account):
        created = admin_api.post(
            url(account, "inboxes/"), {"name": "Site", "channel": {"type": "api"}}, format="json"
        ).json()
        for name in (
            "channel_id",
            "phone_number",
            "provider",
            "website_token",
            "allow_messages_after_resolved",
            "lock_to_single_conversation",
            "enable_email_collect",
            "csat_survey_enabled",
            "callback_webhook_url",
        ):
            assert name in created, name
        assert created["channel_id"]


class TestProfile:
    def test_profile_has_chatwoots_fields_and_pubsub_token(self, account, admin):
        api = api_client_for(admin)
        body = api.get("/api/v1/profile").json()
        for name in ("pubsub_token", "avatar_url", "uid", "type", "message_signature"):
            assert name in body, name
        assert body["ui_settings"] == {} and body["uid"] == admin.user.email
        assert body["pubsub_token"] == AccessToken.objects.get(user=admin.user).pubsub_token
        other = AccountUserFactory(account=account)
        assert api_client_for(other).get("/api/v1/profile").json()["pubsub_token"] not in (
            body["pubsub_token"],
            None,
        )

    def test_pubsub_token_is_replaced_with_the_access_token(self, account, admin):
        first = api_client_for(admin).get("/api/v1/profile").json()["pubsub_token"]
        second = api_client_for(admin).get("/api/v1/profile").json()["pubsub_token"]
        assert first != second

    def test_signature_and_ui_settings_are_saved(self, admin_api):
        body = admin_api.put(
            "/api/v1/profile",
            {"profile": {"message_signature": "— Ana", "ui_settings": {"x": 1}}},
            format="json",
        ).json()
        assert (body["message_signature"], body["ui_settings"]) == ("— Ana", {"x": 1})


def test_agent_outside_the_inbox_sees_the_contact_inboxes_but_not_the_conversation(
    account, inbox, started
):
    contact, conversation = started
    outsider = AccountUserFactory(account=account)
    InboxMemberFactory(inbox=InboxFactory(account=account), account_user=outsider)
    api = api_client_for(outsider)
    assert api.get(url(account, f"contacts/{contact['id']}")).status_code == 200
    assert api.get(url(account, f"conversations/{conversation['id']}")).status_code == 404
