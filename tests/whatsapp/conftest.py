"""Fixtures of the WhatsApp tests: the Graph API stand-in (a real local HTTP server), a number
connected to an inbox, Meta's payloads from tests/fixtures/whatsapp/ (see SOURCES.md there),
and a live ASGI server for the webhook endpoint."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
import uvicorn

from tests.factories import InboxMemberFactory
from whatsapp import publisher, services, webhook
from whatsapp.models import WebhookEvent
from whatsapp.standin import GraphStandIn, sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
TOKEN = "EAAG-test-access-token-1234"
SECRET = "app-secret-for-tests-5678"
NUMBER = "+5511940000001"
PHONE_NUMBER_ID = "106540352242922"  # the one of Meta's examples (text.json, image.json…)


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def payload(name: str, *, phone_number_id: str = PHONE_NUMBER_ID, **rewrite) -> bytes:
    """A fixture addressed to our number's id, with its message ids made unique when asked
    (`suffix`), since several of them share one id."""
    data = json.loads(raw(name))
    suffix = rewrite.get("suffix")
    n = 0
    for entry in data["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            value.setdefault("metadata", {})["phone_number_id"] = phone_number_id
            for message in value.get("messages", []):
                if "timestamp" in rewrite:
                    message["timestamp"] = str(rewrite["timestamp"])
                if suffix is not None:
                    n += 1
                    message["id"] = f"{message['id']}.{suffix}.{n}"
                if "wa_id" in rewrite:
                    message["from"] = rewrite["wa_id"]
            if "wa_id" in rewrite:
                for contact in value.get("contacts", []):
                    contact["wa_id"] = rewrite["wa_id"]
    return json.dumps(data).encode()


@pytest.fixture
def graph(settings):
    with GraphStandIn(token=TOKEN) as standin:
        settings.WHATSAPP_GRAPH_URL = standin.url
        yield standin


@pytest.fixture
def channel(account, admin):
    return services.whatsapp_inbox_create(
        account=account,
        actor=admin,
        name="WhatsApp Atendimento",
        phone_number=NUMBER,
        phone_number_id=PHONE_NUMBER_ID,
        business_account_id="102290129340398",
        access_token=TOKEN,
        app_secret=SECRET,
    )


@pytest.fixture
def inbox(channel):
    return channel.inbox


@pytest.fixture
def sofia(account, inbox):
    """The secretária, who works in the WhatsApp inbox."""
    from tests.factories import AccountUserFactory

    membership = AccountUserFactory(account=account, user__name="Sofia Secretária")
    InboxMemberFactory(inbox=inbox, account_user=membership)
    return membership


@pytest.fixture
def stored(channel):
    """Stores a delivery as the webhook does (the row it INSERTs), for the processing tests."""

    def _store(body: bytes, **fields) -> WebhookEvent:
        return WebhookEvent.objects.create(
            account=channel.account, inbox=channel.inbox, body=body, **fields
        )

    return _store


@pytest.fixture
def process(stored):
    """Stores a delivery and processes it in-process; returns the event, reloaded."""

    def _process(body: bytes) -> WebhookEvent:
        event = stored(body)
        services.event_process(event_id=event.pk)
        event.refresh_from_db()
        return event

    return _process


# --- The live webhook endpoint ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def webhook_url(django_db_setup):
    """nexloo.asgi served by uvicorn in a thread, on the test database."""
    port = _free_port()
    config = uvicorn.Config(
        "nexloo.asgi:application", host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webhook-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/webhooks/whatsapp"
    webhook.close()  # its connections to the test database, before that is dropped
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def post(webhook_url):
    """POSTs a body to the number's webhook, signed with the app secret unless told otherwise;
    waits until the stored event was handed to processing (run in-process: eager tasks)."""

    def _post(body: bytes, *, number: str = NUMBER, secret: str | None = SECRET, headers=None):
        sent = {"Content-Type": "application/json"}
        if secret is not None:
            sent["X-Hub-Signature-256"] = sign(body, secret)
        sent.update(headers or {})
        response = requests.post(f"{webhook_url}/{number}", data=body, headers=sent, timeout=10)
        publisher.wait_until_idle()
        return response

    return _post
