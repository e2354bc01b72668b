"""The tenant-scoped base for account pages.

`AccountMixin` resolves `account_id` from the URL to the signed-in user's membership: a user who
does not belong to the account gets 404, exactly as if it did not exist. `AdminRequiredMixin`
adds the administrator check (403 for agents).
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone

from accounts.models import Account, AccountUser
from accounts.selectors import membership_get
from nexloo.core.errors import PermissionDenied

SESSION_ACCOUNT = "account_id"


class AccountMixin(LoginRequiredMixin):
    account: Account
    membership: AccountUser
    admin_required = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = membership_get(user=request.user, account_id=kwargs["account_id"])
        self.account = self.membership.account
        request.account = self.account
        request.membership = self.membership
        timezone.activate(self.account.timezone)
        if request.session.get(SESSION_ACCOUNT) != self.account.pk:
            request.session[SESSION_ACCOUNT] = self.account.pk
        if self.admin_required and not self.membership.is_administrator:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AdminRequiredMixin(AccountMixin):
    admin_required = True
