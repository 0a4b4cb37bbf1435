"""Timing and demo helpers shared by the benchmark modules."""

import time
from collections.abc import Callable

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
