"""``migrate`` that applies schema changes through the owner connection on PostgreSQL.

Before migrating it makes sure the application's non-owner role exists with default privileges,
so every table the migrations create is usable by the app role and guarded by RLS. While it runs,
the ``default`` alias is the owner's connection too: some third-party data migrations write
through ``default``, and a second session would wait on the migration's own locks.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from channelhub.tenancy.rls import ensure_app_role


def ensure_database(connection) -> None:
    """Create the PostgreSQL database named in DATABASE_URL when it does not exist yet."""
    if connection.vendor != "postgresql":
        return
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')


class Command(MigrateCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=settings.MIGRATION_DATABASE)

    def handle(self, *args, **options):
        database = options["database"]
        ensure_database(connections[database])
        ensure_app_role(connections[database])
        if database == DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        app_connection = connections[DEFAULT_DB_ALIAS]
        connections[DEFAULT_DB_ALIAS] = connections[database]
        try:
            return super().handle(*args, **options)
        finally:
            connections[DEFAULT_DB_ALIAS] = app_connection
