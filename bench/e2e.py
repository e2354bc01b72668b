"""Benchmark: end to end on the full stack, as production runs it (issues #12 and #13).

`bin/web` (uvicorn, WEB_CONCURRENCY processes, default one per core) and `bin/worker` (Celery,
WORKER_CONCURRENCY processes, default one per core) run as real processes on the bench
database and Redis. Two paths, each at the given rates for `--duration` seconds:

- **api**: `POST /api/v1/accounts/{id}/conversations` (with its first message) by an
  administrator's token → the frame that tells the assignee the conversation is hers, on her
  websocket (the worker's intake auto-assigns it to the secretária, the inbox's online member);
- **webhook**: a signed WhatsApp delivery `POST /webhooks/whatsapp/<number>` → the
  `message.created` frame on the secretária's websocket (50 customers writing in turn).

Printed per path and rate: sent, p50 / p99 / max from the request being sent to the frame,
"late" (no frame within `--drain` seconds after the last request: still queued when the run
stopped waiting) and duplicated (two frames for one request), then the CPU seconds that web,
worker, PostgreSQL and Redis used during the run. At the end, once the worker has emptied its
queues (up to `--settle` seconds; it does so after each run too, so that a run starts with no
backlog), what the database holds: every API conversation assigned
and every delivery stored as exactly one message, or the count lost and duplicated; and the
peak RSS (VmHWM) of every web and worker process. Targets (issue #12):
p50 ≤ 30 ms, p99 ≤ 100 ms, 0 lost, 0 duplicated at 10, 50 and 100 per second.

Usage:  .venv/bin/python bench/e2e.py [--paths api,webhook] [--rates 10,50,100]
                                      [--duration 60] [--drain 30] [--web 2] [--worker 2]
Database `nexloo_bench` (BENCH_DATABASE_URL), Redis REDIS_URL with the prefix nexloo-bench-wa;
the servers' logs go to var/bench-e2e.log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.whatsapp import (  # noqa: E402  (sets the bench environment on import)
    ENV,
    NUMBER,
    SECRET,
    body,
    free_port,
    percentile,
    setup,
)

TICK = os.sysconf("SC_CLK_TCK")
LOG = ROOT / "var" / "bench-e2e.log"


# --- processes -----------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's and Celery's worker processes)."""
    pids, todo = [], [pid]
    while todo:
        one = todo.pop()
        pids.append(one)
        todo += _children(one)
    return pids


def named(name: str) -> list[int]:
    """Every process whose command name is `name` (PostgreSQL's backends, redis-server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
    return pids


def cpu(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return seconds


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU used since `before` by the processes alive now (a process that started meanwhile,
    a new PostgreSQL backend, counts from zero)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu(pids).items())


def status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Stack:
    """bin/web and bin/worker, as `make run-stack` starts them (beat is not needed here)."""

    def __init__(self, web: int, worker: int) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            **ENV,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(web),
            "WORKER_CONCURRENCY": str(worker),
            "CELERY_LOG_LEVEL": "warning",
        }

    def __enter__(self) -> Stack:
        # Their logs (uvicorn's access log, as production writes it) go to a file, not here.
        LOG.parent.mkdir(exist_ok=True)
        log = LOG.open("w")
        self.web = subprocess.Popen(
            [str(ROOT / "bin/web")], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        self.worker = subprocess.Popen(
            [str(ROOT / "bin/worker")], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("bin/web did not start")
        time.sleep(6)  # every uvicorn and Celery process imported Django and connected
        return self

    def __exit__(self, *exc) -> None:
        self.web.send_signal(signal.SIGINT)
        self.worker.send_signal(signal.SIGTERM)
        for process in (self.web, self.worker):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()

    def groups(self) -> dict[str, list[int]]:
        return {
            "web": tree(self.web.pid),
            "worker": tree(self.worker.pid),
            "postgres": named("postgres"),
            "redis": named("redis-server"),
        }


# --- HTTP on keep-alive connections --------------------------------------------------------------


async def request(conn, port: int, method: str, path: str, headers: dict, raw: bytes):
    reader, writer, lock = conn
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    message = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
        f"Content-Length: {len(raw)}\r\n\r\n"
    ).encode() + raw
    async with lock:
        writer.write(message)
        await writer.drain()
        answer = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in answer.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        content = await reader.readexactly(length) if length else b""
    return int(answer.split(b" ", 2)[1]), content


# --- one run -------------------------------------------------------------------------------------


async def run(stack: Stack, ctx: dict, path: str, rate: int, duration: float, drain: float):
    import websockets

    from whatsapp.standin import sign

    stamp = str(time.time_ns())
    total = int(rate * duration)
    sent_at: dict[str, float] = {}  # request key → when it was sent
    key_of: dict[str, str] = {}  # api: conversation display id → request key
    frames: dict[str, list[float]] = {}  # frame key → arrival times
    errors = 0
    uri = f"ws://127.0.0.1:{stack.port}/ws/?api_access_token={ctx['token']}"
    agent_id = ctx["agent_user_id"]
    async with websockets.connect(uri, max_size=None, ping_interval=None) as ws:

        async def listen():
            async for raw in ws:
                frame = json.loads(raw)
                data = frame.get("data") or {}
                if path == "webhook":
                    if frame.get("event") == "message.created" and data.get("message_type") == 0:
                        frames.setdefault(data.get("source_id"), []).append(time.perf_counter())
                elif frame.get("event") == "assignee.changed" and data.get("assignee_id") == (
                    agent_id
                ):
                    frames.setdefault(str(data.get("id")), []).append(time.perf_counter())

        listener = asyncio.create_task(listen())
        conns = []
        for _ in range(16):
            reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
            conns.append((reader, writer, asyncio.Lock()))

        async def send(n: int) -> None:
            nonlocal errors
            conn = conns[n % len(conns)]
            if path == "webhook":
                key = f"wamid.BENCH.{stamp}.{n}"
                raw = body(n, wa_id=f"55117{n % 50:08d}", text=f"e2e {n}", stamp=stamp)
                headers = {
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(raw, SECRET),
                }
                sent_at[key] = time.perf_counter()
                status, _ = await request(
                    conn, stack.port, "POST", f"/webhooks/whatsapp/{NUMBER}", headers, raw
                )
                if status != 200:
                    errors += 1
                    sent_at.pop(key)
                return
            key = f"e2e-{stamp}-{n}"
            raw = json.dumps(
                {"inbox_id": ctx["api_inbox_id"], "source_id": key, "message": {"content": "Olá"}}
            ).encode()
            headers = {"Content-Type": "application/json", "api_access_token": ctx["admin_token"]}
            sent_at[key] = time.perf_counter()
            status, content = await request(
                conn,
                stack.port,
                "POST",
                f"/api/v1/accounts/{ctx['account_id']}/conversations",
                headers,
                raw,
            )
            if status != 200:
                errors += 1
                sent_at.pop(key)
                return
            key_of[str(json.loads(content)["id"])] = key

        before = {name: cpu(pids) for name, pids in stack.groups().items()}
        started = time.perf_counter()
        pending = []
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            pending.append(asyncio.create_task(send(n)))
        await asyncio.gather(*pending)
        sending = time.perf_counter() - started

        def seen() -> int:
            if path == "webhook":
                return sum(1 for key in sent_at if key in frames)
            return sum(1 for did in key_of if did in frames)

        deadline = time.perf_counter() + drain
        while time.perf_counter() < deadline and seen() < len(sent_at):
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # a duplicate would come about now
        spent = {name: cpu_since(before[name], pids) for name, pids in stack.groups().items()}
        listener.cancel()
        for _r, writer, _l in conns:
            writer.close()

    if path == "webhook":
        arrivals = {key: frames[key] for key in sent_at if key in frames}
    else:
        arrivals = {key_of[did]: times for did, times in frames.items() if did in key_of}
    latencies = [(times[0] - sent_at[key]) * 1000 for key, times in arrivals.items()]
    late = len(sent_at) - len(arrivals)
    SENT[path].extend(sent_at)
    duplicated = sum(1 for times in arrivals.values() if len(times) > 1)
    split = ", ".join(f"{name} {seconds:.1f}" for name, seconds in spent.items())
    print(
        f"   {path:<7} {rate:>3}/s: {len(sent_at):>5} sent in {sending:.0f} s ({errors} errors), "
        f"p50 {percentile(latencies, 50):,.0f} ms, p99 {percentile(latencies, 99):,.0f} ms, "
        f"max {max(latencies or [0]):,.0f} ms, late {late}, duplicated {duplicated}; "
        f"CPU s: {split} (load {os.getloadavg()[0]:.1f})",
        flush=True,
    )


SENT: dict[str, list[str]] = {"api": [], "webhook": []}  # every request key, for the final check


def stored(ctx: dict) -> dict[str, tuple[int, int, int]]:
    """(sent, done, duplicated) per path, from the database: API conversations given to the
    secretária, WhatsApp messages stored (and stored more than once)."""
    from django.db.models import Count

    from conversations.models import Conversation, Message

    api = Conversation.objects.filter(
        account_id=ctx["account_id"],
        contact_inbox__source_id__in=SENT["api"],
        assignee__user_id=ctx["agent_user_id"],
    ).count()
    rows = (
        Message.objects.filter(inbox=ctx["inbox"], source_id__in=SENT["webhook"])
        .values("source_id")
        .annotate(n=Count("id"))
    )
    counts = [row["n"] for row in rows]
    return {
        "api": (len(SENT["api"]), api, 0),
        "webhook": (len(SENT["webhook"]), len(counts), sum(1 for n in counts if n > 1)),
    }


def settle(ctx: dict, limit: float) -> float:
    """Waits until the worker has done everything sent so far (or nothing moved for a minute,
    or `limit` seconds passed); returns how long it waited."""
    started = time.monotonic()
    last, still = None, 0
    while time.monotonic() < started + limit:
        now = stored(ctx)
        if all(done == sent for sent, done, _d in now.values()):
            break
        still = still + 1 if now == last else 0
        if still >= 12:  # nothing moved for a minute: what is missing stays missing
            break
        last = now
        time.sleep(5)
    return time.monotonic() - started


def prepare(ctx: dict) -> dict:
    """The bench account of bench/whatsapp.py, plus an API inbox with the secretária in it and
    an administrator's token for the API path."""
    from accounts import services as account_services
    from accounts.models import AccountUser
    from inboxes import services as inbox_services

    account = ctx["account"]
    admin = AccountUser.objects.get(account=account, role="administrator")
    agent = AccountUser.objects.get(account=account, role="agent")
    inbox = inbox_services.inbox_create(account=account, actor=admin, name="API bench")
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[agent.user_id]
    )
    return {
        **ctx,
        "account_id": account.pk,
        "api_inbox_id": inbox.pk,
        "agent_user_id": agent.user_id,
        "admin_token": account_services.access_token_regenerate(user=admin.user),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", default="api,webhook")
    parser.add_argument("--rates", default="10,50,100")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--drain", type=float, default=30)
    parser.add_argument("--settle", type=float, default=900)
    parser.add_argument("--web", type=int, default=os.cpu_count())
    parser.add_argument("--worker", type=int, default=os.cpu_count())
    args = parser.parse_args()
    ctx = prepare(setup())
    from nexloo.celery import app

    with app.connection_for_write() as conn:  # nothing queued by an earlier run
        for name in ("default", "webhooks", "outbound", "realtime"):
            conn.default_channel.queue_purge(name)
    print(
        f"End to end on the full stack — {os.cpu_count()} CPU(s), web processes {args.web}, "
        f"worker processes {args.worker}, {args.duration:.0f} s per rate",
        flush=True,
    )
    with Stack(args.web, args.worker) as stack:
        idle = {name: [status_kb(p, "VmRSS") // 1024 for p in pids] for name, pids in
                stack.groups().items() if name in ("web", "worker")}  # fmt: skip
        print(f"   RSS idle (MB): web {idle['web']}, worker {idle['worker']}", flush=True)
        for path in args.paths.split(","):
            for rate in (int(r) for r in args.rates.split(",")):
                asyncio.run(run(stack, ctx, path, rate, args.duration, args.drain))
                waited = settle(ctx, args.settle)  # the next run starts with no backlog
                if waited > 1:
                    print(f"   (its backlog took {waited:.0f} s more to work off)", flush=True)
        settle(ctx, args.settle)
        for path, (sent, done, dup) in stored(ctx).items():
            if sent:
                print(
                    f"   {path:<7} in the database: {done} of {sent} "
                    f"({'assigned' if path == 'api' else 'stored'}), lost {sent - done}, "
                    f"duplicated {dup}",
                    flush=True,
                )
        peak = {name: [status_kb(p, "VmHWM") // 1024 for p in pids] for name, pids in
                stack.groups().items() if name in ("web", "worker")}  # fmt: skip
        print(
            f"   peak RSS (MB, VmHWM per process, the parent first): web {peak['web']}, "
            f"worker {peak['worker']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
