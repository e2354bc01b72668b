"""Issue 7 §3: a write that still fails ("database is locked": SQLite past its busy timeout) tells
the person and keeps what they typed. The settings forms are boosted, so their posts are htmx
requests whose 503 carries the message as plain text (app.js shows it at the top of the form,
which keeps its values; tests/e2e/test_form_errors.py watches that in a browser); a plain post
(no JavaScript) gets a page that says what happened."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from teams.models import Team
from tests.busy import BOOSTED, BUSY, database_locked

pytestmark = pytest.mark.django_db


def form_of(html: str) -> str:
    return re.search(r'<form method="post" class="form"[^>]*>', html).group(0)


@pytest.mark.parametrize(
    "page",
    [
        "settings_agent_new",
        "settings_account",
        "teams:new",
        "inboxes:new",
        "conversations:canned_new",
        "profile",
    ],
)
def test_the_settings_forms_are_boosted(login, admin, page):
    html = login(admin).get(reverse(page, args=[admin.account_id])).content.decode()
    assert 'hx-boost="true"' in form_of(html)


def test_a_boosted_form_post_that_finds_the_database_locked_answers_the_message(login, admin):
    client = login(admin)
    with database_locked():
        response = client.post(
            reverse("teams:new", args=[admin.account_id]),
            {"name": "Comercial", "description": "Vendas e orçamentos"},
            **BOOSTED,
        )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == BUSY
    assert response["Retry-After"]
    assert not Team.objects.exists()


def test_a_plain_form_post_gets_a_page_that_says_so(login, admin):
    client = login(admin)
    with database_locked():
        response = client.post(
            reverse("teams:new", args=[admin.account_id]),
            {"name": "Comercial", "description": "Vendas e orçamentos"},
        )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert re.search(rf'<div class="alert alert-error" role="alert">{BUSY}</div>', html)
    assert "Volte com o botão Voltar do navegador" in html
    assert not Team.objects.exists()
