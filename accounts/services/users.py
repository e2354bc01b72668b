"""Users (global: one e-mail, one password) and their API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial

from allauth.account.models import EmailAddress
from django.contrib.auth import password_validation
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import (
    AccessToken,
    Language,
    User,
    hash_secret,
)
from accounts.services.common import _validate_locale
from accounts.sockets import after_commit_revoke
from nexloo.core import realtime
from nexloo.core.errors import ValidationError
from nexloo.core.validators import clean_name


def _normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    return email


def _validate_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _issue_token(**owner) -> str:
    token = secrets.token_urlsafe(24)
    defaults = {"token_hash": hash_secret(token), "hint": token[:6]}
    if "user" in owner:
        defaults["pubsub_token"] = secrets.token_urlsafe(24)  # revoked with the access token
    AccessToken.objects.update_or_create(**owner, defaults=defaults)
    return token


@dataclass(frozen=True)
class NewUser:
    user: User
    api_access_token: str


@transaction.atomic
def user_create(
    *,
    email: str,
    name: str,
    password: str | None = None,
    language: str = Language.PT_BR,
    display_name: str = "",
    verified: bool = False,
    custom_attributes: dict | None = None,
) -> NewUser:
    """Creates a global user with its e-mail address record and an API access token."""
    email = _normalize_email(email)
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    display_name = clean_name(display_name, "display_name")
    _validate_locale(language)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail already exists.")})
    user = User(
        email=email,
        name=name,
        display_name=display_name,
        language=language,
        custom_attributes=custom_attributes or {},
    )
    if password:
        _validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent request took the address first
        raise ValidationError({"email": _("A user with this e-mail already exists.")}) from exc
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return NewUser(user=user, api_access_token=_issue_token(user=user))


@transaction.atomic
def user_update(
    *,
    user: User,
    name: str | None = None,
    display_name: str | None = None,
    language: str | None = None,
    message_signature: str | None = None,
    ui_settings: dict | None = None,
) -> User:
    if name is not None:
        name = clean_name(name)
        if not name:
            raise ValidationError({"name": _("Enter the name.")})
        user.name = name
    if display_name is not None:
        user.display_name = clean_name(display_name, "display_name")
    if language is not None:
        user.language = _validate_locale(language)
    if message_signature is not None:
        user.message_signature = message_signature
    if ui_settings is not None:
        if not isinstance(ui_settings, dict):
            raise ValidationError({"ui_settings": _("Must be an object.")})
        user.ui_settings = {**user.ui_settings, **ui_settings}  # Chatwoot merges them
    user.save(
        update_fields=["name", "display_name", "language", "message_signature", "ui_settings"]
    )
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    after_commit_revoke(user.pk)  # sockets opened with the old password's sessions
    return user


@transaction.atomic
def access_token_regenerate(*, user: User) -> str:
    """Replaces the user's API token and pubsub token; the old ones stop working at once: the
    `/ws/` sockets opened with the old token and the `/cable` sockets subscribed with the old
    pubsub token are closed on commit."""
    old = AccessToken.objects.filter(user=user).values_list("token_hash", "pubsub_token").first()
    token = _issue_token(user=user)
    if old:
        old_hash, old_pubsub = old
        after_commit_revoke(user.pk, token_hash=old_hash)
        if old_pubsub:
            transaction.on_commit(partial(realtime.close_subscriptions, old_pubsub))
    return token


def user_is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _mark_verified(user: User) -> None:
    updated = EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True, primary=True
    )
    if not updated:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
