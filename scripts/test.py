"""Run the test suite on SQLite, then on PostgreSQL when DATABASE_URL points at one.

REQUIRE_POSTGRES=1 turns a missing or unreachable PostgreSQL into a failure instead of a skip.
Extra arguments go to pytest (``python scripts/test.py -k isolation``).
"""

import os
import subprocess
import sys

PYTEST = [sys.executable, "-m", "pytest", "-n", os.environ.get("TEST_WORKERS", "2"), "--dist", "loadfile"]


def run(label: str, env: dict[str, str]) -> int:
    print(f"\n=== tests on {label} ===", flush=True)
    return subprocess.call([*PYTEST, *sys.argv[1:]], env=env)


def postgres_reachable(url: str) -> str | None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        psycopg.connect(server, connect_timeout=5).close()
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def main() -> int:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    code = run("sqlite", base)
    url = os.environ.get("DATABASE_URL", "")
    require = os.environ.get("REQUIRE_POSTGRES", "") in {"1", "true", "yes"}
    if not url:
        if require:
            print("REQUIRE_POSTGRES=1 but DATABASE_URL is not set", file=sys.stderr)
            return 1
        print("\nPostgreSQL part skipped: set DATABASE_URL=postgres://user@host:5432/db to run it")
        return code
    problem = postgres_reachable(url)
    if problem:
        print(f"PostgreSQL at DATABASE_URL is not reachable: {problem}", file=sys.stderr)
        return 1 if require else code
    return run("postgresql", {**base, "DATABASE_URL": url}) or code


if __name__ == "__main__":
    sys.exit(main())
