"""A write the database could not take in time ("database is locked": SQLite, where one writer
at a time waits up to its busy timeout) answers 503 with a clear message instead of a 500.

Nothing was saved: the API says so in Chatwoot's error shape; an htmx request (the settings
forms are boosted, so they are htmx requests too) gets the message as the plain-text body of a
503, which htmx does not swap: app.js shows it at the top of the form, which keeps what the
person typed. A plain page request (no JavaScript) gets a page that says so and how to go back."""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
RETRY_AFTER = "2"


def is_database_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def busy_message() -> str:
    return _("The server is busy and nothing was saved. Try again in a moment.")


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not is_database_busy(exc):
            return None
        logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
        message = busy_message()
        if request.path.startswith(("/api/", "/platform/api/")):
            response = JsonResponse(
                {"message": message, "description": message, "errors": []}, status=503
            )
        elif request.headers.get("HX-Request"):
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(_busy_page(request, message), status=503)
        response["Retry-After"] = RETRY_AFTER
        return response


def _busy_page(request, message: str) -> str:
    try:
        return render_to_string("busy.html", {"message": message}, request=request)
    except Exception:  # the page must not fail where the message can still be said
        logger.exception("the busy page could not be rendered")
        return escape(message)
