"""What the hot API endpoints and the worker's intake cost, in SQL statements (issue #12).

Each count is exact and includes what the commit sets off in the same process (the websocket
audience read), since that work is the request's too; the task queue is stubbed, so the intake
that a new conversation queues is counted on its own. Inside a test the services' outermost
transaction is a savepoint of the test's: `SAVEPOINT`/`RELEASE` are two statements that
production does not run (there it is BEGIN/COMMIT, which Django does not count).
`bench/cost.py` measures the same endpoints outside a test, with their times.
"""

from __future__ import annotations

import pytest

from conversations import services
from conversations.models import Contact, Conversation, Message
from nexloo.celery import app as celery_app
from nexloo.core import tasks
from tests.conftest import api_client_for
from tests.factories import ContactFactory, ContactInboxFactory, InboxFactory, MessageFactory

pytestmark = pytest.mark.django_db

SAVEPOINT_PAIR = 2  # the test's transaction: see the module's docstring


def url(account, path: str = "") -> str:
    return f"/api/v1/accounts/{account.pk}/{path}"


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued on commit are kept here, as a worker would find them, instead of running in
    the test's process (the API then answers as it does with a worker)."""
    calls: list[tuple] = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: calls.append((task.name, args)))
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    return calls


@pytest.fixture(autouse=True)
def warm(account):
    """The account's automation rule sets are cached per process until they change (see
    automations.selectors), and its webhooks until one changes: read them once, as a running
    server has."""
    from automations.selectors import active_rules
    from webhooks.selectors import targets_for

    for event_name in ("conversation_created", "message_created", "conversation_updated"):
        active_rules(account_id=account.pk, event_name=event_name)
    # So is its list of outbound webhooks (cached until one of them changes).
    targets_for(account_id=account.pk, inbox_id=None, subscription="message_created")


@pytest.fixture
def sofia(member):
    return member("Sofia Secretária")


@pytest.fixture
def sofia_api(sofia):
    return api_client_for(sofia)


@pytest.fixture
def counted(django_assert_num_queries, django_capture_on_commit_callbacks):
    """`with counted(n):` — exactly n statements, the on-commit work included."""
    from contextlib import contextmanager

    @contextmanager
    def _counted(n: int):
        with (
            django_assert_num_queries(n),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return _counted


def test_get_a_small_object_takes_three_queries(sofia_api, account, inbox, counted):
    contact = ContactFactory(account=account)
    sofia_api.get(url(account, f"contacts/{contact.pk}"))  # warm the process-wide caches
    # The token and the membership in one query, then the contact and its identities.
    with counted(3):
        response = sofia_api.get(url(account, f"contacts/{contact.pk}"))
    assert response.status_code == 200


def test_get_profile_takes_three_queries(sofia_api, counted):
    # The token, the memberships, whether the e-mail is verified.
    with counted(3):
        assert sofia_api.get("/api/v1/profile").status_code == 200


def test_post_a_contact(sofia_api, account, inbox, queued, counted):
    sofia_api.post(url(account, "contacts"), {"name": "Aquecimento"}, format="json")
    # (15 with the answer's re-read of the contact as the detail endpoint shows it, its
    # contact_inboxes included, with the API channel's webhook_url of their inboxes.)
    with counted(15):
        response = sofia_api.post(
            url(account, "contacts"), {"name": "Nova", "inbox_id": inbox.pk}, format="json"
        )
    assert response.status_code == 200, response.content
    assert Contact.objects.filter(account=account, name="Nova").exists()


def test_post_a_conversation_with_its_first_message(sofia_api, account, inbox, queued, counted):
    """Token and membership, the inbox, the contact's identity (looked up, then the contact and
    it created in a savepoint: four), the display id, the conversation, the message, the
    conversation's last activity, and one audience read for the three events it sends: 12. The
    answer's embedded messages (Chatwoot's shape) are the one just written: nothing re-read."""
    with counted(12 + SAVEPOINT_PAIR):
        response = sofia_api.post(
            url(account, "conversations"),
            {"inbox_id": inbox.pk, "source_id": "cliente-1", "message": {"content": "Olá!"}},
            format="json",
        )
    assert response.status_code == 200, response.content
    body = response.json()
    conversation = Conversation.objects.get(account=account, display_id=body["id"])
    assert body["labels"] == [] and body["meta"]["sender"]["id"] == conversation.contact_id
    assert list(conversation.messages.values_list("content", flat=True)) == ["Olá!"]
    assert queued == [("conversations.intake", (conversation.pk, conversation.inbox_id))] + [
        q for q in queued if q[0] != "conversations.intake"
    ]


def test_the_new_conversations_answer_embeds_its_message_as_a_read_would(
    sofia_api, sofia, account, inbox, queued
):
    response = sofia_api.post(
        url(account, "conversations"),
        {"inbox_id": inbox.pk, "source_id": "cliente-2", "message": {"content": "Olá de novo"}},
        format="json",
    )
    body = response.json()
    read = sofia_api.get(url(account, f"conversations/{body['id']}")).json()
    assert [m["content"] for m in body["messages"]] == ["Olá de novo"]
    assert body["messages"] == read["messages"]
    assert body["last_non_activity_message"] == read["last_non_activity_message"]


def test_post_a_message_takes_eight_queries(
    sofia_api, account, inbox, new_conversation, queued, counted
):
    """Token and membership, the conversation (seen by her: she may write in it), its lock and
    the read under it (two statements, see lock_conversation), the message, the conversation's
    last activity, the audience, and the conversation's unread count for the answer's
    `conversation` block (Chatwoot's; it was always 0 before)."""
    conversation = new_conversation()
    MessageFactory(conversation=conversation)  # the contact's, never seen
    path = url(account, f"conversations/{conversation.display_id}/messages")
    with counted(8 + SAVEPOINT_PAIR):
        response = sofia_api.post(path, {"content": "Tudo certo"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["content"] == "Tudo certo"
    assert response.json()["conversation"]["unread_count"] == 1
    assert Message.objects.filter(conversation=conversation, content="Tudo certo").exists()


def test_an_active_webhook_adds_nothing_to_posting_a_message(
    sofia_api, account, inbox, new_conversation, queued, counted, monkeypatch
):
    """The same eight statements with a webhook that takes the message: the commit only looks
    up (in the cache) which webhooks take it and queues each one's delivery task with the
    event's snapshot; the task builds the payload."""
    from webhooks.models import Webhook
    from webhooks.selectors import forget_active, targets_for

    hook = Webhook.objects.create(
        account=account, url="https://crm.example/hook", subscriptions=["message_created"]
    )
    forget_active(account.pk)
    targets_for(account_id=account.pk, inbox_id=None, subscription="message_created")  # warm
    monkeypatch.setattr(
        "webhooks.listeners.enqueue", lambda task, *args: queued.append((task.name, args))
    )
    conversation = new_conversation()
    MessageFactory(conversation=conversation)
    path = url(account, f"conversations/{conversation.display_id}/messages")
    with counted(8 + SAVEPOINT_PAIR):
        response = sofia_api.post(path, {"content": "Tudo certo"}, format="json")
    assert response.status_code == 200, response.content
    (delivery,) = [args for name, args in queued if name == "webhooks.deliver"]
    webhook_id, _delivery_id, event, payload, source = delivery
    assert (webhook_id, event, payload) == (hook.pk, "message_created", None)
    assert source["conversation_pk"] == conversation.pk
    assert source["data"]["id"] == response.json()["id"]


def test_another_accounts_conversation_is_not_found_on_the_lean_path(
    sofia_api, account, other_account
):
    theirs = ContactInboxFactory(inbox__account=other_account)
    conversation = services.conversation_open_for(contact_inbox=theirs).conversation
    path = url(other_account, f"conversations/{conversation.display_id}/messages")
    assert sofia_api.post(path, {"content": "x"}, format="json").status_code == 404
    path = url(account, f"conversations/{conversation.display_id}/messages")
    assert sofia_api.post(path, {"content": "x"}, format="json").status_code == 404
    assert not Message.objects.filter(content="x").exists()


def test_the_intake_of_a_new_conversation(inbox, sofia, queued, counted):
    """As the task runs it (with the inbox id its creator queued): the inbox's lock, the
    conversation's lock with the check and the intake mark in one UPDATE (the account's rule
    set is cached: no rule, nothing read), the conversation as the hooks left it, who may take
    it (with the round robin position), the position moved on, the assignment, its activity
    line, and one audience read for the events."""
    inbox.enable_auto_assignment = True
    inbox.save()
    contact_inbox = ContactInboxFactory(inbox=inbox)
    conversation = services.conversation_open_for(contact_inbox=contact_inbox).conversation
    with counted(8 + SAVEPOINT_PAIR):
        assert services.conversation_intake(conversation_id=conversation.pk, inbox_id=inbox.pk)
    conversation.refresh_from_db()
    assert conversation.assignee == sofia and conversation.intake_done_at is not None
    with counted(1):  # redelivered: one read finds it done
        assert not services.conversation_intake(conversation_id=conversation.pk)
    with counted(2 + SAVEPOINT_PAIR):  # or, with the inbox id, the lock and the UPDATE
        assert not services.conversation_intake(conversation_id=conversation.pk, inbox_id=inbox.pk)


def test_an_intake_queued_for_an_inbox_the_conversation_left_locks_the_right_one(
    inbox, sofia, queued
):
    """The inbox id in the task is what the creator knew; moved since, the intake retries with
    the conversation's own inbox (its lock comes before the conversation's, always)."""
    inbox.enable_auto_assignment = True
    inbox.save()
    other = InboxFactory(account=inbox.account)
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=other)
    ).conversation
    Conversation.objects.filter(pk=conversation.pk).update(inbox=inbox)
    assert services.conversation_intake(conversation_id=conversation.pk, inbox_id=other.pk)
    conversation.refresh_from_db()
    assert conversation.assignee == sofia and conversation.intake_done_at is not None
