"""The assignment engine: which person gets a conversation.

Every automatic assignment goes through `choose_assignee` — a rule's "assign to team", a person
forwarding to a team, an inbox's own auto-assignment, the waiting queue draining when someone
comes online. The engine does not know conversations (they live in an app above this one): the
conversations app registers a `WorkSource` that counts open conversations per agent.

Concurrency: callers hold `lock_inbox(inbox_id)` — a row lock on the inbox — from the choice
until their transaction commits the assignment. Capacity is per inbox, so serialising the
choices of one inbox is exactly what keeps a limit from being exceeded when many webhooks or
two people race; different inboxes never wait for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from django.db.models import Max, Subquery
from django.utils import timezone

from accounts.models import AccountUser
from accounts.presence import available_q
from inboxes.models import AssignmentPolicy, Inbox, InboxMember
from inboxes.selectors import inbox_assignment_top
from inboxes.services import inbox_member_mark_assigned
from teams.models import Team, TeamMember


class WorkSource(Protocol):
    def open_counts(self, *, inbox_id: int, account_user_ids: Sequence[int]) -> dict[int, int]:
        """Open conversations per agent (account user id) in the inbox."""
        ...


_work_source: WorkSource | None = None


def register_work_source(source: WorkSource) -> None:
    global _work_source
    _work_source = source


def _open_counts(inbox_id: int, account_user_ids: Sequence[int]) -> dict[int, int]:
    if _work_source is None or not account_user_ids:
        return {}
    return _work_source.open_counts(inbox_id=inbox_id, account_user_ids=account_user_ids)


def lock_inbox(inbox_id: int) -> Inbox:
    """Takes the inbox's assignment lock until the current transaction ends.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting a row that references the inbox (a message, a
    conversation) takes a key-share lock on it, which FOR UPDATE would block — a message arriving
    while its conversation is being routed would then deadlock with the routing.
    """
    return Inbox.objects.select_for_update(no_key=True).get(pk=inbox_id)


def eligible_members(
    *, inbox: Inbox, team: Team | None = None, at: datetime | None = None
) -> list[InboxMember]:
    """Members of the inbox (and of the team, when there is one) who can take work now, before
    the capacity limit is applied."""
    at = at or timezone.now()
    qs = InboxMember.objects.filter(inbox=inbox).filter(available_q(at, "account_user__"))
    if team is not None:
        qs = qs.filter(account_user__team_memberships__team=team)
    # With the inbox's round robin position (the highest of all its members, available or
    # not): one query for what a pick needs.
    top = (
        InboxMember.objects.filter(inbox_id=inbox.pk)
        .order_by()
        .values("inbox_id")
        .annotate(top=Max("last_assigned_seq"))
        .values("top")
    )
    return list(
        qs.select_related("account_user__user").annotate(inbox_top=Subquery(top)).order_by("pk")
    )


class AssignmentRound:
    """The choices made under one inbox lock.

    Who is available and how loaded they are is read once; each pick then updates that picture
    in memory (and the round robin position in the database), so draining a queue of a hundred
    conversations costs a handful of queries more than assigning one.
    """

    def __init__(self, inbox: Inbox, at: datetime | None = None) -> None:
        self.inbox = inbox
        self.members = eligible_members(inbox=inbox, at=at)
        self._teams: dict[int, set[int]] = {}
        self._top: int | None = None
        needs_counts = bool(inbox.max_assignment_limit) or (
            inbox.assignment_policy == AssignmentPolicy.LEAST_LOADED
        )
        self.counts: dict[int, int] = (
            _open_counts(inbox.pk, [m.account_user_id for m in self.members])
            if needs_counts
            else {}
        )

    def _in_team(self, team: Team) -> set[int]:
        if team.pk not in self._teams:
            self._teams[team.pk] = set(
                TeamMember.objects.filter(
                    team=team, account_user_id__in=[m.account_user_id for m in self.members]
                ).values_list("account_user_id", flat=True)
            )
        return self._teams[team.pk]

    def _has_room(self, member: InboxMember) -> bool:
        limit = self.inbox.max_assignment_limit
        return not limit or self.counts.get(member.account_user_id, 0) < limit

    @property
    def exhausted(self) -> bool:
        """Nobody in the inbox can take one more conversation in this round."""
        return not any(self._has_room(m) for m in self.members)

    def choose(
        self, team: Team | None = None, preferred_account_user_id: int | None = None
    ) -> AccountUser | None:
        """Picks who gets one conversation and records the pick; None when nobody can."""
        candidates = [m for m in self.members if self._has_room(m)]
        if team is not None:
            in_team = self._in_team(team)
            candidates = [m for m in candidates if m.account_user_id in in_team]
        if not candidates:
            return None
        chosen = next(
            (m for m in candidates if m.account_user_id == preferred_account_user_id), None
        )
        if chosen is None:
            if self.inbox.assignment_policy == AssignmentPolicy.LEAST_LOADED:
                chosen = min(
                    candidates,
                    key=lambda m: (
                        self.counts.get(m.account_user_id, 0),
                        m.last_assigned_seq,
                        m.pk,
                    ),
                )
            else:
                chosen = min(candidates, key=lambda m: (m.last_assigned_seq, m.pk))
        if self._top is None:
            self._top = getattr(chosen, "inbox_top", None)
            if self._top is None:
                self._top = inbox_assignment_top(inbox_id=self.inbox.pk)
        self._top += 1
        chosen.last_assigned_seq = self._top
        inbox_member_mark_assigned(member_id=chosen.pk, seq=self._top)
        self.counts[chosen.account_user_id] = self.counts.get(chosen.account_user_id, 0) + 1
        return chosen.account_user


def choose_assignee(
    *,
    inbox: Inbox,
    team: Team | None = None,
    preferred_account_user_id: int | None = None,
    at: datetime | None = None,
) -> AccountUser | None:
    """Picks who gets one conversation, and records the pick for round robin.

    Call inside a transaction that holds `lock_inbox(inbox.pk)` and that writes the assignment
    before it commits. Returns None when nobody is eligible: the conversation then waits.
    """
    return AssignmentRound(inbox, at).choose(team, preferred_account_user_id)
