"""Customers writing on WhatsApp, played against a running Nexloo: signed webhook deliveries, as
Meta posts them, to `<url>/webhooks/whatsapp/<number>`. And Meta's other half for the replies
the stand-in received: "delivered", then "read", so the ticks turn in the agents' screens.

Standard library and requests only (the web process is another program)."""

from __future__ import annotations

import itertools
import json
import random
import time
from dataclasses import dataclass, field

import requests

from whatsapp.standin import GraphStandIn, sign, status_delivery, text_delivery

CUSTOMERS = [
    ("5511987651001", "Beatriz Lima"),
    ("5511987651002", "Rafael Costa"),
    ("5521998761003", "Juliana Alves"),
    ("5531987651004", "Pedro Santos"),
    ("5541987651005", "Larissa Rocha"),
    ("5511987651006", "Gustavo Ferreira"),
    ("5551987651007", "Fernanda Ribeiro"),
    ("5519987651008", "Thiago Martins"),
]
FIRST = [
    "Olá! Gostaria de um orçamento, por favor.",
    "Bom dia, vocês entregam em Campinas?",
    "Boa tarde! Qual o prazo de entrega?",
    "Oi, vi o anúncio de vocês e queria saber o preço.",
    "Vocês parcelam no cartão?",
]
AGAIN = [
    "Obrigado! Aguardo o retorno.",
    "Pode me mandar o catálogo?",
    "E o frete, quanto fica?",
    "Perfeito, vou falar com meu sócio e retorno.",
]


@dataclass
class Player:
    url: str  # where Nexloo serves, e.g. http://127.0.0.1:8000
    number: str  # the inbox's WhatsApp number, E.164 (+5511…)
    phone_number_id: str
    app_secret: str
    seed: int | None = None
    sent: int = 0
    acknowledged_replies: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 (which customer writes next)
        self.ids = itertools.count(1)
        self.spoken: set[str] = set()
        self.stamp = int(time.time())

    def post(self, body: dict) -> int:
        raw = json.dumps(body).encode()
        response = requests.post(
            f"{self.url.rstrip('/')}/webhooks/whatsapp/{self.number}",
            data=raw,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(raw, self.app_secret),
            },
            timeout=10,
        )
        return response.status_code

    def customer_writes(self, wa_id: str, name: str, text: str) -> int:
        self.sent += 1
        return self.post(
            text_delivery(
                phone_number_id=self.phone_number_id,
                display_phone_number=self.number.lstrip("+"),
                wa_id=wa_id,
                name=name,
                text=text,
                wamid=f"wamid.DEMO.{self.stamp}.{next(self.ids)}",
            )
        )

    def next_message(self) -> tuple[str, str, str]:
        wa_id, name = self.random.choice(CUSTOMERS)
        text = self.random.choice(AGAIN if wa_id in self.spoken else FIRST)
        self.spoken.add(wa_id)
        return wa_id, name, text

    def acknowledge(self, graph: GraphStandIn) -> list[tuple[str, str, int]]:
        """'delivered' and 'read' for every message the stand-in sent and we did not answer."""
        done = []
        for record in list(graph.requests):
            if record.method != "POST" or not record.path.endswith("/messages"):
                continue
            to = (record.json or {}).get("to", "")
            wamid = ((record.answer or {}).get("messages") or [{}])[0].get("id", "")
            if not wamid or wamid in self.acknowledged_replies:
                continue
            self.acknowledged_replies.add(wamid)
            for status in ("delivered", "read"):
                code = self.post(
                    status_delivery(
                        phone_number_id=self.phone_number_id,
                        display_phone_number=self.number.lstrip("+"),
                        wamid=wamid,
                        status=status,
                        recipient_id=to,
                    )
                )
                done.append((wamid, status, code))
        return done
