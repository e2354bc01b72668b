"""Contacts: list, search, create, show, update, delete, and their conversations."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from conversations import selectors, services
from conversations.api.serializers import (
    ContactSerializer,
    ContactWriteSerializer,
    ConversationSerializer,
)
from inboxes.selectors import inbox_for_member

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
        inbox = (
            inbox_for_member(membership=self.membership, inbox_id=inbox_id) if inbox_id else None
        )
        contact = services.contact_create(
            account=self.account, actor=self.membership, inbox=inbox, **data
        )
        contact_inbox = getattr(contact, "new_contact_inbox", None)
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
