"""Inboxes: the channel entry points of an account, who works in them, and when they are open.

Business hours are stored as rules on the inbox's local wall clock: weekly rules (one per open
interval of a weekday, or a whole-day marker) and dated exceptions (holidays, special hours) that
replace the weekly rules of their date. Minutes since midnight keep the arithmetic exact; an
interval may end at 1440 (midnight of the next day).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from nexloo.core.tenancy import TenantModel

# Days of the week as Chatwoot and the schedule rules count them: 0 = Sunday … 6 = Saturday.
WEEKDAYS = [
    (0, _("Sunday")),
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
]


class ChannelType(models.TextChoices):
    API = "api", _("API")
    WHATSAPP_CLOUD = "whatsapp_cloud", _("WhatsApp (Cloud API)")


class AssignmentPolicy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin (whoever was assigned least recently)")
    LEAST_LOADED = "least_loaded", _("Least loaded (fewest open conversations)")


class Inbox(TenantModel):
    name = models.CharField(_("name"), max_length=255)
    channel_type = models.CharField(
        _("channel"), max_length=32, choices=ChannelType.choices, default=ChannelType.API
    )
    avatar = models.FileField(_("avatar"), upload_to="inbox-avatars/", blank=True)
    enable_auto_assignment = models.BooleanField(_("automatic assignment"), default=True)
    assignment_policy = models.CharField(
        _("assignment policy"),
        max_length=16,
        choices=AssignmentPolicy.choices,
        default=AssignmentPolicy.ROUND_ROBIN,
    )
    max_assignment_limit = models.PositiveIntegerField(
        _("maximum open conversations per agent"), null=True, blank=True
    )
    fixed_contact_assignment = models.BooleanField(
        _("returning contacts go back to their last agent"), default=False
    )
    greeting_enabled = models.BooleanField(_("greeting enabled"), default=False)
    greeting_message = models.TextField(_("greeting message"), blank=True, default="")
    out_of_office_message = models.TextField(_("out-of-office message"), blank=True, default="")
    working_hours_enabled = models.BooleanField(_("business hours enabled"), default=False)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class InboxMember(TenantModel):
    """An agent who works in an inbox. Goes away with the agent's membership in the account."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="members")
    account_user = models.ForeignKey(
        "accounts.AccountUser", on_delete=models.CASCADE, related_name="inbox_memberships"
    )
    # Round robin: whoever was assigned least recently in this inbox goes next. A counter, not a
    # timestamp, so that two picks in the same instant (or under a frozen test clock) still rotate.
    last_assigned_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "account_user"], name="inbox_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_user_id} in {self.inbox_id}"


class ScheduleRule(TenantModel):
    """One piece of an inbox's business hours.

    Weekly rules have `day_of_week` (0 = Sunday … 6 = Saturday, as Chatwoot counts); exceptions
    have `date`. `kind` is an open interval [start_minute, end_minute), a whole day open, or a
    whole day closed. A date with any exception ignores that weekday's weekly rules.
    """

    class Kind(models.TextChoices):
        INTERVAL = "interval", _("Open between")
        OPEN_ALL_DAY = "open_all_day", _("Open all day")
        CLOSED_ALL_DAY = "closed_all_day", _("Closed all day")

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="schedule_rules")
    day_of_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(6)]
    )
    date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INTERVAL)
    start_minute = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(1439)]
    )
    end_minute = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["date", "day_of_week", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(day_of_week__isnull=False, date__isnull=True)
                    | models.Q(day_of_week__isnull=True, date__isnull=False)
                ),
                name="schedule_rule_weekly_or_dated",
            ),
            models.CheckConstraint(
                condition=(
                    ~models.Q(kind="interval")
                    | models.Q(start_minute__isnull=False, end_minute__isnull=False)
                ),
                name="schedule_rule_interval_has_bounds",
            ),
        ]
        indexes = [models.Index(fields=["inbox", "date"])]

    def __str__(self) -> str:
        when = self.date.isoformat() if self.date else f"weekday {self.day_of_week}"
        return f"{when}: {self.kind} {self.start_minute}-{self.end_minute}"
