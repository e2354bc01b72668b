"""Reads of webhooks: always from the account."""

from __future__ import annotations

import contextlib

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import Account, AccountUser
from accounts.services import require_admin
from conversations import selectors as conversation_selectors
from conversations.models import Conversation, Message
from inboxes.models import ChannelType, Inbox
from nexloo.core.errors import NotFound
from nexloo.core.tenancy import get_or_not_found
from webhooks.models import LOG_SIZE, Webhook, WebhookDelivery


def webhooks_list(*, membership: AccountUser) -> QuerySet[Webhook]:
    """The asking administrator's account's webhooks (the API channels' own, `inbox` set, are
    shown on their inbox). Webhooks are the administrators' alone: anyone else is refused here,
    whatever the caller checked."""
    require_admin(membership, membership.account)
    return (
        Webhook.objects.for_account(membership.account_id).filter(inbox__isnull=True).order_by("pk")
    )


def webhook_get(*, membership: AccountUser, webhook_id: int | str) -> Webhook:
    return get_or_not_found(webhooks_list(membership=membership), pk=webhook_id)


def inbox_webhook(*, membership: AccountUser, inbox: Inbox) -> Webhook | None:
    """The API channel's webhook of one of the asking administrator's account's inboxes (None:
    it has no webhook_url). Another account's inbox, or one that is no API channel, is
    NotFound; anyone but an administrator is refused here, as by `webhooks_list`."""
    if inbox.account_id != membership.account_id or inbox.channel_type != ChannelType.API:
        raise NotFound("inbox not found")
    require_admin(membership, membership.account)
    return Webhook.objects.for_account(membership.account_id).filter(inbox_id=inbox.pk).first()


def deliveries(*, webhook: Webhook) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(webhook=webhook)[:LOG_SIZE])


CACHE_TTL = 300


def _cache_key(account_id: int) -> str:
    return f"webhooks:active:{account_id}"


def forget_active(account_id: int) -> None:
    """Every change to an account's webhooks calls this (after its commit)."""
    cache.delete(_cache_key(account_id))


def _active(account_id: int) -> list[tuple[int, int | None, list[str]]]:
    """(id, inbox id, subscriptions) of the account's active webhooks. Every event of the
    account asks, so it is cached (no SQL on the hot path of a message) until a webhook of the
    account changes; with the cache away it is read from the database."""
    key = _cache_key(account_id)
    try:
        found = cache.get(key)
    except Exception:  # the cache (Redis) is away: read the database
        found = None
    if found is not None:
        return found
    found = [
        (w.pk, w.inbox_id, list(w.subscriptions))
        for w in Webhook.objects.for_account(account_id).filter(active=True)
    ]
    with contextlib.suppress(Exception):
        cache.set(key, found, CACHE_TTL)
    return found


def targets_for(*, account_id: int, inbox_id: int | None, subscription: str) -> list[int]:
    """The active webhooks that take this event: the account's subscribed ones and the API
    channel's webhook of the event's inbox."""
    ids = []
    for pk, webhook_inbox_id, subscriptions in _active(account_id):
        if webhook_inbox_id is not None:
            if webhook_inbox_id == inbox_id:
                ids.append(pk)
        elif subscription in subscriptions:
            ids.append(pk)
    return ids


# What the payloads are built from (webhooks.payloads), in a fixed number of queries.


def payload_account(*, account_id: int) -> Account | None:
    return Account.objects.only("id", "name").filter(pk=account_id).first()


def payload_conversation(*, account_id: int, conversation_pk: int) -> Conversation | None:
    """The conversation with what Chatwoot's conversation block shows: inbox, contact, contact
    inbox, assignee, team and account joined, the unread count and the last messages' ids
    annotated (one query), the labels prefetched (one more)."""
    qs = Conversation.objects.for_account(account_id).filter(pk=conversation_pk)
    return conversation_selectors.with_list_data(qs).select_related("account").first()


def payload_message(*, account_id: int, message_id: int) -> Message | None:
    return (
        Message.objects.for_account(account_id)
        .select_related("sender_user", "sender_contact")
        .filter(pk=message_id)
        .first()
    )


def payload_last_chat_message(conversation: Conversation) -> Message | None:
    """The conversation's last message that is not an activity line nor a private note (with
    its attachments: two queries), which Chatwoot embeds as the block's `messages`."""
    conversation_selectors.attach_last_messages([conversation])
    return conversation.last_chat_message
