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
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
    # The automation rule whose action set this off, when someone else does it: the engine
    # picking a team member after a rule routed to the team, the queue drain after a rule
    # unassigned. Activity lines still name the performer ("por Automação"); rules do not
    # trigger on it.
    cause_rule_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}

    @property
    def rule_id(self) -> int | None:
        """The rule that did this, or whose action set it off; None if no rule is behind it."""
        return self.id if self.type == "automation_rule" else self.cause_rule_id

    def set_off_by(self, cause: Performer | None) -> Performer:
        """This performer acting because of `cause`: it carries the rule behind `cause`, if any."""
        rule_id = cause.rule_id if cause is not None else None
        return self if rule_id is None else replace(self, cause_rule_id=rule_id)


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
        """A rule did it, or set it off (see Performer.cause_rule_id)."""
        return self.performer is not None and self.performer.rule_id is not None


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


class _Batch:
    """The events of one transaction, dispatched one after another once it commits. Listeners
    share `memo` across them (the websocket push reads an audience once for all the events of
    a commit, not once per event)."""

    __slots__ = ("events", "hooks", "memo")

    def __init__(self, hooks: list) -> None:
        self.hooks = hooks  # the connection's list of on-commit callbacks of that transaction
        self.memo: dict[Any, Any] = {}
        # Every event emitted in it (one rolled back with a savepoint too: a hint of what is
        # coming, never dispatched from here).
        self.events: list[Event] = []


_local = threading.local()


def emit(event: Event, *, using: str | None = None) -> None:
    """Dispatches `event` after the current transaction commits (at once if there is none)."""
    connection = transaction.get_connection(using)
    batch = None
    if connection.in_atomic_block:
        # Same transaction, same list of callbacks (Django starts a new list after a commit or
        # a rollback, and after a savepoint's rollback): same batch.
        batch = getattr(_local, "batch", None)
        if batch is None or batch.hooks is not connection.run_on_commit:
            batch = _local.batch = _Batch(connection.run_on_commit)
        batch.events.append(event)
    transaction.on_commit(partial(dispatch, event, batch), using=using, robust=True)


def dispatch(event: Event, batch: _Batch | None = None) -> None:
    for recorder in _recorders:
        recorder.append(event)
    outer = getattr(_local, "dispatching", None)
    _local.dispatching = batch
    try:
        for listener in (*_listeners.get(event.name, ()), *_listeners.get(ALL, ())):
            try:
                listener(event)
            except Exception:
                logger.exception("event listener %r failed on %s", listener, event.name)
    finally:
        _local.dispatching = outer


def batch_events() -> list[Event]:
    """The events emitted by the transaction being dispatched (see _Batch.events)."""
    batch = getattr(_local, "dispatching", None)
    return batch.events if batch is not None else []


def batch_memo() -> dict[Any, Any]:
    """A dict shared by the listeners of all the events of the commit being dispatched (read
    after that commit, so what is kept in it is as fresh as a read per event); a new, empty one
    for an event outside a transaction."""
    batch = getattr(_local, "dispatching", None)
    return batch.memo if batch is not None else {}


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Collects the events dispatched inside the block (for tests)."""
    bucket: list[Event] = []
    _recorders.append(bucket)
    try:
        yield bucket
    finally:
        _recorders.remove(bucket)
