"""Configurações → Caixas de Entrada → Adicionar → WhatsApp, the inbox's WhatsApp tab (callback
URL, verify token, Testar conexão, templates), and the composer's 24-hour window."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services as conversation_services
from conversations.models import Message
from tests.busy import BOOSTED, assert_answered_in_place, assert_boosted, database_locked
from tests.factories import AccountUserFactory, InboxMemberFactory
from tests.whatsapp.conftest import NUMBER, PHONE_NUMBER_ID, SECRET, TOKEN, payload
from tests.whatsapp.test_sending import TEMPLATES
from whatsapp import services
from whatsapp.models import WhatsAppChannel

pytestmark = pytest.mark.django_db


def new_url(account):
    return f"/app/accounts/{account.pk}/settings/inboxes/new/whatsapp/"


def tab_url(account, inbox):
    return f"/app/accounts/{account.pk}/settings/inboxes/{inbox.pk}/whatsapp/"


FORM = {
    "name": "WhatsApp Vendas",
    "phone_number": "+55 11 94000-0002",
    "phone_number_id": "200000000000002",
    "business_account_id": "300000000000003",
    "access_token": "EAAG-a-brand-new-token-abcd",
    "app_secret": "a-brand-new-app-secret-wxyz",
    "timezone": "America/Sao_Paulo",
}


class TestConnecting:
    def test_the_new_inbox_page_offers_whatsapp(self, login, admin, account):
        html = login(admin).get(f"/app/accounts/{account.pk}/settings/inboxes/new/").content
        assert new_url(account).encode() in html
        assert "Conecte um número do WhatsApp Business" in html.decode()

    def test_connecting_a_number_shows_what_to_paste_into_meta(self, login, admin, account):
        client = login(admin)
        response = client.post(new_url(account), FORM)
        channel = WhatsAppChannel.objects.get(account=account)
        assert response.status_code == 302
        assert response["Location"] == tab_url(account, channel.inbox)
        assert channel.phone_number == "+5511940000002"
        assert channel.inbox.channel_type == "whatsapp_cloud"
        # At rest the secrets are encrypted; they read back only through the key.
        assert FORM["access_token"] not in channel.access_token_encrypted
        assert channel.access_token == FORM["access_token"]
        html = client.get(response["Location"]).content.decode()
        assert "http://testserver/webhooks/whatsapp/+5511940000002" in html
        assert channel.webhook_verify_token in html
        assert "Testar conexão" in html
        # Never shown back in full: the last four characters at most.
        assert FORM["access_token"] not in html and FORM["app_secret"] not in html
        assert "••••abcd" in html and "••••wxyz" in html

    def test_errors_are_shown_next_to_the_fields(self, login, admin, account):
        response = login(admin).post(
            new_url(account), {**FORM, "phone_number": "abc", "phone_number_id": "x"}
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "Informe o número do WhatsApp com o código do país" in html
        assert "Informe o ID mostrado nas configurações do WhatsApp" in html
        assert not WhatsAppChannel.objects.exists()

    def test_a_number_already_connected_is_refused(self, login, admin, account, channel):
        response = login(admin).post(new_url(account), {**FORM, "phone_number": NUMBER})
        assert response.status_code == 422
        assert "Este número já está conectado a uma caixa de entrada." in response.content.decode()

    def test_agents_may_not_and_other_accounts_see_nothing(
        self, login, account, channel, outsider, other_account
    ):
        agent = AccountUserFactory(account=account)
        InboxMemberFactory(inbox=channel.inbox, account_user=agent)
        assert login(agent).get(new_url(account)).status_code == 403
        assert login(agent).get(tab_url(account, channel.inbox)).status_code == 403
        client = login(outsider)
        assert client.get(tab_url(account, channel.inbox)).status_code == 404
        assert client.get(tab_url(other_account, channel.inbox)).status_code == 404

    def test_empty_secrets_keep_the_stored_ones(self, login, admin, account, channel):
        response = login(admin).post(
            tab_url(account, channel.inbox),
            {
                "action": "update",
                "phone_number": NUMBER,
                "phone_number_id": PHONE_NUMBER_ID,
                "business_account_id": "999",
                "access_token": "",
                "app_secret": "",
            },
        )
        assert response.status_code == 302
        channel.refresh_from_db()
        assert (channel.business_account_id, channel.access_token, channel.app_secret) == (
            "999",
            TOKEN,
            SECRET,
        )


class TestBusyDatabase:
    """The forms are boosted: a save the database cannot take keeps the page and what was typed,
    with the message in place, instead of a page that points to Back."""

    def test_the_forms_are_boosted(self, login, admin, account, channel):
        client = login(admin)
        assert_boosted(client.get(new_url(account)).content.decode(), "/whatsapp/", count=1)
        tab = client.get(tab_url(account, channel.inbox)).content.decode()
        # Testar conexão, the number's form and Sincronizar modelos.
        assert_boosted(tab, "/whatsapp/", count=3)

    def test_connecting_a_number_is_answered_in_place(self, login, admin, account):
        client = login(admin)
        client.get(new_url(account))  # the session's account, stored before the writes fail
        with database_locked():
            assert_answered_in_place(client.post(new_url(account), FORM, **BOOSTED))
        assert not WhatsAppChannel.objects.exists()

    def test_saving_testing_and_syncing_are_answered_in_place(
        self, graph, login, admin, account, channel
    ):
        graph.templates = TEMPLATES
        client = login(admin)
        page = tab_url(account, channel.inbox)
        client.get(page)
        update = {
            "action": "update",
            "phone_number": NUMBER,
            "phone_number_id": PHONE_NUMBER_ID,
            "business_account_id": "999",
            "access_token": "EAAG-typed-but-not-saved",
            "app_secret": "",
        }
        with database_locked():
            assert_answered_in_place(client.post(page, update, **BOOSTED))
            for action in ("test", "sync_templates"):
                assert_answered_in_place(client.post(page, {"action": action}, **BOOSTED))
        channel.refresh_from_db()
        assert (channel.business_account_id, channel.access_token) == ("102290129340398", TOKEN)
        assert not channel.templates_synced_at


class TestConnectionTest:
    def test_it_reports_the_number_in_portuguese(self, graph, login, admin, account, channel):
        html = login(admin).post(tab_url(account, channel.inbox), {"action": "test"}).content
        assert "Conectado: Nexloo Demo, +55 11 4000-0000 (qualidade: alta)." in html.decode()
        assert graph.requests[-1].path == f"/v21.0/{PHONE_NUMBER_ID}"

    def test_a_refused_token_is_explained(self, graph, login, admin, account, channel):
        graph.token = "another"
        html = login(admin).post(tab_url(account, channel.inbox), {"action": "test"}).content
        assert "A conexão falhou: O WhatsApp recusou o token de acesso" in html.decode()

    def test_meta_unreachable_is_explained(self, settings, login, admin, account, channel):
        settings.WHATSAPP_GRAPH_URL = "http://127.0.0.1:9"
        html = login(admin).post(tab_url(account, channel.inbox), {"action": "test"}).content
        assert "A conexão falhou: Não foi possível falar com o WhatsApp." in html.decode()

    def test_templates_are_synced_on_demand(self, graph, login, admin, account, channel):
        graph.templates = TEMPLATES
        client = login(admin)
        client.post(tab_url(account, channel.inbox), {"action": "sync_templates"})
        html = client.get(tab_url(account, channel.inbox)).content.decode()
        assert 'data-template="retomar_atendimento"' in html
        assert "Aprovado" in html


class TestComposerWindow:
    @pytest.fixture
    def conversation(self, process, inbox, graph, channel):
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        process(payload("text.json", timestamp=int(time.time()) - 60))
        return Message.objects.get(inbox=inbox, message_type="incoming").conversation

    def pane(self, client, account, conversation):
        url = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_pane/"
        return client.get(url).content.decode()

    def test_within_24_hours_free_text_and_templates_are_offered(
        self, login, admin, account, conversation
    ):
        html = self.pane(login(admin), account, conversation)
        assert 'data-can-reply="true"' in html
        assert "Mais de 24 horas" not in html
        assert 'data-template="retomar_atendimento"' in html
        assert 'data-template="promocao"' not in html  # rejected templates are not offered

    def test_after_24_hours_the_composer_says_so_and_sends_the_template(
        self, login, admin, account, conversation, graph, django_capture_on_commit_callbacks
    ):
        client = login(admin)
        with time_machine.travel(conversation.last_incoming_at + timedelta(hours=25), tick=False):
            html = self.pane(client, account, conversation)
            assert 'data-can-reply="false"' in html
            assert "Mais de 24 horas desde a última mensagem do cliente" in html
            assert "Parâmetro 1" in html and "Parâmetro 2" in html
            url = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/reply/"
            refused = client.post(url, {"content": "Oi?"}, HTTP_HX_REQUEST="true")
            assert refused.status_code == 422
            assert "agora só é possível enviar um modelo aprovado" in refused.content.decode()
            with django_capture_on_commit_callbacks(execute=True):
                sent = client.post(
                    url,
                    {
                        "template_name": "retomar_atendimento",
                        "template_language": "pt_BR",
                        "param_1": "Sheena",
                        "param_2": "as cores",
                    },
                    HTTP_HX_REQUEST="true",
                )
        assert sent.status_code == 200
        assert (
            "Olá Sheena! Podemos continuar o atendimento sobre as cores?" in sent.content.decode()
        )
        assert graph.sent[-1]["template"]["name"] == "retomar_atendimento"

    def test_a_nul_character_typed_in_the_composer_is_refused(
        self, login, admin, account, conversation, graph
    ):
        client = login(admin)
        url = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/reply/"
        with time_machine.travel(conversation.last_incoming_at + timedelta(hours=25), tick=False):
            refused = client.post(
                url,
                {
                    "template_name": "retomar_atendimento",
                    "template_language": "pt_BR",
                    "param_1": "She\x00ena",
                    "param_2": "as cores",
                },
                HTTP_HX_REQUEST="true",
            )
        assert refused.status_code == 422
        assert "{{1}}: não pode conter caracteres NUL." in refused.content.decode()
        refused = client.post(url, {"content": "Oi\x00"}, HTTP_HX_REQUEST="true")
        assert refused.status_code == 422
        assert not Message.objects.filter(message_type="outgoing").exists()
        assert graph.sent == []

    def test_the_pane_of_a_whatsapp_conversation_takes_a_fixed_number_of_queries(
        self, login, admin, account, conversation, process, django_assert_num_queries
    ):
        client = login(admin)
        self.pane(client, account, conversation)
        with django_assert_num_queries(14):
            self.pane(client, account, conversation)
        for n, name in enumerate(["image.json", "location.json", "contacts.json"]):
            process(payload(name, wa_id="16505551234", suffix=n))
        with django_assert_num_queries(14):  # templates, reactions, media: no query per row
            self.pane(client, account, conversation)


def workspace_url(account):
    return f"/app/accounts/{account.pk}/conversations/"


def inboxes_url(account):
    return f"/app/accounts/{account.pk}/settings/inboxes/"


class TestARefusedToken:
    """Meta refuses the number's access token (190): the administrators are told — a banner on
    every page while it lasts, and one e-mail when it starts."""

    @pytest.fixture
    def incoming(self, process, inbox):
        process(payload("text.json", timestamp=int(time.time()) - 60))
        return Message.objects.get(inbox=inbox, message_type="incoming")

    def reply(self, account, admin, incoming, on_commit, text="Temos sim."):
        with on_commit():
            return conversation_services.message_send(
                account=account, actor=admin, conversation=incoming.conversation, content=text
            )

    def test_administrators_see_a_banner_on_the_workspace_and_in_settings(
        self, graph, channel, account, admin, sofia, incoming, login, on_commit
    ):
        client = login(admin)
        assert "data-whatsapp-auth-alert" not in client.get(workspace_url(account)).content.decode()
        graph.token = "a-token-meta-no-longer-knows"
        self.reply(account, admin, incoming, on_commit)
        for page in (workspace_url(account), inboxes_url(account)):
            html = client.get(page).content.decode()
            assert f'data-whatsapp-auth-alert="{channel.inbox_id}"' in html
            assert "O WhatsApp recusou o token de acesso de WhatsApp Atendimento" in html
            assert f'href="{tab_url(account, channel.inbox)}"' in html
        # The agents cannot do anything about it: no banner for them.
        sofia_html = login(sofia).get(workspace_url(account)).content.decode()
        assert "data-whatsapp-auth-alert" not in sofia_html

    def test_a_new_token_takes_the_banner_away(
        self, graph, channel, account, admin, incoming, login, on_commit
    ):
        graph.token = "a-token-meta-no-longer-knows"
        self.reply(account, admin, incoming, on_commit)
        client = login(admin)
        assert "data-whatsapp-auth-alert" in client.get(inboxes_url(account)).content.decode()
        with on_commit():
            response = client.post(
                tab_url(account, channel.inbox),
                {
                    "action": "update",
                    "phone_number": NUMBER,
                    "phone_number_id": PHONE_NUMBER_ID,
                    "business_account_id": channel.business_account_id,
                    "access_token": "a-token-meta-no-longer-knows",
                    "app_secret": "",
                },
            )
        assert response.status_code == 302
        assert "data-whatsapp-auth-alert" not in client.get(inboxes_url(account)).content.decode()

    def test_the_administrators_get_one_e_mail_when_it_starts(
        self, graph, channel, account, admin, sofia, incoming, on_commit
    ):
        other_admin = AccountUserFactory(account=account, role="administrator")
        graph.token = "a-token-meta-no-longer-knows"
        self.reply(account, admin, incoming, on_commit)
        self.reply(account, admin, incoming, on_commit, text="Ainda aí?")  # fails the same way
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert sorted(email.to) == sorted([admin.user.email, other_admin.user.email])
        assert sofia.user.email not in email.to
        assert email.subject == "O WhatsApp recusou o token de acesso de WhatsApp Atendimento"
        assert "O WhatsApp recusou o token de acesso (expirado ou revogado)" in email.body
        assert f"http://testserver{tab_url(account, channel.inbox)}" in email.body
        # A new token, and later it is refused again: that is news again.
        services.channel_update(
            account=account, actor=admin, channel=channel, access_token="EAAG-renewed-0000-1111"
        )
        self.reply(account, admin, incoming, on_commit, text="E agora?")
        assert len(mail.outbox) == 2

    def test_the_banner_costs_no_query_once_read(
        self, graph, channel, account, admin, incoming, login, on_commit
    ):
        graph.token = "a-token-meta-no-longer-knows"
        self.reply(account, admin, incoming, on_commit)
        client = login(admin)
        client.get(inboxes_url(account))
        with CaptureQueriesContext(connection) as captured:
            html = client.get(inboxes_url(account)).content.decode()
        assert "data-whatsapp-auth-alert" in html
        assert not [q for q in captured.captured_queries if "whatsapp_whatsappchannel" in q["sql"]]


class TestWindowClosedFailure:
    """WhatsApp refused a reply because the 24 hours had passed (131047): the failed message
    offers "Enviar modelo", which opens the composer's template picker."""

    @pytest.fixture
    def conversation(self, process, inbox, graph, channel):
        graph.templates = TEMPLATES
        services.templates_sync(channel_id=channel.pk)
        process(payload("text.json", timestamp=int(time.time()) - 60))
        return Message.objects.get(inbox=inbox, message_type="incoming").conversation

    def failed_reply(self, graph, account, admin, conversation, on_commit, code):
        graph.fail_next(code=code, title="Meta's title", path="/messages")
        with on_commit():
            message = conversation_services.message_send(
                account=account, actor=admin, conversation=conversation, content="Oi?"
            )
        message.refresh_from_db()
        assert message.status == "failed"
        return message

    def pane(self, client, account, conversation):
        url = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_pane/"
        return client.get(url).content.decode()

    def test_the_failed_message_offers_the_template_picker(
        self, graph, account, admin, conversation, login, on_commit
    ):
        message = self.failed_reply(graph, account, admin, conversation, on_commit, 131047)
        html = self.pane(login(admin), account, conversation)
        start = html.index(f'data-message="{message.pk}"')
        bubble = html[start : html.index('class="msg-meta"', start)]
        assert "Mais de 24 horas desde a última mensagem do cliente" in bubble
        picker = f"#templates-{conversation.display_id}"
        assert f'<a class="btn btn-sm" href="{picker}" data-open-templates>Enviar modelo</a>' in (
            bubble
        )
        # What it opens: the approved templates, with their parameters.
        assert f'<details class="templates" id="templates-{conversation.display_id}"' in html
        assert 'data-template="retomar_atendimento"' in html
        # The thread refreshed on its own (a status or a new message) offers it too.
        url = f"/app/accounts/{account.pk}/conversations/{conversation.display_id}/_messages/"
        assert "data-open-templates" in login(admin).get(url).content.decode()

    def test_other_failures_do_not(self, graph, account, admin, conversation, login, on_commit):
        self.failed_reply(graph, account, admin, conversation, on_commit, 131026)
        html = self.pane(login(admin), account, conversation)
        assert "não conseguiu entregar" in html
        assert "data-open-templates" not in html

    def test_without_templates_it_says_how_to_get_them(
        self, graph, channel, account, admin, conversation, login, on_commit
    ):
        channel.templates.all().delete()
        self.failed_reply(graph, account, admin, conversation, on_commit, 131047)
        html = self.pane(login(admin), account, conversation)
        assert "data-open-templates" in html
        # The window looks open to Nexloo, so the hint waits, hidden, for the click.
        assert f'<p class="muted small" id="templates-{conversation.display_id}" hidden>' in html
        assert "Este número ainda não tem modelo aprovado" in html
