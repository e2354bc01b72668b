"""Reads for accounts and agents. Every read starts from the account or from who is asking."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    When,
)

from accounts.models import (
    AccessToken,
    Account,
    AccountUser,
    PlatformApp,
    Role,
    User,
    accepted_q,
    hash_secret,
)
from nexloo.core.db import columns_of, instances_from_row
from nexloo.core.tenancy import get_or_not_found


def membership_get(*, user: User, account_id: int | str) -> AccountUser:
    """The user's membership in an account; NotFound when they have none (or it doesn't exist)."""
    memberships = AccountUser.objects.accepted().select_related("account", "user").filter(user=user)
    return get_or_not_found(memberships, account_id=account_id)


def memberships_of(*, user: User) -> QuerySet[AccountUser]:
    return (
        AccountUser.objects.accepted()
        .filter(user=user)
        .select_related("account")
        .order_by("account__name")
    )


def shown_name_sql(prefix: str = "") -> Case:
    """`AccountUser.shown_name` in SQL, to sort and search by the name the account sees and never
    by a pending person's own name. `prefix` reaches the membership from another model."""
    return Case(
        When(~Q(**{f"{prefix}display_name": ""}), then=F(f"{prefix}display_name")),
        When(**{f"{prefix}accepted_at__isnull": True}, then=F(f"{prefix}user__email")),
        default=F(f"{prefix}user__name"),
        output_field=CharField(),
    )


def _verified() -> Q:
    """The address is verified and the person accepted this account's invitation."""
    return accepted_q() & Exists(
        EmailAddress.objects.filter(user_id=OuterRef("user_id"), verified=True).filter(
            email__iexact=OuterRef("user__email")
        )
    )


def with_verified(qs: QuerySet[AccountUser]) -> QuerySet[AccountUser]:
    """People by name, with `verified` annotated (one query); `qs` is already scoped."""
    return (
        qs.select_related("user")
        .annotate(verified=ExpressionWrapper(_verified(), output_field=BooleanField()))
        .order_by(shown_name_sql(), "user__email")
    )


def agents_list(
    *, membership: AccountUser, query: str = "", role: str = ""
) -> QuerySet[AccountUser]:
    """The people of the asking member's account by name, with `verified` annotated."""
    qs = with_verified(AccountUser.objects.for_account(membership.account_id))
    if query:
        qs = qs.alias(shown=shown_name_sql()).filter(
            Q(shown__icontains=query) | Q(user__email__icontains=query)
        )
    if role in Role.values:
        qs = qs.filter(role=role)
    return qs


def agent_get(*, membership: AccountUser, user_id: int | str) -> AccountUser:
    """An agent of the asking member's account by user id (Chatwoot's agent id is the user's)."""
    return get_or_not_found(agents_list(membership=membership), user_id=user_id)


def administrator_emails(*, account_id: int) -> list[str]:
    """Where to tell the account's administrators something (a rule or a webhook switched off):
    those who accepted (a pending invitation is not in the account yet) and can sign in."""
    return sorted(
        AccountUser.objects.for_account(account_id)
        .accepted()
        .filter(role=Role.ADMINISTRATOR, user__is_active=True)
        .values_list("user__email", flat=True)
    )


# Every API request runs one of the two reads below. They are written in SQL: the ORM spends
# three to four times the statement's own cost compiling a three-table select_related query
# (bench/cost.py --flat; 3.7 → 0.7 ms of CPU here), and what they return is checked field by
# field against the ORM's in tests/accounts/test_token_reads.py. The tables' names are the
# models', not input.
_TOKEN_OWNER_SQL = (
    f"SELECT {columns_of(AccessToken, 't')}, {columns_of(User, 'u')}, "  # noqa: S608
    f"{columns_of(PlatformApp, 'p')} FROM {AccessToken._meta.db_table} t "
    f"LEFT JOIN {User._meta.db_table} u ON u.id = t.user_id "
    f"LEFT JOIN {PlatformApp._meta.db_table} p ON p.id = t.platform_app_id "
    "WHERE t.token_hash = %s"
)
_MEMBERSHIP_BY_TOKEN_SQL = (
    f"SELECT {columns_of(AccountUser, 'm')}, {columns_of(Account, 'a')}, "  # noqa: S608
    f"{columns_of(User, 'u')} FROM {AccountUser._meta.db_table} m "
    f"JOIN {Account._meta.db_table} a ON a.id = m.account_id "
    f"JOIN {User._meta.db_table} u ON u.id = m.user_id "
    f"JOIN {AccessToken._meta.db_table} t ON t.user_id = u.id "
    # A pending invitation gives no access yet (`AccountUser.objects.accepted()`, here in SQL);
    # nor does a deactivated user.
    "WHERE m.account_id = %s AND m.accepted_at IS NOT NULL AND t.token_hash = %s "
    "AND u.is_active = %s LIMIT 1"
)
_BIGINT = 2**63 - 1


def _row(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def token_owner(token: str) -> AccessToken | None:
    """The token with its owner (a user or a platform app), or None."""
    if not token:
        return None
    row = _row(_TOKEN_OWNER_SQL, [hash_secret(token)])
    if row is None:
        return None
    found, rest = instances_from_row(row, AccessToken, User, PlatformApp)
    found.user, found.platform_app = rest
    return found


def membership_by_token(token: str, account_id: int | str) -> AccountUser | None:
    """The membership in `account_id` of the active user who owns `token`, with its user and
    account: checking the token and the caller's account in one query (the API's hot path).
    None when either fails; the caller then tells which with `token_owner`."""
    if not token:
        return None
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        return None
    if not 0 < account_id <= _BIGINT:
        return None
    row = _row(_MEMBERSHIP_BY_TOKEN_SQL, [account_id, hash_secret(token), True])
    if row is None:
        return None
    membership, (account, user) = instances_from_row(row, AccountUser, Account, User)
    membership.account, membership.user = account, user
    return membership


def pubsub_owner(pubsub_token: str) -> User | None:
    """The active user whose `pubsub_token` this is (a `/cable` subscription's credential)."""
    if not pubsub_token or not isinstance(pubsub_token, str):
        return None
    found = (
        AccessToken.objects.select_related("user")
        .filter(pubsub_token=pubsub_token, user__isnull=False, user__is_active=True)
        .first()
    )
    return found.user if found else None


def platform_account_get(*, app: PlatformApp, account_id: int | str) -> Account:
    """An account the platform app created; any other answers NotFound."""
    return get_or_not_found(app.accounts.all(), pk=account_id)


def platform_user_get(*, app: PlatformApp, user_id: int | str) -> User:
    return get_or_not_found(app.users.all(), pk=user_id)


def platform_account_users(*, account: Account) -> QuerySet[AccountUser]:
    return AccountUser.objects.for_account(account).order_by("pk")
