"""Application and Platform API of the accounts app (Chatwoot-compatible paths and payloads)."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AccountUser, Role
from tests.conftest import api_client_for
from tests.factories import AccountUserFactory

pytestmark = pytest.mark.django_db

AGENT_KEYS = {
    "id",
    "account_id",
    "availability_status",
    "auto_offline",
    "confirmed",
    "email",
    "available_name",
    "name",
    "role",
    "thumbnail",
    "custom_role_id",
    "custom_attributes",  # Chatwoot's agent partial writes the user's when there are some
}


def agents_url(account_id, user_id=None):
    base = f"/api/v1/accounts/{account_id}/agents"
    return f"{base}/{user_id}" if user_id else base


class TestAuthentication:
    def test_no_token_is_401(self, account):
        assert APIClient().get("/api/v1/profile").status_code == 401

    def test_bad_token_is_401(self, account):
        client = APIClient()
        client.credentials(HTTP_API_ACCESS_TOKEN="not-a-token")
        assert client.get("/api/v1/profile").status_code == 401

    def test_platform_token_is_refused_on_the_application_api(self, account):
        new = services.platform_app_create(name="Provisioner")
        client = APIClient()
        client.credentials(HTTP_API_ACCESS_TOKEN=new.token)
        assert client.get("/api/v1/profile").status_code == 401

    def test_a_token_in_the_query_string_is_not_accepted(self, agent):
        # It would end up in access logs; only the websocket takes it there.
        token = services.access_token_regenerate(user=agent.user)
        assert APIClient().get(f"/api/v1/profile?api_access_token={token}").status_code == 401


class TestProfile:
    def test_profile_lists_accounts_and_never_the_token(self, agent_api, agent):
        body = agent_api.get("/api/v1/profile").json()
        assert body["id"] == agent.user_id
        assert body["email"] == agent.user.email
        assert body["confirmed"] is True
        assert [a["id"] for a in body["accounts"]] == [agent.account_id]
        assert body["accounts"][0]["role"] == "agent"
        assert (body["accounts"][0]["custom_role_id"], body["accounts"][0]["custom_role"]) == (
            None,
            None,
        )  # no custom roles, said as Chatwoot says it
        assert "access_token" not in body


class TestAccount:
    def test_member_reads_the_account(self, agent_api, account):
        body = agent_api.get(f"/api/v1/accounts/{account.pk}").json()
        assert body["id"] == account.pk and body["name"] == account.name
        assert body["locale"] == "pt-br" and body["timezone"] == "America/Sao_Paulo"
        # Chatwoot's account_show_response, told as it is: no auto-resolve (its settings as they
        # are when it is off), no known Chatwoot release, no enterprise features.
        assert body["settings"] == {
            "auto_resolve_after": None,
            "auto_resolve_message": None,
            "auto_resolve_ignore_waiting": None,
        }
        assert (body["latest_chatwoot_version"], body["subscribed_features"]) == (None, [])

    def test_admin_updates_the_account(self, admin_api, account):
        response = admin_api.patch(
            f"/api/v1/accounts/{account.pk}", {"name": "Novo Nome", "locale": "en"}, format="json"
        )
        assert response.status_code == 200, response.content
        account.refresh_from_db()
        assert (account.name, account.locale) == ("Novo Nome", "en")

    def test_agent_cannot_update_the_account(self, agent_api, account):
        response = agent_api.patch(f"/api/v1/accounts/{account.pk}", {"name": "X"}, format="json")
        assert response.status_code == 403
        account.refresh_from_db()
        assert account.name != "X"

    def test_bad_timezone_is_422(self, admin_api, account):
        response = admin_api.patch(
            f"/api/v1/accounts/{account.pk}", {"timezone": "Nowhere/Land"}, format="json"
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "timezone"

    def test_another_account_is_404(self, outsider_api, account):
        assert outsider_api.get(f"/api/v1/accounts/{account.pk}").status_code == 404
        assert (
            outsider_api.patch(f"/api/v1/accounts/{account.pk}", {}, format="json").status_code
            == 404
        )

    def test_missing_account_is_404_too(self, admin_api):
        assert admin_api.get("/api/v1/accounts/999999").status_code == 404


class TestAgents:
    def test_list_shape_and_verification(self, admin_api, account, admin, agent):
        AccountUserFactory(account=account, user__verified=False, user__email="novo@exemplo.com.br")
        body = admin_api.get(agents_url(account.pk)).json()
        assert {tuple(sorted(a)) for a in body} == {tuple(sorted(AGENT_KEYS))}
        confirmed = {a["email"]: a["confirmed"] for a in body}
        assert confirmed == {
            admin.user.email: True,
            agent.user.email: True,
            "novo@exemplo.com.br": False,
        }

    def test_list_query_count_does_not_grow(self, admin_api, account, django_assert_num_queries):
        AccountUserFactory.create_batch(2, account=account)
        with django_assert_num_queries(2) as few:
            admin_api.get(agents_url(account.pk))
        AccountUserFactory.create_batch(10, account=account)
        with django_assert_num_queries(len(few.captured_queries)):
            assert len(admin_api.get(agents_url(account.pk)).json()) == 13

    def test_agents_may_list_agents(self, agent_api, account):
        assert agent_api.get(agents_url(account.pk)).status_code == 200

    def test_create(self, admin_api, account, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_api.post(
                agents_url(account.pk),
                {"name": "Carla", "email": "carla@exemplo.com.br", "role": "agent"},
                format="json",
            )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["email"] == "carla@exemplo.com.br" and body["confirmed"] is False
        assert body["role"] == "agent" and body["account_id"] == account.pk
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "C", "email": "nope", "role": "agent"}, "email"),
            ({"name": "C", "email": "c@exemplo.com.br", "role": "owner"}, "role"),
            ({"email": "c@exemplo.com.br", "role": "agent"}, "name"),
        ],
    )
    def test_bad_input_is_422_and_changes_nothing(self, admin_api, account, payload, field):
        response = admin_api.post(agents_url(account.pk), payload, format="json")
        assert response.status_code == 422
        assert field in {e["field"] for e in response.json()["errors"]}
        assert AccountUser.objects.filter(account=account).count() == 1

    def test_duplicate_email_is_422(self, admin_api, account, agent):
        response = admin_api.post(
            agents_url(account.pk),
            {"name": "Dup", "email": agent.user.email.upper(), "role": "agent"},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "email"

    def test_agent_gets_403_on_admin_actions(self, agent_api, account, admin):
        payload = {"name": "C", "email": "c@exemplo.com.br", "role": "agent"}
        assert agent_api.post(agents_url(account.pk), payload, format="json").status_code == 403
        assert (
            agent_api.patch(
                agents_url(account.pk, admin.user_id), {"role": "agent"}, format="json"
            ).status_code
            == 403
        )
        assert agent_api.delete(agents_url(account.pk, admin.user_id)).status_code == 403
        admin.refresh_from_db()
        assert admin.role == Role.ADMINISTRATOR

    def test_update(self, admin_api, account, agent):
        response = admin_api.patch(
            agents_url(account.pk, agent.user_id),
            {"role": "administrator", "availability_status": "busy", "auto_offline": False},
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["role"], body["availability_status"], body["auto_offline"]) == (
            "administrator",
            "busy",
            False,
        )

    def test_delete(self, admin_api, account, agent):
        assert admin_api.delete(agents_url(account.pk, agent.user_id)).status_code == 200
        assert not AccountUser.objects.filter(pk=agent.pk).exists()

    def test_removing_the_last_admin_is_refused(self, admin_api, account, admin):
        response = admin_api.delete(agents_url(account.pk, admin.user_id))
        assert response.status_code == 409
        assert "administrador" in response.json()["message"]

    def test_a_pending_administrator_does_not_stand_in_for_the_last_one(
        self, admin_api, account, admin
    ):
        invited = admin_api.post(
            agents_url(account.pk),
            {"name": "Nova Admin", "email": "nova@exemplo.com.br", "role": "administrator"},
            format="json",
        )
        assert invited.status_code == 200, invited.content
        assert invited.json()["confirmed"] is False
        response = admin_api.delete(agents_url(account.pk, admin.user_id))
        assert response.status_code == 409
        assert "administrador" in response.json()["message"]
        response = admin_api.patch(
            agents_url(account.pk, admin.user_id), {"role": "agent"}, format="json"
        )
        assert response.status_code == 409
        assert "administrador" in response.json()["message"]
        admin.refresh_from_db()
        assert admin.role == Role.ADMINISTRATOR

    def test_another_accounts_agent_is_404(self, admin_api, account, outsider):
        assert (
            admin_api.patch(
                agents_url(account.pk, outsider.user_id), {"role": "agent"}, format="json"
            ).status_code
            == 404
        )
        assert admin_api.delete(agents_url(account.pk, outsider.user_id)).status_code == 404
        outsider.refresh_from_db()
        assert outsider.role == Role.ADMINISTRATOR

    def test_another_account_is_404_for_every_method(self, outsider_api, account, agent):
        assert outsider_api.get(agents_url(account.pk)).status_code == 404
        assert (
            outsider_api.post(
                agents_url(account.pk),
                {"name": "x", "email": "x@y.com", "role": "agent"},
                format="json",
            ).status_code
            == 404
        )
        assert (
            outsider_api.patch(
                agents_url(account.pk, agent.user_id), {"role": "administrator"}, format="json"
            ).status_code
            == 404
        )
        assert outsider_api.delete(agents_url(account.pk, agent.user_id)).status_code == 404


@pytest.fixture
def platform():
    """A Platform API client (an installation-level app's token)."""
    new = services.platform_app_create(name="Provisioner")
    client = APIClient()
    client.credentials(HTTP_API_ACCESS_TOKEN=new.token)
    return client


class TestPlatformAPI:
    def test_provisioning_an_account_with_its_admin(self, platform):
        account = platform.post("/platform/api/v1/accounts", {"name": "Nova"}, format="json").json()
        user = platform.post(
            "/platform/api/v1/users",
            {"name": "Dona", "email": "dona@nova.com.br", "password": "Senha-da-dona-7"},
            format="json",
        ).json()
        assert user["access_token"]
        response = platform.post(
            f"/platform/api/v1/accounts/{account['id']}/account_users",
            {"user_id": user["id"], "role": "administrator"},
            format="json",
        )
        assert response.json() == {
            "account_id": account["id"],
            "user_id": user["id"],
            "role": "administrator",
        }
        listed = platform.get(f"/platform/api/v1/accounts/{account['id']}/account_users").json()
        assert listed == [
            {"account_id": account["id"], "user_id": user["id"], "role": "administrator"}
        ]
        # The new administrator can use the application API with the token handed out once.
        client = APIClient()
        client.credentials(HTTP_API_ACCESS_TOKEN=user["access_token"])
        assert client.get(f"/api/v1/accounts/{account['id']}/agents").status_code == 200

    def test_removing_an_account_user(self, platform):
        account = platform.post("/platform/api/v1/accounts", {"name": "Nova"}, format="json").json()
        users = [
            platform.post(
                "/platform/api/v1/users", {"name": n, "email": f"{n}@nova.com.br"}, format="json"
            ).json()
            for n in ("um", "dois")
        ]
        for u in users:
            platform.post(
                f"/platform/api/v1/accounts/{account['id']}/account_users",
                {"user_id": u["id"], "role": "administrator"},
                format="json",
            )
        url = f"/platform/api/v1/accounts/{account['id']}/account_users"
        assert platform.delete(url, {"user_id": users[0]["id"]}, format="json").status_code == 200
        assert [r["user_id"] for r in platform.get(url).json()] == [users[1]["id"]]
        assert platform.delete(url, {"user_id": users[1]["id"]}, format="json").status_code == 409

    def test_platform_app_sees_only_what_it_created(self, platform, account, admin):
        assert (
            platform.get(f"/platform/api/v1/accounts/{account.pk}/account_users").status_code == 404
        )
        mine = platform.post("/platform/api/v1/accounts", {"name": "Nova"}, format="json").json()
        response = platform.post(
            f"/platform/api/v1/accounts/{mine['id']}/account_users",
            {"user_id": admin.user_id, "role": "agent"},
            format="json",
        )
        assert response.status_code == 404

    def test_user_token_is_refused_on_the_platform_api(self, admin):
        client = api_client_for(admin)
        assert (
            client.post("/platform/api/v1/accounts", {"name": "x"}, format="json").status_code
            == 401
        )

    def test_duplicate_user_email_is_422(self, platform, admin):
        response = platform.post(
            "/platform/api/v1/users", {"name": "X", "email": admin.user.email}, format="json"
        )
        assert response.status_code == 422


def test_underscore_header_is_handed_to_django_under_its_dashed_name():
    """Django drops `api_access_token` (underscore) headers; our ASGI wrapper hands it over."""
    import asyncio

    from nexloo.asgi import underscore_token_header

    seen = {}

    async def inner(scope, receive, send):
        seen["headers"] = scope["headers"]

    scope = {
        "type": "http",
        "headers": [
            (b"host", b"testserver"),
            (b"api-access-token", b"spoofed"),
            (b"api_access_token", b"real"),
        ],
    }
    asyncio.run(underscore_token_header(inner)(scope, None, None))
    dashed = [v for k, v in seen["headers"] if k == b"api-access-token"]
    assert dashed == [b"real"]


class TestInvitingSomeoneWhoAlreadyHasAUser:
    """Issue 8 §1: an administrator of A can neither pull B's people into A nor rename them."""

    def test_known_and_unknown_addresses_answer_alike(self, admin_api, account, outsider):
        from accounts.models import AccountUser

        url = f"/api/v1/accounts/{account.pk}/agents"
        known = admin_api.post(
            url, {"name": "Otto", "email": outsider.user.email, "role": "agent"}, format="json"
        )
        unknown = admin_api.post(
            url, {"name": "Nova", "email": "nova@exemplo.com.br", "role": "agent"}, format="json"
        )
        assert known.status_code == unknown.status_code == 200
        a, b = known.json(), unknown.json()
        assert set(a) == set(b)
        assert a["confirmed"] is b["confirmed"] is False  # "Verificação pendente" for both
        assert (a["name"], b["name"]) == ("Otto", "Nova")  # what was typed, not their name
        assert (a["available_name"], b["available_name"]) == ("Otto", "Nova")
        for key in set(a) - {"id", "name", "email", "available_name", "thumbnail"}:
            assert a[key] == b[key], key
        pending = AccountUser.objects.get(account=account, user=outsider.user)
        assert pending.accepted_at is None
        # Until they accept, A is not theirs: B's administrator's token still gets 404 in A.
        from tests.conftest import api_client_for

        assert api_client_for(outsider).get(url).status_code == 404

    def test_nothing_in_a_shows_their_own_name_before_they_accept(
        self, admin_api, account, admin, outsider, login, recorded_events, on_commit
    ):
        """Pending in A and given a conversation there (allowed, as in Chatwoot), B's
        administrator is "Otto" in every payload, page and event of A, never their own name."""
        import json

        from django.urls import reverse

        from conversations import services as conv_services
        from tests.factories import ContactInboxFactory, InboxFactory

        outsider.user.display_name = "Otto Oficial de Fora"
        outsider.user.save(update_fields=["display_name"])
        base = f"/api/v1/accounts/{account.pk}"
        inbox = InboxFactory(account=account, name="Vendas")
        bodies = []
        with on_commit():
            added = admin_api.post(
                f"{base}/agents",
                {"name": "Otto", "email": outsider.user.email, "role": "agent"},
                format="json",
            )
            bodies.append(added.content)
            joined = admin_api.post(
                f"{base}/inbox_members",
                {"inbox_id": inbox.pk, "user_ids": [outsider.user_id]},
                format="json",
            )
            assert joined.status_code == 200
            bodies.append(joined.content)
            conversation = conv_services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox)
            ).conversation
            c = f"{base}/conversations/{conversation.display_id}"
            assigned = admin_api.post(
                f"{c}/assignments", {"assignee_id": outsider.user_id}, format="json"
            )
            assert assigned.status_code == 200
            bodies.append(assigned.content)
        assert AccountUser.objects.get(account=account, user=outsider.user).accepted_at is None
        for url in (
            f"{base}/agents",
            f"{base}/inbox_members/{inbox.pk}",
            f"{base}/conversations",
            c,
            f"{c}/messages",
        ):
            response = admin_api.get(url)
            assert response.status_code == 200, url
            bodies.append(response.content)
        assert (
            admin_api.get(f"{base}/conversations/{conversation.display_id}").json()["meta"][
                "assignee"
            ]["available_name"]
            == "Otto"
        )
        client = login(admin)
        a = {"account_id": account.pk}
        pages = [
            reverse("settings_agents", kwargs=a),
            reverse("inboxes:members", kwargs=a | {"inbox_id": inbox.pk}),
            reverse("conversations:workspace", kwargs=a),
            reverse("conversations:pane", kwargs=a | {"display_id": conversation.display_id}),
            reverse("automations:new", kwargs=a),
        ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            bodies.append(response.content)
        # Searching A's people by their own name finds nobody (the page echoes the query).
        found = client.get(reverse("settings_agents", kwargs=a), {"q": "de Fora"})
        assert outsider.user.email not in found.content.decode()
        found = client.get(reverse("settings_agents", kwargs=a), {"q": "Otto"})
        assert outsider.user.email in found.content.decode()
        page = client.get(
            reverse("conversations:pane", kwargs=a | {"display_id": conversation.display_id})
        )
        assert ">Otto</option>" in page.content.decode()
        bodies.extend(
            json.dumps([event.data, event.performer.name if event.performer else ""]).encode()
            for event in recorded_events
        )
        assert recorded_events
        for body in bodies:
            assert b"de Fora" not in body, body.decode()[:500]

    def test_renaming_an_agent_never_changes_their_name_elsewhere(
        self, admin_api, account, outsider, on_commit
    ):
        from accounts.models import AccountUser

        AccountUser.objects.create(account=account, user=outsider.user, role="agent")
        response = admin_api.patch(
            f"/api/v1/accounts/{account.pk}/agents/{outsider.user_id}",
            {"name": "Apelido em A"},
            format="json",
        )
        assert response.status_code == 200 and response.json()["name"] == "Apelido em A"
        outsider.user.refresh_from_db()
        assert outsider.user.name == "Otto de Fora"
        from tests.conftest import api_client_for

        theirs = api_client_for(outsider)
        assert theirs.get("/api/v1/profile").json()["name"] == "Otto de Fora"
        in_b = theirs.get(f"/api/v1/accounts/{outsider.account_id}/agents").json()
        assert [row["name"] for row in in_b] == ["Otto de Fora"]


class TestPlatformAccountsAndUsers:
    """The Platform API's reads, updates, deletions and sign-in links (Chatwoot's paths), for
    what the platform app created only."""

    def test_an_account_read_updated_and_deleted(self, platform):
        from accounts.models import Account

        made = platform.post("/platform/api/v1/accounts", {"name": "Nova"}, format="json").json()
        url = f"/platform/api/v1/accounts/{made['id']}"
        assert platform.get(url).json()["name"] == "Nova"
        changed = platform.patch(url, {"name": "Nova Ltda", "locale": "en"}, format="json")
        assert changed.status_code == 200 and changed.json()["name"] == "Nova Ltda"
        assert platform.patch(url, {"name": "a\nb"}, format="json").status_code in (400, 422)
        assert platform.delete(url).status_code == 200
        assert not Account.objects.filter(pk=made["id"]).exists()
        assert platform.get(url).status_code == 404

    def test_a_user_read_updated_deleted(self, platform):
        from accounts.models import User

        made = platform.post(
            "/platform/api/v1/users", {"name": "Dona", "email": "dona@nova.com.br"}, format="json"
        ).json()
        url = f"/platform/api/v1/users/{made['id']}"
        assert platform.get(url).json()["email"] == "dona@nova.com.br"
        changed = platform.patch(
            url, {"name": "Dona Maria", "password": "Outra-senha-boa-9"}, format="json"
        )
        assert changed.status_code == 200 and changed.json()["name"] == "Dona Maria"
        assert User.objects.get(pk=made["id"]).check_password("Outra-senha-boa-9")
        assert platform.delete(url).status_code == 200
        assert platform.get(url).status_code == 404

    def test_what_another_app_or_the_application_made_is_404(self, platform, account, admin):
        for url in (
            f"/platform/api/v1/accounts/{account.pk}",
            f"/platform/api/v1/users/{admin.user_id}",
            f"/platform/api/v1/users/{admin.user_id}/login",
        ):
            assert platform.get(url).status_code == 404
            if not url.endswith("login"):
                assert platform.patch(url, {"name": "x"}, format="json").status_code == 404
                assert platform.delete(url).status_code == 404
        admin.user.refresh_from_db()
        assert admin.user.name == "Ana Administradora"

    def test_the_sign_in_link_works_once(self, platform, client):
        made = platform.post(
            "/platform/api/v1/users", {"name": "Dona", "email": "dona@nova.com.br"}, format="json"
        ).json()
        link = platform.get(f"/platform/api/v1/users/{made['id']}/login").json()["url"]
        assert link.startswith("http://testserver/auth/platform/")
        path = link.removeprefix("http://testserver")
        response = client.get(path)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(made["id"])
        client.logout()
        again = client.get(path)
        assert again.status_code == 404
        assert "_auth_user_id" not in client.session

    @pytest.mark.parametrize("failure", ["raises", "drops"])
    def test_no_sign_in_link_when_the_cache_cannot_keep_it(
        self, platform, client, monkeypatch, failure
    ):
        """A link whose token was not stored would not work: 503, and no link."""
        import redis
        from django.core.cache import cache

        made = platform.post(
            "/platform/api/v1/users", {"name": "Dona", "email": "dona@nova.com.br"}, format="json"
        ).json()

        def set_fails(*args, **kwargs):
            if failure == "raises":
                raise redis.exceptions.ConnectionError("Connection refused")
            # "drops": what the tolerant cache does with Redis down (the write is skipped)

        monkeypatch.setattr(cache, "set", set_fails)
        monkeypatch.setattr(cache, "add", set_fails)
        response = platform.get(f"/platform/api/v1/users/{made['id']}/login")
        assert response.status_code == 503, response.content
        body = response.json()
        assert "url" not in body
        assert body["message"] == (
            "Não é possível gerar links de acesso agora. Tente de novo em instantes."
        )
        assert response["Retry-After"]

    def test_no_sign_in_link_with_redis_unreachable(self, platform, settings):
        made = platform.post(
            "/platform/api/v1/users", {"name": "Dona", "email": "dona@nova.com.br"}, format="json"
        ).json()
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            }
        }
        response = platform.get(f"/platform/api/v1/users/{made['id']}/login")
        assert response.status_code == 503, response.content
        assert "url" not in response.json() and response.json()["message"]
