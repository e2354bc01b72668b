"""Forms of Configurações → Caixas de Entrada → WhatsApp."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import timezone_choices

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class ChannelFields(forms.Form):
    phone_number = forms.CharField(
        label=_("WhatsApp number"),
        max_length=32,
        help_text=_("With the country code, as registered at Meta, e.g. +55 11 98765-4321."),
    )
    phone_number_id = forms.CharField(
        label=_("Phone number ID"),
        max_length=64,
        help_text=_("Meta for Developers → WhatsApp → API Setup."),
    )
    business_account_id = forms.CharField(label=_("WhatsApp Business Account ID"), max_length=64)
    access_token = forms.CharField(
        label=_("Access token"),
        widget=SECRET,
        help_text=_(
            "A permanent token of a system user with the whatsapp_business_messaging permission."
        ),
    )
    app_secret = forms.CharField(
        label=_("App secret"),
        widget=SECRET,
        help_text=_(
            "Meta for Developers → App settings → Basic; used to check that deliveries come "
            "from Meta."
        ),
    )


class WhatsAppInboxForm(ChannelFields):
    name = forms.CharField(label=_("Inbox name"), max_length=255)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    field_order = [
        "name",
        "phone_number",
        "phone_number_id",
        "business_account_id",
        "access_token",
        "app_secret",
        "timezone",
    ]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].initial = account.timezone


class ChannelUpdateForm(ChannelFields):
    """Changing the number's settings: empty secrets keep the stored ones."""

    def __init__(self, *args, channel, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "phone_number": channel.phone_number,
                "phone_number_id": channel.phone_number_id,
                "business_account_id": channel.business_account_id,
            },
        )
        super().__init__(*args, **kwargs)
        for name, hint in (
            ("access_token", channel.access_token_hint),
            ("app_secret", channel.app_secret_hint),
        ):
            self.fields[name].required = False
            self.fields[name].help_text = _("Stored: %(hint)s. Leave empty to keep it.") % {
                "hint": hint
            }
