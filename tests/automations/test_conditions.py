"""The condition grammar, both faces: every attribute × operator decides the same in memory (one
conversation) and as a queryset filter (many); AND/OR in Chatwoot's order; validation that names
the row and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from automations.conditions import Facts, build_q, changes_from, evaluate, validate
from conversations import services
from conversations.models import Contact, Conversation, ConversationLabel, Label, Message
from inboxes.schedule import CLOSED, DayHours
from inboxes.services import inbox_schedule_set
from nexloo.core.errors import ValidationError
from tests.factories import (
    AccountUserFactory,
    ContactFactory,
    ContactInboxFactory,
    ConversationFactory,
    InboxFactory,
    TeamFactory,
)
from tests.inboxes.schedules import CENARIO_4, hours

pytestmark = pytest.mark.django_db
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SAO_PAULO)  # a Monday, 10:00: open


@pytest.fixture
def world(account, admin):
    inbox = InboxFactory(account=account, name="WhatsApp")
    reception = TeamFactory(account=account, name="Recepção")
    sales = TeamFactory(account=account, name="Comercial")
    sofia = AccountUserFactory(account=account, user__name="Sofia")
    carlos = AccountUserFactory(account=account, user__name="Carlos")
    vip = Label.objects.create(account=account, title="vip")
    bug = Label.objects.create(account=account, title="bug")

    def conversation(name, phone, email, contact_custom=None, **fields):
        contact = ContactFactory(
            account=account,
            name=name,
            phone_number=phone,
            email=email,
            custom_attributes=contact_custom or {},
        )
        return ConversationFactory(
            contact_inbox=ContactInboxFactory(inbox=inbox, contact=contact), **fields
        )

    with time_machine.travel(NOW, tick=False):
        a = conversation(
            "Mariana Souza",
            "+5511987650001",
            "mariana@exemplo.com.br",
            {"cidade": "Campinas", "compras": 7},
            status="open",
            priority="high",
            team=reception,
            assignee=sofia,
            custom_attributes={"plano": "ouro", "pedidos": 12},
            created_at=NOW - timedelta(days=10),
        )
        b = conversation("João Pereira", "+5521912340002", "", status="pending", created_at=NOW)
        c = conversation(
            "Ana Mariana",
            "+5511912340003",
            "ana@outra.com.br",
            {"cidade": "São Paulo", "compras": 2},
            status="resolved",
            priority="low",
            team=sales,
            assignee=carlos,
            custom_attributes={"pedidos": 3},
            created_at=NOW - timedelta(days=2),
        )
    ConversationLabel.objects.create(account=account, conversation=a, label=vip)
    ConversationLabel.objects.create(account=account, conversation=c, label=bug)
    return {
        "account": account,
        "inbox": inbox,
        "reception": reception,
        "sales": sales,
        "sofia": sofia,
        "carlos": carlos,
        "A": a,
        "B": b,
        "C": c,
    }


def cond(key, op, values=(), join="and", custom=None):
    row = {
        "attribute_key": key,
        "filter_operator": op,
        "values": list(values),
        "query_operator": join,
    }
    if custom:
        row["custom_attribute_type"] = custom
    return row


def both_faces(world, conditions, at=NOW):
    """Which of A, B, C match: in memory and as a filter. Asserts that they agree."""
    account = world["account"]
    rows = validate(conditions, account_id=account.pk, event="conversation_updated")
    conversations = {
        name: Conversation.objects.select_related(
            "contact", "inbox", "assignee__user", "account"
        ).get(pk=world[name].pk)
        for name in "ABC"
    }
    in_memory = {
        name for name, c in conversations.items() if evaluate(rows, Facts(conversation=c, at=at))
    }
    by_pk = {c.pk: name for name, c in conversations.items()}
    q = build_q(conditions, account_id=account.pk, tz=account.timezone, at=at)
    filtered = {
        by_pk[pk]
        for pk in Conversation.objects.for_account(account).filter(q).values_list("pk", flat=True)
    }
    assert in_memory == filtered, (conditions, in_memory, filtered)
    return in_memory


FIVE_DAYS_AGO = (NOW - timedelta(days=5)).date().isoformat()
CASES = [
    # status
    (cond("status", "equal_to", ["open"]), {"A"}),
    (cond("status", "equal_to", ["open", "pending"]), {"A", "B"}),
    (cond("status", "not_equal_to", ["open"]), {"B", "C"}),
    # priority
    (cond("priority", "equal_to", ["high"]), {"A"}),
    (cond("priority", "not_equal_to", ["high"]), {"B", "C"}),
    (cond("priority", "is_present"), {"A", "C"}),
    (cond("priority", "is_not_present"), {"B"}),
    # contact
    (cond("name", "equal_to", ["mariana SOUZA"]), {"A"}),
    (cond("name", "not_equal_to", ["Mariana Souza"]), {"B", "C"}),
    (cond("name", "contains", ["mariana"]), {"A", "C"}),
    (cond("name", "does_not_contain", ["mariana"]), {"B"}),
    (cond("name", "starts_with", ["mar"]), {"A"}),
    (cond("name", "is_present"), {"A", "B", "C"}),
    (cond("name", "is_not_present"), set()),
    (cond("phone_number", "starts_with", ["+5511"]), {"A", "C"}),
    (cond("phone_number", "contains", ["98765"]), {"A"}),
    (cond("phone_number", "equal_to", ["+5521912340002"]), {"B"}),
    (cond("email", "equal_to", ["MARIANA@exemplo.com.br"]), {"A"}),
    (cond("email", "not_equal_to", ["mariana@exemplo.com.br"]), {"B", "C"}),
    (cond("email", "starts_with", ["ANA@"]), {"C"}),
    (cond("email", "contains", ["exemplo"]), {"A"}),
    (cond("email", "does_not_contain", ["exemplo"]), {"B", "C"}),
    (cond("email", "is_present"), {"A", "C"}),
    (cond("email", "is_not_present"), {"B"}),
    # dates
    (cond("created_at", "is_greater_than", [FIVE_DAYS_AGO]), {"B", "C"}),
    (cond("created_at", "is_less_than", [FIVE_DAYS_AGO]), {"A"}),
    (cond("created_at", "days_before", [5]), {"A"}),
    # custom attributes of the conversation and of the contact
    (cond("plano", "equal_to", ["OURO"], custom="conversation_attribute"), {"A"}),
    (cond("plano", "not_equal_to", ["ouro"], custom="conversation_attribute"), {"B", "C"}),
    (cond("plano", "contains", ["ur"], custom="conversation_attribute"), {"A"}),
    (cond("plano", "does_not_contain", ["ur"], custom="conversation_attribute"), {"B", "C"}),
    (cond("plano", "starts_with", ["ou"], custom="conversation_attribute"), {"A"}),
    (cond("plano", "is_present", custom="conversation_attribute"), {"A"}),
    (cond("plano", "is_not_present", custom="conversation_attribute"), {"B", "C"}),
    (cond("pedidos", "is_greater_than", [5], custom="conversation_attribute"), {"A"}),
    (cond("pedidos", "is_less_than", [5], custom="conversation_attribute"), {"C"}),
    (cond("pedidos", "equal_to", ["12"], custom="conversation_attribute"), {"A"}),
    (cond("cidade", "equal_to", ["campinas"], custom="contact_attribute"), {"A"}),
    (cond("cidade", "not_equal_to", ["campinas"], custom="contact_attribute"), {"B", "C"}),
    (cond("cidade", "contains", ["PAULO"], custom="contact_attribute"), {"C"}),
    (cond("cidade", "does_not_contain", ["paulo"], custom="contact_attribute"), {"A", "B"}),
    (cond("cidade", "starts_with", ["cam"], custom="contact_attribute"), {"A"}),
    (cond("cidade", "is_present", custom="contact_attribute"), {"A", "C"}),
    (cond("cidade", "is_not_present", custom="contact_attribute"), {"B"}),
    (cond("compras", "is_greater_than", [5], custom="contact_attribute"), {"A"}),
    (cond("compras", "is_less_than", [5], custom="contact_attribute"), {"C"}),
    (cond("compras", "equal_to", ["2"], custom="contact_attribute"), {"C"}),
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    CASES,
    ids=[f"{c['attribute_key']}-{c['filter_operator']}-{c['values']}" for c, _ in CASES],
)
def test_each_attribute_and_operator_on_both_faces(world, condition, expected):
    assert both_faces(world, [condition]) == expected


def test_phone_operators_with_a_contact_without_a_phone(world):
    Contact.objects.filter(pk=world["B"].contact_id).update(phone_number="")
    assert both_faces(world, [cond("phone_number", "not_equal_to", ["+5511987650001"])]) == {
        "B",
        "C",
    }
    assert both_faces(world, [cond("phone_number", "does_not_contain", ["98765"])]) == {"B", "C"}
    assert both_faces(world, [cond("phone_number", "does_not_contain", ["+55"])]) == {"B"}
    assert both_faces(world, [cond("phone_number", "is_present")]) == {"A", "C"}
    assert both_faces(world, [cond("phone_number", "is_not_present")]) == {"B"}


def test_ids_teams_agents_inboxes_and_labels(world):
    rec, sofia, inbox = world["reception"], world["sofia"], world["inbox"]
    assert both_faces(world, [cond("team_id", "equal_to", [rec.pk])]) == {"A"}
    assert both_faces(world, [cond("team_id", "not_equal_to", [rec.pk])]) == {"B", "C"}
    assert both_faces(world, [cond("team_id", "is_present")]) == {"A", "C"}
    assert both_faces(world, [cond("team_id", "is_not_present")]) == {"B"}
    assert both_faces(world, [cond("assignee_id", "equal_to", [sofia.user_id])]) == {"A"}
    assert both_faces(world, [cond("assignee_id", "not_equal_to", [sofia.user_id])]) == {
        "B",
        "C",
    }
    assert both_faces(world, [cond("assignee_id", "is_present")]) == {"A", "C"}
    assert both_faces(world, [cond("assignee_id", "is_not_present")]) == {"B"}
    assert both_faces(world, [cond("inbox_id", "equal_to", [inbox.pk])]) == {"A", "B", "C"}
    assert both_faces(world, [cond("inbox_id", "not_equal_to", [inbox.pk])]) == set()
    assert both_faces(world, [cond("labels", "equal_to", ["vip"])]) == {"A"}
    assert both_faces(world, [cond("labels", "equal_to", ["vip", "bug"])]) == {"A", "C"}
    assert both_faces(world, [cond("labels", "not_equal_to", ["vip"])]) == {"B", "C"}
    assert both_faces(world, [cond("labels", "is_present")]) == {"A", "C"}
    assert both_faces(world, [cond("labels", "is_not_present")]) == {"B"}


def test_within_business_hours_follows_the_inbox_hours(world, admin):
    inbox_schedule_set(
        account=world["account"], actor=admin, inbox=world["inbox"], weekly=CENARIO_4, enabled=True
    )
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=SAO_PAULO)
    within = [cond("within_business_hours", "equal_to", [True])]
    outside = [cond("within_business_hours", "equal_to", ["false"])]
    assert both_faces(world, within, at=NOW) == {"A", "B", "C"}
    assert both_faces(world, outside, at=NOW) == set()
    assert both_faces(world, within, at=sunday) == set()
    assert both_faces(world, outside, at=sunday) == {"A", "B", "C"}


def test_within_business_hours_follows_the_inbox_dated_exceptions(world, admin):
    """A holiday closes an open weekday; special hours open a Sunday; other days keep the week."""
    monday_holiday = NOW.date()  # 2026-11-30
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=SAO_PAULO)
    tuesday = NOW + timedelta(days=1)
    inbox_schedule_set(
        account=world["account"],
        actor=admin,
        inbox=world["inbox"],
        weekly=CENARIO_4,
        exceptions={
            monday_holiday: (DayHours(mode=CLOSED), "Feriado"),
            sunday.date(): (hours(("09:00", "12:00")), "Plantão"),
        },
        enabled=True,
    )
    within = [cond("within_business_hours", "equal_to", [True])]
    outside = [cond("within_business_hours", "equal_to", [False])]
    assert both_faces(world, within, at=NOW) == set()  # Monday 10:00, but a holiday
    assert both_faces(world, outside, at=NOW) == {"A", "B", "C"}
    assert both_faces(world, within, at=sunday) == {"A", "B", "C"}  # the Sunday shift
    assert both_faces(world, within, at=sunday + timedelta(hours=3)) == set()  # 13:00
    assert both_faces(world, within, at=tuesday) == {"A", "B", "C"}  # the week as usual


def test_and_binds_before_or_in_the_rows_order(world):
    # open AND low  OR  team Comercial  =  (A∧✗) ∨ C
    rows = [
        cond("status", "equal_to", ["open"]),
        cond("priority", "equal_to", ["low"], join="or"),
        cond("team_id", "equal_to", [world["sales"].pk]),
    ]
    rows[0]["query_operator"] = "and"
    assert both_faces(world, rows) == {"C"}
    # open OR pending AND with a team  =  A ∨ (B∧✗)
    rows = [
        cond("status", "equal_to", ["open"], join="or"),
        cond("status", "equal_to", ["pending"]),
        cond("team_id", "is_present"),
    ]
    assert both_faces(world, rows) == {"A"}
    # No conditions: every conversation.
    assert both_faces(world, []) == {"A", "B", "C"}


def test_message_attributes_and_changes_in_memory(world):
    conversation = Conversation.objects.select_related("contact", "inbox", "account").get(
        pk=world["A"].pk
    )
    message = Message(content="Tenho um BUG no pedido", message_type="incoming")
    account_id = world["account"].pk

    def check(conditions, **facts):
        rows = validate(conditions, account_id=account_id, event=facts.pop("event"))
        return evaluate(rows, Facts(conversation=conversation, **facts))

    ev = "message_created"
    assert check([cond("content", "contains", ["bug"])], message=message, event=ev)
    assert not check([cond("content", "does_not_contain", ["bug"])], message=message, event=ev)
    assert check([cond("content", "starts_with", ["tenho"])], message=message, event=ev)
    assert check(
        [cond("content", "equal_to", ["tenho um bug no pedido"])], message=message, event=ev
    )
    assert check([cond("content", "not_equal_to", ["oi"])], message=message, event=ev)
    assert check([cond("message_type", "equal_to", ["incoming"])], message=message, event=ev)
    assert not check(
        [cond("message_type", "not_equal_to", ["incoming"])], message=message, event=ev
    )
    changed = changes_from([{"status": {"previous_value": "open", "current_value": "resolved"}}])
    to_resolved = {
        "attribute_key": "status",
        "filter_operator": "attribute_changed",
        "values": {"from": ["open"], "to": ["resolved"]},
    }
    assert check([to_resolved], changed=changed, event="conversation_updated")
    assert not check([to_resolved], changed={}, event="conversation_updated")
    reopened = {**to_resolved, "values": {"from": ["resolved"], "to": ["open"]}}
    assert not check([reopened], changed=changed, event="conversation_updated")


def notes(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, private=True)
        .order_by("pk")
        .values_list("content", flat=True)
    )


def changed_rule(rule, key, name, *, to, from_=()):
    return rule(
        "conversation_updated",
        name=name,
        conditions=[
            {
                "attribute_key": key,
                "filter_operator": "attribute_changed",
                "values": {"from": list(from_), "to": list(to)},
            }
        ],
        actions=[{"action_name": "add_private_note", "action_params": [name]}],
    )


def test_attribute_changed_end_to_end_through_the_events(
    account, admin, inbox, scenario, rule, open_new, django_capture_on_commit_callbacks
):
    """Priority, team and assignee changes made by a person reach the rules as the event's
    changed_attributes (the listener, the task, the engine), and only the change named matches."""
    inbox.enable_auto_assignment = False  # only the changes this test makes
    inbox.save()
    scenario["sales"].allow_auto_assign = False
    scenario["sales"].save()
    conversation = open_new()
    sales, reception = scenario["sales"], scenario["reception"]
    camila, caio = scenario["comercial2"], scenario["comercial3"]
    changed_rule(rule, "priority", "Ficou urgente", to=["urgent"])
    changed_rule(rule, "team_id", "Foi para o Comercial", to=[sales.pk])
    changed_rule(
        rule, "assignee_id", "Da Camila para o Caio", from_=[camila.user_id], to=[caio.user_id]
    )

    def as_admin(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            service(account=account, actor=admin, conversation=conversation, **kwargs)

    as_admin(services.conversation_priority_set, priority="low")
    assert notes(conversation) == []
    as_admin(services.conversation_priority_set, priority="urgent")
    assert notes(conversation) == ["Ficou urgente"]
    as_admin(services.conversation_priority_set, priority="high")  # from urgent: no match
    as_admin(services.conversation_assign_agent, assignee=caio)  # from nobody: no match
    as_admin(services.conversation_assign_agent, assignee=camila)
    assert notes(conversation) == ["Ficou urgente"]
    as_admin(services.conversation_assign_agent, assignee=caio)
    assert notes(conversation) == ["Ficou urgente", "Da Camila para o Caio"]
    as_admin(services.conversation_assign_team, team=reception)  # Caio leaves: unassigned
    assert notes(conversation) == ["Ficou urgente", "Da Camila para o Caio"]
    as_admin(services.conversation_assign_team, team=sales)
    assert notes(conversation) == ["Ficou urgente", "Da Camila para o Caio", "Foi para o Comercial"]


def test_the_conversation_opened_event(
    account, admin, scenario, rule, open_new, django_capture_on_commit_callbacks
):
    """Conversa Aberta: a conversation that becomes open (from pending or resolved), not one
    created open nor one that stays open."""
    opened = rule(
        "conversation_opened",
        name="Aberta",
        actions=[{"action_name": "add_private_note", "action_params": ["Aberta de novo"]}],
    )
    conversation = open_new()
    assert not opened.runs.exists()

    def status(value):
        with django_capture_on_commit_callbacks(execute=True):
            services.conversation_status_set(
                account=account, actor=admin, conversation=conversation, status=value
            )

    status("pending")
    assert notes(conversation) == []
    status("open")
    assert notes(conversation) == ["Aberta de novo"]
    status("open")  # already open
    assert notes(conversation) == ["Aberta de novo"]
    status("resolved")
    status("open")
    assert notes(conversation) == ["Aberta de novo"] * 2
    assert opened.runs.filter(matched=True).count() == 2


def validation_error(conditions, account, event="conversation_created"):
    with pytest.raises(ValidationError) as exc, translation.override("pt-br"):
        validate(conditions, account_id=account.pk, event=event)
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


def test_validation_names_the_row_and_the_problem(world, other_account):
    account = world["account"]
    ok = cond("status", "equal_to", ["open"])
    assert validation_error([ok, cond("cor", "equal_to", ["azul"])], account) == {
        "conditions[1].attribute_key": "Atributo desconhecido: cor."
    }
    assert (
        "não serve para Situação"
        in validation_error([cond("status", "contains", ["ab"])], account)[
            "conditions[0].filter_operator"
        ]
    )
    assert validation_error([cond("status", "equal_to", ["aberta"])], account) == {
        "conditions[0].values": "aberta não é uma das opções."
    }
    assert validation_error([cond("status", "equal_to", [])], account) == {
        "conditions[0].values": "Escolha ou digite um valor."
    }
    assert validation_error([cond("team_id", "equal_to", ["x"])], account) == {
        "conditions[0].values": "Informe os ids como números inteiros."
    }
    foreign = TeamFactory(account=other_account, name="Deles")
    assert validation_error([ok, cond("team_id", "equal_to", [foreign.pk])], account) == {
        "conditions[1].values": f"{foreign.pk} não pertence a esta conta."
    }
    foreign_agent = AccountUserFactory(account=other_account)
    assert (
        "não pertence"
        in validation_error([cond("assignee_id", "equal_to", [foreign_agent.user_id])], account)[
            "conditions[0].values"
        ]
    )
    foreign_inbox = InboxFactory(account=other_account)
    assert (
        "não pertence"
        in validation_error([cond("inbox_id", "equal_to", [foreign_inbox.pk])], account)[
            "conditions[0].values"
        ]
    )
    Label.objects.create(account=other_account, title="deles")
    assert validation_error([cond("labels", "equal_to", ["deles"])], account) == {
        "conditions[0].values": "Não existe a etiqueta deles."
    }
    assert validation_error([cond("created_at", "days_before", ["três"])], account) == {
        "conditions[0].values": "Informe um número de dias."
    }
    assert validation_error(
        [cond("pedidos", "is_greater_than", ["muitos"], custom="conversation_attribute")], account
    ) == {"conditions[0].values": "Informe um número."}
    assert validation_error([cond("within_business_hours", "equal_to", ["talvez"])], account) == {
        "conditions[0].values": "Escolha sim ou não."
    }
    assert (
        "Mensagem Criada"
        in validation_error([cond("content", "contains", ["oi"])], account)[
            "conditions[0].attribute_key"
        ]
    )
    assert (
        "Conversa Atualizada"
        in validation_error(
            [{"attribute_key": "status", "filter_operator": "attribute_changed", "values": {}}],
            account,
        )["conditions[0].filter_operator"]
    )
    assert validation_error([cond("status", "equal_to", ["open"], join="xor")], account) == {
        "conditions[0].query_operator": "Junte as condições com E ou OU."
    }
    assert validation_error(
        [cond("a__b", "equal_to", ["x"], custom="conversation_attribute")], account
    ) == {
        "conditions[0].attribute_key": (
            "A chave de um atributo personalizado tem apenas letras, dígitos e _."
        )
    }


def test_the_filter_face_refuses_what_only_a_rule_can_see(world):
    with pytest.raises(ValidationError) as exc:
        build_q([cond("content", "contains", ["oi"])], account_id=world["account"].pk)
    assert "conditions[0].attribute_key" in exc.value.message_dict
    with timezone.override("UTC"):
        assert build_q([], account_id=world["account"].pk) is not None


def test_the_filter_face_over_contacts(world):
    """The face issue 11 reuses for Chatwoot's contacts/filter: contact attributes only."""
    from conversations.models import Contact

    account = world["account"]
    rows = [
        cond("name", "contains", ["mariana"], join="and"),
        cond("cidade", "equal_to", ["campinas"], custom="contact_attribute"),
    ]
    q = build_q(rows, account_id=account.pk, target="contact")
    assert list(Contact.objects.for_account(account).filter(q).values_list("name", flat=True)) == [
        "Mariana Souza"
    ]
    unfit_rows = (
        cond("status", "equal_to", ["open"]),
        cond("x", "equal_to", ["y"], custom="conversation_attribute"),
    )
    for unfit in unfit_rows:
        with pytest.raises(ValidationError) as exc:
            build_q([unfit], account_id=account.pk, target="contact")
        assert "conditions[0].attribute_key" in exc.value.message_dict
