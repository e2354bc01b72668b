"""Open websockets end with what opened them.

A socket is opened by a session or by an API token. When that credential ends — sign-out,
password change or reset, token regeneration, removal from the account — the person's matching
sockets are told to close (nexloo.core.realtime.revoke_sockets, after the commit). The consumer
also re-checks its credential on every frame it receives, which covers what sends no event: a
session that expired or was flushed.
"""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.db import transaction

from nexloo.core.realtime import revoke_sockets


def after_commit_revoke(user_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: revoke_sockets(user_id, **kwargs))


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        session_key = getattr(getattr(request, "session", None), "session_key", None)
        # Only that browser's sockets: the person's other sessions are still signed in.
        if session_key:
            revoke_sockets(user.pk, session_key=session_key)


def _password_changed(sender, request, user, **kwargs) -> None:
    after_commit_revoke(user.pk)


def connect() -> None:
    user_logged_out.connect(_logged_out, dispatch_uid="accounts.sockets.logout")
    for signal in (password_changed, password_reset, password_set):
        signal.connect(_password_changed, dispatch_uid=f"accounts.sockets.{id(signal)}")
