"""Background work of the accounts app: sending e-mails. Thin: fetch by id, call a service."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts import emails
from accounts.models import Account, AccountUser, Invitation
from accounts.services import invitation_token

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(
    name="accounts.send_invitation",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_invitation(invitation_id: int) -> bool:
    """Sends the link once; a superseded, used or already-sent invitation sends nothing."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("account", "user", "inviter")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or invitation.sent_at or not invitation.is_usable():
            return False
        emails.send_invitation(invitation, invitation_token(invitation))
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True


@shared_task(
    name="accounts.send_added_to_account",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=8,
)
def send_added_to_account(account_id: int, user_id: int) -> bool:
    membership = (
        AccountUser.objects.select_related("account", "user")
        .filter(account_id=account_id, user_id=user_id)
        .first()
    )
    if membership is None:
        return False
    emails.send_added_to_account(Account.objects.get(pk=account_id), membership.user)
    return True


@shared_task(name="accounts.presence_sweep", expires=25)
def presence_sweep() -> int:
    """Periodic: tells the account who went offline by closing their last browser."""
    from accounts.presence import presence_sweep as sweep

    return sweep()
