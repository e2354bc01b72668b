from django import template

from conversations import phones
from conversations.files import attachment_path as _attachment_path

register = template.Library()


@register.filter
def attachment_path(attachment) -> str:
    """The access-checked link of a stored attachment (see conversations/files.py)."""
    return _attachment_path(attachment) if attachment.file else attachment.external_url


@register.filter
def phone(e164: str, region: str = phones.DEFAULT_REGION) -> str:
    """A stored number as people read it: "(11) 98765-4321" in its own country (the account's,
    given as the argument), international otherwise."""
    return phones.format_phone(e164, region=region or phones.DEFAULT_REGION)
