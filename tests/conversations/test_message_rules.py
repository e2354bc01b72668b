"""Limits on what people and clients may send, and the read receipt for one's own tabs."""

from __future__ import annotations

import pytest

from conversations import services
from conversations.services import NewAttachment
from nexloo.core.errors import ValidationError
from tests.factories import ContactInboxFactory, InboxMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(account, inbox, agent):
    InboxMemberFactory(inbox=inbox, account_user=agent)
    return services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation


def test_attachments_over_the_limit_are_refused(account, agent, conversation, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024
    big = NewAttachment(file_type="file", file_name="grande.pdf", content=b"x" * 1025)
    with pytest.raises(ValidationError) as exc:
        services.message_send(
            account=account, actor=agent, conversation=conversation, content="", attachments=(big,)
        )
    assert "grande.pdf" in str(exc.value.message_dict["attachments"])
    assert not conversation.messages.filter(message_type="outgoing").exists()


def test_clients_cannot_set_reserved_attributes(account, agent, conversation):
    message = services.message_send(
        account=account,
        actor=agent,
        conversation=conversation,
        content="Oi",
        content_attributes={"automatic": "out_of_office", "deleted": True, "in_reply_to": 7},
    )
    assert message.content_attributes == {"in_reply_to": 7}


def test_reading_tells_only_the_readers_own_tabs(
    account, admin, agent, conversation, recorded_events, on_commit
):
    with on_commit():
        services.conversation_mark_read(account=account, actor=agent, conversation=conversation)
    (event,) = [e for e in recorded_events if e.name == "conversation.read"]
    assert event.user_ids == frozenset({agent.user_id}) and not event.admins
    assert event.inbox_id is None

    from conversations.realtime import recipients

    assert recipients(event) == {agent.user_id}


@pytest.mark.count_cache
def test_counts_are_cached_until_the_next_event(
    account, admin, inbox, conversation, django_assert_num_queries, on_commit
):
    from conversations.selectors import ConversationFilter, conversation_counts

    f = ConversationFilter(assignee_type="all")
    assert conversation_counts(membership=admin, f=f)["all_count"] == 1
    with django_assert_num_queries(0):
        assert conversation_counts(membership=admin, f=f)["all_count"] == 1
    with on_commit():  # a new conversation: its event makes the next count fresh
        services.conversation_open_for(contact_inbox=ContactInboxFactory(inbox=inbox))
    assert conversation_counts(membership=admin, f=f)["all_count"] == 2
