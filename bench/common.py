"""Timing and demo helpers shared by the benchmark modules."""

import os
import time
from collections.abc import Callable
from pathlib import Path

from django.test import Client

from channelhub.demo.builder import DEMO_PASSWORD
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand, User


def percentile(samples: list[float], pct: float) -> float:
    """Linear-interpolated percentile (50 is the median)."""
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - started) / 1e6


def time_calls(fn: Callable[[], object], *, n: int, warmup: int) -> list[float]:
    """Milliseconds of ``n`` calls of ``fn``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return [timed_ms(fn) for _ in range(n)]


def time_interleaved(a: Callable[[], object], b: Callable[[], object], *, n: int, warmup: int):
    """Milliseconds of ``n`` calls of each, alternating which goes first, so drift hits both alike."""
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    for i in range(n):
        if i % 2:
            times_b.append(timed_ms(b))
            times_a.append(timed_ms(a))
        else:
            times_a.append(timed_ms(a))
            times_b.append(timed_ms(b))
    return times_a, times_b


def latency(metric: str, samples: list[float], **extra) -> dict:
    return {
        "metric": metric,
        "value": round(percentile(samples, 50), 2),
        "unit": "ms",
        "n": len(samples),
        "p90": round(percentile(samples, 90), 2),
        **extra,
    }


def first_brand_id() -> int:
    """Brand A: the demo gives the first brand the full ``--scale`` distributors."""
    return Brand.objects.order_by("id").values_list("id", flat=True)[0]


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def bearer_headers(client: Client, username: str) -> dict[str, str]:
    """Sign in through POST /api/v1/auth/token, as a phone or script would."""
    response = client.post(
        "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD}, content_type="application/json"
    )
    if response.status_code != 201:
        raise RuntimeError(f"sign-in as {username} failed: {response.status_code} {response.content[:200]!r}")
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def cpu_seconds(server_session: int) -> dict[str, float]:
    """CPU seconds (user + system) spent so far by the server's processes (session
    ``server_session``), PostgreSQL's processes on this machine, this benchmark process, and the
    whole machine, read from /proc (Linux); empty elsewhere."""
    proc = Path("/proc")
    if not (proc / "stat").exists():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"server": 0.0, "postgres": 0.0, "bench_client": 0.0}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        session, used = int(fields[3]), (int(fields[11]) + int(fields[12])) / tick
        if session == server_session:
            totals["server"] += used
        elif name == "postgres":
            totals["postgres"] += used
        elif int(stat.parent.name) == os.getpid():
            totals["bench_client"] += used
    cpu = (proc / "stat").read_text().split("\n", 1)[0].split()[1:]
    totals["machine"] = (sum(map(int, cpu)) - int(cpu[3]) - int(cpu[4])) / tick  # all but idle and iowait
    return totals


def cpu_ms_per(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
    """CPU milliseconds per unit of work between two ``cpu_seconds`` readings."""
    return {name: round((after[name] - before[name]) * 1000 / n, 2) for name in after}
