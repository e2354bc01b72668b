"""Automation rules (Configurações → Automação) and the log of their runs.

A rule listens to one event, checks its conditions (`automations.conditions`) and does its
actions (`automations.actions`). Every evaluation is recorded as an `AutomationRun`, under a key
unique per (rule, conversation, triggering change): a task delivered twice finds its run and
does nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel


class RuleEvent(models.TextChoices):
    CONVERSATION_CREATED = "conversation_created", _("Conversation Created")
    CONVERSATION_UPDATED = "conversation_updated", _("Conversation Updated")
    CONVERSATION_OPENED = "conversation_opened", _("Conversation Opened")
    CONVERSATION_RESOLVED = "conversation_resolved", _("Conversation Resolved")
    MESSAGE_CREATED = "message_created", _("Message Created")
    # Time-based (ours; Chatwoot users have asked for them for years): run by beat.
    CONVERSATION_WAITING = "conversation_waiting", _("Waiting for an agent's reply")
    ASSIGNEE_NO_REPLY = "assignee_no_reply", _("No reply after assignment")


TIME_EVENTS = frozenset({RuleEvent.CONVERSATION_WAITING, RuleEvent.ASSIGNEE_NO_REPLY})
# Consecutive failed runs after which a rule is switched off and the administrators are told.
MAX_CONSECUTIVE_ERRORS = 5


class AutomationRule(TenantModel):
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    event_name = models.CharField(_("event"), max_length=32, choices=RuleEvent.choices)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    active = models.BooleanField(_("active"), default=True)
    # Time-based events: how long the conversation has waited.
    delay_minutes = models.PositiveIntegerField(null=True, blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    # Set when the rule was switched off by its errors (the Automação page shows a banner).
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True, default="")
    # Signs the rule's webhook posts (X-Chatwoot-Signature).
    webhook_secret = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["account", "active", "event_name"], name="rule_active")]

    def __str__(self) -> str:
        return self.name


class AutomationRun(TenantModel):
    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    event_name = models.CharField(max_length=32)
    # The triggering change: "conversation_created", "message:<id>", "event:<uuid>",
    # "waiting:<since>"... A rule runs at most once per key and conversation.
    dedupe_key = models.CharField(max_length=120)
    matched = models.BooleanField(default=False)
    actions_done = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "conversation", "dedupe_key"], name="automation_run_once"
            )
        ]
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="run_rule_recent"),
            models.Index(fields=["rule"], condition=~models.Q(error=""), name="run_rule_errors"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.conversation_id}:{self.dedupe_key}"
