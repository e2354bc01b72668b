"""Delivering outgoing messages through their channel.

Channels plug in here (the conversations app never imports them): a channel app registers a
backend for its inbox channel type. Delivery runs in a Celery task queued on commit, with
retries on transient errors; the provider's message id becomes the message's `source_id`.

Fail closed: an inbox whose channel type has no backend cannot deliver, and its replies are
marked failed — never "sent" to nobody. The `api` channel has an explicit backend (below): like
Chatwoot's API channel, it delivers by events (the account's webhooks and the websocket that API
clients listen to), so handing the message to those events is its delivery.

A backend may also say what the composer needs to know (both optional):

- `reply_window`: how long after the contact's last message free text may be sent (WhatsApp:
  24 hours); None or absent means always.
- `templates(inbox)`: the approved message templates that may be sent at any time.
- `template_error_codes`: the provider's error codes of a failed message that mean "only a
  template may go now" (WhatsApp's 131047): the thread then offers the template picker.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.utils import timezone

from nexloo.core.tasks import enqueue_on_commit

if TYPE_CHECKING:
    from conversations.models import Conversation, Message
    from inboxes.models import Inbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    source_id: str | None


class TransientDeliveryError(Exception):
    """Try again later (timeouts, 5xx, rate limits)."""


class PermanentDeliveryError(Exception):
    """The provider refused the message for good; it is marked failed with this text (`code` is
    the provider's error code, kept on the message so the screen can offer what helps; `detail`
    the provider's own code, title and details, shown under the text)."""

    def __init__(self, message: str, code: str = "", detail: dict | None = None) -> None:
        super().__init__(message)
        self.code = str(code or "")
        self.detail = detail or {}


PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class MessageTemplate:
    """A template a channel may send outside its reply window (WhatsApp's approved templates).
    `body` has numbered placeholders ("Olá {{1}}"), filled in order by the agent."""

    name: str
    language: str
    body: str
    category: str = ""
    header: str = ""
    footer: str = ""
    parameters: tuple[str, ...] = field(default=())

    @classmethod
    def with_parameters_of(cls, **fields) -> MessageTemplate:
        names = tuple(dict.fromkeys(PLACEHOLDER.findall(fields.get("body", ""))))
        return cls(parameters=names, **fields)

    def render(self, values: dict[str, str]) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.body)


class DeliveryBackend(Protocol):
    def send(self, message: Message) -> Sent: ...


class EventsOnlyBackend:
    """The API channel: its subscribers (the account's webhooks, API clients on the websocket)
    receive the message through the `message.created` event that storing it emits on commit, so
    the message is stored as sent (Chatwoot's default status), with no delivery task."""

    hands_over_on_commit = True

    def send(self, message: Message) -> Sent:
        return Sent(source_id=None)


_backends: dict[str, DeliveryBackend] = {}


def register_backend(channel_type: str, backend: DeliveryBackend) -> None:
    _backends[channel_type] = backend


def backend_for(channel_type: str) -> DeliveryBackend | None:
    return _backends.get(channel_type)


def hands_over_on_commit(channel_type: str) -> bool:
    """Whether storing a message is its delivery (the API channel): it is then stored as sent
    and never queued. Any other channel's messages wait, queued, for their delivery task."""
    return getattr(backend_for(channel_type), "hands_over_on_commit", False)


def queue(message: Message) -> None:
    """Delivers the message after the current transaction commits."""
    from conversations.tasks import deliver_message

    enqueue_on_commit(deliver_message, message.pk)


# --- What the composer needs to know ------------------------------------------------------------


@dataclass(frozen=True)
class ReplyState:
    can_reply: bool  # free text allowed now
    window: timedelta | None  # None: the channel has no window
    closes_at: datetime | None
    templates: tuple[MessageTemplate, ...] = ()


def reply_window(channel_type: str) -> timedelta | None:
    return getattr(backend_for(channel_type), "reply_window", None)


def template_error_codes(channel_type: str) -> frozenset[str]:
    return frozenset(getattr(backend_for(channel_type), "template_error_codes", ()))


def can_reply(conversation: Conversation, at: datetime | None = None) -> bool:
    """Whether free text may be sent now (no query: the window is the channel's, the contact's
    last message time is on the conversation)."""
    window = reply_window(conversation.inbox.channel_type)
    if window is None:
        return True
    last = conversation.last_incoming_at
    return last is not None and (at or timezone.now()) < last + window


def templates_for(inbox: Inbox) -> tuple[MessageTemplate, ...]:
    backend = backend_for(inbox.channel_type)
    offer = getattr(backend, "templates", None)
    return tuple(offer(inbox)) if offer is not None else ()


def reply_state(conversation: Conversation, at: datetime | None = None) -> ReplyState:
    window = reply_window(conversation.inbox.channel_type)
    last = conversation.last_incoming_at
    return ReplyState(
        can_reply=can_reply(conversation, at),
        window=window,
        closes_at=last + window if window is not None and last is not None else None,
        templates=templates_for(conversation.inbox),
    )


def template_get(inbox: Inbox, name: str, language: str) -> MessageTemplate | None:
    for template in templates_for(inbox):
        if template.name == name and template.language == language:
            return template
    return None
