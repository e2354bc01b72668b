"""Conversations, messages, contacts and canned responses API (Chatwoot's paths and shapes)."""

from conversations.api.views.canned import CannedResponseDetailView, CannedResponseListView
from conversations.api.views.contacts import (
    ContactableInboxesView,
    ContactConversationsView,
    ContactDetailView,
    ContactInboxesView,
    ContactLabelsView,
    ContactListView,
    ContactSearchView,
)
from conversations.api.views.conversations import (
    AssignmentsView,
    ConversationDetailView,
    ConversationLabelsView,
    ConversationListView,
    ConversationMetaView,
    ConversationReadView,
    MuteView,
    TogglePriorityView,
    ToggleStatusView,
    UnmuteView,
)
from conversations.api.views.messages import MessageDetailView, MessagesView

__all__ = [
    "AssignmentsView",
    "CannedResponseDetailView",
    "CannedResponseListView",
    "ContactConversationsView",
    "ContactDetailView",
    "ContactInboxesView",
    "ContactLabelsView",
    "ContactListView",
    "ContactSearchView",
    "ContactableInboxesView",
    "ConversationDetailView",
    "ConversationLabelsView",
    "ConversationListView",
    "ConversationMetaView",
    "ConversationReadView",
    "MessageDetailView",
    "MessagesView",
    "MuteView",
    "TogglePriorityView",
    "ToggleStatusView",
    "UnmuteView",
]
