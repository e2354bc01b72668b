"""The condition grammar of automation rules — the one Chatwoot's `conversations/filter` and
`contacts/filter` speak: a list of `{attribute_key, filter_operator, values, query_operator}`.

One module, two faces over the same attribute table:

- `evaluate(conditions, facts)` decides in memory for one conversation (and the message that
  triggered the rule), loading labels or business hours only when a condition asks;
- `build_q(conditions, account=…)` turns the same list into a Django `Q` over conversations (or
  contacts, `target="contact"`) for many at once.

`validate(conditions, account=…, event=…)` checks a list before it is stored or used and raises
Django's ValidationError naming the row (`conditions[1].values`), in the active language.

Rows are joined in order by the previous row's `query_operator` with SQL's precedence, as
Chatwoot builds its query: `a AND b OR c` is `(a AND b) OR c`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import AccountUser
from conversations.models import (
    Conversation,
    ConversationLabel,
    Label,
    Message,
    Priority,
    Status,
)
from inboxes.models import Inbox
from inboxes.selectors import inbox_is_open
from nexloo.core.errors import BadParameter, ValidationError
from nexloo.core.params import MAX_ID, parse_int
from teams.models import Team

EQUAL_TO = "equal_to"
NOT_EQUAL_TO = "not_equal_to"
CONTAINS = "contains"
DOES_NOT_CONTAIN = "does_not_contain"
STARTS_WITH = "starts_with"
IS_PRESENT = "is_present"
IS_NOT_PRESENT = "is_not_present"
IS_GREATER_THAN = "is_greater_than"
IS_LESS_THAN = "is_less_than"
DAYS_BEFORE = "days_before"
MAX_DAYS = 36_500  # a hundred years back: within what timedelta and PostgreSQL's dates hold
ATTRIBUTE_CHANGED = "attribute_changed"

OPERATOR_LABELS = {
    EQUAL_TO: gettext_lazy("equal to"),
    NOT_EQUAL_TO: gettext_lazy("not equal to"),
    CONTAINS: gettext_lazy("contains"),
    DOES_NOT_CONTAIN: gettext_lazy("does not contain"),
    STARTS_WITH: gettext_lazy("starts with"),
    IS_PRESENT: gettext_lazy("is present"),
    IS_NOT_PRESENT: gettext_lazy("is not present"),
    IS_GREATER_THAN: gettext_lazy("is greater than"),
    IS_LESS_THAN: gettext_lazy("is less than"),
    DAYS_BEFORE: gettext_lazy("days before"),
    ATTRIBUTE_CHANGED: gettext_lazy("changed"),
}
NO_VALUE = frozenset({IS_PRESENT, IS_NOT_PRESENT})
TEXT_OPS = (EQUAL_TO, NOT_EQUAL_TO, CONTAINS, DOES_NOT_CONTAIN, STARTS_WITH)
PRESENCE = (IS_PRESENT, IS_NOT_PRESENT)

# Value kinds: what a value is and which widget the rule builder shows for it.
CHOICE, TEAM, AGENT, INBOX, LABEL, TEXT, NUMBER, DATE, BOOLEAN = (
    "choice",
    "team",
    "agent",
    "inbox",
    "label",
    "text",
    "number",
    "date",
    "boolean",
)

# How the builder shows the statuses in a condition ("Situação igual a abertas").
STATUS_VALUE_LABELS = {
    Status.OPEN: pgettext_lazy("conversations that are", "open"),
    Status.PENDING: pgettext_lazy("conversations that are", "pending"),
    Status.RESOLVED: pgettext_lazy("conversations that are", "resolved"),
    Status.SNOOZED: pgettext_lazy("conversations that are", "snoozed"),
}
MESSAGE_TYPES = {
    "incoming": gettext_lazy("Incoming message"),
    "outgoing": gettext_lazy("Outgoing message"),
}
CUSTOM_TYPES = {"conversation_attribute": "conversation", "contact_attribute": "contact"}
# Letters, digits and single underscores: "__" would read as a lookup in the filter face.
CUSTOM_KEY = re.compile(r"^(?!.*__)[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Attribute:
    key: str
    label: Any
    kind: str
    operators: tuple[str, ...]
    # ORM paths from a conversation and from a contact (None: not available there).
    conversation_path: str | None = None
    contact_path: str | None = None
    choices: dict[str, Any] = field(default_factory=dict)
    message: bool = False  # about the triggering message: message_created rules only


ATTRIBUTES: dict[str, Attribute] = {
    a.key: a
    for a in (
        Attribute(
            "status",
            pgettext_lazy("automation attribute", "Status"),
            CHOICE,
            (EQUAL_TO, NOT_EQUAL_TO, ATTRIBUTE_CHANGED),
            "status",
            choices=STATUS_VALUE_LABELS,
        ),
        Attribute(
            "priority",
            pgettext_lazy("automation attribute", "Priority"),
            CHOICE,
            (EQUAL_TO, NOT_EQUAL_TO, *PRESENCE, ATTRIBUTE_CHANGED),
            "priority",
            choices=dict(Priority.choices),
        ),
        Attribute(
            "inbox_id",
            pgettext_lazy("automation attribute", "Inbox"),
            INBOX,
            (EQUAL_TO, NOT_EQUAL_TO),
            "inbox_id",
        ),
        Attribute(
            "team_id",
            pgettext_lazy("automation attribute", "Team"),
            TEAM,
            (EQUAL_TO, NOT_EQUAL_TO, *PRESENCE, ATTRIBUTE_CHANGED),
            "team_id",
        ),
        Attribute(
            "assignee_id",
            pgettext_lazy("automation attribute", "Assigned agent"),
            AGENT,
            (EQUAL_TO, NOT_EQUAL_TO, *PRESENCE, ATTRIBUTE_CHANGED),
            "assignee__user_id",
        ),
        Attribute(
            "labels",
            pgettext_lazy("automation attribute", "Labels"),
            LABEL,
            (EQUAL_TO, NOT_EQUAL_TO, *PRESENCE),
            "labels",
        ),
        Attribute(
            "content",
            pgettext_lazy("automation attribute", "Message content"),
            TEXT,
            TEXT_OPS,
            message=True,
        ),
        Attribute(
            "message_type",
            pgettext_lazy("automation attribute", "Message type"),
            CHOICE,
            (EQUAL_TO, NOT_EQUAL_TO),
            choices=MESSAGE_TYPES,
            message=True,
        ),
        Attribute(
            "name",
            pgettext_lazy("automation attribute", "Contact name"),
            TEXT,
            (*TEXT_OPS, *PRESENCE),
            "contact__name",
            "name",
        ),
        Attribute(
            "phone_number",
            pgettext_lazy("automation attribute", "Contact phone"),
            TEXT,
            (*TEXT_OPS, *PRESENCE),
            "contact__phone_number",
            "phone_number",
        ),
        Attribute(
            "email",
            pgettext_lazy("automation attribute", "Contact e-mail"),
            TEXT,
            (*TEXT_OPS, *PRESENCE),
            "contact__email",
            "email",
        ),
        Attribute(
            "created_at",
            pgettext_lazy("automation attribute", "Created at"),
            DATE,
            (IS_GREATER_THAN, IS_LESS_THAN, DAYS_BEFORE),
            "created_at",
            "created_at",
        ),
        Attribute(
            "within_business_hours",
            pgettext_lazy("automation attribute", "Within business hours"),
            BOOLEAN,
            (EQUAL_TO,),
            "inbox_id",
        ),
    )
}
CUSTOM_OPERATORS = (*TEXT_OPS, *PRESENCE, IS_GREATER_THAN, IS_LESS_THAN)
CUSTOM_LABELS = {
    "conversation_attribute": gettext_lazy("Conversation custom attribute"),
    "contact_attribute": gettext_lazy("Contact custom attribute"),
}


@dataclass(frozen=True)
class Condition:
    """One validated row."""

    attribute: Attribute | None  # None: a custom attribute
    key: str
    operator: str
    values: tuple[Any, ...]
    join: str  # "and" | "or": how this row joins the next one
    custom: str | None = None  # "conversation" | "contact"
    changed_from: tuple[Any, ...] = ()
    changed_to: tuple[Any, ...] = ()


def attribute_for(row: dict[str, Any]) -> Attribute | None:
    return ATTRIBUTES.get(str(row.get("attribute_key") or ""))


def operators_for(key: str, custom_type: str | None = None) -> tuple[str, ...]:
    if custom_type in CUSTOM_TYPES:
        return CUSTOM_OPERATORS
    attribute = ATTRIBUTES.get(key)
    return attribute.operators if attribute else ()


# --- Validation ---------------------------------------------------------------------------------


def _err(index: int, part: str, message: str) -> ValidationError:
    return ValidationError({f"conditions[{index}].{part}": [message]})


def _as_int(value: Any, *, minimum: int | None = None, maximum: int = MAX_ID) -> int | None:
    """A whole number (a number, or ASCII digits: "①" is a digit to isdigit() but not to int())
    within [minimum, maximum] (a bigint by default, what an id column holds); else None."""
    try:
        return parse_int(value, name="values", minimum=minimum, maximum=maximum)
    except BadParameter:
        return None


def _as_number(value: Any) -> float | None:
    """A finite number ("nan" and "inf" are floats, but no JSON column can store them)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _as_date(value: Any) -> date | datetime | None:
    if not isinstance(value, str):
        return None
    return parse_datetime(value) or parse_date(value)


_trusted: ContextVar[bool] = ContextVar("trusted_ids", default=False)


@contextmanager
def trusted_ids() -> Iterator[None]:
    """Parses stored rows again without asking the database whether their ids are the
    account's (they were checked when the rule was saved)."""
    token = _trusted.set(True)
    try:
        yield
    finally:
        _trusted.reset(token)


def _account_ids(model, account_id: int, ids: list[int], field_name: str = "pk") -> set[int]:
    if _trusted.get():
        return set(ids)
    return set(
        model.objects.filter(account_id=account_id, **{f"{field_name}__in": ids}).values_list(
            field_name, flat=True
        )
    )


def _clean_values(
    attribute: Attribute | None, operator: str, raw: Any, index: int, account_id: int
) -> tuple[Any, ...]:
    """The row's values in their kind, or a ValidationError naming `conditions[i].values`."""
    if operator in NO_VALUE:
        return ()
    values = list(raw) if isinstance(raw, list | tuple) else ([] if raw is None else [raw])
    values = [v for v in values if not (isinstance(v, str) and not v.strip())]
    if not values:
        raise _err(index, "values", _("Choose or type a value."))
    kind = attribute.kind if attribute else TEXT
    if attribute is None and operator in (IS_GREATER_THAN, IS_LESS_THAN):
        kind = NUMBER
    if kind == CHOICE:
        bad = [v for v in values if str(v) not in attribute.choices]
        if bad:
            raise _err(
                index, "values", _("%(value)s is not one of the choices.") % {"value": bad[0]}
            )
        return tuple(str(v) for v in values)
    if kind in (TEAM, AGENT, INBOX):
        ids = [_as_int(v) for v in values]
        if any(i is None for i in ids):
            raise _err(index, "values", _("Give the ids as whole numbers."))
        model, field_name = {
            TEAM: (Team, "pk"),
            INBOX: (Inbox, "pk"),
            AGENT: (AccountUser, "user_id"),
        }[kind]
        known = _account_ids(model, account_id, ids, field_name)
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise _err(
                index, "values", _("%(id)s is not one of this account's.") % {"id": unknown[0]}
            )
        return tuple(ids)
    if kind == LABEL:
        titles = [str(v).strip().lower() for v in values]
        known = (
            set(titles)
            if _trusted.get()
            else set(
                Label.objects.filter(account_id=account_id, title__in=titles).values_list(
                    "title", flat=True
                )
            )
        )
        unknown = [t for t in titles if t not in known]
        if unknown:
            raise _err(index, "values", _("There is no label %(label)s.") % {"label": unknown[0]})
        return tuple(titles)
    if kind == NUMBER:
        numbers = [_as_number(v) for v in values]
        if any(n is None for n in numbers):
            raise _err(index, "values", _("Give a number."))
        return tuple(numbers[:1])
    if kind == BOOLEAN:
        flags = [_as_bool(v) for v in values]
        if any(f is None for f in flags):
            raise _err(index, "values", _("Choose yes or no."))
        return tuple(flags[:1])
    if kind == DATE:
        if operator == DAYS_BEFORE:
            days = _as_int(values[0], minimum=0, maximum=2**128)
            if days is None:
                raise _err(index, "values", _("Give a number of days."))
            if days > MAX_DAYS:  # more than a timedelta (or any date) can reach back
                raise _err(index, "values", _("Give at most %(days)s days.") % {"days": MAX_DAYS})
            return (days,)
        when = _as_date(values[0])
        if when is None:
            raise _err(index, "values", _("Give a date as YYYY-MM-DD."))
        return (values[0],)
    if any(not isinstance(v, str | int | float) or isinstance(v, bool) for v in values):
        raise _err(index, "values", _("Give the values as text."))
    return tuple(str(v).strip() for v in values)


def _clean_changed(attribute: Attribute, raw: Any, index: int, account_id: int):
    if not isinstance(raw, dict) or not ({"from", "to"} & set(raw)):
        raise _err(index, "values", _('Give the change as {"from": [...], "to": [...]}.'))
    parts = []
    for part in ("from", "to"):
        given = raw.get(part) or []
        parts.append(_clean_values(attribute, EQUAL_TO, given, index, account_id) if given else ())
    return parts


def validate(
    conditions: Any, *, account_id: int, event: str | None = None, target: str = "conversation"
) -> list[Condition]:
    """Checks a condition list and returns its rows. `event` is the rule's event (None: a
    filter over many, where message attributes and `attribute_changed` have no meaning)."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ValidationError({"conditions": [_("Give the conditions as a list.")]})
    rows: list[Condition] = []
    for index, row in enumerate(conditions):
        if not isinstance(row, dict):
            raise _err(index, "attribute_key", _("Each condition is an object."))
        key = str(row.get("attribute_key") or "").strip()
        custom_type = row.get("custom_attribute_type") or None
        operator = str(row.get("filter_operator") or "").strip()
        join = str(row.get("query_operator") or "and").strip().lower()
        if join not in ("and", "or"):
            raise _err(index, "query_operator", _("Join conditions with AND or OR."))
        if custom_type is not None:
            if custom_type not in CUSTOM_TYPES:
                raise _err(index, "custom_attribute_type", _("Unknown kind of custom attribute."))
            if not CUSTOM_KEY.match(key):
                raise _err(
                    index,
                    "attribute_key",
                    _("A custom attribute key has letters, digits and _ only."),
                )
            attribute = None
            custom = CUSTOM_TYPES[custom_type]
            if target == "contact" and custom == "conversation":
                raise _err(index, "attribute_key", _("This attribute cannot be used here."))
        else:
            attribute = ATTRIBUTES.get(key)
            custom = None
            if attribute is None:
                raise _err(
                    index, "attribute_key", _("Unknown attribute %(key)s.") % {"key": key or "—"}
                )
            if attribute.message and event != "message_created":
                raise _err(
                    index,
                    "attribute_key",
                    _("%(attribute)s only fits rules of the Message Created event.")
                    % {"attribute": attribute.label},
                )
            if target == "contact" and attribute.contact_path is None:
                raise _err(index, "attribute_key", _("This attribute cannot be used here."))
        allowed = operators_for(key, custom_type)
        if operator not in allowed:
            raise _err(
                index,
                "filter_operator",
                _("The operator %(operator)s does not fit %(attribute)s.")
                % {
                    "operator": OPERATOR_LABELS.get(operator, operator or "—"),
                    "attribute": attribute.label if attribute else key,
                },
            )
        if operator == ATTRIBUTE_CHANGED:
            if event != "conversation_updated":
                raise _err(
                    index,
                    "filter_operator",
                    _("“changed” only fits rules of the Conversation Updated event."),
                )
            changed_from, changed_to = _clean_changed(
                attribute, row.get("values"), index, account_id
            )
            rows.append(
                Condition(attribute, key, operator, (), join, None, changed_from, changed_to)
            )
            continue
        values = _clean_values(attribute, operator, row.get("values"), index, account_id)
        rows.append(Condition(attribute, key, operator, values, join, custom))
    return rows


def as_stored(rows: Sequence[Condition]) -> list[dict[str, Any]]:
    """Rows back in Chatwoot's JSON shape, normalised (ids as numbers, labels in lower case)."""
    out = []
    for row in rows:
        item: dict[str, Any] = {
            "attribute_key": row.key,
            "filter_operator": row.operator,
            "values": (
                {"from": list(row.changed_from), "to": list(row.changed_to)}
                if row.operator == ATTRIBUTE_CHANGED
                else list(row.values)
            ),
            "query_operator": row.join,
        }
        if row.custom:
            item["custom_attribute_type"] = f"{row.custom}_attribute"
        out.append(item)
    return out


def _groups(rows: Sequence[Condition]) -> list[list[Condition]]:
    """OR-separated groups of AND-joined rows (SQL precedence)."""
    groups: list[list[Condition]] = [[]]
    for i, row in enumerate(rows):
        groups[-1].append(row)
        if i < len(rows) - 1 and row.join == "or":
            groups.append([])
    return groups


# --- In memory: one conversation ----------------------------------------------------------------


@dataclass
class Facts:
    """What the conditions look at. Labels and business hours are read on first use."""

    conversation: Conversation
    message: Message | None = None
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    at: datetime = field(default_factory=timezone.now)
    _labels: set[str] | None = None
    _open: bool | None = None

    @property
    def labels(self) -> set[str]:
        if self._labels is None:
            self._labels = set(
                ConversationLabel.objects.filter(conversation_id=self.conversation.pk)
                .values_list("label__title", flat=True)
                .iterator()
            )
        return self._labels

    @property
    def inbox_open(self) -> bool:
        if self._open is None:
            self._open = inbox_is_open(self.conversation.inbox, self.at)
        return self._open

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.conversation.account.timezone)


def changes_from(changed_attributes: Any) -> dict[str, tuple[Any, Any]]:
    """Chatwoot's `changed_attributes` ([{attr: {previous_value, current_value}}]) as a dict."""
    out: dict[str, tuple[Any, Any]] = {}
    for item in changed_attributes or ():
        for key, change in (item or {}).items():
            out[key] = (change.get("previous_value"), change.get("current_value"))
    return out


def _actual(row: Condition, facts: Facts) -> Any:
    c = facts.conversation
    if row.custom == "conversation":
        return (c.custom_attributes or {}).get(row.key)
    if row.custom == "contact":
        return (c.contact.custom_attributes or {}).get(row.key)
    key = row.key
    if key == "status":
        return c.status
    if key == "priority":
        return c.priority or None
    if key == "inbox_id":
        return c.inbox_id
    if key == "team_id":
        return c.team_id
    if key == "assignee_id":
        return c.assignee.user_id if c.assignee_id else None
    if key == "labels":
        return facts.labels
    if key == "content":
        return facts.message.content if facts.message else ""
    if key == "message_type":
        return facts.message.message_type if facts.message else None
    if key in ("name", "phone_number", "email"):
        return getattr(c.contact, key) or ""
    if key == "created_at":
        return c.created_at
    if key == "within_business_hours":
        return facts.inbox_open
    raise KeyError(key)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _day_start(value: str, tz: ZoneInfo) -> datetime:
    parsed = _as_date(value)
    if isinstance(parsed, datetime):
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=tz)
    return datetime.combine(parsed, time.min, tzinfo=tz)


def _matches(row: Condition, facts: Facts) -> bool:
    op = row.operator
    if op == ATTRIBUTE_CHANGED:
        if row.key not in facts.changed:
            return False
        previous, current = facts.changed[row.key]
        return (not row.changed_from or previous in row.changed_from) and (
            not row.changed_to or current in row.changed_to
        )
    actual = _actual(row, facts)
    if op in NO_VALUE:
        present = bool(actual) if not isinstance(actual, int | float) else True
        if actual is None:
            present = False
        return present if op == IS_PRESENT else not present
    kind = row.attribute.kind if row.attribute else TEXT
    if kind == LABEL:
        hit = bool(actual & set(row.values))
        return hit if op == EQUAL_TO else not hit
    if kind == DATE:
        if op == DAYS_BEFORE:
            return actual < facts.at - timedelta(days=row.values[0])
        bound = _day_start(row.values[0], facts.tz())
        return actual > bound if op == IS_GREATER_THAN else actual < bound
    if op in (IS_GREATER_THAN, IS_LESS_THAN):
        # Only numbers compare (as PostgreSQL's jsonb does not order text among numbers).
        number = (
            actual if isinstance(actual, int | float) and not isinstance(actual, bool) else None
        )
        if number is None:
            return False
        return number > row.values[0] if op == IS_GREATER_THAN else number < row.values[0]
    if kind in (CHOICE, TEAM, AGENT, INBOX, BOOLEAN):
        hit = actual in row.values
        return hit if op == EQUAL_TO else not hit
    text = _text(actual)
    wanted = [_text(v) for v in row.values]
    if op in (EQUAL_TO, NOT_EQUAL_TO):
        hit = text in wanted
        return hit if op == EQUAL_TO else not hit
    if op in (CONTAINS, DOES_NOT_CONTAIN):
        hit = any(w in text for w in wanted)
        return hit if op == CONTAINS else not hit
    if op == STARTS_WITH:
        return any(text.startswith(w) for w in wanted)
    raise ValueError(op)


def evaluate(rows: Sequence[Condition], facts: Facts) -> bool:
    """Whether the conversation (and message) meets the conditions; no rows: it does."""
    if not rows:
        return True
    return any(all(_matches(row, facts) for row in group) for group in _groups(rows))


# --- As a queryset filter: many conversations (or contacts) -------------------------------------


def _any(path: str, lookup: str, values: Sequence[Any]) -> Q:
    q = Q()
    for value in values:
        q |= Q(**{f"{path}__{lookup}": value})
    return q


def _row_q(row: Condition, *, account_id: int, target: str, at: datetime, tz: ZoneInfo) -> Q:
    op = row.operator
    if row.custom:
        base = "custom_attributes" if (row.custom == "contact") == (target == "contact") else None
        path = f"{base or 'contact__custom_attributes'}__{row.key}"
        if op in NO_VALUE:
            present = Q(**{f"{path}__isnull": False}) & ~Q(**{path: ""})
            return present if op == IS_PRESENT else ~present
        if op in (IS_GREATER_THAN, IS_LESS_THAN):
            lookup = "gt" if op == IS_GREATER_THAN else "lt"
            return Q(**{f"{path}__{lookup}": row.values[0]})
        text_lookup = {
            EQUAL_TO: "iexact",
            NOT_EQUAL_TO: "iexact",
            CONTAINS: "icontains",
            DOES_NOT_CONTAIN: "icontains",
            STARTS_WITH: "istartswith",
        }[op]
        q = _any(path, text_lookup, row.values)
        if op in (NOT_EQUAL_TO, DOES_NOT_CONTAIN):
            # A conversation without the attribute is not equal to it either (SQL's NULL is not).
            return ~q | Q(**{f"{path}__isnull": True})
        return q
    attribute = row.attribute
    path = attribute.contact_path if target == "contact" else attribute.conversation_path
    if row.key == "within_business_hours":
        open_ids = [
            inbox.pk
            for inbox in Inbox.objects.filter(account_id=account_id).prefetch_related(
                "schedule_rules"
            )
            if inbox_is_open(inbox, at)
        ]
        q = Q(inbox_id__in=open_ids)
        return q if row.values[0] else ~q
    if row.key == "labels":
        if op in NO_VALUE:
            has = Q(Exists(ConversationLabel.objects.filter(conversation=OuterRef("pk"))))
            return has if op == IS_PRESENT else ~has
        has = Q(
            Exists(
                ConversationLabel.objects.filter(
                    conversation=OuterRef("pk"), label__title__in=row.values
                )
            )
        )
        return has if op == EQUAL_TO else ~has
    kind = attribute.kind
    if op in NO_VALUE:
        if kind in (TEAM, AGENT):
            present = Q(**{f"{'assignee_id' if kind == AGENT else path}__isnull": False})
        else:
            present = ~Q(**{path: ""})
        return present if op == IS_PRESENT else ~present
    if kind == DATE:
        if op == DAYS_BEFORE:
            return Q(**{f"{path}__lt": at - timedelta(days=row.values[0])})
        bound = _day_start(row.values[0], tz)
        return Q(**{f"{path}__{'gt' if op == IS_GREATER_THAN else 'lt'}": bound})
    if kind in (CHOICE, TEAM, AGENT, INBOX):
        q = Q(**{f"{path}__in": list(row.values)})
        return q if op == EQUAL_TO else ~q
    text_lookup = {
        EQUAL_TO: "iexact",
        NOT_EQUAL_TO: "iexact",
        CONTAINS: "icontains",
        DOES_NOT_CONTAIN: "icontains",
        STARTS_WITH: "istartswith",
    }[op]
    q = _any(path, text_lookup, row.values)
    return ~q if op in (NOT_EQUAL_TO, DOES_NOT_CONTAIN) else q


def build_q(
    conditions: Any,
    *,
    account_id: int,
    tz: str = "UTC",
    target: str = "conversation",
    at: datetime | None = None,
    rows: Sequence[Condition] | None = None,
) -> Q:
    """The conditions as a filter over the account's conversations (or contacts); validates
    them first unless `rows` are given. The account filter itself is the caller's."""
    if rows is None:
        rows = validate(conditions, account_id=account_id, target=target)
    at = at or timezone.now()
    zone = ZoneInfo(tz)
    if not rows:
        return Q()
    result = Q(pk__in=[])
    for group in _groups(rows):
        q = Q()
        for row in group:
            q &= _row_q(row, account_id=account_id, target=target, at=at, tz=zone)
        result |= q
    return result
