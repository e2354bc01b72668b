"""E-mail links and names (issue 7, section 5): every e-mail builds its links from SITE_URL,
which `make run` derives from HOST and PORT; allauth's e-mails say "Nexloo", not the host; a
line break or control character in a name is refused at the form and the API (it used to make
the next invitation e-mail fail)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts import services
from accounts.models import Account, AccountUser
from inboxes.models import Inbox
from teams.models import Team
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SINGLE_LINE = "Use uma única linha, sem quebras de linha nem caracteres de controle."


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    cache.clear()  # allauth's sign-up and reset limits count per address across tests
    yield
    cache.clear()


@pytest.fixture
def site(settings):
    settings.SITE_URL = "http://127.0.0.1:8103"
    return settings.SITE_URL


def links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", message.body)


def test_make_run_derives_site_url_from_host_and_port():
    out = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=8103"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'SITE_URL="${SITE_URL:-http://0.0.0.0:8103}"' in out


def test_the_invitation_and_the_sign_up_confirmation_link_the_same_way(
    client, account, admin, site, on_commit
):
    with on_commit():
        services.agent_add(
            account=account,
            actor=admin,
            email="carla@exemplo.com.br",
            name="Carla Comercial",
            role="agent",
        )
    # The request arrives through another host name: the links still follow SITE_URL.
    client.post(
        reverse("account_signup"),
        {
            "company_name": "Padaria Pão Quente",
            "name": "Joana",
            "email": "joana@paoquente.com.br",
            "password1": "Massa-fermentada-22",
        },
        HTTP_HOST="localhost",
    )
    invitation, confirmation = mail.outbox
    assert [link for link in links(invitation) if "/invitation/" in link]
    assert [link for link in links(confirmation) if "/confirm-email/" in link]
    for message in (invitation, confirmation):
        assert all(link.startswith(site + "/") for link in links(message)), links(message)


def test_allauth_emails_name_the_product_not_the_host(client, site):
    client.post(
        reverse("account_signup"),
        {
            "company_name": "Padaria Pão Quente",
            "name": "Joana",
            "email": "joana@paoquente.com.br",
            "password1": "Massa-fermentada-22",
        },
    )
    (message,) = mail.outbox
    assert message.subject.startswith("[Nexloo] ")
    text = message.body
    assert text.startswith("Olá!\n")
    assert (
        "Você está recebendo este e-mail porque Joana informou este endereço para criar uma "
        "conta no Nexloo." in text
    )
    assert text.rstrip().endswith("Equipe Nexloo")
    # The host is only in the link, never as the product's name; and no gender ("o usuário").
    assert [line for line in text.splitlines() if "127.0.0.1:8103" in line] == [
        line for line in text.splitlines() if "/confirm-email/" in line
    ]
    assert "testserver" not in text and "usuário" not in text


def test_the_webhook_switched_off_e_mail_links_like_the_others(account, admin, settings):
    from webhooks import tasks
    from webhooks.models import Webhook

    settings.SITE_URL = "http://127.0.0.1:8103/"  # given with a trailing slash
    hook = Webhook.objects.create(account=account, url="https://example.com/hook")
    assert tasks.notify_switched_off(hook.pk) == 1
    (message,) = mail.outbox
    assert links(message) == [
        "https://example.com/hook",  # the webhook's own address, named
        f"http://127.0.0.1:8103/app/accounts/{account.pk}/settings/webhooks/{hook.pk}/",
    ]


def test_the_password_reset_link_follows_site_url(client, admin, site):
    client.post(reverse("account_reset_password"), {"email": admin.user.email})
    (message,) = mail.outbox
    reset = [link for link in links(message) if "/password/reset/key/" in link]
    assert reset and reset[0].startswith(site + "/")


@pytest.mark.parametrize("bad", ["Ana\nAdministradora", "Ana\r\nBcc: x@y.z", "Ana\tA", "A\u2028B"])
def test_a_person_name_with_a_control_character_is_refused_by_the_api(admin_api, account, bad):
    response = admin_api.post(
        f"/api/v1/accounts/{account.pk}/agents",
        {"name": bad, "email": "carla@exemplo.com.br", "role": "agent"},
        format="json",
    )
    assert response.status_code == 422, response.content
    assert (
        response.json()["errors"][0]
        == {
            "field": "name",
            "message": SINGLE_LINE,
            "code": "control_characters",
        }
        or SINGLE_LINE in response.content.decode()
    )
    assert not AccountUser.objects.filter(user__email="carla@exemplo.com.br").exists()
    assert not mail.outbox


def test_team_inbox_and_account_names_are_refused_by_the_api(admin_api, account):
    base = f"/api/v1/accounts/{account.pk}"
    team = admin_api.post(f"{base}/teams", {"name": "Comercial\nX"}, format="json")
    assert team.status_code == 422 and SINGLE_LINE in team.content.decode()
    assert not Team.objects.exists()
    patched = admin_api.patch(base, {"name": "Cenário\n4"}, format="json")
    assert patched.status_code == 422 and SINGLE_LINE in patched.content.decode()
    assert Account.objects.get(pk=account.pk).name == "Cenário 4 Ltda"
    inbox = InboxFactory(account=account, name="API")
    renamed = admin_api.patch(f"{base}/inboxes/{inbox.pk}", {"name": "A\x1bB"}, format="json")
    assert renamed.status_code == 422 and SINGLE_LINE in renamed.content.decode()
    assert Inbox.objects.get(pk=inbox.pk).name == "API"


def test_forms_refuse_them_with_the_message(login, account, admin):
    client = login(admin)
    response = client.post(
        reverse("teams:new", args=[account.pk]),
        {"name": "Comercial\u0007", "description": ""},
    )
    assert SINGLE_LINE in response.content.decode()
    assert not Team.objects.exists()
    response = client.post(
        reverse("profile", args=[account.pk]), {"name": "Ana\nAdministradora", "language": "pt-br"}
    )
    assert SINGLE_LINE in response.content.decode()
    admin.user.refresh_from_db()
    assert admin.user.name == "Ana Administradora"


def test_an_invitation_goes_out_even_if_an_old_name_holds_a_line_break(account, admin, on_commit):
    Account.objects.filter(pk=account.pk).update(name="Cenário\n4 Ltda")  # stored before the check
    account.refresh_from_db()
    with on_commit():
        services.agent_add(
            account=account,
            actor=admin,
            email="carla@exemplo.com.br",
            name="Carla Comercial",
            role="agent",
        )
    (message,) = mail.outbox
    assert "Cenário 4 Ltda" in message.subject and "\n" not in message.subject
    assert message.message()  # the headers can be written
