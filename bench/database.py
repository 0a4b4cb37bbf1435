"""The benchmark database: migrated, loaded with ``channelhub demo --scale 20000`` once, then reused.

It is never the developer's database: ``python -m bench`` points SQLite at var/bench/ and
PostgreSQL at ``channelhub_bench``, and the reset below refuses any name without "bench" in it.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.models import Brand

SCALE = 20_000


def prepare(scale: int = SCALE) -> None:
    """Make the database hold the demo at ``scale`` distributors in the first brand."""
    create_postgres_database()
    call_command("migrate", verbosity=0, interactive=False)
    loaded = loaded_scale()
    if loaded == scale:
        log(f"reusing the demo data ({scale} distributors in the first brand)")
        return
    if loaded is not None:
        log(f"database holds scale {loaded}, not {scale}: recreating it")
        reset()
        call_command("migrate", verbosity=0, interactive=False)
    log(f"loading channelhub demo --scale {scale} ...")
    call_command("demo", scale=scale, stdout=sys.stderr)


def loaded_scale() -> int | None:
    """Distributors of the first brand, or ``None`` when no demo is loaded.

    Read through the migration (owner) connection, which row-level security does not restrict.
    """
    using = settings.MIGRATION_DATABASE
    first = Brand.objects.using(using).order_by("id").first()
    if first is None:
        return None
    return DistributorAccount.objects.using(using).filter(brand_id=first.id).count()


def _postgres_name() -> str | None:
    owner = settings.DATABASES.get("owner")
    return owner["NAME"] if owner else None


def create_postgres_database() -> None:
    name = _postgres_name()
    if name is None:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.POSTGRES_HOST_URL, autocommit=True) as server:
        if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            log(f"creating database {name}")
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def reset() -> None:
    """Drop the benchmark database (the demo loads into an empty database only)."""
    connections.close_all()
    name = _postgres_name()
    if name is None:
        path = Path(settings.DATABASES["default"]["NAME"])
        if "bench" not in path.name:
            raise RuntimeError(f"refusing to delete {path}: not a benchmark database")
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    if "bench" not in name:
        raise RuntimeError(f"refusing to drop database {name}: not a benchmark database")
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.POSTGRES_HOST_URL, autocommit=True) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    create_postgres_database()


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
