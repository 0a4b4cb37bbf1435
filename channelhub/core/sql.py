"""Plain SQL for the statements every order runs (see "The submit path speaks SQL where it is hot"
in docs/decisions.md): building a statement through the ORM's compiler costs more CPU than the
database spends running it, and under a promotion-day rush the cores are the limit.
"""

import functools
from collections.abc import Sequence, Sized
from typing import TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


def marks(values: Sized) -> str:
    """``%s, %s, ...``: one placeholder per value, for ``IN (...)`` lists."""
    return ", ".join(["%s"] * len(values))


def insert(objs: Sequence[Model]) -> None:
    """INSERT new instances of one model, in as few statements as the database takes, and give
    them their ids: what ``bulk_create`` does, without its compiler. Values go through each
    field's own preparation (``pre_save`` fills ``auto_now_add``; JSON, decimals and datetimes are
    adapted as the ORM adapts them)."""
    if not objs:
        return
    meta = type(objs[0])._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608 - names from the model
    row = f"({marks(fields)})"
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in batch for f in fields]
            cursor.execute(f"{head}{', '.join([row] * len(batch))} RETURNING {quote(pk.column)}", params)
            for obj, (new_id,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = new_id
                obj._state.adding, obj._state.db = False, connection.alias


def fetch(model: type[M], names: Sequence[str], query: str, params: Sequence) -> list[M]:
    """Instances of ``model`` from a plain ``query`` whose columns are the fields ``names`` (by
    attname, in the query's order), converted as the ORM converts them; the other fields load on
    first use."""
    attnames, columns = _layout(connection.vendor, model, tuple(names))
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = []
        for position, col, converters in columns:
            value = row[position]
            for converter in converters:
                value = converter(value, col, connection)
            values.append(value)
        found.append(model.from_db(connection.alias, attnames, values))
    return found


@functools.cache
def _layout(vendor: str, model: type[Model], names: tuple[str, ...]) -> tuple[list[str], list[tuple]]:
    """The fields' attnames in the model's order (what ``from_db`` wants), and for each the
    query column it is in, its column expression and the converters the ORM applies to it."""
    table = model._meta.db_table
    fields = [model._meta.get_field(name) for name in names]
    ordered = [f for f in model._meta.concrete_fields if f in fields]
    if len(ordered) != len(names):
        raise ValueError(f"{model.__name__}: not concrete fields, or repeated: {names}")
    columns = []
    for field in ordered:
        col = field.get_col(table)
        columns.append(
            (names.index(field.attname), col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return [f.attname for f in ordered], columns
