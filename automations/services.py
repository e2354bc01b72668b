"""Writes for automation rules (administrators only), and the runs of rules: at intake, on
events, and on the clock."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from automations import engine
from automations.actions import validate_actions
from automations.conditions import as_stored, build_q, validate
from automations.models import TIME_EVENTS, AutomationRule, AutomationRun, RuleEvent
from automations.selectors import cached_rule, rules_version_bump
from conversations.models import Conversation, Message, MessageType, Status
from conversations.services.common import lock_conversation
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.tasks import enqueue
from teams.assignment import lock_inbox

EDITABLE = {"name", "description", "event_name", "conditions", "actions", "active", "delay_minutes"}
INTAKE_KEY = "conversation_created"


def _clean(account: Account, data: dict[str, Any]) -> dict[str, Any]:
    """Checks a whole rule (the stored fields merged with the changes); changes nothing."""
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the rule a name.")})
    event = data.get("event_name")
    if event not in RuleEvent.values:
        raise ValidationError({"event_name": _("Choose the event.")})
    delay = data.get("delay_minutes")
    if event in TIME_EVENTS:
        if not isinstance(delay, int) or isinstance(delay, bool) or not 1 <= delay <= 43200:
            raise ValidationError(
                {"delay_minutes": _("Give the minutes to wait, from 1 to 43200 (30 days).")}
            )
    else:
        delay = None
    rows = validate(data.get("conditions") or [], account_id=account.pk, event=event)
    actions = validate_actions(data.get("actions"), account_id=account.pk)
    return {
        "name": name[:255],
        "description": (data.get("description") or "").strip(),
        "event_name": event,
        "conditions": as_stored(rows),
        "actions": actions,
        "active": bool(data.get("active", True)),
        "delay_minutes": delay,
    }


def _changed(account: Account) -> None:
    transaction.on_commit(lambda: rules_version_bump(account.pk))


@transaction.atomic
def rule_create(*, account: Account, actor: AccountUser | None, **fields: Any) -> AutomationRule:
    require_admin(actor, account)
    clean = _clean(account, {"active": True, **fields})
    rule = AutomationRule.objects.create(
        account=account, webhook_secret=secrets.token_hex(24), **clean
    )
    _changed(account)
    return rule


@transaction.atomic
def rule_update(
    *, account: Account, actor: AccountUser | None, rule: AutomationRule, **changes: Any
) -> AutomationRule:
    """Changes a rule; the whole rule must then be valid. Switching it off, and nothing else,
    always works (see rule_set_active)."""
    require_admin(actor, account)
    if rule.account_id != account.pk:
        raise NotFound("rule not found")
    rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
    if set(changes) == {"active"} and not changes["active"]:
        # A rule whose team or label was deleted since must still be switched off: nothing is
        # validated, since nothing else changes.
        if rule.active:
            rule.active = False
            rule.save(update_fields=["active", "updated_at"])
            _changed(account)
        return rule
    current = {f: getattr(rule, f) for f in EDITABLE}
    clean = _clean(account, {**current, **changes})
    for name, value in clean.items():
        setattr(rule, name, value)
    # Switched on again by a person: the failures in a row start over.
    if clean["active"] and ("active" in changes or rule.disabled_at is not None):
        rule.consecutive_errors = 0
        rule.disabled_at = None
        rule.disabled_reason = ""
    rule.save()
    _changed(account)
    return rule


def rule_set_active(
    *, account: Account, actor: AccountUser | None, rule: AutomationRule, active: bool
) -> AutomationRule:
    """The on/off switch. Off always works; on requires the rule to be valid as it is stored
    (a ValidationError names what to fix)."""
    return rule_update(account=account, actor=actor, rule=rule, active=active)


@transaction.atomic
def rule_clone(
    *, account: Account, actor: AccountUser | None, rule: AutomationRule
) -> AutomationRule:
    require_admin(actor, account)
    if rule.account_id != account.pk:
        raise NotFound("rule not found")
    return rule_create(
        account=account,
        actor=actor,
        name=_("%(name)s (copy)") % {"name": rule.name},
        description=rule.description,
        event_name=rule.event_name,
        conditions=rule.conditions,
        actions=rule.actions,
        active=rule.active,
        delay_minutes=rule.delay_minutes,
    )


@transaction.atomic
def rule_delete(*, account: Account, actor: AccountUser | None, rule: AutomationRule) -> None:
    require_admin(actor, account)
    if rule.account_id != account.pk:
        raise NotFound("rule not found")
    rule.delete()
    _changed(account)


# --- Running rules ------------------------------------------------------------------------------


def intake_hook(*, conversation_id: int, final_attempt: bool, account_id: int) -> None:
    """The conversation_created rules, inside the intake's transaction and locks (see
    conversations.services.common.IntakeHook): they decide before the inbox's round robin."""
    engine.run_rules(
        conversation_id=conversation_id,
        account_id=account_id,
        event_name=RuleEvent.CONVERSATION_CREATED,
        dedupe_key=INTAKE_KEY,
        final_attempt=final_attempt,
    )


def rules_run_for_event(
    *,
    event_name: str,
    dedupe_key: str,
    conversation_id: int | None = None,
    message_id: int | None = None,
    changed: dict | None = None,
    final_attempt: bool = False,
) -> engine.Outcome | None:
    """The rules of a conversation or message event, under the inbox's then the conversation's
    lock (actions may route the conversation). None when the conversation is gone."""
    if conversation_id is None and message_id is not None:
        conversation_id = (
            Message.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
        )
    inbox_id = (
        Conversation.objects.filter(pk=conversation_id).values_list("inbox_id", flat=True).first()
        if conversation_id
        else None
    )
    if inbox_id is None:
        return None
    with transaction.atomic():
        lock_inbox(inbox_id)
        Conversation.objects.select_for_update().filter(pk=conversation_id).values_list("pk").get()
        return engine.run_rules(
            conversation_id=conversation_id,
            event_name=event_name,
            dedupe_key=dedupe_key,
            message_id=message_id,
            changed=changed,
            final_attempt=final_attempt,
        )


# --- Time-based rules ---------------------------------------------------------------------------

TIME_BATCH = 200


def _since_field(event_name: str) -> str:
    return "waiting_since" if event_name == RuleEvent.CONVERSATION_WAITING else "assigned_at"


def _time_key(event_name: str, since: datetime) -> str:
    prefix = "waiting" if event_name == RuleEvent.CONVERSATION_WAITING else "assigned"
    return f"{prefix}:{since.isoformat()}"


def _agent_replies():
    """Agents' replies: what stops the customer waiting (see conversations' `_touch`)."""
    return Message.objects.filter(
        message_type=MessageType.OUTGOING, private=False, sender_user__isnull=False
    )


def _due(rule: AutomationRule, at: datetime):
    """Conversations of the rule's account whose waiting period has lasted the rule's delay and
    that the rule has not fired on in this period (a run since the period began).

    - conversation_waiting: the customer has waited N minutes for an agent's reply; once per
      waiting period (an agent's reply ends it, the customer's next message starts another).
    - assignee_no_reply: N minutes after the assignment, the customer waits (for N minutes at
      least) and no agent has replied since the assignment; once per assignment. Once an agent
      replied after it, it does not fire again until the next assignment: a later wait is
      conversation_waiting's to watch.
    """
    field = _since_field(rule.event_name)
    limit = at - timedelta(minutes=rule.delay_minutes or 0)
    qs = Conversation.objects.filter(
        account_id=rule.account_id,
        status=Status.OPEN,
        intake_done_at__isnull=False,
        waiting_since__lte=limit,
    )
    if rule.event_name == RuleEvent.ASSIGNEE_NO_REPLY:
        replied = _agent_replies().filter(
            conversation_id=OuterRef("pk"), created_at__gte=OuterRef("assigned_at")
        )
        qs = qs.filter(assignee__isnull=False, assigned_at__lte=limit).exclude(Exists(replied))
    return qs.exclude(
        Exists(
            AutomationRun.objects.filter(
                rule_id=rule.pk,
                conversation_id=OuterRef("pk"),
                created_at__gte=OuterRef(field),
            )
        )
    )


def time_rules_sweep(*, at: datetime) -> int:
    """Beat: queues a run of each active time-based rule for each conversation that is due
    (at most TIME_BATCH per rule and tick; the rest wait for the next tick). Returns how many."""
    queued = 0
    from automations.tasks import run_time_rule

    for rule in AutomationRule.objects.filter(
        active=True, event_name__in=TIME_EVENTS
    ).select_related("account"):
        try:
            q = build_q(
                rule.conditions,
                account_id=rule.account_id,
                tz=rule.account.timezone,
                at=at,
            )
        except ValidationError:
            continue  # a condition that no longer validates (e.g. a team deleted) never matches
        field = _since_field(rule.event_name)
        due = _due(rule, at).filter(q).order_by(field).values_list("pk", field)[:TIME_BATCH]
        for conversation_id, since in due:
            enqueue(run_time_rule, rule.pk, conversation_id, _time_key(rule.event_name, since))
            queued += 1
    return queued


def time_rule_run(
    *, rule_id: int, conversation_id: int, dedupe_key: str, final_attempt: bool = False
) -> engine.Outcome | None:
    """One time-based rule on one conversation, if it is still due for the same waiting period
    (an agent may have replied since it was queued)."""
    rule = AutomationRule.objects.filter(pk=rule_id, active=True).first()
    conversation = (
        Conversation.objects.filter(pk=conversation_id).values_list("inbox_id", flat=True).first()
    )
    if rule is None or conversation is None:
        return None
    with transaction.atomic():
        lock_inbox(conversation)
        locked = lock_conversation(conversation_id)
        since = getattr(locked, _since_field(rule.event_name))
        if (
            since is None
            or locked.status != Status.OPEN
            or locked.waiting_since is None
            or _time_key(rule.event_name, since) != dedupe_key
        ):
            return None
        if (
            rule.event_name == RuleEvent.ASSIGNEE_NO_REPLY
            and _agent_replies()
            .filter(conversation_id=conversation_id, created_at__gte=since)
            .exists()
        ):
            return None  # an agent replied after the assignment (since it was queued)
        cached = cached_rule(
            {
                "pk": rule.pk,
                "name": rule.name,
                "event_name": rule.event_name,
                "conditions": rule.conditions,
                "actions": rule.actions,
                "delay_minutes": rule.delay_minutes,
            },
            account_id=rule.account_id,
            trusted=False,
        )
        return engine.run_rules(
            conversation_id=conversation_id,
            event_name=rule.event_name,
            dedupe_key=dedupe_key,
            final_attempt=final_attempt,
            rules=[cached],
        )


# --- The run log --------------------------------------------------------------------------------

UNMATCHED_KEPT = timedelta(days=7)
RUNS_KEPT = timedelta(days=90)
PRUNE_BATCH = 10_000


def runs_prune(*, at: datetime) -> int:
    """Keeps the run log bounded: evaluations that matched nothing for a week, every run for 90
    days (a rule's page shows its last 50). Deletes at most PRUNE_BATCH rows per call."""
    from django.db.models import Q

    old = AutomationRun.objects.filter(
        Q(matched=False, created_at__lt=at - UNMATCHED_KEPT) | Q(created_at__lt=at - RUNS_KEPT)
    ).values_list("pk", flat=True)[:PRUNE_BATCH]
    deleted, _ = AutomationRun.objects.filter(pk__in=list(old)).delete()
    return deleted
