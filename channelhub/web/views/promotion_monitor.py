"""促销执行监控: one promotion's execution as a page of cards (phones first)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from channelhub.orders.monitoring import promotion_execution as execution_of
from channelhub.web.views.base import actor_required


@actor_required
def promotion_execution(request: HttpRequest, pk: int) -> HttpResponse:
    """Budget used, orders and distributors reached, discount given, and sales during the
    promotion against the period just before it, in total and per province."""
    execution = execution_of(request.actor, pk)
    context = {"execution": execution, "promotion": execution.promotion, "total": execution.total}
    return render(request, "web/catalog/promotion_execution.html", context)
