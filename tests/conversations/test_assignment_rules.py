"""Who may be given a conversation, forwarding to a named agent, when the waiting queue moves,
and a message racing a resolve."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from conversations import services
from conversations.models import Conversation, Message, Status
from conversations.services import IncomingMessage
from inboxes import services as inbox_services
from inboxes.models import InboxMember
from nexloo.core.errors import PermissionDenied, ValidationError
from teams import services as team_services
from teams.assignment import eligible_members
from tests.factories import AccountUserFactory, AdminFactory, ContactInboxFactory

pytestmark = pytest.mark.django_db


def open_conversation(inbox):
    """A new conversation past its intake (as if intake had found nobody to take it)."""
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    Conversation.objects.filter(pk=conversation.pk).update(intake_done_at=timezone.now())
    conversation.refresh_from_db()
    return conversation


class TestAssignable:
    def test_an_agent_outside_the_inbox_cannot_be_given_its_conversation(
        self, account, admin, inbox, member
    ):
        member("Sofia")
        outsider = AccountUserFactory(account=account, user__name="Carlos Financeiro")
        conversation = open_conversation(inbox)
        with pytest.raises(ValidationError) as exc:
            services.conversation_assign_agent(
                account=account, actor=admin, conversation=conversation, assignee=outsider
            )
        assert "Carlos Financeiro" in str(exc.value.message_dict["assignee_id"])
        conversation.refresh_from_db()
        assert conversation.assignee is None

    def test_administrators_can_be_given_any_conversation(self, account, admin, inbox):
        conversation = open_conversation(inbox)
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=admin
        )
        conversation.refresh_from_db()
        assert conversation.assignee == admin

    def test_api_answers_422(self, admin_api, account, inbox):
        outsider = AccountUserFactory(account=account)
        conversation = open_conversation(inbox)
        response = admin_api.post(
            f"/api/v1/accounts/{account.pk}/conversations/{conversation.display_id}/assignments",
            {"assignee_id": outsider.user_id},
            format="json",
        )
        assert response.status_code == 422

    def test_the_round_robin_never_picks_someone_whose_invitation_is_pending(
        self, account, admin, inbox, member
    ):
        """Invited and not accepted yet, even marked online: the round robin passes them by.
        By hand an administrator may still give them a conversation, as in Chatwoot (whose
        clients add an agent and assign at once); they see it once they accept."""
        accepted = member("Sofia Aceita", availability="online", auto_offline=False)
        pending = member(
            "Paula Pendente", availability="online", auto_offline=False, accepted_at=None
        )
        assert [m.account_user for m in eligible_members(inbox=inbox)] == [accepted]
        conversation = open_conversation(inbox)
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=pending
        )
        conversation.refresh_from_db()
        assert conversation.assignee == pending

    def test_the_assign_menu_lists_only_members_and_administrators(
        self, login, account, admin, inbox, member
    ):
        member("Sofia Membro")
        AccountUserFactory(account=account, user__name="Carlos De Fora")
        conversation = open_conversation(inbox)
        html = (
            login(admin)
            .get(reverse("conversations:pane", args=[account.pk, conversation.display_id]))
            .content.decode()
        )
        assert "Sofia Membro" in html and admin.user.name in html
        assert "Carlos De Fora" not in html

    def test_leaving_the_inbox_gives_back_its_conversations(
        self, account, admin, inbox, member, django_capture_on_commit_callbacks
    ):
        sofia = member("Sofia")
        conversation = open_conversation(inbox)
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=sofia
        )
        with django_capture_on_commit_callbacks(execute=True):
            inbox_services.inbox_members_remove(
                account=account, actor=admin, inbox=inbox, user_ids=[sofia.user_id]
            )
        conversation.refresh_from_db()
        assert conversation.assignee is None
        with pytest.raises(Exception, match="not found"):
            services.message_send(
                account=account, actor=sofia, conversation=conversation, content="ainda aqui?"
            )


class TestForwardToANamedAgent:
    def test_round_robin_does_not_pick_someone_first(self, account, inbox, member, team_factory):
        reception, sales = team_factory("Recepção"), team_factory("Comercial")
        sofia = member("Sofia", reception)
        alpha, bravo = member("Alpha", sales), member("Bravo", sales)
        conversation = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=reception
        )
        conversation = services.conversation_forward(
            account=account, actor=sofia, conversation=conversation, team=sales, assignee=bravo
        )
        assert conversation.assignee == bravo
        lines = " | ".join(
            Message.objects.filter(conversation=conversation, message_type="activity")
            .order_by("pk")
            .values_list("content", flat=True)
        )
        assert "Alpha" not in lines
        assert InboxMember.objects.get(inbox=inbox, account_user=alpha).last_assigned_seq == 0

    def test_an_agent_outside_the_team_is_refused_before_anything_changes(
        self, account, inbox, member, team_factory
    ):
        reception, sales = team_factory("Recepção"), team_factory("Comercial")
        sofia = member("Sofia", reception)
        outsider = member("Davi")
        conversation = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=reception
        )
        with pytest.raises(ValidationError):
            services.conversation_forward(
                account=account,
                actor=sofia,
                conversation=conversation,
                team=sales,
                assignee=outsider,
            )
        conversation.refresh_from_db()
        assert (conversation.team, conversation.assignee) == (reception, sofia)


class TestQueueMoves:
    def test_reassigning_frees_capacity(
        self, account, admin, inbox, member, team_factory, django_capture_on_commit_callbacks
    ):
        inbox.max_assignment_limit = 1
        inbox.save()
        sales = team_factory("Comercial")
        alpha = member("Alpha", sales)
        first = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=sales
        )
        waiting = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=sales
        )
        assert (first.assignee, waiting.assignee) == (alpha, None)
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_assign_agent(
                account=account, actor=admin, conversation=first, assignee=admin
            )
        waiting.refresh_from_db()
        assert waiting.assignee == alpha

    def test_turning_on_a_teams_auto_assignment(
        self, account, admin, inbox, member, team_factory, django_capture_on_commit_callbacks
    ):
        sales = team_factory("Comercial", allow_auto_assign=False)
        alpha = member("Alpha", sales)
        waiting = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=sales
        )
        assert waiting.assignee is None
        with django_capture_on_commit_callbacks(execute=True):
            team_services.team_update(
                account=account, actor=admin, team=sales, allow_auto_assign=True
            )
        waiting.refresh_from_db()
        assert waiting.assignee == alpha

    def test_an_administrator_setting_someone_available(
        self, account, admin, inbox, member, team_factory, django_capture_on_commit_callbacks
    ):
        sales = team_factory("Comercial")
        alpha = member("Alpha", sales, availability="offline")
        waiting = services.conversation_assign_team(
            account=account, actor=None, conversation=open_conversation(inbox), team=sales
        )
        with django_capture_on_commit_callbacks(execute=True):
            account_services.agent_update(
                account=account, actor=admin, membership=alpha, availability="available"
            )
        waiting.refresh_from_db()
        assert waiting.assignee == alpha

    def test_drain_stops_when_nobody_has_room(
        self, account, inbox, member, team_factory, django_assert_max_num_queries
    ):
        inbox.max_assignment_limit = 2
        inbox.save()
        sales = team_factory("Comercial", allow_auto_assign=False)
        alpha = member("Alpha", sales)
        for _ in range(30):
            services.conversation_assign_team(
                account=account, actor=None, conversation=open_conversation(inbox), team=sales
            )
        sales.allow_auto_assign = True
        sales.save()
        # Two assignments, then the round knows Alpha is full: no query per waiting conversation.
        with django_assert_max_num_queries(40):
            assert services.assignment_queue_drain(inbox_id=inbox.pk) == 2
        assert Conversation.objects.filter(assignee=alpha).count() == 2


class TestResolvedMeanwhile:
    def test_a_message_racing_a_resolve_opens_a_new_conversation(
        self, account, admin, inbox, monkeypatch
    ):
        from conversations.services import inbound

        real_open = inbound.open_conversation
        calls = []

        def open_then_resolve(**kwargs):
            opened, created = real_open(**kwargs)
            if not calls:  # an agent resolves it right after the webhook found it
                services.conversation_status_set(
                    account=account,
                    actor=admin,
                    conversation=Conversation.objects.get(pk=opened.pk),
                    status=Status.RESOLVED,
                )
            calls.append(opened.pk)
            return opened, created

        first = open_conversation(inbox)
        monkeypatch.setattr(inbound, "open_conversation", open_then_resolve)
        message, created = services.inbound_message(
            inbox=inbox,
            contact_source_id=first.contact_inbox.source_id,
            message=IncomingMessage(content="Oi de novo", source_id="wamid.race"),
        )
        assert created and message.conversation_id != first.pk
        assert message.conversation.status == Status.OPEN
        first.refresh_from_db()
        assert first.status == Status.RESOLVED
        assert not first.messages.filter(message_type="incoming").exists()


def test_incoming_messages_cannot_carry_reserved_attributes(account, inbox):
    message, _ = services.message_receive(
        conversation=open_conversation(inbox),
        incoming=IncomingMessage(
            content="oi", content_attributes={"automatic": "routing_message", "deleted": True}
        ),
    )
    assert message.content_attributes == {}


def test_routing_message_is_not_sent_to_a_resolved_conversation(
    account, admin, inbox, team_factory
):
    sales = team_factory("Comercial", routing_message="Olá do Comercial")
    conversation = open_conversation(inbox)
    services.conversation_status_set(
        account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
    )
    services.conversation_assign_team(
        account=account, actor=admin, conversation=conversation, team=sales
    )
    assert not Message.objects.filter(conversation=conversation, message_type="outgoing").exists()


def test_only_administrators_delete_contacts_and_manage_canned_responses(account, agent, inbox):
    conversation = open_conversation(inbox)
    with pytest.raises(PermissionDenied):
        services.contact_delete(account=account, actor=agent, contact=conversation.contact)
    with pytest.raises(PermissionDenied):
        services.canned_response_create(account=account, actor=agent, short_code="x", content="y")
    second_admin = AdminFactory(account=account)
    services.contact_delete(account=account, actor=second_admin, contact=conversation.contact)
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
