"""Contacts: list, search, create, show, update, delete, and their conversations."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from conversations import selectors, services
from conversations.api.serializers import (
    ContactDetailSerializer,
    ContactInboxCreateSerializer,
    ContactWriteSerializer,
    ConversationSerializer,
    LabelsSerializer,
    contact_inbox_payload,
    contact_payload,
    contacts_payload,
)
from inboxes.api.serializers import InboxSerializer
from inboxes.extensions import channel_payloads
from inboxes.selectors import inbox_get, inboxes_list
from nexloo.core.params import query_page, query_text

CONTACTS_PER_PAGE = 15


def _contact_page(request, qs):
    page = query_page(request.query_params)
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
    rows = selectors.with_contact_inboxes(qs.order_by(*order))[offset : offset + CONTACTS_PER_PAGE]
    return Response(
        {
            "meta": {"count": qs.count(), "current_page": page},
            "payload": contacts_payload(rows),
        }
    )


class ContactListView(AccountAPIView):
    serializer_class = ContactDetailSerializer

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
        inbox = inbox_get(membership=self.membership, inbox_id=inbox_id) if inbox_id else None
        contact = services.contact_create(
            account=self.account, actor=self.membership, inbox=inbox, **data
        )
        contact_inbox = contact.contact_inboxes.filter(inbox=inbox).first() if inbox else None
        contact = selectors.contact_detail_get(membership=self.membership, contact_id=contact.pk)
        return Response(
            {
                "payload": {
                    "contact": contact_payload(contact),
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
    serializer_class = ContactDetailSerializer

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
                membership=self.membership, q=query_text(request.query_params, "q")
            ),
        )


class ContactDetailView(AccountAPIView):
    serializer_class = ContactDetailSerializer
    admin_methods = frozenset({"DELETE"})

    def scoped_queryset(self, account):
        return selectors.with_contact_inboxes(
            selectors.visible_contacts(membership=self.membership)
        )

    @extend_schema(operation_id="contactDetails", tags=["Contacts"])
    def get(self, request, account_id: int, pk: int):
        return Response({"payload": contact_payload(self.get_object())})

    @extend_schema(operation_id="contactUpdate", tags=["Contacts"], request=ContactWriteSerializer)
    def put(self, request, account_id: int, pk: int):
        payload = ContactWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("inbox_id", None)
        data.pop("source_id", None)
        contact = services.contact_update(
            account=self.account, actor=self.membership, contact=self.get_object(), **data
        )
        contact = selectors.contact_detail_get(membership=self.membership, contact_id=contact.pk)
        return Response({"payload": contact_payload(contact)})

    patch = put  # Rails routes both

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
        rows = selectors.attach_last_messages(
            list(selectors.contact_conversations(membership=self.membership, contact=contact)[:100])
        )
        return Response({"payload": ConversationSerializer(rows, many=True).data})


class ContactScoped(AccountAPIView):
    """Endpoints under a contact: every member sees the account's contacts."""

    serializer_class = ContactDetailSerializer

    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)


class ContactInboxesView(ContactScoped):
    @extend_schema(
        operation_id="contactInboxList",
        tags=["Contacts"],
        responses=inline_serializer(
            "ContactInboxList", {"payload": serializers.ListField(child=serializers.DictField())}
        ),
    )
    def get(self, request, account_id: int, pk: int):
        contact = selectors.contact_detail_get(membership=self.membership, contact_id=pk)
        return Response({"payload": contact_payload(contact)["contact_inboxes"]})

    @extend_schema(
        operation_id="contactInboxCreation",
        tags=["Contacts"],
        request=ContactInboxCreateSerializer,
        responses=inline_serializer(
            "ContactInbox",
            {"source_id": serializers.CharField(), "inbox": serializers.DictField()},
        ),
    )
    def post(self, request, account_id: int, pk: int):
        payload = ContactInboxCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        contact = self.get_object()
        inbox = inbox_get(membership=self.membership, inbox_id=payload.validated_data["inbox_id"])
        contact_inbox = services.contact_inbox_create(
            account=self.account,
            actor=self.membership,
            contact=contact,
            inbox=inbox,
            source_id=payload.validated_data.get("source_id", ""),
        )
        channels = channel_payloads([inbox], administrator=False)
        contact_inbox.inbox = inbox
        return Response(contact_inbox_payload(contact_inbox, channels))


class ContactableInboxesView(ContactScoped):
    @extend_schema(
        operation_id="contactableInboxesGet",
        tags=["Contacts"],
        responses=inline_serializer(
            "ContactableInboxes",
            {"payload": serializers.ListField(child=serializers.DictField())},
        ),
    )
    def get(self, request, account_id: int, pk: int):
        """The inboxes (of those the caller works in) through which the contact can be reached,
        with the source id a conversation there would use."""
        contact = selectors.contact_detail_get(membership=self.membership, contact_id=pk)
        known = {ci.inbox_id: ci.source_id for ci in contact.contact_inboxes.all()}
        inboxes = [
            inbox
            for inbox in inboxes_list(membership=self.membership)
            if inbox.pk in known or inbox.channel_type == "api" or contact.phone_number
        ]
        channels = channel_payloads(inboxes, administrator=self.membership.is_administrator)
        shown = InboxSerializer(inboxes, many=True, context={"channels": channels}).data
        return Response(
            {
                "payload": [
                    {
                        "source_id": known.get(inbox.pk)
                        or (
                            f"contact-{contact.pk}"
                            if inbox.channel_type == "api"
                            else contact.phone_number.lstrip("+")
                        ),
                        "inbox": data,
                    }
                    for inbox, data in zip(inboxes, shown, strict=True)
                ]
            }
        )


class ContactLabelsView(ContactScoped):
    @extend_schema(
        operation_id="contactLabelsList",
        tags=["Contacts"],
        responses=inline_serializer(
            "ContactLabels", {"payload": serializers.ListField(child=serializers.CharField())}
        ),
    )
    def get(self, request, account_id: int, pk: int):
        return Response({"payload": selectors.contact_label_titles(contact=self.get_object())})

    @extend_schema(
        operation_id="contactAddLabels",
        tags=["Contacts"],
        request=LabelsSerializer,
        responses=inline_serializer(
            "ContactLabelsSet", {"payload": serializers.ListField(child=serializers.CharField())}
        ),
    )
    def post(self, request, account_id: int, pk: int):
        payload = LabelsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        titles = services.contact_labels_set(
            account=self.account,
            actor=self.membership,
            contact=self.get_object(),
            titles=payload.validated_data["labels"],
        )
        return Response({"payload": titles})
