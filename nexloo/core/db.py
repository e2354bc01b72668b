"""Database expressions Django does not ship."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, JSONField, Value


class JSONMerged(Func):
    """`field` with the keys of `values` set, computed by the database inside the UPDATE, so that
    two writers of different keys of one JSON column (a status report and a reaction) never undo
    each other the way a read-modify-write in Python would. PostgreSQL's `||` is shallow;
    SQLite's json_patch merges nested objects too — the values written here are replaced whole
    on both because they are only ever written whole."""

    output_field = JSONField()

    def __init__(self, field: str, values: dict[str, Any]) -> None:
        super().__init__(F(field), Value(values, output_field=JSONField()))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" || ")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSON_PATCH")
