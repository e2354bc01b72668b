"""Reads for conversations, messages and contacts. Every read starts from the asking membership:
administrators see the whole account; agents see the conversations of their inboxes and those
assigned to them. "Not yours" answers exactly like "does not exist".

Lists take a constant number of queries whatever their length: the last message, the unread
count and the labels come in by subqueries and one prefetch.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accounts.models import AccountUser
from conversations.models import (
    CannedResponse,
    Contact,
    ContactInbox,
    ContactLabel,
    Conversation,
    ConversationLabel,
    ConversationLabelTally,
    ConversationTally,
    Label,
    Message,
    MessageType,
    Status,
)
from inboxes.models import InboxMember
from inboxes.selectors import inboxes_visible_to
from nexloo.core.params import MAX_ID, query_int, query_page, query_text, query_texts
from nexloo.core.tenancy import get_or_not_found
from teams.selectors import teams_by_name

PAGE_SIZE = 25
ASSIGNEE_TYPES = ("me", "unassigned", "assigned", "all")


def visible_conversations(*, membership: AccountUser) -> QuerySet[Conversation]:
    qs = Conversation.objects.for_account(membership.account_id)
    if membership.is_administrator:
        return qs
    member_inboxes = InboxMember.objects.filter(account_user=membership).values("inbox_id")
    return qs.filter(inbox_id__in=Subquery(member_inboxes))


@dataclass(frozen=True)
class ConversationFilter:
    assignee_type: str = "all"
    status: str = Status.OPEN  # or "all"
    inbox_id: int | None = None
    team_id: int | None = None
    labels: tuple[str, ...] = ()
    q: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params) -> ConversationFilter:
        """The list's query parameters; BadParameter (4xx) for ids, pages or text it cannot
        read."""
        assignee_type = params.get("assignee_type") or "all"
        status = params.get("status") or Status.OPEN
        return cls(
            assignee_type=assignee_type if assignee_type in ASSIGNEE_TYPES else "all",
            status=status if status in (*Status.values, "all") else Status.OPEN,
            inbox_id=query_int(params, "inbox_id"),
            team_id=query_int(params, "team_id"),
            labels=query_texts(params, "labels"),
            q=query_text(params, "q"),
            page=query_page(params),
        )


def _base(
    membership: AccountUser, f: ConversationFilter, *, with_assignee: bool = True
) -> QuerySet[Conversation]:
    qs = visible_conversations(membership=membership)
    if f.status != "all":
        qs = qs.filter(status=f.status)
    if f.inbox_id:
        qs = qs.filter(inbox_id=f.inbox_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.labels:
        # Like Chatwoot (`tagged_with(labels, any: true)`): any of the labels.
        any_label = Q()
        for title in f.labels:
            any_label |= Q(label__title__iexact=title.strip())
        qs = qs.filter(
            Exists(ConversationLabel.objects.filter(any_label, conversation=OuterRef("pk")))
        )
    if f.q:
        term = f.q.lstrip("#")
        # Two small id sets (each served by its trigram index, see migration 0002) rather than
        # an OR across a join, which would read every contact.
        contacts = Contact.objects.for_account(membership.account_id).filter(
            Q(name__icontains=f.q)
            | Q(phone_number__icontains=f.q)
            | Q(email__icontains=f.q)
            | Q(identifier=f.q)
        )
        # Like Chatwoot: what was written (private notes stay out of search).
        written = Message.objects.filter(
            account_id=membership.account_id,
            message_type__in=(MessageType.INCOMING, MessageType.OUTGOING),
            private=False,
            content__icontains=f.q,
        )
        match = Q(contact_id__in=Subquery(contacts.values("pk"))) | Q(
            pk__in=Subquery(written.values("conversation_id"))
        )
        if term.isascii() and term.isdigit() and int(term) <= MAX_ID:  # not "①", not 2**64
            match |= Q(display_id=int(term))
        qs = qs.filter(match)
    if with_assignee:
        qs = _by_assignee(qs, membership, f.assignee_type)
    return qs


def _by_assignee(
    qs: QuerySet[Conversation], membership: AccountUser, assignee_type: str
) -> QuerySet[Conversation]:
    if assignee_type == "me":
        return qs.filter(assignee=membership)
    if assignee_type == "unassigned":
        return qs.filter(assignee__isnull=True)
    if assignee_type == "assigned":
        return qs.filter(assignee__isnull=False)
    return qs


def _last_message(field: str) -> Subquery:
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(message_type=MessageType.ACTIVITY)
        .exclude(private=True)
        .order_by("-created_at", "-id")
        .values(field)[:1]
    )


def _unread_count() -> Coalesce:
    """Chatwoot's `unread_count` of the outer conversation, as a subquery: its incoming messages
    since the agents last saw it (all of them if never seen)."""
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), message_type=MessageType.INCOMING)
        .filter(
            Q(created_at__gt=OuterRef("agent_last_seen_at"))
            | Q(conversation__agent_last_seen_at__isnull=True)
        )
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def unread_count(*, conversation: Conversation) -> int:
    """The same count for a conversation read without it (one query); the conversations of
    `with_list_data` and `conversation_get` carry it as `unread_count` already."""
    messages = Message.objects.filter(conversation=conversation, message_type=MessageType.INCOMING)
    if conversation.agent_last_seen_at is not None:
        messages = messages.filter(created_at__gt=conversation.agent_last_seen_at)
    return messages.count()


def with_list_data(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """What a conversation list row shows, in the same query (plus one prefetch for labels)."""
    return (
        qs.select_related("inbox", "contact", "contact_inbox", "assignee__user", "team")
        .annotate(
            last_message_content=_last_message("content"),
            last_message_type=_last_message("message_type"),
            last_non_activity_id=_last_message("pk"),
            last_message_id=Subquery(
                Message.objects.filter(conversation=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("pk")[:1]
            ),
            unread_count=_unread_count(),
        )
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("title")))
        .order_by("-last_activity_at", "-id")
    )


def attach_last_messages(conversations: list[Conversation]) -> list[Conversation]:
    """Sets `last_messages` (Chatwoot's embedded `messages`: the last one, of any kind) and
    `last_chat_message` (its `last_non_activity_message`) on each conversation: two queries for
    the whole list (the messages, their attachments)."""
    wanted: dict[int, Conversation] = {}
    chat: dict[int, Conversation] = {}
    for conversation in conversations:
        conversation.last_messages = []
        conversation.last_chat_message = None
        if getattr(conversation, "last_non_activity_id", None):
            chat[conversation.last_non_activity_id] = conversation
        if hasattr(conversation, "last_message_id"):
            if conversation.last_message_id:
                wanted[conversation.last_message_id] = conversation
        else:  # not annotated (a single conversation): its own query
            last = (
                Message.objects.filter(conversation=conversation)
                .order_by("-created_at", "-id")
                .values_list("pk", flat=True)
                .first()
            )
            if last:
                wanted[last] = conversation
            last_chat = (
                Message.objects.filter(conversation=conversation)
                .exclude(message_type=MessageType.ACTIVITY)
                .exclude(private=True)
                .order_by("-created_at", "-id")
                .values_list("pk", flat=True)
                .first()
            )
            if last_chat:
                chat[last_chat] = conversation
    if wanted or chat:
        for message in Message.objects.filter(pk__in=[*wanted, *chat]).prefetch_related(
            "attachments"
        ):
            if message.pk in wanted:
                wanted[message.pk].last_messages = [message]
            if message.pk in chat:
                chat[message.pk].last_chat_message = message
    return conversations


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[Conversation]
    page: int
    has_next: bool


def conversations_page(
    *, membership: AccountUser, f: ConversationFilter, through_page: int = 1
) -> ConversationPage:
    """Page `f.page` of the list; with `through_page` > 1, pages 1 to that one at once (a
    browser refreshing everything it has loaded)."""
    if through_page > 1:
        offset, size, number = 0, PAGE_SIZE * through_page, through_page
    else:
        offset, size, number = (f.page - 1) * PAGE_SIZE, PAGE_SIZE, f.page
    # First the page's ids (the index walks past the skipped rows cheaply), then the row data
    # for those rows only: the last-message and unread subqueries never run for skipped rows.
    ids = list(
        _base(membership, f)
        .order_by("-last_activity_at", "-id")
        .values_list("pk", flat=True)[offset : offset + size + 1]
    )
    rows = list(with_list_data(Conversation.objects.filter(pk__in=ids[:size]))) if ids else []
    return ConversationPage(conversations=rows, page=number, has_next=len(ids) > size)


def _tallied(membership: AccountUser, f: ConversationFilter) -> QuerySet[ConversationTally]:
    """The tally rows (see ConversationTally) of what the person sees, for the filters."""
    qs = _visible_cells(ConversationTally.objects, membership, f)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    return qs


def _label_tallied(
    membership: AccountUser, f: ConversationFilter
) -> QuerySet[ConversationLabelTally]:
    """The label tally rows (see ConversationLabelTally) of what the person sees, for the
    filters; with a label filter, that label's rows (looked up by title in the same query)."""
    qs = _visible_cells(ConversationLabelTally.objects, membership, f)
    if f.labels:
        label = Label.objects.for_account(membership.account_id).filter(
            title__iexact=f.labels[0].strip()
        )
        qs = qs.filter(label_id__in=Subquery(label.values("pk")))
    return qs


def _visible_cells(manager, membership: AccountUser, f: ConversationFilter) -> QuerySet:
    qs = manager.filter(account_id=membership.account_id)
    if not membership.is_administrator:
        member_inboxes = InboxMember.objects.filter(account_user=membership).values("inbox_id")
        qs = qs.filter(inbox_id__in=Subquery(member_inboxes))
    # Every status spelled out for "all": the cells' indexes start with the status.
    qs = qs.filter(status__in=Status.values) if f.status == "all" else qs.filter(status=f.status)
    if f.inbox_id:
        qs = qs.filter(inbox_id=f.inbox_id)
    return qs


def _cells_by_assignee(qs: QuerySet, membership: AccountUser, assignee_type: str) -> QuerySet:
    if assignee_type == "me":
        return qs.filter(assignee_id=membership.pk)
    if assignee_type == "unassigned":
        return qs.filter(assignee_id__isnull=True)
    if assignee_type == "assigned":
        return qs.filter(assignee_id__isnull=False)
    return qs


def counts_are_tallied(f: ConversationFilter) -> bool:
    """Whether the counts for these filters come from the tallies (PostgreSQL; no search; at
    most one label, and then no team, which the label tally leaves out). Searches, several
    labels at once (any of them: a conversation with two would count twice) and a label with
    a team are counted, and cached until the account's next event."""
    if connection.vendor != "postgresql" or f.q:
        return False
    if not f.labels:
        return True
    return len({title.strip().lower() for title in f.labels}) == 1 and not f.team_id


TALLY_ROWS_BEFORE_COMPACTION = 2_000


def conversation_counts(*, membership: AccountUser, f: ConversationFilter) -> dict[str, int]:
    """Chatwoot's meta: mine, unassigned, assigned and all, for the same filters (one query).

    On PostgreSQL, without a search (see counts_are_tallied), the counts add up the account's
    tally rows (see ConversationTally, and ConversationLabelTally with a label filter): exact
    in the reader's snapshot, and as cheap at a million conversations as at ten. Otherwise
    counting reads every matching row, so the result is cached per person and filter under
    the account's *version*, which every event of the account bumps (conversations.listeners):
    a count is never served after a change it does not include, and never recomputed without
    one.
    """
    if counts_are_tallied(f):
        rows = _label_tallied(membership, f) if f.labels else _tallied(membership, f)
        totals = rows.aggregate(
            mine_count=Coalesce(Sum("n", filter=Q(assignee_id=membership.pk)), 0),
            unassigned_count=Coalesce(Sum("n", filter=Q(assignee_id__isnull=True)), 0),
            assigned_count=Coalesce(Sum("n", filter=Q(assignee_id__isnull=False)), 0),
            all_count=Coalesce(Sum("n"), 0),
            rows=Count("pk"),
        )
        if totals.pop("rows") > TALLY_ROWS_BEFORE_COMPACTION:
            _compact_soon(membership.account_id)
        return totals
    key = _counts_key(membership, f)
    cached = cache.get(key)
    if cached is not None:
        return cached
    counts = _base(membership, f, with_assignee=False).aggregate(
        mine_count=Count("pk", filter=Q(assignee=membership)),
        unassigned_count=Count("pk", filter=Q(assignee__isnull=True)),
        assigned_count=Count("pk", filter=Q(assignee__isnull=False)),
        all_count=Count("pk"),
    )
    cache.set(key, counts, COUNTS_TTL)
    return counts


COUNTS_TTL = 300


def conversation_counts_by(
    *, membership: AccountUser, by: str, status: str = Status.OPEN, assignee_type: str = "all"
) -> dict[int | None, int]:
    """How many conversations of the given status (or "all") and assignee tab ("me",
    "unassigned", "assigned", "all") the person sees per inbox, team or label (`by`: "inbox",
    "team" or "label"; None is "no team"): one query over the tallies on PostgreSQL, a
    COUNT … GROUP BY elsewhere. Empty groups are left out."""
    column = {"inbox": "inbox_id", "team": "team_id", "label": "label_id"}[by]
    f = ConversationFilter(status=status, assignee_type=assignee_type)
    if counts_are_tallied(f):
        rows = _label_tallied(membership, f) if by == "label" else _tallied(membership, f)
        rows = _cells_by_assignee(rows, membership, assignee_type)
        rows = rows.values(column).annotate(total=Sum("n"), read=Count("pk")).order_by()
    elif by == "label":
        rows = (
            ConversationLabel.objects.filter(conversation__in=_base(membership, f).values("pk"))
            .values(column)
            .annotate(total=Count("pk"))
            .order_by()
        )
    else:
        rows = _base(membership, f).values(column).annotate(total=Count("pk")).order_by()
    rows = list(rows)
    if sum(row.get("read", 0) for row in rows) > TALLY_ROWS_BEFORE_COMPACTION:
        _compact_soon(membership.account_id)
    return {row[column]: row["total"] for row in rows if row["total"]}


@dataclass(frozen=True)
class SidebarLink:
    """An inbox, team or label filter of the workspace's sidebar, with its count."""

    pk: int
    name: str
    color: str
    count: int


@dataclass(frozen=True)
class SidebarLinks:
    inboxes: list[SidebarLink]
    teams: list[SidebarLink]
    labels: list[SidebarLink]


# One statement for every link of the sidebar and its count: the workspace asks for it on every
# change of a conversation in every open browser, and the ORM's compiling of three queries with
# subqueries cost several times their execution. The cells are read once (a CTE).
SIDEBAR_SQL = """
WITH visible AS (
    SELECT inbox_id FROM inboxes_inboxmember WHERE account_user_id = %(member)s
), cells AS (
    SELECT inbox_id, team_id, n FROM conversations_conversationtally
    WHERE account_id = %(account)s AND status = ANY(%(statuses)s) {assignee} {visible}
), label_cells AS (
    SELECT label_id, n FROM conversations_conversationlabeltally
    WHERE account_id = %(account)s AND status = ANY(%(statuses)s) {assignee} {visible}
), by_inbox AS (
    SELECT inbox_id AS id, SUM(n) AS total FROM cells GROUP BY inbox_id
), by_team AS (
    SELECT team_id AS id, SUM(n) AS total FROM cells WHERE team_id IS NOT NULL GROUP BY team_id
), by_label AS (
    SELECT label_id AS id, SUM(n) AS total FROM label_cells GROUP BY label_id
)
SELECT 1, i.id, i.name, '', COALESCE(b.total, 0)
FROM inboxes_inbox i LEFT JOIN by_inbox b ON b.id = i.id
WHERE i.account_id = %(account)s {inbox_visible}
UNION ALL
SELECT 2, t.id, t.name, '', COALESCE(b.total, 0)
FROM teams_team t LEFT JOIN by_team b ON b.id = t.id WHERE t.account_id = %(account)s
UNION ALL
SELECT 3, l.id, l.title, l.color, COALESCE(b.total, 0)
FROM conversations_label l LEFT JOIN by_label b ON b.id = l.id WHERE l.account_id = %(account)s
ORDER BY 1, 3, 2
"""
CELLS_BY_ASSIGNEE = {
    "me": "AND assignee_id = %(member)s",
    "unassigned": "AND assignee_id IS NULL",
    "assigned": "AND assignee_id IS NOT NULL",
    "all": "",
}


def sidebar_links(*, membership: AccountUser, f: ConversationFilter) -> SidebarLinks:
    """The inboxes (those the person sees), teams and labels of the account, by name, each with
    how many conversations its sidebar link would list: the filter's status and assignee tab,
    its other filters aside (the links drop them). One statement over the tallies on
    PostgreSQL; elsewhere three queries, each counting in a subquery."""
    plain = ConversationFilter(status=f.status, assignee_type=f.assignee_type)
    if not counts_are_tallied(plain):
        return _sidebar_links_counted(membership, plain)
    agent = not membership.is_administrator
    sql = SIDEBAR_SQL.format(
        assignee=CELLS_BY_ASSIGNEE[plain.assignee_type],
        visible="AND inbox_id IN (SELECT inbox_id FROM visible)" if agent else "",
        inbox_visible="AND i.id IN (SELECT inbox_id FROM visible)" if agent else "",
    )
    params = {
        "account": membership.account_id,
        "member": membership.pk,
        "statuses": list(Status.values) if plain.status == "all" else [plain.status],
    }
    kinds: dict[int, list[SidebarLink]] = {1: [], 2: [], 3: []}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, name, color, count in cursor.fetchall():
            kinds[kind].append(SidebarLink(pk=pk, name=name, color=color, count=count))
    return SidebarLinks(inboxes=kinds[1], teams=kinds[2], labels=kinds[3])


def _sidebar_links_counted(membership: AccountUser, f: ConversationFilter) -> SidebarLinks:
    """sidebar_links by COUNT (SQLite, which has no tallies): one query per kind, the count of
    each link a subquery of its row."""
    visible = _base(membership, f)
    per_inbox = visible.filter(inbox_id=OuterRef("pk")).values("inbox_id")
    per_team = visible.filter(team_id=OuterRef("pk")).values("team_id")
    per_label = ConversationLabel.objects.filter(
        label=OuterRef("pk"), conversation__in=visible.values("pk")
    ).values("label_id")

    def links(qs: QuerySet, per: QuerySet, name: str, color: str | None = None):
        total = per.annotate(total=Count("pk")).order_by().values("total")
        rows = qs.annotate(count=Coalesce(Subquery(total, output_field=IntegerField()), 0))
        return [
            SidebarLink(
                pk=row.pk,
                name=getattr(row, name),
                color=getattr(row, color) if color else "",
                count=row.count,
            )
            for row in rows
        ]

    return SidebarLinks(
        inboxes=links(
            inboxes_visible_to(membership=membership).order_by("name", "pk"), per_inbox, "name"
        ),
        teams=links(teams_by_name(membership=membership), per_team, "name"),
        labels=links(labels_list(membership=membership), per_label, "title", "color"),
    )


def _compact_soon(account_id: int) -> None:
    """Many tally rows have piled up for the account since its last compaction: fold them (in
    a task; the periodic sweep does it too)."""
    from conversations.tasks import compact_tally
    from nexloo.core.tasks import enqueue

    key = f"conversations:tally-compaction:{account_id}"
    if cache.add(key, 1, 60):  # at most one queued compaction a minute per account
        enqueue(compact_tally, account_id)


def _version_key(account_id: int) -> str:
    return f"conversations:version:{account_id}"


def bump_version(account_id: int) -> None:
    """Something in the account changed: cached counts no longer apply. The version is a random
    token, not a counter, so it can never come back to a value some old entry was cached under."""
    cache.set(_version_key(account_id), uuid.uuid4().hex, None)


def _version(account_id: int) -> str:
    key = _version_key(account_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def _counts_key(membership: AccountUser, f: ConversationFilter) -> str:
    version = _version(membership.account_id)
    params = (f.assignee_type, f.status, f.inbox_id, f.team_id, f.labels, f.q)
    digest = hashlib.sha1(repr(params).encode(), usedforsecurity=False).hexdigest()
    return f"conversations:counts:{membership.account_id}:{version}:{membership.pk}:{digest}"


def conversation_get(*, membership: AccountUser, display_id: int | str) -> Conversation:
    """A conversation the person may see, as the detail endpoints show it (with its
    `unread_count`, in the same query)."""
    conversations = (
        visible_conversations(membership=membership)
        .select_related("inbox", "contact", "assignee__user", "team", "account", "contact_inbox")
        .annotate(unread_count=_unread_count())
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("title")))
    )
    return get_or_not_found(conversations, display_id=display_id)


def conversation_ref(*, membership: AccountUser, display_id: int | str) -> Conversation:
    """A conversation the person may see, with its inbox only: for the services that lock and
    re-read it. Seeing it is being allowed to act in its inbox, which is remembered on the
    membership (inboxes.selectors.is_assignable asks no second time)."""
    conversation = get_or_not_found(
        visible_conversations(membership=membership).select_related("inbox"),
        display_id=display_id,
    )
    membership.__dict__.setdefault("_inbox_access", {})[conversation.inbox_id] = True
    return conversation


def messages_page(
    *,
    conversation: Conversation,
    before: int | None = None,
    after: int | None = None,
    limit: int = 30,
) -> list[Message]:
    """A page of messages in chronological order: the latest `limit`, or those before/after a
    message id (keyset pagination: as fast on page 1000 as on page 1).

    The key is (created_at, id), the order shown: a message stored late with the provider's
    older timestamp sits among older ones, and paging by id alone would skip or repeat it."""
    qs = (
        Message.objects.filter(conversation=conversation)
        .select_related("sender_user", "sender_contact")
        .prefetch_related("attachments")
    )
    if after is not None:
        at = _created_at_of(conversation, after)
        qs = qs.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=after))
        return list(qs.order_by("created_at", "id")[:limit])
    if before is not None:
        at = _created_at_of(conversation, before)
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=before))
    return list(reversed(qs.order_by("-created_at", "-id")[:limit]))


def _created_at_of(conversation: Conversation, message_id: int) -> Subquery:
    # A subquery, so that a keyset page is still one query.
    return Subquery(
        Message.objects.filter(conversation=conversation, pk=message_id).values("created_at")[:1]
    )


def message_get(*, conversation: Conversation, message_id: int | str) -> Message:
    messages = Message.objects.select_related("conversation").filter(conversation=conversation)
    return get_or_not_found(messages, pk=message_id)


# --- Contacts ----------------------------------------------------------------------------------


def visible_contacts(*, membership: AccountUser) -> QuerySet[Contact]:
    """Every member sees the account's contacts (as in Chatwoot): an agent who creates a contact
    can use it. Their conversations stay visible only as `visible_conversations` allows."""
    return Contact.objects.for_account(membership.account_id)


def with_contact_inboxes(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    """The contacts' `contact_inboxes` with their inbox, in one prefetch query."""
    return qs.prefetch_related(
        Prefetch(
            "contact_inboxes",
            queryset=ContactInbox.objects.select_related("inbox").order_by("pk"),
        )
    )


def contacts_list(*, membership: AccountUser, q: str = "") -> QuerySet[Contact]:
    qs = visible_contacts(membership=membership)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(phone_number__icontains=q)
            | Q(email__icontains=q)
            | Q(identifier=q)
        )
    return qs.order_by("name", "pk")


def contact_get(*, membership: AccountUser, contact_id: int | str) -> Contact:
    return get_or_not_found(visible_contacts(membership=membership), pk=contact_id)


def contact_label_titles(*, contact: Contact) -> list[str]:
    return list(
        ContactLabel.objects.filter(contact=contact)
        .order_by("label__title")
        .values_list("label__title", flat=True)
    )


def contact_detail_get(*, membership: AccountUser, contact_id: int | str) -> Contact:
    """A contact with its contact inboxes (what the contacts endpoints show)."""
    return get_or_not_found(
        with_contact_inboxes(visible_contacts(membership=membership)), pk=contact_id
    )


def contact_conversations(*, membership: AccountUser, contact: Contact) -> QuerySet[Conversation]:
    return with_list_data(visible_conversations(membership=membership).filter(contact=contact))


# --- Labels, canned responses --------------------------------------------------------------------


def labels_list(*, membership: AccountUser) -> QuerySet[Label]:
    return Label.objects.for_account(membership.account_id).order_by("title")


def canned_responses(*, membership: AccountUser, q: str = "") -> QuerySet[CannedResponse]:
    qs = CannedResponse.objects.for_account(membership.account_id)
    if q:
        qs = qs.filter(Q(short_code__icontains=q) | Q(content__icontains=q))
    return qs.order_by("short_code")


def canned_response_get(*, membership: AccountUser, pk: int | str) -> CannedResponse:
    return get_or_not_found(CannedResponse.objects.for_account(membership.account_id), pk=pk)


# --- The engine's view of the work -------------------------------------------------------------


class OpenConversations:
    """The assignment engine's WorkSource: open conversations per agent in an inbox."""

    def open_counts(self, *, inbox_id: int, account_user_ids) -> dict[int, int]:
        rows = (
            Conversation.objects.filter(
                inbox_id=inbox_id, status=Status.OPEN, assignee_id__in=list(account_user_ids)
            )
            .values("assignee_id")
            .annotate(n=Count("pk"))
        )
        return {row["assignee_id"]: row["n"] for row in rows}
