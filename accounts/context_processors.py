from __future__ import annotations

from django.conf import settings


def workspace(request) -> dict:
    """What the layout needs: the current account and membership (set by AccountMixin)."""
    account = getattr(request, "account", None)
    membership = getattr(request, "membership", None)
    memberships = []
    user = getattr(request, "user", None)
    if account is not None and user is not None and user.is_authenticated:
        from accounts.selectors import memberships_of

        memberships = memberships_of(user=user)  # lazy: only pages that show the switcher query
    return {
        "current_account": account,
        "current_membership": membership,
        "is_admin": bool(membership and membership.is_administrator),
        "account_memberships": memberships,
        "dev_mailbox": settings.DEV_MAILBOX,
    }
