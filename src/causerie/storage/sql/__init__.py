"""SQLAlchemy Core implementation of the storage port, for SQLite and PostgreSQL."""
