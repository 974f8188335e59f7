"""Storage: ports (``base``) and the SQLAlchemy Core adapter (``sql``)."""
