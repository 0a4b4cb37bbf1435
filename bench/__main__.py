"""Run every benchmark on SQLite, and on PostgreSQL too when DATABASE_URL is set.

Settings read ``DATABASE_URL`` at import, so each backend runs in its own subprocess
(``python -m bench.runner``), pointed at a database of its own, never the developer's:
``var/bench/bench.sqlite3`` and ``channelhub_bench`` on the DATABASE_URL server.
Each result is one JSON line on stdout; all of them are also written to var/bench/latest.jsonl.
Arguments select benchmark modules by name fragment (``python -m bench tenancy``).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"
RESULTS = OUT_DIR / "latest.jsonl"
POSTGRES_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "channelhub_bench")


def backends() -> list[tuple[str, dict[str, str]]]:
    # Production-like: no DEBUG query log growing during thousands of requests.
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DEBUG": "0"}
    runs = [("sqlite", base | {"SQLITE_PATH": str(OUT_DIR / "bench.sqlite3")})]
    url = os.environ.get("DATABASE_URL", "")
    if url:
        bench_url = urlunsplit(urlsplit(url)._replace(path="/" + POSTGRES_DATABASE))
        runs.append(("postgresql", base | {"DATABASE_URL": bench_url}))
    return runs


def run_backend(label: str, env: dict[str, str], out) -> int:
    print(f"=== benchmarks on {label} ===", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "bench.runner", *sys.argv[1:]]
    # Our own interpreter and module; the arguments only select benchmark modules by name.
    with subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:  # noqa: S603
        for line in child.stdout:
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                result = None
            if isinstance(result, dict) and "metric" in result:
                print(line, end="", flush=True)
                out.write(line)
                out.flush()
            else:
                print(line, end="", file=sys.stderr)
    if child.returncode:
        print(f"benchmarks on {label} failed (exit {child.returncode})", file=sys.stderr)
    return child.returncode


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DATABASE_URL"):
        print("PostgreSQL part skipped: set DATABASE_URL=postgres://user@host:5432/db to run it", file=sys.stderr)
    code = 0
    with RESULTS.open("w", encoding="utf-8") as out:
        for label, env in backends():
            code = run_backend(label, env, out) or code
    print(f"results: {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
