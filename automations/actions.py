"""What a rule does: Chatwoot's actions (`{action_name, action_params}`), each through the
service a person would use, with the rule as performer — so the routing message, the team's
auto-assignment, the activity lines and the events happen as they would for a person, and the
events say a rule caused them (rules never trigger on those).

`validate_actions` checks a list before it is stored; `run_action` does one. A problem that a
retry cannot fix (a team deleted since, an agent no longer in the inbox) raises one of the
`PERMANENT` errors; anything else is taken as transient and retried by the caller.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, AccountUser
from conversations import services as conv_services
from conversations.events import conversation_data, message_data
from conversations.models import (
    Conversation,
    ConversationLabel,
    Label,
    Message,
    Priority,
    SenderType,
    Status,
)
from nexloo.core.errors import BadParameter, NotFound, PermissionDenied, ValidationError
from nexloo.core.events import Performer
from nexloo.core.params import parse_int
from nexloo.core.tasks import enqueue_on_commit
from teams.models import Team

PERMANENT = (ValidationError, NotFound, PermissionDenied)

# Parameter kinds, which also pick the builder's widget.
NONE, TEAM, AGENT, LABELS, TEXT, EMAIL_TEAM, EMAILS, PRIORITY, URL = (
    "none",
    "team",
    "agent",
    "labels",
    "text",
    "email_team",
    "emails",
    "priority",
    "url",
)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: Any
    params: str


ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in (
        ActionSpec("assign_team", gettext_lazy("Assign to team"), TEAM),
        ActionSpec("assign_agent", gettext_lazy("Assign to agent"), AGENT),
        ActionSpec("add_label", gettext_lazy("Add label"), LABELS),
        ActionSpec("remove_label", gettext_lazy("Remove label"), LABELS),
        ActionSpec("send_message", gettext_lazy("Send a message"), TEXT),
        ActionSpec("add_private_note", gettext_lazy("Add a private note"), TEXT),
        ActionSpec("send_email_to_team", gettext_lazy("Send an e-mail to the team"), EMAIL_TEAM),
        ActionSpec("send_email_transcript", gettext_lazy("Send the transcript by e-mail"), EMAILS),
        ActionSpec("mute_conversation", gettext_lazy("Mute the conversation"), NONE),
        ActionSpec("snooze_conversation", gettext_lazy("Snooze the conversation"), NONE),
        ActionSpec("resolve_conversation", gettext_lazy("Resolve the conversation"), NONE),
        ActionSpec("open_conversation", gettext_lazy("Open the conversation"), NONE),
        ActionSpec("change_priority", gettext_lazy("Change the priority"), PRIORITY),
        ActionSpec("send_webhook_event", gettext_lazy("Send a webhook event"), URL),
    )
}
UNASSIGN = (None, "nil", "none", 0, "0")  # "nobody": assign_team/assign_agent unassign


def _err(index: int, message: str, part: str = "action_params") -> ValidationError:
    return ValidationError({f"actions[{index}].{part}": [message]})


def _params(raw: Any) -> list[Any]:
    if raw is None:
        return []
    return list(raw) if isinstance(raw, list | tuple) else [raw]


def _int(value: Any) -> int | None:
    """An id (a number or digits, within a bigint), or None when the value cannot be one."""
    try:
        return parse_int(value, name="id", minimum=1)
    except BadParameter:
        return None


def check_webhook_url(url: str) -> str:
    """An http(s) address; a literal private or loopback address is refused here already (names
    are resolved and checked again when the post is sent, see nexloo.core.webhooks)."""
    from django.conf import settings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_("Give an address starting with https:// or http://."))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            address = None
        if parts.hostname == "localhost" or (address is not None and not address.is_global):
            raise ValueError(_("Webhooks cannot be sent to private or local addresses."))
    return url


def _clean(index: int, spec: ActionSpec, params: list[Any], account_id: int) -> list[Any]:
    if spec.params == NONE:
        return []
    if spec.params == TEAM:
        if not params:
            raise _err(index, _("Choose one of this account's teams."))
        if params[0] in UNASSIGN:
            return [None]
        team_id = _int(params[0])
        if team_id is None or not Team.objects.filter(account_id=account_id, pk=team_id).exists():
            raise _err(index, _("Choose one of this account's teams."))
        return [team_id]
    if spec.params == AGENT:
        if not params:
            raise _err(index, _("Choose one of this account's agents."))
        if params[0] in UNASSIGN:
            return [None]
        user_id = _int(params[0])
        if (
            user_id is None
            or not AccountUser.objects.filter(account_id=account_id, user_id=user_id).exists()
        ):
            raise _err(index, _("Choose one of this account's agents."))
        return [user_id]
    if spec.params == LABELS:
        titles = sorted({str(p).strip().lower() for p in params if str(p).strip()})
        if not titles:
            raise _err(index, _("Choose at least one label."))
        known = set(
            Label.objects.filter(account_id=account_id, title__in=titles).values_list(
                "title", flat=True
            )
        )
        unknown = [t for t in titles if t not in known]
        if unknown:
            raise _err(index, _("There is no label %(label)s.") % {"label": unknown[0]})
        return titles
    if spec.params == TEXT:
        text = str(params[0]).strip() if params and isinstance(params[0], str) else ""
        if not text:
            raise _err(index, _("Write the message."))
        return [text]
    if spec.params == EMAIL_TEAM:
        item = params[0] if params and isinstance(params[0], dict) else {}
        message = str(item.get("message") or "").strip()
        team_ids = [_int(t) for t in _params(item.get("team_ids"))]
        if not message:
            raise _err(index, _("Write the message."))
        if not team_ids or any(t is None for t in team_ids):
            raise _err(index, _("Choose at least one team."))
        known = set(
            Team.objects.filter(account_id=account_id, pk__in=team_ids).values_list("pk", flat=True)
        )
        if set(team_ids) - known:
            raise _err(index, _("Choose one of this account's teams."))
        return [{"message": message, "team_ids": sorted(set(team_ids))}]
    if spec.params == EMAILS:
        emails = [str(p).strip() for p in params if str(p).strip()]
        if not emails:
            raise _err(index, _("Give an e-mail address."))
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                raise _err(
                    index, _("%(email)s is not an e-mail address.") % {"email": email}
                ) from None
        return emails
    if spec.params == PRIORITY:
        value = params[0] if params else None
        if value in (None, "", "nil", "none"):
            return [None]
        if value not in Priority.values:
            raise _err(index, _("Choose a priority."))
        return [value]
    if spec.params == URL:
        url = str(params[0]).strip() if params and isinstance(params[0], str) else ""
        try:
            return [check_webhook_url(url)]
        except ValueError as exc:
            raise _err(index, str(exc)) from None
    raise _err(index, _("Unknown action."), "action_name")


def validate_actions(actions: Any, *, account_id: int) -> list[dict[str, Any]]:
    """The actions, normalised, or a ValidationError naming `actions[i]…`; at least one."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError({"actions": [_("Add at least one action.")]})
    cleaned = []
    for index, item in enumerate(actions):
        name = str((item or {}).get("action_name") or "") if isinstance(item, dict) else ""
        spec = ACTIONS.get(name)
        if spec is None:
            raise _err(index, _("Unknown action %(name)s.") % {"name": name or "—"}, "action_name")
        params = _clean(index, spec, _params(item.get("action_params")), account_id)
        cleaned.append({"action_name": name, "action_params": params})
    return cleaned


@dataclass
class Context:
    account: Account
    conversation: Conversation
    performer: Performer
    rule_id: int
    rule_event: str
    message: Message | None = None


def _team(ctx: Context, team_id: Any) -> Team | None:
    if team_id is None:
        return None
    # A stored rule may hold what validation now refuses: a permanent error, never a retry.
    team_id = _int(team_id)
    team = Team.objects.filter(account_id=ctx.account.pk, pk=team_id).first() if team_id else None
    if team is None:
        raise NotFound(_("The team of this action no longer exists."))
    return team


def run_action(ctx: Context, action: dict[str, Any]) -> str:
    """Does one action on `ctx.conversation` (kept up to date); returns what was done."""
    name = action["action_name"]
    params = action.get("action_params") or []
    common = {"account": ctx.account, "actor": None, "conversation": ctx.conversation}
    first = params[0] if params else None
    if name == "assign_team":
        team = _team(ctx, first)
        ctx.conversation = conv_services.conversation_assign_team(
            **common, team=team, performer=ctx.performer
        )
        return f"assign_team:{team.name if team else '-'}"
    if name == "assign_agent":
        assignee = None
        if first is not None:
            user_id = _int(first)
            assignee = (
                AccountUser.objects.filter(account_id=ctx.account.pk, user_id=user_id)
                .select_related("user")
                .first()
                if user_id
                else None
            )
            if assignee is None:
                raise NotFound(_("The agent of this action is no longer in the account."))
        ctx.conversation = conv_services.conversation_assign_agent(
            **common, assignee=assignee, performer=ctx.performer
        )
        return f"assign_agent:{assignee.available_name if assignee else '-'}"
    if name in ("add_label", "remove_label"):
        current = set(
            ConversationLabel.objects.filter(conversation=ctx.conversation).values_list(
                "label__title", flat=True
            )
        )
        wanted = current | set(params) if name == "add_label" else current - set(params)
        conv_services.conversation_labels_set(**common, titles=wanted, performer=ctx.performer)
        return f"{name}:{','.join(params)}"
    if name in ("send_message", "add_private_note"):
        conv_services.message_send(
            **common,
            content=first,
            private=name == "add_private_note",
            performer=ctx.performer,
            sender_type=SenderType.AUTOMATION,
        )
        return name
    if name == "mute_conversation":
        ctx.conversation = conv_services.conversation_mute(**common, performer=ctx.performer)
        return name
    if name in ("resolve_conversation", "open_conversation", "snooze_conversation"):
        status = {
            "resolve_conversation": Status.RESOLVED,
            "open_conversation": Status.OPEN,
            "snooze_conversation": Status.SNOOZED,
        }[name]
        ctx.conversation = conv_services.conversation_status_set(
            **common, status=status, performer=ctx.performer
        )
        return name
    if name == "change_priority":
        ctx.conversation = conv_services.conversation_priority_set(
            **common, priority=first, performer=ctx.performer
        )
        return f"change_priority:{first or '-'}"
    from automations import tasks

    if name == "send_email_to_team":
        team_ids = [_int(t) for t in first["team_ids"]]
        if None in team_ids:
            raise NotFound(_("The team of this action no longer exists."))
        enqueue_on_commit(
            tasks.send_team_email, ctx.rule_id, ctx.conversation.pk, team_ids, first["message"]
        )
        return name
    if name == "send_email_transcript":
        enqueue_on_commit(tasks.send_transcript, ctx.conversation.pk, list(params))
        return name
    if name == "send_webhook_event":
        payload = {"event": ctx.rule_event, **conversation_data(ctx.conversation)}
        if ctx.message is not None:
            payload["message"] = message_data(ctx.message)
        enqueue_on_commit(tasks.send_webhook, ctx.rule_id, first, payload)
        return name
    raise ValidationError({"action_name": _("Unknown action %(name)s.") % {"name": name}})
