"""Conversations, messages, contacts and canned responses API (Chatwoot's paths and shapes)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from accounts.api.serializers import AgentSerializer
from accounts.selectors import agent_get
from conversations import selectors, services
from conversations.api.serializers import (
    AssignmentSerializer,
    CannedResponseSerializer,
    ContactSerializer,
    ContactWriteSerializer,
    ConversationCreateSerializer,
    ConversationSerializer,
    LabelsSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    TogglePrioritySerializer,
    ToggleStatusSerializer,
)
from conversations.models import Status
from conversations.selectors import ConversationFilter
from conversations.services import IncomingMessage, NewAttachment
from inboxes.selectors import inbox_get
from teams.api.serializers import TeamSerializer
from teams.selectors import team_get

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

    def reload(self):
        self.__dict__.pop("_conversation", None)
        return self.conversation()


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
        inbox = inbox_get(membership=self.membership, inbox_id=data["inbox_id"])
        with transaction.atomic():
            if data.get("contact_id"):
                contact = selectors.contact_get(
                    membership=self.membership, contact_id=data["contact_id"]
                )
            else:
                contact = services.contact_for_source(
                    inbox=inbox, source_id=data["source_id"]
                ).contact
            assignee = (
                agent_get(account=self.account, user_id=data["assignee_id"])
                if data.get("assignee_id")
                else None
            )
            team = (
                team_get(account=self.account, team_id=data["team_id"])
                if data.get("team_id")
                else None
            )
            conversation = services.conversation_create(
                account=self.account,
                actor=self.membership,
                inbox=inbox,
                contact=contact,
                source_id=data.get("source_id", ""),
                status=data["status"],
                assignee=assignee,
                team=team,
            )
            content = (data.get("message") or {}).get("content")
            if content:
                services.message_send(
                    account=self.account,
                    actor=self.membership,
                    conversation=conversation,
                    content=content,
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
            priority = payload.validated_data["priority"]
            services.conversation_priority_set(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                priority=None if priority == "none" else priority,
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
        conversation = self.conversation()
        wanted = payload.validated_data.get("status") or "toggle"
        if wanted == "toggle":  # Chatwoot: without a status, open ↔ resolved
            wanted = Status.RESOLVED if conversation.status == Status.OPEN else Status.OPEN
        until = payload.validated_data.get("snoozed_until")
        conversation = services.conversation_status_set(
            account=self.account,
            actor=self.membership,
            conversation=conversation,
            status=wanted,
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
        priority = payload.validated_data["priority"]
        services.conversation_priority_set(
            account=self.account,
            actor=self.membership,
            conversation=self.conversation(),
            priority=None if priority == "none" else priority,
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
            team_get(account=self.account, team_id=data["team_id"]) if data.get("team_id") else None
        )
        assignee = (
            agent_get(account=self.account, user_id=data["assignee_id"])
            if data.get("assignee_id")
            else None
        )
        if team is not None or assignee is not None:
            # Encaminhar: to a team (Chatwoot ignores team_id when assignee_id is given; we do
            # both, the assignee must then be in the team) and/or a person, with a note.
            services.conversation_forward(
                account=self.account,
                actor=self.membership,
                conversation=conversation,
                team=team,
                assignee=assignee,
                note=data.get("note", ""),
            )
        elif "assignee_id" in data:
            services.conversation_assign_agent(
                account=self.account,
                actor=self.membership,
                conversation=conversation,
                assignee=None,
            )
        elif "team_id" in data:
            services.conversation_assign_team(
                account=self.account, actor=self.membership, conversation=conversation, team=None
            )
        else:
            raise serializers.ValidationError({"assignee_id": ["Give assignee_id and/or team_id."]})
        conversation = self.reload()
        if "assignee_id" not in data:
            # Chatwoot answers a team assignment with the team.
            if conversation.team_id is None:
                return Response({"id": None})
            return Response(
                TeamSerializer(
                    team_get(
                        account=self.account,
                        team_id=conversation.team_id,
                        membership=self.membership,
                    )
                ).data
            )
        if conversation.assignee_id:
            return Response(
                AgentSerializer(
                    agent_get(account=self.account, user_id=conversation.assignee.user_id)
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


class MessagesView(ConversationScoped):
    serializer_class = MessageSerializer

    @extend_schema(
        operation_id="listAllMessages",
        tags=["Messages"],
        parameters=[OpenApiParameter("before", int), OpenApiParameter("after", int)],
        responses=inline_serializer(
            "MessageList",
            {"meta": serializers.DictField(), "payload": MessageSerializer(many=True)},
        ),
    )
    def get(self, request, account_id: int, conversation_id: int):
        conversation = self.conversation()

        def number(name):
            try:
                return int(request.query_params[name])
            except (KeyError, ValueError):
                return None

        messages = selectors.messages_page(
            conversation=conversation, before=number("before"), after=number("after")
        )
        meta = {
            "labels": [label.title for label in conversation.labels.all()],
            "contact": ContactSerializer(conversation.contact).data,
            "assignee": {
                "id": conversation.assignee.user_id,
                "name": conversation.assignee.user.name,
            }
            if conversation.assignee_id
            else None,
            "agent_last_seen_at": conversation.agent_last_seen_at.isoformat()
            if conversation.agent_last_seen_at
            else None,
        }
        return Response(
            {
                "meta": meta,
                "payload": MessageSerializer(
                    messages, many=True, context={"display_id": conversation.display_id}
                ).data,
            }
        )

    @extend_schema(
        operation_id="createANewMessageInAConversation",
        tags=["Messages"],
        request=MessageCreateSerializer,
        responses=MessageSerializer,
    )
    def post(self, request, account_id: int, conversation_id: int):
        payload = MessageCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        conversation = self.conversation()
        attachments = tuple(
            NewAttachment(
                file_type=_file_type(f.content_type or ""),
                file_name=f.name,
                content=f.read(),
                content_type=f.content_type or "",
            )
            for f in data.get("attachments", [])
        )
        if data["message_type"] == "incoming":
            # API channels post what their customers wrote (Chatwoot allows it on API inboxes).
            if conversation.inbox.channel_type != "api":
                raise serializers.ValidationError(
                    {"message_type": ["Incoming messages can only be posted to API inboxes."]}
                )
            message, _created = services.message_receive(
                conversation=conversation,
                incoming=IncomingMessage(
                    content=data.get("content", ""),
                    source_id=data.get("source_id") or None,
                    content_type=data.get("content_type", "text"),
                    content_attributes=data.get("content_attributes") or {},
                    attachments=attachments,
                ),
            )
        else:
            message = services.message_send(
                account=self.account,
                actor=self.membership,
                conversation=conversation,
                content=data.get("content", ""),
                private=data["private"],
                attachments=attachments,
                content_attributes=data.get("content_attributes"),
            )
        message = selectors.message_get(conversation=conversation, message_id=message.pk)
        return Response(
            MessageSerializer(message, context={"display_id": conversation.display_id}).data
        )


def _file_type(content_type: str) -> str:
    kind = content_type.split("/")[0]
    return kind if kind in ("image", "audio", "video") else "file"


class MessageDetailView(ConversationScoped):
    serializer_class = MessageSerializer

    @extend_schema(operation_id="deleteAMessage", tags=["Messages"], responses=MessageSerializer)
    def delete(self, request, account_id: int, conversation_id: int, message_id: int):
        conversation = self.conversation()
        message = selectors.message_get(conversation=conversation, message_id=message_id)
        message = services.message_delete(
            account=self.account, actor=self.membership, message=message
        )
        return Response(
            MessageSerializer(message, context={"display_id": conversation.display_id}).data
        )


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


# --- Contacts ----------------------------------------------------------------------------------

CONTACTS_PER_PAGE = 15


def _contact_page(request, qs):
    try:
        page = max(1, int(request.query_params.get("page", 1)))
    except ValueError:
        page = 1
    sort = request.query_params.get("sort", "name")
    order = {
        "name": ("name", "pk"),
        "-name": ("-name", "-pk"),
        "last_activity_at": ("last_activity_at", "pk"),
        "-last_activity_at": ("-last_activity_at", "-pk"),
        "created_at": ("created_at", "pk"),
        "-created_at": ("-created_at", "-pk"),
    }.get(sort, ("name", "pk"))
    offset = (page - 1) * CONTACTS_PER_PAGE
    rows = list(qs.order_by(*order)[offset : offset + CONTACTS_PER_PAGE])
    return Response(
        {
            "meta": {"count": qs.count(), "current_page": page},
            "payload": ContactSerializer(rows, many=True).data,
        }
    )


class ContactListView(AccountAPIView):
    serializer_class = ContactSerializer

    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)

    @extend_schema(
        operation_id="contactList",
        tags=["Contacts"],
        parameters=[OpenApiParameter("page", int), OpenApiParameter("sort", str)],
    )
    def get(self, request, account_id: int):
        return _contact_page(request, self.get_queryset())

    @extend_schema(operation_id="contactCreate", tags=["Contacts"], request=ContactWriteSerializer)
    def post(self, request, account_id: int):
        payload = ContactWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        inbox_id = data.pop("inbox_id", None)
        with transaction.atomic():
            contact = services.contact_create(account=self.account, actor=self.membership, **data)
            contact_inbox = None
            if inbox_id:
                inbox = inbox_get(membership=self.membership, inbox_id=inbox_id)
                contact_inbox = services.contact_inbox_for(contact=contact, inbox=inbox)
        return Response(
            {
                "payload": {
                    "contact": ContactSerializer(contact).data,
                    "contact_inbox": {
                        "inbox_id": contact_inbox.inbox_id,
                        "source_id": contact_inbox.source_id,
                    }
                    if contact_inbox
                    else None,
                }
            }
        )


class ContactSearchView(AccountAPIView):
    serializer_class = ContactSerializer

    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)

    @extend_schema(
        operation_id="contactSearch",
        tags=["Contacts"],
        parameters=[OpenApiParameter("q", str), OpenApiParameter("page", int)],
    )
    def get(self, request, account_id: int):
        return _contact_page(
            request,
            selectors.contacts_list(
                membership=self.membership, q=request.query_params.get("q", "").strip()
            ),
        )


class ContactDetailView(AccountAPIView):
    serializer_class = ContactSerializer
    admin_methods = frozenset({"DELETE"})

    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)

    @extend_schema(operation_id="contactDetails", tags=["Contacts"])
    def get(self, request, account_id: int, pk: int):
        return Response({"payload": ContactSerializer(self.get_object()).data})

    @extend_schema(operation_id="contactUpdate", tags=["Contacts"], request=ContactWriteSerializer)
    def put(self, request, account_id: int, pk: int):
        payload = ContactWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("inbox_id", None)
        contact = services.contact_update(
            account=self.account, actor=self.membership, contact=self.get_object(), **data
        )
        return Response({"payload": ContactSerializer(contact).data})

    @extend_schema(operation_id="contactDelete", tags=["Contacts"], responses={200: None})
    def delete(self, request, account_id: int, pk: int):
        services.contact_delete(
            account=self.account, actor=self.membership, contact=self.get_object()
        )
        return Response(status=status.HTTP_200_OK)


class ContactConversationsView(AccountAPIView):
    serializer_class = ConversationSerializer

    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)

    @extend_schema(
        operation_id="contactConversations",
        tags=["Contacts"],
        responses=inline_serializer(
            "ContactConversations", {"payload": ConversationSerializer(many=True)}
        ),
    )
    def get(self, request, account_id: int, pk: int):
        contact = self.get_object()
        rows = selectors.contact_conversations(membership=self.membership, contact=contact)[:100]
        return Response({"payload": ConversationSerializer(rows, many=True).data})


# --- Canned responses ------------------------------------------------------------------------


class CannedResponseListView(AccountAPIView):
    serializer_class = CannedResponseSerializer
    admin_methods = frozenset({"POST"})

    def scoped_queryset(self, account):
        return selectors.canned_responses(account_id=account.pk)

    @extend_schema(
        operation_id="getAccountCannedResponse",
        tags=["Canned Responses"],
        parameters=[OpenApiParameter("search", str)],
        responses=CannedResponseSerializer(many=True),
    )
    def get(self, request, account_id: int):
        rows = selectors.canned_responses(
            account_id=self.account.pk, q=request.query_params.get("search", "").strip()
        )
        return Response(CannedResponseSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="addNewCannedResponseToAccount",
        tags=["Canned Responses"],
        request=CannedResponseSerializer,
        responses=CannedResponseSerializer,
    )
    def post(self, request, account_id: int):
        payload = CannedResponseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        response = services.canned_response_create(
            account=self.account, actor=self.membership, **payload.validated_data
        )
        return Response(CannedResponseSerializer(response).data)


class CannedResponseDetailView(AccountAPIView):
    serializer_class = CannedResponseSerializer
    admin_methods = frozenset({"PATCH", "PUT", "DELETE"})

    def scoped_queryset(self, account):
        return selectors.canned_responses(account_id=account.pk)

    @extend_schema(
        operation_id="updateCannedResponseInAccount",
        tags=["Canned Responses"],
        request=CannedResponseSerializer,
        responses=CannedResponseSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        payload = CannedResponseSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        response = services.canned_response_update(
            account=self.account,
            actor=self.membership,
            response=self.get_object(),
            **payload.validated_data,
        )
        return Response(CannedResponseSerializer(response).data)

    put = patch

    @extend_schema(
        operation_id="deleteCannedResponseFromAccount",
        tags=["Canned Responses"],
        responses={200: None},
    )
    def delete(self, request, account_id: int, pk: int):
        services.canned_response_delete(
            account=self.account, actor=self.membership, response=self.get_object()
        )
        return Response(status=status.HTTP_200_OK)
