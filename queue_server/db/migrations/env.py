"""Alembic environment: runs on the connection handed over by ``queue_server.db.engine.migrate``.

The revisions are explicit operations: upgrading imports no table. Whoever compares the database with
the models (generating a revision) hands the whole schema over as ``target_metadata``
(``queue_server.schema.metadata``), which the shared parts cannot name: it holds every module's tables."""

from alembic import context

from queue_server.platform.textsearch import compared_by_alembic

config = context.config
context.configure(connection=config.attributes["connection"],
                  target_metadata=config.attributes.get("target_metadata"), render_as_batch=True,
                  include_name=compared_by_alembic)  # the full-text search's tables are no models
with context.begin_transaction():
    context.run_migrations()
