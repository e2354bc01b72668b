"""The tenant-scoped base every account-owned model builds on.

Every tenant row carries an `account` foreign key, and every read starts from the account:
`Model.objects.for_account(account)`. Looking up by id goes through `get_for_account`, which
raises `NotFound` for "does not exist" and "belongs to another account" alike.
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models

from nexloo.core.errors import NotFound


def account_pk(account: Any) -> int:
    """Accepts an Account or its id."""
    return account if isinstance(account, int) else account.pk


class TenantQuerySet(models.QuerySet):
    def for_account(self, account: Any) -> Self:
        return self.filter(account_id=account_pk(account))

    def get_for_account(self, account: Any, **lookup: Any):
        try:
            return self.for_account(account).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(f"{self.model._meta.verbose_name} not found") from exc


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class TenantModel(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="%(app_label)s_%(class)ss"
    )

    objects = TenantManager()

    class Meta:
        abstract = True
