"""The providers a WhatsApp number can be connected through.

Only Meta's Cloud API is implemented. A QR-code gateway popular in Brazil (Evolution API, Z-API)
would be another module here implementing `Provider`, plus a value in `models.Provider`: the
delivery backend, the processing of what it receives and the conversations app stay as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from conversations.models import Message
    from whatsapp.models import WhatsAppChannel
    from whatsapp.parser import Item


class Provider(Protocol):
    def verify(self, channel_secret: str, body: bytes, headers: dict[str, str]) -> bool:
        """Whether the delivery really comes from the provider (signature)."""

    def items(self, body: bytes) -> list[Item]:
        """What a stored delivery says (messages, statuses), one item each."""

    def send(self, channel: WhatsAppChannel, message: Message, to: str) -> str:
        """Sends an outgoing message; the provider's id of it."""

    def media(self, channel: WhatsAppChannel, media_id: str) -> tuple[bytes, str]:
        """The file of a received media id, and its content type."""

    def check(self, channel: WhatsAppChannel) -> dict[str, Any]:
        """What the provider says about the number (raises on failure)."""

    def templates(self, channel: WhatsAppChannel) -> list[dict[str, Any]]:
        """The business account's message templates."""


def provider_for(name: str) -> Provider:
    from whatsapp.providers.cloud import CloudProvider

    providers: dict[str, Provider] = {"whatsapp_cloud": CloudProvider()}
    return providers[name]
