"""Roles: named access policies, and policy_for(user), the dict the metric layer's access hook reads.

A policy is declared data: the metric sensitivities a role may query, row filters ANDed into every query,
and whether PII is shown unmasked. The built-in roles (admin, ops, finance, tech, viewer) come with the
store (migration 0001 holds their default policies); custom roles add row filters, e.g. a category
manager who sees only 女装, or a regional lead who sees only some provinces.
"""

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.access.audit import Action, audit
from warroom.errors import NotFound, UserError
from warroom.meta import Role, User

# The metric catalog's sensitivity levels (warroom/metrics/catalog.yaml), lowest first.
SENSITIVITIES = ("public", "finance", "pii")
BUILTIN_ROLES = ("admin", "ops", "finance", "tech", "viewer")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class AccountDisabled(UserError):
    status_code = 403


def get_role(session: Session, *, name: str) -> Role:
    role = session.get(Role, name)
    if role is None:
        known = ", ".join(r.name for r in list_roles(session))
        raise NotFound(f"unknown role {name!r}: use one of {known}")
    return role


def list_roles(session: Session) -> list[Role]:
    return list(session.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))


def validate_row_filters(row_filters: dict[str, Any]) -> dict[str, list[str]]:
    """Check the shape {dimension: [value, ...]}; the metric layer rejects dimensions it does not know."""
    if not isinstance(row_filters, dict):
        raise UserError(
            f"row_filters must be a mapping of dimension to a list of values, got {row_filters!r}"
        )
    clean: dict[str, list[str]] = {}
    for dimension, values in row_filters.items():
        if not isinstance(dimension, str) or not _NAME.match(dimension):
            raise UserError(f"row filter dimension {dimension!r} is not a dimension name (lower_snake_case)")
        if isinstance(values, str) or not isinstance(values, list | tuple) or not values:
            raise UserError(
                f"row filter {dimension!r} needs a non-empty list of allowed values, got {values!r} "
                f'(e.g. {{"{dimension}": ["value"]}})'
            )
        if not all(isinstance(v, str) and v for v in values):
            raise UserError(
                f"row filter {dimension!r}: every allowed value must be non-empty text, got {values!r}"
            )
        clean[dimension] = list(values)
    return clean


def create_role(
    session: Session,
    *,
    name: str,
    description: str,
    allowed_sensitivities: list[str],
    row_filters: dict[str, Any] | None = None,
    unmasked_pii: bool = False,
    actor: str,
    now: datetime | None = None,
) -> Role:
    """A custom role. Built-in roles cannot be redefined here: their policies change by migration."""
    if not _NAME.match(name):
        raise UserError(f"role name {name!r}: use 2-64 characters a-z, 0-9 and _, starting with a letter")
    if session.get(Role, name) is not None:
        raise UserError(f"role {name!r} already exists")
    unknown = sorted(set(allowed_sensitivities) - set(SENSITIVITIES))
    if unknown:
        raise UserError(
            f"role {name!r}: unknown sensitivities {unknown}; use some of {', '.join(SENSITIVITIES)}"
        )
    filters = validate_row_filters(row_filters or {})
    role = Role(
        name=name,
        description=description,
        allowed_sensitivities=[s for s in SENSITIVITIES if s in allowed_sensitivities],
        row_filters=filters,
        unmasked_pii=unmasked_pii,
        builtin=False,
    )
    session.add(role)
    audit(
        session,
        actor=actor,
        action=Action.ROLE_CREATED,
        target=f"role:{name}",
        detail={
            "allowed_sensitivities": role.allowed_sensitivities,
            "row_filters": filters,
            "unmasked_pii": unmasked_pii,
        },
        now=now,
    )
    session.commit()
    return role


def policy_for(user: User) -> dict[str, Any]:
    """{allowed_sensitivities: sorted list, row_filters: {dimension: [values]}, unmasked_pii: bool}.

    Deny by default: a disabled user gets no policy at all (AccountDisabled, HTTP 403).
    """
    if user.disabled:
        raise AccountDisabled(f"user {user.username!r} is disabled")
    role = user.assigned_role
    return {
        "allowed_sensitivities": sorted(role.allowed_sensitivities),
        "row_filters": {dim: list(values) for dim, values in role.row_filters.items()},
        "unmasked_pii": role.unmasked_pii,
    }
