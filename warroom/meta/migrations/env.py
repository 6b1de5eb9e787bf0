"""Alembic's environment for the metadata store.

Warroom's own start-up passes an open connection in `config.attributes["connection"]`; the alembic command
line (see warroom/meta/alembic.ini) connects to the URL from Settings instead.
"""

from alembic import context
from sqlalchemy import Connection

from warroom.config import Settings
from warroom.meta.models import Base
from warroom.meta.store import make_engine


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things, so later revisions copy-and-move its tables.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    engine = make_engine(Settings().metadata_sqlalchemy_url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()
