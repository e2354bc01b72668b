"""The assignment engine through the conversation services: eligibility, fairness, capacity
under concurrency, the waiting queue, fixed contact assignment, team routing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections
from django.utils import timezone

from accounts import presence
from accounts import services as account_services
from conversations import services
from conversations.models import Conversation, Message, Status
from inboxes.models import AssignmentPolicy
from teams.assignment import choose_assignee, eligible_members, lock_inbox
from tests.factories import ContactInboxFactory, ConversationFactory

pytestmark = pytest.mark.django_db


def route(account, conversation, team, on_commit=None):
    return services.conversation_assign_team(
        account=account, actor=None, conversation=conversation, team=team
    )


class TestEligibility:
    def test_only_available_members_of_inbox_and_team(self, account, inbox, member, team_factory):
        sales = team_factory("Comercial")
        ana = member("Ana", sales)
        member("Bruno")  # in the inbox, not in the team
        member("Carla", sales, availability="busy")
        member("Davi", sales, availability="offline")
        stale = member(
            "Eva", sales, auto_offline=True, last_seen_at=timezone.now() - timedelta(minutes=5)
        )
        fresh = member(
            "Fábio", sales, auto_offline=True, last_seen_at=timezone.now() - timedelta(seconds=10)
        )
        names = {m.account_user.user.name for m in eligible_members(inbox=inbox, team=sales)}
        assert names == {"Ana", "Fábio"}
        assert presence.is_available(fresh) and not presence.is_available(stale)
        assert ana.pk in {m.account_user_id for m in eligible_members(inbox=inbox)}

    def test_administrators_are_not_eligible_unless_members(self, account, admin, inbox, member):
        member("Ana")
        assert [m.account_user.user.name for m in eligible_members(inbox=inbox)] == ["Ana"]

    def test_heartbeat_expiry_uses_the_clock(self, account, inbox, member):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            ana = member("Ana", auto_offline=True, last_seen_at=timezone.now())
            clock.shift(timedelta(seconds=59))
            assert [m.account_user for m in eligible_members(inbox=inbox)] == [ana]
            clock.shift(timedelta(seconds=2))
            assert eligible_members(inbox=inbox) == []


class TestRoundRobin:
    def test_fair_over_300_conversations(
        self, account, inbox, member, team_factory, new_conversation
    ):
        sales = team_factory("Comercial")
        agents = [member(n, sales) for n in ("Ana", "Bruno", "Carla")]
        for _ in range(300):
            route(account, new_conversation(), sales)
        counts = Counter(
            Conversation.objects.filter(team=sales).values_list("assignee_id", flat=True)
        )
        assert sorted(counts) == sorted(a.pk for a in agents)
        assert all(99 <= n <= 101 for n in counts.values()), counts

    def test_rotates_in_order(self, account, inbox, member, team_factory, new_conversation):
        sales = team_factory("Comercial")
        agents = [member(n, sales) for n in ("Ana", "Bruno", "Carla")]
        picked = [route(account, new_conversation(), sales).assignee for _ in range(6)]
        assert picked == agents + agents

    def test_least_loaded(self, account, inbox, member, new_conversation):
        inbox.assignment_policy = AssignmentPolicy.LEAST_LOADED
        inbox.save()
        ana, bruno = member("Ana"), member("Bruno")
        for _ in range(3):
            ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox), assignee=ana)
        ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox), assignee=bruno)
        with pytest.MonkeyPatch.context():
            lock_inbox(inbox.pk)
            assert choose_assignee(inbox=inbox) == bruno


class TestCapacity:
    def test_limit_leaves_the_rest_waiting(
        self, account, inbox, member, team_factory, new_conversation
    ):
        inbox.max_assignment_limit = 2
        inbox.save()
        sales = team_factory("Comercial")
        for n in ("Ana", "Bruno", "Carla"):
            member(n, sales)
        for _ in range(10):
            route(account, new_conversation(), sales)
        counts = Counter(
            Conversation.objects.filter(team=sales).values_list("assignee_id", flat=True)
        )
        assert counts.pop(None) == 4
        assert sorted(counts.values()) == [2, 2, 2]

    @pytest.mark.django_db(transaction=True)
    def test_fifty_parallel_assignments_never_exceed_the_limit(
        self, account, inbox, member, team_factory
    ):
        inbox.max_assignment_limit = 5
        inbox.save()
        sales = team_factory("Comercial")
        agents = [member(n, sales) for n in ("Ana", "Bruno", "Carla")]
        conversations = [
            services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox)
            ).conversation
            for _ in range(50)
        ]
        barrier = threading.Barrier(len(conversations))
        errors: list[BaseException] = []

        def assign(conversation):
            try:
                barrier.wait()
                route(account, conversation, sales)
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                close_old_connections()

        threads = [threading.Thread(target=assign, args=(c,)) for c in conversations]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        counts = Counter(
            Conversation.objects.filter(team=sales).values_list("assignee_id", flat=True)
        )
        assert counts[None] == 50 - 15
        assert {counts[a.pk] for a in agents} == {5}


class TestWaitingQueue:
    def test_drained_oldest_first_when_someone_comes_online(
        self,
        account,
        inbox,
        member,
        team_factory,
        new_conversation,
        django_capture_on_commit_callbacks,
    ):
        sales = team_factory("Comercial")
        ana = member("Ana", sales, availability="offline")
        with time_machine.travel(timezone.now() - timedelta(hours=1), tick=True) as clock:
            waiting = []
            for _ in range(3):
                waiting.append(route(account, new_conversation(), sales))
                clock.shift(timedelta(minutes=1))
        assert all(c.assignee_id is None for c in waiting)
        inbox.max_assignment_limit = 2
        inbox.save()
        with django_capture_on_commit_callbacks(execute=True):
            account_services.availability_set(
                account=account, membership=ana, availability="online"
            )
        assigned = list(
            Conversation.objects.filter(team=sales)
            .order_by("created_at")
            .values_list("assignee_id", flat=True)
        )
        assert assigned == [ana.pk, ana.pk, None]

    def test_resolving_frees_capacity(
        self,
        account,
        inbox,
        member,
        team_factory,
        new_conversation,
        django_capture_on_commit_callbacks,
    ):
        inbox.max_assignment_limit = 1
        inbox.save()
        sales = team_factory("Comercial")
        ana = member("Ana", sales)
        first = route(account, new_conversation(), sales)
        second = route(account, new_conversation(), sales)
        assert (first.assignee, second.assignee) == (ana, None)
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_status_set(
                account=account, actor=ana, conversation=first, status=Status.RESOLVED
            )
        second.refresh_from_db()
        assert second.assignee == ana

    def test_heartbeat_after_absence_brings_work(
        self,
        account,
        inbox,
        member,
        team_factory,
        new_conversation,
        django_capture_on_commit_callbacks,
    ):
        sales = team_factory("Comercial")
        ana = member(
            "Ana", sales, auto_offline=True, last_seen_at=timezone.now() - timedelta(hours=1)
        )
        waiting = route(account, new_conversation(), sales)
        assert waiting.assignee is None
        with django_capture_on_commit_callbacks(execute=True):
            assert presence.presence_heartbeat(membership_id=ana.pk) is True
        waiting.refresh_from_db()
        assert waiting.assignee == ana


class TestTeamRouting:
    def test_assignee_outside_the_new_team_is_cleared_then_a_member_picked(
        self, account, inbox, member, team_factory, new_conversation
    ):
        reception, sales = team_factory("Recepção"), team_factory("Comercial")
        sofia = member("Sofia", reception)
        carla = member("Carla", sales)
        conversation = route(account, new_conversation(), reception)
        assert conversation.assignee == sofia
        conversation = services.conversation_assign_team(
            account=account, actor=sofia, conversation=conversation, team=sales, verb="forwarded"
        )
        assert conversation.assignee == carla
        lines = list(
            Message.objects.filter(conversation=conversation, message_type="activity").values_list(
                "content", flat=True
            )
        )
        assert "Encaminhada para o time Comercial por Sofia" in lines
        # Sofia routed it; the engine chose Carla, and the line says so.
        assert "Conversa atribuída a Carla por Automação" in lines

    def test_routing_message_goes_to_the_contact(
        self,
        account,
        inbox,
        member,
        team_factory,
        new_conversation,
        django_capture_on_commit_callbacks,
    ):
        reception = team_factory(
            "Recepção", routing_message="Olá! Sua conversa está com a Recepção."
        )
        member("Sofia", reception)
        with django_capture_on_commit_callbacks(execute=True):
            conversation = route(account, new_conversation(), reception)
        sent = Message.objects.get(conversation=conversation, message_type="outgoing")
        assert sent.content == "Olá! Sua conversa está com a Recepção." and not sent.private
        assert sent.status == "sent"  # the api channel delivers by emitting events

    def test_without_auto_assign_the_team_queue_waits(
        self, account, inbox, member, team_factory, new_conversation
    ):
        support = team_factory("Suporte", allow_auto_assign=False)
        member("Ana", support)
        assert route(account, new_conversation(), support).assignee is None

    def test_member_of_the_team_keeps_the_conversation(
        self, account, inbox, member, team_factory, new_conversation
    ):
        sales = team_factory("Comercial")
        ana, bruno = member("Ana", sales), member("Bruno", sales)
        conversation = services.conversation_assign_agent(
            account=account, actor=None, conversation=new_conversation(), assignee=bruno
        )
        assert route(account, conversation, sales).assignee == bruno
        assert ana != bruno


def test_fixed_contact_assignment(account, inbox, member, team_factory):
    inbox.fixed_contact_assignment = True
    inbox.save()
    sales = team_factory("Comercial")
    ana, bruno = member("Ana", sales), member("Bruno", sales)
    contact_inbox = ContactInboxFactory(inbox=inbox)
    first = services.conversation_open_for(contact_inbox=contact_inbox).conversation
    first = route(first.account, first, sales)
    services.conversation_status_set(
        account=first.account, actor=None, conversation=first, status=Status.RESOLVED
    )
    second = services.conversation_open_for(contact_inbox=contact_inbox).conversation
    assert second.pk != first.pk
    assert route(second.account, second, sales).assignee == first.assignee
    assert {ana, bruno} >= {first.assignee}


@pytest.mark.django_db(transaction=True)
def test_two_people_forwarding_at_once_leave_one_consistent_assignee(
    account, inbox, member, team_factory
):
    reception, sales, support = (
        team_factory("Recepção"),
        team_factory("Comercial"),
        team_factory("Suporte"),
    )
    sofia = member("Sofia", reception)
    carla = member("Carla", sales)
    davi = member("Davi", support)
    conversation = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox)
    ).conversation
    route(account, conversation, reception)
    barrier = threading.Barrier(2)

    def forward(team):
        try:
            barrier.wait()
            services.conversation_forward(
                account=account, actor=sofia, conversation=conversation, team=team
            )
        finally:
            close_old_connections()

    threads = [threading.Thread(target=forward, args=(t,)) for t in (sales, support)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) in {(sales, carla), (support, davi)}
