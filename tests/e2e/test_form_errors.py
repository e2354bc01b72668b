"""Issue 7, section 2: an htmx form shows the server's errors in place. The Encaminhar dialog:
the agent list follows the chosen team; a 422 ("Este agente não faz parte do time escolhido.")
shows in the dialog; a lost connection says so and keeps what was typed."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts import services as account_services
from conversations.models import Conversation
from inboxes import services as inbox_services
from teams import services as team_services
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Atendimento-2026!"
FORWARD = re.compile(r"/forward/(\?|$)")


def test_forward_dialog_narrows_agents_and_shows_errors(live_server_url, new_page):
    new = account_services.account_create_with_admin(
        name="Imobiliária Boa Vista",
        admin_email="ana@boavista.com.br",
        admin_name="Ana Administradora",
        password=PASSWORD,
    )
    account, admin = new.account, new.admin
    people = {}
    for login, name in [
        ("sofia", "Sofia Secretária"),
        ("carlos", "Carlos Comercial"),
        ("paulo", "Paulo Financeiro"),
    ]:
        user = account_services.user_create(
            email=f"{login}@boavista.com.br", name=name, password=PASSWORD, verified=True
        ).user
        people[login] = account_services.account_user_add(
            account=account, user=user, role="agent", availability="online"
        )
    inbox = inbox_services.inbox_create(
        account=account, actor=admin, name="WhatsApp", enable_auto_assignment=False
    )
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[m.user_id for m in people.values()]
    )
    sales = team_services.team_create(
        account=account,
        actor=admin,
        name="Comercial",
        allow_auto_assign=False,
        member_user_ids=[people["carlos"].user_id],
    )
    created = requests.post(
        f"{live_server_url}/api/v1/accounts/{account.pk}/conversations",
        json={"inbox_id": inbox.pk, "source_id": "5511987650001"},
        headers={"api_access_token": new.api_access_token},
        timeout=10,
    )
    assert created.status_code == 200, created.text
    display_id = created.json()["id"]

    page = new_page("sofia")
    sign_in(page, live_server_url, "sofia@boavista.com.br", PASSWORD)
    page.goto(f"{live_server_url}/app/accounts/{account.pk}/conversations/{display_id}/")
    page.get_by_role("button", name="Encaminhar").click()
    dialog = page.get_by_role("dialog", name="Encaminhar conversa")
    agent = dialog.get_by_label("Agente")
    expect(agent.locator("option", has_text="Paulo Financeiro")).to_have_count(1)

    # Choosing the team narrows the agent list to its members.
    dialog.get_by_label("Time").select_option(label="Comercial")
    expect(agent.locator("option", has_text="Paulo Financeiro")).to_have_count(0)
    expect(agent.locator("option", has_text="Carlos Comercial")).to_have_count(1)
    agent.select_option(label="Carlos Comercial")
    dialog.get_by_label("Nota privada para quem receber").fill("Cliente quer alugar no centro.")

    # The connection drops: the dialog says so and keeps what was typed.
    page.route(FORWARD, lambda route: route.abort())
    dialog.get_by_role("button", name="Encaminhar").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Não foi possível conectar ao servidor")
    expect(dialog.get_by_label("Nota privada para quem receber")).to_have_value(
        "Cliente quer alugar no centro."
    )
    page.unroute(FORWARD)

    # Meanwhile Carlos left the team: the server's 422 shows in the dialog.
    team_services.team_members_remove(
        account=account, actor=admin, team=sales, user_ids=[people["carlos"].user_id]
    )
    dialog.get_by_role("button", name="Encaminhar").click()
    dialog = page.get_by_role("dialog", name="Encaminhar conversa")
    expect(dialog).to_contain_text("Este agente não faz parte do time escolhido.")
    expect(dialog.get_by_label("Nota privada para quem receber")).to_have_value(
        "Cliente quer alugar no centro."
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "forward-422.png"))
    assert Conversation.objects.get(account=account, display_id=display_id).team is None

    # Forwarding to the team alone goes through.
    dialog.get_by_label("Agente").select_option(index=0)
    dialog.get_by_role("button", name="Encaminhar").click()
    expect(page.locator(".thread")).to_contain_text("Encaminhada para o time Comercial")
    assert Conversation.objects.get(account=account, display_id=display_id).team == sales
