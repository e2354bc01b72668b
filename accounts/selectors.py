"""Reads for accounts and agents. Every read starts from the account or from who is asking."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import AccessToken, Account, AccountUser, PlatformApp, Role, User, hash_secret
from nexloo.core.errors import NotFound


def membership_get(*, user: User, account_id: int | str) -> AccountUser:
    """The user's membership in an account; NotFound when they have none (or it doesn't exist)."""
    try:
        return (
            AccountUser.objects.select_related("account", "user")
            .filter(user=user, account_id=int(account_id))
            .get()
        )
    except (AccountUser.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("account not found") from exc


def memberships_of(*, user: User) -> QuerySet[AccountUser]:
    return AccountUser.objects.filter(user=user).select_related("account").order_by("account__name")


def _verified() -> Exists:
    return Exists(
        EmailAddress.objects.filter(user_id=OuterRef("user_id"), verified=True).filter(
            email__iexact=OuterRef("user__email")
        )
    )


def agents_list(*, account: Account, query: str = "", role: str = "") -> QuerySet[AccountUser]:
    """The account's people, administrators first, with `verified` annotated (one query)."""
    qs = (
        AccountUser.objects.for_account(account)
        .select_related("user")
        .annotate(verified=_verified())
        .order_by("user__name", "user__email")
    )
    if query:
        qs = qs.filter(Q(user__name__icontains=query) | Q(user__email__icontains=query))
    if role in Role.values:
        qs = qs.filter(role=role)
    return qs


def agent_get(*, account: Account, user_id: int | str) -> AccountUser:
    """An agent of the account by user id (Chatwoot's agent id is the user's id)."""
    try:
        return agents_list(account=account).get(user_id=int(user_id))
    except (AccountUser.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("agent not found") from exc


def administrators_count(*, account: Account) -> int:
    return AccountUser.objects.for_account(account).filter(role=Role.ADMINISTRATOR).count()


def token_owner(token: str) -> AccessToken | None:
    if not token:
        return None
    return (
        AccessToken.objects.select_related("user", "platform_app")
        .filter(token_hash=hash_secret(token))
        .first()
    )


def platform_account_get(*, app: PlatformApp, account_id: int | str) -> Account:
    """An account the platform app created; any other answers NotFound."""
    try:
        return app.accounts.get(pk=int(account_id))
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("account not found") from exc


def platform_user_get(*, app: PlatformApp, user_id: int | str) -> User:
    try:
        return app.users.get(pk=int(user_id))
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("user not found") from exc


def platform_account_users(*, account: Account) -> QuerySet[AccountUser]:
    return AccountUser.objects.for_account(account).order_by("pk")
