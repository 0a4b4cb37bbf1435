from decimal import Decimal

import pytest

from channelhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.orders import services
from channelhub.orders.models import Allocation, Order, OrderPromotion
from channelhub.orders.services import OrderLineIn
from channelhub.testing import AccountFactory

S = Order.Status


def submit(desk, *lines, actor=None, **kw):
    return services.submit_order(
        actor=actor or desk.distributor,
        account_id=kw.pop("account_id", desk.account.id),
        lines=[OrderLineIn(sku, qty) for sku, qty in lines],
        **kw,
    )


def test_an_order_within_credit_is_priced_approved_and_reserved(desk):
    # when
    result = submit(desk, ("W-STILL", 24), ("T-GREEN", 10))

    # then
    order = result.order
    assert result.replayed is False
    assert order.status == S.ALLOCATED
    assert order.total == Decimal("100.00")  # 24 x 2.50 + 10 x 4.00
    lines = list(order.lines.order_by("line_no"))
    assert [(line.sku, line.qty, line.unit_price, line.amount) for line in lines] == [
        ("W-STILL", 24, Decimal("2.5000"), Decimal("60.00")),
        ("T-GREEN", 10, Decimal("4.0000"), Decimal("40.00")),
    ]
    assert [line.reserved_qty for line in lines] == [24, 10]
    assert desk.level(desk.east, desk.still) == (1200, 24)  # the same-province warehouse first
    assert desk.credit().committed == Decimal("100.00")
    assert order.credit_committed == Decimal("100.00")
    assert AuditEntry.objects.filter(object_type="orders.order", object_id=str(order.pk)).count() == 2


def test_prices_are_snapshotted_and_a_later_price_change_leaves_the_order_alone(desk):
    order = submit(desk, ("W-STILL", 12)).order

    desk.prices(desk.base, [("W-STILL", "9.99")])

    order.refresh_from_db()
    assert order.total == Decimal("30.00")
    assert order.lines.get().unit_price == Decimal("2.5000")


def test_a_line_that_cannot_be_sold_refuses_the_whole_order_naming_each_line(desk):
    with pytest.raises(ValidationFailed) as refused:
        submit(desk, ("W-STILL", 13), ("NOPE", 1), ("T-GREEN", 1))

    assert refused.value.code == "lines_invalid"
    assert "line 1 (W-STILL)" in refused.value.message and "pack" in refused.value.message
    assert "line 2 (NOPE)" in refused.value.message
    assert not Order.objects.exists()
    assert desk.level(desk.east, desk.still) == (1200, 0)


@pytest.mark.parametrize("qty", [0, -12])
def test_zero_or_negative_quantities_are_refused(desk, qty):
    with pytest.raises(ValidationFailed, match="positive whole number"):
        submit(desk, ("W-STILL", qty))
    assert not Order.objects.exists()


def test_a_sku_twice_is_refused(desk):
    with pytest.raises(ValidationFailed, match="already on line 1"):
        submit(desk, ("W-STILL", 12), ("W-STILL", 24))


def test_more_than_the_stock_is_refused_and_nothing_is_reserved(desk):
    with pytest.raises(Conflict) as refused:
        submit(desk, ("T-GREEN", 10), ("W-SPARK", 606))

    assert refused.value.code == "insufficient_stock"
    assert "W-SPARK: 600 available, 606 ordered" in refused.value.message
    assert not Order.objects.exists()
    assert desk.level(desk.east, desk.tea) == (100, 0)
    assert desk.credit().committed == 0


def test_a_line_larger_than_any_one_warehouse_is_split_nearest_first(desk):
    order = submit(desk, ("W-STILL", 1440)).order  # east 1,200 + north 240

    allocations = sorted(Allocation.objects.filter(line__order=order).values_list("warehouse__code", "qty"))
    assert allocations == [("east", 1200), ("north", 240)]
    assert desk.level(desk.north, desk.still) == (240, 240)


def test_another_distributors_account_is_not_found(desk):
    other = AccountFactory(brand=desk.brand)

    with pytest.raises(NotFound):
        submit(desk, ("W-STILL", 12), account_id=other.id)
    assert not Order.objects.exists()


def test_a_region_manager_orders_only_for_distributors_of_the_region(desk):
    # given a distributor registered and selling in 浙江, outside the manager's 江苏
    elsewhere = AccountFactory(brand=desk.brand, territory=["330000"])

    with pytest.raises(NotFound):
        submit(desk, ("W-STILL", 12), actor=desk.manager, account_id=elsewhere.id)
    order = submit(desk, ("W-STILL", 12), actor=desk.manager).order

    assert order.account_id == desk.account.id
    assert order.source == Order.Source.STAFF
    assert list(Order.objects.values_list("account_id", flat=True)) == [desk.account.id]


def test_an_unknown_or_impossible_account_id_is_not_found(desk):
    for account_id in (10**9, 2**63, 0):
        with pytest.raises(NotFound):
            submit(desk, ("W-STILL", 12), actor=desk.actor, account_id=account_id)
    assert not Order.objects.exists()


def test_over_the_credit_limit_the_order_is_held_without_reserving_stock(desk):
    # given an order of 12,000 against a 10,000 limit (no override process in this brand)
    desk.count("east", {"W-STILL": 6000})

    order = submit(desk, ("W-STILL", 4800)).order

    assert order.status == S.CREDIT_HOLD
    assert "可用 10000.00" in order.hold_reason
    assert order.credit_process_id is None
    assert desk.level(desk.east, desk.still) == (6000, 0)
    assert desk.credit().committed == 0


def test_finance_releases_a_hold_and_the_stock_is_then_reserved(desk):
    desk.count("east", {"W-STILL": 6000})
    order = submit(desk, ("W-STILL", 4800)).order

    services.decide_credit_hold(actor=desk.finance, order=order, approve=True, comment="年底备货")

    order.refresh_from_db()
    assert order.status == S.ALLOCATED
    assert desk.credit().committed == Decimal("12000.00")
    assert desk.level(desk.east, desk.still) == (6000, 4800)


def test_refusing_a_hold_cancels_the_order(desk):
    desk.count("east", {"W-STILL": 6000})
    order = submit(desk, ("W-STILL", 4800)).order

    with pytest.raises(ValidationFailed):
        services.decide_credit_hold(actor=desk.finance, order=order, approve=False)
    services.decide_credit_hold(actor=desk.finance, order=order, approve=False, comment="逾期未回款")

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.cancel_reason == "逾期未回款"


def test_the_same_idempotency_key_returns_the_first_order_and_another_body_is_refused(desk):
    first = submit(desk, ("W-STILL", 12), idempotency_key="k-1", body_hash="h1")
    again = submit(desk, ("W-STILL", 12), idempotency_key="k-1", body_hash="h1")

    assert again.replayed is True and again.order.pk == first.order.pk
    with pytest.raises(ValidationFailed) as refused:
        submit(desk, ("W-STILL", 24), idempotency_key="k-1", body_hash="h2")
    assert refused.value.code == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert desk.level(desk.east, desk.still) == (1200, 12)


def test_a_promotion_budget_is_taken_and_given_back_on_cancel(desk):
    promotion = desk.promotion("p10", "percent_off", {"percent": "10"}, budget_amount=Decimal("100"))

    order = submit(desk, ("W-STILL", 120)).order  # 300.00 list, 30.00 off

    assert order.total == Decimal("270.00")
    promotion.refresh_from_db()
    assert promotion.used_amount == Decimal("30.00")
    assert OrderPromotion.objects.get(order=order).money_used == Decimal("30.00")

    services.cancel_order(actor=desk.distributor, order=order, reason="下错单")

    promotion.refresh_from_db()
    assert promotion.used_amount == 0
    assert desk.level(desk.east, desk.still) == (1200, 0)
    assert desk.credit().committed == 0


def test_gifts_are_zero_priced_lines_with_stock_reserved(desk):
    desk.promotion("b2g1", "buy_x_get_y", {"buy": 10, "get": 1, "gift_sku": "T-GREEN"})

    order = submit(desk, ("T-GREEN", 20)).order

    lines = list(order.lines.order_by("line_no").values_list("sku", "qty", "amount", "promotion_code"))
    assert lines == [("T-GREEN", 20, Decimal("80.00"), ""), ("T-GREEN", 2, Decimal("0.00"), "b2g1")]
    assert desk.level(desk.east, desk.tea) == (100, 22)


def test_the_order_desk_cancels_for_a_distributor_and_everything_is_given_back(desk):
    order = submit(desk, ("W-STILL", 12)).order

    services.cancel_order(actor=desk.manager, order=order, reason="客户电话取消")

    order.refresh_from_db()
    assert (order.status, order.cancel_reason, order.credit_committed) == (S.CANCELLED, "客户电话取消", 0)
    assert desk.level(desk.east, desk.still) == (1200, 0)
    assert desk.credit().committed == 0


def test_finance_may_not_cancel_and_a_reason_is_needed(desk):
    order = submit(desk, ("W-STILL", 12)).order

    with pytest.raises(ValidationFailed):
        services.cancel_order(actor=desk.distributor, order=order, reason=" ")
    with pytest.raises(Forbidden):
        services.cancel_order(actor=desk.finance, order=order, reason="no")
    order.refresh_from_db()
    assert order.status == S.ALLOCATED


def test_orders_at_a_glance_counts_what_waits_and_today(desk):
    from channelhub.orders.selectors import orders_at_a_glance

    submit(desk, ("W-STILL", 12))
    submit(desk, ("T-GREEN", 5))
    desk.count("east", {"W-STILL": 6000})
    submit(desk, ("W-STILL", 4800))  # over the limit: held
    cancelled = submit(desk, ("W-SPARK", 6)).order
    services.cancel_order(actor=desk.distributor, order=cancelled, reason="重复")

    glance = orders_at_a_glance(desk.manager)[desk.brand.id]

    assert glance.waiting == {S.ALLOCATED: 2, S.CREDIT_HOLD: 1}
    assert (glance.today_count, glance.today_total) == (3, Decimal("12050.00"))


def test_an_uncapped_promotion_keeps_no_counter_so_orders_never_queue_on_it(desk):
    promotion = desk.promotion("p5", "percent_off", {"percent": "5"})

    order = submit(desk, ("W-STILL", 120)).order  # 300.00 list, 15.00 off

    promotion.refresh_from_db()
    assert (promotion.used_amount, promotion.used_quantity) == (0, 0)
    assert OrderPromotion.objects.get(order=order).money_used == Decimal("15.00")
    services.cancel_order(actor=desk.distributor, order=order, reason="重复")
    promotion.refresh_from_db()
    assert promotion.used_amount == 0
