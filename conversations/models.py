"""Contacts, conversations and messages.

Integrity lives in the database, not in hopes: one unresolved conversation per contact and inbox
(a partial unique index), provider message ids unique per inbox (so a webhook delivered twice
stores one message), per-account display ids handed out under a row lock, and a delivery status
that only moves forward (conditional updates, see services.message_status_update).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel


class Contact(TenantModel):
    name = models.CharField(_("name"), max_length=255, blank=True, default="")
    phone_number = models.CharField(_("phone"), max_length=32, blank=True, default="")  # E.164
    email = models.EmailField(_("e-mail"), blank=True, default="")
    identifier = models.CharField(max_length=255, blank=True, default="")
    custom_attributes = models.JSONField(default=dict, blank=True)
    additional_attributes = models.JSONField(default=dict, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "phone_number"],
                condition=~Q(phone_number=""),
                name="contact_phone_unique",
            ),
            models.UniqueConstraint(
                "account", Lower("email"), condition=~Q(email=""), name="contact_email_unique"
            ),
            models.UniqueConstraint(
                fields=["account", "identifier"],
                condition=~Q(identifier=""),
                name="contact_identifier_unique",
            ),
        ]
        indexes = [models.Index(fields=["account", "name"])]

    def __str__(self) -> str:
        return self.name or self.phone_number or self.email or f"#{self.pk}"

    @property
    def display_name(self) -> str:
        return str(self)


class ContactInbox(TenantModel):
    """A contact as an inbox's channel knows them (`source_id`: the WhatsApp wa_id, …)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="contact_inboxes")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    source_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "source_id"], name="contact_inbox_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}@{self.inbox_id}:{self.source_id}"


class ConversationSequence(models.Model):
    """The last display id given in an account (Chatwoot's per-account conversation numbers)."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, primary_key=True)
    last_display_id = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.last_display_id}"


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    SNOOZED = "snoozed", _("Snoozed")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Label(TenantModel):
    title = models.CharField(_("title"), max_length=64)
    description = models.CharField(_("description"), max_length=255, blank=True, default="")
    color = models.CharField(_("color"), max_length=16, default="#1f93ff")
    show_on_sidebar = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint("account", Lower("title"), name="label_title_ci_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Conversation(TenantModel):
    display_id = models.PositiveIntegerField()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # Chatwoot's
    inbox = models.ForeignKey(
        "inboxes.Inbox", on_delete=models.CASCADE, related_name="conversations"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    contact_inbox = models.ForeignKey(
        ContactInbox, on_delete=models.CASCADE, related_name="conversations"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Muted (Chatwoot's mute): resolved, and the contact's messages until then are kept in it
    # without reopening it, greeting them or queueing it for anyone.
    muted_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        "accounts.AccountUser",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # removing an agent unassigns their conversations
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True, default="")
    labels = models.ManyToManyField(
        Label, through="ConversationLabel", related_name="conversations"
    )
    last_activity_at = models.DateTimeField(default=now)
    # Since when the customer waits for an answer (None once an agent replied).
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    # When the contact last wrote (the provider's time): channels with a reply window (WhatsApp's
    # 24 hours) allow free text only until this plus the window.
    last_incoming_at = models.DateTimeField(null=True, blank=True)
    agent_last_seen_at = models.DateTimeField(null=True, blank=True)
    contact_last_seen_at = models.DateTimeField(null=True, blank=True)
    # The closed period (identified by when the inbox reopens) whose out-of-office reply was sent.
    out_of_office_sent_for = models.DateTimeField(null=True, blank=True)
    # When the intake (automation rules, then the inbox's own auto-assignment) ran. Until then
    # the conversation waits in no queue: no round robin may take it before the rules decide.
    intake_done_at = models.DateTimeField(null=True, blank=True)
    # When the current assignee got it (time-based rules: "no reply N minutes after assignment").
    assigned_at = models.DateTimeField(null=True, blank=True)
    # While unassigned: the automation rule whose action (or what it set off) last left it so
    # (unassigned, opened, routed), or None when a person, a contact or the system did. Whichever
    # queue drain assigns it later credits that rule as the cause, so rules do not trigger on
    # it (no loops). Cleared when it is assigned. A plain id: the conversations app sits below
    # automations, and a deleted rule's id only keeps marking the assignment as rule-caused.
    queue_cause_rule_id = models.BigIntegerField(null=True, blank=True)
    additional_attributes = models.JSONField(default=dict, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    def is_muted(self, at: datetime | None = None) -> bool:
        return self.muted_until is not None and self.muted_until > (at or now())

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "display_id"], name="conversation_display_id_unique"
            ),
            # One unresolved conversation per contact and inbox: a second webhook for a new
            # contact finds the first one's conversation instead of opening another.
            models.UniqueConstraint(
                fields=["contact_inbox"],
                condition=~Q(status="resolved"),
                name="conversation_one_unresolved_per_contact_inbox",
            ),
        ]
        indexes = [
            # INCLUDE (PostgreSQL): the list's counts (mine/unassigned/…) read the index only.
            models.Index(
                fields=["account", "status", "-last_activity_at", "-id"],
                name="conv_account_status",
                include=["assignee"],
            ),
            models.Index(
                fields=["account", "-last_activity_at", "-id"], name="conv_account_recent"
            ),
            models.Index(
                fields=["account", "assignee", "status", "-last_activity_at", "-id"],
                name="conv_assignee",
            ),
            models.Index(
                fields=["account", "inbox", "status", "-last_activity_at", "-id"], name="conv_inbox"
            ),
            models.Index(
                fields=["account", "team", "status", "-last_activity_at", "-id"], name="conv_team"
            ),
            models.Index(fields=["inbox", "assignee", "status"], name="conv_capacity"),
            models.Index(fields=["status", "snoozed_until"], name="conv_snoozed"),
            # Intake that has not run, for the sweep: few rows.
            models.Index(
                fields=["created_at"],
                condition=Q(intake_done_at__isnull=True),
                name="conv_intake_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.display_id}"


class ConversationLabel(TenantModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE)
    label = models.ForeignKey(Label, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "label"], name="conversation_label_unique"
            )
        ]


class ContactLabel(TenantModel):
    """A label on a contact (Chatwoot's contact labels, `…/contacts/{id}/labels`)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="contact_labels")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "label"], name="contact_label_unique")
        ]


class MessageType(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    ACTIVITY = "activity", _("Activity")
    TEMPLATE = "template", _("Template")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


# A status may only be replaced by a later one; "failed" replaces queued or sent only.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}


class SenderType(models.TextChoices):
    CONTACT = "contact", _("Contact")
    USER = "user", _("Agent")
    AUTOMATION = "automation_rule", _("Automation")
    SYSTEM = "system", _("System")


class Message(TenantModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    message_type = models.CharField(max_length=16, choices=MessageType.choices)
    private = models.BooleanField(default=False)  # a private note: never sent to the contact
    content = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=32, default="text")
    content_attributes = models.JSONField(default=dict, blank=True)
    source_id = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT
    )
    external_error = models.TextField(blank=True, default="")
    external_error_code = models.CharField(max_length=32, blank=True, default="")  # provider's
    # Set by the delivery task before it calls the provider, so that a redelivered task does not
    # send the same reply twice (see services.message_claim_delivery).
    delivery_claimed_at = models.DateTimeField(null=True, blank=True)
    sender_type = models.CharField(max_length=16, choices=SenderType.choices)
    sender_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_rule_id = models.PositiveBigIntegerField(null=True, blank=True)
    sender_name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "source_id"],
                condition=Q(source_id__isnull=False),
                name="message_source_id_unique_per_inbox",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="msg_conversation"),
            # Replies waiting to leave, for the sweep (services.messages_requeue_stuck): few rows.
            models.Index(
                fields=["created_at"],
                condition=Q(status="queued", private=False),
                name="msg_queued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} #{self.pk}"


class EarlyStatus(TenantModel):
    """A provider's status report for a message id no message carries yet: the report overtook
    the send's answer (WhatsApp may post "delivered" before the API call that sent the message
    returns its id). Applied, in order, when a message takes that id; stale ones are dropped by
    the sweep."""

    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    source_id = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=32, blank=True, default="")
    # The provider's own words about a failure (code, title, details), kept on the message.
    error_detail = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "source_id", "status"], name="early_status_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}: {self.status}"


class Attachment(TenantModel):
    class FileType(models.TextChoices):
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")
        LOCATION = "location", _("Location")
        CONTACT = "contact", _("Contact card")
        STICKER = "sticker", _("Sticker")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file_type = models.CharField(max_length=16, choices=FileType.choices, default=FileType.FILE)
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=128, blank=True, default="")
    file_size = models.PositiveBigIntegerField(default=0)
    external_url = models.URLField(max_length=2000, blank=True, default="")
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # Received media still to be downloaded (a provider's media id, no file, no final
            # error), for the channel's periodic re-queue: few rows, whatever the table's size.
            models.Index(
                fields=["created_at"],
                condition=Q(file="", meta__has_key="media_id") & ~Q(meta__has_key="error"),
                name="attachment_media_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name or self.file_type


class CannedResponse(TenantModel):
    short_code = models.CharField(_("short code"), max_length=64)
    content = models.TextField(_("content"))
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["short_code"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("short_code"), name="canned_response_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.short_code


class ConversationTally(models.Model):
    """How many conversations each (account, status, inbox, team, assignee) holds, as rows of
    +1/-1 written by a PostgreSQL trigger on every change of those columns (migration
    0009_i12_conversation_tally), in the transaction of the change, whatever wrote it: the
    list's counts add these rows up instead of reading every matching conversation. Rows are
    only ever inserted by the trigger (no lock, no deadlock between two changes); compaction
    (services.conversation_tally_compact) folds an account's rows into one per cell.

    Plain ids, no foreign keys: a deleted inbox's conversations leave -1 rows that compaction
    removes. SQLite (the laptop's `make run`) has no trigger: there the counts are COUNTs.
    """

    id = models.BigAutoField(primary_key=True)
    account_id = models.BigIntegerField()
    status = models.CharField(max_length=16)
    inbox_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["account_id", "status", "inbox_id"],
                name="conv_tally_cell",
                include=["team_id", "assignee_id", "n"],
            ),
            # A team's count in the sidebar (selectors.with_link_counts).
            models.Index(
                fields=["account_id", "team_id", "status"],
                name="conv_tally_team",
                include=["inbox_id", "assignee_id", "n"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.status}/{self.inbox_id}: {self.n:+d}"


class ConversationLabelTally(models.Model):
    """How many conversations each (account, label, status, inbox, assignee) holds: the label
    counts, kept like ConversationTally (+1/-1 rows, only inserted, compacted by
    services.conversation_tally_compact), by the triggers of migration 0013_i12_label_tally.

    They need the conversation's labels and its cell in one row: the database keeps a copy of
    the conversation's label ids in `conversations_conversation.label_ids` (a column only the
    triggers write, so no model field — a `save()` could never write back a stale copy). Putting
    a label on or taking it off updates that row, under the row's lock, and the conversation's
    trigger writes the rows from OLD and NEW: exact whatever runs at the same time (a status
    change and a label change of one conversation wait for each other), like Chatwoot's
    `cached_label_list`. The team is not in the cell: a label with a team filter is counted
    like a search. SQLite has none of it: there label counts are COUNTs.
    """

    id = models.BigAutoField(primary_key=True)
    account_id = models.BigIntegerField()
    label_id = models.BigIntegerField()
    status = models.CharField(max_length=16)
    inbox_id = models.BigIntegerField()
    assignee_id = models.BigIntegerField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["account_id", "status", "label_id"],
                name="conv_label_tally_cell",
                include=["inbox_id", "assignee_id", "n"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.label_id}/{self.status}/{self.inbox_id}: {self.n:+d}"
