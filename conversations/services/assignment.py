"""Assigning conversations to people and teams, forwarding, and the waiting queue.

Locks are always taken in the same order — the inbox (the assignment engine's lock), then the
conversation — so that forwarding, rules and the queue drain can run at once without deadlock.
The inbox lock is FOR NO KEY UPDATE: it serialises assignments in the inbox like FOR UPDATE would,
but does not block the FOR KEY SHARE that PostgreSQL takes on the inbox row for every insert that
references it. With FOR UPDATE, a message arriving for a conversation being routed deadlocked:
it held the conversation and waited for the inbox, while the routing held the inbox and waited
for the conversation.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from conversations import events as conv_events
from conversations.models import Conversation, Status
from conversations.services.common import (
    LOCKED_RELATIONS,
    account_language,
    check_access,
    intake_hooks,
    lock_conversation,
    performer_label,
    performer_of,
)
from conversations.services.messages import activity_add, message_send, system_message_send
from inboxes.selectors import is_assignable
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.events import Performer
from nexloo.core.tasks import enqueue, enqueue_on_commit
from teams.assignment import AssignmentRound, lock_inbox
from teams.models import Team, TeamMember

logger = logging.getLogger(__name__)
AUTOMATIC = Performer(type="system", name="")
DRAIN_BATCH = 200
INTAKE_GRACE = timedelta(minutes=1)


def _set_assignee(
    conversation: Conversation, assignee: AccountUser | None, performer: Performer
) -> bool:
    """Writes the assignee and its activity line; returns whether it changed. In a transaction."""
    if conversation.assignee_id == (assignee.pk if assignee else None):
        return False
    previous = conversation.assignee
    conversation.assignee = assignee
    conversation.assigned_at = timezone.now() if assignee is not None else None
    # Unassigned by a rule (or by what a rule set off): whichever drain assigns it later
    # credits that rule (see Conversation.queue_cause_rule_id).
    conversation.queue_cause_rule_id = performer.rule_id if assignee is None else None
    conversation.save(
        update_fields=["assignee", "assigned_at", "queue_cause_rule_id", "updated_at"]
    )
    with account_language(conversation.account):
        who = performer_label(performer)
        if assignee is None:
            text = _("Conversation unassigned by %(performer)s") % {"performer": who}
        else:
            text = _("Conversation assigned to %(assignee)s by %(performer)s") % {
                "assignee": assignee.available_name,
                "performer": who,
            }
    activity_add(conversation=conversation, content=text, performer=performer)
    conv_events.conversation_event(
        conv_events.ASSIGNEE_CHANGED,
        conversation=conversation,
        performer=performer,
        extra=conv_events.changed(
            "assignee_id",
            previous.user_id if previous else None,
            assignee.user_id if assignee else None,
        ),
        # The previous assignee's screen must drop it from "Minhas".
        also_notify=frozenset({previous.user_id}) if previous else frozenset(),
    )
    if previous is not None and conversation.status == Status.OPEN:
        # The previous assignee has room for one more; an unassigned conversation may now wait.
        schedule_drain(conversation.inbox_id)
    return True


def _preferred(conversation: Conversation) -> int | None:
    """With fixed contact assignment, whoever served this contact last in the inbox."""
    if not conversation.inbox.fixed_contact_assignment:
        return None
    return (
        Conversation.objects.filter(
            contact_inbox_id=conversation.contact_inbox_id, assignee__isnull=False
        )
        .exclude(pk=conversation.pk)
        .order_by("-created_at")
        .values_list("assignee_id", flat=True)
        .first()
    )


def _auto_assign(
    conversation: Conversation, performer: Performer, round: AssignmentRound | None = None
) -> AccountUser | None:
    """Asks the engine for an assignee (the caller holds the inbox lock, then the
    conversation's). A drain passes its round, so the picture of who has room carries over."""
    if conversation.status != Status.OPEN or conversation.assignee_id:
        return None
    round = round or AssignmentRound(conversation.inbox)
    chosen = round.choose(conversation.team, _preferred(conversation))
    if chosen is not None:
        _set_assignee(conversation, chosen, performer)
    return chosen


@transaction.atomic
def conversation_assign_agent(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    assignee: AccountUser | None,
    performer: Performer | None = None,
) -> Conversation:
    """A person (or a rule) gives the conversation to someone, or unassigns it (None)."""
    check_access(account=account, actor=actor, conversation=conversation)
    _check_assignable(account, conversation, assignee)
    performer = performer_of(actor, performer)
    conversation = lock_conversation(conversation.pk)
    _set_assignee(conversation, assignee, performer)
    return conversation


def _check_assignable(
    account: Account, conversation: Conversation, assignee: AccountUser | None
) -> None:
    if assignee is None:
        return
    if assignee.account_id != account.pk:
        raise NotFound("agent not found")
    if not is_assignable(inbox_id=conversation.inbox_id, membership=assignee):
        raise ValidationError(
            {
                "assignee_id": _("%(name)s does not work in this inbox.")
                % {"name": assignee.shown_name}
            }
        )


@transaction.atomic
def conversation_assign_team(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    team: Team | None,
    performer: Performer | None = None,
    verb: str = "assigned",
    auto_assign: bool = True,
) -> Conversation:
    """Routes the conversation to a team (or out of one, with None).

    An assignee who is not in the new team is cleared first; the team's routing message goes to
    the contact; with the team's automatic assignment (and `auto_assign`, off when the caller
    names the agent itself) a member is then picked by the engine.
    """
    check_access(account=account, actor=actor, conversation=conversation)
    if team is not None and team.account_id != account.pk:
        raise NotFound("team not found")
    performer = performer_of(actor, performer)
    lock_inbox(conversation.inbox_id)
    conversation = lock_conversation(conversation.pk)
    if conversation.team_id == (team.pk if team else None):
        return conversation
    if (
        team is not None
        and conversation.assignee_id
        and not TeamMember.objects.filter(
            team=team, account_user_id=conversation.assignee_id
        ).exists()
    ):
        _set_assignee(conversation, None, performer)
    previous = conversation.team
    conversation.team = team
    if conversation.assignee_id is None:
        # Routed (or taken out of a team) while unassigned: it may wait for the queue now.
        conversation.queue_cause_rule_id = performer.rule_id
    conversation.save(update_fields=["team", "queue_cause_rule_id", "updated_at"])
    with account_language(account):
        who = performer_label(performer)
        if team is None:
            text = _("Removed from team %(team)s by %(performer)s") % {
                "team": previous.name,
                "performer": who,
            }
        elif verb == "forwarded":
            text = _("Forwarded to team %(team)s by %(performer)s") % {
                "team": team.name,
                "performer": who,
            }
        else:
            text = _("Assigned to team %(team)s by %(performer)s") % {
                "team": team.name,
                "performer": who,
            }
    activity_add(conversation=conversation, content=text, performer=performer)
    conv_events.conversation_event(
        conv_events.TEAM_CHANGED,
        conversation=conversation,
        performer=performer,
        extra=conv_events.changed(
            "team_id", previous.pk if previous else None, team.pk if team else None
        ),
    )
    if team is None:
        return conversation
    if team.routing_message.strip() and conversation.status != Status.RESOLVED:
        # Signed by the team; when a rule routed it, the rule is its cause (rules never trigger
        # on what rules caused).
        cause = "automation_rule" if performer.type == "automation_rule" else "system"
        system_message_send(
            conversation=conversation,
            content=team.routing_message,
            performer=Performer(
                type=cause, id=performer.id if cause != "system" else None, name=team.name
            ),
            kind="routing_message",
        )
    if team.allow_auto_assign and auto_assign:
        # The engine chose the person: the line credits the automatic assignment, not whoever
        # routed the conversation to the team; a rule that routed it stays its cause (no loop).
        _auto_assign(conversation, AUTOMATIC.set_off_by(performer))
    return conversation


@transaction.atomic
def conversation_forward(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    team: Team | None = None,
    assignee: AccountUser | None = None,
    note: str = "",
    verb: str = "forwarded",
) -> Conversation:
    """Encaminhar: hand the conversation to a team and/or a person, with an optional private
    note for whoever picks it up."""
    if team is None and assignee is None:
        raise ValidationError({"team_id": _("Choose a team or an agent to forward to.")})
    _check_assignable(account, conversation, assignee)
    if (
        team is not None
        and assignee is not None
        and not TeamMember.objects.filter(team=team, account_user=assignee).exists()
    ):
        raise ValidationError({"assignee_id": _("This agent is not in the chosen team.")})
    if team is not None:
        # A named agent is the choice: round robin must not pick (and notify) someone first.
        conversation = conversation_assign_team(
            account=account,
            actor=actor,
            conversation=conversation,
            team=team,
            verb=verb,
            auto_assign=assignee is None,
        )
    if assignee is not None:
        conversation = conversation_assign_agent(
            account=account, actor=actor, conversation=conversation, assignee=assignee
        )
    if note.strip():
        message_send(
            account=account, actor=actor, conversation=conversation, content=note, private=True
        )
    return conversation


def conversation_assignments(
    *,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    assignee: AccountUser | None = None,
    team: Team | None = None,
    unassign: bool = False,
    leave_team: bool = False,
    note: str = "",
) -> Conversation:
    """Chatwoot's POST …/assignments: to a team and/or a person (forwarding, with an optional
    note), or `unassign` the person, or `leave_team`."""
    if team is not None or assignee is not None:
        return conversation_forward(
            account=account,
            actor=actor,
            conversation=conversation,
            team=team,
            assignee=assignee,
            note=note,
        )
    if unassign:
        return conversation_assign_agent(
            account=account, actor=actor, conversation=conversation, assignee=None
        )
    if leave_team:
        return conversation_assign_team(
            account=account, actor=actor, conversation=conversation, team=None
        )
    raise ValidationError({"assignee_id": _("Give assignee_id and/or team_id.")})


INTAKE_MARK_SQL = (  # the table's name is the model's, not input
    f"UPDATE {Conversation._meta.db_table} SET intake_done_at = %s"  # noqa: S608
    " WHERE id = %s AND intake_done_at IS NULL RETURNING inbox_id"
)


class _MovedInbox(Exception):
    """The conversation is in another inbox than the one whose lock the intake took."""

    def __init__(self, inbox_id: int) -> None:
        self.inbox_id = inbox_id


def conversation_intake(
    *, conversation_id: int, final_attempt: bool = False, inbox_id: int | None = None
) -> bool:
    """A new conversation: intake hooks (the automation rules) first, then, if it still has
    no team, the inbox's own automatic assignment — all in one transaction that marks the
    intake done, so it happens once (a redelivered task finds it done) and a failure leaves
    the conversation for the retry or the sweep, out of every waiting queue meanwhile.
    A hook's transient failure propagates (the task retries); see IntakeHook for the last try.
    `inbox_id`: the conversation's inbox as its creator knew it (saves a read; checked under
    the lock). Returns whether this call did the intake."""
    if inbox_id is None:
        inbox_id = (
            Conversation.objects.filter(pk=conversation_id, intake_done_at__isnull=True)
            .values_list("inbox_id", flat=True)
            .first()
        )
        if inbox_id is None:
            return False
    for _attempt in range(3):
        try:
            return _intake(conversation_id, inbox_id, final_attempt)
        except _MovedInbox as moved:
            inbox_id = moved.inbox_id  # moved before its intake: that inbox's lock, then again
    raise RuntimeError(f"conversation {conversation_id} keeps moving between inboxes")


def _intake(conversation_id: int, inbox_id: int, final_attempt: bool) -> bool:
    with transaction.atomic():
        inbox = lock_inbox(inbox_id)
        # One statement takes the conversation's lock (without lock_conversation's joins, whose
        # planning is most of its cost: the hooks read what they need), checks that the intake
        # is not done and marks it done; a failure below rolls the mark back with the rest.
        with connection.cursor() as cursor:
            cursor.execute(INTAKE_MARK_SQL, [timezone.now(), conversation_id])
            row = cursor.fetchone()
        if row is None:
            return False  # done already (a redelivered task), or gone
        if row[0] != inbox.pk:
            raise _MovedInbox(row[0])
        for hook in intake_hooks:
            hook(
                conversation_id=conversation_id,
                final_attempt=final_attempt,
                account_id=inbox.account_id,
            )
        if inbox.enable_auto_assignment:
            # Read after the lock (see lock_conversation), and so after what the hooks did.
            conversation = Conversation.objects.select_related(*LOCKED_RELATIONS).get(
                pk=conversation_id
            )
            if conversation.team_id is None:
                _auto_assign(conversation, AUTOMATIC)  # open and unassigned only
    return True


def conversations_requeue_intake(*, at: datetime, limit: int = 500) -> int:
    """Queues again the intake of conversations whose task was lost (a worker killed, Redis
    away when it was queued): older than a minute and still not done. Returns how many."""
    lost = list(
        Conversation.objects.filter(intake_done_at__isnull=True, created_at__lte=at - INTAKE_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    from conversations.tasks import intake

    for pk in lost:
        enqueue(intake, pk)
    return len(lost)


def waiting_q() -> Q:
    """Conversations waiting for automatic assignment: open, unassigned, past their intake (the
    rules decide first), and either routed to a team that auto-assigns or team-less in an inbox
    that auto-assigns."""
    return Q(status=Status.OPEN, assignee__isnull=True, intake_done_at__isnull=False) & (
        Q(team__allow_auto_assign=True) | Q(team__isnull=True, inbox__enable_auto_assignment=True)
    )


def assignment_queue_drain(
    *, inbox_id: int, cause_conversation_id: int | None = None, cause_rule_id: int | None = None
) -> int:
    """Assigns waiting conversations of an inbox, oldest first, while someone has room.
    Whatever set the drain off (an agent coming online, the sweep, another conversation
    freeing capacity), a conversation that a rule left waiting is assigned with that rule as
    its cause (`queue_cause_rule_id`), so that rules do not trigger on it; the others are the
    queue's own. Returns how many were assigned.

    `cause_conversation_id`/`cause_rule_id`: what drain tasks queued before the column existed
    (migration conversations 0012) carried instead; read only when the column is empty."""
    assigned = 0
    with transaction.atomic():
        inbox = lock_inbox(inbox_id)
        round = AssignmentRound(inbox)
        if round.exhausted:
            return 0
        # The rows locked alone, then read with their relations (see lock_conversation: a
        # locking read's joined rows may be older than the row it locked).
        locked = list(
            Conversation.objects.filter(inbox=inbox)
            .filter(waiting_q())
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        waiting = (
            Conversation.objects.filter(pk__in=locked)
            .filter(waiting_q())
            .select_related("inbox", "contact", "team", "account")
            .order_by("created_at", "pk")
        )
        for conversation in waiting:
            rule_id = conversation.queue_cause_rule_id
            if rule_id is None and conversation.pk == cause_conversation_id:
                rule_id = cause_rule_id
            performer = AUTOMATIC if rule_id is None else replace(AUTOMATIC, cause_rule_id=rule_id)
            if _auto_assign(conversation, performer, round) is not None:
                assigned += 1
            if round.exhausted:
                break
    return assigned


def assignment_queues_sweep() -> int:
    """Drains, in tasks, every inbox where conversations wait for automatic assignment: the safety
    net for a drain that was never queued (Redis down when someone came online or a conversation
    was resolved). A queue nobody has room for costs one locked read. Returns how many."""
    inbox_ids = list(
        Conversation.objects.filter(waiting_q())
        .order_by()
        .values_list("inbox_id", flat=True)
        .distinct()
    )
    for inbox_id in inbox_ids:
        schedule_drain(inbox_id)
    return len(inbox_ids)


def unassign_departed(*, account_id: int, inbox_id: int, user_ids: list[int]) -> int:
    """People who no longer work in an inbox give back its open conversations (administrators
    keep theirs: they see every inbox). Returns how many were unassigned."""
    departed = list(
        Conversation.objects.filter(
            account_id=account_id,
            inbox_id=inbox_id,
            status__in=(Status.OPEN, Status.PENDING, Status.SNOOZED),
            assignee__user_id__in=user_ids,
            assignee__role="agent",
        ).values_list("pk", flat=True)
    )
    for pk in departed:
        with transaction.atomic():
            lock_inbox(inbox_id)
            conversation = lock_conversation(pk)
            if conversation.assignee_id and not is_assignable(
                inbox_id=inbox_id, membership=conversation.assignee
            ):
                _set_assignee(conversation, None, AUTOMATIC)
    return len(departed)


def schedule_drain(inbox_id: int) -> None:
    """Drains the inbox's queue after the commit. A conversation that a rule left waiting
    carries the rule itself (`queue_cause_rule_id`, written in the rule's transaction), so this
    drain and any other credit it as the cause of the assignment."""
    from conversations.tasks import drain_assignment_queue

    enqueue_on_commit(drain_assignment_queue, inbox_id)
