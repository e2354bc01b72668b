"""Tenants, people and their access.

`Account` is the tenant. `User` is global (one e-mail, one password) and joins accounts through
`AccountUser`, which carries the role and the availability in that account. API access tokens
and invitation links are stored hashed: the clear value is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
from typing import Self

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel, TenantQuerySet


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Language(models.TextChoices):
    PT_BR = "pt-br", "Português (Brasil)"
    EN = "en", "English"


class Account(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=255)
    locale = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.PT_BR
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    # Phone numbers typed without a country code are read in this country (ISO 3166 alpha-2).
    country = models.CharField(_("country"), max_length=2, default="BR")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    domain = models.CharField(max_length=255, blank=True, default="")
    support_email = models.EmailField(blank=True, default="")
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class UserManager(BaseUserManager):
    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        # For Django's own tooling (createsuperuser, tests); the product goes through services.
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=255)
    display_name = models.CharField(_("display name"), max_length=255, blank=True, default="")
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.PT_BR
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    message_signature = models.TextField(_("message signature"), blank=True, default="")
    ui_settings = models.JSONField(default=dict, blank=True)  # Chatwoot's dashboard's own
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.available_name

    @property
    def available_name(self) -> str:
        return self.display_name or self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.available_name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    AGENT = "agent", _("Agent")


class Availability(models.TextChoices):
    ONLINE = "online", _("Online")
    BUSY = "busy", _("Busy")
    OFFLINE = "offline", _("Offline")


def accepted_q(prefix: str = "") -> models.Q:
    """Memberships whose person accepted the invitation: a pending one gives no access, takes no
    work and is told nothing yet. `prefix` reaches the membership from another model
    (`"account_users__"`), inside the same `filter()` as the other conditions on it."""
    return models.Q(**{f"{prefix}accepted_at__isnull": False})


class AccountUserQuerySet(TenantQuerySet):
    def accepted(self) -> Self:
        return self.filter(accepted_q())


class AccountUser(TenantModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_users")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.OFFLINE
    )
    auto_offline = models.BooleanField(default=True)
    # The person (or an administrator) chose busy or offline: kept when they sign in, until
    # someone changes it. Otherwise signing in makes them online (as in Chatwoot).
    availability_kept = models.BooleanField(default=False)
    inviter = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    # None while the person has not accepted the invitation (a pending membership gives no
    # access); set when they follow the e-mailed link. Memberships made otherwise (sign-up,
    # platform API) are accepted at once.
    accepted_at = models.DateTimeField(null=True, blank=True, default=now)
    # The account's own name for the person (what its administrators typed); the user's name,
    # which is theirs and shown by every other account, is never changed by an account.
    display_name = models.CharField(max_length=255, blank=True, default="")
    active_at = models.DateTimeField(null=True, blank=True)
    # Heartbeat of the person's open browsers. With `auto_offline`, someone whose browsers have
    # all been closed for PRESENCE_TIMEOUT counts as offline, whatever `availability` says.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = AccountUserQuerySet.as_manager()

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="account_user_unique"),
        ]
        indexes = [models.Index(fields=["account", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account_id} ({self.role})"

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def shown_name(self) -> str:
        """Their name in this account (Chatwoot's `name`): the one the account gave them, else,
        once they accepted, their own. Before they accept nothing of theirs shows, since an
        account may have typed the address of someone else's user (see `agent_add`)."""
        if self.display_name:
            return self.display_name
        return self.user.name if self.accepted_at else self.user.email

    @property
    def available_name(self) -> str:
        """What this account's screens, payloads and events call them (Chatwoot's
        `available_name`): the account's name for them, else, once they accepted, theirs."""
        if self.display_name:
            return self.display_name
        return self.user.available_name if self.accepted_at else self.user.email


class PlatformApp(models.Model):
    """An installation-level client of the Platform API. It sees only what it created."""

    name = models.CharField(max_length=255)
    accounts = models.ManyToManyField(Account, blank=True, related_name="+")
    users = models.ManyToManyField(User, blank=True, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("platform app")
        verbose_name_plural = _("platform apps")

    def __str__(self) -> str:
        return self.name

    # DRF treats the authenticated principal as a user; a platform app is always authenticated.
    is_authenticated = True
    is_anonymous = False


class AccessToken(models.Model):
    """An `api_access_token`, owned by a user or by a platform app. Only its hash is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, help_text="The first characters, to recognise it.")
    # Chatwoot's `pubsub_token`: names the user's ActionCable subscription (`/cable`). It grants
    # only listening, is shown in the profile, and is replaced with the token (a user's only).
    pubsub_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="access_token"
    )
    platform_app = models.OneToOneField(
        PlatformApp, null=True, blank=True, on_delete=models.CASCADE, related_name="access_token"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, platform_app__isnull=True)
                    | models.Q(user__isnull=True, platform_app__isnull=False)
                ),
                name="access_token_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hint}…"


class Invitation(TenantModel):
    """The "create your password and verify your account" link sent to a new agent.

    Single use (`used_at`), expiring (`expires_at`); a new invitation supersedes the older ones.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A random value; the link carries an HMAC of it (keyed by SECRET_KEY), never the value.
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "user"])]

    def __str__(self) -> str:
        return f"invitation for {self.user_id} to {self.account_id}"

    def is_usable(self, at=None) -> bool:
        at = at or now()
        return self.used_at is None and self.revoked_at is None and at < self.expires_at


__all__ = [
    "AccessToken",
    "Account",
    "AccountUser",
    "AccountUserQuerySet",
    "Availability",
    "Invitation",
    "Language",
    "PlatformApp",
    "Role",
    "User",
    "accepted_q",
    "hash_secret",
]
