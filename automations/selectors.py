"""Reads for automation rules: the settings pages and API, and the engine's cached rule sets.

The engine reads an account's active rules once and keeps them until a rule changes: the rule
set is cached (Redis, then this process) under a per-account *version* that every change of a
rule replaces after its commit. With Redis away the version cannot be read, and every evaluation
reads the rules from the database: slower, never stale. A version lost while Redis flapped at
the moment of a change leaves the set stale for at most `RULES_TTL` seconds.
"""

from __future__ import annotations

import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import AccountUser
from automations.conditions import Condition, validate
from automations.models import AutomationRule, AutomationRun
from nexloo.core.errors import ValidationError
from nexloo.core.tenancy import get_or_not_found

RULES_TTL = 60
_local: dict[int, tuple[str, float, dict[str, tuple[CachedRule, ...]]]] = {}


def rules_list(*, membership: AccountUser) -> QuerySet[AutomationRule]:
    """The asking member's account's rules with the time of their last run and their failed runs."""
    # Subqueries, not a join: each reads one index (the latest run; the failed runs, which are
    # few), however many runs a rule has.
    runs = AutomationRun.objects.filter(rule=OuterRef("pk"))
    return (
        AutomationRule.objects.for_account(membership.account_id)
        .annotate(
            last_run_at=Subquery(runs.order_by("-created_at").values("created_at")[:1]),
            errors_count=Coalesce(
                Subquery(
                    runs.exclude(error="")
                    .order_by()
                    .values("rule")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        )
        .order_by("name", "pk")
    )


def rule_get(*, membership: AccountUser, rule_id: int | str) -> AutomationRule:
    return get_or_not_found(AutomationRule.objects.for_account(membership.account_id), pk=rule_id)


def rule_runs(*, rule: AutomationRule, limit: int = 50) -> QuerySet[AutomationRun]:
    return (
        AutomationRun.objects.filter(rule=rule)
        .select_related("conversation")
        .order_by("-created_at", "-pk")[:limit]
    )


def rules_disabled_by_errors(*, membership: AccountUser) -> QuerySet[AutomationRule]:
    return AutomationRule.objects.for_account(membership.account_id).filter(
        active=False, disabled_at__isnull=False
    )


@dataclass(frozen=True)
class CachedRule:
    """What the engine needs of a rule, validated once when the set is loaded."""

    pk: int
    name: str
    event_name: str
    rows: tuple[Condition, ...]
    actions: tuple[dict[str, Any], ...]
    delay_minutes: int | None
    # Why the stored conditions no longer parse (an attribute or an id that no longer exists):
    # the engine records it in the rule's run, as a failure, instead of evaluating the rule.
    problem: str = ""


def cached_rule(values: dict[str, Any], *, account_id: int, trusted: bool = True) -> CachedRule:
    """A stored rule (`pk`, `name`, `event_name`, `conditions`, `actions`, `delay_minutes`) as
    the engine runs it. `trusted`: the ids were checked when the rule was saved, only the shape
    is parsed (no queries). Conditions that no longer validate make a rule with a `problem`,
    never an error: one broken rule must not stop the others, nor the intake."""
    from automations import conditions

    problem = ""
    try:
        with conditions.trusted_ids() if trusted else nullcontext():
            rows = validate(values["conditions"], account_id=account_id, event=values["event_name"])
    except ValidationError as exc:
        rows = []
        problem = _("The rule's conditions are no longer valid: %(problem)s") % {
            "problem": " ".join(exc.messages)
        }
    return CachedRule(
        values["pk"],
        values["name"],
        values["event_name"],
        tuple(rows),
        tuple(values["actions"]),
        values["delay_minutes"],
        problem,
    )


def _version_key(account_id: int) -> str:
    return f"automations:rules-version:{account_id}"


def rules_version_bump(account_id: int) -> None:
    """Called after the commit of any change to the account's rules."""
    cache.set(_version_key(account_id), uuid.uuid4().hex, None)
    _local.pop(account_id, None)


def _raw(account_id: int) -> list[dict[str, Any]]:
    return list(
        AutomationRule.objects.filter(account_id=account_id, active=True)
        .order_by("pk")
        .values("pk", "name", "event_name", "conditions", "actions", "delay_minutes")
    )


def _parse(account_id: int, raw: list[dict[str, Any]]) -> dict[str, tuple[CachedRule, ...]]:
    by_event: dict[str, list[CachedRule]] = {}
    for rule in raw:
        by_event.setdefault(rule["event_name"], []).append(cached_rule(rule, account_id=account_id))
    return {event: tuple(rules) for event, rules in by_event.items()}


def active_rules(*, account_id: int, event_name: str) -> tuple[CachedRule, ...]:
    """The account's active rules for one event, from the cache when it is current."""
    version = cache.get(_version_key(account_id))
    if version is None:
        cache.add(_version_key(account_id), uuid.uuid4().hex, None)
        version = cache.get(_version_key(account_id))
    if version is None:  # Redis away: read the rules every time rather than trust a copy
        return _parse(account_id, _raw(account_id)).get(event_name, ())
    now = time.monotonic()
    local = _local.get(account_id)
    if local is not None and local[0] == version and local[1] > now:
        return local[2].get(event_name, ())
    key = f"automations:rules:{account_id}:{version}"
    raw = cache.get(key)
    if raw is None:
        raw = _raw(account_id)
        cache.set(key, raw, RULES_TTL)
    rules = _parse(account_id, raw)
    _local[account_id] = (version, now + RULES_TTL, rules)
    return rules.get(event_name, ())


def has_active_rules(*, account_id: int, event_name: str) -> bool:
    return bool(active_rules(account_id=account_id, event_name=event_name))
