from __future__ import annotations

import pytest

from automations import services as rule_services
from conversations import services
from tests.factories import (
    AccountUserFactory,
    ContactInboxFactory,
    InboxFactory,
    InboxMemberFactory,
    TeamFactory,
    TeamMemberFactory,
)


@pytest.fixture(autouse=True)
def _fast(fast_passwords):
    """Factories hash passwords; the cheap hasher keeps these tests quick."""


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def inbox(account):
    return InboxFactory(account=account, name="WhatsApp")


@pytest.fixture
def scenario(account, admin, inbox):
    """Cenário 4: the secretária in Recepção, three comerciais in Comercial, all four in the
    inbox, whose own automatic assignment is on (so round robin would take a new conversation
    if no rule decided first)."""
    people = {}
    for key, name in [
        ("secretaria", "Sofia Secretária"),
        ("comercial1", "Carlos Comercial"),
        ("comercial2", "Camila Comercial"),
        ("comercial3", "Caio Comercial"),
    ]:
        people[key] = AccountUserFactory(account=account, user__name=name)
        InboxMemberFactory(inbox=inbox, account_user=people[key])
    reception = TeamFactory(
        account=account,
        name="Recepção",
        routing_message="Olá! Você está falando com a Recepção.",
    )
    sales = TeamFactory(account=account, name="Comercial")
    TeamMemberFactory(team=reception, account_user=people["secretaria"])
    for key in ("comercial1", "comercial2", "comercial3"):
        TeamMemberFactory(team=sales, account_user=people[key])
    return {"reception": reception, "sales": sales, **people}


@pytest.fixture
def reception_rule(account, admin, scenario, django_capture_on_commit_callbacks):
    """The Cenário 4 rule: Conversa Criada, Situação igual a abertas → Recepção."""
    with django_capture_on_commit_callbacks(execute=True):  # the cached rule set is replaced
        return rule_services.rule_create(
            account=account,
            actor=admin,
            name="Tudo para a Recepção",
            description="Toda conversa nova vai primeiro para a secretária.",
            event_name="conversation_created",
            conditions=[
                {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}
            ],
            actions=[{"action_name": "assign_team", "action_params": [scenario["reception"].pk]}],
        )


@pytest.fixture
def rule(account, admin, django_capture_on_commit_callbacks):
    """Creates a rule through the service (validated as the API and the UI do), with what its
    commit sets off (the account's cached rule set is replaced)."""

    def _rule(event_name="conversation_created", conditions=(), actions=(), **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return rule_services.rule_create(
                account=account,
                actor=admin,
                name=fields.pop("name", "Regra"),
                event_name=event_name,
                conditions=list(conditions),
                actions=list(actions),
                **fields,
            )

    return _rule


@pytest.fixture
def open_new(inbox, django_capture_on_commit_callbacks):
    """A conversation opened by a channel, with what its commit sets off (intake included)."""

    def _open(**contact):
        with django_capture_on_commit_callbacks(execute=True):
            conversation = services.conversation_open_for(
                contact_inbox=ContactInboxFactory(inbox=inbox, **contact)
            ).conversation
        conversation.refresh_from_db()
        return conversation

    return _open
