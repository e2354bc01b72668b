"""Contacts: created by channels (find or create by the channel's id) or by people."""

from __future__ import annotations

from contextlib import nullcontext

from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from conversations import events as conv_events
from conversations import phones
from conversations.models import Contact, ContactInbox
from conversations.services.common import performer_of
from inboxes.models import Inbox
from nexloo.core import events
from nexloo.core.errors import NotFound, ValidationError
from nexloo.core.events import Performer

EDITABLE = {
    "name",
    "phone_number",
    "email",
    "identifier",
    "custom_attributes",
    "additional_attributes",
}


def normalize_phone(raw: str, *, region: str = phones.DEFAULT_REGION, strict: bool = True) -> str:
    """E.164 through libphonenumber (see conversations.phones): "(11) 98765-4321" typed in a
    Brazilian account, "+55 (11) 98765-4321" and "5511987654321" (a WhatsApp wa_id) all give
    "+5511987654321"; an empty value stays empty."""
    try:
        return phones.normalize_phone(raw, region=region, strict=strict)
    except phones.InvalidPhone as exc:
        raise ValidationError(
            {"phone_number": _("Enter a valid phone number, e.g. (11) 98765-4321.")}
        ) from exc


def _clean(fields: dict, region: str = phones.DEFAULT_REGION) -> dict:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()[:255]
    if "phone_number" in fields:
        fields["phone_number"] = normalize_phone(fields["phone_number"], region=region)
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
        try:
            validate_email(fields["email"])
        except ValidationError as exc:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    if "identifier" in fields:
        fields["identifier"] = (fields["identifier"] or "").strip()[:255]
    return fields


def _duplicate_error(
    account: Account, fields: dict, exclude: int | None = None
) -> ValidationError | None:
    qs = Contact.objects.for_account(account)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if fields.get("phone_number") and qs.filter(phone_number=fields["phone_number"]).exists():
        return ValidationError({"phone_number": _("Another contact already has this phone.")})
    if fields.get("email") and qs.filter(email__iexact=fields["email"]).exists():
        return ValidationError({"email": _("Another contact already has this e-mail.")})
    if fields.get("identifier") and qs.filter(identifier=fields["identifier"]).exists():
        return ValidationError({"identifier": _("Another contact already has this identifier.")})
    return None


@transaction.atomic
def contact_create(
    *,
    account: Account,
    actor: AccountUser | None,
    inbox: Inbox | None = None,
    source_id: str = "",
    **fields,
) -> Contact:
    """A contact created by a person or an API client; with `inbox`, also known there (Chatwoot's
    contact_inbox, under `source_id` when given), so a conversation can be started with them."""
    if inbox is not None and inbox.account_id != account.pk:
        raise NotFound("inbox not found")
    fields = _clean(fields, account.country)
    if not any(fields.get(k) for k in ("name", "phone_number", "email", "identifier")):
        raise ValidationError({"name": _("Give the contact a name, phone or e-mail.")})
    if (error := _duplicate_error(account, fields)) is not None:
        raise error
    try:
        with transaction.atomic():
            contact = Contact.objects.create(account=account, **fields)
    except IntegrityError as exc:
        raise _duplicate_error(account, fields) or ValidationError(
            _("This contact already exists.")
        ) from exc
    if inbox is not None:
        # Kept on the contact for the caller (the API answers with it).
        contact.new_contact_inbox = contact_inbox_for(
            contact=contact, inbox=inbox, source_id=source_id
        )
    conv_events.contact_event(
        conv_events.CONTACT_CREATED, contact=contact, performer=performer_of(actor)
    )
    return contact


@transaction.atomic
def contact_update(
    *, account: Account, actor: AccountUser | None, contact: Contact, **fields
) -> Contact:
    if contact.account_id != account.pk:
        raise NotFound("contact not found")
    fields = _clean(fields, account.country)
    if (error := _duplicate_error(account, fields, exclude=contact.pk)) is not None:
        raise error
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.save()
    conv_events.contact_event(
        conv_events.CONTACT_UPDATED, contact=contact, performer=performer_of(actor)
    )
    return contact


@transaction.atomic
def contact_delete(*, account: Account, actor: AccountUser | None, contact: Contact) -> None:
    """Deletes the contact and their conversations (administrators only)."""
    require_admin(actor, account)
    if contact.account_id != account.pk:
        raise NotFound("contact not found")
    snapshot = conv_events.contact_data(contact)
    inbox_ids = set(contact.conversations.values_list("inbox_id", flat=True))
    contact.delete()
    for inbox_id in inbox_ids or {None}:
        # Screens showing the contact's conversations drop them.
        events.emit(
            events.Event(
                name=conv_events.CONTACT_DELETED,
                account_id=account.pk,
                data=snapshot,
                performer=performer_of(actor),
                inbox_id=inbox_id,
            )
        )


def contact_inbox_for(*, contact: Contact, inbox: Inbox, source_id: str = "") -> ContactInbox:
    """The contact's identity in an inbox; an API inbox without a source id uses the contact's."""
    source_id = source_id or f"contact-{contact.pk}"
    found = ContactInbox.objects.filter(inbox=inbox, source_id=source_id).first()
    if found is not None:
        if found.contact_id != contact.pk:
            raise ValidationError({"source_id": _("This source id belongs to another contact.")})
        return found
    in_callers_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic():
            created = ContactInbox.objects.create(
                account_id=inbox.account_id, contact=contact, inbox=inbox, source_id=source_id
            )
            # Inside the caller's transaction nobody else can see it, nor open a conversation
            # for it, until that commits (conversation_open_for skips its look-up then).
            created.fresh = in_callers_transaction
            return created
    except IntegrityError:
        return ContactInbox.objects.get(inbox=inbox, source_id=source_id)


@transaction.atomic
def contact_inbox_create(
    *, account: Account, actor: AccountUser | None, contact: Contact, inbox: Inbox, source_id: str
) -> ContactInbox:
    """Chatwoot's `POST contacts/{id}/contact_inboxes`: the contact becomes reachable in `inbox`
    under `source_id` (the contact's own `contact-<id>` when none is given, on an API inbox).
    A WhatsApp inbox needs the number: its source id is the contact's wa_id."""
    if contact.account_id != account.pk or inbox.account_id != account.pk:
        raise NotFound("not found")
    source_id = (source_id or "").strip()
    if inbox.channel_type != "api" and not source_id:
        if not contact.phone_number:
            raise ValidationError({"source_id": _("This inbox needs the contact's phone.")})
        source_id = contact.phone_number.lstrip("+")
    return contact_inbox_for(contact=contact, inbox=inbox, source_id=source_id)


def contact_for_source(
    *,
    inbox: Inbox,
    source_id: str,
    name: str = "",
    phone_number: str = "",
    savepoint: bool = True,
) -> ContactInbox:
    """A channel's contact by its id in the inbox (the WhatsApp wa_id), created on first contact.

    Concurrent first messages from one new contact end with one contact: unique constraints
    on (inbox, source_id) and the account's phone numbers decide, the loser reads the winner.
    `savepoint=False`: the caller's transaction is the loser's net instead (the IntegrityError
    propagates; the caller rolls back and runs again, and then finds the winner's) — two
    statements fewer on a new contact's first message (inbound_message).
    """
    found = (
        ContactInbox.objects.select_related("contact")
        .filter(inbox=inbox, source_id=source_id)
        .first()
    )
    if found is not None:
        return found
    try:
        phone = normalize_phone(phone_number, strict=False)
    except ValidationError:
        phone = ""
    in_callers_transaction = transaction.get_connection().in_atomic_block
    if not savepoint and not in_callers_transaction:
        raise RuntimeError("contact_for_source(savepoint=False) runs in its caller's transaction")
    try:
        with transaction.atomic() if savepoint else nullcontext():
            contact = (
                Contact.objects.filter(account_id=inbox.account_id, phone_number=phone).first()
                if phone
                else None
            )
            if contact is None:
                contact = Contact.objects.create(
                    account_id=inbox.account_id,
                    name=(name or phone or source_id)[:255],
                    phone_number=phone,
                )
                conv_events.contact_event(
                    conv_events.CONTACT_CREATED,
                    contact=contact,
                    performer=Performer(type="contact", id=None),
                )
            created = ContactInbox.objects.create(
                account_id=inbox.account_id, contact=contact, inbox=inbox, source_id=source_id
            )
            # Inside the caller's transaction nobody else can see it, nor open a conversation
            # for it, until that commits (conversation_open_for skips its look-up then).
            created.fresh = in_callers_transaction
            return created
    except IntegrityError:
        if not savepoint:
            raise
        return ContactInbox.objects.select_related("contact").get(inbox=inbox, source_id=source_id)
