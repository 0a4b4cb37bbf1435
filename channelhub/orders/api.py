"""Order endpoints: submit (with ``Idempotency-Key``), read, cancel, credit decisions, shipments,
receipts, returns, and the WMS's warehouses and stock counts."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import F
from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AliasPath

from channelhub.core.api import Id, Input, Output, Paging, Related
from channelhub.core.errors import ValidationFailed
from channelhub.orders import fulfilment, selectors, services, stock
from channelhub.orders.models import Order
from channelhub.tenancy.rls import brand_transaction

router = Router(tags=["orders 订单"])
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


class LineIn(Input):
    sku: str = Field(..., min_length=1, max_length=64)
    qty: int = Field(..., description="units; a positive multiple of the pack size, at least the minimum")


class OrderIn(Input):
    distributor_id: Id
    lines: list[LineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    note: str = Field("", max_length=500)
    ship_to: str = Field("", max_length=255)
    source: Order.Source = Order.Source.API
    draft: bool = Field(False, description="save as a draft (草稿) to submit later: nothing reserved")


class DraftIn(Input):
    lines: list[LineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    note: str = Field("", max_length=500)
    ship_to: str = Field("", max_length=255)


class LineOut(Output):
    line_no: int
    sku: str
    name: str
    unit: str
    qty: int
    list_price: Decimal
    unit_price: Decimal
    list_amount: Decimal
    amount: Decimal
    price_rule: str
    promotions: list[dict]
    promotion_code: str
    reserved_qty: int
    shipped_qty: int
    returned_qty: int


class ShipmentLineOut(Output):
    line_no: int = Field(validation_alias=AliasPath("line", "line_no"))
    sku: str = Field(validation_alias=AliasPath("line", "sku"))
    qty: int


class ShipmentOut(Output):
    id: int
    number: str
    warehouse: str = Field(validation_alias=AliasPath("warehouse", "code"))
    carrier: str
    tracking_no: str
    amount: Decimal
    shipped_at: datetime
    received_at: datetime | None
    lines: Annotated[list[ShipmentLineOut], Related]


class ReturnLineOut(Output):
    line_no: int = Field(validation_alias=AliasPath("line", "line_no"))
    sku: str = Field(validation_alias=AliasPath("line", "sku"))
    qty: int
    amount: Decimal


class ReturnOut(Output):
    id: int
    number: str
    status: str
    reason: str
    amount: Decimal
    decision_note: str
    created_at: datetime
    lines: Annotated[list[ReturnLineOut], Related]


class OrderSummaryOut(Output):
    id: int
    brand_id: int
    number: str
    distributor_id: int = Field(validation_alias="account_id")
    distributor: str = Field(validation_alias=AliasPath("account", "name"))
    status: str
    source: str
    total: Decimal
    list_total: Decimal
    hold_reason: str
    created_at: datetime


class OrderOut(OrderSummaryOut):
    note: str
    ship_to: str
    catalog_version: int
    priced_at: datetime | None
    cancel_reason: str
    credit_process_id: int | None
    submitted_at: datetime | None
    approved_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    lines: Annotated[list[LineOut], Related]
    shipments: Annotated[list[ShipmentOut], Related]
    returns: Annotated[list[ReturnOut], Related]


class OrderFilter(Schema):
    brand_id: Id | None = None
    status: Order.Status | None = None
    distributor_id: Id | None = None
    q: str = Field("", max_length=100)


@router.post("/orders", response={200: OrderOut, 201: OrderOut})
def submit_order(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", description="retries with the same key and body get the first order back"
    ),  # noqa: E501
):
    """Place an order for a distributor: priced by the price engine, checked against territory,
    credit and stock. 201 with the new order (approved with stock reserved, or on credit hold);
    200 with the original order when the same ``Idempotency-Key`` and body were sent before.

    It runs outside the request's transaction (``core.api.own_transaction`` in the URLs): the order
    commits, releasing the stock rows other orders wait for, before its answer is built."""
    _check_key(idempotency_key)
    actor = request.actor
    lines = [services.OrderLineIn(line.sku, line.qty) for line in payload.lines]
    if payload.draft:
        with brand_transaction(actor.allowed_brand_ids):
            draft = services.save_draft(
                actor=actor, account_id=payload.distributor_id, lines=lines, note=payload.note, ship_to=payload.ship_to
            )
            return 201, selectors.get_order(actor, draft.pk)
    result = services.submit_order(
        actor=actor,
        account_id=payload.distributor_id,
        lines=lines,
        note=payload.note,
        ship_to=payload.ship_to,
        source=payload.source,
        idempotency_key=idempotency_key,
        body_hash=services.request_hash(payload.dict()),
    )
    if result.replayed:
        with brand_transaction(actor.allowed_brand_ids):
            return 200, selectors.get_order(actor, result.order.pk)
    return 201, selectors.just_submitted(result.order, result.lines)


def _check_key(key: str) -> None:
    if key and not KEY_PATTERN.match(key):
        raise ValidationFailed("Idempotency-Key must be 1-128 visible ASCII characters", field="Idempotency-Key")


@router.put("/orders/{order_id}/draft", response=OrderOut)
def update_draft(request: HttpRequest, order_id: Id, payload: DraftIn):
    """Change a draft's lines, note or address (priced again, still nothing reserved)."""
    order = selectors.get_order(request.actor, order_id)
    services.save_draft(
        actor=request.actor,
        account_id=order.account_id,
        lines=[services.OrderLineIn(line.sku, line.qty) for line in payload.lines],
        note=payload.note,
        ship_to=payload.ship_to,
        draft=order,
    )
    return selectors.get_order(request.actor, order_id)


@router.post("/orders/{order_id}/submit", response={200: OrderOut, 201: OrderOut})
def submit_draft(
    request: HttpRequest,
    order_id: Id,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """Submit a draft: priced again now and checked like a new order (201), or the order an
    earlier request with the same ``Idempotency-Key`` submitted (200)."""
    _check_key(idempotency_key)
    order = selectors.get_order(request.actor, order_id)
    lines = services.draft_lines(order)
    result = services.submit_order(
        actor=request.actor,
        account_id=order.account_id,
        lines=lines,
        note=order.note,
        ship_to=order.ship_to,
        source=Order.Source.API,
        idempotency_key=idempotency_key,
        body_hash=services.request_hash({"submit_draft": order.pk}),
        draft=order,
    )
    return (200 if result.replayed else 201), selectors.get_order(request.actor, result.order.pk)


@router.delete("/orders/{order_id}", response={204: None})
def discard_draft(request: HttpRequest, order_id: Id):
    """Throw a draft away (submitted orders are cancelled instead)."""
    services.discard_draft(actor=request.actor, order=selectors.get_order(request.actor, order_id))
    return 204, None


@router.get("/orders", response=list[OrderSummaryOut])
@paginate(Paging)
def list_orders(request: HttpRequest, filters: Query[OrderFilter]):
    """Orders the caller may see, newest first."""
    return selectors.orders_for(
        request.actor,
        brand_id=filters.brand_id,
        status=filters.status,
        account_id=filters.distributor_id,
        query=filters.q,
    )


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request: HttpRequest, order_id: Id):
    return selectors.get_order(request.actor, order_id)


class ReasonIn(Input):
    reason: str = Field(..., min_length=1, max_length=300)


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def cancel_order(request: HttpRequest, order_id: Id, payload: ReasonIn):
    """Cancel before shipping (distributors until stock is reserved); stock, credit and promotion
    budgets are given back."""
    order = selectors.get_order(request.actor, order_id)
    services.cancel_order(actor=request.actor, order=order, reason=payload.reason)
    return selectors.get_order(request.actor, order_id)


class DecisionIn(Input):
    approve: bool
    comment: str = Field("", max_length=300)


@router.post("/orders/{order_id}/credit-decision", response=OrderOut)
def decide_credit_hold(request: HttpRequest, order_id: Id, payload: DecisionIn):
    """Finance releases or refuses an order on credit hold (when the brand has no override process)."""
    order = selectors.get_order(request.actor, order_id)
    services.decide_credit_hold(actor=request.actor, order=order, approve=payload.approve, comment=payload.comment)
    return selectors.get_order(request.actor, order_id)


@router.post("/orders/{order_id}/allocate", response=OrderOut)
def allocate_order(request: HttpRequest, order_id: Id):
    """Try again to reserve stock for an approved order waiting for it."""
    services.allocate_order(actor=request.actor, order=selectors.get_order(request.actor, order_id))
    return selectors.get_order(request.actor, order_id)


@router.post("/orders/{order_id}/complete", response=OrderOut)
def complete_order(request: HttpRequest, order_id: Id):
    services.complete_order(actor=request.actor, order=selectors.get_order(request.actor, order_id))
    return selectors.get_order(request.actor, order_id)


# --- shipments and returns


class LineQtyIn(Input):
    line_no: int | None = Field(None, ge=1)
    sku: str = Field("", max_length=64)
    qty: int


class ShipmentIn(Input):
    warehouse: str = Field(..., min_length=1, max_length=32)
    carrier: str = Field(..., min_length=1, max_length=50)
    tracking_no: str = Field(..., min_length=1, max_length=64)
    shipped_at: datetime | None = None
    lines: list[LineQtyIn] = Field(..., min_length=1, max_length=services.MAX_LINES * 2)


def _line_qtys(lines: list[LineQtyIn]) -> list[fulfilment.LineQty]:
    for number, line in enumerate(lines, start=1):
        if line.line_no is None and not line.sku:
            raise ValidationFailed(f"line {number}: give line_no or sku", field="lines")
    return [fulfilment.LineQty(qty=line.qty, line_no=line.line_no, sku=line.sku) for line in lines]


@router.post("/orders/{order_id}/shipments", response={201: ShipmentOut})
def create_shipment(request: HttpRequest, order_id: Id, payload: ShipmentIn):
    """Record a shipment (the WMS or the order desk): carrier, tracking number, units per line."""
    order = selectors.get_order(request.actor, order_id)
    shipment = fulfilment.create_shipment(
        actor=request.actor,
        order=order,
        warehouse_code=payload.warehouse,
        carrier=payload.carrier,
        tracking_no=payload.tracking_no,
        lines=_line_qtys(payload.lines),
        shipped_at=payload.shipped_at,
    )
    return 201, selectors.get_shipment(request.actor, shipment.pk)


@router.post("/shipments/{shipment_id}/receive", response=ShipmentOut)
def confirm_receipt(request: HttpRequest, shipment_id: Id):
    """The distributor confirms the goods arrived (签收)."""
    shipment = fulfilment.confirm_receipt(
        actor=request.actor, shipment=selectors.get_shipment(request.actor, shipment_id)
    )
    return selectors.get_shipment(request.actor, shipment.pk)


class ReturnIn(Input):
    reason: str = Field(..., min_length=1, max_length=300)
    lines: list[LineQtyIn] = Field(..., min_length=1, max_length=services.MAX_LINES * 2)


@router.post("/orders/{order_id}/returns", response={201: ReturnOut})
def request_return(request: HttpRequest, order_id: Id, payload: ReturnIn):
    order = selectors.get_order(request.actor, order_id)
    ret = fulfilment.request_return(
        actor=request.actor, order=order, lines=_line_qtys(payload.lines), reason=payload.reason
    )
    return 201, selectors.get_return(request.actor, ret.pk)


class NoteIn(Input):
    note: str = Field("", max_length=300)


@router.post("/returns/{return_id}/approve", response=ReturnOut)
def approve_return(request: HttpRequest, return_id: Id, payload: NoteIn):
    ret = selectors.get_return(request.actor, return_id)
    fulfilment.decide_return(actor=request.actor, request=ret, approve=True, note=payload.note)
    return selectors.get_return(request.actor, return_id)


@router.post("/returns/{return_id}/reject", response=ReturnOut)
def reject_return(request: HttpRequest, return_id: Id, payload: NoteIn):
    ret = selectors.get_return(request.actor, return_id)
    fulfilment.decide_return(actor=request.actor, request=ret, approve=False, note=payload.note)
    return selectors.get_return(request.actor, return_id)


class ReceiveReturnIn(Input):
    warehouse: str = Field(..., min_length=1, max_length=32)


@router.post("/returns/{return_id}/receive", response=ReturnOut)
def receive_return(request: HttpRequest, return_id: Id, payload: ReceiveReturnIn):
    """The goods are back in a warehouse: stock goes up and the amount is credited."""
    ret = selectors.get_return(request.actor, return_id)
    fulfilment.receive_return(actor=request.actor, request=ret, warehouse_code=payload.warehouse)
    return selectors.get_return(request.actor, return_id)


# --- warehouses and stock (the WMS)


class WarehouseIn(Input):
    brand_id: Id | None = None
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=100)
    division_code: str | None = Field(None, pattern=r"^[0-9]{6}$")
    priority: int = Field(100, ge=0, le=10_000)


class WarehouseOut(Schema):
    id: int
    brand_id: int
    code: str
    name: str
    division_code: str | None = Field(None, alias="division_id")
    priority: int
    is_active: bool


@router.get("/warehouses", response=list[WarehouseOut])
@paginate(Paging)
def list_warehouses(request: HttpRequest, brand_id: Id | None = None):
    return selectors.warehouses_for(request.actor, brand_id=brand_id)


@router.post("/warehouses", response={201: WarehouseOut})
def create_warehouse(request: HttpRequest, payload: WarehouseIn):
    return 201, stock.create_warehouse(actor=request.actor, **payload.dict())


class CountIn(Input):
    sku: str = Field(..., min_length=1, max_length=64)
    on_hand: int


class StockSyncIn(Input):
    brand_id: Id | None = None
    counts: list[CountIn] = Field(..., min_length=1, max_length=50_000)


class StockSyncOut(Schema):
    updated: int
    created: int
    below_reserved: list[str]


@router.put("/warehouses/{code}/stock", response=StockSyncOut)
def sync_stock(request: HttpRequest, code: str, payload: StockSyncIn):
    """The WMS's count of a warehouse (units on hand per SKU); reservations are kept. SKUs now
    counted below what orders reserved are listed."""
    return stock.sync_stock(
        actor=request.actor,
        brand_id=payload.brand_id,
        warehouse_code=code,
        counts=[stock.StockCount(c.sku, c.on_hand) for c in payload.counts],
    )


class StockOut(Schema):
    warehouse: str = Field(..., alias="warehouse.code")
    sku: str = Field(..., alias="product.sku")
    on_hand: int
    reserved: int
    available: int


class StockFilter(Schema):
    brand_id: Id | None = None
    warehouse: str = Field("", max_length=32)
    sku: str = Field("", max_length=64)
    short_only: bool = False


@router.get("/stock", response=list[StockOut])
@paginate(Paging)
def list_stock(request: HttpRequest, filters: Query[StockFilter]):
    """Stock per warehouse and SKU: on hand, reserved for orders, available."""
    rows = selectors.stock_for(
        request.actor,
        brand_id=filters.brand_id,
        warehouse=filters.warehouse,
        sku=filters.sku,
        short_only=filters.short_only,
    )
    return rows.annotate(available=F("on_hand") - F("reserved"))
