"""The events that go out as webhooks, named as Chatwoot names them (`message_created`, …), with
Chatwoot's payload (`{"event": …, <the object's webhook data>}`, see webhooks.payloads). Here,
on the commit, only what costs no query: whether the event is sendable, which active webhooks
take it (cached), and one delivery task per webhook carrying the event's snapshot; the payload
is built in that task."""

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


def on_event(event: events.Event) -> None:
    from webhooks import payloads, selectors, tasks

    subscription = SUBSCRIPTION_OF.get(event.name)
    if subscription is None or not payloads.sendable(event, subscription):
        return  # not a webhook event, or an activity line (Chatwoot sends none)
    targets = selectors.targets_for(
        account_id=event.account_id, inbox_id=event.inbox_id, subscription=subscription
    )
    if not targets:
        return
    source = payloads.snapshot(event)
    for webhook_id in targets:
        enqueue(tasks.deliver, webhook_id, uuid.uuid4().hex, subscription, None, source)


def connect() -> None:
    events.subscribe(*SUBSCRIPTION_OF)(on_event)
