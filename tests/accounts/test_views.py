"""Pages of the accounts app, in Portuguese by default."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account, AccountUser, Invitation, Role, User
from tests.factories import AccountUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def selected_availability(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<option value="(\w+)" selected>', html)


def agents_url(account):
    return reverse("settings_agents", args=[account.pk])


class TestAgentsPage:
    def test_lists_agents_with_portuguese_labels(self, login, account, admin, agent):
        pending = AccountUserFactory(
            account=account, user__verified=False, user__name="Carlos Pendente"
        )
        html = login(admin).get(agents_url(account)).content.decode()
        for label in (
            "Agentes",
            "Adicionar Agente",
            "Verificação pendente",
            "Verificado",
            "Administrador",
            "Agente",
        ):
            assert label in html
        row = re.search(
            rf'data-agent-email="{re.escape(pending.user.email)}".*?</tr>', html, re.S
        ).group(0)
        assert "Verificação pendente" in row and "Reenviar convite" in row

    def test_query_count_does_not_grow(self, login, account, admin, django_assert_num_queries):
        client = login(admin)
        AccountUserFactory.create_batch(2, account=account)
        client.get(agents_url(account))  # the first visit also stores the account in the session
        with django_assert_num_queries(6):
            client.get(agents_url(account))
        AccountUserFactory.create_batch(15, account=account)
        with django_assert_num_queries(6):
            assert client.get(agents_url(account)).status_code == 200

    def test_search(self, login, account, admin, agent):
        html = login(admin).get(agents_url(account), {"q": "sofia"}).content.decode()
        assert re.findall(r'data-agent-email="([^"]+)"', html) == [agent.user.email]
        html = login(admin).get(agents_url(account), {"q": "ninguém"}).content.decode()
        assert "Nenhum agente corresponde à sua busca." in html

    def test_paginates(self, login, account, admin):
        AccountUserFactory.create_batch(30, account=account)
        client = login(admin)
        first = client.get(agents_url(account)).content.decode()
        second = client.get(agents_url(account), {"page": 2}).content.decode()
        assert first.count("data-agent-email=") == 25 and second.count("data-agent-email=") == 6
        assert "Página 1 de 2" in first

    def test_agent_gets_403(self, login, account, agent):
        assert login(agent).get(agents_url(account)).status_code == 403

    def test_other_account_gets_404(self, login, account, outsider):
        assert login(outsider).get(agents_url(account)).status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, account):
        response = client.get(agents_url(account))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_english_speaking_user_sees_english(self, login, account, admin):
        admin.user.language = "en"
        admin.user.save()
        html = login(admin).get(agents_url(account)).content.decode()
        assert "Add Agent" in html and "Adicionar Agente" not in html


class TestAddAgent:
    def test_form_has_the_article_fields(self, login, account, admin):
        html = login(admin).get(reverse("settings_agent_new", args=[account.pk])).content.decode()
        for label in (
            "Adicionar Agente",
            "Nome",
            "E-mail",
            "Perfil",
            "Administrador",
            "Agente",
            "Adicionar agente",
        ):
            assert label in html

    def test_add_returns_to_the_list_with_pending_verification(
        self, login, account, admin, django_capture_on_commit_callbacks
    ):
        client = login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("settings_agent_new", args=[account.pk]),
                {"name": "Carla Comercial", "email": "carla@exemplo.com.br", "role": "agent"},
                follow=True,
            )
        assert response.redirect_chain[-1][0] == agents_url(account)
        html = response.content.decode()
        assert "Agente adicionado: Carla Comercial" in html
        row = re.search(r'data-agent-email="carla@exemplo.com.br".*?</tr>', html, re.S).group(0)
        assert "Verificação pendente" in row
        assert mail.outbox[0].to == ["carla@exemplo.com.br"]

    def test_duplicate_shows_the_error_and_keeps_the_input(self, login, account, admin, agent):
        response = login(admin).post(
            reverse("settings_agent_new", args=[account.pk]),
            {"name": "Outra", "email": agent.user.email, "role": "agent"},
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "Já existe um agente com este e-mail nesta conta." in html
        assert 'value="Outra"' in html
        assert AccountUser.objects.filter(account=account).count() == 2

    def test_invalid_email_shows_an_error(self, login, account, admin):
        response = login(admin).post(
            reverse("settings_agent_new", args=[account.pk]),
            {"name": "X", "email": "sem-arroba", "role": "agent"},
        )
        assert response.status_code == 422
        assert "has-error" in response.content.decode()

    def test_agent_cannot_post(self, login, account, agent):
        response = login(agent).post(
            reverse("settings_agent_new", args=[account.pk]),
            {"name": "X", "email": "x@exemplo.com.br", "role": "administrator"},
        )
        assert response.status_code == 403
        assert not User.objects.filter(email="x@exemplo.com.br").exists()


class TestEditRemoveResend:
    def test_edit_role(self, login, account, admin, agent):
        url = reverse("settings_agent_edit", args=[account.pk, agent.user_id])
        client = login(admin)
        assert "Sofia Secretária" in client.get(url).content.decode()
        response = client.post(url, {"name": "Sofia", "role": "administrator"})
        assert response.status_code == 302
        agent.refresh_from_db()
        assert agent.role == Role.ADMINISTRATOR and agent.shown_name == "Sofia"
        agent.user.refresh_from_db()
        assert agent.user.name == "Sofia Secretária"  # the person's name is not the account's

    def test_demoting_the_last_admin_shows_why(self, login, account, admin):
        url = reverse("settings_agent_edit", args=[account.pk, admin.user_id])
        response = login(admin).post(url, {"name": admin.user.name, "role": "agent"})
        assert response.status_code == 422
        assert "A conta precisa de pelo menos um administrador." in response.content.decode()

    def test_remove_asks_for_confirmation_first(self, login, account, admin, agent):
        url = reverse("settings_agent_delete", args=[account.pk, agent.user_id])
        client = login(admin)
        page = client.get(url).content.decode()
        assert "Remover agente?" in page
        assert AccountUser.objects.filter(pk=agent.pk).exists()
        response = client.post(url, follow=True)
        assert "Agente removido da conta" in response.content.decode()
        assert not AccountUser.objects.filter(pk=agent.pk).exists()

    def test_remove_last_admin_is_refused_with_a_message(self, login, account, admin):
        url = reverse("settings_agent_delete", args=[account.pk, admin.user_id])
        response = login(admin).post(url, follow=True)
        assert "A conta precisa de pelo menos um administrador." in response.content.decode()
        assert AccountUser.objects.filter(pk=admin.pk).exists()

    def test_resend(self, login, account, admin, django_capture_on_commit_callbacks):
        pending = AccountUserFactory(account=account, user__verified=False)
        url = reverse("settings_agent_resend", args=[account.pk, pending.user_id])
        with django_capture_on_commit_callbacks(execute=True):
            response = login(admin).post(url, follow=True)
        assert "Convite reenviado" in response.content.decode()
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize(
        "name", ["settings_agent_edit", "settings_agent_delete", "settings_agent_resend"]
    )
    def test_other_accounts_agent_is_404(self, login, account, admin, outsider, name):
        url = reverse(name, args=[account.pk, outsider.user_id])
        assert login(admin).post(url, {"name": "x", "role": "agent"}).status_code == 404
        assert AccountUser.objects.filter(pk=outsider.pk, role=Role.ADMINISTRATOR).exists()

    @pytest.mark.parametrize(
        "name", ["settings_agent_edit", "settings_agent_delete", "settings_agent_resend"]
    )
    def test_agents_get_403(self, login, account, admin, agent, name):
        url = reverse(name, args=[account.pk, admin.user_id])
        assert login(agent).post(url, {"name": "x", "role": "agent"}).status_code == 403


class TestInvitationPages:
    @pytest.fixture
    def invited(self, account, admin, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            membership = services.agent_add(
                account=account,
                actor=admin,
                name="Carla",
                email="carla@exemplo.com.br",
                role="agent",
            )
        link = re.search(r"http://testserver(/invitation/\S+/)", mail.outbox[0].body).group(1)
        return membership, link

    def test_link_creates_password_verifies_and_signs_in(self, client, invited, account):
        _membership, link = invited
        page = client.get(link).content.decode()
        assert "Crie sua senha" in page and "carla@exemplo.com.br" in page
        response = client.post(
            link,
            {
                "name": "Carla Souza",
                "password1": "Senha-nova-forte-9",
                "password2": "Senha-nova-forte-9",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("account_home", args=[account.pk])
        user = User.objects.get(email="carla@exemplo.com.br")
        assert user.name == "Carla Souza" and user.check_password("Senha-nova-forte-9")
        assert EmailAddress.objects.get(user=user).verified
        assert client.get(reverse("profile", args=[account.pk])).status_code == 200  # signed in
        # The link works once.
        again = client.get(link)
        assert again.status_code == 410 and "Este link já foi usado" in again.content.decode()

    def test_mismatched_passwords(self, client, invited):
        _, link = invited
        response = client.post(
            link, {"name": "C", "password1": "Senha-nova-forte-9", "password2": "outra"}
        )
        assert response.status_code == 422
        assert "As duas senhas não coincidem." in response.content.decode()

    def test_expired_link_offers_a_new_one(
        self, client, invited, django_capture_on_commit_callbacks
    ):
        _, link = invited
        with time_machine.travel(timezone.now() + timedelta(hours=73), tick=False):
            page = client.get(link)
            assert page.status_code == 410
            assert "Este link expirou" in page.content.decode()
            with django_capture_on_commit_callbacks(execute=True):
                renewed = client.post(link + "renew/")
        assert "Confira seu e-mail" in renewed.content.decode()
        assert len(mail.outbox) == 2
        new_link = re.search(r"http://testserver(/invitation/\S+/)", mail.outbox[1].body).group(1)
        assert new_link != link and client.get(new_link).status_code == 200

    def test_tampered_link_is_404(self, client, invited):
        _, link = invited
        assert client.get(link[:-3] + "00/").status_code == 404
        assert client.get("/invitation/999-abc/").status_code == 404


class TestSignup:
    def test_company_signup_creates_account_admin_and_asks_for_verification(self, client):
        response = client.post(
            reverse("account_signup"),
            {
                "company_name": "Padaria Pão Quente",
                "name": "Joana",
                "email": "joana@paoquente.com.br",
                "password1": "Massa-fermentada-22",
            },
        )
        assert response.status_code == 302
        account = Account.objects.get(name="Padaria Pão Quente")
        membership = AccountUser.objects.get(account=account)
        assert membership.role == Role.ADMINISTRATOR and membership.user.name == "Joana"
        assert not services.user_is_verified(membership.user)
        assert len(mail.outbox) == 1
        # Sign-in is refused until the e-mail is verified.
        client.logout()
        client.post(
            reverse("account_login"),
            {"login": "joana@paoquente.com.br", "password": "Massa-fermentada-22"},
        )
        assert client.get(reverse("settings_agents", args=[account.pk])).status_code == 302
        confirm = re.search(
            r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body
        ).group(1)
        client.post(confirm)
        assert services.user_is_verified(membership.user)
        assert client.get(reverse("settings_agents", args=[account.pk])).status_code == 200

    def test_login_page_is_portuguese(self, client):
        html = client.get(reverse("account_login")).content.decode()
        assert "Entrar" in html and 'lang="pt-BR"' in html


class TestProfileAndAccount:
    def test_profile_changes_language(self, login, account, agent):
        client = login(agent)
        response = client.post(
            reverse("profile", args=[account.pk]),
            {"name": "Sofia", "display_name": "", "language": "en"},
        )
        assert response.status_code == 302
        assert "Profile" in client.get(reverse("profile", args=[account.pk])).content.decode()

    def test_a_boosted_profile_save_reloads_the_whole_page(self, login, account, agent):
        # The form is boosted (hx-boost); a new language needs more than the body swapped.
        client = login(agent)
        response = client.post(
            reverse("profile", args=[account.pk]),
            {"name": "Sofia", "display_name": "", "language": "en"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_BOOSTED="true",
        )
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("profile", args=[account.pk])
        html = client.get(reverse("profile", args=[account.pk])).content.decode()
        assert '<html lang="en">' in html and "Perfil salvo." in html  # said in her old language

    def test_regenerate_token_shows_it_once(self, login, account, agent):
        client = login(agent)
        html = client.post(
            reverse("profile", args=[account.pk]), {"regenerate_token": "1"}
        ).content.decode()
        token = re.search(r'id="new-token">([^<]+)<', html).group(1)
        from accounts.selectors import token_owner

        assert token_owner(token).user == agent.user
        assert token not in client.get(reverse("profile", args=[account.pk])).content.decode()

    def test_account_settings(self, login, account, admin):
        url = reverse("settings_account", args=[account.pk])
        response = login(admin).post(
            url,
            {
                "name": "Nome Novo",
                "locale": "pt-br",
                "timezone": "America/Manaus",
                "support_email": "",
                "country": "PT",
            },
        )
        assert response.status_code == 302
        account.refresh_from_db()
        assert (account.name, account.timezone, account.country) == (
            "Nome Novo",
            "America/Manaus",
            "PT",
        )

    def test_account_country_reads_phone_numbers(self, login, account, admin):
        """The country is chosen in Configurações → Conta (Brazil first, named in Portuguese) and
        reads the numbers typed without a country code."""
        from conversations import services as conversation_services

        url = reverse("settings_account", args=[account.pk])
        page = login(admin).get(url).content.decode()
        assert page.index('value="BR"') < page.index('value="AR"')
        assert "Brasil (+55)" in page and "Portugal (+351)" in page
        response = login(admin).post(
            url, {"name": account.name, "locale": "pt-br", "timezone": account.timezone,
                  "country": "XX"},
        )  # fmt: skip
        assert response.status_code == 422
        account.refresh_from_db()
        assert account.country == "BR"
        account.country = "PT"
        account.save(update_fields=["country"])
        contact = conversation_services.contact_create(
            account=account, actor=admin, name="Rui", phone_number="912 345 678"
        )
        assert contact.phone_number == "+351912345678"

    def test_account_settings_is_admin_only(self, login, account, agent, outsider):
        url = reverse("settings_account", args=[account.pk])
        assert login(agent).get(url).status_code == 403
        assert login(outsider).get(url).status_code == 404

    def test_availability_selector(self, login, account, agent):
        client = login(agent)
        response = client.post(
            reverse("availability", args=[account.pk]),
            {"availability": "busy"},
            HTTP_HX_REQUEST="true",
        )
        # The selector comes back as stored (htmx swaps it in place of the one that asked).
        assert response.status_code == 200
        assert selected_availability(response) == ["busy"]
        agent.refresh_from_db()
        assert agent.availability == "busy"

    def test_a_refused_availability_answers_the_stored_state_and_why(self, login, account, agent):
        # She chose offline herself (kept when she signs in).
        AccountUser.objects.filter(pk=agent.pk).update(
            availability="offline", availability_kept=True
        )
        client = login(agent)
        response = client.post(
            reverse("availability", args=[account.pk]),
            {"availability": "away"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 422
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert selected_availability(response) == ["offline"]
        alert = re.search(r'<div class="[^"]*" role="alert"[^>]*>(.*?)</div>', html, re.S)
        assert alert and alert.group(1).strip() == "Disponibilidade desconhecida."
        assert 'hx-swap="outerHTML"' in html
        agent.refresh_from_db()
        assert agent.availability == "offline"

    def test_availability_of_another_account_is_404(self, login, account, outsider):
        assert (
            login(outsider)
            .post(reverse("availability", args=[account.pk]), {"availability": "busy"})
            .status_code
            == 404
        )

    def test_home_goes_to_the_last_account(self, login, account, admin, other_account):
        AccountUserFactory(account=other_account, user=admin.user, role="administrator")
        client = login(admin)
        client.get(agents_url(other_account))
        assert client.get("/")["Location"] == reverse("account_home", args=[other_account.pk])

    def test_user_without_account(self, client):
        user = UserFactory()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assert "Você não pertence a nenhuma conta" in client.get("/").content.decode()


def test_invitation_model_usable_window(account):
    inv = Invitation(
        account=account,
        user=UserFactory(),
        nonce="x",
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    assert inv.is_usable()
    assert not inv.is_usable(at=timezone.now() + timedelta(minutes=2))


def test_profile_of_another_account_is_404(login, account, outsider):
    assert login(outsider).get(reverse("profile", args=[account.pk])).status_code == 404
