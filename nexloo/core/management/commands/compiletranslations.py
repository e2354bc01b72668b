"""Compiles every .po catalogue of the project into .mo, in Python (polib).

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh machine may not have; the
catalogues are small, so `make run` and `make test` compile them with this command instead.
"""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def locale_dirs() -> list[Path]:
    """The folders Django reads translations from that belong to this project: LOCALE_PATHS and
    the `locale/` of every installed app under BASE_DIR (a new app is found on its own). Anything
    under a hidden folder (`.venv`) is a third party's."""
    base = Path(settings.BASE_DIR).resolve()
    candidates = [Path(p) for p in settings.LOCALE_PATHS]
    candidates += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    found: list[Path] = []
    for path in candidates:
        path = path.resolve()
        if not path.is_relative_to(base) or path in found:
            continue
        if any(part.startswith(".") for part in path.relative_to(base).parts):
            continue
        found.append(path)
    return found


def catalogues() -> list[Path]:
    found: list[Path] = []
    for root in locale_dirs():
        found.extend(sorted(root.glob("*/LC_MESSAGES/*.po")))
    return found


class Command(BaseCommand):
    help = "Compile the project's .po catalogues into .mo files (no gettext needed)."

    def handle(self, *args, **options) -> None:
        for po_path in catalogues():
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            self.stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
