"""The time zone field (issue 7, section 8): Brazil's zones first with readable names, then the
rest by region; no "Factory", "localtime" or backward-compatible aliases; the same field on the
account's and the inbox's settings."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.forms import AccountSettingsForm
from accounts.timezones import timezone_choices
from inboxes.forms import InboxSettingsForm
from tests.factories import InboxFactory


def flat(choices) -> dict[str, str]:
    return {value: str(label) for _group, options in choices for value, label in options}


def test_brazil_first_with_readable_names_then_regions():
    with translation.override("pt-br"):
        choices = timezone_choices()
        groups = [str(group) for group, _options in choices]
    assert groups[:2] == ["Brasil", "Universal"]
    assert "Américas" in groups and "Europa" in groups
    brazil = choices[0][1]
    assert brazil[0] == ("America/Sao_Paulo", "Brasília (America/Sao_Paulo)")
    assert ("America/Manaus", "Manaus (America/Manaus)") in brazil
    assert len(brazil) == 16
    options = flat(choices)
    assert options["America/Argentina/Buenos_Aires"] == (
        "Argentina / Buenos Aires (America/Argentina/Buenos_Aires)"
    )
    assert "Europe/Lisbon" in options and "UTC" in options
    for unwanted in ("Factory", "localtime", "US/Eastern", "America/Buenos_Aires", "Etc/GMT+3"):
        assert unwanted not in options
    assert list(options).count("America/Sao_Paulo") == 1  # not again under the Americas


def test_the_forms_accept_an_offered_zone_and_refuse_an_alias():
    form = AccountSettingsForm(
        data={"name": "Cenário 4", "locale": "pt-br", "timezone": "America/Recife"}
    )
    assert form.is_valid(), form.errors
    form = AccountSettingsForm(data={"name": "Cenário 4", "locale": "pt-br", "timezone": "Factory"})
    assert "timezone" in form.errors


def test_the_inbox_form_uses_the_same_field():
    assert InboxSettingsForm.base_fields["timezone"].choices == timezone_choices()


@pytest.mark.django_db
def test_the_settings_pages_show_the_groups(login, account, admin):
    client = login(admin)
    html = client.get(reverse("settings_account", args=[account.pk])).content.decode()
    assert '<optgroup label="Brasil">' in html
    assert "Brasília (America/Sao_Paulo)" in html
    inbox = InboxFactory(account=account)
    html = client.get(reverse("inboxes:settings", args=[account.pk, inbox.pk])).content.decode()
    assert '<optgroup label="Brasil">' in html
