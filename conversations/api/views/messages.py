"""A conversation's messages: list (keyset pages), create (reply, note, incoming), delete."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from conversations import selectors, services
from conversations.api.serializers import (
    ContactSerializer,
    MessageCreateSerializer,
    MessageSerializer,
)
from conversations.api.views.base import ConversationScoped
from conversations.services import IncomingMessage
from nexloo.celery import app as celery_app


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
                "name": conversation.assignee.shown_name,
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
                    messages,
                    many=True,
                    context={"display_id": conversation.display_id, "conversation": conversation},
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
        conversation = self.conversation_to_write()
        attachments = services.attachments_from_uploads(data.get("attachments", []))
        if data["message_type"] == "incoming":
            message, _created = services.message_post_incoming(
                account=self.account,
                actor=self.membership,
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
                template_params=data.get("template_params"),
            )
        if celery_app.conf.task_always_eager or data["message_type"] == "incoming":
            # Without a worker the delivery ran after the commit, in this request: show its
            # outcome (and an incoming message's conversation as stored).
            message = selectors.message_get(conversation=conversation, message_id=message.pk)
            conversation = self.reload()
        else:
            # The reply as stored, and its conversation as the service left it (read under
            # its lock, with its contact identity and assignee): nothing to read again.
            conversation = message.conversation
        return Response(
            MessageSerializer(
                message,
                context={"display_id": conversation.display_id, "conversation": conversation},
            ).data
        )


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
            MessageSerializer(
                message,
                context={"display_id": conversation.display_id, "conversation": conversation},
            ).data
        )
