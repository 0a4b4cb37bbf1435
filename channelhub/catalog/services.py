"""Writes of the catalogue: categories, products, region authorization, price lists, promotions.

Every write raises the brand's catalogue version in its transaction, so the price engine's
snapshot is reloaded after it commits (and a rolled-back write changes nothing).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from channelhub.catalog.models import (
    Authorization,
    CatalogVersion,
    Category,
    PriceItem,
    PriceList,
    Product,
    Promotion,
)
from channelhub.core import audit, sql
from channelhub.core.errors import Conflict, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.regions.models import Division, SalesRegion
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Role
from channelhub.tenancy.permissions import require_brand, require_role

CATALOG_WRITERS = (Role.GROUP_ADMIN, Role.BRAND_ADMIN)
PRODUCT_FIELDS = ["sku", "barcode", "name", "category", "unit", "pack_size", "min_order_qty", "tax_category", "status"]
MAX_PRICE = Decimal("9999999999.9999")


def bump_version(brand_id: int) -> None:
    """Raise the brand's catalogue version (the row is locked until the write commits)."""
    versions = CatalogVersion.objects.filter(brand_id=brand_id)
    if not versions.update(version=F("version") + 1, stamp=uuid.uuid4()):
        try:
            with transaction.atomic():
                CatalogVersion.objects.create(brand_id=brand_id, version=1)
        except IntegrityError:  # created by a concurrent write: raise it instead
            versions.update(version=F("version") + 1, stamp=uuid.uuid4())


def _written(*, actor: Actor, action: str, obj: Any, brand_id: int, before=None, after=None) -> None:
    """What follows every catalogue write: the engine's snapshot goes stale, the audit trail records it."""
    bump_version(brand_id)
    audit.record(actor=actor, action=action, obj=obj, brand_id=brand_id, before=before, after=after)


def _writer(actor: Actor, brand_id: int | None) -> int:
    brand_id = require_brand(actor, brand_id)
    require_role(actor, brand_id, *CATALOG_WRITERS)
    return brand_id


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(f"{field} must be one of {', '.join(choices.values)}", field=field)
    return value


MAX_COUNT = 10_000_000
TEXT_LIMITS = {"sku": 64, "barcode": 32, "name": 200, "unit": 16}


def _positive_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise ValidationFailed(f"{field} must be a whole number from 1 to {MAX_COUNT}", field=field)
    return value


def money(value: Any, field: str, *, places: int = 4) -> Decimal:
    """A non-negative amount from text or a number, refused when it would need rounding."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field} must be an amount such as 12.50", field=field) from None
    if not number.is_finite() or number < 0 or number > MAX_PRICE:
        raise ValidationFailed(f"{field} must be an amount between 0 and {MAX_PRICE}", field=field)
    if number.as_tuple().exponent < -places:
        raise ValidationFailed(f"{field} has more than {places} decimal places", field=field)
    return number


# --- categories and products -------------------------------------------------------------------


@transaction.atomic
def create_category(
    *, actor: Actor, brand_id: int | None, code: str, name: str, parent: Category | None = None
) -> Category:
    brand_id = _writer(actor, brand_id)
    if parent is not None and parent.brand_id != brand_id:
        raise ValidationFailed("the parent category belongs to another brand", field="parent")
    if not name.strip():
        raise ValidationFailed("name is required", field="name")
    if Category.objects.filter(brand_id=brand_id, code=code).exists():
        raise Conflict(f"category code {code!r} is already used in this brand", field="code")
    category = Category.objects.create(brand_id=brand_id, code=code, name=name.strip(), parent=parent)
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    _written(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=category,
        brand_id=brand_id,
        after=audit.snapshot(category, ["code", "name", "parent"]),
    )
    return category


def _product_values(brand_id: int, data: dict[str, Any], product: Product, taken: dict[str, int] | None = None) -> None:
    """Check and set product fields from ``data`` (only the keys present). ``taken`` maps the
    brand's SKUs to product ids when the caller read them already (bulk writes)."""
    for key, limit in TEXT_LIMITS.items():
        if key in data and len(str(data[key] or "").strip()) > limit:
            raise ValidationFailed(f"{key} is longer than {limit} characters", field=key)
    if "sku" in data:
        sku = str(data["sku"] or "").strip()
        if not sku:
            raise ValidationFailed("sku is required", field="sku")
        if taken is not None:
            used = taken.get(sku) not in (None, product.pk)
        else:
            used = Product.objects.filter(brand_id=brand_id, sku=sku).exclude(pk=product.pk).exists()
        if used:
            raise Conflict(f"SKU {sku!r} is already used in this brand", field="sku")
        product.sku = sku
    if "name" in data:
        if not str(data["name"] or "").strip():
            raise ValidationFailed("name is required", field="name")
        product.name = str(data["name"]).strip()
    if "category" in data:
        category = data["category"]
        if isinstance(category, str):
            category = Category.objects.filter(brand_id=brand_id, code=category).first()
        if not isinstance(category, Category) or category.brand_id != brand_id:
            raise ValidationFailed("unknown category", field="category")
        product.category = category
    for key in ("barcode", "unit"):
        if key in data:
            setattr(product, key, str(data[key] or "").strip())
    if not product.unit:
        raise ValidationFailed("unit is required", field="unit")
    for key in ("pack_size", "min_order_qty"):
        if key in data:
            setattr(product, key, _positive_int(data[key], key))
    if "tax_category" in data:
        product.tax_category = _choice(data["tax_category"], Product.TaxCategory, "tax_category")
    if "status" in data:
        product.status = _choice(data["status"], Product.Status, "status")
    if product.min_order_qty % product.pack_size:
        raise ValidationFailed("the minimum order quantity must be a multiple of the pack size", field="min_order_qty")


@transaction.atomic
def create_product(*, actor: Actor, brand_id: int | None, **data: Any) -> Product:
    """A new SKU; ``data`` holds the product fields (``category`` as a Category or its code)."""
    brand_id = _writer(actor, brand_id)
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    for required in ("sku", "name", "category"):
        if required not in data:
            raise ValidationFailed(f"{required} is required", field=required)
    data.setdefault("min_order_qty", data.get("pack_size", 1))  # one pack unless said otherwise
    product = Product(brand_id=brand_id)
    _product_values(brand_id, data, product)
    product.save()
    _written(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=product,
        brand_id=brand_id,
        after=audit.snapshot(product, PRODUCT_FIELDS),
    )
    return product


@dataclass(frozen=True)
class ProductChange:
    """One row of a bulk write: a new product (``product`` None) or changes to an existing one.
    ``row`` names it in refusals (e.g. the spreadsheet row)."""

    row: int
    product: Product | None
    data: dict[str, Any]


@transaction.atomic
def save_products(*, actor: Actor, brand_id: int | None, changes: list[ProductChange]) -> tuple[int, int]:
    """Create and change many products at once (Excel imports): every row checked as
    :func:`create_product` / :func:`update_product` would, then one insert, one update, one
    audit insert and one version bump. All or nothing; a refusal names the row.
    Returns (created, updated)."""
    brand_id = _writer(actor, brand_id)
    taken = dict(Product.objects.filter(brand_id=brand_id).values_list("sku", "id"))
    new, changed, entries = [], [], []
    for change in changes:
        if change.product is None:
            data = {"min_order_qty": change.data.get("pack_size", 1), **change.data}
            product = Product(brand_id=brand_id)
            _checked(change.row, brand_id, data, product, taken)
            taken[product.sku] = -change.row  # a later row may not take the same SKU
            new.append(product)
        else:
            product = change.product
            if product.brand_id != brand_id:
                raise ValidationFailed(f"row {change.row}: the product belongs to another brand", field="sku")
            before = audit.snapshot(product, PRODUCT_FIELDS)
            _checked(change.row, brand_id, change.data, product, taken)
            changed.append((product, before))
    Product.objects.bulk_create(new, batch_size=1000)
    Product.objects.bulk_update([p for p, _ in changed], PRODUCT_FIELDS, batch_size=1000)
    for product in new:
        after = audit.snapshot(product, PRODUCT_FIELDS)
        entries.append(
            audit.entry_for(actor=actor, action=AuditEntry.Action.CREATE, obj=product, brand_id=brand_id, after=after)
        )
    for product, before in changed:
        after = audit.snapshot(product, PRODUCT_FIELDS)
        entries.append(
            audit.entry_for(
                actor=actor, action=AuditEntry.Action.UPDATE, obj=product, brand_id=brand_id, before=before, after=after
            )
        )
    AuditEntry.objects.bulk_create([e for e in entries if e is not None], batch_size=1000)
    if new or changed:
        bump_version(brand_id)
    return len(new), len(changed)


def _checked(number: int, brand_id: int, data: dict[str, Any], product: Product, taken: dict[str, int]) -> None:
    """:func:`_product_values` for one row of many; a refusal names the row."""
    try:
        _product_values(brand_id, data, product, taken)
    except ValidationFailed as exc:
        raise ValidationFailed(f"row {number}: {exc.message}", field=exc.field) from None
    except Conflict as exc:
        raise Conflict(f"row {number}: {exc.message}", field=exc.field) from None


@transaction.atomic
def update_product(*, actor: Actor, product: Product, changes: dict[str, Any]) -> Product:
    require_role(actor, product.brand_id, *CATALOG_WRITERS)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = audit.snapshot(product, PRODUCT_FIELDS)
    _product_values(product.brand_id, changes, product)
    product.save()
    _written(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=product,
        brand_id=product.brand_id,
        before=before,
        after=audit.snapshot(product, PRODUCT_FIELDS),
    )
    return product


# --- region authorization ----------------------------------------------------------------------


def _region(
    brand_id: int, division: str | None, sales_region: int | None
) -> tuple[Division | None, SalesRegion | None]:
    if division and sales_region:
        raise ValidationFailed("give a division or a sales region, not both", field="division")
    if division:
        found = Division.objects.filter(code=division).first()
        if found is None:
            raise ValidationFailed(f"unknown division code {division!r}", field="division")
        return found, None
    if sales_region:
        found = SalesRegion.objects.filter(brand_id=brand_id, pk=sales_region).first()
        if found is None:
            raise ValidationFailed(f"unknown sales region id {sales_region}", field="sales_region")
        return None, found
    return None, None


@transaction.atomic
def authorize(
    *,
    actor: Actor,
    brand_id: int | None,
    allow: bool,
    product: Product | None = None,
    category: Category | None = None,
    division: str | None = None,
    sales_region: int | None = None,
    priority: int = 0,
    note: str = "",
) -> Authorization:
    """Allow or forbid a product or a category in a region (nationally when no region is given)."""
    brand_id = _writer(actor, brand_id)
    if (product is None) == (category is None):
        raise ValidationFailed("give a product or a category", field="product")
    if (product or category).brand_id != brand_id:
        raise ValidationFailed("the product or category belongs to another brand", field="product")
    where_division, where_region = _region(brand_id, division, sales_region)
    rule = Authorization.objects.create(
        brand_id=brand_id,
        product=product,
        category=category,
        division=where_division,
        sales_region=where_region,
        allow=allow,
        priority=priority,
        note=note[:200],
    )
    _written(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=rule,
        brand_id=brand_id,
        after=audit.snapshot(rule, ["product", "category", "division", "sales_region", "allow", "priority"]),
    )
    return rule


@transaction.atomic
def remove_authorization(*, actor: Actor, rule: Authorization) -> None:
    require_role(actor, rule.brand_id, *CATALOG_WRITERS)
    before = audit.snapshot(rule, ["product", "category", "division", "sales_region", "allow", "priority"])
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, obj=rule, brand_id=rule.brand_id, before=before)
    rule.delete()
    bump_version(rule.brand_id)


# --- price lists -------------------------------------------------------------------------------


LIST_FIELDS = ["code", "name", "kind", "grade", "distributor", "division", "sales_region", "valid_from", "valid_to"]


@transaction.atomic
def create_price_list(
    *,
    actor: Actor,
    brand_id: int | None,
    code: str,
    name: str,
    kind: str,
    grade: str = "",
    distributor_id: int | None = None,
    division: str | None = None,
    sales_region: int | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    priority: int = 0,
) -> PriceList:
    """A price list for everyone (base), a grade, a region, a region and grade, or one distributor."""
    brand_id = _writer(actor, brand_id)
    _choice(kind, PriceList.Kind, "kind")
    needs_grade = kind in (PriceList.Kind.GRADE, PriceList.Kind.REGION_GRADE)
    if needs_grade != bool(grade):
        raise ValidationFailed("grade lists need a grade; other lists take none", field="grade")
    is_regional = kind in (PriceList.Kind.REGION, PriceList.Kind.REGION_GRADE)
    if not is_regional and (division or sales_region):
        raise ValidationFailed("only region lists name a region", field="division")
    if (kind == PriceList.Kind.DISTRIBUTOR) != (distributor_id is not None):
        raise ValidationFailed("agreement lists, and only they, name a distributor", field="distributor_id")
    if valid_from and valid_to and valid_to <= valid_from:
        raise ValidationFailed("valid_to must be after valid_from", field="valid_to")
    if PriceList.objects.filter(brand_id=brand_id, code=code).exists():
        raise Conflict(f"price list code {code!r} is already used in this brand", field="code")
    where_division, where_region = _region(brand_id, division, sales_region)
    price_list = PriceList(
        brand_id=brand_id,
        code=code,
        name=name.strip() or code,
        kind=kind,
        grade=grade,
        division=where_division,
        sales_region=where_region,
        valid_from=valid_from,
        valid_to=valid_to,
        priority=priority,
    )
    if distributor_id is not None:
        from django.apps import apps  # the account model is read by name: catalog does not import partners

        account = apps.get_model("partners", "DistributorAccount").objects.filter(brand_id=brand_id, pk=distributor_id)
        if not account.exists():
            raise ValidationFailed("unknown distributor", field="distributor_id")
        price_list.distributor_id = distributor_id
    price_list.save()
    _written(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=price_list,
        brand_id=brand_id,
        after=audit.snapshot(price_list, LIST_FIELDS),
    )
    return price_list


@transaction.atomic
def set_prices(*, actor: Actor, price_list: PriceList, prices: list[dict[str, Any]]) -> int:
    """Put unit prices into a list: rows of ``{"sku", "unit_price", "min_qty" (default 1)}``;
    an existing (SKU, min_qty) price is replaced. All rows or none: the first bad row is named."""
    require_role(actor, price_list.brand_id, *CATALOG_WRITERS)
    skus = {str(row.get("sku", "")).strip() for row in prices}
    products = dict(Product.objects.filter(brand_id=price_list.brand_id, sku__in=skus).values_list("sku", "id"))
    rows = {}
    for number, row in enumerate(prices, start=1):
        sku = str(row.get("sku", "")).strip()
        if sku not in products:
            raise ValidationFailed(f"row {number}: unknown SKU {sku!r}", field="sku")
        price = money(row.get("unit_price"), f"row {number}: unit_price")
        min_qty = _positive_int(row.get("min_qty", 1), f"row {number}: min_qty")
        rows[(products[sku], min_qty)] = price
    existing = {
        (item.product_id, item.min_qty): item
        for item in PriceItem.objects.filter(price_list=price_list, product_id__in=[p for p, _ in rows])
    }
    changed = []
    for key, price in rows.items():
        if key in existing and existing[key].unit_price != price:
            existing[key].unit_price = price
            changed.append(existing[key])
    PriceItem.objects.bulk_update(changed, ["unit_price"], batch_size=1000)
    PriceItem.objects.bulk_create(
        [
            PriceItem(brand_id=price_list.brand_id, price_list=price_list, product_id=p, min_qty=q, unit_price=price)
            for (p, q), price in rows.items()
            if (p, q) not in existing
        ],
        batch_size=1000,
    )
    _written(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=price_list,
        brand_id=price_list.brand_id,
        before={"prices": None},
        after={"prices": f"{len(rows)} set"},
    )
    return len(rows)


# --- promotions --------------------------------------------------------------------------------


PROMOTION_FIELDS = [
    "code",
    "name",
    "mechanic",
    "params",
    "status",
    "starts_at",
    "ends_at",
    "stackable",
    "sequence",
    "division_codes",
    "sales_region_ids",
    "grades",
    "distributor_ids",
    "product_ids",
    "category_ids",
    "budget_amount",
    "budget_quantity",
]


def _params(mechanic: str, params: dict[str, Any]) -> dict[str, Any]:
    """The mechanic's parameters checked and kept as text numbers (Decimal-safe JSON)."""
    if mechanic == Promotion.Mechanic.PERCENT_OFF:
        percent = money(params.get("percent"), "params.percent", places=2)
        if not 0 < percent < 100:
            raise ValidationFailed("params.percent must be between 0 and 100", field="params")
        return {"percent": str(percent)}
    if mechanic == Promotion.Mechanic.AMOUNT_OFF:
        return {"amount": str(money(params.get("amount"), "params.amount", places=2))}
    if mechanic == Promotion.Mechanic.SPECIAL_PRICE:
        return {"price": str(money(params.get("price"), "params.price"))}
    if mechanic == Promotion.Mechanic.THRESHOLD:
        tiers = params.get("tiers") or []
        if not isinstance(tiers, list) or not tiers:
            raise ValidationFailed("params.tiers needs at least one {min_amount, off}", field="params")
        checked = []
        for tier in tiers:
            if not isinstance(tier, dict):
                raise ValidationFailed("each tier is {min_amount, off}", field="params")
            low = money(tier.get("min_amount"), "params.tiers.min_amount", places=2)
            off = money(tier.get("off"), "params.tiers.off", places=2)
            if off <= 0 or off > low:
                raise ValidationFailed("a tier's discount must be above 0 and not above its threshold", field="params")
            checked.append({"min_amount": str(low), "off": str(off)})
        return {"tiers": sorted(checked, key=lambda t: Decimal(t["min_amount"]))}
    if mechanic == Promotion.Mechanic.BUY_X_GET_Y:
        buy = _positive_int(params.get("buy"), "params.buy")
        get = _positive_int(params.get("get"), "params.get")
        return {"buy": buy, "get": get, "gift_sku": str(params.get("gift_sku") or "")}
    raise ValidationFailed(f"mechanic must be one of {', '.join(Promotion.Mechanic.values)}", field="mechanic")


@transaction.atomic
def create_promotion(*, actor: Actor, brand_id: int | None, **data: Any) -> Promotion:
    """A draft promotion; it takes effect once approved (:func:`submit_promotion`)."""
    brand_id = _writer(actor, brand_id)
    unknown = set(data) - set(PROMOTION_FIELDS) - {"status"}
    if unknown:
        raise ValidationFailed(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    for required in ("code", "name", "mechanic", "starts_at", "ends_at"):
        if not data.get(required):
            raise ValidationFailed(f"{required} is required", field=required)
    if data["ends_at"] <= data["starts_at"]:
        raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
    if Promotion.objects.filter(brand_id=brand_id, code=data["code"]).exists():
        raise Conflict(f"promotion code {data['code']!r} is already used in this brand", field="code")
    data["params"] = _params(data["mechanic"], data.get("params") or {})
    gift = data["params"].get("gift_sku")
    if gift and not Product.objects.filter(brand_id=brand_id, sku=gift).exists():
        raise ValidationFailed(f"unknown gift SKU {gift!r}", field="params")
    for key in ("budget_amount",):
        if data.get(key) is not None:
            data[key] = money(data[key], key, places=2)
    _check_targets(brand_id, data)
    data.setdefault("status", Promotion.Status.DRAFT)
    promotion = Promotion.objects.create(brand_id=brand_id, **data)
    _written(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=promotion,
        brand_id=brand_id,
        after=audit.snapshot(promotion, PROMOTION_FIELDS),
    )
    return promotion


def _check_targets(brand_id: int, data: dict[str, Any]) -> None:
    """Every region, grade, distributor, product and category a promotion names must exist in the
    brand: a typo would otherwise make it silently reach nobody."""
    from django.apps import apps  # accounts are read by name: catalog does not import partners

    lookups = {
        "division_codes": Division.objects.all(),
        "sales_region_ids": SalesRegion.objects.filter(brand_id=brand_id),
        "distributor_ids": apps.get_model("partners", "DistributorAccount").objects.filter(brand_id=brand_id),
        "product_ids": Product.objects.filter(brand_id=brand_id),
        "category_ids": Category.objects.filter(brand_id=brand_id),
    }
    for field, rows in lookups.items():
        wanted = set(data.get(field) or [])
        if not wanted:
            continue
        found = set(rows.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(str(v) for v in wanted - found)
        if missing:
            raise ValidationFailed(f"unknown {field}: {', '.join(missing[:10])}", field=field)
    grades = set(data.get("grades") or []) - {"A", "B", "C", "D"}
    if grades:
        raise ValidationFailed(f"unknown grades: {', '.join(sorted(grades))}", field="grades")


@transaction.atomic
def set_promotion_status(*, actor: Actor, promotion: Promotion, status: str) -> Promotion:
    """Move a promotion to ``status`` (activation normally comes from its approval)."""
    require_role(actor, promotion.brand_id, *CATALOG_WRITERS)
    _choice(status, Promotion.Status, "status")
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    before = {"status": promotion.status}
    promotion.status = status
    promotion.save(update_fields=["status", "updated_at"])
    _written(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=promotion,
        brand_id=promotion.brand_id,
        before=before,
        after={"status": status},
    )
    return promotion


def use_budget(*, promotion_id: int, money_used: Decimal = Decimal("0"), units: int = 0) -> bool:
    """Take ``money_used`` and ``units`` from a promotion's budget, atomically: one conditional
    UPDATE, so concurrent orders can never push usage over the cap. False when it would.

    Orders call it for every capped promotion they use: a plain statement, no ORM query building."""
    with sql.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_promotion"
            " SET used_amount = used_amount + CAST(%s AS NUMERIC), used_quantity = used_quantity + %s"
            " WHERE id = %s"
            " AND (budget_amount IS NULL OR used_amount + CAST(%s AS NUMERIC) <= budget_amount)"
            " AND (budget_quantity IS NULL OR used_quantity + %s <= budget_quantity)",
            [money_used, units, promotion_id, money_used, units],
        )
        return cursor.rowcount == 1


PROMOTION_SUBJECT = "catalog.promotion"


@transaction.atomic
def submit_promotion(*, actor: Actor, promotion: Promotion) -> Promotion:
    """Send a draft promotion into the brand's ``promotion_approval`` process (it takes effect when
    the process approves it; see :func:`on_approval_finished`)."""
    from channelhub.workflow.services import start_process

    require_role(actor, promotion.brand_id, *CATALOG_WRITERS)
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.status not in (Promotion.Status.DRAFT, Promotion.Status.REJECTED):
        raise Conflict("only a draft or rejected promotion can be submitted", field="status")
    start_process(
        actor=actor,
        brand_id=promotion.brand_id,
        key="promotion_approval",
        subject_type=PROMOTION_SUBJECT,
        subject_id=promotion.pk,
        subject_label=promotion.name,
        subject_divisions=list(promotion.division_codes),
        data={
            "mechanic": promotion.mechanic,
            "budget_amount": promotion.budget_amount if promotion.budget_amount is not None else Decimal("0"),
            "budget_quantity": promotion.budget_quantity or 0,
            "days": (promotion.ends_at - promotion.starts_at).days,
        },
    )
    return set_promotion_status(actor=actor, promotion=promotion, status=Promotion.Status.PENDING)


def on_approval_finished(payload: dict[str, Any]) -> None:
    """A ``promotion_approval`` ended: the promotion takes effect, or goes back to rejected."""
    if payload.get("subject_type") != PROMOTION_SUBJECT:
        return
    from channelhub.tenancy.rls import set_brand_scope

    with transaction.atomic():
        set_brand_scope([payload["brand_id"]])
        promotion = Promotion.objects.filter(brand_id=payload["brand_id"], pk=int(payload["subject_id"])).first()
        if promotion is None or promotion.status != Promotion.Status.PENDING:
            return
        approved = payload["status"] == "approved"
        status = Promotion.Status.ACTIVE if approved else Promotion.Status.REJECTED
        set_promotion_status(actor=Actor.system("workflow"), promotion=promotion, status=status)
