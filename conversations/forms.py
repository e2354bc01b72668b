"""Forms of the agents' workspace (actions on a conversation) and of contacts / canned responses."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountUser
from conversations.models import Priority
from inboxes.models import Inbox
from inboxes.selectors import assignable_members
from nexloo.core.timefields import DateAndTimeField
from teams.models import Team


class ReplyForm(forms.Form):
    content = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    private = forms.BooleanField(label=_("Private note"), required=False)
    attachments = forms.FileField(label=_("Attach files"), required=False)

    def clean_content(self) -> str:
        return self.cleaned_data["content"].strip()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assigned agent"),
        queryset=AccountUser.objects.none(),
        required=False,
        empty_label=_("Nobody"),
    )

    def __init__(self, *args, membership: AccountUser, inbox: Inbox, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_members(membership=membership, inbox=inbox)
        self.fields["assignee"].label_from_instance = lambda m: m.available_name


class ForwardForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("Keep the current team"),
    )
    assignee = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=AccountUser.objects.none(),
        required=False,
        empty_label=_("Let the team's automatic assignment choose"),
    )
    note = forms.CharField(
        label=_("Private note for whoever receives it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args,
        membership: AccountUser,
        inbox: Inbox,
        team: Team | None = None,
        agents_url: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.for_account(inbox.account_id).order_by("name")
        agents = assignable_members(membership=membership, inbox=inbox)
        if team is not None:
            # The pick list follows the chosen team; the service still checks the pair (the
            # team may change between showing the list and submitting it).
            agents = agents.filter(team_memberships__team=team)
            self.initial["team"] = team.pk
        self.fields["assignee"].queryset = agents
        self.fields["assignee"].label_from_instance = lambda m: m.available_name
        if agents_url:
            self.fields["team"].widget.attrs.update(
                {
                    "hx-get": agents_url,
                    "hx-trigger": "change",
                    "hx-target": f"#{self['assignee'].auto_id}",
                    "hx-swap": "outerHTML",
                }
            )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("team") and not cleaned.get("assignee"):
            raise forms.ValidationError(_("Choose a team or an agent to forward to."))
        return cleaned


SNOOZE_CHOICES = [
    ("1h", _("For an hour")),
    ("tomorrow", _("Until tomorrow (9:00)")),
    ("next_week", _("Until next week (Monday 9:00)")),
    ("reply", _("Until the customer replies")),
    ("custom", _("Until…")),
]


class SnoozeForm(forms.Form):
    option = forms.ChoiceField(label=_("Snooze"), choices=SNOOZE_CHOICES)
    # A date and a 24-hour HH:MM field (a datetime-local input shows AM/PM in some browsers).
    until = DateAndTimeField(label=_("Date and time"), required=False)

    def snoozed_until(self, now: datetime | None = None) -> datetime | None:
        """The wake-up time in the active (account's) time zone; None = until the next reply."""
        now = timezone.localtime(now or timezone.now())
        option = self.cleaned_data["option"]
        nine = {"hour": 9, "minute": 0, "second": 0, "microsecond": 0}
        if option == "1h":
            return now + timedelta(hours=1)
        if option == "tomorrow":
            return (now + timedelta(days=1)).replace(**nine)
        if option == "next_week":
            return (now + timedelta(days=7 - now.weekday())).replace(**nine)
        if option == "custom":
            until = self.cleaned_data.get("until")
            if until is None:
                raise forms.ValidationError(
                    {"until": _("Choose when the conversation comes back.")}
                )
            return until
        return None


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("None")), *Priority.choices], required=False
    )


class LabelsForm(forms.Form):
    labels = forms.MultipleChoiceField(
        label=_("Labels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_label = forms.CharField(label=_("New label"), required=False, max_length=64)

    def __init__(self, *args, titles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["labels"].choices = [(t, t) for t in titles]

    def titles(self) -> list[str]:
        titles = list(self.cleaned_data["labels"])
        if self.cleaned_data.get("new_label", "").strip():
            titles.append(self.cleaned_data["new_label"])
        return titles


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    phone_number = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_(
            "With the area code, e.g. (11) 98765-4321; another country's number with + and its "
            "code."
        ),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    identifier = forms.CharField(label=_("Identifier"), max_length=255, required=False)


class CannedResponseForm(forms.Form):
    short_code = forms.CharField(
        label=_("Short code"),
        max_length=64,
        help_text=_("Type /short code in the message box to use it."),
    )
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 4}))
