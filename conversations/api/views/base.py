"""What the conversation endpoints share: the list's query parameters, the conversation lookup."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from accounts.api.base import AccountAPIView
from conversations import selectors
from conversations.api.serializers import (
    ConversationSerializer,
)

LIST_FILTERS = [
    OpenApiParameter("assignee_type", str, enum=["me", "unassigned", "assigned", "all"]),
    OpenApiParameter("status", str, enum=["all", "open", "resolved", "pending", "snoozed"]),
    OpenApiParameter("inbox_id", int),
    OpenApiParameter("team_id", int),
    OpenApiParameter("labels", str, many=True),
    OpenApiParameter("q", str),
    OpenApiParameter("page", int),
]
ConversationListResponse = inline_serializer(
    "ConversationList",
    {
        "data": inline_serializer(
            "ConversationListData",
            {"meta": serializers.DictField(), "payload": ConversationSerializer(many=True)},
        )
    },
)


class ConversationScoped(AccountAPIView):
    """Base for endpoints under a conversation: `conversation_id` is the display id."""

    lookup_field = "display_id"
    lookup_url_kwarg = "conversation_id"

    def scoped_queryset(self, account):
        return selectors.visible_conversations(membership=self.membership)

    def conversation(self):
        if not hasattr(self, "_conversation"):
            self._conversation = selectors.conversation_get(
                membership=self.membership, display_id=self.kwargs["conversation_id"]
            )
        return self._conversation

    def conversation_to_write(self):
        """The conversation for a service that locks and re-reads it: one lean query (with its
        inbox), which also settles that the person may act in that inbox."""
        if not hasattr(self, "_conversation"):
            self._conversation = selectors.conversation_ref(
                membership=self.membership, display_id=self.kwargs["conversation_id"]
            )
        return self._conversation

    def reload(self):
        self.__dict__.pop("_conversation", None)
        return self.conversation()
