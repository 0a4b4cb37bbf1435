"""Liveness and readiness probes for load balancers and orchestrators."""

from django.core.cache import cache, caches
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@transaction.non_atomic_requests
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive (no dependencies are touched)."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database (and the cache, Redis in production) answer; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "database": str(exc)[:200]}, status=503)
    try:
        cache.set("readyz", "ok", 5)
        cache_ok = cache.get("readyz") == "ok"
    except Exception as exc:  # an unreachable Redis means "not ready" as well
        return JsonResponse({"status": "unavailable", "cache": str(exc)[:200]}, status=503)
    backend = type(caches["default"]).__name__
    status = 200 if cache_ok else 503
    return JsonResponse(
        {"status": "ok" if cache_ok else "unavailable", "database": connection.vendor, "cache": backend}, status=status
    )
