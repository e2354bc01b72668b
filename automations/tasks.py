"""Background work of the automation rules. Thin: fetch by id, call a service. Runs are
exactly-once by their AutomationRun key, so a redelivered task does nothing twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nexloo.core import webhooks
from nexloo.core.links import absolute_url

logger = logging.getLogger(__name__)
RETRIES = 3
RETRYING = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "retry_jitter": False,
    "max_retries": RETRIES,
}


@shared_task(name="automations.run_event", **RETRYING)
def run_event(
    self,
    event_name: str,
    dedupe_key: str,
    conversation_id: int | None,
    message_id: int | None = None,
    changed_attributes: list | None = None,
) -> int:
    """The rules of one event on one conversation; returns how many matched."""
    from automations import services
    from automations.conditions import changes_from

    outcome = services.rules_run_for_event(
        event_name=event_name,
        dedupe_key=dedupe_key,
        conversation_id=conversation_id,
        message_id=message_id,
        changed=changes_from(changed_attributes),
        final_attempt=self.request.retries >= RETRIES,
    )
    return len(outcome.matched) if outcome else 0


@shared_task(name="automations.time_rules", expires=55)
def time_rules() -> int:
    """Periodic: queues the time-based rules that are due."""
    from automations import services

    return services.time_rules_sweep(at=timezone.now())


@shared_task(name="automations.prune_runs", expires=3000)
def prune_runs() -> int:
    """Periodic: keeps the run log bounded."""
    from automations import services

    return services.runs_prune(at=timezone.now())


@shared_task(name="automations.run_time_rule", expires=600, **RETRYING)
def run_time_rule(self, rule_id: int, conversation_id: int, dedupe_key: str) -> int:
    from automations import services

    outcome = services.time_rule_run(
        rule_id=rule_id,
        conversation_id=conversation_id,
        dedupe_key=dedupe_key,
        final_attempt=self.request.retries >= RETRIES,
    )
    return len(outcome.matched) if outcome else 0


@shared_task(
    name="automations.send_webhook",
    bind=True,
    acks_late=True,
    autoretry_for=(webhooks.TransientWebhookError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=6,
)
def send_webhook(self, rule_id: int, url: str, payload: dict) -> int | None:
    """A rule's send_webhook_event: signed with the rule's secret; the task id is the delivery id,
    the same on every retry, so the receiver can drop a repeat."""
    from automations.models import AutomationRule

    rule = AutomationRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return None
    try:
        delivered = webhooks.post(
            url, payload, secret=rule.webhook_secret, delivery_id=self.request.id or ""
        )
    except webhooks.WebhookRefused as exc:
        logger.warning("webhook of rule %s refused: %s", rule_id, exc)
        return None
    return delivered.status


def _conversation(conversation_id: int):
    from conversations.models import Conversation

    return (
        Conversation.objects.select_related("account", "contact", "inbox")
        .filter(pk=conversation_id)
        .first()
    )


def _link(conversation) -> str:
    return absolute_url(
        f"/app/accounts/{conversation.account_id}/conversations/{conversation.display_id}/"
    )


@shared_task(name="automations.send_team_email", acks_late=True)
def send_team_email(rule_id: int, conversation_id: int, team_ids: list[int], message: str) -> int:
    from accounts.models import User, accepted_q

    conversation = _conversation(conversation_id)
    if conversation is None:
        return 0
    emails = sorted(
        set(
            User.objects.filter(
                accepted_q("account_users__"),  # no conversation to the invited
                account_users__account_id=conversation.account_id,
                account_users__team_memberships__team_id__in=team_ids,
                is_active=True,
            ).values_list("email", flat=True)
        )
    )
    if not emails:
        return 0
    with translation.override(conversation.account.locale):
        subject = _("Conversation #%(id)s: %(contact)s") % {
            "id": conversation.display_id,
            "contact": conversation.contact.display_name,
        }
        body = f"{message}\n\n{_link(conversation)}\n"
    send_mail(subject, body, None, emails)
    return len(emails)


@shared_task(name="automations.send_transcript", acks_late=True)
def send_transcript(conversation_id: int, emails: list[str]) -> int:
    from conversations.files import shared_attachment_url
    from conversations.models import Message

    conversation = _conversation(conversation_id)
    if conversation is None:
        return 0
    lines = []
    for message in (
        Message.objects.filter(
            conversation_id=conversation_id,
            private=False,
            message_type__in=("incoming", "outgoing"),
        )
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    ):
        when = timezone.localtime(message.created_at).strftime("%d/%m/%Y %H:%M")
        lines.append(f"[{when}] {message.sender_name or '—'}: {message.content}")
        # The reader is outside the account: links that expire (24 h), for these files only.
        lines.extend(
            f"    {a.file_name or a.file_type}: {shared_attachment_url(a, purpose='transcript')}"
            for a in message.attachments.all()
            if a.file
        )
    with translation.override(conversation.account.locale):
        subject = _("Transcript of conversation #%(id)s") % {"id": conversation.display_id}
    send_mail(subject, "\n".join(lines) + "\n", None, emails)
    return len(emails)


@shared_task(name="automations.notify_rule_switched_off", acks_late=True)
def notify_rule_switched_off(rule_id: int) -> int:
    """Tells the account's administrators that a rule failed too often and was switched off."""
    from accounts.selectors import administrator_emails
    from automations.models import MAX_CONSECUTIVE_ERRORS, AutomationRule

    rule = AutomationRule.objects.select_related("account").filter(pk=rule_id).first()
    if rule is None:
        return 0
    emails = administrator_emails(account_id=rule.account_id)
    with translation.override(rule.account.locale):
        subject = _("Automation rule “%(name)s” was switched off") % {"name": rule.name}
        body = _(
            "The rule “%(name)s” failed %(count)s times in a row and was switched off.\n"
            "Last error: %(error)s\n\nCheck it in Settings → Automation: %(link)s\n"
        ) % {
            "name": rule.name,
            "count": MAX_CONSECUTIVE_ERRORS,
            "error": rule.disabled_reason,
            "link": absolute_url(f"/app/accounts/{rule.account_id}/settings/automation/"),
        }
    if emails:
        send_mail(subject, body, None, emails)
    return len(emails)
