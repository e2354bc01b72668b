"""Compiles every .po catalogue of the project into .mo, in Python (polib).

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh machine may not have; the
catalogues are small, so `make run` and `make test` compile them with this command instead.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

PROJECT_DIRS = [
    "locale",
    "accounts",
    "inboxes",
    "teams",
    "conversations",
    "automations",
    "whatsapp",
]


def catalogues() -> list[Path]:
    base = Path(settings.BASE_DIR)
    found: list[Path] = []
    for name in PROJECT_DIRS:
        root = base / name
        if root.name != "locale":
            root = root / "locale"
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
