"""Extension points of the inbox pages, for apps above inboxes (a channel's own tab)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

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


@dataclass(frozen=True)
class ChannelCreator:
    """A channel with its own creation page, offered on Configurações → Caixas de Entrada →
    Adicionar Caixa de Entrada (the WhatsApp app registers its number form)."""

    channel_type: str
    label: str  # lazily translated
    description: str
    url_name: str  # takes (account_id)


channel_creators: list[ChannelCreator] = []


def register_channel_creator(creator: ChannelCreator) -> None:
    if all(c.channel_type != creator.channel_type for c in channel_creators):
        channel_creators.append(creator)


class ChannelAPI(Protocol):
    """How the inboxes API creates, changes and shows a channel's own settings (Chatwoot's
    `channel` object of POST/PATCH /inboxes, and the channel's fields in inbox payloads)."""

    def create(self, *, account, actor, inbox: Inbox, channel: dict) -> None: ...

    def update(self, *, account, actor, inbox: Inbox, channel: dict) -> None: ...

    def payloads(self, inboxes: list[Inbox], *, administrator: bool) -> dict[int, dict]:
        """Extra fields per inbox id, for all the inboxes of a list at once (one query)."""
        ...


channel_apis: dict[str, ChannelAPI] = {}


def register_channel_api(channel_type: str, api: ChannelAPI) -> None:
    channel_apis[channel_type] = api


def channel_payloads(inboxes: list[Inbox], *, administrator: bool) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for channel_type, api in channel_apis.items():
        of_type = [i for i in inboxes if i.channel_type == channel_type]
        if of_type:
            out.update(api.payloads(of_type, administrator=administrator))
    return out
