"""Benchmark: the cost of one request on the hot endpoints, in-process (issue #12).

Runs the real Django stack (middleware, DRF, services, on-commit events and task queueing to
Redis) through Django's test client, against its own PostgreSQL database
(`nexloo_bench_requests`) and Redis database 6, and prints per endpoint the SQL queries of one
request and the server time (p50 / p95 over `--runs` requests), plus the worker's intake of a
new conversation (rules, assignment, push) called in-process. `--profile NAME` prints a
pyinstrument profile of that endpoint instead.

Targets: authenticated GET of a small object ≤ 1.5 ms; POST /conversations with its first
message ≤ 12 queries and ≤ 10 ms; a new message ≤ 8 queries and ≤ 6 ms; the intake ≤ 10 queries.

Usage:  .venv/bin/python bench/cost.py [--runs 300] [--profile post_conversation]
                                       [--flat get_profile]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexloo_bench_requests"
)
os.environ["DATABASE_URL"] = BENCH_DB
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("REDIS_KEY_PREFIX", "nexloo-bench-requests")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")
os.environ.setdefault("DEBUG", "0")
# Fresh keys per run: nothing signed or encrypted by one run needs to outlive it (each run makes
# its own account), and a key written in the source is a key anyone can sign or decrypt with.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def ensure_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    admin_url = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup():
    from accounts import services as account_services
    from accounts.models import Role
    from inboxes import services as inbox_services

    stamp = time.time_ns()
    new = account_services.account_create_with_admin(
        name="Bench requests",
        admin_email=f"admin-{stamp}@bench.local",
        admin_name="Ana",
        password="Bench-pass-123!",
    )
    account, admin = new.account, new.admin
    user = account_services.user_create(
        email=f"sofia-{stamp}@bench.local", name="Sofia", verified=True
    ).user
    sofia = account_services.account_user_add(
        account=account, user=user, role=Role.AGENT, availability="online"
    )
    inbox = inbox_services.inbox_create(account=account, actor=admin, name="API")
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[sofia.user_id]
    )
    token = account_services.access_token_regenerate(user=sofia.user)
    return account, sofia, inbox, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--profile", default="", help="an endpoint's name: print its profile")
    parser.add_argument(
        "--flat", default="", help="an endpoint's name: its wall and CPU time, and cProfile's table"
    )
    parser.add_argument("--sql", default="", help="an endpoint's name: print its SQL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    call_command("migrate", verbosity=0)
    from conversations.models import Conversation
    from conversations.services import conversation_intake
    from nexloo.celery import app as celery_app
    from nexloo.core import realtime

    account, _sofia, inbox, token = setup()
    client = APIClient()
    client.credentials(HTTP_API_ACCESS_TOKEN=token)
    base = f"/api/v1/accounts/{account.pk}"
    counter = {"n": 0}

    def n() -> int:
        counter["n"] += 1
        return counter["n"]

    contact_id = client.post(
        f"{base}/contacts", {"name": "Cliente fixo", "inbox_id": inbox.pk}, format="json"
    ).json()["payload"]["contact"]["id"]
    conv = client.post(
        f"{base}/conversations",
        {"inbox_id": inbox.pk, "source_id": "fixo", "message": {"content": "oi"}},
        format="json",
    ).json()
    display_id = conv["id"]
    new_ids: list[int] = []

    def post_conversation():
        r = client.post(
            f"{base}/conversations",
            {"inbox_id": inbox.pk, "source_id": f"c-{n()}", "message": {"content": "Olá!"}},
            format="json",
        )
        new_ids.append(r.json()["id"])
        return r

    endpoints = {
        "get_profile": lambda: client.get("/api/v1/profile"),
        "get_contact": lambda: client.get(f"{base}/contacts/{contact_id}"),
        "get_conversation": lambda: client.get(f"{base}/conversations/{display_id}"),
        "post_contact": lambda: client.post(
            f"{base}/contacts", {"name": f"Contato {n()}", "inbox_id": inbox.pk}, format="json"
        ),
        "post_conversation": post_conversation,
        "post_message": lambda: client.post(
            f"{base}/conversations/{display_id}/messages",
            {"content": f"Mensagem {n()}"},
            format="json",
        ),
    }

    class Counted:
        """Counts the SQL statements run inside the block (whatever DEBUG and the request
        signals do to Django's own query log)."""

        def __enter__(self):
            self.captured_queries = []
            self._wrap = connection.execute_wrapper(self)
            self._wrap.__enter__()
            return self

        def __call__(self, execute, sql, params, many, context):
            self.captured_queries.append(sql)
            return execute(sql, params, many, context)

        def __exit__(self, *exc):
            self._wrap.__exit__(*exc)

    CaptureQueriesContext = lambda _connection: Counted()  # noqa: E731

    def intake_one():
        display = new_ids.pop()
        pk = Conversation.objects.filter(account=account, display_id=display).values_list(
            "pk", flat=True
        )[0]
        return lambda: conversation_intake(conversation_id=pk)

    if args.sql:
        fn = endpoints.get(args.sql)
        for _ in range(3):
            fn() if fn else post_conversation()
        call = fn or intake_one()
        with CaptureQueriesContext(connection) as ctx:
            call()
        for sql in ctx.captured_queries:
            print("-", sql[:400])
        return

    if args.flat:
        import cProfile
        import pstats

        fn = endpoints[args.flat]
        for _ in range(20):
            fn()
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(args.runs):
            fn()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        per = 1000 / args.runs
        print(f"{args.flat}: wall {wall * per:.2f} ms, CPU {cpu * per:.2f} ms per request")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            fn()
        profile.disable()
        stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime"))
        stats.print_stats(40)
        return

    if args.profile:
        from pyinstrument import Profiler

        fn = endpoints.get(args.profile)
        for _ in range(20):
            fn() if fn else None
        profiler = Profiler(interval=0.0002)
        with profiler:
            for _ in range(args.runs):
                if fn is None:  # "intake"
                    post_conversation()
                    call = intake_one()
                    profiler.start() if not profiler.is_running else None
                    call()
                else:
                    fn()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return

    results = {}
    for name, fn in endpoints.items():
        for _ in range(20):  # warm caches, connections, lazy imports
            assert fn().status_code in (200, 201), name
        with CaptureQueriesContext(connection) as ctx:
            response = fn()
        assert response.status_code in (200, 201), (name, response.content[:300])
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        results[name] = {
            "queries": len(ctx.captured_queries),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        }
    # The worker's intake of a new conversation (rules hook, assignment, events) in-process.
    for _ in range(40):
        post_conversation()
    times = []
    for i in range(min(args.runs, len(new_ids) - 1)):
        call = intake_one()
        if i == 0:
            with CaptureQueriesContext(connection) as ctx:
                call()
            queries = len(ctx.captured_queries)
            continue
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
        if not new_ids:
            break
    times.sort()
    results["worker_intake"] = {
        "queries": queries,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }
    realtime.wait_until_sent()
    celery_app.control.purge()
    load = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average {load:.1f}; peak RSS of this process {rss:.0f} MB; runs {args.runs}")
    print(f"{'endpoint':<20} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in results.items():
        print(f"{name:<20} {r['queries']:>7} {r['p50_ms']:>8} {r['p95_ms']:>8}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
