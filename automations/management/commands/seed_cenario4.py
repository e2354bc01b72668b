"""Builds Cenário 4 (SCENARIO.md) in one step for demos: the company, its five people, the
inbox with the four agents and the opening hours, the Recepção and Comercial teams, a few canned
responses, the automation rule of step 5 (Conversa Criada, Situação igual a abertas → Recepção)
and sample conversations routed by it. Prints the sign-in details as JSON.

It lives in `automations` because it creates a real rule (`conversations` may not import this
app)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services as account_services
from accounts.models import Account, Role
from automations import services as rule_services
from conversations import services
from conversations.services import IncomingMessage
from inboxes import services as inbox_services
from inboxes.business_hours import Interval
from inboxes.schedule import CLOSED, DayHours
from teams import services as team_services

PEOPLE = [
    ("Ana Administradora", "admin", Role.ADMINISTRATOR),
    ("Sofia Secretária", "secretaria", Role.AGENT),
    ("Carlos Comercial", "comercial1", Role.AGENT),
    ("Camila Comercial", "comercial2", Role.AGENT),
    ("Caio Comercial", "comercial3", Role.AGENT),
]
WEEK = {
    0: DayHours(mode=CLOSED),
    **{
        d: DayHours(mode="intervals", intervals=(Interval(8 * 60 + 30, 17 * 60),))
        for d in range(1, 6)
    },
    6: DayHours(mode="intervals", intervals=(Interval(9 * 60, 12 * 60),)),
}


class Command(BaseCommand):
    help = "Create the Cenário 4 demo account (5 people, inbox, hours, Recepção and Comercial)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--domain", default="cenario4.com.br", help="e-mail domain of the people"
        )
        parser.add_argument("--password", default="Atendimento-2026!", help="password of all five")
        parser.add_argument("--name", default="Cenário 4 Ltda")

    @transaction.atomic
    def handle(self, *args, **opts) -> None:
        if Account.objects.filter(name=opts["name"]).exists():
            raise CommandError(f"An account called {opts['name']!r} already exists.")
        people = {}
        admin_name, admin_login, _role = PEOPLE[0]
        new = account_services.account_create_with_admin(
            name=opts["name"],
            admin_email=f"{admin_login}@{opts['domain']}",
            admin_name=admin_name,
            password=opts["password"],
        )
        account, admin = new.account, new.admin
        people[admin_login] = admin
        for name, login, role in PEOPLE[1:]:
            user = account_services.user_create(
                email=f"{login}@{opts['domain']}",
                name=name,
                password=opts["password"],
                verified=True,
            ).user
            people[login] = account_services.account_user_add(
                account=account, user=user, role=role, availability="online", auto_offline=False
            )
        agents = [people[p] for p in ("secretaria", "comercial1", "comercial2", "comercial3")]

        inbox = inbox_services.inbox_create(
            account=account,
            actor=admin,
            name="WhatsApp",
            enable_auto_assignment=False,
            out_of_office_message=(
                "Olá! Nosso horário de atendimento é de segunda a sexta, das 08:30 às 17:00, e aos "
                "sábados, das 09:00 às 12:00. Responderemos assim que possível."
            ),
        )
        inbox_services.inbox_members_set(
            account=account, actor=admin, inbox=inbox, user_ids=[a.user_id for a in agents]
        )
        inbox_services.inbox_schedule_set(
            account=account, actor=admin, inbox=inbox, weekly=WEEK, enabled=True
        )

        reception = team_services.team_create(
            account=account,
            actor=admin,
            name="Recepção",
            description="Primeiro atendimento e triagem das conversas.",
            routing_message="Olá! Você está falando com a Recepção. Em instantes vamos atendê-lo.",
            allow_auto_assign=True,
            member_user_ids=[people["secretaria"].user_id],
        )
        sales = team_services.team_create(
            account=account,
            actor=admin,
            name="Comercial",
            description="Orçamentos, vendas e negociações.",
            routing_message="Olá! Sua conversa foi encaminhada para o nosso time Comercial.",
            allow_auto_assign=True,
            member_user_ids=[people[p].user_id for p in ("comercial1", "comercial2", "comercial3")],
        )
        for code, text in [
            ("bomdia", "Bom dia! Como posso ajudar?"),
            (
                "horario",
                "Atendemos de segunda a sexta, das 08:30 às 17:00,"
                " e aos sábados, das 09:00 às 12:00.",
            ),
            ("orcamento", "Vou encaminhar seu pedido de orçamento para o nosso time Comercial."),
        ]:
            services.canned_response_create(
                account=account, actor=admin, short_code=code, content=text
            )

        rule = rule_services.rule_create(
            account=account,
            actor=admin,
            name="Tudo para a Recepção",
            description="Toda conversa nova vai primeiro para a secretária, que a distribui.",
            event_name="conversation_created",
            conditions=[
                {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}
            ],
            actions=[{"action_name": "assign_team", "action_params": [reception.pk]}],
        )
        samples = [
            ("5511987650001", "Mariana Souza", "Olá, gostaria de um orçamento para 20 unidades."),
            ("5511987650002", "João Pereira", "Vocês abrem no sábado?"),
        ]
        for wa_id, name, text in samples:
            # Their intake runs after this command's commit (a worker, or at once without Redis):
            # the rule above sends them to Recepção, and its auto-assignment to the secretária.
            services.inbound_message(
                inbox=inbox,
                contact_source_id=wa_id,
                contact_name=name,
                phone_number="+" + wa_id,
                message=IncomingMessage(content=text, source_id=f"seed-{wa_id}"),
            )
        self.stdout.write(
            json.dumps(
                {
                    "account_id": account.pk,
                    "password": opts["password"],
                    "people": {login: m.user.email for login, m in people.items()},
                    "inbox_id": inbox.pk,
                    "teams": {"Recepção": reception.pk, "Comercial": sales.pk},
                    "automation_rule_id": rule.pk,
                },
                ensure_ascii=False,
            )
        )
