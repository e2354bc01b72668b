"""`/api/v1/accounts/{account_id}/webhooks` (Chatwoot's paths and payloads; administrators)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from webhooks import selectors, services
from webhooks.api.serializers import WebhookSerializer, WebhookWriteSerializer

TAGS = ["Webhooks"]
ALL = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


def _body(request) -> dict:
    data = request.data
    nested = data.get("webhook") if hasattr(data, "get") else None
    return nested if isinstance(nested, dict) else data  # Chatwoot nests it under `webhook`


class _WebhookView(AccountAPIView):
    admin_methods = ALL
    serializer_class = WebhookSerializer

    def scoped_queryset(self, account):
        return selectors.webhooks_list(membership=self.membership)


class WebhookListView(_WebhookView):
    @extend_schema(
        operation_id="listAllWebhooks",
        tags=TAGS,
        responses=inline_serializer(
            "WebhookList",
            {
                "payload": inline_serializer(
                    "WebhookListPayload", {"webhooks": WebhookSerializer(many=True)}
                )
            },
        ),
    )
    def get(self, request, account_id: int):
        rows = WebhookSerializer(self.get_queryset(), many=True).data
        return Response({"payload": {"webhooks": rows}})

    @extend_schema(
        operation_id="createAWebhook",
        tags=TAGS,
        request=WebhookWriteSerializer,
        responses=inline_serializer(
            "WebhookCreated",
            {"payload": inline_serializer("WebhookPayload", {"webhook": WebhookSerializer()})},
        ),
    )
    def post(self, request, account_id: int):
        payload = WebhookWriteSerializer(data=_body(request))
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        if "url" not in data:
            raise serializers.ValidationError({"url": [_("This field is required.")]})
        data.pop("active", None)
        webhook = services.webhook_create(account=self.account, actor=self.membership, **data)
        return Response({"payload": {"webhook": WebhookSerializer(webhook).data}})


class WebhookDetailView(_WebhookView):
    lookup_url_kwarg = "webhook_id"
    lookup_field = "pk"

    @extend_schema(operation_id="updateAWebhook", tags=TAGS, request=WebhookWriteSerializer)
    def patch(self, request, account_id: int, webhook_id: int):
        payload = WebhookWriteSerializer(data=_body(request), partial=True)
        payload.is_valid(raise_exception=True)
        webhook = services.webhook_update(
            account=self.account,
            actor=self.membership,
            webhook=selectors.webhook_get(membership=self.membership, webhook_id=webhook_id),
            **payload.validated_data,
        )
        return Response({"payload": {"webhook": WebhookSerializer(webhook).data}})

    put = patch

    @extend_schema(operation_id="deleteAWebhook", tags=TAGS, responses={200: None})
    def delete(self, request, account_id: int, webhook_id: int):
        services.webhook_delete(
            account=self.account,
            actor=self.membership,
            webhook=selectors.webhook_get(membership=self.membership, webhook_id=webhook_id),
        )
        return Response(status=status.HTTP_200_OK)
