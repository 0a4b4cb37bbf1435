from decimal import Decimal

import pytest

from channelhub.core.errors import Conflict, Forbidden, ValidationFailed
from channelhub.finance.models import CreditEntry
from channelhub.orders import fulfilment, services
from channelhub.orders.fulfilment import LineQty
from channelhub.orders.models import Order, ReturnRequest
from channelhub.orders.services import OrderLineIn

S = Order.Status


@pytest.fixture
def order(desk):
    """24 still waters (60.00) and 10 green teas (40.00), reserved in the east warehouse."""
    return services.submit_order(
        actor=desk.distributor,
        account_id=desk.account.id,
        lines=[OrderLineIn("W-STILL", 24), OrderLineIn("T-GREEN", 10)],
    ).order


def ship(desk, order, *lines, warehouse="east"):
    return fulfilment.create_shipment(
        actor=desk.manager,
        order=order,
        warehouse_code=warehouse,
        carrier="顺丰",
        tracking_no="SF100",
        lines=[LineQty(qty, sku=sku) for sku, qty in lines],
    )


def test_a_partial_shipment_consumes_stock_and_bills_what_left(desk, order):
    shipment = ship(desk, order, ("W-STILL", 12))

    order.refresh_from_db()
    assert order.status == S.PARTIALLY_SHIPPED
    assert shipment.amount == Decimal("30.00")
    assert desk.level(desk.east, desk.still) == (1188, 12)
    credit = desk.credit()
    assert (credit.committed, credit.receivable) == (Decimal("70.00"), Decimal("30.00"))
    assert order.credit_committed == Decimal("70.00")
    entry = CreditEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reference) == ("shipment", Decimal("30.00"), shipment.number)


def test_shipping_everything_then_receiving_it_delivers_the_order(desk, order):
    first = ship(desk, order, ("W-STILL", 12))
    second = ship(desk, order, ("W-STILL", 12), ("T-GREEN", 10))
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert desk.credit().committed == 0 and desk.credit().receivable == Decimal("100.00")

    fulfilment.confirm_receipt(actor=desk.distributor, shipment=first)
    order.refresh_from_db()
    assert order.status == S.SHIPPED  # one shipment still on its way
    fulfilment.confirm_receipt(actor=desk.distributor, shipment=second)

    order.refresh_from_db()
    assert order.status == S.DELIVERED and order.delivered_at is not None
    with pytest.raises(Conflict):
        fulfilment.confirm_receipt(actor=desk.distributor, shipment=second)

    services.complete_order(actor=desk.manager, order=order)
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_shipping_more_than_reserved_in_the_warehouse_is_refused_and_changes_nothing(desk, order):
    with pytest.raises(ValidationFailed, match="24 reserved in east left to ship, not 25"):
        ship(desk, order, ("W-STILL", 25))
    with pytest.raises(ValidationFailed, match="0 reserved in north"):
        ship(desk, order, ("W-STILL", 1), warehouse="north")

    order.refresh_from_db()
    assert order.status == S.ALLOCATED
    assert desk.level(desk.east, desk.still) == (1200, 24)
    assert not order.shipments.exists()


def test_a_distributor_cannot_record_a_shipment(desk, order):
    with pytest.raises(Forbidden):
        fulfilment.create_shipment(
            actor=desk.distributor, order=order, warehouse_code="east", carrier="x", tracking_no="y",
            lines=[LineQty(1, sku="W-STILL")],
        )  # fmt: skip


def test_a_shipped_order_cannot_be_cancelled_only_returned(desk, order):
    ship(desk, order, ("W-STILL", 24), ("T-GREEN", 10))

    with pytest.raises(Conflict, match="ask for a return"):
        services.cancel_order(actor=desk.manager, order=order, reason="晚了")


def test_a_return_puts_goods_back_and_credits_their_amount(desk, order):
    ship(desk, order, ("W-STILL", 24), ("T-GREEN", 10))

    request = fulfilment.request_return(
        actor=desk.distributor, order=order, lines=[LineQty(5, sku="T-GREEN")], reason="破损"
    )
    assert request.amount == Decimal("20.00")
    with pytest.raises(ValidationFailed, match="5 units can still be returned, not 6"):
        fulfilment.request_return(actor=desk.distributor, order=order, lines=[LineQty(6, sku="T-GREEN")], reason="x")

    fulfilment.decide_return(actor=desk.manager, request=request, approve=True)
    fulfilment.receive_return(actor=desk.manager, request=request, warehouse_code="east")

    request.refresh_from_db()
    assert request.status == ReturnRequest.Status.RECEIVED
    assert desk.level(desk.east, desk.tea) == (95, 0)  # 100 - 10 shipped + 5 back
    assert desk.credit().receivable == Decimal("80.00")
    assert order.lines.get(sku="T-GREEN").returned_qty == 5


def test_a_refused_return_needs_a_reason_and_credits_nothing(desk, order):
    ship(desk, order, ("T-GREEN", 10))
    request = fulfilment.request_return(
        actor=desk.distributor, order=order, lines=[LineQty(1, sku="T-GREEN")], reason="x"
    )

    with pytest.raises(ValidationFailed):
        fulfilment.decide_return(actor=desk.manager, request=request, approve=False)
    fulfilment.decide_return(actor=desk.manager, request=request, approve=False, note="非质量问题")

    with pytest.raises(Conflict):
        fulfilment.receive_return(actor=desk.manager, request=request, warehouse_code="east")
    assert desk.credit().receivable == Decimal("40.00")


def test_amounts_of_partial_shipments_add_up_to_the_line_to_the_fen(desk):
    desk.prices(desk.base, [("T-GREEN", "3.3333")])
    order = services.submit_order(
        actor=desk.distributor, account_id=desk.account.id, lines=[OrderLineIn("T-GREEN", 7)]
    ).order
    line_amount = order.lines.get().amount

    amounts = [ship(desk, order, ("T-GREEN", n)).amount for n in (1, 2, 4)]

    assert sum(amounts) == line_amount == Decimal("23.33")


def test_the_scheduler_completes_orders_delivered_a_week_ago(desk, order):
    from datetime import timedelta

    from django.utils import timezone

    from channelhub.orders.tasks import complete_delivered_orders

    shipment = ship(desk, order, ("W-STILL", 24), ("T-GREEN", 10))
    fulfilment.confirm_receipt(actor=desk.distributor, shipment=shipment)
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=8))

    assert complete_delivered_orders.call() == 1

    order.refresh_from_db()
    assert order.status == S.COMPLETED
