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
