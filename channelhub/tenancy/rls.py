"""PostgreSQL row-level security: the second wall under the application's brand scoping.

The application connects as a role that neither owns the tables nor is a superuser. Each
transaction states the brands it may touch with ``set_config('app.brand_ids', '{1,2}', true)``;
the policies compare ``brand_id`` with that list, and an unset list matches nothing.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, migrations, transaction

from channelhub.core import sql

POLICY_EXPRESSION = (
    "brand_id = ANY (COALESCE(NULLIF(current_setting('app.brand_ids', true), '')::bigint[], '{}'::bigint[]))"
)


class OwnerMigratesRouter:
    """On PostgreSQL, schema changes go through the owner connection, never the app role."""

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == settings.MIGRATION_DATABASE


def set_brand_scope(brand_ids: Iterable[int], *, using: str = "default") -> None:
    """State which brands the current transaction may touch (no-op off PostgreSQL, and outside a
    transaction, where the setting would end with the statement that made it)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    value = "{" + ",".join(str(int(b)) for b in sorted(brand_ids)) + "}"
    with sql.cursor(using) as cursor:  # every transaction runs it: prepared (core.sql.cursor)
        cursor.execute("SELECT set_config('app.brand_ids', %s, true)", [value])


@contextmanager
def brand_transaction(brand_ids: Iterable[int]) -> Iterator[None]:
    """A transaction of its own that states its brands: for work that runs outside the request's
    transaction (see ``core.api.own_transaction``)."""
    with transaction.atomic():
        set_brand_scope(brand_ids)
        yield


def add_to_brand_scope(brand_id: int, *, using: str = "default") -> None:
    """Open one more brand to the current transaction (a brand created in it, for instance)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.brand_ids', (COALESCE(NULLIF(current_setting('app.brand_ids', true), '')::bigint[],"
            " '{}'::bigint[]) || %s::bigint)::text, true)",
            [int(brand_id)],
        )


def _app_role() -> str | None:
    return settings.DATABASES["default"].get("USER") if "owner" in settings.DATABASES else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _enable(table: str, nullable: bool):
    expression = f"brand_id IS NULL OR {POLICY_EXPRESSION}" if nullable else POLICY_EXPRESSION

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"ALTER TABLE {_quote(table)} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS brand_isolation ON {_quote(table)}")
        schema_editor.execute(
            f"CREATE POLICY brand_isolation ON {_quote(table)} USING ({expression}) WITH CHECK ({expression})"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP POLICY IF EXISTS brand_isolation ON {_quote(table)}")
        schema_editor.execute(f"ALTER TABLE {_quote(table)} DISABLE ROW LEVEL SECURITY")

    return forwards, backwards


def enable_row_level_security(*tables: str, nullable: bool = False) -> migrations.RunPython:
    """A migration step that puts the brand isolation policy on brand-owned tables.

    ``nullable`` tables (the audit trail) also hold group-level rows without a brand.
    """
    steps = [_enable(t, nullable) for t in tables]
    return migrations.RunPython(
        lambda apps, se: [f(apps, se) for f, _ in steps],
        lambda apps, se: [b(apps, se) for _, b in steps],
    )


def ensure_app_role(connection) -> None:
    """Create the application's login role (if missing) and grant it data access, not ownership.

    Runs before migrations (see the ``migrate`` command) so that tables created later are granted
    by default privileges, and again as a migration step for databases migrated another way.
    """
    role = _app_role()
    if connection.vendor != "postgresql" or not role:
        return
    q = _quote(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {q} LOGIN NOSUPERUSER NOBYPASSRLS")
        password = settings.DATABASES["default"].get("PASSWORD")
        if password:
            cursor.execute(f"ALTER ROLE {q} PASSWORD %s", [password])
        for sql in (
            f"GRANT USAGE ON SCHEMA public TO {q}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {q}",
        ):
            cursor.execute(sql)


def create_app_role(apps, schema_editor) -> None:
    ensure_app_role(schema_editor.connection)
