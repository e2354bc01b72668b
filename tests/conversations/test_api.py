"""The conversations, messages, contacts and canned responses API: Chatwoot's paths and shapes,
filters, permissions (another account, an agent outside the inbox, administrator-only methods)
and query counts that do not grow with the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conversations import services
from conversations.files import attachment_url
from conversations.models import (
    Attachment,
    CannedResponse,
    Contact,
    Conversation,
    ConversationLabel,
    ConversationSequence,
    Label,
    Message,
    Status,
)
from tests.conftest import api_client_for
from tests.factories import (
    AccountUserFactory,
    ContactFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    InboxMemberFactory,
    MessageFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xa0"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
META_KEYS = {"mine_count", "unassigned_count", "assigned_count", "all_count"}


def url(account, path: str = "") -> str:
    return f"/api/v1/accounts/{account.pk}/{path}"


def conv_url(conversation, path: str = "") -> str:
    base = url(conversation.account, f"conversations/{conversation.display_id}")
    return f"{base}/{path}" if path else base


def ids(response) -> list[int]:
    body = response.json()
    assert response.status_code == 200, body
    return [row["id"] for row in body["data"]["payload"]]


def make_conversation(
    inbox,
    *,
    name: str | None = None,
    assignee=None,
    team=None,
    status: str = Status.OPEN,
    labels: tuple[str, ...] = (),
    messages: int = 1,
    at: datetime | None = None,
    **fields,
) -> Conversation:
    """A conversation written directly (for reads): with its messages and labels."""
    contact_inbox = fields.pop("contact_inbox", None) or ContactInboxFactory(
        inbox=inbox, **({"contact__name": name} if name else {})
    )
    # The next display id of the account, as the services hand them out.
    sequence, _created = ConversationSequence.objects.get_or_create(account=inbox.account)
    sequence.last_display_id += 1
    sequence.save()
    conversation = ConversationFactory(
        contact_inbox=contact_inbox,
        display_id=sequence.last_display_id,
        assignee=assignee,
        team=team,
        status=status,
        last_activity_at=at or timezone.now(),
        **fields,
    )
    for n in range(messages):
        MessageFactory(
            conversation=conversation,
            content=f"Mensagem {n} de {contact_inbox.contact.name}",
            sender_contact=contact_inbox.contact,
            sender_name=contact_inbox.contact.name,
        )
    for title in labels:
        label, _created = Label.objects.get_or_create(account=inbox.account, title=title)
        ConversationLabel.objects.create(
            account=inbox.account, conversation=conversation, label=label
        )
    return conversation


@pytest.fixture
def sofia(member):
    """An agent who works in the conversation's inbox."""
    return member("Sofia Secretária")


@pytest.fixture
def sofia_api(sofia):
    return api_client_for(sofia)


@pytest.fixture
def other_inbox(account):
    return InboxFactory(account=account, name="WhatsApp Financeiro")


@pytest.fixture
def bruno(other_inbox):
    """An agent of the account who works only in another inbox."""
    membership = AccountUserFactory(account=other_inbox.account, user__name="Bruno Financeiro")
    InboxMemberFactory(inbox=other_inbox, account_user=membership)
    return membership


@pytest.fixture
def bruno_api(bruno):
    return api_client_for(bruno)


@pytest.fixture
def conversation(new_conversation):
    return new_conversation(contact__name="Maria Souza")


# --- The list, its filters and counts ----------------------------------------------------------


class TestConversationList:
    def test_chatwoot_shape(self, admin_api, account, sofia, team_factory, inbox):
        sales = team_factory("Comercial")
        conversation = make_conversation(
            inbox, name="Maria Souza", assignee=sofia, team=sales, labels=("vip",)
        )
        body = admin_api.get(url(account, "conversations")).json()
        assert set(body) == {"data"}
        assert set(body["data"]) == {"meta", "payload"}
        assert set(body["data"]["meta"]) >= META_KEYS
        [row] = body["data"]["payload"]
        assert row["id"] == conversation.display_id
        assert (row["account_id"], row["inbox_id"], row["status"]) == (
            account.pk,
            inbox.pk,
            "open",
        )
        assert row["labels"] == ["vip"]
        assert row["meta"]["sender"]["name"] == "Maria Souza"
        assert row["meta"]["assignee"]["id"] == sofia.user_id
        assert row["meta"]["assignee"]["available_name"] == "Sofia Secretária"
        assert row["meta"]["team"] == {"id": sales.pk, "name": "Comercial"}
        assert row["meta"]["channel"] == "api"
        assert (row["assignee_id"], row["team_id"]) == (sofia.user_id, sales.pk)
        assert row["last_non_activity_message"]["content"] == "Mensagem 0 de Maria Souza"
        assert row["unread_count"] == 1
        assert isinstance(row["timestamp"], int)

    @pytest.fixture
    def board(self, inbox, other_inbox, sofia, bruno, member, team_factory):
        """Five conversations, newest first: what each filter must pick."""
        sales, support = team_factory("Comercial"), team_factory("Suporte")
        carla = member("Carla Comercial")
        now = timezone.now()
        return {
            "mine": make_conversation(
                inbox,
                name="Maria Souza",
                assignee=sofia,
                team=sales,
                labels=("vip",),
                at=now - timedelta(minutes=1),
            ),
            "unassigned": make_conversation(
                inbox, name="João Lima", labels=("urgente",), at=now - timedelta(minutes=2)
            ),
            "carlas": make_conversation(
                inbox,
                name="Paula Reis",
                assignee=carla,
                team=support,
                at=now - timedelta(minutes=3),
            ),
            "pending": make_conversation(
                inbox, name="Rita", status=Status.PENDING, at=now - timedelta(minutes=4)
            ),
            "other_inbox": make_conversation(
                other_inbox, name="Otávio", assignee=bruno, at=now - timedelta(minutes=5)
            ),
            "resolved": make_conversation(
                inbox, name="Rui", status=Status.RESOLVED, at=now - timedelta(minutes=6)
            ),
            "sales": sales,
            "support": support,
        }

    def test_assignee_types(self, sofia_api, account, board):
        get = lambda kind: ids(sofia_api.get(url(account, f"conversations?assignee_type={kind}")))  # noqa: E731
        b = board
        assert get("me") == [b["mine"].display_id]
        assert get("unassigned") == [b["unassigned"].display_id]
        assert get("assigned") == [b["mine"].display_id, b["carlas"].display_id]
        assert get("all") == [
            b["mine"].display_id,
            b["unassigned"].display_id,
            b["carlas"].display_id,
        ]

    def test_counts_for_an_agent_leave_out_other_inboxes(
        self, sofia_api, admin_api, account, board
    ):
        mine = sofia_api.get(url(account, "conversations")).json()["data"]["meta"]
        assert {k: mine[k] for k in META_KEYS} == {
            "mine_count": 1,
            "unassigned_count": 1,
            "assigned_count": 2,
            "all_count": 3,
        }
        everything = admin_api.get(url(account, "conversations")).json()["data"]["meta"]
        assert {k: everything[k] for k in META_KEYS} == {
            "mine_count": 0,
            "unassigned_count": 1,
            "assigned_count": 3,
            "all_count": 4,
        }

    def test_meta_endpoint(self, sofia_api, account, board):
        body = sofia_api.get(url(account, "conversations/meta?status=all")).json()
        assert body == {
            "meta": {"mine_count": 1, "unassigned_count": 3, "assigned_count": 2, "all_count": 5}
        }

    def test_status(self, admin_api, account, board):
        b = board
        get = lambda q: ids(admin_api.get(url(account, f"conversations?{q}")))  # noqa: E731
        assert get("status=pending") == [b["pending"].display_id]
        assert get("status=resolved") == [b["resolved"].display_id]
        assert len(get("status=all")) == 6
        assert get("") == get("status=open")

    def test_inbox_and_team(self, admin_api, sofia_api, account, board, other_inbox):
        b = board
        get = lambda api, q: ids(api.get(url(account, f"conversations?{q}")))  # noqa: E731
        assert get(admin_api, f"inbox_id={other_inbox.pk}") == [b["other_inbox"].display_id]
        assert get(sofia_api, f"inbox_id={other_inbox.pk}") == []
        assert get(admin_api, f"team_id={b['sales'].pk}") == [b["mine"].display_id]
        assert get(admin_api, f"team_id={b['support'].pk}") == [b["carlas"].display_id]

    def test_labels(self, admin_api, account, board):
        b = board
        get = lambda q: ids(admin_api.get(url(account, f"conversations?{q}")))  # noqa: E731
        assert get("labels=vip") == [b["mine"].display_id]
        assert get("labels[]=VIP") == [b["mine"].display_id]
        # Like Chatwoot: conversations with any of the labels.
        assert get("labels[]=vip&labels[]=urgente") == [
            b["mine"].display_id,
            b["unassigned"].display_id,
        ]
        assert get("labels=nenhuma") == []

    def test_search(self, admin_api, account, board):
        b = board
        get = lambda q: ids(admin_api.get(url(account, f"conversations?q={q}")))  # noqa: E731
        assert get("maria") == [b["mine"].display_id]
        assert get(b["mine"].contact.phone_number.replace("+", "%2B")) == [b["mine"].display_id]
        assert get(f"%23{b['carlas'].display_id}") == [b["carlas"].display_id]
        # Like Chatwoot: the words of the messages too.
        MessageFactory(conversation=b["unassigned"], content="Quero o boleto de novembro")
        assert get("boleto") == [b["unassigned"].display_id]

    def test_a_private_note_is_not_found_by_search(self, admin_api, account, conversation, admin):
        services.message_send(
            account=account,
            actor=admin,
            conversation=conversation,
            content="cliente caloteiro",
            private=True,
        )
        assert ids(admin_api.get(url(account, "conversations?q=caloteiro"))) == []

    def test_pages_of_25(self, admin_api, account, inbox):
        start = timezone.now()
        made = [
            make_conversation(inbox, messages=0, at=start - timedelta(minutes=n)) for n in range(27)
        ]
        first = admin_api.get(url(account, "conversations")).json()["data"]
        second = admin_api.get(url(account, "conversations?page=2")).json()["data"]
        assert [r["id"] for r in first["payload"]] == [c.display_id for c in made[:25]]
        assert [r["id"] for r in second["payload"]] == [c.display_id for c in made[25:]]
        assert (first["meta"]["has_next_page"], second["meta"]["has_next_page"]) == (True, False)
        assert first["meta"]["all_count"] == 27

    def test_list_query_count_does_not_grow(
        self, admin_api, sofia_api, account, inbox, member, team_factory, django_assert_num_queries
    ):
        teams = [team_factory(f"Time {n}") for n in range(3)]
        agents = [member(f"Agente {n}", teams[n % 3]) for n in range(4)]

        def add(n):
            for i in range(n):
                conversation = make_conversation(
                    inbox,
                    assignee=agents[i % 4],
                    team=teams[i % 3],
                    labels=("vip", f"etiqueta-{i % 5}"),
                    messages=3,
                )
                MessageFactory(
                    conversation=conversation, message_type="outgoing", sender_type="user"
                )

        add(3)
        # 7: the ids, the rows, the labels, the embedded last messages and their attachments,
        # the counts (one query over the tally), and the token with the membership.
        with django_assert_num_queries(7):
            assert len(admin_api.get(url(account, "conversations")).json()["data"]["payload"]) == 3
        with django_assert_num_queries(7):
            assert len(sofia_api.get(url(account, "conversations")).json()["data"]["payload"]) == 3
        add(30)
        with django_assert_num_queries(7):
            assert len(admin_api.get(url(account, "conversations")).json()["data"]["payload"]) == 25
        with django_assert_num_queries(7):
            assert len(sofia_api.get(url(account, "conversations")).json()["data"]["payload"]) == 25
        with django_assert_num_queries(7):
            admin_api.get(url(account, "conversations?labels=vip&q=Cliente&status=all&page=2"))


class TestConversationCreate:
    def test_with_a_contact_and_a_first_message(self, sofia_api, account, inbox, sofia):
        past = make_conversation(inbox, name="Maria", status=Status.RESOLVED)
        response = sofia_api.post(
            url(account, "conversations"),
            {
                "inbox_id": inbox.pk,
                "contact_id": past.contact_id,
                "assignee_id": sofia.user_id,
                "message": {"content": "Olá Maria, tudo bem?"},
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        created = Conversation.objects.get(account=account, display_id=body["id"])
        assert created.pk != past.pk
        assert (created.contact_id, created.assignee, created.status) == (
            past.contact_id,
            sofia,
            "open",
        )
        assert body["meta"]["assignee"]["id"] == sofia.user_id
        replies = created.messages.filter(message_type="outgoing")
        assert list(replies.values_list("content", flat=True)) == ["Olá Maria, tudo bem?"]

    def test_with_a_source_id_of_an_api_inbox(self, admin_api, account, inbox):
        response = admin_api.post(
            url(account, "conversations"),
            {"inbox_id": inbox.pk, "source_id": "cliente-42", "status": "pending"},
            format="json",
        )
        assert response.status_code == 200, response.content
        created = Conversation.objects.get(account=account, display_id=response.json()["id"])
        assert (created.status, created.contact_inbox.source_id) == ("pending", "cliente-42")

    def test_in_an_inbox_she_does_not_work_in(self, bruno_api, account, inbox):
        response = bruno_api.post(
            url(account, "conversations"), {"inbox_id": inbox.pk, "source_id": "x"}, format="json"
        )
        assert response.status_code == 404
        assert not Conversation.objects.exists()


# --- One conversation ---------------------------------------------------------------------------


class TestConversationDetail:
    def test_get(self, sofia_api, conversation):
        body = sofia_api.get(conv_url(conversation)).json()
        assert body["id"] == conversation.display_id
        assert body["meta"]["sender"]["name"] == "Maria Souza"
        assert body["priority"] is None

    def test_patch_priority(self, sofia_api, conversation):
        response = sofia_api.patch(conv_url(conversation), {"priority": "high"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["priority"] == "high"
        response = sofia_api.patch(conv_url(conversation), {"priority": "none"}, format="json")
        assert response.json()["priority"] is None
        assert Conversation.objects.get(pk=conversation.pk).priority == ""

    def test_patch_without_priority_changes_nothing(self, sofia_api, conversation):
        sofia_api.patch(conv_url(conversation), {"priority": "low"}, format="json")
        response = sofia_api.patch(conv_url(conversation), {"sla_policy_id": 1}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["priority"] == "low"

    def test_patch_with_an_unknown_priority(self, sofia_api, conversation):
        response = sofia_api.patch(conv_url(conversation), {"priority": "critical"}, format="json")
        assert response.status_code == 422

    def test_mark_read_clears_the_unread_count(self, sofia_api, account, conversation):
        MessageFactory(conversation=conversation)
        row = lambda: sofia_api.get(url(account, "conversations")).json()["data"]["payload"][0]  # noqa: E731
        assert row()["unread_count"] == 1
        assert sofia_api.post(conv_url(conversation, "update_last_seen")).status_code == 200
        assert row()["unread_count"] == 0


class TestToggleStatus:
    def post(self, api, conversation, payload):
        response = api.post(conv_url(conversation, "toggle_status"), payload, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    def test_explicit_statuses(self, sofia_api, conversation):
        body = self.post(sofia_api, conversation, {"status": "resolved"})
        assert body == {
            "meta": {},
            "payload": {
                "success": True,
                "current_status": "resolved",
                "conversation_id": conversation.display_id,
                "snoozed_until": None,
            },
        }
        assert (
            self.post(sofia_api, conversation, {"status": "pending"})["payload"]["current_status"]
            == "pending"
        )
        assert Conversation.objects.get(pk=conversation.pk).status == "pending"

    def test_without_a_status_it_toggles(self, sofia_api, conversation):
        assert self.post(sofia_api, conversation, {})["payload"]["current_status"] == "resolved"
        assert self.post(sofia_api, conversation, {})["payload"]["current_status"] == "open"

    def test_snooze_until_unix_seconds(self, sofia_api, conversation):
        until = int((timezone.now() + timedelta(hours=2)).timestamp())
        body = self.post(sofia_api, conversation, {"status": "snoozed", "snoozed_until": until})
        assert body["payload"]["current_status"] == "snoozed"
        assert body["payload"]["snoozed_until"] == until
        stored = Conversation.objects.get(pk=conversation.pk)
        assert stored.snoozed_until == datetime.fromtimestamp(until, tz=UTC)
        assert sofia_api.get(conv_url(conversation)).json()["snoozed_until"] == until

    def test_snooze_in_the_past_is_422(self, sofia_api, conversation):
        until = int((timezone.now() - timedelta(hours=2)).timestamp())
        response = sofia_api.post(
            conv_url(conversation, "toggle_status"),
            {"status": "snoozed", "snoozed_until": until},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "snoozed_until"

    def test_unknown_status_is_422(self, sofia_api, conversation):
        response = sofia_api.post(
            conv_url(conversation, "toggle_status"), {"status": "closed"}, format="json"
        )
        assert response.status_code == 422


def test_toggle_priority(sofia_api, conversation):
    response = sofia_api.post(
        conv_url(conversation, "toggle_priority"), {"priority": "urgent"}, format="json"
    )
    assert response.status_code == 200
    assert Conversation.objects.get(pk=conversation.pk).priority == "urgent"
    sofia_api.post(conv_url(conversation, "toggle_priority"), {"priority": "none"}, format="json")
    assert Conversation.objects.get(pk=conversation.pk).priority == ""


class TestAssignments:
    def post(self, api, conversation, payload):
        return api.post(conv_url(conversation, "assignments"), payload, format="json")

    def stored(self, conversation):
        return Conversation.objects.select_related("assignee", "team").get(pk=conversation.pk)

    def test_to_an_agent(self, sofia_api, conversation, member):
        carla = member("Carla")
        response = self.post(sofia_api, conversation, {"assignee_id": carla.user_id})
        assert response.status_code == 200, response.content
        assert response.json()["id"] == carla.user_id
        assert response.json()["available_name"] == "Carla"
        assert self.stored(conversation).assignee == carla

    def test_to_a_team_answers_the_team(self, sofia_api, conversation, team_factory):
        support = team_factory("Suporte", allow_auto_assign=False)
        response = self.post(sofia_api, conversation, {"team_id": support.pk})
        assert response.status_code == 200, response.content
        assert (response.json()["id"], response.json()["name"]) == (support.pk, "Suporte")
        assert self.stored(conversation).team == support

    def test_to_a_team_and_one_of_its_agents_with_a_note(
        self, sofia_api, sofia, conversation, member, team_factory
    ):
        sales = team_factory("Comercial", allow_auto_assign=False)
        carla = member("Carla", sales)
        response = self.post(
            sofia_api,
            conversation,
            {"team_id": sales.pk, "assignee_id": carla.user_id, "note": "Quer 30 unidades"},
        )
        assert response.status_code == 200, response.content
        assert response.json()["id"] == carla.user_id
        stored = self.stored(conversation)
        assert (stored.team, stored.assignee) == (sales, carla)
        note = Message.objects.get(conversation=conversation, private=True)
        assert (note.content, note.sender_user_id) == ("Quer 30 unidades", sofia.user_id)

    def test_agent_not_in_the_team_is_422_and_nothing_changes(
        self, sofia_api, conversation, member, team_factory
    ):
        sales = team_factory("Comercial", allow_auto_assign=False)
        carla = member("Carla")
        response = self.post(
            sofia_api, conversation, {"team_id": sales.pk, "assignee_id": carla.user_id}
        )
        assert response.status_code == 422
        stored = self.stored(conversation)
        assert (stored.team, stored.assignee) == (None, None)

    def test_null_unassigns(self, sofia_api, conversation, member, team_factory):
        sales = team_factory("Comercial", allow_auto_assign=False)
        carla = member("Carla", sales)
        self.post(sofia_api, conversation, {"team_id": sales.pk, "assignee_id": carla.user_id})
        assert self.post(sofia_api, conversation, {"assignee_id": None}).status_code == 200
        assert self.stored(conversation).assignee is None
        assert self.stored(conversation).team == sales
        assert self.post(sofia_api, conversation, {"team_id": None}).status_code == 200
        assert self.stored(conversation).team is None

    def test_someone_of_another_account_is_404(self, sofia_api, conversation, outsider):
        response = self.post(sofia_api, conversation, {"assignee_id": outsider.user_id})
        assert response.status_code == 404
        assert self.stored(conversation).assignee is None

    def test_a_team_of_another_account_is_404(self, sofia_api, conversation, other_account):
        theirs = TeamFactory(account=other_account)
        assert self.post(sofia_api, conversation, {"team_id": theirs.pk}).status_code == 404

    def test_nothing_to_do_is_422(self, sofia_api, conversation):
        assert self.post(sofia_api, conversation, {}).status_code == 422


class TestLabels:
    def test_get_and_replace(self, sofia_api, conversation):
        response = sofia_api.post(
            conv_url(conversation, "labels"), {"labels": ["VIP", "financeiro"]}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"payload": ["financeiro", "vip"]}
        sofia_api.post(conv_url(conversation, "labels"), {"labels": ["vip"]}, format="json")
        assert sofia_api.get(conv_url(conversation, "labels")).json() == {"payload": ["vip"]}


# --- Messages -----------------------------------------------------------------------------------


class TestMessagesList:
    def test_latest_page_then_keyset_before_and_after(self, sofia_api, conversation):
        start = timezone.now() - timedelta(hours=1)
        made = [
            MessageFactory(conversation=conversation, created_at=start + timedelta(minutes=n))
            for n in range(40)
        ]
        page = sofia_api.get(conv_url(conversation, "messages")).json()
        assert [m["id"] for m in page["payload"]] == [m.pk for m in made[10:]]
        older = sofia_api.get(conv_url(conversation, f"messages?before={made[10].pk}")).json()
        assert [m["id"] for m in older["payload"]] == [m.pk for m in made[:10]]
        newer = sofia_api.get(conv_url(conversation, f"messages?after={made[35].pk}")).json()
        assert [m["id"] for m in newer["payload"]] == [m.pk for m in made[36:]]

    def test_a_late_message_with_an_older_timestamp_is_paged_once(self, sofia_api, conversation):
        """Providers stamp messages when they were sent; a delayed webhook stores an old one
        after newer ones. Paging back through the thread still shows each message once."""
        start = timezone.now() - timedelta(hours=1)
        made = [
            MessageFactory(conversation=conversation, created_at=start + timedelta(minutes=n))
            for n in range(35)
        ]
        late = MessageFactory(conversation=conversation, created_at=start + timedelta(seconds=90))
        seen = [
            m["id"] for m in sofia_api.get(conv_url(conversation, "messages")).json()["payload"]
        ]
        while True:
            older = sofia_api.get(conv_url(conversation, f"messages?before={seen[0]}")).json()
            if not older["payload"]:
                break
            seen = [m["id"] for m in older["payload"]] + seen
        expected = [m.pk for m in made[:2]] + [late.pk] + [m.pk for m in made[2:]]
        assert seen == expected

    def test_shape_and_meta(self, sofia_api, account, conversation, sofia):
        services.conversation_labels_set(
            account=account, actor=sofia, conversation=conversation, titles=["vip"]
        )
        reply = services.message_send(
            account=account, actor=sofia, conversation=conversation, content="Olá!"
        )
        body = sofia_api.get(conv_url(conversation, "messages")).json()
        assert body["meta"]["labels"] == ["vip"]
        assert body["meta"]["contact"]["name"] == "Maria Souza"
        row = next(m for m in body["payload"] if m["id"] == reply.pk)
        assert row["conversation_id"] == conversation.display_id
        assert (row["message_type"], row["private"], row["content"]) == (1, False, "Olá!")
        assert row["sender"] == {"id": sofia.user_id, "name": "Sofia Secretária", "type": "user"}
        assert row["sender_type"] == "user"

    def test_meta_is_chatwoots(self, sofia_api, account, conversation, sofia):
        """messages/index.json.jbuilder: the conversation's additional attributes, and its
        assignee as Chatwoot pushes a user (with the agent's fields besides)."""
        seen = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
        Conversation.objects.filter(pk=conversation.pk).update(
            assignee=sofia, additional_attributes={"origem": "site"}, agent_last_seen_at=seen
        )
        meta = sofia_api.get(conv_url(conversation, "messages")).json()["meta"]
        assert meta["additional_attributes"] == {"origem": "site"}
        assert meta["assignee"] == {
            "id": sofia.user_id,
            "name": "Sofia Secretária",
            "available_name": sofia.user.available_name,
            "avatar_url": "",
            "type": "user",
            "availability_status": "online",
            "thumbnail": "",
            "email": sofia.user.email,
            "role": "agent",
            "account_id": account.pk,
            "auto_offline": False,
            "custom_role_id": None,
        }
        # One "seen by the agents" time in Nexloo: both of Chatwoot's carry it.
        assert meta["agent_last_seen_at"] == meta["assignee_last_seen_at"] == seen.isoformat()
        listed = sofia_api.get(url(account, "conversations")).json()["data"]["payload"][0]
        assert listed["meta"]["assignee"] == meta["assignee"]  # the same shape everywhere

    def test_each_message_carries_the_conversations_unread_count(
        self, sofia_api, account, conversation
    ):
        """Chatwoot's `conversation.unread_count`: the incoming messages after the agents last
        saw the conversation, the number the conversation list and detail show."""
        seen = timezone.now() - timedelta(hours=1)
        Conversation.objects.filter(pk=conversation.pk).update(agent_last_seen_at=seen)
        MessageFactory(conversation=conversation, created_at=seen - timedelta(minutes=5))
        for n in (1, 2):
            MessageFactory(conversation=conversation, created_at=seen + timedelta(minutes=n))
        MessageFactory(
            conversation=conversation,
            message_type="outgoing",
            sender_type="user",
            created_at=seen + timedelta(minutes=3),
        )
        payload = sofia_api.get(conv_url(conversation, "messages")).json()["payload"]
        assert [m["conversation"]["unread_count"] for m in payload] == [2, 2, 2, 2]
        detail = sofia_api.get(conv_url(conversation)).json()
        assert detail["unread_count"] == 2
        assert detail["messages"][0]["conversation"]["unread_count"] == 2
        row = sofia_api.get(url(account, "conversations")).json()["data"]["payload"][0]
        assert row["unread_count"] == 2

    def test_query_count_does_not_grow(
        self, sofia_api, account, conversation, sofia, django_assert_num_queries
    ):
        def add(n):
            for i in range(n):
                if i % 2:
                    message = MessageFactory(
                        conversation=conversation,
                        message_type="outgoing",
                        sender_type="user",
                        sender_user=sofia.user,
                    )
                else:
                    message = MessageFactory(
                        conversation=conversation, sender_contact=conversation.contact
                    )
                Attachment.objects.create(
                    account=account, message=message, file_type="image", file_name=f"{i}.png"
                )

        services.conversation_labels_set(
            account=account, actor=sofia, conversation=conversation, titles=["vip", "novo"]
        )
        add(3)
        with django_assert_num_queries(5):
            assert len(sofia_api.get(conv_url(conversation, "messages")).json()["payload"]) == 3
        add(30)
        with django_assert_num_queries(5):
            assert len(sofia_api.get(conv_url(conversation, "messages")).json()["payload"]) == 30
        newest = Message.objects.filter(conversation=conversation).order_by("-pk").first()
        with django_assert_num_queries(5):
            sofia_api.get(conv_url(conversation, f"messages?before={newest.pk}"))


class TestMessageCreate:
    def test_the_reply_carries_the_conversations_unread_count(self, sofia_api, conversation):
        """Never seen: every incoming message is unread (as in Chatwoot); an incoming one
        posted through the API counts at once; once seen, none."""
        for _ in range(2):
            MessageFactory(conversation=conversation)

        def unread_after(payload):
            response = sofia_api.post(conv_url(conversation, "messages"), payload, format="json")
            assert response.status_code == 200, response.content
            return response.json()["conversation"]["unread_count"]

        assert unread_after({"content": "Já vejo"}) == 2
        assert unread_after({"content": "Mais uma", "message_type": "incoming"}) == 3
        assert sofia_api.post(conv_url(conversation, "update_last_seen")).status_code == 200
        assert unread_after({"content": "Pronto"}) == 0

    def test_outgoing_reply_on_an_api_inbox_is_sent_once_stored(
        self, sofia_api, conversation, sofia, django_capture_on_commit_callbacks
    ):
        """The API channel's delivery is the message_created event itself (Chatwoot's
        default status, `sent`); a channel that sends elsewhere answers `queued` (WhatsApp)."""
        with django_capture_on_commit_callbacks(execute=True):
            response = sofia_api.post(
                conv_url(conversation, "messages"), {"content": "Bom dia!"}, format="json"
            )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["message_type"], body["private"], body["status"]) == (1, False, "sent")
        assert body["conversation_id"] == conversation.display_id
        assert Message.objects.get(pk=body["id"]).status == "sent"

    def test_private_note(self, sofia_api, conversation):
        response = sofia_api.post(
            conv_url(conversation, "messages"),
            {"content": "Cliente VIP", "private": True},
            format="json",
        )
        body = response.json()
        assert (body["private"], body["status"], body["message_type"]) == (True, "sent", 1)

    def test_empty_is_422(self, sofia_api, conversation):
        response = sofia_api.post(
            conv_url(conversation, "messages"), {"content": " "}, format="json"
        )
        assert response.status_code == 422
        assert not Message.objects.filter(conversation=conversation).exists()

    def test_incoming_on_an_api_inbox_once_per_source_id(self, sofia_api, conversation):
        payload = {"content": "Oi, sou a Maria", "message_type": "incoming", "source_id": "ext-1"}
        first = sofia_api.post(conv_url(conversation, "messages"), payload, format="json").json()
        again = sofia_api.post(conv_url(conversation, "messages"), payload, format="json").json()
        assert first["id"] == again["id"]
        assert (first["message_type"], first["sender"]["type"]) == (0, "contact")
        assert first["sender"]["id"] == conversation.contact_id
        assert Message.objects.filter(conversation=conversation, source_id="ext-1").count() == 1

    def test_incoming_wakes_a_snoozed_conversation(self, sofia_api, conversation):
        sofia_api.post(
            conv_url(conversation, "toggle_status"), {"status": "snoozed"}, format="json"
        )
        sofia_api.post(
            conv_url(conversation, "messages"),
            {"content": "Voltei", "message_type": "incoming"},
            format="json",
        )
        assert Conversation.objects.get(pk=conversation.pk).status == "open"

    def test_incoming_on_a_whatsapp_inbox_is_422(self, admin_api, account, whatsapp_inbox):
        conversation = services.conversation_open_for(
            contact_inbox=ContactInboxFactory(inbox=whatsapp_inbox)
        ).conversation
        response = admin_api.post(
            conv_url(conversation, "messages"),
            {"content": "forjada", "message_type": "incoming"},
            format="json",
        )
        assert response.status_code == 422
        assert not Message.objects.filter(conversation=conversation).exists()

    @pytest.mark.parametrize("field", ["attachments[]", "attachments"])
    def test_with_an_uploaded_attachment(self, sofia_api, conversation, field):
        upload = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
        response = sofia_api.post(
            conv_url(conversation, "messages"), {"content": "", field: [upload]}, format="multipart"
        )
        assert response.status_code == 200, response.content
        [attachment] = response.json()["attachments"]
        assert (attachment["file_type"], attachment["file_name"], attachment["file_size"]) == (
            "image",
            "foto.png",
            len(PNG),
        )
        stored = Attachment.objects.get(pk=attachment["id"])
        assert stored.file.read() == PNG
        assert attachment["data_url"] == attachment_url(stored)  # a signed link, not /media/


class TestMessageDelete:
    def test_deletes_the_content_and_keeps_the_line(self, sofia_api, account, conversation, sofia):
        reply = services.message_send(
            account=account, actor=sofia, conversation=conversation, content="Enviei errado"
        )
        response = sofia_api.delete(conv_url(conversation, f"messages/{reply.pk}"))
        assert response.status_code == 200, response.content
        assert response.json()["content"] == "Esta mensagem foi apagada"
        reply.refresh_from_db()
        assert (reply.content, reply.content_attributes["deleted"]) == (
            "Esta mensagem foi apagada",
            True,
        )

    def test_a_message_of_another_conversation_is_404(
        self, sofia_api, account, inbox, conversation
    ):
        elsewhere = make_conversation(inbox)
        message = elsewhere.messages.get()
        response = sofia_api.delete(conv_url(conversation, f"messages/{message.pk}"))
        assert response.status_code == 404
        message.refresh_from_db()
        assert message.content.startswith("Mensagem 0")


# --- Permissions, for every conversation endpoint ----------------------------------------------


CONVERSATION_ENDPOINTS = [
    ("get", "", None),
    ("patch", "", {"priority": "high"}),
    ("post", "toggle_status", {"status": "resolved"}),
    ("post", "toggle_priority", {"priority": "urgent"}),
    ("post", "assignments", {"assignee_id": "SELF"}),
    ("post", "assignments", {"team_id": None}),
    ("get", "labels", None),
    ("post", "labels", {"labels": ["vip"]}),
    ("post", "update_last_seen", None),
    ("get", "messages", None),
    ("post", "messages", {"content": "Olá"}),
    ("post", "messages", {"content": "nota", "private": True}),
    ("delete", "messages/MESSAGE", None),
]


def call(api, membership, conversation, method, path, payload, *, account=None):
    message = conversation.messages.order_by("pk").first()
    path = path.replace("MESSAGE", str(message.pk if message else 0))
    target = conv_url(conversation, path)
    if account is not None:
        target = target.replace(f"/accounts/{conversation.account_id}/", f"/accounts/{account.pk}/")
    if payload and payload.get("assignee_id") == "SELF":
        payload = {"assignee_id": membership.user_id}
    return getattr(api, method)(target, payload, format="json")


def unchanged(conversation, before_messages):
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.status, stored.priority, stored.assignee_id, stored.agent_last_seen_at) == (
        "open",
        "",
        None,
        None,
    )
    assert not stored.labels.exists()
    assert list(stored.messages.values_list("pk", "content")) == before_messages


@pytest.fixture
def guarded(account, admin, conversation):
    """The conversation with one reply (for DELETE), and what its messages were."""
    services.message_send(account=account, actor=admin, conversation=conversation, content="Oi")
    return conversation, list(conversation.messages.values_list("pk", "content"))


@pytest.mark.parametrize(("method", "path", "payload"), CONVERSATION_ENDPOINTS)
def test_agent_outside_the_inbox_gets_404(bruno_api, bruno, guarded, method, path, payload):
    conversation, before = guarded
    response = call(bruno_api, bruno, conversation, method, path, payload)
    assert response.status_code == 404, response.content
    unchanged(conversation, before)


@pytest.mark.parametrize(("method", "path", "payload"), CONVERSATION_ENDPOINTS)
def test_another_accounts_user_gets_404(outsider_api, outsider, guarded, method, path, payload):
    conversation, before = guarded
    response = call(outsider_api, outsider, conversation, method, path, payload)
    assert response.status_code == 404, response.content
    # Through their own account, the same display id is not ours either.
    response = call(
        outsider_api, outsider, conversation, method, path, payload, account=outsider.account
    )
    assert response.status_code == 404, response.content
    unchanged(conversation, before)


@pytest.mark.parametrize(("method", "path", "payload"), CONVERSATION_ENDPOINTS)
def test_inbox_member_may(sofia_api, sofia, guarded, method, path, payload):
    conversation, _before = guarded
    response = call(sofia_api, sofia, conversation, method, path, payload)
    assert response.status_code == 200, response.content


def test_agent_outside_the_inbox_sees_nothing_in_lists(bruno_api, account, guarded):
    conversation, _before = guarded
    for query in ("", "?status=all", f"?inbox_id={conversation.inbox_id}", "?q=Maria"):
        body = bruno_api.get(url(account, f"conversations{query}")).json()["data"]
        assert body["payload"] == []
        assert body["meta"]["all_count"] == body["meta"]["unassigned_count"] == 0
    assert bruno_api.get(url(account, "conversations/meta")).json()["meta"]["all_count"] == 0


@pytest.mark.parametrize("path", ["conversations", "conversations/meta"])
def test_another_accounts_user_gets_404_on_lists(outsider_api, account, path):
    assert outsider_api.get(url(account, path)).status_code == 404


def test_another_accounts_user_cannot_create_a_conversation_here(outsider_api, account, inbox):
    response = outsider_api.post(
        url(account, "conversations"), {"inbox_id": inbox.pk, "source_id": "x"}, format="json"
    )
    assert response.status_code == 404
    assert not Conversation.objects.exists()


# --- Contacts -----------------------------------------------------------------------------------


class TestContacts:
    def test_list_shape_sorted_by_name(self, admin_api, account):
        for name in ("Zuleica", "Ana", "Maria"):
            ContactFactory(account=account, name=name)
        body = admin_api.get(url(account, "contacts")).json()
        assert body["meta"] == {"count": 3, "current_page": 1}
        assert [c["name"] for c in body["payload"]] == ["Ana", "Maria", "Zuleica"]
        assert {"id", "name", "email", "phone_number", "identifier", "thumbnail"} <= set(
            body["payload"][0]
        )

    def test_create_normalises_the_phone_and_links_an_inbox(self, admin_api, account, inbox):
        response = admin_api.post(
            url(account, "contacts"),
            {"name": "Maria", "phone_number": "+55 (11) 98765-4321", "inbox_id": inbox.pk},
            format="json",
        )
        assert response.status_code == 200, response.content
        payload = response.json()["payload"]
        assert payload["contact"]["phone_number"] == "+5511987654321"
        assert payload["contact_inbox"]["inbox_id"] == inbox.pk
        assert Contact.objects.get(pk=payload["contact"]["id"]).account_id == account.pk

    def test_duplicate_phone_is_422(self, admin_api, account):
        ContactFactory(account=account, phone_number="+5511987654321")
        response = admin_api.post(
            url(account, "contacts"), {"phone_number": "5511987654321"}, format="json"
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "phone_number"
        assert Contact.objects.filter(account=account).count() == 1

    def test_search(self, admin_api, account):
        ContactFactory(account=account, name="Maria Souza", email="maria@ex.com.br")
        ContactFactory(account=account, name="João")
        body = admin_api.get(url(account, "contacts/search?q=souza")).json()
        assert [c["name"] for c in body["payload"]] == ["Maria Souza"]
        assert body["meta"]["count"] == 1

    def test_get_put_delete(self, admin_api, account):
        contact = ContactFactory(account=account, name="Maria")
        assert admin_api.get(url(account, f"contacts/{contact.pk}")).json()["payload"]["name"] == (
            "Maria"
        )
        response = admin_api.put(
            url(account, f"contacts/{contact.pk}"),
            {"name": "Maria Souza", "email": "MARIA@ex.com.br"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["payload"]["email"] == "maria@ex.com.br"
        assert admin_api.delete(url(account, f"contacts/{contact.pk}")).status_code == 200
        assert not Contact.objects.filter(pk=contact.pk).exists()

    def test_conversations_of_a_contact(self, sofia_api, account, inbox, conversation):
        old = make_conversation(inbox, status=Status.RESOLVED)
        elsewhere = InboxFactory(account=account)  # an inbox Sofia does not work in
        make_conversation(
            elsewhere, contact_inbox=ContactInboxFactory(inbox=elsewhere, contact=old.contact)
        )
        body = sofia_api.get(url(account, f"contacts/{old.contact_id}/conversations")).json()
        assert [c["id"] for c in body["payload"]] == [old.display_id]

    def test_conversations_query_count_does_not_grow(
        self, sofia_api, account, inbox, conversation, member, django_assert_num_queries
    ):
        contact = conversation.contact
        agents = [member(f"Agente {n}") for n in range(3)]

        def add(n):
            for i in range(n):
                make_conversation(
                    inbox,
                    status=Status.RESOLVED,
                    assignee=agents[i % 3],
                    labels=("vip", f"etiqueta-{i}"),
                    contact_inbox=ContactInboxFactory(
                        inbox=inbox, contact=contact, source_id=f"{contact.pk}-{n}-{i}"
                    ),
                )

        target = url(account, f"contacts/{contact.pk}/conversations")
        add(2)
        with django_assert_num_queries(6):
            assert len(sofia_api.get(target).json()["payload"]) == 3
        add(20)
        with django_assert_num_queries(6):
            assert len(sofia_api.get(target).json()["payload"]) == 23

    def test_agents_see_the_accounts_contacts(self, sofia_api, account, conversation):
        # As in Chatwoot: contacts are the account's; conversations stay per inbox.
        other = ContactFactory(account=account, name="Sem conversa")
        ContactFactory(name="De outra conta")
        body = sofia_api.get(url(account, "contacts")).json()
        assert {c["id"] for c in body["payload"]} == {conversation.contact_id, other.pk}

    def test_an_agent_can_use_the_contact_she_created(self, sofia_api, account, inbox):
        created = sofia_api.post(
            url(account, "contacts"), {"name": "Nova", "inbox_id": inbox.pk}, format="json"
        ).json()["payload"]["contact"]
        assert sofia_api.get(url(account, f"contacts/{created['id']}")).status_code == 200

    def test_agent_cannot_delete(self, sofia_api, account, conversation):
        response = sofia_api.delete(url(account, f"contacts/{conversation.contact_id}"))
        assert response.status_code == 403
        assert Contact.objects.filter(pk=conversation.contact_id).exists()

    def test_list_query_count_does_not_grow(
        self, admin_api, sofia_api, account, inbox, django_assert_num_queries
    ):
        def add(n):
            for _ in range(n):
                make_conversation(inbox)

        add(3)
        # 5: the token with its membership, the count, the contacts, their contact inboxes, and
        # the API channels' webhook_url of those inboxes.
        with django_assert_num_queries(5):
            assert len(admin_api.get(url(account, "contacts")).json()["payload"]) == 3
        with django_assert_num_queries(5):
            assert len(sofia_api.get(url(account, "contacts")).json()["payload"]) == 3
        add(30)
        with django_assert_num_queries(5):
            assert len(admin_api.get(url(account, "contacts")).json()["payload"]) == 15
        with django_assert_num_queries(5):
            assert len(sofia_api.get(url(account, "contacts")).json()["payload"]) == 15
        with django_assert_num_queries(5):
            admin_api.get(url(account, "contacts/search?q=Cliente&page=2"))


CONTACT_ENDPOINTS = [
    ("get", "contacts/{id}", None),
    ("put", "contacts/{id}", {"name": "Hackeada"}),
    ("get", "contacts/{id}/conversations", None),
]


def test_contact_of_another_inbox_hides_its_conversations_from_an_agent(
    bruno_api, account, conversation
):
    """Bruno works in another inbox: he sees the contact, not the conversation."""
    assert bruno_api.get(url(account, f"contacts/{conversation.contact_id}")).status_code == 200
    listed = bruno_api.get(url(account, f"contacts/{conversation.contact_id}/conversations"))
    assert listed.json()["payload"] == []
    assert (
        bruno_api.get(url(account, f"conversations/{conversation.display_id}")).status_code == 404
    )


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        *CONTACT_ENDPOINTS,
        ("delete", "contacts/{id}", None),
        ("get", "contacts", None),
        ("get", "contacts/search?q=Maria", None),
        ("post", "contacts", {"name": "Intrusa"}),
    ],
)
def test_contacts_are_404_for_another_accounts_user(
    outsider_api, account, conversation, method, path, payload
):
    target = url(account, path.format(id=conversation.contact_id))
    response = getattr(outsider_api, method)(target, payload, format="json")
    assert response.status_code == 404
    assert list(Contact.objects.values_list("name", flat=True)) == ["Maria Souza"]


def test_a_contact_of_another_account_is_404_through_ones_own_account(
    outsider_api, outsider, conversation
):
    target = url(outsider.account, f"contacts/{conversation.contact_id}")
    assert outsider_api.get(target).status_code == 404
    assert outsider_api.delete(target).status_code == 404
    assert Contact.objects.filter(pk=conversation.contact_id).exists()


# --- Canned responses ---------------------------------------------------------------------------


class TestCannedResponses:
    def test_crud_by_an_administrator(self, admin_api, account):
        response = admin_api.post(
            url(account, "canned_responses"),
            {"short_code": "/bomdia", "content": "Bom dia! Como posso ajudar?"},
            format="json",
        )
        assert response.status_code == 200, response.content
        created = response.json()
        assert (created["short_code"], created["account_id"]) == ("bomdia", account.pk)
        target = url(account, f"canned_responses/{created['id']}")
        response = admin_api.patch(target, {"content": "Olá!"}, format="json")
        assert (response.status_code, response.json()["content"]) == (200, "Olá!")
        assert admin_api.put(target, {"short_code": "ola"}, format="json").status_code == 200
        rows = admin_api.get(url(account, "canned_responses")).json()
        assert [(r["short_code"], r["content"]) for r in rows] == [("ola", "Olá!")]
        assert admin_api.delete(target).status_code == 200
        assert not CannedResponse.objects.exists()

    def test_duplicate_short_code_is_422(self, admin_api, account):
        CannedResponse.objects.create(account=account, short_code="bomdia", content="Bom dia")
        response = admin_api.post(
            url(account, "canned_responses"),
            {"short_code": "BomDia", "content": "Outro"},
            format="json",
        )
        assert response.status_code == 422
        assert CannedResponse.objects.count() == 1

    def test_agents_read_and_search(self, sofia_api, account):
        CannedResponse.objects.create(account=account, short_code="bomdia", content="Bom dia")
        CannedResponse.objects.create(account=account, short_code="horario", content="08:30–17:00")
        rows = sofia_api.get(url(account, "canned_responses?search=hora")).json()
        assert [r["short_code"] for r in rows] == ["horario"]

    @pytest.mark.parametrize(
        ("method", "path", "payload"),
        [
            ("post", "canned_responses", {"short_code": "x", "content": "y"}),
            ("patch", "canned_responses/{id}", {"content": "mudado"}),
            ("put", "canned_responses/{id}", {"content": "mudado"}),
            ("delete", "canned_responses/{id}", None),
        ],
    )
    def test_agents_cannot_write(self, sofia_api, account, method, path, payload):
        row = CannedResponse.objects.create(account=account, short_code="bomdia", content="Bom dia")
        response = getattr(sofia_api, method)(
            url(account, path.format(id=row.pk)), payload, format="json"
        )
        assert response.status_code == 403
        assert list(CannedResponse.objects.values_list("short_code", "content")) == [
            ("bomdia", "Bom dia")
        ]

    @pytest.mark.parametrize(
        ("method", "path", "payload"),
        [
            ("get", "canned_responses", None),
            ("post", "canned_responses", {"short_code": "x", "content": "y"}),
            ("patch", "canned_responses/{id}", {"content": "mudado"}),
            ("delete", "canned_responses/{id}", None),
        ],
    )
    def test_another_accounts_user_gets_404(
        self, outsider_api, outsider, account, method, path, payload
    ):
        row = CannedResponse.objects.create(account=account, short_code="bomdia", content="Bom dia")
        response = getattr(outsider_api, method)(
            url(account, path.format(id=row.pk)), payload, format="json"
        )
        assert response.status_code == 404, response.content
        if "{id}" in path:  # nor through their own account
            response = getattr(outsider_api, method)(
                url(outsider.account, path.format(id=row.pk)), payload, format="json"
            )
            assert response.status_code == 404, response.content
        assert list(
            CannedResponse.objects.filter(account=account).values_list("short_code", "content")
        ) == [("bomdia", "Bom dia")]

    def test_list_query_count_does_not_grow(self, sofia_api, account, django_assert_num_queries):
        def add(n, start):
            for i in range(start, start + n):
                CannedResponse.objects.create(account=account, short_code=f"c{i}", content="...")

        add(3, 0)
        with django_assert_num_queries(2):
            assert len(sofia_api.get(url(account, "canned_responses")).json()) == 3
        add(30, 3)
        with django_assert_num_queries(2):
            assert len(sofia_api.get(url(account, "canned_responses")).json()) == 33


def test_contact_list_and_canned_are_per_account(admin_api, account, other_account):
    ContactFactory(account=other_account, name="Deles")
    CannedResponse.objects.create(account=other_account, short_code="deles", content="x")
    assert admin_api.get(url(account, "contacts")).json()["payload"] == []
    assert admin_api.get(url(account, "canned_responses")).json() == []


def test_direct_representation_matches_the_declared_fields(admin_api, account, conversation):
    """The fast renderer must produce exactly the fields the schema documents."""
    from conversations.api.serializers import ContactSerializer, ConversationSerializer

    body = admin_api.get(url(account, f"conversations/{conversation.display_id}")).json()
    assert list(body) == ConversationSerializer.Meta.fields
    assert list(body["meta"]["sender"]) == ContactSerializer.Meta.fields
