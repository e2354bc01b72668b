"""The events that go out as webhooks, named as Chatwoot names them (`message_created`, …), with
the event's payload: `{"event": …, <the object's fields>}`."""

from __future__ import annotations

import uuid

from nexloo.core import events
from nexloo.core.tasks import enqueue

SUBSCRIPTION_OF = {
    "conversation.created": "conversation_created",
    "conversation.status_changed": "conversation_status_changed",
    "conversation.updated": "conversation_updated",
    "assignee.changed": "conversation_updated",
    "team.changed": "conversation_updated",
    "message.created": "message_created",
    "message.updated": "message_updated",
    "contact.created": "contact_created",
    "contact.updated": "contact_updated",
}


def payload_for(event: events.Event, subscription: str) -> dict:
    return {"event": subscription, **event.data, "account": {"id": event.account_id}}


def on_event(event: events.Event) -> None:
    from webhooks import selectors, tasks

    subscription = SUBSCRIPTION_OF.get(event.name)
    if subscription is None:
        return
    targets = selectors.targets_for(
        account_id=event.account_id, inbox_id=event.inbox_id, subscription=subscription
    )
    if not targets:
        return
    payload = payload_for(event, subscription)
    for webhook_id in targets:
        enqueue(tasks.deliver, webhook_id, uuid.uuid4().hex, subscription, payload)


def connect() -> None:
    events.subscribe(*SUBSCRIPTION_OF)(on_event)
