"""Benchmark: the WhatsApp channel, from Meta's POST to the secretária's screen.

Prints three sets of figures (issue #10; targets in brackets):

1. The webhook's acknowledgement — signature, one INSERT, 200 — under load: deliveries per
   second, p50 / p99 latency, errors, and SQL statements per delivery, counted by PostgreSQL
   itself (pg_stat_database: transactions of the bench database, each statement being its own
   autocommitted transaction) [≥ 1,000/s, p99 ≤ 25 ms, ≤ 2 statements, no ORM].
2. The worker's processing of one inbound text message (contact, conversation, message, rules,
   assignment, push): SQL queries and CPU ms per message, for a new customer (first message,
   conversation created, intake and assignment) and a returning one [≤ 15 queries, ≤ 10 ms].
3. End to end: webhook POST → the `message.created` frame on the secretária's websocket, at
   10, 50 and 100 messages/s, with p50 / p99 and the counts of lost and duplicated messages
   [p50 ≤ 30 ms, p99 ≤ 100 ms, 0 lost, 0 duplicated].

The servers run as real processes: uvicorn (nexloo.asgi) and, for (3), a Celery worker, on the
bench database (`nexloo_bench`, created on first run; `BENCH_DATABASE_URL` changes it) and Redis
(`REDIS_URL`, default redis://127.0.0.1:6379/0, with its own key prefix).

Usage:  .venv/bin/python bench/whatsapp.py [--ack-requests 10000] [--concurrency 32]
                                           [--duration 60] [--rates 10,50,100] [--skip-e2e]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexloo_bench")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = "nexloo-bench-wa"
ENV = {
    "DATABASE_URL": BENCH_DB,
    "REDIS_URL": REDIS,
    "REDIS_KEY_PREFIX": PREFIX,
    "DJANGO_SETTINGS_MODULE": "nexloo.settings",
    "DEBUG": "1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
    "CELERY_TASK_ALWAYS_EAGER": "0",
}
os.environ.update(ENV)

NUMBER = "+5511930000001"
PHONE_NUMBER_ID = "930000000000001"
SECRET = "bench-app-secret-0001"
TOKEN = "EAAG-bench-token-0001"
PASSWORD = "Bench-pass-123!"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- setup ---------------------------------------------------------------------------------------


def setup() -> dict:
    from bench.conversations import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)

    from accounts import services as account_services
    from inboxes import services as inbox_services
    from whatsapp import services as whatsapp_services
    from whatsapp.models import WhatsAppChannel

    WhatsAppChannel.objects.filter(phone_number=NUMBER).delete()
    stamp = time.time_ns()
    new = account_services.account_create_with_admin(
        name="Bench WhatsApp",
        admin_email=f"admin-{stamp}@bench.local",
        admin_name="Admin",
        password=PASSWORD,
    )
    user = account_services.user_create(
        email=f"secretaria-{stamp}@bench.local", name="Secretária", password=PASSWORD, verified=True
    ).user
    # Online without depending on a browser's heartbeat: the assignment engine picks her.
    sofia = account_services.account_user_add(
        account=new.account, user=user, role="agent", availability="online", auto_offline=False
    )
    channel = whatsapp_services.whatsapp_inbox_create(
        account=new.account,
        actor=new.admin,
        name="WhatsApp bench",
        phone_number=NUMBER,
        phone_number_id=PHONE_NUMBER_ID,
        business_account_id="930000000000002",
        access_token=TOKEN,
        app_secret=SECRET,
    )
    inbox_services.inbox_members_set(
        account=new.account, actor=new.admin, inbox=channel.inbox, user_ids=[sofia.user_id]
    )
    token = account_services.access_token_regenerate(user=user)
    return {"account": new.account, "inbox": channel.inbox, "channel": channel, "token": token}


def body(n: int, *, wa_id: str, text: str, stamp: str) -> bytes:
    from whatsapp.standin import text_delivery

    return json.dumps(
        text_delivery(
            phone_number_id=PHONE_NUMBER_ID,
            wa_id=wa_id,
            name=f"Cliente {wa_id[-4:]}",
            text=text,
            wamid=f"wamid.BENCH.{stamp}.{n}",
        )
    ).encode()


class Server:
    """uvicorn serving nexloo.asgi, in its own process."""

    def __init__(self, workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "nexloo.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env={**os.environ, **ENV},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return self
            time.sleep(0.1)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Worker:
    def __enter__(self) -> Worker:
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "nexloo",
                "worker",
                "-Q",
                "default,webhooks,outbound,realtime",
                "-c",
                "2",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **ENV},
        )
        time.sleep(4)  # the worker connects and starts consuming
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def post(reader, writer, port: int, raw: bytes) -> int:
    from whatsapp.standin import sign

    request = (
        f"POST /webhooks/whatsapp/{NUMBER} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {sign(raw, SECRET)}\r\n"
        f"Content-Length: {len(raw)}\r\n\r\n"
    ).encode() + raw
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers)."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    tick = os.sysconf("SC_CLK_TCK")
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pg_transactions() -> int:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()[0]


# --- 1. acknowledgements -------------------------------------------------------------------------


def bench_ack(requests: int, concurrency: int, workers: int) -> None:
    stamp = str(time.time_ns())
    bodies = [
        body(n, wa_id=f"55119{n % 500:08d}", text=f"oi {n}", stamp=stamp) for n in range(requests)
    ]
    with Server(workers=workers) as server:

        async def run() -> tuple[list[float], list[int], float]:
            latencies: list[float] = []
            statuses: list[int] = []
            queue = list(reversed(bodies))

            async def client():
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                while queue:
                    raw = queue.pop()
                    started = time.perf_counter()
                    statuses.append(await post(reader, writer, server.port, raw))
                    latencies.append((time.perf_counter() - started) * 1000)
                writer.close()

            # Warm-up: the pools open, the channel gets cached.
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            for n in range(50):
                await post(
                    reader,
                    writer,
                    server.port,
                    body(n, wa_id="5511900000000", text="warm", stamp="w" + stamp),
                )
            writer.close()
            await asyncio.sleep(1)
            before = pg_transactions()
            cpu_before = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(server.process.pid) - cpu_before
            await asyncio.sleep(1)  # PostgreSQL's statistics are flushed at most every second
            statements = (pg_transactions() - before) / requests
            return latencies, statuses, elapsed, statements, cpu

        latencies, statuses, elapsed, statements, cpu = asyncio.run(run())
    errors = sum(1 for s in statuses if s != 200)
    print(
        f"\n1. Webhook acknowledgement ({requests} signed deliveries, {concurrency} connections, "
        f"uvicorn --workers {workers})"
    )
    print(f"   acknowledgements/s : {requests / elapsed:,.0f}")
    print(
        f"   latency p50 / p99  : {percentile(latencies, 50):.1f} / "
        f"{percentile(latencies, 99):.1f} ms   (max {max(latencies):.1f} ms)"
    )
    print(f"   errors             : {errors}")
    print(f"   SQL per delivery   : {statements:.2f} (PostgreSQL's own transaction count)")
    print(f"   server CPU / ack   : {cpu / requests * 1000:.2f} ms (uvicorn process)")
    print(f"   load average       : {os.getloadavg()[0]:.1f} (others share this machine)")


# --- 2. processing in the worker -----------------------------------------------------------------


def bench_processing(ctx: dict, messages: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nexloo.celery import app
    from whatsapp import services
    from whatsapp.models import WebhookEvent

    app.conf.task_always_eager = True  # intake, assignment and the push run here, as counted
    stamp = str(time.time_ns())

    def measure(kind: str, wa_id_of) -> None:
        queries, cpu = [], []
        for n in range(messages):
            event = WebhookEvent.objects.create(
                account=ctx["account"],
                inbox=ctx["inbox"],
                body=body(n, wa_id=wa_id_of(n), text=f"{kind} {n}", stamp=f"{kind}{stamp}"),
            )
            started = time.process_time()
            with CaptureQueriesContext(connection) as captured:
                services.event_process(event_id=event.pk)
            cpu.append((time.process_time() - started) * 1000)
            queries.append(len(captured))
        print(
            f"   {kind:<18}: {statistics.median(queries):.0f} queries (min {min(queries)}, "
            f"max {max(queries)}), CPU {statistics.median(cpu):.1f} ms p50 / "
            f"{percentile(cpu, 90):.1f} ms p90"
        )

    print(f"\n2. Processing one inbound text message in the worker ({messages} each)")
    measure("new customer", lambda n: f"55118{stamp[-4:]}{n:04d}")
    measure("returning customer", lambda n: f"55118{stamp[-4:]}{n:04d}")


# --- 3. end to end -------------------------------------------------------------------------------


def bench_e2e(ctx: dict, rates: list[int], duration: float) -> None:
    import websockets

    from nexloo.celery import app

    # What the acknowledgement run left queued is not part of this (control.purge() would only
    # empty the default queue).
    with app.connection_for_write() as conn:
        for name in ("default", "webhooks", "outbound", "realtime"):
            conn.default_channel.queue_purge(name)
    print(
        "\n3. Webhook POST → message.created on the secretária's websocket "
        f"({duration:.0f} s per rate)"
    )
    with Server(workers=1) as server, Worker():

        async def run(rate: int) -> None:
            stamp = str(time.time_ns())
            total = int(rate * duration)
            sent_at: dict[str, float] = {}
            frames: dict[str, list[float]] = {}
            uri = f"ws://127.0.0.1:{server.port}/ws/?api_access_token={ctx['token']}"
            async with websockets.connect(uri, max_size=None, ping_interval=None) as socket_:

                async def listen():
                    async for raw in socket_:
                        frame = json.loads(raw)
                        data = frame.get("data") or {}
                        if (
                            frame.get("event") == "message.created"
                            and data.get("message_type") == 0
                        ):
                            frames.setdefault(data.get("source_id"), []).append(time.perf_counter())

                listener = asyncio.create_task(listen())
                connections = [
                    await asyncio.open_connection("127.0.0.1", server.port) for _ in range(8)
                ]
                started = time.perf_counter()
                pending = []

                async def send(n: int, conn) -> None:
                    wamid = f"wamid.BENCH.{stamp}.{n}"
                    raw = body(
                        n, wa_id=f"55117{n % 50:08d}", text=f"e2e {n}", stamp=stamp
                    )  # 50 customers
                    sent_at[wamid] = time.perf_counter()
                    lock = conn[2]
                    async with lock:
                        status = await post(conn[0], conn[1], server.port, raw)
                    if status != 200:
                        sent_at.pop(wamid)

                conns = [(r, w, asyncio.Lock()) for r, w in connections]
                for n in range(total):
                    due = started + n / rate
                    await asyncio.sleep(max(0, due - time.perf_counter()))
                    pending.append(asyncio.create_task(send(n, conns[n % len(conns)])))
                await asyncio.gather(*pending)
                deadline = time.perf_counter() + 15
                while time.perf_counter() < deadline and len(frames) < len(sent_at):
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1)
                listener.cancel()
                for _r, w, _l in conns:
                    w.close()
            latencies = [(frames[w][0] - t) * 1000 for w, t in sent_at.items() if w in frames]
            lost = len([w for w in sent_at if w not in frames])
            duplicated = len([w for w, times in frames.items() if len(times) > 1])
            print(
                f"   {rate:>3} msg/s: {len(sent_at)} sent, p50 {percentile(latencies, 50):.0f} ms, "
                f"p99 {percentile(latencies, 99):.0f} ms, max {max(latencies or [0]):.0f} ms, "
                f"lost {lost}, duplicated {duplicated}"
            )

        for rate in rates:
            asyncio.run(run(rate))
            time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ack-requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--rates", default="10,50,100")
    parser.add_argument("--skip-ack", action="store_true")
    parser.add_argument("--skip-processing", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true")
    args = parser.parse_args()
    ctx = setup()
    print(f"Nexloo WhatsApp benchmark — {os.cpu_count()} CPU(s), database {BENCH_DB}")
    if not args.skip_ack:
        bench_ack(args.ack_requests, args.concurrency, args.workers)
    if not args.skip_processing:
        bench_processing(ctx, args.messages)
    if not args.skip_e2e:
        bench_e2e(ctx, [int(r) for r in args.rates.split(",")], args.duration)
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)


if __name__ == "__main__":
    main()
