"""The dashboard: the brands in view, their distributors by status and their orders at a glance."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from channelhub.orders.models import Order
from channelhub.orders.selectors import GLANCE_STATUSES, orders_at_a_glance
from channelhub.partners.models import DistributorAccount
from channelhub.partners.selectors import distributor_counts_by_status
from channelhub.web import labels
from channelhub.web.views.base import actor_required, current_brands, visible_brands


@actor_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    counts = distributor_counts_by_status(actor)
    glance = orders_at_a_glance(actor)
    statuses = DistributorAccount.Status.values
    order_labels = dict(Order.Status.choices)
    cards = []
    for brand in current_brands(request):
        mine = counts.get(brand.id, {})
        orders = glance.get(brand.id)
        cards.append(
            {
                "brand": brand,
                "total": sum(mine.values()),
                "statuses": [{"code": s, "label": labels.STATUS[s], "count": mine.get(s, 0)} for s in statuses],
                "orders": [
                    {"code": s, "label": order_labels[s], "count": orders.waiting.get(s, 0) if orders else 0}
                    for s in GLANCE_STATUSES
                ],
                "today_count": orders.today_count if orders else 0,
                "today_total": orders.today_total if orders else 0,
            }
        )
    names = {b.id: labels.brand_name(b) for b in visible_brands(request)}
    grants = [
        {
            "brand": names.get(g.brand_id, ""),
            "role": labels.ROLE.get(g.role, g.role),
            "divisions": sorted(g.division_codes or []),
        }
        for g in actor.grants
        if g.brand_id in actor.brand_ids
    ]
    context = {"cards": cards, "grants": grants, "grand_total": sum(c["total"] for c in cards)}
    return render(request, "web/home.html", context)
