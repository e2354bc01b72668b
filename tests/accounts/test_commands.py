"""Command-line entry points: create_account, create_platform_token, seed_cenario4, and the
development mailbox."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Account, AccountUser, Role
from automations.models import AutomationRule
from conversations.models import Conversation
from inboxes.models import Inbox, InboxMember, ScheduleRule
from teams.models import Team

pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_create_account_prints_ids_and_a_working_token():
    result = run(
        "create_account",
        "--name", "Loja Verde",
        "--admin-email", "dona@lojaverde.com.br",
        "--admin-name", "Dona",
        "--password", "Uma-senha-forte-1",
    )  # fmt: skip
    account = Account.objects.get(pk=result["account_id"])
    assert account.name == "Loja Verde"
    membership = AccountUser.objects.get(account=account, user_id=result["user_id"])
    assert membership.role == Role.ADMINISTRATOR
    client = APIClient()
    client.credentials(HTTP_API_ACCESS_TOKEN=result["api_access_token"])
    assert client.get(f"/api/v1/accounts/{account.pk}/agents").status_code == 200


def test_create_account_refuses_bad_input_clearly():
    with pytest.raises(CommandError, match=r"senha|password"):
        run(
            "create_account", "--name", "X", "--admin-email", "x@x.com.br",
            "--admin-name", "X", "--password", "123",
        )  # fmt: skip
    assert not Account.objects.exists()


def test_create_platform_token():
    result = run("create_platform_token", "--name", "provisionamento")
    client = APIClient()
    client.credentials(HTTP_API_ACCESS_TOKEN=result["api_access_token"])
    response = client.post("/platform/api/v1/accounts", {"name": "Nova"}, format="json")
    assert response.status_code == 200


@pytest.fixture
def graph(settings):
    """The demo's Graph API stand-in: the samples' routing messages go out to it."""
    from nexloo.demo import scenario
    from whatsapp.standin import GraphStandIn

    with GraphStandIn(token=scenario.STANDIN_TOKEN) as standin:
        settings.WHATSAPP_GRAPH_URL = standin.url
        yield standin


# Monday 10:00 in São Paulo, inside the article's hours: the samples get the routing message
# alone, whenever the suite runs (out of hours they would get the out-of-office reply too).
OPEN_HOURS = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


@time_machine.travel(OPEN_HOURS, tick=True)
def test_seed_cenario4_builds_the_scenario(django_capture_on_commit_callbacks, graph):
    with django_capture_on_commit_callbacks(execute=True):
        result = run("seed_cenario4")
    account = Account.objects.get(pk=result["account_id"])
    people = AccountUser.objects.filter(account=account)
    assert people.count() == 5
    assert people.filter(role=Role.ADMINISTRATOR).count() == 1
    members = InboxMember.objects.filter(inbox_id=result["inbox_id"])
    assert {m.account_user.user.email for m in members} == {
        result["people"][p] for p in ("secretaria", "comercial1", "comercial2", "comercial3")
    }
    weekly = ScheduleRule.objects.filter(inbox_id=result["inbox_id"], date__isnull=True)
    assert {
        (r.day_of_week, r.start_minute, r.end_minute) for r in weekly if r.kind == "interval"
    } == {
        *((d, 510, 1020) for d in range(1, 6)),
        (6, 540, 720),
    }
    reception = Team.objects.get(account=account, name="Recepção")
    assert reception.allow_auto_assign and reception.routing_message
    assert [m.account_user.user.email for m in reception.members.all()] == [
        result["people"]["secretaria"]
    ]
    # Step 5: the real rule, and the sample conversations it sent to Recepção and, by the team's
    # round robin, to the secretária.
    rule = AutomationRule.objects.get(pk=result["automation_rule_id"], account=account)
    assert (rule.event_name, rule.active) == ("conversation_created", True)
    assert rule.conditions[0]["values"] == ["open"]
    assert rule.actions == [{"action_name": "assign_team", "action_params": [reception.pk]}]
    for conversation in Conversation.objects.filter(account=account):
        assert conversation.team == reception
        assert conversation.assignee.user.email == result["people"]["secretaria"]
    # The number is connected (to the demo's stand-in), with the article's out-of-office text.
    inbox = Inbox.objects.get(pk=result["inbox_id"])
    assert inbox.channel_type == "whatsapp_cloud"
    assert inbox.whatsapp_channel.phone_number == result["whatsapp_number"] == "+5511940004000"
    assert "segunda a sexta, das 08:30 às 17:00" in inbox.out_of_office_message
    assert inbox.working_hours_enabled
    comercial = Team.objects.get(account=account, name="Comercial")
    assert comercial.allow_auto_assign and comercial.description and comercial.routing_message
    assert sorted(m.account_user.user.name for m in comercial.members.all()) == [
        "Caio Comercial",
        "Camila Comercial",
        "Carlos Comercial",
    ]
    assert all(account_services.user_is_verified(p.user) for p in people.select_related("user"))
    # Recepção's routing message went to each sample customer through the Graph API.
    assert sorted(m["to"] for m in graph.wait_for_sent(2)) == ["5511987650001", "5511987650002"]
    assert {m["text"]["body"] for m in graph.sent} == {reception.routing_message}


@time_machine.travel(OPEN_HOURS, tick=True)
def test_seed_cenario4_is_idempotent(django_capture_on_commit_callbacks, graph):
    with django_capture_on_commit_callbacks(execute=True):
        first = run("seed_cenario4")
    counts = _counts(first["account_id"])
    with django_capture_on_commit_callbacks(execute=True):
        again = run("seed_cenario4")
    assert again == first
    assert _counts(first["account_id"]) == counts
    assert counts == {"people": 5, "teams": 2, "rules": 1, "inboxes": 1, "conversations": 2}
    assert len(graph.sent) == 2  # no second routing message


def _counts(account_id: int) -> dict:
    return {
        "people": AccountUser.objects.filter(account_id=account_id).count(),
        "teams": Team.objects.filter(account_id=account_id).count(),
        "rules": AutomationRule.objects.filter(account_id=account_id).count(),
        "inboxes": Inbox.objects.filter(account_id=account_id).count(),
        "conversations": Conversation.objects.filter(account_id=account_id).count(),
    }


def test_dev_mailbox_lists_the_file_backend_mail(client, settings, tmp_path):
    from django.core.mail import EmailMessage
    from django.core.mail.backends.filebased import EmailBackend

    settings.EMAIL_FILE_PATH = tmp_path
    backend = EmailBackend(file_path=str(tmp_path))
    backend.send_messages(
        [EmailMessage("Convite", "Abra http://x/invitation/1-abc/", to=["a@b.com"])]
    )
    # Mounted because the suite's settings are the development defaults (DEBUG, no EMAIL_URL).
    assert settings.DEV_MAILBOX
    html = client.get(reverse("dev_mailbox"), REMOTE_ADDR="127.0.0.1").content.decode()
    assert "Convite" in html and "a@b.com" in html
    # Invitation links are secrets: nobody but this machine may read them.
    assert client.get(reverse("dev_mailbox"), REMOTE_ADDR="192.168.0.20").status_code == 404
