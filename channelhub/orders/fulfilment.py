"""After approval: shipments (created by the WMS or the order desk), the distributor's receipt,
and returns (退货) that put goods back on the shelf and credit their amount.

Locks follow ``orders.services``: the order row, the credit row, then stock rows by product.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channelhub.catalog.pricing import amount as to_fen
from channelhub.core import audit
from channelhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.finance import credit
from channelhub.finance.models import CreditEntry
from channelhub.orders import stock
from channelhub.orders.models import (
    Allocation,
    Order,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
    Warehouse,
)
from channelhub.orders.services import ORDER_DESK, _changed, _locked, _new_number
from channelhub.partners.models import DistributorUser
from channelhub.tenancy.actor import INTEGRATION_ROLE, SYSTEM_ROLE, Actor

S = Order.Status
SHIPPERS = (*ORDER_DESK, INTEGRATION_ROLE, SYSTEM_ROLE)
RETURNABLE = (S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED)


@dataclass(frozen=True)
class LineQty:
    """Units of one order line: by line number, or by SKU when the order has it once."""

    qty: int
    line_no: int | None = None
    sku: str = ""


def _amount_between(line: OrderLine, before: int, after: int) -> Decimal:
    """The part of a line's amount for units ``before``..``after``: the shares of all shipments (or
    returns) of a line add up to its amount to the fen."""
    return to_fen(line.amount * after / line.qty) - to_fen(line.amount * before / line.qty)


def _resolve(order: Order, wanted: list[LineQty]) -> list[tuple[OrderLine, int]]:
    lines = list(order.lines.all())
    by_no = {line.line_no: line for line in lines}
    by_sku: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_sku.setdefault(line.sku, []).append(line)
    result, seen = [], set()
    if not wanted:
        raise ValidationFailed("name at least one line", field="lines")
    for number, item in enumerate(wanted, start=1):
        if item.qty <= 0:
            raise ValidationFailed(f"line {number}: quantity must be a positive whole number", field="lines")
        if item.line_no is not None:
            line = by_no.get(item.line_no)
        else:
            matches = by_sku.get(item.sku.strip(), [])
            if len(matches) > 1:
                raise ValidationFailed(
                    f"line {number}: SKU {item.sku} is on several lines; give line_no", field="lines"
                )
            line = matches[0] if matches else None
        if line is None:
            raise ValidationFailed(f"line {number}: not a line of order {order.number}", field="lines")
        if line.pk in seen:
            raise ValidationFailed(f"line {number}: order line {line.line_no} is named twice", field="lines")
        seen.add(line.pk)
        result.append((line, item.qty))
    return result


@transaction.atomic
def create_shipment(
    *,
    actor: Actor,
    order: Order,
    warehouse_code: str,
    carrier: str,
    tracking_no: str,
    lines: list[LineQty],
    shipped_at=None,
) -> Shipment:
    """Record goods leaving a warehouse for an order (all or part of what it reserved there): the
    reserved units leave its stock, their amount moves from open orders to receivables."""
    if not actor.has_role(order.brand_id, *SHIPPERS):
        raise Forbidden("only the order desk or the WMS records shipments", code="permission_denied")
    if not carrier.strip() or not tracking_no.strip():
        raise ValidationFailed("a shipment needs a carrier and a tracking number", field="tracking_no")
    order = _locked(order)
    if order.status not in (S.ALLOCATED, S.PARTIALLY_SHIPPED):
        raise Conflict(
            f"order {order.number} is {order.get_status_display()}: nothing reserved to ship", field="status"
        )
    warehouse = Warehouse.objects.filter(brand_id=order.brand_id, code=warehouse_code).first()
    if warehouse is None:
        raise NotFound(f"warehouse {warehouse_code!r} not found", field="warehouse")
    credit.locked(brand_id=order.brand_id, account_id=order.account_id)
    wanted = _resolve(order, lines)
    allocations = {
        a.line_id: a for a in Allocation.objects.select_for_update().filter(line__order=order, warehouse=warehouse)
    }
    total = Decimal("0.00")
    shipment = Shipment(
        brand_id=order.brand_id,
        order=order,
        number=_new_number("SH"),
        warehouse=warehouse,
        carrier=carrier.strip()[:50],
        tracking_no=tracking_no.strip()[:64],
        shipped_at=shipped_at or timezone.now(),
        created_by=actor.user,
    )
    shipment.save(force_insert=True)
    rows = []
    for line, qty in sorted(wanted, key=lambda item: item[0].product_id):
        allocation = allocations.get(line.pk)
        left = allocation.qty - allocation.shipped_qty if allocation else 0
        if qty > left:
            raise ValidationFailed(
                f"line {line.line_no} ({line.sku}): {left} reserved in {warehouse.code} left to ship, not {qty}",
                field="lines",
            )
        stock.consume(order.brand_id, warehouse.pk, line.product_id, qty)
        Allocation.objects.filter(pk=allocation.pk).update(shipped_qty=F("shipped_qty") + qty)
        total += _amount_between(line, line.shipped_qty, line.shipped_qty + qty)
        OrderLine.objects.filter(pk=line.pk).update(shipped_qty=F("shipped_qty") + qty)
        rows.append(ShipmentLine(brand_id=order.brand_id, shipment=shipment, line=line, qty=qty))
    ShipmentLine.objects.bulk_create(rows)
    shipment.amount = total
    shipment.save(update_fields=["amount"])
    committed = min(order.credit_committed, total)
    credit.bill(
        brand_id=order.brand_id,
        account_id=order.account_id,
        amount=total,
        committed=committed,
        reference=shipment.number,
        user=actor.user,
    )
    left_to_ship = OrderLine.objects.filter(order=order, shipped_qty__lt=F("qty")).exists()
    previous = order.status
    order.status = S.PARTIALLY_SHIPPED if left_to_ship else S.SHIPPED
    order.credit_committed -= committed
    order.save(update_fields=["status", "credit_committed"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=shipment,
        brand_id=order.brand_id,
        after={"order": order.number, "carrier": shipment.carrier, "tracking_no": shipment.tracking_no,
               "units": sum(q for _, q in wanted), "amount": total},
    )  # fmt: skip
    if order.status != previous or order.status == S.PARTIALLY_SHIPPED:
        _changed(actor, order, previous, note=f"{shipment.carrier} {shipment.tracking_no}")
    return shipment


def _own_or_desk(actor: Actor, order: Order) -> None:
    if actor.has_role(order.brand_id, *ORDER_DESK, SYSTEM_ROLE):
        return
    if actor.user is not None and DistributorUser.objects.filter(account_id=order.account_id, user=actor.user).exists():
        return
    raise Forbidden("only the distributor or the order desk may do this", code="permission_denied")


@transaction.atomic
def confirm_receipt(*, actor: Actor, shipment: Shipment) -> Shipment:
    """The distributor confirms a shipment arrived (签收); the order is delivered when everything
    was shipped and every shipment received."""
    _own_or_desk(actor, shipment.order)
    order = _locked(shipment.order)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.received_at is not None:
        raise Conflict(f"shipment {shipment.number} was already received", field="shipment")
    shipment.received_at, shipment.received_by = timezone.now(), actor.user
    shipment.save(update_fields=["received_at", "received_by"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=shipment,
        brand_id=order.brand_id,
        before={"received_at": None},
        after={"received_at": shipment.received_at},
    )
    if order.status == S.SHIPPED and not order.shipments.filter(received_at__isnull=True).exists():
        order.status, order.delivered_at = S.DELIVERED, timezone.now()
        order.save(update_fields=["status", "delivered_at"])
        _changed(actor, order, S.SHIPPED, note=f"已签收 {shipment.number}")
    return shipment


# --- returns ----------------------------------------------------------------------------------


def returnable_units(order: Order) -> dict[int, int]:
    """Per order line id: units that may still be asked back (shipped, less returned, less those in
    requested or approved returns). Uses the order's prefetched lines and returns when present."""
    asked: dict[int, int] = {}
    for request in order.returns.all():
        if request.status in (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.APPROVED):
            for row in request.lines.all():
                asked[row.line_id] = asked.get(row.line_id, 0) + row.qty
    return {line.pk: max(0, line.shipped_qty - line.returned_qty - asked.get(line.pk, 0)) for line in order.lines.all()}


@transaction.atomic
def request_return(*, actor: Actor, order: Order, lines: list[LineQty], reason: str) -> ReturnRequest:
    """Ask to send back shipped goods, line by line; at most what was shipped and not already
    returned or asked for."""
    _own_or_desk(actor, order)
    if not reason.strip():
        raise ValidationFailed("say why the goods go back", field="reason")
    order = _locked(order)
    if order.status not in RETURNABLE:
        raise Conflict(f"order {order.number} is {order.get_status_display()}: nothing shipped to return")
    wanted = _resolve(order, lines)
    left_of = returnable_units(order)
    request = ReturnRequest(
        brand_id=order.brand_id,
        order=order,
        number=_new_number("RT"),
        reason=reason.strip()[:300],
        requested_by=actor.user,
    )
    request.save(force_insert=True)
    rows, total = [], Decimal("0.00")
    for line, qty in wanted:
        left = left_of[line.pk]
        if qty > left:
            raise ValidationFailed(
                f"line {line.line_no} ({line.sku}): {left} units can still be returned, not {qty}", field="lines"
            )
        asked_before = line.shipped_qty - left  # returned already, or asked for
        value = _amount_between(line, asked_before, asked_before + qty)
        rows.append(ReturnLine(brand_id=order.brand_id, request=request, line=line, qty=qty, amount=value))
        total += value
    ReturnLine.objects.bulk_create(rows)
    request.amount = total
    request.save(update_fields=["amount"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=request,
        brand_id=order.brand_id,
        after={"order": order.number, "amount": total, "reason": request.reason},
    )
    return request


@transaction.atomic
def decide_return(*, actor: Actor, request: ReturnRequest, approve: bool, note: str = "") -> ReturnRequest:
    """The order desk accepts a return (the goods may come back) or refuses it with a reason."""
    if not actor.has_role(request.brand_id, *ORDER_DESK):
        raise Forbidden("only the order desk decides returns", code="permission_denied")
    if not approve and not note.strip():
        raise ValidationFailed("say why the return is refused", field="note")
    request = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReturnRequest.Status.REQUESTED:
        raise Conflict(f"return {request.number} is {request.get_status_display()}", field="status")
    before = request.status
    request.status = ReturnRequest.Status.APPROVED if approve else ReturnRequest.Status.REJECTED
    request.decided_by, request.decision_note = actor.user, note.strip()[:300]
    if not approve:
        request.closed_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decision_note", "closed_at"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=request,
        brand_id=request.brand_id,
        before={"status": before},
        after={"status": request.status, "note": request.decision_note},
    )
    return request


@transaction.atomic
def receive_return(*, actor: Actor, request: ReturnRequest, warehouse_code: str) -> ReturnRequest:
    """The returned goods arrived in a warehouse: they are back in its stock, and their amount is
    credited to the distributor (the receivable goes down, freeing credit)."""
    if not actor.has_role(request.brand_id, *SHIPPERS):
        raise Forbidden("only the order desk or the WMS receives returns", code="permission_denied")
    order = _locked(request.order)
    request = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReturnRequest.Status.APPROVED:
        raise Conflict(f"return {request.number} is {request.get_status_display()}, not approved", field="status")
    warehouse = Warehouse.objects.filter(brand_id=request.brand_id, code=warehouse_code).first()
    if warehouse is None:
        raise NotFound(f"warehouse {warehouse_code!r} not found", field="warehouse")
    credit.locked(brand_id=order.brand_id, account_id=order.account_id)
    for row in sorted(request.lines.select_related("line"), key=lambda r: r.line.product_id):
        stock.put_back(request.brand_id, warehouse.pk, row.line.product_id, row.qty)
        OrderLine.objects.filter(pk=row.line_id).update(returned_qty=F("returned_qty") + row.qty)
    if request.amount > 0:
        credit.credit_back(
            brand_id=order.brand_id,
            account_id=order.account_id,
            amount=request.amount,
            kind=CreditEntry.Kind.RETURN,
            reference=request.number,
            note=f"退货 {order.number}",
            user=actor.user,
        )
    request.status, request.warehouse, request.closed_at = ReturnRequest.Status.RECEIVED, warehouse, timezone.now()
    request.save(update_fields=["status", "warehouse", "closed_at"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=request,
        brand_id=request.brand_id,
        before={"status": ReturnRequest.Status.APPROVED},
        after={"status": request.status, "warehouse": warehouse.code, "credited": request.amount},
    )
    return request
