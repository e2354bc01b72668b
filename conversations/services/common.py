"""What the conversation services share: who acts, in which language activity lines are
written, and the permission check for people acting on a conversation."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Protocol

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from conversations.models import Conversation
from inboxes.selectors import is_assignable
from nexloo.core.errors import NotFound
from nexloo.core.events import Performer


def performer_of(actor: AccountUser | None, performer: Performer | None = None) -> Performer:
    """The performer recorded on activity lines and events: the acting person, else the one
    given (an automation rule), else the system."""
    if performer is not None:
        return performer
    if actor is not None:
        return Performer(type="user", id=actor.user_id, name=actor.available_name)
    return Performer(type="system", name="")


def performer_label(performer: Performer) -> str:
    """How an activity line names the performer, in the active language."""
    if performer.type == "user":
        return performer.name
    if performer.type == "automation_rule" and performer.name:
        return _("Automation (%(rule)s)") % {"rule": performer.name}
    return _("Automation")


@contextmanager
def account_language(account: Account | int):
    locale = (
        account.locale if isinstance(account, Account) else Account.objects.get(pk=account).locale
    )
    with translation.override(locale):
        yield


def check_access(
    *, account: Account, actor: AccountUser | None, conversation: Conversation
) -> None:
    """A person acts on a conversation only in their account and, if an agent, in the inboxes
    they work in. Not allowed reads as not found."""
    if conversation.account_id != account.pk:
        raise NotFound("conversation not found")
    if actor is None:
        return
    if actor.account_id != account.pk:
        raise NotFound("conversation not found")
    # Who may act on an inbox's conversations is who may be given them.
    if not is_assignable(inbox_id=conversation.inbox_id, membership=actor):
        raise NotFound("conversation not found")


# What the services and conversations.events read of a locked conversation.
LOCKED_RELATIONS = ("inbox", "contact", "contact_inbox", "assignee__user", "team", "account")


def lock_row(conversation_id: int) -> None:
    """The conversation's row lock alone (one table: cheap to plan). Raises
    Conversation.DoesNotExist."""
    Conversation.objects.select_for_update().filter(pk=conversation_id).values_list(
        "pk", flat=True
    ).get()


def lock_conversation(
    conversation_id: int, *, related: tuple[str, ...] = LOCKED_RELATIONS
) -> Conversation:
    """Takes the conversation's row lock, then reads it with its relations: work only with
    what this returns, never with an instance read before the lock. Take the inbox lock
    (teams.assignment.lock_inbox) first whenever an assignment may follow.

    Two statements on purpose. A locking read that had to wait for another transaction gets
    that transaction's version of the locked row, but PostgreSQL re-checks only that row: the
    joined ones stay as the statement's snapshot saw them, so a `select_related` in the locking
    query pairs the new `assignee_id` with the old (missing) assignee. The read after the lock
    takes a new snapshot and sees everything committed before the lock was granted."""
    lock_row(conversation_id)
    return Conversation.objects.select_related(*related).get(pk=conversation_id)


class IntakeHook(Protocol):
    """Runs for each new conversation before the inbox's own auto-assignment (the automation
    rules register one, so that a rule routing to a team decides before round robin does).

    Called once per conversation inside the intake's transaction, which holds the inbox's and
    the conversation's locks and marks the intake done when it commits. A hook takes the id and
    raises on a transient failure (the intake task is then retried, and nothing it did stays);
    on the `final_attempt` it must not raise: it records what failed, and the conversation
    falls back to the inbox's round robin.
    """

    def __call__(self, *, conversation_id: int, final_attempt: bool, account_id: int) -> None: ...


intake_hooks: list[IntakeHook] = []


def register_intake_hook(hook: IntakeHook) -> None:
    if hook not in intake_hooks:
        intake_hooks.append(hook)
