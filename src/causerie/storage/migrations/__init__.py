"""Alembic migrations (one history for SQLite and PostgreSQL) and the code that runs them."""
