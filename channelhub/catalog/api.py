"""Catalogue endpoints: products, categories, region authorization, price lists, promotions, and
the price engine's ``quote`` and ``explain``."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote as url_quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from channelhub.catalog import excel, pricing, selectors, services
from channelhub.catalog.models import Product
from channelhub.core.api import Id, Input, Paging
from channelhub.core.errors import ValidationFailed
from channelhub.tenancy.permissions import require_brand

router = Router(tags=["catalog 商品与价格"])


class CategoryOut(Schema):
    id: int
    brand_id: int
    parent_id: int | None
    code: str
    name: str
    path: str


class CategoryIn(Input):
    brand_id: Id | None = None
    code: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=100)
    parent_id: Id | None = None


class ProductOut(Schema):
    id: int
    brand_id: int
    sku: str
    barcode: str
    name: str
    category_id: int
    category: str = Field(..., alias="category.name")
    unit: str
    pack_size: int
    min_order_qty: int
    tax_category: str
    status: str


class ProductIn(Input):
    brand_id: Id | None = None
    sku: str = Field(..., min_length=1, max_length=64)
    barcode: str = Field("", max_length=32)
    name: str = Field(..., min_length=1, max_length=200)
    category: str = Field(..., max_length=64, description="category code")
    unit: str = Field("件", min_length=1, max_length=16)
    pack_size: int = Field(1, ge=1, le=100_000)
    min_order_qty: int | None = Field(None, ge=1, le=1_000_000, description="default: one pack")
    tax_category: str = Product.TaxCategory.STANDARD
    status: str = Product.Status.ACTIVE


class ProductPatch(Input):
    sku: str | None = Field(None, min_length=1, max_length=64)
    barcode: str | None = Field(None, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, min_length=1, max_length=16)
    pack_size: int | None = Field(None, ge=1, le=100_000)
    min_order_qty: int | None = Field(None, ge=1, le=1_000_000)
    tax_category: str | None = None
    status: str | None = None


class ProductFilter(Schema):
    brand_id: Id | None = None
    q: str = Field("", max_length=100)
    category: Id | None = None


class AuthorizationIn(Input):
    brand_id: Id | None = None
    allow: bool
    product_id: Id | None = None
    category_id: Id | None = None
    division: str | None = Field(None, pattern=r"^[0-9]{6}$")
    sales_region: Id | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    note: str = Field("", max_length=200)


class AuthorizationOut(Schema):
    id: int
    brand_id: int
    allow: bool
    product_id: int | None
    category_id: int | None
    division_id: str | None
    sales_region_id: int | None
    priority: int
    note: str


class PriceListIn(Input):
    brand_id: Id | None = None
    code: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=200)
    kind: str
    grade: str = Field("", max_length=2)
    distributor_id: Id | None = None
    division: str | None = Field(None, pattern=r"^[0-9]{6}$")
    sales_region: Id | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    priority: int = Field(0, ge=-1000, le=1000)


class PriceListOut(Schema):
    id: int
    brand_id: int
    code: str
    name: str
    kind: str
    grade: str
    distributor_id: int | None
    division_id: str | None
    sales_region_id: int | None
    valid_from: datetime | None
    valid_to: datetime | None
    priority: int
    status: str


class PriceRowIn(Input):
    sku: str = Field(..., min_length=1, max_length=64)
    unit_price: Decimal = Field(..., ge=0, max_digits=14, decimal_places=4)
    min_qty: int = Field(1, ge=1, le=10_000_000)


class PricesIn(Input):
    prices: list[PriceRowIn] = Field(..., min_length=1, max_length=50_000)


class PromotionIn(Input):
    brand_id: Id | None = None
    code: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=200)
    mechanic: str
    params: dict[str, Any] = {}
    starts_at: datetime
    ends_at: datetime
    stackable: bool = False
    sequence: int = Field(100, ge=0, le=10_000)
    division_codes: list[str] = Field([], max_length=3000)
    sales_region_ids: list[int] = Field([], max_length=500)
    grades: list[str] = Field([], max_length=10)
    distributor_ids: list[int] = Field([], max_length=20_000)
    product_ids: list[int] = Field([], max_length=20_000)
    category_ids: list[int] = Field([], max_length=1000)
    budget_amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    budget_quantity: int | None = Field(None, ge=0)


class PromotionOut(Schema):
    id: int
    brand_id: int
    code: str
    name: str
    mechanic: str
    params: dict[str, Any]
    status: str
    starts_at: datetime
    ends_at: datetime
    stackable: bool
    sequence: int
    budget_amount: Decimal | None
    budget_quantity: int | None
    used_amount: Decimal
    used_quantity: int


class LineIn(Input):
    sku: str = Field(..., min_length=1, max_length=64)
    qty: int = Field(..., description="units; a positive multiple of the product's pack size")


class QuoteIn(Input):
    distributor_id: Id
    lines: list[LineIn] = Field(..., min_length=1, max_length=1000)
    at: datetime | None = Field(None, description="price at this moment (default: now)")


class ConsideredOut(Schema):
    stage: str
    rule: str
    outcome: str
    why: str


class QuotedLineOut(Schema):
    sku: str
    qty: int
    ok: bool
    code: str
    reason: str
    name: str
    unit: str
    list_price: Decimal | None
    price_rule: str
    promotions: list[dict[str, Any]]
    unit_price: Decimal | None
    amount: Decimal | None
    gifts: list[dict[str, Any]]


class ExplainedLineOut(QuotedLineOut):
    trace: list[ConsideredOut]


class QuoteOut(Schema):
    at: datetime
    catalog_version: int
    ok: bool
    total: Decimal
    list_total: Decimal
    lines: list[QuotedLineOut]


class ExplainOut(QuoteOut):
    lines: list[ExplainedLineOut]


# --- products and categories


@router.get("/catalog/categories", response=list[CategoryOut])
@paginate(Paging)
def list_categories(request: HttpRequest, brand_id: Id | None = None):
    return selectors.categories_for(request.actor, brand_id=brand_id)


@router.post("/catalog/categories", response={201: CategoryOut})
def create_category(request: HttpRequest, payload: CategoryIn):
    parent = selectors.get_category(request.actor, payload.parent_id) if payload.parent_id else None
    category = services.create_category(
        actor=request.actor, brand_id=payload.brand_id, code=payload.code, name=payload.name, parent=parent
    )
    return 201, category


@router.get("/catalog/products", response=list[ProductOut])
@paginate(Paging)
def list_products(request: HttpRequest, filters: Query[ProductFilter]):
    return selectors.products_for(request.actor, brand_id=filters.brand_id, q=filters.q, category=filters.category)


@router.get("/catalog/products/{int:product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: Id):
    return selectors.get_product(request.actor, product_id)


@router.post("/catalog/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductIn):
    data = payload.dict(exclude_none=True)
    product = services.create_product(actor=request.actor, brand_id=data.pop("brand_id", None), **data)
    return 201, selectors.get_product(request.actor, product.id)


@router.patch("/catalog/products/{int:product_id}", response=ProductOut)
def update_product(request: HttpRequest, product_id: Id, payload: ProductPatch):
    product = selectors.get_product(request.actor, product_id)
    services.update_product(actor=request.actor, product=product, changes=payload.dict(exclude_unset=True))
    return selectors.get_product(request.actor, product_id)


# --- region authorization


@router.get("/catalog/authorizations", response=list[AuthorizationOut])
@paginate(Paging)
def list_authorizations(request: HttpRequest, brand_id: Id | None = None):
    return selectors.authorizations_for(request.actor, brand_id=brand_id)


@router.post("/catalog/authorizations", response={201: AuthorizationOut})
def authorize(request: HttpRequest, payload: AuthorizationIn):
    """Allow or forbid a product or category in a division, a sales region, or nationally."""
    product = selectors.get_product(request.actor, payload.product_id) if payload.product_id else None
    category = selectors.get_category(request.actor, payload.category_id) if payload.category_id else None
    rule = services.authorize(
        actor=request.actor,
        brand_id=payload.brand_id,
        allow=payload.allow,
        product=product,
        category=category,
        division=payload.division,
        sales_region=payload.sales_region,
        priority=payload.priority,
        note=payload.note,
    )
    return 201, rule


@router.delete("/catalog/authorizations/{rule_id}", response={204: None})
def remove_authorization(request: HttpRequest, rule_id: Id):
    services.remove_authorization(actor=request.actor, rule=selectors.get_authorization(request.actor, rule_id))
    return 204, None


# --- price lists


@router.get("/catalog/price-lists", response=list[PriceListOut])
@paginate(Paging)
def list_price_lists(request: HttpRequest, brand_id: Id | None = None):
    return selectors.price_lists_for(request.actor, brand_id=brand_id)


@router.post("/catalog/price-lists", response={201: PriceListOut})
def create_price_list(request: HttpRequest, payload: PriceListIn):
    return 201, services.create_price_list(actor=request.actor, **payload.dict())


@router.put("/catalog/price-lists/{list_id}/prices")
def set_prices(request: HttpRequest, list_id: Id, payload: PricesIn):
    """Set unit prices (per SKU and quantity break); all rows or none, the first bad row named."""
    price_list = selectors.get_price_list(request.actor, list_id)
    count = services.set_prices(actor=request.actor, price_list=price_list, prices=payload.dict()["prices"])
    return {"set": count}


# --- promotions


@router.get("/catalog/promotions", response=list[PromotionOut])
@paginate(Paging)
def list_promotions(request: HttpRequest, brand_id: Id | None = None, status: str = ""):
    return selectors.promotions_for(request.actor, brand_id=brand_id, status=status)


@router.post("/catalog/promotions", response={201: PromotionOut})
def create_promotion(request: HttpRequest, payload: PromotionIn):
    data = payload.dict()
    return 201, services.create_promotion(actor=request.actor, brand_id=data.pop("brand_id"), **data)


@router.post("/catalog/promotions/{promotion_id}/submit", response=PromotionOut)
def submit_promotion(request: HttpRequest, promotion_id: Id):
    """Send a draft promotion into the brand's ``promotion_approval`` process; it takes effect
    when approved."""
    promotion = selectors.get_promotion(request.actor, promotion_id)
    return services.submit_promotion(actor=request.actor, promotion=promotion)


# --- the price engine


def _buyer(request: HttpRequest, distributor_id: int) -> pricing.Buyer:
    # The one place catalog reads a distributor: the API composes partners' account with the engine.
    from channelhub.partners.selectors import get_distributor

    return pricing.Buyer.of_account(get_distributor(request.actor, distributor_id))


def _quote(request: HttpRequest, payload: QuoteIn) -> dict:
    lines = []
    for number, line in enumerate(payload.lines, start=1):
        if line.qty <= 0:
            raise ValidationFailed(f"line {number}: quantity must be a positive whole number", field="lines")
        lines.append(pricing.Line(line.sku.strip(), line.qty))
    result = pricing.quote(_buyer(request, payload.distributor_id), lines, at=payload.at)
    return {
        "at": result.at,
        "catalog_version": result.version,
        "ok": result.ok,
        "total": result.total,
        "list_total": result.list_total,
        "lines": [{**line.__dict__, "trace": [c.as_dict() for c in line.trace]} for line in result.lines],
    }


@router.post("/catalog/quote", response=QuoteOut)
def quote(request: HttpRequest, payload: QuoteIn):
    """Price these lines for this distributor (now, or ``at``): each line's list price and rule, the
    promotions applied in order, the final unit price and amount; refused lines say why."""
    return _quote(request, payload)


@router.post("/catalog/explain", response=ExplainOut)
def explain(request: HttpRequest, payload: QuoteIn):
    """The quote with its trace: every authorization rule, price list and promotion considered,
    and why it won or lost."""
    return _quote(request, payload)


# --- spreadsheets (.xlsx)


class ImportOut(Schema):
    rows: int
    created: int
    updated: int
    unchanged: int


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportFailedOut(Schema):
    code: str
    message: str
    field: str
    rows: list[RowErrorOut]


def _xlsx(content: bytes, ascii_name: str, name: str) -> HttpResponse:
    """An .xlsx attachment, named for every browser: an ASCII name and the UTF-8 one (RFC 6266)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name)
    response = HttpResponse(content, content_type=excel.XLSX_TYPE)
    encoded = url_quote(name, safe="")
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    return response


@router.post("/catalog/products/import", response={200: ImportOut, 422: ImportFailedOut})
def import_products(request: HttpRequest, file: File[UploadedFile] = None, brand_id: Form[Id | None] = None):
    """Create or update products from an .xlsx sheet (headers 商品编码, 条形码, 名称, 类目编码, 单位,
    箱规, 起订量, 税目, 状态, or their English names). All or nothing: a 422 lists every bad cell."""
    if file is None:
        raise ValidationFailed("upload the .xlsx file as the multipart field 'file'", field="file")
    report = excel.import_products(actor=request.actor, brand_id=brand_id, file=file)
    if not report.ok:
        message = f"{len({e.row for e in report.errors})} row(s) have errors; nothing was imported"
        rows = [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors]
        return 422, {"code": "import_failed", "message": message, "field": "file", "rows": rows}
    return report


@router.get("/catalog/products/export")
def export_products(request: HttpRequest, brand_id: Id | None = None):
    """The brand's products as .xlsx, in the layout the import reads."""
    brand_id = require_brand(request.actor, brand_id)
    content = excel.export_products(actor=request.actor, brand_id=brand_id)
    day = timezone.localdate()
    brand = excel.brand_name(brand_id)
    return _xlsx(content, f"products-{brand_id}-{day:%Y%m%d}.xlsx", f"{brand}-商品-{day:%Y%m%d}.xlsx")


@router.get("/catalog/price-sheet")
def price_sheet(request: HttpRequest, distributor_id: Id):
    """The distributor's full price sheet as .xlsx: every product it may order, priced at its
    minimum order quantity."""
    buyer = _buyer(request, distributor_id)
    now = timezone.now()
    content = excel.price_sheet_xlsx(buyer, at=now)
    parties = excel.sheet_parties(buyer)
    day = timezone.localtime(now)
    return _xlsx(
        content,
        f"price-sheet-{parties.distributor_code or distributor_id}-{day:%Y%m%d}.xlsx",
        f"{parties.brand}-价格表-{parties.distributor_name}-{day:%Y%m%d}.xlsx",
    )
