"""Every action a rule can do, through the services a person would use, with the rule named as
the performer; and their validation (ids of another account, empty lists)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import translation

from automations import services as rule_services
from automations import tasks as rule_tasks
from automations.actions import validate_actions
from automations.models import AutomationRun
from conversations import services
from conversations.models import Conversation, ConversationLabel, Label, Message
from conversations.services import IncomingMessage
from nexloo.core import webhooks
from nexloo.core.errors import ValidationError
from tests.factories import AccountUserFactory, InboxFactory, TeamFactory, TeamMemberFactory
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on this machine
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def run_on(rule, open_new):
    """Creates a conversation_created rule with `actions` and opens a conversation for it."""

    def _run(*actions, **contact):
        made = rule(actions=list(actions), name="Regra de teste")
        conversation = open_new(**contact)
        return made, Conversation.objects.get(pk=conversation.pk)

    return _run


def act(name, *params):
    return {"action_name": name, "action_params": list(params)}


def lines(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, message_type="activity")
        .order_by("pk")
        .values_list("content", flat=True)
    )


def test_assign_team_and_unassign(scenario, run_on):
    _rule, conversation = run_on(act("assign_team", scenario["sales"].pk))
    assert conversation.team == scenario["sales"]
    assert conversation.assignee.team_memberships.filter(team=scenario["sales"]).exists()
    assert lines(conversation)[0] == "Atribuída ao time Comercial por Automação (Regra de teste)"


def test_assign_team_nil_and_assign_agent_nil_take_the_conversation_out(
    account, admin, inbox, scenario, rule, open_new, django_capture_on_commit_callbacks
):
    inbox.enable_auto_assignment = False  # nobody picks it up again afterwards
    inbox.save()
    conversation = open_new()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_forward(
            account=account,
            actor=admin,
            conversation=conversation,
            team=scenario["sales"],
            assignee=scenario["comercial1"],
        )
    rule(
        "conversation_updated",
        name="Devolve",
        conditions=[
            {"attribute_key": "priority", "filter_operator": "equal_to", "values": ["low"]}
        ],
        actions=[act("assign_team", "nil"), act("assign_agent", "nil")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_priority_set(
            account=account, actor=admin, conversation=conversation, priority="low"
        )
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (None, None)
    run = AutomationRun.objects.get(rule__name="Devolve")
    assert run.actions_done == ["assign_team:-", "assign_agent:-"] and not run.error
    assert lines(conversation)[-2:] == [
        "Removida do time Comercial por Automação (Devolve)",
        "Atribuição da conversa removida por Automação (Devolve)",
    ]


def test_assign_agent_member_or_administrator_only(account, admin, scenario, rule, open_new):
    rule(actions=[act("assign_agent", scenario["comercial2"].user_id)])
    conversation = open_new()
    assert conversation.assignee == scenario["comercial2"]
    assert lines(conversation) == ["Conversa atribuída a Camila Comercial por Automação (Regra)"]
    # Someone of the account outside the inbox: the rule's run records why, nothing changes.
    outsider = AccountUserFactory(account=account, user__name="Fora da Caixa")
    rule(name="Fora", actions=[act("assign_agent", outsider.user_id)])
    second = open_new()
    run = AutomationRun.objects.get(conversation=second, rule__name="Fora")
    assert "não trabalha nesta caixa" in run.error or "does not work" in run.error
    assert Conversation.objects.get(pk=second.pk).assignee != outsider


def test_labels_added_and_removed(account, scenario, rule, open_new):
    for title in ("vip", "novo"):
        Label.objects.create(account=account, title=title)
    rule(actions=[act("add_label", "vip", "novo")])
    rule(name="Tira", actions=[act("remove_label", "novo")])
    conversation = open_new()
    assert set(
        ConversationLabel.objects.filter(conversation=conversation).values_list(
            "label__title", flat=True
        )
    ) == {"vip"}


def test_send_message_and_private_note(scenario, run_on):
    _rule, conversation = run_on(
        act("send_message", "Olá! Recebemos sua mensagem."),
        act("add_private_note", "Cliente novo"),
    )
    reply = Message.objects.get(conversation=conversation, content="Olá! Recebemos sua mensagem.")
    assert (reply.private, reply.sender_type, reply.sender_name) == (
        False,
        "automation_rule",
        "Regra de teste",
    )
    assert reply.status == "sent"  # delivered through the inbox's channel
    note = Message.objects.get(conversation=conversation, content="Cliente novo")
    assert note.private


def test_status_actions_and_priority(
    account, admin, scenario, rule, open_new, django_capture_on_commit_callbacks
):
    rule(actions=[act("change_priority", "urgent"), act("snooze_conversation")])
    conversation = open_new()
    assert (conversation.priority, conversation.status) == ("urgent", "snoozed")
    assert "Conversa adiada até a próxima resposta por Automação (Regra)" in lines(conversation)
    rule(
        "message_created",
        name="Resolve",
        actions=[act("resolve_conversation"), act("change_priority", "nil")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(conversation=conversation, incoming=IncomingMessage(content="Oi"))
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.status) == ("", "resolved")
    assert lines(conversation)[-1] == "Prioridade removida por Automação (Resolve)"
    rule("conversation_resolved", name="Reabre", actions=[act("open_conversation")])
    other = open_new()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_status_set(
            account=account, actor=admin, conversation=other, status="resolved"
        )
    other.refresh_from_db()
    assert other.status == "open"
    assert "Conversa reaberta por Automação (Reabre)" in lines(other)


def test_emails_to_the_team_and_the_transcript(account, scenario, rule, open_new):
    rule(
        actions=[
            act(
                "send_email_to_team",
                {"message": "Nova conversa!", "team_ids": [scenario["reception"].pk]},
            ),
            act("send_email_transcript", "gerente@empresa.com.br"),
        ]
    )
    open_new()
    sent = {tuple(m.to): m for m in mail.outbox}
    assert "Nova conversa!" in sent[(scenario["secretaria"].user.email,)].body
    assert ("gerente@empresa.com.br",) in sent
    assert "Transcrição da conversa" in sent[("gerente@empresa.com.br",)].subject


def test_no_email_to_a_team_member_who_has_not_accepted_yet(account, scenario, rule, open_new):
    """The conversation's content is not sent to someone invited who has no access yet."""
    invited = AccountUserFactory(account=account, accepted_at=None)
    TeamMemberFactory(team=scenario["reception"], account_user=invited)
    rule(
        actions=[
            act(
                "send_email_to_team",
                {"message": "Nova conversa!", "team_ids": [scenario["reception"].pk]},
            )
        ]
    )
    open_new()
    recipients = {address for m in mail.outbox for address in m.to}
    assert recipients == {scenario["secretaria"].user.email}


def test_webhook_signed_and_never_to_private_addresses(
    account, scenario, rule, open_new, receiver, settings
):
    made = rule(actions=[act("send_webhook_event", receiver.url)])
    conversation = open_new()
    body = json.loads(receiver.received[-1]["body"])
    assert body["event"] == "conversation_created" and body["id"] == conversation.display_id
    headers = receiver.received[-1]["headers"]
    expected = hmac.new(
        made.webhook_secret.encode(),
        headers["X-Chatwoot-Timestamp"].encode() + b"." + receiver.received[-1]["body"],
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Chatwoot-Signature"] == f"sha256={expected}"
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(webhooks.WebhookRefused):
        webhooks.post(receiver.url, {}, secret="x")
    for url in ("http://127.0.0.1:9/", "http://10.0.0.5/", "http://localhost/", "ftp://x.com/"):
        with pytest.raises(ValidationError):
            validate_actions([act("send_webhook_event", url)], account_id=account.pk)


def test_a_webhook_receiver_that_is_down_is_tried_again_with_the_same_delivery_id(
    account, admin, receiver
):
    made = rule_services.rule_create(
        account=account,
        actor=admin,
        name="Webhook",
        event_name="conversation_created",
        actions=[act("send_webhook_event", receiver.url)],
    )
    assert rule_tasks.send_webhook.max_retries == 6 and rule_tasks.send_webhook.retry_backoff
    receiver.fail = 2
    args = [made.pk, receiver.url, {"event": "conversation_created"}]
    for attempt in range(2):  # as the broker redelivers a retried task: same id, one more retry
        with pytest.raises(Retry):
            rule_tasks.send_webhook.apply(args=args, retries=attempt, task_id="d-1").get()
    assert rule_tasks.send_webhook.apply(args=args, retries=2, task_id="d-1").get() == 200
    assert [r["headers"]["X-Chatwoot-Delivery"] for r in receiver.received] == ["d-1"] * 3


def test_a_webhook_receiver_that_never_answers_times_out_and_is_tried_again(
    account, admin, settings
):
    """A server that takes the connection and says nothing: the post gives up after
    WEBHOOK_TIMEOUT_SECONDS, as a transient error (the task retries), instead of holding the
    worker."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody reads
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    try:
        with pytest.raises(webhooks.TransientWebhookError, match="timed out"):
            webhooks.post(url, {"event": "conversation_created"}, secret="x")
        made = rule_services.rule_create(
            account=account,
            actor=admin,
            name="Webhook",
            event_name="conversation_created",
            actions=[act("send_webhook_event", url)],
        )
        with pytest.raises(Retry):
            rule_tasks.send_webhook.apply(args=[made.pk, url, {"event": "x"}], task_id="d-2").get()
    finally:
        silent.close()


def actions_error(actions, account) -> dict:
    with pytest.raises(ValidationError) as exc, translation.override("pt-br"):
        validate_actions(actions, account_id=account.pk)
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


def test_action_validation(account, other_account, scenario):
    assert actions_error([], account) == {"actions": "Adicione ao menos uma ação."}
    assert actions_error([act("apagar_tudo")], account) == {
        "actions[0].action_name": "Ação desconhecida: apagar_tudo."
    }
    theirs = TeamFactory(account=other_account, name="Deles")
    assert actions_error([act("resolve_conversation"), act("assign_team", theirs.pk)], account) == {
        "actions[1].action_params": "Escolha um dos times desta conta."
    }
    assert actions_error([act("assign_team")], account) == {
        "actions[0].action_params": "Escolha um dos times desta conta."
    }
    their_agent = AccountUserFactory(account=other_account)
    assert actions_error([act("assign_agent", their_agent.user_id)], account) == {
        "actions[0].action_params": "Escolha um dos agentes desta conta."
    }
    Label.objects.create(account=other_account, title="deles")
    assert actions_error([act("add_label", "deles")], account) == {
        "actions[0].action_params": "Não existe a etiqueta deles."
    }
    assert actions_error([act("send_message", "  ")], account) == {
        "actions[0].action_params": "Escreva a mensagem."
    }
    assert actions_error([act("send_email_transcript", "não é e-mail")], account) == {
        "actions[0].action_params": "não é e-mail não é um endereço de e-mail."
    }
    assert actions_error([act("change_priority", "altíssima")], account) == {
        "actions[0].action_params": "Escolha uma prioridade."
    }
    InboxFactory(account=other_account)
    assert validate_actions([act("assign_team", "nil")], account_id=account.pk) == [
        {"action_name": "assign_team", "action_params": [None]}
    ]


def test_mute_action_resolves_and_keeps_the_next_message_quiet(scenario, rule, open_new):
    rule(actions=[act("mute_conversation")], name="Silencia")
    conversation = open_new()
    assert conversation.status == "resolved"
    assert conversation.is_muted()
    assert lines(conversation)[-1] == "Conversa silenciada por Automação (Silencia)"
    message, created = services.inbound_message(
        inbox=conversation.inbox,
        contact_source_id=conversation.contact_inbox.source_id,
        message=IncomingMessage(content="Oi de novo", source_id="wamid.mute-1"),
    )
    assert created and message.conversation_id == conversation.pk
    assert Conversation.objects.get(pk=conversation.pk).status == "resolved"


TEAM_GONE = "O time desta ação não existe mais."
AGENT_GONE = "O agente desta ação não está mais na conta."


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ({"action_name": "assign_agent", "action_params": [99999999999999999999]}, AGENT_GONE),
        ({"action_name": "assign_team", "action_params": [99999999999999999999]}, TEAM_GONE),
        ({"action_name": "assign_agent", "action_params": ["abc"]}, AGENT_GONE),
        ({"action_name": "assign_team", "action_params": [["1"]]}, TEAM_GONE),
        (
            {
                "action_name": "send_email_to_team",
                "action_params": [{"message": "Oi", "team_ids": [99999999999999999999]}],
            },
            TEAM_GONE,
        ),
    ],
    ids=["agent", "team", "agent-as-letters", "team-as-list", "email-team"],
)
def test_a_stored_rule_with_an_unreadable_id_records_the_error_in_its_run(
    account, scenario, rule, open_new, action, error
):
    """Written before validation refused it (or by hand): the run says why at once (no
    retries), and the conversation still gets its agent from the inbox's round robin."""
    from automations.models import AutomationRule
    from automations.selectors import rules_version_bump

    made = rule(actions=[{"action_name": "resolve_conversation"}], name="Regra antiga")
    AutomationRule.objects.filter(pk=made.pk).update(actions=[action])
    rules_version_bump(account.pk)
    conversation = open_new()
    run = AutomationRun.objects.get(rule=made, conversation=conversation)
    assert (run.matched, run.actions_done, run.error) == (True, [], error)
    assert conversation.assignee is not None and conversation.status == "open"
    assert AutomationRule.objects.get(pk=made.pk).consecutive_errors == 1
    assert mail.outbox == []
