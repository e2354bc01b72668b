"""The Platform API's writes: a platform app sees and changes only what it created."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import (
    Account,
    AccountUser,
    PlatformApp,
    User,
)
from accounts.services.accounts import account_create
from accounts.services.common import _validate_role
from accounts.services.memberships import account_user_add, agent_remove, agent_update
from accounts.services.users import NewUser, _issue_token, user_create
from nexloo.core.errors import NotFound, ValidationError
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
