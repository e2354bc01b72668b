"""Language and time zone for each request.

The interface speaks the signed-in user's language; before sign-in, the language picked on the
sign-in page (a cookie); otherwise Brazilian Portuguese. The browser's Accept-Language is not
consulted: a Nexloo installation is Portuguese unless a person chooses otherwise. The time zone
is the account's, activated by the account pages (see `accounts.mixins`).

Token-authenticated API requests skip the browser's middleware. A request to `/api/…` or
`/platform/api/…` carrying `api_access_token` is a machine's: it has no session cookie to load,
no CSRF token to check (a browser never sends that header on its own), no flash messages and no
htmx. Those middlewares are subclassed here so that such a request passes straight through
them; every other request (pages, and the API used with a session) runs them as before.
Security headers (SecurityMiddleware, X-Frame-Options) and the common middleware still run for
every request. Django's and allauth's checks find the classes they expect (subclasses).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.middleware.csrf import CsrfViewMiddleware as _Csrf
from django.utils import timezone, translation
from django_htmx.middleware import HtmxMiddleware as _Htmx

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class UserPreferencesMiddleware:
    """(A token API request has no `request.user` here: it speaks the cookie's language, else
    the default, as before — DRF knows the token's user only after the middleware.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated:
            language = getattr(user, "language", None)
        if language not in SUPPORTED:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        timezone.deactivate()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


API_PREFIXES = ("/api/", "/platform/api/")
TOKEN_HEADER = "HTTP_API_ACCESS_TOKEN"  # noqa: S105 (a header name)


def is_token_api(request) -> bool:
    return bool(request.META.get(TOKEN_HEADER)) and request.path_info.startswith(API_PREFIXES)


class _SkipForTokenApi:
    def __call__(self, request):
        if is_token_api(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(_SkipForTokenApi, _Session):
    pass


class CsrfViewMiddleware(_SkipForTokenApi, _Csrf):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if is_token_api(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(_SkipForTokenApi, _Authentication):
    pass


class MessageMiddleware(_SkipForTokenApi, _Messages):
    pass


class HtmxMiddleware(_SkipForTokenApi, _Htmx):
    pass
