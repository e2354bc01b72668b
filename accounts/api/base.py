"""The tenant-scoped API base that every app's account endpoints build on.

`AccountAPIView` resolves `account_id` from the path into `self.account` and `self.membership`
(404 when the caller does not belong to that account), and scopes querysets to the account. It
fails closed: subclasses may not override `get_queryset`/`get_object`; they describe their rows
with `scoped_queryset(account)` (narrowed to what the asking member may see), and the base adds
`<account_field>=self.account` to whatever they return, so a view that forgets the account
still cannot read another account's rows. A view whose rows really are not the account's must
say so with `dangerously_unscoped = True` (none does today).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from accounts.models import Account, AccountUser
from accounts.selectors import membership_get
from nexloo.core.errors import PermissionDenied
from nexloo.core.tenancy import get_or_not_found

_SEALED = ("get_queryset", "get_object", "account_scoped")


class AccountAPIView(GenericAPIView):
    """Base for `/api/v1/accounts/{account_id}/…` endpoints."""

    account: Account
    membership: AccountUser
    # Methods that only administrators may call (403 for agents); GET stays open to members.
    admin_methods: ClassVar[frozenset[str]] = frozenset()
    lookup_url_kwarg = "pk"
    # The path from the view's model to its account (e.g. "conversation__account").
    account_field: ClassVar[str] = "account"
    # The only escape from the account filter; named so that it stands out in review.
    dangerously_unscoped: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}; describe the rows with scoped_queryset()"
                )

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        self.membership = membership_get(user=request.user, account_id=kwargs["account_id"])
        self.account = self.membership.account
        if request.method in self.admin_methods and not self.membership.is_administrator:
            raise PermissionDenied("Only administrators can do this.")

    # Subclasses describe their rows; the base adds the account filter.
    def scoped_queryset(self, account: Account) -> QuerySet:
        raise ImproperlyConfigured(f"{type(self).__name__} must define scoped_queryset()")

    def account_scoped(self, qs: QuerySet) -> QuerySet:
        """`qs` restricted to `self.account`, whatever the subclass put in it."""
        if self.dangerously_unscoped:
            return qs
        if qs.model is Account:
            return qs.filter(pk=self.account.pk)
        first = self.account_field.split("__", 1)[0]
        try:
            qs.model._meta.get_field(first)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {qs.model.__name__} has no {first!r}; set account_field"
            ) from exc
        return qs.filter(**{self.account_field: self.account})

    def get_queryset(self) -> QuerySet:
        return self.account_scoped(self.scoped_queryset(self.account))

    def get_object(self):
        lookup = self.kwargs.get(self.lookup_url_kwarg)
        obj = get_or_not_found(self.get_queryset(), **{self.lookup_field: lookup})
        self.check_object_permissions(self.request, obj)
        return obj
