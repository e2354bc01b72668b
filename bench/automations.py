"""Benchmark: from a new conversation's commit to the rule's assignment committed.

A real Celery worker on Redis (started in this process, solo pool, queue `default`, as
`make worker` runs it) does the intake while this script opens conversations at a steady rate
(50 per second for 60 seconds by default) in one account with 50 active rules: 49 that do not
match and the Cenário 4 rule (Conversa Criada, Situação igual a abertas → Recepção), last.

Prints, per phase:
- latency from the commit of the conversation to the commit of its intake (the rule's team
  assignment and the secretária's auto-assignment): p50 / p95 / p99 / max;
- the worker's SQL queries and CPU milliseconds (thread time) per intake;
- the engine's own time per rule set (sum of the runs' durations).

Phase 2 switches the Cenário 4 rule off (and the inbox's round robin) so that the 50 rules match
nothing: the cost of a rule set that does not match. Targets (issue #9): p50 ≤ 20 ms, p99 ≤ 100
ms, ≤ 10 queries and ≤ 5 ms CPU for a non-matching rule set.

Usage:  .venv/bin/python bench/automations.py [--rate 50] [--seconds 60] [--idle-seconds 10]
Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; Redis database 5 by default,
so that a FLUSHDB of database 0 by a test run on the same machine cannot empty its queue).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexloo_bench_automations"
)
os.environ["DATABASE_URL"] = BENCH_DB
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("REDIS_KEY_PREFIX", "nexloo-bench-automations")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def ensure_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    admin_url = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build():
    from accounts import services as account_services
    from automations import services as rule_services
    from inboxes import services as inbox_services
    from teams import services as team_services

    stamp = time.time_ns()
    new = account_services.account_create_with_admin(
        name=f"Bench {stamp}",
        admin_email=f"admin-{stamp}@bench.local",
        admin_name="Admin",
        password="Bench-pass-123!",
    )
    account, admin = new.account, new.admin
    people = []
    for i, name in enumerate(["Secretária", "Comercial 1", "Comercial 2", "Comercial 3"]):
        user = account_services.user_create(
            email=f"p{i}-{stamp}@bench.local", name=name, verified=True
        ).user
        people.append(
            account_services.account_user_add(
                account=account, user=user, role="agent", availability="online", auto_offline=False
            )
        )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="API", channel_type="api", enable_auto_assignment=True
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[p.user_id for p in people]
    )
    reception = team_services.team_create(
        account=account,
        actor=admin,
        name="Recepção",
        routing_message="Olá! Você está falando com a Recepção.",
        allow_auto_assign=True,
        member_user_ids=[people[0].user_id],
    )
    team_services.team_create(
        account=account,
        actor=admin,
        name="Comercial",
        member_user_ids=[p.user_id for p in people[1:]],
    )
    for n in range(49):  # rules of other shapes that a new conversation does not meet
        rule_services.rule_create(
            account=account,
            actor=admin,
            name=f"Regra {n}",
            event_name="conversation_created",
            conditions=[
                {
                    "attribute_key": "status",
                    "filter_operator": "equal_to",
                    "values": ["open"],
                    "query_operator": "and",
                },
                {"attribute_key": "name", "filter_operator": "contains", "values": [f"vip-{n}"]},
            ],
            actions=[{"action_name": "add_private_note", "action_params": ["VIP"]}],
        )
    cenario_4 = rule_services.rule_create(
        account=account,
        actor=admin,
        name="Tudo para a Recepção",
        event_name="conversation_created",
        conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        actions=[{"action_name": "assign_team", "action_params": [reception.pk]}],
    )
    return account, admin, inbox, reception, people[0], cenario_4


STATS = Path(os.environ.get("BENCH_STATS", "var/bench-automations-worker.tsv"))


def run_worker(stats_path: str) -> None:
    """The worker process: a Celery worker (solo pool, queue default) that writes, for each
    intake, the conversation id, its SQL queries and its CPU milliseconds to `stats_path`."""
    import django

    django.setup()
    from celery.signals import task_postrun, task_prerun
    from django.db import connection

    from nexloo.celery import app as celery_app

    state = {"counting": False, "queries": 0, "cpu": 0.0}
    out = open(stats_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the worker

    def count(execute, sql, params, many, context):
        if state["counting"]:
            state["queries"] += 1
        return execute(sql, params, many, context)

    def before(task=None, **kwargs):
        if task.name == "conversations.intake":
            if count not in connection.execute_wrappers:
                connection.execute_wrappers.append(count)
            state.update(counting=True, queries=0, cpu=time.thread_time())

    def after(task=None, args=None, **kwargs):
        if task.name == "conversations.intake" and state["counting"]:
            state["counting"] = False
            cpu_ms = (time.thread_time() - state["cpu"]) * 1000
            out.write(f"{args[0]}\t{state['queries']}\t{cpu_ms:.3f}\n")

    task_prerun.connect(before, weak=False)
    task_postrun.connect(after, weak=False)
    celery_app.conf.task_always_eager = False
    celery_app.worker_main(
        ["worker", "--pool=solo", "--concurrency=1", "-Q", "default", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"]
    )  # fmt: skip


def worker_stats(ids: set[int]) -> tuple[list[int], list[float]]:
    queries, cpu = [], []
    if not STATS.exists():
        return queries, cpu
    for line in STATS.read_text().splitlines():
        pk, q, ms = line.split("\t")
        if int(pk) in ids:
            queries.append(int(q))
            cpu.append(float(ms))
    return queries, cpu


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(inbox, rate: int, seconds: int, label: str) -> dict[int, float]:
    """Opens `rate` conversations per second for `seconds`; returns commit times by id."""
    from django.db import transaction

    from conversations import services

    committed: dict[int, float] = {}
    total = rate * seconds
    start = time.monotonic()
    for n in range(total):
        due = start + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        holder: dict[str, float] = {}
        with transaction.atomic():
            transaction.on_commit(lambda h=holder: h.__setitem__("t", time.time()))
            contact_inbox = services.contact_for_source(
                inbox=inbox, source_id=f"{label}-{time.time_ns()}-{n}"
            )
            conversation = services.conversation_open_for(contact_inbox=contact_inbox).conversation
        committed[conversation.pk] = holder["t"]
    late = time.monotonic() - start - seconds
    if late > 1:
        print(f"  (the generator ran {late:.1f} s late: creating conversations is the limit)")
    return committed


def report(label: str, committed: dict[int, float], account_id: int) -> None:
    from django.db.models import Count, Sum

    from automations.models import AutomationRun
    from conversations.models import Conversation

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done = Conversation.objects.filter(
            pk__in=list(committed), intake_done_at__isnull=False
        ).count()
        if done == len(committed):
            break
        time.sleep(0.5)
    done_at = dict(
        Conversation.objects.filter(
            pk__in=list(committed), intake_done_at__isnull=False
        ).values_list("pk", "intake_done_at")
    )
    # intake_done_at is written just before the intake's commit (a fraction of a millisecond).
    latencies = [
        (done_at[pk].timestamp() - t) * 1000 for pk, t in committed.items() if pk in done_at
    ]
    time.sleep(1)  # the worker's last lines
    queries, cpu = worker_stats(set(committed))
    per_set = (
        AutomationRun.objects.filter(account_id=account_id, conversation_id__in=list(committed))
        .values("conversation_id")
        .annotate(ms=Sum("duration_ms"), rules=Count("id"))
    )
    engine_ms = [row["ms"] for row in per_set]
    rules = statistics.mean(row["rules"] for row in per_set) if per_set else 0
    print(f"\n{label}: {len(committed)} conversations, {len(latencies)} intakes done")
    if latencies:
        print(
            "  commit → intake committed (ms): "
            f"p50 {pct(latencies, 50):.1f}  p95 {pct(latencies, 95):.1f}  "
            f"p99 {pct(latencies, 99):.1f}  max {max(latencies):.1f}"
        )
    if queries:
        print(
            f"  worker per intake: SQL queries p50 {pct(queries, 50)} (max {max(queries)}), "
            f"CPU ms p50 {pct(cpu, 50):.2f}  p99 {pct(cpu, 99):.2f}"
        )
    if engine_ms:
        print(
            f"  engine per rule set ({rules:.0f} rules evaluated): "
            f"p50 {pct(engine_ms, 50):.2f} ms  p99 {pct(engine_ms, 99):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--idle-seconds", type=int, default=10)
    args = parser.parse_args()

    ensure_database()
    import multiprocessing

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from automations import services as rule_services
    from conversations.models import Conversation

    call_command("migrate", verbosity=0)
    account, admin, inbox, reception, secretaria, cenario_4 = build()
    STATS.parent.mkdir(exist_ok=True)
    STATS.write_text("")
    connections.close_all()
    worker = multiprocessing.get_context("spawn").Process(
        target=run_worker, args=(str(STATS),), daemon=True
    )
    worker.start()
    print(
        f"account {account.pk}: 50 active conversation_created rules; a worker process (solo "
        f"pool, queue default); {args.rate} conversations/s for {args.seconds} s"
    )
    try:
        time.sleep(5)  # the worker starts
        load(inbox, 5, 2, "warm")  # warm the rule cache and the connections
        time.sleep(2)
        committed = load(inbox, args.rate, args.seconds, "match")
        report("Phase 1 — the Cenário 4 rule matches (last of 50)", committed, account.pk)
        routed = Conversation.objects.filter(pk__in=list(committed), team=reception).count()
        to_her = Conversation.objects.filter(pk__in=list(committed), assignee=secretaria).count()
        print(f"  routed to Recepção: {routed}, assigned to the secretária: {to_her}")

        rule_services.rule_set_active(account=account, actor=admin, rule=cenario_4, active=False)
        inbox.enable_auto_assignment = False
        inbox.save(update_fields=["enable_auto_assignment"])
        load(inbox, 5, 1, "warm2")
        time.sleep(2)
        committed = load(inbox, args.rate, args.idle_seconds, "nomatch")
        report("Phase 2 — 50 rules, none matches", committed, account.pk)
    finally:
        worker.terminate()
        worker.join(10)


if __name__ == "__main__":
    main()
