"""Reads of the accounts app that other apps rely on."""

from __future__ import annotations

import pytest

from accounts import selectors
from tests.factories import AccountUserFactory, AdminFactory

pytestmark = pytest.mark.django_db


def test_administrator_emails_are_the_accepted_active_administrators(account, admin, outsider):
    AdminFactory(account=account, accepted_at=None, user__email="convidada@exemplo.com.br")
    AdminFactory(account=account, user__email="saiu@exemplo.com.br", user__is_active=False)
    AccountUserFactory(account=account, user__email="agente@exemplo.com.br")
    second = AdminFactory(account=account, user__email="bia@exemplo.com.br")
    assert selectors.administrator_emails(account_id=account.pk) == sorted(
        [admin.user.email, second.user.email]
    )
