"""The account's country list: names in the active language, Brazil first, and no geocoding
data loaded for it (it cost every process ~100 MB)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.utils import translation

from accounts.countries import FIRST, country_choices, country_name, is_country


def test_names_follow_the_language():
    assert country_name("BR", "pt-br") == "Brasil"  # libphonenumber's "*ca" indirection
    assert country_name("DE", "pt-br") == "Alemanha"
    assert country_name("DE", "en") == "Germany"
    assert country_name("ZZ", "pt-br") == "ZZ"  # unknown: the code itself


def test_brazil_first_then_by_name_with_the_calling_code():
    with translation.override("pt-br"):
        choices = country_choices()
    assert choices[0] == (FIRST, "Brasil (+55)")
    names = [label for _code, label in choices[1:]]
    assert names == sorted(names, key=lambda label: label.rsplit(" (", 1)[0])
    assert ("PT", "Portugal (+351)") in choices
    assert is_country("PT") and not is_country("ZZ")


def test_the_app_does_not_load_the_geocoding_data():
    code = (
        "import django, sys; django.setup(); import nexloo.asgi, accounts.countries as c; "
        "c.country_choices(); print('phonenumbers.geodata' in sys.modules)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "nexloo.settings", "DATABASE_URL": "sqlite://:memory:"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
