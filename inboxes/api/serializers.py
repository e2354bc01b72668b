"""Inbox payloads, shaped like Chatwoot's `inbox` (with `working_hours`), plus Nexloo's extras:
several intervals per day (`intervals`), dated exceptions (`working_hours_exceptions`), the
assignment policy and capacity."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inboxes.business_hours import ALL_DAY, Interval, parse_hhmm
from inboxes.models import WEEKDAYS, AssignmentPolicy, ChannelType, Inbox
from inboxes.schedule import (
    CLOSED,
    OPEN_ALL_DAY,
    DayHours,
    day_hours_from_rules,
    exceptions_payload,
    intervals_payload,
    rules_by_day,
)
from nexloo.core.params import MAX_INT, json_validator

CHATWOOT_CHANNEL = {
    ChannelType.API: "Channel::Api",
    ChannelType.WHATSAPP_CLOUD: "Channel::Whatsapp",
}
CHANNEL_INPUT = {"api": ChannelType.API, "whatsapp": ChannelType.WHATSAPP_CLOUD}


def working_hours_payload(inbox: Inbox) -> list[dict]:
    weekly, _dated = rules_by_day(inbox)
    out = []
    for dow in range(7):
        day = day_hours_from_rules(weekly.get(dow, []))
        # Chatwoot's fields hold one interval: the first one (all of them are in `intervals`);
        # an open-all-day day reads 00:00–23:59 there, as Chatwoot stores it.
        first = ALL_DAY if day.mode == OPEN_ALL_DAY else (day.intervals or (None,))[0]
        close = min(first.end, 1439) if first else None  # Chatwoot says 23:59 for midnight
        out.append(
            {
                "day_of_week": dow,
                "closed_all_day": day.mode == CLOSED,
                "open_all_day": day.mode == OPEN_ALL_DAY,
                "open_hour": first.start // 60 if first else None,
                "open_minutes": first.start % 60 if first else None,
                "close_hour": close // 60 if first else None,
                "close_minutes": close % 60 if first else None,
                "intervals": intervals_payload(day),
            }
        )
    return out


class InboxSerializer(serializers.ModelSerializer):
    account_id = serializers.IntegerField(read_only=True)
    channel_type = serializers.SerializerMethodField()
    channel = serializers.CharField(source="channel_type", read_only=True)
    avatar_url = serializers.SerializerMethodField()
    working_hours = serializers.SerializerMethodField()
    working_hours_exceptions = serializers.SerializerMethodField()
    auto_assignment_config = serializers.SerializerMethodField()
    members_count = serializers.IntegerField(read_only=True, required=False)
    # A channel's own fields (Chatwoot's, for WhatsApp: phone_number, provider, provider_config
    # — never the access token or the app secret), filled by the channel app (ChannelAPI).
    phone_number = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    provider_config = serializers.SerializerMethodField()
    channel_id = serializers.SerializerMethodField()
    callback_webhook_url = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()
    # The API channel's: what its webhook_url posts are signed with (administrators only).
    secret = serializers.SerializerMethodField()
    # Chatwoot's fields for features Nexloo does not have (a web widget, CSAT, e-mail
    # collection): constant, so that clients reading them find what that inbox does.
    website_token = serializers.SerializerMethodField()
    allow_messages_after_resolved = serializers.SerializerMethodField()
    lock_to_single_conversation = serializers.SerializerMethodField()
    enable_email_collect = serializers.SerializerMethodField()
    csat_survey_enabled = serializers.SerializerMethodField()

    class Meta:
        model = Inbox
        fields = [
            "id",
            "account_id",
            "name",
            "channel_type",
            "channel",
            "avatar_url",
            "enable_auto_assignment",
            "auto_assignment_config",
            "assignment_policy",
            "max_assignment_limit",
            "fixed_contact_assignment",
            "greeting_enabled",
            "greeting_message",
            "out_of_office_message",
            "working_hours_enabled",
            "timezone",
            "working_hours",
            "working_hours_exceptions",
            "members_count",
            "phone_number",
            "provider",
            "provider_config",
            "channel_id",
            "callback_webhook_url",
            "webhook_url",
            "secret",
            "website_token",
            "allow_messages_after_resolved",
            "lock_to_single_conversation",
            "enable_email_collect",
            "csat_survey_enabled",
        ]

    def get_channel_type(self, obj: Inbox) -> str:
        return CHATWOOT_CHANNEL.get(obj.channel_type, obj.channel_type)

    def get_avatar_url(self, obj: Inbox) -> str:
        return obj.avatar.url if obj.avatar else ""

    def get_working_hours(self, obj: Inbox) -> list[dict]:
        return working_hours_payload(obj)

    def get_working_hours_exceptions(self, obj: Inbox) -> list[dict]:
        return exceptions_payload(obj)

    def get_auto_assignment_config(self, obj: Inbox) -> dict:
        return {"max_assignment_limit": obj.max_assignment_limit}

    def _channel(self, obj: Inbox) -> dict:
        return (self.context.get("channels") or {}).get(obj.pk) or {}

    def get_phone_number(self, obj: Inbox) -> str | None:
        return self._channel(obj).get("phone_number")

    def get_provider(self, obj: Inbox) -> str | None:
        return self._channel(obj).get("provider")

    def get_channel_id(self, obj: Inbox) -> int:
        # The API channel has no row of its own: the inbox stands for it.
        return self._channel(obj).get("channel_id") or obj.pk

    def get_callback_webhook_url(self, obj: Inbox) -> str | None:
        return self._channel(obj).get("callback_webhook_url")

    def get_webhook_url(self, obj: Inbox) -> str | None:
        return self._channel(obj).get("webhook_url")

    def get_secret(self, obj: Inbox) -> str | None:
        """The API channel's webhook secret, as Chatwoot's `secret`: it verifies the
        X-Chatwoot-Signature of what `webhook_url` receives. Null for agents."""
        return self._channel(obj).get("secret")

    def get_website_token(self, obj: Inbox) -> str | None:
        return None

    def get_allow_messages_after_resolved(self, obj: Inbox) -> bool:
        return True

    def get_lock_to_single_conversation(self, obj: Inbox) -> bool:
        # A message after the conversation was resolved opens a new one.
        return False

    def get_enable_email_collect(self, obj: Inbox) -> bool:
        return False

    def get_csat_survey_enabled(self, obj: Inbox) -> bool:
        return False

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "WhatsApp (administrators only): phone_number_id, "
            "business_account_id, webhook_verify_token, callback_webhook_url. The access "
            "token (api_key) and the app secret are never returned.",
        }
    )
    def get_provider_config(self, obj: Inbox) -> dict | None:
        return self._channel(obj).get("provider_config")


class IntervalSerializer(serializers.Serializer):
    open = serializers.CharField(max_length=5)
    close = serializers.CharField(max_length=5)

    def validate(self, attrs: dict) -> dict:
        # A PATCH validates with partial=True, which DRF passes down to nested fields; an
        # interval is whole or it is nothing.
        missing = [name for name in ("open", "close") if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {name: [_("This field is required.")] for name in missing}
            )
        return attrs


def day_hours_from_payload(item: dict) -> DayHours:
    """A `working_hours` (or exception) entry as DayHours; raises Django's ValidationError."""
    if item.get("closed_all_day"):
        return DayHours(mode=CLOSED)
    if item.get("open_all_day"):
        return DayHours(mode=OPEN_ALL_DAY)
    if item.get("intervals"):
        intervals = tuple(
            Interval(parse_hhmm(i["open"]), parse_hhmm(i["close"])) for i in item["intervals"]
        )
    elif item.get("open_hour") is not None and item.get("close_hour") is not None:
        start = item["open_hour"] * 60 + (item.get("open_minutes") or 0)
        end = item["close_hour"] * 60 + (item.get("close_minutes") or 0)
        end = 1440 if end == 1439 else end  # Chatwoot writes 23:59 for "until midnight"
        intervals = (Interval(start, end),)
    else:
        return DayHours(mode=CLOSED)
    return DayHours(mode="intervals", intervals=intervals)


class _DayPayload(serializers.Serializer):
    """Turns an entry into `hours` (DayHours); a bad time names the day it belongs to (each
    subclass says how, in `day_label(attrs)`, and names the field that says which day in
    `day_field`)."""

    day_field: str

    def validate(self, attrs: dict) -> dict:
        # A PATCH validates with partial=True, which DRF passes down to nested fields; an entry
        # that does not say which day it is for cannot be applied.
        if self.day_field not in attrs:
            raise serializers.ValidationError({self.day_field: [_("This field is required.")]})
        try:
            attrs["hours"] = day_hours_from_payload(attrs)
        except DjangoValidationError as exc:
            label = self.day_label(attrs)
            raise serializers.ValidationError([f"{label}: {m}" for m in exc.messages]) from exc
        return attrs


class WorkingDaySerializer(_DayPayload):
    day_field = "day_of_week"
    day_of_week = serializers.IntegerField(min_value=0, max_value=6)
    closed_all_day = serializers.BooleanField(required=False, default=False)
    open_all_day = serializers.BooleanField(required=False, default=False)
    open_hour = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=23)
    open_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=59
    )
    close_hour = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=24
    )
    close_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=59
    )
    intervals = IntervalSerializer(many=True, required=False)

    def day_label(self, attrs: dict) -> str:
        return str(dict(WEEKDAYS)[attrs["day_of_week"]])


class ExceptionSerializer(_DayPayload):
    day_field = "date"
    date = serializers.DateField()
    closed_all_day = serializers.BooleanField(required=False, default=False)
    open_all_day = serializers.BooleanField(required=False, default=False)
    intervals = IntervalSerializer(many=True, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

    def day_label(self, attrs: dict) -> str:
        return attrs["date"].isoformat()


def schedule_errors(exc: DjangoValidationError) -> DjangoValidationError:
    """The schedule service keys its errors by day (`day_2`) or date (`exception_2026-12-24`);
    the API reports them on its own fields, naming the day in the message."""
    if not hasattr(exc, "error_dict"):
        return exc
    weekdays = dict(WEEKDAYS)
    out: dict[str, list[str]] = {}
    for key, errors in exc.error_dict.items():
        field, label = key, ""
        if key.startswith("day_") and key[4:].isdigit():
            field, label = "working_hours", str(weekdays.get(int(key[4:]), key))
        elif key.startswith("exception_"):
            field, label = "working_hours_exceptions", key.removeprefix("exception_")
        for error in errors:
            out.setdefault(field, []).extend(
                f"{label}: {m}" if label else m for m in error.messages
            )
    return DjangoValidationError(out)


class AutoAssignmentConfigSerializer(serializers.Serializer):
    max_assignment_limit = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, required=False, allow_null=True
    )


class InboxWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    channel = serializers.DictField(
        required=False,
        validators=[json_validator],
        write_only=True,
        help_text="Chatwoot's channel object: {type: 'api'} or {type: 'whatsapp', phone_number: "
        "'+5511…', provider: 'whatsapp_cloud', provider_config: {api_key (the access token), "
        "phone_number_id, business_account_id, app_secret}}. PATCH changes what it names.",
    )
    avatar = serializers.FileField(required=False)
    enable_auto_assignment = serializers.BooleanField(required=False)
    assignment_policy = serializers.ChoiceField(choices=AssignmentPolicy.values, required=False)
    max_assignment_limit = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, required=False, allow_null=True
    )
    auto_assignment_config = AutoAssignmentConfigSerializer(required=False)
    fixed_contact_assignment = serializers.BooleanField(required=False)
    greeting_enabled = serializers.BooleanField(required=False)
    greeting_message = serializers.CharField(required=False, allow_blank=True)
    out_of_office_message = serializers.CharField(required=False, allow_blank=True)
    working_hours_enabled = serializers.BooleanField(required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    working_hours = WorkingDaySerializer(many=True, required=False)
    working_hours_exceptions = ExceptionSerializer(many=True, required=False)

    def settings(self) -> dict:
        """The plain settings (everything but channel, hours and exceptions)."""
        data = dict(self.validated_data)
        for key in ("channel", "working_hours", "working_hours_exceptions"):
            data.pop(key, None)
        config = data.pop("auto_assignment_config", None)
        if config and "max_assignment_limit" in config and "max_assignment_limit" not in data:
            data["max_assignment_limit"] = config["max_assignment_limit"]
        return data

    def channel_type(self) -> str:
        channel = self.validated_data.get("channel") or {}
        if channel.get("type") == "whatsapp" and channel.get("provider", "whatsapp_cloud") != (
            "whatsapp_cloud"
        ):
            raise serializers.ValidationError(
                {"channel": [_("Only the whatsapp_cloud provider is supported.")]}
            )
        kind = channel.get("type", "api")
        if not isinstance(kind, str) or kind not in CHANNEL_INPUT:
            raise serializers.ValidationError(
                {"channel": [_("Unsupported channel type: %(kind)s") % {"kind": kind}]}
            )
        return CHANNEL_INPUT[kind]


class InboxMembersSerializer(serializers.Serializer):
    inbox_id = serializers.IntegerField()
    user_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
