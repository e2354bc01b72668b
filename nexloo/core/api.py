"""REST API plumbing shared by every app: the error format.

Errors follow Chatwoot's `bad_request_error`: `{"message", "description", "errors": [{"field",
"message", "code"}]}`. Validation errors answer 422 like Chatwoot does.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from nexloo.core.busy import RETRY_AFTER, busy_message, is_database_busy
from nexloo.core.errors import BadParameter, Conflict, Unavailable

logger = logging.getLogger("django.request")


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else key
            if field and name:
                name = f"{field}.{name}"
            out.extend(_flatten(value, name or field))
    elif isinstance(detail, list):
        for item in detail:
            out.extend(_flatten(item, field))
    else:
        code = getattr(detail, "code", None)
        out.append({"field": field, "message": str(detail), "code": code})
    return out


def error_body(message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"message": message, "description": message, "errors": errors or []}


def _django_validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": None if f == "__all__" else f, "message": m, "code": e.code}
            for f, errs in exc.error_dict.items()
            for e in errs
            for m in e.messages
        ]
    return [{"field": None, "message": m, "code": exc.code} for m in exc.messages]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        errors = _django_validation_errors(exc)
        return Response(error_body(errors[0]["message"], errors), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, BadParameter):
        errors = _django_validation_errors(exc)
        return Response(error_body(exc.message_text, errors), status=422)
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_errors(exc)
        return Response(
            error_body(errors[0]["message"] if errors else "Invalid input", errors),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, Unavailable):
        return Response(
            error_body(str(exc)),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER},
        )
    if is_database_busy(exc):
        message = busy_message()
        return Response(
            error_body(message),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        first = errors[0] if errors else {"field": None, "message": "Invalid input"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        response.data = error_body(message, errors)
    elif isinstance(exc, exceptions.APIException):
        message = str(exc.detail) if not isinstance(exc.detail, dict | list) else exc.default_detail
        response.data = error_body(str(message))
    return response


# --- Outside DRF: unknown routes and unhandled errors under the API prefixes ------------------

API_PREFIXES = ("/api/", "/platform/api/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def api_not_found(request, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown `/api/…` routes: JSON 404 (also with DEBUG on, where Django would show HTML)."""
    return JsonResponse(error_body("Not found."), status=status.HTTP_404_NOT_FOUND)


_REASONS = {400: "Bad request.", 403: "Forbidden.", 404: "Not found.", 500: "Server error."}


def api_aware(default, code: int):
    """Django's error handler `default` for pages, a JSON body for API paths (handler404…)."""

    def handler(request, exception=None):
        if is_api_path(request.path):
            return JsonResponse(error_body(_REASONS[code]), status=code)
        return default(request) if code == 500 else default(request, exception)

    return handler


class ApiErrorsMiddleware:
    """An exception escaping an API view answers JSON 500 (logged with its traceback), even
    with DEBUG on, where Django would answer its HTML debug page: API clients parse JSON. On
    pages, a parameter that cannot be read (`BadParameter`) answers 400 with its message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadParameter):
            if is_api_path(request.path):
                errors = _django_validation_errors(exception)
                return JsonResponse(error_body(exception.message_text, errors), status=422)
            return HttpResponseBadRequest(exception.message_text, content_type="text/plain")
        if not is_api_path(request.path) or isinstance(exception, Http404 | DjangoPermissionDenied):
            return None
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"request": request},
        )
        return JsonResponse(error_body(_REASONS[500]), status=500)


class LeadingSlashesMiddleware:
    """A client whose base URL ends in "/" asks for `//api/v1/…`; Rails routes it, so do we
    (only the API's paths: a page's `//…` stays what it is)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("//"):
            rest = path.lstrip("/")
            if rest.startswith(("api/", "platform/api/")):
                request.path_info = "/" + rest
                request.path = request.path.replace(path, request.path_info, 1)
        return self.get_response(request)
