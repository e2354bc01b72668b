"""Canned responses (respostas prontas), used in the composer by typing /shortcut. Managed by
administrators; every member uses them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from conversations.models import CannedResponse
from nexloo.core.errors import NotFound, ValidationError


def _clean(short_code: str | None, content: str | None) -> dict:
    fields = {}
    if short_code is not None:
        code = short_code.strip().lstrip("/")
        if not code or len(code) > 64 or any(c.isspace() for c in code):
            raise ValidationError(
                {"short_code": _("Use a short code of up to 64 characters, without spaces.")}
            )
        fields["short_code"] = code
    if content is not None:
        if not content.strip():
            raise ValidationError({"content": _("Write the response text.")})
        fields["content"] = content.strip()
    return fields


def _save(response: CannedResponse) -> CannedResponse:
    clash = CannedResponse.objects.for_account(response.account_id).filter(
        short_code__iexact=response.short_code
    )
    if response.pk:
        clash = clash.exclude(pk=response.pk)
    if clash.exists():
        raise ValidationError({"short_code": _("This short code is already in use.")})
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:
        raise ValidationError({"short_code": _("This short code is already in use.")}) from exc
    return response


@transaction.atomic
def canned_response_create(
    *, account: Account, actor: AccountUser | None, short_code: str, content: str
) -> CannedResponse:
    require_admin(actor, account)
    return _save(CannedResponse(account=account, **_clean(short_code, content)))


@transaction.atomic
def canned_response_update(
    *,
    account: Account,
    actor: AccountUser | None,
    response: CannedResponse,
    short_code: str | None = None,
    content: str | None = None,
) -> CannedResponse:
    require_admin(actor, account)
    if response.account_id != account.pk:
        raise NotFound("canned response not found")
    for key, value in _clean(short_code, content).items():
        setattr(response, key, value)
    return _save(response)


@transaction.atomic
def canned_response_delete(
    *, account: Account, actor: AccountUser | None, response: CannedResponse
) -> None:
    require_admin(actor, account)
    if response.account_id != account.pk:
        raise NotFound("canned response not found")
    response.delete()
