"""Who is available right now.

`availability` is what the person chose (online, busy, offline). With `auto_offline`, someone
whose browsers have all been closed for PRESENCE_TIMEOUT counts as offline whatever they chose:
each open browser sends a heartbeat over its websocket, stored (at most every
HEARTBEAT_WRITE_INTERVAL) in `last_seen_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import events as account_events
from accounts.models import AccountUser, Availability, accepted_q

PRESENCE_TIMEOUT = timedelta(seconds=60)
HEARTBEAT_WRITE_INTERVAL = timedelta(seconds=20)
SWEEP_INTERVAL = timedelta(seconds=30)


def available_q(at: datetime, prefix: str = "") -> Q:
    """People who can take work at `at`: online, and (with auto_offline) seen recently. Someone
    who has not accepted their invitation yet takes none, whatever their availability says."""
    return (
        Q(**{f"{prefix}availability": Availability.ONLINE})
        & accepted_q(prefix)
        & (
            Q(**{f"{prefix}auto_offline": False})
            | Q(**{f"{prefix}last_seen_at__gte": at - PRESENCE_TIMEOUT})
        )
    )


def effective_availability(membership: AccountUser, at: datetime | None = None) -> str:
    """What others see: the chosen availability, or offline when auto_offline says so."""
    at = at or timezone.now()
    if membership.availability == Availability.OFFLINE or not membership.auto_offline:
        return membership.availability
    if membership.last_seen_at is None or membership.last_seen_at < at - PRESENCE_TIMEOUT:
        return Availability.OFFLINE
    return membership.availability


def is_available(membership: AccountUser, at: datetime | None = None) -> bool:
    if membership.accepted_at is None:
        return False
    return effective_availability(membership, at) == Availability.ONLINE


@transaction.atomic
def presence_heartbeat(*, membership_id: int, at: datetime | None = None) -> bool:
    """An open browser says its person is here. Returns True when this brought them back
    (they were away long enough to count as offline); then `presence.update` goes out, which
    lets waiting conversations be assigned to them."""
    at = at or timezone.now()
    membership = AccountUser.objects.select_for_update().filter(pk=membership_id).first()
    if membership is None:
        return False
    if membership.last_seen_at and membership.last_seen_at > at - HEARTBEAT_WRITE_INTERVAL:
        return False
    was_away = effective_availability(membership, at) == Availability.OFFLINE
    membership.last_seen_at = at
    membership.save(update_fields=["last_seen_at"])
    came_back = was_away and is_available(membership, at)
    if came_back:
        account_events.presence_changed(
            membership=membership, status=effective_availability(membership, at)
        )
    return came_back


def presence_sweep(*, at: datetime | None = None) -> int:
    """Announces the people whose last browser closed a moment ago (periodic task), so that
    other screens show them offline."""
    at = at or timezone.now()
    gone = AccountUser.objects.filter(
        availability=Availability.ONLINE,
        auto_offline=True,
        last_seen_at__lt=at - PRESENCE_TIMEOUT,
        last_seen_at__gte=at - PRESENCE_TIMEOUT - SWEEP_INTERVAL,
    )
    count = 0
    for membership in gone:
        with transaction.atomic():
            account_events.presence_changed(membership=membership, status=Availability.OFFLINE)
        count += 1
    return count
