"""Development-only mailbox: lists the e-mails the file backend wrote, so that a person running
`make run` can open an invitation link. Mounted only when `settings.DEV_MAILBOX` is true, and
answers only requests from this machine: the mails hold invitation and password links."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render


def _messages() -> list[dict]:
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        raw = path.read_bytes()
        # The file backend appends several messages to one file, separated by a line of dashes.
        for index, chunk in enumerate(raw.split(b"\n" + b"-" * 79 + b"\n")):
            if not chunk.strip():
                continue
            msg = email.message_from_bytes(chunk, policy=email.policy.default)
            out.append({"id": f"{path.stem}-{index}", "message": msg})
    return out


def _parts(msg) -> tuple[str, str]:
    text = html = ""
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not text:
            text = part.get_content()
        elif part.get_content_type() == "text/html" and not html:
            html = part.get_content()
    return text, html


LOOPBACK = {"127.0.0.1", "::1"}


def _allowed(request) -> bool:
    return settings.DEV_MAILBOX and request.META.get("REMOTE_ADDR") in LOOPBACK


def mailbox(request):
    if not _allowed(request):
        raise Http404
    rows = [
        {
            "id": m["id"],
            "to": m["message"]["To"],
            "subject": m["message"]["Subject"],
            "date": m["message"]["Date"],
        }
        for m in _messages()
    ]
    return render(request, "devmail/list.html", {"rows": rows})


def mailbox_message(request, message_id: str):
    if not _allowed(request):
        raise Http404
    for m in _messages():
        if m["id"] == message_id:
            text, html = _parts(m["message"])
            if request.GET.get("format") == "html" and html:
                return HttpResponse(html)
            return render(
                request,
                "devmail/detail.html",
                {"msg": m["message"], "text": text, "has_html": bool(html), "id": message_id},
            )
    raise Http404
