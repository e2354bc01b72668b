"""Delivering outgoing messages through their channel.

Channels plug in here (the conversations app never imports them): a channel app registers a
backend for its inbox channel type. Delivery runs in a Celery task queued on commit, with
retries on transient errors; the provider's message id becomes the message's `source_id`.
Inboxes without a backend (the `api` channel) deliver by emitting events only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from conversations.models import Message
from nexloo.core.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    source_id: str | None


class TransientDeliveryError(Exception):
    """Try again later (timeouts, 5xx, rate limits)."""


class PermanentDeliveryError(Exception):
    """The provider refused the message for good; it is marked failed with this text."""


class DeliveryBackend(Protocol):
    def send(self, message: Message) -> Sent: ...


_backends: dict[str, DeliveryBackend] = {}


def register_backend(channel_type: str, backend: DeliveryBackend) -> None:
    _backends[channel_type] = backend


def backend_for(channel_type: str) -> DeliveryBackend | None:
    return _backends.get(channel_type)


def queue(message: Message) -> None:
    """Delivers the message after the current transaction commits."""
    from conversations.tasks import deliver_message

    enqueue_on_commit(deliver_message, message.pk)
