"""Errors that services and selectors raise, whatever the caller (page, API, task).

- `NotFound`: the object does not exist *or* belongs to someone else; both answer 404, so an id
  never reveals whether another account has it.
- `PermissionDenied`: the caller may see the object but not do this (403).
- `ValidationError` (Django's): bad input, with a message per field; changes nothing (422).
- `Conflict`: the request is valid but the current state refuses it (409), e.g. removing the
  last administrator.
- `Unavailable`: something the request needs (Redis) is down; nothing was done, try again (503).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class NotFound(Http404):
    """Raised by selectors for "missing" and "not yours" alike."""


class Conflict(ValidationError):
    """Valid input that the current state refuses."""


class BadParameter(ValidationError):
    """A parameter that cannot be read (see nexloo.core.params): 422 in the API, 400 on pages."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__({name: [message]}, code="invalid")
        self.name = name
        self.message_text = f"{name}: {message}"


class Unavailable(Exception):
    """A dependency the request cannot do without is down; the message says what to do."""


__all__ = [
    "BadParameter",
    "Conflict",
    "NotFound",
    "PermissionDenied",
    "Unavailable",
    "ValidationError",
]
