"""Attachments are served through signed, expiring links — never from a public media folder.

A link carries the attachment's id signed with SECRET_KEY and is good for ATTACHMENT_LINK_TTL;
the file goes out with `nosniff`, a sandboxing Content-Security-Policy, and as a download unless
it is a plain image, so an uploaded HTML or SVG file can never run as this site.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.http import FileResponse, Http404
from django.urls import reverse

from conversations.models import Attachment
from nexloo.core.links import absolute_url

SALT = "conversations.attachment"
ATTACHMENT_LINK_TTL = timedelta(hours=24)
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def attachment_path(attachment: Attachment) -> str:
    token = signing.dumps(attachment.pk, salt=SALT)
    return reverse("conversations:attachment", args=[token])


def attachment_url(attachment: Attachment) -> str:
    """The absolute link (API payloads and events); the file's external URL when it has no
    stored copy (a channel's media not downloaded yet)."""
    if not attachment.file:
        return attachment.external_url
    return absolute_url(attachment_path(attachment))


def serve(request, token: str):
    try:
        pk = signing.loads(token, salt=SALT, max_age=ATTACHMENT_LINK_TTL)
        attachment = Attachment.objects.get(pk=pk)
    except (signing.BadSignature, Attachment.DoesNotExist) as exc:
        raise Http404("attachment not found") from exc
    if not attachment.file:
        raise Http404("attachment not stored")
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.file_name or "arquivo",
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
