"""Creating conversations (from a channel or by a person), and changing their status, priority
and labels."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from conversations import events as conv_events
from conversations.models import (
    Contact,
    ContactInbox,
    ContactLabel,
    Conversation,
    ConversationLabel,
    ConversationSequence,
    Label,
    Priority,
    Status,
)
from conversations.services.assignment import schedule_drain
from conversations.services.common import (
    account_language,
    check_access,
    lock_conversation,
    lock_row,
    performer_label,
    performer_of,
)
from conversations.services.messages import activity_add
from inboxes.models import Inbox
from nexloo.core import events
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.events import Performer
from nexloo.core.tasks import enqueue_on_commit
from teams.assignment import lock_inbox

NEXT_DISPLAY_ID_SQL = (
    "INSERT INTO conversations_conversationsequence (account_id, last_display_id) "
    "VALUES (%s, 1) ON CONFLICT (account_id) DO UPDATE "
    "SET last_display_id = conversations_conversationsequence.last_display_id + 1 "
    "RETURNING last_display_id"
)


def _next_display_id(account_id: int) -> int:
    # The sequence row is locked for the rest of the transaction: display ids never repeat.
    if connection.vendor in ("postgresql", "sqlite"):
        # One statement: create the row or move it on, and read the new value.
        with connection.cursor() as cursor:
            cursor.execute(NEXT_DISPLAY_ID_SQL, [account_id])
            return cursor.fetchone()[0]
    ConversationSequence.objects.get_or_create(account_id=account_id)
    ConversationSequence.objects.filter(account_id=account_id).update(
        last_display_id=F("last_display_id") + 1
    )
    return ConversationSequence.objects.get(account_id=account_id).last_display_id


@dataclass(frozen=True)
class Opened:
    conversation: Conversation
    created: bool


def _announce(conversation: Conversation, performer: Performer) -> None:
    from conversations.tasks import intake

    conv_events.conversation_event(
        conv_events.CONVERSATION_CREATED, conversation=conversation, performer=performer
    )
    enqueue_on_commit(intake, conversation.pk, conversation.inbox_id)


def conversation_open_for(
    *,
    contact_inbox: ContactInbox,
    performer: Performer | None = None,
    inbox: Inbox | None = None,
    incoming_at: datetime | None = None,
) -> Opened:
    """The contact's unresolved conversation in the inbox, or a new one.

    `incoming_at`: a contact's message written then is about to be stored in it (a channel's
    inbound_message); a new conversation is created as that message leaves it (active now,
    waiting since now, last written to then), so storing the message needs no second write.

    Safe against two webhooks for the same new contact at once: the partial unique index lets
    only one unresolved conversation exist; the loser of the race reads the winner's.
    """

    def existing() -> Conversation | None:
        return (
            Conversation.objects.filter(contact_inbox=contact_inbox)
            .exclude(status=Status.RESOLVED)
            .select_related("inbox", "contact", "assignee__user", "team")
            .first()
        )

    fresh = getattr(contact_inbox, "fresh", False) and connection.in_atomic_block
    if not fresh:
        found = existing()
        if found is not None:
            return Opened(found, False)
    try:
        # A contact_inbox created in this transaction has no conversation and no rival: no
        # look-up and no savepoint for the race.
        with nullcontext() if fresh else transaction.atomic():
            touched = {}
            if incoming_at is not None:
                now = timezone.now()
                touched = {
                    "last_activity_at": now,
                    "waiting_since": now,
                    "last_incoming_at": incoming_at,
                }
            conversation = Conversation.objects.create(
                account_id=contact_inbox.account_id,
                display_id=_next_display_id(contact_inbox.account_id),
                inbox_id=contact_inbox.inbox_id,
                contact_id=contact_inbox.contact_id,
                contact_inbox=contact_inbox,
                **touched,
            )
            if inbox is not None and "contact" in contact_inbox._state.fields_cache:
                # What the event needs is at hand (a channel passes its inbox): no re-read.
                conversation.inbox = inbox
                conversation.contact = contact_inbox.contact
            else:
                conversation = Conversation.objects.select_related(
                    "inbox", "contact", "assignee__user", "team"
                ).get(pk=conversation.pk)
            conversation.touched_by_incoming = incoming_at is not None
            _announce(
                conversation, performer or Performer(type="contact", id=contact_inbox.contact_id)
            )
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return Opened(found, False)
    return Opened(conversation, True)


@transaction.atomic
def conversation_create(
    *,
    account: Account,
    actor: AccountUser | None,
    inbox: Inbox,
    contact: Contact | None = None,
    source_id: str = "",
    status: str = Status.OPEN,
    assignee: AccountUser | None = None,
    team=None,
    message: str = "",
) -> Conversation:
    """A conversation started by a person or an API client (Chatwoot's POST /conversations):
    for `contact`, or for whoever the channel knows as `source_id`, with an optional first
    outgoing message. Reuses the contact's unresolved conversation in that inbox if there is one.
    """
    from conversations.services.assignment import conversation_forward
    from conversations.services.contacts import contact_for_source, contact_inbox_for
    from conversations.services.messages import message_send

    if status not in (Status.OPEN, Status.PENDING):
        raise ValidationError({"status": _("A new conversation is open or pending.")})
    if inbox.account_id != account.pk:
        raise NotFound("inbox not found")
    if assignee is not None or team is not None:
        # The assignment below takes the inbox lock; take it before the account's display-id
        # sequence, so that a long queue drain in this inbox never holds up the sequence (and
        # with it every new conversation of the account) behind it.
        lock_inbox(inbox.pk)
    if contact is None:
        if not source_id:
            raise ValidationError({"contact_id": _("Give the contact or its source id.")})
        contact_inbox = contact_for_source(inbox=inbox, source_id=source_id)
    else:
        if contact.account_id != account.pk:
            raise NotFound("contact not found")
        contact_inbox = contact_inbox_for(contact=contact, inbox=inbox, source_id=source_id)
    opened = conversation_open_for(
        contact_inbox=contact_inbox, performer=performer_of(actor), inbox=inbox
    )
    conversation = opened.conversation
    if opened.created:
        # What the response shows of a new conversation is at hand: no labels yet, and the
        # account is the caller's.
        conversation.account = account
        no_labels = conversation.labels.none()
        no_labels._result_cache = []
        conversation._prefetched_objects_cache = {"labels": no_labels}
    if opened.created and status == Status.PENDING:
        conversation.status = Status.PENDING
        conversation.save(update_fields=["status", "updated_at"])
    if assignee is not None or team is not None:
        conversation = conversation_forward(
            account=account,
            actor=actor,
            conversation=conversation,
            team=team,
            assignee=assignee,
            verb="assigned",
        )
    sent = None
    if message.strip():
        sent = message_send(
            account=account,
            actor=actor,
            conversation=conversation,
            content=message,
            # Inserted by this transaction (and so invisible to everyone else until it commits)
            # or locked by the assignment above: message_send need not lock it again.
            conversation_locked=opened.created or assignee is not None or team is not None,
        )
    if opened.created and assignee is None and team is None:
        # Its only message, if any, is the one just written: the answer's embedded `messages`
        # and `last_non_activity_message` need no reading back (four queries).
        if sent is not None:
            no_attachments = sent.attachments.none()
            no_attachments._result_cache = []
            sent._prefetched_objects_cache = {"attachments": no_attachments}
        conversation.last_messages = [sent] if sent is not None else []
        conversation.last_chat_message = sent
    return conversation


def conversation_toggle_status(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    status: str | None = None,
    snoozed_until: datetime | None = None,
) -> Conversation:
    """Chatwoot's toggle_status: the given status, or without one, open ↔ resolved."""
    if not status or status == "toggle":
        status = Status.RESOLVED if conversation.status == Status.OPEN else Status.OPEN
    return conversation_status_set(
        account=account,
        actor=actor,
        conversation=conversation,
        status=status,
        snoozed_until=snoozed_until,
    )


def _status_text(
    status: str, performer: Performer, until: datetime | None, *, tz: str = "UTC"
) -> str:
    """The activity line, in the active language; a snooze time on the account's clock."""
    who = performer_label(performer)
    if status == Status.RESOLVED:
        return _("Conversation resolved by %(performer)s") % {"performer": who}
    if status == Status.PENDING:
        return _("Conversation marked as pending by %(performer)s") % {"performer": who}
    if status == Status.SNOOZED:
        if until is None:
            return _("Conversation snoozed until the next reply by %(performer)s") % {
                "performer": who
            }
        return _("Conversation snoozed until %(until)s by %(performer)s") % {
            "until": date_format(timezone.localtime(until, ZoneInfo(tz)), "SHORT_DATETIME_FORMAT"),
            "performer": who,
        }
    return _("Conversation reopened by %(performer)s") % {"performer": who}


@transaction.atomic
def conversation_status_set(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    status: str,
    snoozed_until: datetime | None = None,
    performer: Performer | None = None,
) -> Conversation:
    """Resolve, reopen, mark pending, or snooze (until a time, or until the next reply)."""
    check_access(account=account, actor=actor, conversation=conversation)
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == Status.SNOOZED and snoozed_until is not None and snoozed_until <= timezone.now():
        raise ValidationError({"snoozed_until": _("Choose a time in the future.")})
    performer = performer_of(actor, performer)
    conversation = lock_conversation(conversation.pk)
    if conversation.status == status and conversation.snoozed_until == snoozed_until:
        return conversation
    if status == Status.OPEN and conversation.status == Status.RESOLVED:
        clash = (
            Conversation.objects.filter(contact_inbox=conversation.contact_inbox_id)
            .exclude(status=Status.RESOLVED)
            .exclude(pk=conversation.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "status": _("This contact already has an open conversation (#%(id)s).")
                    % {"id": clash.display_id}
                }
            )
    previous = conversation.status
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
    if status == Status.RESOLVED:
        conversation.waiting_since = None
    if not conversation.assignee_id:
        # Opened (or put aside) unassigned: a rule behind it is the cause of the assignment
        # that the queue later makes (see Conversation.queue_cause_rule_id).
        conversation.queue_cause_rule_id = performer.rule_id
    try:
        with transaction.atomic():
            conversation.save(
                update_fields=[
                    "status",
                    "snoozed_until",
                    "waiting_since",
                    "queue_cause_rule_id",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        # A new conversation of the same contact opened between the check above and now.
        raise ValidationError(
            {"status": _("This contact already has an open conversation.")}
        ) from exc
    with account_language(conversation.account):
        text = _status_text(
            status, performer, conversation.snoozed_until, tz=conversation.account.timezone
        )
    activity_add(conversation=conversation, content=text, performer=performer)
    conv_events.conversation_event(
        conv_events.CONVERSATION_STATUS_CHANGED,
        conversation=conversation,
        performer=performer,
        extra={
            "previous_status": previous,
            **conv_events.changed("status", previous, conversation.status),
        },
    )
    if previous == Status.OPEN and conversation.assignee_id:
        # A conversation leaving "open" frees its agent's capacity in the inbox.
        schedule_drain(conversation.inbox_id)
    if status == Status.OPEN and not conversation.assignee_id:
        schedule_drain(conversation.inbox_id)
    return conversation


# Chatwoot's mute period.
MUTE_PERIOD = timedelta(hours=6)


@transaction.atomic
def conversation_mute(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    performer: Performer | None = None,
    period: timedelta = MUTE_PERIOD,
) -> Conversation:
    """Chatwoot's mute: resolves the conversation and, for `period`, keeps the contact's new
    messages in it without reopening it, greeting them or queueing it for anyone."""
    performer = performer_of(actor, performer)
    conversation = conversation_status_set(
        account=account,
        actor=actor,
        conversation=conversation,
        status=Status.RESOLVED,
        performer=performer,
    )
    return _mute_set(conversation, timezone.now() + period, performer)


@transaction.atomic
def conversation_unmute(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    performer: Performer | None = None,
) -> Conversation:
    """Ends a mute: the contact's next message opens a conversation again."""
    check_access(account=account, actor=actor, conversation=conversation)
    return _mute_set(conversation, None, performer_of(actor, performer))


def _mute_set(conversation: Conversation, until: datetime | None, performer: Performer):
    conversation = lock_conversation(conversation.pk)
    was_muted = conversation.is_muted()
    if until is None and not was_muted:
        return conversation
    conversation.muted_until = until
    conversation.save(update_fields=["muted_until", "updated_at"])
    who = performer_label(performer)
    with account_language(conversation.account):
        if until is None:
            text = _("Conversation unmuted by %(performer)s") % {"performer": who}
        else:
            text = _("Conversation muted by %(performer)s") % {"performer": who}
    activity_add(conversation=conversation, content=text, performer=performer)
    conv_events.conversation_event(
        conv_events.CONVERSATION_UPDATED,
        conversation=conversation,
        performer=performer,
        extra=conv_events.changed("muted", was_muted, until is not None),
    )
    return conversation


def conversations_wake_snoozed(*, at: datetime) -> int:
    """Reopens snoozed conversations whose time has come (the beat task calls this)."""
    due = list(
        Conversation.objects.filter(
            status=Status.SNOOZED, snoozed_until__isnull=False, snoozed_until__lte=at
        ).values_list("pk", flat=True)[:500]
    )
    woken = 0
    for pk in due:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("account")
                .filter(pk=pk, status=Status.SNOOZED, snoozed_until__lte=at)
                .first()
            )
            if conversation is None:
                continue
            conversation_status_set(
                account=conversation.account,
                actor=None,
                conversation=conversation,
                status=Status.OPEN,
                performer=Performer(type="system", name=""),
            )
            woken += 1
    return woken


@transaction.atomic
def conversation_priority_set(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    priority: str | None,
    performer: Performer | None = None,
) -> Conversation:
    check_access(account=account, actor=actor, conversation=conversation)
    priority = priority or ""
    if priority and priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    performer = performer_of(actor, performer)
    conversation = lock_conversation(conversation.pk)
    if conversation.priority == priority:
        return conversation
    previous = conversation.priority
    conversation.priority = priority
    conversation.save(update_fields=["priority", "updated_at"])
    with account_language(account):
        who = performer_label(performer)
        if priority:
            text = _("Priority set to %(priority)s by %(performer)s") % {
                "priority": Priority(priority).label,
                "performer": who,
            }
        else:
            text = _("Priority removed by %(performer)s") % {"performer": who}
    activity_add(conversation=conversation, content=text, performer=performer)
    conv_events.conversation_event(
        conv_events.CONVERSATION_UPDATED,
        conversation=conversation,
        performer=performer,
        extra=conv_events.changed("priority", previous or None, priority or None),
    )
    return conversation


def _clean_title(title: str) -> str:
    title = (title or "").strip().lower().replace(" ", "-")
    if not title or len(title) > 64:
        raise ValidationError({"labels": _("A label has 1 to 64 characters.")})
    return title


@transaction.atomic
def label_create(
    *,
    account: Account,
    actor: AccountUser | None,
    title: str,
    description: str = "",
    color: str = "#1f93ff",
) -> Label:
    title = _clean_title(title)
    label, _created = Label.objects.get_or_create(
        account=account,
        title__iexact=title,
        defaults={"title": title, "description": description, "color": color},
    )
    return label


@transaction.atomic
def conversation_labels_set(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    titles: Iterable[str],
    performer: Performer | None = None,
) -> list[str]:
    """Makes the conversation's labels exactly `titles` (Chatwoot's POST labels); unknown titles
    become new labels of the account.

    The conversation's row lock first: each label put on or taken off updates that row (its
    copy of the label ids, see ConversationLabelTally), so two people labelling the same
    conversation at once wait for each other here rather than deadlock halfway through."""
    check_access(account=account, actor=actor, conversation=conversation)
    lock_row(conversation.pk)
    wanted = {_clean_title(t) for t in titles}
    labels = {
        label.title: label
        for label in (label_create(account=account, actor=actor, title=t) for t in sorted(wanted))
    }
    current = {
        cl.label.title: cl
        for cl in ConversationLabel.objects.filter(conversation=conversation).select_related(
            "label"
        )
    }
    for title in set(current) - wanted:
        current[title].delete()
    ConversationLabel.objects.bulk_create(
        [
            ConversationLabel(account=account, conversation=conversation, label=labels[t])
            for t in wanted - set(current)
        ],
        ignore_conflicts=True,
    )
    if wanted != set(current):
        performer = performer_of(actor, performer)
        conversation = Conversation.objects.select_related(
            "inbox", "contact", "assignee__user", "team"
        ).get(pk=conversation.pk)
        conv_events.conversation_event(
            conv_events.CONVERSATION_UPDATED,
            conversation=conversation,
            performer=performer,
            extra={"labels": sorted(wanted)},
        )
    return sorted(wanted)


@transaction.atomic
def conversation_mark_read(
    *, account: Account, actor: AccountUser, conversation: Conversation
) -> None:
    """The agents have seen everything up to now (clears the unread count)."""
    check_access(account=account, actor=actor, conversation=conversation)
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(agent_last_seen_at=now)
    # The person's other tabs clear the unread count too.
    events.emit(
        events.Event(
            name=conv_events.CONVERSATION_READ,
            account_id=account.pk,
            data={"id": conversation.display_id, "agent_last_seen_at": int(now.timestamp())},
            performer=performer_of(actor),
            user_ids=frozenset({actor.user_id}),
            admins=False,
        )
    )


COMPACT_TALLY_SQL = """
WITH gone AS (
    DELETE FROM conversations_conversationtally WHERE account_id = %s
    RETURNING account_id, status, inbox_id, team_id, assignee_id, n
)
INSERT INTO conversations_conversationtally (account_id, status, inbox_id, team_id, assignee_id, n)
SELECT account_id, status, inbox_id, team_id, assignee_id, SUM(n)
FROM gone GROUP BY account_id, status, inbox_id, team_id, assignee_id HAVING SUM(n) <> 0
"""
COMPACT_LABEL_TALLY_SQL = """
WITH gone AS (
    DELETE FROM conversations_conversationlabeltally WHERE account_id = %s
    RETURNING account_id, label_id, status, inbox_id, assignee_id, n
)
INSERT INTO conversations_conversationlabeltally
    (account_id, label_id, status, inbox_id, assignee_id, n)
SELECT account_id, label_id, status, inbox_id, assignee_id, SUM(n)
FROM gone GROUP BY account_id, label_id, status, inbox_id, assignee_id HAVING SUM(n) <> 0
"""


def conversation_tally_compact(*, account_id: int) -> None:
    """Folds the account's tally rows into one per cell (see ConversationTally and
    ConversationLabelTally), one statement per tally. Exact while conversations change: the
    triggers only insert, and rows committed after a statement's snapshot are neither deleted
    nor summed by it, so they stay."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(COMPACT_TALLY_SQL, [account_id])
        cursor.execute(COMPACT_LABEL_TALLY_SQL, [account_id])


def conversation_tallies_compact(*, min_rows: int = 200) -> int:
    """The periodic sweep's part: compacts every account with more than `min_rows` rows in
    either tally. Returns how many accounts it compacted."""
    if connection.vendor != "postgresql":
        return 0
    from conversations.models import ConversationLabelTally, ConversationTally

    crowded = set()
    for model in (ConversationTally, ConversationLabelTally):
        crowded.update(
            model.objects.values("account_id")
            .annotate(rows=Count("pk"))
            .filter(rows__gt=min_rows)
            .values_list("account_id", flat=True)
        )
    for account_id in sorted(crowded):
        conversation_tally_compact(account_id=account_id)
    return len(crowded)


@transaction.atomic
def contact_labels_set(
    *, account: Account, actor: AccountUser | None, contact: Contact, titles: Iterable[str]
) -> list[str]:
    """Makes the contact's labels exactly `titles` (Chatwoot's POST contacts/{id}/labels);
    unknown titles become new labels of the account."""
    if contact.account_id != account.pk:
        raise NotFound("contact not found")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    wanted = {_clean_title(t) for t in titles}
    labels = {
        label.title: label
        for label in (label_create(account=account, actor=actor, title=t) for t in sorted(wanted))
    }
    current = {
        cl.label.title: cl
        for cl in ContactLabel.objects.filter(contact=contact).select_related("label")
    }
    for title in set(current) - wanted:
        current[title].delete()
    ContactLabel.objects.bulk_create(
        [
            ContactLabel(account=account, contact=contact, label=labels[t])
            for t in wanted - set(current)
        ],
        ignore_conflicts=True,
    )
    if wanted != set(current):
        conv_events.contact_event(
            conv_events.CONTACT_UPDATED, contact=contact, performer=performer_of(actor)
        )
    return sorted(wanted)
