"""Language and time zone for each request.

The interface speaks the signed-in user's language; before sign-in, the language picked on the
sign-in page (a cookie); otherwise Brazilian Portuguese. The browser's Accept-Language is not
consulted: a Nexloo installation is Portuguese unless a person chooses otherwise. The time zone
is the account's, activated by the account pages (see `accounts.mixins`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class UserPreferencesMiddleware:
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
