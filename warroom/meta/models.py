"""The metadata store's tables as typed SQLAlchemy 2 models: users, roles, API tokens, login sessions, audit.

The warehouse holds the sale day's data; this store holds who may see it and what they did. Later issues add
their own tables (comments and annotations, the alert outbox, sources) as models on the same `Base`, in a
module named for their noun, each with its own Alembic revision under warroom/meta/migrations/versions.
The migrations, not `Base.metadata.create_all`, create the tables; a test checks that the two agree.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Dialect, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in, an aware UTC datetime out, on every engine.

    PostgreSQL stores TIMESTAMPTZ; SQLite has no time zones, so the value is stored as naive UTC text
    (which also keeps SQLite's text comparisons in time order).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the metadata store takes aware (UTC) datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


class Role(Base):
    """A named access policy: which metric sensitivities it sees, which rows, and whether PII is unmasked."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Metric sensitivities this role may query: a subset of public, finance, pii (the metric catalog's levels).
    allowed_sensitivities: Mapped[list[str]] = mapped_column(JSON)
    # Dimension -> allowed values, ANDed into every query, e.g. {"category_l1": ["女装"]}. Empty: all rows.
    row_filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    unmasked_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(64), ForeignKey("roles.name"))
    language: Mapped[str] = mapped_column(
        String(2), default="zh"
    )  # zh | en: the language of pages and alerts
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # The role's row, loaded with the user (one join), so policy_for(user) needs no second query.
    assigned_role: Mapped[Role] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for scripts and pushers. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)  # each one of read | ingest | admin
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None: valid until revoked (migration 0005_token_expiry)
    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    """A browser login. The id column holds the SHA-256 of the cookie value, so a leaked table logs no one in."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """One audited action. actor and target are text, not foreign keys: the record outlives what it names."""

    __tablename__ = "audit_log"
    # The login rate limiter counts recent failures per (action, target, ip); this index serves it.
    __table_args__ = (Index("ix_audit_log_action_target_ts", "action", "target", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


from warroom.meta import alert_rules as _alert_rules  # noqa: E402,F401  (registers AlertRuleRow on Base.metadata)
from warroom.meta import alerts as _alerts  # noqa: E402,F401  (registers the alerting tables on Base.metadata)
from warroom.meta import collab as _collab  # noqa: E402,F401  (registers Comment and Annotation on Base.metadata)
from warroom.meta import dashboards as _dashboards  # noqa: E402,F401  (registers Dashboard on Base.metadata)
from warroom.meta import sources as _sources  # noqa: E402,F401  (registers the Source model on Base.metadata)
