"""Cenário 4's company, as the help-center article describes it (SCENARIO.md), and the values the
demo's WhatsApp number uses with the local Graph API stand-in (`whatsapp/standin.py`)."""

from __future__ import annotations

from inboxes.business_hours import Interval
from inboxes.schedule import CLOSED, DayHours

COMPANY = "Cenário 4 Ltda"
DOMAIN = "cenario4.com.br"
PASSWORD = "Atendimento-2026!"  # noqa: S105 (the demo company's, printed by the seed)

# (name, e-mail login, role)
ADMIN = ("Ana Administradora", "admin")
AGENTS = [
    ("Sofia Secretária", "secretaria"),
    ("Carlos Comercial", "comercial1"),
    ("Camila Comercial", "comercial2"),
    ("Caio Comercial", "comercial3"),
]
COMERCIAIS = ("comercial1", "comercial2", "comercial3")

# Monday–Friday 08:30–17:00, Saturday 09:00–12:00, closed on Sunday (day 0).
WEEK = {
    0: DayHours(mode=CLOSED),
    **{
        d: DayHours(mode="intervals", intervals=(Interval(8 * 60 + 30, 17 * 60),))
        for d in range(1, 6)
    },
    6: DayHours(mode="intervals", intervals=(Interval(9 * 60, 12 * 60),)),
}
OUT_OF_OFFICE = (
    "Olá! Nosso horário de atendimento é de segunda a sexta, das 08:30 às 17:00, e aos "
    "sábados, das 09:00 às 12:00. Responderemos assim que possível."
)
TEAMS = {
    "Recepção": (
        "Primeiro atendimento e triagem das conversas.",
        "Olá! Você está falando com a Recepção. Em instantes vamos atendê-lo.",
    ),
    "Comercial": (
        "Orçamentos, vendas e negociações.",
        "Olá! Sua conversa foi encaminhada para o nosso time Comercial.",
    ),
}
RULE_NAME = "Tudo para a Recepção"
RULE_DESCRIPTION = "Toda conversa nova vai primeiro para a secretária, que a distribui."
CANNED = [
    ("bomdia", "Bom dia! Como posso ajudar?"),
    (
        "horario",
        "Atendemos de segunda a sexta, das 08:30 às 17:00, e aos sábados, das 09:00 às 12:00.",
    ),
    ("orcamento", "Vou encaminhar seu pedido de orçamento para o nosso time Comercial."),
]

# The demo's WhatsApp number. These are not Meta credentials: they only open the local
# stand-in (`make demo`). To connect a real number, change them on the inbox's WhatsApp page.
WHATSAPP_NUMBER = "+5511940004000"
PHONE_NUMBER_ID = "104000000000004"
BUSINESS_ACCOUNT_ID = "204000000000004"
STANDIN_TOKEN = "demo-standin-access-token"  # noqa: S105 (the stand-in's, not a real one)
APP_SECRET = "demo-standin-app-secret"  # noqa: S105
STANDIN_PORT = 8765

SAMPLES = [
    ("5511987650001", "Mariana Souza", "Olá, gostaria de um orçamento para 20 unidades."),
    ("5511987650002", "João Pereira", "Vocês abrem no sábado?"),
]
