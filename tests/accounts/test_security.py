"""Sign-in and password-reset throttling, session and cookie settings."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_repeated_wrong_passwords_are_throttled(client, admin):
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": admin.user.email, "password": "errada-123"})
    # After five failures even the right password is refused for a while.
    response = client.post(url, {"login": admin.user.email, "password": "Senha-de-teste-42"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    from allauth.account.adapter import get_adapter
    from django.utils.translation import gettext

    message = str(get_adapter().error_messages["too_many_login_attempts"])
    assert gettext(message) in response.content.decode()


def test_password_reset_requests_are_throttled(client, admin):
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": admin.user.email}).status_code for _ in range(7)]
    assert 429 in statuses


def test_session_and_csrf_cookies_are_http_only_and_lax(client, admin, settings):
    response = client.post(
        reverse("account_login"), {"login": admin.user.email, "password": "Senha-de-teste-42"}
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_pages_refuse_framing(client):
    assert client.get(reverse("account_login"))["X-Frame-Options"] == "DENY"


def test_wrong_password_says_so(client, admin):
    response = client.post(
        reverse("account_login"), {"login": admin.user.email, "password": "errada-123"}
    )
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
