"""The time zone field's choices: Brazil's zones first, by the names people know, then every
other zone grouped by region. Only the canonical zones of the tz database (its `zone.tab`):
no "Factory", "localtime", "Etc/…" or the backward-compatible aliases."""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

# Brazil's zones (tz database, country BR), Brasília first, the rest west of it by state.
BRAZIL = [
    ("America/Sao_Paulo", "Brasília"),
    ("America/Noronha", "Fernando de Noronha"),
    ("America/Manaus", "Manaus"),
    ("America/Cuiaba", "Cuiabá"),
    ("America/Campo_Grande", "Campo Grande"),
    ("America/Porto_Velho", "Porto Velho"),
    ("America/Boa_Vista", "Boa Vista"),
    ("America/Rio_Branco", "Rio Branco"),
    ("America/Eirunepe", "Eirunepé"),
    ("America/Belem", "Belém"),
    ("America/Santarem", "Santarém"),
    ("America/Fortaleza", "Fortaleza"),
    ("America/Recife", "Recife"),
    ("America/Maceio", "Maceió"),
    ("America/Bahia", "Salvador"),
    ("America/Araguaina", "Araguaína"),
]

REGIONS = {
    "America": _("Americas"),
    "Europe": _("Europe"),
    "Africa": _("Africa"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic Ocean"),
    "Australia": _("Australia"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific Ocean"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
}


@cache
def canonical_zones() -> tuple[str, ...]:
    """The zones of the tz database's zone.tab where the system has one; otherwise the
    available zones of the known regions."""
    available = zoneinfo.available_timezones()
    for base in zoneinfo.TZPATH:
        tab = Path(base) / "zone.tab"
        if tab.exists():
            names = {
                line.split("\t")[2].strip()
                for line in tab.read_text().splitlines()
                if line and not line.startswith("#")
            }
            return tuple(sorted(names & available))
    return tuple(sorted(z for z in available if z.split("/")[0] in REGIONS and "/" in z))


def _label(zone: str) -> str:
    place = zone.split("/", 1)[1].replace("_", " ").replace("/", " / ")
    return f"{place} ({zone})"


def timezone_choices() -> list[tuple]:
    """Grouped choices (optgroups) for a ChoiceField."""
    brazil = {zone for zone, _name in BRAZIL}
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for zone in canonical_zones():
        region = zone.split("/")[0]
        if zone in brazil or region not in groups:
            continue
        groups[region].append((zone, _label(zone)))
    return [
        (_("Brazil"), [(zone, f"{name} ({zone})") for zone, name in BRAZIL]),
        (_("Universal"), [("UTC", _("Coordinated Universal Time (UTC)"))]),
        *[
            (REGIONS[region], sorted(zones, key=lambda c: c[1]))
            for region, zones in groups.items()
            if zones
        ],
    ]


def is_offered(zone: str) -> bool:
    return zone == "UTC" or zone in {z for z, _n in BRAZIL} or zone in canonical_zones()
