"""The conversation counts (Minhas / Não atribuídas / Todas, per inbox and per team) come from
the tally the database keeps in the transaction of every change (issue #12): exact, checked
against a full recount, also while several people change conversations at once."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import close_old_connections, connection
from django.db.models import Count, Q, Sum

from conversations import services
from conversations.models import Conversation, ConversationTally, Status
from conversations.selectors import (
    ConversationFilter,
    _base,
    conversation_counts,
    conversation_counts_by,
)
from tests.factories import (
    AdminFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
)

CELL = ("account_id", "status", "inbox_id", "team_id", "assignee_id")


def tallied() -> dict[tuple, int]:
    rows = ConversationTally.objects.values_list(*CELL).annotate(total=Sum("n")).order_by()
    return {row[:-1]: row[-1] for row in rows if row[-1]}


def recounted() -> dict[tuple, int]:
    rows = Conversation.objects.values_list(*CELL).annotate(total=Count("pk")).order_by()
    return {row[:-1]: row[-1] for row in rows}


def counted(membership, **filters) -> dict[str, int]:
    """The same counts, read from every matching conversation."""
    f = ConversationFilter(**filters)
    return _base(membership, f, with_assignee=False).aggregate(
        mine_count=Count("pk", filter=Q(assignee=membership)),
        unassigned_count=Count("pk", filter=Q(assignee__isnull=True)),
        assigned_count=Count("pk", filter=Q(assignee__isnull=False)),
        all_count=Count("pk"),
    )


@pytest.fixture
def office(account, admin, inbox, member, team_factory):
    """Two inboxes, two teams, three agents, and forty conversations spread over them."""
    other = InboxFactory(account=account, name="Financeiro")
    sales, support = team_factory("Comercial"), team_factory("Suporte")
    agents = [member("Ana"), member("Bruno", sales), member("Carla", support)]
    rng = random.Random(7)
    for i in range(40):
        ConversationFactory(
            account=account,
            inbox=inbox if i % 3 else other,
            status=rng.choice([Status.OPEN, Status.OPEN, Status.PENDING, Status.RESOLVED]),
            assignee=rng.choice([None, *agents]),
            team=rng.choice([None, sales, support]),
        )
    return {"other": other, "teams": (sales, support), "agents": agents}


@pytest.mark.django_db
class TestExact:
    def test_the_tally_is_the_recount(self, office, other_account):
        ConversationFactory(account=other_account, inbox=InboxFactory(account=other_account))
        assert tallied() == recounted()

    @pytest.mark.parametrize(
        "filters",
        [
            {},
            {"status": "all"},
            {"status": Status.PENDING},
            {"status": Status.RESOLVED},
            {"team_id": "sales"},
            {"inbox_id": "other"},
        ],
    )
    def test_counts_for_administrators_and_agents(self, office, admin, inbox, filters):
        if filters.get("team_id") == "sales":
            filters = {"team_id": office["teams"][0].pk}
        if filters.get("inbox_id") == "other":
            filters = {"inbox_id": office["other"].pk}
        for membership in (admin, *office["agents"]):
            f = ConversationFilter(**filters)
            assert conversation_counts(membership=membership, f=f) == counted(
                membership, **filters
            ), membership

    def test_after_changes_through_the_services_and_the_database(
        self, office, account, admin, inbox
    ):
        ana, bruno, _carla = office["agents"]
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=ana
        )
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
        )
        Conversation.objects.filter(inbox=inbox).update(team=office["teams"][1])
        Conversation.objects.filter(assignee=bruno).delete()
        bruno.delete()  # the database unassigns what was left of his (SET NULL)
        office["teams"][0].delete()
        assert tallied() == recounted()
        for membership in (admin, ana):
            f = ConversationFilter(status="all")
            assert conversation_counts(membership=membership, f=f) == counted(
                membership, status="all"
            )

    def test_compaction_keeps_the_counts_and_folds_the_rows(self, office, account):
        before = tallied()
        rows = ConversationTally.objects.filter(account_id=account.pk).count()
        services.conversation_tally_compact(account_id=account.pk)
        assert tallied() == before == recounted()
        assert ConversationTally.objects.filter(account_id=account.pk).count() <= rows
        assert ConversationTally.objects.filter(account_id=account.pk).count() == len(
            [k for k in before if k[0] == account.pk]
        )

    def test_one_query_whatever_the_number_of_conversations(
        self, office, admin, django_assert_num_queries
    ):
        agent = office["agents"][0]
        for membership in (admin, agent):
            with django_assert_num_queries(1):
                conversation_counts(membership=membership, f=ConversationFilter())

    def test_per_inbox_and_per_team(self, office, admin, inbox):
        agent = office["agents"][0]  # works in `inbox` only
        for membership in (admin, agent):
            for by, column in (("inbox", "inbox_id"), ("team", "team_id")):
                expected = {
                    row[column]: row["n"]
                    for row in _base(membership, ConversationFilter(), with_assignee=False)
                    .values(column)
                    .annotate(n=Count("pk"))
                    .order_by()
                }
                assert conversation_counts_by(membership=membership, by=by) == expected
        assert set(conversation_counts_by(membership=agent, by="inbox")) == {inbox.pk}

    def test_another_accounts_conversations_never_count(self, office, outsider, other_account):
        assert conversation_counts(membership=outsider, f=ConversationFilter(status="all")) == {
            "mine_count": 0,
            "unassigned_count": 0,
            "assigned_count": 0,
            "all_count": 0,
        }

    def test_a_search_or_a_label_is_counted_the_old_way(self, office, admin):
        f = ConversationFilter(status="all", q="nobody-is-called-this")
        assert conversation_counts(membership=admin, f=f)["all_count"] == 0


@pytest.mark.django_db(transaction=True)
def test_exact_under_concurrent_changes(account, inbox, member, team_factory):
    """Four people at once: resolving, reopening, assigning, moving conversations between
    inboxes and teams, while the tally is compacted; then the tally is the recount."""
    admin = AdminFactory(account=account)
    other = InboxFactory(account=account, name="Financeiro")
    teams = [team_factory("Comercial"), team_factory("Suporte")]
    agents = [member("Ana"), member("Bruno"), member("Carla")]
    conversations = [
        services.conversation_open_for(contact_inbox=ContactInboxFactory(inbox=inbox)).conversation
        for _ in range(12)
    ]
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []

    def person(seed: int):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(15):
                conversation = Conversation.objects.get(pk=rng.choice(conversations).pk)
                action = rng.choice(["resolve", "reopen", "assign", "move", "team"])
                try:
                    if action in ("resolve", "reopen"):
                        services.conversation_status_set(
                            account=account,
                            actor=admin,
                            conversation=conversation,
                            status="resolved" if action == "resolve" else "open",
                        )
                    elif action == "assign":
                        services.conversation_assign_agent(
                            account=account,
                            actor=admin,
                            conversation=conversation,
                            assignee=rng.choice([None, *agents]),
                        )
                    elif action == "move":
                        Conversation.objects.filter(pk=conversation.pk).update(
                            inbox=rng.choice([inbox, other])
                        )
                    else:
                        Conversation.objects.filter(pk=conversation.pk).update(
                            team=rng.choice([None, *teams])
                        )
                except Exception as exc:  # a refused change (e.g. the agent is not in it)
                    if type(exc).__name__ not in ("ValidationError", "NotFound"):
                        raise
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    def compactor():
        try:
            barrier.wait()
            for _ in range(10):
                services.conversation_tally_compact(account_id=account.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=person, args=(seed,)) for seed in range(4)]
    threads.append(threading.Thread(target=compactor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert connection.vendor == "postgresql"
    assert tallied() == recounted()
    f = ConversationFilter(status="all")
    assert conversation_counts(membership=admin, f=f) == counted(admin, status="all")
    for agent in agents:
        assert conversation_counts(membership=agent, f=ConversationFilter()) == counted(agent)
