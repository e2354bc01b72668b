"""Background work of the conversations app. Thin: fetch by id, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import delivery, services
from conversations.services.common import account_language

logger = logging.getLogger(__name__)
INTAKE_RETRIES = 3


@shared_task(
    name="conversations.deliver_message",
    bind=True,
    autoretry_for=(delivery.TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def deliver_message(self, message_id: int) -> str:
    """Sends one outgoing message through its channel, once: the message is claimed before the
    provider is called, so a redelivered task (a worker lost after the send) skips it."""
    message = services.message_claim_delivery(message_id=message_id)
    if message is None:
        return "skipped"
    backend = delivery.backend_for(message.inbox.channel_type)
    if backend is None:
        # Fail closed: nothing can carry this message, so nobody may believe it left.
        logger.error("no delivery backend for channel %r", message.inbox.channel_type)
        with account_language(message.account_id):
            error = _("This inbox's channel cannot send messages.")
        services.message_mark_failed(message_id=message_id, error=error, code="no_backend")
        return "failed"
    try:
        sent = backend.send(message)
    except delivery.PermanentDeliveryError as exc:
        services.message_mark_failed(
            message_id=message_id, error=str(exc), code=exc.code, detail=exc.detail
        )
        return "failed"
    except delivery.TransientDeliveryError as exc:
        if self.request.retries >= self.max_retries:
            services.message_mark_failed(message_id=message_id, error=str(exc), code="retries")
            return "failed"
        services.message_release_delivery(message_id=message_id)
        raise
    services.message_mark_sent(
        message_id=message_id, source_id=sent.source_id, inbox_id=message.inbox_id
    )
    return "sent"


@shared_task(
    name="conversations.intake",
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=False,
    max_retries=INTAKE_RETRIES,
)
def intake(self, conversation_id: int, inbox_id: int | None = None) -> bool:
    """A new conversation: the intake hooks (automation rules) decide first, then the inbox's
    own auto-assignment takes what is still unassigned. Once: a redelivered task finds the
    intake done. A failure is retried with backoff; on the last try the hooks record their
    failures instead of raising, and the inbox's round robin takes the conversation."""
    return services.conversation_intake(
        conversation_id=conversation_id,
        inbox_id=inbox_id,
        final_attempt=self.request.retries >= INTAKE_RETRIES,
    )


@shared_task(name="conversations.drain_assignment_queue", acks_late=True, expires=600)
def drain_assignment_queue(
    inbox_id: int, cause_conversation_id: int | None = None, cause_rule_id: int | None = None
) -> int:
    """Drains the inbox's waiting queue. The cause arguments come only from tasks queued before
    the conversation carried its own (`queue_cause_rule_id`); new ones pass the inbox alone."""
    return services.assignment_queue_drain(
        inbox_id=inbox_id,
        cause_conversation_id=cause_conversation_id,
        cause_rule_id=cause_rule_id,
    )


@shared_task(name="conversations.wake_snoozed", expires=55)
def wake_snoozed() -> int:
    """Periodic: reopens snoozed conversations whose time has come."""
    return services.conversations_wake_snoozed(at=timezone.now())


@shared_task(name="conversations.sweep", expires=55)
def sweep() -> dict[str, int]:
    """Periodic: picks up what a lost task left behind (see nexloo.core.tasks): replies,
    lost intake, waiting queues."""
    return {
        "replies": services.messages_requeue_stuck(at=timezone.now()),
        "intake": services.conversations_requeue_intake(at=timezone.now()),
        "queues": services.assignment_queues_sweep(),
        "early_statuses": services.early_statuses_sweep(at=timezone.now()),
        "tallies": services.conversation_tallies_compact(),
    }


@shared_task(name="conversations.compact_tally", expires=300)
def compact_tally(account_id: int) -> None:
    """Folds an account's conversation and label tallies (queued by a count that read many
    rows)."""
    services.conversation_tally_compact(account_id=account_id)
