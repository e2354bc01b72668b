"""Health endpoints for a load balancer or an orchestrator, answered before Django (no
middleware: no host check, no HTTPS redirect, no session), like the WhatsApp webhook.

- `GET /healthz`: the process is up and serving. Touches nothing else.
- `GET /readyz`: this installation can do its work — the database answers, Redis (cache and
  channel layer) answers, the Celery broker accepts a connection, and a worker has been seen in
  the last minute. 200 with every check, or 503 naming the ones that failed:

      {"status": "fail", "checks": {"database": "ok", "redis": "ok", "broker": "ok",
       "worker": "no worker seen for 75 s (is the worker or beat down?)"}}

A worker is "seen" through `nexloo.heartbeat`, which beat queues every 20 s and a worker runs:
it writes the time into the cache (Redis). So a stale heartbeat means the worker or beat stopped.
Without Redis (a laptop with `make run`) tasks run in the web process and the checks that need
Redis say "not configured", which counts as ready.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connections

PATHS = ("/healthz", "/readyz")
HEARTBEAT_KEY = "nexloo:worker-heartbeat"
WORKER_SEEN_WITHIN = 60.0  # seconds
CHECK_TIMEOUT = 3.0  # seconds per check; checks run concurrently
OK = "ok"


def heartbeat_write(at: float | None = None) -> None:
    # An int: Redis keeps it as plain digits, readable with redis-cli.
    cache.set(HEARTBEAT_KEY, int(at if at is not None else time.time()), timeout=None)


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connections["default"].close()  # back to the pool; this thread is a throwaway
    return OK


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return OK


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not configured (tasks run in the web process)"
    from celery import current_app

    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=1)
    return OK


def check_worker(now: float | None = None) -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not configured (tasks run in the web process)"
    if isinstance(cache, RedisCache):
        # Past the tolerant wrapper: a Redis outage is the Redis check's failure, and must not
        # read as a miss ("no worker").
        seen = RedisCache.get(cache, HEARTBEAT_KEY)
    else:
        seen = cache.get(HEARTBEAT_KEY)
    now = now if now is not None else time.time()
    if seen is None:
        return "no worker seen yet (is the worker or beat down?)"
    age = now - float(seen)
    if age > WORKER_SEEN_WITHIN:
        return f"no worker seen for {age:.0f} s (is the worker or beat down?)"
    return OK


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "worker": check_worker,
}


async def _run(check) -> str:
    try:
        return await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} s"
    except Exception as exc:  # a readiness probe reports failures, it never raises
        return f"{type(exc).__name__}: {exc}"[:300]


async def readiness() -> tuple[bool, dict[str, str]]:
    names = list(CHECKS)
    results = await asyncio.gather(*(_run(CHECKS[name]) for name in names))
    checks = dict(zip(names, results, strict=True))
    ready = all(r == OK or r.startswith("not configured") for r in results)
    return ready, checks


async def app(scope, receive, send) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        return await _answer(send, 405, {"status": "fail", "error": "method not allowed"})
    if scope["path"] == "/healthz":
        return await _answer(send, 200, {"status": "ok", "pid": os.getpid()})
    ready, checks = await readiness()
    body = {"status": "ok" if ready else "fail", "checks": checks}
    await _answer(send, 200 if ready else 503, body)


async def _answer(send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
                (b"x-served-by", str(os.getpid()).encode()),  # which web process answered
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
