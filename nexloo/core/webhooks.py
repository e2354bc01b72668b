"""Signed outbound webhooks, the way Chatwoot signs them, for every sender in the project (the
automation rules' `send_webhook_event`; the account's webhooks later).

`X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, with
`X-Chatwoot-Timestamp` and `X-Chatwoot-Delivery` (an id the receiver can use to drop repeats).
Every post has a timeout, follows no redirect, and goes only to public addresses: the host name is
resolved and refused if any address is private, loopback, link-local or reserved, unless
`WEBHOOKS_ALLOW_PRIVATE_TARGETS` is on (tests, a closed network). The caller decides about
retries: `TransientWebhookError` (timeout, connection refused, 5xx, 429) is worth one, anything
else is final.
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
from urllib.parse import urlsplit

import requests
from django.conf import settings


class WebhookRefused(Exception):
    """The target may not be posted to (bad scheme, private address, unresolvable)."""


class TransientWebhookError(Exception):
    """Worth retrying: the receiver is away or overloaded."""


@dataclass(frozen=True)
class Delivered:
    status: int
    delivery_id: str


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def check_target(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("only http(s) addresses")
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise TransientWebhookError(f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise WebhookRefused(f"{parts.hostname} resolves to a private address")


def post(url: str, payload: dict[str, Any], *, secret: str, delivery_id: str = "") -> Delivered:
    """Posts `payload` as JSON, signed with `secret`. Raises WebhookRefused (final),
    TransientWebhookError (retry) or returns the receiver's status (a 4xx is final)."""
    check_target(url)
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    delivery_id = delivery_id or uuid.uuid4().hex
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Nexloo-Webhooks/1",
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Delivery": delivery_id,
    }
    if secret:
        headers["X-Chatwoot-Signature"] = signature(secret, timestamp, body)
    try:
        response = requests.post(
            url,
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
