"""`/api/v1/accounts/{account_id}/automation_rules` (Chatwoot's paths and payloads). Rules are
the administrators' (agents get 403, as in Chatwoot); another account's rule is 404."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import AccountAPIView
from automations import selectors, services
from automations.api.serializers import (
    AutomationRuleListPayloadSerializer,
    AutomationRulePayloadSerializer,
    AutomationRuleSerializer,
    AutomationRuleWriteSerializer,
)

ALL = frozenset({"GET", "POST", "PATCH", "DELETE"})
TAGS = ["Automation Rule"]


def _payload(data) -> Response:
    return Response({"payload": data})


class _RuleView(AccountAPIView):
    admin_methods = ALL
    serializer_class = AutomationRuleSerializer

    def scoped_queryset(self, account):
        return selectors.rules_list(membership=self.membership)


class AutomationRuleListView(_RuleView):
    @extend_schema(
        operation_id="get-account-automation-rule",
        tags=TAGS,
        responses=AutomationRuleListPayloadSerializer,
    )
    def get(self, request, account_id: int):
        return _payload(AutomationRuleSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        operation_id="add-new-automation-rule-to-account",
        tags=TAGS,
        request=AutomationRuleWriteSerializer,
        responses=AutomationRulePayloadSerializer,
    )
    def post(self, request, account_id: int):
        payload = AutomationRuleWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        for required in ("name", "event_name", "actions"):
            if required not in payload.validated_data:
                raise serializers.ValidationError({required: [_("This field is required.")]})
        rule = services.rule_create(
            account=self.account, actor=self.membership, **payload.validated_data
        )
        return _payload(AutomationRuleSerializer(rule).data)


class AutomationRuleDetailView(_RuleView):
    @extend_schema(
        operation_id="get-details-of-a-single-automation-rule",
        tags=TAGS,
        responses=AutomationRulePayloadSerializer,
    )
    def get(self, request, account_id: int, pk: int):
        return _payload(AutomationRuleSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="update-automation-rule-in-account",
        tags=TAGS,
        request=AutomationRuleWriteSerializer,
        responses=AutomationRulePayloadSerializer,
    )
    def patch(self, request, account_id: int, pk: int):
        payload = AutomationRuleWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        rule = services.rule_update(
            account=self.account,
            actor=self.membership,
            rule=self.get_object(),
            **payload.validated_data,
        )
        return _payload(AutomationRuleSerializer(rule).data)

    @extend_schema(
        operation_id="delete-automation-rule-from-account", tags=TAGS, responses={200: None}
    )
    def delete(self, request, account_id: int, pk: int):
        services.rule_delete(account=self.account, actor=self.membership, rule=self.get_object())
        return Response(status=status.HTTP_200_OK)


class AutomationRuleCloneView(_RuleView):
    @extend_schema(
        operation_id="clone-automation-rule",
        tags=TAGS,
        request=None,
        responses=AutomationRulePayloadSerializer,
    )
    def post(self, request, account_id: int, pk: int):
        rule = services.rule_clone(
            account=self.account, actor=self.membership, rule=self.get_object()
        )
        return _payload(AutomationRuleSerializer(rule).data)
