"""Reading a WhatsApp Cloud API webhook delivery into items (no database, no network).

Meta batches: a delivery has entries, an entry has changes, a change has messages and statuses.
Every one of them becomes an item of its own, so that one that cannot be read is reported
(`Broken`) without hiding the others. Timestamps come as strings (Meta) or integers (some
libraries' test data); both are read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nexloo.core.params import UNSTORABLE_TEXT

MEDIA_TYPES = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "document": "file",
    "sticker": "sticker",
}
STATUSES = {"sent", "delivered", "read", "failed"}


class NotAWhatsAppDelivery(ValueError):
    """The body is not JSON, or not a WhatsApp Business Account notification."""


@dataclass(frozen=True)
class Media:
    media_id: str
    file_type: str  # conversations' Attachment.FileType
    mime_type: str = ""
    sha256: str = ""
    file_name: str = ""


@dataclass(frozen=True)
class Inbound:
    """A message from a contact (or their reaction to one)."""

    path: str
    phone_number_id: str
    wa_id: str
    profile_name: str
    wamid: str
    timestamp: datetime
    kind: str
    content: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    media: tuple[Media, ...] = ()
    reply_to: str | None = None
    referral: dict[str, Any] | None = None
    reaction_to: str | None = None  # a reaction: the wamid it reacts to
    emoji: str = ""
    unsupported: dict[str, Any] | None = None  # code, title, details


@dataclass(frozen=True)
class StatusReport:
    path: str
    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str = ""
    errors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Other:
    """A change that is not about messages (template status, account update): noted only."""

    path: str
    field: str
    value: dict[str, Any]


@dataclass(frozen=True)
class Broken:
    path: str
    error: str


Item = Inbound | StatusReport | Other | Broken


def _storable(value: Any) -> Any:
    """The value with NUL characters dropped and lone surrogates shown as U+FFFD: JSON may
    carry them as escapes, PostgreSQL stores neither in text (UNSTORABLE_TEXT, which the API
    refuses), and a customer's message must not be lost for it."""
    if isinstance(value, str):
        if UNSTORABLE_TEXT.search(value) is None:
            return value
        return UNSTORABLE_TEXT.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotAWhatsAppDelivery("the body is not JSON") from exc
    if b"\\u" in body:  # only an escape can bring either in (a raw NUL is not JSON)
        payload = _storable(payload)
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise NotAWhatsAppDelivery("not a whatsapp_business_account notification")
    if not isinstance(payload.get("entry"), list):
        raise NotAWhatsAppDelivery("no entries")
    return payload


def phone_number_ids(payload: dict[str, Any]) -> set[str]:
    """Every `metadata.phone_number_id` the delivery names (one per change)."""
    found = set()
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            metadata = ((change or {}).get("value") or {}).get("metadata") or {}
            if metadata.get("phone_number_id") is not None:
                found.add(str(metadata["phone_number_id"]))
    return found


def timestamp(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad timestamp {value!r}") from exc


def items(payload: dict[str, Any]) -> list[Item]:
    out: list[Item] = []
    for e, entry in enumerate(payload.get("entry") or []):
        for c, change in enumerate((entry or {}).get("changes") or []):
            path = f"entry[{e}].changes[{c}]"
            try:
                out.extend(_change(path, change))
            except Exception as exc:  # one unreadable change must not hide the others
                out.append(Broken(path, f"{type(exc).__name__}: {exc}"))
    return out


def _change(path: str, change: dict[str, Any]) -> list[Item]:
    value = change.get("value") or {}
    if change.get("field") != "messages":
        return [Other(path, str(change.get("field")), value)]
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
    names = {
        str(c.get("wa_id")): ((c.get("profile") or {}).get("name") or "")
        for c in value.get("contacts") or []
        if isinstance(c, dict)
    }
    found: list[Item] = []
    for m, raw in enumerate(value.get("messages") or []):
        where = f"{path}.messages[{m}]"
        try:
            found.append(_message(where, phone_number_id, raw, names))
        except Exception as exc:
            found.append(Broken(where, f"{type(exc).__name__}: {exc}"))
    for s, raw in enumerate(value.get("statuses") or []):
        where = f"{path}.statuses[{s}]"
        try:
            found.append(_status(where, phone_number_id, raw))
        except Exception as exc:
            found.append(Broken(where, f"{type(exc).__name__}: {exc}"))
    for n, error in enumerate(value.get("errors") or []):
        found.append(Broken(f"{path}.errors[{n}]", f"Meta reported: {_error_text(error)}"))
    return found


def _error_text(error: dict[str, Any]) -> str:
    details = (error.get("error_data") or {}).get("details") or ""
    return f"{error.get('code')} {error.get('title') or error.get('message') or ''} {details}"


def _message(path: str, phone_number_id: str, raw: dict[str, Any], names: dict) -> Inbound:
    wa_id = str(raw.get("from") or "")
    wamid = str(raw.get("id") or "")
    if not wa_id or not wamid:
        raise ValueError("a message needs `from` and `id`")
    kind = str(raw.get("type") or "unsupported")
    context = raw.get("context") or {}
    attributes: dict[str, Any] = {"whatsapp_type": kind}
    if context.get("forwarded"):
        attributes["forwarded"] = True
    if context.get("frequently_forwarded"):
        attributes["forwarded"] = True
        attributes["frequently_forwarded"] = True
    if context.get("referred_product"):
        attributes["referred_product"] = context["referred_product"]
    base = {
        "path": path,
        "phone_number_id": phone_number_id,
        "wa_id": wa_id,
        "profile_name": names.get(wa_id) or "",
        "wamid": wamid,
        "timestamp": timestamp(raw.get("timestamp")),
        "kind": kind,
        "reply_to": context.get("id") or None,
        "referral": raw.get("referral") or None,
    }
    body = raw.get(kind) if isinstance(raw.get(kind), dict) else {}

    if raw.get("errors") or kind in ("unsupported", "unknown"):
        error = (raw.get("errors") or [{}])[0]
        return Inbound(
            **base,
            attributes=attributes,
            unsupported={
                "code": error.get("code"),
                "title": error.get("title") or error.get("message") or "",
                "details": (error.get("error_data") or {}).get("details") or "",
            },
        )
    if kind == "text":
        return Inbound(**base, content=str(body.get("body") or ""), attributes=attributes)
    if kind in MEDIA_TYPES:
        if body.get("voice"):
            attributes["voice"] = True
        if body.get("animated"):
            attributes["animated"] = True
        media = Media(
            media_id=str(body.get("id") or ""),
            file_type=MEDIA_TYPES[kind],
            mime_type=str(body.get("mime_type") or ""),
            sha256=str(body.get("sha256") or ""),
            file_name=str(body.get("filename") or ""),
        )
        if not media.media_id:
            raise ValueError(f"{kind} without a media id")
        return Inbound(
            **base, content=str(body.get("caption") or ""), attributes=attributes, media=(media,)
        )
    if kind == "reaction":
        target = str(body.get("message_id") or "")
        if not target:
            raise ValueError("a reaction without the message it reacts to")
        return Inbound(
            **base, attributes=attributes, reaction_to=target, emoji=str(body.get("emoji") or "")
        )
    if kind == "location":
        location = {
            k: body.get(k)
            for k in ("latitude", "longitude", "name", "address", "url")
            if body.get(k) not in (None, "")
        }
        attributes["location"] = location
        text = " — ".join(str(location[k]) for k in ("name", "address") if k in location)
        return Inbound(**base, content=text, attributes=attributes)
    if kind == "contacts":
        cards = []
        for card in raw.get("contacts") or []:
            name = card.get("name") or {}
            cards.append(
                {
                    "name": name.get("formatted_name")
                    or " ".join(filter(None, [name.get("first_name"), name.get("last_name")])),
                    "phones": [
                        {"phone": p.get("phone"), "wa_id": p.get("wa_id"), "type": p.get("type")}
                        for p in card.get("phones") or []
                    ],
                    "emails": [e.get("email") for e in card.get("emails") or [] if e.get("email")],
                }
            )
        attributes["contacts"] = cards
        return Inbound(
            **base, content=", ".join(c["name"] for c in cards if c["name"]), attributes=attributes
        )
    if kind == "interactive":
        reply_type = str(body.get("type") or "")
        reply = body.get(reply_type) or {}
        attributes["interactive"] = {
            "type": reply_type,
            "id": reply.get("id"),
            "title": reply.get("title"),
            "description": reply.get("description"),
        }
        if reply_type == "nfm_reply":  # a WhatsApp Flow's answer
            attributes["interactive"]["response_json"] = reply.get("response_json")
        return Inbound(
            **base,
            content=str(reply.get("title") or reply.get("body") or ""),
            attributes=attributes,
        )
    if kind == "button":
        attributes["button_payload"] = body.get("payload")
        return Inbound(**base, content=str(body.get("text") or ""), attributes=attributes)
    if kind == "system":
        attributes["system"] = body
        return Inbound(**base, content=str(body.get("body") or ""), attributes=attributes)
    if kind == "order":
        attributes["order"] = body
        return Inbound(**base, content=str(body.get("text") or ""), attributes=attributes)
    # A type this version does not know: kept, shown as not supported, with its name.
    return Inbound(
        **base,
        attributes=attributes,
        unsupported={"code": None, "title": f"type {kind}", "details": ""},
    )


def _status(path: str, phone_number_id: str, raw: dict[str, Any]) -> StatusReport:
    wamid = str(raw.get("id") or "")
    if not wamid:
        raise ValueError("a status without the message id")
    return StatusReport(
        path=path,
        phone_number_id=phone_number_id,
        wamid=wamid,
        status=str(raw.get("status") or ""),
        timestamp=timestamp(raw.get("timestamp")),
        recipient_id=str(raw.get("recipient_id") or ""),
        errors=tuple(e for e in raw.get("errors") or [] if isinstance(e, dict)),
    )
