"""Stock per warehouse and SKU: what the WMS reports, what orders reserve, ship and send back.

Every reservation is a conditional UPDATE (``on_hand - reserved >= qty``) or happens under the row
locks of the SKU's stock rows, so no interleaving of orders can reserve a unit twice. Rows are
always locked in product-id order, after the ordering account's credit row (see
``orders.services``), so two orders never wait on each other in a cycle.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from channelhub.catalog.models import Product
from channelhub.core import audit, sql
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

    def key(row: tuple) -> tuple:
        division = row[_DIVISION] or ""
        return (division[:2] != province[:2], row[_PRIORITY], row[_CODE])

    return key


def reserve(
    brand_id: int, needs: dict[int, int], *, province: str
) -> tuple[dict[int, list[tuple[int, int]]], list[Shortage]]:
    """Reserve ``needs`` (product id -> units), preferring one warehouse per SKU and the buyer's
    province. Answers the plan (product -> [(warehouse id, units)]) and, if any SKU falls short,
    the shortages — the caller then rolls the whole transaction back.

    The stock rows of every ordered SKU are locked first, in one statement and in the one lock
    order of stock rows (product, then warehouse); the plan is made from what the locked rows
    hold and written in one UPDATE. (Trying warehouse after warehouse with conditional UPDATEs
    would lock in preference order: an UPDATE that waited keeps its row lock even when its
    condition then fails, and two orders for the last units of a SKU could wait on each other.)"""
    rows = _locked_rows(brand_id, list(needs))
    by_product: dict[int, list[tuple]] = defaultdict(list)
    for row in sorted(rows, key=_preference(province)):
        by_product[row[_PRODUCT]].append(row)
    plan: dict[int, list[tuple[int, int]]] = {}
    shortages: list[Shortage] = []
    increments: dict[int, int] = {}
    for product_id in sorted(needs):
        need, candidates = needs[product_id], by_product[product_id]
        free = sum(max(0, row[_ON_HAND] - row[_RESERVED]) for row in candidates)
        if free < need:
            shortages.append(Shortage(product_id, need, free))
            continue
        whole = next((row for row in candidates if row[_ON_HAND] - row[_RESERVED] >= need), None)
        taken = []
        for row in [whole] if whole else candidates:  # one warehouse if one has it all, else nearest first
            take = min(need, max(0, row[_ON_HAND] - row[_RESERVED]))
            if take:
                increments[row[_ID]] = take
                taken.append((row[_WAREHOUSE], take))
                need -= take
            if not need:
                break
        plan[product_id] = taken
    if not shortages:
        _add_reserved(increments)
    return plan, shortages


# The rows a reservation works on, read and written in plain SQL: every order takes this path,
# and under a rush building these statements through the ORM cost more than running them.
_ID, _PRODUCT, _WAREHOUSE, _ON_HAND, _RESERVED, _DIVISION, _PRIORITY, _CODE = range(8)


def _locked_rows(brand_id: int, product_ids: list[int]) -> list[tuple]:
    """The active warehouses' stock rows of the products, locked in product and warehouse order:
    (id, product id, warehouse id, on hand, reserved, warehouse division, priority, code)."""
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    with sql.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved, w.division_id, w.priority, w.code"  # noqa: S608 - placeholders only
            " FROM orders_stocklevel s JOIN orders_warehouse w ON w.id = s.warehouse_id"
            f" WHERE s.brand_id = %s AND s.product_id IN ({sql.marks(product_ids)}) AND w.is_active"
            f" ORDER BY s.product_id, s.warehouse_id{lock}",
            [brand_id, *product_ids],
        )
        return cursor.fetchall()


def _add_reserved(increments: dict[int, int]) -> None:
    """``reserved += units`` on locked rows (row id -> units, negative to give back), in one UPDATE."""
    if increments:
        cases = " ".join("WHEN %s THEN %s" for _ in increments)
        with sql.cursor() as cursor:
            cursor.execute(
                f"UPDATE orders_stocklevel SET reserved = reserved + CASE id {cases} END"  # noqa: S608 - placeholders only
                f" WHERE id IN ({sql.marks(increments)})",
                [*(value for pair in increments.items() for value in pair), *increments],
            )


def unreserve(brand_id: int, taken: list[tuple[int, int, int]]) -> None:
    """Give back reservations: (warehouse id, product id, units). The rows are locked in the lock
    order first, then changed in one UPDATE."""
    wanted = {(w, p): units for w, p, units in taken if units > 0}
    if not wanted:
        return
    rows = (
        StockLevel.objects.select_for_update()
        .filter(brand_id=brand_id, product_id__in={p for _, p in wanted})
        .order_by("product_id", "warehouse_id")
        .values_list("id", "warehouse_id", "product_id")
    )
    _add_reserved({pk: -wanted[(w, p)] for pk, w, p in rows if (w, p) in wanted})


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
        for level in StockLevel.objects.select_for_update()
        .filter(warehouse=warehouse, product_id__in=list(wanted))
        .order_by("product_id")  # the lock order of stock rows, as orders take them
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
