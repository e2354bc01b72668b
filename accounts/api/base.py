"""The tenant-scoped API base that every app's account endpoints build on.

`AccountAPIView` resolves `account_id` from the path into `self.account` and `self.membership`
(404 when the caller does not belong to that account), and scopes querysets to the account. It
fails closed: subclasses may not override `get_queryset`/`get_object`; they describe their rows
with `scoped_queryset(account)` and may narrow them further with `filter_for_member(qs)`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from accounts.models import Account, AccountUser
from accounts.selectors import membership_get
from nexloo.core.errors import PermissionDenied
from nexloo.core.tenancy import get_or_not_found


class AccountAPIView(GenericAPIView):
    """Base for `/api/v1/accounts/{account_id}/…` endpoints."""

    account: Account
    membership: AccountUser
    # Methods that only administrators may call (403 for agents); GET stays open to members.
    admin_methods: ClassVar[frozenset[str]] = frozenset()
    lookup_url_kwarg = "pk"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}; use scoped_queryset()/get_scoped_object()"
                )

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        membership = getattr(request, "token_membership", None)
        if membership is None or str(membership.account_id) != str(kwargs["account_id"]):
            membership = membership_get(user=request.user, account_id=kwargs["account_id"])
        self.membership = membership
        self.account = self.membership.account
        if request.method in self.admin_methods and not self.membership.is_administrator:
            raise PermissionDenied("Only administrators can do this.")

    # Subclasses describe their rows; the base adds the account filter.
    def scoped_queryset(self, account: Account) -> QuerySet:
        raise ImproperlyConfigured(f"{type(self).__name__} must define scoped_queryset()")

    def get_queryset(self) -> QuerySet:
        return self.scoped_queryset(self.account)

    def get_object(self):
        lookup = self.kwargs.get(self.lookup_url_kwarg)
        obj = get_or_not_found(self.get_queryset(), **{self.lookup_field: lookup})
        self.check_object_permissions(self.request, obj)
        return obj
