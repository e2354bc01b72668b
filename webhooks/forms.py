from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import SUBSCRIPTIONS

EVENT_LABELS = {
    "conversation_created": _("Conversation created"),
    "conversation_status_changed": _("Conversation status changed"),
    "conversation_updated": _("Conversation updated"),
    "message_created": _("Message created"),
    "message_updated": _("Message updated"),
    "contact_created": _("Contact created"),
    "contact_updated": _("Contact updated"),
}


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("Webhook URL"), max_length=2000)
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    subscriptions = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(s, EVENT_LABELS[s]) for s in SUBSCRIPTIONS],
        widget=forms.CheckboxSelectMultiple,
    )


class InboxWebhookForm(forms.Form):
    """The API channel's webhook_url (empty: the inbox posts nowhere)."""

    url = forms.CharField(
        label=_("Webhook URL"),
        max_length=2000,
        required=False,
        help_text=_("Every event of this inbox is posted here. Leave it empty to post nowhere."),
    )
