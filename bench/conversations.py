"""Benchmark: the conversation list, its counts and a conversation's messages at scale.

Builds one account with 100,000 conversations and 1,000,000 messages on PostgreSQL (in its own
database, `nexloo_bench` by default, or BENCH_DATABASE_URL; the build needs a superuser), then
measures, through the real views in-process:

- GET /api/v1/accounts/{id}/conversations (page of 25, with its meta counts) for several filters,
- the workspace's list partial and its counts fragment (the HTML the browser fetches), and the
  whole workspace page,
- each of those again right after a real change (a labelled conversation resolved or reopened),
- GET …/conversations/{id}/messages (the latest page, and a keyset page deep in a long thread),

printing the SQL query count and the server time (p50 / p95 / max over repeated requests), and
whether the tallies still equal a full recount after the run.
Targets (issue #12): ≤ 10 queries and ≤ 30 ms p95 for each.

Usage:  make bench            (or .venv/bin/python bench/conversations.py [--reuse] [--runs N]
        [--conversations 1000000 --messages 10000000])
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexloo_bench")
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")

# The size is 1,000,000 conversations and 10,000,000 messages (`--conversations
# 1000000 --messages 10000000`); the default is smaller, for a shared machine.
CONVERSATIONS = 100_000
MESSAGES = 1_000_000
LONG_THREAD = 20_000  # one conversation with a long history, for deep pagination
INBOXES, AGENTS, TEAMS = 5, 20, 4


def ensure_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    admin_url = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# What the build loads in bulk: their secondary indexes are dropped first and built once at the
# end (much faster than keeping them up to date row by row); their constraints stay.
BULK_TABLES = (
    "conversations_contact",
    "conversations_contactinbox",
    "conversations_conversation",
    "conversations_conversationlabel",
    "conversations_message",
)
STATUSES = ["resolved"] * 12 + ["open"] * 6 + ["pending", "snoozed"]
KINDS = ["incoming", "outgoing", "incoming", "outgoing", "activity"]


def _step(name: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {name}: {now - started:.0f} s", flush=True)
    return now


def _reserve_ids(cursor, table: str, count: int) -> int:
    """Moves the table's id sequence past `count` ids and returns the first of them."""
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
        f" nextval(pg_get_serial_sequence('{table}', 'id')) + %s) - %s + 1",
        [count, count],
    )
    return cursor.fetchone()[0]


def _drop_indexes(cursor) -> list[tuple[str, str]]:
    """Drops the bulk tables' indexes that back no constraint; returns their definitions."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(BULK_TABLES)],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return indexes


def build() -> dict:
    """One account with CONVERSATIONS conversations (each its own contact), MESSAGES messages
    and a label on about 30% of the conversations, generated inside PostgreSQL
    (generate_series, no row crosses the wire). While loading, the session skips triggers and
    foreign-key checks (session_replication_role = replica: the bench connects as a superuser)
    and the secondary indexes are gone; then the tallies are written as compaction would leave
    them, and the indexes are built."""
    from django.db import connection, transaction

    from accounts import services as account_services
    from accounts.models import Role
    from conversations.models import ConversationSequence, Label
    from inboxes import services as inbox_services
    from teams import services as team_services

    started = time.perf_counter()
    with transaction.atomic():
        new = account_services.account_create_with_admin(
            name="Bench",
            admin_email=f"bench-{time.time_ns()}@bench.local",
            admin_name="Admin",
            password="Bench-pass-123!",
        )
        account, admin = new.account, new.admin
        agents = []
        for i in range(AGENTS):
            user = account_services.user_create(
                email=f"agent{i}-{time.time_ns()}@bench.local", name=f"Agente {i}", verified=True
            ).user
            agents.append(
                account_services.account_user_add(
                    account=account, user=user, role=Role.AGENT, availability="online"
                )
            )
        inboxes = []
        for i in range(INBOXES):
            inbox = inbox_services.inbox_create(account=account, actor=admin, name=f"Caixa {i}")
            inbox_services.inbox_members_set(
                account=account,
                actor=admin,
                inbox=inbox,
                user_ids=[a.user_id for a in agents[i::INBOXES] + agents[:4]],
            )
            inboxes.append(inbox)
        teams = [
            team_services.team_create(
                account=account,
                actor=admin,
                name=f"Time {i}",
                member_user_ids=[a.user_id for a in agents[i::TEAMS]],
            )
            for i in range(TEAMS)
        ]
        labels = [
            Label.objects.create(account=account, title=t)
            for t in ("vip", "orcamento", "suporte", "reclamacao")
        ]
        ConversationSequence.objects.update_or_create(
            account=account, defaults={"last_display_id": CONVERSATIONS}
        )

    n, acc = CONVERSATIONS, account.pk
    inbox_ids = [inbox.pk for inbox in inboxes]
    per = -(-(MESSAGES - LONG_THREAD) // max(n - 1, 1))  # ceil: at least MESSAGES in all
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SELECT setseed(0.42)")
        contact0 = _reserve_ids(cursor, "conversations_contact", n)
        contact_inbox0 = _reserve_ids(cursor, "conversations_contactinbox", n)
        conversation0 = _reserve_ids(cursor, "conversations_conversation", n)
        indexes = _drop_indexes(cursor)
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "INSERT INTO conversations_contact (id, account_id, name, phone_number, email,"
            " identifier, custom_attributes, additional_attributes, created_at, updated_at)"
            " SELECT %s + i, %s, 'Cliente ' || i, '+5511' || lpad(i::text, 9, '0'), '', '',"
            " '{}', '{}', now(), now() FROM generate_series(0, %s - 1) i",
            [contact0, acc, n],
        )
        cursor.execute(
            "INSERT INTO conversations_contactinbox (id, account_id, contact_id, inbox_id,"
            " source_id, created_at)"
            " SELECT %s + i, %s, %s + i, (%s::bigint[])[1 + i %% %s],"
            " '55119' || lpad(i::text, 8, '0'), now() FROM generate_series(0, %s - 1) i",
            [contact_inbox0, acc, contact0, inbox_ids, INBOXES, n],
        )
        step = _step("contacts", step)
        cursor.execute(
            "INSERT INTO conversations_conversation (id, account_id, display_id, uuid, inbox_id,"
            " contact_id, contact_inbox_id, status, snoozed_until, assignee_id, team_id,"
            " priority, label_ids, last_activity_at, waiting_since, intake_done_at,"
            " additional_attributes, custom_attributes, created_at, updated_at)"
            " SELECT %s + i, %s, i + 1, gen_random_uuid(), (%s::bigint[])[1 + i %% %s],"
            " %s + i, %s + i, st, CASE WHEN st = 'snoozed' THEN at + interval '1 day' END,"
            " CASE WHEN random() < 0.8"
            "  THEN (%s::bigint[])[1 + floor(random() * %s)::int] END,"
            " CASE WHEN random() < 0.7"
            "  THEN (%s::bigint[])[1 + floor(random() * %s)::int] END,"
            " (ARRAY['', '', '', 'high', 'urgent'])[1 + floor(random() * 5)::int],"
            " CASE WHEN random() < 0.3"
            "  THEN ARRAY[(%s::bigint[])[1 + floor(random() * %s)::int]]"
            "  ELSE '{}'::bigint[] END,"
            " at, CASE WHEN st = 'open' THEN at END, at, '{}', '{}', at, at"
            " FROM (SELECT i, (%s::text[])[1 + i %% %s] AS st,"
            "  now() - i * interval '1 minute' AS at FROM generate_series(0, %s - 1) i) g",
            [
                *(conversation0, acc, inbox_ids, INBOXES, contact0, contact_inbox0),
                *([a.pk for a in agents], AGENTS, [t.pk for t in teams], TEAMS),
                *([label.pk for label in labels], len(labels), STATUSES, len(STATUSES), n),
            ],
        )
        cursor.execute(
            "INSERT INTO conversations_conversationlabel (account_id, conversation_id, label_id)"
            " SELECT account_id, id, unnest(label_ids) FROM conversations_conversation"
            " WHERE account_id = %s AND cardinality(label_ids) > 0",
            [acc],
        )
        step = _step("conversations and labels", step)
        # The first conversation has a long thread (for deep pagination), the others `per`
        # messages each; inserted in slices, to show progress.
        slice_size = max(n // 10, 1)
        for first in range(0, n, slice_size):
            cursor.execute(
                "INSERT INTO conversations_message (account_id, conversation_id, inbox_id,"
                " message_type, private, content, content_type, content_attributes, status,"
                " external_error, external_error_code, sender_type, sender_contact_id,"
                " sender_name, created_at, updated_at)"
                " SELECT %s, %s + g.i, (%s::bigint[])[1 + g.i %% %s], k.kind, j %% 17 = 0,"
                " 'Mensagem ' || j || ' da conversa ' || g.i, 'text', '{}',"
                " CASE WHEN k.kind = 'outgoing' THEN 'read' ELSE 'delivered' END, '', '',"
                " CASE WHEN k.kind = 'incoming' THEN 'contact' ELSE 'user' END,"
                " CASE WHEN k.kind = 'incoming' THEN %s + g.i END, '', t.at, t.at"
                " FROM generate_series(%s, %s) g(i)"
                " CROSS JOIN LATERAL generate_series(0,"
                "  CASE WHEN g.i = 0 THEN %s ELSE %s END - 1) j"
                " CROSS JOIN LATERAL (SELECT (%s::text[])[1 + j %% 5] AS kind) k"
                " CROSS JOIN LATERAL (SELECT now() - g.i * interval '1 minute'"
                "  - (CASE WHEN g.i = 0 THEN %s ELSE %s END - j) * interval '1 second' AS at) t",
                [
                    *(acc, conversation0, inbox_ids, INBOXES, contact0),
                    *(first, min(first + slice_size, n) - 1, LONG_THREAD, per, KINDS),
                    *(LONG_THREAD, per),
                ],
            )
            step = _step(
                f"messages of conversations {first:,}–{min(first + slice_size, n):,}", step
            )
        cursor.execute("SET session_replication_role = DEFAULT")
        # The tallies, as compaction leaves them (the triggers were off while loading).
        cursor.execute(
            "INSERT INTO conversations_conversationtally"
            " (account_id, status, inbox_id, team_id, assignee_id, n)"
            " SELECT account_id, status, inbox_id, team_id, assignee_id, COUNT(*)"
            " FROM conversations_conversation WHERE account_id = %s GROUP BY 1, 2, 3, 4, 5",
            [acc],
        )
        cursor.execute(
            "INSERT INTO conversations_conversationlabeltally"
            " (account_id, label_id, status, inbox_id, assignee_id, n)"
            " SELECT c.account_id, l.label_id, c.status, c.inbox_id, c.assignee_id, COUNT(*)"
            " FROM conversations_conversation c"
            " JOIN conversations_conversationlabel l ON l.conversation_id = c.id"
            " WHERE c.account_id = %s GROUP BY 1, 2, 3, 4, 5",
            [acc],
        )
        step = _step("tallies", step)
        for name, definition in indexes:
            cursor.execute(definition)
            step = _step(f"index {name}", step)
    # Steady state, as autovacuum leaves a live database: statistics and visibility maps.
    connection.cursor().execute("VACUUM ANALYZE")
    _step("VACUUM ANALYZE", step)
    return {
        "account_id": account.pk,
        "admin_id": admin.pk,
        "agent_id": agents[0].pk,
        "inbox_id": inboxes[0].pk,
        "team_id": teams[0].pk,
        "long_thread_display_id": 1,
        "seconds": time.perf_counter() - started,
    }


def measure(client, path: str, runs: int, before=None) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm
    times, counts, status = [], set(), 0
    for _ in range(runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        counts.add(len(queries))
    return times, max(counts), status


def main() -> None:
    global CONVERSATIONS, MESSAGES
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--reuse", action="store_true", help="use the data of the last run if present"
    )
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    args = parser.parse_args()
    CONVERSATIONS, MESSAGES = args.conversations, max(args.messages, args.conversations)

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Account, AccountUser

    call_command("migrate", verbosity=0)
    from conversations.models import Conversation

    account = Account.objects.filter(name="Bench").order_by("-pk").first()
    if (
        args.reuse
        and account
        and Conversation.objects.filter(account=account).count() >= CONVERSATIONS * 0.99
    ):
        info = {"account_id": account.pk, "seconds": 0.0}
        print(f"reusing account {account.pk}")
    else:
        print(f"building {CONVERSATIONS:,} conversations and {MESSAGES:,} messages …", flush=True)
        info = build()
        print(f"built in {info['seconds']:.0f} s")
    from conversations import services as conv_services

    conv_services.conversation_tally_compact(account_id=info["account_id"])
    account_id = info["account_id"]
    admin = (
        AccountUser.objects.filter(account_id=account_id, role="administrator")
        .select_related("user")
        .first()
    )
    agent = (
        AccountUser.objects.filter(
            account_id=account_id, role="agent", inbox_memberships__isnull=False
        )
        .select_related("user")
        .first()
    )
    inbox_id = agent.inbox_memberships.first().inbox_id
    team_id = agent.team_memberships.first().team_id if agent.team_memberships.exists() else None

    from conversations.models import Message

    print(
        f"data: {Conversation.objects.filter(account_id=account_id).count():,} conversations, "
        f"{Message.objects.filter(account_id=account_id).count():,} messages"
    )
    api = f"/api/v1/accounts/{account_id}/conversations"
    ui = f"/app/accounts/{account_id}/conversations/_list/"
    from conversations.selectors import bump_version

    counts = f"/app/accounts/{account_id}/conversations/_counts/"
    page = f"/app/accounts/{account_id}/conversations/"

    # The change: a labelled conversation of the agent's inbox resolved or reopened (both
    # tallies move), and the account's version bumped as its event would.
    flip = (
        Conversation.objects.filter(
            account_id=account_id,
            inbox_id=inbox_id,
            labels__title="vip",
            status__in=("open", "resolved"),
        )
        .values_list("pk", "status")
        .first()
    )
    state = {"status": flip[1]}

    def changed():
        state["status"] = "resolved" if state["status"] != "resolved" else "open"
        Conversation.objects.filter(pk=flip[0]).update(status=state["status"])
        bump_version(account_id)

    pages = [
        ("admin", "list: all open", f"{api}?status=open"),
        ("admin", "list: all, every status", f"{api}?status=all"),
        ("admin", "list: unassigned", f"{api}?assignee_type=unassigned"),
        ("admin", "list: inbox", f"{api}?inbox_id={inbox_id}&status=all"),
        ("admin", "list: team", f"{api}?team_id={team_id}"),
        ("admin", "list: label vip", f"{api}?labels=vip&status=all"),
        ("admin", "list: search name", f"{api}?q=Cliente%2099&status=all"),
        ("admin", "list: page 40", f"{api}?status=all&page=40"),
        ("agent", "list: mine (agent)", f"{api}?assignee_type=me"),
        ("agent", "list: all (agent)", f"{api}?assignee_type=all&status=all"),
        ("agent", "list: label vip (agent)", f"{api}?assignee_type=all&labels=vip"),
        ("agent", "workspace list partial (agent)", f"{ui}?assignee_type=me"),
        ("admin", "workspace list partial (admin)", f"{ui}?assignee_type=all"),
        ("admin", "counts fragment (admin, all open)", f"{counts}?assignee_type=all"),
        (
            "admin",
            "counts fragment (admin, every status)",
            f"{counts}?assignee_type=all&status=all",
        ),
        ("admin", "counts fragment (admin, label vip)", f"{counts}?assignee_type=all&labels=vip"),
        ("agent", "counts fragment (agent, mine)", f"{counts}?assignee_type=me"),
        ("agent", "counts fragment (agent, unassigned)", f"{counts}?assignee_type=unassigned"),
        ("admin", "workspace page (admin)", f"{page}?assignee_type=all"),
        ("agent", "workspace page (agent)", f"{page}?assignee_type=me"),
    ]
    # Every page as it is, then every page (but the search, cached per version) right after a
    # real change: nothing cached can answer for it.
    cases = [(who, name, path) for who, name, path in pages]
    cases += [
        (who, f"{name}, after a change", path, changed)
        for who, name, path in pages
        if "search" not in name
    ]
    cases += [
        ("admin", "messages: latest page", f"{api}/1/messages"),
        ("admin", "messages: latest page (short)", f"{api}/5000/messages"),
        (
            "admin",
            "messages: deep keyset page",
            f"{api}/1/messages?before={_deep_message(account_id)}",
        ),
    ]
    clients = {}
    for who, membership in (("admin", admin), ("agent", agent)):
        client = Client()
        client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
        clients[who] = client

    print(f"\n{'case':<58} {'status':>6} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    worst_p95, worst_queries = 0.0, 0
    for who, name, path, *before in cases:
        times, queries, status = measure(clients[who], path, args.runs, *before)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
        worst_p95, worst_queries = max(worst_p95, p95), max(worst_queries, queries)
        print(
            f"{name:<58} {status:>6} {queries:>8} "
            f"{statistics.median(times):>8.1f} {p95:>8.1f} {max(times):>8.1f}"
        )
    import resource

    print(f"tallies = a full recount after the run: {_tallies_match(account_id)}")
    print(
        f"load average {os.getloadavg()[0]:.1f}; peak RSS of this (web) process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"\nworst p95: {worst_p95:.1f} ms (target ≤ 30), "
        f"most queries: {worst_queries} (target ≤ 10)"
    )


def _tallies_match(account_id: int) -> bool:
    """Both tallies against a COUNT over the account's conversations and their labels."""
    from django.db import connection

    queries = [
        "SELECT status, inbox_id, team_id, assignee_id, SUM(n) FROM"
        " conversations_conversationtally WHERE account_id = %s GROUP BY 1, 2, 3, 4"
        " HAVING SUM(n) <> 0 ORDER BY 1, 2, 3, 4",
        "SELECT status, inbox_id, team_id, assignee_id, COUNT(*) FROM"
        " conversations_conversation WHERE account_id = %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        "SELECT label_id, status, inbox_id, assignee_id, SUM(n) FROM"
        " conversations_conversationlabeltally WHERE account_id = %s GROUP BY 1, 2, 3, 4"
        " HAVING SUM(n) <> 0 ORDER BY 1, 2, 3, 4",
        "SELECT l.label_id, c.status, c.inbox_id, c.assignee_id, COUNT(*) FROM"
        " conversations_conversation c JOIN conversations_conversationlabel l"
        " ON l.conversation_id = c.id WHERE c.account_id = %s GROUP BY 1, 2, 3, 4"
        " ORDER BY 1, 2, 3, 4",
    ]
    results = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, [account_id])
            results.append(cursor.fetchall())
    return results[0] == results[1] and results[2] == results[3]


def _deep_message(account_id: int) -> int:
    from conversations.models import Message

    ids = (
        Message.objects.filter(conversation__account_id=account_id, conversation__display_id=1)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return ids[len(ids) // 2] if ids else 0


if __name__ == "__main__":
    main()
