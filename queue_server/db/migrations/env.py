"""Alembic environment: runs on the connection handed over by ``queue_server.db.engine.migrate``.

The revisions are explicit operations: upgrading imports no table. Whoever compares the database with
the models (generating a revision) hands the whole schema over as ``target_metadata``
(``queue_server.schema.metadata``), which the shared parts cannot name: it holds every module's tables."""

from alembic import context

config = context.config
context.configure(connection=config.attributes["connection"],
                  target_metadata=config.attributes.get("target_metadata"), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
