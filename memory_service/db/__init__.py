"""Database access: the only package that imports asyncpg. SQL lives beside the function that runs it."""

from memory_service.db.database import Connection, Database, UniqueViolation, probe

__all__ = ["Connection", "Database", "UniqueViolation", "probe"]
