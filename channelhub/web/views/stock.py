"""库存 (stock): the brand's warehouses and what each holds of each SKU — on hand as the WMS counts
it, reserved for orders not yet shipped, and available — for the brand's staff only."""

from django.db.models import F
from django.http import HttpRequest, HttpResponse

from channelhub.core.errors import Forbidden
from channelhub.orders import selectors
from channelhub.web.views.base import actor_required, htmx_render, paginate
from channelhub.web.views.orders import brand_names_in_view


@actor_required
def stock_levels(request: HttpRequest) -> HttpResponse:
    """Stock rows by SKU, filtered by warehouse, SKU and "short only" (nothing left to promise)."""
    actor = request.actor
    staff_brands = sorted(b for b in actor.brand_ids if not actor.is_distributor_only(b))
    if not staff_brands:
        raise Forbidden("stock is for the brand's staff", code="permission_denied")
    warehouse = request.GET.get("warehouse", "").strip()[:32]
    sku = request.GET.get("sku", "").strip()[:64]
    short_only = request.GET.get("short") == "1"
    rows = selectors.stock_for(actor, warehouse=warehouse, sku=sku, short_only=short_only)
    warehouses = selectors.warehouses_for(actor).filter(brand_id__in=staff_brands).select_related("division")
    context = {
        "page": paginate(request, rows.filter(brand_id__in=staff_brands).annotate(free=F("on_hand") - F("reserved"))),
        "warehouses": list(warehouses.order_by("brand_id", "priority", "code")),
        "warehouse": warehouse,
        "sku": sku,
        "short_only": short_only,
        "brand_names": brand_names_in_view(request),
    }
    return htmx_render(request, "web/stock/levels.html", "web/stock/_results.html", context)
