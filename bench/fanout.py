"""Benchmark: one event for a thousand open websockets (issue #12).

Starts uvicorn (nexloo.asgi, one process) on its own database (`nexloo_bench_fanout`) and Redis
database 7, opens `--sockets` authenticated websockets (one administrator each, api_access_token
in the query string), prints the web process's memory per idle socket, then creates
`--events` contacts through the API: each `contact.created` goes to every administrator.
Printed per event: when the first and the last socket got the frame (from the POST being
sent), p50/p99 over the events, lost frames; the latency of GET /api/v1/profile requests sent
while the frames go out (is HTTP still responsive); the web process's peak RSS.

The server runs as bin/web does (no permessage-deflate); `--deflate` compresses frames.

Usage:  .venv/bin/python bench/fanout.py [--sockets 1000] [--events 20] [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexloo_bench_fanout"
)
DEFLATE = False
ENV = {
    "DATABASE_URL": BENCH_DB,
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
    "REDIS_KEY_PREFIX": "nexloo-bench-fanout",
    "DJANGO_SETTINGS_MODULE": "nexloo.settings",
    "DEBUG": "1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "DATABASE_POOL_MAX": "40",
}
os.environ.update(ENV)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def ensure_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def setup(n: int) -> dict:
    from accounts import services as account_services
    from accounts.models import AccessToken, AccountUser, Role, User, hash_secret
    from inboxes import services as inbox_services

    stamp = time.time_ns()
    new = account_services.account_create_with_admin(
        name="Bench fan-out",
        admin_email=f"owner-{stamp}@bench.local",
        admin_name="Dona",
        password="Bench-pass-123!",
    )
    account, owner = new.account, new.admin
    inbox = inbox_services.inbox_create(account=account, actor=owner, name="API")
    users = User.objects.bulk_create(
        [User(email=f"adm{i}-{stamp}@bench.local", name=f"Admin {i}") for i in range(n)]
    )
    AccountUser.objects.bulk_create(
        [AccountUser(account=account, user=u, role=Role.ADMINISTRATOR) for u in users]
    )
    tokens = [secrets.token_urlsafe(24) for _ in users]
    AccessToken.objects.bulk_create(
        [
            AccessToken(user=u, token_hash=hash_secret(t), hint=t[:8])
            for u, t in zip(users, tokens, strict=True)
        ]
    )
    return {
        "account_id": account.pk,
        "inbox_id": inbox.pk,
        "tokens": tokens,
        "owner_token": account_services.access_token_regenerate(user=owner.user),
    }


class Server:
    def __enter__(self) -> Server:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/uvicorn"),
                "nexloo.asgi:application",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--lifespan",
                "off",
                "--ws-max-queue",
                "64",
                # As bin/web serves: frames uncompressed, unless --deflate.
                *([] if DEFLATE else ["--ws-per-message-deflate", "false"]),
            ],
            cwd=ROOT,
            env={**os.environ, **ENV},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def http(port: int, method: str, path: str, token: str, body: dict | None = None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps(body).encode() if body is not None else b""
    writer.write(
        (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\napi_access_token: {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + payload
    )
    await writer.drain()
    raw = await reader.read()
    writer.close()
    return int(raw.split(b" ", 2)[1])


async def main_async(args, ctx, server: Server) -> None:
    import websockets

    pid = server.process.pid
    before = rss_mb(pid)
    gate = asyncio.Semaphore(50)
    seen: dict[str, list[float]] = {}
    sockets = []

    async def open_one(token: str):
        async with gate:
            uri = f"ws://127.0.0.1:{server.port}/ws/?api_access_token={token}"
            return await websockets.connect(uri, max_size=None, ping_interval=None)

    started = time.perf_counter()
    sockets = await asyncio.gather(*(open_one(t) for t in ctx["tokens"]))
    print(f"{len(sockets)} sockets open in {time.perf_counter() - started:.1f} s")

    async def listen(ws):
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("event") == "contact.created":
                key = (frame.get("data") or {}).get("name")
                seen.setdefault(key, []).append(time.perf_counter())

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    await asyncio.sleep(args.settle)  # the presence frames of a thousand connections go by
    idle = rss_mb(pid)
    print(
        f"web RSS {before:.0f} MB before, {idle:.0f} MB with the idle sockets: "
        f"{(idle - before) * 1024 / len(sockets):.1f} kB per socket"
    )
    base = f"/api/v1/accounts/{ctx['account_id']}"
    firsts, lasts, lost, http_ms = [], [], 0, []
    for _ in range(args.events):
        name = f"Cliente fanout {time.time_ns()}"
        t0 = time.perf_counter()

        async def probe():
            await asyncio.sleep(0.02)
            t = time.perf_counter()
            await http(server.port, "GET", "/api/v1/profile", ctx["owner_token"])
            http_ms.append((time.perf_counter() - t) * 1000)

        probes = [asyncio.create_task(probe()) for _ in range(3)]
        status = await http(
            server.port,
            "POST",
            f"{base}/contacts",
            ctx["owner_token"],
            {"name": name, "inbox_id": ctx["inbox_id"]},
        )
        assert status == 200, status
        deadline = time.perf_counter() + 10
        while len(seen.get(name, ())) < len(sockets) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.gather(*probes)
        times = seen.get(name, [])
        lost += len(sockets) - len(times)
        if times:
            firsts.append((min(times) - t0) * 1000)
            lasts.append((max(times) - t0) * 1000)
        await asyncio.sleep(0.3)
    print(
        f"{args.events} events × {len(sockets)} sockets: first socket p50 "
        f"{percentile(firsts, 50):.0f} ms; last socket p50 {percentile(lasts, 50):.0f} ms, "
        f"p99 {percentile(lasts, 99):.0f} ms, max {max(lasts):.0f} ms; lost {lost}"
    )
    print(
        f"GET /api/v1/profile during the fan-out: p50 {percentile(http_ms, 50):.0f} ms, "
        f"p99 {percentile(http_ms, 99):.0f} ms ({len(http_ms)} requests)"
    )
    print(f"web peak RSS {rss_mb(pid, 'VmHWM'):.0f} MB; load average {os.getloadavg()[0]:.1f}")
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument(
        "--deflate", action="store_true", help="compress frames (permessage-deflate)"
    )
    args = parser.parse_args()
    global DEFLATE
    DEFLATE = args.deflate
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ctx = setup(args.sockets)
    with Server() as server:
        asyncio.run(main_async(args, ctx, server))


if __name__ == "__main__":
    main()
