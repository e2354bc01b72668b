"""The tenant-scoped base every account-owned model builds on.

Every tenant row carries an `account` foreign key, and every read starts from the account:
`Model.objects.for_account(account)` (or a selector that starts there). Looking an object up in
such a queryset goes through `get_or_not_found`, which raises `NotFound` for "does not exist"
and "belongs to someone else" alike — and for an id that is not even a number.
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models

from nexloo.core.errors import NotFound


def account_pk(account: Any) -> int:
    """Accepts an Account or its id."""
    return account if isinstance(account, int) else account.pk


def get_or_not_found(queryset: models.QuerySet, **lookup: Any):
    """`queryset.get(**lookup)`, answering NotFound (404) when there is no such row in it."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found") from exc


class TenantQuerySet(models.QuerySet):
    def for_account(self, account: Any) -> Self:
        return self.filter(account_id=account_pk(account))


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class TenantModel(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="%(app_label)s_%(class)ss"
    )

    objects = TenantManager()

    class Meta:
        abstract = True
