"""The `api_access_token` header (Chatwoot's), for users and for platform apps.

Django drops request headers whose names contain underscores, so `nexloo.asgi` copies
`api_access_token` to `api-access-token` before Django sees the request; clients may send
either spelling.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from accounts.models import AccessToken
from accounts.selectors import membership_by_token, token_owner

HEADER = "HTTP_API_ACCESS_TOKEN"


def _token(request) -> str:
    # Only the header: a token in a URL ends up in access logs and browser history. (The
    # websocket, which cannot send headers from a browser, also takes it in the query string.)
    return request.META.get(HEADER, "")


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """A user's token. A platform token here is refused: it has no user to act as."""

    def authenticate(self, request):
        token = _token(request)
        if not token:
            return None
        account_id = ((getattr(request, "parser_context", None) or {}).get("kwargs") or {}).get(
            "account_id"
        )
        if account_id is not None:
            # An account's endpoint: the token and the membership in one query, kept on the
            # request for AccountAPIView (which would otherwise read the membership again).
            membership = membership_by_token(token, account_id)
            if membership is not None:
                request.token_membership = membership
                return membership.user, membership
        owner: AccessToken | None = token_owner(token)
        if owner is None or owner.user is None or not owner.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid Access Token")
        return owner.user, owner

    def authenticate_header(self, request) -> str:
        return "api_access_token"


class PlatformTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = _token(request)
        if not token:
            return None
        owner = token_owner(token)
        if owner is None or owner.platform_app is None:
            raise exceptions.AuthenticationFailed("Invalid Access Token")
        return owner.platform_app, owner

    def authenticate_header(self, request) -> str:
        return "api_access_token"
