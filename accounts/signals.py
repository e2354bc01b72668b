"""Receivers of Django's signals for the accounts app."""

from __future__ import annotations


def on_sign_in(sender, request, user, **kwargs) -> None:
    """Agents are online when they sign in (see availability_on_sign_in)."""
    from accounts.services import availability_on_sign_in

    availability_on_sign_in(user=user)
