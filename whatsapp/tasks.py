"""Background work of the WhatsApp app (queue `webhooks`). Thin: ids in, services do the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from nexloo.core.tasks import enqueue
from whatsapp import services
from whatsapp.graph import GraphError
from whatsapp.models import WhatsAppChannel

logger = logging.getLogger(__name__)


@shared_task(name="whatsapp.process_event", acks_late=True)
def process_event(event_id: int) -> str:
    """One stored webhook delivery: every message and status in it."""
    return services.event_process(event_id=event_id)


@shared_task(name="whatsapp.process_events", acks_late=True)
def process_events(event_ids: list[int]) -> list[str]:
    """The deliveries one web process stored while it was queueing the previous batch."""
    return [services.event_process(event_id=event_id) for event_id in event_ids]


@shared_task(name="whatsapp.requeue_events", expires=55)
def requeue_events() -> int:
    """Periodic: stored deliveries whose processing was never queued or never finished."""
    return services.events_requeue(at=timezone.now())


@shared_task(
    name="whatsapp.download_media", bind=True, acks_late=True, max_retries=services.MEDIA_RETRIES
)
def download_media(self, attachment_id: int) -> str:
    """A received image, audio, video, document or sticker, fetched by its media id. A transient
    failure is retried with a growing pause for about half an hour; after that the periodic
    `whatsapp.requeue_media` takes over (the media id lives 30 days at Meta)."""
    try:
        return services.media_download(attachment_id=attachment_id)
    except GraphError as exc:
        now = timezone.now()
        if self.request.retries >= self.max_retries:
            logger.warning("media of attachment %s still unavailable: %s", attachment_id, exc)
            services.media_gave_up_for_now(attachment_id=attachment_id, at=now)
            return "later"
        delay = services.media_retry_delay(self.request.retries)
        services.media_retry_later(attachment_id=attachment_id, at=now, delay=delay)
        raise self.retry(exc=exc, countdown=delay.total_seconds()) from exc


@shared_task(name="whatsapp.requeue_media", expires=55)
def requeue_media() -> int:
    """Periodic: received media whose download was never queued, or ran out of retries."""
    return services.media_requeue(at=timezone.now())


@shared_task(name="whatsapp.notify_auth_failed", acks_late=True)
def notify_auth_failed(channel_id: int) -> int:
    """Tells the account's administrators, once, that Meta refused a number's access token."""
    return services.auth_failure_notify(channel_id=channel_id)


@shared_task(name="whatsapp.sync_templates", acks_late=True)
def sync_templates(channel_id: int) -> int:
    try:
        return services.templates_sync(channel_id=channel_id)
    except GraphError as exc:
        logger.warning("template sync of channel %s failed: %s", channel_id, exc)
        return -1


@shared_task(name="whatsapp.sync_all_templates", expires=3000)
def sync_all_templates() -> int:
    """Periodic: every number's templates (approvals happen at Meta, not here)."""
    ids = list(WhatsAppChannel.objects.values_list("pk", flat=True))
    for channel_id in ids:
        enqueue(sync_templates, channel_id)
    return len(ids)
