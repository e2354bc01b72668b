"""People in an account: adding agents, roles (never without an administrator), removal,
availability."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import events as account_events
from accounts.models import (
    Account,
    AccountUser,
    Availability,
    Invitation,
    Role,
    User,
)
from accounts.services.common import _validate_availability, _validate_role, require_admin
from accounts.services.invitations import invitation_send
from accounts.services.users import _normalize_email, user_create
from accounts.sockets import after_commit_revoke
from nexloo.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from nexloo.core.validators import clean_name


@transaction.atomic
def account_user_add(
    *,
    account: Account,
    user: User,
    role: str,
    inviter: User | None = None,
    availability: str = Availability.OFFLINE,
    auto_offline: bool = True,
    pending: bool = False,
    display_name: str = "",
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
                accepted_at=None if pending else timezone.now(),
                display_name=display_name,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"email": _("An agent with this e-mail already belongs to this account.")}
        ) from exc
    account_events.account_user_created(membership=membership)
    return membership


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
    """Invites a person to the account: a *pending* membership and an e-mailed link.

    A new address becomes a new user, whose link creates their password and verifies the
    address. An existing user's link asks them to sign in and accept; until then they are not
    in the account ("Verificação pendente"). The answer is the same either way, so the caller
    learns nothing about the address; the name typed here is the account's own name for them
    (`display_name`), never a change of the user's name.
    """
    require_admin(actor, account)
    email = _normalize_email(email)
    _validate_role(role)
    name = clean_name(name)
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
        pending=True,
        display_name=name,
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
    availability_before = membership.availability
    if availability is not None:
        membership.availability = _validate_availability(availability)
        membership.availability_kept = membership.availability != Availability.ONLINE
    if auto_offline is not None:
        membership.auto_offline = auto_offline
    if name is not None:
        # The account's name for them; the person's own name is theirs (see agent_add).
        name = name.strip()
        if not name:
            raise ValidationError({"name": _("Enter the name.")})
        membership.display_name = name[:255]
    membership.save()
    account_events.account_user_updated(membership=membership, actor=actor)
    if membership.availability != availability_before:
        # The same announcement as the person's own selector: screens and the queues follow.
        account_events.presence_changed(membership=membership)
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
    """Call with the account locked (`_lock_memberships`). Only accepted administrators count:
    a pending one has no access until they accept, and may never do so."""
    others = (
        AccountUser.objects.for_account(account)
        .accepted()
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
    after_commit_revoke(membership.user_id, account_id=account.pk)


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
    membership.availability_kept = availability != Availability.ONLINE
    # Choosing an availability happens in an open browser: the person is here.
    membership.active_at = membership.last_seen_at = timezone.now()
    membership.save(
        update_fields=["availability", "availability_kept", "active_at", "last_seen_at"]
    )
    if changed:
        account_events.presence_changed(membership=membership)
    return membership


@transaction.atomic
def availability_on_sign_in(*, user) -> int:
    """Someone signed in: online in each of their accounts, unless they chose busy or offline
    there themselves (kept until they change it). With auto_offline, the open browser's
    heartbeat keeps them online from now on and its closing takes them offline. Returns in how
    many accounts they came online."""
    now = timezone.now()
    came_online = 0
    memberships = AccountUser.objects.select_for_update().filter(user=user)
    for membership in memberships:
        changed = (
            not membership.availability_kept and membership.availability != Availability.ONLINE
        )
        if changed:
            membership.availability = Availability.ONLINE
        membership.active_at = membership.last_seen_at = now
        membership.save(update_fields=["availability", "active_at", "last_seen_at"])
        if changed:
            account_events.presence_changed(membership=membership)
            came_online += 1
    return came_online
