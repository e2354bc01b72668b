"""Writes for accounts, users, agents, tokens and invitations.

Every function here runs in a transaction and emits its events on commit. Callers pass the
account and the acting membership (`actor`); permission checks live here too, so that the page,
the API and the command line refuse the same things.
"""

from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts import events as account_events
from accounts.models import (
    AccessToken,
    Account,
    AccountUser,
    Availability,
    Invitation,
    Language,
    PlatformApp,
    Role,
    User,
    hash_secret,
)
from nexloo.core.errors import Conflict, NotFound, PermissionDenied, ValidationError

INVITATION_SALT = "accounts.invitation"
INVITATION_RESEND_COOLDOWN = timedelta(minutes=2)


# --- Accounts ------------------------------------------------------------------------------------


def _validate_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timezone": _("Unknown time zone: %s") % name}) from exc
    return name


def _validate_locale(locale: str) -> str:
    if locale not in Language.values:
        raise ValidationError({"locale": _("Unsupported language: %s") % locale})
    return locale


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
    name = (name or "").strip()
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
    allowed = {"name", "locale", "timezone", "domain", "support_email", "custom_attributes"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError({"name": _("Enter the company name.")})
    if "locale" in changes:
        _validate_locale(changes["locale"])
    if "timezone" in changes:
        _validate_timezone(changes["timezone"])
    account = Account.objects.select_for_update().get(pk=account.pk)
    for field, value in changes.items():
        setattr(account, field, value)
    account.save()
    account_events.account_updated(account=account, actor=actor)
    return account


# --- Users and tokens ----------------------------------------------------------------------------


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
    AccessToken.objects.update_or_create(
        **owner, defaults={"token_hash": hash_secret(token), "hint": token[:6]}
    )
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
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
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
) -> User:
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": _("Enter the name.")})
        user.name = name
    if display_name is not None:
        user.display_name = display_name.strip()
    if language is not None:
        user.language = _validate_locale(language)
    user.save(update_fields=["name", "display_name", "language"])
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def access_token_regenerate(*, user: User) -> str:
    """Replaces the user's API token; the old one stops working at once."""
    return _issue_token(user=user)


def user_is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _mark_verified(user: User) -> None:
    updated = EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True, primary=True
    )
    if not updated:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


# --- Memberships -----------------------------------------------------------------------------


def require_admin(actor: AccountUser | None, account: Account) -> None:
    """The check every administrators-only service makes. `actor=None` is the system itself
    (commands, the platform API, tasks)."""
    if actor is None:
        return
    if actor.account_id != account.pk:
        raise NotFound("account not found")
    if actor.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only administrators can do this."))


def _validate_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Unknown role: %(role)s. Use administrator or agent.") % {"role": role}}
        )
    return role


def _validate_availability(availability: str) -> str:
    availability = {"available": Availability.ONLINE}.get(availability, availability)
    if availability not in Availability.values:
        raise ValidationError({"availability_status": _("Unknown availability.")})
    return availability


@transaction.atomic
def account_user_add(
    *,
    account: Account,
    user: User,
    role: str,
    inviter: User | None = None,
    availability: str = Availability.OFFLINE,
    auto_offline: bool = True,
) -> AccountUser:
    _validate_role(role)
    availability = _validate_availability(availability)
    try:
        with transaction.atomic():
            membership = AccountUser.objects.create(
                account=account,
                user=user,
                role=role,
                inviter=inviter,
                availability=availability,
                auto_offline=auto_offline,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"email": _("An agent with this e-mail already belongs to this account.")}
        ) from exc
    account_events.account_user_created(membership=membership)
    return membership


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


# --- Agents (Configurações → Agentes) --------------------------------------------------------


@transaction.atomic
def agent_add(
    *,
    account: Account,
    actor: AccountUser | None,
    name: str,
    email: str,
    role: str = Role.AGENT,
    availability: str = Availability.OFFLINE,
    auto_offline: bool = True,
) -> AccountUser:
    """Adds a person to the account and e-mails them.

    A new address becomes a new user, who receives the link to create a password and verify the
    account. An existing user is linked to this account (their password stays theirs) and is
    told so; if they never finished their own verification they get a fresh link too.
    """
    require_admin(actor, account)
    email = _normalize_email(email)
    _validate_role(role)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_create(email=email, name=name, language=account.locale).user
    elif AccountUser.objects.filter(account=account, user=user).exists():
        raise ValidationError(
            {"email": _("An agent with this e-mail already belongs to this account.")}
        )
    membership = account_user_add(
        account=account,
        user=user,
        role=role,
        inviter=actor.user if actor else None,
        availability=availability,
        auto_offline=auto_offline,
    )
    invitation_send(account=account, actor=actor, membership=membership)
    return membership


@transaction.atomic
def agent_update(
    *,
    account: Account,
    actor: AccountUser | None,
    membership: AccountUser,
    name: str | None = None,
    role: str | None = None,
    availability: str | None = None,
    auto_offline: bool | None = None,
) -> AccountUser:
    _lock_memberships(account, actor)
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    membership = AccountUser.objects.select_related("user").get(pk=membership.pk)
    if role is not None:
        _validate_role(role)
        if membership.role == Role.ADMINISTRATOR and role != Role.ADMINISTRATOR:
            _refuse_last_admin(account, membership)
        membership.role = role
    if availability is not None:
        membership.availability = _validate_availability(availability)
    if auto_offline is not None:
        membership.auto_offline = auto_offline
    membership.save()
    if name is not None:
        user_update(user=membership.user, name=name)
    account_events.account_user_updated(membership=membership, actor=actor)
    return membership


def _lock_memberships(account: Account, actor: AccountUser | None) -> None:
    """Serialises changes to the account's roles and checks the actor's role *after* the lock.

    Two administrators demoting each other at once would otherwise both see the other one as
    the remaining administrator; a demoted actor must not act on a role read before the lock.
    """
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if actor is not None:
        if actor.account_id != account.pk:
            raise NotFound("account not found")
        role = AccountUser.objects.filter(pk=actor.pk).values_list("role", flat=True).first()
        if role != Role.ADMINISTRATOR:
            raise PermissionDenied(_("Only administrators can do this."))


def _refuse_last_admin(account: Account, membership: AccountUser) -> None:
    """Call with the account locked (`_lock_memberships`)."""
    others = (
        AccountUser.objects.for_account(account)
        .filter(role=Role.ADMINISTRATOR)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise Conflict(_("The account needs at least one administrator."))


@transaction.atomic
def agent_remove(*, account: Account, actor: AccountUser | None, membership: AccountUser) -> None:
    """Removes a person from the account (the user and their other accounts stay).

    Their inbox and team memberships go with the membership row (foreign keys cascade), and
    conversations assigned to them become unassigned, all in this transaction.
    """
    _lock_memberships(account, actor)
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    membership = AccountUser.objects.get(pk=membership.pk)
    if membership.role == Role.ADMINISTRATOR:
        _refuse_last_admin(account, membership)
    Invitation.objects.filter(account=account, user_id=membership.user_id, used_at=None).update(
        revoked_at=timezone.now()
    )
    snapshot = account_events.membership_snapshot(membership)
    membership.delete()
    account_events.account_user_removed(snapshot=snapshot, actor=actor)


@transaction.atomic
def availability_set(
    *, account: Account, membership: AccountUser, availability: str
) -> AccountUser:
    """The person's own availability (online, busy, offline) in this account."""
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    availability = _validate_availability(availability)
    membership = AccountUser.objects.select_for_update().get(pk=membership.pk)
    changed = membership.availability != availability
    membership.availability = availability
    # Choosing an availability happens in an open browser: the person is here.
    membership.active_at = membership.last_seen_at = timezone.now()
    membership.save(update_fields=["availability", "active_at", "last_seen_at"])
    if changed:
        account_events.presence_changed(membership=membership)
    return membership


# --- Invitations -----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the link. Stable for one invitation, so a re-run sends the same link."""
    mac = salted_hmac(INVITATION_SALT, f"{invitation.pk}:{invitation.nonce}", algorithm="sha256")
    return f"{invitation.pk}-{mac.hexdigest()[:40]}"


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link points to, usable or not; NotFound if the link was tampered with."""
    pk, _sep, _mac = (token or "").partition("-")
    try:
        invitation = Invitation.objects.select_related("account", "user").get(pk=int(pk))
    except (Invitation.DoesNotExist, ValueError) as exc:
        raise NotFound("invitation not found") from exc
    if not constant_time_compare(invitation_token(invitation), token):
        raise NotFound("invitation not found")
    return invitation


@transaction.atomic
def invitation_send(
    *, account: Account, actor: AccountUser | None, membership: AccountUser
) -> Invitation | None:
    """(Re)sends the e-mail for a membership; a new link supersedes the older ones.

    Returns the new invitation, or None when the user is already verified and has a password:
    then they are only told they were added to the account.
    """
    from accounts import tasks  # tasks import services; imported here to keep that one-way

    require_admin(actor, account)
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    user = membership.user
    if user.has_usable_password() and user_is_verified(user):
        transaction.on_commit(
            lambda: tasks.send_added_to_account.delay(membership.account_id, user.pk)
        )
        return None
    now = timezone.now()
    Invitation.objects.filter(account=account, user=user, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    invitation = Invitation.objects.create(
        account=account,
        user=user,
        inviter=actor.user if actor else None,
        nonce=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + settings.INVITATION_TTL,
    )
    transaction.on_commit(lambda: tasks.send_invitation.delay(invitation.pk))
    return invitation


@transaction.atomic
def invitation_renew(*, invitation: Invitation) -> Invitation | None:
    """A person whose link expired asks for a new one, from the expired-link page.

    Sent only to the invited address, only while they still belong to the account and have not
    accepted, and at most once per cooldown.
    """
    membership = (
        AccountUser.objects.select_related("user")
        .filter(account_id=invitation.account_id, user_id=invitation.user_id)
        .first()
    )
    if membership is None or user_is_verified(membership.user):
        return None
    latest = (
        Invitation.objects.filter(account_id=invitation.account_id, user_id=invitation.user_id)
        .order_by("-created_at")
        .first()
    )
    if latest and latest.created_at > timezone.now() - INVITATION_RESEND_COOLDOWN:
        return None
    return invitation_send(account=membership.account, actor=None, membership=membership)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, name: str | None = None) -> User:
    """Sets the password, verifies the e-mail address and uses the link up."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=invitation.pk)
    )
    if not invitation.is_usable():
        raise Conflict(_("This link is no longer valid."))
    user = invitation.user
    if name:
        user_update(user=user, name=name)
    user_set_password(user=user, password=password)
    _mark_verified(user)
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    # The user's other pending links (other accounts, older sends) all lead here; close them.
    Invitation.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    return user


# --- Platform --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPlatformApp:
    app: PlatformApp
    token: str


@transaction.atomic
def platform_app_create(*, name: str) -> NewPlatformApp:
    name = (name or "").strip()
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
