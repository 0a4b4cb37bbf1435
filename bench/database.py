"""The benchmark database: migrated, loaded with ``channelhub demo --scale 20000`` once, then reused.

It is never the developer's database: ``python -m bench`` points SQLite at var/bench/ and
PostgreSQL at ``channelhub_bench``, and the reset below refuses any name without "bench" in it.
The data is reused while the first brand holds ``SCALE`` distributors and the migrations and demo
modules (builder, catalogue) are unchanged (a fingerprint of their source is kept next to the
results); otherwise the database is dropped and loaded again.
"""

import hashlib
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections

from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.models import Brand

SCALE = 20_000
ROOT = Path(__file__).resolve().parent.parent
STAMP_DIR = ROOT / "var" / "bench"


def prepare(scale: int = SCALE) -> None:
    """Make the database hold the demo at ``scale`` distributors in the first brand."""
    create_postgres_database()
    stamp = STAMP_DIR / f"{connections['default'].vendor}.fingerprint"
    wanted = f"scale={scale} source={source_fingerprint()}"
    loaded = loaded_scale() if stamp.exists() and stamp.read_text() == wanted else None
    if loaded == scale:
        log(f"reusing the demo data ({scale} distributors in the first brand)")
    else:
        log(f"loading channelhub demo --scale {scale} into a fresh database ...")
        stamp.unlink(missing_ok=True)
        reset()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("demo", scale=scale, stdout=sys.stderr)
        stamp.write_text(wanted)
    analyze()


def source_fingerprint() -> str:
    """Hash of what shapes the data: every migration, the demo builder and the demo catalogue."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "channelhub").glob("*/migrations/*.py")) + sorted((ROOT / "channelhub/demo").glob("*.py"))
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def loaded_scale() -> int | None:
    """Distributors of the first brand, or ``None`` when no demo is loaded.

    Read through the migration (owner) connection, which row-level security does not restrict.
    """
    using = settings.MIGRATION_DATABASE
    try:
        first = Brand.objects.using(using).order_by("id").first()
        if first is None:
            return None
        return DistributorAccount.objects.using(using).filter(brand_id=first.id).count()
    except DatabaseError:  # no tables yet, or an older schema: load afresh
        return None
    finally:
        connections.close_all()


def analyze() -> None:
    """Fresh planner statistics on PostgreSQL, as autovacuum keeps them in production.

    Right after a bulk load (or on a server with autovacuum off) the planner has none, and picks
    plans no production database would. SQLite is left as the application leaves it.
    """
    if _postgres_name() is None:
        return
    with connections["owner"].cursor() as cursor:  # autocommit, as VACUUM needs
        cursor.execute("VACUUM ANALYZE")


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
    """Empty the benchmark database: the demo loads into an empty database only."""
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
