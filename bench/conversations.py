"""Benchmark: the conversation list and a conversation's messages at scale.

Builds one account with 100,000 conversations and 1,000,000 messages on PostgreSQL (in its own
database, `nexloo_bench` by default), then measures, through the real API views in-process:

- GET /api/v1/accounts/{id}/conversations (page of 25) for several filters,
- the workspace's list partial (the HTML the browser fetches),
- GET …/conversations/{id}/messages (the latest page, and a keyset page deep in a long thread),

printing the SQL query count and the server time (p50 / p95 / max over repeated requests).
Targets (issue #4): ≤ 10 queries and ≤ 50 ms p95 for each.

Usage:  make bench            (or .venv/bin/python bench/conversations.py [--reuse] [--runs N])
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
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


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build() -> dict:
    from django.db import connection, transaction

    from accounts import services as account_services
    from accounts.models import Role
    from conversations.models import ConversationSequence, Label
    from inboxes import services as inbox_services
    from teams import services as team_services

    random.seed(42)
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

    now = datetime.now(UTC)
    statuses = ["resolved"] * 12 + ["open"] * 6 + ["pending", "snoozed"]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # Contacts and their identities in an inbox, one per conversation.
        copy_rows(
            raw,
            "conversations_contact",
            [
                "account_id",
                "name",
                "phone_number",
                "email",
                "identifier",
                "custom_attributes",
                "additional_attributes",
                "created_at",
                "updated_at",
            ],
            (
                (account.pk, f"Cliente {i}", f"+5511{i:09d}", "", "", "{}", "{}", now, now)
                for i in range(CONVERSATIONS)
            ),
        )
        cursor.execute(
            "SELECT id FROM conversations_contact WHERE account_id = %s ORDER BY id", [account.pk]
        )
        contact_ids = [r[0] for r in cursor.fetchall()]
        copy_rows(
            raw,
            "conversations_contactinbox",
            ["account_id", "contact_id", "inbox_id", "source_id", "created_at"],
            (
                (account.pk, cid, inboxes[i % INBOXES].pk, f"55119{i:08d}", now)
                for i, cid in enumerate(contact_ids)
            ),
        )
        cursor.execute(
            "SELECT id, contact_id, inbox_id FROM conversations_contactinbox"
            " WHERE account_id = %s ORDER BY id",
            [account.pk],
        )
        contact_inboxes = cursor.fetchall()

        def conversation_rows():
            for i, (ci_id, contact_id, inbox_id) in enumerate(contact_inboxes):
                status = statuses[i % len(statuses)]
                assignee = random.choice(agents).pk if random.random() < 0.8 else None
                team = random.choice(teams).pk if random.random() < 0.7 else None
                last = now - timedelta(minutes=i)
                yield (
                    account.pk,
                    i + 1,
                    inbox_id,
                    contact_id,
                    ci_id,
                    status,
                    last + timedelta(days=1) if status == "snoozed" else None,
                    assignee,
                    team,
                    random.choice(["", "", "", "high", "urgent"]),
                    last,
                    last if status == "open" else None,
                    None,
                    None,
                    None,
                    None,
                    "{}",
                    "{}",
                    last,
                    last,
                )

        copy_rows(
            raw,
            "conversations_conversation",
            [
                "account_id",
                "display_id",
                "inbox_id",
                "contact_id",
                "contact_inbox_id",
                "status",
                "snoozed_until",
                "assignee_id",
                "team_id",
                "priority",
                "last_activity_at",
                "waiting_since",
                "first_reply_at",
                "agent_last_seen_at",
                "contact_last_seen_at",
                "out_of_office_sent_for",
                "additional_attributes",
                "custom_attributes",
                "created_at",
                "updated_at",
            ],
            conversation_rows(),
        )
        ConversationSequence.objects.update_or_create(
            account=account, defaults={"last_display_id": CONVERSATIONS}
        )
        cursor.execute(
            "SELECT id, inbox_id, contact_id FROM conversations_conversation"
            " WHERE account_id = %s ORDER BY id",
            [account.pk],
        )
        conversations = cursor.fetchall()  # the first one gets the long thread

        def message_rows():
            per = -(
                -(MESSAGES - LONG_THREAD) // (len(conversations) - 1)
            )  # ceil: at least MESSAGES
            kinds = ["incoming", "outgoing", "incoming", "outgoing", "activity"]
            for index, (conv_id, inbox_id, contact_id) in enumerate(conversations):
                count = LONG_THREAD if index == 0 else per
                base = now - timedelta(minutes=index, seconds=count)
                for j in range(count):
                    kind = kinds[j % len(kinds)]
                    yield (
                        account.pk,
                        conv_id,
                        inbox_id,
                        kind,
                        j % 17 == 0,
                        f"Mensagem {j} da conversa {index}",
                        "text",
                        "{}",
                        None,
                        "read" if kind == "outgoing" else "delivered",
                        "",
                        "contact" if kind == "incoming" else "user",
                        contact_id if kind == "incoming" else None,
                        None,
                        None,
                        "",
                        base + timedelta(seconds=j),
                        base + timedelta(seconds=j),
                    )

        copy_rows(
            raw,
            "conversations_message",
            [
                "account_id",
                "conversation_id",
                "inbox_id",
                "message_type",
                "private",
                "content",
                "content_type",
                "content_attributes",
                "source_id",
                "status",
                "external_error",
                "sender_type",
                "sender_contact_id",
                "sender_user_id",
                "sender_rule_id",
                "sender_name",
                "created_at",
                "updated_at",
            ],
            message_rows(),
        )
        copy_rows(
            raw,
            "conversations_conversationlabel",
            ["account_id", "conversation_id", "label_id"],
            (
                (account.pk, conv_id, random.choice(labels).pk)
                for conv_id, *_ in conversations
                if random.random() < 0.3
            ),
        )
    # Steady state, as autovacuum leaves a live database: statistics and visibility maps.
    connection.cursor().execute("VACUUM ANALYZE")
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

    flip = Conversation.objects.filter(account_id=account_id, display_id=2).values_list(
        "pk", "status"
    )[0]
    state = {"status": flip[1]}

    def changed():  # a real change first: a conversation resolved or reopened (and its event)
        state["status"] = "resolved" if state["status"] != "resolved" else "open"
        Conversation.objects.filter(pk=flip[0]).update(status=state["status"])
        bump_version(account_id)

    cases = [
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
        ("agent", "workspace list partial (agent)", f"{ui}?assignee_type=me"),
        ("admin", "workspace list partial (admin)", f"{ui}?assignee_type=all"),
        ("admin", "list: all open, counts recomputed", f"{api}?status=open", changed),
        ("admin", "list: every status, counts recomputed", f"{api}?status=all", changed),
        ("admin", "list: label vip, counts recomputed", f"{api}?labels=vip&status=all", changed),
        ("admin", "list: inbox, after a change", f"{api}?inbox_id={inbox_id}&status=all", changed),
        ("admin", "list: team, after a change", f"{api}?team_id={team_id}", changed),
        ("agent", "list: mine (agent), after a change", f"{api}?assignee_type=me", changed),
        (
            "agent",
            "workspace list partial (agent), after a change",
            f"{ui}?assignee_type=me",
            changed,
        ),
        (
            "agent",
            "list: all (agent), counts recomputed",
            f"{api}?assignee_type=all&status=all",
            changed,
        ),
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

    print(f"\n{'case':<42} {'status':>6} {'queries':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    worst_p95, worst_queries = 0.0, 0
    for who, name, path, *before in cases:
        times, queries, status = measure(clients[who], path, args.runs, *before)
        p95 = statistics.quantiles(times, n=20)[-1]
        worst_p95, worst_queries = max(worst_p95, p95), max(worst_queries, queries)
        print(
            f"{name:<42} {status:>6} {queries:>8} "
            f"{statistics.median(times):>8.1f} {p95:>8.1f} {max(times):>8.1f}"
        )
    import resource

    print(
        f"load average {os.getloadavg()[0]:.1f}; peak RSS of this (web) process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"\nworst p95: {worst_p95:.1f} ms (target ≤ 30), "
        f"most queries: {worst_queries} (target ≤ 10)"
    )


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
