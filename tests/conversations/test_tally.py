"""The conversation counts (Minhas / Não atribuídas / Todas, per inbox, per team and per label)
come from the tallies the database keeps in the transaction of every change (issue #12): exact,
checked against a full recount, also while several people change conversations at once."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Q, Sum

from conversations import services
from conversations.models import (
    Conversation,
    ConversationLabel,
    ConversationLabelTally,
    ConversationTally,
    Label,
    Status,
)
from conversations.selectors import (
    ConversationFilter,
    _base,
    _sidebar_links_counted,
    conversation_counts,
    conversation_counts_by,
    counts_are_tallied,
    sidebar_links,
)
from conversations.services.common import lock_row
from inboxes.selectors import inboxes_visible_to
from tests.factories import (
    AdminFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
)

CELL = ("account_id", "status", "inbox_id", "team_id", "assignee_id")


def tallied() -> dict[tuple, int]:
    rows = ConversationTally.objects.values_list(*CELL).annotate(total=Sum("n")).order_by()
    return {row[:-1]: row[-1] for row in rows if row[-1]}


def recounted() -> dict[tuple, int]:
    rows = Conversation.objects.values_list(*CELL).annotate(total=Count("pk")).order_by()
    return {row[:-1]: row[-1] for row in rows}


LABEL_CELL = ("account_id", "label_id", "status", "inbox_id", "assignee_id")


def label_tallied() -> dict[tuple, int]:
    rows = (
        ConversationLabelTally.objects.values_list(*LABEL_CELL).annotate(total=Sum("n")).order_by()
    )
    return {row[:-1]: row[-1] for row in rows if row[-1]}


def label_recounted() -> dict[tuple, int]:
    rows = (
        ConversationLabel.objects.values_list(
            "conversation__account_id",
            "label_id",
            "conversation__status",
            "conversation__inbox_id",
            "conversation__assignee_id",
        )
        .annotate(total=Count("pk"))
        .order_by()
    )
    return {row[:-1]: row[-1] for row in rows}


def label_copies_astray() -> list:
    """Conversations whose copy of their label ids (label_ids, kept by the database) is not
    their labels."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.label_ids, array_remove(array_agg(l.label_id), NULL)"
            " FROM conversations_conversation c"
            " LEFT JOIN conversations_conversationlabel l ON l.conversation_id = c.id"
            " GROUP BY c.id"
        )
        return [row for row in cursor.fetchall() if sorted(row[1]) != sorted(row[2])]


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


@pytest.fixture
def labelled(office, account):
    """The office's conversations with none, one or two of three labels, put on through the
    service and straight into the table."""
    labels = [Label.objects.create(account=account, title=t) for t in ("vip", "orçamento", "sac")]
    rng = random.Random(11)
    for i, conversation in enumerate(Conversation.objects.filter(account=account).order_by("pk")):
        chosen = rng.sample(labels, rng.choice([0, 1, 1, 2]))
        if i % 2:
            services.conversation_labels_set(
                account=account,
                actor=None,
                conversation=conversation,
                titles=[label.title for label in chosen],
            )
        else:
            for label in chosen:
                ConversationLabel.objects.create(
                    account=account, conversation=conversation, label=label
                )
    return {**office, "labels": labels}


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


@pytest.mark.django_db
class TestLabels:
    def test_the_label_tally_is_the_recount(self, labelled, other_account):
        theirs = ConversationFactory(
            account=other_account, inbox=InboxFactory(account=other_account)
        )
        ConversationLabel.objects.create(
            account=other_account,
            conversation=theirs,
            label=Label.objects.create(account=other_account, title="vip"),
        )
        assert label_tallied() == label_recounted()
        assert len(label_recounted()) > 10
        assert label_copies_astray() == []

    @pytest.mark.parametrize(
        "filters",
        [
            {"labels": ("vip",)},
            {"labels": (" VIP ",), "status": "all"},
            {"labels": ("orçamento",), "status": Status.PENDING},
            {"labels": ("sac",), "inbox_id": "other", "status": "all"},
            {"labels": ("ninguém-usa",)},
        ],
    )
    def test_counts_with_a_label_for_administrators_and_agents(self, labelled, admin, filters):
        if filters.get("inbox_id") == "other":
            filters = {**filters, "inbox_id": labelled["other"].pk}
        assert counts_are_tallied(ConversationFilter(**filters))
        for membership in (admin, *labelled["agents"]):
            f = ConversationFilter(**filters)
            assert conversation_counts(membership=membership, f=f) == counted(
                membership, **filters
            ), membership

    def test_two_labels_or_a_label_and_a_team_are_counted(self, labelled, admin):
        sales = labelled["teams"][0].pk
        for filters in ({"labels": ("vip", "sac")}, {"labels": ("vip",), "team_id": sales}):
            assert not counts_are_tallied(ConversationFilter(**filters))
            for membership in (admin, *labelled["agents"]):
                f = ConversationFilter(**filters)
                assert conversation_counts(membership=membership, f=f) == counted(
                    membership, **filters
                )

    def test_after_changes_through_the_services_and_the_database(
        self, labelled, account, admin, inbox
    ):
        ana, bruno, _carla = labelled["agents"]
        vip, budget, sac = labelled["labels"]
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=inbox)
        ).conversation
        services.conversation_labels_set(
            account=account, actor=admin, conversation=conversation, titles=["vip", "sac", "novo"]
        )
        services.conversation_assign_agent(
            account=account, actor=admin, conversation=conversation, assignee=ana
        )
        services.conversation_status_set(
            account=account, actor=admin, conversation=conversation, status=Status.RESOLVED
        )
        services.conversation_labels_set(
            account=account, actor=admin, conversation=conversation, titles=["sac"]
        )
        labelled_ones = Conversation.objects.filter(labels=vip)
        labelled_ones.filter(status=Status.OPEN).update(status=Status.PENDING)
        Conversation.objects.filter(labels=sac).update(inbox=labelled["other"])
        Conversation.objects.filter(labels=budget).update(team=labelled["teams"][1])
        Conversation.objects.filter(assignee=bruno, labels=vip).delete()
        bruno.delete()  # the database unassigns what was left of his (SET NULL)
        budget.delete()  # its conversations lose it
        ConversationLabel.objects.filter(label=sac, conversation__status=Status.OPEN).delete()
        assert label_tallied() == label_recounted()
        assert label_copies_astray() == []
        assert tallied() == recounted()
        for membership in (admin, ana):
            for title in ("vip", "sac", "novo"):
                f = ConversationFilter(status="all", labels=(title,))
                assert conversation_counts(membership=membership, f=f) == counted(
                    membership, status="all", labels=(title,)
                )

    def test_compaction_keeps_the_counts_and_folds_the_rows(self, labelled, account):
        before = label_tallied()
        services.conversation_tally_compact(account_id=account.pk)
        assert label_tallied() == before == label_recounted()
        assert ConversationLabelTally.objects.filter(account_id=account.pk).count() == len(
            [k for k in before if k[0] == account.pk]
        )

    def test_the_sweep_compacts_an_account_crowded_with_label_rows(self, labelled, account):
        conversation = Conversation.objects.filter(account=account).first()
        for _ in range(3):  # six label rows more, no conversation row
            services.conversation_labels_set(
                account=account, actor=None, conversation=conversation, titles=["x"]
            )
            services.conversation_labels_set(
                account=account, actor=None, conversation=conversation, titles=[]
            )
        rows = ConversationLabelTally.objects.filter(account_id=account.pk).count()
        assert services.conversation_tallies_compact(min_rows=rows - 1) == 1
        assert ConversationLabelTally.objects.filter(account_id=account.pk).count() < rows
        assert label_tallied() == label_recounted()

    def test_one_query_whatever_the_number_of_conversations(
        self, labelled, admin, django_assert_num_queries
    ):
        for membership in (admin, labelled["agents"][0]):
            with django_assert_num_queries(1):
                conversation_counts(membership=membership, f=ConversationFilter(labels=("vip",)))
            with django_assert_num_queries(1):
                conversation_counts_by(membership=membership, by="label")

    @pytest.mark.parametrize("assignee_type", ["all", "me", "unassigned", "assigned"])
    @pytest.mark.parametrize("status", [Status.OPEN, "all"])
    def test_per_inbox_team_and_label_for_each_tab(
        self, labelled, admin, inbox, status, assignee_type
    ):
        agent = labelled["agents"][1]  # works in `inbox` only
        for membership in (admin, agent):
            f = ConversationFilter(status=status, assignee_type=assignee_type)
            visible = _base(membership, f)
            expected = {
                "inbox": dict(visible.values_list("inbox_id").annotate(n=Count("pk")).order_by()),
                "team": dict(visible.values_list("team_id").annotate(n=Count("pk")).order_by()),
                "label": dict(
                    ConversationLabel.objects.filter(conversation__in=visible.values("pk"))
                    .values_list("label_id")
                    .annotate(n=Count("pk"))
                    .order_by()
                ),
            }
            for by, wanted in expected.items():
                assert (
                    conversation_counts_by(
                        membership=membership, by=by, status=status, assignee_type=assignee_type
                    )
                    == wanted
                ), (membership, by)
            # The sidebar's links: one statement over the tallies, and the COUNTs of SQLite.
            for links in (
                sidebar_links(membership=membership, f=f),
                _sidebar_links_counted(membership, f),
            ):
                for by, shown in (
                    ("inbox", links.inboxes),
                    ("team", links.teams),
                    ("label", links.labels),
                ):
                    assert {x.pk: x.count for x in shown if x.count} == {
                        k: n for k, n in expected[by].items() if k is not None
                    }, (membership, by)
                assert [x.pk for x in links.inboxes] == list(
                    inboxes_visible_to(membership=membership)
                    .order_by("name", "pk")
                    .values_list("pk", flat=True)
                )
                assert [x.name for x in links.labels] == ["orçamento", "sac", "vip"]
        assert set(conversation_counts_by(membership=agent, by="inbox", status="all")) == {inbox.pk}

    def test_another_accounts_labels_never_count(self, labelled, admin, outsider, other_account):
        """The other account has a "vip" too, on its own conversations: each side counts only
        its own."""
        theirs = InboxFactory(account=other_account)
        InboxMemberFactory(inbox=theirs, account_user=outsider)
        their_vip = Label.objects.create(account=other_account, title="VIP")
        for _ in range(3):
            ConversationLabel.objects.create(
                account=other_account,
                conversation=ConversationFactory(account=other_account, inbox=theirs),
                label=their_vip,
            )
        f = ConversationFilter(status="all", labels=("vip",))
        assert conversation_counts(membership=outsider, f=f)["all_count"] == 3
        assert conversation_counts(membership=admin, f=f) == counted(
            admin, status="all", labels=("vip",)
        )
        assert conversation_counts_by(membership=outsider, by="label", status="all") == {
            their_vip.pk: 3
        }
        ours = conversation_counts_by(membership=admin, by="label", status="all")
        assert their_vip.pk not in ours and set(ours) <= {x.pk for x in labelled["labels"]}


TITLES = ["vip", "orçamento", "sac", "retorno"]


@pytest.fixture
def crowd(account, inbox, member, team_factory):
    """Eight conversations (half of them labelled), two inboxes, two teams, three agents."""
    labels = [Label.objects.create(account=account, title=t) for t in TITLES]
    conversations = [
        services.conversation_open_for(contact_inbox=ContactInboxFactory(inbox=inbox)).conversation
        for _ in range(8)
    ]
    for conversation in conversations[::2]:
        ConversationLabel.objects.create(
            account=account, conversation=conversation, label=labels[0]
        )
    return {
        "admin": AdminFactory(account=account),
        "inboxes": [inbox, InboxFactory(account=account, name="Financeiro")],
        "teams": [team_factory("Comercial"), team_factory("Suporte")],
        "agents": [member("Ana"), member("Bruno"), member("Carla")],
        "labels": labels,
        "conversations": conversations,
    }


def at_once(account, change, people: int = 4, changes: int = 40) -> None:
    """`people` threads each making `changes` random changes (`change(rng, conversation)`)
    while a fifth compacts the tallies; then every tally must be the recount."""
    conversations = list(Conversation.objects.filter(account=account).values_list("pk", flat=True))
    barrier = threading.Barrier(people + 1)
    errors: list[BaseException] = []

    def person(seed: int):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(changes):
                conversation = Conversation.objects.get(pk=rng.choice(conversations))
                try:
                    change(rng, conversation)
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
            for _ in range(15):
                services.conversation_tally_compact(account_id=account.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=person, args=(seed,)) for seed in range(people)]
    threads.append(threading.Thread(target=compactor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert connection.vendor == "postgresql"


def assert_exact(crowd) -> None:
    assert tallied() == recounted()
    assert label_copies_astray() == []
    assert label_tallied() == label_recounted()
    assert ConversationLabel.objects.exists()
    admin, agents = crowd["admin"], crowd["agents"]
    f = ConversationFilter(status="all")
    assert conversation_counts(membership=admin, f=f) == counted(admin, status="all")
    for agent in agents:
        assert conversation_counts(membership=agent, f=ConversationFilter()) == counted(agent)
    for title in TITLES:
        for membership in (admin, *agents):
            f = ConversationFilter(status="all", labels=(title,))
            assert conversation_counts(membership=membership, f=f) == counted(
                membership, status="all", labels=(title,)
            )


@pytest.mark.django_db(transaction=True)
def test_exact_under_concurrent_changes(account, crowd):
    """Four people at once, through the services: labelling and unlabelling, resolving,
    reopening, assigning; and moving conversations between inboxes and teams with bulk
    updates, while the tallies are compacted; then each tally is the recount."""
    admin, labels = crowd["admin"], crowd["labels"]

    def change(rng, conversation):
        common = {"account": account, "actor": admin, "conversation": conversation}
        action = rng.choice(["resolve", "reopen", "assign", "move", "team", "label", "tag"])
        if action in ("resolve", "reopen"):
            services.conversation_status_set(
                **common, status="resolved" if action == "resolve" else "open"
            )
        elif action == "assign":
            services.conversation_assign_agent(
                **common, assignee=rng.choice([None, *crowd["agents"]])
            )
        elif action == "move":
            Conversation.objects.filter(pk=conversation.pk).update(
                inbox=rng.choice(crowd["inboxes"])
            )
        elif action == "team":
            Conversation.objects.filter(pk=conversation.pk).update(
                team=rng.choice([None, *crowd["teams"]])
            )
        elif action == "label":
            services.conversation_labels_set(**common, titles=rng.sample(TITLES, rng.randint(0, 3)))
        else:  # straight into the table, under the conversation's lock as the service does
            with transaction.atomic():
                lock_row(conversation.pk)
                ConversationLabel.objects.filter(conversation=conversation).delete()
                ConversationLabel.objects.bulk_create(
                    [
                        ConversationLabel(account=account, conversation=conversation, label=label)
                        for label in rng.sample(labels, 2)
                    ]
                )

    at_once(account, change)
    assert_exact(crowd)


@pytest.mark.django_db(transaction=True)
def test_exact_under_concurrent_writes_that_bypass_the_services(account, crowd):
    """The same, with single statements that take no lock first: a label put on or taken off
    while another statement resolves, assigns or moves the same conversation. (A label written
    from the conversation's cell read at that moment would land in the cell being left.)"""

    def change(rng, conversation):
        action = rng.choice(["status", "assignee", "move", "tag", "untag"])
        same = Conversation.objects.filter(pk=conversation.pk)
        if action == "status":
            same.update(status=rng.choice([Status.OPEN, Status.PENDING, Status.RESOLVED]))
        elif action == "assignee":
            same.update(assignee=rng.choice([None, *crowd["agents"]]))
        elif action == "move":
            same.update(inbox=rng.choice(crowd["inboxes"]))
        elif action == "tag":
            ConversationLabel.objects.bulk_create(
                [
                    ConversationLabel(
                        account=account,
                        conversation=conversation,
                        label=rng.choice(crowd["labels"]),
                    )
                ],
                ignore_conflicts=True,
            )
        else:
            ConversationLabel.objects.filter(
                conversation=conversation, label=rng.choice(crowd["labels"])
            ).delete()

    at_once(account, change, changes=60)
    assert_exact(crowd)
