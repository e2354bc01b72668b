"""Domain events.

Only services emit events, and only on commit: `emit()` registers the dispatch with
`transaction.on_commit`, so a rolled-back change never tells anyone anything. Listeners (the
websocket push, the automation evaluator, outbound webhooks) subscribe by event name. A listener
that fails is logged and never stops the others, nor the request that caused the event.

Event names follow Chatwoot's (`conversation.created`, `assignee.changed`, ...), so that the
account's integrations carry over.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

ALL = "*"


@dataclass(frozen=True, slots=True)
class Performer:
    """Who caused the change: a user, an automation rule, a contact, or the system."""

    type: str  # "user" | "automation_rule" | "contact" | "system"
    id: int | None = None
    name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


SYSTEM = Performer(type="system", name="Nexloo")


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    account_id: int
    data: dict[str, Any]
    performer: Performer | None = None
    # Who may see it live. The account's administrators always may; besides them, the members
    # of `inbox_id` and the users in `user_ids`.
    inbox_id: int | None = None
    user_ids: frozenset[int] = frozenset()
    everyone: bool = False  # every user of the account (presence, account settings)
    admins: bool = True  # False: only the named users (e.g. "you read this" to your own tabs)
    # The database id of the conversation the event is about (payloads carry Chatwoot's ids:
    # the display id and the uuid), for listeners that load it.
    conversation_pk: int | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=timezone.now)

    @property
    def caused_by_automation(self) -> bool:
        return self.performer is not None and self.performer.type == "automation_rule"


Listener = Callable[[Event], None]
_listeners: dict[str, list[Listener]] = defaultdict(list)
_recorders: list[list[Event]] = []


def subscribe(*names: str) -> Callable[[Listener], Listener]:
    """Registers a listener for the given event names (`"*"` for all). Idempotent."""

    def register(listener: Listener) -> Listener:
        for name in names:
            if listener not in _listeners[name]:
                _listeners[name].append(listener)
        return listener

    return register


def emit(event: Event, *, using: str | None = None) -> None:
    """Dispatches `event` after the current transaction commits (at once if there is none)."""
    transaction.on_commit(partial(dispatch, event), using=using, robust=True)


def dispatch(event: Event) -> None:
    for recorder in _recorders:
        recorder.append(event)
    for listener in (*_listeners.get(event.name, ()), *_listeners.get(ALL, ())):
        try:
            listener(event)
        except Exception:
            logger.exception("event listener %r failed on %s", listener, event.name)


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Collects the events dispatched inside the block (for tests)."""
    bucket: list[Event] = []
    _recorders.append(bucket)
    try:
        yield bucket
    finally:
        _recorders.remove(bucket)
