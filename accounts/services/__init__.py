"""Writes for accounts, users, agents, tokens and invitations.

Every function here runs in a transaction and emits its events on commit. Callers pass the
account and the acting membership (`actor`); permission checks live here too, so that the page,
the API and the command line refuse the same things.
"""

from accounts.services.accounts import (
    NewAccount,
    account_create,
    account_create_with_admin,
    account_signup,
    account_update,
)
from accounts.services.common import (
    memberships_for_user_ids,
    require_admin,
)
from accounts.services.invitations import (
    INVITATION_RESEND_COOLDOWN,
    INVITATION_SALT,
    invitation_accept,
    invitation_for_existing_user,
    invitation_from_token,
    invitation_join,
    invitation_renew,
    invitation_send,
    invitation_token,
)
from accounts.services.memberships import (
    account_user_add,
    agent_add,
    agent_remove,
    agent_update,
    availability_on_sign_in,
    availability_set,
)
from accounts.services.platform import (
    NewPlatformApp,
    platform_account_create,
    platform_account_delete,
    platform_account_update,
    platform_account_user_add,
    platform_account_user_remove,
    platform_app_create,
    platform_login_redeem,
    platform_login_token,
    platform_user_create,
    platform_user_delete,
    platform_user_update,
)
from accounts.services.users import (
    NewUser,
    access_token_regenerate,
    user_create,
    user_is_verified,
    user_set_password,
    user_update,
)

__all__ = [
    "INVITATION_RESEND_COOLDOWN",
    "INVITATION_SALT",
    "NewAccount",
    "NewPlatformApp",
    "NewUser",
    "access_token_regenerate",
    "account_create",
    "account_create_with_admin",
    "account_signup",
    "account_update",
    "account_user_add",
    "agent_add",
    "agent_remove",
    "agent_update",
    "availability_on_sign_in",
    "availability_set",
    "invitation_accept",
    "invitation_for_existing_user",
    "invitation_from_token",
    "invitation_join",
    "invitation_renew",
    "invitation_send",
    "invitation_token",
    "memberships_for_user_ids",
    "platform_account_create",
    "platform_account_delete",
    "platform_account_update",
    "platform_account_user_add",
    "platform_account_user_remove",
    "platform_app_create",
    "platform_login_redeem",
    "platform_login_token",
    "platform_user_create",
    "platform_user_delete",
    "platform_user_update",
    "require_admin",
    "user_create",
    "user_is_verified",
    "user_set_password",
    "user_update",
]
