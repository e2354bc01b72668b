"""Chatwoot's `POST …/conversations/filter` and `POST …/contacts/filter`: the automation rules'
condition grammar (`{"payload": [{attribute_key, filter_operator, values, query_operator}]}`)
as a queryset filter, through the same evaluator (`automations.conditions.build_q`), with its
validation messages (named `payload[i].<part>` here). They live here, not in conversations,
because conversations may not import automations (DESIGN.md's layering)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from automations import conditions
from conversations import selectors
from conversations.api.serializers import ConversationSerializer, contacts_payload
from nexloo.core.errors import ValidationError
from nexloo.core.params import query_page

CONVERSATIONS_PER_PAGE = 25
CONTACTS_PER_PAGE = 15


class FilterPayloadSerializer(serializers.Serializer):
    payload = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=True,
        help_text="Chatwoot's filter rows: {attribute_key, filter_operator, values, "
        "query_operator (AND|OR), custom_attribute_type?}. Rows join in order, AND before OR.",
    )


def _filter_q(view, target: str) -> Q:
    body = FilterPayloadSerializer(data=view.request.data)
    body.is_valid(raise_exception=True)
    try:
        return conditions.build_q(
            body.validated_data["payload"],
            account_id=view.account.pk,
            tz=view.account.timezone,
            target=target,
        )
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {
                key.replace("conditions", "payload", 1): errors
                for key, errors in exc.error_dict.items()
            }
        ) from exc


class ConversationFilterView(AccountAPIView):
    serializer_class = ConversationSerializer

    def scoped_queryset(self, account):
        return selectors.visible_conversations(membership=self.membership)

    @extend_schema(
        operation_id="conversationFilter",
        tags=["Conversations"],
        parameters=[OpenApiParameter("page", int)],
        request=FilterPayloadSerializer,
        responses=inline_serializer(
            "ConversationFilterResult",
            {"meta": serializers.DictField(), "payload": ConversationSerializer(many=True)},
        ),
    )
    def post(self, request, account_id: int):
        matching = self.get_queryset().filter(_filter_q(self, "conversation"))
        page = query_page(request.query_params)
        offset = (page - 1) * CONVERSATIONS_PER_PAGE
        ids = list(
            matching.order_by("-last_activity_at", "-id").values_list("pk", flat=True)[
                offset : offset + CONVERSATIONS_PER_PAGE
            ]
        )
        rows = selectors.attach_last_messages(
            list(selectors.with_list_data(self.get_queryset().filter(pk__in=ids)))
        )
        meta = matching.aggregate(
            mine_count=Count("pk", filter=Q(assignee=self.membership)),
            unassigned_count=Count("pk", filter=Q(assignee__isnull=True)),
            assigned_count=Count("pk", filter=Q(assignee__isnull=False)),
            all_count=Count("pk"),
        )
        meta["current_page"] = page
        return Response({"meta": meta, "payload": ConversationSerializer(rows, many=True).data})


class ContactFilterView(AccountAPIView):
    def scoped_queryset(self, account):
        return selectors.visible_contacts(membership=self.membership)

    @extend_schema(
        operation_id="contactFilter",
        tags=["Contacts"],
        parameters=[OpenApiParameter("page", int)],
        request=FilterPayloadSerializer,
        responses=inline_serializer(
            "ContactFilterResult",
            {"meta": serializers.DictField(), "payload": serializers.ListField()},
        ),
    )
    def post(self, request, account_id: int):
        matching = self.get_queryset().filter(_filter_q(self, "contact"))
        page = query_page(request.query_params)
        offset = (page - 1) * CONTACTS_PER_PAGE
        rows = selectors.with_contact_inboxes(matching.order_by("name", "pk"))[
            offset : offset + CONTACTS_PER_PAGE
        ]
        return Response(
            {
                "meta": {"count": matching.count(), "current_page": page},
                "payload": contacts_payload(rows),
            }
        )
