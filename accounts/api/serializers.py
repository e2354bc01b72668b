"""Payloads of the accounts API, shaped like Chatwoot's (`agent`, `user`, `account_detail`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.events import API_AVAILABILITY
from accounts.models import Account, AccountUser, Language, Role, User

AVAILABILITY_INPUT = ["online", "available", "busy", "offline"]
AVAILABILITY_OUTPUT = ["online", "busy", "offline"]  # Chatwoot's server enum
ACCOUNT_STATUSES = Account.Status.choices  # named in the schema (settings.ENUM_NAME_OVERRIDES)


class AgentSerializer(serializers.Serializer):
    """Chatwoot's `agent`. `id` is the user's id."""

    id = serializers.IntegerField(source="user_id")
    account_id = serializers.IntegerField()
    availability_status = serializers.SerializerMethodField()
    auto_offline = serializers.BooleanField()
    confirmed = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email")
    available_name = serializers.CharField()
    custom_attributes = serializers.JSONField(source="user.custom_attributes")
    name = serializers.CharField(source="shown_name")
    role = serializers.ChoiceField(choices=Role.choices)
    thumbnail = serializers.SerializerMethodField()
    custom_role_id = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": AVAILABILITY_OUTPUT})
    def get_availability_status(self, obj: AccountUser) -> str:
        return API_AVAILABILITY[obj.availability]

    def get_confirmed(self, obj: AccountUser) -> bool:
        # `verified` is annotated by selectors.agents_list.
        return bool(getattr(obj, "verified", False))

    def get_thumbnail(self, obj: AccountUser) -> str:
        return ""

    def get_custom_role_id(self, obj: AccountUser) -> int | None:
        return None


class AvailabilityInput(serializers.Serializer):
    """Chatwoot's clients send `availability`; `availability_status` is accepted too."""

    availability = serializers.ChoiceField(choices=AVAILABILITY_INPUT, required=False)
    availability_status = serializers.ChoiceField(choices=AVAILABILITY_INPUT, required=False)

    def validate(self, attrs):
        chosen = attrs.pop("availability", None) or attrs.pop("availability_status", None)
        attrs.pop("availability_status", None)
        if chosen:
            attrs["availability"] = chosen
        return attrs


class AgentCreateSerializer(AvailabilityInput):
    name = serializers.CharField(max_length=255)
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.values)
    auto_offline = serializers.BooleanField(required=False, default=True)


class AgentUpdateSerializer(AvailabilityInput):
    name = serializers.CharField(max_length=255, required=False)
    role = serializers.ChoiceField(choices=Role.values, required=False)
    auto_offline = serializers.BooleanField(required=False)


class ProfileUpdateSerializer(AvailabilityInput):
    """`PUT /api/v1/profile` (Chatwoot nests it under `profile`; both are accepted)."""

    name = serializers.CharField(max_length=255, required=False)
    display_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    message_signature = serializers.CharField(required=False, allow_blank=True)
    ui_settings = serializers.DictField(required=False)
    account_id = serializers.IntegerField(required=False, help_text="For `availability`.")


class AccountSerializer(serializers.ModelSerializer):
    """Chatwoot's `account_detail` (with `timezone` also at the top level)."""

    settings = serializers.SerializerMethodField()
    features = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "locale",
            "timezone",
            "domain",
            "support_email",
            "status",
            "created_at",
            "custom_attributes",
            "settings",
            "features",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "auto_resolve_after": {"type": "integer", "nullable": True},
                "auto_resolve_message": {"type": "string", "nullable": True},
                "auto_resolve_ignore_waiting": {"type": "boolean", "nullable": True},
            },
        }
    )
    def get_settings(self, obj: Account) -> dict:
        # Nexloo has no auto-resolve: Chatwoot's settings as they are with it switched off.
        return {
            "auto_resolve_after": None,
            "auto_resolve_message": None,
            "auto_resolve_ignore_waiting": None,
        }

    def get_features(self, obj: Account) -> list[str]:
        return []


class AccountShowSerializer(AccountSerializer):
    """`GET /api/v1/accounts/{id}`: Chatwoot's `account_show_response`. No Chatwoot release is
    known here (null, as Chatwoot's own before its version check ran), and no enterprise
    feature is subscribed."""

    latest_chatwoot_version = serializers.SerializerMethodField()
    subscribed_features = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "latest_chatwoot_version", "subscribed_features"]

    def get_latest_chatwoot_version(self, obj: Account) -> str | None:
        return None

    def get_subscribed_features(self, obj: Account) -> list[str]:
        return []


class AccountUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    locale = serializers.ChoiceField(choices=Language.values, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    domain = serializers.CharField(max_length=255, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_blank=True)


class ProfileAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account_id")
    name = serializers.CharField(source="account.name")
    status = serializers.CharField(source="account.status")
    active_at = serializers.DateTimeField()
    role = serializers.CharField()
    permissions = serializers.SerializerMethodField()
    availability = serializers.SerializerMethodField()
    availability_status = serializers.SerializerMethodField()
    auto_offline = serializers.BooleanField()
    custom_role_id = serializers.SerializerMethodField()
    custom_role = serializers.SerializerMethodField()

    def get_custom_role_id(self, obj: AccountUser) -> int | None:
        return None  # no custom roles

    @extend_schema_field({"type": "object", "nullable": True})
    def get_custom_role(self, obj: AccountUser) -> dict | None:
        return None

    def get_permissions(self, obj: AccountUser) -> list[str]:
        return ["administrator"] if obj.role == Role.ADMINISTRATOR else ["agent"]

    def get_availability(self, obj: AccountUser) -> str:
        return obj.availability

    def get_availability_status(self, obj: AccountUser) -> str:
        return API_AVAILABILITY[obj.availability]


class UserSerializer(serializers.Serializer):
    """Chatwoot's `user`. The token is never echoed back: only its first characters."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    available_name = serializers.CharField()
    email = serializers.EmailField()
    confirmed = serializers.SerializerMethodField()
    language = serializers.CharField()
    custom_attributes = serializers.JSONField()
    access_token_hint = serializers.SerializerMethodField()
    pubsub_token = serializers.SerializerMethodField()
    avatar_url = serializers.SerializerMethodField()
    uid = serializers.EmailField(source="email")
    type = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    message_signature = serializers.CharField()
    ui_settings = serializers.JSONField()
    account_id = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    accounts = serializers.SerializerMethodField()

    def get_pubsub_token(self, obj: User) -> str | None:
        token = getattr(obj, "access_token", None)
        return token.pubsub_token if token else None

    def get_avatar_url(self, obj: User) -> str:
        return ""

    def get_type(self, obj: User) -> str | None:
        return "SuperAdmin" if obj.is_superuser else None  # Chatwoot's STI type

    def get_provider(self, obj: User) -> str:
        return "email"

    def _memberships(self, obj: User) -> list[AccountUser]:
        return self.context.get("memberships", [])

    def get_confirmed(self, obj: User) -> bool:
        return bool(self.context.get("confirmed", False))

    def get_access_token_hint(self, obj: User) -> str | None:
        token = getattr(obj, "access_token", None)
        return token.hint if token else None

    def get_account_id(self, obj: User) -> int | None:
        memberships = self._memberships(obj)
        return memberships[0].account_id if memberships else None

    def get_role(self, obj: User) -> str | None:
        memberships = self._memberships(obj)
        return memberships[0].role if memberships else None

    def get_accounts(self, obj: User) -> list[dict]:
        return ProfileAccountSerializer(self._memberships(obj), many=True).data


class PlatformAccountCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    locale = serializers.ChoiceField(choices=Language.values, required=False)
    domain = serializers.CharField(max_length=255, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Account.Status.values, required=False)
    custom_attributes = serializers.JSONField(required=False)


class PlatformUserCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    display_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )
    custom_attributes = serializers.JSONField(required=False)


class PlatformAccountUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    locale = serializers.ChoiceField(choices=Language.values, required=False)
    domain = serializers.CharField(max_length=255, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    custom_attributes = serializers.JSONField(required=False)


class PlatformUserUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    display_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )


class AccountUserSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    role = serializers.CharField()


class AccountUserCreateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.values)


class AccountUserDeleteSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
