"""Extension points of the inbox pages, for apps above inboxes (a channel's own tab)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inboxes.models import Inbox


@dataclass(frozen=True)
class InboxTab:
    key: str
    label: str  # lazily translated
    url_name: str  # takes (account_id, inbox_id)
    applies: Callable[[Inbox], bool]


inbox_tabs: list[InboxTab] = []


def register_inbox_tab(tab: InboxTab) -> None:
    if all(t.key != tab.key for t in inbox_tabs):
        inbox_tabs.append(tab)


# Channels an administrator can create from Configurações → Caixas de Entrada. The API channel
# needs no setup; a channel app (WhatsApp) registers its type once it can configure it.
creatable_channels: list[str] = ["api"]


def register_creatable_channel(channel_type: str) -> None:
    if channel_type not in creatable_channels:
        creatable_channels.append(channel_type)
