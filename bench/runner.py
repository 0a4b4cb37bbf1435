"""One backend's run: prepare the benchmark database, then run each ``bench_*`` module.

Started by ``python -m bench`` with the backend's environment. Every benchmark module defines
``run()``, yielding result dicts; this adds the backend and prints them as JSON lines on stdout.
Progress and command output go to stderr.
"""

import importlib
import json
import os
import pkgutil
import sys
import time


def benchmark_modules(selected: list[str]):
    import bench

    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    for name in names:
        if not selected or any(s in name for s in selected):
            yield importlib.import_module(f"bench.{name}")


def main(selected: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.database import prepare

    backend = connection.vendor
    prepare()
    for module in benchmark_modules(selected):
        started = time.perf_counter()
        for result in module.run():
            print(json.dumps({**result, "backend": backend}, ensure_ascii=False), flush=True)
        print(f"{module.__name__}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
