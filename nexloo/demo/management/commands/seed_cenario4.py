"""Builds Cenário 4 (SCENARIO.md) in one step for demos, idempotently: run it again and what is
there is kept, what is missing is added, and the same sign-in details are printed.

The company and its five people (verified, one password), the WhatsApp Cloud inbox (connected to
the local Graph API stand-in of `python manage.py demo`; real credentials replace the demo ones on
the inbox's WhatsApp page) with the four agents and the article's opening hours, the Recepção and
Comercial teams (description, routing message, automatic assignment, members), a few canned
responses, the automation rule of step 5 (Conversa Criada, Situação igual a abertas → atribuir
ao time Recepção) and sample conversations routed by it. Prints the details as JSON, then how to
sign in.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Account, AccountUser, Role, User
from automations import services as rule_services
from automations.models import AutomationRule
from conversations import services
from conversations.models import CannedResponse
from conversations.services import IncomingMessage
from inboxes import services as inbox_services
from inboxes.models import Inbox
from nexloo.demo import scenario
from teams import services as team_services
from teams.models import Team
from whatsapp import services as whatsapp_services
from whatsapp.models import WhatsAppChannel


class Command(BaseCommand):
    help = "Create (or complete) the Cenário 4 demo account; prints the sign-in details."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--domain", default=scenario.DOMAIN, help="e-mail domain of the five")
        parser.add_argument("--password", default=scenario.PASSWORD, help="password of all five")
        parser.add_argument("--name", default=scenario.COMPANY)
        parser.add_argument("--no-samples", action="store_true", help="no sample conversations")

    def handle(self, *args, **opts) -> None:
        result = build(
            name=opts["name"],
            domain=opts["domain"],
            password=opts["password"],
            samples=not opts["no_samples"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        site = settings.SITE_URL.rstrip("/")
        self.stderr.write(
            f"\nSign in at {site}/accounts/login/ with any of the e-mails above and the password "
            f"{result['password']!r}\n(the secretária: {result['people']['secretaria']}).\n"
            f"WhatsApp webhook: {site}/webhooks/whatsapp/{scenario.WHATSAPP_NUMBER}; "
            "`make demo` plays customers writing to it.\n"
        )


@transaction.atomic
def build(*, name: str, domain: str, password: str, samples: bool = True) -> dict:
    account = Account.objects.filter(name=name).order_by("pk").first()
    admin_name, admin_login = scenario.ADMIN
    admin_email = f"{admin_login}@{domain}"
    if account is None:
        new = account_services.account_create_with_admin(
            name=name, admin_email=admin_email, admin_name=admin_name, password=password
        )
        account, admin = new.account, new.admin
    else:
        admin = AccountUser.objects.select_related("user").get(
            account=account, user__email=admin_email
        )
    people = {admin_login: admin}
    for person_name, login in scenario.AGENTS:
        people[login] = _agent(account, f"{login}@{domain}", person_name, password)
    agents = [people[login] for _name, login in scenario.AGENTS]

    inbox = _whatsapp_inbox(account, admin)
    inbox_services.inbox_members_set(
        account=account, actor=admin, inbox=inbox, user_ids=[a.user_id for a in agents]
    )
    inbox_services.inbox_schedule_set(
        account=account, actor=admin, inbox=inbox, weekly=scenario.WEEK, enabled=True
    )

    teams = {}
    for team_name, (description, routing) in scenario.TEAMS.items():
        members = (
            [people["secretaria"]]
            if team_name == "Recepção"
            else [people[p] for p in scenario.COMERCIAIS]
        )
        team = Team.objects.filter(account=account, name=team_name).first()
        if team is None:
            team = team_services.team_create(
                account=account,
                actor=admin,
                name=team_name,
                description=description,
                routing_message=routing,
                allow_auto_assign=True,
                member_user_ids=[m.user_id for m in members],
            )
        teams[team_name] = team

    for code, text in scenario.CANNED:
        if not CannedResponse.objects.filter(account=account, short_code=code).exists():
            services.canned_response_create(
                account=account, actor=admin, short_code=code, content=text
            )

    rule = AutomationRule.objects.filter(account=account, name=scenario.RULE_NAME).first()
    if rule is None:
        rule = rule_services.rule_create(
            account=account,
            actor=admin,
            name=scenario.RULE_NAME,
            description=scenario.RULE_DESCRIPTION,
            event_name="conversation_created",
            conditions=[
                {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}
            ],
            actions=[{"action_name": "assign_team", "action_params": [teams["Recepção"].pk]}],
        )

    if samples:
        for wa_id, contact_name, text in scenario.SAMPLES:
            # Once each (the provider id is the key). Their intake runs after the commit (a
            # worker, or at once without Redis): the rule sends them to Recepção, whose
            # auto-assignment gives them to the secretária.
            services.inbound_message(
                inbox=inbox,
                contact_source_id=wa_id,
                contact_name=contact_name,
                phone_number="+" + wa_id,
                message=IncomingMessage(content=text, source_id=f"seed-{wa_id}"),
            )
    return {
        "account_id": account.pk,
        "password": password,
        "people": {login: m.user.email for login, m in people.items()},
        "inbox_id": inbox.pk,
        "whatsapp_number": scenario.WHATSAPP_NUMBER,
        "teams": {team_name: team.pk for team_name, team in teams.items()},
        "automation_rule_id": rule.pk,
    }


def _agent(account: Account, email: str, name: str, password: str) -> AccountUser:
    membership = (
        AccountUser.objects.select_related("user")
        .filter(account=account, user__email=email)
        .first()
    )
    if membership is not None:
        return membership
    user = User.objects.filter(email=email).first()
    if user is None:
        user = account_services.user_create(
            email=email, name=name, password=password, verified=True
        ).user
    return account_services.account_user_add(
        account=account, user=user, role=Role.AGENT, availability="online", auto_offline=False
    )


def _whatsapp_inbox(account: Account, admin: AccountUser) -> Inbox:
    channel = (
        WhatsAppChannel.objects.select_related("inbox")
        .filter(account=account, phone_number=scenario.WHATSAPP_NUMBER)
        .first()
    )
    if channel is None:
        channel = whatsapp_services.whatsapp_inbox_create(
            account=account,
            actor=admin,
            name="WhatsApp",
            phone_number=scenario.WHATSAPP_NUMBER,
            phone_number_id=scenario.PHONE_NUMBER_ID,
            business_account_id=scenario.BUSINESS_ACCOUNT_ID,
            access_token=scenario.STANDIN_TOKEN,
            app_secret=scenario.APP_SECRET,
        )
        inbox_services.inbox_update(
            account=account,
            actor=admin,
            inbox=channel.inbox,
            # The teams' auto-assignment distributes (Recepção → the secretária), as the article
            # sets it up; the inbox's own round robin would hand conversations to anyone.
            enable_auto_assignment=False,
            out_of_office_message=scenario.OUT_OF_OFFICE,
        )
    return channel.inbox
