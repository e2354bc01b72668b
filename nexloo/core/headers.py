"""The Content-Security-Policy of every page: scripts only from this site (no inline script,
no inline event handler, no eval), never framed, forms posted only here. Styles may be inline
(templates and htmx's indicator style use them); nothing else is loaded from elsewhere.

A response that sets its own policy keeps it (attachments are served with a sandbox).
"""

from __future__ import annotations

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
