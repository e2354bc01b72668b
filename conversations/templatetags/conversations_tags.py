from django import template

from conversations.files import attachment_path as _attachment_path

register = template.Library()


@register.filter
def attachment_path(attachment) -> str:
    """The signed link of a stored attachment (see conversations/files.py)."""
    return _attachment_path(attachment) if attachment.file else attachment.external_url
