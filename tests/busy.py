"""A database that refuses every write the way SQLite does past its busy timeout, and what a
boosted form post is answered then (nexloo.core.busy): the message as a plain-text 503, which
htmx does not swap, so the page and what was typed stay (app.js shows the message at the top of
the form). Used by tests/core/test_busy.py and by each app's own forms' tests."""

from __future__ import annotations

import contextlib
import re

from django.db import OperationalError, connection

BUSY = "O servidor está ocupado e nada foi salvo. Tente de novo em instantes."
BOOSTED = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextlib.contextmanager
def database_locked():
    """Every write answers as SQLite does when another writer holds the lock too long."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def assert_answered_in_place(response) -> None:
    """The busy message alone, as plain text: nothing for htmx to swap, the form stays."""
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == BUSY
    assert response["Retry-After"]


def page_forms(html: str, under: str) -> list[str]:
    """The opening tags of the page's POST forms that post to the page itself or to a path
    with `under` in it (not the sidebar's, nor the inbox tabs' delete dialog)."""
    found = []
    for tag in re.findall(r'<form method="post"[^>]*>', html):
        action = re.search(r'action="([^"]*)"', tag)
        if action is None or under in action.group(1):
            found.append(tag)
    return found


def assert_boosted(html: str, under: str, count: int | None = None) -> None:
    forms = page_forms(html, under)
    assert forms if count is None else len(forms) == count, forms
    for form in forms:
        assert 'hx-boost="true"' in form, form
