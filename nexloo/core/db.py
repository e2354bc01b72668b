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


def columns_of(model, alias: str) -> str:
    """The model's columns, qualified by `alias`, in the order `instance_from_row` reads them
    (for a hand-written statement that returns whole rows, such as an UPDATE … RETURNING)."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def instance_from_row(model, values, connection):
    """A model instance from the values `columns_of` selected, converted as the ORM converts what
    it reads (JSON, encrypted and other custom fields); None for an outer join's empty row."""
    fields = model._meta.concrete_fields
    values = list(values[: len(fields)])
    if values[fields.index(model._meta.pk)] is None:  # a LEFT JOIN that found nothing
        return None
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def instances_from_row(row, *models):
    """The instances of `models`, in that order, from a row of their `columns_of` one after
    the other: the first, and a list of the others (None for an outer join's empty part)."""
    from django.db import connection

    found = []
    rest = tuple(row)
    for model in models:
        found.append(instance_from_row(model, rest, connection))
        rest = rest[len(model._meta.concrete_fields) :]
    return found[0], found[1:]
