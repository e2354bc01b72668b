"""How rules hear of what happens: the intake hook for new conversations (before round robin),
and the kernel's events (after their commit) for the rest, each queued to a Celery task.

Kernel events carry Chatwoot's names; rules speak Chatwoot's automation events:

| kernel event | rule events |
| --- | --- |
| conversation.created | conversation_created (through the intake hook, not here) |
| conversation.updated, assignee.changed, team.changed | conversation_updated |
| conversation.status_changed | conversation_updated, conversation_opened, conversation_resolved |
| message.created (not activity lines) | message_created |

Events caused by a rule (`Event.caused_by_automation`) never trigger rules: no loops.
"""

from __future__ import annotations

from conversations import events as conv_events
from conversations.services import register_intake_hook
from nexloo.core import events
from nexloo.core.tasks import enqueue

UPDATED = (conv_events.CONVERSATION_UPDATED, conv_events.ASSIGNEE_CHANGED, conv_events.TEAM_CHANGED)


def rule_events_for(event: events.Event) -> list[tuple[str, str]]:
    """(rule event, dedupe key) pairs that a kernel event triggers."""
    if event.name == conv_events.MESSAGE_CREATED:
        if event.data.get("message_type_name") == "activity":
            return []
        return [("message_created", f"message:{event.data['id']}")]
    if event.name in UPDATED:
        return [("conversation_updated", f"event:{event.id}")]
    if event.name == conv_events.CONVERSATION_STATUS_CHANGED:
        pairs = [("conversation_updated", f"event:{event.id}")]
        status, previous = event.data.get("status"), event.data.get("previous_status")
        if status == "open" and previous != "open":
            pairs.append(("conversation_opened", f"event:{event.id}"))
        if status == "resolved" and previous != "resolved":
            pairs.append(("conversation_resolved", f"event:{event.id}"))
        return pairs
    return []


def on_event(event: events.Event) -> None:
    from automations import tasks
    from automations.selectors import has_active_rules

    if event.caused_by_automation:
        return
    for rule_event, dedupe_key in rule_events_for(event):
        if not has_active_rules(account_id=event.account_id, event_name=rule_event):
            continue
        if rule_event == "message_created":
            conversation_id, message_id = None, event.data["id"]
        else:
            conversation_id, message_id = event.conversation_pk, None
        enqueue(
            tasks.run_event,
            rule_event,
            dedupe_key,
            conversation_id,
            message_id,
            event.data.get("changed_attributes") or [],
        )


def intake_hook(*, conversation_id: int, final_attempt: bool) -> None:
    from automations.services import intake_hook as run

    run(conversation_id=conversation_id, final_attempt=final_attempt)


def connect() -> None:
    register_intake_hook(intake_hook)
    events.subscribe(
        *UPDATED, conv_events.CONVERSATION_STATUS_CHANGED, conv_events.MESSAGE_CREATED
    )(on_event)
