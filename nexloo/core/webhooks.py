"""Signed outbound webhooks, the way Chatwoot signs them, for every sender in the project (the
automation rules' `send_webhook_event`, the account's webhooks, the API channel's webhook_url).

`X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, with
`X-Chatwoot-Timestamp` and `X-Chatwoot-Delivery` (an id the receiver can use to drop repeats).
Every post has a timeout, follows no redirect, and goes only to public addresses: the host name is
resolved once and refused if any address is private, loopback, link-local or reserved, unless
`WEBHOOKS_ALLOW_PRIVATE_TARGETS` is on (tests, local development, a closed network). The post then
connects to the address that was checked — never resolving the name again, so a name that
answers a public address to the check and a private one a moment later (DNS rebinding) cannot
steer it inside — while the Host header, TLS's SNI and the certificate check keep the name.
The caller decides about retries: `TransientWebhookError` (timeout, connection refused, 5xx,
429) is worth one, anything else is final.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

DEFAULT_PORTS = {"http": 80, "https": 443}


class WebhookRefused(Exception):
    """The target may not be posted to (bad scheme, private address, unresolvable)."""


class TransientWebhookError(Exception):
    """Worth retrying: the receiver is away or overloaded."""


@dataclass(frozen=True)
class Delivered:
    status: int
    delivery_id: str


@dataclass(frozen=True)
class Target:
    """A checked target: the URL's parts and the address the post connects to."""

    parts: SplitResult
    host: str  # the name as sent (IDNA), for the Host header and TLS
    address: str


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def check_target(url: str) -> Target:
    """Resolves the target's name (once) and checks every address it gives."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise WebhookRefused("only http(s) addresses")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except (UnicodeError, ValueError) as exc:
        raise WebhookRefused(f"bad address: {exc}") from exc
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise TransientWebhookError(f"cannot resolve {parts.hostname}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise TransientWebhookError(f"cannot resolve {parts.hostname}")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise WebhookRefused(f"{parts.hostname} resolves to a private address")
    return Target(parts=parts, host=host, address=str(addresses[0]))


class _PinnedAdapter(HTTPAdapter):
    """For a URL whose host is the checked address: TLS sends the original name as SNI and
    verifies the certificate against it (the Host header is the caller's)."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname  # before super(): it builds the pool manager
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["server_hostname"] = self._server_hostname
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def _pinned(target: Target) -> tuple[str, str]:
    """The URL with the checked address in place of the name, and the Host header."""
    parts = target.parts
    literal = f"[{target.address}]" if ":" in target.address else target.address
    host = f"[{target.host}]" if ":" in target.host else target.host
    port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS[parts.scheme] else ""
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{literal}{port}" if userinfo else f"{literal}{port}"
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return url, host + port


def post(url: str, payload: dict[str, Any], *, secret: str, delivery_id: str = "") -> Delivered:
    """Posts `payload` as JSON, signed with `secret`. Raises WebhookRefused (final),
    TransientWebhookError (retry) or returns the receiver's status (a 4xx is final)."""
    target = check_target(url)
    pinned_url, host_header = _pinned(target)
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    delivery_id = delivery_id or uuid.uuid4().hex
    headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": "Nexloo-Webhooks/1",
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Delivery": delivery_id,
    }
    if secret:
        headers["X-Chatwoot-Signature"] = signature(secret, timestamp, body)
    try:
        with requests.Session() as session:
            adapter = _PinnedAdapter(target.host)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            response = session.post(
                pinned_url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientWebhookError(str(exc)) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientWebhookError(f"HTTP {response.status_code}")
    return Delivered(response.status_code, delivery_id)
