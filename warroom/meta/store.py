"""Opening the metadata store: an engine for its URL, Alembic migrations to head, then a sessionmaker.

SQLite (a file under WARROOM_HOME) by default, PostgreSQL in production (WARROOM_METADATA_URL).
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def make_engine(url: str) -> Engine:
    """An engine for a metadata URL, with the per-engine settings this store relies on."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # A bare postgresql:// URL means psycopg2 to SQLAlchemy; we ship psycopg 3, so use it.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL lets the web server's readers go on while a CLI command or a login writes.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


def _alembic_config() -> Config:
    return Config(str(ALEMBIC_INI))


def _upgrade(engine: Engine) -> None:
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        # "heads": features add their tables on their own branches from a common base; all are applied.
        command.upgrade(config, "heads")


def upgrade_to_head(url: str) -> None:
    """Create or upgrade the store at `url` to the newest migration (a no-op when already there)."""
    engine = make_engine(url)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


def open_metadata(url: str) -> sessionmaker[Session]:
    """Migrate the store at `url` to head and return a sessionmaker bound to it.

    Objects stay readable after commit (expire_on_commit=False): services commit, then hand them back.
    """
    engine = make_engine(url)
    _upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
