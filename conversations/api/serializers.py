"""Payloads of the conversations API, shaped like Chatwoot's (`conversation`, `message`,
`contact`, `canned_response`). A conversation's `id` is its per-account display id."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from accounts.events import API_AVAILABILITY
from conversations import delivery
from conversations import selectors as conversation_selectors
from conversations.events import MESSAGE_TYPE_CODES
from conversations.files import attachment_url
from conversations.models import (
    CannedResponse,
    Contact,
    ContactInbox,
    Conversation,
    Message,
    Priority,
    Status,
)
from inboxes.api.serializers import CHATWOOT_CHANNEL
from inboxes.extensions import channel_payloads
from inboxes.models import Inbox
from nexloo.core.params import MAX_TIMESTAMP, json_validator

SENDER_TYPES = {
    "contact": "contact",
    "user": "user",
    "automation_rule": "agent_bot",
    "system": "agent_bot",
}


def ts(value) -> int | None:
    return int(value.timestamp()) if value else None


class DirectRepresentation:
    """Renders `Meta.fields` straight from the object: `get_<name>()` when the serializer has
    one, else the attribute (or the declared `source`). The values are JSON-ready already, and
    skipping DRF's per-field machinery makes a page of 25 conversations several times cheaper
    (see bench/conversations.py). The declared fields still document the schema."""

    def to_representation(self, obj):
        plan = type(self).__dict__.get("_plan")
        if plan is None:
            plan = []
            for name in self.Meta.fields:
                getter = getattr(type(self), f"get_{name}", None)
                field = self.fields.get(name)
                source = getattr(field, "source", None) or name
                plan.append((name, getter, source))
            type(self)._plan = plan
        return {
            name: getter(self, obj) if getter else getattr(obj, source)
            for name, getter, source in plan
        }


class ContactSerializer(DirectRepresentation, serializers.ModelSerializer):
    """Chatwoot's contact as it is embedded (a conversation's `meta.sender`)."""

    thumbnail = serializers.SerializerMethodField()
    blocked = serializers.SerializerMethodField()
    availability_status = serializers.SerializerMethodField()
    last_activity_at = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "email",
            "phone_number",
            "identifier",
            "thumbnail",
            "blocked",
            "availability_status",
            "additional_attributes",
            "custom_attributes",
            "last_activity_at",
            "created_at",
            "type",
        ]

    def get_thumbnail(self, obj) -> str:
        return ""

    @extend_schema_field({"type": "string", "enum": ["online", "offline"]})
    def get_availability_status(self, obj) -> str:
        # Chatwoot's: whether the contact is on its web widget now. Nexloo has no widget.
        return "offline"

    def get_type(self, obj) -> str:
        return "contact"

    def get_blocked(self, obj) -> bool:
        return False

    def get_last_activity_at(self, obj) -> int | None:
        return ts(obj.last_activity_at)

    def get_created_at(self, obj) -> int | None:
        return ts(obj.created_at)


class AssigneeSerializer(DirectRepresentation, serializers.Serializer):
    """A conversation's assignee as Chatwoot's server embeds it (User#push_event_data: id, name,
    available_name, avatar_url, type, availability_status, thumbnail), with the membership's
    email, role, account_id, auto_offline and custom_role_id of Chatwoot's `agent` besides.
    Reads the membership and its user only (both already fetched with the conversation)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    available_name = serializers.CharField()
    avatar_url = serializers.CharField()
    type = serializers.CharField()
    availability_status = serializers.ChoiceField(choices=list(API_AVAILABILITY.values()))
    thumbnail = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    account_id = serializers.IntegerField()
    auto_offline = serializers.BooleanField()
    custom_role_id = serializers.IntegerField(allow_null=True)

    class Meta:
        fields = [
            "id",
            "name",
            "available_name",
            "avatar_url",
            "type",
            "availability_status",
            "thumbnail",
            "email",
            "role",
            "account_id",
            "auto_offline",
            "custom_role_id",
        ]

    def get_id(self, obj) -> int:
        return obj.user_id

    def get_name(self, obj) -> str:
        return obj.shown_name  # the account's name for them (see AccountUser.shown_name)

    def get_available_name(self, obj) -> str:
        return obj.available_name

    def get_avatar_url(self, obj) -> str:
        return ""  # no avatars yet (as the profile's avatar_url)

    def get_type(self, obj) -> str:
        return "user"

    def get_availability_status(self, obj) -> str:
        return API_AVAILABILITY[obj.availability]

    def get_thumbnail(self, obj) -> str:
        return ""

    def get_email(self, obj) -> str:
        return obj.user.email

    def get_custom_role_id(self, obj) -> None:
        return None  # no custom roles


def assignee_payload(membership) -> dict | None:
    return AssigneeSerializer().to_representation(membership) if membership else None


def inbox_brief(inbox: Inbox, channels: dict[int, dict]) -> dict:
    """Chatwoot's `inbox_contact`: the inbox as a contact inbox names it."""
    channel = channels.get(inbox.pk) or {}
    return {
        "id": inbox.pk,
        "avatar_url": inbox.avatar.url if inbox.avatar else "",
        "channel_id": channel.get("channel_id") or inbox.pk,
        "name": inbox.name,
        "channel_type": CHATWOOT_CHANNEL.get(inbox.channel_type, inbox.channel_type),
        "provider": channel.get("provider"),
    }


def contact_inbox_payload(contact_inbox: ContactInbox, channels: dict[int, dict]) -> dict:
    return {
        "source_id": contact_inbox.source_id,
        "inbox": inbox_brief(contact_inbox.inbox, channels),
    }


def channels_for(contacts) -> dict[int, dict]:
    """The channel fields of every inbox the contacts are known in (their `contact_inboxes`
    prefetched with the inbox): one query per channel type present, whatever the count."""
    inboxes = {ci.inbox_id: ci.inbox for c in contacts for ci in c.contact_inboxes.all()}
    return channel_payloads(list(inboxes.values()), administrator=False)


class ContactDetailSerializer(ContactSerializer):
    """A contact as the contacts endpoints show it: with its `contact_inboxes` (prefetched by
    `selectors.with_contact_inboxes`; the channels in `context["channels"]`)."""

    contact_inboxes = serializers.SerializerMethodField()

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "contact_inboxes"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"source_id": {"type": "string"}, "inbox": {"type": "object"}},
            },
        }
    )
    def get_contact_inboxes(self, obj) -> list[dict]:
        channels = self.context.get("channels") or {}
        return [contact_inbox_payload(ci, channels) for ci in obj.contact_inboxes.all()]


def contacts_payload(contacts) -> list[dict]:
    contacts = list(contacts)
    return ContactDetailSerializer(
        contacts, many=True, context={"channels": channels_for(contacts)}
    ).data


def contact_payload(contact) -> dict:
    return contacts_payload([contact])[0]


class ContactInboxCreateSerializer(serializers.Serializer):
    inbox_id = serializers.IntegerField()
    source_id = serializers.CharField(max_length=255, required=False, allow_blank=True)


class ContactWriteSerializer(serializers.Serializer):
    inbox_id = serializers.IntegerField(required=False)
    source_id = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="The contact's id in `inbox_id` (its contact inbox's source id).",
    )
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    identifier = serializers.CharField(max_length=255, required=False, allow_blank=True)
    custom_attributes = serializers.DictField(required=False, validators=[json_validator])
    additional_attributes = serializers.DictField(required=False, validators=[json_validator])


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_type = serializers.CharField()
    data_url = serializers.SerializerMethodField()
    file_size = serializers.IntegerField()
    file_name = serializers.CharField()

    def get_data_url(self, obj) -> str:
        return attachment_url(obj)


class MessageSerializer(serializers.ModelSerializer):
    """Chatwoot's `message` (`message_type` as its integer code, like Chatwoot's REST API)."""

    conversation_id = serializers.SerializerMethodField()
    message_type = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()
    sender_type = serializers.SerializerMethodField()
    sender_id = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    conversation = serializers.SerializerMethodField()
    # Chatwoot's columns that Nexloo has nothing for: sent empty, as Chatwoot sends them then.
    additional_attributes = serializers.SerializerMethodField()
    external_source_ids = serializers.SerializerMethodField()
    sentiment = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "content",
            "account_id",
            "inbox_id",
            "conversation_id",
            "message_type",
            "content_type",
            "content_attributes",
            "private",
            "status",
            "source_id",
            "external_error",
            "external_error_code",
            "created_at",
            "updated_at",
            "sender_type",
            "sender_id",
            "sender",
            "attachments",
            "conversation",
            "additional_attributes",
            "external_source_ids",
            "sentiment",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["sender"] is None:
            del data["sender"]  # Chatwoot's jbuilder writes no sender when there is none
        if not self.context.get("with_conversation", True):
            del data["conversation"]
        return data

    def get_additional_attributes(self, obj) -> dict:
        return {}

    def get_external_source_ids(self, obj) -> dict:
        return {}

    def get_sentiment(self, obj) -> dict:
        return {}

    def get_conversation_id(self, obj) -> int:
        display_id = self.context.get("display_id")
        return display_id if display_id is not None else obj.conversation.display_id

    def get_message_type(self, obj) -> int:
        return MESSAGE_TYPE_CODES[obj.message_type]

    def get_created_at(self, obj) -> int | None:
        return ts(obj.created_at)

    def get_updated_at(self, obj) -> int | None:
        return ts(obj.updated_at)

    def get_sender_type(self, obj) -> str | None:
        # Chatwoot's activity lines and automation messages have no sender at all.
        if self._sender(obj) is None:
            return None
        return SENDER_TYPES.get(obj.sender_type, obj.sender_type)

    def get_sender_id(self, obj) -> int | None:
        sender = self._sender(obj)
        return sender["id"] if sender else None

    def _sender(self, obj) -> dict | None:
        if obj.sender_type == "user" and obj.sender_user_id:
            return {"id": obj.sender_user_id, "name": obj.sender_name, "type": "user"}
        if obj.sender_type == "contact" and obj.sender_contact_id:
            return {"id": obj.sender_contact_id, "name": obj.sender_name, "type": "contact"}
        return None

    def get_sender(self, obj) -> dict | None:
        return self._sender(obj)

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "assignee_id": {"type": "integer", "nullable": True},
                "unread_count": {"type": "integer"},
                "last_activity_at": {"type": "integer"},
                "contact_inbox": {"type": "object"},
            },
        }
    )
    def get_conversation(self, obj) -> dict:
        """Chatwoot's `conversation` block of a message. `context["conversation"]` is the
        conversation when the caller has it; its unread count is `context["unread_count"]`, or
        the conversation's own (`selectors.conversation_get` and `with_list_data` annotate it):
        never a made-up 0."""
        conversation = self.context.get("conversation") or obj.conversation
        unread = self.context.get("unread_count")
        return {
            "assignee_id": conversation.assignee.user_id if conversation.assignee_id else None,
            "unread_count": conversation.unread_count if unread is None else unread,
            "last_activity_at": ts(conversation.last_activity_at),
            "contact_inbox": {"source_id": conversation.contact_inbox.source_id},
        }


class MessageListMetaSerializer(serializers.Serializer):
    """The `meta` of a conversation's message list, as Chatwoot's server sends it
    (messages/index.json.jbuilder), with the description's `assignee_last_seen_at`: Nexloo
    keeps one "seen by the agents" time, which both carry (as the conversation's do)."""

    labels = serializers.SerializerMethodField()
    additional_attributes = serializers.JSONField()
    contact = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    agent_last_seen_at = serializers.SerializerMethodField()
    assignee_last_seen_at = serializers.SerializerMethodField()

    def get_labels(self, obj) -> list[str]:
        return [label.title for label in obj.labels.all()]

    @extend_schema_field(ContactSerializer)
    def get_contact(self, obj) -> dict:
        return ContactSerializer().to_representation(obj.contact)

    @extend_schema_field(AssigneeSerializer(allow_null=True))
    def get_assignee(self, obj) -> dict | None:
        return assignee_payload(obj.assignee)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_agent_last_seen_at(self, obj) -> str | None:
        return obj.agent_last_seen_at.isoformat() if obj.agent_last_seen_at else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_assignee_last_seen_at(self, obj) -> str | None:
        return self.get_agent_last_seen_at(obj)


class ConversationSerializer(DirectRepresentation, serializers.ModelSerializer):
    """Chatwoot's `conversation` with `meta` (sender, assignee, team) and the list extras
    (`unread_count`, `last_non_activity_message`)."""

    id = serializers.IntegerField(source="display_id")
    uuid = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()
    meta = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField()
    timestamp = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()
    last_activity_at = serializers.SerializerMethodField()
    waiting_since = serializers.SerializerMethodField()
    agent_last_seen_at = serializers.SerializerMethodField()
    assignee_last_seen_at = serializers.SerializerMethodField()
    contact_last_seen_at = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()
    first_reply_created_at = serializers.SerializerMethodField()
    snoozed_until = serializers.SerializerMethodField()
    unread_count = serializers.SerializerMethodField()
    last_non_activity_message = serializers.SerializerMethodField()
    assignee_id = serializers.SerializerMethodField()
    can_reply = serializers.SerializerMethodField()
    muted = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "uuid",
            "account_id",
            "inbox_id",
            "status",
            "priority",
            "labels",
            "meta",
            "assignee_id",
            "team_id",
            "timestamp",
            "created_at",
            "updated_at",
            "last_activity_at",
            "waiting_since",
            "agent_last_seen_at",
            "assignee_last_seen_at",
            "contact_last_seen_at",
            "messages",
            "first_reply_created_at",
            "snoozed_until",
            "unread_count",
            "last_non_activity_message",
            "can_reply",
            "muted",
            "additional_attributes",
            "custom_attributes",
        ]

    def get_uuid(self, obj) -> str:
        return str(obj.uuid)

    def get_priority(self, obj) -> str | None:
        return obj.priority or None  # Chatwoot: null when there is none

    def get_meta(self, obj) -> dict:
        return {
            "sender": ContactSerializer().to_representation(obj.contact),
            "channel": obj.inbox.channel_type,
            "assignee": assignee_payload(obj.assignee),
            "team": {"id": obj.team.pk, "name": obj.team.name} if obj.team_id else None,
            "hmac_verified": False,
        }

    def get_labels(self, obj) -> list[str]:
        return [label.title for label in obj.labels.all()]

    def get_timestamp(self, obj) -> int | None:
        return ts(obj.last_activity_at)

    def get_created_at(self, obj) -> int | None:
        return ts(obj.created_at)

    def get_updated_at(self, obj) -> int | None:
        return ts(obj.updated_at)

    def get_last_activity_at(self, obj) -> int | None:
        return ts(obj.last_activity_at)

    def get_waiting_since(self, obj) -> int:
        return ts(obj.waiting_since) or 0

    def get_agent_last_seen_at(self, obj) -> int:
        return ts(obj.agent_last_seen_at) or 0

    def get_assignee_last_seen_at(self, obj) -> int:
        return ts(obj.agent_last_seen_at) or 0

    def get_contact_last_seen_at(self, obj) -> int:
        return ts(obj.contact_last_seen_at) or 0

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_messages(self, obj) -> list[dict]:
        """Chatwoot embeds the conversation's last message (`selectors.attach_last_messages`
        fetched it for a whole page at once)."""
        if not hasattr(obj, "last_messages"):
            conversation_selectors.attach_last_messages([obj])
        return MessageSerializer(
            obj.last_messages,
            many=True,
            context={
                "display_id": obj.display_id,
                "conversation": obj,
                "unread_count": getattr(obj, "unread_count", 0),
            },
        ).data

    def get_first_reply_created_at(self, obj) -> int:
        return ts(obj.first_reply_at) or 0

    def get_snoozed_until(self, obj) -> int | None:
        return ts(obj.snoozed_until)

    def get_unread_count(self, obj) -> int:
        return getattr(obj, "unread_count", 0)

    @extend_schema_field({"type": "object", "nullable": True})
    def get_last_non_activity_message(self, obj) -> dict | None:
        """The last message written (not an activity line, not a private note), in full when
        `attach_last_messages` fetched it; else its content and type from the list query."""
        if not hasattr(obj, "last_messages"):
            conversation_selectors.attach_last_messages([obj])
        message = getattr(obj, "last_chat_message", None)
        if message is not None:
            return MessageSerializer(
                message,
                context={
                    "display_id": obj.display_id,
                    "conversation": obj,
                    "unread_count": getattr(obj, "unread_count", 0),
                },
            ).data
        content = getattr(obj, "last_message_content", None)
        if content is None:
            return None
        return {
            "content": content,
            "message_type": MESSAGE_TYPE_CODES.get(obj.last_message_type, 0),
        }

    def get_assignee_id(self, obj) -> int | None:
        return obj.assignee.user_id if obj.assignee_id else None

    def get_can_reply(self, obj) -> bool:
        """Chatwoot's: whether free text may be sent now (WhatsApp: within 24 hours of the
        contact's last message; otherwise only a template)."""
        return delivery.can_reply(obj)

    def get_muted(self, obj) -> bool:
        return obj.is_muted()


class ConversationCreateSerializer(serializers.Serializer):
    source_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    inbox_id = serializers.IntegerField()
    contact_id = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(
        choices=[Status.OPEN, Status.PENDING], required=False, default=Status.OPEN
    )
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    message = serializers.DictField(required=False, validators=[json_validator])
    additional_attributes = serializers.DictField(required=False, validators=[json_validator])
    custom_attributes = serializers.DictField(required=False, validators=[json_validator])

    def validate(self, attrs):
        if not attrs.get("contact_id") and not attrs.get("source_id"):
            raise serializers.ValidationError({"contact_id": ["Give contact_id or source_id."]})
        return attrs


class ToggleStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*Status.values, "toggle"], required=False)
    snoozed_until = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_TIMESTAMP,
        help_text="Unix seconds (until 9999-12-31)",
    )


class TogglePrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=[*Priority.values, "none"], allow_null=True)

    def validate_priority(self, value):
        return None if value == "none" else value  # Chatwoot's "none" clears it


class AssignmentSerializer(serializers.Serializer):
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Nexloo: a private note"
    )


class LabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=True)


class FileListField(serializers.ListField):
    """Files of a multipart form, sent as `attachments[]` (how Chatwoot's clients send them) or
    as repeated `attachments`."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary):
            files = dictionary.getlist(f"{self.field_name}[]")
            if files:
                return files
        return super().get_value(dictionary)


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    message_type = serializers.ChoiceField(
        choices=["outgoing", "incoming"], required=False, default="outgoing"
    )
    private = serializers.BooleanField(required=False, default=False)
    content_type = serializers.CharField(required=False, default="text", max_length=32)
    content_attributes = serializers.DictField(required=False, validators=[json_validator])
    source_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
    attachments = FileListField(child=serializers.FileField(), required=False)
    template_params = serializers.DictField(
        required=False,
        validators=[json_validator],
        help_text="Chatwoot's: an approved WhatsApp template, {name, language, category, "
        "processed_params: {'1': 'value', …}}. The only kind of message a WhatsApp inbox may "
        "send more than 24 hours after the contact's last message.",
    )


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "account_id", "short_code", "content", "created_at", "updated_at"]
        read_only_fields = ["id", "account_id", "created_at", "updated_at"]
