"""Scoped reads of orders, shipments, returns and stock.

Staff see the orders of the distributors they may see (a region manager, those of the region); a
distributor's user sees its own account's orders; missing and not-yours are both 404.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from channelhub.core.errors import NotFound
from channelhub.core.models import AuditEntry
from channelhub.orders.models import Order, OrderLine, ReturnRequest, Shipment, StockLevel, Warehouse
from channelhub.partners.models import DistributorAccount
from channelhub.tenancy.actor import Actor


def orders_for(
    actor: Actor,
    *,
    brand_id: int | None = None,
    status: str | None = None,
    account_id: int | None = None,
    query: str = "",
) -> QuerySet[Order]:
    """The orders the actor may see, newest first, with what a list shows in a fixed query count."""
    accounts = DistributorAccount.objects.for_actor(actor, brand_id=brand_id)
    qs = Order.objects.filter(brand_id__in=actor.brand_ids, account__in=accounts.values("id"))
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    if status:
        qs = qs.filter(status=status)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    query = query.strip()
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(account__name__icontains=query) | Q(account__code=query))
    return qs.select_related("account", "brand").order_by("-created_at", "-id")


def get_order(actor: Actor, order_id: int, *, with_allocations: bool = False) -> Order:
    """One order with its lines (and where they are reserved, if asked), shipments and returns."""
    lines = OrderLine.objects.order_by("line_no")
    if with_allocations:
        lines = lines.prefetch_related("allocations__warehouse")
    order = (
        orders_for(actor)
        .prefetch_related(
            Prefetch("lines", queryset=lines),
            Prefetch(
                "shipments", queryset=Shipment.objects.select_related("warehouse").prefetch_related("lines__line")
            ),
            Prefetch("returns", queryset=ReturnRequest.objects.prefetch_related("lines__line")),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound("order not found")
    return order


def just_submitted(order: Order, lines: list[OrderLine]) -> Order:
    """A new order shown from what its submission wrote, without reading it back: its lines in
    order, and no shipments or returns yet (what :func:`get_order` would prefetch)."""
    order._prefetched_objects_cache = {
        "lines": sorted(lines, key=lambda line: line.line_no),
        "shipments": [],
        "returns": [],
    }
    return order


def get_shipment(actor: Actor, shipment_id: int) -> Shipment:
    shipment = Shipment.objects.filter(pk=shipment_id, order__in=orders_for(actor)).select_related("order").first()
    if shipment is None:
        raise NotFound("shipment not found")
    return shipment


def get_return(actor: Actor, return_id: int) -> ReturnRequest:
    request = ReturnRequest.objects.filter(pk=return_id, order__in=orders_for(actor)).select_related("order").first()
    if request is None:
        raise NotFound("return not found")
    return request


def order_timeline(order: Order) -> list[AuditEntry]:
    """Who changed the order when, oldest first (from the audit trail)."""
    return list(
        AuditEntry.objects.filter(object_type="orders.order", object_id=str(order.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _staff_brands(actor: Actor) -> list[int]:
    """Brands where the actor is staff: warehouses are the brand's business, distributors see
    availability in their catalogue instead."""
    return [b for b in actor.brand_ids if not actor.is_distributor_only(b)]


def warehouses_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.filter(brand_id__in=_staff_brands(actor))
    return qs.filter(brand_id=brand_id) if brand_id is not None else qs


def stock_for(
    actor: Actor, *, brand_id: int | None = None, warehouse: str = "", sku: str = "", short_only: bool = False
) -> QuerySet[StockLevel]:
    """Stock rows the actor may see (staff of the brand), with SKU and warehouse, by SKU."""
    qs = StockLevel.objects.filter(brand_id__in=_staff_brands(actor)).select_related("warehouse", "product")
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if sku:
        qs = qs.filter(product__sku__icontains=sku.strip())
    if short_only:
        qs = qs.filter(on_hand__lte=F("reserved"))
    return qs.order_by("product__sku", "warehouse__priority", "warehouse__code")


@dataclass(frozen=True)
class OrderGlance:
    """A brand's orders at a glance: how many wait on whom, and today's intake."""

    brand_id: int
    waiting: dict[str, int]  # status -> count, open statuses only
    today_count: int
    today_total: Decimal


GLANCE_STATUSES = (
    Order.Status.CREDIT_HOLD,
    Order.Status.APPROVED,
    Order.Status.ALLOCATED,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.SHIPPED,
)


def orders_at_a_glance(actor: Actor) -> dict[int, OrderGlance]:
    """Per brand in view: open orders by status and orders submitted today (two grouped queries)."""
    visible = orders_for(actor).order_by()
    waiting: dict[int, dict[str, int]] = {}
    for brand_id, status, count in (
        visible.filter(status__in=GLANCE_STATUSES).values_list("brand_id", "status").annotate(n=Count("id"))
    ):
        waiting.setdefault(brand_id, {})[status] = count
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = {
        row["brand_id"]: row
        for row in visible.filter(submitted_at__gte=start)
        .exclude(status=Order.Status.CANCELLED)
        .values("brand_id")
        .annotate(n=Count("id"), total=Sum("total"))
    }
    return {
        brand_id: OrderGlance(
            brand_id,
            waiting.get(brand_id, {}),
            today.get(brand_id, {}).get("n", 0),
            today.get(brand_id, {}).get("total") or Decimal("0"),
        )
        for brand_id in sorted(set(waiting) | set(today))
    }
