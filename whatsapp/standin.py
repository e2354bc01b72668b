"""A local stand-in for Meta's Graph API: a small real HTTP server on 127.0.0.1.

The tests point `WHATSAPP_GRAPH_URL` at it (and a demo may too): it records every request,
answers sent messages with wamids, serves media files, lists the number and its templates, and
answers the errors it is told to. It also signs webhook bodies exactly as Meta does, so a test or
a demo can play Meta's side of the webhook too.

    with GraphStandIn(token="…") as graph:
        settings.WHATSAPP_GRAPH_URL = graph.url
        graph.fail_next(code=131047, title="Re-engagement message", path="/messages")
        graph.add_media("123", b"...", "image/jpeg")
        ...
        graph.sent  # the JSON bodies posted to /{phone_number_id}/messages

Standard library only, so the demo command can import it without test dependencies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header Meta sends with a webhook body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def text_delivery(
    *,
    phone_number_id: str,
    display_phone_number: str = "15550000000",
    wa_id: str,
    name: str,
    text: str,
    wamid: str,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A webhook body with one text message from a customer, shaped as Meta sends it."""
    return _delivery(
        phone_number_id,
        display_phone_number,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": wamid,
                    "timestamp": str(timestamp or int(time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        },
    )


def status_delivery(
    *,
    phone_number_id: str,
    display_phone_number: str = "15550000000",
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: int | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A webhook body with one status report (sent, delivered, read, failed)."""
    report: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": recipient_id,
    }
    if errors:
        report["errors"] = errors
    return _delivery(phone_number_id, display_phone_number, {"statuses": [report]})


def _delivery(phone_number_id: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""
    answer: Any = None  # the JSON it was answered with (a sent message's wamid, …)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class _Failure:
    status: int
    code: int | str
    title: str
    path: str
    times: int
    details: str = ""


@dataclass
class _Media:
    content: bytes
    mime_type: str
    served_type: str
    sha256: str


@dataclass
class GraphStandIn:
    token: str = "standin-token"  # noqa: S105 (the stand-in's own test token)
    version: str = "v21.0"
    number: dict[str, Any] = field(
        default_factory=lambda: {
            "display_phone_number": "+55 11 4000-0000",
            "verified_name": "Nexloo Demo",
            "quality_rating": "GREEN",
        }
    )
    templates: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0  # seconds before each answer (latency tests)
    port: int = 0  # 0: any free port (tests); the demo uses a fixed one

    def __post_init__(self) -> None:
        self.requests: list[Recorded] = []
        self._failures: list[_Failure] = []
        self._media: dict[str, _Media] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------------------

    def start(self) -> GraphStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                standin._handle(self, "GET")

            def do_POST(self):
                standin._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="graph-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GraphStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- configuring -------------------------------------------------------------------------

    def fail_next(
        self,
        *,
        code: int | str,
        title: str = "",
        status: int = 400,
        path: str = "",
        times: int = 1,
        details: str = "",
    ) -> None:
        """The next `times` requests whose path contains `path` get this Graph API error
        (`details` as Meta's `error_data.details`)."""
        with self._lock:
            self._failures.append(_Failure(status, code, title, path, times, details))

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, served_type: str = ""
    ) -> None:
        """A file a customer sent: `GET /{media_id}` describes it, its URL serves it (with
        `served_type` as Content-Type, to test a mismatch)."""
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        self._media[media_id] = _Media(content, mime_type, served_type or mime_type, digest)

    # --- what it saw -------------------------------------------------------------------------

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The messages posted (JSON bodies), in order."""
        return [
            r.json for r in self.requests if r.method == "POST" and r.path.endswith("/messages")
        ]

    @property
    def uploads(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/media")]

    def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)  # polling another thread's server, not a clock
        return self.sent

    # --- serving -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path, _sep, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        record = Recorded(method, path, dict(handler.headers.items()), body, query)
        with self._lock:
            self.requests.append(record)
        if self.delay:
            time.sleep(self.delay)
        status, payload, content_type = self._answer(record)
        record.answer = payload if isinstance(payload, dict) else None
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _error(self, status: int, code: int | str, title: str, details: str = ""):
        error: dict[str, Any] = {
            "message": title,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "x",
        }
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return status, {"error": error}, "application/json"

    def _answer(self, record: Recorded):
        if record.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Error validating access token: the session has expired.")
        with self._lock:
            for failure in self._failures:
                if failure.times > 0 and failure.path in record.path:
                    failure.times -= 1
                    return self._error(failure.status, failure.code, failure.title, failure.details)
        parts = [p for p in record.path.split("/") if p]
        if parts and parts[0] == "files" and len(parts) == 2 and parts[1] in self._media:
            media = self._media[parts[1]]
            return 200, media.content, media.served_type
        if not parts or parts[0] != self.version:
            return self._error(404, 100, "Unknown path")
        rest = parts[1:]
        if record.method == "POST" and len(rest) == 2 and rest[1] == "messages":
            payload = record.json or {}
            wamid = f"wamid.STANDIN{next(self._ids):06d}"
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": payload.get("to"), "wa_id": payload.get("to")}],
                    "messages": [{"id": wamid}],
                },
                "application/json",
            )
        if record.method == "POST" and len(rest) == 2 and rest[1] == "media":
            return 200, {"id": f"upload-{next(self._ids)}"}, "application/json"
        if record.method == "GET" and len(rest) == 2 and rest[1] == "message_templates":
            return 200, {"data": self.templates, "paging": {"cursors": {}}}, "application/json"
        if record.method == "GET" and len(rest) == 1 and rest[0] in self._media:
            media = self._media[rest[0]]
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "id": rest[0],
                    "url": f"{self.url}/files/{rest[0]}",
                    "mime_type": media.mime_type,
                    "sha256": media.sha256,
                    "file_size": len(media.content),
                },
                "application/json",
            )
        if record.method == "GET" and len(rest) == 1:
            return 200, {"id": rest[0], **self.number}, "application/json"
        return self._error(404, 100, "Unknown path")
