"""Checks the accounts services share: who may act, and valid roles, languages, time zones."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.utils.translation import gettext as _

from accounts.models import (
    Account,
    AccountUser,
    Availability,
    Language,
    Role,
)
from nexloo.core.errors import NotFound, PermissionDenied, ValidationError


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


def memberships_for_user_ids(account: Account, user_ids: Iterable[int]) -> list[AccountUser]:
    """The account's memberships of these users (the API speaks user ids); every id must
    belong to the account, or nothing happens and the unknown ones are named."""
    wanted = {int(u) for u in user_ids}
    found = list(AccountUser.objects.for_account(account).filter(user_id__in=wanted))
    missing = wanted - {m.user_id for m in found}
    if missing:
        raise ValidationError(
            {
                "user_ids": _("These agents are not in this account: %(ids)s")
                % {"ids": sorted(missing)}
            }
        )
    return found
