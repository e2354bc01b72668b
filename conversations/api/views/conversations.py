"""Conversations: list, meta, create, detail, status, priority, assignments, labels, read."""

from __future__ import annotations

from datetime import UTC, datetime

from drf_spectacular.utils import OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from accounts.api.serializers import AgentSerializer
from accounts.selectors import agent_get
from conversations import selectors, services
from conversations.api.serializers import (
    AssignmentSerializer,
    ConversationCreateSerializer,
    ConversationSerializer,
    LabelsSerializer,
    TogglePrioritySerializer,
    ToggleStatusSerializer,
)
from conversations.api.views.base import (
    LIST_FILTERS,
    ConversationListResponse,
    ConversationScoped,
)
from conversations.selectors import ConversationFilter
from inboxes.selectors import inbox_get
from teams.api.serializers import TeamSerializer
from teams.selectors import team_get


class ConversationListView(AccountAPIView):
    serializer_class = ConversationSerializer

    def scoped_queryset(self, account):
        return selectors.visible_conversations(membership=self.membership)

    @extend_schema(
        operation_id="conversationList",
        tags=["Conversations"],
        parameters=LIST_FILTERS,
        responses=ConversationListResponse,
    )
    def get(self, request, account_id: int):
        f = ConversationFilter.from_params(request.query_params)
        page = selectors.conversations_page(membership=self.membership, f=f)
        selectors.attach_last_messages(page.conversations)
        meta = (
            selectors.conversation_counts(membership=self.membership, f=f)
            if request.query_params.get("with_meta", "1") != "0"
            else {}
        )
        meta.update({"current_page": page.page, "has_next_page": page.has_next})
        return Response(
            {
                "data": {
                    "meta": meta,
                    "payload": ConversationSerializer(page.conversations, many=True).data,
                }
            }
        )

    @extend_schema(
        operation_id="newConversation",
        tags=["Conversations"],
        request=ConversationCreateSerializer,
        responses=ConversationSerializer,
    )
    def post(self, request, account_id: int):
        payload = ConversationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        conversation = services.conversation_create(
            account=self.account,
            actor=self.membership,
            inbox=inbox_get(membership=self.membership, inbox_id=data["inbox_id"]),
            contact=selectors.contact_get(membership=self.membership, contact_id=data["contact_id"])
            if data.get("contact_id")
            else None,
            source_id=data.get("source_id", ""),
            status=data["status"],
            assignee=agent_get(membership=self.membership, user_id=data["assignee_id"])
            if data.get("assignee_id")
            else None,
            team=team_get(membership=self.membership, team_id=data["team_id"])
            if data.get("team_id")
            else None,
            message=(data.get("message") or {}).get("content") or "",
        )
        conversation = selectors.conversation_get(
            membership=self.membership, display_id=conversation.display_id
        )
        return Response(ConversationSerializer(conversation).data)


class ConversationMetaView(AccountAPIView):
    serializer_class = ConversationSerializer

    def scoped_queryset(self, account):
        return selectors.visible_conversations(membership=self.membership)

    @extend_schema(
        operation_id="conversationListMeta",
        tags=["Conversations"],
        parameters=LIST_FILTERS,
        responses=inline_serializer("ConversationMeta", {"meta": serializers.DictField()}),
    )
    def get(self, request, account_id: int):
        f = ConversationFilter.from_params(request.query_params)
        return Response({"meta": selectors.conversation_counts(membership=self.membership, f=f)})


class ConversationDetailView(ConversationScoped):
    serializer_class = ConversationSerializer

    @extend_schema(
        operation_id="getDetailsOfConversation",
        tags=["Conversations"],
        responses=ConversationSerializer,
    )
    def get(self, request, account_id: int, conversation_id: int):
        return Response(ConversationSerializer(self.conversation()).data)

    @extend_schema(
        operation_id="updateConversation",
        tags=["Conversations"],
        request=TogglePrioritySerializer,
        responses=ConversationSerializer,
    )
    def patch(self, request, account_id: int, conversation_id: int):
        # Every attribute is optional in Chatwoot's PATCH (it also takes sla_policy_id).
        payload = TogglePrioritySerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        if "priority" in payload.validated_data:
            services.conversation_priority_set(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                priority=payload.validated_data["priority"],
            )
        return Response(ConversationSerializer(self.reload()).data)


class ToggleStatusView(ConversationScoped):
    serializer_class = ToggleStatusSerializer

    @extend_schema(
        operation_id="toggleStatusOfAConversation",
        tags=["Conversations"],
        request=ToggleStatusSerializer,
    )
    def post(self, request, account_id: int, conversation_id: int):
        payload = ToggleStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        until = payload.validated_data.get("snoozed_until")
        conversation = services.conversation_toggle_status(
            account=self.account,
            actor=self.membership,
            conversation=self.conversation(),
            status=payload.validated_data.get("status"),
            snoozed_until=datetime.fromtimestamp(until, tz=UTC) if until else None,
        )
        return Response(
            {
                "meta": {},
                "payload": {
                    "success": True,
                    "current_status": conversation.status,
                    "conversation_id": conversation.display_id,
                    "snoozed_until": int(conversation.snoozed_until.timestamp())
                    if conversation.snoozed_until
                    else None,
                },
            }
        )


class TogglePriorityView(ConversationScoped):
    serializer_class = TogglePrioritySerializer

    @extend_schema(
        operation_id="togglePriorityOfAConversation",
        tags=["Conversations"],
        request=TogglePrioritySerializer,
    )
    def post(self, request, account_id: int, conversation_id: int):
        payload = TogglePrioritySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.conversation_priority_set(
            account=self.account,
            actor=self.membership,
            conversation=self.conversation(),
            priority=payload.validated_data["priority"],
        )
        return Response(status=status.HTTP_200_OK)


class MuteView(ConversationScoped):
    """Chatwoot's mute: resolves the conversation and keeps the contact's messages in it for
    six hours without reopening it."""

    @extend_schema(operation_id="muteAConversation", tags=["Conversations"], request=None)
    def post(self, request, account_id: int, conversation_id: int):
        services.conversation_mute(
            account=self.account, actor=self.membership, conversation=self.conversation()
        )
        return Response(status=status.HTTP_200_OK)


class UnmuteView(ConversationScoped):
    @extend_schema(operation_id="unmuteAConversation", tags=["Conversations"], request=None)
    def post(self, request, account_id: int, conversation_id: int):
        services.conversation_unmute(
            account=self.account, actor=self.membership, conversation=self.conversation()
        )
        return Response(status=status.HTTP_200_OK)


class AssignmentsView(ConversationScoped):
    serializer_class = AssignmentSerializer

    @extend_schema(
        operation_id="assignAConversation",
        tags=["Conversations"],
        request=AssignmentSerializer,
        responses=AgentSerializer,
    )
    def post(self, request, account_id: int, conversation_id: int):
        payload = AssignmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        conversation = self.conversation()
        team = (
            team_get(membership=self.membership, team_id=data["team_id"])
            if data.get("team_id")
            else None
        )
        assignee = (
            agent_get(membership=self.membership, user_id=data["assignee_id"])
            if data.get("assignee_id")
            else None
        )
        services.conversation_assignments(
            account=self.account,
            actor=self.membership,
            conversation=conversation,
            assignee=assignee,
            team=team,
            unassign="assignee_id" in data and assignee is None,
            leave_team="team_id" in data and team is None,
            note=data.get("note", ""),
        )
        conversation = self.reload()
        if "assignee_id" not in data:
            # Chatwoot answers a team assignment with the team.
            if conversation.team_id is None:
                return Response({"id": None})
            return Response(
                TeamSerializer(
                    team_get(membership=self.membership, team_id=conversation.team_id)
                ).data
            )
        if conversation.assignee_id:
            return Response(
                AgentSerializer(
                    agent_get(membership=self.membership, user_id=conversation.assignee.user_id)
                ).data
            )
        return Response({"id": None, "team_id": conversation.team_id})


class ConversationLabelsView(ConversationScoped):
    serializer_class = LabelsSerializer

    @extend_schema(
        operation_id="listLabelsOfAConversation",
        tags=["Conversations"],
        responses=inline_serializer(
            "LabelList", {"payload": serializers.ListField(child=serializers.CharField())}
        ),
    )
    def get(self, request, account_id: int, conversation_id: int):
        return Response({"payload": [label.title for label in self.conversation().labels.all()]})

    @extend_schema(
        operation_id="addLabelsToAConversation", tags=["Conversations"], request=LabelsSerializer
    )
    def post(self, request, account_id: int, conversation_id: int):
        payload = LabelsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        titles = services.conversation_labels_set(
            account=self.account,
            actor=self.membership,
            conversation=self.conversation(),
            titles=payload.validated_data["labels"],
        )
        return Response({"payload": titles})


class ConversationReadView(ConversationScoped):
    serializer_class = ConversationSerializer

    @extend_schema(
        operation_id="updateLastSeen",
        tags=["Conversations"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request, account_id: int, conversation_id: int):
        services.conversation_mark_read(
            account=self.account, actor=self.membership, conversation=self.conversation()
        )
        return Response({"id": self.conversation().display_id})
