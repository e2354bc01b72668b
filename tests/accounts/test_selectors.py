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


def test_the_account_sees_its_own_name_for_a_person_and_theirs_only_once_they_accepted(
    account, admin
):
    named = AccountUserFactory(
        account=account, accepted_at=None, display_name="Beto", user__name="Roberto Real"
    )
    unnamed = AccountUserFactory(
        account=account, accepted_at=None, user__name="Carla Real", user__email="zeta@x.com.br"
    )
    joined = AccountUserFactory(
        account=account, user__name="Dora Duarte", user__display_name="Dorinha"
    )
    assert (named.shown_name, named.available_name) == ("Beto", "Beto")
    assert (unnamed.shown_name, unnamed.available_name) == ("zeta@x.com.br", "zeta@x.com.br")
    assert (joined.shown_name, joined.available_name) == ("Dora Duarte", "Dorinha")
    # The list sorts and searches by the same names, in SQL.
    listed = selectors.agents_list(membership=admin)
    assert [m.shown_name for m in listed] == [
        "Ana Administradora",
        "Beto",
        "Dora Duarte",
        "zeta@x.com.br",
    ]
    assert list(selectors.agents_list(membership=admin, query="Real")) == []
    assert list(selectors.agents_list(membership=admin, query="bet")) == [named]
    assert list(selectors.agents_list(membership=admin, query="Duarte")) == [joined]


def test_accepted_memberships_are_the_ones_whose_person_accepted(account, admin, outsider):
    from accounts.models import AccountUser, User, accepted_q

    pending = AccountUserFactory(account=account, accepted_at=None)
    joined = AccountUserFactory(account=account)
    assert set(AccountUser.objects.for_account(account).accepted()) == {admin, joined}
    assert pending not in AccountUser.objects.accepted()
    # The same condition from another model, as `automations.send_team_email` reaches it.
    reached = User.objects.filter(accepted_q("account_users__"), account_users__account=account)
    assert set(reached) == {admin.user, joined.user}
