"""`python manage.py demo` (or `make demo`): the local stand-in for Meta's Graph API, and
customers writing on WhatsApp to the Cenário 4 inbox (`seed_cenario4`), a few a minute, so a
person can watch the secretária's screen fill up live.

Nexloo itself runs beside it (`make run` or `make run-stack`), started with
WHATSAPP_GRAPH_URL=http://127.0.0.1:8765 so that its replies reach the stand-in; the stand-in
then reports them delivered and read, and the ticks turn. Ctrl-C stops it.
"""

from __future__ import annotations

import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand

from nexloo.demo import scenario
from nexloo.demo.player import Player
from whatsapp.standin import GraphStandIn


class Command(BaseCommand):
    help = "Run the Graph API stand-in and play customers writing on WhatsApp."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=settings.SITE_URL, help="where Nexloo serves")
        parser.add_argument("--per-minute", type=float, default=4.0, help="customer messages")
        parser.add_argument("--count", type=int, default=0, help="stop after N (0: never)")
        parser.add_argument("--port", type=int, default=scenario.STANDIN_PORT)
        parser.add_argument("--seed", type=int, default=None, help="random seed")

    def handle(self, *args, **opts) -> None:
        graph = GraphStandIn(token=scenario.STANDIN_TOKEN, port=opts["port"]).start()
        player = Player(
            url=opts["url"],
            number=scenario.WHATSAPP_NUMBER,
            phone_number_id=scenario.PHONE_NUMBER_ID,
            app_secret=scenario.APP_SECRET,
            seed=opts["seed"],
        )
        self.stdout.write(
            f"Graph API stand-in on {graph.url} — start Nexloo with "
            f"WHATSAPP_GRAPH_URL={graph.url} so its replies come here.\n"
            f"Customers write to {opts['url']}/webhooks/whatsapp/{scenario.WHATSAPP_NUMBER}, "
            f"{opts['per_minute']:g} a minute. Ctrl-C stops.\n"
        )
        interval = 60.0 / max(opts["per_minute"], 0.1)
        next_at = time.monotonic()
        try:
            while not opts["count"] or player.sent < opts["count"]:
                if time.monotonic() >= next_at:
                    next_at += interval
                    wa_id, name, text = player.next_message()
                    try:
                        code = player.customer_writes(wa_id, name, text)
                    except requests.RequestException as exc:
                        self.stdout.write(f"  Nexloo unreachable ({exc}); retrying next time")
                        continue
                    note = "" if code == 200 else f"  (answered {code}: is the inbox seeded?)"
                    self.stdout.write(f"{name} (+{wa_id}): {text}{note}")
                for wamid, status, _code in player.acknowledge(graph):
                    self.stdout.write(f"  reply {wamid}: {status}")
                time.sleep(0.5)
            time.sleep(3)  # the last replies' statuses
            player.acknowledge(graph)
        except KeyboardInterrupt:
            pass
        finally:
            graph.stop()
