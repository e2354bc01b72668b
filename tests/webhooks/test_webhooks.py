"""The account's outbound webhooks (issue 11): Chatwoot's API, deliveries to a real local HTTP
receiver signed with the secret the API shows, retries with the same delivery id, the switch-off
after a day of failures (a controlled clock), private targets refused, the API channel's
`webhook_url`, and Configurações → Integrações → Webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail

from conversations import services as conversation_services
from inboxes.models import ChannelType, Inbox
from tests.busy import BOOSTED, assert_answered_in_place, assert_boosted, database_locked
from tests.factories import (
    AdminFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
)
from tests.webhooks.conftest import verifies
from webhooks import services as webhook_services
from webhooks import tasks
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def url(account, path: str = "") -> str:
    return f"/api/v1/accounts/{account.pk}/{path}"


@pytest.fixture
def conversation(account):
    return ConversationFactory(
        contact_inbox=ContactInboxFactory(inbox=InboxFactory(account=account))
    )


class TestAPI:
    def test_crud_in_chatwoots_shape(self, admin_api, account, receiver):
        created = admin_api.post(
            url(account, "webhooks"),
            {"webhook": {"url": receiver.url, "subscriptions": ["message_created"]}},
            format="json",
        )
        assert created.status_code == 200, created.json()
        hook = created.json()["payload"]["webhook"]
        assert hook["subscriptions"] == ["message_created"] and hook["secret"]
        assert hook["account_id"] == account.pk
        listed = admin_api.get(url(account, "webhooks")).json()["payload"]["webhooks"]
        assert [h["id"] for h in listed] == [hook["id"]]
        changed = admin_api.patch(
            url(account, f"webhooks/{hook['id']}"),
            {"subscriptions": ["message_created", "contact_created"], "name": "CRM"},
            format="json",
        ).json()["payload"]["webhook"]
        assert changed["subscriptions"] == ["message_created", "contact_created"]
        assert admin_api.delete(url(account, f"webhooks/{hook['id']}")).status_code == 200
        assert not Webhook.objects.exists()

    def test_bad_input_is_422(self, admin_api, account, settings):
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
        for body in (
            {"url": "ftp://example.com/x"},
            {"url": "http://127.0.0.1:9/x"},
            {"url": "http://10.0.0.5/x"},
            {"url": "https://example.com/x", "subscriptions": ["nope"]},
        ):
            response = admin_api.post(url(account, "webhooks"), body, format="json")
            assert response.status_code in (400, 422), body

    def test_agents_get_403_and_other_accounts_404(
        self, agent_api, outsider_api, admin_api, account, receiver
    ):
        hook = admin_api.post(
            url(account, "webhooks"), {"url": receiver.url}, format="json"
        ).json()["payload"]["webhook"]
        assert agent_api.get(url(account, "webhooks")).status_code == 403
        for method, path in (
            ("get", "webhooks"),
            ("post", "webhooks"),
            ("patch", f"webhooks/{hook['id']}"),
            ("delete", f"webhooks/{hook['id']}"),
        ):
            response = getattr(outsider_api, method)(url(account, path), {}, format="json")
            assert response.status_code == 404, (method, path)


class TestDelivery:
    def test_an_event_is_posted_signed_with_the_shown_secret(
        self, admin_api, account, admin, conversation, receiver, on_commit
    ):
        hook = admin_api.post(
            url(account, "webhooks"),
            {"url": receiver.url, "subscriptions": ["message_created"]},
            format="json",
        ).json()["payload"]["webhook"]
        with on_commit():
            conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá"
            )
        assert len(receiver.received) == 1
        request = receiver.received[0]
        assert verifies(hook["secret"], request)
        body = json.loads(request["body"])
        assert body["event"] == "message_created" and body["content"] == "Olá"
        assert body["conversation"]["contact_inbox"]["source_id"]
        log = WebhookDelivery.objects.get()
        assert (log.status_code, log.ok, log.event) == (200, True, "message_created")
        assert log.delivery_id == request["headers"]["X-Chatwoot-Delivery"]

    def test_unsubscribed_events_are_not_sent(
        self, admin_api, account, admin, conversation, receiver, on_commit
    ):
        admin_api.post(
            url(account, "webhooks"),
            {"url": receiver.url, "subscriptions": ["contact_created"]},
            format="json",
        )
        with on_commit():
            conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Olá"
            )
        assert receiver.received == []

    def test_retries_keep_the_delivery_id(self, account, receiver):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        receiver.fail = 1
        args = [hook.pk, "d-1", "message_created", {"event": "message_created"}]
        with pytest.raises(Retry):
            tasks.deliver.apply(args=args, retries=0, throw=True).get()
        assert tasks.deliver.apply(args=args, retries=1).get() == 200
        assert [r["headers"]["X-Chatwoot-Delivery"] for r in receiver.received] == ["d-1"] * 2
        log = list(WebhookDelivery.objects.order_by("pk").values_list("attempt", "status_code"))
        assert log == [(1, None), (2, 200)]

    def test_a_day_of_failures_switches_it_off_and_tells_the_administrators(
        self, account, admin, receiver, time_machine
    ):
        # Invited, not accepted: not in the account yet, so not told.
        AdminFactory(account=account, accepted_at=None)
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        receiver.fail = 100
        args = [hook.pk, "d-2", "message_created", {"event": "message_created"}]
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        time_machine.move_to(start, tick=False)
        tasks.deliver.apply(args=args, retries=tasks.MAX_RETRIES)
        hook.refresh_from_db()
        assert hook.active and hook.failing_since == start
        time_machine.move_to(start + timedelta(hours=23), tick=False)
        tasks.deliver.apply(args=args, retries=tasks.MAX_RETRIES)
        hook.refresh_from_db()
        assert hook.active
        time_machine.move_to(start + timedelta(hours=24, minutes=1), tick=False)
        tasks.deliver.apply(args=args, retries=tasks.MAX_RETRIES)
        hook.refresh_from_db()
        assert not hook.active and hook.switched_off_at is not None
        assert [m.to for m in mail.outbox] == [[admin.user.email]]
        sent = len(receiver.received)
        tasks.deliver.apply(args=args, retries=0)
        assert len(receiver.received) == sent  # switched off: nothing more is posted

    def test_a_success_clears_the_failures(self, account, receiver):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        receiver.fail = 1
        args = [hook.pk, "d-3", "message_created", {}]
        tasks.deliver.apply(args=args, retries=tasks.MAX_RETRIES)
        hook.refresh_from_db()
        assert hook.failing_since is not None
        tasks.deliver.apply(args=args, retries=0)
        hook.refresh_from_db()
        assert hook.failing_since is None

    def test_private_targets_are_refused_at_send(self, account, receiver, settings):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
        tasks.deliver.apply(args=[hook.pk, "d-4", "message_created", {}], retries=0)
        assert receiver.received == []
        assert "private" in WebhookDelivery.objects.get().error

    def test_the_log_keeps_the_last_50(self, account, receiver):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        for n in range(53):
            tasks.deliver.apply(args=[hook.pk, f"d-{n}", "message_created", {}], retries=0)
        assert WebhookDelivery.objects.filter(webhook=hook).count() == 50


class TestApiChannel:
    def test_webhook_url_posts_the_inboxs_events(
        self, admin_api, account, admin, receiver, on_commit
    ):
        created = admin_api.post(
            url(account, "inboxes/"),
            {"name": "Integração", "channel": {"type": "api", "webhook_url": receiver.url}},
            format="json",
        ).json()
        assert created["webhook_url"] == receiver.url
        secret = created["secret"]  # shown to the administrator who created it, as Chatwoot's
        assert secret
        inbox_id = created["id"]
        shown = admin_api.get(url(account, f"inboxes/{inbox_id}")).json()
        assert shown["secret"] == secret

        inbox = Inbox.objects.get(pk=inbox_id)
        conversation = ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox))
        other = ConversationFactory(
            contact_inbox=ContactInboxFactory(inbox=InboxFactory(account=account))
        )

        for target in (conversation, other):
            with on_commit():
                conversation_services.message_send(
                    account=account, actor=admin, conversation=target, content="Olá"
                )
        bodies = [json.loads(r["body"]) for r in receiver.received]
        assert bodies and {b["inbox_id"] for b in bodies} == {inbox.pk}
        assert all(verifies(secret, r) for r in receiver.received)
        cleared = admin_api.patch(
            url(account, f"inboxes/{inbox_id}"),
            {"channel": {"webhook_url": ""}},
            format="json",
        ).json()
        assert cleared["webhook_url"] is None

    def test_agents_do_not_see_the_secret(self, admin_api, agent_api, agent, account, receiver):
        created = admin_api.post(
            url(account, "inboxes/"),
            {"name": "Integração", "channel": {"type": "api", "webhook_url": receiver.url}},
            format="json",
        ).json()
        InboxMemberFactory(inbox=Inbox.objects.get(pk=created["id"]), account_user=agent)
        seen = agent_api.get(url(account, f"inboxes/{created['id']}")).json()
        assert seen["webhook_url"] == receiver.url and seen["secret"] is None
        listed = agent_api.get(url(account, "inboxes")).json()["payload"]
        assert [i["secret"] for i in listed] == [None]


class TestPage:
    def test_add_edit_see_secret_and_log_delete(self, login, admin, account, receiver):
        client = login(admin)
        base = f"/app/accounts/{account.pk}/settings/webhooks/"
        assert client.get(base).status_code == 200
        response = client.post(
            base + "new/",
            {"url": receiver.url, "name": "CRM", "subscriptions": ["message_created"]},
        )
        hook = Webhook.objects.get()
        assert response.status_code == 302
        page = client.get(base + f"{hook.pk}/").content.decode()
        assert hook.secret in page and "CRM" in page
        listing = client.get(base).content.decode()
        assert receiver.url in listing and f"delete-webhook-{hook.pk}" in listing
        assert client.post(base + f"{hook.pk}/delete/").status_code == 302
        assert not Webhook.objects.exists()

    def test_the_pages_speak_portuguese(self, login, admin, account):
        client = login(admin)  # the user's language is pt-BR
        base = f"/app/accounts/{account.pk}/settings/webhooks/"
        listing = client.get(base).content.decode()
        assert "Adicionar webhook" in listing and "Add webhook" not in listing
        assert "Nenhum webhook ainda" in listing
        assert "Integrações /" in listing and "Conversas /" not in listing
        form = client.get(base + "new/").content.decode()
        assert "<h1>Adicionar webhook</h1>" in form

    def test_bad_url_shows_the_error(self, login, admin, account, settings):
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
        client = login(admin)
        response = client.post(
            f"/app/accounts/{account.pk}/settings/webhooks/new/",
            {"url": "http://127.0.0.1/x", "subscriptions": ["message_created"]},
        )
        assert response.status_code == 422

    def test_another_account_gets_404_and_an_agent_is_refused(
        self, login, outsider, agent, account, receiver
    ):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        base = f"/app/accounts/{account.pk}/settings/webhooks/"
        assert login(outsider).get(base + f"{hook.pk}/").status_code == 404
        assert login(agent).get(base).status_code in (403, 404)


class TestBusyDatabase:
    """The webhook forms are boosted: a save the database cannot take keeps the page and what
    was typed, with the message in place, instead of a page that points to Back."""

    def test_the_forms_are_boosted(self, login, admin, account, receiver):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        inbox = InboxFactory(account=account)
        client = login(admin)
        base = f"/app/accounts/{account.pk}/settings/webhooks/"
        for page in (base, base + "new/", base + f"{hook.pk}/"):
            assert_boosted(client.get(page).content.decode(), base, count=1)
        # The API channel's own: its form (and "Switch on again" once switched off).
        Webhook.objects.create(
            account=account, inbox=inbox, url=receiver.url, subscriptions=["x"], active=False
        )
        tab = client.get(TestInboxPage.page(account, inbox)).content.decode()
        assert_boosted(tab, "/webhook/", count=2)

    def test_saving_and_deleting_are_answered_in_place(self, login, admin, account, receiver):
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        inbox = InboxFactory(account=account)
        client = login(admin)
        base = f"/app/accounts/{account.pk}/settings/webhooks/"
        client.get(base)  # the session's account, stored before the writes fail
        typed = {"url": receiver.url + "/novo", "name": "CRM", "subscriptions": ["message_created"]}
        with database_locked():
            assert_answered_in_place(client.post(base + "new/", typed, **BOOSTED))
            assert_answered_in_place(client.post(base + f"{hook.pk}/", typed, **BOOSTED))
            assert_answered_in_place(client.post(base + f"{hook.pk}/delete/", **BOOSTED))
            assert_answered_in_place(
                client.post(TestInboxPage.page(account, inbox), {"url": receiver.url}, **BOOSTED)
            )
        assert list(Webhook.objects.values_list("pk", "url", "name")) == [
            (hook.pk, receiver.url, "")
        ]


class TestInboxPage:
    """The API channel's webhook on its inbox: Configurações → Caixas de Entrada → the inbox →
    Webhook."""

    QUERIES = 8  # the page, whatever the length of the delivery log

    @staticmethod
    def page(account, inbox) -> str:
        return f"/app/accounts/{account.pk}/settings/inboxes/{inbox.pk}/webhook/"

    @pytest.fixture
    def api_inbox(self, account, admin, receiver):
        inbox = InboxFactory(account=account, name="Integração")
        webhook_services.channel_webhook_set(
            account=account, actor=admin, inbox=inbox, url=receiver.url
        )
        return inbox

    def test_shows_the_url_the_secret_and_the_deliveries(
        self, login, admin, account, api_inbox, receiver
    ):
        client = login(admin)
        settings_page = client.get(
            f"/app/accounts/{account.pk}/settings/inboxes/{api_inbox.pk}/"
        ).content.decode()
        assert f'href="{self.page(account, api_inbox)}"' in settings_page  # the inbox's tab
        hook = Webhook.objects.get(inbox=api_inbox)
        tasks.deliver.apply(args=[hook.pk, "d-inbox-1", "message_created", {}], retries=0)
        page = client.get(self.page(account, api_inbox)).content.decode()
        assert receiver.url in page and hook.secret in page
        assert 'data-delivery="d-inbox-1"' in page and "HTTP 200" in page
        assert "Segredo" in page and "Últimos envios" in page  # in the user's pt-BR
        assert "data-webhook-switched-off" not in page

    def test_the_log_costs_the_same_whatever_its_length(
        self, login, admin, account, api_inbox, django_assert_num_queries
    ):
        client = login(admin)
        hook = Webhook.objects.get(inbox=api_inbox)
        client.get(self.page(account, api_inbox))  # the session and the account, warm
        for n in (1, 20):
            for i in range(n):
                tasks.deliver.apply(args=[hook.pk, f"d-{n}-{i}", "message_created", {}])
            with django_assert_num_queries(self.QUERIES):
                assert client.get(self.page(account, api_inbox)).status_code == 200

    def test_set_change_and_clear_the_url(self, login, admin, account, receiver):
        inbox = InboxFactory(account=account)
        client = login(admin)
        page = client.get(self.page(account, inbox)).content.decode()
        assert "data-webhook-secret" not in page  # no webhook yet: no secret to show
        response = client.post(self.page(account, inbox), {"url": receiver.url})
        assert response.status_code == 302
        hook = Webhook.objects.get(inbox=inbox)
        assert hook.url == receiver.url and hook.subscriptions
        assert client.post(self.page(account, inbox), {"url": ""}).status_code == 302
        assert not Webhook.objects.filter(inbox=inbox).exists()

    def test_a_bad_url_shows_the_error(self, login, admin, account, settings):
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
        inbox = InboxFactory(account=account)
        response = login(admin).post(self.page(account, inbox), {"url": "http://10.0.0.1/x"})
        assert response.status_code == 422
        assert not Webhook.objects.filter(inbox=inbox).exists()

    def test_switch_on_again(self, login, admin, account, api_inbox, time_machine):
        hook = Webhook.objects.get(inbox=api_inbox)
        Webhook.objects.filter(pk=hook.pk).update(
            active=False,
            failing_since=datetime(2026, 12, 1, tzinfo=UTC),
            switched_off_at=datetime(2026, 12, 2, tzinfo=UTC),
        )
        client = login(admin)
        page = client.get(self.page(account, api_inbox)).content.decode()
        assert "data-webhook-switched-off" in page and "Ligar novamente" in page
        response = client.post(self.page(account, api_inbox), {"reactivate": "1"})
        assert response.status_code == 302
        hook.refresh_from_db()
        assert hook.active and hook.failing_since is None and hook.switched_off_at is None
        assert (
            "data-webhook-switched-off"
            not in client.get(self.page(account, api_inbox)).content.decode()
        )

    def test_another_account_gets_404_and_an_agent_is_refused(
        self, login, outsider, agent, account, api_inbox
    ):
        page = self.page(account, api_inbox)
        outsider_client = login(outsider)
        assert outsider_client.get(page).status_code == 404
        assert outsider_client.post(page, {"url": "https://example.com/x"}).status_code == 404
        assert outsider_client.post(page, {"reactivate": "1"}).status_code == 404
        assert login(agent).get(page).status_code in (403, 404)
        assert Webhook.objects.get(inbox=api_inbox).url != "https://example.com/x"

    def test_only_api_inboxes_have_it(self, login, admin, account):
        inbox = InboxFactory(account=account, channel_type=ChannelType.WHATSAPP_CLOUD)
        client = login(admin)
        assert client.get(self.page(account, inbox)).status_code == 404
        settings_page = client.get(
            f"/app/accounts/{account.pk}/settings/inboxes/{inbox.pk}/"
        ).content.decode()
        assert self.page(account, inbox) not in settings_page


class TestSwitchOffEmail:
    def _switch_off(self, hook, time_machine):
        args = [hook.pk, "d-off", "message_created", {"event": "message_created"}]
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        for at in (start, start + timedelta(hours=24, minutes=1)):
            time_machine.move_to(at, tick=False)
            tasks.deliver.apply(args=args, retries=tasks.MAX_RETRIES)
        hook.refresh_from_db()
        assert not hook.active

    def test_an_inbox_webhook_links_to_its_inbox_page(
        self, account, admin, receiver, time_machine, settings
    ):
        settings.SITE_URL = "https://nexloo.example.com"
        inbox = InboxFactory(account=account, name="Integração ERP")
        hook = webhook_services.channel_webhook_set(
            account=account, actor=admin, inbox=inbox, url=receiver.url
        )
        receiver.fail = 100
        self._switch_off(hook, time_machine)
        (message,) = mail.outbox
        link = f"https://nexloo.example.com{TestInboxPage.page(account, inbox)}"
        assert link in message.body and "Integração ERP" in message.body
        assert "/settings/webhooks/" not in message.body

    def test_an_account_webhook_links_to_its_page(
        self, account, admin, receiver, time_machine, settings
    ):
        settings.SITE_URL = "https://nexloo.example.com"
        hook = Webhook.objects.create(account=account, url=receiver.url, subscriptions=["x"])
        receiver.fail = 100
        self._switch_off(hook, time_machine)
        (message,) = mail.outbox
        assert (
            f"https://nexloo.example.com/app/accounts/{account.pk}/settings/webhooks/{hook.pk}/"
            in message.body
        )
