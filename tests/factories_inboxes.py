"""factory_boy factories for inboxes and teams. Factories may write models directly (STYLE.md,
rule 2); the code under test goes through the services."""

from __future__ import annotations

import factory

from inboxes.models import Inbox, InboxMember, ScheduleRule
from teams.models import Team, TeamMember
from tests.factories import AccountFactory


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Caixa {n}")
    timezone = "America/Sao_Paulo"


class InboxMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboxMember

    inbox = factory.SubFactory(InboxFactory)
    account = factory.SelfAttribute("inbox.account")
    account_user = None  # required: pass the membership


class ScheduleRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleRule

    inbox = factory.SubFactory(InboxFactory)
    account = factory.SelfAttribute("inbox.account")
    kind = ScheduleRule.Kind.INTERVAL


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Time {n}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    account = factory.SelfAttribute("team.account")
    account_user = None  # required: pass the membership
