"""Forms of Configurações → Caixas de Entrada."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import AgentsField, timezone_choices
from accounts.models import Account
from inboxes.business_hours import Interval, format_hhmm, parse_hhmm
from inboxes.extensions import creatable_channels
from inboxes.models import WEEKDAYS, AssignmentPolicy, ChannelType, Inbox
from inboxes.schedule import CLOSED, OPEN_ALL_DAY, DayHours
from nexloo.core.timefields import TimeOfDayField, TimeOfDayInput, normalize_time_of_day
from nexloo.core.validators import validate_single_line

DAY_MODES = [
    ("intervals", _("Open between")),
    (OPEN_ALL_DAY, _("Open all day")),
    (CLOSED, _("Closed all day")),
]
INTERVALS_PER_DAY = 3


class InboxCreateForm(forms.Form):
    name = forms.CharField(label=_("Inbox name"), max_length=255, validators=[validate_single_line])
    channel_type = forms.ChoiceField(label=_("Channel"), choices=ChannelType.choices)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].initial = account.timezone
        self.fields["channel_type"].choices = [
            (value, label) for value, label in ChannelType.choices if value in creatable_channels
        ]


class InboxSettingsForm(forms.Form):
    name = forms.CharField(label=_("Inbox name"), max_length=255, validators=[validate_single_line])
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    enable_auto_assignment = forms.BooleanField(
        label=_("Assign new conversations automatically to the inbox's agents"), required=False
    )
    assignment_policy = forms.ChoiceField(
        label=_("How to choose the agent"), choices=AssignmentPolicy.choices
    )
    max_assignment_limit = forms.IntegerField(
        label=_("Maximum open conversations per agent"),
        min_value=1,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    fixed_contact_assignment = forms.BooleanField(
        label=_("Returning contacts go back to the agent who last served them"), required=False
    )
    greeting_enabled = forms.BooleanField(
        label=_("Send a greeting on a new conversation"), required=False
    )
    greeting_message = forms.CharField(
        label=_("Greeting message"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    out_of_office_message = forms.CharField(
        label=_("Out-of-office message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Sent once per closed period to customers who write outside business hours."),
    )

    @classmethod
    def for_inbox(cls, inbox: Inbox, data=None) -> InboxSettingsForm:
        initial = {name: getattr(inbox, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class MembersForm(forms.Form):
    members = AgentsField(label=_("Collaborators"))

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].limit_to(account)


class BusinessHoursForm(forms.Form):
    """Seven days, each closed, open all day, or open in up to three intervals."""

    working_hours_enabled = forms.BooleanField(
        label=_("Enable business hours"),
        required=False,
        help_text=_("Outside these hours customers receive the out-of-office message."),
    )

    def __init__(self, *args, days: dict[int, DayHours] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        days = days or {}
        self.day_rows = []
        for dow, label in WEEKDAYS:
            day = days.get(dow, DayHours(mode=CLOSED))
            self.fields[f"day_{dow}_mode"] = forms.ChoiceField(
                label=label, choices=DAY_MODES, initial=day.mode
            )
            pairs = []
            for n in range(INTERVALS_PER_DAY):
                current = day.intervals[n] if n < len(day.intervals) else None
                # Text, not <input type="time">: 24-hour HH:MM whatever the browser's locale.
                # Read in clean(), where a wrong time is reported on the day's row.
                start = forms.CharField(
                    label=_("Opens at"),
                    required=False,
                    initial=format_hhmm(current.start) if current else "",
                    widget=TimeOfDayInput(),
                )
                end = forms.CharField(
                    label=_("Closes at"),
                    required=False,
                    initial=format_hhmm(current.end) if current else "",
                    widget=TimeOfDayInput(),
                )
                self.fields[f"day_{dow}_start_{n}"] = start
                self.fields[f"day_{dow}_end_{n}"] = end
                pairs.append((f"day_{dow}_start_{n}", f"day_{dow}_end_{n}"))
            self.day_rows.append((dow, f"day_{dow}_mode", pairs))

    def rows(self):
        """One dict per day for the template: `dow`, `mode` (bound field), `first` (the first
        interval's (start, end) bound fields), `more` (the others) and `more_filled` (whether one
        of the others has a value, so that the page shows them unfolded)."""
        for dow, mode_name, pairs in self.day_rows:
            bound = [(self[s], self[e]) for s, e in pairs]
            yield {
                "dow": dow,
                "mode": self[mode_name],
                "first": bound[0],
                "more": bound[1:],
                "more_filled": any(s.value() or e.value() for s, e in bound[1:]),
            }

    def clean(self):
        cleaned = super().clean()
        self.weekly: dict[int, DayHours] = {}
        for dow, mode_name, pairs in self.day_rows:
            mode = cleaned.get(mode_name)
            if mode != "intervals":
                self.weekly[dow] = DayHours(mode=mode or CLOSED)
                continue
            intervals = []
            for start_name, end_name in pairs:
                start, end = (
                    (cleaned.get(start_name) or "").strip(),
                    (cleaned.get(end_name) or "").strip(),
                )
                if not start and not end:
                    continue
                if not start or not end:
                    self.add_error(mode_name, _("Fill in both the opening and the closing time."))
                    continue
                try:
                    start = normalize_time_of_day(start)
                    end = normalize_time_of_day(end, end_of_day=True)
                    # "00:00" as a closing time means midnight at the end of the day.
                    closing = parse_hhmm(end) or 1440
                    intervals.append(Interval(parse_hhmm(start), closing))
                except ValidationError as exc:
                    self.add_error(mode_name, exc)
            self.weekly[dow] = DayHours(mode="intervals", intervals=tuple(intervals))
        return cleaned


class ExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    mode = forms.ChoiceField(label=_("On this date"), choices=DAY_MODES, initial=CLOSED)
    start = TimeOfDayField(label=_("Opens at"), required=False)
    end = TimeOfDayField(label=_("Closes at"), required=False, end_of_day=True)
    note = forms.CharField(label=_("Description"), max_length=255, required=False)

    def day(self) -> DayHours:
        mode = self.cleaned_data["mode"]
        if mode != "intervals":
            return DayHours(mode=mode)
        start, end = self.cleaned_data.get("start") or "", self.cleaned_data.get("end") or ""
        if not start or not end:
            raise ValidationError({"start": _("Fill in both the opening and the closing time.")})
        return DayHours(
            mode="intervals", intervals=(Interval(parse_hhmm(start), parse_hhmm(end) or 1440),)
        )
