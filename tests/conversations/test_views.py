"""The agents' workspace pages (pt-BR), the action endpoints behind its buttons, Contatos and
Respostas prontas."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from conversations import services
from conversations.models import CannedResponse, Contact, Conversation, Label, Message
from tests.factories import (
    AccountUserFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
    MessageFactory,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def url(name, account, *args):
    return reverse(f"conversations:{name}", args=[account.pk, *args])


@pytest.fixture
def setup(account, admin, agent, inbox, member, team_factory):
    """Sofia (agent) works in `inbox`; Otto works in another inbox of the same account."""
    InboxMemberFactory(inbox=inbox, account_user=agent)
    other_inbox = InboxFactory(account=account, name="Outra caixa")
    otto = AccountUserFactory(account=account, user__name="Otto")
    InboxMemberFactory(inbox=other_inbox, account_user=otto)
    mine = services.conversation_open_for(
        contact_inbox=ContactInboxFactory(inbox=inbox, contact__name="Mariana")
    ).conversation
    services.message_receive(
        conversation=mine, incoming=services.IncomingMessage(content="Olá, quero um orçamento")
    )
    services.conversation_assign_agent(
        account=account, actor=None, conversation=mine, assignee=agent
    )
    hidden = ConversationFactory(
        contact_inbox=ContactInboxFactory(inbox=other_inbox, contact__name="Segredo")
    )
    return {
        "mine": mine,
        "hidden": hidden,
        "otto": otto,
        "other_inbox": other_inbox,
        "sales": team_factory("Comercial"),
    }


class TestWorkspace:
    def test_portuguese_three_panes(self, login, account, agent, setup):
        html = login(agent).get(url("workspace", account)).content.decode()
        for label in ("Minhas", "Não atribuídas", "Todas", "Conversas", "Caixas de Entrada"):
            assert label in html
        assert "Mariana" in html and "Olá, quero um orçamento" in html
        assert "Segredo" not in html

    def test_agent_defaults_to_mine_and_admin_to_all(self, login, account, admin, agent, setup):
        assert (
            'data-filter="me" aria-current'
            not in login(admin).get(url("workspace", account)).content.decode()
        )
        html = login(agent).get(url("workspace", account)).content.decode()
        assert re.search(r'aria-current="page" data-filter="me"', html)

    def test_open_conversation_shows_thread_and_actions(self, login, account, agent, setup):
        html = (
            login(agent)
            .get(url("conversation", account, setup["mine"].display_id))
            .content.decode()
        )
        assert "Olá, quero um orçamento" in html
        for label in ("Encaminhar", "Resolver", "Responder", "Nota privada", "Enviar"):
            assert label in html
        assert "Conversa atribuída a Sofia Secretária por Automação" in html

    def test_another_inbox_conversation_by_url_is_404(self, login, account, agent, setup):
        client = login(agent)
        hidden = setup["hidden"].display_id
        for name in ("conversation", "pane", "messages"):
            assert client.get(url(name, account, hidden)).status_code == 404
        for name in ("reply", "assign", "forward", "status", "read"):
            assert (
                client.post(
                    url(name, account, hidden), {"content": "x", "status": "resolved"}
                ).status_code
                == 404
            )
        assert not Message.objects.filter(conversation=setup["hidden"], content="x").exists()

    def test_other_account_is_404(self, login, account, outsider, setup):
        client = login(outsider)
        assert client.get(url("workspace", account)).status_code == 404
        assert client.get(url("conversation", account, setup["mine"].display_id)).status_code == 404

    def test_list_query_count_is_constant(
        self, login, account, admin, inbox, django_assert_num_queries
    ):
        client = login(admin)
        list_url = url("list", account) + "?assignee_type=all"

        def add(n):
            for _ in range(n):
                conversation = ConversationFactory(
                    contact_inbox=ContactInboxFactory(inbox=inbox), assignee=admin
                )
                MessageFactory.create_batch(2, conversation=conversation)
                services.conversation_labels_set(
                    account=account, actor=None, conversation=conversation, titles=["vip"]
                )

        add(2)
        client.get(list_url)
        with django_assert_num_queries(6):
            client.get(list_url)
        add(20)
        with django_assert_num_queries(6):
            html = client.get(list_url).content.decode()
        assert html.count("data-conversation=") == 22

    def test_filters_and_search(self, login, account, admin, setup):
        client = login(admin)
        html = client.get(
            url("list", account), {"assignee_type": "all", "q": "Mariana"}
        ).content.decode()
        assert "Mariana" in html and "Segredo" not in html
        html = client.get(url("list", account), {"assignee_type": "unassigned"}).content.decode()
        assert "Segredo" in html and "Mariana" not in html
        html = client.get(
            url("list", account), {"assignee_type": "all", "inbox_id": setup["other_inbox"].pk}
        ).content.decode()
        assert "Segredo" in html and "Mariana" not in html
        html = client.get(
            url("list", account), {"assignee_type": "all", "status": "resolved"}
        ).content.decode()
        assert "Nenhuma conversa aqui." in html


class TestActions:
    def test_reply_and_private_note(self, login, account, agent, setup, on_commit):
        client = login(agent)
        mine = setup["mine"]
        with on_commit():  # delivery runs after the commit
            response = client.post(
                url("reply", account, mine.display_id), {"content": "Bom dia! Já vejo isso."}, **HX
            )
        assert response.status_code == 200 and "Bom dia! Já vejo isso." in response.content.decode()
        client.post(
            url("reply", account, mine.display_id),
            {"content": "Cliente VIP", "private": "on"},
            **HX,
        )
        reply = Message.objects.get(conversation=mine, content="Bom dia! Já vejo isso.")
        note = Message.objects.get(conversation=mine, content="Cliente VIP")
        assert (reply.private, reply.status, reply.sender_user) == (False, "sent", agent.user)
        assert note.private and note.status == "sent"

    def test_empty_reply_is_refused(self, login, account, agent, setup):
        response = login(agent).post(
            url("reply", account, setup["mine"].display_id), {"content": "  "}, **HX
        )
        assert response.status_code == 422
        assert "Escreva uma mensagem ou anexe um arquivo." in response.content.decode()

    def test_reply_with_attachment(self, login, account, agent, setup, settings, tmp_path):
        from django.core.files.uploadedfile import SimpleUploadedFile

        settings.MEDIA_ROOT = tmp_path
        upload = SimpleUploadedFile(
            "orcamento.pdf", b"%PDF-1.4 demo", content_type="application/pdf"
        )
        response = login(agent).post(
            url("reply", account, setup["mine"].display_id),
            {"content": "", "attachments": upload},
            **HX,
        )
        assert response.status_code == 200
        message = Message.objects.filter(
            conversation=setup["mine"], message_type="outgoing"
        ).latest("pk")
        attachment = message.attachments.get()
        assert (attachment.file_name, attachment.file_type, attachment.file_size) == (
            "orcamento.pdf",
            "file",
            13,
        )

    def test_forward_to_team_with_note(self, login, account, agent, setup, member):
        carla = member("Carla", setup["sales"])
        response = login(agent).post(
            url("forward", account, setup["mine"].display_id),
            {"team": setup["sales"].pk, "assignee": "", "note": "Quer 20 unidades"},
            **HX,
        )
        assert response.status_code == 200
        conversation = Conversation.objects.get(pk=setup["mine"].pk)
        assert (conversation.team, conversation.assignee) == (setup["sales"], carla)
        assert (
            Message.objects.get(conversation=conversation, private=True).content
            == "Quer 20 unidades"
        )

    def test_forward_needs_a_destination(self, login, account, agent, setup):
        response = login(agent).post(
            url("forward", account, setup["mine"].display_id),
            {"team": "", "assignee": "", "note": ""},
            **HX,
        )
        assert response.status_code == 422
        assert "Escolha um time ou um agente para encaminhar." in response.content.decode()

    def test_forward_error_is_rendered_in_the_open_dialog(self, login, account, agent, setup):
        """A 422 is the pane re-rendered with the dialog open and the error in it (app.js
        swaps 400/422 answers of every htmx form)."""
        outside = AccountUserFactory(account=account, user__name="Paulo Fora do Time")
        InboxMemberFactory(inbox=setup["mine"].inbox, account_user=outside)
        response = login(agent).post(
            url("forward", account, setup["mine"].display_id),
            {"team": setup["sales"].pk, "assignee": outside.pk, "note": "Veja isto"},
            **HX,
        )
        assert response.status_code == 422
        html = response.content.decode()
        dialog = re.search(r'<dialog id="forward-dialog".*?</dialog>', html, re.S).group(0)
        assert "data-open-on-load" in dialog
        assert "Este agente não faz parte do time escolhido." in dialog
        assert "Veja isto" in dialog  # what was typed is kept
        assert Conversation.objects.get(pk=setup["mine"].pk).team is None

    def test_forward_agent_list_follows_the_team(
        self, login, account, agent, setup, member, django_assert_num_queries
    ):
        carla = member("Carla Comercial", setup["sales"])
        member("Paulo Fora do Time")
        client = login(agent)
        pane = client.get(url("pane", account, setup["mine"].display_id), **HX).content.decode()
        agents_url = url("forward_agents", account, setup["mine"].display_id)
        assert f'hx-get="{agents_url}"' in pane and 'hx-target="#id_assignee"' in pane
        everyone = client.get(agents_url, **HX).content.decode()
        assert "Paulo Fora do Time" in everyone and "Carla Comercial" in everyone
        narrowed = client.get(agents_url, {"team": setup["sales"].pk}, **HX).content.decode()
        assert narrowed.lstrip().startswith('<select name="assignee"')
        assert f'value="{carla.pk}"' in narrowed
        assert "Paulo Fora do Time" not in narrowed and "Sofia" not in narrowed
        for more in range(2):  # the count does not grow with the team
            with django_assert_num_queries(7):
                client.get(agents_url, {"team": setup["sales"].pk}, **HX)
            member(f"Comercial {more}", setup["sales"])

    @pytest.mark.parametrize("team", ["abc", "99999999999999999999", "0", "\u2460"])
    def test_forward_agent_list_refuses_an_unreadable_team_with_400(
        self, login, account, agent, setup, team
    ):
        client = login(agent)
        agents_url = url("forward_agents", account, setup["mine"].display_id)
        response = client.get(agents_url, {"team": team}, **HX)
        assert response.status_code == 400
        assert response.content.decode().startswith("team: ")
        # "Keep the current team" sends it empty: everyone who may be given the conversation.
        everyone = client.get(agents_url, {"team": ""}, **HX)
        assert everyone.status_code == 200 and "Sofia" in everyone.content.decode()

    def test_forward_agent_list_of_a_hidden_conversation_is_404(
        self, login, account, agent, outsider, setup
    ):
        hidden = url("forward_agents", account, setup["hidden"].display_id)
        assert login(agent).get(hidden).status_code == 404
        mine = url("forward_agents", account, setup["mine"].display_id)
        assert login(outsider).get(mine).status_code == 404

    def test_assign_resolve_reopen_priority_labels(self, login, account, agent, admin, setup):
        client = login(agent)
        mine = setup["mine"]
        client.post(url("assign", account, mine.display_id), {"assignee": admin.pk}, **HX)
        client.post(url("status", account, mine.display_id), {"status": "resolved"}, **HX)
        mine.refresh_from_db()
        assert (mine.assignee, mine.status) == (admin, "resolved")
        client.post(url("status", account, mine.display_id), {"status": "open"}, **HX)
        client.post(url("priority", account, mine.display_id), {"priority": "urgent"}, **HX)
        client.post(url("labels", account, mine.display_id), {"new_label": "Orçamento"}, **HX)
        mine.refresh_from_db()
        assert (mine.status, mine.priority) == ("open", "urgent")
        assert [label.title for label in mine.labels.all()] == ["orçamento"]

    def test_snooze_until_tomorrow_in_the_account_time_zone(self, login, account, agent, setup):
        with time_machine.travel(
            datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("America/Sao_Paulo")), tick=False
        ):
            login(agent).post(
                url("snooze", account, setup["mine"].display_id), {"option": "tomorrow"}, **HX
            )
        mine = Conversation.objects.get(pk=setup["mine"].pk)
        assert mine.status == "snoozed"
        assert mine.snoozed_until == datetime(
            2026, 11, 26, 9, 0, tzinfo=ZoneInfo("America/Sao_Paulo")
        )

    def test_snooze_until_a_day_and_a_24_hour_time(self, login, account, agent, setup):
        client = login(agent)
        conversation = url("snooze", account, setup["mine"].display_id)
        with time_machine.travel(
            datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("America/Sao_Paulo")), tick=False
        ):
            html = client.get(url("conversation", account, setup["mine"].display_id))
            html = html.content.decode()
            # A date field and a text field for the time: 24 hours whatever the browser's locale.
            assert re.search(r'<input type="date" name="until_date"[^>]*>', html)
            time_input = re.search(r'<input type="text" name="until_time"[^>]*>', html).group(0)
            assert 'placeholder="HH:MM"' in time_input and 'inputmode="numeric"' in time_input
            refused = client.post(
                conversation,
                {"option": "custom", "until_date": "2026-11-27", "until_time": "6:30 PM"},
                **HX,
            )
            assert refused.status_code == 422
            assert "Digite o horário como HH:MM, em 24 horas" in refused.content.decode()
            assert 'value="6:30 PM"' in refused.content.decode()  # what was typed stays
            client.post(
                conversation,
                {"option": "custom", "until_date": "2026-11-27", "until_time": "1830"},
                **HX,
            )
        mine = Conversation.objects.get(pk=setup["mine"].pk)
        assert mine.status == "snoozed"
        assert mine.snoozed_until == datetime(
            2026, 11, 27, 18, 30, tzinfo=ZoneInfo("America/Sao_Paulo")
        )

    def test_without_htmx_actions_redirect_back(self, login, account, agent, setup):
        response = login(agent).post(
            url("status", account, setup["mine"].display_id), {"status": "pending"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(
            url("conversation", account, setup["mine"].display_id)
        )

    def test_read_clears_unread(self, login, account, agent, setup):
        client = login(agent)
        list_html = client.get(url("list", account), {"assignee_type": "me"}).content.decode()
        assert 'class="unread-count"' in list_html
        assert client.post(url("read", account, setup["mine"].display_id)).status_code == 204
        assert (
            'class="unread-count"'
            not in client.get(url("list", account), {"assignee_type": "me"}).content.decode()
        )


class TestContactsAndCanned:
    def test_contacts_list_and_edit(self, login, account, agent, setup):
        client = login(agent)
        html = client.get(url("contacts", account)).content.decode()
        assert "Mariana" in html and "Segredo" in html  # contacts are the account's
        contact = setup["mine"].contact
        response = client.post(
            url("contact", account, contact.pk),
            {
                "name": "Mariana Souza",
                "phone_number": "+55 11 91234-5678",
                "email": "",
                "identifier": "",
            },
        )
        assert response.status_code == 302
        contact.refresh_from_db()
        assert (contact.name, contact.phone_number) == ("Mariana Souza", "+5511912345678")

    def test_contact_page_hides_other_inboxes_conversations_and_delete_is_admin_only(
        self, login, account, agent, admin, setup
    ):
        page = login(agent).get(url("contact", account, setup["hidden"].contact_id))
        assert page.status_code == 200
        assert f"#{setup['hidden'].display_id}" not in page.content.decode()
        assert (
            login(agent).post(url("contact_delete", account, setup["mine"].contact_id)).status_code
            == 403
        )
        assert (
            login(admin).post(url("contact_delete", account, setup["mine"].contact_id)).status_code
            == 302
        )
        assert not Contact.objects.filter(pk=setup["mine"].contact_id).exists()

    def test_contact_of_another_account_is_404(self, login, account, outsider, setup):
        assert (
            login(outsider).get(url("contact", account, setup["mine"].contact_id)).status_code
            == 404
        )

    def test_canned_responses_crud_and_search(self, login, account, admin, agent):
        client = login(admin)
        assert (
            client.post(
                url("canned_new", account),
                {"short_code": "bomdia", "content": "Bom dia! Como posso ajudar?"},
            ).status_code
            == 302
        )
        row = CannedResponse.objects.get(account=account)
        assert (
            client.post(
                url("canned_new", account), {"short_code": "BOMDIA", "content": "x"}
            ).status_code
            == 422
        )
        assert (
            client.post(
                url("canned_edit", account, row.pk), {"short_code": "bd", "content": "Bom dia!"}
            ).status_code
            == 302
        )
        body = login(agent).get(url("canned_search", account), {"q": "/b"}).json()
        assert body == {"payload": [{"short_code": "bd", "content": "Bom dia!"}]}
        assert login(agent).get(url("canned_responses", account)).status_code == 403
        assert login(admin).post(url("canned_delete", account, row.pk)).status_code == 302
        assert not CannedResponse.objects.exists()

    def test_canned_of_another_account_is_404(self, login, account, outsider):
        row = services.canned_response_create(
            account=account, actor=None, short_code="x", content="y"
        )
        assert (
            login(outsider)
            .post(reverse("conversations:canned_delete", args=[outsider.account_id, row.pk]))
            .status_code
            == 404
        )


def test_live_refresh_keeps_loaded_pages_and_the_open_row(login, account, admin, inbox):
    rows = [ConversationFactory(contact_inbox=ContactInboxFactory(inbox=inbox)) for _ in range(30)]
    client = login(admin)
    first_page = client.get(url("list", account), {"assignee_type": "all"}).content.decode()
    assert first_page.count("data-conversation=") == 25
    refreshed = client.get(
        url("list", account), {"assignee_type": "all", "through": 2, "open": rows[0].display_id}
    ).content.decode()
    assert refreshed.count("data-conversation=") == 30
    assert f'conv-row active" data-conversation="{rows[0].display_id}"' in refreshed


def link_counts(html: str, kind: str) -> dict[int, int]:
    """{id: count} of the sidebar's inbox, team or label links (`kind`) in a page."""
    found = re.findall(
        rf'data-{kind}="(\d+)">.*?<span class="count">(\d+)</span>', html, flags=re.S
    )
    return {int(pk): int(n) for pk, n in found}


class TestFilterCounts:
    """Each inbox, team and label link of the sidebar shows what it would list in the current
    status and tab, from the tallies, in a fixed number of queries (issue #12)."""

    @pytest.fixture
    def office(self, account, admin, agent, inbox, setup):
        sales = setup["sales"]
        vip = services.label_create(account=account, actor=None, title="vip")
        services.label_create(account=account, actor=None, title="sem-uso")
        rows = [
            # (inbox, status, assignee, team, labels)
            (inbox, "open", agent, sales, ["vip"]),
            (inbox, "open", None, sales, ["vip", "orçamento"]),
            (inbox, "open", None, None, []),
            (inbox, "resolved", agent, sales, ["vip"]),
            (setup["other_inbox"], "open", None, sales, ["vip"]),
        ]
        for where, status, assignee, team, titles in rows:
            conversation = ConversationFactory(
                contact_inbox=ContactInboxFactory(inbox=where),
                status=status,
                assignee=assignee,
                team=team,
            )
            services.conversation_labels_set(
                account=account, actor=None, conversation=conversation, titles=titles
            )
        return {**setup, "vip": vip, "budget": Label.objects.get(title="orçamento")}

    def test_each_link_counts_for_the_status_and_the_tab(
        self, login, account, admin, agent, inbox, office
    ):
        other, sales, vip = office["other_inbox"], office["sales"], office["vip"]
        budget = office["budget"]
        client = login(admin)
        # setup: Mariana's open conversation in `inbox`, Sofia's, no team, no label; Segredo's
        # open one in the other inbox, unassigned.
        html = client.get(url("counts", account), {"assignee_type": "all"}).content.decode()
        assert link_counts(html, "inbox") == {inbox.pk: 4, other.pk: 2}
        assert link_counts(html, "team") == {sales.pk: 3}
        assert link_counts(html, "label")[vip.pk] == 3
        assert link_counts(html, "label")[budget.pk] == 1
        html = client.get(
            url("counts", account), {"assignee_type": "unassigned", "status": "open"}
        ).content.decode()
        assert link_counts(html, "inbox") == {inbox.pk: 2, other.pk: 2}
        assert link_counts(html, "label")[vip.pk] == 2
        html = client.get(
            url("counts", account), {"assignee_type": "all", "status": "all"}
        ).content.decode()
        assert link_counts(html, "inbox") == {inbox.pk: 5, other.pk: 2}
        assert link_counts(html, "label")[vip.pk] == 4

        # Sofia (agent) sees her inbox only; "Minhas" is hers.
        html = login(agent).get(url("counts", account)).content.decode()
        assert link_counts(html, "inbox") == {inbox.pk: 2}
        assert link_counts(html, "team") == {sales.pk: 1}
        assert link_counts(html, "label")[vip.pk] == 1
        assert link_counts(html, "label")[budget.pk] == 0

    def test_the_workspace_shows_them_and_the_refresh_replaces_them_out_of_band(
        self, login, account, admin, inbox, office
    ):
        client = login(admin)
        page = client.get(url("workspace", account)).content.decode()
        assert link_counts(page, "inbox")[inbox.pk] == 4
        assert "Etiquetas" in page and "Filtros" in page and "Times" in page
        assert page.count('id="ws-filter-links"') == 1 and "hx-swap-oob" not in page
        fragment = client.get(url("counts", account), {"assignee_type": "all"}).content.decode()
        assert '<div id="ws-filter-links" hx-swap-oob="true">' in fragment
        assert 'data-count="all">6<' in fragment

    def test_a_fixed_number_of_queries_for_the_fragment_and_the_page(
        self, login, account, admin, agent, inbox, office, team_factory, django_assert_num_queries
    ):
        def grow():
            for i in range(3):
                extra = InboxFactory(account=account, name=f"Caixa {i}")
                InboxMemberFactory(inbox=extra, account_user=agent)
                team = team_factory(f"Time {i}")
                for _ in range(3):
                    conversation = ConversationFactory(
                        contact_inbox=ContactInboxFactory(inbox=extra), team=team
                    )
                    services.conversation_labels_set(
                        account=account, actor=None, conversation=conversation, titles=[f"m{i}"]
                    )

        def counts_page(membership) -> str:
            client = login(membership)
            client.get(url("counts", account))  # the session learns the account
            # The session, the user, the membership; the tabs; every link with its count.
            with django_assert_num_queries(5):
                return client.get(url("counts", account), {"status": "all"}).content.decode()

        def workspace_page(membership) -> str:
            client = login(membership)
            client.get(url("workspace", account))
            # As above, and the list (its ids, its rows, their labels), the layout's accounts.
            with django_assert_num_queries(9):
                return client.get(url("workspace", account), {"status": "all"}).content.decode()

        for membership in (admin, agent):
            counts_page(membership)
            workspace_page(membership)
        grow()
        assert len(link_counts(counts_page(admin), "label")) == 6
        assert len(link_counts(counts_page(agent), "inbox")) == 4
        assert len(link_counts(workspace_page(agent), "team")) == 4

    def test_another_accounts_data_never_counts(
        self, login, account, admin, inbox, office, other_account, outsider
    ):
        """The other account has its own inbox and "vip" label, with conversations: our links
        count ours, theirs count theirs, and neither sees the other's links."""
        theirs = InboxFactory(account=other_account, name="Caixa deles")
        InboxMemberFactory(inbox=theirs, account_user=outsider)
        for _ in range(3):
            conversation = ConversationFactory(contact_inbox=ContactInboxFactory(inbox=theirs))
            services.conversation_labels_set(
                account=other_account, actor=None, conversation=conversation, titles=["vip"]
            )
        ours = login(admin).get(url("counts", account), {"assignee_type": "all"}).content.decode()
        assert theirs.pk not in link_counts(ours, "inbox")
        assert link_counts(ours, "label")[office["vip"].pk] == 3
        assert "Caixa deles" not in ours
        their_page = (
            login(outsider)
            .get(url("counts", other_account), {"assignee_type": "all"})
            .content.decode()
        )
        their_vip = Label.objects.get(account=other_account, title="vip")
        assert link_counts(their_page, "inbox") == {theirs.pk: 3}
        assert link_counts(their_page, "label") == {their_vip.pk: 3}
        assert login(outsider).get(url("counts", account)).status_code == 404
