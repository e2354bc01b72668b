"""Run inside the SQLite server's environment (tests/test_sqlite_server.py): an account, an API
inbox, two agents and an administrator, printed as JSON for the test."""

import json

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from accounts import services as account_services  # noqa: E402
from tests.factories import (  # noqa: E402
    AccountFactory,
    AccountUserFactory,
    AdminFactory,
    InboxFactory,
    InboxMemberFactory,
)

account = AccountFactory(name="Cenário 4 Ltda")
admin = AdminFactory(account=account, user__name="Ana Administradora")
inbox = InboxFactory(account=account, name="API Comercial")
agents = []
for name in ("Sofia Secretária", "Bruno Comercial"):
    membership = AccountUserFactory(account=account, user__name=name, availability="offline")
    InboxMemberFactory(inbox=inbox, account_user=membership)
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    agents.append(
        {"id": membership.pk, "session": client.cookies[settings.SESSION_COOKIE_NAME].value}
    )
print(
    json.dumps(
        {
            "account": account.pk,
            "inbox": inbox.pk,
            "token": account_services.access_token_regenerate(user=admin.user),
            "agents": agents,
        }
    )
)
