"""Chatwoot's `webhook` (plus Nexloo's `secret`, `active`, `failing_since`)."""

from __future__ import annotations

from rest_framework import serializers

from webhooks.models import SUBSCRIPTIONS, Webhook


class WebhookSerializer(serializers.ModelSerializer):
    failing_since = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
            "account_id",
            "url",
            "name",
            "subscriptions",
            "secret",
            "active",
            "failing_since",
        ]

    def get_failing_since(self, obj: Webhook) -> int | None:
        return int(obj.failing_since.timestamp()) if obj.failing_since else None


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    subscriptions = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIPTIONS), required=False
    )
    active = serializers.BooleanField(required=False, help_text="Nexloo: switch it on or off")
