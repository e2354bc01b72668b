"""`/webhooks/whatsapp/<phone_number>`: Meta's verification (GET) and deliveries (POST), as a
lean ASGI app that `nexloo/asgi.py` dispatches to before Django.

The hot path of every customer message, so it does only what the acknowledgement needs: find
the number (a per-process cache, whatsapp/channel_cache.py; one SELECT on a miss), check the
signature over the raw bytes, store the delivery with one INSERT (shared with the deliveries
arriving at the same moment: group commit), answer 200, and hand the event id to a background
publisher that queues its processing. No Django middleware, no ORM. If the
event cannot be stored the answer is 503, so that Meta delivers it again; it never answers 200
for something it did not keep. Lost queueing (Redis away, a process killed) is covered by the
periodic `whatsapp.requeue_events`, which finds stored events nobody processed.

- GET with `hub.mode=subscribe` and the right `hub.verify_token` → 200, `hub.challenge` as
  text/plain; anything else → 403 (the challenge is never reflected).
- POST without a valid `X-Hub-Signature-256: sha256=…` → 401, nothing stored. Bodies over
  3 MB → 413. An unknown number → 404 (logged). A delivery naming another phone number id than
  the inbox's → stored as rejected and never processed.

PostgreSQL is spoken to directly through psycopg's async pool; with another database (SQLite,
the laptop default) the same two statements go through Django's connection in a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import weakref
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from nexloo.core import crypto
from whatsapp import channel_cache, parser, publisher
from whatsapp.providers.cloud import signature_ok

logger = logging.getLogger(__name__)

PREFIX = "/webhooks/whatsapp/"
KEPT_HEADERS = ("x-hub-signature-256", "user-agent", "content-type", "x-forwarded-for")

LOOKUP_SQL = (
    "SELECT inbox_id, account_id, phone_number_id, app_secret_encrypted, webhook_verify_token "
    "FROM whatsapp_whatsappchannel WHERE phone_number = %s"
)
INSERT_SQL = (
    "INSERT INTO whatsapp_webhookevent "
    "(account_id, inbox_id, body, headers, status, reason, errors, attempts, received_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, '[]', 0, %s) RETURNING id"
)

# Counted for the benchmark (bench/whatsapp.py): SQL statements this process sent.
stats = {"sql": 0, "deliveries": 0}
_unknown_logged: dict[str, float] = {}
_secrets: dict[str, str] = {}  # encrypted → clear, so Fernet runs once per secret and process


class NotStored(Exception):
    pass


class UnknownInbox(NotStored):
    """The cached inbox is gone (the INSERT failed its foreign key)."""


# --- storage -------------------------------------------------------------------------------------


class _PostgresStore:
    """psycopg's async pool, and group commit: the deliveries that arrive while a commit is in
    flight are written together by the next INSERT (one statement, one WAL flush), and each
    request answers only once its own row is committed. Under load this is what turns the disk's
    flush latency (a few ms each) into throughput; alone, a delivery is written at once."""

    PARALLEL = 3  # INSERTs in flight at once
    BATCH = 200

    def __init__(self) -> None:
        self._pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._flushers = 0

    async def _pool(self):
        from psycopg_pool import AsyncConnectionPool

        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            db = connections["default"].settings_dict
            pool = AsyncConnectionPool(
                kwargs={
                    "dbname": db["NAME"],
                    "user": db["USER"] or None,
                    "password": db["PASSWORD"] or None,
                    "host": db["HOST"] or None,
                    "port": db["PORT"] or None,
                    "autocommit": True,
                },
                min_size=1,
                max_size=self.PARALLEL + 2,
                timeout=5,
                open=False,
            )
            await pool.open()
            self._pools[loop] = pool
        return pool

    def close(self) -> None:
        """Closes the pools from outside their loops (a server shutting down, tests)."""
        for loop, pool in list(self._pools.items()):
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(pool.close(), loop).result(5)
        self._pools.clear()

    async def lookup(self, number: str) -> tuple | None:
        pool = await self._pool()
        async with pool.connection() as conn:
            stats["sql"] += 1
            cursor = await conn.execute(LOOKUP_SQL, (number,))
            return await cursor.fetchone()

    async def insert(self, values: tuple) -> int:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((values, future))
        if self._flushers < self.PARALLEL:
            self._flushers += 1
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.BATCH], self._pending[self.BATCH :]
                try:
                    ids = await self._write([values for values, _future in batch])
                except Exception:
                    # One bad row (an inbox deleted meanwhile) must not fail the others.
                    for values, future in batch:
                        try:
                            result = (await self._write([values]))[0]
                        except Exception as exc:
                            _fail(future, exc)
                        else:
                            _resolve(future, result)
                    continue
                for (_values, future), event_id in zip(batch, ids, strict=True):
                    _resolve(future, event_id)
        finally:
            self._flushers -= 1

    async def _write(self, rows: list[tuple]) -> list[int]:
        import psycopg

        pool = await self._pool()
        head, _sep, _tail = INSERT_SQL.partition(" VALUES ")
        one = "(%s, %s, %s, %s, %s, %s, '[]', 0, %s)"
        sql = f"{head} VALUES {', '.join([one] * len(rows))} RETURNING id"
        try:
            async with pool.connection() as conn:
                stats["sql"] += 1
                cursor = await conn.execute(sql, [v for row in rows for v in row])
                # PostgreSQL returns the rows of a multi-row VALUES in their order (Django's
                # bulk_create relies on the same).
                return [row[0] for row in await cursor.fetchall()]
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UnknownInbox from exc
        except Exception as exc:
            raise NotStored from exc


def _resolve(future: asyncio.Future, value) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future, exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc if isinstance(exc, NotStored) else NotStored(str(exc)))


class _DjangoStore:
    """Any other database: the same statements through Django's connection, in a thread."""

    def close(self) -> None:
        pass

    @sync_to_async(thread_sensitive=False)
    def lookup(self, number: str) -> tuple | None:
        from django.db import close_old_connections, connection

        try:
            with connection.cursor() as cursor:
                stats["sql"] += 1
                cursor.execute(LOOKUP_SQL, [number])
                return cursor.fetchone()
        finally:
            close_old_connections()

    @sync_to_async(thread_sensitive=False)
    def insert(self, values: tuple) -> int:
        from django.db import IntegrityError, close_old_connections, connection

        values = [*values[:-1], connection.ops.adapt_datetimefield_value(values[-1])]
        try:
            with connection.cursor() as cursor:
                stats["sql"] += 1
                cursor.execute(INSERT_SQL, values)
                return cursor.fetchone()[0]
        except IntegrityError as exc:
            raise UnknownInbox from exc
        except Exception as exc:
            raise NotStored from exc
        finally:
            close_old_connections()


_store: _PostgresStore | _DjangoStore | None = None


def close() -> None:
    if _store is not None:
        _store.close()


def store():
    global _store
    if _store is None:
        _store = _PostgresStore() if settings.USING_POSTGRES else _DjangoStore()
    return _store


# --- the app -------------------------------------------------------------------------------------


def normalise_number(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    return "+" + digits if 6 <= len(digits) <= 15 else None


async def channel_entry(number: str) -> dict[str, Any] | None:
    entry = channel_cache.get(number)
    if entry is not None:
        return entry
    since = channel_cache.lookup_started()
    row = await store().lookup(number)
    if row is None:
        return None
    entry = {
        "inbox_id": row[0],
        "account_id": row[1],
        "phone_number_id": row[2],
        "secret": row[3],
        "verify_token": row[4],
    }
    channel_cache.put(number, entry, since=since)
    return entry


def app_secret(encrypted: str) -> str:
    secret = _secrets.get(encrypted)
    if secret is None:
        secret = crypto.decrypt(encrypted)
        if len(_secrets) > 10_000:
            _secrets.clear()
        _secrets[encrypted] = secret
    return secret


async def respond(send, status: int, body: bytes = b"", content_type: bytes = b"text/plain"):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type + b"; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_body(scope, receive, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit`."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                if int(value) > limit:
                    return None
            except ValueError:
                return None
    chunks, size = [], 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _log_unknown(number: str) -> None:
    now = time.monotonic()
    if now - _unknown_logged.get(number, 0) > 60:
        if len(_unknown_logged) > 10_000:
            _unknown_logged.clear()
        _unknown_logged[number] = now
        logger.warning("WhatsApp webhook for an unknown number %s", number)


async def app(scope, receive, send) -> None:
    number = normalise_number(scope["path"][len(PREFIX) :].strip("/"))
    if number is None:
        await respond(send, 404, b"not found")
        return
    method = scope["method"]
    if method not in ("GET", "POST"):
        await respond(send, 405, b"method not allowed")
        return
    try:
        entry = await channel_entry(number)
    except Exception:
        logger.exception("WhatsApp webhook: cannot look the number up")
        await respond(send, 503, b"try again")
        return
    if entry is None:
        _log_unknown(number)
        await respond(send, 404, b"not found")
        return
    if method == "GET":
        await verify(scope, send, entry)
    else:
        await deliver(scope, receive, send, number, entry)


async def verify(scope, send, entry: dict[str, Any]) -> None:
    import hmac

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    mode = (query.get("hub.mode") or [""])[0]
    token = (query.get("hub.verify_token") or [""])[0]
    challenge = (query.get("hub.challenge") or [""])[0]
    if mode == "subscribe" and token and hmac.compare_digest(token, entry["verify_token"]):
        await respond(send, 200, challenge.encode())
    else:
        await respond(send, 403, b"forbidden")


async def deliver(scope, receive, send, number: str, entry: dict[str, Any]) -> None:
    body = await read_body(scope, receive, settings.WHATSAPP_WEBHOOK_MAX_BYTES)
    if body is None:
        await respond(send, 413, b"too large")
        return
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
        if name.decode("latin-1").lower() in KEPT_HEADERS
    }
    try:
        secret = app_secret(entry["secret"])
    except crypto.DecryptionError:
        logger.error("WhatsApp webhook: the app secret of %s cannot be decrypted", number)
        await respond(send, 503, b"try again")
        return
    if not signature_ok(secret, body, headers.get("x-hub-signature-256")):
        await respond(send, 401, b"bad signature")
        return
    status, reason = "received", ""
    try:
        ids = parser.phone_number_ids(parser.load(body))
        if ids - {entry["phone_number_id"]}:
            status = "rejected"
            reason = (
                f"phone_number_id {sorted(ids)} is not this inbox's ({entry['phone_number_id']})"
            )
    except parser.NotAWhatsAppDelivery as exc:
        status, reason = "rejected", str(exc)
    if scope.get("client"):
        headers["remote-addr"] = str(scope["client"][0])
    values = (
        entry["account_id"],
        entry["inbox_id"],
        body,
        json.dumps(headers),
        status,
        reason,
        datetime.now(UTC),
    )
    try:
        event_id = await store().insert(values)
    except UnknownInbox:
        channel_cache.drop(number)
        _log_unknown(number)
        await respond(send, 404, b"not found")
        return
    except NotStored:
        logger.exception("WhatsApp webhook: the delivery could not be stored; Meta will retry")
        await respond(send, 503, b"try again")
        return
    stats["deliveries"] += 1
    if status == "rejected":
        logger.warning("WhatsApp webhook event %s rejected: %s", event_id, reason)
    else:
        publisher.submit(event_id)
    await respond(send, 200, b"OK")
