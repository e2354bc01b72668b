"""The webhook endpoint as Meta meets it: a live ASGI server, real HTTP, signed bodies."""

from __future__ import annotations

import hashlib
import hmac
import logging
from contextlib import contextmanager

import pytest
import requests
from django.db import connection

from conversations.models import Message
from inboxes import services as inbox_services
from tests.whatsapp.conftest import NUMBER, PHONE_NUMBER_ID, SECRET, payload, raw
from whatsapp import services, webhook
from whatsapp.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


class TestVerification:
    def test_the_right_token_gets_the_challenge_as_plain_text(self, webhook_url, channel):
        response = requests.get(
            f"{webhook_url}/{NUMBER}",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": channel.webhook_verify_token,
                "hub.challenge": "1158201444",
            },
            timeout=5,
        )
        assert response.status_code == 200
        assert response.text == "1158201444"
        assert response.headers["content-type"].startswith("text/plain")

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "wrong"},
            {"hub.mode": "unsubscribe", "hub.verify_token": None},
            {"hub.mode": "subscribe"},
        ],
    )
    def test_anything_else_is_403_and_never_reflects_the_challenge(
        self, webhook_url, channel, params
    ):
        params = {k: (channel.webhook_verify_token if v is None else v) for k, v in params.items()}
        response = requests.get(
            f"{webhook_url}/{NUMBER}",
            params={**params, "hub.challenge": "<script>alert(1)</script>"},
            timeout=5,
        )
        assert response.status_code == 403
        assert "script" not in response.text

    def test_the_number_may_be_written_without_the_plus(self, webhook_url, channel):
        response = requests.get(
            f"{webhook_url}/{NUMBER.lstrip('+')}",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": channel.webhook_verify_token,
                "hub.challenge": "42",
            },
            timeout=5,
        )
        assert (response.status_code, response.text) == (200, "42")


class TestSignature:
    def test_a_signed_delivery_is_stored_acknowledged_and_processed(self, post, channel):
        body = payload("text.json")
        response = post(body)
        assert (response.status_code, response.text) == (200, "OK")
        event = WebhookEvent.objects.get()
        assert bytes(event.body) == body  # the bytes as received
        assert event.inbox_id == channel.inbox_id
        assert event.headers["x-hub-signature-256"].startswith("sha256=")
        assert event.status == "processed"
        message = Message.objects.get(inbox=channel.inbox)
        assert message.content == "Does it come in another color?"

    def test_the_signature_is_over_the_raw_bytes(self, post, graph, account, admin):
        # reaction.json keeps the escaped emoji as Meta sent it: re-serialising would change
        # the bytes and the signature.
        services.whatsapp_inbox_create(
            account=account,
            actor=admin,
            name="Outro número",
            phone_number="+972123456789",
            phone_number_id="1122334455667",
            business_account_id="1234567890987654321",
            access_token="EAAG-other-token-0000",
            app_secret="another-app-secret-1",
        )
        body = raw("reaction.json")
        assert b"\\ud83d\\ude2e" in body
        response = post(body, number="+972123456789", secret="another-app-secret-1")
        assert response.status_code == 200
        assert WebhookEvent.objects.get().status == "processed"

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "sha1=" + hmac.new(SECRET.encode(), b"x", hashlib.sha1).hexdigest(),
            "sha256=not-hex",
            "sha256=" + "0" * 64,
            hmac.new(SECRET.encode(), b"x", hashlib.sha256).hexdigest(),  # no prefix
        ],
    )
    def test_missing_sha1_malformed_or_wrong_is_401_and_nothing_is_stored(
        self, post, channel, header
    ):
        body = payload("text.json")
        headers = {"X-Hub-Signature-256": header} if header else {}
        response = post(body, secret=None, headers=headers)
        assert response.status_code == 401
        assert not WebhookEvent.objects.exists()

    def test_another_secret_is_401(self, post, channel):
        response = post(payload("text.json"), secret="somebody-elses-secret")
        assert response.status_code == 401
        assert not WebhookEvent.objects.exists()


class TestAddressing:
    def test_an_unknown_number_is_404(self, post, channel):
        response = post(payload("text.json"), number="+5511999999999")
        assert response.status_code == 404
        assert not WebhookEvent.objects.exists()

    def test_an_unknown_number_is_logged_once_a_minute(self, post, channel, caplog, monkeypatch):
        monkeypatch.setattr(webhook, "_unknown_logged", {})  # forget earlier tests' numbers
        caplog.set_level(logging.WARNING, logger="whatsapp.webhook")
        for _ in range(3):  # a misconfigured app at Meta retrying: one line, not a flood
            assert post(payload("text.json"), number="+5511977776666").status_code == 404
        lines = [
            r
            for r in caplog.records
            if r.name == "whatsapp.webhook" and "unknown number" in r.message
        ]
        assert [r.getMessage() for r in lines] == [
            "WhatsApp webhook for an unknown number +5511977776666"
        ]
        assert lines[0].levelno == logging.WARNING
        assert not WebhookEvent.objects.exists()

    def test_a_body_over_3_mb_is_refused(self, post, channel):
        body = (
            b'{"object": "whatsapp_business_account", "entry": [], "pad": "'
            + b"x" * (3 * 1024 * 1024)
            + b'"}'
        )
        response = post(body)
        assert response.status_code == 413
        assert not WebhookEvent.objects.exists()

    def test_a_payload_for_another_phone_number_id_is_stored_rejected_and_not_processed(
        self, post, channel
    ):
        # Someone with this inbox's secret (or a misconfigured app) posts another number's
        # messages here: kept for the record, never turned into messages.
        response = post(payload("text.json", phone_number_id="999999999999"))
        assert response.status_code == 200
        event = WebhookEvent.objects.get()
        assert event.status == "rejected"
        assert "999999999999" in event.reason
        assert not Message.objects.exists()

    def test_a_deleted_inbox_stops_answering_at_once(self, post, channel, account, admin):
        assert post(payload("text.json", suffix=1)).status_code == 200  # cached now
        inbox_services.inbox_delete(account=account, actor=admin, inbox=channel.inbox)
        assert post(payload("text.json", suffix=2)).status_code == 404
        assert not WebhookEvent.objects.exists()

    def test_a_new_app_secret_is_used_at_once(self, post, channel, account, admin):
        assert post(payload("text.json", suffix=1)).status_code == 200  # cached now
        services.channel_update(
            account=account, actor=admin, channel=channel, app_secret="the-new-app-secret-99"
        )
        assert post(payload("text.json", suffix=2)).status_code == 401
        assert (
            post(payload("text.json", suffix=3), secret="the-new-app-secret-99").status_code == 200
        )

    def test_phone_number_id_of_the_fixtures_is_ours(self):
        assert PHONE_NUMBER_ID in raw("text.json").decode()


@contextmanager
def events_refused():
    """The database refuses every new event (as when its disk is full or it is read-only): a
    constraint no row meets, checked on new rows only; the webhook's INSERT really fails."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE whatsapp_webhookevent "
            "ADD CONSTRAINT test_refuse_every_event CHECK (false) NOT VALID"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE whatsapp_webhookevent DROP CONSTRAINT test_refuse_every_event"
            )


class TestNotStored:
    def test_a_delivery_that_cannot_be_stored_is_503_and_metas_retry_is_kept(
        self, post, channel, caplog
    ):
        body = payload("text.json")
        with events_refused():
            response = post(body)
            assert (response.status_code, response.text) == (503, "try again")
            assert "the delivery could not be stored; Meta will retry" in caplog.text
            assert not WebhookEvent.objects.exists()
            assert not Message.objects.exists()
        response = post(body)  # Meta delivers it again once the database takes it
        assert response.status_code == 200
        assert WebhookEvent.objects.get().status == "processed"
        assert Message.objects.get(inbox=channel.inbox).content == "Does it come in another color?"
