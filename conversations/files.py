"""Attachments are served only to who may see them — never from a public media folder.

- The app's link, `/app/accounts/<account>/attachments/<id>/`, answers only a session or an
  `api_access_token` whose membership sees the attachment's conversation; anyone else gets 404,
  exactly as for an id that does not exist.
- Outside parties (Meta's Graph API fetching an outgoing file, the reader of an e-mail
  transcript) get a *shared* link: the attachment's id and the link's purpose signed with a
  timestamp (TimestampSigner), good for that purpose's short lifetime only (`SHARED_LINK_TTL`).
  A link made for one purpose does not open under another's lifetime, nor another attachment.

The file goes out with `nosniff`, a sandboxing Content-Security-Policy, and as a download unless
it is a plain image, so an uploaded HTML or SVG file can never run as this site.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.http import FileResponse, Http404
from django.urls import reverse

from accounts.models import AccountUser
from accounts.selectors import membership_get, token_owner
from conversations.models import Attachment
from conversations.selectors import visible_conversations
from nexloo.core.errors import NotFound
from nexloo.core.links import absolute_url

SHARED_SALT = "conversations.attachment.shared.v2"
SHARED_LINK_TTL = {
    "graph": timedelta(minutes=30),  # Meta fetches an outgoing file right after the send
    "transcript": timedelta(hours=24),  # an e-mail read the same day
}
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def attachment_path(attachment: Attachment) -> str:
    """The app's access-checked link (pages)."""
    return reverse("conversations:attachment", args=[attachment.account_id, attachment.pk])


def attachment_url(attachment: Attachment) -> str:
    """The absolute access-checked link (API payloads and events); the file's external URL when
    it has no stored copy (a channel's media not downloaded yet)."""
    if not attachment.file:
        return attachment.external_url
    return absolute_url(attachment_path(attachment))


def shared_attachment_url(attachment: Attachment, *, purpose: str) -> str:
    """A link for an outside party, good for SHARED_LINK_TTL[purpose]."""
    if purpose not in SHARED_LINK_TTL:
        raise ValueError(f"unknown purpose {purpose!r}")
    token = signing.TimestampSigner(salt=SHARED_SALT).sign_object(
        {"a": attachment.pk, "p": purpose}
    )
    return absolute_url(reverse("conversations:attachment_shared", args=[token]))


def _asker(request, account_id: int) -> AccountUser:
    user = request.user if request.user.is_authenticated else None
    if user is None:
        owner = token_owner(request.META.get("HTTP_API_ACCESS_TOKEN", ""))
        user = owner.user if owner is not None and owner.user is not None else None
    if user is None or not user.is_active:
        raise NotFound("attachment not found")
    return membership_get(user=user, account_id=account_id)


def serve(request, account_id: int, pk: int):
    membership = _asker(request, account_id)
    attachment = (
        Attachment.objects.filter(
            account_id=membership.account_id,
            pk=pk,
            message__conversation__in=visible_conversations(membership=membership),
        )
        .only("file", "file_name", "content_type")
        .first()
    )
    if attachment is None:
        raise Http404("attachment not found")
    return _file_response(attachment)


def serve_shared(request, token: str):
    signer = signing.TimestampSigner(salt=SHARED_SALT)
    try:
        payload = signer.unsign_object(token)
        ttl = SHARED_LINK_TTL[payload["p"]]
        signer.unsign_object(token, max_age=ttl)
        attachment = Attachment.objects.get(pk=int(payload["a"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Attachment.DoesNotExist) as exc:
        raise Http404("attachment not found") from exc
    return _file_response(attachment)


def _file_response(attachment: Attachment) -> FileResponse:
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
