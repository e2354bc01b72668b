"""REST API plumbing shared by every app: the error format.

Errors follow Chatwoot's `bad_request_error`: `{"message", "description", "errors": [{"field",
"message", "code"}]}`. Validation errors answer 422 like Chatwoot does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from nexloo.core.busy import RETRY_AFTER, busy_message, is_database_busy
from nexloo.core.errors import Conflict


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
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_errors(exc)
        return Response(
            error_body(errors[0]["message"] if errors else "Invalid input", errors),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
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
