"""The "create your password and verify your account" link sent to a new agent."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.models import (
    Account,
    AccountUser,
    Invitation,
    User,
)
from accounts.services.common import require_admin
from accounts.services.users import _mark_verified, user_is_verified, user_set_password, user_update
from nexloo.core.errors import Conflict, NotFound
from nexloo.core.tasks import enqueue_on_commit

INVITATION_SALT = "accounts.invitation"


INVITATION_RESEND_COOLDOWN = timedelta(minutes=2)


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

    Returns the new invitation, or None when the membership is already accepted and the user
    verified with a password (then they are only told they were added).
    """
    from accounts import tasks  # tasks import services; imported here to keep that one-way

    require_admin(actor, account)
    if membership.account_id != account.pk:
        raise NotFound("agent not found")
    user = membership.user
    if membership.accepted_at is not None and user.has_usable_password() and user_is_verified(user):
        enqueue_on_commit(tasks.send_added_to_account, membership.account_id, user.pk)
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
    enqueue_on_commit(tasks.send_invitation, invitation.pk)
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
    if membership is None or (membership.accepted_at and user_is_verified(membership.user)):
        return None
    latest = (
        Invitation.objects.filter(account_id=invitation.account_id, user_id=invitation.user_id)
        .order_by("-created_at")
        .first()
    )
    if latest and latest.created_at > timezone.now() - INVITATION_RESEND_COOLDOWN:
        return None
    return invitation_send(account=membership.account, actor=None, membership=membership)


def invitation_for_existing_user(invitation: Invitation) -> bool:
    """Whether the link is for someone who already has a password (they sign in and accept)."""
    return invitation.user.has_usable_password() and user_is_verified(invitation.user)


@transaction.atomic
def invitation_join(*, invitation: Invitation, user: User) -> AccountUser:
    """A signed-in existing user accepts an invitation addressed to them."""
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if not invitation.is_usable() or invitation.user_id != user.pk:
        raise Conflict(_("This link is no longer valid."))
    return _accept(invitation)


def _accept(invitation: Invitation) -> AccountUser:
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    AccountUser.objects.filter(
        account_id=invitation.account_id, user_id=invitation.user_id, accepted_at=None
    ).update(accepted_at=now)
    Invitation.objects.filter(
        account_id=invitation.account_id, user_id=invitation.user_id, used_at=None, revoked_at=None
    ).update(revoked_at=now)
    return AccountUser.objects.get(account_id=invitation.account_id, user_id=invitation.user_id)


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
    _accept(invitation)
    return user
