"""Runs the rules of one event on one conversation, exactly once per triggering change.

The caller holds the inbox's lock, then the conversation's (the lock order of the assignment
engine), inside a transaction. Under those locks the engine reads which rules already ran for
this change (`AutomationRun` rows under the `dedupe_key`), evaluates the others in memory, does
the actions of those that match (each rule in a savepoint: all its actions or none), and writes
one run row per rule in the same transaction — so a task delivered twice, or two at once, runs
each rule once; a unique constraint backs it.

Failures: a permanent one (see actions.PERMANENT) is recorded in the run and counts towards the
rule's switch-off; any other propagates, unless `final_attempt`, so that Celery retries and
nothing of this attempt stays. A rule whose stored conditions no longer parse is not evaluated:
its run records why, as a failure, and the other rules go on.

Loops: what a rule's actions cause carries the rule (`Performer.rule_id`), and rules do not
trigger on that. Should a loop get past it (or an event storm hit one conversation), a rule that
acted LOOP_LIMIT times on one conversation within LOOP_WINDOW does nothing more there until the
window has passed; each refused run records it, as a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from automations.actions import PERMANENT, Context, run_action
from automations.conditions import Facts, evaluate
from automations.models import MAX_CONSECUTIVE_ERRORS, AutomationRule, AutomationRun
from automations.selectors import CachedRule, active_rules, rules_version_bump
from conversations.models import Conversation, Message
from nexloo.core.events import Performer
from nexloo.core.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)
LOOP_LIMIT = 10
LOOP_WINDOW = timedelta(minutes=1)


@dataclass
class Outcome:
    matched: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    skipped: int = 0  # already run for this change


def performer_for(rule: CachedRule) -> Performer:
    return Performer(type="automation_rule", id=rule.pk, name=rule.name)


def run_rules(
    *,
    conversation_id: int,
    event_name: str,
    dedupe_key: str,
    message_id: int | None = None,
    changed: dict | None = None,
    final_attempt: bool = False,
    rules: Sequence[CachedRule] | None = None,
    account_id: int | None = None,
) -> Outcome:
    """Evaluates the account's active rules of `event_name` (or the `rules` given) on the
    conversation. Call inside a transaction holding the inbox's and the conversation's locks.
    Given the conversation's `account_id`, an account without such rules reads nothing more."""
    outcome = Outcome()
    if rules is None and account_id is not None:
        rules = active_rules(account_id=account_id, event_name=event_name)
        if not rules:
            return outcome
    # Locked by the caller: a plain read, its contact, inbox and assignee loaded only if a
    # condition asks (no joins to plan for rule sets that look at the conversation alone).
    conversation = Conversation.objects.get(pk=conversation_id)
    if rules is None:
        rules = active_rules(account_id=conversation.account_id, event_name=event_name)
    if not rules:
        return outcome
    done = set(
        AutomationRun.objects.filter(
            conversation_id=conversation_id,
            dedupe_key=dedupe_key,
            rule_id__in=[r.pk for r in rules],
        ).values_list("rule_id", flat=True)
    )
    message = None
    if message_id is not None:
        message = Message.objects.filter(pk=message_id, conversation_id=conversation_id).first()
    facts = Facts(conversation=conversation, message=message, changed=changed or {})
    runs: list[AutomationRun] = []
    for rule in rules:
        if rule.pk in done:
            outcome.skipped += 1
            continue
        started = time.perf_counter()
        run = AutomationRun(
            account_id=conversation.account_id,
            rule_id=rule.pk,
            conversation_id=conversation_id,
            event_name=event_name,
            dedupe_key=dedupe_key,
        )
        if rule.problem:
            run.error = outcome.errors[rule.pk] = rule.problem
        else:
            run.matched = evaluate(rule.rows, facts)
        if run.matched and _looping(rule.pk, conversation_id, facts.at):
            outcome.matched.append(rule.pk)
            run.error = outcome.errors[rule.pk] = _(
                "Not run: this rule already acted %(count)s times on this conversation in the "
                "last minute, which looks like a loop."
            ) % {"count": LOOP_LIMIT}
        elif run.matched:
            outcome.matched.append(rule.pk)
            conversation, run.actions_done, run.error = _act(
                rule, conversation, event_name, message, final_attempt
            )
            if run.error:
                outcome.errors[rule.pk] = run.error
            facts = Facts(
                conversation=conversation, message=message, changed=changed or {}, at=facts.at
            )
        run.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        runs.append(run)
    AutomationRun.objects.bulk_create(runs)
    _bookkeeping(conversation.account_id, outcome)
    return outcome


def _looping(rule_id: int, conversation_id: int, at: datetime) -> bool:
    """Whether the rule acted LOOP_LIMIT times on the conversation within LOOP_WINDOW (runs that
    matched and did their actions; refused or failed ones did nothing). Asked only of a rule
    that matched: one query on the runs' unique index."""
    recent = AutomationRun.objects.filter(
        rule_id=rule_id,
        conversation_id=conversation_id,
        matched=True,
        error="",
        created_at__gt=at - LOOP_WINDOW,
    )
    return recent[:LOOP_LIMIT].count() >= LOOP_LIMIT


def _act(
    rule: CachedRule,
    conversation: Conversation,
    event_name: str,
    message: Message | None,
    final_attempt: bool,
) -> tuple[Conversation, list[str], str]:
    ctx = Context(
        account=conversation.account,
        conversation=conversation,
        performer=performer_for(rule),
        rule_id=rule.pk,
        rule_event=event_name,
        message=message,
    )
    done: list[str] = []
    try:
        with transaction.atomic():
            for action in rule.actions:
                done.append(run_action(ctx, action))
    except PERMANENT as exc:
        return Conversation.objects.get(pk=conversation.pk), [], _message(exc)
    except Exception as exc:
        if not final_attempt:
            raise
        logger.exception("rule %s failed on conversation %s", rule.pk, conversation.pk)
        return Conversation.objects.get(pk=conversation.pk), [], f"{type(exc).__name__}: {exc}"
    return ctx.conversation, done, ""


def _message(exc: Exception) -> str:
    messages = getattr(exc, "messages", None)
    if messages:
        return "; ".join(str(m) for m in messages)
    return str(exc) or type(exc).__name__


def _bookkeeping(account_id: int, outcome: Outcome) -> None:
    """Counts failures in a row; a rule that fails MAX_CONSECUTIVE_ERRORS times is switched off
    and the administrators told. A rule that worked starts counting again."""
    succeeded = [pk for pk in outcome.matched if pk not in outcome.errors]
    if succeeded:
        AutomationRule.objects.filter(pk__in=succeeded, consecutive_errors__gt=0).update(
            consecutive_errors=0
        )
    if not outcome.errors:
        return
    AutomationRule.objects.filter(pk__in=list(outcome.errors)).update(
        consecutive_errors=F("consecutive_errors") + 1
    )
    switched_off = []
    for pk in (
        AutomationRule.objects.filter(
            pk__in=list(outcome.errors),
            active=True,
            consecutive_errors__gte=MAX_CONSECUTIVE_ERRORS,
        )
        .select_for_update()
        .values_list("pk", flat=True)
    ):
        AutomationRule.objects.filter(pk=pk).update(
            active=False, disabled_at=timezone.now(), disabled_reason=outcome.errors[pk][:2000]
        )
        switched_off.append(pk)
    if switched_off:
        transaction.on_commit(lambda: rules_version_bump(account_id))
        from automations.tasks import notify_rule_switched_off

        for pk in switched_off:
            enqueue_on_commit(notify_rule_switched_off, pk)
