"""Plain SQL for the statements every order runs (see "The submit path speaks SQL where it is hot"
in docs/decisions.md): building a statement through the ORM's compiler costs more CPU than the
database spends running it, and under a promotion-day rush the cores are the limit.
"""

import functools
from collections.abc import Sequence, Sized
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Model

M = TypeVar("M", bound=Model)


def _db(using: str = DEFAULT_DB_ALIAS):
    """This thread's connection itself: every attribute read through the ``connection`` proxy
    costs a thread-local lookup (about a microsecond), and preparing a row reads several."""
    return connections[using]


def cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor for the statements every order runs. On PostgreSQL it binds parameters on the
    server, so a statement that a connection runs again and again is prepared once (after
    ``prepare_threshold`` runs, in settings) and from then on only executed: PostgreSQL no longer
    parses and plans it. Everything else keeps Django's client-side binding, which has no limit
    on a statement's parameters (the server takes at most 65,535), and plans each query for its
    own values. While Django logs queries (``DEBUG``, or a test capturing them), the cursor binds
    on the client, as the log can only show a statement with its values that way."""
    db = _db(using)
    if db.vendor != "postgresql" or db.queries_logged:
        return db.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    db.ensure_connection()
    raw = db.connection
    client = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor  # Django makes the cursor as always (time zone, wrapper)
    try:
        return db.cursor()
    finally:
        raw.cursor_factory = client


def marks(values: Sized) -> str:
    """``%s, %s, ...``: one placeholder per value, for ``IN (...)`` lists."""
    return ", ".join(["%s"] * len(values))


def insert(objs: Sequence[Model]) -> None:
    """INSERT new instances of one model, in as few statements as the database takes, and give
    them their ids: what ``bulk_create`` does, without its compiler. Values go through each
    field's own preparation (``pre_save`` fills ``auto_now_add``; JSON, decimals and datetimes are
    adapted as the ORM adapts them), except the plain ones: an ``int`` for an integer column, a
    ``str`` for a text column, a ``bool`` for a boolean one, or ``None``, go as they are."""
    if not objs:
        return
    db = _db()
    meta = type(objs[0])._meta
    fields, plain, head, row = _insert_plan(db.vendor, type(objs[0]))
    size = db.ops.bulk_batch_size(fields, objs) or len(objs)
    returning = f" RETURNING {db.ops.quote_name(meta.pk.column)}"
    with cursor() as db_cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = []
            for obj in batch:
                for field, kind in zip(fields, plain, strict=True):
                    value = getattr(obj, field.attname) if kind else None
                    if kind is None or not (value is None or type(value) is kind):
                        value = field.get_db_prep_save(field.pre_save(obj, True), db)
                    params.append(value)
            db_cursor.execute(head + ", ".join([row] * len(batch)) + returning, params)
            for obj, (new_id,) in zip(batch, db_cursor.fetchall(), strict=True):
                obj.pk = new_id
                obj._state.adding, obj._state.db = False, db.alias


_PLAIN_TYPES = {
    **dict.fromkeys([models.CharField, models.TextField], str),
    **dict.fromkeys(
        [
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
            models.AutoField,
            models.BigAutoField,
        ],
        int,
    ),  # fmt: skip
    models.BooleanField: bool,
}


@functools.cache
def _insert_plan(vendor: str, model: type[Model]) -> tuple[list, list, str, str]:
    """The columns an insert writes (all but the id), for each the Python type that needs no
    preparation (``None``: always prepared), and the statement's head and row of placeholders."""
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    plain = [_PLAIN_TYPES.get(type(f.target_field if f.is_relation else f)) for f in fields]
    quote = _db().ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608 - names from the model
    return fields, plain, head, f"({marks(fields)})"


def fetch(model: type[M], names: Sequence[str], query: str, params: Sequence) -> list[M]:
    """Instances of ``model`` from a plain ``query`` whose columns are the fields ``names`` (by
    attname, in the query's order), converted as the ORM converts them; the other fields load on
    first use."""
    with cursor() as db_cursor:
        db_cursor.execute(query, params)
        return [instance(model, names, row) for row in db_cursor.fetchall()]


def instance(model: type[M], names: Sequence[str], row: Sequence) -> M:
    """One instance of ``model`` from a row whose first columns are the fields ``names`` (later
    columns are left alone), as :func:`fetch` makes them."""
    db = _db()
    attnames, columns = _layout(db.vendor, model, tuple(names))
    values = []
    for position, col, converters in columns:
        value = row[position]
        for converter in converters:
            value = converter(value, col, db)
        values.append(value)
    return model.from_db(db.alias, attnames, values)


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
            (names.index(field.attname), col, _db().ops.get_db_converters(col) + col.get_db_converters(_db()))
        )
    return [f.attname for f in ordered], columns
