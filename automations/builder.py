"""The rule builder's rows: from the posted form to Chatwoot's JSON and back, and what each row
shows (the operators that fit its attribute, a value widget that fits its kind, its errors).

Rows are posted as `conditions-<n>-<part>` and `actions-<n>-<part>`; `<n>` only orders them.
Errors from the service name rows by position (`conditions[1].values`), and a re-rendered form
numbers its rows by position, so each error lands next to its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AccountUser
from accounts.selectors import shown_name_sql
from automations import actions as act
from automations import conditions as cond
from conversations.models import Label, Priority
from inboxes.models import Inbox
from teams.models import Team

ROW_KEY = re.compile(r"^(conditions|actions)-(\d+)-(\w+)$")
ERROR_KEY = re.compile(r"^(conditions|actions)\[(\d+)\]\.(\w+)$")
CUSTOM_CHOICES = {
    "__conversation_attribute": "conversation_attribute",
    "__contact_attribute": "contact_attribute",
}


def _indexes(data, kind: str) -> list[int]:
    found = set()
    for key in data:
        match = ROW_KEY.match(key)
        if match and match.group(1) == kind:
            found.add(int(match.group(2)))
    return sorted(found)


def condition_from(data, n: int) -> dict[str, Any]:
    p = f"conditions-{n}-"
    attribute = data.get(p + "attribute_key", "")
    row: dict[str, Any] = {
        "attribute_key": attribute,
        "filter_operator": data.get(p + "filter_operator", ""),
        "query_operator": data.get(p + "query_operator", "and") or "and",
    }
    if attribute in CUSTOM_CHOICES:
        row["custom_attribute_type"] = CUSTOM_CHOICES[attribute]
        row["attribute_key"] = (data.get(p + "custom_key") or "").strip()
    if row["filter_operator"] == cond.ATTRIBUTE_CHANGED:
        row["values"] = {"from": data.getlist(p + "from"), "to": data.getlist(p + "to")}
    else:
        row["values"] = [v for v in data.getlist(p + "values") if v.strip()]
    return row


def action_from(data, n: int) -> dict[str, Any]:
    p = f"actions-{n}-"
    name = data.get(p + "action_name", "")
    spec = act.ACTIONS.get(name)
    if spec is not None and spec.params == act.EMAIL_TEAM:
        params: list[Any] = [
            {"message": data.get(p + "message", ""), "team_ids": data.getlist(p + "team_ids")}
        ]
    elif spec is not None and spec.params == act.EMAILS:
        params = [e.strip() for v in data.getlist(p + "params") for e in v.split(",") if e.strip()]
    else:
        params = [v for v in data.getlist(p + "params") if v.strip()]
    return {"action_name": name, "action_params": params}


def rows_from_post(data) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (
        [condition_from(data, n) for n in _indexes(data, "conditions")],
        [action_from(data, n) for n in _indexes(data, "actions")],
    )


@dataclass
class RowErrors:
    conditions: dict[int, dict[str, str]] = field(default_factory=dict)
    actions: dict[int, dict[str, str]] = field(default_factory=dict)
    other: dict[str, list[str]] = field(default_factory=dict)


def split_errors(exc: ValidationError) -> RowErrors:
    errors = RowErrors()
    for key, messages in exc.message_dict.items():
        match = ERROR_KEY.match(key)
        if match:
            bucket = errors.conditions if match.group(1) == "conditions" else errors.actions
            bucket.setdefault(int(match.group(2)), {})[match.group(3)] = " ".join(messages)
        else:
            errors.other[key] = messages
    return errors


class Options:
    """The account's teams, agents, inboxes and labels, each read once when a widget needs it."""

    def __init__(self, account: Account) -> None:
        self.account = account

    @cached_property
    def teams(self) -> list[tuple[str, str]]:
        return [
            (str(pk), name)
            for pk, name in Team.objects.for_account(self.account)
            .order_by("name")
            .values_list("pk", "name")
        ]

    @cached_property
    def agents(self) -> list[tuple[str, str]]:
        return [
            (str(m.user_id), m.available_name)
            for m in AccountUser.objects.for_account(self.account)
            .select_related("user")
            .order_by(shown_name_sql())
        ]

    @cached_property
    def inboxes(self) -> list[tuple[str, str]]:
        return [
            (str(pk), name)
            for pk, name in Inbox.objects.for_account(self.account)
            .order_by("name")
            .values_list("pk", "name")
        ]

    @cached_property
    def labels(self) -> list[tuple[str, str]]:
        return [
            (t, t)
            for t in Label.objects.for_account(self.account)
            .order_by("title")
            .values_list("title", flat=True)
        ]

    def for_kind(self, kind: str, attribute: cond.Attribute | None = None) -> list:
        if kind == cond.CHOICE and attribute is not None:
            return [(k, str(v)) for k, v in attribute.choices.items()]
        return {
            cond.TEAM: lambda: self.teams,
            cond.AGENT: lambda: self.agents,
            cond.INBOX: lambda: self.inboxes,
            cond.LABEL: lambda: self.labels,
        }.get(kind, lambda: [])()


def attribute_choices() -> list[tuple[str, str]]:
    return [(a.key, str(a.label)) for a in cond.ATTRIBUTES.values()] + [
        (choice, str(cond.CUSTOM_LABELS[kind])) for choice, kind in CUSTOM_CHOICES.items()
    ]


def condition_context(
    row: dict[str, Any], index: int, options: Options, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    custom = row.get("custom_attribute_type")
    choice = (
        next(k for k, v in CUSTOM_CHOICES.items() if v == custom)
        if custom in CUSTOM_CHOICES.values()
        else row.get("attribute_key") or "status"
    )
    attribute = cond.ATTRIBUTES.get(choice)
    operators = cond.operators_for(row.get("attribute_key") or "", custom) or cond.operators_for(
        choice
    )
    if not operators:
        operators = cond.operators_for("status")
        choice, attribute = "status", cond.ATTRIBUTES["status"]
    operator = row.get("filter_operator")
    if operator not in operators:
        operator = operators[0]
    kind = attribute.kind if attribute else cond.TEXT
    if attribute is None and operator in (cond.IS_GREATER_THAN, cond.IS_LESS_THAN):
        kind = cond.NUMBER
    raw = row.get("values")
    changed = raw if isinstance(raw, dict) else {}
    values = (
        [str(v).lower() if isinstance(v, bool) else str(v) for v in (raw or [])]
        if not (changed)
        else []
    )
    if operator in cond.NO_VALUE:
        widget = "none"
    elif operator == cond.ATTRIBUTE_CHANGED:
        widget = "changed"
    elif kind in (cond.CHOICE, cond.TEAM, cond.AGENT, cond.INBOX, cond.LABEL):
        widget = "checkboxes"
    else:
        widget = kind  # text, number, date, boolean
    return {
        "index": index,
        "choice": choice,
        "custom_key": row.get("attribute_key", "") if custom else "",
        "is_custom": bool(custom),
        "attributes": attribute_choices(),
        "operator": operator,
        "operators": [(o, str(cond.OPERATOR_LABELS[o])) for o in operators],
        "widget": widget,
        "options": options.for_kind(kind, attribute),
        "values": values,
        "value": values[0] if values else "",
        "from_values": [str(v) for v in changed.get("from") or []],
        "to_values": [str(v) for v in changed.get("to") or []],
        "join": (row.get("query_operator") or "and").lower(),
        "errors": errors or {},
        "input_type": {"number": "number", "date": "date"}.get(widget, "text"),
        "placeholder": _("days") if operator == cond.DAYS_BEFORE else "",
    }


def action_context(
    row: dict[str, Any], index: int, options: Options, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    name = row.get("action_name") or "assign_team"
    spec = act.ACTIONS.get(name) or act.ACTIONS["assign_team"]
    params = row.get("action_params") or []
    email_team = params[0] if params and isinstance(params[0], dict) else {}
    widget_options: list = {
        act.TEAM: lambda: options.teams,
        act.AGENT: lambda: options.agents,
        act.LABELS: lambda: options.labels,
        act.EMAIL_TEAM: lambda: options.teams,
        act.PRIORITY: lambda: [(k, str(v)) for k, v in Priority.choices],
    }.get(spec.params, lambda: [])()
    values = [] if email_team else ["nil" if p is None else str(p) for p in params]
    if spec.params == act.EMAILS:
        values = [", ".join(values)] if values else []
    return {
        "index": index,
        "name": spec.name,
        "actions": [(a.name, str(a.label)) for a in act.ACTIONS.values()],
        "widget": spec.params,
        "options": widget_options,
        "values": values,
        "value": values[0] if values else "",
        "message": email_team.get("message", ""),
        "team_ids": [str(t) for t in email_team.get("team_ids") or []],
        "errors": errors or {},
    }
