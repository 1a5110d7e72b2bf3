"""The whole SQL schema: the shared tables (``db/tables.py``) and each module's own (``queue/tables.py``),
on one metadata. A module with tables of its own adds them to ``MODULES``.

The shared parts never import this (it names the modules): the migrations (``db/migrations``) are
explicit operations that need no model to upgrade a database, and Alembic compares with these tables
only when it is handed them (``target_metadata`` in the config's attributes: generating a revision,
tests/store/test_schema.py)."""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from queue_server.booking import tables as booking_tables
from queue_server.crm import tables as crm_tables
from queue_server.db import tables as shared_tables
from queue_server.kb import tables as kb_tables
from queue_server.phone import tables as phone_tables
from queue_server.queue import tables as queue_tables
from queue_server.requests import tables as requests_tables
from queue_server.surveys import tables as surveys_tables

# Importing them puts their tables on the metadata.
MODULES: tuple[ModuleType, ...] = (shared_tables, queue_tables, crm_tables, booking_tables, requests_tables,
                                   phone_tables, kb_tables, surveys_tables)

metadata: MetaData = SQLModel.metadata
