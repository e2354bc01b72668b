from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automations.models import AutomationRule, RuleEvent


class AutomationRuleSerializer(serializers.ModelSerializer):
    """Chatwoot's `automation_rule_item`, plus `delay_minutes` (time-based events) and
    `switched_off_at` / `switched_off_reason` (a rule switched off by its errors)."""

    account_id = serializers.IntegerField(read_only=True)
    created_on = serializers.SerializerMethodField()
    switched_off_at = serializers.DateTimeField(source="disabled_at", read_only=True)
    switched_off_reason = serializers.CharField(source="disabled_reason", read_only=True)
    conditions = serializers.JSONField()
    actions = serializers.JSONField()

    class Meta:
        model = AutomationRule
        fields = [
            "id",
            "account_id",
            "name",
            "description",
            "event_name",
            "conditions",
            "actions",
            "created_on",
            "active",
            "delay_minutes",
            "switched_off_at",
            "switched_off_reason",
        ]

    @extend_schema_field(serializers.IntegerField())
    def get_created_on(self, rule: AutomationRule) -> int:
        return int(rule.created_at.timestamp())


class AutomationRulePayloadSerializer(serializers.Serializer):
    payload = AutomationRuleSerializer()


class AutomationRuleListPayloadSerializer(serializers.Serializer):
    payload = AutomationRuleSerializer(many=True)


class AutomationRuleWriteSerializer(serializers.Serializer):
    """Chatwoot's `automation_rule_create_update_payload`; the shapes of `conditions` and
    `actions` are checked by the service, which names the row at fault."""

    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    event_name = serializers.ChoiceField(choices=RuleEvent.choices, required=False)
    active = serializers.BooleanField(required=False)
    conditions = serializers.JSONField(required=False)
    actions = serializers.JSONField(required=False)
    delay_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1)
