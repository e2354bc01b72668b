"""Writes of the WhatsApp app: connecting a number to an inbox, processing stored deliveries,
filling received media, syncing templates, testing the connection."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from conversations import phones
from conversations import services as conversations
from conversations.models import Attachment
from conversations.services.common import account_language
from conversations.services.messages import IncomingMessage, NewAttachment
from inboxes import services as inbox_services
from inboxes.models import ChannelType, Inbox
from nexloo.core import crypto
from nexloo.core.db import columns_of, instance_from_row
from nexloo.core.errors import ValidationError
from nexloo.core.links import absolute_url
from nexloo.core.tasks import enqueue_on_commit
from whatsapp import channel_cache, errors, parser, selectors
from whatsapp.graph import GraphError
from whatsapp.models import MessageTemplate, Provider, WebhookEvent, WhatsAppChannel
from whatsapp.providers import provider_for

logger = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 10
SECRET_FIELDS = ("access_token", "app_secret")


# --- Connecting a number -------------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _clean_channel(account: Account, fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors_: dict[str, str] = {}
    if "phone_number" in fields or creating:
        try:
            cleaned["phone_number"] = phones.normalize_phone(
                fields.get("phone_number") or "", region=account.country, strict=False
            )
        except phones.InvalidPhone:
            cleaned["phone_number"] = ""
        if not cleaned["phone_number"]:
            errors_["phone_number"] = _(
                "Enter the WhatsApp number with its country code, e.g. +55 11 98765-4321."
            )
    for name in ("phone_number_id", "business_account_id"):
        if name in fields or creating:
            value = _digits(fields.get(name) or "")
            if not value:
                errors_[name] = _("Enter the ID shown in Meta's WhatsApp settings (digits).")
            cleaned[name] = value
    for name in SECRET_FIELDS:
        value = (fields.get(name) or "").strip()
        if value:
            cleaned[name] = value
        elif creating:
            errors_[name] = _("This field is required.")
    if errors_:
        raise ValidationError(errors_)
    return cleaned


def channel_changed(channel: WhatsAppChannel, *, old_number: str | None = None) -> None:
    """Drops the webhook's cached view of the number once the change commits."""
    numbers = {channel.phone_number, old_number} - {None, ""}
    for number in numbers:
        transaction.on_commit(lambda n=number: channel_cache.invalidate(n))


@transaction.atomic
def channel_create(
    *,
    account: Account,
    actor: AccountUser | None,
    inbox: Inbox,
    phone_number: str,
    phone_number_id: str,
    business_account_id: str,
    access_token: str,
    app_secret: str,
    provider: str = Provider.CLOUD,
) -> WhatsAppChannel:
    """Connects a number to a WhatsApp inbox (administrators only)."""
    require_admin(actor, account)
    if inbox.account_id != account.pk or inbox.channel_type != ChannelType.WHATSAPP_CLOUD:
        raise ValidationError({"channel": _("This inbox is not a WhatsApp inbox.")})
    if provider not in Provider.values:
        raise ValidationError({"provider": _("Unknown WhatsApp provider.")})
    cleaned = _clean_channel(
        account,
        {
            "phone_number": phone_number,
            "phone_number_id": phone_number_id,
            "business_account_id": business_account_id,
            "access_token": access_token,
            "app_secret": app_secret,
        },
        creating=True,
    )
    if WhatsAppChannel.objects.filter(phone_number=cleaned["phone_number"]).exists():
        raise ValidationError({"phone_number": _("This number is already connected to an inbox.")})
    try:
        with transaction.atomic():
            channel = WhatsAppChannel.objects.create(
                account=account,
                inbox=inbox,
                provider=provider,
                phone_number=cleaned["phone_number"],
                phone_number_id=cleaned["phone_number_id"],
                business_account_id=cleaned["business_account_id"],
                access_token_encrypted=crypto.encrypt(cleaned["access_token"]),
                app_secret_encrypted=crypto.encrypt(cleaned["app_secret"]),
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"phone_number": _("This number is already connected to an inbox.")}
        ) from exc
    channel_changed(channel)
    return channel


@transaction.atomic
def whatsapp_inbox_create(
    *, account: Account, actor: AccountUser | None, name: str, timezone: str = "", **channel
) -> WhatsAppChannel:
    """A new inbox with its number (Configurações → Caixas de Entrada → Nova → WhatsApp)."""
    settings = {"timezone": timezone} if timezone else {}
    inbox = inbox_services.inbox_create(
        account=account,
        actor=actor,
        name=name,
        channel_type=ChannelType.WHATSAPP_CLOUD,
        **settings,
    )
    return channel_create(account=account, actor=actor, inbox=inbox, **channel)


@transaction.atomic
def channel_update(
    *, account: Account, actor: AccountUser | None, channel: WhatsAppChannel, **fields
) -> WhatsAppChannel:
    """Changes the number's settings; an empty access token or app secret keeps the stored one."""
    require_admin(actor, account)
    if channel.account_id != account.pk:
        raise ValidationError({"channel": _("This inbox is not a WhatsApp inbox.")})
    unknown = set(fields) - {
        "phone_number",
        "phone_number_id",
        "business_account_id",
        *SECRET_FIELDS,
    }
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    cleaned = _clean_channel(account, fields, creating=False)
    channel = WhatsAppChannel.objects.select_for_update().get(pk=channel.pk)
    old_number = channel.phone_number
    if (
        cleaned.get("phone_number", old_number) != old_number
        and WhatsAppChannel.objects.filter(phone_number=cleaned["phone_number"]).exists()
    ):
        raise ValidationError({"phone_number": _("This number is already connected to an inbox.")})
    for name in ("phone_number", "phone_number_id", "business_account_id"):
        if name in cleaned:
            setattr(channel, name, cleaned[name])
    if "access_token" in cleaned:
        channel.access_token_encrypted = crypto.encrypt(cleaned["access_token"])
        if channel.auth_error:
            channel.auth_error, channel.auth_error_at = "", None
            _auth_alerts_changed(channel.account_id)
    if "app_secret" in cleaned:
        channel.app_secret_encrypted = crypto.encrypt(cleaned["app_secret"])
    channel.save()
    channel_changed(channel, old_number=old_number)
    return channel


def _auth_alerts_changed(account_id: int) -> None:
    transaction.on_commit(lambda: selectors.auth_alerts_forget(account_id=account_id))


def channel_auth_failed(*, channel_id: int, error: str) -> bool:
    """The Graph API refused the token (190): remembered on the channel, which puts a banner in
    front of the account's administrators until a new token is saved (or the connection test
    passes). The first failure of the token also e-mails them; the next ones, until then, do
    not. Returns whether this was the first."""
    with transaction.atomic():
        first = WhatsAppChannel.objects.filter(pk=channel_id, auth_error="").update(
            auth_error=error[:2000] or "190", auth_error_at=timezone.now()
        )
        if first:
            from whatsapp.tasks import notify_auth_failed

            account_id = (
                WhatsAppChannel.objects.filter(pk=channel_id)
                .values_list("account_id", flat=True)
                .get()
            )
            _auth_alerts_changed(account_id)
            enqueue_on_commit(notify_auth_failed, channel_id)
    return bool(first)


def channel_auth_ok(*, channel: WhatsAppChannel) -> None:
    """The Graph API accepted the token again: the banner goes."""
    with transaction.atomic():
        if (
            WhatsAppChannel.objects.filter(pk=channel.pk)
            .exclude(auth_error="")
            .update(auth_error="", auth_error_at=None)
        ):
            _auth_alerts_changed(channel.account_id)


def auth_failure_notify(*, channel_id: int) -> int:
    """E-mails the account's administrators that Meta refused the number's access token, with
    where to enter a new one. Returns to how many."""
    from accounts.selectors import administrator_emails

    channel = (
        WhatsAppChannel.objects.select_related("account", "inbox").filter(pk=channel_id).first()
    )
    if channel is None or not channel.auth_error:
        return 0  # already fixed, or gone
    emails = administrator_emails(account_id=channel.account_id)
    if not emails:
        return 0
    with translation.override(channel.account.locale):
        subject = _("WhatsApp refused the access token of %(inbox)s") % {
            "inbox": channel.inbox.name
        }
        body = _(
            "WhatsApp refused the access token of the inbox %(inbox)s (%(number)s): its replies "
            "are not sent and the files customers send are not downloaded.\n"
            "%(error)s\n\n"
            "Enter a new access token on the inbox's WhatsApp tab: %(link)s\n"
        ) % {
            "inbox": channel.inbox.name,
            "number": channel.phone_number,
            "error": channel.auth_error,
            "link": absolute_url(
                reverse("whatsapp:inbox", args=[channel.account_id, channel.inbox_id])
            ),
        }
    send_mail(subject, body, None, emails)
    return len(emails)


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    text: str  # in the active language


def channel_test(
    *, account: Account, actor: AccountUser | None, channel: WhatsAppChannel
) -> ConnectionReport:
    """Testar conexão: asks the Graph API about the number and says what it answered."""
    require_admin(actor, account)
    try:
        info = provider_for(channel.provider).check(channel)
    except crypto.DecryptionError:
        return ConnectionReport(
            False, _("The stored credentials cannot be read: enter them again.")
        )
    except GraphError as exc:
        if exc.code == errors.TOKEN_INVALID:
            channel_auth_failed(
                channel_id=channel.pk, error=errors.explain(exc.code, exc.described)
            )
        return ConnectionReport(
            False,
            _("The connection failed: %(reason)s")
            % {"reason": errors.explain(exc.code, exc.described)},
        )
    channel_auth_ok(channel=channel)
    quality = {"GREEN": _("high"), "YELLOW": _("medium"), "RED": _("low")}.get(
        str(info.get("quality_rating") or "").upper(), str(info.get("quality_rating") or "—")
    )
    return ConnectionReport(
        True,
        _("Connected: %(name)s, %(number)s (quality: %(quality)s).")
        % {
            "name": info.get("verified_name") or _("no verified name"),
            "number": info.get("display_phone_number") or channel.phone_number,
            "quality": quality,
        },
    )


# --- Templates -----------------------------------------------------------------------------------


def templates_sync(*, channel_id: int) -> int:
    """Replaces the stored templates of the number's business account with the Graph API's.
    Returns how many there are."""
    channel = WhatsAppChannel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    found = provider_for(channel.provider).templates(channel)
    now = timezone.now()
    with transaction.atomic():
        keep = []
        for item in found:
            name, language = str(item.get("name") or ""), str(item.get("language") or "")
            if not name or not language:
                continue
            template, _created = MessageTemplate.objects.update_or_create(
                channel=channel,
                name=name,
                language=language,
                defaults={
                    "account_id": channel.account_id,
                    "status": str(item.get("status") or "").upper(),
                    "category": str(item.get("category") or "").upper(),
                    "components": item.get("components") or [],
                    "synced_at": now,
                },
            )
            keep.append(template.pk)
        MessageTemplate.objects.filter(channel=channel).exclude(pk__in=keep).delete()
        WhatsAppChannel.objects.filter(pk=channel.pk).update(templates_synced_at=now)
    return len(keep)


# --- Processing a stored delivery ----------------------------------------------------------------


CLAIM_SQL = (
    "UPDATE whatsapp_webhookevent SET claimed_at = %s WHERE id = %s AND status = 'received' "
    "AND (claimed_at IS NULL OR claimed_at < %s) RETURNING inbox_id, body"
)


# On PostgreSQL the claim also reads the event's channel with its inbox and account, in the same
# statement (the UPDATE in a CTE, the channel joined to what it returned): one round trip fewer
# on every delivery. The tables' names are the models', not input.
CLAIM_WITH_CHANNEL_SQL = (
    f"WITH claimed AS ({CLAIM_SQL}) "  # noqa: S608
    f"SELECT claimed.inbox_id, claimed.body, {columns_of(WhatsAppChannel, 'c')}, "
    f"{columns_of(Inbox, 'i')}, {columns_of(Account, 'a')} FROM claimed "
    f"LEFT JOIN {WhatsAppChannel._meta.db_table} c ON c.inbox_id = claimed.inbox_id "
    f"LEFT JOIN {Inbox._meta.db_table} i ON i.id = c.inbox_id "
    f"LEFT JOIN {Account._meta.db_table} a ON a.id = c.account_id"
)


@dataclass(frozen=True)
class Claimed:
    pk: int
    inbox_id: int
    body: bytes
    # The inbox's WhatsApp channel, with its inbox and account (None: the inbox has none).
    channel: WhatsAppChannel | None = None


def event_claim(*, event_id: int, at: datetime | None = None) -> Claimed | None:
    """Takes a stored event for processing, with its channel: None when it is done, rejected, or
    another run took it recently (a run that died more than CLAIM_TTL ago is taken over). One
    statement on PostgreSQL; the channel is a second one elsewhere."""
    at = at or timezone.now()
    joined = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_WITH_CHANNEL_SQL if joined else CLAIM_SQL, [at, event_id, at - CLAIM_TTL]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    if joined:
        rest = row[2:]
        channel = instance_from_row(WhatsAppChannel, rest, connection)
        rest = rest[len(WhatsAppChannel._meta.concrete_fields) :]
        if channel is not None:
            channel.inbox = instance_from_row(Inbox, rest, connection)
            rest = rest[len(Inbox._meta.concrete_fields) :]
            channel.account = instance_from_row(Account, rest, connection)
            if channel.inbox.account_id == channel.account_id:  # always; never assumed
                channel.inbox.account = channel.account
    else:
        channel = (
            WhatsAppChannel.objects.select_related("inbox", "account")
            .filter(inbox_id=row[0])
            .first()
        )
    return Claimed(pk=event_id, inbox_id=row[0], body=bytes(row[1]), channel=channel)


# Losing the database mid-way is not the item's fault: the whole event is left for a retry.
_RETRY_LATER = (OperationalError, InterfaceError)


def event_process(*, event_id: int) -> str:
    """Processes every item of a stored delivery, each on its own: an item that fails is recorded
    on the event and the others go on. Idempotent (messages are stored once per wamid, statuses
    only move forward), so a second run after a crash changes nothing already done."""
    event = event_claim(event_id=event_id)
    if event is None:
        return "skipped"
    channel = event.channel
    if channel is None:
        _finish(event, WebhookEvent.Status.REJECTED, reason="the inbox has no WhatsApp number")
        return "rejected"
    provider = provider_for(channel.provider)
    try:
        items = provider.items(bytes(event.body))
    except parser.NotAWhatsAppDelivery as exc:
        _finish(event, WebhookEvent.Status.REJECTED, reason=str(exc))
        return "rejected"
    foreign = {i.phone_number_id for i in items if hasattr(i, "phone_number_id")} - {
        channel.phone_number_id
    }
    if foreign:
        # Checked by the webhook already; checked again, so nothing else can inject.
        _finish(event, WebhookEvent.Status.REJECTED, reason=f"phone_number_id {sorted(foreign)}")
        return "rejected"
    failures: list[dict[str, str]] = []
    for item in items:
        try:
            apply_item(channel, item)  # each service runs in its own transaction
        except _RETRY_LATER:
            WebhookEvent.objects.filter(pk=event.pk).update(claimed_at=None)
            raise
        except Exception as exc:
            logger.exception(
                "webhook event %s: item %s failed", event.pk, getattr(item, "path", "?")
            )
            failures.append(
                {"item": getattr(item, "path", "?"), "error": f"{type(exc).__name__}: {exc}"[:1000]}
            )
    _finish(event, WebhookEvent.Status.PROCESSED, failures=failures)
    return "processed"


def _finish(event: Claimed, status: str, *, reason: str = "", failures=()) -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, reason=reason[:2000], errors=list(failures), processed_at=timezone.now()
    )


def apply_item(channel: WhatsAppChannel, item: parser.Item) -> None:
    if isinstance(item, parser.Broken):
        raise ValueError(item.error)
    if isinstance(item, parser.StatusReport):
        _apply_status(channel, item)
    elif isinstance(item, parser.Inbound):
        if item.reaction_to is not None:
            _apply_reaction(channel, item)
        else:
            _apply_message(channel, item)
    elif isinstance(item, parser.Other) and item.field == "message_template_status_update":
        from whatsapp.tasks import sync_templates

        enqueue_on_commit(sync_templates, channel.pk)


def wa_id_of(raw: str) -> str:
    """The contact's key in the inbox: digits, with Brazil's ninth digit (so 55 11 8765-4321 and
    55 11 98765-4321, which WhatsApp reports for the same person, are one contact)."""
    return phones.brazil_ninth_digit(_digits(raw)) or raw


def _apply_status(channel: WhatsAppChannel, item: parser.StatusReport) -> None:
    if item.status not in parser.STATUSES:
        logger.info("status %r of %s ignored", item.status, item.wamid)
        return
    error = code = ""
    detail = None
    if item.status == "failed":
        first = item.errors[0] if item.errors else {}
        code = str(first.get("code") or "")
        title = str(first.get("title") or first.get("message") or "")
        details = str((first.get("error_data") or {}).get("details") or "")
        detail = {"code": code, "title": title, "details": details}
        with account_language(channel.account):
            error = errors.explain(code, title)
    conversations.message_status_update(
        inbox_id=channel.inbox_id,
        source_id=item.wamid,
        status=item.status,
        error=error,
        code=code,
        detail=detail,
    )


def _apply_reaction(channel: WhatsAppChannel, item: parser.Inbound) -> None:
    reacted = conversations.message_react(
        inbox_id=channel.inbox_id,
        source_id=item.reaction_to,
        reactor=wa_id_of(item.wa_id),
        emoji=item.emoji,
        at=item.timestamp,
    )
    if reacted is None:
        logger.info("reaction to unknown message %s ignored", item.reaction_to)


def _apply_message(channel: WhatsAppChannel, item: parser.Inbound) -> None:
    wa_id = wa_id_of(item.wa_id)
    attributes = dict(item.attributes)
    content = item.content
    content_type = "text"
    if item.unsupported is not None:
        attributes["unsupported"] = item.unsupported
        content_type = "unsupported"
        with account_language(channel.account):
            reason = errors.explain(
                item.unsupported.get("code"), item.unsupported.get("title") or ""
            )
            content = _("Unsupported message: %(reason)s") % {"reason": reason}
    incoming = IncomingMessage(
        content=content,
        source_id=item.wamid,
        content_type=content_type,
        content_attributes=attributes,
        attachments=tuple(
            NewAttachment(
                file_type=m.file_type,
                file_name=m.file_name,
                content_type=m.mime_type,
                meta={"media_id": m.media_id, "sha256": m.sha256},
            )
            for m in item.media
        ),
        created_at=item.timestamp,
        reply_to_source_id=item.reply_to,
        conversation_attributes={"referral": item.referral} if item.referral else {},
    )
    message, created = conversations.inbound_message(
        inbox=channel.inbox,
        contact_source_id=wa_id,
        message=incoming,
        contact_name=item.profile_name,
        phone_number="+" + wa_id if wa_id.isdigit() else "",
    )
    if created and item.media:
        from whatsapp.tasks import download_media

        for attachment_id in Attachment.objects.filter(message=message).values_list(
            "pk", flat=True
        ):
            enqueue_on_commit(download_media, attachment_id)


def events_requeue(*, at: datetime, limit: int = 500) -> int:
    """Stored deliveries nobody processed (the queueing was lost: Redis away, a process killed
    before its publisher ran, a worker killed mid-way) are queued again; after MAX_ATTEMPTS an
    event is marked failed so that it stops coming back. Returns how many were queued."""
    from whatsapp.tasks import process_event

    stale = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, received_at__lt=at - timedelta(seconds=30)
    ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=at - CLAIM_TTL))
    gave_up = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=WebhookEvent.Status.FAILED, reason="gave up after repeated attempts", processed_at=at
    )
    if gave_up:
        logger.error("%d webhook event(s) failed after %d attempts", gave_up, MAX_ATTEMPTS)
    ids = list(stale.order_by("received_at").values_list("pk", flat=True)[:limit])
    if ids:
        WebhookEvent.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
        for event_id in ids:
            enqueue_on_commit(process_event, event_id)
        logger.warning("re-queued %d stored webhook event(s) nobody processed", len(ids))
    return len(ids)


# --- Media ---------------------------------------------------------------------------------------


# A received file is fetched by its media id, which Meta keeps for 30 days. The download task
# retries a failure for about half an hour (MEDIA_RETRY_*); what it could not get, and what was
# never queued (Redis away, a worker killed), is queued again by the periodic `media_requeue`
# with a growing pause, until the file is there, fails for good, or the media id has expired.
# Bookkeeping on the attachment's meta: `download_due` (epoch seconds: not re-queued before)
# and `download_tries` (how many times the task's retries ran out).
MEDIA_TTL = timedelta(days=30)
MEDIA_REQUEUE_AFTER = timedelta(minutes=1)  # the task queued on receipt had its chance
MEDIA_LEASE = timedelta(minutes=15)  # a queued download is left alone this long
MEDIA_PAUSE_MAX = timedelta(hours=6)
MEDIA_RETRY_FIRST = timedelta(seconds=30)
MEDIA_RETRY_MAX = timedelta(minutes=15)
MEDIA_RETRIES = 6  # 30 s, 1, 2, 4, 8, 15 min: about half an hour


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def media_retry_delay(retries: int) -> timedelta:
    """The pause before the download task's next try, after `retries` failed ones."""
    return min(MEDIA_RETRY_FIRST * 2**retries, MEDIA_RETRY_MAX)


def media_pending():
    """Received WhatsApp media still to be downloaded (the partial index
    attachment_media_pending holds exactly these)."""
    return Attachment.objects.filter(
        file="", meta__has_key="media_id", message__inbox__channel_type=ChannelType.WHATSAPP_CLOUD
    ).exclude(meta__has_key="error")


def media_retry_later(*, attachment_id: int, at: datetime, delay: timedelta) -> None:
    """The download task will try again in `delay`: the re-queue leaves it alone until a lease
    after that."""
    conversations.attachment_meta_set(
        attachment_id=attachment_id, values={"download_due": _epoch(at + delay + MEDIA_LEASE)}
    )


def media_gave_up_for_now(*, attachment_id: int, at: datetime) -> None:
    """The task's retries ran out: the re-queue tries again after a pause that doubles each
    time (15 min, 30 min, 1 h … 6 h)."""
    meta = Attachment.objects.filter(pk=attachment_id).values_list("meta", flat=True).first()
    tries = int((meta or {}).get("download_tries") or 0) + 1
    pause = min(MEDIA_LEASE * 2 ** (tries - 1), MEDIA_PAUSE_MAX)
    conversations.attachment_meta_set(
        attachment_id=attachment_id,
        values={"download_due": _epoch(at + pause), "download_tries": tries},
    )


def media_requeue(*, at: datetime, limit: int = 200) -> int:
    """Periodic: queues again the downloads of received media that have neither a file nor a
    final error, older than MEDIA_REQUEUE_AFTER and due (see above), at most `limit` per run,
    oldest first. Media older than Meta keeps it is marked unavailable. A number whose token
    Meta refuses waits for the new token. Returns how many were queued."""
    from whatsapp.tasks import download_media

    pending = media_pending().filter(created_at__lt=at - MEDIA_REQUEUE_AFTER)
    expired = list(
        pending.filter(created_at__lt=at - MEDIA_TTL).values_list("pk", flat=True)[:limit]
    )
    for attachment_id in expired:
        conversations.attachment_mark_unavailable(attachment_id=attachment_id, reason="expired")
    due = list(
        pending.filter(created_at__gte=at - MEDIA_TTL)
        .filter(Q(meta__download_due__isnull=True) | Q(meta__download_due__lte=_epoch(at)))
        .exclude(message__inbox__whatsapp_channel__auth_error__gt="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for attachment_id in due:
        conversations.attachment_meta_set(
            attachment_id=attachment_id, values={"download_due": _epoch(at + MEDIA_LEASE)}
        )
        enqueue_on_commit(download_media, attachment_id)
    if due or expired:
        logger.warning(
            "re-queued %d WhatsApp media download(s); %d expired", len(due), len(expired)
        )
    return len(due)


def media_download(*, attachment_id: int) -> str:
    """Downloads a received media file through the Graph API and stores it on its attachment.
    Raises GraphError when worth retrying; a permanent failure is written on the attachment.
    A refused token (190) is the number's problem, not the file's: the administrators are told
    and the file waits for the new token."""
    attachment = (
        Attachment.objects.select_related("message__inbox").filter(pk=attachment_id).first()
    )
    if attachment is None or attachment.file or attachment.meta.get("error"):
        return "skipped"
    media_id = attachment.meta.get("media_id")
    channel = WhatsAppChannel.objects.filter(inbox_id=attachment.message.inbox_id).first()
    if not media_id or channel is None:
        conversations.attachment_mark_unavailable(attachment_id=attachment_id, reason="no_channel")
        return "unavailable"
    try:
        content, content_type = provider_for(channel.provider).media(channel, media_id)
    except crypto.DecryptionError:
        _media_token_refused(channel, errors.TOKEN_INVALID, "")
        return "waiting_for_token"
    except GraphError as exc:
        if exc.transient:
            raise
        if exc.code == errors.TOKEN_INVALID:
            _media_token_refused(channel, exc.code, exc.described)
            return "waiting_for_token"
        conversations.attachment_mark_unavailable(attachment_id=attachment_id, reason=exc.code)
        return "unavailable"
    conversations.attachment_fill(
        attachment_id=attachment_id,
        content=content,
        content_type=content_type,
        file_name=attachment.file_name or _default_name(attachment, content_type),
    )
    return "stored"


EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "application/pdf": ".pdf",
}


def _default_name(attachment: Attachment, content_type: str) -> str:
    return f"whatsapp-{attachment.file_type}{EXTENSIONS.get(content_type, '')}"


def _media_token_refused(channel: WhatsAppChannel, code: str, title: str) -> None:
    with account_language(channel.account_id):
        channel_auth_failed(channel_id=channel.pk, error=errors.explain(code, title))
