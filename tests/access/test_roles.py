"""policy_for: the built-in defaults, custom roles with row filters, and deny for disabled users."""

import pytest

from tests.access.conftest import T0
from warroom.access import AccountDisabled, create_role, create_user, disable_user, grant_role, policy_for
from warroom.errors import UserError


def _user(session, role, name="u1"):
    return create_user(session, username=name, password="a-password", role=role, actor="test", now=T0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "admin",
            {"allowed_sensitivities": ["finance", "pii", "public"], "row_filters": {}, "unmasked_pii": True},
        ),
        (
            "finance",
            {"allowed_sensitivities": ["finance", "public"], "row_filters": {}, "unmasked_pii": False},
        ),
        ("ops", {"allowed_sensitivities": ["public"], "row_filters": {}, "unmasked_pii": False}),
        ("tech", {"allowed_sensitivities": ["public"], "row_filters": {}, "unmasked_pii": False}),
        ("viewer", {"allowed_sensitivities": ["public"], "row_filters": {}, "unmasked_pii": False}),
    ],
)
def test_builtin_policies(session, role, expected):
    assert policy_for(_user(session, role)) == expected


def test_custom_role_with_row_filters(session):
    create_role(
        session,
        name="womenswear_east",
        description="女装 category manager, east China",
        allowed_sensitivities=["finance", "public"],
        row_filters={"category_l1": ["女装"], "province": ["上海", "浙江", "江苏"]},
        actor="admin",
        now=T0,
    )
    user = _user(session, "womenswear_east")
    assert policy_for(user) == {
        "allowed_sensitivities": ["finance", "public"],
        "row_filters": {"category_l1": ["女装"], "province": ["上海", "浙江", "江苏"]},
        "unmasked_pii": False,
    }
    grant_role(session, username="u1", role="ops", actor="admin", now=T0)
    assert policy_for(user)["row_filters"] == {}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"name": "admin"}, "role 'admin' already exists"),
        ({"name": "Bad Name"}, "role name 'Bad Name'"),
        ({"allowed_sensitivities": ["secret"]}, r"unknown sensitivities \['secret'\]"),
        ({"row_filters": {"province": "上海"}}, "needs a non-empty list"),
        ({"row_filters": {"province": []}}, "needs a non-empty list"),
        ({"row_filters": {"Province!": ["上海"]}}, "is not a dimension name"),
        ({"row_filters": {"province": [3]}}, "must be non-empty text"),
    ],
)
def test_bad_custom_roles(session, kw, message):
    args = {"name": "east", "description": "", "allowed_sensitivities": ["public"], "actor": "admin"} | kw
    with pytest.raises(UserError, match=message):
        create_role(session, **args)


def test_disabled_user_gets_no_policy(session):
    user = _user(session, "admin")
    disable_user(session, username="u1", actor="admin", now=T0)
    with pytest.raises(AccountDisabled, match="'u1' is disabled") as exc:
        policy_for(user)
    assert exc.value.status_code == 403
