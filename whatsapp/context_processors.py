"""The banner administrators see on every page while a WhatsApp number's access token is
refused by Meta (error 190): replies and media of that number are stuck until someone enters a
new token, and only an administrator can."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from whatsapp import selectors


def auth_alerts(request) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_administrator:
        return {}
    account_id = membership.account_id
    # Lazy: read (from the cache) only by a page that shows the layout.
    return {
        "whatsapp_auth_alerts": SimpleLazyObject(
            lambda: selectors.auth_alerts(account_id=account_id)
        )
    }
