"""Accounts (tenants): creation, settings, sign-up of a new company."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import events as account_events
from accounts.countries import is_country
from accounts.models import (
    Account,
    AccountUser,
    Language,
    Role,
    User,
)
from accounts.services.common import _validate_locale, _validate_timezone, require_admin
from accounts.services.memberships import account_user_add
from accounts.services.users import _issue_token, user_create
from nexloo.core.errors import ValidationError
from nexloo.core.validators import clean_name


@transaction.atomic
def account_create(
    *,
    name: str,
    locale: str = Language.PT_BR,
    timezone_name: str | None = None,
    domain: str = "",
    support_email: str = "",
    status: str = Account.Status.ACTIVE,
    custom_attributes: dict | None = None,
) -> Account:
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Enter the company name.")})
    if status not in Account.Status.values:
        raise ValidationError({"status": _("Invalid status.")})
    account = Account.objects.create(
        name=name,
        locale=_validate_locale(locale),
        timezone=_validate_timezone(timezone_name or settings.DEFAULT_ACCOUNT_TIMEZONE),
        domain=domain,
        support_email=support_email,
        status=status,
        custom_attributes=custom_attributes or {},
    )
    return account


@transaction.atomic
def account_update(*, account: Account, actor: AccountUser | None, **changes) -> Account:
    """Changes the account's settings. Only administrators (or the platform) may."""
    require_admin(actor, account)
    allowed = {
        "name",
        "locale",
        "timezone",
        "domain",
        "support_email",
        "custom_attributes",
        "country",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
        if not changes["name"]:
            raise ValidationError({"name": _("Enter the company name.")})
    if "locale" in changes:
        _validate_locale(changes["locale"])
    if "timezone" in changes:
        _validate_timezone(changes["timezone"])
    if "country" in changes and not is_country(changes["country"]):
        raise ValidationError({"country": _("Choose a country from the list.")})
    account = Account.objects.select_for_update().get(pk=account.pk)
    for field, value in changes.items():
        setattr(account, field, value)
    account.save()
    account_events.account_updated(account=account, actor=actor)
    return account


@dataclass(frozen=True)
class NewAccount:
    account: Account
    admin: AccountUser
    api_access_token: str


@transaction.atomic
def account_create_with_admin(
    *,
    name: str,
    admin_email: str,
    admin_name: str,
    password: str,
    locale: str = Language.PT_BR,
    timezone_name: str | None = None,
    verified: bool = True,
) -> NewAccount:
    """A new company with its first administrator (the command line and demos use this)."""
    account = account_create(name=name, locale=locale, timezone_name=timezone_name)
    new = user_create(
        email=admin_email, name=admin_name, password=password, language=locale, verified=verified
    )
    admin = account_user_add(account=account, user=new.user, role=Role.ADMINISTRATOR)
    return NewAccount(account=account, admin=admin, api_access_token=new.api_access_token)


@transaction.atomic
def account_signup(*, user: User, company_name: str) -> AccountUser:
    """Completes the public sign-up: the new user becomes the administrator of a new account."""
    account = account_create(name=company_name, locale=user.language)
    _issue_token(user=user)
    return account_user_add(account=account, user=user, role=Role.ADMINISTRATOR)
