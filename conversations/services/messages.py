"""Writing messages: activity lines, replies and private notes, incoming messages from a
channel (idempotent), delivery status updates (forward only), and the automatic replies."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from conversations import delivery
from conversations import events as conv_events
from conversations.models import (
    STATUS_RANK,
    Attachment,
    Conversation,
    DeliveryStatus,
    EarlyStatus,
    Message,
    MessageType,
    SenderType,
    Status,
)
from conversations.services.common import (
    account_language,
    check_access,
    lock_conversation,
    performer_of,
)
from inboxes.models import Inbox
from inboxes.selectors import inbox_is_open, inbox_next_opening
from nexloo.core.db import JSONMerged
from nexloo.core.errors import BadParameter, ValidationError
from nexloo.core.events import Performer
from nexloo.core.params import clean_json

logger = logging.getLogger(__name__)

# No out-of-office reply while an agent answered this recently: a person is clearly there.
RECENT_AGENT_REPLY = timedelta(minutes=5)
MAX_CONTENT = 20_000
RESERVED_ATTRIBUTES = frozenset(
    {"automatic", "deleted", "template_params", "reactions", "provider_error"}
)
NEVER_OPENS = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class NewAttachment:
    file_type: str
    file_name: str = ""
    content: bytes | None = None
    content_type: str = ""
    external_url: str = ""
    meta: dict = field(default_factory=dict)


def attachments_from_uploads(files) -> tuple[NewAttachment, ...]:
    """Uploaded files (a form's or an API request's) as attachments of a new message."""
    attachments = []
    for upload in files:
        content_type = upload.content_type or ""
        kind = content_type.split("/")[0]
        attachments.append(
            NewAttachment(
                file_type=kind if kind in ("image", "audio", "video") else "file",
                file_name=upload.name,
                content=upload.read(),
                content_type=content_type,
            )
        )
    return tuple(attachments)


def check_attachments(attachments: Sequence[NewAttachment]) -> None:
    limit = settings.MAX_ATTACHMENT_BYTES
    for attachment in attachments:
        if attachment.content is not None and len(attachment.content) > limit:
            raise ValidationError(
                {
                    "attachments": _("%(name)s is larger than %(mb)s MB.")
                    % {"name": attachment.file_name or _("The file"), "mb": limit // (1024 * 1024)}
                }
            )


def _attach(message: Message, attachments: Sequence[NewAttachment]) -> None:
    """Stores the attachments of a new message and keeps them on it, so that its event needs no
    query to list them."""
    stored = []
    for new in attachments:
        attachment = Attachment(
            account_id=message.account_id,
            message=message,
            file_type=new.file_type,
            file_name=new.file_name[:255],
            content_type=new.content_type[:128],
            external_url=new.external_url,
            meta=new.meta,
        )
        if new.content is not None:
            attachment.file_size = len(new.content)
            attachment.file.save(new.file_name or "file", ContentFile(new.content), save=False)
        attachment.save()
        stored.append(attachment)
    message._prefetched_objects_cache = {"attachments": message.attachments.all()}
    message._prefetched_objects_cache["attachments"]._result_cache = stored


def activity_add(
    *, conversation: Conversation, content: str, performer: Performer | None = None
) -> Message:
    """An activity line ("Conversa atribuída a Ana por Automação"); call inside the caller's
    transaction, with the text already in the account's language."""
    message = Message.objects.create(
        account_id=conversation.account_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        message_type=MessageType.ACTIVITY,
        content=content,
        sender_type=SenderType.SYSTEM,
        sender_name=performer.name if performer else "",
    )
    conv_events.message_event(conv_events.MESSAGE_CREATED, message=message, performer=performer)
    return message


def _touch(
    conversation: Conversation,
    at: datetime,
    *,
    incoming: bool,
    human_reply: bool,
    written_at: datetime | None = None,
) -> None:
    conversation.last_activity_at = at
    fields = ["last_activity_at", "updated_at"]
    if incoming and conversation.waiting_since is None and conversation.status != Status.RESOLVED:
        # A resolved (muted) conversation keeps the message but waits for no one.
        conversation.waiting_since = at
        fields.append("waiting_since")
    last = conversation.last_incoming_at
    if incoming and written_at is not None and (last is None or written_at > last):
        conversation.last_incoming_at = written_at
        fields.append("last_incoming_at")
    if human_reply:
        conversation.waiting_since = None
        fields.append("waiting_since")
        if conversation.first_reply_at is None:
            conversation.first_reply_at = at
            fields.append("first_reply_at")
    conversation.save(update_fields=fields)


def message_send(*, conversation_locked: bool = False, **kwargs) -> Message:
    """A reply to the contact, or a private note (`private`): see _message_send for the
    arguments. `conversation_locked`: the caller holds the conversation's row lock in its
    transaction (or inserted the row in it), with the instance read under it and its inbox and
    assignee: no second lock, and no savepoint of its own (an error aborts the caller's
    transaction, which it would anyway)."""
    with transaction.atomic(savepoint=not conversation_locked):
        return _message_send(conversation_locked=conversation_locked, **kwargs)


def _message_send(
    *,
    conversation_locked: bool,
    account: Account,
    actor: AccountUser | None,
    conversation: Conversation,
    content: str,
    private: bool = False,
    attachments: Sequence[NewAttachment] = (),
    performer: Performer | None = None,
    content_attributes: dict | None = None,
    sender_type: str | None = None,
    sender_name: str | None = None,
    template_params: dict | None = None,
) -> Message:
    """A reply to the contact, or a private note (`private`), written by a person or by the
    system (routing and automatic messages). Replies are delivered after the commit.

    `template_params` (Chatwoot's: `name`, `language`, `processed_params`) sends one of the
    channel's approved templates, the only thing a person may send once the channel's reply
    window has closed (WhatsApp: 24 hours after the contact's last message)."""
    check_access(account=account, actor=actor, conversation=conversation)
    content = (content or "").strip()
    template = None
    if template_params is not None:
        if private:
            raise ValidationError({"template_params": _("A private note cannot be a template.")})
        template, content = _template_content(conversation, template_params)
    if not content and not attachments:
        raise ValidationError({"content": _("Write a message or attach a file.")})
    if len(content) > MAX_CONTENT:
        raise ValidationError({"content": _("The message is too long.")})
    check_attachments(attachments)
    # What the system writes about a message (automatic reply, deleted) is not for clients to set.
    content_attributes = {
        k: v for k, v in (content_attributes or {}).items() if k not in RESERVED_ATTRIBUTES
    }
    performer = performer_of(actor, performer)
    if not conversation_locked:
        conversation = lock_conversation(conversation.pk)
    now = timezone.now()
    is_person = actor is not None
    if is_person and not private and template is None and not delivery.can_reply(conversation, now):
        window = delivery.reply_window(conversation.inbox.channel_type)
        hours = int(window.total_seconds() // 3600) if window else 0
        raise ValidationError(
            {
                "content": _(
                    "The customer last wrote more than %(hours)s hours ago: only an approved "
                    "template can be sent now."
                )
                % {"hours": hours}
            }
        )
    if template is not None:
        content_attributes["template_params"] = template
    handed_over = private or delivery.hands_over_on_commit(conversation.inbox.channel_type)
    message = Message.objects.create(
        account=account,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        message_type=MessageType.OUTGOING,
        private=private,
        content=content,
        content_attributes=content_attributes or {},
        status=DeliveryStatus.SENT if handed_over else DeliveryStatus.QUEUED,
        sender_type=sender_type or (SenderType.USER if is_person else SenderType.SYSTEM),
        sender_user=actor.user if is_person else None,
        sender_rule_id=performer.id if performer.type == "automation_rule" else None,
        sender_name=sender_name if sender_name is not None else (performer.name or ""),
        created_at=now,
    )
    _attach(message, attachments)
    _touch(conversation, now, incoming=False, human_reply=is_person and not private)
    conv_events.message_event(conv_events.MESSAGE_CREATED, message=message, performer=performer)
    if not handed_over:
        delivery.queue(message)
    return message


def _template_content(conversation: Conversation, params: dict) -> tuple[dict, str]:
    """The channel's template named in `params`, filled in: what is stored and shown."""
    name, language = str(params.get("name") or ""), str(params.get("language") or "")
    template = delivery.template_get(conversation.inbox, name, language)
    if template is None:
        raise ValidationError({"template_params": _("This inbox has no such approved template.")})
    given = params.get("processed_params") or {}
    if not isinstance(given, dict):
        raise ValidationError({"template_params": _("Give the template's parameters by name.")})
    values = {str(k): str(v).strip() for k, v in given.items()}
    missing = [p for p in template.parameters if not values.get(p)]
    if missing:
        raise ValidationError(
            {
                "template_params": _("Fill in every parameter of the template (%(names)s).")
                % {"names": ", ".join("{{" + p + "}}" for p in missing)}
            }
        )
    for p in template.parameters:  # stored in the message's text: what PostgreSQL can hold
        try:
            clean_json(values[p], name="{{" + p + "}}")
        except BadParameter as exc:
            raise ValidationError({"template_params": exc.message_text}) from exc
    stored = {
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "processed_params": {p: values[p] for p in template.parameters},
    }
    return stored, template.render(values)


@dataclass(frozen=True)
class IncomingMessage:
    """What a contact wrote, as a channel hands it over. `source_id` is the provider's id of
    this message (WhatsApp's wamid), unique per inbox; the contact's own id in the channel (the
    wa_id) is the ContactInbox's and travels separately."""

    content: str = ""
    source_id: str | None = None
    content_type: str = "text"
    content_attributes: dict = field(default_factory=dict)
    attachments: tuple[NewAttachment, ...] = ()
    created_at: datetime | None = None
    # The provider id of the message this one answers (WhatsApp's context.id).
    reply_to_source_id: str | None = None
    # Kept on the conversation (e.g. the ad that brought the contact: WhatsApp's referral).
    conversation_attributes: dict = field(default_factory=dict)


class ConversationResolved(Exception):
    """The conversation was resolved before the message could be stored in it."""


def message_receive(
    *,
    conversation: Conversation,
    incoming: IncomingMessage,
    reopen: bool = False,
    checked: bool = False,
    conversation_locked: bool = False,
) -> tuple[Message, bool]:
    """Stores a contact's message once: a second delivery of the same provider id returns the
    stored message and `False`. Sends the automatic replies the inbox calls for.

    If the conversation is resolved when its lock is taken, `reopen` reopens it (an API client
    posting to that conversation); otherwise ConversationResolved tells a channel to open a new
    one (see inbound_message). `checked`: the caller looked the provider id up already (a race
    past that look-up still ends in the unique index). `conversation_locked`: the caller
    inserted the conversation in its transaction (as message_send's): the instance has its
    inbox, contact and contact inbox, no second lock is taken and no savepoint (an error aborts
    the caller's transaction, which it would anyway)."""
    if incoming.source_id and not checked:
        existing = Message.objects.filter(
            inbox_id=conversation.inbox_id, source_id=incoming.source_id
        ).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic(savepoint=not conversation_locked):
            if not conversation_locked:
                # What storing a message needs, and no more (the lock's read is on the hot path).
                conversation = lock_conversation(
                    conversation.pk, related=("inbox", "contact", "contact_inbox", "assignee")
                )
            now = timezone.now()
            # A muted conversation keeps the contact's messages and stays resolved.
            muted = conversation.status == Status.RESOLVED and conversation.is_muted(now)
            if conversation.status == Status.RESOLVED and not muted:
                if not reopen:
                    raise ConversationResolved(conversation.pk)
                conversation = _wake(conversation)
            elif conversation.status == Status.SNOOZED:
                conversation = _wake(conversation)
            attributes = {
                k: v for k, v in incoming.content_attributes.items() if k not in RESERVED_ATTRIBUTES
            }
            if incoming.reply_to_source_id:
                attributes.update(_reply_to(conversation.inbox_id, incoming.reply_to_source_id))
            if incoming.conversation_attributes:
                conversation.additional_attributes = {
                    **conversation.additional_attributes,
                    **incoming.conversation_attributes,
                }
                conversation.save(update_fields=["additional_attributes", "updated_at"])
            message = Message.objects.create(
                account_id=conversation.account_id,
                conversation=conversation,
                inbox_id=conversation.inbox_id,
                message_type=MessageType.INCOMING,
                content=(incoming.content or "")[:MAX_CONTENT],
                content_type=incoming.content_type,
                content_attributes=attributes,
                source_id=incoming.source_id,
                status=DeliveryStatus.DELIVERED,
                sender_type=SenderType.CONTACT,
                sender_contact=conversation.contact,
                sender_name=conversation.contact.display_name,
                created_at=incoming.created_at or now,
            )
            _attach(message, incoming.attachments)
            if conversation_locked and getattr(conversation, "touched_by_incoming", False):
                # Created for this message, and inserted as the message leaves it: no second
                # write (once: for this first message only).
                conversation.touched_by_incoming = False
            else:
                _touch(
                    conversation,
                    now,
                    incoming=True,
                    human_reply=False,
                    written_at=message.created_at,
                )
            performer = Performer(
                type="contact", id=conversation.contact_id, name=conversation.contact.display_name
            )
            conv_events.message_event(
                conv_events.MESSAGE_CREATED, message=message, performer=performer
            )
            if not muted:
                _automatic_replies(conversation, message, now)
    except IntegrityError:
        if conversation_locked:
            raise  # no savepoint: the caller's transaction is aborted, and only it can retry
        # The same provider id arrived twice at the same moment: the other one stored it.
        existing = Message.objects.filter(
            inbox_id=conversation.inbox_id, source_id=incoming.source_id
        ).first()
        if existing is None:
            raise
        return existing, False
    return message, True


def _reply_to(inbox_id: int, source_id: str) -> dict:
    """What a reply keeps of the message it quotes (Chatwoot's `in_reply_to` and
    `in_reply_to_external_id`, plus a short excerpt the thread shows without another query)."""
    attributes: dict = {"in_reply_to_external_id": source_id}
    quoted = (
        Message.objects.filter(inbox_id=inbox_id, source_id=source_id)
        .only("pk", "content", "sender_name")
        .first()
    )
    if quoted is not None:
        attributes["in_reply_to"] = quoted.pk
        attributes["reply_excerpt"] = {
            "content": quoted.content[:200],
            "sender": quoted.sender_name,
        }
    return attributes


def message_post_incoming(
    *, account: Account, actor: AccountUser, conversation: Conversation, incoming: IncomingMessage
) -> tuple[Message, bool]:
    """An API client posts what its customer wrote to a conversation (API inboxes only, as in
    Chatwoot; other channels' messages come from their webhooks). A resolved conversation
    reopens."""
    check_access(account=account, actor=actor, conversation=conversation)
    if conversation.inbox.channel_type != "api":
        raise ValidationError(
            {"message_type": _("Incoming messages can only be posted to API inboxes.")}
        )
    return message_receive(conversation=conversation, incoming=incoming, reopen=True)


def _wake(conversation: Conversation) -> Conversation:
    """A contact writing again reopens a snoozed conversation, whatever it was snoozed until
    (Chatwoot's rule), whichever channel or endpoint the message came through; and a resolved
    one when the message was posted to it explicitly."""
    from conversations.services.conversations import conversation_status_set  # imports us

    return conversation_status_set(
        account=conversation.account,
        actor=None,
        conversation=conversation,
        status=Status.OPEN,
        performer=Performer(type="system", name=""),
    )


def _automatic_replies(conversation: Conversation, message: Message, now: datetime) -> None:
    """The greeting on a conversation's first incoming message, and the out-of-office reply at
    most once per closed period (not while an agent answered in the last few minutes)."""
    inbox = conversation.inbox
    system = Performer(type="system", name=inbox.name)
    greeting = inbox.greeting_enabled and inbox.greeting_message.strip()
    if (
        greeting
        and not Message.objects.filter(conversation=conversation, message_type=MessageType.INCOMING)
        .exclude(pk=message.pk)
        .exists()
    ):
        _system_reply(conversation, inbox.greeting_message, system, kind="greeting")
    if not inbox.working_hours_enabled or not inbox.out_of_office_message.strip():
        return
    if inbox_is_open(inbox, now):
        return
    # The closed period is named by when the inbox next opens; one that never opens is one
    # endless period.
    period = inbox_next_opening(inbox, now) or NEVER_OPENS
    if conversation.out_of_office_sent_for == period:
        return
    if Message.objects.filter(
        conversation=conversation,
        message_type=MessageType.OUTGOING,
        sender_type=SenderType.USER,
        private=False,
        created_at__gte=now - RECENT_AGENT_REPLY,
    ).exists():
        return
    conversation.out_of_office_sent_for = period
    conversation.save(update_fields=["out_of_office_sent_for", "updated_at"])
    _system_reply(conversation, inbox.out_of_office_message, system, kind="out_of_office")


def _system_reply(
    conversation: Conversation, content: str, performer: Performer, *, kind: str
) -> Message:
    handed_over = delivery.hands_over_on_commit(conversation.inbox.channel_type)
    message = Message.objects.create(
        account_id=conversation.account_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        message_type=MessageType.OUTGOING,
        content=content.strip(),
        content_attributes={"automatic": kind},
        status=DeliveryStatus.SENT if handed_over else DeliveryStatus.QUEUED,
        sender_type=SenderType.SYSTEM,
        sender_name=performer.name,
    )
    conv_events.message_event(conv_events.MESSAGE_CREATED, message=message, performer=performer)
    if not handed_over:
        delivery.queue(message)
    return message


def system_message_send(
    *, conversation: Conversation, content: str, performer: Performer, kind: str
) -> Message:
    """An automatic message to the contact (e.g. a team's routing message); inside the caller's
    transaction."""
    return _system_reply(conversation, content, performer, kind=kind)


def _earlier_than(status: str) -> list[str]:
    """The statuses a message may move to `status` from: only forward (sent → delivered →
    read), and to failed only while not yet delivered."""
    if status == DeliveryStatus.FAILED:
        return [DeliveryStatus.QUEUED, DeliveryStatus.SENT]
    return [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]


def _move_status(messages, status: str, attributes: dict | None = None, **fields) -> bool:
    """Moves the message of `messages` to `status` if that is forward, and tells the screens.
    A late or repeated update changes nothing. `attributes` are set in content_attributes in
    the same statement. Returns whether it changed."""
    if attributes:
        fields["content_attributes"] = JSONMerged("content_attributes", attributes)
    with transaction.atomic():
        changed = messages.filter(status__in=_earlier_than(status)).update(
            status=status, updated_at=timezone.now(), **fields
        )
        if changed:
            for message in messages.select_related(
                "conversation__assignee__user",
                "conversation__contact",
                "conversation__team",
                "conversation__contact_inbox",
            ):
                conv_events.message_event(
                    conv_events.MESSAGE_UPDATED, message=message, performer=None
                )
    return bool(changed)


def _lock_source_id(inbox_id: int, source_id: str) -> None:
    """Serialises, until the transaction ends, the status reports and the send result that
    concern one provider id, so that a report arriving while the send is being recorded is
    either applied to the message or kept as early, never lost in between (PostgreSQL; SQLite
    runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(source_id.encode()) - 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [inbox_id, key])


def _failure_fields(error: str, code: str, detail: dict | None) -> dict:
    """What a failure writes on the message: the sentence for people, the provider's code, and
    the provider's own words (code, title, details) in content_attributes.provider_error."""
    fields: dict = {"external_error": error[:2000], "external_error_code": str(code)[:32]}
    if detail:
        fields["attributes"] = {"provider_error": clean_provider_error(detail)}
    return fields


def clean_provider_error(detail: dict) -> dict[str, str]:
    return {
        key: str(detail[key])[:1000]
        for key in ("code", "title", "details")
        if detail.get(key) not in (None, "")
    }


def message_status_update(
    *,
    inbox_id: int,
    source_id: str,
    status: str,
    error: str = "",
    code: str = "",
    detail: dict | None = None,
) -> bool:
    """A provider's status report for the message it knows as `source_id` (sent → delivered →
    read, or failed with its error: `error` for people, `detail` the provider's code, title and
    details). A report for an id no message has yet is kept and applied when a message takes
    that id (message_mark_sent). Returns whether a message changed."""
    if status not in STATUS_RANK and status != DeliveryStatus.FAILED:
        raise ValidationError({"status": _("Unknown delivery status.")})
    with transaction.atomic():
        _lock_source_id(inbox_id, source_id)
        messages = Message.objects.filter(inbox_id=inbox_id, source_id=source_id)
        fields = {}
        if status == DeliveryStatus.FAILED:
            fields = _failure_fields(error, code, detail)
        if _move_status(messages, status, **fields):
            return True
        if not messages.exists():
            inbox = Inbox.objects.only("account_id").get(pk=inbox_id)
            EarlyStatus.objects.bulk_create(
                [
                    EarlyStatus(
                        account_id=inbox.account_id,
                        inbox_id=inbox_id,
                        source_id=source_id,
                        status=status,
                        error=error[:2000],
                        error_code=code[:32],
                        error_detail=clean_provider_error(detail or {}),
                    )
                ],
                ignore_conflicts=True,
            )
    return False


def _apply_early_statuses(inbox_id: int, source_id: str) -> None:
    """The reports that overtook the send of `source_id`, in the order statuses go."""
    early = list(EarlyStatus.objects.filter(inbox_id=inbox_id, source_id=source_id))
    if not early:
        return
    messages = Message.objects.filter(inbox_id=inbox_id, source_id=source_id)
    for report in sorted(early, key=lambda r: STATUS_RANK.get(r.status, 9)):
        fields = {}
        if report.status == DeliveryStatus.FAILED:
            fields = _failure_fields(report.error, report.error_code, report.error_detail)
        _move_status(messages, report.status, **fields)
    EarlyStatus.objects.filter(pk__in=[r.pk for r in early]).delete()


EARLY_STATUS_TTL = timedelta(days=7)


def early_statuses_sweep(*, at: datetime) -> int:
    """Applies early reports whose message has its id by now (a race the lock could not see:
    SQLite, or a message id set another way) and drops those older than a week (reports about
    messages sent from the phone itself, which Nexloo never stores). Returns how many applied."""
    EarlyStatus.objects.filter(received_at__lt=at - EARLY_STATUS_TTL).delete()
    matched = list(
        EarlyStatus.objects.filter(
            Exists(
                Message.objects.filter(
                    inbox_id=OuterRef("inbox_id"), source_id=OuterRef("source_id")
                )
            )
        )
        .values_list("inbox_id", "source_id")
        .distinct()[:500]
    )
    for inbox_id, source_id in matched:
        with transaction.atomic():
            _lock_source_id(inbox_id, source_id)
            _apply_early_statuses(inbox_id, source_id)
    return len(matched)


def message_react(
    *, inbox_id: int, source_id: str, reactor: str, emoji: str, at: datetime
) -> Message | None:
    """A contact's reaction to the message known as `source_id` in the inbox: shown on that
    message, one per person, the latest winning (an empty emoji takes it away). Repeating or
    replaying an older reaction changes nothing. None when the message is unknown."""
    with transaction.atomic():
        # The message's row locked alone, then read with what the event needs (a locking read's
        # joined rows may be older than the row it locked: see lock_conversation).
        pk = (
            Message.objects.select_for_update()
            .filter(inbox_id=inbox_id, source_id=source_id)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        message = Message.objects.select_related(
            "conversation__assignee__user",
            "conversation__contact",
            "conversation__contact_inbox",
        ).get(pk=pk)
        reactions = dict(message.content_attributes.get("reactions") or {})
        current = reactions.get(reactor) or {}
        stamp = int(at.timestamp())
        if current.get("at", -1) > stamp or (
            current.get("at") == stamp and current.get("emoji") == emoji
        ):
            return message
        reactions[reactor] = {"emoji": emoji, "at": stamp}
        message.content_attributes = {**message.content_attributes, "reactions": reactions}
        message.save(update_fields=["content_attributes", "updated_at"])
        conv_events.message_event(conv_events.MESSAGE_UPDATED, message=message, performer=None)
    return message


DELIVERY_CLAIM_TTL = timedelta(minutes=5)


def message_claim_delivery(*, message_id: int, at: datetime | None = None) -> Message | None:
    """Claims a queued message for sending; None when it is not queued (sent, failed) or another
    run claimed it recently. A claim older than DELIVERY_CLAIM_TTL is taken over: that run died
    without recording the outcome, so sending again risks a duplicate rather than a loss."""
    at = at or timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED, private=False)
        .filter(
            Q(delivery_claimed_at__isnull=True) | Q(delivery_claimed_at__lt=at - DELIVERY_CLAIM_TTL)
        )
        .update(delivery_claimed_at=at)
    )
    if not claimed:
        return None
    return (
        Message.objects.select_related(
            "inbox", "conversation__contact_inbox", "conversation__contact"
        )
        .prefetch_related("attachments")
        .get(pk=message_id)
    )


def _released(at: datetime) -> datetime:
    """A claim any later run may take at once, which still tells when it was given back."""
    return at - DELIVERY_CLAIM_TTL - timedelta(seconds=1)


def message_release_delivery(*, message_id: int) -> None:
    """The send failed in a way worth retrying: let the next run claim it at once."""
    Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED).update(
        delivery_claimed_at=_released(timezone.now())
    )


# The sweep leaves alone a reply younger than this (its task is queued or running), and one given
# back more recently than REQUEUE_GRACE (a retry is due: Celery's backoff tops at 5 minutes).
REQUEUE_AFTER = timedelta(minutes=2)
REQUEUE_GRACE = timedelta(minutes=10)
REQUEUE_WITHIN = timedelta(days=1)  # older replies are past WhatsApp's window: not sent late


def messages_requeue_stuck(*, at: datetime, limit: int = 500) -> int:
    """Queues again the replies still waiting to leave whose task was lost: never queued (Redis
    was down at the commit), or given back / claimed long ago by a run that did not finish.
    Each is marked given back, so the next sweep leaves it to this task for a while; the claim
    keeps a reply from being sent twice. Returns how many were queued."""
    stale = at - DELIVERY_CLAIM_TTL - REQUEUE_GRACE
    with transaction.atomic():
        stuck = list(
            Message.objects.filter(
                status=DeliveryStatus.QUEUED,
                private=False,
                created_at__gte=at - REQUEUE_WITHIN,
                created_at__lt=at - REQUEUE_AFTER,
            )
            .filter(Q(delivery_claimed_at__isnull=True) | Q(delivery_claimed_at__lt=stale))
            .select_for_update(skip_locked=True)
            .only("pk")
            .order_by("created_at")[:limit]
        )
        Message.objects.filter(pk__in=[m.pk for m in stuck]).update(
            delivery_claimed_at=_released(at)
        )
        for message in stuck:
            delivery.queue(message)
    if stuck:
        logger.warning("re-queued %d reply(ies) whose delivery task was lost", len(stuck))
    return len(stuck)


def message_mark_sent(
    *, message_id: int, source_id: str | None, inbox_id: int | None = None
) -> bool:
    """Delivery accepted the message: record the provider's id, if the status is still queued,
    then the status reports for that id that arrived first."""
    if not source_id:
        return _move_status(Message.objects.filter(pk=message_id), DeliveryStatus.SENT)
    if inbox_id is None:
        inbox_id = Message.objects.values_list("inbox_id", flat=True).get(pk=message_id)
    with transaction.atomic():
        _lock_source_id(inbox_id, source_id)
        moved = _move_status(
            Message.objects.filter(pk=message_id), DeliveryStatus.SENT, source_id=source_id
        )
        if moved:
            _apply_early_statuses(inbox_id, source_id)
    return moved


def message_mark_failed(
    *, message_id: int, error: str, code: str = "", detail: dict | None = None
) -> bool:
    return _move_status(
        Message.objects.filter(pk=message_id),
        DeliveryStatus.FAILED,
        **_failure_fields(error, code, detail),
    )


@transaction.atomic
def message_delete(*, account: Account, actor: AccountUser, message: Message) -> Message:
    """Chatwoot's delete: the content goes, the line stays ("This message was deleted")."""
    conversation = message.conversation
    check_access(account=account, actor=actor, conversation=conversation)
    if (
        message.message_type not in (MessageType.OUTGOING, MessageType.TEMPLATE)
        and not actor.is_administrator
    ):
        raise ValidationError({"message": _("Only sent messages can be deleted.")})
    with account_language(account):
        placeholder = _("This message was deleted")
    message.content = placeholder
    message.content_attributes = {**message.content_attributes, "deleted": True}
    message.save(update_fields=["content", "content_attributes", "updated_at"])
    message.attachments.all().delete()
    conv_events.message_event(
        conv_events.MESSAGE_UPDATED, message=message, performer=performer_of(actor)
    )
    return message
