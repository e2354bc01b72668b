"""`make demo`'s customers: the player's signed deliveries are accepted by the real webhook and
become conversations of the seeded Cenário 4 inbox; its status reports for the stand-in's
replies are accepted too."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, Message
from inboxes.models import Inbox
from nexloo.demo import scenario
from nexloo.demo.management.commands.seed_cenario4 import build
from nexloo.demo.player import Player
from whatsapp import publisher
from whatsapp.standin import GraphStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph(settings):
    with GraphStandIn(token=scenario.STANDIN_TOKEN) as standin:
        settings.WHATSAPP_GRAPH_URL = standin.url
        yield standin


def test_a_played_customer_is_accepted_and_the_reply_acknowledged(live_server_url, graph):
    seeded = build(
        name=scenario.COMPANY, domain=scenario.DOMAIN, password=scenario.PASSWORD, samples=False
    )
    # Whatever the time of day the suite runs at: no out-of-office reply beside the routing
    # message (the business hours themselves are tested on a frozen clock elsewhere).
    Inbox.objects.filter(pk=seeded["inbox_id"]).update(working_hours_enabled=False)
    player = Player(
        url=live_server_url,
        number=scenario.WHATSAPP_NUMBER,
        phone_number_id=scenario.PHONE_NUMBER_ID,
        app_secret=scenario.APP_SECRET,
        seed=7,
    )
    wa_id, name, text = player.next_message()
    assert player.customer_writes(wa_id, name, text) == 200
    publisher.wait_until_idle()
    conversation = Conversation.objects.get(inbox_id=seeded["inbox_id"])
    assert conversation.contact.name == name
    assert Message.objects.filter(conversation=conversation, content=text).exists()
    # The rule and Recepção sent the routing message to the stand-in; the player reports it
    # delivered and read, as Meta would, and the webhook accepts both.
    [routing] = graph.wait_for_sent(1)
    assert routing["to"] == wa_id
    acknowledged = []
    for _ in range(100):
        acknowledged += player.acknowledge(graph)
        if len(acknowledged) == 2:
            break
        publisher.wait_until_idle()
    assert [(status, code) for _wamid, status, code in acknowledged] == [
        ("delivered", 200),
        ("read", 200),
    ]
    # A wrong secret is refused: the player signs exactly as Meta does.
    player.app_secret = "not-the-secret"
    assert player.customer_writes(wa_id, name, "Olá?") == 401
