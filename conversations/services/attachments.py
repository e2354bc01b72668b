"""Filling attachments whose file arrives after their message (a channel's media, downloaded by
a task of its own): until then the thread shows a placeholder; afterwards the file is served,
like every attachment, only through the access-checked link (conversations/files.py)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from conversations import events as conv_events
from conversations.models import Attachment
from nexloo.core.db import JSONMerged

_FOR_EVENT = ("message__conversation__assignee__user", "message__conversation__contact")


def _locked(attachment_id: int) -> Attachment | None:
    """The attachment's row locked alone, then read with what the event needs (a locking read's
    joined rows may be older than the row it locked: see lock_conversation)."""
    if not Attachment.objects.select_for_update().filter(pk=attachment_id).exists():
        return None
    return Attachment.objects.select_related(*_FOR_EVENT).filter(pk=attachment_id).first()


def attachment_fill(
    *, attachment_id: int, content: bytes, content_type: str, file_name: str = ""
) -> Attachment | None:
    """Stores the file of an attachment that has none yet (idempotent: a second fill of a stored
    one changes nothing). None when the attachment is gone (its message was deleted)."""
    with transaction.atomic():
        attachment = _locked(attachment_id)
        if attachment is None or attachment.file:
            return attachment
        name = file_name or attachment.file_name or "arquivo"
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.file_size = len(content)
        attachment.content_type = content_type[:128]
        attachment.file_name = attachment.file_name or name[:255]
        attachment.meta = {k: v for k, v in attachment.meta.items() if k not in ("error",)}
        attachment.save()
        conv_events.message_event(
            conv_events.MESSAGE_UPDATED, message=attachment.message, performer=None
        )
    return attachment


def attachment_mark_unavailable(*, attachment_id: int, reason: str) -> Attachment | None:
    """The file cannot be had (too large, wrong type, gone from the provider): the thread says
    so instead of waiting for it."""
    with transaction.atomic():
        attachment = _locked(attachment_id)
        if attachment is None or attachment.file:
            return attachment
        attachment.meta = {**attachment.meta, "error": reason[:500]}
        attachment.save(update_fields=["meta"])
        conv_events.message_event(
            conv_events.MESSAGE_UPDATED, message=attachment.message, performer=None
        )
    return attachment


def attachment_meta_set(*, attachment_id: int, values: dict[str, Any]) -> bool:
    """Sets keys of a pending attachment's meta (a channel's bookkeeping of its download: when
    to try again, how often it failed), in one statement that leaves the other keys as they are.
    Nothing changes once the file is there or the attachment was marked unavailable. Returns
    whether it changed."""
    return bool(
        Attachment.objects.filter(pk=attachment_id, file="")
        .exclude(meta__has_key="error")
        .update(meta=JSONMerged("meta", values))
    )
