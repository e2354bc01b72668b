from __future__ import annotations

from rest_framework import serializers

from teams.models import Team


class TeamSerializer(serializers.ModelSerializer):
    """Chatwoot's `team`, plus `routing_message` and `members_count`."""

    account_id = serializers.IntegerField(read_only=True)
    is_member = serializers.BooleanField(read_only=True, default=False)
    members_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "description",
            "allow_auto_assign",
            "routing_message",
            "account_id",
            "is_member",
            "members_count",
        ]


class TeamWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    routing_message = serializers.CharField(required=False, allow_blank=True)
    allow_auto_assign = serializers.BooleanField(required=False)


class TeamMembersSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
