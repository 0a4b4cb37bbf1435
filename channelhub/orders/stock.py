"""Stock per warehouse and SKU: what the WMS reports, what orders reserve, ship and send back.

Every reservation is a conditional UPDATE (``on_hand - reserved >= qty``) or happens under the row
locks of the SKU's stock rows, so no interleaving of orders can reserve a unit twice. Rows are
always locked in product-id order, after the ordering account's credit row (see
``orders.services``), so two orders never wait on each other in a cycle.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from channelhub.catalog.models import Product
from channelhub.core import audit
from channelhub.core.errors import NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.orders.models import StockLevel, Warehouse
from channelhub.regions.models import Division
from channelhub.tenancy.actor import INTEGRATION_ROLE, Actor
from channelhub.tenancy.models import Role
from channelhub.tenancy.permissions import require_brand, require_role

STOCK_WRITERS = (Role.GROUP_ADMIN, Role.BRAND_ADMIN, INTEGRATION_ROLE)
MAX_UNITS = 1_000_000_000


@dataclass(frozen=True)
class Shortage:
    """Units of a SKU an order needs and cannot have."""

    product_id: int
    needed: int
    available: int


def available(brand_id: int, product_ids: list[int]) -> dict[int, int]:
    """Units free to promise per product: on hand minus reserved over the active warehouses."""
    rows = (
        StockLevel.objects.filter(brand_id=brand_id, product_id__in=product_ids, warehouse__is_active=True)
        .values("product_id")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
    )
    return {row["product_id"]: max(0, row["free"] or 0) for row in rows}


def _preference(province: str):
    """Warehouses in the buyer's province first, then by priority and code."""

    def key(row: dict) -> tuple:
        division = row["warehouse__division_id"] or ""
        return (division[:2] != province[:2], row["warehouse__priority"], row["warehouse__code"])

    return key


def reserve(
    brand_id: int, needs: dict[int, int], *, province: str
) -> tuple[dict[int, list[tuple[int, int]]], list[Shortage]]:
    """Reserve ``needs`` (product id -> units), preferring one warehouse per SKU and the buyer's
    province. Answers the plan (product -> [(warehouse id, units)]) and, if any SKU falls short,
    the shortages — the caller then rolls the whole transaction back."""
    rows = list(
        StockLevel.objects.filter(brand_id=brand_id, product_id__in=list(needs), warehouse__is_active=True).values(
            "id", "product_id", "warehouse_id", "on_hand", "reserved", "warehouse__division_id",
            "warehouse__priority", "warehouse__code",
        )
    )  # fmt: skip
    by_product: dict[int, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=_preference(province)):
        by_product[row["product_id"]].append(row)
    plan: dict[int, list[tuple[int, int]]] = {}
    shortages: list[Shortage] = []
    for product_id in sorted(needs):  # the lock order
        need = needs[product_id]
        taken = _take_whole(by_product[product_id], need) or _take_split(brand_id, product_id, need, province)
        if taken is None:
            shortages.append(Shortage(product_id, need, available(brand_id, [product_id]).get(product_id, 0)))
        else:
            plan[product_id] = taken
    return plan, shortages


def _take_whole(candidates: list[dict], need: int) -> list[tuple[int, int]] | None:
    """All units from the first preferred warehouse that (still) has them: one UPDATE."""
    for row in candidates:
        if row["on_hand"] - row["reserved"] < need:
            continue
        fits = Q(pk=row["id"]) & Q(on_hand__gte=F("reserved") + need)
        if StockLevel.objects.filter(fits).update(reserved=F("reserved") + need):
            return [(row["warehouse_id"], need)]
    return None


def _take_split(brand_id: int, product_id: int, need: int, province: str) -> list[tuple[int, int]] | None:
    """No single warehouse has enough: lock the SKU's rows and take from several, nearest first."""
    rows = list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(brand_id=brand_id, product_id=product_id, warehouse__is_active=True)
        .order_by("id")
        .values("id", "warehouse_id", "on_hand", "reserved", "warehouse__division_id", "warehouse__priority",
                "warehouse__code")
    )  # fmt: skip
    if sum(max(0, r["on_hand"] - r["reserved"]) for r in rows) < need:
        return None
    taken = []
    for row in sorted(rows, key=_preference(province)):
        take = min(need, max(0, row["on_hand"] - row["reserved"]))
        if take:
            StockLevel.objects.filter(pk=row["id"]).update(reserved=F("reserved") + take)
            taken.append((row["warehouse_id"], take))
            need -= take
        if not need:
            break
    return taken


def unreserve(brand_id: int, taken: list[tuple[int, int, int]]) -> None:
    """Give back reservations: (warehouse id, product id, units), in product order."""
    for warehouse_id, product_id, units in sorted(taken, key=lambda t: (t[1], t[0])):
        if units > 0:
            StockLevel.objects.filter(brand_id=brand_id, warehouse_id=warehouse_id, product_id=product_id).update(
                reserved=F("reserved") - units
            )


def consume(brand_id: int, warehouse_id: int, product_id: int, units: int) -> None:
    """Reserved units left the warehouse (a shipment)."""
    updated = StockLevel.objects.filter(
        brand_id=brand_id, warehouse_id=warehouse_id, product_id=product_id, reserved__gte=units, on_hand__gte=units
    ).update(on_hand=F("on_hand") - units, reserved=F("reserved") - units)
    if not updated:
        raise ValidationFailed("the warehouse does not hold these reserved units", code="stock_mismatch")


def put_back(brand_id: int, warehouse_id: int, product_id: int, units: int) -> None:
    """Returned units are back on the shelf."""
    level, _ = StockLevel.objects.get_or_create(brand_id=brand_id, warehouse_id=warehouse_id, product_id=product_id)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + units)


# --- services: warehouses and the WMS's counts ------------------------------------------------


@transaction.atomic
def create_warehouse(
    *, actor: Actor, brand_id: int | None, code: str, name: str, division_code: str | None = None, priority: int = 100
) -> Warehouse:
    """Open a warehouse in the brand (brand admins, or the WMS's integration key)."""
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *STOCK_WRITERS)
    if Warehouse.objects.filter(brand_id=brand_id, code=code).exists():
        raise ValidationFailed(f"warehouse code {code!r} is already used in this brand", field="code")
    if division_code and not Division.objects.filter(code=division_code).exists():
        raise ValidationFailed(f"unknown division {division_code!r}", field="division_code")
    warehouse = Warehouse.objects.create(
        brand_id=brand_id, code=code, name=name, division_id=division_code or None, priority=priority
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=warehouse,
        brand_id=brand_id,
        after={"code": code, "name": name, "division": division_code, "priority": priority},
    )
    return warehouse


@dataclass(frozen=True)
class StockCount:
    sku: str
    on_hand: int


@dataclass(frozen=True)
class SyncResult:
    updated: int
    created: int
    below_reserved: list[str]  # SKUs now counted below what orders have reserved


@transaction.atomic
def sync_stock(*, actor: Actor, brand_id: int | None, warehouse_code: str, counts: list[StockCount]) -> SyncResult:
    """Set on-hand units of a warehouse from the WMS's count (reservations are kept). Unknown
    SKUs or negative counts refuse the whole batch, naming each bad row."""
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *STOCK_WRITERS)
    warehouse = Warehouse.objects.filter(brand_id=brand_id, code=warehouse_code).first()
    if warehouse is None:
        raise NotFound(f"warehouse {warehouse_code!r} not found", field="warehouse")
    products = dict(Product.objects.filter(brand_id=brand_id, sku__in=[c.sku for c in counts]).values_list("sku", "id"))
    problems, seen = [], set()
    for number, count in enumerate(counts, start=1):
        if count.sku not in products:
            problems.append(f"row {number}: unknown SKU {count.sku!r}")
        elif count.sku in seen:
            problems.append(f"row {number}: SKU {count.sku!r} appears twice")
        elif not 0 <= count.on_hand <= MAX_UNITS:
            problems.append(f"row {number}: on hand must be between 0 and {MAX_UNITS}")
        seen.add(count.sku)
    if problems:
        raise ValidationFailed("; ".join(problems[:20]), code="bad_rows", field="counts")
    wanted = {products[c.sku]: c.on_hand for c in counts}
    existing = {
        level.product_id: level
        for level in StockLevel.objects.select_for_update().filter(warehouse=warehouse, product_id__in=list(wanted))
    }
    changed, created, low, now = [], [], [], timezone.now()
    for product_id, on_hand in wanted.items():
        level = existing.get(product_id)
        if level is None:
            created.append(StockLevel(brand_id=brand_id, warehouse=warehouse, product_id=product_id, on_hand=on_hand))
        elif level.on_hand != on_hand:
            level.on_hand, level.updated_at = on_hand, now
            changed.append(level)
            if on_hand < level.reserved:
                low.append(product_id)
    StockLevel.objects.bulk_create(created, batch_size=2000)
    StockLevel.objects.bulk_update(changed, ["on_hand", "updated_at"], batch_size=2000)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=warehouse,
        brand_id=brand_id,
        before={"stock_rows": None},
        after={"stock_rows": len(counts), "updated": len(changed), "created": len(created)},
    )
    skus = {v: k for k, v in products.items()}
    return SyncResult(updated=len(changed), created=len(created), below_reserved=sorted(skus[p] for p in low))
