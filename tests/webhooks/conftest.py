"""A real HTTP receiver on this machine for the webhook tests, and the signature check a
receiver would do with the secret it was shown."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on this machine
    r = Receiver()
    yield r
    r.close()


def verifies(secret: str, request: dict) -> bool:
    headers = request["headers"]
    signed = headers["X-Chatwoot-Timestamp"].encode() + b"." + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Chatwoot-Signature"])
