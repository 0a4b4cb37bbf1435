"""SLA (时效) of the approval processes: cycle times per process and step, overdue steps, approval rate."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from channelhub.web import labels
from channelhub.web.views.base import actor_required, current_brands, int_or_none
from channelhub.workflow import selectors

WINDOWS = (7, 30, 90, 180, 365)
DEFAULT_WINDOW = 90


@actor_required
def process_sla(request: HttpRequest) -> HttpResponse:
    """One table per process with a row per step, over the last ``?days=`` days (403 without the role)."""
    days = int_or_none(request.GET.get("days"))
    if days not in WINDOWS:
        days = DEFAULT_WINDOW
    figures = selectors.sla_figures(request.actor, since=timezone.now() - timedelta(days=days))
    brands = current_brands(request)
    context = {
        "figures": figures,
        "days": days,
        "windows": WINDOWS,
        "overdue_hours": int(selectors.OVERDUE_AFTER.total_seconds() // 3600),
        "brand_names": {b.id: labels.brand_name(b) for b in brands} if len(brands) > 1 else {},
    }
    return render(request, "web/process_sla.html", context)
