"""Links that leave the site (e-mails, webhooks, attachments for a provider): one way to build
them, from SITE_URL (`make run` sets it from HOST and PORT unless it is given)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

PRODUCT_NAME = "Nexloo"


def absolute_url(path: str) -> str:
    """`path` (starting with /) on this installation's public address."""
    return settings.SITE_URL.rstrip("/") + path


class ProductSite:
    """What e-mail templates call `current_site` (allauth's use `current_site.name` to greet and
    sign): the product's name, not the host the request came through."""

    name = PRODUCT_NAME

    @property
    def domain(self) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def __str__(self) -> str:
        return self.name
