"""The Platform API's writes: a platform app sees and changes only what it created."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from accounts.models import (
    Account,
    AccountUser,
    PlatformApp,
    User,
)
from accounts.services.accounts import account_create, account_update
from accounts.services.common import _validate_role
from accounts.services.memberships import account_user_add, agent_remove, agent_update
from accounts.services.users import (
    NewUser,
    _issue_token,
    user_create,
    user_set_password,
    user_update,
)
from nexloo.core.errors import NotFound, Unavailable, ValidationError
from nexloo.core.validators import clean_name


@dataclass(frozen=True)
class NewPlatformApp:
    app: PlatformApp
    token: str


@transaction.atomic
def platform_app_create(*, name: str) -> NewPlatformApp:
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    app = PlatformApp.objects.create(name=name)
    return NewPlatformApp(app=app, token=_issue_token(platform_app=app))


@transaction.atomic
def platform_account_create(*, app: PlatformApp, **fields) -> Account:
    account = account_create(**fields)
    app.accounts.add(account)
    return account


@transaction.atomic
def platform_user_create(*, app: PlatformApp, **fields) -> NewUser:
    new = user_create(**fields, verified=True)
    app.users.add(new.user)
    return new


@transaction.atomic
def platform_account_user_add(
    *, app: PlatformApp, account: Account, user: User, role: str
) -> AccountUser:
    _validate_role(role)
    membership = AccountUser.objects.filter(account=account, user=user).first()
    if membership is None:
        return account_user_add(account=account, user=user, role=role)
    if membership.role != role:
        return agent_update(account=account, actor=None, membership=membership, role=role)
    return membership


@transaction.atomic
def platform_account_user_remove(*, app: PlatformApp, account: Account, user: User) -> None:
    membership = AccountUser.objects.filter(account=account, user=user).first()
    if membership is None:
        raise NotFound("account user not found")
    agent_remove(account=account, actor=None, membership=membership)


def platform_account_update(*, app: PlatformApp, account: Account, **changes) -> Account:
    return account_update(account=account, actor=None, **changes)


@transaction.atomic
def platform_account_delete(*, app: PlatformApp, account: Account) -> None:
    """Deletes the account and everything in it (its people keep their users)."""
    Account.objects.filter(pk=account.pk).delete()


@transaction.atomic
def platform_user_update(
    *, app: PlatformApp, user: User, password: str | None = None, **changes
) -> User:
    user = user_update(user=User.objects.select_for_update().get(pk=user.pk), **changes)
    if password:
        user = user_set_password(user=user, password=password)
    return user


@transaction.atomic
def platform_user_delete(*, app: PlatformApp, user: User) -> None:
    User.objects.filter(pk=user.pk).delete()


# A sign-in link the platform hands to its user (Chatwoot's users/{id}/login): single use,
# valid for a few minutes, kept hashed in the cache.
LOGIN_LINK_SECONDS = 300


def _login_key(token: str) -> str:
    return "platform-login:" + hashlib.sha256(token.encode()).hexdigest()


def platform_login_token(*, app: PlatformApp, user: User) -> str:
    """Unavailable when the cache cannot keep the token: a link that would not work is never
    handed out. (The project's cache skips writes while Redis is down, hence the read-back.)"""
    token = secrets.token_urlsafe(32)
    key = _login_key(token)
    try:
        cache.set(key, user.pk, LOGIN_LINK_SECONDS)
        stored = cache.get(key) == user.pk
    except (RedisError, OSError):
        stored = False
    if not stored:
        raise Unavailable(_("Sign-in links cannot be made right now. Try again in a moment."))
    return token


def platform_login_redeem(token: str) -> User | None:
    """The active user of a sign-in link, once: a second use (or an expired link) is None."""
    key = _login_key(token)
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):  # the delete decides who used it first
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
