"""Access: users, passwords, roles and their policies, API tokens, login sessions, the audit log.

Services are keyword-only functions taking a SQLAlchemy Session from warroom.meta.open_metadata(url);
each commits the change it makes together with its audit entry. The metric layer's access hook turns
policy_for(user) into its Principal: permissions live in the query path, not in pages.
"""

from warroom.access.audit import Action, audit, recent_audit
from warroom.access.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from warroom.access.login import LoginFailed, LoginThrottled, authenticate
from warroom.access.passwords import hash_password, verify_password
from warroom.access.ratelimit import RateLimit, retry_after
from warroom.access.roles import (
    BUILTIN_ROLES,
    SENSITIVITIES,
    AccountDisabled,
    create_role,
    get_role,
    list_roles,
    policy_for,
)
from warroom.access.sessions import (
    SESSION_TTL,
    create_login_session,
    delete_login_session,
    expire_login_sessions,
    lookup_login_session,
)
from warroom.access.tokens import (
    SCOPES,
    TokenLacksScope,
    TokenRefused,
    create_token,
    list_tokens,
    parse_expiry,
    revoke_token,
    verify_token,
)
from warroom.access.users import (
    LANGUAGES,
    create_user,
    disable_user,
    enable_user,
    find_user,
    get_user,
    grant_role,
    list_users,
    set_password,
)

__all__ = [
    "BUILTIN_ROLES",
    "DEMO_ACCOUNTS",
    "LANGUAGES",
    "SCOPES",
    "SENSITIVITIES",
    "SESSION_TTL",
    "AccountDisabled",
    "Action",
    "LoginFailed",
    "LoginThrottled",
    "RateLimit",
    "TokenLacksScope",
    "TokenRefused",
    "audit",
    "authenticate",
    "create_login_session",
    "create_role",
    "create_token",
    "create_user",
    "delete_login_session",
    "disable_user",
    "enable_user",
    "ensure_demo_accounts",
    "expire_login_sessions",
    "find_user",
    "get_role",
    "get_user",
    "grant_role",
    "hash_password",
    "list_roles",
    "list_tokens",
    "list_users",
    "lookup_login_session",
    "parse_expiry",
    "policy_for",
    "recent_audit",
    "retry_after",
    "revoke_token",
    "set_password",
    "verify_password",
    "verify_token",
]
