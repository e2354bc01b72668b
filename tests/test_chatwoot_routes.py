"""Chatwoot routes third-party clients call (issue 11): PATCH contacts, contact inboxes,
contactable inboxes, contact labels, and the conversations/contacts filters built on the
automation rules' condition evaluator. Another account's objects answer 404."""

from __future__ import annotations

import pytest

from conversations.models import Status
from tests.conftest import api_client_for
from tests.factories import (
    AccountUserFactory,
    ContactFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db


def url(account, path: str = "") -> str:
    return f"/api/v1/accounts/{account.pk}/{path}"


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="API")


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, name="Maria Souza", email="maria@example.com")


class TestContactRoutes:
    def test_patch_updates_like_put(self, admin_api, account, contact):
        response = admin_api.patch(
            url(account, f"contacts/{contact.pk}"), {"name": "Maria S."}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["payload"]["name"] == "Maria S."

    def test_contact_inboxes_create_and_list(self, admin_api, account, contact, inbox):
        created = admin_api.post(
            url(account, f"contacts/{contact.pk}/contact_inboxes"),
            {"inbox_id": inbox.pk, "source_id": "ext-1"},
            format="json",
        )
        assert created.status_code == 200, created.json()
        assert created.json()["source_id"] == "ext-1"
        assert created.json()["inbox"]["id"] == inbox.pk
        listed = admin_api.get(url(account, f"contacts/{contact.pk}/contact_inboxes")).json()
        assert [ci["source_id"] for ci in listed["payload"]] == ["ext-1"]

    def test_a_source_id_of_another_contact_is_refused(self, admin_api, account, contact, inbox):
        ContactInboxFactory(inbox=inbox, source_id="taken")
        response = admin_api.post(
            url(account, f"contacts/{contact.pk}/contact_inboxes"),
            {"inbox_id": inbox.pk, "source_id": "taken"},
            format="json",
        )
        assert response.status_code == 422

    def test_contactable_inboxes(self, admin_api, account, contact, inbox):
        body = admin_api.get(url(account, f"contacts/{contact.pk}/contactable_inboxes")).json()
        assert [(row["inbox"]["id"], row["source_id"]) for row in body["payload"]] == [
            (inbox.pk, f"contact-{contact.pk}")
        ]

    def test_labels(self, admin_api, account, contact):
        target = url(account, f"contacts/{contact.pk}/labels")
        assert admin_api.get(target).json() == {"payload": []}
        body = admin_api.post(target, {"labels": ["VIP", "cliente"]}, format="json").json()
        assert body == {"payload": ["cliente", "vip"]}
        assert admin_api.get(target).json() == {"payload": ["cliente", "vip"]}
        assert admin_api.post(target, {"labels": []}, format="json").json() == {"payload": []}


class TestFilters:
    def test_conversations_filter(self, admin_api, account, inbox):
        wanted = ConversationFactory(
            contact_inbox=ContactInboxFactory(inbox=inbox), status=Status.PENDING
        )
        MessageFactory(conversation=wanted)
        ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox))
        body = admin_api.post(
            url(account, "conversations/filter"),
            {
                "payload": [
                    {
                        "attribute_key": "status",
                        "filter_operator": "equal_to",
                        "values": ["pending"],
                        "query_operator": None,
                    }
                ]
            },
            format="json",
        ).json()
        assert [row["id"] for row in body["payload"]] == [wanted.display_id]
        assert body["meta"]["all_count"] == 1
        assert body["payload"][0]["messages"]

    def test_contacts_filter_with_or(self, admin_api, account, contact):
        ContactFactory(account=account, name="Outro")
        bruno = ContactFactory(account=account, name="Bruno", email="bruno@example.com")
        body = admin_api.post(
            url(account, "contacts/filter"),
            {
                "payload": [
                    {
                        "attribute_key": "email",
                        "filter_operator": "contains",
                        "values": ["maria"],
                        "query_operator": "OR",
                    },
                    {
                        "attribute_key": "name",
                        "filter_operator": "equal_to",
                        "values": ["Bruno"],
                        "query_operator": None,
                    },
                ]
            },
            format="json",
        ).json()
        assert sorted(row["id"] for row in body["payload"]) == sorted([contact.pk, bruno.pk])
        assert body["meta"] == {"count": 2, "current_page": 1}

    def test_bad_rows_answer_422_naming_the_row(self, admin_api, account):
        response = admin_api.post(
            url(account, "conversations/filter"),
            {"payload": [{"attribute_key": "nope", "filter_operator": "equal_to", "values": []}]},
            format="json",
        )
        assert response.status_code == 422
        assert "payload[0].attribute_key" in str(response.json())
        response = admin_api.post(
            url(account, "contacts/filter"),
            {"payload": [{"attribute_key": "status", "filter_operator": "equal_to", "values": []}]},
            format="json",
        )
        assert response.status_code == 422

    def test_agents_see_only_their_inboxes_conversations(self, account, inbox):
        agent = AccountUserFactory(account=account)
        InboxMemberFactory(inbox=InboxFactory(account=account), account_user=agent)
        ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox))
        body = (
            api_client_for(agent)
            .post(url(account, "conversations/filter"), {"payload": []}, format="json")
            .json()
        )
        assert body["payload"] == [] and body["meta"]["all_count"] == 0

    def test_filter_query_count_does_not_grow(
        self, admin_api, account, inbox, django_assert_num_queries
    ):
        def add(n):
            for _ in range(n):
                MessageFactory(
                    conversation=ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox))
                )

        add(2)
        body = {"payload": []}
        # 7: the token with its membership, then the list's own reads (as the conversation list).
        with django_assert_num_queries(7):
            admin_api.post(url(account, "conversations/filter"), body, format="json")
        add(10)
        with django_assert_num_queries(7):
            admin_api.post(url(account, "conversations/filter"), body, format="json")
        with django_assert_num_queries(5):
            admin_api.post(url(account, "contacts/filter"), body, format="json")


FOREIGN = [
    ("patch", "contacts/{id}", {"name": "x"}),
    ("get", "contacts/{id}/contact_inboxes", None),
    ("post", "contacts/{id}/contact_inboxes", {"inbox_id": 0}),
    ("get", "contacts/{id}/contactable_inboxes", None),
    ("get", "contacts/{id}/labels", None),
    ("post", "contacts/{id}/labels", {"labels": ["x"]}),
    ("post", "contacts/filter", {"payload": []}),
    ("post", "conversations/filter", {"payload": []}),
]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN)
def test_another_accounts_user_gets_404(outsider_api, account, contact, method, path, body):
    response = getattr(outsider_api, method)(
        url(account, path.format(id=contact.pk)), body, format="json"
    )
    assert response.status_code == 404


def test_a_foreign_contact_or_inbox_is_404(admin_api, account, other_account, contact, inbox):
    foreign = ContactFactory(account=other_account)
    assert admin_api.get(url(account, f"contacts/{foreign.pk}/labels")).status_code == 404
    foreign_inbox = InboxFactory(account=other_account)
    response = admin_api.post(
        url(account, f"contacts/{contact.pk}/contact_inboxes"),
        {"inbox_id": foreign_inbox.pk},
        format="json",
    )
    assert response.status_code == 404


def test_an_agent_outside_the_inbox_cannot_add_the_contact_there(account, contact, inbox):
    agent = AccountUserFactory(account=account)
    response = api_client_for(agent).post(
        url(account, f"contacts/{contact.pk}/contact_inboxes"),
        {"inbox_id": inbox.pk},
        format="json",
    )
    assert response.status_code == 404
