"""Issue 7, section 8: the pt-BR texts a new company reads (sign-up, sign-in, password pages,
profile), the page language, and weekday names mid-sentence."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from nexloo.core.templatetags.nexloo_tags import bcp47, in_sentence

pytestmark = pytest.mark.django_db
PT = {"HTTP_ACCEPT_LANGUAGE": "pt-BR"}


def labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


def test_sign_up_page(client):
    html = client.get(reverse("account_signup"), **PT).content.decode()
    assert '<html lang="pt-BR">' in html
    assert re.search(r"Já tem uma conta\? Então <a href=\"[^\"]+\">entre</a>\.", html)
    assert "sign in" not in html and "por favor" not in html
    assert "E-mail" in labels(html)
    assert "Email" not in labels(html)


def test_sign_in_page(client):
    html = client.get(reverse("account_login"), **PT).content.decode()
    assert "Lembrar de mim" in labels(html)
    assert "Lembrar de Mim" not in html
    assert "E-mail" in labels(html)
    assert re.search(r"Se você ainda não tem uma conta, <a href=\"[^\"]+\">cadastre-se</a>", html)


def test_password_reset_page_says_e_mail(client):
    html = client.get(reverse("account_reset_password"), **PT).content.decode()
    assert "E-mail" in labels(html) and "Email" not in labels(html)


def test_change_password_page_leads_back_into_the_app(login, admin):
    client = login(admin)
    html = client.get(reverse("account_change_password"), **PT).content.decode()
    assert f'<a href="{reverse("home")}">← Voltar ao Nexloo</a>' in html


def test_new_token_asks_before_replacing_the_old_one(login, admin):
    client = login(admin)
    html = client.get(reverse("profile", args=[admin.account_id]), **PT).content.decode()
    opener = re.search(r'<button type="button" class="btn" data-dialog="token-dialog">(.*?)<', html)
    assert opener and opener.group(1) == "Gerar um novo token"
    dialog = re.search(r'<dialog id="token-dialog".*?</dialog>', html, re.S).group(0)
    assert "Substituir seu token de API?" in dialog
    assert "O token atual deixa de funcionar na hora" in dialog
    assert 'name="regenerate_token"' in dialog
    # The only control that replaces the token is the dialog's.
    assert html.count('name="regenerate_token"') == 1


def test_settings_menu_names_each_section(login, admin):
    client = login(admin)
    html = client.get(reverse("settings_account", args=[admin.account_id]), **PT).content.decode()
    menu = re.search(r'<div class="nav-sub" role="group".*?</div>', html, re.S).group(0)
    links = [re.sub(r"<[^>]+>", "", a).strip() for a in re.findall(r"<a [^>]*>(.*?)</a>", menu)]
    assert links == [
        "Conta",
        "Agentes",
        "Caixas de Entrada",
        "Times",
        "Automação",
        "Integrações · Webhooks",
        "Respostas prontas",
    ]


def test_language_attribute_and_weekdays_mid_sentence():
    assert bcp47("pt-br") == "pt-BR"
    assert bcp47("en") == "en"
    with translation.override("pt-br"):
        assert in_sentence("Terça-feira") == "terça-feira"
    with translation.override("en"):
        assert in_sentence("Tuesday") == "Tuesday"


# Words without a gender: whoever reads them.
NEUTRAL = {
    "You were invited to %(account)s": "Você recebeu um convite para %(account)s",
    "You were invited to %(account)s as %(email)s.": (
        "Você recebeu um convite para %(account)s como %(email)s."
    ),
    "You were invited to %(account)s as %(email)s. Choose a password to verify your account.": (
        "Você recebeu um convite para %(account)s como %(email)s. Escolha uma senha para "
        "verificar sua conta."
    ),
    "Welcome to %(account)s!": "Boas-vindas! Agora você faz parte de %(account)s.",
    "Successfully signed in as %(name)s.": "Sessão iniciada como %(name)s.",
    "You are already logged in as %(user_display)s.": (
        "Sua sessão já está aberta como %(user_display)s."
    ),
}
GENDERED = re.compile(r"\b(convidad[oa]|conectad[oa]|bem-vind[oa]|o usuário|a usuária)\b", re.I)


@pytest.mark.parametrize(("msgid", "text"), sorted(NEUTRAL.items()))
def test_wording_without_gender(msgid, text):
    with translation.override("pt-br"):
        assert translation.gettext(msgid) == text
        assert not GENDERED.search(text)


def test_signing_in_says_the_session_started(client, admin):
    admin.user.set_password("Senha-da-Ana-1")
    admin.user.save()
    response = client.post(
        reverse("account_login"),
        {"login": admin.user.email, "password": "Senha-da-Ana-1"},
        follow=True,
        **PT,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Sessão iniciada como Ana Administradora."], shown


def test_the_invitation_page_has_no_gender(client, account, admin, on_commit):
    from django.core import mail

    from accounts import services

    with on_commit():
        services.agent_add(
            account=account,
            actor=admin,
            email="sandra@exemplo.com.br",
            name="Sandra Secretária",
            role="agent",
        )
    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/invitation/\S+)", message.body).group(1)
    html = client.get(link, **PT).content.decode()
    assert "Você recebeu um convite para Cenário 4 Ltda como sandra@exemplo.com.br." in html
    assert not GENDERED.search(re.sub(r"<[^>]+>", " ", html))
